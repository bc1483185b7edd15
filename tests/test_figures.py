"""Every figure of `sim report`, `sim run`, `sim run --runs` and `sim sweep`, for every shipped
scenario, keeps its ink on the page and states only what it plots.

Drawn with matplotlib's own renderer (tests/figure_checks.py): every text inside the canvas, no
two texts overlapping, no legend over a text, every plotted point inside its axes; and every
title's claim recomputed from the plotted artists. Then small synthetic cases, one per bug these
checks were written against (crossing retention curves, Lorenz labels 61% and 59%, panels with
different maxima, a cut forest title, a cut cascade title, "LTV = CAC" behind the legend, a sweep
over two keys drawn against one), and checks that the checks themselves can fail.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from scipy import sparse

from sim import load_scenario, plots, simulate
from sim.experiments import replicate, replicate_figures, sweep_figures
from sim.report import gather
from tests.figure_checks import claim_problems, data_problems, layout_problems, placed_texts, text_problems
from tests.helpers import ROOT, small_for

SCENARIOS = sorted(path.stem for path in (ROOT / "scenarios").glob("*.toml"))
# Small enough for the whole module to run in about a minute, big enough that every channel and
# churn reason has customers and the retention curves cover two years.
SMALL = {"market.size": 1500, "run.weeks": 104}


@pytest.fixture(scope="module", params=SCENARIOS)
def figures(request):
    """Every figure the four commands draw for one shipped scenario, by "command/name"."""
    path = ROOT / "scenarios" / f"{request.param}.toml"
    small = small_for(path, SMALL)  # its events moved into the shorter run
    scenario = load_scenario(path, small)
    if scenario.sweep is not None:
        scenario = load_scenario(path, {**small, "sweep.runs": 1})
    data = gather(scenario, runs=2, jobs=1, cascade_size=120)
    with plt.rc_context({"figure.max_open_warning": 0}):  # all of them are open until the tests end
        drawn = {f"report/{name}": figure for name, figure in plots.report_figures(data).items()}
        drawn.update({f"run/{name}": figure for name, figure in simulate(scenario).figures().items()})
        reps = replicate(scenario, runs=2, jobs=1)
        drawn.update(
            {f"run --runs/{name}": figure for name, figure in replicate_figures(reps, scenario).items()}
        )
        if scenario.sweep is not None:
            sweeps = sweep_figures(data.sweep, scenario, data.firm)
            drawn.update({f"sweep/{name}": figure for name, figure in sweeps.items()})
    yield drawn
    for figure in drawn.values():
        plt.close(figure)


def test_every_figure_keeps_its_ink_on_the_page(figures):
    problems = {name: layout_problems(figure) for name, figure in figures.items()}
    problems = {name: found for name, found in problems.items() if found}
    assert not problems, "expected every text on the canvas, none overlapping or under a legend, " + (
        f"every point inside its axes; got {problems}"
    )


def test_every_title_states_what_its_figure_plots(figures):
    problems = {name: claim_problems(figure) for name, figure in figures.items()}
    problems = {name: found for name, found in problems.items() if found}
    assert not problems, f"expected every title's claim to hold for the plotted arrays; got {problems}"


def test_the_report_and_run_draw_every_figure(figures):
    names = {name.split("/")[1] for name in figures if name.startswith("report/")}
    expected = {"customers", "acquisitions", "retention", "waterfall", "cac_ltv", "value", "spend"}
    assert expected <= names, f"expected the report's figures {sorted(expected)}, got {sorted(names)}"
    runs = {name for name in figures if name.startswith("run")}
    assert {"run/customers", "run/churn_by_reason", "run/lifecycle", "run --runs/customers"} <= runs, runs


# --------------------------------------------------------------------------- the bugs, one by one


def retention_table(curves: dict[str, np.ndarray]) -> pd.DataFrame:
    rows = [
        {"group": g, "week": w, "retained": v, "low": v - 0.02, "high": min(1.0, v + 0.02), "at_risk": 100}
        for g, values in curves.items()
        for w, v in enumerate(values)
    ]
    return pd.DataFrame(rows)


def test_crossing_retention_curves_are_not_titled_by_the_last_week():
    # relations is above conquest only after week 95 of 100: ranked at the last week, the old
    # title said "relations stay longest" while conquest kept more for 95% of the curve.
    weeks = np.arange(101)
    conquest = 1 - 0.004 * weeks
    relations = np.where(weeks <= 95, conquest - 0.03, conquest + 0.03 * (weeks - 95))
    relations[0] = 1.0
    figure = plots.retention_figure(retention_table({"conquest": conquest, "relations": relations}))
    title = " ".join(figure.axes[0].get_title().split())
    assert "stay longest" not in title, f"expected no 'stay longest' when the curves cross; got {title!r}"
    assert "conquest are kept best for the first 95 weeks, those won by relations after" in title, title
    assert claim_problems(figure) == [], claim_problems(figure)


def test_retention_leader_throughout_and_lead_changing_hands():
    weeks = np.arange(60)
    high, low = 1 - 0.005 * weeks, 1 - 0.008 * weeks
    figure = plots.retention_figure(retention_table({"relations": high, "conquest": low}))
    title = " ".join(figure.axes[0].get_title().split())
    assert title.startswith("Customers won by relations stay longest"), title
    # A lead that changes hands every 10 weeks: the title gives shares of the weeks, not a winner.
    wobble = np.where((weeks // 10) % 2 == 0, 0.02, -0.02)
    wobble[0] = 0
    figure = plots.retention_figure(retention_table({"a": high, "b": high + wobble}))
    title = " ".join(figure.axes[0].get_title().split())
    assert "kept best in" in title and "stay longest" not in title, title
    assert claim_problems(figure) == [], claim_problems(figure)


def test_lorenz_shares_61_and_59_percent_do_not_overlap():
    deciles = pd.DataFrame(
        [
            {"group": g, "decile": d, "value": 100.0 / d}
            for g in ("conquest", "relations")
            for d in range(1, 11)
        ]
    )
    shares = np.linspace(0, 1, 21)
    lorenz = pd.concat(
        pd.DataFrame({"group": g, "customers": shares, "value": np.minimum(1.0, shares * top / 0.2)})
        for g, top in (("conquest", 0.61), ("relations", 0.59))
    )
    figure = plots.value_distribution_figure(deciles, lorenz)
    assert layout_problems(figure) == [], layout_problems(figure)
    legend = [t.get_text() for t in figure.axes[1].get_legend().get_texts()]
    assert "conquest: top 20% bring 61%" in legend and "relations: top 20% bring 59%" in legend, legend
    assert "bring 59-61% of the value" in figure.get_suptitle(), figure.get_suptitle()


def test_panels_with_different_maxima_share_an_axis_that_holds_the_highest_line():
    def arm(top: float) -> pd.DataFrame:
        weeks = np.arange(50)
        return pd.DataFrame(
            [
                {"run": r, "week": w, "firm": "us", "customers": top * w / 49 + r}
                for r in (1, 2, 3)
                for w in weeks
            ]
        )

    # The second panel's line is the higher one: set per panel, the shared axis stopped at the first's.
    figure = plots.customers_by_group_figure({"conquest": arm(2950), "relations": arm(3228)}, "us")
    assert data_problems(figure) == [], f"expected every line inside its axes; got {data_problems(figure)}"
    assert figure.axes[1].get_ylim()[1] >= 3228, figure.axes[1].get_ylim()
    assert claim_problems(figure) == [], claim_problems(figure)


def comparison(arms: list[str], metrics: list[str]) -> dict:
    stats = {"mean": 100.0, "ci95": [90.0, 110.0]}
    return {
        "baseline_arm": arms[0],
        "runs": 5,
        "arms": {a: {m: stats for m in metrics} for a in arms},
        "differences": {
            a: {
                m: {"mean": 30.0 * (i - 1), "ci95": [30.0 * (i - 1) - 8, 30.0 * (i - 1) + 8]} for m in metrics
            }
            for i, a in enumerate(arms[1:])
        },
    }


def test_forest_title_fits_with_three_arms_and_every_metric():
    arms = ["conquest_with_referrals", "relations_with_loyalty", "balanced_with_everything"]
    figure = plots.forest_figure(comparison(arms, list(plots.FOREST_METRICS)))
    assert layout_problems(figure) == [], layout_problems(figure)
    for axis in figure.axes:
        assert "of 9 metrics" in " ".join(axis.get_title().split()), axis.get_title()
    assert claim_problems(figure) == [], claim_problems(figure)


def test_cascade_title_with_long_firm_names_stays_on_the_canvas():
    people = 60
    firms = ["northern_lights_hotels", "grand_metropolitan_group", "riverside_inns"]
    customers = pd.DataFrame(
        {
            "id": np.arange(people),
            "slot": np.arange(people),
            "left_market_week": pd.array([None] * people, dtype="Int32"),  # null: still in the market
            "referrer": pd.array([None if i % 3 == 0 else i - 1 for i in range(people)], dtype="Int64"),
            "firm": pd.array([firms[(i // 3) % 3] for i in range(people)], dtype="string"),
        }
    )
    ring = sparse.diags([1.0, 1.0], [1, -1], shape=(people, people), format="csr")
    figure = plots.referral_cascade_figure(customers, ring, firms)
    assert layout_problems(figure) == [], layout_problems(figure)
    assert claim_problems(figure) == [], claim_problems(figure)


def blended(rows: list[tuple]) -> pd.DataFrame:
    columns = ["group", "cac_fully_loaded", "ltv_net"]
    table = pd.DataFrame(rows, columns=columns)
    for metric in columns[1:]:
        table[f"{metric}_low"] = table[metric] - 0.1 * table[metric].abs()
        table[f"{metric}_high"] = table[metric] + 0.1 * table[metric].abs()
    return table


def channel_rows() -> pd.DataFrame:
    return pd.DataFrame(
        [
            ("conquest", "search", 300.0, 120.0, 260.0),
            ("conquest", "referral", 50.0, 0.0, 330.0),
            ("relations", "referral", 80.0, 20.0, 350.0),
            ("relations", "word_of_mouth", 200.0, 0.0, 300.0),
        ],
        columns=["group", "channel", "acquired", "cac", "value"],
    )


def test_cac_ltv_keeps_its_labels_clear_and_lists_groups_that_spent_nothing():
    # Net LTV far above CAC: the old "LTV = CAC" text sat at the right edge, behind the legend.
    table = blended([("conquest", 40.0, 250.0), ("relations", 75.0, 300.0), ("neglect", None, 90.0)])
    figure = plots.cac_ltv_figure(table, channel_rows())
    assert layout_problems(figure) == [], layout_problems(figure)
    assert claim_problems(figure) == [], claim_problems(figure)
    legend = " ".join(t.get_text() for t in figure.axes[0].get_legend().get_texts())
    assert "neglect: nothing spent" in legend, f"expected the group that spent nothing listed; got {legend!r}"
    assert "LTV net = CAC" in legend and "LTV net = 3 x CAC" in legend, legend
    title = figure.axes[0].get_title()
    assert "relations 4.0x, conquest 6.2x" not in title and "conquest 6.2x, relations 4.0x" in title, title
    assert "fully loaded CAC" in title and "LTV net" in figure.axes[0].get_ylabel(), title
    # A negative net LTV (retention spend above the margin) stays inside the axes.
    figure = plots.cac_ltv_figure(
        blended([("relations", 75.0, -40.0), ("conquest", 40.0, 120.0)]), channel_rows()
    )
    assert layout_problems(figure) == [], layout_problems(figure)
    assert "relations -0.53x" in figure.axes[0].get_title(), figure.axes[0].get_title()


def budget_price_sweep() -> pd.DataFrame:
    """Profit over a budget x price grid whose mean over price peaks at budget 900, while the best
    cell is budget 600 at price 40: averaged over price, a figure would name the wrong budget."""
    profit = {
        (300, 30): 10.0, (600, 30): 20.0, (900, 30): 60.0,
        (300, 40): 30.0, (600, 40): 100.0, (900, 40): 70.0,
        (300, 50): 10.0, (600, 50): 10.0, (900, 50): 65.0,
    }  # fmt: skip
    return pd.DataFrame(
        [
            {"point": i, "run": run, "firm": "us", "firms.us.budget": b, "firms.us.price": p,
             "profit": value + run, "customers_end": b / 10, "ltv_net": p * 2.0}
            for i, ((b, p), value) in enumerate(profit.items())
            for run in (0, 1)
        ]
    )  # fmt: skip


def test_a_sweep_over_budget_and_price_draws_one_line_per_price():
    table = budget_price_sweep()
    assert table.groupby("firms.us.budget")["profit"].mean().idxmax() == 900, (
        "the trap: the mean peaks at 900"
    )
    drawn = plots.sweep_figures(table, "us", ["firms.us.budget", "firms.us.price"])
    assert set(drawn) == {"sweep_firms.us.budget", "sweep_firms.us.price", "sweep_heatmap"}, set(drawn)
    figure = drawn["sweep_firms.us.budget"]
    lines = [line for line in figure.axes[0].get_lines() if not line.get_label().startswith("_")]
    assert [line.get_label() for line in lines] == ["30", "40", "50"], "expected one line per price"
    title = figure.get_suptitle()
    assert "firms.us.budget = 600 with firms.us.price = 40" in title, f"expected the best cell; got {title!r}"
    heatmap = drawn["sweep_heatmap"].axes[0].get_title()
    assert "firms.us.budget = 600 and firms.us.price = 40" in heatmap, heatmap
    for name, figure in drawn.items():
        assert layout_problems(figure) == [], (name, layout_problems(figure))
        assert claim_problems(figure) == [], (name, claim_problems(figure))


def test_a_third_swept_key_is_averaged_over_and_the_title_says_so():
    table = pd.concat([budget_price_sweep().assign(**{"market.size": size}) for size in (1000, 2000)])
    figure = plots.sweep_figure(table, "firms.us.budget", "us", ("profit",), by="firms.us.price")
    assert "averaged over market.size" in figure.get_suptitle(), figure.get_suptitle()
    heatmap = plots.sweep_heatmap_figure(table, "us", "profit", ("firms.us.budget", "firms.us.price"))
    assert "averaged over market.size" in heatmap.axes[0].get_title(), heatmap.axes[0].get_title()
    assert claim_problems(figure) == [] and claim_problems(heatmap) == [], claim_problems(figure)


def test_a_latin_hypercube_colours_its_points_by_the_other_key():
    generator = np.random.default_rng(3)
    budget, price = generator.uniform(100, 1000, 20), generator.uniform(30, 50, 20)
    table = pd.DataFrame(
        {"firm": "us", "firms.us.budget": budget, "firms.us.price": price, "profit": budget * (50 - price),
         "customers_end": budget / 10, "ltv_net": price * 2.0}
    )  # fmt: skip
    figures = plots.sweep_figures(table, "us", ["firms.us.budget", "firms.us.price"], grid=False)
    assert "sweep_heatmap" not in figures, "a Latin hypercube has no grid for a heatmap"
    figure = plots.sweep_figure(table, "firms.us.budget", "us", ("profit",))
    assert len(figure.axes) == 2, "expected the panel and a colour bar for the other key"
    assert layout_problems(figure) == [] and claim_problems(figure) == [], claim_problems(figure)


def test_lever_reason_says_own_reason_only_when_no_two_levers_share_one():
    shared = pd.DataFrame(
        {"dissatisfied": [-60.0, -30.0], "unappreciated": [-5.0, -10.0]},
        index=["service_quality", "recognition"],
    )
    figure = plots.lever_reason_figure(shared)
    assert "own reason" not in figure.axes[0].get_title(), "both levers cut 'dissatisfied' most"
    assert claim_problems(figure) == [], claim_problems(figure)


# --------------------------------------------------------------------------- the checks can fail


def test_the_checks_catch_what_they_are_for():
    figure, axis = plt.subplots(figsize=(4, 3))
    axis.plot([0, 1], [0, 5])
    axis.set_ylim(0, 2)  # the line leaves the axes
    axis.set_title("a title far too long for a figure four inches wide, running off both sides")
    axis.text(0.5, 1.0, "first")
    axis.text(0.5, 1.0, "second")  # on top of the first
    axis.text(0.95, 1.9, "under the legend")
    axis.plot([0.5], [0.5], label="a legend entry long enough to cover the corner")
    axis.legend(loc="upper right")
    problems = layout_problems(figure)
    assert any("points outside the axes" in p for p in problems), problems
    assert any("title runs off the canvas" in p for p in problems), problems
    assert any("'first'" in p and "overlaps" in p and "'second'" in p for p in problems), problems
    assert any("hides" in p and "under the legend" in p for p in problems), problems
    # A claim that no longer matches its artists is reported.
    figure = plots.customers_figure(
        pd.DataFrame(
            {"week": [0, 1, 0, 1], "firm": ["us", "us", "rival", "rival"], "customers": [1, 5, 1, 3]}
        ),
        "x",
    )
    figure.axes[0].get_lines()[1].set_ydata([1, 9])  # rival now ends highest
    assert claim_problems(figure), "expected the leader claim to fail once rival's line ends highest"
    plt.close("all")


def test_placed_texts_skip_empty_and_invisible_texts():
    figure, axis = plt.subplots()
    axis.text(0, 0, "")
    hidden = axis.text(0, 0, "hidden")
    hidden.set_visible(False)
    figure.canvas.draw()
    names = [t.name for t in placed_texts(figure)]
    assert not any("hidden" in n for n in names), names
    assert text_problems(figure) == [], text_problems(figure)
    plt.close(figure)
