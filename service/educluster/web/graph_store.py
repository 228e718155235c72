"""``/store``: the SPARQL 1.1 Graph Store HTTP Protocol
(https://www.w3.org/TR/sparql11-http-rdf-update/).

A graph is named indirectly (``/store?graph=IRI``, ``/store?default``) or directly (its
IRI is the URL ``/store/...`` itself, as for graphs created by a POST to ``/store``).
``?default`` is the store's own default graph (the unnamed one); queries see the union of
every graph, but the Graph Store Protocol reads and writes graphs one at a time.

GET/HEAD give a graph in a negotiated RDF format (404 when absent); PUT replaces it (201
when it is new, 204 otherwise); POST adds to it (201 when new, 204 otherwise), or, sent to
``/store`` itself, creates a new graph (201 with its IRI in ``Location``); DELETE removes
it (404 when absent).  Writes need the write token; an upload is checked and parsed
completely before anything changes; the derived graph is read-only: after every write
it is brought up to date for what the quads the write added or removed can affect
(``educluster.reasoning.update_derived``), not computed again for the whole store.
"""

from __future__ import annotations

import uuid

import pyoxigraph as ox
from flask import Blueprint, Response, request

from educluster.errors import InputError
from educluster.limits import query_deadline
from educluster.sparql import negotiation, results
from educluster.vocab import DERIVED_GRAPH, PREFIXES
from educluster.web import dataset, mark_write, setting
from educluster.web.errors import ServiceError
from educluster.web.uploads import check_charset, parse_upload, rdf_format
from educluster.web.writes import perform_write, require_write_token

bp = Blueprint("graph_store", __name__)
METHODS = ["GET", "PUT", "POST", "DELETE", "OPTIONS"]

#: the target of a request: a graph IRI, DEFAULT (the default graph) or STORE (the
#: graph store itself: only POST, to create a new graph)
DEFAULT = "default"
STORE = "store"


class Target:
    def __init__(self, kind: str, iri: str | None = None):
        self.kind = kind  # "graph", DEFAULT, STORE
        self.iri = iri

    @property
    def graph(self) -> str | None:
        """The graph name for the store interface (None: the default graph)."""
        return self.iri if self.kind == "graph" else None

    def describe(self) -> str:
        return "the default graph" if self.kind == DEFAULT else f"graph <{self.iri}>"


def _indirect_target() -> Target:
    has_default = "default" in request.args
    graphs = request.args.getlist("graph")
    if has_default and graphs:
        raise ServiceError(400, "give either ?default or ?graph=IRI, not both")
    if len(graphs) > 1:
        raise ServiceError(400, "give one ?graph=IRI")
    if has_default:
        return Target(DEFAULT)
    if graphs:
        return Target("graph", _absolute_iri(graphs[0]))
    return Target(STORE)


def _absolute_iri(value: str) -> str:
    try:
        node = ox.NamedNode(value)
    except ValueError:
        raise ServiceError(400, f"graph={value!r} is not a valid IRI") from None
    scheme, sep, _ = node.value.partition(":")
    if not sep or not scheme or not scheme[0].isalpha():
        raise ServiceError(400, f"graph={value!r} is not an absolute IRI")
    return node.value


@bp.route("/store", methods=METHODS, endpoint="indirect")
def indirect():
    return _handle(_indirect_target())


@bp.route("/store/<path:name>", methods=METHODS, endpoint="direct")
def direct(name: str):
    if "graph" in request.args or "default" in request.args:
        raise ServiceError(400, "a graph named by its own URL takes no ?graph or ?default")
    return _handle(Target("graph", request.base_url))


def _handle(target: Target) -> Response:
    method = request.method
    if method == "OPTIONS":
        return Response(status=204, headers={"Allow": ", ".join([*METHODS, "HEAD"])})
    if method in ("GET", "HEAD"):
        if target.kind == STORE:
            raise ServiceError(400, "name a graph: /store?graph=IRI or /store?default")
        return _get(target)
    require_write_token()
    if target.kind == "graph" and target.iri == DERIVED_GRAPH:
        raise ServiceError(403, "the derived graph is computed by the service after every "
                                "write; change the asserted data instead")
    if method == "DELETE":
        if target.kind == STORE:
            raise ServiceError(400, "name the graph to delete: /store?graph=IRI or /store?default")
        return _delete(target)
    if method == "PUT":
        if target.kind == STORE:
            raise ServiceError(400, "name the graph to replace: /store?graph=IRI or /store?default")
        return _put(target)
    return _post(target)


