"""Content negotiation for SPARQL results and RDF graphs.

One table of the formats the service gives (``FORMATS``), the ``format=`` names browsers
use, and an ``Accept`` parser with q-values and wildcards (RFC 9110, section 12.5.1).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

Kind = Literal["bindings", "boolean", "graph"]


@dataclass(frozen=True)
class Format:
    """A format the service can answer in."""

    name: str  # the ``format=`` name
    media_type: str  # what the response's Content-Type says
    kinds: frozenset[str]  # result kinds it can carry
    aliases: tuple[str, ...] = ()  # other media types a client may ask for
    charset: bool = True  # text: the Content-Type carries charset=utf-8

    @property
    def content_type(self) -> str:
        return f"{self.media_type}; charset=utf-8" if self.charset else self.media_type


_TABLE = frozenset({"bindings", "boolean"})
_BOOLEAN = frozenset({"bindings", "boolean"})
_GRAPH = frozenset({"graph"})

#: In order of the service's preference when the client likes several equally.
FORMATS: list[Format] = [
    Format("json", "application/sparql-results+json", _BOOLEAN, ("application/json",)),
    Format("xml", "application/sparql-results+xml", _BOOLEAN, ("application/xml", "text/xml")),
    Format("csv", "text/csv", frozenset({"bindings"})),
    Format("tsv", "text/tab-separated-values", frozenset({"bindings"})),
    Format("turtle", "text/turtle", _GRAPH, ("application/x-turtle", "text/n3", "text/rdf+n3")),
    Format("ntriples", "application/n-triples", _GRAPH, ("text/plain",)),
    Format("jsonld", "application/ld+json", _GRAPH, ("application/json",)),
    Format("rdfxml", "application/rdf+xml", _GRAPH, ("application/xml", "text/xml")),
    Format("nquads", "application/n-quads", _GRAPH),
    Format("trig", "application/trig", _GRAPH),
]
BY_NAME = {f.name: f for f in FORMATS}

#: ``format=`` names that mean a different format for graphs than for tables
_GRAPH_SYNONYMS = {"json": "jsonld", "xml": "rdfxml", "ttl": "turtle", "n3": "turtle",
                   "nt": "ntriples",
                   "nq": "nquads", "n-triples": "ntriples", "n-quads": "nquads",
                   "json-ld": "jsonld", "rdf": "rdfxml", "rdf+xml": "rdfxml"}
_TABLE_SYNONYMS = {"sparql-results+json": "json", "sparql-results+xml": "xml"}

#: The default when the client states no preference.
DEFAULTS: dict[str, str] = {"bindings": "json", "boolean": "json", "graph": "turtle"}


class NotAcceptable(ValueError):
    """No format of the result's kind satisfies the client; the message lists what can."""


@dataclass(frozen=True)
class MediaRange:
    type: str
    subtype: str
    q: float
    params: tuple[tuple[str, str], ...] = ()

    @property
    def specificity(self) -> int:
        if self.type == "*":
            return 0
        if self.subtype == "*":
            return 1
        return 2 + len(self.params)

    def matches(self, media_type: str) -> bool:
        main, _, sub = media_type.partition("/")
        if self.type == "*":
            return True
        if self.type != main:
            return False
        return self.subtype in ("*", sub)


def parse_accept(header: str | None) -> list[MediaRange]:
    """The media ranges of an ``Accept`` header; malformed parts are skipped.

    >>> [(r.type, r.subtype, r.q) for r in parse_accept("text/*;q=0.5, application/json")]
    [('text', '*', 0.5), ('application', 'json', 1.0)]
    """
    ranges: list[MediaRange] = []
    if not header:
        return ranges
    for part in header.split(","):
        pieces = [p.strip() for p in part.split(";")]
        media = pieces[0].lower()
        if "/" not in media:
            if media == "*":
                media = "*/*"
            else:
                continue
        main, _, sub = media.partition("/")
        if not main or not sub or (main == "*" and sub != "*"):
            continue
        q = 1.0
        params = []
        for param in pieces[1:]:
            name, _, value = param.partition("=")
            name = name.strip().lower()
            value = value.strip().strip('"')
            if name == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
                q = min(max(q, 0.0), 1.0)
            elif name and name != "charset":
                params.append((name, value))
        ranges.append(MediaRange(main, sub, q, tuple(params)))
    return ranges


def quality(ranges: list[MediaRange], media_type: str) -> tuple[float, int]:
    """How much the client wants ``media_type``: (q of the most specific matching range,
    its specificity); (0, -1) when nothing matches."""
    best: MediaRange | None = None
    for r in ranges:
        if r.matches(media_type) and (best is None or r.specificity > best.specificity):
            best = r
    if best is None:
        return 0.0, -1
    return best.q, best.specificity


def candidates(kind: str) -> list[Format]:
    return [f for f in FORMATS if kind in f.kinds]


def choose(
    kind: str, accept: str | None = None, format_param: str | Sequence[str] | None = None
) -> Format:
    """The format to answer a result of ``kind`` in.

    ``format_param`` (the ``format=`` query parameter, a name from ``FORMATS`` or a media
    type; several values, as some clients send, are tried in order) wins over ``Accept``.
    Raises ``NotAcceptable`` when nothing fits.
    """
    options = candidates(kind)
    if format_param and not isinstance(format_param, str):
        for value in format_param:
            try:
                return choose(kind, accept, value)
            except NotAcceptable:
                continue
        return choose(kind, accept, format_param[0])
    if format_param:
        wanted = format_param.strip().lower()
        if "/" in wanted:
            for f in options:
                if wanted == f.media_type or wanted in f.aliases:
                    return f
        else:
            if kind == "graph":
                wanted = _GRAPH_SYNONYMS.get(wanted, wanted)
            else:
                wanted = _TABLE_SYNONYMS.get(wanted, wanted)
            if wanted in BY_NAME and BY_NAME[wanted] in options:
                return BY_NAME[wanted]
        raise NotAcceptable(
            f"format={format_param!r} cannot carry a {_describe(kind)}; "
            f"use one of {', '.join(f.name for f in options)}"
        )
    ranges = parse_accept(accept)
    if not ranges:
        return BY_NAME[DEFAULTS[kind]]
    best: Format | None = None
    best_key: tuple = ()
    for position, f in enumerate(options):
        primary = quality(ranges, f.media_type)
        if primary[0] <= 0 and primary[1] >= 2:
            continue  # the client refuses this very media type
        keys = [(*primary, 1)] + [(*quality(ranges, t), 0) for t in f.aliases]
        q, specificity, is_primary = max(keys, key=lambda k: (k[0], k[1], k[2]))
        if q <= 0:
            continue
        # Higher q first, then a more specific match, then the format's own media type
        # over an alias, then the service's order (the kind's default first).
        rank = (q, specificity, is_primary,
                -(0 if f.name == DEFAULTS[kind] else position + 1))
        if best is None or rank > best_key:
            best, best_key = f, rank
    if best is None:
        raise NotAcceptable(
            f"none of the acceptable formats ({accept}) can carry a {_describe(kind)}; "
            f"this endpoint gives {', '.join(f.media_type for f in options)}"
        )
    return best


def _describe(kind: str) -> str:
    return {"bindings": "SELECT result", "boolean": "ASK result",
            "graph": "CONSTRUCT/DESCRIBE result"}[kind]
