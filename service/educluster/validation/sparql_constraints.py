"""SHACL-SPARQL constraints run in Oxigraph, one query per constraint where possible.

pySHACL evaluates a SPARQL-based constraint once per focus node, with per-call overhead in
Python (a graph of 100,000 triples took minutes).  SHACL defines the evaluation as the
SELECT query with ``$this`` pre-bound to each focus node; the same results come from one
query in which ``$this`` ranges over all the focus nodes of the shape's targets at once,
which is what this module runs on the store where that is exact (see ``_this_is_safe``);
elsewhere it runs the query once per focus node with the focus node written in place of
``$this`` (the substitution that defines pre-binding).  It covers node and property shapes
with ``sh:targetClass`` (with ``rdfs:subClassOf``), ``sh:targetNode``,
``sh:targetSubjectsOf``, ``sh:targetObjectsOf``; ``sh:sparql`` with ``sh:select``,
``sh:prefixes``/``sh:declare`` (and their ``owl:imports``), ``sh:message``,
``sh:deactivated``; ``$this``, ``$PATH`` (a predicate path), ``$currentShape``, ``?value``,
``?path``.  The targets are joined in only where the query does not already imply them
(see ``_targets_implied``).  The rest (forbidden forms, nested SELECTs, ``$shapesGraph``)
stays with pySHACL, and the core constraints go to ``core_constraints``; the tests check
that both routes give the same results on every case and example, and run the W3C
SHACL-SPARQL tests through this one.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass

import pyoxigraph as ox
from rdflib import RDF, SH, BNode, Graph, Literal, URIRef

_THIS = re.compile(r"\$this\b")
_PATH = re.compile(r"\$PATH\b")
_BOUND_THIS = re.compile(r"\bBOUND\s*\(\s*\$this\s*\)", re.IGNORECASE)
_WHERE = re.compile(r"\bWHERE\s*\{", re.IGNORECASE)
#: What this runner leaves to pySHACL: the variables it does not pre-bind, the forms the
#: specification forbids (pySHACL reports them), nested SELECTs.
_UNSUPPORTED = re.compile(r"\$shapesGraph\b|\bMINUS\b|\bVALUES\b|\bSERVICE\b", re.IGNORECASE)


@dataclass(frozen=True)
class SparqlConstraint:
    shape: URIRef | BNode
    constraint: URIRef | BNode

    query: str
    severity: URIRef
    messages: tuple[Literal, ...]
    path: URIRef | None
    is_property_shape: bool
    #: None: ``query`` joins the focus nodes in (one query for all); else ``query`` is run
    #: once per focus node of ``targets`` with ``$this`` substituted (SEP-0007)
    targets: str | None = None


def _prefix_lines(shapes: Graph, constraint) -> str:
    from rdflib import OWL

    lines = []
    todo = list(shapes.objects(constraint, SH.prefixes))
    seen = set()
    while todo:  # sh:prefixes, and the owl:imports of those ontologies (SHACL 5.2.2)
        ontology = todo.pop()
        if ontology in seen:
            continue
        seen.add(ontology)
        todo.extend(shapes.objects(ontology, OWL.imports))
        for declaration in shapes.objects(ontology, SH.declare):
            prefix = shapes.value(declaration, SH.prefix)
            namespace = shapes.value(declaration, SH.namespace)
            if prefix is not None and namespace is not None:
                lines.append(f"PREFIX {prefix}: <{namespace}>")
    return "\n".join(sorted(set(lines))) + "\n"


def _target_pattern(shapes: Graph, shape) -> str | None:
    parts = []
    for cls in shapes.objects(shape, SH.targetClass):
        parts.append(f"{{ ?this a/<http://www.w3.org/2000/01/rdf-schema#subClassOf>* <{cls}> }}")
    if (shape, RDF.type, URIRef("http://www.w3.org/2000/01/rdf-schema#Class")) in shapes:
        parts.append(f"{{ ?this a/<http://www.w3.org/2000/01/rdf-schema#subClassOf>* <{shape}> }}")
    for node in shapes.objects(shape, SH.targetNode):
        if isinstance(node, URIRef):
            parts.append(f"{{ BIND(<{node}> AS ?this) }}")
    for prop in shapes.objects(shape, SH.targetSubjectsOf):
        parts.append(f"{{ ?this <{prop}> ?_targetObject }}")
    for prop in shapes.objects(shape, SH.targetObjectsOf):
        parts.append(f"{{ ?_targetSubject <{prop}> ?this }}")
    if not parts:
        return None
    return "{ SELECT DISTINCT ?this WHERE { " + " UNION ".join(parts) + " } }"


def sparql_constraints(shapes: Graph) -> list[SparqlConstraint]:
    """The SPARQL-based constraints of a shapes graph, as whole-target queries."""
    found = []
    for shape, constraint in shapes.subject_objects(SH.sparql):
        if shapes.value(shape, SH.deactivated) == Literal(True) or \
                shapes.value(constraint, SH.deactivated) == Literal(True):
            continue
        select = shapes.value(constraint, SH.select)
        targets = _target_pattern(shapes, shape)
        path = shapes.value(shape, SH.path)
        if select is None or targets is None or not supported(str(select), path):
            continue
        text = str(select)
        if path is not None:
            text = _PATH.sub(f"<{path}>", text)
        if isinstance(shape, URIRef):
            text = re.sub(r"\$currentShape\b", f"<{shape}>", text)
        elif "$currentShape" in text:
            continue
        match = _WHERE.search(text)
        per_focus = None
        if _this_is_safe(text[match.end():]):
            text = _THIS.sub("?this", text)
            match = _WHERE.search(text)
            prefixes = _prefix_lines(shapes, constraint)
            text = text[: match.end()] + _not_exists_as_minus(text[match.end():])
            if not _targets_implied(shapes, shape, prefixes + text, text[match.end():]):
                text = text[: match.end()] + " " + targets + " " + text[match.end():]
        else:
            per_focus = _prefix_lines(shapes, constraint) + "SELECT ?this WHERE " + targets
        messages = tuple(shapes.objects(constraint, SH.message)) or tuple(
            shapes.objects(shape, SH.message))
        found.append(SparqlConstraint(
            shape=shape, constraint=constraint, query=_prefix_lines(shapes, constraint) + text,
            severity=shapes.value(shape, SH.severity) or SH.Violation, messages=messages,
            path=path if isinstance(path, URIRef) else None, is_property_shape=path is not None,
            targets=per_focus,
        ))
    return found


_FIRST_PATTERN = re.compile(
    r"\s*(\?\w+|<[^>\s]*>|[A-Za-z][\w.-]*:[\w.-]*|:[\w.-]*)\s+"
    r"(<[^>\s]*>|[A-Za-z][\w.-]*:[\w.-]*|:[\w.-]*|a)\s+"
    r"(\?\w+|<[^>\s]*>|[A-Za-z][\w.-]*:[\w.-]*|:[\w.-]*)(?=[\s.;,}])")
_PREFIX = re.compile(r"PREFIX\s+([A-Za-z][\w.-]*)?:\s*<([^>\s]*)>", re.IGNORECASE)
_RDF_TYPE = str(RDF.type)


def _targets_implied(shapes: Graph, shape, text: str, body: str) -> bool:
    """Whether every solution of the query is already at a focus node, so that joining the
    targets in changes nothing (it only cost time: the target join doubled the cost of the
    members' constraints).  True when the first triple pattern of the WHERE group (``body``
    follows its brace), which every solution matches, is ``?this P ?x`` with P a
    ``sh:targetSubjectsOf``, ``?x P ?this`` with P a ``sh:targetObjectsOf``, or ``?this a C``
    with C a ``sh:targetClass`` of the shape.  ``text``: the query with its prefixes."""
    match = _FIRST_PATTERN.match(body)
    if match is None:
        return False
    namespaces = {m.group(1) or "": m.group(2) for m in _PREFIX.finditer(text)}

    def iri(token: str) -> str | None:
        if token == "a":
            return _RDF_TYPE
        if token.startswith("<"):
            return token[1:-1]
        if token.startswith("?"):
            return None
        prefix, _, local = token.partition(":")
        return namespaces[prefix] + local if prefix in namespaces else None

    subject, predicate, obj = match.groups()
    predicate_iri = iri(predicate)
    if predicate_iri is None:
        return False
    if subject == "?this" and obj != "?this":
        if URIRef(predicate_iri) in set(shapes.objects(shape, SH.targetSubjectsOf)):
            return True
        if predicate_iri == _RDF_TYPE and iri(obj) is not None and \
                URIRef(iri(obj)) in set(shapes.objects(shape, SH.targetClass)):
            return True
    if obj == "?this" and subject != "?this":
        return URIRef(predicate_iri) in set(shapes.objects(shape, SH.targetObjectsOf))
    return False


_GROUP_TOKEN = re.compile(
    r'"""(?:.|\n)*?"""|\'\'\'(?:.|\n)*?\'\'\'|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|'
    r"<[^>\s]*>|#[^\n]*|\bFILTER\s+NOT\s+EXISTS\b|[?$]\w+|[{}()]", re.IGNORECASE)
#: a FILTER NOT EXISTS group made only of triple patterns with plain predicates
_PLAIN_TRIPLES = re.compile(r"[\s\w:.;,-]*")


def _not_exists_as_minus(body: str) -> str:
    """``body`` (what follows WHERE's brace) with each top-level ``FILTER NOT EXISTS { P }``
    that MINUS evaluates alike turned into ``MINUS { P }`` at the end of the group (Oxigraph
    runs MINUS as one anti-join, several times faster than NOT EXISTS once per solution
    when P joins several triple patterns; a single pattern stays a NOT EXISTS, a lookup).

    They are alike when P is a basic graph pattern of plain predicates (no paths, blank
    nodes, filters or groups) and every variable P shares with the rest of the group is
    bound in each of its solutions: by a triple pattern directly in the group, or ``?this``,
    which the focus nodes bind (this runs only where they are joined in or implied).  Then
    P with the solution substituted has a match exactly when some match of P is compatible
    with the solution, and P shares at least one variable with it, which is what MINUS
    tests; the filters of the group apply after MINUS as before it.
    """
    depth, paren = 0, 0
    blocks: list[tuple[int, int, int]] = []  # (FILTER start, inner start, inner end)
    occurrences: list[tuple[str, int, bool]] = []  # (variable, position, directly bound)
    open_block: list[int] | None = None
    end = None
    for m in _GROUP_TOKEN.finditer(body):
        token = m.group(0)
        if token == "{":
            depth += 1
            if open_block is not None and len(open_block) == 1 and depth == 1:
                open_block.append(m.end())
        elif token == "}":
            if depth == 0:
                end = m.start()
                break
            depth -= 1
            if open_block is not None and len(open_block) == 2 and depth == 0:
                blocks.append((open_block[0], open_block[1], m.start()))
                open_block = None
        elif token == "(":
            paren += 1
        elif token == ")":
            paren -= 1
        elif token[0] in "?$":
            occurrences.append((token[1:], m.start(), depth == 0 and paren == 0))
        elif token.upper().startswith("FILTER") and depth == 0 and paren == 0:
            open_block = [m.start()]
    if end is None or not blocks:
        return body
    bound = {"this"} | {name for name, _pos, direct in occurrences if direct}
    chosen = []
    for start, inner_start, inner_end in blocks:
        inner = body[inner_start:inner_end]
        skeleton = _GROUP_TOKEN.sub(
            lambda t: " " if t.group(0)[0] in "<\"'?$" else t.group(0), inner)
        if _PLAIN_TRIPLES.fullmatch(skeleton) is None or "_:" in inner:
            continue
        if not any(sep in skeleton.strip().rstrip(".") for sep in ".;,"):
            continue  # one triple pattern: one index lookup per solution is cheaper
        inside = {name for name, pos, _d in occurrences if inner_start <= pos < inner_end}
        outside = {name for name, pos, _d in occurrences
                   if not inner_start <= pos < inner_end}
        shared = inside & outside
        if shared and shared <= bound:
            chosen.append((start, inner_start, inner_end))
    if not chosen:
        return body
    out, last, minus = [], 0, []
    for start, inner_start, inner_end in chosen:
        out.append(body[last:start])
        minus.append(" MINUS {" + body[inner_start:inner_end] + "}")
        last = body.index("}", inner_end) + 1
    out.append(body[last:end])
    return "".join(out) + "".join(minus) + "\n" + body[end:]


def supported(select: str, path) -> bool:
    """Whether ``run`` evaluates this SELECT (else pySHACL does: the forms the specification
    forbids, which pySHACL reports, nested SELECTs, ``$shapesGraph``)."""
    if _UNSUPPORTED.search(select) or len(re.findall(r"\bSELECT\b", select, re.I)) > 1:
        return False
    if _PATH.search(select) and not isinstance(path, URIRef):
        return False
    return _WHERE.search(select) is not None


_TOKEN = re.compile(r'"""(?:.|\n)*?"""|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|<[^>\s]*>|'
                    r"#[^\n]*|\$this\b|[{}]|\b(?:EXISTS|OPTIONAL)\b", re.IGNORECASE)


def _this_is_safe(body: str) -> bool:
    """Whether joining the focus nodes in gives the solutions of pre-binding ``$this``.

    Pre-binding (SHACL 5.2.1) substitutes the focus node everywhere in the query; a join
    gives the same solutions where ``$this`` is seen by the whole solution: in the top-level
    group, in an ``OPTIONAL`` group directly under it, or anywhere inside
    ``FILTER [NOT] EXISTS`` (which substitutes itself).  In an inner group or a ``UNION``
    branch, evaluated on its own, ``$this`` would be unbound: such queries run once per
    focus node with the node written in place of ``$this``.  ``body`` follows WHERE's brace.
    """
    stack = ["top"]  # kinds of the open groups
    pending = None  # the keyword before the next "{"
    for m in _TOKEN.finditer(body):
        token = m.group(0)
        upper = token.upper()
        if upper in ("EXISTS", "OPTIONAL"):
            pending = upper
        elif token == "{":
            if "EXISTS" in stack or pending == "EXISTS":
                stack.append("EXISTS")
            elif pending == "OPTIONAL" and stack == ["top"]:
                stack.append("OPTIONAL")
            else:
                stack.append("inner")
            pending = None
        elif token == "}":
            stack.pop()
            if not stack:
                return True
        elif token.lower() == "$this" and "inner" in stack and "EXISTS" not in stack:
            return False
    return True


def core_shapes(shapes: Graph, constraints: list[SparqlConstraint]) -> Graph:
    """The shapes graph without the SPARQL-based constraints that ``run`` evaluates."""
    core = Graph()
    for prefix, namespace in shapes.namespaces():
        core.bind(prefix, namespace, override=True)
    handled = {(c.shape, c.constraint) for c in constraints}
    nodes = {c.constraint for c in constraints}
    for triple in shapes:
        if (triple[0], triple[2]) in handled and triple[1] == SH.sparql:
            continue
        if triple[0] in nodes and not any(
                (s, c) not in handled for s, c in ((s, triple[0]) for s in
                                                    shapes.subjects(SH.sparql, triple[0]))):
            continue
        core.add(triple)
    return core


def run(store: ox.Store, constraints: list[SparqlConstraint], *, union: bool = True
        ) -> list[dict]:
    """Evaluate the constraints on the store: one dict per result (rdflib terms), with the
    keys of ``core_constraints.run``'s."""
    return [found for task in tasks(store, constraints, union=union) for found in task()]


def tasks(store: ox.Store, constraints: list[SparqlConstraint], *, union: bool = True
          ) -> list[Callable[[], list[dict]]]:
    """``run`` as independent pieces, one per constraint (as ``core_constraints.tasks``)."""
    cache: dict = {}  # each distinct term converted once (a member is in many results)
    return [functools.partial(_evaluate, store, c, union, cache) for c in constraints]


def _evaluate(store: ox.Store, c: SparqlConstraint, union: bool, cache: dict) -> list[dict]:
    results = []
    this = ox.Variable("this")
    seen = set()
    if c.targets is None:
        batches = [(None, store.query(c.query, use_default_graph_as_union=union))]
    else:
        focus_nodes = [row["this"] for row in store.query(
            c.targets, use_default_graph_as_union=union)]
        batches = [(node, _query_for(store, c.query, node, this, union))
                   for node in focus_nodes]
    for focus_node, solutions in batches:
        names = {v.value for v in solutions.variables}
        for row in solutions:
            this_term = row["this"] if "this" in names and row["this"] is not None \
                else focus_node
            results.extend(_result(c, row, names, this_term, seen, cache))
    return results


def _query_for(store: ox.Store, query: str, node, this: ox.Variable, union: bool):
    """The query with ``$this`` pre-bound to ``node``: written into the WHERE clause (the
    substitution of SHACL 5.2.1), or, for a blank node, which a query cannot name, bound
    by Oxigraph's substitution."""
    if isinstance(node, ox.BlankNode):
        return store.query(_THIS.sub("?this", query), use_default_graph_as_union=union,
                           substitutions={this: node})
    match = _WHERE.search(query)
    body = _BOUND_THIS.sub("(true)", query[match.end():])  # a pre-bound $this is bound
    text = _THIS.sub("?this", query[: match.end()]) + _THIS.sub(lambda _m: str(node), body)
    return store.query(text, use_default_graph_as_union=union)


def _result(c: SparqlConstraint, row, names: set[str], this_term, seen: set,
            cache: dict) -> list[dict]:
    """One solution as a result (SHACL 5.3.2), or nothing if it repeats one."""

    def convert(term):
        found = cache.get(term)
        if found is None:
            found = cache[term] = rdflib_term(term)
        return found

    focus = convert(this_term)
    raw_value = row["value"] if "value" in names else None
    raw_path = row["path"] if "path" in names else None
    value = convert(raw_value) if raw_value is not None else None
    path = convert(raw_path) if raw_path is not None else c.path
    if value is None and not c.is_property_shape:
        value = focus
    key = (focus, path, value)
    if key in seen:
        return []
    seen.add(key)
    return [{"shape": c.shape, "constraint": c.constraint, "focus": focus, "value": value,
             "path": path, "severity": c.severity, "messages": c.messages,
             "component": SH.SPARQLConstraintComponent}]


def rdflib_term(term):
    """A pyoxigraph term as rdflib's (a plain literal for an xsd:string one, as rdflib
    parses it and as pySHACL reports it)."""
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if term.language:
        return Literal(term.value, lang=term.language)
    datatype = term.datatype.value
    if datatype == "http://www.w3.org/2001/XMLSchema#string":
        return Literal(term.value)
    return Literal(term.value, datatype=URIRef(datatype))
