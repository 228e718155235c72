"""The SPARQL 1.1 Protocol at /sparql, against a real HTTP server on loopback.

Queries go through SPARQLWrapper (the client the issue names) and through plain
``http.client`` for the forms SPARQLWrapper does not make; every result format is parsed
back with rdflib.
"""

from __future__ import annotations

import gzip
import io
import json
import threading
import urllib.parse
import warnings

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.query import Result
from SPARQLWrapper import CSV, JSON, JSONLD, N3, POST, RDFXML, TSV, TURTLE, XML, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed

from educluster.dataset import MemoryDataset
from educluster.store import OxigraphStore
from educluster.web import create_app
from httpserver import LiveServer, listener

TOKEN = "s3cret-token-for-tests"
E = "http://example.org/"
G1, G2 = E + "graph/one", E + "graph/two"

DATA = f"""
<{E}alice> <{E}name> "Alice" .
<{E}alice> <{E}knows> <{E}bob> .
<{E}bob> <{E}name> "Bob"@en .
"""
DATA_G2 = f"""
<{E}carol> <{E}name> "Carol" .
<{E}carol> <{E}age> "42"^^<http://www.w3.org/2001/XMLSchema#integer> .
"""
DATA_DEFAULT = f'<{E}dave> <{E}name> "Dave" .\n'


def parse_triples(data: bytes, rdflib_format: str) -> set:
    """Triples of an RDF document (of every graph for dataset formats), read by rdflib."""
    with warnings.catch_warnings():  # rdflib's JSON-LD and quad parsers warn about itself
        warnings.simplefilter("ignore", DeprecationWarning)
        if rdflib_format in ("nquads", "trig"):
            dataset = rdflib.Dataset()
            dataset.parse(data=data, format=rdflib_format)
            return {(s, p, o) for s, p, o, _ in dataset.quads((None, None, None, None))}
        return set(rdflib.Graph().parse(data=data, format=rdflib_format))


def small_store() -> OxigraphStore:
    store = OxigraphStore()
    store.load(DATA, ox.RdfFormat.N_TRIPLES, graph=G1)
    store.load(DATA_G2, ox.RdfFormat.N_TRIPLES, graph=G2)
    store.load(DATA_DEFAULT, ox.RdfFormat.N_TRIPLES)
    return store


def serve(settings: dict | None = None, store: OxigraphStore | None = None) -> LiveServer:
    base = {"write_token": TOKEN, "query_timeout": 60}
    base.update(settings or {})
    return LiveServer(create_app(MemoryDataset(store or small_store()), settings=base))


@pytest.fixture(scope="module")
def server():
    with serve() as live:
        yield live


def wrapper(server, query: str, fmt=JSON, method=None) -> SPARQLWrapper:
    client = SPARQLWrapper(server.url + "/sparql")
    client.setQuery(query)
    client.setReturnFormat(fmt)
    if method:
        client.setMethod(method)
    return client


def q(query: str, **params) -> str:
    return "/sparql?" + urllib.parse.urlencode({"query": query, **params}, doseq=True)


# -- queries through SPARQLWrapper -------------------------------------------------------

SELECT_NAMES = f"SELECT ?s ?name WHERE {{ ?s <{E}name> ?name }} ORDER BY ?s"


@pytest.mark.parametrize("method", ["GET", POST])
def test_select_json_through_sparqlwrapper(server, method):
    client = wrapper(server, SELECT_NAMES, JSON, method)
    answer = client.query().convert()
    names = [b["name"]["value"] for b in answer["results"]["bindings"]]
    # the default graph is the union of every graph
    assert names == ["Alice", "Bob", "Carol", "Dave"]
    bob = answer["results"]["bindings"][1]["name"]
    assert bob == {"type": "literal", "value": "Bob", "xml:lang": "en"}


@pytest.mark.parametrize("fmt, rdflib_format", [
    (JSON, "json"), (XML, "xml"), (CSV, "csv"), (TSV, "tsv"),
])
@pytest.mark.parametrize("method", ["GET", POST])
def test_select_every_results_format_parses_back(server, fmt, rdflib_format, method):
    response = wrapper(server, SELECT_NAMES, fmt, method).query()
    raw = response.response.read()
    result = Result.parse(io.BytesIO(raw), format=rdflib_format)
    names = sorted(str(row[1]) for row in result)
    assert names == ["Alice", "Bob", "Carol", "Dave"]


