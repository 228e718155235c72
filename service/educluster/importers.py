"""Reading cluster definitions: RDF files, and the YAML and CSV forms for analysts.

``read_definition(paths)`` reads every file by its extension and returns one list of
quads (several files merge into one definition; blank nodes are kept apart per file).
``parse_definition(data, ...)`` does the same for bytes with a media type or an extension
(request bodies).  Every problem is an ``InputError`` naming the file and the line, row
or key, and what was expected.

The YAML and CSV forms (docs/analyst-forms.md) describe the same things with plain keys
and columns; both are turned into one document model (nested dicts) and then into RDF by
``_Builder``, so a definition gives the same triples whichever form it was written in.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

import pyoxigraph as ox

from educluster.errors import InputError
from educluster.store.base import MEDIA_TYPES, parse_rdf, rdf_format_for
from educluster.vocab import EC_IRI, ID_IRI, PREFIXES

YAML_EXTENSIONS = (".yaml", ".yml")
CSV_EXTENSIONS = (".csv",)
YAML_MEDIA_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml")
CSV_MEDIA_TYPES = ("text/csv",)

_XSD = "http://www.w3.org/2001/XMLSchema#"
_RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
_RDFS = "http://www.w3.org/2000/01/rdf-schema#"
_ORG = PREFIXES["org"]
_FOAF = PREFIXES["foaf"]
_DCTERMS = PREFIXES["dcterms"]


# ---------------------------------------------------------------------------- entry points

def read_definition(paths: Sequence[str | Path]) -> list[ox.Quad]:
    """Read files (RDF by extension, ``.yaml``/``.yml``, ``.csv``) into one definition.

    The CSV files among ``paths`` are read together as one workbook (one sheet per file).
    """
    if not paths:
        raise InputError("no file given")
    quads: list[ox.Quad] = []
    sheets: list[tuple[str, str]] = []
    for path in paths:
        name = str(path)
        suffix = Path(name).suffix.lower()
        if suffix not in YAML_EXTENSIONS + CSV_EXTENSIONS:
            rdf_format_for(name)  # an unknown extension fails before the file is read
        data = read_file(name)
        if suffix in CSV_EXTENSIONS:
            sheets.append((name, _decode(data, name)))
        else:
            base = Path(name).resolve().as_uri()  # relative IRIs resolve against the file
            quads.extend(_fresh_blank_nodes(
                parse_definition(data, extension=suffix, source=name, base_iri=base)))
    if sheets:
        quads.extend(csv_to_quads(sheets))
    return quads


def parse_definition(
    data: bytes | str,
    *,
    media_type: str | None = None,
    extension: str | None = None,
    source: str = "request body",
    base_iri: str | None = None,
) -> list[ox.Quad]:
    """Parse one document given as bytes, by media type (``text/turtle``, ``application/yaml``,
    ``text/csv``...) or file extension (``.ttl``, ``.yaml``...)."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    kind, fmt = _kind(media_type, extension, source)
    if not data.strip():
        raise InputError("the document is empty", source=source)
    if kind == "yaml":
        return yaml_to_quads(_decode(data, source), source)
    if kind == "csv":
        return csv_to_quads([(source, _decode(data, source))])
    return parse_rdf(data, fmt, source=source, base_iri=base_iri)


def _kind(media_type: str | None, extension: str | None, source: str):
    if media_type:
        mt = media_type.split(";")[0].strip().lower()
        if mt in YAML_MEDIA_TYPES:
            return "yaml", None
        if mt in CSV_MEDIA_TYPES:
            return "csv", None
        if mt in MEDIA_TYPES:
            return "rdf", MEDIA_TYPES[mt]
        known = ", ".join(sorted([*MEDIA_TYPES, *YAML_MEDIA_TYPES, *CSV_MEDIA_TYPES]))
        raise InputError(f"unsupported media type {mt!r}; expected one of {known}", source=source)
    ext = (extension or Path(source).suffix).lower()
    if not ext.startswith("."):
        ext = "." + ext
    if ext in YAML_EXTENSIONS:
        return "yaml", None
    if ext in CSV_EXTENSIONS:
        return "csv", None
    return "rdf", rdf_format_for(source if Path(source).suffix.lower() == ext else "x" + ext)


