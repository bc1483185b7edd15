"""What changed at each event, over replicates: phase outcomes with 95% CIs and the paired change.

Owns the phases of a set of runs (``sim run --runs``, ``sim compare``, the report): each run's
``phases`` (:mod:`sim.phases`) are aligned by name, so an event that strikes in different weeks in
different runs (a yearly probability) is one phase; a run where it did not strike is left out of
that phase and the count of runs it holds is stated. Per phase and firm: the mean of each phase
outcome and its 95% t interval over runs (:func:`sim.statistics.mean_ci`). Per event: the change
across it, computed run by run (the phase after it minus the phase just before it, in the same
run), with the 95% interval of that paired change; a change whose interval includes 0 is "within
the noise". :func:`change_sentence` writes one firm's change in words from exactly the numbers
:func:`change_rows` shows.

Example:
    >>> runs = [{"phases": [{"name": "start", "first_week": 1, "end_week": 5,
    ...                      "firms": {"us": {"market_share": s}}},
    ...                     {"name": "after entrant", "first_week": 5, "end_week": 9,
    ...                      "firms": {"us": {"market_share": s - d}}}]}
    ...         for s, d in [(0.6, 0.10), (0.58, 0.12), (0.56, 0.11)]]
    >>> stats = phase_statistics(runs)
    >>> change = stats["changes"][0]
    >>> change["phase"], change["before"], change["runs"]
    ('after entrant', 'start', 3)
    >>> round(change["firms"]["us"]["market_share"]["change"], 3)
    -0.11
    >>> change_sentence(change, "us", "market_share")
    "After entrant (week 5, all 3 runs): us's market share fell from 58.0% to 47.0% (change -11.0 points, 95% CI -13.5 to -8.5)."
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from sim.phases import START
from sim.statistics import mean_ci

# How each phase outcome is shown, and how a change in it is shown (a share's change in points).
PHASE_FORMAT: dict[str, Callable[[float], str]] = {
    "weeks": lambda v: f"{v:,.1f}",
    "market_share": lambda v: f"{100 * v:.1f}%",
    "customers": lambda v: f"{v:,.0f}",
    "acquisitions_per_week": lambda v: f"{v:,.1f}",
    "churn_per_week": lambda v: f"{v:,.1f}",
    "revenue_per_week": lambda v: f"{v:,.0f}",
    "margin_per_week": lambda v: f"{v:,.0f}",
    "profit_per_week": lambda v: f"{v:,.0f}",
    "price": lambda v: f"{v:,.2f}",
    "in_market": lambda v: f"{100 * v:.0f}%",
}
# The unit a change is shown in where it is not the outcome's own (a share changes by points).
CHANGE_UNIT = {"market_share": " points", "in_market": " points"}
PHASE_LABELS = {
    "weeks": "weeks",
    "market_share": "market share",
    "customers": "customers",
    "acquisitions_per_week": "customers won per week",
    "churn_per_week": "customers lost per week",
    "revenue_per_week": "revenue per week",
    "margin_per_week": "margin per week",
    "profit_per_week": "profit per week",
    "price": "price",
    "in_market": "weeks in the market",
}
# The outcomes the tables and sentences of the CLI and the report show (all are in the JSON/CSV).
SHOWN = ("market_share", "customers", "acquisitions_per_week", "profit_per_week", "price")


def phase_statistics(summaries: list[dict[str, Any]]) -> dict[str, Any]:
    """The phases of a set of runs (each a ``summary.json`` dict with ``phases``) with 95% CIs,
    and the paired change across each event.

    Returns:
        ``{"runs", "phases": [...], "changes": [...]}``; each phase ``{"name", "runs" (holding
        it), "first_week": [lowest, highest], "end_week": [lowest, highest], "firms": {firm:
        {metric: {"mean", "ci95"}}}}`` in the order of the mean first week; each change ``{"phase",
        "event", "before" (the phase just before it in most runs), "runs", "week": [lowest,
        highest], "firms": {firm: {metric: {"before", "before_ci95", "after", "after_ci95",
        "change", "ci95", "within_noise"}}}}``. Both lists are empty when no event struck.
    """
    runs = len(summaries)
    held: dict[str, list[dict[str, Any]]] = {}
    pairs: dict[str, list[tuple[dict[str, Any], dict[str, Any]]]] = {}
    for summary in summaries:
        phases = summary.get("phases") or []
        for index, phase in enumerate(phases):
            held.setdefault(phase["name"], []).append(phase)
            if index > 0:
                pairs.setdefault(phase["name"], []).append((phases[index - 1], phase))
    order = sorted(held, key=lambda name: sum(p["first_week"] for p in held[name]) / len(held[name]))
    phases_out = []
    for name in order:
        group = held[name]
        firms = {
            firm: {metric: _stats([p["firms"][firm][metric] for p in group]) for metric in template}
            for firm, template in group[0]["firms"].items()
        }
        phases_out.append(
            {"name": name, "runs": len(group), "first_week": _span(p["first_week"] for p in group),
             "end_week": _span(p["end_week"] for p in group), "firms": firms}
        )  # fmt: skip
    changes = []
    for name in order:
        if name not in pairs:
            continue
        group = pairs[name]
        before_name = Counter(b["name"] for b, _ in group).most_common(1)[0][0]
        firms = {}
        for firm, template in group[0][1]["firms"].items():
            firms[firm] = {}
            for metric in template:
                before = [b["firms"][firm][metric] for b, _ in group]
                after = [a["firms"][firm][metric] for _, a in group]
                diffs = [a - b for b, a in zip(before, after, strict=True) if a is not None and b is not None]
                (b_mean, b_ci), (a_mean, a_ci) = mean_ci(before), mean_ci(after)
                mean, interval = mean_ci(diffs)
                firms[firm][metric] = {
                    "before": b_mean, "before_ci95": b_ci, "after": a_mean, "after_ci95": a_ci,
                    "change": mean, "ci95": interval,
                    "within_noise": interval is None or interval[0] <= 0 <= interval[1],
                }  # fmt: skip
        changes.append(
            {"phase": name, "event": _event_of(name), "before": before_name, "runs": len(group), "of": runs,
             "week": _span(a["first_week"] for _, a in group), "firms": firms}
        )  # fmt: skip
    return {"runs": runs, "phases": phases_out, "changes": changes}


def aligned_events(summaries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The events of a set of runs aligned by name, for the figures' markers: ``{"name", "kind",
    "week", "end", "weeks": [lowest, highest], "runs", "of"}`` (``week``/``end``: the median over
    the runs it struck in), in the order of ``week``.

    Example:
        >>> runs = [{"events": [{"name": "e", "kind": "enter", "week": w, "end": None}]} for w in (4, 6, 9)]
        >>> aligned_events(runs + [{"events": []}])[0]
        {'name': 'e', 'kind': 'enter', 'week': 6, 'end': None, 'weeks': [4, 9], 'runs': 3, 'of': 4}
    """
    struck: dict[str, list[dict[str, Any]]] = {}
    for summary in summaries:
        for event in summary.get("events") or []:
            struck.setdefault(event["name"], []).append(event)
    out = []
    for name, events in struck.items():
        weeks = sorted(e["week"] for e in events)
        ends = sorted(e["end"] for e in events if e["end"] is not None)
        out.append(
            {"name": name, "kind": events[0]["kind"], "week": weeks[(len(weeks) - 1) // 2],
             "end": ends[(len(ends) - 1) // 2] if ends else None, "weeks": [weeks[0], weeks[-1]],
             "runs": len(events), "of": len(summaries)}
        )  # fmt: skip
    return sorted(out, key=lambda e: e["week"])


def _stats(values: list[float | None]) -> dict[str, Any]:
    mean, interval = mean_ci(values)
    return {"mean": mean, "ci95": interval}


def _span(values: Any) -> list[int]:
    values = list(values)
    return [min(values), max(values)]


def _event_of(phase: str) -> str:
    """The event a phase is named after: "after entrant ended" -> "entrant"."""
    return phase.removeprefix("after ").removesuffix(" ended")


def weeks_text(change: dict[str, Any]) -> str:
    """When the event struck and in how many runs: "week 5, all 3 runs" or "weeks 20-61, 7 of 10
    runs" (a probabilistic event: runs where it did not strike are left out)."""
    low, high = change["week"]
    when = f"week {low}" if low == high else f"weeks {low}-{high}"
    runs = (
        f"all {change['of']} runs"
        if change["runs"] == change["of"]
        else f"{change['runs']} of {change['of']} runs"
    )
    return f"{when}, {runs}"


def change_cells(change: dict[str, Any], firm: str, metric: str) -> dict[str, str]:
    """One firm's change in ``metric`` as shown: ``before`` and ``after`` (means), ``change`` (the
    mean paired change, signed, in its unit), ``low`` and ``high`` (its 95% CI, "" without one) and
    ``cell`` (``change [low, high]``, the table's cell); the sentence quotes exactly these."""
    stats = change["firms"][firm][metric]
    fmt = PHASE_FORMAT[metric]
    if metric in CHANGE_UNIT:  # a share's change in points, not in per cent of itself

        def fmt(v: float) -> str:
            return f"{100 * v:.1f}" if metric == "market_share" else f"{100 * v:.0f}"

    unit = CHANGE_UNIT.get(metric, "")
    if stats["change"] is None:
        return {"before": "n/a", "after": "n/a", "change": "n/a", "low": "", "high": "", "cell": "n/a"}
    shown = _signed(fmt, stats["change"]) + unit
    low, high = (
        ("", "") if not stats["ci95"] else (_signed(fmt, stats["ci95"][0]), _signed(fmt, stats["ci95"][1]))
    )
    before, after = PHASE_FORMAT[metric](stats["before"]), PHASE_FORMAT[metric](stats["after"])
    cell = f"{shown} [{low}, {high}]" if low else shown
    return {"before": before, "after": after, "change": shown, "low": low, "high": high, "cell": cell}


def _signed(fmt: Callable[[float], str], value: float) -> str:
    return ("+" if value >= 0 else "-") + fmt(abs(value))


def change_rows(stats: dict[str, Any], metrics: tuple[str, ...] = SHOWN) -> list[dict[str, str]]:
    """The table of changes: one row per event, firm and metric (``phase``, ``when``, ``firm``,
    ``outcome``, ``before``, ``after``, ``change (95% CI)``)."""
    rows = []
    for change in stats["changes"]:
        for firm in change["firms"]:
            for metric in metrics:
                cells = change_cells(change, firm, metric)
                rows.append(
                    {"phase": f"{change['before']} -> {change['phase']}", "when": weeks_text(change),
                     "firm": firm, "outcome": PHASE_LABELS[metric], "before": cells["before"],
                     "after": cells["after"], "change [95% CI]": cells["cell"]}
                )  # fmt: skip
    return rows


def change_sentence(change: dict[str, Any], firm: str, metric: str = "market_share") -> str:
    """One firm's change across one event in words, from the numbers :func:`change_rows` shows:
    the means before and after, and the paired change with its 95% CI ("within the noise" when
    the interval includes 0)."""
    stats = change["firms"][firm][metric]
    cells = change_cells(change, firm, metric)
    head = f"{change['phase'][0].upper()}{change['phase'][1:]} ({weeks_text(change)}): {firm}'s {PHASE_LABELS[metric]}"
    if stats["change"] is None:
        return f"{head} cannot be compared (fewer than one run with both phases, or no customers)."
    if cells["before"] == cells["after"]:
        verb = f"stayed at {cells['before']}"
    else:
        verb = f"{'rose' if stats['change'] > 0 else 'fell'} from {cells['before']} to {cells['after']}"
    interval = f", 95% CI {cells['low']} to {cells['high']}" if cells["low"] else ""
    noise = "; within the noise" if cells["low"] and stats["within_noise"] else ""
    return f"{head} {verb} (change {cells['change']}{interval}{noise})."


def format_phases(stats: dict[str, Any], title: str = "", firms: list[str] | None = None) -> list[str]:
    """The phases and the changes as text lines (what ``table()`` prints), for ``firms`` (default
    all); [] without events."""
    from sim.formatting import aligned

    if not stats["phases"]:
        return []
    lines = [f"{title}Phases (mean [95% CI] over the runs holding each phase; weeks [first, end))"]
    header = ["phase", "weeks", "runs", "firm", *(PHASE_LABELS[m] for m in SHOWN)]
    body = []
    for phase in stats["phases"]:
        first, end = phase["first_week"], phase["end_week"]
        weeks = f"{first[0]}-{end[0]}" if first[0] == first[1] and end[0] == end[1] else "varies"
        for firm, metrics in phase["firms"].items():
            if firms is not None and firm not in firms:
                continue
            cells = [_interval(m, metrics[m]) for m in SHOWN]
            body.append([phase["name"], weeks, f"{phase['runs']}/{stats['runs']}", firm, *cells])
    lines += aligned(header, body)
    rows = [r for r in change_rows(stats) if firms is None or r["firm"] in firms]
    if rows:
        lines += ["", "Change across each event, paired run by run (after minus before):"]
        lines += aligned(list(rows[0]), [list(r.values()) for r in rows])
        lines += [""]
        for change in stats["changes"]:
            lines += [change_sentence(change, f) for f in change["firms"] if firms is None or f in firms]
    return lines


def _interval(metric: str, stats: dict[str, Any]) -> str:
    fmt = PHASE_FORMAT[metric]
    if stats["mean"] is None:
        return "n/a"
    if not stats["ci95"]:
        return fmt(stats["mean"])
    return f"{fmt(stats['mean'])} [{fmt(stats['ci95'][0])}, {fmt(stats['ci95'][1])}]"


def phase_frame_rows(stats: dict[str, Any], arm: str | None = None) -> list[dict[str, Any]]:
    """Tidy rows for the CSV: one per phase (or change), firm and outcome, with the mean and CI."""
    rows: list[dict[str, Any]] = []
    extra = {} if arm is None else {"arm": arm}
    for phase in stats["phases"]:
        for firm, metrics in phase["firms"].items():
            for metric, s in metrics.items():
                low, high = s["ci95"] or (None, None)
                rows.append({**extra, "kind": "phase", "phase": phase["name"], "before": None,
                             "runs": phase["runs"], "firm": firm, "outcome": metric, "mean": s["mean"],
                             "ci95_low": low, "ci95_high": high})  # fmt: skip
    for change in stats["changes"]:
        for firm, metrics in change["firms"].items():
            for metric, s in metrics.items():
                low, high = s["ci95"] or (None, None)
                rows.append({**extra, "kind": "change", "phase": change["phase"], "before": change["before"],
                             "runs": change["runs"], "firm": firm, "outcome": metric, "mean": s["change"],
                             "ci95_low": low, "ci95_high": high})  # fmt: skip
    return rows


__all__ = [
    "CHANGE_UNIT",
    "PHASE_FORMAT",
    "PHASE_LABELS",
    "SHOWN",
    "START",
    "aligned_events",
    "change_cells",
    "change_rows",
    "change_sentence",
    "format_phases",
    "phase_frame_rows",
    "phase_statistics",
    "weeks_text",
]
