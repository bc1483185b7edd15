"""The dashboard's live charts: matplotlib figures of a :class:`~sim.dashboard.market.DashboardModel`
as it stands this week.

Owns what each panel of ``sim dashboard`` shows: customers by firm, acquisitions by channel and
churn by reason so far, CAC and LTV so far, the referral network coloured by firm, and the two
strategies side by side. Each function takes the model and returns a new
:class:`matplotlib.figure.Figure` (no pyplot, so nothing is kept between redraws and figures can
be drawn from the server's threads). Colours follow :mod:`sim.plots`: one per firm, one per churn
reason. Time axes show the weeks run so far (at least a quarter), with every market event that
struck so far marked by name (:func:`sim.plots.layout.mark_events`: a grey dotted line, labelled
at the bottom) and every reaction of a rival's response (:func:`mark_reactions`: a dashed line in
the reacting firm's colour, labelled at the top, e.g. "rival: matched price").

Example:
    >>> from sim import load_scenario
    >>> from sim.dashboard.market import DashboardModel
    >>> model = DashboardModel(load_scenario("scenarios/baseline.toml", {"market.size": 300}))
    >>> model.step()
    >>> customers_chart(model).axes[0].get_title()
    'Customers by firm'
"""

from __future__ import annotations

import functools
import io
from collections.abc import Callable

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.transforms import blended_transform_factory

from sim.agents.customers import CHANNEL_NAMES, REASON_NAMES
from sim.dashboard.market import DashboardModel, reaction_marks, running_metrics
from sim.dashboard.network_picture import network_picture
from sim.model import CustomerMarket
from sim.plots import REASON_COLOURS, firm_colours
from sim.plots.layout import EVENT_LABEL_GAP, fit_titles, mark_events

SIZE = (6.0, 3.6)  # inches: half the page's width at the dashboard's resolution
DPI = 80
NETWORK_SIZE = (7.5, 7.5)  # inches: the network picture is big enough to tell people apart (600 px)
NOT_A_CUSTOMER = "#d9d9d9"
CHANNEL_COLOURS = dict(
    zip(
        [name for name in CHANNEL_NAMES if name != "initial"],
        ["#9e9e9e", "#1f77b4", "#aec7e8", "#ff7f0e", "#2ca02c", "#98df8a", "#9467bd", "#8c564b", "#e377c2"],
        strict=True,
    )
)


def _figure(columns: int = 1) -> tuple[Figure, list]:
    figure = Figure(figsize=SIZE, dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)  # a renderer of its own, to measure titles with (no pyplot)
    axes = figure.subplots(1, columns, sharey=True, squeeze=False)[0]
    return figure, list(axes)


def _mark_events(axis, market: CustomerMarket) -> list[str]:
    """The events that struck so far (from the file or triggered on the page), marked by name
    along the bottom, clear of the legends in the upper corners."""
    return mark_events(axis, [e.as_dict() for e in market.timeline.struck], fontsize=7, at="bottom")


