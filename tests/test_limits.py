"""The query time limit's two modes: ending the process (as in a gunicorn worker) and,
elsewhere, a ``QueryTimeout`` after the fact."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import pytest

from educluster import limits
from educluster.errors import QueryTimeout


def test_no_limit_and_a_block_within_its_limit_pass():
    with limits.query_deadline(None):
        pass
    with limits.query_deadline(0):
        pass
    with limits.query_deadline(30):
        value = 42
    assert value == 42


def test_outside_a_worker_an_overrun_raises_query_timeout_afterwards():
    with pytest.raises(QueryTimeout, match=r"query stopped after 0\.05 s"), \
            limits.query_deadline(0.05, environ={}):
        time.sleep(0.2)


def test_an_error_inside_the_block_is_not_masked():
    with pytest.raises(ZeroDivisionError), limits.query_deadline(0.01):
        time.sleep(0.05)
        1 / 0  # noqa: B018


KILLED_WORKER = r"""
import socket, sys, time
from educluster import limits
limits.install_process_killer()
# the client's end of the connection is the parent's socket pair
sock = socket.socket(fileno=int(sys.argv[1]))
with limits.query_deadline(0.5, environ={"gunicorn.socket": sock}):
    time.sleep(60)   # a query that would run for a minute
print("not stopped", flush=True)
"""


def run_worker_script(script: str) -> tuple[subprocess.Popen, bytes, bytes, bytes]:
    """Run ``script`` as a worker whose client is this end of a socket pair: the process
    (ended), what the client received, and the process's standard output and error."""
    parent_end, child_end = socket.socketpair()
    try:
        process = subprocess.Popen(
            [sys.executable, "-c", script, str(child_end.fileno())],
            pass_fds=[child_end.fileno()], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )
        child_end.close()
        parent_end.settimeout(60)
        received = b""
        while chunk := parent_end.recv(4096):
            received += chunk
        out, err = process.communicate(timeout=60)
    finally:
        parent_end.close()
    return process, received, out, err


def test_in_a_worker_the_deadline_answers_503_and_ends_the_process():
    process, received, out, err = run_worker_script(KILLED_WORKER)
    assert process.returncode == limits.EXIT_QUERY_STOPPED
    assert b"not stopped" not in out
    head, _, body = received.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 503 Service Unavailable\r\n")
    assert b"Connection: close" in head
    length = int(next(
        line.split(b":")[1] for line in head.split(b"\r\n") if line.startswith(b"Content-Length")
    ))
    assert len(body) == length
    assert body.startswith(b"query stopped after 0.5 s")
    assert b"query stopped after 0.5 s" in err


def test_a_worker_survives_deadlines_it_meets_and_creates_no_thread_per_query():
    script = r"""
import socket, threading
from educluster import limits
limits.install_process_killer()
a, b = socket.socketpair()
before = threading.active_count()
for _ in range(2000):
    with limits.query_deadline(5, environ={"gunicorn.socket": a}):
        pass
print(before, threading.active_count(), limits.process_killer_installed(), flush=True)
"""
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, timeout=120, check=True
    ).stdout.split()
    assert out[0] == out[1]  # the one watchdog thread, nothing more
    assert out[2] == b"True"


def test_the_killer_is_not_installed_in_this_process():
    # pytest's own process must never be ended by a deadline
    assert not limits.process_killer_installed()


LATER_DEADLINES = r"""
import socket, sys, time
from educluster import limits
limits.install_process_killer()
sock = socket.socket(fileno=int(sys.argv[1]))
for _ in range(500):  # many quick queries, each within its limit
    with limits.query_deadline(10, environ={"gunicorn.socket": sock}):
        pass
with limits.query_deadline(0.3, environ={"gunicorn.socket": sock}):
    pass  # a short deadline, disarmed at once
time.sleep(1.5)  # an idle while
with limits.query_deadline(0.3, environ={"gunicorn.socket": sock}):
    pass
# then a deadline later than the short ones the watchdog saw last
with limits.query_deadline(1.2, environ={"gunicorn.socket": sock}):
    time.sleep(60)
print("not stopped", flush=True)
"""


def test_a_deadline_after_many_met_and_shorter_ones_is_enforced():
    process, received, out, _ = run_worker_script(LATER_DEADLINES)
    assert process.returncode == limits.EXIT_QUERY_STOPPED
    assert b"not stopped" not in out
    assert b"query stopped after 1.2 s" in received
