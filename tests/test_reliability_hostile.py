"""Hostile and malformed input against ``educluster serve``: every bad request is answered
with a 4xx and a clear one-line message, never a 5xx, a hang or a crash, and the server
never reaches out.

- fuzzed SPARQL (hypothesis-generated text, and mutations of the named queries), queries
  and updates;
- fuzzed uploads in every format the service reads (Turtle, N-Triples, JSON-LD, RDF/XML,
  the YAML and CSV forms), to ``/validate`` and to the Graph Store (which stays
  unchanged when it refuses one);
- oversized bodies (with a length and chunked), deeply nested JSON-LD, SPARQL, YAML,
  Turtle and RDF/XML, long operator chains;
- XML entity expansion and external entities, remote JSON-LD contexts, ``SERVICE``,
  ``LOAD``, ``FROM`` and the protocol's dataset parameters aimed at a loopback listener
  that must see no connection, and ``file:`` IRIs that must read nothing;
- path traversal in ``/id/``, ``/queries/`` and the static paths, and header injection
  through parameters.

After every test the server's log is read: no worker may have crashed (a signal, a
non-zero exit other than a stopped query) and no request may have met an unexpected
error.  Counts of the inputs tried go to ``test-artifacts/reliability.json`` under
``hostile``.
"""

from __future__ import annotations

import re
import threading
import urllib.parse
from collections import Counter

import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from educluster import resources
from educluster.named_queries import named_queries
from httpserver import Listener
from reliabilityutil import EX, TOKEN, auth, call, record, send_streaming
from serverutil import running_server

pytestmark = [pytest.mark.reliability, pytest.mark.server]

FUZZ = settings(max_examples=60, deadline=None, derandomize=True, database=None,
                suppress_health_check=list(HealthCheck))
TRIED: Counter = Counter()  # inputs tried, by category
OUTCOMES: Counter = Counter()  # statuses seen
SCRATCH = EX + "scratch"
SECRETS = ("root:x:0:0", "[build-system]", "[tool.pytest", TOKEN)
#: what a crashed or failing worker leaves in the server's log
CRASH = re.compile(r"was sent SIG(?!TERM)|exited with code (?!75\b)|Traceback|unexpected error"
                   r"|WORKER TIMEOUT|Segmentation")


@pytest.fixture(scope="module")
def listener():
    lst = Listener()
    yield lst
    lst.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory, listener):
    directory = tmp_path_factory.mktemp("hostile")
    with running_server(directory / "store", token=TOKEN, workers=3, query_timeout=5,
                        log_dir=directory) as running:
        yield running
    record("hostile", {
        "inputs_tried": dict(sorted(TRIED.items())),
        "inputs_tried_total": sum(TRIED.values()),
        "statuses": {str(k): v for k, v in sorted(OUTCOMES.items())},
        "responses_5xx": sum(n for s, n in OUTCOMES.items() if s >= 500),
        "listener_connections": listener.connections,
    })


@pytest.fixture(autouse=True)
def no_crash_and_no_connection(server, listener):
    """Whatever a test sends, no worker crashes and nothing connects to the listener."""
    before = len(server.log_text())
    yield
    assert server.process.poll() is None, "the server died"
    new = server.log_text()[before:]
    assert not CRASH.search(new), new[-3000:]
    assert listener.connections == 0


def send(server, category: str, method: str, path: str, body=None, headers=None):
    TRIED[category] += 1
    answer = call(server.base_url, method, path, body, headers, timeout=120)
    OUTCOMES[answer.status] += 1
    assert answer.status < 500 or _stopped(answer), (answer.status, answer.body[:300])
    for secret in SECRETS:
        assert secret.encode() not in answer.body, secret
    for name, value in answer.headers.items():
        assert "\r" not in value and "\n" not in value, (name, value)
    return answer


def _stopped(answer) -> bool:
    """A query stopped at its time limit (503 with the service's message) is the designed
    answer to a runaway query, not a failure."""
    return answer.status == 503 and b"query stopped after" in answer.body


def refused(answer, *statuses: int) -> str:
    """The answer is a 4xx (one of ``statuses`` when given) with a clear plain message."""
    assert 400 <= answer.status < 500, (answer.status, answer.body[:300])
    if statuses:
        assert answer.status in statuses, (answer.status, answer.body[:300])
    text = answer.body.decode("utf-8", "replace")
    assert text.strip() and "Traceback" not in text
    return text


def query(server, category: str, text: str, **params):
    return send(server, category, "POST", "/sparql?" + urllib.parse.urlencode(params),
                text, {"Content-Type": "application/sparql-query",
                       "Accept": "application/sparql-results+json"})


