"""The figures of ``sim sweep``: a firm's outcomes against each swept key, and a heatmap over two.

Each takes the sweep's table (:func:`sim.sweep`: one row per point x replicate x firm) and
returns a Figure whose title states the best point it plots (``figure.claims``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import matplotlib
import matplotlib.pyplot as plt
import matplotlib.ticker
import matplotlib.transforms
import numpy as np
import pandas as pd

from sim.plots.layout import (
    SLIDE_STYLE,
    THOUSANDS,
    finish,
    firm_colours,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure


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
                    label = "mean of runs" if level is None else value_text(level)
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
            title = f"{firm}: {name} is highest at {key} = {value_text(best['key'])}"
            if by is not None:
                title += f" with {by} = {value_text(best['by'])}"
        if rest:
            title += f"\n(mean of runs, averaged over {', '.join(rest)})"
        figure.suptitle(title)
        best_claim = None if best is None else {**best, "key": _plain(best["key"]), "by": _plain(best["by"])}
        return finish(
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
        axis.set_xticks(range(grid.shape[1]), [value_text(v) for v in grid.columns])
        axis.set_yticks(range(grid.shape[0]), [value_text(v) for v in grid.index])
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
            f"{x_key} = {value_text(grid.columns[j])} and {y_key} = {value_text(grid.index[i])}\n"
            f"(mean of runs in each cell{averaged})"
        )
        best = {"x": _plain(grid.columns[j]), "y": _plain(grid.index[i]), "value": float(values[i, j])}
        return finish(
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


def value_text(value: Any) -> str:
    """A swept value as text: numbers compactly (``1200``, ``0.005``), anything else as is."""
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        return f"{value:g}"
    return str(value)
