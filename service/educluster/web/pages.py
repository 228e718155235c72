"""Pages for analysts: the home page, the cluster list and cluster pages, the SPARQL
query page (YASGUI) and the validation page.

- ``/``: what the service holds, the SPARQL endpoint's address and a SPARQLWrapper example;
- ``/clusters``: every cluster with its kind, orientation, region and member counts,
  sortable (``?sort=name|kind|orientation|region|members&order=asc|desc``);
- ``/clusters/NAME``: the cluster ``<base_iri>NAME`` (``/cluster?iri=IRI`` for a cluster
  outside the base IRI): members by kind with roles and responsibilities, the cooperation
  network as a picture, the derived orientation and why, and the principle-by-principle
  validation status (the same status and explanation as the cluster's ``/id/`` page,
  from ``educluster.web.resources.cluster_validation`` and
  ``educluster.reasoning.explain_cluster``);
- ``/query``: YASGUI on the service's own endpoint, a tab per named query;
- ``GET /validate``: the form (paste or upload Turtle, JSON-LD, YAML or CSV);
  ``POST /validate/ui`` shows the report grouped by principle (``POST /validate`` stays
  the API); ``/validate/examples/NAME`` serves a shipped example to try.

Everything the pages load is served here (``static/``): no CDN, no remote lookups.
"""

from __future__ import annotations

import hashlib
import json
import textwrap
from collections import OrderedDict
from dataclasses import dataclass, field
from urllib.parse import quote

import pyoxigraph as ox
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    render_template,
    request,
    url_for,
)
from markupsafe import Markup

from educluster.errors import EduclusterError
from educluster.linked_data import labels_for, local_name
from educluster.store.base import Store
from educluster.vocab import DERIVED_GRAPH, EC_IRI, ORG_IRI, SHAPES_GRAPH
from educluster.web import linking
from educluster.web import network as net
from educluster.web.errors import ServiceError

bp = Blueprint("pages", __name__)
bp.record_once(lambda state: linking.init_templates(state.app))

RDFS = "http://www.w3.org/2000/01/rdf-schema#"
DCTERMS = "http://purl.org/dc/terms/"
FOAF = "http://xmlns.com/foaf/0.1/"
CLUSTER = EC_IRI + "Cluster"
ORIENTATION_CLASSES = tuple(EC_IRI + n for n in ("VerticalCluster", "HorizontalCluster",
                                                  "MixedCluster"))
PREFIXES = (f"PREFIX ec: <{EC_IRI}>\nPREFIX org: <{ORG_IRI}>\nPREFIX rdfs: <{RDFS}>\n"
            f"PREFIX dcterms: <{DCTERMS}>\n")


def _store() -> Store:
    return current_app.extensions["educluster"].reader()


def _values(iris) -> str:
    return " ".join(str(ox.NamedNode(i)) for i in sorted(set(iris)))


def anchor(iri: str) -> str:
    """A stable HTML id for a resource shown on a page."""
    return "r-" + hashlib.sha1(iri.encode("utf-8")).hexdigest()[:12]


@bp.app_template_global()
def cluster_url(iri: str) -> str:
    """The address of a cluster's page (``/clusters/NAME``, or ``/cluster?iri=``)."""
    base = linking.base_iri()
    if iri.startswith(base) and len(iri) > len(base):
        return url_for("pages.cluster", name=iri[len(base):])
    return url_for("pages.cluster_by_iri", iri=iri)


@bp.app_template_filter("capfirst")
def _capitalized(text: str) -> str:
    """The text with its first letter in upper case (Jinja's ``capitalize`` lowers the
    rest, which breaks names)."""
    return text[:1].upper() + text[1:]


def _orientation_word(iri: str | None) -> str:
    return local_name(iri).lower() if iri else "none"


