"""Triggers: whether a rule's condition holds on what the firm perceives, and what it saw.

Owns the four trigger kinds of ``when = {kind = ...}`` (:mod:`sim.scenario.responses`), each read
from a :class:`sim.responses.perception.Perception` only: a trigger that needs more weeks than are
known does not hold (a firm does not react to a week it has not seen).

Example:
    >>> from sim import CustomerMarket, load_scenario
    >>> from sim.responses.perception import Perception
    >>> from sim.scenario.responses import RivalPriceBelow
    >>> market = CustomerMarket(load_scenario("scenarios/conquest_vs_relations.toml", {"market.size": 400}))
    >>> market.step(); market.step()
    >>> view = Perception(market, market.firm("rival"), delay=0)
    >>> seen(RivalPriceBelow(kind="rival_price_below", rival="any", by=0.0), view) is None  # same prices
    True
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.responses.perception import Perception
from sim.scenario.responses import (
    ANY_RIVAL,
    AcquisitionsBelow,
    LostToRival,
    RivalPriceBelow,
    ShareLost,
    Trigger,
)


@dataclass(frozen=True)
class Seen:
    """What made a trigger hold: in words, and the rival it is about (None: the market)."""

    what: str
    rival: str | None = None


def seen(trigger: Trigger, view: Perception) -> Seen | None:
    """What the firm saw that makes ``trigger`` hold, or None if it does not hold."""
    if not view.known:
        return None
    if isinstance(trigger, ShareLost):
        if not view.has_weeks(trigger.weeks):
            return None
        before, now = view.share(trigger.weeks), view.share(0)
        if before - now > trigger.points:
            return Seen(f"its share fell {before:.1%} -> {now:.1%} in {trigger.weeks} weeks")
        return None
    if isinstance(trigger, RivalPriceBelow):
        own = view.own_price
        candidates = view.rivals() if trigger.rival == ANY_RIVAL else [trigger.rival]
        below = []
        for rival in candidates:
            price = view.rival_price(rival)
            if price is not None and price < own * (1 - trigger.by):
                below.append((price, rival))
        if not below:
            return None
        price, rival = min(below)
        return Seen(f"{rival}'s price {price:.2f} is {1 - price / own:.0%} below its {own:.2f}", rival)
    if isinstance(trigger, LostToRival):
        if not view.has_weeks(trigger.weeks):
            return None
        lost = view.lost_per_week(trigger.rival, trigger.weeks)
        limit = _threshold(trigger.per_week, trigger.share_per_week, view)
        if lost > limit:
            to = "rivals" if trigger.rival == ANY_RIVAL else trigger.rival
            rival = None if trigger.rival == ANY_RIVAL else trigger.rival
            real = view.scale  # told in real people (population scaling)
            return Seen(
                f"it lost {lost * real:.1f} customers a week to {to} (limit {limit * real:.1f})", rival
            )
        return None
    if isinstance(trigger, AcquisitionsBelow):
        if not view.has_weeks(trigger.weeks):
            return None
        won = view.acquired_per_week(trigger.weeks)
        target = _threshold(trigger.per_week, trigger.share_per_week, view)
        if won < target:
            real = view.scale  # told in real people (population scaling)
            return Seen(f"it won {won * real:.1f} customers a week (target {target * real:.1f})")
        return None
    raise TypeError(f"unknown trigger {trigger!r}")


def _threshold(per_week: float | None, share_per_week: float | None, view: Perception) -> float:
    """A per-week threshold in people: as given, or as a share of the firm's known customers."""
    return float(per_week) if per_week is not None else float(share_per_week) * view.customers(0)
