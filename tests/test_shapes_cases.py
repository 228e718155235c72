"""Data-driven tests of the principle shapes: one file per case in tests/validation_cases/.

Each case file holds the cluster definition and, in the test-only namespace ``ect:``, the
results expected from it: ``[] a ect:Expectation; ect:principle ...; ect:severity ...;
ect:focusNode ...; ect:sourceShape ...`` (the shape is optional), or ``<> ect:expectsNoResult
true`` for a case that must validate without any result.  The results must be exactly the
expected ones: no result missing, none extra.
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from educluster.resources import flawed_example_files
from educluster.validation import validate
from educluster.vocab import EC_IRI

CASES = Path(__file__).resolve().parent / "validation_cases"
ECT = "https://w3id.org/educluster/test#"
SH = "http://www.w3.org/ns/shacl#"


def read_case(path: Path) -> tuple[list[ox.Quad], set[tuple], set[tuple], bool]:
    """(data quads, expected (principle, severity, focus), expected shapes, expects none)."""
    quads = list(ox.parse(path=str(path), base_iri=path.resolve().as_uri()))
    test_nodes = {q.subject for q in quads if q.predicate.value.startswith(ECT)
                  or q.object == ox.NamedNode(ECT + "Expectation")}
    data = [q for q in quads if q.subject not in test_nodes]
    by_node: dict = {}
    for q in quads:
        if q.subject in test_nodes:
            by_node.setdefault(q.subject, {})[q.predicate.value] = q.object
    expected, shapes, none = set(), set(), False
    for props in by_node.values():
        if props.get(ECT + "expectsNoResult") is not None:
            none = True
        if ECT + "principle" in props:
            key = (props[ECT + "principle"].value, props[ECT + "severity"].value,
                   props[ECT + "focusNode"].value)
            expected.add(key)
            if ECT + "sourceShape" in props:
                shapes.add((*key, props[ECT + "sourceShape"].value))
    return data, expected, shapes, none


def actual(report) -> tuple[set[tuple], set[tuple]]:
    keys = {(str(r.principle), SH + r.severity, str(r.focus_node)) for r in report.results}
    shapes = {(*k, str(r.source_shape)) for k, r in
              ((((str(r.principle), SH + r.severity, str(r.focus_node))), r)
               for r in report.results)}
    return keys, shapes


CASE_FILES = sorted(CASES.glob("*.ttl"))


@pytest.mark.parametrize("path", CASE_FILES, ids=[p.stem for p in CASE_FILES])
def test_case(path: Path):
    data, expected, expected_shapes, expects_none = read_case(path)
    assert expected or expects_none, f"{path.name} states no expectation"
    report = validate(data)
    keys, shapes = actual(report)
    assert keys == expected, report.to_text()
    assert expected_shapes <= shapes
    assert report.conforms == (not any(sev == SH + "Violation" for _, sev, _ in expected))


def test_every_rule_has_a_violating_and_a_conforming_case():
    """At least one case breaks each shape, and each principle has a conforming case."""
    from educluster.validation import shapes_graph

    shape_iris = {
        str(s) for s, _ in shapes_graph().subject_objects(
            __import__("rdflib").URIRef(EC_IRI + "principle"))
    }
    broken, conforming_principles = set(), set()
    for path in CASE_FILES:
        _data, _expected, shapes, none = read_case(path)
        broken |= {s[3] for s in shapes}
        if none:
            conforming_principles.add(path.stem.split("-")[0])
    # Ontology consistency is checked by HermiT (tests of --owl), not by these cases.
    missing = shape_iris - broken - {"https://w3id.org/educluster/shapes#OntologyConsistencyShape"}
    assert not missing, f"no case breaks {sorted(missing)}"
    for prefix in ("regionalization", "leadership", "failure", "typology", "pilot"):
        assert prefix in conforming_principles, f"no conforming case for {prefix}"


@pytest.mark.parametrize("path", flawed_example_files(), ids=lambda p: p.stem)
def test_flawed_example_breaks_the_principle_it_names(path: Path):
    quads = list(ox.parse(path=str(path)))
    named = {q.object.value for q in quads if q.predicate.value == EC_IRI + "breaksPrinciple"}
    assert named, f"{path.name} names no principle (ec:breaksPrinciple)"
    report = validate(quads)
    found = {str(r.principle) for r in report.results}
    assert named <= found, report.to_text()
    # "Except for the one defect, each flawed example satisfies every other rule."
    assert found == named, report.to_text()


def test_there_are_flawed_examples():
    assert len(flawed_example_files()) >= 10
