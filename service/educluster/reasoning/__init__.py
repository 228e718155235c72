"""Derived knowledge: the ontology's entailments and the orientation rules R1 and R2.

One engine, used everywhere: validation runs it over an in-memory store, the SPARQL
service after every load and write, and the same SPARQL Update text runs over a remote
SPARQL 1.1 store.  Derived triples live in the named graph ``vocab.DERIVED_GRAPH``,
apart from asserted data, which they never change; ``materialize`` recomputes them from
scratch; ``update_derived`` brings it up to date after a known change at the cost of
that change.  The derived orientation of a cooperation or a cluster is
``GRAPH <vocab.DERIVED_GRAPH> { ?x ec:orientation ?o }`` (``DERIVED_ORIENTATION_QUERY``),
so that a stated orientation can be compared with it.

>>> from educluster.store import OxigraphStore
>>> store = OxigraphStore()
>>> stats = materialize(store)     # loads the shipped ontology, derives nothing from no data
>>> cluster_orientations(store)
{}
"""

from __future__ import annotations

from educluster.reasoning.engine import (
    MAX_ROUNDS,
    MaterializeStats,
    cluster_orientations,
    derived_count,
    ensure_ontology,
    materialize,
    update_derived,
)
from educluster.reasoning.explain import (
    ClusterExplanation,
    CooperationExplanation,
    explain_cluster,
    explain_cooperation,
)
from educluster.reasoning.rules import DERIVED_ORIENTATION_QUERY

__all__ = [
    "DERIVED_ORIENTATION_QUERY",
    "MAX_ROUNDS",
    "ClusterExplanation",
    "CooperationExplanation",
    "MaterializeStats",
    "cluster_orientations",
    "derived_count",
    "ensure_ontology",
    "explain_cluster",
    "explain_cooperation",
    "materialize",
    "update_derived",
]
