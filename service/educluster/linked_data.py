"""Linked data: resource descriptions, readable JSON-LD, the framed cluster, and dumps.

- ``describe(store, iri)``: what the service says about one resource: its concise
  bounded description (every triple with the resource as subject, following blank nodes)
  plus the triples that point at it (incoming links), with labels for every IRI in them.
- ``compact_jsonld(triples)``: JSON-LD compacted with the project's own ``@context``
  (``context.jsonld`` in this package, served at ``/context.jsonld``): short keys
  (``label``, ``region``, ``hasMember``), values of concept properties as short names
  (``"orientation": "Mixed"``).  The context is put inline, so that a JSON-LD processor
  never needs to fetch anything.
- ``frame_cluster(store, iri)``: one cluster as a nested document, cluster → memberships
  → participants → cooperations, for web developers without an RDF library (see its
  docstring for the shape).  It is JSON-LD too: with the context it expands to triples
  of the store.
- ``iter_export`` / ``export_dataset``: the whole dataset, streamed, in every format of
  ``FORMATS``, with or without the derived graph.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import queue
import re
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import IO

import pyoxigraph as ox

from educluster.errors import InputError
from educluster.store.base import Store, Term
from educluster.vocab import DERIVED_GRAPH, EC_IRI, ID_IRI, PREFIXES

_PACKAGE_DIR = Path(__file__).resolve().parent
CONTEXT_PATH = _PACKAGE_DIR / "context.jsonld"

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
SKOS_PREF_LABEL = "http://www.w3.org/2004/02/skos/core#prefLabel"
ORG = PREFIXES["org"]

#: most incoming links listed for one resource (a region may be pointed at by hundreds)
MAX_INCOMING = 1000


@dataclass(frozen=True)
class RdfFormat:
    """An RDF serialization the service offers."""

    name: str  # the value of ?format= and --format
    media_type: str
    suffix: str  # the file suffix, with the dot
    oxigraph: ox.RdfFormat

    @property
    def is_dataset(self) -> bool:
        """Whether the format keeps named graphs (JSON-LD could, but the service writes
        it as one compacted graph)."""
        return self.name in {"nquads", "trig"}


FORMATS: dict[str, RdfFormat] = {
    f.name: f
    for f in [
        RdfFormat("turtle", "text/turtle", ".ttl", ox.RdfFormat.TURTLE),
        RdfFormat("ntriples", "application/n-triples", ".nt", ox.RdfFormat.N_TRIPLES),
        RdfFormat("nquads", "application/n-quads", ".nq", ox.RdfFormat.N_QUADS),
        RdfFormat("trig", "application/trig", ".trig", ox.RdfFormat.TRIG),
        RdfFormat("jsonld", "application/ld+json", ".jsonld", ox.RdfFormat.JSON_LD),
        RdfFormat("rdfxml", "application/rdf+xml", ".rdf", ox.RdfFormat.RDF_XML),
    ]
}
#: formats for one graph (a resource description, the ontology): no named graphs
GRAPH_FORMATS = {k: v for k, v in FORMATS.items() if not v.is_dataset}
_ALIASES = {"ttl": "turtle", "nt": "ntriples", "n-triples": "ntriples", "nq": "nquads",
            "n-quads": "nquads", "json-ld": "jsonld", "json": "jsonld", "rdf": "rdfxml",
            "xml": "rdfxml", "rdf/xml": "rdfxml"}


def rdf_format(name: str, *, datasets: bool = True) -> RdfFormat:
    """A format by name (``turtle``, ``ttl``, ``jsonld``...), by suffix or by media type;
    ``InputError`` for anything else."""
    key = name.strip().lower().lstrip(".")
    key = _ALIASES.get(key, key)
    table = FORMATS if datasets else GRAPH_FORMATS
    if key in table:
        return table[key]
    for f in table.values():
        if f.media_type == key:
            return f
    raise InputError(f"unknown RDF format {name!r}; expected one of {', '.join(table)}")


def by_suffix(suffix: str) -> RdfFormat | None:
    return next((f for f in FORMATS.values() if f.suffix == suffix), None)


# -- the JSON-LD context ------------------------------------------------------------------
@cache
def _context_text() -> str:
    return CONTEXT_PATH.read_text(encoding="utf-8")


def context() -> dict:
    """The project's JSON-LD context (the value of ``@context``), a fresh copy."""
    return json.loads(_context_text())["@context"]


