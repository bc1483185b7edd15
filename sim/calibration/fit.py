"""The fit: the objective a calibration minimises and the optimiser that minimises it.

Owns :func:`calibrate`: every candidate (a point within the fitted parameters' bounds) is run on
the same replicate seeds (common random numbers) through the experiments executor with the
targets' :class:`sim.calibration.measure.TargetRunner`, the objective is computed on the
replicate means of each target point (:func:`objective_terms`: a weighted mean of scale-free
errors, documented in :mod:`sim.calibration`), and scipy's differential evolution (then
Nelder-Mead on the rest of the budget) or Nelder-Mead alone searches the bounds. Also
:func:`simulate_targets`, which fills a template's observed values with the scenario's own
(synthetic data with known parameters, to check that a fit recovers them).

Example:
    >>> error, errors = objective_terms([100.0, 200.0], [110.0, 180.0])
    >>> round(error, 6), errors
    (0.01, [0.1, -0.1])
"""

from __future__ import annotations

import math
import os
import sys
import time
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from sim.calibration.measure import runner_for
from sim.calibration.outputs import Calibration
from sim.calibration.targets import METHODS, Target, TargetSet, load_targets
from sim.design import check_uncertainties, typed_value
from sim.execution import RunSpec, config_hash, execute, seeds_for
from sim.manifest import Invocation
from sim.scenario import Scenario, ScenarioError
from sim.statistics import mean_ci

FLOOR = 0.05  # a point's error scale is at least this share of the target's largest value


def objective_terms(
    observed: Sequence[float], simulated: Sequence[float | None]
) -> tuple[float, list[float]]:
    """A target's mean squared relative error E_t and its per-point errors e_ti (module docstring).

    Example:
        >>> objective_terms([100.0, 200.0], [110.0, None])  # 10% off, and undefined (error 1)
        (0.505, [0.1, 1.0])
    """
    observed = np.asarray(observed, dtype=float)
    largest = float(np.abs(observed).max()) if observed.size else 0.0
    scale = np.maximum(np.abs(observed), FLOOR * largest) if largest > 0 else np.ones_like(observed)
    errors = [
        1.0 if s is None else float((s - o) / c) for s, o, c in zip(simulated, observed, scale, strict=True)
    ]
    return float(np.mean(np.square(errors))), errors


def replicate_means(values: Sequence[Sequence[float | None]]) -> dict[str, list[float | None]]:
    """Per point over the replicates: ``mean``, 95% CI half-width ``ci95_half``, ``min`` and
    ``max`` (None where no replicate is defined; the half-width needs two).

    Example:
        >>> replicate_means([[1.0, 10.0], [3.0, None]])["mean"]
        [2.0, 10.0]
    """
    out: dict[str, list[float | None]] = {"mean": [], "ci95_half": [], "min": [], "max": []}
    for point in zip(*values, strict=True):
        mean, interval = mean_ci(point)
        defined = [v for v in point if v is not None]
        out["mean"].append(mean)
        out["ci95_half"].append(None if interval is None else (interval[1] - interval[0]) / 2)
        out["min"].append(min(defined) if defined else None)
        out["max"].append(max(defined) if defined else None)
    return out


