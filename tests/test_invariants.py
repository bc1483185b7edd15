"""Invariants that hold for any scenario: generated at random by hypothesis on small markets."""

import json

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim import CustomerMarket, Scenario, collect
from sim.agents.customers import NO_FIRM, Status
from sim.strategies.levers import LEVER_NAMES, in_schedule

NETWORKS = st.sampled_from(
    [
        {"type": "watts_strogatz", "mean_degree": 4, "rewire": 0.2},
        {"type": "barabasi_albert", "attach": 2},
        {"type": "erdos_renyi", "mean_degree": 5},
        {"type": "complete"},
    ]
)


BUDGETS = st.one_of(st.sampled_from([0.0, 50.0, 500.0, 5000.0]), st.floats(0, 5000))


@st.composite
def splits(draw):
    """Shares of the budget over any of the levers, summing to at most 1."""
    levers = draw(st.lists(st.sampled_from(LEVER_NAMES), unique=True, max_size=len(LEVER_NAMES)))
    weights = [draw(st.floats(0, 1)) for _ in levers]
    total = draw(st.floats(0, 1))
    # Not > 0: subnormal weights (5e-324) would make the scale overflow to inf.
    scale = total / sum(weights) if sum(weights) > 1e-9 else 0.0
    return {lever: weight * scale for lever, weight in zip(levers, weights, strict=True)}


@st.composite
def events(draw, weeks: int, firms: list[str]):
    """A timeline of market events within the run: price moves (steps, ramps, promotions),
    expectations, a downturn, a reputation shock, a channel that appears, a firm that exits, each at
    a week or with a yearly probability (none of them changes a budget, so the weekly spend stays
    within the scenario's budget)."""
    drawn = []
    for index in range(draw(st.integers(0, 4))):
        timing = (
            {"yearly_probability": draw(st.sampled_from([0.5, 1.0]))}
            if draw(st.booleans())
            else {"week": draw(st.integers(1, weeks))}
        )
        kind = draw(
            st.sampled_from(["change", "expectations", "downturn", "reputation_shock", "channel", "exit"])
        )
        firm = draw(st.sampled_from(firms))
        if kind == "change":
            what = {"key": f"firms.{firm}.price", "value": draw(st.floats(1, 100)),
                    "ramp_weeks": draw(st.integers(0, 5))}  # fmt: skip
            if "week" in timing and draw(st.booleans()):  # a promotion: back to the old price after it
                first = timing.pop("week")
                timing["window"] = [first, min(first + draw(st.integers(1, 5)), weeks + 1)]
                if timing["window"][0] >= timing["window"][1]:
                    timing = {"week": first}
        elif kind == "expectations":
            what = {"yearly_change": draw(st.floats(-0.5, 2))}
        elif kind == "downturn":
            what = {"spending_drop": draw(st.floats(0, 0.9)), "price_sensitivity_rise": draw(st.floats(0, 2)),
                    "weeks": draw(st.integers(1, 10))}  # fmt: skip
        elif kind == "reputation_shock":
            what = {"firm": firm, "failure_rate": draw(st.floats(0.01, 1)), "weeks": draw(st.integers(1, 10))}
        elif kind == "channel":
            what = {"lever": draw(st.sampled_from(LEVER_NAMES)), "appears": True,
                    "yearly_cost_change": draw(st.floats(-0.5, 2))}  # fmt: skip
        else:
            if any(e.get("kind") == "exit" and e.get("firm") == firm for e in drawn):
                continue
            what = {"firm": firm}
        drawn.append({"name": f"event{index}", "kind": kind, **timing, **what})
    return drawn


@st.composite
def responses(draw, firm: dict):
    """A response table for ``firm``: any personality its budget and split allow, with a random
    delay, cool-down and withdrawal."""
    split = firm.get("split")
    funds = firm["budget"] > 0 and firm["strategy"] != "neglect" and (split is None or any(split.values()))
    allowed = ["passive", "price_matcher"] + (["retaliator", "defender", "aggressor"] if funds else [])
    return {
        "personality": draw(st.sampled_from(allowed)),
        "delay": draw(st.integers(0, 3)),
        "cooldown": draw(st.integers(0, 5)),
        "revert_after": draw(st.one_of(st.none(), st.integers(1, 5))),
    }


