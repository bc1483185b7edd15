"""Heterogeneous churn: the shifted-beta-geometric retention curve (Fader & Hardie 2007), its
closed form, the engine configured to reproduce it, and the survival curve read from a run.

The model: each customer has their own weekly churn probability p, constant over time, and p is
Beta(a, b) distributed across customers. Given p the tenure is geometric; averaged over p the
share still a customer after t churn draws is

    S(t) = B(a, b + t) / B(a, b),

and the retention rate of week t, S(t) / S(t - 1) = (b + t - 1) / (a + b + t - 1), rises with
tenure: the fragile leave first, so the survivors are ever more loyal, though no one's own
probability changes.

The engine (:func:`sbg_scenario`): :func:`sim.validation.churn_scenario`'s cohort (everyone
acquired in week 1, one churn reason, unappreciated, with appreciation held at 0, so the weekly
hazard is ``unappreciated_rate`` = 1 times the person's ``unappreciated_frailty``), with each
person's frailty read from a trait file: h_i = -log(1 - p_i), so that the engine's weekly churn
probability 1 - exp(-h_i) is p_i, and p_i = the Beta(a, b) quantile of the person's uniform of the
stream "sbg_churn" (the file holds the draws, one row per slot).

Example:
    >>> round(float(sbg_survival(0.668, 3.806, 1)), 4)  # 1 - a / (a + b)
    0.8507
    >>> bool(np.all(np.diff(sbg_retention(0.668, 3.806, np.arange(1, 10))) > 0))
    True
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import special, stats

from sim.scenario import Scenario
from sim.streams import Streams
from sim.validation.churn import churn_scenario
from sim.values import MAX_TRAIT

FRAILTY_COLUMN = "unappreciated_frailty"


def sbg_survival(a: float, b: float, t: np.ndarray | float) -> np.ndarray:
    """S(t) = B(a, b + t) / B(a, b): the share of a cohort left after ``t`` churn draws."""
    t = np.asarray(t, dtype=np.float64)
    return np.exp(special.betaln(a, b + t) - special.betaln(a, b))


def sbg_retention(a: float, b: float, t: np.ndarray | float) -> np.ndarray:
    """S(t) / S(t - 1) = (b + t - 1) / (a + b + t - 1): the retention rate of the t-th draw."""
    t = np.asarray(t, dtype=np.float64)
    return (b + t - 1) / (a + b + t - 1)


def write_frailties(path: Path, size: int, a: float, b: float, seed: int) -> np.ndarray:
    """Write the trait file of :func:`sbg_scenario` (column ``unappreciated_frailty``, one row per
    slot) and return the churn probabilities p it encodes. p_i is the Beta(a, b) quantile of slot
    i's uniform of the stream "sbg_churn" (week 0) of ``seed``; the frailty is -log(1 - p_i),
    capped at MAX_TRAIT (a weekly hazard of 1,000 leaves with probability 1 in float64)."""
    u = np.clip(Streams(seed).uniform("sbg_churn", 0, np.arange(size)), 1e-12, 1 - 1e-12)
    p = stats.beta.ppf(u, a, b)
    frailty = np.minimum(-np.log1p(-p), MAX_TRAIT)
    path.write_text(FRAILTY_COLUMN + "\n" + "\n".join(repr(float(x)) for x in frailty) + "\n")
    return p


def sbg_scenario(size: int, a: float, b: float, weeks: int, folder: Path, seed: int) -> Scenario:
    """The engine reduced to the shifted-beta-geometric model: a cohort of ``size`` acquired in
    week 1 whose weekly churn probabilities are Beta(a, b) across people (module docstring); the
    trait file is written to ``folder`` (``frailty.csv``)."""
    path = Path(folder) / "frailty.csv"
    write_frailties(path, size, a, b, seed)
    base = churn_scenario(size, hazard=1.0, weeks=weeks)
    frailty = {"dist": "file", "path": str(path), "column": FRAILTY_COLUMN}
    return base.with_overrides({"personas.everyone.unappreciated_frailty": frailty})


@dataclass(frozen=True)
class SurvivalCheck:
    """A measured survival curve against S(t), t = 0..T (T = weeks - 1 churn draws).

    Attributes:
        t: churn draws survived.
        expected: S(t).
        measured: share of the cohort whose tenure exceeds t (still there after t draws).
        se: binomial standard error sqrt(S (1 - S) / n): each customer survives t draws with
            probability S(t) (their p drawn independently of everyone's), so the count of
            survivors is Binomial(n, S(t)).
        cohort: n, customers acquired in week 1.
    """

    t: np.ndarray
    expected: np.ndarray
    measured: np.ndarray
    se: np.ndarray
    cohort: int

    @property
    def z(self) -> np.ndarray:
        """Errors in standard errors (0 where S is 0 or 1)."""
        return np.divide(
            self.measured - self.expected, self.se, out=np.zeros_like(self.se), where=self.se > 0
        )


def survival_check(scenario: Scenario, a: float, b: float, seed: int) -> SurvivalCheck:
    """Run ``scenario`` (:func:`sbg_scenario`) once and compare its cohort's survival with S(t).

    The tenure is churn week - acquisition week, the number of churn draws survived plus one
    (the first draw is in the week after joining); a customer still there at the end has
    survived all ``weeks - 1`` draws.
    """
    from sim.simulation import simulate

    result = simulate(scenario, seed=seed)
    people = result.customers
    cohort = (people["acquired_week"] == 1).to_numpy(dtype=bool, na_value=False)
    churned = people["churn_week"].to_numpy(dtype=float, na_value=np.inf)[cohort]
    tenure = churned - 1  # acquired in week 1
    t = np.arange(scenario.run.weeks)  # 0..weeks-1 draws
    measured = (tenure[None, :] > t[:, None]).mean(axis=1)
    expected = sbg_survival(a, b, t)
    n = int(cohort.sum())
    return SurvivalCheck(t, expected, measured, np.sqrt(expected * (1 - expected) / n), n)
