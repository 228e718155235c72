"""Named queries: the ``.rq`` files in ``queries/`` as a small API with parameters.

Each file is valid SPARQL with grlc-style header lines::

    #+ summary: Members of a cluster, by kind
    #+ description: Every member organization of a cluster with its kind ...
    #+ params: cluster (IRI, required) the cluster
    #+ params: kind (IRI, optional) only members of this kind
    #+ example: cluster=https://w3id.org/educluster/id/tashkent-teacher-education-cluster
    #+ expect: rows=30
    #+ tags: members

Parameters are marked in the query by name, ``?_cluster`` for a required one and
``?__kind`` for an optional one (the grlc convention).  A value given by a user is
parsed into an RDF term (an IRI is checked, a literal gets its datatype) and bound with a
``VALUES`` block placed at the start of the query's outermost group: the query text
around it is never built from what the user typed, and the term is written in its
N-Triples form, where quotes and angle brackets are escaped.

``expect`` lines make the example machine-checkable; the test suite runs every example
on the example data and checks them:

- ``rows=N``, ``min_rows=N``: the number of solutions;
- ``contains=VAR:VALUE``: some solution binds ``VAR`` to ``VALUE`` (an IRI, a prefixed
  name such as ``ec:Mixed``, or a literal's lexical form);
- ``row=VAR:VALUE,VAR:VALUE``: some solution binds all of them at once;
- ``absent=VAR:VALUE``: no solution binds ``VAR`` to ``VALUE``;
- ``ask=true`` / ``ask=false`` for an ASK query.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from urllib.parse import parse_qsl

import pyoxigraph as ox

from educluster.errors import EduclusterError, InputError
from educluster.resources import query_files
from educluster.store.base import QueryResult, Store, Term
from educluster.vocab import PREFIXES

XSD = "http://www.w3.org/2001/XMLSchema#"

#: parameter types and the datatype of the literal a value becomes (None: an IRI)
PARAMETER_TYPES: dict[str, str | None] = {
    "IRI": None,
    "string": XSD + "string",
    "integer": XSD + "integer",
    "decimal": XSD + "decimal",
    "boolean": XSD + "boolean",
    "date": XSD + "date",
}

#: names a request may carry besides the parameters (they choose the answer's format)
RESERVED_NAMES = frozenset({"format"})

_NAME = re.compile(r"^[a-z][a-z0-9-]*$")
_PARAM_LINE = re.compile(
    r"^(?P<name>[A-Za-z][A-Za-z0-9_]*)\s*\((?P<type>[A-Za-z]+)\s*,\s*(?P<req>required|optional)\)"
    r"\s*(?P<description>.*)$"
)
_VARIABLE = re.compile(r"[?$](_{1,2})([A-Za-z][A-Za-z0-9_]*)")
_INTEGER = re.compile(r"^[+-]?\d+$")
_DECIMAL = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class UnknownQuery(EduclusterError):
    """No named query has that name."""


class ParameterError(InputError):
    """A parameter value is missing, unknown or not of its type."""


class NamedQueryError(EduclusterError):
    """A ``.rq`` file's header does not describe its query (a bug in the file)."""


@dataclass(frozen=True)
class Parameter:
    """One parameter of a named query."""

    name: str
    type: str
    required: bool
    description: str

    @property
    def variable(self) -> str:
        """The query variable it binds, without ``?``: ``_name`` or ``__name``."""
        return ("_" if self.required else "__") + self.name

    def term(self, value: str) -> Term:
        """Parse a user's value into an RDF term, or raise ``ParameterError``."""
        return parse_value(value, self.type, name=self.name)


@dataclass(frozen=True)
class Expectation:
    """One ``#+ expect:`` line."""

    kind: str  # rows, min_rows, contains, row, absent, ask
    value: str


