"""Linked data: dereferenceable IRIs, the ontology and shapes documents, readable and framed
JSON-LD, dumps in every format, and the VoID/DCAT description."""

from __future__ import annotations

import gzip
import io
import json

import pyoxigraph as ox
import pytest
import rdflib

from educluster import linked_data
from educluster.bootstrap import load_initial_content
from educluster.dataset import MemoryDataset
from educluster.documentation import ontology_graph
from educluster.store import OxigraphStore
from educluster.vocab import DERIVED_GRAPH, ONTOLOGY_GRAPH, SHAPES_GRAPH
from educluster.web import create_app
from httpserver import LiveServer

ID = "https://w3id.org/educluster/id/"
EC = "https://w3id.org/educluster#"
TASHKENT = ID + "tashkent-teacher-education-cluster"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
VOID = rdflib.Namespace("http://rdfs.org/ns/void#")


@pytest.fixture(scope="module")
def store():
    store = OxigraphStore()
    load_initial_content(store)
    return store


@pytest.fixture(scope="module")
def app(store):
    return create_app(MemoryDataset(store))


@pytest.fixture(scope="module")
def client(app):
    return app.test_client()


def graph_of(data: bytes, fmt: str) -> rdflib.Graph:
    if fmt == "json-ld":  # pyoxigraph's parser: rdflib's warns, and could fetch contexts
        triples = [ox.Triple(q.subject, q.predicate, q.object)
                   for q in ox.parse(data, format=ox.RdfFormat.JSON_LD)]
        data, fmt = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b"", "nt"
    return rdflib.Graph().parse(data=data, format=fmt)


def ground(graph) -> set:
    """The triples without blank nodes (comparable across parsers)."""
    return {t for t in graph if not any(isinstance(x, rdflib.BNode) for x in t)}


def store_triples(store, *, include_derived=True) -> rdflib.Graph:
    data = linked_data.export_dataset
    buffer = io.BytesIO()
    data(store, "ntriples", include_derived, buffer)
    return graph_of(buffer.getvalue(), "nt")


# -- /id/: content negotiation --------------------------------------------------------------
RDF_ACCEPT = [
    ("text/turtle", "text/turtle", "turtle"),
    ("application/n-triples", "application/n-triples", "nt"),
    ("application/rdf+xml", "application/rdf+xml", "xml"),
    ("application/ld+json", "application/ld+json", "json-ld"),
    ("*/*", "text/turtle", "turtle"),
    ('application/ld+json;profile="http://www.w3.org/ns/json-ld#compacted"',
     "application/ld+json", "json-ld"),
    ("text/turtle;q=0.5, application/rdf+xml", "application/rdf+xml", "xml"),
]


@pytest.mark.parametrize(("accept", "media_type", "parser"), RDF_ACCEPT)
def test_resource_answers_rdf_by_accept(client, accept, media_type, parser):
    response = client.get("/id/tashkent-teacher-education-cluster", headers={"Accept": accept})
    assert response.status_code == 200
    assert response.mimetype == media_type
    assert "Accept" in response.headers.get("Vary", "")
    graph = graph_of(response.data, parser)
    cluster = rdflib.URIRef(TASHKENT)
    assert (cluster, rdflib.RDFS.label,
            rdflib.Literal("Innovative cluster of teacher education of the Tashkent region",
                           lang="en")) in graph
    assert (cluster, rdflib.URIRef(EC + "region"), rdflib.URIRef(ID + "tashkent-region")) in graph


def test_browser_gets_html(client):
    accept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    response = client.get("/id/tashkent-teacher-education-cluster", headers={"Accept": accept})
    assert response.status_code == 200 and response.mimetype == "text/html"


