"""Levers: what a firm can buy with its budget, each with a unit cost and a saturating response.

Owns every lever's targeting (who is eligible), response to spend (how many of them are reached)
and effect (what it writes into the week's effect buffers that the behaviours then read). A lever
never changes a person's state directly: it writes awareness, an adoption boost, an appreciation
touch, a purchase offer or a referral-programme budget, and the behaviours act on them in the
weekly order. That keeps the step order of :mod:`sim.model` the single place where things happen.
The loops over people (who is eligible, who is reached, writing an effect) are compiled, in
:mod:`sim.strategies.targeting`; each ``effect`` states what it writes in NumPy terms next to the call.

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

import math
from functools import lru_cache
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from sim.agents.behaviours import growth
from sim.agents.customers import Channel, Status, Tier
from sim.numerics import largest
from sim.strategies import targeting

if TYPE_CHECKING:
    from sim.agents.firm import Firm
    from sim.model import CustomerMarket


_BRONZE = np.int8(Tier.BRONZE)
_TIER_NAMES = tuple(tier.name.lower() for tier in Tier)  # by code, as the scenario spells them


def reach_share(allocation: float, unit_cost: float, eligible: int, max_reach: float) -> float:
    """Share of eligible people a lever reaches for this allocation (concave, saturating)."""
    if eligible <= 0 or allocation <= 0:
        return 0.0
    # math, not NumPy: the same bits on every processor (see sim.numerics.exp_each)
    return max_reach * -math.expm1(-allocation / (unit_cost * eligible))


def in_schedule(config, week: int) -> bool:
    """Whether a lever's schedule lets it spend this week: between ``start_week`` and
    ``stop_week``, and, when pulsing, in the ``pulse_on`` weeks of each on-off cycle."""
    if week < config.start_week or (config.stop_week is not None and week >= config.stop_week):
        return False
    if config.pulse_on is None:
        return True
    return (week - max(config.start_week, 1)) % (config.pulse_on + config.pulse_off) < config.pulse_on


class Lever:
    """One lever type. Subclasses set ``name``, ``kind`` and implement ``eligible`` and ``effect``."""

    name: ClassVar[str]
    kind: ClassVar[str]  # "conquest" or "relations"
    channel: ClassVar[Channel | None] = None  # the acquisition channel it drives, if any
    # Whether its reach counts as conquest pressure on rivals' customers (visible advertising).
    pressure: ClassVar[bool] = False

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
        targets = restrict(market, self.eligible(market, firm, config), config)
        share = reach_share(allocation, config.unit_cost, targets.size, config.max_reach)
        if share <= 0:
            return 0.0, 0.0
        # A persona's response to this lever's channel (``channel_response``) scales its reach.
        reached = targeting.reach(
            targets,  # integer slots, as every eligibility rule and restrict give
            market.streams.key(f"lever:{self.name}", week, sub=firm.index),
            share,
            market.persona_response[LEVER_INDEX[self.name]],
            market.customers.persona,
        )
        self.effect(market, firm, config, reached)
        return allocation, share


def restrict(market: CustomerMarket, slots: np.ndarray, config) -> np.ndarray:
    """Keep the targets in the lever's ``personas`` and ``tiers`` (if it names any)."""
    c = market.customers
    personas = getattr(config, "personas", None)
    if personas:
        wanted = _wanted_codes(tuple(c.persona_names), tuple(personas))
        slots = targeting.keep_where(np.asarray(slots, dtype=np.int64), c.persona, wanted)
    tiers = getattr(config, "tiers", None)
    if tiers:
        wanted = _wanted_codes(_TIER_NAMES, tuple(tiers))
        slots = targeting.keep_where(np.asarray(slots, dtype=np.int64), c.tier, wanted)
    return slots


@lru_cache(maxsize=64)
def _wanted_codes(names: tuple[str, ...], wanted: tuple[str, ...]) -> np.ndarray:
    """Boolean table by code: True for the codes whose name is wanted (made once per pair; the
    table is shared, so it is read-only)."""
    table = np.zeros(len(names), dtype=bool)
    table[[names.index(name) for name in wanted]] = True
    table.flags.writeable = False
    return table


def _prospects(market: CustomerMarket) -> np.ndarray:
    """Prospects this week (no lever changes anyone's status, so the list made at the start of
    the week holds while the firms act)."""
    return market.prospects


