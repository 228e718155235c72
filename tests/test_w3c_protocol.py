"""The W3C SPARQL 1.1 Protocol and Graph Store HTTP Protocol test suites, run against the
service on a real loopback server.

The manifests (``../shared/w3c/sparql/sparql11/``) describe HTTP exchanges:
``protocol/manifest.ttl`` and ``graph-store-protocol/manifest-{direct,indirect}.ttl`` as
``ht:Request`` / ``ht:Response`` records, read here as data; the older, deprecated
``http-rdf-update/manifest.ttl`` as request/response transcripts in its comments, parsed
here too.  Each case runs in order on a fresh, empty store; ``/sparql/`` and ``/gsp`` in the
manifests become the service's ``/sparql/`` and ``/store``.

What the service does differently on purpose:

- Writes need the write token (DESIGN.md): the runner sends ``Authorization: Bearer`` with
  every request of a case that writes, and ``test_updates_without_the_token_are_refused``
  shows that the same updates without it are refused with 401.
- Deprecated ``http-rdf-update`` cases whose transcripts contradict the rest of the
  sequence or are not valid Turtle are listed in ``DEPRECATED_KNOWN`` with the reason.
"""

from __future__ import annotations

import re
import urllib.parse
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import rdflib
from rdflib.collection import Collection
from rdflib.compare import isomorphic
from rdflib.query import Result

from conftest import W3C
from educluster.dataset import MemoryDataset
from educluster.web import create_app
from httpserver import LiveServer

pytestmark = pytest.mark.w3c

SUITE = W3C / "sparql" / "sparql11"
TOKEN = "w3c-suite-token"

MF = rdflib.Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = rdflib.Namespace("http://www.w3.org/2011/http#")
HTS = rdflib.Namespace("http://www.w3.org/2011/http-statusCodes#")
CNT = rdflib.Namespace("http://www.w3.org/2011/content#")
UT = rdflib.Namespace("http://www.w3.org/2009/sparql/tests/test-update#")

NAMED_STATUS = {"OK": {200}, "Created": {201}, "NoContent": {204}, "NotFound": {404},
                "BadRequest": {400}}

TABULAR = {"application/sparql-results+json": "json", "application/sparql-results+xml": "xml",
           "text/csv": "csv", "text/tab-separated-values": "tsv"}
BOOLEAN = {"application/sparql-results+json": "json", "application/sparql-results+xml": "xml"}
RDF = {"text/turtle": "turtle", "application/n-triples": "nt", "application/rdf+xml": "xml",
       "application/ld+json": "json-ld"}


@dataclass
class Exchange:
    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: str | None = None
    statuses: set[int] = field(default_factory=set)
    expected_format: str | None = None
    expected_boolean: bool | None = None
    expected_content_type: str | None = None
    expected_body: str | None = None
    location_variable: str | None = None


@dataclass
class Case:
    iri: str
    name: str
    graphs: dict[str, Path] = field(default_factory=dict)  # graph IRI -> data file
    exchanges: list[Exchange] = field(default_factory=list)


def _statuses(graph: rdflib.Graph, response) -> set[int]:
    codes: set[int] = set()
    for status in graph.objects(response, MF.expectedStatus):
        local = str(status).rsplit("#", 1)[-1]
        match = re.fullmatch(r"StatusCode(\d)xx", local)
        if match:
            first = int(match.group(1)) * 100
            codes |= set(range(first, first + 100))
        else:
            codes |= NAMED_STATUS[local]
    return codes


def _headers(graph: rdflib.Graph, node) -> dict[str, str]:
    headers = {}
    headers_list = graph.value(node, HT.headers)
    if headers_list is not None:
        for header in Collection(graph, headers_list):
            headers[str(graph.value(header, HT.fieldName)).lower()] = str(
                graph.value(header, HT.fieldValue))
    return headers


def _body(graph: rdflib.Graph, node) -> str | None:
    body = graph.value(node, HT.body)
    return None if body is None else str(graph.value(body, CNT.chars))


