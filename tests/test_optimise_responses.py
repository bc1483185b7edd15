"""Plans that expect a response (`sim optimise --rivals-respond`): a naive plan (optimised against
passive rivals) and a response-aware plan (optimised with the rivals' responses running) are both
found on the same search seeds and confirmed on the same fresh seeds against the responding rivals;
the comparison's numbers are what direct runs of the two written plans give; a setting that asks
for responding rivals when every rival is passive is refused naming the key; the result does not
depend on the number of processes."""

from __future__ import annotations

import json
import math

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from sim import load_scenario, simulate
from sim.cli import main
from sim.optimise import response_figure
from sim.optimise.plan import PLAN_STRATEGY
from sim.statistics import mean_ci, paired_difference

from .figure_checks import layout_problems
from .helpers import ROOT

CVR = ROOT / "scenarios" / "conquest_vs_relations.toml"
# A small market (2,000 people, one year) whose rival retaliates with spend when it loses share.
SMALL = {"market.size": 2000, "run.weeks": 52}
ARGS = [
    str(CVR), "--firm", "us", *(f"--set={k}={v}" for k, v in SMALL.items()), "--rivals-respond",
    "--rival-response", "rival=retaliator", "--lever", "search_ads", "--lever", "social_ads", "--lever",
    "loyalty_rewards", "--trials", "4", "--runs", "2", "--confirm-runs", "3", "--seed", "5", "--quiet",
]  # fmt: skip


def _optimise(out, jobs: int) -> dict:
    status = main(["optimise", *ARGS, "--jobs", str(jobs), "--out", str(out)])
    assert status == 0, f"expected success with --jobs {jobs}, got exit status {status}"
    return json.loads((out / "optimisation.json").read_text())


@pytest.fixture(scope="module")
def searched(tmp_path_factory):
    out = tmp_path_factory.mktemp("responses") / "optimise"
    return _optimise(out, jobs=1), out


def test_both_plans_are_searched_on_the_same_seeds_and_confirmed_on_the_same_fresh_seeds(searched):
    info, out = searched
    assert info["rivals_respond"] == {"rival": "retaliator"}, info.get("rivals_respond")
    naive = pd.read_csv(out / "naive_trace.csv")
    aware = pd.read_csv(out / "trace.csv")
    assert len(naive) == len(aware) == 4, f"expected 4 candidates each, got {len(naive)} and {len(aware)}"
    assert info["naive"]["best"] is not None and info["best"] is not None, "expected both plans found"
    comparison = info["response_comparison"]
    assert comparison["seeds"] == info["confirmation"]["seeds"] == [7, 8, 9], comparison["seeds"]
    assert set(comparison["seeds"]).isdisjoint(info["seeds"]), "expected fresh seeds for the comparison"
    assert comparison["plans"]["naive"]["plan"] == info["naive"]["best"]["plan"], "expected the naive plan"
    assert comparison["plans"]["aware"]["plan"] == info["best"]["plan"], "expected the best plan as aware"
    # The naive search ran against a passive rival, so its references differ from the aware search's
    # (the retaliator raises its budget on the file's conquest plan within the year).
    passive = {r["strategy"]: r["profit"] for r in info["naive"]["references_search"]}
    responding = {r["strategy"]: r["profit"] for r in info["references_search"]}
    assert passive["file"] != responding["file"], (
        f"expected the rival's response to change the file plan's profit, got {passive['file']} both times"
    )
    best = load_scenario(out / "best.toml")
    written = load_scenario(out / "naive_best.toml")
    for scenario, plan in ((best, info["best"]), (written, info["naive"]["best"])):
        assert scenario.firms["us"].strategy == PLAN_STRATEGY, "expected the plan as the firm's strategy"
        assert scenario.firms["us"].split == plan["plan"]["shares"], "expected the plan's shares written in"
        assert scenario.firms["rival"].response.personality == "retaliator", (
            "expected each plan written against the responding rival"
        )
    for name in ("response_comparison.json", "response_comparison.csv", "response_reactions.csv"):
        assert (out / name).stat().st_size > 0, f"expected {name} written"
    assert (out / "figures" / "response_comparison.png").stat().st_size > 10_000, "expected the figure"


