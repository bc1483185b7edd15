"""Step 6, experience and voice: service failures, satisfaction, complaints and reviews.

A week with n purchases fails with probability 1 - (1 - failure_rate)^n. A failure drops
satisfaction by ``failure_drop``; a good week pulls it toward the firm's quality at
``learning_rate``. After a failure that leaves a customer below ``dissatisfied_below``, they
complain with their ``complaint_propensity`` (about 4%: "96% of dissatisfied customers don't
complain", seed 004). Buyers post a review with probability ``review_rate``, more often after an
extreme experience; a review gives 1 + 4 x satisfaction stars. Reviews feed each firm's public
rating (a Bayesian average with a prior, fading with ``rating_memory_weeks``).

Example:
    >>> round(failure_probability(0.1, 2), 2)
    0.19
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.agents.behaviours.purchase import Sales

if TYPE_CHECKING:
    from sim.model import CustomerMarket


def failure_probability(rate, purchases):
    """Probability that at least one of ``purchases`` purchases fails."""
    return 1 - (1 - rate) ** purchases


def run(market: CustomerMarket, sales: Sales) -> None:
    config = market.scenario.behaviours.experience
    if not config.enabled:
        return
    c = market.customers
    week = market.week
    memory = np.exp(-1.0 / config.rating_memory_weeks)
    market.review_sum *= memory
    market.review_count *= memory
    if sales.slots.size == 0:
        return
    slots, firm = sales.slots, sales.firm
    failed = market.streams.uniform("fail", week, slots) < failure_probability(
        market.failure_rates[firm], sales.count
    )
    satisfaction = c.satisfaction[slots]
    satisfaction = np.where(
        failed,
        np.maximum(satisfaction - config.failure_drop, 0),
        satisfaction + config.learning_rate * (market.qualities[firm] - satisfaction),
    ).astype(np.float32)
    c.satisfaction[slots] = satisfaction

    n_firms = len(market.firm_list)
    flows = market.recorder.flows
    dissatisfied = failed & (satisfaction < config.dissatisfied_below)
    complains = dissatisfied & (
        market.streams.uniform("complain", week, slots) < c.complaint_propensity[slots]
    )
    flows.dissatisfied += np.bincount(firm[dissatisfied], minlength=n_firms)
    flows.complaints += np.bincount(firm[complains], minlength=n_firms)

    extremity = np.abs(2 * satisfaction - 1)
    chance = np.minimum(config.review_rate * (1 + config.extreme_review_boost * extremity), 1)
    posts = market.streams.uniform("review", week, slots) < chance
    stars = 1 + 4 * satisfaction[posts].astype(np.float64)
    market.review_sum += np.bincount(firm[posts], weights=stars, minlength=n_firms)
    market.review_count += np.bincount(firm[posts], minlength=n_firms)
    flows.reviews += np.bincount(firm[posts], minlength=n_firms)
