"""The same behaviour on both backends: the Store contract on the embedded Oxigraph store
and on a real Virtuoso reached over the SPARQL 1.1 Protocol (``RemoteStore``); derived
knowledge, validation and the HTTP service over Virtuoso.

The Virtuoso tests use the session's private instance (``virtuoso`` fixture in
conftest.py: scripts/virtuoso.sh, loopback only, its own passwords).
"""

from __future__ import annotations

import json
import threading

import pyoxigraph as ox
import pytest

from conftest import VirtuosoInstance, empty_remote_store
from educluster.dataset import RemoteDataset
from educluster.errors import QuerySyntaxError, StoreError
from educluster.store import OxigraphStore, RemoteStore, Store
from educluster.store.remote import DEFAULT_GRAPH, LOCK_GRAPH, WriteLease, _batches
from educluster.vocab import DERIVED_GRAPH, EC_IRI

EX = "http://example.org/"
G1 = "http://example.org/graph/one"
G2 = "http://example.org/graph/two"
XSD = "http://www.w3.org/2001/XMLSchema#"
TTL = f"""@prefix ex: <{EX}> . @prefix xsd: <{XSD}> .
ex:a ex:name "A" ; ex:knows ex:b .
ex:b ex:name "B"@en ; ex:age 42 ; ex:born "2001-02-03"^^xsd:date .
"""


def iri(name: str) -> ox.NamedNode:
    return ox.NamedNode(EX + name)


def is_virtuoso(store: Store) -> bool:
    return isinstance(store, RemoteStore)


# -- the Store contract --------------------------------------------------------------------
def test_load_and_select_in_a_named_graph(any_store):
    assert any_store.load(TTL, ox.RdfFormat.TURTLE, graph=G1) == 5
    rows = any_store.select(
        f"SELECT ?n WHERE {{ GRAPH <{G1}> {{ <{EX}b> <{EX}name> ?n }} }}"
    )
    assert rows == [{"n": ox.Literal("B", language="en")}]
    assert any_store.triple_count(G1) == 5


def test_query_default_graph_is_the_union_of_all_graphs(any_store):
    any_store.load(f"<{EX}a> <{EX}p> <{EX}b> .", ox.RdfFormat.N_TRIPLES, graph=G1)
    any_store.load(f"<{EX}b> <{EX}p> <{EX}c> .", ox.RdfFormat.N_TRIPLES, graph=G2)
    any_store.load(f"<{EX}c> <{EX}p> <{EX}d> .", ox.RdfFormat.N_TRIPLES)  # default graph
    rows = any_store.select(
        f"SELECT ?end WHERE {{ <{EX}a> <{EX}p>/<{EX}p>/<{EX}p> ?end }}"
    )
    assert rows == [{"end": iri("d")}]
    assert any_store.ask(f"ASK {{ GRAPH ?g {{ <{EX}a> <{EX}p> <{EX}b> }} }}")


def test_default_graph_param_restricts_the_dataset(any_store):
    any_store.load(f"<{EX}a> <{EX}p> 1 .", ox.RdfFormat.TURTLE, graph=G1)
    any_store.load(f"<{EX}a> <{EX}p> 2 .", ox.RdfFormat.TURTLE, graph=G2)
    rows = any_store.select(f"SELECT ?o WHERE {{ <{EX}a> <{EX}p> ?o }}", default_graph=[G2])
    assert [r["o"].value for r in rows] == ["2"]


def test_named_graphs_graph_exists_and_default_graph(any_store):
    any_store.load(TTL, ox.RdfFormat.TURTLE, graph=G1)
    any_store.update(f'INSERT DATA {{ <{EX}x> <{EX}p> "in the default graph" }}')
    assert any_store.named_graphs() == [G1]
    assert any_store.graph_exists(G1)
    assert not any_store.graph_exists(G2)
    assert any_store.graph_exists(None)
    default = list(any_store.quads(None))
    assert [(q.subject, q.object) for q in default] == [
        (iri("x"), ox.Literal("in the default graph"))
    ]
    assert all(isinstance(q.graph_name, ox.DefaultGraph) for q in default)


