"""``educluster load`` of a large file derives in memory and writes in bulk; the result is
the one the incremental path gives (the thresholds are lowered here to keep the tests
small).  Two bulk paths: parsed quads (any format, ``_bulk_add_and_derive``) and large
N-Triples or Turtle files loaded by Oxigraph while a scratch store derives
(``_bulk_write``).
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


def _load(store, path, monkeypatch, threshold: int, *, file_bytes: int = 10**12,
          graph: str | None = GRAPH) -> set:
    monkeypatch.setenv("EDUCLUSTER_LOAD_EXAMPLES", "false")
    monkeypatch.setattr(commands, "BULK_LOAD_QUADS", threshold)
    monkeypatch.setattr(commands, "BULK_LOAD_BYTES", file_bytes)
    if file_bytes < 1000:  # and into a store of any size
        monkeypatch.setattr(commands, "_MIN_TRIPLE_BYTES", 1e-6)
    args = ["--graph", graph] if graph else []
    assert main(["load", "--store", str(store), *args, str(path)]) == 0
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


def _spy(monkeypatch, name: str) -> list:
    calls: list = []
    original = getattr(commands, name)

    def spy(*args):
        calls.append(1)
        return original(*args)

    monkeypatch.setattr(commands, name, spy)
    return calls


@pytest.mark.parametrize("graph", [GRAPH, None])
def test_bulk_file_load_gives_what_the_incremental_load_gives(
        tmp_path, data_file, monkeypatch, graph):
    incremental = _load(tmp_path / "a", data_file, monkeypatch, threshold=10**9, graph=graph)
    calls = _spy(monkeypatch, "_bulk_write")
    bulk = _load(tmp_path / "b", data_file, monkeypatch, threshold=10**9, file_bytes=1,
                 graph=graph)
    assert calls == [1]
    derived = ox.NamedNode(DERIVED_GRAPH)
    assert sum(1 for q in bulk if q.graph_name == derived) > 1000
    assert bulk == incremental


def test_bulk_file_load_resolves_turtle_against_the_file(tmp_path, monkeypatch):
    data = tmp_path / "rel.ttl"
    data.write_text(
        "@prefix ec: <https://w3id.org/educluster#> .\n"
        "<m1> <http://www.w3.org/ns/org#member> <school> ; "
        "<http://www.w3.org/ns/org#organization> <cluster> .\n"
        "<school> a ec:GeneralSecondarySchool .\n")
    calls = _spy(monkeypatch, "_bulk_write")
    quads = _load(tmp_path / "s", data, monkeypatch, threshold=10**9, file_bytes=1)
    assert calls == [1]
    base = data.resolve().as_uri().rsplit("/", 1)[0] + "/"
    has_member = ox.NamedNode("https://w3id.org/educluster#hasMember")
    assert ox.Quad(ox.NamedNode(base + "cluster"), has_member, ox.NamedNode(base + "school"),
                   ox.NamedNode(DERIVED_GRAPH)) in quads
    assert ox.Quad(ox.NamedNode(base + "school"),
                   ox.NamedNode("https://w3id.org/educluster#sector"),
                   ox.NamedNode("https://w3id.org/educluster#EducationSector"),
                   ox.NamedNode(DERIVED_GRAPH)) in quads


@pytest.mark.parametrize(("name", "text"), [
    ("blank.nt", '_:x <http://example.org/p> "7" .\n'
                 '_:x <http://www.w3.org/ns/org#member> <http://example.org/s> .\n'
                 '_:x <http://www.w3.org/ns/org#organization> <http://example.org/c> .\n'),
    ("blank.ttl", '[ <http://example.org/p> "7" ; '
                  '<http://www.w3.org/ns/org#member> <http://example.org/s> ; '
                  '<http://www.w3.org/ns/org#organization> <http://example.org/c> ] .\n'),
])
def test_bulk_file_load_with_blank_nodes_takes_the_ordinary_path(
        tmp_path, monkeypatch, name, text):
    """Oxigraph's parsers give blank nodes new labels on every parse: files with blank
    nodes are undone and loaded again by the ordinary parse, and two loads of the same
    file still make two nodes."""
    data = tmp_path / name
    data.write_text(text)
    store = tmp_path / "s"
    calls = _spy(monkeypatch, "_bulk_write")
    _load(store, data, monkeypatch, threshold=10**9, file_bytes=1)
    _load(store, data, monkeypatch, threshold=10**9, file_bytes=1)
    assert calls == [1, 1]
    reader = DiskDataset(store).reader()
    rows = reader.select("SELECT ?m WHERE { ?m <http://example.org/p> \"7\" }")
    assert len(rows) == 2 and all(isinstance(r["m"], ox.BlankNode) for r in rows)
    assert reader.ask(f"ASK {{ GRAPH <{DERIVED_GRAPH}> {{ <http://example.org/c> "
                      "<https://w3id.org/educluster#hasMember> <http://example.org/s> } }")


def test_a_bad_file_in_the_bulk_path_changes_nothing(tmp_path, data_file, monkeypatch, capsys):
    store = tmp_path / "s"
    before = _load(store, data_file, monkeypatch, threshold=10**9)
    generation = DiskDataset(store).generation
    bad = tmp_path / "bad.nt"
    bad.write_text("<http://example.org/a> <http://example.org/p> <http://example.org/b> .\n"
                   "<http://example.org/a> <http://example.org/p> .\n")
    monkeypatch.setattr(commands, "BULK_LOAD_BYTES", 1)
    monkeypatch.setattr(commands, "_MIN_TRIPLE_BYTES", 1e-6)
    calls = _spy(monkeypatch, "_bulk_write")
    assert main(["load", "--store", str(store), "--graph", GRAPH, str(bad)]) == 2
    assert calls == [1]
    assert "bad.nt, line 2" in capsys.readouterr().err
    assert DiskDataset(store).generation == generation
    after = DiskDataset(store).reader().raw
    assert {q for q in after if not isinstance(q.subject, ox.BlankNode)
            and not isinstance(q.object, ox.BlankNode)} == before
