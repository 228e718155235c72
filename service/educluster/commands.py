"""The ``serve``, ``load``, ``query`` and ``export`` commands.

All four work on the same on-disk store (``--store PATH``, else ``EDUCLUSTER_STORE``, else
``./educluster-store``) through ``educluster.server.DiskDataset``, so they can run while a
server is serving that store: ``load`` takes the writers' lock like any write, ``query``
and ``export`` read the published snapshot.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import os
import queue
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

import pyoxigraph as ox

from educluster.dataset import Dataset
from educluster.errors import InputError
from educluster.server import DiskDataset, default_store_path, open_dataset, serve
from educluster.settings import resolve
from educluster.store import OxigraphStore, Store
from educluster.store.base import rdf_format_for
from educluster.vocab import PREFIXES

#: files at least this large are parsed with a progress bar on standard error
PROGRESS_MIN_BYTES = 4 * 1024 * 1024

#: ``--format`` names of the graph formats -> Oxigraph formats
RDF_FORMATS: dict[str, ox.RdfFormat] = {
    "turtle": ox.RdfFormat.TURTLE,
    "ttl": ox.RdfFormat.TURTLE,
    "ntriples": ox.RdfFormat.N_TRIPLES,
    "nt": ox.RdfFormat.N_TRIPLES,
    "nquads": ox.RdfFormat.N_QUADS,
    "nq": ox.RdfFormat.N_QUADS,
    "trig": ox.RdfFormat.TRIG,
    "jsonld": ox.RdfFormat.JSON_LD,
    "json-ld": ox.RdfFormat.JSON_LD,
    "rdfxml": ox.RdfFormat.RDF_XML,
    "rdf": ox.RdfFormat.RDF_XML,
}
#: ``--format`` names of the results formats (SELECT, ASK) -> media types
RESULTS_FORMATS: dict[str, str] = {
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
}
_GRAPH_MEDIA_TYPES: dict[ox.RdfFormat, str] = {
    ox.RdfFormat.TURTLE: "text/turtle",
    ox.RdfFormat.N_TRIPLES: "application/n-triples",
    ox.RdfFormat.N_QUADS: "application/n-quads",
    ox.RdfFormat.TRIG: "application/trig",
    ox.RdfFormat.JSON_LD: "application/ld+json",
    ox.RdfFormat.RDF_XML: "application/rdf+xml",
}
_FORM_EXTENSIONS = {".yaml", ".yml", ".csv"}


# -- serve -------------------------------------------------------------------------------
def run_serve(args) -> int:
    serve(resolve(args))
    return 0


# -- load --------------------------------------------------------------------------------
class Progress:
    """A plain-text progress bar on a stream: redrawn in place on a terminal, one line per
    tenth otherwise (logs, pipes)."""

    def __init__(self, label: str, total: int, stream=None):
        self.label = label
        self.total = max(total, 1)
        self.stream = stream if stream is not None else sys.stderr
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self._last_draw = 0.0
        self._last_tenth = -1

    def update(self, done: int, items: int | None) -> None:
        fraction = min(done / self.total, 1.0)
        if self.tty:
            now = time.monotonic()
            if now - self._last_draw < 0.1 and fraction < 1.0:
                return
            self._last_draw = now
            self.stream.write("\r" + self._line(fraction, items))
        else:
            tenth = int(fraction * 10)
            if tenth == self._last_tenth:
                return
            self._last_tenth = tenth
            self.stream.write(self._line(fraction, items) + "\n")
        self.stream.flush()

    def finish(self, items: int) -> None:
        self._last_draw = 0.0
        self._last_tenth = -1  # the last line, with the count, is always drawn
        self.update(self.total, items)
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()

    def _line(self, fraction: float, items: int | None) -> str:
        width = 30
        filled = int(width * fraction)
        megabytes = self.total / 1e6
        count = "" if items is None else f", {items} triples"
        return (
            f"{self.label} [{'#' * filled}{'.' * (width - filled)}] {fraction:4.0%} "
            f"of {megabytes:.1f} MB{count}"
        )


class _CountingReader(io.RawIOBase):
    """A binary file that reports how far it has been read (to ``on_read``, when given),
    and whether any of the byte strings ``watch`` occurs in it (``seen``)."""

    def __init__(self, raw: BinaryIO, on_read: Callable[[int], None] | None = None,
                 watch: tuple[bytes, ...] = ()):
        self._raw = raw
        self.position = 0
        self._on_read = on_read
        self._watch = watch
        self._tail = b""
        self.seen = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self._raw.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        self.position += n
        if self._watch and not self.seen:
            window = self._tail + data
            self.seen = any(w in window for w in self._watch)
            self._tail = data[-1:]
        if self._on_read is not None:
            self._on_read(self.position)
        return n


def _parse_with_progress(path: Path, fmt: ox.RdfFormat) -> list[ox.Quad]:
    """Parse a large RDF file, drawing a progress bar; blank nodes get fresh labels and
    relative IRIs resolve against the file, as ``educluster.importers`` does."""
    size = path.stat().st_size
    progress = Progress(f"parsing {path.name}", size)
    quads: list[ox.Quad] = []
    with open(path, "rb") as raw:
        reader = _CountingReader(raw)
        with _parse_errors(path, fmt):
            for quad in ox.parse(
                reader, format=fmt, base_iri=path.resolve().as_uri(),
                without_named_graphs=False, rename_blank_nodes=True,
            ):
                quads.append(quad)
                if len(quads) % 20000 == 0:
                    progress.update(reader.position, len(quads))
    progress.finish(len(quads))
    return quads


@contextlib.contextmanager
def _parse_errors(path: Path, fmt: ox.RdfFormat) -> Iterator[None]:
    """Oxigraph's parse errors as an ``InputError`` naming the file and the line."""
    try:
        yield
    except SyntaxError as exc:
        line = exc.lineno if isinstance(exc.lineno, int) else None
        raise InputError(f"not valid {fmt.name}: {exc.msg}", source=str(path), line=line) from None
    except ValueError as exc:
        raise InputError(f"not valid {fmt.name}: {exc}", source=str(path)) from None


