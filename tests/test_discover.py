"""Scenario discovery (``sim discover``): the tables refused when they do not fit, regret zero for the
best strategy in every market, robustness recomputed from the tidy table, the same numbers on one
process and two, resuming from the run cache, and a tiny design end to end through the CLI."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from sim import load_scenario
from sim.cli import main
from sim.design import Uncertainty
from sim.discover import (
    cases,
    market_means,
    regret_table,
    resolve_design,
    robustness,
    run_design,
    sample_markets,
)
from tests.figure_checks import layout_problems

# Small and short: a run takes a few hundredths of a second, so the whole file stays well under 40 s.
DESIGN = """
[run]
weeks = 8
seed = 3

[market]
size = 200

[firms.us]
strategy = "conquest"
budget = 500

[firms.rival]
strategy = "relations"
budget = 500

[uncertainties]
"behaviours.adoption.word_of_mouth" = {low = 0.005, high = 0.05}
"firms.rival.response.personality" = ["passive", "price_matcher", "retaliator"]
"firms.rival.price" = {dist = "triangular", low = 30, mode = 40, high = 50}

[discover]
samples = 5
replicates = 2
strategies = ["conquest", "relations", "balanced"]
targets = {profit = {low = -3000}}
"""


@pytest.fixture(scope="module")
def design_run(tmp_path_factory):
    """The design of DESIGN run once in this process (its scenario, design and tidy table)."""
    path = tmp_path_factory.mktemp("discover") / "design.toml"
    path.write_text(DESIGN)
    scenario = load_scenario(path)
    design = resolve_design(scenario)
    table = run_design(scenario, design, jobs=1, out=path.parent / "cache")
    return scenario, design, table


# --------------------------------------------------------------------------- tables refused


@pytest.mark.parametrize(
    ("change", "named", "problem"),
    [
        (("behaviours.adoption.word_of_mouth", "behaviours.adoption.word_of_mouht"),
         "behaviours.adoption.word_of_mouht", "unknown key"),
        (("{low = 0.005, high = 0.05}", "{low = 0.05, high = 0.05}"),
         "behaviours.adoption.word_of_mouth", "low < high"),
        (("targets = {profit = {low = -3000}}", "targets = {proft = {low = -3000}}"),
         "targets.proft", "not a per-firm outcome"),
        (('strategies = ["conquest", "relations", "balanced"]', 'strategies = ["conquest"]'),
         "discover.strategies", "at least two"),
        (("samples = 5", "samples = 1"), "discover.samples", "greater than or equal to 2"),
        (("samples = 5", 'samples = 5\ndesign = "sobol"'), "discover.samples", "power of two"),
    ],
    ids=["unknown key", "empty range", "unknown target outcome", "one strategy", "one market", "sobol"],
)  # fmt: skip
def test_a_design_that_does_not_fit_is_refused_naming_the_key(
    tmp_path, write_scenario, capsys, change, named, problem
):
    old, new = change
    assert old in DESIGN, f"the test's change {old!r} must be in the design"
    path = write_scenario(DESIGN.replace(old, new))
    out = tmp_path / "out"
    status = main(["discover", str(path), "--out", str(out), "--quiet"])
    error = capsys.readouterr().err
    assert status == 2, f"expected exit status 2 for {new!r}, got {status}: {error}"
    assert named in error and problem in error, (
        f"expected the message to name {named!r} and say {problem!r}: {error}"
    )
    assert str(path) in error, f"expected the message to name the file: {error}"
    assert error.count("\n") == 1 and "Traceback" not in error, f"expected one line, no traceback: {error!r}"
    assert not out.exists(), "expected nothing written for a refused design"


def test_a_strategy_may_not_set_an_uncertain_key(write_scenario, capsys):
    path = write_scenario(DESIGN.replace('"firms.rival.price" = {dist', '"firms.us.budget" = {low = 100, high = 900}\n"firms.rival.price" = {dist')
                          .replace('strategies = ["conquest", "relations", "balanced"]',
                                   'strategies = {lean = {budget = 300}, rich = {budget = 900}}'))  # fmt: skip
    assert main(["validate", str(path)]) == 2, "expected a strategy that sets an uncertain key refused"
    error = capsys.readouterr().err
    assert "strategies.lean" in error and "firms.us.budget" in error, f"expected the clash named: {error}"


# --------------------------------------------------------------------------- the design


def test_markets_are_sampled_over_each_uncertainty_and_categories_uniformly():
    keys = [
        Uncertainty.of("firms.rival.price", {"low": 30, "high": 50}),
        Uncertainty.of("firms.rival.response.personality", ["passive", "price_matcher", "retaliator"]),
    ]
    markets = sample_markets(keys, 300, seed=1)
    counts = markets["firms.rival.response.personality"].value_counts()
    # A Latin hypercube puts one point in each of the 300 strata of [0, 1]; each value owns 100 of them.
    assert counts.to_dict() == {"passive": 100, "price_matcher": 100, "retaliator": 100}, (
        f"expected each category in exactly a third of the markets, got {counts.to_dict()}"
    )
    prices = markets["firms.rival.price"]
    assert prices.between(30, 50).all() and (prices < 32).any() and (prices > 48).any(), (
        f"expected prices across the whole range, got {prices.min():.2f} to {prices.max():.2f}"
    )
    sobol = sample_markets(keys, 16, seed=1, design="sobol")
    assert len(sobol) == 16 and not sobol.equals(markets.head(16)), "expected 16 Sobol' markets"
    again = sample_markets(keys, 300, seed=1)
    pd.testing.assert_frame_equal(markets, again, obj="the same seed's design")


def test_every_strategy_runs_in_every_market_on_the_same_seeds(design_run):
    _, design, table = design_run
    expected = len(design.markets) * len(design.strategies) * len(design.seeds)
    assert len(table) == expected == 5 * 3 * 2, (
        f"expected one row per market x strategy x seed, got {len(table)}"
    )
    seeds = table.groupby(["market", "strategy"])["seed"].apply(tuple)
    assert seeds.nunique() == 1, f"expected the same seeds everywhere, got {seeds.unique()}"
    for key in design.keys:  # the market's values, the same for every strategy and seed in it
        assert table.groupby("market")[key].nunique().eq(1).all(), f"expected one value of {key} per market"
    assert table["firms.rival.price"].between(30, 50).all()


# --------------------------------------------------------------------------- regret and robustness


def test_regret_is_zero_for_the_best_strategy_in_each_market(design_run):
    _, design, table = design_run
    means = market_means(table, design.metrics)
    for metric in ("profit", "customer_equity"):
        regret = regret_table(means, metric)
        wide = means[metric].unstack("strategy")
        best = wide.idxmax(axis=1)
        at_best = [regret.loc[m, s] for m, s in best.items()]
        assert all(r == 0.0 for r in at_best), f"expected regret 0 for the best on {metric}, got {at_best}"
        assert (regret.to_numpy() >= 0).all(), f"expected no negative regret on {metric}:\n{regret}"
        expected = wide.max(axis=1).to_numpy()[:, None] - wide.to_numpy()
        np.testing.assert_allclose(regret.to_numpy(), expected, err_msg=f"regret on {metric}")


def test_robustness_is_recomputed_from_the_tidy_table(design_run):
    _, design, table = design_run
    read = robustness(table, ["profit", "customer_equity"], design.settings.targets, list(design.strategies))
    per_market = table.groupby(["market", "strategy"])[["profit", "customer_equity"]].mean()
    profit = per_market["profit"].unstack()
    regret = profit.max(axis=1).to_numpy()[:, None] - profit
    for name in design.strategies:
        row = read["strategies"][name]
        mine = profit[name]
        assert row["outcomes"]["profit"]["mean"] == pytest.approx(mine.mean()), f"{name}: mean profit"
        assert row["outcomes"]["profit"]["sd"] == pytest.approx(mine.std(ddof=1)), f"{name}: sd of profit"
        assert row["outcomes"]["profit"]["p10"] == pytest.approx(np.quantile(mine, 0.1)), f"{name}: p10"
        assert row["outcomes"]["profit"]["worst"] == pytest.approx(mine.min()), f"{name}: worst profit"
        equity = per_market["customer_equity"].unstack()[name]
        assert row["outcomes"]["customer_equity"]["mean"] == pytest.approx(equity.mean()), f"{name}: equity"
        assert row["regret"]["profit"]["max"] == pytest.approx(regret[name].max()), f"{name}: max regret"
        assert row["regret"]["profit"]["p90"] == pytest.approx(regret[name].quantile(0.9)), f"{name}: p90"
        assert row["satisficing"]["all"] == pytest.approx((mine >= -3000).mean()), f"{name}: satisficing"
        assert row["wins"] == pytest.approx((profit.idxmax(axis=1) == name).mean()), f"{name}: wins"
    clear = sum(read["strategies"][n]["wins_beyond_noise"] for n in design.strategies)
    assert clear == pytest.approx(1 - read["noise"]["share_within"]), (
        f"expected the markets won beyond the noise and those within it to add up: {clear} + {read['noise']}"
    )
    assert all(row["wins_beyond_noise"] <= row["wins"] for row in read["strategies"].values())
    choices = {c["criterion"]: c for c in read["criteria"]}
    assert choices["best_mean"]["choice"] == profit.mean().idxmax(), "expected the best mean named"
    assert choices["minimax_regret"]["choice"] == regret.max().idxmin(), "expected min-max regret named"
    assert choices["best_worst_case"]["choice"] == profit.min().idxmax(), "expected the best worst case named"
    given = profit.mean().max() - profit[choices["minimax_regret"]["choice"]].mean()
    assert choices["minimax_regret"]["mean_given_up"] == pytest.approx(given), (
        "expected the mean profit given up"
    )
    assert choices["best_mean"]["mean_given_up"] == 0.0, "the best on average gives up nothing"


def test_robust_choices_differ_when_the_best_on_average_has_a_bad_market():
    # a: best on average (20/3 against 19/3) but 7 behind b in market 2; b: never more than 4 behind.
    table = pd.DataFrame({"market": [0, 0, 1, 1, 2, 2], "strategy": ["a", "b"] * 3, "seed": [1] * 6,
                          "profit": [10.0, 6.0, 10.0, 6.0, 0.0, 7.0]})  # fmt: skip
    choices = {c["criterion"]: c for c in robustness(table, ["profit"])["criteria"]}
    assert choices["best_mean"]["choice"] == "a" and choices["minimax_regret"]["choice"] == "b", choices
    minimax = choices["minimax_regret"]
    assert (minimax["value"], minimax["reference_value"], minimax["improvement"]) == (4.0, 7.0, 3.0), minimax
    assert minimax["mean_given_up"] == pytest.approx(1 / 3), (
        f"expected 1/3 of mean profit given up: {minimax}"
    )
    assert choices["best_worst_case"]["choice"] == "b", "expected b's worst (6) above a's (0)"


def test_cases_mark_the_markets_where_a_strategy_wins_or_fails():
    means = pd.DataFrame({"market": [0, 0, 1, 1], "strategy": ["a", "b"] * 2, "profit": [3.0, 1.0, 0.0, 2.0]})
    means = means.set_index(["market", "strategy"])
    found = cases(means, "profit", ["a", "b"])
    assert {k: v["mask"].tolist() for k, v in found.items()} == {
        "a wins": [True, False],
        "b wins": [False, True],
    }
    fails = cases(means, "profit", ["a", "b"], fails="profit<1", strategy="a")
    assert [v["mask"].tolist() for v in fails.values()] == [[False, True]], (
        f"expected a below 1 in market 1: {fails}"
    )


# --------------------------------------------------------------------------- execution


def test_one_process_and_two_give_the_same_table(design_run, tmp_path):
    scenario, design, table = design_run
    two = run_design(scenario, design, jobs=2)  # no cache: every run computed again in two workers
    pd.testing.assert_frame_equal(two, table, obj="the design on two processes")


# --------------------------------------------------------------------------- the command line


def test_a_tiny_design_runs_end_to_end_and_a_rerun_computes_nothing(tmp_path, write_scenario, capsys):
    path = write_scenario(DESIGN)
    out = tmp_path / "out"
    # One case on the first call (with every figure), every strategy's on the resumed one (no
    # figures): PRIM, the tree and their figures cost seconds a case.
    first = ["discover", str(path), "--out", str(out), "--jobs", "1", "--quiet", "--wins", "conquest"]
    assert main(first) == 0, capsys.readouterr().err
    files = ["discover.parquet", "discover.csv", "markets.csv", "regret.csv", "robustness.csv",
             "robust_choices.csv", "discover.json", "manifest.json", "scenario.resolved.toml", "figures/regret.png"]  # fmt: skip
    missing = [f for f in files if not (out / f).is_file()]
    assert not missing, f"expected every file written, missing {missing}"
    assert not list(out.rglob(".*.tmp")), f"expected no temporary file left: {list(out.rglob('.*.tmp'))}"
    table = pd.read_parquet(out / "discover.parquet")
    assert len(table) == 30 and list(table.columns[:3]) == ["market", "strategy", "seed"], table.columns
    pd.testing.assert_frame_equal(pd.read_csv(out / "discover.csv"), table, check_dtype=False)
    markets = pd.read_csv(out / "markets.csv", index_col="market")
    assert len(markets) == 5 and set(markets.columns) == {
        "behaviours.adoption.word_of_mouth", "firms.rival.response.personality", "firms.rival.price"
    }, markets.columns  # fmt: skip
    info = json.loads((out / "discover.json").read_text())
    found = json.loads((out / "conditions" / "conquest_wins.json").read_text())
    assert (
        list(info["cases"]) == ["conquest wins"]
        and found["case"]["cases"] == info["cases"]["conquest wins"]["markets"]
    )
    if found["prim"] is not None:  # a box (unless conquest wins in no market or in all five)
        assert (out / "figures" / "conquest_wins_prim.png").is_file(), "expected the PRIM trajectory figure"
    stamps = {p: p.stat().st_mtime_ns for p in out.glob("runs/*/seed-*/summary.json")}
    assert len(stamps) == 30, f"expected 30 cached runs, got {len(stamps)}"
    capsys.readouterr()

    for victim in sorted(stamps)[:4]:  # as a kill would leave it: some runs not finished
        for file in victim.parent.iterdir():
            file.unlink()
        victim.parent.rmdir()
    assert main(["discover", str(path), "--out", str(out), "--jobs", "1", "--no-figures"]) == 0
    captured = capsys.readouterr()
    assert "26 of 30 runs already finished" in captured.err and "computing 4" in captured.err, (
        f"expected the rerun to compute only the 4 missing runs:\n{captured.err[-600:]}"
    )
    pd.testing.assert_frame_equal(pd.read_parquet(out / "discover.parquet"), table, obj="the resumed design")
    kept = {p: p.stat().st_mtime_ns for p in sorted(stamps)[4:]}
    assert all(p.stat().st_mtime_ns == t for p, t in kept.items()), "expected finished runs untouched"
    assert "Robust choices" in captured.out and "min-max regret" in captured.out, captured.out
    info = json.loads((out / "discover.json").read_text())
    assert set(info["cases"]) == {"conquest wins", "relations wins", "balanced wins"}, info["cases"]
    assert sum(c["markets"] for c in info["cases"].values()) == 5, "expected each market won by one strategy"
    assert len(list((out / "conditions").glob("*.json"))) == 3, "expected the conditions of each case"

    assert (
        main(["discover", str(path), "--out", str(out), "--jobs", "1", "--no-figures", "--wins", "relations"])
        == 0
    )
    assert "30 of 30 runs already finished" in capsys.readouterr().err, "expected a rerun to compute nothing"
    assert list(json.loads((out / "discover.json").read_text())["cases"]) == ["relations wins"]


def test_the_regret_figure_names_what_it_plots(design_run):
    from sim.plots.robust import regret_figure

    _, design, table = design_run
    read = robustness(table, ["profit", "customer_equity"], design.settings.targets, list(design.strategies))
    figure = regret_figure({"robustness": read})
    figure.canvas.draw()
    problems = layout_problems(figure)
    assert not problems, "\n".join(problems)
    axis = figure.axes[0]
    # Recomputed from the artists: the lines of each box (whiskers, caps, median) sit around its
    # row; the rightmost of them is the whisker's cap at the strategy's largest regret.
    rows: dict[int, float] = {}
    for line in axis.lines:
        row = round(float(np.mean(line.get_ydata())))
        rows[row] = max(rows.get(row, -np.inf), float(np.max(line.get_xdata())))
    labels = {
        round(tick): label.get_text().split("\n")[0]
        for tick, label in zip(axis.get_yticks(), axis.get_yticklabels(), strict=True)
    }
    plotted = {labels[row]: largest for row, largest in rows.items()}
    expected = {name: max(read["regrets"][name]) for name in design.strategies}
    assert plotted == pytest.approx(expected), (
        f"expected each box to reach its maximum regret: {plotted} vs {expected}"
    )
    minimax = min(plotted, key=plotted.get)
    title = axis.get_title()
    assert f"Min-max regret on profit: {minimax}" in title, (
        f"expected {minimax} named in the title: {title!r}"
    )
    assert figure.claims["minimax"] == minimax, figure.claims
