"""The workshop panels of ``sim dashboard``: replicates with bands, the paired comparison, the downloads.

Owns the Solara components of the page's panel **Replicates and paired comparison** and of its
panel **Take it away**, with their Altair charts (drawn in the browser by Vega-Lite): a
"replicates" control runs the settings in force on N seeds in the background
(:func:`sim.dashboard.replicates.run_replicates`: the executor, both arms on the same seeds),
shows its progress and can be cancelled (Reset cancels it too); then the median with 50% and 90%
bands of customers per firm and of a chosen outcome per arm, the per-seed difference with its
95% interval and the verdict in words; per arm the unit economics, acquisitions by channel and
churn by reason with the paired difference (:mod:`sim.dashboard.comparison`). The compared arm is
the side-by-side control's firm and strategy, or a saved plan (a ``sim optimise`` best.toml, by
path or uploaded). The downloads (:mod:`sim.dashboard.downloads`) are built when clicked. The
data behind every panel lives in those modules; this one only lays them out. It reads the
:class:`~sim.dashboard.market.DashboardModel` through its public attributes only.
"""

from __future__ import annotations

import threading
from typing import Any

import altair as alt
import pandas as pd
import solara
import solara.lab

from sim.dashboard.comparison import (
    ComparisonTables,
    PlanError,
    arm_labels,
    compared_arm,
    comparison_tables,
    format_interval,
    format_value,
    plan_overrides,
    uploaded_plan,
)
from sim.dashboard.downloads import (
    IMAGE_FORMATS,
    bands_csv,
    chart_image,
    scenario_toml,
    summary_csv,
    timeseries_csv,
)
from sim.dashboard.market import NO_COMPARISON, DashboardModel
from sim.dashboard.replicates import (
    DEFAULT_SEEDS,
    MAX_SEEDS,
    MIN_SEEDS,
    OUTCOMES,
    VERDICT_METRICS,
    ReplicatesCancelled,
    ReplicateSet,
    run_replicates,
)
from sim.plots.layout import firm_colours
from sim.scenario import ScenarioError
from sim.simulation import collect

WIDTH, HEIGHT = 340, 200  # a chart's plot area in pixels: two side by side in a panel
ARM_COLOURS = ("#4c72b0", "#dd8452")  # the market as set, the compared arm


# --------------------------------------------------------------------------- charts


def _legend() -> alt.Legend:
    return alt.Legend(orient="bottom", title=None)  # under the plot, never over the lines


def band_chart(bands: pd.DataFrame, colour: str, domain: list[str], colours: list[str], title: str,
               facet: bool) -> alt.TopLevelMixin:  # fmt: skip
    """Median lines with their 50% and 90% bands (:meth:`ReplicateSet.bands`), coloured by
    ``colour`` ("firm" or "arm"), one panel per arm when ``facet``."""
    scale = alt.Scale(domain=domain, range=colours)
    base = alt.Chart().encode(x=alt.X("week:Q", title="week"))
    colour_encoding = alt.Color(f"{colour}:N", scale=scale, legend=_legend())
    layers = alt.layer(
        base.mark_area(opacity=0.15).encode(y=alt.Y("low90:Q", title=None), y2="high90:Q", color=colour_encoding),
        base.mark_area(opacity=0.3).encode(y="low50:Q", y2="high50:Q", color=colour_encoding),
        base.mark_line().encode(y=alt.Y("median:Q", title=None), color=colour_encoding,
                                tooltip=["arm", "firm", "week", alt.Tooltip("median:Q", format=",.0f")]),
        data=bands,
    ).properties(width=WIDTH, height=HEIGHT)  # fmt: skip
    if facet:
        return layers.facet(column=alt.Column("arm:N", title=None)).properties(title=title)
    return layers.properties(title=title)


