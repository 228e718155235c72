"""``/queries``: the named queries of ``queries/`` as a small REST API.

- ``GET /queries``: the list (HTML for browsers, JSON otherwise);
- ``GET /queries/NAME?param=value``: run one; the answer is JSON (``application/json``:
  ``{"query", "parameters", "variables", "count", "truncated", "rows": [{var: value}]}``
  with IRIs and literals as plain strings, numbers and booleans as JSON ones), SPARQL
  JSON results (``application/sparql-results+json``), CSV (``text/csv``) or an HTML page
  with a form for the parameters; ``?format=json|sparql-json|csv|html`` chooses without
  headers;
- ``GET /queries/NAME.rq``: the query file itself;
- ``GET /openapi.json``: an OpenAPI 3 description of every query.

Parameter values are parsed into RDF terms and bound with a VALUES block
(``educluster.named_queries``): a value that is not of its type is a 400.
"""

from __future__ import annotations

import csv
import io
from contextlib import nullcontext

import pyoxigraph as ox
from flask import Blueprint, Response, current_app, json, jsonify, render_template, request

from educluster import named_queries as nq
from educluster.linked_data import labels_for
from educluster.web import linking
from educluster.web.errors import ServiceError

bp = Blueprint("named_queries", __name__)
bp.record_once(lambda state: linking.init_templates(state.app))

ANSWERS = {
    "json": "application/json",
    "sparql-json": "application/sparql-results+json",
    "csv": "text/csv",
    "html": "text/html",
}
XSD = "http://www.w3.org/2001/XMLSchema#"
_NUMBERS = {XSD + "integer", XSD + "int", XSD + "long", XSD + "nonNegativeInteger"}


def _answer_format(*, default: str = "json") -> str:
    wanted = request.args.get("format")
    if wanted:
        wanted = wanted.strip().lower()
        for name, media in ANSWERS.items():
            if wanted in (name, media):
                return name
        raise ServiceError(400, f"unknown format {wanted!r}; use one of {', '.join(ANSWERS)}")
    offered = [ANSWERS[default]] + [m for n, m in ANSWERS.items() if n != default]
    if not request.accept_mimetypes:  # no Accept header: the default
        return default
    best = request.accept_mimetypes.best_match(offered)
    if best is None:
        raise ServiceError(406, "answers are JSON, SPARQL JSON results, CSV or HTML")
    return next(n for n, m in ANSWERS.items() if m == best)


def _get(name: str) -> nq.NamedQuery:
    try:
        return nq.get(name)
    except nq.UnknownQuery:
        raise ServiceError(404, f"no named query {name!r}; the list is at /queries") from None


@bp.get("/queries")
@bp.get("/queries/", endpoint="index_slash")
def index():
    queries = list(nq.named_queries().values())
    if _answer_format(default="json") == "html":
        return render_template("queries.html", queries=queries)
    return jsonify({"queries": [dict(q.to_json(), url=f"/queries/{q.name}") for q in queries]})


@bp.get("/queries/<name>.rq")
def source(name: str):
    query = _get(name)
    return Response(query.text, content_type="application/sparql-query; charset=utf-8")


@bp.get("/queries/<name>")
def run(name: str):
    query = _get(name)
    answer = _answer_format()
    values = {k: v for k, v in request.args.items() if k not in nq.RESERVED_NAMES}
    if answer == "html" and any(p.required and not values.get(p.name) for p in query.parameters):
        # a browser arriving without the parameters gets the form, not an error
        return render_template("query.html", query=query, values=values, result=None)
    query.bind(values)  # ParameterError -> 400, before anything runs
    store = current_app.extensions["educluster"].reader()
    settings = current_app.config.get("EDUCLUSTER", {})
    limit = int(settings.get("max_rows") or 0)
    truncated = False
    with _deadline(settings.get("query_timeout")):
        # query.run also hands the projected parameters to the engine as bindings (the
        # constants go into the triple patterns): 5 s -> 10 ms for connection-between on
        # a 10,000-triple graph
        result = query.run(store, values)
        if result.kind == "boolean":
            variables = ["answer"]
            rows = [{"answer": ox.Literal("true" if result.boolean() else "false",
                                          datatype=ox.NamedNode(XSD + "boolean"))}]
        else:
            variables = result.variables
            rows = []
            for row in result.rows():
                if limit and len(rows) >= limit:
                    truncated = True
                    break
                rows.append(row)
    if answer == "json":
        return jsonify({
            "query": query.name, "parameters": {k: v for k, v in values.items() if v != ""},
            "variables": variables, "count": len(rows), "truncated": truncated,
            "rows": [{k: _json_value(v) for k, v in row.items()} for row in rows],
        })
    if answer == "sparql-json":
        return Response(json.dumps(_sparql_json(variables, rows)),
                        content_type="application/sparql-results+json")
    if answer == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(variables)
        for row in rows:
            writer.writerow([row[v].value if v in row else "" for v in variables])
        return Response(out.getvalue(), content_type="text/csv; charset=utf-8")
    iris = {t.value for row in rows for t in row.values() if isinstance(t, ox.NamedNode)}
    labels = labels_for(store, iris) if iris else {}
    return render_template("query.html", query=query, values=values, result={
        "variables": variables, "rows": rows, "truncated": truncated, "labels": labels})