def update(server, category: str, text: str):
    return send(server, category, "POST", "/sparql", text,
                {"Content-Type": "application/sparql-update", **auth()})


def graph_size(server, graph: str = SCRATCH) -> int:
    answer = call(server.base_url, "GET", "/sparql?" + urllib.parse.urlencode(
        {"query": f"SELECT (COUNT(*) AS ?n) {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"}),
        None, {"Accept": "text/csv"})
    assert answer.status == 200
    return int(answer.text.split()[-1])


# -- fuzzed SPARQL ----------------------------------------------------------------------------

SPARQL_WORDS = [
    "SELECT", "CONSTRUCT", "ASK", "DESCRIBE", "WHERE", "{", "}", "(", ")", "[", "]", ".",
    ";", ",", "?s", "?p", "?o", "$x", "*", "FILTER", "OPTIONAL", "UNION", "MINUS", "GRAPH",
    "BIND", "AS", "VALUES", "LIMIT", "OFFSET", "ORDER BY", "GROUP BY", "HAVING", "COUNT",
    "DISTINCT", "PREFIX", "ec:", "ec:Cluster", "a", "<https://w3id.org/educluster#region>",
    "<", ">", "\"x\"", "'''y'''", "\"\\u0000\"", "@en", "^^", "1", "-2.5e3", "true", "||",
    "&&", "!", "=", "/", "|", "^", "+", "?", "#", "\n", "NOT EXISTS", "IRI(", "REGEX(",
    "STR(", "LANG(", "SERVICE", "FROM", "NAMED", "BASE", "<>", "\\", "\x00", "\u202e",
    "𝔘", "_:b", "()", "INSERT", "DELETE", "DATA", "LOAD", "CLEAR", "DROP", "SILENT",
]


@st.composite
def sparql_text(draw) -> str:
    words = draw(st.lists(st.one_of(st.sampled_from(SPARQL_WORDS),
                                    st.text(max_size=6)), min_size=1, max_size=40))
    return " ".join(words)


def _real_queries() -> list[str]:
    return sorted(q.text for q in named_queries().values())


@st.composite
def mutated(draw, bases: list, alphabet: list) -> str | bytes:
    """A real document with one to four edits: a slice deleted, duplicated or replaced by
    random text or by a piece of the format's syntax, or the end cut off."""
    text = draw(st.sampled_from(bases))
    is_bytes = isinstance(text, bytes)
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(text)))
        j = draw(st.integers(i, min(len(text), i + 64)))
        op = draw(st.sampled_from(["delete", "insert", "duplicate", "replace", "cut"]))
        piece = draw(st.one_of(st.sampled_from(alphabet), st.text(max_size=8)))
        if is_bytes:
            piece = draw(st.one_of(st.just(piece.encode()), st.binary(max_size=4)))
        if op == "delete":
            text = text[:i] + text[j:]
        elif op == "insert":
            text = text[:i] + piece + text[i:]
        elif op == "duplicate":
            text = text[:j] + text[i:j] + text[j:]
        elif op == "replace":
            text = text[:i] + piece + text[j:]
        else:
            text = text[:i]
    return text


@FUZZ
@given(text=sparql_text())
def test_generated_sparql_queries_get_a_clear_400_or_an_answer(server, text):
    answer = query(server, "sparql: generated", text)
    if answer.status != 200:
        refused(answer, 400)


@FUZZ
@given(text=mutated(_real_queries(), SPARQL_WORDS))
def test_mutated_named_queries_get_a_clear_400_or_an_answer(server, text):
    answer = query(server, "sparql: mutated named query", text)
    if answer.status not in (200, 503):
        refused(answer, 400)


def _expressions():
    leaves = st.sampled_from(["1", "?o", '"a"', "true", "<p:p>", "2.5", '"x"@en'])

    def extend(e):
        return st.one_of(
            st.tuples(e, e, st.sampled_from(["+", "*", "&&", "||", "=", "<", "!="])).map(
                lambda t: f"({t[0]} {t[2]} {t[1]})"),
            e.map(lambda x: f"!({x})"),
            st.tuples(e, e).map(lambda t: f"CONCAT(STR({t[0]}), STR({t[1]}))"),
            st.tuples(e, e, e).map(lambda t: f"IF({t[0]}, {t[1]}, {t[2]})"),
            st.lists(e, min_size=1, max_size=3).map(lambda xs: f"COALESCE({', '.join(xs)})"),
            e.map(lambda x: f"BOUND(?o) && ({x})"),
        )

    return st.recursive(leaves, extend, max_leaves=12)


