"""Layout checks of a drawn matplotlib figure, measured with its own renderer: every text inside
the canvas, no two texts on top of each other, no legend over a text, no plotted data outside its
axes. Shared by the figure tests; each check returns a list of problems, one sentence each.

Example:
    >>> import matplotlib.pyplot as plt
    >>> figure, axis = plt.subplots()
    >>> _ = axis.plot([0, 1], [0, 1])
    >>> layout_problems(figure)
    []
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection, PathCollection, PolyCollection
from matplotlib.figure import Figure
from matplotlib.legend import Legend
from matplotlib.patches import Rectangle
from matplotlib.text import Annotation, Text
from matplotlib.transforms import Bbox

TOLERANCE = 1.0  # pixels: anti-aliasing and rounding, not a visible overlap


@dataclass
class Placed:
    """A text as drawn: what it is, its artist and its box in pixels; ``group`` ties tick labels
    of one axis together (rotated ones are checked against other texts, not each other)."""

    name: str
    text: Text
    box: Bbox
    group: str | None = None
    legend: Legend | None = None


def _shown(text: Text) -> bool:
    return text.get_visible() and bool(text.get_text().strip())


def _ticks(axis, which: str, renderer) -> list[tuple[Text, bool]]:
    """The tick labels an axis draws: major and minor ticks inside the view interval."""
    low, high = sorted(axis.get_view_interval())
    span = max(high - low, 1e-12)
    found = []
    for ticks in (axis.get_major_ticks(), axis.get_minor_ticks()):
        for tick in ticks:
            location = tick.get_loc()
            if location is None or not (low - 1e-9 * span <= location <= high + 1e-9 * span):
                continue
            for label in (tick.label1, tick.label2):
                if label.get_visible() and _shown(label):
                    found.append((label, label.get_rotation() % 180 != 0))
    return found


def placed_texts(figure: Figure) -> list[Placed]:
    """Every visible, non-empty text of a drawn figure with its window box."""
    renderer = figure.canvas.get_renderer()
    out: list[Placed] = []

    def add(name: str, text: Text | None, group: str | None = None, legend: Legend | None = None) -> None:
        if text is None or not _shown(text) or any(p.text is text for p in out):
            return  # (the figure's title is also one of its texts)
        if isinstance(text, Annotation) and not text._check_xy(renderer):
            return  # an annotation whose point is outside its axes is not drawn
        out.append(Placed(name, text, text.get_window_extent(renderer), group, legend))

    def add_legend(where: str, legend: Legend | None) -> None:
        if legend is None or not legend.get_visible():
            return
        add(f"{where} legend title", legend.get_title(), legend=legend)
        for text in legend.get_texts():
            add(f"{where} legend entry {text.get_text()!r}", text, legend=legend)

    add("figure title", getattr(figure, "_suptitle", None))
    add("figure x label", getattr(figure, "_supxlabel", None))
    add("figure y label", getattr(figure, "_supylabel", None))
    for text in figure.texts:
        add(f"figure text {text.get_text()!r}", text)
    for legend in figure.legends:
        add_legend("figure", legend)
    for index, axis in enumerate(figure.axes):
        if not axis.get_visible():
            continue
        where = f"axes {index}"
        for loc, title in (("left", axis._left_title), ("", axis.title), ("right", axis._right_title)):
            add(f"{where} {loc} title".replace("  ", " "), title)
        if axis.axison:
            for name, sub in (("x", axis.xaxis), ("y", axis.yaxis)):
                if not sub.get_visible():
                    continue
                add(f"{where} {name} label", sub.label)
                add(f"{where} {name} offset", sub.get_offset_text())
                for label, rotated in _ticks(sub, name, renderer):
                    group = f"{where} {name} ticks" + (" rotated" if rotated else "")
                    add(f"{where} {name} tick {label.get_text()!r}", label, group=group)
        for text in axis.texts:
            add(f"{where} text {text.get_text()!r}", text)
        add_legend(where, axis.get_legend())
    return out


def _overlap(a: Bbox, b: Bbox) -> bool:
    width = min(a.x1, b.x1) - max(a.x0, b.x0)
    height = min(a.y1, b.y1) - max(a.y0, b.y0)
    return width > TOLERANCE and height > TOLERANCE


def _inside(inner: Bbox, outer: Bbox) -> bool:
    return (
        inner.x0 >= outer.x0 - TOLERANCE
        and inner.y0 >= outer.y0 - TOLERANCE
        and inner.x1 <= outer.x1 + TOLERANCE
        and inner.y1 <= outer.y1 + TOLERANCE
    )


def _legends(figure: Figure) -> list[tuple[str, Legend]]:
    found = [(f"figure legend {i}", legend) for i, legend in enumerate(figure.legends)]
    for index, axis in enumerate(figure.axes):
        legend = axis.get_legend()
        if legend is not None and legend.get_visible():
            found.append((f"axes {index} legend", legend))
    return found


def text_problems(figure: Figure) -> list[str]:
    """Texts outside the canvas, texts overlapping each other, legends over texts or off the canvas."""
    texts = placed_texts(figure)
    renderer = figure.canvas.get_renderer()
    page = figure.bbox
    problems = [
        f"{t.name} runs off the canvas: its box {_box(t.box)} is not inside the figure's {_box(page)}"
        for t in texts
        if not _inside(t.box, page)
    ]
    for a, b in combinations(texts, 2):
        if a.group is not None and a.group == b.group and a.group.endswith("rotated"):
            continue  # rotated tick labels: boxes overlap though the glyphs do not
        if a.legend is not None and a.legend is b.legend:
            continue  # a legend's own texts are laid out by the legend
        if _overlap(a.box, b.box):
            problems.append(f"{a.name} {_box(a.box)} overlaps {b.name} {_box(b.box)}")
    for name, legend in _legends(figure):
        box = legend.get_window_extent(renderer)
        if not _inside(box, page):
            problems.append(f"{name} runs off the canvas: {_box(box)} is not inside {_box(page)}")
        for t in texts:
            if t.legend is legend:
                continue
            if _overlap(box, t.box):
                problems.append(f"{name} {_box(box)} hides {t.name} {_box(t.box)}")
    return problems


def _points(axis: Axes) -> list[tuple[str, np.ndarray]]:
    """Each plotted artist of an axes and its data points in pixels."""
    found = []
    for index, line in enumerate(axis.lines):
        if not line.get_visible():
            continue
        path = line.get_path()
        if len(path.vertices):
            found.append(
                (f"line {index} {line.get_label()!r}", line.get_transform().transform(path.vertices))
            )
    for index, collection in enumerate(axis.collections):
        if not collection.get_visible():
            continue
        if isinstance(collection, PathCollection):  # scatter: the markers' positions
            offsets = np.asarray(collection.get_offsets(), dtype=float)
            if len(offsets):
                found.append((f"scatter {index}", collection.get_offset_transform().transform(offsets)))
        elif isinstance(collection, (PolyCollection, LineCollection)):  # bands, error bars, edges
            paths = [p.vertices for p in collection.get_paths() if len(p.vertices)]
            if paths:
                vertices = np.vstack(paths)
                found.append(
                    (f"{type(collection).__name__} {index}", collection.get_transform().transform(vertices))
                )
    for index, patch in enumerate(axis.patches):
        if isinstance(patch, Rectangle) and patch.get_visible():
            corners = patch.get_patch_transform().transform([(0, 0), (1, 1)])
            found.append((f"bar {index}", patch.get_data_transform().transform(corners)))
    return found


def data_problems(figure: Figure) -> list[str]:
    """Plotted data (lines, bands, scatter points, error bars, bars) outside its axes' box."""
    problems = []
    for index, axis in enumerate(figure.axes):
        if not axis.get_visible():
            continue
        box = axis.bbox
        for name, pixels in _points(axis):
            pixels = pixels[np.isfinite(pixels).all(axis=1)]
            outside = (
                (pixels[:, 0] < box.x0 - TOLERANCE)
                | (pixels[:, 0] > box.x1 + TOLERANCE)
                | (pixels[:, 1] < box.y0 - TOLERANCE)
                | (pixels[:, 1] > box.y1 + TOLERANCE)
            )
            if outside.any():
                inverse = axis.transData.inverted().transform(pixels[outside][:3])
                problems.append(
                    f"axes {index} {axis.get_title()[:40]!r}: {name} has {int(outside.sum())} points outside the "
                    f"axes (x {axis.get_xlim()}, y {axis.get_ylim()}), e.g. at {np.round(inverse, 2).tolist()}"
                )
    return problems


