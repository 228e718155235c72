"""The query time limit.

Neither Oxigraph nor rdflib can cancel a running query, and a Python thread cannot be
stopped, so a time limit that really stops the work has to stop the *process* running
it. ``educluster serve`` runs the app under gunicorn in worker processes that answer one
request at a time (``educluster.worker``, or gunicorn's sync worker). At worker boot,
``install_process_killer()`` starts one long-lived watchdog thread; ``query_deadline``
arms it for the duration of a query. When the deadline passes, the watchdog writes a
complete ``503 Service Unavailable`` response to the client's socket, closes it and ends
the worker with ``os._exit``: the engine's work stops with the process, the CPU is
released, and gunicorn's arbiter starts a fresh worker while the other workers keep
serving. A worker that keeps connections alive tells the watchdog where its idle ones
are (``set_bystanders``): a request already waiting on one is answered 503 too (it never
ran) and the rest are closed, before the process ends.

>>> with query_deadline(5):
...     answer = 6 * 7
>>> answer
42

Outside gunicorn (the Flask test client, the werkzeug development server) the work cannot
be stopped: ``query_deadline`` then only raises ``QueryTimeout`` after the block if the
deadline has passed, so that the client still gets a 503.  Only ``educluster serve``
enforces the limit for real.

Arming and disarming cost two lock acquisitions; no thread is created per request, and
the watchdog is woken only when it would otherwise wake too late: it sleeps until the
deadline it last saw, and a later deadline (the next request's, under the same limit)
finds it already due to wake before it and look again.  Under steady load it wakes about
once per time limit, not once per request (each wake-up is a thread switch and a turn of
the interpreter lock taken from the request).
"""

from __future__ import annotations

import os
import select
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress

from educluster.errors import QueryTimeout

#: the exit status of a worker stopped by the watchdog (EX_TEMPFAIL; not one of
#: gunicorn's own boot-error codes 3 and 4, which would stop the whole server)
EXIT_QUERY_STOPPED = 75


def timeout_message(seconds: float) -> str:
    """The one-line message a client gets when its query is stopped."""
    return (
        f"query stopped after {seconds:g} s: it ran past the service's time limit "
        "(setting query_timeout); simplify it or add a LIMIT"
    )


#: what a request waiting on another kept-alive connection of a stopped worker is told
BYSTANDER_MESSAGE = (
    "the server process holding this connection was stopped (another query on it ran "
    "past the time limit) before it could run this request; send it again"
)


def _http_503(seconds: float | None) -> bytes:
    text = timeout_message(seconds) if seconds is not None else BYSTANDER_MESSAGE
    body = (text + "\n").encode("utf-8")
    head = (
        "HTTP/1.1 503 Service Unavailable\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        f"Content-Length: {len(body)}\r\n"
        "Retry-After: 1\r\n"
        "Access-Control-Allow-Origin: *\r\n"
        "Cache-Control: no-store\r\n"
        "Connection: close\r\n"
        "\r\n"
    )
    return head.encode("ascii") + body


