"""Validation against known results: Bass diffusion, constant-hazard churn with lifetime value, and
Granovetter's threshold cascade against NDlib (docs/validation.md).

Owns the three reduced configurations of our engine, the expected values they are checked
against and the spread those expectations have, so that the tests (``tests/validation/``), the
notebook (``notebooks/validation.ipynb``) and the NDlib benchmark (``benchmarks/vs_ndlib.py``)
use one copy:

- **Bass (1969).** :func:`bass_scenario` reduces the model to innovation p and word of mouth q on
  the complete network (mean field), one firm and nothing else. :func:`bass_closed_form` is the
  continuous-time solution; :func:`bass_recursion` is the engine's own discrete-time rule (weekly
  hazard ``p + q x share``, adoption probability ``1 - exp(-hazard)``) in expectation, with
  the linear-noise variance of the share (:class:`BassExpectation`). :func:`check_bass` compares
  simulated curves with both.
- **Constant-hazard churn and constant margin.** :func:`churn_scenario` gives one cohort, all
  acquired in week 1, a constant weekly churn hazard h (the unappreciated reason with
  appreciation held at 0) and a constant expected margin per week; :func:`churn_expectation`
  derives the expected tenure (geometric), lifetime value (the discounted sum the engine books)
  and yearly retention, with their per-customer standard deviations, exactly for the engine's
  timing and the run's truncation (:func:`churn_curves`: week by week, for figures).
  :func:`churn_measures` reads them from a run's results.
- **Threshold cascade.** :func:`engine_cascade` runs our engine as the deterministic
  Granovetter/Watts threshold cascade on a given graph, :func:`ndlib_cascade` runs NDlib's
  ``ThresholdModel`` (NDlib is a test and benchmark dependency, imported only there) and
  :func:`reference_cascade` the same rule in a few lines of integer NumPy.

The cascade rule, read from NDlib 6.0.1's ``ThresholdModel.iteration``: rounds are synchronous
(every person looks at the adopters of the previous round); a non-adopter with ``d > 0``
neighbours of whom ``k`` adopted adopts when ``float(k) / d >= threshold`` (float64 division); a
person without neighbours never adopts; nobody un-adopts. NDlib's first ``iteration()`` only
reports the initial state. Our engine's rule (step 3, ``bandwagon_jump * [share >= threshold and
share > 0]``) compares a float32 share with a float32 threshold: :func:`engine_thresholds` turns
each NDlib threshold into the smallest adopting count ``k*`` (computed with NDlib's own float64
comparison) and gives the engine the threshold ``(k* - 0.5) / d``, halfway between two
attainable shares, so float32 rounding cannot change the outcome.

Example:
    >>> import networkx as nx, numpy as np
    >>> graph = nx.path_graph(5)
    >>> thresholds = np.full(5, 0.5)
    >>> engine_cascade(graph, thresholds, [0]).curve.tolist()
    [1, 2, 3, 4, 5]
    >>> reference_cascade(graph, thresholds, [0]).adopters.tolist()
    [0, 1, 2, 3, 4]
    >>> round(float(bass_closed_form(52.0, p=0.03 / 52, q=0.38 / 52)), 4)
    0.0358
    >>> round(churn_expectation(hazard=0.01, weeks=260, margin_per_week=3.0, discount_rate=0.1).tenure, 2)
    92.96
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
from scipy import sparse

from sim.agents.customers import Channel
from sim.model import CustomerMarket
from sim.scenario import Scenario

# How far a simulated mean may be from its expectation: this many standard errors. With the
# spread measured over the seeds (and floored by the theoretical spread) four standard errors
# leave a false alarm rate well below 1e-3 per comparison for a correct model.
STANDARD_ERRORS = 4.0


def _standard_error(values: np.ndarray) -> np.ndarray:
    """Standard error of the mean over axis 0 (runs): sample sd (ddof 1) / sqrt(runs)."""
    values = np.asarray(values, dtype=np.float64)
    if values.shape[0] < 2:
        raise ValueError("need at least two runs to measure a spread")
    return values.std(axis=0, ddof=1) / math.sqrt(values.shape[0])


# =========================================================================== Bass diffusion


def only_adoption(**reasons: float) -> dict[str, Any]:
    """The ``[behaviours]`` of a market where people only ever adopt, for the given ``reasons``
    (``innovation``, ``word_of_mouth``, ``bandwagon_jump``; every other reason is 0): attraction
    is 1 (no social-proof or price weight), anyone may adopt (no awareness gate, no forgetting,
    no buying-cycle weights), and every other behaviour is off (nobody leaves; referrals,
    purchases, experience and appreciation cannot change who adopts).

    Example:
        >>> only_adoption(innovation=0.01)["adoption"]["word_of_mouth"]
        0.0
    """
    adoption = {"innovation": 0.0, "word_of_mouth": 0.0, "bandwagon_jump": 0.0, "penetration_weight": 0.0}
    adoption |= {"social_proof_weight": 0.0, "price_weight": 0.0, "awareness_required": False}
    adoption |= {"forget_rate": 0.0, **reasons}
    off = ("buying_cycle", "referral", "purchase", "experience", "appreciation", "churn")
    return {"adoption": adoption} | {name: {"enabled": False} for name in (*off, "partial_churn", "dormancy")}


def bass_scenario(size: int, p: float, q: float, weeks: int, initial_share: float = 0.0) -> Scenario:
    """Our model reduced to the Bass (1969) model: weekly hazard ``p + q x share`` of adopting.

    One firm; the complete network (mean field: a prospect's neighbour share is the firm's
    customers among everybody else, C / (N - 1)); every other reason to choose is 0 (bandwagon,
    penetration, ads: the firm spends nothing), attraction is 1 (no social-proof or price
    weight; also automatic with one firm), anyone may adopt (no awareness gate, no forgetting,
    no buying-cycle weights) and nobody leaves (churn, and with it population turnover, off;
    partial churn and dormancy off). Referrals would be a second word-of-mouth channel: off.
    Purchases, experience and appreciation cannot change who adopts: off, to save time.

    Initial customers: each slot's person is a customer at week 0 with probability
    ``initial_share`` (a binomial draw), so F(0) is 0 exactly for ``initial_share = 0`` and about
    ``initial_share`` otherwise; :func:`check_bass` starts the expectations from each run's own
    F(0).
    """
    return Scenario.model_validate(
        {
            "run": {"name": "bass_validation", "weeks": weeks},
            "market": {"size": size, "initial_awareness": 0.0},
            "network": {"type": "complete"},
            "personas": {"everyone": {}},  # traits are read only by behaviours switched off
            "firms": {"solo": {"initial_share": initial_share, "budget": 0.0, "strategy": "neglect"}},
            "behaviours": only_adoption(innovation=p, word_of_mouth=q),
        }
    )


def bass_closed_form(t: np.ndarray | float, p: float, q: float, f0: float = 0.0) -> np.ndarray:
    """The Bass (1969) solution of dF/dt = (p + q F)(1 - F) with F(0) = ``f0``.

    For ``f0 = 0`` it is ``(1 - e^{-(p+q)t}) / (1 + (q/p) e^{-(p+q)t})``. For ``f0 > 0`` the same
    form with ``e^{-(p+q)t}`` multiplied by ``c = (1 - f0) / (1 + (q/p) f0)`` (the constant of
    integration that makes F(0) = f0).
    """
    c = (1.0 - f0) / (1.0 + (q / p) * f0)
    decay = c * np.exp(-(p + q) * np.asarray(t, dtype=np.float64))
    return (1.0 - decay) / (1.0 + (q / p) * decay)


@dataclass(frozen=True)
class BassExpectation:
    """The engine's discrete-time Bass rule in expectation, week 0..W.

    Attributes:
        share: F(t), the expected share of the market who are customers at the end of week t.
        sd: the standard deviation of one run's F(t) around it (linear-noise approximation).
    """

    share: np.ndarray
    sd: np.ndarray


def bass_recursion(weeks: int, p: float, q: float, size: int, f0: float = 0.0) -> BassExpectation:
    """What the engine's rule gives in expectation, and the spread of one run around it.

    Each week every prospect (a share 1 - F of the market) adopts with probability
    ``pi(F) = 1 - exp(-(p + q x F N / (N - 1)))``: on the complete network a prospect sees the C
    customers among the N - 1 others. So ``F(t + 1) = g(F(t)) = F + (1 - F) pi(F)``: the exact
    law of large numbers limit of the engine (Kurtz); at finite N the mean differs from it by
    O(1/N). The number adopting in a week is binomial given F, adding variance
    ``(1 - F) pi (1 - pi) / N``, which the dynamics propagate with the slope g'(F):
    ``V(t + 1) = g'(F)^2 V(t) + (1 - F) pi (1 - pi) / N`` (van Kampen's linear-noise
    approximation), with ``V(0) = f0 (1 - f0) / N`` (initial customers are a binomial draw).
    """
    scale = size / (size - 1)
    share = np.empty(weeks + 1)
    variance = np.empty(weeks + 1)
    share[0], variance[0] = f0, f0 * (1 - f0) / size
    for t in range(weeks):
        f = share[t]
        stay = math.exp(-(p + q * f * scale))  # a prospect's chance of not adopting this week
        pi = 1.0 - stay
        slope = 1.0 - pi + (1.0 - f) * stay * q * scale  # g'(F)
        share[t + 1] = f + (1.0 - f) * pi
        variance[t + 1] = slope**2 * variance[t] + (1.0 - f) * pi * stay / size
    return BassExpectation(share, np.sqrt(variance))


def bass_curves(scenario: Scenario, seeds: Iterable[int]) -> np.ndarray:
    """Share of the market who are customers, week 0..W, one row per seed."""
    size = scenario.market.size
    curves = []
    for seed in seeds:
        market = CustomerMarket(scenario, seed=seed)
        for _ in range(scenario.run.weeks):
            market.step()
        curves.append(market.recorder.customers[:, 0] / size)
    return np.array(curves)


@dataclass(frozen=True)
class BassCheck:
    """Simulated Bass curves against the engine's recursion and the closed form, week 0..W.

    Attributes:
        mean: mean simulated share over the runs.
        se: standard error of ``mean``: the larger of the measured seed-to-seed sd and the
            linear-noise sd, over sqrt(runs).
        recursion: the expected share under the engine's discrete rule (mean over runs of each
            run's recursion from its own F(0)).
        closed: the Bass closed form (mean over runs, each from its own F(0)).
        discretisation: recursion - closed: what weekly steps with hazard evaluated at the start
            of the week change against continuous time (no noise in it).
        measured_sd, theory_sd: seed-to-seed sd of one run's share, measured and linear-noise.
        tolerance_recursion: allowed |mean - recursion|: STANDARD_ERRORS x se.
        tolerance_closed: allowed |mean - closed|: STANDARD_ERRORS x se + |discretisation|.
    """

    mean: np.ndarray
    se: np.ndarray
    recursion: np.ndarray
    closed: np.ndarray
    discretisation: np.ndarray
    measured_sd: np.ndarray
    theory_sd: np.ndarray
    tolerance_recursion: np.ndarray
    tolerance_closed: np.ndarray

    @property
    def error_recursion(self) -> np.ndarray:
        return np.abs(self.mean - self.recursion)

    @property
    def error_closed(self) -> np.ndarray:
        return np.abs(self.mean - self.closed)

    @property
    def used_recursion(self) -> float:
        """Largest share of its tolerance the error against the recursion uses (weeks >= 1)."""
        return float(np.max(self.error_recursion[1:] / self.tolerance_recursion[1:]))

    @property
    def used_closed(self) -> float:
        """Largest share of its tolerance the error against the closed form uses (weeks >= 1)."""
        return float(np.max(self.error_closed[1:] / self.tolerance_closed[1:]))

    @property
    def spread_ratio(self) -> float:
        """Largest measured sd / linear-noise sd over the weeks after week 0 (about 1 if the
        engine's noise is that of independent weekly adoption draws)."""
        return float(np.max(self.measured_sd[1:] / self.theory_sd[1:]))


def check_bass(curves: np.ndarray, p: float, q: float, size: int) -> BassCheck:
    """Compare simulated curves (runs x weeks + 1, from :func:`bass_curves`) with expectations."""
    curves = np.asarray(curves, dtype=np.float64)
    weeks = curves.shape[1] - 1
    t = np.arange(weeks + 1, dtype=np.float64)
    expected = [bass_recursion(weeks, p, q, size, f0) for f0 in curves[:, 0]]
    recursion = np.mean([e.share for e in expected], axis=0)
    theory_sd = np.sqrt(np.mean([e.sd**2 for e in expected], axis=0))
    closed = np.mean([bass_closed_form(t, p, q, f0) for f0 in curves[:, 0]], axis=0)
    measured_sd = curves.std(axis=0, ddof=1)
    se = np.maximum(measured_sd, theory_sd) / math.sqrt(curves.shape[0])
    discretisation = recursion - closed
    return BassCheck(
        mean=curves.mean(axis=0),
        se=se,
        recursion=recursion,
        closed=closed,
        discretisation=discretisation,
        measured_sd=measured_sd,
        theory_sd=theory_sd,
        tolerance_recursion=STANDARD_ERRORS * se,
        tolerance_closed=STANDARD_ERRORS * se + np.abs(discretisation),
    )


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
            measured_se=float(_standard_error(values_array)),
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


# =========================================================================== threshold cascade

# Weekly hazard of the bandwagon jump: 1 - exp(-JUMP) is exactly 1.0 in float32 (and float64),
# and the engine's adoption draws are uniforms in [0, 1), so a person over the threshold always
# adopts.
JUMP = 1000.0
MAX_WEEKS = 5200  # the longest run a scenario allows; a cascade that has not settled is an error


@dataclass(frozen=True)
class CascadeResult:
    """The end of a cascade.

    Attributes:
        adopters: sorted node ids of everyone who adopted, the initial adopters included.
        rounds: rounds (NDlib iterations, engine weeks) in which somebody adopted.
        curve: adopters so far after each round 0..rounds (round 0: the initial adopters).
    """

    adopters: np.ndarray
    rounds: int
    curve: np.ndarray


def _check_graph(graph: nx.Graph) -> int:
    """Number of nodes of a simple undirected graph on nodes 0..n-1 (what all three runners need)."""
    if graph.is_directed() or graph.is_multigraph():
        raise ValueError("the cascade needs a simple undirected graph (nx.Graph)")
    size = graph.number_of_nodes()
    if set(graph.nodes) != set(range(size)):
        raise ValueError("graph nodes must be the integers 0..n-1 (use nx.convert_node_labels_to_integers)")
    if nx.number_of_selfloops(graph):
        # NDlib would count a person among their own neighbours; our network drops self-ties.
        raise ValueError("graph has self-loops: NDlib and our engine would see different neighbours")
    return size


def adjacency(graph: nx.Graph) -> sparse.csr_array:
    """0/1 CSR adjacency of ``graph``, rows and columns in node order 0..n-1."""
    size = _check_graph(graph)
    matrix = nx.to_scipy_sparse_array(graph, nodelist=range(size), dtype=np.int32, format="csr")
    matrix.sort_indices()
    return matrix


def adopting_count(thresholds: np.ndarray, degree: np.ndarray) -> np.ndarray:
    """Smallest number of adopting neighbours that makes each person adopt under NDlib's rule.

    The count ``k*`` is the least ``k`` in ``0..d`` with ``k / d >= threshold`` in float64, as
    NDlib computes it; ``d + 1`` when no count reaches the threshold, and 1 for people without
    neighbours (whose count is always 0: they never adopt).
    """
    t = np.asarray(thresholds, dtype=np.float64)
    d = np.asarray(degree, dtype=np.int64)
    safe_d = np.maximum(d, 1)
    k = np.clip(np.ceil(t * safe_d), 0, safe_d + 1).astype(np.int64)
    # ceil(t * d) can be one off after rounding: settle it with NDlib's exact comparison.
    while True:
        lower = (k > 0) & ((k - 1) / safe_d >= t)
        higher = (k <= safe_d) & (k / safe_d < t)
        if not (lower.any() or higher.any()):
            break
        k = k - lower + higher
    return np.where(d > 0, k, 1)


def engine_thresholds(thresholds: np.ndarray, degree: np.ndarray) -> np.ndarray:
    """float32 thresholds for our engine that reproduce NDlib's ``share >= threshold`` exactly.

    The engine compares a float32 share (adopting count x float32 1/d) with a float32 threshold.
    Each person gets ``(k* - 0.5) / d``, halfway between the shares of ``k* - 1`` and ``k*``
    adopting neighbours (see :func:`adopting_count`): float32 rounding (relative 1e-7) is far
    smaller than the half step 0.5 / d for any degree below a million. People who can never adopt
    get 2.0 (a share never exceeds 1). Since ``k* >= 1`` the engine's extra ``share > 0`` never
    matters.

    Raises:
        ValueError: a person with neighbours has threshold <= 0. NDlib makes them adopt with no
            adopting neighbour; our bandwagon needs a positive share, so the two cannot match.
    """
    degree = np.asarray(degree, dtype=np.int64)
    k = adopting_count(thresholds, degree)
    if np.any((k == 0) & (degree > 0)):
        raise ValueError("thresholds must be > 0: NDlib adopts at threshold 0 with no adopting neighbour")
    reachable = (degree > 0) & (k <= degree)
    share = (k - 0.5) / np.maximum(degree, 1)
    return np.where(reachable, share, 2.0).astype(np.float32)


def cascade_scenario(size: int, edge_list: str | Path, weeks: int = MAX_WEEKS) -> Scenario:
    """One firm, nothing but the bandwagon jump: the pure threshold cascade of docs/model.md.

    Every other reason to choose is 0 (innovation, word of mouth, penetration, ads), attraction is
    1 (one firm, no social-proof or price weight), anyone may choose the firm (no awareness gate,
    no forgetting, no buying-cycle weights) and nobody leaves (churn, partial churn and dormancy
    off). Referrals, purchases, experience and appreciation are off too: they cannot change who
    adopts and would only cost time. The firm starts with no customers; the caller seeds them.
    """
    return Scenario.model_validate(
        {
            "run": {"name": "threshold_cascade", "weeks": weeks},
            "market": {"size": size, "initial_awareness": 0.0},
            "network": {"type": "edge_list", "path": str(edge_list)},
            "personas": {"everyone": {}},  # traits are replaced: only the threshold is read
            "firms": {"solo": {"initial_share": 0.0, "budget": 0.0, "strategy": "neglect"}},
            "behaviours": only_adoption(bandwagon_jump=JUMP),
        }
    )


def write_edge_list(graph: nx.Graph, path: str | Path) -> Path:
    """Write ``graph``'s ties in our ``edge_list`` network format: one ``a b`` pair per line."""
    _check_graph(graph)
    edges = np.asarray(list(graph.edges()), dtype=np.int64).reshape(-1, 2)
    path = Path(path)
    np.savetxt(path, edges, fmt="%d", header="threshold cascade: one undirected tie per line")
    return path


def cascade_market(
    graph: nx.Graph, thresholds: np.ndarray, initial: np.ndarray, seed: int = 1
) -> CustomerMarket:
    """Our engine, set up as NDlib's threshold cascade on ``graph``, before its first week.

    The graph goes in through an ``edge_list`` network file (checked to give the same
    adjacency); each person's ``bandwagon_threshold`` is replaced by :func:`engine_thresholds`
    (a scenario can give thresholds only as a persona distribution, not person by person); the
    ``initial`` node ids join the single firm at week 0 (``initial_share`` would draw them at
    random).

    Args:
        graph: simple undirected graph on nodes 0..n-1.
        thresholds: NDlib threshold of each node, in node order (all > 0).
        initial: node ids of the initial adopters.
        seed: the market's replicate seed (it cannot change the outcome: adoption is certain).
    """
    size = _check_graph(graph)
    expected = adjacency(graph)
    with tempfile.TemporaryDirectory() as folder:
        path = write_edge_list(graph, Path(folder) / "edges.txt")
        market = CustomerMarket(cascade_scenario(size, path), seed=seed)
    network = market.network.adjacency
    if network.shape != expected.shape or (network != expected).nnz:
        raise RuntimeError("the engine's network differs from the graph it was given")
    c = market.customers
    c.bandwagon_threshold[:] = engine_thresholds(thresholds, market.network.degree)
    initial = np.unique(np.asarray(initial, dtype=np.int64))
    c.join(
        initial,
        np.zeros(initial.size, dtype=np.int8),
        week=0,
        channel=Channel.INITIAL,
        satisfaction=market.qualities[0],
        appreciation=market.scenario.behaviours.appreciation.initial,
        in_run=False,
    )
    market.recorder.record(market)  # week 0 again, now with the seeds
    return market


def run_to_end(market: CustomerMarket) -> CascadeResult:
    """Step a cascade market week by week until a week adds no customer; the final adopters."""
    customers = int(np.count_nonzero(market.customers.firm >= 0))
    curve = [customers]
    while True:
        if market.week >= market.scenario.run.weeks:
            raise RuntimeError(f"the cascade had not settled after {market.week} weeks")
        market.step()
        now = int(np.count_nonzero(market.customers.firm >= 0))
        if now == customers:
            break
        customers = now
        curve.append(now)
    return CascadeResult(np.flatnonzero(market.customers.firm >= 0), len(curve) - 1, np.array(curve))


def engine_cascade(
    graph: nx.Graph, thresholds: np.ndarray, initial: np.ndarray, seed: int = 1
) -> CascadeResult:
    """Run our engine as NDlib's threshold cascade on ``graph`` to the end (see
    :func:`cascade_market` for the arguments)."""
    return run_to_end(cascade_market(graph, thresholds, initial, seed))


def ndlib_model(graph: nx.Graph, thresholds: np.ndarray, initial: np.ndarray):
    """NDlib's ``ThresholdModel`` on ``graph`` with per-node thresholds and initial adopters
    (needs NDlib: the ``test`` or ``bench`` extra)."""
    import ndlib.models.ModelConfig as mc
    from ndlib.models.epidemics import ThresholdModel

    _check_graph(graph)
    model = ThresholdModel(graph)
    config = mc.Configuration()
    for node, threshold in enumerate(np.asarray(thresholds, dtype=np.float64).tolist()):
        config.add_node_configuration("threshold", node, threshold)
    config.add_model_initial_configuration("Infected", np.unique(initial).tolist())
    model.set_initial_status(config)
    return model


def ndlib_run_to_end(model) -> CascadeResult:
    """Iterate an NDlib threshold model until an iteration infects nobody; the final adopters."""
    first = model.iteration(node_status=False)  # iteration 0 only reports the initial state
    curve = [first["node_count"][1]]
    while True:
        step = model.iteration(node_status=False)
        if step["status_delta"][1] <= 0:
            break
        curve.append(step["node_count"][1])
    infected = [node for node, status in model.status.items() if status == 1]
    return CascadeResult(np.sort(np.asarray(infected, dtype=np.int64)), len(curve) - 1, np.array(curve))


def ndlib_cascade(graph: nx.Graph, thresholds: np.ndarray, initial: np.ndarray) -> CascadeResult:
    """Run NDlib's ``ThresholdModel`` to the end."""
    return ndlib_run_to_end(ndlib_model(graph, thresholds, initial))


def reference_cascade(graph: nx.Graph, thresholds: np.ndarray, initial: np.ndarray) -> CascadeResult:
    """NDlib's rule in integer NumPy: synchronous rounds, adopt when adopting count >= k*."""
    matrix = adjacency(graph)
    degree = np.diff(matrix.indptr)
    needed = adopting_count(thresholds, degree)
    adopted = np.zeros(matrix.shape[0], dtype=bool)
    adopted[np.asarray(initial, dtype=np.int64)] = True
    curve = [int(adopted.sum())]
    while True:
        new = ~adopted & (degree > 0) & (matrix @ adopted.astype(np.int32) >= needed)
        if not new.any():
            return CascadeResult(np.flatnonzero(adopted), len(curve) - 1, np.array(curve))
        adopted |= new
        curve.append(int(adopted.sum()))


@dataclass(frozen=True)
class CascadeCase:
    """One seeded threshold-cascade problem: a graph, thresholds and initial adopters."""

    graph: nx.Graph
    thresholds: np.ndarray
    initial: np.ndarray


def cascade_case(regime: str, size: int, seed: int, mean_degree: int = 10) -> CascadeCase:
    """A seeded cascade problem on an Erdos-Renyi graph (mean degree ``mean_degree``).

    Thresholds are rounded to 2 decimals, so that many equal a neighbour share k / d exactly and
    ``>=`` against ``>`` (and float rounding) would show. 2% of people, at random, adopt first.

    - ``"full"``: thresholds uniform in [0.05, 0.35]: a global cascade that takes (nearly)
      everyone (Watts 2002: enough people need only one adopting neighbour in ~10).
    - ``"partial"``: the same, but 35% of people are resistant (threshold 0.9: nearly all their
      neighbours must adopt first), a mixed population as in Granovetter (1978): the cascade
      runs through the susceptible and stops part-way, at about two thirds of the market.
    """
    rng = np.random.default_rng(seed)
    graph = nx.fast_gnp_random_graph(size, mean_degree / (size - 1), seed=int(rng.integers(2**31)))
    thresholds = np.round(rng.uniform(0.05, 0.35, size), 2)
    if regime == "partial":
        thresholds = np.where(rng.random(size) < 0.35, 0.9, thresholds)
    elif regime != "full":
        raise ValueError(f"unknown regime {regime!r}: 'full' or 'partial'")
    initial = rng.choice(size, size=round(0.02 * size), replace=False)
    return CascadeCase(graph, thresholds, initial)
