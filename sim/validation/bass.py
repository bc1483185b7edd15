"""Bass (1969) diffusion: the model reduced to innovation p and word of mouth q on the complete network,
its closed form and the engine's own discrete-time rule in expectation (docs/validation.md)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from sim.model import CustomerMarket
from sim.scenario import Scenario
from sim.validation.common import STANDARD_ERRORS, only_adoption

# =========================================================================== Bass diffusion


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
