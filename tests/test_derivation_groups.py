"""Independent groups of rules side by side (``engine._independent``, in threads on the
in-memory store): the groups the shipped ontology gives, a user's axiom that joins two,
and the same derived graph as the rules one after the other, on every example, on a
synthetic graph with defects and (in test_reasoning_properties) under random axioms."""

from __future__ import annotations

import sys

import pyoxigraph as ox
import pytest

from conftest import ROOT
from educluster.reasoning import engine, materialize
from educluster.resources import example_files
from educluster.store import OxigraphStore
from educluster.store.oxigraph import ScratchStore
from reasoning_cases import DATA_GRAPH, PREFIXES, derived_terms

sys.path.insert(0, str(ROOT / "bench"))

from generate import generate


def names(groups) -> list[list[str]]:
    return [[step.rule.name for step in group] for group in groups]


def one_after_the_other(store, monkeypatch) -> set[ox.Triple]:
    with monkeypatch.context() as m:
        m.setattr(engine, "_independent", lambda steps: [steps])
        materialize(store)
    return derived_terms(store)


def test_the_shipped_ontology_gives_three_groups():
    store = OxigraphStore()
    engine.ensure_ontology(store)
    assert names(engine._independent(engine.plan(store))) == [
        ["membership", "membership", "subproperty", "inverse"],
        ["transitive"],
        ["subclass", "defaults", "cooperation-orientation", "cluster-orientation",
         "orientation-classes"],
    ]


def test_a_users_axiom_from_one_group_into_another_joins_them():
    """Memberships that give a field: R1 reads what the membership group writes."""
    store = OxigraphStore()
    engine.ensure_ontology(store)
    store.load(PREFIXES + "ec:memberOf rdfs:subPropertyOf ec:field .", ox.RdfFormat.TURTLE,
               graph=DATA_GRAPH, source="axiom")
    groups = names(engine._independent(engine.plan(store)))
    assert len(groups) == 2 and ["transitive"] in groups
    joined = next(g for g in groups if g != ["transitive"])
    assert joined.index("subproperty") < joined.index("cooperation-orientation")


def test_a_rule_that_derives_class_axioms_joins_the_class_closure():
    """The subclass rule reads the class axioms as it runs: a subproperty of
    rdfs:subClassOf puts the rule that derives them in its group, before it."""
    store = OxigraphStore()
    engine.ensure_ontology(store)
    store.load(PREFIXES + "ex:narrowerThan rdfs:subPropertyOf rdfs:subClassOf .",
               ox.RdfFormat.TURTLE, graph=DATA_GRAPH, source="axiom")
    groups = names(engine._independent(engine.plan(store)))
    closure = next(g for g in groups if "subclass" in g)
    assert closure.index("subproperty") < closure.index("subclass")


def test_only_the_in_memory_store_derives_in_threads(tmp_path):
    assert OxigraphStore().derives_in_threads
    assert not OxigraphStore(tmp_path / "store").derives_in_threads
    assert not ScratchStore().derives_in_threads


@pytest.mark.parametrize("path", example_files(), ids=lambda p: p.name)
def test_side_by_side_derives_what_one_after_the_other_derives(path, monkeypatch):
    store = OxigraphStore()
    store.load(path.read_bytes(), ox.RdfFormat.TURTLE, graph=DATA_GRAPH, source=str(path))
    monkeypatch.setattr(engine, "DERIVE_THREADS", 4)
    materialize(store)
    side_by_side = derived_terms(store)
    assert side_by_side and one_after_the_other(store, monkeypatch) == side_by_side


def test_the_same_on_a_synthetic_graph_with_defects(monkeypatch):
    store = OxigraphStore()
    store.load(generate(20_000, seed=3, defects=0.05).encode(), ox.RdfFormat.N_TRIPLES,
               graph=DATA_GRAPH, source="synthetic")
    monkeypatch.setattr(engine, "DERIVE_THREADS", 4)
    stats = materialize(store)
    side_by_side = derived_terms(store)
    assert stats.derived == len(side_by_side) > 10_000
    assert one_after_the_other(store, monkeypatch) == side_by_side


def test_a_failing_group_raises_its_own_error(monkeypatch):
    store = OxigraphStore()
    engine.ensure_ontology(store)

    def failing(store, steps, scope=None):
        if steps[0].rule.name == "transitive":
            raise RuntimeError("the transitive group failed")
        return original(store, steps, scope)

    original = engine._run
    monkeypatch.setattr(engine, "_run", failing)
    with pytest.raises(RuntimeError, match="the transitive group failed"):
        materialize(store)
