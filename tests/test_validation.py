"""The validation library: examples, report forms, merging, forms, failure tolerance, shapes."""

from __future__ import annotations

import gc
import json
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import RDF, RDFS, SH, Graph, Literal, URIRef

from educluster.errors import InputError
from educluster.resources import example_files, resource_dir
from educluster.validation import shapes_graph, validate, validate_files
from educluster.validation.failure_tolerance import articulation_points
from educluster.vocab import EC, EC_IRI

DATA = resource_dir("data")
TASHKENT = DATA / "tashkent-teacher-education.ttl"
CASES = Path(__file__).resolve().parent / "validation_cases"
ID = "https://w3id.org/educluster/id/"

#: The ec:principle values of DESIGN.md, "Principle shapes".
PRINCIPLES = {
    "Regionalization", "Leadership", "Interdependence", "Specialization", "Subordination",
    "EqualComponents", "FailureTolerance", "PurposefulConnection", "PrivateInterest",
    "SpecificGoals", "UnityOfEntities", "RelationTypology", "Coordination",
    "PilotBeforeDissemination", "OntologyConsistency",
}


@pytest.fixture(scope="module")
def tashkent_report():
    return validate_files([str(TASHKENT)])


# ---------------------------------------------------------------- the examples

def test_there_are_examples():
    assert len(example_files()) >= 5


@pytest.mark.parametrize("path", example_files(), ids=lambda p: p.stem)
def test_conforming_example_validates_clean(path):
    report = validate_files([str(path)])
    violations = [r for r in report.results if r.severity == "Violation"]
    assert report.conforms and not violations, report.to_text()
    assert report.clusters, "every example has a cluster"
    for summary in report.clusters.values():
        assert summary.orientation in {EC_IRI + "Vertical", EC_IRI + "Horizontal",
                                       EC_IRI + "Mixed"}
        assert summary.explanation


def test_all_examples_together_conform():
    report = validate_files([str(p) for p in example_files()])
    assert report.conforms, report.to_text()
    assert len(report.clusters) >= len(example_files())


def test_tashkent_orientation_and_explanation(tashkent_report):
    cluster = ID + "tashkent-teacher-education-cluster"
    summary = tashkent_report.clusters[cluster]
    assert summary.orientation == EC_IRI + "Vertical"
    assert "vertical" in summary.explanation
    assert summary.label == "Innovative cluster of teacher education of the Tashkent region"


# ---------------------------------------------------------------- the report forms

@pytest.fixture(scope="module")
def flawed_path(tmp_path_factory) -> Path:
    """A member outside the region (a violation) and no specific goal (a warning)."""
    text = (CASES / "regionalization-member-outside.ttl").read_text()
    text = text.replace("id:m-school ec:specificGoal id:own-goal .", "")
    path = tmp_path_factory.mktemp("flawed") / "flawed.ttl"
    path.write_text(text)
    return path


@pytest.fixture
def flawed_report(flawed_path):
    return validate_files([str(flawed_path)])


def test_json_report_has_the_fields_of_the_design(flawed_report):
    report = json.loads(flawed_report.to_json())
    assert set(report) == {"conforms", "counts", "results", "clusters"}
    assert report["conforms"] is False
    assert report["counts"] == {"Violation": 1, "Warning": 1, "Info": 0}
    required = {"severity", "principle", "focusNode", "resultPath", "value", "message",
                "sourceShape"}
    for result in report["results"]:
        assert required <= set(result)
    first = report["results"][0]
    assert first["severity"] == "Violation"
    assert first["principle"] == EC_IRI + "Regionalization"
    assert first["focusNode"] == ID + "school"
    assert first["resultPath"] == EC_IRI + "locatedIn"
    assert first["value"] == ID + "elsewhere"
    assert first["sourceShape"] == "https://w3id.org/educluster/shapes#MemberInClusterRegionShape"
    assert "region" in first["message"]
    assert report["clusters"][ID + "c"]["orientation"] == EC_IRI + "Vertical"
    assert report["clusters"][ID + "c"]["explanation"]


def test_text_report_groups_by_principle_names_participants_and_ends_with_verdict(
        flawed_report):
    text = flawed_report.to_text()
    lines = text.rstrip("\n").splitlines()
    assert lines[-2].startswith("Verdict: DOES NOT CONFORM: 1 violation, 1 warning")
    assert lines[-1] == "Orientation of Test cluster: vertical (all 3 cooperations are vertical)"
    regionalization = lines.index("Regionalization: 1 violation")
    assert lines[regionalization + 1] == "  [Violation] School No. 1"
    assert "Specific goals: 1 warning" in lines
    assert "Leadership: ok" in lines
    # grouped in the order of the principles
    assert lines.index("Leadership: ok") > regionalization


def test_text_verdict_when_it_conforms(tashkent_report):
    lines = tashkent_report.to_text().rstrip("\n").splitlines()
    assert lines[-2] == "Verdict: CONFORMS: a sound cluster definition."
    assert lines[-1].startswith("Orientation of Innovative cluster of teacher education")