# -- kinds -------------------------------------------------------------------------------
def most_specific_kinds(store: Store, iris, top: str, *, exclude=()) -> dict[str, str]:
    """For each IRI, its most specific ``ec:`` class under ``top`` (the store holds the
    ontology and the derived class closure).

    Two plain queries and the choice made here: Virtuoso answers a property path after
    ``VALUES`` with nothing, and a NOT EXISTS holding a path with a stack overflow."""
    iris = list(iris)
    if not iris:
        return {}
    excluded = set(exclude)
    types: dict[str, set[str]] = {}
    for row in store.select(
        f"SELECT DISTINCT ?x ?k WHERE {{ VALUES ?x {{ {_values(iris)} }} ?x a ?k }}"
    ):
        if isinstance(row["k"], ox.NamedNode):
            types.setdefault(row["x"].value, set()).add(row["k"].value)
    supers: dict[str, set[str]] = {}
    for row in store.select(PREFIXES + """
        SELECT DISTINCT ?sub ?super WHERE {
          { SELECT DISTINCT ?sub WHERE { ?sub rdfs:subClassOf ?next } }
          ?sub rdfs:subClassOf+ ?super .
          FILTER (isIRI(?sub) && isIRI(?super))
        }"""):
        supers.setdefault(row["sub"].value, set()).add(row["super"].value)
    kinds: dict[str, str] = {}
    for x, classes in types.items():
        candidates = sorted(
            k for k in classes
            if k.startswith(EC_IRI) and k not in excluded and top in supers.get(k, ())
            and not any(
                k2 != k and k2 not in excluded and k in supers.get(k2, ()) for k2 in classes
            )
        )
        if candidates:
            kinds[x] = candidates[0]
    return kinds


# -- home ----------------------------------------------------------------------------------
@bp.get("/favicon.ico")
def favicon():
    """The site's icon (browsers ask for it at this address on every page)."""
    return current_app.send_static_file("pages/favicon.svg")


@bp.get("/")
def home():
    store = _store()
    counts = store.select(PREFIXES + """
        SELECT (COUNT(DISTINCT ?c) AS ?clusters) (COUNT(DISTINCT ?m) AS ?participants) WHERE {
          ?c a ec:Cluster . OPTIONAL { ?c ec:hasMember ?m }
        }""")
    clusters = cluster_rows(store)
    endpoint = url_for("sparql.endpoint", _external=True)
    return render_template(
        "pages/home.html",
        n_clusters=int(counts[0]["clusters"].value) if counts else 0,
        n_participants=int(counts[0]["participants"].value) if counts else 0,
        n_triples=store.triple_count("*"),
        n_graphs=len(store.named_graphs()),
        clusters=clusters, endpoint=endpoint, example=sparqlwrapper_example(endpoint),
    )


def sparqlwrapper_example(endpoint: str) -> str:
    """A Python program that asks the endpoint for every cluster and its orientation."""
    return f'''from SPARQLWrapper import JSON, SPARQLWrapper

sparql = SPARQLWrapper("{endpoint}")
sparql.setReturnFormat(JSON)
sparql.setQuery("""
    PREFIX ec: <{EC_IRI}>
    PREFIX rdfs: <{RDFS}>
    SELECT ?cluster ?label ?orientation WHERE {{
      ?cluster a ec:Cluster ; rdfs:label ?label ; ec:orientation ?orientation .
      FILTER (lang(?label) = "en")
    }} ORDER BY ?label
""")
for row in sparql.queryAndConvert()["results"]["bindings"]:
    print(row["label"]["value"], "->", row["orientation"]["value"])
'''


# -- cluster list -------------------------------------------------------------------------
@dataclass
class ClusterRow:
    iri: str
    label: str
    kind: str | None = None
    kind_label: str = ""
    orientation: str | None = None
    region: str | None = None
    region_label: str = ""
    members: int = 0
    by_kind: list[tuple[str, int]] = field(default_factory=list)  #: (kind label, count)
    url: str = ""


