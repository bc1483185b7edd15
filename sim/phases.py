"""A run split at its events: each firm's outcomes in every phase (before and after each named event).

Owns :func:`run_phases`, the ``phases`` of ``summary.json``: the run's weeks are cut at the week
each event struck and at the week a lasting event's effect ended, and each piece (a phase) is
named for what opened it: "start" (before the first event), "after <event>", "after <event>
ended". An event strikes at the start of its week (:mod:`sim.events`), so the week it strikes is
the first week of the phase after it; phases are ``[first_week, end_week)`` over the recorded weeks
1..T (week 0 is the state before the run). For each phase and firm: its weeks, the mean market
share and customers (end-of-week stocks), acquisitions, account churn, revenue, margin and profit
per week, the mean list price and the share of the phase's weeks the firm was in the market.

Example:
    >>> phase_bounds([("entrant", 5, None)], weeks=8)
    [('start', 1, 5), ('after entrant', 5, 9)]
    >>> phase_bounds([("promotion", 3, 5)], weeks=8)
    [('start', 1, 3), ('after promotion', 3, 5), ('after promotion ended', 5, 9)]
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sim.recording import Recorder

START = "start"  # the phase before the first event
# What each phase reports per firm (the keys of phases[i]["firms"][firm]), with its unit.
PHASE_METRICS = {
    "weeks": "weeks in the phase",
    "market_share": "mean share of all customers at the end of each week",
    "customers": "mean customers at the end of each week (people)",
    "acquisitions_per_week": "customers won per week",
    "churn_per_week": "customers lost per week (account churn)",
    "revenue_per_week": "revenue per week (currency)",
    "margin_per_week": "margin per week (currency)",
    "profit_per_week": "margin minus all marketing spend, per week (currency)",
    "price": "mean list price in force (currency per purchase)",
    "in_market": "share of the phase's weeks the firm was open",
}


def phase_bounds(events: Iterable[tuple[str, int, int | None]], weeks: int) -> list[tuple[str, int, int]]:
    """The phases of a run of ``weeks`` weeks with ``events`` (name, week struck, week its effect
    ended or None): ``(name, first_week, end_week)``, end exclusive, empty phases left out. Events
    that cut the run in the same week share a phase ("after a and b"); a name that comes back (an
    event triggered twice) is numbered ("after cut (2)").

    Example:
        >>> phase_bounds([("a", 4, None), ("b", 4, 6)], weeks=9)
        [('start', 1, 4), ('after a and b', 4, 6), ('after b ended', 6, 10)]
    """
    cuts: dict[int, list[str]] = {}
    for name, week, end in events:
        if 1 <= week <= weeks:
            cuts.setdefault(week, []).append(f"after {name}")
        if end is not None and 1 <= end <= weeks:
            cuts.setdefault(end, []).append(f"after {name} ended")
    starts = [(1, START), *((week, _joined(cuts[week])) for week in sorted(cuts))]
    merged: list[tuple[int, str]] = []
    for week, name in starts:  # an event in week 1 opens the run: "start" is then empty
        if merged and merged[-1][0] == week:
            merged[-1] = (week, name)
        else:
            merged.append((week, name))
    seen: dict[str, int] = {}
    out = []
    for index, (first, name) in enumerate(merged):
        end = merged[index + 1][0] if index + 1 < len(merged) else weeks + 1
        seen[name] = seen.get(name, 0) + 1
        out.append((name if seen[name] == 1 else f"{name} ({seen[name]})", first, end))
    return out


def _joined(names: list[str]) -> str:
    if len(names) == 1:
        return names[0]
    # "after a", "after b" -> "after a and b"
    rest = [n.removeprefix("after ") for n in names[1:]]
    return names[0] + "".join(f" and {n}" for n in rest)


def run_phases(recorder: Recorder) -> list[dict[str, Any]]:
    """Each firm's outcomes in every phase of the run recorded by ``recorder`` (its events are
    ``recorder.events``); [] when no event struck.

    Returns:
        ``[{"name", "first_week", "end_week", "firms": {firm: {metric: value}}}]`` in the order of
        the run, the metrics of :data:`PHASE_METRICS` (a share is None when nobody was a customer).

    Example:
        >>> from sim import CustomerMarket, load_scenario
        >>> scenario = load_scenario("scenarios/baseline.toml", {"market.size": 300, "run.weeks": 8})
        >>> market = CustomerMarket(scenario.with_events([{"name": "cut", "kind": "change", "week": 5,
        ...     "key": "firms.rival.price", "value": 30}]))
        >>> market.run_model()
        >>> [(p["name"], p["first_week"], p["end_week"]) for p in run_phases(market.recorder)]
        [('start', 1, 5), ('after cut', 5, 9)]
        >>> run_phases(market.recorder)[1]["firms"]["rival"]["price"]
        30.0
    """
    weeks = recorder.weeks_recorded
    if not recorder.events or weeks == 0:
        return []
    bounds = phase_bounds(((e.name, e.week, e.end) for e in recorder.events), weeks)
    customers = recorder.customers.astype(float)
    total = customers.sum(axis=1)
    acquired = recorder.acquired[..., 1:].sum(axis=2)  # channel 0: the initial customers
    churned = recorder.churned.sum(axis=2)
    spend = recorder.spend.sum(axis=2)
    revenue, margin = recorder.series["revenue"], recorder.series["margin"]
    phases = []
    for name, first, end in bounds:
        rows = slice(first, end)
        count = end - first
        held = total[rows]
        firms = {}
        for f, firm in enumerate(recorder.firm_names):
            shares = [c / t for c, t in zip(customers[rows, f], held, strict=True) if t > 0]
            firms[firm] = {
                "weeks": count,
                "market_share": sum(shares) / len(shares) if shares else None,
                "customers": float(customers[rows, f].mean()),
                "acquisitions_per_week": float(acquired[rows, f].sum()) / count,
                "churn_per_week": float(churned[rows, f].sum()) / count,
                "revenue_per_week": float(revenue[rows, f].sum()) / count,
                "margin_per_week": float(margin[rows, f].sum()) / count,
                "profit_per_week": float(margin[rows, f].sum() - spend[rows, f].sum()) / count,
                "price": float(recorder.price[rows, f].mean()),
                "in_market": float(recorder.in_market[rows, f].mean()),
            }
        phases.append({"name": name, "first_week": first, "end_week": end, "firms": firms})
    return phases
