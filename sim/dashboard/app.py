"""The Solara page of ``sim dashboard``: Mesa's SolaraViz around a :class:`DashboardModel`.

Owns the page a browser gets: the scenario it is opened on (read from the environment that
:func:`sim.dashboard.server.serve` sets, so the page module can be imported by the Solara server),
the panels (a headline with the week counter, the panel that strikes a market event now, the
charts of :mod:`sim.dashboard.charts`, then how the rivals respond and the reactions so far) and
the ``Page`` component Solara serves. SolaraViz supplies the sidebar: Reset, play/pause and Step,
and the controls of :func:`sim.dashboard.market.dashboard_params`, which take effect on Reset;
under them the page adds what each response personality does. Each browser session gets its own
model.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable

import solara
from matplotlib.figure import Figure
from mesa.visualization import SolaraViz

from sim.dashboard.charts import CHARTS
from sim.dashboard.market import (
    LIVE_EVENTS,
    PERSONALITIES,
    DashboardModel,
    dashboard_params,
    initial_settings,
    personality_description,
    responding_firms,
    responds_as,
    running_metrics,
)
from sim.dashboard.server import EMULATOR_ENV, OVERRIDES_ENV, SCENARIO_ENV
from sim.dashboard.whatif import WhatIf
from sim.dashboard.workshop import WorkshopArea  # issue 23: replicates, comparison, downloads
from sim.scenario import Scenario, ScenarioError, load_scenario


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
        responding = responding_firms(market.scenario)
        for index, (name, firm) in enumerate(market.scenario.firms.items()):
            response = firm.response.personality if firm.response is not None else "passive"
            how = f"; {responds_as(response)}" if name in responding else ""
            won = int(metrics["acquired"][-1, index]) if market.week else 0
            lost = int(recorder.churned[1 : market.week + 1, index].sum())
            cac = metrics["cac_fully_loaded"][-1, index] if market.week else float("nan")
            ltv = metrics["ltv_net"][-1, index] if market.week else float("nan")
            spent = market.week and metrics["spend"][-1, index] > 0
            solara.Text(
                f"{name} ({firm.strategy}, {firm.budget:,.0f} a week{how}): "
                f"{recorder.customers[market.week, index]:,} customers; won {won:,}, lost {lost:,}; "
                f"CAC fully loaded {_money(cac) if spent else 'nothing spent'}, "
                f"LTV net of retention cost {_money(ltv)}",
                classes=["sim-firm"],
            )
        for notice in model.notices:
            solara.Warning(notice)
    return panel


@solara.component
def EventPanel(model: DashboardModel):
    """Strike a market event now (the week about to run): a firm's price change (for good, or a
        promotion of some weeks), a declared entrant's entry, a downturn, a reputation shock. The
        charts mark it by name once the week has run. A component of its own (not a function Mesa wraps
    anew on every redraw), so that what was typed and struck survives the page's redraws."""
    what = solara.use_reactive("price")
    firm = solara.use_reactive(model.market.scenario.firm_names[-1])
    price = solara.use_reactive(
        float(model.market.firm(firm.value).price) if firm.value in model.market.scenario.firms else 0.0
    )
    weeks = solara.use_reactive(0)
    drop = solara.use_reactive(0.2)
    outcome = solara.use_reactive("")
    labels = {label: kind for kind, label in LIVE_EVENTS.items()}
    firms = model.entrants() if what.value == "enter" else model.market.scenario.firm_names

    def strike() -> None:
        chosen = firm.value if firm.value in firms else (firms[0] if firms else None)
        struck = model.strike_now(what.value, firm=chosen, price=price.value, weeks=weeks.value,
                                  spending_drop=drop.value)  # fmt: skip
        outcome.set(
            f"'{struck.name}' strikes in week {struck.week}"
            if struck
            else (model.notices or ["not struck"])[-1]
        )

    with solara.Card("Market event now", classes=["sim-events"]) as panel:
        solara.Select(
            label="event", value=LIVE_EVENTS[what.value], values=list(labels),
            on_value=lambda label: what.set(labels[label]),
        )  # fmt: skip
        if what.value == "enter" and not firms:
            solara.Text("No entrant left: a scenario declares one with an enter event.")
        elif what.value != "downturn":
            solara.Select(label="firm", value=firm.value if firm.value in firms else firms[0], values=firms,
                          on_value=firm.set)  # fmt: skip
        if what.value == "price":
            solara.InputFloat("new price", value=price)
        if what.value == "downturn":
            solara.SliderFloat("spending drop", value=drop, min=0.05, max=0.6, step=0.05)
        if what.value != "enter":
            solara.InputInt("weeks (0: for good)" if what.value == "price" else "weeks", value=weeks)
        solara.Button("Strike now", on_click=strike, disabled=what.value == "enter" and not firms)
        if outcome.value:
            solara.Text(outcome.value)
    return panel


