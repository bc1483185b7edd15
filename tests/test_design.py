"""The design vocabulary: every outcome a run measures is declared exactly once (checked against a
real run, both ways), ranges and distributions mean what they say, the older ways of writing an
experiment table are found and still read, and the foundation imports nothing above it."""

from __future__ import annotations

import subprocess
import sys

import pytest

from sim import ScenarioError, load_scenario, simulate
from sim.design import (
    CATEGORIES,
    CHANNELS,
    LEVERS,
    OUTCOMES,
    REASONS,
    RESPONSES,
    STAGES,
    TABLES,
    WEEKLY,
    Bounds,
    Constraint,
    Decision,
    Distribution,
    OptimiseConfig,
    Range,
    SweepConfig,
    Uncertainty,
    check_uncertainties,
    older_forms,
    outcome,
)

from .helpers import BASELINE, ROOT


@pytest.fixture(scope="module")
def run():
    """A short run of a scenario where every behaviour is on (the summary's keys do not depend on
    what happened in it, only on what the model records)."""
    return simulate(load_scenario(ROOT / "scenarios" / "hotel.toml", {"market.size": 300, "run.weeks": 3}))


# --------------------------------------------------------------------------- outcomes


def test_every_summary_metric_is_declared_exactly_once_and_every_declaration_is_a_metric(run):
    from sim.statistics import scalar_metrics

    for firm, summary in run.summary["firms"].items():
        measured = list(scalar_metrics(summary))
        assert len(measured) == len(set(measured)), f"expected distinct metric names for {firm}"
        undeclared = [name for name in measured if name not in OUTCOMES]
        stale = [name for name in OUTCOMES if name not in measured]
        assert not undeclared, f"firm {firm}: metrics of the summary without a declaration: {undeclared}"
        assert not stale, f"firm {firm}: declarations that are not metrics of the summary: {stale}"
        tables = {name for name, value in summary.items() if isinstance(value, dict)}
        assert tables == set(TABLES), f"expected the nested tables {sorted(TABLES)}, got {sorted(tables)}"


def test_every_weekly_column_is_declared_in_order_with_its_stock_or_flow_nature(run):
    columns = [c for c in run.timeseries.columns if c not in ("week", "firm")]
    assert columns == list(WEEKLY), (
        f"expected the weekly columns in the declared order; only in the run: {set(columns) - set(WEEKLY)}, "
        f"only declared: {set(WEEKLY) - set(columns)}"
    )
    # The rule calibration used before the declaration: these prefixes are stocks (a month is a
    # mean), the rest flows; a rating or a share cannot be summed over firms.
    # Issue 18's penetration columns are stocks too; a mean per customer cannot be summed.
    # Issue 18's price and in_market (a firm's state in the week) are stocks that cannot be summed.
    prefixes = ("customers", "dormant", "rating", "market_share", "prospects_", "products_", "spend_level_")
    prefixes += ("price", "in_market")
    stocks = {c for c in columns if c.startswith(prefixes)}
    assert {c for c, s in WEEKLY.items() if s.stock} == stocks, "expected the same stocks as the prefix rule"
    unsummable = {
        "rating",
        "market_share",
        "products_per_customer",
        "spend_level_per_customer",
        "price",
        "in_market",
    }
    assert {c for c, s in WEEKLY.items() if not s.summable} == unsummable, f"expected {sorted(unsummable)}"


def test_the_statistics_read_each_direction_from_the_one_declaration():
    from sim.statistics import LOWER_IS_BETTER, lower_is_better

    # Costs and losses are lower-is-better, gains higher; a table's keys follow their table; a name
    # nobody declared (a custom measurement) counts as higher-is-better.
    expected = {"cac": True, "cac_fully_loaded": True, "payback_weeks": True, "churned_by_reason.died": True,
                "profit": False, "customer_equity": False, "ltv_net": False, "acquired_by_channel.search": False,
                "not_a_declared_metric": False}  # fmt: skip
    got = {name: lower_is_better(name) for name in expected}
    assert got == expected, f"expected the directions {expected}, got {got}"
    assert {"cac", "churned_by_reason"} <= LOWER_IS_BETTER and "profit" not in LOWER_IS_BETTER


def test_an_outcome_has_a_unit_a_direction_and_a_description():
    for name, declared in OUTCOMES.items():
        assert declared.name == name and declared.unit and declared.description, (
            f"incomplete declaration {declared}"
        )
        assert declared.direction in ("higher", "lower"), f"{name}: direction {declared.direction!r}"
    assert outcome("cac").sense == "minimize" and outcome("profit").sense == "maximize", (
        "expected optuna's words"
    )
    assert outcome("profit").better(2.0, 1.0) and outcome("cac").better(1.0, 2.0), (
        "expected better by direction"
    )
    with pytest.raises(KeyError, match="'profitt' is not a per-firm outcome; outcomes: customers_start"):
        outcome("profitt")


