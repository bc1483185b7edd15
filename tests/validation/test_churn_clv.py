"""Validation 2: constant-hazard churn with a constant margin: geometric lifetimes and the
closed-form customer lifetime value.

Configuration (sim.validation.churn_scenario): a cohort of N = 20,000, all acquired in week 1
(innovation 50 a week; a leaver is locked out of the firm for the rest of the run, so nobody is
acquired twice); one churn reason, unappreciated, with appreciation held at 0 so that every
customer's weekly hazard is the constant h; Poisson(0.25) purchases a week at price 40, basket
1, margin 0.3: expected margin m = 3 a week; dormancy, partial churn, experience, referrals and
every lever off.

Expected values (sim.validation.churn_expectation, derived for the engine's timing): a customer
acquired in week a buys that week but faces churn only from week a + 1 on, after that week's
purchases, with probability 1 - r, r = exp(-h). So the tenure G = churn week - acquisition week
is geometric with mean 1 / (1 - r) and the customer buys in G + 1 weeks; ``ltv`` discounts each
purchase to the acquisition week by d = (1 + discount_rate)^(-1/52) a week:
CLV = m (1 + d / (1 - r d)) = m + m / (1 + i - r) (i = 1/d - 1), the acquisition week's margin
plus Gupta & Lehmann's (2003) retention series a week later. In a run of W weeks only K = W - 1
churn draws happen: E[tenure] = (1 - r^K) / (1 - r), E[ltv] = m (1 + d (1 - (r d)^K) / (1 - r d)).
``retention_yearly`` estimates r^52.

Tolerance: 4 standard errors of the mean over 5 seeds; the standard error is the larger of the
seed-to-seed sd / sqrt(5) and the exact per-customer sd (from the censored geometric and the
Poisson purchases) / sqrt(5 N). Over 30 seeds the measured seed-to-seed sd was 0.85-0.87 of the
per-customer theory and the 30-seed means were within 1.1 standard errors.
"""

from __future__ import annotations

import math

import pytest

from sim.validation import check_churn, churn_expectation, churn_measures, churn_scenario

SIZE = 20_000
PURCHASE_RATE, PRICE, MARGIN = 0.25, 40.0, 0.3
SEEDS = range(1, 6)
SPREAD_FACTOR = 2.5  # the measured spread may exceed the per-customer theory by chance, not more

CASES = {
    # h = 0.01 a week (yearly retention 0.59), 10% a year, five years: truncation matters (8% of
    # the cohort is still there at the end), so compare with the truncated expectations.
    "slow_churn": {"hazard": 0.01, "discount_rate": 0.10, "weeks": 260, "untruncated": False},
    # h = 0.04 a week (yearly retention 0.12), 50% a year, four years: r^207 = 2.5e-4 of the
    # cohort is left at the end, so the textbook untruncated forms 1 / (1 - r) and the CLV apply
    # (the computed truncation, 0.006 weeks and 0.003 currency, is added to the tolerance).
    "fast_churn": {"hazard": 0.04, "discount_rate": 0.50, "weeks": 208, "untruncated": True},
}


@pytest.fixture(scope="module", params=list(CASES))
def case(request):
    config = CASES[request.param]
    scenario = churn_scenario(
        SIZE,
        config["hazard"],
        config["weeks"],
        purchase_rate=PURCHASE_RATE,
        price=PRICE,
        margin=MARGIN,
        discount_rate=config["discount_rate"],
    )
    runs = [churn_measures(scenario, seed) for seed in SEEDS]
    expected = churn_expectation(
        config["hazard"],
        config["weeks"],
        margin_per_week=PURCHASE_RATE * PRICE * MARGIN,
        discount_rate=config["discount_rate"],
        margin_per_purchase=PRICE * MARGIN,
    )
    return config, runs, expected, check_churn(runs, expected, untruncated=config["untruncated"])


def test_the_cohort_is_acquired_once_in_week_one(case):
    _, runs, _, _ = case
    for run in runs:
        assert run.acquired == SIZE and run.cohort == SIZE, (
            f"every person should be acquired exactly once, in week 1 (no re-adoption); "
            f"acquired {run.acquired}, acquired in week 1 {run.cohort}, market {SIZE}"
        )


def test_closed_forms_agree_with_each_other(case):
    config, _, expected, _ = case
    r = math.exp(-config["hazard"])
    i = (1 + config["discount_rate"]) ** (1 / 52) - 1
    m = PURCHASE_RATE * PRICE * MARGIN
    assert expected.tenure_untruncated == pytest.approx(1 / (1 - r), rel=1e-6), (
        "the geometric mean lifetime should be 1 / (1 - exp(-h))"
    )
    # Gupta & Lehmann's margin-at-the-start-of-the-period CLV, m (1 + i) / (1 + i - r), one week
    # late (the acquisition week has no churn draw), plus the acquisition week's margin.
    assert expected.clv == pytest.approx(m + m / (1 + i - r), rel=1e-6), (
        "the untruncated lifetime value should be m + m / (1 + i - r)"
    )
    assert expected.retention_yearly == pytest.approx(r**52, rel=1e-6), "yearly retention is r^52"


@pytest.mark.parametrize("measure", ["tenure", "ltv", "retention_yearly"])
def test_measured_spread_is_the_per_customer_spread(case, measure):
    _, _, _, checks = case
    check = checks[measure]
    assert check.spread_ratio <= SPREAD_FACTOR, (
        f"{measure}: the seed-to-seed standard error ({check.measured_se:.4g}) should not exceed "
        f"{SPREAD_FACTOR} x the per-customer theory ({check.theory_se:.4g})"
    )


@pytest.mark.parametrize("measure", ["tenure", "ltv", "retention_yearly"])
def test_mean_matches_the_closed_form(case, measure):
    config, _, _, checks = case
    check = checks[measure]
    assert check.ok, (
        f"{measure} (h = {config['hazard']}, discount {config['discount_rate']}): mean "
        f"{check.mean:.5g} should be within {check.tolerance:.4g} (4 x {check.se:.4g} + "
        f"{check.extra:.2g}) of the closed form {check.expected:.5g}; error {check.error:.4g}"
    )
