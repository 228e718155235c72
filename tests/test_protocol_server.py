"""The protocols against the real thing: ``educluster serve`` (gunicorn, several worker
processes, the on-disk snapshot store) started as a process on loopback.

The in-process tests (``test_protocol.py``, ``test_graph_store.py``,
``test_w3c_protocol.py``) cover every case on a small store; here the same requests go
to the production server, whose store also holds the ontology, the shapes and the
example clusters, so the checks name their graphs.
"""

from __future__ import annotations

import gzip
import io
import json
import threading
import urllib.parse

import pytest
import rdflib
from rdflib.query import Result
from SPARQLWrapper import CSV, JSON, POST, TSV, XML, SPARQLWrapper

import test_w3c_protocol as w3c
from httpserver import listener, request
from serverutil import running_server

pytestmark = pytest.mark.server

TOKEN = w3c.TOKEN
AUTH = {"Authorization": f"Bearer {TOKEN}"}
E = "http://example.org/"
G1 = E + "graph/one"


class Live:
    """The running server, with the same ``request`` as the in-process ``LiveServer``."""

    def __init__(self, server):
        self.server = server
        self.url = server.base_url
        self.port = server.port

    def request(self, method, path, body=None, headers=None):
        return request(self.url, method, path, body, headers)


@pytest.fixture(scope="module")
def live():
    env = {"EDUCLUSTER_MAX_ROWS": "50", "EDUCLUSTER_MAX_BODY_BYTES": "200000"}
    with running_server(token=TOKEN, workers=3, query_timeout=30, env=env) as server:
        live = Live(server)
        answer = live.request("PUT", "/store?" + urllib.parse.urlencode({"graph": G1}),
                              f'<{E}alice> <{E}name> "Alice" .\n<{E}bob> <{E}name> "Bob"@en .\n',
                              {"Content-Type": "text/turtle", **AUTH})
        assert answer.status == 201, answer.body
        yield live


def q(query: str, **params) -> str:
    return "/sparql?" + urllib.parse.urlencode({"query": query, **params}, doseq=True)


NAMES = f"SELECT ?s ?name WHERE {{ GRAPH <{G1}> {{ ?s <{E}name> ?name }} }} ORDER BY ?s"


@pytest.mark.parametrize("fmt, rdflib_format", [
    (JSON, "json"), (XML, "xml"), (CSV, "csv"), (TSV, "tsv")])
@pytest.mark.parametrize("method", ["GET", POST])
def test_select_through_sparqlwrapper(live, fmt, rdflib_format, method):
    client = SPARQLWrapper(live.url + "/sparql")
    client.setQuery(NAMES)
    client.setReturnFormat(fmt)
    client.setMethod(method)
    raw = client.query().response.read()
    rows = Result.parse(io.BytesIO(raw), format=rdflib_format)
    assert sorted(str(r[1]) for r in rows) == ["Alice", "Bob"]


def test_first_start_content_is_queryable(live):
    answer = live.request("GET", q(
        "SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE { ?c a <https://w3id.org/educluster#Cluster> }"))
    assert int(json.loads(answer.body)["results"]["bindings"][0]["n"]["value"]) >= 1


@pytest.mark.parametrize("accept, rdflib_format", [
    ("text/turtle", "turtle"), ("application/n-triples", "nt"),
    ("application/ld+json", "json-ld"), ("application/rdf+xml", "xml")])
def test_construct_formats(live, accept, rdflib_format):
    construct = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{G1}> {{ ?s ?p ?o }} }}"
    answer = live.request("GET", q(construct), headers={"Accept": accept})
    assert answer.status == 200 and answer.content_type == accept
    assert len(w3c._parse_rdf(answer.body, rdflib_format)) == 2


def test_service_description_and_errors(live):
    sd = rdflib.Graph().parse(data=live.request("GET", "/sparql").body, format="turtle")
    SD = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
    assert (None, SD.feature, SD.UnionDefaultGraph) in sd
    assert (None, SD.supportedLanguage, SD.SPARQL11Update) in sd
    assert live.request("GET", q("SELECT * WHERE {")).status == 400
    assert live.request("GET", q(NAMES), headers={"Accept": "text/turtle"}).status == 406
    assert live.request("POST", "/sparql", "ASK {}", {"Content-Type": "text/plain"}).status == 415