def mark_reactions(axis, market: CustomerMarket) -> list[dict]:
    """Mark each reaction of the firms' responses so far (:func:`sim.dashboard.market.reaction_marks`)
    on a time axis in weeks: a dashed vertical line in the reacting firm's colour at the week it
    acted (``gid="reaction:<firm>:<week>"``), labelled along the line at the top of the axes, right
    of it (a market event's label is at the bottom, left of its line), cut off at the bottom of
    the axes. Reactions too close to label apart share one label ("rival: win-back campaign x2",
    or "5 reactions" when they differ); a label that repeats the one before is left out (its line
    stays). Call it after the x limits are set; reactions outside them are left out. Returns the
    marks drawn."""
    colours = firm_colours(market.recorder.firm_names)
    low, high = sorted(axis.get_xlim())
    span = max(high - low, 1e-9)
    marks = [mark for mark in reaction_marks(market) if low <= mark["week"] <= high]
    clusters: list[list[dict]] = []
    for mark in marks:
        axis.axvline(mark["week"], color=colours[mark["firm"]], linestyle="--", linewidth=1.2, alpha=0.85,
                     gid=f"reaction:{mark['firm']}:{mark['week']}")  # fmt: skip
        if clusters and (mark["week"] - clusters[-1][0]["week"]) / span < EVENT_LABEL_GAP:
            clusters[-1].append(mark)
        else:
            clusters.append([mark])
    transform = blended_transform_factory(axis.transData, axis.transAxes)
    previous: list[str] = []
    for cluster in clusters:
        labels = list(dict.fromkeys(mark["label"] for mark in cluster))  # in order, once each
        if labels == previous:
            continue  # the same again (a campaign renewed): its line says so, the table has it
        previous = labels
        text = " / ".join(labels) if len(labels) <= 2 else f"{len(cluster)} reactions"
        if len(cluster) > 1 and len(labels) == 1:
            text += f" x{len(cluster)}"
        firms = {mark["firm"] for mark in cluster}
        colour = colours[cluster[0]["firm"]] if len(firms) == 1 else "#444444"
        axis.text(cluster[0]["week"], 0.985, text, transform=transform, rotation=90, ha="left", va="top",
                  fontsize=7, color=colour, gid="reaction-label", clip_on=True,
                  bbox={"boxstyle": "square,pad=0.1", "facecolor": "white", "alpha": 0.7, "linewidth": 0})  # fmt: skip
    return marks


def _weeks(market: CustomerMarket) -> np.ndarray:
    return np.arange(market.week + 1)


def customers_chart(model: DashboardModel) -> Figure:
    """Customers of each firm, week by week."""
    market = model.market
    figure, (axis,) = _figure()
    _customer_lines(axis, market)
    axis.set_title("Customers by firm")
    axis.set_ylabel("customers (people)")
    _legend_below(figure, axis)
    return figure


def _legend_below(figure: Figure, axis, columns: int | None = None) -> None:
    """``axis``'s legend in a row under the plot: inside it, the top is where the reactions are
    labelled and the bottom where the events are."""
    handles, labels = axis.get_legend_handles_labels()
    figure.legend(handles, labels, loc="outside lower center", ncols=columns or len(labels), frameon=False,
                  fontsize=8)  # fmt: skip


def _horizon(market: CustomerMarket) -> int:
    """The x axis's end: a quarter at first, then the weeks run so far (never past the run)."""
    return min(max(market.week, 13), market.scenario.run.weeks)


def _customer_lines(axis, market: CustomerMarket) -> None:
    recorder = market.recorder
    colours = firm_colours(recorder.firm_names)
    for index, firm in enumerate(recorder.firm_names):
        axis.plot(
            _weeks(market), recorder.customers[: market.week + 1, index], color=colours[firm], label=firm
        )
    axis.set_xlim(0, _horizon(market))
    axis.set_xlabel("week")
    # Explicit limits: limits set once (bottom 0 alone) freeze the top, and the side-by-side view's
    # shared axis would then cut off the arm drawn second.
    axis.set_ylim(0, _customers_top(market))
    axis.grid(alpha=0.3)
    _mark_events(axis, market)
    mark_reactions(axis, market)


def _customers_top(market: CustomerMarket) -> float:
    """The top of a customers axis: the most customers any firm had so far, plus a margin."""
    return 1.05 * max(float(market.recorder.customers[: market.week + 1].max()), 1.0)


def _stacked_bars(axis, firms: list[str], counts: np.ndarray, names: list[str], colours: dict) -> None:
    """Horizontal bars, one per firm, stacked by ``names`` (counts: firms x names)."""
    left = np.zeros(len(firms))
    for column, name in enumerate(names):
        axis.barh(firms, counts[:, column], left=left, color=colours[name], label=name.replace("_", " "))
        left += counts[:, column]
    axis.invert_yaxis()
    axis.grid(alpha=0.3, axis="x")
    axis.legend(ncols=3, loc="upper center", bbox_to_anchor=(0.5, -0.22), frameon=False, fontsize=8)


