"""Parsing SPARQL 1.1 Protocol requests (https://www.w3.org/TR/sparql11-protocol/).

Three ways to send a query (GET ``query=``; POST form; POST ``application/sparql-query``)
and two to send an update (POST form ``update=``; POST ``application/sparql-update``),
each with its dataset parameters.  ``parse_request`` turns the parts of an HTTP request
into a ``QueryRequest``, an ``UpdateRequest`` or ``None`` (a plain GET: the service
description), or raises ``ProtocolError`` with the status to answer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import parse_qs

FORM = "application/x-www-form-urlencoded"
QUERY_TYPE = "application/sparql-query"
UPDATE_TYPE = "application/sparql-update"

#: parameters a client may not use to carry the write token
TOKEN_PARAMETERS = ("token", "access_token", "write_token", "auth", "authorization")


class ProtocolError(ValueError):
    """A request the protocol does not allow; ``status`` is the HTTP status to answer."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


@dataclass
class QueryRequest:
    query: str
    default_graphs: list[str] = field(default_factory=list)
    named_graphs: list[str] = field(default_factory=list)
    formats: list[str] = field(default_factory=list)  # ``format=`` values (URL or form)

    @property
    def has_dataset(self) -> bool:
        return bool(self.default_graphs or self.named_graphs)


@dataclass
class UpdateRequest:
    update: str
    using_graphs: list[str] = field(default_factory=list)
    using_named_graphs: list[str] = field(default_factory=list)

    @property
    def has_dataset(self) -> bool:
        return bool(self.using_graphs or self.using_named_graphs)


Params = Mapping[str, Sequence[str]]


def media_type_of(content_type: str | None) -> tuple[str, dict[str, str]]:
    """``"application/sparql-query; charset=utf-8"`` -> (media type, parameters)."""
    if not content_type:
        return "", {}
    main, *rest = content_type.split(";")
    params = {}
    for piece in rest:
        name, _, value = piece.partition("=")
        params[name.strip().lower()] = value.strip().strip('"')
    return main.strip().lower(), params


def _decode(body: bytes, params: dict[str, str], what: str) -> str:
    charset = params.get("charset", "utf-8").lower()
    if charset not in ("utf-8", "utf8"):
        raise ProtocolError(f"the {what} must be sent in UTF-8, not {charset}", 415)
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProtocolError(f"the {what} is not valid UTF-8 (byte {exc.start})") from None


def _one(params: Params, name: str) -> str | None:
    values = params.get(name) or []
    if len(values) > 1:
        raise ProtocolError(f"the request has {len(values)} '{name}' parameters; send one")
    return values[0] if values else None


def _iris(params: Params, name: str) -> list[str]:
    values = list(params.get(name) or [])
    for value in values:
        if not value or any(c in value for c in '<>" {}|\\^`') or ":" not in value:
            raise ProtocolError(f"{name}={value!r} is not an absolute IRI")
    return values


def parse_form(body: bytes, content_params: dict[str, str]) -> dict[str, list[str]]:
    text = _decode(body, content_params, "form")
    return parse_qs(text, keep_blank_values=True)


def parse_request(
    method: str, content_type: str | None, args: Params, body: bytes
) -> QueryRequest | UpdateRequest | None:
    """Read a protocol operation from a request; ``args`` are the URL's query parameters."""
    for name in TOKEN_PARAMETERS:
        if name in args:
            raise ProtocolError(
                f"a token in the URL ({name}=) is refused: URLs end up in logs and histories; "
                "send it as 'Authorization: Bearer TOKEN'"
            )
    method = method.upper()
    if method in ("GET", "HEAD"):
        if "update" in args:
            raise ProtocolError("an update must be sent by POST, not GET", 405)
        query = _one(args, "query")
        if query is None:
            if body:
                raise ProtocolError("a GET request carries its query in the URL (query=)")
            return None
        return QueryRequest(query, _iris(args, "default-graph-uri"), _iris(args, "named-graph-uri"),
                            list(args.get("format") or []))
    if method != "POST":
        raise ProtocolError(f"{method} is not a SPARQL protocol operation; use GET or POST", 405)

    media, content_params = media_type_of(content_type)
    if media == FORM:
        form = parse_form(body, content_params)
        for name in TOKEN_PARAMETERS:
            if name in form:
                raise ProtocolError(
                    f"a token in the form ({name}=) is refused; send it as "
                    "'Authorization: Bearer TOKEN'")
        if "query" in args or "update" in args:
            raise ProtocolError("send the operation either in the URL or in the form, not both")
        query, update = _one(form, "query"), _one(form, "update")
        if query is not None and update is not None:
            raise ProtocolError("a request carries a query or an update, not both")
        if query is not None:
            return QueryRequest(
                query, _iris(args, "default-graph-uri") + _iris(form, "default-graph-uri"),
                _iris(args, "named-graph-uri") + _iris(form, "named-graph-uri"),
                list(form.get("format") or args.get("format") or []))
        if update is not None:
            return UpdateRequest(
                update, _iris(args, "using-graph-uri") + _iris(form, "using-graph-uri"),
                _iris(args, "using-named-graph-uri") + _iris(form, "using-named-graph-uri"))
        raise ProtocolError("the form has neither a 'query' nor an 'update' parameter")
    if media == QUERY_TYPE:
        if "query" in args or "update" in args:
            raise ProtocolError("the query is in the body; the URL may not carry another one")
        text = _decode(body, content_params, "query")
        return QueryRequest(text, _iris(args, "default-graph-uri"), _iris(args, "named-graph-uri"),
                            list(args.get("format") or []))
    if media == UPDATE_TYPE:
        if "query" in args or "update" in args:
            raise ProtocolError("the update is in the body; the URL may not carry another one")
        text = _decode(body, content_params, "update")
        return UpdateRequest(text, _iris(args, "using-graph-uri"),
                             _iris(args, "using-named-graph-uri"))
    if not media:
        raise ProtocolError(
            "a POST needs a Content-Type: application/x-www-form-urlencoded, "
            f"{QUERY_TYPE} or {UPDATE_TYPE}", 415)
    raise ProtocolError(
        f"unsupported Content-Type {media!r}; use application/x-www-form-urlencoded, "
        f"{QUERY_TYPE} or {UPDATE_TYPE}", 415)