def cluster_rows(store: Store) -> list[ClusterRow]:
    rows = store.select(PREFIXES + f"""
        SELECT ?c (SAMPLE(?r) AS ?region) (SAMPLE(?o) AS ?orientation)
               (COUNT(DISTINCT ?m) AS ?members) WHERE {{
          ?c a ec:Cluster .
          OPTIONAL {{ ?c ec:region ?r }}
          OPTIONAL {{ GRAPH <{DERIVED_GRAPH}> {{ ?c ec:orientation ?o }} }}
          OPTIONAL {{ ?c ec:hasMember ?m }}
        }} GROUP BY ?c""")
    iris = [r["c"].value for r in rows if isinstance(r["c"], ox.NamedNode)]
    members = store.select(PREFIXES + f"""
        SELECT ?c ?m WHERE {{ VALUES ?c {{ {_values(iris)} }} ?c ec:hasMember ?m }}""") \
        if iris else []
    member_kinds = most_specific_kinds(store, {r["m"].value for r in members},
                                       ORG_IRI + "Organization", exclude=(CLUSTER,))
    cluster_kinds = most_specific_kinds(store, iris, CLUSTER, exclude=ORIENTATION_CLASSES)
    regions = {r["region"].value for r in rows if "region" in r}
    labels = labels_for(store, set(iris) | regions | set(member_kinds.values())
                        | set(cluster_kinds.values()))
    tallies: dict[str, dict[str, int]] = {}
    for r in members:
        kind = member_kinds.get(r["m"].value)
        name = labels.get(kind, local_name(kind)) if kind else "other"
        tally = tallies.setdefault(r["c"].value, {})
        tally[name] = tally.get(name, 0) + 1
    out = []
    for r in rows:
        if not isinstance(r["c"], ox.NamedNode):
            continue
        iri = r["c"].value
        kind = cluster_kinds.get(iri)
        region = r["region"].value if "region" in r else None
        out.append(ClusterRow(
            iri=iri, label=labels.get(iri, local_name(iri)), kind=kind,
            kind_label=labels.get(kind, local_name(kind)) if kind else "",
            orientation=r["orientation"].value if "orientation" in r else None,
            region=region, region_label=labels.get(region, local_name(region)) if region else "",
            members=int(r["members"].value),
            by_kind=sorted(tallies.get(iri, {}).items(), key=lambda kv: (-kv[1], kv[0])),
            url=cluster_url(iri),
        ))
    return sorted(out, key=lambda c: c.label.casefold())


SORT_KEYS = {
    "name": lambda c: net.natural_key(c.label),
    "kind": lambda c: (c.kind_label.casefold(), c.label.casefold()),
    "orientation": lambda c: (_orientation_word(c.orientation), c.label.casefold()),
    "region": lambda c: (c.region_label.casefold(), c.label.casefold()),
    "members": lambda c: (c.members, c.label.casefold()),
}


@bp.get("/clusters")
@bp.get("/clusters/", endpoint="clusters_slash")
def clusters():
    sort = request.args.get("sort", "name")
    order = request.args.get("order", "asc")
    if sort not in SORT_KEYS or order not in ("asc", "desc"):
        raise ServiceError(400, f"sort= takes one of {', '.join(SORT_KEYS)}; "
                                "order= takes asc or desc")
    rows = sorted(cluster_rows(_store()), key=SORT_KEYS[sort], reverse=order == "desc")
    return render_template("pages/clusters.html", clusters=rows, sort=sort, order=order,
                           columns=[("name", "Cluster"), ("kind", "Kind"),
                                    ("orientation", "Orientation"), ("region", "Region"),
                                    ("members", "Members")])


# -- one cluster ----------------------------------------------------------------------------
@dataclass
class Member:
    iri: str
    label: str
    kind: str
    kind_label: str
    member: bool = True
    roles: list[str] = field(default_factory=list)
    responsibilities: list[str] = field(default_factory=list)
    interests: list[str] = field(default_factory=list)
    specific_goals: list[str] = field(default_factory=list)
    leader: bool = False
    single_point: bool = False
    issues: int = 0
    anchor: str = ""