def context_document() -> bytes:
    """``context.jsonld`` as published at ``/context.jsonld``."""
    return _context_text().encode("utf-8")


# -- resource descriptions ----------------------------------------------------------------
@dataclass
class Statement:
    """One triple of a description, as the HTML page shows it."""

    subject: Term
    predicate: ox.NamedNode
    object: Term
    derived: bool = False


@dataclass
class Description:
    """What the service says about one resource."""

    iri: str
    outgoing: list[Statement] = field(default_factory=list)  # the CBD
    incoming: list[Statement] = field(default_factory=list)
    incoming_truncated: bool = False
    labels: dict[str, str] = field(default_factory=dict)  # IRI -> best label

    @property
    def exists(self) -> bool:
        return bool(self.outgoing or self.incoming)

    @property
    def types(self) -> list[str]:
        return sorted({s.object.value for s in self.outgoing
                       if s.subject.value == self.iri and s.predicate.value == RDF_TYPE})

    @property
    def asserted_types(self) -> list[str]:
        return sorted({s.object.value for s in self.outgoing if s.subject.value == self.iri
                       and s.predicate.value == RDF_TYPE and not s.derived})

    def values(self, predicate: str) -> list[Term]:
        return [s.object for s in self.outgoing
                if s.subject.value == self.iri and s.predicate.value == predicate]

    @property
    def label(self) -> str:
        return self.labels.get(self.iri) or local_name(self.iri)

    def triples(self) -> list[ox.Triple]:
        """The description as triples: CBD plus incoming links, without duplicates."""
        seen: dict[ox.Triple, None] = {}
        for s in [*self.outgoing, *self.incoming]:
            seen.setdefault(ox.Triple(s.subject, s.predicate, s.object), None)
        return list(seen)


def local_name(iri: str) -> str:
    for sep in ("#", "/"):
        if sep in iri.rstrip(sep):
            return iri.rstrip(sep).rsplit(sep, 1)[1]
    return iri


def describe(store: Store, iri: str, *, max_incoming: int = MAX_INCOMING) -> Description:
    """The concise bounded description of ``iri`` plus its incoming links and labels.

    A triple is marked ``derived`` when it is only in the derived graph."""
    node = ox.NamedNode(iri)  # ValueError for a malformed IRI
    description = Description(iri)
    derived_graph = ox.NamedNode(DERIVED_GRAPH)

    def only_derived(s: str, o: str) -> str:
        # OPTIONAL and BOUND rather than EXISTS inside BIND, which Virtuoso cannot compile
        return (
            f"OPTIONAL {{ GRAPH {derived_graph} {{ {s} ?p {o} }} BIND (true AS ?inDerived) }} "
            f"OPTIONAL {{ GRAPH ?g {{ {s} ?p {o} }} FILTER (?g != {derived_graph}) "
            f"BIND (true AS ?inAsserted) }} "
            f"BIND (IF(BOUND(?inDerived) && !BOUND(?inAsserted), true, false) AS ?derived)"
        )

    rows = store.select(
        f"SELECT DISTINCT ?p ?o ?derived WHERE {{ {node} ?p ?o "
        f"{only_derived(str(node), '?o')} }}"
    )
    description.outgoing = [
        Statement(node, row["p"], row["o"], _true(row.get("derived"))) for row in rows
    ]
    if any(isinstance(s.object, ox.BlankNode) for s in description.outgoing):
        # blank nodes cannot be named in a query: reach them from the resource, two deep
        nested = store.select(
            f"SELECT DISTINCT ?s ?p ?o WHERE {{ "
            f"{{ {node} ?p1 ?s FILTER isBlank(?s) }} UNION "
            f"{{ {node} ?p1 ?b FILTER isBlank(?b) ?b ?p2 ?s FILTER isBlank(?s) }} "
            f"?s ?p ?o }}"
        )
        description.outgoing += [Statement(r["s"], r["p"], r["o"]) for r in nested]
    incoming = store.select(
        f"SELECT DISTINCT ?s ?p ?derived WHERE {{ ?s ?p {node} "
        f"{only_derived('?s', str(node))} }} "
        f"ORDER BY ?p ?s LIMIT {max_incoming + 1}"
    )
    if len(incoming) > max_incoming:
        description.incoming_truncated = True
        incoming = incoming[:max_incoming]
    description.incoming = [
        Statement(row["s"], row["p"], node, _true(row.get("derived"))) for row in incoming
    ]
    description.labels = labels_for(store, _iris_of(description))
    return description


