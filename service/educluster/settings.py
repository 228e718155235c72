"""Service settings as data: one table of (name, default, help), read from the command
line and from ``EDUCLUSTER_*`` environment variables.  The table feeds ``serve --help``
and the README's settings section."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from educluster.errors import InputError


def flag(value: str | bool) -> bool:
    """A yes/no setting: true/false, yes/no, on/off, 1/0."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"0", "false", "no", "off", ""}:
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, not {value!r}")


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    help: str
    type: Callable[[Any], Any] = str

    @property
    def env(self) -> str:
        return "EDUCLUSTER_" + self.name.upper()

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")


SETTINGS: list[Setting] = [
    Setting("host", "127.0.0.1", "address to listen on"),
    Setting("port", 8000, "port to listen on", int),
    Setting("store", None, "on-disk store directory (default: ./educluster-store)"),
    Setting("endpoint", None, "query URL of an external SPARQL 1.1 store to run over"),
    Setting("update_endpoint", None, "update URL of the external store (default: --endpoint)"),
    Setting("query_timeout", 10.0, "seconds a query may run before it is stopped", float),
    Setting("write_token", None, "bearer token that allows updates and Graph Store writes; "
            "prefer the environment variable (no token: the service is read-only)"),
    Setting("max_rows", 10000, "most result rows (or triples) a query answer carries; "
            "a cut answer has the header X-Educluster-Truncated: true", int),
    Setting("max_body_bytes", 10 * 1024 * 1024, "largest request body accepted (413 above)", int),
    Setting("validate_on_write", False, "refuse (422) a write that leaves a cluster violating "
            "a principle", flag),
    Setting("allow_remote", False, "let SPARQL SERVICE and LOAD reach other servers", flag),
    Setting("workers", 0, "worker processes answering requests (0: 2 × CPU cores + 1)", int),
    Setting("keep_alive", 2, "seconds an idle connection is kept open for the client's next "
            "request (0: a new connection for every request)", int),
    Setting("load_examples", True, "load the example clusters when the store is created", flag),
    Setting("snapshot_keep", 3, "published store snapshots kept on disk (at least 2)", int),
    Setting("snapshot_grace", 60.0, "seconds an older snapshot is kept for the readers still "
            "on it (at least twice query_timeout is used)", float),
    Setting("access_log", None, "file for the HTTP access log ('-': standard output; "
            "default: none)"),
    Setting("base_iri", "https://w3id.org/educluster/id/", "instance IRIs this service "
            "dereferences at /id/ (for a deployment under its own domain)"),
]


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    for s in SETTINGS:
        parser.add_argument(
            s.flag, dest=s.name, type=s.type, default=None,
            help=f"{s.help} (env {s.env}; default {s.default})",
        )


def resolve(args: argparse.Namespace | None = None, environ: dict[str, str] | None = None) -> dict:
    """Settings from the command line, else the environment, else the table's default."""
    environ = os.environ if environ is None else environ
    values = {}
    for s in SETTINGS:
        value = getattr(args, s.name, None) if args is not None else None
        if value is None and s.env in environ:
            try:
                value = s.type(environ[s.env])
            except (ValueError, argparse.ArgumentTypeError) as exc:
                raise InputError(
                    f"{s.env}={environ[s.env]!r} is not a valid {s.name}: {exc}"
                ) from None
        values[s.name] = s.default if value is None else value
    token = values.get("write_token")
    if isinstance(token, str) and token != token.strip():
        raise InputError(
            "the write token begins or ends with white space, which no Authorization header "
            "carries (clients and servers strip it), so no write could ever be allowed: "
            "remove the white space (or unset the token for a read-only service)"
        )
    return values