def layout_problems(figure: Figure) -> list[str]:
    """Lay the figure out as a draw would (without rasterising) and return every text and data
    problem (empty when its ink is on the page)."""
    figure.draw_without_rendering()
    return text_problems(figure) + data_problems(figure)


def _box(box: Bbox) -> str:
    return f"[{box.x0:.0f}, {box.y0:.0f}, {box.x1:.0f}, {box.y1:.0f}]"


# --------------------------------------------------------------------------- titles against artists
# Each figure function of sim.plots attaches ``figure.claims``: the numbers its titles state. The
# checks below read the plotted artists back (line data, bar widths, marker colours), recompute
# those numbers from them alone and compare; then they check that the titles say them.


def _words(name: str) -> str:
    return str(name).replace("_", " ")


def _labelled_lines(axis: Axes) -> dict[str, np.ndarray]:
    """Plotted lines with a legend label: label -> y data (legend proxies without data left out)."""
    return {
        line.get_label(): np.asarray(line.get_ydata(), dtype=float)
        for line in axis.lines
        if not line.get_label().startswith("_") and len(line.get_ydata())
    }


def _bars(axis: Axes) -> dict[str, list[float]]:
    """Bar containers of an axes: label -> bar lengths (widths of horizontal bars, else heights)."""
    out = {}
    for container in axis.containers:
        if not hasattr(container, "patches") or container.get_label().startswith("_"):
            continue
        horizontal = getattr(container, "orientation", None) == "horizontal"
        out[container.get_label()] = [
            p.get_width() if horizontal else p.get_height() for p in container.patches
        ]
    return out


def _close(a: float, b: float, rel: float = 1e-9) -> bool:
    return abs(a - b) <= rel * max(1.0, abs(a), abs(b))


