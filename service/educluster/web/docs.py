"""``/ontology``, ``/shapes`` and ``/context.jsonld``: the vocabulary as files and as pages.

``/ontology`` is negotiated: RDF clients get the shipped ontology files as one graph
(Turtle, JSON-LD, N-Triples, RDF/XML), browsers a generated page listing every class,
property and concept with its definition, source and relations.  ``/ontology.ttl`` (and
``.jsonld``, ``.nt``, ``.rdf``, ``.html``) name a format without headers.  The ontology IRI
``https://w3id.org/educluster`` redirects (w3id) to ``/ontology``; its terms
``https://w3id.org/educluster#Term`` land on the page's ``#Term`` anchors.  ``/shapes`` is
the same for the SHACL shapes: a page of the principles and the shapes that enforce them.
"""

from __future__ import annotations

from functools import cache

import pyoxigraph as ox
from flask import Blueprint, Response, render_template

from educluster.documentation import (
    ontology_document,
    ontology_graph,
    shapes_document,
    shapes_graph,
)
from educluster.linked_data import (
    GRAPH_FORMATS,
    RdfFormat,
    by_suffix,
    context_document,
    serialize_triples,
)
from educluster.resources import ontology_files, shape_files
from educluster.web import linking
from educluster.web.errors import ServiceError

bp = Blueprint("docs", __name__)
bp.record_once(lambda state: linking.init_templates(state.app))


@cache
def _serialized(which: str, fmt_name: str) -> bytes:
    graph = ontology_graph() if which == "ontology" else shapes_graph()
    fmt = GRAPH_FORMATS[fmt_name]
    if fmt.name == "jsonld":
        nt = graph.serialize(format="nt", encoding="utf-8")
        triples = [ox.Triple(q.subject, q.predicate, q.object)
                   for q in ox.parse(nt, format=ox.RdfFormat.N_TRIPLES)]
        return serialize_triples(triples, fmt)
    rdflib_name = {"turtle": "turtle", "ntriples": "nt", "rdfxml": "xml"}[fmt.name]
    return graph.serialize(format=rdflib_name, encoding="utf-8")


def _answer(which: str, suffix: str | None) -> Response:
    fmt: RdfFormat | None
    if suffix == "html":
        fmt = None
    elif suffix:
        fmt = by_suffix("." + suffix)
        if fmt is None or fmt.is_dataset:
            raise ServiceError(404, f"no {which} in format .{suffix}; "
                                    "try .ttl, .jsonld, .nt, .rdf or .html")
    else:
        fmt = linking.negotiate()
    if fmt is not None:
        charset = "" if fmt.name == "rdfxml" else "; charset=utf-8"
        response = Response(_serialized(which, fmt.name), content_type=fmt.media_type + charset)
    elif which == "ontology":
        response = Response(render_template(
            "ontology.html", doc=ontology_document(),
            files=[p.name for p in ontology_files()]), mimetype="text/html")
    else:
        response = Response(render_template(
            "shapes.html", principles=shapes_document(),
            files=[p.name for p in shape_files()]), mimetype="text/html")
    if not suffix:
        response.vary.add("Accept")
    return response


@bp.get("/ontology")
@bp.get("/ontology/", endpoint="ontology_slash")
def ontology():
    return _answer("ontology", None)


@bp.get("/ontology.<suffix>")
def ontology_file(suffix: str):
    return _answer("ontology", suffix)


@bp.get("/ontology/<name>.ttl")
def ontology_source(name: str):
    """One shipped ontology file, as it is in the source tree."""
    return _source_file(ontology_files(), name)


@bp.get("/shapes/<name>.ttl")
def shapes_source(name: str):
    """One shipped shapes file, as it is in the source tree."""
    return _source_file(shape_files(), name)


def _source_file(paths, name: str) -> Response:
    path = next((p for p in paths if p.stem == name), None)
    if path is None:
        raise ServiceError(404, f"no file {name}.ttl; the files are "
                                + ", ".join(p.name for p in paths))
    return Response(path.read_bytes(), content_type="text/turtle; charset=utf-8")


@bp.get("/shapes")
@bp.get("/shapes/", endpoint="shapes_slash")
def shapes():
    return _answer("shapes", None)


@bp.get("/shapes.<suffix>")
def shapes_file(suffix: str):
    return _answer("shapes", suffix)


@bp.get("/context.jsonld")
def context_jsonld():
    """The project's JSON-LD context, at a stable address."""
    response = Response(context_document(), content_type="application/ld+json; charset=utf-8")
    response.headers["Cache-Control"] = "public, max-age=3600"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
