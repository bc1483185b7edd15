"""Deprecated: the compiled loops that lived here have one home each (issue 17).

The random-number hash is :mod:`sim.streams` (``uniform_one``, ``uniform_for_slots``,
``uniforms_for_keys``); the normal quantile, exponentials and k-smallest choices are
:mod:`sim.numerics`; the thread pool :mod:`sim.threads`; each behaviour's loops sit with its rule
in :mod:`sim.agents.behaviours`; the levers' in :mod:`sim.strategies.targeting`; the network
generators in :mod:`sim.network.generators`; the recorder's in :mod:`sim.recording`. The names of
the shared machinery still resolve here, with a DeprecationWarning.

Example:
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     from sim.kernels import threads
    >>> caught[0].category.__name__, threads.__module__
    ('DeprecationWarning', 'sim.threads')
"""

from __future__ import annotations

from sim.moved import moved_names

# Each old name and the module that now holds it.
_MOVED = {
    "PARALLEL_FROM": "sim.threads",
    "threads": "sim.threads",
    "set_threads": "sim.threads",
    "in_pieces": "sim.threads",
    "exp_each": "sim.numerics",
    "expm1_each": "sim.numerics",
    "smallest": "sim.numerics",
    "largest": "sim.numerics",
    "below_chance": "sim.numerics",
    "normal_quantile": "sim.numerics",
    "normal_quantile_cells": "sim.numerics",
    "uniform_one": "sim.streams",
    "uniform_for_slots": "sim.streams",
    "uniforms_for_keys": "sim.streams",
    "population_counts": "sim.recording",
    "won_weight": "sim.recording",
    "csr_from_sorted_codes": "sim.network.generators",
    "barabasi_albert_edges": "sim.network.generators",
    "powerlaw_cluster_edges": "sim.network.generators",
}


__getattr__ = moved_names(
    "sim.kernels",
    _MOVED,
    ": the behaviours' kernels now live with their rules in sim.agents.behaviours, the levers' in "
    "sim.strategies.targeting",
)
