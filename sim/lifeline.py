"""Worker processes end with the process that started them.

Owns one rule: a worker process of a ``sim`` command (a process-pool worker, or a Dask worker
started by ``--cluster local``) exits, at once and without clean-up, when its parent process is
gone, even when the parent was killed with SIGKILL and so could not stop it. Without this rule a
pool worker outlives its parent: it blocks on its task queue, whose write end it holds itself, so
it never sees end-of-file, and it holds the write end of multiprocessing's resource-tracker pipe,
which keeps the tracker alive as well (the tracker exits by itself once the workers are gone).

A daemon thread in the worker compares ``os.getppid()`` with the parent's pid every
:data:`CHECK_SECONDS` (the parent's death reparents the worker, so the pid changes at once, even
before anyone reaps the parent) and calls ``os._exit``. Nothing a worker computes is lost: a run
is stored in the cache by the parent, which is gone.

The thread starts as early as a worker can run our code: when it first imports ``sim`` (the top
of ``sim/__init__.py`` calls :func:`watch_parent` when :func:`is_spawned_worker`). A spawned worker
imports the parent's main module first (``sim.cli`` for the command line) and the task functions
next, so this is a tenth of a second after the process starts, rather than after the seconds it
spends importing NumPy, pandas, SciPy and the compiled kernels. The pool's initializer then calls
:func:`watch_parent` with the pid the parent passed in, which also catches a parent that died
before the worker imported anything. A Dask worker (``--cluster local``) has its own watch, a
pipe from its nanny, which lives in the command's process: it exits at once too. One window is
left: a parent killed in the first 0.2-0.7 s of a worker's life (measured here), before the
worker's first import of ``sim``; the worker then ends when its imports finish (a pool worker, at
its initializer) or when Dask's watch starts, seconds later. This module imports only the
standard library, so that the check costs nothing in start-up time.

Example:
    >>> is_spawned_worker()  # this process was not started by multiprocessing's spawn
    False
"""

from __future__ import annotations

import os
import sys
import threading
import time

# How often a worker checks its parent: it exits within this (plus the end of the compiled kernel
# call it is in, which holds the interpreter lock: milliseconds at the market sizes we run).
CHECK_SECONDS = 0.25
# The exit status of a worker whose parent died (nobody reads it: its parent is gone).
ORPHANED = 1

_watched: set[int] = set()
_lock = threading.Lock()


def is_spawned_worker() -> bool:
    """Whether this process was started by multiprocessing's ``spawn`` (a process pool or a Dask
    nanny): its interpreter's own command line ends with ``--multiprocessing-fork``."""
    return "--multiprocessing-fork" in getattr(sys, "orig_argv", ())


def watch_parent(parent: int | None = None) -> None:
    """End this process as soon as ``parent`` (default: its parent now) is no longer its parent.

    Starts a daemon thread, once per ``parent``; a ``parent`` that is already not this process's
    parent (it died before this call) ends the process within :data:`CHECK_SECONDS`.

    Example:
        >>> watch_parent(os.getppid())  # doctest: +SKIP
    """
    parent = os.getppid() if parent is None else parent
    with _lock:
        if parent in _watched:
            return
        _watched.add(parent)
    threading.Thread(target=_watch, args=(parent,), name=f"sim-lifeline-{parent}", daemon=True).start()


def _watch(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(CHECK_SECONDS)
    os._exit(ORPHANED)
