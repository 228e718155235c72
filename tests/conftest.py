"""Shared fixtures: paths to the project's files and to the W3C suites in ../shared/w3c;
a private Virtuoso for the tests that run on both store engines."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
W3C = ROOT.parent / "shared" / "w3c"


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def w3c_dir() -> Path:
    if not W3C.is_dir():
        pytest.fail(f"the W3C test data is missing: expected {W3C}")
    return W3C


# -- Virtuoso: a private instance for the tests that run on both backends ------------------
@dataclass(frozen=True)
class VirtuosoInstance:
    """A running private Virtuoso (scripts/virtuoso.sh): its endpoints and credentials."""

    directory: Path
    query_endpoint: str  # anonymous, read-only /sparql
    update_endpoint: str  # /sparql-auth, HTTP digest, SPARQL_UPDATE granted
    user: str
    password: str

    def store(self, **kwargs):
        from educluster.store import RemoteStore

        return RemoteStore(
            self.query_endpoint, self.update_endpoint,
            user=self.user, password=self.password, **kwargs,
        )


def _parse_env(text: str) -> dict[str, str]:
    values = {}
    for line in text.splitlines():
        name, sep, value = line.partition("=")
        if sep and name.isidentifier():
            values[name] = value.strip().strip("'")
    return values


@pytest.fixture(scope="session")
def virtuoso(tmp_path_factory) -> Iterator[VirtuosoInstance]:
    """Start a private Virtuoso on loopback for the session, stop it afterwards.

    Skipped only when EDUCLUSTER_SKIP_VIRTUOSO=1; otherwise a missing Virtuoso is a
    failure (``make system-deps`` installs it)."""
    if os.environ.get("EDUCLUSTER_SKIP_VIRTUOSO") == "1":
        pytest.skip("EDUCLUSTER_SKIP_VIRTUOSO=1")
    script = ROOT / "scripts" / "virtuoso.sh"
    directory = tmp_path_factory.mktemp("virtuoso")
    started = subprocess.run(
        ["bash", str(script), "start", str(directory)],
        capture_output=True, text=True, timeout=300, check=False,
    )
    if started.returncode != 0:
        subprocess.run(["bash", str(script), "stop", str(directory)], check=False)
        pytest.fail(
            "could not start Virtuoso (install it with `make system-deps`, or set "
            f"EDUCLUSTER_SKIP_VIRTUOSO=1):\n{started.stderr.strip()}"
        )
    env = _parse_env(started.stdout)
    try:
        yield VirtuosoInstance(
            directory=directory,
            query_endpoint=env["VIRTUOSO_SPARQL_URL"],
            update_endpoint=env["VIRTUOSO_AUTH_URL"],
            user=env["VIRTUOSO_USER"],
            password=env["VIRTUOSO_USER_PASSWORD"],
        )
    finally:
        subprocess.run(["bash", str(script), "stop", str(directory)], check=False, timeout=120)


def empty_remote_store(instance: VirtuosoInstance, **kwargs):
    """The instance's store with every graph the tests may have written cleared (its own
    system graphs stay: they are not data)."""
    from educluster.store.remote import DEFAULT_GRAPH, LOCK_GRAPH

    store = instance.store(**kwargs)
    graphs = [*store.named_graphs(), DEFAULT_GRAPH, LOCK_GRAPH]
    store.update(" ;\n".join(f"CLEAR SILENT GRAPH <{g}>" for g in graphs))
    return store


@pytest.fixture(
    params=["oxigraph", pytest.param("virtuoso", marks=pytest.mark.virtuoso)],
)
def any_store(request):
    """A fresh, empty store on each backend: in-memory Oxigraph, and the session's
    Virtuoso with every data graph cleared."""
    if request.param == "oxigraph":
        from educluster.store import OxigraphStore

        yield OxigraphStore()
        return
    instance = request.getfixturevalue("virtuoso")
    yield empty_remote_store(instance)
