"""The Solara page of ``sim dashboard``: a page of our own around the Mesa model :class:`DashboardModel`.

Owns the page a browser gets: the scenario it is opened on (read from the environment that
:func:`sim.dashboard.server.serve` sets, so the page module can be imported by the Solara server);
the sidebar (play, pause, step, speed and restart; the controls grouped as the market, our firm,
the rival, behaviour and side by side, each slider with a box to type an exact value, a control
that does nothing for the chosen strategy disabled with the reason, and the changes not applied
yet listed until Apply); the headline (the week, and the settings in force with each firm's
numbers); the panel that strikes a market event now; the live charts of
:mod:`sim.dashboard.charts`, drawn in the browser by Vega-Lite and sent only the rows they have
not drawn yet; the referral network picture, redrawn every :data:`NETWORK_EVERY` weeks while
playing and at every step and pause; then how the rivals respond and the reactions so far.

The play loop is the page's own (a thread per browser session): it steps as many weeks as the
chosen speed asks for, then lets the charts take the new rows, so the speed is the model's and
not an image renderer's. Each browser session gets its own model.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import threading
import time
from collections.abc import Callable
from typing import Any

import solara
from mesa.visualization.utils import update_counter

from sim.dashboard.charts import BAR_CHARTS, LIVE_CHARTS, NetworkPainter, bar_rows, live_data, live_spec
from sim.dashboard.controls import control_disabled, pending_changes
from sim.dashboard.market import (
    GROUPS,
    LIVE_EVENTS,
    MIXED_STRATEGY,
    PERSONALITIES,
    DashboardModel,
    dashboard_params,
    firm_split,
    initial_settings,
    personality_description,
    relations_share,
    responding_firms,
    responds_as,
    running_metrics,
)
from sim.dashboard.server import EMULATOR_ENV, OVERRIDES_ENV, SCENARIO_ENV
from sim.dashboard.whatif import WhatIf
from sim.dashboard.widgets import HeadlineView, LiveChart, NetworkView
from sim.dashboard.workshop import WorkshopArea  # issue 23: replicates, comparison, downloads
from sim.scenario import Scenario, ScenarioError, load_scenario


def scenario_from_environment() -> Scenario:
    """The scenario ``sim dashboard`` was started with (see :data:`SCENARIO_ENV`)."""
    path = os.environ.get(SCENARIO_ENV, "")
    overrides = json.loads(os.environ.get(OVERRIDES_ENV) or "{}")
    if not path:
        return Scenario(run={"name": "defaults"}).with_overrides(overrides)
    return load_scenario(path, overrides=overrides).without_experiments()


def firm_settings(model: DashboardModel, name: str) -> str:
    """A firm's settings in force, in words: "balanced, 2,000 a week, 50% on relations"."""
    firm = model.scenario_in_force.firms[name]
    words = [firm.strategy, f"{firm.budget:,.0f} a week"]
    if firm.strategy == MIXED_STRATEGY:
        words.append(f"{100 * relations_share(firm_split(model.scenario_in_force, name)):.0f}% on relations")
    return ", ".join(words)


def headline_texts(model: DashboardModel, rate: str = "") -> dict[str, Any]:
    """The headline's words: the week counter, the market (and the play speed measured), and per
    firm the settings in force and its numbers so far (week 0 included: the customers each firm
    starts with)."""
    market = model.market
    recorder = market.recorder
    metrics = running_metrics(recorder)
    lines = []
    responding = responding_firms(market.scenario)
    for index, (name, firm) in enumerate(market.scenario.firms.items()):
        response = firm.response.personality if firm.response is not None else "passive"
        how = f"; {responds_as(response)}" if name in responding else ""
        won = int(metrics["acquired"][-1, index]) if market.week else 0
        lost = int(recorder.churned[1 : market.week + 1, index].sum())
        cac = metrics["cac_fully_loaded"][-1, index] if market.week else float("nan")
        ltv = metrics["ltv_net"][-1, index] if market.week else float("nan")
        spent = market.week and metrics["spend"][-1, index] > 0
        lines.append(
            f"{name} ({firm_settings(model, name)}{how}): "
            f"{recorder.customers[market.week, index]:,} customers; won {won:,}, lost {lost:,}; "
            f"CAC fully loaded {_money(cac) if spent else 'nothing spent'}, "
            f"LTV net of retention cost {_money(ltv)}"
        )
    return {
        "week": f"Week {market.week} of {market.scenario.run.weeks}",
        "market": f"{market.scenario.name}: {market.customers.size:,} people, seed {model.seed}. {rate}",
        "lines": lines,
    }


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
    with solara.Card("How a rival can respond", classes=["sim-personalities"]), solara.Column(gap="4px"):
        for name, label in PERSONALITIES.items():
            solara.v.Html(
                tag="div",
                children=[solara.v.Html(tag="b", children=[label]), f": {personality_description(name)}"],
                class_="sim-personality",
            )
        solara.Text(
            "The rules of a response table in the file are kept whatever the choice; "
            "the choice takes effect on Apply.",
            style={"font-size": "0.85em"},
        )


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
MODEL_CLASS = EmulatedDashboardModel if WHATIF else DashboardModel