@bp.get("/clusters/<path:name>")
def cluster(name: str):
    iri = linking.base_iri() + name
    return _cluster_page(iri)


@bp.get("/cluster")
def cluster_by_iri():
    iri = request.args.get("iri", "")
    if not iri:
        raise ServiceError(400, "give the cluster's IRI: /cluster?iri=...")
    return _cluster_page(iri)


def _literals(store: Store, subject: ox.NamedNode, predicate: str) -> list[str]:
    rows = store.select(f"SELECT DISTINCT ?v WHERE {{ {subject} <{predicate}> ?v }}")
    values = [r["v"] for r in rows if isinstance(r["v"], ox.Literal)]
    english = [v.value for v in values if (v.language or "en").startswith("en")]
    return sorted(english or [v.value for v in values])


def _objects(store: Store, subject: ox.NamedNode, predicate: str) -> list[str]:
    rows = store.select(f"SELECT DISTINCT ?v WHERE {{ {subject} <{predicate}> ?v }}")
    return sorted(r["v"].value for r in rows if isinstance(r["v"], ox.NamedNode))


def _cluster_page(iri: str):
    store = _store()
    try:
        node = ox.NamedNode(iri)
    except ValueError:
        raise ServiceError(400, f"not an IRI: {iri!r}") from None
    if not store.ask(f"ASK {{ {node} a <{CLUSTER}> }}"):
        raise ServiceError(404, f"no cluster {iri} is described here; the list is at /clusters")
    view = cluster_view(store, iri)
    return render_template("pages/cluster.html", **view)


