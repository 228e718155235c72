"""Shared pieces of the derived-knowledge tests: a small TBox in the shipped ontology's
pattern, the backends the cases run on, and a builder for cluster definitions.

The TBox states exactly what DESIGN.md asks the ontology to state (participant kinds
under org:Organization, sector and level defaults as owl:hasValue restrictions, the
membership properties, transitive ec:partOfRegion), plus two test-only classes:
``ex:ResearchUniversity`` (a narrower class whose sector default overrides its
superclass's) and ``ex:LaboratorySchool`` (a subclass with no default of its own).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from educluster.reasoning import materialize, update_derived
from educluster.store import OxigraphStore, Store
from educluster.vocab import DATA_GRAPH_PREFIX, DERIVED_GRAPH, EC_IRI, ONTOLOGY_GRAPH

EC = EC_IRI
EX = "http://example.org/"
DATA_GRAPH = DATA_GRAPH_PREFIX + "test"

PREFIXES = f"""\
@prefix ec: <{EC}> .
@prefix ex: <{EX}> .
@prefix org: <http://www.w3.org/ns/org#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
"""

TBOX = PREFIXES + """
ec:Cluster a owl:Class ; rdfs:subClassOf org:OrganizationalCollaboration .
org:OrganizationalCollaboration a owl:Class ; rdfs:subClassOf org:Organization .
ec:EducationalCluster a owl:Class ; rdfs:subClassOf ec:Cluster .
ec:TeacherEducationCluster a owl:Class ; rdfs:subClassOf ec:EducationalCluster .
ec:VerticalCluster a owl:Class ; rdfs:subClassOf ec:Cluster .
ec:HorizontalCluster a owl:Class ; rdfs:subClassOf ec:Cluster .
ec:MixedCluster a owl:Class ; rdfs:subClassOf ec:Cluster .
ec:Cooperation a owl:Class .
ec:Region a owl:Class .

ec:EducationalInstitution a owl:Class ; rdfs:subClassOf org:Organization ,
    [ a owl:Restriction ; owl:onProperty ec:sector ; owl:hasValue ec:EducationSector ] .
ec:HigherEducationInstitution a owl:Class ; rdfs:subClassOf ec:EducationalInstitution ,
    [ a owl:Restriction ; owl:onProperty ec:educationLevel ; owl:hasValue ec:HigherLevel ] .
ec:GeneralSecondarySchool a owl:Class ; rdfs:subClassOf ec:EducationalInstitution ,
    [ a owl:Restriction ; owl:onProperty ec:educationLevel ;
      owl:hasValue ec:GeneralSecondaryLevel ] .
ec:PreschoolInstitution a owl:Class ; rdfs:subClassOf ec:EducationalInstitution ,
    [ a owl:Restriction ; owl:onProperty ec:educationLevel ; owl:hasValue ec:PreschoolLevel ] .
ec:AcademicLyceum a owl:Class ; rdfs:subClassOf ec:EducationalInstitution ,
    [ a owl:Restriction ; owl:onProperty ec:educationLevel ;
      owl:hasValue ec:SecondarySpecializedLevel ] .
ec:ResearchInstitute a owl:Class ; rdfs:subClassOf org:Organization ,
    [ a owl:Restriction ; owl:onProperty ec:sector ; owl:hasValue ec:ScienceSector ] .
ec:Enterprise a owl:Class ; rdfs:subClassOf org:Organization ,
    [ a owl:Restriction ; owl:onProperty ec:sector ; owl:hasValue ec:BusinessSector ] .
ec:PublicAuthority a owl:Class ; rdfs:subClassOf org:Organization ,
    [ a owl:Restriction ; owl:onProperty ec:sector ; owl:hasValue ec:GovernmentSector ] .

ex:ResearchUniversity a owl:Class ; rdfs:subClassOf ec:HigherEducationInstitution ,
    [ a owl:Restriction ; owl:onProperty ec:sector ; owl:hasValue ec:ScienceSector ] .
ex:LaboratorySchool a owl:Class ; rdfs:subClassOf ec:GeneralSecondarySchool .

ec:hasMember a owl:ObjectProperty ; rdfs:subPropertyOf org:hasMember ;
    owl:inverseOf ec:memberOf .
