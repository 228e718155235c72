"""``/id/...``: every instance IRI under the base IRI dereferences here.

``/id/NAME`` is the resource ``<base_iri>NAME`` (setting ``base_iri``, default
``https://w3id.org/educluster/id/``): an HTML page for browsers, RDF for RDF clients by
``Accept`` (Turtle, JSON-LD, N-Triples, RDF/XML), or by a file suffix for people who
cannot set headers: ``/id/NAME.ttl``, ``.jsonld``, ``.nt``, ``.rdf``, ``.html``.  For a
cluster, ``/id/NAME.json`` is the framed cluster (cluster → memberships → participants →
cooperations, ``educluster.linked_data.frame_cluster``).  ``/id/`` lists the clusters.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

import pyoxigraph as ox
from flask import Blueprint, Response, current_app, json, render_template, request

from educluster.linked_data import (
    FORMATS,
    RDF_TYPE,
    Description,
    by_suffix,
    describe,
    frame_cluster,
    labels_for,
    serialize_triples,
)
from educluster.store.base import Store
from educluster.vocab import DERIVED_GRAPH, EC_IRI, ONTOLOGY_GRAPH, SHAPES_GRAPH
from educluster.web import linking
from educluster.web.errors import ServiceError

bp = Blueprint("resources", __name__)
bp.record_once(lambda state: linking.init_templates(state.app))

CLUSTER = EC_IRI + "Cluster"


def _store() -> Store:
    return current_app.extensions["educluster"].reader()


@bp.get("/id/", endpoint="index")
@bp.get("/id", endpoint="index_no_slash")
def index():
    """The clusters, and how many resources of each kind the service describes."""
    store = _store()
    base = linking.base_iri()
    clusters = store.select(
        f"SELECT DISTINCT ?c WHERE {{ ?c a <{CLUSTER}> "
        f"FILTER STRSTARTS(STR(?c), {ox.Literal(base)}) }} ORDER BY ?c"
    )
    kinds = store.select(
        f"SELECT ?type (COUNT(DISTINCT ?s) AS ?n) WHERE {{ ?s a ?type "
        f"FILTER STRSTARTS(STR(?s), {ox.Literal(base)}) "
        f"FILTER STRSTARTS(STR(?type), {ox.Literal(EC_IRI)}) }} GROUP BY ?type ORDER BY DESC(?n)"
    )
    iris = [r["c"].value for r in clusters] + [r["type"].value for r in kinds]
    labels = labels_for(store, iris)
    fmt = linking.negotiate()
    if fmt is not None:
        triples = [ox.Triple(r["c"], ox.NamedNode(RDF_TYPE), ox.NamedNode(CLUSTER))
                   for r in clusters]
        return _rdf_response(serialize_triples(triples, fmt), fmt.media_type)
    return render_template(
        "resource_index.html", clusters=[r["c"].value for r in clusters],
        kinds=[(r["type"].value, int(r["n"].value)) for r in kinds], labels=labels, base=base,
    )


@bp.get("/id/<path:name>")
def resource(name: str):
    store = _store()
    base = linking.base_iri()
    description, suffix = _find(store, base, name)
    if description is None:
        raise ServiceError(404, f"nothing is known about {base + name}")
    iri = description.iri
    if suffix == ".json":
        return _framed(store, iri)
    fmt = None
    if suffix and suffix != ".html":
        fmt = by_suffix(suffix)
    elif suffix != ".html":
        fmt = linking.negotiate()
    if fmt is not None:
        response = _rdf_response(serialize_triples(description.triples(), fmt), fmt.media_type)
    else:
        response = Response(_html(store, description), mimetype="text/html")
    if not suffix:
        response.vary.add("Accept")
    return response


_SUFFIXES = (".ttl", ".jsonld", ".nt", ".rdf", ".html", ".json")


def _find(store: Store, base: str, name: str) -> tuple[Description | None, str]:
    """The description of ``base + name``, or of the name without a format suffix."""
    for candidate, suffix in [(name, ""), *[
        (name[: -len(s)], s) for s in _SUFFIXES if name.endswith(s) and len(name) > len(s)
    ]]:
        try:
            description = describe(store, base + candidate)
        except ValueError:
            continue  # not an IRI
        if description.exists:
            return description, suffix
    return None, ""


def _rdf_response(body: bytes, media_type: str) -> Response:
    charset = "" if media_type == "application/rdf+xml" else "; charset=utf-8"
    return Response(body, content_type=media_type + charset)


def _framed(store: Store, iri: str) -> Response:
    framed = frame_cluster(store, iri)
    if framed is None:
        raise ServiceError(404, f"{iri} is not a cluster: only a cluster has a framed view")
    return Response(json.dumps(framed, indent=2, ensure_ascii=False) + "\n",
                    content_type="application/json; charset=utf-8")


def _html(store: Store, description: Description) -> str:
    iri = description.iri
    is_cluster = CLUSTER in description.types
    cluster = _cluster_facts(store, iri) if is_cluster else None
    labels = description.labels

    def shown(term) -> str:  # the text a value is shown by, for a stable readable order
        return (labels.get(term.value) or term.value).lower()

    outgoing: OrderedDict[str, list] = OrderedDict()
    for s in sorted(description.outgoing, key=lambda s: (
            s.predicate.value != RDF_TYPE, s.predicate.value, shown(s.object))):
        if s.subject.value == iri:
            outgoing.setdefault(s.predicate.value, []).append(s)
    nested: dict = {}  # a blank node value -> its own statements, shown inside the value
    for s in description.outgoing:
        if isinstance(s.subject, ox.BlankNode):
            nested.setdefault(s.subject, []).append(s)
    incoming: OrderedDict[str, list] = OrderedDict()
    for s in sorted(description.incoming, key=lambda s: (s.predicate.value, shown(s.subject))):
        incoming.setdefault(s.predicate.value, []).append(s)
    formats = [(f.name, f.suffix, f.media_type) for f in FORMATS.values() if not f.is_dataset]
    return render_template(
        "resource.html", d=description, labels=description.labels, outgoing=outgoing,
        nested=nested, incoming=incoming, cluster=cluster, formats=formats,
        page_name=request.view_args["name"] if request.view_args else "",
    )


# -- a cluster's orientation and validation status ---------------------------------------
_validation_cache: OrderedDict[tuple, dict] = OrderedDict()
_cache_lock = threading.Lock()


def _cluster_facts(store: Store, iri: str) -> dict:
    facts: dict = {"orientation": None, "reason": None, "validation": None}
    rows = store.select(f"SELECT ?o WHERE {{ {ox.NamedNode(iri)} <{EC_IRI}orientation> ?o }}")
    if rows:
        facts["orientation"] = rows[0]["o"].value
    try:
        from educluster.reasoning import explain_cluster

        facts["reason"] = explain_cluster(store, iri).reason
    except Exception as exc:  # the page still shows the data without an explanation
        current_app.logger.warning("no orientation explanation for %s: %s", iri, exc)
    facts["validation"] = cluster_validation(store, iri)
    return facts


def cluster_validation(store: Store, iri: str) -> dict | None:
    """The validation status of the cluster's own definition: the asserted graphs that
    describe it, validated as one definition; the results about the cluster, its
    memberships, members, cooperations, objectives and leaders.  Cached by the content of
    the definition."""
    node = ox.NamedNode(iri)
    skip = {DERIVED_GRAPH, ONTOLOGY_GRAPH, SHAPES_GRAPH}
    graphs = [r["g"].value for r in store.select(
        f"SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ {node} ?p ?o }} }}")
        if r["g"].value not in skip]
    quads = [q for g in graphs for q in store.quads(g)]
    if not graphs:  # described in the store's default graph
        quads = list(store.quads(None))
    key = (iri, hash(frozenset(quads)))  # the same definition gives the same report
    with _cache_lock:
        if key in _validation_cache:
            return _validation_cache[key]
    try:
        from educluster.validation import validate

        report = validate(quads, source=iri)
    except Exception as exc:
        current_app.logger.warning("cannot validate %s for its page: %s", iri, exc)
        return None
    # about the cluster: itself, what it names (leaders, goals, objectives, coordinator),
    # what names it (memberships, cooperations, projects) and its members
    related = {iri} | {r["x"].value for r in store.select(
        f"""SELECT DISTINCT ?x WHERE {{
              {{ {node} ?p ?x FILTER isIRI(?x) }}
              UNION {{ ?x ?p {node} }}
              UNION {{ ?m <http://www.w3.org/ns/org#organization> {node} ;
                         <http://www.w3.org/ns/org#member> ?x }} }}""")}
    results = [r for r in report.results if str(r.focus_node) in related]
    status = {
        "conforms": not any(r.severity == "Violation" for r in results),
        "counts": {sev: sum(1 for r in results if r.severity == sev)
                   for sev in ("Violation", "Warning", "Info")},
        "results": [{"severity": r.severity, "message": r.message,
                     "focus": str(r.focus_node), "label": r.label,
                     "principle": str(r.principle) if r.principle else None}
                    for r in results],
    }
    with _cache_lock:
        _validation_cache[key] = status
        while len(_validation_cache) > 64:
            _validation_cache.popitem(last=False)
    return status