def test_turtle_report_is_a_standard_validation_report(flawed_report):
    report = flawed_report
    g = Graph().parse(data=report.to_turtle(), format="turtle")
    node = g.value(predicate=RDF.type, object=SH.ValidationReport)
    assert g.value(node, SH.conforms) == Literal(False)
    results = list(g.objects(node, SH.result))
    assert len(results) == 2
    for r in results:
        assert g.value(r, EC.principle) in {EC.Regionalization, EC.SpecificGoals}
        assert g.value(r, SH.resultSeverity) in {SH.Violation, SH.Warning}
        assert g.value(r, SH.focusNode) is not None and g.value(r, SH.resultMessage)
        assert g.value(r, SH.sourceShape) is not None
    jsonld = list(ox.parse(report.to_jsonld().encode(), format=ox.RdfFormat.JSON_LD))
    assert len(jsonld) == len(g)


# ---------------------------------------------------------------- inputs

def test_forms_validate_exactly_like_the_turtle_example(tashkent_report):
    expected = tashkent_report.to_dict()
    yaml_report = validate_files([str(DATA / "forms" / "tashkent.yaml")])
    sheets = sorted((DATA / "forms" / "tashkent").glob("*.csv"))
    csv_report = validate_files([str(p) for p in sheets])
    assert yaml_report.to_dict() == expected
    assert csv_report.to_dict() == expected


def test_several_files_are_one_definition(tmp_path):
    """The cluster in one file, its members in another: neither conforms alone."""
    lines = (CASES / "conforming-minimal.ttl").read_text().splitlines()
    prefixes = [line for line in lines if line.startswith("@prefix")]
    body = [line for line in lines if line and not line.startswith(("@prefix", "#", "<>"))]
    cluster_part = [line for line in body if line.startswith("id:c ")]
    rest = [line for line in body if not line.startswith("id:c ")]
    (tmp_path / "cluster.ttl").write_text("\n".join(prefixes + cluster_part) + "\n")
    (tmp_path / "members.ttl").write_text("\n".join(prefixes + rest) + "\n")
    both = validate_files([str(tmp_path / "cluster.ttl"), str(tmp_path / "members.ttl")])
    assert both.conforms and not both.results, both.to_text()
    assert not validate_files([str(tmp_path / "cluster.ttl")]).conforms
    with pytest.raises(InputError, match="no cluster"):
        validate_files([str(tmp_path / "members.ttl")])


def test_no_cluster_is_bad_input():
    quads = [ox.Quad(ox.NamedNode(ID + "s"), ox.NamedNode(str(RDF.type)),
                     ox.NamedNode(EC_IRI + "GeneralSecondarySchool"))]
    with pytest.raises(InputError, match="no cluster found"):
        validate(quads)


def test_a_kind_of_cluster_is_a_cluster():
    quads = [ox.Quad(ox.NamedNode(ID + "h"), ox.NamedNode(str(RDF.type)),
                     ox.NamedNode(EC_IRI + "EducationalHolding"))]
    report = validate(quads)
    assert not report.conforms
    assert any(r.source_shape == URIRef("https://w3id.org/educluster/shapes#ClusterRegionShape")
               for r in report.results)


def test_rdflib_graph_input():
    g = Graph().parse(CASES / "leadership-no-leader.ttl", format="turtle")
    report = validate(g)
    assert {str(r.principle) for r in report.results} >= {EC_IRI + "Leadership"}


def test_data_in_named_graphs_is_validated(tmp_path):
    path = CASES / "subordination-no-indicator.ttl"
    quads = list(ox.parse(path=str(path), base_iri=path.as_uri()))
    g = ox.NamedNode("http://example.org/graph")
    report = validate([ox.Quad(q.subject, q.predicate, q.object, g) for q in quads])
    assert any(r.principle == EC.Subordination for r in report.results)


# ---------------------------------------------------------------- failure tolerance

@pytest.mark.parametrize(("edges", "expected"), [
    ([("a", "b")], set()),
    ([("a", "b"), ("b", "c")], {"b"}),
    ([("a", "b"), ("b", "c"), ("c", "a")], set()),
    ([("a", "b"), ("b", "c"), ("c", "a"), ("c", "d"), ("d", "e"), ("e", "c")], {"c"}),
    ([("a", "b"), ("c", "d")], set()),
    ([("a", "b"), ("b", "c"), ("c", "d")], {"b", "c"}),
    ([("hub", x) for x in "abcd"], {"hub"}),
])
def test_articulation_points(edges, expected):
    assert articulation_points(edges) == expected


def test_articulation_points_of_a_long_chain_need_no_recursion():
    n = 20000
    chain = [(i, i + 1) for i in range(n)]
    assert articulation_points(chain) == set(range(1, n))
    ring = [*chain, (n, 0)]
    assert articulation_points(ring) == set()


# ---------------------------------------------------------------- the shapes themselves

