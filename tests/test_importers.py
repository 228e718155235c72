"""Reading definitions: RDF by extension, the YAML and CSV forms, and every kind of bad input."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from rdflib import Graph
from rdflib.compare import isomorphic

from educluster.errors import InputError
from educluster.importers import (
    csv_to_quads,
    parse_definition,
    read_definition,
    yaml_to_quads,
)
from educluster.resources import resource_dir

DATA = resource_dir("data")
TASHKENT_TTL = DATA / "tashkent-teacher-education.ttl"
TASHKENT_YAML = DATA / "forms" / "tashkent.yaml"
TASHKENT_CSV = sorted((DATA / "forms" / "tashkent").glob("*.csv"))
EC = "https://w3id.org/educluster#"
ID = "https://w3id.org/educluster/id/"


def as_graph(quads) -> Graph:
    nt = ox.serialize([ox.Triple(q.subject, q.predicate, q.object) for q in quads],
                      format=ox.RdfFormat.N_TRIPLES)
    return Graph().parse(data=nt.decode("utf-8"), format="nt")


# ---------------------------------------------------------------- the forms give the same RDF

def test_yaml_form_of_tashkent_is_the_turtle_example():
    assert isomorphic(as_graph(read_definition([TASHKENT_YAML])),
                      as_graph(read_definition([TASHKENT_TTL])))


def test_csv_form_of_tashkent_is_the_turtle_example():
    assert len(TASHKENT_CSV) >= 5
    assert isomorphic(as_graph(read_definition(TASHKENT_CSV)),
                      as_graph(read_definition([TASHKENT_TTL])))


def test_every_rdf_syntax_reads_the_same(tmp_path):
    turtle = read_definition([TASHKENT_TTL])
    triples = [ox.Triple(q.subject, q.predicate, q.object) for q in turtle]
    expected = as_graph(turtle)
    for suffix, fmt in ((".nt", ox.RdfFormat.N_TRIPLES), (".jsonld", ox.RdfFormat.JSON_LD),
                        (".rdf", ox.RdfFormat.RDF_XML), (".owl", ox.RdfFormat.RDF_XML)):
        path = tmp_path / f"tashkent{suffix}"
        path.write_bytes(ox.serialize(triples, format=fmt))
        assert isomorphic(as_graph(read_definition([path])), expected), suffix
    for suffix, fmt in ((".nq", ox.RdfFormat.N_QUADS), (".trig", ox.RdfFormat.TRIG)):
        path = tmp_path / f"tashkent{suffix}"
        path.write_bytes(ox.serialize(
            [ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode("http://example.org/g"))
             for t in triples], format=fmt))
        quads = read_definition([path])
        assert all(q.graph_name == ox.NamedNode("http://example.org/g") for q in quads)
        assert isomorphic(as_graph(quads), expected), suffix


def test_minimal_yaml_form():
    text = """
cluster:
  id: c
  type: MethodologicalCluster
  label: A methodological cluster
  region: r
  led_by: dept
  common_goals: [{id: g, label: Better lessons}]
  objectives:
    - {id: o, serves: g, indicator: Lessons observed, deadline: 2026-06-30}
  members:
    - id: dept
      type: PublicAuthority
      located_in: r
      jurisdiction: r
      role: role-lead
      responsibilities: [Leads]
      private_interest: Better schools
      specific_goal: g
    - {id: s1, type: GeneralSecondarySchool, located_in: r, finances: true,
       membership: {id: m-s1, role: role-partner}}
  cooperations:
    - {id: k1, partners: [s1, dept], area: CareerGuidance, interaction_model: GameActivity}
regions:
  - {id: r, label: A region, labels: {uz: Viloyat}}
