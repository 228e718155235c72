"""Query results to bytes with a row cap: Oxigraph's fast path and the engine-neutral
path give the same answers, and the cap is exact."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from educluster.sparql.negotiation import BY_NAME
from educluster.sparql.results import serialize
from educluster.store import OxigraphStore
from educluster.store.base import QueryResult

TRICKY = """
PREFIX e: <http://example.org/>
INSERT DATA {
  e:a e:text "line one\\nline two\\ttab \\"quoted\\" back\\\\slash" .
  e:a e:lang "bonjour"@fr .
  e:a e:num 42 .
  e:a e:date "2024-01-02"^^<http://www.w3.org/2001/XMLSchema#date> .
  e:a e:node _:b1 .
  e:a e:unicode "Тошкент ✓" .
}"""


class Neutral(QueryResult):
    """An Oxigraph result seen only through the engine-neutral interface."""

    def __init__(self, result):
        self._inner = result
        self.kind = result.kind

    def serialize(self, media_type):
        return self._inner.serialize(media_type)

    @property
    def variables(self):
        return self._inner.variables

    def rows(self):
        return self._inner.rows()

    def boolean(self):
        return self._inner.boolean()

    def triples(self):
        return self._inner.triples()


@pytest.fixture(scope="module")
def store():
    s = OxigraphStore()
    s.update(TRICKY)
    s.update("INSERT DATA { " + " ".join(
        f"<http://example.org/n{i}> <http://example.org/i> {i} ." for i in range(25)) + " }")
    return s


QUERY = ("SELECT ?s ?p ?o ?unbound WHERE { ?s ?p ?o FILTER(?p != <http://example.org/i>) "
         "OPTIONAL { ?s <http://example.org/none> ?unbound } } ORDER BY ?p")


def solutions(body: bytes, name: str) -> list[dict]:
    parsed = ox.parse_query_results(body, {
        "json": ox.QueryResultsFormat.JSON, "xml": ox.QueryResultsFormat.XML,
        "csv": ox.QueryResultsFormat.CSV, "tsv": ox.QueryResultsFormat.TSV}[name])
    names = [v.value for v in parsed.variables]
    out = []
    for row in parsed:
        values = {}
        for n in names:
            term = row[n]
            if term is None:
                continue
            # blank node labels are not kept by every path: compare them by kind
            values[n] = "_:" if isinstance(term, ox.BlankNode) else str(term)
        out.append(values)
    return out


@pytest.mark.parametrize("name", ["json", "xml", "tsv"])
def test_both_paths_give_the_engines_own_answer(store, name):
    expected = solutions(store.raw.query(QUERY, use_default_graph_as_union=True).serialize(
        format=ox.QueryResultsFormat.JSON), "json")
    fast = serialize(store.query(QUERY), BY_NAME[name], max_rows=100)
    neutral = serialize(Neutral(store.query(QUERY)), BY_NAME[name], max_rows=100)
    assert solutions(fast.body, name) == expected
    assert solutions(neutral.body, name) == expected
    assert fast.count == neutral.count == len(expected) == 6
    assert not fast.truncated and not neutral.truncated


def test_csv_keeps_newlines_in_values(store):
    body = serialize(store.query(QUERY), BY_NAME["csv"], max_rows=100).body
    assert b'"line one\nline two' in body


COUNT_QUERY = "SELECT ?s WHERE { ?s <http://example.org/i> ?i } ORDER BY ?i"


@pytest.mark.parametrize("cap, truncated, rows", [
    (0, True, 0), (1, True, 1), (24, True, 24), (25, False, 25), (26, False, 25),
    (None, False, 25)])
@pytest.mark.parametrize("neutral", [False, True])
def test_the_cap_is_exact(store, cap, truncated, rows, neutral):
    result = store.query(COUNT_QUERY)
    answer = serialize(Neutral(result) if neutral else result, BY_NAME["json"], max_rows=cap)
    assert answer.truncated is truncated
    got = solutions(answer.body, "json")
    assert len(got) == answer.count == rows
    assert got == [{"s": f"<http://example.org/n{i}>"} for i in range(rows)]


def test_graph_answers_are_capped_too(store):
    answer = serialize(store.query("CONSTRUCT WHERE { ?s <http://example.org/i> ?o }"),
                       BY_NAME["ntriples"], max_rows=10)
    assert answer.truncated and answer.count == 10
    assert len(answer.body.decode().strip().splitlines()) == 10


@pytest.mark.parametrize("name", ["json", "xml"])
def test_ask(store, name):
    answer = serialize(store.query("ASK { ?s ?p 42 }"), BY_NAME[name], max_rows=0)
    parsed = ox.parse_query_results(answer.body, {
        "json": ox.QueryResultsFormat.JSON, "xml": ox.QueryResultsFormat.XML}[name])
    assert bool(parsed) is True
