"""A firm's reactions in force: the price it matched down to, its raised budget, the spend it moved.

Owns what each action does (``then = [{kind = ...}]``, :mod:`sim.scenario.responses`) and how the
reactions in force change what the firm's strategy decided each week: the price is at most the
matched price; the budget is the planned budget times the raised multiple; each shift and running
win-back campaign moves its share of the spend from some levers to others, keeping the total (so
a reaction never spends more than the budget in force). Actions only ever react: a matched price is
never above the price before, a raised budget never falls until the response is withdrawn.

Example:
    >>> from sim.scenario.responses import ShiftSplit
    >>> state = ResponseState()
    >>> state.shifts["defend"] = ShiftSplit(kind="shift_split", to=["retention_offers"], share=0.5)
    >>> state.reshaped({"search_ads": 60.0, "social_ads": 40.0}, week=3)
    {'search_ads': 30.0, 'social_ads': 20.0, 'retention_offers': 50.0}
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sim.responses.perception import Perception, cheapest
from sim.responses.triggers import Seen
from sim.scenario.responses import Action, MatchPrice, RaiseBudget, ShiftSplit, WinBack, action_floor

if TYPE_CHECKING:
    from sim.agents.firm import Firm


@dataclass
class ResponseState:
    """The reactions in force for one firm."""

    price_cap: float | None = None  # the firm charges at most this (a matched price)
    budget_multiple: float = 1.0  # of the planned budget
    shifts: dict[str, ShiftSplit] = field(default_factory=dict)  # by rule (and action) name
    campaigns: dict[str, tuple[WinBack, int]] = field(default_factory=dict)  # name -> (action, end week)

    @property
    def neutral(self) -> bool:
        """Whether no reaction is in force (the firm follows its plan)."""
        return (
            self.price_cap is None and self.budget_multiple == 1.0 and not self.shifts and not self.campaigns
        )

    def withdraw(self) -> None:
        """Every reaction off: the price back to the plan, the budget back, no shift or campaign."""
        self.price_cap = None
        self.budget_multiple = 1.0
        self.shifts.clear()
        self.campaigns.clear()

    def apply(self, key: str, action: Action, saw: Seen, view: Perception, firm: Firm) -> str | None:
        """Take ``action`` (``key`` names it: rule and action number); what it changed in words,
        or None if it changed nothing (already in force, or at its floor or cap)."""
        if isinstance(action, MatchPrice):
            return self._match(action, saw, view, firm)
        if isinstance(action, RaiseBudget):
            multiple = min(action.cap, self.budget_multiple + action.by)
            if multiple <= self.budget_multiple + 1e-12:
                return None
            before, self.budget_multiple = self.budget_multiple, multiple
            planned = firm.config.budget * view.scale  # told in real money (population scaling)
            return f"budget {before * planned:,.0f} -> {multiple * planned:,.0f} a week (cap {action.cap:g}x)"
        if isinstance(action, ShiftSplit):
            if key in self.shifts:
                return None
            self.shifts[key] = action
            return f"{action.share:.0%} of spend moved to {', '.join(action.to)}"
        if isinstance(action, WinBack):
            if key in self.campaigns and self.campaigns[key][1] > view.now:
                return None
            self.campaigns[key] = (action, view.now + action.weeks)
            return f"win-back campaign: {action.share:.0%} of spend on {', '.join(action.levers)} for {action.weeks} weeks"
        raise TypeError(f"unknown action {action!r}")

    def _match(self, action: MatchPrice, saw: Seen, view: Perception, firm: Firm) -> str | None:
        target = cheapest(view, None if saw.rival is None else [saw.rival])
        if target is None:
            return None
        rival, rival_price = target
        floor = action_floor(action, firm.unit_cost)
        price = max(floor, rival_price * (1 - action.undercut))
        current = firm.price
        if price >= current - 1e-9:
            return None  # never a rise; at its floor already
        self.price_cap = price
        how = "matched" if action.undercut == 0 else f"undercut by {action.undercut:.0%}"
        at_floor = " (its floor)" if price == floor else ""
        return f"price {current:.2f} -> {price:.2f}{at_floor}: {how} {rival}'s {rival_price:.2f}"

    def priced(self, price: float) -> float:
        """The price charged when the plan says ``price``."""
        return price if self.price_cap is None else min(price, self.price_cap)

    def reshaped(self, allocation: dict[str, float], week: int) -> dict[str, float]:
        """The week's allocation with every shift and running campaign applied (total kept)."""
        for key, (_campaign, end) in list(self.campaigns.items()):
            if end <= week:
                del self.campaigns[key]  # the campaign is over
        moves = [(s.to, s.share, s.from_) for s in self.shifts.values()]
        moves += [(c.levers, c.share, None) for c, _ in self.campaigns.values()]
        if not moves:
            return allocation
        plan = dict(allocation)
        for to, share, sources in moves:
            taken = [lever for lever in (sources or plan) if lever not in to and plan.get(lever, 0) > 0]
            moved = 0.0
            for lever in taken:
                amount = plan[lever] * share
                plan[lever] -= amount
                moved += amount
            for lever in to:
                plan[lever] = plan.get(lever, 0.0) + moved / len(to)
        return plan
