"""Plans that expect a response: the naive plan against the response-aware plan, with the rivals responding.

Owns what ``rivals_respond`` adds to ``sim optimise``: the world of the naive search (the same
scenario with every rival's ``[firms.<name>.response]`` removed, :func:`passive_rivals`), which
rivals respond and how (:func:`rival_responses`), how often a plan provoked each rival's rules
(:func:`reaction_counts`, from the runs' summary ``reactions``), and the comparison of the two
plans (:func:`response_comparison`): each plan's objective(s) with 95% CIs against the responsive
rivals and against passive ones, on the same fresh seeds, the paired difference aware - naive with
its 95% CI, and a verdict in words only when the interval excludes 0 (:func:`verdict`). The
intervals are the confirmation's (:func:`sim.optimise.scores.confirmation`: t intervals from
:mod:`sim.statistics` on one market or the mean across markets, a paired bootstrap on the downside).

Example:
    >>> from sim import load_scenario
    >>> s = load_scenario("scenarios/conquest_vs_relations.toml", {"firms.rival.response.personality": "retaliator"})
    >>> rival_responses(s, "us"), rival_responses(passive_rivals(s, "us"), "us")
    ({'rival': 'retaliator'}, {})
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from sim.design import outcome
from sim.design.checks import responding_rivals
from sim.optimise.scores import Scores
from sim.scenario import Scenario

# The two plans as the comparison names them, in the order shown.
PLANS = {"aware": "response-aware plan", "naive": "naive plan"}


def passive_rivals(scenario: Scenario, firm: str) -> Scenario:
    """``scenario`` with every rival of ``firm`` passive (its response table removed); the firm's
    own response, if any, stays. The world the naive plan is optimised in.

    Example:
        >>> from sim import load_scenario
        >>> s = load_scenario("scenarios/conquest_vs_relations.toml", {"firms.rival.response.personality": "defender"})
        >>> passive_rivals(s, "us").firms["rival"].response is None
        True
    """
    firms = {
        name: config if name == firm else config.model_copy(update={"response": None})
        for name, config in scenario.firms.items()
    }
    return scenario.model_copy(update={"firms": firms})


def rival_responses(scenario: Scenario, firm: str) -> dict[str, str]:
    """The rivals of ``firm`` whose response reacts, and each one's personality (with ``+ N rules``
    when the table adds rules of its own).

    Example:
        >>> from sim import load_scenario
        >>> rival_responses(load_scenario("scenarios/conquest_vs_relations.toml"), "us")
        {}
    """
    out = {}
    for name in responding_rivals(scenario, firm):
        response = scenario.firms[name].response
        extra = f" + {len(response.rules)} rule{'s' * (len(response.rules) != 1)}" if response.rules else ""
        out[name] = response.personality + extra
    return out


def reaction_counts(scores: Scores, scenario: Scenario, firm: str) -> list[dict[str, Any]]:
    """How often the runs of one plan provoked each rival's rules: per (rival, rule), the runs in
    which it acted at least once out of all runs (markets x seeds), the reactions per run (every
    run counted), and the first week it acted (mean and earliest over the runs where it did).
    Every rule of each responding rival is listed, those never provoked with zeros.

    Example:
        >>> s = load_scenario("scenarios/conquest_vs_relations.toml",  # doctest: +SKIP
        ...                   {"firms.rival.response.personality": "retaliator"})
        >>> reaction_counts(scores, s, "us")[0]["rule"]  # doctest: +SKIP
        'retaliate with spend'
    """
    runs = len(scores.reactions)
    rules: dict[tuple[str, str], list[list[int]]] = {}
    for name in responding_rivals(scenario, firm):
        response = scenario.firms[name].response
        for rule in response.all_rules():
            rules.setdefault((name, rule.name), [])
        if response.revert_after is not None:
            rules.setdefault((name, "withdrawn"), [])
    weeks_by_run: list[dict[tuple[str, str], list[int]]] = []
    for reactions in scores.reactions:
        weeks: dict[tuple[str, str], list[int]] = {}
        for reaction in reactions:
            if reaction["firm"] == firm:
                continue  # the optimised firm's own response is its plan, not a rival's
            key = (reaction["firm"], reaction["rule"])
            weeks.setdefault(key, []).append(int(reaction["week"]))
            rules.setdefault(key, [])
        weeks_by_run.append(weeks)
    out = []
    for key in rules:
        firsts = [min(w[key]) for w in weeks_by_run if key in w]
        total = sum(len(w.get(key, [])) for w in weeks_by_run)
        out.append(
            {
                "rival": key[0],
                "rule": key[1],
                "runs_provoked": len(firsts),
                "runs": runs,
                "share_of_runs": len(firsts) / runs if runs else None,
                "reactions_per_run": total / runs if runs else None,
                "first_week_mean": float(np.mean(firsts)) if firsts else None,
                "first_week_earliest": min(firsts) if firsts else None,
            }
        )
    return out


def verdict(metric: str, difference: Mapping[str, Any], seeds: int) -> dict[str, Any]:
    """Which plan wins on ``metric`` against the responsive rivals, from the paired difference
    aware - naive (``mean``, ``ci95``): a winner only when the 95% interval excludes 0.

    Example:
        >>> verdict("profit", {"mean": 5.0, "ci95": [1.0, 9.0]}, 10)["text"]
        'the response-aware plan wins on profit by 5 (95% CI 1 to 9, paired over 10 seeds)'
        >>> verdict("cac", {"mean": 2.0, "ci95": [-1.0, 5.0]}, 10)["winner"] is None
        True
    """
    mean, interval = difference.get("mean"), difference.get("ci95")
    if mean is None or interval is None:
        return {"clear": False, "winner": None, "text": f"the difference in {metric} is undefined"}
    lower = outcome(metric).lower_is_better
    clear = interval[0] > 0 or interval[1] < 0
    if not clear:
        return {
            "clear": False,
            "winner": None,
            "text": f"the difference in {metric} ({_signed(mean)}, 95% CI {_signed(interval[0])} to "
            f"{_signed(interval[1])}, paired over {seeds} seeds) is within the noise",
        }
    aware_better = (mean < 0) if lower else (mean > 0)
    winner = "aware" if aware_better else "naive"
    low, high = sorted(abs(v) for v in interval)
    side = " (lower is better)" if lower else ""
    return {
        "clear": True,
        "winner": winner,
        "text": f"the {PLANS[winner]} wins on {metric}{side} by {_number(abs(mean))} (95% CI "
        f"{_number(low)} to {_number(high)}, paired over {seeds} seeds)",
    }


def response_comparison(
    responsive: Mapping[str, Any],
    passive: Mapping[str, Any],
    reactions: Mapping[str, list[dict[str, Any]]],
    rivals: Mapping[str, str],
    plans: Mapping[str, Any],
) -> dict[str, Any]:
    """The comparison block of ``optimisation.json`` (``response_comparison``).

    Args:
        responsive: the confirmation (:func:`sim.optimise.scores.confirmation`) of arms ``best``
            (the response-aware plan) and ``naive`` with the rivals responding.
        passive: the same with every rival passive, on the same seeds and markets.
        reactions: plan (``aware``, ``naive``) -> :func:`reaction_counts` with the rivals responding.
        rivals: the responding rivals and their personalities (:func:`rival_responses`).
        plans: plan (``aware``, ``naive``) -> what ``optimisation.json`` records of it.
    """
    seeds = len(responsive["seeds"])
    same = plans["aware"]["plan"] == plans["naive"]["plan"]
    metrics = {}
    for metric, block in responsive["metrics"].items():
        arms = block["arms"]
        difference = block["differences"]["naive"]
        passive_block = passive["metrics"][metric]
        metrics[metric] = {
            "direction": block["direction"],
            "responsive": {
                "aware": arms["best"],
                "naive": arms["naive"],
                "difference": _difference(difference),
                "verdict": verdict(metric, difference, seeds)
                if not same
                else {
                    "clear": False,
                    "winner": None,
                    "text": "both searches chose the same plan: no difference",
                },
            },
            "passive": {
                "aware": passive_block["arms"]["best"],
                "naive": passive_block["arms"]["naive"],
                "difference": _difference(passive_block["differences"]["naive"]),
            },
        }
    return {
        "rivals": dict(rivals),
        "seeds": list(responsive["seeds"]),
        "method": responsive["method"],
        "difference": "aware - naive, paired by seed",
        "plans": dict(plans),
        "same_plan": same,
        "metrics": metrics,
        "reactions": {plan: list(rows) for plan, rows in reactions.items()},
    }


def comparison_table(comparison: Mapping[str, Any]) -> pd.DataFrame:
    """``response_comparison.csv``: one row per objective, rivals (responsive, passive) and plan
    (``aware``, ``naive``, ``aware - naive``) with the value, its 95% CI and, for the difference,
    the probability the response-aware plan is better and the verdict."""
    rows = []
    for metric, block in comparison["metrics"].items():
        for rivals in ("responsive", "passive"):
            side = block[rivals]
            for plan in ("aware", "naive", "difference"):
                cell = side[plan]
                interval = cell.get("ci95") or [None, None]
                rows.append(
                    {
                        "metric": metric,
                        "rivals": rivals,
                        "plan": "aware - naive" if plan == "difference" else plan,
                        "value": cell.get("mean"),
                        "ci95_low": interval[0],
                        "ci95_high": interval[1],
                        "prob_aware_better": cell.get("prob_better") if plan == "difference" else None,
                        "verdict": side["verdict"]["text"]
                        if plan == "difference" and rivals == "responsive"
                        else "",
                    }
                )
    return pd.DataFrame(rows)


def reactions_table(comparison: Mapping[str, Any]) -> pd.DataFrame:
    """``response_reactions.csv``: per plan, rival and rule, how often the plan provoked it."""
    rows = [
        {"plan": plan, **row} for plan, found in comparison["reactions"].items() for row in found
    ]  # fmt: skip
    return pd.DataFrame(rows)


def _difference(difference: Mapping[str, Any]) -> dict[str, Any]:
    return {k: difference.get(k) for k in ("mean", "ci95", "prob_better")}


def _number(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "n/a"
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3g}"


def _signed(value: float) -> str:
    return ("+" if value >= 0 else "-") + _number(abs(value))