def _true(term: Term | None) -> bool:
    # Virtuoso answers a boolean expression with the integer 1 or 0
    return term is not None and term.value in ("true", "1")


def _iris_of(description: Description) -> set[str]:
    iris = {description.iri}
    for s in [*description.outgoing, *description.incoming]:
        for term in (s.subject, s.predicate, s.object):
            if isinstance(term, ox.NamedNode):
                iris.add(term.value)
    return iris


def labels_for(store: Store, iris: Iterable[str]) -> dict[str, str]:
    """The best label of each IRI: an English (or untagged) ``rdfs:label`` or
    ``skos:prefLabel``, else any label."""
    nodes = []
    for iri in iris:
        try:
            nodes.append(ox.NamedNode(iri))
        except ValueError:
            continue
    if not nodes:
        return {}
    labels: dict[str, tuple[int, str]] = {}
    for start in range(0, len(nodes), 500):
        chunk = " ".join(str(n) for n in nodes[start:start + 500])
        rows = store.select(
            f"SELECT ?s ?label WHERE {{ VALUES ?s {{ {chunk} }} "
            f"?s <{RDFS_LABEL}>|<{SKOS_PREF_LABEL}> ?label }}"
        )
        for row in rows:
            label = row["label"]
            lang = getattr(label, "language", None)
            rank = 0 if lang in (None, "en") or (lang or "").startswith("en-") else 1
            best = labels.get(row["s"].value)
            if best is None or (rank, label.value) < best:
                labels[row["s"].value] = (rank, label.value)
    return {iri: value for iri, (_, value) in labels.items()}


# -- serializing descriptions ---------------------------------------------------------------
def serialize_triples(triples: Iterable[ox.Triple], fmt: RdfFormat,
                      prefixes: dict[str, str] | None = None) -> bytes:
    """One graph in a triple format; JSON-LD compacted with the project's context.
    Turtle and RDF/XML declare the project's prefixes that occur (and ``prefixes``)."""
    triples = list(triples)
    if fmt.name == "jsonld":
        return (json.dumps(compact_jsonld(triples), indent=2, ensure_ascii=False) + "\n").encode()
    if fmt.is_dataset:
        raise InputError(f"{fmt.name} is a dataset format; a description is one graph")
    used = _used_prefixes(triples, {**PREFIXES, **(prefixes or {})})
    return ox.serialize(triples, format=fmt.oxigraph, prefixes=used) or b""


def _used_prefixes(terms_source: Iterable[ox.Triple | ox.Quad],
                   prefixes: dict[str, str]) -> dict[str, str]:
    text = " ".join(str(t) for t in terms_source)
    return {p: iri for p, iri in prefixes.items() if iri in text}


def compact_jsonld(triples: Iterable[ox.Triple]) -> dict:
    """JSON-LD compacted with the project's context (inline): short keys, not full IRIs.

    ``{"@context": ..., "@graph": [node, ...]}`` with one node object per subject (see
    ``JsonLdCompactor``); nothing is fetched, the context is the shipped one."""
    return {"@context": context(), "@graph": list(JsonLdCompactor().nodes(triples))}


_CANONICAL_INTEGER = re.compile(r"^(0|-?[1-9][0-9]{0,15})$")


