"""Connections kept alive by ``educluster serve`` (``educluster.worker``), against the
reference: the same store served with ``keep_alive`` 0 (gunicorn's sync worker, one
connection per request).  And what the query time limit does to the other connections of
the worker it ends."""

from __future__ import annotations

import http.client
import socket
import threading
import time
import urllib.parse
from pathlib import Path

import pytest

from educluster import limits
from educluster.named_queries import named_queries
from serverutil import process_alive, running_server, start_server

pytestmark = pytest.mark.server

#: a query that runs for hours on the example data: a four-way cross join
RUNAWAY = "SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
JSON = "application/sparql-results+json"


def q(text: str, **extra: str) -> str:
    return "/sparql?" + urllib.parse.urlencode({"query": text, **extra})


def requests_of_every_kind() -> list[tuple[str, str, bytes | None, dict[str, str]]]:
    """(method, path, body, headers): answers of every kind and status the endpoints give."""
    out = [
        ("GET", q("SELECT ?p ?o { <https://w3id.org/educluster/id/ulyanovsk-holding> ?p ?o }"),
         None, {"Accept": JSON}),
        ("GET", q("SELECT ?s ?p ?o { ?s ?p ?o } ORDER BY ?s ?p ?o LIMIT 300"), None,
         {"Accept": "text/csv"}),
        ("GET", q("SELECT ?s ?p ?o { ?s ?p ?o } ORDER BY ?s ?p ?o LIMIT 300"), None,
         {"Accept": JSON, "Accept-Encoding": "gzip"}),
        ("GET", q("ASK { ?s ?p ?o }"), None, {"Accept": "application/sparql-results+xml"}),
        ("GET", q("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } ORDER BY ?s LIMIT 50"), None,
         {"Accept": "text/turtle"}),
        ("POST", "/sparql", urllib.parse.urlencode(
            {"query": "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }"}).encode(),
         {"Content-Type": "application/x-www-form-urlencoded", "Accept": JSON}),
        ("POST", "/sparql", b"SELECT ?c { ?c a <https://w3id.org/educluster#EducationalCluster> }",
         {"Content-Type": "application/sparql-query", "Accept": "text/tab-separated-values"}),
        ("GET", q("SELECT * { ?s ?p }"), None, {"Accept": JSON}),  # 400
        ("GET", q("ASK {}"), None, {"Accept": "image/png"}),  # 406
        ("GET", q("SELECT * { SERVICE <http://example.org/s> { ?s ?p ?o } }"), None, {}),  # 400
        ("POST", "/sparql", b"INSERT DATA { <http://e/a> <http://e/b> 1 }",
         {"Content-Type": "application/sparql-update"}),  # 401/403: no token
        ("GET", "/no/such/page", None, {"Accept": "application/json"}),  # 404
        ("GET", "/health", None, {}),
        ("GET", "/static/educluster.css", None, {}),  # a file: sent with sendfile
        ("HEAD", q("ASK {}"), None, {}),
    ]
    for query in sorted(named_queries().values(), key=lambda n: n.name):
        params = urllib.parse.urlencode(dict(query.example, format="sparql-json"))
        out.append(("GET", f"/queries/{query.name}?{params}", None, {}))
    return out


def answer(connection: http.client.HTTPConnection, method: str, path: str, body, headers):
    connection.request(method, path, body=body, headers=headers)
    response = connection.getresponse()
    data = response.read()
    return response, data


def comparable(response: http.client.HTTPResponse, data: bytes, path: str) -> tuple:
    if path == "/health":  # says which worker answered and since when
        data = b""
    headers = {k.lower(): v for k, v in response.getheaders()
               if k.lower() not in ("date", "connection", "server", "keep-alive")}
    return response.status, headers, data


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    """The same store served twice: kept-alive connections and one per request."""
    directory = tmp_path_factory.mktemp("keepalive")
    store = directory / "store"
    kept = start_server(store, workers=2, log_dir=directory)
    try:
        closing = start_server(store, workers=2, log_dir=directory,
                               env={"EDUCLUSTER_KEEP_ALIVE": "0"})
        try:
            yield kept, closing
        finally:
            closing.stop()
    finally:
        kept.stop()


def test_one_kept_alive_connection_gives_the_answers_of_one_connection_per_request(servers):
    kept, closing = servers
    requests = requests_of_every_kind()
    connection = http.client.HTTPConnection("127.0.0.1", kept.port, timeout=60)
    try:
        connection.connect()
        local = connection.sock.getsockname()
        statuses = set()
        for round_ in range(2):
            for method, path, body, headers in requests:
                reference = http.client.HTTPConnection("127.0.0.1", closing.port, timeout=60)
                try:
                    ref_response, ref_data = answer(reference, method, path, body, headers)
                finally:
                    reference.close()
                assert ref_response.getheader("Connection") == "close"

                response, data = answer(connection, method, path, body, headers)
                assert not response.will_close, (path, response.getheaders())
                assert connection.sock is not None
                assert connection.sock.getsockname() == local  # the same connection
                assert comparable(response, data, path) == \
                    comparable(ref_response, ref_data, path), (round_, method, path)
                statuses.add(response.status)
    finally:
        connection.close()
    assert {200, 204, 400, 401, 404, 406} & statuses >= {200, 400, 404, 406}


