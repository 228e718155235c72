"""The Flask application: ``create_app(dataset, settings=...)``.

Each area of the service is a Blueprint in its own module (the protocols, the linked
data, the analysts' pages); the dataset is on ``app.extensions["educluster"]`` and the
settings (``educluster.settings.SETTINGS`` names) on ``app.config["EDUCLUSTER"]``.

Every response passes through two filters: CORS headers for reads (never for writes)
and gzip for large bodies when the client accepts it.
"""

from __future__ import annotations

import gzip
import io
from typing import Any

from flask import Flask, Response, current_app, g, request

from educluster.dataset import Dataset, MemoryDataset
from educluster.settings import SETTINGS

#: bodies smaller than this are sent as they are
GZIP_MIN_BYTES = 1024
READ_METHODS = {"GET", "HEAD", "OPTIONS"}


def default_settings() -> dict[str, Any]:
    """The settings table's defaults (no environment, no command line)."""
    return {s.name: s.default for s in SETTINGS}


def create_app(dataset: Dataset | None = None, *, settings: dict | None = None) -> Flask:
    """Build the service.  Without ``dataset``: an in-memory store with the ontology, the
    shapes and the example clusters (``educluster.bootstrap.load_initial_content``).
    ``settings`` overrides the table's defaults (see ``educluster.settings``)."""
    config = default_settings()
    config.update(settings or {})
    if dataset is None:
        from educluster.bootstrap import load_initial_content

        dataset = MemoryDataset()
        load_initial_content(dataset.reader())

    app = Flask("educluster")
    app.config["EDUCLUSTER"] = config
    app.config["MAX_CONTENT_LENGTH"] = int(config["max_body_bytes"])
    app.config["MAX_FORM_MEMORY_SIZE"] = int(config["max_body_bytes"])
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.extensions["educluster"] = dataset

    from educluster.web import (
        docs,
        dumps,
        errors,
        graph_store,
        health,
        named_queries,
        pages,
        resources,
        sparql,
        validate,
    )

    errors.init_app(app)
    areas = (
        sparql, graph_store, validate, health,  # the protocols
        resources, docs, dumps, named_queries,  # linked data
        pages,  # the analysts' pages
    )
    for area in areas:
        app.register_blueprint(area.bp)

    app.before_request(_bounded_chunked_body)
    app.after_request(_cors)
    app.after_request(_gzip)

    from educluster.web.fast_path import SparqlFastPath

    app.wsgi_app = SparqlFastPath(app, app.wsgi_app)  # type: ignore[method-assign]
    return app


def dataset() -> Dataset:
    """The dataset of the running app."""
    return current_app.extensions["educluster"]


def setting(name: str) -> Any:
    """One setting of the running app."""
    return current_app.config["EDUCLUSTER"][name]


def mark_write(response: Response | None = None) -> Response | None:
    """Flag the request as a write, so that its answer (success or error) gets no CORS
    headers."""
    g.educluster_write = True
    return response


def _bounded_chunked_body() -> None:
    """Read a body sent without Content-Length (chunked) here, up to the size limit: 413
    past it.  Left to werkzeug, such a body is cut at the limit without a word, and the
    view would take the first ``max_body_bytes`` of it for the whole document."""
    environ = request.environ
    if environ.get("CONTENT_LENGTH") or request.method in READ_METHODS:
        return
    if "chunked" not in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
        return
    limit = int(current_app.config["MAX_CONTENT_LENGTH"])
    stream = environ["wsgi.input"]
    data = bytearray()
    while len(data) <= limit:
        chunk = stream.read(min(65536, limit + 1 - len(data)))
        if not chunk:
            break
        data += chunk
    if len(data) > limit:
        from werkzeug.exceptions import RequestEntityTooLarge

        raise RequestEntityTooLarge()
    environ["wsgi.input"] = io.BytesIO(bytes(data))
    environ["CONTENT_LENGTH"] = str(len(data))


def _cors(response: Response) -> Response:
    is_write = g.get("educluster_write", False)
    is_read = request.method in READ_METHODS or request.endpoint in _QUERY_ENDPOINTS
    if is_write or not is_read:
        return response
    for name, value in CORS_READ_HEADERS:
        response.headers[name] = value
    if request.method == "OPTIONS":
        response.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
        response.headers["Access-Control-Allow-Headers"] = "Accept, Content-Type"
        response.headers["Access-Control-Max-Age"] = "86400"
    return response


#: the CORS headers of every read
CORS_READ_HEADERS = (
    ("Access-Control-Allow-Origin", "*"),
    ("Access-Control-Expose-Headers", "Content-Type, X-Educluster-Truncated"),
)

# POST endpoints that answer queries (reads) and so get CORS headers too
_QUERY_ENDPOINTS = {"sparql.endpoint", "sparql.endpoint_slash", "validate.validate"}


def _gzip(response: Response) -> Response:
    if (
        response.direct_passthrough
        or response.is_streamed
        or response.status_code < 200
        or response.status_code in (204, 304)
        or "Content-Encoding" in response.headers
        or request.method == "HEAD"
    ):
        return response
    if request.accept_encodings["gzip"] <= 0:
        return response
    data = response.get_data()
    if len(data) < GZIP_MIN_BYTES:
        return response
    response.set_data(gzip_body(data))
    response.headers["Content-Encoding"] = "gzip"
    etag, weak = response.get_etag()
    if etag and not weak:  # the compressed body is another representation
        response.set_etag(etag, weak=True)
    response.vary.add("Accept-Encoding")
    return response


def gzip_body(data: bytes) -> bytes:
    """A body compressed as the service sends it (no time stamp: the same answer gives
    the same bytes)."""
    return gzip.compress(data, compresslevel=5, mtime=0)
