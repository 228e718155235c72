"""What ``/sparql`` remembers between requests (the URL's parameters per query string, the
negotiated format per Accept header, the endpoint's base URL) gives what working it out
afresh gives."""

from __future__ import annotations

import urllib.parse

import pytest

from educluster.named_queries import named_queries
from educluster.sparql import negotiation
from educluster.web import create_app
from educluster.web import sparql as endpoint


@pytest.fixture(scope="module")
def app():
    from educluster.dataset import MemoryDataset

    return create_app(MemoryDataset())


def query_strings() -> list[str]:
    texts = [q.bound_text(q.bind(q.example)) for q in named_queries().values()]
    out = [urllib.parse.urlencode({"query": t}) for t in texts]
    out += [
        "", "query=", "query=ASK+%7B%7D", "query=ASK%20{}&format=json&format=xml",
        "query=SELECT+*+%7B%7D&default-graph-uri=http%3A%2F%2Fe%2Fg&named-graph-uri=x",
        "a=1&a=2&a=&b", "query=%E2%82%AC%20%ZZ%", "query=caf%C3%A9+%2B+%26&x=%FF",
        urllib.parse.urlencode({"query": "SELECT ?é { ?s ?p 'ünï' }", "format": "csv"}),
    ]
    return out


def test_remembered_url_parameters_are_the_request_args(app):
    for _ in range(2):  # the second time from the cache
        for query_string in query_strings():
            with app.test_request_context("/sparql?" + query_string):
                from flask import request

                expected = request.args.to_dict(flat=False)
                got = endpoint.url_parameters()
                assert got == expected, query_string
                got.setdefault("query", []).append("tampered")  # a copy of its own
    with app.test_request_context("/sparql?query=ASK+%7B%7D"):
        assert endpoint.url_parameters() == {"query": ["ASK {}"]}


def test_a_long_query_string_is_read_but_not_remembered(app):
    long_query = "SELECT * { ?s ?p ?o } #" + "x" * endpoint._QUERY_STRING_MAX
    before = endpoint._remembered_parameters.cache_info().currsize
    with app.test_request_context("/sparql?" + urllib.parse.urlencode({"query": long_query})):
        assert endpoint.url_parameters() == {"query": [long_query]}
    assert endpoint._remembered_parameters.cache_info().currsize == before


ACCEPTS = [None, "", "*/*", "application/json", "text/csv;q=0.5, application/xml",
           "text/*", "image/png", "application/sparql-results+json;q=0, */*;q=0.1",
           "text/turtle, application/n-triples;q=0.9", "application/ld+json",
           "text/plain", "application/*;q=0.2, text/tab-separated-values"]
FORMATS = [[], ["json"], ["xml"], ["csv", "json"], ["turtle"], ["nope"], ["text/csv"],
           ["application/sparql-results+json"]]


def _outcome(function, *args):
    try:
        return function(*args)
    except negotiation.NotAcceptable as exc:
        return f"NotAcceptable: {exc}"


def test_the_remembered_format_is_the_negotiated_one():
    for _ in range(2):
        for kind in ("bindings", "boolean", "graph"):
            for accept in ACCEPTS:
                for formats in FORMATS:
                    assert _outcome(endpoint.choose_format, kind, accept, formats) == \
                        _outcome(negotiation.choose, kind, accept, formats), (kind, accept)


@pytest.mark.parametrize("url", [
    "http://localhost/sparql", "http://127.0.0.1:8000/sparql/", "https://example.org/sparql",
    "http://[::1]:8080/sparql", "http://xn--caf-dma.example/sparql",
])
def test_the_remembered_base_url_is_the_request_base_url(app, url):
    for _ in range(2):
        with app.test_request_context(url + "?query=ASK+%7B%7D"):
            from flask import request

            assert endpoint.endpoint_url() == request.base_url
