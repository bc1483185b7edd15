"""Common random numbers: draws depend only on (seed, decision, week, slot, sub)."""

import numpy as np
from scipy import stats

from sim.streams import Streams, _key

from .reference import poisson_from_uniform


def test_a_persons_draw_does_not_depend_on_who_else_draws():
    streams = Streams(11)
    everyone = streams.uniform("adopt", 5, np.arange(1000))
    some = np.array([3, 500, 999])
    assert np.array_equal(streams.uniform("adopt", 5, some), everyone[some]), (
        "expected a subset's draws to equal the same slots' draws for everyone"
    )


def test_streams_differ_by_seed_decision_week_and_sub():
    slots = np.arange(2000)
    base = Streams(1).uniform("adopt", 1, slots)
    others = {
        "seed": Streams(2).uniform("adopt", 1, slots),
        "decision": Streams(1).uniform("churn", 1, slots),
        "week": Streams(1).uniform("adopt", 2, slots),
        "sub": Streams(1).uniform("adopt", 1, slots, sub=1),
    }
    for what, draws in others.items():
        correlation = np.corrcoef(base, draws)[0, 1]
        assert abs(correlation) < 0.1, (
            f"expected independent draws when the {what} changes, got r={correlation:.3f}"
        )


def test_a_cells_key_from_the_cached_hash_state_is_the_key_of_the_whole_text():
    streams = Streams(42)
    cells = [
        (d, w, s) for d in ("adopt", "lever:search_ads", "trait") for w in (0, 1, 259, 10**6) for s in (0, 3)
    ]
    cells += [("adopt", np.int64(7), 0), ("adopt", 7, np.int32(2))]  # NumPy integers: the plain path
    for decision, week, sub in cells:
        assert streams.key(decision, week, sub) == _key(42, decision, week, sub), (
            f"expected the key of {decision!r}, week {week}, sub {sub} to equal blake2b of the whole "
            "'seed|decision|week|sub' text"
        )


def test_streams_pickle_and_copy_with_their_cached_keys():
    import copy
    import pickle

    streams = Streams(3)
    before = streams.key("adopt", 4)  # fills the cache of hash states
    for clone in (pickle.loads(pickle.dumps(streams)), copy.deepcopy(streams)):
        assert clone.seed == 3 and clone.key("adopt", 4) == before, (
            "expected a pickled or copied Streams to give the same keys"
        )


def test_uniforms_are_uniform():
    draws = Streams(3).uniform("test", 0, np.arange(200_000))
    assert draws.min() >= 0 and draws.max() < 1, "expected draws in [0, 1)"
    result = stats.kstest(draws, "uniform")
    # With 200,000 draws a real departure from uniformity gives p far below 1e-4.
    assert result.pvalue > 1e-4, f"expected uniform draws, KS p-value {result.pvalue:.2e}"


def test_normals_are_standard_normal():
    draws = Streams(4).normal("test", 0, np.arange(200_000))
    assert stats.kstest(draws, "norm").pvalue > 1e-4, "expected standard normal draws"


def test_poisson_by_inversion_has_poisson_moments():
    n = 200_000
    u = Streams(5).uniform("purchase", 0, np.arange(n))
    for mean in (0.05, 0.8, 3.0):
        counts = poisson_from_uniform(u, np.full(n, mean))
        # The standard error of a Poisson sample mean is sqrt(mean / n): allow 5 of them.
        tolerance = 5 * np.sqrt(mean / n)
        assert abs(counts.mean() - mean) < tolerance, f"expected mean {mean}, got {counts.mean():.4f}"
        assert abs(counts.var() - mean) < 10 * tolerance + 0.01 * mean, (
            f"expected variance {mean}, got {counts.var():.4f}"
        )


def test_poisson_count_is_monotone_in_the_mean_for_the_same_draw():
    u = Streams(6).uniform("purchase", 0, np.arange(10_000))
    low = poisson_from_uniform(u, np.full(u.size, 0.5))
    high = poisson_from_uniform(u, np.full(u.size, 1.5))
    assert (high >= low).all(), "expected more purchases for a higher rate with the same luck"
