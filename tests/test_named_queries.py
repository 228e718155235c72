"""The named queries: every file's example on the example data, safe parameter binding,
header checks, and the /queries API with its OpenAPI description."""

from __future__ import annotations

import csv
import io
import json
import re

import pyoxigraph as ox
import pytest

from educluster import named_queries as nq
from educluster.bootstrap import load_initial_content
from educluster.store import OxigraphStore
from educluster.web import create_app

ID = "https://w3id.org/educluster/id/"
EC = "https://w3id.org/educluster#"
TASHKENT = ID + "tashkent-teacher-education-cluster"
QUERIES = nq.named_queries()


@pytest.fixture(scope="module")
def store():
    store = OxigraphStore()
    load_initial_content(store)
    return store


@pytest.fixture(scope="module")
def client(store):
    from educluster.dataset import MemoryDataset

    return create_app(MemoryDataset(store)).test_client()


def values(rows, var):
    return [row[var].value for row in rows if var in row]


# -- the files ------------------------------------------------------------------------------
def test_at_least_twelve_named_queries_ship():
    assert len(QUERIES) >= 12


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_every_query_documents_itself(name):
    query = QUERIES[name]
    assert query.summary and query.description, "summary and description lines"
    assert query.expectations, "an '#+ expect:' line makes the example checkable"
    assert query.tags
    for p in query.parameters:
        assert p.description
        if p.required:
            assert p.name in query.example, f"the example gives the required {p.name!r}"
    ox.Store().query(query.text)  # plain SPARQL, runnable as the file stands


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_every_example_gives_its_expected_answer(store, name):
    query = QUERIES[name]
    failures = nq.check_expectations(query, query.run_example(store))
    assert not failures, f"{name}: {failures}"


def test_expectations_can_fail(store):
    query = nq.parse_named_query(
        "#+ summary: s\n#+ expect: rows=2\n#+ expect: contains=c:" + ID + "nowhere\n"
        "SELECT ?c WHERE { ?c a <" + EC + "Cluster> }", name="probe")
    failures = nq.check_expectations(query, query.run_example(store))
    assert len(failures) == 2


# -- parameters -----------------------------------------------------------------------------
def test_optional_parameter_narrows_the_answer(store):
    query = QUERIES["members-by-kind"]
    every = list(query.run(store, {"cluster": TASHKENT}).rows())
    schools = list(query.run(store, {"cluster": TASHKENT, "kind": "ec:GeneralSecondarySchool"})
                   .rows())
    assert len(every) == 30
    assert len(schools) == 21
    assert set(values(schools, "kind")) == {EC + "GeneralSecondarySchool"}


def test_prefixed_names_and_full_iris_bind_alike(store):
    query = QUERIES["projects-by-status"]
    short = list(query.run(store, {"status": "ec:Disseminated"}).rows())
    full = list(query.run(store, {"status": EC + "Disseminated"}).rows())
    assert short == full and short


@pytest.mark.parametrize("hostile", [
    TASHKENT + "> } UNION { ?membership ?p ?member } #",
    "<" + TASHKENT + ">",
    'x" . ?s ?p ?o',
    "not an iri",
    TASHKENT + " x",
])
def test_an_injection_attempt_in_an_iri_parameter_is_rejected(store, hostile):
    with pytest.raises(nq.ParameterError):
        QUERIES["members-by-kind"].run(store, {"cluster": hostile})


def test_a_string_parameter_is_a_plain_value_whatever_it_contains(store):
    query = nq.parse_named_query(
        "#+ summary: labelled\n#+ params: label (string, required) a label\n"
        "#+ example: label=x\n#+ expect: rows=0\n"
        "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
        "SELECT ?s WHERE { ?s rdfs:label ?l FILTER (STR(?l) = ?_label) }", name="by-label")
    hostile = '" ) } UNION { ?s ?p ?o } # \\" \'\'\' >'
    text = query.bound_text(query.bind({"label": hostile}))
    rows = list(store.query(text).rows())
    assert rows == []  # the whole text is one literal: it matches no label
    bound = query.bind({"label": hostile})["_label"]
    assert isinstance(bound, ox.Literal) and bound.value == hostile
    # and a real label is found through the same path
    found = list(query.run(store, {"label": "Comprehensive school No. 1 of Chirchik"}).rows())
    assert values(found, "s") == [ID + "tashkent-school-01"]


@pytest.mark.parametrize("value", ["2026-06-30\" || true", "tomorrow", "2026-6-1"])
def test_typed_parameters_check_their_type(store, value):
    with pytest.raises(nq.ParameterError):
        QUERIES["objectives-and-deadlines"].run(store, {"due": value})


