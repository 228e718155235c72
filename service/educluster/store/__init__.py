"""The store behind the service: one interface, several engines.

``Store`` is what every other module talks to: the derivation engine, validation, the
SPARQL protocol, the pages.  Two engines implement it: ``OxigraphStore`` (embedded,
on disk or in memory: the default) and, for deployments that outgrow one machine, a
remote SPARQL 1.1 store.

Default graph semantics, the same for every engine: **a query's default graph is the
union of all graphs** (the store's own default graph, every named graph, and the derived
graph), as in Fuseki's ``unionDefaultGraph`` and Virtuoso's default.  The Graph Store
Protocol's ``?default`` names the store's own default graph, where data loaded without
a graph IRI goes.  Terms crossing the interface are pyoxigraph terms
(``NamedNode``, ``BlankNode``, ``Literal``).
"""

from __future__ import annotations

from educluster.store.base import (
    GraphName,
    QueryResult,
    Store,
    Term,
    rdf_format_for,
)
from educluster.store.oxigraph import OxigraphStore
from educluster.store.remote import RemoteStore

__all__ = [
    "GraphName", "OxigraphStore", "QueryResult", "RemoteStore", "Store", "Term", "rdf_format_for",
]
