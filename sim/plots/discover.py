"""The figures of ``sim discover``: where in the sampled markets a case holds, as PRIM and a tree see it.

Each takes the dict :func:`sim.discover.find_conditions` returns (and, for the figures that show
markets, the design's inputs and case flags): the peeling trajectory (:func:`prim_trajectory_figure`),
the chosen box against the sampled ranges (:func:`box_figure`), a pairwise scatter of the
uncertainties coloured by case with the box drawn (:func:`pairs_figure`) and the tree's rules
(:func:`tree_figure`). Every title states only what the figure's numbers show (``figure.claims``).

Example:
    >>> limit_text({"kind": "number", "low": 0.2, "high": 1.0, "qp": {"low": 1e-9}}, "wom")
    'wom >= 0.2'
"""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING, Any

import matplotlib.colors
import matplotlib.lines
import matplotlib.patches
import matplotlib.pyplot as plt
import matplotlib.transforms
import numpy as np
import pandas as pd

from sim.plots.layout import SLIDE_STYLE, finish

if TYPE_CHECKING:
    from matplotlib.figure import Figure

CASE_COLOUR = "#d62728"
OTHER_COLOUR = "#9e9e9e"
BOX_COLOUR = "#1f77b4"
# The pairwise scatter shows at most this many uncertainties (the restricted ones, then the
# highest feature scores): past four the panels are too small to read.
MAX_PAIRS = 4
# Category values are drawn at integer positions, each point jittered this far either side.
JITTER = 0.25


def _value(value: float) -> str:
    """A limit as figures show it: three significant figures, thousands separated."""
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3g}"


def limit_text(limit: dict[str, Any], label: str) -> str:
    """One restriction of a PRIM box in words: ``wom >= 0.2``, ``0.1 <= x <= 0.3``, ``rival in {passive}``."""
    if limit["kind"] == "category":
        return f"{label} in {{{', '.join(limit['kept'])}}}"
    sides = limit["qp"]
    if "low" in sides and "high" in sides:
        return f"{_value(limit['low'])} <= {label} <= {_value(limit['high'])}"
    if "high" in sides:
        return f"{label} <= {_value(limit['high'])}"
    return f"{label} >= {_value(limit['low'])}"