class JsonLdCompactor:
    """Node objects for triples, keyed and valued by the terms of the project's context.

    A statement uses a term only when its value fits the term's definition (an IRI for
    an ``@id`` term, an ``ec:`` concept for an ``@vocab`` term, a literal of the term's
    datatype, a language-tagged literal for a language map); any other statement falls
    back to a prefixed name (``ec:region``, ``org:member``) or the full IRI as key, with
    an explicit ``{"@id"}`` / ``{"@value", "@language" | "@type"}`` value.  So the
    output reads like hand-written JSON and still expands to exactly the triples given.
    """

    def __init__(self) -> None:
        ctx = context()
        self.vocab = ctx.get("@vocab", "")
        self.prefixes = {k: v for k, v in ctx.items()
                         if isinstance(v, str) and v.endswith(("#", "/")) and not k.startswith("@")}
        self.terms = dict(_terms_by_iri_cached(_context_text()))
        self.term_names = {k for k in ctx if not k.startswith("@")}

    # -- names
    def _prefixed(self, iri: str) -> str:
        for prefix, base in self.prefixes.items():
            if iri.startswith(base) and len(iri) > len(base) and ":" not in iri[len(base):]:
                return f"{prefix}:{iri[len(base):]}"
        return iri

    def _vocab_name(self, iri: str) -> str:
        """A class or concept as a @vocab-relative name when that is unambiguous."""
        if iri.startswith(self.vocab):
            local = iri[len(self.vocab):]
            if local and local not in self.term_names and all(
                    c.isalnum() or c in "_-." for c in local):
                return local
        return self._prefixed(iri)

    def _key(self, predicate: str) -> str:
        return self._vocab_name(predicate)

    @staticmethod
    def _node_id(term) -> str:
        return f"_:{term.value}" if isinstance(term, ox.BlankNode) else term.value

    def _explicit(self, term):
        if isinstance(term, (ox.NamedNode, ox.BlankNode)):
            return {"@id": self._node_id(term)}
        if term.language:
            return {"@value": term.value, "@language": term.language}
        datatype = term.datatype.value
        if datatype == PREFIXES["xsd"] + "string":
            return term.value
        # JSON's own true, false and integers, where they read back as the same literal
        if datatype == PREFIXES["xsd"] + "boolean" and term.value in ("true", "false"):
            return term.value == "true"
        if datatype == PREFIXES["xsd"] + "integer" and _CANONICAL_INTEGER.match(term.value):
            return int(term.value)
        return {"@value": term.value, "@type": self._prefixed(datatype)}

    # -- statements
    def _entry(self, predicate: str, term) -> tuple[str, object, bool]:
        """(key, value, is a language map entry)."""
        found = self.terms.get(predicate)
        if found is None:
            return self._key(predicate), self._explicit(term), False
        name, definition = found
        coercion = definition.get("@type")
        if definition.get("@container") == "@language":
            if isinstance(term, ox.Literal) and term.language:
                return name, (term.language, term.value), True
        elif coercion == "@id":
            if isinstance(term, (ox.NamedNode, ox.BlankNode)):
                return name, self._node_id(term), False
        elif coercion == "@vocab":
            if isinstance(term, ox.NamedNode):
                value = self._vocab_name(term.value)
                if ":" not in value or value.startswith(("http:", "https:")):
                    return name, value, False
                return name, term.value, False
        elif coercion:
            datatype = self._expand(coercion)
            if isinstance(term, ox.Literal) and not term.language and (
                    term.datatype.value == datatype):
                return name, term.value, False
        elif "@reverse" not in definition:
            return name, self._explicit(term), False
        return self._prefixed(predicate), self._explicit(term), False

    def _expand(self, value: str) -> str:
        prefix, sep, local = value.partition(":")
        if sep and prefix in self.prefixes:
            return self.prefixes[prefix] + local
        return value

    def node(self, subject, statements: list[tuple[str, object]]) -> dict:
        node: dict = {"id": self._node_id(subject)}
        types = [self._vocab_name(o.value) if isinstance(o, ox.NamedNode) else self._node_id(o)
                 for p, o in statements if p == RDF_TYPE]
        if types:
            node["type"] = types[0] if len(types) == 1 else sorted(types)
        for predicate, term in statements:
            if predicate == RDF_TYPE:
                continue
            key, value, language_entry = self._entry(predicate, term)
            if language_entry:
                language, text = value  # type: ignore[misc]
                language_map = node.setdefault(key, {})
                if language in language_map:  # two labels in one language: a list
                    previous = language_map[language]
                    language_map[language] = (previous if isinstance(previous, list)
                                              else [previous]) + [text]
                else:
                    language_map[language] = text
                continue
            if key in node:
                if not isinstance(node[key], list):
                    node[key] = [node[key]]
                node[key].append(value)
            else:
                node[key] = value
        return node

    def nodes(self, triples: Iterable[ox.Triple]) -> Iterator[dict]:
        """One node object per subject, subjects in sorted order."""
        by_subject: dict = {}
        for t in triples:
            by_subject.setdefault(t.subject, []).append((t.predicate.value, t.object))
        for subject in sorted(by_subject, key=lambda s: (isinstance(s, ox.BlankNode), s.value)):
            statements = sorted(by_subject[subject], key=lambda x: (x[0], str(x[1])))
            yield self.node(subject, statements)