def _get(target: Target) -> Response:
    store = dataset().reader()
    if not store.graph_exists(target.graph):
        raise ServiceError(404, f"there is no {target.describe()} in the store")
    try:
        fmt = negotiation.choose("graph", request.headers.get("Accept"), request.args.get("format"))
    except negotiation.NotAcceptable as exc:
        raise ServiceError(406, str(exc)) from None
    with query_deadline(setting("query_timeout"), environ=request.environ):
        triples = [ox.Triple(q.subject, q.predicate, q.object)
                   for q in store.quads(target.graph)]
        body = results.serialize_triples(triples, fmt, prefixes=PREFIXES)
    response = Response(body, content_type=fmt.content_type)
    response.vary.add("Accept")
    return response


def _read_body(target_graph: str | None) -> list[ox.Quad]:
    """The request's RDF, parsed completely, every triple in ``target_graph``."""
    content_type = request.headers.get("Content-Type", "")
    if content_type.lower().startswith("multipart/form-data"):
        quads: list[ox.Quad] = []
        parts = [f for f in request.files.values()]
        if not parts:
            raise ServiceError(400, "the multipart upload has no file")
        for part in parts:
            quads += _parse(part.read(), part.content_type or "", target_graph,
                            source=part.filename or part.name or "upload")
        return quads
    data = request.get_data(cache=False)
    if not data.strip():
        return []
    return _parse(data, content_type, target_graph, source="request body")


def _parse(data: bytes, content_type: str, graph: str | None, *, source: str) -> list[ox.Quad]:
    fmt = rdf_format(content_type)
    check_charset(content_type)
    base = graph or request.base_url
    quads = parse_upload(data, fmt, graph=graph, base_iri=base, source=source)
    if fmt.supports_datasets:
        wanted = ox.NamedNode(graph) if graph else ox.DefaultGraph()
        if any(q.graph_name != wanted for q in quads):
            raise InputError("the document holds triples of other named graphs; send one "
                             "graph (or use SPARQL Update to change several)", source=source)
    return quads


def _has_content(store, target: Target) -> bool:
    """Whether the graph is there before a write (the default graph: whether it has a
    triple), to answer 201 Created or 204 No Content."""
    if target.kind == DEFAULT:
        return next(iter(store.quads(None)), None) is not None
    return store.graph_exists(target.graph)


def _put(target: Target) -> Response:
    quads = _read_body(target.graph)
    touched: list[ox.Quad] = []  # what the graph held, then what it holds

    def change(store):
        existed_now = _has_content(store, target)
        touched[:] = store.quads(target.graph)
        store.replace_graph(target.graph, quads)
        touched.extend(quads)
        return existed_now

    existed = perform_write(change, changed=lambda: touched)
    return mark_write(Response(status=204 if existed else 201))


def _post(target: Target) -> Response:
    location = None
    if target.kind == STORE:
        iri = request.url_root.rstrip("/") + "/store/" + uuid.uuid4().hex
        target = Target("graph", iri)
        location = iri
    quads = _read_body(target.graph)

    def change(store):
        existed_now = _has_content(store, target)
        store.add_quads(quads)
        return existed_now

    existed = perform_write(change, changed=lambda: quads)
    if location is not None:
        return mark_write(Response(status=201, headers={"Location": location}))
    return mark_write(Response(status=204 if existed else 201))


def _delete(target: Target) -> Response:
    removed: list[ox.Quad] = []

    def change(store):
        if not store.graph_exists(target.graph):
            return False
        removed[:] = store.quads(target.graph)
        store.clear_graph(target.graph)
        return True

    if target.kind == "graph" and not dataset().reader().graph_exists(target.graph):
        raise ServiceError(404, f"there is no {target.describe()} in the store")
    if not perform_write(change, changed=lambda: removed):
        raise ServiceError(404, f"there is no {target.describe()} in the store")
    return mark_write(Response(status=204))
