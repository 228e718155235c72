"""How much derived knowledge costs: deriving a synthetic graph, and keeping it current.

    .venv/bin/python bench/bench_derivation.py [--triples 1000000] [--seed 1] [--repeat 3]
                                               [--store disk|memory|scratch|both|all]

Prints, for a synthetic graph (``bench/generate.py``) of about ``--triples`` triples:
- a bare pyoxigraph bulk load of the N-Triples file (on disk and in memory);
- the same load followed by ``educluster.reasoning.materialize`` (ontology included),
  with the time of every rule and the ratio to the bare load; ``scratch`` is the
  in-memory ``ScratchStore`` ``educluster load`` derives large files in (the rules as
  SPARQL updates; its bare load is the in-memory one);
- the cost of keeping derived knowledge current after a one-cooperation write (four
  quads added), by ``update_derived`` with those quads (median of ``--repeat`` writes)
  and by ``materialize`` (everything again), with ratios to the write and the bare load.
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

from educluster.reasoning import materialize, update_derived
from educluster.store import OxigraphStore
from educluster.store.oxigraph import ScratchStore
from educluster.vocab import DATA_GRAPH_PREFIX, ID_IRI

DATA_GRAPH = DATA_GRAPH_PREFIX + "bench"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"


def bare_load(path: Path, directory: Path | None) -> float:
    t0 = time.perf_counter()
    store = ox.Store(str(directory)) if directory else ox.Store()
    store.bulk_load(path=str(path), format=ox.RdfFormat.N_TRIPLES,
                    to_graph=ox.NamedNode(DATA_GRAPH))
    if directory:
        store.flush()
    return time.perf_counter() - t0


def load_and_derive(path: Path, directory: Path | None, scratch: bool = False):
    t0 = time.perf_counter()
    store = ScratchStore() if scratch else OxigraphStore(directory)
    graph = ScratchStore.asserted_node if scratch else ox.NamedNode(DATA_GRAPH)
    store.raw.bulk_load(path=str(path), format=ox.RdfFormat.N_TRIPLES, to_graph=graph)
    loaded = time.perf_counter() - t0
    stats = materialize(store)
    store.flush()
    return store, loaded, stats, time.perf_counter() - t0


def one_cooperation(i: int) -> list[ox.Quad]:
    """A new cooperation in cluster 1: the quads of a one-cooperation write."""
    coop = ox.NamedNode(f"{ID_IRI}cluster-1/bench-cooperation-{i}")
    ec = "https://w3id.org/educluster#"
    graph = ox.NamedNode(DATA_GRAPH)
    return [
        ox.Quad(coop, ox.NamedNode(RDF_TYPE), ox.NamedNode(ec + "Cooperation"), graph),
        ox.Quad(coop, ox.NamedNode(ec + "partner"),
                ox.NamedNode(f"{ID_IRI}cluster-1/university"), graph),
        ox.Quad(coop, ox.NamedNode(ec + "partner"),
                ox.NamedNode(f"{ID_IRI}cluster-1/member-{2 + i}"), graph),
        ox.Quad(coop, ox.NamedNode(ec + "inCluster"), ox.NamedNode(f"{ID_IRI}cluster-1"), graph),
    ]


def ms(seconds: list[float]) -> str:
    return (f"{statistics.median(seconds) * 1000:.1f} ms (spread "
            f"{min(seconds) * 1000:.1f}-{max(seconds) * 1000:.1f})")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--triples", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--store", choices=["disk", "memory", "scratch", "both", "all"],
                        default="both", help="both: disk and memory; all: the three")
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
        places = {"both": ("disk", "memory"), "all": ("disk", "memory", "scratch")}
        for where in places.get(args.store, (args.store,)):
            directory = (tmp_path / f"bare-{where}") if where == "disk" else None
            bare = bare_load(path, directory)
            directory = (tmp_path / f"derived-{where}") if where == "disk" else None
            store, loaded, stats, total = load_and_derive(path, directory, where == "scratch")
            rows.append((where, bare, loaded, stats, total))
            print(f"\n[{where}] bare pyoxigraph bulk load: {bare:.2f} s")
            print(f"[{where}] load {loaded:.2f} s + derive {stats.seconds:.2f} s = {total:.2f} s"
                  f"  -> {total / bare:.2f} x the bare load"
                  f"  ({stats.derived:,} derived triples, {stats.rounds} rounds)")
            for rule, seconds in sorted(stats.rule_seconds.items(), key=lambda kv: -kv[1]):
                print(f"    {rule:<26} {seconds:7.3f} s")

            if where == "scratch":  # a load's scratch store, not a store that is written to
                store.close()
                continue
            writes, incremental, full = [], [], []
            for i in range(args.repeat):
                quads = one_cooperation(i)
                t1 = time.perf_counter()
                store.add_quads(quads)
                t2 = time.perf_counter()
                update_derived(store, quads)
                t3 = time.perf_counter()
                writes.append(t2 - t1)
                incremental.append(t3 - t2)
            for _ in range(min(args.repeat, 2)):
                t1 = time.perf_counter()
                materialize(store)
                full.append(time.perf_counter() - t1)
            write, keep = statistics.median(writes), statistics.median(incremental)
            print(f"[{where}] one-cooperation write: {ms(writes)}")
            print(f"[{where}]   kept current by update_derived: {ms(incremental)}"
                  f"  -> {keep / write:.0f} x the write, {keep / bare:.4f} x the bare load")
            print(f"[{where}]   kept current by materialize (everything again): {ms(full)}"
                  f"  -> {statistics.median(full) / bare:.2f} x the bare load")
            store.close()


if __name__ == "__main__":
    main()
