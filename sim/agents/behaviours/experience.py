"""Step 6, experience and voice: service failures, satisfaction, complaints and reviews.

A week with n purchases fails with probability 1 - (1 - failure_rate)^n. A failure drops
satisfaction by ``failure_drop``; a good week pulls it toward the firm's quality as people judge
it, quality / ``market.expectation_level`` (rising expectations, a market event, make the same
service less satisfying), at ``learning_rate``. After a failure that leaves a customer below ``dissatisfied_below``, they
complain with their ``complaint_propensity`` (about 4%: "96% of dissatisfied customers don't
complain", seed 004). A firm that handles complaints (the ``complaint_handling`` lever) resolves
them while its capacity lasts, restoring satisfaction to the lever's ``strength`` (service
recovery); an unhandled complaint ends in a 1-star review with probability
``unhandled_bad_review``. Service investment removes a share of failures. Buyers post a review with
probability ``review_rate`` (x (1 + strength) when asked by social-proof marketing), more often
after an extreme experience; a review gives 1 + 4 x satisfaction stars. A retention offer lifts
the satisfaction of the customers it reached. Reviews feed each firm's public
rating (a Bayesian average with a prior, fading with ``rating_memory_weeks``).

The week's buyers are served in one compiled pass (:func:`_served`), reading the parameters by
name from :class:`ExperienceParams`.

Example:
    >>> round(failure_probability(0.1, 2.0), 2)
    0.19
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
from numba import njit

from sim.agents.behaviours import per_scenario
from sim.agents.behaviours.purchase import Sales
from sim.streams import uniform_one

if TYPE_CHECKING:
    from sim.model import CustomerMarket
    from sim.scenario import Scenario


class ExperienceParams(NamedTuple):
    """The experience rule's parameters as its kernel reads them (satisfaction is float32)."""

    failure_drop: np.float32  # satisfaction lost to a service failure
    learning_rate: np.float32  # a good experience moves satisfaction this far toward quality
    dissatisfied_below: np.float32  # a failure below this satisfaction is dissatisfying
    handled_level: np.float32  # satisfaction restored by a handled complaint (the lever's strength)
    review_rate: np.float32  # weekly chance a buyer posts a review
    extreme_review_boost: np.float32  # more reviews after an extreme experience
    unhandled_bad_review: float  # chance an unhandled complaint ends in a 1-star review


@per_scenario
def params(scenario: Scenario) -> ExperienceParams:
    """The scenario's experience parameters (``[behaviours.experience]``, and the complaint
    handling lever's ``strength``)."""
    config = scenario.behaviours.experience
    f32 = np.float32
    return ExperienceParams(
        failure_drop=f32(config.failure_drop),
        learning_rate=f32(config.learning_rate),
        dissatisfied_below=f32(config.dissatisfied_below),
        handled_level=f32(scenario.levers.complaint_handling.strength),
        review_rate=f32(config.review_rate),
        extreme_review_boost=f32(config.extreme_review_boost),
        unhandled_bad_review=float(config.unhandled_bad_review),
    )


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
        lift_satisfaction(market.effects.satisfaction_lift, c.satisfaction)
    if sales.slots.size == 0:
        return
    slots, firm = sales.slots, sales.firm
    failure_rates = market.failure_rates * np.array([f.failure_multiplier for f in market.firm_list])
    qualities = market.qualities
    expectation = market.scenario.market.expectation_level
    if expectation != 1:  # judged against what people now require
        qualities = (qualities / np.float32(expectation)).astype(np.float32)
    handling = market.scenario.levers.complaint_handling
    capacity = np.array([max(f.complaint_capacity, 0) for f in market.firm_list], dtype=np.int64)
    keys = [market.streams.key(d, week) for d in ("fail", "complain", "review", "bad_review")]
    counts, stars = _served(
        slots,
        sales.count,
        firm,
        (c.satisfaction, c.complaint_propensity, c.complaints, market.effects.review_boost),
        (failure_rates, qualities, capacity),
        params(market.scenario),
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


# --------------------------------------------------------------------------- the compiled rule


@njit(cache=True, inline="always")
def failure_probability(rate: float, purchases: float) -> float:
    """Probability that at least one of ``purchases`` purchases fails."""
    return 1 - (1 - rate) ** purchases


@njit(cache=True)
def _served(
    slots: np.ndarray,
    count: np.ndarray,
    firm: np.ndarray,
    people: tuple,
    firm_terms: tuple,
    rule: ExperienceParams,
    keys: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The rule for this week's buyers (in slot order), in place: service failures, satisfaction,
    complaints and their handling, reviews. ``people`` is (satisfaction, complaint propensity,
    complaints, review boost); ``firm_terms`` is (failure rate, quality, complaint-handling
    capacity) by firm; ``keys`` the stream cells of "fail", "complain", "review", "bad_review".

    Returns a (4, F) int64 table (dissatisfied, complaints, complaints handled, reviews by firm)
    and the (F,) sums of review stars; satisfaction, complaint counts and capacity are updated.
    """
    satisfaction, propensity, complaints, review_boost = people
    failure_rate, quality, capacity = firm_terms
    drop, learning = rule.failure_drop, rule.learning_rate
    dissatisfied_below, handled_level = rule.dissatisfied_below, rule.handled_level
    review_rate, extreme_boost, bad_review = (
        rule.review_rate,
        rule.extreme_review_boost,
        rule.unhandled_bad_review,
    )
    firms = failure_rate.size
    counts = np.zeros((4, firms), dtype=np.int64)
    stars = np.zeros(firms, dtype=np.float64)
    zero, one = np.float32(0.0), np.float32(1.0)
    for i in range(slots.size):
        slot = slots[i]
        f = firm[i]
        failed = uniform_one(keys[0], np.int64(slot)) < failure_probability(
            failure_rate[f], np.float64(count[i])
        )
        now = satisfaction[slot]
        now = max(now - drop, zero) if failed else now + learning * (quality[f] - now)
        satisfaction[slot] = now
        complains = False
        if failed and now < dissatisfied_below:
            counts[0, f] += 1
            complains = uniform_one(keys[1], np.int64(slot)) < propensity[slot]
        handled = False
        if complains:
            counts[1, f] += 1
            complaints[slot] += 1
            if capacity[f] > 0:  # handled in slot order while the firm's capacity lasts
                capacity[f] -= 1
                handled = True
                counts[2, f] += 1
                now = max(now, handled_level)
                satisfaction[slot] = now
        extremity = abs(np.float32(2.0) * now - one)
        chance = min(review_rate * (one + review_boost[slot]) * (one + extreme_boost * extremity), one)
        posts = uniform_one(keys[2], np.int64(slot)) < chance
        # An unhandled complaint is voiced in public: a 1-star review.
        angry = complains and not handled and uniform_one(keys[3], np.int64(slot)) < bad_review
        if posts or angry:
            counts[3, f] += 1
            stars[f] += 1.0 if angry else 1 + 4 * np.float64(now)
    return counts, stars


@njit(cache=True)
def lift_satisfaction(lift: np.ndarray, satisfaction: np.ndarray) -> None:
    """Retention offers' lift (step 6): satisfaction moves ``lift`` of the way to 1, in float32
    as ``satisfaction[s] += lift[s] * (1 - satisfaction[s])`` for the lifted."""
    one = np.float32(1.0)
    for slot in range(lift.size):
        if lift[slot] > 0:
            now = satisfaction[slot]
            satisfaction[slot] = now + lift[slot] * (one - now)
