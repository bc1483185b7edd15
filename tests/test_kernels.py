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


def test_lever_reach_equals_the_array_form():
    rng = np.random.default_rng(3)
    persona = rng.integers(0, 4, 5_000).astype(np.int8)
    response = np.array([1.0, 0.5, 1.3, 0.0])
    targets = np.sort(rng.choice(5_000, 2_000, replace=False)).astype(np.int64)
    for share in (0.0, 0.1, 0.5, 0.9):
        reached = kernels.reach(targets, Streams(6).key("lever:x", 4), share, response, persona)
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
    kernels.ad_contact(reached, (aware, boost, contact), 1, 2, np.float32(0.15))
    for got, want, name in zip((aware, boost, contact), expected, ("aware", "boost", "contact"), strict=True):
        np.testing.assert_array_equal(got, want, f"expected the ad to write {name} as the array form")

    values = rng.random((size, firms)).astype(np.float32)
    want = values.copy()
    want[reached, 0] += 0.3
    kernels.add_in_column(reached, values, 0, np.float32(0.3))
    np.testing.assert_array_equal(values, want, "expected values[slots, column] += amount in float32")

    for values, value in (
        (rng.random(size).astype(np.float32), np.float32(0.3)),
        (np.zeros(size, dtype=bool), True),
        (np.full(size, -1, dtype=np.int8), np.int8(1)),
    ):
        want = values.copy()
        want[reached] = value
        kernels.set_at(reached, values, value)
        np.testing.assert_array_equal(values, want, f"expected values[slots] = value ({values.dtype})")


def test_touch_multiplies_by_the_float32_rounded_keep():
    rng = np.random.default_rng(5)
    untouched = rng.random(500).astype(np.float32)
    touches = np.zeros(500, dtype=np.float32)
    slots = np.sort(rng.choice(500, 200, replace=False))
    keep = 1.0 - 0.15  # a Python float, rounded to float32 once, as np.float32(keep) rounds it
    expected = untouched.copy()
    expected[slots] *= np.float32(keep)
    kernels.touch(slots, untouched, touches, keep)
    np.testing.assert_array_equal(untouched, expected, "expected a float32 product with the rounded keep")
    assert touches.sum() == 200, "expected one more contact for each touched slot"


def test_dormant_contactable_equals_the_array_form():
    rng = np.random.default_rng(6)
    for size in (0, 5, 8, 13, 4_001):  # whole and partial runs of eight slots
        firm = rng.integers(-1, 2, size).astype(np.int8)
        status = rng.integers(0, 4, size).astype(np.int8)
        do_not_contact = rng.random(size) < 0.2
        recontact_week = rng.integers(0, 30, size).astype(np.int32)
        people = (firm, status, do_not_contact, recontact_week)
        expected = np.flatnonzero((firm == 1) & (status == 2) & ~do_not_contact & (recontact_week <= 15))
        np.testing.assert_array_equal(
            kernels.dormant_contactable(people, 1, 15, np.int8(2)),
            expected,
            f"expected the firm's contactable dormant customers in slot order ({size} people)",
        )
