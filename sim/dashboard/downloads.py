"""What a strategist takes away from ``sim dashboard``: the numbers as CSV, the charts as PNG or SVG,
the settings as a scenario file.

Owns the bytes of the page's downloads, without Solara (the buttons are in
:mod:`sim.dashboard.workshop`): the weekly table of the markets shown up to the week shown
(:func:`timeseries_csv`: the columns of ``sim run``'s ``timeseries`` with the arm first), their
summaries (:func:`summary_csv`: one row per arm, firm and metric, as ``summary.json`` would report
had the run stopped that week), the replicates' bands (:func:`bands_csv`), a chart rendered from
its Vega-Lite spec without a browser (:func:`chart_image`, by vl-convert), and the settings in
force as a scenario (:func:`scenario_toml`): the resolved scenario with the page's seed, which
``sim run`` runs to the same weekly table as the page's, week for week. Events struck live on the
page are not part of a scenario file; the file's header says so when there were any.

Example:
    >>> from sim import load_scenario
    >>> from sim.dashboard.market import DashboardModel
    >>> model = DashboardModel(load_scenario("scenarios/baseline.toml", {"market.size": 200}), seed="3")
    >>> model.step()
    >>> timeseries_csv(model).splitlines()[0][:30]
    'arm,week,firm,customers,new_cu'
    >>> "seed = 3" in scenario_toml(model)
    True
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from sim.simulation import collect
from sim.statistics import scalar_metrics

if TYPE_CHECKING:
    import altair as alt

    from sim.dashboard.market import DashboardModel
    from sim.dashboard.replicates import ReplicateSet
    from sim.model import CustomerMarket

IMAGE_FORMATS = {"png": "image/png", "svg": "image/svg+xml"}
PNG_SCALE = 2  # pixels per chart unit: sharp on a slide


def arms_shown(model: DashboardModel) -> dict[str, CustomerMarket]:
    """The markets on the page by what the downloads call them: "as set" and, with a side-by-side
    arm, "switched" (the names of the page's reactions table)."""
    arms = {"as set": model.market}
    if model.comparison is not None:
        arms["switched"] = model.comparison
    return arms


def timeseries_csv(model: DashboardModel) -> str:
    """The weekly table of each market shown, weeks 0 to the week shown, one row per arm, week
    and firm (``sim run``'s ``timeseries`` columns, after ``arm``)."""
    frames = [collect(market).timeseries.assign(arm=arm) for arm, market in arms_shown(model).items()]
    table = pd.concat(frames, ignore_index=True)
    return table[["arm", *[c for c in table.columns if c != "arm"]]].to_csv(index=False)


def summary_csv(model: DashboardModel) -> str:
    """Each market's summary so far, one row per arm, firm and metric (a table metric's keys as
    ``table.key``, :func:`sim.statistics.scalar_metrics`), with the weeks run and the seed."""
    rows: list[dict[str, Any]] = []
    for arm, market in arms_shown(model).items():
        summary = collect(market).summary
        for firm, metrics in summary["firms"].items():
            for metric, value in scalar_metrics(metrics).items():
                rows.append({"arm": arm, "strategy": market.scenario.firms[firm].strategy, "firm": firm,
                             "metric": metric, "value": value, "weeks": summary["weeks"],
                             "seed": summary["seed"]})  # fmt: skip
    return pd.DataFrame(rows).to_csv(index=False)


def bands_csv(reps: ReplicateSet, outcome: str) -> str:
    """The replicates' median and 50% and 90% bands of ``outcome`` per arm, firm and week; and,
    with a compared arm, the paired difference's mean and 95% interval per week (firm: the
    compared one, arm: "difference")."""
    from sim.dashboard.replicates import bands_table

    table = bands_table(reps, outcome)
    if reps.paired:
        diff = reps.difference(outcome).rename(columns={"mean": "median", "low": "low95", "high": "high95"})
        diff = diff.assign(arm="difference", firm=reps.firm, outcome=outcome, seeds=len(reps.seeds))
        table = pd.concat([table, diff], ignore_index=True)
    return table.to_csv(index=False)


def scenario_toml(model: DashboardModel, arm: str = "as set") -> str:
    """The settings in force as a scenario file: the resolved scenario of the market shown as
    ``arm`` with the page's seed (``sim run`` on it gives the page's weekly table), headed by a
    comment saying so and naming any event struck live on the page, which the file leaves out."""
    market = arms_shown(model)[arm]
    scenario = collect(market).scenario  # the scenario as run: its seed is the page's
    live = [struck for struck in market.timeline.struck if struck.live]
    header = [
        f"# Settings of `sim dashboard` ({arm}), seed {market.seed}, saved at week {market.week} of "
        f"{scenario.run.weeks}.",
        "# `sim run` on this file reproduces the page's numbers week for week.",
    ]
    if live:
        named = ", ".join(f"{struck.name!r} (week {struck.week})" for struck in live)
        header.append(
            f"# Not in this file: the events struck live on the page ({named}); from their weeks on, "
            "`sim run` differs from the page."
        )
    return "\n".join(header) + "\n" + scenario.to_toml()


def chart_image(chart: alt.TopLevelMixin | dict[str, Any] | str, kind: str) -> bytes:
    """A chart as a PNG or SVG file, rendered from its Vega-Lite spec by vl-convert (no browser).

    Example:
        >>> import altair as alt
        >>> chart_image(alt.Chart(pd.DataFrame({"x": [1, 2]})).mark_point().encode(x="x"), "svg")[:4]
        b'<svg'
    """
    import vl_convert

    if kind not in IMAGE_FORMATS:
        raise ValueError(f"image format {kind!r}: one of {', '.join(IMAGE_FORMATS)}")
    spec = chart if isinstance(chart, str | dict) else chart.to_json()
    if kind == "svg":
        return vl_convert.vegalite_to_svg(spec).encode("utf-8")
    return bytes(vl_convert.vegalite_to_png(spec, scale=PNG_SCALE))