def cluster_view(store: Store, iri: str) -> dict:
    """Everything the cluster page shows."""
    from educluster.reasoning import explain_cluster
    from educluster.web.resources import cluster_validation

    node = ox.NamedNode(iri)
    # members: asserted or entailed ec:hasMember, and every membership of the cluster
    rows = store.select(PREFIXES + f"""
        SELECT DISTINCT ?x WHERE {{
          {{ {node} ec:hasMember ?x }} UNION {{ ?ms org:organization {node} ; org:member ?x }}
        }}""")
    member_iris = {r["x"].value for r in rows if isinstance(r["x"], ox.NamedNode)}
    details = store.select(PREFIXES + f"""
        SELECT ?x ?p ?v WHERE {{
          ?ms org:organization {node} ; org:member ?x ; ?p ?v .
          FILTER (?p IN (org:role, ec:responsibility, ec:privateInterest, ec:specificGoal))
        }}""")
    links = store.select(PREFIXES + f"""
        SELECT DISTINCT ?coop ?a ?b ?o WHERE {{
          ?coop ec:inCluster {node} ; ec:partner ?a, ?b .
          FILTER (STR(?a) < STR(?b))
          OPTIONAL {{ GRAPH <{DERIVED_GRAPH}> {{ ?coop ec:orientation ?o }} }}
        }}""")
    partner_iris = {r[k].value for r in links for k in ("a", "b")}
    leaders = set(_objects(store, node, EC_IRI + "ledBy"))
    kinds = most_specific_kinds(store, member_iris | partner_iris, ORG_IRI + "Organization",
                                exclude=(CLUSTER,))
    role_iris = {r["v"].value for r in details if isinstance(r["v"], ox.NamedNode)}
    region_iris = set(_objects(store, node, EC_IRI + "region"))
    goal_iris = set(_objects(store, node, EC_IRI + "commonGoal"))
    objective_iris = _objects(store, node, EC_IRI + "objective")
    coordinators = _objects(store, node, EC_IRI + "coordinator")
    kind_iris = set(_objects(store, node, "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"))
    areas = _objects(store, node, EC_IRI + "area")
    models = _objects(store, node, EC_IRI + "interactionModel")
    labels = labels_for(store, member_iris | partner_iris | set(kinds.values()) | role_iris
                        | region_iris | goal_iris | set(objective_iris) | set(coordinators)
                        | kind_iris | leaders | set(areas) | set(models) | {iri})
    label = labels.get(iri, local_name(iri))

    members: dict[str, Member] = {}
    for x in sorted(member_iris | partner_iris):
        kind = kinds.get(x, ORG_IRI + "Organization")
        members[x] = Member(
            iri=x, label=labels.get(x, local_name(x)), kind=kind,
            kind_label=labels.get(kind, local_name(kind)), member=x in member_iris,
            leader=x in leaders, anchor=anchor(x),
        )
    for r in details:
        m = members.get(r["x"].value)
        if m is None:
            continue
        p, v = r["p"].value, r["v"]
        text = labels.get(v.value, local_name(v.value)) if isinstance(v, ox.NamedNode) \
            else v.value
        if isinstance(v, ox.Literal) and v.language and not v.language.startswith("en"):
            continue
        target = {ORG_IRI + "role": m.roles, EC_IRI + "responsibility": m.responsibilities,
                  EC_IRI + "privateInterest": m.interests,
                  EC_IRI + "specificGoal": m.specific_goals}[p]
        if text not in target:
            target.append(text)

    edges = [net.Edge(iri=r["coop"].value if isinstance(r["coop"], ox.NamedNode) else "",
                      a=r["a"].value, b=r["b"].value,
                      orientation=r["o"].value if "o" in r else None) for r in links]
    member_edges = [e for e in edges if e.a in member_iris and e.b in member_iris]
    single_points = net.single_points(member_edges)
    for x in single_points:
        if x in members:
            members[x].single_point = True

    explanation = explain_cluster(store, iri)
    validation = cluster_validation(store, iri)
    principles = principle_status(store, validation)
    if validation:
        for r in validation["results"]:
            if r["focus"] in members:
                members[r["focus"]].issues += 1

    nodes = [net.Node(iri=m.iri, label=m.label, kind=m.kind, kind_label=m.kind_label,
                      href=linking.local_path(m.iri) or None, leader=m.leader,
                      single_point=m.single_point, member=m.member)
             for m in members.values()]
    drawn = net.layout(nodes, edges)
    svg = net.render_svg(drawn, title=f"Cooperation network of {label}")

    groups: OrderedDict[str, list[Member]] = OrderedDict()
    for m in sorted(members.values(), key=lambda m: (net.kind_rank(m.kind), m.kind_label,
                                                     not m.leader, net.natural_key(m.label))):
        if m.member:
            groups.setdefault(_capitalized(m.kind_label), []).append(m)
    outsiders = [m for m in members.values() if not m.member]

    objectives = []
    for o in objective_iris:
        onode = ox.NamedNode(o)
        objectives.append({
            "iri": o, "label": labels.get(o, local_name(o)), "anchor": anchor(o),
            "indicators": _literals(store, onode, EC_IRI + "indicator"),
            "deadlines": _literals(store, onode, EC_IRI + "deadline"),
        })
    cooperations = {
        "vertical": explanation.vertical, "horizontal": explanation.horizontal,
        "unoriented": explanation.unoriented,
    }
    on_page = {m.iri: m.anchor for m in members.values()} | {
        o["iri"]: o["anchor"] for o in objectives} | {iri: "about"}
    for group in cooperations.values():
        for c in group:
            on_page[c.cooperation] = anchor(c.cooperation)
    return {
        "iri": iri, "label": label, "labels": labels,
        "kinds": sorted(set(most_specific_kinds(store, [iri], CLUSTER,
                                                exclude=ORIENTATION_CLASSES).values())),
        "description": _literals(store, node, DCTERMS + "description"),
        "regions": sorted(region_iris), "leaders": sorted(leaders),
        "goals": sorted(goal_iris), "objectives": objectives, "coordinators": coordinators,
        "areas": areas, "models": models,
        "groups": groups, "outsiders": outsiders, "n_members": len(member_iris),
        "svg": svg, "n_edges": len(edges),
        "n_vertical": sum(1 for e in edges if e.orientation == net.VERTICAL),
        "n_horizontal": sum(1 for e in edges if e.orientation == net.HORIZONTAL),
        "single_points": [members[x] for x in sorted(single_points) if x in members],
        "explanation": explanation, "cooperations": cooperations,
        "validation": validation, "principles": principles, "on_page": on_page,
        "anchor": anchor, "orientation_word": _orientation_word,
    }


