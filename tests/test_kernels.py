"""The compiled kernels compute what their NumPy reference computes (sim/kernels.py promises the
same numbers, so the model's results do not depend on which form ran)."""

import numpy as np

from sim import kernels
from sim.streams import _GOLDEN, _S11, _TO_UNIT, Streams, _key, _mix_in_place, poisson_from_uniform


def test_uniform_kernel_equals_the_numpy_hash():
    slots = np.concatenate([np.arange(10_000), [2**40, 2**62]])
    x = slots.astype(np.uint64) * _GOLDEN + _key(5, "adopt", 3, 1)
    _mix_in_place(x)
    expected = (x >> _S11).astype(np.float64) * _TO_UNIT
    np.testing.assert_array_equal(
        Streams(5).uniform("adopt", 3, slots, sub=1), expected, "expected the same uniforms bit for bit"
    )


def test_purchase_counts_equal_poisson_by_inversion():
    rng = np.random.default_rng(1)
    n = 20_000
    rate = rng.gamma(1.0, 0.5, n).astype(np.float32)
    spend = rng.uniform(0.3, 1, n).astype(np.float32)
    products = rng.integers(1, 4, n).astype(np.int8)
    joining = rng.integers(1, 4, n).astype(np.float32)
    offered = rng.random(n) < 0.1
    slots = np.arange(n)
    key = Streams(2).key("purchase", 7)
    counts = kernels.purchase_counts(slots, (rate, spend, products, joining), offered, 0.5, key)
    mean = rate * spend * (products / np.maximum(joining, 1)) * (1 + 0.5 * offered)
    expected = poisson_from_uniform(Streams(2).uniform("purchase", 7, slots), mean)
    mismatches = int((counts != expected).sum())
    # exp() may differ in the last bit between NumPy and numba; a count can then flip only when a
    # uniform falls within ~1e-16 of a cumulative probability.
    assert mismatches == 0, (
        f"expected the compiled Poisson counts to equal the reference, {mismatches} differ"
    )


def test_below_chance_decides_exactly_as_the_expm1_comparison():
    """The shortcut (u clearly above the hazard) must never change a decision; hazards and
    uniforms are drawn so that many land near the boundary."""
    rng = np.random.default_rng(4)
    hazards = rng.uniform(0, 0.05, 20_000).astype(np.float32)
    u = np.concatenate([rng.random(10_000), hazards[10_000:] * rng.uniform(0.97, 1.0001, 10_000)])
    expected = u < -np.expm1(-hazards)
    got = np.array([kernels.below_chance(float(a), b) for a, b in zip(u, hazards, strict=True)])
    assert (got == expected).all(), f"expected identical decisions, {(got != expected).sum()} differ"


def test_normal_quantile_is_scipys_ndtri_bit_for_bit():
    from scipy import special

    rng = np.random.default_rng(5)
    u = np.concatenate([rng.random(100_000), rng.random(20_000) * 1e-6, 1 - rng.random(20_000) * 1e-6])
    u = np.concatenate([u, [1e-12, 1 - 1e-12, 0.5, np.exp(-2), 1 - np.exp(-2)]])
    got = np.array([kernels.normal_quantile(float(x)) for x in u])
    differ = int((got != special.ndtri(u)).sum())
    assert differ == 0, (
        f"expected the compiled quantile to equal scipy.special.ndtri exactly, {differ} differ"
    )


def test_choose_friends_kernel_equals_the_array_form():
    from sim import CustomerMarket, load_scenario
    from sim.agents.behaviours import referral

    market = CustomerMarket(load_scenario("scenarios/baseline.toml", {"market.size": 3000}), seed=4)
    for _ in range(10):
        market.step()
    referrers = np.flatnonzero(market.customers.firm >= 0)
    compiled = referral._choose_friends(market, referrers)
    reference = referral.choose_friends_by_arrays(market, referrers)
    assert (compiled >= 0).sum() > 100, "expected many referrers to find a prospect friend"
    np.testing.assert_array_equal(compiled, reference, "expected the same friend for every referrer")