def test_the_names_of_the_nested_tables_are_the_engines():
    from sim.agents.customers import CATEGORY_NAMES, CHANNEL_NAMES, REASON_NAMES, RESPONSE_NAMES, STAGE_NAMES
    from sim.scenario import LeversConfig
    from sim.strategies.levers import LEVER_NAMES

    assert list(CHANNELS) == [c for c in CHANNEL_NAMES if c != "initial"], "expected the engine's channels"
    assert list(REASONS) == list(REASON_NAMES), "expected the engine's churn reasons"
    assert list(RESPONSES) == list(RESPONSE_NAMES), "expected the engine's responses"
    assert list(CATEGORIES) == list(CATEGORY_NAMES), "expected the engine's churn categories"
    assert list(STAGES) == list(STAGE_NAMES), "expected the engine's buying-cycle stages"
    assert LEVERS == tuple(LeversConfig.model_fields) == tuple(LEVER_NAMES), "expected the scenario's levers"


# --------------------------------------------------------------------------- ranges and uncertainties


def test_a_range_is_low_and_high_and_the_older_forms_still_read():
    assert Range(low=2, high=6).at(0.25) == 3.0, "expected a quarter of the way from low to high"
    with pytest.raises(ValueError, match=r"a range needs low < high, got low=5\.0, high=1\.0"):
        Range(low=5, high=1)
    assert Bounds.model_validate({"min": 0.1, "max": 0.4}) == Bounds(low=0.1, high=0.4), (
        "expected {min, max} read"
    )
    assert Bounds(high=0.5).contains(0.0) and not Bounds(high=0.5).contains(0.6), "expected an open floor"
    with pytest.raises(ValueError, match="give low, high or both"):
        Bounds()
    with pytest.raises(ValueError, match="not both"):
        Bounds.model_validate({"min": 0.1, "low": 0.2})
    assert OptimiseConfig(budget=[100, 200]).budget == Range(low=100, high=200), "expected [low, high] read"


@pytest.mark.parametrize(
    ("dist", "expected_mean"),
    [
        ({"dist": "uniform", "low": 2.0, "high": 6.0}, 4.0),
        ({"dist": "triangular", "low": 0.0, "mode": 1.0, "high": 4.0}, 5.0 / 3.0),
        # loguniform on [a, b]: mean (b - a) / ln(b / a)
        ({"dist": "loguniform", "low": 0.001, "high": 0.1}, 0.099 / 4.605170185988091),
    ],
)
def test_a_distribution_is_sampled_through_its_quantiles(dist, expected_mean):
    law = Distribution.model_validate(dist)
    assert law.at(0.0) == pytest.approx(law.low) and law.at(1.0) == pytest.approx(law.high), (
        "expected the support"
    )
    quantiles = [law.at((i + 0.5) / 20_000) for i in range(20_000)]
    assert quantiles == sorted(quantiles), "expected the quantile function to increase"
    mean = sum(quantiles) / len(quantiles)
    # The midpoint rule over 20,000 quantiles: an error of order 1/n^2 of the spread, far below 1e-4.
    assert mean == pytest.approx(expected_mean, rel=1e-4), f"expected the mean {expected_mean}, got {mean}"


def test_a_distribution_refuses_what_it_cannot_be():
    for bad, message in [
        ({"dist": "triangular", "low": 0, "high": 1}, "needs low <= mode <= high"),
        ({"dist": "loguniform", "low": 0, "high": 1}, "needs low > 0"),
        ({"dist": "uniform", "low": 0, "high": 1, "mode": 0.5}, "takes low and high, not mode"),
        ({"dist": "normal", "low": 0, "high": 1}, r"Input should be 'uniform', 'triangular' or 'loguniform'"),
    ]:
        with pytest.raises(ValueError, match=message):
            Distribution.model_validate(bad)


def test_an_uncertainty_is_a_key_and_a_range_values_or_a_distribution():
    listed = Uncertainty.of("firms.rival.strategy", ["relations", "conquest"])
    assert not listed.sampled and listed.ends() == ("relations", "conquest"), "expected listed values"
    assert [listed.at(u) for u in (0.0, 0.49, 0.5, 1.0)] == ["relations", "relations", "conquest", "conquest"]
    ranged = Uncertainty.of("firms.rival.price", {"low": 30, "high": 50})
    assert ranged.sampled and ranged.at(0.5) == 40.0 and ranged.written() == {"low": 30.0, "high": 50.0}
    law = Uncertainty.of(
        "behaviours.adoption.word_of_mouth", {"dist": "loguniform", "low": 0.001, "high": 0.1}
    )
    assert law.distribution is not None and law.at(0.5) == pytest.approx(0.01), (
        "expected the geometric middle"
    )


