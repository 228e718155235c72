"""``educluster load``, ``query`` and ``export`` as a user runs them: real subprocesses on
a real on-disk store."""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
import rdflib

from educluster import resources
from educluster.vocab import DATA_GRAPH_PREFIX, DERIVED_GRAPH

EX = "http://example.org/"
COUNT_EX = f"SELECT (COUNT(*) AS ?n) {{ ?s <{EX}p> ?o }}"


def parse_rdf(data: bytes, rdflib_format: str, *, dataset: bool = False):
    """A document read back by rdflib (whose quad and JSON-LD parsers warn about rdflib)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        parsed = rdflib.Dataset() if dataset else rdflib.Graph()
        parsed.parse(data=data, format=rdflib_format)
        return parsed


def educluster(*args: str, stdin: str | None = None, check: int | None = 0,
               env: dict[str, str] | None = None):
    result = subprocess.run(
        [sys.executable, "-m", "educluster", *args],
        capture_output=True, input=stdin.encode() if stdin is not None else None, timeout=300,
        env=None if env is None else {**os.environ, **env},
    )
    if check is not None:
        assert result.returncode == check, result.stderr.decode()
    return result


def count_ex(store: Path) -> int:
    out = educluster("query", COUNT_EX, "--store", str(store), "--format", "json").stdout
    return int(json.loads(out)["results"]["bindings"][0]["n"]["value"])


def generation(store: Path) -> int:
    return int((store / "CURRENT").read_text())


@pytest.fixture(scope="module")
def seeded(tmp_path_factory) -> Path:
    """A store created by a first ``load``: ontology, shapes, examples and two triples."""
    directory = tmp_path_factory.mktemp("seeded")
    data = directory / "two.ttl"
    data.write_text(f"<{EX}a> <{EX}p> 1 . <{EX}b> <{EX}p> 2 .\n")
    store = directory / "store"
    result = educluster("load", str(data), "--store", str(store), "--graph", EX + "g")
    assert "created the store" in result.stderr.decode()
    return store


@pytest.fixture
def store(seeded: Path, tmp_path: Path) -> Path:
    """A private copy of the seeded store, for tests that write."""
    copy = tmp_path / "store"
    shutil.copytree(seeded, copy)
    return copy


def test_first_load_creates_the_store_with_examples_and_the_file(seeded: Path):
    out = educluster(
        "query", "SELECT DISTINCT ?g { GRAPH ?g { ?s ?p ?o } }", "--store", str(seeded),
        "--format", "csv",
    ).stdout.decode()
    graphs = {row["g"] for row in csv.DictReader(io.StringIO(out))}
    assert EX + "g" in graphs
    assert {DATA_GRAPH_PREFIX + p.stem for p in resources.example_files()} <= graphs
    assert DERIVED_GRAPH in graphs
    assert count_ex(seeded) == 2


def test_load_adds_to_an_existing_store_and_reports_it(store: Path, tmp_path: Path):
    before = generation(store)
    more = tmp_path / "more.ttl"
    more.write_text(f"<{EX}c> <{EX}p> 3 .\n")
    result = educluster("load", str(more), "--store", str(store))
    assert "loaded 1 triples" in result.stderr.decode()
    assert count_ex(store) == 3
    assert generation(store) == before + 1


def test_load_keeps_derived_knowledge_current(store: Path, tmp_path: Path):
    org = "http://www.w3.org/ns/org#"
    data = tmp_path / "membership.ttl"
    data.write_text(
        f"<{EX}m> a <{org}Membership> ; <{org}member> <{EX}school> ; "
        f"<{org}organization> <{EX}cluster> .\n"
    )
    educluster("load", str(data), "--store", str(store))
    out = educluster(
        "query",
        f"ASK {{ GRAPH <{DERIVED_GRAPH}> {{ <{EX}cluster> "
        f"<https://w3id.org/educluster#hasMember> <{EX}school> }} }}",
        "--store", str(store),
    ).stdout
    assert out == b"true\n"


def test_load_is_all_or_nothing_across_files(store: Path, tmp_path: Path):
    good = tmp_path / "good.ttl"
    good.write_text(f"<{EX}c> <{EX}p> 3 .\n")
    bad = tmp_path / "bad.ttl"
    bad.write_text(f"<{EX}d> <{EX}p> 4 .\n<{EX}e> <{EX}p> .\n")
    before = generation(store)
    result = educluster("load", str(good), str(bad), "--store", str(store), check=2)
    message = result.stderr.decode()
    assert message.count("\n") == 1 and message.startswith("educluster: error:")
    assert "bad.ttl, line 2" in message
    assert count_ex(store) == 2
    assert generation(store) == before


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("data.xyz", "whatever", "unknown file extension"),
        ("missing.ttl", None, "no such file"),
    ],
)
def test_load_refuses_bad_files_with_one_line(store, tmp_path, name, content, expected):
    path = tmp_path / name
    if content is not None:
        path.write_text(content)
    result = educluster("load", str(path), "--store", str(store), check=2)
    assert expected in result.stderr.decode()
    assert result.stderr.decode().count("\n") == 1


def test_load_refuses_a_graph_that_is_not_an_iri(store: Path, tmp_path: Path):
    data = tmp_path / "x.ttl"
    data.write_text(f"<{EX}c> <{EX}p> 3 .\n")
    result = educluster("load", str(data), "--store", str(store), "--graph", "not an iri", check=2)
    assert "--graph" in result.stderr.decode()


def test_load_puts_default_graph_triples_of_a_dataset_into_the_graph(store, tmp_path):
    data = tmp_path / "x.trig"
    data.write_text(f"<{EX}c> <{EX}p> 3 . <{EX}named> {{ <{EX}d> <{EX}p> 4 }}\n")
    educluster("load", str(data), "--store", str(store), "--graph", EX + "target")
    out = educluster(
        "query", f"SELECT ?g ?s {{ GRAPH ?g {{ ?s <{EX}p> ?o }} }} ORDER BY ?s",
        "--store", str(store), "--format", "json",
    ).stdout
    rows = {(b["s"]["value"], b["g"]["value"]) for b in json.loads(out)["results"]["bindings"]}
    assert (EX + "c", EX + "target") in rows
    assert (EX + "d", EX + "named") in rows


def test_blank_nodes_of_two_loads_stay_apart(store: Path, tmp_path: Path):
    data = tmp_path / "blank.ttl"
    data.write_text(f"_:x <{EX}p> 7 .\n")
    educluster("load", str(data), "--store", str(store))
    educluster("load", str(data), "--store", str(store))
    assert count_ex(store) == 4


def test_load_reads_the_yaml_form(store: Path):
    forms = sorted((resources.resource_dir("data") / "forms").glob("*.yaml"))
    if not forms:
        pytest.skip("no YAML form among the examples")
    result = educluster("load", str(forms[0]), "--store", str(store), "--graph", EX + "form")
    assert "loaded" in result.stderr.decode()
    out = educluster(
        "query", f"ASK {{ GRAPH <{EX}form> {{ ?s ?p ?o }} }}", "--store", str(store)
    ).stdout
    assert out == b"true\n"


def test_a_large_file_shows_a_progress_bar(store: Path, tmp_path: Path):
    from educluster.commands import PROGRESS_MIN_BYTES

    big = tmp_path / "big.nt"
    line_count = 0
    with open(big, "w") as f:
        while f.tell() < PROGRESS_MIN_BYTES + 1000:
            f.write(f"<{EX}big{line_count}> <{EX}q> \"{'x' * 40}\" .\n")
            line_count += 1
    result = educluster("load", str(big), "--store", str(store))
    err = result.stderr.decode()
    assert "parsing big.nt [" in err
    assert "100%" in err
    assert f"{line_count} triples" in err
    out = educluster(
        "query", f"SELECT (COUNT(*) AS ?n) {{ ?s <{EX}q> ?o }}", "--store", str(store),
        "--format", "csv",
    ).stdout.decode()
    assert out.split()[-1] == str(line_count)


def test_query_prints_a_table_by_default(seeded: Path):
    out = educluster(
        "query", f"SELECT ?s ?o {{ ?s <{EX}p> ?o }} ORDER BY ?o", "--store", str(seeded)
    ).stdout.decode().splitlines()
    assert out[0].split() == ["?s", "?o"]
    assert set(out[1]) <= {"-", " "}
    assert out[2].split() == [f"<{EX}a>", "1"]
    assert out[-1] == "(2 rows)"


def test_query_prints_project_terms_with_their_prefixes(seeded: Path):
    out = educluster(
        "query", "SELECT ?c { ?c a <https://w3id.org/educluster#EducationalCluster> } LIMIT 1",
        "--store", str(seeded),
    ).stdout.decode()
    assert "id:" in out


@pytest.mark.parametrize(
    ("fmt", "parse"),
    [
        ("json", lambda b: len(json.loads(b)["results"]["bindings"])),
        ("csv", lambda b: len(list(csv.DictReader(io.StringIO(b.decode()))))),
        ("tsv", lambda b: len(b.decode().strip().splitlines()) - 1),
        ("xml", lambda b: b.count(b"<result>")),
    ],
)
def test_query_result_formats(seeded: Path, fmt, parse):
    out = educluster("query", f"SELECT * {{ ?s <{EX}p> ?o }}", "--store", str(seeded),
                     "--format", fmt).stdout
    assert parse(out) == 2


def test_query_ask_and_construct(seeded: Path):
    out = educluster("query", f"ASK {{ <{EX}a> ?p ?o }}", "--store", str(seeded)).stdout
    assert out == b"true\n"
    out = educluster("query", f"CONSTRUCT {{ ?s <{EX}p> ?o }} WHERE {{ ?s <{EX}p> ?o }}",
                     "--store", str(seeded)).stdout
    assert len(parse_rdf(out, "turtle")) == 2
    out = educluster("query", f"CONSTRUCT {{ ?s <{EX}p> ?o }} WHERE {{ ?s <{EX}p> ?o }}",
                     "--store", str(seeded), "--format", "jsonld").stdout
    assert len(parse_rdf(out, "json-ld")) == 2


def test_query_from_a_file_and_from_stdin(seeded: Path, tmp_path: Path):
    query = tmp_path / "q.rq"
    query.write_text(f"ASK {{ <{EX}b> <{EX}p> 2 }}")
    assert educluster("query", "--file", str(query), "--store", str(seeded)).stdout == b"true\n"
    out = educluster("query", "-", "--store", str(seeded), stdin=f"ASK {{ <{EX}zz> ?p ?o }}")
    assert out.stdout == b"false\n"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["SELECT * {"], "error at"),
        (["SELECT * { ?s ?p ?o }", "--format", "turtle"], "SELECT or ASK"),
        (["CONSTRUCT WHERE { ?s ?p ?o }", "--format", "csv"], "CONSTRUCT or DESCRIBE"),
        (["SELECT * { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }"], "SERVICE"),
        ([], "no query"),
    ],
)
def test_query_errors_are_one_clear_line(seeded: Path, args, expected):
    result = educluster("query", *args, "--store", str(seeded), check=2)
    err = result.stderr.decode()
    assert err.startswith("educluster: error:")
    assert expected in err
    assert "Traceback" not in err


def test_query_on_a_missing_store_says_so(tmp_path: Path):
    result = educluster("query", "ASK {}", "--store", str(tmp_path / "none"), check=2)
    assert "no store at" in result.stderr.decode()
    assert not (tmp_path / "none").exists()


def test_query_reads_the_store_named_by_the_environment(seeded: Path, tmp_path: Path):
    import os

    result = subprocess.run(
        [sys.executable, "-m", "educluster", "query", f"ASK {{ <{EX}a> ?p ?o }}"],
        capture_output=True, cwd=tmp_path, env={**os.environ, "EDUCLUSTER_STORE": str(seeded)},
        timeout=300, check=True,
    )
    assert result.stdout == b"true\n"


@pytest.mark.parametrize(
    ("fmt", "rdflib_format", "dataset"),
    [
        ("turtle", "turtle", False),
        ("ntriples", "nt", False),
        ("rdfxml", "xml", False),
        ("nquads", "nquads", True),
        ("trig", "trig", True),
        ("jsonld", "json-ld", True),
    ],
)
def test_export_formats_parse_back(seeded: Path, fmt, rdflib_format, dataset):
    out = educluster("export", "--store", str(seeded), "--format", fmt).stdout
    parsed = parse_rdf(out, rdflib_format, dataset=dataset)
    triple = (rdflib.URIRef(EX + "a"), rdflib.URIRef(EX + "p"), rdflib.Literal(1))
    if dataset:
        triples = {(s, p, o) for s, p, o, _ in parsed.quads((None, None, None, None))}
        if fmt != "jsonld":  # the JSON-LD export is one compacted document (linked_data)
            graphs = {str(g.identifier) for g in parsed.graphs() if len(g)}
            assert EX + "g" in graphs and DERIVED_GRAPH in graphs
            assert triple in parsed.get_context(rdflib.URIRef(EX + "g"))
    else:
        triples = set(parsed)
    assert triple in triples
    assert len(triples) > 1000


def test_export_without_derived_knowledge(seeded: Path):
    everything = educluster("export", "--store", str(seeded), "--format", "nquads").stdout
    asserted = educluster(
        "export", "--store", str(seeded), "--format", "nquads", "--no-derived"
    ).stdout
    assert f"<{DERIVED_GRAPH}>".encode() in everything
    assert f"<{DERIVED_GRAPH}>".encode() not in asserted
    assert asserted.count(b"\n") < everything.count(b"\n")


def test_export_to_a_gzipped_file(seeded: Path, tmp_path: Path):
    target = tmp_path / "dump.nq.gz"
    result = educluster(
        "export", "--store", str(seeded), "--format", "nquads", "--out", str(target)
    )
    assert "exported" in result.stderr.decode()
    assert result.stdout == b""
    with gzip.open(target, "rb") as f:
        text = f.read()
    parsed = parse_rdf(text, "nquads", dataset=True)
    graph = parsed.get_context(rdflib.URIRef(EX + "g"))
    assert (rdflib.URIRef(EX + "a"), rdflib.URIRef(EX + "p"), rdflib.Literal(1)) in graph


def test_export_refuses_an_unknown_format(seeded: Path):
    result = educluster("export", "--store", str(seeded), "--format", "docx", check=2)
    assert "unknown export format" in result.stderr.decode()


def test_ctrl_c_stops_a_runaway_query(seeded: Path):
    import signal
    import time

    process = subprocess.Popen(
        [sys.executable, "-m", "educluster", "query",
         "SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }",
         "--store", str(seeded)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    time.sleep(1.5)  # let it start the query (an earlier Ctrl-C stops it too)
    process.send_signal(signal.SIGINT)
    out, _ = process.communicate(timeout=60)  # the query itself would run for hours
    assert process.returncode in (-signal.SIGINT, 130)
    assert out == b""


# -- an external store ------------------------------------------------------------------

def test_store_and_endpoint_exclude_each_other(tmp_path: Path):
    result = educluster("query", "ASK {}", "--store", str(tmp_path / "s"),
                        "--endpoint", "http://127.0.0.1:9/sparql", check=2)
    assert "not both" in result.stderr.decode()
    result = educluster("export", "--update-endpoint", "http://127.0.0.1:9/u", check=2)
    assert "--update-endpoint needs --endpoint" in result.stderr.decode()


@pytest.mark.virtuoso
def test_load_query_and_export_on_an_external_store(virtuoso, tmp_path: Path):
    from conftest import empty_remote_store

    empty_remote_store(virtuoso)
    endpoints = ["--endpoint", virtuoso.query_endpoint]
    credentials = {"EDUCLUSTER_ENDPOINT_USER": virtuoso.user,
                   "EDUCLUSTER_ENDPOINT_PASSWORD": virtuoso.password}
    data = tmp_path / "two.ttl"
    data.write_text(f"<{EX}a> <{EX}p> 1 . <{EX}b> <{EX}p> 2 .\n")
    loaded = educluster("load", str(data), "--graph", EX + "g", *endpoints,
                        "--update-endpoint", virtuoso.update_endpoint, env=credentials)
    said = loaded.stderr.decode()
    assert "loaded 2 triples" in said and virtuoso.query_endpoint in said, said
    out = educluster("query", COUNT_EX, *endpoints, "--format", "json").stdout
    assert int(json.loads(out)["results"]["bindings"][0]["n"]["value"]) == 2
    # the first load put the first-start content there too: the examples' clusters
    clusters = educluster("query", "SELECT ?c { ?c a <https://w3id.org/educluster#Cluster> }",
                          *endpoints, "--format", "csv").stdout.decode().split()
    assert len(clusters) - 1 == len(resources.example_files())
    exported = educluster("export", *endpoints, "--format", "nquads").stdout
    parsed = parse_rdf(exported, "nquads", dataset=True)
    graph = parsed.get_context(rdflib.URIRef(EX + "g"))
    assert (rdflib.URIRef(EX + "b"), rdflib.URIRef(EX + "p"), rdflib.Literal(2)) in graph
    assert len(parsed.get_context(rdflib.URIRef(DERIVED_GRAPH))) > 0