class _Watchdog:
    """One thread per process that ends the process when an armed deadline passes."""

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._deadline: float | None = None
        self._seconds = 0.0
        self._socket: socket.socket | None = None
        self._wakes_at = float("inf")  # when the watchdog's current wait ends
        self._thread = threading.Thread(
            target=self._run, name="educluster-query-watchdog", daemon=True
        )
        self._thread.start()

    def arm(self, seconds: float, sock: socket.socket) -> tuple:
        with self._cond:
            previous = (self._deadline, self._seconds, self._socket)
            deadline = time.monotonic() + seconds
            if self._deadline is not None:  # nested: the earlier deadline stays in force
                deadline = min(deadline, self._deadline)
            self._deadline, self._seconds, self._socket = deadline, seconds, sock
            if deadline < self._wakes_at:
                self._cond.notify()
        return previous

    def restore(self, previous: tuple) -> None:
        # No notification: a watchdog waiting for the old deadline wakes, finds nothing
        # (or a later deadline) armed, and waits again.
        with self._cond:
            self._deadline, self._seconds, self._socket = previous

    def _run(self) -> None:
        with self._cond:
            while True:
                if self._deadline is None:
                    self._wakes_at = float("inf")
                    self._cond.wait()
                    continue
                remaining = self._deadline - time.monotonic()
                if remaining > 0:
                    # wait for this deadline even if it is disarmed meanwhile: a later one
                    # armed before then needs no notification
                    self._wakes_at = self._deadline
                    self._cond.wait(remaining)
                    continue
                # Still holding the lock: the request thread cannot disarm and go on to
                # answer while the 503 is being written.
                self._stop_process(self._seconds, self._socket)

    @staticmethod
    def _stop_process(seconds: float, sock: socket.socket | None) -> None:
        try:
            if sock is not None:
                sock.settimeout(2.0)
                sock.sendall(_http_503(seconds))
                sock.shutdown(socket.SHUT_RDWR)
                sock.close()
        except OSError:
            pass  # the client went away: nothing to tell it
        _release_bystanders()
        try:
            print(
                f"educluster: worker {os.getpid()}: {timeout_message(seconds)}; "
                "the worker ends and a fresh one takes its place",
                file=sys.stderr,
                flush=True,
            )
        finally:
            os._exit(EXIT_QUERY_STOPPED)


_watchdog: _Watchdog | None = None
_install_lock = threading.Lock()
_bystanders: Callable[[], list[socket.socket]] | None = None


def set_bystanders(function: Callable[[], list[socket.socket]] | None) -> None:
    """Tell the watchdog how to find the worker's other (idle, kept-alive) connections,
    which it settles before it ends the process (``educluster.worker``)."""
    global _bystanders
    _bystanders = function


def _release_bystanders() -> None:
    """Answer 503 on every other connection of the worker that has sent a request (it
    never ran; ``Retry-After``), and close the idle ones, before the process ends."""
    try:
        connections = _bystanders() if _bystanders is not None else []
    except Exception:
        return
    for sock in connections:
        try:
            waiting = bool(select.select([sock], [], [], 0)[0]) and bool(
                sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT))
            if waiting:
                # read what was sent (closing on unread bytes would reset the
                # connection and could lose the answer), then answer
                with suppress(OSError):
                    for _ in range(16):
                        if not sock.recv(65536, socket.MSG_DONTWAIT):
                            break
                sock.settimeout(1.0)
                sock.sendall(_http_503(None))
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        finally:
            with suppress(OSError):
                sock.close()


def install_process_killer() -> None:
    """Enforce deadlines in this process by ending it (call once per worker, after fork)."""
    global _watchdog
    with _install_lock:
        if _watchdog is None or not _watchdog._thread.is_alive():
            _watchdog = _Watchdog()


def process_killer_installed() -> bool:
    """Whether deadlines in this process stop the work for real."""
    return _watchdog is not None and _watchdog._thread.is_alive()


@contextmanager
def query_deadline(seconds: float | None, environ: dict | None = None) -> Iterator[None]:
    """Run the block under a time limit of ``seconds`` (None or <= 0: no limit).

    Under ``educluster serve`` (a gunicorn worker with the process killer installed and the
    client socket in ``environ["gunicorn.socket"]``) the process ends at the deadline after
    answering 503.  Elsewhere ``QueryTimeout`` is raised after the block if it overran.
    """
    if not seconds or seconds <= 0:
        yield
        return
    watchdog = _watchdog
    sock = environ.get("gunicorn.socket") if environ is not None else None
    if watchdog is not None and sock is not None:
        previous = watchdog.arm(seconds, sock)
        try:
            yield
        finally:
            watchdog.restore(previous)
        return
    started = time.monotonic()
    yield
    if time.monotonic() - started > seconds:
        raise QueryTimeout(timeout_message(seconds))
