"""A remote store: any SPARQL 1.1 store reached over the SPARQL 1.1 Protocol.

``RemoteStore`` implements ``Store`` with SPARQLWrapper, so the service, the derivation
engine and validation run unchanged over Virtuoso, Fuseki, GraphDB or Neptune.  The
service then holds no state of its own: several instances can serve the same store.

How the interface maps onto the protocol:

- queries go to the query endpoint; SELECT and ASK results are fetched once as SPARQL
  JSON and parsed into pyoxigraph terms (``rows()``) or converted to the other result
  formats (``serialize``); CONSTRUCT and DESCRIBE are fetched as N-Triples (or Turtle)
  and parsed with pyoxigraph;
- ``bindings`` become a ``VALUES`` block at the start of the query's ``WHERE`` group
  (terms written by pyoxigraph, never user text pasted into the query); not a trailing
  ``VALUES`` clause, which Virtuoso ignores when it binds an end of a property path;
- updates go to the update endpoint; ``add_quads`` sends ``INSERT DATA`` in batches
  (halved when Virtuoso finds one too large to compile), ``clear_graph``
  ``CLEAR SILENT GRAPH``;
- a query sent with a protocol dataset (``default_graph`` / ``named_graphs``) loses its
  own FROM / FROM NAMED clauses first: the protocol's dataset replaces them, where
  Virtuoso would merge the two;
- the store's own default graph (the Graph Store Protocol's ``?default``, data loaded
  without a graph IRI) is the named graph ``DEFAULT_GRAPH``
  (``https://w3id.org/educluster/graph/default``): Virtuoso has no separate default
  graph to store into, and a fixed graph behaves the same on every engine.  ``quads``
  and ``dump`` give its triples back in the default graph.

Engine differences handled here (see docs/external-stores.md for the rest):

- Virtuoso keeps graphs of its own (``virtrdf#``, the OWL and LDP vocabularies, the
  service description, DAV metadata).  They are never listed, dumped or counted;
  queries over the union default graph do see them, like any query on that Virtuoso.
- Virtuoso writes blank nodes as ``nodeID://b123`` and refuses them in ``INSERT DATA``:
  their identifiers are made valid, and batches with blank nodes use
  ``INSERT { ... } WHERE {}``; triples sharing a blank node always travel together.
- Virtuoso answers ``"1"^^xsd:boolean`` for ``true``: booleans are read back in their
  canonical form.
- Virtuoso lists graphs a hundred times faster with ``GROUP BY`` than with ``DISTINCT``,
  and needs a dataset for DESCRIBE (every graph is named).
- Virtuoso stops a query at its own time limit and answers what it found so far (an
  "anytime" result, header ``X-SQL-State: S1TAT``): that becomes ``QueryTimeout``,
  never a silently partial answer.

Credentials come from ``EDUCLUSTER_ENDPOINT_USER`` / ``EDUCLUSTER_ENDPOINT_PASSWORD``
(or the constructor).  The authentication scheme is ``auth="digest"`` (Virtuoso's
``/sparql-auth``), ``"basic"`` (Fuseki, GraphDB), or ``"auto"``: digest when the URL
ends with ``/sparql-auth``, else basic.
"""

from __future__ import annotations

import ast
import contextlib
import datetime as dt
import json
import os
import random
import re
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterable, Iterator
from typing import Literal as TypingLiteral

import pyoxigraph as ox
from SPARQLWrapper import BASIC, POST, URLENCODED, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import (
    EndPointInternalError,
    EndPointNotFound,
    QueryBadFormed,
    Unauthorized,
    URITooLong,
)

from educluster.errors import QuerySyntaxError, QueryTimeout, StoreError
from educluster.store.base import GraphName, QueryResult, Store, Term
from educluster.store.oxigraph import GRAPH_FORMATS, RESULTS_FORMATS
from educluster.vocab import GRAPH_IRI

#: Where the store's "default graph" lives on a remote store.
DEFAULT_GRAPH = GRAPH_IRI + "default"

XSD_BOOLEAN = "http://www.w3.org/2001/XMLSchema#boolean"

#: Graphs Virtuoso creates for itself; never listed, dumped or counted.
VIRTUOSO_SYSTEM_GRAPHS = frozenset({
    "http://www.openlinksw.com/schemas/virtrdf#",
    "http://www.w3.org/2002/07/owl#",
    "http://www.w3.org/ns/ldp#",
    "http://localhost:8890/sparql",
    "http://localhost:8890/DAV/",
})
# Its service description and DAV graphs are named after the server's host and port.
_VIRTUOSO_HOST_GRAPH = re.compile(r"^https?://[^/]+/(?:sparql|DAV/)$")

