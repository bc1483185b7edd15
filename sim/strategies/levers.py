"""Levers: what a firm can buy with its budget, each with a unit cost and a saturating response.

Owns every lever's targeting (who is eligible), response to spend (how many of them are reached)
and effect (what it writes into the week's effect buffers that the behaviours then read). A lever
never changes a person's state directly: it writes awareness, an adoption boost, an appreciation
touch, a purchase offer or a referral-programme budget, and the behaviours act on them in the
weekly order. That keeps the step order of :mod:`sim.model` the single place where things happen.

Response to spend: with ``E`` eligible people, unit cost ``c`` and allocation ``s``, the share
reached is ``max_reach * (1 - exp(-s / (c * E)))``: concave, so the first money buys most, and the
whole allocation is spent whenever someone is eligible. Influencer seeding pays per influencer and
the referral programme pays per converted referral, so they may leave part of an allocation unspent.

Example:
    >>> LEVERS["search_ads"].kind
    'conquest'
    >>> round(reach_share(allocation=100.0, unit_cost=1.0, eligible=100, max_reach=1.0), 3)
    0.632
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np

from sim.agents.customers import Channel, Status, Tier

if TYPE_CHECKING:
    from sim.agents.firm import Firm
    from sim.model import CustomerMarket


def reach_share(allocation: float, unit_cost: float, eligible: int, max_reach: float) -> float:
    """Share of eligible people a lever reaches for this allocation (concave, saturating)."""
    if eligible <= 0 or allocation <= 0:
        return 0.0
    return float(max_reach * -np.expm1(-allocation / (unit_cost * eligible)))


def in_schedule(config, week: int) -> bool:
    """Whether a lever's ``start_week``/``stop_week`` schedule lets it spend this week."""
    return week >= config.start_week and (config.stop_week is None or week < config.stop_week)


class Lever:
    """One lever type. Subclasses set ``name``, ``kind`` and implement ``eligible`` and ``effect``."""

    name: ClassVar[str]
    kind: ClassVar[str]  # "conquest" or "relations"
    channel: ClassVar[Channel | None] = None  # the acquisition channel it drives, if any

    def eligible(self, market: CustomerMarket, firm: Firm, config) -> np.ndarray:
        """Slots the lever may reach this week."""
        raise NotImplementedError

    def effect(self, market: CustomerMarket, firm: Firm, config, reached: np.ndarray) -> None:
        """Write the lever's effect on the reached slots into the week's buffers."""
        raise NotImplementedError

    def apply(self, market: CustomerMarket, firm: Firm, allocation: float) -> tuple[float, float]:
        """Spend ``allocation`` this week; returns (spend booked, share of eligible reached)."""
        config = getattr(market.scenario.levers, self.name)
        week = market.week
        if allocation <= 0 or not in_schedule(config, week):
            return 0.0, 0.0
        targets = _restrict_to_personas(market, self.eligible(market, firm, config), config)
        share = reach_share(allocation, config.unit_cost, targets.size, config.max_reach)
        if share <= 0:
            return 0.0, 0.0
        draw = market.streams.uniform(f"lever:{self.name}", week, targets, sub=firm.index)
        self.effect(market, firm, config, targets[draw < share])
        return allocation, share


def _restrict_to_personas(market: CustomerMarket, slots: np.ndarray, config) -> np.ndarray:
    if not config.personas:
        return slots
    wanted = [market.customers.persona_names.index(p) for p in config.personas]
    return slots[np.isin(market.customers.persona[slots], wanted)]


def _prospects(market: CustomerMarket) -> np.ndarray:
    return np.flatnonzero(market.customers.status == Status.PROSPECT)


def _own_customers(market: CustomerMarket, firm: Firm) -> np.ndarray:
    c = market.customers
    return np.flatnonzero((c.firm == firm.index) & (c.status == Status.ACTIVE))


# --------------------------------------------------------------------------- conquest


class SearchAds(Lever):
    """Ads shown to prospects who are in market (searching) this week: awareness and a boost."""

    name, kind, channel = "search_ads", "conquest", Channel.SEARCH

    def eligible(self, market, firm, config):
        return market.in_market_prospects

    def effect(self, market, firm, config, reached):
        market.customers.aware[reached, firm.index] = True
        market.effects.adoption_boost[reached, firm.index, 0] += config.strength


