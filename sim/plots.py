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
    import pandas as pd
    from matplotlib.figure import Figure

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


def customers_figure(timeseries: pd.DataFrame, scenario: str) -> Figure:
    """Customers of each firm, week by week (one run); for several runs, the median and a
    10-90% band across runs (``timeseries`` then has a ``run`` column)."""
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
            ends[firm] = median.iloc[-1]
        else:
            axis.plot(rows["week"], rows["customers"], label=firm, color=colours[firm], linewidth=2)
            ends[firm] = rows["customers"].iloc[-1]
    leader = max(ends, key=ends.get)
    runs = f", {timeseries['run'].nunique()} runs" if several else ""
    axis.set_title(f"Customers by firm: {leader} ends with the most ({scenario}{runs})")
    axis.set_xlabel("week")
    axis.set_ylabel("customers (people)")
    axis.grid(alpha=0.3)
    axis.legend(title="firm")
    axis.set_ylim(bottom=0)
    return figure


def churn_by_reason_figure(summary: dict) -> Figure:
    """How many customers each firm lost, stacked by reason (a run's summary, or the means of
    several runs)."""
    firms = list(summary["firms"])
    figure, axis = plt.subplots(figsize=(9, 5), layout="constrained")
    left = np.zeros(len(firms))
    for reason in REASON_NAMES:
        counts = np.array([summary["firms"][f]["churned_by_reason"][reason] for f in firms])
        axis.barh(firms, counts, left=left, label=reason.replace("_", " "), color=REASON_COLOURS[reason])
        left += counts
    totals = {f: summary["firms"][f]["churned"] for f in firms}
    top = {}
    for f in firms:
        reasons = summary["firms"][f]["churned_by_reason"]
        top[f] = max(reasons, key=reasons.get) if totals[f] else None
    main = {r for r in top.values() if r}
    if len(main) == 1:
        headline = f"most leave {REASON_PHRASES[next(iter(main))]}"
    elif len(firms) <= 3:
        headline = "main reason: " + "; ".join(f"{f}, {r.replace('_', ' ')}" for f, r in top.items() if r)
    else:
        headline = "the main reason differs by firm"
    axis.set_title(f"Why customers left over {summary['weeks']} weeks\n{headline}")
    axis.set_xlabel("customers lost (people)")
    if "runs" in summary:
        axis.set_xlabel(f"customers lost (people, mean of {summary['runs']} runs)")
    axis.invert_yaxis()
    axis.grid(alpha=0.3, axis="x")
    axis.legend(ncols=3, loc="upper center", bbox_to_anchor=(0.5, -0.15), frameon=False)
    return figure


def sweep_figure(
    table: pd.DataFrame, key: str, firm: str, metrics: tuple[str, ...] = ("profit", "customers_end", "ltv")
) -> Figure:
    """How a firm's outcomes respond to one swept key: each run as a dot, the mean as a line
    (averaged over the other swept keys)."""
    rows = table[table["firm"] == firm]
    colour = firm_colours(list(dict.fromkeys(table["firm"])))[firm]
    figure, axes = plt.subplots(1, len(metrics), figsize=(4.2 * len(metrics), 4), layout="constrained")
    axes = np.atleast_1d(axes)
    for axis, metric in zip(axes, metrics, strict=True):
        values = rows[[key, metric]].dropna()
        axis.scatter(values[key], values[metric], s=12, alpha=0.35, color=colour, label="one run")
        mean = values.groupby(key)[metric].mean()
        axis.plot(mean.index, mean.to_numpy(), color=colour, linewidth=2, marker="o", label="mean")
        axis.set_xlabel(key)
        axis.set_ylabel(METRIC_LABELS.get(metric, metric))
        axis.grid(alpha=0.3)
    axes[0].legend()
    best = rows.groupby(key)[metrics[0]].mean()
    figure.suptitle(
        f"{firm}: {METRIC_LABELS.get(metrics[0], metrics[0])} is highest at {key} = {best.idxmax():g}"
        if len(best)
        else f"{firm}: response to {key}"
    )
    return figure


METRIC_LABELS = {
    "profit": "profit (currency, margin - spend)",
    "customers_end": "customers at the end (people)",
    "ltv": "lifetime value per acquired customer (currency)",
    "cac": "acquisition cost per customer (currency)",
    "retention_yearly": "retention per year (share)",
}


CATEGORY_COLOURS = {"account": "#d62728", "product": "#ff7f0e", "spend": "#bcbd22"}


def lifecycle_figure(timeseries: pd.DataFrame, summary: dict) -> Figure:
    """Left: each firm's active and dormant customers over time. Right: churn events per firm by
    category (account churn, product churn, decreased spend; seed 004)."""
    firms = list(summary["firms"])
    colours = firm_colours(firms)
    figure, (left, right) = plt.subplots(1, 2, figsize=(12, 4.8), layout="constrained")
    for firm in firms:
        rows = timeseries[timeseries["firm"] == firm]
        if "run" in rows.columns and rows["run"].nunique() > 1:
            rows = rows.groupby("week", as_index=False)[["customers", "dormant"]].median()
        left.plot(
            rows["week"],
            rows["customers"] - rows["dormant"],
            color=colours[firm],
            linewidth=2,
            label=f"{firm}: active",
        )
        left.plot(
            rows["week"],
            rows["dormant"],
            color=colours[firm],
            linewidth=2,
            linestyle="--",
            label=f"{firm}: dormant",
        )
    left.set_xlabel("week")
    left.set_ylabel("customers (people)")
    left.set_title("Active and dormant customers")
    left.grid(alpha=0.3)
    left.legend(fontsize=8)
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
    right.legend(fontsize=8)
    dormant_share = {
        f: summary["firms"][f]["dormant_end"] / summary["firms"][f]["customers_end"]
        for f in firms
        if summary["firms"][f]["customers_end"]
    }
    if dormant_share:
        worst = max(dormant_share, key=dormant_share.get)
        figure.suptitle(
            f"Lifecycle: {100 * dormant_share[worst]:.0f}% of {worst}'s customers are dormant at the end"
        )
    return figure