@dataclass
class NamedQuery:
    """A parsed ``.rq`` file."""

    name: str
    text: str
    summary: str
    description: str = ""
    parameters: list[Parameter] = field(default_factory=list)
    example: dict[str, str] = field(default_factory=dict)
    expectations: list[Expectation] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    path: Path | None = None

    @property
    def form(self) -> str:
        """SELECT, ASK, CONSTRUCT or DESCRIBE."""
        return query_form(self.text)

    def parameter(self, name: str) -> Parameter | None:
        return next((p for p in self.parameters if p.name == name), None)

    def bind(self, values: dict[str, str]) -> dict[str, Term]:
        """Check a request's values against the parameters; return variable -> term.

        Unknown names, a missing required parameter and a value not of its type are
        ``ParameterError`` (HTTP 400).  Empty optional values count as absent."""
        unknown = sorted(set(values) - {p.name for p in self.parameters} - RESERVED_NAMES)
        if unknown:
            known = ", ".join(p.name for p in self.parameters) or "none"
            raise ParameterError(
                f"unknown parameter {unknown[0]!r} for query {self.name!r} (parameters: {known})"
            )
        bound: dict[str, Term] = {}
        for p in self.parameters:
            raw = values.get(p.name, "")
            if raw == "":
                if p.required:
                    raise ParameterError(
                        f"query {self.name!r} needs the parameter {p.name!r} ({p.type}): "
                        f"{p.description}"
                    )
                continue
            bound[p.variable] = p.term(raw)
        return bound

    def bound_text(self, bindings: dict[str, Term]) -> str:
        """The query text with a VALUES block binding ``bindings`` at the start of its
        outermost group (the text is unchanged when there is nothing to bind)."""
        if not bindings:
            return self.text
        names = sorted(bindings)
        block = (
            "VALUES (" + " ".join("?" + n for n in names) + ") { ("
            + " ".join(str(bindings[n]) for n in names) + ") }"
        )
        at = outer_group_start(self.text)
        return self.text[: at + 1] + "\n  " + block + self.text[at + 1:]

    def run(self, store: Store, values: dict[str, str]) -> QueryResult:
        """Bind the request's values and run the query on ``store``.

        The VALUES block gives the bindings their meaning; on a store that puts bindings
        into the triple patterns (Oxigraph, ``Store.binds_patterns``) the same terms are
        also handed over as ``bindings`` for the variables the query projects, so that it
        does not evaluate a nested group or a UNION branch over every value first."""
        bindings = self.bind(values)
        if not store.binds_patterns:
            return store.query(self.bound_text(bindings))
        projected = projected_variables(self.text)
        pushed = {k: v for k, v in bindings.items() if projected is None or k in projected}
        pushed.update(self._filtered_equal(bindings, projected))
        return store.query(self.bound_text(bindings), bindings=pushed or None)

    def _filtered_equal(self, bindings: dict[str, Term], projected: set[str] | None
                        ) -> dict[str, Term]:
        """An optional IRI parameter used as ``FILTER (!BOUND(?__p) || ?x = ?__p)`` with a
        projected ``?x``: given, it means ``?x`` is that IRI, so ``?x`` is pushed too (the
        FILTER alone lets Oxigraph compute every cluster first, then keep one: 1.2 s ->
        a few ms for single-points-of-failure on a 100,000-triple graph)."""
        out = {}
        for p in self.parameters:
            term = bindings.get(p.variable)
            if p.required or not isinstance(term, ox.NamedNode):
                continue
            found = re.findall(
                r"FILTER\s*\(\s*!\s*BOUND\s*\(\s*\?" + p.variable + r"\s*\)\s*\|\|\s*\?(\w+)"
                r"\s*=\s*\?" + p.variable + r"\s*\)", self.text, re.IGNORECASE)
            if len(found) != 1 or projected is None or found[0] not in projected:
                continue
            enumerated = (r"VALUES\s*(\([^)]*\?" + found[0] + r"\b[^)]*\)|\?" + found[0] + r"\b)",
                          r"\?" + found[0] + r"\s+IN\s*\(")
            if any(re.search(e, self.text, re.IGNORECASE) for e in enumerated):
                continue  # a variable the query itself enumerates stays as it is
            out[found[0]] = term
        return out

    def run_example(self, store: Store) -> QueryResult:
        return self.run(store, self.example)

    def to_json(self) -> dict:
        """The description /queries lists."""
        return {
            "name": self.name,
            "summary": self.summary,
            "description": self.description,
            "form": self.form,
            "parameters": [
                {"name": p.name, "type": p.type, "required": p.required,
                 "description": p.description}
                for p in self.parameters
            ],
            "example": self.example,
            "tags": self.tags,
        }


