"""Regret and robustness across the sampled markets: which strategy holds up when the market is unknown.

Owns the reading of a discovery design's tidy table (:func:`sim.discover.runs.run_design`), in
the terms of robust decision making (Lempert, Popper & Bankes 2003; the EMA workbench's robustness
metrics, Kwakkel 2017):

- a strategy's **market mean** is its mean outcome over the market's paired seeds;
- its **regret** in a market is the best strategy's market mean minus its own (the other way round
  for an outcome where lower is better): 0 for the best strategy, by construction;
- its **robustness** per outcome is the mean, standard deviation, 10th and 90th percentiles and
  worst case of its market means over the markets; its maximum, 90th-percentile and mean regret;
  the share of markets where its market mean meets each target (satisficing) and all of them;
  the share of markets it wins, and wins beyond the noise of the seeds;
- the **robust choice** under each criterion (best mean, min-max regret, min 90th-percentile
  regret, max satisficing share, best worst case), with what it gives up against the best-on-
  average choice: on the criterion's own scale and in mean outcome;
- the **noise** behind the verdicts: in how many markets the best and second-best strategies are
  within their paired 95% interval over the seeds (:func:`sim.statistics.paired_difference`).

Example:
    >>> table = pd.DataFrame({"market": [0, 0, 1, 1], "strategy": ["a", "b", "a", "b"], "seed": [1] * 4,
    ...     "profit": [10.0, 4.0, 1.0, 3.0]})
    >>> regret_table(market_means(table, ["profit"]), "profit").to_dict("index")
    {0: {'a': 0.0, 'b': 6.0}, 1: {'a': 2.0, 'b': 0.0}}
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from sim.design import Bounds, outcome
from sim.statistics import paired_difference

# The criteria a robust choice is named under, in the order the table shows them.
CRITERIA = ("best_mean", "minimax_regret", "p90_regret", "satisficing", "best_worst_case")
CRITERION_TEXT = {
    "best_mean": "best mean",
    "minimax_regret": "min-max regret",
    "p90_regret": "min 90th-percentile regret",
    "satisficing": "max satisficing share",
    "best_worst_case": "best worst case",
}


def market_means(table: pd.DataFrame, metrics: Sequence[str]) -> pd.DataFrame:
    """Each strategy's mean of each metric over the seeds of each market: index (market,
    strategy), one column per metric (NaN where every seed is undefined)."""
    return table.groupby(["market", "strategy"], sort=False)[list(metrics)].mean()


def regret_table(means: pd.DataFrame, metric: str) -> pd.DataFrame:
    """Market x strategy: the best strategy's market mean minus this one's (reversed for an
    outcome where lower is better), so regret is >= 0 and exactly 0 for the best."""
    wide = means[metric].unstack("strategy")
    if outcome(metric).lower_is_better:
        return wide.sub(wide.min(axis=1), axis=0)
    return (-wide).add(wide.max(axis=1), axis=0)


def winners(means: pd.DataFrame, metric: str) -> pd.Series:
    """Per market, the strategy with the best market mean of ``metric`` (the first listed on a tie)."""
    wide = means[metric].unstack("strategy")
    return (wide.idxmin if outcome(metric).lower_is_better else wide.idxmax)(axis=1)


def _number(value: Any) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


def _spread(values: pd.Series, metric: str) -> dict[str, float | None]:
    data = values.dropna().to_numpy(dtype=float)
    if data.size == 0:
        return dict.fromkeys(("mean", "sd", "p10", "p90", "worst", "best"))
    lower = outcome(metric).lower_is_better
    return {
        "mean": _number(data.mean()),
        "sd": _number(data.std(ddof=1)) if data.size > 1 else None,
        "p10": _number(np.quantile(data, 0.1)),
        "p90": _number(np.quantile(data, 0.9)),
        "worst": _number(data.max() if lower else data.min()),
        "best": _number(data.min() if lower else data.max()),
    }


def met(values: pd.Series, bounds: Bounds) -> pd.Series:
    """Whether each value keeps ``bounds`` (undefined values do not)."""
    ok = values.notna()
    if bounds.low is not None:
        ok &= values >= bounds.low
    if bounds.high is not None:
        ok &= values <= bounds.high
    return ok


def target_text(name: str, bounds: Bounds) -> str:
    """``profit >= 50,000``: a target as the tables show it."""
    parts = [
        f">= {bounds.low:,.6g}" if bounds.low is not None else "",
        f"<= {bounds.high:,.6g}" if bounds.high is not None else "",
    ]
    return f"{name} {' and '.join(p for p in parts if p)}"


def robustness(
    table: pd.DataFrame,
    outcomes: Sequence[str],
    targets: Mapping[str, Bounds] | None = None,
    strategies: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Per strategy, its robustness over the markets; the robust choice under each criterion.

    Args:
        table: the tidy table (``market``, ``strategy``, ``seed`` and a column per outcome).
        outcomes: the outcomes compared; regret, wins and the criteria are read on the first.
        targets: outcome -> bounds a market must meet (satisficing).
        strategies: the strategies in the order to show them (default: as the table lists them).

    Returns:
        ``{"primary", "strategies": {name: {"outcomes": {outcome: spread}, "regret": {outcome:
        {"mean", "max", "p90"}}, "satisficing": {target: share, "all": share}, "wins": share}},
        "criteria": [...], "noise": {...}, "markets"}``.
    """
    targets = dict(targets or {})
    primary = outcomes[0]
    metrics = list(dict.fromkeys([*outcomes, "profit", *targets]))
    means = market_means(table, metrics)
    names = list(strategies) if strategies is not None else list(dict.fromkeys(table["strategy"]))
    regrets = {metric: regret_table(means, metric) for metric in outcomes}
    best = winners(means, primary)
    every = [met(means[metric], bounds) for metric, bounds in targets.items()]
    satisfied = pd.concat(every, axis=1).all(axis=1) if every else None
    rows: dict[str, Any] = {}
    for name in names:
        mine = means.xs(name, level="strategy")
        row: dict[str, Any] = {
            "outcomes": {
                metric: _spread(mine[metric], metric) for metric in dict.fromkeys([*outcomes, "profit"])
            },
            "regret": {
                metric: {
                    "mean": _number(regrets[metric][name].mean()),
                    "max": _number(regrets[metric][name].max()),
                    "p90": _number(regrets[metric][name].quantile(0.9)),
                }
                for metric in outcomes
            },
            "wins": float((best == name).mean()),
            "satisficing": None,
        }
        if targets:
            shares = {target_text(m, b): float(met(mine[m], b).mean()) for m, b in targets.items()}
            shares["all"] = float(satisfied.xs(name, level="strategy").mean())
            row["satisficing"] = shares
        rows[name] = row
    verdicts = noise(table, primary, names)
    for name, row in rows.items():  # the markets it wins by more than the seeds' luck (None: one seed)
        clear = sum(m["best"] == name and m["beyond_noise"] for m in verdicts["per_market"])
        row["wins_beyond_noise"] = (
            clear / len(verdicts["per_market"]) if verdicts["within"] is not None else None
        )
    return {
        "primary": primary,
        "direction": outcome(primary).direction,
        "markets": int(table["market"].nunique()),
        "strategies": rows,
        "targets": {m: b.written() for m, b in targets.items()},
        "criteria": robust_choices(rows, primary, bool(targets)),
        "noise": verdicts,
        "mean_difference": mean_difference(means, primary, rows),
        # per strategy, its regret on the primary outcome in each market (market order): the figure's data
        "regrets": {name: [_number(v) for v in regrets[primary][name]] for name in names},
    }


