"""``educluster load`` of a large file derives in memory and writes in bulk; the result is
the one the incremental path gives (the threshold is lowered here to keep the test small).
"""

from __future__ import annotations

import sys

import pyoxigraph as ox
import pytest

from conftest import ROOT
from educluster import commands
from educluster.cli import main
from educluster.server import DiskDataset
from educluster.vocab import DERIVED_GRAPH

sys.path.insert(0, str(ROOT / "bench"))

from generate import generate

GRAPH = "https://w3id.org/educluster/graph/bench"


def _load(store, path, monkeypatch, threshold: int) -> set:
    monkeypatch.setenv("EDUCLUSTER_LOAD_EXAMPLES", "false")
    monkeypatch.setattr(commands, "BULK_LOAD_QUADS", threshold)
    assert main(["load", "--store", str(store), "--graph", GRAPH, str(path)]) == 0
    reader = DiskDataset(store).reader().raw
    return {
        q for q in reader
        if not isinstance(q.subject, ox.BlankNode) and not isinstance(q.object, ox.BlankNode)
    }


@pytest.fixture(scope="module")
def data_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("bulk") / "data.nt"
    path.write_text(generate(3000, seed=4))
    return path


def test_bulk_load_gives_what_the_incremental_load_gives(tmp_path, data_file, monkeypatch):
    incremental = _load(tmp_path / "a", data_file, monkeypatch, threshold=10**9)
    calls = []
    original = commands._bulk_add_and_derive
    monkeypatch.setattr(commands, "_bulk_add_and_derive",
                        lambda *a: calls.append(1) or original(*a))
    bulk = _load(tmp_path / "b", data_file, monkeypatch, threshold=100)
    assert calls == [1]
    derived = ox.NamedNode(DERIVED_GRAPH)
    assert sum(1 for q in bulk if q.graph_name == derived) > 1000
    assert bulk == incremental


def test_a_small_load_into_a_large_store_stays_incremental(tmp_path, data_file, monkeypatch):
    store = tmp_path / "s"
    _load(store, data_file, monkeypatch, threshold=10**9)
    extra = tmp_path / "extra.nt"
    extra.write_text(
        "<https://w3id.org/educluster/id/cluster-1/bulk-cooperation> "
        "<https://w3id.org/educluster#inCluster> <https://w3id.org/educluster/id/cluster-1> .\n")
    monkeypatch.setattr(commands, "_bulk_add_and_derive",
                        lambda *a: pytest.fail("a one-triple load took the bulk path"))
    after = _load(store, extra, monkeypatch, threshold=1)
    assert any(q.subject.value.endswith("bulk-cooperation") for q in after)
