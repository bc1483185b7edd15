"""The figures of ``sim run``: customers over time, why customers left, and the customer lifecycle.

Each takes one run's (or several runs') weekly table or summary and returns a Figure whose title
states a finding computed from what it plots (``figure.claims``).

Example:
    >>> import pandas as pd
    >>> table = pd.DataFrame({"week": [0, 1, 0, 1], "firm": ["us", "us", "rival", "rival"], "customers": [5, 9, 5, 4]})
    >>> customers_figure(table, "demo").claims["figure"]
    'customers'
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from sim.agents.customers import REASON_NAMES
from sim.plots.layout import (
    REASON_COLOURS,
    REASON_PHRASES,
    finish,
    firm_colours,
    mark_events,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def customers_figure(timeseries: pd.DataFrame, scenario: str, events: list[dict] | None = None) -> Figure:
    """Customers of each firm, week by week (one run); for several runs, the median and a
    10-90% band across runs (``timeseries`` then has a ``run`` column). ``events`` (a run's
    ``summary["events"]``, or those of several runs aligned by name) are marked by name
    (:func:`sim.plots.layout.mark_events`).

    ``figure.claims``: ``ends`` (each firm's plotted value in the last week), ``leader`` and
    ``events`` (the names marked).

    Example:
        >>> import pandas as pd
        >>> table = pd.DataFrame({"week": [0, 1, 0, 1], "firm": ["us", "us", "rival", "rival"],
        ...                       "customers": [10, 14, 10, 12]})
        >>> customers_figure(table, "demo").claims["leader"]
        'us'
    """
    firms = list(dict.fromkeys(timeseries["firm"]))
    colours = firm_colours(firms)
    figure, axis = plt.subplots(figsize=(9, 5), layout="constrained")
    several = "run" in timeseries.columns and timeseries["run"].nunique() > 1
    ends = {}
    for firm in firms:
        rows = timeseries[timeseries["firm"] == firm]
        if several:
            by_week = rows.groupby("week")["customers"]
            median = by_week.median()
            axis.fill_between(
                median.index, by_week.quantile(0.1), by_week.quantile(0.9), color=colours[firm], alpha=0.2,
                linewidth=0, label=f"{firm}: 10-90% of runs",
            )  # fmt: skip
            axis.plot(median.index, median, label=f"{firm}: median", color=colours[firm], linewidth=2)
            ends[firm] = float(median.iloc[-1])
        else:
            axis.plot(rows["week"], rows["customers"], label=firm, color=colours[firm], linewidth=2)
            ends[firm] = float(rows["customers"].iloc[-1])
    leader = max(ends, key=ends.get)
    tied = [f for f in ends if ends[f] == ends[leader]]
    basis = f"{scenario}; medians of {timeseries['run'].nunique()} runs" if several else scenario
    if len(tied) > 1:
        headline = f"{' and '.join(tied)} end level with {ends[leader]:,.0f} customers"
    elif len(ends) > 1:
        runner_up = max((f for f in ends if f != leader), key=ends.get)
        headline = f"{leader} ends with the most customers: {ends[leader]:,.0f} vs {ends[runner_up]:,.0f} for {runner_up}"
    else:
        headline = f"{leader} ends with {ends[leader]:,.0f} customers"
    axis.set_title(f"{headline}\n({basis})")
    axis.set_xlabel("week")
    axis.set_ylabel("customers (people)")
    axis.grid(alpha=0.3)
    axis.set_ylim(bottom=0)  # after every line, so that the top follows all of them
    marked = mark_events(axis, events)
    axis.legend(title="firm", loc="upper left", bbox_to_anchor=(1.01, 1.0))
    claims = {
        "figure": "customers",
        "ends": ends,
        "leader": None if len(tied) > 1 else leader,
        "events": marked,
    }
    return finish(figure, claims)


def churn_by_reason_figure(summary: dict) -> Figure:
    """How many customers each firm lost, stacked by reason (a run's summary, or the means of
    several runs).

    ``figure.claims``: ``top`` (each firm's largest reason, None if it lost nobody) and
    ``lost`` (firm -> reason -> customers, the bar widths)."""
    firms = list(summary["firms"])
    figure, axis = plt.subplots(figsize=(9, 2.6 + 0.6 * len(firms)), layout="constrained")
    left = np.zeros(len(firms))
    lost: dict[str, dict[str, float]] = {f: {} for f in firms}
    for reason in REASON_NAMES:
        counts = np.array([summary["firms"][f]["churned_by_reason"][reason] for f in firms], dtype=float)
        axis.barh(firms, counts, left=left, label=reason.replace("_", " "), color=REASON_COLOURS[reason])
        left += counts
        for firm, count in zip(firms, counts, strict=True):
            lost[firm][reason] = float(count)
    top = {f: (max(lost[f], key=lost[f].get) if sum(lost[f].values()) else None) for f in firms}
    main = {r for r in top.values() if r}
    if len(main) == 1:
        headline = f"most leave {REASON_PHRASES[next(iter(main))]}"
    elif len(firms) <= 3:
        headline = "main reason: " + "; ".join(f"{f}, {r.replace('_', ' ')}" for f, r in top.items() if r)
    else:
        headline = "the main reason differs by firm"
    if not main:
        headline = "no customer left"
    axis.set_title(f"Why customers left over {summary['weeks']} weeks: {headline}")
    axis.set_xlabel("customers lost (people)")
    if "runs" in summary:
        axis.set_xlabel(f"customers lost (people, mean of {summary['runs']} runs)")
    axis.invert_yaxis()
    axis.grid(alpha=0.3, axis="x")
    axis.legend(ncols=3, loc="upper center", bbox_to_anchor=(0.5, -0.25), frameon=False)
    return finish(figure, {"figure": "churn_by_reason", "top": top, "lost": lost, "headline": headline})


CATEGORY_COLOURS = {"account": "#d62728", "product": "#ff7f0e", "spend": "#bcbd22"}


def lifecycle_figure(timeseries: pd.DataFrame, summary: dict) -> Figure:
    """Left: each firm's active and dormant customers over time (the median over runs when the
    table holds several), with the market events of ``summary["events"]`` marked by name. Right:
    churn events per firm by category (account churn, product churn, decreased spend; seed 004).

    ``figure.claims``: ``dormant_share`` (each firm's dormant share of its customers in the last
    plotted week), ``worst`` and ``events`` (the names marked)."""
    firms = list(summary["firms"])
    colours = firm_colours(firms)
    figure, (left, right) = plt.subplots(1, 2, figsize=(13, 5), layout="constrained")
    dormant_share = {}
    for firm in firms:
        rows = timeseries[timeseries["firm"] == firm]
        if "run" in rows.columns and rows["run"].nunique() > 1:
            rows = rows.groupby("week", as_index=False)[["customers", "dormant"]].median()
        active = (rows["customers"] - rows["dormant"]).to_numpy(dtype=float)
        dormant = rows["dormant"].to_numpy(dtype=float)
        left.plot(rows["week"], active, color=colours[firm], linewidth=2, label=f"{firm}: active")
        left.plot(
            rows["week"], dormant, color=colours[firm], linewidth=2, linestyle="--", label=f"{firm}: dormant"
        )
        if len(rows) and active[-1] + dormant[-1] > 0:
            dormant_share[firm] = float(dormant[-1] / (active[-1] + dormant[-1]))
    left.set_xlabel("week")
    left.set_ylabel("customers (people)")
    left.set_title("Active and dormant customers")
    left.grid(alpha=0.3)
    left.set_ylim(bottom=0)
    marked = mark_events(left, summary.get("events"))
    left.legend(fontsize=9, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    bottom = np.zeros(len(firms))
    for category, colour in CATEGORY_COLOURS.items():
        counts = np.array([summary["firms"][f]["churn_by_category"][category] for f in firms], dtype=float)
        right.bar(
            firms,
            counts,
            bottom=bottom,
            color=colour,
            label=f"{category} churn" if category != "spend" else "decreased spend",
        )
        bottom += counts
    right.set_ylabel("churn events (count)")
    right.set_title("Churn by category: lost, fewer products, lower spend")
    right.grid(alpha=0.3, axis="y")
    right.legend(fontsize=9, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    worst = max(dormant_share, key=dormant_share.get) if dormant_share else None
    if worst is not None:
        figure.suptitle(
            f"Lifecycle: {100 * dormant_share[worst]:.0f}% of {worst}'s customers are dormant at the end"
            + (" (the highest share)" if len(dormant_share) > 1 else "")
        )
    return finish(
        figure, {"figure": "lifecycle", "dormant_share": dormant_share, "worst": worst, "events": marked}
    )
