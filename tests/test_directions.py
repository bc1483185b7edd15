"""Behaviour directions: each lever and behaviour moves outcomes the way the domain says.

Each comparison runs both arms on the same seed, so common random numbers make the difference
the effect of the change rather than luck. Sizes are small (2,000 people, one or two years).

Margins: the ratio each test checks was measured on seeds 1-10 (mean, sd, worst) and every
threshold sits at least 3 sd from the mean on the safe side:
    word of mouth q 0.05 vs 0: acquisitions x1.25 (sd 0.04, worst 1.17)       threshold > 1
    relations vs neglect: unappreciated churn rate x0.67 (sd 0.08, worst 0.84)  threshold < 0.95
    conquest vs neglect: acquisitions x3.10 (sd 0.27, worst 2.60)              threshold > 1.2
    referral programme: referral acquisitions x1.97 (sd 0.32, worst 1.40)      threshold > 1
    failure rate 0.2 vs 0.01: dissatisfied churn x42 (sd 12, worst 30)         threshold > 2
    rival 25% cheaper: better-value churn x1.75 (sd 0.14, worst 1.50)          threshold > 1
"""

from sim import simulate

from .helpers import CONQUEST_VS_RELATIONS, small


def firm(result, name="us"):
    return result.summary["firms"][name]


def test_more_word_of_mouth_means_more_adoption():
    quiet = firm(simulate(small(behaviours__adoption__word_of_mouth=0.0)))
    loud = firm(simulate(small(behaviours__adoption__word_of_mouth=0.05)))
    assert loud["acquired"] > quiet["acquired"], (
        f"expected more adoption with more word of mouth, got {loud['acquired']} <= {quiet['acquired']}"
    )
    assert quiet["acquired_by_channel"]["word_of_mouth"] == 0, (
        "expected no word-of-mouth adoptions when q = 0"
    )


def unappreciated_rate(result, name="us"):
    """Unappreciated exits per customer-week (the hazard, not the count: relations keeps more)."""
    weekly = result.timeseries[result.timeseries["firm"] == name]
    return weekly["churned_unappreciated"].sum() / weekly["customers"].shift(1).fillna(0).sum()


def test_relations_spending_means_less_unappreciated_churn():
    neglect = simulate(small(firms__us__strategy="neglect", run__weeks=104))
    relations = simulate(small(firms__us__strategy="relations", run__weeks=104))
    rates = {"neglect": unappreciated_rate(neglect), "relations": unappreciated_rate(relations)}
    assert rates["relations"] < 0.95 * rates["neglect"], (
        f"expected relations spending to lower the unappreciated churn rate, got {rates}"
    )
    assert firm(relations)["retention_yearly"] > firm(neglect)["retention_yearly"], (
        "expected better retention"
    )


def test_conquest_spending_means_more_acquisitions_and_acquisition_spend():
    neglect = firm(simulate(small(firms__us__strategy="neglect")))
    conquest = firm(simulate(small(firms__us__strategy="conquest")))
    assert conquest["acquired"] > 1.2 * neglect["acquired"], (
        f"expected conquest to win 20%+ more customers, got {conquest['acquired']} vs {neglect['acquired']}"
    )
    assert conquest["acquisition_spend"] > 0 == neglect["acquisition_spend"], (
        "expected conquest to spend on acquisition"
    )
    paid = sum(conquest["acquired_by_channel"][c] for c in ("search", "social", "influencer"))
    assert paid > 0, "expected acquisitions through the paid channels"


def test_a_referral_programme_brings_more_referred_customers_and_pays_per_conversion():
    without = firm(simulate(small(firms__us__split={"loyalty_rewards": 0.5})))
    with_programme = firm(
        simulate(small(firms__us__split={"loyalty_rewards": 0.5, "referral_programme": 0.5}))
    )
    assert with_programme["acquired_by_channel"]["referral"] > without["acquired_by_channel"]["referral"], (
        "expected more referral acquisitions with a referral programme"
    )
    rewards = with_programme["spend_by_lever"]["referral_programme"] / 25.0  # default reward
    assert rewards == int(rewards) and 0 < rewards <= with_programme["referrals_converted"], (
        f"expected whole rewards paid only on conversions, got {rewards} for "
        f"{with_programme['referrals_converted']} conversions"
    )


def test_more_service_failures_mean_more_dissatisfied_churn_and_a_lower_rating():
    good = firm(simulate(small(firms__us__failure_rate=0.01)))
    bad = firm(simulate(small(firms__us__failure_rate=0.2)))
    assert bad["churned_by_reason"]["dissatisfied"] > 2 * good["churned_by_reason"]["dissatisfied"], (
        "expected far more dissatisfied churn with a 20% failure rate than with 1%"
    )
    assert bad["rating_end"] < good["rating_end"], "expected reviews to pull the rating down"


def test_a_cheaper_rival_causes_better_value_churn():
    equal = firm(simulate(small(CONQUEST_VS_RELATIONS)), "rival")
    cheaper = firm(simulate(small(CONQUEST_VS_RELATIONS, firms__us__price=30)), "rival")
    assert cheaper["churned_by_reason"]["better_value"] > equal["churned_by_reason"]["better_value"], (
        "expected more better-value churn when the rival is 25% cheaper"
    )


def test_a_higher_bandwagon_jump_means_more_bandwagon_adoptions():
    low = firm(simulate(small(behaviours__adoption__bandwagon_jump=0.0)))
    high = firm(simulate(small(behaviours__adoption__bandwagon_jump=0.1)))
    assert low["acquired_by_channel"]["bandwagon"] == 0, "expected no bandwagon adoptions with a zero jump"
    assert high["acquired_by_channel"]["bandwagon"] > 0, "expected bandwagon adoptions with a jump"
