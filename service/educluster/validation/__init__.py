"""Validation: is a cluster definition sound, principle by principle, and what to fix?

The pipeline (DESIGN.md, "Principle shapes" and "Validation report"):

1. the definition's quads go into an in-memory Oxigraph store with the ontology, and
   ``educluster.reasoning.materialize`` derives what follows (members from memberships,
   subclass closure, sector and level defaults, orientations);
2. the data graph handed to the SHACL engine is the asserted triples plus the derived
   ones, except that the DERIVED orientation is renamed ``ecsh:derivedOrientation`` and
   the derived orientation classes are left out: so ``ec:orientation`` and
   ``ec:VerticalCluster`` etc. in the data graph are what the analyst stated, and the
   relation-typology shapes can compare stated with derived (shapes/shapes.ttl);
   validate's own throw-away store becomes that data graph in place (no copy);
3. the shapes of ``shapes/`` (parsed once per process) are checked in Oxigraph: the simple
   core shapes (targets, predicate paths, ``sh:minCount``/``maxCount``/``class``/
   ``datatype``) compiled into queries by ``core_constraints``, the SHACL-SPARQL
   constraints by ``sparql_constraints``, one Oxigraph query per constraint instead of
   pySHACL's one per focus node; pySHACL, the reference implementation, reading the
   Oxigraph store directly, gets only the shapes neither takes (none of the shipped ones).
   ``engine="pyshacl"`` runs everything in pySHACL: same results, tested, and much slower
   on large graphs; see bench/bench_validation.py;
4. failure tolerance (articulation points of each cooperation network) is computed in
   code, and ``owl=True`` adds the HermiT consistency check;
5. the ``Report`` carries the results with their principle, the labels of the nodes for
   people, and each cluster's derived orientation with its explanation.
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from educluster.errors import InputError
from educluster.threads import THREADS, run_in_threads
from educluster.validation.report import ClusterSummary, Report, Result
from educluster.vocab import (
    DERIVED_GRAPH,
    EC_IRI,
    ECSH_IRI,
    ONTOLOGY_GRAPH,
    sparql_prefixes,
)

__all__ = [
    "ClusterSummary", "Report", "Result", "check_shapes", "run_pyshacl", "shapes_graph",
    "validate", "validate_files",
]

_RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
_ORIENTATION = ox.NamedNode(EC_IRI + "orientation")
_DERIVED_ORIENTATION = ox.NamedNode(ECSH_IRI + "derivedOrientation")
_ORIENTATION_CLASSES = {
    ox.NamedNode(EC_IRI + name) for name in ("VerticalCluster", "HorizontalCluster", "MixedCluster")
}
_DERIVED = ox.NamedNode(DERIVED_GRAPH)
_ONTOLOGY = ox.NamedNode(ONTOLOGY_GRAPH)

_shapes_lock = threading.Lock()
_shapes_cache: dict[str, object] = {}


def shapes_graph():
    """The shipped shapes as one rdflib Graph, parsed once per process."""
    with _shapes_lock:
        if "graph" not in _shapes_cache:
            from rdflib import Graph

            from educluster.resources import shape_files

            graph = Graph()
            for path in shape_files():
                graph.parse(data=path.read_text(encoding="utf-8"), format="turtle",
                            publicID=path.as_uri())
            _shapes_cache["graph"] = graph
        return _shapes_cache["graph"]


def validate_files(paths: Sequence[str | Path], *, owl: bool = False) -> Report:
    """Read the files as one definition (``educluster.importers``) and validate it.

    RDF files are parsed straight into validate's store by Oxigraph (no Python object per
    triple: a third of a fresh ``educluster validate`` of a large file went to them);
    with a YAML or CSV form among the files, the importers read them all."""
    from educluster.importers import read_definition

    source = ", ".join(str(p) for p in paths)
    store = _rdf_files_store(paths)
    if store is None:
        report = validate(read_definition(paths), owl=owl, source=source)
    else:
        with _collector_paused():
            report = _validate(None, owl=owl, source=source, engine="store", store=store)
    report.sources = [str(p) for p in paths]
    return report


def _rdf_files_store(paths: Sequence[str | Path]):
    """An in-memory store holding the RDF files, as ``importers.read_definition`` reads
    them (triples in the default graph, quads in their graphs, each file's blank nodes its
    own: Oxigraph labels them afresh on every parse, relative IRIs against the file), or
    None when a file is a YAML or CSV form (or none is given)."""
    from educluster.importers import CSV_EXTENSIONS, YAML_EXTENSIONS, read_file
    from educluster.store import OxigraphStore
    from educluster.store.base import rdf_format_for

    if not paths or any(Path(str(p)).suffix.lower() in YAML_EXTENSIONS + CSV_EXTENSIONS
                        for p in paths):
        return None
    formats = [rdf_format_for(str(p)) for p in paths]  # an unknown extension fails first
    store = OxigraphStore()
    for path, fmt in zip(paths, formats, strict=True):
        name = str(path)
        data = read_file(name)
        try:
            store.raw.load(data, format=fmt, base_iri=Path(name).resolve().as_uri())
        except SyntaxError as exc:
            line = exc.lineno if isinstance(exc.lineno, int) else None
            raise InputError(f"not valid {fmt.name}: {exc.msg}", source=name, line=line) from None
        except ValueError as exc:
            raise InputError(f"not valid {fmt.name}: {exc}", source=name) from None
    return store


def validate(
    data: Iterable[ox.Quad | ox.Triple] | object,
    *,
    owl: bool = False,
    source: str = "the definition",
    engine: str = "store",
) -> Report:
    """Validate a cluster definition given as pyoxigraph quads or triples, or an rdflib graph.

    ``engine``: "store" (the default) runs the compiled core shapes and the SHACL-SPARQL
    constraints as Oxigraph queries and anything else in pySHACL; "pyshacl" runs every
    shape in pySHACL, the reference implementation (much slower on large graphs; same
    results).
    Raises ``InputError`` when the definition has no cluster at all.
    """
    if engine not in ("store", "pyshacl"):
        raise ValueError(f"unknown validation engine {engine!r}")
    with _collector_paused():
        return _validate(data, owl=owl, source=source, engine=engine)


@contextlib.contextmanager
def _collector_paused():
    """Python's cyclic garbage collector paused while a validation builds its objects
    (rows, terms, results: hundreds of thousands on a large graph, which set off
    collections that each walk the young objects; 1,000,000 triples: about 6 % of the
    time), then back as it was.  Reference counting still frees what is dropped."""
    paused = gc.isenabled()
    if paused:
        gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


def _validate(data, *, owl: bool, source: str, engine: str, store=None) -> Report:
    """``validate``; ``store``: an in-memory store already holding the definition (then
    ``data`` is not read), which becomes validate's own (see ``_prepare_for_shapes``)."""
    from educluster.reasoning import ensure_ontology, materialize
    from educluster.store import OxigraphStore

    if store is None:
        store = OxigraphStore()
        store.add_quads(_as_quads(data))
    ensure_ontology(store)
    if not store.ask(sparql_prefixes() + f"""
            ASK {{ ?cluster a/rdfs:subClassOf* ec:Cluster
                   FILTER NOT EXISTS {{ GRAPH <{ONTOLOGY_GRAPH}> {{ ?cluster ?p ?o }} }} }}"""):
        raise InputError(
            "no cluster found: the definition must describe at least one resource typed "
            "ec:Cluster or one of its kinds (for example ec:TeacherEducationCluster)",
            source=source,
        )
    materialize(store)
    report = Report()
    _add_clusters(store, report)
    report.results.extend(_failure_tolerance_results(store))
    if owl:
        report.results.extend(_owl_results(store))
    principles = set(_checked_principles(True))
    principle_labels = _labels(store, principles)  # from the ontology, before it leaves
    # From here on the store is the shapes' data graph (see _prepare_for_shapes).
    report.results.extend(_shacl_results(store, engine))
    _add_labels(store, report)
    report.principle_labels = {p: principle_labels[p] for p in principles if p in principle_labels}
    report.results.sort(key=Result.sort_key)
    report.checked_principles = _checked_principles(owl)
    return report