def test_suffixes_name_the_format_and_give_the_same_graph(client):
    graphs = {}
    for suffix, media_type, parser in [(".ttl", "text/turtle", "turtle"),
                                       (".nt", "application/n-triples", "nt"),
                                       (".rdf", "application/rdf+xml", "xml"),
                                       (".jsonld", "application/ld+json", "json-ld")]:
        response = client.get(f"/id/tashkent-school-01{suffix}",
                              headers={"Accept": "text/html"})  # the suffix wins
        assert response.status_code == 200 and response.mimetype == media_type
        graphs[suffix] = graph_of(response.data, parser)
    reference = ground(graphs[".nt"])
    assert len(reference) > 20
    for suffix, graph in graphs.items():
        assert ground(graph) == reference, suffix
    html = client.get("/id/tashkent-school-01.html", headers={"Accept": "text/turtle"})
    assert html.mimetype == "text/html"


def test_description_holds_outgoing_and_incoming_links(client, store):
    graph = graph_of(client.get("/id/tashkent-school-01.nt").data, "nt")
    school = rdflib.URIRef(ID + "tashkent-school-01")
    # outgoing: what the school says about itself, derived knowledge included
    assert (school, rdflib.RDF.type, rdflib.URIRef(EC + "GeneralSecondarySchool")) in graph
    assert (school, rdflib.URIRef(EC + "sector"), rdflib.URIRef(EC + "EducationSector")) in graph
    # incoming: every statement of the store that points at the school
    incoming = {(r["s"].value, r["p"].value) for r in store.select(
        f"SELECT DISTINCT ?s ?p WHERE {{ ?s ?p <{school}> }}")}
    assert incoming
    assert {(str(s), str(p)) for s, p, _ in graph.triples((None, None, school))} == incoming


def test_unknown_resource_is_404(client):
    assert client.get("/id/no-such-thing").status_code == 404
    assert client.get("/id/no-such-thing.ttl").status_code == 404
    assert client.get("/id/bad iri>").status_code == 404


def test_html_page_has_label_links_incoming_links_and_cluster_status(client):
    html = client.get("/id/tashkent-teacher-education-cluster",
                      headers={"Accept": "text/html"}).get_data(as_text=True)
    assert "<h1>Innovative cluster of teacher education of the Tashkent region</h1>" in html
    assert 'href="/id/tashkent-region"' in html  # a linked value, by its local page
    assert ">Tashkent region</a>" in html  # ... shown by its label
    assert 'href="/ontology#TeacherEducationCluster"' in html  # types link to the docs
    assert "Incoming links" in html and 'href="/id/tashkent-membership-school-01"' in html
    assert 'href="/ontology#Vertical"' in html  # the derived orientation
    assert "vertical" in html.lower()
    assert "Conforms to the principles" in html
    assert 'href="/id/tashkent-teacher-education-cluster.json"' in html
    school = client.get("/id/tashkent-school-01", headers={"Accept": "text/html"})
    page = school.get_data(as_text=True)
    assert "Comprehensive school No. 1 of Chirchik" in page
    assert 'class="derived"' in page  # derived statements are marked as such
    assert "Orientation and validation" not in page  # only a cluster has it