def _pick(rows: Mapping[str, Any], value: Any, smaller: bool, prefer: str | None = None) -> str:
    """The strategy with the best value (undefined values last). On a tie, ``prefer`` (the
    best-on-average choice) if it is among the tied, else the first listed: a criterion that
    cannot tell two strategies apart should not make the robust choice give up mean for nothing."""
    scored = {name: value(row) for name, row in rows.items()}
    defined = [n for n, v in scored.items() if v is not None]
    if not defined:
        return next(iter(rows))
    best = min(scored[n] for n in defined) if smaller else max(scored[n] for n in defined)
    tied = [n for n in defined if scored[n] == best]
    return prefer if prefer in tied else tied[0]


def robust_choices(rows: Mapping[str, Any], primary: str, with_targets: bool) -> list[dict[str, Any]]:
    """The choice under each criterion and what it gives up against the best-on-average choice:
    ``value`` (the criterion for the choice), ``reference_value`` (for the best-on-average
    choice), ``improvement`` on the criterion (in its units, positive = better) and
    ``mean_given_up`` (the best-on-average mean minus the choice's, in the primary outcome's
    units, and ``profit_given_up`` the same in mean profit)."""
    lower = outcome(primary).lower_is_better
    unit = outcome(primary).unit
    mean = lambda row: row["outcomes"][primary]["mean"]  # noqa: E731
    how = {
        "best_mean": (mean, lower, unit, f"mean {primary}"),
        "minimax_regret": (lambda row: row["regret"][primary]["max"], True, unit, f"maximum regret on {primary}"),
        "p90_regret": (lambda row: row["regret"][primary]["p90"], True, unit, f"90th-percentile regret on {primary}"),
        "satisficing": (lambda row: row["satisficing"]["all"], False, "share of markets", "share of markets meeting every target"),
        "best_worst_case": (lambda row: row["outcomes"][primary]["worst"], lower, unit, f"worst market's {primary}"),
    }  # fmt: skip
    reference = _pick(rows, mean, lower)
    out = []
    for criterion in CRITERIA:
        if criterion == "satisficing" and not with_targets:
            continue
        value, smaller, criterion_unit, measure = how[criterion]
        choice = _pick(rows, value, smaller, prefer=reference)
        mine, theirs = value(rows[choice]), value(rows[reference])
        improvement = (
            None if mine is None or theirs is None else (theirs - mine if smaller else mine - theirs)
        )
        given = _difference(mean(rows[reference]), mean(rows[choice]), lower)
        profit = _difference(
            rows[reference]["outcomes"]["profit"]["mean"], rows[choice]["outcomes"]["profit"]["mean"], False
        )
        out.append({
            "criterion": criterion,
            "name": CRITERION_TEXT[criterion],
            "measure": measure,
            "unit": criterion_unit,
            "choice": choice,
            "value": mine,
            "reference": reference,
            "reference_value": theirs,
            "improvement": improvement,
            "mean_given_up": given,
            "profit_given_up": profit,
        })  # fmt: skip
    return out


