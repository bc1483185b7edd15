"""The look every figure shares: colours that keep their meaning, slide style, titles that fit.

Owns one colour per firm (stable across figures, by scenario order), per strategy, churn reason,
acquisition channel and lever; the slide style of the report's figures; number formats on axes;
and fitting every title to the room it has (:func:`fit_titles`), so none runs off the canvas or
into its neighbour. :func:`finish` attaches what a figure's titles claim (``figure.claims``) and
fits them: every figure function of :mod:`sim.plots` ends with it.

Example:
    >>> firm_colours(["us", "rival"])["rival"], words("word_of_mouth")
    ('#d62728', 'word of mouth')
"""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING, Any

import matplotlib
import matplotlib.ticker
import matplotlib.transforms

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
        >>> import matplotlib.pyplot as plt
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


def finish(figure: Figure, claims: dict[str, Any]) -> Figure:
    """Attach what the titles claim and fit the titles to the page."""
    figure.claims = claims
    return fit_titles(figure)


# --------------------------------------------------------------------------- the report's look
# The figures of `sim report` and the notebooks are drawn at slide size: large type, one colour
# per strategy and per firm that never changes meaning.

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
    "cross_sell": "#006d2c",
    "up_sell": "#08519c",
    "reassurance": "#54278f",
}


def words(name: str) -> str:
    """A snake_case name as words (``word_of_mouth`` -> ``word of mouth``)."""
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


# --------------------------------------------------------------------------- events on a time axis

EVENT_COLOUR = "#444444"
EVENT_SPAN_ALPHA = 0.10
# Events whose lines are closer than this share of the axis' width share one label (their names
# joined), so that no two labels are drawn on top of each other.
EVENT_LABEL_GAP = 0.04


def event_label(event: dict[str, Any]) -> str:
    """An event's name as its marker shows it; one that struck in different weeks in different
    runs says where and in how many.

    Example:
        >>> event_label({"name": "entrant", "week": 50})
        'entrant'
        >>> event_label({"name": "crash", "week": 50, "weeks": [20, 90], "runs": 7, "of": 10})
        'crash (weeks 20-90, 7 of 10 runs)'
    """
    weeks = event.get("weeks")
    runs, of = event.get("runs"), event.get("of")
    if weeks and weeks[0] != weeks[1]:
        return f"{event['name']} (weeks {weeks[0]}-{weeks[1]}, {runs} of {of} runs)"
    if runs is not None and of is not None and runs < of:
        return f"{event['name']} ({runs} of {of} runs)"
    return str(event["name"])


def mark_events(
    axis: Any, events: list[dict[str, Any]] | None, fontsize: float = 8.0, at: str = "top"
) -> list[str]:
    """Mark ``events`` (``{"name", "week", "end"}`` dicts: a run's ``summary["events"]``, or
    :func:`sim.phase_changes.aligned_events` over runs) on a time axis in weeks: a dotted vertical
    line at the week each struck, a light shaded span while a lasting effect ran (to ``end``, or
    over the weeks a probabilistic event struck in across runs), and the event's name written
    along its line at the top of the axes (``at="bottom"``: at the bottom, clear of a legend in
    the upper corner). Call it after the x limits are set; events outside them
    are left out. Names of events too close to label apart share one label. Returns the names
    marked (the lines carry ``gid="event:<name>"``).

    Example:
        >>> import matplotlib.pyplot as plt
        >>> figure, axis = plt.subplots()
        >>> _ = axis.plot([0, 20], [0, 5]); _ = axis.set_xlim(0, 20)
        >>> mark_events(axis, [{"name": "cut", "week": 8, "end": None}])
        ['cut']
        >>> [line.get_xdata()[0] for line in axis.lines if line.get_gid() == "event:cut"]
        [8]
        >>> plt.close(figure)
    """
    if not events:
        return []
    low, high = sorted(axis.get_xlim())
    span = max(high - low, 1e-9)
    shown = sorted((e for e in events if low <= e["week"] <= high), key=lambda e: e["week"])
    clusters: list[list[dict[str, Any]]] = []
    for event in shown:
        weeks = event.get("weeks")
        if weeks and weeks[0] != weeks[1]:
            axis.axvspan(weeks[0], weeks[1], color=EVENT_COLOUR, alpha=EVENT_SPAN_ALPHA / 2, hatch="//",
                         linewidth=0, gid=f"event-span:{event['name']}")  # fmt: skip
        if event.get("end") is not None and event["end"] > event["week"]:
            axis.axvspan(event["week"], min(event["end"], high), color=EVENT_COLOUR, alpha=EVENT_SPAN_ALPHA,
                         linewidth=0, gid=f"event-span:{event['name']}")  # fmt: skip
        axis.axvline(event["week"], color=EVENT_COLOUR, linestyle=":", linewidth=1.3,
                     gid=f"event:{event['name']}")  # fmt: skip
        if clusters and (event["week"] - clusters[-1][0]["week"]) / span < EVENT_LABEL_GAP:
            clusters[-1].append(event)
        else:
            clusters.append([event])
    transform = matplotlib.transforms.blended_transform_factory(axis.transData, axis.transAxes)
    for cluster in clusters:
        axis.text(
            cluster[0]["week"], 0.985 if at == "top" else 0.015, " / ".join(event_label(e) for e in cluster),
            transform=transform, rotation=90, ha="right", va="top" if at == "top" else "bottom", fontsize=fontsize, color=EVENT_COLOUR, gid="event-label",
            bbox={"boxstyle": "square,pad=0.1", "facecolor": "white", "alpha": 0.7, "linewidth": 0},
        )  # fmt: skip
    return [e["name"] for e in shown]
