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
from collections.abc import Callable, Iterable
from typing import TypeVar

import pyoxigraph as ox

from educluster.store import OxigraphStore, Store

T = TypeVar("T")

#: What a write does about derived knowledge after its change: ``True`` recomputes all of
#: it; a function, called once the change has run, gives the asserted quads the change
#: added or removed, and only what they can affect is derived again
#: (``educluster.reasoning.update_derived``, the same result at the cost of the change);
#: ``False`` leaves it as it is.
Derive = bool | Callable[[], Iterable[ox.Quad]]


def derive_after(store: Store, derive: Derive) -> None:
    """Bring the derived knowledge of ``store`` up to date after a write (see ``Derive``)."""
    if not derive:
        return
    if callable(derive):
        from educluster.reasoning import update_derived

        update_derived(store, derive())
    else:
        from educluster.reasoning import materialize

        materialize(store)


class Dataset(abc.ABC):
    """Where the service's data lives."""

    #: a short name for /health and the service description
    engine: str = "abstract"

    @abc.abstractmethod
    def reader(self) -> Store:
        """A store to read from: the latest published state."""

    @abc.abstractmethod
    def write(self, change: Callable[[Store], T], *, derive: Derive = True) -> T:
        """Run ``change`` on the writable store, serialized with other writes; bring
        derived knowledge up to date (see ``Derive``); publish to readers; return what
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

    def write(self, change: Callable[[Store], T], *, derive: Derive = True) -> T:
        with self._lock:
            result = change(self.store)
            derive_after(self.store, derive)
            return result


class RemoteDataset(Dataset):
    """An external SPARQL 1.1 store (``educluster.store.RemoteStore``).

    The service keeps no state of its own: every read goes to the store, so several
    instances can serve one store behind a load balancer.  A write runs ``change`` and
    then recomputes derived knowledge, under a lock within this process and, across
    instances, under a lease kept in the store itself (``remote.WriteLease``), so that
    two instances never recompute the derived graph at the same time.  The derivation
    is idempotent (it clears the derived graph and recomputes it from the asserted
    data), so whichever instance writes last leaves the derived graph that matches
    every write before it.

    What an embedded store gives and a remote one cannot: readers are not isolated from
    a write in progress (they may see the asserted change before the derived graph is
    recomputed, for the seconds a recomputation takes), and a ``change`` that fails
    half-way through several requests is not rolled back by the store.
    """

    engine = "remote"

    def __init__(self, store: Store, *, lease_seconds: float = 300.0):
        self.store = store
        self.lease_seconds = lease_seconds
        self._lock = threading.Lock()

    def reader(self) -> Store:
        return self.store

    def write(self, change: Callable[[Store], T], *, derive: Derive = True) -> T:
        from educluster.store.remote import WriteLease

        with self._lock, WriteLease(self.store, seconds=self.lease_seconds):
            result = change(self.store)
            derive_after(self.store, derive)
            return result