# ---------------------------------------------------------------------------- input

def _as_quads(data) -> Iterable[ox.Quad]:
    from rdflib import Graph

    if isinstance(data, Graph):
        nt = data.serialize(format="nt", encoding="utf-8")
        return ox.parse(nt, format=ox.RdfFormat.N_TRIPLES)
    return (
        q if isinstance(q, ox.Quad) else ox.Quad(q.subject, q.predicate, q.object)
        for q in data
    )


def shacl_data_store(store) -> ox.Store:
    """The data graph the shapes see, as a pyoxigraph store (default graph only).

    Asserted triples of every graph but the ontology's, plus the derived ones with the
    derived orientation renamed ``ecsh:derivedOrientation`` and the derived orientation
    classes left out (see the module docstring).  On an Oxigraph store the copy and the
    renaming run in Oxigraph (a dump, a load and one update), not in a Python loop.
    """
    data = ox.Store()
    raw = getattr(store, "raw", None)
    if callable(raw):
        raw = raw()
    if isinstance(raw, ox.Store):
        data.load(raw.dump(format=ox.RdfFormat.N_QUADS) or b"", format=ox.RdfFormat.N_QUADS)
        graphs = [g for g in data.named_graphs() if g not in (_ONTOLOGY, _DERIVED)]
        data.update(_HANDOVER + "".join(
            f" ;\nADD <{g.value}> TO DEFAULT" for g in graphs if isinstance(g, ox.NamedNode))
            + " ;\nDROP NAMED")
        return data
    triples = []
    for q in store.quads("*"):
        graph = q.graph_name
        if graph == _ONTOLOGY:
            continue
        predicate, obj = q.predicate, q.object
        if graph == _DERIVED:
            if predicate == _ORIENTATION:
                predicate = _DERIVED_ORIENTATION
            elif predicate == _RDF_TYPE and obj in _ORIENTATION_CLASSES:
                continue
        triples.append(ox.Quad(q.subject, predicate, obj))
    data.extend(triples)
    return data


