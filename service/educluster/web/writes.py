"""What every write goes through, whichever protocol brought it: the write token, and
the optional validate-on-write check (a change that would leave a cluster violating a
principle is refused with 422 and the report, and nothing of it is stored)."""

from __future__ import annotations

import hmac
from collections import Counter
from collections.abc import Callable, Iterable
from typing import TypeVar

import pyoxigraph as ox
from flask import Response, request
from rdflib import BNode

from educluster.errors import InputError
from educluster.store import OxigraphStore, Store
from educluster.vocab import DERIVED_GRAPH, ONTOLOGY_GRAPH, SHAPES_GRAPH
from educluster.web import dataset, mark_write, setting
from educluster.web.errors import ServiceError

T = TypeVar("T")

#: graphs that are not cluster data: validation leaves them out
_NOT_DATA = {ONTOLOGY_GRAPH, SHAPES_GRAPH, DERIVED_GRAPH}
TOKEN_PARAMETERS = ("token", "access_token", "write_token", "auth", "authorization")


def require_write_token() -> None:
    """Let the request write only with ``Authorization: Bearer <the configured token>``."""
    mark_write()
    for name in TOKEN_PARAMETERS:
        if name in request.args:
            raise ServiceError(400, f"a token in the URL ({name}=) is refused: URLs end up in "
                                    "logs and histories; send 'Authorization: Bearer TOKEN'")
    token = setting("write_token")
    if not token:
        raise ServiceError(403, "this service is read-only: no write token is configured "
                                "(the operator sets EDUCLUSTER_WRITE_TOKEN)")
    challenge = {"WWW-Authenticate": 'Bearer realm="educluster"'}
    header = request.headers.get("Authorization", "")
    if not header:
        raise ServiceError(401, "writing needs the write token: send 'Authorization: Bearer "
                                "TOKEN'", headers=challenge)
    scheme, _, given = header.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        given.strip().encode("utf-8"), str(token).encode("utf-8")
    ):
        raise ServiceError(401, "the write token is not valid",
                           headers={"WWW-Authenticate": 'Bearer realm="educluster", '
                                                        'error="invalid_token"'})


def perform_write(
    change: Callable[[Store], T], *, changed: Callable[[], Iterable[ox.Quad]] | None = None
) -> T:
    """Run ``change`` as one write of the dataset; with ``validate_on_write`` on, first
    try it on a copy and refuse it (422 with the report) if it adds a Violation.

    ``changed``, when the caller knows them, gives the asserted quads the change added or
    removed (called after the change): derived knowledge is then brought up to date for
    what they can affect only, instead of computed again for the whole store
    (``dataset.Derive``)."""
    derive = changed if changed is not None else True
    if not setting("validate_on_write"):
        return dataset().write(change, derive=derive)

    def checked(store: Store) -> T:
        _check_on_copy(store, change)
        return change(store)

    return dataset().write(checked, derive=derive)


def data_quads(store: Store) -> list[ox.Quad]:
    """The asserted cluster data: every quad except the ontology, shapes and derived graphs."""
    return [
        q for q in store.quads("*")
        if not (isinstance(q.graph_name, ox.NamedNode) and q.graph_name.value in _NOT_DATA)
    ]


def _check_on_copy(store: Store, change: Callable[[Store], object]) -> None:
    copy = OxigraphStore()
    copy.add_quads(q for q in store.quads("*")
                   if not (isinstance(q.graph_name, ox.NamedNode)
                           and q.graph_name.value == DERIVED_GRAPH))
    change(copy)
    report_after = _validate(data_quads(copy))
    if report_after is None or report_after.conforms:
        return
    report_before = _validate(data_quads(store))
    before = Counter(_key(r) for r in report_before.results) if report_before else Counter()
    after = Counter(_key(r) for r in report_after.results if r.severity == "Violation")
    if not any(n > before[key] for key, n in after.items()):
        return  # the violations were there before this write: it is not to blame
    raise ServiceError(422, "the write would leave a cluster violating a principle",
                       body=report_response(report_after, status=422))


def _validate(quads: list[ox.Quad]):
    """The validation report of the data, or None when it holds no cluster."""
    from educluster.validation import validate

    if not quads:
        return None
    try:
        return validate(quads)
    except InputError:  # no cluster in the data: no principle to check
        return None


def _key(result) -> tuple:
    """What identifies a result across two validations: blank nodes get new labels in
    each run, so they count as "some blank node" (results are compared as multisets)."""
    fields = []
    for name in ("severity", "principle", "focus_node", "result_path", "value",
                 "source_shape"):
        term = getattr(result, name, None)
        fields.append("_:" if isinstance(term, BNode) else str(term))
    return tuple(fields)


def report_response(report, *, status: int = 200) -> Response:
    """A validation report, negotiated: JSON (default), Turtle, text or HTML."""
    from educluster.web.validate import render_report

    return render_report(report, status=status)
