"""validate's fast paths give the reference path's results, field for field.

* ``core_constraints``: the simple core shapes compiled into Oxigraph queries, compared with
  pySHACL (``check_shapes(engine="pyshacl")``) on the same Oxigraph data graph: every shipped
  example, flawed example and validation case, the synthetic graph with defects, hand-made
  edge cases (ill-typed literals, literal values of ``sh:class``, subclasses, repeated
  values, deactivated shapes, severities, shapes left to pySHACL) and the W3C SHACL core
  cases whose shapes it compiles;
* ``explain.cluster_reasons``: every cluster's reason at once, compared with
  ``explain_cluster`` one cluster at a time.
"""

from __future__ import annotations

import sys
from collections import Counter

import pyoxigraph as ox
import pytest
from rdflib import SH, Graph

from conftest import ROOT
from educluster.importers import read_definition
from educluster.reasoning import ensure_ontology, explain_cluster, materialize
from educluster.reasoning.explain import cluster_reasons
from educluster.resources import example_files, flawed_example_files
from educluster.store import OxigraphStore
from educluster.validation import (
    _prepare_for_shapes,
    _split_shapes,
    check_shapes,
    core_constraints,
    shapes_graph,
)
from educluster.vocab import ECSH_IRI

sys.path.insert(0, str(ROOT / "bench"))

from generate import generate

CASES = sorted((ROOT / "tests" / "validation_cases").glob("*.ttl"))
DEFINITIONS = [*example_files(), *flawed_example_files(), *CASES]

#: the shipped shapes made only of what core_constraints compiles
COMPILED_CORE = {
    "ClusterRegionShape", "ClusterRegionIsRegionShape", "ClusterLedByShape",
    "LeaderIsPublicAuthorityShape", "ClusterCommonGoalShape", "ClusterTwoMembersShape",
    "CooperationTwoPartnersShape", "CooperationInOneClusterShape", "ClusterObjectiveShape",
    "ObjectiveIndicatorShape", "ObjectiveDeadlineShape",
}


def _same(term):
    """RDF 1.1: a simple literal is an xsd:string (rdflib tells them apart)."""
    from rdflib import XSD, Literal

    if isinstance(term, Literal) and term.datatype == XSD.string:
        return Literal(str(term))
    return term


def _fields(results) -> Counter:
    return Counter(
        (r.severity, str(r.principle), _same(r.focus_node), r.message, r.source_shape,
         r.result_path, _same(r.value), r.component)
        for r in results
    )


def _data_graph(quads):
    store = OxigraphStore()
    store.add_quads(quads)
    ensure_ontology(store)
    materialize(store)
    return store, _prepare_for_shapes(store)


def _both(data, shapes=None) -> tuple[Counter, Counter]:
    return (_fields(check_shapes(data, shapes, engine="store")),
            _fields(check_shapes(data, shapes, engine="pyshacl")))


def _only_core(shapes: Graph) -> Graph:
    """The shapes graph without the SHACL-SPARQL constraints (which pySHACL would run one
    focus node at a time: slow on the synthetic graph, and compared elsewhere)."""
    out = Graph()
    sparql_nodes = set(shapes.objects(None, SH.sparql))
    for triple in shapes:
        if triple[1] != SH.sparql and triple[0] not in sparql_nodes:
            out.add(triple)
    return out


def test_the_shipped_core_shapes_are_all_compiled():
    core, _constraints, compiled = _split_shapes(shapes_graph())
    names = {str(c.shape).removeprefix(ECSH_IRI) for c in compiled if c.checks}
    assert names == COMPILED_CORE
    # what is left for pySHACL has no shape: validate does not call pySHACL at all
    assert not core_constraints.has_shapes(core)


@pytest.mark.parametrize("path", DEFINITIONS, ids=[p.name for p in DEFINITIONS])
def test_compiled_shapes_give_pyshacls_results_on_every_definition(path):
    _store, data = _data_graph(read_definition([path]))
    ours, reference = _both(data)
    assert ours == reference


