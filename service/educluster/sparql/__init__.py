"""The SPARQL 1.1 protocol layer: request parsing, content negotiation, safety checks and
the service description.  Independent of Flask: the web blueprints call it."""
