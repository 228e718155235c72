"""The derivation rules, as SPARQL 1.1 text.

Each rule is a template and a graph pattern (``Rule``), read in two forms: a SPARQL 1.1
Update ``INSERT { GRAPH <derived> { template } } WHERE { pattern }`` (``Rule.update``),
and the same as a ``CONSTRUCT`` (``Rule.construct``) whose triples the engine adds to the
derived graph.  The engine uses the update where the store's update ``WHERE`` sees the
union of all graphs (Virtuoso does), and the construct otherwise: Oxigraph evaluates an
update's ``WHERE`` over its own default graph only, while its queries can take the union.

Why SPARQL and not Python or an OWL reasoner: the same text runs unchanged on every
store behind ``educluster.store.Store`` (the in-memory store validation builds, the
on-disk Oxigraph store behind the service, a remote SPARQL 1.1 store such as
Virtuoso), so there is one engine and one definition of every derived fact.  On
Oxigraph each rule is a single query evaluated in Rust inside the store (joins, paths,
negation, aggregation); the triples it derives go back into the store in one
transaction as N-Triples bytes (as terms only when they hold blank nodes), and Python
never loops over the data.  The rules read the ontology
(TBox) from the store itself, so they follow the shipped ontology and any axioms a user
adds, and they are written in portable SPARQL 1.1 (property paths, ``FILTER NOT EXISTS``,
``GRAPH`` in templates, no engine-specific functions).  One part of the ontology is
worked out in Python, once per plan: the class closure (``class_closure``, a few hundred
axioms), which the subclass rules then take as a VALUES block (``subclass_rule``) instead
of following a property path over the ontology at every run.

Conventions every rule keeps:

- A rule writes only into the derived graph (``vocab.DERIVED_GRAPH``) and never deletes.
- A rule inserts a triple only when it is not already in the union of all graphs, so
  the derived graph and the asserted graphs are disjoint.  That is what lets a rule ask
  "is there an *asserted* value?" as "is there a value outside the derived graph?".
  The two exceptions are the orientations (R1, R2): they are always written into the
  derived graph, even when the data states the same value, so that a stated orientation
  can be compared with the derived one: ``GRAPH <derived> { ?x ec:orientation ?o }`` is
  the derived orientation of a cooperation or a cluster (``DERIVED_ORIENTATION_QUERY``).
- The query default graph is the union of all graphs, so a rule sees the asserted data,
  the ontology and what earlier rules derived.
- Every derived triple has the rule's first template variable as subject
  (``Rule.subject``), so ``Rule.scoped`` can re-derive for a few resources only
  (``engine.update_derived``).

Order (``engine.plan``): memberships, subproperties, inverses, transitive properties,
subclasses, defaults, R1, R2, the orientation classes' superclasses; a rule runs again
only when a later one wrote something it reads.

Semantics chosen where DESIGN.md leaves a choice (documented for analysts too):

- R1 compares *sets* of values: two partners have "the same sector" when the sets of
  their (effective) sectors are equal, likewise for education levels; both without a
  level counts as the same, one without and one with a level is a difference.  Fields
  are compared only when both partners state at least one ``ec:field``, and then as
  sets too.  A cooperation with other than exactly two distinct partners gets no
  orientation (the shapes report it).  Anything with an ``ec:partner`` is treated as a
  cooperation, typed ``ec:Cooperation`` or not.
- Effective sector/level: the asserted values, else the default of the participant's
  class (``?cls rdfs:subClassOf [owl:onProperty ?p; owl:hasValue ?v]``).  When several
  classes of one participant give a default for the same property, the most specific
  class wins (a default on a subclass overrides one on its superclass); classes that are
  unrelated each contribute theirs.  ``ec:orientation`` is never defaulted: it is
  derived by R1/R2 only.
- R2 counts the cooperations that are ``ec:inCluster`` the cluster and have a derived
  orientation; ``ec:ledBy`` plays no part.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pyoxigraph as ox

from educluster.vocab import DERIVED_GRAPH, EC_IRI, ORG_IRI

PREFIXES = f"""\
PREFIX ec: <{EC_IRI}>
PREFIX org: <{ORG_IRI}>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX owl: <http://www.w3.org/2002/07/owl#>
"""

D = f"<{DERIVED_GRAPH}>"

#: The derived orientation of every cooperation and cluster.
DERIVED_ORIENTATION_QUERY = (
    PREFIXES
    + f"SELECT ?node ?orientation WHERE {{ GRAPH {D} {{ ?node ec:orientation ?orientation }} }}"
)

COUNT_DERIVED = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH {D} {{ ?s ?p ?o }} }}"


@dataclass(frozen=True)
class Rule:
    """One rule: the triples it derives (a SPARQL template) from a graph pattern over the
    union of all graphs."""

    name: str
    template: str
    where: str
    #: the same pattern in a form Oxigraph evaluates faster, where the portable one is slow
    #: there ("": none); it must give the same solutions (tests compare the two)
    oxigraph_where: str = ""

    def for_engine(self, engine: str) -> Rule:
        """The rule in the form best for a store's ``engine``."""
        if engine == "oxigraph" and self.oxigraph_where:
            return Rule(self.name, self.template, self.oxigraph_where)
        return self

    @property
    def update(self) -> str:
        """The rule as one SPARQL 1.1 Update writing into the derived graph, for stores
        whose update ``WHERE`` sees the union of all graphs."""
        return PREFIXES + f"INSERT {{ GRAPH {D} {{ {self.template} }} }}\nWHERE {{{self.where}}}\n"

    def staged_update(self, asserted: str, stage: str) -> str:
        """The rule as one update reading the union of the graph ``asserted`` and the
        derived graph, writing into the derived graph and into the graph ``stage``
        (``ScratchStore``)."""
        return (PREFIXES + f"INSERT {{ GRAPH {D} {{ {self.template} }} "
                f"GRAPH <{stage}> {{ {self.template} }} }}\n"
                f"USING <{asserted}> USING {D} USING NAMED {D}\n"
                f"WHERE {{{self.where}}}\n")

    @property
    def construct(self) -> str:
        """The rule as a CONSTRUCT query of the triples to add to the derived graph."""
        return PREFIXES + f"CONSTRUCT {{ {self.template} }}\nWHERE {{{self.where}}}\n"

    @property
    def subject(self) -> str:
        """The variable every derived triple has as subject."""
        return self.template.split()[0]

    def scoped(self, iris: list[str]) -> Rule:
        """The same rule, deriving only triples whose subject is one of ``iris``: a
        ``VALUES`` block wherever the rule marks its scope (``# scope``), else last (on
        Oxigraph a leading block is joined after the ontology sub-selects, not before)."""
        values = f"VALUES {self.subject} {{ {' '.join(f'<{i}>' for i in iris)} }}"
        if _SCOPE in self.where:
            where = self.where.replace(_SCOPE, values)
        else:
            where = self.where + "  " + values + "\n"
        return Rule(self.name, self.template, where, self.oxigraph_where and (
            Rule(self.name, self.template, self.oxigraph_where).scoped(iris).where))


