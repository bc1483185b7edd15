"""How a plan is scored: across market scenarios and seeds, against the references, on fresh seeds.

Owns the robustness and confirmation of ``sim optimise``: the markets a plan must hold up in
(:func:`market_scenarios`, from the settings' uncertainties), the runs of every arm in every market
on every seed in one call of the executor (:func:`evaluate`, common random numbers), a plan's
:class:`Scores` (the mean across markets and the downside: the worst market or a quantile on the
bad side, :func:`downside_of`), the Pareto front (:func:`pareto_mask`), the plans best on the mean
and on the downside (:func:`robust_choices`), and the confirmation of the best plan against each
reference strategy on fresh seeds with paired 95% intervals (:func:`confirmation`). Which side is
bad is the outcome's declared direction (:data:`sim.design.OUTCOMES`).

Example:
    >>> market_scenarios({"firms.rival.price": [30, 40]}, 8, seed=1)
    [{}, {'firms.rival.price': 30}, {'firms.rival.price': 40}]
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sim.design import Uncertainty, outcome
from sim.execution import RunSpec, execute
from sim.optimise.plan import Plan
from sim.scenario import Scenario
from sim.statistics import mean_ci, paired_difference, scalar_metrics


def market_scenarios(
    uncertainties: Mapping[str, Any] | Sequence[Uncertainty], samples: int, seed: int
) -> list[dict[str, Any]]:
    """The markets a plan is scored on: the nominal market (no overrides) first, then every
    combination of listed values, or, when a range or a distribution is given, ``samples``
    Latin-hypercube points (:meth:`sim.design.Uncertainty.at`: a listed uncertainty then takes its
    values in turn along its own column of the design, a distribution its quantiles).

    Example:
        >>> market_scenarios({"firms.rival.price": [30, 40]}, 8, seed=1)
        [{}, {'firms.rival.price': 30}, {'firms.rival.price': 40}]
    """
    from scipy.stats import qmc

    design = [u if isinstance(u, Uncertainty) else Uncertainty.of(key, u) for key, u in _items(uncertainties)]
    if not design:
        return [{}]
    keys = [u.key for u in design]
    if not any(u.sampled for u in design):
        combos = itertools.product(*(u.values for u in design))
        return [{}, *(dict(zip(keys, combo, strict=True)) for combo in combos)]
    unit = qmc.LatinHypercube(d=len(keys), seed=seed).random(samples)
    return [{}, *({u.key: u.at(x) for u, x in zip(design, row, strict=True)} for row in unit)]


def _items(uncertainties: Mapping[str, Any] | Sequence[Uncertainty]) -> list[tuple[str, Any]]:
    if isinstance(uncertainties, Mapping):
        return list(uncertainties.items())
    return [(u.key, u) for u in uncertainties]


def downside_of(metric: str, values: Sequence[float], quantile: float) -> float:
    """The bad tail across markets: the worst value (``quantile`` 0) or the ``quantile`` on the
    bad side (lower for a metric where higher is better, upper where lower is better).

    Example:
        >>> downside_of("profit", [5.0, 1.0, 3.0], 0.0), downside_of("cac", [5.0, 1.0, 3.0], 0.0)
        (1.0, 5.0)
    """
    data = np.asarray(values, dtype=float)
    q = 1 - quantile if outcome(metric).lower_is_better else quantile
    return float(np.quantile(data, q, method="linear"))


@dataclass
class Scores:
    """A plan's metric values: ``values[metric]`` is markets x seeds (NaN where undefined), and
    ``reactions``: per run (markets x seeds, in that order) what the firms' responses did (the
    summary's ``reactions``)."""

    values: dict[str, np.ndarray]
    reactions: list[list[dict[str, Any]]] = field(default_factory=list)

    def market_means(self, metric: str) -> np.ndarray:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # an all-undefined market: NaN
            return np.nanmean(self.values[metric], axis=1)

    def mean(self, metric: str) -> float:
        means = self.market_means(metric)
        return float(means.mean()) if np.isfinite(means).all() else math.nan

    def downside(self, metric: str, quantile: float) -> float:
        means = self.market_means(metric)
        return downside_of(metric, means, quantile) if np.isfinite(means).all() else math.nan

    def score(self, metric: str, how: str, quantile: float) -> float:
        return self.downside(metric, quantile) if how == "downside" else self.mean(metric)


def _specs(label: str, scenarios: list[Scenario], seeds: list[int]) -> list[RunSpec]:
    return [RunSpec(f"{label}/market-{m}", s, seed) for m, s in enumerate(scenarios) for seed in seeds]