def difference_chart(difference: pd.DataFrame, title: str) -> alt.TopLevelMixin:
    """The per-seed difference's mean with its 95% interval, week by week, and the zero line."""
    base = alt.Chart(difference).encode(x=alt.X("week:Q", title="week"))
    zero = (
        alt.Chart(pd.DataFrame({"zero": [0.0]})).mark_rule(color="#555", strokeDash=[4, 3]).encode(y="zero:Q")
    )
    return alt.layer(
        base.mark_area(opacity=0.25, color="#8172b3").encode(y=alt.Y("low:Q", title=None), y2="high:Q"),
        base.mark_line(color="#8172b3").encode(y="mean:Q",
                                               tooltip=["week", alt.Tooltip("mean:Q", format=",.0f")]),
        zero,
    ).properties(width=WIDTH, height=HEIGHT, title=title)  # fmt: skip


def replicate_charts(reps: ReplicateSet, outcome: str) -> dict[str, alt.TopLevelMixin]:
    """The panel's charts by file stem: customers per firm, the chosen outcome per arm for the
    compared firm, and (paired) its per-seed difference."""
    firms = reps.firms
    seeds = len(reps.seeds)
    charts: dict[str, alt.TopLevelMixin] = {
        "customers_bands": band_chart(
            reps.bands("customers"), "firm", firms, list(firm_colours(firms).values()),
            f"Customers by firm: median, 50% and 90% bands over {seeds} seeds", facet=reps.paired,
        )
    }  # fmt: skip
    arms = [label for label in reps.labels if label]
    chosen = reps.bands(outcome)
    chosen = chosen[chosen["firm"] == reps.firm]
    charts["outcome_bands"] = band_chart(
        chosen, "arm", arms, list(ARM_COLOURS[: len(arms)]),
        f"{reps.firm}: {outcome}, median, 50% and 90% bands over {seeds} seeds", facet=False,
    )  # fmt: skip
    if reps.paired:
        charts["difference"] = difference_chart(
            reps.difference(outcome),
            f"{reps.firm}: {outcome}, {reps.labels[1]} - {reps.labels[0]}, mean of {seeds} paired seeds, 95% CI",
        )
    return charts


def replicate_view(reps: ReplicateSet, outcome: str) -> dict[str, Any]:
    """What the panel shows of the replicates: the charts (Altair), each drawn as SVG on the server
    by vl-convert (the same drawing as the SVG download; nothing for the browser to fetch), the
    verdicts in words and, paired, the arms' tables."""
    charts = replicate_charts(reps, outcome)
    view: dict[str, Any] = {
        "charts": charts,
        "svgs": {name: chart_image(chart, "svg").decode("utf-8") for name, chart in charts.items()},
        "verdicts": [],
        "tables": None,
    }
    if reps.paired:
        metrics = list(dict.fromkeys([*VERDICT_METRICS, OUTCOMES[outcome].metric]))
        view["verdicts"] = [reps.verdict(metric).words for metric in metrics]
        view["tables"] = comparison_tables(
            [r.summary["firms"][reps.firm] for r in reps.base],
            [r.summary["firms"][reps.firm] for r in reps.arm],
            reps.labels,  # type: ignore[arg-type]
        )
    return view


# --------------------------------------------------------------------------- tables


def _table(header: list[str], body: list[list[str]], classes: str) -> solara.Element:
    def row(cells: list[str], tag: str) -> solara.Element:
        return solara.v.Html(tag="tr", children=[solara.v.Html(tag=tag, children=[cell]) for cell in cells])

    return solara.v.SimpleTable(
        dense=True,
        class_=classes,
        children=[
            solara.v.Html(tag="thead", children=[row(header, "th")]),
            solara.v.Html(tag="tbody", children=[row(cells, "td") for cells in body]),
        ],
    )