def _money(value: float) -> str:
    return "-" if value != value else f"{value:,.0f}"  # NaN: nobody won yet


MAX_REACTION_ROWS = 30  # the table's most recent reactions; the charts mark every one


def responses_panel(model: DashboardModel):
    """How each rival responds (its personality, what it does, what of the file's response is
    kept) and the reactions so far, most recent first: week, (side,) firm, what it saw, what it
    did. Under the charts, which mark the same reactions. Plain HTML, not Markdown: Solara's
    Markdown fetches KaTeX from a CDN, and the page fetches nothing from outside this machine."""
    rows = model.reaction_rows()
    sides = model.comparison is not None
    with solara.Card("How the rivals respond", classes=["sim-responses"]) as panel, solara.Column(gap="6px"):
        for note in model.response_notes():
            solara.Text(note, classes=["sim-response-note"])
        if not rows:
            solara.Text(f"No reaction so far (week {model.week}).", classes=["sim-reactions-none"])
        else:
            shown = f"; the {MAX_REACTION_ROWS} latest shown" if len(rows) > MAX_REACTION_ROWS else ""
            solara.Text(
                f"Reactions so far ({len(rows)}, most recent first{shown}):", style={"font-weight": "bold"}
            )
            header = ["week", *(["side"] if sides else []), "firm", "what it saw", "what it did"]
            body = [
                [str(row["week"]), *([row["side"]] if sides else []), row["firm"], row["saw"], row["did"]]
                for row in rows[:MAX_REACTION_ROWS]
            ]
            with solara.Div(style={"max-height": "360px", "overflow-y": "auto"}):  # scrolls in its cell
                _table(header, body)
    return panel


def _table(header: list[str], body: list[list[str]]) -> solara.Element:
    """A small HTML table (Vuetify's simple table look)."""

    def row(cells: list[str], tag: str) -> solara.Element:
        return solara.v.Html(tag="tr", children=[solara.v.Html(tag=tag, children=[cell]) for cell in cells])

    return solara.v.SimpleTable(
        dense=True,
        children=[
            solara.v.Html(tag="thead", children=[row(header, "th")]),
            solara.v.Html(tag="tbody", children=[row(cells, "td") for cells in body]),
        ],
    )


@solara.component
def PersonalityGuide():
    """In the sidebar, under the controls: what each choice of "how it responds to rivals" does
    (the first line of each personality's docstring)."""
    with (
        solara.Sidebar(),
        solara.Card("How a rival can respond", classes=["sim-personalities"]),
        solara.Column(gap="4px"),
    ):
        for name, label in PERSONALITIES.items():
            solara.v.Html(
                tag="div",
                children=[solara.v.Html(tag="b", children=[label]), f": {personality_description(name)}"],
                class_="sim-personality",
            )
        solara.Text(
            "The rules of a response table in the file are kept whatever the choice; "
            "the choice takes effect on Reset.",
            style={"font-size": "0.85em"},
        )


@solara.component
def EmulatedInTheSidebar():
    """:class:`EmulatedPanel` in the sidebar, one component down like :class:`PersonalityGuide`, so
    that it comes after SolaraViz's controls, beside the sliders it answers."""
    with solara.Sidebar():
        EmulatedPanel()


@solara.component
def EmulatedUnderTheControls():
    EmulatedInTheSidebar()


@solara.component
def UnderTheControls():
    """:class:`PersonalityGuide` one component further down than SolaraViz's own sidebar, so that
    it comes after it (Solara orders what goes to the sidebar by how deep it was rendered)."""
    PersonalityGuide()


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


def whatif_from_environment(params: dict, scenario: Scenario) -> WhatIf | None:
    """The emulator ``sim dashboard --emulator`` was started with (see :data:`EMULATOR_ENV`), beside
    the page's controls; None without one."""
    from sim.emulate import load_emulator

    folder = os.environ.get(EMULATOR_ENV, "")
    return WhatIf(load_emulator(folder), params, scenario) if folder else None


def bind_controls(params: dict, whatif: WhatIf | None) -> dict[str, solara.Reactive]:
    """Give each control that sets an emulator input a reactive value (one per browser session:
    Solara keeps a module's reactive values per session), so that the emulated panel hears a slider
    move at once and not only at Reset; returns them by control key."""
    if whatif is None:
        return {}
    bound = {}
    for name in whatif.bound:
        key = whatif.control_key(name)
        bound[key] = solara.reactive(params[key]["value"])
        params[key] = {**params[key], "value": bound[key]}
    return bound


