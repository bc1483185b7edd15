"""The dashboard's live charts: matplotlib figures of a :class:`~sim.dashboard.market.DashboardModel`
as it stands this week.

Owns what each panel of ``sim dashboard`` shows: customers by firm, acquisitions by channel and
churn by reason so far, CAC and LTV so far, the referral network coloured by firm, and the two
strategies side by side. Each function takes the model and returns a new
:class:`matplotlib.figure.Figure` (no pyplot, so nothing is kept between redraws and figures can
be drawn from the server's threads). Colours follow :mod:`sim.plots`: one per firm, one per churn
reason. Time axes show the weeks run so far (at least a quarter), with every market event that
struck so far marked by name (:func:`sim.plots.layout.mark_events`).

Example:
    >>> from sim import load_scenario
    >>> from sim.dashboard.market import DashboardModel
    >>> model = DashboardModel(load_scenario("scenarios/baseline.toml", {"market.size": 300}))
    >>> model.step()
    >>> customers_chart(model).axes[0].get_title()
    'Customers by firm'
"""

from __future__ import annotations

import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure

from sim.agents.customers import CHANNEL_NAMES, REASON_NAMES
from sim.dashboard.market import DashboardModel, running_metrics
from sim.dashboard.network_picture import network_picture
from sim.model import CustomerMarket
from sim.plots import REASON_COLOURS, firm_colours
from sim.plots.layout import mark_events

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
    axes = figure.subplots(1, columns, sharey=True, squeeze=False)[0]
    return figure, list(axes)


def _mark_events(axis, market: CustomerMarket) -> list[str]:
    """The events that struck so far (from the file or triggered on the page), marked by name
    along the bottom, clear of the legends in the upper corners."""
    return mark_events(axis, [e.as_dict() for e in market.timeline.struck], fontsize=7, at="bottom")


def _weeks(market: CustomerMarket) -> np.ndarray:
    return np.arange(market.week + 1)


def customers_chart(model: DashboardModel) -> Figure:
    """Customers of each firm, week by week."""
    market = model.market
    figure, (axis,) = _figure()
    _customer_lines(axis, market)
    axis.set_title("Customers by firm")
    axis.set_ylabel("customers (people)")
    axis.legend(loc="upper left", frameon=False)
    return figure


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
    axis.set_ylim(bottom=0)
    axis.grid(alpha=0.3)
    _mark_events(axis, market)


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
    axis.set_title("Fully loaded CAC and LTV net of retention cost so far (per customer won)")
    axis.set_xlabel("week")
    axis.set_ylabel("currency per customer")
    axis.grid(alpha=0.3)
    axis.legend(loc="upper right", frameon=False, fontsize=8, ncols=2)
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
    for axis, market in zip(axes, (model.market, model.comparison), strict=True):
        _customer_lines(axis, market)
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
    axes[0].legend(loc="upper left", frameon=False, fontsize=8)
    figure.suptitle(f"Side by side on seed {model.seed}: {firm}'s strategy as set (left) and switched")
    return figure


def _weeks_run(week: int) -> str:
    return "no week run yet" if week == 0 else "week 1" if week == 1 else f"weeks 1-{week}"


def _money(value: float) -> str:
    return "-" if not np.isfinite(value) else f"{value:,.0f}"


CHARTS = (customers_chart, acquisitions_chart, churn_chart, cac_ltv_chart, network_chart, comparison_chart)