_SCOPE = "# scope"

# -- memberships ----------------------------------------------------------------------
# An org:Membership (typed or not) with org:member and org:organization entails
# ``cluster ec:hasMember participant`` and ``participant ec:memberOf cluster``.
MEMBERSHIP_1 = Rule(
    "membership",
    "?cluster ec:hasMember ?member",
    """
  ?m org:member ?member ; org:organization ?cluster .
  FILTER (!isLiteral(?cluster) && !isLiteral(?member))
  FILTER NOT EXISTS { ?cluster ec:hasMember ?member }
""",
)

MEMBERSHIP_2 = Rule(
    "membership",
    "?member ec:memberOf ?cluster",
    """
  ?m org:member ?member ; org:organization ?cluster .
  FILTER (!isLiteral(?cluster) && !isLiteral(?member))
  FILTER NOT EXISTS { ?member ec:memberOf ?cluster }
""",
)

# -- property closure: subproperties, inverses, transitive properties ------------------
# The TBox part runs first in a sub-select (a handful of axioms), then each pair drives
# an index lookup on the data.  The path's start is bound first by an inner sub-select:
# Virtuoso refuses a ``+`` path with both ends unbound ("transitive start not given").
SUBPROPERTY = Rule(
    "subproperty",
    "?x ?super ?y",
    """
  { SELECT DISTINCT ?sub ?super WHERE {
      { SELECT DISTINCT ?sub WHERE {
          ?sub rdfs:subPropertyOf|owl:equivalentProperty|^owl:equivalentProperty ?next } }
      ?sub (rdfs:subPropertyOf|owl:equivalentProperty|^owl:equivalentProperty)+ ?super .
      FILTER (isIRI(?sub) && isIRI(?super) && !sameTerm(?sub, ?super))
  } }
  ?x ?sub ?y .
  FILTER NOT EXISTS { ?x ?super ?y }
""",
)

