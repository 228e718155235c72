"""The on-disk dataset: snapshots, all-or-nothing writes, recovery, the writers' lock."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from educluster import resources
from educluster.errors import InputError, StoreError
from educluster.server import DiskDataset
from educluster.store import OxigraphStore
from educluster.vocab import DATA_GRAPH_PREFIX, DERIVED_GRAPH, ONTOLOGY_GRAPH, SHAPES_GRAPH

ORG = "http://www.w3.org/ns/org#"
EC = "https://w3id.org/educluster#"


def insert(n: int) -> str:
    return f"INSERT DATA {{ <http://example.org/s{n}> <http://example.org/p> {n} }}"


def count(dataset: DiskDataset) -> int:
    rows = dataset.reader().select("SELECT (COUNT(*) AS ?n) { ?s <http://example.org/p> ?o }")
    return int(rows[0]["n"].value)


@pytest.fixture
def dataset(tmp_path: Path) -> DiskDataset:
    d = DiskDataset(tmp_path / "store", snapshot_grace=0)
    d.prepare(examples=False)
    yield d
    d.close()


def test_first_prepare_loads_ontology_shapes_and_examples(tmp_path: Path):
    d = DiskDataset(tmp_path / "store")
    assert d.prepare() is True
    graphs = set(d.reader().named_graphs())
    expected = {DATA_GRAPH_PREFIX + p.stem for p in resources.example_files()}
    if resources.ontology_files():
        expected.add(ONTOLOGY_GRAPH)
    if resources.shape_files():
        expected.add(SHAPES_GRAPH)
    assert expected <= graphs
    assert d.generation == 1
    # A second start changes nothing and loads nothing twice.
    size = d.reader().triple_count()
    assert DiskDataset(tmp_path / "store").prepare() is False
    assert d.generation == 1
    assert d.reader().triple_count() == size


def test_prepare_without_examples_has_no_data_graphs(dataset: DiskDataset):
    assert not [g for g in dataset.reader().named_graphs() if g.startswith(DATA_GRAPH_PREFIX)]


def test_write_is_published_and_an_open_reader_keeps_its_snapshot(dataset: DiskDataset):
    before = dataset.reader()
    generation = dataset.generation
    dataset.write(lambda s: s.update(insert(1)))
    assert dataset.generation == generation + 1
    assert count(dataset) == 1
    # the store handed out before the write still shows the state before it
    assert before.select("SELECT * { ?s <http://example.org/p> ?o }") == []


def test_reader_is_reused_until_current_changes(dataset: DiskDataset):
    first = dataset.reader()
    assert dataset.reader() is first
    dataset.write(lambda s: s.update(insert(1)))
    assert dataset.reader() is not first


def test_write_returns_what_the_change_returns(dataset: DiskDataset):
    assert dataset.write(lambda s: s.add_quads([])) == 0


def test_derived_knowledge_is_recomputed_after_a_write(dataset: DiskDataset):
    dataset.write(lambda s: s.update(
        f"INSERT DATA {{ <http://e/m> a <{ORG}Membership> ; <{ORG}member> <http://e/p> ; "
        f"<{ORG}organization> <http://e/c> }}"
    ))
    assert dataset.reader().ask(
        f"ASK {{ GRAPH <{DERIVED_GRAPH}> {{ <http://e/c> <{EC}hasMember> <http://e/p> }} }}"
    )


def test_a_failed_write_leaves_no_trace(dataset: DiskDataset):
    dataset.write(lambda s: s.update(insert(1)))
    generation = dataset.generation

    def half_then_fail(store):
        store.update(insert(2))
        raise InputError("refused halfway")

    with pytest.raises(InputError, match="refused halfway"):
        dataset.write(half_then_fail)
    assert dataset.generation == generation
    assert count(dataset) == 1
    assert not dataset.dirty_file.exists()
    # the primary was rebuilt too: the next write does not publish the half change
    dataset.write(lambda s: s.update(insert(3)))
    assert count(dataset) == 2
    assert not dataset.reader().ask("ASK { <http://example.org/s2> ?p ?o }")


def test_an_interrupted_write_is_undone_at_the_next_start(dataset: DiskDataset):
    dataset.write(lambda s: s.update(insert(1)))
    # what a process killed in the middle of a write leaves behind
    dataset.dirty_file.write_text("12345")
    primary = OxigraphStore(dataset.primary_dir)
    primary.update(insert(2))
    primary.flush()
    primary.close()
    del primary

    restarted = DiskDataset(dataset.path)
    assert restarted.prepare() is False
    assert not restarted.dirty_file.exists()
    assert count(restarted) == 1
    restarted.write(lambda s: s.update(insert(3)))
    assert count(restarted) == 2
    assert not restarted.reader().ask("ASK { <http://example.org/s2> ?p ?o }")


def test_a_snapshot_that_was_never_published_is_discarded(dataset: DiskDataset):
    generation = dataset.generation
    stray = dataset._snapshot_dir(generation + 1)
    OxigraphStore(dataset._snapshot_dir(generation), read_only=True).snapshot(stray)
    dataset.dirty_file.write_text("12345")
    dataset.write(lambda s: s.update(insert(1)))
    assert dataset.generation == generation + 1
    assert count(dataset) == 1


def test_old_snapshots_are_pruned(tmp_path: Path):
    d = DiskDataset(tmp_path / "store", snapshot_keep=2, snapshot_grace=0)
    d.prepare(examples=False)
    for n in range(5):
        d.write(lambda s, n=n: s.update(insert(n)))
    assert sorted(p.name for p in d.snapshots_dir.iterdir()) == [
        f"{d.generation - 1:010d}", f"{d.generation:010d}",
    ]
    assert count(d) == 5


def test_young_snapshots_are_kept_for_the_grace_period(tmp_path: Path):
    d = DiskDataset(tmp_path / "store", snapshot_keep=2, snapshot_grace=3600)
    d.prepare(examples=False)
    for n in range(3):
        d.write(lambda s, n=n: s.update(insert(n)))
    assert len(list(d.snapshots_dir.iterdir())) == 4


def test_writes_from_many_threads_are_serialized(dataset: DiskDataset):
    generation = dataset.generation
    errors: list[BaseException] = []

    def writer(base: int) -> None:
        try:
            for n in range(base, base + 4):
                dataset.write(lambda s, n=n: s.update(insert(n)), derive=False)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(100 * t,)) for t in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert count(dataset) == 16
    assert dataset.generation == generation + 16


def test_another_process_writes_through_the_same_lock(dataset: DiskDataset):
    script = (
        "import sys\n"
        "from educluster.server import DiskDataset\n"
        "d = DiskDataset(sys.argv[1])\n"
        "for n in range(1000, 1005):\n"
        "    q = f'INSERT DATA {{ <http://example.org/s{n}> <http://example.org/p> {n} }}'\n"
        "    d.write(lambda s, q=q: s.update(q), derive=False)\n"
    )
    process = subprocess.Popen([sys.executable, "-c", script, str(dataset.path)])
    for n in range(5):
        dataset.write(lambda s, n=n: s.update(insert(n)), derive=False)
    assert process.wait(timeout=120) == 0
    assert count(dataset) == 10


def test_a_path_that_is_a_file_is_refused(tmp_path: Path):
    target = tmp_path / "file"
    target.write_text("not a store")
    with pytest.raises(StoreError, match="not a directory"):
        DiskDataset(target).prepare()


def test_a_directory_with_other_files_is_not_taken_over(tmp_path: Path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(StoreError, match="not empty and holds no educluster store"):
        DiskDataset(tmp_path).prepare()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_an_empty_directory_becomes_a_store(tmp_path: Path):
    assert DiskDataset(tmp_path).prepare(examples=False) is True


@contextlib.contextmanager
def unwritable(directory: Path):
    """Make a directory unwritable even for root (immutable attribute), or skip."""
    directory.mkdir(parents=True, exist_ok=True)
    chattr = subprocess.run(["chattr", "+i", str(directory)], capture_output=True, check=False)
    immutable = chattr.returncode == 0
    if not immutable:
        directory.chmod(0o555)
    try:
        probe = directory / "probe"
        try:
            probe.write_text("")
        except OSError:
            pass
        else:
            probe.unlink()
            pytest.skip("cannot make a directory unwritable here")
        yield directory
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", str(directory)], check=False)
        directory.chmod(0o755)


def test_an_unwritable_directory_is_refused_with_a_clear_error(tmp_path: Path):
    directory = tmp_path / "store"
    with unwritable(directory), pytest.raises(StoreError, match="not writable"):
        DiskDataset(directory).prepare()


def test_reading_needs_an_existing_store(tmp_path: Path):
    with pytest.raises(StoreError, match="no store at"):
        DiskDataset(tmp_path / "missing").prepare_for_reading()
    assert not (tmp_path / "missing").exists()


def test_a_published_store_is_readable_without_writing(dataset: DiskDataset):
    dataset.write(lambda s: s.update(insert(1)))
    reader = DiskDataset(dataset.path)
    with unwritable(dataset.path):
        reader.prepare_for_reading()
        assert count(reader) == 1


def test_store_layout_is_as_documented(dataset: DiskDataset):
    names = set(os.listdir(dataset.path))
    assert {"primary", "snapshots", "CURRENT", "write.lock"} <= names
    assert "dirty" not in names
    assert dataset.current_file.read_text().strip() == str(dataset.generation)


CRASHING_WRITER = r"""
import sys
from educluster.server import DiskDataset
d = DiskDataset(sys.argv[1])
n = int(sys.argv[2])
while True:
    q = f'INSERT DATA {{ <http://example.org/s{n}> <http://example.org/p> {n} . '\
        f'<http://example.org/t{n}> <http://example.org/p> {n} }}'
    d.write(lambda s, q=q: s.update(q), derive=False)
    print(n, flush=True)   # acknowledged
    n += 1
"""


@pytest.mark.parametrize("delay", [0.3, 0.7, 1.1, 1.6])
def test_sigkill_at_any_moment_keeps_every_acknowledged_write(dataset: DiskDataset, delay):
    import signal
    import time

    first = 1000 * int(delay * 10)
    process = subprocess.Popen(
        [sys.executable, "-c", CRASHING_WRITER, str(dataset.path), str(first)],
        stdout=subprocess.PIPE,
    )
    time.sleep(delay)  # a different moment of the write cycle each time
    process.send_signal(signal.SIGKILL)
    out, _ = process.communicate(timeout=60)
    acknowledged = [int(line) for line in out.split()]

    restarted = DiskDataset(dataset.path)
    restarted.prepare()
    present = {
        int(row["o"].value)
        for row in restarted.reader().select("SELECT ?o { ?s <http://example.org/p> ?o }")
    }
    assert set(acknowledged) <= present
    # never half a write: both triples of every write, or neither
    assert count(restarted) == 2 * len(present)
    # the primary is usable again
    restarted.write(lambda s: s.update(insert(1)), derive=False)
    assert restarted.reader().ask("ASK { <http://example.org/s1> ?p ?o }")