def _prepare_for_shapes(store) -> object:
    """Turn validate's own (throw-away) store into the data graph the shapes see, in place:
    drop the ontology graph, rename the derived orientation, drop the derived orientation
    classes; pySHACL then reads the union of the remaining graphs.  Copying the data into a
    second store instead cost more than the SHACL checks on large graphs."""
    raw = getattr(store, "raw", None)
    raw = raw() if callable(raw) else raw
    if not isinstance(raw, ox.Store):
        return shacl_data_store(store)
    raw.update(_HANDOVER.rsplit(" ;\n", 1)[0])  # everything but the final ADD
    return StoreData(raw, default_union=True)


@dataclass(frozen=True)
class StoreData:
    """A data graph in an Oxigraph store: its default graph, or with ``default_union`` the
    union of its graphs.  The compiled shapes and SHACL-SPARQL constraints query it
    directly; pySHACL gets it wrapped as its Oxigraph data graph, only when it is needed
    (so that validating with the shipped shapes does not even import pySHACL)."""

    impl: ox.Store
    default_union: bool = False


_HANDOVER = f"""
PREFIX ec: <{EC_IRI}>
PREFIX ecsh: <{ECSH_IRI}>
DROP SILENT GRAPH <{ONTOLOGY_GRAPH}> ;
INSERT {{ GRAPH <{DERIVED_GRAPH}> {{ ?s ecsh:derivedOrientation ?o }} }}
WHERE {{ GRAPH <{DERIVED_GRAPH}> {{ ?s ec:orientation ?o }} }} ;
DELETE WHERE {{ GRAPH <{DERIVED_GRAPH}> {{ ?s ec:orientation ?o }} }} ;
DELETE {{ GRAPH <{DERIVED_GRAPH}> {{ ?s a ?class }} }}
WHERE {{ GRAPH <{DERIVED_GRAPH}> {{ ?s a ?class }}
         FILTER (?class IN (ec:VerticalCluster, ec:HorizontalCluster, ec:MixedCluster)) }} ;
ADD SILENT <{DERIVED_GRAPH}> TO DEFAULT"""


# ---------------------------------------------------------------------------- SHACL

_SEVERITY_NAMES = {
    "http://www.w3.org/ns/shacl#Violation": "Violation",
    "http://www.w3.org/ns/shacl#Warning": "Warning",
    "http://www.w3.org/ns/shacl#Info": "Info",
}


