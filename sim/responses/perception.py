"""What a firm can perceive of its market when it decides how to respond, and nothing more.

Owns the boundary between a firm and its rivals' internals: a :class:`Perception` shows the firm
its own customers, acquisitions, losses (to whom) and ledger, and of its rivals only what a real
firm could know: their prices, their public ratings, their visible advertising (spend on search,
social, influencer seeding and shown reviews) and the market shares a market-research panel would
report. Never a rival's budget, strategy, response or customers' states. Everything is seen
``delay`` weeks late: the latest week it knows is ``now - 1 - delay`` (week 0 is the start).

Example:
    >>> from sim import CustomerMarket, load_scenario
    >>> market = CustomerMarket(load_scenario("scenarios/conquest_vs_relations.toml", {"market.size": 400}))
    >>> for _ in range(3): market.step()
    >>> view = Perception(market, market.firm("rival"), delay=1)
    >>> view.week, view.rival_price("us")
    (1, 40.0)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim.strategies.levers import LEVER_NAMES

if TYPE_CHECKING:
    from sim.agents.firm import Firm
    from sim.model import CustomerMarket

# Levers whose spend a rival can see (ads and shown reviews); relations spend is private.
VISIBLE_LEVERS = ("search_ads", "social_ads", "influencer_seeding", "social_proof_marketing")
_VISIBLE = [LEVER_NAMES.index(name) for name in VISIBLE_LEVERS]


class Perception:
    """What firm ``firm`` knows at the start of week ``market.week``, ``delay`` weeks late.

    Args:
        market: the running market.
        firm: the firm that perceives.
        delay: weeks between something happening and the firm knowing it (0: it knows last
            week's end state).
        planned_price: the price its plan (strategy, price path) sets this week, before any
            reaction; default the price it charges now.
    """

    def __init__(
        self, market: CustomerMarket, firm: Firm, delay: int, planned_price: float | None = None
    ) -> None:
        self._recorder = market.recorder
        self._firm = firm
        self._names = list(self._recorder.firm_names)
        self.now = market.week  # the week being decided
        self.week = market.week - 1 - delay  # the latest week it knows about (< 0: nothing yet)
        self.firm = firm.name
        # Real people per simulated person (population scaling): what it saw and did is told in
        # real units, as the scenario's thresholds and budgets are written.
        self.scale = float(getattr(market, "scale", 1.0))
        # The price its plan sets this week, before any reaction (it knows it without delay).
        self.own_price = float(firm.price if planned_price is None else planned_price)

    @property
    def known(self) -> bool:
        """Whether the firm knows anything yet (the delay has passed since the start)."""
        return self.week >= 0

    def has_weeks(self, weeks: int) -> bool:
        """Whether ``weeks`` whole weeks of the run (week 1 on) are known."""
        return self.week >= weeks

    # ------------------------------------------------------------------ its own business

    @property
    def price_charged(self) -> float:
        """The price it charges now (a reaction may hold it below ``own_price``, its plan's)."""
        return float(self._firm.price)

    @property
    def unit_cost(self) -> float:
        """Its cost per purchase."""
        return float(self._firm.unit_cost)

    def customers(self, weeks_ago: int = 0) -> int:
        """Its customers at the end of the known week ``weeks_ago`` weeks before the latest."""
        return int(self._recorder.customers[max(self.week - weeks_ago, 0), self._firm.index])

    def acquired_per_week(self, weeks: int) -> float:
        """Its acquisitions (every channel) per week over the last ``weeks`` known weeks."""
        rows = self._rows(weeks)
        return float(self._recorder.acquired[rows, self._firm.index, 1:].sum()) / weeks

    def lost_per_week(self, rival: str, weeks: int) -> float:
        """Customers it lost to ``rival`` (a name, or "any") per week over the last ``weeks``
        known weeks: those who switched (followed a friend, better value), not those who lapsed."""
        lost = self._recorder.lost_to[self._rows(weeks), self._firm.index]
        total = lost.sum(axis=0)
        return float(total.sum() if rival == "any" else total[self._names.index(rival)]) / weeks

    def ledger(self, weeks: int) -> dict[str, float]:
        """Its revenue, margin, spend and profit (margin - spend) over the last ``weeks`` known weeks."""
        rows, f = self._rows(weeks), self._firm.index
        series = self._recorder.series
        revenue = float(series["revenue"][rows, f].sum())
        margin = float(series["margin"][rows, f].sum())
        spend = float(self._recorder.spend[rows, f].sum())
        return {"revenue": revenue, "margin": margin, "spend": spend, "profit": margin - spend}

    # ------------------------------------------------------------------ the market, as public

    def share(self, weeks_ago: int = 0, firm: str | None = None) -> float:
        """A firm's share of all customers (its own by default) at the known week ``weeks_ago``
        weeks before the latest: what a market-research panel reports."""
        row = self._recorder.customers[max(self.week - weeks_ago, 0)]
        total = row.sum()
        index = self._firm.index if firm is None else self._names.index(firm)
        return float(row[index] / total) if total else 0.0

    def rivals(self) -> list[str]:
        """The rivals in the market in the latest known week."""
        open_ = self._recorder.in_market[max(self.week, 0)]
        return [name for i, name in enumerate(self._names) if i != self._firm.index and open_[i]]

    def rival_price(self, rival: str) -> float | None:
        """A rival's list price in the latest known week (None: not in the market then)."""
        index = self._names.index(rival)
        if not self.known or not self._recorder.in_market[self.week, index]:
            return None
        return float(self._recorder.price[self.week, index])

    def rating(self, firm: str) -> float:
        """A firm's public rating in stars in the latest known week."""
        return float(self._recorder.rating[max(self.week, 0), self._names.index(firm)])

    def advertising(self, firm: str, weeks: int) -> float:
        """What ``firm`` was seen spending on advertising (search, social, influencer seeding,
        shown reviews) per week over the last ``weeks`` known weeks."""
        spend = self._recorder.spend[self._rows(weeks), self._names.index(firm)]
        return float(spend[:, _VISIBLE].sum()) / weeks

    def _rows(self, weeks: int) -> slice:
        """The last ``weeks`` known weeks of the run (week 0, the start, is not a week of flows)."""
        return slice(max(self.week - weeks + 1, 1), max(self.week + 1, 1))


def cheapest(view: Perception, rivals: list[str] | None = None) -> tuple[str, float] | None:
    """The cheapest of ``rivals`` (default: every rival in the market) and its price, as known."""
    prices = [(name, view.rival_price(name)) for name in (view.rivals() if rivals is None else rivals)]
    known = [(name, price) for name, price in prices if price is not None]
    if not known:
        return None
    return min(known, key=lambda item: (item[1], item[0]))


__all__ = ["VISIBLE_LEVERS", "Perception", "cheapest"]