class EmulatedDashboardModel(DashboardModel):
    """:class:`DashboardModel` for a page with an emulator: a control bound by :func:`bind_controls`
    reaches Reset as its reactive value until it is first moved; its value is what counts."""

    def __init__(self, **kwargs) -> None:  # named kwargs: Mesa's parameter check expects that name
        super().__init__(**{k: v.value if isinstance(v, solara.Reactive) else v for k, v in kwargs.items()})


def _interval_row(name: str, prediction) -> list[str]:
    return [name, f"{prediction.mean:,.0f}", f"[{prediction.low:,.0f}, {prediction.high:,.0f}]"]


@solara.component
def EmulatedPanel():
    """What-if (emulated), in the sidebar under the controls: the bound controls' values (and the panel's own sliders for inputs no
    control sets) answered by the emulator: each outcome's mean and 95% interval, its
    cross-validated error, an extrapolation marked, and the real simulation on demand."""
    whatif = WHATIF
    own_specs = whatif.own_sliders()
    own = solara.use_reactive({name: WhatIf.start_value(spec) for name, spec in own_specs.items()})
    settings = {key: reactive.value for key, reactive in BOUND.items()}
    answer = whatif.answer(settings, own.value)
    confirmed = solara.use_reactive(None)  # the last Confirmation, or why it failed

    def confirm() -> None:
        # In the page's own thread: the page waits the few seconds it takes. (A background task,
        # solara.lab.use_task, left the panel's updates one event behind in this page.)
        try:
            confirmed.set(whatif.confirm(answer.point))
        except (ScenarioError, ValueError) as error:
            confirmed.set(f"the confirming run failed: {error}")

    with solara.Card("What-if (emulated)", classes=["sim-emulated"]) as panel, solara.Column(gap="4px"):
        for name, spec in own_specs.items():

            def moved(value, name=name) -> None:
                own.set({**own.value, name: value})

            if spec.kind == "category":
                solara.Select(label=name, value=own.value[name], values=list(spec.levels), on_value=moved)
            else:
                solara.SliderFloat(
                    name,
                    value=own.value[name],
                    min=spec.low,
                    max=spec.high,
                    step=WhatIf.step(spec),
                    on_value=moved,
                )
        shown = ", ".join(f"{name} = {value:,.4g}" if isinstance(value, float | int) else f"{name} = {value}"
                          for name, value in answer.point.items())  # fmt: skip
        solara.Text(f"At {shown} ({whatif.emulator.source['firm']}, {whatif.emulator.source['scenario']}):")
        _table(
            ["outcome", "emulated", "95% interval"],
            [_interval_row(n, p) for n, p in answer.predictions.items()],
        )
        for note in answer.notes:
            solara.Text(note, classes=["sim-emulated-note"])
        if answer.warning():
            solara.Warning(answer.warning(), classes=["sim-extrapolation"])
        solara.Text(
            f"Answered by the emulator in {answer.milliseconds:.1f} ms, not simulated: a quick what-if, not a result.",
            style={"font-size": "0.85em"},
        )
        solara.Button("run the real simulation to confirm", on_click=confirm, classes=["sim-confirm"])
        done = confirmed.value
        if isinstance(done, str):
            solara.Error(done)
        elif done is not None:
            if done.point != answer.point:
                solara.Text("(for the settings before the last move)", style={"font-style": "italic"})
            for line in done.lines():
                solara.Text(line, classes=["sim-confirmed"])
    return panel


SCENARIO = scenario_from_environment()
PARAMS = dashboard_params(SCENARIO)
WHATIF = whatif_from_environment(PARAMS, SCENARIO)
BOUND = bind_controls(PARAMS, WHATIF)
COMPONENTS = [headline, EventPanel, *(chart_panel(chart) for chart in CHARTS), responses_panel]
MODEL_CLASS = EmulatedDashboardModel if WHATIF else DashboardModel


@solara.component
def Page():
    """One browser session: its own model, shown by SolaraViz."""
    first = solara.use_memo(lambda: MODEL_CLASS(**initial_settings(PARAMS)), dependencies=[])
    model = solara.use_reactive(first)  # reactive: SolaraViz's Reset replaces its value, the workshop follows
    solara.Style(SLIDER_VALUES_CSS)
    SolaraViz(model, components=COMPONENTS, model_params=PARAMS, name=f"What if: {SCENARIO.name}")
    WorkshopArea(model)  # issue 23 (sim/dashboard/workshop.py): under the charts, full width
    if WHATIF is not None:
        EmulatedUnderTheControls()
    if responding_firms(SCENARIO):
        UnderTheControls()