def test_adopters_choices_equal_the_array_form():
    """adoption_choices draws each adopter's firm and channel as adoption._pick and
    adoption._components do with NumPy."""
    from sim import CustomerMarket, load_scenario
    from sim.agents.behaviours import adoption

    scenario = load_scenario(
        "scenarios/conquest_vs_relations.toml",
        {"market.size": 3000, "behaviours.adoption.penetration_weight": 0.3},
    )
    market = CustomerMarket(scenario, seed=5)
    for _ in range(12):
        market.step()
    signals = market.signals()
    slots = np.flatnonzero(market.customers.firm < 0)  # every prospect, as if all adopted
    hazard = np.random.default_rng(1).gamma(0.5, 0.01, (slots.size, 2)).astype(np.float32)
    boost = market.effects.adoption_boost  # the week's boosts are still there after the step
    assert boost.any(), "expected some adoption boost from the campaigns of week 12"
    streams, week = market.streams, market.week
    firm = adoption._pick(np.cumsum(hazard, axis=1), streams.uniform("adopt_firm", week, slots))
    reasons = adoption._components(market, signals, slots, boost)[np.arange(slots.size), firm]
    channel = np.array(adoption.CHANNELS, dtype=np.int8)[
        adoption._pick(np.cumsum(reasons, axis=1), streams.uniform("adopt_channel", week, slots))
    ]
    expected_counts = np.zeros((2, 10), dtype=np.int64)
    np.add.at(expected_counts, (firm, channel), 1)
    config = scenario.behaviours.adoption
    counts = np.zeros((2, 10), dtype=np.int64)
    got_firm, got_channel = kernels.adoption_choices(
        slots,
        hazard,
        np.array([streams.key("adopt_firm", week), streams.key("adopt_channel", week)]),
        (signals.neighbour_share, market.customers.bandwagon_threshold, boost),
        np.array([config.innovation, config.word_of_mouth, config.bandwagon_jump], dtype=np.float32),
        config.penetration_weight * signals.penetration.astype(np.float32),
        np.array(adoption.CHANNELS, dtype=np.int8),
        counts,
    )
    np.testing.assert_array_equal(got_firm, firm, "expected the same firm for every adopter")
    np.testing.assert_array_equal(got_channel, channel, "expected the same channel for every adopter")
    np.testing.assert_array_equal(
        counts, expected_counts, "expected the same acquisitions by firm and channel"
    )
    assert len(set(channel.tolist())) >= 4, "expected the test to exercise several channels"


def _contacts(size=4000, firms=2, seed=3):
    rng = np.random.default_rng(seed)
    return rng, rng.random((size, firms)) < 0.2


def test_campaign_answers_equal_the_array_form():
    rng, contact = _contacts()
    size, firms = contact.shape
    stage = rng.integers(0, 3, size).astype(np.int8)
    block = rng.integers(0, 5, (size, firms)).astype(np.int32)
    boost = rng.random((size, firms, 3)).astype(np.float32)
    edges = np.cumsum([0.2, 0.1, 1 - 0.2 - 0.1 - 0.15])
    streams, week, never, later = Streams(9), 7, np.iinfo(np.int32).max, 7 + 13
    expected = (stage.copy(), block.copy(), boost.copy(), np.zeros((firms, 4), dtype=np.int64))
    for firm in range(firms):  # the NumPy form the kernel replaced
        contacted = np.flatnonzero(contact[:, firm])
        response = np.searchsorted(
            edges, streams.uniform("campaign_response", week, contacted, sub=firm), side="right"
        )
        expected[3][firm] += np.bincount(response, minlength=4)
        positive = contacted[response == 0]
        expected[0][positive] = np.minimum(expected[0][positive] + 1, 2)
        expected[1][contacted[response == 1], firm] = never
        expected[2][contacted[response == 1], firm] = 0
        expected[1][contacted[response == 3], firm] = later
    answers = np.zeros((firms, 4), dtype=np.int64)
    keys = np.array([streams.key("campaign_response", week, sub=f) for f in range(firms)])
    kernels.campaign_answers(
        contact, keys, edges, (stage, block, boost), np.array([2, never, later]), answers
    )
    for name, got, want in zip(
        ("stage", "contact block", "boost", "answers"), (stage, block, boost, answers), expected, strict=True
    ):
        np.testing.assert_array_equal(got, want, f"expected the same {name} as the array form")
    assert (answers > 0).all(), "expected every answer from every firm"


def test_reactivation_answers_equal_the_array_form():
    rng, _ = _contacts()
    size, firms, week, later = 4000, 2, 30, 30 + 8
    contact = np.where(rng.random(size) < 0.3, rng.integers(0, firms, size), -1).astype(np.int8)
    status = rng.integers(0, 3, size).astype(np.int8)  # prospect, active, dormant
    firm_of = np.where(status > 0, rng.integers(0, firms, size), -1).astype(np.int8)
    people = (
        status,
        firm_of,
        rng.integers(0, 20, size).astype(np.int32),
        rng.integers(-1, 20, size).astype(np.int32),
    )
    people += (np.zeros(size, dtype=bool), np.full(size, -1, dtype=np.int32), np.zeros(size, dtype=bool))
    people += (np.full(size, -1, dtype=np.int32),)
    expected = [a.copy() for a in people]
    answers, returned = np.zeros((firms, 4), dtype=np.int64), np.zeros(firms, dtype=np.int64)
    want_answers, want_returned = answers.copy(), returned.copy()
    edges = np.cumsum([0.25, 0.2, 1 - 0.25 - 0.2 - 0.1])
    streams = Streams(4)
    contacted = np.flatnonzero(contact >= 0)  # the NumPy form the kernel replaced
    contacted = contacted[expected[0][contacted] == 2]
    contacted = contacted[expected[1][contacted] == contact[contacted]]
    response = np.searchsorted(edges, streams.uniform("reactivation_response", week, contacted), side="right")
    np.add.at(want_answers, (expected[1][contacted].astype(np.int64), response), 1)
    back = contacted[response == 0]
    expected[0][back], expected[2][back], expected[3][back] = 1, week, -1
    expected[4][back], expected[5][back] = True, week
    np.add.at(want_returned, expected[1][back].astype(np.int64), 1)
    expected[6][contacted[response == 1]] = True
    expected[7][contacted[response == 3]] = later
    kernels.reactivation_answers(
        contact,
        streams.key("reactivation_response", week),
        edges,
        people,
        np.array([2, 1, week, later]),
        (answers, returned),
    )
    for index, (got, want) in enumerate(zip(people, expected, strict=True)):
        np.testing.assert_array_equal(got, want, f"expected person array {index} as the array form leaves it")
    np.testing.assert_array_equal(answers, want_answers, "expected the same answers by firm")
    np.testing.assert_array_equal(returned, want_returned, "expected the same returns by firm")
    assert back.size > 50, "expected many dormant customers to come back"


