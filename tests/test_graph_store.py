"""The SPARQL 1.1 Graph Store HTTP Protocol at /store, against a real HTTP server on
loopback: every method, both ways of naming a graph, the token, and hostile uploads."""

from __future__ import annotations

import json
import urllib.parse
import uuid
import warnings

import pyoxigraph as ox
import pytest
import rdflib

from educluster.dataset import MemoryDataset
from educluster.resources import example_files, flawed_example_files
from educluster.store import OxigraphStore
from educluster.vocab import DERIVED_GRAPH
from educluster.web import create_app
from httpserver import LiveServer, listener

TOKEN = "graph-store-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
E = "http://example.org/"
G1 = E + "graph/one"
TURTLE = {"Content-Type": "text/turtle; charset=utf-8"}

DATA_G1 = f'<{E}alice> <{E}name> "Alice" ; <{E}knows> <{E}bob> .\n<{E}bob> <{E}name> "Bob" .\n'


def new_server(settings: dict | None = None, store: OxigraphStore | None = None) -> LiveServer:
    if store is None:
        store = OxigraphStore()
        store.load(DATA_G1, ox.RdfFormat.TURTLE, graph=G1)
        store.load(f'<{E}dave> <{E}name> "Dave" .', ox.RdfFormat.TURTLE)
    config = {"write_token": TOKEN}
    config.update(settings or {})
    return LiveServer(create_app(MemoryDataset(store), settings=config))


@pytest.fixture
def server():
    with new_server() as live:
        yield live


def graph_path(iri: str) -> str:
    return "/store?" + urllib.parse.urlencode({"graph": iri})


def triples_of(answer, rdflib_format: str = "turtle") -> rdflib.Graph:
    assert answer.status == 200, answer.body
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return rdflib.Graph().parse(data=answer.body, format=rdflib_format)


# -- reading -----------------------------------------------------------------------------

@pytest.mark.parametrize("accept, rdflib_format", [
    ("text/turtle", "turtle"), ("application/n-triples", "nt"),
    ("application/rdf+xml", "xml"), ("application/ld+json", "json-ld"),
])
def test_get_a_named_graph_in_every_format(server, accept, rdflib_format):
    answer = server.request("GET", graph_path(G1), headers={"Accept": accept})
    assert answer.content_type == accept
    graph = triples_of(answer, rdflib_format)
    assert len(graph) == 3
    assert (rdflib.URIRef(E + "alice"), rdflib.URIRef(E + "knows"),
            rdflib.URIRef(E + "bob")) in graph


def test_get_the_default_graph_is_the_stores_own_default_graph(server):
    graph = triples_of(server.request("GET", "/store?default"))
    assert {str(o) for o in graph.objects()} == {"Dave"}


def test_head_gives_the_headers_without_a_body(server):
    get = server.request("GET", graph_path(G1))
    head = server.request("HEAD", graph_path(G1))
    assert head.status == 200 and head.body == b""
    assert head.header("Content-Type") == get.header("Content-Type")
    assert server.request("HEAD", graph_path(E + "absent")).status == 404


@pytest.mark.parametrize("path, status", [
    (graph_path(E + "absent"), 404),
    ("/store", 400),
    ("/store?default&" + urllib.parse.urlencode({"graph": G1}), 400),
    ("/store?" + urllib.parse.urlencode({"graph": [G1, E + "x"]}, doseq=True), 400),
    ("/store?graph=relative/iri", 400),
])
def test_get_errors(server, path, status):
    assert server.request("GET", path).status == status


def test_get_in_a_format_the_store_cannot_give_is_406(server):
    answer = server.request("GET", graph_path(G1), headers={"Accept": "text/csv"})
    assert answer.status == 406


# -- writing -----------------------------------------------------------------------------

def test_put_creates_then_replaces(server):
    target = graph_path(E + "graph/new")
    first = server.request("PUT", target, f'<{E}x> <{E}p> "1" .', {**TURTLE, **AUTH})
    assert first.status == 201
    again = server.request("PUT", target, f'<{E}x> <{E}p> "2" .', {**TURTLE, **AUTH})
    assert again.status == 204
    graph = triples_of(server.request("GET", target))
    assert {str(o) for o in graph.objects()} == {"2"}