# When scoped, the resources' VALUES block sits between the pairs and the data pattern
# (a variable projected by a sub-select that does not bind it is refused by Virtuoso).
INVERSE = Rule(
    "inverse",
    "?y ?inverse ?x",
    """
  { SELECT DISTINCT ?property ?inverse WHERE {
      { ?property owl:inverseOf ?inverse } UNION { ?inverse owl:inverseOf ?property }
      FILTER (isIRI(?property) && isIRI(?inverse))
  } }
  # scope
  ?x ?property ?y .
  FILTER (!isLiteral(?y))
  FILTER NOT EXISTS { ?y ?inverse ?x }
""",
)

# The closure of one transitive property (the engine makes one rule per property the
# ontology declares transitive: a property path needs a fixed predicate).
def transitive(property_iri: str) -> Rule:
    """The rule closing one ``owl:TransitiveProperty``."""
    p = f"<{property_iri}>"
    return Rule(
        "transitive",
        f"?x {p} ?z",
        f"""
  ?x {p} ?y .
  ?y {p}+ ?z .
  FILTER NOT EXISTS {{ ?x {p} ?z }}
""",
    )


# -- class closure --------------------------------------------------------------------
# Every typed individual gets every superclass: by rdfs:subClassOf, owl:equivalentClass
# (both ways), and the members of an owl:intersectionOf a class is equivalent to or a
# subclass of (``ec:VerticalCluster ≡ ec:Cluster ⊓ ∃orientation.{Vertical}`` gives
# ``ec:VerticalCluster ⊑ ec:Cluster``).  The superclasses of the RDFS/OWL metaclasses are
# not followed, so classes and properties themselves are not typed; nor is anything typed
# owl:Thing.
_OWL = "http://www.w3.org/2002/07/owl#"
_RDFS = "http://www.w3.org/2000/01/rdf-schema#"
_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
METACLASSES = (
    _OWL + "Class", _RDFS + "Class", _OWL + "Restriction", _RDF + "Property",
    _OWL + "ObjectProperty", _OWL + "DatatypeProperty", _OWL + "AnnotationProperty",
    _OWL + "TransitiveProperty", _OWL + "FunctionalProperty",
    _OWL + "InverseFunctionalProperty", _OWL + "SymmetricProperty", _OWL + "Ontology",
    _RDFS + "Datatype",
)
#: superclasses nothing is typed with
TOP_CLASSES = (_OWL + "Thing", _RDFS + "Resource")
_METACLASSES = ", ".join(f"<{c}>" for c in METACLASSES)
#: the properties of the class axioms the class closure follows
CLASS_AXIOM_PROPERTIES = frozenset({
    _RDFS + "subClassOf", _OWL + "equivalentClass", _OWL + "intersectionOf",
    _RDF + "rest", _RDF + "first",
})