def principle_rank(principle: str) -> int:
    """The place of a principle in the report's order (DESIGN.md, "Principle shapes")."""
    from educluster.validation.report import PRINCIPLE_ORDER

    name = principle[len(EC_IRI):] if principle.startswith(EC_IRI) else ""
    return PRINCIPLE_ORDER.index(name) if name in PRINCIPLE_ORDER else len(PRINCIPLE_ORDER)


def principle_status(store: Store, validation: dict | None) -> list[dict]:
    """Every principle the shapes check, in the report's order, with its results."""
    rows = store.select(
        f"SELECT DISTINCT ?p WHERE {{ GRAPH <{SHAPES_GRAPH}> {{ ?s <{EC_IRI}principle> ?p }} }}")
    checked = {r["p"].value for r in rows} - {EC_IRI + "OntologyConsistency"}
    results = (validation or {}).get("results", [])
    checked |= {r["principle"] for r in results if r["principle"]}
    labels = labels_for(store, checked)

    out = []
    for p in sorted(checked, key=lambda p: (principle_rank(p), labels.get(p, p))):
        mine = [r for r in results if r["principle"] == p]
        violations = sum(1 for r in mine if r["severity"] == "Violation")
        warnings = sum(1 for r in mine if r["severity"] == "Warning")
        out.append({"iri": p, "label": _capitalized(labels.get(p, local_name(p))),
                    "results": mine,
                    "violations": violations, "warnings": warnings,
                    "status": "violated" if violations else "warning" if warnings else "ok",
                    "anchor": anchor(p)})
    other = [r for r in results if not r["principle"]]
    if other:
        out.append({"iri": "", "label": "Other", "results": other, "anchor": "other",
                    "violations": sum(1 for r in other if r["severity"] == "Violation"),
                    "warnings": sum(1 for r in other if r["severity"] == "Warning"),
                    "status": "violated" if any(r["severity"] == "Violation" for r in other)
                    else "warning"})
    return out


# -- the query page --------------------------------------------------------------------------
def with_prefix(text: str, prefix: str, iri: str) -> str:
    """The query with ``PREFIX prefix: <iri>`` declared (before its first declaration,
    else before its first line that is not a comment), unless it declares that prefix;
    the results table then shows the service's own resources as ``id:NAME``."""
    lines = text.splitlines()
    if any(line.split()[:2] == ["PREFIX", f"{prefix}:"] for line in lines if line.strip()):
        return text
    declaration = f"PREFIX {prefix}: <{iri}>"
    for i, line in enumerate(lines):
        stripped = line.strip()
        if stripped.upper().startswith("PREFIX") or (stripped and not stripped.startswith("#")):
            lines.insert(i, declaration)
            return "\n".join(lines) + "\n"
    return text


def readable_query(text: str) -> str:
    """A named query for the editor: its summary and description as plain comments, the
    API's other header lines (parameters, examples, expectations, tags) left out."""
    out, description = [], []
    for line in text.splitlines():
        if line.startswith("#+"):
            key, _, value = line[2:].partition(":")
            key = key.strip()
            if key == "summary":
                out.append("# " + value.strip())
            elif key == "description":
                description.append(value.strip())
            continue
        if description:
            out += ["# " + part for part in textwrap.wrap(" ".join(description), 88)]
            description = []
        out.append(line)
    return "\n".join(out).strip() + "\n"