@pytest.mark.parametrize("fmt, rdflib_format", [(JSON, "json"), (XML, "xml")])
def test_ask_formats(server, fmt, rdflib_format):
    raw = wrapper(server, f"ASK {{ <{E}alice> <{E}knows> <{E}bob> }}", fmt).query().response.read()
    assert Result.parse(io.BytesIO(raw), format=rdflib_format).askAnswer is True
    raw = wrapper(server, f"ASK {{ <{E}bob> <{E}knows> <{E}alice> }}", fmt).query().response.read()
    assert Result.parse(io.BytesIO(raw), format=rdflib_format).askAnswer is False


def test_construct_through_sparqlwrapper(server):
    construct = f"CONSTRUCT {{ ?s <{E}label> ?n }} WHERE {{ ?s <{E}name> ?n }}"
    client = wrapper(server, construct, TURTLE)
    graph = rdflib.Graph().parse(data=client.query().convert(), format="turtle")
    assert len(graph) == 4
    client = wrapper(server, f"DESCRIBE <{E}carol>", N3)
    graph = rdflib.Graph().parse(data=client.query().convert(), format="turtle")
    assert (rdflib.URIRef(E + "carol"), rdflib.URIRef(E + "age"), rdflib.Literal(42)) in graph


@pytest.mark.parametrize("fmt", [TURTLE, N3, XML, RDFXML, JSONLD])
@pytest.mark.parametrize("method", ["GET", POST])
def test_construct_in_every_sparqlwrapper_format(server, fmt, method):
    construct = f"CONSTRUCT {{ ?s <{E}label> ?n }} WHERE {{ ?s <{E}name> ?n }}"
    response = wrapper(server, construct, fmt, method).query()
    media = response.response.headers["Content-Type"].split(";")[0]
    rdflib_format = {"text/turtle": "turtle", "application/rdf+xml": "xml",
                     "application/ld+json": "json-ld"}[media]
    assert len(parse_triples(response.response.read(), rdflib_format)) == 4


@pytest.mark.parametrize("accept, rdflib_format", [
    ("text/turtle", "turtle"),
    ("application/n-triples", "nt"),
    ("application/ld+json", "json-ld"),
    ("application/rdf+xml", "xml"),
    ("application/n-quads", "nquads"),
    ("application/trig", "trig"),
])
def test_construct_every_rdf_format_parses_back(server, accept, rdflib_format):
    query = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{G2}> {{ ?s ?p ?o }} }}"
    answer = server.request("GET", q(query), headers={"Accept": accept})
    assert answer.status == 200
    assert answer.content_type == accept
    triples = parse_triples(answer.body, rdflib_format)
    assert len(triples) == 2
    assert (rdflib.URIRef(E + "carol"), rdflib.URIRef(E + "age"), rdflib.Literal(42)) in triples


@pytest.mark.parametrize("param, content_type", [
    ("json", "application/sparql-results+json"), ("xml", "application/sparql-results+xml"),
    ("csv", "text/csv"), ("tsv", "text/tab-separated-values"),
])
def test_format_parameter_for_browsers(server, param, content_type):
    answer = server.request("GET", q(SELECT_NAMES, format=param),
                            headers={"Accept": "text/html,*/*;q=0.8"})
    assert answer.status == 200 and answer.content_type == content_type


def test_format_parameter_for_graphs_and_in_a_form(server):
    query = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{G1}> {{ ?s ?p ?o }} }}"
    answer = server.request("GET", q(query, format="jsonld"))
    assert answer.content_type == "application/ld+json"
    assert len(parse_triples(answer.body, "json-ld")) == 3
    body = urllib.parse.urlencode({"query": query, "format": "ntriples"})
    answer = server.request("POST", "/sparql", body,
                            {"Content-Type": "application/x-www-form-urlencoded"})
    assert answer.content_type == "application/n-triples"


