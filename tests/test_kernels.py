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