NETWORK_EVERY = 13  # weeks between redraws of the network picture while playing (a quarter)
FRAME_SECONDS = 0.05  # "as fast as it goes": step this long, then let the page draw
SPEEDS = {"5": 5, "10": 10, "20": 20, "40": 40, "as fast as it goes": 0}  # weeks a second; 0: no limit
DEFAULT_SPEED = "20"


# --------------------------------------------------------------------------- one browser session


class Session:
    """A browser session's model and what the page knows of it: the settings in force (applied),
    the model's token (a new one per model: the charts draw a new spec), the week each chart
    shows, the network picture, and the play loop's measured speed."""

    def __init__(self, params: dict[str, Any]) -> None:
        self.params = params
        start = initial_settings(params)
        # An emulator binds some controls to reactive values (bind_controls): their start values.
        self.applied = {k: v.value if isinstance(v, solara.Reactive) else v for k, v in start.items()}
        self.lock = threading.RLock()
        self.token = 0
        self.model = self._build(self.applied)
        self.shown: dict[str, int] = {}
        self.widgets: dict[str, Any] = {}  # the drawn widgets the play loop sets: charts, headline, network
        self.empty: dict[str, bool] = {}  # bar charts drawn as "none yet"
        self.spec_week: dict[str, int] = {}  # the week each chart's spec holds
        self.network_view: Any = None  # the page's network picture widget (NetworkPicture)
        self.painter = NetworkPainter()
        self.network_png = b""
        self.network_week = -1
        self.rate = ""  # "played 40 weeks at 23.5 weeks a second"
        self.draw_network()

    def _build(self, settings: dict[str, Any]) -> DashboardModel:
        model = MODEL_CLASS(**settings)
        model.settings = {k: v for k, v in settings.items() if k != "market_scenario"}
        return model

    def apply(self, settings: dict[str, Any]) -> None:
        """A new model from ``settings`` (the controls' values), at week 0."""
        with self.lock:
            self.model = self._build(settings)
            self.applied = dict(settings)
            self.token += 1
            self.shown = {}
            self.widgets = {}
            self.spec_week = {}
            self.rate = ""
            self.draw_network()

    def step(self, weeks: int = 1) -> int:
        """Step up to ``weeks`` weeks (fewer at the end of the run); returns the weeks stepped."""
        done = 0
        with self.lock:
            model = self.model
            while done < weeks and model.week < model.market.scenario.run.weeks and model.market.running:
                model.step()
                done += 1
        return done

    @property
    def finished(self) -> bool:
        model = self.model
        return model.week >= model.market.scenario.run.weeks or not model.market.running

    def draw_network(self) -> None:
        """The network picture of the week run, as PNG (redrawn only when the week changed)."""
        model = self.model
        if self.network_week == model.week and self.network_png:
            return
        self.network_png, self.network_week = self.painter.png(model), model.week

    def since(self, kind: str) -> int:
        """The last week chart ``kind`` shows of the current model (its spec's week at first)."""
        return self.shown.get(kind, self.spec_week.get(kind, -1))

    def update(self, kind: str) -> dict[str, Any]:
        """What chart ``kind`` lacks: the rows after the week the browser shows, the small tables."""
        model = self.model
        appended, replaced = live_data(kind, model, self.since(kind))
        return {"token": self.token, "week": model.week, "append": appended, "replace": replaced}

    def push(self, network: bool = False) -> bool:
        """Set the week run on the drawn widgets, without redrawing the page: each chart's new rows,
        the headline's words and (``network``) a new network picture. Returns True when the page
        must be redrawn instead (a bar chart gets its first bar)."""
        widgets = dict(self.widgets)
        for kind in LIVE_CHARTS:
            if kind in widgets:
                widgets[kind].update = self.update(kind)
        if "headline" in widgets:
            for name, value in headline_texts(self.model, self.rate).items():
                setattr(widgets["headline"], name, value)
        if network and "network" in widgets:
            self.draw_network()
            for name, value in network_traits(self).items():
                setattr(widgets["network"], name, value)
        return any(self.empty.get(kind) and bar_rows(self.model, kind) for kind in BAR_CHARTS)

    def acknowledge(self, kind: str, shown: dict) -> None:
        if shown.get("token") == self.token:
            self.shown[kind] = max(self.shown.get(kind, -1), int(shown.get("week", -1)))


