"""How much derived knowledge costs: deriving a synthetic graph, and keeping it current.

    .venv/bin/python bench/bench_derivation.py [--triples 1000000] [--seed 1] [--repeat 3]

Prints, for a synthetic graph (``bench/generate.py``) of about ``--triples`` triples:
- a bare pyoxigraph bulk load of the N-Triples file (on disk and in memory);
- the same load followed by ``educluster.reasoning.materialize`` (ontology included),
  with the time of every rule and the ratio to the bare load;
- the cost of keeping derived knowledge current after a one-cooperation write (an
  ``INSERT DATA`` of four triples, then ``materialize``), median of ``--repeat`` writes,
  with its ratio to the write alone and to the bare load.
Benchmarks are not tests: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pyoxigraph as ox

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import generate

from educluster.reasoning import materialize
from educluster.store import OxigraphStore
from educluster.vocab import DATA_GRAPH_PREFIX, ID_IRI

DATA_GRAPH = DATA_GRAPH_PREFIX + "bench"


def bare_load(path: Path, directory: Path | None) -> float:
    t0 = time.perf_counter()
    store = ox.Store(str(directory)) if directory else ox.Store()
    store.bulk_load(path=str(path), format=ox.RdfFormat.N_TRIPLES,
                    to_graph=ox.NamedNode(DATA_GRAPH))
    if directory:
        store.flush()
    return time.perf_counter() - t0


def load_and_derive(path: Path, directory: Path | None):
    t0 = time.perf_counter()
    store = OxigraphStore(directory)
    store.raw.bulk_load(path=str(path), format=ox.RdfFormat.N_TRIPLES,
                        to_graph=ox.NamedNode(DATA_GRAPH))
    loaded = time.perf_counter() - t0
    stats = materialize(store)
    store.flush()
    return store, loaded, stats, time.perf_counter() - t0


def one_cooperation(i: int) -> str:
    coop = f"<{ID_IRI}cluster-1/bench-cooperation-{i}>"
    ec = "https://w3id.org/educluster#"
    return (
        f"INSERT DATA {{ GRAPH <{DATA_GRAPH}> {{ {coop} a <{ec}Cooperation> ; "
        f"<{ec}partner> <{ID_IRI}cluster-1/university>, <{ID_IRI}cluster-1/member-{2 + i}> ; "
        f"<{ec}inCluster> <{ID_IRI}cluster-1> }} }}"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--triples", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        t0 = time.perf_counter()
        data = generate(args.triples, args.seed)
        path = tmp_path / "data.nt"
        path.write_text(data)
        n = data.count("\n")
        del data
        print(f"synthetic graph: {n:,} triples (generated in {time.perf_counter() - t0:.1f} s)")

        rows = []
        for where in ("disk", "memory"):
            directory = (tmp_path / f"bare-{where}") if where == "disk" else None
            bare = bare_load(path, directory)
            directory = (tmp_path / f"derived-{where}") if where == "disk" else None
            store, loaded, stats, total = load_and_derive(path, directory)
            rows.append((where, bare, loaded, stats, total))
            print(f"\n[{where}] bare pyoxigraph bulk load: {bare:.2f} s")
            print(f"[{where}] load {loaded:.2f} s + derive {stats.seconds:.2f} s = {total:.2f} s"
                  f"  -> {total / bare:.2f} x the bare load"
                  f"  ({stats.derived:,} derived triples, {stats.rounds} rounds)")
            for rule, seconds in sorted(stats.rule_seconds.items(), key=lambda kv: -kv[1]):
                print(f"    {rule:<26} {seconds:7.3f} s")

            writes, keeps = [], []
            for i in range(args.repeat):
                t1 = time.perf_counter()
                store.update(one_cooperation(i))
                t2 = time.perf_counter()
                materialize(store)
                t3 = time.perf_counter()
                writes.append(t2 - t1)
                keeps.append(t3 - t2)
            write, keep = statistics.median(writes), statistics.median(keeps)
            print(f"[{where}] one-cooperation write: {write * 1000:.1f} ms; keeping derived "
                  f"knowledge current: {keep * 1000:.0f} ms (median of {args.repeat}, "
                  f"spread {min(keeps) * 1000:.0f}-{max(keeps) * 1000:.0f} ms)"
                  f"  -> {keep / write:.0f} x the write, {keep / bare:.2f} x the bare load")
            store.close()


if __name__ == "__main__":
    main()