# -- the three ways to send a query ------------------------------------------------------

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


def count_of(answer) -> int:
    assert answer.status == 200, answer.body
    return int(json.loads(answer.body)["results"]["bindings"][0]["n"]["value"])


def test_query_by_get_post_form_and_post_direct_agree(server):
    by_get = count_of(server.request("GET", q(COUNT)))
    by_form = count_of(server.request(
        "POST", "/sparql", urllib.parse.urlencode({"query": COUNT}),
        {"Content-Type": "application/x-www-form-urlencoded"}))
    by_direct = count_of(server.request(
        "POST", "/sparql", COUNT, {"Content-Type": "application/sparql-query"}))
    by_slash = count_of(server.request("GET", "/sparql/?" + urllib.parse.urlencode(
        {"query": COUNT})))
    assert by_get == by_form == by_direct == by_slash == 6


def test_protocol_dataset_parameters(server):
    assert count_of(server.request("GET", q(COUNT, **{"default-graph-uri": G1}))) == 3
    assert count_of(server.request("GET", q(COUNT, **{"default-graph-uri": [G1, G2]}))) == 5
    named = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
    assert count_of(server.request("GET", q(named, **{"named-graph-uri": G2}))) == 2
    # only named graphs given: the default graph is empty
    assert count_of(server.request("GET", q(COUNT, **{"named-graph-uri": G2}))) == 0
    # the protocol's dataset overrides FROM
    assert count_of(server.request(
        "POST", "/sparql?" + urllib.parse.urlencode({"default-graph-uri": G2}),
        f"SELECT (COUNT(*) AS ?n) FROM <{G1}> WHERE {{ ?s ?p ?o }}",
        {"Content-Type": "application/sparql-query"})) == 2


def test_from_and_from_named_read_graphs_of_the_store(server):
    assert count_of(server.request(
        "GET", q(f"SELECT (COUNT(*) AS ?n) FROM <{G1}> WHERE {{ ?s ?p ?o }}"))) == 3
    assert count_of(server.request("GET", q(
        f"PREFIX g: <{E}graph/> SELECT (COUNT(*) AS ?n) FROM NAMED g:two "
        "WHERE { GRAPH ?g { ?s ?p ?o } }"))) == 2


def test_from_a_remote_graph_is_the_empty_graph_and_nothing_is_fetched(server):
    with listener() as remote:
        query = (f"SELECT (COUNT(*) AS ?n) FROM <{remote.url}/data.ttl> "
                 f"FROM NAMED <{remote.url}/named.ttl> WHERE {{ ?s ?p ?o }}")
        assert count_of(server.request("GET", q(query))) == 0
        assert count_of(server.request("GET", q(COUNT, **{
            "default-graph-uri": remote.url + "/d.ttl",
            "named-graph-uri": remote.url + "/n.ttl"}))) == 0
        assert remote.connections == 0


def test_service_is_refused_and_makes_no_connection(server):
    with listener() as remote:
        for query in (
            f"SELECT * WHERE {{ SERVICE <{remote.url}/sparql> {{ ?s ?p ?o }} }}",
            f"SELECT * WHERE {{ SERVICE SILENT <{remote.url}/sparql> {{ ?s ?p ?o }} }}",
            f"PREFIX r: <{remote.url}/> SELECT * WHERE {{ # comment }}\n"
            f" SERVICE r:sparql {{ ?s ?p ?o }} }}",
        ):
            answer = server.request("GET", q(query))
            assert answer.status == 400
            assert "SERVICE" in answer.text and "allow_remote" in answer.text
        # in a comment or a string it is only text
        answer = server.request("GET", q(
            f'SELECT * WHERE {{ ?s ?p "SERVICE <{remote.url}/>" }} # SERVICE <{remote.url}/>'))
        assert answer.status == 200
        assert remote.connections == 0


def test_load_is_refused_and_makes_no_connection(server):
    with listener() as remote:
        for update in (f"LOAD <{remote.url}/data.ttl>",
                       f"LOAD SILENT <{remote.url}/data.ttl> INTO GRAPH <{E}g>"):
            answer = server.request("POST", "/sparql", update, {
                "Content-Type": "application/sparql-update",
                "Authorization": f"Bearer {TOKEN}"})
            assert answer.status == 400
            assert "LOAD" in answer.text
        assert remote.connections == 0


