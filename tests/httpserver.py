"""A real HTTP server on loopback for the protocol tests: the Flask app under werkzeug's
threaded server in a background thread, and a loopback listener that records every
connection made to it (to prove that the service never reaches out)."""

from __future__ import annotations

import http.client
import socket
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit

from werkzeug.serving import make_server


@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def header(self, name: str) -> str | None:
        return self.headers.get(name)

    @property
    def content_type(self) -> str:
        return (self.headers.get("Content-Type") or "").split(";")[0].strip()

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")


class LiveServer:
    """The app served at ``self.url`` (``http://127.0.0.1:PORT``)."""

    def __init__(self, app):
        self.app = app
        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self.port = self._server.server_port
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={
            "poll_interval": 0.05}, daemon=True)

    def __enter__(self) -> LiveServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._thread.join(5)

    def request(self, method: str, path: str, body: bytes | str | None = None,
                headers: dict[str, str] | None = None) -> Answer:
        return request(self.url, method, path, body, headers)


def request(base_url: str, method: str, path: str, body: bytes | str | None = None,
            headers: dict[str, str] | None = None) -> Answer:
    """One plain HTTP request (``http.client``), the body not decoded in any way."""
    parts = urlsplit(base_url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    try:
        if isinstance(body, str):
            body = body.encode("utf-8")
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        data = resp.read()
        return Answer(resp.status, resp.headers, data)
    finally:
        conn.close()


class Listener:
    """A TCP listener on loopback that counts the connections it receives."""

    def __init__(self):
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self.port = self._sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.connections = 0
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self._sock.close()


@contextmanager
def listener():
    lst = Listener()
    try:
        yield lst
    finally:
        lst.close()