RESULTS_JSON = "application/sparql-results+json"
GRAPH_ACCEPT = "application/n-triples, text/turtle;q=0.9, application/rdf+xml;q=0.5"
_GRAPH_CONTENT_TYPES = {
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "text/plain": ox.RdfFormat.N_TRIPLES,
    "text/ntriples": ox.RdfFormat.N_TRIPLES,
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/x-turtle": ox.RdfFormat.TURTLE,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
    "application/n-quads": ox.RdfFormat.N_QUADS,
}

# Comments, strings and IRIs: removed before looking for a keyword in an update.
_OPAQUE = re.compile(
    r"""'''.*?'''|\"\"\".*?\"\"\"|'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"|<[^<>\s]*>|\#[^\n]*""",
    re.DOTALL,
)
_WHERE = re.compile(r"\bWHERE\b", re.IGNORECASE)
_FROM = re.compile(r"\bFROM\b", re.IGNORECASE)
# Virtuoso's SQL states for a query it cannot compile (syntax, unknown variable...).
_COMPILE_ERROR = re.compile(r"\bVirtuoso (?:37000|S0022|42S22)\b")
_BNODE_ID = re.compile(r"[^A-Za-z0-9_]")


_FORM = re.compile(
    r"(?<![?$\w:])(SELECT|ASK|CONSTRUCT|DESCRIBE|INSERT|DELETE|LOAD|CLEAR|DROP|CREATE|ADD"
    r"|MOVE|COPY|WITH)\b",
    re.IGNORECASE,
)


def _query_form(text: str) -> str:
    """The first keyword that says what the request is, outside comments, strings and
    IRIs (SELECT, ASK, CONSTRUCT, DESCRIBE, or an update keyword; WITH means an update)."""
    match = _FORM.search(_OPAQUE.sub(" ", text))
    if match is None:
        raise QuerySyntaxError("neither a query nor an update: no SELECT, ASK, CONSTRUCT, "
                               "DESCRIBE, INSERT, DELETE...")
    form = match.group(1).upper()
    return "INSERT" if form == "WITH" else form


# Strings and comments only: the IRIs of FROM clauses must stay visible.
_STRINGS_AND_COMMENTS = re.compile(
    r"""'''.*?'''|\"\"\".*?\"\"\"|'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"|\#[^\n]*""",
    re.DOTALL,
)
_DATASET_CLAUSE = re.compile(
    r"(?<![?$\w:])FROM\s+(?:NAMED\s+)?(?:<[^<>\s]*>|[A-Za-z][\w.-]*:[\w.-]*|:[\w.-]*)",
    re.IGNORECASE,
)


def _without_dataset_clauses(text: str) -> str:
    """The query without its FROM and FROM NAMED clauses (strings and comments kept)."""
    masked = _STRINGS_AND_COMMENTS.sub(lambda m: " " * len(m.group(0)), text)
    spans = [m.span() for m in _DATASET_CLAUSE.finditer(masked)]
    for start, end in reversed(spans):
        text = text[:start] + " " + text[end:]
    return text


def _has_where(update: str) -> bool:
    return bool(_WHERE.search(_OPAQUE.sub(" ", update)))


class RemoteResult(QueryResult):
    """A result fetched whole from the remote store."""

    def __init__(
        self,
        kind: TypingLiteral["bindings", "boolean", "graph"],
        *,
        json_results: dict | None = None,
        triples: list[ox.Triple] | None = None,
    ):
        self.kind = kind
        self._json = json_results or {}
        self._triples = triples or []

    @property
    def variables(self) -> list[str]:
        if self.kind != "bindings":
            return []
        return list(self._json.get("head", {}).get("vars", []))

    def rows(self) -> Iterator[dict[str, Term]]:
        for binding in self._json.get("results", {}).get("bindings", []):
            yield {name: _term(value) for name, value in binding.items()}

    def boolean(self) -> bool:
        return bool(self._json.get("boolean"))

    def triples(self) -> Iterator[ox.Triple]:
        return iter(self._triples)

    def serialize(self, media_type: str) -> bytes:
        if self.kind == "graph":
            fmt = GRAPH_FORMATS[media_type]
            if fmt.supports_datasets:
                quads = [ox.Quad(t.subject, t.predicate, t.object) for t in self._triples]
                return ox.serialize(quads, format=fmt) or b""
            return ox.serialize(self._triples, format=fmt) or b""
        # The normalized JSON (valid identifiers, canonical booleans) converted by
        # pyoxigraph: every results format from one fetch, in the store's order.
        data = json.dumps(self._normalized_json()).encode("utf-8")
        fmt = RESULTS_FORMATS[media_type]
        if fmt == ox.QueryResultsFormat.JSON:
            return data
        parsed = ox.parse_query_results(data, format=ox.QueryResultsFormat.JSON)
        return parsed.serialize(format=fmt) or b""

    def _normalized_json(self) -> dict:
        if self.kind == "boolean":
            return {"head": {}, "boolean": self.boolean()}
        bindings = [
            {name: _json_term(term) for name, term in row.items()} for row in self.rows()
        ]
        return {"head": {"vars": self.variables}, "results": {"bindings": bindings}}