def test_shapes_are_valid_shacl():
    import pyshacl

    conforms, _graph, text = pyshacl.validate(shapes_graph(), shacl_graph=shapes_graph(),
                                              meta_shacl=True, inference="none")
    assert conforms, text


def test_every_shape_names_its_principle_severity_message_and_label():
    g = shapes_graph()
    shapes = set(g.subjects(RDF.type, SH.NodeShape)) | set(g.subjects(RDF.type, SH.PropertyShape))
    assert len(shapes) >= 25
    for shape in shapes:
        principle = g.value(shape, EC.principle)
        assert principle is not None and str(principle)[len(EC_IRI):] in PRINCIPLES, shape
        assert g.value(shape, SH.severity) in {SH.Violation, SH.Warning}, shape
        messages = [m for m in g.objects(shape, SH.message) if m.language == "en"]
        assert messages and len(str(messages[0])) > 40, shape
        assert g.value(shape, RDFS.label) is not None and g.value(shape, RDFS.comment), shape


def test_warnings_are_the_rules_marked_w_in_the_design():
    g = shapes_graph()
    warnings = {str(g.value(s, EC.principle))[len(EC_IRI):]
                for s in g.subjects(SH.severity, SH.Warning)}
    assert warnings == {"SpecificGoals", "FailureTolerance", "RelationTypology", "Coordination"}
    # the relation typology has both: stated orientations are violations
    violations = {str(g.value(s, EC.principle))[len(EC_IRI):]
                  for s in g.subjects(SH.severity, SH.Violation)}
    assert {"RelationTypology", "PrivateInterest", "PilotBeforeDissemination"} <= violations


def test_shapes_are_parsed_once():
    assert shapes_graph() is shapes_graph()


# ---------------------------------------------------------------- HermiT

@pytest.mark.java
def test_owl_consistency_problems_are_violations(tmp_path):
    path = tmp_path / "two-kinds.ttl"
    path.write_text((CASES / "conforming-minimal.ttl").read_text()
                    + "\nid:school a ec:Enterprise .\n")
    plain = validate_files([str(path)])
    assert not any(r.principle == EC.OntologyConsistency for r in plain.results)
    report = validate_files([str(path)], owl=True)
    problems = [r for r in report.results if r.principle == EC.OntologyConsistency]
    assert problems and all(r.severity == "Violation" for r in problems)
    assert any(r.focus_node == URIRef(ID + "school") for r in problems)
    assert not report.conforms
    assert "Consistency with the ontology" in report.to_text() or "onsistency" in report.to_text()


# ---------------------------------------------------------------- the two engines agree

def _engine_inputs() -> list[Path]:
    from educluster.resources import flawed_example_files

    return sorted(CASES.glob("*.ttl")) + example_files() + flawed_example_files()


@pytest.mark.parametrize("path", _engine_inputs(), ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_sparql_constraints_on_the_store_give_pyshacls_results(path):
    """The default engine runs SHACL-SPARQL in Oxigraph; pySHACL alone is the reference."""
    quads = list(ox.parse(path=str(path), base_iri=path.resolve().as_uri()))
    assert validate(quads, engine="store").to_dict() == validate(quads, engine="pyshacl").to_dict()


def test_engines_agree_on_a_synthetic_graph():
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
    from generate import generate

    quads = list(ox.parse(generate(3000, seed=3).encode(), format=ox.RdfFormat.N_TRIPLES))
    fast = validate(quads, engine="store")
    assert fast.counts["Violation"] > 0 and fast.counts["Warning"] > 0
    assert fast.to_dict() == validate(quads, engine="pyshacl").to_dict()


def test_unknown_engine():
    with pytest.raises(ValueError, match="unknown validation engine"):
        validate([], engine="jena")


def test_a_failing_shape_query_in_a_thread_fails_with_its_own_error(monkeypatch):
    """A task that fails while it reads a query's solutions, in one of the shapes' threads:
    the caller gets that error (pyoxigraph refuses to drop the solutions in another
    thread, which would replace it with its own)."""
    import educluster.validation as validation

    store = ox.Store()
    store.add(ox.Quad(ox.NamedNode("http://example.org/a"), ox.NamedNode("http://example.org/p"),
                      ox.Literal("1")))

    def failing():
        solutions = store.query("SELECT ?s WHERE { ?s ?p ?o }")  # held by the frame
        for _row in solutions:
            raise RuntimeError("the shape's query failed")
        return []

    unraisable = []
    monkeypatch.setattr(sys, "unraisablehook", unraisable.append)
    monkeypatch.setattr(validation, "SHAPE_THREADS", 2)
    for _ in range(3):
        try:
            validation._in_threads([failing, failing, lambda: []])
        except RuntimeError as exc:
            error = exc
        assert "the shape's query failed" in str(error)
        del error  # dropped here, in this thread, with whatever its frames held
        gc.collect()
    assert [str(u.exc_value) for u in unraisable] == []
