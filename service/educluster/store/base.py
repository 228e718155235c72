"""The store interface and the pieces every engine shares."""

from __future__ import annotations

import abc
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Literal as TypingLiteral

import pyoxigraph as ox

from educluster.errors import InputError
from educluster.vocab import DERIVED_GRAPH

Term = ox.NamedNode | ox.BlankNode | ox.Literal
GraphName = str | None  # a graph IRI, or None for the store's own default graph

# File extension -> RDF format.  YAML and CSV forms are converted by educluster.importers.
_EXTENSIONS: dict[str, ox.RdfFormat] = {
    ".ttl": ox.RdfFormat.TURTLE,
    ".turtle": ox.RdfFormat.TURTLE,
    ".nt": ox.RdfFormat.N_TRIPLES,
    ".nq": ox.RdfFormat.N_QUADS,
    ".trig": ox.RdfFormat.TRIG,
    ".jsonld": ox.RdfFormat.JSON_LD,
    ".json": ox.RdfFormat.JSON_LD,
    ".rdf": ox.RdfFormat.RDF_XML,
    ".owl": ox.RdfFormat.RDF_XML,
    ".xml": ox.RdfFormat.RDF_XML,
    ".n3": ox.RdfFormat.N3,
}

# Media type -> RDF format (for uploads and the Graph Store Protocol).
MEDIA_TYPES: dict[str, ox.RdfFormat] = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/x-turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "text/plain": ox.RdfFormat.N_TRIPLES,
    "application/n-quads": ox.RdfFormat.N_QUADS,
    "application/trig": ox.RdfFormat.TRIG,
    "application/ld+json": ox.RdfFormat.JSON_LD,
    "application/json": ox.RdfFormat.JSON_LD,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
    "application/xml": ox.RdfFormat.RDF_XML,
    "text/n3": ox.RdfFormat.N3,
}


def rdf_format_for(path: str | Path) -> ox.RdfFormat:
    """The RDF format of a file, by its extension; ``InputError`` for an unknown one."""
    suffix = Path(path).suffix.lower()
    try:
        return _EXTENSIONS[suffix]
    except KeyError:
        known = ", ".join(sorted(_EXTENSIONS))
        raise InputError(
            f"unknown file extension {suffix or '(none)'!r}; expected one of {known}, "
            ".yaml/.yml or .csv",
            source=str(path),
        ) from None


def parse_rdf(
    data: bytes | str,
    fmt: ox.RdfFormat,
    *,
    source: str = "input",
    base_iri: str | None = None,
    graph: GraphName = None,
) -> list[ox.Quad]:
    """Parse RDF completely into quads, or raise ``InputError`` naming the line.

    Nothing is returned unless the whole document parses: callers add the quads to a
    store only afterwards, so a bad upload changes nothing.  Triples of a triple format
    go to ``graph`` (None: the default graph).
    """
    if isinstance(data, str):
        data = data.encode("utf-8")
    if not data.strip():
        raise InputError("the document is empty", source=source)
    target: ox.NamedNode | ox.DefaultGraph = (
        ox.NamedNode(graph) if graph else ox.DefaultGraph()
    )
    try:
        quads = list(ox.parse(data, format=fmt, base_iri=base_iri, without_named_graphs=False))
    except SyntaxError as exc:
        line = exc.lineno if isinstance(exc.lineno, int) else None
        raise InputError(f"not valid {fmt.name}: {exc.msg}", source=source, line=line) from None
    except ValueError as exc:
        raise InputError(f"not valid {fmt.name}: {exc}", source=source) from None
    if fmt.supports_datasets:
        if graph is None:
            return quads
        return [
            ox.Quad(q.subject, q.predicate, q.object, target)
            if isinstance(q.graph_name, ox.DefaultGraph)
            else q
            for q in quads
        ]
    return [ox.Quad(q.subject, q.predicate, q.object, target) for q in quads]


class QueryResult(abc.ABC):
    """The result of a SPARQL query, whichever engine ran it."""

    kind: TypingLiteral["bindings", "boolean", "graph"]

    @abc.abstractmethod
    def serialize(self, media_type: str) -> bytes:
        """Serialize to a SPARQL results format (bindings, boolean) or an RDF format (graph)."""

    @property
    @abc.abstractmethod
    def variables(self) -> list[str]:
        """Projected variable names (bindings only), without the ``?``."""

    @abc.abstractmethod
    def rows(self) -> Iterator[dict[str, Term]]:
        """Bindings as dictionaries, unbound variables absent (bindings only)."""

    @abc.abstractmethod
    def boolean(self) -> bool:
        """The answer of an ASK query."""

    @abc.abstractmethod
    def triples(self) -> Iterator[ox.Triple]:
        """The triples of a CONSTRUCT or DESCRIBE query."""