def load_manifest(path: Path) -> list[Case]:
    graph = rdflib.Graph().parse(path, format="turtle")
    manifest = graph.value(predicate=rdflib.RDF.type, object=MF.Manifest)
    cases = []
    for entry in Collection(graph, graph.value(manifest, MF.entries)):
        case = Case(str(entry), str(graph.value(entry, MF.name)))
        for data in graph.objects(entry, UT.graphData):
            case.graphs[str(graph.value(data, rdflib.RDFS.label))] = Path(
                str(graph.value(data, UT.graph)).removeprefix("file://"))
        action = graph.value(entry, MF.action)
        for request in Collection(graph, graph.value(action, HT.requests)):
            response = graph.value(request, HT.resp)
            fmt = graph.value(response, MF.expectedFormat)
            boolean = graph.value(response, MF.expectedBoolean)
            location = graph.value(response, MF.expectedLocation)
            expected_headers = _headers(graph, response)
            case.exchanges.append(Exchange(
                method=str(graph.value(request, HT.methodName)),
                path=str(graph.value(request, HT.absolutePath)),
                headers=_headers(graph, request),
                body=_body(graph, request),
                statuses=_statuses(graph, response),
                expected_format=None if fmt is None else str(fmt),
                expected_boolean=None if boolean is None else bool(boolean.toPython()),
                expected_content_type=expected_headers.get("content-type"),
                expected_body=_body(graph, response),
                location_variable=None if location is None else str(location),
            ))
        cases.append(case)
    return cases


def _fresh_server() -> LiveServer:
    return LiveServer(create_app(MemoryDataset(), settings={"write_token": TOKEN}))


def _writes(exchange: Exchange) -> bool:
    if exchange.method in ("PUT", "DELETE"):
        return True
    if exchange.method != "POST":
        return False
    content_type = exchange.headers.get("content-type", "")
    return "sparql-query" not in content_type and not (exchange.body or "").startswith("query=")


def _local_path(path: str) -> str:
    if path.startswith("/sparql/"):
        return path
    if path.startswith("/gsp"):
        return "/store" + path[len("/gsp"):]
    return path


def _encode_body(exchange: Exchange) -> bytes | None:
    if exchange.body is None:
        return None
    content_type = exchange.headers.get("content-type", "")
    charset = re.search(r"charset=([\w-]+)", content_type)
    if content_type.startswith("multipart/"):
        text = exchange.body.strip("\n")
        lines = [line.strip() if line.strip().startswith("--") else line
                 for line in text.splitlines()]
        return ("\r\n".join(lines) + "\r\n").encode("utf-8")
    return exchange.body.encode(charset.group(1) if charset else "utf-8")


def run_exchange(live: LiveServer, exchange: Exchange, variables: dict[str, str],
                 *, authorize: bool) -> None:
    path = _local_path(exchange.path)
    body = _encode_body(exchange)
    for name, value in variables.items():
        path = path.replace(name, value)
        if body is not None:
            body = body.replace(name.encode(), value.encode())
    headers = dict(exchange.headers)
    if authorize:
        headers["authorization"] = f"Bearer {TOKEN}"
    answer = live.request(exchange.method, path, body, headers)
    where = f"{exchange.method} {path}"
    assert answer.status in exchange.statuses, f"{where}: {answer.status} {answer.body[:300]!r}"
    if exchange.location_variable:
        location = answer.header("Location")
        assert location, f"{where}: no Location header"
        variables[exchange.location_variable] = urllib.parse.quote(location, safe=":/")
    if exchange.expected_content_type:
        assert _same_media_type(answer.header("Content-Type"), exchange.expected_content_type)
    media = answer.content_type
    if exchange.expected_format == "boolean":
        assert media in BOOLEAN, f"{where}: {media}"
        result = Result.parse(_bytes_io(answer.body), format=BOOLEAN[media])
        if exchange.expected_boolean is not None:
            assert result.askAnswer is exchange.expected_boolean, where
    elif exchange.expected_format == "tabular":
        assert media in TABULAR, f"{where}: {media}"
        Result.parse(_bytes_io(answer.body), format=TABULAR[media])
    elif exchange.expected_format == "RDF":
        assert media in RDF, f"{where}: {media}"
        _parse_rdf(answer.body, RDF[media])
    if exchange.expected_body is not None and exchange.method != "HEAD":
        expected = _parse_rdf(exchange.expected_body.encode(), "turtle")
        got = _parse_rdf(answer.body, RDF[media])
        assert isomorphic(expected, got), f"{where}: {answer.text}"


def _same_media_type(got: str | None, expected: str) -> bool:
    def norm(value: str) -> tuple[str, ...]:
        return tuple(sorted(p.strip().lower().replace('"', "") for p in value.split(";")))
    return got is not None and norm(got) == norm(expected)


def _bytes_io(data: bytes):
    import io

    return io.BytesIO(data)


def _parse_rdf(data: bytes, fmt: str) -> rdflib.Graph:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return rdflib.Graph().parse(data=data, format=fmt)


def _load_graphs(live: LiveServer, case: Case, base: Path) -> None:
    for iri, file in case.graphs.items():
        data = (base / file.name).read_bytes()
        answer = live.request("PUT", "/store?" + urllib.parse.urlencode({"graph": iri}), data,
                              {"Content-Type": "application/n-triples",
                               "Authorization": f"Bearer {TOKEN}"})
        assert answer.status in (201, 204)