def _into_graph(quads: list[ox.Quad], graph: str | None) -> list[ox.Quad]:
    """Triples of the default graph go to ``graph`` (when given); named graphs stay."""
    if graph is None:
        return quads
    target = ox.NamedNode(graph)
    return [
        ox.Quad(q.subject, q.predicate, q.object, target)
        if isinstance(q.graph_name, ox.DefaultGraph)
        else q
        for q in quads
    ]


def read_files(paths: Iterable[str | Path], *, graph: str | None = None) -> list[ox.Quad]:
    """Parse every file completely, or raise ``InputError`` naming the file and line of
    the first bad one.  RDF goes by extension, YAML/CSV forms through
    ``educluster.importers`` (CSV files together, as one workbook); each file's blank
    nodes are its own; large RDF files are parsed with a progress bar."""
    from educluster.importers import read_definition

    ordinary: list[Path] = []
    large: list[tuple[Path, ox.RdfFormat]] = []
    for name in paths:
        path = Path(name)
        form = path.suffix.lower() in _FORM_EXTENSIONS
        fmt = None if form else rdf_format_for(path)  # an unknown extension fails first
        if not path.is_file():
            raise InputError("no such file", source=str(path))
        if fmt is not None and path.stat().st_size >= PROGRESS_MIN_BYTES:
            large.append((path, fmt))
        else:
            ordinary.append(path)
    quads = list(read_definition(ordinary)) if ordinary else []
    for path, fmt in large:
        quads += _parse_with_progress(path, fmt)
    return _into_graph(quads, graph)