def test_satisfaction_lift_equals_the_array_form():
    rng = np.random.default_rng(2)
    lift = np.where(rng.random(5000) < 0.1, rng.random(5000), 0).astype(np.float32)
    satisfaction = rng.random(5000).astype(np.float32)
    expected = satisfaction.copy()
    lifted = np.flatnonzero(lift > 0)
    expected[lifted] += lift[lifted] * (1 - expected[lifted])
    kernels.lift_satisfaction(lift, satisfaction)
    np.testing.assert_array_equal(satisfaction, expected, "expected the float32 lift of the array form")


def test_referral_offers_equal_the_array_form():
    rng = np.random.default_rng(6)
    size, firms, week, lockout = 3000, 2, 40, 8
    referrers = np.sort(rng.choice(size, 800, replace=False))
    friends = np.where(rng.random(800) < 0.8, rng.integers(0, 400, 800), -1)  # many repeats
    firm_of = rng.integers(0, firms, size).astype(np.int8)
    left_firm = rng.integers(-1, firms, size).astype(np.int8)
    churn_week = rng.integers(-1, week, size).astype(np.int32)
    aware = rng.random((size, firms)) < 0.3
    streams = Streams(8)
    want_aware, want_made = aware.copy(), np.zeros(firms, dtype=np.int64)
    valid = friends >= 0  # the NumPy form the kernel replaced
    want_friends, first = np.unique(friends[valid], return_index=True)
    want_referrers = referrers[valid][first]
    want_firms = firm_of[want_referrers].astype(np.int64)
    np.add.at(want_made, want_firms, 1)
    want_aware[want_friends, want_firms] = True
    converts = streams.uniform("referral_convert", week, want_friends) < 0.4
    converts &= ~(
        (left_firm[want_friends] == want_firms)
        & (churn_week[want_friends] >= 0)
        & (week - churn_week[want_friends] < lockout)
    )
    made = np.zeros(firms, dtype=np.int64)
    got = kernels.referral_offers(
        referrers,
        friends,
        (firm_of, left_firm, churn_week, aware),
        streams.key("referral_convert", week),
        np.array([0.4, lockout, week], dtype=np.float64),
        made,
    )
    want = (want_friends[converts], want_referrers[converts], want_firms[converts])
    for name, got_one, want_one in zip(("friends", "referrers", "firms"), got, want, strict=True):
        np.testing.assert_array_equal(got_one, want_one, f"expected the same converting {name}")
    np.testing.assert_array_equal(made, want_made, "expected the same referrals counted by firm")
    np.testing.assert_array_equal(aware, want_aware, "expected the same friends made aware")
    assert 20 < converts.sum() < converts.size, "expected some, not all, referrals to convert"


def test_results_do_not_depend_on_how_many_threads_the_kernels_use(monkeypatch):
    """Hazards, adoption, purchases and churn decisions split large populations over threads;
    each person's work is their own, so one thread and three threads give the same run."""
    from sim import load_scenario
    from sim.simulation import simulate

    scenario = load_scenario("scenarios/baseline.toml", {"market.size": 3000, "run.weeks": 40})
    monkeypatch.setattr(kernels, "PARALLEL_FROM", 64)  # split even this small market
    runs = {}
    default = kernels.threads()
    for count in (1, 3):
        kernels.set_threads(count)
        try:
            result = simulate(scenario, seed=4)
        finally:
            kernels.set_threads(default)
        runs[count] = (result.summary, result.timeseries)
    assert runs[1][0] == runs[3][0], "expected the same summary with 1 and 3 kernel threads"
    assert runs[1][1].equals(runs[3][1]), "expected the same weekly series with 1 and 3 kernel threads"
    assert runs[1][0]["firms"]["us"]["customers_end"] > 0, "expected a market in which people buy"
