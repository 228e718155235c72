"""Namespaces and the fixed IRIs of the project (DESIGN.md, "Vocabulary contract")."""

from __future__ import annotations

from rdflib import Namespace
from rdflib.namespace import DCTERMS, FOAF, OWL, RDF, RDFS, SH, SKOS, XSD

EC_IRI = "https://w3id.org/educluster#"
ECSH_IRI = "https://w3id.org/educluster/shapes#"
ID_IRI = "https://w3id.org/educluster/id/"
ORG_IRI = "http://www.w3.org/ns/org#"
ONTOLOGY_IRI = "https://w3id.org/educluster"

EC = Namespace(EC_IRI)
ECSH = Namespace(ECSH_IRI)
ID = Namespace(ID_IRI)
ORG = Namespace(ORG_IRI)
SCHEMA = Namespace("https://schema.org/")

# Named graphs the service keeps.  The query default graph is the union of every graph
# (the store's default graph, every named graph, the derived graph included).
GRAPH_IRI = "https://w3id.org/educluster/graph/"
ONTOLOGY_GRAPH = GRAPH_IRI + "ontology"
SHAPES_GRAPH = GRAPH_IRI + "shapes"
DERIVED_GRAPH = GRAPH_IRI + "derived"
DATA_GRAPH_PREFIX = GRAPH_IRI + "data/"

PREFIXES: dict[str, str] = {
    "ec": EC_IRI,
    "ecsh": ECSH_IRI,
    "id": ID_IRI,
    "org": ORG_IRI,
    "skos": str(SKOS),
    "dcterms": str(DCTERMS),
    "foaf": str(FOAF),
    "xsd": str(XSD),
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "owl": str(OWL),
    "sh": str(SH),
    "schema": str(SCHEMA),
}


def sparql_prefixes() -> str:
    """The project's prefixes as SPARQL ``PREFIX`` lines."""
    return "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in PREFIXES.items())


__all__ = [
    "DCTERMS", "DERIVED_GRAPH", "EC", "ECSH", "FOAF", "ID", "ONTOLOGY_GRAPH", "ORG", "OWL",
    "PREFIXES", "RDF", "RDFS", "SCHEMA", "SH", "SHAPES_GRAPH", "SKOS", "XSD", "sparql_prefixes",
]