def parse_value(value: str, type_: str, *, name: str = "value") -> Term:
    """Parse a parameter value of a type of ``PARAMETER_TYPES`` into a term.

    An IRI may be given in full or as a prefixed name of the project's prefixes
    (``ec:Mixed``); it must be absolute and free of spaces, quotes and angle brackets."""
    if type_ == "IRI":
        iri = expand_prefixed(value.strip())
        if not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", iri) or re.search(r'[\s<>"{}|\\^`]', iri):
            raise ParameterError(f"parameter {name!r}: {value!r} is not an absolute IRI")
        try:
            return ox.NamedNode(iri)
        except ValueError as exc:
            raise ParameterError(f"parameter {name!r}: {value!r} is not an IRI ({exc})") from None
    datatype = PARAMETER_TYPES.get(type_)
    if type_ not in PARAMETER_TYPES:
        raise NamedQueryError(f"unknown parameter type {type_!r}")
    checks = {"integer": _INTEGER, "decimal": _DECIMAL, "date": _DATE}
    lexical = value.strip() if type_ != "string" else value
    if type_ in checks and not checks[type_].match(lexical):
        raise ParameterError(f"parameter {name!r}: {value!r} is not an {type_}"
                             if type_ == "integer" else
                             f"parameter {name!r}: {value!r} is not a {type_}")
    if type_ == "boolean":
        if lexical.lower() not in {"true", "false", "1", "0"}:
            raise ParameterError(f"parameter {name!r}: {value!r} is not a boolean")
        lexical = "true" if lexical.lower() in {"true", "1"} else "false"
    if "\x00" in lexical:
        raise ParameterError(f"parameter {name!r}: a value may not contain NUL")
    return ox.Literal(lexical, datatype=ox.NamedNode(datatype))


def expand_prefixed(value: str) -> str:
    """``ec:Mixed`` -> the full IRI, for the project's prefixes; anything else unchanged."""
    prefix, sep, local = value.partition(":")
    if sep and prefix in PREFIXES and not local.startswith("//"):
        return PREFIXES[prefix] + local
    return value


def query_form(text: str) -> str:
    """The form of a query (SELECT, ASK, CONSTRUCT, DESCRIBE), read past prologue and
    comments."""
    for token in _tokens(text):
        upper = token.upper()
        if upper in {"SELECT", "ASK", "CONSTRUCT", "DESCRIBE"}:
            return upper
    raise NamedQueryError("not a SPARQL query: no SELECT, ASK, CONSTRUCT or DESCRIBE")


def _scan(text: str):
    """Yield (position, char) for characters outside comments, strings and IRIs, and
    ("word", start, word) for keywords."""
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "#":
            j = text.find("\n", i)
            i = n if j < 0 else j + 1
            continue
        if c in "\"'":
            long = text.startswith(c * 3, i)
            quote = c * 3 if long else c
            j = i + len(quote)
            while j < n and not text.startswith(quote, j):
                j += 2 if text[j] == "\\" else 1
            i = j + len(quote)
            continue
        if c == "<":
            m = re.match(r"<[^<>\"{}|^`\\\s]*>", text[i:])
            if m:
                i += m.end()
                continue
        if c.isalpha():
            m = re.match(r"[A-Za-z_][A-Za-z0-9_]*", text[i:])
            yield ("word", i, m.group(0))
            i += m.end()
            continue
        if c in "?$":
            m = re.match(r"[?$][A-Za-z0-9_]+", text[i:])
            if m:
                yield ("var", i, m.group(0))
                i += m.end()
                continue
        yield ("char", i, c)
        i += 1


def _tokens(text: str):
    for kind, _, value in _scan(text):
        if kind == "word":
            yield value


def projected_variables(text: str) -> set[str] | None:
    """The variables a SELECT query projects (names without ``?``); None when it projects
    every variable in scope (``SELECT *``) or is not a SELECT query."""
    if query_form(text) != "SELECT":
        return None
    variables: set[str] = set()
    depth = 0
    in_select = False
    for kind, _, value in _scan(text):
        if kind == "word" and value.upper() == "SELECT" and not in_select:
            in_select = True
        elif not in_select:
            continue
        elif (kind == "word" and value.upper() == "WHERE") or (kind == "char" and value == "{"):
            return variables
        elif kind == "char" and value == "*" and depth == 0:
            return None
        elif kind == "char" and value in "()":
            depth += 1 if value == "(" else -1
        elif kind == "var" and (depth == 0 or (depth == 1 and _follows_as(text, value))):
            variables.add(value[1:])
    return variables


def _follows_as(text: str, variable: str) -> bool:
    return re.search(r"\bAS\s+" + re.escape(variable) + r"\b", text, re.IGNORECASE) is not None


def outer_group_start(text: str) -> int:
    """Position of the ``{`` that opens the query's WHERE group (the first ``{`` after
    the WHERE keyword, or, without it, the first ``{`` of a SELECT or ASK query)."""
    form = query_form(text)
    seen_where = False
    for kind, pos, value in _scan(text):
        if kind == "word" and value.upper() == "WHERE":
            seen_where = True
        elif kind == "char" and value == "{" and (seen_where or form in {"SELECT", "ASK"}):
            return pos
    raise NamedQueryError("cannot find the query's WHERE group")