def _contactable(market: CustomerMarket, firm: Firm, slots: np.ndarray) -> np.ndarray:
    """Those the firm's campaigns may contact: not after a "no", not before a "later" date."""
    return targeting.contactable(
        np.asarray(slots, dtype=np.int64), market.customers.contact_block, firm.index, market.week
    )


def _ad_buffers(market: CustomerMarket) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """What an ad writes (see :func:`sim.strategies.targeting.ad_contact`): awareness, the week's adoption
    boost and campaign contacts."""
    return market.customers.aware, market.effects.adoption_boost, market.effects.campaign_contact


def _own_customers(market: CustomerMarket, firm: Firm) -> np.ndarray:
    """The firm's active customers (while the firm acts, one list shared by its levers)."""
    return firm.own_active_customers()


# --------------------------------------------------------------------------- conquest


class SearchAds(Lever):
    """Ads shown to prospects who are in market (searching) this week: awareness and a boost."""

    name, kind, channel = "search_ads", "conquest", Channel.SEARCH
    pressure = True

    def eligible(self, market, firm, config):
        return _contactable(market, firm, market.in_market_prospects)

    def effect(self, market, firm, config, reached):
        # aware[reached, firm] = True, adoption_boost[reached, firm, search] += strength and
        # campaign_contact[reached, firm] = True, in one compiled pass
        targeting.ad_contact(reached, _ad_buffers(market), firm.index, 0, np.float32(config.strength))


class SocialAds(Lever):
    """Ads in social feeds reaching random prospects: awareness and a small boost."""

    name, kind, channel = "social_ads", "conquest", Channel.SOCIAL
    pressure = True

    def eligible(self, market, firm, config):
        return _contactable(market, firm, _prospects(market))

    def effect(self, market, firm, config, reached):
        # aware, adoption_boost[reached, firm, social] += strength and campaign_contact, as above
        targeting.ad_contact(reached, _ad_buffers(market), firm.index, 1, np.float32(config.strength))


class InfluencerSeeding(Lever):
    """Pay the best-connected prospects ("first-cycle influence marketing"), per influencer; who
    counts as best (degree, k-core, PageRank, a random pool or a list) is the lever's ``target``."""

    name, kind, channel = "influencer_seeding", "conquest", Channel.INFLUENCER
    pressure = True

    def eligible(self, market, firm, config):
        pool = market.influencer_pool(config)
        return pool[market.customers.status[pool] == Status.PROSPECT]

    def apply(self, market, firm, allocation):
        config = market.scenario.levers.influencer_seeding
        if allocation <= 0 or not in_schedule(config, market.week):
            return 0.0, 0.0
        targets = restrict(market, self.eligible(market, firm, config), config)
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


class TouchLever(Lever):
    """A relations lever that reaches the firm's active customers with an appreciation touch of
    its ``strength`` (its targeting keys narrow who is eligible)."""

    kind = "relations"

    def eligible(self, market, firm, config):
        return _own_customers(market, firm)

    def effect(self, market, firm, config, reached):
        market.effects.touch(reached, config.strength)


class LoyaltyRewards(TouchLever):
    """Points and rewards for active customers: an appreciation touch ("reward" in seed 001)."""

    name = "loyalty_rewards"


class Recognition(TouchLever):
    """Status and thanks for the best customers (``tiers``: gold by default): a strong touch."""

    name = "recognition"


class PersonalOffers(TouchLever):
    """Personal offers (instant gratification): a touch and a purchase uplift this week."""

    name = "personal_offers"

    def effect(self, market, firm, config, reached):
        super().effect(market, firm, config, reached)
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


# --------------------------------------------------------------------------- the lifecycle levers


class AcquisitionDiscount(Lever):
    """A discount on new customers' first weeks of purchases: more attractive to prospects, paid
    per purchase (the discount given away is the spend), capped by the week's allocation."""

    name, kind = "acquisition_discount", "conquest"

    def apply(self, market, firm, allocation):
        config = market.scenario.levers.acquisition_discount
        active = allocation > 0 and in_schedule(config, market.week)
        firm.discount = config.strength if active else 0.0
        firm.discount_budget = allocation if active else 0.0
        return 0.0, 0.0  # the purchase step books what is given away


