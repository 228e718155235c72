"""educluster: knowledge graph, ontology and SPARQL service for educational clusters."""

__version__ = "0.1.0"