def _patterns():
    leaves = st.sampled_from([
        "?s ?p ?o .", "?s <https://w3id.org/educluster#region> ?o .",
        "?s <http://www.w3.org/ns/org#hasMember>/<https://w3id.org/educluster#locatedIn> ?o .",
        "?s ^<https://w3id.org/educluster#memberOf>|<https://w3id.org/educluster#partner> ?o .",
        "?s <https://w3id.org/educluster#partOfRegion>* ?o .", "VALUES ?o { 1 2 }",
    ])

    def extend(p):
        return st.one_of(
            p.map(lambda x: f"{{ {x} }}"),
            p.map(lambda x: f"OPTIONAL {{ {x} }}"),
            st.tuples(p, p).map(lambda t: f"{{ {t[0]} }} UNION {{ {t[1]} }}"),
            p.map(lambda x: f"MINUS {{ {x} }}"),
            p.map(lambda x: f"FILTER(EXISTS {{ {x} }})"),
            p.map(lambda x: f"FILTER NOT EXISTS {{ {x} }}"),
            p.map(lambda x: f"GRAPH ?g {{ {x} }}"),
            p.map(lambda x: f"{{ SELECT * WHERE {{ {x} }} LIMIT 5 }}"),
            st.tuples(p, _expressions()).map(lambda t: f"{t[0]} FILTER({t[1]})"),
            st.lists(p, min_size=2, max_size=3).map(" ".join),
        )

    return st.recursive(leaves, extend, max_leaves=25)


@settings(FUZZ, max_examples=80)
@given(pattern=_patterns(), expression=_expressions(),
       form=st.sampled_from(["SELECT * WHERE", "SELECT DISTINCT ?s WHERE", "ASK",
                             "CONSTRUCT { ?s ?p ?o } WHERE"]))
def test_generated_structured_queries_never_crash_a_worker(server, pattern, expression, form):
    """Queries built from the grammar (groups, OPTIONAL, UNION, MINUS, EXISTS, GRAPH,
    subqueries, property paths, nested expressions) within the shape limits: an answer,
    a clear 400, or a stop at the time limit; never a crash."""
    text = f"{form} {{ {pattern} BIND(({expression}) AS ?e) }} LIMIT 20"
    if form == "ASK":
        text = text.removesuffix(" LIMIT 20")
    answer = send(server, "sparql: generated from the grammar", "POST", "/sparql", text,
                  {"Content-Type": "application/sparql-query", "Accept": "*/*"})
    if answer.status not in (200, 503):
        refused(answer, 400)


UPDATES = [
    f'INSERT DATA {{ GRAPH <{SCRATCH}> {{ <{EX}a> <{EX}p> "one", 2, <{EX}b> ; '
    f"<{EX}q> [ <{EX}r> 3 ] }} }}",
    f"DELETE {{ GRAPH <{SCRATCH}> {{ ?s <{EX}p> ?o }} }} "
    f"WHERE {{ GRAPH <{SCRATCH}> {{ ?s <{EX}p> ?o }} }}",
    f"PREFIX ex: <{EX}> INSERT {{ GRAPH <{SCRATCH}> {{ ?s ex:copy ?o }} }} "
    f"WHERE {{ GRAPH <{SCRATCH}> {{ ?s ex:p ?o }} }}",
]


@settings(FUZZ, max_examples=40)
@given(text=mutated(UPDATES, SPARQL_WORDS))
def test_mutated_updates_get_a_clear_400_or_are_applied(server, text):
    answer = update(server, "sparql: mutated update", text)
    if answer.status != 204:
        refused(answer, 400)


# -- fuzzed uploads ------------------------------------------------------------------------------

def _minimal_definition() -> bytes:
    from conftest import ROOT

    return (ROOT / "tests" / "validation_cases" / "conforming-minimal.ttl").read_bytes()


def _in_format(fmt: ox.RdfFormat) -> bytes:
    triples = [ox.Triple(q.subject, q.predicate, q.object)
               for q in ox.parse(_minimal_definition(), format=ox.RdfFormat.TURTLE,
                                         base_iri="http://example.org/case/")]
    return ox.serialize(triples, format=fmt)