class SocialProofMarketing(Lever):
    """Ask customers for reviews (more reviews) and show them (more weight on the rating)."""

    name, kind = "social_proof_marketing", "conquest"

    def eligible(self, market, firm, config):
        return _own_customers(market, firm)

    def apply(self, market, firm, allocation):
        spend, share = super().apply(market, firm, allocation)
        if spend > 0:
            firm.proof_shown = market.scenario.levers.social_proof_marketing.show_weight
        return spend, share

    def effect(self, market, firm, config, reached):
        market.effects.review_boost[reached] = np.float32(config.strength)


class Poaching(Lever):
    """Better-value offers to rivals' customers who know the firm: raises their better-value
    churn toward it; those it wins are acquired through the ``poached`` channel."""

    name, kind, channel = "poaching", "conquest", Channel.POACHED

    def eligible(self, market, firm, config):
        c = market.customers
        return targeting.rivals_customers_aware_of(c.firm, c.aware, firm.index)

    def effect(self, market, firm, config, reached):
        # poach_boost[reached, firm] += strength (float32)
        targeting.add_in_column(reached, market.effects.poach_boost, firm.index, np.float32(config.strength))


class Communications(TouchLever):
    """Newsletters to active customers: a small touch, and a contact that counts toward fatigue."""

    name = "communications"


class ServiceQuality(Lever):
    """Investment in service: fewer failed purchases. Spending ``unit_cost`` per customer per week
    removes 63% of ``strength`` of the failures (saturating); the whole allocation is spent."""

    name, kind = "service_quality", "relations"

    def apply(self, market, firm, allocation):
        config = market.scenario.levers.service_quality
        if allocation <= 0 or not in_schedule(config, market.week):
            return 0.0, 0.0
        share = reach_share(allocation, config.unit_cost, max(firm.customers, 1), config.strength)
        firm.failure_multiplier = 1 - share
        return allocation, share


