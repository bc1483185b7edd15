"""Strategy planning (`sim optimise`): plans respect the budget and per-lever bounds by
construction, outcome constraints are never violated by the reported plan, the search finds the
lever that dominates by construction, the same seed gives the same result whatever the number of
processes, an interrupted search resumes from its finished runs, and the command writes a
runnable best plan, a Pareto front and a robust choice."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from sim import ScenarioError, load_scenario, simulate
from sim.cli import main
from sim.design import Decision
from sim.execution import RunCache
from sim.optimise import (
    BudgetPlan,
    Plan,
    fill_shares,
    market_scenarios,
    optimise,
    pareto_mask,
    resolve_settings,
    settings_from_options,
)

from .helpers import ROOT

CVR = ROOT / "scenarios" / "conquest_vs_relations.toml"
# A small market where one lever dominates by construction: recognition and social ads are given
# no effect (strength 0) but still cost money, so every unit of budget not spent on search ads is
# wasted; search ads are made strong and dear enough per person that their reach stays nearly
# proportional to spend. With the whole budget to spend, the most customers come from putting it
# all on search ads.
DOMINANT = {
    "market.size": 400,
    "run.weeks": 26,
    "levers.recognition.strength": 0.0,
    "levers.social_ads.strength": 0.0,
    "levers.search_ads.unit_cost": 100,
    "levers.search_ads.strength": 1.0,
    "firms.us.budget": 150,
}
SEARCH = {
    "objectives": ["customers_end"],
    "levers": ["search_ads", "social_ads", "recognition"],
    "spend_all": True,
    "trials": 24,
    "runs": 2,
    "confirm_runs": 3,
    "batch": 4,
    "seed": 3,
}


@pytest.fixture(scope="module")
def dominant():
    return load_scenario(CVR, DOMINANT)


@pytest.fixture(scope="module")
def found(dominant, tmp_path_factory):
    out = tmp_path_factory.mktemp("dominant")
    return optimise(dominant, "us", SEARCH, out=out, jobs=1), out


# --------------------------------------------------------------------------- the plan space


@settings(max_examples=200, deadline=None)
@example(
    weights=[0.0, 0.0, 5e-324],
    lows=[0.0, 0.125, 0, 0, 0, 0],
    widths=[0.0, 0.0, 1.0, 0, 0, 0],
    spend_all=False,
    unspent=0.0,
)  # a subnormal weight once gave shares summing to 1.125
@given(
    weights=st.lists(st.floats(0, 1), min_size=1, max_size=6),
    lows=st.lists(st.floats(0, 0.15), min_size=6, max_size=6),
    widths=st.lists(st.floats(0, 1), min_size=6, max_size=6),
    spend_all=st.booleans(),
    unspent=st.floats(0, 1),
)
def test_shares_always_respect_the_budget_and_every_bound(weights, lows, widths, spend_all, unspent):
    levers = [f"lever{i}" for i in range(len(weights))]
    bounds = {k: (lows[i], min(1.0, lows[i] + widths[i])) for i, k in enumerate(levers)}
    if spend_all and sum(b[1] for b in bounds.values()) < 1:
        return  # no plan can spend the whole budget within these maxima (check_settings rejects it)
    shares = fill_shares(dict(zip(levers, weights, strict=True)), bounds, spend_all, unspent)
    total = sum(shares.values())
    assert total <= 1 + 1e-9, f"expected shares to sum to at most 1, got {total}"
    if spend_all:
        assert total == pytest.approx(1, abs=1e-9), f"expected the whole budget spent, got {total}"
    for lever, share in shares.items():
        low, high = bounds[lever]
        assert low - 1e-12 <= share <= high + 1e-12, f"expected {lever} in [{low}, {high}], got {share}"


def test_shares_follow_the_weights_until_a_maximum_binds():
    assert fill_shares({"a": 3.0, "b": 1.0}, spend_all=True) == {"a": 0.75, "b": 0.25}, (
        "expected shares proportional to the weights"
    )
    capped = fill_shares({"a": 3.0, "b": 1.0}, {"a": (0.0, 0.5)}, spend_all=True)
    assert capped == {"a": 0.5, "b": 0.5}, f"expected a capped at 0.5 and the rest to b, got {capped}"
    assert fill_shares({"a": 0.0, "b": 0.0}) == {"a": 0.0, "b": 0.0}, (
        "expected nothing spent when every weight is 0 and unspent is allowed"
    )


def test_a_plan_runs_as_a_strategy_and_its_levers_start_when_told(dominant):
    plan = Plan({"search_ads": 0.6, "social_ads": 0.4}, 150.0, {"social_ads": 10})
    result = simulate(dominant.with_overrides(plan.overrides("us")), seed=1)
    spend = result.timeseries[result.timeseries["firm"] == "us"].set_index("week")
    assert spend.loc[1:9, "spend_social_ads"].sum() == 0, "expected no social-ads spend before week 10"
    assert spend.loc[10:, "spend_social_ads"].gt(0).all(), "expected social ads every week from week 10"
    assert spend["spend"].max() <= 150 + 1e-9, f"expected at most the budget, got {spend['spend'].max()}"
    with pytest.raises(TypeError, match="start_<lever>"):
        BudgetPlan({"search_ads": 1.0}, begin_search_ads=3)


# --------------------------------------------------------------------------- settings


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"levers": ["search_adz"]}, r"--lever = \['search_adz'\]: unknown lever 'search_adz'; allowed levers: search_ads"),
        ({"shares": {"search_ads": {"low": 0.7}, "social_ads": {"low": 0.6}}}, r"--share = .*: the minimum shares sum to 1\.3"),
        ({"shares": {"search_ads": {"high": 1.5}}}, r"--share\.search_ads = \{'high': 1\.5\}: a share of the budget is in \[0, 1\]"),
        ({"start_weeks": {"search_ads": {"low": 10, "high": 500}}}, r"--start-week\.search_ads = \{'low': 10, 'high': 500\}: .* < run\.weeks = 26"),
        ({"decisions": {"search_ads": {"share": {"high": 1.5}}}}, r"^decisions\.search_ads = \{'high': 1\.5\}: a share of the budget is in \[0, 1\]"),
        ({"objectives": ["profitt"]}, r"--objective = 'profitt': not a per-firm metric; allowed: customers_start"),
        ({"uncertainties": {"firms.us.budget": [1, 2]}}, r"firm 'us''s plan is what is optimised"),
        ({"uncertainties": {"firms.rival.price": [-5]}}, r"--uncertainty\.firms\.rival\.price = \[-5\]: at -5: .*greater than 0"),
        ({"trials": 0}, r"--trials = 0: Input should be greater than or equal to 1"),
        ({"firm": "them"}, r"--firm = 'them': no such firm; firms: us, rival"),
    ],
)  # fmt: skip
def test_bad_settings_name_the_option_value_and_what_is_allowed(dominant, given, message):
    with pytest.raises(ScenarioError, match=message):
        resolve_settings(dominant, given)


def test_settings_may_be_an_optimise_config(dominant):
    from sim.design import OptimiseConfig

    config = OptimiseConfig(
        objectives=["customers_end"], decisions={"search_ads": {}, "social_ads": {}}, trials=5
    )
    resolved = resolve_settings(dominant, config)
    assert resolved.decision_list() == config.decision_list() and resolved.trials == 5, (
        f"expected the OptimiseConfig's settings, got {resolved}"
    )
    as_dict = resolve_settings(
        dominant, {"objectives": ["customers_end"], "levers": ["search_ads", "social_ads"], "trials": 5}
    )
    assert as_dict == resolved, (
        "expected the command line's levers to make the same settings as the decisions"
    )


def test_the_optimise_table_is_checked_when_the_file_loads(write_scenario):
    path = write_scenario("[optimise.decisions]\nsearch_ads = {share = {high = 1.5}}\n")
    with pytest.raises(
        ScenarioError,
        match=r"scenario\.toml: \[optimise\] decisions\.search_ads\.share = \{'high': 1\.5\}: a share of the budget is in \[0, 1\]",
    ):
        load_scenario(path)
    path = write_scenario('[optimise]\nobjectives = ["profitt"]\n')
    with pytest.raises(
        ScenarioError, match=r"scenario\.toml: \[optimise\] objectives = 'profitt': not a per-firm metric"
    ):
        load_scenario(path)
    path = write_scenario('[optimise]\nlevers = ["search_ads"]\nshares = {social_ads = {max = 0.5}}\n')
    refused = pytest.raises(
        ScenarioError,
        match=r"scenario\.toml: optimise\.shares\.social_ads = \{'max': 0\.5\}: not a lever of the plan",
    )
    with pytest.warns(DeprecationWarning) as caught, refused:
        load_scenario(path)
    warned = [str(w.message) for w in caught]
    assert f"{path}: optimise.shares: write [optimise.decisions] instead" in " ".join(warned), warned


def test_the_older_plan_space_reads_as_decisions_with_a_warning_naming_file_and_key(write_scenario):
    older = write_scenario(
        '[optimise]\nlevers = ["search_ads", "referral_programme"]\nshares = {search_ads = {max = 0.5}}\n'
        "start_weeks = {referral_programme = [0, 52]}\nbudget = [100, 900]\n"
        "constraints = {retention_yearly = {min = 0.8}}\n"
    )
    with pytest.warns(DeprecationWarning) as caught:
        read = load_scenario(older).optimise
    warned = {str(w.message).removeprefix(f"{older}: ").split(":")[0] for w in caught}
    expected = {"optimise.levers", "optimise.shares", "optimise.start_weeks", "optimise.budget",
                "optimise.shares.search_ads", "optimise.constraints.retention_yearly"}  # fmt: skip
    assert warned == expected, f"expected a warning naming the file and each older key, got {warned}"
    newer = write_scenario(
        "[optimise]\nbudget = {low = 100, high = 900}\nconstraints = {retention_yearly = {low = 0.8}}\n"
        "[optimise.decisions]\nsearch_ads = {share = {high = 0.5}}\n"
        "referral_programme = {start_week = {low = 0, high = 52}}\n"
    )
    assert read == load_scenario(newer).optimise, (
        "expected the older and the newer forms to give the same settings"
    )
    assert read.decision_list() == [
        Decision("search_ads", (0.0, 0.5)),
        Decision("referral_programme", (0.0, 1.0), (0, 52)),
    ], f"unexpected decisions {read.decision_list()}"


def test_command_line_text_becomes_settings():
    settings_ = settings_from_options(
        uncertainties=[
            "firms.rival.strategy=relations,conquest",
            "behaviours.adoption.word_of_mouth=0.005:0.02",
        ],
        budget="1000:3000",
        start_weeks=["referral_programme=0:52"],
        constraints=["cac<=150", "cac>=1"],
    )
    assert settings_ == {
        "budget": {"low": 1000.0, "high": 3000.0},
        "start_weeks": {"referral_programme": {"low": 0, "high": 52}},
        "constraints": {"cac": {"high": 150.0, "low": 1.0}},
        "uncertainties": {
            "firms.rival.strategy": ["relations", "conquest"],
            "behaviours.adoption.word_of_mouth": {"low": 0.005, "high": 0.02},
        },
    }, f"unexpected settings {settings_}"
    with pytest.raises(ScenarioError, match="--constraint 'cac<150': expected METRIC>=X or METRIC<=X"):
        settings_from_options(constraints=["cac<150"])


def test_market_scenarios_are_the_nominal_market_then_the_design():
    grid = market_scenarios({"a": [1, 2], "b": ["x", "y"]}, 5, seed=1)
    assert grid == [{}, {"a": 1, "b": "x"}, {"a": 1, "b": "y"}, {"a": 2, "b": "x"}, {"a": 2, "b": "y"}], grid
    from sim.scenario import SweepRange

    sampled = market_scenarios({"a": SweepRange(low=0.0, high=1.0), "b": ["x", "y"]}, 6, seed=1)
    assert len(sampled) == 7 and sampled[0] == {}, f"expected the nominal market and 6 samples, got {sampled}"
    assert sorted(p["b"] for p in sampled[1:]) == ["x", "x", "x", "y", "y", "y"], (
        "expected a listed value to take its values in turn along the Latin hypercube"
    )
    assert market_scenarios({"a": SweepRange(low=0.0, high=1.0)}, 6, seed=1) == market_scenarios(
        {"a": SweepRange(low=0.0, high=1.0)}, 6, seed=1
    ), "expected the same markets for the same seed"


def test_market_scenarios_take_a_distribution_through_its_quantiles():
    from sim.design import Distribution

    law = {"dist": "loguniform", "low": 0.002, "high": 0.05}
    sampled = market_scenarios({"behaviours.adoption.word_of_mouth": law}, 5, seed=2)
    same_design = market_scenarios(
        {"behaviours.adoption.word_of_mouth": {"low": 0.0, "high": 1.0}}, 5, seed=2
    )
    expected = [
        Distribution.model_validate(law).at(m["behaviours.adoption.word_of_mouth"]) for m in same_design[1:]
    ]
    got = [m["behaviours.adoption.word_of_mouth"] for m in sampled[1:]]
    assert got == pytest.approx(expected), (
        "expected the Latin hypercube's coordinates as the distribution's quantiles"
    )
    assert all(0.002 <= v <= 0.05 for v in got), f"expected values within the support, got {got}"


def test_pareto_mask_keeps_exactly_the_undominated_points():
    points = np.array([[1.0, 5.0], [2.0, 4.0], [1.5, 3.0], [3.0, 1.0], [np.nan, 9.0]])
    assert pareto_mask(points, [False, False]).tolist() == [True, True, False, True, False]
    assert pareto_mask(points, [True, False]).tolist() == [True, False, False, False, False], (
        "expected only the lowest first value with the highest second when the first is minimised"
    )


# --------------------------------------------------------------------------- the search


def test_the_search_finds_the_lever_that_dominates_by_construction(found):
    result, _ = found
    shares = result.best.shares
    # Measured with these settings and sampler seeds 1-5: the best plan put 0.81, 0.89, 0.87, 0.96
    # and 0.97 of the budget on search ads (an even split would put a third); 0.75 leaves margin.
    assert shares["search_ads"] >= 0.75, f"expected most of the budget on search ads, got {shares}"
    assert shares["search_ads"] == max(shares.values()), f"expected search ads the largest share, {shares}"
    best_row = result.trace[result.trace["trial"] == result.info["best"]["trial"]].iloc[0]
    assert best_row["customers_end"] == result.trace["customers_end"].max(), (
        "expected the reported plan to be the best candidate evaluated"
    )


def test_the_result_prints_draws_and_writes_itself(found, tmp_path):
    from sim.optimise import format_optimisation
    from sim.workflow import WorkflowResult

    result, _ = found
    assert isinstance(result, WorkflowResult), "expected the result of every workflow's shape"
    assert result.table() == format_optimisation(result), "expected format_optimisation to be the table"
    assert result.table().startswith("Optimised plan for firm 'us'"), result.table()[:80]
    assert list(result.figures()) == ["search"], (
        f"expected one objective, one market: {list(result.figures())}"
    )
    result.write(tmp_path, figures=False)
    for name in ("optimisation.json", "trace.csv", "references.csv", "best.toml", "manifest.json"):
        assert (tmp_path / name).exists(), f"expected {name} written"


def test_every_candidate_respects_the_budget_and_the_plan_is_confirmed_on_fresh_seeds(found):
    result, _ = found
    share_columns = [c for c in result.trace.columns if c.startswith("share_")]
    totals = result.trace[share_columns].sum(axis=1)
    assert np.allclose(totals, 1.0), (
        f"expected every candidate to spend the whole budget, got {totals.tolist()}"
    )
    confirmation = result.info["confirmation"]
    assert set(confirmation["seeds"]).isdisjoint(result.info["seeds"]), (
        "expected the best plan confirmed on seeds the search never saw"
    )
    differences = confirmation["metrics"]["customers_end"]["differences"]
    assert set(differences) == {"conquest", "relations", "balanced", "neglect", "adaptive", "file"}, (
        differences
    )


def test_the_budget_and_start_weeks_are_searched_within_their_ranges(dominant):
    search = {
        **SEARCH,
        "trials": 6,
        "confirm_runs": 2,
        "budget": [50, 200],
        "start_weeks": {"social_ads": [2, 8]},
    }
    result = optimise(dominant.with_overrides({"run.weeks": 12}), "us", search, jobs=1)
    trace = result.trace
    assert trace["budget"].between(50, 200).all(), (
        f"expected budgets in [50, 200], got {trace['budget'].tolist()}"
    )
    assert trace["start_social_ads"].between(2, 8).all(), (
        f"expected starts in [2, 8], got {trace['start_social_ads'].tolist()}"
    )
    assert trace["budget"].nunique() > 1 and trace["start_social_ads"].nunique() > 1, "expected both searched"
    firm = result.scenario.firms["us"]
    assert firm.budget == result.best.budget and firm.params == {
        "start_social_ads": result.best.starts["social_ads"]
    }, f"expected the best budget and start week written into the scenario, got {firm}"


def test_outcome_constraints_are_never_violated_by_the_reported_plan(found, dominant):
    # A ceiling on customers at the median of the unconstrained search's candidates: the best
    # plans break it, so the reported plan must give up customers (the objective) to stay under.
    ceiling = float(found[0].trace["mean_customers_end"].median())
    constrained = {**SEARCH, "trials": 12, "constraints": {"customers_end": {"max": ceiling}}}
    result = optimise(dominant, "us", constrained, jobs=1)
    trace = result.trace
    assert (trace.loc[trace["feasible"], "mean_customers_end"] <= ceiling).all(), "a feasible row broke it"
    assert (~trace["feasible"]).any(), "expected some candidates to break the ceiling (else it tests nothing)"
    best = trace[trace["trial"] == result.info["best"]["trial"]].iloc[0]
    assert best["feasible"] and best["mean_customers_end"] <= ceiling, (
        f"expected the reported plan under the ceiling {ceiling}, got {best['mean_customers_end']}"
    )


def test_an_interrupted_search_resumes_with_the_same_result_on_two_processes(dominant, tmp_path):
    """Interrupted on one process, resumed on two: only the missing runs are computed and the
    result equals an uninterrupted search's (same seed, same result, whatever the processes)."""
    short = dominant.with_overrides({"run.weeks": 12})
    search = {**SEARCH, "trials": 8, "confirm_runs": 2}
    uninterrupted = optimise(short, "us", search, jobs=1)
    computed = []

    def interrupt(run):
        computed.append(run.spec.label)
        if len(computed) == 20:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        optimise(short, "us", search, out=tmp_path, jobs=1, on_result=interrupt)
    finished = len(list(RunCache(tmp_path).root.glob("*/seed-*")))
    assert finished == 20, f"expected the 20 runs finished before the interruption kept, got {finished}"
    computed.clear()
    resumed = optimise(short, "us", search, out=tmp_path, jobs=2, on_result=computed.append)
    total = 8 * 2 + 6 * 2 + 7 * 2  # candidates, references on the search seeds, confirmation
    assert len(computed) == total - 20, (
        f"expected only the {total - 20} missing runs computed, got {len(computed)}"
    )
    assert resumed.trace.equals(uninterrupted.trace), "expected the same candidates and scores"
    assert resumed.info["confirmation"] == uninterrupted.info["confirmation"], (
        "expected the same confirmation"
    )
    assert resumed.best == uninterrupted.best, "expected the same best plan"