# -- errors ------------------------------------------------------------------------------

def test_malformed_query_is_400_with_the_parsers_message(server):
    answer = server.request("GET", q("SELECT * WHERE { ?s ?p }"))
    assert answer.status == 400
    assert "error at 1:" in answer.text
    with pytest.raises(QueryBadFormed):
        wrapper(server, "SELECT * WHERE { ?s ?p }").query()


def test_error_bodies_are_json_when_asked(server):
    answer = server.request("GET", q("ASK {"), headers={"Accept": "application/json"})
    assert answer.status == 400 and answer.content_type == "application/json"
    assert json.loads(answer.body)["status"] == 400
    assert "Traceback" not in answer.text


@pytest.mark.parametrize("method, path, body, headers, status", [
    ("GET", "/sparql?query=ASK%7B%7D&query=ASK%7B%7D", None, {}, 400),
    ("POST", "/sparql", "query=ASK%7B%7D&update=CLEAR%20ALL",
     {"Content-Type": "application/x-www-form-urlencoded"}, 400),
    ("POST", "/sparql?query=ASK%7B%7D", "ASK {}",
     {"Content-Type": "application/sparql-query"}, 400),
    ("POST", "/sparql", "ASK {}", {"Content-Type": "text/plain"}, 415),
    ("POST", "/sparql", "ASK {}", {}, 415),
    ("POST", "/sparql", "ASK {}", {"Content-Type": "application/sparql-query; charset=UTF-16"},
     415),
    ("GET", "/sparql?update=CLEAR%20ALL", None, {}, 405),
    ("PUT", "/sparql?query=ASK%7B%7D", None, {}, 405),
    ("DELETE", "/sparql", None, {}, 405),
    ("GET", "/sparql?query=ASK%7B%7D&default-graph-uri=not%20an%20iri", None, {}, 400),
])
def test_protocol_errors(server, method, path, body, headers, status):
    answer = server.request(method, path, body, headers)
    assert answer.status == status, answer.body


def test_406_when_no_format_fits(server):
    answer = server.request("GET", q(SELECT_NAMES), headers={"Accept": "text/turtle"})
    assert answer.status == 406
    assert "application/sparql-results+json" in answer.text
    answer = server.request("GET", q("CONSTRUCT WHERE { ?s ?p ?o }"),
                            headers={"Accept": "text/csv"})
    assert answer.status == 406
    answer = server.request("GET", q(SELECT_NAMES, format="turtle"))
    assert answer.status == 406


# -- service description -----------------------------------------------------------------

SD = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")


def description(server) -> rdflib.Graph:
    answer = server.request("GET", "/sparql")
    assert answer.status == 200 and answer.content_type == "text/turtle"
    return rdflib.Graph().parse(data=answer.body, format="turtle")


def test_service_description(server):
    graph = description(server)
    service = graph.value(predicate=rdflib.RDF.type, object=SD.Service)
    assert graph.value(service, SD.endpoint) == rdflib.URIRef(server.url + "/sparql")
    assert SD.UnionDefaultGraph in set(graph.objects(service, SD.feature))
    languages = set(graph.objects(service, SD.supportedLanguage))
    assert languages == {SD.SPARQL11Query, SD.SPARQL11Update}
    formats = {str(f) for f in graph.objects(service, SD.resultFormat)}
    assert "http://www.w3.org/ns/formats/SPARQL_Results_JSON" in formats
    assert "http://www.w3.org/ns/formats/Turtle" in formats
    names = {str(n) for n in graph.objects(None, SD.name)}
    assert names == {G1, G2}


def test_service_description_without_a_token_offers_no_update():
    with serve({"write_token": None}) as live:
        graph = description(live)
        assert set(graph.objects(None, SD.supportedLanguage)) == {SD.SPARQL11Query}
        answer = live.request("GET", "/sparql", headers={"Accept": "application/ld+json"})
        assert answer.content_type == "application/ld+json"
        assert len(parse_triples(answer.body, "json-ld")) > 5


