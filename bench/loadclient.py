"""A bounded-in-time HTTP load client for SPARQL endpoints on loopback.

    from loadclient import Request, run_load
    result = run_load("127.0.0.1", 8000, requests, clients=4, duration=20)
    print(result.throughput, result.window_spread, result.latency_median)

``clients`` processes (not threads: the client must not share one interpreter lock while
it measures a server on the same machine) each keep one ``http.client`` connection open
while the server allows it (a server that answers ``Connection: close`` gets a new
connection for the next request) and send the requests of the mix in turn, each client
starting at a different place, until ``duration`` seconds have passed.  Every request
has a socket time-out, so a run never lasts longer than ``duration + timeout``.

Figures: completed requests per second over the whole run, and per one-second window
(median and spread), latency median and 90th percentile, and the requests that failed
(a status other than 200, or a connection error), by name.
"""

from __future__ import annotations

import http.client
import multiprocessing
import statistics
import time
from collections import Counter
from dataclasses import dataclass, field

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


@dataclass(frozen=True)
class Request:
    """One request of a mix: a name (for the error counts), a path with its query
    string, and the headers."""

    name: str
    path: str
    headers: tuple[tuple[str, str], ...] = ()
    method: str = "GET"
    body: bytes | None = None


@dataclass
class LoadResult:
    clients: int
    duration: float
    completed: int
    latencies: list[float] = field(default_factory=list)
    windows: list[int] = field(default_factory=list)
    errors: Counter = field(default_factory=Counter)

    @property
    def throughput(self) -> float:
        return self.completed / self.duration if self.duration else 0.0

    @property
    def window_median(self) -> float:
        return statistics.median(self.windows) if self.windows else 0.0

    @property
    def window_spread(self) -> tuple[float, float]:
        """10th and 90th percentile of the requests completed per one-second window."""
        if len(self.windows) < 2:
            return (self.window_median, self.window_median)
        deciles = statistics.quantiles(self.windows, n=10, method="inclusive")
        return (deciles[0], deciles[-1])

    @property
    def latency_median(self) -> float:
        return statistics.median(self.latencies) if self.latencies else float("nan")

    @property
    def latency_p90(self) -> float:
        if len(self.latencies) < 2:
            return self.latency_median
        return statistics.quantiles(self.latencies, n=10)[-1]


def send(connection: http.client.HTTPConnection, request: Request) -> int:
    """Send one request and read the whole answer; returns the status."""
    connection.request(request.method, request.path, body=request.body,
                       headers=dict(request.headers))
    response = connection.getresponse()
    response.read()
    if response.will_close:
        connection.close()  # the next request opens a new connection
    return response.status


def _client(host: str, port: int, requests: list[Request], start_at: int, begin: float,
            duration: float, timeout: float, queue) -> None:
    connection = http.client.HTTPConnection(host, port, timeout=timeout)
    latencies: list[tuple[float, float]] = []  # (finished at, seconds)
    errors: Counter = Counter()
    i = start_at
    end = begin + duration
    while time.time() < begin:
        time.sleep(0.001)
    while True:
        now = time.time()
        if now >= end:
            break
        request = requests[i % len(requests)]
        i += 1
        t0 = time.perf_counter()
        try:
            status = send(connection, request)
        except (OSError, http.client.HTTPException) as exc:
            errors[f"{request.name}: {type(exc).__name__}"] += 1
            connection.close()
            continue
        seconds = time.perf_counter() - t0
        finished = time.time()
        if status != 200:
            errors[f"{request.name}: HTTP {status}"] += 1
        elif finished <= end:
            latencies.append((finished - begin, seconds))
    connection.close()
    queue.put((latencies, errors))


def run_load(host: str, port: int, requests: list[Request], *, clients: int = 4,
             duration: float = 20.0, timeout: float = 30.0) -> LoadResult:
    """Run ``clients`` concurrent clients for ``duration`` seconds against host:port."""
    if host not in LOOPBACK:
        raise ValueError(f"the load client only talks to loopback, not {host!r}")
    if not requests:
        raise ValueError("no requests to send")
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    begin = time.time() + 0.5  # every client starts at the same moment
    step = max(1, len(requests) // clients)
    processes = [
        context.Process(target=_client, args=(host, port, requests, n * step, begin, duration,
                                              timeout, queue), daemon=True)
        for n in range(clients)
    ]
    for p in processes:
        p.start()
    result = LoadResult(clients=clients, duration=duration, completed=0)
    finished_at: list[float] = []
    for _ in processes:
        latencies, errors = queue.get(timeout=duration + timeout + 60)
        finished_at.extend(at for at, _ in latencies)
        result.latencies.extend(seconds for _, seconds in latencies)
        result.errors.update(errors)
    for p in processes:
        p.join(timeout=10)
    result.completed = len(result.latencies)
    windows = Counter(int(at) for at in finished_at)
    result.windows = [windows.get(second, 0) for second in range(int(duration))]
    return result


def sequential_latencies(host: str, port: int, request: Request, repeat: int,
                         timeout: float = 30.0) -> list[float]:
    """Latency of ``repeat`` requests sent one after the other by one client."""
    if host not in LOOPBACK:
        raise ValueError(f"the load client only talks to loopback, not {host!r}")
    connection = http.client.HTTPConnection(host, port, timeout=timeout)
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        status = send(connection, request)
        times.append(time.perf_counter() - t0)
        if status != 200:
            raise RuntimeError(f"{request.name}: HTTP {status}")
    connection.close()
    return times