# --------------------------------------------------------------------------- the controls


def _slug(key: str) -> str:
    return key.replace(".", "-").replace("_", "-")


@solara.component
def Control(key: str, spec: dict[str, Any], draft: solara.Reactive, params: dict[str, Any]):
    """One control: its label, its input (a slider with a box to type an exact value, a list or a
    text box), disabled with the reason when it does nothing for the settings chosen."""
    value = draft.value[key]
    reason = control_disabled(params, draft.value, key)

    def set_value(new: Any) -> None:
        if new is None:
            return
        draft.set({**draft.value, key: new})
        if key in BOUND:
            BOUND[key].set(new)  # the emulated what-if hears a move at once

    classes = [f"sim-control-{_slug(key)}"]
    with solara.Column(gap="0px", classes=["sim-control", *classes]) as control:
        kind = spec["type"]
        if kind in ("SliderInt", "SliderFloat"):
            number = int if kind == "SliderInt" else float
            solara.Text(spec["label"], classes=["sim-control-label"], style={"font-size": "0.9em"})
            with solara.Row(gap="8px", style={"align-items": "center"}):
                with solara.Div(style={"flex": "1 1 auto"}):
                    slider = solara.SliderInt if kind == "SliderInt" else solara.SliderFloat
                    slider(
                        "",
                        value=min(max(number(value), spec["min"]), spec["max"]),
                        min=spec["min"],
                        max=spec["max"],
                        step=spec["step"],
                        on_value=set_value,
                        thumb_label=False,
                        disabled=reason is not None,
                    )
                typed = solara.InputInt if kind == "SliderInt" else solara.InputFloat
                with solara.Div(style={"width": "96px", "flex": "0 0 auto"}):
                    typed(
                        "exact value",
                        value=number(value),
                        on_value=set_value,
                        disabled=reason is not None,
                        dense=True,
                        classes=["sim-exact"],
                    )
        elif kind == "Select":
            solara.Select(spec["label"], values=spec["values"], value=value, on_value=set_value,
                          disabled=reason is not None, dense=True)  # fmt: skip
        else:
            solara.InputText(spec["label"], value=str(value), on_value=set_value, disabled=reason is not None)
        if reason:
            solara.Text(f"Not used: {reason}.", classes=["sim-disabled-reason"],
                        style={"font-size": "0.8em", "margin-bottom": "10px", "color": "#555"})  # fmt: skip
    return control


@solara.component
def Controls(draft: solara.Reactive, params: dict[str, Any]):
    """The controls in groups: the market, our firm, the rival(s), behaviour, side by side."""
    groups: dict[str, list[str]] = {}
    for key, spec in params.items():
        if isinstance(spec, dict) and "type" in spec:
            groups.setdefault(spec["group"], []).append(key)
    order = sorted(groups, key=lambda group: next(i for i, g in enumerate(GROUPS) if group.startswith(g[:5])))
    with solara.Column(gap="6px") as column:
        for group in order:
            with solara.Card(group, classes=["sim-group"], style={"padding": "4px 8px"}):
                for key in groups[group]:
                    Control(key, params[key], draft, params)
    return column


@solara.component
def PendingChanges(
    session: Session, draft: solara.Reactive, slow: solara.Reactive, on_apply: Callable[[], None]
):
    """The controls moved since the settings in force, until Apply (or Discard) is pressed."""
    slow.value  # noqa: B018 - read: Apply changes the settings in force
    lines = pending_changes(session.params, session.applied, draft.value)
    with solara.Card(classes=["sim-pending"], style={"padding": "4px 8px"}) as card:
        if lines:
            solara.v.Html(tag="div", children=["Not applied yet (press Apply; the run restarts at week 0):"],
                          style_="font-weight: bold")  # fmt: skip
            for line in lines:  # a line each
                solara.v.Html(tag="div", children=[line], class_="sim-pending-line")
        else:
            solara.Text("The settings in force are the ones shown.", classes=["sim-pending-none"])
        with solara.Row():
            solara.Button(
                "Apply", on_click=on_apply, color="primary", disabled=not lines, classes=["sim-apply"]
            )
            solara.Button("Discard", on_click=lambda: draft.set(dict(session.applied)), disabled=not lines,
                          text=True)  # fmt: skip
    return card


