"""What a payoff table says: best responses, regret, pure-strategy equilibria and dominance, each
judged against the noise of the paired replicates.

Owns the game-theoretic reading of a :class:`sim.game.table.PayoffTable` on one payoff metric
(its direction from :data:`sim.design.OUTCOMES`: for a metric where lower is better, a "gain" is a
fall). Every comparison of two choices of a firm is a paired difference over the shared seeds
(:func:`sim.statistics.paired_difference`), so the luck of the market cancels:

- a firm's **best response** to the others' choices is its choice with the best mean payoff; it
  is better than the runner-up *beyond the noise* when the 95% interval of the paired difference
  excludes 0, else *within the noise*;
- a profile's **regret** is the most any one firm would gain by changing its own choice alone
  (0 at an equilibrium), with that deviation's interval;
- a **pure-strategy equilibrium** is a profile where every firm's choice is a best response
  (regret 0); it is *robust* when every single deviation loses beyond the noise. A profile where
  no deviation gains beyond the noise is *stable within the noise* (an equilibrium cannot be
  ruled out there);
- a choice is **strictly dominated** by another when the other pays more against every choice
  of the others (beyond the noise when every one of those differences is); a choice that
  dominates all the firm's others is **dominant**.

Example:
    >>> from sim.game.table import PayoffTable
    >>> t = PayoffTable(("a", "b"), {"a": ["x", "y"], "b": ["u"]}, ["a", "b"], [1, 2, 3],
    ...     {("x", "u"): {"a": {"profit": [1.0, 2.0, 3.0]}, "b": {"profit": [0.0, 0.0, 0.0]}},
    ...      ("y", "u"): {"a": {"profit": [2.0, 3.1, 4.0]}, "b": {"profit": [0.0, 0.0, 0.0]}}})
    >>> [(r["firm"], r["best"], r["verdict"]) for r in best_responses(t, "profit")]
    [('a', 'y', 'beyond the noise')]
    >>> [e["label"] for e in equilibria(t, "profit")]
    ['a=y, b=u']
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sim.game.table import PayoffTable
from sim.statistics import lower_is_better, mean_ci, paired_difference

BEYOND = "beyond the noise"
WITHIN = "within the noise"


def gain(
    table: PayoffTable, firm: str, metric: str, base: Sequence[str], to: Sequence[str]
) -> dict[str, Any]:
    """What ``firm`` gains on ``metric`` going from profile ``base`` to profile ``to`` (paired over
    the seeds; positive is better whatever the metric's direction): mean, 95% CI, and whether the
    interval is clear of 0 above (``better``) or below (``worse``)."""
    diff = paired_difference(table.values(base, firm, metric), table.values(to, firm, metric), metric)
    sign = -1.0 if lower_is_better(metric) else 1.0
    mean = None if diff["mean"] is None else sign * diff["mean"]
    interval = None if diff["ci95"] is None else sorted(sign * v for v in diff["ci95"])
    return {
        "mean": mean,
        "ci95": interval,
        "better": interval is not None and interval[0] > 0,
        "worse": interval is not None and interval[1] < 0,
    }


def _score(metric: str, mean: float | None) -> float:
    """A mean made "higher is better" for ranking (undefined ranks last)."""
    if mean is None:
        return float("-inf")
    return -mean if lower_is_better(metric) else mean


def _mean(table: PayoffTable, profile: Sequence[str], firm: str, metric: str) -> float | None:
    return mean_ci(table.values(profile, firm, metric))[0]


def _with(table: PayoffTable, firm: str, choice: str, against: dict[str, str]) -> tuple[str, ...]:
    """The profile where ``firm`` plays ``choice`` and the others as in ``against``."""
    return tuple(choice if p == firm else against[p] for p in table.players)


def contexts(table: PayoffTable, firm: str) -> list[dict[str, str]]:
    """Every combination of the other players' choices (what ``firm`` may face)."""
    seen: list[dict[str, str]] = []
    for profile in table.profiles():
        against = {p: c for p, c in zip(table.players, profile, strict=True) if p != firm}
        if against not in seen:
            seen.append(against)
    return seen


def best_responses(table: PayoffTable, metric: str) -> list[dict[str, Any]]:
    """Per player with two or more choices and per combination of the others' choices: the
    choice with the best mean ``metric``, the runner-up, the paired advantage of the best over it
    with its 95% CI, ``verdict`` (:data:`BEYOND` when that interval excludes 0, else
    :data:`WITHIN`) and the choices whose difference from the best is within the noise."""
    rows = []
    for firm in table.players:
        choices = table.choices[firm]
        if len(choices) < 2:
            continue
        for against in contexts(table, firm):
            means = {c: _mean(table, _with(table, firm, c, against), firm, metric) for c in choices}
            order = sorted(choices, key=lambda c: _score(metric, means[c]), reverse=True)
            best, runner = order[0], order[1]
            best_profile = _with(table, firm, best, against)
            advantage = gain(table, firm, metric, _with(table, firm, runner, against), best_profile)
            close = [
                c
                for c in order[1:]
                if not gain(table, firm, metric, _with(table, firm, c, against), best_profile)["better"]
            ]
            best_stats = table.stats(best_profile, firm, metric)
            rows.append({
                "firm": firm,
                "against": against,
                "best": best if means[best] is not None else None,
                "best_mean": means[best],
                "best_ci95": best_stats["ci95"],
                "runner_up": runner,
                "runner_up_mean": means[runner],
                "advantage": advantage["mean"],
                "advantage_ci95": advantage["ci95"],
                "beyond_noise": advantage["better"],
                "verdict": BEYOND if advantage["better"] else WITHIN,
                "within_noise_of_best": close,
                "means": means,
            })  # fmt: skip
    return rows


def regrets(table: PayoffTable, metric: str) -> list[dict[str, Any]]:
    """Per profile: each player's best single deviation (the alternative choice with the highest
    mean gain, its CI and whether it gains beyond the noise), the profile's ``regret`` (the largest
    mean gain of any player's deviation, 0 if none gains), who would deviate to what, and
    ``stable_within_noise``: no deviation gains beyond the noise."""
    out = []
    for profile in table.profiles():
        deviations = {}
        for firm in table.players:
            options = []
            for choice in table.choices[firm]:
                if choice == table_choice(table, profile, firm):
                    continue
                moved = _with(table, firm, choice, dict(zip(table.players, profile, strict=True)))
                options.append({"to": choice, **gain(table, firm, metric, profile, moved)})
            defined = [o for o in options if o["mean"] is not None]
            if defined:
                deviations[firm] = max(defined, key=lambda o: o["mean"])
        gains = {firm: d["mean"] for firm, d in deviations.items()}
        deviator = max(gains, key=gains.get) if gains else None
        regret = max(0.0, gains[deviator]) if deviator is not None else 0.0
        out.append({
            "profile": list(profile),
            "label": table.label(profile),
            "regret": regret,
            "deviator": deviator if regret > 0 else None,
            "deviation": deviations[deviator]["to"] if regret > 0 else None,
            "deviation_ci95": deviations[deviator]["ci95"] if regret > 0 else None,
            "deviations": deviations,
            "stable_within_noise": not any(d["better"] for d in deviations.values()),
        })  # fmt: skip
    return out


def table_choice(table: PayoffTable, profile: Sequence[str], firm: str) -> str:
    return profile[table.players.index(firm)]


def equilibria(
    table: PayoffTable, metric: str, regret_rows: list[dict[str, Any]] | None = None
) -> list[dict[str, Any]]:
    """The pure-strategy equilibria: profiles where no firm gains on average by changing its own
    choice alone (regret 0). ``robust``: every single deviation of every firm loses beyond the
    noise; otherwise ``closest_deviation`` names the deviation the noise cannot rule out."""
    rows = regret_rows if regret_rows is not None else regrets(table, metric)
    found = []
    for row in rows:
        if row["regret"] > 0:
            continue
        profile = tuple(row["profile"])
        unsure = []
        for firm in table.players:
            for choice in table.choices[firm]:
                if choice == table_choice(table, profile, firm):
                    continue
                moved = _with(table, firm, choice, dict(zip(table.players, profile, strict=True)))
                g = gain(table, firm, metric, profile, moved)
                if not g["worse"]:
                    unsure.append({"firm": firm, "to": choice, "mean": g["mean"], "ci95": g["ci95"]})
        found.append({
            "profile": list(profile),
            "label": row["label"],
            "payoffs": {firm: table.stats(profile, firm, metric) for firm in table.players},
            "robust": not unsure,
            "deviations_within_noise": unsure,
        })  # fmt: skip
    return found


def dominance(table: PayoffTable, metric: str) -> list[dict[str, Any]]:
    """Per player, each choice strictly dominated by another (a higher mean payoff against every
    combination of the others' choices): the dominated choice, what dominates it, the smallest of
    those mean gains (``margin``) and ``beyond_noise`` (every one of the paired differences clear
    of 0). A choice that dominates every other choice of its firm is listed with ``dominant``."""
    out = []
    for firm in table.players:
        choices = table.choices[firm]
        if len(choices) < 2:
            continue
        faced = contexts(table, firm)
        for worse in choices:
            for better in choices:
                if better == worse:
                    continue
                gains = [
                    gain(table, firm, metric, _with(table, firm, worse, a), _with(table, firm, better, a))
                    for a in faced
                ]
                if all(g["mean"] is not None and g["mean"] > 0 for g in gains):
                    out.append({
                        "firm": firm,
                        "dominated": worse,
                        "by": better,
                        "margin": min(g["mean"] for g in gains),
                        "beyond_noise": all(g["better"] for g in gains),
                    })  # fmt: skip
    return out


def dominant(table: PayoffTable, dominated: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The choices that strictly dominate every other choice of their firm (at most one a firm),
    and whether every one of those dominations is beyond the noise."""
    out = []
    for firm in table.players:
        choices = table.choices[firm]
        if len(choices) < 2:
            continue
        for choice in choices:
            beaten = [d for d in dominated if d["firm"] == firm and d["by"] == choice]
            if {d["dominated"] for d in beaten} == set(choices) - {choice}:
                out.append(
                    {"firm": firm, "choice": choice, "beyond_noise": all(d["beyond_noise"] for d in beaten)}
                )
    return out


def mixed_equilibria(table: PayoffTable, metric: str) -> list[dict[str, Any]] | None:
    """For a game of two players, every equilibrium of the mean payoffs (pure and mixed), by
    support enumeration with nashpy: each player's probability per choice and its expected payoff.
    None for more players, an undefined mean, or when nashpy is not installed (it is optional)."""
    if len(table.players) != 2:
        return None
    try:
        import nashpy
    except ImportError:
        return None
    import warnings

    import numpy as np

    first, second = table.players
    rows, cols = table.choices[first], table.choices[second]
    payoff = {firm: np.zeros((len(rows), len(cols))) for firm in table.players}
    for i, r in enumerate(rows):
        for j, c in enumerate(cols):
            for firm in table.players:
                mean = _mean(table, (r, c), firm, metric)
                if mean is None:
                    return None
                payoff[firm][i, j] = _score(metric, mean)
    game = nashpy.Game(payoff[first], payoff[second])
    out = []
    with warnings.catch_warnings():  # degenerate games warn; the equilibria found are still ones
        warnings.simplefilter("ignore")
        for p, q in game.support_enumeration():
            values = game[p, q]
            sign = -1.0 if lower_is_better(metric) else 1.0
            out.append({
                first: {choice: round(float(x), 6) for choice, x in zip(rows, p, strict=True)},
                second: {choice: round(float(x), 6) for choice, x in zip(cols, q, strict=True)},
                "expected": {first: sign * float(values[0]), second: sign * float(values[1])},
                "pure": bool(max(p) > 1 - 1e-9 and max(q) > 1 - 1e-9),
            })  # fmt: skip
    return out
