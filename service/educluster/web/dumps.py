"""``/export``: the whole dataset as a dump; ``/.well-known/void``: its description.

``/export?format=turtle|ntriples|nquads|trig|jsonld|rdfxml&derived=false`` streams the
dump as it is serialized (``educluster.linked_data.iter_export``, the same code as
``educluster export``), gzip-compressed on the fly when the client accepts gzip.  Without
``format`` the ``Accept`` header chooses (Turtle by default).
"""

from __future__ import annotations

import threading

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


_void_cache: dict[tuple, list] = {}
_void_lock = threading.Lock()


@bp.get("/.well-known/void")
def void():
    dataset = current_app.extensions["educluster"]
    store = dataset.reader()
    fmt = linking.negotiate(html=False)
    # counting is a scan of the whole store: a published generation is counted once
    generation = getattr(dataset, "generation", None)
    key = (id(dataset), generation, request.url_root, linking.base_iri())
    triples = _void_cache.get(key) if generation is not None else None
    if triples is None:
        triples = describe_dataset(store, service_root=request.url_root,
                                   base_iri=linking.base_iri())
        if generation is not None:
            with _void_lock:
                if len(_void_cache) > 8:
                    _void_cache.clear()
                _void_cache[key] = triples
    charset = "" if fmt.name == "rdfxml" else "; charset=utf-8"
    body = serialize_triples(triples, fmt, prefixes=VOID_PREFIXES)
    response = Response(body, content_type=fmt.media_type + charset)
    response.vary.add("Accept")
    return response
