"""Statistics over runs: means with 95% intervals, paired differences, rankings of arms.

Owns how a set of runs is summarised and how two or more arms run on the same seeds are compared:
a 95% confidence interval is the t interval of the mean over runs; a paired difference between
two arms is computed per seed (common random numbers: the same seed gives both arms the same
luck) and its standard error is set beside the unpaired one; arms are ranked on the headline
metrics (profit and customer equity) with the paired difference of the best from each other.
:func:`compare_metrics` is the one comparison of arms that ``sim compare`` (:func:`sim.compare`)
and the report (:mod:`sim.report`) both use.

Example:
    >>> mean_ci([1.0, 2.0, 3.0])[0]
    2.0
    >>> compared = compare_metrics({"a": [{"profit": 1.0}, {"profit": 2.0}], "b": [{"profit": 2.0}, {"profit": 3.5}]})
    >>> compared["rankings"]["profit"]["order"], compared["differences"]["b"]["profit"]["mean"]
    (['b', 'a'], 1.25)
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy import stats

from sim.design.outcomes import OUTCOMES, TABLES, is_lower_better

if TYPE_CHECKING:
    from sim.execution import RunResult

# Metrics where a lower value is better: kept for code that read the set; the one declaration of
# every outcome's direction is sim.design.OUTCOMES.
LOWER_IS_BETTER = frozenset(
    name for name in (*OUTCOMES, *TABLES) if name.count(".") == 0 and is_lower_better(name)
)
# What a strategy is ranked on: the money it makes over the run and the value of the customers it
# leaves (ratios are supporting evidence, never the headline).
HEADLINE_METRICS = ("profit", "customer_equity")


def lower_is_better(metric: str) -> bool:
    """Whether a smaller value of ``metric`` (``name`` or ``table.key``) is the better one, as
    :data:`sim.design.OUTCOMES` declares it (a metric it does not declare: higher is better)."""
    try:
        return is_lower_better(metric)
    except KeyError:
        table = metric.split(".")[0]
        return table in TABLES and is_lower_better(table)


def scalar_metrics(firm_summary: dict[str, Any]) -> dict[str, float | None]:
    """Every metric of a firm's summary as a flat dict; nested tables become ``table.key``."""
    flat: dict[str, float | None] = {}
    for name, value in firm_summary.items():
        if isinstance(value, dict):
            for key, inner in value.items():
                flat[f"{name}.{key}"] = inner
        else:
            flat[name] = value
    return flat


def mean_ci(values: Iterable[float | None]) -> tuple[float | None, list[float] | None]:
    """Mean and 95% t interval of the defined values (None where fewer than two)."""
    data = np.array([v for v in values if v is not None and math.isfinite(v)], dtype=float)
    if data.size == 0:
        return None, None
    mean = float(data.mean())
    if data.size < 2:
        return mean, None
    half = float(stats.t.ppf(0.975, data.size - 1) * data.std(ddof=1) / math.sqrt(data.size))
    return mean, [mean - half, mean + half]


# Metrics that are None when something did not happen within the run (censored): a mean over only
# the runs where it happened would flatter, so their mean is None if any run missed it.
CENSORED_METRICS = ("payback_weeks", "payback_weeks_fully_loaded")


def summarise_runs(results: list[RunResult]) -> dict[str, Any]:
    """Means over runs of every metric, per firm, with a ``ci95`` block for scalar metrics and a
    ``censored`` block: per firm, how many runs did not reach each censored metric (payback within
    the run), whose mean is then None."""
    first = results[0].summary
    firms: dict[str, Any] = {}
    ci95: dict[str, Any] = {}
    censored: dict[str, Any] = {}
    for firm, template in first["firms"].items():
        firms[firm], ci95[firm], censored[firm] = {}, {}, {}
        for name, value in template.items():
            if isinstance(value, dict):
                firms[firm][name] = {
                    key: mean_ci(r.summary["firms"][firm][name][key] for r in results)[0] for key in value
                }
                continue
            values = [r.summary["firms"][firm][name] for r in results]
            missed = sum(v is None for v in values)
            if name in CENSORED_METRICS and 0 < missed < len(values):
                firms[firm][name], ci95[firm][name] = None, None
                censored[firm][name] = missed
                continue
            mean, interval = mean_ci(values)
            firms[firm][name] = mean
            ci95[firm][name] = interval
    return {
        "scenario": results[0].spec.scenario.name,
        "runs": len(results),
        "seeds": [r.spec.seed for r in results],
        "weeks": first["weeks"],
        "firms": firms,
        "ci95": ci95,
        "censored": censored,
    }


