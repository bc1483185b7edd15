"""The Solara page of ``sim dashboard``: Mesa's SolaraViz around a :class:`DashboardModel`.

Owns the page a browser gets: the scenario it is opened on (read from the environment that
:func:`sim.dashboard.server.serve` sets, so the page module can be imported by the Solara server),
the panels (a headline with the week counter, then the charts of :mod:`sim.dashboard.charts`) and
the ``Page`` component Solara serves. SolaraViz supplies the sidebar: Reset, play/pause and Step,
and the controls of :func:`sim.dashboard.market.dashboard_params`, which take effect on Reset.
Each browser session gets its own model.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable

import solara
from matplotlib.figure import Figure
from mesa.visualization import SolaraViz

from sim.dashboard.charts import CHARTS
from sim.dashboard.market import DashboardModel, dashboard_params, initial_settings, running_metrics
from sim.dashboard.server import OVERRIDES_ENV, SCENARIO_ENV
from sim.scenario import Scenario, load_scenario


def scenario_from_environment() -> Scenario:
    """The scenario ``sim dashboard`` was started with (see :data:`SCENARIO_ENV`)."""
    path = os.environ.get(SCENARIO_ENV, "")
    overrides = json.loads(os.environ.get(OVERRIDES_ENV) or "{}")
    if not path:
        return Scenario(run={"name": "defaults"}).with_overrides(overrides)
    return load_scenario(path, overrides=overrides).without_experiments()


def headline(model: DashboardModel):
    """The week counter, each firm's numbers so far, and any setting that could not be used."""
    market = model.market
    recorder = market.recorder
    metrics = running_metrics(recorder)
    with solara.Column(gap="4px") as panel:
        solara.v.Html(
            tag="h2", children=[f"Week {market.week} of {market.scenario.run.weeks}"], class_="sim-week"
        )
        solara.Text(
            f"{market.scenario.name}: {market.customers.size:,} people, seed {model.seed}. "
            "Controls take effect on Reset."
        )
        for index, (name, firm) in enumerate(market.scenario.firms.items()):
            won = int(metrics["acquired"][-1, index]) if market.week else 0
            lost = int(recorder.churned[1 : market.week + 1, index].sum())
            cac = metrics["cac_fully_loaded"][-1, index] if market.week else float("nan")
            ltv = metrics["ltv_net"][-1, index] if market.week else float("nan")
            spent = market.week and metrics["spend"][-1, index] > 0
            solara.Text(
                f"{name} ({firm.strategy}, {firm.budget:,.0f} a week): "
                f"{recorder.customers[market.week, index]:,} customers; won {won:,}, lost {lost:,}; "
                f"CAC fully loaded {_money(cac) if spent else 'nothing spent'}, "
                f"LTV net of retention cost {_money(ltv)}",
                classes=["sim-firm"],
            )
        for notice in model.notices:
            solara.Warning(notice)
    return panel


def _money(value: float) -> str:
    return "-" if value != value else f"{value:,.0f}"  # NaN: nobody won yet


def chart_panel(chart: Callable[[DashboardModel], Figure]) -> Callable[[DashboardModel], solara.Element]:
    """A panel showing ``chart`` as a PNG, drawn again only when the model or its week changes."""

    def panel(model: DashboardModel):
        figure = solara.use_memo(lambda: chart(model), dependencies=[model, model.week])
        return solara.FigureMatplotlib(figure, format="png", dependencies=[model, model.week])

    panel.__name__ = chart.__name__
    return panel


# Slider values always on show (Mesa's sliders show them only while dragged), so a strategist sees
# what Reset will apply; room above each slider for its value, which must not catch clicks.
SLIDER_VALUES_CSS = """
.v-slider__thumb-label-container { display: block !important; pointer-events: none; }
.v-input__slider { padding-top: 26px; }
"""

SCENARIO = scenario_from_environment()
PARAMS = dashboard_params(SCENARIO)
COMPONENTS = [headline, *(chart_panel(chart) for chart in CHARTS)]


@solara.component
def Page():
    """One browser session: its own model, shown by SolaraViz."""
    model = solara.use_memo(lambda: DashboardModel(**initial_settings(PARAMS)), dependencies=[])
    solara.Style(SLIDER_VALUES_CSS)
    SolaraViz(model, components=COMPONENTS, model_params=PARAMS, name=f"What if: {SCENARIO.name}")