def _chosen(result: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    prim = result.get("prim")
    if prim is None:
        raise ValueError(f"no PRIM result to draw: {result.get('note', 'find_conditions found nothing')}")
    return prim, prim["box"]


# --------------------------------------------------------------------------- peeling trajectory


def prim_trajectory_figure(result: dict[str, Any]) -> Figure:
    """Coverage against density for every box on PRIM's peeling (and pasting) trajectory, coloured
    by its number of restricted dimensions, the density threshold dashed and the chosen box ringed.

    ``figure.claims``: the chosen box's ``coverage``, ``density`` and ``res_dim``, the ``threshold``
    and whether the box was chosen by it (``by_threshold``) or is the densest.
    """
    prim, box = _chosen(result)
    trajectory = pd.DataFrame(prim["trajectory"])
    threshold = result["settings"]["threshold"]
    with plt.rc_context(SLIDE_STYLE):
        figure, axis = plt.subplots(figsize=(8.5, 6.0), layout="constrained")
        top = int(trajectory["res_dim"].max())
        norm = matplotlib.colors.BoundaryNorm(np.arange(-0.5, top + 1.5), plt.get_cmap("viridis").N)
        points = axis.scatter(trajectory["coverage"], trajectory["density"], c=trajectory["res_dim"], cmap="viridis",
                              norm=norm, s=36, edgecolors="white", linewidths=0.5, gid="trajectory", zorder=3)  # fmt: skip
        axis.scatter([box["coverage"]], [box["density"]], s=260, facecolors="none", edgecolors=CASE_COLOUR,
                     linewidths=2.2, label=f"chosen box ({prim['chosen']})", gid="chosen", zorder=4)  # fmt: skip
        axis.axhline(threshold, color="#444444", linestyle="--", linewidth=1.2,
                     label=f"density threshold {threshold:g}", gid="threshold")  # fmt: skip
        bar = figure.colorbar(points, ax=axis, ticks=range(top + 1))
        bar.set_label("restricted dimensions")
        axis.set_xlim(min(0.0, trajectory["coverage"].min()) - 0.02, 1.03)
        axis.set_ylim(min(trajectory["density"].min(), threshold) - 0.05, 1.05)
        axis.set_xlabel("coverage (share of all cases inside the box)")
        axis.set_ylabel("density (share of the box's markets that are cases)")
        axis.grid(alpha=0.3)
        axis.legend(loc="lower left")
        by_threshold = box["density"] >= threshold
        how = "" if by_threshold else f" (no box reaches density {threshold:g}: the densest)"
        axis.set_title(
            f"PRIM's chosen box holds {box['coverage']:.0%} of the {result['case']['cases']} cases "
            f"at density {box['density']:.0%}, restricting {box['res_dim']} "
            f"dimension{'s' if box['res_dim'] != 1 else ''}{how}"
        )
        claims = {
            "figure": "prim_trajectory", "coverage": box["coverage"], "density": box["density"],
            "res_dim": box["res_dim"], "threshold": threshold, "by_threshold": bool(by_threshold),
            "cases": result["case"]["cases"],
        }  # fmt: skip
        return finish(figure, claims)


# --------------------------------------------------------------------------- the chosen box


def box_figure(result: dict[str, Any], inputs: pd.DataFrame) -> Figure:
    """The chosen box's limits on each restricted dimension (coloured) against the range the design
    sampled (grey), on a scale from the lowest sampled value (0) to the highest (1); a category
    shows its values side by side, the kept ones coloured. Each row names the restriction and its
    quasi-p-value. ``inputs`` gives the categories' order as sampled.

    ``figure.claims``: ``limits`` (per key: ``low``/``high`` or ``kept``), ``sampled`` ranges,
    ``coverage``, ``density`` and ``significant`` (every restriction's quasi-p-value < 0.05).
    """
    _, box = _chosen(result)
    names = result["names"]
    keys = box["restricted"]
    with plt.rc_context(SLIDE_STYLE):
        figure, axis = plt.subplots(figsize=(10.0, 2.4 + 1.1 * max(len(keys), 1)), layout="constrained")
        ticks = []
        for row, key in enumerate(keys):
            limit = box["limits"][key]
            axis.barh(row, 1.0, left=0.0, height=0.55, color="#e0e0e0", gid=f"sampled:{key}")
            if limit["kind"] == "number":
                low, high = limit["sampled"]
                span = (high - low) or 1.0
                start, end = (limit["low"] - low) / span, (limit["high"] - low) / span
                axis.barh(row, end - start, left=start, height=0.55, color=BOX_COLOUR, gid=f"box:{key}")
                sampled = f"sampled {_value(low)} to {_value(high)}"
            else:
                values = _categories(inputs, key, limit["sampled"])
                width = 1.0 / len(values)
                for i, value in enumerate(values):
                    kept = value in limit["kept"]
                    if kept:
                        axis.barh(row, width * 0.96, left=i * width + 0.02 * width, height=0.55, color=BOX_COLOUR,
                                  gid=f"kept:{key}:{value}")  # fmt: skip
                    axis.text((i + 0.5) * width, row, textwrap.shorten(value, 14, placeholder=".."), ha="center",
                              va="center", fontsize=9, color="white" if kept else "#444444")  # fmt: skip
                sampled = f"{len(limit['kept'])} of {len(values)} values"
            worst = max(limit["qp"].values())
            ticks.append(f"{limit_text(limit, names[key])}\n{sampled}; quasi-p {worst:.1g}")
        axis.set_yticks(range(len(keys)), ticks)
        axis.set_ylim(len(keys) - 0.5 if keys else 0.5, -0.5)
        axis.set_xlim(-0.02, 1.02)
        axis.set_xlabel("position in the sampled range (0: lowest sampled value, 1: highest)")
        if not keys:
            axis.text(0.5, 0, "PRIM restricts no dimension", ha="center", va="center")
        said = " and ".join(limit_text(box["limits"][k], names[k]) for k in keys) or "no restriction"
        if not keys:
            verdict = ""
        elif box["significant"]:
            verdict = "; every restriction significant (quasi-p < 0.05)"
        else:
            weak = [names[k] for k in keys if max(box["limits"][k]["qp"].values()) >= 0.05]
            verdict = f"; not significant (quasi-p >= 0.05): {', '.join(weak)}"
        axis.set_title(
            f"PRIM's box: {said} (coverage {box['coverage']:.0%}, density {box['density']:.0%}{verdict})"
        )
        claims = {
            "figure": "prim_box", "coverage": box["coverage"], "density": box["density"],
            "significant": bool(box["significant"]),
            "limits": {k: ({"kept": box["limits"][k]["kept"]} if box["limits"][k]["kind"] == "category" else
                           {"low": box["limits"][k]["low"], "high": box["limits"][k]["high"],
                            "sampled": box["limits"][k]["sampled"]}) for k in keys},
            "texts": {k: limit_text(box["limits"][k], names[k]) for k in keys},
        }  # fmt: skip
        return finish(figure, claims)


def _categories(inputs: pd.DataFrame, key: str, sampled: list[str]) -> list[str]:
    """A category's values in the order the design first sampled them (else sorted)."""
    if key in inputs:
        seen = list(dict.fromkeys(inputs[key].astype(str)))
        return [v for v in seen if v in sampled] + [v for v in sampled if v not in seen]
    return list(sampled)


# --------------------------------------------------------------------------- pairwise scatter


def _in_box(inputs: pd.DataFrame, box: dict[str, Any]) -> np.ndarray:
    inside = np.ones(len(inputs), dtype=bool)
    for key, limit in box["limits"].items():
        column = inputs[key]
        if limit["kind"] == "category":
            inside &= column.astype(str).isin(limit["kept"]).to_numpy()
        else:
            values = column.to_numpy(dtype=float)
            inside &= (values >= limit["low"]) & (values <= limit["high"])
    return inside


def pairs_figure(inputs: pd.DataFrame, case: np.ndarray, result: dict[str, Any] | None = None) -> Figure:
    """Each pair of uncertainties (the restricted ones first, then by feature score; at most
    :data:`MAX_PAIRS`) as a scatter of the markets, cases coloured, with PRIM's box drawn wherever
    one of the pair is restricted; the diagonal counts the markets along each uncertainty (cases
    stacked on the rest). Categories sit at integer positions, jittered.

    ``figure.claims``: ``cases`` and ``rows`` (plotted markets), the markets and cases ``inside``
    and ``outside`` the box (None without a ``result``: then no box is drawn), and the ``keys`` drawn.
    """
    box = _chosen(result)[1] if result is not None else {"restricted": [], "limits": {}}
    names = {**{k: str(k) for k in inputs.columns}, **((result or {}).get("names") or {})}
    flags = np.asarray(case, dtype=bool)
    scores = (result or {}).get("scores") or {}
    order = list(box["restricted"]) + sorted(
        (k for k in inputs.columns if k not in box["restricted"]), key=lambda k: -scores.get(k, 0.0)
    )
    keys = order[:MAX_PAIRS]
    positions, ticks = {}, {}
    rng = np.random.default_rng(0)  # the jitter only: the same figure every time
    for key in keys:
        column = inputs[key]
        if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
            positions[key] = column.to_numpy(dtype=float)
        else:
            values = _categories(inputs, key, sorted(column.astype(str).unique()))
            codes = column.astype(str).map({v: i for i, v in enumerate(values)}).to_numpy(dtype=float)
            positions[key] = codes + rng.uniform(-JITTER, JITTER, len(codes))
            ticks[key] = values
    inside = _in_box(inputs, box)
    count = len(keys)
    with plt.rc_context({**SLIDE_STYLE, "xtick.labelsize": 9, "ytick.labelsize": 9, "axes.labelsize": 10}):
        figure, axes = plt.subplots(count, count, figsize=(2.9 * count + 1.5, 2.6 * count + 1.4),
                                    layout="constrained", squeeze=False)  # fmt: skip
        for i, y_key in enumerate(keys):
            for j, x_key in enumerate(keys):
                axis = axes[i, j]
                if j > i:
                    axis.set_axis_off()
                    continue
                if i == j:
                    _diagonal(axis, positions[x_key], flags, ticks.get(x_key))
                else:
                    for mask, colour, label in (
                        (~flags, OTHER_COLOUR, "not case"),
                        (flags, CASE_COLOUR, "case"),
                    ):
                        axis.scatter(positions[x_key][mask], positions[y_key][mask], s=7, color=colour, alpha=0.6,
                                     linewidths=0, label=label, gid=f"{label}:{x_key}|{y_key}")  # fmt: skip
                    _draw_box(axis, box, x_key, y_key, ticks)
                    _limits(axis, positions[y_key], ticks.get(y_key), "y")
                _limits(axis, positions[x_key], ticks.get(x_key), "x")
                if i == count - 1:
                    axis.set_xlabel(_wrap(names[x_key], 24))
                else:
                    axis.tick_params(labelbottom=False)
                if j == 0 and i > 0:
                    axis.set_ylabel(_wrap(names[y_key], 22))
                elif i != j:
                    axis.tick_params(labelleft=False)
        handles = [
            matplotlib.lines.Line2D([], [], marker="o", linestyle="", color=CASE_COLOUR, label="case"),
            matplotlib.lines.Line2D([], [], marker="o", linestyle="", color=OTHER_COLOUR, label="not case"),
        ]
        if result is not None:
            handles.append(
                matplotlib.patches.Patch(
                    facecolor="none", edgecolor=BOX_COLOUR, linewidth=2, label="PRIM's box"
                )
            )
        legend_axis = axes[0, -1] if count > 1 else axes[0, 0]
        legend_axis.legend(handles=handles, loc="upper right", fontsize=10)
        cases, rows = int(flags.sum()), len(flags)
        share_in = flags[inside].mean() if inside.any() else float("nan")
        share_out = flags[~inside].mean() if (~inside).any() else float("nan")
        left_out = len(inputs.columns) - count
        more = (
            f" ({left_out} more {'uncertainty' if left_out == 1 else 'uncertainties'} not drawn)"
            if left_out
            else ""
        )
        title = f"{cases} of {rows} markets are cases"
        if result is not None:
            title += (
                f"; {share_in:.0%} of the {int(inside.sum())} inside PRIM's box, "
                f"{share_out:.0%} of the {int((~inside).sum())} outside"
            )
        figure.suptitle(title + more)
        claims = {
            "figure": "discover_pairs", "cases": cases, "rows": rows, "keys": keys,
            "inside": {"markets": int(inside.sum()), "cases": int(flags[inside].sum())} if result else None,
            "outside": {"markets": int((~inside).sum()), "cases": int(flags[~inside].sum())} if result else None,
        }  # fmt: skip
        return finish(figure, claims)


def _diagonal(axis: Any, values: np.ndarray, flags: np.ndarray, categories: list[str] | None) -> None:
    """The markets along one uncertainty: cases stacked on the rest (counts per bin or category)."""
    if categories is not None:
        codes = np.rint(values).astype(int)
        bins = np.arange(-0.5, len(categories) + 0.5)
    else:
        levels = np.unique(values)
        # A gridded design gets one bar per level (fixed-width bins would alias against the grid).
        if len(levels) <= 30:
            steps = np.diff(levels) / 2 if len(levels) > 1 else np.array([0.5])
            bins = np.concatenate([[levels[0] - steps[0]], levels[:-1] + steps, [levels[-1] + steps[-1]]])
        else:
            bins = np.histogram_bin_edges(values, bins=12)
        codes = values
    axis.hist([codes[~flags], codes[flags]], bins=bins, stacked=True, color=[OTHER_COLOUR, CASE_COLOUR],
              label=["not case", "case"])  # fmt: skip
    axis.set_ylabel("markets", fontsize=9)


def _wrap(label: str, width: int) -> str:
    """A label wrapped to ``width`` characters, breaking at spaces and after the dots of a dotted key."""
    return textwrap.fill(label.replace(".", ". "), width, break_long_words=False).replace(". ", ".")


def _limits(axis: Any, values: np.ndarray, categories: list[str] | None, which: str) -> None:
    """Axis limits with room round the data (and the box), category names as ticks."""
    if categories is not None:
        low, high = -0.5, len(categories) - 0.5
        setter = axis.set_xticks if which == "x" else axis.set_yticks
        setter(range(len(categories)), [textwrap.shorten(c, 12, placeholder="..") for c in categories])
        if which == "x" and len(categories) > 2:
            axis.tick_params(axis="x", labelrotation=30)
    else:
        low, high = float(np.min(values)), float(np.max(values))
        pad = 0.04 * ((high - low) or 1.0)
        low, high = low - pad, high + pad
    (axis.set_xlim if which == "x" else axis.set_ylim)(low, high)


def _segments(box: dict[str, Any], key: str, ticks: dict[str, list[str]]) -> list[tuple[float, float]] | None:
    """Where the box lies along ``key`` in plotted positions (None: the key is not restricted)."""
    limit = box["limits"].get(key)
    if limit is None:
        return None
    if limit["kind"] == "number":
        return [(limit["low"], limit["high"])]
    values = ticks[key]
    return [(values.index(v) - 0.45, values.index(v) + 0.45) for v in limit["kept"] if v in values]


def _draw_box(axis: Any, box: dict[str, Any], x_key: str, y_key: str, ticks: dict[str, list[str]]) -> None:
    """PRIM's box in one panel, where one of its two uncertainties (or both) is restricted."""
    xs, ys = _segments(box, x_key, ticks), _segments(box, y_key, ticks)
    if xs is None and ys is None:
        return
    # An unrestricted side spans the whole panel: that coordinate is in axes fractions (0 to 1).
    if xs is not None and ys is not None:
        transform = axis.transData
    elif xs is not None:
        transform = matplotlib.transforms.blended_transform_factory(axis.transData, axis.transAxes)
    else:
        transform = matplotlib.transforms.blended_transform_factory(axis.transAxes, axis.transData)
    for x0, x1 in xs or [(0.0, 1.0)]:
        for y0, y1 in ys or [(0.0, 1.0)]:
            axis.add_patch(matplotlib.patches.Rectangle(
                (x0, y0), x1 - x0, y1 - y0, transform=transform, facecolor="none", edgecolor=BOX_COLOUR,
                linewidth=1.8, gid=f"box:{x_key}|{y_key}", zorder=4,
            ))  # fmt: skip


# --------------------------------------------------------------------------- the tree's rules


def tree_figure(result: dict[str, Any]) -> Figure:
    """The classification tree's rules for the case, one bar each: the markets the rule covers,
    cases coloured and the rest grey, so a bar's coloured share is its precision. The title names
    the rule covering most cases and the tree's cross-validated accuracy.

    ``figure.claims``: per rule its ``label``, ``cases`` and ``markets``; ``accuracy`` and ``folds``.
    """
    tree = result.get("tree")
    if tree is None:
        raise ValueError(f"no tree to draw: {result.get('note', 'find_conditions found nothing')}")
    rules = tree["rules"]
    cv = tree["cv"]
    with plt.rc_context(SLIDE_STYLE):
        figure, axis = plt.subplots(figsize=(11.0, 2.6 + 1.0 * max(len(rules), 1)), layout="constrained")
        labels = [textwrap.fill(rule["label"], 40) for rule in rules]
        cases = [rule["cases"] for rule in rules]
        others = [rule["markets"] - rule["cases"] for rule in rules]
        rows = range(len(rules))
        axis.barh(rows, cases, color=CASE_COLOUR, label="cases", height=0.6)
        axis.barh(rows, others, left=cases, color=OTHER_COLOUR, label="not cases", height=0.6)
        axis.set_yticks(rows, labels)
        axis.set_ylim(len(rules) - 0.5 if rules else 0.5, -0.5)
        axis.set_xlim(0, max([r["markets"] for r in rules] + [1]) * 1.05)
        axis.set_xlabel("markets the rule covers")
        axis.legend(loc="lower right")
        accuracy = cv.get("accuracy")
        said = (
            f"cross-validated accuracy {accuracy:.0%} ({cv['folds']} folds)"
            if accuracy is not None
            else "too few markets in one class to cross-validate"
        )
        if rules:
            best = rules[0]
            precision = best["cases"] / best["markets"]
            head = (
                f"The tree: {best['label']} -> case in {precision:.0%} of its {best['markets']} markets "
                f"({best['cases']} of the {result['case']['cases']} cases)"
            )
        else:
            head = "The tree finds no region where cases are the majority"
            axis.text(0.5, 0, "no rule predicts the case", ha="center", va="center", transform=axis.transData)
        axis.set_title(f"{head}; {said}")
        claims = {
            "figure": "tree_rules",
            "rules": [{"label": r["label"], "cases": r["cases"], "markets": r["markets"]} for r in rules],
            "accuracy": accuracy,
            "folds": cv["folds"],
            "cases": result["case"]["cases"],
        }
        return finish(figure, claims)
