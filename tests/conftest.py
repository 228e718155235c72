"""Shared fixtures: paths to the project's files and to the W3C suites in ../shared/w3c."""

from __future__ import annotations

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
