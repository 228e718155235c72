"""The durable dataset on disk and the production server that serves it.

Store layout (``--store PATH``, default ``./educluster-store``)::

    PATH/primary/              the read-write Oxigraph store
    PATH/snapshots/<gen>/      immutable, published copies (RocksDB checkpoints: hard links)
    PATH/CURRENT               the generation readers use, replaced atomically
    PATH/write.lock            the writers' lock (fcntl.flock)
    PATH/dirty                 present while a write is in progress

An on-disk Oxigraph store may be opened read-write by one process only, and opening it
read-only while another process writes is undefined behaviour.  So the primary is opened
only by the process holding the writers' lock, and only for one write: the change, then
the recomputation of derived knowledge, then a snapshot, then ``CURRENT`` points at it.
Readers, in every worker process and in ``educluster query``/``export``, open the snapshot
that ``CURRENT`` names, read-only, and reopen when ``CURRENT`` changes (one ``os.stat``
per request).  A reader therefore sees the store before or after a write, never half of
it, and readers never block each other or the writer.  A write is acknowledged only once
``CURRENT`` names its snapshot.

If a write fails (or the process dies in the middle of one), the primary is rebuilt from
the last published snapshot: an unacknowledged write leaves no trace.

``educluster serve`` runs the Flask app under gunicorn in several worker processes that
answer one request at a time each, so that the query time limit can end a worker
(``educluster.limits``) while the others keep serving; connections are kept alive between
requests (``educluster.worker``) unless the ``keep_alive`` setting is 0 (gunicorn's sync
worker).
"""

from __future__ import annotations

import contextlib
import fcntl
import gc
import os
import shutil
import socket
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pyoxigraph as ox

from educluster.dataset import Dataset, Derive, derive_after
from educluster.errors import EduclusterError, StoreError
from educluster.store import OxigraphStore, Store
from educluster.store.base import parse_rdf, rdf_format_for
from educluster.vocab import DATA_GRAPH_PREFIX

T = TypeVar("T")

DEFAULT_STORE = "educluster-store"


def default_store_path(value: str | os.PathLike | None = None) -> Path:
    """The store directory: the given one, else ``EDUCLUSTER_STORE``, else ./educluster-store."""
    return Path(value or os.environ.get("EDUCLUSTER_STORE") or DEFAULT_STORE)


def initial_quads(*, examples: bool = True) -> list[ox.Quad]:
    """The ontology, the shapes and (unless ``examples`` is false) the example clusters,
    each in its named graph, parsed completely (``educluster.bootstrap``)."""
    from educluster.bootstrap import initial_files

    quads: list[ox.Quad] = []
    for path, graph in initial_files():
        if not examples and graph.startswith(DATA_GRAPH_PREFIX):
            continue
        quads += parse_rdf(path.read_bytes(), rdf_format_for(path), source=str(path), graph=graph)
    return quads