@st.composite
def scenarios(draw):
    n_firms = draw(st.integers(1, 3))
    firms = {}
    for index in range(n_firms):
        firms[f"firm{index}"] = {
            "strategy": draw(st.sampled_from(["neglect", "conquest", "relations", "balanced", "adaptive"])),
            "budget": draw(BUDGETS),
            "price": draw(st.floats(10, 80)),
            "quality": draw(st.floats(0.2, 1.0)),
            "failure_rate": draw(st.floats(0, 0.3)),
            "initial_share": draw(st.floats(0, 0.3 / n_firms)),
        }
        if draw(st.booleans()):  # a custom split over any of the levers (adaptive takes none)
            firms[f"firm{index}"]["strategy"] = draw(st.sampled_from(["neglect", "balanced"]))
            firms[f"firm{index}"]["split"] = draw(splits())
        if n_firms > 1 and draw(
            st.booleans()
        ):  # a rival that responds (what it may do depends on its budget)
            firms[f"firm{index}"]["response"] = draw(responses(firms[f"firm{index}"]))
    behaviours = {
        name: {"enabled": draw(st.booleans())}
        for name in (
            "adoption",
            "referral",
            "purchase",
            "experience",
            "appreciation",
            "churn",
            "partial_churn",
            "dormancy",
        )
    }
    behaviours["churn"]["unappreciated_rate"] = draw(st.sampled_from([0.011, 0.2]))
    behaviours["adoption"]["awareness_required"] = draw(st.booleans())
    behaviours["dormancy"]["weeks"] = draw(st.integers(1, 8))  # dormancy within a short run
    levers = {
        lever: {
            "pulse_on": draw(st.integers(1, 4)),
            "pulse_off": draw(st.integers(0, 4)),
            "start_week": draw(st.integers(0, 5)),
        }
        for lever in draw(st.lists(st.sampled_from(LEVER_NAMES), unique=True, max_size=6))
    }
    weeks = draw(st.integers(1, 30))
    return Scenario.model_validate(
        {
            "run": {"weeks": weeks, "seed": draw(st.integers(0, 10_000))},
            "events": draw(events(weeks, list(firms))),
            "market": {"size": draw(st.integers(20, 400))},
            "network": draw(NETWORKS),
            "firms": firms,
            "behaviours": behaviours,
            "levers": levers,
        }
    )