def run_pyshacl(data_graph, shapes=None, *, strict: bool = False):
    """Run pySHACL without inference and return its results graph.

    ``data_graph`` is a pyoxigraph ``Store`` or ``StoreData`` (pySHACL then reads Oxigraph
    directly and runs the SHACL-SPARQL constraints in it) or an rdflib graph.  By default
    every severity is reported and ``conforms`` is left to the report (no Violation);
    ``strict`` keeps the SHACL specification's meaning of ``sh:conforms`` (no result at
    all), for the W3C suite.
    """
    import pyshacl

    shapes = shapes if shapes is not None else shapes_graph()
    if isinstance(data_graph, ox.Store):
        data_graph = _oxigraph_data_graph(data_graph)
    elif isinstance(data_graph, StoreData):
        data_graph = _oxigraph_data_graph(data_graph.impl, union=data_graph.default_union)
    if _data_graph_class and isinstance(data_graph, _data_graph_class[0]):
        shapes = _with_typed_strings(shapes)
    conforms, results_graph, text = pyshacl.validate(
        data_graph,
        shacl_graph=shapes,
        inference="none",
        advanced=False,
        allow_infos=not strict,
        allow_warnings=not strict,
        inplace=True,
        do_owl_imports=False,
    )
    if not hasattr(results_graph, "subjects"):  # pySHACL's ValidationFailure: a bad shape
        raise RuntimeError(f"the shapes could not be evaluated: {text or conforms}")
    return results_graph


_data_graph_class: list[type] = []


def _oxigraph_data_graph(store: ox.Store, *, union: bool = False):
    """pySHACL's Oxigraph data graph, minus a cost: pySHACL writes ``datagraph or sg`` for
    every result, and the truth value of its Oxigraph graph is a COUNT of every triple, which
    made validation quadratic (a graph of 10,000 triples with 800 results took minutes)."""
    if not _data_graph_class:
        from pyshacl.graph_abstraction import OxigraphDataGraph

        class _OxigraphDataGraph(OxigraphDataGraph):
            def __bool__(self) -> bool:
                return True

        _data_graph_class.append(_OxigraphDataGraph)
    graph = _data_graph_class[0](store)
    graph.default_union = union
    return graph


_typed_cache: dict[int, object] = {}


def _with_typed_strings(shapes):
    """The shapes graph with simple literals written as ``xsd:string`` literals.

    pySHACL reads the values of a pyoxigraph data graph as rdflib literals that carry
    ``xsd:string`` explicitly, and rdflib does not take ``"a"`` and ``"a"^^xsd:string``
    for the same term (RDF 1.1 does): without this, ``sh:in ("a")`` or ``sh:hasValue "a"``
    would never match a value of an Oxigraph data graph.
    """
    from rdflib import XSD, Graph, Literal

    key = id(shapes)
    cached = _typed_cache.get(key)
    if cached is not None and cached[0] is shapes and cached[1] == len(shapes):
        return cached[2]
    typed = Graph()
    for prefix, namespace in shapes.namespaces():
        typed.bind(prefix, namespace, override=True)
    for s, p, o in shapes:
        if isinstance(o, Literal) and o.datatype is None and o.language is None:
            o = Literal(str(o), datatype=XSD.string)
        typed.add((s, p, o))
    _typed_cache[key] = (shapes, len(shapes), typed)
    return typed


def _shacl_results(store, engine: str = "store") -> list[Result]:
    return check_shapes(_prepare_for_shapes(store), engine=engine)


#: threads the shapes' queries run in, side by side (Oxigraph evaluates a query without
#: the interpreter lock)
SHAPE_THREADS = THREADS


def _in_threads(tasks: list) -> list[dict]:
    """Every task's results, in the tasks' order, the tasks run in ``SHAPE_THREADS``
    threads: the report is the same whatever order they finish in."""
    return [found for results in run_in_threads(tasks, SHAPE_THREADS) for found in results]


