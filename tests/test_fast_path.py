"""The SPARQL endpoint's fast path (``educluster.web.fast_path``) answers a plain GET query
exactly as the Flask view and the app's response filters do: the same status, headers and
bytes, request by request, for every result form and format, compressed or not, cut at
the row cap, refused, failed or timed out.  And it takes only the requests it should."""

from __future__ import annotations

import gzip
import json
import urllib.parse

import pytest
from werkzeug.test import Client

from educluster.web import create_app
from educluster.web.fast_path import SparqlFastPath

EC = "https://w3id.org/educluster#"
ID = "https://w3id.org/educluster/id/"
TASHKENT = ID + "tashkent-teacher-education-cluster"
PREFIX = f"PREFIX ec: <{EC}> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "

QUERIES = {
    "lookup": f"SELECT ?p ?o WHERE {{ <{TASHKENT}> ?p ?o }}",
    "many rows": PREFIX + "SELECT ?s ?label WHERE { ?s rdfs:label ?label } ORDER BY ?s ?label",
    "ask": PREFIX + f"ASK {{ <{TASHKENT}> a ec:EducationalCluster }}",
    "construct": PREFIX + f"CONSTRUCT {{ <{TASHKENT}> ?p ?o }} WHERE {{ <{TASHKENT}> ?p ?o }}",
    "describe": f"DESCRIBE <{TASHKENT}>",
    "no rows": "SELECT ?s WHERE { ?s <http://example.org/nothing> ?o }",
    "base": "SELECT ?x WHERE { BIND (<relative> AS ?x) }",
    "error in an expression": "SELECT ?x WHERE { BIND (1 / 0 AS ?x) }",  # ?x unbound
}
ACCEPTS = [
    None, "*/*", "application/sparql-results+json", "application/sparql-results+xml",
    "text/csv", "text/tab-separated-values", "text/turtle", "application/n-triples",
    "application/ld+json", "text/turtle;q=0.5, application/rdf+xml", "image/png",
    "text/html, application/xhtml+xml, */*;q=0.8",
]
ENCODINGS = [None, "gzip", "gzip;q=0", "deflate, br", "*", "identity, gzip;q=0.5"]


class Counting:
    """The Flask app's own ``wsgi_app``, counting the requests it gets."""

    def __init__(self, app) -> None:
        self.app, self.calls = app, 0

    def __call__(self, environ, start_response):
        self.calls += 1
        return self.app(environ, start_response)


def clients(settings: dict | None = None):
    """(fast path client, Flask-only client, the counter of requests the fast path
    passed on) for one app."""
    app = create_app(settings=settings)
    wrapped = app.wsgi_app
    assert isinstance(wrapped, SparqlFastPath)
    counting = Counting(wrapped.wsgi_app)
    return Client(SparqlFastPath(app, counting)), Client(wrapped.wsgi_app), counting


@pytest.fixture(scope="module")
def both():
    return clients()


def answer(client: Client, path: str, headers: dict) -> tuple[int, list, bytes]:
    response = client.get(path, headers={k: v for k, v in headers.items() if v is not None})
    return (response.status_code, sorted((k.lower(), v) for k, v in response.headers.items()),
            response.get_data())


def url(query: str, **more) -> str:
    return "/sparql?" + urllib.parse.urlencode({"query": query, **more})


def same_answer(both, path: str, headers: dict, *, taken: bool | None = None
                ) -> tuple[int, list, bytes]:
    """The answers of both roads, compared; ``taken``: whether the fast path answers
    without the app (None: exactly when the answer is a 200)."""
    fast, flask_only, counting = both
    before = counting.calls
    fast_answer = answer(fast, path, headers)
    if taken is None:
        taken = fast_answer[0] == 200
    assert (counting.calls == before) is taken, (path, headers)
    assert fast_answer == answer(flask_only, path, headers), (path, headers)
    return fast_answer


@pytest.mark.parametrize("name", sorted(QUERIES))
@pytest.mark.parametrize("accept", ACCEPTS)
def test_every_form_and_format_is_answered_as_the_view_answers_it(both, name, accept):
    status, _headers, body = same_answer(both, url(QUERIES[name]), {"Accept": accept})
    assert status in (200, 406), (status, body[:200])
    if accept == "image/png":
        assert status == 406  # negotiated after the query ran: handed to the app's view


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("name", ["lookup", "many rows", "construct"])
def test_compression_is_the_same(both, name, encoding):
    status, headers, body = same_answer(
        both, url(QUERIES[name]), {"Accept-Encoding": encoding}, taken=True)
    assert status == 200
    if ("content-encoding", "gzip") in headers:
        assert len(gzip.decompress(body)) >= 1024
        assert ("vary", "Accept, Accept-Encoding") in headers


def test_the_answers_are_what_the_query_says(both):
    """Not only equal: right (the lookup's rows, the ASK's boolean, the format param)."""
    status, headers, body = same_answer(
        both, url(QUERIES["lookup"], format="json"), {}, taken=True)
    assert status == 200
    assert ("content-type", "application/sparql-results+json; charset=utf-8") in headers
    rows = json.loads(body)["results"]["bindings"]
    assert {row["o"]["value"] for row in rows} >= {EC + "EducationalCluster"}
    assert ("access-control-allow-origin", "*") in headers
    status, headers, body = same_answer(both, url(QUERIES["ask"]), {}, taken=True)
    assert status == 200
    assert json.loads(body)["boolean"] is True


@pytest.mark.parametrize("path", [
    url("SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }"),  # refused
    url("SELECT * WHERE { ?s ?p ?o"),  # malformed
    url(f"SELECT * FROM <{ID}nothing> WHERE {{ ?s ?p ?o }}"),  # FROM: the app's road
    url("SELECT * WHERE { ?s ?p ?o } LIMIT 1", **{"default-graph-uri": ID + "g"}),
    url("SELECT * WHERE { ?s ?p ?o } LIMIT 1", update="CLEAR ALL"),
    url("SELECT * WHERE { ?s ?p ?o } LIMIT 1", token="secret"),
    url(""),
    "/sparql?query=SELECT%20*%20WHERE%20%7B%7D&query=ASK%7B%7D",  # two queries
    "/sparql/?" + urllib.parse.urlencode({"query": "ASK {}"}),
])
def test_what_the_fast_path_leaves_to_the_app_is_answered_the_same(both, path):
    taken = path.startswith("/sparql/?")
    same_answer(both, path, {"Accept": "application/sparql-results+json"}, taken=taken)


def test_the_service_description_is_the_apps(both):
    fast, _, counting = both
    before = counting.calls
    response = fast.get("/sparql", headers={"Accept": "text/turtle"})
    assert response.status_code == 200 and b"sd:Service" in response.get_data()
    assert counting.calls == before + 1  # (its blank nodes differ from one answer to the next)


def test_a_truncated_answer_and_a_timed_out_query():
    capped = clients({"max_rows": 3})
    status, headers, body = same_answer(capped, url(QUERIES["many rows"]), {}, taken=True)
    assert ("x-educluster-truncated", "true") in headers
    assert len(json.loads(body)["results"]["bindings"]) == 3
    slow = clients({"query_timeout": 0.05})
    # about half a second on the examples: past the limit, yet short enough to run out
    # in process, where the work cannot be stopped
    heavy = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?p ?o . ?b a ?u }"
    fast, _flask_only, counting = slow
    status, headers, body = answer(fast, url(heavy), {})
    assert status == 503 and b"time limit" in body
    assert counting.calls == 1  # handed to the app to answer, not run again