def acquisitions_chart(model: DashboardModel) -> Figure:
    """Customers each firm has won so far, stacked by the channel that won them."""
    recorder = model.market.recorder
    names = list(CHANNEL_COLOURS)
    columns = [CHANNEL_NAMES.index(name) for name in names]
    counts = recorder.acquired[1 : model.week + 1][..., columns].sum(axis=0)  # firms x channels
    figure, (axis,) = _figure()
    _stacked_bars(axis, recorder.firm_names, counts, names, CHANNEL_COLOURS)
    axis.set_title(f"Acquisitions by channel so far ({_weeks_run(model.week)})")
    axis.set_xlabel("customers won (people)")
    return figure


def churn_chart(model: DashboardModel) -> Figure:
    """Customers each firm has lost so far, stacked by the reason they left."""
    recorder = model.market.recorder
    counts = recorder.churned[1 : model.week + 1].sum(axis=0)  # firms x reasons
    figure, (axis,) = _figure()
    _stacked_bars(axis, recorder.firm_names, counts, REASON_NAMES, REASON_COLOURS)
    axis.set_title(f"Churn by reason so far ({_weeks_run(model.week)})")
    axis.set_xlabel("customers lost (people)")
    return figure


def cac_ltv_chart(model: DashboardModel) -> Figure:
    """Fully loaded CAC (solid) and LTV net of retention cost (dashed) so far of each firm, as the
    run's summary would give them: the pair that counts every dollar once. A firm that has spent
    nothing has no CAC line (its legend says "nothing spent")."""
    market = model.market
    metrics = running_metrics(market.recorder)
    colours = firm_colours(market.recorder.firm_names)
    figure, (axis,) = _figure()
    for index, firm in enumerate(market.recorder.firm_names):
        colour = colours[firm]
        spent = bool(np.isfinite(metrics["cac_fully_loaded"][:, index]).any())
        axis.plot(
            metrics["weeks"],
            metrics["cac_fully_loaded"][:, index],
            color=colour,
            label=f"{firm} CAC, fully loaded" if spent else f"{firm} CAC: nothing spent",
        )
        axis.plot(
            metrics["weeks"],
            metrics["ltv_net"][:, index],
            color=colour,
            linestyle="--",
            label=f"{firm} LTV net of retention",
        )
    axis.set_xlim(0, _horizon(market))
    _mark_events(axis, market)
    mark_reactions(axis, market)
    axis.set_title("Fully loaded CAC and LTV net of retention cost so far (per customer won)")
    axis.set_xlabel("week")
    axis.set_ylabel("currency per customer")
    axis.grid(alpha=0.3)
    _legend_below(figure, axis, columns=2)
    return figure