def _deadline(seconds):
    if not seconds:
        return nullcontext()
    try:
        from educluster.limits import query_deadline
    except ImportError:  # pragma: no cover - the limits module ships with the service
        return nullcontext()
    return query_deadline(float(seconds), environ=request.environ)


def _json_value(term):
    if isinstance(term, ox.Literal):
        datatype = term.datatype.value
        try:
            if datatype in _NUMBERS:
                return int(term.value)
            if datatype in (XSD + "decimal", XSD + "double", XSD + "float"):
                return float(term.value)
        except ValueError:
            return term.value
        if datatype == XSD + "boolean":
            return term.value in ("true", "1")
    return term.value


def _sparql_json(variables: list[str], rows: list[dict]) -> dict:
    def term_json(term):
        if isinstance(term, ox.NamedNode):
            return {"type": "uri", "value": term.value}
        if isinstance(term, ox.BlankNode):
            return {"type": "bnode", "value": term.value}
        out = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype.value != XSD + "string":
            out["datatype"] = term.datatype.value
        return out

    return {"head": {"vars": variables},
            "results": {"bindings": [{k: term_json(v) for k, v in row.items()} for row in rows]}}


# -- OpenAPI --------------------------------------------------------------------------------
_SCHEMAS = {
    "IRI": {"type": "string", "format": "uri"},
    "string": {"type": "string"},
    "integer": {"type": "integer"},
    "decimal": {"type": "number"},
    "boolean": {"type": "boolean"},
    "date": {"type": "string", "format": "date"},
}


@bp.get("/openapi.json")
def openapi():
    """OpenAPI 3.0 description of the named-query API."""
    from educluster import __version__

    paths: dict = {
        "/queries": {"get": {
            "summary": "List the named queries",
            "operationId": "listQueries",
            "responses": {"200": {"description": "the named queries",
                                  "content": {"application/json": {}, "text/html": {}}}},
        }},
    }
    result_schema = {"$ref": "#/components/schemas/QueryAnswer"}
    for query in nq.named_queries().values():
        parameters = []
        for p in query.parameters:
            spec = {"name": p.name, "in": "query", "required": p.required,
                    "description": p.description, "schema": dict(_SCHEMAS[p.type])}
            if p.name in query.example:
                spec["example"] = query.example[p.name]
            parameters.append(spec)
        parameters.append({"name": "format", "in": "query", "required": False,
                           "description": "the answer's format, instead of Accept",
                           "schema": {"type": "string", "enum": list(ANSWERS)}})
        paths[f"/queries/{query.name}"] = {"get": {
            "summary": query.summary,
            "description": query.description,
            "operationId": _operation_id(query.name),
            "tags": query.tags,
            "parameters": parameters,
            "responses": {
                "200": {"description": "the answer", "content": {
                    "application/json": {"schema": result_schema},
                    "application/sparql-results+json": {},
                    "text/csv": {}, "text/html": {}}},
                "400": {"description": "a parameter is missing, unknown or not of its type"},
                "503": {"description": "the query ran past the time limit"},
            },
        }}
    document = {
        "openapi": "3.0.3",
        "info": {"title": "educluster named queries", "version": __version__,
                 "description": "Ready-made questions about educational clusters: each is a "
                                "SPARQL query in queries/ with named parameters, bound safely."},
        "servers": [{"url": request.url_root.rstrip("/")}],
        "paths": paths,
        "components": {"schemas": {"QueryAnswer": {
            "type": "object",
            "properties": {
                "query": {"type": "string"},
                "parameters": {"type": "object", "additionalProperties": {"type": "string"}},
                "variables": {"type": "array", "items": {"type": "string"}},
                "count": {"type": "integer"},
                "truncated": {"type": "boolean"},
                "rows": {"type": "array", "items": {"type": "object"}},
            },
        }}},
    }
    return jsonify(document)


def _operation_id(name: str) -> str:
    head, *rest = name.split("-")
    return head + "".join(part.capitalize() for part in rest)