def _title(figure: Figure) -> str:
    """Every title of the figure, joined, with line breaks (from wrapping) as spaces."""
    parts = [figure.get_suptitle()] + [axis.get_title() for axis in figure.axes]
    return " ".join(" ".join(parts).split())


def _argmax(values: dict[str, float]) -> str:
    return max(values, key=values.get)


def _check_customers(figure: Figure, claims: dict) -> list[str]:
    lines = {label.removesuffix(": median"): y[-1] for label, y in _labelled_lines(figure.axes[0]).items()}
    problems = []
    for firm, end in claims["ends"].items():
        if not _close(lines.get(firm, np.nan), end):
            problems.append(f"customers: {firm}'s line ends at {lines.get(firm)}, the claim says {end}")
    leader = _argmax(lines)
    title = _title(figure)
    if claims["leader"] is not None:
        if claims["leader"] != leader:
            problems.append(
                f"customers: the highest line at the end is {leader}'s, the title names {claims['leader']}"
            )
        if f"{leader} ends with" not in title or f"{lines[leader]:,.0f}" not in title:
            problems.append(f"customers: the title should name {leader} and {lines[leader]:,.0f}: {title!r}")
    return problems


def _check_customers_by_group(figure: Figure, claims: dict) -> list[str]:
    ends = {}
    for axis, arm in zip(figure.axes, claims["ends"], strict=False):
        lines = _labelled_lines(axis)
        ends[arm] = lines[claims["focal"]][-1]
    problems = [
        f"customers by group: {arm}'s panel ends at {ends.get(arm)}, the claim says {value}"
        for arm, value in claims["ends"].items()
        if not _close(ends.get(arm, np.nan), value)
    ]
    if len(ends) > 1:
        best = _argmax(ends)
        title = _title(figure)
        if claims["best"] != best or f"playing {_words(best)}: {ends[best]:,.0f}" not in title:
            problems.append(f"customers by group: {best} ends highest ({ends[best]:,.0f}); title {title!r}")
    return problems


def _check_penetration(figure: Figure, claims: dict) -> list[str]:
    lines = {label: y[-1] for label, y in _labelled_lines(figure.axes[0]).items()}
    problems = [
        f"penetration: {label}'s line ends at {lines.get(label)}, the claim says {end}"
        for label, end in claims["ends"].items()
        if not _close(lines.get(label, np.nan), end)
    ]
    leader = _argmax(lines)
    title = _title(figure)
    if claims["leader"] != leader or f"{_words(leader)}" not in title or f"{lines[leader]:.2f}" not in title:
        problems.append(
            f"penetration: the highest line at the end is {leader}'s ({lines[leader]:.2f}): {title!r}"
        )
    # "ends highest" only when the bands part; otherwise every line's end is given.
    if ("ends highest" in title) != bool(claims.get("clear")):
        problems.append(
            f"penetration: says 'ends highest' only when the bands part (clear={claims.get('clear')}): {title!r}"
        )
    if not claims.get("clear") and len(lines) > 1:
        missing = [label for label, end in lines.items() if f"{end:.2f}" not in title]
        if missing:
            problems.append(f"penetration: bands overlap but the title leaves out {missing}: {title!r}")
    return problems


def _check_churn_by_reason(figure: Figure, claims: dict) -> list[str]:
    axis = figure.axes[0]
    firms = [t.get_text() for t in axis.get_yticklabels()]
    bars = _bars(axis)
    lost = {f: {reason: widths[i] for reason, widths in bars.items()} for i, f in enumerate(firms)}
    problems = []
    title = _title(figure)
    for firm in firms:
        if not sum(lost[firm].values()):
            continue
        top = _argmax(lost[firm])
        if _words(claims["top"][firm]) != top:
            problems.append(
                f"churn by reason: {firm}'s longest segment is {top}, the claim {claims['top'][firm]}"
            )
        if top not in title:
            problems.append(f"churn by reason: the title should name {top} for {firm}: {title!r}")
    return problems


def _check_lifecycle(figure: Figure, claims: dict) -> list[str]:
    lines = _labelled_lines(figure.axes[0])
    share = {}
    for label, y in lines.items():
        firm, kind = label.rsplit(": ", 1)
        if kind == "active":
            dormant = lines[f"{firm}: dormant"][-1]
            if y[-1] + dormant > 0:
                share[firm] = dormant / (y[-1] + dormant)
    problems = []
    if share:
        worst = _argmax(share)
        text = f"{100 * share[worst]:.0f}% of {worst}'s customers are dormant"
        if claims["worst"] != worst or text not in _title(figure):
            problems.append(f"lifecycle: expected {text!r} in the title, got {_title(figure)!r}")
    return problems