def parse_named_query(text: str, *, name: str, path: Path | None = None) -> NamedQuery:
    """Parse the ``#+`` header of a ``.rq`` file and check it against the query."""
    if not _NAME.match(name):
        raise NamedQueryError(f"{name!r}: a query name is lower case letters, digits and '-'")
    fields: dict[str, list[str]] = {}
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped.startswith("#+"):
            continue
        key, sep, value = stripped[2:].partition(":")
        if not sep:
            raise NamedQueryError(f"{name}: header line without ':' ({stripped!r})")
        fields.setdefault(key.strip().lower(), []).append(value.strip())
    if not fields.get("summary"):
        raise NamedQueryError(f"{name}: no '#+ summary:' line")
    parameters = []
    for line in fields.get("params", []):
        m = _PARAM_LINE.match(line)
        if not m:
            raise NamedQueryError(
                f"{name}: cannot read '#+ params: {line}' (expected 'NAME (TYPE, required|"
                "optional) description')"
            )
        if m["type"] not in PARAMETER_TYPES:
            raise NamedQueryError(f"{name}: parameter {m['name']!r} has unknown type {m['type']!r}")
        if m["name"] in RESERVED_NAMES:
            raise NamedQueryError(f"{name}: {m['name']!r} is reserved")
        parameters.append(Parameter(m["name"], m["type"], m["req"] == "required",
                                    m["description"].strip()))
    query = NamedQuery(
        name=name,
        text=text,
        summary=fields["summary"][0],
        description=" ".join(fields.get("description", [])),
        parameters=parameters,
        example=dict(parse_qsl("&".join(fields.get("example", [])), keep_blank_values=True)),
        expectations=[_parse_expectation(name, e) for e in fields.get("expect", [])],
        tags=[t.strip() for line in fields.get("tags", []) for t in line.split(",") if t.strip()],
        path=path,
    )
    _check_variables(query)
    return query


def _parse_expectation(name: str, line: str) -> Expectation:
    kind, sep, value = line.partition("=")
    kind = kind.strip()
    if not sep or kind not in {"rows", "min_rows", "contains", "row", "absent", "ask"}:
        raise NamedQueryError(f"{name}: cannot read '#+ expect: {line}'")
    return Expectation(kind, value.strip())


def _check_variables(query: NamedQuery) -> None:
    """Every marked variable is a declared parameter and the other way round."""
    marked = {}
    for kind, _, value in _scan(query.text):
        if kind == "var":
            m = _VARIABLE.fullmatch(value)
            if m:
                marked[m.group(2)] = len(m.group(1)) == 1
    declared = {p.name: p.required for p in query.parameters}
    for pname, required in marked.items():
        if pname not in declared:
            raise NamedQueryError(f"{query.name}: variable for {pname!r} is not in '#+ params:'")
        if declared[pname] != required:
            raise NamedQueryError(
                f"{query.name}: {pname!r} is {'required' if declared[pname] else 'optional'} "
                f"in the header but marked {'?_' if required else '?__'} in the query"
            )
    for pname in declared:
        if pname not in marked:
            raise NamedQueryError(f"{query.name}: parameter {pname!r} is not used in the query")


@cache
def _load_all(paths: tuple[Path, ...]) -> dict[str, NamedQuery]:
    queries = {}
    for path in paths:
        text = path.read_text(encoding="utf-8")
        queries[path.stem] = parse_named_query(text, name=path.stem, path=path)
    return queries


def named_queries() -> dict[str, NamedQuery]:
    """Every named query shipped in ``queries/``, by name, in file order."""
    return _load_all(tuple(query_files()))


def get(name: str) -> NamedQuery:
    """One named query, or ``UnknownQuery``."""
    try:
        return named_queries()[name]
    except KeyError:
        raise UnknownQuery(f"no named query {name!r}") from None


def check_expectations(query: NamedQuery, result: QueryResult) -> list[str]:
    """The expectations of ``query`` that ``result`` does not meet (empty: all met)."""
    failures = []
    if result.kind == "boolean":
        answer = result.boolean()
        for e in query.expectations:
            if e.kind != "ask":
                failures.append(f"{e.kind}={e.value}: an ASK query answers only ask=")
            elif str(answer).lower() != e.value.lower():
                failures.append(f"ask={e.value}, got {str(answer).lower()}")
        return failures
    rows = [{k: term_text(v) for k, v in row.items()} for row in result.rows()]
    for e in query.expectations:
        if e.kind == "rows" and len(rows) != int(e.value):
            failures.append(f"rows={e.value}, got {len(rows)}")
        elif e.kind == "min_rows" and len(rows) < int(e.value):
            failures.append(f"min_rows={e.value}, got {len(rows)}")
        elif e.kind in {"contains", "absent", "row"}:
            pairs = [_expected_pair(p) for p in e.value.split(",")] if e.kind == "row" else [
                _expected_pair(e.value)]
            hit = any(all(row.get(var) == val for var, val in pairs) for row in rows)
            if hit != (e.kind != "absent"):
                failures.append(f"{e.kind}={e.value} not met in {len(rows)} rows")
        elif e.kind == "ask":
            failures.append("ask= on a query that is not ASK")
    return failures


def _expected_pair(text: str) -> tuple[str, str]:
    var, _, value = text.strip().partition(":")
    return var.strip(), expand_prefixed(value.strip())


def term_text(term: Term) -> str:
    """A term as plain text: an IRI's value, a literal's lexical form, a blank node's id."""
    return term.value