def test_update_insert_where_and_delete(any_store):
    any_store.load(TTL, ox.RdfFormat.TURTLE, graph=G1)
    any_store.update(
        f"INSERT {{ GRAPH <{G2}> {{ ?s a <{EX}Named> }} }} "
        f"WHERE {{ GRAPH ?g {{ ?s <{EX}name> ?n }} }}"
    )
    assert any_store.triple_count(G2) == 2
    any_store.update(f"DELETE WHERE {{ GRAPH <{G2}> {{ <{EX}a> ?p ?o }} }}")
    assert [q.subject for q in any_store.quads(G2)] == [iri("b")]


def test_clear_and_replace_graph(any_store):
    any_store.load(TTL, ox.RdfFormat.TURTLE, graph=G1)
    any_store.load(TTL, ox.RdfFormat.TURTLE, graph=G2)
    any_store.clear_graph(G1)
    assert any_store.named_graphs() == [G2]
    replaced = [ox.Quad(iri("z"), iri("p"), ox.Literal("new"), ox.NamedNode(G2))]
    assert any_store.replace_graph(G2, replaced) == 1
    assert list(any_store.quads(G2)) == replaced
    any_store.clear_graph(G1)  # clearing a graph that is not there is no error


def test_dump_round_trips_a_dataset(any_store):
    nquads = (
        f'<{EX}a> <{EX}p> "default" .\n'
        f'<{EX}a> <{EX}p> "one" <{G1}> .\n'
        f'<{EX}b> <{EX}q> <{EX}c> <{G2}> .\n'
        f'<{EX}d> <{EX}p> "derived" <{DERIVED_GRAPH}> .\n'
    )
    any_store.load(nquads, ox.RdfFormat.N_QUADS)
    dumped = set(ox.parse(any_store.dump(ox.RdfFormat.N_QUADS), format=ox.RdfFormat.N_QUADS))
    assert dumped == set(ox.parse(nquads.encode(), format=ox.RdfFormat.N_QUADS))
    asserted = any_store.dump(ox.RdfFormat.N_QUADS, include_derived=False)
    assert b"derived" not in asserted and b'"one"' in asserted
    triples = any_store.dump(ox.RdfFormat.N_TRIPLES).decode().strip().splitlines()
    assert len(triples) == 4


def test_literals_survive_the_round_trip(any_store):
    long_text = "λ " + "x" * 200_000
    values = [
        ox.Literal("plain"),
        ox.Literal("tab\there\nnew line, \"quoted\", back\\slash, é, 中文, 🎓"),
        ox.Literal("hello", language="en"),
        ox.Literal("Schule", language="de-ch"),
        ox.Literal("2024-09-01", datatype=ox.NamedNode(XSD + "date")),
        ox.Literal("42", datatype=ox.NamedNode(XSD + "integer")),
        ox.Literal("true", datatype=ox.NamedNode(XSD + "boolean")),
        ox.Literal("x", datatype=ox.NamedNode(EX + "custom")),
        ox.Literal(long_text),
    ]
    quads = [ox.Quad(iri("s"), iri(f"p{i}"), v, ox.NamedNode(G1)) for i, v in enumerate(values)]
    any_store.add_quads(quads)
    assert set(any_store.quads(G1)) == set(quads)
    rows = any_store.select(f"SELECT ?p ?o WHERE {{ <{EX}s> ?p ?o }} ORDER BY ?p")
    assert {r["o"] for r in rows} == set(values)
    # a bound literal finds its triple again
    assert any_store.select(
        f"SELECT ?p ?o WHERE {{ <{EX}s> ?p ?o }}", bindings={"o": values[1]}
    ) == [{"p": iri("p1"), "o": values[1]}]


def test_update_where_and_the_union_default_graph(any_store):
    """An update's WHERE reads the union of all graphs on Virtuoso, only the store's own
    default graph on Oxigraph; ``update_sees_union`` says which (the derivation engine
    relies on it).  GRAPH ?g in the WHERE works the same on both."""
    any_store.load(TTL, ox.RdfFormat.TURTLE, graph=G1)
    any_store.update(f"INSERT {{ GRAPH <{G2}> {{ ?s a <{EX}Named> }} }} "
                     f"WHERE {{ ?s <{EX}name> ?n }}")
    sees_union = getattr(any_store, "update_sees_union", False)
    assert sees_union is is_virtuoso(any_store)
    assert any_store.triple_count(G2) == (2 if sees_union else 0)


