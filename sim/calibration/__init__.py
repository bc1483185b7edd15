"""Calibration: fit chosen scenario parameters (within bounds) to observed targets.

The workflow of ``sim calibrate``, one module each: the targets file (:mod:`~sim.calibration.targets`:
TOML, docs/research.md, "Targets files", read with pydantic models and checked against the
scenario), the measurement of every target on a simulated run (:mod:`~sim.calibration.measure`:
the :class:`TargetRunner` runs through the experiments executor, so calibration runs in this
process, a process pool or on Dask, and resumes from its finished runs), the objective and the
optimiser (:mod:`~sim.calibration.fit`: scipy's differential evolution, or Nelder-Mead with
bounds), and the result with its table, figure and files (:mod:`~sim.calibration.outputs`: the
fitted scenario, the fit and the optimiser's trace). Bayesian calibration (``--method abc``):
:mod:`~sim.calibration.abc` runs ABC-SMC (pyabc) through the same executor and
:mod:`~sim.calibration.posterior` holds its posterior, tables and files. Every public name is here.

Every candidate is run on the same replicate seeds (common random numbers), so two candidates
differ only through their parameters, and the objective is computed on the replicate means of
each target point. The objective is a weighted mean of scale-free errors::

    scale_ti = max(|o_ti|, 0.05 max_j |o_tj|)      (1 if every o_tj of the target is 0)
    e_ti     = (s_ti - o_ti) / scale_ti             (1 where the simulated value is undefined)
    E_t      = mean_i e_ti^2                        (the target's mean squared relative error)
    J        = sum_t w_t E_t / sum_t w_t

where ``o_ti`` is point i of target t as observed, ``s_ti`` its mean over the replicates and
``w_t`` the target's weight; ``sqrt(E_t)`` is reported as the target's RMS relative error.

Example:
    >>> error, errors = objective_terms([100.0, 200.0], [110.0, 180.0])
    >>> round(error, 6), errors
    (0.01, [0.1, -0.1])
    >>> fit = calibrate(scenario, "data/cdnow/targets.toml")  # doctest: +SKIP
    >>> print(fit.table()); fit.write("results/cdnow/calibrate")  # doctest: +SKIP
"""

from typing import Any

from sim.calibration.fit import FLOOR, calibrate, objective_terms, replicate_means, simulate_targets
from sim.calibration.measure import SpellTracker, TargetRunner, measure, membership_retention, runner_for
from sim.calibration.outputs import Calibration, fit_figure, format_calibration, write_calibration
from sim.calibration.posterior import PINNED, Posterior, posterior_table, predictive_bands, weighted_quantiles
from sim.calibration.targets import (
    ABC_SETTINGS,
    KINDS,
    METHODS,
    SETTINGS,
    ChurnReasonsTarget,
    RepeatPurchasesTarget,
    RetentionTarget,
    ScalarTarget,
    SeriesTarget,
    SettingsTable,
    Target,
    TargetSet,
    TargetsFile,
    load_targets,
    older_target_forms,
    write_target_set,
)

__all__ = [
    "ABC_SETTINGS",
    "FLOOR",
    "KINDS",
    "METHODS",
    "PINNED",
    "SETTINGS",
    "BatchSampler",
    "Calibration",
    "ChurnReasonsTarget",
    "Posterior",
    "RepeatPurchasesTarget",
    "RetentionTarget",
    "ScalarTarget",
    "SeriesTarget",
    "SettingsTable",
    "SpellTracker",
    "Target",
    "TargetRunner",
    "TargetSet",
    "TargetsFile",
    "calibrate",
    "calibrate_abc",
    "candidate_seeds",
    "distance_for",
    "fit_figure",
    "format_calibration",
    "load_targets",
    "measure",
    "membership_retention",
    "objective_terms",
    "older_target_forms",
    "posterior_table",
    "predictive_bands",
    "replicate_means",
    "runner_for",
    "simulate_targets",
    "weighted_quantiles",
    "write_calibration",
    "write_target_set",
]


# Bayesian calibration imports pyabc (seconds): loaded when one of its names is first used.
_ABC_NAMES = ("BatchSampler", "calibrate_abc", "candidate_seeds", "distance_for")


def __getattr__(name: str) -> Any:
    """The names of :mod:`sim.calibration.abc`, imported on first use."""
    if name in _ABC_NAMES:
        from sim.calibration import abc

        return getattr(abc, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
