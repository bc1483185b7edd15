"""NumPy reference forms of the compiled rules, for tests only.

Each function here computes with array operations what a compiled kernel of the engine computes
one person at a time; tests check the two agree bit for bit (tests/test_kernels.py), so the model's
numbers do not depend on which form ran. None of this runs in the model.
"""

from __future__ import annotations

import hashlib

import numpy as np

# SplitMix64, written out here from its definition (Steele, Lea and Flood 2014), not imported, so
# that the test checks sim.streams against an independent statement of the hash.
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)


def stream_key(seed: int, decision: str, week: int, sub: int) -> np.uint64:
    """The 64-bit key of one stream cell: blake2b of ``"seed|decision|week|sub"``."""
    text = f"{seed}|{decision}|{week}|{sub}".encode()
    return np.uint64(int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "little"))


def uniforms(key: np.uint64, slots: np.ndarray) -> np.ndarray:
    """Each slot's uniform for the stream cell ``key``, in NumPy: the SplitMix64 finaliser of
    slot x golden + key (wrapping uint64 arithmetic), its top 53 bits scaled to [0, 1)."""
    x = np.asarray(slots).astype(np.uint64) * _GOLDEN + key
    x ^= x >> np.uint64(30)
    x *= _MIX1
    x ^= x >> np.uint64(27)
    x *= _MIX2
    x ^= x >> np.uint64(31)
    return (x >> np.uint64(11)).astype(np.float64) * 2.0**-53


def poisson_from_uniform(u: np.ndarray, mean: np.ndarray, max_count: int = 40) -> np.ndarray:
    """Poisson counts by inversion of one uniform per person: the purchase rule's draw
    (``sim.agents.behaviours.purchase``), which keeps common random numbers intact because a
    person's count depends only on their own uniform and mean."""
    mean = np.asarray(mean, dtype=np.float64)
    term = np.exp(-mean)
    cumulative = term.copy()
    count = np.zeros(mean.shape, dtype=np.int32)
    undecided = u >= cumulative
    k = 0
    while undecided.any() and k < max_count:
        k += 1
        count += undecided
        term = term * mean / k
        cumulative = cumulative + term
        undecided &= u >= cumulative
    return count