def read_file(name: str) -> bytes:
    """The bytes of a file, or an ``InputError`` naming it (missing, a directory, unreadable,
    empty)."""
    path = Path(name)
    if not path.exists():
        raise InputError("no such file", source=name)
    if path.is_dir():
        raise InputError("is a directory, not a file", source=name)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read the file: {exc.strerror or exc}", source=name) from None
    if not data.strip():
        raise InputError("the file is empty", source=name)
    return data


def _decode(data: bytes, source: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError("not UTF-8 text", source=source, line=line) from None


def _fresh_blank_nodes(quads: list[ox.Quad]) -> list[ox.Quad]:
    """Give the blank nodes of one document labels of their own, so that ``_:b1`` in two
    files stays two nodes when the files are merged."""
    mapping: dict[ox.BlankNode, ox.BlankNode] = {}

    def fresh(term):
        if isinstance(term, ox.BlankNode):
            if term not in mapping:
                mapping[term] = ox.BlankNode()
            return mapping[term]
        return term

    return [
        ox.Quad(fresh(q.subject), q.predicate, fresh(q.object), q.graph_name)
        if isinstance(q.subject, ox.BlankNode) or isinstance(q.object, ox.BlankNode) else q
        for q in quads
    ]


# ---------------------------------------------------------------------------- YAML

def yaml_to_quads(text: str, source: str = "input.yaml") -> list[ox.Quad]:
    """The YAML form (docs/analyst-forms.md) as quads in the default graph."""
    import yaml

    try:
        doc = yaml.load(text, Loader=_loader_class())  # a SafeLoader without aliases
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        raise InputError(f"not valid YAML: {problem}", source=source,
                         line=mark.line + 1 if mark is not None else None) from None
    except RecursionError:  # PyYAML parses nested collections recursively
        raise InputError("not valid YAML: collections nested too deeply",
                         source=source) from None
    if doc is None:
        raise InputError("the document is empty", source=source)
    if not isinstance(doc, dict):
        raise InputError("expected a mapping with the keys cluster (or clusters), regions, "
                         "roles, goals, people", source=source)
    return _Builder(source, "key").document(doc)


def _loader_class():
    """PyYAML's safe loader without aliases: ``*name`` references let a few lines expand
    into an enormous document (the "billion laughs"), and a cluster definition never needs
    them."""
    import yaml

    class NoAliasLoader(yaml.SafeLoader):
        def compose_node(self, parent, index):
            if self.check_event(yaml.AliasEvent):
                event = self.peek_event()
                raise yaml.composer.ComposerError(
                    None, None, "aliases (*name) are not allowed in a cluster definition",
                    event.start_mark)
            return super().compose_node(parent, index)

    return NoAliasLoader


# ---------------------------------------------------------------------------- CSV

#: The sheets of the CSV form, by file name (the name ends with the sheet's name:
#: ``participants.csv`` or ``tashkent-participants.csv``), and the key of the document
#: model each sheet fills.
CSV_SHEETS = {
    "clusters": "clusters", "cluster": "clusters",
    "regions": "regions",
    "roles": "roles",
    "goals": "goals",
    "objectives": "objectives",
    "participants": "members", "members": "members",
    "cooperations": "cooperations",
    "people": "people", "coordinators": "people",
    "projects": "projects",
}

#: Columns holding several values, separated by "|".
_MULTI = {"led_by", "responsibilities", "indicators", "partners", "common_goals",
          "objectives", "coordinators", "coordinator_of", "types", "area",
          "interaction_model", "direction", "field", "source", "part_of"}


def csv_to_quads(sheets: Iterable[tuple[str, str]] | str, source: str | None = None
                 ) -> list[ox.Quad]:
    """The CSV form: ``sheets`` is a list of (file name, text), read together as one
    workbook; or one text with its ``source`` name."""
    if isinstance(sheets, str):
        sheets = [(source or "input.csv", sheets)]
    doc: dict = {"clusters": [], "regions": [], "roles": [], "goals": [], "people": []}
    members: list[dict] = []
    cooperations: list[dict] = []
    objectives: list[dict] = []
    projects: list[dict] = []
    per_kind = {"members": members, "cooperations": cooperations, "objectives": objectives,
                "projects": projects}
    builder_sources: dict[int, str] = {}
    for name, text in sheets:
        kind = _sheet_kind(name)
        rows = _csv_rows(name, text)
        for row in rows:
            builder_sources[id(row)] = row.pop("__where__")
        target = per_kind.get(kind)
        if target is None:
            target = doc[kind]
        target.extend(rows)
    clusters = doc["clusters"]
    if not clusters and (members or cooperations or objectives or projects):
        raise InputError("the workbook has no clusters sheet: add clusters.csv with at least "
                         "the columns id, type, label, region",
                         source=", ".join(n for n, _ in sheets))
    # Rows of the other sheets name their cluster in a "cluster" column, which may be left
    # empty when the workbook defines one cluster.
    by_id = {str(c.get("id")): c for c in clusters}
    for key, rows in (("members", members), ("cooperations", cooperations),
                      ("objectives", objectives), ("projects", projects)):
        for row in rows:
            cluster_id = row.pop("cluster", None)
            if cluster_id is None:
                if len(clusters) != 1:
                    raise _row_error(builder_sources[id(row)], "cluster",
                                     "the id of the cluster it belongs to (the workbook "
                                     "defines several clusters)")
                cluster = clusters[0]
            else:
                cluster = by_id.get(cluster_id)
                if cluster is None:
                    raise _row_error(builder_sources[id(row)], "cluster",
                                     f"the id of a cluster of clusters.csv, not {cluster_id!r}")
            cluster.setdefault(key, []).append(row)
    builder = _Builder(", ".join(n for n, _ in sheets), "row")
    builder.where = builder_sources
    return builder.document(doc)


def _sheet_kind(name: str) -> str:
    stem = Path(name).stem.lower()
    for sheet in sorted(CSV_SHEETS, key=len, reverse=True):
        if stem == sheet or re.search(rf"(^|[-_. ]){sheet}$", stem):
            return CSV_SHEETS[sheet]
    known = ", ".join(sorted(set(CSV_SHEETS)))
    raise InputError(f"cannot tell which sheet this is: the file name must end with one of "
                     f"{known} (for example tashkent-participants.csv)", source=name)


def _csv_rows(name: str, text: str) -> list[dict]:
    # Spreadsheets write "," or, in some locales, ";" or tabs: the header line tells which.
    first_line = text.split("\n", 1)[0]
    delimiter = max([",", ";", "\t"], key=first_line.count)
    dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect, delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        raise InputError("the sheet is empty: expected a header row", source=name) from None
    except csv.Error as exc:
        raise InputError(f"not valid CSV: {exc}", source=name, line=1) from None
    header = [h.strip() for h in header]
    if "id" not in header:
        raise InputError("the header row has no 'id' column", source=name, line=1)
    for i, h in enumerate(header):
        if not h:
            raise InputError(f"column {i + 1} of the header row has no name", source=name, line=1)
    rows = []
    try:
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(row) > len(header):
                raise InputError(f"{len(row)} cells but the header has {len(header)} columns",
                                 source=name, line=line)
            record: dict = {"__where__": f"{name}, line {line}"}
            for column, cell in zip(header, row, strict=False):
                cell = cell.strip()
                if not cell:
                    continue
                target = record
                key = column
                if column.lower().startswith("membership."):
                    target = record.setdefault("membership", {})
                    key = column[len("membership."):]
                key = key.lower() if ":" not in key else key
                if key.startswith("label@"):
                    target.setdefault("labels", {})[key[len("label@"):]] = cell
                elif key in _MULTI or ":" in key:
                    values = [v.strip() for v in cell.split("|") if v.strip()]
                    target[key] = values if key in _MULTI or len(values) > 1 else values[0]
                else:
                    target[key] = cell
            rows.append(record)
    except csv.Error as exc:
        raise InputError(f"not valid CSV: {exc}", source=name, line=reader.line_num) from None
    return rows


def _row_error(where: str, column: str, expected: str) -> InputError:
    return InputError(f"column {column!r}: expected {expected}", source=where)


# ---------------------------------------------------------------------------- the model

class _Builder:
    """Turns the document model of the YAML and CSV forms into quads.

    Identifiers: a bare name (``chirchik-city``) is an instance under
    ``https://w3id.org/educluster/id/`` (or the document's ``base``); a vocabulary value
    (``type``, ``level``, ``area``...) is a bare name under ``ec:``; ``prefix:name`` uses a
    known prefix; a full IRI is itself.  Keys written as ``prefix:name`` (``dcterms:source``,
    ``ec:illustrative``, ``rdfs:label@uz``) add that property as is.
    """

    def __init__(self, source: str, unit: str):
        self.source = source
        self.unit = unit  # "key" (YAML) or "row" (CSV)
        self.where: dict[int, str] = {}
        self.base = ID_IRI
        self.prefixes = dict(PREFIXES)
        self.quads: list[ox.Quad] = []

    # -- errors ------------------------------------------------------------------------
    def error(self, path: str, record: dict | None, expected: str) -> InputError:
        if self.unit == "row" and record is not None and id(record) in self.where:
            column = path.rsplit(".", 1)[-1]
            return InputError(f"column {column!r}: expected {expected}",
                              source=self.where[id(record)])
        return InputError(f"key {path}: expected {expected}", source=self.source)

    # -- terms -------------------------------------------------------------------------
    def iri(self, value, path: str, record: dict | None = None, *, vocab: bool = False
            ) -> ox.NamedNode:
        if isinstance(value, dict) and "id" in value:
            value = value["id"]
        if not isinstance(value, str | int) or isinstance(value, bool) or not str(value).strip():
            raise self.error(path, record, "an identifier (a name such as chirchik-city, "
                                           "prefix:name, or a full IRI)")
        text = str(value).strip()
        try:
            if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", text) or text.startswith("urn:"):
                return ox.NamedNode(text)
            if ":" in text:
                prefix, local = text.split(":", 1)
                if prefix in self.prefixes:
                    return ox.NamedNode(self.prefixes[prefix] + local)
                raise self.error(path, record, f"a known prefix, not {prefix!r} (known: "
                                               f"{', '.join(sorted(self.prefixes))})")
            if re.search(r"\s", text):
                raise self.error(path, record, f"an identifier without spaces, not {text!r}")
            return ox.NamedNode((EC_IRI if vocab else self.base) + text)
        except ValueError:
            raise self.error(path, record, f"a valid IRI, not {text!r}") from None

    def literal(self, value, path: str, record: dict | None = None, *, lang: str | None = None
                ) -> ox.Literal:
        if isinstance(value, bool):
            return ox.Literal("true" if value else "false", datatype=ox.NamedNode(_XSD + "boolean"))
        if isinstance(value, int):
            return ox.Literal(str(value), datatype=ox.NamedNode(_XSD + "integer"))
        if isinstance(value, float):
            return ox.Literal(repr(value), datatype=ox.NamedNode(_XSD + "decimal"))
        if isinstance(value, datetime.date):
            return ox.Literal(value.isoformat(), datatype=ox.NamedNode(_XSD + "date"))
        if isinstance(value, str):
            if lang:
                return ox.Literal(value, language=lang)
            return ox.Literal(value)
        raise self.error(path, record, "a text value")

    def date(self, value, path: str, record: dict | None) -> ox.Literal:
        text = value.isoformat() if isinstance(value, datetime.date) else str(value).strip()
        try:
            datetime.date.fromisoformat(text)
        except ValueError:
            raise self.error(path, record, f"a date written YYYY-MM-DD, not {text!r}") from None
        return ox.Literal(text, datatype=ox.NamedNode(_XSD + "date"))

    def add(self, s, p: str, o) -> None:
        self.quads.append(ox.Quad(s, ox.NamedNode(p), o))

    # -- shapes of records ---------------------------------------------------------------
    def many(self, value, path: str, record: dict | None = None) -> list:
        if value is None:
            return []
        if isinstance(value, list):
            return value
        return [value]

    def records(self, value, path: str) -> list[dict]:
        items = self.many(value, path)
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                raise self.error(f"{path}[{i}]", None, "a mapping with at least an id")
        return items

    def labelled(self, record: dict, node: ox.NamedNode, path: str) -> None:
        """label, labels {lang: text}, description, comment, and prefix:name keys."""
        if "label" in record:
            self.add(node, _RDFS + "label", self.literal(record["label"], f"{path}.label", record,
                                                         lang=record.get("lang", "en")))
        labels = record.get("labels") or {}
        if not isinstance(labels, dict):
            raise self.error(f"{path}.labels", record, "a mapping of language to label")
        for lang, text in labels.items():
            for t in self.many(text, f"{path}.labels.{lang}"):
                self.add(node, _RDFS + "label", self.literal(t, f"{path}.labels.{lang}", record,
                                                             lang=str(lang)))
        if "description" in record:
            self.add(node, _DCTERMS + "description",
                     self.literal(record["description"], f"{path}.description", record, lang="en"))
        if "comment" in record:
            self.add(node, _RDFS + "comment",
                     self.literal(record["comment"], f"{path}.comment", record, lang="en"))
        if "source" in record:
            for s in self.many(record["source"], f"{path}.source"):
                self.add(node, _DCTERMS + "source", self.literal(s, f"{path}.source", record))
        if "illustrative" in record:
            self.add(node, EC_IRI + "illustrative",
                     self.literal(_boolean(record["illustrative"]), f"{path}.illustrative", record))
        for key, value in record.items():
            if isinstance(key, str) and ":" in key:
                self.extra(node, key, value, f"{path}.{key}", record)

    def extra(self, node, key: str, value, path: str, record: dict) -> None:
        """A ``prefix:name`` key (``@lang`` allowed): values in <...> or {id: ...} are IRIs."""
        name, _, lang = key.partition("@")
        predicate = self.iri(name, path, record)
        for v in self.many(value, path):
            if isinstance(v, dict) and "id" in v:
                obj = self.iri(v, path, record)
            elif isinstance(v, str) and v.startswith("<") and v.endswith(">"):
                obj = self.iri(v[1:-1], path, record)
            else:
                obj = self.literal(v, path, record, lang=lang or None)
            self.quads.append(ox.Quad(node, predicate, obj))

    def typed(self, record: dict, node, path: str, default: str | None) -> None:
        types = self.many(record.get("type", default), f"{path}.type", record)
        if not types:
            raise self.error(f"{path}.type", record, "a type")
        for t in types:
            self.add(node, _RDF_TYPE, self.iri(t, f"{path}.type", record, vocab=True))

    def ident(self, record: dict, path: str) -> ox.NamedNode:
        if "id" not in record:
            raise self.error(f"{path}.id", record, "an id naming this entry")
        return self.iri(record["id"], f"{path}.id", record)

    # -- the document ----------------------------------------------------------------------
    def document(self, doc: dict) -> list[ox.Quad]:
        if "base" in doc:
            self.base = str(doc["base"])
        prefixes = doc.get("prefixes") or {}
        if not isinstance(prefixes, dict):
            raise self.error("prefixes", None, "a mapping of prefix to namespace IRI")
        self.prefixes.update({str(k): str(v) for k, v in prefixes.items()})
        known = {"base", "prefixes", "cluster", "clusters", "regions", "roles", "goals", "people"}
        for key in doc:
            if key not in known:
                raise self.error(str(key), None, f"one of {', '.join(sorted(known))}")
        clusters = self.records(doc.get("clusters"), "clusters")
        if "cluster" in doc:
            if not isinstance(doc["cluster"], dict):
                raise self.error("cluster", None, "a mapping describing the cluster")
            clusters = [doc["cluster"], *clusters]
        if not clusters:
            raise InputError("no cluster: the definition needs a 'cluster' (or 'clusters') "
                             "entry with at least id, type, label and region",
                             source=self.source)
        for i, region in enumerate(self.records(doc.get("regions"), "regions")):
            self.region(region, f"regions[{i}]")
        for i, role in enumerate(self.records(doc.get("roles"), "roles")):
            path = f"roles[{i}]"
            node = self.ident(role, path)
            self.add(node, _RDF_TYPE, ox.NamedNode(_ORG + "Role"))
            self.labelled(role, node, path)
        for i, goal in enumerate(self.records(doc.get("goals"), "goals")):
            self.goal(goal, f"goals[{i}]", None)
        for i, person in enumerate(self.records(doc.get("people"), "people")):
            self.person(person, f"people[{i}]", None)
        for i, cluster in enumerate(clusters):
            self.cluster(cluster, "cluster" if "cluster" in doc and i == 0 else f"clusters[{i}]")
        return self.quads

    def region(self, record: dict, path: str) -> None:
        node = self.ident(record, path)
        self.add(node, _RDF_TYPE, ox.NamedNode(EC_IRI + "Region"))
        self.labelled(record, node, path)
        for parent in self.many(record.get("part_of"), f"{path}.part_of"):
            self.add(node, EC_IRI + "partOfRegion", self.iri(parent, f"{path}.part_of", record))

    def goal(self, record: dict, path: str, cluster) -> ox.NamedNode:
        node = self.ident(record, path)
        self.add(node, _RDF_TYPE, ox.NamedNode(EC_IRI + "Goal"))
        self.labelled(record, node, path)
        for c in self.many(record.get("common_goal_of"), f"{path}.common_goal_of"):
            self.add(self.iri(c, f"{path}.common_goal_of", record), EC_IRI + "commonGoal", node)
        return node

    def person(self, record: dict, path: str, cluster) -> ox.NamedNode:
        node = self.ident(record, path)
        self.add(node, _RDF_TYPE, ox.NamedNode(_FOAF + "Person"))
        if "name" in record:
            self.add(node, _FOAF + "name", self.literal(record["name"], f"{path}.name", record))
        self.labelled(record, node, path)
        for a in self.many(record.get("affiliation"), f"{path}.affiliation"):
            self.add(node, EC_IRI + "affiliation", self.iri(a, f"{path}.affiliation", record))
        for c in self.many(record.get("coordinator_of"), f"{path}.coordinator_of"):
            self.add(self.iri(c, f"{path}.coordinator_of", record), EC_IRI + "coordinator", node)
        return node

    def cluster(self, record: dict, path: str) -> None:
        node = self.ident(record, path)
        self.typed(record, node, path, "EducationalCluster")
        self.labelled(record, node, path)
        if "region" in record:
            self.add(node, EC_IRI + "region", self.iri(record["region"], f"{path}.region", record))
        for leader in self.many(record.get("led_by"), f"{path}.led_by"):
            self.add(node, EC_IRI + "ledBy", self.iri(leader, f"{path}.led_by", record))
        for key, prop in (("orientation", "orientation"), ("area", "area"),
                          ("interaction_model", "interactionModel")):
            for o in self.many(record.get(key), f"{path}.{key}"):
                self.add(node, EC_IRI + prop, self.iri(o, f"{path}.{key}", record, vocab=True))
        for i, goal in enumerate(self.many(record.get("common_goals"), f"{path}.common_goals")):
            gpath = f"{path}.common_goals[{i}]"
            if isinstance(goal, dict):
                gnode = self.goal(goal, gpath, node)
            else:
                gnode = self.iri(goal, gpath, record)
            self.add(node, EC_IRI + "commonGoal", gnode)
        for i, objective in enumerate(self.records(record.get("objectives"), f"{path}.objectives")):
            self.objective(objective, f"{path}.objectives[{i}]", node)
        for i, person in enumerate(self.many(record.get("coordinators"), f"{path}.coordinators")):
            ppath = f"{path}.coordinators[{i}]"
            pnode = self.person(person, ppath, node) if isinstance(person, dict) else self.iri(
                person, ppath, record)
            self.add(node, EC_IRI + "coordinator", pnode)
        for i, member in enumerate(self.records(record.get("members"), f"{path}.members")):
            self.member(member, f"{path}.members[{i}]", node)
        for i, coop in enumerate(self.records(record.get("cooperations"), f"{path}.cooperations")):
            self.cooperation(coop, f"{path}.cooperations[{i}]", node)
        for i, project in enumerate(self.records(record.get("projects"), f"{path}.projects")):
            self.project(project, f"{path}.projects[{i}]", node)

    def objective(self, record: dict, path: str, cluster) -> None:
        node = self.ident(record, path)
        self.add(cluster, EC_IRI + "objective", node)
        self.add(node, _RDF_TYPE, ox.NamedNode(EC_IRI + "Objective"))
        self.labelled(record, node, path)
        for g in self.many(record.get("serves"), f"{path}.serves"):
            self.add(node, EC_IRI + "servesGoal", self.iri(g, f"{path}.serves", record))
        for key in ("indicator", "indicators"):
            for text in self.many(record.get(key), f"{path}.{key}"):
                self.add(node, EC_IRI + "indicator",
                         self.literal(text, f"{path}.{key}", record, lang="en"))
        if "deadline" in record:
            self.add(node, EC_IRI + "deadline", self.date(record["deadline"], f"{path}.deadline",
                                                          record))

    def member(self, record: dict, path: str, cluster) -> None:
        node = self.ident(record, path)
        self.typed(record, node, path, None)
        self.labelled(record, node, path)
        for key, prop, vocab in (("located_in", "locatedIn", False),
                                 ("jurisdiction", "jurisdiction", False),
                                 ("level", "educationLevel", True),
                                 ("sector", "sector", True),
                                 ("field", "field", True)):
            for v in self.many(record.get(key), f"{path}.{key}"):
                self.add(node, EC_IRI + prop, self.iri(v, f"{path}.{key}", record, vocab=vocab))
        if _boolean(record.get("finances", False)):
            self.add(node, EC_IRI + "finances", cluster)
        membership = record.get("membership") or {}
        if not isinstance(membership, dict):
            raise self.error(f"{path}.membership", record, "a mapping (id, role, ...)")
        fields = {**{k: record[k] for k in _MEMBERSHIP_KEYS if k in record}, **membership}
        mpath = f"{path}.membership" if membership else path
        if "id" in membership:
            mnode = self.iri(membership["id"], f"{mpath}.id", record)
        elif "membership_id" in record:
            mnode = self.iri(record["membership_id"], f"{path}.membership_id", record)
        else:
            mnode = ox.NamedNode(f"{node.value}-membership")
        self.add(mnode, _RDF_TYPE, ox.NamedNode(_ORG + "Membership"))
        self.add(mnode, _ORG + "member", node)
        self.add(mnode, _ORG + "organization", cluster)
        for r in self.many(fields.get("role"), f"{mpath}.role"):
            self.add(mnode, _ORG + "role", self.iri(r, f"{mpath}.role", record))
        for key in ("responsibility", "responsibilities"):
            for text in self.many(fields.get(key), f"{mpath}.{key}"):
                self.add(mnode, EC_IRI + "responsibility",
                         self.literal(text, f"{mpath}.{key}", record, lang="en"))
        if "private_interest" in fields:
            self.add(mnode, EC_IRI + "privateInterest",
                     self.literal(fields["private_interest"], f"{mpath}.private_interest", record,
                                  lang="en"))
        for goal in self.many(fields.get("specific_goal"), f"{mpath}.specific_goal"):
            gpath = f"{mpath}.specific_goal"
            gnode = self.goal(goal, gpath, None) if isinstance(goal, dict) else self.iri(
                goal, gpath, record)
            self.add(mnode, EC_IRI + "specificGoal", gnode)
        self.labelled(membership, mnode, mpath)

    def cooperation(self, record: dict, path: str, cluster) -> None:
        node = self.ident(record, path)
        self.add(node, _RDF_TYPE, ox.NamedNode(EC_IRI + "Cooperation"))
        self.add(node, EC_IRI + "inCluster", cluster)
        self.labelled(record, node, path)
        partners = list(self.many(record.get("partners"), f"{path}.partners"))
        for key in ("partner_a", "partner_b"):
            if key in record:
                partners.append(record[key])
        for p in partners:
            self.add(node, EC_IRI + "partner", self.iri(p, f"{path}.partners", record))
        for key, prop in (("area", "area"), ("interaction_model", "interactionModel"),
                          ("orientation", "orientation")):
            for v in self.many(record.get(key), f"{path}.{key}"):
                self.add(node, EC_IRI + prop, self.iri(v, f"{path}.{key}", record, vocab=True))

    def project(self, record: dict, path: str, cluster) -> None:
        node = self.ident(record, path)
        self.add(node, _RDF_TYPE, ox.NamedNode(EC_IRI + "Project"))
        self.add(node, EC_IRI + "runBy", cluster)
        self.labelled(record, node, path)
        for key, prop in (("status", "status"), ("pilot_result", "pilotResult"),
                          ("direction", "direction")):
            for v in self.many(record.get(key), f"{path}.{key}"):
                self.add(node, EC_IRI + prop, self.iri(v, f"{path}.{key}", record, vocab=True))


_MEMBERSHIP_KEYS = ("role", "responsibility", "responsibilities", "private_interest",
                    "specific_goal")


def _boolean(value) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in {"true", "yes", "1", "x"}
