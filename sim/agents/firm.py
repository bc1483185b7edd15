"""Firm: a Mesa agent with a price, quality, margin, service failure rate, budget and strategy.

Owns a firm's offer and its weekly ledger: each week its strategy sets the price (by default the
scenario's price, or the point of its ``price_path`` in force) and allocates the budget over
levers, the firm checks the allocation (no unknown lever, nothing negative, not more than the
budget), applies each lever and books the spend per lever. What the levers did is read by the
behaviours. A firm not in the market (yet to enter, or gone) does nothing.

Responses: a firm with a response policy (``[firms.<name>.response]``, :mod:`sim.responses`)
reacts to what it perceives of its rivals first, and its reactions bound what its strategy sets.

Price and margin: a firm's cost per purchase is fixed by its scenario price and margin (``price x
(1 - margin)``); at another price the margin rate is ``1 - cost / price``, so a price cut lowers
the margin of every sale (and a deep one sells at a loss). An event that changes the margin
itself sets a new cost, at the scenario price.

Example:
    >>> from sim import CustomerMarket, load_scenario
    >>> market = CustomerMarket(load_scenario("scenarios/baseline.toml", {"market.size": 500}))
    >>> us = market.firm("us")
    >>> us.name, us.strategy.name
    ('us', 'balanced')
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from sim.agents.customers import Status
from sim.scenario import FirmConfig
from sim.strategies.base import Strategy
from sim.strategies.levers import LEVER_INDEX, LEVER_NAMES, LEVERS

if TYPE_CHECKING:
    from sim.model import CustomerMarket


class Firm(mesa.Agent):
    """One competing firm.

    Args:
        model: the market it competes in.
        index: its column in the per-firm arrays (0, 1, ...).
        name: its name in the scenario (``[firms.<name>]``).
        config: its validated scenario table.
        strategy: the strategy instance that spends its budget.
    """

    def __init__(
        self, model: CustomerMarket, index: int, name: str, config: FirmConfig, strategy: Strategy
    ) -> None:
        super().__init__(model)
        self.index = index
        self.name = name
        self.config = config
        self.price = config.price
        self.quality = config.quality
        self.margin_rate = config.margin
        # The price and margin that fix the cost per purchase (see the module docstring).
        self._cost_basis = (config.price, config.margin)
        self.failure_rate = config.failure_rate
        self.budget = config.budget
        self.strategy = strategy
        # Its response policy (sim.responses), None if it never reacts to its rivals.
        self.response = _response_for(config, model)
        self.spend_this_week = np.zeros(len(LEVER_NAMES), dtype=np.float64)
        self._reset_week()

    def _reset_week(self) -> None:
        """What the levers set for one week only."""
        self.spend_this_week[:] = 0
        self.conquest_pressure = 0.0  # sum of conquest reach shares this week
        self.referral_boost = 0.0  # referral propensity multiplier - 1, while a programme runs
        self.referral_budget = 0.0  # what is left this week to pay referral rewards
        self.discount = 0.0  # acquisition discount on new customers' purchases (share)
        self.discount_budget = 0.0  # what is left this week to give away as discounts
        self.proof_shown = 0.0  # extra social-proof weight while the firm shows its reviews
        self.failure_multiplier = 1.0  # service investment removes a share of failures
        self.complaint_capacity = 0  # complaints the firm can handle this week
        self.active_slots: np.ndarray | None = None  # its active customers, while it acts
        self._acting = False

    def configure(self, config: FirmConfig) -> None:
        """Take a changed scenario table (a market event): quality, failure rate and budget at
        once; a new strategy (name, split or parameters) is built afresh; a new margin sets a new
        cost per purchase; a new scenario price is charged from this week (unless the price path
        or the strategy says otherwise when the firm acts)."""
        before = self.config
        self.config = config
        self.quality = config.quality
        self.failure_rate = config.failure_rate
        self.budget = config.budget
        if (config.strategy, config.split, config.params) != (before.strategy, before.split, before.params):
            from sim.registry import resolve_strategy_class

            self.strategy = resolve_strategy_class(config.strategy)(config.split, **config.params)
        if config.margin != before.margin:
            self._cost_basis = (config.price, config.margin)
        pricing = getattr(self.strategy, "price", None)
        self.set_price(pricing(self, self.model) if pricing else self.scheduled_price(self.model.week))

    def set_price(self, price: float) -> None:
        """Charge ``price`` per purchase from now on; the margin rate follows from the cost per
        purchase (see the module docstring)."""
        price = float(price)
        if not (price > 0 and np.isfinite(price)):
            raise ValueError(f"firm {self.name!r}: a price must be a positive number, got {price!r}")
        basis_price, basis_margin = self._cost_basis
        self.price = price
        self.margin_rate = (
            basis_margin if price == basis_price else 1.0 - basis_price * (1.0 - basis_margin) / price
        )
        index = self.index
        model = self.model
        if getattr(model, "prices", None) is not None and model.prices[index] != price:
            model.prices[index] = price
            model.margin_rates[index] = self.margin_rate

    def scheduled_price(self, week: int) -> float:
        """The price the scenario sets for ``week``: the last point of ``price_path`` at or before
        it, else ``price``."""
        price = self.config.price
        for point in self.config.price_path:
            if point.week > week:
                break
            price = point.price
        return price

    @property
    def unit_cost(self) -> float:
        """Cost per purchase (per unit of basket), in currency."""
        basis_price, basis_margin = self._cost_basis
        return basis_price * (1.0 - basis_margin)

    @property
    def in_market(self) -> bool:
        """Whether the firm is in the market (entered and not gone)."""
        return bool(self.model.firm_open[self.index])

    @property
    def customers(self) -> int:
        """Current number of customers (active or dormant)."""
        return int(np.count_nonzero(self.model.customers.firm == self.index))

    def act(self) -> None:
        """Step 1 of the week: the firm's response (if it has one) reacts to what it perceives, the
        strategy sets the price and allocates the budget (within the reactions in force: a matched
        price, a raised budget, spend moved between levers), and each lever is applied (a lever
        whose channel has not appeared yet takes nothing: that money is not spent)."""
        self._reset_week()
        if not self.in_market:
            return
        pricing = getattr(self.strategy, "price", None)  # a duck-typed strategy may not price
        price = pricing(self, self.model) if pricing else self.scheduled_price(self.model.week)
        response = self.response
        if response is not None:  # it reacts to what it perceives before its strategy spends
            response.react(self, self.model, planned_price=price)
            price = response.state.priced(price)
            self.budget = self.config.budget * response.state.budget_multiple
        if price != self.price:
            self.set_price(price)
        allocation = self.strategy.allocate(self, self.model)
        if response is not None:
            allocation = response.state.reshaped(allocation, self.model.week)
        self._check(allocation)
        closed = self.model.closed_levers
        # Levers only write this week's effects, so who is an active customer cannot change
        # while the firm acts: the relations levers share one list, made when first needed.
        self._acting = True
        try:
            for lever_name, amount in allocation.items():
                if closed and lever_name in closed:
                    continue
                lever = LEVERS[lever_name]
                spend, share = lever.apply(self.model, self, float(amount))
                self.book(lever_name, spend)
                if lever.pressure:
                    self.conquest_pressure += share
        finally:
            self._acting = False
            self.active_slots = None

    def own_active_customers(self) -> np.ndarray:
        """Slots of the firm's active customers; while the firm acts, one list shared by its
        levers (made at the first request)."""
        if self.active_slots is not None:
            return self.active_slots
        c = self.model.customers
        slots = np.flatnonzero((c.firm == self.index) & (c.status == Status.ACTIVE))
        if self._acting:
            self.active_slots = slots
        return slots

    def book(self, lever_name: str, amount: float) -> None:
        """Record spend on a lever this week."""
        self.spend_this_week[LEVER_INDEX[lever_name]] += amount

    def _check(self, allocation: dict[str, float]) -> None:
        unknown = [] if allocation.keys() <= LEVERS.keys() else sorted(set(allocation) - set(LEVER_NAMES))
        if unknown:
            raise ValueError(
                f"strategy {self.strategy!r} of firm {self.name!r} allocated to unknown lever "
                f"{unknown[0]!r}; levers: {', '.join(LEVER_NAMES)}"
            )
        negative = {k: v for k, v in allocation.items() if v < 0}
        if negative:
            raise ValueError(f"strategy of firm {self.name!r} allocated a negative amount: {negative}")
        total = sum(allocation.values())
        if total > self.budget * (1 + 1e-9) + 1e-9:
            raise ValueError(
                f"strategy of firm {self.name!r} allocated {total:.2f} in week "
                f"{self.model.week}, more than its weekly budget {self.budget:.2f}"
            )

    def __repr__(self) -> str:
        return (
            f"Firm({self.name!r}, price={self.price}, quality={self.quality}, "
            f"budget={self.budget}/week, strategy={self.strategy!r})"
        )


def _response_for(config: FirmConfig, model: CustomerMarket):
    """The firm's response policy from its table, or None if it never reacts (no table, or a
    personality with no rules that decides by them)."""
    table = config.response
    if table is None:
        return None
    from sim.registry import resolve_response_class
    from sim.responses import Response

    policy = resolve_response_class(table.personality)
    if policy.decide is Response.decide and not table.all_rules():
        return None
    return policy(table, getattr(model, "reactions", None))
