"""The figures of ``sim game``: the payoff heat map and the best-response figure.

Both draw from the ``game.json`` dict of :func:`sim.game.analyse` (never from the workflow's
objects). For two firms the profiles form a grid (rows: the first firm's choices, columns: the
second's); each cell is split in two, the left half the row firm's payoff and the right half the
column firm's, each coloured on its own firm's scale and labelled with the mean and its 95% CI.
The best-response figure marks in each cell whether it is the row firm's best response to that
column (a left-pointing triangle) and the column firm's best response to that row (an upward
triangle), filled when beyond the noise, hollow when within it; a cell with both marks is an
equilibrium (outlined); an arrow leaves every other cell toward the deviation that gains most.
For three or more firms: one panel per firm over the profiles (payoffs with CIs), and the
regret of every profile (equilibria at 0). Titles are computed from the plotted numbers
(``figure.claims``).

Example:
    >>> info = {"players": ["a", "b"], "choices": {"a": {"x": {}, "y": {}}, "b": {"u": {}}}, "payoff": "profit",
    ...     "direction": "maximize", "seeds": [1, 2], "profiles": [
    ...     {"label": "a=x, b=u", "choices": {"a": "x", "b": "u"}, "payoffs": {"a": {"profit": {"mean": 1.0, "ci95": None}},
    ...      "b": {"profit": {"mean": 0.0, "ci95": None}}}},
    ...     {"label": "a=y, b=u", "choices": {"a": "y", "b": "u"}, "payoffs": {"a": {"profit": {"mean": 2.0, "ci95": None}},
    ...      "b": {"profit": {"mean": 0.0, "ci95": None}}}}], "best_responses": [], "regrets": [], "equilibria": []}
    >>> payoff_figure(info).claims["equilibria"]
    ['a=y, b=u']
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Rectangle
from matplotlib.ticker import MaxNLocator

from sim.plots.layout import SLIDE_STYLE, THOUSANDS, finish

if TYPE_CHECKING:
    from matplotlib.figure import Figure

ROW_MAP, COLUMN_MAP = "Blues", "Oranges"


def _number(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.3g}"


def _means(info: Mapping[str, Any]) -> dict[tuple[str, ...], dict[str, float | None]]:
    metric, players = info["payoff"], info["players"]
    return {
        tuple(p["choices"][f] for f in players): {f: p["payoffs"][f][metric]["mean"] for f in players}
        for p in info["profiles"]
    }


def pure_equilibria(info: Mapping[str, Any]) -> list[str]:
    """The profiles where no firm's mean payoff rises by changing its own choice alone, computed
    from the means the figures plot (the same as ``info["equilibria"]``)."""
    players, better = info["players"], info["direction"] == "maximize"
    means = _means(info)
    found = []
    for profile, values in means.items():
        stable = True
        for k, firm in enumerate(players):
            for choice in info["choices"][firm]:
                other = means[(*profile[:k], choice, *profile[k + 1 :])][firm]
                mine = values[firm]
                if other is not None and mine is not None and (other > mine if better else other < mine):
                    stable = False
        if stable:
            found.append(", ".join(f"{f}={c}" for f, c in zip(players, profile, strict=True)))
    return found


def _equilibrium_words(found: list[str]) -> str:
    if not found:
        return "no pure-strategy equilibrium"
    return f"equilibri{'um' if len(found) == 1 else 'a'} at {'; '.join(found)}"


def payoff_figure(info: Mapping[str, Any]) -> Figure:
    """The payoff of every firm in every profile, mean [95% CI] over the paired seeds (see the
    module's docstring); the title names the pure-strategy equilibria of the plotted means.

    ``figure.claims``: ``figure`` ("game_payoffs"), ``players``, ``cells`` (profile label -> firm ->
    mean) and ``equilibria`` (labels)."""
    players, metric = info["players"], info["payoff"]
    found = pure_equilibria(info)
    runs = len(info["seeds"])
    title = (
        f"{metric} per firm and profile, mean [95% CI] over {runs} paired seeds: {_equilibrium_words(found)}"
    )
    cells = {p["label"]: {f: p["payoffs"][f][metric]["mean"] for f in players} for p in info["profiles"]}
    with plt.rc_context(SLIDE_STYLE):
        figure = _grid_payoffs(info, found) if len(players) == 2 else _panels_payoffs(info, found)
        figure.suptitle(title)
    return finish(figure, {"figure": "game_payoffs", "players": players, "cells": cells, "equilibria": found})


def _grid(info: Mapping[str, Any]) -> tuple[list[str], list[str], Figure, Any]:
    first, second = info["players"]
    rows, columns = list(info["choices"][first]), list(info["choices"][second])
    figure, axis = plt.subplots(
        figsize=(max(6.5, 2.2 + 3.4 * len(columns)), max(3.8, 1.9 + 1.35 * len(rows))), layout="constrained"
    )
    axis.set_xlim(0, len(columns))
    axis.set_ylim(len(rows), 0)
    axis.set_xticks(np.arange(len(columns)) + 0.5, columns)
    axis.set_yticks(np.arange(len(rows)) + 0.5, rows)
    axis.set_xlabel(f"{second}'s choice")
    axis.set_ylabel(f"{first}'s choice")
    axis.tick_params(length=0)
    for side in ("top", "right", "left", "bottom"):
        axis.spines[side].set_visible(False)
    return rows, columns, figure, axis


def _grid_payoffs(info: Mapping[str, Any], found: list[str]) -> Figure:
    first, second = info["players"]
    metric = info["payoff"]
    rows, columns, figure, axis = _grid(info)
    by_label = {p["label"]: p for p in info["profiles"]}
    scales = {}
    for firm in (first, second):
        values = [p["payoffs"][firm][metric]["mean"] for p in info["profiles"]]
        values = [v for v in values if v is not None] or [0.0]
        scales[firm] = (min(values), max(values))
    maps = {first: plt.get_cmap(ROW_MAP), second: plt.get_cmap(COLUMN_MAP)}
    for i, r in enumerate(rows):
        for j, c in enumerate(columns):
            label = f"{first}={r}, {second}={c}"
            profile = by_label[label]
            for half, firm in enumerate((first, second)):
                stats = profile["payoffs"][firm][metric]
                low, high = scales[firm]
                level = 0.5 if high == low or stats["mean"] is None else (stats["mean"] - low) / (high - low)
                colour = maps[firm](0.15 + 0.6 * level)
                axis.add_patch(
                    Rectangle((j + 0.5 * half, i), 0.5, 1, facecolor=colour, edgecolor="white", linewidth=1)
                )
                interval = stats["ci95"]
                ci = f"\n[{_number(interval[0])}, {_number(interval[1])}]" if interval else ""
                axis.text(
                    j + 0.25 + 0.5 * half, i + 0.5, f"{firm}\n{_number(stats['mean'])}{ci}", ha="center",
                    va="center", fontsize=8.5, color="white" if level > 0.6 else "black",
                    gid=f"payoff|{label}|{firm}",
                )  # fmt: skip
            if label in found:
                axis.add_patch(
                    Rectangle((j + 0.02, i + 0.02), 0.96, 0.96, fill=False, edgecolor="black", linewidth=3)
                )
    axis.set_title(
        f"left half: {first}'s {metric}, right half: {second}'s; outlined: equilibrium", fontsize=10
    )
    return figure


def _panels_payoffs(info: Mapping[str, Any], found: list[str]) -> Figure:
    players, metric = info["players"], info["payoff"]
    labels = [p["label"] for p in info["profiles"]]
    figure, axes = plt.subplots(
        1, len(players), figsize=(4.2 * len(players) + 2.5, 1.6 + 0.42 * len(labels)), layout="constrained",
        sharey=True, squeeze=False,
    )  # fmt: skip
    for axis, firm in zip(axes[0], players, strict=True):
        means = np.array([np.nan if p["payoffs"][firm][metric]["mean"] is None else p["payoffs"][firm][metric]["mean"]
                          for p in info["profiles"]])  # fmt: skip
        lows = np.array(
            [(p["payoffs"][firm][metric]["ci95"] or [np.nan, np.nan])[0] for p in info["profiles"]]
        )
        highs = np.array(
            [(p["payoffs"][firm][metric]["ci95"] or [np.nan, np.nan])[1] for p in info["profiles"]]
        )
        y = np.arange(len(labels))
        colours = ["#2ca02c" if label in found else "#7f7f7f" for label in labels]
        axis.barh(y, means, color=colours, label=f"{firm}: mean")
        axis.errorbar(means, y, xerr=[means - lows, highs - means], fmt="none", ecolor="black", capsize=3)
        axis.set_yticks(y, labels)
        axis.invert_yaxis()
        axis.set_title(f"{firm}'s {metric}")
        axis.axvline(0, color="black", linewidth=0.8)
        axis.margins(x=0.1)
        axis.xaxis.set_major_locator(MaxNLocator(4))
        axis.xaxis.set_major_formatter(THOUSANDS)
    return figure


def best_response_figure(info: Mapping[str, Any]) -> Figure:
    """Each firm's best responses and the equilibria (see the module's docstring); for three or
    more firms, the regret of every profile. The title names the equilibria found where the
    marks meet and how many best responses are beyond the noise.

    ``figure.claims``: ``figure`` ("game_best_responses"), ``players``, ``equilibria`` (labels)
    and ``beyond`` / ``total`` (best responses beyond the noise, and all of them)."""
    players = info["players"]
    rows_ = info["best_responses"]
    beyond = sum(r["beyond_noise"] for r in rows_)
    found = [e["label"] for e in info["equilibria"]]
    robust = [e["label"] for e in info["equilibria"] if e["robust"]]
    words = _equilibrium_words(found)
    if found:
        words += f" ({len(robust)} robust to the noise)"
    title = f"Best responses ({beyond} of {len(rows_)} beyond the noise): {words}"
    with plt.rc_context(SLIDE_STYLE):
        figure = _grid_responses(info) if len(players) == 2 else _regret_panel(info)
        figure.suptitle(title)
    claims = {"figure": "game_best_responses", "players": players, "equilibria": found, "beyond": beyond,
              "total": len(rows_)}  # fmt: skip
    return finish(figure, claims)


def _grid_responses(info: Mapping[str, Any]) -> Figure:
    first, second = info["players"]
    rows, columns, figure, axis = _grid(info)
    for i in range(len(rows)):
        for j in range(len(columns)):
            axis.add_patch(Rectangle((j, i), 1, 1, facecolor="#f2f2f2", edgecolor="white", linewidth=2))
    marks = {first: ([], [], []), second: ([], [], [])}  # x, y, filled
    for row in info["best_responses"]:
        if row["best"] is None:
            continue
        firm = row["firm"]
        if firm == first:
            i, j = rows.index(row["best"]), columns.index(row["against"][second])
            x, y = j + 0.3, i + 0.5
        else:
            i, j = rows.index(row["against"][first]), columns.index(row["best"])
            x, y = j + 0.7, i + 0.5
        marks[firm][0].append(x)
        marks[firm][1].append(y)
        marks[firm][2].append(row["beyond_noise"])
    for firm, marker, colour in ((first, "<", "#1f77b4"), (second, "^", "#ff7f0e")):
        xs, ys, filled = (np.array(v) for v in marks[firm])
        if not len(xs):
            continue
        for flag, face, text in ((True, colour, "beyond the noise"), (False, "none", "within the noise")):
            pick = filled == flag if len(filled) else np.array([], dtype=bool)
            if pick.any():
                axis.scatter(xs[pick], ys[pick], marker=marker, s=260, facecolors=face, edgecolors=colour,
                             linewidths=2, zorder=4, label=f"{firm}'s best response ({text})")  # fmt: skip
    for eq in info["equilibria"]:
        i, j = rows.index(eq["profile"][0]), columns.index(eq["profile"][1])
        axis.add_patch(Rectangle((j + 0.03, i + 0.03), 0.94, 0.94, fill=False, edgecolor="black",
                                 linewidth=3, linestyle="-" if eq["robust"] else "--"))  # fmt: skip
    for regret in info["regrets"]:
        if not regret["deviator"]:
            continue
        i, j = rows.index(regret["profile"][0]), columns.index(regret["profile"][1])
        ti, tj = (
            (rows.index(regret["deviation"]), j)
            if regret["deviator"] == first
            else (i, columns.index(regret["deviation"]))
        )
        axis.annotate("", xy=(tj + 0.5 + 0.25 * np.sign(j - tj), ti + 0.5 + 0.3 * np.sign(i - ti)),
                      xytext=(j + 0.5, i + 0.5), arrowprops={"arrowstyle": "->", "color": "#555555", "lw": 1.2})  # fmt: skip
    axis.set_title(
        "arrow: the deviation that gains most; outline: equilibrium (dashed: not robust to the noise)",
        fontsize=10,
    )
    # The markers are drawn large (s=260); in the legend at that size they overlap the next row.
    axis.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2, fontsize=8.5, frameon=False,
                markerscale=0.55, labelspacing=1.0)  # fmt: skip
    return figure


def _regret_panel(info: Mapping[str, Any]) -> Figure:
    regrets = info["regrets"]
    labels = [r["label"] for r in regrets]
    values = np.array([r["regret"] for r in regrets])
    figure, axis = plt.subplots(figsize=(9.5, 1.6 + 0.42 * len(labels)), layout="constrained")
    y = np.arange(len(labels))
    colours = ["#2ca02c" if v == 0 else "#7f7f7f" for v in values]
    axis.barh(y, values, color=colours, label="regret: the most one firm gains by deviating")
    at_zero = y[values == 0]
    if len(at_zero):  # a bar of length 0 is not seen: a star marks each equilibrium
        axis.scatter(np.zeros(len(at_zero)), at_zero, marker="*", s=220, color="#2ca02c", zorder=4,
                     label="equilibrium (regret 0)")  # fmt: skip
    axis.set_yticks(y, labels)
    axis.invert_yaxis()
    axis.set_xlabel(f"regret ({info['payoff']}); 0 = equilibrium")
    axis.margins(x=0.1)
    axis.xaxis.set_major_locator(MaxNLocator(5))
    axis.xaxis.set_major_formatter(THOUSANDS)
    axis.legend(loc="lower right", fontsize=8.5)
    return figure