def test_pareto_front_and_robust_choice(dominant, tmp_path):
    from sim.optimise import write_optimisation

    search = {
        **SEARCH,
        "objectives": ["customers_end", "spend"],
        "levers": ["search_ads", "social_ads", "loyalty_rewards"],
        "spend_all": False,
        "trials": 10,
        "confirm_runs": 2,
        "uncertainties": {"behaviours.adoption.word_of_mouth": [0.03]},
    }
    result = optimise(dominant.with_overrides({"run.weeks": 16}), "us", search, jobs=1)
    front = result.trace[result.trace["pareto"]]
    assert len(front) >= 2, f"expected a front of several plans, got {len(front)}"
    for _, row in front.iterrows():
        dominated = (
            (result.trace["customers_end"] >= row["customers_end"])
            & (result.trace["spend"] <= row["spend"])
            & (
                (result.trace["customers_end"] > row["customers_end"])
                | (result.trace["spend"] < row["spend"])
            )
            & result.trace["feasible"]
        )
        assert not dominated.any(), f"trial {row['trial']} is on the front but dominated"
    assert result.info["markets"] == [{}, {"behaviours.adoption.word_of_mouth": 0.03}], (
        "expected the nominal market and the listed one"
    )
    robust = result.info["robust"]
    feasible = result.trace[result.trace["feasible"]]
    assert robust["best_on_downside"]["downside"] == feasible["downside_customers_end"].max(), (
        "expected the robust choice to be the plan with the best worst market"
    )
    write_optimisation(result, tmp_path)
    for name in ("pareto.png", "robustness.png", "search.png"):
        assert (tmp_path / "figures" / name).stat().st_size > 10_000, f"expected figures/{name}"