FORMS = resources.resource_dir("data") / "forms"
UPLOADS = {
    # media type: (base documents, pieces of syntax to insert)
    "text/turtle": ([_in_format(ox.RdfFormat.TURTLE)],
                    ["@prefix", "<", ">", "\"", "\"\"\"", "[", "]", "(", ")", ";", ",", ".",
                     "_:x", "^^", "@en", "\\u00", "#", "a", "\n"]),
    "application/n-triples": ([_in_format(ox.RdfFormat.N_TRIPLES)],
                              ["<", ">", "\"", "_:", ".", "\\", "^^", "\n", "@"]),
    "application/ld+json": ([_in_format(ox.RdfFormat.JSON_LD)],
                            ["{", "}", "[", "]", "\"", ":", ",", "@id", "@type", "@context",
                             "@graph", "@list", "@value", "@reverse", "null", "1e999"]),
    "application/rdf+xml": ([_in_format(ox.RdfFormat.RDF_XML)],
                            ["<", ">", "</", "/>", "&amp;", "&", "<!ENTITY", "<!DOCTYPE",
                             "rdf:about=\"", "rdf:parseType=\"Literal\"", "xml:base=\"",
                             "<![CDATA[", "]]>", "rdf:nodeID=\"", "\""]),
    "application/yaml": ([(FORMS / "tashkent.yaml").read_bytes()],
                         [":", "- ", "[", "]", "{", "}", "&a", "*a", "!!python/object",
                          "|", ">", "'", "\"", "\n  ", "\t", "? ", "---", "...", "%YAML"]),
    "text/csv": ([(FORMS / "tashkent" / "clusters.csv").read_bytes()],
                 [",", "\"", "\n", "\r\n", ";", "=cmd()", "id", "type", "\x00"]),
}


@pytest.mark.parametrize("media_type", sorted(UPLOADS))
def test_fuzzed_definitions_get_a_report_or_a_clear_4xx(server, media_type):
    bases, alphabet = UPLOADS[media_type]
    # the unmutated document is answered with a report
    answer = send(server, f"upload: {media_type}", "POST", "/validate", bases[0],
                  {"Content-Type": media_type})
    assert answer.status == 200, answer.body[:300]

    @settings(FUZZ, max_examples=30)
    @given(body=mutated(bases, alphabet))
    def fuzz(body):
        answer = send(server, f"upload: {media_type}", "POST", "/validate", body,
                      {"Content-Type": media_type})
        if answer.status != 200:
            refused(answer, 400, 413, 415, 422)

    fuzz()


@pytest.mark.parametrize("media_type", ["text/turtle", "application/ld+json",
                                        "application/rdf+xml"])
def test_fuzzed_graph_store_uploads_change_nothing_when_refused(server, media_type):
    bases, alphabet = UPLOADS[media_type]
    path = "/store?" + urllib.parse.urlencode({"graph": SCRATCH + "-gsp"})

    @settings(FUZZ, max_examples=20)
    @given(body=mutated(bases, alphabet))
    def fuzz(body):
        before = graph_size(server, SCRATCH + "-gsp")
        answer = send(server, f"graph store: {media_type}", "POST", path, body,
                      {"Content-Type": media_type, **auth()})
        if not 200 <= answer.status < 300:
            refused(answer, 400, 413, 415)
            assert graph_size(server, SCRATCH + "-gsp") == before

    fuzz()


# -- sizes and depths --------------------------------------------------------------------------

BIG_MB = 11  # over the default max_body_bytes (10 MiB)
OVERSIZED = [
    ("POST", "/sparql", "application/sparql-query", False),
    ("POST", "/sparql", "application/sparql-update", True),
    ("POST", "/validate", "text/turtle", False),
    ("PUT", "/store?graph=" + urllib.parse.quote(SCRATCH + "-big"), "text/turtle", True),
]