# -- updates and the write token ---------------------------------------------------------

INSERT = f'INSERT DATA {{ GRAPH <{E}graph/new> {{ <{E}erin> <{E}name> "Erin" }} }}'


def update(live, text: str, headers: dict | None = None, form: bool = False):
    if form:
        return live.request("POST", "/sparql", urllib.parse.urlencode({"update": text}),
                            {"Content-Type": "application/x-www-form-urlencoded",
                             **(headers or {})})
    return live.request("POST", "/sparql", text,
                        {"Content-Type": "application/sparql-update", **(headers or {})})


def erin_exists(live) -> bool:
    answer = live.request("GET", q(f'ASK {{ ?s <{E}name> "Erin" }}'))
    return json.loads(answer.body)["boolean"]


def test_update_needs_the_token():
    with serve() as live:
        missing = update(live, INSERT)
        assert missing.status == 401
        assert missing.header("WWW-Authenticate").startswith("Bearer")
        wrong = update(live, INSERT, {"Authorization": "Bearer not-the-token"})
        assert wrong.status == 401
        basic = update(live, INSERT, {"Authorization": f"Basic {TOKEN}"})
        assert basic.status == 401
        in_url = live.request("POST", f"/sparql?token={TOKEN}", INSERT,
                              {"Content-Type": "application/sparql-update"})
        assert in_url.status == 400 and "Authorization" in in_url.text
        in_form = live.request("POST", "/sparql", urllib.parse.urlencode(
            {"update": INSERT, "access_token": TOKEN}),
            {"Content-Type": "application/x-www-form-urlencoded"})
        assert in_form.status == 400
        assert not erin_exists(live)
        ok = update(live, INSERT, {"Authorization": f"Bearer {TOKEN}"})
        assert ok.status == 204
        assert erin_exists(live)


def test_update_by_form_and_through_sparqlwrapper():
    with serve() as live:
        assert update(live, INSERT, {"Authorization": f"Bearer {TOKEN}"}, form=True).status == 204
        assert erin_exists(live)
        client = SPARQLWrapper(live.url + "/sparql")
        client.setMethod(POST)
        client.addCustomHttpHeader("Authorization", f"Bearer {TOKEN}")
        client.setQuery(f'DELETE WHERE {{ GRAPH ?g {{ ?s <{E}name> "Erin" }} }}')
        client.query()
        assert not erin_exists(live)


def test_no_token_configured_means_read_only():
    with serve({"write_token": None}) as live:
        answer = update(live, INSERT, {"Authorization": "Bearer anything"})
        assert answer.status == 403
        assert "read-only" in answer.text


def test_malformed_update_is_400_and_changes_nothing():
    with serve() as live:
        before = count_of(live.request("GET", q(COUNT)))
        answer = update(live, INSERT + " ; INSERT DATA { oops",
                        {"Authorization": f"Bearer {TOKEN}"})
        assert answer.status == 400
        assert count_of(live.request("GET", q(COUNT))) == before


def test_update_dataset_parameters_become_using_clauses():
    with serve() as live:
        auth = {"Authorization": f"Bearer {TOKEN}"}
        text = (f"INSERT {{ GRAPH <{E}graph/copy> {{ ?s ?p ?o }} }} WHERE {{ ?s ?p ?o }}")
        path = "/sparql?" + urllib.parse.urlencode({"using-graph-uri": G2})
        answer = live.request("POST", path, text,
                              {"Content-Type": "application/sparql-update", **auth})
        assert answer.status == 204
        copied = live.request("GET", q(COUNT, **{"default-graph-uri": E + "graph/copy"}))
        assert count_of(copied) == 2
        conflict = live.request("POST", path, f"WITH <{G1}> " + text,
                                {"Content-Type": "application/sparql-update", **auth})
        assert conflict.status == 400


