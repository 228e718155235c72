"""What the service adds to a query, and what a write costs, on a real ``educluster serve``.

    .venv/bin/python bench/bench_server.py [--requests 500] [--workers 2]

Starts a server on a temporary store (ontology, shapes, examples), then prints:
- for a few queries, the median and 90th percentile HTTP latency on one kept-alive
  connection and with a new connection per request (as clients such as ``urllib`` do),
  next to the engine's own time for the same query and serialization on the same
  snapshot, and the difference: what the service adds (HTTP parsing, Flask, negotiation,
  safety checks, the ``CURRENT`` stat, arming the time limit);
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


def http_get(port: int, path: str, headers: dict | None = None,
             connection: http.client.HTTPConnection | None = None) -> tuple[int, float]:
    """One GET: on ``connection`` (kept alive) if given, else on a connection of its own."""
    start = time.perf_counter()
    own = connection is None
    if own:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.request("GET", path, headers=headers or {})
    response = connection.getresponse()
    response.read()
    if own:
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
            print(f"{'query':<12} {'connection':<11} {'HTTP median':>12} {'HTTP p90':>12} "
                  f"{'engine median':>14} {'added':>12}")
            kept = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
            for name, query in QUERIES.items():
                path = "/sparql?" + urllib.parse.urlencode({"query": query})
                engine = statistics.median(engine_time(store, query, args.requests))
                for mode, connection in (("kept alive", kept), ("per request", None)):
                    for _ in range(20):  # warm up every worker
                        http_get(server.port, path, {"Accept": MEDIA}, connection)
                    latencies = []
                    for _ in range(args.requests):
                        status, seconds = http_get(server.port, path, {"Accept": MEDIA},
                                                   connection)
                        assert status == 200, status
                        latencies.append(seconds)
                    http_median = statistics.median(latencies)
                    p90 = statistics.quantiles(latencies, n=10)[-1]
                    print(f"{name:<12} {mode:<11} {ms(http_median):>12} {ms(p90):>12} "
                          f"{ms(engine):>14} {ms(http_median - engine):>12}")
            kept.close()
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
