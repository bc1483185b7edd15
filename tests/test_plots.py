"""Every figure of sim/plots.py drawn from real runs at small size: it returns a Figure whose title
says what the reader should see (computed from the data and checked against the plotted artists by
tests/figure_checks.py), whose axes carry units, and whose colours mean the same strategy or firm in
every figure. (tests/test_figures.py checks every figure's layout for every shipped scenario.)"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex

from sim import load_scenario, plots
from sim.experiments import sweep
from sim.report import gather
from tests.figure_checks import claim_problems

# Small enough to run in seconds in this process (jobs=1), big enough that every channel and
# reason has customers: 800 people for 60 weeks, 3 seeds per arm.
SMALL = {"market.size": 800, "run.weeks": 60}


@pytest.fixture(scope="module")
def arms():
    scenario = load_scenario("scenarios/conquest_vs_relations.toml", SMALL)
    return gather(scenario, runs=3, jobs=1, cascade_size=150)


@pytest.fixture(scope="module")
def grid():
    scenario = load_scenario("scenarios/what_if.toml", {"market.size": 400, "run.weeks": 20})
    return sweep(scenario, runs=1, jobs=1)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def line_colours(axis) -> dict[str, str]:
    return {line.get_label(): to_hex(line.get_color()) for line in axis.get_lines()}


def test_customers_by_group_draws_a_panel_per_strategy_with_bands(arms):
    figure = plots.customers_by_group_figure(arms.runs_by_group(), arms.firm)
    assert len(figure.axes) == 2, f"expected one panel per arm (2), got {len(figure.axes)}"
    ends = {label: g.timeseries.query("firm == 'us'").groupby("week")["customers"].median().iloc[-1]
            for label, g in arms.groups.items()}  # fmt: skip
    leader = max(ends, key=ends.get)
    assert f"playing {leader}" in figure.get_suptitle(), (
        f"the title should name the arm with the most customers at the end ({leader}); "
        f"got {figure.get_suptitle()!r}"
    )
    assert figure.axes[0].collections, "each panel should shade the 10-90% band of the runs"
    assert line_colours(figure.axes[0])["us"] == plots.PALETTE[0], "us should keep the first firm colour"


def test_retention_curves_start_at_one_fall_and_keep_strategy_colours(arms):
    curves = arms.retention()
    for label, rows in curves.groupby("group"):
        assert rows["retained"].iloc[0] == pytest.approx(1.0), f"{label}: retention starts at 100%"
        assert rows["retained"].is_monotonic_decreasing, f"{label}: a survival curve never rises"
        assert (rows["low"] <= rows["retained"]).all() and (rows["retained"] <= rows["high"]).all(), (
            f"{label}: the band should hold the mean curve"
        )
    figure = plots.retention_figure(curves)
    colours = line_colours(figure.axes[0])
    assert colours["relations"] == plots.STRATEGY_COLOURS["relations"], "relations is always green"
    assert colours["conquest"] == plots.STRATEGY_COLOURS["conquest"], "conquest is always orange"
    assert claim_problems(figure) == [], (
        f"the title should hold over the whole curves: {claim_problems(figure)}"
    )
    by_channel = plots.retention_figure(
        arms.retention_by_channel("conquest", min_won=10), "channel", bands=False
    )
    assert not by_channel.axes[0].collections, "bands=False should draw no bands"
    assert by_channel.axes[0].get_xlabel() == "weeks since the customer was won"


def test_acquisitions_by_channel_stack_to_the_customers_won(arms):
    channels = arms.channels()
    figure = plots.acquisitions_by_channel_figure(channels)
    axis = figure.axes[0]
    widths = {}
    for patch in axis.patches:
        y = round(patch.get_y(), 3)
        widths[y] = widths.get(y, 0) + patch.get_width()
    totals = sorted(widths.values())
    expected = sorted(channels.groupby("group")["acquired"].sum())
    assert totals == pytest.approx(expected), (
        f"stacked bars {totals} should add up to the customers won {expected}"
    )
    assert "wins the most customers" in axis.get_title()


def test_churn_waterfall_goes_from_start_to_end(arms):
    means = arms.firm_means()
    figure = plots.churn_waterfall_figure(means)
    for axis, (label, firm) in zip(figure.axes, means.items(), strict=True):
        assert (
            axis.get_xticklabels()[0].get_text() == "start" and axis.get_xticklabels()[-1].get_text() == "end"
        )
        reasons = sum(firm["churned_by_reason"].values())
        # Mean of runs: start + won - lost = end holds run by run, so also for the means.
        assert firm["customers_start"] + firm["acquired"] - reasons == pytest.approx(firm["customers_end"]), (
            f"{label}: the waterfall should close (start + won - lost = end)"
        )
    assert figure.get_suptitle().startswith("Why customers leave")


def test_cac_ltv_value_spend_forest_and_cascade_figures(arms):
    figure = plots.cac_ltv_figure(arms.blended(), arms.channels())
    assert "currency" in figure.axes[0].get_xlabel() and "currency" in figure.axes[0].get_ylabel()
    assert "fully loaded" in figure.axes[0].get_xlabel() and "net of retention" in figure.axes[0].get_ylabel()
    assert "LTV net of retention cost / fully loaded CAC" in figure.axes[0].get_title().replace("\n", " ")
    assert claim_problems(figure) == [], claim_problems(figure)

    deciles, lorenz = arms.values()
    figure = plots.value_distribution_figure(deciles, lorenz)
    assert "top 20% of customers bring" in figure.get_suptitle()
    for label, rows in deciles.groupby("group"):
        assert rows["value"].is_monotonic_decreasing, f"{label}: deciles are ranked, most valuable first"

    spend = arms.spend()
    figure = plots.spend_by_lever_figure(spend)
    title = " ".join(figure.axes[0].get_title().split())
    assert "conquest spends most on search ads" in title, title

    figure = plots.forest_figure(arms.comparison)
    rows = [t.get_text() for t in figure.axes[0].get_yticklabels()]
    assert rows == list(plots.FOREST_METRICS.values()), f"one row per metric, got {rows}"
    assert "relations vs conquest" in figure.axes[0].get_title()
    assert claim_problems(figure) == [], claim_problems(figure)

    customers, adjacency, firms = arms.cascade
    figure = plots.referral_cascade_figure(customers, adjacency, firms)
    referred = int(customers.loc[customers["left_market_week"].isna(), "referrer"].notna().sum())
    title = " ".join(figure.axes[0].get_title().split())
    assert f"{referred} customers were referred" in title, title


def test_sweep_heatmap_and_response_curves(grid):
    keys = ("firms.us.budget", "behaviours.adoption.word_of_mouth")
    figure = plots.sweep_heatmap_figure(grid, "us", "profit", keys)
    means = grid[grid["firm"] == "us"].groupby(list(keys))["profit"].mean()
    budget, wom = means.idxmax()
    title = " ".join(figure.axes[0].get_title().split())
    assert f"{keys[0]} = {budget:g} and {keys[1]} = {wom:g}" in title, (
        f"the title should name the best point ({budget:g}, {wom:g}); got {title!r}"
    )
    assert len(figure.axes[0].texts) == 9, "each cell of the 3 x 3 grid is annotated with its value"
    figure = plots.sweep_response_figure(grid, keys[0], keys[1], "us", "customers_end")
    assert len(figure.axes[0].get_lines()) == 3, "one line per value of the second key"
    assert claim_problems(figure) == [], claim_problems(figure)
    with pytest.raises(ValueError, match="two swept keys"):
        plots.sweep_heatmap_figure(grid, "us", "profit", (keys[0],))


def test_lever_reason_heatmap_names_the_strongest_cut():
    import pandas as pd

    changes = pd.DataFrame(
        {"dissatisfied": [-60.0, 2.0], "unappreciated": [-5.0, -40.0]},
        index=["service_quality", "recognition"],
    )
    figure = plots.lever_reason_figure(changes)
    assert "service quality cuts 'dissatisfied' most (-60%)" in figure.axes[0].get_title()


def test_group_colours_are_strategy_colours_for_arms_and_firm_colours_otherwise():
    assert plots.group_colours(["relations", "conquest"]) == {
        "relations": plots.STRATEGY_COLOURS["relations"],
        "conquest": plots.STRATEGY_COLOURS["conquest"],
    }, "arms named after strategies keep the strategy colours whatever their order"
    assert plots.group_colours(["us", "rival"]) == plots.firm_colours(["us", "rival"])


def test_the_value_figure_draws_a_group_whose_value_sums_to_nothing_or_less():
    # A price below cost (a market event can set one) leaves a group's customers worth less than
    # nothing in total: it has no Lorenz curve, and the figure must still draw and say so.
    deciles = pd.DataFrame(
        [{"group": "us", "decile": d, "value": 11.0 - d} for d in range(1, 11)]
        + [{"group": "rival", "decile": d, "value": -1.0} for d in range(1, 11)]
    )
    lorenz = pd.DataFrame([{"group": "us", "customers": c, "value": c**0.5} for c in np.linspace(0, 1, 21)])
    figure = plots.value_distribution_figure(deciles, lorenz)
    labels = [t.get_text() for t in figure.axes[1].get_legend().get_texts()]
    assert "rival: no curve, total value <= 0" in labels, (
        f"expected the rival named without a curve, got {labels}"
    )
    assert figure.get_suptitle().startswith("The top 20% of customers (us) bring 45%"), figure.get_suptitle()
    assert claim_problems(figure) == [], claim_problems(figure)