def _more_defects(quads: list[ox.Quad]) -> list[ox.Quad]:
    """Defects the generator does not make, on every third cluster, objective or leader: a
    second region (not an ec:Region), a second and ill-typed deadline, a cooperation in a
    second cluster, a leader that is not a public authority."""
    ec = "https://w3id.org/educluster#"
    extra = []
    seen: Counter = Counter()
    for q in quads:
        p = q.predicate.value.removeprefix(ec)
        seen[p] += 1
        if seen[p] % 3:
            continue
        if p == "region":
            extra.append(ox.Quad(q.subject, q.predicate, ox.NamedNode(q.object.value + "x")))
        elif p == "deadline":
            extra.append(ox.Quad(q.subject, q.predicate, ox.Literal(
                "2026-13-45", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#date"))))
        elif p == "inCluster":
            extra.append(ox.Quad(q.subject, q.predicate, ox.NamedNode(ec + "elsewhere")))
        elif p == "ledBy":
            extra.append(ox.Quad(q.object, ox.NamedNode(
                "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
                ox.NamedNode(ec + "Enterprise")))
            extra.append(ox.Quad(q.subject, q.predicate, ox.Literal("the mayor")))
    return quads + extra


def test_compiled_shapes_give_pyshacls_results_on_the_synthetic_graph():
    quads = list(ox.parse(generate(6000, seed=3, defects=0.2).encode(),
                          format=ox.RdfFormat.N_TRIPLES))
    _store, data = _data_graph(_more_defects(quads))
    shapes = _only_core(shapes_graph())
    ours, reference = _both(data, shapes)
    components = {key[-1] for key in reference}
    # the defects exercise the compiled counts (and the graph is not trivially conforming)
    assert SH.MinCountConstraintComponent in components
    assert SH.MaxCountConstraintComponent in components
    assert SH.ClassConstraintComponent in components
    assert SH.DatatypeConstraintComponent in components
    assert ours == reference


EDGE_SHAPES = """
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix ex: <http://example.org/> .

ex:Dates a sh:PropertyShape ;
    sh:targetClass ex:Thing ;
    sh:path ex:date ;
    sh:minCount 1 ;
    sh:maxCount 2 ;
    sh:datatype xsd:date ;
    sh:message "dates"@en, "Daten"@de .

ex:Strings a sh:PropertyShape ;
    sh:targetSubjectsOf ex:name ;
    sh:path ex:name ;
    sh:datatype xsd:string ;
    sh:severity sh:Warning ;
    sh:message "strings" .

ex:Classes a sh:PropertyShape ;
    sh:targetClass ex:Thing ;
    sh:path ex:partner ;
    sh:class ex:Partner ;
    sh:severity sh:Info ;
    sh:message "partners" .

ex:Objects a sh:NodeShape ;
    sh:targetObjectsOf ex:partner ;
    sh:targetNode ex:lonely ;
    sh:class ex:Partner ;
    sh:message "objects" .

ex:Off a sh:PropertyShape ;
    sh:targetClass ex:Thing ;
    sh:path ex:never ;
    sh:minCount 1 ;
    sh:deactivated true ;
    sh:message "off" .

ex:OffNot a sh:PropertyShape ;
    sh:targetClass ex:Thing ;
    sh:path ex:never ;
    sh:minCount 1 ;
    sh:deactivated false ;
    sh:message "not off" .

ex:NoMessage a sh:PropertyShape ;
    sh:targetClass ex:Thing ;
    sh:path ex:never ;
    sh:minCount 1 .

ex:WithIn a sh:PropertyShape ;
    sh:targetClass ex:Thing ;
    sh:path ex:name ;
    sh:maxCount 1 ;
    sh:in ( "a" "b" ) ;
    sh:message "in" .

ex:Parent a sh:NodeShape ;
    sh:targetClass ex:Thing ;
    sh:property ex:Child ;
    sh:message "parent" .

ex:Child sh:path ex:child ;
    sh:minCount 1 ;
    sh:severity sh:Warning ;
    sh:message "child" .

ex:Parent2 a sh:NodeShape ;
    sh:targetSubjectsOf ex:name ;
    sh:property ex:Shared ;
    sh:message "parent 2" .

ex:Parent3 a sh:NodeShape ;
    sh:targetClass ex:Special ;
    sh:property ex:Shared ;
    sh:message "parent 3" .

ex:Shared sh:path ex:date ;
    sh:maxCount 1 ;
    sh:message "shared" .

ex:Nested a sh:PropertyShape ;
    sh:targetClass ex:Thing ;
    sh:path ex:partner ;
    sh:property [ sh:path ex:name ; sh:minCount 1 ; sh:message "nested" ] ;
    sh:message "nested parent" .
"""

EDGE_DATA = """
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix ex: <http://example.org/> .

ex:Special rdfs:subClassOf ex:Thing .
ex:SubPartner rdfs:subClassOf ex:Partner .

ex:a a ex:Thing ; ex:date "2026-06-30"^^xsd:date ; ex:name "a", "b" ;
    ex:partner ex:p1, ex:p2, _:b1 .
ex:b a ex:Special ; ex:date "2026-13-45"^^xsd:date, "2026-06-30", ex:iri, "x"@en ;
    ex:name "b"@en, 42, ex:iri, "a"^^xsd:string ; ex:child ex:c .
ex:c a ex:Thing ; ex:date "2026-01-01"^^xsd:dateTime .
ex:d ex:name "plain" .
ex:p1 a ex:Partner .
ex:p2 a ex:SubPartner .
_:b1 a ex:Other .
"""


def test_compiled_shapes_on_edge_cases():
    shapes = Graph().parse(data=EDGE_SHAPES, format="turtle")
    compiled, rest = core_constraints.compile_shapes(shapes)
    names = {str(c.shape).rsplit("/", 1)[-1] for c in compiled}
    # deactivated: left out; no message, sh:in, a property shape of two node shapes, a
    # property shape's own sh:property: left to pySHACL (with the shapes that refer to them)
    assert names == {"Dates", "Strings", "Classes", "Objects", "OffNot", "Parent", "Child"}
    left = {str(s).rsplit("/", 1)[-1] for s in rest.subjects()}
    assert left >= {"NoMessage", "WithIn", "Parent2", "Parent3", "Shared", "Nested"}
    assert not left & names
    store = ox.Store()
    store.load(EDGE_DATA.encode(), format=ox.RdfFormat.TURTLE)
    ours, reference = _both(store, shapes)
    found = {(key[0], key[4].rsplit("/", 1)[-1], key[-1]) for key in reference}
    assert ("Violation", "Dates", SH.DatatypeConstraintComponent) in found
    assert ("Violation", "Dates", SH.MaxCountConstraintComponent) in found
    assert ("Warning", "Strings", SH.DatatypeConstraintComponent) in found
    assert ("Info", "Classes", SH.ClassConstraintComponent) in found
    assert ("Violation", "Objects", SH.ClassConstraintComponent) in found
    assert ("Violation", "OffNot", SH.MinCountConstraintComponent) in found
    assert ("Warning", "Child", SH.MinCountConstraintComponent) in found
    assert ("Violation", "Shared", SH.MaxCountConstraintComponent) in found
    assert ours == reference


def _with_messages(shapes: Graph) -> Graph:
    """The shapes graph with a message on every shape that has none (the compiler leaves
    shapes without one to pySHACL, which writes its own texts; the W3C shapes have none)."""
    from rdflib import RDF, Literal

    out = Graph()
    for triple in shapes:
        out.add(triple)
    candidates = set(shapes.subjects(SH.path, None))
    for predicate in (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf):
        candidates.update(shapes.subjects(predicate, None))
    candidates.update(shapes.subjects(RDF.type, SH.NodeShape))
    candidates.update(shapes.subjects(RDF.type, SH.PropertyShape))
    for shape in candidates:
        if (shape, SH.message, None) not in shapes:
            out.add((shape, SH.message, Literal(f"shape {shape}")))
    return out


def test_a_literal_is_no_instance_of_a_class():
    """pySHACL over an Oxigraph store fails on a literal focus or value node of sh:class
    (it asks for the literal's types); over an rdflib graph it reports the literal, and so
    does the compiled shape."""
    shapes = Graph()
    for s, p, o in Graph().parse(data=EDGE_SHAPES, format="turtle"):
        if str(s).endswith(("/Classes", "/Objects")):
            shapes.add((s, p, o))
    data = EDGE_DATA.replace("ex:partner ex:p1,", 'ex:partner "literal", ex:p1,')
    store = ox.Store()
    store.load(data.encode(), format=ox.RdfFormat.TURTLE)
    rdflib_data = Graph().parse(data=data, format="turtle")

    def text(term):  # blank node labels differ from one parser to the other
        from rdflib import BNode

        return "_:" if isinstance(term, BNode) else str(term)

    def keys(results):
        return Counter((r.severity, text(r.focus_node), str(r.source_shape), text(r.value),
                        str(r.component), r.message) for r in results)

    ours = keys(check_shapes(store, shapes, engine="store"))
    assert ours == keys(check_shapes(rdflib_data, shapes, engine="pyshacl"))
    assert ("Info", "http://example.org/a", "http://example.org/Classes", "literal",
            str(SH.ClassConstraintComponent), "partners") in ours
    assert ("Violation", "literal", "http://example.org/Objects", "literal",
            str(SH.ClassConstraintComponent), "objects") in ours


def test_the_w3c_core_cases_the_compiler_takes():
    from test_w3c_shacl import ENTRIES, SHT, _case, _load

    taken = 0
    for entry in ENTRIES:
        name, _g, data_path, shapes, expected = _case(entry)
        if expected == SHT.Failure:
            continue
        shapes = _with_messages(shapes)
        compiled, _rest = core_constraints.compile_shapes(shapes)
        if not any(c.checks for c in compiled):
            continue
        taken += 1
        data = _load(data_path, "oxigraph")
        ours = _fields(check_shapes(data, shapes, engine="store", strict=True))
        reference = _fields(check_shapes(data, shapes, engine="pyshacl", strict=True))
        assert ours == reference, name
    assert taken >= 12


@pytest.mark.parametrize("path", DEFINITIONS, ids=[p.name for p in DEFINITIONS])
def test_cluster_reasons_are_explain_clusters(path):
    store = OxigraphStore()
    store.add_quads(read_definition([path]))
    ensure_ontology(store)
    materialize(store)
    clusters = {row["c"].value for row in store.select(
        "SELECT DISTINCT ?c WHERE { ?c a <https://w3id.org/educluster#Cluster> "
        "FILTER isIRI(?c) }")}
    assert cluster_reasons(store, clusters) == {
        iri: explain_cluster(store, iri).reason for iri in clusters}


def test_cluster_reasons_on_the_synthetic_graph():
    quads = list(ox.parse(generate(8000, seed=4, defects=0.1).encode(),
                          format=ox.RdfFormat.N_TRIPLES))
    store = OxigraphStore()
    store.add_quads(quads)
    ensure_ontology(store)
    materialize(store)
    clusters = {row["c"].value for row in store.select(
        "SELECT DISTINCT ?c WHERE { ?c a <https://w3id.org/educluster#Cluster> }")}
    clusters.add("http://example.org/not-a-cluster")
    reasons = cluster_reasons(store, clusters)
    assert len({r.split(":")[0] for r in reasons.values()}) >= 2
    assert reasons == {iri: explain_cluster(store, iri).reason for iri in clusters}


def test_validate_does_not_need_pyshacl_for_the_shipped_shapes(monkeypatch):
    import educluster.validation as validation

    def fail(*_args, **_kwargs):
        raise AssertionError("pySHACL was called")

    monkeypatch.setattr(validation, "run_pyshacl", fail)
    report = validation.validate_files(
        [ROOT / "tests" / "validation_cases" / "regionalization-two-regions.ttl"])
    assert report.checked_principles
    assert report.counts["Violation"] + report.counts["Warning"] > 0


TARGET_SHAPES = """
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix ex: <http://example.org/> .

@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .

ex:ns sh:declare [ sh:prefix "ex" ; sh:namespace "http://example.org/"^^xsd:anyURI ] .

ex:Implied a sh:NodeShape ;
    sh:targetSubjectsOf ex:p ;
    sh:message "implied" ;
    sh:sparql [ sh:prefixes ex:ns ;
                sh:select "SELECT $this ?value WHERE { $this ex:p ?value FILTER (?value > 1) }" ] .

ex:NotImplied a sh:NodeShape ;
    sh:targetSubjectsOf ex:p ;
    sh:message "not implied" ;
    sh:sparql [ sh:prefixes ex:ns ;
                sh:select "SELECT $this ?value WHERE { $this ex:q ?value . }" ] .

ex:ImpliedObject a sh:NodeShape ;
    sh:targetObjectsOf ex:p ;
    sh:message "implied object" ;
    sh:sparql [ sh:prefixes ex:ns ;
                sh:select "SELECT $this WHERE { ?s ex:p $this . FILTER isLiteral($this) }" ] .

ex:ImpliedClass a sh:NodeShape ;
    sh:targetClass ex:C ;
    sh:message "implied class" ;
    sh:sparql [ sh:prefixes ex:ns ;
                sh:select '''SELECT $this WHERE { $this a ex:C .
                                 FILTER NOT EXISTS { $this ex:p ?x } }''' ] .

ex:SubclassNotImplied a sh:NodeShape ;
    sh:targetClass ex:C ;
    sh:message "subclass" ;
    sh:sparql [ sh:prefixes ex:ns ;
                sh:select "SELECT $this WHERE { $this a ex:D . }" ] .
"""

TARGET_DATA = """
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix ex: <http://example.org/> .
ex:D rdfs:subClassOf ex:Other .
ex:a ex:p 1, 2, 3 ; ex:q "a" .
ex:b ex:q "b" .
ex:c a ex:C ; ex:p "x" .
ex:d a ex:C .
ex:e a ex:D .
"""


def test_a_target_join_is_left_out_only_where_the_query_implies_it():
    from educluster.validation import sparql_constraints

    shapes = Graph().parse(data=TARGET_SHAPES, format="turtle")
    joined = {str(c.shape).rsplit("/", 1)[-1]: "SELECT DISTINCT ?this" in c.query
              for c in sparql_constraints.sparql_constraints(shapes)}
    assert joined == {"Implied": False, "NotImplied": True, "ImpliedObject": False,
                      "ImpliedClass": False, "SubclassNotImplied": True}
    store = ox.Store()
    store.load(TARGET_DATA.encode(), format=ox.RdfFormat.TURTLE)
    ours, reference = _both(store, shapes)
    focus = {(key[4].rsplit("/", 1)[-1], str(key[2]).rsplit("/", 1)[-1]) for key in ours}
    # ex:b has ex:q but is no subject of ex:p; ex:e is an ex:D but no ex:C
    assert ("NotImplied", "a") in focus and ("NotImplied", "b") not in focus
    assert ("SubclassNotImplied", "e") not in focus
    assert ("ImpliedClass", "d") in focus and ("ImpliedObject", "x") in focus
    assert ours == reference


def test_the_members_constraints_need_no_target_join():
    _core, constraints, _compiled = _split_shapes(shapes_graph())
    joined = {str(c.shape).removeprefix(ECSH_IRI) for c in constraints
              if "SELECT DISTINCT ?this" in c.query}
    assert "MemberHasMembershipShape" not in joined
    assert "MemberCooperatesShape" not in joined
    assert "MixedClusterFinancedShape" in joined  # its first pattern is no target pattern


def test_datatypes_as_pyshacl_reads_them():
    datatypes = ["xsd:integer", "xsd:decimal", "xsd:boolean", "xsd:date", "xsd:dateTime",
                 "xsd:time", "xsd:float", "xsd:string", "rdf:langString", "rdfs:Literal",
                 "rdfs:Datatype", "xsd:byte", "xsd:anyURI"]
    shapes_text = """
        @prefix sh: <http://www.w3.org/ns/shacl#> .
        @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
        @prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
        @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
        @prefix ex: <http://example.org/> .
    """ + "".join(
        f"""ex:S{i} sh:targetSubjectsOf ex:v ; sh:path ex:v ; sh:datatype {datatype} ;
                 sh:message "{datatype}" .\n"""
        for i, datatype in enumerate(datatypes))
    data = """
        @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
        @prefix ex: <http://example.org/> .
        ex:x ex:v 1, "01"^^xsd:integer, "one"^^xsd:integer, 1.5, "1.5e3"^^xsd:float,
            true, "yes"^^xsd:boolean, "2026-06-30"^^xsd:date, "2026-02-30"^^xsd:date,
            "2026-06-30T10:00:00"^^xsd:dateTime, "10:00:00"^^xsd:time, "text", "text"@en,
            "300"^^xsd:byte, "12"^^xsd:byte, "http://a"^^xsd:anyURI, ex:iri, _:blank .
    """
    shapes = Graph().parse(data=shapes_text, format="turtle")
    compiled, _rest = core_constraints.compile_shapes(shapes)
    assert len(compiled) == len(datatypes)
    store = ox.Store()
    store.load(data.encode(), format=ox.RdfFormat.TURTLE)
    ours, reference = _both(store, shapes)
    assert sum(reference.values()) > 100
    assert ours == reference


MINUS_SHAPES = """
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix ex: <http://example.org/> .

ex:ns sh:declare [ sh:prefix "ex" ; sh:namespace "http://example.org/"^^xsd:anyURI ] .

ex:Joined a sh:NodeShape ;
    sh:targetSubjectsOf ex:in ;
    sh:message "joined" ;
    sh:sparql [ sh:prefixes ex:ns ; sh:select '''
        SELECT $this ?value WHERE {
            $this ex:in ?value .
            FILTER NOT EXISTS { ?m ex:who $this ; ex:where ?value }
            FILTER (?value != ex:skip)
        }''' ] .

ex:Optional a sh:NodeShape ;
    sh:targetSubjectsOf ex:in ;
    sh:message "optional" ;
    sh:sparql [ sh:prefixes ex:ns ; sh:select '''
        SELECT $this ?value WHERE {
            $this ex:in ?c .
            OPTIONAL { $this ex:maybe ?value }
            FILTER NOT EXISTS { ?m ex:who $this ; ex:where ?value }
        }''' ] .

ex:Path a sh:NodeShape ;
    sh:targetSubjectsOf ex:in ;
    sh:message "path" ;
    sh:sparql [ sh:prefixes ex:ns ; sh:select '''
        SELECT $this ?value WHERE {
            $this ex:in ?value .
            FILTER NOT EXISTS { $this ex:at/ex:within* ?r . ?value ex:region ?r }
        }''' ] .

ex:Single a sh:NodeShape ;
    sh:targetSubjectsOf ex:in ;
    sh:message "single" ;
    sh:sparql [ sh:prefixes ex:ns ; sh:select '''
        SELECT $this ?value WHERE {
            $this ex:in ?value .
            FILTER NOT EXISTS { ?value ex:leader $this }
        }''' ] .

ex:Unshared a sh:NodeShape ;
    sh:targetSubjectsOf ex:in ;
    sh:message "unshared" ;
    sh:sparql [ sh:prefixes ex:ns ; sh:select '''
        SELECT $this WHERE {
            $this ex:in ?c .
            FILTER NOT EXISTS { ?x ex:who ?y . ?y ex:where ex:nowhere }
        }''' ] .
"""

MINUS_DATA = """
@prefix ex: <http://example.org/> .
ex:a ex:in ex:c1, ex:c2, ex:skip ; ex:maybe ex:c1 ; ex:at ex:town .
ex:b ex:in ex:c1 ; ex:maybe ex:c3 .
ex:c ex:in ex:c2 .
ex:m1 ex:who ex:a ; ex:where ex:c1 .
ex:m2 ex:who ex:b ; ex:where ex:c2 .
ex:town ex:within ex:land .
ex:c1 ex:region ex:land ; ex:leader ex:a .
ex:c2 ex:region ex:sea .
ex:m9 ex:who ex:z .
ex:z ex:where ex:nowhere .
"""


def test_not_exists_becomes_minus_only_where_it_means_the_same():
    from educluster.validation import sparql_constraints

    shapes = Graph().parse(data=MINUS_SHAPES, format="turtle")
    minus = {str(c.shape).rsplit("/", 1)[-1]: "MINUS" in c.query
             for c in sparql_constraints.sparql_constraints(shapes)}
    # ?value may be unbound (OPTIONAL), a path, one pattern, no shared variable: unchanged
    assert minus == {"Joined": True, "Optional": False, "Path": False, "Single": False,
                     "Unshared": False}
    store = ox.Store()
    store.load(MINUS_DATA.encode(), format=ox.RdfFormat.TURTLE)
    ours, reference = _both(store, shapes)
    found = {(key[4].rsplit("/", 1)[-1], str(key[2]).rsplit("/", 1)[-1],
              str(key[6]).rsplit("/", 1)[-1]) for key in ours}
    assert ("Joined", "a", "c2") in found and ("Joined", "a", "c1") not in found
    assert ("Joined", "a", "skip") not in found and ("Joined", "b", "c1") in found
    assert ("Optional", "c", "c") in found and ("Optional", "a", "c1") not in found
    # no variable shared with the group: NOT EXISTS asks about the whole graph (MINUS would
    # remove nothing); here the pattern exists, so nothing is reported
    assert not any(shape == "Unshared" for shape, _focus, _value in found)
    assert ("Single", "a", "c1") not in found and ("Single", "a", "c2") in found
    assert ("Path", "a", "c1") not in found and ("Path", "a", "c2") in found
    assert ours == reference


def test_the_rewrite_keeps_the_rest_of_the_group():
    from educluster.validation.sparql_constraints import _not_exists_as_minus

    body = """
        ?this ex:in ?v . FILTER NOT EXISTS { ?m ex:who ?this ; ex:where ?v }
        OPTIONAL { ?this ex:maybe ?w } FILTER (?v != ex:skip)
    } GROUP BY ?this"""
    out = _not_exists_as_minus(body)
    assert "NOT EXISTS" not in out
    assert out.index("OPTIONAL") < out.index("MINUS { ?m ex:who ?this ; ex:where ?v }")
    assert out.rstrip().endswith("} GROUP BY ?this")
    assert "FILTER (?v != ex:skip)" in out


def test_labels_read_in_bulk_are_the_labels_looked_up(monkeypatch):
    import educluster.validation as validation

    store = OxigraphStore()
    store.add_quads(read_definition([ROOT / "data" / "tashkent-teacher-education.ttl"]))
    ensure_ontology(store)
    iris = {row["s"].value for row in store.select("SELECT DISTINCT ?s WHERE { ?s ?p ?o }")
            if isinstance(row["s"], ox.NamedNode)}
    looked_up = validation._labels(store, iris)
    monkeypatch.setattr(validation, "_ALL_LABELS_FROM", 1)
    assert len(looked_up) > 30
    assert validation._labels(store, iris) == looked_up


def test_validation_leaves_the_garbage_collector_as_it_found_it():
    """validate pauses the cyclic collector while it runs, and only then: afterwards (a
    report or an error) it is on again if it was on, and still off if it was off; the
    report is the one validation gives with the collector on."""
    import gc

    import educluster.validation as validation_module
    from educluster.errors import InputError
    from educluster.validation import validate

    quads = read_definition([flawed_example_files()[0]])
    seen = []
    original = validation_module._add_labels

    def spy(store, report):
        seen.append(gc.isenabled())
        return original(store, report)

    assert gc.isenabled()
    validation_module._add_labels = spy
    try:
        with_collector = [r.to_json() for r in validate(quads).results]
        assert with_collector and seen == [False] and gc.isenabled()
        with pytest.raises(InputError):
            validate([ox.Quad(ox.NamedNode("http://e/a"), ox.NamedNode("http://e/p"),
                              ox.Literal("x"))])
        assert gc.isenabled()
        gc.disable()
        try:
            without = [r.to_json() for r in validate(quads).results]
            assert not gc.isenabled()
        finally:
            gc.enable()
    finally:
        validation_module._add_labels = original
    assert without == with_collector


def _anonymous(results) -> Counter:
    """``_fields`` with every blank node as one "some blank node" (labels differ by run)."""
    from rdflib import BNode

    return Counter(tuple("_:" if isinstance(f, BNode) else f for f in key)
                   for key in _fields(results).elements())


def test_rdf_files_read_by_oxigraph_give_the_importers_report(tmp_path):
    """validate_files parses RDF files straight into its store: the same report as
    validating what ``read_definition`` reads, with each file's blank nodes its own,
    relative IRIs against the file and the graphs of a quad format kept."""
    from educluster.validation import validate, validate_files

    flawed = next(p for p in flawed_example_files() if p.stem == "private-interest")
    text = flawed.read_text(encoding="utf-8")
    first = tmp_path / "one.ttl"
    first.write_text(text + '\n_:b1 <https://w3id.org/educluster#partner> <#here> .\n')
    second = tmp_path / "two.nq"
    second.write_text('_:b1 <http://www.w3.org/2000/01/rdf-schema#label> "two" '
                      '<http://example.org/g> .\n')
    paths = [first, second, *example_files()[:1]]
    fast = validate_files(paths)
    reference = validate(read_definition(paths), source="reference")
    assert _anonymous(fast.results) == _anonymous(reference.results)
    assert len(fast.clusters) == 2
    assert fast.clusters == reference.clusters  # orientations and their explanations
    assert fast.sources == [str(p) for p in paths]


@pytest.mark.parametrize("content, expected", [
    ("<http://e/a> <http://e/b> .\n", "line 1"),
    ("   \n", "empty"),
])
def test_a_bad_rdf_file_is_named_with_its_line(tmp_path, content, expected):
    from educluster.errors import InputError
    from educluster.validation import validate_files

    path = tmp_path / "bad.ttl"
    path.write_text(f"<http://e/ok> <http://e/p> 1 .\n{content}" if "line" in expected
                    else content)
    with pytest.raises(InputError) as raised:
        validate_files([path])
    message = str(raised.value)
    assert str(path) in message
    assert (("line 2" in message) if "line" in expected else ("empty" in message)), message
