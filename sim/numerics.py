"""Numbers that come out the same on every machine: the compiled helpers every rule shares.

Owns the arithmetic the behaviours' kernels have in common and that NumPy would make depend on the
processor: exponentials of whole arrays (:func:`exp_each`, :func:`expm1_each`), choosing the k
smallest or largest values (:func:`smallest`, :func:`largest`), the weekly chance of an event
at a hazard (:func:`below_chance`), the standard normal quantile (:func:`normal_quantile`, Cephes'
ndtri as scipy has it, bit for bit) and bounds of it (:func:`normal_quantile_cells`), and the
draws "in proportion to weights" (:func:`pick_in_proportion`) and "which answer" of cumulative
chances (:func:`answer_of`).

NumPy's exp, log and expm1 loops (and its argpartition) pick their code at run time by the
processor's SIMD level (AVX2, AVX-512 with SVML, or neither), and the three differ in the last bit
on some inputs, so the same seed gave different customers on different machines (a rating 3.85845
here, 3.85833 on an AVX-512 host). A compiled loop calls the C library's function element by
element, which does not depend on the SIMD level; scalars use Python's math module, which is the
same C library (tests/test_portable.py).

The behaviours' kernels inline these helpers; numba's cache of a kernel is checked against the
kernel's own file only, so after editing a helper here delete the caches (README, "Speed").

Example:
    >>> import numpy as np
    >>> bool(below_chance(0.5, np.float32(1.0))), bool(below_chance(0.7, np.float32(1.0)))
    (True, False)
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

# --------------------------------------------------------------------------- exponentials


@njit(cache=True)
def exp_each(values: np.ndarray) -> np.ndarray:
    """``exp`` of each element of a 1-D array (the C library's, as ``math.exp``), same dtype.

    Example:
        >>> exp_each(np.array([0.0, 1.0])).tolist() == [1.0, math.exp(1.0)]
        True
    """
    out = np.empty_like(values)
    for i in range(values.size):
        out[i] = np.exp(values[i])
    return out


@njit(cache=True)
def expm1_each(values: np.ndarray) -> np.ndarray:
    """``expm1`` of each element of a 1-D array (the C library's), same dtype.

    Example:
        >>> expm1_each(np.array([0.0])).tolist()
        [0.0]
    """
    out = np.empty_like(values)
    for i in range(values.size):
        out[i] = np.expm1(values[i])
    return out


# --------------------------------------------------------------------------- the k smallest or largest
# np.argpartition and np.argsort (unstable) pick their algorithm by the processor's SIMD level
# (x86-simd-sort on AVX2 and AVX-512), and among tied values each algorithm returns different
# elements: ties are common (new customers with no spend, equal risk scores), so the same seed
# chose different customers on different machines. These rank by (value, position): the same
# elements everywhere, in O(n).


def smallest(values: np.ndarray, count: int) -> np.ndarray:
    """Positions of the ``count`` smallest values, ties going to the lowest positions (unsorted).

    Example:
        >>> sorted(smallest(np.array([3.0, 1.0, 1.0, 1.0, 0.0]), 3).tolist())
        [1, 2, 4]
    """
    n = values.size
    if count >= n:
        return np.arange(n)
    if count <= 0:
        return np.empty(0, dtype=np.int64)
    cut = np.partition(values, count - 1)[count - 1]  # the count-th smallest: one value, any algorithm
    below = np.flatnonzero(values < cut)
    tied = np.flatnonzero(values == cut)[: count - below.size]
    return np.concatenate((below, tied))


def largest(values: np.ndarray, count: int) -> np.ndarray:
    """Positions of the ``count`` largest values, ties going to the highest positions (unsorted):
    the complement of :func:`smallest` (``n - count`` of them) in the same (value, position) order.

    Example:
        >>> sorted(largest(np.array([3.0, 1.0, 1.0, 1.0, 0.0]), 2).tolist())
        [0, 3]
    """
    n = values.size
    if count >= n:
        return np.arange(n)
    if count <= 0:
        return np.empty(0, dtype=np.int64)
    cut = np.partition(values, n - count)[n - count]
    above = np.flatnonzero(values > cut)
    tied = np.flatnonzero(values == cut)
    return np.concatenate((above, tied[tied.size - (count - above.size) :]))


# --------------------------------------------------------------------------- events and draws


@njit(cache=True, inline="always")
def below_chance(u: float, hazard: np.float32) -> bool:
    """``u < -expm1(-hazard)`` (the chance of an event at this weekly hazard, float32), without
    computing expm1 when u is clearly above it: 1 - exp(-h) < h, so u >= h x (1 + 1e-6) decides
    it (the margin covers float32 rounding). The same answer either way, at a fraction of the cost
    for the many people whose chance is small."""
    if u >= np.float64(hazard) * 1.000001:
        return False
    return u < -np.expm1(-hazard)


@njit(cache=True, inline="always")
def may_be_below(u: float, bound: np.float32) -> bool:
    """Whether :func:`below_chance` of u could hold for a hazard at most ``bound`` (its own
    shortcut, negated: u >= bound x (1 + 1e-6) decides no for every hazard up to the bound)."""
    return u < np.float64(bound) * 1.000001


@njit(cache=True)
def pick_in_proportion(weights: np.ndarray, row: int, first: int, last: int, u: float) -> int:
    """Index (first..last) drawn in proportion to ``weights[row, first:last + 1]`` by the uniform
    u: the first whose float32 running sum exceeds u x the total (NumPy's ``(cumulative <= u x
    total).sum()`` of float32 cumulative sums, capped at the last)."""
    total = np.float32(0.0)
    for r in range(first, last + 1):
        total += weights[row, r]
    target = u * np.float64(total)
    running = np.float32(0.0)
    below = 0
    for r in range(first, last + 1):
        running += weights[row, r]
        if running <= target:
            below += 1
    return first + min(below, last - first)


@njit(cache=True, inline="always")
def answer_of(edges: np.ndarray, u: float) -> int:
    """Which answer the uniform u gives, for answers with cumulative chances ``edges``:
    ``np.searchsorted(edges, u, side="right")``, how many of the edges are <= u."""
    answer = 0
    for edge in edges:
        answer += edge <= u
    return answer


# --------------------------------------------------------------------------- the normal quantile
# Cephes' ndtri (Moshier), which scipy.special.ndtri implements: the same coefficients and the
# same operations, so the same numbers bit for bit (checked on 7 million uniforms, tails included).
_S2PI = 2.50662827463100050242e0
_EXP_MINUS_2 = 0.13533528323661269189
_P0 = (
    -5.99633501014107895267e1,
    9.80010754185999661536e1,
    -5.66762857469070293439e1,
    1.39312609387279679503e1,
    -1.23916583867381258016e0,
)
_Q0 = (
    1.95448858338141759834e0,
    4.67627912898881538453e0,
    8.63602421390890590575e1,
    -2.25462687854119370527e2,
    2.00260212380060660359e2,
    -8.20372256168333339912e1,
    1.59056225126211695515e1,
    -1.18331621121330003142e0,
)
_P1 = (
    4.05544892305962419923e0,
    3.15251094599893866154e1,
    5.71628192246421288162e1,
    4.40805073893200834700e1,
    1.46849561928858024014e1,
    2.18663306850790267539e0,
    -1.40256079171354495875e-1,
    -3.50424626827848203418e-2,
    -8.57456785154685413611e-4,
)
_Q1 = (
    1.57799883256466749731e1,
    4.53907635128879210584e1,
    4.13172038254672030440e1,
    1.50425385692907503408e1,
    2.50464946208309415979e0,
    -1.42182922854787788574e-1,
    -3.80806407691578277194e-2,
    -9.33259480895457427372e-4,
)
_P2 = (
    3.23774891776946035970e0,
    6.91522889068984211695e0,
    3.93881025292474443415e0,
    1.33303460815807542389e0,
    2.01485389549179081538e-1,
    1.23716634817820021358e-2,
    3.01581553508235416007e-4,
    2.65806974686737550832e-6,
    6.23974539184983293730e-9,
)
_Q2 = (
    6.02427039364742014255e0,
    3.67983563856160859403e0,
    1.37702099489081330271e0,
    2.16236993594496635890e-1,
    1.34204006088543189037e-2,
    3.28014464682127739104e-4,
    2.89247864745380683936e-6,
    6.79019408009981274425e-9,
)


@njit(cache=True, inline="always")
def _polevl(x: float, coef: tuple) -> float:
    value = coef[0]
    for i in range(1, len(coef)):
        value = value * x + coef[i]
    return value


@njit(cache=True, inline="always")
def _p1evl(x: float, coef: tuple) -> float:
    value = x + coef[0]
    for i in range(1, len(coef)):
        value = value * x + coef[i]
    return value


@njit(cache=True, inline="always")
def normal_quantile(y: float) -> float:
    """The standard normal quantile of y in (0, 1): ``scipy.special.ndtri``, compiled.

    Example:
        >>> normal_quantile(0.5)
        0.0
    """
    if y == 0.0:
        return -np.inf
    if y == 1.0:
        return np.inf
    lower = True
    if y > 1.0 - _EXP_MINUS_2:
        y = 1.0 - y
        lower = False
    if y > _EXP_MINUS_2:
        y = y - 0.5
        y2 = y * y
        return (y + y * (y2 * _polevl(y2, _P0) / _p1evl(y2, _Q0))) * _S2PI
    x = math.sqrt(-2.0 * math.log(y))
    x0 = x - math.log(x) / x
    z = 1.0 / x
    if x < 8.0:  # noqa: SIM108 - the two tuples differ in type (length), so no ternary
        x1 = z * _polevl(z, _P1) / _p1evl(z, _Q1)
    else:
        x1 = z * _polevl(z, _P2) / _p1evl(z, _Q2)
    return -(x0 - x1) if lower else x0 - x1


def normal_quantile_cells(cells: int) -> np.ndarray:
    """(cells, 2) float64: for a uniform u in [k / cells, (k + 1) / cells), bounds of
    :func:`normal_quantile` of u clipped to [1e-12, 1 - 1e-12] (as the perceived-value noise
    clips it): the quantiles of the cell's ends (of the clip at the outer ends), widened by 1e-9
    so that a last-bit wobble where the piecewise approximation changes pieces cannot break them.

    Example:
        >>> bounds = normal_quantile_cells(4)
        >>> bool(bounds[1, 0] < normal_quantile(0.3) < bounds[1, 1])
        True
    """
    edges = _normal_quantiles(np.clip(np.arange(cells + 1) / cells, 1e-12, 1.0 - 1e-12))
    widen = 1e-9 * (1.0 + np.abs(edges))
    return np.ascontiguousarray(np.stack([edges[:-1] - widen[:-1], edges[1:] + widen[1:]], axis=1))


@njit(cache=True)
def _normal_quantiles(u: np.ndarray) -> np.ndarray:
    out = np.empty(u.size, dtype=np.float64)
    for i in range(u.size):
        out[i] = normal_quantile(u[i])
    return out