# ``SUBCLASS`` finds the (class, superclass) pairs itself, with a property path evaluated
# again at every run (most of its time when it runs for a few resources only); the engine
# uses it only when the rules can derive class axioms themselves.  Otherwise the pairs
# come from ``class_closure`` over the axioms ``TBOX_QUERY`` reads, in ``subclass_rule``.
SUBCLASS = Rule(
    "subclass",
    "?x a ?super",
    f"""
  {{ SELECT DISTINCT ?sub ?super WHERE {{
      {{ SELECT DISTINCT ?sub WHERE {{
          ?sub rdfs:subClassOf|owl:equivalentClass|^owl:equivalentClass ?next }} }}
      ?sub (rdfs:subClassOf|owl:equivalentClass|^owl:equivalentClass
            |owl:intersectionOf/rdf:rest*/rdf:first)+ ?super .
      FILTER (isIRI(?sub) && isIRI(?super) && !sameTerm(?sub, ?super)
              && ?super NOT IN (owl:Thing, rdfs:Resource)
              && ?sub NOT IN ({_METACLASSES}))
  }} }}
  ?x a ?sub .
  FILTER NOT EXISTS {{ ?x a ?super }}
""",
)

# -- type defaults --------------------------------------------------------------------
# ``?cls rdfs:subClassOf [owl:onProperty ?p; owl:hasValue ?v]``: every ``?x a ?cls``
# without an asserted value of ?p (none outside the derived graph) gets ``?x ?p ?v``,
# unless a narrower class of ?x gives another default for ?p.  Whether a default can be
# overridden at all is worked out on the ontology alone (``?overridable``): the defaults
# that cannot (all of the shipped ontology's) take the cheap rule, the others the rule
# with the check (found by OPTIONAL and !BOUND: Virtuoso answers a NOT EXISTS holding a
# ``+`` path wrongly; Oxigraph evaluates that OPTIONAL over every typed individual, which
# is why it is kept apart).
def _defaults(overridable: bool) -> str:
    return f"""{{ SELECT DISTINCT ?cls ?property ?value WHERE {{
      ?cls rdfs:subClassOf ?restriction .
      ?restriction owl:onProperty ?property ; owl:hasValue ?value .
      FILTER (isIRI(?cls) && !sameTerm(?property, ec:orientation))
      BIND (EXISTS {{
        ?narrower rdfs:subClassOf+ ?cls ; rdfs:subClassOf ?r2 .
        ?r2 owl:onProperty ?property ; owl:hasValue ?other .
        FILTER (!sameTerm(?other, ?value) && !sameTerm(?narrower, ?cls))
      }} AS ?overridable)
      FILTER ({"" if overridable else "!"}?overridable)
  }} }}
  ?x a ?cls .
  FILTER NOT EXISTS {{ GRAPH {D} {{ ?x ?property ?value }} }}
  FILTER NOT EXISTS {{
    ?x ?property ?asserted .
    FILTER NOT EXISTS {{ GRAPH {D} {{ ?x ?property ?asserted }} }}
  }}"""


DEFAULTS = Rule("defaults", "?x ?property ?value", "\n  " + _defaults(False) + "\n")

OVERRIDABLE_DEFAULTS = Rule(
    "defaults",
    "?x ?property ?value",
    "\n  " + _defaults(True) + """
  OPTIONAL {
    { SELECT DISTINCT ?cls ?property ?value ?narrower WHERE {
        { SELECT DISTINCT ?narrower WHERE {
            ?narrower rdfs:subClassOf ?r0 . ?r0 owl:onProperty ?p0 ; owl:hasValue ?v0 } }
        ?narrower rdfs:subClassOf+ ?cls ; rdfs:subClassOf ?r2 .
        ?r2 owl:onProperty ?property ; owl:hasValue ?other .
        ?cls rdfs:subClassOf ?r1 . ?r1 owl:onProperty ?property ; owl:hasValue ?value .
        FILTER (!sameTerm(?narrower, ?cls) && !sameTerm(?other, ?value))
    } }
    ?x a ?narrower .
  }
  FILTER (!BOUND(?narrower))
""",
)


