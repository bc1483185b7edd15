"""The compiled kernels' thread pool: how many threads they use and how a population is split.

The heaviest kernels (a pass over every customer or prospect: hazards, adoption, purchases,
churn decisions) split large populations into pieces run on threads: each person's work is
their own (their own uniforms, their own rows), so any split gives the same numbers. The
pieces are compiled with ``nogil`` and run on a small pool of Python threads, not numba's
parallel loops: parallel loops cannot take our tuples of arrays, and their OpenMP threads spin
and are not safe after fork.

Example:
    >>> import numpy as np
    >>> out = np.zeros(10)
    >>> def rows(first, last, out):
    ...     out[first:last] = 1
    >>> in_pieces(rows, out.size, out); float(out.sum())
    10.0
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

# Below this many people a kernel runs in the calling thread: its work is then a millisecond or
# less, and handing half of it to a thread the system may have put to sleep gains nothing
# (measured: the 100,000-person Mesa comparison, about 60,000 customers, ran 6% slower split).
# From here up it pays: with 162,000 customers (2 cores, quiet) the hazard kernel went from 9.8 to
# 7.7 ms a call (median), adoption 8.2 to 5.0, churn decisions 2.7 to 1.9, purchases 2.5 to 2.1.
PARALLEL_FROM = 65536
_threads: int | None = None
_pool: ThreadPoolExecutor | None = None


def threads() -> int:
    """Threads the kernels use: ``SIM_THREADS`` if set, else the cores this process may use.

    Example:
        >>> threads() >= 1
        True
    """
    global _threads
    if _threads is None:
        wanted = os.environ.get("SIM_THREADS")
        if not wanted:
            _threads = max(1, len(os.sched_getaffinity(0)))
        elif wanted.strip().isdigit() and int(wanted) >= 1:
            _threads = int(wanted)
        else:
            raise ValueError(f"SIM_THREADS must be a whole number of threads, 1 or more; got {wanted!r}")
    return _threads


def set_threads(count: int) -> None:
    """Use ``count`` threads from now on (1: everything in the calling thread); worker
    processes of a sweep use 1, since the processes already fill the cores.

    Example:
        >>> before = threads(); set_threads(1); threads()
        1
        >>> set_threads(before)
    """
    global _threads, _pool
    if count < 1:
        raise ValueError(f"threads must be at least 1, got {count}")
    _threads = count
    if _pool is not None:
        _pool.shutdown(wait=False)
        _pool = None


def in_pieces(rows: Callable[..., None], count: int, *args) -> None:
    """Call ``rows(first, last, *args)`` over ``0..count`` in pieces, one per thread (only for
    ``count >= PARALLEL_FROM`` and more than one thread; else in one call here)."""
    pieces = threads()  # read first: a bad SIM_THREADS fails in any market, not only large ones
    if count < PARALLEL_FROM:
        pieces = 1
    if pieces == 1:
        rows(0, count, *args)
        return
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(max_workers=pieces, thread_name_prefix="sim-kernel")
    bounds = [count * piece // pieces for piece in range(pieces + 1)]
    futures = [_pool.submit(rows, bounds[p], bounds[p + 1], *args) for p in range(1, pieces)]
    rows(bounds[0], bounds[1], *args)  # the calling thread takes the first piece
    for future in futures:
        future.result()
