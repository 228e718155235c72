"""Helpers of the reliability suite (``pytest -m reliability``): plain HTTP requests that
never raise on a status, latency percentiles, and the figures file.

Every test of the suite adds its figures to ``test-artifacts/reliability.json`` under a
section of its own (``record("load", {...})``); ``docs/reliability.md`` reports them.
"""

from __future__ import annotations

import contextlib
import fcntl
import http.client
import json
import math
import platform
import time
from datetime import UTC, datetime
from pathlib import Path

from httpserver import Answer

ROOT = Path(__file__).resolve().parent.parent
FIGURES = ROOT / "test-artifacts" / "reliability.json"
TOKEN = "reliability-write-token-7f3a9c"
EX = "http://example.org/reliability/"


def call(base_url: str, method: str, path: str, body: bytes | str | None = None,
         headers: dict[str, str] | None = None, timeout: float = 120) -> Answer:
    """One HTTP request on a fresh connection; the answer whatever its status."""
    host, port = base_url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=timeout)
    try:
        if isinstance(body, str):
            body = body.encode("utf-8")
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return Answer(response.status, response.headers, response.read())
    finally:
        conn.close()


def auth(token: str = TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def percentile(values: list[float], p: float) -> float:
    """The nearest-rank percentile ``p`` (0-100) of ``values`` (0.0 when empty)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def latency_figures(seconds: list[float]) -> dict:
    """Count, p50, p99 and max of latencies, in milliseconds."""
    return {
        "count": len(seconds),
        "p50_ms": round(percentile(seconds, 50) * 1000, 1),
        "p99_ms": round(percentile(seconds, 99) * 1000, 1),
        "max_ms": round(max(seconds, default=0.0) * 1000, 1),
    }


def record(section: str, figures: dict) -> None:
    """Merge ``figures`` into the figures file under ``section`` (with the date and the
    machine), safely when several test processes write at once."""
    FIGURES.parent.mkdir(parents=True, exist_ok=True)
    with open(FIGURES.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        data: dict = {}
        with contextlib.suppress(OSError, ValueError):
            data = json.loads(FIGURES.read_text())
        data.setdefault("machine", {}).update({
            "python": platform.python_version(), "system": platform.platform(),
            "cpus": _cpus(),
        })
        # merged: a run of some of a section's tests keeps the others' figures
        data.setdefault(section, {}).update(
            {"recorded": datetime.now(UTC).isoformat(timespec="seconds"), **figures})
        temporary = FIGURES.with_suffix(".tmp")
        temporary.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
        temporary.replace(FIGURES)


def _cpus() -> int:
    import os

    return len(os.sched_getaffinity(0))


class Stopwatch:
    def __init__(self) -> None:
        self.started = time.monotonic()

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started


def send_streaming(port: int, method: str, path: str, headers: dict[str, str],
                   chunks, *, chunked: bool = False, timeout: float = 120) -> tuple[int, bytes]:
    """Send a (large) body the way curl does: watch for an early answer while sending, stop
    sending when it comes, and read it.  Returns (status, body); status 0 when the server
    cut the connection without answering."""
    import select
    import socket

    head = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Connection: close"]
    head += [f"{k}: {v}" for k, v in headers.items()]
    if chunked:
        head.append("Transfer-Encoding: chunked")
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode("latin-1"))
        try:
            for chunk in chunks:
                readable, _, _ = select.select([sock], [], [], 0)
                if readable:
                    break
                if chunked:
                    chunk = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
                sock.sendall(chunk)
            else:
                if chunked:
                    sock.sendall(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass
        data = bytearray()
        try:
            while True:
                piece = sock.recv(65536)
                if not piece:
                    break
                data += piece
        except (ConnectionResetError, TimeoutError):
            pass
    finally:
        sock.close()
    if not data.startswith(b"HTTP/"):
        return 0, bytes(data)
    status = int(data.split(b" ", 2)[1])
    return status, bytes(data.partition(b"\r\n\r\n")[2])