@bp.get("/query")
def query_page():
    from educluster import named_queries as nq

    tabs = []
    for q in nq.named_queries().values():
        try:
            text = q.bound_text(q.bind(dict(q.example))) if q.example else q.text
        except EduclusterError:
            text = q.text
        tabs.append({"id": "nq-" + q.name, "name": q.summary or q.name,
                     "query": with_prefix(readable_query(text), "id", linking.base_iri()),
                     "title": q.name})
    digest = hashlib.sha1(json.dumps(tabs, sort_keys=True).encode("utf-8")).hexdigest()[:10]
    config = {
        "endpoint": url_for("sparql.endpoint", _external=True),
        "tabs": tabs,
        "persistenceId": f"educluster-yasgui-{digest}",
        "base": linking.base_iri(),
        "resourcePath": url_for("resources.index"),
        "ontology": EC_IRI,
        "ontologyPath": url_for("docs.ontology"),
    }
    return render_template("pages/query.html", config=config, tabs=tabs)


# -- the validation page -------------------------------------------------------------------
FORMATS = OrderedDict([
    ("auto", ("Recognize", None)),
    ("turtle", ("Turtle", "text/turtle")),
    ("jsonld", ("JSON-LD", "application/ld+json")),
    ("yaml", ("YAML form", "application/yaml")),
    ("csv", ("CSV (the clusters sheet)", "text/csv")),
    ("ntriples", ("N-Triples", "application/n-triples")),
    ("rdfxml", ("RDF/XML", "application/rdf+xml")),
])


def guess_media_type(text: str) -> str:
    """The media type of a pasted definition, from its first significant characters."""
    body = "\n".join(line for line in text.splitlines()
                     if line.strip() and not line.lstrip().startswith("#"))
    start = body.lstrip()[:1]
    if start in "{[" and start:
        return "application/ld+json"
    if start == "<" and body.lstrip()[:5].lower() in ("<?xml", "<rdf:"):
        return "application/rdf+xml"
    lowered = body.lower()
    if "@prefix" in lowered or lowered.lstrip().startswith(("prefix", "@base", "base", "<")):
        return "text/turtle"
    first = body.lstrip().splitlines()[0] if body.strip() else ""
    if "," in first and ":" not in first.split(",")[0]:
        return "text/csv"
    return "application/yaml"


def _examples() -> list[tuple[str, str]]:
    from educluster.resources import example_files, flawed_example_files

    out = [(p.stem, f"Example: {p.stem}") for p in example_files()]
    out += [(f"flawed/{p.stem}", f"Flawed: {p.stem}") for p in flawed_example_files()]
    return out


def _example_path(name: str):
    from educluster.resources import example_files, flawed_example_files

    for p in example_files():
        if p.stem == name:
            return p
    for p in flawed_example_files():
        if f"flawed/{p.stem}" == name:
            return p
    return None


@bp.get("/validate/examples/<path:name>")
def example(name: str):
    path = _example_path(name.removesuffix(".ttl"))
    if path is None:
        abort(404)
    return Response(path.read_bytes(), content_type="text/turtle; charset=utf-8")


@bp.get("/validate")
@bp.get("/validate/ui", endpoint="validate_ui_get")
def validate_page():
    text = ""
    chosen = request.args.get("example", "")
    if chosen:
        path = _example_path(chosen)
        if path is None:
            raise ServiceError(404, f"no example {chosen!r}")
        text = path.read_text(encoding="utf-8")
    return render_template("pages/validate.html", text=text, fmt="turtle" if text else "auto",
                           formats=FORMATS, examples=_examples(), chosen=chosen, report=None,
                           error=None, owl=False)