def test_literal_normalization_is_the_same(any_store):
    """Both engines store typed numbers by value (canonical lexical form) and lower-case
    language tags (RDF says they are case-insensitive)."""
    any_store.load(
        f'<{EX}s> <{EX}n> "007"^^<{XSD}integer> ; <{EX}d> "1.50"^^<{XSD}decimal> ; '
        f'<{EX}l> "Hi"@EN-GB .',
        ox.RdfFormat.TURTLE, graph=G1,
    )
    row = any_store.select(f"SELECT ?n ?d ?l WHERE {{ <{EX}s> <{EX}n> ?n ; <{EX}d> ?d ; "
                           f"<{EX}l> ?l }}")[0]
    assert row["l"] == ox.Literal("Hi", language="en-gb")
    assert (row["n"].value, row["d"].value) == ("7", "1.5")
    # numeric comparisons agree whatever the lexical form
    assert any_store.ask(f"ASK {{ <{EX}s> <{EX}n> ?n FILTER (?n = 7) }}")


def test_blank_nodes_keep_their_structure(any_store):
    any_store.load(
        f"""@prefix ex: <{EX}> .
        ex:cluster ex:member [ ex:name "first" ; ex:address [ ex:city "Tashkent" ] ] ,
                             [ ex:name "second" ] .""",
        ox.RdfFormat.TURTLE, graph=G1,
    )
    rows = any_store.select(
        f"SELECT ?name ?city WHERE {{ <{EX}cluster> <{EX}member> ?m . ?m <{EX}name> ?name "
        f"OPTIONAL {{ ?m <{EX}address>/<{EX}city> ?city }} }} ORDER BY ?name"
    )
    assert [(r["name"].value, r.get("city")) for r in rows] == [
        ("first", ox.Literal("Tashkent")), ("second", None)
    ]
    quads = list(any_store.quads(G1))
    assert len({t for q in quads for t in (q.subject, q.object)
                if isinstance(t, ox.BlankNode)}) == 3
    # what quads() gives back loads again with the same shape
    copy = OxigraphStore()
    copy.add_quads(quads)
    assert copy.triple_count() == 6


def test_result_formats(any_store):
    any_store.load(TTL, ox.RdfFormat.TURTLE, graph=G1)
    result = any_store.query(f"SELECT ?s ?n WHERE {{ ?s <{EX}name> ?n }} ORDER BY ?s")
    data = json.loads(result.serialize("application/sparql-results+json"))
    assert data["head"]["vars"] == ["s", "n"]
    assert [b["n"]["value"] for b in data["results"]["bindings"]] == ["A", "B"]
    csv = any_store.query(f"SELECT ?s ?n WHERE {{ ?s <{EX}name> ?n }} ORDER BY ?s")
    assert csv.serialize("text/csv").decode().splitlines() == [
        "s,n", f"{EX}a,A", f"{EX}b,B"
    ]
    xml = any_store.query(f"SELECT ?n WHERE {{ <{EX}b> <{EX}name> ?n }}")
    assert b'xml:lang="en"' in xml.serialize("application/sparql-results+xml")
    tsv = any_store.query(f"SELECT ?n WHERE {{ <{EX}b> <{EX}name> ?n }}")
    assert tsv.serialize("text/tab-separated-values").decode().splitlines()[1] == '"B"@en'
    ask = any_store.query(f"ASK {{ <{EX}a> <{EX}knows> <{EX}b> }}")
    assert ask.kind == "boolean" and ask.boolean() is True
    assert json.loads(ask.serialize("application/sparql-results+json"))["boolean"] is True
    graph = any_store.query(f"CONSTRUCT {{ ?s <{EX}label> ?n }} WHERE {{ ?s <{EX}name> ?n }}")
    assert graph.kind == "graph"
    turtle = graph.serialize("text/turtle")
    assert len(list(ox.parse(turtle, format=ox.RdfFormat.TURTLE))) == 2
    described = any_store.construct(f"DESCRIBE <{EX}a>")
    assert ox.Triple(iri("a"), iri("name"), ox.Literal("A")) in described


def test_malformed_query_and_update(any_store):
    with pytest.raises(QuerySyntaxError):
        any_store.query("SELECT * WHERE { ?s ?p }")
    with pytest.raises(QuerySyntaxError):
        any_store.update("INSERT DATA { <http://example.org/a> }")
    assert any_store.named_graphs() == []


