"""The validation report: the model, and its JSON, text and RDF forms (DESIGN.md,
"Validation report").

A ``Report`` holds terms as rdflib terms so that the RDF form (the standard
``sh:ValidationReport``) keeps IRIs, blank nodes and literals apart; the JSON form gives
them as strings, with the field names fixed by DESIGN.md.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node

from educluster.vocab import EC, EC_IRI, ECSH, ID_IRI, RDF, SH, XSD

SEVERITIES = ("Violation", "Warning", "Info")

#: The order in which the text report walks the principles (DESIGN.md, "Principle shapes").
PRINCIPLE_ORDER = [
    "Regionalization", "Leadership", "Interdependence", "Specialization", "Subordination",
    "PrivateInterest", "SpecificGoals", "FailureTolerance", "EqualComponents",
    "PurposefulConnection", "UnityOfEntities", "RelationTypology", "Coordination",
    "PilotBeforeDissemination", "OntologyConsistency",
]


@dataclass
class Result:
    """One validation result."""

    severity: str  #: "Violation", "Warning" or "Info"
    principle: URIRef | None
    focus_node: Node
    message: str
    source_shape: Node | None = None
    result_path: Node | None = None
    value: Node | None = None
    label: str | None = None  #: a label of the focus node, for people
    value_label: str | None = None  #: a label of the value, for people
    explanation: str | None = None  #: a reasoner's explanation (ontology consistency)
    component: Node | None = None  #: the SHACL constraint component, where known

    def to_json(self) -> dict:
        return {
            "severity": self.severity,
            "principle": _text(self.principle),
            "focusNode": _text(self.focus_node),
            "resultPath": _text(self.result_path),
            "value": _text(self.value),
            "message": self.message,
            "sourceShape": _text(self.source_shape),
            "label": self.label,
        } | ({"explanation": self.explanation} if self.explanation else {})

    def sort_key(self) -> tuple:
        return (
            _principle_rank(self.principle),
            SEVERITIES.index(self.severity),
            (self.label or str(self.focus_node)).casefold(),
            str(self.focus_node),
            str(self.source_shape),
            str(self.value),
        )


@dataclass
class ClusterSummary:
    """A cluster of the definition: its derived orientation and why."""

    iri: str
    label: str | None = None
    orientation: str | None = None
    explanation: str = ""


@dataclass
class Report:
    """What ``educluster validate`` answers."""

    results: list[Result] = field(default_factory=list)
    clusters: dict[str, ClusterSummary] = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)  #: the files validated, for the text form
    principle_labels: dict[str, str] = field(default_factory=dict)  #: principle IRI -> label
    checked_principles: list[str] = field(default_factory=list)  #: principle IRIs checked

    @property
    def conforms(self) -> bool:
        """True when there is no result of severity Violation."""
        return not any(r.severity == "Violation" for r in self.results)

    @property
    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(SEVERITIES, 0)
        for r in self.results:
            counts[r.severity] += 1
        return counts

    # -- JSON ---------------------------------------------------------------------------
    def to_dict(self) -> dict:
        return {
            "conforms": self.conforms,
            "counts": self.counts,
            "results": [r.to_json() for r in self.results],
            "clusters": {
                iri: {"orientation": c.orientation, "explanation": c.explanation,
                      "label": c.label}
                for iri, c in self.clusters.items()
            },
        }

    def to_json(self, *, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    # -- RDF ----------------------------------------------------------------------------
    def to_graph(self) -> Graph:
        """The standard ``sh:ValidationReport``, with ``ec:principle`` on each result."""
        g = Graph()
        for prefix, ns in (("sh", SH), ("ec", EC), ("ecsh", ECSH), ("xsd", XSD)):
            g.bind(prefix, ns)
        report = BNode()
        g.add((report, RDF.type, SH.ValidationReport))
        g.add((report, SH.conforms, Literal(self.conforms)))
        for r in self.results:
            node = BNode()
            g.add((report, SH.result, node))
            g.add((node, RDF.type, SH.ValidationResult))
            g.add((node, SH.resultSeverity, SH[r.severity]))
            g.add((node, SH.focusNode, r.focus_node))
            g.add((node, SH.resultMessage, Literal(r.message)))
            if r.principle is not None:
                g.add((node, EC.principle, r.principle))
            if r.source_shape is not None:
                g.add((node, SH.sourceShape, r.source_shape))
            if r.result_path is not None:
                g.add((node, SH.resultPath, r.result_path))
            if r.value is not None:
                g.add((node, SH.value, r.value))
            if r.component is not None:
                g.add((node, SH.sourceConstraintComponent, r.component))
        return g

    def to_turtle(self) -> str:
        return self.to_graph().serialize(format="turtle")

    def to_jsonld(self) -> str:
        """The RDF report as JSON-LD (expanded form, written by Oxigraph)."""
        import pyoxigraph as ox

        nt = self.to_graph().serialize(format="nt", encoding="utf-8")
        triples = list(ox.parse(nt, format=ox.RdfFormat.N_TRIPLES))
        return (ox.serialize(triples, format=ox.RdfFormat.JSON_LD) or b"").decode("utf-8")

    # -- text ---------------------------------------------------------------------------
    def to_text(self) -> str:
        """A report for people: results grouped by principle, a verdict, the orientations."""
        lines: list[str] = []
        if self.sources:
            lines.append("Cluster definition: " + ", ".join(self.sources))
            lines.append("")
        by_principle: dict[str, list[Result]] = {}
        for r in self.results:
            by_principle.setdefault(str(r.principle) if r.principle else "", []).append(r)
        principles = list(self.checked_principles)
        principles += [p for p in by_principle if p not in principles]
        principles.sort(key=lambda p: _principle_rank(URIRef(p) if p else None))
        for p in principles:
            results = by_principle.get(p, [])
            name = self.principle_label(p)
            if not results:
                lines.append(f"{name}: ok")
                continue
            lines.append(f"{name}: {_count_phrase(results)}")
            for r in results:
                who = r.label or _short(r.focus_node)
                lines.append(f"  [{r.severity}] {who}")
                lines.append(_indent(r.message, 6))
                detail = []
                if r.value is not None and r.value != r.focus_node:
                    detail.append(f"value: {r.value_label or _short(r.value)}")
                if r.result_path is not None:
                    detail.append(f"property: {_short(r.result_path)}")
                if detail:
                    lines.append("      (" + "; ".join(detail) + ")")
                if r.explanation:
                    lines.append(_indent("Reasoner: " + r.explanation, 6))
        lines.append("")
        counts = self.counts
        tally = (f"{counts['Violation']} violation{'s' if counts['Violation'] != 1 else ''}, "
                 f"{counts['Warning']} warning{'s' if counts['Warning'] != 1 else ''}")
        if self.conforms:
            verdict = "a sound cluster definition" + (
                f" ({tally})" if counts["Warning"] else "")
            lines.append(f"Verdict: CONFORMS: {verdict}.")
        else:
            lines.append(f"Verdict: DOES NOT CONFORM: {tally}; fix the violations above.")
        for c in self.clusters.values():
            name = c.label or _short(URIRef(c.iri))
            orientation = _local(c.orientation).lower() if c.orientation else "no orientation"
            why = c.explanation
            if why.lower().startswith(orientation + ":"):
                why = why[len(orientation) + 1:].strip()
            lines.append(f"Orientation of {name}: {orientation}" + (f" ({why})" if why else ""))
        return "\n".join(lines) + "\n"

    def principle_label(self, principle: str) -> str:
        if principle in self.principle_labels:
            label = self.principle_labels[principle]
            return label[:1].upper() + label[1:]
        if not principle:
            return "Other"
        return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", _local(principle)).capitalize()


def _text(term: Node | None) -> str | None:
    if term is None:
        return None
    if isinstance(term, BNode):
        return f"_:{term}"
    return str(term)


def _principle_rank(principle: URIRef | None) -> int:
    if principle is not None and str(principle).startswith(EC_IRI):
        name = str(principle)[len(EC_IRI):]
        if name in PRINCIPLE_ORDER:
            return PRINCIPLE_ORDER.index(name)
    return len(PRINCIPLE_ORDER)


def _local(iri: str) -> str:
    return re.split(r"[#/]", str(iri).rstrip("/#"))[-1]


def _short(term: Node) -> str:
    if isinstance(term, Literal):
        return str(term)
    if isinstance(term, BNode):
        return "(unnamed node)"
    text = str(term)
    for prefix, ns in (("ec:", EC_IRI), ("sh:", str(SH)), ("org:", "http://www.w3.org/ns/org#"),
                       ("rdf:", str(RDF)), ("id:", ID_IRI)):
        if text.startswith(ns):
            return prefix + text[len(ns):]
    return text


def _count_phrase(results: list[Result]) -> str:
    parts = []
    for severity in SEVERITIES:
        n = sum(1 for r in results if r.severity == severity)
        if n:
            parts.append(f"{n} {severity.lower()}{'s' if n != 1 else ''}")
    return ", ".join(parts)


@functools.lru_cache(maxsize=1024)
def _indent(text: str, width: int) -> str:
    """The text wrapped at 92 columns and indented; remembered, since a large report repeats
    a few dozen shape messages thousands of times (wrapping them took a second at 100,000
    triples)."""
    import textwrap

    return textwrap.fill(text, width=92, initial_indent=" " * width,
                         subsequent_indent=" " * width)