def test_put_the_default_graph(server):
    answer = server.request("PUT", "/store?default", f'<{E}x> <{E}p> "d" .', {**TURTLE, **AUTH})
    assert answer.status == 204  # it had a triple
    server.request("DELETE", "/store?default", headers=AUTH)
    answer = server.request("PUT", "/store?default", f'<{E}x> <{E}p> "d" .', {**TURTLE, **AUTH})
    assert answer.status == 201  # it was empty
    graph = triples_of(server.request("GET", "/store?default"))
    assert {str(o) for o in graph.objects()} == {"d"}


def test_post_adds_to_a_graph(server):
    answer = server.request("POST", graph_path(G1), f'<{E}carol> <{E}name> "Carol" .',
                            {"Content-Type": "application/n-triples", **AUTH})
    assert answer.status == 204
    assert len(triples_of(server.request("GET", graph_path(G1)))) == 4
    created = server.request("POST", graph_path(E + "graph/fresh"), f'<{E}a> <{E}b> "c" .',
                             {**TURTLE, **AUTH})
    assert created.status == 201


def test_post_to_the_graph_store_creates_a_graph_with_a_location(server):
    answer = server.request("POST", "/store", f'<{E}z> <{E}p> "new" .', {**TURTLE, **AUTH})
    assert answer.status == 201
    location = answer.header("Location")
    assert location.startswith(server.url + "/store/")
    path = urllib.parse.urlsplit(location).path
    graph = triples_of(server.request("GET", path))
    assert {str(o) for o in graph.objects()} == {"new"}
    # the same graph, named indirectly
    assert len(triples_of(server.request("GET", graph_path(location)))) == 1


def test_post_multipart_merges_every_part(server):
    boundary = uuid.uuid4().hex
    parts = [("a.ttl", "text/turtle", f'<{E}m1> <{E}p> "one" .'),
             ("b.nt", "application/n-triples", f'<{E}m2> <{E}p> "two" .\n')]
    body = "".join(
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"file{i}\"; filename=\"{name}\""
        f"\r\nContent-Type: {media}\r\n\r\n{content}\r\n"
        for i, (name, media, content) in enumerate(parts)
    ) + f"--{boundary}--\r\n"
    answer = server.request("POST", graph_path(E + "graph/multi"), body,
                            {"Content-Type": f"multipart/form-data; boundary={boundary}", **AUTH})
    assert answer.status == 201
    graph = triples_of(server.request("GET", graph_path(E + "graph/multi")))
    assert {str(o) for o in graph.objects()} == {"one", "two"}


def test_delete(server):
    assert server.request("DELETE", graph_path(G1), headers=AUTH).status == 204
    assert server.request("GET", graph_path(G1)).status == 404
    assert server.request("DELETE", graph_path(G1), headers=AUTH).status == 404
    assert server.request("DELETE", "/store?default", headers=AUTH).status == 204
    assert len(triples_of(server.request("GET", "/store?default"))) == 0


def test_writes_need_the_token(server):
    body = f'<{E}x> <{E}p> "1" .'
    for method in ("PUT", "POST", "DELETE"):
        answer = server.request(method, graph_path(G1), body, TURTLE)
        assert answer.status == 401, method
        assert answer.header("Access-Control-Allow-Origin") is None
        wrong = server.request(method, graph_path(G1), body,
                               {**TURTLE, "Authorization": "Bearer nope"})
        assert wrong.status == 401
    in_url = server.request("PUT", graph_path(G1) + f"&token={TOKEN}", body, TURTLE)
    assert in_url.status == 400
    assert len(triples_of(server.request("GET", graph_path(G1)))) == 3


def test_read_only_without_a_configured_token():
    with new_server({"write_token": None}) as live:
        answer = live.request("PUT", graph_path(G1), f'<{E}x> <{E}p> "1" .', {**TURTLE, **AUTH})
        assert answer.status == 403
        assert live.request("GET", graph_path(G1)).status == 200


def test_the_derived_graph_is_not_writable(server):
    answer = server.request("PUT", graph_path(DERIVED_GRAPH), f'<{E}x> <{E}p> "1" .',
                            {**TURTLE, **AUTH})
    assert answer.status == 403


# -- bad uploads change nothing ----------------------------------------------------------

def test_unparseable_upload_is_400_naming_the_line_and_changes_nothing(server):
    bad = f'<{E}x> <{E}p> "1" .\n<{E}y> <{E}p> "2" .\n<{E}z> <{E}p> oops .\n'
    answer = server.request("PUT", graph_path(G1), bad, {**TURTLE, **AUTH})
    assert answer.status == 400
    assert "line 3" in answer.text
    graph = triples_of(server.request("GET", graph_path(G1)))
    assert len(graph) == 3 and {str(o) for o in graph.objects()} >= {"Alice", "Bob"}