def comparison_view(tables: ComparisonTables, caption: str) -> None:
    """The arms side by side: unit economics (with each metric's basis), acquisitions by channel,
    churn by reason; each arm's mean [95% CI] and the difference of the compared arm."""
    first, second = tables.labels
    header = ["", first, second, f"difference ({second} - {first})"]

    def body(frame: pd.DataFrame, basis: bool) -> list[list[str]]:
        rows = []
        for _, row in frame.iterrows():
            kind = row["kind"]
            name = f"{row['label']} ({row['basis']})" if basis else row["label"]
            rows.append([
                name,
                format_value(row[first], kind) + format_interval(row[f"{first} ci95"], kind),
                format_value(row[second], kind) + format_interval(row[f"{second} ci95"], kind),
                format_value(row["difference"], kind) + format_interval(row["difference ci95"], kind),
            ])  # fmt: skip
        return rows

    solara.Text(
        caption + ' ("-": not defined, e.g. nothing spent, or payback not reached within the weeks '
        "run in some seed)",
        classes=["sim-comparison-caption"],
    )
    _table(["unit economics", *header[1:]], body(tables.economics, True), "sim-economics")
    with solara.Columns([1, 1]):
        _table(["customers won by channel", *header[1:]], body(tables.channels, False), "sim-channels")
        _table(["customers lost by reason", *header[1:]], body(tables.reasons, False), "sim-reasons")


# --------------------------------------------------------------------------- the panels


def _chart_downloads(charts: dict[str, alt.TopLevelMixin], stem: str) -> None:
    with solara.Row(gap="4px", style={"flex-wrap": "wrap"}):
        for name, chart in charts.items():
            for kind, mime in IMAGE_FORMATS.items():
                solara.FileDownload(
                    lambda chart=chart, kind=kind: chart_image(chart, kind),
                    filename=f"{stem}_{name}.{kind}",
                    label=f"{name.replace('_', ' ')} ({kind.upper()})",
                    mime_type=mime,
                )


