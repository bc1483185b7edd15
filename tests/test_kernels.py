"""Each compiled rule computes what its NumPy reference computes (tests/reference.py, or the array
form written out in the test): the same numbers, so the model's results do not depend on which
form ran. The rules live with their behaviours (sim/agents/behaviours/), the levers' loops in
sim/strategies/targeting.py, the shared machinery in sim/streams.py, sim/numerics.py and
sim/threads.py."""

import numpy as np

from sim import numerics, threads
from sim.agents.behaviours import adoption, buying_cycle, churn, dormancy, experience, purchase, referral
from sim.strategies import targeting
from sim.streams import Streams

from . import reference


def test_uniform_kernel_equals_the_numpy_hash():
    slots = np.concatenate([np.arange(10_000), [2**40, 2**62]])
    expected = reference.uniforms(reference.stream_key(5, "adopt", 3, 1), slots)
    np.testing.assert_array_equal(
        Streams(5).uniform("adopt", 3, slots, sub=1), expected, "expected the same uniforms bit for bit"
    )
    grid = slots[:10_000].reshape(100, 100)  # any shape: the same numbers, shaped like the slots
    np.testing.assert_array_equal(
        Streams(5).uniform("adopt", 3, grid, sub=1),
        expected[:10_000].reshape(100, 100),
        "expected a 2-D array of slots to draw the same uniforms, shaped like it",
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
    uniforms = Streams(2).uniform("purchase", 7, slots)
    # demand 1: normal spending; 0.6: a downturn (market.demand_level) scales every mean
    for demand in (1.0, 0.6):
        rule = purchase.PurchaseParams(offer_uplift=0.5, discount_base=1.0, demand=demand)
        counts = purchase.counts(slots, (rate, spend, products, joining), offered, rule, key)
        held = (rate * spend * (products / np.maximum(joining, 1))).astype(np.float64)
        mean = held * (1 + 0.5 * offered) * demand
        expected = reference.poisson_from_uniform(uniforms, mean)
        mismatches = int((counts != expected).sum())
        # exp() may differ in the last bit between NumPy and numba; a count can then flip only when a
        # uniform falls within ~1e-16 of a cumulative probability.
        assert mismatches == 0, (
            f"expected the compiled Poisson counts at demand {demand} to equal the reference, {mismatches} differ"
        )


def test_below_chance_decides_exactly_as_the_expm1_comparison():
    """The shortcut (u clearly above the hazard) must never change a decision; hazards and
    uniforms are drawn so that many land near the boundary."""
    rng = np.random.default_rng(4)
    hazards = rng.uniform(0, 0.05, 20_000).astype(np.float32)
    u = np.concatenate([rng.random(10_000), hazards[10_000:] * rng.uniform(0.97, 1.0001, 10_000)])
    expected = u < -np.expm1(-hazards)
    got = np.array([numerics.below_chance(float(a), b) for a, b in zip(u, hazards, strict=True)])
    assert (got == expected).all(), f"expected identical decisions, {(got != expected).sum()} differ"


def test_normal_quantile_is_scipys_ndtri_bit_for_bit():
    from scipy import special

    rng = np.random.default_rng(5)
    u = np.concatenate([rng.random(100_000), rng.random(20_000) * 1e-6, 1 - rng.random(20_000) * 1e-6])
    u = np.concatenate([u, [1e-12, 1 - 1e-12, 0.5, np.exp(-2), 1 - np.exp(-2)]])
    got = np.array([numerics.normal_quantile(float(x)) for x in u])
    differ = int((got != special.ndtri(u)).sum())
    assert differ == 0, (
        f"expected the compiled quantile to equal scipy.special.ndtri exactly, {differ} differ"
    )


def test_choose_friends_kernel_equals_the_array_form():
    from sim import CustomerMarket, load_scenario

    market = CustomerMarket(load_scenario("scenarios/baseline.toml", {"market.size": 3000}), seed=4)
    for _ in range(10):
        market.step()
    referrers = np.flatnonzero(market.customers.firm >= 0)
    compiled = referral.choose_friends(market, referrers)
    reference = referral.choose_friends_by_arrays(market, referrers)
    assert (compiled >= 0).sum() > 100, "expected many referrers to find a prospect friend"
    np.testing.assert_array_equal(compiled, reference, "expected the same friend for every referrer")


def test_adopters_choices_equal_the_array_form():
    """adoption.choices draws each adopter's firm and channel as reference.pick and
    reference.adoption_components do with NumPy."""
    from sim import CustomerMarket, load_scenario

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
    firm = reference.pick(np.cumsum(hazard, axis=1), streams.uniform("adopt_firm", week, slots))
    reasons = reference.adoption_components(market, signals, slots, boost)[np.arange(slots.size), firm]
    channel = np.array(adoption.CHANNELS, dtype=np.int8)[
        reference.pick(np.cumsum(reasons, axis=1), streams.uniform("adopt_channel", week, slots))
    ]
    expected_counts = np.zeros((2, 10), dtype=np.int64)
    np.add.at(expected_counts, (firm, channel), 1)
    config = scenario.behaviours.adoption
    counts = np.zeros((2, 10), dtype=np.int64)
    got_firm, got_channel = adoption.choices(
        slots,
        hazard,
        np.array([streams.key("adopt_firm", week), streams.key("adopt_channel", week)]),
        (
            signals.neighbour_share,
            np.zeros((0, 2), dtype=np.int32),
            market.customers.bandwagon_threshold,
            boost,
        ),
        adoption.params(scenario),
        config.penetration_weight * signals.penetration.astype(np.float32),
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
    rule = buying_cycle.BuyingCycleParams(
        0.1, 0.1, 0.1, 0.1, answer_edges=edges, recontact_weeks=later - week
    )
    buying_cycle._campaign_answers(contact, keys, (stage, block, boost), rule, week, answers)
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
    rule = dormancy.DormancyParams(np.float32(0), weeks=13, answer_edges=edges, recontact_weeks=later - week)
    dormancy._reactivation_answers(
        contact, streams.key("reactivation_response", week), people, rule, week, (answers, returned)
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
    experience.lift_satisfaction(lift, satisfaction)
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
    rule = referral.ReferralParams(
        np.float32(0.5), conversion=0.4, rejoin_lockout_weeks=lockout, tie_hazard=np.float32(0.0)
    )
    got = referral._offers(
        referrers,
        friends,
        (firm_of, left_firm, churn_week, aware),
        streams.key("referral_convert", week),
        rule,
        week,
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
    monkeypatch.setattr(threads, "PARALLEL_FROM", 64)  # split even this small market
    runs = {}
    default = threads.threads()
    for count in (1, 3):
        threads.set_threads(count)
        try:
            result = simulate(scenario, seed=4)
        finally:
            threads.set_threads(default)
        runs[count] = (result.summary, result.timeseries)
    assert runs[1][0] == runs[3][0], "expected the same summary with 1 and 3 kernel threads"
    assert runs[1][1].equals(runs[3][1]), "expected the same weekly series with 1 and 3 kernel threads"
    assert runs[1][0]["firms"]["us"]["customers_end"] > 0, "expected a market in which people buy"


def _churn_outcomes_from_exact_hazards(hazard, uniforms, intensity, can_drop, can_cut):
    """The decisions of churn_outcomes computed in NumPy from the exact hazards (float32 sums in
    the kernel's order, the reason drawn as the first running sum above u x the total)."""

    def pick(columns, u):
        total = np.zeros(len(hazard), dtype=np.float32)
        for r in columns:
            total += hazard[:, r]
        target = u * total.astype(np.float64)
        running = np.zeros(len(hazard), dtype=np.float32)
        below = np.zeros(len(hazard), dtype=np.int64)
        for r in columns:
            running += hazard[:, r]
            below += running <= target
        return columns[0] + np.minimum(below, len(columns) - 1), total

    reason, total = pick(range(6), uniforms[1])
    account = np.where(uniforms[0] < -np.expm1(-total), reason, -1)
    stays = account < 0
    partial_reason, pressure = pick(range(2, 6), uniforms[3])
    product_chance = -np.expm1(-(np.float32(intensity[0]) * pressure))
    product = np.where(stays & can_drop & (uniforms[2] < product_chance), partial_reason, -1)
    spend_reason, _ = pick(range(2, 6), uniforms[5])
    spend_chance = -np.expm1(-(np.float32(intensity[1]) * pressure))
    spend = np.where(stays & can_cut & (uniforms[4] < spend_chance), spend_reason, -1)
    return account, product, spend


def test_lazy_churn_outcomes_equal_the_decisions_of_the_exact_hazards():
    """churn.outcomes works the better-value hazard out only where a uniform falls below its
    bound; every decision, and the best rival of every leaver, must be the exact hazards' own.
    Strong noise and a high better-value rate put many customers near the bounds."""
    from sim import CustomerMarket, load_scenario

    overrides = {"market.size": 3000, "behaviours.churn.value_noise": 1.0}
    overrides["behaviours.churn.better_value_rate"] = 0.2
    market = CustomerMarket(load_scenario("scenarios/baseline.toml", overrides), seed=6)
    for _ in range(30):
        market.step()
    market.week += 1  # fresh uniforms: this week's own decided who is still a customer
    c = market.customers
    customers = np.flatnonzero((c.firm >= 0) & (c.acquired_week < market.week))
    signals = market.signals()
    hazard, best_rival = reference.churn_hazards(market, signals, customers)
    streams, week = market.streams, market.week
    names = (
        "churn",
        "churn_reason",
        "product_churn",
        "product_churn_reason",
        "spend_churn",
        "spend_churn_reason",
    )
    keys = np.array([streams.key(name, week) for name in names], dtype=np.uint64)
    intensity = np.array([3.0, 3.0], dtype=np.float32)
    floor = np.float32(0.2)
    inputs = churn.hazard_inputs(market, signals, customers)
    rule = inputs[-1]._replace(
        product_intensity=intensity[0], spend_intensity=intensity[1], min_spend_level=floor
    )
    account, product, spend, lazy_rival = churn.outcomes(
        (*inputs[:-1], rule), churn.QUANTILE_CELLS, keys, c.products, c.spend_level
    )
    uniforms = [streams.uniform(name, week, customers) for name in names]
    can_drop = c.products[customers] > 1
    can_cut = c.spend_level[customers] > floor
    expected = _churn_outcomes_from_exact_hazards(hazard, uniforms, intensity, can_drop, can_cut)
    for got, want, label in zip(
        (account, product, spend), expected, ("account", "product", "spend"), strict=True
    ):
        np.testing.assert_array_equal(got, want, f"expected the exact hazards' {label} churn decisions")
    leaves = account >= 0
    assert min(leaves.sum(), (product >= 0).sum(), (spend >= 0).sum()) >= 20, "expected many decisions"
    assert (lazy_rival < 0).sum() >= 30, "expected many customers decided on the bounds alone"
    np.testing.assert_array_equal(
        lazy_rival[leaves], best_rival[leaves], "expected each leaver's exact best rival"
    )


def test_normal_quantile_cells_bound_the_clipped_quantile():
    rng = np.random.default_rng(7)
    cells = numerics.normal_quantile_cells(1024)
    edges = np.arange(1025) / 1024
    u = np.concatenate([rng.random(200_000), edges[:-1], np.nextafter(edges[1:], 0), [0.0, 1e-13, 1 - 1e-13]])
    q = np.array([numerics.normal_quantile(float(x)) for x in np.clip(u, 1e-12, 1 - 1e-12)])
    cell = (u * 1024).astype(np.int64)
    outside = int(((q < cells[cell, 0]) | (q > cells[cell, 1])).sum())
    assert outside == 0, f"expected every clipped quantile within its cell's bounds, {outside} outside"
    assert np.isfinite(cells).all(), "expected finite bounds (the clip keeps the outer cells finite)"


def _book_by_arrays(market, signals, customers, events):
    """The NumPy form of churn.bookkeeping (churn._book states the rules)."""
    from sim.agents.customers import NO_FIRM, Channel, Reason, Stage, Status, Tier

    account, product, spend, best_rival = events
    c, flows, config, week = market.customers, market.recorder.flows, market.scenario.behaviours, market.week
    happens = product >= 0
    slots = customers[happens]
    c.products[slots] -= 1
    c.product_churns[slots] += 1
    np.add.at(flows.product_churned, (c.firm[slots].astype(np.int64), product[happens].astype(np.int64)), 1)
    happens = spend >= 0
    slots = customers[happens]
    c.spend_level[slots] = np.maximum(
        c.spend_level[slots] * (1 - config.partial_churn.spend_drop), config.partial_churn.min_spend_level
    )
    c.spend_decreases[slots] += 1
    np.add.at(flows.spend_decreased, (c.firm[slots].astype(np.int64), spend[happens].astype(np.int64)), 1)
    leaves = account >= 0
    leavers, reason, rival = customers[leaves], account[leaves].astype(np.int64), best_rival[leaves].copy()
    firm = c.firm[leavers].astype(np.int64)
    np.add.at(flows.churned, (firm, reason), 1)
    won = c.acquired_in_run[leavers]
    referred = won & (c.channel[leavers] == Channel.REFERRAL)
    np.add.at(flows.churned_referred, firm[referred], 1)
    np.add.at(flows.churned_other_won, firm[won & ~referred], 1)
    c.churn_week[leavers], c.churn_reason[leavers], c.left_firm[leavers] = week, reason, firm
    demographic = (reason == Reason.DIED) | (reason == Reason.MOVED)
    follows = reason == Reason.FOLLOWED_FRIEND
    share = signals.neighbour_share[leavers[follows]].copy()
    share[np.arange(follows.sum()), firm[follows]] = -1
    most = np.argmax(share, axis=1)
    rival[follows] = np.where(share[np.arange(follows.sum()), most] > 0, most, rival[follows])
    switches = (follows | (reason == Reason.BETTER_VALUE)) & (rival != firm) & ~demographic
    tell = config.churn.dissatisfied_tell_friends
    c.told_friends[leavers] = switches | ((reason == Reason.DISSATISFIED) & tell)
    movers, to = leavers[switches], rival[switches]
    channel = np.where(market.effects.poach_boost[movers, to] > 0, Channel.POACHED, Channel.SWITCH).astype(
        np.int8
    )
    np.add.at(flows.lost_to, (firm[switches], to), 1)
    c.join(movers, to, week, channel, config.experience.initial_satisfaction, config.appreciation.initial)
    np.add.at(flows.acquired, (to, channel), 1)
    lapsed = leavers[~demographic & ~switches]
    c.firm[lapsed], c.status[lapsed], c.tier[lapsed] = NO_FIRM, Status.PROSPECT, Tier.NONE
    c.aware[lapsed], c.stage[lapsed], c.dormant_since[lapsed] = True, Stage.AWARENESS, -1
    return leavers[demographic], reason[demographic]


def test_churn_bookkeeping_kernel_equals_the_array_form():
    """Events of every kind (drawn here, so each path is taken many times) on a market in mid-run."""
    import copy

    from sim import CustomerMarket, load_scenario

    market = CustomerMarket(load_scenario("scenarios/baseline.toml", {"market.size": 3000}), seed=8)
    for _ in range(30):
        market.step()
    c = market.customers
    customers = np.flatnonzero((c.firm >= 0) & (c.acquired_week < market.week + 1))
    signals = market.signals()
    market.effects.poach_boost[customers[::7], :] = 0.1  # some switchers were sent an offer
    rng = np.random.default_rng(9)
    count = customers.size
    account = np.where(rng.random(count) < 0.3, rng.integers(0, 6, count), -1).astype(np.int8)
    stays = account < 0
    product = np.where(stays & (rng.random(count) < 0.2), rng.integers(2, 6, count), -1).astype(np.int8)
    spend = np.where(stays & (rng.random(count) < 0.2), rng.integers(2, 6, count), -1).astype(np.int8)
    best_rival = rng.integers(0, 2, count)  # the own firm for some: nowhere to switch to
    events = (account, product, spend, best_rival)
    reference = copy.deepcopy(market)
    gone = churn._book(market, signals, customers, events)
    expected_gone = _book_by_arrays(reference, signals, customers, events)
    assert gone[0].size >= 50, "expected many people to leave the market"
    for got, want in zip(gone, expected_gone, strict=True):
        np.testing.assert_array_equal(got, want, "expected the same people to leave the market, same reasons")
    for name, want in vars(reference.customers).items():
        if isinstance(want, np.ndarray):
            np.testing.assert_array_equal(
                getattr(c, name), want, f"expected the same {name} after the week's churn"
            )
    for name, want in vars(reference.recorder.flows).items():
        if isinstance(want, np.ndarray):
            got = getattr(market.recorder.flows, name)
            np.testing.assert_array_equal(got, want, f"expected the same {name} flows")


def test_lever_reach_equals_the_array_form():
    rng = np.random.default_rng(3)
    persona = rng.integers(0, 4, 5_000).astype(np.int8)
    response = np.array([1.0, 0.5, 1.3, 0.0])
    targets = np.sort(rng.choice(5_000, 2_000, replace=False)).astype(np.int64)
    for share in (0.0, 0.1, 0.5, 0.9):
        reached = targeting.reach(targets, Streams(6).key("lever:x", 4), share, response, persona)
        draw = Streams(6).uniform("lever:x", 4, targets)
        expected = targets[draw < share * response[persona[targets]]]
        np.testing.assert_array_equal(
            reached, expected, f"expected the targets whose uniform is below the chance (share {share})"
        )


def test_lever_effect_kernels_write_what_the_fancy_indexing_wrote():
    rng = np.random.default_rng(4)
    size, firms = 1_000, 2
    reached = np.sort(rng.choice(size, 300, replace=False)).astype(np.int64)
    aware = rng.random((size, firms)) < 0.5
    boost = rng.random((size, firms, 3)).astype(np.float32)
    contact = rng.random((size, firms)) < 0.2
    expected = aware.copy(), boost.copy(), contact.copy()
    expected[0][reached, 1] = True
    expected[1][reached, 1, 2] += 0.15
    expected[2][reached, 1] = True
    targeting.ad_contact(reached, (aware, boost, contact), 1, 2, np.float32(0.15))
    for got, want, name in zip((aware, boost, contact), expected, ("aware", "boost", "contact"), strict=True):
        np.testing.assert_array_equal(got, want, f"expected the ad to write {name} as the array form")

    values = rng.random((size, firms)).astype(np.float32)
    want = values.copy()
    want[reached, 0] += 0.3
    targeting.add_in_column(reached, values, 0, np.float32(0.3))
    np.testing.assert_array_equal(values, want, "expected values[slots, column] += amount in float32")


def test_touch_multiplies_by_the_float32_rounded_keep():
    rng = np.random.default_rng(5)
    untouched = rng.random(500).astype(np.float32)
    touches = np.zeros(500, dtype=np.float32)
    slots = np.sort(rng.choice(500, 200, replace=False))
    keep = 1.0 - 0.15  # a Python float, rounded to float32 once, as np.float32(keep) rounds it
    expected = untouched.copy()
    expected[slots] *= np.float32(keep)
    targeting.touch(slots, untouched, touches, keep)
    np.testing.assert_array_equal(untouched, expected, "expected a float32 product with the rounded keep")
    assert touches.sum() == 200, "expected one more contact for each touched slot"