@pytest.mark.parametrize("content_type, status", [
    ("application/x-unknown", 415), ("", 415), ("text/turtle; charset=latin-1", 415),
])
def test_unknown_media_type_is_415(server, content_type, status):
    headers = {**AUTH, "Content-Type": content_type} if content_type else AUTH
    answer = server.request("PUT", graph_path(G1), f'<{E}x> <{E}p> "1" .', headers)
    assert answer.status == status


def test_a_dataset_upload_into_one_graph_must_not_name_other_graphs(server):
    trig = f'<{E}other> {{ <{E}x> <{E}p> "1" }}'
    answer = server.request("PUT", graph_path(G1), trig,
                            {"Content-Type": "application/trig", **AUTH})
    assert answer.status == 400
    plain = server.request("PUT", graph_path(E + "g/t"), f'<{E}x> <{E}p> "1" .',
                           {"Content-Type": "application/trig", **AUTH})
    assert plain.status == 201


def test_billion_laughs_is_refused(server):
    levels = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)]
    doc = ('<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [ ' + " ".join(levels) + ' ]>\n'
           '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
           'xmlns:e="http://example.org/"><rdf:Description rdf:about="http://example.org/a">'
           '<e:p>&lol9;</e:p></rdf:Description></rdf:RDF>')
    answer = server.request("PUT", graph_path(E + "g/lol"), doc,
                            {"Content-Type": "application/rdf+xml", **AUTH})
    assert answer.status == 400
    assert "entit" in answer.text
    assert server.request("GET", graph_path(E + "g/lol")).status == 404


def test_xml_external_entity_is_refused_without_a_connection(server):
    with listener() as remote:
        for dtd in (f'<!DOCTYPE rdf:RDF [ <!ENTITY ext SYSTEM "{remote.url}/secret"> ]>',
                    f'<!DOCTYPE rdf:RDF SYSTEM "{remote.url}/x.dtd">',
                    f'<!DOCTYPE rdf:RDF [ <!ENTITY % pe SYSTEM "{remote.url}/p"> %pe; ]>'):
            doc = (f'<?xml version="1.0"?>\n{dtd}\n'
                   '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
                   'xmlns:e="http://example.org/"><rdf:Description rdf:about="http://example.org/a">'
                   '<e:p>&ext;</e:p></rdf:Description></rdf:RDF>')
            answer = server.request("PUT", graph_path(E + "g/xxe"), doc,
                                    {"Content-Type": "application/rdf+xml", **AUTH})
            assert answer.status == 400
        assert remote.connections == 0
    assert server.request("GET", graph_path(E + "g/xxe")).status == 404


def test_remote_jsonld_context_is_refused_without_a_connection(server):
    with listener() as remote:
        doc = json.dumps({"@context": f"{remote.url}/context.jsonld",
                          "@id": "http://example.org/a", "name": "x"})
        answer = server.request("PUT", graph_path(E + "g/ld"), doc,
                                {"Content-Type": "application/ld+json", **AUTH})
        assert answer.status == 400
        assert "context" in answer.text
        assert remote.connections == 0
    inline = json.dumps({"@context": {"name": "http://example.org/name"},
                         "@id": "http://example.org/a", "name": "x"})
    answer = server.request("PUT", graph_path(E + "g/ld"), inline,
                            {"Content-Type": "application/ld+json", **AUTH})
    assert answer.status == 201


def test_oversized_upload_is_413():
    with new_server({"max_body_bytes": 1000}) as live:
        body = "".join(f'<{E}s{i}> <{E}p> "{i}" .\n' for i in range(100))
        answer = live.request("PUT", graph_path(E + "g/big"), body, {**TURTLE, **AUTH})
        assert answer.status == 413
        assert live.request("GET", graph_path(E + "g/big")).status == 404


# -- validate on write -------------------------------------------------------------------

def test_validate_on_write_refuses_a_violating_cluster_with_the_report():
    from educluster.bootstrap import load_initial_content

    flawed = [p for p in flawed_example_files() if p.stem == "regionalization"]
    if not flawed or not example_files():
        pytest.skip("the example clusters are not in place")
    store = OxigraphStore()
    load_initial_content(store)
    with new_server({"validate_on_write": True}, store=store) as live:
        target = graph_path(E + "graph/flawed")
        answer = live.request("PUT", target, flawed[0].read_bytes(), {**TURTLE, **AUTH})
        assert answer.status == 422
        report = json.loads(answer.body)
        assert report["conforms"] is False
        assert any(r["principle"].endswith("#Regionalization") and r["severity"] == "Violation"
                   for r in report["results"])
        assert live.request("GET", target).status == 404
        good = live.request("PUT", target, example_files()[0].read_bytes(), {**TURTLE, **AUTH})
        assert good.status == 201


