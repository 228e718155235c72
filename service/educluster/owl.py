"""Check a cluster definition against the ontology's own OWL axioms with HermiT.

``check_consistency(data)`` loads the shipped ontology (``ontology/*.ttl``) and the data into a
fresh owlready2 ``World``, runs the HermiT reasoner on them and returns the problems it finds,
in plain words:

- the data contradicts the axioms (HermiT: "inconsistent ontology"), for instance a
  participant of two disjoint kinds, or two different values of a functional property;
- a class is unsatisfiable (HermiT makes it equivalent to ``owl:Nothing``).

HermiT says *that* the definition is inconsistent, not why.  For the contradictions an
analyst can make (disjoint kinds, stated or entailed by a property's domain or range; two
values of a functional property, stated or entailed by a class such as ``ec:VerticalCluster``),
this module finds the culprit itself, with a short account of the axioms involved, and
reports it on the resource at fault.  Defects the reasoner cannot judge (text where a
property takes a resource and the reverse, a literal that does not fit the property's
datatype, two values of a functional datatype property: HermiT does not know ``xsd:date``)
are found before the reasoner runs and reported the same way.

Names in the data are taken to denote different things (the unique name assumption) unless
``owl:sameAs`` says otherwise: an analyst who writes two regions for one cluster means two
regions, and OWL alone would quietly merge them.

owlready2 cannot read Turtle, so the graphs are converted with rdflib to N-Triples.  Every call
runs in its own owlready2 ``World``; Java's and owlready2's output never reaches stdout.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import re
import shutil
import subprocess
import tempfile
import threading
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import cache

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SKOS, XSD

from educluster.errors import EduclusterError
from educluster.resources import ontology_files
from educluster.vocab import EC_IRI

log = logging.getLogger(__name__)

# owlready2 keeps some global state (the default world, the current namespaces); one check at
# a time keeps the Worlds of concurrent requests apart.
_LOCK = threading.Lock()

_BUILTIN_NAMESPACES = (str(RDF), str(RDFS), str(OWL), str(XSD))
_BUILTIN_ANNOTATIONS = {RDFS.label, RDFS.comment, RDFS.seeAlso, RDFS.isDefinedBy,
                        OWL.versionInfo, OWL.deprecated}

# Datatypes whose lexical forms rdflib checks; a property with one of these ranges accepts
# literals of the same datatype, or of a derived one listed here.
_NUMERIC = {XSD.integer, XSD.nonNegativeInteger, XSD.positiveInteger, XSD.int, XSD.long,
            XSD.short, XSD.byte, XSD.unsignedInt, XSD.unsignedLong, XSD.nonPositiveInteger,
            XSD.negativeInteger}
_COMPATIBLE = {
    XSD.integer: _NUMERIC,
    XSD.nonNegativeInteger: _NUMERIC,
    XSD.positiveInteger: _NUMERIC,
    XSD.decimal: _NUMERIC | {XSD.decimal},
    XSD.date: {XSD.date},
    XSD.dateTime: {XSD.dateTime, XSD.dateTimeStamp},
    XSD.boolean: {XSD.boolean},
}


@dataclass(frozen=True)
class OwlProblem:
    """One way in which the data contradicts the ontology.

    ``message`` says it in plain words; ``focus_node`` is the IRI of the resource at fault
    (None when the reasoner could not point at one); ``explanation`` names the axioms
    involved and what HermiT concluded, when that is known.
    """

    message: str
    focus_node: str | None = None
    explanation: str | None = None


DEFAULT_TIMEOUT = 300.0  # seconds for one HermiT run


def check_consistency(data: Graph | None = None, *, unique_names: bool = True,
                      justify: bool = True,
                      timeout: float | None = DEFAULT_TIMEOUT) -> list[OwlProblem]:
    """Check the ontology, and ``data`` with it, for consistency with HermiT.

    Returns an empty list when the ontology and the data agree.  ``unique_names=False`` drops
    the unique name assumption (then two values of a functional property are merged, as OWL
    does, unless they are known to be different).  With ``justify`` (the default), an
    inconsistency is also explained by HermiT itself: a minimal set of axioms that contradict
    each other (a few seconds more, and only when the definition is inconsistent).  Raises
    ``EduclusterError`` when Java is missing, when HermiT fails, or when it runs longer than
    ``timeout`` seconds (the Java process is then stopped).
    """
    java = _java_executable()
    ontology = ontology_graph()
    model = _Model(ontology, data if data is not None else Graph())
    problems = model.structural_problems()
    reasoner_input = model.reasoner_graph(unique_names=unique_names)
    with _LOCK:
        consistent, unsatisfiable = _run_hermit(reasoner_input, java, timeout)
    if not consistent:
        found = model.diagnose(unique_names=unique_names)
        justification = _justify(reasoner_input, java, timeout) if justify else None
        problems.extend(model.with_justification(found, justification))
    for cls in unsatisfiable:
        problems.append(model.unsatisfiable_problem(cls))
    return problems


@cache
def _ontology_ntriples() -> str:
    graph = Graph()
    for path in ontology_files():
        graph.parse(path, format="turtle")
    return graph.serialize(format="nt", encoding="utf-8").decode("utf-8")


def ontology_graph() -> Graph:
    """A fresh rdflib graph of the shipped ontology (parsed once per process)."""
    graph = Graph()
    graph.parse(data=_ontology_ntriples(), format="nt")
    return graph


# ---------------------------------------------------------------------------------------
# Running HermiT
# ---------------------------------------------------------------------------------------

def _java_executable() -> str:
    import owlready2

    java = owlready2.JAVA_EXE
    found = java if os.path.isabs(java) and os.access(java, os.X_OK) else shutil.which(java)
    if not found:
        raise EduclusterError(
            f"the OWL check needs Java for the HermiT reasoner, and {java!r} was not found: "
            "install a Java runtime (for instance the Debian package default-jre-headless)")
    return found


def _run_hermit(graph: Graph, java: str, timeout: float | None) -> tuple[bool, list[str]]:
    """Run HermiT on ``graph``; return (consistent?, IRIs of the unsatisfiable classes)."""
    import owlready2

    noise = io.StringIO()
    with tempfile.TemporaryDirectory(prefix="educluster-owl-") as tmp:
        path = os.path.join(tmp, "input.nt")
        graph.serialize(path, format="nt", encoding="utf-8")
        world = owlready2.World()
        previous_java = owlready2.JAVA_EXE
        # HermiT's command line makes a base IRI of the working directory and fails where
        # it cannot (in "/", for one): Java runs in the temporary directory instead.
        subprocess_options = getattr(owlready2.reasoning, "_subprocess_kargs", None)
        previous = dict(subprocess_options) if subprocess_options is not None else None
        try:
            with contextlib.redirect_stdout(noise), contextlib.redirect_stderr(noise):
                owlready2.JAVA_EXE = java
                if subprocess_options is not None:
                    # owlready2 hands these to subprocess.check_output
                    subprocess_options["cwd"] = tmp
                    if timeout is not None:
                        subprocess_options["timeout"] = timeout
                onto = world.get_ontology("file://" + path).load(format="ntriples")
                try:
                    with onto:
                        owlready2.sync_reasoner_hermit(
                            world, infer_property_values=False, debug=0,
                            ignore_unsupported_datatypes=True)
                except owlready2.OwlReadyInconsistentOntologyError:
                    return False, []
                except subprocess.TimeoutExpired as exc:
                    raise EduclusterError(
                        f"the HermiT reasoner did not finish within {timeout:g} seconds; "
                        "the definition may be too large for the OWL check") from exc
                except owlready2.OwlReadyJavaError as exc:
                    raise EduclusterError(
                        f"the HermiT reasoner failed: {_first_line(exc)}") from exc
                unsatisfiable = sorted(
                    cls.iri for cls in world.inconsistent_classes()
                    if getattr(cls, "iri", "") and cls.iri != str(OWL.Nothing))
                return True, unsatisfiable
        finally:
            owlready2.JAVA_EXE = previous_java
            if subprocess_options is not None and previous is not None:
                subprocess_options.clear()
                subprocess_options.update(previous)
            with contextlib.suppress(Exception):
                world.close()
            if noise.getvalue().strip():
                log.debug("owlready2 output: %s", noise.getvalue())


def _first_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    useful = [line for line in lines if "Exception" in line or "Error" in line]
    return (useful or lines or ["no message"])[-1][:300]


_JUSTIFIER = os.path.join(os.path.dirname(__file__), "java", "ExplainInconsistency.java")


def _justify(graph: Graph, java: str, timeout: float | None) -> list[tuple[str, str]] | None:
    """HermiT's justification of an inconsistency: [("DATA" | "ONTOLOGY", axiom), ...].

    Runs ``java/ExplainInconsistency.java`` with Java's single-file source launcher (a JDK is
    needed for that; with a bare JRE there is no justification, and None is returned).
    """
    import owlready2

    jar = os.path.join(os.path.dirname(owlready2.__file__), "hermit", "HermiT.jar")
    with tempfile.TemporaryDirectory(prefix="educluster-owl-") as tmp:
        ontology_path = os.path.join(tmp, "ontology.nt")
        combined_path = os.path.join(tmp, "combined.nt")
        with open(ontology_path, "w", encoding="utf-8") as out:
            out.write(_ontology_ntriples())
        graph.serialize(combined_path, format="nt", encoding="utf-8")
        command = [java, f"-Xmx{owlready2.JAVA_MEMORY}M", "-cp", jar, _JUSTIFIER,
                   ontology_path, combined_path]
        try:
            done = subprocess.run(command, capture_output=True, text=True, encoding="utf-8",
                                  timeout=timeout, check=False, cwd=tmp)
        except (OSError, subprocess.TimeoutExpired) as exc:
            log.debug("no justification from HermiT: %s", exc)
            return None
    lines = done.stdout.splitlines()
    if done.returncode != 0 or "INCONSISTENT" not in lines:
        log.debug("no justification from HermiT (exit %s): %s", done.returncode,
                  done.stderr[-2000:])
        return None
    axioms = []
    for line in lines:
        origin, _, axiom = line.partition(" ")
        if origin in ("DATA", "ONTOLOGY") and axiom:
            axioms.append((origin, axiom.strip()))
    return axioms


# ---------------------------------------------------------------------------------------
# The model: the ontology's axioms as Python tables, and the data checked against them
# ---------------------------------------------------------------------------------------

class _Model:
    def __init__(self, ontology: Graph, data: Graph):
        self.ontology = ontology
        self.data = data
        self.removed: set[tuple] = set()
        o = ontology
        self.object_properties = set(o.subjects(RDF.type, OWL.ObjectProperty))
        self.datatype_properties = set(o.subjects(RDF.type, OWL.DatatypeProperty))
        self.annotation_properties = set(o.subjects(RDF.type, OWL.AnnotationProperty))
        self.functional = set(o.subjects(RDF.type, OWL.FunctionalProperty))
        self.declared = {s for s in o.subjects() if isinstance(s, URIRef)}
        self.classes = set(o.subjects(RDF.type, OWL.Class))
        self.superclasses: dict[URIRef, set[URIRef]] = defaultdict(set)
        for sub, sup in o.subject_objects(RDFS.subClassOf):
            if isinstance(sub, URIRef) and isinstance(sup, URIRef):
                self.superclasses[sub].add(sup)
        self.equivalents: dict[URIRef, set[URIRef]] = defaultdict(set)
        for a, b in o.subject_objects(OWL.equivalentClass):
            if isinstance(a, URIRef) and isinstance(b, URIRef):
                self.superclasses[a].add(b)
                self.superclasses[b].add(a)
                self.equivalents[a].add(b)
                self.equivalents[b].add(a)
        self.domain = {p: d for p, d in o.subject_objects(RDFS.domain) if isinstance(d, URIRef)}
        self.range = {p: r for p, r in o.subject_objects(RDFS.range) if isinstance(r, URIRef)}
        self.inverse: dict[URIRef, URIRef] = {}
        for p, q in o.subject_objects(OWL.inverseOf):
            if isinstance(p, URIRef) and isinstance(q, URIRef):
                self.inverse[p] = q
                self.inverse[q] = p
        self.disjoint_groups: list[list[URIRef]] = []
        for group in o.subjects(RDF.type, OWL.AllDisjointClasses):
            self.disjoint_groups.append(list(o.items(o.value(group, OWL.members))))
        for a, b in o.subject_objects(OWL.disjointWith):
            self.disjoint_groups.append([a, b])
        self.different_groups: list[set] = [
            set(o.items(o.value(group, OWL.distinctMembers)))
            for group in o.subjects(RDF.type, OWL.AllDifferent)]
        # Classes that imply a value of a property: C ⊑ (p hasValue v) or C ≡ (X ⊓ p hasValue v)
        self.implied_values: dict[URIRef, list[tuple[URIRef, URIRef]]] = defaultdict(list)
        for cls, restriction in o.subject_objects(RDFS.subClassOf):
            self._add_has_value(cls, restriction)
        for cls, equivalent in o.subject_objects(OWL.equivalentClass):
            for part in o.items(o.value(equivalent, OWL.intersectionOf)):
                self._add_has_value(cls, part)

    def _add_has_value(self, cls, restriction) -> None:
        if isinstance(cls, URIRef) and isinstance(restriction, BNode):
            prop = self.ontology.value(restriction, OWL.onProperty)
            value = self.ontology.value(restriction, OWL.hasValue)
            if isinstance(prop, URIRef) and value is not None:
                self.implied_values[cls].append((prop, value))

    # -- names ---------------------------------------------------------------------------

    def name(self, term) -> str:
        """A resource as an analyst reads it: its label and its IRI."""
        if isinstance(term, Literal):
            return f'"{term}"'
        label = None
        for graph in (self.data, self.ontology):
            for prop in (RDFS.label, SKOS.prefLabel):
                labels = list(graph.objects(term, prop))
                english = [x for x in labels
                           if isinstance(x, Literal) and x.language in (None, "en")]
                if english or labels:
                    label = str((english or labels)[0])
                    break
            if label:
                break
        short = self.short(term)
        return f"{label} ({short})" if label and label != short else short

    @staticmethod
    def short(term) -> str:
        text = str(term)
        for prefix, iri in (("ec:", EC_IRI), ("org:", "http://www.w3.org/ns/org#"),
                            ("foaf:", "http://xmlns.com/foaf/0.1/"), ("skos:", str(SKOS)),
                            ("owl:", str(OWL)), ("xsd:", str(XSD)),
                            ("id:", "https://w3id.org/educluster/id/")):
            if text.startswith(iri):
                return prefix + text[len(iri):]
        return f"_:{text}" if isinstance(term, BNode) else f"<{text}>"

    def class_label(self, cls) -> str:
        labels = [x for x in self.ontology.objects(cls, RDFS.label)
                  if isinstance(x, Literal) and x.language in (None, "en")]
        return str(labels[0]) if labels else self.short(cls)

    def a(self, cls) -> str:
        """A class's label with its indefinite article ("an enterprise")."""
        label = self.class_label(cls)
        return f"an {label}" if label[:1].lower() in "aeiou" else f"a {label}"

    def canonical(self, cls):
        """One representative of the classes equivalent to ``cls`` (org:Organization, foaf:...)."""
        return min((cls, *self.equivalents.get(cls, ())), key=str)

    @staticmethod
    def focus(term) -> str | None:
        return str(term) if isinstance(term, URIRef) else None

    # -- before the reasoner -------------------------------------------------------------

    def structural_problems(self) -> list[OwlProblem]:
        """Defects HermiT cannot judge; the offending triples are kept from the reasoner."""
        problems: list[OwlProblem] = []
        values: dict[tuple, list[Literal]] = defaultdict(list)
        for s, p, o in self.data:
            if isinstance(p, URIRef) and str(p).startswith(EC_IRI) and p not in self.declared:
                problems.append(OwlProblem(
                    message=(f"{self.name(s)} uses {self.short(p)}, which is not a term of the "
                             "educluster ontology (a misspelling?)."),
                    focus_node=self.focus(s),
                    explanation=f"The ontology declares no property {self.short(p)}."))
                continue
            if p == RDF.type and isinstance(o, URIRef) and str(o).startswith(EC_IRI) \
                    and o not in self.declared:
                problems.append(OwlProblem(
                    message=(f"{self.name(s)} is typed {self.short(o)}, which is not a class of "
                             "the educluster ontology (a misspelling?)."),
                    focus_node=self.focus(s),
                    explanation=f"The ontology declares no class {self.short(o)}."))
                continue
            if p in self.object_properties and isinstance(o, Literal):
                self.removed.add((s, p, o))
                problems.append(OwlProblem(
                    message=(f"{self.name(s)} has {self.short(p)} {self.name(o)}, but "
                             f"{self.short(p)} links to a resource, not to a text or a number."),
                    focus_node=self.focus(s),
                    explanation=f"{self.short(p)} is an owl:ObjectProperty in the ontology."))
            elif p in self.datatype_properties and not isinstance(o, Literal):
                self.removed.add((s, p, o))
                problems.append(OwlProblem(
                    message=(f"{self.name(s)} has {self.short(p)} {self.name(o)}, but "
                             f"{self.short(p)} takes a value (a text, a number or a date), "
                             "not a resource."),
                    focus_node=self.focus(s),
                    explanation=f"{self.short(p)} is an owl:DatatypeProperty in the ontology."))
            elif p in self.datatype_properties:
                bad = self._literal_fault(p, o)
                if bad:
                    self.removed.add((s, p, o))
                    problems.append(OwlProblem(
                        message=f"{self.name(s)} has {self.short(p)} {self.name(o)}: {bad}.",
                        focus_node=self.focus(s),
                        explanation=(f"The range of {self.short(p)} is "
                                     f"{self.short(self.range[p])} (rdfs:range in the ontology).")))
                elif p in self.functional:
                    values[(s, p)].append(o)
        for (s, p), literals in values.items():
            distinct = sorted(_distinct_literals(literals), key=str)
            if len(distinct) > 1:
                for o in literals:
                    self.removed.add((s, p, o))
                shown = ", ".join(self.name(x) for x in distinct)
                problems.append(OwlProblem(
                    message=(f"{self.name(s)} has {len(distinct)} different values of "
                             f"{self.short(p)} ({shown}), but it can have only one."),
                    focus_node=self.focus(s),
                    explanation=f"{self.short(p)} is an owl:FunctionalProperty in the ontology."))
        return problems

    def _literal_fault(self, prop, literal: Literal) -> str | None:
        expected = self.range.get(prop)
        if expected is None or expected not in _COMPATIBLE:
            return None
        if literal.datatype not in _COMPATIBLE[expected]:
            kind = self.short(literal.datatype) if literal.datatype else "a plain text"
            return f"the value must be {self.short(expected)}, not {kind}"
        if literal.ill_typed:
            return f"{str(literal)!r} is not a valid {self.short(literal.datatype)}"
        value = literal.toPython()
        if expected == XSD.nonNegativeInteger and isinstance(value, int) and value < 0:
            return "a number of zero or more is expected"
        if expected == XSD.positiveInteger and isinstance(value, int) and value < 1:
            return "a number of one or more is expected"
        return None

    def reasoner_graph(self, *, unique_names: bool) -> Graph:
        """The ontology plus the data, made readable for an OWL 2 DL reasoner.

        Under the unique name assumption the names that OWL could merge are declared
        different.  With this ontology only a functional property makes a reasoner merge two
        names (two values of it), so those values are the names declared different: the
        assumption costs HermiT little even for a large definition.
        """
        graph = Graph()
        for triple in self.ontology:
            graph.add(triple)
        declared_here: set[URIRef] = set()
        mergeable: set[URIRef] = set()
        same_as: set[URIRef] = set()
        functional_inverses = {q for p, q in self.inverse.items() if p in self.functional}
        for s, p, o in self.data:
            if (s, p, o) in self.removed:
                continue
            if p == RDF.type and isinstance(o, BNode) and (o, None, None) not in self.data:
                continue  # a type pointing at a class expression that was not copied
            graph.add((s, p, o))
            if p == OWL.sameAs:
                same_as.update(x for x in (s, o) if isinstance(x, URIRef))
            if p in self.functional and isinstance(o, URIRef):
                mergeable.add(o)
            if p in functional_inverses and isinstance(s, URIRef):
                mergeable.add(s)
            if isinstance(p, URIRef) and p not in self.declared and p not in declared_here \
                    and p != RDF.type and not str(p).startswith(_BUILTIN_NAMESPACES):
                declared_here.add(p)
                graph.add((p, RDF.type, OWL.AnnotationProperty))
            if p == RDF.type and isinstance(o, URIRef) and o not in self.declared \
                    and o not in declared_here and not str(o).startswith(_BUILTIN_NAMESPACES):
                declared_here.add(o)
                graph.add((o, RDF.type, OWL.Class))
        if unique_names:
            names = sorted(x for x in mergeable - same_as if x not in self.declared)
            if len(names) > 1:
                group = BNode()
                graph.add((group, RDF.type, OWL.AllDifferent))
                graph.add((group, OWL.distinctMembers, _rdf_list(graph, names)))
        return graph

    # -- after the reasoner --------------------------------------------------------------

    def _data_triples(self) -> Iterable[tuple]:
        return ((s, p, o) for s, p, o in self.data if (s, p, o) not in self.removed)

    def types(self) -> dict:
        """Each resource's classes, stated or entailed, with the reason for each."""
        reasons: dict = defaultdict(dict)

        def add(node, cls, why):
            if cls not in reasons[node]:
                reasons[node][cls] = why

        for s, p, o in self._data_triples():
            if p == RDF.type and isinstance(o, URIRef):
                add(s, o, f"it is stated to be {self.a(o)}")
                continue
            if p not in self.object_properties and p not in self.datatype_properties:
                continue
            if p in self.domain:
                add(s, self.domain[p], f"it has {self.short(p)}, whose domain is "
                                       f"{self.short(self.domain[p])}")
            if p in self.range and not isinstance(o, Literal):
                add(o, self.range[p], f"{self.name(s)} has it as {self.short(p)}, and the "
                                      f"range of {self.short(p)} is {self.short(self.range[p])}")
            inverse = self.inverse.get(p)
            if inverse is not None and not isinstance(o, Literal):
                if inverse in self.domain:
                    add(o, self.domain[inverse], f"{self.name(s)} has it as {self.short(p)}, "
                        f"the inverse of {self.short(inverse)}, whose domain is "
                        f"{self.short(self.domain[inverse])}")
                if inverse in self.range:
                    add(s, self.range[inverse], f"it has {self.short(p)}, the inverse of "
                        f"{self.short(inverse)}, whose range is {self.short(self.range[inverse])}")
        for node in list(reasons):
            queue = list(reasons[node])
            while queue:
                cls = queue.pop()
                for sup in self.superclasses.get(cls, ()):
                    if sup not in reasons[node]:
                        if self.canonical(sup) == self.canonical(cls):
                            reasons[node][sup] = reasons[node][cls]
                        else:
                            reasons[node][sup] = (f"{reasons[node][cls]}, and every "
                                                  f"{self.class_label(cls)} is {self.a(sup)}")
                        queue.append(sup)
        return reasons

    def diagnose(self, *, unique_names: bool) -> list[OwlProblem]:
        reasons = self.types()
        problems = self._disjoint_kinds(reasons)
        already = {p.focus_node for p in problems}
        problems.extend(p for p in self._functional_clashes(reasons, unique_names=unique_names)
                        if p.focus_node is None or p.focus_node not in already)
        return problems

    def _disjoint_kinds(self, reasons: dict) -> list[OwlProblem]:
        problems = []
        for node, classes in reasons.items():
            seen: set[frozenset] = set()
            for group in self.disjoint_groups:
                present = [c for c in group if c in classes]
                for i, a in enumerate(present):
                    for b in present[i + 1:]:
                        pair = frozenset((self.canonical(a), self.canonical(b)))
                        if pair in seen:
                            continue
                        seen.add(pair)
                        problems.append(OwlProblem(
                            message=(f"{self.name(node)} is both {self.a(a)} and {self.a(b)}, "
                                     "but nothing can be both."),
                            focus_node=self.focus(node),
                            explanation=(
                                f"HermiT found the definition inconsistent with the ontology. "
                                f"{self.short(node)} is {self.a(a)}: {classes[a]}. "
                                f"It is {self.a(b)}: {classes[b]}. "
                                f"The ontology declares {self.short(a)} and {self.short(b)} "
                                f"disjoint.")))
        return problems

    def _functional_clashes(self, reasons: dict, *, unique_names: bool) -> list[OwlProblem]:
        values: dict[tuple, dict] = defaultdict(dict)
        for s, p, o in self._data_triples():
            if p in self.functional and p in self.object_properties:
                values[(s, p)].setdefault(o, f"stated: {self.short(s)} {self.short(p)} "
                                             f"{self.short(o)}")
            inverse = self.inverse.get(p)
            if inverse in self.functional and not isinstance(o, Literal):
                values[(o, inverse)].setdefault(s, f"stated: {self.short(s)} {self.short(p)} "
                                                   f"{self.short(o)}")
        for node, classes in reasons.items():
            for cls, why in classes.items():
                for prop, value in self.implied_values.get(cls, ()):
                    if prop in self.functional:
                        values[(node, prop)].setdefault(
                            value, f"{why}, and every {self.class_label(cls)} has "
                                   f"{self.short(prop)} {self.short(value)}")
        problems = []
        for (node, prop), found in values.items():
            listed = sorted(found, key=str)
            if not any(self._different(v, w, unique_names)
                       for i, v in enumerate(listed) for w in listed[i + 1:]):
                continue
            shown = ", ".join(self.name(v) for v in listed)
            accounts = "; ".join(found[v] for v in listed)
            problems.append(OwlProblem(
                message=(f"{self.name(node)} has {len(found)} different values of "
                         f"{self.short(prop)} ({shown}), but it can have only one."),
                focus_node=self.focus(node),
                explanation=(f"HermiT found the definition inconsistent with the ontology. "
                             f"{self.short(prop)} is an owl:FunctionalProperty; {accounts}.")))
        return problems

    def _different(self, a, b, unique_names: bool) -> bool:
        if any(a in group and b in group for group in self.different_groups):
            return True
        if (a, OWL.differentFrom, b) in self.data or (b, OWL.differentFrom, a) in self.data:
            return True
        if (a, OWL.sameAs, b) in self.data or (b, OWL.sameAs, a) in self.data:
            return False
        return unique_names and isinstance(a, URIRef) and isinstance(b, URIRef) \
            and a not in self.declared and b not in self.declared

    def with_justification(self, found: list[OwlProblem],
                           justification: list[tuple[str, str]] | None) -> list[OwlProblem]:
        """Add HermiT's justification to the problem it concerns (or make one of it)."""
        if not justification:
            if found:
                return found
            return [OwlProblem(
                message=("The definition contradicts the ontology's axioms, and the "
                         "contradiction could not be narrowed down to one resource."),
                focus_node=None,
                explanation="HermiT: the ontology together with the definition is inconsistent.")]
        data = [self.render_axiom(a) for origin, a in justification if origin == "DATA"]
        ontology = [self.render_axiom(a) for origin, a in justification if origin == "ONTOLOGY"]
        text = "HermiT's justification (axioms that together are inconsistent): "
        text += "from the definition, " + ("; ".join(data) if data else "nothing") + "."
        if ontology:
            text += " From the ontology, " + "; ".join(ontology) + "."
        mentioned = [iri for origin, a in justification if origin == "DATA"
                     for iri in re.findall(r"<([^<>\s]+)>", a)
                     if URIRef(iri) not in self.declared]
        if not found:
            return [OwlProblem(
                message=("The definition contradicts the ontology's axioms: "
                         + "; ".join(data or ontology) + "."),
                focus_node=mentioned[0] if mentioned else None,
                explanation=text)]
        target = next((p for p in found if p.focus_node in mentioned), found[0])
        return [replace(p, explanation=f"{p.explanation} {text}" if p.explanation else text)
                if p is target else p for p in found]

    def render_axiom(self, axiom: str) -> str:
        """An axiom in functional syntax with short names; the unique-name axiom summarized."""
        names = re.findall(r"<([^<>\s]+)>", axiom)
        if axiom.startswith("DifferentIndividuals(") and len(names) > 4:
            return (f"DifferentIndividuals(the {len(names)} named resources of the definition: "
                    "the unique name assumption)")
        return re.sub(r"<([^<>\s]+)>", lambda m: self.short(URIRef(m.group(1))), axiom)

    def unsatisfiable_problem(self, iri: str) -> OwlProblem:
        cls = URIRef(iri)
        supers: dict = {cls: "itself"}
        queue = [cls]
        graphs = (self.ontology, self.data)
        while queue:
            current = queue.pop()
            for graph in graphs:
                for sup in graph.objects(current, RDFS.subClassOf):
                    if isinstance(sup, URIRef) and sup not in supers:
                        supers[sup] = current
                        queue.append(sup)
        clash = None
        for group in self.disjoint_groups:
            present = [c for c in group if c in supers]
            if len(present) >= 2:
                clash = present[:2]
                break
        explanation = f"HermiT classifies {self.short(cls)} as equivalent to owl:Nothing."
        if clash:
            explanation += (f" It is a subclass of both {self.short(clash[0])} and "
                            f"{self.short(clash[1])}, which the ontology declares disjoint.")
        return OwlProblem(
            message=(f"The class {self.name(cls)} can have no member: its definition "
                     "contradicts the ontology."),
            focus_node=iri,
            explanation=explanation)


def _distinct_literals(literals: list[Literal]) -> list[Literal]:
    distinct: list[Literal] = []
    for lit in literals:
        if not any(lit.eq(other) if not (lit.ill_typed or other.ill_typed) else lit == other
                   for other in distinct):
            distinct.append(lit)
    return distinct


def _rdf_list(graph: Graph, items: list) -> BNode:
    head = BNode()
    node = head
    for i, item in enumerate(items):
        graph.add((node, RDF.first, item))
        nxt = RDF.nil if i == len(items) - 1 else BNode()
        graph.add((node, RDF.rest, nxt))
        node = nxt
    return head


__all__ = ["DEFAULT_TIMEOUT", "OwlProblem", "check_consistency", "ontology_graph"]