"""
    g = as_graph(yaml_to_quads(text, "c.yaml"))
    q = g.query(f"""
        PREFIX ec: <{EC}> PREFIX org: <http://www.w3.org/ns/org#>
        PREFIX id: <{ID}> PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
        ASK {{
          id:c a ec:MethodologicalCluster ; ec:region id:r ; ec:ledBy id:dept ;
               ec:commonGoal id:g ; ec:objective id:o .
          id:o ec:servesGoal id:g ; ec:deadline "2026-06-30"^^xsd:date .
          ?m org:member id:dept ; org:organization id:c ; org:role id:role-lead ;
             ec:privateInterest "Better schools"@en ; ec:specificGoal id:g .
          id:m-s1 org:member id:s1 ; org:role id:role-partner .
          id:s1 ec:finances id:c .
          id:k1 a ec:Cooperation ; ec:partner id:s1, id:dept ; ec:inCluster id:c ;
                ec:area ec:CareerGuidance ; ec:interactionModel ec:GameActivity .
          id:r a ec:Region ; <http://www.w3.org/2000/01/rdf-schema#label> "Viloyat"@uz .
        }}""")
    assert q.askAnswer


def test_csv_sheet_with_semicolons_and_one_cluster(tmp_path):
    (tmp_path / "clusters.csv").write_text("id;type;label;region\nc;EducationalCluster;C;r\n")
    (tmp_path / "participants.csv").write_text(
        "id;type;located_in;role;responsibilities\n"
        "s1;GeneralSecondarySchool;r;role-x;Hosts practice | Sends teachers\n")
    g = as_graph(read_definition(sorted(tmp_path.glob("*.csv"))))
    responsibilities = list(g.objects(None, __import__("rdflib").URIRef(EC + "responsibility")))
    assert sorted(map(str, responsibilities)) == ["Hosts practice", "Sends teachers"]
    assert (None, None, __import__("rdflib").URIRef(ID + "c")) in g


def test_parse_definition_by_media_type():
    body = b"@prefix ec: <https://w3id.org/educluster#> . <http://x/c> a ec:Cluster ."
    assert len(parse_definition(body, media_type="text/turtle; charset=utf-8")) == 1
    yaml_body = b"cluster: {id: c, type: Cluster, region: r}"
    assert len(parse_definition(yaml_body, media_type="application/yaml")) == 2
    with pytest.raises(InputError, match="unsupported media type"):
        parse_definition(body, media_type="image/png")


def test_blank_nodes_of_two_files_stay_apart(tmp_path):
    (tmp_path / "a.ttl").write_text("_:b1 <http://x/p> 1 .")
    (tmp_path / "b.ttl").write_text("_:b1 <http://x/p> 2 .")
    quads = read_definition([tmp_path / "a.ttl", tmp_path / "b.ttl"])
    assert len({q.subject for q in quads}) == 2


# ---------------------------------------------------------------- bad input

def error_of(paths) -> InputError:
    with pytest.raises(InputError) as info:
        read_definition(paths)
    return info.value


def test_missing_file(tmp_path):
    err = error_of([tmp_path / "nope.ttl"])
    assert str(tmp_path / "nope.ttl") in str(err) and "no such file" in str(err)


def test_empty_file(tmp_path):
    for name in ("empty.ttl", "empty.yaml", "empty.csv"):
        (tmp_path / name).write_text("  \n")
        err = error_of([tmp_path / name])
        assert name in str(err) and "empty" in str(err)


def test_unknown_extension(tmp_path):
    (tmp_path / "cluster.docx").write_text("x")
    err = error_of([tmp_path / "cluster.docx"])
    assert "cluster.docx" in str(err) and "unknown file extension '.docx'" in str(err)


def test_directory(tmp_path):
    (tmp_path / "dir.ttl").mkdir()
    assert "directory" in str(error_of([tmp_path / "dir.ttl"]))


def test_turtle_syntax_error_names_the_line(tmp_path):
    path = tmp_path / "bad.ttl"
    path.write_text("@prefix ec: <https://w3id.org/educluster#> .\n\n"
                    "<http://x/a> ec:p <http://x/b> ;\n   ec:q .\n")
    err = error_of([path])
    assert err.source == str(path) and err.line == 4
    assert "bad.ttl, line 4" in str(err)


def test_yaml_syntax_error_names_the_line(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("cluster:\n  id: c\n  label: [unclosed\n")
    err = error_of([path])
    assert "bad.yaml" in str(err) and err.line is not None and "YAML" in str(err)


@pytest.mark.parametrize(("text", "expected"), [
    ("- a list\n", "expected a mapping"),
    ("a: &x [1, 2]\nb: [*x, *x]\n", "aliases (*name) are not allowed"),
    ("regions: []\n", "no cluster"),
    ("cluster: {id: c, region: r}\nspam: 1\n", "key spam"),
    ("cluster: {id: c, members: [{id: s, type: School, located_in: 'two words'}]}\n",
     "key cluster.members[0].located_in"),
    ("cluster: {id: c, objectives: [{id: o, deadline: next year}]}\n",
     "key cluster.objectives[0].deadline: expected a date"),
    ("cluster: {id: c, led_by: 'zz:x'}\n", "known prefix"),
    ("cluster: {label: no id}\n", "key cluster.id"),
])
def test_yaml_form_errors_name_the_key(text, expected):
    with pytest.raises(InputError) as info:
        yaml_to_quads(text, "form.yaml")
    assert "form.yaml" in str(info.value)
    assert expected in str(info.value)


def test_csv_errors_name_the_file_and_row(tmp_path):
    (tmp_path / "clusters.csv").write_text("id,type,label,region\nc,EducationalCluster,C,r\n")
    bad = tmp_path / "participants.csv"
    bad.write_text("id,type,located_in\ns1,GeneralSecondarySchool,r\ns2,GeneralSecondarySchool,"
                   "two words\n")
    err = error_of([tmp_path / "clusters.csv", bad])
    assert f"{bad}, line 3" in str(err) and "'located_in'" in str(err)


def test_csv_unknown_sheet(tmp_path):
    path = tmp_path / "things.csv"
    path.write_text("id\nx\n")
    assert "cannot tell which sheet" in str(error_of([path]))


def test_csv_sheet_without_id_column(tmp_path):
    path = tmp_path / "regions.csv"
    path.write_text("name,label\nx,y\n")
    err = error_of([path])
    assert "regions.csv, line 1" in str(err) and "'id'" in str(err)


def test_csv_too_many_cells(tmp_path):
    (tmp_path / "clusters.csv").write_text("id,type\nc,Cluster,extra\n")
    assert "line 2" in str(error_of([tmp_path / "clusters.csv"]))


def test_csv_rows_without_a_cluster_sheet(tmp_path):
    (tmp_path / "participants.csv").write_text("id,type\ns,School\n")
    assert "no clusters sheet" in str(error_of([tmp_path / "participants.csv"]))


def test_csv_unknown_cluster(tmp_path):
    (tmp_path / "clusters.csv").write_text("id,type\nc,Cluster\n")
    (tmp_path / "participants.csv").write_text("id,type,cluster\ns,School,other\n")
    err = error_of([tmp_path / "clusters.csv", tmp_path / "participants.csv"])
    assert "participants.csv, line 2" in str(err) and "'cluster'" in str(err)


def test_not_utf8(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes("cluster:\n  label: caf\xe9\n".encode("latin-1"))
    err = error_of([path])
    assert "UTF-8" in str(err) and err.line == 2


def test_csv_to_quads_takes_one_text():
    quads = csv_to_quads("id,type,region\nc,Cluster,r\n", "x-clusters.csv")
    assert len(quads) == 2


def test_the_documented_examples_read():
    """docs/analyst-forms.md stays true: its YAML and CSV examples are read without error."""
    import re

    doc = (resource_dir("data").parent / "docs" / "analyst-forms.md")
    if not doc.exists():  # an installed package ships no docs
        pytest.skip("docs/ is not beside the installed resources")
    text = doc.read_text(encoding="utf-8")
    yaml_example = re.search(r"```yaml\n(.*?)```", text, re.S).group(1)
    assert len(yaml_to_quads(yaml_example, "analyst-forms.md")) > 40
    csv_example = re.search(r"```\n(id,type,label,located_in.*?)```", text, re.S).group(1)
    quads = csv_to_quads([("clusters.csv", "id,type,region\nc,EducationalCluster,r\n"),
                          ("participants.csv", csv_example)])
    assert any(q.predicate.value == "https://w3id.org/educluster#responsibility" for q in quads)


def test_remote_jsonld_context_is_not_fetched(tmp_path):
    path = tmp_path / "remote.jsonld"
    path.write_text('{"@context": "http://127.0.0.1:9/ctx.jsonld", "@id": "http://x/a", '
                    '"name": "b"}')
    err = error_of([path])
    assert "remote.jsonld" in str(err) and "remote contexts" in str(err)


def test_xml_external_entities_are_refused(tmp_path):
    path = tmp_path / "xxe.rdf"
    path.write_text('<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
                    '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
                    '<rdf:Description rdf:about="http://x/a"><rdf:value>&x;</rdf:value>'
                    "</rdf:Description></rdf:RDF>\n")
    err = error_of([path])
    assert "xxe.rdf" in str(err) and "root:" not in str(err)
