"""What the page tests share: the example data plus some flawed examples, in one store."""

from __future__ import annotations

from educluster.bootstrap import load_initial_content
from educluster.dataset import MemoryDataset
from educluster.reasoning import materialize
from educluster.resources import flawed_example_files
from educluster.store import OxigraphStore
from educluster.store.base import rdf_format_for
from educluster.vocab import DATA_GRAPH_PREFIX

TASHKENT = "https://w3id.org/educluster/id/tashkent-teacher-education-cluster"
#: flawed examples loaded beside the conforming ones: a single point of failure, a
#: leadership violation
FLAWED = ("failure-tolerance", "leadership")


def flawed_path(name: str):
    for path in flawed_example_files():
        if path.stem == name:
            return path
    raise LookupError(f"no flawed example {name!r}")


def example_dataset(flawed: tuple[str, ...] = FLAWED) -> MemoryDataset:
    """The shipped examples (as ``create_app()`` loads them) and the named flawed ones,
    each in a graph of its own, with derived knowledge."""
    store = OxigraphStore()
    load_initial_content(store, derive=False)
    for name in flawed:
        path = flawed_path(name)
        store.load(path.read_bytes(), rdf_format_for(path),
                   graph=DATA_GRAPH_PREFIX + "flawed-" + name, source=str(path))
    materialize(store)
    return MemoryDataset(store)