def paired_difference(base: list[float | None], arm: list[float | None], metric: str) -> dict[str, Any]:
    """Per-seed difference arm - base: mean, 95% CI, probability the arm is better, and what
    pairing bought (the unpaired standard error over the paired one)."""
    pairs = [(b, a) for b, a in zip(base, arm, strict=True) if b is not None and a is not None]
    out: dict[str, Any] = {"mean": None, "ci95": None, "prob_better": None, "se_paired": None,
                           "se_unpaired": None, "narrowing": None}  # fmt: skip
    if len(pairs) < 2:
        return out
    b = np.array([p[0] for p in pairs], dtype=float)
    a = np.array([p[1] for p in pairs], dtype=float)
    d = a - b
    n = d.size
    mean, interval = mean_ci(d.tolist())
    se_paired = float(d.std(ddof=1) / math.sqrt(n))
    se_unpaired = float(math.sqrt(a.var(ddof=1) / n + b.var(ddof=1) / n))
    sign = -1.0 if lower_is_better(metric) else 1.0
    if se_paired > 0:
        prob = float(stats.t.cdf(sign * mean / se_paired, n - 1))
    else:
        prob = 1.0 if sign * mean > 0 else 0.0 if sign * mean < 0 else 0.5
    out.update(
        mean=mean,
        ci95=interval,
        prob_better=prob,
        se_paired=se_paired,
        se_unpaired=se_unpaired,
        narrowing=(se_unpaired / se_paired) if se_paired > 0 else None,
    )
    return out


def rank_arms(values: dict[str, list[float | None]], metric: str) -> dict[str, Any]:
    """Arms ranked on ``metric`` by their mean over the same seeds, the best first, with the paired
    difference of the best from each other arm (best - other: positive means the best is ahead for a
    higher-is-better metric) and whether its 95% CI clears zero.

    Args:
        values: arm -> the metric per seed (the same seeds, in the same order, for every arm).
        metric: the metric's name (for its direction).

    Example:
        >>> ranked = rank_arms({"a": [1.0, 2.0, 3.0], "b": [2.0, 3.5, 4.0]}, "profit")
        >>> ranked["order"], ranked["versus"]["a"]["clear"]
        (['b', 'a'], True)
    """
    means = {arm: mean_ci(series)[0] for arm, series in values.items()}
    defined = [arm for arm, mean in means.items() if mean is not None]
    lower = lower_is_better(metric)
    order = sorted(defined, key=lambda arm: means[arm], reverse=not lower)
    versus: dict[str, Any] = {}
    if order:
        best = order[0]
        for arm in order[1:]:
            diff = paired_difference(values[arm], values[best], metric)  # best - arm
            interval = diff["ci95"]
            versus[arm] = {
                "mean": diff["mean"],
                "ci95": interval,
                "clear": interval is not None and (interval[0] > 0 or interval[1] < 0),
            }
    return {"metric": metric, "order": order, "means": means, "best": order[0] if order else None,
            "versus": versus}  # fmt: skip


def pairing_effect(se_unpaired: float | None, se_paired: float | None) -> str:
    """What pairing by seed did to the 95% interval of a difference, in words: the ratio of the
    unpaired standard error to the paired one (the interval's width scales with it), as
    "narrowed" when above 1 and "widened" (by its inverse) when below.

    Example:
        >>> pairing_effect(3.2, 1.0)
        'narrowed the interval 3.2x'
        >>> pairing_effect(1.0, 1.1)
        'widened the interval 1.1x'
        >>> pairing_effect(1.0, 0.99), pairing_effect(2.0, 0.0), pairing_effect(None, None)
        ('left the interval as wide (1.0x)', 'narrowed the interval to a point', 'n/a')
    """
    if se_unpaired is None or se_paired is None:
        return "n/a"
    if se_paired == 0:
        return "narrowed the interval to a point" if se_unpaired > 0 else "n/a (no spread either way)"
    ratio = se_unpaired / se_paired
    if round(ratio, 1) == 1.0:  # as shown: neither word would be true at the precision printed
        return "left the interval as wide (1.0x)"
    return f"narrowed the interval {ratio:.1f}x" if ratio > 1 else f"widened the interval {1 / ratio:.1f}x"


def compare_metrics(metrics: dict[str, list[dict[str, float | None]]]) -> dict[str, Any]:
    """Arms on the same seeds compared: per arm and metric the mean with its 95% CI, per other
    arm and metric the paired difference from the first arm (:func:`paired_difference`), and the
    arms ranked on each headline metric (:func:`rank_arms`).

    Args:
        metrics: arm -> one flat dict of metrics per seed (:func:`scalar_metrics`), the same seeds
            in the same order for every arm; the first arm is the baseline.

    Returns:
        ``{"baseline_arm", "arms", "differences", "rankings"}``: the statistics of
        :func:`sim.compare`'s ``comparison`` and of the report's.

    Example:
        >>> out = compare_metrics({"a": [{"cac": 3.0}, {"cac": 5.0}], "b": [{"cac": 2.0}, {"cac": 3.0}]})
        >>> out["arms"]["b"]["cac"]["mean"], out["differences"]["b"]["cac"]["prob_better"] > 0.5
        (2.5, True)
    """
    labels = list(metrics)
    base = labels[0]
    names = list(metrics[base][0])
    arms: dict[str, Any] = {}
    differences: dict[str, Any] = {}
    for label in labels:
        arms[label] = {}
        for name in names:
            mean, interval = mean_ci(m[name] for m in metrics[label])
            arms[label][name] = {"mean": mean, "ci95": interval}
            if label != base:
                differences.setdefault(label, {})[name] = paired_difference(
                    [m[name] for m in metrics[base]], [m[name] for m in metrics[label]], name
                )
    rankings = {
        metric: rank_arms({label: [m[metric] for m in metrics[label]] for label in labels}, metric)
        for metric in HEADLINE_METRICS
        if metric in names
    }
    return {"baseline_arm": base, "arms": arms, "differences": differences, "rankings": rankings}
