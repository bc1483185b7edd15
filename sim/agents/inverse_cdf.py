"""Fast inverse distribution functions of the beta and gamma families, for drawing traits.

Owns the quantiles of the two families whose inverses scipy computes slowly: ``betaincinv`` and
``gammaincinv`` (Boost's iterative inverses) cost 0.5-2 us a value, and at ten million people
the four beta and gamma traits of the default personas were most of the set-up (population 27.8 s
of 34.8 at 10,000,000 people on a quiet hour). Here each value costs one or two evaluations of the
forward function instead (about 0.2 us):

1. A table of the inverse for the parameters in hand (scipy's own inverse at 1,025 points, on a
   logit scale of u from 1e-9 to 1 - 1e-9, with the exact derivative at each point) gives a
   cubic Hermite start, good to about 1e-9 relative.
2. Newton steps on the regularised incomplete gamma or beta function (its series and continued
   fraction, as in Numerical Recipes ch. 6.2 and 6.4, compiled) take it to the root. A start
   that far off needs one step; the loop stops once a step moves the value by less than 1e-9 of
   itself, which leaves an error of the order of the square of that step: at the last bits.
3. Any value the loop did not settle (none has in the tests' parameter grid) is recomputed by
   scipy's inverse, so the result is always the quantile.

The values agree with scipy's inverses to the last few bits (measured: at most 6e-14 relative
over the shapes of tests/test_inverse_cdf.py); they are not bit for bit the same,
which moved no count and no money figure of the regression baseline (counts exact, money to 1e-9).
The compiled parts use only libm's scalar ``exp``, ``log`` and ``log1p``, and the normalisers and
tables come from scipy's element-by-element special functions, so the values are the same on
every processor (sim.numerics explains why NumPy's vector loops would not be).

Example:
    >>> import numpy as np
    >>> from scipy import special
    >>> u = np.array([1e-9, 0.25, 0.5, 0.999])
    >>> x = beta_quantiles(2.0, 5.0, u)
    >>> bool(np.allclose(x, special.betaincinv(2.0, 5.0, u), rtol=1e-13, atol=0))
    True
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from numba import njit
from scipy import special

# The table's span on the logit scale of u: the draws clip u to [1e-9, 1 - 1e-9].
_LOW, _HIGH = math.log(1e-9 / (1 - 1e-9)), math.log((1 - 1e-9) / 1e-9)
TABLE_POINTS = 1025
_TINY = 1e-300
_EPS = 1e-16
_MAX_TERMS = 2000
_SETTLED = 1e-9  # a Newton step below this share of the value ends the loop
_MAX_STEPS = 30

GAMMA, BETA = 0, 1


# --------------------------------------------------------------------------- forward functions


@njit(cache=True, inline="always")
def _gamma_series(a: float, x: float) -> float:
    """The series of P(a, x) without its prefactor (Numerical Recipes 6.2.5)."""
    term = 1.0 / a
    total = term
    ap = a
    for _ in range(_MAX_TERMS):
        ap += 1.0
        term *= x / ap
        total += term
        if abs(term) < abs(total) * _EPS:
            break
    return total


@njit(cache=True, inline="always")
def _lentz_step(numerator: float, denominator: float, c: float, d: float) -> tuple[float, float]:
    """One term of a continued fraction by the modified Lentz method (NR 5.2): the updated
    (C, 1 / D), each kept off zero."""
    d = denominator + numerator * d
    if abs(d) < _TINY:
        d = _TINY
    c = denominator + numerator / c
    if abs(c) < _TINY:
        c = _TINY
    return c, 1.0 / d


@njit(cache=True, inline="always")
def _gamma_fraction(a: float, x: float) -> float:
    """The continued fraction of Q(a, x) without its prefactor (Lentz; NR 6.2.7)."""
    b = x + 1.0 - a
    c = 1.0 / _TINY
    d = 1.0 / b
    h = d
    for i in range(1, _MAX_TERMS):
        b += 2.0
        c, d = _lentz_step(-i * (i - a), b, c, d)
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < _EPS:
            break
    return h


@njit(cache=True)
def gamma_cdf_pair(a: float, x: float, log_gamma_a: float) -> tuple[float, float]:
    """(P(a, x), Q(a, x)), the regularised lower and upper incomplete gamma functions, each
    computed directly on its own side so that neither loses digits to 1 - the other.

    Example:
        >>> p, q = gamma_cdf_pair(1.0, 1.0, 0.0)
        >>> bool(abs(p - (1 - math.exp(-1.0))) < 1e-15 and abs(q - math.exp(-1.0)) < 1e-15)
        True
    """
    if x <= 0.0:
        return 0.0, 1.0
    front = math.exp(a * math.log(x) - x - log_gamma_a)
    if x < a + 1.0:
        p = front * _gamma_series(a, x)
        return p, 1.0 - p
    q = front * _gamma_fraction(a, x)
    return 1.0 - q, q


@njit(cache=True, inline="always")
def _beta_fraction(a: float, b: float, x: float) -> float:
    """The continued fraction of I_x(a, b) (Lentz; NR 6.4.5)."""
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c = 1.0
    d = 1.0 - qab * x / qap
    if abs(d) < _TINY:
        d = _TINY
    d = 1.0 / d
    h = d
    for m in range(1, _MAX_TERMS):
        m2 = 2 * m
        c, d = _lentz_step(m * (b - m) * x / ((qam + m2) * (a + m2)), 1.0, c, d)  # the even term
        h *= d * c
        c, d = _lentz_step(-(a + m) * (qab + m) * x / ((a + m2) * (qap + m2)), 1.0, c, d)  # the odd
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < _EPS:
            break
    return h


@njit(cache=True)
def beta_cdf_pair(a: float, b: float, x: float, log_beta_ab: float) -> tuple[float, float]:
    """(I_x(a, b), 1 - I_x(a, b)), the regularised incomplete beta function and its complement,
    each from the continued fraction on its own side.

    Example:
        >>> p, q = beta_cdf_pair(1.0, 1.0, 0.3, 0.0)
        >>> bool(abs(p - 0.3) < 1e-15 and abs(q - 0.7) < 1e-15)
        True
    """
    if x <= 0.0:
        return 0.0, 1.0
    if x >= 1.0:
        return 1.0, 0.0
    front = math.exp(a * math.log(x) + b * math.log1p(-x) - log_beta_ab)
    if x < (a + 1.0) / (a + b + 2.0):
        p = front * _beta_fraction(a, b, x) / a
        return p, 1.0 - p
    q = front * _beta_fraction(b, a, 1.0 - x) / b
    return 1.0 - q, q


# --------------------------------------------------------------------------- the quantiles


@njit(cache=True, inline="always")
def _start(table: np.ndarray, u: float) -> float:
    """The cubic Hermite value of the table's transformed quantile at u (logit scale)."""
    t = math.log(u / (1.0 - u))
    points = table.shape[1]
    step = (_HIGH - _LOW) / (points - 1)
    position = (t - _LOW) / step
    i = min(max(int(position), 0), points - 2)
    s = position - i
    y0, y1 = table[0, i], table[0, i + 1]
    m0, m1 = table[1, i] * step, table[1, i + 1] * step
    s2 = s * s
    s3 = s2 * s
    return (2 * s3 - 3 * s2 + 1) * y0 + (s3 - 2 * s2 + s) * m0 + (-2 * s3 + 3 * s2) * y1 + (s3 - s2) * m1


