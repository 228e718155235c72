"""The derived-knowledge tests of test_reasoning.py, run again on Virtuoso.

Every test function of test_reasoning is collected here a second time, with a
``backend`` that opens a cleared Virtuoso store (the session's private instance) and
reopens it as a new ``RemoteStore`` after every write, as a restarted service would.
"""

from __future__ import annotations

import pytest

import test_reasoning
from conftest import empty_remote_store
from educluster.store import Store
from reasoning_cases import Backend, with_tbox

# The tests, and the fixtures of that module other than the two redefined below.
for _name, _value in vars(test_reasoning).items():
    is_fixture = type(_value).__name__ == "FixtureFunctionDefinition" or hasattr(
        _value, "_pytestfixturefunction"
    )
    if _name.startswith("test_") or (is_fixture and _name not in ("backend", "store")):
        globals()[_name] = _value


class VirtuosoBackend(Backend):
    """The session's Virtuoso, cleared, holding the test TBox."""

    name = "virtuoso"

    def __init__(self, instance):
        self.instance = instance

    def open(self) -> Store:
        return with_tbox(empty_remote_store(self.instance))

    def reopen(self, store: Store) -> Store:
        return self.instance.store()


@pytest.fixture(params=[pytest.param("virtuoso", marks=pytest.mark.virtuoso)])
def backend(request) -> Backend:
    return VirtuosoBackend(request.getfixturevalue("virtuoso"))


@pytest.fixture
def store(backend):
    return backend.open()
