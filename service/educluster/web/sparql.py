"""``/sparql`` (and ``/sparql/``): the SPARQL 1.1 Protocol.

Queries by GET, POST form and POST ``application/sparql-query``; updates by POST form and
POST ``application/sparql-update`` with the write token; the service description on a
plain GET.  Every query is checked before it runs (``educluster.sparql.safety``): SERVICE
and LOAD are refused unless the operator allows remote access, and FROM / FROM NAMED and
the protocol's dataset parameters name graphs of the store (a graph that is not there is
empty; nothing is fetched).  Results are negotiated (``educluster.sparql.negotiation``),
capped at ``max_rows`` and produced under the query time limit.
"""

from __future__ import annotations

import functools

import pyoxigraph as ox
from flask import Blueprint, Response, current_app, request
from werkzeug.wrappers import Request as WerkzeugRequest

from educluster.limits import query_deadline
from educluster.sparql import negotiation, protocol, results, safety, service_description
from educluster.web import dataset, mark_write, setting
from educluster.web.errors import ServiceError
from educluster.web.writes import perform_write, require_write_token

bp = Blueprint("sparql", __name__)
METHODS = ["GET", "POST", "OPTIONS"]


@bp.route("/sparql", methods=METHODS, endpoint="endpoint")
@bp.route("/sparql/", methods=METHODS, endpoint="endpoint_slash")
def endpoint():
    handed_over = request.environ.pop(HANDED_OVER, None)
    if handed_over is not None:  # the fast path's query failed: answer its error here
        raise handed_over
    if request.method == "OPTIONS":
        return Response(status=204, headers={"Allow": "GET, POST, OPTIONS"})
    body = request.get_data(cache=False) if request.method == "POST" else b""
    try:
        operation = protocol.parse_request(
            request.method, request.headers.get("Content-Type"), url_parameters(), body,
        )
    except protocol.ProtocolError as exc:
        headers = {"Allow": "GET, POST, OPTIONS"} if exc.status == 405 else None
        raise ServiceError(exc.status, str(exc), headers=headers) from None
    if operation is None:
        return describe_service()
    if isinstance(operation, protocol.UpdateRequest):
        return run_update(operation)
    return run_query(operation)


#: the parts of the WSGI environment ``request.base_url`` is made of
_URL_PARTS = ("wsgi.url_scheme", "HTTP_HOST", "SERVER_NAME", "SERVER_PORT", "SCRIPT_NAME",
              "PATH_INFO")
#: base URLs already worked out, by those parts (a handful: /sparql and /sparql/ under the
#: host names the service is reached by); emptied when it reaches the bound
_BASE_URLS: dict[tuple, str] = {}
_BASE_URLS_MAX = 64


def endpoint_url() -> str:
    """The endpoint's own URL: the base IRI of queries and updates."""
    return base_url_of(request.environ)


def base_url_of(environ: dict) -> str:
    """The request's URL without its query string (``request.base_url``), remembered:
    werkzeug works it out afresh on every request."""
    key = tuple(environ.get(name) for name in _URL_PARTS)
    url = _BASE_URLS.get(key)
    if url is None:
        url = WerkzeugRequest(environ).base_url
        if len(_BASE_URLS) >= _BASE_URLS_MAX:
            _BASE_URLS.clear()
        _BASE_URLS[key] = url
    return url


#: query strings up to this long have their parameters remembered
_QUERY_STRING_MAX = 8 * 1024


def _decoded_parameters(environ: dict) -> dict[str, list[str]]:
    return WerkzeugRequest(environ).args.to_dict(flat=False)


@functools.lru_cache(maxsize=256)
def _remembered_parameters(query_string: str) -> dict[str, tuple[str, ...]]:
    decoded = _decoded_parameters({"QUERY_STRING": query_string})
    return {name: tuple(values) for name, values in decoded.items()}


def url_parameters() -> dict[str, list[str]]:
    """The URL's parameters (``request.args``)."""
    return parameters_of(request.environ)


def parameters_of(environ: dict) -> dict[str, list[str]]:
    """The URL's parameters, as ``request.args`` decodes them, remembered per query
    string: decoding the percent-escapes of a 1 KB query costs about a tenth of a
    millisecond every time."""
    query_string = environ.get("QUERY_STRING", "")
    if len(query_string) > _QUERY_STRING_MAX:
        return _decoded_parameters(environ)
    return {name: list(values)
            for name, values in _remembered_parameters(query_string).items()}


#: Accept headers longer than this are negotiated afresh, not remembered
_ACCEPT_MAX = 1024


@functools.lru_cache(maxsize=256)
def _remembered_choice(kind: str, accept: str | None, formats: tuple[str, ...]
                       ) -> negotiation.Format:
    return negotiation.choose(kind, accept, list(formats))


