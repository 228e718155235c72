"""Load: 8 concurrent clients for 60 s against ``educluster serve`` in its production
configuration (default workers, time limit, row and body limits, a write token).

The clients mix named queries, ad-hoc SELECT and CONSTRUCT, validation calls, consistency
reads and authenticated writes (SPARQL Update and Graph Store POST).  Each write adds
exactly ``PER_WRITE`` triples tagged with its own id, so a reader that ever counts another
number of triples for one id has seen half a write.  The run is bounded in time
(``RELIABILITY_LOAD_SECONDS``, default 60) and in count (``MAX_REQUESTS``).

What must hold: no 5xx and no failed request at all; every write acknowledged (2xx) is
there afterwards, whole; a read never sees half a write, nor misses a write acknowledged
before it started.  Figures (requests per second, p50/p99 latency overall and per kind)
go to ``test-artifacts/reliability.json`` under ``load``.
"""

from __future__ import annotations

import json
import os
import random
import threading
import time
import urllib.parse
from collections import Counter, defaultdict

import pytest

from educluster import resources
from educluster.named_queries import named_queries
from reliabilityutil import EX, TOKEN, auth, call, latency_figures, record
from serverutil import start_server

pytestmark = [pytest.mark.reliability, pytest.mark.server]

CLIENTS = 8
DURATION = float(os.environ.get("RELIABILITY_LOAD_SECONDS", "60"))
MAX_REQUESTS = 100_000
PER_WRITE = 4
GRAPH = EX + "load"
TAG = EX + "writeId"

SELECTS = [
    "SELECT ?c ?r { ?c a <https://w3id.org/educluster#EducationalCluster> ; "
    "<https://w3id.org/educluster#region> ?r }",
    "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }",
    "PREFIX org: <http://www.w3.org/ns/org#> SELECT ?o (COUNT(?m) AS ?members) "
    "{ ?o org:hasMember ?m } GROUP BY ?o ORDER BY DESC(?members) LIMIT 10",
    "PREFIX ec: <https://w3id.org/educluster#> ASK { ?c ec:orientation ec:Mixed }",
]
CONSTRUCTS = [
    "PREFIX ec: <https://w3id.org/educluster#> CONSTRUCT { ?c ec:orientation ?o } "
    "WHERE { ?c ec:orientation ?o }",
    "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH <https://w3id.org/educluster/graph/ontology> "
    "{ ?s ?p ?o } } LIMIT 500",
]
CONSISTENCY = (f"SELECT ?w (COUNT(?s) AS ?n) {{ GRAPH <{GRAPH}> {{ ?s <{TAG}> ?w }} }} "
               "GROUP BY ?w")
#: (kind, weight) of the mix
MIX = [("named", 30), ("select", 20), ("construct", 10), ("validate", 6),
       ("consistency", 20), ("update", 9), ("graph-store", 5)]


def _named_requests() -> list[str]:
    paths = []
    for query in named_queries().values():
        params = urllib.parse.urlencode(query.example)
        paths.append(f"/queries/{query.name}" + (f"?{params}" if params else ""))
    return sorted(paths)


