"""Step 5, purchases: active customers buy; revenue, margin and loyalty tiers follow.

Each active customer buys a Poisson number of times this week with mean ``purchase_rate x
spend_level x products held / products on joining x (1 + offer_uplift if a personal offer
landed) x market.demand_level`` (1 normally; a downturn, a market event, lowers it), so product churn and decreased spend lower what a customer buys; dormant customers buy
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

The purchases are counted and booked compiled (:func:`counts`, :func:`_book`), reading the
parameters by name from :class:`PurchaseParams`.

Example:
    >>> Sales.empty().slots.size
    0
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
from numba import njit

from sim.agents.behaviours import per_scenario
from sim.agents.customers import Channel, Status, Tier
from sim.numerics import largest, smallest
from sim.streams import uniform_one
from sim.threads import in_pieces

if TYPE_CHECKING:
    from sim.model import CustomerMarket
    from sim.scenario import Scenario

TRAILING_WEEKS = 52.0  # time constant of the decayed "trailing-year" spend


_REFERRAL = np.int8(Channel.REFERRAL)  # a constant of the compiled booking


class PurchaseParams(NamedTuple):
    """The purchase rule's parameters as its kernels read them."""

    offer_uplift: float  # purchases x (1 + this) in a week a personal offer landed
    discount_base: float  # 1 + the yearly discount rate (lifetime value's margin is discounted)
    demand: float  # market.demand_level: every mean x this (a downturn lowers it)