def _bnode_id(value: str) -> str:
    """A valid blank node identifier for what the store calls it (``nodeID://b123``)."""
    if value.startswith("nodeID://"):
        value = value[len("nodeID://"):]
    value = _BNODE_ID.sub("_", value)
    return value if value[:1].isalpha() else "b" + value


def _term(value: dict) -> Term:
    """A SPARQL JSON term (including the old ``typed-literal`` form) as a pyoxigraph term."""
    kind = value.get("type")
    text = value.get("value", "")
    if kind == "uri":
        return ox.NamedNode(text)
    if kind == "bnode":
        return ox.BlankNode(_bnode_id(text))
    language = value.get("xml:lang")
    if language:
        return ox.Literal(text, language=language)
    datatype = value.get("datatype")
    if datatype:
        if datatype == XSD_BOOLEAN and text in ("1", "0"):
            text = "true" if text == "1" else "false"
        return ox.Literal(text, datatype=ox.NamedNode(datatype))
    return ox.Literal(text)


def _json_term(term: Term) -> dict:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    out: dict = {"type": "literal", "value": term.value}
    if term.language:
        out["xml:lang"] = term.language
    elif term.datatype.value != "http://www.w3.org/2001/XMLSchema#string":
        out["datatype"] = term.datatype.value
    return out


class _Client(SPARQLWrapper):
    """SPARQLWrapper with HTTP digest authentication kept to this request.

    SPARQLWrapper's own DIGEST mode installs a process-wide urllib opener, which would
    answer every other server's 401 in the process (a Bearer challenge then raises
    ValueError); here the digest handler lives in an opener of this request only.
    """

    _opener: urllib.request.OpenerDirector | None = None

    def use_digest(self, user: str, password: str) -> None:
        manager = urllib.request.HTTPPasswordMgrWithDefaultRealm()
        manager.add_password(None, self.endpoint, user, password)
        manager.add_password(None, self.updateEndpoint, user, password)
        self._opener = urllib.request.build_opener(urllib.request.HTTPDigestAuthHandler(manager))

    def _query(self):
        if self._opener is None:
            return super()._query()
        request = self._createRequest()
        try:
            response = self._opener.open(request, timeout=self.timeout or None)
            return response, self.returnFormat
        except urllib.error.HTTPError as exc:
            errors = {400: QueryBadFormed, 401: Unauthorized, 404: EndPointNotFound,
                      414: URITooLong, 500: EndPointInternalError}
            if exc.code in errors:
                raise errors[exc.code](exc.read()) from None
            raise