def network_chart(model: DashboardModel, week_in_title: bool = True) -> Figure:
    """The referral network, each person coloured by the firm they buy from this week (light grey:
    nobody). Markets above the drawing limit show one neighbourhood (see
    :mod:`sim.dashboard.network_picture`)."""
    market = model.market
    scenario = market.scenario
    picture = network_picture(scenario.network, scenario.market.size, market.seed, market.network)
    figure = Figure(figsize=NETWORK_SIZE, dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    axis = figure.subplots()
    axis.set_axis_off()
    if picture is None:
        axis.set_title("Referral network")
        axis.text(
            0.5, 0.5, "mean-field market: everyone knows everyone,\nno ties to draw", ha="center", va="center"
        )
        return figure
    names = market.recorder.firm_names
    palette = np.array([*firm_colours(names).values(), NOT_A_CUSTOMER])
    firm = market.customers.firm[picture.slots].astype(np.int64)  # -1: not a customer
    colours = palette[np.where(firm >= 0, firm, len(names))]
    segments = picture.positions[picture.ties]
    axis.add_collection(LineCollection(segments, colors="#8c8c8c", linewidths=0.45, alpha=0.6, zorder=1))
    order = np.argsort(firm >= 0, kind="stable")  # customers drawn on top
    # Big dots with a thin dark edge: a customer's colour reads at a glance, a non-customer stays visible.
    axis.scatter(*picture.positions[order].T, s=30, c=colours[order], edgecolors="#333333", linewidths=0.3,
                 zorder=2)  # fmt: skip
    axis.set_aspect("equal")
    axis.autoscale()
    shown = len(picture.slots)
    if picture.sampled:
        title = f"Referral network: {shown:,} of {picture.market_size:,} people (one neighbourhood)"
    else:
        title = f"Referral network: all {shown:,} people"
    axis.set_title(f"{title}, week {market.week}" if week_in_title else title, fontsize=12)
    for name, colour in zip([*names, "no firm"], palette, strict=True):
        axis.scatter([], [], s=60, c=colour, edgecolors="#333333", linewidths=0.3, label=name)
    figure.legend(loc="outside lower center", ncols=len(names) + 1, frameon=False, fontsize=11)
    return figure


class NetworkPainter:
    """The network picture as PNG, fast enough to redraw while playing: the ties, title and legend
    are drawn once per market and kept as a background; each redraw puts only the people's dots,
    in this week's colours, on it (a full matplotlib draw of 600 people and their ties takes about
    half a second on this machine, the dots alone a few hundredths).

    Example:
        >>> from sim import load_scenario
        >>> model = DashboardModel(load_scenario("scenarios/baseline.toml", {"market.size": 300}))
        >>> NetworkPainter().png(model)[:4]
        b'\\x89PNG'
    """

    def __init__(self) -> None:
        self._market: CustomerMarket | None = None
        self._figure: Figure | None = None

    def png(self, model: DashboardModel) -> bytes:
        market = model.market
        if market is not self._market:
            self._market = market
            self._figure = network_chart(model, week_in_title=False)
            axis = self._figure.axes[0]
            self._dots = axis.collections[1] if len(axis.collections) > 1 else None
            if self._dots is not None:
                self._dots.set_animated(True)  # left out of the background
            self._figure.canvas.draw()
            self._background = self._figure.canvas.copy_from_bbox(self._figure.bbox)
        canvas = self._figure.canvas
        canvas.restore_region(self._background)
        if self._dots is not None:
            scenario = market.scenario
            picture = network_picture(scenario.network, scenario.market.size, market.seed, market.network)
            names = market.recorder.firm_names
            palette = np.array([*firm_colours(names).values(), NOT_A_CUSTOMER])
            firm = market.customers.firm[picture.slots].astype(np.int64)
            order = np.argsort(firm >= 0, kind="stable")  # customers drawn on top
            self._dots.set_offsets(picture.positions[order])
            self._dots.set_facecolors(palette[np.where(firm >= 0, firm, len(names))][order])
            self._figure.axes[0].draw_artist(self._dots)
        from PIL import Image

        buffer = io.BytesIO()
        Image.fromarray(np.asarray(canvas.buffer_rgba())).save(buffer, format="png", compress_level=1)
        return buffer.getvalue()


def comparison_chart(model: DashboardModel) -> Figure:
    """The two arms side by side, same seed: customers by firm with the compared firm's strategy as
    set (left) and switched (right), and each arm's CAC and LTV so far for that firm."""
    if model.comparison is None:
        figure, (axis,) = _figure()
        axis.set_axis_off()
        axis.set_title("Side by side")
        axis.text(
            0.5, 0.5, "choose a strategy under 'side by side' and press Reset", ha="center", va="center"
        )
        return figure
    figure, axes = _figure(columns=2)
    firm = model.compare_firm
    top = max(_customers_top(model.market), _customers_top(model.comparison))
    for axis, market in zip(axes, (model.market, model.comparison), strict=True):
        _customer_lines(axis, market)
        axis.set_ylim(0, top)  # one scale for both sides (the axes share it)
        index = market.recorder.firm_names.index(firm)
        metrics = running_metrics(market.recorder)
        cac = metrics["cac_fully_loaded"][-1, index] if market.week else np.nan
        ltv = metrics["ltv_net"][-1, index] if market.week else np.nan
        customers = market.recorder.customers[market.week, index]
        spent = market.recorder.spend[1 : market.week + 1, index].sum() > 0
        axis.set_title(
            f"{model.arm_label(market)}\n{firm}: {customers:,} customers, "
            f"CAC fully loaded {_money(cac) if spent else 'nothing spent'}, LTV net {_money(ltv)}",
            fontsize=9,
        )
    axes[0].set_ylabel("customers (people)")
    _legend_below(figure, axes[0])
    figure.suptitle(f"Side by side on seed {model.seed}: {firm}'s strategy as set (left) and switched")
    return figure


def _weeks_run(week: int) -> str:
    return "no week run yet" if week == 0 else "week 1" if week == 1 else f"weeks 1-{week}"


def _money(value: float) -> str:
    return "-" if not np.isfinite(value) else f"{value:,.0f}"


def _fitted(chart: Callable[[DashboardModel], Figure]) -> Callable[[DashboardModel], Figure]:
    """``chart`` with its titles wrapped to the room they have (:func:`sim.plots.layout.fit_titles`),
    so that none runs off the panel or into its neighbour."""

    @functools.wraps(chart)
    def fitted(model: DashboardModel) -> Figure:
        return fit_titles(chart(model))

    return fitted


CHARTS = tuple(
    _fitted(chart)
    for chart in (
        customers_chart,
        acquisitions_chart,
        churn_chart,
        cac_ltv_chart,
        network_chart,
        comparison_chart,
    )
)


# --------------------------------------------------------------------------- drawn in the browser
#
# The page's live charts are Vega-Lite specifications drawn by the browser from data: the spec of a
# model carries every row so far (its named ``datasets``), and each later update carries only the
# rows the browser has not acknowledged yet (a new week's customers and economics) plus the few
# small tables that are redrawn whole (the totals behind the bars, the markers, the axis end). The
# page's widget inserts them into the drawn view (:mod:`sim.dashboard.app`), so playing sends a few
# hundred bytes a week instead of six images.

LIVE_WIDTH = 330  # pixels of plot area: two charts side by side in the page's main column
LIVE_HEIGHT = 230
SIDE_WIDTH = 380  # each arm of the side-by-side chart
VEGA_LITE_SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"  # a version tag: nothing is fetched
# Legends under the plot area, never over the data (Vega-Lite's "bottom" is outside the plot).
LEGEND_CONFIG = {"orient": "bottom", "direction": "horizontal", "title": None, "labelLimit": 260}
LIVE_CHARTS = {
    "customers": "Customers by firm",
    "economics": "CAC (fully loaded) and LTV (net of retention cost) so far",
    "acquisitions": "Acquisitions by channel so far",
    "churn": "Churn by reason so far",
    "side_by_side": "Side by side",
}
BAR_CHARTS = {"acquisitions": "customers won (people)", "churn": "customers lost (people)"}
ECONOMICS = {"cac_fully_loaded": "CAC, fully loaded", "ltv_net": "LTV net of retention"}


def _json_number(value: float) -> float | None:
    return round(float(value), 2) if np.isfinite(value) else None  # null: a gap in the line


def customer_rows(market: CustomerMarket, since: int = -1, arm: str | None = None) -> list[dict]:
    """Customers of each firm in the weeks after ``since`` up to the week run, one row per firm and
    week (week 0 included when ``since`` is -1), with the arm's name for the side-by-side chart.

    Example:
        >>> from sim import load_scenario
        >>> market = CustomerMarket(load_scenario("scenarios/baseline.toml", {"market.size": 300}))
        >>> customer_rows(market)[0]["week"], len(customer_rows(market))
        (0, 2)
    """
    names = market.recorder.firm_names
    customers = market.recorder.customers
    extra = {"arm": arm} if arm else {}
    return [
        {"week": week, "firm": firm, "customers": int(customers[week, index]), **extra}
        for week in range(since + 1, market.week + 1)
        for index, firm in enumerate(names)
    ]


def economics_rows(market: CustomerMarket, since: int = -1) -> list[dict]:
    """Fully loaded CAC and LTV net of retention cost so far, per firm, for the weeks after
    ``since`` (null before a firm has won anyone: a gap, not a zero)."""
    metrics = running_metrics(market.recorder)
    rows = []
    for position, week in enumerate(metrics["weeks"]):
        if week <= since:
            continue
        for index, firm in enumerate(market.recorder.firm_names):
            for key, measure in ECONOMICS.items():
                rows.append({"week": int(week), "firm": firm, "measure": measure,
                             "value": _json_number(metrics[key][position, index])})  # fmt: skip
    return rows


def bar_rows(model: DashboardModel, kind: str) -> list[dict]:
    """The totals so far behind a bar chart (``kind`` "acquisitions": customers won by channel;
    "churn": customers lost by reason), one row per firm and non-zero part; empty before anyone
    was won or lost (the page then says so instead of drawing empty axes)."""
    recorder = model.market.recorder
    if kind == "acquisitions":
        names = list(CHANNEL_COLOURS)
        counts = recorder.acquired[1 : model.week + 1][..., [CHANNEL_NAMES.index(n) for n in names]].sum(
            axis=0
        )
    else:
        names = list(REASON_NAMES)
        counts = recorder.churned[1 : model.week + 1].sum(axis=0)
    return [
        {"firm": firm, "part": name.replace("_", " "), "order": column, "count": int(counts[index, column])}
        for index, firm in enumerate(recorder.firm_names)
        for column, name in enumerate(names)
        if counts[index, column] > 0
    ]


def mark_rows(market: CustomerMarket, arm: str | None = None) -> list[dict]:
    """The markers of a time chart: every market event that struck so far (kind "event", labelled
    at the bottom) and every reaction of a rival's response (kind "reaction", in the firm's colour,
    labelled at the top); a label that repeats the one before of its kind is left blank (its line
    stays)."""
    extra = {"arm": arm} if arm else {}
    rows = [{"week": int(e["week"]), "label": e["name"], "kind": "event", "firm": "", **extra}
            for e in (s.as_dict() for s in market.timeline.struck)]  # fmt: skip
    previous = None
    for mark in reaction_marks(market):
        label = "" if mark["label"] == previous else mark["label"]
        previous = mark["label"]
        rows.append(
            {"week": int(mark["week"]), "label": label, "kind": "reaction", "firm": mark["firm"], **extra}
        )
    return rows


def _colour_scale(names: list[str], colours: dict[str, str]) -> dict:
    return {"domain": list(names), "range": [colours[name] for name in names]}


def _week_axis() -> dict:
    return {
        "field": "week",
        "type": "quantitative",
        "title": "week",
        "scale": {"domainMin": 0, "nice": False},
    }


def _time_layers(firm_scale: dict, lines: dict, now: str | None, arm: str | None = None) -> list[dict]:
    """A time chart's layers: ``lines`` (a line layer), the current week's points (``now``: week 0
    shows as dots), the axis end (a quarter at first) and the markers of events and reactions."""
    only = [{"filter": f"datum.arm === '{arm}'"}] if arm else []
    colour = {"field": "firm", "type": "nominal", "scale": firm_scale}  # one scale: one legend
    layers = [{**lines, "transform": only + lines.get("transform", [])}]
    if now:
        layers.append({
            "data": {"name": now}, "transform": only,
            "mark": {"type": "point", "filled": True, "size": 60, "opacity": 1},
            "encoding": {"x": _week_axis(), "y": lines["encoding"]["y"], "color": colour},
        })  # fmt: skip
    layers.append({"data": {"name": "horizon"}, "mark": {"type": "rule", "opacity": 0},
                   "encoding": {"x": _week_axis()}})  # fmt: skip
    events = [*only, {"filter": "datum.kind === 'event'"}]
    reactions = [*only, {"filter": "datum.kind === 'reaction'"}]
    week = {"field": "week", "type": "quantitative"}
    layers += [
        {"data": {"name": "marks"}, "transform": events, "mark": {"type": "rule", "strokeDash": [2, 2],
         "color": "#666666"}, "encoding": {"x": week}},
        {"data": {"name": "marks"}, "transform": events, "mark": {"type": "text", "angle": 270, "align": "left",
         "baseline": "bottom", "dx": 4, "fontSize": 10, "color": "#444444", "y": {"expr": "height - 4"}},
         "encoding": {"x": week, "text": {"field": "label"}}},
        {"data": {"name": "marks"}, "transform": reactions, "mark": {"type": "rule", "strokeDash": [6, 3],
         "strokeWidth": 1.5}, "encoding": {"x": week, "color": colour}},
        {"data": {"name": "marks"}, "transform": reactions, "mark": {"type": "text", "angle": 270, "align": "right",
         "baseline": "top", "dx": 3, "y": 4, "fontSize": 10}, "encoding": {"x": week, "color": colour,
         "text": {"field": "label"}}},
    ]  # fmt: skip
    return layers


def _customer_line(firm_scale: dict, data: str) -> dict:
    return {
        "data": {"name": data},
        "mark": {"type": "line", "strokeWidth": 2.5},
        "encoding": {
            "x": _week_axis(),
            "y": {"field": "customers", "type": "quantitative", "title": "customers (people)"},
            "color": {"field": "firm", "type": "nominal", "scale": firm_scale},
        },
    }


def _now_rows(rows: list[dict], week: int) -> list[dict]:
    return [row for row in rows if row["week"] == week]


def live_data(kind: str, model: DashboardModel, since: int = -1) -> tuple[dict, dict]:
    """The data of live chart ``kind`` (one of :data:`LIVE_CHARTS`): rows appended week by week
    (after week ``since``: the browser keeps the rest) and tables replaced whole, by dataset name.

    Example:
        >>> from sim import load_scenario
        >>> model = DashboardModel(load_scenario("scenarios/baseline.toml", {"market.size": 300}))
        >>> model.step()
        >>> appended, replaced = live_data("customers", model, since=0)
        >>> [row["week"] for row in appended["customers"]], sorted(replaced)
        ([1, 1], ['horizon', 'marks', 'now'])
    """
    market = model.market
    horizon = [{"week": _horizon(market)}]
    if kind == "customers":
        now = _now_rows(customer_rows(market, market.week - 1), market.week)
        return {"customers": customer_rows(market, since)}, {"now": now, "marks": mark_rows(market),
                                                             "horizon": horizon}  # fmt: skip
    if kind == "economics":
        return {"economics": economics_rows(market, since)}, {"marks": mark_rows(market), "horizon": horizon}
    if kind in BAR_CHARTS:
        return {}, {"bars": bar_rows(model, kind)}
    if kind == "side_by_side":
        arms = _arms(model)
        rows, now, marks = [], [], []
        for arm, each in arms:
            rows += customer_rows(each, since, arm)
            now += _now_rows(customer_rows(each, each.week - 1, arm), each.week)
            marks += mark_rows(each, arm)
        longest = max(_horizon(each) for _, each in arms)
        return {"sides": rows}, {"now": now, "marks": marks, "horizon": [{"week": longest}]}
    raise ValueError(f"live chart {kind!r}: not one of {', '.join(LIVE_CHARTS)}")


def _arms(model: DashboardModel) -> list[tuple[str, CustomerMarket]]:
    """The side-by-side chart's arms, named by what they run ("us on balanced (as set)")."""
    firm = model.compare_firm
    arms = [(f"{firm} on {model.market.scenario.firms[firm].strategy} (as set)", model.market)]
    if model.comparison is not None:
        arms.append(
            (f"{firm} on {model.comparison.scenario.firms[firm].strategy} (switched)", model.comparison)
        )
    return arms


def live_spec(kind: str, model: DashboardModel, token: int = 0) -> dict:
    """The Vega-Lite specification of live chart ``kind`` for ``model``, with every row so far in
    its named datasets; ``usermeta`` carries ``token`` (which model the page drew) and the week, so
    the browser appends only later rows (:func:`live_data`). Legends sit under the plot area.

    Example:
        >>> from sim import load_scenario
        >>> model = DashboardModel(load_scenario("scenarios/baseline.toml", {"market.size": 300}))
        >>> spec = live_spec("customers", model)
        >>> spec["config"]["legend"]["orient"], [r["week"] for r in spec["datasets"]["customers"]]
        ('bottom', [0, 0])
    """
    appended, replaced = live_data(kind, model)
    names = model.market.recorder.firm_names
    firm_scale = _colour_scale(names, firm_colours(names))
    spec: dict = {
        "$schema": VEGA_LITE_SCHEMA,
        "title": {"text": LIVE_CHARTS[kind], "anchor": "start", "frame": "bounds", "fontSize": 14},
        "datasets": {**appended, **replaced},
        "usermeta": {"token": token, "week": model.week, "kind": kind},
        # Laid out again as rows arrive: axis labels that grow (a minus sign, a firm's name once its
        # first bar is in) would otherwise be cut at the left edge.
        "autosize": {"type": "pad", "resize": True},
        "config": {"legend": LEGEND_CONFIG, "view": {"stroke": None}, "axis": {"gridOpacity": 0.5}},
        "width": LIVE_WIDTH,
        "height": LIVE_HEIGHT,
    }
    if kind == "customers":
        spec["layer"] = _time_layers(firm_scale, _customer_line(firm_scale, "customers"), "now")
    elif kind == "economics":
        line = {
            "data": {"name": "economics"},
            "mark": {"type": "line", "strokeWidth": 2},
            "encoding": {
                "x": _week_axis(),
                "y": {"field": "value", "type": "quantitative", "title": "currency per customer won"},
                "color": {"field": "firm", "type": "nominal", "scale": firm_scale},
                "strokeDash": {"field": "measure", "type": "nominal",
                               "scale": {"domain": list(ECONOMICS.values()), "range": [[1, 0], [6, 3]]}},
            },
        }  # fmt: skip
        spec["layer"] = _time_layers(firm_scale, line, None)
    elif kind in BAR_CHARTS:
        parts = CHANNEL_COLOURS if kind == "acquisitions" else REASON_COLOURS
        spec["data"] = {"name": "bars"}
        spec["mark"] = {"type": "bar"}
        spec["height"] = 40 * len(names)
        spec["encoding"] = {
            "y": {"field": "firm", "type": "nominal", "sort": names, "title": None},
            "x": {"field": "count", "type": "quantitative", "aggregate": "sum", "title": BAR_CHARTS[kind]},
            "color": {"field": "part", "type": "nominal",
                      "scale": {"domain": [n.replace("_", " ") for n in parts], "range": list(parts.values())}},
            "order": {"field": "order", "type": "quantitative"},
            "tooltip": [{"field": "firm"}, {"field": "part"}, {"field": "count"}],
        }  # fmt: skip
        spec["config"]["legend"] = {**LEGEND_CONFIG, "columns": 3}
    else:
        arms = _arms(model)
        spec["hconcat"] = [
            {"title": {"text": arm, "fontSize": 12}, "width": SIDE_WIDTH, "height": LIVE_HEIGHT,
             "layer": _time_layers(firm_scale, _customer_line(firm_scale, "sides"), "now", arm)}
            for arm, _ in arms
        ]  # fmt: skip
        spec["resolve"] = {"scale": {"y": "shared", "x": "shared"}}
        spec["title"]["text"] = (
            f"Side by side on seed {model.seed}, the same customers: {model.compare_firm} on each strategy"
        )
        del spec["width"], spec["height"]
    return spec