def check_population(market: CustomerMarket) -> None:
    c = market.customers
    assert np.isin(c.status, [Status.PROSPECT, Status.ACTIVE, Status.DORMANT]).all(), (
        "expected a known status"
    )
    prospects = c.status == Status.PROSPECT
    assert (c.firm[prospects] == NO_FIRM).all(), "expected prospects to buy from no firm"
    assert (c.firm[~prospects] >= 0).all(), "expected every customer to belong to exactly one firm"
    assert len(np.unique(c.person_id)) == c.size, "expected each slot to hold a different person"
    assert ((c.appreciation >= 0) & (c.appreciation <= 1)).all(), "expected appreciation in [0, 1]"
    assert ((c.satisfaction >= 0) & (c.satisfaction <= 1)).all(), "expected satisfaction in [0, 1]"
    customers = c.firm >= 0
    assert (c.products[customers] >= 1).all(), "expected every customer to hold at least one product"
    # Up-sell raises a spend level up to behaviours.growth.max_spend_level; decreased spend lowers it.
    most = max(1.0, market.scenario.behaviours.growth.max_spend_level)
    assert ((c.spend_level > 0) & (c.spend_level <= np.float32(most))).all(), (
        f"expected spend levels in (0, {most}]"
    )
    dormant = c.status == Status.DORMANT
    assert (c.firm[dormant] >= 0).all(), "expected dormant people to be customers of a firm"
    if not market.scenario.behaviours.dormancy.enabled:
        assert not dormant.any(), "expected no dormant customers with dormancy disabled"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_invariants_hold_for_random_scenarios(scenario):
    market = CustomerMarket(scenario)
    check_population(market)
    while market.running:
        market.step()
        check_population(market)
    result = collect(market)
    series = result.timeseries
    json.dumps(result.summary, allow_nan=False)  # raises on NaN or infinity

    for name, firm in result.summary["firms"].items():
        config = scenario.firms[name]
        released = firm["released_on_exit"]
        assert (
            firm["customers_end"] == firm["customers_start"] + firm["acquired"] - firm["churned"] - released
        ), f"expected customers at the end = start + acquired - churned - released (a closed firm) for {name}"
        assert sum(firm["churned_by_reason"].values()) == firm["churned"], (
            "expected reasons to sum to churned"
        )
        assert sum(firm["acquired_by_channel"].values()) == firm["acquired"], (
            "expected channels to sum to acquired"
        )
        assert np.isclose(sum(firm["spend_by_lever"].values()), firm["spend"]), (
            "expected spend = sum of lever spend"
        )
        weekly = series[series["firm"] == name]
        # A response may raise the budget up to its cap (times the planned budget), never beyond.
        rules = config.response.all_rules() if config.response else []
        cap = max([a.cap for r in rules for a in r.then if a.kind == "raise_budget"], default=1.0)
        assert (weekly["spend"] <= config.budget * cap * (1 + 1e-9) + 1e-9).all(), (
            f"expected weekly spend <= budget x {cap:g} (a response's cap)"
        )
        lever_sum = weekly[[f"spend_{lever}" for lever in LEVER_NAMES]].sum(axis=1)
        assert np.allclose(lever_sum, weekly["spend"]), "expected weekly spend = sum of its levers"
        flows = weekly["customers"].diff().iloc[1:].to_numpy()
        net = (weekly["new_customers"] - weekly["churned"] - weekly["released"]).iloc[1:].to_numpy()
        assert (flows == net).all(), "expected each week's change in customers = new - churned - released"
        closed = ~weekly["in_market"].to_numpy()
        assert (weekly.loc[closed, "customers"] == 0).all(), (
            f"expected {name} to hold nobody while out of the market"
        )
        assert (weekly.loc[closed, "spend"] == 0).all(), (
            f"expected {name} to spend nothing while out of the market"
        )
        check_lifecycle(scenario, name, firm, weekly)

    people = result.customers
    assert people["id"].is_unique, "expected one row per person"
    assert (people["status"] != "departed").sum() == scenario.market.size, (
        "expected one current person per slot"
    )


def check_lifecycle(scenario: Scenario, name: str, firm: dict, weekly) -> None:
    """Partial churn, dormancy, reactivation and lever schedules of one firm's results."""
    for total, table in (
        ("product_churned", "product_churned_by_reason"),
        ("spend_decreased", "spend_decreased_by_reason"),
    ):
        assert sum(firm[table].values()) == firm[total], f"expected {name}'s {table} to sum to {total}"
        assert weekly[total].iloc[1:].sum() == firm[total], f"expected weekly {total} to sum to the total"
        if not scenario.behaviours.partial_churn.enabled:
            assert firm[total] == 0, f"expected no {total} with partial churn disabled"
    assert firm["churn_by_category"] == {
        "account": firm["churned"],
        "product": firm["product_churned"],
        "spend": firm["spend_decreased"],
    }, f"expected {name}'s churn by category to restate the totals"
    assert (weekly["dormant"] <= weekly["customers"]).all(), "expected dormant customers <= customers"
    assert (weekly["dormant"] <= weekly["became_dormant"].cumsum()).all(), (
        "expected no more dormant customers than ever became dormant"
    )
    responses = firm["reactivation_responses"]
    assert sum(responses.values()) == firm["reactivation_contacts"], "expected responses to sum to contacts"
    assert responses["positive"] == firm["reactivated"], "expected each positive response to reactivate"
    assert weekly["reactivation_contacts"].iloc[1:].sum() == firm["reactivation_contacts"]
    for lever in LEVER_NAMES:
        config = getattr(scenario.levers, lever)
        off = [not in_schedule(config, week) for week in weekly["week"]]
        assert (weekly.loc[off, f"spend_{lever}"] == 0).all(), (
            f"expected {name} to spend nothing on {lever} outside its schedule"
        )
