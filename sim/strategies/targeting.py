"""The levers' compiled loops over people: who is eligible, who is reached, what a lever writes.

Owns the per-person work of :mod:`sim.strategies.levers`: the eligibility passes (contactable
prospects, rivals' customers who know the firm, contactable dormant customers, the churn risk
score), the reach draw (each target by their own uniform, scaled by their persona's response) and
the effect writes (an ad's awareness, boost and contact; a relations touch; a value written at or
added to the reached slots). A lever's rule (what it targets, what it costs, what it does) stays in
:mod:`sim.strategies.levers`; these loops only carry it out, one pass each instead of several
NumPy passes over population-sized temporaries.

Example:
    >>> import numpy as np
    >>> from sim.streams import Streams
    >>> targets = np.arange(1000)
    >>> reached = reach(targets, Streams(1).key("lever:x", 1), 0.5, np.ones(1), np.zeros(1000, np.int8))
    >>> 400 < reached.size < 600
    True
"""

from __future__ import annotations

import numpy as np
from numba import njit

from sim.streams import uniform_one


@njit(cache=True)
def reach(
    targets: np.ndarray, key: np.uint64, share: float, response: np.ndarray, persona: np.ndarray
) -> np.ndarray:
    """The targets a lever reaches this week: each with probability ``share`` x their persona's
    response to the lever, by their own uniform."""
    # Three simple passes rather than one: the draws then vectorise (several targets hashed at
    # a time), which the gather of the personas and the compaction of the reached would prevent.
    chance = np.empty(targets.size, dtype=np.float64)
    for i in range(targets.size):
        chance[i] = share * response[persona[targets[i]]]
    hit = np.empty(targets.size, dtype=np.bool_)
    for i in range(targets.size):
        hit[i] = uniform_one(key, np.int64(targets[i])) < chance[i]
    reached = np.empty(targets.size, dtype=np.int64)
    count = 0
    for i in range(targets.size):  # branch-free: write every target, keep the count of the reached
        reached[count] = targets[i]
        count += hit[i]
    return reached[:count].copy()


# --------------------------------------------------------------------------- eligibility


@njit(cache=True)
def keep_where(slots: np.ndarray, codes: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """The ``slots`` whose code is wanted: ``slots[wanted[codes[slots]]]`` in one pass (``wanted``
    a boolean table indexed by code)."""
    out = np.empty(slots.size, dtype=np.int64)
    count = 0
    for i in range(slots.size):
        out[count] = slots[i]
        count += wanted[codes[slots[i]]]
    return out[:count].copy()


@njit(cache=True)
def contactable(slots: np.ndarray, contact_block: np.ndarray, firm: int, week: int) -> np.ndarray:
    """The ``slots`` whose contact block for ``firm`` has passed by ``week``:
    ``slots[contact_block[slots, firm] <= week]`` in one pass."""
    out = np.empty(slots.size, dtype=np.int64)
    count = 0
    for i in range(slots.size):
        out[count] = slots[i]
        count += contact_block[slots[i], firm] <= week
    return out[:count].copy()


@njit(cache=True)
def rivals_customers_aware_of(firm_of: np.ndarray, aware: np.ndarray, firm: int) -> np.ndarray:
    """Slots of other firms' customers who know ``firm`` (whom its poaching can reach)."""
    out = np.empty(firm_of.size, dtype=np.int64)
    count = 0
    for slot in range(firm_of.size):  # branch-free: write every slot, keep the count of the wanted
        out[count] = slot
        count += (firm_of[slot] >= 0) & (firm_of[slot] != firm) & aware[slot, firm]
    return out[:count].copy()


@njit(cache=True)
def risk_score(slots: np.ndarray, records: tuple, tier_bronze: np.int8, week: int) -> np.ndarray:
    """:func:`sim.strategies.levers.risk_score` in one pass. ``records`` is (last purchase week,
    acquired week, purchases, spend level, products, joining products, complaints, tier)."""
    last_purchase, acquired, purchases, spend_level, products, joining, complaints, tier = records
    out = np.empty(slots.size, dtype=np.float64)
    for i in range(slots.size):
        slot = slots[i]
        recency = min((week - last_purchase[slot]) / 13.0, 2.0)
        tenure = max(week - acquired[slot], 1)
        rarity = 1.0 / (1.0 + 10.0 * (purchases[slot] / tenure))
        trend = np.float64(np.float32(1.0) - min(spend_level[slot], np.float32(1.0)))
        trend += 0.5 if products[slot] < joining[slot] else 0.0
        complained = min(complaints[slot], 3) / 3.0
        low_tier = 0.5 if tier[slot] == tier_bronze else 0.0
        out[i] = recency + rarity + trend + complained + low_tier
    return out


# --------------------------------------------------------------------------- effects
# A lever's effect on the people it reached, written in one compiled pass instead of one NumPy
# fancy-index operation per buffer (each a gather, a check of the indices and a scatter). The
# reached slots are distinct (a lever reaches each eligible person at most once), so a loop and
# NumPy's buffered fancy indexing write the same values.


@njit(cache=True)
def add_in_column(slots: np.ndarray, values: np.ndarray, column: int, amount) -> None:
    """``values[slots, column] += amount`` in place, for distinct ``slots`` (``amount`` of the
    buffer's dtype: a float32 buffer adds a float32 amount, as NumPy does with a Python float)."""
    for i in range(slots.size):
        values[slots[i], column] += amount


@njit(cache=True)
def ad_contact(reached: np.ndarray, people: tuple, firm: int, channel: int, strength: np.float32) -> None:
    """An ad's effect on each reached (distinct) slot, in place: ``aware[slot, firm] = True``,
    ``adoption_boost[slot, firm, channel] += strength`` (float32) and ``campaign_contact[slot,
    firm] = True``. ``people`` is (aware, adoption boost, campaign contact)."""
    aware, boost, campaign = people
    for i in range(reached.size):
        slot = reached[i]
        aware[slot, firm] = True
        boost[slot, firm, channel] += strength
        campaign[slot, firm] = True


@njit(cache=True)
def touch(slots: np.ndarray, untouched: np.ndarray, touches: np.ndarray, keep: float) -> None:
    """A relations touch of each (distinct) slot, in place: ``untouched`` x= ``keep`` (1 - the
    touch's strength, rounded to float32 here) and one more contact (what
    :meth:`sim.model.WeekEffects.touch` writes)."""
    keep32 = np.float32(keep)  # a new name: reassigning ``keep`` would make it a float64
    for i in range(slots.size):
        slot = slots[i]
        untouched[slot] *= keep32
        touches[slot] += 1