def test_words_in_comments_and_strings_do_not_change_the_query_form(any_store):
    any_store.load(TTL, ox.RdfFormat.TURTLE, graph=G1)
    rows = any_store.select(
        "#+ summary: clear and insert nothing, drop every doubt\n"
        f'SELECT ?n WHERE {{ <{EX}a> <{EX}name> ?n FILTER (?n != "DELETE") }}'
    )
    assert rows == [{"n": ox.Literal("A")}]
    with pytest.raises(QuerySyntaxError):
        any_store.update("# insert\nSELECT * WHERE { ?s ?p ?o }")


def test_bindings_must_be_projected(any_store):
    any_store.load(TTL, ox.RdfFormat.TURTLE, graph=G1)
    with pytest.raises(QuerySyntaxError):
        any_store.select(f"SELECT ?n WHERE {{ ?s <{EX}name> ?n }}", bindings={"s": iri("a")})


def test_bindings_bind_the_end_of_a_property_path(any_store):
    """A bound end of a ``*`` path restricts the answer on both engines (Virtuoso
    ignores a trailing VALUES clause there and answers every row)."""
    any_store.load(f"""@prefix ex: <{EX}> .
        ex:o1 ex:in ex:city . ex:o2 ex:in ex:region . ex:o3 ex:in ex:elsewhere .
        ex:city ex:partOf ex:region . ex:region ex:partOf ex:country .""",
                   ox.RdfFormat.TURTLE, graph=G1)
    query = f"""PREFIX ex: <{EX}>
        SELECT ?o ?r WHERE {{ ?o ex:in ?place . ?place ex:partOf* ?r }}"""
    assert len(any_store.select(query)) == 6  # o1: city, region, country; o2: 2; o3: 1
    rows = any_store.select(query, bindings={"r": iri("region")})
    assert sorted(str(row["o"]) for row in rows) == [str(iri("o1")), str(iri("o2"))]
    assert {row["r"] for row in rows} == {iri("region")}


def test_derivation_on_the_store(any_store):
    """materialize through the interface: the shipped ontology and two schools make a
    horizontal cooperation and cluster, on either engine."""
    from educluster.reasoning import cluster_orientations, materialize

    any_store.load(
        f"""@prefix ec: <{EC_IRI}> . @prefix ex: <{EX}> .
        ex:cluster a ec:EducationalCluster .
        ex:s1 a ec:GeneralSecondarySchool . ex:s2 a ec:GeneralSecondarySchool .
        ex:coop a ec:Cooperation ; ec:partner ex:s1, ex:s2 ; ec:inCluster ex:cluster .""",
        ox.RdfFormat.TURTLE, graph=G1,
    )
    stats = materialize(any_store)
    assert stats.derived > 0
    assert cluster_orientations(any_store) == {EX + "cluster": EC_IRI + "Horizontal"}
    assert any_store.ask(
        f"ASK {{ <{EX}s1> a <http://www.w3.org/ns/org#Organization> }}"
    )


# -- Virtuoso specifics --------------------------------------------------------------------
@pytest.fixture
def remote(virtuoso: VirtuosoInstance) -> RemoteStore:
    return empty_remote_store(virtuoso)


@pytest.mark.virtuoso
def test_virtuoso_system_graphs_are_not_data(remote):
    assert remote.is_virtuoso
    assert remote.named_graphs() == []
    assert remote.triple_count() == 0
    assert remote.dump(ox.RdfFormat.N_QUADS) == b""
    # ...but they are there, and a query over the union sees them, as on any Virtuoso
    assert remote.ask("ASK { GRAPH <http://www.openlinksw.com/schemas/virtrdf#> { ?s ?p ?o } }")


@pytest.mark.virtuoso
def test_default_graph_is_a_fixed_named_graph_on_virtuoso(remote):
    remote.update(f'INSERT DATA {{ <{EX}x> <{EX}p> "d" }}')
    assert remote.ask(f'ASK {{ GRAPH <{DEFAULT_GRAPH}> {{ <{EX}x> <{EX}p> "d" }} }}')
    remote.update(f'DELETE DATA {{ <{EX}x> <{EX}p> "d" }}')
    assert remote.triple_count(None) == 0


