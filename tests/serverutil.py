"""Start a real ``educluster serve`` process on a free loopback port, for tests.

    from serverutil import running_server

    with running_server(tmp_path / "store", token="s3cret") as server:
        SPARQLWrapper(server.sparql_url) ...

The server runs as ``python -m educluster serve`` in its own process group, logs to a
file (``server.log_text()``), and is stopped (SIGTERM, then SIGKILL) on exit.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

#: seconds a server may take to answer /health after start (first start loads the examples)
START_TIMEOUT = 90.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _children(pid: int) -> set[int]:
    """PIDs of the direct children of a process, from /proc."""
    found = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            found.update(int(p) for p in (task / "children").read_text().split())
    return found


def process_alive(pid: int) -> bool:
    """Whether a process exists and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@dataclass
class Server:
    """A running server process."""

    process: subprocess.Popen
    port: int
    store: Path
    log_path: Path
    env: dict = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def sparql_url(self) -> str:
        return self.base_url + "/sparql"

    @property
    def store_url(self) -> str:
        return self.base_url + "/store"

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")

    def worker_pids(self) -> set[int]:
        """The gunicorn workers (children of the arbiter)."""
        return _children(self.process.pid)

    def health(self) -> dict:
        with urllib.request.urlopen(self.base_url + "/health", timeout=10) as response:
            return json.load(response)

    def stop(self, sig: int = signal.SIGTERM) -> int:
        """Stop the whole process group; returns the arbiter's exit status."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, sig)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=30)
        # workers left over by a SIGKILLed arbiter notice it and exit; make sure they do
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        return self.process.returncode


def start_server(
    store: str | os.PathLike,
    *,
    token: str | None = None,
    workers: int = 2,
    query_timeout: float | None = None,
    args: list[str] | tuple[str, ...] = (),
    env: dict[str, str] | None = None,
    log_dir: str | os.PathLike | None = None,
) -> Server:
    """Start ``educluster serve`` on ``store`` and wait until /health answers."""
    store = Path(store)
    if log_dir is None:
        log_dir = tempfile.mkdtemp(prefix="educluster-log-")
    log_dir = Path(log_dir)
    environment = {k: v for k, v in os.environ.items() if not k.startswith("EDUCLUSTER_")}
    if token is not None:
        environment["EDUCLUSTER_WRITE_TOKEN"] = token
    environment.update(env or {})
    for attempt in range(3):
        port = free_port()
        log_path = log_dir / f"server-{port}.log"
        command = [
            sys.executable, "-m", "educluster", "serve", "--host", "127.0.0.1",
            "--port", str(port), "--store", str(store), "--workers", str(workers),
        ]
        if query_timeout is not None:
            command += ["--query-timeout", str(query_timeout)]
        command += list(args)
        with open(log_path, "wb") as log:
            process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, env=environment,
                start_new_session=True,
            )
        server = Server(process, port, store, log_path, environment)
        if _wait_healthy(server):
            return server
        server.stop(signal.SIGKILL)
        if "Address already in use" not in server.log_text() or attempt == 2:
            raise RuntimeError(
                f"the server did not start (exit {process.returncode}):\n{server.log_text()}"
            )
    raise AssertionError("unreachable")


def _wait_healthy(server: Server) -> bool:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(server.base_url + "/health", timeout=5) as response:
                if response.status == 200:
                    return True
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            pass
        time.sleep(0.1)
    return False


@contextlib.contextmanager
def running_server(store: str | os.PathLike | None = None, **kwargs) -> Iterator[Server]:
    """A server for the duration of the block (on a temporary store unless given)."""
    with contextlib.ExitStack() as stack:
        if store is None:
            store = Path(stack.enter_context(tempfile.TemporaryDirectory())) / "store"
            kwargs.setdefault("log_dir", store.parent)
        server = start_server(store, **kwargs)
        try:
            yield server
        finally:
            server.stop()
