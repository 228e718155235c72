"""Errors a user can act on, distinct from bugs.

Each carries a one-line message naming what is wrong and where (file, line, key).
"""

from __future__ import annotations


class EduclusterError(Exception):
    """Base of every error that is reported to the user as one clear line."""


class InputError(EduclusterError):
    """Bad input: an unparseable file, an unknown format, a missing file, a bad form row.

    ``source`` names the file (or "request body"), ``line`` the line when known.
    """

    def __init__(self, message: str, *, source: str | None = None, line: int | None = None):
        self.source = source
        self.line = line
        self.detail = message
        where = source or ""
        if line is not None:
            where = f"{where}, line {line}" if where else f"line {line}"
        super().__init__(f"{where}: {message}" if where else message)


class QuerySyntaxError(EduclusterError):
    """A malformed SPARQL query or update; the message is the parser's."""


class ForbiddenOperation(EduclusterError):
    """A query asks for something the service refuses by default (SERVICE, LOAD, remote FROM)."""


class QueryTimeout(EduclusterError):
    """A query ran past its time limit and was stopped."""


class StoreError(EduclusterError):
    """The store could not be opened, read or written (permissions, disk full, remote down)."""
