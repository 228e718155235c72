"""Independent reads side by side: pyoxigraph evaluates a query (and serializes its
results) without the interpreter lock, so queries in threads use the machine's CPUs.

Used by validation (the shapes' queries) and by the derivation (groups of rules that
read nothing another group writes).
"""

from __future__ import annotations

import concurrent.futures
import os
import traceback
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

#: threads for such work: as many as CPUs, at most four
THREADS = max(1, min(4, os.cpu_count() or 1))


def run_in_threads(tasks: list[Callable[[], T]], threads: int = THREADS) -> list[T]:
    """Every task's result, in the tasks' order, the tasks run in up to ``threads``
    threads (one: in this thread, one after the other).  A task's error is raised here,
    the first in the tasks' order."""
    if threads <= 1 or len(tasks) < 2:
        return [task() for task in tasks]
    with concurrent.futures.ThreadPoolExecutor(min(threads, len(tasks))) as pool:
        return list(pool.map(_call, tasks))


def _call(task: Callable[[], T]) -> T:
    try:
        return task()
    except BaseException as exc:
        # the frames' variables go now, in the thread that made them: a query's result
        # must not be dropped in another thread (pyoxigraph refuses that)
        traceback.clear_frames(exc.__traceback__)
        raise