def test_html_escapes_what_the_data_says():
    store = OxigraphStore()
    store.update(f'INSERT DATA {{ <{ID}x> <{RDFS_LABEL}> "<script>alert(1)</script>" }}')
    client = create_app(MemoryDataset(store)).test_client()
    html = client.get("/id/x", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html


def test_cluster_page_reports_a_flawed_cluster(tmp_path):
    from educluster.resources import flawed_example_files

    flawed = next(p for p in flawed_example_files() if p.name.startswith("leadership"))
    store = OxigraphStore()
    store.load(flawed.read_bytes(), ox.RdfFormat.TURTLE, graph="https://w3id.org/educluster/graph/data/x")
    from educluster.reasoning import materialize

    materialize(store)
    cluster = store.select(f"SELECT ?c WHERE {{ ?c a <{EC}Cluster> }}")[0]["c"].value
    client = create_app(MemoryDataset(store)).test_client()
    html = client.get("/id/" + cluster[len(ID):], headers={"Accept": "text/html"})
    text = html.get_data(as_text=True)
    assert "Does not conform" in text
    assert "severity-Violation" in text


def test_index_lists_the_clusters(client, store):
    html = client.get("/id/", headers={"Accept": "text/html"}).get_data(as_text=True)
    clusters = {r["c"].value
                for r in store.select(f"SELECT DISTINCT ?c WHERE {{ ?c a <{EC}Cluster> }}")}
    assert len(clusters) >= 5
    for cluster in clusters:
        assert f'href="/id/{cluster[len(ID):]}"' in html


# -- the base IRI ---------------------------------------------------------------------------
def test_base_iri_setting_serves_a_deployment_under_its_own_domain():
    base = "https://data.example.org/clusters/"
    store = OxigraphStore()
    store.update(f"""INSERT DATA {{
        <{base}north> a <{EC}Cluster> ; <{RDFS_LABEL}> "North cluster"@en ;
                      <{EC}region> <{base}north-region> .
        <{base}north-region> <{RDFS_LABEL}> "North region"@en .
        <{ID}elsewhere> <{RDFS_LABEL}> "under the default base"@en . }}""")
    client = create_app(MemoryDataset(store), settings={"base_iri": base}).test_client()
    response = client.get("/id/north.nt")
    assert response.status_code == 200
    assert f"<{base}north> <{EC}region> <{base}north-region>" in response.get_data(as_text=True)
    html = client.get("/id/north", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert 'href="/id/north-region"' in html
    assert client.get("/id/elsewhere").status_code == 404
    default = create_app(MemoryDataset(store)).test_client()
    assert default.get("/id/elsewhere").status_code == 200
    assert default.get("/id/north").status_code == 404


# -- JSON-LD --------------------------------------------------------------------------------
def test_jsonld_is_compacted_with_the_project_context(client):
    response = client.get("/id/tashkent-teacher-education-cluster.jsonld")
    document = response.get_json(force=True)
    assert document["@context"] == linked_data.context()
    nodes = document.get("@graph", [document])
    cluster = next(n for n in nodes if n.get("id") == TASHKENT)
    assert cluster["label"]["en"] == (
        "Innovative cluster of teacher education of the Tashkent region")
    assert cluster["region"] == ID + "tashkent-region"
    assert cluster["orientation"] == "Vertical"
    assert "TeacherEducationCluster" in cluster["type"]
    keys = {k for n in nodes for k in n}
    assert not any(k.startswith(EC) for k in keys), "ec: properties have short keys"
    # the same graph as Turtle says
    turtle = graph_of(client.get("/id/tashkent-teacher-education-cluster.ttl").data, "turtle")
    assert ground(graph_of(response.data, "json-ld")) == ground(turtle)


def test_context_is_published(client):
    response = client.get("/context.jsonld")
    assert response.status_code == 200 and response.mimetype == "application/ld+json"
    assert response.get_json(force=True)["@context"] == linked_data.context()


def test_framed_cluster_nests_memberships_participants_cooperations(client, store):
    response = client.get("/id/tashkent-teacher-education-cluster.json")
    assert response.mimetype == "application/json"
    cluster = response.get_json()
    assert cluster["id"] == TASHKENT and cluster["orientation"] == "Vertical"
    assert cluster["region"][0]["label"]["en"] == "Tashkent region"
    memberships = cluster["memberships"]
    assert len(memberships) == 30
    members = {m["member"]["id"]: m["member"] for m in memberships}
    institute = members[ID + "chirchik-state-pedagogical-institute"]
    assert "HigherEducationInstitution" in institute["type"]
    assert institute["cooperations"], "participants carry their cooperations"
    for membership in memberships:
        assert membership["role"][0]["label"]["en"]
        for cooperation in membership["member"]["cooperations"]:
            assert cooperation["orientation"] in {"Vertical", "Horizontal"}
            (other,) = cooperation["partner"]
            assert other["id"] != membership["member"]["id"]
    # the nested document is JSON-LD too, and says only what the store says (its plain
    # strings leave out the language tags of text values; label maps keep them)
    framed = ground(graph_of(response.data, "json-ld"))
    assert len(framed) > 500
    assert {_untagged(t) for t in framed} <= {_untagged(t) for t in ground(store_triples(store))}
    # a resource that is not a cluster has no framed view
    assert client.get("/id/tashkent-school-01.json").status_code == 404


def _untagged(triple):
    s, p, o = triple
    if isinstance(o, rdflib.Literal) and o.language:
        o = rdflib.Literal(str(o))
    return s, p, o


# -- the ontology and the shapes ------------------------------------------------------------
def test_ontology_is_negotiated(client):
    files = ontology_graph()
    for accept, parser in [("text/turtle", "turtle"), ("application/rdf+xml", "xml"),
                           ("application/n-triples", "nt"), ("application/ld+json", "json-ld")]:
        response = client.get("/ontology", headers={"Accept": accept})
        assert response.status_code == 200 and response.mimetype == accept
        assert len(graph_of(response.data, parser)) == len(files), accept
    assert client.get("/ontology.ttl").mimetype == "text/turtle"
    assert client.get("/ontology.xyz").status_code == 404


def test_ontology_page_documents_every_term(client, store):
    html = client.get("/ontology", headers={"Accept": "text/html"}).get_data(as_text=True)
    terms = [r["t"].value for r in store.select(f"""
        SELECT DISTINCT ?t WHERE {{ GRAPH <{ONTOLOGY_GRAPH}> {{ ?t a ?kind }}
          VALUES ?kind {{ <http://www.w3.org/2002/07/owl#Class>
                          <http://www.w3.org/2002/07/owl#ObjectProperty>
                          <http://www.w3.org/2002/07/owl#DatatypeProperty>
                          <http://www.w3.org/2004/02/skos/core#Concept> }}
          FILTER STRSTARTS(STR(?t), "{EC}") }}""")]
    assert len(terms) > 80
    for term in terms:
        assert f'id="{term[len(EC):]}"' in html, term
    # a definition, its source and its relations
    assert "seeds/004_624f85e5f4a099a0.txt" in html
    assert "subclass of" in html and "in scheme" in html


def test_shapes_page_lists_principles_and_rules(client, store):
    html = client.get("/shapes", headers={"Accept": "text/html"}).get_data(as_text=True)
    for principle in ("Regionalization", "Leadership", "Interdependence", "Specialization",
                      "Subordination", "FailureTolerance", "RelationTypology"):
        assert f'id="{principle}"' in html
    shapes = store.select(f"""SELECT DISTINCT ?shape WHERE {{ GRAPH <{SHAPES_GRAPH}> {{
        ?shape <{EC}principle> ?p FILTER isIRI(?shape) }} }}""")
    assert shapes
    for row in shapes:
        assert f'id="{row["shape"].value.rsplit("#", 1)[1]}"' in html
    assert client.get("/shapes", headers={"Accept": "text/turtle"}).mimetype == "text/turtle"


# -- dumps ----------------------------------------------------------------------------------
@pytest.mark.parametrize("derived", [True, False])
@pytest.mark.parametrize("fmt", sorted(linked_data.FORMATS))
def test_export_round_trips(client, store, fmt, derived):
    query = {"format": fmt} if derived else {"format": fmt, "derived": "false"}
    response = client.get("/export", query_string=query)
    assert response.status_code == 200 and response.is_streamed
    body = response.get_data()
    info = linked_data.FORMATS[fmt]
    assert response.mimetype == info.media_type
    quads = [q for q in store.quads("*") if derived or not (
        isinstance(q.graph_name, ox.NamedNode) and q.graph_name.value == DERIVED_GRAPH)]
    if info.is_dataset:
        parsed = list(ox.parse(body, format=info.oxigraph))
        assert len(parsed) == len(quads)
        assert {q for q in parsed if not _has_blank(q)} == {q for q in quads if not _has_blank(q)}
        assert ({q.graph_name.value for q in parsed if isinstance(q.graph_name, ox.NamedNode)}
                == {q.graph_name.value for q in quads if isinstance(q.graph_name, ox.NamedNode)})
    else:
        expected = {ox.Triple(q.subject, q.predicate, q.object) for q in quads}
        if fmt == "jsonld":
            parsed_graph = graph_of(body, "json-ld")
            assert len(parsed_graph) == len(expected)
            reference = graph_of(ox.serialize(list(expected), format=ox.RdfFormat.N_TRIPLES), "nt")
            assert ground(parsed_graph) == ground(reference)
        else:
            parsed = [ox.Triple(q.subject, q.predicate, q.object)
                      for q in ox.parse(body, format=info.oxigraph)]
            assert len(parsed) == len(expected)
            assert {t for t in parsed if not _has_blank(t)} == {
                t for t in expected if not _has_blank(t)}
    # only the derived graph types a cluster by its orientation
    derived_statement = f"<{TASHKENT}> <{rdflib.RDF.type}> <{EC}VerticalCluster>"
    if fmt in {"ntriples", "nquads"}:
        assert (derived_statement in body.decode()) == derived


def _has_blank(statement) -> bool:
    return any(isinstance(t, ox.BlankNode) for t in (statement.subject, statement.object))


def test_export_is_gzipped_when_accepted(client):
    plain = client.get("/export", query_string={"format": "nquads"}).get_data()
    response = client.get("/export", query_string={"format": "nquads"},
                          headers={"Accept-Encoding": "gzip"})
    assert response.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(response.get_data()) == plain


def test_export_format_by_accept_and_errors(client):
    response = client.get("/export", headers={"Accept": "application/n-quads"})
    assert response.mimetype == "application/n-quads"
    assert client.get("/export", query_string={"format": "yaml"}).status_code == 400


def test_export_dataset_writes_gzip_files(store, tmp_path):
    target = tmp_path / "dump.nq.gz"
    linked_data.export_dataset(store, "nquads", False, target)
    quads = list(ox.parse(gzip.decompress(target.read_bytes()), format=ox.RdfFormat.N_QUADS))
    assert quads and not any(q.graph_name == ox.NamedNode(DERIVED_GRAPH) for q in quads)


def test_turtle_export_in_slices_is_one_valid_document(store, monkeypatch):
    monkeypatch.setattr(linked_data, "CHUNK_QUADS", 100)  # many slices
    chunks = list(linked_data.iter_export(store, linked_data.FORMATS["turtle"]))
    assert len(chunks) > 10
    parsed = list(ox.parse(b"".join(chunks), format=ox.RdfFormat.TURTLE))
    assert len(parsed) == len({ox.Triple(q.subject, q.predicate, q.object)
                               for q in store.quads("*")})


# -- VoID -----------------------------------------------------------------------------------
def test_void_counts_equal_sparql_counts(client, store):
    response = client.get("/.well-known/void", headers={"Accept": "text/turtle"})
    assert response.status_code == 200 and response.mimetype == "text/turtle"
    void = graph_of(response.data, "turtle")
    dataset = rdflib.URIRef("http://localhost/.well-known/void#dataset")

    def stated(p, node=dataset) -> int:
        return int(void.value(node, p))

    def sparql(query: str) -> int:
        answer = client.get("/sparql", query_string={"query": query},
                            headers={"Accept": "application/sparql-results+json"}).get_json()
        return int(answer["results"]["bindings"][0]["n"]["value"])

    assert stated(VOID.triples) == sparql(
        "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o } }")
    assert stated(VOID.classes) == sparql("SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE { ?s a ?c }")
    assert stated(VOID.properties) == sparql(
        "SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE { ?s ?p ?o }")
    assert stated(VOID.entities) == sparql(
        f'SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ ?s ?p ?o FILTER STRSTARTS(STR(?s), "{ID}") }}')
    # per cluster: the Tashkent subset has its 30 members
    subset = next(s for s in void.subjects(rdflib.FOAF.primaryTopic, rdflib.URIRef(TASHKENT)))
    assert stated(VOID.entities, subset) == 30
    # the dumps and the endpoint are linked
    dumps = {str(o) for o in void.objects(dataset, VOID.dataDump)}
    assert "http://localhost/export?format=nquads" in dumps and len(dumps) == 6
    assert str(void.value(dataset, VOID.sparqlEndpoint)) == "http://localhost/sparql"
    assert (dataset, rdflib.RDF.type, rdflib.URIRef("http://www.w3.org/ns/dcat#Dataset")) in void


def test_void_in_jsonld(client):
    response = client.get("/.well-known/void", headers={"Accept": "application/ld+json"})
    assert response.mimetype == "application/ld+json"
    assert len(graph_of(response.data, "json-ld")) > 100


# -- over a real HTTP server on loopback ----------------------------------------------------
def test_linked_data_over_http(app):
    with LiveServer(app) as server:
        answer = server.request("GET", "/id/tashkent-region", headers={"Accept": "text/turtle"})
        assert answer.status == 200 and answer.content_type == "text/turtle"
        graph = graph_of(answer.body, "turtle")
        assert (rdflib.URIRef(ID + "tashkent-region"), rdflib.RDFS.label,
                rdflib.Literal("Tashkent region", lang="en")) in graph
        # a streamed, gzipped dump
        answer = server.request("GET", "/export?format=ntriples&derived=false",
                                headers={"Accept-Encoding": "gzip"})
        assert answer.status == 200 and answer.header("Content-Encoding") == "gzip"
        triples = list(ox.parse(gzip.decompress(answer.body), format=ox.RdfFormat.N_TRIPLES))
        assert len(triples) > 1000
        answer = server.request("GET", "/queries/members-by-kind?cluster=" + TASHKENT
                                + "&kind=ec:PreschoolInstitution")
        assert answer.status == 200 and json.loads(answer.body)["count"] == 5
        answer = server.request("GET", "/ontology", headers={"Accept": "text/html"})
        assert answer.status == 200 and 'id="Cluster"' in answer.text
        answer = server.request("GET", "/.well-known/void")
        void = graph_of(answer.body, "turtle")
        dumps = sorted(str(o) for o in void.objects(None, VOID.dataDump))
        assert dumps[0].startswith(server.url + "/export?format=")


def test_cli_export_writes_the_same_dump(tmp_path):
    import subprocess
    import sys

    from educluster.resources import example_files

    store_dir = tmp_path / "store"
    example = next(p for p in example_files() if p.stem == "methodological")
    run = [sys.executable, "-m", "educluster"]
    subprocess.run([*run, "load", "--store", str(store_dir), str(example)], check=True,
                   capture_output=True, timeout=300)
    out = tmp_path / "dump.nq.gz"
    done = subprocess.run([*run, "export", "--store", str(store_dir), "--format", "nquads",
                           "--no-derived", "--out", str(out)], check=True, capture_output=True,
                          text=True, timeout=300)
    quads = list(ox.parse(gzip.decompress(out.read_bytes()), format=ox.RdfFormat.N_QUADS))
    assert f"exported {len(quads)} statements" in done.stderr
    assert not any(q.graph_name == ox.NamedNode(DERIVED_GRAPH) for q in quads)
    asserted = {ox.Triple(q.subject, q.predicate, q.object)
                for q in ox.parse(example.read_bytes(), format=ox.RdfFormat.TURTLE)}
    exported = {ox.Triple(q.subject, q.predicate, q.object) for q in quads}
    assert {t for t in asserted if not _has_blank(t)} <= exported


def test_description_follows_blank_nodes():
    store = OxigraphStore()
    store.update(f"""INSERT DATA {{ <{ID}x> <{RDFS_LABEL}> "X"@en ;
        <{EC}objective> [ <{EC}indicator> "a nested indicator" ;
                          <{EC}servesGoal> [ <{RDFS_LABEL}> "two levels down" ] ] }}""")
    client = create_app(MemoryDataset(store)).test_client()
    graph = graph_of(client.get("/id/x.nt").data, "nt")
    objective = graph.value(rdflib.URIRef(ID + "x"), rdflib.URIRef(EC + "objective"))
    assert isinstance(objective, rdflib.BNode)
    assert str(graph.value(objective, rdflib.URIRef(EC + "indicator"))) == "a nested indicator"
    goal = graph.value(objective, rdflib.URIRef(EC + "servesGoal"))
    assert str(graph.value(goal, rdflib.RDFS.label)) == "two levels down"
    html = client.get("/id/x", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert "a nested indicator" in html


def test_cluster_status_follows_a_change_of_the_same_size():
    store = OxigraphStore()
    load_initial_content(store)
    dataset = MemoryDataset(store)
    client = create_app(dataset).test_client()

    def page() -> str:
        return client.get("/id/tashkent-teacher-education-cluster",
                          headers={"Accept": "text/html"}).get_data(as_text=True)

    assert "Conforms to the principles" in page()
    # the cluster led by a school instead of its authority: as many triples as before
    dataset.write(lambda s: s.update(f"""
        DELETE {{ GRAPH ?g {{ <{TASHKENT}> <{EC}ledBy> ?a }} }}
        INSERT {{ GRAPH ?g {{ <{TASHKENT}> <{EC}ledBy> <{ID}tashkent-school-01> }} }}
        WHERE {{ GRAPH ?g {{ <{TASHKENT}> <{EC}ledBy> ?a }} }}"""))
    text = page()
    assert "Does not conform" in text
    assert 'href="/ontology#Leadership"' in text


def test_shipped_files_are_served_as_they_are(client):
    from educluster.resources import ontology_files, shape_files

    for prefix, paths in (("/ontology/", ontology_files()), ("/shapes/", shape_files())):
        for path in paths:
            response = client.get(prefix + path.name)
            assert response.status_code == 200 and response.mimetype == "text/turtle"
            assert response.data == path.read_bytes()
    assert client.get("/ontology/no-such-file.ttl").status_code == 404


def test_compaction_round_trips_statements_that_do_not_fit_their_terms():
    from rdflib.compare import isomorphic

    turtle = f"""
        @prefix ec: <{EC}> . @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
        @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
        @prefix org: <http://www.w3.org/ns/org#> .
        <{ID}a> a ec:Cluster, org:OrganizationalCollaboration, <http://example.org/Thing> ;
            rdfs:label "A"@en, "Another A"@en, "A-uz"@uz, "untagged" ;
            ec:region "a literal where an IRI is expected", <{ID}r> ;
            ec:orientation ec:Mixed, <http://example.org/not-ours>, "text" ;
            ec:deadline "2026-06-30"^^xsd:date, "not a date" ;
            ec:stageOrder 3, "007"^^xsd:integer ;
            ec:illustrative true ;
            ec:undeclaredThing "x" ;
            org:member [ rdfs:label "nested"@en ; ec:partner <{ID}b> ] ;
            <http://example.org/p> "1.5"^^xsd:decimal .
    """
    triples = [ox.Triple(q.subject, q.predicate, q.object)
               for q in ox.parse(turtle.encode(), format=ox.RdfFormat.TURTLE)]
    document = linked_data.compact_jsonld(triples)
    node = next(n for n in document["@graph"] if n["id"] == ID + "a")
    assert node["label"]["uz"] == "A-uz" and sorted(node["label"]["en"]) == ["A", "Another A"]
    assert node["region"] == ID + "r" and node["illustrative"] is True
    assert node["ec:region"] == "a literal where an IRI is expected"  # not under "region"
    back = graph_of(json.dumps(document).encode(), "json-ld")
    original = graph_of(ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES), "nt")
    assert isomorphic(back, original)


def test_void_is_counted_once_per_published_generation():
    class Generations(MemoryDataset):
        generation = 1

    store = OxigraphStore()
    store.update(f'INSERT DATA {{ <{ID}a> <{RDFS_LABEL}> "a" }}')
    dataset = Generations(store)
    client = create_app(dataset).test_client()

    def triples() -> int:
        void = graph_of(client.get("/.well-known/void").data, "turtle")
        dataset_node = rdflib.URIRef("http://localhost/.well-known/void#dataset")
        return int(void.value(dataset_node, VOID.triples))

    assert triples() == 1
    store.update(f'INSERT DATA {{ <{ID}b> <{RDFS_LABEL}> "b" }}')
    assert triples() == 1  # the same generation: the counts already made
    dataset.generation = 2
    assert triples() == 2