@njit(cache=True, nogil=True)
def _quantile_rows(
    first: int,
    last: int,
    family: int,
    tables: np.ndarray,
    shapes: np.ndarray,
    which: np.ndarray,
    u: np.ndarray,
    out: np.ndarray,
    settled: np.ndarray,
) -> None:
    """Quantiles of u[first:last], each with the parameters and table of ``which[i]``:
    ``shapes[k] = (a, b, log normaliser)``; gamma ignores b."""
    for i in range(first, last):
        k = which[i]
        a, b, log_norm = shapes[k, 0], shapes[k, 1], shapes[k, 2]
        ui = u[i]
        upper = ui > 0.5  # solve on the side whose probability is small: its digits are exact
        target = 1.0 - ui if upper else ui
        y = _start(tables[k], ui)
        x = math.exp(y) if family == GAMMA else 1.0 / (1.0 + math.exp(-y))  # y: log x or logit x
        done = False
        for _ in range(_MAX_STEPS):
            if family == GAMMA:
                p, q = gamma_cdf_pair(a, x, log_norm)
                log_density = (a - 1.0) * math.log(x) - x - log_norm
            else:
                p, q = beta_cdf_pair(a, b, x, log_norm)
                log_density = (a - 1.0) * math.log(x) + (b - 1.0) * math.log1p(-x) - log_norm
            density = math.exp(log_density)
            if not density > 0.0:
                break
            miss = (target - q) if upper else (p - target)  # F(x) - u, from the small side
            step = miss / density
            new = x - step
            if new <= 0.0:  # a step out of the support goes halfway to its edge instead
                new = x / 2.0
            elif family == BETA and new >= 1.0:
                new = (x + 1.0) / 2.0
            moved = abs(new - x)
            x = new
            if moved <= _SETTLED * x:
                done = True
                break
        out[i] = x
        settled[i] = done


@lru_cache(maxsize=256)
def _table(family: int, a: float, b: float) -> np.ndarray:
    """The transformed quantile (log x for gamma, logit x for beta) and its derivative in
    logit u, at TABLE_POINTS points of the logit scale: scipy's inverse (element by element, the
    same on every processor), made once per shape; the transforms are compiled (libm's scalar
    functions, not NumPy's vector loops, whose last bits depend on the processor)."""
    t = np.linspace(_LOW, _HIGH, TABLE_POINTS)
    u = _logistic(t)
    if family == GAMMA:
        x, log_norm = special.gammaincinv(a, u), float(special.gammaln(a))
    else:
        x, log_norm = special.betaincinv(a, b, u), float(special.betaln(a, b))
    table = _transforms(family, a, b, log_norm, t, u, x)
    table.flags.writeable = False
    return table


