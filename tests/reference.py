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


# --------------------------------------------------------------------------- adoption


def adoption_components(market, signals, slots: np.ndarray, boost: np.ndarray) -> np.ndarray:
    """(k, F, 6) weekly hazard of each reason to choose each firm (organic, search, social,
    influencer, word of mouth, bandwagon), before attraction and awareness, float32 as the rule
    (``sim.agents.behaviours.adoption``); ``boost`` is this week's (people, F, 3) adoption boost, or
    no rows when no one was boosted."""
    from sim.agents.behaviours.adoption import CHANNELS

    config = market.scenario.behaviours.adoption
    share = signals.neighbour_share[slots]
    threshold = market.customers.bandwagon_threshold[slots][:, None]
    out = np.empty((slots.size, share.shape[1], len(CHANNELS)), dtype=np.float32)
    out[..., 0] = config.innovation
    out[..., 1:4] = boost[slots] if boost.shape[0] else 0
    out[..., 4] = config.word_of_mouth * share
    out[..., 5] = config.bandwagon_jump * ((share >= threshold) & (share > 0))
    out[..., 5] += config.penetration_weight * signals.penetration[None, :].astype(np.float32)
    return out


def pick(cumulative: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Index of the first column whose cumulative weight exceeds u x total, per row: a draw in
    proportion to the weights (``sim.numerics.pick_in_proportion`` for one row)."""
    target = u * cumulative[:, -1]
    picked = (cumulative <= target[:, None]).sum(axis=1)
    return np.minimum(picked, cumulative.shape[1] - 1)


# --------------------------------------------------------------------------- churn


def churn_hazards(market, signals, slots: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(k, 6) weekly churn hazard per reason of the customers in ``slots`` and each one's best
    rival, every hazard worked out exactly (the weekly step works the better-value hazard out only
    where it can decide something: ``sim.agents.behaviours.churn.outcomes``)."""
    from sim.agents.behaviours import churn

    inputs = churn.hazard_inputs(market, signals, slots)
    count = inputs[0].size
    hazard = np.empty((count, 6), dtype=np.float32)
    best_rival = np.empty(count, dtype=np.int64)
    churn.hazard_rows(0, count, inputs, churn.EXACT, hazard, best_rival)
    return hazard, best_rival


def referrer_still_there(market, slots: np.ndarray) -> np.ndarray:
    """Whether each customer in ``slots`` was referred by someone who still buys from their firm
    (the same person: a slot refilled by a newcomer does not count), the tie that damps two of
    the churn hazards."""
    from sim.agents.customers import Channel

    c = market.customers
    slots = np.asarray(slots, dtype=np.int64)
    other = c.referrer_slot[slots].astype(np.int64)
    known = other >= 0
    there = np.where(known, other, 0)  # a placeholder slot where there is no referrer
    return (
        known
        & (c.channel[slots] == Channel.REFERRAL)
        & (c.person_id[there] == c.referrer[slots])
        & (c.firm[there] == c.firm[slots])
    )