def test_date_parameter_filters(store):
    rows = list(QUERIES["objectives-and-deadlines"].run(
        store, {"cluster": TASHKENT, "due": "2026-05-31"}).rows())
    assert values(rows, "objective") == [ID + "tashkent-objective-4"]


def test_missing_and_unknown_parameters(store):
    with pytest.raises(nq.ParameterError, match="needs the parameter 'cluster'"):
        QUERIES["members-by-kind"].run(store, {})
    with pytest.raises(nq.ParameterError, match="unknown parameter 'clusterr'"):
        QUERIES["members-by-kind"].run(store, {"cluster": TASHKENT, "clusterr": TASHKENT})


def test_values_block_goes_into_the_where_group_not_a_string_or_comment():
    text = ('#+ summary: s\n#+ params: x (IRI, required) x\n'
            'PREFIX e: <http://e/x#y>\n'
            'SELECT ?_x ?o # a { brace in a comment\n'
            'WHERE { ?_x <http://e/p> "}{" . ?_x <http://e/q> ?o }')
    query = nq.parse_named_query(text, name="braces")
    bound = query.bound_text(query.bind({"x": "http://e/a"}))
    assert 'WHERE {\n  VALUES (?_x) { (<http://e/a>) }' in bound
    store = ox.Store()
    store.update('INSERT DATA { <http://e/a> <http://e/p> "}{" ; <http://e/q> 1 . '
                 '<http://e/b> <http://e/p> "}{" ; <http://e/q> 2 }')
    assert [s["o"].value for s in store.query(bound)] == ["1"]


@pytest.mark.parametrize(("text", "message"), [
    ("#+ summary: s\nSELECT ?_x WHERE { ?_x ?p ?o }", "not in '#+ params:'"),
    ("#+ summary: s\n#+ params: x (IRI, required) x\nSELECT ?s WHERE { ?s ?p ?o }",
     "not used"),
    ("#+ summary: s\n#+ params: x (IRI, optional) x\nSELECT ?_x WHERE { ?_x ?p ?o }",
     "marked ?_"),
    ("#+ params: x (IRI, required) x\nSELECT ?_x WHERE { ?_x ?p ?o }", "summary"),
    ("#+ summary: s\n#+ params: x (colour, required) x\nSELECT ?_x WHERE { ?_x ?p ?o }",
     "unknown type"),
])
def test_header_must_describe_the_query(text, message):
    with pytest.raises(nq.NamedQueryError, match=re.escape(message)):
        nq.parse_named_query(text, name="bad")


# -- queries on small purpose-built graphs --------------------------------------------------
def _small_store(turtle: str) -> OxigraphStore:
    store = OxigraphStore()
    store.load("@prefix ec: <" + EC + "> . @prefix : <http://e/> .\n" + turtle,
               ox.RdfFormat.TURTLE)
    return store


def test_single_points_of_failure_finds_the_hub_of_a_star():
    store = _small_store("""
        :c1 ec:partner :hub, :a ; ec:inCluster :k .
        :c2 ec:partner :hub, :b ; ec:inCluster :k .
        :c3 ec:partner :hub, :d ; ec:inCluster :k .
        :r1 ec:partner :x, :y ; ec:inCluster :ring .
        :r2 ec:partner :y, :z ; ec:inCluster :ring .
        :r3 ec:partner :z, :x ; ec:inCluster :ring .
    """)
    rows = list(QUERIES["single-points-of-failure"].run(store, {}).rows())
    assert values(rows, "member") == ["http://e/hub"]
    assert rows[0]["dependents"].value == "3"


def test_organizations_in_several_clusters_finds_a_bridge():
    store = _small_store("""
        :k1 a ec:Cluster ; ec:hasMember :bridge, :a .
        :k2 a ec:Cluster ; ec:hasMember :bridge, :b .
    """)
    rows = list(QUERIES["organizations-in-several-clusters"].run(store, {}).rows())
    assert values(rows, "organization") == ["http://e/bridge"]
    assert rows[0]["clusters"].value == "2"


def test_clusters_missing_a_leading_authority_says_what_is_wrong():
    store = _small_store("""
        :none a ec:Cluster .
        :notauthority a ec:Cluster ; ec:ledBy :school ; ec:hasMember :school .
        :notmember a ec:Cluster ; ec:ledBy :authority .
        :authority a ec:PublicAuthority .
        :fine a ec:Cluster ; ec:ledBy :authority ; ec:hasMember :authority .
    """)
    rows = list(QUERIES["clusters-missing-leading-authority"].run(store, {}).rows())
    problems = {row["cluster"].value: row["problem"].value for row in rows}
    assert problems == {
        "http://e/none": "no leading authority (ec:ledBy)",
        "http://e/notauthority": "the leader is not a public authority",
        "http://e/notmember": "the leading authority is not a member",
    }


