"""The class closure worked out once per plan (``rules.class_closure`` over the axioms
``TBOX_QUERY`` reads) gives the pairs the subclass rule's own property path gives, on the
shipped ontology and on random class axioms (cycles, equivalences both ways,
intersections as lists of blank nodes, metaclasses, top classes); the rules it makes
derive the same triples; and where rules can derive class axioms themselves, the engine
keeps the rule that finds them at every run.  Whether a default can be overridden
(``rules.defaults_overridable``) is what the same check as one SPARQL query says."""

from __future__ import annotations

import pyoxigraph as ox
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from educluster.reasoning import engine, materialize, rules
from educluster.resources import example_files
from educluster.store import OxigraphStore
from educluster.vocab import DERIVED_GRAPH
from reasoning_cases import DATA_GRAPH, PREFIXES, derived_terms, ex, with_tbox

# the path the subclass rule follows, as its sub-select projects it
PATH_PAIRS = rules.PREFIXES + "SELECT ?sub ?super WHERE {" + rules.SUBCLASS.where.split(
    "  ?x a ?sub .")[0] + "}"


def path_pairs(store: OxigraphStore) -> set[tuple[str, str]]:
    return {(r["sub"].value, r["super"].value) for r in store.select(PATH_PAIRS)}


def closure_pairs(store: OxigraphStore) -> set[tuple[str, str]]:
    edges = [(r["kind"].value, r["a"], r["b"]) for r in store.select(rules.TBOX_QUERY)
             if r["kind"].value.startswith("class-")]
    return rules.class_closure(edges)


def test_the_shipped_ontology_gives_the_same_pairs_both_ways():
    store = OxigraphStore()
    engine.ensure_ontology(store)
    pairs = closure_pairs(store)
    assert pairs == path_pairs(store)
    # a subclass, an intersection's member, an equivalence the other way round
    assert ("https://w3id.org/educluster#TeacherEducationCluster",
            "https://w3id.org/educluster#Cluster") in pairs
    assert ("https://w3id.org/educluster#VerticalCluster",
            "https://w3id.org/educluster#Cluster") in pairs
    assert not any(b in rules.TOP_CLASSES or a in rules.METACLASSES for a, b in pairs)


CLASSES = ["A", "B", "C", "D", "E"]
NAMES = [f"ex:{c}" for c in CLASSES] + ["owl:Thing", "owl:Class", "rdfs:Resource"]


@st.composite
def class_axioms(draw) -> str:
    """Turtle of random class axioms over a few classes, OWL's top and metaclasses."""
    lines = []
    for _ in range(draw(st.integers(0, 8))):
        a, b = draw(st.sampled_from(NAMES)), draw(st.sampled_from(NAMES))
        axiom = draw(st.sampled_from(["rdfs:subClassOf", "owl:equivalentClass"]))
        lines.append(f"{a} {axiom} {b} .")
    for _ in range(draw(st.integers(0, 3))):
        a = draw(st.sampled_from(NAMES))
        members = draw(st.lists(st.sampled_from([*NAMES, "[ a owl:Restriction ]"]),
                                min_size=1, max_size=3))
        axiom = draw(st.sampled_from(["rdfs:subClassOf", "owl:equivalentClass", None]))
        listed = f"owl:intersectionOf ( {' '.join(members)} )"
        # a class axiom whose object is a blank node holding an intersection, or an
        # intersection said of a named class itself (not a start of the closure by it)
        lines.append(f"{a} {axiom} [ {listed} ] ." if axiom else f"{a} {listed} .")
    return "\n".join(lines)




@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(class_axioms())
def test_random_class_axioms_give_the_same_pairs_both_ways(axioms):
    store = OxigraphStore()
    store.load(PREFIXES + axioms, ox.RdfFormat.TURTLE, graph=DATA_GRAPH, source="axioms")
    assert closure_pairs(store) == path_pairs(store), axioms


def test_the_rules_made_from_the_pairs_derive_what_the_path_rules_derive(monkeypatch):
    for path in example_files():
        store = OxigraphStore()
        store.load(path.read_bytes(), ox.RdfFormat.TURTLE, graph=DATA_GRAPH, source=str(path))
        materialize(store)
        names = [s.rule.name for s in engine.plan(store)]
        assert "subclass" in names and "orientation-classes" in names
        assert all(s.rule is not rules.SUBCLASS for s in engine.plan(store))
        with_pairs = derived_terms(store)
        # force the rules that follow the path at every run
        monkeypatch.setattr(rules, "CLASS_AXIOM_PROPERTIES", rules.CLASS_AXIOM_PROPERTIES
                            | {"https://w3id.org/educluster#educationLevel"})
        steps = engine.plan(store)
        assert rules.SUBCLASS in [s.rule for s in steps]
        assert rules.ORIENTATION_CLASSES in [s.rule for s in steps]
        materialize(store)
        assert derived_terms(store) == with_pairs, path.name
        monkeypatch.undo()