@per_scenario
def params(scenario: Scenario) -> PurchaseParams:
    """The scenario's purchase parameters (``[behaviours.purchase]``, ``run.discount_rate``)."""
    return PurchaseParams(
        offer_uplift=float(scenario.behaviours.purchase.offer_uplift),
        discount_base=float(1 + scenario.run.discount_rate),
        demand=float(scenario.market.demand_level),
    )


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
    rule = params(market.scenario)
    active = np.flatnonzero(c.status == Status.ACTIVE)
    count = counts(
        active,
        (c.purchase_rate, c.spend_level, c.products, c.joining_products),
        market.effects.offered,
        rule,
        market.streams.key("purchase", week),
    )
    slots, count = _buyers(active, count)
    firm = c.firm[slots].astype(np.int64)
    # Trailing-year spend decays for every customer, then this week's purchases add to it.
    _decay_customers(c.firm, c.trailing_spend, np.float32(1 - 1 / TRAILING_WEEKS))
    records = (c.firm, c.purchases, c.revenue, c.margin, c.last_purchase_week, c.trailing_spend)
    records += (c.reactivated, c.revenue_after_reactivation)
    # Margin from customers won during the run also goes to realised lifetime value, discounted
    # to their acquisition week.
    lifetime = (c.acquired_in_run, c.acquired_week, c.channel)
    revenue, by_firm = _book(
        slots,
        count,
        (market.prices, market.margin_rates, c.basket_size),
        records,
        lifetime,
        rule,
        week,
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
        # every machine (sim.numerics.smallest).
        tier = np.full(n, Tier.SILVER, dtype=np.int8)
        spend = c.trailing_spend[mine]
        tier[smallest(spend, n // 5)] = Tier.BRONZE
        tier[largest(spend, n // 5)] = Tier.GOLD
        before = c.tier[mine]
        downgraded = mine[(tier < before) & (before != Tier.NONE)]
        drop = np.float32(market.scenario.behaviours.appreciation.downgrade_drop)
        c.appreciation[downgraded] = np.maximum(c.appreciation[downgraded] - drop, 0)
        market.recorder.flows.downgrades[index] += downgraded.size
        c.tier[mine] = tier


# --------------------------------------------------------------------------- the compiled rule


def counts(
    slots: np.ndarray, traits: tuple, offered: np.ndarray, rule: PurchaseParams, key: np.uint64
) -> np.ndarray:
    """This week's number of purchases of each active customer in ``slots``: Poisson by inversion
    of the person's own uniform (a person's count depends only on their own uniform and mean, so
    common random numbers hold), with mean purchase rate x spend level x products held / products
    on joining x (1 + uplift if offered). ``traits`` is (purchase rate, spend level, products,
    joining products)."""
    count = np.zeros(slots.size, dtype=np.int32)
    in_pieces(_count_rows, slots.size, (slots, traits, offered, rule, key), count)
    return count


@njit(cache=True, nogil=True)
def _count_rows(first: int, last: int, inputs: tuple, count: np.ndarray) -> None:
    """Customers ``first`` to ``last - 1`` of :func:`counts` (its arguments as one tuple)."""
    slots, traits, offered, rule, key = inputs
    offer_uplift, demand = rule.offer_uplift, rule.demand
    rate, spend_level, products, joining = traits
    for i in range(first, last):
        slot = slots[i]
        held = np.float32(products[slot]) / max(joining[slot], np.float32(1.0))
        mean = np.float64(rate[slot] * spend_level[slot] * held) * (1.0 + offer_uplift * offered[slot])
        if demand != 1.0:
            mean *= demand
        u = uniform_one(key, np.int64(slot))
        if u < (1.0 - mean) * (1.0 - 1e-12):  # below exp(-mean) >= 1 - mean: no purchase
            continue
        term = np.exp(-mean)
        cumulative = term
        k = 0
        while u >= cumulative and k < 40:
            k += 1
            term = term * mean / k
            cumulative = cumulative + term
        count[i] = k


@njit(cache=True)
def _buyers(slots: np.ndarray, count: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The ``slots`` whose purchase ``count`` is above 0, and their counts (in order)."""
    keep = 0
    out_slots = np.empty(slots.size, dtype=np.int64)
    out_count = np.empty(slots.size, dtype=np.int32)
    for i in range(slots.size):
        out_slots[keep] = slots[i]
        out_count[keep] = count[i]
        keep += count[i] > 0
    return out_slots[:keep].copy(), out_count[:keep].copy()


@njit(cache=True)
def _decay_customers(firm_of: np.ndarray, values: np.ndarray, factor: np.float32) -> None:
    """values *= factor for every customer (firm >= 0), in place."""
    for slot in range(firm_of.size):
        if firm_of[slot] >= 0:
            values[slot] *= factor


@njit(cache=True)
def _book(
    slots: np.ndarray,
    count: np.ndarray,
    prices: tuple,
    records: tuple,
    lifetime: tuple,
    rule: PurchaseParams,
    week: int,
    firms: int,
    margin_by_age: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Book this week's purchases of the buyers in ``slots``, in place: revenue = count x price x
    basket size, margin = revenue x margin rate; the buyers' running totals, last purchase week,
    trailing spend and revenue since reactivation. ``prices`` is (price by firm, margin rate by
    firm, basket size by person); ``records`` is (firm, purchases, revenue, margin, last purchase
    week, trailing spend, reactivated, revenue after reactivation); ``lifetime`` is (won during
    the run, acquired week, channel). Returns each buyer's revenue and a (5, firms) table by firm, summed in slot
    order as np.bincount does: revenue, margin, reactivated customers' revenue, margin of
    customers won during the run discounted to their acquisition week, and the part of it from
    customers won by referral. ``margin_by_age`` (firms, weeks + 1) gathers, in place, the
    undiscounted margin of customers won during the run by weeks since they were won (for the
    payback period)."""
    price, margin_rate, basket = prices
    firm_of, purchases, revenue_total, margin_total, last_purchase, trailing, reactivated, after = records
    won, acquired, channel = lifetime
    discount_base = rule.discount_base
    revenue = np.empty(slots.size, dtype=np.float64)
    by_firm = np.zeros((5, firms), dtype=np.float64)
    # The discount factor of each age in weeks, worked out at its first use: one power per age
    # instead of one per buyer (the same expression, so the same factor).
    factor_of_age = np.full(max(week + 1, 1), np.nan)
    for i in range(slots.size):
        slot = slots[i]
        firm = firm_of[slot]
        value = count[i] * price[firm] * basket[slot]
        revenue[i] = value
        margin = value * margin_rate[firm]
        purchases[slot] += count[i]
        revenue_total[slot] += value
        margin_total[slot] += margin
        last_purchase[slot] = week
        by_firm[0, firm] += value
        by_firm[1, firm] += margin
        if reactivated[slot]:
            after[slot] += value
            by_firm[2, firm] += value
        if won[slot]:
            margin_by_age[firm, week - acquired[slot]] += margin
            age = week - acquired[slot]
            factor = factor_of_age[age]
            if factor != factor:  # not yet worked out (NaN)
                factor = discount_base ** -(age / 52.0)
                factor_of_age[age] = factor
            discounted = margin * factor
            by_firm[3, firm] += discounted
            if channel[slot] == _REFERRAL:
                by_firm[4, firm] += discounted
        trailing[slot] += np.float32(value)
    return revenue, by_firm
