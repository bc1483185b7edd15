"""Common random numbers: same seed, same numbers; a local change stays local."""

import numpy as np
import pandas as pd

from sim import CustomerMarket, load_scenario, simulate

from .helpers import CONQUEST_VS_RELATIONS, small


def test_same_seed_gives_identical_outputs():
    scenario = small(CONQUEST_VS_RELATIONS)
    a, b = simulate(scenario, seed=5), simulate(scenario, seed=5)
    assert a.summary == b.summary, "expected identical summaries for the same seed"
    pd.testing.assert_frame_equal(a.timeseries, b.timeseries)
    pd.testing.assert_frame_equal(a.customers, b.customers)


def test_different_seeds_give_different_outputs():
    scenario = small(CONQUEST_VS_RELATIONS)
    a, b = simulate(scenario, seed=5), simulate(scenario, seed=6)
    assert a.summary["firms"] != b.summary["firms"], "expected another seed to give other numbers"


def test_scenario_seed_is_the_default_seed():
    scenario = small(run__seed=8)
    assert simulate(scenario).summary == simulate(scenario, seed=8).summary


HISTORY = (
    "firm",
    "status",
    "satisfaction",
    "appreciation",
    "purchases",
    "revenue",
    "churn_week",
    "churn_reason",
)


def _two_communities(tmp_path, size: int) -> str:
    """An edge list of two separate rings with chords, 0..size/2-1 and size/2..size-1."""
    half = size // 2
    lines = []
    for start in (0, half):
        for i in range(half):
            for step in (1, 2, 7):
                lines.append(f"{start + i} {start + (i + step) % half}")
    path = tmp_path / "two_communities.txt"
    path.write_text("\n".join(lines))
    return str(path)


def test_a_change_to_one_person_leaves_unconnected_people_identical(tmp_path):
    size = 1200
    # Couplings through the whole market are switched off: social proof (ratings everyone
    # sees), paid levers (their reach depends on how many are eligible), the penetration term
    # and the tier-downgrade penalty (tiers are ranks among all of a firm's customers). What
    # remains travels only along ties.
    scenario = load_scenario(
        CONQUEST_VS_RELATIONS,
        overrides={
            "market.size": size,
            "run.weeks": 60,
            "network.type": "edge_list",
            "network.path": _two_communities(tmp_path, size),
            "firms.us.strategy": "neglect",
            "firms.rival.strategy": "neglect",
            "behaviours.adoption.social_proof_weight": 0.0,
            "behaviours.appreciation.downgrade_drop": 0.0,
        },
    )
    baseline, changed = CustomerMarket(scenario), CustomerMarket(scenario)
    # A customer at week 0 in the first community, so that the change has something to act on.
    changed_person = int(np.flatnonzero(baseline.customers.firm[: size // 2] >= 0)[0])
    changed.customers.purchase_rate[changed_person] *= 20
    changed.customers.appreciation_decay[changed_person] = 0.5
    histories = {"baseline": [], "changed": []}
    for label, market in (("baseline", baseline), ("changed", changed)):
        while market.running:
            market.step()
            histories[label].append(
                np.stack([getattr(market.customers, k).astype(np.float64) for k in HISTORY])
            )
    base = np.stack(histories["baseline"])  # (weeks, attributes, people)
    other = np.stack(histories["changed"])
    second_community = slice(size // 2, size)
    assert np.array_equal(base[:, :, second_community], other[:, :, second_community]), (
        "expected people with no tie to the changed person to have identical histories"
    )
    assert not np.array_equal(base[:, :, changed_person], other[:, :, changed_person]), (
        "expected the changed person's own history to change (else the test proves nothing)"
    )


def test_a_strategy_change_does_not_change_prospects_luck_where_it_did_not_reach():
    """Same seed, two strategies for one firm: people the change never touched keep their traits."""
    scenario = small(CONQUEST_VS_RELATIONS, run__weeks=1)
    a = CustomerMarket(scenario)
    b = CustomerMarket(scenario.with_overrides({"firms.rival.strategy": "conquest"}))
    for trait in ("purchase_rate", "price_sensitivity", "bandwagon_threshold"):
        assert np.array_equal(getattr(a.customers, trait), getattr(b.customers, trait)), (
            f"expected the same people with the same {trait} under both strategies"
        )
    assert np.array_equal(a.customers.firm, b.customers.firm), "expected the same initial customers"
