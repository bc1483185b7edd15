"""Figures shared by the CLI, notebooks and reports; each takes results and returns a Figure.

Owns the look of every figure: one colour per firm (stable across figures), labelled axes with
units, and a title that states a finding computed from the arrays the figure plots. Every figure
function attaches those numbers as ``figure.claims`` (a dict naming the figure and what its title
says), so that a test can read the plotted artists back and check the title against them; and
every figure's titles are wrapped to the room they have (:func:`fit_titles`), so none runs off
the canvas or into its neighbour.

Example:
    >>> firm_colours(["us", "rival"])["us"]
    '#1f77b4'
"""

from __future__ import annotations

import itertools
import textwrap
from typing import TYPE_CHECKING, Any

import matplotlib

matplotlib.use("Agg")  # figures are written to files; no display is needed
import matplotlib.pyplot as plt
import matplotlib.ticker
import matplotlib.transforms
import numpy as np
import pandas as pd

from sim.agents.customers import REASON_NAMES

if TYPE_CHECKING:
    from matplotlib.figure import Figure
    from matplotlib.text import Text

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


# --------------------------------------------------------------------------- titles that fit


def fit_titles(figure: Figure) -> Figure:
    """Wrap every title to the room it has: an axes title to its axes' width (and its share of the
    margins), the figure's title to the figure's, an axis label to its axis' length; a text that
    already fits is left alone. Returns the figure.

    The layout is computed first (constrained layout places the axes), so the room is the real
    one at the figure's size.

    Example:
        >>> figure, axis = plt.subplots(figsize=(3, 2), layout="constrained")
        >>> _ = axis.set_title("a title far too long to fit above an axes three inches wide")
        >>> "\\n" in fit_titles(figure).axes[0].get_title()
        True
    """
    figure.draw_without_rendering()
    renderer = figure.canvas.get_renderer()
    boxes = [axis.get_window_extent(renderer) for axis in figure.axes]
    for axis, box in zip(figure.axes, boxes, strict=True):
        # A centred title may spread over its axes' margins, equally on both sides, up to half
        # way to the neighbouring panel (whose title may spread as far) or to the canvas edge.
        row = [b for b in boxes if b is not box and b.y0 < box.y1 and b.y1 > box.y0]
        left = max([(b.x1 + box.x0) / 2 for b in row if b.x1 <= box.x0 + 1] + [0.0])
        right = min([(b.x0 + box.x1) / 2 for b in row if b.x0 >= box.x1 - 1] + [figure.bbox.width])
        centre = (box.x0 + box.x1) / 2
        room = 0.97 * 2 * min(centre - left, right - centre)
        for title in (axis.title, axis._left_title, axis._right_title):
            _wrap_to(title, room, renderer)
        # An axis label stays within the length of its axis (a y label runs along the height).
        _wrap_to(axis.xaxis.label, box.width, renderer)
        _wrap_to(axis.yaxis.label, box.height, renderer)
    suptitle = getattr(figure, "_suptitle", None)
    if suptitle is not None:
        _wrap_to(suptitle, 0.97 * figure.bbox.width, renderer)
    return figure


def _wrap_to(text: Text, room: float, renderer: Any) -> None:
    """Rewrap ``text`` (keeping its line breaks) until it is at most ``room`` pixels long along
    its direction (the width of a horizontal text, the height of a vertical one)."""
    content = text.get_text()
    if not content or not text.get_visible():
        return

    def length() -> float:
        extent = text.get_window_extent(renderer)
        return extent.height if text.get_rotation() % 180 == 90 else extent.width

    paragraphs = content.split("\n")
    columns = max(len(p) for p in paragraphs)
    size = length()
    while size > room and columns > 12:
        # Shrink in proportion to the excess, then by a little more each time it still overflows.
        columns = min(columns - 1, int(columns * room / size))
        text.set_text(
            "\n".join(textwrap.fill(p, max(columns, 12), break_long_words=False) for p in paragraphs)
        )
        size = length()


# Large numbers with thousands separators (110,000, not 110000); small ones as matplotlib would.
THOUSANDS = matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:,.0f}" if abs(v) >= 1000 else f"{v:g}")


def _finish(figure: Figure, claims: dict[str, Any]) -> Figure:
    """Attach what the titles claim and fit the titles to the page."""
    figure.claims = claims
    return fit_titles(figure)


def _value(value: Any) -> str:
    """A swept value as text: numbers compactly (``1200``, ``0.005``), anything else as is."""
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        return f"{value:g}"
    return str(value)


# --------------------------------------------------------------------------- `sim run` figures