@bp.post("/validate/ui")
def validate_ui():
    from educluster.validation import validate as run_validation
    from educluster.web.uploads import parse_definitions

    text = request.form.get("definition", "")
    fmt = request.form.get("format", "auto")
    owl = request.form.get("owl") in ("on", "true", "1")
    if fmt not in FORMATS:
        fmt = "auto"
    files = [f for f in request.files.getlist("files") if f.filename]
    page = {"text": text, "fmt": fmt, "formats": FORMATS, "examples": _examples(),
            "chosen": request.form.get("example", ""), "owl": owl}
    parts: list[tuple[bytes, str | None, str | None]] = []
    for f in files:
        parts.append((f.read(), f.mimetype if f.mimetype != "application/octet-stream"
                      else None, f.filename))
    if text.strip():
        media = FORMATS[fmt][1] or guess_media_type(text)
        parts.append((text.encode("utf-8"), media,
                      "clusters.csv" if media == "text/csv" else None))
    if not parts:
        return render_template("pages/validate.html", report=None, status=400,
                               error="Paste a cluster definition or choose a file first.",
                               **page), 400
    try:
        quads = parse_definitions(parts)
        report = run_validation(quads, owl=owl)
    except (EduclusterError, ServiceError) as exc:
        message = exc.message if isinstance(exc, ServiceError) else str(exc)
        return render_template("pages/validate.html", report=None, error=message,
                               **page), 400
    view = report_view(_store(), report, quads)
    view["sources"] = [f.filename for f in files] + (["the pasted text"] if text.strip() else [])
    return render_template("pages/validate.html", report=view, error=None, **page)


def report_view(store: Store, report, quads: list[ox.Quad]) -> dict:
    """The report grouped by principle, each focus node named and linked: to its page
    here when the service describes it, else to what the definition says about it."""
    data = report.to_dict()
    statements: dict[str, list[ox.Quad]] = {}
    for q in quads:
        if isinstance(q.subject, ox.NamedNode):
            statements.setdefault(q.subject.value, []).append(q)
    focus = {r["focusNode"] for r in data["results"] if r["focusNode"]}
    described = set()
    iris = [f for f in focus if not f.startswith("_:")]
    if iris:
        described = {r["x"].value for r in store.select(
            f"SELECT DISTINCT ?x WHERE {{ VALUES ?x {{ {_values(iris)} }} ?x ?p ?o }}")}
    by_principle: OrderedDict[str, dict] = OrderedDict()
    checked = list(report.checked_principles)
    for r in report.results:
        p = str(r.principle) if r.principle else ""
        if p not in checked:
            checked.append(p)
    checked.sort(key=lambda p: (principle_rank(p), report.principle_label(p)))
    for p in checked:
        by_principle[p] = {"iri": p, "label": _capitalized(report.principle_label(p)),
                           "results": [],
                           "violations": 0, "warnings": 0, "anchor": anchor(p or "other")}
    subjects: OrderedDict[str, dict] = OrderedDict()
    for r, rj in zip(report.results, data["results"], strict=True):
        p = str(r.principle) if r.principle else ""
        group = by_principle[p]
        iri = rj["focusNode"] or ""
        item = dict(rj)
        item["name"] = r.label or (local_name(iri) if not iri.startswith("_:") else
                                   "an unnamed node")
        item["value_name"] = r.value_label or (local_name(rj["value"]) if rj["value"] else "")
        item["page"] = linking.local_path(iri) if iri in described else None
        item["anchor"] = anchor(iri) if iri in statements else None
        if iri in statements and iri not in subjects:
            subjects[iri] = {"iri": iri, "name": item["name"], "anchor": anchor(iri),
                             "statements": statements[iri], "page": item["page"]}
        group["results"].append(item)
        if r.severity == "Violation":
            group["violations"] += 1
        elif r.severity == "Warning":
            group["warnings"] += 1
    for group in by_principle.values():
        group["status"] = ("violated" if group["violations"] else
                           "warning" if group["warnings"] else "ok")
    return {
        "conforms": data["conforms"], "counts": data["counts"],
        "principles": list(by_principle.values()), "clusters": data["clusters"],
        "subjects": list(subjects.values()),
        "json_href": _data_uri("application/json", report.to_json()),
        "turtle_href": _data_uri("text/turtle", report.to_turtle()),
        "text_href": _data_uri("text/plain", report.to_text()),
        "n_triples": len(quads),
    }


def _data_uri(media_type: str, text: str) -> Markup:
    return Markup(f"data:{media_type};charset=utf-8," + quote(text, safe=""))
