"""The weekly recorder: what each week's steps add up to, kept per firm for the whole run.

Owns what is recorded as a run goes (docs/model.md, "Metrics"): the week's flows that the
behaviours add to (``new_`` acquisitions by channel, churn by reason, revenue, margin, referrals,
complaints, reviews; :class:`WeekFlows`), the per-firm stocks counted at the end of each week
(:func:`population_counts`, one compiled pass), the weekly table they make
(:meth:`Recorder.timeseries`), and the recorder's hooks: functions a workflow attaches to see each
week's purchases (a transaction log, :mod:`sim.transactions`), so that no behaviour imports a
workflow. What a run's numbers add up to (CAC, lifetime value, ...) is :mod:`sim.summary`.

Example:
    >>> from sim import CustomerMarket, load_scenario
    >>> market = CustomerMarket(load_scenario("scenarios/baseline.toml", {"market.size": 300}))
    >>> market.step(); int(market.recorder.weeks_recorded)
    1
    >>> list(market.recorder.timeseries().columns[:3])
    ['week', 'firm', 'customers']
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from numba import njit

from sim.agents.customers import (
    CHANNEL_NAMES,
    REASON_NAMES,
    RESPONSE_NAMES,
    STAGE_NAMES,
    Channel,
    Status,
)
from sim.strategies.levers import ACQUISITION_LEVERS, LEVER_NAMES

if TYPE_CHECKING:
    from sim.agents.behaviours.purchase import Sales
    from sim.model import CustomerMarket

_ACTIVE = np.int8(Status.ACTIVE)  # a constant of the compiled holdings

# A function that sees each week's purchases, after the purchase step: (market, the week's sales).
PurchaseHook = Callable[["CustomerMarket", "Sales"], None]
# Purchase hooks that a switch of the scenario's ``[run]`` table turns on, by switch name: a
# workflow registers how to make its hook for a market (:func:`hook_for_switch`), and every
# market built with that switch on gets one.
_SWITCHED_HOOKS: dict[str, Callable[[CustomerMarket], PurchaseHook]] = {}


def hook_for_switch(switch: str, make: Callable[[CustomerMarket], PurchaseHook]) -> None:
    """Give every market built from now on whose ``run.<switch>`` is on the purchase hook
    ``make(market)`` (a workflow registers this when imported, e.g. ``record_transactions``).

    :mod:`sim.transactions` registers ``"record_transactions"`` this way. A hook for one market
    only is appended to its recorder's ``purchase_hooks`` instead (see :class:`Recorder`).
    """
    _SWITCHED_HOOKS[switch] = make


# The week's flows kept per firm by category: (firm, channel), (firm, reason), (firm, response) or
# (firm, rival) tables of the recorder, one row a week.
_FLOW_TABLES = (
    "acquired",
    "churned",
    "product_churned",
    "spend_decreased",
    "responses",
    "campaign_responses",
    "lost_to",
)
# The week's flows kept as one number per firm (money in float64, counts in int64).
_FLOW_SERIES = {
    "revenue": np.float64,
    "margin": np.float64,
    "ltv_margin": np.float64,  # margin of in-run acquisitions, discounted
    "referrals_made": np.int64,
    "referrals_converted": np.int64,
    "dissatisfied": np.int64,  # dissatisfying experiences
    "complaints": np.int64,
    "complaints_handled": np.int64,
    "reviews": np.int64,
    "became_dormant": np.int64,
    "reactivated": np.int64,
    "returned": np.int64,
    "reactivated_revenue": np.float64,
    "downgrades": np.int64,
    "ltv_margin_referred": np.float64,
    "churned_referred": np.int64,
    "churned_other_won": np.int64,
    # growth (step 7b): offers that counted, offers accepted, buyer's-remorse exits
    "cross_sell_offers": np.int64,
    "cross_sells": np.int64,
    "up_sell_offers": np.int64,
    "up_sells": np.int64,
    "remorse_exits": np.int64,
    # revenue attributed to products beyond the first: each buyer's revenue x (products - 1) / products
    "extra_product_revenue": np.float64,
    "released": np.int64,  # customers returned to the market when the firm closed (not churn)
}


class WeekFlows:
    """Per-firm flows of one week; behaviours add to these arrays in place (``+=``,
    ``np.add.at``). Each is a view of the recorder's row for the week, so what the behaviours
    add is recorded as it happens, with nothing to clear or copy each week."""

    acquired: np.ndarray  # (F, channels); the other _FLOW_TABLES likewise
    revenue: np.ndarray  # (F,); the other _FLOW_SERIES likewise

    def __init__(self, recorder: Recorder, week: int) -> None:
        for name in _FLOW_TABLES:
            setattr(self, name, getattr(recorder, name)[week])
        for name in _FLOW_SERIES:
            setattr(self, name, recorder.series[name][week])


class Recorder:
    """Per-week, per-firm series, preallocated for the whole horizon (row 0 is week 0).

    Example (a purchase hook that counts each week's buyers):
        >>> from sim import CustomerMarket, load_scenario
        >>> market = CustomerMarket(load_scenario("scenarios/baseline.toml", {"market.size": 300}))
        >>> buyers = []
        >>> def count_buyers(market, sales):
        ...     buyers.append(sales.slots.size)
        >>> market.recorder.purchase_hooks.append(count_buyers)
        >>> market.step(); market.step(); len(buyers)
        2
    """

    def __init__(self, market: CustomerMarket) -> None:
        weeks = market.scenario.run.weeks + 1
        n_firms = len(market.firm_list)
        self.firm_names = [f.name for f in market.firm_list]
        self.customers = np.zeros((weeks, n_firms), dtype=np.int64)
        self.acquired = np.zeros((weeks, n_firms, len(CHANNEL_NAMES)), dtype=np.int64)
        self.churned = np.zeros((weeks, n_firms, len(REASON_NAMES)), dtype=np.int64)
        self.product_churned = np.zeros((weeks, n_firms, len(REASON_NAMES)), dtype=np.int64)
        self.spend_decreased = np.zeros((weeks, n_firms, len(REASON_NAMES)), dtype=np.int64)
        self.responses = np.zeros((weeks, n_firms, len(RESPONSE_NAMES)), dtype=np.int64)
        self.campaign_responses = np.zeros((weeks, n_firms, len(RESPONSE_NAMES)), dtype=np.int64)
        # Customers each firm lost to each rival (switchers: followed a friend, better value).
        self.lost_to = np.zeros((weeks, n_firms, n_firms), dtype=np.int64)
        self.stages = np.zeros((weeks, len(STAGE_NAMES)), dtype=np.int64)  # prospects per stage
        self.dormant = np.zeros((weeks, n_firms), dtype=np.int64)
        self.referred = np.zeros((weeks, n_firms), dtype=np.int64)  # won by referral, still here
        self.other_won = np.zeros((weeks, n_firms), dtype=np.int64)  # won otherwise, still here
        # Products held and the sum of spend levels of the active customers, at the end of the week.
        self.products_held = np.zeros((weeks, n_firms), dtype=np.int64)
        self.spend_levels = np.zeros((weeks, n_firms))
        self.spend = np.zeros((weeks, n_firms, len(LEVER_NAMES)))
        self.rating = np.zeros((weeks, n_firms))
        self.price = np.zeros((weeks, n_firms))  # list price in force (events and strategies move it)
        self.in_market = np.zeros((weeks, n_firms), dtype=bool)  # open: entered and not exited
        self.series = {name: np.zeros((weeks, n_firms), dtype=dtype) for name, dtype in _FLOW_SERIES.items()}
        # Margin of the customers won during the run by weeks since they were won (payback period).
        self.margin_by_age = np.zeros((n_firms, weeks))
        # Each week's sum over the customers won during the run and held at its end of the discount
        # factor back to the week each was won: a week's retention spend per customer, times this,
        # is what keeping them cost, discounted as their lifetime value is (``ltv_net``).
        self.won_weight = np.zeros((weeks, n_firms))
        # discount[k]: the factor k weeks on, at the scenario's yearly discount rate.
        self.discount = (1 + market.scenario.run.discount_rate) ** (-np.arange(weeks) / 52.0)
        self.weeks_recorded = 0
        # The market events that struck so far (sim.events.Struck), shared with its timeline.
        self.events = market.timeline.struck
        # What the firms' response policies did (sim.responses.Reaction), shared with the market.
        self.reactions = market.reactions
        self.flows = WeekFlows(self, 0)
        # Functions that see each week's purchases (see PurchaseHook); none by default.
        run = market.scenario.run
        self.purchase_hooks: list[PurchaseHook] = [
            make(market) for switch, make in _SWITCHED_HOOKS.items() if getattr(run, switch, False)
        ]

    def start_week(self, week: int) -> None:
        """The behaviours' flows from now on are those of ``week`` (all zero until they add)."""
        self.flows = WeekFlows(self, week)

    def purchased(self, market: CustomerMarket, sales: Sales) -> None:
        """Book the revenue from products beyond the first, and hand the week's purchases to every
        purchase hook (after the purchase step).

        Purchases are proportional to products held (the purchase rule), so of a buyer's revenue
        the share (products - 1) / products is attributed to the products beyond the first."""
        if sales.slots.size:
            beyond_first(
                sales.slots,
                sales.firm,
                sales.revenue,
                market.customers.products,
                self.flows.extra_product_revenue,
            )
        for hook in self.purchase_hooks:
            hook(market, sales)

    def record(self, market: CustomerMarket) -> None:
        """Step 10: the stocks at the end of the week (the flows were added during it)."""
        w = market.week
        c = market.customers
        n = len(self.firm_names)
        codes = np.array([Status.PROSPECT, Status.DORMANT, Channel.REFERRAL, len(STAGE_NAMES)])
        stocks = population_counts(c.firm, c.status, c.stage, c.acquired_in_run, c.channel, codes, n)
        self.customers[w] = stocks[0, :n]  # (the flows were added into row w during the week)
        self.stages[w] = stocks[2, : len(STAGE_NAMES)]
        self.dormant[w] = stocks[1, :n]
        self.referred[w] = stocks[3, :n]
        self.other_won[w] = stocks[4, :n]
        self.products_held[w], self.spend_levels[w] = holdings(c.firm, c.status, c.products, c.spend_level, n)
        self.spend[w] = [f.spend_this_week for f in market.firm_list]
        if w > 0:  # nobody is won before the run starts
            factors = self.discount[w::-1]  # factors[a]: the discount from week w back to week a
            self.won_weight[w] = won_weight(c.firm, c.acquired_in_run, c.acquired_week, factors, n)
        self.rating[w] = market.ratings()
        self.price[w] = market.prices
        self.in_market[w] = market.firm_open
        self.weeks_recorded = w

    # ------------------------------------------------------------------ tables

    def timeseries(self) -> pd.DataFrame:
        """Tidy table: one row per week and firm (week 0 holds the initial state)."""
        weeks = self.weeks_recorded + 1
        n_firms = len(self.firm_names)
        frame: dict[str, Any] = {
            "week": np.repeat(np.arange(weeks), n_firms),
            "firm": np.tile(self.firm_names, weeks),
            "customers": self.customers[:weeks].ravel(),
        }
        acquired = self.acquired[:weeks]
        frame["new_customers"] = acquired[..., 1:].sum(axis=2).ravel()
        for index, name in enumerate(CHANNEL_NAMES):
            if name != "initial":
                frame[f"new_{name}"] = acquired[..., index].ravel()
        churned = self.churned[:weeks]
        frame["churned"] = churned.sum(axis=2).ravel()
        for index, name in enumerate(REASON_NAMES):
            frame[f"churned_{name}"] = churned[..., index].ravel()
        frame["product_churned"] = self.product_churned[:weeks].sum(axis=2).ravel()
        frame["spend_decreased"] = self.spend_decreased[:weeks].sum(axis=2).ravel()
        frame["dormant"] = self.dormant[:weeks].ravel()
        frame["reactivation_contacts"] = self.responses[:weeks].sum(axis=2).ravel()
        for index, name in enumerate(STAGE_NAMES):  # market-wide: the same for every firm's row
            frame[f"prospects_{name}"] = np.repeat(self.stages[:weeks, index], n_firms)
        spend = self.spend[:weeks]
        frame["spend"] = spend.sum(axis=2).ravel()
        acquisition = [LEVER_NAMES.index(n) for n in ACQUISITION_LEVERS]
        frame["acquisition_spend"] = spend[..., acquisition].sum(axis=2).ravel()
        for index, name in enumerate(LEVER_NAMES):
            frame[f"spend_{name}"] = spend[..., index].ravel()
        for name in _FLOW_SERIES:
            frame[name] = self.series[name][:weeks].ravel()
        frame["profit"] = frame["margin"] - frame["spend"]
        frame["rating"] = self.rating[:weeks].ravel()
        frame["price"] = self.price[:weeks].ravel()
        frame["in_market"] = self.in_market[:weeks].ravel()
        total = self.customers[:weeks].sum(axis=1, keepdims=True)
        frame["market_share"] = np.divide(
            self.customers[:weeks],
            total,
            out=np.zeros(self.customers[:weeks].shape),
            where=total > 0,
        ).ravel()
        active = (self.customers[:weeks] - self.dormant[:weeks]).ravel()
        frame["products_held"] = self.products_held[:weeks].ravel()
        frame["products_per_customer"] = _per(frame["products_held"], active)
        frame["spend_level_per_customer"] = _per(self.spend_levels[:weeks].ravel(), active)
        return pd.DataFrame(frame)


def _per(total: np.ndarray, active: np.ndarray) -> np.ndarray:
    """total / active customers, 0 where a firm has no active customer."""
    return np.divide(total, active, out=np.zeros(total.shape), where=active > 0)


@njit(cache=True)
def holdings(
    firm_of: np.ndarray, status: np.ndarray, products: np.ndarray, spend_level: np.ndarray, firms: int
):
    """Products held (int64) and the sum of spend levels (float64) of each firm's active
    customers, each (firms,), in one pass (penetration: products per customer)."""
    held = np.zeros(firms, dtype=np.int64)
    levels = np.zeros(firms, dtype=np.float64)
    # One branch-free pass per firm: everyone else adds 0 (and + 0.0 leaves a float64 sum as it
    # was), so the sums are those of a pass that skips them, in the same slot order, at 2-3 times
    # the speed (measured at 1,000,000 people: 2.3 against 5.7 ms a week).
    for firm in range(firms):
        count = 0
        level = 0.0
        for slot in range(firm_of.size):
            mine = (firm_of[slot] == firm) & (status[slot] == _ACTIVE)
            count += mine * np.int64(products[slot])
            level += np.float64(spend_level[slot]) * mine
        held[firm] = count
        levels[firm] = level
    return held, levels


@njit(cache=True)
def beyond_first(
    slots: np.ndarray, firm: np.ndarray, revenue: np.ndarray, products: np.ndarray, out: np.ndarray
):
    """Add each buyer's revenue x (products - 1) / products to ``out`` by firm, in place."""
    for i in range(slots.size):
        held = max(np.int64(products[slots[i]]), 1)
        out[firm[i]] += revenue[i] * (held - 1) / held


@njit(cache=True)
def population_counts(
    firm_of: np.ndarray,
    status: np.ndarray,
    stage: np.ndarray,
    won: np.ndarray,
    channel: np.ndarray,
    codes: np.ndarray,
    firms: int,
) -> np.ndarray:
    """The recorder's weekly stocks in one pass: a (5, max(firms, stages)) int64 table whose
    rows are customers by firm, dormant by firm, prospects by buying-cycle stage, customers won by
    referral during the run by firm and customers won otherwise during the run by firm.
    ``codes`` is (PROSPECT, DORMANT, REFERRAL, number of stages)."""
    prospect, dormant, referral, stages = codes[0], codes[1], codes[2], codes[3]
    out = np.zeros((5, max(firms, stages)), dtype=np.int64)
    people = firm_of.size
    # One pass per firm (and per stage) of branch-free sums, which the compiler vectorises: 2-3
    # times faster than one pass with a branch per person on firm and status.
    for firm in range(firms):
        customers = 0
        dormants = 0
        by_referral = 0
        otherwise = 0
        for slot in range(people):
            mine = firm_of[slot] == firm
            customers += mine
            dormants += mine & (status[slot] == dormant)
            won_here = mine & won[slot]
            referred = channel[slot] == referral
            by_referral += won_here & referred
            otherwise += won_here & (not referred)
        out[0, firm] = customers
        out[1, firm] = dormants
        out[3, firm] = by_referral
        out[4, firm] = otherwise
    for stage_code in range(stages):
        waiting = 0
        for slot in range(people):
            waiting += (status[slot] == prospect) & (stage[slot] == stage_code)
        out[2, stage_code] = waiting
    return out


@njit(cache=True)
def won_weight(firm_of: np.ndarray, won: np.ndarray, acquired: np.ndarray, factors: np.ndarray, firms: int):
    """(firms,) float64: the sum, over each firm's customers won during the run, of
    ``factors[week - acquired week]`` (``factors[k]`` is the discount factor k weeks after a
    customer was won, with ``week`` folded into the table by the caller). What a week's retention
    spend per customer costs the firm's won customers, discounted to the weeks they were won."""
    out = np.zeros(firms, dtype=np.float64)
    for slot in range(firm_of.size):
        if won[slot] and firm_of[slot] >= 0:
            out[firm_of[slot]] += factors[acquired[slot]]
    return out