class ComplaintHandling(Lever):
    """Resolve complaints: capacity of ``allocation / unit_cost`` complaints this week, paid per
    complaint handled in the experience step; a handled complaint restores satisfaction."""

    name, kind = "complaint_handling", "relations"

    def apply(self, market, firm, allocation):
        config = market.scenario.levers.complaint_handling
        active = allocation >= config.unit_cost and in_schedule(config, market.week)
        firm.complaint_capacity = int(allocation // config.unit_cost) if active else 0
        return 0.0, 0.0  # booked per complaint handled


class Reactivation(Lever):
    """Contact dormant customers (not those who said no, nor "later" before their date); they
    respond in the dormancy step."""

    name, kind = "reactivation", "relations"

    def eligible(self, market, firm, config):
        c = market.customers
        return np.flatnonzero(
            (c.firm == firm.index)
            & (c.status == Status.DORMANT)
            & ~c.do_not_contact
            & (c.recontact_week <= market.week)
        )

    def effect(self, market, firm, config, reached):
        market.effects.reactivation_contact[reached] = firm.index
        market.effects.touch(reached, config.strength)


class RetentionOffers(Lever):
    """Offers to the customers most at risk by a score built only from what a firm can observe
    (recency, frequency, spend trend, complaints, tier): "data-driven relations", "closing the
    back door" (seed 000). A reached customer gets a touch and a satisfaction lift."""

    name, kind = "retention_offers", "relations"

    def eligible(self, market, firm, config):
        slots = _own_customers(market, firm)
        if slots.size == 0:
            return slots
        risk = risk_score(market, slots)
        count = max(1, round(config.at_risk_share * slots.size))
        chosen = slots[largest(risk, count)]  # ties: the same customers on every machine
        chosen.sort()
        return chosen

    def effect(self, market, firm, config, reached):
        market.effects.touch(reached, config.strength)
        market.effects.satisfaction_lift[reached] = np.float32(config.strength)


# --------------------------------------------------------------------------- growth (issue 18)


class GrowthOffer(Lever):
    """An offer to the firm's active customers who can still take it (below the cap of products
    or spend level), targeted by tenure (``min_tenure_weeks``, ``max_tenure_weeks``: weeks since
    joining) and, with ``target = "propensity"``, to the ``propensity_share`` most likely to
    accept by :func:`sim.agents.behaviours.growth.acceptance_chances` (a propensity model that
    knows satisfaction and appreciation, as a firm's survey-fed model would). The reached are
    written to the week's ``buffer`` and answer in step 7b; an offer is also a contact (it counts
    toward contact fatigue, with no appreciation touch of its own)."""

    kind = "relations"
    buffer: ClassVar[str]
    cross_sell: ClassVar[bool]

    def _can_take(self, market: CustomerMarket, slots: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def eligible(self, market, firm, config):
        c = market.customers
        slots = _own_customers(market, firm)
        slots = slots[self._can_take(market, slots)]
        tenure = market.week - c.acquired_week[slots]
        keep = tenure >= config.min_tenure_weeks
        if config.max_tenure_weeks is not None:
            keep &= tenure <= config.max_tenure_weeks
        slots = slots[keep]
        if config.target == "propensity" and slots.size:
            chance = growth.acceptance_chances(market, slots, config.strength, self.cross_sell)
            count = max(1, round(config.propensity_share * slots.size))
            slots = np.sort(slots[largest(chance, count)])  # ties: the same customers on every machine
        return slots

    def effect(self, market, firm, config, reached):
        getattr(market.effects, self.buffer)[reached] = True
        market.effects.touch(reached, 0.0)


class CrossSell(GrowthOffer):
    """Offer a further product of the line to customers holding fewer than ``max_products``."""

    name, buffer, cross_sell = "cross_sell", "cross_sell_offer", True

    def _can_take(self, market, slots):
        return market.customers.products[slots] < market.scenario.behaviours.growth.max_products


class UpSell(GrowthOffer):
    """Offer a higher spend level (a premium version) to customers below ``max_spend_level``."""

    name, buffer, cross_sell = "up_sell", "up_sell_offer", False

    def _can_take(self, market, slots):
        return market.customers.spend_level[slots] < np.float32(
            market.scenario.behaviours.growth.max_spend_level
        )


class Reassurance(Lever):
    """A reassurance contact in a new customer's first ``remorse_weeks`` weeks (won during the
    run, not reassured yet): lowers their buyer's-remorse hazard by the lever's strength (step 7b);
    a contact, with no appreciation touch of its own."""

    name, kind = "reassurance", "relations"

    def eligible(self, market, firm, config):
        c = market.customers
        slots = _own_customers(market, firm)
        tenure = market.week - c.acquired_week[slots]
        window = market.scenario.behaviours.growth.remorse_weeks
        return slots[c.acquired_in_run[slots] & (tenure >= 1) & (tenure <= window) & ~c.reassured[slots]]

    def effect(self, market, firm, config, reached):
        market.effects.reassured[reached] = True
        market.effects.touch(reached, 0.0)


def risk_score(market: CustomerMarket, slots: np.ndarray) -> np.ndarray:
    """Churn risk a firm could compute from its own records, higher = riskier: weeks since the
    last purchase, low purchase frequency, falling spend (trailing spend under the person's
    spend level x expected), complaints and a low tier. Each term is scaled to about 0-1."""
    c = market.customers
    records = (c.last_purchase_week, c.acquired_week, c.purchases, c.spend_level)
    records += (c.products, c.joining_products, c.complaints, c.tier)
    return targeting.risk_score(np.asarray(slots, dtype=np.int64), records, _BRONZE, market.week)


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
        AcquisitionDiscount(),
        SocialProofMarketing(),
        Poaching(),
        Communications(),
        ServiceQuality(),
        ComplaintHandling(),
        Reactivation(),
        RetentionOffers(),
        CrossSell(),
        UpSell(),
        Reassurance(),
    )
}
LEVER_NAMES: tuple[str, ...] = tuple(LEVERS)
LEVER_INDEX = {name: index for index, name in enumerate(LEVER_NAMES)}
CONQUEST_LEVERS = tuple(n for n, lever in LEVERS.items() if lever.kind == "conquest")
RELATIONS_LEVERS = tuple(n for n, lever in LEVERS.items() if lever.kind == "relations")
# Spend that buys new customers, for CAC: every conquest lever plus referral rewards.
ACQUISITION_LEVERS = (*CONQUEST_LEVERS, "referral_programme")
# Spend that keeps customers, charged inside lifetime value (CLV net of retention cost): every
# other relations lever. The two lists cover every lever once (fully loaded CAC counts both).
RETENTION_LEVERS = tuple(n for n in RELATIONS_LEVERS if n not in ACQUISITION_LEVERS)
