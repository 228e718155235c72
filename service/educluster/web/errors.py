"""Error responses: one clear message as JSON or plain text, never a traceback.

Every error the service answers goes through here: the protocol's own (400 malformed
query, 401/403 token, 404, 406, 413, 415, 422, 503, 507 when the store's disk is full) and
anything unexpected (500, with the details in the server log only).
"""

from __future__ import annotations

import errno
import logging

from flask import Flask, Response, json, request
from werkzeug.exceptions import HTTPException

from educluster.errors import (
    EduclusterError,
    ForbiddenOperation,
    InputError,
    QuerySyntaxError,
    QueryTimeout,
    StoreError,
)

log = logging.getLogger("educluster.web")

TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    406: "Not Acceptable",
    413: "Payload Too Large",
    415: "Unsupported Media Type",
    422: "Unprocessable Content",
    500: "Internal Server Error",
    503: "Service Unavailable",
    507: "Insufficient Storage",
}


class ServiceError(Exception):
    """An error with its HTTP status, raised by the blueprints."""

    def __init__(self, status: int, message: str, *, headers: dict[str, str] | None = None,
                 body: Response | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}
        self.body = body  # a prepared response (e.g. a validation report) instead of the message


def status_for(exc: EduclusterError) -> int:
    if isinstance(exc, QueryTimeout):
        return 503
    if isinstance(exc, StoreError):
        return 503
    if isinstance(exc, (QuerySyntaxError, InputError, ForbiddenOperation)):
        return 400
    return 400


def error_response(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    """A response for an error, JSON when the client prefers it, else plain text."""
    title = TITLES.get(status, "Error")
    accept = request.accept_mimetypes
    wants_json = accept["application/json"] > accept["text/plain"]
    if wants_json:
        body = json.dumps({"status": status, "error": title, "message": message})
        resp = Response(body + "\n", status=status, mimetype="application/json")
    else:
        resp = Response(f"{status} {title}: {message}\n", status=status,
                        content_type="text/plain; charset=utf-8")
    for name, value in (headers or {}).items():
        resp.headers[name] = value
    return resp


def init_app(app: Flask) -> None:
    @app.errorhandler(ServiceError)
    def _service_error(exc: ServiceError):
        if exc.body is not None:
            return exc.body
        return error_response(exc.status, exc.message, exc.headers)

    @app.errorhandler(EduclusterError)
    def _educluster_error(exc: EduclusterError):
        return error_response(status_for(exc), str(exc))

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        status = exc.code or 500
        message = exc.description or TITLES.get(status, "error")
        if status == 413:
            limit = app.config.get("MAX_CONTENT_LENGTH")
            message = f"the request body is larger than the limit of {limit} bytes"
        headers = {}
        if status == 405 and exc.valid_methods:  # type: ignore[attr-defined]
            headers["Allow"] = ", ".join(exc.valid_methods)  # type: ignore[attr-defined]
        return error_response(status, message, headers)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        if _disk_full(exc):
            log.error("a write failed: the store's file system is full (%s %s)",
                      request.method, request.path)
            return error_response(507, "the store's file system is full: nothing of this "
                                       "write was stored; the operator must free space")
        log.exception("unexpected error while answering %s %s", request.method, request.path)
        return error_response(500, "the server met an unexpected error; it is in the server log")


def _disk_full(exc: BaseException | None) -> bool:
    """Whether an error (or one it came from) is "no space left on device"."""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, OSError) and (
            exc.errno == errno.ENOSPC or "No space left on device" in str(exc)
        ):
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False