def choose_format(kind: str, accept: str | None, formats: list[str]) -> negotiation.Format:
    """``negotiation.choose``, remembered for the few Accept headers and ``format=`` values
    clients send (it raises ``NotAcceptable`` the same way)."""
    if accept is not None and len(accept) > _ACCEPT_MAX:
        return negotiation.choose(kind, accept, formats)
    return _remembered_choice(kind, accept, tuple(formats))


def run_query(operation: protocol.QueryRequest) -> Response:
    base = endpoint_url()
    config = current_app.config["EDUCLUSTER"]
    kwargs = checked_dataset(operation, base, config)
    fmt, answer = execute(dataset().reader(), operation, base, kwargs, request.environ, config)
    response = Response(answer.body, status=200, content_type=fmt.content_type)
    response.vary.add("Accept")
    if answer.truncated:
        response.headers["X-Educluster-Truncated"] = "true"
    return response


def checked_dataset(operation: protocol.QueryRequest, base: str, config: dict) -> dict:
    """The safety checks of a query (``SafetyError`` when refused), then the store's
    dataset arguments for it: empty when the query reads the union default graph."""
    safety.check_shape(operation.query)
    analysis = safety.analyse(operation.query, base_iri=base)
    safety.check_remote(analysis, allow_remote=bool(config["allow_remote"]))
    kwargs: dict = {}
    if operation.has_dataset:  # the protocol's dataset overrides FROM / FROM NAMED
        kwargs["default_graph"] = operation.default_graphs
        kwargs["named_graphs"] = operation.named_graphs
    elif analysis.from_graphs or analysis.from_named:
        # Oxigraph's union default graph would otherwise ignore FROM: the graphs it names
        # are read from the store (one that is not there is empty), never fetched.
        kwargs["default_graph"] = analysis.from_graphs
        kwargs["named_graphs"] = analysis.from_named
    for iri in (*kwargs.get("default_graph", ()), *kwargs.get("named_graphs", ())):
        try:
            ox.NamedNode(iri)
        except ValueError:
            raise ServiceError(400, f"<{iri}> is not a valid IRI for a graph") from None
    return kwargs


def execute(store, operation: protocol.QueryRequest, base: str, kwargs: dict, environ: dict,
            config: dict) -> tuple[negotiation.Format, results.Serialized]:
    """Run a checked query under the time limit and serialize its result in the format
    the request negotiates (``ServiceError`` 406 when there is none)."""
    with query_deadline(config["query_timeout"], environ=environ):
        result = store.query(operation.query, base_iri=base, **kwargs)
        try:
            fmt = choose_format(result.kind, environ.get("HTTP_ACCEPT"), operation.formats)
        except negotiation.NotAcceptable as exc:
            raise ServiceError(406, str(exc)) from None
        answer = results.serialize(result, fmt, max_rows=config["max_rows"])
    return fmt, answer


#: where the fast path (``educluster.web.fast_path``) leaves the error its query raised,
#: for ``endpoint`` to raise again, so that the error is answered as any other
HANDED_OVER = "educluster.handed_over"


def run_update(operation: protocol.UpdateRequest) -> Response:
    require_write_token()
    safety.check_shape(operation.update)
    base = endpoint_url()
    analysis = safety.analyse(operation.update, base_iri=base,
                              update_positions=operation.has_dataset)
    safety.check_remote(analysis, allow_remote=bool(setting("allow_remote")))
    text = operation.update
    if operation.has_dataset:
        if analysis.using:
            raise ServiceError(400, "the update names its dataset (USING/WITH) and the request "
                                    "gives using-graph-uri/using-named-graph-uri; give one")
        text = safety.add_using(text, analysis, operation.using_graphs,
                                operation.using_named_graphs)
    perform_write(lambda store: store.update(text, base_iri=base))
    return mark_write(Response(status=204))


def describe_service() -> Response:
    fmt_param = request.args.getlist("format")
    try:
        fmt = negotiation.choose("graph", request.headers.get("Accept"), fmt_param)
    except negotiation.NotAcceptable as exc:
        if fmt_param:
            raise ServiceError(406, str(exc)) from None
        fmt = negotiation.BY_NAME["turtle"]
    store = dataset().reader()
    triples = service_description.describe(
        endpoint_url(), store.named_graphs(), update=bool(setting("write_token")),
    )
    body = results.serialize_triples(triples, fmt, prefixes={
        "sd": service_description.SD, "dcterms": "http://purl.org/dc/terms/"})
    response = Response(body, content_type=fmt.content_type)
    response.vary.add("Accept")
    return response