# --------------------------------------------------------------------------- the live parts


def network_traits(session: Session) -> dict[str, Any]:
    return {
        "src": "data:image/png;base64," + base64.b64encode(session.network_png).decode(),
        "caption": f"Redrawn every {NETWORK_EVERY} weeks while playing and at each step or pause "
        f"(shows week {session.network_week}).",
        "week": session.network_week,
    }


def _register(session: Session, name: str, element) -> Callable[[], None]:
    """An effect that records the widget drawn for ``element``, so the play loop can set it."""

    def effect() -> None:
        # KeyError: an element of a render already replaced; the latest render's effect follows.
        with contextlib.suppress(KeyError):
            session.widgets[name] = solara.get_widget(element)

    return effect


@solara.component
def Headline(session: Session, slow: solara.Reactive):
    """The headline: its words set at each frame by :meth:`Session.push`, notices at each redraw."""
    slow.value  # noqa: B018
    with solara.Column(gap="4px") as column:
        view = HeadlineView.element(**headline_texts(session.model, session.rate))
        for notice in session.model.notices:
            solara.Warning(notice)
    solara.use_effect(_register(session, "headline", view), None)  # after every render: the widget drawn now
    return column


@solara.component
def Chart(kind: str, session: Session, slow: solara.Reactive):
    """Live chart ``kind``: its spec once per model, then the rows it lacks at each frame
    (:meth:`Session.push` sets them on the widget, no redraw of the page). A bar chart with nothing
    to show yet says so instead of drawing empty axes."""
    slow.value  # noqa: B018 - read: a new model or a bar chart's first bar redraws the card
    model, token = session.model, session.token
    spec = solara.use_memo(lambda: live_spec(kind, model, token), dependencies=[token])
    session.spec_week[kind] = spec["usermeta"]["week"]
    empty = kind in BAR_CHARTS and not bar_rows(model, kind)
    session.empty[kind] = empty
    with solara.Card(classes=[f"sim-chart sim-chart-{kind}"], style={"min-height": "150px"}) as card:
        if empty:
            solara.v.Html(
                tag="div", children=[LIVE_CHARTS[kind]], style_="font-weight: bold; font-size: 14px"
            )
            solara.Text(
                f"None yet: nobody {'won' if kind == 'acquisitions' else 'lost'} in week {model.week}."
                if model.week
                else "None yet: no week run.",
                classes=["sim-none-yet"],
            )
        with solara.Div(style={"display": "none"} if empty else {}):
            chart = LiveChart.element(
                spec=spec,
                update=session.update(kind),
                on_shown=lambda shown: session.acknowledge(kind, shown),
            )
    solara.use_effect(_register(session, kind, chart), None)  # after every render: the widget drawn now
    return card


@solara.component
def NetworkPicture(session: Session, slow: solara.Reactive):
    """The network picture: one widget per session (:attr:`Session.network_view`), set directly."""
    slow.value  # noqa: B018
    if session.network_view is None:
        session.network_view = NetworkView(**network_traits(session))
    else:
        for name, value in network_traits(session).items():
            setattr(session.network_view, name, value)
    session.widgets["network"] = session.network_view
    with solara.Card(classes=["sim-network"], style={"text-align": "center"}) as card:
        solara.v.Html(tag="div", children=[session.network_view])
    return card


@solara.component
def Panels(session: Session, slow: solara.Reactive):
    """The panels under the charts (:data:`COMPONENTS`), redrawn at each step, pause and Apply."""
    slow.value  # noqa: B018
    with solara.Column() as column:
        for panel in COMPONENTS:
            with solara.Card():
                panel(session.model)
    return column


@solara.component
def RunControls(session: Session, playing: solara.Reactive, speed: solara.Reactive, restart: Callable):
    """Play or pause, step a week, the speed, restart at week 0."""
    finished = session.finished
    with solara.Card(style={"padding": "4px 8px"}) as card:
        with solara.Row(gap="6px", style={"flex-wrap": "wrap"}):
            solara.Button("Pause" if playing.value else "Play", on_click=lambda: playing.set(not playing.value),
                          color="primary", disabled=finished and not playing.value, classes=["sim-play"])  # fmt: skip
            solara.Button("Step a week", on_click=lambda: restart("step"), disabled=playing.value or finished,
                          classes=["sim-step"])  # fmt: skip
            solara.Button("Restart at week 0", on_click=lambda: restart("restart"), classes=["sim-restart"])
        with solara.Div(style={"margin-top": "14px"}):  # clear of the buttons above
            solara.Select("speed (weeks a second)", values=list(SPEEDS), value=speed.value,
                          on_value=speed.set, dense=True, classes=["sim-speed"])  # fmt: skip
    return card