# -- R1: a cooperation's orientation --------------------------------------------------
def _differs(prop: str) -> str:
    """True when ?a and ?b do not have the same set of values of ``prop``."""
    return (
        f"EXISTS {{ ?a {prop} ?v . FILTER NOT EXISTS {{ ?b {prop} ?v }} }} || "
        f"EXISTS {{ ?b {prop} ?v . FILTER NOT EXISTS {{ ?a {prop} ?v }} }}"
    )


# Each pair once (R1 is symmetric); blank nodes have no string form: both orders.
_PAIR = """
    ?cooperation ec:partner ?a, ?b .
    FILTER (!sameTerm(?a, ?b) && (isBlank(?a) || isBlank(?b) || STR(?a) < STR(?b)))
    FILTER NOT EXISTS {
      ?cooperation ec:partner ?third .
      FILTER (!sameTerm(?third, ?a) && !sameTerm(?third, ?b))
    }"""

_PARTNERS_DIFFER = f"""(
      {_differs("ec:sector")} ||
      {_differs("ec:educationLevel")} ||
      (EXISTS {{ ?a ec:field ?fa }} && EXISTS {{ ?b ec:field ?fb }} &&
       ({_differs("ec:field")})))"""

# Two branches with the test in FILTER, rather than one IF(EXISTS ...) in a BIND:
# Virtuoso cannot compile EXISTS inside BIND; a FILTER is portable.
COOPERATION_ORIENTATION = Rule(
    "cooperation-orientation",
    "?cooperation ec:orientation ?orientation",
    f"""
  {{ {_PAIR}
    FILTER {_PARTNERS_DIFFER}
    BIND (ec:Vertical AS ?orientation) }}
  UNION
  {{ {_PAIR}
    FILTER (!{_PARTNERS_DIFFER})
    BIND (ec:Horizontal AS ?orientation) }}
  FILTER NOT EXISTS {{ GRAPH {D} {{ ?cooperation ec:orientation ?orientation }} }}
""",
    # Oxigraph: each pair found once and tested once (the union above does both twice)
    oxigraph_where=f"""
  {_PAIR}
  BIND (IF({_PARTNERS_DIFFER}, ec:Vertical, ec:Horizontal) AS ?orientation)
  FILTER NOT EXISTS {{ GRAPH {D} {{ ?cooperation ec:orientation ?orientation }} }}
""",
)

# -- R2: a cluster's orientation ------------------------------------------------------
# Without aggregates: Virtuoso cannot join a grouped sub-select with what follows it
# ("Aggregate function not allowed in context") and evaluates sameTerm() inside IF() to
# false.  Without a correlated EXISTS per cluster either: Oxigraph evaluates such an
# EXISTS over every cooperation again for each cluster.  So: the set of clusters with a
# vertical cooperation and the set with a horizontal one, each computed once, and their
# intersection (mixed) and differences (MINUS: vertical only, horizontal only).
def _clusters_with(orientation: str) -> str:
    return f"""{{ SELECT DISTINCT ?cluster WHERE {{
       # scope
       ?cooperation ec:inCluster ?cluster .
       GRAPH {D} {{ ?cooperation ec:orientation {orientation} }}
       FILTER (!isLiteral(?cluster))
    }} }}"""


