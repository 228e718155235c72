"""First-start content: the ontology, the shapes and the example clusters.

``educluster serve`` on an empty store and ``create_app()`` without a dataset both start
from the same content, loaded by ``load_initial_content``: the ontology into
``vocab.ONTOLOGY_GRAPH``, the shapes into ``vocab.SHAPES_GRAPH``, each example cluster
``data/NAME.ttl`` into ``vocab.DATA_GRAPH_PREFIX + NAME``, then derived knowledge.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from educluster import resources
from educluster.store.base import Store, parse_rdf, rdf_format_for
from educluster.vocab import DATA_GRAPH_PREFIX, ONTOLOGY_GRAPH, SHAPES_GRAPH


@dataclass
class InitialContent:
    """What ``load_initial_content`` loaded: graph IRI -> number of quads."""

    graphs: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.graphs.values())


def initial_files() -> list[tuple[Path, str]]:
    """The shipped files of the first start, each with the graph it goes into."""
    files = [(path, ONTOLOGY_GRAPH) for path in resources.ontology_files()]
    files += [(path, SHAPES_GRAPH) for path in resources.shape_files()]
    files += [(path, DATA_GRAPH_PREFIX + path.stem) for path in resources.example_files()]
    return files


def initial_quads() -> tuple[list[ox.Quad], InitialContent]:
    """Parse every first-start file completely (``InputError`` on the first bad one)."""
    quads: list[ox.Quad] = []
    content = InitialContent()
    for path, graph in initial_files():
        parsed = parse_rdf(path.read_bytes(), rdf_format_for(path), source=str(path), graph=graph)
        content.graphs[graph] = content.graphs.get(graph, 0) + len(parsed)
        quads.extend(parsed)
    return quads, content


def load_initial_content(store: Store, *, derive: bool = True) -> InitialContent:
    """Load the ontology, the shapes and the example clusters into ``store``, then
    recompute derived knowledge (unless ``derive`` is false).

    Every file is parsed before anything is added, so a broken shipped file leaves the
    store as it was.
    """
    quads, content = initial_quads()
    store.add_quads(quads)
    if derive:
        from educluster.reasoning import materialize

        materialize(store)
    return content