def test_update_recomputes_derived_knowledge():
    from educluster.bootstrap import load_initial_content

    store = OxigraphStore()
    load_initial_content(store)
    with serve(store=store) as live:
        text = """PREFIX org: <http://www.w3.org/ns/org#>
        PREFIX ec: <https://w3id.org/educluster#>
        INSERT DATA { GRAPH <http://example.org/graph/m> {
          <http://example.org/m1> a org:Membership ; org:member <http://example.org/school> ;
              org:organization <http://example.org/cluster> .
        } }"""
        assert update(live, text, {"Authorization": f"Bearer {TOKEN}"}).status == 204
        answer = live.request("GET", q(
            "ASK { <http://example.org/cluster> <https://w3id.org/educluster#hasMember> "
            "<http://example.org/school> }"))
        assert json.loads(answer.body)["boolean"] is True


# -- limits ------------------------------------------------------------------------------

def test_rows_are_capped_and_the_cut_is_marked():
    with serve({"max_rows": 2}) as live:
        answer = live.request("GET", q(SELECT_NAMES))
        assert answer.header("X-Educluster-Truncated") == "true"
        assert len(json.loads(answer.body)["results"]["bindings"]) == 2
        answer = live.request("GET", q(SELECT_NAMES), headers={"Accept": "text/csv"})
        assert answer.body.decode().strip().splitlines()[1:] == [
            "http://example.org/alice,Alice", "http://example.org/bob,Bob"]
        answer = live.request("GET", q("CONSTRUCT WHERE { ?s ?p ?o }"),
                              headers={"Accept": "application/n-triples"})
        assert answer.header("X-Educluster-Truncated") == "true"
        assert len(answer.body.decode().strip().splitlines()) == 2
        answer = live.request("GET", q(f"SELECT * WHERE {{ <{E}alice> ?p ?o }}"))
        assert answer.header("X-Educluster-Truncated") is None


def test_body_over_the_limit_is_413():
    with serve({"max_body_bytes": 2000}) as live:
        big = "ASK { " + "#" * 5000 + "\n}"
        answer = live.request("POST", "/sparql", big, {"Content-Type": "application/sparql-query"})
        assert answer.status == 413
        form = urllib.parse.urlencode({"query": big})
        answer = live.request("POST", "/sparql", form,
                              {"Content-Type": "application/x-www-form-urlencoded"})
        assert answer.status == 413
        assert live.request("POST", "/sparql", "ASK {}",
                            {"Content-Type": "application/sparql-query"}).status == 200


def test_query_past_its_time_limit_is_503():
    # Under the development server the work cannot be stopped (``educluster serve`` stops
    # it by ending the worker process); the answer is still a 503 naming the limit.
    store = OxigraphStore()
    store.update("INSERT DATA { " + " ".join(f"<{E}n{i}> <{E}p> {i} ." for i in range(150)) + " }")
    with serve({"query_timeout": 0.05}, store=store) as live:
        slow = f"SELECT (COUNT(*) AS ?n) WHERE {{ ?a <{E}p> ?x . ?b <{E}p> ?y . ?c <{E}p> ?z }}"
        answer = live.request("GET", q(slow))
        assert answer.status == 503
        assert "0.05" in answer.text
        assert live.request("GET", q("ASK {}")).status == 200


def test_large_results_are_gzipped_when_accepted(server):
    query = "SELECT * WHERE { ?s ?p ?o . ?a ?b ?c }"
    plain = server.request("GET", q(query))
    assert plain.header("Content-Encoding") is None and len(plain.body) > 1024
    zipped = server.request("GET", q(query), headers={"Accept-Encoding": "gzip"})
    assert zipped.header("Content-Encoding") == "gzip"
    assert "Accept-Encoding" in zipped.header("Vary")
    assert gzip.decompress(zipped.body) == plain.body
    # no time stamp in the gzip header: the same answer is the same bytes at any moment
    # (caches and byte-for-byte comparisons of answers depend on it)
    assert zipped.body[4:8] == bytes(4)
    small = server.request("GET", q("ASK {}"), headers={"Accept-Encoding": "gzip"})
    assert small.header("Content-Encoding") is None