def _check_acquisitions(figure: Figure, claims: dict) -> list[str]:
    axis = figure.axes[0]
    groups = [t.get_text() for t in axis.get_yticklabels()]
    bars = _bars(axis)
    totals = {g: sum(widths[i] for widths in bars.values()) for i, g in enumerate(groups)}
    paid = {
        g: sum(bars[c][i] for c in ("search", "social", "influencer", "poached") if c in bars) / totals[g]
        for i, g in enumerate(groups)
        if totals[g]
    }
    problems = []
    title = _title(figure)
    best = _argmax(totals)
    if _words(claims["best"]) != best or (len(groups) > 1 and f"{best} wins the most customers" not in title):
        problems.append(f"acquisitions: {best} has the longest bar ({totals[best]:,.0f}); title {title!r}")
    for group, share in paid.items():
        if f"{group}: {100 * share:.0f}% through paid channels" not in title:
            problems.append(
                f"acquisitions: expected '{group}: {100 * share:.0f}% through paid channels' in {title!r}"
            )
    return problems


def retention_leaders(curves: dict[str, np.ndarray], horizon: int, level: float) -> list[str | None]:
    """Independently of sim.plots: per week 1..horizon, the highest curve if it beats every other
    by more than ``level``, else None."""
    leaders = []
    for week in range(1, horizon + 1):
        ranked = sorted(curves, key=lambda g: curves[g][week], reverse=True)
        gap = curves[ranked[0]][week] - curves[ranked[1]][week]
        leaders.append(ranked[0] if gap > level else None)
    return leaders


def _check_retention(figure: Figure, claims: dict) -> list[str]:
    from sim.plots import LEVEL

    curves = {label: y / 100 for label, y in _labelled_lines(figure.axes[0]).items()}
    title = _title(figure)
    if "horizon" not in claims:
        return []
    horizon = min(len(y) for y in curves.values()) - 1
    problems = []
    if horizon != claims["horizon"]:
        problems.append(f"retention: every curve covers {horizon} weeks, the claim says {claims['horizon']}")
    leaders = retention_leaders(curves, horizon, LEVEL)
    decided = [(week, g) for week, g in enumerate(leaders, start=1) if g is not None]
    on_top = {g: sum(1 for _, x in decided if x == g) for g in curves}
    claimed = {_words(g): n for g, n in claims["weeks_on_top"].items()}
    if on_top != claimed:
        problems.append(f"retention: weeks on top from the lines {on_top}, claimed {claimed}")
    switch = claims["switch"]
    spells = claims["spells"]
    if len(spells) == 1:
        group = _words(spells[0])
        if any(g != group for _, g in decided) or "stay longest" not in title:
            problems.append(
                f"retention: 'stay longest' needs {group} on top at every decided week; title {title!r}"
            )
    elif switch is not None:
        first, then, until = _words(switch["first"]), _words(switch["then"]), switch["until"]
        wrong = [w for w, g in decided if (g != first if w <= until else g != then)]
        if wrong or f"first {until} weeks" not in title:
            problems.append(
                f"retention: {first} until week {until}, {then} after fails at weeks {wrong[:5]}: {title!r}"
            )
    else:
        best = max(on_top, key=on_top.get)
        if f"{best} are kept best in {100 * on_top[best] / horizon:.0f}%" not in title:
            problems.append(f"retention: {best} is on top {on_top[best]} of {horizon} weeks; title {title!r}")
    if "stay longest" in title and len(spells) != 1:
        problems.append(f"retention: 'stay longest' while the lead changes hands: {title!r}")
    for group, value in claims["at_end"].items():
        if not _close(curves[_words(group)][horizon], value):
            problems.append(
                f"retention: {group} at week {horizon} is {curves[_words(group)][horizon]}, claimed {value}"
            )
    return problems


def _check_waterfall(figure: Figure, claims: dict) -> list[str]:
    from sim.plots import REASON_PHRASES

    problems = []
    title = _title(figure)
    for axis, label in zip(figure.axes, claims["main_reason"], strict=False):
        names = [t.get_text() for t in axis.get_xticklabels()]
        heights = dict(zip(names, [p.get_height() for p in axis.patches], strict=False))
        reasons = {name: heights[_words(name)] for name in REASON_PHRASES}
        total = sum(reasons.values())
        top = _argmax(reasons)
        text = f"{_words(label)} loses {100 * reasons[top] / total:.0f}% {REASON_PHRASES[top]}"
        if text not in title:
            problems.append(f"waterfall: expected {text!r} in {title!r}")
    return problems


def _errorbar_points(axis: Axes) -> dict[str, tuple[float, float, str]]:
    out = {}
    for container in axis.containers:
        if type(container).__name__ == "ErrorbarContainer":
            line = container.lines[0]
            out[container.get_label()] = (line.get_xdata()[0], line.get_ydata()[0], line.get_color())
    return out


