"""What the service adds to a query, and what a write costs, on a real ``educluster serve``.

    .venv/bin/python bench/bench_server.py [--requests 500] [--workers 2]

Starts a server on a temporary store (ontology, shapes, examples), then prints:
- for a few queries, the median and 90th percentile HTTP latency (one connection per
  request, as gunicorn's sync workers close it) next to the engine's own time for the
  same query and serialization on the same snapshot, and their difference: what the
  service adds (HTTP parsing, Flask, negotiation, safety checks, the ``CURRENT`` stat,
  arming the time limit);
- the latency of ``query_deadline`` and ``DiskDataset.reader()`` alone;
- the median latency of an acknowledged SPARQL update (write, derive, snapshot, publish).
Benchmarks are not tests: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import http.client
import statistics
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from educluster import limits
from educluster.server import DiskDataset
from serverutil import running_server

QUERIES = {
    "ask-empty": "ASK {}",
    "count-all": "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }",
    "members-10": "SELECT ?c ?m { ?c <https://w3id.org/educluster#hasMember> ?m } LIMIT 10",
}
MEDIA = "application/sparql-results+json"
TOKEN = "bench-token"


def http_get(port: int, path: str, headers: dict | None = None) -> tuple[int, float]:
    start = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.request("GET", path, headers=headers or {})
    response = connection.getresponse()
    response.read()
    connection.close()
    return response.status, time.perf_counter() - start


def http_update(port: int, text: str) -> float:
    start = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    connection.request("POST", "/sparql", body=text.encode(), headers={
        "Content-Type": "application/sparql-update", "Authorization": f"Bearer {TOKEN}",
    })
    response = connection.getresponse()
    response.read()
    connection.close()
    assert response.status in (200, 204), response.status
    return time.perf_counter() - start


def engine_time(store_path: Path, query: str, repeat: int) -> list[float]:
    store = DiskDataset(store_path).reader()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        store.query(query).serialize(MEDIA)
        times.append(time.perf_counter() - start)
    return times


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.3f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--writes", type=int, default=20)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        store = Path(tmp) / "store"
        with running_server(store, token=TOKEN, workers=args.workers, log_dir=tmp) as server:
            print(f"server on port {server.port}, {args.workers} workers, store {store}")
            print(f"{'query':<12} {'HTTP median':>12} {'HTTP p90':>12} {'engine median':>14} "
                  f"{'added':>12}")
            for name, query in QUERIES.items():
                path = "/sparql?" + urllib.parse.urlencode({"query": query})
                for _ in range(20):  # warm up every worker
                    http_get(server.port, path, {"Accept": MEDIA})
                latencies = []
                for _ in range(args.requests):
                    status, seconds = http_get(server.port, path, {"Accept": MEDIA})
                    assert status == 200, status
                    latencies.append(seconds)
                engine = statistics.median(engine_time(store, query, args.requests))
                http_median = statistics.median(latencies)
                p90 = statistics.quantiles(latencies, n=10)[-1]
                print(f"{name:<12} {ms(http_median):>12} {ms(p90):>12} {ms(engine):>14} "
                      f"{ms(http_median - engine):>12}")
            _, health = http_get(server.port, "/health")
            print(f"{'/health':<12} {ms(health):>12}")

            dataset = DiskDataset(store)
            dataset.reader()
            n = 100_000
            start = time.perf_counter()
            for _ in range(n):
                dataset.reader()
            print(f"DiskDataset.reader() (one os.stat): {ms((time.perf_counter() - start) / n)}")
            start = time.perf_counter()
            for _ in range(n):
                with limits.query_deadline(10):
                    pass
            print(f"query_deadline (outside a worker): {ms((time.perf_counter() - start) / n)}")

            writes = [
                http_update(server.port, f"INSERT DATA {{ <http://example.org/w{i}> "
                                         f"<http://example.org/p> {i} }}")
                for i in range(args.writes)
            ]
            print(f"acknowledged update (write, derive, snapshot, publish): median "
                  f"{ms(statistics.median(writes))}")


if __name__ == "__main__":
    main()
