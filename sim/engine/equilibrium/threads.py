"""Splitting a compiled kernel's states over threads: Python threads calling GIL-free kernels."""

from __future__ import annotations

import itertools
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity where the platform has one)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


SOLVER_THREADS = max(1, min(2, usable_cores()))
"""Threads the compiled damped iteration splits the grid states over (at most 2, or the cores
this process may use). The states are independent, so the solution is the same for any number.
Python threads calling a GIL-free kernel, not numba's threading layer, which aborts when two
threads (two app sessions) launch parallel kernels at once."""

THREAD_CHUNKS = 8
"""Ranges per thread in :func:`_in_threads`."""

_POOL: ThreadPoolExecutor | None = None
_POOL_PID = 0
_POOL_LOCK = threading.Lock()


def _forget_pool() -> None:
    """In a forked child (a sweep's worker process) the parent's threads do not exist: start afresh."""
    global _POOL, _POOL_LOCK
    _POOL, _POOL_LOCK = None, threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool)


def _in_threads(n: int, work) -> None:
    """``work(start, stop)`` over ``0:n`` in :data:`SOLVER_THREADS` threads, in
    :data:`THREAD_CHUNKS` contiguous ranges per thread that the threads take as they come free
    (the states are not equally hard: one range per thread left one thread idle a fifth of the time)."""
    global _POOL, _POOL_PID
    if SOLVER_THREADS == 1 or n < 256:
        work(0, n)
        return
    with _POOL_LOCK:
        if _POOL is None or os.getpid() != _POOL_PID:
            _POOL = ThreadPoolExecutor(max_workers=SOLVER_THREADS, thread_name_prefix="sim-solver")
            _POOL_PID = os.getpid()
    cuts = np.linspace(0, n, SOLVER_THREADS * THREAD_CHUNKS + 1).astype(int)
    futures = [_POOL.submit(work, int(a), int(b)) for a, b in itertools.pairwise(cuts)]
    for future in futures:
        future.result()
