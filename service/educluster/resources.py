"""Where the shipped ontology, shapes, named queries and example data live.

An installed wheel carries them under ``educluster/_resources/``; a source checkout
(editable install, or tests run from the tree) has them at the repository root.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


@cache
def resource_dir(name: str) -> Path:
    """Return the directory of a shipped resource kind: ``ontology``, ``shapes``,
    ``queries``, ``data``."""
    if name not in {"ontology", "shapes", "queries", "data"}:
        raise ValueError(f"unknown resource kind {name!r}")
    installed = _PACKAGE_DIR / "_resources" / name
    if installed.is_dir():
        return installed
    checkout = _PACKAGE_DIR.parent.parent / name
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(f"educluster resource directory {name!r} not found")


def ontology_files() -> list[Path]:
    """The ontology's Turtle files, in a stable order."""
    return sorted(resource_dir("ontology").glob("*.ttl"))


def shape_files() -> list[Path]:
    """The SHACL shapes' Turtle files, in a stable order."""
    return sorted(resource_dir("shapes").glob("*.ttl"))


def query_files() -> list[Path]:
    """The named SPARQL queries (``.rq``), in a stable order."""
    return sorted(resource_dir("queries").glob("*.rq"))


def example_files() -> list[Path]:
    """The conforming example clusters (Turtle files directly under ``data/``)."""
    return sorted(resource_dir("data").glob("*.ttl"))


def flawed_example_files() -> list[Path]:
    """The deliberately flawed examples under ``data/flawed/``."""
    return sorted((resource_dir("data") / "flawed").glob("*.ttl"))