def _graph_iri(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return ox.NamedNode(value).value
    except ValueError as exc:
        raise InputError(f"--graph {value!r} is not an absolute IRI: {exc}") from None


def _settings(args) -> dict:
    """The settings (environment and defaults) with the command's --endpoint and
    --update-endpoint; --store and an endpoint exclude each other."""
    settings = resolve(None)
    for name in ("endpoint", "update_endpoint"):
        value = getattr(args, name, None)
        if value:
            settings[name] = value
    if settings.get("endpoint") and getattr(args, "store", None):
        raise InputError("give either --store (the on-disk store) or an endpoint (an "
                         "external store), not both")
    if getattr(args, "update_endpoint", None) and not settings.get("endpoint"):
        raise InputError("--update-endpoint needs --endpoint (the store's query URL)")
    return settings


def run_load(args) -> int:
    graph = _graph_iri(args.graph)
    settings = _settings(args)
    settings["store"] = str(default_store_path(args.store))
    bulk = None if settings.get("endpoint") else bulk_files(args.files)
    quads: list[ox.Quad] = []
    if bulk is None:
        quads = read_files(args.files, graph=graph)  # everything parsed before anything is written
    dataset = open_dataset(settings, prepare=True)
    try:
        count = None
        if bulk is not None and _small_store(dataset, bulk):
            # a bad file undoes the write; with blank nodes, nothing was published and the
            # ordinary parse below gives them labels of their own
            with contextlib.suppress(_BlankNodes):
                count = dataset.write(lambda store: _bulk_write(store, bulk, graph),
                                      derive=False)
        if count is None:
            if bulk is not None:
                quads = read_files(args.files, graph=graph)
            if len(quads) >= 100000:
                print(f"writing {len(quads)} triples and recomputing derived knowledge...",
                      file=sys.stderr, flush=True)
            count = dataset.write(lambda store: _add_and_derive(store, quads), derive=False)
    finally:
        dataset.close()
    where = f"graph <{graph}>" if graph else "the default graph"
    files = f"{len(args.files)} file{'s' if len(args.files) != 1 else ''}"
    store_name = getattr(dataset, "path", None) or f"the store at {settings['endpoint']}"
    print(f"loaded {count} triples from {files} into {where} of {store_name}", file=sys.stderr)
    return 0


#: a load at least this large, into a store not much larger, is derived in memory
BULK_LOAD_QUADS = 50_000


def _add_and_derive(store: Store, quads: list[ox.Quad]) -> int:
    """Add the quads, then bring derived knowledge up to date for what they touch (the
    same result as recomputing it all, at the cost of the change)."""
    from educluster.reasoning import update_derived

    raw = getattr(store, "raw", None)
    if (isinstance(raw, ox.Store) and len(quads) >= BULK_LOAD_QUADS
            and len(raw) <= 2 * len(quads)):
        return _bulk_add_and_derive(store, raw, quads)
    count = store.add_quads(quads)
    update_derived(store, quads)
    return count


def _bulk_add_and_derive(store: Store, raw: ox.Store, quads: list[ox.Quad]) -> int:
    """A large load: derived knowledge is recomputed on an in-memory copy of the dataset
    (Oxigraph's in-memory store answers the rules' queries several times faster than the
    on-disk one: 100,000 triples derive in 1.7 s instead of 11 s), then the new quads and
    the derived graph are written to disk without a transaction per batch.  A failure
    midway is safe: ``DiskDataset.write`` then rebuilds the primary from the published
    snapshot."""
    from educluster.reasoning import materialize
    from educluster.store import OxigraphStore
    from educluster.vocab import DERIVED_GRAPH

    derived_graph = ox.NamedNode(DERIVED_GRAPH)
    memory = OxigraphStore()
    memory.raw.extend(q for q in raw if q.graph_name != derived_graph)
    memory.raw.extend(quads)
    materialize(memory)
    store.clear_graph(DERIVED_GRAPH)
    raw.bulk_extend(quads)
    raw.bulk_extend(memory.raw.quads_for_pattern(None, None, None, derived_graph))
    return len(quads)


#: RDF files of at least this many bytes in all (N-Triples or Turtle) are loaded in bulk
BULK_LOAD_BYTES = 4 * 1024 * 1024
_BULK_FORMATS = (ox.RdfFormat.N_TRIPLES, ox.RdfFormat.TURTLE)
#: fewest bytes per triple of those formats, to bound a file's triples by its size
_MIN_TRIPLE_BYTES = 40


def bulk_files(paths: Iterable[str | Path]) -> list[tuple[Path, ox.RdfFormat]] | None:
    """The files with their formats when they are all N-Triples or Turtle files and large
    in all (``BULK_LOAD_BYTES``), to be loaded in bulk (``_bulk_write``); else None."""
    files: list[tuple[Path, ox.RdfFormat]] = []
    for name in paths:
        path = Path(name)
        if path.suffix.lower() in _FORM_EXTENSIONS or not path.is_file():
            return None
        fmt = rdf_format_for(path)
        if fmt not in _BULK_FORMATS:
            return None
        files.append((path, fmt))
    if not files or _size(files) < BULK_LOAD_BYTES:
        return None
    return files


def _size(files: list[tuple[Path, ox.RdfFormat]]) -> int:
    return sum(path.stat().st_size for path, _ in files)


def _small_store(dataset, files: list[tuple[Path, ox.RdfFormat]]) -> bool:
    """Whether the store is small next to the files (not more than twice as many triples
    as they can hold): deriving everything again then costs about what the load does."""
    if not isinstance(dataset, DiskDataset):
        return False
    reader = dataset.reader()
    raw = getattr(reader, "raw", None)
    return isinstance(raw, ox.Store) and len(raw) <= 2 * _size(files) // _MIN_TRIPLE_BYTES


class _BlankNodes(Exception):
    """The files hold blank nodes: the bulk load is undone (see ``_bulk_write``)."""


def _bulk_write(store: Store, files: list[tuple[Path, ox.RdfFormat]], graph: str | None) -> int:
    """Load large N-Triples or Turtle files and recompute derived knowledge, at about the
    cost of loading them twice, without a Python object per asserted triple.

    Two things run at once.  A thread bulk-loads the files into the store, then writes
    the derived triples there as they come.  Meanwhile the files are parsed again into a
    ``ScratchStore`` in memory (with a progress bar; a bad file is an ``InputError``
    naming its line), the store's other asserted triples join them there, and the rules
    derive everything there as SPARQL updates, each rule's new triples handed to the
    thread as soon as it has run.  The thread's bulk load does not check the files
    (lenient): the parse into the scratch store does, and a bad file there undoes the
    write.  A failure midway is safe: ``DiskDataset.write`` rebuilds the primary from the
    published snapshot.  Files with blank nodes raise ``_BlankNodes`` (so that the write
    is undone): each Oxigraph parse gives them new labels, so the derived triples about
    them would name other nodes than the store's."""
    assert isinstance(store, OxigraphStore)
    holder = [store.raw]
    try:
        return _bulk_write_into(holder, files, graph)
    finally:
        # a traceback keeps the frames: let go of the store, which the caller may reopen
        holder.clear()


def _bulk_write_into(
    holder: list[ox.Store], files: list[tuple[Path, ox.RdfFormat]], graph: str | None
) -> int:
    """``_bulk_write``, on the Oxigraph store in ``holder`` (emptied afterwards)."""
    from educluster.reasoning import materialize
    from educluster.store.oxigraph import ScratchStore
    from educluster.vocab import DERIVED_GRAPH

    target: ox.NamedNode | ox.DefaultGraph = ox.NamedNode(graph) if graph else ox.DefaultGraph()
    derived_graph = ox.NamedNode(DERIVED_GRAPH)
    scratch = ScratchStore()
    # what the store asserts already, read before the files arrive in it
    asserted = [ox.Quad(q.subject, q.predicate, q.object, scratch.asserted_node)
                for q in holder[0].quads_for_pattern(None, None, None, None)
                if q.graph_name != derived_graph]
    stages: queue.SimpleQueue[str | None] = queue.SimpleQueue()
    failures: list[BaseException] = []

    def write() -> None:
        try:
            if holder[0].contains_named_graph(derived_graph):  # derived again from scratch
                holder[0].remove_graph(derived_graph)
            for path, fmt in files:
                holder[0].bulk_load(path=str(path), format=fmt, base_iri=_base_iri(path),
                                    to_graph=target, lenient=True)
            while (stage := stages.get()) is not None:
                # as terms (cheaper than N-Triples and a parse, which relabels blank nodes)
                holder[0].bulk_extend(
                    ox.Quad(q.subject, q.predicate, q.object, derived_graph)
                    for q in scratch.raw.quads_for_pattern(None, None, None, ox.NamedNode(stage))
                )
        except BaseException as exc:  # raised again below
            failures.append(exc)

    writer = threading.Thread(target=write, name="educluster-bulk-load")
    writer.start()
    try:
        count, blank = _parse_into(scratch, files)
        if blank:
            raise _BlankNodes()
        print(f"writing {count} triples and recomputing derived knowledge...",
              file=sys.stderr, flush=True)
        scratch.raw.extend(asserted)
        del asserted
        scratch.on_derived = stages.put
        materialize(scratch)
    finally:
        stages.put(None)
        writer.join()
    if failures:
        raise failures[0]
    return count


#: what a blank node may look like in each format (also found in literals, so a hit is
#: checked by a query)
_BLANK_NODE_MARKS = {ox.RdfFormat.N_TRIPLES: (b"_:",), ox.RdfFormat.TURTLE: (b"_:", b"[", b"(")}


def _parse_into(
    scratch: OxigraphStore, files: list[tuple[Path, ox.RdfFormat]]
) -> tuple[int, bool]:
    """Parse the files into the scratch store's asserted graph with a progress bar; return
    how many distinct triples they hold and whether they hold blank nodes."""
    from educluster.store.oxigraph import ScratchStore

    before = len(scratch.raw)
    maybe_blank = False
    for path, fmt in files:
        progress = Progress(f"parsing {path.name}", path.stat().st_size)
        with open(path, "rb") as raw:
            counting = _CountingReader(raw, lambda done, p=progress: p.update(done, None),
                                       watch=_BLANK_NODE_MARKS[fmt])
            reader = io.BufferedReader(counting, buffer_size=1 << 20)  # few calls back
            with _parse_errors(path, fmt):
                scratch.raw.bulk_load(input=reader, format=fmt, base_iri=_base_iri(path),
                                      to_graph=ScratchStore.asserted_node)
        maybe_blank = maybe_blank or counting.seen
        progress.finish(len(scratch.raw) - before)
    blank = maybe_blank and scratch.ask("ASK { ?s ?p ?o FILTER (isBlank(?s) || isBlank(?o)) }")
    return len(scratch.raw) - before, blank


def _base_iri(path: Path) -> str:
    return path.resolve().as_uri()


# -- query -------------------------------------------------------------------------------
def _reading_dataset(args) -> Dataset:
    """What ``query`` and ``export`` read: the external store of --endpoint (or
    EDUCLUSTER_ENDPOINT), else the on-disk store's published snapshot."""
    settings = _settings(args)
    if settings.get("endpoint"):
        return open_dataset(settings)
    dataset = DiskDataset(
        default_store_path(args.store),
        snapshot_keep=int(settings["snapshot_keep"]),
        snapshot_grace=float(settings["snapshot_grace"]),
    )
    dataset.prepare_for_reading()
    return dataset


def _query_text(args) -> str:
    if args.query is not None and args.file:
        raise InputError("give the query as an argument or with --file, not both")
    if args.file:
        try:
            return Path(args.file).read_text(encoding="utf-8")
        except OSError as exc:
            raise InputError(f"cannot read the query: {exc.strerror}", source=args.file) from None
        except UnicodeDecodeError:
            raise InputError("the query is not UTF-8 text", source=args.file) from None
    if args.query is None:
        raise InputError("no query: give it as an argument or with --file")
    if args.query == "-":
        return sys.stdin.read()
    return args.query


def _short(term) -> str:
    """A term as a person reads it: a prefixed name where a project prefix fits."""
    if isinstance(term, ox.NamedNode):
        for prefix, iri in PREFIXES.items():
            if term.value.startswith(iri) and _is_local_name(term.value[len(iri):]):
                return f"{prefix}:{term.value[len(iri):]}"
        return f"<{term.value}>"
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    if isinstance(term, ox.Literal):
        if term.language:
            return f"{term.value}@{term.language}"
        return term.value
    return str(term)


def _is_local_name(text: str) -> bool:
    return bool(text) and all(c.isalnum() or c in "_-." for c in text) and not text.endswith(".")


def format_table(variables: list[str], rows: list[dict]) -> str:
    """Rows as an aligned plain-text table with a count line."""
    cells = [[_short(row[v]) if v in row else "" for v in variables] for row in rows]
    widths = [len(v) + 1 for v in variables]
    for line in cells:
        widths = [max(w, len(c)) for w, c in zip(widths, line, strict=True)]
    out = [
        "  ".join(f"?{v}".ljust(w) for v, w in zip(variables, widths, strict=True)).rstrip(),
        "  ".join("-" * w for w in widths),
    ]
    out += [
        "  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip()
        for line in cells
    ]
    out.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(out) + "\n"


def _interrupt_stops_at_once() -> None:
    """Let Ctrl-C end a reading command at once: the engine does not look at Python's
    signal flags while it runs, so a KeyboardInterrupt would wait for the query to end.
    Reading changes nothing, so ending the process mid-query loses nothing."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def run_query(args) -> int:
    text = _query_text(args)
    _interrupt_stops_at_once()
    from educluster.sparql.safety import analyse, check_remote

    settings = resolve(None)
    check_remote(analyse(text), allow_remote=bool(settings["allow_remote"]))
    dataset = _reading_dataset(args)
    store = dataset.reader()
    result = store.query(text)
    out = sys.stdout.buffer
    fmt = (args.format or "").lower() or None
    if result.kind == "graph":
        rdf = RDF_FORMATS.get(fmt or "turtle")
        if rdf is None:
            raise InputError(
                f"--format {fmt}: a CONSTRUCT or DESCRIBE result is a graph; choose one of "
                + ", ".join(sorted(RDF_FORMATS))
            )
        out.write(result.serialize(_GRAPH_MEDIA_TYPES[rdf]))
    elif fmt is not None:
        media_type = RESULTS_FORMATS.get(fmt)
        if media_type is None:
            raise InputError(
                f"--format {fmt}: a SELECT or ASK result is a table; choose one of "
                + ", ".join(RESULTS_FORMATS)
            )
        out.write(result.serialize(media_type))
    elif result.kind == "boolean":
        out.write(b"true\n" if result.boolean() else b"false\n")
    else:
        out.write(format_table(result.variables, list(result.rows())).encode("utf-8"))
    out.flush()
    return 0


# -- export ------------------------------------------------------------------------------
def export_dataset(
    store: Store,
    fmt: str | ox.RdfFormat = "turtle",
    include_derived: bool = True,
    out: str | os.PathLike | BinaryIO | None = None,
) -> int:
    """Write the whole dataset to ``out`` (a path, ``.gz`` gzipped, written whole or not
    at all; a binary file; None: standard output).  Triple formats get the union of all
    graphs, without duplicates; dataset formats keep the named graphs.  Returns the number
    of quads (or triples) written."""
    rdf = fmt if isinstance(fmt, ox.RdfFormat) else RDF_FORMATS.get(str(fmt).lower())
    if rdf is None:
        raise InputError(f"unknown export format {fmt!r}; choose one of {', '.join(RDF_FORMATS)}")
    # the same serialization as HTTP /export (educluster.linked_data.iter_export)
    from educluster.linked_data import FORMATS, export_quads, iter_export

    export_format = next(f for f in FORMATS.values() if f.oxigraph == rdf)
    chunks = iter_export(store, export_format, include_derived=include_derived)
    if out is None:
        for chunk in chunks:
            sys.stdout.buffer.write(chunk)
        sys.stdout.buffer.flush()
    elif hasattr(out, "write"):
        for chunk in chunks:
            out.write(chunk)  # type: ignore[union-attr]
    else:
        _write_file(Path(out), b"".join(chunks))
    quads = export_quads(store, include_derived=include_derived)
    if export_format.is_dataset:
        return sum(1 for _ in quads)
    return len({ox.Triple(q.subject, q.predicate, q.object) for q in quads})


def _write_file(path: Path, data: bytes) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        if path.suffix == ".gz":
            with gzip.open(temporary, "wb") as f:
                f.write(data)
        else:
            temporary.write_bytes(data)
        os.replace(temporary, path)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise InputError(
            f"cannot write the export: {exc.strerror or exc}", source=str(path)
        ) from None


def run_export(args) -> int:
    _interrupt_stops_at_once()
    dataset = _reading_dataset(args)
    count = export_dataset(dataset.reader(), args.format, not args.no_derived, args.out)
    if args.out:
        print(f"exported {count} statements to {args.out}", file=sys.stderr)
    return 0