class DiskDataset(Dataset):
    """The snapshot design of the module docstring.

    >>> import tempfile
    >>> dataset = DiskDataset(tempfile.mkdtemp())
    >>> dataset.prepare(examples=False)
    True
    >>> dataset.write(lambda s: s.update('INSERT DATA { <http://e/a> <http://e/p> 1 }'))
    >>> dataset.reader().ask('ASK { <http://e/a> <http://e/p> 1 }')
    True
    """

    engine = "oxigraph"

    def __init__(
        self,
        path: str | os.PathLike,
        *,
        snapshot_keep: int = 3,
        snapshot_grace: float = 60.0,
    ):
        self.path = Path(path).absolute()
        self.primary_dir = self.path / "primary"
        self.snapshots_dir = self.path / "snapshots"
        self.current_file = self.path / "CURRENT"
        self.lock_file = self.path / "write.lock"
        self.dirty_file = self.path / "dirty"
        self.snapshot_keep = max(2, snapshot_keep)
        self.snapshot_grace = max(0.0, snapshot_grace)
        self._reader: OxigraphStore | None = None
        self._reader_key: tuple | None = None
        self._reader_lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._directory_checked = False

    # -- set-up ------------------------------------------------------------------------
    def exists(self) -> bool:
        """Whether a store has been created at this path."""
        return self.current_file.exists() or self.primary_dir.exists()

    def prepare(self, *, examples: bool = True) -> bool:
        """Make the store ready to serve: create it (ontology, shapes and, unless
        ``examples`` is false, the example clusters) when it is new, recover from a write
        that was cut short, publish a snapshot when none is valid.  Needs a writable
        directory; raises ``StoreError`` with the reason otherwise.  Returns whether the
        store was created now."""
        self._check_directory()
        with self._writers_lock():
            self._recover()
            if self._published_generation() is not None:
                return False
            created = not self.primary_dir.exists()
            quads = initial_quads(examples=examples) if created else []
            self._write_locked(lambda store: store.add_quads(quads), derive=True)
            return created

    def prepare_for_reading(self) -> None:
        """Make sure a published snapshot exists, without writing when one does (so that a
        store on read-only media can still be queried)."""
        if not self.exists():
            raise StoreError(
                f"there is no store at {self.path}: create it with `educluster serve` or "
                "`educluster load` (or give --store)"
            )
        if self._published_generation() is None:
            self.prepare(examples=False)

    #: what a store directory holds (anything else: it is not one of ours)
    _OWN_NAMES = ("primary", "snapshots", "CURRENT", "write.lock", "dirty")

    def _check_directory(self) -> None:
        if self.path.exists() and not self.path.is_dir():
            raise StoreError(f"the store path {self.path} is not a directory")
        if self.path.is_dir() and not self.exists():
            foreign = [
                p.name for p in self.path.iterdir()
                if p.name not in self._OWN_NAMES and not p.name.startswith((".probe-", "CURRENT."))
            ]
            if foreign:
                raise StoreError(
                    f"{self.path} is not empty and holds no educluster store "
                    f"(it has {sorted(foreign)[0]!r}); give a new or empty directory"
                )
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            self.snapshots_dir.mkdir(exist_ok=True)
            probe = self.path / f".probe-{os.getpid()}"
            probe.write_bytes(b"")
            probe.unlink()
            self.lock_file.touch(exist_ok=True)
            self._directory_checked = True
        except OSError as exc:
            raise StoreError(
                f"the store directory {self.path} is not writable: "
                f"{exc.strerror or exc}; give a writable --store"
            ) from None

    # -- reading -----------------------------------------------------------------------
    def reader(self) -> Store:
        """The published snapshot, opened read-only; reopened when ``CURRENT`` changes."""
        try:
            stat = os.stat(self.current_file)
        except FileNotFoundError:
            raise StoreError(
                f"the store at {self.path} has no published snapshot yet"
            ) from None
        key = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
        reader = self._reader
        if reader is not None and key == self._reader_key:
            return reader
        with self._reader_lock:
            if self._reader is not None and key == self._reader_key:
                return self._reader
            for attempt in range(3):
                generation = self._published_generation(check=False)
                if generation is None:
                    raise StoreError(f"the store at {self.path} has no published snapshot")
                try:
                    store = OxigraphStore(self._snapshot_dir(generation), read_only=True)
                    break
                except StoreError:
                    if attempt == 2:  # CURRENT moved on and its snapshot went meanwhile
                        raise
                    time.sleep(0.01)
            self._reader, self._reader_key = store, key
            return store

    @property
    def generation(self) -> int | None:
        """The generation of the published snapshot (None when there is none)."""
        return self._published_generation(check=False)

    # -- writing -----------------------------------------------------------------------
    def write(self, change: Callable[[Store], T], *, derive: Derive = True) -> T:
        """Run ``change`` on the primary under the writers' lock, bring derived knowledge
        up to date (``dataset.Derive``), publish a snapshot and return ``change``'s result
        once readers see it.  If anything fails, nothing of the change is published and the
        primary is rebuilt from the published snapshot."""
        if not self._directory_checked:
            self._check_directory()
        with self._writers_lock():
            self._recover(check=False)
            return self._write_locked(change, derive=derive)

    def _write_locked(self, change: Callable[[Store], T], *, derive: Derive) -> T:
        self._mark_dirty()
        store = self._open_primary()
        try:
            result = change(store)
            derive_after(store, derive)
            self._publish(store)
        except BaseException:
            store.close()
            del store
            self._restore_primary()
            self._clear_dirty()
            raise
        store.close()
        del store
        self._clear_dirty()
        self._prune()
        return result

    @contextlib.contextmanager
    def _writers_lock(self) -> Iterator[None]:
        # The thread lock serializes writers of this process; flock (on a descriptor of
        # our own) those of every process, gunicorn workers and the command line alike.
        with self._write_lock:
            try:
                fd = os.open(self.lock_file, os.O_RDWR | os.O_CREAT, 0o644)
            except OSError as exc:
                raise StoreError(
                    f"cannot open the writers' lock {self.lock_file}: {exc.strerror}"
                ) from None
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                yield
            finally:
                os.close(fd)  # closing releases the lock

    def _open_primary(self) -> OxigraphStore:
        try:
            return OxigraphStore(self.primary_dir)
        except StoreError:
            gc.collect()  # a store dropped by an earlier write may wait for collection
            return OxigraphStore(self.primary_dir)

    def _mark_dirty(self) -> None:
        with open(self.dirty_file, "wb") as f:
            f.write(str(os.getpid()).encode())
            f.flush()
            os.fsync(f.fileno())

    def _clear_dirty(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.dirty_file.unlink()
        _fsync_dir(self.path)

    # -- snapshots ---------------------------------------------------------------------
    def _snapshot_dir(self, generation: int) -> Path:
        return self.snapshots_dir / f"{generation:010d}"

    def _generations(self) -> list[int]:
        try:
            names = [p.name for p in self.snapshots_dir.iterdir()]
        except FileNotFoundError:
            return []
        return sorted(int(n) for n in names if n.isdigit())

    def _published_generation(self, *, check: bool = True) -> int | None:
        """The generation ``CURRENT`` names, if its snapshot exists (and, with ``check``,
        opens)."""
        try:
            text = self.current_file.read_text().strip()
        except FileNotFoundError:
            return None
        if not text.isdigit():
            return None
        generation = int(text)
        directory = self._snapshot_dir(generation)
        if not directory.is_dir():
            return None
        if check:
            try:
                OxigraphStore(directory, read_only=True).close()
            except StoreError:
                return None
        return generation

    def _publish(self, store: OxigraphStore) -> int:
        generation = max([*self._generations(), self._published_generation(check=False) or 0]) + 1
        target = self._snapshot_dir(generation)
        store.snapshot(target)
        _fsync_dir(self.snapshots_dir)
        temporary = self.path / f"CURRENT.{os.getpid()}.tmp"
        with open(temporary, "w") as f:
            f.write(f"{generation}\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, self.current_file)
        _fsync_dir(self.path)
        return generation

    def _prune(self) -> None:
        """Delete snapshots older than the newest ``snapshot_keep`` and the grace period."""
        current = self._published_generation(check=False)
        generations = self._generations()
        now = time.time()
        for generation in generations[: -self.snapshot_keep]:
            if generation == current:
                continue
            directory = self._snapshot_dir(generation)
            try:
                age = now - directory.stat().st_mtime
            except FileNotFoundError:
                continue
            if age >= self.snapshot_grace:
                shutil.rmtree(directory, ignore_errors=True)

    # -- recovery ----------------------------------------------------------------------
    def _recover(self, *, check: bool = True) -> None:
        """Called under the writers' lock: undo a write that was cut short (``check``:
        also make sure the published snapshot opens)."""
        for leftover in self.path.glob("CURRENT.*.tmp"):
            leftover.unlink(missing_ok=True)
        published = self._published_generation(check=check)
        dirty = self.dirty_file.exists()
        if published is not None:
            for generation in self._generations():
                if generation > published:  # a snapshot made but never published
                    shutil.rmtree(self._snapshot_dir(generation), ignore_errors=True)
            if dirty or not self.primary_dir.exists():
                self._restore_primary()
                self._clear_dirty()
        elif dirty and self.primary_dir.exists():
            # Cut short before anything was ever published: start again from nothing.
            shutil.rmtree(self.primary_dir)
            self._clear_dirty()

    def _restore_primary(self) -> None:
        """Replace the primary by a copy of the published snapshot (or by nothing)."""
        gc.collect()
        if self.primary_dir.exists():
            shutil.rmtree(self.primary_dir)
        published = self._published_generation(check=False)
        if published is None:
            return
        snapshot = OxigraphStore(self._snapshot_dir(published), read_only=True)
        try:
            snapshot.snapshot(self.primary_dir)
        finally:
            snapshot.close()

    def close(self) -> None:
        with self._reader_lock:
            if self._reader is not None:
                self._reader.close()
            self._reader = self._reader_key = None


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# -- the production server -------------------------------------------------------------
def worker_count(settings: dict) -> int:
    """The ``workers`` setting, 0 meaning 2 × CPU cores + 1."""
    workers = int(settings.get("workers") or 0)
    if workers > 0:
        return workers
    return 2 * (os.cpu_count() or 1) + 1


def open_dataset(settings: dict, *, prepare: bool = False) -> Dataset:
    """The dataset the settings describe: an external store with ``endpoint``, else the
    on-disk store (created and recovered first when ``prepare`` is true)."""
    if settings.get("endpoint"):
        return _open_remote(settings, prepare=prepare)
    query_timeout = float(settings.get("query_timeout") or 0)
    dataset = DiskDataset(
        default_store_path(settings.get("store")),
        snapshot_keep=int(settings.get("snapshot_keep") or 3),
        snapshot_grace=max(float(settings.get("snapshot_grace") or 0), 2 * query_timeout),
    )
    if prepare:
        created = dataset.prepare(examples=bool(settings.get("load_examples", True)))
        if created:
            print(f"educluster: created the store at {dataset.path}", file=sys.stderr)
    return dataset


def _open_remote(settings: dict, *, prepare: bool) -> Dataset:
    """An external SPARQL 1.1 store; when preparing, one without the ontology graph gets
    the first-start content like an empty on-disk store."""
    from educluster.dataset import RemoteDataset
    from educluster.store.remote import RemoteStore
    from educluster.vocab import ONTOLOGY_GRAPH

    query_timeout = float(settings.get("query_timeout") or 0)
    store = RemoteStore(
        settings["endpoint"], settings.get("update_endpoint"),
        query_time_limit=query_timeout or None, timeout=max(60.0, 2 * query_timeout),
    )
    dataset = RemoteDataset(store)
    ask = f"ASK {{ GRAPH <{ONTOLOGY_GRAPH}> {{ ?s ?p ?o }} }}"
    if prepare and not dataset.reader().ask(ask):
        quads = initial_quads(examples=bool(settings.get("load_examples", True)))

        def load_once(store) -> bool:
            # Checked again under the write lease: instances starting together load once.
            if store.ask(ask):
                return False
            store.add_quads(quads)
            return True

        if dataset.write(load_once):
            print(f"educluster: loaded the first-start content into {settings['endpoint']}",
                  file=sys.stderr)
    return dataset


def make_app(settings: dict, dataset: Dataset | None = None):
    """The Flask app over the dataset the settings describe."""
    from educluster.web import create_app

    return create_app(dataset if dataset is not None else open_dataset(settings), settings=settings)


def keep_alive_seconds(settings: dict) -> int:
    """The ``keep_alive`` setting (0: a new connection for every request)."""
    value = settings.get("keep_alive")
    return max(0, int(2 if value is None else value))


def gunicorn_options(settings: dict) -> dict:
    """gunicorn's configuration for the settings."""
    host = settings.get("host") or "127.0.0.1"
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    query_timeout = float(settings.get("query_timeout") or 0)
    keep_alive = keep_alive_seconds(settings)
    options = {
        "bind": [f"{host}:{int(settings.get('port') or 8000)}"],
        "workers": worker_count(settings),
        # one request at a time per process either way (the time limit ends the process)
        "worker_class": "educluster.worker.KeepAliveWorker" if keep_alive > 0 else "sync",
        # gunicorn's own timeout only catches a worker hung outside a query; the query
        # limit is enforced by the worker itself (educluster.limits).
        # (0 when queries have no limit: gunicorn then never times a worker out)
        "timeout": int(max(30.0, 2 * query_timeout + 30)) if query_timeout > 0 else 0,
        "graceful_timeout": 10,
        "keepalive": keep_alive,
        "limit_request_line": 8190,
        "errorlog": "-",
        "loglevel": "info",
        "proc_name": "educluster",
        "preload_app": False,
        "control_socket_disable": True,  # several servers may run on one machine
    }
    if settings.get("access_log"):
        from educluster.accesslog import redacting_logger

        options["accesslog"] = settings["access_log"]
        options["logger_class"] = redacting_logger(settings.get("write_token"))
    return options


def _post_worker_init(worker) -> None:
    from educluster import limits

    limits.install_process_killer()
    dataset = worker.app.dataset
    if dataset is not None:
        with contextlib.suppress(StoreError):
            dataset.reader()  # open the snapshot before the first request


#: the free space the store's file system must have for ``serve`` to start: room for
#: RocksDB's write-ahead log and compactions and the snapshots of a moderate store
MIN_FREE_BYTES = 16 * 1024 * 1024


def check_free_space(path: Path, minimum: int = MIN_FREE_BYTES) -> None:
    """Refuse to serve a store whose file system is (nearly) full: every write would
    fail, and a first start would leave a half-made store behind."""
    existing = Path(path).absolute()
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    try:
        stat = os.statvfs(existing)
    except OSError:
        return  # cannot tell: the directory checks that follow will say what is wrong
    free = stat.f_bavail * stat.f_frsize
    if free < minimum:
        raise StoreError(
            f"the store directory {path} has only {free / 2**20:.1f} MiB free on its file "
            f"system (serving needs at least {minimum // 2**20} MiB to take writes); free "
            "some space or give another --store"
        )


def serve(settings: dict) -> None:
    """Prepare the store (first start: ontology, shapes, examples), then serve it under
    gunicorn until interrupted."""
    from gunicorn.app.base import BaseApplication

    _check_address(settings)
    if not settings.get("endpoint"):
        check_free_space(default_store_path(settings.get("store")))
    # RocksDB must not be used in the arbiter: a process forked after it ran inherits its
    # background thread pool's state without the threads, and hangs on its first flush.
    # So the store is prepared in a short-lived child process.
    _in_child_process(lambda: open_dataset(settings, prepare=True).close())
    make_app_check = _check_app_factory()
    if make_app_check is not None:
        raise EduclusterError(make_app_check)

    class EduclusterApplication(BaseApplication):
        def __init__(self) -> None:
            self.dataset: Dataset | None = None
            super().__init__()

        def load_config(self) -> None:
            for key, value in gunicorn_options(settings).items():
                self.cfg.set(key, value)
            self.cfg.set("post_worker_init", _post_worker_init)

        def load(self):
            # Runs in each worker after fork: every process opens its own reader.
            self.dataset = open_dataset(settings)
            return make_app(settings, self.dataset)

    host, port = settings.get("host"), settings.get("port")
    print(
        f"educluster: serving http://{host}:{port}/sparql with {worker_count(settings)} workers "
        f"(query time limit {float(settings.get('query_timeout') or 0):g} s)",
        file=sys.stderr,
        flush=True,
    )
    EduclusterApplication().run()


def _in_child_process(function: Callable[[], object]) -> None:
    """Run ``function`` in a forked child; its ``EduclusterError`` is raised here."""
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        os.close(reader)
        status = 0
        try:
            function()
            message = b""
        except EduclusterError as exc:
            message, status = str(exc).encode("utf-8", "replace"), 2
        except BaseException:
            message, status = traceback.format_exc().encode("utf-8", "replace"), 1
        with os.fdopen(writer, "wb") as pipe:
            pipe.write(message)
        sys.stderr.flush()
        os._exit(status)
    os.close(writer)
    with os.fdopen(reader, "rb") as pipe:
        message = pipe.read().decode("utf-8", "replace")
    _, wait_status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(wait_status)
    if code == 2:
        raise StoreError(message)
    if code != 0:
        raise StoreError(f"preparing the store failed (status {code}): {message.strip()}")


def _check_address(settings: dict) -> None:
    """Fail with one line when the address cannot be listened on (gunicorn would retry
    for seconds and then print its own report)."""
    host = settings.get("host") or "127.0.0.1"
    port = int(settings.get("port") or 8000)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise EduclusterError(f"cannot listen on {host}: {exc.strerror}") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            raise EduclusterError(
                f"cannot listen on {host}:{port}: {exc.strerror}; choose another --port"
            ) from None


def _check_app_factory() -> str | None:
    try:
        from educluster.web import create_app  # noqa: F401
    except ImportError as exc:
        return f"the web application cannot be loaded: {exc}"
    return None


__all__ = [
    "DEFAULT_STORE", "DiskDataset", "default_store_path",
    "gunicorn_options", "initial_quads", "make_app", "open_dataset", "serve", "worker_count",
]
