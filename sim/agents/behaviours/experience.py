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
    >>> round(failure_probability(0.1, 2.0), 2)
    0.19
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from sim import kernels
from sim.agents.behaviours.purchase import Sales

if TYPE_CHECKING:
    from sim.model import CustomerMarket


failure_probability = kernels.failure_probability  # at least one of n purchases fails


def run(market: CustomerMarket, sales: Sales) -> None:
    config = market.scenario.behaviours.experience
    if not config.enabled:
        return
    c = market.customers
    week = market.week
    memory = math.exp(-1.0 / config.rating_memory_weeks)
    market.review_sum *= memory
    market.review_count *= memory
    if market.effects.used("satisfaction_lift"):  # a retention offer moves it toward 1
        kernels.lift_satisfaction(market.effects.satisfaction_lift, c.satisfaction)
    if sales.slots.size == 0:
        return
    slots, firm = sales.slots, sales.firm
    failure_rates = market.failure_rates * np.array([f.failure_multiplier for f in market.firm_list])
    handling = market.scenario.levers.complaint_handling
    capacity = np.array([max(f.complaint_capacity, 0) for f in market.firm_list], dtype=np.int64)
    params = [config.failure_drop, config.learning_rate, config.dissatisfied_below, handling.strength]
    params += [config.review_rate, config.extreme_review_boost, config.unhandled_bad_review]
    keys = [market.streams.key(d, week) for d in ("fail", "complain", "review", "bad_review")]
    counts, stars = kernels.experience_week(
        slots,
        sales.count,
        firm,
        (c.satisfaction, c.complaint_propensity, c.complaints, market.effects.review_boost),
        (failure_rates, market.qualities, capacity),
        np.array(params, dtype=np.float64),
        np.array(keys, dtype=np.uint64),
    )
    flows = market.recorder.flows
    flows.dissatisfied += counts[0]
    flows.complaints += counts[1]
    # Complaints each firm resolved (in slot order, within its capacity), at the lever's unit cost.
    for f in market.firm_list:
        if f.complaint_capacity > 0:
            f.book("complaint_handling", counts[2, f.index] * handling.unit_cost)
    flows.complaints_handled += counts[2]
    market.review_sum += stars
    market.review_count += counts[3]
    flows.reviews += counts[3]
