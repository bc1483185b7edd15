"""Step 7b, growth: customers answer cross-sell and up-sell offers; buyer's remorse in the first weeks.

"Selling has only just begun at the time of the initial purchase decision - virtually everyone is
susceptible to buyer's remorse" (seed 004). Three rules, each on what the levers wrote this week
(:mod:`sim.strategies.levers`: ``cross_sell``, ``up_sell``, ``reassurance``):

Acceptance. A customer offered a further product (cross-sell) or a higher spend level (up-sell)
accepts with probability p, where

    logit p = logit(s) + satisfaction_weight x (satisfaction - reference_satisfaction)
                       + appreciation_weight x (appreciation - reference_appreciation)
                       + log(ladder) x (products held - 1)          [cross-sell only]

``s`` is the lever's ``strength``: the chance of a "yes" from a customer at the reference
satisfaction and appreciation holding one product. So acceptance rises with satisfaction and
appreciation, and each product further up the product line ("create a hierarchy of your product
line", seed 000) is harder to sell than the last (``ladder`` < 1 shrinks the odds per product
already held beyond the first). An accepted cross-sell adds one product, up to ``max_products``;
an accepted up-sell multiplies the spend level by ``1 + upsell_step``, up to ``max_spend_level``.
Purchases follow products held and spend level (:mod:`sim.agents.behaviours.purchase`), so both
raise revenue from the next week on; partial churn (:mod:`sim.agents.behaviours.churn`) lowers
them again, so products and spend level move both ways.

Buyer's remorse (when ``remorse`` is on). A customer won during the run, in weeks 1 to
``remorse_weeks`` after joining, leaves with weekly hazard

    remorse_rate x (1 - reassurance strength)   if reassured since joining, else remorse_rate

and lapses to prospect with the reason "dissatisfied": remorse is dissatisfaction with the
decision just made (post-purchase dissonance), so it is charged where a strategist looks for
dissatisfied exits, and it is counted apart as ``remorse_exits`` as well. A reassurance contact
("thank them and remind them again why they've made the right decision", seed 004) is remembered
until the person next joins a firm.

Each decision draws the person's own uniform from its own stream ("cross_sell", "up_sell",
"remorse"; keyed by week and slot), so common random numbers hold: a market where no firm funds
these levers and remorse is off draws nothing and is unchanged. The decisions run compiled
(:func:`_answer_offers`, :func:`_remorse`), reading the parameters by name from
:class:`GrowthParams`.

Example:
    >>> from sim.scenario import Scenario
    >>> rule = params(Scenario())
    >>> round(float(acceptance(0.1, np.float32(0.7), np.float32(0.5), 1, rule, True)), 3)
    0.1
    >>> float(acceptance(0.1, np.float32(0.9), np.float32(0.5), 1, rule, True)) > 0.1
    True
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
from numba import njit

from sim.agents.behaviours import churn, per_scenario
from sim.agents.customers import Reason, Status
from sim.numerics import below_chance
from sim.streams import uniform_one

if TYPE_CHECKING:
    from sim.model import CustomerMarket
    from sim.scenario import Scenario

_ACTIVE = np.int8(Status.ACTIVE)


class GrowthParams(NamedTuple):
    """The growth rules' parameters as their kernels read them."""

    satisfaction_weight: float  # log-odds per unit satisfaction above the reference
    appreciation_weight: float  # log-odds per unit appreciation above the reference
    reference_satisfaction: float
    reference_appreciation: float
    log_ladder: float  # log(ladder): log-odds per product held beyond the first (cross-sell)
    max_products: int
    upsell_factor: np.float32  # 1 + upsell_step
    max_spend_level: np.float32
    remorse_rate: np.float32  # 0 when remorse is off
    remorse_weeks: int
    reassurance_keep: np.float32  # 1 - the reassurance lever's strength: what a contact leaves


@per_scenario
def params(scenario: Scenario) -> GrowthParams:
    """The scenario's growth parameters (``[behaviours.growth]``, ``levers.reassurance.strength``)."""
    config = scenario.behaviours.growth
    return GrowthParams(
        satisfaction_weight=float(config.satisfaction_weight),
        appreciation_weight=float(config.appreciation_weight),
        reference_satisfaction=float(config.reference_satisfaction),
        reference_appreciation=float(config.reference_appreciation),
        log_ladder=math.log(config.ladder),
        max_products=int(config.max_products),
        upsell_factor=np.float32(1 + config.upsell_step),
        max_spend_level=np.float32(config.max_spend_level),
        remorse_rate=np.float32(config.remorse_rate if config.remorse else 0.0),
        remorse_weeks=int(config.remorse_weeks),
        reassurance_keep=np.float32(1 - scenario.levers.reassurance.strength),
    )


