"""Constant-hazard churn with constant margin: one cohort, its expected tenure, lifetime value and
yearly retention exactly for the engine's timing, and the measures read from a run (docs/validation.md)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sim.scenario import Scenario
from sim.validation.common import STANDARD_ERRORS, standard_error

# =========================================================================== churn and CLV


def churn_scenario(
    size: int,
    hazard: float,
    weeks: int,
    purchase_rate: float = 0.25,
    price: float = 40.0,
    margin: float = 0.3,
    discount_rate: float = 0.1,
) -> Scenario:
    """One cohort with a constant churn hazard and a constant expected margin per week.

    - **The cohort.** Nobody is a customer at week 0; innovation 50 per week makes every
      prospect adopt in week 1 (1 - exp(-50) is 1 in floating point and draws are below 1), so
      all N are acquired in week 1 and count as acquisitions (``ltv`` is per acquired
      customer; initial customers would not count). A leaver lapses to prospect and is locked
      out of the firm for ``rejoin_lockout_weeks = weeks``, longer than the rest of the run, so
      nobody is acquired twice (the caller can check ``acquired == size``).
    - **Constant hazard.** Only the unappreciated reason is on, with appreciation held at 0
      (the appreciation behaviour off; new customers start at ``initial = 0``), so each
      customer's hazard is ``unappreciated_rate x clip((0.5 - 0) / 0.5, 0, 1) = hazard`` every
      week. Belonging and the referral tie are 0, so friends change nothing; died, moved, the
      other reasons and partial churn are off; dormancy is off (nobody stops buying).
    - **Constant margin.** Every person buys Poisson(``purchase_rate``) times a week with basket
      size 1 at ``price``, keeping ``margin`` of the revenue: expected margin per week
      ``purchase_rate x price x margin``. Experience (and so satisfaction) is off; no lever is
      bought (budget 0), so there are no offers or discounts.
    - The complete network (no ties stored) is the cheapest, and nothing here reads ties.
    """
    return Scenario.model_validate(
        {
            "run": {"name": "churn_validation", "weeks": weeks, "discount_rate": discount_rate},
            "market": {"size": size, "initial_awareness": 0.0},
            "network": {"type": "complete"},
            "personas": {"everyone": {"purchase_rate": purchase_rate, "basket_size": 1.0}},
            "firms": {
                "solo": {
                    "initial_share": 0.0,
                    "budget": 0.0,
                    "strategy": "neglect",
                    "price": price,
                    "margin": margin,
                }
            },
            "behaviours": {
                "adoption": {
                    "innovation": 50.0,
                    "word_of_mouth": 0.0,
                    "bandwagon_jump": 0.0,
                    "penetration_weight": 0.0,
                    "social_proof_weight": 0.0,
                    "price_weight": 0.0,
                    "awareness_required": False,
                    "forget_rate": 0.0,
                    "rejoin_lockout_weeks": weeks,
                },
                "buying_cycle": {"enabled": False},
                "referral": {"enabled": False},
                "experience": {"enabled": False},
                "appreciation": {"enabled": False, "initial": 0.0},
                "churn": {
                    "died": False,
                    "moved": False,
                    "follow_friend_rate": 0.0,
                    "better_value_rate": 0.0,
                    "value_noise": 0.0,
                    "dissatisfied_rate": 0.0,
                    "unappreciated_rate": hazard,
                    "appreciation_tolerance": 0.5,
                    "belonging": 0.0,
                    "referrer_tie": 0.0,
                },
                "partial_churn": {"enabled": False},
                "dormancy": {"enabled": False},
            },
        }
    )


@dataclass(frozen=True)
class ChurnExpectation:
    """Expected per-customer measures of the :func:`churn_scenario` cohort and their sds.

    Attributes:
        retention: weekly retention r = exp(-h).
        tenure: expected tenure, churn week - acquisition week, censored at the end of the run:
            E[min(G, K)] = (1 - r^K) / (1 - r), G geometric with mean 1 / (1 - r).
        tenure_untruncated: 1 / (1 - r), the mean of the geometric lifetime.
        ltv: expected discounted margin per customer over the run (what ``ltv`` measures).
        clv: the same without truncation: the closed-form customer lifetime value.
        retention_yearly: r^52 (what ``retention_yearly`` estimates).
        tenure_sd, ltv_sd: per-customer standard deviations of tenure and of discounted margin.
        retention_yearly_sd: sd of ``retention_yearly`` times sqrt(customers) (delta method), so
            its standard error in a run of n customers is this / sqrt(n).
    """

    retention: float
    tenure: float
    tenure_untruncated: float
    ltv: float
    clv: float
    retention_yearly: float
    tenure_sd: float
    ltv_sd: float
    retention_yearly_sd: float


def churn_expectation(
    hazard: float,
    weeks: int,
    margin_per_week: float,
    discount_rate: float,
    margin_per_purchase: float | None = None,
) -> ChurnExpectation:
    """Exact expectations for a cohort acquired in week 1 of a ``weeks``-week run.

    The engine's timing: a customer acquired in week a buys in step 5 of week a but faces no
    churn that week; from week a + 1 on, each week they buy first (step 5) and then leave with
    probability 1 - r, r = exp(-h) (step 8). So the tenure G = churn week - a is geometric,
    P(G = k) = r^(k-1) (1 - r), k = 1, 2, ..., mean 1 / (1 - r), and the customer buys in the
    G + 1 weeks a, ..., a + G. The run ends after week W, so only K = W - a churn draws happen:
    the observed tenure is min(G, K) (a customer still there at the end has tenure K).

    Lifetime value, as ``ltv`` books it: each purchase's margin discounted to the acquisition
    week by ``d = (1 + discount_rate)^(-1/52)`` per week. With expected margin m per week,

        E[LTV] = m (1 + sum_{k=1..K} r^(k-1) d^k) = m (1 + d (1 - (r d)^K) / (1 - r d)),

    and without truncation (K to infinity), with i = (1 + discount_rate)^(1/52) - 1 the weekly
    rate (d = 1 / (1 + i)):

        CLV = m (1 + d / (1 - r d)) = m + m / (1 + i - r):

    the acquisition week's margin, undiscounted, plus the Gupta & Lehmann (2003) retention
    series one week later: m + d x m (1 + i) / (1 + i - r).

    Spreads, from the distribution of G' = min(G, K): the tenure sd directly; for the
    discounted margin, given G' the purchase counts are independent Poisson, so with
    S = sum_{k=0..G'} d^k and Q = sum_{k=0..G'} d^(2k), Var = c^2 lambda E[Q] +
    (c lambda)^2 Var[S], c the margin of one purchase (``margin_per_purchase``; default: the
    margin per week, i.e. one purchase a week) and lambda = m / c the purchase rate. The yearly
    retention the results report is (1 - D / E)^52, D the exits and E the customer-weeks at
    risk (tenure); by the delta method Var(D / E) = Var(D_i - (1 - r) E_i) / (n E[E_i]^2).
    """
    if weeks < 2:
        raise ValueError("the cohort faces its first churn draw in week 2: weeks must be >= 2")
    h = float(np.float32(hazard))  # the engine holds hazards in float32
    r = math.exp(-h)
    d = (1.0 + discount_rate) ** (-1.0 / 52.0)
    horizon = weeks - 1  # churn draws of a customer acquired in week 1: weeks 2..W
    g = np.arange(1, horizon + 1, dtype=np.float64)  # observed tenure min(G, K)
    probability = (1 - r) * r ** (g - 1)
    probability[-1] = r ** (horizon - 1)  # G >= K: censored at K
    tenure = float(probability @ g)
    tenure_sd = math.sqrt(float(probability @ (g - tenure) ** 2))

    c = margin_per_week if margin_per_purchase is None else margin_per_purchase
    rate = margin_per_week / c
    discounted = np.cumsum(d ** np.arange(horizon + 1))  # S(g'), g' = 0..K
    squared = np.cumsum(d ** (2 * np.arange(horizon + 1)))  # Q(g')
    s, sq = discounted[1:], squared[1:]
    ltv = margin_per_week * float(probability @ s)
    mean_s = float(probability @ s)
    ltv_variance = c**2 * rate * float(probability @ sq) + (c * rate) ** 2 * float(
        probability @ (s - mean_s) ** 2
    )
    closed_ltv = margin_per_week * (1.0 + d * (1.0 - (r * d) ** horizon) / (1.0 - r * d))
    if not math.isclose(ltv, closed_ltv, rel_tol=1e-9):  # the sum and the closed form agree
        raise AssertionError(f"lifetime value: sum {ltv} != closed form {closed_ltv}")

    # D_i is 1 for G' < K; given G' = K it is Bernoulli(1 - r) (only G = K churned, in the last
    # week): its mean enters the influence D_i - (1 - r) E_i (which has mean 0), its variance
    # r (1 - r) is added.
    churned = np.ones_like(g)
    churned[-1] = 1 - r
    influence = churned - (1 - r) * g
    variance_q = (float(probability @ influence**2) + probability[-1] * r * (1 - r)) / tenure**2
    retention_yearly_sd = 52 * r**51 * math.sqrt(variance_q)
    return ChurnExpectation(
        retention=r,
        tenure=tenure,
        tenure_untruncated=1.0 / (1.0 - r),
        ltv=ltv,
        clv=margin_per_week * (1.0 + d / (1.0 - r * d)),
        retention_yearly=r**52,
        tenure_sd=tenure_sd,
        ltv_sd=math.sqrt(ltv_variance),
        retention_yearly_sd=retention_yearly_sd,
    )


@dataclass(frozen=True)
class ChurnCurves:
    """Expected week-by-week measures of the :func:`churn_scenario` cohort, week 0..W.

    Attributes:
        survival: share of the cohort who are customers at the end of week t: 0 at week 0 (the
            cohort joins in week 1), then r^(t-1) (t - 1 churn draws survived, weeks 2..t).
        ltv: expected discounted margin per customer booked up to the end of week t:
            m (1 + d (1 - (r d)^(t-1)) / (1 - r d)) for t >= 1 (see :func:`churn_expectation`).
        ltv_sd: its per-customer standard deviation.
    """

    survival: np.ndarray
    ltv: np.ndarray
    ltv_sd: np.ndarray


def churn_curves(
    hazard: float,
    weeks: int,
    margin_per_week: float,
    discount_rate: float,
    margin_per_purchase: float | None = None,
) -> ChurnCurves:
    """Expected survival and cumulative lifetime value of the week-1 cohort, week 0..W (for
    figures; the arguments are those of :func:`churn_expectation`)."""
    r = math.exp(-float(np.float32(hazard)))
    d = (1.0 + discount_rate) ** (-1.0 / 52.0)
    draws = np.arange(weeks + 1, dtype=np.float64) - 1  # churn draws survived by week t
    survival = np.where(draws >= 0, r ** np.maximum(draws, 0), 0.0)
    ltv = margin_per_week * (1.0 + d * (1.0 - (r * d) ** np.maximum(draws, 0)) / (1.0 - r * d))
    c = margin_per_week if margin_per_purchase is None else margin_per_purchase
    sd = np.zeros(weeks + 1)
    if weeks >= 1:
        sd[1] = c * math.sqrt(margin_per_week / c)  # week 1: one Poisson week of purchases
    for week in range(2, weeks + 1):
        sd[week] = churn_expectation(hazard, week, margin_per_week, discount_rate, margin_per_purchase).ltv_sd
    return ChurnCurves(survival, np.where(draws >= 0, ltv, 0.0), sd)


@dataclass(frozen=True)
class ChurnMeasures:
    """What one run of :func:`churn_scenario` measured, from the results a run already reports.

    Attributes:
        acquired: acquisitions (``summary["firms"][...]["acquired"]``); the cohort size if
            nobody was acquired twice.
        cohort: customers acquired in week 1 (``customers.parquet``).
        tenure: mean tenure of the cohort: churn week - acquired week, or weeks - acquired week
            for those still customers at the end (``customers.parquet``).
        ltv: ``summary["firms"][...]["ltv"]``: discounted margin per acquired customer.
        retention_yearly: ``summary["firms"][...]["retention_yearly"]``.
        survival: customers at the end of each week 0..W over the cohort (``timeseries``).
        ltv_curve: discounted margin booked up to the end of each week 0..W per acquired
            customer (cumulative ``ltv_margin`` of ``timeseries`` / acquired); its last value is
            ``ltv``.
    """

    acquired: int
    cohort: int
    tenure: float
    ltv: float
    retention_yearly: float
    survival: np.ndarray
    ltv_curve: np.ndarray


def churn_measures(scenario: Scenario, seed: int) -> ChurnMeasures:
    """Run :func:`churn_scenario` once (through :func:`sim.simulate`) and read its measures."""
    from sim.simulation import simulate

    result = simulate(scenario, seed=seed)
    firm = result.summary["firms"][scenario.firm_names[0]]
    people = result.customers
    joined = people["acquired_week"]
    cohort = (joined == 1).to_numpy(dtype=bool, na_value=False)
    # still a customer (no churn week): observed until the end of the run
    tenure = (people["churn_week"].fillna(scenario.run.weeks) - joined).to_numpy(dtype=float, na_value=np.nan)
    series = result.timeseries[result.timeseries["firm"] == scenario.firm_names[0]]
    acquired = int(firm["acquired"])
    return ChurnMeasures(
        acquired=acquired,
        cohort=int(cohort.sum()),
        tenure=float(tenure[cohort].mean()),
        ltv=float(firm["ltv"]),
        retention_yearly=float(firm["retention_yearly"]),
        survival=series["customers"].to_numpy() / max(int(cohort.sum()), 1),
        ltv_curve=np.cumsum(series["ltv_margin"].to_numpy()) / max(acquired, 1),
    )


@dataclass(frozen=True)
class Comparison:
    """A simulated mean over runs against its expected value.

    Attributes:
        name: what is compared.
        expected: the expected value (closed form).
        mean: the mean over runs.
        measured_se: standard error of the mean from the seed-to-seed spread.
        theory_se: standard error of the mean from the theoretical per-customer spread.
        extra: a deterministic allowance added to the tolerance (a known bias), usually 0.
    """

    name: str
    expected: float
    mean: float
    measured_se: float
    theory_se: float
    extra: float = 0.0

    @property
    def se(self) -> float:
        """The larger standard error: a lucky small spread over few seeds cannot tighten the
        tolerance below what theory says, and a spread larger than theory widens it (the
        caller checks :attr:`spread_ratio` so that it cannot grow without bound)."""
        return max(self.measured_se, self.theory_se)

    @property
    def tolerance(self) -> float:
        return STANDARD_ERRORS * self.se + self.extra

    @property
    def error(self) -> float:
        return self.mean - self.expected

    @property
    def spread_ratio(self) -> float:
        """Measured / theoretical standard error (about 1 if the theory of the spread is right)."""
        return self.measured_se / self.theory_se

    @property
    def ok(self) -> bool:
        return abs(self.error) <= self.tolerance


def check_churn(
    runs: list[ChurnMeasures], expected: ChurnExpectation, untruncated: bool = False
) -> dict[str, Comparison]:
    """Tenure, lifetime value and yearly retention of several runs against their expectations.

    Each run's cohort is its ``cohort`` customers; the theoretical standard error of the mean
    over all runs is the per-customer sd / sqrt(all customers). With ``untruncated`` the tenure
    and lifetime value are compared with the textbook forms 1 / (1 - r) and the CLV, and the
    (deterministic) effect of ending the run, truncated - untruncated expectation, is added to
    the tolerance: for a run long enough that it is negligible.
    """
    customers = sum(run.cohort for run in runs)

    def compare(
        name: str, values: list[float], mean: float, sd: float, full: float | None = None
    ) -> Comparison:
        values_array = np.array(values)
        return Comparison(
            name=name,
            expected=mean if full is None else full,
            mean=float(values_array.mean()),
            measured_se=float(standard_error(values_array)),
            theory_se=sd / math.sqrt(customers),
            extra=0.0 if full is None else abs(mean - full),
        )

    return {
        "tenure": compare(
            "tenure",
            [r.tenure for r in runs],
            expected.tenure,
            expected.tenure_sd,
            expected.tenure_untruncated if untruncated else None,
        ),
        "ltv": compare(
            "ltv", [r.ltv for r in runs], expected.ltv, expected.ltv_sd, expected.clv if untruncated else None
        ),
        "retention_yearly": compare(
            "retention_yearly",
            [r.retention_yearly for r in runs],
            expected.retention_yearly,
            expected.retention_yearly_sd,
        ),
    }