@njit(cache=True)
def _logistic(t: np.ndarray) -> np.ndarray:
    out = np.empty_like(t)
    for i in range(t.size):
        out[i] = 1.0 / (1.0 + math.exp(-t[i]))
    return out


@njit(cache=True)
def _transforms(
    family: int, a: float, b: float, log_norm: float, t: np.ndarray, u: np.ndarray, x: np.ndarray
) -> np.ndarray:
    """Rows y (log x or logit x) and dy/dt: (dx/du)(du/dt)/x = u (1 - u) / (density x) for gamma,
    u (1 - u) / (density x (1 - x)) for beta. A quantile of 0 or 1 (an extreme shape) gives a
    non-finite row, which marks the table unusable."""
    table = np.empty((2, t.size))
    for i in range(t.size):
        xi, ui = x[i], u[i]
        if not (xi > 0.0 and (family == GAMMA or xi < 1.0)):
            table[0, i] = table[1, i] = np.nan
            continue
        log_x = math.log(xi)
        if family == GAMMA:
            log_density = (a - 1.0) * log_x - xi - log_norm
            table[0, i] = log_x
            table[1, i] = math.exp(math.log(ui) + math.log1p(-ui) - log_density - log_x)
        else:
            log_rest = math.log1p(-xi)
            log_density = (a - 1.0) * log_x + (b - 1.0) * log_rest - log_norm
            table[0, i] = log_x - log_rest
            table[1, i] = math.exp(math.log(ui) + math.log1p(-ui) - log_density - log_x - log_rest)
    return table


def _quantiles(family: int, a: np.ndarray, b: np.ndarray, which: np.ndarray, u: np.ndarray) -> np.ndarray:
    shapes = np.column_stack([a, b, special.gammaln(a) if family == GAMMA else special.betaln(a, b)]).astype(
        np.float64
    )
    tables = np.stack([_table(family, float(ai), float(bi)) for ai, bi in zip(a, b, strict=True)])
    # A shape so extreme that its quantiles reach 0 or 1 in float64 (e.g. beta 0.01, 0.2) has no
    # finite table: scipy draws it, as it does any value Newton did not settle.
    untabled = ~np.isfinite(tables).all(axis=(1, 2))
    tables[untabled] = 0.0
    u = np.ascontiguousarray(u, dtype=np.float64)
    out = np.empty(u.size, dtype=np.float64)
    settled = np.empty(u.size, dtype=np.bool_)
    # In the calling thread: the trait draws already split a large population over the kernels'
    # threads (sim.agents.customers._sampled), and the kernel releases the GIL.
    _quantile_rows(0, u.size, family, tables, shapes, which, u, out, settled)
    rest = ~settled | untabled[which]
    if rest.any():
        if family == GAMMA:
            out[rest] = special.gammaincinv(a[which[rest]], u[rest])
        else:
            out[rest] = special.betaincinv(a[which[rest]], b[which[rest]], u[rest])
    return out


def gamma_quantiles(shape: float | np.ndarray, u: np.ndarray, which: np.ndarray | None = None) -> np.ndarray:
    """``scipy.special.gammaincinv(shape, u)`` (unit scale), fast: one shape for all, or
    ``shape[which[i]]`` for element i. ``u`` must lie in [1e-9, 1 - 1e-9] (the draws' clip).

    Example:
        >>> import numpy as np
        >>> x = gamma_quantiles(np.array([0.5, 4.0]), np.array([0.5, 0.5]), np.array([0, 1]))
        >>> bool(np.allclose(x, special.gammaincinv([0.5, 4.0], 0.5), rtol=1e-13))
        True
    """
    a, which = _per_shape(shape, u, which)
    return _quantiles(GAMMA, a, np.zeros_like(a), which, u)


def beta_quantiles(
    a: float | np.ndarray, b: float | np.ndarray, u: np.ndarray, which: np.ndarray | None = None
) -> np.ndarray:
    """``scipy.special.betaincinv(a, b, u)``, fast: one (a, b) for all, or ``(a[which[i]],
    b[which[i]])`` for element i. ``u`` must lie in [1e-9, 1 - 1e-9] (the draws' clip)."""
    a_values, which = _per_shape(a, u, which)
    b_values = np.atleast_1d(np.asarray(b, dtype=np.float64))
    return _quantiles(BETA, a_values, b_values, which, u)


def _per_shape(shape: float | np.ndarray, u: np.ndarray, which: np.ndarray | None):
    values = np.atleast_1d(np.asarray(shape, dtype=np.float64))
    if which is None:
        which = np.zeros(np.asarray(u).size, dtype=np.int64)
    return values, np.ascontiguousarray(which, dtype=np.int64)
