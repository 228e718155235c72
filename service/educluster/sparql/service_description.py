"""The SPARQL 1.1 Service Description (https://www.w3.org/TR/sparql11-service-description/)
answered on a plain GET of the endpoint: what it speaks, in which formats, over which
dataset."""

from __future__ import annotations

import pyoxigraph as ox

from educluster.sparql.negotiation import FORMATS

SD = "http://www.w3.org/ns/sparql-service-description#"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
DCTERMS_TITLE = ox.NamedNode("http://purl.org/dc/terms/title")

#: W3C format IRIs (https://www.w3.org/ns/formats/) of the formats in the table
FORMAT_IRIS = {
    "json": "http://www.w3.org/ns/formats/SPARQL_Results_JSON",
    "xml": "http://www.w3.org/ns/formats/SPARQL_Results_XML",
    "csv": "http://www.w3.org/ns/formats/SPARQL_Results_CSV",
    "tsv": "http://www.w3.org/ns/formats/SPARQL_Results_TSV",
    "turtle": "http://www.w3.org/ns/formats/Turtle",
    "ntriples": "http://www.w3.org/ns/formats/N-Triples",
    "jsonld": "http://www.w3.org/ns/formats/JSON-LD",
    "rdfxml": "http://www.w3.org/ns/formats/RDF_XML",
    "nquads": "http://www.w3.org/ns/formats/N-Quads",
    "trig": "http://www.w3.org/ns/formats/TriG",
}


def _sd(name: str) -> ox.NamedNode:
    return ox.NamedNode(SD + name)


def describe(endpoint: str, named_graphs: list[str], *, update: bool) -> list[ox.Triple]:
    """The description of the endpoint at ``endpoint`` (its absolute URL)."""
    service = ox.NamedNode(endpoint + "#service")
    dataset = ox.BlankNode()
    default_graph = ox.BlankNode()
    triples = [
        ox.Triple(service, RDF_TYPE, _sd("Service")),
        ox.Triple(service, DCTERMS_TITLE, ox.Literal("educluster SPARQL endpoint", language="en")),
        ox.Triple(service, _sd("endpoint"), ox.NamedNode(endpoint)),
        ox.Triple(service, _sd("supportedLanguage"), _sd("SPARQL11Query")),
        # the query default graph is the union of every graph of the store
        ox.Triple(service, _sd("feature"), _sd("UnionDefaultGraph")),
        ox.Triple(service, _sd("defaultDataset"), dataset),
        ox.Triple(dataset, RDF_TYPE, _sd("Dataset")),
        ox.Triple(dataset, _sd("defaultGraph"), default_graph),
        ox.Triple(default_graph, RDF_TYPE, _sd("Graph")),
    ]
    if update:
        triples.append(ox.Triple(service, _sd("supportedLanguage"), _sd("SPARQL11Update")))
    for f in FORMATS:
        triples.append(ox.Triple(service, _sd("resultFormat"), ox.NamedNode(FORMAT_IRIS[f.name])))
    for graph in named_graphs:
        node = ox.BlankNode()
        graph_node = ox.BlankNode()
        triples += [
            ox.Triple(dataset, _sd("namedGraph"), node),
            ox.Triple(node, RDF_TYPE, _sd("NamedGraph")),
            ox.Triple(node, _sd("name"), ox.NamedNode(graph)),
            ox.Triple(node, _sd("graph"), graph_node),
            ox.Triple(graph_node, RDF_TYPE, _sd("Graph")),
        ]
    return triples
