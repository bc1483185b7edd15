"""Common random numbers: every draw depends only on (seed, decision, week, person slot).

The model never draws from a global or sequential generator. Each decision (``"adopt"``,
``"refer"``, ``"purchase"``, ...) is a named stream; a person's uniform for that decision in a
given week is a pure function of the run seed, the decision name, the week, the person's stable
slot and an optional sub-index (for example the firm). The function is the SplitMix64 finaliser,
a counter-based generator that passes BigCrush, applied to a key that mixes those inputs.

This module holds the one definition of that hash: :func:`uniform_one` (a slot's uniform from
its stream cell), compiled, which :class:`Streams` calls for whole arrays of slots
(:func:`uniform_for_slots`) and every behaviour's kernel calls for one person at a time, so a
draw is the same number whichever asks for it (the kernels inline it; after editing the hash,
delete numba's caches: README, "Speed").

Why counter-based rather than one NumPy generator per decision and week (Starsim's approach):
it gives the same guarantee (a person's luck does not depend on anyone else's state), but draws
for a subset of people cost only that subset, and no population-sized array must be drawn just to
index a few slots. Two strategies run with the same seed therefore see the same luck for every
person their difference did not touch, which is what makes paired comparisons tight.

Example:
    >>> import numpy as np
    >>> streams = Streams(seed=7)
    >>> everyone = streams.uniform("adopt", week=3, slots=np.arange(5))
    >>> some = streams.uniform("adopt", week=3, slots=np.array([1, 4]))
    >>> bool(np.all(everyone[[1, 4]] == some))
    True
"""

from __future__ import annotations

import hashlib

import numpy as np
from numba import njit
from scipy import special

# SplitMix64 (Steele, Lea and Flood 2014): the increment and the finaliser's two multipliers.
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_TO_UNIT = 2.0**-53  # the top 53 bits of a 64-bit draw, as a float in [0, 1)
_MASK64 = (1 << 64) - 1


@njit(cache=True, inline="always")
def splitmix(x: np.uint64) -> np.uint64:
    """The SplitMix64 finaliser of one 64-bit integer (wrapping arithmetic is intended)."""
    x ^= x >> np.uint64(30)
    x *= _MIX1
    x ^= x >> np.uint64(27)
    x *= _MIX2
    x ^= x >> np.uint64(31)
    return x


@njit(cache=True, inline="always")
def uniform_one(key: np.uint64, slot: np.int64) -> float:
    """The uniform in [0, 1) of one ``slot`` for the stream cell ``key`` (:meth:`Streams.key`):
    the finaliser of slot x golden + key, its top 53 bits scaled to [0, 1). Compiled code draws
    each person's uniform with this, on the spot.

    Example:
        >>> u = uniform_one(Streams(7).key("adopt", 3), 4)
        >>> u == float(Streams(7).uniform("adopt", 3, np.array([4]))[0])
        True
    """
    x = splitmix(np.uint64(slot) * _GOLDEN + key)
    return float(x >> np.uint64(11)) * _TO_UNIT


@njit(cache=True)
def uniform_for_slots(key: np.uint64, slots: np.ndarray) -> np.ndarray:
    """Uniform draws in [0, 1), one per slot (a 1-D integer array), for the stream cell ``key``."""
    out = np.empty(slots.size, dtype=np.float64)
    for i in range(slots.size):
        out[i] = uniform_one(key, np.int64(slots[i]))
    return out


@njit(cache=True)
def uniforms_for_keys(keys: np.ndarray, slots: np.ndarray) -> np.ndarray:
    """(keys, slots) uniforms: row r is :func:`uniform_for_slots` of ``keys[r]`` (several
    streams' draws for the same people in one call)."""
    out = np.empty((keys.size, slots.size), dtype=np.float64)
    for r in range(keys.size):
        for i in range(slots.size):
            out[r, i] = uniform_one(keys[r], np.int64(slots[i]))
    return out


def _key(seed: int, decision: str, week: int, sub: int) -> np.uint64:
    """A 64-bit key for one (seed, decision, week, sub) cell; stable across processes."""
    text = f"{seed}|{decision}|{week}|{sub}".encode()
    return np.uint64(int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "little"))


class Streams:
    """Named, counter-based random streams for one replicate.

    Args:
        seed: the replicate's seed (any non-negative integer).

    Example:
        >>> s = Streams(1)
        >>> float(s.uniform("churn", 0, np.array([0]))[0]) == float(
        ...     Streams(1).uniform("churn", 0, np.array([0]))[0])
        True
    """

    def __init__(self, seed: int) -> None:
        if seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {seed}")
        self.seed = int(seed)
        # The hash state after "seed|decision|", per decision: a cell's key continues it with
        # "week|sub" (blake2b is a stream hash, so the key is the same as hashing the whole text),
        # which halves the cost of a key (about 40 are asked for a week).
        self._prefix: dict[str, object] = {}

    def __getstate__(self) -> dict:
        # The cached hash states cannot be pickled (nor deep-copied); they are rebuilt on use.
        return {"seed": self.seed}

    def __setstate__(self, state: dict) -> None:
        self.seed = state["seed"]
        self._prefix = {}

    def _cell(self, decision: str, week: int, sub: int) -> np.uint64:
        """:func:`_key` of this seed, from the cached hash state of ``decision``."""
        if type(week) is not int or type(sub) is not int:  # e.g. NumPy integers: the plain path
            return _key(self.seed, decision, week, sub)
        state = self._prefix.get(decision)
        if state is None:
            state = self._prefix[decision] = hashlib.blake2b(
                f"{self.seed}|{decision}|".encode(), digest_size=8
            )
        cell = state.copy()
        cell.update(b"%d|%d" % (week, sub))
        return np.uint64(int.from_bytes(cell.digest(), "little"))

    def uniform(self, decision: str, week: int, slots: np.ndarray, sub: int = 0) -> np.ndarray:
        """Uniform draws in [0, 1), one per slot, for ``decision`` in ``week``.

        Args:
            decision: the stream's name, e.g. ``"adopt"``.
            week: the simulation week (or any integer the decision is keyed on).
            slots: person slots (stable ids) to draw for; any integer array.
            sub: an extra index, e.g. a firm or lever number, for several draws per person.

        Returns:
            float64 array shaped like ``slots``.
        """
        slots = np.asarray(slots)
        key = self._cell(decision, week, sub)
        if slots.ndim == 1 and slots.dtype.kind in "iu":
            return uniform_for_slots(key, slots)
        flat = np.ascontiguousarray(slots, dtype=np.int64).ravel()  # any other shape or type
        return uniform_for_slots(key, flat).reshape(slots.shape)

    def key(self, decision: str, week: int, sub: int = 0) -> np.uint64:
        """The stream cell of ``decision`` in ``week``: compiled code draws a slot's uniform from
        it with :func:`uniform_one` (the same number :meth:`uniform` gives)."""
        return self._cell(decision, week, sub)

    def normal(self, decision: str, week: int, slots: np.ndarray, sub: int = 0) -> np.ndarray:
        """Standard normal draws by inversion of :meth:`uniform` (one uniform per slot)."""
        u = self.uniform(decision, week, slots, sub)
        return special.ndtri(np.clip(u, 1e-12, 1.0 - 1e-12))

    def integer_seed(self, decision: str) -> int:
        """A derived integer seed, for third-party generators (e.g. networkx) used once per run."""
        return int(_key(self.seed, decision, 0, 0)) & _MASK64 >> 33
