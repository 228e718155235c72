"""The analysts' pages without a browser (Flask's test client, and SPARQLWrapper against a
loopback server for the home page's example): status codes, counts, links, the network
picture's content, the validation page on every flawed example and on the forms."""

from __future__ import annotations

import contextlib
import io
import json
import math
import re
from html.parser import HTMLParser
from pathlib import Path

import pyoxigraph as ox
import pytest

from educluster import named_queries as nq
from educluster.resources import flawed_example_files, resource_dir
from educluster.web import create_app
from educluster.web import network as net
from educluster.web.pages import guess_media_type, readable_query, with_prefix
from httpserver import LiveServer
from pagesutil import TASHKENT, example_dataset, flawed_path

EC = "https://w3id.org/educluster#"
ID = "https://w3id.org/educluster/id/"
HTML = {"Accept": "text/html"}
VENDOR = Path(create_app.__code__.co_filename).parent.parent / "static" / "vendor" / "yasgui"


@pytest.fixture(scope="module")
def app():
    return create_app(example_dataset())


@pytest.fixture(scope="module")
def client(app):
    return app.test_client()


@pytest.fixture(scope="module")
def store(app):
    return app.extensions["educluster"].reader()


class Elements(HTMLParser):
    """Every start tag of a page with its attributes, and the text of each element by id."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self._open: list[tuple[str, str | None]] = []
        self.text_by_id: dict[str, str] = {}
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attributes = {k: v or "" for k, v in attrs}
        self.tags.append((tag, attributes))
        if tag not in ("br", "img", "input", "link", "meta", "rect", "circle", "line", "path"):
            self._open.append((tag, attributes.get("id")))
            if attributes.get("id"):
                self.text_by_id[attributes["id"]] = ""

    def handle_endtag(self, tag):
        while self._open:
            name, _ = self._open.pop()
            if name == tag:
                break

    def handle_data(self, data):
        for _, ident in self._open:
            if ident:
                self.text_by_id[ident] += data

    def find(self, tag: str, **wanted) -> list[dict[str, str]]:
        out = []
        for name, attrs in self.tags:
            if name != tag:
                continue
            if all((k == "class_" and v in attrs.get("class", "").split())
                   or attrs.get(k) == v for k, v in wanted.items()):
                out.append(attrs)
        return out


def page(client, path: str, status: int = 200) -> Elements:
    response = client.get(path, headers=HTML)
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert response.mimetype == "text/html"
    return Elements(response.get_data(as_text=True))


def count(store, sparql: str) -> int:
    return int(store.select(sparql)[0]["n"].value)


# -- every page --------------------------------------------------------------------------------
PAGES = ["/", "/clusters", "/clusters/tashkent-teacher-education-cluster", "/query",
         "/validate", "/validate?example=flawed/leadership"]


@pytest.mark.parametrize("path", PAGES)
def test_pages_load_only_local_assets(client, path):
    elements = page(client, path)
    assets = [a.get("src") for _, a in elements.tags if a.get("src")]
    assets += [a["href"] for t, a in elements.tags if t == "link" and a.get("href")]
    assert assets
    for asset in assets:
        assert asset.startswith("/"), f"{path} loads {asset} from elsewhere"
        with client.get(asset) as response:
            assert response.status_code == 200, asset
    assert elements.find("meta", name="viewport")


def test_yasgui_is_vendored_with_its_licenses(client):
    for name in ("yasgui.min.js", "yasgui.min.css", "LICENSE", "THIRD-PARTY-LICENSES", "VERSION"):
        assert (VENDOR / name).is_file(), name
    assert "MIT" in (VENDOR / "LICENSE").read_text()
    assert "codemirror" in (VENDOR / "THIRD-PARTY-LICENSES").read_text()
    with client.get("/static/vendor/yasgui/yasgui.min.js") as script:
        assert script.status_code == 200 and b"Yasgui" in script.data[:2000]
        assert b"sourceMappingURL" not in script.data[-300:]


def test_favicon(client):
    with client.get("/favicon.ico") as response:
        assert response.status_code == 200 and response.mimetype == "image/svg+xml"


# -- home --------------------------------------------------------------------------------------
def test_home_counts_what_the_store_holds(client, store):
    elements = page(client, "/")
    clusters = count(store, f"SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE {{ ?c a <{EC}Cluster> }}")
    members = count(store, f"SELECT (COUNT(DISTINCT ?m) AS ?n) WHERE {{ ?c <{EC}hasMember> ?m }}")
    assert clusters == 7
    texts = {a["data-count"]: None for a in elements.find("strong") if a.get("data-count")}
    assert set(texts) == {"clusters", "participants", "triples"}
    html = client.get("/").get_data(as_text=True)
    assert f'data-count="clusters">{clusters}<' in html
    assert f'data-count="participants">{members}<' in html
    assert f'data-count="triples">{store.triple_count("*"):,}<' in html
    for link in ("/clusters", "/query", "/validate", "/queries", "/ontology", "/shapes"):
        assert elements.find("a", href=link), link
    assert "http://localhost/sparql" in elements.text_by_id["endpoint-url"]


def test_home_sparqlwrapper_example_runs_against_the_service(app):
    """The example on the home page, copied as it is, answers on a real server."""
    with LiveServer(app) as live:
        html = live.request("GET", "/", headers=HTML).text
        code = Elements(html).text_by_id["sparqlwrapper-example"]
        assert f'SPARQLWrapper("{live.url}/sparql")' in code
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(code, "home-page-example", "exec"), {})
    lines = out.getvalue().splitlines()
    assert "Innovative cluster of teacher education of the Tashkent region -> " \
        f"{EC}Vertical" in lines
    assert len(lines) == 7


# -- the cluster list --------------------------------------------------------------------------
def test_cluster_list_has_every_cluster_with_its_facts(client, store):
    elements = page(client, "/clusters")
    rows = elements.find("tr")
    iris = [r["data-iri"] for r in rows if r.get("data-iri")]
    expected = {r["c"].value for r in store.select(f"SELECT ?c WHERE {{ ?c a <{EC}Cluster> }}")}
    assert set(iris) == expected and len(iris) == 7
    html = client.get("/clusters").get_data(as_text=True)
    row = html[html.index(f'data-iri="{TASHKENT}"'):]
    row = row[:row.index("</tr>")]
    assert 'href="/clusters/tashkent-teacher-education-cluster"' in row
    assert "Tashkent region" in row and "vertical" in row
    assert 'data-value="30"' in row and "general secondary school: 21" in row


@pytest.mark.parametrize("key", ["name", "kind", "orientation", "region", "members"])
@pytest.mark.parametrize("order", ["asc", "desc"])
def test_cluster_list_sorts(client, key, order):
    html = client.get(f"/clusters?sort={key}&order={order}").get_data(as_text=True)
    column = ["name", "kind", "orientation", "region", "members"].index(key)
    values = []
    for row in re.findall(r"<tr data-iri=.*?</tr>", html, flags=re.S):
        cells = re.findall(r'<td data-value="([^"]*)"', row)
        values.append(int(cells[column]) if key == "members" else cells[column].casefold())
    assert len(values) == 7
    if key == "name":
        values = [net.natural_key(v) for v in values]
    assert values == sorted(values, reverse=order == "desc")
    assert 'aria-sort="' + ("ascending" if order == "asc" else "descending") in html


def test_cluster_list_rejects_unknown_sort(client):
    assert client.get("/clusters?sort=colour").status_code == 400
    assert client.get("/clusters?order=sideways").status_code == 400


# -- a cluster page ----------------------------------------------------------------------------
def test_tashkent_page_draws_30_members_and_59_vertical_links(client, store):
    response = client.get("/clusters/tashkent-teacher-education-cluster")
    html = response.get_data(as_text=True)
    elements = Elements(html)
    svg = elements.find("svg", class_="network")
    assert len(svg) == 1 and svg[0]["data-members"] == "30" and svg[0]["data-cooperations"] == "59"
    nodes = elements.find("g", class_="node")
    assert len(nodes) == 30
    members = {r["m"].value for r in store.select(
        f"SELECT ?m WHERE {{ <{TASHKENT}> <{EC}hasMember> ?m }}")}
    assert {n["data-iri"] for n in nodes} == members
    # every node links to the member's page and is labelled
    for n in members:
        assert f'href="/id/{n[len(ID):]}"' in html
    edges = elements.find("path", class_="edge")
    assert len(edges) == 59 and {e["data-orientation"] for e in edges} == {"vertical"}
    leaders = elements.find("g", class_="leader")
    assert [g["data-iri"] for g in leaders] == [
        ID + "tashkent-regional-department-of-public-education"]
    assert "★ leader" in html
    assert not elements.find("g", class_="single-point")
    assert "No single point of failure" in html


def test_cluster_page_groups_members_by_kind_with_roles(client):
    html = client.get("/clusters/tashkent-teacher-education-cluster").get_data(as_text=True)
    members = html[html.index('<section id="members">'):]
    headings = re.findall(r"<h3>([^<]+)</h3>", members)
    assert [h.split(" (")[0] for h in headings] == [
        "Public authority", "Higher education institution", "Academic lyceum",
        "General secondary school", "Preschool educational institution"]
    assert [int(re.search(r"\((\d+)\)", h).group(1)) for h in headings] == [2, 1, 1, 21, 5]
    assert members.count('class="member"') == 30
    institute = members[members.index("Chirchik State Pedagogical Institute"):]
    institute = institute[:institute.index("</tr>")]
    assert "Lead institution" in institute and "<li>" in institute  # a role, responsibilities


def test_cluster_page_explains_the_orientation(client):
    html = client.get("/clusters/tashkent-teacher-education-cluster").get_data(as_text=True)
    section = html[html.index('<section id="orientation">'):html.index('<section id="validation">')]
    assert "Vertical: all 59 cooperations are vertical" in section
    assert section.count('class="coop-vertical"') == 59


def test_cluster_page_marks_a_single_point_of_failure(client):
    html = client.get("/clusters/flawed-failure-tolerance-cluster").get_data(as_text=True)
    elements = Elements(html)
    spof = elements.find("g", class_="single-point")
    assert [g["data-iri"] for g in spof] == [ID + "flawed-failure-tolerance-university"]
    assert "⚠ single point of failure" in html
    row = [r for r in elements.find("tr", class_="principle") if "warning" in r["class"].split()]
    assert len(row) == 1
    text = elements.text_by_id[row[0]["id"]]
    assert "Failure tolerance" in text and "Example pedagogical university" in text
    # the result links to the member's row on the page
    member_anchor = [r["id"] for r in elements.find("tr", class_="member")
                     if "university" in elements.text_by_id[r["id"]].lower()]
    assert f'href="#{member_anchor[0]}"' in html


def test_cluster_page_agrees_with_the_resource_page(client):
    """The cluster page and the /id/ page show the same status and explanation."""
    cluster = client.get("/clusters/flawed-leadership-cluster").get_data(as_text=True)
    resource = client.get("/id/flawed-leadership-cluster", headers=HTML).get_data(as_text=True)
    assert "does not conform: 1 violation" in cluster.lower()
    assert "does not conform: 1 violation" in resource.lower()
    assert "vertical: all 3 cooperations are vertical" in cluster.lower()
    assert "vertical: all 3 cooperations are vertical" in resource.lower()
    elements = Elements(cluster)
    violated = [r for r in elements.find("tr", class_="principle") if "violated" in r["class"]]
    assert len(violated) == 1 and "Leadership" in elements.text_by_id[violated[0]["id"]]


def test_cluster_outside_the_base_iri():
    """A cluster with IRIs of its own has a page at /cluster?iri=..., linked from the list."""
    text = flawed_path("leadership").read_text(encoding="utf-8").replace(
        "@prefix id: <https://w3id.org/educluster/id/>", "@prefix id: <https://example.org/c/>")
    dataset = example_dataset(flawed=())
    dataset.write(lambda s: s.load(text.encode(), ox.RdfFormat.TURTLE,
                                   graph="https://example.org/graph"))
    client = create_app(dataset).test_client()
    iri = "https://example.org/c/flawed-leadership-cluster"
    listing = client.get("/clusters").get_data(as_text=True)
    assert 'href="/cluster?iri=https%3A//example.org/c/flawed-leadership-cluster"' in listing \
        or 'href="/cluster?iri=https://example.org/c/flawed-leadership-cluster"' in listing
    html = client.get("/cluster", query_string={"iri": iri}).get_data(as_text=True)
    assert Elements(html).find("svg", class_="network")[0]["data-members"] == "4"
    assert "does not conform" in html.lower()
    assert client.get("/cluster?iri=https://example.org/nothing").status_code == 404
    assert client.get("/cluster?iri=not%20an%20iri").status_code in (400, 404)
    assert client.get("/cluster").status_code == 400


def test_unknown_clusters_are_404(client):
    assert client.get("/clusters/no-such-cluster").status_code == 404
    # a resource that is not a cluster has no cluster page
    assert client.get("/clusters/chirchik-state-pedagogical-institute").status_code == 404


# -- the query page ----------------------------------------------------------------------------
def test_query_page_has_a_runnable_tab_per_named_query():
    """Each tab is a named query with its example bound, and gives the example's
    expected answer on the example data."""
    app = create_app()
    store = app.extensions["educluster"].reader()
    elements = page(app.test_client(), "/query")
    config = json.loads(elements.text_by_id["yasgui-config"])
    assert config["endpoint"] == "http://localhost/sparql"
    queries = nq.named_queries()
    assert [t["title"] for t in config["tabs"]] == list(queries)
    for tab in config["tabs"]:
        assert "#+" not in tab["query"]  # the API's header lines are left out
        query = queries[tab["title"]]
        assert nq.check_expectations(query, store.query(tab["query"])) == [], tab["title"]
    assert len(elements.find("option")) == len(queries) + 1
    assert elements.find("script", src="/static/vendor/yasgui/yasgui.min.js")


def test_with_prefix():
    query = "# about\nPREFIX ec: <e#>\nSELECT * {}\n"
    assert with_prefix(query, "id", "i/") == \
        "# about\nPREFIX id: <i/>\nPREFIX ec: <e#>\nSELECT * {}\n"
    assert with_prefix("SELECT * {}", "id", "i/") == "PREFIX id: <i/>\nSELECT * {}\n"
    declared = "PREFIX id: <x/>\nSELECT * {}\n"
    assert with_prefix(declared, "id", "i/") == declared


def test_readable_query_keeps_summary_and_description():
    text = "#+ summary: S\n#+ description: a b\n#+ description: c\n#+ tags: t\nSELECT * {}\n"
    assert readable_query(text) == "# S\n# a b c\nSELECT * {}\n"


# -- the validation page -----------------------------------------------------------------------
def validate_text(client, text: str, fmt: str = "auto"):
    return client.post("/validate/ui", data={"definition": text, "format": fmt},
                       content_type="multipart/form-data")


def violated_principles(html: str) -> dict[str, str]:
    """principle IRI -> status class of each row of the report."""
    out = {}
    for tag, attrs in Elements(html).tags:
        if tag == "tr" and attrs.get("data-principle") is not None:
            out[attrs["data-principle"]] = attrs["class"].split()[-1]
    return out


def test_validation_page_get(client):
    elements = page(client, "/validate")
    assert elements.find("textarea", name="definition")
    assert elements.find("input", type="file", name="files")
    assert len(elements.find("option")) > len(flawed_example_files())
    # the API on the same address is unchanged: POST answers the report as JSON
    answer = client.post("/validate", data=flawed_path("leadership").read_bytes(),
                         content_type="text/turtle")
    assert answer.status_code == 200 and answer.json["conforms"] is False
    assert client.options("/validate").status_code == 204


@pytest.mark.parametrize("path", flawed_example_files(), ids=lambda p: p.stem)
def test_every_flawed_example_names_the_principle_it_breaks(client, path):
    text = path.read_text(encoding="utf-8")
    broken = re.search(r"ec:breaksPrinciple ec:(\w+)", text).group(1)
    response = validate_text(client, text)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    statuses = violated_principles(html)
    assert statuses[EC + broken] in ("violated", "warning")
    assert {p for p, s in statuses.items() if s != "ok"} == {EC + broken}
    # each offending node is named and linked to what the definition says about it
    elements = Elements(html)
    focus = [a for a in elements.find("a", class_="focus")]
    assert focus
    for a in focus:
        assert elements.find("details", id=a["href"][1:])


def test_report_downloads_as_json_and_turtle(client):
    html = validate_text(client, flawed_path("regionalization").read_text()).get_data(
        as_text=True)
    elements = Elements(html)
    from urllib.parse import unquote

    links = {a["download"]: a["href"] for a in elements.find("a") if a.get("download")}
    report = json.loads(unquote(links["validation-report.json"].split(",", 1)[1]))
    assert report["conforms"] is False and report["counts"]["Violation"] >= 1
    turtle = unquote(links["validation-report.ttl"].split(",", 1)[1])
    graph = ox.Store()
    graph.load(turtle.encode(), ox.RdfFormat.TURTLE)
    assert list(graph.quads_for_pattern(None, None, ox.NamedNode(
        "http://www.w3.org/ns/shacl#ValidationReport")))


def test_validation_page_reads_the_yaml_form_and_csv_sheets(client):
    forms = resource_dir("data") / "forms"
    html = validate_text(client, (forms / "tashkent.yaml").read_text(), "yaml") \
        .get_data(as_text=True)
    assert 'id="verdict">✓ Conforms' in html
    # pasted YAML is recognized without choosing the format
    assert 'id="verdict">✓ Conforms' in validate_text(
        client, (forms / "tashkent.yaml").read_text()).get_data(as_text=True)
    sheets = sorted((forms / "tashkent").glob("*.csv"))
    files = [(io.BytesIO(p.read_bytes()), p.name) for p in sheets]
    response = client.post("/validate/ui", data={"files": files},
                           content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="verdict">✓ Conforms' in html
    assert "Vertical" in html or "vertical" in html


def test_validation_page_reports_bad_input(client):
    response = validate_text(client, "@prefix ec: <https://w3id.org/educluster#> .\nec:a ec:b .\n")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'id="input-error"' in html and "line 2" in html
    assert "ec:a ec:b" in html  # the text is kept for fixing
    empty = validate_text(client, "   ")
    assert empty.status_code == 400 and "Paste a cluster definition" in empty.get_data(as_text=True)


def test_shipped_examples_are_served_for_the_page(client):
    response = client.get("/validate/examples/flawed/leadership.ttl")
    assert response.status_code == 200 and response.mimetype == "text/turtle"
    assert client.get("/validate/examples/../../etc/passwd").status_code == 404
    html = client.get("/validate?example=flawed/leadership").get_data(as_text=True)
    assert "ec:breaksPrinciple ec:Leadership" in html
    assert client.get("/validate?example=nope").status_code == 404


@pytest.mark.parametrize(("text", "media"), [
    ("@prefix ec: <x#> .", "text/turtle"),
    ("PREFIX ec: <x#>\nec:a ec:b ec:c .", "text/turtle"),
    ("# a comment\n<http://a> <http://b> <http://c> .", "text/turtle"),
    ('{"@context": {}}', "application/ld+json"),
    ("[{}]", "application/ld+json"),
    ('<?xml version="1.0"?><rdf:RDF/>', "application/rdf+xml"),
    ("id,label,region\nc1,Cluster,r1\n", "text/csv"),
    ("cluster:\n  id: c1\n", "application/yaml"),
])
def test_guess_media_type(text, media):
    assert guess_media_type(text) == media


# -- the network layout ------------------------------------------------------------------------
def test_layout_keeps_nodes_apart_and_inside_the_picture():
    nodes = [net.Node(iri=f"n{i}", label=f"School number {i} of a long named town",
                      kind=EC + ("GeneralSecondarySchool" if i else "PublicAuthority"),
                      kind_label="school" if i else "authority", leader=i == 0)
             for i in range(40)]
    edges = [net.Edge(iri=f"e{i}", a="n0", b=f"n{i}", orientation=net.VERTICAL)
             for i in range(1, 40)]
    edges.append(net.Edge(iri="h", a="n1", b="n2", orientation=net.HORIZONTAL))
    drawn = net.layout(nodes, edges)
    assert drawn.nodes[0].iri == "n0" and drawn.nodes[0].y < drawn.nodes[1].y
    for a in drawn.nodes:
        assert net.RADIUS <= a.x <= net.WIDTH - net.RADIUS and 0 < a.y < drawn.height
        for b in drawn.nodes:
            if a is not b:
                assert abs(a.x - b.x) + abs(a.y - b.y) >= 4 * net.RADIUS
    svg = str(net.render_svg(drawn, title="t"))
    assert svg.count('class="edge vertical"') == 39
    assert svg.count('class="edge horizontal"') == 1
    assert net.single_points(edges) == {"n0"}
    assert net.natural_key("No. 2") < net.natural_key("No. 10")


def _path_points(d: str) -> tuple[tuple[float, float], tuple[float, float], list]:
    numbers = [float(x) for x in re.findall(r"-?\d+(?:\.\d+)?", d)]
    start, end = (numbers[0], numbers[1]), (numbers[-2], numbers[-1])
    control = (numbers[2], numbers[3]) if "Q" in d else None
    points = []
    for i in range(1, 40):
        t = i / 40
        if control is None:
            points.append((start[0] + (end[0] - start[0]) * t, start[1] + (end[1] - start[1]) * t))
        else:
            u = 1 - t
            points.append((u * u * start[0] + 2 * u * t * control[0] + t * t * end[0],
                           u * u * start[1] + 2 * u * t * control[1] + t * t * end[1]))
    return start, end, points


@pytest.mark.parametrize("name", [
    "tashkent-teacher-education-cluster", "fergana-professional-development-cluster",
    "preschool-education-cluster", "methodological-cluster", "ulyanovsk-educational-holding",
    "flawed-failure-tolerance-cluster"])
def test_no_link_runs_through_a_member_it_does_not_join(client, name):
    """A line through a node would read as a cooperation with it (the failure-tolerance
    example's star must not look like a chain)."""
    html = client.get(f"/clusters/{name}").get_data(as_text=True)
    centres = {}
    for match in re.finditer(r'<g class="node[^"]*" data-iri="([^"]+)".*?class="shape" '
                             r'(?:cx="([\d.]+)" cy="([\d.]+)"|x="([\d.]+)" y="([\d.]+)" '
                             r'width="([\d.]+)")', html, flags=re.S):
        iri, cx, cy, x, y, w = match.groups()
        centres[iri] = (float(cx), float(cy)) if cx else (float(x) + float(w) / 2,
                                                         float(y) + float(w) / 2)
    edges = re.findall(r'<path class="edge [^"]*" d="([^"]+)" data-a="([^"]+)" '
                       r'data-b="([^"]+)"', html)
    assert centres and edges
    for d, a, b in edges:
        start, end, points = _path_points(d)
        assert math.dist(start, centres[a]) < 1 and math.dist(end, centres[b]) < 1
        for iri, centre in centres.items():
            if iri in (a, b):
                continue
            nearest = min(math.dist(p, centre) for p in points)
            assert nearest >= net.RADIUS + 2, f"the link {a} - {b} runs through {iri}"


def test_resource_page_of_a_cluster_links_to_its_cluster_page(client):
    html = client.get("/id/tashkent-teacher-education-cluster", headers=HTML).get_data(
        as_text=True)
    assert 'href="/clusters/tashkent-teacher-education-cluster"' in html
    member = client.get("/id/chirchik-state-pedagogical-institute", headers=HTML)
    assert 'href="/clusters/' not in member.get_data(as_text=True).split("<main>")[1]


@pytest.mark.java
def test_validation_page_checks_the_ontology_axioms_on_request(client):
    text = flawed_path("leadership").read_text(encoding="utf-8")
    html = client.post("/validate/ui", data={"definition": text, "format": "turtle",
                                             "owl": "on"},
                       content_type="multipart/form-data").get_data(as_text=True)
    statuses = violated_principles(html)
    assert statuses[EC + "OntologyConsistency"] == "ok"
    assert statuses[EC + "Leadership"] == "violated"
    assert 'name="owl" value="on" checked' in html  # the choice is kept
    without = violated_principles(validate_text(client, text).get_data(as_text=True))
    assert EC + "OntologyConsistency" not in without


def test_validation_page_recognizes_pasted_json_ld(client):
    import rdflib

    graph = rdflib.Graph()
    graph.parse(data=flawed_path("specialization").read_text(encoding="utf-8"), format="turtle")
    text = graph.serialize(format="json-ld", indent=2)
    assert text.lstrip().startswith(("{", "["))
    response = validate_text(client, text)
    assert response.status_code == 200
    statuses = violated_principles(response.get_data(as_text=True))
    assert {p for p, s in statuses.items() if s != "ok"} == {EC + "Specialization"}


CASES = Path(__file__).resolve().parent / "validation_cases"


def _case_app(path: Path):
    """The ontology, the shapes and one validation case (cluster ``id:c``), served."""
    from educluster.bootstrap import initial_files
    from educluster.dataset import MemoryDataset
    from educluster.reasoning import materialize
    from educluster.store import OxigraphStore
    from educluster.store.base import rdf_format_for
    from educluster.vocab import DATA_GRAPH_PREFIX, ONTOLOGY_GRAPH, SHAPES_GRAPH

    store = OxigraphStore()
    for file, graph in initial_files():
        if graph in (ONTOLOGY_GRAPH, SHAPES_GRAPH):
            store.load(file.read_bytes(), rdf_format_for(file), graph=graph)
    store.load(path.read_bytes(), ox.RdfFormat.TURTLE, graph=DATA_GRAPH_PREFIX + path.stem,
               base_iri=path.resolve().as_uri())
    materialize(store)
    return create_app(MemoryDataset(store))


@pytest.mark.parametrize("path", sorted(CASES.glob("*.ttl")), ids=lambda p: p.stem)
def test_every_validation_case_has_a_cluster_page(path):
    """Odd clusters (one member, a cooperation with three partners, a partner that is not
    a member, no region, no leader...) still get a page that says what is wrong."""
    client = _case_app(path).test_client()
    store = client.application.extensions["educluster"].reader()
    clusters = [r["c"].value for r in store.select(
        f"SELECT ?c WHERE {{ ?c a <{EC}Cluster> }}")]
    listing = client.get("/clusters")
    assert listing.status_code == 200
    for iri in clusters:
        response = client.get("/cluster", query_string={"iri": iri}, headers=HTML)
        assert response.status_code == 200, iri
        html = response.get_data(as_text=True)
        members = {r["m"].value for r in store.select(
            f"SELECT ?m WHERE {{ <{iri}> <{EC}hasMember> ?m }}")}
        elements = Elements(html)
        svg = elements.find("svg", class_="network")[0]
        assert int(svg["data-members"]) == len(members)
        assert len(elements.find("g", class_="node")) >= len(members)
        assert len(elements.find("tr", class_="principle")) >= 10


def test_a_partner_that_is_not_a_member_is_drawn_apart():
    client = _case_app(CASES / "interdependence-partner-not-member.ttl").test_client()
    html = client.get("/clusters/c").get_data(as_text=True)
    elements = Elements(html)
    outsiders = elements.find("g", class_="outsider")
    assert [g["data-iri"] for g in outsiders] == [ID + "outsider"]
    assert "✕ not a member" in html
    assert elements.find("svg", class_="network")[0]["data-members"] == "4"
    assert "Partners of a cooperation that are not members of the cluster" in html


@pytest.mark.virtuoso
def test_pages_over_virtuoso(virtuoso):
    """The pages' queries run on an external store too (Virtuoso's SPARQL dialect)."""
    from conftest import empty_remote_store
    from educluster.bootstrap import load_initial_content
    from educluster.dataset import RemoteDataset

    store = empty_remote_store(virtuoso)
    load_initial_content(store)
    client = create_app(RemoteDataset(store)).test_client()
    home = client.get("/", headers=HTML).get_data(as_text=True)
    assert 'data-count="clusters">5<' in home
    listing = page(client, "/clusters")
    assert len([r for r in listing.find("tr") if r.get("data-iri")]) == 5
    html = client.get("/clusters/tashkent-teacher-education-cluster").get_data(as_text=True)
    elements = Elements(html)
    assert elements.find("svg", class_="network")[0]["data-members"] == "30"
    assert len(elements.find("path", class_="edge")) == 59
    assert [h for h in re.findall(r"<h3>([^<]+)</h3>", html) if "(21)" in h] == [
        "General secondary school (21)"]
    assert "Vertical: all 59 cooperations are vertical" in html