def calibrate(
    scenario: Scenario,
    targets: TargetSet | str | os.PathLike[str],
    uncertainties: Mapping[str, Any] | None = None,
    runs: int | None = None,
    seed: int | None = None,
    max_evaluations: int | None = None,
    method: str | None = None,
    *,
    parameters: Mapping[str, Any] | None = None,
    **execution: Any,
) -> Calibration:
    """Fit the targets' parameters to their observed values.

    Args:
        scenario: the scenario to calibrate (its other values stay as they are).
        targets: a :class:`TargetSet` or the path of a targets file.
        uncertainties: dotted key -> range (``(low, high)`` or ``{"low", "high"}``), replacing the
            file's ``[uncertainties]``.
        runs, seed, max_evaluations, method: replace the file's ``[settings]``.
        parameters: the older name of ``uncertainties`` (deprecated).
        **execution: ``out``, ``jobs``, ``cluster``, ``progress`` as in :func:`sim.experiments.execute`.

    Example:
        >>> from sim import load_scenario
        >>> s = load_scenario("scenarios/cdnow.toml", {"market.size": 300})
        >>> fit = calibrate(s, "data/cdnow/targets.toml", max_evaluations=6, runs=1, jobs=1)  # doctest: +SKIP
        >>> print(fit.table()); fit.write("results/cdnow/calibrate")  # doctest: +SKIP
    """
    from scipy import optimize

    if parameters is not None:
        warnings.warn(
            "calibrate(parameters=...) is deprecated: the fitted keys are uncertainties=...",
            DeprecationWarning,
            stacklevel=2,
        )
        uncertainties = parameters if uncertainties is None else uncertainties
    started = time.perf_counter()
    invocation = Invocation.api(
        "sim.calibration.calibrate", targets=targets if not isinstance(targets, TargetSet) else targets.source,
        uncertainties=uncertainties, runs=runs, seed=seed, max_evaluations=max_evaluations, method=method,
        **execution,
    )  # fmt: skip
    progress = execution.pop("progress", False)
    if not isinstance(targets, TargetSet):
        targets = load_targets(targets, scenario, uncertainties)
    elif uncertainties is not None:
        fitted = check_uncertainties(scenario, uncertainties, "--param")
        targets = TargetSet(**{**targets.__dict__, "uncertainties": {u.key: u.ends() for u in fitted}})
    runs = runs or targets.runs
    budget = max_evaluations or targets.max_evaluations
    method = method or targets.method
    if method not in METHODS:
        raise ScenarioError(f"method {method!r}: allowed: {', '.join(METHODS)}")
    if method == "abc":
        raise ScenarioError(
            f"{targets.source}: method 'abc' is Bayesian calibration: call sim.calibration.calibrate_abc "
            "(sim calibrate --method abc); calibrate() fits a point with differential_evolution or nelder-mead"
        )
    seed = targets.seed if seed is None else seed
    seed = scenario.run.seed if seed is None else seed
    seeds = seeds_for(scenario, runs, seed)
    base = scenario.without_experiments()
    keys = list(targets.uncertainties)
    low = np.array([targets.uncertainties[k][0] for k in keys])
    high = np.array([targets.uncertainties[k][1] for k in keys])
    runner = runner_for(targets.targets)
    weights = np.array([t.weight for t in targets.targets])
    rows: list[dict[str, Any]] = []
    details: list[dict[str, Any]] = []

    seen: dict[tuple[Any, ...], float] = {}  # a candidate evaluated before is not run again
    phase = ["differential_evolution" if method == "differential_evolution" else "nelder-mead"]

    def evaluate(candidates: np.ndarray) -> np.ndarray:
        """Objectives of a batch of candidates (rows, in parameter units): one executor call."""
        batch = len({r["batch"] for r in rows})
        points = [
            {k: typed_value(base, k, float(v)) for k, v in zip(keys, x, strict=True)} for x in candidates
        ]
        new: dict[tuple[Any, ...], Scenario | None] = {}
        for point in points:
            key = tuple(point.values())
            if key in seen or key in new or len(rows) + len(new) >= budget:
                continue
            try:
                new[key] = base.with_overrides(point)
            except ScenarioError:
                new[key] = None  # an invalid combination (e.g. shares summing over 1)
        specs = [
            RunSpec(f"evaluation-{len(rows) + i}", candidate, s, tuple(zip(keys, key, strict=True)), runner)
            for i, (key, candidate) in enumerate(new.items())
            if candidate is not None
            for s in seeds
        ]
        results = iter(execute(specs, keep_timeseries=False, **execution)) if specs else iter(())
        for key, candidate in new.items():
            row: dict[str, Any] = {"evaluation": len(rows), "batch": batch, "phase": phase[0]}
            row.update(dict(zip(keys, key, strict=True)))
            if candidate is None:
                row["objective"] = math.inf
                details.append({})
            else:
                measured = [next(results).summary["measures"] for _ in seeds]
                errors, simulated = [], []
                for index, target in enumerate(targets.targets):
                    spread = replicate_means([m[index] for m in measured])
                    error, _ = objective_terms(target.values, spread["mean"])
                    errors.append(error)
                    simulated.append(spread)
                    row[f"E_{index}"] = error
                row["objective"] = float(np.dot(weights, errors) / weights.sum())
                details.append({"simulated": simulated, "errors": errors})
            rows.append(row)
            seen[key] = row["objective"]
        if progress and new and (len(new) > 1 or len(rows) % 10 == 0 or len(rows) >= budget):
            best = min(r["objective"] for r in rows)
            print(
                f"calibrate: {len(rows)} of {budget} evaluations, best objective {best:.5g}", file=sys.stderr
            )
        found = [seen.get(tuple(p.values()), math.inf) for p in points]  # inf: over the budget
        finite = [v for v in seen.values() if math.isfinite(v)]
        penalty = 10 * max(finite) + 1 if finite else 1e6
        return np.array([v if math.isfinite(v) else penalty for v in found])

    n = len(keys)
    span = high - low

    def unit_objective(u: np.ndarray) -> float:
        if len(rows) >= budget:
            return math.inf
        return float(evaluate((low + np.clip(u, 0, 1) * span)[None, :])[0])

    def nelder_mead(start: np.ndarray, step: float, evaluations: int) -> None:
        """Nelder-Mead in the unit cube of the bounds, from ``start`` with a simplex of ``step``."""
        phase[0] = "nelder-mead"
        simplex = np.vstack([start, start + step * np.eye(n)])
        beyond = simplex[1:] > 1
        simplex[1:][beyond] -= 2 * step  # keep the first simplex inside the bounds
        optimize.minimize(
            unit_objective,
            start,
            method="Nelder-Mead",
            bounds=[(0.0, 1.0)] * n,
            options={"maxfev": evaluations, "initial_simplex": simplex, "xatol": 1e-3, "fatol": 1e-7},
        )

    if method == "differential_evolution":
        # Differential evolution explores the box with 60% of the budget; Nelder-Mead refines its
        # best candidate with the rest (the objective is not smooth enough for gradients).
        explore = int(0.6 * budget) if budget - int(0.6 * budget) >= n + 2 else budget
        per_member = max(2, min(15, explore // (4 * n)))
        population = max(per_member * n, 5)
        generations = max(explore // population, 1)

        optimize.differential_evolution(
            lambda x: evaluate(x.T),
            list(zip(low, high, strict=True)),
            popsize=per_member,
            maxiter=generations - 1,
            init="latinhypercube",
            seed=seed,
            polish=False,
            vectorized=True,
            updating="deferred",
        )
        left = budget - len(rows)
        if left >= n + 2:
            best_row = min(rows, key=lambda r: r["objective"])
            start = np.array([(best_row[k] - lo) / s for k, lo, s in zip(keys, low, span, strict=True)])
            nelder_mead(np.clip(start, 0, 1), 0.1, left)
    else:
        nelder_mead(np.full(n, 0.5), 0.25, budget)
    trace = pd.DataFrame(rows)
    best = int(trace["objective"].idxmin())
    fitted = {k: trace.loc[best, k] for k in keys}
    fitted = {k: (int(v) if isinstance(v, np.integer) else float(v)) for k, v in fitted.items()}
    fit = {
        "scenario": scenario.name,
        "source": scenario.source,
        "hash": config_hash(base),
        "targets_file": targets.source,
        "method": method,
        "evaluations": len(rows),
        "max_evaluations": budget,
        "runs": runs,
        "seeds": seeds,
        "objective": float(trace.loc[best, "objective"]),
        "best_evaluation": best,
        "parameters": {
            k: {"fitted": fitted[k], "low": targets.uncertainties[k][0], "high": targets.uncertainties[k][1]}
            for k in keys
        },
        "targets": [
            {
                "index": index,
                "kind": target.kind,
                "label": target.label,
                "metric": target.metric,
                "firm": target.firm,
                "weight": target.weight,
                "points": target.point_labels(),
                "observed": list(target.values),
                "simulated": details[best]["simulated"][index]["mean"],
                "simulated_ci95_half": details[best]["simulated"][index]["ci95_half"],
                "simulated_min": details[best]["simulated"][index]["min"],
                "simulated_max": details[best]["simulated"][index]["max"],
                "error": details[best]["errors"][index],
                "rms_relative_error": math.sqrt(details[best]["errors"][index]),
            }
            for index, target in enumerate(targets.targets)
        ],
        "objective_formula": "J = sum_t w_t E_t / sum_t w_t; E_t = mean_i ((s_ti - o_ti) / max(|o_ti|, 0.05 max_j |o_tj|))^2",
        "seconds": round(time.perf_counter() - started, 1),
    }
    return Calibration(fitted, base.with_overrides(fitted), fit, trace, targets, invocation)


def simulate_targets(
    scenario: Scenario, targets: TargetSet, runs: int | None = None, seed: int | None = None, **execution: Any
) -> TargetSet:
    """``targets`` with every observed value replaced by the scenario's simulated mean over
    ``runs`` replicates: synthetic data with known parameters, e.g. to check that calibration
    recovers them.

    Example:
        >>> from sim import load_scenario
        >>> s = load_scenario("scenarios/research.toml", {"market.size": 300, "run.weeks": 20})
        >>> t = TargetSet({}, [Target("series", (10,), (0.0,), metric="customers", unit="week")])
        >>> simulate_targets(s, t, runs=1, jobs=1).targets[0].values[0] > 0
        True
    """
    runs = runs or targets.runs
    seed = scenario.run.seed if seed is None else seed
    runner = runner_for(targets.targets)
    base = scenario.without_experiments()
    results = execute(
        [RunSpec("truth", base, s, (), runner) for s in seeds_for(scenario, runs, seed)],
        keep_timeseries=False,
        **execution,
    )
    new = []
    for index, target in enumerate(targets.targets):
        means = replicate_means([r.summary["measures"][index] for r in results])["mean"]
        if any(m is None for m in means):
            raise ValueError(f"target {index} ({target.label}) is undefined in the simulation at some point")
        new.append(Target(**{**target.__dict__, "values": tuple(round(m, 6) for m in means)}))
    return TargetSet(**{**targets.__dict__, "targets": new})
