"""The SPARQL endpoint's most common request, answered without Flask's machinery.

A plain query by GET (``/sparql?query=...``, perhaps with ``format=``) is what SPARQL
clients send most, and most such queries are small: on a lookup the engine takes about
0.06 ms, while Flask's request context, URL routing, request hooks and werkzeug's
``Response`` took about as long again as everything else the service does.  This
middleware, wrapped around the Flask app's ``wsgi_app``, answers such a request with the
same parts the view uses (``educluster.web.sparql``: the URL's parameters, the protocol
parser, the safety checks, ``execute`` with the time limit, negotiation and
serialization) and sends the same headers as the view and the app's response filters
(Content-Type, ``Vary``, CORS, gzip, ``X-Educluster-Truncated``).

Everything else goes to the Flask app untouched: other methods and paths, a body, the
protocol's dataset parameters, a query with FROM, a request the protocol parser or the
safety checks refuse (the app answers those with its own error).  An error raised while
the query runs is handed to the app as it is, to be raised again in the view and answered
like any other error, so that a failed query is not run twice.
``tests/test_fast_path.py`` sends the same requests both ways and compares the answers.
"""

from __future__ import annotations

import functools
import traceback

from flask import Flask
from werkzeug.http import parse_accept_header

from educluster.sparql import protocol
from educluster.web import CORS_READ_HEADERS, GZIP_MIN_BYTES, gzip_body
from educluster.web import sparql as view

PATHS = frozenset({"/sparql", "/sparql/"})
#: the URL parameters of the requests taken here
PARAMETERS = frozenset({"query", "format"})
#: Accept-Encoding headers longer than this are parsed afresh, not remembered
_ACCEPT_ENCODING_MAX = 1024


@functools.lru_cache(maxsize=64)
def _remembered_gzip(accept_encoding: str) -> bool:
    return parse_accept_header(accept_encoding)["gzip"] > 0


def accepts_gzip(accept_encoding: str | None) -> bool:
    """Whether the client takes gzip, as ``request.accept_encodings["gzip"] > 0``."""
    if not accept_encoding:
        return False
    if len(accept_encoding) > _ACCEPT_ENCODING_MAX:
        return parse_accept_header(accept_encoding)["gzip"] > 0
    return _remembered_gzip(accept_encoding)


class SparqlFastPath:
    """WSGI middleware: plain GET queries at ``/sparql`` here, everything else to
    ``wsgi_app`` (the Flask app's own)."""

    def __init__(self, flask_app: Flask, wsgi_app) -> None:
        self.flask_app = flask_app
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict, start_response):
        if (environ.get("REQUEST_METHOD") != "GET" or environ.get("PATH_INFO") not in PATHS
                or environ.get("CONTENT_LENGTH") or environ.get("HTTP_TRANSFER_ENCODING")):
            return self.wsgi_app(environ, start_response)
        answer = self._answer(environ)
        if answer is None:
            return self.wsgi_app(environ, start_response)
        headers, body = answer
        start_response("200 OK", headers)
        return [body]

    def _answer(self, environ: dict) -> tuple[list[tuple[str, str]], bytes] | None:
        """The headers and body of the answer, or None for the app to answer."""
        params = view.parameters_of(environ)
        if not params.keys() <= PARAMETERS:
            return None
        try:
            operation = protocol.parse_request("GET", None, params, b"")
            if not isinstance(operation, protocol.QueryRequest):
                return None
            base = view.base_url_of(environ)
            config = self.flask_app.config["EDUCLUSTER"]
            if view.checked_dataset(operation, base, config):
                return None  # FROM or FROM NAMED: the app's road
        except Exception:
            return None  # the app refuses it in its own words
        try:
            store = self.flask_app.extensions["educluster"].reader()
            fmt, answer = view.execute(store, operation, base, {}, environ, config)
        except Exception as exc:
            # the frames' variables go now, in this thread: a query's result must not be
            # dropped by another thread's garbage collection (pyoxigraph refuses that)
            traceback.clear_frames(exc.__traceback__)
            environ[view.HANDED_OVER] = exc
            return None
        body = answer.body
        headers = [("Content-Type", fmt.content_type)]
        vary = "Accept"
        if len(body) >= GZIP_MIN_BYTES and accepts_gzip(environ.get("HTTP_ACCEPT_ENCODING")):
            body = gzip_body(body)
            headers.append(("Content-Encoding", "gzip"))
            vary = "Accept, Accept-Encoding"
        headers.append(("Content-Length", str(len(body))))
        headers.append(("Vary", vary))
        if answer.truncated:
            headers.append(("X-Educluster-Truncated", "true"))
        headers.extend(CORS_READ_HEADERS)
        return headers, body
