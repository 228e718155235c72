"""What the linked-data pages share: negotiation between HTML and RDF, the instance base
IRI, and turning RDF terms into links in the HTML pages.

An IRI under the instance base IRI (setting ``base_iri``) links to its page under
``/id/``; a term of the ontology (``ec:``) to its entry on ``/ontology``; a shape
(``ecsh:``) to ``/shapes``; any other http(s) IRI to itself.  Literals are shown as text
with their language or datatype.  Jinja escapes everything else.
"""

from __future__ import annotations

from flask import current_app, request, url_for
from markupsafe import Markup, escape
from werkzeug.datastructures import MIMEAccept

from educluster.linked_data import GRAPH_FORMATS, RdfFormat, base_iri_setting, local_name
from educluster.store.base import Term
from educluster.vocab import EC_IRI, ECSH_IRI, ONTOLOGY_IRI, PREFIXES

HTML = "text/html"
#: the media types a linked-data page answers, RDF first so that */* gets Turtle
RDF_MEDIA_TYPES = {f.media_type: f for f in GRAPH_FORMATS.values()}
RDF_MEDIA_TYPES["application/json"] = GRAPH_FORMATS["jsonld"]


def base_iri() -> str:
    return base_iri_setting(current_app.config.get("EDUCLUSTER"))


def negotiate(suffix_format: RdfFormat | None = None, *, html: bool = True) -> RdfFormat | None:
    """The RDF format to answer in, or None for the HTML page.

    A file suffix or ``?format=`` wins; else ``Accept``: a browser (text/html preferred)
    gets HTML, an RDF client its format, ``*/*`` or no header Turtle (werkzeug's
    ``best_match`` takes the first offer on a tie, and the RDF types come first).  An
    Accept header naming nothing we have gets Turtle too rather than a 406."""
    if suffix_format is not None:
        return suffix_format
    wanted = request.args.get("format")
    if wanted:
        from educluster.linked_data import rdf_format

        if wanted.lower() in {"html", HTML}:
            return None
        return rdf_format(wanted, datasets=False)
    offered = list(RDF_MEDIA_TYPES) + ([HTML] if html else [])
    best = accepted().best_match(offered, default="text/turtle")
    if best == HTML:
        return None
    return RDF_MEDIA_TYPES[best]


def accepted() -> MIMEAccept:
    """The request's Accept header without media type parameters, so that
    ``application/ld+json;profile="...#compacted"`` counts as JSON-LD."""
    return MIMEAccept([(value.split(";", 1)[0].strip(), quality)
                       for value, quality in request.accept_mimetypes])


def local_path(iri: str) -> str | None:
    """The service path of an IRI served here, or None."""
    base = base_iri()
    if iri.startswith(base) and len(iri) > len(base):
        return url_for("resources.resource", name=iri[len(base):])
    if iri.startswith(EC_IRI):
        return url_for("docs.ontology") + "#" + iri[len(EC_IRI):]
    if iri == ONTOLOGY_IRI:
        return url_for("docs.ontology")
    if iri.startswith(ECSH_IRI):
        return url_for("docs.shapes") + "#" + iri[len(ECSH_IRI):]
    return None


def curie(iri: str) -> str:
    """``ec:Cluster`` for a known prefix, else the IRI."""
    for prefix, base in PREFIXES.items():
        if iri.startswith(base) and len(iri) > len(base) and prefix != "id":
            return f"{prefix}:{iri[len(base):]}"
    return iri


def term_link(term: Term | str, labels: dict[str, str] | None = None) -> Markup:
    """An RDF term as HTML: a link with the term's label for an IRI, text for a literal."""
    labels = labels or {}
    if isinstance(term, str):
        iri = term
    elif term.__class__.__name__ == "NamedNode":
        iri = term.value
    elif term.__class__.__name__ == "BlankNode":
        return Markup('<span class="bnode">[{}]</span>').format("blank node")
    else:
        return literal_html(term)
    text = labels.get(iri) or (curie(iri) if curie(iri) != iri else local_name(iri) or iri)
    href = local_path(iri)
    if href is None and iri.startswith(("http://", "https://")):
        href = iri
    if href is None:
        return Markup('<span class="iri">{}</span>').format(iri)
    return Markup('<a href="{}" title="{}">{}</a>').format(href, iri, text)


def literal_html(literal) -> Markup:
    value = escape(literal.value)
    language = getattr(literal, "language", None)
    if language:
        return Markup('{} <span class="lang">@{}</span>').format(value, language)
    datatype = literal.datatype.value
    if datatype in _PLAIN_DATATYPES:  # their values speak for themselves
        return Markup("{}").format(value)
    return Markup('{} <span class="datatype">{}</span>').format(value, curie(datatype))


_PLAIN_DATATYPES = {PREFIXES["xsd"] + name for name in (
    "string", "integer", "decimal", "double", "boolean", "date", "dateTime", "gYear")}


def init_templates(app) -> None:
    """Register the helpers the templates use (called once per app)."""
    app.jinja_env.globals.update(term_link=term_link, curie=curie, local_path=local_path)
