"""Validation: heterogeneous churn, the shifted-beta-geometric retention curve (Fader & Hardie
2007, "How to project customer retention", J. Interactive Marketing 21(1)).

Configuration (sim.validation.sbg_scenario): validation 2's cohort of N = 5,000, all acquired in
week 1, one churn reason (unappreciated, appreciation held at 0, unappreciated_rate 1) whose
hazard each person multiplies by their own ``unappreciated_frailty``, read from a trait file:
-log(1 - p_i) with p_i ~ Beta(a, b), a = 0.668, b = 3.806 (the paper's "high end" segment), so the
engine's weekly churn probability 1 - exp(-hazard) is p_i; 40 weeks (39 churn draws).

Expected: S(t) = B(a, b + t) / B(a, b) of the cohort is still a customer after t draws; the
retention of the t-th draw, (b + t - 1) / (a + b + t - 1), rises with tenure (0.851 at t = 1,
0.98 by t = 30).

Tolerance: each person's p is drawn independently, so the number still there after t draws is
Binomial(N, S(t)) (p's sampling included): 4 binomial standard errors sqrt(S (1 - S) / N) at every
t (0.0050 at t = 1, 0.0071 at t = 8). Over 10 seeds (benchmarks/sbg_retention.py) the mean error
at every checkpoint was within 1.3 standard errors of the mean and the sd of the errors 0.7-0.95
binomial standard errors; the largest of 400 was 1.8.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.validation.sbg import sbg_retention, sbg_scenario, survival_check

A, B = 0.668, 3.806
SIZE, WEEKS = 5000, 40


@pytest.fixture(scope="module")
def check(tmp_path_factory: pytest.TempPathFactory):
    scenario = sbg_scenario(SIZE, A, B, WEEKS, tmp_path_factory.mktemp("sbg"), seed=12)
    return survival_check(scenario, A, B, seed=3)


def test_the_whole_cohort_joins_in_week_one(check):
    assert check.cohort == SIZE, f"expected all {SIZE} acquired in week 1, got {check.cohort}"


def test_survival_matches_the_shifted_beta_geometric_curve(check):
    worst = int(np.argmax(np.abs(check.z)))
    assert np.all(np.abs(check.z) <= 4), (
        f"expected S(t) within 4 binomial standard errors at every t; at t = {check.t[worst]}: "
        f"measured {check.measured[worst]:.4f}, expected {check.expected[worst]:.4f} "
        f"({check.z[worst]:+.2f} se)"
    )


def test_retention_rises_with_tenure(check):
    # Weekly retention over draws 1-4 against draws 30-39 (geometric means): expected 0.884 and
    # 0.982 (measured 0.881 and 0.981 on these seeds); the survivors' shares behind them have binomial
    # se of ~0.007 and ~0.006, a few thousandths of weekly retention, so a rise of 0.05 is far beyond noise.
    early = check.measured[4] / check.measured[0]
    late = check.measured[39] / check.measured[29]
    early_expected = float(np.prod(sbg_retention(A, B, np.arange(1, 5)))) ** 0.25
    late_expected = float(np.prod(sbg_retention(A, B, np.arange(30, 40)))) ** 0.1
    assert late**0.1 > early**0.25 + 0.05, (
        f"expected weekly retention to rise with tenure (theory {early_expected:.3f} -> "
        f"{late_expected:.3f}); measured {early**0.25:.3f} -> {late**0.1:.3f}"
    )