@pytest.mark.virtuoso
def test_paging_and_small_batches(virtuoso):
    store = empty_remote_store(virtuoso, page_size=7, batch_triples=5)
    quads = [ox.Quad(iri(f"s{i:03}"), iri("p"), ox.Literal(str(i)), ox.NamedNode(G1))
             for i in range(53)]
    # a chain of blank nodes longer than a batch still arrives as one structure
    chain = [ox.BlankNode(f"n{i}") for i in range(12)]
    quads += [ox.Quad(chain[i], iri("next"), chain[i + 1], ox.NamedNode(G2))
              for i in range(11)]
    assert store.add_quads(quads) == 64
    assert store.triple_count(G1) == 53 and store.triple_count() == 64
    assert set(store.quads(G1)) == set(quads[:53])
    path = "/".join([f"<{EX}next>"] * 11)
    assert store.ask(f"ASK {{ ?a {path} ?z }}")


def test_batches_keep_blank_node_groups_together():
    b = [ox.BlankNode(f"b{i}") for i in range(4)]
    quads = [ox.Quad(iri(f"s{i}"), iri("p"), ox.Literal(str(i))) for i in range(5)]
    quads += [ox.Quad(b[0], iri("p"), b[1]), ox.Quad(b[1], iri("p"), b[2]),
              ox.Quad(b[2], iri("p"), b[3]), ox.Quad(b[3], iri("q"), ox.Literal("end"))]
    batches = list(_batches(quads, 2, 10_000))
    assert sum(len(batch) for batch in batches) == len(quads)
    holding = [batch for batch in batches if any(q.subject in b for q in batch)]
    assert len(holding) == 1 and len(holding[0]) == 4


@pytest.mark.virtuoso
def test_anonymous_endpoint_is_read_only(virtuoso):
    anonymous = RemoteStore(virtuoso.query_endpoint, user="", password="")
    with pytest.raises(StoreError):
        anonymous.update(f'INSERT DATA {{ GRAPH <{G1}> {{ <{EX}a> <{EX}p> "x" }} }}')
    wrong = RemoteStore(virtuoso.query_endpoint, virtuoso.update_endpoint,
                        user=virtuoso.user, password="not-the-password")
    with pytest.raises(StoreError, match="credentials"):
        wrong.update(f'INSERT DATA {{ GRAPH <{G1}> {{ <{EX}a> <{EX}p> "x" }} }}')


def test_unreachable_store_is_a_store_error():
    import socket

    with socket.socket() as s:  # a loopback port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    store = RemoteStore(f"http://127.0.0.1:{port}/sparql", timeout=5)
    with pytest.raises(StoreError, match="cannot reach"):
        store.ask("ASK {}")


@pytest.mark.virtuoso
def test_credentials_from_the_environment(virtuoso, monkeypatch):
    monkeypatch.setenv("EDUCLUSTER_ENDPOINT_USER", virtuoso.user)
    monkeypatch.setenv("EDUCLUSTER_ENDPOINT_PASSWORD", virtuoso.password)
    store = RemoteStore(virtuoso.query_endpoint, virtuoso.update_endpoint)
    store.update(f'INSERT DATA {{ GRAPH <{G1}> {{ <{EX}env> <{EX}p> "x" }} }}')
    assert store.ask(f"ASK {{ <{EX}env> <{EX}p> ?o }}")
    store.clear_graph(G1)


@pytest.mark.virtuoso
def test_write_lease_serializes_instances(remote, virtuoso):
    first, second = WriteLease(remote, wait=30), WriteLease(virtuoso.store(), wait=0.5)
    with first, pytest.raises(StoreError, match="write lease"):
        second.acquire()
    second.acquire()  # free again once released
    second.release()
    assert not remote.graph_exists(LOCK_GRAPH)
    # an expired lease (a crashed instance) does not block
    stale = WriteLease(remote, seconds=-1)
    stale.acquire()
    fresh = WriteLease(remote, wait=10)
    fresh.acquire()
    fresh.release()


