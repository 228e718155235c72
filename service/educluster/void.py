"""The dataset description: VoID and DCAT, with statistics counted in the store.

``describe_dataset(store, service_root=...)`` returns triples saying what the dataset is
(``void:Dataset`` and ``dcat:Dataset``), how big (triples, entities, distinct subjects
and objects, classes, properties, each with its own partition), what it holds per named
graph and per cluster (members, memberships, cooperations), where its SPARQL endpoint is
and where the dumps are (``void:dataDump`` and one ``dcat:Distribution`` per format).
Every number is the answer of a SPARQL query over the union of the graphs, the same
query a user could send to ``/sparql``, so that the two always agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyoxigraph as ox

from educluster.linked_data import FORMATS, labels_for
from educluster.store.base import Store
from educluster.vocab import DERIVED_GRAPH, EC_IRI, ID_IRI, ORG_IRI, PREFIXES

VOID = "http://rdfs.org/ns/void#"
DCAT = "http://www.w3.org/ns/dcat#"
DCTERMS = PREFIXES["dcterms"]
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
XSD_INTEGER = ox.NamedNode(PREFIXES["xsd"] + "integer")

#: the SPARQL behind each statistic (the test suite runs them on /sparql too)
COUNT_QUERIES = {
    "triples": "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o } }",
    "distinctSubjects": "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s ?p ?o }",
    "distinctObjects": "SELECT (COUNT(DISTINCT ?o) AS ?n) WHERE { ?s ?p ?o }",
    "properties": "SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE { ?s ?p ?o }",
    "classes": "SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE { ?s a ?c }",
}
ENTITIES_QUERY = (
    "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ ?s ?p ?o "
    "FILTER (isIRI(?s) && STRSTARTS(STR(?s), {base})) }}"
)


@dataclass
class Statistics:
    triples: int
    entities: int
    distinct_subjects: int
    distinct_objects: int
    properties: int
    classes: int
    class_partitions: dict[str, int] = field(default_factory=dict)  # class -> entities
    property_partitions: dict[str, int] = field(default_factory=dict)  # property -> triples
    graphs: dict[str, int] = field(default_factory=dict)  # named graph -> triples
    clusters: dict[str, dict[str, int]] = field(default_factory=dict)


def _count(store: Store, query: str) -> int:
    rows = store.select(query)
    return int(rows[0]["n"].value) if rows else 0


def statistics(store: Store, *, base_iri: str = ID_IRI) -> Statistics:
    """Count what the description states."""
    counts = {name: _count(store, q) for name, q in COUNT_QUERIES.items()}
    stats = Statistics(
        triples=counts["triples"],
        entities=_count(store, ENTITIES_QUERY.format(base=ox.Literal(base_iri))),
        distinct_subjects=counts["distinctSubjects"],
        distinct_objects=counts["distinctObjects"],
        properties=counts["properties"],
        classes=counts["classes"],
    )
    for row in store.select(
        "SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?c } GROUP BY ?c ORDER BY ?c"
    ):
        stats.class_partitions[row["c"].value] = int(row["n"].value)
    for row in store.select(
        "SELECT ?p (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o } } "
        "GROUP BY ?p ORDER BY ?p"
    ):
        stats.property_partitions[row["p"].value] = int(row["n"].value)
    for row in store.select(
        "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g"
    ):
        stats.graphs[row["g"].value] = int(row["n"].value)
    for row in store.select(f"""
        SELECT ?c (COUNT(DISTINCT ?m) AS ?members) (COUNT(DISTINCT ?ms) AS ?memberships)
               (COUNT(DISTINCT ?coop) AS ?cooperations)
        WHERE {{
          ?c a <{EC_IRI}Cluster> .
          OPTIONAL {{ ?ms <{ORG_IRI}organization> ?c ; <{ORG_IRI}member> ?m }}
          OPTIONAL {{ ?coop <{EC_IRI}inCluster> ?c }}
        }} GROUP BY ?c ORDER BY ?c"""):
        stats.clusters[row["c"].value] = {
            "members": int(row["members"].value),
            "memberships": int(row["memberships"].value),
            "cooperations": int(row["cooperations"].value),
        }
    return stats


def describe_dataset(store: Store, *, service_root: str, base_iri: str = ID_IRI
                     ) -> list[ox.Triple]:
    """The VoID and DCAT description of the service's dataset, as triples.

    ``service_root`` is the service's public address (``https://host/``): the dataset is
    ``<root>.well-known/void#dataset``, the endpoint ``<root>sparql``, the dumps
    ``<root>export?format=...``."""
    root = service_root if service_root.endswith("/") else service_root + "/"
    stats = statistics(store, base_iri=base_iri)
    doc = root + ".well-known/void"
    dataset = ox.NamedNode(doc + "#dataset")
    triples: list[ox.Triple] = []

    def add(s, p: str, o) -> None:
        triples.append(ox.Triple(s, ox.NamedNode(p), o))

    def integer(n: int) -> ox.Literal:
        return ox.Literal(str(n), datatype=XSD_INTEGER)

    def text(value: str) -> ox.Literal:
        return ox.Literal(value, language="en")

    add(dataset, str(RDF_TYPE.value), ox.NamedNode(VOID + "Dataset"))
    add(dataset, str(RDF_TYPE.value), ox.NamedNode(DCAT + "Dataset"))
    add(dataset, DCTERMS + "title", text("educluster: educational clusters"))
    add(dataset, DCTERMS + "description", text(
        "The educluster knowledge graph: educational clusters (universities, schools, "
        "preschools, lyceums, research institutes, enterprises and education authorities "
        "cooperating in a region), their memberships and cooperations, the ontology and the "
        "principle shapes, with the knowledge the service derives (orientation of clusters "
        "and cooperations, memberships, type closure) in its own named graph."))
    add(dataset, DCTERMS + "license", ox.NamedNode("https://creativecommons.org/licenses/by/4.0/"))
    add(dataset, DCAT + "landingPage", ox.NamedNode(root))
    add(dataset, VOID + "sparqlEndpoint", ox.NamedNode(root + "sparql"))
    add(dataset, VOID + "uriSpace", ox.Literal(base_iri))
    add(dataset, VOID + "rootResource", ox.NamedNode(root + "id/"))
    for prefix in ("ec", "org", "skos", "dcterms", "foaf", "rdfs", "owl", "sh"):
        add(dataset, VOID + "vocabulary", ox.NamedNode(PREFIXES[prefix]))
    for cluster in list(stats.clusters)[:3]:
        add(dataset, VOID + "exampleResource", ox.NamedNode(cluster))
    add(dataset, VOID + "triples", integer(stats.triples))
    add(dataset, VOID + "entities", integer(stats.entities))
    add(dataset, VOID + "distinctSubjects", integer(stats.distinct_subjects))
    add(dataset, VOID + "distinctObjects", integer(stats.distinct_objects))
    add(dataset, VOID + "properties", integer(stats.properties))
    add(dataset, VOID + "classes", integer(stats.classes))

    # dumps: one distribution per format, with and without derived triples
    for fmt in FORMATS.values():
        url = ox.NamedNode(f"{root}export?format={fmt.name}")
        add(dataset, VOID + "dataDump", url)
        dist = ox.NamedNode(f"{doc}#dump-{fmt.name}")
        add(dataset, DCAT + "distribution", dist)
        add(dist, str(RDF_TYPE.value), ox.NamedNode(DCAT + "Distribution"))
        add(dist, DCAT + "downloadURL", url)
        add(dist, DCAT + "accessURL", url)
        add(dist, DCAT + "mediaType",
            ox.NamedNode("https://www.iana.org/assignments/media-types/" + fmt.media_type))
        add(dist, DCTERMS + "format", ox.Literal(fmt.media_type))
        add(dist, DCTERMS + "title", text(
            f"The whole dataset as {fmt.name}, derived triples included "
            "(add &derived=false to leave them out)"))
    service = ox.NamedNode(doc + "#sparql")
    add(dataset, DCAT + "distribution", service)
    add(service, str(RDF_TYPE.value), ox.NamedNode(DCAT + "Distribution"))
    add(service, DCAT + "accessURL", ox.NamedNode(root + "sparql"))
    add(service, DCTERMS + "title", text("SPARQL 1.1 endpoint"))

    for i, (cls, n) in enumerate(stats.class_partitions.items()):
        part = ox.NamedNode(f"{doc}#class-{i}")
        add(dataset, VOID + "classPartition", part)
        add(part, VOID + "class", ox.NamedNode(cls))
        add(part, VOID + "entities", integer(n))
    for i, (prop, n) in enumerate(stats.property_partitions.items()):
        part = ox.NamedNode(f"{doc}#property-{i}")
        add(dataset, VOID + "propertyPartition", part)
        add(part, VOID + "property", ox.NamedNode(prop))
        add(part, VOID + "triples", integer(n))
    for graph, n in stats.graphs.items():
        subset = ox.NamedNode(f"{doc}#graph-{graph.rsplit('/', 1)[-1]}")
        add(dataset, VOID + "subset", subset)
        add(subset, str(RDF_TYPE.value), ox.NamedNode(VOID + "Dataset"))
        add(subset, "http://www.w3.org/ns/sparql-service-description#name", ox.NamedNode(graph))
        add(subset, VOID + "triples", integer(n))
        add(subset, DCTERMS + "title", text(
            "derived knowledge, recomputed after each change" if graph == DERIVED_GRAPH
            else f"named graph {graph}"))
    labels = labels_for(store, stats.clusters)
    for cluster, counts in stats.clusters.items():
        subset = ox.NamedNode(f"{doc}#cluster-{cluster.rstrip('/').rsplit('/', 1)[-1]}")
        add(dataset, VOID + "subset", subset)
        add(subset, str(RDF_TYPE.value), ox.NamedNode(VOID + "Dataset"))
        add(subset, "http://xmlns.com/foaf/0.1/primaryTopic", ox.NamedNode(cluster))
        if cluster in labels:
            add(subset, DCTERMS + "title", text(labels[cluster]))
        add(subset, VOID + "entities", integer(counts["members"]))
        for cls, key in [(ORG_IRI + "Organization", "members"),
                         (ORG_IRI + "Membership", "memberships"),
                         (EC_IRI + "Cooperation", "cooperations")]:
            part = ox.NamedNode(f"{subset.value}-{key}")
            add(subset, VOID + "classPartition", part)
            add(part, VOID + "class", ox.NamedNode(cls))
            add(part, VOID + "entities", integer(counts[key]))
    return triples