def run(market: CustomerMarket) -> None:
    """Step 7b: offers answered (cross-sell, then up-sell), then buyer's remorse."""
    if not market.scenario.behaviours.growth.enabled:
        return
    c = market.customers
    effects = market.effects
    rule = params(market.scenario)
    flows = market.recorder.flows
    levers = market.scenario.levers
    week = market.week
    # Cross-sell, then up-sell: the same rule on each lever's offers, with its own stream.
    offers = (
        ("cross_sell", c.cross_sells, (flows.cross_sell_offers, flows.cross_sells), True),
        ("up_sell", c.up_sells, (flows.up_sell_offers, flows.up_sells), False),
    )
    for lever, accepted, counted, cross_sell in offers:
        if effects.used(f"{lever}_offer"):
            _answer_offers(
                np.flatnonzero(getattr(effects, f"{lever}_offer")),
                (c.firm, c.status, c.satisfaction, c.appreciation, c.products, c.spend_level, accepted),
                counted,
                float(getattr(levers, lever).strength),
                rule,
                market.streams.key(lever, week),
                cross_sell,
            )
    if effects.used("reassured"):
        c.reassured[effects.reassured] = True
    if rule.remorse_rate > 0:
        leavers = _remorse(
            (c.firm, c.status, c.acquired_in_run, c.acquired_week, c.reassured),
            week,
            rule,
            market.streams.key("remorse", week),
        )
        if leavers.size:
            np.add.at(flows.remorse_exits, c.firm[leavers].astype(np.int64), 1)
            churn.lapse(market, leavers, Reason.DISSATISFIED)


def acceptance_chances(
    market: CustomerMarket, slots: np.ndarray, strength: float, cross_sell: bool
) -> np.ndarray:
    """The chance each customer in ``slots`` would accept an offer of ``strength`` (float64, in
    slot order): what a firm's propensity model predicts when a lever targets by propensity."""
    c = market.customers
    rule = params(market.scenario)
    return _chances(
        np.asarray(slots, dtype=np.int64),
        (c.satisfaction, c.appreciation, c.products),
        strength,
        rule,
        cross_sell,
    )


# --------------------------------------------------------------------------- the compiled rule


@njit(cache=True)
def acceptance(
    strength: float,
    satisfaction: np.float32,
    appreciation: np.float32,
    products: int,
    rule: GrowthParams,
    cross_sell: bool,
) -> float:
    """P(accept) of one offer (the module docstring's equation); strength 0 or 1 is never or always."""
    if strength <= 0.0:
        return 0.0
    if strength >= 1.0:
        return 1.0
    log_odds = math.log(strength / (1.0 - strength))
    log_odds += rule.satisfaction_weight * (np.float64(satisfaction) - rule.reference_satisfaction)
    log_odds += rule.appreciation_weight * (np.float64(appreciation) - rule.reference_appreciation)
    if cross_sell:
        log_odds += rule.log_ladder * (products - 1)
    return 1.0 / (1.0 + math.exp(-log_odds))


@njit(cache=True)
def _chances(
    slots: np.ndarray, traits: tuple, strength: float, rule: GrowthParams, cross_sell: bool
) -> np.ndarray:
    """:func:`acceptance` of each slot; ``traits`` is (satisfaction, appreciation, products)."""
    satisfaction, appreciation, products = traits
    out = np.empty(slots.size, dtype=np.float64)
    for i in range(slots.size):
        slot = slots[i]
        out[i] = acceptance(
            strength, satisfaction[slot], appreciation[slot], products[slot], rule, cross_sell
        )
    return out


@njit(cache=True)
def _answer_offers(
    offered: np.ndarray,
    people: tuple,
    flows: tuple,
    strength: float,
    rule: GrowthParams,
    key: np.uint64,
    cross_sell: bool,
) -> None:
    """The offered customers answer, in place. ``people`` is (firm, status, satisfaction,
    appreciation, products, spend level, the accepted offers counter); ``flows`` the recorder's
    (offers, accepted) by firm. An offer counts if its customer is still active and below the cap."""
    firm_of, status, satisfaction, appreciation, products, spend_level, accepted_count = people
    offers, accepted = flows
    for i in range(offered.size):
        slot = offered[i]
        own = firm_of[slot]
        if own < 0 or status[slot] != _ACTIVE:
            continue
        if cross_sell and products[slot] >= rule.max_products:
            continue
        if not cross_sell and spend_level[slot] >= rule.max_spend_level:
            continue
        offers[own] += 1
        p = acceptance(strength, satisfaction[slot], appreciation[slot], products[slot], rule, cross_sell)
        if uniform_one(key, np.int64(slot)) >= p:
            continue
        if cross_sell:
            products[slot] += 1
        else:
            spend_level[slot] = min(spend_level[slot] * rule.upsell_factor, rule.max_spend_level)
        accepted_count[slot] += 1
        accepted[own] += 1


@njit(cache=True)
def _remorse(people: tuple, week: int, rule: GrowthParams, key: np.uint64) -> np.ndarray:
    """Slots of the customers who leave in buyer's remorse this week (in slot order). ``people``
    is (firm, status, acquired in run, acquired week, reassured)."""
    firm_of, status, won, acquired_week, reassured = people
    leavers = np.empty(firm_of.size, dtype=np.int64)
    count = 0
    for slot in range(firm_of.size):
        if firm_of[slot] < 0 or status[slot] != _ACTIVE or not won[slot]:
            continue
        tenure = week - acquired_week[slot]
        if tenure < 1 or tenure > rule.remorse_weeks:
            continue
        hazard = rule.remorse_rate * rule.reassurance_keep if reassured[slot] else rule.remorse_rate
        if below_chance(uniform_one(key, np.int64(slot)), hazard):
            leavers[count] = slot
            count += 1
    return leavers[:count].copy()
