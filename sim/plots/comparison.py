"""Differences between strategies and plans: the forest plot of paired differences, which lever
moves which churn reason, and the Pareto front of ``sim optimise``.

Each returns a Figure whose title states what its numbers show (``figure.claims``).
"""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING

import matplotlib
import matplotlib.pyplot as plt
import matplotlib.ticker
import matplotlib.transforms
import numpy as np
import pandas as pd

from sim.design.outcomes import is_lower_better
from sim.plots.layout import (
    PALETTE,
    SLIDE_STYLE,
    finish,
    words,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure


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
                good = (mean < 0) if is_lower_better(metric) else (mean > 0)
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
            axis.set_xlabel(f"{words(arm)} minus {words(base)}, paired by seed (% of {words(base)}'s mean)")
            axis.grid(alpha=0.3, axis="x")
            axis.set_xlim(-FOREST_CLIP * 1.08, FOREST_CLIP * 1.08)
            tally = {v: sum(1 for x in verdicts[arm].values() if x == v) for v in FOREST_COLOURS}
            counts[arm] = tally
            missing = sum(1 for x in verdicts[arm].values() if x is None)
            axis.set_title(
                f"{words(arm)} vs {words(base)}: clearly better on {tally['better']}, clearly worse on "
                f"{tally['worse']}, unclear on {tally['unclear']} of {len(metrics)} metrics"
                + (f" ({missing} without an interval)" if missing else "")
                + f"\n(green better, red worse, grey unclear: 95% CI of {comparison['runs']} paired runs)"
            )
        return finish(figure, {"figure": "forest", "verdicts": verdicts, "counts": counts})


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
            range(len(changes.columns)), [words(c) for c in changes.columns], rotation=20, ha="right"
        )
        axis.set_yticks(range(len(changes.index)), [words(i) for i in changes.index])
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
                + f"{words(changes.index[best[0]])} cuts '{words(changes.columns[best[1]])}' most "
                f"({values[best]:+.0f}%)"
            )
        axis.set_xlabel("why customers left")
        axis.set_ylabel("whole budget on")
        best_cell = (
            None if best is None else (changes.index[best[0]], changes.columns[best[1]], float(values[best]))
        )
        return finish(
            figure, {"figure": "lever_reason", "strongest": strongest, "own": own, "best": best_cell}
        )


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


# The outcomes drawn for each event's effect, with their axis labels.
EVENT_EFFECT_PANELS = {
    "profit": "profit (margin - spend), currency",
    "customer_equity": "customer equity at end, currency",
    "market_share_end": "market share at end, points",
}


def event_effects_figure(frame: pd.DataFrame, firm: str, runs: int) -> Figure:
    """Each market event's effect on ``firm``: the scenario as written minus the same seeds without
    the event (:func:`sim.event_effects.event_effects`), one panel per outcome of
    :data:`EVENT_EFFECT_PANELS`, one row per event, the mean with its 95% CI; green where the event
    helped the firm with the interval clear of zero, red where it hurt, grey within the noise.

    Args:
        frame: ``event``, ``firm``, ``metric``, ``effect``, ``ci95_low``, ``ci95_high`` rows
            (``EventEffects.table_frame``).
        firm: the firm drawn.
        runs: seeds behind each interval (for the axis label).

    ``figure.claims``: ``profit`` (event -> mean effect on profit), ``verdicts`` (event -> metric ->
    "better", "worse", "unclear" or None) and ``costliest`` (the event with the most negative profit
    effect clear of zero, or None).
    """
    rows = frame[frame["firm"] == firm]
    events = list(dict.fromkeys(rows["event"]))
    with plt.rc_context(SLIDE_STYLE):
        figure, axes = plt.subplots(
            1,
            len(EVENT_EFFECT_PANELS),
            figsize=(15, 2.4 + 0.75 * len(events)),
            layout="constrained",
            sharey=True,
        )
        verdicts: dict[str, dict[str, str | None]] = {event: {} for event in events}
        for axis, (metric, label) in zip(axes, EVENT_EFFECT_PANELS.items(), strict=True):
            scale = 100.0 if metric == "market_share_end" else 1.0
            for position, event in enumerate(events):
                row = rows[(rows["event"] == event) & (rows["metric"] == metric)]
                if row.empty or pd.isna(row["effect"].iloc[0]) or pd.isna(row["ci95_low"].iloc[0]):
                    verdicts[event][metric] = None
                    continue
                mean, low, high = (float(row[c].iloc[0]) * scale for c in ("effect", "ci95_low", "ci95_high"))
                good = (mean < 0) if is_lower_better(metric) else (mean > 0)
                verdict = ("better" if good else "worse") if (low > 0 or high < 0) else "unclear"
                verdicts[event][metric] = verdict
                axis.errorbar(mean, position, xerr=[[mean - low], [high - mean]], fmt="o", markersize=9,
                              capsize=5, linewidth=2.5, color=FOREST_COLOURS[verdict])  # fmt: skip
            axis.axvline(0, color="black", linewidth=1)
            axis.set_xlabel(f"{label}\n(as written minus without, {runs} seeds, 95% CI)")
            axis.grid(alpha=0.3, axis="x")
            axis.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(nbins=5))
            axis.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: _compact(v)))
        axes[0].set_yticks(range(len(events)), [words(e) for e in events])
        axes[0].set_ylim(len(events) - 0.5, -0.5)
        profit = {
            event: float(r["effect"].iloc[0])
            for event in events
            if not (r := rows[(rows["event"] == event) & (rows["metric"] == "profit")]).empty
            and not pd.isna(r["effect"].iloc[0])
        }
        hurt = {e: v for e, v in profit.items() if verdicts[e].get("profit") == "worse"}
        costliest = min(hurt, key=hurt.get) if hurt else None
        if costliest is not None:
            worst = rows[(rows["event"] == costliest) & (rows["metric"] == "profit")].iloc[0]
            title = (
                f"For {words(firm)}, {words(costliest)} cost the most profit: {hurt[costliest]:+,.0f} "
                f"(95% CI {worst['ci95_low']:+,.0f} to {worst['ci95_high']:+,.0f})"
            )
        elif any(v == "better" for v in (verdicts[e].get("profit") for e in events)):
            title = f"No event cost {words(firm)} profit clear of the noise; some raised it"
        else:
            title = f"No event's effect on {words(firm)}'s profit is clear of the noise of {runs} seeds"
        figure.suptitle(title)
        return finish(
            figure,
            {"figure": "event_effects", "profit": profit, "verdicts": verdicts, "costliest": costliest},
        )


def _compact(value: float) -> str:
    """A tick label in few characters: +1.2M, -80k, +5."""
    size = abs(value)
    if size >= 1e6:
        return f"{value / 1e6:+.1f}M"
    if size >= 1e3:
        return f"{value / 1e3:+.0f}k"
    return f"{value:+.0f}"
