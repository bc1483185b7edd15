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


def network_chart(model: DashboardModel) -> Figure:
    """The referral network, each person coloured by the firm they buy from this week (light grey:
    nobody). Markets above the drawing limit show one neighbourhood (see
    :mod:`sim.dashboard.network_picture`)."""
    market = model.market
    scenario = market.scenario
    picture = network_picture(scenario.network, scenario.market.size, market.seed, market.network)
    figure, (axis,) = _figure()
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
    axis.add_collection(LineCollection(segments, colors="#bdbdbd", linewidths=0.3, zorder=1))
    order = np.argsort(firm >= 0, kind="stable")  # customers drawn on top
    axis.scatter(*picture.positions[order].T, s=9, c=colours[order], linewidths=0, zorder=2)
    axis.set_aspect("equal")
    axis.autoscale()
    shown = len(picture.slots)
    if picture.sampled:
        title = f"Referral network: {shown:,} of {picture.market_size:,} people (one neighbourhood)"
    else:
        title = f"Referral network: all {shown:,} people"
    axis.set_title(title)
    for name, colour in zip([*names, "no firm"], palette, strict=True):
        axis.scatter([], [], s=20, c=colour, label=name)
    axis.legend(
        loc="upper center", bbox_to_anchor=(0.5, 0.0), ncols=len(names) + 1, frameon=False, fontsize=8
    )
    return figure


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