def _megabytes():
    line = f"<{EX}s> <{EX}p> 1 .\n".encode()
    block = line * (1024 * 1024 // len(line) + 1)
    for _ in range(BIG_MB):
        yield block


@pytest.mark.parametrize("method, path, content_type, token", OVERSIZED)
def test_oversized_bodies_are_413(server, method, path, content_type, token):
    TRIED["oversized body"] += 1
    headers = {"Content-Type": content_type, **(auth() if token else {}),
               "Content-Length": str(sum(len(b) for b in _megabytes()))}
    status, body = send_streaming(server.port, method, path, headers, _megabytes())
    OUTCOMES[status] += 1
    assert status == 413, body[:300]


@pytest.mark.parametrize("method, path, content_type, token", OVERSIZED)
def test_regression_chunked_body_over_the_limit_was_cut_silently(server, method, path,
                                                                   content_type, token):
    """Found by this suite: a body sent chunked (no Content-Length) was cut at
    max_body_bytes without a word, and the first 10 MiB were taken for the whole
    document (a Graph Store PUT stored a truncated graph)."""
    TRIED["oversized body (chunked)"] += 1
    headers = {"Content-Type": content_type, **(auth() if token else {})}
    status, body = send_streaming(server.port, method, path, headers, _megabytes(),
                                  chunked=True)
    OUTCOMES[status] += 1
    assert status == 413, body[:300]
    assert graph_size(server, SCRATCH + "-big") == 0


def test_a_chunked_body_within_the_limit_is_read_whole(server):
    document = "".join(f"<{EX}s{i}> <{EX}p> {i} .\n" for i in range(2000)).encode()
    pieces = [document[i:i + 1000] for i in range(0, len(document), 1000)]
    path = "/store?" + urllib.parse.urlencode({"graph": SCRATCH + "-chunked"})
    status, body = send_streaming(server.port, "PUT", path,
                                  {"Content-Type": "text/turtle", **auth()}, pieces,
                                  chunked=True)
    assert 200 <= status < 300, body[:300]
    assert graph_size(server, SCRATCH + "-chunked") == 2000


NESTED_SPARQL = {
    "braces": "SELECT * {" + "{" * 5000 + "}" * 5000 + "}",
    "parentheses": "SELECT * { FILTER(" + "(" * 5000 + "1" + ")" * 5000 + ") }",
    "function calls": "SELECT * { BIND(" + 'CONCAT("a",' * 3000 + '"b"' + ")" * 3000
                      + " AS ?x) }",
    "subqueries": "SELECT * {" + "{ SELECT * " * 3000 + "{}" + "}" * 3000 + "}",
    "blank nodes": "SELECT * { ?s ?p " + "[ ?p " * 5000 + "1" + " ]" * 5000 + " }",
}
CHAINS = {
    "union": "SELECT * {" + " UNION ".join(["{ ?s ?p ?o }"] * 20000) + "}",
    "sum": "SELECT * { BIND(" + "+".join(["1"] * 20000) + " AS ?x) }",
    "negation": "SELECT * { BIND(" + "!" * 20000 + "true AS ?x) }",
    "conjunction": "SELECT * { FILTER(" + " && ".join(["true"] * 20000) + ") }",
    "property path": "SELECT * { ?s " + "/".join(["<p:p>"] * 5000) + " ?o }",
    "optional": "SELECT * { ?s ?p ?o " + "OPTIONAL { ?s ?p ?o } " * 5000 + "}",
    "binds": "SELECT * { " + " ".join(f"BIND({i} AS ?x{i})" for i in range(3000)) + " }",
    "triple patterns": "SELECT * { " + " ".join(f"?s{i} <p:p> ?o{i} ." for i in range(30000))
                       + " }",
    "object lists": "SELECT * { ?s <p:p> " + ", ".join(str(i) for i in range(30000)) + " }",
    "predicate lists": "SELECT * { ?s " + " ; ".join(f"<p:p{i}> ?o{i}" for i in range(30000))
                       + " }",
}


@pytest.mark.parametrize("name", sorted(NESTED_SPARQL))
def test_regression_nested_sparql_crashed_worker(server, name):
    """Found by this suite: a query nesting a few thousand brackets overflowed the
    engine's stack and the worker died of SIGSEGV (the client saw its connection cut)."""
    text = refused(query(server, "nested sparql", NESTED_SPARQL[name]), 400)
    assert "nests brackets" in text
    text = refused(update(server, "nested sparql", "INSERT { ?s ?p 1 } WHERE "
                          + NESTED_SPARQL[name].removeprefix("SELECT * ")), 400)
    assert "nests brackets" in text


@pytest.mark.parametrize("name", sorted(CHAINS))
def test_regression_long_operator_chain_crashed_worker(server, name):
    """Found by this suite: a long chain of UNION, +, ! or &&, a few thousand BINDs or
    some ten thousand triple patterns (tens of kilobytes) overflowed the engine's stack
    just as deep nesting did."""
    text = refused(query(server, "operator chain", CHAINS[name]), 400)
    assert "operators" in text


def test_long_values_and_in_lists_are_not_operator_chains(server):
    rows = " ".join(f"<{EX}v{i}>" for i in range(5000))
    answer = query(server, "operator chain",
                   f"SELECT (COUNT(*) AS ?n) {{ VALUES ?x {{ {rows} }} }}")
    assert answer.status == 200 and b'"5000"' in answer.body
    members = ", ".join(str(i) for i in range(3000))
    answer = query(server, "operator chain", f"ASK {{ FILTER(2999 IN ({members})) }}")
    assert answer.status == 200 and b"true" in answer.body


def test_long_insert_data_is_not_an_operator_chain(server):
    triples = " ".join(f"<{EX}s{i}> <{EX}p> -{i} ." for i in range(5000))
    answer = update(server, "operator chain", f"INSERT DATA {{ GRAPH <{SCRATCH}-data> "
                                              f"{{ {triples} }} }}")
    assert answer.status == 204, answer.body[:300]
    assert graph_size(server, SCRATCH + "-data") == 5000


NESTED_UPLOADS = {
    "jsonld objects": ("application/ld+json",
                       '{"@id": "http://a/b", "http://a/p": ' * 100000 + "1" + "}" * 100000),
    "jsonld arrays": ("application/ld+json",
                      '{"@id": "http://a/b", "http://a/p": ' + "[" * 100000 + "1"
                      + "]" * 100000 + "}"),
    "jsonld moderately": ("application/ld+json",
                          '{"@id": "http://a/b", "http://a/p": ' * 900 + "1" + "}" * 900),
    "yaml flow": ("application/yaml", "cluster: " + "[" * 100000 + "]" * 100000),
    "yaml block": ("application/yaml",
                   "cluster:\n" + "".join("  " * i + "- \n" for i in range(1, 3000))),
    "yaml mappings": ("application/yaml",
                      "".join("  " * i + f"k{i}:\n" for i in range(3000)) + "  " * 3000 + "1"),
    "turtle blank nodes": ("text/turtle", "<http://a/s> <http://a/p> "
                           + "[ <http://a/p> " * 50000 + "1" + " ]" * 50000 + " ."),
    "turtle collections": ("text/turtle", "<http://a/s> <http://a/p> " + "( " * 50000
                           + ")" * 50000 + " ."),
    "rdfxml": ("application/rdf+xml",
               '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
               'xmlns:a="http://a/">' + "<rdf:Description><a:p>" * 20000
               + "</a:p></rdf:Description>" * 20000 + "</rdf:RDF>"),
}


@pytest.mark.parametrize("name", sorted(NESTED_UPLOADS))
def test_regression_nested_uploads_500(server, name):
    """Found by this suite: JSON-LD nested some thousand levels deep, and YAML nested
    deeply, met a RecursionError in the parser and were answered 500."""
    media_type, body = NESTED_UPLOADS[name]
    answer = send(server, "nested upload", "POST", "/validate", body,
                  {"Content-Type": media_type})
    refused(answer, 400, 422)
    path = "/store?" + urllib.parse.urlencode({"graph": SCRATCH + "-nested"})
    answer = send(server, "nested upload", "PUT", path, body,
                  {"Content-Type": media_type, **auth()})
    if media_type != "application/yaml" and answer.status >= 300:  # (not RDF: a 415)
        refused(answer, 400)


# -- the server never reaches out ------------------------------------------------------------

def _xml(listener) -> dict[str, str]:
    rdf = ('<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
           'xmlns:a="http://a/"><rdf:Description rdf:about="http://a/s"><a:p>&e;</a:p>'
           "</rdf:Description></rdf:RDF>")
    laughs = '<!ENTITY e0 "ha">' + "".join(
        f'<!ENTITY e{i} "{f"&e{i - 1};" * 10}">' for i in range(1, 10))
    return {
        "billion laughs": f"<!DOCTYPE rdf:RDF [{laughs}<!ENTITY e \"&e9;\">]>" + rdf,
        "quadratic blowup": '<!DOCTYPE rdf:RDF [<!ENTITY e "' + "x" * 100000 + '">]>'
                            + rdf.replace("&e;", "&e;" * 1000),
        "external entity (file)": '<!DOCTYPE rdf:RDF [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
                                  + rdf,
        "external entity (http)": f'<!DOCTYPE rdf:RDF [<!ENTITY e SYSTEM "{listener.url}/e">]>'
                                  + rdf,
        "parameter entity": f'<!DOCTYPE rdf:RDF [<!ENTITY % p SYSTEM "{listener.url}/p"> %p;'
                            '<!ENTITY e "x">]>' + rdf,
        "external dtd": f'<!DOCTYPE rdf:RDF SYSTEM "{listener.url}/dtd"><!-- -->'
                        + rdf.replace("&e;", "x"),
        "xinclude": rdf.replace("&e;", f'<xi:include xmlns:xi="http://www.w3.org/2001/XInclude"'
                                       f' href="{listener.url}/x"/>'),
    }


@pytest.mark.parametrize("name", ["billion laughs", "quadratic blowup", "external entity (file)",
                                  "external entity (http)", "parameter entity", "external dtd",
                                  "xinclude"])
def test_hostile_xml_is_refused_and_fetches_nothing(server, listener, name):
    body = _xml(listener)[name]
    for method, path, headers in [
        ("POST", "/validate", {}),
        ("PUT", "/store?" + urllib.parse.urlencode({"graph": SCRATCH + "-xml"}), auth()),
    ]:
        answer = send(server, "hostile xml", method, path, body,
                      {"Content-Type": "application/rdf+xml", **headers})
        if name == "xinclude":  # not processed: an ordinary (odd) literal, or no cluster
            assert answer.status < 500
        else:
            refused(answer, 400)


def _contexts(listener) -> dict[str, dict]:
    url = listener.url + "/context.jsonld"
    node = {"@id": "http://a/s", "http://a/p": 1}
    return {
        "string": {"@context": url, **node},
        "file": {"@context": "file:///etc/passwd", **node},
        "array": {"@context": [{"ex": "http://a/"}, url], **node},
        "nested node": {"@graph": [{"@context": url, **node}]},
        "import": {"@context": {"@import": url, "ex": "http://a/"}, **node},
        "scoped": {"@context": {"ex": {"@id": "http://a/ex", "@context": url}},
                   "ex": {"http://a/p": 1}},
        "relative": {"@context": "context.jsonld", "@id": "http://a/s"},
    }


@pytest.mark.parametrize("name", ["string", "file", "array", "nested node", "import", "scoped",
                                  "relative"])
def test_remote_jsonld_contexts_are_refused_and_fetch_nothing(server, listener, name):
    import json

    body = json.dumps(_contexts(listener)[name])
    for method, path, headers in [
        ("POST", "/validate", {}),
        ("PUT", "/store?" + urllib.parse.urlencode({"graph": SCRATCH + "-ctx"}), auth()),
    ]:
        answer = send(server, "remote jsonld context", method, path, body,
                      {"Content-Type": "application/ld+json", **headers})
        assert "context" in refused(answer, 400)


def test_service_load_and_from_reach_nothing(server, listener):
    target = listener.url + "/data.ttl"
    for text in [
        f"SELECT * {{ SERVICE <{target}> {{ ?s ?p ?o }} }}",
        f"SELECT * {{ SERVICE SILENT <{target}> {{ ?s ?p ?o }} }}",
        f"PREFIX r: <{listener.url}/> SELECT * {{ SERVICE r:x {{ ?s ?p ?o }} }}",
        "SELECT * { SERVICE <file:///etc/passwd> { ?s ?p ?o } }",
    ]:
        assert "SERVICE" in refused(query(server, "remote: SERVICE", text), 400)
    for text in [f"LOAD <{target}>", f"LOAD SILENT <{target}> INTO GRAPH <{SCRATCH}>",
                 "LOAD <file:///etc/passwd>", f"BASE <{listener.url}/> LOAD <x.ttl>"]:
        assert "LOAD" in refused(update(server, "remote: LOAD", text), 400)
    # FROM, FROM NAMED and the protocol's dataset name graphs of the store: empty, not fetched
    for text, params in [
        (f"SELECT * FROM <{target}> {{ ?s ?p ?o }}", {}),
        (f"SELECT * FROM NAMED <{target}> {{ GRAPH ?g {{ ?s ?p ?o }} }}", {}),
        ("SELECT * FROM <file:///etc/passwd> { ?s ?p ?o }", {}),
        ("SELECT * { ?s ?p ?o }", {"default-graph-uri": target}),
        ("SELECT * { GRAPH ?g { ?s ?p ?o } }", {"named-graph-uri": "file:///etc/passwd"}),
    ]:
        answer = query(server, "remote: FROM", text, **params)
        assert answer.status == 200 and b'"bindings":[]' in answer.body.replace(b" ", b"")
    for path in [f"/store?graph={urllib.parse.quote(target)}",
                 "/store?graph=" + urllib.parse.quote("file:///etc/passwd"),
                 f"/cluster?iri={urllib.parse.quote(target)}",
                 "/cluster?iri=" + urllib.parse.quote("file:///etc/passwd")]:
        assert send(server, "remote: dereference", "GET", path).status == 404


# -- paths and headers ----------------------------------------------------------------------

TRAVERSALS = [
    "/id/../../../../etc/passwd", "/id/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    "/id/..%2f..%2f..%2f..%2fetc%2fpasswd", "/id/%252e%252e%252fetc%252fpasswd",
    "/id/....//....//etc/passwd", "/id/%c0%ae%c0%ae/etc/passwd", "/id/x%00.ttl",
    "/queries/../pyproject.toml", "/queries/..%2f..%2fpyproject.toml",
    "/queries/%2e%2e%2f%2e%2e%2fpyproject.rq", "/queries/..%2f..%2f..%2f..%2fetc%2fpasswd.rq",
    "/queries/%2e%2e/%2e%2e/etc/passwd.rq",
    "/static/../../../pyproject.toml", "/static/%2e%2e/%2e%2e/%2e%2e/pyproject.toml",
    "/static/..%2f..%2f..%2f..%2fpyproject.toml", "/static//etc/passwd",
    "/static/%2fetc%2fpasswd", "/static/..\\..\\..\\pyproject.toml",
    "/ontology/..%2f..%2f..%2fpyproject.ttl", "/shapes/..%2f..%2fpyproject.ttl",
    "/ontology/%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd.ttl",
    "/validate/examples/../../../pyproject.toml",
    "/validate/examples/..%2f..%2f..%2fpyproject.toml",
    "/validate/examples/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    "/validate/examples//etc/passwd", "/clusters/..%2f..%2f..%2fetc%2fpasswd",
    "/store/..%2f..%2fetc%2fpasswd", "//etc/passwd", "/..%2f..%2fetc%2fpasswd",
]


@pytest.mark.parametrize("path", TRAVERSALS)
def test_path_traversal_reads_no_file(server, path):
    answer = send(server, "path traversal", "GET", path, None, {"Accept": "text/html"})
    # a 4xx, or a page of the service's own (never a file from outside it)
    assert answer.status in (200, 301, 302, 303, 308, 400, 404, 405, 406), answer.status


INJECTIONS = ["x\r\nX-Injected: 1", "x\nX-Injected: 1", "x\rX-Injected: 1",
              "x%0d%0aX-Injected:%201", "x\r\n\r\n<html>injected", "x\u2028X-Injected: 1",
              "x\x00X-Injected: 1"]


def _no_injected_header(answer):
    assert "X-Injected" not in answer.headers
    assert not any(name.lower() == "x-injected" for name in answer.headers)


@pytest.mark.parametrize("payload", INJECTIONS)
def test_header_injection_through_parameters(server, payload):
    q = urllib.parse.quote
    target = f"{EX}{payload}"
    paths = [
        f"/queries/clusters-by-region?format={q(payload)}",
        f"/queries/clusters-by-region?region={q(target)}",
        f"/queries/{q(payload)}",
        f"/sparql?query={q('ASK {}')}&format={q(payload)}",
        f"/export?format={q(payload)}", f"/export?graph={q(target)}",
        f"/store?graph={q(target)}", f"/cluster?iri={q(target)}", f"/id/{q(payload)}",
        f"/id/{q(payload)}.ttl", f"/clusters/{q(payload)}", f"/ontology?format={q(payload)}",
        f"/shapes.{q(payload)}", f"/validate/examples/{q(payload)}",
    ]
    for path in paths:
        _no_injected_header(send(server, "header injection", "GET", path))
    for method in ("PUT", "POST"):
        answer = send(server, "header injection", method, f"/store?graph={q(target)}",
                      f"<{EX}s> <{EX}p> 1 .", {"Content-Type": "text/turtle", **auth()})
        _no_injected_header(answer)
    answer = send(server, "header injection", "POST", "/validate?owl=" + q(payload),
                  _in_format(ox.RdfFormat.TURTLE), {"Content-Type": "text/turtle"})
    _no_injected_header(answer)


@settings(FUZZ, max_examples=80)
@given(value=st.text(st.characters(codec="utf-8"), max_size=30)
       .map(lambda s: s + "\r\nX-Injected: 1"),
       where=st.sampled_from(["format", "region", "graph", "iri", "owl", "name"]))
def test_fuzzed_parameters_never_inject_a_header(server, value, where):
    q = urllib.parse.quote
    path = {
        "format": f"/queries/member-counts-by-kind?format={q(value)}",
        "region": f"/queries/clusters-by-region?region={q(value)}",
        "graph": f"/store?graph={q(value)}",
        "iri": f"/cluster?iri={q(value)}",
        "owl": f"/sparql?query={q('ASK {}')}&default-graph-uri={q(value)}",
        "name": f"/id/{q(value)}",
    }[where]
    _no_injected_header(send(server, "header injection (generated)", "GET", path))


def test_the_server_keeps_serving_while_hostile_input_arrives(server):
    """Hostile requests from four clients at once, while a fifth reads: every read is
    answered."""
    bodies = [NESTED_SPARQL["braces"], CHAINS["union"], "SELECT * { ?s ?p }", "\x00" * 1000]
    failures: list = []
    done = threading.Event()

    def attacker(i: int) -> None:
        while not done.is_set():
            try:
                query(server, "concurrent hostile", bodies[i])
            except AssertionError as exc:
                failures.append(exc)
            except Exception as exc:
                failures.append(exc)
                return

    threads = [threading.Thread(target=attacker, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    try:
        for _ in range(30):
            answer = query(server, "concurrent reads", "ASK { ?s ?p ?o }")
            assert answer.status == 200 and b"true" in answer.body
    finally:
        done.set()
        for t in threads:
            t.join(timeout=120)
    assert failures == []
