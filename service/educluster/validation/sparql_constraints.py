"""SHACL-SPARQL constraints run in Oxigraph, one query per constraint.

pySHACL evaluates a SPARQL-based constraint once per focus node, with per-call overhead in
Python (a graph of 100,000 triples took minutes).  SHACL defines the evaluation as the
SELECT query with ``$this`` pre-bound to each focus node; the same results come from one
query in which ``$this`` ranges over all the focus nodes of the shape's targets at once,
which is what this module runs on the store.  It covers what the shipped shapes use:
node shapes and property shapes with ``sh:targetClass`` (with ``rdfs:subClassOf``),
``sh:targetNode``, ``sh:targetSubjectsOf``, ``sh:targetObjectsOf``; ``sh:sparql`` with
``sh:select``, ``sh:prefixes``/``sh:declare``, ``sh:message``, ``sh:deactivated``; the
variables ``$this``, ``?value``, ``?path``.  Core constraints stay with pySHACL; the
tests check that both routes give the same results on every case and example.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pyoxigraph as ox
from rdflib import RDF, SH, BNode, Graph, Literal, URIRef

_THIS = re.compile(r"\$this\b")
_WHERE = re.compile(r"\bWHERE\s*\{", re.IGNORECASE)


@dataclass(frozen=True)
class SparqlConstraint:
    shape: URIRef | BNode
    constraint: URIRef | BNode
    query: str
    severity: URIRef
    messages: tuple[Literal, ...]
    path: URIRef | None
    is_property_shape: bool


def _prefix_lines(shapes: Graph, constraint) -> str:
    lines = []
    for ontology in shapes.objects(constraint, SH.prefixes):
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
        if select is None or targets is None:
            continue
        text = _THIS.sub("?this", str(select))
        match = _WHERE.search(text)
        if match is None:
            raise ValueError(f"cannot read the SELECT query of {constraint}")
        text = text[: match.end()] + " " + targets + " " + text[match.end():]
        messages = tuple(shapes.objects(constraint, SH.message)) or tuple(
            shapes.objects(shape, SH.message))
        path = shapes.value(shape, SH.path)
        found.append(SparqlConstraint(
            shape=shape, constraint=constraint, query=_prefix_lines(shapes, constraint) + text,
            severity=shapes.value(shape, SH.severity) or SH.Violation, messages=messages,
            path=path if isinstance(path, URIRef) else None, is_property_shape=path is not None,
        ))
    return found


def core_shapes(shapes: Graph) -> Graph:
    """The shapes graph without its SPARQL-based constraints (left to ``run``)."""
    core = Graph()
    for prefix, namespace in shapes.namespaces():
        core.bind(prefix, namespace, override=True)
    skip = set(shapes.objects(None, SH.sparql))
    for triple in shapes:
        if triple[1] == SH.sparql or triple[0] in skip:
            continue
        core.add(triple)
    return core


def run(store: ox.Store, constraints: list[SparqlConstraint], *, union: bool = True
        ) -> list[dict]:
    """Evaluate the constraints on the store: one dict per result (rdflib terms)."""
    results = []
    for c in constraints:
        seen = set()
        solutions = store.query(c.query, use_default_graph_as_union=union)
        names = {v.value for v in solutions.variables}
        for row in solutions:
            focus = _rdflib(row["this"])
            raw_value = row["value"] if "value" in names else None
            raw_path = row["path"] if "path" in names else None
            value = _rdflib(raw_value) if raw_value is not None else None
            path = _rdflib(raw_path) if raw_path is not None else c.path
            if value is None and not c.is_property_shape:
                value = focus
            key = (focus, path, value)
            if key in seen:
                continue
            seen.add(key)
            results.append({"shape": c.shape, "focus": focus, "value": value, "path": path,
                            "severity": c.severity, "messages": c.messages})
    return results


def _rdflib(term):
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