ec:memberOf a owl:ObjectProperty ; rdfs:subPropertyOf org:memberOf .
org:hasMember owl:inverseOf org:memberOf .
ec:partOfRegion a owl:ObjectProperty, owl:TransitiveProperty .
ec:partner a owl:ObjectProperty ; rdfs:domain ec:Cooperation ; rdfs:range org:Organization .
ec:orientation a owl:ObjectProperty .

ec:HigherLevel skos:prefLabel "higher"@en .
ec:GeneralSecondaryLevel skos:prefLabel "general secondary"@en .
ec:EducationSector skos:prefLabel "education sector"@en .
"""

# Participant kinds and their default (sector, level), as the TBox states them.
KINDS: dict[str, tuple[str, str | None]] = {
    "HigherEducationInstitution": ("EducationSector", "HigherLevel"),
    "GeneralSecondarySchool": ("EducationSector", "GeneralSecondaryLevel"),
    "PreschoolInstitution": ("EducationSector", "PreschoolLevel"),
    "AcademicLyceum": ("EducationSector", "SecondarySpecializedLevel"),
    "ResearchInstitute": ("ScienceSector", None),
    "Enterprise": ("BusinessSector", None),
    "PublicAuthority": ("GovernmentSector", None),
}


def ec(name: str) -> str:
    return EC + name


def ex(name: str) -> str:
    return EX + name


# -- backends ---------------------------------------------------------------------------
class Backend:
    """Where a case runs: ``open()`` a store holding the test TBox; ``reopen(store)`` gives
    the store a restarted service would see (the same object in memory)."""

    name = "abstract"

    def open(self) -> Store:
        raise NotImplementedError

    def reopen(self, store: Store) -> Store:
        return store


class MemoryBackend(Backend):
    """The in-memory path validation uses."""

    name = "memory"

    def open(self) -> Store:
        return with_tbox(OxigraphStore())


class DiskBackend(Backend):
    """The on-disk store behind the service, closed and reopened after every write."""

    name = "disk"

    def __init__(self, directory: Path):
        self.directory = directory
        self._count = 0

    def open(self) -> Store:
        self._count += 1
        return with_tbox(OxigraphStore(self.directory / f"store-{self._count}"))

    def reopen(self, store: Store) -> Store:
        assert isinstance(store, OxigraphStore) and store.path is not None
        path = store.path
        store.flush()
        store.close()
        return OxigraphStore(path)


def with_tbox(store: Store, tbox: str = TBOX) -> Store:
    store.load(tbox, ox.RdfFormat.TURTLE, graph=ONTOLOGY_GRAPH, source="test TBox")
    return store


def derive(backend: Backend, store: Store, data: str | None = None) -> Store:
    """Load ``data`` (Turtle) into the test data graph, materialize, and return the store
    as a restarted service would see it."""
    if data is not None:
        store.load(PREFIXES + data, ox.RdfFormat.TURTLE, graph=DATA_GRAPH, source="case")
    materialize(store)
    return backend.reopen(store)


def change(backend: Backend, store: Store, update: str, *, incremental: bool = False) -> Store:
    """Apply a SPARQL Update to asserted data, re-derive, reopen.  ``incremental``: keep
    derived knowledge current with ``update_derived`` and the quads the update changed,
    instead of re-deriving everything."""
    before = asserted_quad_set(store)
    store.update(sparql_prefixes() + update)
    if incremental:
        after = asserted_quad_set(store)
        update_derived(store, before ^ after)
    else:
        materialize(store)
    return backend.reopen(store)


def asserted_quad_set(store: Store) -> set[ox.Quad]:
    return {
        q for q in store.quads("*")
        if not (isinstance(q.graph_name, ox.NamedNode) and q.graph_name.value == DERIVED_GRAPH)
    }


def sparql_prefixes() -> str:
    return "".join(
        f"PREFIX {line.split()[1]} {line.split()[2]}\n" for line in PREFIXES.splitlines()
    )


# -- reading results ----------------------------------------------------------------------
def derived_triples(store: Store) -> set[tuple[str, str, str]]:
    return {
        (str(q.subject), str(q.predicate), str(q.object))
        for q in store.quads(DERIVED_GRAPH)
    }


def asserted_quads(store: Store) -> set[str]:
    return {
        str(q) for q in store.quads("*")
        if not (isinstance(q.graph_name, ox.NamedNode) and q.graph_name.value == DERIVED_GRAPH)
    }


def derived_orientation(store: Store, node: str) -> str | None:
    rows = store.select(
        f"SELECT ?o WHERE {{ GRAPH <{DERIVED_GRAPH}> {{ <{node}> <{EC}orientation> ?o }} }}"
    )
    values = sorted(row["o"].value for row in rows)
    assert len(values) <= 1, f"{node} has several derived orientations: {values}"
    return values[0] if values else None


def has(store: Store, s: str, p: str, o: str) -> bool:
    """Whether the query default graph (the union, as SPARQL users see it) has the triple."""
    return store.ask(f"ASK {{ <{s}> <{p}> <{o}> }}")


def has_derived(store: Store, s: str, p: str, o: str) -> bool:
    return store.ask(f"ASK {{ GRAPH <{DERIVED_GRAPH}> {{ <{s}> <{p}> <{o}> }} }}")


# -- building definitions -----------------------------------------------------------------
@dataclass
class Participant:
    """A participant: its kind (a class local name, ec: or ex:) and explicit values."""

    name: str
    kind: str | None = "GeneralSecondarySchool"
    sectors: Iterable[str] = ()
    levels: Iterable[str] = ()
    fields: Iterable[str] = ()

    def turtle(self) -> str:
        lines = [f"ex:{self.name} rdfs:label \"{self.name.replace('-', ' ')}\""]
        if self.kind:
            prefix = "ex" if self.kind in ("ResearchUniversity", "LaboratorySchool") else "ec"
            lines.append(f"a {prefix}:{self.kind}")
        lines += [f"ec:sector ec:{s}" for s in self.sectors]
        lines += [f"ec:educationLevel ec:{lv}" for lv in self.levels]
        lines += [f'ec:field "{f}"' for f in self.fields]
        return " ;\n  ".join(lines) + " .\n"


@dataclass
class Cluster:
    """A cluster with members (by membership), cooperations and leading authorities."""

    name: str = "cluster"
    participants: list[Participant] = field(default_factory=list)
    cooperations: list[tuple[str, ...]] = field(default_factory=list)
    led_by: list[str] = field(default_factory=list)

    def turtle(self) -> str:
        out = [f"ex:{self.name} a ec:TeacherEducationCluster ; rdfs:label \"{self.name}\" .\n"]
        for p in self.participants:
            out.append(p.turtle())
            out.append(
                f"ex:{self.name}-m-{p.name} a org:Membership ; org:member ex:{p.name} ; "
                f"org:organization ex:{self.name} .\n"
            )
        for lead in self.led_by:
            out.append(f"ex:{self.name} ec:ledBy ex:{lead} .\n")
        for i, partners in enumerate(self.cooperations):
            coop = f"ex:{self.name}-coop-{i}"
            out.append(f"{coop} a ec:Cooperation ; ec:inCluster ex:{self.name} .\n")
            out.extend(f"{coop} ec:partner ex:{p} .\n" for p in partners)
        return "".join(out)

    def cooperation(self, i: int) -> str:
        return ex(f"{self.name}-coop-{i}")


# -- comparing a derivation path with a reference ------------------------------------------

#: a document for ``load_both``: its bytes, its format and the graph it goes to
Document = tuple[bytes, ox.RdfFormat, str]


def derived_terms(store: OxigraphStore) -> set[ox.Triple]:
    """The triples of an Oxigraph store's derived graph, as terms (``derived_triples``
    gives any store's as text)."""
    return {ox.Triple(q.subject, q.predicate, q.object)
            for q in store.raw.quads_for_pattern(None, None, None, ox.NamedNode(DERIVED_GRAPH))}


def load_both(reference: Store, other: Store, documents: list[Document]) -> None:
    """Add the documents to both stores, each parsed once, so that their blank nodes have
    the same labels in both."""
    for data, fmt, graph in documents:
        quads = [ox.Quad(q.subject, q.predicate, q.object, ox.NamedNode(graph))
                 for q in ox.parse(data, format=fmt)]
        reference.add_quads(quads)
        other.add_quads(quads)


def with_examples(synthetic: bytes) -> list[Document]:
    """Synthetic clusters (N-Triples) and the example clusters, each in a data graph of
    its own."""
    from educluster.resources import example_files

    documents = [(synthetic, ox.RdfFormat.N_TRIPLES, DATA_GRAPH_PREFIX + "synthetic")]
    documents += [(path.read_bytes(), ox.RdfFormat.TURTLE, DATA_GRAPH_PREFIX + path.stem)
                  for path in example_files()]
    return documents