def customers_figure(timeseries: pd.DataFrame, scenario: str) -> Figure:
    """Customers of each firm, week by week (one run); for several runs, the median and a
    10-90% band across runs (``timeseries`` then has a ``run`` column).

    ``figure.claims``: ``ends`` (each firm's plotted value in the last week) and ``leader``.

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
    axis.legend(title="firm", loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return _finish(figure, {"figure": "customers", "ends": ends, "leader": None if len(tied) > 1 else leader})


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
    return _finish(figure, {"figure": "churn_by_reason", "top": top, "lost": lost, "headline": headline})


CATEGORY_COLOURS = {"account": "#d62728", "product": "#ff7f0e", "spend": "#bcbd22"}


def lifecycle_figure(timeseries: pd.DataFrame, summary: dict) -> Figure:
    """Left: each firm's active and dormant customers over time (the median over runs when the
    table holds several). Right: churn events per firm by category (account churn, product churn,
    decreased spend; seed 004).

    ``figure.claims``: ``dormant_share`` (each firm's dormant share of its customers in the last
    plotted week) and ``worst``."""
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
    return _finish(figure, {"figure": "lifecycle", "dormant_share": dormant_share, "worst": worst})


# --------------------------------------------------------------------------- sweeps

# The first part of a dotted scenario key; a sweep table's other dotted columns are flattened
# metric tables (``churned_by_reason.died``).
SCENARIO_SECTIONS = {"firms", "behaviours", "market", "network", "levers", "run", "personas"}
# A second key with more values than this is drawn as a colour scale, not one line per value.
MAX_LINES = 8


def swept_keys(table: pd.DataFrame) -> list[str]:
    """The swept scenario keys of a sweep table (:func:`sim.experiments.sweep`), in order.

    Example:
        >>> swept_keys(pd.DataFrame(columns=["point", "firms.us.budget", "profit", "churned_by_reason.died"]))
        ['firms.us.budget']
    """
    return [c for c in table.columns if "." in c and c.split(".")[0] in SCENARIO_SECTIONS]


def sweep_figure(
    table: pd.DataFrame,
    key: str,
    firm: str,
    metrics: tuple[str, ...] = ("profit", "customers_end", "ltv_net"),
    by: str | None = None,
) -> Figure:
    """How a firm's outcomes respond to swept ``key``, one panel per metric: each run as a dot
    and the mean over runs as a line, one line per value of a second swept key ``by`` (default:
    the first other swept key that varies). A second key with many values (a Latin hypercube)
    colours the points instead. Any further swept key is averaged over, and the title says so.

    ``figure.claims``: ``best`` (the plotted mean of the first metric that is highest, with its
    ``key`` and ``by`` values), ``by`` and ``averaged_over``.

    Example:
        >>> import pandas as pd
        >>> table = pd.DataFrame({"firm": "us", "firms.us.budget": [1, 1, 2, 2],
        ...                       "firms.us.price": [10, 20, 10, 20], "profit": [5.0, 7.0, 9.0, 6.0]})
        >>> sweep_figure(table, "firms.us.budget", "us", ("profit",)).claims["best"]
        {'key': 2, 'by': 10, 'value': 9.0}
    """
    with plt.rc_context(SLIDE_STYLE):
        rows = table[table["firm"] == firm]
        others = [k for k in swept_keys(rows) if k != key and rows[k].nunique() > 1]
        if by is None and others:
            by = others[0]
        rest = [k for k in others if k != by]
        figure, axes = plt.subplots(
            1, len(metrics), figsize=(5.0 * len(metrics) + 1.8, 4.8), layout="constrained", squeeze=False
        )
        axes = axes[0]
        best: dict[str, Any] | None = None
        continuous = by is not None and rows[by].nunique() > MAX_LINES
        levels = sorted(rows[by].unique()) if by is not None else [None]
        cmap = plt.get_cmap("viridis")
        colour_of = (
            {v: cmap(i / max(len(levels) - 1, 1)) for i, v in enumerate(levels)}
            if by is not None
            else {None: firm_colours(list(dict.fromkeys(table["firm"])))[firm]}
        )
        scale = None
        for index, (axis, metric) in enumerate(zip(axes, metrics, strict=True)):
            if continuous:
                means = rows.groupby([key, by])[metric].mean().reset_index()
                scale = axis.scatter(means[key], means[metric], c=means[by], cmap=cmap, s=40, edgecolors="white",
                                     linewidths=0.5)  # fmt: skip
                if index == 0 and len(means.dropna(subset=[metric])):
                    top = means.loc[means[metric].idxmax()]
                    best = {"key": top[key], "by": top[by], "value": float(top[metric])}
            else:
                for level in levels:
                    part = rows if level is None else rows[rows[by] == level]
                    values = part[[key, metric]].dropna()
                    axis.scatter(values[key], values[metric], s=14, alpha=0.35, color=colour_of[level])
                    mean = values.groupby(key)[metric].mean()
                    label = "mean of runs" if level is None else _value(level)
                    axis.plot(mean.index, mean.to_numpy(), color=colour_of[level], linewidth=2.2, marker="o",
                              label=label)  # fmt: skip
                    if index == 0 and len(mean) and (best is None or mean.max() > best["value"]):
                        best = {"key": mean.idxmax(), "by": level, "value": float(mean.max())}
            axis.set_xlabel(key)
            axis.set_ylabel(METRIC_LABELS.get(metric, metric))
            axis.yaxis.set_major_formatter(THOUSANDS)
            axis.grid(alpha=0.3)
        if continuous:
            bar = figure.colorbar(scale, ax=list(axes))
            bar.set_label(by)
        else:  # beside the last panel: a figure legend at the top right would meet the title
            axes[-1].legend(
                *axes[0].get_legend_handles_labels(), loc="upper left", bbox_to_anchor=(1.02, 1.0),
                title="mean of runs (line);\none run (dot)" if by is None else f"{by}\n(line: mean of runs;\ndot: one run)",
            )  # fmt: skip
        name = METRIC_LABELS.get(metrics[0], metrics[0]).split(" (")[0]
        if best is None:
            title = f"{firm}: response to {key}"
        else:
            title = f"{firm}: {name} is highest at {key} = {_value(best['key'])}"
            if by is not None:
                title += f" with {by} = {_value(best['by'])}"
        if rest:
            title += f"\n(mean of runs, averaged over {', '.join(rest)})"
        figure.suptitle(title)
        best_claim = None if best is None else {**best, "key": _plain(best["key"]), "by": _plain(best["by"])}
        return _finish(
            figure, {"figure": "sweep", "key": key, "by": by, "averaged_over": rest, "metric": metrics[0],
                     "best": best_claim},
        )  # fmt: skip


def _plain(value: Any) -> Any:
    """A NumPy scalar as the Python number it holds (claims compare and print plainly)."""
    return value.item() if isinstance(value, np.generic) else value


def sweep_response_figure(
    table: pd.DataFrame, key: str, by: str, firm: str, metric: str = "profit"
) -> Figure:
    """How ``firm``'s ``metric`` responds to swept ``key``: the mean over runs as a line for each
    value of a second swept key ``by``, with each run as a dot (:func:`sweep_figure` with one
    panel)."""
    return sweep_figure(table, key, firm, (metric,), by=by)


def sweep_heatmap_figure(
    table: pd.DataFrame, firm: str, metric: str = "profit", keys: tuple[str, str] | None = None
) -> Figure:
    """The mean of ``metric`` for ``firm`` over a grid of two swept keys, each cell annotated;
    any other swept key is averaged over and the title says so. ``table`` as from
    :func:`sim.experiments.sweep`.

    ``figure.claims``: ``best`` (the ``x`` and ``y`` values of the highest cell and its value)
    and ``averaged_over``."""
    swept = swept_keys(table)
    keys = keys or tuple(swept[:2])
    if len(keys) != 2:
        raise ValueError(f"a heatmap needs two swept keys; the sweep has {swept}")
    x_key, y_key = keys
    rows = table[table["firm"] == firm]
    rest = [k for k in swept if k not in keys and rows[k].nunique() > 1]
    with plt.rc_context(SLIDE_STYLE):
        grid = rows.groupby([y_key, x_key])[metric].mean().unstack(x_key)
        figure, axis = plt.subplots(
            figsize=(max(9.0, 3.5 + 1.1 * grid.shape[1]), max(6.5, 2.5 + 0.6 * grid.shape[0])),
            layout="constrained",
        )
        values = grid.to_numpy(dtype=float)
        image = axis.imshow(values, cmap="viridis", aspect="auto", origin="lower")
        axis.set_xticks(range(grid.shape[1]), [_value(v) for v in grid.columns])
        axis.set_yticks(range(grid.shape[0]), [_value(v) for v in grid.index])
        axis.set_xlabel(x_key)
        axis.set_ylabel(y_key)
        middle = np.nanmean(values)
        size = 12 if max(grid.shape) <= 6 else 9
        for (i, j), value in np.ndenumerate(values):
            if np.isfinite(value):
                axis.text(j, i, f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}", ha="center", va="center",
                          color="white" if value < middle else "black", fontsize=size)  # fmt: skip
        bar = figure.colorbar(
            image, ax=axis, format=matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:,.0f}")
        )
        bar.set_label(METRIC_LABELS.get(metric, metric))
        i, j = np.unravel_index(np.nanargmax(values), values.shape)
        averaged = f", averaged over {', '.join(rest)}" if rest else ""
        axis.set_title(
            f"{firm}: {METRIC_LABELS.get(metric, metric).split(' (')[0]} is highest at "
            f"{x_key} = {_value(grid.columns[j])} and {y_key} = {_value(grid.index[i])}\n"
            f"(mean of runs in each cell{averaged})"
        )
        best = {"x": _plain(grid.columns[j]), "y": _plain(grid.index[i]), "value": float(values[i, j])}
        return _finish(
            figure, {"figure": "sweep_heatmap", "keys": [x_key, y_key], "averaged_over": rest, "best": best}
        )


def sweep_figures(table: pd.DataFrame, firm: str, keys: list[str], grid: bool = True) -> dict[str, Figure]:
    """Every figure of a sweep, by name: ``sweep_<key>`` per swept key (:func:`sweep_figure`,
    one line per value of another swept key, never silently averaged over it) and, for a grid over
    two keys or more, ``sweep_heatmap`` of profit over the first two (:func:`sweep_heatmap_figure`).
    A Latin hypercube has no grid to draw as a heatmap: its points are coloured by the other key.

    Example:
        >>> import pandas as pd
        >>> table = pd.DataFrame({"firm": "us", "firms.us.budget": [1, 2], "profit": [5.0, 9.0],
        ...                       "customers_end": [1, 2], "ltv_net": [3.0, 4.0]})
        >>> list(sweep_figures(table, "us", ["firms.us.budget"]))
        ['sweep_firms.us.budget']
    """
    figures = {}
    for key in keys:
        by = next((k for k in keys if k != key), None)
        figures[f"sweep_{key}"] = sweep_figure(table, key, firm, by=by)
    if len(keys) >= 2 and grid:
        figures["sweep_heatmap"] = sweep_heatmap_figure(table, firm, "profit", (keys[0], keys[1]))
    return figures


METRIC_LABELS = {
    "profit": "profit (currency, margin - spend)",
    "customers_end": "customers at the end (people)",
    "ltv": "LTV gross: discounted margin per customer won (currency)",
    "ltv_net": "LTV net of retention cost per customer won (currency)",
    "cac": "CAC, acquisition-only: acquisition spend per customer won (currency)",
    "cac_fully_loaded": "CAC, fully loaded: all marketing spend per customer won (currency)",
    "customer_equity": "customer equity at the end (currency, net of retention cost)",
    "retention_yearly": "retention per year (share)",
}


# --------------------------------------------------------------------------- report figures
# The figures of `sim report` and the notebooks. Each takes tidy tables or summary dicts (built by
# sim.cohorts and sim.report from one run, replicates or a comparison) and returns a Figure drawn
# at slide size: large type, one colour per strategy and per firm that never changes meaning.

SLIDE_STYLE = {
    "font.size": 12,
    "axes.titlesize": 13,
    "axes.labelsize": 12,
    "xtick.labelsize": 11,
    "ytick.labelsize": 11,
    "legend.fontsize": 10.5,
    "figure.titlesize": 15,
    "axes.spines.top": False,
    "axes.spines.right": False,
}
# Strategies keep their colour in every figure (a firm's colour is PALETTE by scenario order).
STRATEGY_COLOURS = {
    "conquest": "#e6550d",
    "relations": "#31a354",
    "balanced": "#756bb1",
    "neglect": "#969696",
    "adaptive": "#8c6d31",
}
CHANNEL_COLOURS = {
    "initial": "#bdbdbd",
    "organic": "#9edae5",
    "search": "#1f77b4",
    "social": "#aec7e8",
    "influencer": "#e377c2",
    "word_of_mouth": "#2ca02c",
    "bandwagon": "#98df8a",
    "referral": "#17becf",
    "switch": "#ff7f0e",
    "poached": "#d62728",
}
# Channels that cost money per customer (ads, influencers, poaching): the rest come from customers.
PAID_CHANNELS = ("search", "social", "influencer", "poached")
# Conquest levers in warm colours, relations levers in cool ones.
LEVER_COLOURS = {
    "search_ads": "#e6550d",
    "social_ads": "#fd8d3c",
    "influencer_seeding": "#fdae6b",
    "acquisition_discount": "#fdd0a2",
    "social_proof_marketing": "#d94801",
    "poaching": "#a63603",
    "referral_programme": "#17becf",
    "loyalty_rewards": "#31a354",
    "recognition": "#74c476",
    "personal_offers": "#a1d99b",
    "communications": "#6baed6",
    "service_quality": "#3182bd",
    "complaint_handling": "#9ecae1",
    "reactivation": "#756bb1",
    "retention_offers": "#9e9ac8",
}


def _words(name: str) -> str:
    return name.replace("_", " ")


def group_colours(labels: list[str]) -> dict[str, str]:
    """Colours for the groups a figure compares: strategy colours when every label names a
    strategy (the arms of a comparison), else firm colours in order.

    Example:
        >>> group_colours(["conquest", "relations"])["relations"]
        '#31a354'
        >>> group_colours(["us", "rival"])["rival"]
        '#d62728'
    """
    if labels and all(label in STRATEGY_COLOURS for label in labels):
        return {label: STRATEGY_COLOURS[label] for label in labels}
    return firm_colours(labels)


def customers_by_group_figure(runs: dict[str, pd.DataFrame], focal: str) -> Figure:
    """Customers of every firm over time, one panel per strategy (arm): the median over runs and
    the 10-90% band; ``runs`` maps each arm to its run x week x firm table. The panels share one
    y axis whose top is set after every panel is drawn, so that no line leaves it.

    ``figure.claims``: ``ends`` (the focal firm's median in the last week, per arm) and ``best``.

    Example:
        >>> import pandas as pd
        >>> table = pd.DataFrame({"run": [1, 1, 2, 2], "week": [0, 1, 0, 1], "firm": "us",
        ...                       "customers": [10, 12, 10, 14]})
        >>> customers_by_group_figure({"conquest": table}, "us").axes[0].get_ylabel()
        'customers (people)'
    """
    with plt.rc_context(SLIDE_STYLE):
        labels = list(runs)
        figure, axes = plt.subplots(
            1,
            len(labels),
            figsize=(6.2 * len(labels) + 1.5, 5),
            sharey=True,
            layout="constrained",
            squeeze=False,
        )
        ends: dict[str, float] = {}
        for axis, label in zip(axes[0], labels, strict=True):
            table = runs[label]
            firms = list(dict.fromkeys(table["firm"]))
            colours = firm_colours(firms)
            for firm in firms:
                by_week = table[table["firm"] == firm].groupby("week")["customers"]
                median = by_week.median()
                axis.fill_between(median.index, by_week.quantile(0.1), by_week.quantile(0.9),
                                  color=colours[firm], alpha=0.2, linewidth=0)  # fmt: skip
                axis.plot(median.index, median, color=colours[firm], linewidth=2.5, label=f"{firm}")
                if firm == focal:
                    ends[label] = float(median.iloc[-1])
            axis.set_title(f"{focal} plays {_words(label)}" if len(labels) > 1 else _words(label))
            axis.set_xlabel("week")
            axis.grid(alpha=0.3)
        # Once, after every panel: the shared axis then spans the highest line of all of them.
        axes[0][0].set_ylim(bottom=0)
        axes[0][0].set_ylabel("customers (people)")
        axes[0][-1].legend(*axes[0][0].get_legend_handles_labels(), title="firm (median,\n10-90% of runs)",
                           loc="upper left", bbox_to_anchor=(1.02, 1.0))  # fmt: skip
        best = max(ends, key=ends.get) if ends else None
        if len(ends) > 1:
            others = ", ".join(f"{v:,.0f} with {_words(k)}" for k, v in ends.items() if k != best)
            figure.suptitle(
                f"{focal} ends with the most customers playing {_words(best)}: {ends[best]:,.0f} vs {others} "
                "(medians)"
            )
        return _finish(figure, {"figure": "customers_by_group", "focal": focal, "ends": ends, "best": best})


def acquisitions_by_channel_figure(channels: pd.DataFrame) -> Figure:
    """New customers per run by acquisition channel, one stacked bar per group (strategy or
    firm); ``channels`` as from :func:`sim.cohorts.channel_table`.

    ``figure.claims``: ``totals`` (bar lengths), ``best`` and ``paid_share`` (the share of each
    bar in the paid channels, :data:`PAID_CHANNELS`)."""
    with plt.rc_context(SLIDE_STYLE):
        groups = list(dict.fromkeys(channels["group"]))
        figure, axis = plt.subplots(figsize=(11, 2.4 + 1.1 * len(groups)), layout="constrained")
        left = np.zeros(len(groups))
        paid = np.zeros(len(groups))
        for channel in CHANNEL_COLOURS:
            counts = np.array(
                [channels.loc[(channels["group"] == g) & (channels["channel"] == channel), "acquired"].sum()
                 for g in groups], dtype=float,
            )  # fmt: skip
            if not counts.any():
                continue
            axis.barh([_words(g) for g in groups], counts, left=left, color=CHANNEL_COLOURS[channel],
                      label=_words(channel), edgecolor="white", linewidth=0.5)  # fmt: skip
            left += counts
            if channel in PAID_CHANNELS:
                paid += counts
        totals = {g: float(t) for g, t in zip(groups, left, strict=True)}
        paid_share = {g: float(p / totals[g]) for g, p in zip(groups, paid, strict=True) if totals[g]}
        best = max(totals, key=totals.get) if totals else None
        if best is not None and totals[best] > 0:
            headline = (
                f"{_words(best)} wins the most customers: "
                + ", ".join(f"{_words(g)} {totals[g]:,.0f}" for g in groups)
                + " per run"
            )
            if len(groups) == 1:
                headline = f"{_words(best)} wins {totals[best]:,.0f} customers per run"
        else:
            headline = "No customer was won"
        axis.set_title(
            headline
            + "\n"
            + "; ".join(f"{_words(g)}: {100 * s:.0f}% through paid channels" for g, s in paid_share.items())
        )
        axis.set_xlabel("customers won over the run (people, mean of runs)")
        axis.invert_yaxis()
        axis.grid(alpha=0.3, axis="x")
        axis.legend(ncols=5, loc="upper center", bbox_to_anchor=(0.5, -0.3), frameon=False)
        return _finish(
            figure,
            {"figure": "acquisitions_by_channel", "totals": totals, "best": best, "paid_share": paid_share},
        )


# Two retention curves closer than this (a share: half a percentage point) count as level.
LEVEL = 0.005


def on_top(curves: dict[str, np.ndarray], horizon: int) -> list[str | None]:
    """For each week 1..``horizon``, the group whose retention is highest by more than
    :data:`LEVEL` over every other, or None where the top two are level.

    Example:
        >>> import numpy as np
        >>> on_top({"a": np.array([1.0, 0.9, 0.5]), "b": np.array([1.0, 0.8, 0.7])}, 2)
        ['a', 'b']
    """
    names = list(curves)
    if len(names) < 2 or horizon < 1:
        return []
    matrix = np.vstack([np.asarray(curves[g], dtype=float)[1 : horizon + 1] for g in names])
    ranked = np.sort(matrix, axis=0)
    leader = np.argmax(matrix, axis=0)
    return [
        names[leader[w]] if ranked[-1, w] - ranked[-2, w] > LEVEL else None for w in range(matrix.shape[1])
    ]


def retention_story(
    curves: dict[str, np.ndarray], horizon: int, subject: str = "strategy"
) -> tuple[str, dict]:
    """The title of a retention figure and its claims, from the plotted curves (share retained
    at weeks 0, 1, ...) over the first ``horizon`` weeks, where every curve is defined. The
    headline holds over the whole horizon, not at one week: one group on top throughout; one
    group on top first and another after (one crossing); or, when the lead changes more often,
    who is on top for what share of the weeks. Weeks where the top two are within
    :data:`LEVEL` count for nobody.

    Example:
        >>> import numpy as np
        >>> early = np.array([1.0, 0.95, 0.9, 0.7, 0.6])
        >>> late = np.array([1.0, 0.9, 0.8, 0.75, 0.7])
        >>> retention_story({"conquest": early, "relations": late}, 4)[0].split(";")[0]
        'Customers won by conquest are kept best for the first 2 weeks, those won by relations after'
    """
    leaders = on_top(curves, horizon)
    weeks_on_top = {g: leaders.count(g) for g in curves}
    decided = [(week, g) for week, g in enumerate(leaders, start=1) if g is not None]
    spells = [g for g, _ in itertools.groupby(g for _, g in decided)]
    at_end = {g: float(curves[g][horizon]) for g in curves}
    who = (lambda g: f"customers won through {_words(g)}") if subject == "channel" else (
        lambda g: f"customers won by {_words(g)}")  # fmt: skip
    span = f"{horizon / 52:.1f} years" if horizon >= 78 else f"{horizon} weeks"
    switch = None
    if not decided:
        headline = f"The curves stay within {100 * LEVEL:.1f} points of each other for {horizon} weeks"
    elif len(spells) == 1:
        level = horizon - weeks_on_top[spells[0]]
        headline = f"{who(spells[0]).capitalize()} stay longest: highest at every week up to week {horizon}"
        if level:
            headline += f" (level in {level})"
    elif len(spells) == 2:
        first, then = spells
        last_first = max(week for week, g in decided if g == first)
        switch = {"first": first, "until": last_first, "then": then}
        headline = (
            f"{who(first).capitalize()} are kept best for the first {last_first} weeks, "
            f"{'those' if subject != 'channel' else 'customers'} won {'by' if subject != 'channel' else 'through'} "
            f"{_words(then)} after"
        )
    else:
        ranked = sorted(weeks_on_top, key=weeks_on_top.get, reverse=True)
        headline = (
            f"{who(ranked[0]).capitalize()} are kept best in {100 * weeks_on_top[ranked[0]] / horizon:.0f}% "
            f"of the first {horizon} weeks ({_words(ranked[1])} in {100 * weeks_on_top[ranked[1]] / horizon:.0f}%)"
        )
    order = sorted(at_end, key=at_end.get, reverse=True)
    shown = order if len(order) <= 3 else [order[0], order[-1]]
    ending = f"after {span}: " + ", ".join(f"{_words(g)} {100 * at_end[g]:.0f}%" for g in shown)
    if len(order) > 3:
        ending = f"after {span}: highest {_words(order[0])} {100 * at_end[order[0]]:.0f}%, lowest " + (
            f"{_words(order[-1])} {100 * at_end[order[-1]]:.0f}%"
        )
    claims = {"horizon": horizon, "weeks_on_top": weeks_on_top, "spells": spells, "switch": switch,
              "at_end": at_end}  # fmt: skip
    return f"{headline};\n{ending} still customers", claims


def retention_figure(
    curves: pd.DataFrame,
    subject: str = "strategy",
    colours: dict[str, str] | None = None,
    bands: bool = True,
    of: str | None = None,
) -> Figure:
    """Cohort retention (survival) curves: the share of customers won who are still customers
    N weeks after they were won, per group, with 95% bands over runs; ``curves`` as from
    :func:`sim.cohorts.survival_table`. ``subject`` names what the groups are (for the title);
    ``bands=False`` leaves the intervals out (many groups with few customers each); ``of`` names
    whose customers they are (e.g. the strategy whose channels are compared), before the title.
    The title's claim holds over every week all the curves cover (:func:`retention_story`).

    ``figure.claims``: as :func:`retention_story`'s, or ``at_year`` for a single group.

    Example:
        >>> import pandas as pd
        >>> curves = pd.DataFrame({"group": "search", "week": [0, 52], "retained": [1.0, 0.7],
        ...                        "low": [1.0, 0.6], "high": [1.0, 0.8], "at_risk": [50, 30]})
        >>> retention_figure(curves, "channel").axes[0].get_xlabel()
        'weeks since the customer was won'
    """
    with plt.rc_context(SLIDE_STYLE):
        groups = list(dict.fromkeys(curves["group"]))
        if colours is None:
            colours = CHANNEL_COLOURS if subject == "channel" else group_colours(groups)
        figure, axis = plt.subplots(figsize=(11, 5.8), layout="constrained")
        plotted: dict[str, np.ndarray] = {}
        at_year = {}
        for group in groups:
            rows = curves[curves["group"] == group].sort_values("week")
            colour = colours.get(group, "#444444")
            if bands:
                axis.fill_between(
                    rows["week"], 100 * rows["low"], 100 * rows["high"], color=colour, alpha=0.18, linewidth=0
                )
            axis.plot(rows["week"], 100 * rows["retained"], color=colour, linewidth=2.5, label=_words(group))
            plotted[group] = rows["retained"].to_numpy(dtype=float)
            year = rows[rows["week"] == 52]
            if len(year):
                at_year[group] = float(year["retained"].iloc[0])
        axis.axvline(52, color="#555555", linestyle=":", linewidth=1)
        axis.text(53, 3, "one year", color="#555555")
        axis.set_xlabel("weeks since the customer was won")
        axis.set_ylabel("still a customer (% of those won)")
        axis.set_ylim(0, 102)
        axis.grid(alpha=0.3)
        # Beside the axes: inside, a legend would cover the curves of long, slow-falling cohorts.
        axis.legend(title=subject, loc="upper left", bbox_to_anchor=(1.01, 1.0))
        # Weeks are consecutive from 0 (sim.cohorts.survival_table), so a curve's length is its horizon.
        common = min((len(c) - 1 for c in plotted.values()), default=0)
        claims: dict[str, Any] = {"figure": "retention", "subject": subject}
        if len(groups) > 1 and common > 0:
            title, story = retention_story(plotted, common, subject)
            claims.update(story)
        elif len(groups) == 1 and at_year:
            group, share = next(iter(at_year.items()))
            title = (
                f"{100 * share:.0f}% of the customers won by {_words(group)} are still customers after a year"
            )
            claims["at_year"] = at_year
        else:
            title = f"Cohort retention by {subject}"
        if of is not None:
            title = f"{_words(of)}: {title[0].lower()}{title[1:]}"
        axis.set_title(title)
        return _finish(figure, claims)


def churn_waterfall_figure(firms: dict[str, dict]) -> Figure:
    """Where customers came from and went, per group: customers at the start, plus those won,
    minus those lost for each reason, equals customers at the end; ``firms`` maps each group to
    its firm summary (means over runs).

    ``figure.claims``: ``main_reason`` (group -> the reason with the tallest bar, its share of
    all customers lost).

    Example:
        >>> firm = {"customers_start": 10, "acquired": 5, "customers_end": 12,
        ...         "churned_by_reason": {"died": 1, "moved": 0, "followed_friend": 0,
        ...         "better_value": 0, "dissatisfied": 2, "unappreciated": 0}}
        >>> len(churn_waterfall_figure({"relations": firm}).axes)
        1
    """
    with plt.rc_context(SLIDE_STYLE):
        labels = list(firms)
        figure, axes = plt.subplots(
            1, len(labels), figsize=(6.5 * len(labels), 5.5), sharey=True, layout="constrained", squeeze=False
        )
        headline = {}
        for axis, label in zip(axes[0], labels, strict=True):
            firm = firms[label]
            reasons = firm["churned_by_reason"]
            steps = [("start", firm["customers_start"], "#7f7f7f"), ("won", firm["acquired"], "#2ca02c")]
            steps += [(_words(r), -reasons[r], REASON_COLOURS[r]) for r in REASON_NAMES]
            level = 0.0
            names = []
            for index, (name, change, colour) in enumerate(steps):
                bottom = level if change >= 0 or index == 0 else level + change
                axis.bar(index, abs(change), bottom=bottom if index else 0, color=colour, width=0.7)
                top = (bottom if index else 0) + abs(change)
                axis.annotate(f"{change:+,.0f}" if index else f"{change:,.0f}", (index, top), xytext=(0, 3),
                              textcoords="offset points", ha="center", fontsize=10)  # fmt: skip
                level = change if index == 0 else level + change
                names.append(name)
            axis.bar(
                len(steps),
                firm["customers_end"],
                color=group_colours(labels).get(label, "#1f77b4"),
                width=0.7,
            )
            axis.annotate(f"{firm['customers_end']:,.0f}", (len(steps), firm["customers_end"]), xytext=(0, 3),
                          textcoords="offset points", ha="center", fontsize=10)  # fmt: skip
            names.append("end")
            axis.set_xticks(range(len(names)), names, rotation=40, ha="right")
            total = sum(reasons.values())
            if total:
                top_reason = max(reasons, key=reasons.get)
                headline[label] = (top_reason, reasons[top_reason] / total)
            axis.set_title(
                f"{_words(label)}: {firm['customers_start']:,.0f} -> {firm['customers_end']:,.0f} customers"
            )
            axis.grid(alpha=0.3, axis="y")
            axis.margins(y=0.08)  # room above the tallest bar for its number
        axes[0][0].set_ylabel("customers (people, mean of runs)")
        parts = [f"{_words(label)} loses {100 * share:.0f}% {REASON_PHRASES[reason]}"
                 for label, (reason, share) in headline.items()]  # fmt: skip
        figure.suptitle("Why customers leave: " + "; ".join(parts) if parts else "No customer left")
        return _finish(figure, {"figure": "churn_waterfall", "main_reason": headline})


def _reference_line(axis: Any, slope: float, right: float, top: float, label: str, style: str) -> None:
    """The line LTV = ``slope`` x CAC from the origin to where it leaves the box [0, right] x
    [.., top], drawn only inside it and named in the legend (a label on the line would collide
    with the other line's near the origin)."""
    if top <= 0:
        return
    x_end = min(right, top / slope)
    axis.plot([0, x_end], [0, slope * x_end], color="#777777", linestyle=style, linewidth=1.2, label=label)


def ratio_text(ratio: float) -> str:
    """A ratio as "N.Nx", with two decimals below one so that a small ratio never reads 0.0x.

    Example:
        >>> ratio_text(6.25), ratio_text(0.041)
        ('6.2x', '0.04x')
    """
    return f"{ratio:.1f}x" if abs(ratio) >= 1 else f"{ratio:.2f}x"


def cac_ltv_figure(blended: pd.DataFrame, channels: pd.DataFrame) -> Figure:
    """Left: what a customer costs to win, fully loaded (all marketing spend per customer won),
    against what they bring net of what keeping them costs (LTV net of retention cost), per group,
    with 95% intervals over runs and the lines LTV net = CAC and = 3 x CAC; a group that spent
    nothing is listed as "nothing spent", not placed at zero. Right: gross lifetime value per
    customer by acquisition channel, with each paid channel's CAC (acquisition spend on that
    channel's lever per customer it won) marked.

    Args:
        blended: one row per group: ``group``, ``cac_fully_loaded``, ``ltv_net`` and their ``_low``
            and ``_high`` (None where not defined), as :meth:`sim.report.ReportData.blended`.
        channels: as from :func:`sim.cohorts.channel_table`.

    ``figure.claims``: ``ratios`` (LTV net / fully loaded CAC of the points plotted, per group
    that spent), ``nothing_spent``, ``no_customers`` and ``best_channel`` (per group, the channel
    with the highest bar).
    """
    with plt.rc_context(SLIDE_STYLE):
        groups = list(blended["group"])
        colours = group_colours(groups)
        figure, (left, right) = plt.subplots(
            1, 2, figsize=(16, 6.8), layout="constrained", width_ratios=[1, 1.3]
        )

        def number(value: Any) -> float:
            return float(value) if value is not None and pd.notna(value) else np.nan

        spent, nothing_spent, no_customers = [], [], []
        for row in blended.itertuples():
            cac, ltv = number(row.cac_fully_loaded), number(row.ltv_net)
            if np.isnan(ltv):
                no_customers.append(row.group)
            elif np.isnan(cac):
                nothing_spent.append(row.group)
            else:
                spent.append(row)
        xs_high, ys = [1.0], [0.0]
        for row in spent:
            cac, ltv = number(row.cac_fully_loaded), number(row.ltv_net)
            cac_low, cac_high = number(row.cac_fully_loaded_low), number(row.cac_fully_loaded_high)
            ltv_low, ltv_high = number(row.ltv_net_low), number(row.ltv_net_high)
            xerr = [[cac - cac_low], [cac_high - cac]] if not np.isnan(cac_low) else None
            yerr = [[ltv - ltv_low], [ltv_high - ltv]] if not np.isnan(ltv_low) else None
            left.errorbar(cac, ltv, xerr=xerr, yerr=yerr, fmt="o", markersize=11, capsize=5,
                          color=colours[row.group], label=_words(row.group))  # fmt: skip
            xs_high += [cac, cac_high]
            ys += [ltv, ltv_low, ltv_high]
        for group in nothing_spent:
            ltv = number(blended.set_index("group").loc[group, "ltv_net"])
            left.plot([], [], linestyle="none", marker="o", markerfacecolor="none", color=colours[group],
                      label=f"{_words(group)}: nothing spent, no CAC (LTV net {ltv:,.0f})")  # fmt: skip
        for group in no_customers:
            left.plot([], [], linestyle="none", marker="o", markerfacecolor="none", color=colours[group],
                      label=f"{_words(group)}: no customers won")  # fmt: skip
        right_edge = 1.3 * float(np.nanmax(xs_high))
        high, low = float(np.nanmax(ys)), float(np.nanmin(ys))
        top = 1.15 * high if high > 0 else 1.0
        bottom = 1.15 * low if low < 0 else 0.0
        _reference_line(left, 1.0, right_edge, top, "LTV net = CAC", "--")
        _reference_line(left, 3.0, right_edge, top, "LTV net = 3 x CAC", ":")
        left.set_xlim(0, right_edge)
        left.set_ylim(bottom, top)
        left.axhline(0, color="#555555", linewidth=0.8)
        left.set_xlabel("CAC fully loaded: all marketing spend per customer won\n(currency, mean of runs)")
        left.set_ylabel("LTV net of retention cost per customer won\n(currency, mean of runs)")
        left.grid(alpha=0.3)
        left.legend(loc="upper center", bbox_to_anchor=(0.5, -0.22), frameon=False, ncols=2)
        ratios = {
            row.group: number(row.ltv_net) / number(row.cac_fully_loaded)
            for row in spent
            if number(row.cac_fully_loaded) > 0
        }
        if ratios:
            ranked = sorted(ratios, key=ratios.get, reverse=True)
            left.set_title(
                "LTV net of retention cost / fully loaded CAC: "
                + ", ".join(f"{_words(g)} {ratio_text(ratios[g])}" for g in ranked)
            )
        else:
            left.set_title("LTV net of retention cost against fully loaded CAC: nothing spent")
        shown = channels.dropna(subset=["value"])
        shown = shown[shown["channel"] != "initial"]
        names = [c for c in CHANNEL_COLOURS if c in set(shown["channel"])]
        height = 0.8 / max(len(groups), 1)
        # The axis follows the values; a CAC far beyond them is marked at the edge with its number.
        edge = 2.2 * float(shown["value"].max()) if len(shown) else 1.0
        best_channel = {}
        for index, group in enumerate(groups):
            rows = shown[shown["group"] == group].set_index("channel")
            if len(rows):
                best_channel[group] = str(rows["value"].idxmax())
            positions = np.arange(len(names)) + index * height
            values = [rows["value"].get(c, np.nan) for c in names]
            right.barh(positions, values, height=height, color=colours[group],
                       label=f"{_words(group)}: LTV gross")  # fmt: skip
            for position, channel in zip(positions, names, strict=True):
                cac = rows["cac"].get(channel, np.nan) if channel in rows.index else np.nan
                if pd.notna(cac) and cac > 0:
                    shown_at = min(cac, edge * 0.97)
                    right.plot(
                        shown_at, position, marker="|", markersize=16, markeredgewidth=3, color="black"
                    )
                    if cac > edge * 0.97:
                        right.annotate(f"CAC {cac:,.0f} >", (shown_at, position), xytext=(-8, 0),
                                       textcoords="offset points", ha="right", va="center", fontsize=10)  # fmt: skip
        right.set_xlim(0, edge)
        right.plot([], [], marker="|", linestyle="none", markersize=12, markeredgewidth=3, color="black",
                   label="CAC of the channel: acquisition spend on its lever\nper customer it won")  # fmt: skip
        right.set_yticks(np.arange(len(names)) + height * (len(groups) - 1) / 2, [_words(c) for c in names])
        right.invert_yaxis()
        right.set_xlabel("currency per customer won (means of runs; LTV gross: discounted margin)")
        right.grid(alpha=0.3, axis="x")
        right.legend(
            loc="upper center", bbox_to_anchor=(0.5, -0.15), ncols=min(len(groups) + 1, 3), frameon=False
        )
        tops = set(best_channel.values())
        if len(tops) == 1:
            right.set_title(
                f"Customers won through {_words(next(iter(tops)))} are worth the most"
                + (" for every group" if len(best_channel) > 1 else "")
            )
        elif best_channel:
            right.set_title(
                "Most valuable channel: "
                + "; ".join(f"{_words(g)}, {_words(c)}" for g, c in best_channel.items())
            )
        return _finish(
            figure, {"figure": "cac_ltv", "ratios": ratios, "nothing_spent": nothing_spent,
                     "no_customers": no_customers, "best_channel": best_channel},
        )  # fmt: skip


def value_distribution_figure(deciles: pd.DataFrame, lorenz: pd.DataFrame) -> Figure:
    """Left: lifetime value of customers won by decile (1 = the most valuable tenth). Right: the
    Lorenz curve, the share of all value brought by the top x% of customers, with the 80:20 mark
    (each group's share at 20% in its legend entry, so that close numbers never collide); both
    per group (means over runs, from :func:`sim.cohorts.value_table`).

    ``figure.claims``: ``top20`` (each group's Lorenz curve at 20% of customers)."""
    with plt.rc_context(SLIDE_STYLE):
        groups = list(dict.fromkeys(deciles["group"]))
        colours = group_colours(groups)
        figure, (left, right) = plt.subplots(1, 2, figsize=(14, 5.8), layout="constrained")
        width = 0.8 / max(len(groups), 1)
        for index, group in enumerate(groups):
            rows = deciles[deciles["group"] == group]
            left.bar(rows["decile"] + (index - (len(groups) - 1) / 2) * width, rows["value"], width=width,
                     color=colours[group], label=_words(group))  # fmt: skip
        left.set_xticks(
            range(1, 11), [f"{10 * d - 10}-{10 * d}%" for d in range(1, 11)], rotation=40, ha="right"
        )
        left.set_xlabel("customers ranked by value (top first)")
        left.set_ylabel("LTV gross per customer (currency)")
        left.grid(alpha=0.3, axis="y")
        left.legend()
        left.set_title("Lifetime value by decile of customers won")
        top20 = {}
        for group in groups:
            rows = lorenz[lorenz["group"] == group]
            share = float(np.interp(0.2, rows["customers"], rows["value"]))
            top20[group] = share
            right.plot(100 * rows["customers"], 100 * rows["value"], color=colours[group], linewidth=2.5,
                       label=f"{_words(group)}: top 20% bring {100 * share:.0f}%")  # fmt: skip
            right.plot(20, 100 * share, "o", color=colours[group], markersize=8)
        right.plot([0, 100], [0, 100], color="#999999", linestyle="--", linewidth=1, label="everyone equal")
        right.axvline(20, color="#555555", linestyle=":", linewidth=1)
        right.set_xlabel("top customers (% of customers won)")
        right.set_ylabel("share of all their value (%)")
        right.set_xlim(0, 100)
        right.set_ylim(0, 102)
        right.grid(alpha=0.3)
        right.legend(loc="lower right")  # below the diagonal: no Lorenz curve goes there
        right.set_title("Lorenz curve: how concentrated value is")
        if top20:
            low, high = min(top20.values()), max(top20.values())
            share = (
                f"{100 * low:.0f}%"
                if round(100 * low) == round(100 * high)
                else f"{100 * low:.0f}-{100 * high:.0f}%"
            )
            figure.suptitle(f"The top 20% of customers bring {share} of the value (the 80:20 view)")
        return _finish(figure, {"figure": "value_distribution", "top20": top20})


def spend_by_lever_figure(spend: dict[str, dict[str, float]]) -> Figure:
    """Total spend over the run by lever, one stacked bar per group; conquest levers in warm,
    relations levers in cool colours. ``spend`` maps each group to its ``spend_by_lever``.

    ``figure.claims``: ``main`` (group -> the lever with the longest segment) and ``spend``."""
    with plt.rc_context(SLIDE_STYLE):
        groups = list(spend)
        figure, axis = plt.subplots(figsize=(11, 2.6 + 1.1 * len(groups)), layout="constrained")
        left = np.zeros(len(groups))
        drawn: dict[str, dict[str, float]] = {g: {} for g in groups}
        for lever, colour in LEVER_COLOURS.items():
            amounts = np.array([spend[g].get(lever, 0.0) or 0.0 for g in groups], dtype=float)
            if not amounts.any():
                continue
            axis.barh([_words(g) for g in groups], amounts, left=left, color=colour, label=_words(lever),
                      edgecolor="white", linewidth=0.5)  # fmt: skip
            left += amounts
            for group, amount in zip(groups, amounts, strict=True):
                drawn[group][lever] = float(amount)
        main = {g: max(drawn[g], key=drawn[g].get) for g in groups if sum(drawn[g].values())}
        silent = [g for g in groups if g not in main]
        parts = [f"{_words(g)} spends most on {_words(lever)}" for g, lever in main.items()]
        parts += [f"{_words(g)} spends nothing" for g in silent]
        axis.set_title("Where the budget goes: " + "; ".join(parts) if main else "No spending")
        axis.set_xlabel("spend over the run (currency, mean of runs)")
        axis.invert_yaxis()
        axis.grid(alpha=0.3, axis="x")
        axis.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:,.0f}"))
        axis.legend(ncols=4, loc="upper center", bbox_to_anchor=(0.5, -0.3), frameon=False)
        return _finish(figure, {"figure": "spend_by_lever", "main": main, "spend": drawn})


FOREST_METRICS = {
    "customers_end": "customers at the end",
    "acquired": "customers won",
    "cac_fully_loaded": "CAC fully loaded (all spend / won)",
    "retention_yearly": "retention per year",
    "ltv_net": "LTV net of retention cost",
    "ltv_net_cac_fully_loaded": "LTV net / CAC fully loaded",
    "profit": "profit (margin - spend)",
    "customer_equity": "customer equity at the end",
    "market_share_end": "market share at the end",
}


FOREST_CLIP = 100.0  # % of the reference arm's mean: wider differences are drawn at the edge
FOREST_COLOURS = {"better": "#2ca02c", "worse": "#d62728", "unclear": "#7f7f7f"}


def forest_figure(comparison: dict, metrics: dict[str, str] | None = None) -> Figure:
    """Paired differences between strategies with 95% CIs (a forest plot), as a percentage of the
    reference arm's mean so that metrics in different units share one axis; green where the arm
    is better with the interval clear of zero, red where worse, grey where unclear; each row's
    numbers in a column at the right.

    Args:
        comparison: the dict of :func:`sim.experiments.compare` (``arms``, ``differences``,
            ``baseline_arm``) or of :func:`sim.report.gather`.
        metrics: metric -> label (default :data:`FOREST_METRICS`).

    ``figure.claims``: ``verdicts`` (arm -> metric -> "better", "worse", "unclear" or None where
    there is no interval) and ``counts`` (arm -> verdict -> number of metrics).
    """
    from sim.experiments import lower_is_better

    metrics = metrics or FOREST_METRICS
    base = comparison["baseline_arm"]
    arms = [a for a in comparison["arms"] if a != base]
    with plt.rc_context(SLIDE_STYLE):
        figure, axes = plt.subplots(
            len(arms), 1, figsize=(13, (1.6 + 0.62 * len(metrics)) * len(arms)), layout="constrained",
            squeeze=False,
        )  # fmt: skip
        verdicts: dict[str, dict[str, str | None]] = {}
        counts: dict[str, dict[str, int]] = {}
        # The numbers sit in a column just right of the axes (x in axes fraction, y in rows).
        for axis, arm in zip(axes[:, 0], arms, strict=True):
            column = matplotlib.transforms.blended_transform_factory(axis.transAxes, axis.transData)
            verdicts[arm] = {}
            names = []
            for row, (metric, label) in enumerate(metrics.items()):
                diff = comparison["differences"][arm].get(metric, {})
                reference = comparison["arms"][base].get(metric, {}).get("mean")
                names.append(label)
                if not diff or diff.get("mean") is None or not reference or not diff.get("ci95"):
                    verdicts[arm][metric] = None
                    why = "no interval" if diff and diff.get("mean") is not None else "not defined"
                    axis.text(
                        1.02, row, f"n/a ({why})", transform=column, va="center", ha="left", color="#777777"
                    )
                    continue
                scale = 100 / abs(reference)
                mean, (low, high) = diff["mean"] * scale, (v * scale for v in diff["ci95"])
                good = (mean < 0) if lower_is_better(metric) else (mean > 0)
                clear = low > 0 or high < 0
                verdict = ("better" if good else "worse") if clear else "unclear"
                verdicts[arm][metric] = verdict
                colour = FOREST_COLOURS[verdict]
                # Beyond +-FOREST_CLIP % a difference is drawn at the edge (an arrow head) with its number.
                shown = [float(np.clip(v, -FOREST_CLIP, FOREST_CLIP)) for v in (mean, low, high)]
                marker = "o" if shown == [mean, low, high] else ">" if mean > 0 else "<"
                axis.errorbar(shown[0], row, xerr=[[shown[0] - shown[1]], [shown[2] - shown[0]]], fmt=marker,
                              color=colour, markersize=10, capsize=5, linewidth=2.5, label=metric)  # fmt: skip
                axis.text(1.02, row, f"{mean:+.1f}% [{low:+.1f}, {high:+.1f}]", transform=column, va="center",
                          ha="left", fontsize=10.5, color=colour)  # fmt: skip
            axis.axvline(0, color="black", linewidth=1)
            axis.set_yticks(range(len(names)), names)
            axis.set_ylim(len(names) - 0.5, -0.5)
            axis.set_xlabel(
                f"{_words(arm)} minus {_words(base)}, paired by seed (% of {_words(base)}'s mean)"
            )
            axis.grid(alpha=0.3, axis="x")
            axis.set_xlim(-FOREST_CLIP * 1.08, FOREST_CLIP * 1.08)
            tally = {v: sum(1 for x in verdicts[arm].values() if x == v) for v in FOREST_COLOURS}
            counts[arm] = tally
            missing = sum(1 for x in verdicts[arm].values() if x is None)
            axis.set_title(
                f"{_words(arm)} vs {_words(base)}: clearly better on {tally['better']}, clearly worse on "
                f"{tally['worse']}, unclear on {tally['unclear']} of {len(metrics)} metrics"
                + (f" ({missing} without an interval)" if missing else "")
                + f"\n(green better, red worse, grey unclear: 95% CI of {comparison['runs']} paired runs)"
            )
        return _finish(figure, {"figure": "forest", "verdicts": verdicts, "counts": counts})


def lever_reason_figure(
    changes: pd.DataFrame, measure: str = "weekly churn rate for the reason,\n% change vs no spending"
) -> Figure:
    """Which relations lever moves which churn reason: the change in how often customers leave
    for each reason when the whole budget goes to one lever, against spending nothing on the
    customers (means over the same seeds). ``changes`` has one row per lever and one column per
    reason; ``measure`` labels the colour scale.

    Example:
        >>> import pandas as pd
        >>> changes = pd.DataFrame({"dissatisfied": [-30.0], "unappreciated": [-5.0]}, index=["service_quality"])
        >>> "service quality" in lever_reason_figure(changes).axes[0].get_title()
        True
    """
    with plt.rc_context(SLIDE_STYLE):
        values = changes.to_numpy(dtype=float)
        limit = max(float(np.nanmax(np.abs(values))), 1.0) if values.size else 1.0
        figure, axis = plt.subplots(figsize=(11, 1.6 + 0.65 * len(changes)), layout="constrained")
        image = axis.imshow(values, cmap="RdYlGn_r", vmin=-limit, vmax=limit, aspect="auto")
        axis.set_xticks(
            range(len(changes.columns)), [_words(c) for c in changes.columns], rotation=20, ha="right"
        )
        axis.set_yticks(range(len(changes.index)), [_words(i) for i in changes.index])
        for (i, j), value in np.ndenumerate(values):
            if np.isfinite(value):
                axis.text(j, i, f"{value:+.0f}%", ha="center", va="center", fontsize=11,
                          color="white" if abs(value) > 0.6 * limit else "black")  # fmt: skip
        bar = figure.colorbar(image, ax=axis)
        bar.set_label(measure)
        best = np.unravel_index(np.nanargmin(values), values.shape) if values.size else None
        # Each lever's strongest cut: "its own reason" only when no two levers share one.
        strongest = {
            lever: changes.columns[int(np.nanargmin(row))]
            for lever, row in zip(changes.index, values, strict=True)
            if np.isfinite(row).any()
        }
        own = len(strongest) > 1 and len(set(strongest.values())) == len(strongest)
        if best is not None:
            axis.set_title(
                ("Each lever works on its own reason: " if own else "")
                + f"{_words(changes.index[best[0]])} cuts '{_words(changes.columns[best[1]])}' most "
                f"({values[best]:+.0f}%)"
            )
        axis.set_xlabel("why customers left")
        axis.set_ylabel("whole budget on")
        best_cell = (
            None if best is None else (changes.index[best[0]], changes.columns[best[1]], float(values[best]))
        )
        return _finish(
            figure, {"figure": "lever_reason", "strongest": strongest, "own": own, "best": best_cell}
        )


def referral_cascade_figure(customers: pd.DataFrame, adjacency, firms: list[str], seed: int = 1) -> Figure:
    """Who referred whom on a small network: every person a dot coloured by their firm (grey for
    prospects), friendships as faint lines, referrals as arrows in the referred customer's firm
    colour. ``customers`` is a run's per-person table, ``adjacency`` its network's (scipy sparse).

    ``figure.claims``: ``referred`` (firm -> customers referred into it: one arrow each),
    ``cascades``, ``depth`` and ``colours`` (each firm's arrow colour).

    Example:
        >>> from sim import load_scenario
        >>> from sim.model import CustomerMarket
        >>> from sim.simulation import collect
        >>> market = CustomerMarket(load_scenario("scenarios/baseline.toml", {"market.size": 120, "run.weeks": 30}))
        >>> market.run_model()
        >>> figure = referral_cascade_figure(collect(market).customers, market.network.adjacency, ["us", "rival"])
        >>> figure.axes[0].get_title().startswith("Referrals")
        True
    """
    import networkx as nx

    colours = firm_colours(firms)
    current = customers[customers["left_market_week"].isna()]
    slot_of = dict(zip(customers["id"], customers["slot"], strict=True))
    friends = nx.from_scipy_sparse_array(adjacency)
    referred = current[current["referrer"].notna() & current["firm"].notna()]
    cascade = nx.DiGraph()
    for row in referred.itertuples():
        cascade.add_edge(int(slot_of[row.referrer]), int(row.slot), firm=row.firm)
    layout_graph = friends.copy()
    for a, b in cascade.edges:
        layout_graph.add_edge(a, b, weight=6.0)  # referral chains drawn close together
    positions = nx.spring_layout(layout_graph, seed=seed, weight="weight", k=1.2 / np.sqrt(len(friends)))
    firm_of = dict(zip(current["slot"], current["firm"], strict=True))
    with plt.rc_context(SLIDE_STYLE):
        figure, axis = plt.subplots(figsize=(11, 9), layout="constrained")
        nx.draw_networkx_edges(friends, positions, ax=axis, edge_color="#cccccc", width=0.4, alpha=0.6)
        node_colours = [colours.get(firm_of.get(n, ""), "#e0e0e0") for n in friends.nodes]
        sizes = [70 if n in cascade else 22 for n in friends.nodes]
        nx.draw_networkx_nodes(friends, positions, ax=axis, node_color=node_colours, node_size=sizes,
                               linewidths=0.3, edgecolors="white")  # fmt: skip
        for firm in firms:
            edges = [(a, b) for a, b, f in cascade.edges(data="firm") if f == firm]
            if edges:
                nx.draw_networkx_edges(cascade, positions, edgelist=edges, ax=axis, edge_color=colours[firm],
                                       width=2.2, arrows=True, arrowsize=14, node_size=70)  # fmt: skip
        for firm in firms:
            axis.scatter([], [], color=colours[firm], s=60, label=f"customer of {firm}")
            axis.plot([], [], color=colours[firm], linewidth=2.2, label=f"referral into {firm}")
        axis.scatter([], [], color="#e0e0e0", s=40, label="not a customer")
        axis.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
        axis.set_axis_off()
        depth = 0
        if cascade.number_of_edges():
            try:
                depth = nx.dag_longest_path_length(cascade)
            except nx.NetworkXUnfeasible:  # someone referred back after rejoining: a cycle
                depth = max(len(nx.dfs_tree(cascade, n)) - 1 for n in cascade)
        trees = nx.number_weakly_connected_components(cascade) if cascade.number_of_nodes() else 0
        by_firm = referred["firm"].value_counts()
        counts = ", ".join(f"{by_firm.get(f, 0)} into {f}" for f in firms)
        axis.set_title(
            f"Referrals travel along friendships: {len(referred)} customers were referred ({counts}),\n"
            f"in {trees} cascades, the longest {depth} step{'s' if depth != 1 else ''} deep "
            f"({len(friends)} people; each customer's latest acquisition)"
        )
        claims = {"figure": "cascade", "referred": {f: int(by_firm.get(f, 0)) for f in firms},
                  "cascades": trees, "depth": depth, "colours": colours}  # fmt: skip
        return _finish(figure, claims)


def pareto_figure(
    candidates: pd.DataFrame,
    metrics: list[str],
    minimise: list[bool],
    references: pd.DataFrame | None = None,
    chosen: int | None = None,
    labels: dict[str, str] | None = None,
    title: str | None = None,
) -> Figure:
    """The trade-off between two or three objectives (``sim optimise``): every candidate plan
    (grey; hollow if it missed a constraint), the Pareto front (``pareto`` column; joined for two
    objectives), the chosen plan (a star) and the reference strategies (labelled squares). With
    three objectives one panel per pair.

    Args:
        candidates: one row per plan with the ``metrics`` columns, ``feasible`` and ``pareto``.
        metrics: the two or three columns to plot.
        minimise: per metric, whether lower is better (shown in the axis label).
        references: one row per reference strategy: ``strategy`` and the ``metrics`` columns.
        chosen: the index label of the chosen plan in ``candidates``.
        labels: axis label per metric (default: the metric name).
        title: the figure's title.

    Example:
        >>> import pandas as pd
        >>> table = pd.DataFrame({"a": [1.0, 2.0], "b": [2.0, 1.0], "feasible": True, "pareto": True})
        >>> pareto_figure(table, ["a", "b"], [False, False]).axes[0].get_xlabel()
        'a (higher is better)'
    """
    import textwrap

    labels = labels or {}
    pairs = [(0, 1)] if len(metrics) == 2 else [(0, 1), (0, 2), (1, 2)]
    width = 8.0 if len(pairs) == 1 else 6.2 * len(pairs)
    figure, axes = plt.subplots(1, len(pairs), figsize=(width, 5.6), layout="constrained", squeeze=False)
    feasible = candidates["feasible"].astype(bool)
    front = candidates["pareto"].astype(bool)
    for axis, (i, j) in zip(axes[0], pairs, strict=True):
        x, y = metrics[i], metrics[j]
        ok = candidates[feasible & ~front]
        axis.scatter(ok[x], ok[y], s=18, color="#7f7f7f", alpha=0.5, label="candidate plan")
        missed = candidates[~feasible]
        if len(missed):
            axis.scatter(missed[x], missed[y], s=18, facecolors="none", edgecolors="#7f7f7f", alpha=0.6,
                         label="missed a constraint")  # fmt: skip
        best = candidates[front].sort_values(x)
        if len(metrics) == 2:
            axis.plot(best[x], best[y], "-o", color=PALETTE[0], linewidth=1.5, markersize=5,
                      label="Pareto front")  # fmt: skip
        else:
            axis.scatter(best[x], best[y], s=30, color=PALETTE[0], label="Pareto front (all three)")
        if chosen is not None:
            axis.scatter(candidates.loc[chosen, x], candidates.loc[chosen, y], marker="*", s=260,
                         color=PALETTE[1], edgecolors="black", zorder=5, label="chosen plan")  # fmt: skip
        if references is not None:
            for k, (_, row) in enumerate(references.iterrows()):
                colour = PALETTE[2 + k % (len(PALETTE) - 2)]
                axis.scatter(row[x], row[y], marker="s", s=55, color=colour, edgecolors="black", zorder=4)
                axis.annotate(str(row["strategy"]), (row[x], row[y]), textcoords="offset points",
                              xytext=(6, 4), fontsize=8, color=colour)  # fmt: skip
        for metric, setter in ((x, axis.set_xlabel), (y, axis.set_ylabel)):
            better = "lower" if minimise[metrics.index(metric)] else "higher"
            setter(f"{labels.get(metric, metric)} ({better} is better)")
        axis.margins(0.08)  # room for the reference labels at the edges
        from matplotlib.ticker import StrMethodFormatter

        for values, target in ((candidates[x], axis.xaxis), (candidates[y], axis.yaxis)):
            if np.nanmax(np.abs(values.to_numpy(dtype=float))) >= 1000:  # money: thousands separators
                target.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
        axis.grid(alpha=0.3)
        axis.legend(fontsize=8)
    if title:  # wrapped to the figure's width (about 11 characters per inch at this size)
        lines = [textwrap.fill(part, int(11 * width)) for part in title.split("\n")]
        figure.suptitle("\n".join(lines), fontsize=10)
    return figure


def report_figures(data: Any) -> dict[str, Figure]:
    """Every figure of ``sim report``, by name, in the order of the page: customers over time,
    the forest plot (two groups or more), acquisitions by channel, retention by group and by
    channel (``retention_<group>``), the churn waterfall, CAC against LTV, the value distribution,
    spend by lever, the sweep's figures (a scenario with ``[sweep]``) and the referral cascade.
    The report notebook shows these, so a test of this function covers every figure of the page.

    Args:
        data: a :class:`sim.report.ReportData` (from :func:`sim.report.gather`).
    """
    figures: dict[str, Figure] = {}
    if data.mode == "arms":
        figures["customers"] = customers_by_group_figure(data.runs_by_group(), data.firm)
    else:
        figures["customers"] = customers_figure(next(iter(data.runs_by_group().values())), data.scenario.name)
    if len(data.groups) > 1:
        figures["forest"] = forest_figure(data.comparison)
    channels = data.channels()
    figures["acquisitions"] = acquisitions_by_channel_figure(channels)
    figures["retention"] = retention_figure(data.retention(), "strategy" if data.mode == "arms" else "firm")
    for label in data.groups:
        curves = data.retention_by_channel(label)
        if len(curves):
            figures[f"retention_{label}"] = retention_figure(curves, "channel", bands=False, of=label)
    figures["waterfall"] = churn_waterfall_figure(data.firm_means())
    figures["cac_ltv"] = cac_ltv_figure(data.blended(), channels)
    figures["value"] = value_distribution_figure(*data.values())
    figures["spend"] = spend_by_lever_figure(data.spend())
    if data.sweep is not None:
        figures.update(
            sweep_figures(
                data.sweep, data.firm, list(data.scenario.sweep.keys), data.scenario.sweep.method == "grid"
            )
        )
    if data.cascade is not None:
        figures["cascade"] = referral_cascade_figure(*data.cascade)
    return figures