def run_case(case: Case, base: Path, live=None) -> None:
    """Run one case on a fresh in-process server, or on ``live`` (anything with
    ``request``, e.g. a running ``educluster serve``)."""
    if live is None:
        with _fresh_server() as fresh:
            run_case(case, base, fresh)
        return
    _load_graphs(live, case, base)
    variables: dict[str, str] = {}
    writes = any(_writes(e) for e in case.exchanges)
    for exchange in case.exchanges:
        run_exchange(live, exchange, variables, authorize=writes)


# -- SPARQL 1.1 Protocol -----------------------------------------------------------------

PROTOCOL = load_manifest(SUITE / "protocol" / "manifest.ttl") if SUITE.is_dir() else []
GSP = [
    case
    for name in ("manifest-indirect.ttl", "manifest-direct.ttl")
    if (SUITE / "graph-store-protocol" / name).is_file()
    for case in load_manifest(SUITE / "graph-store-protocol" / name)
]


def _ids(cases: list[Case]) -> list[str]:
    return [case.iri.rsplit("#", 1)[-1] for case in cases]


def test_the_suites_are_there(w3c_dir):
    assert len(PROTOCOL) == 34
    assert len(GSP) == 13


@pytest.mark.parametrize("case", PROTOCOL, ids=_ids(PROTOCOL))
def test_protocol(case: Case):
    run_case(case, SUITE / "protocol")


@pytest.mark.parametrize("case", GSP, ids=_ids(GSP))
def test_graph_store_protocol(case: Case):
    run_case(case, SUITE / "graph-store-protocol")


UPDATE_CASES = [c for c in PROTOCOL if c.iri.rsplit("#", 1)[-1].startswith("update_")]


@pytest.mark.parametrize("case", UPDATE_CASES, ids=_ids(UPDATE_CASES))
def test_updates_without_the_token_are_refused(case: Case):
    with _fresh_server() as live:
        first = case.exchanges[0]
        answer = live.request(first.method, _local_path(first.path), _encode_body(first),
                              first.headers)
        assert answer.status == 401


# -- the deprecated Graph Store Protocol transcripts -------------------------------------

#: Deprecated cases the service answers differently, and why.
DEPRECATED_KNOWN = {
    "delete__existing_graph": "deletes person/2.ttl, which no earlier case of the sequence "
                              "creates: 404 is the right answer",
    "post__existing_graph": "the body lacks Turtle's final '.', so it is not valid Turtle "
                            "and is refused with 400",
    "get_of_post__existing_graph": "expects the graph as it was before the POST",
    "post__multipart_formdata": "the parts lack Turtle's final '.', so they are refused with 400",
    "get_of_post__multipart_formdata": "depends on the two refused POSTs above",
}


@dataclass
class Transcript:
    name: str
    method: str
    target: str
    headers: dict[str, str]
    body: str
    status: int
    response_headers: dict[str, str]
    response_body: str


def load_transcripts(path: Path) -> list[Transcript]:
    graph = rdflib.Graph().parse(path, format="turtle")
    manifest = graph.value(predicate=rdflib.RDF.type, object=MF.Manifest)
    transcripts = []
    for entry in Collection(graph, graph.value(manifest, MF.entries)):
        comment = next(str(c) for c in graph.objects(entry, rdflib.RDFS.comment)
                       if "#### Request" in str(c))
        request_text, response_text = comment.split("#### Response")
        request_text = request_text.split("#### Request")[1]
        method, target, headers, body = _message(request_text)
        status_line, response_headers, response_body = _message(response_text, response=True)
        transcripts.append(Transcript(
            str(entry).rsplit("#", 1)[-1], method, target, headers, body,
            int(status_line), response_headers, response_body))
    return transcripts


def _message(text: str, *, response: bool = False):
    lines = [line[4:] if line.startswith("    ") else line for line in text.strip("\n").split("\n")]
    while lines and not lines[0].strip():
        lines.pop(0)
    first = lines.pop(0).split()
    headers = {}
    while lines and lines[0].strip():
        name, _, value = lines.pop(0).partition(":")
        headers[name.strip().lower()] = value.strip()
    body = "\n".join(lines).strip("\n")
    if response:
        return first[0], headers, body
    return first[0], first[1], headers, body


TRANSCRIPTS = (load_transcripts(SUITE / "http-rdf-update" / "manifest.ttl")
               if (SUITE / "http-rdf-update" / "manifest.ttl").is_file() else [])