def _difference(reference: float | None, choice: float | None, lower: bool) -> float | None:
    """How much worse ``choice`` is than ``reference`` (0 when it is the reference)."""
    if reference is None or choice is None:
        return None
    return choice - reference if lower else reference - choice


def noise(table: pd.DataFrame, metric: str, strategies: Sequence[str]) -> dict[str, Any]:
    """Whether the verdict in each market rests on the seeds: per market the best and second-best
    strategies on ``metric`` and the paired 95% interval of their difference over the seeds;
    ``within`` counts the markets where it includes 0 (None with one replicate: no interval).

    Example:
        >>> t = pd.DataFrame({"market": [0] * 4, "strategy": ["a", "a", "b", "b"], "seed": [1, 2, 1, 2],
        ...     "profit": [5.0, 6.0, 1.0, 2.0]})
        >>> noise(t, "profit", ["a", "b"])["within"]
        0
    """
    lower = outcome(metric).lower_is_better
    seeds = sorted(table["seed"].unique())
    per_market = []
    within = 0
    for market, rows in table.groupby("market", sort=True):
        wide = rows.pivot(index="seed", columns="strategy", values=metric).reindex(index=seeds)
        order = wide.mean().sort_values(ascending=lower).index.tolist()
        if len(order) < 2:
            continue
        best, second = order[0], order[1]
        diff = paired_difference(_values(wide[second]), _values(wide[best]), metric)
        clear = diff["ci95"] is not None and (diff["ci95"][0] > 0 or diff["ci95"][1] < 0)
        within += diff["ci95"] is not None and not clear
        per_market.append({"market": int(market), "best": best, "second": second, "advantage": diff["mean"],
                           "ci95": diff["ci95"], "beyond_noise": clear})  # fmt: skip
    defined = len(seeds) >= 2
    return {
        "replicates": len(seeds),
        "markets": len(per_market),
        "within": within if defined else None,
        "share_within": within / len(per_market) if defined and per_market else None,
        "per_market": per_market,
    }


def _values(column: pd.Series) -> list[float | None]:
    return [None if pd.isna(v) else float(v) for v in column]


def mean_difference(means: pd.DataFrame, metric: str, rows: Mapping[str, Any]) -> dict[str, Any] | None:
    """The best-on-average strategy against the runner-up, paired over the markets: the mean
    difference of their market means with its 95% interval (the design read as a sample of the
    uncertain markets), or None with one strategy."""
    lower = outcome(metric).lower_is_better
    order = sorted(
        (n for n in rows if rows[n]["outcomes"][metric]["mean"] is not None),
        key=lambda n: rows[n]["outcomes"][metric]["mean"],
        reverse=not lower,
    )
    if len(order) < 2:
        return None
    wide = means[metric].unstack("strategy")
    diff = paired_difference(_values(wide[order[1]]), _values(wide[order[0]]), metric)
    interval = diff["ci95"]
    return {
        "best": order[0],
        "runner_up": order[1],
        "mean": diff["mean"],
        "ci95": interval,
        "beyond_noise": interval is not None and (interval[0] > 0 or interval[1] < 0),
    }
