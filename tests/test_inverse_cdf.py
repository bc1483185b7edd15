"""The compiled beta and gamma quantiles of the trait draws (sim.agents.inverse_cdf) against
scipy's inverses: the same values to the last few bits over the shapes personas use and far
beyond them, monotone in u (common random numbers keep their order), settled by Newton without
scipy's help, and scipy's own values for shapes too extreme for a table."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import special

from sim.agents import inverse_cdf
from sim.agents.inverse_cdf import BETA, GAMMA, beta_quantiles, gamma_quantiles

# Measured worst relative difference from scipy over these grids: 5.7e-14 (gamma shape 0.05);
# a 1e-12 bound leaves room for another libm while still catching a wrong root.
AGREE = 1e-12
GAMMA_SHAPES = [0.05, 0.25, 0.5, 1.0, 1.78, 4.0, 25.0, 400.0]
# (mean, sd) as personas give them: the defaults' bandwagon threshold and appreciation decay,
# a near-uniform, a skewed-high and a small-mean wide one.
BETA_MEAN_SD = [(0.35, 0.15), (0.02, 0.01), (0.2, 0.1), (0.5, 0.28), (0.9, 0.05), (0.1, 0.25)]


def _uniforms(count: int = 50_000) -> np.ndarray:
    u = np.random.default_rng(3).random(count)
    u[:5] = [0.0, 1.0, 1e-6, 1 - 1e-6, 0.999]  # the clip's ends and the tails
    return np.clip(u, 1e-9, 1 - 1e-9)


def _beta_shape(mean: float, sd: float) -> tuple[float, float]:
    k = mean * (1 - mean) / sd**2 - 1
    return mean * k, (1 - mean) * k


def _assert_agrees(
    x: np.ndarray, exact: np.ndarray, residual: np.ndarray, exact_residual: np.ndarray, what: str
):
    relative = np.abs(x - exact) / exact
    # Where scipy's own root is the worse one (its beta at u = 0.5 for a = b is off by 3e-9),
    # ours must fit at least as well.
    off = (relative > AGREE) & (residual > exact_residual + 1e-15)
    assert not off.any(), (
        f"{what}: expected scipy's quantile to {AGREE:g} relative (or a closer root); worst "
        f"{relative[off].max():.3g} at x = {x[off][:3]}"
    )


@pytest.mark.parametrize("shape", GAMMA_SHAPES)
def test_gamma_quantiles_are_scipys(shape):
    u = _uniforms()
    x, exact = gamma_quantiles(shape, u), special.gammaincinv(shape, u)
    residual = np.abs(special.gammainc(shape, x) - u)
    _assert_agrees(x, exact, residual, np.abs(special.gammainc(shape, exact) - u), f"gamma {shape}")


@pytest.mark.parametrize(("mean", "sd"), BETA_MEAN_SD)
def test_beta_quantiles_are_scipys(mean, sd):
    a, b = _beta_shape(mean, sd)
    u = _uniforms()
    x, exact = beta_quantiles(a, b, u), special.betaincinv(a, b, u)
    residual = np.abs(special.betainc(a, b, x) - u)
    _assert_agrees(x, exact, residual, np.abs(special.betainc(a, b, exact) - u), f"beta {a:.3g}, {b:.3g}")


def test_each_person_gets_their_own_personas_shape():
    shapes = np.array([0.5, 4.0, 25.0])
    which = np.random.default_rng(1).integers(0, 3, 3000)
    u = _uniforms(3000)
    x = gamma_quantiles(shapes, u, which)
    one_by_one = np.concatenate([gamma_quantiles(shapes[k], u[which == k]) for k in range(3)])
    assert np.array_equal(np.sort(x), np.sort(one_by_one)), "expected a persona's values as when drawn alone"
    assert np.array_equal(x[which == 1], gamma_quantiles(4.0, u[which == 1])), (
        "expected the same value per person"
    )


def test_quantiles_rise_with_u():
    u = np.sort(_uniforms())
    for x in (gamma_quantiles(1.78, u), beta_quantiles(*_beta_shape(0.02, 0.01), u)):
        assert np.all(np.diff(x) >= 0), (
            "expected the quantile never to fall as u rises (common random numbers)"
        )


@pytest.mark.parametrize(("family", "a", "b"), [(GAMMA, 0.05, 0.0), (GAMMA, 400.0, 0.0), (BETA, 3.9, 191.1),
                                                (BETA, 1.094, 1.094), (BETA, 31.5, 3.5)])  # fmt: skip
def test_newton_settles_without_scipys_help(family, a, b):
    u = _uniforms()
    log_norm = special.gammaln(a) if family == GAMMA else special.betaln(a, b)
    out, settled = np.empty(u.size), np.zeros(u.size, dtype=bool)
    inverse_cdf._quantile_rows(0, u.size, family, inverse_cdf._table(family, a, b)[None], np.array([[a, b, log_norm]]),
                               np.zeros(u.size, dtype=np.int64), u, out, settled)  # fmt: skip
    assert settled.all(), f"expected every value settled by Newton; {np.count_nonzero(~settled)} were not"


def test_a_shape_too_extreme_for_a_table_is_drawn_by_scipy():
    a, b = _beta_shape(0.1, 0.29)  # a 0.0071, b 0.064: most quantiles are 0 or 1 in float64
    u = _uniforms()
    assert np.array_equal(beta_quantiles(a, b, u), special.betaincinv(a, b, u)), (
        "expected scipy's values where the table cannot be made"
    )
