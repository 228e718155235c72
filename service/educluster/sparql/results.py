"""Query results to bytes, with a cap on the number of rows.

The rows of a SELECT answer are taken from the engine up to the cap (one past it, to
know whether the answer was cut), written as SPARQL JSON, and, for the other formats,
handed to Oxigraph's own results serializers; a CONSTRUCT/DESCRIBE answer is cut the
same way and serialized by Oxigraph.  The engine never produces more than the cap plus
one row, so a huge answer costs no more than a capped one.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass

import pyoxigraph as ox

from educluster.sparql.negotiation import Format
from educluster.store.base import QueryResult

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"

RESULTS_FORMATS = {
    "json": ox.QueryResultsFormat.JSON,
    "xml": ox.QueryResultsFormat.XML,
    "csv": ox.QueryResultsFormat.CSV,
    "tsv": ox.QueryResultsFormat.TSV,
}
RDF_FORMATS = {
    "turtle": ox.RdfFormat.TURTLE,
    "ntriples": ox.RdfFormat.N_TRIPLES,
    "jsonld": ox.RdfFormat.JSON_LD,
    "rdfxml": ox.RdfFormat.RDF_XML,
    "nquads": ox.RdfFormat.N_QUADS,
    "trig": ox.RdfFormat.TRIG,
}


@dataclass
class Serialized:
    body: bytes
    truncated: bool = False
    count: int | None = None  # rows or triples carried


def term_json(term) -> dict:
    """A term in the SPARQL 1.1 Query Results JSON format."""
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        out = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype.value not in (XSD_STRING, RDF_LANG_STRING):
            out["datatype"] = term.datatype.value
        return out
    if isinstance(term, ox.Triple):
        return {"type": "triple", "value": {
            "subject": term_json(term.subject),
            "predicate": term_json(term.predicate),
            "object": term_json(term.object),
        }}
    raise TypeError(f"not an RDF term: {term!r}")


def serialize(result: QueryResult, fmt: Format, *, max_rows: int | None) -> Serialized:
    """The result in ``fmt``, with at most ``max_rows`` rows (triples for graphs)."""
    if result.kind == "boolean":
        doc = json.dumps({"head": {}, "boolean": result.boolean()}).encode()
        return Serialized(_convert_results(doc, fmt))
    if result.kind == "bindings":
        variables = result.variables
        rows = result.rows()
        if max_rows is not None:
            rows = itertools.islice(rows, max_rows + 1)
        bindings = [{name: term_json(value) for name, value in row.items()} for row in rows]
        truncated = max_rows is not None and len(bindings) > max_rows
        if truncated:
            del bindings[max_rows:]
        doc = json.dumps(
            {"head": {"vars": variables}, "results": {"bindings": bindings}},
            ensure_ascii=False,
        ).encode("utf-8")
        return Serialized(_convert_results(doc, fmt), truncated, len(bindings))
    triples = result.triples()
    if max_rows is not None:
        triples = itertools.islice(triples, max_rows + 1)
    triples = list(triples)
    truncated = max_rows is not None and len(triples) > max_rows
    if truncated:
        del triples[max_rows:]
    return Serialized(serialize_triples(triples, fmt), truncated, len(triples))


def serialize_triples(triples: list[ox.Triple], fmt: Format, prefixes: dict | None = None) -> bytes:
    """Triples in an RDF format (dataset formats put them in the default graph)."""
    rdf_format = RDF_FORMATS[fmt.name]
    items: list = (
        [ox.Quad(t.subject, t.predicate, t.object) for t in triples]
        if rdf_format.supports_datasets else triples
    )
    kwargs = {}
    if prefixes and rdf_format in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG):
        kwargs["prefixes"] = prefixes
    return ox.serialize(items, format=rdf_format, **kwargs) or b""


def _convert_results(json_doc: bytes, fmt: Format) -> bytes:
    if fmt.name == "json":
        return json_doc
    parsed = ox.parse_query_results(json_doc, ox.QueryResultsFormat.JSON)
    return parsed.serialize(format=RESULTS_FORMATS[fmt.name]) or b""
