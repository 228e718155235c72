"""The embedded store: Oxigraph (through pyoxigraph), on disk with transactions, or in memory."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Literal as TypingLiteral

import pyoxigraph as ox

from educluster.errors import QuerySyntaxError, StoreError
from educluster.store.base import GraphName, QueryResult, Store, Term
from educluster.vocab import DERIVED_GRAPH

# Media type -> pyoxigraph results/RDF format.
RESULTS_FORMATS: dict[str, ox.QueryResultsFormat] = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "application/xml": ox.QueryResultsFormat.XML,
    "text/csv": ox.QueryResultsFormat.CSV,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
}
GRAPH_FORMATS: dict[str, ox.RdfFormat] = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/n-quads": ox.RdfFormat.N_QUADS,
    "application/trig": ox.RdfFormat.TRIG,
    "application/ld+json": ox.RdfFormat.JSON_LD,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
}


class OxigraphResult(QueryResult):
    """A pyoxigraph result; serialization runs in Rust."""

    def __init__(self, result: ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples):
        self._result = result
        if isinstance(result, ox.QuerySolutions):
            self.kind = "bindings"
        elif isinstance(result, ox.QueryBoolean):
            self.kind = "boolean"
        else:
            self.kind = "graph"

    def serialize(self, media_type: str) -> bytes:
        if self.kind == "graph":
            fmt = GRAPH_FORMATS[media_type]
            if fmt.supports_datasets:  # a graph result sits in the default graph
                triples = list(self._result)
                return ox.serialize(
                    [ox.Quad(t.subject, t.predicate, t.object) for t in triples], format=fmt
                ) or b""
            return self._result.serialize(format=fmt) or b""
        return self._result.serialize(format=RESULTS_FORMATS[media_type]) or b""

    @property
    def raw(self) -> ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples:
        """The pyoxigraph result, for engine-specific fast paths."""
        return self._result

    @property
    def variables(self) -> list[str]:
        if self.kind != "bindings":
            return []
        return [v.value for v in self._result.variables]

    def rows(self) -> Iterator[dict[str, Term]]:
        names = self.variables
        for solution in self._result:
            row = {}
            for name in names:
                value = solution[name]
                if value is not None:
                    row[name] = value
            yield row

    def boolean(self) -> bool:
        return bool(self._result)

    def triples(self) -> Iterator[ox.Triple]:
        return iter(self._result)


class OxigraphStore(Store):
    """An Oxigraph store: ``OxigraphStore()`` in memory, ``OxigraphStore(path)`` on disk,
    ``OxigraphStore(path, read_only=True)`` for a read-only view of a directory that no
    process writes to (a snapshot).

    >>> store = OxigraphStore()
    >>> store.update('INSERT DATA { <http://e/a> <http://e/p> "1" }')
    >>> [row["o"].value for row in store.select("SELECT ?o WHERE { ?s ?p ?o }")]
    ['1']
    """

    engine = "oxigraph"
    binds_patterns = True
    #: the derivation engine hands a rule's triples to the store as N-Triples
    #: (``reasoning.engine._apply_serialized``), not as Python terms
    derives_serialized = True

    def __init__(self, path: str | Path | None = None, *, read_only: bool = False):
        self.path = Path(path) if path is not None else None
        try:
            if path is None:
                self._store = ox.Store()
            elif read_only:
                self._store = ox.Store.read_only(str(path))
            else:
                self._store = ox.Store(str(path))
        except OSError as exc:
            raise StoreError(f"cannot open the store at {path}: {exc}") from None

    @property
    def raw(self) -> ox.Store:
        """The pyoxigraph store, for engine-specific fast paths."""
        return self._store

    @property
    def derives_in_threads(self) -> bool:
        """Whether the derivation may run independent groups of rules side by side (the
        in-memory store validation derives in; on disk, each rule's write is a
        transaction of its own, which a concurrent one could conflict with)."""
        return self.path is None

    def select_tuples(self, sparql: str) -> list[tuple[Term | None, ...]]:
        try:
            return [tuple(s) for s in self._store.query(sparql, use_default_graph_as_union=True)]
        except SyntaxError as exc:
            raise QuerySyntaxError(str(exc)) from None

    def query(
        self,
        sparql: str,
        *,
        default_graph: list[str] | None = None,
        named_graphs: list[str] | None = None,
        base_iri: str | None = None,
        bindings: dict[str, Term] | None = None,
    ) -> QueryResult:
        kwargs: dict = {"base_iri": base_iri}
        if bindings:
            kwargs["substitutions"] = {ox.Variable(k): v for k, v in bindings.items()}
        if default_graph is not None:
            kwargs["default_graph"] = [ox.NamedNode(g) for g in default_graph]
        else:
            kwargs["use_default_graph_as_union"] = True
        if named_graphs is not None:
            kwargs["named_graphs"] = [ox.NamedNode(g) for g in named_graphs]
        try:
            return OxigraphResult(self._store.query(sparql, **kwargs))
        except SyntaxError as exc:
            raise QuerySyntaxError(str(exc)) from None
        except OSError as exc:
            raise StoreError(str(exc)) from None
        except RuntimeError as exc:  # a binding for a variable the query does not project
            if bindings:
                raise QuerySyntaxError(str(exc)) from None
            raise

    def quads(self, graph: GraphName | TypingLiteral["*"] = "*") -> Iterator[ox.Quad]:
        if graph == "*":
            return iter(self._store.quads_for_pattern(None, None, None, None))
        name = ox.DefaultGraph() if graph is None else ox.NamedNode(graph)
        return iter(self._store.quads_for_pattern(None, None, None, name))

    def named_graphs(self) -> list[str]:
        return sorted(
            g.value for g in self._store.named_graphs() if isinstance(g, ox.NamedNode)
        )

    def graph_exists(self, graph: GraphName) -> bool:
        if graph is None:
            return True
        return self._store.contains_named_graph(ox.NamedNode(graph))

    def triple_count(self, graph: GraphName | TypingLiteral["*"] = "*") -> int:
        if graph == "*":
            return len(self._store)
        return super().triple_count(graph)

    def update(self, sparql: str, *, base_iri: str | None = None) -> None:
        try:
            self._store.update(sparql, base_iri=base_iri)
        except SyntaxError as exc:
            raise QuerySyntaxError(str(exc)) from None
        except OSError as exc:
            raise StoreError(str(exc)) from None

    def add_quads(self, quads: Iterable[ox.Quad]) -> int:
        quads = list(quads)
        try:
            self._store.extend(quads)
        except OSError as exc:
            raise StoreError(str(exc)) from None
        return len(quads)

    def clear_graph(self, graph: GraphName) -> None:
        if graph is None:
            self._store.clear_graph(ox.DefaultGraph())
        elif self._store.contains_named_graph(ox.NamedNode(graph)):
            self._store.remove_graph(ox.NamedNode(graph))

    def flush(self) -> None:
        """Write what is buffered to disk (no-op in memory)."""
        if self.path is not None:
            self._store.flush()

    def snapshot(self, target: str | Path) -> None:
        """A consistent copy of the store in ``target`` (hard links where it can)."""
        try:
            self._store.backup(str(target))
        except OSError as exc:
            raise StoreError(f"cannot write a snapshot to {target}: {exc}") from None

    def close(self) -> None:
        self._store = None  # type: ignore[assignment]


class ScratchStore(OxigraphStore):
    """An in-memory store for deriving knowledge in bulk, without a Python object per
    triple.  Every asserted triple sits in one graph (``asserted_graph``), whatever graph
    it came from; ``materialize`` runs each rule as one SPARQL Update whose ``WHERE``
    reads that graph and the derived graph (``USING``: Oxigraph's own default graph is not
    their union), writing into the derived graph and into a graph of the rule's run alone
    (a stage), from which the engine learns what the rule added, and which is handed to
    ``on_derived`` (when set) at once, so that it can be written elsewhere while the next
    rules run (``stages_derived``).

    >>> from educluster.reasoning import materialize
    >>> scratch = ScratchStore()
    >>> scratch.raw.load(b"<http://e/m> <http://www.w3.org/ns/org#member> <http://e/a> ; "
    ...                  b"<http://www.w3.org/ns/org#organization> <http://e/c> .",
    ...                  format=ox.RdfFormat.TURTLE, to_graph=ScratchStore.asserted_node)
    >>> _ = materialize(scratch)
    >>> scratch.ask(f"ASK {{ GRAPH <{DERIVED_GRAPH}> "
    ...             "{ <http://e/c> <https://w3id.org/educluster#hasMember> <http://e/a> } }")
    True
    """

    stages_derived = True
    #: its rules run one after the other: stages are numbered and handed on in order
    derives_in_threads = False
    asserted_graph = "urn:x-educluster:scratch:asserted"
    asserted_node = ox.NamedNode(asserted_graph)

    def __init__(self) -> None:
        super().__init__()
        self._stages = 0
        #: called with the IRI of each stage that holds new derived triples
        self.on_derived: Callable[[str], None] | None = None

    def new_stage(self) -> str:
        """The IRI of a new, empty stage."""
        self._stages += 1
        return f"urn:x-educluster:scratch:derived-{self._stages}"

    def staged(self, stage: str, count: int) -> None:
        """A rule's run put ``count`` new derived triples into ``stage``."""
        if count and self.on_derived is not None:
            self.on_derived(stage)

    def copy_asserted(self, source: OxigraphStore) -> None:
        """Copy every asserted triple of ``source`` (every graph but the derived one).
        Through Python, as terms: Oxigraph's parsers would give blank nodes new labels,
        and the derived triples about them would then name other nodes."""
        derived = ox.NamedNode(DERIVED_GRAPH)
        self._store.extend(
            ox.Quad(q.subject, q.predicate, q.object, self.asserted_node)
            for q in source.raw.quads_for_pattern(None, None, None, None)
            if q.graph_name != derived
        )

    def add_quads(self, quads: Iterable[ox.Quad]) -> int:
        """Add asserted quads: into ``asserted_graph``, whatever their graph."""
        return super().add_quads(
            ox.Quad(q.subject, q.predicate, q.object, self.asserted_node) for q in quads
        )