@pytest.mark.virtuoso
def test_remote_dataset_writes_derive_and_serialize(virtuoso):
    from educluster.reasoning import cluster_orientations

    empty_remote_store(virtuoso)
    datasets = [RemoteDataset(virtuoso.store()), RemoteDataset(virtuoso.store())]
    data = f"""@prefix ec: <{EC_IRI}> . @prefix ex: <{EX}> .
        ex:cluster a ec:EducationalCluster .
        ex:u a ec:HigherEducationInstitution . ex:s a ec:GeneralSecondarySchool .
        ex:coop{{i}} a ec:Cooperation ; ec:partner ex:u, ex:s ; ec:inCluster ex:cluster ."""
    errors: list[BaseException] = []

    def write(i: int) -> None:
        try:
            datasets[i % 2].write(lambda store: store.load(
                data.replace("{i}", str(i)), ox.RdfFormat.TURTLE, graph=f"{G1}/{i}"))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    reader = datasets[0].reader()
    assert cluster_orientations(reader) == {EX + "cluster": EC_IRI + "Vertical"}
    coops = reader.select(f"SELECT ?c WHERE {{ GRAPH <{DERIVED_GRAPH}> "
                          f"{{ ?c <{EC_IRI}orientation> <{EC_IRI}Vertical> }} }}")
    assert len(coops) == 5  # four cooperations and the cluster
    assert not reader.graph_exists(LOCK_GRAPH)


# -- the service over Virtuoso -------------------------------------------------------------
TOKEN = "test-write-token"


