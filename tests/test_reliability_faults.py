"""Faults: ``educluster serve`` killed with SIGKILL in the middle of a stream of writes
(the whole server, round after round, and its workers alone), a store on a full or
read-only file system, a worker killed in the middle of a query, and runaway queries among
other clients.

What must hold: the store opens after every crash, every acknowledged write is there and
whole (each write adds ``PER_WRITE`` triples: a count of any other number is half a write),
a full or read-only store stops ``serve`` at start with one clear line and loses nothing,
and the other clients are answered throughout.  Figures go to
``test-artifacts/reliability.json`` under ``faults``.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

import pytest

from reliabilityutil import EX, TOKEN, auth, call, record
from serverutil import free_port, process_alive, running_server, start_server

pytestmark = [pytest.mark.reliability, pytest.mark.server]

PER_WRITE = 3
GRAPH = EX + "faults"
TAG = EX + "writeId"
COUNTS = (f"SELECT ?w (COUNT(?s) AS ?n) {{ GRAPH <{GRAPH}> {{ ?s <{TAG}> ?w }} }} GROUP BY ?w")
#: a query that runs for hours on the example data: a four-way cross join
RUNAWAY = "SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
FIGURES: dict = {}


@pytest.fixture(scope="module", autouse=True)
def figures():
    yield FIGURES
    record("faults", FIGURES)


def write(server, write_id: str, graph_store: bool = False):
    triples = " ".join(f'<{EX}w/{write_id}/{k}> <{TAG}> "{write_id}" .' for k in range(PER_WRITE))
    if graph_store:
        return call(server.base_url, "POST", "/store?" + urllib.parse.urlencode(
            {"graph": GRAPH}), triples, {"Content-Type": "text/turtle", **auth()}, timeout=60)
    return call(server.base_url, "POST", "/sparql",
                f"INSERT DATA {{ GRAPH <{GRAPH}> {{ {triples} }} }}",
                {"Content-Type": "application/sparql-update", **auth()}, timeout=60)


def counts(server) -> dict[str, int]:
    answer = call(server.base_url, "GET", "/sparql?" + urllib.parse.urlencode(
        {"query": COUNTS}), None, {"Accept": "application/sparql-results+json"})
    assert answer.status == 200, answer.body[:300]
    return {row["w"]["value"]: int(row["n"]["value"])
            for row in json.loads(answer.body)["results"]["bindings"]}


def ask(server, text: str = "ASK { ?s ?p ?o }", timeout: float = 60) -> int:
    answer = call(server.base_url, "GET", "/sparql?" + urllib.parse.urlencode({"query": text}),
                  None, {"Accept": "application/sparql-results+json"}, timeout=timeout)
    return answer.status


class Writers:
    """``n`` threads writing until stopped or the server is gone; what was acknowledged."""

    def __init__(self, server, n: int, prefix: str) -> None:
        self.server = server
        self.acknowledged: set[str] = set()
        self.refused: list = []
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self._run, args=(i, prefix), daemon=True)
                        for i in range(n)]
        for t in self.threads:
            t.start()

    def _run(self, i: int, prefix: str) -> None:
        n = 0
        while not self.stop.is_set():
            n += 1
            write_id = f"{prefix}-{i}-{n}"
            try:
                answer = write(self.server, write_id, graph_store=bool(n % 2))
            except OSError:
                if self.stop.is_set():
                    return
                continue  # the server is being killed, or a worker was: try again
            if 200 <= answer.status < 300:
                self.acknowledged.add(write_id)
            else:
                self.refused.append((answer.status, answer.body[:200]))

    def wait_for(self, count: int, timeout: float = 300) -> None:
        deadline = time.monotonic() + timeout
        while len(self.acknowledged) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(self.acknowledged) >= count

    def finish(self) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(timeout=120)


def assert_whole(found: dict[str, int], acknowledged: set[str]) -> None:
    assert sorted(acknowledged - set(found)) == []  # nothing acknowledged is lost
    assert {w: n for w, n in found.items() if n != PER_WRITE} == {}  # nothing half-written


def test_every_acknowledged_write_survives_repeated_sigkills(tmp_path: Path):
    store = tmp_path / "store"
    acknowledged: set[str] = set()
    rounds = 3
    for round_ in range(rounds):
        server = start_server(store, token=TOKEN, workers=3, log_dir=tmp_path)
        try:
            if round_:
                assert_whole(counts(server), acknowledged)  # after the previous kill
            writers = Writers(server, 3, f"r{round_}")
            writers.wait_for(4 + 2 * round_)
            server.stop(signal.SIGKILL)  # arbiter and workers at once, writes in flight
        finally:
            writers.finish()
            server.stop(signal.SIGKILL)
        assert writers.refused == []
        acknowledged |= writers.acknowledged
    with running_server(store, token=TOKEN, workers=2, log_dir=tmp_path) as server:
        found = counts(server)
        assert_whole(found, acknowledged)
        assert write(server, "after").status == 204  # and it still takes writes
        assert counts(server)["after"] == PER_WRITE
    FIGURES["sigkill_server"] = {
        "kills": rounds, "writes_acknowledged": len(acknowledged),
        "writes_found": len(found), "writes_lost": 0, "half_writes": 0,
        "unacknowledged_writes_found_whole": len(set(found) - acknowledged),
    }


def test_workers_killed_in_the_middle_of_writes_are_replaced_and_lose_nothing(tmp_path):
    """SIGKILL only the workers (the arbiter stays) while writes are in flight, twice: the
    writers' lock of a dead worker is released, the next write repairs the store, and the
    server serves on without a restart."""
    kills = 0
    with running_server(tmp_path / "store", token=TOKEN, workers=3, log_dir=tmp_path) as server:
        writers = Writers(server, 3, "w")
        try:
            for round_ in range(2):
                writers.wait_for(4 * (round_ + 1))
                for pid in server.worker_pids():
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
                        kills += 1
            writers.wait_for(len(writers.acknowledged) + 3)  # writes go on
        finally:
            writers.finish()
        assert_whole(counts(server), writers.acknowledged)
        assert writers.refused == []
        assert len({p for p in server.worker_pids() if process_alive(p)}) == 3
    FIGURES["sigkill_workers_mid_write"] = {
        "workers_killed": kills, "writes_acknowledged": len(writers.acknowledged),
        "writes_lost": 0, "half_writes": 0,
    }


def _busiest(pids: set[int]) -> int:
    """The worker using the most CPU over a short interval (the one running a query)."""

    def cpu(pid: int) -> int:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            return int(fields[11]) + int(fields[12])
        return 0

    before = {pid: cpu(pid) for pid in pids}
    time.sleep(1.0)
    return max(pids, key=lambda pid: cpu(pid) - before[pid])


def test_a_worker_killed_in_the_middle_of_a_query_is_replaced_while_others_serve(tmp_path):
    with running_server(tmp_path / "store", workers=3, query_timeout=300,
                        log_dir=tmp_path) as server:
        workers = server.worker_pids()
        outcome: dict = {}

        def slow() -> None:
            try:
                outcome["status"] = ask(server, RUNAWAY, timeout=300)
            except OSError as exc:
                outcome["error"] = type(exc).__name__

        served: list[int] = []
        stop = threading.Event()

        def reader() -> None:
            while not stop.is_set():
                served.append(ask(server))

        slow_thread = threading.Thread(target=slow)
        slow_thread.start()
        time.sleep(0.5)
        victim = _busiest(workers)
        readers = [threading.Thread(target=reader) for _ in range(2)]
        for t in readers:
            t.start()
        os.kill(victim, signal.SIGKILL)
        slow_thread.join(timeout=120)
        assert not slow_thread.is_alive()
        # the client of the killed worker sees its connection end (no answer), not a hang
        assert "error" in outcome or outcome.get("status", 0) >= 500
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            alive = {p for p in server.worker_pids() if process_alive(p)}
            if len(alive) == 3 and victim not in alive:
                break
            time.sleep(0.1)
        time.sleep(0.5)
        stop.set()
        for t in readers:
            t.join(timeout=60)
        assert len(alive) == 3 and victim not in alive
        assert served and set(served) == {200}
        assert ask(server) == 200
    FIGURES["worker_killed_mid_query"] = {
        "workers_killed": 1, "replaced": True, "reads_served_meanwhile": len(served),
        "reads_failed_meanwhile": sum(1 for s in served if s != 200),
    }


def test_runaway_queries_are_stopped_within_their_limit_while_others_are_served(tmp_path):
    limit = 2.0
    with running_server(tmp_path / "store", workers=4, query_timeout=limit,
                        log_dir=tmp_path) as server:
        stopped: list[tuple[int, float, bytes]] = []

        def runaway() -> None:
            started = time.monotonic()
            answer = call(server.base_url, "GET", "/sparql?" + urllib.parse.urlencode(
                {"query": RUNAWAY}), None, {}, timeout=120)
            stopped.append((answer.status, time.monotonic() - started, answer.body))

        served: list[int] = []
        runaways = [threading.Thread(target=runaway) for _ in range(2)]
        for t in runaways:
            t.start()
        while any(t.is_alive() for t in runaways):
            served.append(ask(server))
        for t in runaways:
            t.join()
        # the workers that ran them are replaced: the server answers on
        for _ in range(10):
            served.append(ask(server))
    assert [s for s, _, _ in stopped] == [503, 503]
    assert all(b"query stopped after 2 s" in body for _, _, body in stopped)
    assert served and set(served) == {200}
    FIGURES["runaway_queries"] = {
        "limit_s": limit, "runaways": len(stopped),
        "answered_503_after_s": sorted(round(t, 2) for _, t, _ in stopped),
        "other_requests_served": len(served), "other_requests_failed": 0,
    }


# -- a full or read-only store ----------------------------------------------------------------

@contextlib.contextmanager
def mounted(directory: Path, *options: str):
    """A file system mounted at ``directory`` for the block (root only), or skip."""
    directory.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(["mount", *options, str(directory)], capture_output=True,
                            check=False)
    if result.returncode != 0:
        pytest.skip(f"cannot mount here: {result.stderr.decode().strip()}")
    try:
        yield directory
    finally:
        subprocess.run(["umount", "-l", str(directory)], check=False)


def serve_fails(store: Path) -> subprocess.CompletedProcess:
    """Run ``serve`` expecting it to stop at start; one that serves instead is stopped
    (its whole process group) and the test fails."""
    command = [sys.executable, "-m", "educluster", "serve", "--port", str(free_port()),
               "--store", str(store)]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
        env={k: v for k, v in os.environ.items() if not k.startswith("EDUCLUSTER_")},
    )
    try:
        out, err = process.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        pytest.fail(f"serve {store} started instead of stopping with an error")
    return subprocess.CompletedProcess(command, process.returncode, out, err)


def one_clear_line(result: subprocess.CompletedProcess) -> str:
    err = result.stderr.decode()
    assert result.returncode == 2, err
    assert err.startswith("educluster: error:") and err.count("\n") == 1, err
    assert "Traceback" not in err
    return err


def fill(directory: Path) -> Path:
    filler = directory / "filler"
    subprocess.run(["dd", "if=/dev/zero", f"of={filler}", "bs=1M"], capture_output=True,
                   check=False)
    return filler


def test_regression_a_full_disk_let_serve_start_and_fail_every_write(tmp_path):
    """Found by this suite: on a full file system ``serve`` started as if all was well,
    and every write then failed.  Now it stops at start with one clear line, and the
    store is whole once there is room again."""
    with mounted(tmp_path / "disk", "-t", "tmpfs", "-o", "size=96m", "tmpfs") as disk:
        store = disk / "store"
        with running_server(store, token=TOKEN, workers=1, log_dir=tmp_path) as server:
            assert write(server, "before-full").status == 204
        filler = fill(disk)
        err = one_clear_line(serve_fails(store))
        assert "MiB free" in err and str(store) in err
        # a first start on a full disk creates nothing half-made either
        fresh = one_clear_line(serve_fails(disk / "fresh"))
        assert "MiB free" in fresh and not (disk / "fresh").exists()
        filler.unlink()
        with running_server(store, token=TOKEN, workers=1, log_dir=tmp_path) as server:
            assert counts(server) == {"before-full": PER_WRITE}
            assert write(server, "after-full").status == 204
    FIGURES["full_disk"] = {"refused_at_start": 2, "writes_lost": 0}


def test_regression_a_disk_filling_up_while_serving_was_a_500(tmp_path):
    """Found by this suite: a write meeting a full disk was answered 500 ("unexpected
    error").  It is a 507 saying so; nothing of it is stored, reads go on, and once there
    is room again writes do too."""
    with mounted(tmp_path / "disk", "-t", "tmpfs", "-o", "size=96m", "tmpfs") as disk:
        store = disk / "store"
        with running_server(store, token=TOKEN, workers=2, log_dir=tmp_path) as server:
            assert write(server, "before").status == 204
            filler = fill(disk)
            refused = write(server, "while-full")
            assert refused.status == 507, refused.body[:300]
            assert b"file system is full" in refused.body
            assert ask(server) == 200  # reads go on
            filler.unlink()
            assert write(server, "after").status == 204
            found = counts(server)
        assert found.get("before") == PER_WRITE and found.get("after") == PER_WRITE
        assert found.get("while-full") in (None, PER_WRITE)
    FIGURES["disk_full_while_serving"] = {"write_refused_status": refused.status,
                                          "writes_lost": 0}


def test_a_read_only_store_stops_serve_with_one_clear_line_and_loses_nothing(tmp_path):
    store = tmp_path / "store"
    with running_server(store, token=TOKEN, workers=1, log_dir=tmp_path) as server:
        assert write(server, "before-read-only").status == 204
    with mounted(store, "--bind", str(store)):
        result = subprocess.run(["mount", "-o", "remount,ro,bind", str(store)],
                                capture_output=True, check=False)
        if result.returncode != 0:
            pytest.skip("cannot remount read-only here")
        err = one_clear_line(serve_fails(store))
        assert "not writable" in err and str(store) in err
    with running_server(store, token=TOKEN, workers=1, log_dir=tmp_path) as server:
        assert counts(server) == {"before-read-only": PER_WRITE}
    FIGURES["read_only_store"] = {"refused_at_start": True, "writes_lost": 0}
