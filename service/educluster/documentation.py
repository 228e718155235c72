"""The ontology and the shapes as documents for people.

``ontology_document()`` reads the shipped ontology files and lists every class, property
and concept of the ``ec:`` namespace with its labels, its definition, its source text (the
seed article it cites) and its relations (super- and subclasses, domain, range, inverse,
restrictions, scheme, broader and narrower...).  ``shapes_document()`` lists the principles
and, under each, the shapes that enforce it with their severity and message.  Both are
plain data for the templates; the RDF itself is served as the files are.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SH, SKOS

from educluster.resources import ontology_files, shape_files
from educluster.vocab import EC, EC_IRI, ONTOLOGY_IRI, PREFIXES

#: relations shown for a term, in this order, with the words the page uses
RELATIONS: list[tuple[URIRef, str]] = [
    (RDFS.subClassOf, "subclass of"),
    (OWL.equivalentClass, "equivalent to"),
    (OWL.disjointWith, "disjoint with"),
    (RDFS.subPropertyOf, "subproperty of"),
    (OWL.inverseOf, "inverse of"),
    (RDFS.domain, "domain"),
    (RDFS.range, "range"),
    (OWL.propertyChainAxiom, "property chain"),
    (SKOS.inScheme, "in scheme"),
    (SKOS.topConceptOf, "top concept of"),
    (SKOS.broader, "broader"),
    (SKOS.narrower, "narrower"),
    (SKOS.related, "related"),
    (SKOS.exactMatch, "exact match"),
    (SKOS.closeMatch, "close match"),
    (OWL.sameAs, "same as"),
    (RDFS.seeAlso, "see also"),
]
_SHOWN_ELSEWHERE = {RDF.type, RDFS.label, SKOS.prefLabel, SKOS.altLabel, SKOS.definition,
                    RDFS.comment, DCTERMS.source, SKOS.scopeNote, RDFS.isDefinedBy}
CHARACTERISTICS = {OWL.FunctionalProperty: "functional", OWL.InverseFunctionalProperty:
                   "inverse functional", OWL.TransitiveProperty: "transitive",
                   OWL.SymmetricProperty: "symmetric", OWL.AsymmetricProperty: "asymmetric",
                   OWL.IrreflexiveProperty: "irreflexive", OWL.ReflexiveProperty: "reflexive"}


@dataclass
class Term:
    iri: str
    name: str  # the local name: the page anchor
    kind: str  # class, object property, datatype property, annotation property, concept, scheme
    labels: dict[str, str] = field(default_factory=dict)  # language -> label
    definition: str = ""
    comments: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    characteristics: list[str] = field(default_factory=list)
    relations: list[tuple[str, list]] = field(default_factory=list)  # (words, [iri or text])
    others: list[tuple[str, list]] = field(default_factory=list)  # any other statement

    @property
    def label(self) -> str:
        return self.labels.get("en") or next(iter(self.labels.values()), self.name)


@dataclass
class OntologyDocument:
    iri: str
    title: str
    description: str
    version: str
    license: str | None
    sections: list[tuple[str, list[Term]]]
    prefixes: dict[str, str]

    @property
    def terms(self) -> list[Term]:
        return [t for _, terms in self.sections for t in terms]


@cache
def ontology_graph() -> Graph:
    """The shipped ontology files as one graph (parsed once per process)."""
    graph = Graph()
    for path in ontology_files():
        graph.parse(path, format="turtle")
    for prefix, iri in PREFIXES.items():
        graph.bind(prefix, iri, override=True)
    return graph


@cache
def shapes_graph() -> Graph:
    graph = Graph()
    for path in shape_files():
        graph.parse(path, format="turtle")
    for prefix, iri in PREFIXES.items():
        graph.bind(prefix, iri, override=True)
    return graph


def _text(graph: Graph, node, predicate) -> str:
    values = list(graph.objects(node, predicate))
    en = [v for v in values if isinstance(v, Literal) and v.language in (None, "en")]
    return str((en or values or [""])[0])


def _labels(graph: Graph, node) -> dict[str, str]:
    labels: dict[str, str] = {}
    for predicate in (SKOS.prefLabel, RDFS.label):
        for value in graph.objects(node, predicate):
            if isinstance(value, Literal):
                labels.setdefault(value.language or "en", str(value))
    return labels


def describe_node(graph: Graph, node) -> str | list:
    """A blank node of a class expression as words (restrictions, unions, lists)."""
    if isinstance(node, URIRef):
        return str(node)
    on = graph.value(node, OWL.onProperty)
    if on is not None:
        for predicate, words in [(OWL.hasValue, "value"), (OWL.someValuesFrom, "some"),
                                 (OWL.allValuesFrom, "only"), (OWL.cardinality, "exactly"),
                                 (OWL.qualifiedCardinality, "exactly"),
                                 (OWL.minCardinality, "at least"),
                                 (OWL.minQualifiedCardinality, "at least"),
                                 (OWL.maxCardinality, "at most"),
                                 (OWL.maxQualifiedCardinality, "at most")]:
            value = graph.value(node, predicate)
            if value is not None:
                target = graph.value(node, OWL.onClass)
                parts = [str(on), words, value if isinstance(value, Literal) else
                         describe_node(graph, value)]
                if target is not None:
                    parts.append(describe_node(graph, target))
                return ["restriction", *parts]
    for predicate, words in [(OWL.intersectionOf, "and"), (OWL.unionOf, "or"),
                             (OWL.oneOf, "one of")]:
        head = graph.value(node, predicate)
        if head is not None:
            return ["list", words, [describe_node(graph, x) for x in Collection(graph, head)]]
    if (node, RDF.first, None) in graph:
        return ["list", ",", [describe_node(graph, x) for x in Collection(graph, node)]]
    inverse = graph.value(node, OWL.inverseOf)
    if inverse is not None:
        return ["list", "inverse of", [str(inverse)]]
    return "(an anonymous class)"


def _kind(graph: Graph, node) -> str | None:
    types = set(graph.objects(node, RDF.type))
    for cls, kind in [(OWL.Class, "class"), (RDFS.Class, "class"),
                      (OWL.ObjectProperty, "object property"),
                      (OWL.DatatypeProperty, "datatype property"),
                      (OWL.AnnotationProperty, "annotation property"),
                      (RDF.Property, "property"),
                      (SKOS.ConceptScheme, "concept scheme"), (SKOS.Concept, "concept"),
                      (OWL.NamedIndividual, "individual")]:
        if cls in types:
            return kind
    return None


def _term(graph: Graph, node: URIRef, kind: str) -> Term:
    term = Term(iri=str(node), name=str(node)[len(EC_IRI):], kind=kind)
    term.labels = _labels(graph, node)
    term.definition = _text(graph, node, SKOS.definition) or ""
    term.comments = [str(c) for c in graph.objects(node, RDFS.comment)
                     if not isinstance(c, Literal) or c.language in (None, "en")]
    if not term.definition and term.comments:
        term.definition = term.comments.pop(0)
    term.sources = sorted(str(s) for s in graph.objects(node, DCTERMS.source))
    term.notes = [str(n) for n in graph.objects(node, SKOS.scopeNote)
                  if not isinstance(n, Literal) or n.language in (None, "en")]
    types = set(graph.objects(node, RDF.type))
    term.characteristics = [words for cls, words in CHARACTERISTICS.items() if cls in types]
    for predicate, words in RELATIONS:
        values = [describe_node(graph, v) for v in graph.objects(node, predicate)]
        if values:
            term.relations.append((words, sorted(values, key=str)))
    # what points back: subclasses, subproperties, members of a scheme, narrower concepts
    for predicate, words in [(RDFS.subClassOf, "subclasses"),
                             (RDFS.subPropertyOf, "subproperties"),
                             (SKOS.inScheme, "concepts"), (SKOS.broader, "narrower")]:
        values = sorted(str(s) for s in graph.subjects(predicate, node) if isinstance(s, URIRef))
        if values:
            term.relations.append((words, values))
    known = {p for p, _ in RELATIONS} | _SHOWN_ELSEWHERE
    for predicate in sorted(set(graph.predicates(node, None)) - known, key=str):
        values = [v if isinstance(v, Literal) else describe_node(graph, v)
                  for v in graph.objects(node, predicate)]
        term.others.append((str(predicate), values))
    return term


SECTIONS = [("Classes", {"class"}),
            ("Object properties", {"object property", "property"}),
            ("Datatype properties", {"datatype property"}),
            ("Annotation properties", {"annotation property"}),
            ("Concept schemes", {"concept scheme"}),
            ("Concepts", {"concept", "individual"})]


@cache
def ontology_document() -> OntologyDocument:
    graph = ontology_graph()
    ontology = URIRef(ONTOLOGY_IRI)
    terms: dict[str, list[Term]] = {title: [] for title, _ in SECTIONS}
    for node in sorted({s for s in graph.subjects() if isinstance(s, URIRef)
                        and str(s).startswith(EC_IRI) and len(str(s)) > len(EC_IRI)}):
        kind = _kind(graph, node)
        if kind is None:
            continue
        for title, kinds in SECTIONS:
            if kind in kinds:
                terms[title].append(_term(graph, node, kind))
                break
    sections = [(title, terms[title]) for title, _ in SECTIONS if terms[title]]
    license_ = graph.value(ontology, DCTERMS.license)
    return OntologyDocument(
        iri=ONTOLOGY_IRI,
        title=_text(graph, ontology, DCTERMS.title) or "educluster",
        description=_text(graph, ontology, DCTERMS.description),
        version=_text(graph, ontology, OWL.versionInfo),
        license=str(license_) if license_ else None,
        sections=sections,
        prefixes=dict(PREFIXES),
    )


# -- shapes ---------------------------------------------------------------------------------
@dataclass
class ShapeEntry:
    iri: str
    name: str
    label: str
    comment: str
    message: str
    severity: str
    targets: list[tuple[str, str]]  # (words, class or property)
    path: str | None
    sources: list[str]


@dataclass
class PrincipleEntry:
    iri: str
    name: str
    label: str
    definition: str
    sources: list[str]
    shapes: list[ShapeEntry]


def _severity(graph: Graph, shape) -> str:
    value = graph.value(shape, SH.severity)
    return str(value).rsplit("#", 1)[-1] if value is not None else "Violation"


@cache
def shapes_document() -> list[PrincipleEntry]:
    """The principles, in the order of DESIGN.md, each with the shapes that enforce it."""
    shapes = shapes_graph()
    ontology = ontology_graph()
    principle = EC.principle
    by_principle: dict[str, list[ShapeEntry]] = {}
    for shape in sorted(set(shapes.subjects(principle, None)), key=str):
        if not isinstance(shape, URIRef):
            continue
        targets = [(words, str(t)) for p, words in (
            (SH.targetClass, "every"), (SH.targetNode, "the node"),
            (SH.targetSubjectsOf, "everything with a value of"),
            (SH.targetObjectsOf, "every value of")) for t in shapes.objects(shape, p)]
        path = shapes.value(shape, SH.path)
        entry = ShapeEntry(
            iri=str(shape), name=str(shape).rsplit("#", 1)[-1],
            label=_text(shapes, shape, RDFS.label) or str(shape).rsplit("#", 1)[-1],
            comment=_text(shapes, shape, RDFS.comment),
            message=_text(shapes, shape, SH.message) or _nested_message(shapes, shape),
            severity=_severity(shapes, shape), targets=targets,
            path=str(path) if isinstance(path, URIRef) else None,
            sources=sorted(str(s) for s in shapes.objects(shape, DCTERMS.source)),
        )
        for value in shapes.objects(shape, principle):
            by_principle.setdefault(str(value), []).append(entry)
    order = [EC_IRI + n for n in (
        "Regionalization", "Leadership", "Interdependence", "Specialization", "Subordination",
        "EqualComponents", "FailureTolerance", "PurposefulConnection", "PrivateInterest",
        "SpecificGoals", "UnityOfEntities", "RelationTypology", "Coordination",
        "PilotBeforeDissemination", "OntologyConsistency")]
    principles = sorted(by_principle, key=lambda p: (order.index(p) if p in order else 99, p))
    entries = []
    for iri in principles:
        node = URIRef(iri)
        labels = _labels(ontology, node)
        entries.append(PrincipleEntry(
            iri=iri, name=iri.rsplit("#", 1)[-1],
            label=labels.get("en") or iri.rsplit("#", 1)[-1],
            definition=(_text(ontology, node, SKOS.definition)
                        or _text(ontology, node, RDFS.comment)),
            sources=sorted(str(s) for s in ontology.objects(node, DCTERMS.source)),
            shapes=by_principle[iri],
        ))
    return entries


def _nested_message(graph: Graph, shape) -> str:
    for constraint in graph.objects(shape, SH.sparql):
        if isinstance(constraint, BNode):
            text = _text(graph, constraint, SH.message)
            if text:
                return text
    return ""