def _check_cac_ltv(figure: Figure, claims: dict) -> list[str]:
    left, right = figure.axes[0], figure.axes[1]
    points = _errorbar_points(left)
    ratios = {g: y / x for g, (x, y, _) in points.items() if x > 0}
    problems = []
    title = left.get_title().replace("\n", " ")
    claimed = {_words(g): r for g, r in claims["ratios"].items()}
    if set(ratios) != set(claimed) or any(not _close(ratios[g], claimed[g], 1e-6) for g in ratios):
        problems.append(f"cac/ltv: ratios of the plotted points {ratios}, claimed {claimed}")
    ranked = sorted(ratios, key=ratios.get, reverse=True)
    from sim.plots import ratio_text

    expected = ", ".join(f"{g} {ratio_text(ratios[g])}" for g in ranked)
    if ratios and expected not in title:
        problems.append(f"cac/ltv: expected {expected!r} in {title!r}")
    legend = " ".join(t.get_text() for t in left.get_legend().get_texts())
    for group in claims["nothing_spent"]:
        if _words(group) in points or f"{_words(group)}: nothing spent" not in legend:
            problems.append(f"cac/ltv: {group} spent nothing: listed as such, not plotted; legend {legend!r}")
    channels = [t.get_text() for t in right.get_yticklabels()]
    claimed_best = {_words(g): _words(c) for g, c in claims["best_channel"].items()}
    for label, values in _bars(right).items():
        group = label.removesuffix(": LTV gross")
        finite = {c: v for c, v in zip(channels, values, strict=True) if np.isfinite(v)}
        if not finite:
            continue
        top = _argmax(finite)
        if claimed_best.get(group) != top or top not in right.get_title():
            problems.append(f"cac/ltv: {group}'s tallest channel bar is {top}; claimed {claimed_best}, "
                            f"title {right.get_title()!r}")  # fmt: skip
    return problems


def _check_value(figure: Figure, claims: dict) -> list[str]:
    right = figure.axes[1]
    problems = []
    shares = {}
    for label, y in _labelled_lines(right).items():
        if ": top 20% bring " not in label:
            continue
        group = label.split(": top 20% bring ")[0]
        x = next(line for line in right.lines if line.get_label() == label).get_xdata()
        shares[group] = float(np.interp(20, x, y)) / 100
        if not label.endswith(f"{100 * shares[group]:.0f}%"):
            problems.append(
                f"value: the Lorenz curve of {group} is at {100 * shares[group]:.1f}% at 20%: {label!r}"
            )
    low, high = min(shares.values()), max(shares.values())
    text = (
        f"{100 * low:.0f}%" if round(100 * low) == round(100 * high) else f"{100 * low:.0f}-{100 * high:.0f}%"
    )
    if f"bring {text} of the value" not in _title(figure):
        problems.append(f"value: expected 'bring {text} of the value' in {_title(figure)!r}")
    return problems


def _check_spend(figure: Figure, claims: dict) -> list[str]:
    axis = figure.axes[0]
    groups = [t.get_text() for t in axis.get_yticklabels()]
    bars = _bars(axis)
    problems = []
    title = _title(figure)
    for i, group in enumerate(groups):
        spend = {lever: widths[i] for lever, widths in bars.items()}
        if sum(spend.values()) and f"{group} spends most on {_argmax(spend)}" not in title:
            problems.append(f"spend: {group}'s longest segment is {_argmax(spend)}; title {title!r}")
    return problems


def _check_forest(figure: Figure, claims: dict) -> list[str]:
    from matplotlib.colors import to_hex

    from sim.plots import FOREST_COLOURS
    from sim.statistics import lower_is_better

    colour_of = {v: k for k, v in FOREST_COLOURS.items()}
    problems = []
    for axis, arm in zip(figure.axes, claims["verdicts"], strict=False):
        counts = {v: 0 for v in FOREST_COLOURS}
        for container in axis.containers:
            if type(container).__name__ != "ErrorbarContainer":
                continue
            metric = container.get_label()
            verdict = colour_of[to_hex(container.lines[0].get_color())]
            counts[verdict] += 1
            segment = container.lines[2][0].get_segments()[0]
            low, high = sorted((segment[0][0], segment[1][0]))
            mean = container.lines[0].get_xdata()[0]
            clear = low > 0 or high < 0
            good = (mean < 0) if lower_is_better(metric) else (mean > 0)
            expected = ("better" if good else "worse") if clear else "unclear"
            if verdict != expected:
                problems.append(
                    f"forest: {arm} {metric} drawn {verdict}, its interval [{low}, {high}] says {expected}"
                )
        text = f"clearly better on {counts['better']}, clearly worse on {counts['worse']}, unclear on {counts['unclear']}"
        if text not in " ".join(axis.get_title().split()):
            problems.append(f"forest: expected {text!r} in {axis.get_title()!r}")
    return problems


def _check_cascade(figure: Figure, claims: dict) -> list[str]:
    from matplotlib.colors import to_hex
    from matplotlib.patches import FancyArrowPatch

    firm_of = {to_hex(colour): firm for firm, colour in claims["colours"].items()}
    counts = {firm: 0 for firm in claims["colours"]}
    for patch in figure.axes[0].patches:
        if isinstance(patch, FancyArrowPatch):
            counts[firm_of[to_hex(patch.get_edgecolor())]] += 1
    problems = []
    title = _title(figure)
    for firm, n in counts.items():
        if n != claims["referred"][firm] or f"{n} into {firm}" not in title:
            problems.append(
                f"cascade: {n} arrows into {firm}, claimed {claims['referred'][firm]}; title {title!r}"
            )
    if f"{sum(counts.values())} customers were referred" not in title:
        problems.append(f"cascade: {sum(counts.values())} arrows in all; title {title!r}")
    return problems


