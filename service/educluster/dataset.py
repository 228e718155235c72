"""The dataset the service serves: read views and serialized, all-or-nothing writes.

The web layer never opens stores itself: it asks a ``Dataset`` for a store to read and
hands it a function to run for a write.  A write runs under the writers' lock on the
writable store, is followed by the recomputation of derived knowledge, and only then
becomes visible to readers, so that a reader sees the store before or after a write,
never half of it.

``MemoryDataset`` is the in-process variant used by the Flask test client and by
``validate``; the on-disk and remote variants live in ``educluster.server`` and
``educluster.store.remote``.
"""

from __future__ import annotations

import abc
import threading
from collections.abc import Callable
from typing import TypeVar

from educluster.store import OxigraphStore, Store

T = TypeVar("T")


class Dataset(abc.ABC):
    """Where the service's data lives."""

    #: a short name for /health and the service description
    engine: str = "abstract"

    @abc.abstractmethod
    def reader(self) -> Store:
        """A store to read from: the latest published state."""

    @abc.abstractmethod
    def write(self, change: Callable[[Store], T], *, derive: bool = True) -> T:
        """Run ``change`` on the writable store, serialized with other writes; recompute
        derived knowledge (unless ``derive`` is false); publish to readers; return what
        ``change`` returned.  If ``change`` raises, nothing of it is published."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release what the dataset holds."""


class MemoryDataset(Dataset):
    """One in-memory Oxigraph store; writes are serialized by a lock."""

    engine = "oxigraph-memory"

    def __init__(self, store: OxigraphStore | None = None):
        self.store = store if store is not None else OxigraphStore()
        self._lock = threading.Lock()

    def reader(self) -> Store:
        return self.store

    def write(self, change: Callable[[Store], T], *, derive: bool = True) -> T:
        with self._lock:
            result = change(self.store)
            if derive:
                from educluster.reasoning import materialize

                materialize(self.store)
            return result
