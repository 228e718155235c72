"""``/export``: the whole dataset as a dump; ``/.well-known/void``: its description.

``/export?format=turtle|ntriples|nquads|trig|jsonld|rdfxml&derived=false`` streams the
dump as it is serialized (``educluster.linked_data.iter_export``, the same code as
``educluster export``), gzip-compressed on the fly when the client accepts gzip.  Without
``format`` the ``Accept`` header chooses (Turtle by default).
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request, stream_with_context

from educluster.linked_data import FORMATS, gzip_stream, iter_export, rdf_format, serialize_triples
from educluster.void import describe_dataset
from educluster.web import linking

bp = Blueprint("dumps", __name__)
bp.record_once(lambda state: linking.init_templates(state.app))

_FALSE = {"false", "0", "no", "off"}
VOID_PREFIXES = {"void": "http://rdfs.org/ns/void#", "dcat": "http://www.w3.org/ns/dcat#",
                 "sd": "http://www.w3.org/ns/sparql-service-description#"}


def _flag(name: str, default: bool) -> bool:
    value = request.args.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() not in _FALSE


@bp.get("/export")
def export():
    wanted = request.args.get("format")
    if wanted:
        fmt = rdf_format(wanted)
    else:
        offered = [f.media_type for f in FORMATS.values()]
        best = linking.accepted().best_match(offered, default="text/turtle")
        fmt = next(f for f in FORMATS.values() if f.media_type == best)
    include_derived = _flag("derived", True)
    store = current_app.extensions["educluster"].reader()
    chunks = iter_export(store, fmt, include_derived=include_derived)
    filename = "educluster" + ("" if include_derived else "-asserted") + fmt.suffix
    headers = {
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Vary": "Accept, Accept-Encoding",
    }
    if request.accept_encodings["gzip"] > 0:
        chunks = gzip_stream(chunks)
        headers["Content-Encoding"] = "gzip"
    charset = "" if fmt.name == "rdfxml" else "; charset=utf-8"
    return Response(stream_with_context(chunks), content_type=fmt.media_type + charset,
                    headers=headers, direct_passthrough=True)


@bp.get("/.well-known/void")
def void():
    store = current_app.extensions["educluster"].reader()
    fmt = linking.negotiate(html=False)
    triples = describe_dataset(store, service_root=request.url_root, base_iri=linking.base_iri())
    charset = "" if fmt.name == "rdfxml" else "; charset=utf-8"
    body = serialize_triples(triples, fmt, prefixes=VOID_PREFIXES)
    response = Response(body, content_type=fmt.media_type + charset)
    response.vary.add("Accept")
    return response