def _scores(results: list[Any], firm: str, metrics: Sequence[str], markets: int, seeds: int) -> Scores:
    values = {m: np.full((markets, seeds), np.nan) for m in metrics}
    reactions = [list(result.summary.get("reactions", [])) for result in results]
    for position, result in enumerate(results):
        flat = scalar_metrics(result.summary["firms"][firm])
        for metric in metrics:
            value = flat.get(metric)
            if value is not None and math.isfinite(value):
                values[metric][position // seeds, position % seeds] = value
    return Scores(values, reactions)


def evaluate(
    arms: Mapping[str, Mapping[str, Any]],
    base: Scenario,
    markets: list[dict[str, Any]],
    seeds: list[int],
    firm: str,
    metrics: Sequence[str],
    execution: Mapping[str, Any],
) -> dict[str, Scores]:
    """Scores of every arm (label -> dotted overrides of the firm's plan) in every market on
    every seed, in one call of the executor."""
    specs = []
    for label, overrides in arms.items():
        scenarios = [base.with_overrides({**market, **overrides}) for market in markets]
        specs += _specs(label, scenarios, seeds)
    results = execute(specs, keep_timeseries=False, **execution) if specs else []
    per_arm = len(markets) * len(seeds)
    return {
        label: _scores(results[i * per_arm : (i + 1) * per_arm], firm, metrics, len(markets), len(seeds))
        for i, label in enumerate(arms)
    }


def pareto_mask(points: np.ndarray, minimise: Sequence[bool]) -> np.ndarray:
    """Which rows are not dominated (rows with a NaN never are on the front).

    Example:
        >>> pareto_mask(np.array([[1.0, 5.0], [2.0, 4.0], [1.5, 3.0]]), [False, False]).tolist()
        [True, True, False]
    """
    signed = np.where(np.asarray(minimise), -1.0, 1.0) * points  # larger is better on every axis
    ok = np.isfinite(signed).all(axis=1)
    mask = np.zeros(len(points), dtype=bool)
    for i in np.flatnonzero(ok):
        others = signed[ok]
        dominated = ((others >= signed[i]).all(axis=1) & (others > signed[i]).any(axis=1)).any()
        mask[i] = not dominated
    return mask


def robust_choices(trace: pd.DataFrame, plans: list[Plan], metric: str, q: float) -> dict[str, Any]:
    """The plan best on the mean across markets and the plan best on the downside."""
    feasible = trace[trace["feasible"]]
    out = {}
    for how in ("mean", "downside"):
        column = f"{how}_{metric}"
        values = feasible[column].to_numpy(dtype=float)
        position = int(np.argmin(values) if outcome(metric).lower_is_better else np.argmax(values))
        index = int(feasible.index[position])
        out[f"best_on_{how}"] = {
            "trial": int(trace.loc[index, "trial"]),
            "plan": plans[index].to_dict(),
            "mean": float(trace.loc[index, f"mean_{metric}"]),
            "downside": float(trace.loc[index, f"downside_{metric}"]),
        }
    out["metric"] = metric
    out["downside"] = "worst market" if q == 0 else f"{q:g}-quantile of the markets"
    return out


def confirmation(
    confirmed: dict[str, Scores], objectives: list[str], how: str, q: float, seeds: list[int], seed: int
) -> dict[str, Any]:
    """The best plan and each reference on fresh seeds: each objective's score with a 95% CI and
    the paired difference best - reference with its 95% CI and the probability the plan is better.

    With one market, or scored on the mean across markets, a seed's value is its mean over the
    markets and the intervals are t intervals over the seeds (as in ``sim compare``). Scored on
    the downside, the intervals come from a paired bootstrap over the seeds (2,000 resamples):
    each resample recomputes every market's mean and then the downside.
    """
    out: dict[str, Any] = {
        "seeds": seeds,
        "method": "t" if how == "mean" else "paired bootstrap",
        "metrics": {},
    }
    rng = np.random.default_rng(seed)
    resamples = rng.integers(0, len(seeds), size=(2000, len(seeds)))
    for metric in objectives:
        block: dict[str, Any] = {"direction": outcome(metric).sense, "arms": {}, "differences": {}}
        for label, scores in confirmed.items():
            values = scores.values[metric]
            if how == "mean":
                mean, interval = mean_ci(_per_seed(values))
            else:
                mean = scores.downside(metric, q)
                boot = _boot_downsides(values, metric, q, resamples).tolist()
                interval = _percentile_interval(boot)
                mean = None if not math.isfinite(mean) else mean
            block["arms"][label] = {"mean": mean, "ci95": interval}
        plan = confirmed["best"].values[metric]
        for label, scores in confirmed.items():
            if label == "best":
                continue
            other = scores.values[metric]
            if how == "mean":
                block["differences"][label] = paired_difference(
                    list(_per_seed(other)), list(_per_seed(plan)), metric
                )
                continue
            diffs = (
                _boot_downsides(plan, metric, q, resamples) - _boot_downsides(other, metric, q, resamples)
            ).tolist()
            point = confirmed["best"].downside(metric, q) - scores.downside(metric, q)
            finite = [d for d in diffs if math.isfinite(d)]
            sign = -1.0 if outcome(metric).lower_is_better else 1.0
            block["differences"][label] = {
                "mean": point if math.isfinite(point) else None,
                "ci95": _percentile_interval(diffs),
                "prob_better": float(np.mean([sign * d > 0 for d in finite])) if finite else None,
            }
        out["metrics"][metric] = block
    return out


def _per_seed(values: np.ndarray) -> list[float | None]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        means = np.nanmean(values, axis=0)
    return [float(v) if math.isfinite(v) else None for v in means]


def _boot_downsides(values: np.ndarray, metric: str, q: float, resamples: np.ndarray) -> np.ndarray:
    """The downside of ``values`` (markets x seeds) for each bootstrap resample of the seeds (rows
    of ``resamples``), in one vectorised pass; NaN where a market has no defined value."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        means = np.nanmean(values[:, resamples], axis=2)  # markets x resamples
    side = 1 - q if outcome(metric).lower_is_better else q
    out = np.quantile(means, side, axis=0, method="linear")
    out[~np.isfinite(means).all(axis=0)] = np.nan
    return out


def _percentile_interval(values: Sequence[float]) -> list[float] | None:
    finite = np.array([v for v in values if math.isfinite(v)], dtype=float)
    if finite.size < 2:
        return None
    return [float(np.percentile(finite, 2.5)), float(np.percentile(finite, 97.5))]