class CountingStore(RemoteStore):
    """The remote store, remembering every query and update it was asked to run."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.seen: list[str] = []

    def query(self, sparql, **kwargs):
        self.seen.append(sparql)
        return super().query(sparql, **kwargs)

    def update(self, sparql, **kwargs):
        self.seen.append(sparql)
        return super().update(sparql, **kwargs)


@pytest.fixture
def service(virtuoso):
    from educluster.web import create_app
    from httpserver import LiveServer

    empty_remote_store(virtuoso)
    store = CountingStore(virtuoso.query_endpoint, virtuoso.update_endpoint,
                          user=virtuoso.user, password=virtuoso.password)
    store.load(TTL, ox.RdfFormat.TURTLE, graph=G1)
    app = create_app(RemoteDataset(store), settings={"write_token": TOKEN})
    with LiveServer(app) as server:
        server.store = store
        yield server


def _client(url: str):
    from SPARQLWrapper import JSON, POST, SPARQLWrapper

    client = SPARQLWrapper(url + "/sparql", updateEndpoint=url + "/sparql")
    client.setReturnFormat(JSON)
    client.setMethod(POST)
    return client


@pytest.mark.virtuoso
def test_service_over_virtuoso_answers_sparqlwrapper(service):
    from SPARQLWrapper import TURTLE

    client = _client(service.url)
    client.setQuery(f"SELECT ?s ?n WHERE {{ ?s <{EX}name> ?n }} ORDER BY ?s")
    rows = client.queryAndConvert()["results"]["bindings"]
    assert [(r["s"]["value"], r["n"]["value"]) for r in rows] == [(EX + "a", "A"), (EX + "b", "B")]
    assert rows[1]["n"]["xml:lang"] == "en"

    client.setQuery(f"ASK {{ <{EX}a> <{EX}knows> <{EX}b> }}")
    assert client.queryAndConvert()["boolean"] is True

    client = _client(service.url)
    client.setReturnFormat(TURTLE)
    client.setQuery(f"CONSTRUCT {{ ?s <{EX}label> ?n }} WHERE {{ ?s <{EX}name> ?n }}")
    graph = client.queryAndConvert()
    triples = list(ox.parse(graph, format=ox.RdfFormat.TURTLE))
    assert len(triples) == 2

    health = service.request("GET", "/health")
    assert health.status == 200 and "remote" in health.text


@pytest.mark.virtuoso
def test_service_over_virtuoso_updates_with_the_token_and_derives(service):
    from SPARQLWrapper.SPARQLExceptions import Unauthorized

    data = f"""PREFIX ec: <{EC_IRI}> PREFIX ex: <{EX}>
        INSERT DATA {{ GRAPH <{G2}> {{
          ex:cluster a ec:EducationalCluster .
          ex:u a ec:HigherEducationInstitution . ex:s a ec:GeneralSecondarySchool .
          ex:coop a ec:Cooperation ; ec:partner ex:u, ex:s ; ec:inCluster ex:cluster . }} }}"""
    anonymous = _client(service.url)
    anonymous.setQuery(data)
    with pytest.raises(Unauthorized):
        anonymous.query()
    assert not service.store.graph_exists(G2)

    writer = _client(service.url)
    writer.addCustomHttpHeader("Authorization", f"Bearer {TOKEN}")
    writer.setQuery(data)
    writer.query()
    reader = _client(service.url)
    reader.setQuery(f"SELECT ?o WHERE {{ GRAPH <{DERIVED_GRAPH}> "
                    f"{{ <{EX}cluster> <{EC_IRI}orientation> ?o }} }}")
    rows = reader.queryAndConvert()["results"]["bindings"]
    assert [r["o"]["value"] for r in rows] == [EC_IRI + "Vertical"]


@pytest.mark.virtuoso
def test_service_refuses_service_before_the_store_sees_it(service):
    from SPARQLWrapper.SPARQLExceptions import QueryBadFormed, SPARQLWrapperException

    from httpserver import listener

    with listener() as remote:
        client = _client(service.url)
        client.setQuery(f"SELECT * WHERE {{ SERVICE <{remote.url}/sparql> {{ ?s ?p ?o }} }}")
        with pytest.raises((QueryBadFormed, SPARQLWrapperException)):
            client.query()
        assert remote.connections == 0
    assert not any("SERVICE" in text for text in service.store.seen)
    bad = _client(service.url)
    bad.setQuery("SELECT * WHERE { ?s ?p }")
    with pytest.raises(QueryBadFormed):
        bad.query()


# -- validation of what the store holds ---------------------------------------------------
@pytest.mark.virtuoso
@pytest.mark.parametrize("name", ["methodological.ttl", "flawed/failure-tolerance.ttl"])
def test_validation_of_data_pulled_from_virtuoso_matches_the_file(remote, root, name):
    """A definition loaded into Virtuoso and pulled back with CONSTRUCT validates to the
    same report as the file itself."""
    from educluster.validation import validate, validate_files

    path = root / "data" / name
    graph = "https://w3id.org/educluster/graph/data/" + path.stem
    remote.load(path.read_bytes(), ox.RdfFormat.TURTLE, graph=graph, source=str(path))
    pulled = remote.construct(
        f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
    )
    from_store = validate(pulled, source=graph).to_dict()
    from_file = validate_files([path]).to_dict()
    assert from_store == from_file
    if name.startswith("flawed/"):
        assert from_store["counts"]["Warning"] + from_store["counts"]["Violation"] > 0


@pytest.mark.virtuoso
def test_a_query_past_the_time_limit_is_a_timeout_not_a_partial_answer(virtuoso):
    from educluster.errors import QueryTimeout

    store = virtuoso.store(query_time_limit=0.3)
    # Virtuoso's own graphs (some 2,500 triples) are enough for a join that would run for
    # hours.  (Virtuoso looks at the limit about every 2 s: a query it finishes sooner is
    # answered whole, and the two-way join this once was takes 1.7 to 2 s here.)
    slow = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
    with pytest.raises(QueryTimeout):
        store.select(slow)
    assert store.ask("ASK { }")  # the store answers the next query


@pytest.mark.virtuoso
def test_first_start_content_loads_in_batches_virtuoso_can_compile(virtuoso):
    """The ontology, shapes and examples (about 5,000 triples, many literals) go in with
    the default batch size, halved where Virtuoso finds a batch too large to compile."""
    from educluster.server import initial_quads

    store = empty_remote_store(virtuoso, batch_triples=5000)
    quads = initial_quads(examples=True)
    store.add_quads(quads)
    assert store.triple_count() == len(set(quads))


@pytest.mark.virtuoso
def test_service_over_virtuoso_dereferences_resources(service):
    from educluster.vocab import ID_IRI

    service.store.load(
        f"""@prefix ec: <{EC_IRI}> . @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
        <{ID_IRI}remote-school> a ec:GeneralSecondarySchool ; rdfs:label "Remote school"@en .""",
        ox.RdfFormat.TURTLE, graph=G2,
    )
    from educluster.reasoning import materialize

    materialize(service.store)
    page = service.request("GET", "/id/remote-school", headers={"Accept": "text/turtle"})
    assert page.status == 200, page.text
    triples = list(ox.parse(page.body, format=ox.RdfFormat.TURTLE))
    assert ox.Literal("Remote school", language="en") in {t.object for t in triples}
    html = service.request("GET", "/id/remote-school", headers={"Accept": "text/html"})
    assert html.status == 200 and "Remote school" in html.text


@pytest.mark.virtuoso
def test_service_over_virtuoso_renders_the_cluster_pages(service, root):
    from educluster.reasoning import materialize

    example = root / "data" / "methodological.ttl"
    service.store.load(example.read_bytes(), ox.RdfFormat.TURTLE,
                       graph="https://w3id.org/educluster/graph/data/methodological")
    materialize(service.store)
    for path in ("/", "/clusters"):
        page = service.request("GET", path, headers={"Accept": "text/html"})
        assert page.status == 200, page.text[:300]
        assert "methodological" in page.text.lower()


# -- the named queries over Virtuoso -------------------------------------------------------
@pytest.fixture(scope="module")
def examples_on_virtuoso(virtuoso):
    """Virtuoso holding the first-start content (ontology, shapes, the five examples) and
    what it entails: one load for the module."""
    from educluster.reasoning import materialize
    from educluster.server import initial_quads

    store = empty_remote_store(virtuoso)
    store.add_quads(initial_quads(examples=True))
    materialize(store)
    return store


def _named_queries():
    from educluster.named_queries import named_queries

    return sorted(named_queries())


@pytest.mark.virtuoso
@pytest.mark.parametrize("name", _named_queries())
def test_named_query_examples_on_virtuoso(examples_on_virtuoso, name):
    """Every named query's example meets its stated expectations on Virtuoso, except for
    the documented difference: a boolean the query computes comes back as 1/0."""
    from educluster.named_queries import check_expectations, get

    query = get(name)
    # Virtuoso's plan depends on its statistics of the moment; forcing the written order
    # as well tries a second plan (it is the plan that once lost every answer of
    # organizations-by-region's `ec:partOfRegion*`)
    in_written_order = InWrittenOrder(examples_on_virtuoso.query_endpoint)
    for store in (examples_on_virtuoso, in_written_order):
        result = query.run_example(store)
        problems = check_expectations(query, result)
        if name == "financing-enterprises":
            rows = list(query.run_example(store).rows())
            assert {row["isMember"].value for row in rows if "isMember" in row} <= {"1", "0"}
            assert all("isMember:true" in problem for problem in problems)
        else:
            assert problems == [], store


class InWrittenOrder(RemoteStore):
    """A Virtuoso store whose queries are planned in the order they are written."""

    def query(self, sparql, **kwargs):
        return super().query('DEFINE sql:select-option "order"\n' + sparql, **kwargs)

    def __repr__(self) -> str:
        return "Virtuoso, planned in the written order"


@pytest.mark.virtuoso
def test_the_one_step_form_of_a_transitive_path_answers_in_full_on_virtuoso(
        examples_on_virtuoso):
    """Why the named queries follow ec:partOfRegion one step (its closure is derived):
    Virtuoso 7.2 can answer nothing for `?x p* <iri>` when the plan binds ?x first, and
    whether it does depends on its statistics of the moment.  The one-step form answers
    what the embedded store answers for the path, whatever the plan; the path form, when
    Virtuoso answers it at all, never answers anything else."""
    from educluster.reasoning import materialize
    from educluster.server import initial_quads

    region = "https://w3id.org/educluster/id/tashkent-region"
    path = (f"SELECT DISTINCT ?o WHERE {{ ?o <{EC_IRI}locatedIn> ?place . "
            f"?place <{EC_IRI}partOfRegion>* <{region}> }}")
    one_step = (f"SELECT DISTINCT ?o WHERE {{ {{ ?o <{EC_IRI}locatedIn> <{region}> }} UNION "
                f"{{ ?o <{EC_IRI}locatedIn> ?place . "
                f"?place <{EC_IRI}partOfRegion> <{region}> }} }}")
    embedded = OxigraphStore()
    embedded.add_quads(initial_quads(examples=True))
    materialize(embedded)

    def answers(store: Store, query: str) -> set[str]:
        return {row["o"].value for row in store.select(query)}

    expected = answers(embedded, path)
    assert len(expected) == 30
    assert answers(embedded, one_step) == expected
    for store in (examples_on_virtuoso, InWrittenOrder(examples_on_virtuoso.query_endpoint)):
        assert answers(store, one_step) == expected, store
        assert answers(store, path) <= expected, store
