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
    """Draw the figure and return every text and data problem (empty when its ink is on the page)."""
    figure.canvas.draw()
    return text_problems(figure) + data_problems(figure)


def _box(box: Bbox) -> str:
    return f"[{box.x0:.0f}, {box.y0:.0f}, {box.x1:.0f}, {box.y1:.0f}]"