def test_class_axioms_derived_by_a_rule_are_followed():
    """``ex:narrowerThan`` is a subproperty of rdfs:subClassOf: the subproperty rule
    derives ``ex:Academy rdfs:subClassOf ec:EducationalCluster``, and the subclass rule
    must see it (the pairs worked out before the rules ran would not hold it)."""
    store = with_tbox(OxigraphStore(), PREFIXES + """
        ex:narrowerThan rdfs:subPropertyOf rdfs:subClassOf .
        ec:EducationalCluster rdfs:subClassOf ec:Cluster .
    """)
    store.load(PREFIXES + """
        ex:Academy ex:narrowerThan ec:EducationalCluster .
        ex:a a ex:Academy .
    """, ox.RdfFormat.TURTLE, graph=DATA_GRAPH, source="case")
    assert rules.SUBCLASS in [s.rule for s in engine.plan(store)]
    materialize(store)
    for cls in ("EducationalCluster", "Cluster"):
        assert store.ask(f"ASK {{ GRAPH <{DERIVED_GRAPH}> {{ <{ex('a')}> a "
                         f"<https://w3id.org/educluster#{cls}> }} }}"), cls


# The check as SPARQL: a class with a default, below another class (one or more
# rdfs:subClassOf steps) that gives the same property another value.
OVERRIDABLE_QUERY = rules.PREFIXES + """ASK {
  { SELECT DISTINCT ?narrower WHERE {
      ?narrower rdfs:subClassOf ?r0 . ?r0 owl:onProperty ?p0 ; owl:hasValue ?v0 } }
  ?narrower rdfs:subClassOf+ ?b ; rdfs:subClassOf ?r2 .
  ?r2 owl:onProperty ?a ; owl:hasValue ?other .
  ?b rdfs:subClassOf ?r1 . ?r1 owl:onProperty ?a ; owl:hasValue ?value .
  FILTER (!sameTerm(?narrower, ?b) && !sameTerm(?other, ?value))
}"""


def overridable(store: OxigraphStore) -> bool:
    rows = store.select(rules.TBOX_QUERY)
    return rules.defaults_overridable(
        [(r["a"], r["b"], r["c"]) for r in rows if r["kind"].value == "default"],
        [(r["a"], r["b"]) for r in rows if r["kind"].value == "class-subclass"])


def test_the_shipped_ontology_says_the_same_of_its_defaults_both_ways():
    store = OxigraphStore()
    engine.ensure_ontology(store)
    assert overridable(store) == store.ask(OVERRIDABLE_QUERY)
    # a narrower class overriding a default of its superclass makes it so
    store.load(PREFIXES + """
        ex:Lab rdfs:subClassOf ec:ResearchInstitute ,
            [ owl:onProperty ec:sector ; owl:hasValue ec:EducationSector ] .
    """, ox.RdfFormat.TURTLE, graph=DATA_GRAPH, source="case")
    assert overridable(store) and store.ask(OVERRIDABLE_QUERY)


DEFAULT_VALUES = ["ex:v1", "ex:v2", '"1"', '"1"^^xsd:integer', '"01"^^xsd:integer']


@st.composite
def default_axioms(draw) -> str:
    """Turtle of random subclass axioms (named and blank classes) and defaults."""
    names = [f"ex:{c}" for c in CLASSES] + ["_:k"]
    lines = []
    for _ in range(draw(st.integers(0, 6))):
        a, b = draw(st.sampled_from(names)), draw(st.sampled_from(names))
        lines.append(f"{a} rdfs:subClassOf {b} .")
    for _ in range(draw(st.integers(0, 4))):
        cls = draw(st.sampled_from(names))
        prop = draw(st.sampled_from(["ex:p", "ex:q", "ec:orientation"]))
        value = draw(st.sampled_from(DEFAULT_VALUES))
        lines.append(f"{cls} rdfs:subClassOf [ owl:onProperty {prop} ; owl:hasValue {value} ] .")
    return "\n".join(lines)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(default_axioms())
def test_random_defaults_say_the_same_both_ways(axioms):
    store = OxigraphStore()
    store.load(PREFIXES + "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n" + axioms,
               ox.RdfFormat.TURTLE, graph=DATA_GRAPH, source="axioms")
    assert overridable(store) == store.ask(OVERRIDABLE_QUERY), axioms