class Store(abc.ABC):
    """A quad store with SPARQL 1.1 query and update; see the module docstring."""

    #: the engine's name, for the service description and /health
    engine: str = "abstract"
    #: whether ``query(bindings=...)`` puts the values into the triple patterns before
    #: the query runs (Oxigraph), so that handing a query's parameters over as
    #: ``bindings`` as well as in its text makes it faster; elsewhere they only repeat
    #: the text's VALUES block
    binds_patterns: bool = False

    # -- reading ----------------------------------------------------------------------
    @abc.abstractmethod
    def query(
        self,
        sparql: str,
        *,
        default_graph: list[str] | None = None,
        named_graphs: list[str] | None = None,
        base_iri: str | None = None,
        bindings: dict[str, Term] | None = None,
    ) -> QueryResult:
        """Run a SPARQL query.  Without ``default_graph`` the default graph is the union of
        all graphs.  Raises ``QuerySyntaxError`` for a malformed query.

        ``bindings`` gives variables (name without ``?``) a value before the query runs, as
        parsed terms, never as text pasted into the query.  In a SELECT query a bound
        variable must be in the projection.  Oxigraph applies these bindings to triple
        patterns only (a FILTER or OPTIONAL that reads the variable sees it unbound), so
        ``educluster.named_queries`` binds its parameters with a VALUES block instead."""

    def select(self, sparql: str, **kwargs) -> list[dict[str, Term]]:
        """Run a SELECT query and return its rows as dictionaries."""
        return list(self.query(sparql, **kwargs).rows())

    def select_tuples(self, sparql: str) -> list[tuple[Term | None, ...]]:
        """Run a SELECT query and return its rows as tuples in the order of its variables
        (an unbound value is None): for many rows, cheaper than ``select``'s dictionaries
        on a store that can read solutions by position."""
        result = self.query(sparql)
        names = result.variables
        return [tuple(row.get(name) for name in names) for row in result.rows()]

    def ask(self, sparql: str, **kwargs) -> bool:
        """Run an ASK query."""
        return self.query(sparql, **kwargs).boolean()

    def construct(self, sparql: str, **kwargs) -> list[ox.Triple]:
        """Run a CONSTRUCT or DESCRIBE query and return its triples."""
        return list(self.query(sparql, **kwargs).triples())

    @abc.abstractmethod
    def quads(self, graph: GraphName | TypingLiteral["*"] = "*") -> Iterator[ox.Quad]:
        """Every quad of one graph (``None``: the default graph) or of all (``"*"``)."""

    @abc.abstractmethod
    def named_graphs(self) -> list[str]:
        """The IRIs of the named graphs that hold at least one triple."""

    @abc.abstractmethod
    def graph_exists(self, graph: GraphName) -> bool:
        """Whether a named graph exists (the default graph always does)."""

    def triple_count(self, graph: GraphName | TypingLiteral["*"] = "*") -> int:
        """Number of quads in one graph or in all."""
        return sum(1 for _ in self.quads(graph))

    # -- writing ----------------------------------------------------------------------
    @abc.abstractmethod
    def update(self, sparql: str, *, base_iri: str | None = None) -> None:
        """Run a SPARQL 1.1 Update, atomically.  Raises ``QuerySyntaxError`` when malformed.

        Derived knowledge is *not* recomputed here: callers that change asserted data
        call ``educluster.reasoning.materialize`` afterwards."""

    @abc.abstractmethod
    def add_quads(self, quads: Iterable[ox.Quad]) -> int:
        """Add already-parsed quads atomically; returns how many were given."""

    @abc.abstractmethod
    def clear_graph(self, graph: GraphName) -> None:
        """Remove every triple of one graph (``None``: the default graph)."""

    def load(
        self,
        data: bytes | str,
        fmt: ox.RdfFormat,
        *,
        graph: GraphName = None,
        source: str = "input",
        base_iri: str | None = None,
    ) -> int:
        """Parse completely, then add: a document that does not parse changes nothing."""
        quads = parse_rdf(data, fmt, source=source, graph=graph, base_iri=base_iri)
        return self.add_quads(quads)

    def replace_graph(self, graph: GraphName, quads: Iterable[ox.Quad]) -> int:
        """Replace one graph's content (Graph Store Protocol PUT)."""
        quads = list(quads)
        self.clear_graph(graph)
        return self.add_quads(quads)

    # -- exporting --------------------------------------------------------------------
    def dump(self, fmt: ox.RdfFormat, *, include_derived: bool = True) -> bytes:
        """The whole dataset.  Triple formats get the union of all graphs (distinct)."""
        quads: Iterable[ox.Quad] = self.quads("*")
        if not include_derived:
            quads = (q for q in quads if not _is_derived(q))
        if fmt.supports_datasets:
            return ox.serialize(list(quads), format=fmt) or b""
        triples = {ox.Triple(q.subject, q.predicate, q.object) for q in quads}
        return ox.serialize(sorted(triples, key=str), format=fmt) or b""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release the engine's resources."""


def _is_derived(quad: ox.Quad) -> bool:
    return isinstance(quad.graph_name, ox.NamedNode) and quad.graph_name.value == DERIVED_GRAPH
