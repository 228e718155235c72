"""The fast validation engine finds what plain pySHACL finds, on a synthetic graph.

The benchmark (``bench/run.py``) sets ``educluster validate`` beside pySHACL on the same
data graph and the same shapes; its speed figures mean something only if both report the
same results.  Here, on a small synthetic graph of ``bench/generate.py`` (deliberate
defects included), ``validate()`` (derivation, SHACL-SPARQL constraints in Oxigraph,
core constraints in pySHACL over the store) is compared with a plain ``pyshacl.validate``
call on an rdflib graph of the same data graph (asserted plus derived triples, as
``shacl_data_store`` hands it over) and the shipped shape files parsed by rdflib: the same
results with the same focus nodes, paths, values, shapes, constraint components, severities
and messages.  ``validate`` runs no pySHACL at all for the shipped shapes (the core shapes
compiled into Oxigraph queries, ``validation.core_constraints``; the SHACL-SPARQL ones in
Oxigraph, ``validation.sparql_constraints``): this is what keeps it honest.
"""

from __future__ import annotations

import sys
from collections import Counter

import pyoxigraph as ox
import pyshacl
import pytest
from rdflib import RDF, SH, Graph

from conftest import ROOT
from educluster.reasoning import materialize
from educluster.resources import shape_files
from educluster.store import OxigraphStore
from educluster.validation import shacl_data_store, validate
from educluster.vocab import ECSH_IRI

sys.path.insert(0, str(ROOT / "bench"))

from generate import generate

#: checked in code (articulation points of the cooperation network), not by a SHACL engine
IN_CODE = {ECSH_IRI + "FailureToleranceShape"}


def _key(severity: str, focus, shape, path, value, component, message) -> tuple:
    return (severity, str(focus), str(shape), str(path) if path is not None else None,
            str(value) if value is not None else None, str(component), message)


def _message(literals) -> str:
    """The text validate shows: the English or untagged message."""
    texts = [str(m) for m in literals if getattr(m, "language", None) in (None, "en")]
    return texts[0] if texts else "This node does not satisfy a principle shape."


@pytest.fixture(scope="module")
def synthetic():
    text = generate(2500, seed=11, defects=0.05)
    return list(ox.parse(text.encode(), format=ox.RdfFormat.N_TRIPLES))


@pytest.fixture(scope="module")
def report(synthetic):
    return validate(synthetic)


@pytest.fixture(scope="module")
def plain_pyshacl_results(synthetic):
    store = OxigraphStore()
    store.add_quads(synthetic)
    materialize(store)
    data = Graph().parse(
        data=ox.serialize(list(shacl_data_store(store)), format=ox.RdfFormat.N_TRIPLES),
        format="nt")
    shapes = Graph()
    for path in shape_files():
        shapes.parse(path)
    _conforms, results, _text = pyshacl.validate(
        data, shacl_graph=shapes, inference="none", advanced=False, allow_infos=True,
        allow_warnings=True, do_owl_imports=False)
    found = Counter()
    for node in results.subjects(RDF.type, SH.ValidationResult):
        shape = results.value(node, SH.sourceShape)
        if str(shape) in IN_CODE:
            continue
        severity = str(results.value(node, SH.resultSeverity)).rsplit("#", 1)[-1]
        found[_key(severity, results.value(node, SH.focusNode), shape,
                   results.value(node, SH.resultPath), results.value(node, SH.value),
                   results.value(node, SH.sourceConstraintComponent),
                   _message(results.objects(node, SH.resultMessage)))] += 1
    return found


def test_the_synthetic_graph_has_defects_to_find(report):
    assert report.counts["Violation"] > 0
    messages = {r.message for r in report.results if r.severity == "Violation"}
    assert any("exactly two different partners" in m for m in messages)
    assert any("not located in the cluster's region" in m for m in messages)


def test_validate_gives_plain_pyshacls_results(report, plain_pyshacl_results):
    ours = Counter(
        _key(r.severity, r.focus_node, r.source_shape, r.result_path, r.value, r.component,
             r.message)
        for r in report.results if str(r.source_shape) not in IN_CODE
    )
    assert sum(plain_pyshacl_results.values()) > 0
    components = {key[5].rsplit("#", 1)[-1] for key in plain_pyshacl_results}
    # both of validate's own routes are compared: compiled core shapes and SHACL-SPARQL
    assert {"MinCountConstraintComponent", "SPARQLConstraintComponent"} <= components
    assert ours - plain_pyshacl_results == Counter(), "found by validate only"
    assert plain_pyshacl_results - ours == Counter(), "found by pySHACL only"


def test_generator_is_deterministic():
    assert generate(3000, seed=5) == generate(3000, seed=5)
    assert generate(3000, seed=5) != generate(3000, seed=6)
    assert generate(3000, seed=5, defects=0.0) != generate(3000, seed=5, defects=0.5)


def test_the_shapes_queries_in_threads_give_the_report_of_one_thread(synthetic, report,
                                                                      monkeypatch):
    """The compiled shapes and the SHACL-SPARQL constraints run side by side in threads
    (``validation.SHAPE_THREADS``); the report, down to the order of its results, is the
    one a single thread gives."""
    import educluster.validation as validation

    monkeypatch.setattr(validation, "SHAPE_THREADS", 4)
    threaded = validate(synthetic)
    monkeypatch.setattr(validation, "SHAPE_THREADS", 1)
    one = validate(synthetic)
    assert threaded.to_json() == one.to_json() == report.to_json()
    assert len(one.results) > 100
