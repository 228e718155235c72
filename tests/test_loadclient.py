"""The benchmark's HTTP load client (``bench/loadclient.py``) reads answers the way HTTP/1.1
frames them: by Content-Length, in chunks, up to the close of an HTTP/1.0 connection, and
reconnects when the server closes.  A wrong reading would count half-read answers as
done, or fail requests the server answered."""

from __future__ import annotations

import socket
import sys
import threading

import pytest

from conftest import ROOT

sys.path.insert(0, str(ROOT / "bench"))
from loadclient import Connection, HTTPError, Request, run_load

#: the canned answers, by request path, and whether the server closes after each
ANSWERS = {
    "/length": (b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n\r\nhello",
                False),
    "/chunked": (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                 b"4;ext=1\r\nwiki\r\n6\r\npedia \r\n0\r\nX-Trailer: 1\r\n\r\n", False),
    "/close": (b"HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\nConnection: close\r\n\r\nno!",
               True),
    "/old": (b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end", True),
    "/empty": (b"HTTP/1.1 204 No Content\r\n\r\n", False),
    "/cut": (b"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\nshort", True),
    "/garbage": (b"SSH-2.0-OpenSSH\r\n\r\n", True),
}


class CannedServer:
    """A loopback server that answers each request with ``ANSWERS[path]``, in pieces of
    a few bytes (so that the client must put answers together), and counts the
    connections it accepted."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.connections = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        data = b""
        with client:
            while True:
                while b"\r\n\r\n" not in data:
                    more = client.recv(4096)
                    if not more:
                        return
                    data += more
                head, _, data = data.partition(b"\r\n\r\n")
                path = head.split(b" ")[1].decode()
                answer, close = ANSWERS[path]
                for i in range(0, len(answer), 7):
                    client.sendall(answer[i:i + 7])
                if close:
                    return

    def close(self) -> None:
        self.listener.close()


@pytest.fixture
def server():
    server = CannedServer()
    yield server
    server.close()


def exchange(connection: Connection, path: str) -> tuple[int, bytes]:
    return connection.exchange(connection.request_bytes(Request(path, path)))


@pytest.fixture
def connection(server):
    connection = Connection("127.0.0.1", server.port, timeout=5)
    yield connection
    connection.close()


def test_answers_are_read_as_http_frames_them(server, connection):
    assert exchange(connection, "/length") == (200, b"hello")
    assert exchange(connection, "/chunked") == (200, b"wikipedia ")
    assert exchange(connection, "/empty") == (204, b"")
    assert exchange(connection, "/length") == (200, b"hello")
    assert server.connections == 1  # kept alive through all four
    assert exchange(connection, "/close") == (404, b"no!")
    assert exchange(connection, "/old") == (200, b"until the end")
    assert exchange(connection, "/length") == (200, b"hello")
    assert server.connections == 3  # a new connection after each close


def test_a_cut_or_foreign_answer_is_an_error_not_a_success(connection):
    with pytest.raises(HTTPError, match="closed the connection"):
        exchange(connection, "/cut")
    connection.close()
    with pytest.raises(HTTPError, match="not an HTTP"):
        exchange(connection, "/garbage")


def test_request_bytes_carry_the_headers_and_the_body():
    connection = Connection("127.0.0.1", 8000, timeout=5)
    data = connection.request_bytes(Request("q", "/sparql", (("Accept", "text/csv"),),
                                            method="POST", body=b"query=ASK%7B%7D"))
    assert data == (b"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1:8000\r\nAccept: text/csv\r\n"
                    b"Content-Length: 15\r\n\r\nquery=ASK%7B%7D")


def test_the_load_counts_answers_and_failures_by_name(server):
    requests = [Request("good", "/length"), Request("chunked", "/chunked"),
                Request("missing", "/close")]
    result = run_load("127.0.0.1", server.port, requests, clients=2, duration=1.5, timeout=5)
    assert result.completed > 10
    assert set(result.errors) == {"missing: HTTP 404"}
    # every third request fails, so about half as many failures as successes
    assert 0.3 < result.errors["missing: HTTP 404"] / result.completed < 0.7