# -- HTTP -----------------------------------------------------------------------------------
def test_queries_lists_every_query(client):
    response = client.get("/queries", headers={"Accept": "application/json"})
    assert response.status_code == 200
    names = [q["name"] for q in response.get_json()["queries"]]
    assert names == sorted(QUERIES)
    html = client.get("/queries", headers={"Accept": "text/html"}).get_data(as_text=True)
    for query in QUERIES.values():
        assert f"/queries/{query.name}" in html


def test_query_answers_json(client):
    response = client.get("/queries/member-counts-by-kind", query_string={"cluster": TASHKENT})
    assert response.status_code == 200
    body = response.get_json()
    assert body["variables"] == ["cluster", "kind", "members"]
    counts = {row["kind"]: row["members"] for row in body["rows"]}
    assert counts[EC + "GeneralSecondarySchool"] == 21  # a JSON number, not a string
    assert body["count"] == 5 and body["truncated"] is False


def test_query_answers_csv_and_sparql_json(client):
    response = client.get("/queries/members-by-kind",
                          query_string={"cluster": TASHKENT, "format": "csv"})
    assert response.content_type.startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert len(rows) == 30 and rows[0]["_cluster"] == TASHKENT
    response = client.get("/queries/members-by-kind", query_string={"cluster": TASHKENT},
                          headers={"Accept": "application/sparql-results+json"})
    body = json.loads(response.data)
    assert len(body["results"]["bindings"]) == 30
    assert body["results"]["bindings"][0]["member"]["type"] == "uri"


def test_query_answers_html_with_labels_and_a_form(client):
    response = client.get("/queries/partners-of-organization", headers={"Accept": "text/html"},
                          query_string={"organization": ID + "tashkent-school-01"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Chirchik State Pedagogical Institute" in html  # a partner, by its label
    assert '<form class="params"' in html
    # without the required parameter a browser gets the form, not an error
    response = client.get("/queries/partners-of-organization", headers={"Accept": "text/html"})
    assert response.status_code == 200 and 'name="organization"' in response.get_data(as_text=True)


def test_query_errors(client):
    assert client.get("/queries/no-such-query").status_code == 404
    response = client.get("/queries/members-by-kind", query_string={"cluster": "x> } #"})
    assert response.status_code == 400
    assert "not an absolute IRI" in response.get_data(as_text=True)
    assert client.get("/queries/members-by-kind").status_code == 400
    assert client.get("/queries/members-by-kind", query_string={
        "cluster": TASHKENT, "format": "yaml"}).status_code == 400


def test_query_source_is_served(client):
    response = client.get("/queries/members-by-kind.rq")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == QUERIES["members-by-kind"].text


def test_openapi_describes_every_query(client):
    spec = client.get("/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    for query in QUERIES.values():
        operation = spec["paths"][f"/queries/{query.name}"]["get"]
        assert operation["summary"] == query.summary
        declared = {p["name"]: p["required"] for p in operation["parameters"]}
        assert declared.pop("format") is False
        assert declared == {p.name: p.required for p in query.parameters}
    ids = [op["get"]["operationId"] for op in spec["paths"].values()]
    assert len(ids) == len(set(ids))


def test_row_cap_truncates_the_answer(store):
    from educluster.dataset import MemoryDataset

    capped = create_app(MemoryDataset(store), settings={"max_rows": 7}).test_client()
    body = capped.get("/queries/members-by-kind", query_string={"cluster": TASHKENT}).get_json()
    assert body["count"] == 7 and body["truncated"] is True


def test_projected_parameters_are_also_handed_to_the_engine(store):
    calls = []

    class Recording:
        binds_patterns = True

        def query(self, text, **kwargs):
            calls.append((text, kwargs.get("bindings")))
            return store.query(text, **kwargs)

    query = QUERIES["members-by-kind"]
    values = {"cluster": TASHKENT, "kind": "ec:AcademicLyceum"}
    rows = list(query.run(Recording(), values).rows())
    assert len(rows) == 1
    text, bindings = calls[0]
    assert "VALUES (?__kind ?_cluster)" in text  # the meaning: a VALUES block
    assert bindings == {"_cluster": ox.NamedNode(TASHKENT)}  # projected: pushed down too
    # a store that would only repeat the VALUES block (a remote store) gets the text alone
    Recording.binds_patterns = False
    assert len(list(query.run(Recording(), values).rows())) == 1
    assert calls[1] == (text, None)
    assert nq.projected_variables(query.text) == {"_cluster", "kind", "member", "label", "role"}
    assert nq.projected_variables("SELECT * WHERE { ?s ?p ?o }") is None
    assert nq.projected_variables(
        "SELECT ?a (COUNT(?b) AS ?n) WHERE { ?a ?p ?b } GROUP BY ?a") == {"a", "n"}