class Load:
    """The shared state of one run: what was acknowledged, what went wrong, timings."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.lock = threading.Lock()
        self.acknowledged: set[str] = set()
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.statuses: Counter = Counter()
        self.failures: list[str] = []
        self.half_writes: list[str] = []
        self.missed: list[str] = []
        self.requests = 0
        self.stop = threading.Event()
        self.named = _named_requests()
        self.definitions = [(p.name, p.read_bytes()) for p in resources.example_files()
                            if p.stat().st_size < 30_000]

    def fail(self, text: str) -> None:
        with self.lock:
            self.failures.append(text)

    def client(self, number: int, deadline: float) -> None:
        rng = random.Random(number)
        kinds = [kind for kind, weight in MIX for _ in range(weight)]
        sequence = 0
        while not self.stop.is_set() and time.monotonic() < deadline:
            with self.lock:
                if self.requests >= MAX_REQUESTS:
                    return
                self.requests += 1
            kind = rng.choice(kinds)
            try:
                if kind in ("update", "graph-store"):
                    sequence += 1
                    self.write(kind, f"c{number}-{sequence}")
                else:
                    self.read(kind, rng)
            except Exception as exc:  # a connection error, a time-out: a failure
                self.fail(f"{kind}: {type(exc).__name__}: {exc}")

    def timed(self, kind: str, method: str, path: str, body=None, headers=None):
        started = time.monotonic()
        answer = call(self.base_url, method, path, body, headers, timeout=120)
        elapsed = time.monotonic() - started
        with self.lock:
            self.latencies[kind].append(elapsed)
            self.statuses[answer.status] += 1
        if answer.status >= 300:
            self.fail(f"{kind} {method} {path[:80]}: {answer.status} {answer.body[:200]!r}")
        return answer

    def write(self, kind: str, write_id: str) -> None:
        triples = " ".join(f'<{EX}w/{write_id}/{k}> <{TAG}> "{write_id}" .'
                           for k in range(PER_WRITE))
        if kind == "update":
            body = f"INSERT DATA {{ GRAPH <{GRAPH}> {{ {triples} }} }}"
            answer = self.timed(kind, "POST", "/sparql", body, {
                "Content-Type": "application/sparql-update", **auth()})
        else:
            answer = self.timed(kind, "POST", "/store?" + urllib.parse.urlencode(
                {"graph": GRAPH}), triples, {"Content-Type": "text/turtle", **auth()})
        if 200 <= answer.status < 300:
            with self.lock:
                self.acknowledged.add(write_id)

    def read(self, kind: str, rng: random.Random) -> None:
        if kind == "named":
            self.timed(kind, "GET", rng.choice(self.named), None, {"Accept": "application/json"})
        elif kind == "select":
            query = urllib.parse.urlencode({"query": rng.choice(SELECTS)})
            self.timed(kind, "GET", "/sparql?" + query, None,
                       {"Accept": "application/sparql-results+json"})
        elif kind == "construct":
            body = urllib.parse.urlencode({"query": rng.choice(CONSTRUCTS)})
            self.timed(kind, "POST", "/sparql", body, {
                "Content-Type": "application/x-www-form-urlencoded", "Accept": "text/turtle"})
        elif kind == "validate":
            _, data = rng.choice(self.definitions)
            answer = self.timed(kind, "POST", "/validate", data, {
                "Content-Type": "text/turtle", "Accept": "application/json"})
            if answer.status == 200 and "conforms" not in json.loads(answer.body):
                self.fail("validate: no report")
        elif kind == "consistency":
            with self.lock:
                before = set(self.acknowledged)
            answer = self.timed(kind, "GET", "/sparql?" + urllib.parse.urlencode(
                {"query": CONSISTENCY}), None, {"Accept": "application/sparql-results+json"})
            if answer.status != 200:
                return
            counts = {row["w"]["value"]: int(row["n"]["value"])
                      for row in json.loads(answer.body)["results"]["bindings"]}
            half = [f"{w}={n}" for w, n in counts.items() if n != PER_WRITE]
            missed = sorted(before - set(counts))
            with self.lock:
                self.half_writes += half
                self.missed += missed


def test_eight_clients_for_a_minute_against_the_production_configuration(tmp_path):
    server = start_server(tmp_path / "store", token=TOKEN, workers=0, log_dir=tmp_path)
    try:
        workers = 2 * (os.cpu_count() or 1) + 1  # the default: 2 x CPU cores + 1
        booted = time.monotonic() + 60
        while len(server.worker_pids()) < workers and time.monotonic() < booted:
            time.sleep(0.1)
        assert len(server.worker_pids()) == workers
        load = Load(server.base_url)
        started = time.monotonic()
        deadline = started + DURATION
        threads = [threading.Thread(target=load.client, args=(n, deadline), daemon=True)
                   for n in range(CLIENTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=DURATION + 300)
        load.stop.set()
        elapsed = time.monotonic() - started
        assert not any(t.is_alive() for t in threads), "a client hung"

        # afterwards: every acknowledged write is there, whole, and nothing else
        answer = call(server.base_url, "GET", "/sparql?" + urllib.parse.urlencode(
            {"query": CONSISTENCY}), None, {"Accept": "application/sparql-results+json"})
        assert answer.status == 200
        final = {row["w"]["value"]: int(row["n"]["value"])
                 for row in json.loads(answer.body)["results"]["bindings"]}
        health = server.health()
    finally:
        server.stop()

    every = [s for kind in load.latencies.values() for s in kind]
    five_xx = sum(n for status, n in load.statuses.items() if status >= 500)
    lost = sorted(load.acknowledged - set(final))
    partial = sorted(w for w, n in final.items() if n != PER_WRITE)
    record("load", {
        "clients": CLIENTS, "workers": workers, "duration_s": round(elapsed, 1),
        "requests": len(every),
        "requests_per_s": round(len(every) / elapsed, 1),
        "latency": latency_figures(every),
        "by_kind": {kind: latency_figures(v) for kind, v in sorted(load.latencies.items())},
        "statuses": {str(k): v for k, v in sorted(load.statuses.items())},
        "responses_5xx": five_xx, "failures": len(load.failures),
        "writes_acknowledged": len(load.acknowledged), "writes_found_after": len(final),
        "writes_lost": len(lost), "half_writes_seen": len(load.half_writes),
        "acknowledged_writes_missed_by_later_reads": len(load.missed),
    })
    assert load.failures == [], load.failures[:10]
    assert five_xx == 0
    assert load.half_writes == []
    assert load.missed == []
    assert lost == [] and partial == []
    # only acknowledged writes were made (every write was answered), all of them kept
    assert set(final) == load.acknowledged
    assert len(load.acknowledged) >= CLIENTS  # the mix really wrote
    assert {"named", "select", "construct", "validate", "consistency"} <= set(load.latencies)
    assert health["status"] == "ok"
