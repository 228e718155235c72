"""Query results to bytes, with a cap on the number of rows.

The engine is never asked for more than the cap plus one row (to know whether the answer
was cut), so a huge answer costs no more than a capped one.  On Oxigraph the rows of a
SELECT answer are written by Oxigraph's own TSV serializer (one line per row, so the
lines are the rows) into a writer that stops the evaluation one row past the cap; the
kept rows are then turned into the requested format by Oxigraph's parsers and
serializers, all in Rust.  Other engines' rows go through ``rows()`` and SPARQL JSON.  A
CONSTRUCT/DESCRIBE answer is cut the same way and serialized by Oxigraph.
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
    if result.kind == "bindings" and isinstance(getattr(result, "raw", None), ox.QuerySolutions):
        return _serialize_oxigraph_solutions(result.raw, fmt, max_rows)
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


class _Enough(Exception):
    """Raised by ``_LineCappedWriter`` to stop the serializer (and the evaluation)."""


class _LineCappedWriter:
    """A binary file-like object that keeps what is written and stops the writer once it
    holds ``max_lines`` lines."""

    def __init__(self, max_lines: int | None):
        self.max_lines = max_lines
        self.lines = 0
        self.chunks: list[bytes] = []

    def write(self, data) -> int:
        chunk = bytes(data)
        self.chunks.append(chunk)
        self.lines += chunk.count(b"\n")
        if self.max_lines is not None and self.lines >= self.max_lines:
            raise _Enough
        return len(chunk)

    def flush(self) -> None:
        pass


def _serialize_oxigraph_solutions(
    solutions: ox.QuerySolutions, fmt: Format, max_rows: int | None
) -> Serialized:
    # TSV: a header line, then exactly one line per row (TSV escapes newlines in terms).
    writer = _LineCappedWriter(None if max_rows is None else max_rows + 2)
    truncated = False
    try:
        solutions.serialize(writer, format=ox.QueryResultsFormat.TSV)
    except _Enough:
        truncated = True
    tsv = b"".join(writer.chunks)
    if truncated:
        assert max_rows is not None
        lines = tsv.split(b"\n", max_rows + 1)
        tsv = b"\n".join(lines[: max_rows + 1]) + b"\n"
    count = tsv.count(b"\n") - 1
    if fmt.name == "tsv":
        return Serialized(tsv, truncated, count)
    parsed = ox.parse_query_results(tsv, ox.QueryResultsFormat.TSV)
    body = parsed.serialize(format=RESULTS_FORMATS[fmt.name]) or b""
    return Serialized(body, truncated, count)


def _convert_results(json_doc: bytes, fmt: Format) -> bytes:
    if fmt.name == "json":
        return json_doc
    parsed = ox.parse_query_results(json_doc, ox.QueryResultsFormat.JSON)
    return parsed.serialize(format=RESULTS_FORMATS[fmt.name]) or b""
