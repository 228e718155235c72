"""The simple core constraints, each shape compiled into Oxigraph queries over the data graph.

pySHACL selects each shape's focus nodes and value nodes through its Python data-graph
interface, turning every Oxigraph term into an rdflib one (a graph of 300,000 triples spent
seconds there).  The shapes that define the principles use few core features; a shape made
only of them becomes one or two queries here, and the result is the one the SHACL
specification (and pySHACL) gives:

* targets ``sh:targetClass`` (instances through ``rdf:type/rdfs:subClassOf*`` in the data
  graph), ``sh:targetSubjectsOf``, ``sh:targetObjectsOf``, ``sh:targetNode`` (IRIs);
* a node shape, or a property shape whose ``sh:path`` is an IRI, on its own targets or as
  the ``sh:property`` of one compiled node shape (evaluated on that shape's focus nodes);
* ``sh:minCount`` and ``sh:maxCount`` (the distinct value nodes are counted; result on the
  focus node, no value), ``sh:class`` (a value node that is not an instance of the class
  through ``rdf:type/rdfs:subClassOf*``, a literal included; the value node is the value),
  ``sh:datatype`` (every value node read and checked in Python by pySHACL's own rule, which
  also rejects ill-typed literals such as ``"2026-13-45"^^xsd:date``);
* ``sh:severity`` (default ``sh:Violation``), ``sh:message`` (required: pySHACL's generated
  texts are not reproduced), ``sh:deactivated``.

Anything else in a shape (another SH predicate, several values of a parameter, a shape that
other shapes refer to otherwise, an implicit class target, a blank-node path) leaves that
whole shape, with its property shapes, to pySHACL: ``compile_shapes`` returns the shapes
graph without the compiled shapes, for pySHACL to run (``validate`` does not call pySHACL
at all when nothing is left, as with the shipped shapes).  Literal focus and value nodes
are handled (pySHACL over Oxigraph fails on them in ``sh:class``).  The tests compare
both routes on every shipped shape, the flawed examples, the synthetic graph with defects
and the W3C SHACL core cases that use these features.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import pyoxigraph as ox
from rdflib import RDF, SH, XSD, BNode, Graph, Literal, URIRef

from educluster.validation.sparql_constraints import _target_pattern

_TARGETS = {SH.targetClass, SH.targetSubjectsOf, SH.targetObjectsOf, SH.targetNode}
_PARAMETERS = {SH.minCount, SH.maxCount, SH["class"], SH.datatype}
#: SH predicates of a shape that change nothing in its results (or are read here)
_ALLOWED = _TARGETS | _PARAMETERS | {
    SH.path, SH.severity, SH.message, SH.deactivated, SH.name, SH.description, SH.order,
    SH.group,
}
_SHAPE_TYPES = {SH.NodeShape, SH.PropertyShape}
#: how a shape is reached from another one (rdf:first: a member of a list, as in sh:or)
_REFERENCES = {SH.property, SH.node, SH["not"], SH["and"], SH["or"], SH.xone,
               SH.qualifiedValueShape, RDF.first}
_COMPONENTS = {
    SH.minCount: SH.MinCountConstraintComponent,
    SH.maxCount: SH.MaxCountConstraintComponent,
    SH["class"]: SH.ClassConstraintComponent,
    SH.datatype: SH.DatatypeConstraintComponent,
}
_SUBCLASS = "<http://www.w3.org/2000/01/rdf-schema#subClassOf>"
_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"


@dataclass(frozen=True)
class CompiledShape:
    shape: URIRef | BNode
    path: URIRef | None
    severity: URIRef
    messages: tuple[Literal, ...]
    #: (component, query, kind): kind "count" (rows ?this ?n, the number of value nodes
    #: where it breaks ``min_count`` or ``max_count``; component None: either), "class"
    #: (rows ?this ?value) or "datatype" (rows ?this ?value, every value node, checked
    #: against ``datatype``)
    checks: tuple[tuple[URIRef | None, str, str], ...]
    datatype: URIRef | None = None
    min_count: int | None = None
    max_count: int | None = None


def compile_shapes(shapes: Graph) -> tuple[list[CompiledShape], Graph]:
    """(the compiled shapes, the shapes graph without them) of a shapes graph.

    A deactivated shape that could be compiled is simply left out of both (it has no
    results); the returned graph is ``shapes`` itself when nothing was compiled."""
    compiled = []
    done = set()
    for shape in _candidate_shapes(shapes):
        if shape in done:
            continue
        found = _compile(shapes, shape)
        if found is None:
            continue
        nodes, shapes_found = found
        done.update(nodes)
        compiled.extend(shapes_found)
    if not done:
        return compiled, shapes
    rest = Graph()
    for prefix, namespace in shapes.namespaces():
        rest.bind(prefix, namespace, override=True)
    for triple in shapes:
        if triple[0] not in done:
            rest.add(triple)
    return compiled, rest


def has_shapes(shapes: Graph) -> bool:
    """Whether a shapes graph still has a shape for pySHACL to evaluate (a node with a
    target, a shape type, or a shape that other shapes refer to)."""
    for predicate in (*_TARGETS, SH.property, SH.node, SH.sparql, SH.target):
        if next(iter(shapes.triples((None, predicate, None))), None) is not None:
            return True
    for shape_type in _SHAPE_TYPES:
        if next(iter(shapes.subjects(RDF.type, shape_type)), None) is not None:
            return True
    return False


def _candidate_shapes(shapes: Graph) -> list:
    found = set()
    for predicate in _TARGETS:
        found.update(shapes.subjects(predicate, None))
    for shape_type in _SHAPE_TYPES:
        found.update(shapes.subjects(RDF.type, shape_type))
    return sorted(found, key=str)


def _one(values: list):
    return values[0] if len(values) == 1 else None


def _compile(shapes: Graph, shape, parent_targets: str | None = None):
    """(the shape nodes done, their compiled shapes) of a shape and the property shapes it
    has (``sh:property``), or None when pySHACL must evaluate it.  ``parent_targets``: the
    focus nodes of the node shape whose ``sh:property`` this is."""
    triples = list(shapes.predicate_objects(shape))
    by_predicate: dict = {}
    for predicate, obj in triples:
        by_predicate.setdefault(predicate, []).append(obj)
        if predicate == RDF.type and obj not in _SHAPE_TYPES:
            return None  # perhaps an implicit class target
        if str(predicate).startswith(str(SH)) and predicate not in _ALLOWED \
                and predicate != SH.property:
            return None
    # a shape that other shapes refer to is evaluated on their focus nodes too: only the
    # sh:property of the one node shape compiled with it is taken
    references = [p for _s, p, _o in shapes.triples((None, None, shape))
                  if p in _REFERENCES]
    if references != ([SH.property] if parent_targets is not None else []):
        return None
    for predicate in (SH.path, SH.severity, SH.deactivated, *_PARAMETERS):
        if len(by_predicate.get(predicate, [])) > 1:
            return None
    path = _one(by_predicate.get(SH.path, [None]))
    if path is not None and not isinstance(path, URIRef):
        return None
    if parent_targets is not None and (path is None or any(t in by_predicate for t in _TARGETS)):
        return None
    children = by_predicate.get(SH.property, [])
    if children and path is not None:
        return None  # the children's value nodes would start at this shape's value nodes
    deactivated = _one(by_predicate.get(SH.deactivated, [None]))
    deactivated_shapes = False
    if deactivated is not None:
        if not isinstance(deactivated, Literal):
            return None
        deactivated_shapes = bool(deactivated.value)
    if any(not isinstance(n, URIRef) for t in _TARGETS for n in by_predicate.get(t, [])):
        return None
    messages = tuple(by_predicate.get(SH.message, []))
    if not messages and (not deactivated_shapes or children):
        return None  # pySHACL writes its own texts
    targets = parent_targets or _target_pattern(shapes, shape)
    if targets is None:  # no focus node (and no other shape refers to it): no result
        targets = "FILTER (false)"
    nodes, compiled = {shape}, []
    for child in children:
        found = _compile(shapes, child, targets)
        if found is None:
            return None
        nodes.update(found[0])
        compiled.extend(found[1])
    if deactivated_shapes:
        return nodes, []  # pySHACL skips it and its property shapes
    severity = _one(by_predicate.get(SH.severity, [SH.Violation]))
    if not isinstance(severity, URIRef):
        return None
    checks = []
    values = f"?this <{path}> ?value ." if path is not None else "BIND (?this AS ?value)"
    min_count = _one(by_predicate.get(SH.minCount, [None]))
    max_count = _one(by_predicate.get(SH.maxCount, [None]))
    tests = []
    for bound, test in ((min_count, "?n < {}"), (max_count, "?n > {}")):
        if bound is None:
            continue
        if path is None or not _is_integer(bound):
            return None
        tests.append(test.format(bound.value))
    if tests:  # sh:minCount and sh:maxCount from one count of the value nodes
        checks.append((None, f"""
            SELECT ?this ?n WHERE {{
              {{ SELECT ?this (COUNT(DISTINCT ?value) AS ?n) WHERE {{
                  {targets}
                  OPTIONAL {{ {values} }}
                }} GROUP BY ?this }}
              FILTER ({" || ".join(tests)})
            }}""", "count"))
    cls = _one(by_predicate.get(SH["class"], [None]))
    if cls is not None:
        if not isinstance(cls, URIRef):
            return None
        checks.append((_COMPONENTS[SH["class"]], f"""
            SELECT DISTINCT ?this ?value WHERE {{
              {targets}
              {values}
              FILTER NOT EXISTS {{ ?value {_TYPE}/{_SUBCLASS}* <{cls}> }}
            }}""", "class"))
    datatype = _one(by_predicate.get(SH.datatype, [None]))
    if datatype is not None:
        if not isinstance(datatype, URIRef):
            return None
        checks.append((_COMPONENTS[SH.datatype], f"""
            SELECT DISTINCT ?this ?value WHERE {{
              {targets}
              {values}
            }}""", "datatype"))
    compiled.append(CompiledShape(
        shape=shape, path=path, severity=severity, messages=messages, checks=tuple(checks),
        datatype=datatype, min_count=min_count.value if min_count is not None else None,
        max_count=max_count.value if max_count is not None else None))
    return nodes, compiled


def _is_integer(term) -> bool:
    return isinstance(term, Literal) and isinstance(term.value, int) \
        and not isinstance(term.value, bool) and term.value >= 0


def run(store: ox.Store, compiled: list[CompiledShape], *, union: bool = True) -> list[dict]:
    """Evaluate the compiled shapes on the store: one dict per result (rdflib terms)."""
    return [found for task in tasks(store, compiled, union=union) for found in task()]


def tasks(store: ox.Store, compiled: list[CompiledShape], *, union: bool = True
          ) -> list[Callable[[], list[dict]]]:
    """``run`` as independent pieces, one per query (their results, in order, are
    ``run``'s): Oxigraph evaluates a query without the interpreter lock, so that pieces
    may run in threads side by side."""
    convert = _Converter()
    return [functools.partial(_check, store, shape, component, query, kind, union, convert)
            for shape in compiled for component, query, kind in shape.checks]


def _check(store: ox.Store, shape: CompiledShape, component, query: str, kind: str,
           union: bool, convert: _Converter) -> list[dict]:
    results = []
    seen = set()
    for row in store.query(query, use_default_graph_as_union=union):
        focus = convert(row["this"])
        if kind == "count":
            n = int(row["n"].value)
            found = [(c, None) for c, broken in (
                (SH.MinCountConstraintComponent,
                 shape.min_count is not None and n < shape.min_count),
                (SH.MaxCountConstraintComponent,
                 shape.max_count is not None and n > shape.max_count)) if broken]
        else:
            value = convert(row["value"])
            if kind == "datatype" and _datatype_matches(value, shape.datatype):
                continue
            found = [(component, value)]
        for found_component, value in found:
            key = (found_component, focus, value)
            if key in seen:
                continue
            seen.add(key)
            results.append({
                "shape": shape.shape, "focus": focus, "value": value,
                "path": shape.path, "severity": shape.severity,
                "messages": shape.messages, "component": found_component,
            })
    return results


class _Converter:
    """Oxigraph terms to rdflib ones as pySHACL's Oxigraph data graph converts them
    (``pyshacl.graph_abstraction.to_rdf``: a literal keeps its datatype, ``xsd:string``
    included), once per distinct term."""

    def __init__(self) -> None:
        self._cache: dict = {}

    def __call__(self, term):
        found = self._cache.get(term)
        if found is None:
            found = self._cache[term] = _to_rdf(term)
        return found


def _to_rdf(term):
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if term.language is not None:
        return Literal(term.value, lang=term.language)
    return Literal(term.value, datatype=URIRef(term.datatype.value))


_RDFS_LITERAL = URIRef("http://www.w3.org/2000/01/rdf-schema#Literal")
_RDFS_DATATYPE = URIRef("http://www.w3.org/2000/01/rdf-schema#Datatype")


def _datatype_matches(value, datatype: URIRef) -> bool:
    """pySHACL's DatatypeConstraintComponent on one value node (SHACL 4.1.2): a literal of
    the datatype that is not ill-typed (rdflib could read its lexical form as the datatype's
    Python value), with rdfs:Literal and rdfs:Datatype matching any (typed) literal."""
    if not isinstance(value, Literal):
        return False
    if value.datatype == datatype:
        if getattr(value, "ill_typed", None) is True:
            return False
        return _value_is(value, datatype)
    if datatype == _RDFS_LITERAL:
        return True
    if datatype == _RDFS_DATATYPE and value.datatype:
        return True
    if value.datatype is None and value.language is None and datatype == XSD.string:
        return _value_is(value, datatype)
    if datatype == RDF.langString and value.language:
        return _value_is(value, datatype)
    return False


def _value_is(literal: Literal, datatype: URIRef) -> bool:
    """pySHACL's ``_assert_actual_datatype``: the literal's Python value has the type the
    datatype stands for (other datatypes pass)."""
    from datetime import date, datetime, time
    from decimal import Decimal

    value = literal.value
    expected = {
        XSD.string: (str, bytes), RDF.langString: (str, bytes), XSD.integer: int,
        XSD.float: float, XSD.decimal: Decimal, XSD.boolean: bool, XSD.date: date,
        XSD.time: time, XSD.dateTime: datetime,
    }.get(datatype)
    return expected is None or isinstance(value, expected)
