"""The fast paths of the derivation engine give the reference's derived graph, triple for
triple: ``ScratchStore`` (the rules as SPARQL updates over a default graph holding the
union, used by ``educluster load``) and the rules' Oxigraph forms (``Rule.for_engine``),
against the portable rules run as CONSTRUCT queries over a store's union of graphs."""

from __future__ import annotations

import sys

import pyoxigraph as ox
import pytest

from conftest import ROOT
from educluster.reasoning import materialize, rules
from educluster.reasoning.engine import ANY_TYPE, _reads_any, plan
from educluster.store import OxigraphStore
from educluster.store.oxigraph import ScratchStore
from educluster.vocab import DATA_GRAPH_PREFIX, DERIVED_GRAPH, EC_IRI
from reasoning_cases import TBOX, Document, load_both, with_examples
from reasoning_cases import derived_terms as derived

sys.path.insert(0, str(ROOT / "bench"))

from generate import generate

DERIVED = ox.NamedNode(DERIVED_GRAPH)


class PortableStore(OxigraphStore):
    """An in-memory Oxigraph store the engine runs the portable rule texts on (the ones
    remote stores get), as CONSTRUCT queries: the reference."""

    engine = "reference"


def reference_and_scratch(documents: list[Document]):
    reference, scratch = PortableStore(), ScratchStore()
    load_both(reference, scratch, documents)
    materialize(reference)
    stats = materialize(scratch)
    return reference, scratch, stats


@pytest.fixture(scope="module")
def synthetic() -> bytes:
    """About 20,000 triples of synthetic clusters, with their deliberate defects."""
    return generate(20_000, seed=7).encode()


def test_scratch_store_derives_what_the_reference_derives(synthetic):
    reference, scratch, stats = reference_and_scratch(with_examples(synthetic))
    expected = derived(reference)
    assert len(expected) > 10_000
    assert derived(scratch) == expected
    assert stats.derived == len(expected)
    # each rule's run staged exactly what it added
    staged = [ox.Triple(q.subject, q.predicate, q.object) for q in scratch.raw
              if q.graph_name.value.startswith("urn:x-educluster:scratch:derived-")]
    assert len(staged) == len(expected) and set(staged) == expected


def test_scratch_store_with_overridden_defaults_and_stated_orientations():
    """The test TBox has a default a narrower class overrides (the other defaults rule),
    and stated orientations (derived again, and kept in the derived graph)."""
    data = (TBOX + """
ex:u a ex:ResearchUniversity . ex:s a ex:LaboratorySchool . ex:e a ec:Enterprise .
ex:c a ec:EducationalCluster ; ec:orientation ec:Mixed .
ex:k1 ec:partner ex:u, ex:s ; ec:inCluster ex:c ; ec:orientation ec:Vertical .
ex:k2 ec:partner ex:s, ex:e ; ec:inCluster ex:c .
ex:r1 ec:partOfRegion ex:r2 . ex:r2 ec:partOfRegion ex:r3 .
ex:m org:member ex:u ; org:organization ex:c .
""").encode()
    reference, scratch, _ = reference_and_scratch(
        [(data, ox.RdfFormat.TURTLE, DATA_GRAPH_PREFIX + "tbox")])
    expected = derived(reference)
    sector = ox.NamedNode(EC_IRI + "sector")
    university = ox.NamedNode("http://example.org/u")
    assert ox.Triple(university, sector, ox.NamedNode(EC_IRI + "ScienceSector")) in expected
    assert derived(scratch) == expected