def test_varied_keys_are_checked_against_the_scenario():
    scenario = load_scenario(BASELINE)
    fine = check_uncertainties(scenario, {"firms.us.budget": {"low": 0, "high": 900}}, "--param")
    assert fine == [Uncertainty("firms.us.budget", range=Range(low=0, high=900))], f"unexpected {fine}"
    for form, message in [
        ({"low": 0, "high": 2e12}, r"high: must be at most 1e\+12 in size"),
        (
            {"low": -5, "high": 10},
            r"at -5\.0: firms\.us\.budget = -5\.0: Input should be greater than or equal to 0",
        ),
        (
            {"dist": "triangular", "low": 0, "mode": 5, "high": 2},
            "a triangular distribution needs low <= mode <= high",
        ),
        ([5, 1], "a range needs low < high"),
    ]:
        with pytest.raises(ScenarioError, match=message) as error:
            check_uncertainties(scenario, {"firms.us.budget": form}, "--param")
        assert str(error.value).startswith(f"{BASELINE}: --param firms.us.budget = "), str(error.value)


def test_a_decision_is_a_lever_with_a_share_and_perhaps_a_start_week():
    decision = Decision.of(
        "referral_programme", {"share": {"low": 0.1}, "start_week": {"low": 0, "high": 52}}
    )
    assert decision == Decision("referral_programme", (0.1, 1.0), (0, 52)), f"unexpected {decision}"
    assert OptimiseConfig().decision_list() == [Decision(lever) for lever in LEVERS], "expected every lever"


def test_a_constraint_is_kept_or_missed_by_how_much():
    floor = Constraint.of("retention_yearly", {"low": 0.8})
    assert floor.violation(0.9) == -1.0 and floor.violation(0.7) == pytest.approx(0.1), "expected the miss"
    assert floor.violation(float("nan")) == 1e12, "expected an undefined value to miss by a lot"
    assert Constraint("cac", low=1.0, high=150.0).describe() == "cac >= 1 and <= 150"


# --------------------------------------------------------------------------- the tables of a file


def test_the_older_ways_of_writing_the_tables_are_found():
    found = dict(
        older_forms(
            {
                "sweep": {"keys": {"market.size": [1000, 2000]}},
                "sensitivity": {"parameters": {"firms": {"us": {"budget": [0, 9]}}}},
                "optimise": {"levers": ["search_ads"], "budget": [1, 2], "constraints": {"cac": {"max": 9}}},
            }
        )
    )
    assert set(found) == {
        "sweep.keys", "sensitivity.parameters", "sensitivity.parameters.firms.us.budget", "optimise.levers",
        "optimise.budget", "optimise.constraints.cac",
    }, f"unexpected {sorted(found)}"  # fmt: skip
    assert older_forms({"sweep": {"uncertainties": {"market.size": [1000, 2000]}}}) == [], (
        "expected a grid's list of values not taken for an older range"
    )


def test_the_sweep_table_has_one_name_and_refuses_a_distribution():
    older = SweepConfig.model_validate({"keys": {"market.size": [1000, 2000]}})
    newer = SweepConfig.model_validate({"uncertainties": {"market.size": [1000, 2000]}})
    assert older == newer and older.keys == newer.uncertainties, "expected keys read as uncertainties"
    with pytest.raises(ValueError, match="not both"):
        SweepConfig.model_validate({"keys": {"a": [1]}, "uncertainties": {"a": [1]}})
    with pytest.raises(ValueError, match="not a distribution"):
        SweepConfig.model_validate(
            {"method": "lhs", "samples": 3, "uncertainties": {"a": {"dist": "uniform", "low": 0, "high": 1}}}
        )


# --------------------------------------------------------------------------- layers


def _modules_after(statement: str) -> set[str]:
    code = f"import sys; {statement}; print(' '.join(sorted(m for m in sys.modules if m.startswith('sim'))))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    return set(done.stdout.split())


def test_the_design_vocabulary_imports_nothing_above_the_foundation():
    loaded = _modules_after("import sim.design")
    above = {
        m for m in loaded if not m.startswith(("sim.design", "sim.values", "sim.lifeline")) and m != "sim"
    }
    assert not above, f"expected sim.design to import only the foundation, it imported {sorted(above)}"


def test_reading_a_scenario_with_experiment_tables_imports_no_workflow():
    loaded = _modules_after(
        "from sim.scenario import load_scenario; load_scenario('scenarios/research.toml'); "
        "load_scenario('scenarios/what_if.toml'); load_scenario('scenarios/conquest_vs_relations.toml')"
    )
    workflows = {"sim.experiments", "sim.sensitivity", "sim.optimise", "sim.calibration", "sim.simulation",
                 "sim.report", "sim.plots", "sim.cli", "sim.facts", "sim.transactions"}  # fmt: skip
    assert not loaded & workflows, (
        f"expected no workflow imported to read scenarios, got {sorted(loaded & workflows)}"
    )