@solara.component
def WorkshopPanel(model: DashboardModel, week: int = 0):
    """Replicates and paired comparison: the seeds control, progress and cancel, the bands, the
    difference with its verdict, and per arm the unit economics, channels and churn reasons."""
    seeds = solara.use_reactive(DEFAULT_SEEDS)
    outcome = solara.use_reactive("profit so far")
    plan_path = solara.use_reactive("")
    plan_upload = solara.use_reactive(None)  # (file name, bytes) of an uploaded best.toml
    finished = solara.use_reactive(None)  # the last ReplicateSet of this model
    progress = solara.use_reactive((0, 0))
    message = solara.use_reactive("")
    snapshot = solara.use_reactive(None)  # (week, ComparisonTables) of the live markets, on demand
    cancel_ref = solara.use_ref(threading.Event())

    def on_new_model():
        finished.set(None)
        snapshot.set(None)
        progress.set((0, 0))
        message.set("")

        def cancel_on_reset() -> None:
            cancel_ref.current.set()  # a running replicate of the old settings stops

        return cancel_on_reset

    solara.use_effect(on_new_model, [model])
    firm = model.compare_firm

    def arm() -> tuple[tuple[str, str | None], Any]:
        """The labels and scenario of the compared arm (None: none chosen)."""
        base = model.scenario_in_force
        if plan_upload.value is not None:
            name, data = plan_upload.value
            label, scenario = compared_arm(
                base, firm, plan=uploaded_plan(firm, name, data), plan_name=f"plan {name}"
            )
        elif plan_path.value.strip():
            path = plan_path.value.strip()
            name = path.replace("\\", "/").rsplit("/", 1)[-1]
            label, scenario = compared_arm(
                base, firm, plan=plan_overrides(firm, path), plan_name=f"plan {name}"
            )
        elif model.compare_strategy != NO_COMPARISON:
            label, scenario = compared_arm(base, firm, strategy=model.compare_strategy)
        else:
            return (base.firms[firm].strategy, None), None
        return arm_labels(base, firm, label), scenario

    def work(count: int) -> ReplicateSet | None:
        cancel = threading.Event()
        cancel_ref.current = cancel
        try:
            labels, scenario = arm()
        except (PlanError, ScenarioError, ValueError) as error:
            message.set(f"side by side: {error}")
            return None
        runs = list(range(model.seed, model.seed + count))
        progress.set((0, count * (2 if scenario is not None else 1)))
        message.set(f"running {count} seeds ({runs[0]}-{runs[-1]})" + (" for both arms" if scenario else ""))
        try:
            done = run_replicates(
                model.scenario_in_force, scenario, runs, firm, labels, cancel=cancel,
                progress=lambda n, total: progress.set((n, total)),
            )  # fmt: skip
        except ReplicatesCancelled as stopped:
            message.set(f"replicates {stopped}")
            return None
        finished.set(done)
        message.set("")
        return done

    task = solara.lab.use_task(work, dependencies=None)

    def compare_now() -> None:
        try:
            labels, scenario = arm()
        except (PlanError, ScenarioError, ValueError) as error:
            message.set(f"side by side: {error}")
            return
        if scenario is None:
            message.set("side by side: choose the firm's other strategy (or a saved plan) first")
            return
        if model.comparison is not None and plan_path.value.strip() == "" and plan_upload.value is None:
            other = model.comparison
        else:  # a plan: its arm runs here to the week shown, on the page's seed
            from sim.model import CustomerMarket

            other = CustomerMarket(scenario, seed=model.seed)
            for _ in range(model.week):
                other.step()
        tables = comparison_tables(
            [collect(model.market).summary["firms"][firm]], [collect(other).summary["firms"][firm]], labels
        )
        snapshot.set((model.week, tables))

    running = task.pending
    reps: ReplicateSet | None = finished.value
    # Built once per result and outcome, not at every week the page plays.
    view = solara.use_memo(lambda: replicate_view(reps, outcome.value) if reps is not None else None,
                           dependencies=[reps, outcome.value])  # fmt: skip
    with (
        solara.Card("Replicates and paired comparison", classes=["sim-workshop"]) as panel,
        solara.Column(gap="6px"),
    ):
        with solara.Row(gap="12px", style={"align-items": "center", "flex-wrap": "wrap"}):
            solara.SliderInt("replicates (seeds)", value=seeds, min=MIN_SEEDS, max=MAX_SEEDS, step=1)
            solara.InputInt("seeds, typed", value=seeds, classes=["sim-seeds"])
            solara.Button(f"Run {seeds.value} seeds", on_click=lambda: task(int(seeds.value)),
                          disabled=running, classes=["sim-run-replicates"])  # fmt: skip
            solara.Button("Cancel", on_click=lambda: cancel_ref.current.set(), disabled=not running,
                          classes=["sim-cancel-replicates"])  # fmt: skip
            solara.Select("outcome over weeks", value=outcome, values=list(OUTCOMES))
        with solara.Row(gap="12px", style={"align-items": "center", "flex-wrap": "wrap"}):
            solara.InputText("compare with a saved plan: path of a sim optimise best.toml", value=plan_path,
                             # Kept as typed: a re-render (replicates finishing) must not wipe it.
                             continuous_update=True, classes=["sim-plan-path"])  # fmt: skip
            solara.FileDrop(
                label="... or drop a best.toml here",
                on_file=lambda file: plan_upload.set((file["name"], file["data"])),
                lazy=False,
            )
            if plan_upload.value is not None or plan_path.value:
                solara.Button("no plan", on_click=lambda: (plan_upload.set(None), plan_path.set("")))
        compared = (
            f"plan {plan_upload.value[0]}" if plan_upload.value is not None
            else f"plan {plan_path.value}" if plan_path.value.strip()
            else model.compare_strategy if model.compare_strategy != NO_COMPARISON else None
        )  # fmt: skip
        solara.Text(
            f"Firm compared: {firm}, as set against {compared} (both arms on the same seeds)."
            if compared
            else f"No compared arm: the bands show the market as set. Choose {firm}'s other strategy "
            "under 'side by side' (then Reset) or a saved plan for a paired comparison.",
            classes=["sim-workshop-arm"],
        )
        # What comes and goes (progress, message, results) sits in containers that are always
        # there: the page matches widgets by position, so a button after a part that vanished
        # would be a new widget, and a click on the old one (replicates finishing) would be lost.
        done, total = progress.value
        with solara.Column(gap="6px"):
            if running:
                solara.ProgressLinear(value=100 * done / total if total else True)
                solara.Text(f"{done} of {total} runs finished", classes=["sim-progress"])
            if message.value:
                solara.Text(message.value, classes=["sim-workshop-message"])
        with solara.Column(gap="6px"):
            _replicates_view(reps, view, firm, model, outcome.value)
        solara.Button(f"Compare the markets on screen at week {model.week} (one seed)", on_click=compare_now,
                      classes=["sim-compare-now"])  # fmt: skip
        with solara.Column(gap="6px"):
            if snapshot.value is not None:
                week, tables = snapshot.value
                comparison_view(tables, f"{firm} at week {week}, seed {model.seed} (one seed: no interval):")
    return panel