def test_oxigraph_forms_of_the_rules_give_the_same_solutions(synthetic):
    """Each rule with an Oxigraph form, run both ways on the same store at the point the
    engine runs it, gives the same triples."""
    store = OxigraphStore()
    store.raw.load(synthetic, format=ox.RdfFormat.N_TRIPLES,
                   to_graph=ox.NamedNode(DATA_GRAPH_PREFIX + "synthetic"))
    # the synthetic clusters are all mixed: add a vertical and a horizontal one
    store.raw.load(b"""
        @prefix ec: <https://w3id.org/educluster#> . @prefix ex: <http://example.org/> .
        ex:u a ec:HigherEducationInstitution . ex:e a ec:Enterprise .
        ex:s1 a ec:GeneralSecondarySchool . ex:s2 a ec:GeneralSecondarySchool .
        ex:kv ec:partner ex:u, ex:e ; ec:inCluster ex:vertical .
        ex:kh ec:partner ex:s1, ex:s2 ; ec:inCluster ex:horizontal .
        """, format=ox.RdfFormat.TURTLE, to_graph=ox.NamedNode(DATA_GRAPH_PREFIX + "extra"))
    materialize(store)
    orientations = {row["o"].value.rsplit("#")[-1] for row in store.select(
        f"SELECT ?o WHERE {{ GRAPH <{DERIVED_GRAPH}> {{ ?c a ?class ; <{EC_IRI}orientation> ?o }} "
        f"FILTER (?class IN (<{EC_IRI}VerticalCluster>, <{EC_IRI}HorizontalCluster>, "
        f"<{EC_IRI}MixedCluster>)) }}")}
    assert orientations == {"Vertical", "Horizontal", "Mixed"}
    fast = [rule for rule in vars(rules).values()
            if isinstance(rule, rules.Rule) and rule.oxigraph_where]
    assert fast
    for rule in fast:
        # the rule's own triples removed, so that it has them all to derive again
        store.update(_delete_rule_output(rule))
        portable = set(store.construct(rule.construct))
        oxigraph = set(store.construct(rule.for_engine("oxigraph").construct))
        assert len(portable) > 50
        assert oxigraph == portable
        subjects = sorted({t.subject.value for t in portable})
        iris = subjects[:5] + subjects[-45:]  # http://example.org/ sorts first
        assert (set(store.construct(rule.for_engine("oxigraph").scoped(iris).construct))
                == set(store.construct(rule.scoped(iris).construct)))
        # back as they were, for the rules that read them
        store.add_quads(ox.Quad(t.subject, t.predicate, t.object, DERIVED) for t in portable)


def _delete_rule_output(rule: rules.Rule) -> str:
    return (rules.PREFIXES + f"DELETE {{ GRAPH <{DERIVED_GRAPH}> {{ {rule.template} }} }} "
            f"WHERE {{ GRAPH <{DERIVED_GRAPH}> {{ {rule.template} }} }}")


def test_a_scratch_store_hands_each_rules_new_triples_over_as_they_come(synthetic):
    scratch = ScratchStore()
    scratch.raw.load(synthetic, format=ox.RdfFormat.N_TRIPLES, to_graph=scratch.asserted_node)
    handed: list[set[ox.Triple]] = []

    def on_derived(stage: str) -> None:
        handed.append({ox.Triple(q.subject, q.predicate, q.object)
                       for q in scratch.raw.quads_for_pattern(None, None, None,
                                                              ox.NamedNode(stage))})

    scratch.on_derived = on_derived
    first = materialize(scratch)
    assert len(handed) >= 5 and all(handed)
    assert set().union(*handed) == derived(scratch)
    assert sum(len(h) for h in handed) == first.derived
    again = materialize(scratch)  # from scratch again: the same derived graph
    assert again.derived == first.derived
    assert set().union(*handed[len(handed) // 2:]) == derived(scratch)


def test_copy_asserted_leaves_the_derived_graph_behind(synthetic):
    source = OxigraphStore()
    source.raw.load(synthetic, format=ox.RdfFormat.N_TRIPLES,
                    to_graph=ox.NamedNode(DATA_GRAPH_PREFIX + "synthetic"))
    source.raw.load(b"<http://e/s> <http://e/p> <http://e/o> .", format=ox.RdfFormat.N_TRIPLES)
    source.raw.load(b"_:b <http://e/p> _:c .", format=ox.RdfFormat.N_TRIPLES,
                    to_graph=ox.NamedNode("http://e/g"))
    materialize(source)
    scratch = ScratchStore()
    scratch.copy_asserted(source)
    asserted = {ox.Triple(q.subject, q.predicate, q.object)
                for q in source.raw if q.graph_name != DERIVED}
    copied = {ox.Triple(q.subject, q.predicate, q.object) for q in scratch.raw}
    assert copied == asserted  # blank nodes with their labels
    assert scratch.named_graphs() == [scratch.asserted_graph]


def test_a_type_written_reruns_only_rules_that_read_types():
    store = OxigraphStore()
    materialize(store)
    steps = {step.rule.name: step for step in plan(store)}
    assert not _reads_any(steps["membership"].reads, {ANY_TYPE})
    assert _reads_any(steps["defaults"].reads, {ANY_TYPE})
    assert _reads_any(steps["subclass"].reads, {f"type {EC_IRI}Cluster"})
