"""Figures shared by the CLI, notebooks and reports; each takes results and returns a Figure.

Owns the look of every figure: one colour per firm (stable across figures), labelled axes with
units, and a title that says what the reader should see.

Example:
    >>> firm_colours(["us", "rival"])["us"]
    '#1f77b4'
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import matplotlib

matplotlib.use("Agg")  # figures are written to files; no display is needed
import matplotlib.pyplot as plt
import numpy as np

from sim.agents.customers import REASON_NAMES

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from sim.results import SimulationResult

PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#7f7f7f"]
REASON_COLOURS = {
    "died": "#7f7f7f",
    "moved": "#bcbd22",
    "followed_friend": "#17becf",
    "better_value": "#ff7f0e",
    "dissatisfied": "#d62728",
    "unappreciated": "#9467bd",
}


REASON_PHRASES = {
    "died": "to death",
    "moved": "by moving away",
    "followed_friend": "following a friend",
    "better_value": "to better value elsewhere",
    "dissatisfied": "dissatisfied",
    "unappreciated": "feeling unappreciated",
}


def firm_colours(firms: list[str]) -> dict[str, str]:
    """A stable colour per firm, in scenario order."""
    return {firm: PALETTE[i % len(PALETTE)] for i, firm in enumerate(firms)}


def customers_figure(result: SimulationResult) -> Figure:
    """Customers of each firm, week by week."""
    series = result.timeseries
    firms = list(result.summary["firms"])
    colours = firm_colours(firms)
    figure, axis = plt.subplots(figsize=(9, 5), layout="constrained")
    for firm in firms:
        rows = series[series["firm"] == firm]
        axis.plot(rows["week"], rows["customers"], label=firm, color=colours[firm], linewidth=2)
    leader = max(firms, key=lambda f: result.summary["firms"][f]["customers_end"])
    axis.set_title(f"Customers by firm: {leader} ends with the most ({result.summary['scenario']})")
    axis.set_xlabel("week")
    axis.set_ylabel("customers (people)")
    axis.grid(alpha=0.3)
    axis.legend(title="firm")
    axis.set_ylim(bottom=0)
    return figure


def churn_by_reason_figure(result: SimulationResult) -> Figure:
    """How many customers each firm lost, stacked by reason."""
    firms = list(result.summary["firms"])
    figure, axis = plt.subplots(figsize=(9, 5), layout="constrained")
    left = np.zeros(len(firms))
    for reason in REASON_NAMES:
        counts = np.array([result.summary["firms"][f]["churned_by_reason"][reason] for f in firms])
        axis.barh(firms, counts, left=left, label=reason.replace("_", " "), color=REASON_COLOURS[reason])
        left += counts
    totals = {f: result.summary["firms"][f]["churned"] for f in firms}
    top = {}
    for f in firms:
        reasons = result.summary["firms"][f]["churned_by_reason"]
        top[f] = max(reasons, key=reasons.get) if totals[f] else None
    main = {r for r in top.values() if r}
    if len(main) == 1:
        headline = f"most leave {REASON_PHRASES[next(iter(main))]}"
    elif len(firms) <= 3:
        headline = "main reason: " + "; ".join(f"{f}, {r.replace('_', ' ')}" for f, r in top.items() if r)
    else:
        headline = "the main reason differs by firm"
    axis.set_title(f"Why customers left over {result.summary['weeks']} weeks\n{headline}")
    axis.set_xlabel("customers lost (people)")
    axis.invert_yaxis()
    axis.grid(alpha=0.3, axis="x")
    axis.legend(ncols=3, loc="upper center", bbox_to_anchor=(0.5, -0.15), frameon=False)
    return figure
