"""Running the rules: loading the ontology, materializing to a fixpoint, reading results.

Uses only the portable part of the ``Store`` interface (``update``, ``select``, ``ask``,
``load``, ``clear_graph``, ``graph_exists``), so the same engine runs over the embedded
Oxigraph store and over a remote SPARQL 1.1 store.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import pyoxigraph as ox

from educluster.reasoning import rules
from educluster.resources import ontology_files
from educluster.store import Store
from educluster.vocab import DERIVED_GRAPH, EC_IRI, ONTOLOGY_GRAPH

#: Upper bound on the rounds of the whole rule set (and of the property rules within one
#: round).  The shipped ontology reaches its fixpoint in two rounds (one that derives, one
#: that finds nothing new); a deep transitive chain or a cycle of axioms may need more.
MAX_ROUNDS = 10


@dataclass
class MaterializeStats:
    """What one ``materialize`` did."""

    derived: int  #: triples in the derived graph afterwards
    rounds: int  #: rounds of the whole rule set until nothing new was derived
    seconds: float  #: wall time, ontology loading included
    rule_seconds: dict[str, float] = field(default_factory=dict)  #: time spent per rule


def ensure_ontology(store: Store) -> None:
    """Load the shipped ontology into ``vocab.ONTOLOGY_GRAPH`` unless that graph holds triples."""
    if store.graph_exists(ONTOLOGY_GRAPH) and store.ask(
        f"ASK {{ GRAPH <{ONTOLOGY_GRAPH}> {{ ?s ?p ?o }} }}"
    ):
        return
    for path in ontology_files():
        store.load(path.read_bytes(), ox.RdfFormat.TURTLE, graph=ONTOLOGY_GRAPH, source=str(path))


def apply_rule(store: Store, rule: rules.Rule) -> None:
    """Add what one rule derives to the derived graph.

    A store whose SPARQL Update ``WHERE`` sees the union of all graphs says so with a
    true ``update_sees_union`` attribute and runs the rule as one update; on the others
    (Oxigraph) the rule's ``CONSTRUCT`` runs over the union and its triples are added to
    the derived graph in one transaction.
    """
    if getattr(store, "update_sees_union", False):
        store.update(rule.update)
        return
    graph = _DERIVED_NODE
    quads = [
        ox.Quad(t.subject, t.predicate, t.object, graph) for t in store.construct(rule.construct)
    ]
    if quads:
        store.add_quads(quads)


_DERIVED_NODE = ox.NamedNode(DERIVED_GRAPH)


def derived_count(store: Store) -> int:
    """Number of triples in the derived graph."""
    rows = store.select(rules.COUNT_DERIVED)
    return int(rows[0]["n"].value) if rows else 0


def materialize(store: Store) -> MaterializeStats:
    """Recompute every derived triple from scratch into ``vocab.DERIVED_GRAPH``.

    Clears the derived graph, then runs the rules of ``educluster.reasoning.rules`` in
    order, round after round, until a round adds nothing.  Asserted graphs are never
    changed; running it twice gives the same derived graph.
    """
    start = time.perf_counter()
    ensure_ontology(store)
    store.clear_graph(DERIVED_GRAPH)
    timings: dict[str, float] = {}

    def run(rule: rules.Rule) -> None:
        t0 = time.perf_counter()
        apply_rule(store, rule)
        timings[rule.name] = timings.get(rule.name, 0.0) + time.perf_counter() - t0

    count = 0
    rounds = 0
    while rounds < MAX_ROUNDS:
        rounds += 1
        for rule in rules.ROUND:
            if rule is None:
                _property_fixpoint(store, run)
            else:
                run(rule)
        new_count = derived_count(store)
        if new_count == count:
            break
        count = new_count
    return MaterializeStats(
        derived=count, rounds=rounds, seconds=time.perf_counter() - start, rule_seconds=timings
    )


def _property_fixpoint(store: Store, run) -> None:
    before = derived_count(store)
    for _ in range(MAX_ROUNDS):
        for rule in rules.PROPERTY_RULES:
            run(rule)
        after = derived_count(store)
        if after == before:
            return
        before = after


_ORIENTATION_CLASSES = {
    EC_IRI + "VerticalCluster": EC_IRI + "Vertical",
    EC_IRI + "HorizontalCluster": EC_IRI + "Horizontal",
    EC_IRI + "MixedCluster": EC_IRI + "Mixed",
}


def cluster_orientations(store: Store) -> dict[str, str]:
    """Every cluster with a derived orientation: cluster IRI -> orientation concept IRI."""
    values = " ".join(f"<{c}>" for c in _ORIENTATION_CLASSES)
    rows = store.select(
        rules.PREFIXES
        + f"""SELECT ?cluster ?orientation WHERE {{
          GRAPH <{DERIVED_GRAPH}> {{ ?cluster a ?class ; ec:orientation ?orientation }}
          VALUES ?class {{ {values} }}
        }}"""
    )
    return {_key(row["cluster"]): row["orientation"].value for row in rows}


def _key(term) -> str:
    return term.value if isinstance(term, ox.NamedNode) else str(term)