class SocialAds(Lever):
    """Ads in social feeds reaching random prospects: awareness and a small boost."""

    name, kind, channel = "social_ads", "conquest", Channel.SOCIAL

    def eligible(self, market, firm, config):
        return _prospects(market)

    def effect(self, market, firm, config, reached):
        market.customers.aware[reached, firm.index] = True
        market.effects.adoption_boost[reached, firm.index, 1] += config.strength


class InfluencerSeeding(Lever):
    """Pay the best-connected prospects ("first-cycle influence marketing"), per influencer."""

    name, kind, channel = "influencer_seeding", "conquest", Channel.INFLUENCER

    def eligible(self, market, firm, config):
        pool = market.influencer_pool(config.pool)
        return pool[market.customers.status[pool] == Status.PROSPECT]

    def apply(self, market, firm, allocation):
        config = market.scenario.levers.influencer_seeding
        if allocation <= 0 or not in_schedule(config, market.week):
            return 0.0, 0.0
        targets = _restrict_to_personas(market, self.eligible(market, firm, config), config)
        affordable = int(allocation // config.unit_cost)
        most = int(config.max_reach * targets.size)  # max_reach caps the share of the pool paid
        paid = targets[: min(affordable, most)]  # the pool is sorted best-connected first
        if paid.size == 0:
            return 0.0, 0.0
        self.effect(market, firm, config, paid)
        return paid.size * config.unit_cost, paid.size / max(targets.size, 1)

    def effect(self, market, firm, config, reached):
        market.customers.aware[reached, firm.index] = True
        market.effects.adoption_boost[reached, firm.index, 2] += config.strength


# --------------------------------------------------------------------------- relations


class LoyaltyRewards(Lever):
    """Points and rewards for active customers: an appreciation touch ("reward" in seed 001)."""

    name, kind = "loyalty_rewards", "relations"

    def eligible(self, market, firm, config):
        return _own_customers(market, firm)

    def effect(self, market, firm, config, reached):
        market.effects.touch(reached, config.strength)


class Recognition(Lever):
    """Status and thanks for the best customers (gold tier by default): a strong touch."""

    name, kind = "recognition", "relations"

    def eligible(self, market, firm, config):
        slots = _own_customers(market, firm)
        tiers = [Tier[t.upper()] for t in config.tiers]
        return slots[np.isin(market.customers.tier[slots], tiers)]

    def effect(self, market, firm, config, reached):
        market.effects.touch(reached, config.strength)


class PersonalOffers(Lever):
    """Personal offers (instant gratification): a touch and a purchase uplift this week."""

    name, kind = "personal_offers", "relations"

    def eligible(self, market, firm, config):
        return _own_customers(market, firm)

    def effect(self, market, firm, config, reached):
        market.effects.touch(reached, config.strength)
        market.effects.offered[reached] = True


class ReferralProgramme(Lever):
    """Rewards for referrals that convert; paid in the referral step, only on conversion."""

    name, kind, channel = "referral_programme", "relations", Channel.REFERRAL

    def apply(self, market, firm, allocation):
        config = market.scenario.levers.referral_programme
        active = allocation >= config.unit_cost and in_schedule(config, market.week)
        firm.referral_budget = allocation if active else 0.0
        firm.referral_boost = (
            market.scenario.behaviours.referral.programme_boost * config.strength if active else 0.0
        )
        return 0.0, 1.0 if active else 0.0  # spend is booked per conversion by the referral step


LEVERS: dict[str, Lever] = {
    lever.name: lever
    for lever in (
        SearchAds(),
        SocialAds(),
        InfluencerSeeding(),
        LoyaltyRewards(),
        Recognition(),
        PersonalOffers(),
        ReferralProgramme(),
    )
}
LEVER_NAMES: tuple[str, ...] = tuple(LEVERS)
CONQUEST_LEVERS = tuple(n for n, lever in LEVERS.items() if lever.kind == "conquest")
RELATIONS_LEVERS = tuple(n for n, lever in LEVERS.items() if lever.kind == "relations")
# Spend that buys new customers, for CAC: every conquest lever plus referral rewards.
ACQUISITION_LEVERS = (*CONQUEST_LEVERS, "referral_programme")