# -- the framed cluster -------------------------------------------------------------------
def frame_cluster(store: Store, iri: str) -> dict | None:
    """One cluster as a nested JSON document (None when ``iri`` is not a cluster)::

        {"@context": {...}, "id": CLUSTER, "type": [...], "label": {"en": ...},
         "region": {"id", "label"}, "orientation": "Mixed", "ledBy": [{"id", "label"}],
         "commonGoal": [{"id", "label"}],
         "memberships": [
            {"id": MEMBERSHIP, "role": {"id", "label"}, "responsibility": [...],
             "privateInterest": [...],
             "member": {"id": PARTICIPANT, "type": [...], "label": {...},
                        "locatedIn": {"id", "label"},
                        "cooperations": [
                            {"id": COOPERATION, "orientation": "Vertical",
                             "area": [...], "interactionModel": [...],
                             "partner": [{"id": OTHER PARTICIPANT, "label": {...}}]}]}}]}

    Keys are the terms of the project's context; a participant's ``cooperations`` are the
    cooperations *in this cluster* it is a partner of, each listing the *other* partner.
    Lists are always lists (even of one), so that a program need not test the type.  Text
    values are plain strings: their language tags are left out, except in the label maps
    (``{"en": ..., "uz": ...}``)."""
    node = ox.NamedNode(iri)
    if not store.ask(f"ASK {{ {node} a <{EC_IRI}Cluster> }}"):
        return None
    cluster = _node_object(store, node, skip=_MEMBER_LINKS)
    cluster["@context"] = context()
    cluster = {"@context": cluster.pop("@context"), **cluster}
    memberships = store.select(
        f"SELECT DISTINCT ?m ?member WHERE {{ ?m <{ORG}organization> {node} ; "
        f"<{ORG}member> ?member }} ORDER BY ?member"
    )
    cooperations = store.select(
        f"SELECT DISTINCT ?c ?a ?b WHERE {{ ?c <{EC_IRI}inCluster> {node} ; "
        f"<{EC_IRI}partner> ?a, ?b FILTER (?a != ?b) }} ORDER BY ?c"
    )
    by_partner: dict[str, list[tuple[str, str]]] = {}
    for row in cooperations:
        by_partner.setdefault(row["a"].value, []).append((row["c"].value, row["b"].value))
    cooperation_objects: dict[str, dict] = {}
    labels = labels_for(store, {r["b"].value for r in cooperations})
    items = []
    for row in memberships:
        membership = _node_object(store, row["m"], skip={f"{ORG}organization", f"{ORG}member"})
        member = _node_object(store, row["member"], skip=_MEMBER_LINKS)
        member_cooperations = []
        for coop_iri, other in by_partner.get(row["member"].value, []):
            if coop_iri not in cooperation_objects:
                cooperation_objects[coop_iri] = _node_object(
                    store, ox.NamedNode(coop_iri),
                    skip={f"{EC_IRI}partner", f"{EC_IRI}inCluster"})
            coop = dict(cooperation_objects[coop_iri])
            coop["partner"] = [{"id": other, "label": _label_map(labels.get(other))}]
            member_cooperations.append(coop)
        member["cooperations"] = member_cooperations
        membership["member"] = member
        items.append(membership)
    cluster["memberships"] = items
    return cluster


#: left out of the framed cluster: the memberships say it, nested
_MEMBER_LINKS = frozenset({EC_IRI + "hasMember", EC_IRI + "memberOf", ORG + "hasMember",
                           ORG + "memberOf"})


def _label_map(label: str | None) -> dict:
    return {"en": label} if label else {}


