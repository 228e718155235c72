"""What the linked-data side costs on a bigger graph: descriptions, the framed cluster,
the VoID statistics, the dumps and the named queries.

    .venv/bin/python bench/bench_linked_data.py [--triples 200000] [--seed 1] [--repeat 3]

Loads a synthetic graph (``bench/generate.py``) with the ontology into an in-memory store,
derives, then prints the median time of: describing a cluster and a member (CBD plus
incoming links and labels), framing a cluster, counting the VoID statistics, streaming
the whole dump in each format (with its size and rate), and running each named query
(its example parameters replaced by the synthetic graph's first cluster, organization and
region where it takes them).  Benchmarks are not tests: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import pyoxigraph as ox

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import generate

from educluster import linked_data, named_queries
from educluster.reasoning import ensure_ontology, materialize
from educluster.store import OxigraphStore
from educluster.vocab import DATA_GRAPH_PREFIX, EC_IRI, ID_IRI
from educluster.void import statistics as void_statistics


def timed(repeat: int, work) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--triples", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    store = OxigraphStore()
    t0 = time.perf_counter()
    store.load(generate(args.triples, args.seed), ox.RdfFormat.N_TRIPLES,
               graph=DATA_GRAPH_PREFIX + "bench")
    ensure_ontology(store)
    materialize(store)
    print(f"graph: {store.triple_count('*')} quads, loaded and derived in "
          f"{time.perf_counter() - t0:.1f} s")

    cluster = store.select(f"SELECT ?c WHERE {{ ?c a <{EC_IRI}Cluster> }} ORDER BY ?c LIMIT 1"
                           )[0]["c"].value
    member = store.select(f"SELECT ?m WHERE {{ ?c <{EC_IRI}inCluster> <{cluster}> ; "
                          f"<{EC_IRI}partner> ?m }} ORDER BY ?m LIMIT 1")[0]["m"].value
    region = store.select(f"SELECT ?r WHERE {{ <{cluster}> <{EC_IRI}region> ?r }}")[0]["r"].value
    print(f"cluster {cluster[len(ID_IRI):]}, member {member[len(ID_IRI):]}")
    rows: list[tuple[str, float, str]] = []
    width = 42

    def report(label: str, seconds: float, note: str) -> None:
        rows.append((label, seconds, note))
        print(f"{label:<{width}}  {seconds * 1000:9.1f} ms  {note}", flush=True)

    seconds, description = timed(args.repeat, lambda: linked_data.describe(store, cluster))
    report("describe a cluster", seconds, f"{len(description.triples())} triples")
    seconds, description = timed(args.repeat, lambda: linked_data.describe(store, member))
    report("describe a member", seconds, f"{len(description.triples())} triples")
    seconds, framed = timed(args.repeat, lambda: linked_data.frame_cluster(store, cluster))
    report("frame a cluster", seconds, f"{len(framed['memberships'])} memberships")
    seconds, _ = timed(args.repeat, lambda: void_statistics(store))
    report("VoID statistics", seconds, "")

    for fmt in linked_data.FORMATS.values():
        def dump(fmt=fmt) -> int:
            return sum(len(c) for c in linked_data.iter_export(store, fmt))

        seconds, size = timed(1, dump)
        report(f"dump {fmt.name}", seconds,
               f"{size / 1e6:.1f} MB, {size / 1e6 / seconds:.1f} MB/s")

    partner = store.select(
        f"SELECT ?o WHERE {{ ?c <{EC_IRI}partner> <{member}>, ?o FILTER (?o != <{member}>) }} "
        "ORDER BY ?o LIMIT 1")[0]["o"].value
    substitutes = {"cluster": cluster, "organization": member, "from": member, "to": partner,
                   "region": region}
    for name, query in named_queries.named_queries().items():
        values = {k: substitutes.get(k, v) for k, v in query.example.items()}
        seconds, count = timed(args.repeat, lambda q=query, v=values: len(list(
            q.run(store, v).rows())))
        report(f"query {name}", seconds, f"{count} rows")

    return 0


if __name__ == "__main__":
    sys.exit(main())