def test_cors_for_reads_not_for_writes(server):
    assert server.request("GET", q("ASK {}")).header("Access-Control-Allow-Origin") == "*"
    posted = server.request("POST", "/sparql", "ASK {}",
                            {"Content-Type": "application/sparql-query"})
    assert posted.header("Access-Control-Allow-Origin") == "*"
    preflight = server.request("OPTIONS", "/sparql", headers={
        "Origin": "http://elsewhere.example", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type"})
    assert preflight.status == 204
    assert "POST" in preflight.header("Access-Control-Allow-Methods")
    assert "Authorization" not in (preflight.header("Access-Control-Allow-Headers") or "")
    write = update(server, INSERT)
    assert write.status == 401
    assert write.header("Access-Control-Allow-Origin") is None


def test_readers_never_see_half_a_write():
    with serve() as live:
        auth = {"Authorization": f"Bearer {TOKEN}"}
        pairs = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{E}graph/pairs> {{ ?s ?p ?o }} }}"
        odd = []
        stop = threading.Event()

        def read():
            while not stop.is_set():
                n = count_of(live.request("GET", q(pairs)))
                if n % 2:
                    odd.append(n)

        readers = [threading.Thread(target=read) for _ in range(3)]
        for t in readers:
            t.start()
        try:
            for i in range(15):
                text = (f"INSERT DATA {{ GRAPH <{E}graph/pairs> {{ <{E}x{i}> <{E}a> 1 . "
                        f"<{E}x{i}> <{E}b> 2 }} }}")
                assert update(live, text, auth).status == 204
        finally:
            stop.set()
            for t in readers:
                t.join()
        assert odd == []
        assert count_of(live.request("GET", q(pairs))) == 30


def test_health(server):
    answer = server.request("GET", "/health")
    data = json.loads(answer.body)
    assert answer.status == 200 and data["status"] == "ok"
    assert data["triples"] == 6 and data["engine"].startswith("oxigraph")


def test_validate_on_write_refuses_an_update_that_breaks_a_principle():
    from educluster.bootstrap import load_initial_content

    store = OxigraphStore()
    load_initial_content(store)
    if not store.ask("ASK { <https://w3id.org/educluster/id/fergana-professional-development-"
                     "cluster> <https://w3id.org/educluster#region> ?r }"):
        pytest.skip("the example clusters are not in place")
    auth = {"Authorization": f"Bearer {TOKEN}"}
    cluster = "<https://w3id.org/educluster/id/fergana-professional-development-cluster>"
    region_query = q(f"ASK {{ {cluster} <https://w3id.org/educluster#region> ?r }}")
    with serve({"validate_on_write": True}, store=store) as live:
        region = "<https://w3id.org/educluster#region>"
        breaking = f"DELETE WHERE {{ GRAPH ?g {{ {cluster} {region} ?r }} }}"
        answer = update(live, breaking, auth)
        assert answer.status == 422
        report = json.loads(answer.body)
        assert report["conforms"] is False
        assert any(r["principle"].endswith("#Regionalization") for r in report["results"])
        assert json.loads(live.request("GET", region_query).body)["boolean"] is True
        harmless = f'INSERT DATA {{ GRAPH <{E}graph/notes> {{ {cluster} <{E}note> "ok" }} }}'
        assert update(live, harmless, auth).status == 204


def test_allow_remote_lets_service_through():
    # the other side of the refusal: with the operator's setting on, the engine does
    # contact the service (the listener sees it), so the refusal above is what stops it
    with listener() as remote, serve({"allow_remote": True}) as live:
        answer = live.request("GET", q(
            f"SELECT * WHERE {{ SERVICE SILENT <{remote.url}/sparql> {{ ?s ?p ?o }} }}"))
        assert answer.status == 200
        assert remote.connections >= 1


class BrokenDataset(MemoryDataset):
    def reader(self):
        raise RuntimeError("disk on fire at /secret/path")


def test_an_unexpected_error_is_a_500_without_a_traceback():
    with LiveServer(create_app(BrokenDataset(), settings={"query_timeout": 5})) as live:
        for accept in ("text/plain", "application/json"):
            answer = live.request("GET", q("ASK {}"), headers={"Accept": accept})
            assert answer.status == 500
            assert "Traceback" not in answer.text and "/secret/path" not in answer.text
            assert "server log" in answer.text
