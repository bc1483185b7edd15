"""Step 5, purchases: active customers buy; revenue, margin and loyalty tiers follow.

Each active customer buys a Poisson number of times this week with mean ``purchase_rate x
spend_level x products held / products on joining x (1 + offer_uplift if a personal offer
landed)``, so product churn and decreased spend lower what a customer buys; dormant customers buy
nothing; each purchase brings ``price x
basket_size`` of revenue and ``margin`` of it as gross margin. Purchase rates are gamma-distributed
across people and basket sizes lognormal, which is what concentrates value in a few customers
(the 80:20 rule of seed 004). Margin from customers won during the run is also booked discounted
to their acquisition week, for realised lifetime value. Loyalty tiers follow trailing-year spend
within each firm, reviewed every ``tier_review_weeks``: top 20% gold, middle 60% silver, bottom
20% bronze (a customer who joined since the last review has no tier yet); a customer whose tier falls
loses ``downgrade_drop`` of appreciation. A firm running an acquisition discount gives its new
customers that share of their purchases in their first ``weeks`` weeks, booked as lever spend
while the week's allocation lasts. Revenue from reactivated customers is also tracked apart.

Example:
    >>> Sales.empty().slots.size
    0
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sim import kernels
from sim.agents.customers import Channel, Status, Tier

if TYPE_CHECKING:
    from sim.model import CustomerMarket

TRAILING_WEEKS = 52.0  # time constant of the decayed "trailing-year" spend


@dataclass
class Sales:
    """Who bought this week, how often, from which firm, for how much."""

    slots: np.ndarray
    count: np.ndarray
    firm: np.ndarray
    revenue: np.ndarray

    @classmethod
    def empty(cls) -> Sales:
        nothing = np.empty(0, dtype=np.int64)
        return cls(nothing, nothing, nothing, np.empty(0))


def run(market: CustomerMarket) -> Sales:
    config = market.scenario.behaviours.purchase
    c = market.customers
    if not config.enabled:
        return Sales.empty()
    week = market.week
    active = kernels.slots_with(c.status, np.int8(Status.ACTIVE))
    count = kernels.purchase_counts(
        active,
        (c.purchase_rate, c.spend_level, c.products, c.joining_products),
        market.effects.offered,
        config.offer_uplift,
        market.streams.key("purchase", week),
    )
    slots, count = kernels.buyers(active, count)
    firm = c.firm[slots].astype(np.int64)
    # Trailing-year spend decays for every customer, then this week's purchases add to it.
    kernels.decay_customers(c.firm, c.trailing_spend, np.float32(1 - 1 / TRAILING_WEEKS))
    records = (c.firm, c.purchases, c.revenue, c.margin, c.last_purchase_week, c.trailing_spend)
    records += (c.reactivated, c.revenue_after_reactivation, np.array([week], dtype=np.int32))
    # Margin from customers won during the run also goes to realised lifetime value, discounted
    # to their acquisition week.
    lifetime = (c.acquired_in_run, c.acquired_week, c.channel, np.int8(Channel.REFERRAL))
    lifetime += (1 + market.scenario.run.discount_rate,)
    revenue, by_firm = kernels.book_purchases(
        slots,
        count,
        (market.prices, market.margin_rates, c.basket_size),
        records,
        lifetime,
        c.n_firms,
        market.recorder.margin_by_age,
    )
    flows = market.recorder.flows
    flows.revenue += by_firm[0]
    flows.margin += by_firm[1]
    flows.reactivated_revenue += by_firm[2]
    flows.ltv_margin += by_firm[3]
    flows.ltv_margin_referred += by_firm[4]
    _give_discounts(market, slots, firm, revenue)

    if week == 1 or week % config.tier_review_weeks == 0:  # a first review at the start
        _assign_tiers(market, np.flatnonzero(c.firm >= 0))
    return Sales(slots, count, firm, revenue)


def _give_discounts(market: CustomerMarket, slots: np.ndarray, firm: np.ndarray, revenue: np.ndarray) -> None:
    """New customers' discounts, booked on the acquisition_discount lever until its budget ends."""
    c = market.customers
    weeks = market.scenario.levers.acquisition_discount.weeks
    new = c.acquired_in_run[slots] & (market.week - c.acquired_week[slots] < weeks)
    for f in market.firm_list:
        if f.discount <= 0 or f.discount_budget <= 0:
            continue
        given = f.discount * revenue[new & (firm == f.index)]
        affordable = given[np.cumsum(given) <= f.discount_budget]  # in slot order
        f.book("acquisition_discount", float(affordable.sum()))
        f.discount_budget -= float(affordable.sum())


def _assign_tiers(market: CustomerMarket, customers: np.ndarray) -> None:
    """Tiers by rank, not by value, so that ties (many new customers at zero) cannot make more
    than 20% gold: the top 20% of ranks are gold, the bottom 20% bronze."""
    c = market.customers
    firm = c.firm[customers]
    for index in range(len(market.firm_list)):
        mine = customers[firm == index]
        n = mine.size
        if n == 0:
            continue
        # Ranked by (trailing spend, slot): ties (new customers at zero) split the same way on
        # every machine (sim.kernels.smallest).
        tier = np.full(n, Tier.SILVER, dtype=np.int8)
        spend = c.trailing_spend[mine]
        tier[kernels.smallest(spend, n // 5)] = Tier.BRONZE
        tier[kernels.largest(spend, n // 5)] = Tier.GOLD
        before = c.tier[mine]
        downgraded = mine[(tier < before) & (before != Tier.NONE)]
        drop = np.float32(market.scenario.behaviours.appreciation.downgrade_drop)
        c.appreciation[downgraded] = np.maximum(c.appreciation[downgraded] - drop, 0)
        market.recorder.flows.downgrades[index] += downgraded.size
        c.tier[mine] = tier