def _node_object(store: Store, node: ox.NamedNode, *, skip: set[str] = frozenset()) -> dict:
    """A resource's own properties as a JSON object keyed by the context's terms.

    IRI values become ``{"id", "label"}``, or a short name for ec: concepts under a
    concept property; literals become plain values (JSON numbers and booleans where they
    are such), under a prefixed key when they do not fit the term; language-tagged labels
    a map."""
    ctx = context()
    terms = _terms_by_iri(ctx)
    compactor = JsonLdCompactor()
    rows = store.select(f"SELECT DISTINCT ?p ?o WHERE {{ {node} ?p ?o }} ORDER BY ?p ?o")
    labels = labels_for(store, {r["o"].value for r in rows if isinstance(r["o"], ox.NamedNode)})
    obj: dict = {"id": node.value}
    for row in rows:
        predicate, value = row["p"].value, row["o"]
        if predicate in skip or isinstance(value, ox.BlankNode):
            continue
        key, definition = terms.get(predicate, (predicate, {}))
        if predicate == RDF_TYPE:
            key = "type"
            obj.setdefault(key, []).append(_short(value.value))
            continue
        if definition.get("@container") == "@language" and isinstance(value, ox.Literal):
            obj.setdefault(key, {})[value.language or "@none"] = value.value
            continue
        if isinstance(value, ox.NamedNode):
            if definition.get("@type") == "@vocab" and value.value.startswith(EC_IRI):
                item = value.value[len(EC_IRI):]
            else:
                item = {"id": value.value}
                if value.value in labels:
                    item["label"] = {"en": labels[value.value]}
        else:
            # a literal: the compactor's choice of key and value, so that a literal where
            # the term wants an IRI or another datatype keeps its meaning; text loses only
            # its language tag
            key, item, _ = compactor._entry(predicate, value)
            if isinstance(item, dict) and "@language" in item:
                item = value.value
        obj.setdefault(key, []).append(item)
    if "orientation" in obj and len(obj["orientation"]) == 1:
        obj["orientation"] = obj["orientation"][0]  # functional: one value, not a list
    return obj


def _short(iri: str) -> str:
    if iri.startswith(EC_IRI):
        return iri[len(EC_IRI):]
    for prefix, base in PREFIXES.items():
        if iri.startswith(base) and prefix not in {"id", "ec"}:
            return f"{prefix}:{iri[len(base):]}"
    return iri


@cache
def _terms_by_iri_cached(text: str) -> dict[str, tuple[str, dict]]:
    ctx = json.loads(text)["@context"]
    prefixes = {k: v for k, v in ctx.items() if isinstance(v, str) and v.endswith(("#", "/"))}

    def expand(value: str) -> str:
        prefix, sep, local = value.partition(":")
        if sep and prefix in prefixes:
            return prefixes[prefix] + local
        return value

    terms: dict[str, tuple[str, dict]] = {}
    for term, definition in ctx.items():
        if term.startswith("@") or term in prefixes:
            continue
        if isinstance(definition, str):
            if definition.startswith("@"):
                continue
            definition = {"@id": definition}
        if "@id" not in definition:
            continue
        terms.setdefault(expand(definition["@id"]), (term, definition))
    return terms


def _terms_by_iri(ctx: dict) -> dict[str, tuple[str, dict]]:
    terms = dict(_terms_by_iri_cached(_context_text()))
    vocab = ctx.get("@vocab")
    if vocab:
        # @vocab: an ec: property not in the context is its local name
        class _Vocab(dict):
            def get(self, key, default=None):
                if key in self:
                    return self[key]
                if key.startswith(vocab) and "/" not in key[len(vocab):]:
                    return (key[len(vocab):], {})
                return default
        return _Vocab(terms)
    return terms


# -- dumps ----------------------------------------------------------------------------------
CHUNK_QUADS = 5000


def export_quads(store: Store, *, include_derived: bool = True) -> Iterator[ox.Quad]:
    """Every quad of the store, the derived graph left out unless ``include_derived``."""
    for quad in store.quads("*"):
        if not include_derived and isinstance(quad.graph_name, ox.NamedNode) and (
            quad.graph_name.value == DERIVED_GRAPH
        ):
            continue
        yield quad


def iter_export(store: Store, fmt: RdfFormat, *, include_derived: bool = True) -> Iterator[bytes]:
    """The whole dataset in ``fmt``, as chunks of bytes, produced as they are read.

    N-Quads and TriG keep the named graphs (the derived graph is one of them); the
    triple formats get the union of all graphs without duplicates.  Turtle, TriG,
    N-Triples and N-Quads are written in slices of ``CHUNK_QUADS`` statements (each slice
    is a valid document of its own, so their concatenation is too); RDF/XML goes through
    one serializer call on a writer thread; JSON-LD is compacted with the context and so
    is built whole."""
    quads = export_quads(store, include_derived=include_derived)
    if fmt.name == "jsonld":
        # the context first, then one compacted node object per subject
        head = json.dumps(context(), indent=1, ensure_ascii=False)
        yield ('{"@context": ' + head + ',\n "@graph": [').encode()
        separator = "\n  "
        for node in JsonLdCompactor().nodes(_distinct_triples(quads)):
            yield (separator + json.dumps(node, ensure_ascii=False)).encode()
            separator = ",\n  "
        yield b"\n]}\n"
        return
    if fmt.name == "rdfxml":
        yield from _threaded_serialize(_distinct_triples(quads), fmt)
        return
    prefixes = dict(PREFIXES) if fmt.name in {"turtle", "trig"} else None
    items: Iterator = quads if fmt.is_dataset else _distinct_triples(quads)
    first = True
    while True:
        chunk = [x for _, x in zip(range(CHUNK_QUADS), items, strict=False)]
        if not chunk:
            if first and prefixes:  # an empty store still gives a document with prefixes
                yield ox.serialize([], format=fmt.oxigraph, prefixes=prefixes) or b""
            return
        data = ox.serialize(chunk, format=fmt.oxigraph, prefixes=prefixes) or b""
        if not first and prefixes:
            data = _strip_prefix_lines(data)
        first = False
        yield data