def _check_sweep(figure: Figure, claims: dict) -> list[str]:
    from sim.plots.sweep import value_text

    axis = figure.axes[0]
    title = _title(figure)
    problems = []
    best = None
    lines = [line for line in axis.lines if not line.get_label().startswith("_")]
    for line in lines:
        for x, y in zip(line.get_xdata(), line.get_ydata(), strict=True):
            if best is None or y > best[2]:
                best = (x, line.get_label(), y)
    for collection in axis.collections:  # a Latin hypercube: the means are coloured points
        if collection.get_array() is not None and not lines:
            for (x, y), c in zip(collection.get_offsets(), collection.get_array(), strict=True):
                if best is None or y > best[2]:
                    best = (x, value_text(c), y)
    if best is None:
        return ["sweep: nothing plotted"]
    claimed = claims["best"]
    if not _close(best[2], claimed["value"]) or value_text(best[0]) != value_text(claimed["key"]):
        problems.append(
            f"sweep: the highest plotted mean is at {claims['key']} = {best[0]} ({best[2]}); claimed {claimed}"
        )
    if f"{claims['key']} = {value_text(best[0])}" not in title:
        problems.append(f"sweep: expected '{claims['key']} = {value_text(best[0])}' in {title!r}")
    if claims["by"] is not None and f"{claims['by']} = {best[1]}" not in title:
        problems.append(f"sweep: expected '{claims['by']} = {best[1]}' in {title!r}")
    if claims["averaged_over"] and "averaged over " + ", ".join(claims["averaged_over"]) not in title:
        problems.append(f"sweep: the title must say it averages over {claims['averaged_over']}: {title!r}")
    return problems


def _check_heatmap(figure: Figure, claims: dict) -> list[str]:
    axis = figure.axes[0]
    values = np.asarray(axis.images[0].get_array(), dtype=float)
    i, j = np.unravel_index(np.nanargmax(values), values.shape)
    x = axis.get_xticklabels()[j].get_text()
    y = axis.get_yticklabels()[i].get_text()
    x_key, y_key = claims["keys"]
    title = _title(figure)
    problems = []
    if f"{x_key} = {x} and {y_key} = {y}" not in title:
        problems.append(f"heatmap: the highest cell is at {x_key} = {x}, {y_key} = {y}; title {title!r}")
    if claims["averaged_over"] and "averaged over" not in title:
        problems.append(f"heatmap: the title must say it averages over {claims['averaged_over']}: {title!r}")
    return problems


def _check_lever_reason(figure: Figure, claims: dict) -> list[str]:
    axis = figure.axes[0]
    values = np.asarray(axis.images[0].get_array(), dtype=float)
    levers = [t.get_text() for t in axis.get_yticklabels()]
    reasons = [t.get_text() for t in axis.get_xticklabels()]
    strongest = [reasons[int(np.nanargmin(row))] for row in values]
    own = len(strongest) > 1 and len(set(strongest)) == len(strongest)
    i, j = np.unravel_index(np.nanargmin(values), values.shape)
    title = _title(figure)
    problems = []
    if f"{levers[i]} cuts '{reasons[j]}' most" not in title:
        problems.append(f"lever/reason: the strongest cut is {levers[i]} on {reasons[j]}; title {title!r}")
    if ("its own reason" in title) != own:
        problems.append(f"lever/reason: strongest reason per lever {strongest}; title {title!r}")
    return problems


def _game_equilibria(cells: dict[tuple[str, str], dict[str, float]], players: list[str]) -> list[str]:
    """Independently of sim.plots: the cells of a two-firm grid where neither firm's number rises
    by moving along its own axis (higher is better)."""
    rows = sorted({r for r, _ in cells})
    columns = sorted({c for _, c in cells})
    first, second = players
    found = []
    for (r, c), values in cells.items():
        if all(cells[(o, c)][first] <= values[first] for o in rows) and all(
            cells[(r, o)][second] <= values[second] for o in columns
        ):
            found.append(f"{first}={r}, {second}={c}")
    return found


def _check_game_payoffs(figure: Figure, claims: dict) -> list[str]:
    players = claims["players"]
    title = _title(figure)
    problems = []
    if len(players) == 2:
        cells: dict[tuple[str, str], dict[str, float]] = {}
        for text in figure.axes[0].texts:
            gid = text.get_gid() or ""
            if not gid.startswith("payoff|"):
                continue
            _, label, firm = gid.split("|")
            row, column = (part.split("=", 1)[1] for part in label.split(", "))
            cells.setdefault((row, column), {})[firm] = float(text.get_text().split("\n")[1].replace(",", ""))
        for label, values in claims["cells"].items():
            row, column = (part.split("=", 1)[1] for part in label.split(", "))
            for firm, mean in values.items():
                shown = cells.get((row, column), {}).get(firm)
                if shown is None or abs(shown - mean) > max(0.51, 0.0051 * abs(mean)):
                    problems.append(
                        f"game payoffs: {label} {firm} is drawn as {shown}, the claim says {mean}"
                    )
        found = sorted(_game_equilibria(cells, players))
        if sorted(claims["equilibria"]) != found:
            problems.append(
                f"game payoffs: the drawn numbers make equilibria {found}, the claim {claims['equilibria']}"
            )
    else:
        for axis, firm in zip(figure.axes, players, strict=False):
            widths = [p.get_width() for p in axis.patches if isinstance(p, Rectangle)]
            expected = [values[firm] for values in claims["cells"].values()]
            if len(widths) != len(expected) or any(
                not _close(w, e) for w, e in zip(widths, expected, strict=False)
            ):
                problems.append(f"game payoffs: {firm}'s bars {widths} differ from the claim {expected}")
    found = claims["equilibria"]
    if found and not all(label in title for label in found):
        problems.append(f"game payoffs: the title should name the equilibria {found}: {title!r}")
    if not found and "no pure-strategy equilibrium" not in title:
        problems.append(f"game payoffs: no equilibrium, the title should say so: {title!r}")
    return problems