CLUSTER_ORIENTATION = Rule(
    "cluster-orientation",
    "?cluster ec:orientation ?orientation . ?cluster a ?class",
    f"""
  {{ {_clusters_with("ec:Vertical")}
    {_clusters_with("ec:Horizontal")}
    BIND (ec:Mixed AS ?orientation) BIND (ec:MixedCluster AS ?class) }}
  UNION
  {{ {_clusters_with("ec:Vertical")}
    MINUS {_clusters_with("ec:Horizontal")}
    BIND (ec:Vertical AS ?orientation) BIND (ec:VerticalCluster AS ?class) }}
  UNION
  {{ {_clusters_with("ec:Horizontal")}
    MINUS {_clusters_with("ec:Vertical")}
    BIND (ec:Horizontal AS ?orientation) BIND (ec:HorizontalCluster AS ?class) }}
  FILTER NOT EXISTS {{ GRAPH {D} {{ ?cluster ec:orientation ?orientation }} }}
""",
    # Oxigraph: the orientations of each cluster's cooperations read once, with aggregates
    oxigraph_where=f"""
  {{ SELECT ?cluster (MAX(?v) AS ?vertical) (MAX(?h) AS ?horizontal) WHERE {{
       # scope
       ?cooperation ec:inCluster ?cluster .
       GRAPH {D} {{ ?cooperation ec:orientation ?o }}
       FILTER (!isLiteral(?cluster))
       BIND (IF(sameTerm(?o, ec:Vertical), 1, 0) AS ?v)
       BIND (IF(sameTerm(?o, ec:Horizontal), 1, 0) AS ?h)
  }} GROUP BY ?cluster }}
  FILTER (?vertical + ?horizontal > 0)
  BIND (IF(?vertical = 1, IF(?horizontal = 1, ec:Mixed, ec:Vertical), ec:Horizontal)
        AS ?orientation)
  BIND (IF(?vertical = 1, IF(?horizontal = 1, ec:MixedCluster, ec:VerticalCluster),
           ec:HorizontalCluster) AS ?class)
  FILTER NOT EXISTS {{ GRAPH {D} {{ ?cluster ec:orientation ?orientation }} }}
""",
)

# The superclasses of the orientation classes R2 assigns: the class closure again, for
# those three classes only.
ORIENTATION_CLASSES = Rule(
    "orientation-classes",
    SUBCLASS.template,
    SUBCLASS.where.replace(
        "  ?x a ?sub .",
        "  FILTER (?sub IN (ec:VerticalCluster, ec:HorizontalCluster, ec:MixedCluster))\n"
        "  ?x a ?sub .",
    ),
)

def subclass_rule(pairs: Iterable[tuple[str, str]], name: str = "subclass") -> Rule:
    """``SUBCLASS`` with its (class, superclass) pairs given (``class_closure``) instead of
    found by a property path at every run: the same triples."""
    rows = " ".join(f"(<{a}> <{b}>)" for a, b in sorted(pairs))
    # The typed resources in a sub-select of their own, where the scope goes: Oxigraph
    # starts a join from its smallest VALUES block, and the pairs would otherwise lead a
    # scoped run (for every instance of their classes) whenever they are fewer than the
    # resources in scope.  Measured at 100,000 triples, 41 / 300 / 3,000 resources in
    # scope: the subclass rule 2.0 / 27 / 203 ms (the rule with the path 9.6 / 48 / 301,
    # the pairs leading 2.8 / 400 / 410), the whole graph about the same either way.
    return Rule(name, SUBCLASS.template, f"""
  {{ SELECT ?x ?sub WHERE {{
      {_SCOPE}
      ?x a ?sub }} }}
  {{ SELECT ?sub ?super WHERE {{ VALUES (?sub ?super) {{ {rows} }} }} }}
  FILTER NOT EXISTS {{ ?x a ?super }}
""")


def class_closure(edges: Iterable[tuple[str, ox.Term, ox.Term]]) -> set[tuple[str, str]]:
    """The (class, superclass) pairs of ``SUBCLASS``'s sub-select, from the class axioms'
    edges of ``TBOX_QUERY`` (kinds "class-subclass" and "class-edge": ``?a
    rdfs:subClassOf|owl:equivalentClass|^owl:equivalentClass ?b``; "class-part": ``?a
    owl:intersectionOf/rdf:rest*/rdf:first ?b``): every IRI that starts a class edge,
    with every IRI one or more edges away, but not itself, a metaclass as the class, or a
    top class as the superclass."""
    following: dict[ox.Term, set[ox.Term]] = {}
    starts: set[ox.Term] = set()
    for kind, a, b in edges:
        following.setdefault(a, set()).add(b)
        if kind != "class-part":
            starts.add(a)
    pairs: set[tuple[str, str]] = set()
    for start in starts:
        if not isinstance(start, ox.NamedNode) or start.value in METACLASSES:
            continue
        pairs.update((start.value, node.value) for node in _beyond(following, start)
                     if isinstance(node, ox.NamedNode) and node != start
                     and node.value not in TOP_CLASSES)
    return pairs


