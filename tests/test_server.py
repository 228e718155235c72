"""``educluster serve`` as a real process under gunicorn: first start, restarts, a crash in
the middle of writes, the query time limit, readers during writes, the command line on
the same store, and a store it cannot write."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from pathlib import Path

import pyoxigraph as ox
import pytest
from SPARQLWrapper import JSON, POST, SPARQLWrapper

from educluster import resources
from educluster.vocab import (
    DATA_GRAPH_PREFIX,
    DERIVED_GRAPH,
    EC_IRI,
    ONTOLOGY_GRAPH,
    ORG_IRI,
    SHAPES_GRAPH,
)
from serverutil import free_port, process_alive, running_server, start_server

pytestmark = pytest.mark.server

TOKEN = "test-write-token"
EX = "http://example.org/"
#: a query that runs for hours on the example data: a four-way cross join
RUNAWAY = "SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"


def select(server, query: str) -> list[dict]:
    client = SPARQLWrapper(server.sparql_url)
    client.setQuery(query)
    client.setReturnFormat(JSON)
    return client.query().convert()["results"]["bindings"]


def update(server, text: str) -> None:
    client = SPARQLWrapper(server.sparql_url)
    client.setMethod(POST)
    client.setQuery(text)
    client.addCustomHttpHeader("Authorization", f"Bearer {TOKEN}")
    client.query()


def number(server, query: str) -> int:
    return int(select(server, query)[0]["n"]["value"])


def get(url: str, timeout: float = 120) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def query_url(server, query: str) -> str:
    return server.sparql_url + "?" + urllib.parse.urlencode({"query": query})


def distinct_triples(paths: list[Path]) -> int:
    triples = set()
    for path in paths:
        for quad in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE):
            triples.add((quad.subject, quad.predicate, quad.object))
    return len(triples)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    store = tmp_path_factory.mktemp("served") / "store"
    with running_server(store, token=TOKEN, log_dir=store.parent) as running:
        yield running


def test_first_start_loads_ontology_shapes_and_examples(server):
    rows = select(server, "SELECT ?g (COUNT(*) AS ?n) { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
    counts = {row["g"]["value"]: int(row["n"]["value"]) for row in rows}
    expected = {
        ONTOLOGY_GRAPH: distinct_triples(resources.ontology_files()),
        SHAPES_GRAPH: distinct_triples(resources.shape_files()),
    }
    for path in resources.example_files():
        expected[DATA_GRAPH_PREFIX + path.stem] = distinct_triples([path])
    assert expected[ONTOLOGY_GRAPH] > 0 and expected[SHAPES_GRAPH] > 0
    for graph, size in expected.items():
        assert counts.get(graph) == size, graph
    assert counts.get(DERIVED_GRAPH, 0) > 0
    assert "created the store" in server.log_text()


def test_the_default_graph_is_the_union_of_all_graphs(server):
    total = number(server, "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }")
    rows = select(server, "SELECT (COUNT(*) AS ?n) { GRAPH ?g { ?s ?p ?o } }")
    assert total <= int(rows[0]["n"]["value"])
    # a member derived from a membership is visible without naming the derived graph
    assert number(server, f"SELECT (COUNT(*) AS ?n) {{ ?c <{EC_IRI}hasMember> ?m }}") > 0


def test_workers_are_separate_processes(server):
    assert len(server.worker_pids()) == 2


def test_restart_keeps_the_data_and_loads_nothing_twice(tmp_path: Path):
    store = tmp_path / "store"
    with running_server(store, token=TOKEN, log_dir=tmp_path) as first:
        update(first, f"INSERT DATA {{ GRAPH <{EX}g> {{ <{EX}kept> <{EX}p> 1 }} }}")
        total = number(first, "SELECT (COUNT(*) AS ?n) { GRAPH ?g { ?s ?p ?o } }")
        generation = first.health()["generation"]
        assert first.stop() == 0  # SIGTERM: a clean shutdown
    with running_server(store, token=TOKEN, log_dir=tmp_path) as second:
        assert number(second, f"SELECT (COUNT(*) AS ?n) {{ <{EX}kept> ?p ?o }}") == 1
        assert number(second, "SELECT (COUNT(*) AS ?n) { GRAPH ?g { ?s ?p ?o } }") == total
        assert second.health()["generation"] == generation
        assert "created the store" not in second.log_text()


def membership(n: int) -> str:
    return (
        f"INSERT DATA {{ GRAPH <{EX}crash> {{ <{EX}m{n}> a <{ORG_IRI}Membership> ; "
        f"<{ORG_IRI}member> <{EX}p{n}> ; <{ORG_IRI}organization> <{EX}c{n}> }} }}"
    )


def test_every_acknowledged_write_survives_a_sigkill(tmp_path: Path):
    store = tmp_path / "store"
    server = start_server(store, token=TOKEN, workers=3, log_dir=tmp_path)
    acknowledged: list[int] = []
    stop = threading.Event()

    def writer(first: int) -> None:
        n = first
        while not stop.is_set():
            try:
                update(server, membership(n))
            except Exception:
                return  # the server is gone
            acknowledged.append(n)
            n += 3

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(3)]
    try:
        for t in threads:
            t.start()
        while len(acknowledged) < 9 and all(t.is_alive() for t in threads):
            time.sleep(0.05)
        server.stop(signal.SIGKILL)  # arbiter and workers at once, writes in flight
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=60)
        server.stop(signal.SIGKILL)
    assert len(acknowledged) >= 9

    with running_server(store, token=TOKEN, log_dir=tmp_path) as restarted:
        rows = select(
            restarted, f"SELECT ?m {{ GRAPH <{EX}crash> {{ ?m a <{ORG_IRI}Membership> }} }}"
        )
        present = {int(row["m"]["value"][len(EX) + 1:]) for row in rows}
        assert set(acknowledged) <= present
        # derived knowledge matches what is asserted: one hasMember per present membership
        derived = select(
            restarted,
            f"SELECT ?c ?p {{ GRAPH <{DERIVED_GRAPH}> {{ ?c <{EC_IRI}hasMember> ?p }} "
            f"FILTER(STRSTARTS(STR(?c), '{EX}c')) }}",
        )
        pairs = {(row["c"]["value"], row["p"]["value"]) for row in derived}
        assert pairs == {(f"{EX}c{n}", f"{EX}p{n}") for n in present}
        # and it still takes writes
        update(restarted, membership(10_000))
        assert number(
            restarted, f"SELECT (COUNT(*) AS ?n) {{ <{EX}c10000> <{EC_IRI}hasMember> ?p }}"
        ) == 1


def test_a_runaway_query_is_stopped_and_the_others_are_answered(tmp_path: Path):
    with running_server(
        tmp_path / "store", workers=2, log_dir=tmp_path,
        env={"EDUCLUSTER_QUERY_TIMEOUT": "2"},
    ) as server:
        workers_before = server.worker_pids()
        assert len(workers_before) == 2
        outcome: dict = {}

        def runaway() -> None:
            outcome["status"], outcome["body"] = get(query_url(server, RUNAWAY), timeout=120)

        thread = threading.Thread(target=runaway)
        thread.start()
        # while the runaway runs, the other worker answers
        answered_meanwhile = 0
        while thread.is_alive() and answered_meanwhile < 20:
            status, body = get(query_url(server, "ASK { ?s ?p ?o }"), timeout=60)
            assert status == 200 and b"true" in body
            answered_meanwhile += 1
        thread.join(timeout=120)
        assert not thread.is_alive()
        assert outcome["status"] == 503
        assert b"query stopped after 2 s" in outcome["body"]
        assert answered_meanwhile >= 1

        # the worker that ran it is gone (its CPU released); a fresh one replaced it
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            workers_now = {pid for pid in server.worker_pids() if process_alive(pid)}
            gone = {pid for pid in workers_before if not process_alive(pid)}
            if len(gone) == 1 and len(workers_now) == 2:
                break
            time.sleep(0.1)
        assert len(gone) == 1
        assert len(workers_now) == 2 and workers_now != workers_before
        assert "exited with code 75" in server.log_text()
        status, _ = get(query_url(server, "ASK { ?s ?p ?o }"))
        assert status == 200


def test_readers_never_see_half_a_write(tmp_path: Path):
    with running_server(tmp_path / "store", token=TOKEN, workers=4, log_dir=tmp_path) as server:
        writes = 10
        seen: Counter = Counter()
        odd: list[int] = []
        done = threading.Event()
        count_pairs = f"SELECT (COUNT(*) AS ?n) {{ GRAPH <{EX}pairs> {{ ?s <{EX}half> ?o }} }}"

        def reader() -> None:
            while not done.is_set():
                n = number(server, count_pairs)
                seen[n] += 1
                if n % 2:
                    odd.append(n)

        readers = [threading.Thread(target=reader) for _ in range(3)]
        for t in readers:
            t.start()
        try:
            for i in range(writes):
                update(server, f"INSERT DATA {{ GRAPH <{EX}pairs> {{ <{EX}left{i}> <{EX}half> {i} "
                               f". <{EX}right{i}> <{EX}half> {i} }} }}")
        finally:
            done.set()
            for t in readers:
                t.join(timeout=60)
        assert odd == []
        assert sum(seen.values()) > writes
        assert number(server, count_pairs) == 2 * writes


def test_the_command_line_works_on_the_store_being_served(tmp_path: Path):
    store = tmp_path / "store"
    data = tmp_path / "cli.ttl"
    data.write_text(f"<{EX}from-cli> <{EX}p> 1 .\n")

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "educluster", *args, "--store", str(store)],
            capture_output=True, timeout=300, check=True,
        )

    with running_server(store, token=TOKEN, log_dir=tmp_path) as server:
        cli("load", str(data), "--graph", EX + "cli")
        # acknowledged means visible: the very next request sees it
        assert number(server, f"SELECT (COUNT(*) AS ?n) {{ GRAPH <{EX}cli> {{ ?s ?p ?o }} }}") == 1
        update(server, f"INSERT DATA {{ <{EX}from-http> <{EX}p> 2 }}")
        out = cli("query", f"SELECT (COUNT(*) AS ?n) {{ ?s <{EX}p> ?o }}", "--format", "json")
        assert json.loads(out.stdout)["results"]["bindings"][0]["n"]["value"] == "2"
        dump = cli("export", "--format", "nquads").stdout
        assert f"<{EX}from-http>".encode() in dump and f"<{EX}from-cli>".encode() in dump


def serve_fails(store: Path, port: int | None = None) -> subprocess.CompletedProcess:
    port = port if port is not None else free_port()
    return subprocess.run(
        [sys.executable, "-m", "educluster", "serve", "--port", str(port), "--store", str(store)],
        capture_output=True, timeout=120, check=False,
    )


def test_a_port_in_use_fails_clearly_before_anything_is_created(tmp_path: Path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        result = serve_fails(tmp_path / "store", taken.getsockname()[1])
    assert result.returncode == 2
    err = result.stderr.decode()
    assert err.startswith("educluster: error: cannot listen on 127.0.0.1:")
    assert err.count("\n") == 1
    assert not (tmp_path / "store").exists()


def test_serving_a_path_that_is_a_file_fails_clearly(tmp_path: Path):
    target = tmp_path / "file"
    target.write_text("")
    result = serve_fails(target)
    assert result.returncode == 2
    err = result.stderr.decode()
    assert err.startswith("educluster: error:") and "not a directory" in err
    assert "Traceback" not in err


def test_serving_an_unwritable_directory_fails_clearly(tmp_path: Path):
    from test_disk_dataset import unwritable

    directory = tmp_path / "store"
    with unwritable(directory):
        result = serve_fails(directory)
    assert result.returncode == 2
    err = result.stderr.decode()
    assert "not writable" in err and str(directory) in err
    assert "Traceback" not in err


@pytest.mark.virtuoso
def test_serving_an_external_store(virtuoso, tmp_path: Path):
    from conftest import empty_remote_store

    empty_remote_store(virtuoso)
    env = {
        "EDUCLUSTER_ENDPOINT": virtuoso.query_endpoint,
        "EDUCLUSTER_UPDATE_ENDPOINT": virtuoso.update_endpoint,
        "EDUCLUSTER_ENDPOINT_USER": virtuoso.user,
        "EDUCLUSTER_ENDPOINT_PASSWORD": virtuoso.password,
        "EDUCLUSTER_LOAD_EXAMPLES": "false",
    }
    with running_server(tmp_path / "unused", token=TOKEN, env=env, log_dir=tmp_path) as server:
        assert server.health()["engine"] == "remote"
        # the first start gave the empty store the ontology and the shapes
        for graph in (ONTOLOGY_GRAPH, SHAPES_GRAPH):
            assert number(server, f"SELECT (COUNT(*) AS ?n) {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
        update(server, membership(1).replace(f"{EX}crash", f"{EX}remote"))
        assert number(
            server, f"SELECT (COUNT(*) AS ?n) {{ <{EX}c1> <{EC_IRI}hasMember> <{EX}p1> }}"
        ) == 1
    assert not (tmp_path / "unused").exists()