def _check_game_best_responses(figure: Figure, claims: dict) -> list[str]:
    axis = figure.axes[0]
    title = _title(figure)
    problems = []
    if len(claims["players"]) == 2:
        rows = [t.get_text() for t in axis.get_yticklabels()]
        columns = [t.get_text() for t in axis.get_xticklabels()]
        marked: dict[str, set[tuple[int, int]]] = {firm: set() for firm in claims["players"]}
        beyond = 0
        for collection in axis.collections:
            label = collection.get_label()
            firm = label.split("'s best response")[0]
            if firm not in marked:
                continue
            offsets = np.asarray(collection.get_offsets(), dtype=float)
            marked[firm] |= {(int(y), int(x)) for x, y in offsets}
            if "(beyond the noise)" in label:
                beyond += len(offsets)
        both = marked[claims["players"][0]] & marked[claims["players"][1]]
        first, second = claims["players"]
        found = sorted(f"{first}={rows[i]}, {second}={columns[j]}" for i, j in both)
        if found != sorted(claims["equilibria"]):
            problems.append(
                f"best responses: both firms' marks meet at {found}, the claim {claims['equilibria']}"
            )
        if beyond != claims["beyond"]:
            problems.append(f"best responses: {beyond} filled marks, the claim {claims['beyond']}")
    else:
        bars = [p for p in axis.patches if isinstance(p, Rectangle)]
        labels = [t.get_text() for t in axis.get_yticklabels()]
        found = sorted(label for label, bar in zip(labels, bars, strict=False) if bar.get_width() == 0)
        if found != sorted(claims["equilibria"]):
            problems.append(f"best responses: zero-regret bars {found}, the claim {claims['equilibria']}")
    if f"({claims['beyond']} of {claims['total']} beyond the noise)" not in title:
        problems.append(
            f"best responses: the title should count {claims['beyond']} of {claims['total']}: {title!r}"
        )
    for label in claims["equilibria"]:
        if label not in title:
            problems.append(f"best responses: the title should name the equilibrium {label}: {title!r}")
    return problems


# --------------------------------------------------------------------------- sim discover's figures


def _scatter(axis: Axes, gid: str) -> PathCollection | None:
    return next((c for c in axis.collections if c.get_gid() == gid), None)


def _check_prim_trajectory(figure: Figure, claims: dict) -> list[str]:
    axis = figure.axes[0]
    points = _scatter(axis, "trajectory")
    ring = _scatter(axis, "chosen")
    line = next(line for line in axis.lines if line.get_gid() == "threshold")
    threshold = float(line.get_ydata()[0])
    xy = np.asarray(points.get_offsets(), dtype=float)
    dims = np.asarray(points.get_array(), dtype=float)
    chosen = np.asarray(ring.get_offsets(), dtype=float)[0]
    problems = []
    # Recompute the choice from the drawn points alone: the last at or above the dashed line, else the
    # densest (the most coverage among equally dense).
    dense = np.flatnonzero(xy[:, 1] >= threshold)
    index = int(dense[-1]) if len(dense) else max(range(len(xy)), key=lambda i: (xy[i, 1], xy[i, 0]))
    if not np.allclose(xy[index], chosen):
        problems.append(
            f"prim trajectory: the ring is at {chosen}, the rule picks point {index} at {xy[index]}"
        )
    coverage, density, res_dim = xy[index][0], xy[index][1], int(dims[index])
    if not (_close(coverage, claims["coverage"]) and _close(density, claims["density"])):
        problems.append(f"prim trajectory: the chosen point {xy[index]} differs from the claim {claims}")
    title = _title(figure)
    said = f"holds {coverage:.0%} of the {claims['cases']} cases at density {density:.0%}, restricting {res_dim} "
    if said not in title:
        problems.append(f"prim trajectory: expected {said!r} in {title!r}")
    if ("no box reaches density" in title) == bool(len(dense)):
        problems.append(f"prim trajectory: {len(dense)} points reach the threshold; title {title!r}")
    return problems


