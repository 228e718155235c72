"""How long an analyst waits for ``educluster validate``, and what pySHACL alone costs.

    .venv/bin/python bench/bench_validation.py [--quick] [--repeat N]

Figures (median wall time):
1. a definition of about 150 triples, as a fresh process (``educluster validate FILE``,
   start to exit) and as a warm call (``validate_files`` in a running process);
2. the 30-member Tashkent cluster, the same two ways;
3. synthetic graphs of about 10,000 and 100,000 triples (``bench/generate.py``; other
   sizes with ``--sizes``), warm, with the time split into validate's steps (derivation,
   orientation explanations, failure tolerance, compiled core shapes, SHACL-SPARQL, ...).
Each is set beside the plain ``pyshacl`` command on the same data graph (asserted plus
derived triples, as ``validate`` hands it over) and the same shapes, and beside the
alternatives inside ``validate``: ``engine="store"`` (the default: the simple core shapes
compiled into Oxigraph queries, SHACL-SPARQL constraints as one Oxigraph query each, pySHACL
only for shapes the compiler does not take),
``engine="pyshacl"`` (every shape in pySHACL over the Oxigraph store), and pySHACL over an
rdflib graph (its classic backend) where that finishes in reasonable time.
Targets (issue 9): 150 triples in <= 0.6 s as a fresh process; 100,000 triples in <= 2 s.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import pyoxigraph as ox  # noqa: E402

from educluster.reasoning import materialize  # noqa: E402
from educluster.resources import resource_dir  # noqa: E402
from educluster.store import OxigraphStore  # noqa: E402
from educluster.validation import (  # noqa: E402
    run_pyshacl,
    shacl_data_store,
    shapes_graph,
    validate,
    validate_files,
)

SMALL_CASE = ROOT / "tests" / "validation_cases" / "typology-mixed-with-enterprise.ttl"
TASHKENT = resource_dir("data") / "tashkent-teacher-education.ttl"


def median_time(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def fresh_process(args: list[str], repeat: int) -> float:
    def once():
        subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return median_time(once, repeat)


def educluster_command() -> list[str]:
    found = shutil.which("educluster") or str(Path(sys.executable).parent / "educluster")
    return [found] if Path(found).exists() else [sys.executable, "-m", "educluster"]


def pyshacl_command() -> list[str]:
    found = shutil.which("pyshacl") or str(Path(sys.executable).parent / "pyshacl")
    return [found] if Path(found).exists() else [sys.executable, "-m", "pyshacl"]


def data_graph_file(quads: list[ox.Quad], directory: Path, name: str) -> Path:
    """The data graph validate hands to pySHACL (asserted + derived), as N-Triples."""
    store = OxigraphStore()
    store.add_quads(quads)
    materialize(store)
    data = shacl_data_store(store)
    path = directory / f"{name}.nt"
    path.write_bytes(ox.serialize(list(data), format=ox.RdfFormat.N_TRIPLES) or b"")
    return path


def row(name: str, ours: float, other: float | None, other_name: str) -> None:
    if other is None:
        print(f"  {name:<44} {ours:8.3f} s   ({other_name}: not run)")
    else:
        print(f"  {name:<44} {ours:8.3f} s   {other_name}: {other:8.3f} s   "
              f"ratio {other / ours:6.1f}x")


def bench_file(label: str, path: Path, repeat: int, tmp: Path, shapes_file: Path,
               rdflib_too: bool) -> None:
    from rdflib import Graph

    quads = list(ox.parse(path=str(path), base_iri=path.resolve().as_uri()))
    print(f"{label}: {path.name}, {len(quads)} triples")
    data_nt = data_graph_file(quads, tmp, path.stem)
    ours_fresh = fresh_process([*educluster_command(), "validate", str(path)], repeat)
    theirs_fresh = fresh_process([*pyshacl_command(), "-s", str(shapes_file), "-w", "--allow-info",
                                  str(data_nt)], repeat) if rdflib_too else None
    row("fresh process: educluster validate", ours_fresh, theirs_fresh, "pyshacl command")
    validate_files([str(path)])  # warm the caches (shapes, imports)
    ours_warm = median_time(lambda: validate_files([str(path)]), repeat)
    theirs_warm = None
    if rdflib_too:
        g = Graph().parse(data_nt, format="nt")
        theirs_warm = median_time(lambda: run_pyshacl(g, shapes_graph()), max(1, repeat // 3))
    row("warm call: validate_files", ours_warm, theirs_warm, "pySHACL on rdflib")


def bench_synthetic(n: int, repeat: int, tmp: Path, rdflib_limit: int, pyshacl_limit: int
                    ) -> None:
    from generate import generate
    from rdflib import Graph

    text = generate(n, seed=7).encode("utf-8")
    quads = list(ox.parse(text, format=ox.RdfFormat.N_TRIPLES))
    print(f"synthetic graph: {len(quads)} triples")
    report = validate(quads)
    warm = median_time(lambda: validate(quads), repeat)
    phases = validate_phases(quads)
    row("validate, engine=store (warm)", warm, None, "-")
    print("    of which: "
          + ", ".join(f"{name} {seconds:.3f} s" for name, seconds in phases.items())
          + f"; {report.counts['Violation']} violations, {report.counts['Warning']} warnings")
    if len(quads) <= pyshacl_limit:
        t0 = time.perf_counter()
        other = validate(quads, engine="pyshacl")
        slow = time.perf_counter() - t0
        assert other.to_dict() == report.to_dict()
        row("validate, engine=pyshacl", warm, slow, "engine=pyshacl")
    if len(quads) <= rdflib_limit:
        store = OxigraphStore()
        store.add_quads(quads)
        materialize(store)
        data = shacl_data_store(store)
        g = Graph().parse(data=ox.serialize(list(data), format=ox.RdfFormat.N_TRIPLES),
                          format="nt")
        t0 = time.perf_counter()
        run_pyshacl(g)
        theirs = time.perf_counter() - t0
        shacl = phases["core shapes (Oxigraph)"] + phases["SHACL-SPARQL (Oxigraph)"]
        row("SHACL only: pySHACL on an rdflib graph", shacl, theirs, "pySHACL/rdflib")


def validate_phases(quads) -> dict[str, float]:
    """Where one ``validate`` call spends its time: its steps timed in place."""
    import educluster.reasoning as reasoning
    import educluster.validation as validation

    spent: dict[str, float] = {}
    originals = []

    def timed(module, name: str, label: str) -> None:
        original = getattr(module, name)
        originals.append((module, name, original))

        def wrapper(*args, **kwargs):
            t0 = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                spent[label] = spent.get(label, 0.0) + time.perf_counter() - t0

        setattr(module, name, wrapper)

    timed(reasoning, "materialize", "derivation")
    timed(validation, "_add_clusters", "orientation explanations")
    timed(validation, "_failure_tolerance_results", "failure tolerance")
    timed(validation, "_prepare_for_shapes", "data graph handover")
    timed(validation, "_in_threads", "compiled core shapes and SHACL-SPARQL (Oxigraph)")
    timed(validation, "run_pyshacl", "pySHACL")
    timed(validation, "_add_labels", "labels")
    try:
        t0 = time.perf_counter()
        validate(quads)
        total = time.perf_counter() - t0
    finally:
        for module, name, original in reversed(originals):
            setattr(module, name, original)
    spent["rest"] = total - sum(spent.values())
    return {"total": total, **spent}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats, smaller graphs")
    parser.add_argument("--repeat", type=int, default=None)
    parser.add_argument("--sizes", default=None,
                        help="synthetic graph sizes, comma-separated (default 10000,100000; "
                             "e.g. 100000,1000000); no pySHACL comparison above 120,000")
    parser.add_argument("--synthetic-only", action="store_true",
                        help="skip the small definitions and their fresh processes")
    args = parser.parse_args()
    repeat = args.repeat or (3 if args.quick else 7)
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        shapes_file = tmp / "shapes.ttl"
        shapes_file.write_text(shapes_graph().serialize(format="turtle"))
        if not args.synthetic_only:
            bench_file("small definition", SMALL_CASE, repeat, tmp, shapes_file,
                       rdflib_too=True)
            bench_file("Tashkent cluster", TASHKENT, repeat, tmp, shapes_file, rdflib_too=True)
        sizes = [10_000] if args.quick else [10_000, 100_000]
        if args.sizes:
            sizes = [int(size) for size in args.sizes.split(",")]
        for n in sizes:
            bench_synthetic(n, max(1, repeat // 2), tmp, rdflib_limit=12_000,
                            pyshacl_limit=120_000)


if __name__ == "__main__":
    main()
