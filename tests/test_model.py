"""The model as Mesa users and notebook authors use it: stepping, switches, the Python API."""

import json

import mesa
import numpy as np
import pandas as pd
import pytest

from sim import CustomerMarket, Strategy, collect, load_scenario, simulate
from sim.agents.firm import Firm

from .helpers import BASELINE, CONQUEST_VS_RELATIONS, small


def test_market_is_a_mesa_model_with_firms_as_agents():
    market = CustomerMarket(small())
    assert isinstance(market, mesa.Model)
    assert all(isinstance(agent, Firm) and isinstance(agent, mesa.Agent) for agent in market.agents)
    assert [f.name for f in market.firms] == ["us", "rival"]


def test_stepping_by_hand_equals_simulate():
    scenario = small(run__weeks=20)
    market = CustomerMarket(scenario)
    for week in range(1, 21):
        market.step()
        assert market.week == week
    assert not market.running, "expected the model to stop after run.weeks"
    assert collect(market).summary == simulate(scenario).summary, "expected step() x 20 to equal simulate()"


def test_week_zero_holds_the_initial_customers():
    result = simulate(small(run__weeks=3))
    first = result.timeseries[result.timeseries["week"] == 0].set_index("firm")
    for name, firm in result.summary["firms"].items():
        assert first.loc[name, "customers"] == firm["customers_start"]
        # 10% initial share of 2,000 people: binomial sd ~13, so within 60 of 200.
        assert abs(firm["customers_start"] - 200) < 60, f"expected about 200 initial customers, got {firm}"


@pytest.mark.parametrize(
    ("behaviour", "measure"),
    [
        (
            "adoption",
            lambda f: (
                f["acquired"] - f["acquired_by_channel"]["switch"] - f["acquired_by_channel"]["referral"]
            ),
        ),
        ("referral", lambda f: f["referrals_made"] + f["acquired_by_channel"]["referral"]),
        ("purchase", lambda f: f["revenue"]),
        ("churn", lambda f: f["churned"]),
        ("experience", lambda f: f["complaints"]),
    ],
)
def test_every_behaviour_can_be_switched_off(behaviour, measure):
    on = simulate(small(CONQUEST_VS_RELATIONS)).summary["firms"]["rival"]
    off = simulate(small(CONQUEST_VS_RELATIONS, **{f"behaviours__{behaviour}__enabled": False}))
    off = off.summary["firms"]["rival"]
    assert measure(on) > 0, f"expected {behaviour} to do something when on"
    assert measure(off) == 0, f"expected {behaviour} to do nothing when switched off"


def test_switched_off_appreciation_stays_put():
    market = CustomerMarket(small(behaviours__appreciation__enabled=False, run__weeks=10))
    before = market.customers.appreciation.copy()
    customers = market.customers.firm >= 0
    market.step()
    stayed = market.customers.firm >= 0
    both = customers & stayed & (market.customers.acquired_week < 1)
    assert np.array_equal(before[both], market.customers.appreciation[both]), "expected no decay when off"


def test_undefined_metrics_are_null_not_nan(tmp_path):
    scenario = small(behaviours__adoption__enabled=False, behaviours__referral__enabled=False,
                     behaviours__churn__enabled=False, run__weeks=4)  # fmt: skip
    result = simulate(scenario)
    us = result.summary["firms"]["us"]
    assert us["acquired"] == 0 and us["cac"] is None and us["ltv"] is None and us["ltv_cac"] is None
    assert us["cac_by_channel"]["search"] is None
    result.write(tmp_path, figures=False)
    assert "NaN" not in (tmp_path / "summary.json").read_text()
    assert json.loads((tmp_path / "summary.json").read_text())["firms"]["us"]["cac"] is None


def test_customers_table_keeps_people_who_left_the_market():
    result = simulate(small(run__weeks=104))
    people = result.customers
    departed = people[people["status"] == "departed"]
    assert len(departed) > 0, "expected some people to die or move in two years"
    assert set(departed["left_market_reason"]) <= {"died", "moved"}
    assert (people["status"] != "departed").sum() == 2000
    referred = people[people["channel"] == "referral"]
    assert referred["referrer"].notna().all(), "expected referred customers to name their referrer"
    assert referred["referrer"].isin(people["id"]).all(), "expected referrers to be people in the table"


def test_lifetime_value_is_discounted_margin_per_acquired_customer(write_scenario):
    path = write_scenario(
        "[market]\nsize = 1500\n[run]\nweeks = 52\n[firms.solo]\ninitial_share = 0.0\nbudget = 500\nstrategy = 'conquest'\n"
    )
    undiscounted = simulate(load_scenario(path, {"run.discount_rate": 0.0})).summary["firms"]["solo"]
    # With no initial customers, every unit of margin comes from customers won in the run.
    assert np.isclose(undiscounted["ltv"] * undiscounted["acquired"], undiscounted["margin"]), (
        "expected undiscounted LTV x acquired to equal the margin of customers won in the run"
    )
    discounted = simulate(load_scenario(path, {"run.discount_rate": 0.5})).summary["firms"]["solo"]
    assert discounted["margin"] == undiscounted["margin"], "expected discounting to leave margin alone"
    assert discounted["ltv"] < undiscounted["ltv"], "expected discounting to lower lifetime value"