def _check_prim_box(figure: Figure, claims: dict) -> list[str]:
    axis = figure.axes[0]
    patches = {p.get_gid(): p for p in axis.patches if p.get_gid()}
    title = _title(figure)
    problems = []
    for key, limit in claims["limits"].items():
        if "kept" in limit:
            drawn = sorted(gid.split(":", 2)[2] for gid in patches if gid.startswith(f"kept:{key}:"))
            if drawn != sorted(limit["kept"]):
                problems.append(f"prim box: {key} keeps {drawn} as drawn, the claim {limit['kept']}")
        else:
            bar = patches[f"box:{key}"]
            low, high = limit["sampled"]
            start = low + bar.get_x() * (high - low)
            end = low + (bar.get_x() + bar.get_width()) * (high - low)
            if not (_close(start, limit["low"], 1e-6) and _close(end, limit["high"], 1e-6)):
                problems.append(f"prim box: {key}'s bar spans {start}..{end}, the claim {limit}")
        if claims["texts"][key] not in title:
            problems.append(f"prim box: the title should state {claims['texts'][key]!r}: {title!r}")
    said = f"coverage {claims['coverage']:.0%}, density {claims['density']:.0%}"
    if said not in title:
        problems.append(f"prim box: expected {said!r} in {title!r}")
    if claims["limits"] and ("every restriction significant" in title) != claims["significant"]:
        problems.append(f"prim box: significance {claims['significant']}, title {title!r}")
    return problems


def _check_discover_pairs(figure: Figure, claims: dict) -> list[str]:
    problems = []
    for axis in figure.axes:
        case = [c for c in axis.collections if (c.get_gid() or "").startswith("case:")]
        other = [c for c in axis.collections if (c.get_gid() or "").startswith("not case:")]
        if not case:
            continue
        cases, rows = len(case[0].get_offsets()), len(case[0].get_offsets()) + len(other[0].get_offsets())
        if (cases, rows) != (claims["cases"], claims["rows"]):
            problems.append(
                f"pairs: a panel draws {cases} cases of {rows}, the claim {claims['cases']} of {claims['rows']}"
            )
    title = _title(figure)
    said = f"{claims['cases']} of {claims['rows']} markets are cases"
    inside, outside = claims["inside"], claims["outside"]
    if inside is not None:
        if (
            inside["markets"] + outside["markets"] != claims["rows"]
            or inside["cases"] + outside["cases"] != claims["cases"]
        ):
            problems.append(
                f"pairs: inside {inside} and outside {outside} do not add up to the plotted markets"
            )
        share_in = inside["cases"] / inside["markets"] if inside["markets"] else float("nan")
        share_out = outside["cases"] / outside["markets"] if outside["markets"] else float("nan")
        said += (
            f"; {share_in:.0%} of the {inside['markets']} inside PRIM's box, "
            f"{share_out:.0%} of the {outside['markets']} outside"
        )
    if said not in title:
        problems.append(f"pairs: expected {said!r} in {title!r}")
    return problems


def _check_tree_rules(figure: Figure, claims: dict) -> list[str]:
    axis = figure.axes[0]
    bars = _bars(axis)
    cases, others = bars.get("cases", []), bars.get("not cases", [])
    problems = []
    for rule, c, o in zip(claims["rules"], cases, others, strict=False):
        if not (_close(c, rule["cases"]) and _close(c + o, rule["markets"])):
            problems.append(f"tree: a bar shows {c} cases of {c + o}, the rule says {rule}")
    if len(cases) != len(claims["rules"]):
        problems.append(f"tree: {len(cases)} bars for {len(claims['rules'])} rules")
    title = _title(figure)
    if cases:
        most = int(np.argmax(cases))
        if most != 0 and cases[most] > cases[0]:
            problems.append(f"tree: rule {most} covers more cases than the first, which the title names")
        said = (
            f"{' '.join(claims['rules'][0]['label'].split())} -> case in {cases[0] / (cases[0] + others[0]):.0%} "
            f"of its {cases[0] + others[0]:.0f} markets ({cases[0]:.0f} of the {claims['cases']} cases)"
        )
        if said not in title:
            problems.append(f"tree: expected {said!r} in {title!r}")
    if claims["accuracy"] is not None and f"cross-validated accuracy {claims['accuracy']:.0%}" not in title:
        problems.append(f"tree: the title should give the accuracy {claims['accuracy']:.0%}: {title!r}")
    return problems


CHECKS = {
    "customers": _check_customers,
    "customers_by_group": _check_customers_by_group,
    "churn_by_reason": _check_churn_by_reason,
    "lifecycle": _check_lifecycle,
    "acquisitions_by_channel": _check_acquisitions,
    "retention": _check_retention,
    "churn_waterfall": _check_waterfall,
    "cac_ltv": _check_cac_ltv,
    "value_distribution": _check_value,
    "spend_by_lever": _check_spend,
    "forest": _check_forest,
    "cascade": _check_cascade,
    "sweep": _check_sweep,
    "sweep_heatmap": _check_heatmap,
    "lever_reason": _check_lever_reason,
    "penetration": _check_penetration,
    "game_payoffs": _check_game_payoffs,
    "game_best_responses": _check_game_best_responses,
    "prim_trajectory": _check_prim_trajectory,
    "prim_box": _check_prim_box,
    "discover_pairs": _check_discover_pairs,
    "tree_rules": _check_tree_rules,
}


def claim_problems(figure: Figure) -> list[str]:
    """Recompute, from the artists alone, what the figure's titles claim, and list disagreements."""
    claims = getattr(figure, "claims", None)
    if claims is None:
        return ["the figure carries no claims (sim.plots figures set figure.claims)"]
    return CHECKS[claims["figure"]](figure, claims)