def test_nothing_is_fetched(live):
    with listener() as remote:
        assert live.request("GET", q(
            f"SELECT * WHERE {{ SERVICE <{remote.url}/sparql> {{ ?s ?p ?o }} }}")).status == 400
        assert live.request("POST", "/sparql", f"LOAD <{remote.url}/x.ttl>", {
            "Content-Type": "application/sparql-update", **AUTH}).status == 400
        answer = live.request("GET", q(
            f"SELECT (COUNT(*) AS ?n) FROM <{remote.url}/g> WHERE {{ ?s ?p ?o }}"))
        assert json.loads(answer.body)["results"]["bindings"][0]["n"]["value"] == "0"
        xxe = ('<?xml version="1.0"?>\n<!DOCTYPE r [ <!ENTITY e SYSTEM "'
               f'{remote.url}/secret"> ]>\n<r>&e;</r>')
        assert live.request("PUT", "/store?graph=" + E + "xxe", xxe, {
            "Content-Type": "application/rdf+xml", **AUTH}).status == 400
        ld = json.dumps({"@context": remote.url + "/ctx", "@id": E + "a"})
        assert live.request("PUT", "/store?graph=" + E + "ld", ld, {
            "Content-Type": "application/ld+json", **AUTH}).status == 400
        assert remote.connections == 0


def test_token_limits_gzip_and_cors(live):
    insert = f"INSERT DATA {{ GRAPH <{E}t> {{ <{E}x> <{E}p> 1 }} }}"
    headers = {"Content-Type": "application/sparql-update"}
    assert live.request("POST", "/sparql", insert, headers).status == 401
    assert live.request("POST", "/sparql", insert, {
        **headers, "Authorization": "Bearer wrong"}).status == 401
    assert live.request("POST", f"/sparql?token={TOKEN}", insert, headers).status == 400
    big = live.request("GET", q("SELECT * WHERE { ?s ?p ?o }"),
                       headers={"Accept-Encoding": "gzip"})
    assert big.header("X-Educluster-Truncated") == "true"
    assert big.header("Content-Encoding") == "gzip"
    assert len(json.loads(gzip.decompress(big.body))["results"]["bindings"]) == 50
    assert big.header("Access-Control-Allow-Origin") == "*"
    assert live.request("POST", "/sparql", "ASK { " + "#" * 300_000 + "\n}",
                        {"Content-Type": "application/sparql-query"}).status == 413


def test_readers_see_a_write_whole_across_workers(live):
    pairs = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{E}pairs> {{ ?s ?p ?o }} }}"
    odd, stop = [], threading.Event()

    def read():
        while not stop.is_set():
            answer = live.request("GET", q(pairs))
            n = int(json.loads(answer.body)["results"]["bindings"][0]["n"]["value"])
            if n % 2:
                odd.append(n)

    readers = [threading.Thread(target=read) for _ in range(3)]
    for t in readers:
        t.start()
    try:
        for i in range(8):
            text = (f"INSERT DATA {{ GRAPH <{E}pairs> {{ <{E}x{i}> <{E}a> 1 . "
                    f"<{E}x{i}> <{E}b> 2 }} }}")
            answer = live.request("POST", "/sparql", text,
                                  {"Content-Type": "application/sparql-update", **AUTH})
            assert answer.status == 204
    finally:
        stop.set()
        for t in readers:
            t.join()
    assert odd == []


def test_graph_store_round_trip(live):
    target = "/store?" + urllib.parse.urlencode({"graph": E + "gsp"})
    assert live.request("PUT", target, f'<{E}a> <{E}b> "1" .', {
        "Content-Type": "text/turtle", **AUTH}).status == 201
    assert live.request("POST", target, f'<{E}a> <{E}b> "2" .', {
        "Content-Type": "text/turtle", **AUTH}).status == 204
    got = live.request("GET", target, headers={"Accept": "application/n-triples"})
    assert len(w3c._parse_rdf(got.body, "nt")) == 2
    assert live.request("HEAD", target).status == 200
    assert live.request("DELETE", target, headers=AUTH).status == 204
    assert live.request("GET", target).status == 404
    created = live.request("POST", "/store", f'<{E}n> <{E}b> "new" .', {
        "Content-Type": "text/turtle", **AUTH})
    assert created.status == 201
    path = urllib.parse.urlsplit(created.header("Location")).path
    assert live.request("GET", path).status == 200


# The W3C suites, case after case on the same running server, each on an emptied store
# (as the suites' own update cases do, with DROP ALL; the service reloads its ontology).

def _empty(live) -> None:
    answer = live.request("POST", "/sparql", "DROP ALL",
                          {"Content-Type": "application/sparql-update", **AUTH})
    assert answer.status == 204


@pytest.mark.w3c
@pytest.mark.parametrize("case", w3c.PROTOCOL, ids=w3c._ids(w3c.PROTOCOL))
def test_w3c_protocol_on_the_server(live, case):
    _empty(live)
    w3c.run_case(case, w3c.SUITE / "protocol", live)


@pytest.mark.w3c
@pytest.mark.parametrize("case", w3c.GSP, ids=w3c._ids(w3c.GSP))
def test_w3c_graph_store_protocol_on_the_server(live, case):
    _empty(live)
    w3c.run_case(case, w3c.SUITE / "graph-store-protocol", live)