def _replicates_view(reps: ReplicateSet | None, view: dict | None, firm: str, model: DashboardModel,
                     outcome: str) -> None:  # fmt: skip
    """The replicates' bands, verdicts, the arms' tables and the downloads (nothing before a run)."""
    if view is None or reps is None:
        return
    with solara.Row(gap="24px", style={"flex-wrap": "wrap"}):
        for svg in view["svgs"].values():
            solara.HTML(tag="div", unsafe_innerHTML=svg, classes=["sim-chart"])
    if reps.paired:
        solara.Text("Paired comparison (sim compare's statistics):", style={"font-weight": "bold"})
        for words in view["verdicts"]:
            solara.Text(words, classes=["sim-verdict"])
        comparison_view(view["tables"], f"{firm}, mean [95% CI] over {len(reps.seeds)} paired seeds, "
                                        f"{reps.scenario.run.weeks} weeks:")  # fmt: skip
    stem = f"{model.scenario_in_force.name}_{len(reps.seeds)}seeds"
    with solara.Row(gap="4px", style={"flex-wrap": "wrap"}):
        solara.FileDownload(lambda: bands_csv(reps, outcome), filename=f"{stem}_bands.csv",
                            label="bands (CSV)", mime_type="text/csv")  # fmt: skip
    _chart_downloads(view["charts"], stem)


@solara.component
def TakeAwayPanel(model: DashboardModel, week: int = 0):
    """Take it away: the weekly table and the summary as CSV, and the settings in force as a
    scenario file that ``sim run`` reproduces; built when clicked."""
    stem = f"{model.scenario_in_force.name}_seed{model.seed}"
    with solara.Card("Take it away", classes=["sim-takeaway"]) as panel, solara.Column(gap="6px"):
        solara.Text(f"What the page shows at week {model.week}, and the settings that reproduce it:")
        with solara.Row(gap="4px", style={"flex-wrap": "wrap"}):
            solara.FileDownload(lambda: timeseries_csv(model), filename=f"{stem}_timeseries.csv",
                                label="weekly table (CSV)", mime_type="text/csv")  # fmt: skip
            solara.FileDownload(lambda: summary_csv(model), filename=f"{stem}_summary.csv",
                                label="summary (CSV)", mime_type="text/csv")  # fmt: skip
            solara.FileDownload(lambda: scenario_toml(model), filename=f"{stem}.toml",
                                label="settings as a scenario (TOML)", mime_type="application/toml")  # fmt: skip
            if model.comparison is not None:
                solara.FileDownload(lambda: scenario_toml(model, "switched"), filename=f"{stem}_switched.toml",
                                    label="side-by-side arm as a scenario (TOML)",
                                    mime_type="application/toml")  # fmt: skip
        solara.Text("`sim run` on the scenario file gives the same weekly table; each chart of the replicates "
                    "panel downloads as PNG or SVG under it.", style={"font-size": "0.85em"})  # fmt: skip
    return panel


@solara.component
def WorkshopArea(model: solara.Reactive[DashboardModel]):
    """Both panels, full width under the page's charts: what ``app.py`` mounts. ``model`` is the
    page's reactive model (SolaraViz's Reset replaces its value); the panels follow each week the
    page runs (Mesa's update counter)."""
    from mesa.visualization.utils import update_counter

    update_counter.get()  # redraw with the page, week by week
    with solara.Column(gap="12px", style={"padding": "0 12px 12px 12px"}):
        # The week as a property of its own: a component is drawn again only when its arguments change.
        WorkshopPanel(model.value, week=model.value.week)
        TakeAwayPanel(model.value, week=model.value.week)