class RemoteStore(Store):
    """A SPARQL 1.1 store reached over HTTP.

    ``query_endpoint`` answers queries; ``update_endpoint`` (default: the query endpoint)
    takes updates.  ``user`` / ``password`` default to the environment variables
    ``EDUCLUSTER_ENDPOINT_USER`` / ``EDUCLUSTER_ENDPOINT_PASSWORD``.  ``timeout`` is the
    HTTP timeout of one request, in seconds.  ``batch_triples`` and ``batch_bytes`` bound
    one ``INSERT DATA``; ``page_size`` bounds one page of ``quads()`` (keep it at or
    below Virtuoso's ``ResultSetMaxRows``).  ``query_time_limit`` (seconds) is passed to
    Virtuoso as its per-query ``timeout``, so that the store stops a query the service
    has given up on.
    """

    engine = "remote"

    def __init__(
        self,
        query_endpoint: str,
        update_endpoint: str | None = None,
        *,
        user: str | None = None,
        password: str | None = None,
        auth: TypingLiteral["auto", "basic", "digest"] = "auto",
        timeout: float = 60.0,
        batch_triples: int = 1000,
        batch_bytes: int = 1_000_000,
        page_size: int = 5000,
        query_time_limit: float | None = None,
    ):
        self.query_endpoint = query_endpoint
        self.update_endpoint = update_endpoint or query_endpoint
        self.user = user if user is not None else os.environ.get("EDUCLUSTER_ENDPOINT_USER")
        self.password = (
            password if password is not None
            else os.environ.get("EDUCLUSTER_ENDPOINT_PASSWORD")
        )
        self.auth = auth
        self.timeout = timeout
        self.batch_triples = batch_triples
        self.batch_bytes = batch_bytes
        self.page_size = page_size
        self.query_time_limit = query_time_limit
        self._server: str | None = None
        self._probe_lock = threading.Lock()

    # -- the protocol -------------------------------------------------------------------
    def _client(self, endpoint: str) -> _Client:
        client = _Client(endpoint, updateEndpoint=self.update_endpoint)
        client.setMethod(POST)
        client.setRequestMethod(URLENCODED)
        client.setOnlyConneg(True)
        client.setTimeout(self.timeout)
        if self.user and self.password:
            scheme = self.auth
            if scheme == "auto":
                scheme = "digest" if endpoint.rstrip("/").endswith("/sparql-auth") else "basic"
            if scheme == "digest":
                client.use_digest(self.user, self.password)
            else:
                client.setHTTPAuth(BASIC)
                client.setCredentials(self.user, self.password)
        return client

    def _send(self, client: _Client) -> tuple[bytes, dict[str, str]]:
        """Run the request; map the protocol's failures onto the project's errors."""
        try:
            result = client.query()
            response = result.response
            body = response.read()
            headers = {k.lower(): v for k, v in response.headers.items()}
        except QueryBadFormed as exc:
            raise QuerySyntaxError(_message(exc)) from None
        except Unauthorized:
            raise StoreError(
                f"the store at {client.endpoint} refused the credentials "
                "(EDUCLUSTER_ENDPOINT_USER / EDUCLUSTER_ENDPOINT_PASSWORD)"
            ) from None
        except (EndPointNotFound, URITooLong, EndPointInternalError) as exc:
            message = _message(exc)
            if _COMPILE_ERROR.search(message):  # Virtuoso answers 500 to some bad queries
                raise QuerySyntaxError(message) from None
            if "S1TAT" in message or any(
                words in message.lower() for words in ("timeout", "execution time")
            ):
                raise QueryTimeout(f"the store stopped the query: {message}") from None
            raise StoreError(f"the store at {client.endpoint} failed: {message}") from None
        except urllib.error.HTTPError as exc:
            raise StoreError(
                f"the store at {client.endpoint} answered HTTP {exc.code}: {_message(exc)}"
            ) from None
        except TimeoutError:
            raise QueryTimeout(
                f"no answer from the store at {client.endpoint} within {self.timeout:g} s"
            ) from None
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError):
                raise QueryTimeout(
                    f"no answer from the store at {client.endpoint} within {self.timeout:g} s"
                ) from None
            raise StoreError(f"cannot reach the store at {client.endpoint}: {exc.reason}") from None
        except OSError as exc:
            raise StoreError(f"cannot reach the store at {client.endpoint}: {exc}") from None
        if self._server is None:
            self._server = headers.get("server", "")
        if headers.get("x-sql-state", "").upper() == "S1TAT":
            raise QueryTimeout("the store reached its own time limit and answered in part")
        return body, headers

    @property
    def is_virtuoso(self) -> bool:
        """Whether the store is Virtuoso (from its ``Server`` header, asked once)."""
        if self._server is None:
            with self._probe_lock:
                if self._server is None:
                    client = self._client(self.query_endpoint)
                    client.setQuery("ASK { }")
                    client.addCustomHttpHeader("Accept", RESULTS_JSON)
                    self._send(client)
        return "virtuoso" in (self._server or "").lower()

    @property
    def update_sees_union(self) -> bool:
        """Whether an update's ``WHERE`` reads the union of all graphs (Virtuoso: yes), so
        that the derivation rules run inside the store as updates."""
        return self.is_virtuoso

    def is_hidden(self, graph: str) -> bool:
        """Whether ``graph`` is one of the engine's own graphs, not data."""
        if not self.is_virtuoso:
            return False
        return graph in VIRTUOSO_SYSTEM_GRAPHS or bool(_VIRTUOSO_HOST_GRAPH.match(graph))

    # -- reading ------------------------------------------------------------------------
    def query(
        self,
        sparql: str,
        *,
        default_graph: list[str] | None = None,
        named_graphs: list[str] | None = None,
        base_iri: str | None = None,
        bindings: dict[str, Term] | None = None,
    ) -> QueryResult:
        text = sparql
        if default_graph is not None or named_graphs is not None:
            # The protocol's dataset replaces the query's FROM / FROM NAMED (SPARQL 1.1
            # Protocol 2.1.4); Virtuoso would merge the two.
            text = _without_dataset_clauses(text)
        if base_iri:
            text = f"BASE <{base_iri}>\n{text}"
        if bindings:
            _check_projected(text, bindings)
            text = _with_values(text, bindings)
        client = self._client(self.query_endpoint)
        client.setQuery(text)
        for graph in default_graph or ():
            client.addParameter("default-graph-uri", graph)
        for graph in named_graphs or ():
            client.addParameter("named-graph-uri", graph)
        if self.query_time_limit and self.is_virtuoso:
            # Virtuoso stops the query itself at the limit (an "anytime" answer, refused
            # below as a time-out) instead of working on after the service gave up.
            client.addParameter("timeout", str(max(int(self.query_time_limit * 1000), 1)))
        form = _query_form(text)
        client.queryType = form  # SPARQLWrapper's own guess is fooled by words in comments
        if (form == "DESCRIBE" and default_graph is None and self.is_virtuoso
                and not _FROM.search(_OPAQUE.sub(" ", text))):
            # Virtuoso describes nothing without a dataset: name every graph.
            for graph in [DEFAULT_GRAPH, *self.named_graphs()]:
                client.addParameter("default-graph-uri", graph)
        if form in ("CONSTRUCT", "DESCRIBE"):
            client.addCustomHttpHeader("Accept", GRAPH_ACCEPT)
            body, headers = self._send(client)
            return RemoteResult("graph", triples=_parse_graph(body, headers))
        if form not in ("SELECT", "ASK"):
            raise QuerySyntaxError(
                f"not a query: expected SELECT, ASK, CONSTRUCT or DESCRIBE ({form})"
            )
        client.addCustomHttpHeader("Accept", RESULTS_JSON)
        body, _headers = self._send(client)
        try:
            data = json.loads(body.decode("utf-8"))
        except ValueError as exc:
            raise StoreError(
                f"the store answered results that are not SPARQL JSON: {exc}"
            ) from None
        if "boolean" in data:
            return RemoteResult("boolean", json_results=data)
        return RemoteResult("bindings", json_results=data)

    def named_graphs(self) -> list[str]:
        # GROUP BY rather than DISTINCT: the same answer, a hundred times faster on Virtuoso
        rows = self.select("SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
        return sorted(
            row["g"].value for row in rows
            if isinstance(row.get("g"), ox.NamedNode)
            and row["g"].value not in (DEFAULT_GRAPH, LOCK_GRAPH)
            and not self.is_hidden(row["g"].value)
        )

    def graph_exists(self, graph: GraphName) -> bool:
        if graph is None:
            return True
        return self.ask(f"ASK {{ GRAPH <{_iri(graph)}> {{ ?s ?p ?o }} }}")

    def quads(self, graph: GraphName | TypingLiteral["*"] = "*") -> Iterator[ox.Quad]:
        if graph == "*":
            graphs: list[GraphName] = [None, *self.named_graphs()]
        else:
            graphs = [graph]
        for name in graphs:
            yield from self._graph_quads(name)

    def _graph_quads(self, graph: GraphName) -> Iterator[ox.Quad]:
        """One graph, page after page: a sorted sub-select with LIMIT/OFFSET outside it,
        the form Virtuoso pages past its ResultSetMaxRows with."""
        target: ox.NamedNode | ox.DefaultGraph = (
            ox.DefaultGraph() if graph is None else ox.NamedNode(graph)
        )
        iri = DEFAULT_GRAPH if graph is None else _iri(graph)
        offset = 0
        while True:
            rows = self.select(
                f"SELECT ?s ?p ?o WHERE {{ {{ SELECT ?s ?p ?o WHERE {{ GRAPH <{iri}> "
                f"{{ ?s ?p ?o }} }} ORDER BY ?s ?p ?o }} }} "
                f"LIMIT {self.page_size} OFFSET {offset}"
            )
            for row in rows:
                yield ox.Quad(row["s"], row["p"], row["o"], target)
            if len(rows) < self.page_size:
                return
            offset += self.page_size

    def triple_count(self, graph: GraphName | TypingLiteral["*"] = "*") -> int:
        graphs: list[GraphName] = [None, *self.named_graphs()] if graph == "*" else [graph]
        total = 0
        for name in graphs:
            iri = DEFAULT_GRAPH if name is None else _iri(name)
            rows = self.select(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{iri}> {{ ?s ?p ?o }} }}")
            total += int(rows[0]["n"].value) if rows else 0
        return total

    # -- writing ------------------------------------------------------------------------
    def update(self, sparql: str, *, base_iri: str | None = None) -> None:
        text = sparql
        if base_iri:
            text = f"BASE <{base_iri}>\n{text}"
        client = self._client(self.update_endpoint)
        client.setQuery(text)
        form = _query_form(text)
        if form in ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE"):
            raise QuerySyntaxError("not an update: expected INSERT, DELETE, CLEAR, DROP...")
        client.queryType = form
        if self.is_virtuoso and not _has_where(text):
            # Triples outside GRAPH {...} in INSERT DATA / DELETE DATA go to the default
            # graph, which is DEFAULT_GRAPH here (Virtuoso refuses them otherwise).
            client.addParameter("using-graph-uri", DEFAULT_GRAPH)
        client.addCustomHttpHeader("Accept", "*/*")
        self._send(client)

    def add_quads(self, quads: Iterable[ox.Quad]) -> int:
        """Add quads in batches of ``INSERT DATA``.  A batch is one request, and a dataset
        that fits one batch is added atomically; a larger one is not (see the docs)."""
        quads = list(quads)
        for batch in _batches(quads, self.batch_triples, self.batch_bytes):
            self._insert(batch)
        return len(quads)

    def _insert(self, batch: list[ox.Quad]) -> None:
        """One batch; one that the store finds too large to compile is sent in halves."""
        try:
            self.update(_insert_text(batch))
        except QuerySyntaxError as exc:
            if "length of generated SQL" not in str(exc):
                raise
            half = max(len(batch) // 2, 1)
            parts = list(_batches(batch, half, self.batch_bytes, half))
            if len(parts) < 2:  # one blank-node structure: cannot be split
                raise StoreError(
                    f"the store cannot take {len(batch)} triples joined by blank nodes in one "
                    f"request: {exc}"
                ) from None
            for part in parts:
                self._insert(part)

    def clear_graph(self, graph: GraphName) -> None:
        iri = DEFAULT_GRAPH if graph is None else _iri(graph)
        self.update(f"CLEAR SILENT GRAPH <{iri}>")

    def replace_graph(self, graph: GraphName, quads: Iterable[ox.Quad]) -> int:
        """Clear and add in one request when the data fits one batch."""
        quads = list(quads)
        batches = list(_batches(quads, self.batch_triples, self.batch_bytes))
        iri = DEFAULT_GRAPH if graph is None else _iri(graph)
        if len(batches) <= 1:
            parts = [f"CLEAR SILENT GRAPH <{iri}>"]
            parts += [_insert_text(batch) for batch in batches]
            try:
                self.update(" ;\n".join(parts))
                return len(quads)
            except QuerySyntaxError as exc:
                if "length of generated SQL" not in str(exc):
                    raise
        self.clear_graph(graph)
        for batch in batches:
            self._insert(batch)
        return len(quads)


# -- helpers -------------------------------------------------------------------------------
def _message(exc: Exception) -> str:
    """The store's own words from a SPARQLWrapper or urllib error, on one line."""
    text = str(exc)
    if isinstance(exc, urllib.error.HTTPError):
        with contextlib.suppress(OSError):
            text = exc.read().decode("utf-8", "replace") or text
    elif "Response:\n" in text:  # SPARQLWrapper: its explanation, then repr(body)
        raw = text.split("Response:\n", 1)[1]
        try:
            text = ast.literal_eval(raw).decode("utf-8", "replace")
        except (ValueError, SyntaxError, AttributeError):
            text = raw
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    # Virtuoso repeats the whole query after "SPARQL query:": drop it.
    for i, line in enumerate(lines):
        if line.upper().startswith("SPARQL QUERY:"):
            lines = lines[:i]
            break
    return " ".join(lines)[:500] or exc.__class__.__name__


def _iri(graph: str) -> str:
    if any(c in graph for c in '<>"{}|^`\\ \n'):
        raise QuerySyntaxError(f"not a valid graph IRI: {graph!r}")
    return graph


def _values_clause(bindings: dict[str, Term]) -> str:
    names = list(bindings)
    terms = []
    for name in names:
        term = bindings[name]
        if isinstance(term, ox.BlankNode):
            raise QuerySyntaxError(f"a blank node cannot be bound to ?{name}")
        terms.append(str(term))
    return f"VALUES ({' '.join('?' + n for n in names)}) {{ ({' '.join(terms)}) }}"


def _check_projected(text: str, bindings: dict[str, Term]) -> None:
    """Refuse, as Oxigraph does, bindings for variables a SELECT query does not
    project (the store would take them without complaint once they are in the WHERE
    group)."""
    from educluster.named_queries import NamedQueryError, projected_variables

    try:
        projected = projected_variables(text)
    except NamedQueryError as exc:
        raise QuerySyntaxError(str(exc)) from None
    missing = sorted(set(bindings) - projected) if projected is not None else []
    if missing:
        raise QuerySyntaxError(
            "bindings for variables the query does not project: "
            + ", ".join("?" + name for name in missing))


def _with_values(text: str, bindings: dict[str, Term]) -> str:
    """The query with a VALUES block binding ``bindings`` at the start of its WHERE
    group (the first ``{`` after WHERE outside strings, comments and IRIs, or the first
    ``{`` of a SELECT or ASK written without WHERE); a query without a group (``DESCRIBE
    <iri>``) gets a trailing VALUES clause."""
    clause = _values_clause(bindings)
    masked = _OPAQUE.sub(lambda m: " " * len(m.group(0)), text)
    where = _WHERE.search(masked)
    if where is not None:
        at = masked.find("{", where.end())
    elif _query_form(text) in ("SELECT", "ASK"):
        at = masked.find("{")
    else:
        at = -1
    if at < 0:
        return text + "\n" + clause
    return text[: at + 1] + " " + clause + " " + text[at + 1:]


def _parse_graph(body: bytes, headers: dict[str, str]) -> list[ox.Triple]:
    media = headers.get("content-type", "application/n-triples").split(";")[0].strip().lower()
    fmt = _GRAPH_CONTENT_TYPES.get(media)
    if fmt is None:
        raise StoreError(f"the store answered a graph as {media}, which cannot be read")
    if not body.strip() or body.strip().startswith(b"# Empty"):
        return []
    try:
        parsed = ox.parse(body, format=fmt)
        return [ox.Triple(q.subject, q.predicate, q.object) for q in parsed]
    except (SyntaxError, ValueError) as exc:
        raise StoreError(f"the store answered a graph that does not parse: {exc}") from None


def _graph_iri(quad: ox.Quad) -> str:
    name = quad.graph_name
    return DEFAULT_GRAPH if isinstance(name, ox.DefaultGraph) else name.value


def _line(quad: ox.Quad) -> str:
    return f"{quad.subject} {quad.predicate} {quad.object} ."


def _batches(
    quads: list[ox.Quad], max_triples: int, max_bytes: int, max_template_triples: int = 400
) -> Iterator[list[ox.Quad]]:
    """Quads in batches of bounded size.  Every quad that shares a blank node with another
    (directly or through a chain) travels in the same batch, since a blank node label
    means a fresh node in each request; batches with blank nodes, sent as an update
    template, hold at most ``max_template_triples`` (Virtuoso compiles a template into
    SQL and stops at 10,000 lines, about 1,000 triples) unless one structure is larger."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    plain: list[list[ox.Quad]] = []
    with_bnodes: list[tuple[ox.Quad, list[str]]] = []
    for quad in quads:
        labels = [t.value for t in (quad.subject, quad.object) if isinstance(t, ox.BlankNode)]
        if not labels:
            plain.append([quad])
            continue
        for label in labels[1:]:
            parent[find(label)] = find(labels[0])
        with_bnodes.append((quad, labels))
    groups: dict[str, list[ox.Quad]] = {}
    for quad, labels in with_bnodes:
        groups.setdefault(find(labels[0]), []).append(quad)
    yield from _pack(plain, max_triples, max_bytes)
    yield from _pack(list(groups.values()), min(max_triples, max_template_triples), max_bytes)


def _pack(units: list[list[ox.Quad]], max_triples: int, max_bytes: int) -> Iterator[list[ox.Quad]]:
    batch: list[ox.Quad] = []
    size = 0
    for unit in units:
        unit_size = sum(len(_line(q)) + 1 for q in unit)
        if batch and (len(batch) + len(unit) > max_triples or size + unit_size > max_bytes):
            yield batch
            batch, size = [], 0
        batch.extend(unit)
        size += unit_size
    if batch:
        yield batch


def _insert_text(batch: list[ox.Quad]) -> str:
    by_graph: dict[str, list[str]] = {}
    has_bnodes = False
    for quad in batch:
        by_graph.setdefault(_graph_iri(quad), []).append(_line(quad))
        has_bnodes = has_bnodes or isinstance(quad.subject, ox.BlankNode) or isinstance(
            quad.object, ox.BlankNode
        )
    blocks = [
        f"GRAPH <{graph}> {{\n" + "\n".join(lines) + "\n}" for graph, lines in by_graph.items()
    ]
    if has_bnodes:
        # Virtuoso refuses blank nodes in INSERT DATA, and a template with blank nodes in
        # two GRAPH blocks (SR002): one template per graph, in one request.  A blank node
        # that occurs in two graphs becomes two nodes (documented).
        return " ;\n".join(f"INSERT {{\n{block}\n}} WHERE {{ }}" for block in blocks)
    return "INSERT DATA {\n" + "\n".join(blocks) + "\n}"


# -- a lease across instances -------------------------------------------------------------
#: The graph that holds the writers' lease while a write runs (empty otherwise).
LOCK_GRAPH = GRAPH_IRI + "lock"
_UNTIL = "https://w3id.org/educluster#writeLeaseUntil"


class WriteLease:
    """An advisory lock shared by every service instance over one store: a triple
    ``<holder> ec:writeLeaseUntil "expiry"`` in ``LOCK_GRAPH``.

    Taking it is an ``INSERT ... WHERE { FILTER NOT EXISTS {...} }`` followed by a check
    that this instance is the only holder (instances that raced all withdraw and retry
    after a random pause).  A lease left by a crashed instance expires after ``seconds``.
    It serializes the writes that go through educluster; writes made directly to the
    store bypass it.
    """

    def __init__(self, store: Store, *, seconds: float = 300.0, wait: float = 120.0):
        self.store = store
        self.seconds = seconds
        self.wait = wait
        self.holder = f"urn:uuid:{uuid.uuid4()}"

    @staticmethod
    def _moment(seconds: float) -> str:
        """A UTC time as a plain string that sorts in time order (ISO 8601)."""
        moment = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=seconds)
        return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")

    def acquire(self) -> None:
        deadline = time.monotonic() + self.wait
        lock = f"GRAPH <{LOCK_GRAPH}>"
        while True:
            self.store.update(
                f"DELETE {{ {lock} {{ ?h <{_UNTIL}> ?t }} }} "
                f"WHERE {{ {lock} {{ ?h <{_UNTIL}> ?t }} "
                f'FILTER (STR(?t) < "{self._moment(0)}") }} ;\n'
                f"INSERT {{ {lock} {{ <{self.holder}> <{_UNTIL}> "
                f'"{self._moment(self.seconds)}" }} }} '
                f"WHERE {{ FILTER NOT EXISTS {{ {lock} {{ ?anyone <{_UNTIL}> ?t }} }} }}"
            )
            rows = self.store.select(f"SELECT ?h WHERE {{ {lock} {{ ?h <{_UNTIL}> ?t }} }}")
            holders = {row["h"].value for row in rows}
            if holders == {self.holder}:
                return
            if self.holder in holders:  # a race: several inserted; all withdraw
                self.release()
            if time.monotonic() > deadline:
                raise StoreError(
                    f"another instance has held the write lease on the store (graph "
                    f"<{LOCK_GRAPH}>) for more than {self.wait:g} s"
                )
            time.sleep(random.uniform(0.05, 0.3))

    def release(self) -> None:
        self.store.update(
            f"DELETE WHERE {{ GRAPH <{LOCK_GRAPH}> {{ <{self.holder}> <{_UNTIL}> ?t }} }}"
        )

    def __enter__(self) -> WriteLease:
        self.acquire()
        return self

    def __exit__(self, *exc_info) -> None:
        self.release()