def test_a_client_that_asks_for_close_gets_it(servers):
    kept, _ = servers
    connection = http.client.HTTPConnection("127.0.0.1", kept.port, timeout=60)
    try:
        response, _ = answer(connection, "GET", q("ASK {}"), None, {"Connection": "close"})
        assert response.status == 200
        assert response.will_close
        assert response.getheader("Connection") == "close"
    finally:
        connection.close()


def test_many_connections_kept_alive_at_once_are_all_served(servers):
    kept, _ = servers
    connections = [http.client.HTTPConnection("127.0.0.1", kept.port, timeout=60)
                   for _ in range(12)]
    try:
        for round_ in range(3):
            for n, connection in enumerate(connections):
                response, data = answer(connection, "GET", q(f"SELECT ({n} AS ?n) {{}}"),
                                        None, {"Accept": "text/csv"})
                assert response.status == 200
                assert data.split()[-1] == str(n).encode(), round_
    finally:
        for connection in connections:
            connection.close()


def _raw_request(port: int, path: str) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=60)
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    return sock


def _read_answer(sock: socket.socket) -> bytes:
    """Everything until the head and its Content-Length body are in (or the close)."""
    data = b""
    while True:
        head, sep, body = data.partition(b"\r\n\r\n")
        if sep:
            lengths = [int(line.split(b":")[1]) for line in head.split(b"\r\n")
                       if line.lower().startswith(b"content-length:")]
            if lengths and len(body) >= lengths[0]:
                return data
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk


def test_a_worker_ended_by_the_time_limit_answers_its_waiting_connections(tmp_path: Path):
    with running_server(tmp_path / "store", workers=1, log_dir=tmp_path,
                        env={"EDUCLUSTER_QUERY_TIMEOUT": "2"}) as server:
        [worker] = server.worker_pids()
        # two connections kept alive by the only worker: one will send a request while
        # the worker is busy, the other stays idle
        waiting = socket.create_connection(("127.0.0.1", server.port), timeout=60)
        idle = socket.create_connection(("127.0.0.1", server.port), timeout=60)
        for sock in (waiting, idle):
            sock.sendall(f"GET {q('ASK {}')} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
            first = _read_answer(sock)
            assert first.startswith(b"HTTP/1.1 200 ")
            assert b"Connection: close" not in first
        outcome: dict = {}

        def runaway() -> None:
            sock = _raw_request(server.port, q(RUNAWAY))
            outcome["runaway"] = _read_answer(sock)
            sock.close()

        thread = threading.Thread(target=runaway)
        thread.start()
        time.sleep(0.5)  # let the worker start on the runaway (not a timed assertion)
        waiting.sendall(f"GET {q('ASK {}')} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
        bystander = _read_answer(waiting)
        thread.join(timeout=120)
        assert outcome["runaway"].startswith(b"HTTP/1.1 503 ")
        assert b"query stopped after 2 s" in outcome["runaway"]
        # the request that waited behind the runaway never ran: 503, to be sent again
        assert bystander.startswith(b"HTTP/1.1 503 Service Unavailable\r\n"), bystander
        assert b"Retry-After: 1" in bystander
        assert limits.BYSTANDER_MESSAGE.encode() in bystander
        # the idle connection was closed, not left hanging
        idle.settimeout(30)
        assert idle.recv(100) == b""
        waiting.close()
        idle.close()
        # a fresh worker serves
        deadline = time.monotonic() + 60
        while process_alive(worker) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not process_alive(worker)
        sock = _raw_request(server.port, q("ASK {}"))
        assert _read_answer(sock).startswith(b"HTTP/1.1 200 ")
        sock.close()


def test_pipelined_requests_are_all_answered_in_order(servers):
    kept, _ = servers
    sock = socket.create_connection(("127.0.0.1", kept.port), timeout=60)
    try:
        requests = b"".join(
            f"GET {q(f'SELECT ({n} AS ?n) {{}}')} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Accept: text/csv\r\n\r\n".encode() for n in range(5))
        sock.sendall(requests)
        data = b""
        while data.count(b"HTTP/1.1 200 OK") < 5 or not data.endswith(b"\r\n4\r\n"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
        bodies = [part.rsplit(b"\r\n\r\n", 1)[1] for part in data.split(b"HTTP/1.1 200 OK")[1:]]
        assert [b.split()[-1] for b in bodies] == [str(n).encode() for n in range(5)]
    finally:
        sock.close()