# The panels under the charts: each is called with the session's DashboardModel (a function that
# returns an element, or a component) and refreshed at each step, pause and every NETWORK_EVERY
# weeks while playing. Other panels join by adding themselves here.
COMPONENTS: list[Callable[[DashboardModel], Any]] = [EventPanel, responses_panel]

PAGE_CSS = """
.sim-control .v-input__slider { margin-top: 0; }
.sim-control .v-messages { min-height: 0; }
.sim-chart { overflow-x: auto; }
"""


@solara.component
def Page():
    """One browser session: its own model, its controls, its play loop."""
    session = solara.use_memo(lambda: Session(PARAMS), dependencies=[])
    # Reactive values the page itself does not read (solara.use_reactive would redraw the whole
    # page at each change): only the parts that read them are redrawn, so a frame stays cheap.
    draft = solara.use_memo(lambda: solara.reactive(dict(session.applied)), dependencies=[])
    # A redraw of the live parts (a step, a pause, Apply); frames while playing set the widgets.
    slow = solara.use_memo(lambda: solara.reactive(0), dependencies=[])
    # The model on screen, for the workshop panels (sim/dashboard/workshop.py): a new one at Apply
    # or Restart; they follow the week through Mesa's update counter, moved at each step, pause
    # and Apply (not at each frame of play: they recompute tables).
    shown = solara.use_memo(lambda: solara.reactive(session.model), dependencies=[])
    playing = solara.use_reactive(False)
    speed = solara.use_reactive(DEFAULT_SPEED)

    def redraw() -> None:
        session.draw_network()
        slow.set(slow.value + 1)
        if shown.value is not session.model:
            shown.set(session.model)
        update_counter.set(update_counter.value + 1)

    def act(what: str) -> None:
        if what == "step":
            session.step(1)
        else:
            playing.set(False)
            session.apply(session.applied if what == "restart" else draft.value)
        redraw()

    def play(cancel: threading.Event) -> None:
        """Step at the chosen speed until paused or the run ends; each frame draws the new weeks."""
        if not playing.value:
            return
        rate = SPEEDS[speed.value]
        started, played = time.perf_counter(), 0
        drawn_at = session.model.week
        while not cancel.is_set() and not session.finished:
            elapsed = time.perf_counter() - started
            if rate:
                due = int(elapsed * rate) - played
                if due <= 0:
                    cancel.wait((played + 1) / rate - elapsed)
                    continue
                played += session.step(min(due, max(1, rate // 4)))  # behind: catch up a little a frame
            else:
                frame_end = time.perf_counter() + FRAME_SECONDS
                while time.perf_counter() < frame_end and session.step(1):
                    played += 1
            seconds = time.perf_counter() - started
            session.rate = (
                f"Playing: {played} weeks in {seconds:.1f} s ({played / max(seconds, 1e-9):.1f} a second)."
            )
            network = session.model.week - drawn_at >= NETWORK_EVERY
            if network:
                drawn_at = session.model.week
            if session.push(network=network):
                slow.set(slow.value + 1)  # a bar chart's first bar: its card changes
        seconds = time.perf_counter() - started
        if played:
            session.rate = (
                f"Played {played} weeks in {seconds:.1f} s ({played / max(seconds, 1e-9):.1f} a second)."
            )
        if not cancel.is_set():
            playing.set(False)
        redraw()

    solara.use_thread(play, dependencies=[playing.value, speed.value], intrusive_cancel=False)

    def apply() -> None:
        act("apply")

    solara.Title(f"What if: {SCENARIO.name}")
    solara.Style(PAGE_CSS)
    with solara.Sidebar(), solara.Column(gap="8px"):
        RunControls(session, playing, speed, act)
        PendingChanges(session, draft, slow, apply)
        Controls(draft, session.params)
        if WHATIF is not None:
            EmulatedPanel()
        if responding_firms(SCENARIO):
            PersonalityGuide()
    with solara.Column(gap="8px", style={"padding": "8px"}):
        with solara.Card(classes=["sim-headline-card"]):
            Headline(session, slow)
        with solara.ColumnsResponsive(default=[12, 12], large=[6, 6]):
            for kind in ("customers", "economics", "acquisitions", "churn"):
                Chart(kind, session, slow)
        Chart("side_by_side", session, slow)
        NetworkPicture(session, slow)
        Panels(session, slow)
    WorkshopArea(shown)  # issue 23 (sim/dashboard/workshop.py): under the charts, full width