def test_command_writes_a_runnable_best_plan_and_bad_input_exits_2(tmp_path, capsys):
    out = tmp_path / "optimise"
    args = [f"--set={k}={v}" for k, v in DOMINANT.items()]
    status = main(
        ["optimise", str(CVR), "--firm", "us", *args, "--objective", "customers_end", "--lever", "search_ads",
         "--lever", "social_ads", "--spend-all", "--trials", "4", "--runs", "2", "--confirm-runs", "2",
         "--jobs", "1", "--out", str(out), "--quiet"]
    )  # fmt: skip
    assert status == 0, "expected success"
    info = json.loads((out / "optimisation.json").read_text())
    assert info["best"]["plan"]["shares"], "expected a best plan in optimisation.json"
    best = load_scenario(out / "best.toml")
    assert best.firms["us"].strategy == "sim.optimise:BudgetPlan", "expected the plan as the firm's strategy"
    assert best.firms["us"].split == info["best"]["plan"]["shares"], "expected the plan's shares written in"
    assert simulate(best).summary["firms"]["us"]["spend"] > 0, "expected the written plan to run and spend"
    for name in ("trace.csv", "trace.parquet", "references.csv", "figures/search.png"):
        assert (out / name).exists(), f"expected {name}"
    status = main(["optimise", str(CVR), "--share", "search_ads=0.5", "--out", str(tmp_path / "bad")])
    assert status == 2, "expected exit status 2 for a malformed --share"
    assert "--share 'search_ads=0.5': expected LEVER=MIN:MAX" in capsys.readouterr().err
    assert not (tmp_path / "bad").exists(), "expected nothing written for bad input"