def test_deprecated_graph_store_transcripts():
    """The 18 deprecated cases form one sequence on one store; every case outside
    ``DEPRECATED_KNOWN`` must pass, and every known one must still differ (so that the
    list stays honest)."""
    assert len(TRANSCRIPTS) == 18
    outcomes: dict[str, str | None] = {}
    with _fresh_server() as live:
        host = f"127.0.0.1:{live.port}"
        new_path = ""
        for t in TRANSCRIPTS:
            def fill(text: str, new_path=new_path) -> str:
                text = text.replace("$HOST$/$GRAPHSTORE$", f"{host}/store")
                text = text.replace("$GRAPHSTORE$", "/store").replace("$HOST$", host)
                return text.replace("$NEWPATH$", new_path)
            headers = {k: fill(v) for k, v in t.headers.items() if k != "host"}
            if t.method in ("PUT", "POST", "DELETE"):
                headers["authorization"] = f"Bearer {TOKEN}"
            body = fill(t.body)
            if headers.get("content-type", "").startswith("multipart/"):
                body = "\r\n".join(body.split("\n")) + "\r\n"
            answer = live.request(t.method, fill(t.target), body or None, headers)
            problem = None
            expected = {t.status} if t.status not in (200, 204) else {200, 204}
            if t.method in ("PUT", "POST") and t.status == 200:
                expected = {200, 201, 204}
            if answer.status not in expected:
                problem = f"status {answer.status}, expected {t.status}"
            elif t.status == 201 and "location" in t.response_headers:
                new_path = urllib.parse.urlsplit(answer.header("Location")).path
            elif t.response_body and t.method == "GET":
                want = _parse_rdf(fill(t.response_body).encode(), "turtle")
                got = _parse_rdf(answer.body, "turtle")
                if not isomorphic(want, got):
                    problem = "a different graph"
            outcomes[t.name] = problem
    unexpected = {n: p for n, p in outcomes.items() if p and n not in DEPRECATED_KNOWN}
    assert unexpected == {}
    fixed = [n for n in DEPRECATED_KNOWN if outcomes.get(n) is None]
    assert fixed == [], "these now pass: take them off DEPRECATED_KNOWN"


# -- SPARQL 1.1 Service Description ------------------------------------------------------
# ``service-description/manifest.ttl`` names three tests in prose; each is encoded here.

SD = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
SD_MANIFEST = SUITE / "service-description" / "manifest.ttl"


def _description(live: LiveServer, path: str = "/sparql") -> rdflib.Graph:
    answer = live.request("GET", path)
    assert answer.status == 200
    assert answer.content_type in RDF, answer.content_type  # :returns-rdf
    return _parse_rdf(answer.body, RDF[answer.content_type])


def test_service_description_suite(w3c_dir):
    graph = rdflib.Graph().parse(SD_MANIFEST, format="turtle")
    manifest = graph.value(predicate=rdflib.RDF.type, object=MF.Manifest)
    entries = Collection(graph, graph.value(manifest, MF.entries))
    names = {str(e).rsplit("#", 1)[-1] for e in entries}
    assert names == {"has-endpoint-triple", "returns-rdf", "conforms-to-schema"}
    with _fresh_server() as live:
        _load_graphs(live, Case("", "", {"http://example.org/g": Path("data1.nt")}),
                     SUITE / "protocol")
        for path in ("/sparql", "/sparql/"):
            description = _description(live, path)
            # :has-endpoint-triple: a service whose sd:endpoint is the URL asked
            endpoint = rdflib.URIRef(live.url + path)
            services = set(description.subjects(SD.endpoint, endpoint))
            assert len(services) == 1
            service = services.pop()
            # :conforms-to-schema: the terms are used as the vocabulary defines them
            assert (service, rdflib.RDF.type, SD.Service) in description
            languages = set(description.objects(service, SD.supportedLanguage))
            assert languages and languages <= {SD.SPARQL10Query, SD.SPARQL11Query,
                                               SD.SPARQL11Update}
            assert set(description.objects(service, SD.feature)) <= {
                SD.DereferencesURIs, SD.UnionDefaultGraph, SD.RequiresDataset,
                SD.EmptyGraphs, SD.BasicFederatedQuery}
            for fmt in description.objects(service, SD.resultFormat):
                assert str(fmt).startswith("http://www.w3.org/ns/formats/")
            dataset = description.value(service, SD.defaultDataset)
            assert (dataset, rdflib.RDF.type, SD.Dataset) in description
            default_graph = description.value(dataset, SD.defaultGraph)
            assert (default_graph, rdflib.RDF.type, SD.Graph) in description
            named = list(description.objects(dataset, SD.namedGraph))
            assert named
            for node in named:
                assert (node, rdflib.RDF.type, SD.NamedGraph) in description
                assert isinstance(description.value(node, SD.name), rdflib.URIRef)
                graph_node = description.value(node, SD.graph)
                assert (graph_node, rdflib.RDF.type, SD.Graph) in description
            assert rdflib.URIRef("http://example.org/g") in set(
                description.objects(None, SD.name))