def test_validate_on_write_does_not_blame_a_write_for_violations_already_there():
    flawed = [p for p in flawed_example_files() if p.stem == "private-interest"]
    if not flawed:
        pytest.skip("the flawed examples are not in place")
    store = OxigraphStore()
    store.load(flawed[0].read_bytes(), ox.RdfFormat.TURTLE, graph=E + "graph/old")
    with new_server({"validate_on_write": True}, store=store) as live:
        note = f'<{E}x> <{E}note> "unrelated" .'
        answer = live.request("PUT", graph_path(E + "graph/note"), note, {**TURTLE, **AUTH})
        assert answer.status == 201, answer.text


# -- derived knowledge after a write ---------------------------------------------------------

def _derived(store) -> set[ox.Quad]:
    return set(store.quads(DERIVED_GRAPH))


@pytest.mark.parametrize("backend", ["oxigraph", pytest.param("virtuoso",
                                                              marks=pytest.mark.virtuoso)])
def test_a_graph_store_write_derives_again_only_what_its_quads_affect(
    backend, request, monkeypatch
):
    """POST, PUT and DELETE bring the derived graph to exactly what deriving everything
    again gives, without the service deriving everything again (no full ``materialize``)."""
    import educluster.reasoning as reasoning
    import educluster.reasoning.engine as engine
    from educluster.bootstrap import load_initial_content
    from educluster.dataset import RemoteDataset
    from educluster.vocab import DATA_GRAPH_PREFIX, EC_IRI, ID_IRI

    if not example_files():
        pytest.skip("the example clusters are not in place")
    if backend == "oxigraph":
        store = OxigraphStore()
        dataset = MemoryDataset(store)
    else:
        from conftest import empty_remote_store

        store = empty_remote_store(request.getfixturevalue("virtuoso"))
        dataset = RemoteDataset(store)
    load_initial_content(store)
    full_runs = []
    original = engine.materialize

    def counting(target):
        full_runs.append(target)
        return original(target)

    monkeypatch.setattr(engine, "materialize", counting)
    monkeypatch.setattr(reasoning, "materialize", counting)

    def derived_checked() -> set[ox.Quad]:
        """The derived graph, checked against deriving everything again on the store."""
        now = _derived(store)
        original(store)
        assert _derived(store) == now
        return now

    holding = DATA_GRAPH_PREFIX + "ulyanovsk-holding"
    cluster = ID_IRI + "ulyanovsk-educational-holding"
    members = sorted(r["m"].value for r in store.select(
        f"SELECT ?m {{ <{cluster}> <{EC_IRI}hasMember> ?m }}"))
    kinds = {m: {r["k"].value for r in store.select(f"SELECT ?k {{ <{m}> a ?k }}")}
             for m in members}
    first = members[0]  # with a member of another kind, if any: a link across kinds
    other = next((m for m in members[1:] if kinds[m] != kinds[first]), members[-1])
    cooperation = ID_IRI + "ulyanovsk-cooperation-new"
    before = derived_checked()
    with LiveServer(create_app(dataset, settings={"write_token": TOKEN})) as live:
        posted = live.request("POST", graph_path(holding), (
            f"<{cooperation}> a <{EC_IRI}Cooperation> ; <{EC_IRI}partner> <{first}> , "
            f"<{other}> ; <{EC_IRI}inCluster> <{cluster}> ."), {**TURTLE, **AUTH})
        assert posted.status == 204, posted.text
        assert full_runs == []
        after_post = derived_checked()
        assert any(q.subject.value == cooperation for q in after_post - before)

        original_text = (next(p for p in example_files() if p.stem == "ulyanovsk-holding")
                         .read_bytes())
        put = live.request("PUT", graph_path(holding), original_text, {**TURTLE, **AUTH})
        assert put.status == 204, put.text
        assert full_runs == []
        assert derived_checked() == before

        deleted = live.request("DELETE", graph_path(DATA_GRAPH_PREFIX + "methodological"),
                               headers=AUTH)
        assert deleted.status == 204, deleted.text
        assert full_runs == []
        assert len(derived_checked()) < len(before)