def test_the_comparison_is_what_direct_runs_of_the_two_plans_give(searched):
    """Rerun both written plans on the fresh seeds and recompute every number of the table."""
    info, out = searched
    comparison = info["response_comparison"]
    table = pd.read_csv(out / "response_comparison.csv")
    runs = {
        plan: [simulate(load_scenario(out / name), seed=seed).summary for seed in comparison["seeds"]]
        for plan, name in (("aware", "best.toml"), ("naive", "naive_best.toml"))
    }
    profit = {plan: [s["firms"]["us"]["profit"] for s in summaries] for plan, summaries in runs.items()}
    for plan in ("aware", "naive"):
        mean, interval = mean_ci(profit[plan])
        row = table[(table["rivals"] == "responsive") & (table["plan"] == plan)].iloc[0]
        assert math.isclose(row["value"], mean, rel_tol=1e-9), f"{plan}: table {row['value']}, runs {mean}"
        assert math.isclose(row["ci95_low"], interval[0], rel_tol=1e-9), (row["ci95_low"], interval)
    difference = paired_difference(profit["naive"], profit["aware"], "profit")
    row = table[(table["rivals"] == "responsive") & (table["plan"] == "aware - naive")].iloc[0]
    assert math.isclose(row["value"], difference["mean"], rel_tol=1e-9, abs_tol=1e-9), (row, difference)
    assert row["verdict"] == comparison["metrics"]["profit"]["responsive"]["verdict"]["text"]
    # The reactions each plan provoked, counted from the runs' summaries.
    reactions = pd.read_csv(out / "response_reactions.csv")
    for plan, summaries in runs.items():
        fired = [[r for r in s["reactions"] if r["rule"] == "retaliate with spend"] for s in summaries]
        row = reactions[(reactions["plan"] == plan) & (reactions["rule"] == "retaliate with spend")].iloc[0]
        expected = sum(len(f) for f in fired) / len(fired)
        assert row["runs_provoked"] == sum(1 for f in fired if f), (plan, row["runs_provoked"], fired)
        assert math.isclose(row["reactions_per_run"], expected), (plan, row["reactions_per_run"], expected)
        assert expected > 0, f"expected the {plan} plan to provoke the retaliator in this market"
        firsts = [min(r["week"] for r in f) for f in fired if f]
        assert row["first_week_earliest"] == min(firsts), (row["first_week_earliest"], firsts)


def test_the_summary_and_the_figure_state_the_verdict(searched, capsys):
    info, out = searched
    block = info["response_comparison"]["metrics"]["profit"]["responsive"]
    figure = response_figure(info)
    try:
        assert layout_problems(figure) == [], layout_problems(figure)
        aware, naive = block["aware"]["mean"], block["naive"]["mean"]
        plotted = figure.axes[0].lines[0].get_ydata()  # rivals responding: naive, then aware
        assert list(plotted) == [naive, aware], f"expected the plotted means {naive}, {aware}: {plotted}"
        title = " ".join(figure.get_suptitle().split())
        assert block["verdict"]["text"] in title, f"expected the verdict in the title: {title!r}"
        assert figure.claims["aware"] == aware and figure.claims["winner"] == block["verdict"]["winner"]
    finally:
        plt.close(figure)
    from sim.optimise import Optimisation

    text = Optimisation(None, None, info, pd.read_csv(out / "trace.csv"), pd.DataFrame()).table()
    assert "Plans that expect a response (rivals responding: rival = retaliator)" in text, text
    assert f"Against the responding rivals: {block['verdict']['text']}." in text, text


def test_responding_rivals_are_refused_when_every_rival_is_passive(tmp_path, capsys, write_scenario):
    out = tmp_path / "refused"
    status = main(["optimise", str(CVR), "--rivals-respond", "--trials", "2", "--out", str(out)])
    err = capsys.readouterr().err
    assert status == 2, f"expected exit status 2 with a passive rival, got {status}"
    assert err.startswith("error: --rivals-respond = True: no rival of firm 'us'") and "passive" in err, err
    assert not out.exists(), "expected nothing written for bad input"
    status = main(["optimise", str(CVR), "--rival-response", "nobody=retaliator", "--out", str(out)])
    err = capsys.readouterr().err
    assert status == 2 and "--rival-response 'nobody=retaliator': 'nobody' is not a rival" in err, err
    status = main(["optimise", str(CVR), "--rival-response", "rival=sulker", "--out", str(out)])
    err = capsys.readouterr().err
    assert status == 2 and "--rival-response 'rival=sulker'" in err and "unknown personality" in err, err
    assert not out.exists(), "expected nothing written for bad input"
    path = write_scenario(CVR.read_text() + "\n[optimise]\nrivals_respond = true\n")
    status = main(["optimise", str(path), "--out", str(out)])
    err = capsys.readouterr().err
    assert status == 2 and "[optimise] rivals_respond = True: no rival of firm 'us'" in err, err
    assert not out.exists(), "expected nothing written for bad input"


def test_the_same_numbers_with_one_process_and_two(searched, tmp_path):
    info, out = searched  # searched with --jobs 1
    again = _optimise(tmp_path / "two", jobs=2)
    for key in ("best", "naive", "confirmation", "response_comparison"):
        assert again[key] == info[key], f"expected {key} identical with --jobs 1 and 2"
    traces = [pd.read_csv(folder / "naive_trace.csv") for folder in (out, tmp_path / "two")]
    assert traces[0].equals(traces[1]), "expected the naive search identical with --jobs 1 and 2"
