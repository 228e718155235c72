"""The access log without secrets.

The write token belongs in the ``Authorization`` header, and a request carrying it in the
URL is refused (``educluster.web.writes``), but gunicorn's access log writes the request
line before anyone looks at it: a client that put the token in a query string would
leave it in the log.  ``redacting_logger(token)`` is gunicorn's logger with every field of
an access-log line cleaned: the values of the token parameters, and the configured token
wherever it appears (plain or URL-encoded), become ``[redacted]``.
"""

from __future__ import annotations

import re
from urllib.parse import quote, quote_plus

from gunicorn.glogging import Logger

REDACTED = "[redacted]"
#: query parameters that carry a token (kept in step with educluster.web.writes)
TOKEN_PARAMETERS = ("token", "access_token", "write_token", "auth", "authorization")
_PARAMETER = re.compile(
    r"(?i)((?:^|[?&;])(?:" + "|".join(TOKEN_PARAMETERS) + r")=)[^&;\s\"]*"
)


def redact(text: str, token: str | None = None) -> str:
    """``text`` without token parameters' values and without ``token``.

    >>> redact("POST /sparql?access_token=abc&x=1 HTTP/1.1")
    'POST /sparql?access_token=[redacted]&x=1 HTTP/1.1'
    >>> redact("GET /x?q=s3cret HTTP/1.1", "s3cret")
    'GET /x?q=[redacted] HTTP/1.1'
    """
    text = _PARAMETER.sub(lambda m: m.group(1) + REDACTED, text)
    if token:
        for form in {token, quote(token, safe=""), quote_plus(token)}:
            text = text.replace(form, REDACTED)
    return text


def redacting_logger(token: str | None) -> type[Logger]:
    """gunicorn's logger class, its access-log lines redacted for ``token``."""

    class RedactingLogger(Logger):
        def atoms(self, resp, req, environ, request_time):
            atoms = super().atoms(resp, req, environ, request_time)
            return {key: redact(value, token) if isinstance(value, str) else value
                    for key, value in atoms.items()}

    return RedactingLogger
