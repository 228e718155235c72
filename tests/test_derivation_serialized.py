"""The derivation on an Oxigraph store hands each rule's triples over as N-Triples
(``engine._apply_serialized``): it must derive exactly what the rule's triples added as
Python terms derive, blank nodes and literals included, and tell the same keys."""

from __future__ import annotations

import sys

import pyoxigraph as ox
import pytest

from conftest import ROOT
from educluster.reasoning import materialize, rules
from educluster.reasoning.engine import _apply_serialized, _keys, apply_rule, plan
from educluster.store import OxigraphStore
from educluster.vocab import DATA_GRAPH_PREFIX, DERIVED_GRAPH, EC_IRI
from reasoning_cases import TBOX, Document, load_both, with_examples
from reasoning_cases import derived_terms as derived

sys.path.insert(0, str(ROOT / "bench"))

from generate import generate

DERIVED = ox.NamedNode(DERIVED_GRAPH)


class TermStore(OxigraphStore):
    """An Oxigraph store whose derived triples cross into Python as terms: the reference."""

    derives_serialized = False


def both(documents: list[Document]):
    reference, serialized = TermStore(), OxigraphStore()
    assert serialized.derives_serialized
    load_both(reference, serialized, documents)
    return reference, serialized, materialize(reference), materialize(serialized)


@pytest.fixture(scope="module")
def synthetic() -> bytes:
    """About 20,000 triples of synthetic clusters, with their deliberate defects."""
    return generate(20_000, seed=11).encode()


def test_serialized_derivation_gives_the_reference_derived_graph(synthetic):
    reference, serialized, ref_stats, stats = both(with_examples(synthetic))
    expected = derived(reference)
    assert len(expected) > 10_000
    assert derived(serialized) == expected
    assert stats.derived == ref_stats.derived == len(expected)
    assert stats.rule_runs == ref_stats.rule_runs


def test_blank_nodes_keep_their_labels_and_literals_their_form():
    """Derived triples about blank nodes (which Oxigraph's loader would relabel) and
    with literals of every kind (language, datatype, a non-canonical number, escapes)."""
    data = (TBOX + """
ex:c a ec:EducationalCluster .
[] org:member _:u ; org:organization ex:c .
_:u a ex:ResearchUniversity .
ex:k ec:partner _:u, ex:e ; ec:inCluster ex:c .
ex:e a ec:Enterprise .
ex:m org:member ex:s ; org:organization ex:c .
ex:s a ex:LaboratorySchool .
""").encode()
    reference, serialized, _, _ = both([(data, ox.RdfFormat.TURTLE, DATA_GRAPH_PREFIX + "b")])
    expected = derived(reference)
    assert any(isinstance(t.subject, ox.BlankNode) for t in expected)
    assert derived(serialized) == expected

    literals = """
@prefix ex: <http://example.org/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
ex:sub <http://www.w3.org/2000/01/rdf-schema#subPropertyOf> ex:super .
ex:a ex:sub "tab\\there \\"quoted\\"\\nnew line"@en-GB , "007"^^xsd:integer , "ünï" ,
       "x"^^ex:own , ex:b .
"""
    reference, serialized = TermStore(), OxigraphStore()
    for store in (reference, serialized):
        store.load(literals.encode(), ox.RdfFormat.TURTLE, graph=DATA_GRAPH_PREFIX + "l")
        materialize(store)
    expected = derived(reference)
    assert len([t for t in expected if t.predicate.value == "http://example.org/super"]) == 5
    assert derived(serialized) == expected


def test_each_rule_tells_the_keys_and_number_of_what_it_added(synthetic):
    """Rule by rule, on the same store state: the same count and keys as the terms."""
    reference, serialized = TermStore(), OxigraphStore()
    quads = [ox.Quad(q.subject, q.predicate, q.object, ox.NamedNode(DATA_GRAPH_PREFIX + "s"))
             for q in ox.parse(synthetic, format=ox.RdfFormat.N_TRIPLES)]
    for store in (reference, serialized):
        store.add_quads(quads)
        materialize(store)  # ontology loaded, then the derived graph emptied
        store.clear_graph(DERIVED_GRAPH)
    typed = False
    for step in plan(serialized):
        rule = step.rule.for_engine("oxigraph")
        want = {ox.Quad(t.subject, t.predicate, t.object, DERIVED)
                for t in reference.construct(rule.construct)}
        count, keys = _apply_serialized(serialized, rule)
        assert (count, keys) == (len(want), _keys(want)), rule.name
        assert apply_rule(reference, rule) == (len(want), _keys(want))
        typed = typed or any(k.startswith("type ") for k in keys)
    assert typed
    assert derived(serialized) == derived(reference)
    assert _apply_serialized(serialized, rules.MEMBERSHIP_1) == (0, set())


def test_an_ontology_default_reaches_a_blank_participant():
    data = (TBOX + "ex:k ec:partner [ a ex:ResearchUniversity ], ex:e . "
            "ex:e a ec:Enterprise .").encode()
    reference, serialized, _, _ = both([(data, ox.RdfFormat.TURTLE, DATA_GRAPH_PREFIX + "d")])
    sector = ox.NamedNode(EC_IRI + "sector")
    blank = [t for t in derived(reference)
             if isinstance(t.subject, ox.BlankNode) and t.predicate == sector]
    assert blank
    assert derived(serialized) == derived(reference)


def test_bytes_the_loader_refuses_take_the_terms_way(synthetic):
    """When Oxigraph's parser refuses what its writer gave (a term it writes but does
    not read back), the rule's triples are added as terms instead: nothing lost."""

    class Refusing:
        def __init__(self, raw: ox.Store):
            self._raw = raw
            self.refused = 0

        def __getattr__(self, name):
            return getattr(self._raw, name)

        def load(self, *args, **kwargs):
            self.refused += 1
            raise SyntaxError("refused")

    class RefusingStore(OxigraphStore):
        def __init__(self):
            super().__init__()
            self._refusing = Refusing(self._store)

        @property
        def raw(self):
            return self._refusing

    reference, refusing = TermStore(), RefusingStore()
    quads = [ox.Quad(q.subject, q.predicate, q.object, ox.NamedNode(DATA_GRAPH_PREFIX + "s"))
             for q in ox.parse(synthetic, format=ox.RdfFormat.N_TRIPLES)]
    for store in (reference, refusing):
        store.add_quads(quads)
    expected = materialize(reference)
    stats = materialize(refusing)
    assert refusing.raw.refused >= 5
    assert derived(refusing) == derived(reference)
    assert (stats.derived, stats.rule_runs) == (expected.derived, expected.rule_runs)
