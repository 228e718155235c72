"""``/validate``: POST a cluster definition, get the principle-by-principle report.

The body is the definition (Turtle, JSON-LD, N-Triples, RDF/XML, or the analyst
YAML/CSV forms, by Content-Type) or a multipart upload of one or more files (merged into
one definition, each read by its Content-Type or file extension).  The report is the same
as ``educluster validate`` gives, negotiated: JSON (default), Turtle, JSON-LD (both the
standard ``sh:ValidationReport``), plain text or HTML.
``?owl=true`` adds the check against the ontology's axioms.
"""

from __future__ import annotations

import html
import json

from flask import Blueprint, Response, request

from educluster.settings import flag
from educluster.sparql.negotiation import parse_accept, quality
from educluster.web.errors import ServiceError
from educluster.web.uploads import parse_definitions

bp = Blueprint("validate", __name__)

REPORT_TYPES = {
    "application/json": "json",
    "text/turtle": "turtle",
    "text/plain": "text",
    "text/html": "html",
    "application/ld+json": "jsonld",
}
FORMAT_NAMES = {"json": "json", "turtle": "turtle", "ttl": "turtle", "text": "text",
                "txt": "text", "html": "html", "jsonld": "jsonld"}


@bp.route("/validate", methods=["POST", "OPTIONS"])
def validate():
    if request.method == "OPTIONS":
        return Response(status=204, headers={"Allow": "POST, OPTIONS"})
    try:
        owl = flag(request.args.get("owl", "false"))
    except Exception:
        raise ServiceError(400, "owl= takes true or false") from None
    content_type = request.headers.get("Content-Type", "")
    if content_type.lower().startswith("multipart/form-data"):
        files = [f for f in request.files.values() if f.filename or f.mimetype]
        if not files:
            raise ServiceError(400, "the multipart upload has no file")
        parts = [(f.read(), f.mimetype if f.content_type else None, f.filename or f.name)
                 for f in files]
    else:
        data = request.get_data(cache=False)
        if not data.strip():
            raise ServiceError(400, "POST the cluster definition as the body (e.g. Turtle with "
                                    "Content-Type: text/turtle) or as a multipart upload")
        parts = [(data, content_type, None)]
    quads = parse_definitions(parts)
    from educluster.validation import validate as run_validation

    report = run_validation(quads, owl=owl)
    return render_report(report)


def choose_report_format() -> str:
    wanted = request.args.get("format")
    if wanted:
        name = FORMAT_NAMES.get(wanted.lower())
        if name is None:
            raise ServiceError(406, f"format={wanted!r}: the report comes as json, turtle, "
                                    "jsonld, text or html")
        return name
    ranges = parse_accept(request.headers.get("Accept"))
    if not ranges:
        return "json"
    best, best_rank = None, (0.0, -1, 0)
    for position, (media, name) in enumerate(REPORT_TYPES.items()):
        q, specificity = quality(ranges, media)
        rank = (q, specificity, -position)
        if q > 0 and (best is None or rank > best_rank):
            best, best_rank = name, rank
    if best is None:
        raise ServiceError(406, "the report comes as application/json, text/turtle, "
                                "application/ld+json, text/plain or text/html")
    return best


def render_report(report, *, status: int = 200) -> Response:
    """The report as the client asked for it."""
    name = choose_report_format()
    if name == "turtle":
        body, content_type = report.to_turtle(), "text/turtle; charset=utf-8"
    elif name == "jsonld":
        body, content_type = report.to_jsonld(), "application/ld+json"
    elif name == "text":
        body, content_type = report.to_text(), "text/plain; charset=utf-8"
    elif name == "html":
        body, content_type = _html(_as_dict(report)), "text/html; charset=utf-8"
    else:
        body = json.dumps(_as_dict(report), ensure_ascii=False, indent=2)
        content_type = "application/json"
    if isinstance(body, str):
        body = body.encode("utf-8")
    response = Response(body, status=status, content_type=content_type)
    response.vary.add("Accept")
    return response


def _as_dict(report) -> dict:
    data = report.to_json()
    return json.loads(data) if isinstance(data, (str, bytes)) else data


def _html(data: dict) -> str:
    e = html.escape
    verdict = "conforms" if data.get("conforms") else "does not conform"
    counts = data.get("counts", {})
    rows = []
    for r in data.get("results", []):
        rows.append(
            "<tr>" + "".join(f"<td>{e(str(r.get(k) or ''))}</td>" for k in (
                "severity", "principle", "focusNode", "resultPath", "value", "message")) + "</tr>"
        )
    clusters = "".join(
        f"<li>{e(iri)}: {e(str(info.get('orientation') or 'no orientation'))}"
        f"{' — ' + e(info['explanation']) if info.get('explanation') else ''}</li>"
        for iri, info in (data.get("clusters") or {}).items()
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Validation report</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:.3em .5em;vertical-align:top}}</style></head>
<body><h1>Validation report</h1>
<p>The definition <strong>{verdict}</strong>: {e(str(counts.get('Violation', 0)))} violation(s),
{e(str(counts.get('Warning', 0)))} warning(s), {e(str(counts.get('Info', 0)))} info.</p>
<h2>Clusters</h2><ul>{clusters or '<li>none</li>'}</ul>
<h2>Results</h2>
<table><tr><th>Severity</th><th>Principle</th><th>Focus node</th><th>Path</th><th>Value</th>
<th>Message</th></tr>{''.join(rows)}</table></body></html>
"""