def check_shapes(data, shapes=None, *, engine: str = "store", strict: bool = False
                 ) -> list[Result]:
    """The results of a shapes graph (default: the shipped shapes) on a data graph.

    ``data`` is a pyoxigraph ``Store`` (its default graph), a ``StoreData`` (as made by
    ``_prepare_for_shapes``), or an rdflib graph.  With ``engine="store"`` and an Oxigraph
    data graph, the simple core shapes run as compiled queries (``core_constraints``), the
    SHACL-SPARQL constraints as one Oxigraph query each (``sparql_constraints``) and the
    rest, if any, in pySHACL; with ``engine="pyshacl"`` every shape runs in pySHACL.
    ``strict``: see ``run_pyshacl``.
    """
    from rdflib import RDF, SH, Graph, URIRef

    if isinstance(data, ox.Store):
        data = StoreData(data)
    shapes = shapes if shapes is not None else shapes_graph()
    principle_of = _principles_by_shape(shapes)
    out = []
    if engine == "store" and isinstance(getattr(data, "impl", None), ox.Store):
        from educluster.validation import core_constraints, sparql_constraints

        core, constraints, compiled = _split_shapes(shapes)
        results_graph = run_pyshacl(data, core, strict=strict) \
            if core_constraints.has_shapes(core) else Graph()
        found_rows = _in_threads([
            *core_constraints.tasks(data.impl, compiled, union=data.default_union),
            *sparql_constraints.tasks(data.impl, constraints, union=data.default_union),
        ])
        for found in found_rows:
            principle = principle_of.get(found["shape"])
            out.append(Result(
                severity=_SEVERITY_NAMES.get(str(found["severity"]), "Violation"),
                principle=URIRef(principle) if principle else None,
                focus_node=found["focus"],
                message=_preferred_text(found["messages"])
                or "This node does not satisfy a principle shape.",
                source_shape=found["shape"],
                result_path=found["path"],
                value=found["value"],
                component=found["component"],
            ))
    else:
        results_graph = run_pyshacl(data, shapes, strict=strict)
    for node in results_graph.subjects(RDF.type, SH.ValidationResult):
        shape = results_graph.value(node, SH.sourceShape)
        severity = _SEVERITY_NAMES.get(str(results_graph.value(node, SH.resultSeverity)),
                                       "Violation")
        messages = list(results_graph.objects(node, SH.resultMessage))
        message = _preferred_text(messages) or "This node does not satisfy a principle shape."
        principle = principle_of.get(shape) if shape is not None else None
        out.append(Result(
            severity=severity,
            principle=URIRef(principle) if principle else None,
            focus_node=results_graph.value(node, SH.focusNode),
            message=message,
            source_shape=shape,
            result_path=results_graph.value(node, SH.resultPath),
            value=results_graph.value(node, SH.value),
            component=results_graph.value(node, SH.sourceConstraintComponent),
        ))
    return out


def _split_shapes(shapes):
    """(core shapes graph for pySHACL, SPARQL constraints, compiled core shapes) of a shapes
    graph, computed once per graph."""
    key = ("split", id(shapes))
    with _shapes_lock:
        cached = _shapes_cache.get(key)
        if cached is not None and cached[0] is shapes:
            return cached[1]
    from educluster.validation import core_constraints, sparql_constraints

    constraints = sparql_constraints.sparql_constraints(shapes)
    compiled, core = core_constraints.compile_shapes(
        sparql_constraints.core_shapes(shapes, constraints))
    split = (core, constraints, compiled)
    if shapes is shapes_graph():  # keep only the shipped shapes' split
        with _shapes_lock:
            _shapes_cache[key] = (shapes, split)
    return split


def _preferred_text(literals) -> str | None:
    best = None
    for lit in literals:
        lang = getattr(lit, "language", None)
        if lang in (None, "en"):
            return str(lit)
        best = best or str(lit)
    return best


def _principles_by_shape(shapes) -> dict:
    """Shape -> principle IRI; a shape without one inherits its parent shape's."""
    from rdflib import SH, URIRef

    principle = URIRef(EC_IRI + "principle")
    found = {s: o for s, o in shapes.subject_objects(principle)}
    for parent, child in shapes.subject_objects(SH.property):
        if child not in found and parent in found:
            found[child] = found[parent]
    return found


# ---------------------------------------------------------------------------- in code

def _failure_tolerance_results(store) -> list[Result]:
    from rdflib import URIRef

    from educluster.validation.failure_tolerance import single_points_of_failure

    shape = URIRef(ECSH_IRI + "FailureToleranceShape")
    message = _shape_message(shape)
    return [
        Result(
            severity="Warning",
            principle=URIRef(EC_IRI + "FailureTolerance"),
            focus_node=_to_rdflib(member),
            message=message,
            source_shape=shape,
            value=_to_rdflib(cluster),
        )
        for cluster, member in single_points_of_failure(store)
    ]