def test_timeseries_is_tidy_and_sums_to_the_summary():
    result = simulate(small(CONQUEST_VS_RELATIONS))
    series = result.timeseries
    assert list(series.columns[:3]) == ["week", "firm", "customers"]
    totals = series.groupby("firm")[["new_customers", "churned", "revenue", "spend"]].sum()
    for name, firm in result.summary["firms"].items():
        assert totals.loc[name, "new_customers"] == firm["acquired"]
        assert totals.loc[name, "churned"] == firm["churned"]
        assert np.isclose(totals.loc[name, "revenue"], firm["revenue"])
        assert np.isclose(totals.loc[name, "spend"], firm["spend"])


class AllSearch(Strategy):
    """A custom strategy for the test: every unit of budget on search ads."""

    def allocate(self, firm, market):
        return {"search_ads": firm.budget}


class Overspender(Strategy):
    def allocate(self, firm, market):
        return {"search_ads": firm.budget * 2}


def test_custom_strategy_objects_and_import_paths():
    result = simulate(small(), strategies={"us": AllSearch()})
    spend = result.summary["firms"]["us"]["spend_by_lever"]
    assert spend["search_ads"] > 0 and spend["social_ads"] == 0, f"expected search only, got {spend}"
    by_path = simulate(small(firms__us__strategy="tests.test_model:AllSearch"))
    assert by_path.summary == result.summary | {"scenario": by_path.summary["scenario"]}, (
        "expected the import path to run the same strategy"
    )


def test_resolved_scenario_records_a_strategy_object_by_its_import_path():
    result = simulate(small(), strategies={"us": AllSearch()})
    assert result.scenario.firms["us"].strategy == "tests.test_model:AllSearch", (
        "expected the resolved scenario to name the strategy class that was run"
    )
    rerun = simulate(load_scenario_from_text(result.scenario.to_toml()))
    assert rerun.summary["firms"] == result.summary["firms"], "expected the resolved scenario to rerun it"


def load_scenario_from_text(text):
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "resolved.toml"
        path.write_text(text)
        return load_scenario(path)


def test_a_strategy_that_overspends_is_stopped_with_a_clear_error():
    with pytest.raises(ValueError, match="more than its weekly budget"):
        simulate(small(), strategies={"us": Overspender()})


def test_adaptive_strategy_moves_budget_to_relations_when_churn_rises():
    calm = simulate(small(firms__us__strategy="adaptive", firms__us__params={"churn_trigger": 0.99}))
    alarmed = simulate(small(firms__us__strategy="adaptive", firms__us__params={"churn_trigger": 0.0}))
    relations = ("loyalty_rewards", "recognition", "personal_offers")
    calm_share = sum(calm.summary["firms"]["us"]["spend_by_lever"][k] for k in relations)
    alarmed_share = sum(alarmed.summary["firms"]["us"]["spend_by_lever"][k] for k in relations)
    assert alarmed_share > 2 * calm_share, "expected the adaptive strategy to defend when churn is high"


def test_load_scenario_and_simulate_from_the_package():
    result = simulate(load_scenario(BASELINE, overrides={"market.size": 300, "run.weeks": 3}), seed=2)
    assert isinstance(result.timeseries, pd.DataFrame) and isinstance(result.customers, pd.DataFrame)
    assert result.summary["seed"] == 2


def test_loyalty_tiers_are_a_fifth_gold_and_a_fifth_bronze_by_spend():
    market = CustomerMarket(small(run__weeks=26))
    for _ in range(26):  # tiers are reviewed every 13 weeks: week 26 is a review
        market.step()
    c = market.customers
    for firm in market.firm_list:
        mine = np.flatnonzero((c.firm == firm.index) & (c.tier > 0))  # switchers this week: no tier yet
        tiers = c.tier[mine]
        counts = {
            name: int((tiers == value).sum()) for name, value in (("gold", 3), ("silver", 2), ("bronze", 1))
        }
        # Tiers are assigned after purchases and before churn, so this week's leavers are gone
        # from the count: allow a few either way of n / 5.
        assert abs(counts["gold"] - mine.size / 5) <= 0.02 * mine.size + 3, (
            f"expected a fifth gold, got {counts}"
        )
        assert abs(counts["bronze"] - mine.size / 5) <= 0.02 * mine.size + 3, (
            f"expected a fifth bronze, got {counts}"
        )
        spend = c.trailing_spend[mine]
        assert spend[tiers == 3].min() >= spend[tiers == 2].max(), (
            "expected every gold to outspend every silver"
        )
        assert spend[tiers == 2].min() >= spend[tiers == 1].max(), (
            "expected every silver to outspend every bronze"
        )