def _strip_prefix_lines(data: bytes) -> bytes:
    lines = data.split(b"\n")
    i = 0
    while i < len(lines) and lines[i].startswith(b"@prefix "):
        i += 1
    return b"\n".join(lines[i:])


def _distinct_triples(quads: Iterable[ox.Quad]) -> Iterator[ox.Triple]:
    seen: set[ox.Triple] = set()
    for q in quads:
        t = ox.Triple(q.subject, q.predicate, q.object)
        if t not in seen:
            seen.add(t)
            yield t


class _QueueWriter:
    """A binary file that hands what is written to a queue, until cancelled."""

    def __init__(self, q: queue.Queue, cancelled: threading.Event):
        self.q = q
        self.cancelled = cancelled

    def write(self, data) -> int:
        if self.cancelled.is_set():
            raise OSError("the export was cancelled: the client went away")
        self.q.put(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass


def _threaded_serialize(items: Iterator, fmt: RdfFormat) -> Iterator[bytes]:
    chunks: queue.Queue = queue.Queue(maxsize=64)
    done = object()
    errors: list[BaseException] = []
    cancelled = threading.Event()

    def work():
        try:
            ox.serialize(items, output=_QueueWriter(chunks, cancelled), format=fmt.oxigraph,
                         prefixes=dict(PREFIXES))
        except BaseException as exc:  # handed to the reader below
            errors.append(exc)
        finally:
            chunks.put(done)

    thread = threading.Thread(target=work, name="educluster-export", daemon=True)
    thread.start()
    buffer: list[bytes] = []
    size = 0
    try:
        while True:
            item = chunks.get()
            if item is done:
                break
            buffer.append(item)
            size += len(item)
            if size >= 64 * 1024:
                yield b"".join(buffer)
                buffer, size = [], 0
    finally:
        if thread.is_alive():  # the reader stopped early: let the writer end, not block
            cancelled.set()
            while thread.is_alive():
                with contextlib.suppress(queue.Empty):
                    chunks.get(timeout=0.1)
        thread.join()
    if errors:
        raise errors[0]
    if buffer:
        yield b"".join(buffer)


def gzip_stream(chunks: Iterable[bytes], *, level: int = 6) -> Iterator[bytes]:
    """Compress a stream of chunks into a stream of gzip chunks."""
    import zlib

    compressor = zlib.compressobj(level, zlib.DEFLATED, 31)  # 31: gzip header and trailer
    for chunk in chunks:
        data = compressor.compress(chunk)
        if data:
            yield data
    yield compressor.flush()


def export_dataset(store: Store, fmt: str | RdfFormat, include_derived: bool,
                   out: IO[bytes] | str | Path) -> int:
    """Write the whole dataset to ``out`` (a binary file, or a path: ``.gz`` is gzipped);
    returns the number of bytes written before compression."""
    fmt = fmt if isinstance(fmt, RdfFormat) else rdf_format(fmt)
    chunks = iter_export(store, fmt, include_derived=include_derived)
    written = 0
    if isinstance(out, (str, Path)):
        path = Path(out)
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "wb") as handle:
            for chunk in chunks:
                handle.write(chunk)
                written += len(chunk)
        return written
    for chunk in chunks:
        out.write(chunk)
        written += len(chunk)
    return written


def base_iri_setting(settings: dict | None) -> str:
    """The instance base IRI of a deployment (setting ``base_iri``)."""
    value = (settings or {}).get("base_iri") or ID_IRI
    return value if value.endswith(("/", "#")) else value + "/"
