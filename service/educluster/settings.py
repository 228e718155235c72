"""Service settings as data: one table of (name, default, help), read from the command
line and from ``EDUCLUSTER_*`` environment variables.  The table feeds ``serve --help``
and the README's settings section."""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    help: str
    type: type = str

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
            value = s.type(environ[s.env])
        values[s.name] = s.default if value is None else value
    return values
