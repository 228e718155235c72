"""POST /validate: the analyst's report over HTTP, against a real server on loopback."""

from __future__ import annotations

import json
import uuid
import warnings

import pytest
import rdflib

from educluster.dataset import MemoryDataset
from educluster.resources import example_files, flawed_example_files, resource_dir
from educluster.store import OxigraphStore
from educluster.web import create_app
from httpserver import LiveServer

TURTLE = {"Content-Type": "text/turtle"}


@pytest.fixture(scope="module")
def server():
    if not example_files() or not flawed_example_files():
        pytest.skip("the example clusters are not in place")
    with LiveServer(create_app(MemoryDataset(OxigraphStore()))) as live:
        yield live


def flawed(name: str) -> bytes:
    return next(p for p in flawed_example_files() if p.stem == name).read_bytes()


def multipart(parts: list[tuple[str, str, bytes]]) -> tuple[bytes, dict]:
    boundary = uuid.uuid4().hex
    body = b""
    for i, (filename, media, content) in enumerate(parts):
        body += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file{i}\"; "
                 f"filename=\"{filename}\"\r\nContent-Type: {media}\r\n\r\n").encode()
        body += content + b"\r\n"
    body += f"--{boundary}--\r\n".encode()
    return body, {"Content-Type": f"multipart/form-data; boundary={boundary}"}


def test_a_conforming_cluster_gives_a_json_report(server):
    answer = server.request("POST", "/validate", example_files()[0].read_bytes(), TURTLE)
    assert answer.status == 200 and answer.content_type == "application/json"
    report = json.loads(answer.body)
    assert report["conforms"] is True
    assert set(report["counts"]) == {"Violation", "Warning", "Info"}
    assert report["clusters"]


def test_a_flawed_cluster_names_the_broken_principle(server):
    answer = server.request("POST", "/validate", flawed("regionalization"), TURTLE)
    report = json.loads(answer.body)
    assert report["conforms"] is False
    violations = [r for r in report["results"] if r["severity"] == "Violation"]
    assert {r["principle"] for r in violations} == {"https://w3id.org/educluster#Regionalization"}
    assert all(r["message"] for r in violations)


@pytest.mark.parametrize("accept, content_type", [
    ("text/turtle", "text/turtle"), ("text/plain", "text/plain"),
    ("text/html", "text/html"), ("application/json", "application/json"),
    ("text/html,application/xhtml+xml,*/*;q=0.8", "text/html"),
    ("application/ld+json", "application/ld+json"),
])
def test_report_is_negotiated(server, accept, content_type):
    answer = server.request("POST", "/validate", flawed("regionalization"),
                            {**TURTLE, "Accept": accept})
    assert answer.status == 200 and answer.content_type == content_type
    if content_type in ("text/turtle", "application/ld+json"):
        with warnings.catch_warnings():  # rdflib's JSON-LD parser warns about itself
            warnings.simplefilter("ignore", DeprecationWarning)
            graph = rdflib.Graph().parse(data=answer.body, format={
                "text/turtle": "turtle", "application/ld+json": "json-ld"}[content_type])
        sh = rdflib.Namespace("http://www.w3.org/ns/shacl#")
        assert (None, rdflib.RDF.type, sh.ValidationReport) in graph
        assert (None, sh.conforms, rdflib.Literal(False)) in graph
    if content_type in ("text/plain", "text/html"):
        assert "Regionalization" in answer.text


def test_report_format_parameter_and_406(server):
    answer = server.request("POST", "/validate?format=text", flawed("leadership"), TURTLE)
    assert answer.content_type == "text/plain"
    answer = server.request("POST", "/validate", flawed("leadership"),
                            {**TURTLE, "Accept": "image/png"})
    assert answer.status == 406


def test_other_rdf_forms_and_the_yaml_form(server):
    graph = rdflib.Graph().parse(data=example_files()[0].read_bytes(), format="turtle")
    for media, rdflib_format in (("application/n-triples", "nt"),
                                 ("application/rdf+xml", "xml")):
        body = graph.serialize(format=rdflib_format, encoding="utf-8")
        answer = server.request("POST", "/validate", body, {"Content-Type": media})
        assert answer.status == 200, answer.text
        assert json.loads(answer.body)["conforms"] is True
    forms = resource_dir("data") / "forms"
    yaml_form = forms / "tashkent.yaml"
    if yaml_form.exists():
        answer = server.request("POST", "/validate", yaml_form.read_bytes(),
                                {"Content-Type": "application/yaml"})
        assert answer.status == 200, answer.text
        assert json.loads(answer.body)["clusters"]


def test_a_multipart_upload_is_one_definition(server):
    sheets = sorted((resource_dir("data") / "forms" / "tashkent").glob("*.csv"))
    if not sheets:
        pytest.skip("no CSV form in place")
    body, headers = multipart([(p.name, "text/csv", p.read_bytes()) for p in sheets])
    answer = server.request("POST", "/validate", body, headers)
    assert answer.status == 200, answer.text
    assert json.loads(answer.body)["clusters"]


def test_bad_input_is_400_with_the_line(server):
    answer = server.request("POST", "/validate", b"@prefix ec: <https://w3id.org/educluster#> .\n"
                            b"ec:a ec:b ec:c .\nec:d ec:e oops .\n", TURTLE)
    assert answer.status == 400
    assert "line 3" in answer.text
    assert server.request("POST", "/validate", b"", TURTLE).status == 400
    assert server.request("POST", "/validate", b"x", {"Content-Type": "image/png"}).status == 415
    answer = server.request("POST", "/validate", b'{"@context": "http://127.0.0.1:9/c"}',
                            {"Content-Type": "application/ld+json"})
    assert answer.status == 400 and "context" in answer.text
    assert server.request("PUT", "/validate", b"x", TURTLE).status == 405


@pytest.mark.java
def test_owl_check_over_http(server):
    answer = server.request("POST", "/validate?owl=true", example_files()[0].read_bytes(), TURTLE)
    assert answer.status == 200, answer.text
    report = json.loads(answer.body)
    assert report["conforms"] is True
    answer = server.request("POST", "/validate?owl=maybe", example_files()[0].read_bytes(), TURTLE)
    assert answer.status == 400