def _owl_results(store) -> list[Result]:
    """HermiT's verdict on the definition with the ontology (``educluster.owl``)."""
    from rdflib import Graph, URIRef

    from educluster.owl import check_consistency

    data = Graph()
    asserted = [q for q in store.quads("*") if q.graph_name not in (_ONTOLOGY, _DERIVED)]
    if asserted:
        nt = ox.serialize([ox.Triple(q.subject, q.predicate, q.object) for q in asserted],
                          format=ox.RdfFormat.N_TRIPLES)
        data.parse(data=nt.decode("utf-8"), format="nt")
    shape = URIRef(ECSH_IRI + "OntologyConsistencyShape")
    results = []
    for problem in check_consistency(data):
        focus = problem.focus_node
        results.append(Result(
            severity="Violation",
            principle=URIRef(EC_IRI + "OntologyConsistency"),
            focus_node=URIRef(focus) if focus else URIRef(EC_IRI.rstrip("#")),
            message=problem.message,
            source_shape=shape,
            explanation=problem.explanation,
        ))
    return results


def _shape_message(shape) -> str:
    from rdflib import SH

    return _preferred_text(shapes_graph().objects(shape, SH.message)) or ""


def _checked_principles(owl: bool) -> list[str]:
    from rdflib import URIRef

    principle = URIRef(EC_IRI + "principle")
    found = {str(p) for p in shapes_graph().objects(None, principle)}
    if not owl:
        found.discard(EC_IRI + "OntologyConsistency")
    return sorted(found)


# ---------------------------------------------------------------------------- labels

_LABEL_PROPERTIES = ("rdfs:label", "skos:prefLabel", "foaf:name", "dcterms:title")


#: from this many IRIs on, every label of the store is read and the wanted ones kept: a
#: VALUES block of thousands of IRIs cost twice as much (300,000 triples: 0.35 s -> 0.17 s)
_ALL_LABELS_FROM = 2000


def _labels(store, iris: set[str]) -> dict[str, str]:
    """A label for each IRI (English or untagged preferred, then the first in text order),
    from data and ontology."""
    if not iris:
        return {}
    pattern = f"?s {'|'.join(_LABEL_PROPERTIES)} ?label"
    if len(iris) >= _ALL_LABELS_FROM:
        query = f"SELECT ?s ?label WHERE {{ {pattern} }}"
    else:
        values = " ".join(f"<{iri}>" for iri in sorted(iris))
        query = f"SELECT ?s ?label WHERE {{ VALUES ?s {{ {values} }} {pattern} }}"
    best: dict[str, tuple[int, str]] = {}
    for subject, label in store.select_tuples(sparql_prefixes() + query):
        if not isinstance(subject, ox.NamedNode) or subject.value not in iris:
            continue
        lang = getattr(label, "language", None)
        candidate = (0 if lang in (None, "en") else 1, label.value)
        key = subject.value
        if key not in best or candidate < best[key]:
            best[key] = candidate
    return {k: v for k, (_rank, v) in best.items()}


def _add_labels(store, report: Report) -> None:
    from rdflib import URIRef

    wanted = set()
    for r in report.results:
        for term in (r.focus_node, r.value):
            if isinstance(term, URIRef):
                wanted.add(str(term))
    labels = _labels(store, wanted)
    for r in report.results:
        if isinstance(r.focus_node, URIRef):
            r.label = labels.get(str(r.focus_node))
        if isinstance(r.value, URIRef):
            r.value_label = labels.get(str(r.value))


def _add_clusters(store, report: Report) -> None:
    from educluster.reasoning import cluster_orientations
    from educluster.reasoning.explain import cluster_reasons

    orientations = cluster_orientations(store)
    rows = store.select(sparql_prefixes() + f"""
        SELECT DISTINCT ?cluster WHERE {{
            GRAPH <{DERIVED_GRAPH}> {{ ?cluster a ec:Cluster }}
        }}""")
    clusters = sorted({_key(row["cluster"]) for row in rows} | set(orientations))
    named = {c for c in clusters if not c.startswith("_:")}
    labels = _labels(store, named)
    reasons = cluster_reasons(store, named)  # explain_cluster's reasons, all at once
    for iri in clusters:
        report.clusters[iri] = ClusterSummary(
            iri=iri, label=labels.get(iri), orientation=orientations.get(iri),
            explanation=reasons.get(iri, ""),
        )


# ---------------------------------------------------------------------------- terms

def _key(term) -> str:
    return term.value if isinstance(term, ox.NamedNode) else str(term)


def _to_rdflib(term):
    from educluster.validation.sparql_constraints import rdflib_term

    return rdflib_term(term)