def _beyond(following: dict[ox.Term, set[ox.Term]], start: ox.Term) -> set[ox.Term]:
    """Every node one or more edges of ``following`` away from ``start``."""
    reached: set[ox.Term] = set()
    todo = list(following.get(start, ()))
    while todo:
        node = todo.pop()
        if node not in reached:
            reached.add(node)
            todo.extend(following.get(node, ()))
    return reached


def defaults_overridable(defaults: Iterable[tuple[ox.Term, ox.Term, ox.Term]],
                         subclasses: Iterable[tuple[ox.Term, ox.Term]]) -> bool:
    """Whether a narrower class overrides a default at all: whether some class with a
    default (``defaults``: property, class, value, from ``?class rdfs:subClassOf
    [owl:onProperty ?property; owl:hasValue ?value]``) is one or more ``subclasses``
    edges (class, superclass) below another class, not itself, that gives the same
    property another value (other as terms).  Only then does the plan add
    ``OVERRIDABLE_DEFAULTS``, which makes that check for each individual."""
    given: dict[ox.Term, set[tuple[ox.Term, ox.Term]]] = {}
    for prop, cls, value in defaults:
        given.setdefault(cls, set()).add((prop, value))
    above: dict[ox.Term, set[ox.Term]] = {}
    for a, b in subclasses:
        above.setdefault(a, set()).add(b)
    for narrower, own in given.items():
        for cls in _beyond(above, narrower) - {narrower}:
            for prop, value in given.get(cls, ()):
                if any(p == prop and other != value for p, other in own):
                    return True
    return False


#: What the ontology says that decides which rules read and write which properties:
#: rows of (?kind, ?a, ?b, ?c) with kind "subproperty" (?a ⊑ ?b, closed), "inverse" (both
#: directions), "transitive" (?a), "default" (class ?b gives property ?a the value ?c,
#: whatever the kinds of term: ``defaults_overridable`` reads them all), and the class
#: axioms' edges for ``class_closure`` ("class-subclass": rdfs:subClassOf, which
#: ``defaults_overridable`` follows too; "class-edge": owl:equivalentClass, both ways;
#: "class-part").  Only the ontology's few axioms go through Python, once per plan.
#: Each branch names its kind with VALUES, not BIND: Virtuoso cannot compile a BIND after
#: a sub-select in a UNION branch ("sparp_gp_deprecate(): equiv replaces filter").
TBOX_QUERY = PREFIXES + """
SELECT DISTINCT ?kind ?a ?b ?c WHERE {
  { { SELECT DISTINCT ?a WHERE {
        ?a rdfs:subPropertyOf|owl:equivalentProperty|^owl:equivalentProperty ?next } }
    ?a (rdfs:subPropertyOf|owl:equivalentProperty|^owl:equivalentProperty)+ ?b .
    FILTER (isIRI(?a) && isIRI(?b) && !sameTerm(?a, ?b))
    VALUES ?kind { "subproperty" } }
  UNION
  { { ?a owl:inverseOf ?b } UNION { ?b owl:inverseOf ?a }
    FILTER (isIRI(?a) && isIRI(?b))
    VALUES ?kind { "inverse" } }
  UNION
  { ?a a owl:TransitiveProperty . FILTER (isIRI(?a)) VALUES ?kind { "transitive" } }
  UNION
  { ?b rdfs:subClassOf ?restriction .
    ?restriction owl:onProperty ?a ; owl:hasValue ?c .
    VALUES ?kind { "default" } }
  UNION
  { ?a rdfs:subClassOf ?b . VALUES ?kind { "class-subclass" } }
  UNION
  { ?a owl:equivalentClass|^owl:equivalentClass ?b . VALUES ?kind { "class-edge" } }
  UNION
  { ?a owl:intersectionOf/rdf:rest*/rdf:first ?b . VALUES ?kind { "class-part" } }
}
"""
