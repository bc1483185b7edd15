"""Step 6, experience and voice: service failures, satisfaction, complaints and reviews.

A week with n purchases fails with probability 1 - (1 - failure_rate)^n. A failure drops
satisfaction by ``failure_drop``; a good week pulls it toward the firm's quality at
``learning_rate``. After a failure that leaves a customer below ``dissatisfied_below``, they
complain with their ``complaint_propensity`` (about 4%: "96% of dissatisfied customers don't
complain", seed 004). A firm that handles complaints (the ``complaint_handling`` lever) resolves
them while its capacity lasts, restoring satisfaction to the lever's ``strength`` (service
recovery); an unhandled complaint ends in a 1-star review with probability
``unhandled_bad_review``. Service investment removes a share of failures. Buyers post a review with
probability ``review_rate`` (x (1 + strength) when asked by social-proof marketing), more often
after an extreme experience; a review gives 1 + 4 x satisfaction stars. A retention offer lifts
the satisfaction of the customers it reached. Reviews feed each firm's public
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
    lifted = np.flatnonzero(market.effects.satisfaction_lift > 0)
    c.satisfaction[lifted] += market.effects.satisfaction_lift[lifted] * (1 - c.satisfaction[lifted])
    if sales.slots.size == 0:
        return
    slots, firm = sales.slots, sales.firm
    failure_rates = market.failure_rates * np.array([f.failure_multiplier for f in market.firm_list])
    failed = market.streams.uniform("fail", week, slots) < failure_probability(
        failure_rates[firm], sales.count
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
    c.complaints[slots[complains]] += 1
    handled = _handle_complaints(market, slots, firm, complains)
    satisfaction = c.satisfaction[slots]  # after service recovery
    unhandled = complains & ~handled

    extremity = np.abs(2 * satisfaction - 1)
    boost = 1 + market.effects.review_boost[slots]
    chance = np.minimum(config.review_rate * boost * (1 + config.extreme_review_boost * extremity), 1)
    posts = market.streams.uniform("review", week, slots) < chance
    # An unhandled complaint is voiced in public: a 1-star review.
    angry = unhandled & (market.streams.uniform("bad_review", week, slots) < config.unhandled_bad_review)
    posts |= angry
    stars = np.where(angry, 1.0, 1 + 4 * satisfaction.astype(np.float64))[posts]
    market.review_sum += np.bincount(firm[posts], weights=stars, minlength=n_firms)
    market.review_count += np.bincount(firm[posts], minlength=n_firms)
    flows.reviews += np.bincount(firm[posts], minlength=n_firms)


def _handle_complaints(
    market: CustomerMarket, slots: np.ndarray, firm: np.ndarray, complains: np.ndarray
) -> np.ndarray:
    """Complaints each firm resolves this week (lowest slots first, within its capacity);
    returns a mask over ``slots``. Handled complainers' satisfaction rises to the lever's
    strength, and each handled complaint is booked at the lever's unit cost."""
    handled = np.zeros(slots.size, dtype=bool)
    config = market.scenario.levers.complaint_handling
    for f in market.firm_list:
        if f.complaint_capacity <= 0:
            continue
        mine = np.flatnonzero(complains & (firm == f.index))[: f.complaint_capacity]
        handled[mine] = True
        f.book("complaint_handling", mine.size * config.unit_cost)
        market.recorder.flows.complaints_handled[f.index] += mine.size
    c = market.customers
    recovered = slots[handled]
    c.satisfaction[recovered] = np.maximum(c.satisfaction[recovered], np.float32(config.strength))
    return handled
