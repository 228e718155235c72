"""What a SPARQL request would make the server do beyond its own store.

A real lexer (not a regular expression over the whole text, which comments and strings
fool) splits the query or update into tokens, skipping comments, the four forms of
string and IRIs, then finds:

- ``SERVICE`` (federated query) and ``LOAD`` (fetch a document): both make the engine
  open HTTP connections, so they are refused unless the operator allows remote access;
- the graphs named after ``FROM`` / ``FROM NAMED`` (resolved through the query's
  ``PREFIX`` and ``BASE``): never fetched, answered from the store (a graph that is not
  in the store is an empty graph).

The same module guards uploads: RDF/XML with external or nested entities and JSON-LD
with a remote ``@context`` are refused before any parser sees them.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from urllib.parse import urljoin

from educluster.errors import ForbiddenOperation, InputError, QuerySyntaxError

# -- the lexer ----------------------------------------------------------------------------

# Order matters: long strings before short ones, IRIs before the '<' operator.
_TOKEN = re.compile(
    r"""
      (?P<ws>\s+)
    | (?P<comment>\#[^\r\n]*)
    | (?P<string>'''(?:[^'\\]|\\.|'(?!''))*'''
               |\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
               |'(?:[^'\\\r\n]|\\.)*'
               |"(?:[^"\\\r\n]|\\.)*")
    | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
    | (?P<var>[?$][A-Za-z0-9_\u00b7\u00c0-\uffff]+)
    | (?P<pname>(?:[A-Za-z\u00c0-\uffff][\w\-.\u00b7\u00c0-\uffff]*)?:
                (?:[\w\-\u00b7\u00c0-\uffff:%]|\\[_~.\-!$&'()*+,;=/?\#@%]|\.(?=[\w\-:%\\\u00c0-\uffff]))*)
    | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
    | (?P<langtag>@[A-Za-z]+(?:-[A-Za-z0-9]+)*)
    | (?P<number>[0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)
    | (?P<punct>\^\^|&&|\|\||!=|<=|>=|[{}()\[\],;.*+\-/=<>!|^a])
    | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)


@dataclass(frozen=True)
class Token:
    kind: str  # string, iri, var, pname, word, langtag, number, punct, other
    text: str
    start: int
    end: int

    def is_word(self, *words: str) -> bool:
        return self.kind == "word" and self.text.upper() in words


def tokenize(text: str) -> Iterator[Token]:
    """The tokens of a SPARQL query or update, without whitespace and comments.

    >>> [t.text for t in tokenize('SELECT * { ?s ?p "SERVICE # no" } # SERVICE')]
    ['SELECT', '*', '{', '?s', '?p', '"SERVICE # no"', '}']
    """
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup or "other"
        if kind in ("ws", "comment"):
            continue
        yield Token(kind, m.group(), m.start(), m.end())


# -- the shape of a request ----------------------------------------------------------------

#: the deepest nesting of brackets ``( { [`` a query or update may have
MAX_NESTING = 100
#: the most operators, groups and patterns (UNION, OPTIONAL, BIND, path and arithmetic
#: operators, ``{``, the ``.`` ``;`` ``,`` between triple patterns...) outside ``INSERT
#: DATA`` / ``DELETE DATA`` blocks: the engine overflows its stack from about 2,500 BINDs
MAX_OPERATORS = 500
_SEPARATORS = {".", ";", ","}
_OPERATOR_PUNCT = {"{", "[", "/", "|", "^", "&&", "||", "!", "+", "-", "*", "=", "!=",
                   "<", ">", "<=", ">="}
_OPERATOR_WORDS = {"UNION", "OPTIONAL", "MINUS", "FILTER", "BIND", "GRAPH", "SERVICE",
                   "EXISTS", "IN"}


# -- remembered checks ------------------------------------------------------------------------

#: texts up to this many characters have their checks remembered: applications, dashboards
#: and the named queries send the same texts again and again, and lexing a 1 KB query
#: costs more than the engine needs to answer it
CACHE_MAX_TEXT = 8 * 1024
#: how many texts are remembered (least recently used first out): at most about
#: CACHE_SIZE x CACHE_MAX_TEXT characters (2 MB) per process for each of the two checks
CACHE_SIZE = 256


def check_shape(text: str) -> None:
    """Refuse a query or update nested too deeply or chaining too many operators.

    The engine parses and evaluates recursively: a few thousand nested brackets, or a
    long enough chain of ``UNION``, ``/`` or ``+`` (a few kilobytes of text), overflow a
    worker's stack and end the process instead of giving an error.  Real queries stay far
    below both limits.

    >>> check_shape("SELECT * { " + "{" * 200 + "}" * 200 + " }")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    educluster.errors.QuerySyntaxError: the request nests brackets 101 deep (at most 100 ...
    """
    problem = (_remembered_shape_problem(text) if len(text) <= CACHE_MAX_TEXT
               else shape_problem(text))
    if problem is not None:
        raise QuerySyntaxError(problem)


def shape_problem(text: str) -> str | None:
    """Why ``check_shape`` refuses ``text`` (None: it does not), computed afresh."""
    depth = deepest = operators = parentheses = 0
    data_depth: int | None = None  # the depth of the INSERT/DELETE DATA block we are in
    previous_data = False
    for tok in tokenize(text):
        if tok.kind == "punct" and tok.text in "({[":
            depth += 1
            parentheses += tok.text == "("
            if depth > deepest:
                deepest = depth
                if deepest > MAX_NESTING:
                    break
            if previous_data and tok.text == "{":
                data_depth = depth
        elif tok.kind == "punct" and tok.text in ")}]":
            if data_depth is not None and depth == data_depth:
                data_depth = None
            depth = max(depth - 1, 0)
            parentheses = max(parentheses - (tok.text == ")"), 0)
        if data_depth is None and (
            (tok.kind == "punct" and tok.text in _OPERATOR_PUNCT)
            or (tok.kind == "punct" and tok.text in _SEPARATORS and not parentheses)
            or (tok.kind == "word" and tok.text.upper() in _OPERATOR_WORDS)
        ):
            operators += 1
        previous_data = tok.is_word("DATA")
    if deepest > MAX_NESTING:
        return (f"the request nests brackets {deepest} deep (at most {MAX_NESTING} are "
                "accepted): flatten it")
    if operators > MAX_OPERATORS:
        return (f"the request chains {operators} operators and groups (at most "
                f"{MAX_OPERATORS} are accepted): split it, or use VALUES for long lists")
    return None


_remembered_shape_problem = functools.lru_cache(maxsize=CACHE_SIZE)(shape_problem)


# -- the analysis -------------------------------------------------------------------------


@dataclass
class Analysis:
    """What a query or update refers to outside the dataset it is run on."""

    service: list[str] = field(default_factory=list)  # SERVICE targets (IRI, or ?var)
    load: list[str] = field(default_factory=list)  # LOAD sources
    from_graphs: list[str] = field(default_factory=list)  # FROM
    from_named: list[str] = field(default_factory=list)  # FROM NAMED
    using: bool = False  # the update has USING / USING NAMED / WITH
    #: positions (character offsets) of the top-level WHERE keywords of DELETE/INSERT
    #: operations, where protocol-given USING clauses go
    where_positions: list[int] = field(default_factory=list)

    @property
    def remote(self) -> bool:
        return bool(self.service or self.load)


def _iri_value(token: Token, prefixes: dict[str, str], base: str | None) -> str | None:
    if token.kind == "iri":
        iri = token.text[1:-1]
        return urljoin(base, iri) if base else iri
    if token.kind == "pname":
        prefix, _, local = token.text.partition(":")
        if prefix in prefixes:
            return prefixes[prefix] + re.sub(r"\\(.)", r"\1", local)
        return token.text
    return None


#: a text without any of these words needs no lexing: it has nothing to report
_WORTH_LEXING = re.compile(r"service|load|from|using|with", re.IGNORECASE)


def analyse(text: str, *, base_iri: str | None = None, update_positions: bool = False
            ) -> Analysis:
    """Find SERVICE, LOAD, FROM and FROM NAMED in a query or update (and, with
    ``update_positions``, where the WHERE of each DELETE/INSERT operation is).

    >>> analyse('PREFIX g: <http://example.org/> SELECT * FROM g:one { ?s ?p ?o }').from_graphs
    ['http://example.org/one']

    The analysis of a text of up to ``CACHE_MAX_TEXT`` characters is remembered; each
    call returns a copy of its own.
    """
    if len(text) > CACHE_MAX_TEXT:
        return analyse_text(text, base_iri=base_iri, update_positions=update_positions)
    remembered = _remembered_analysis(text, base_iri, update_positions)
    return replace(remembered, service=list(remembered.service), load=list(remembered.load),
                   from_graphs=list(remembered.from_graphs),
                   from_named=list(remembered.from_named),
                   where_positions=list(remembered.where_positions))


def analyse_text(text: str, *, base_iri: str | None = None, update_positions: bool = False
                 ) -> Analysis:
    """``analyse`` computed afresh."""
    if not update_positions and _WORTH_LEXING.search(text) is None:
        return Analysis()
    tokens = list(tokenize(text))
    result = Analysis()
    prefixes: dict[str, str] = {}
    base = base_iri
    depth = 0
    operation_modifies = False  # inside a DELETE/INSERT operation (not DATA, not DELETE WHERE)
    previous: Token | None = None
    for i, tok in enumerate(tokens):
        following = tokens[i + 1] if i + 1 < len(tokens) else None
        if tok.kind == "punct" and tok.text == "{":
            depth += 1
        elif tok.kind == "punct" and tok.text == "}":
            depth = max(depth - 1, 0)
        elif tok.kind == "punct" and tok.text == ";" and depth == 0:
            operation_modifies = False
        elif tok.kind == "word":
            word = tok.text.upper()
            if word == "PREFIX" and following is not None and following.kind == "pname":
                after = tokens[i + 2] if i + 2 < len(tokens) else None
                if after is not None and after.kind == "iri":
                    iri = after.text[1:-1]
                    prefixes[following.text.rstrip(":").partition(":")[0]] = (
                        urljoin(base, iri) if base else iri
                    )
            elif word == "BASE" and following is not None and following.kind == "iri":
                iri = following.text[1:-1]
                base = urljoin(base, iri) if base else iri
            elif word == "SERVICE" and not (previous is not None and previous.is_word("GRAPH")):
                target = _target(tokens, i + 1, prefixes, base)
                result.service.append(target)
            elif word == "LOAD" and depth == 0:
                result.load.append(_target(tokens, i + 1, prefixes, base))
            elif word == "FROM" and depth == 0:
                named = following is not None and following.is_word("NAMED")
                at = i + 2 if named else i + 1
                if at < len(tokens):
                    iri = _iri_value(tokens[at], prefixes, base)
                    if iri is not None:
                        (result.from_named if named else result.from_graphs).append(iri)
            elif word in ("USING", "WITH") and depth == 0:
                result.using = True
            elif word in ("DELETE", "INSERT") and depth == 0:
                data_or_where = following is not None and following.is_word("DATA", "WHERE")
                if not data_or_where:
                    operation_modifies = True
            elif word == "WHERE" and depth == 0 and operation_modifies:
                result.where_positions.append(tok.start)
                operation_modifies = False
        previous = tok
    return result


@functools.lru_cache(maxsize=CACHE_SIZE)
def _remembered_analysis(text: str, base_iri: str | None, update_positions: bool) -> Analysis:
    return analyse_text(text, base_iri=base_iri, update_positions=update_positions)


def _target(tokens: list[Token], at: int, prefixes: dict[str, str], base: str | None) -> str:
    while at < len(tokens) and tokens[at].is_word("SILENT"):
        at += 1
    if at >= len(tokens):
        return "?"
    tok = tokens[at]
    value = _iri_value(tok, prefixes, base)
    return value if value is not None else tok.text


def check_remote(analysis: Analysis, *, allow_remote: bool) -> None:
    """Refuse SERVICE and LOAD unless the operator allows remote access."""
    if allow_remote:
        return
    if analysis.service:
        raise ForbiddenOperation(
            f"SERVICE {analysis.service[0]}: federated queries are disabled on this service "
            "(it does not contact other servers); query the data here, or ask the operator "
            "to turn on allow_remote"
        )
    if analysis.load:
        raise ForbiddenOperation(
            f"LOAD {analysis.load[0]}: loading documents from the web is disabled on this "
            "service (it does not contact other servers); upload the data through the Graph "
            "Store Protocol (/store) instead"
        )


def add_using(update: str, analysis: Analysis, using: list[str], using_named: list[str]) -> str:
    """The update with protocol-given ``using-graph-uri``/``using-named-graph-uri`` written
    as USING clauses before the WHERE of each DELETE/INSERT operation."""
    clauses = "".join(f"USING <{g}> " for g in using)
    clauses += "".join(f"USING NAMED <{g}> " for g in using_named)
    pieces = []
    last = 0
    for position in analysis.where_positions:
        pieces.append(update[last:position])
        pieces.append(clauses)
        last = position
    pieces.append(update[last:])
    return "".join(pieces)


# -- uploads ------------------------------------------------------------------------------

_EXTERNAL_DTD = re.compile(rb"<!DOCTYPE\s+[^\s\[>]+\s+(?:SYSTEM|PUBLIC)\b", re.IGNORECASE)
_ENTITY = re.compile(rb"<!ENTITY\s+(?P<pe>%\s+)?(?P<name>[^\s\"'>%]+)\s*")
_ENTITY_VALUE = re.compile(rb"\"(?P<dq>[^\"]*)\"|'(?P<sq>[^']*)'")
_REFERENCE = re.compile(rb"&([A-Za-z_][\w.\-]*);")
#: a document may grow this much (bytes beyond its own size) by entity expansion
MAX_ENTITY_EXPANSION = 1_000_000


def check_rdfxml(data: bytes, *, source: str = "request body") -> None:
    """Refuse XML whose DTD could make the parser reach out or blow up: an external DTD
    or external entities (SYSTEM/PUBLIC), parameter entities, entities that refer to
    other entities (the "billion laughs"), and expansions beyond ``MAX_ENTITY_EXPANSION``
    bytes.  Plain abbreviation entities (``<!ENTITY rdf "http://...">``) are fine.

    Every ``<!ENTITY`` of the document is looked at, wherever it is, so that nothing can
    hide a declaration from this check (say, behind a ``]>`` inside a quoted value).
    """
    if b"<!" not in data:
        return
    if _EXTERNAL_DTD.search(data):
        raise InputError("XML with an external DTD (SYSTEM/PUBLIC) is not accepted: the "
                         "service does not fetch documents", source=source)
    sizes: dict[bytes, int] = {}
    for entity in _ENTITY.finditer(data):
        name = entity.group("name").decode("utf-8", errors="replace")
        if entity.group("pe"):
            raise InputError(f"XML parameter entity {name!r} is not accepted", source=source)
        value = _ENTITY_VALUE.match(data, entity.end())
        if value is None:
            raise InputError(f"XML entity {name!r} is external (SYSTEM/PUBLIC) and is not "
                             "accepted: the service does not fetch documents", source=source)
        text = value.group("dq") if value.group("dq") is not None else value.group("sq")
        if b"&" in text or b"%" in text:
            raise InputError(f"XML entity {name!r} refers to other entities; nested entities "
                             "are not accepted", source=source)
        sizes[entity.group("name")] = len(text)
    if not sizes:
        return
    growth = 0
    for ref in _REFERENCE.finditer(data):
        growth += sizes.get(ref.group(1), 0)
        if growth > MAX_ENTITY_EXPANSION:
            raise InputError("XML entity references expand the document too much "
                             f"(more than {MAX_ENTITY_EXPANSION} bytes)", source=source)


#: JSON-LD contexts a document may name by IRI: none by default (the service never
#: fetches one).  Inline contexts (objects) are always fine.
ALLOWED_CONTEXTS: frozenset[str] = frozenset()


def check_jsonld(data: bytes, *, source: str = "request body") -> None:
    """Refuse JSON-LD that names a remote ``@context`` (a string, anywhere in the
    document) or imports one (``@import``): resolving it would mean fetching it."""
    try:
        document = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        line = getattr(exc, "lineno", None)
        raise InputError(f"not valid JSON: {exc}", source=source, line=line) from None
    except RecursionError:
        document = None  # deeper than Python's own limit: refused just below
    depth = _json_depth(document) if document is not None else MAX_JSON_DEPTH + 1
    if depth > MAX_JSON_DEPTH:
        raise InputError(
            f"the JSON-LD document nests objects and arrays more than {MAX_JSON_DEPTH} deep "
            "(the parser would run out of stack): flatten it", source=source)
    for context in _contexts(document):
        if isinstance(context, str) and context not in ALLOWED_CONTEXTS:
            raise InputError(
                f"the JSON-LD @context {context!r} is remote; the service does not fetch "
                "contexts: put the context inline (an object) instead", source=source)


#: the deepest nesting of objects and arrays a JSON-LD upload may have
MAX_JSON_DEPTH = 200


def _json_depth(document) -> int:
    """How deep objects and arrays nest in a parsed JSON document (without recursion)."""
    deepest = 0
    stack = [(document, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        deepest = max(deepest, depth)
        if deepest > MAX_JSON_DEPTH:
            return deepest
        stack.extend((child, depth + 1) for child in children)
    return deepest


def _contexts(node) -> Iterator:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("@context",):
                items = value if isinstance(value, list) else [value]
                for item in items:
                    yield item
                    if isinstance(item, dict):
                        if "@import" in item:
                            yield item["@import"]
                        yield from _contexts(item)
            else:
                yield from _contexts(value)
    elif isinstance(node, list):
        for item in node:
            yield from _contexts(item)
