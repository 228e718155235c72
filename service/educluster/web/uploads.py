"""Reading uploaded RDF (and analyst forms) from a request body, safely and completely.

Every upload is checked by ``educluster.sparql.safety`` (no XML external or nested
entities, no remote JSON-LD contexts) and parsed in full before anything is stored, so a
bad document changes nothing and the error names its line.
"""

from __future__ import annotations

from pathlib import PurePath

import pyoxigraph as ox

from educluster.errors import InputError
from educluster.sparql import safety
from educluster.sparql.protocol import media_type_of
from educluster.store.base import _EXTENSIONS, MEDIA_TYPES, parse_rdf
from educluster.web.errors import ServiceError

YAML_TYPES = {"application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml"}
CSV_TYPES = {"text/csv"}


def rdf_format(content_type: str | None) -> ox.RdfFormat:
    """The RDF format of a ``Content-Type``; 415 for one the service cannot read."""
    media, _ = media_type_of(content_type)
    if not media:
        raise ServiceError(415, "the upload needs a Content-Type, e.g. text/turtle")
    try:
        return MEDIA_TYPES[media]
    except KeyError:
        known = ", ".join(sorted(MEDIA_TYPES))
        raise ServiceError(415, f"cannot read {media!r}; send one of {known}") from None


def check_charset(content_type: str | None) -> None:
    _, params = media_type_of(content_type)
    charset = params.get("charset", "utf-8").lower()
    if charset not in ("utf-8", "utf8", "us-ascii", "ascii"):
        raise ServiceError(415, f"uploads must be UTF-8, not {charset}")


def parse_upload(
    data: bytes, fmt: ox.RdfFormat, *, graph: str | None = None, base_iri: str | None = None,
    source: str = "request body",
) -> list[ox.Quad]:
    """Check and parse an RDF upload completely (``InputError`` naming the line)."""
    if fmt == ox.RdfFormat.RDF_XML:
        safety.check_rdfxml(data, source=source)
    elif fmt == ox.RdfFormat.JSON_LD:
        safety.check_jsonld(data, source=source)
    return parse_rdf(data, fmt, source=source, graph=graph, base_iri=base_iri)


def format_for_filename(filename: str) -> ox.RdfFormat | None:
    return _EXTENSIONS.get(PurePath(filename).suffix.lower())


def parse_definitions(parts: list[tuple[bytes, str | None, str | None]]) -> list[ox.Quad]:
    """A cluster definition from one or more documents, each (data, media type, file
    name): RDF by media type (or file extension), the analyst YAML form, or CSV sheets
    (read together as one workbook, each named by its file name, e.g. ``members.csv``;
    a CSV body without a name is the ``clusters`` sheet)."""
    from educluster.importers import csv_to_quads, yaml_to_quads

    quads: list[ox.Quad] = []
    sheets: list[tuple[str, str]] = []
    for data, content_type, filename in parts:
        media, _ = media_type_of(content_type)
        suffix = PurePath(filename).suffix.lower() if filename else ""
        source = filename or "request body"
        if media in YAML_TYPES or suffix in (".yaml", ".yml"):
            quads += yaml_to_quads(_text(data, source), source)
            continue
        if media in CSV_TYPES or suffix == ".csv":
            sheets.append((filename or "clusters.csv", _text(data, source)))
            continue
        fmt = None
        if media in MEDIA_TYPES:
            fmt = MEDIA_TYPES[media]
        elif filename:
            fmt = format_for_filename(filename)
        if fmt is None:
            if not media:
                raise ServiceError(415, "the definition needs a Content-Type (text/turtle, "
                                        "application/ld+json, application/yaml, text/csv, ...)")
            known = ", ".join(sorted({*MEDIA_TYPES, *YAML_TYPES, *CSV_TYPES}))
            raise ServiceError(415, f"cannot read {media!r}; send one of {known}")
        quads += parse_upload(data, fmt, source=source)
    if sheets:
        quads += csv_to_quads(sheets)
    return quads


def _text(data: bytes, source: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"not valid UTF-8 (byte {exc.start})", source=source) from None
