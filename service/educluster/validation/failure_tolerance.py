"""Failure tolerance (seed 004: "failure of one element reduces efficiency but does not
stop the others"): the single points of failure of each cluster's cooperation network.

The network of a cluster: its members that are partners of its cooperations, linked by
those cooperations.  A member whose removal splits a connected part of three or more
members into parts that no longer cooperate is an articulation point of the network; it
is reported as a Warning with the principle ``ec:FailureTolerance`` and the documenting
shape ``ecsh:FailureToleranceShape`` (shapes/cluster-features.ttl).

SHACL-SPARQL cannot say this cleanly (a property path cannot avoid a node), so it is
computed here, with Tarjan's linear-time algorithm, written without recursion so that
large networks do not exhaust Python's stack.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable

from educluster.store import Store
from educluster.vocab import sparql_prefixes

_COOPERATION_LINKS = sparql_prefixes() + """
SELECT DISTINCT ?cluster ?a ?b WHERE {
    ?cooperation ec:inCluster ?cluster ; ec:partner ?a, ?b .
    ?cluster ec:hasMember ?a, ?b .
    FILTER (?a != ?b)
}"""


def articulation_points(edges: Iterable[tuple[Hashable, Hashable]]) -> set[Hashable]:
    """The nodes of an undirected graph whose removal disconnects their component.

    >>> sorted(articulation_points([("a", "b"), ("b", "c")]))
    ['b']
    >>> sorted(articulation_points([("a", "b"), ("b", "c"), ("c", "a")]))
    []
    """
    adjacency: dict[Hashable, set[Hashable]] = defaultdict(set)
    for a, b in edges:
        if a != b:
            adjacency[a].add(b)
            adjacency[b].add(a)
    order: dict[Hashable, int] = {}
    low: dict[Hashable, int] = {}
    points: set[Hashable] = set()
    counter = 0
    for root in adjacency:
        if root in order:
            continue
        order[root] = low[root] = counter
        counter += 1
        root_children = 0
        stack = [(root, None, iter(adjacency[root]))]
        while stack:
            node, parent, neighbours = stack[-1]
            advanced = False
            for nxt in neighbours:
                if nxt == parent:
                    continue
                if nxt in order:
                    low[node] = min(low[node], order[nxt])
                    continue
                order[nxt] = low[nxt] = counter
                counter += 1
                if node == root:
                    root_children += 1
                stack.append((nxt, node, iter(adjacency[nxt])))
                advanced = True
                break
            if advanced:
                continue
            stack.pop()
            if parent is not None:
                low[parent] = min(low[parent], low[node])
                if parent != root and low[node] >= order[parent]:
                    points.add(parent)
        if root_children > 1:
            points.add(root)
    return points


def single_points_of_failure(store: Store) -> list[tuple[object, object]]:
    """(cluster, member) pairs: each member whose removal splits its cluster's network.

    Terms are the store's (pyoxigraph) terms.  Networks (connected parts) of fewer than
    three members have no single point of failure by definition.
    """
    networks: dict[object, list[tuple[object, object]]] = defaultdict(list)
    for cluster, a, b in store.select_tuples(_COOPERATION_LINKS):  # no dict per row
        networks[cluster].append((a, b))
    found = []
    for cluster, edges in networks.items():
        # An articulation point always has two neighbours that are not linked otherwise,
        # so its part has three or more members: the size rule holds by construction.
        for member in articulation_points(edges):
            found.append((cluster, member))
    return found
