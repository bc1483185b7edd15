"""The levers' table of a scenario: ``[levers.<name>]``, each lever's cost, strength and schedule.

Owns the schema of the eighteen levers a firm's strategy spends on (their unit cost, the strength
of their effect, their reach at saturation, their targeting by persona and loyalty tier, and when
they spend: start, stop, pulsing). What each lever does is in :mod:`sim.strategies.levers` and
docs/model.md ("Levers"); this file keeps a short comment per parameter.

Example:
    >>> LeversConfig().search_ads.unit_cost, list(LeversConfig.model_fields)[:2]
    (10.0, ['search_ads', 'social_ads'])
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from sim.values import MAX_WEEKS, MIN_UNIT_COST, Real, Strict, Whole

TIERS = ("gold", "silver", "bronze")


class _ScheduledLever(Strict):
    unit_cost: Real = Field(ge=MIN_UNIT_COST)  # currency per person reached (or per conversion)
    strength: Real = Field(ge=0)  # effect on a reached person (see docs/model.md)
    start_week: Whole = Field(0, ge=0, le=MAX_WEEKS)  # first week the lever may spend
    stop_week: Whole | None = Field(None, ge=0, le=MAX_WEEKS)  # first week it no longer spends (None = never)
    pulse_on: Whole | None = Field(
        None, ge=1, le=MAX_WEEKS
    )  # pulsing: weeks on in each cycle (None = always on)
    pulse_off: Whole = Field(0, ge=0, le=MAX_WEEKS)  # pulsing: weeks off in each cycle


class _LeverBase(_ScheduledLever):
    max_reach: Real = Field(1.0, ge=0, le=1)  # share of eligible people reached at saturation
    personas: list[str] | None = None  # restrict targets to these personas (None = all)
    tiers: list[Literal["gold", "silver", "bronze"]] | None = None  # restrict customer targets to tiers


class SearchAds(_LeverBase):
    unit_cost: Real = Field(10.0, ge=MIN_UNIT_COST)
    max_reach: Real = Field(0.8, ge=0, le=1)
    strength: Real = Field(0.15, ge=0)  # weekly adoption hazard added for a reached searcher


class SocialAds(_LeverBase):
    unit_cost: Real = Field(2.0, ge=MIN_UNIT_COST)
    max_reach: Real = Field(0.6, ge=0, le=1)
    strength: Real = Field(0.01, ge=0)  # weekly adoption hazard added for a reached prospect


class InfluencerSeeding(_LeverBase):
    unit_cost: Real = Field(300.0, ge=MIN_UNIT_COST)  # per influencer paid
    max_reach: Real = Field(1.0, ge=0, le=1)  # most of the eligible pool paid in one week
    strength: Real = Field(0.5, ge=0)  # weekly adoption hazard added for a paid influencer
    pool: Real = Field(0.02, gt=0, le=1)  # share of the market considered (the best by `target`)
    # Who is paid first: the best by a network measure ("degree", "kcore", "pagerank"; ties by slot),
    # a random pool ("random"), or a list of people in the order given ("ids", "file").
    target: Literal["degree", "kcore", "pagerank", "random", "ids", "file"] = "degree"
    ids: list[Whole] | None = Field(None, max_length=100_000_000)  # with target = "ids": person ids
    path: str | None = None  # with target = "file": one person id a line, or a CSV file and `column`
    column: str | None = None  # with target = "file": the CSV column holding the ids

    @model_validator(mode="after")
    def _list_fits_the_target(self) -> InfluencerSeeding:
        if (self.ids is not None) != (self.target == "ids"):
            raise ValueError('ids goes with target = "ids" (and only with it)')
        if (self.path is not None) != (self.target == "file"):
            raise ValueError('path goes with target = "file" (and only with it)')
        if self.column is not None and self.target != "file":
            raise ValueError('column goes with target = "file" only')
        return self


class LoyaltyRewards(_LeverBase):
    unit_cost: Real = Field(1.0, ge=MIN_UNIT_COST)
    max_reach: Real = Field(0.9, ge=0, le=1)
    strength: Real = Field(0.10, ge=0)  # appreciation touch per reward


class Recognition(_LeverBase):
    unit_cost: Real = Field(3.0, ge=MIN_UNIT_COST)
    max_reach: Real = Field(0.9, ge=0, le=1)
    strength: Real = Field(0.25, ge=0)  # appreciation touch per recognition
    tiers: list[Literal["gold", "silver", "bronze"]] | None = Field(
        default_factory=lambda: ["gold"]
    )  # recognised


class PersonalOffers(_LeverBase):
    unit_cost: Real = Field(2.0, ge=MIN_UNIT_COST)
    max_reach: Real = Field(0.8, ge=0, le=1)
    strength: Real = Field(0.15, ge=0)  # appreciation touch per offer (plus a purchase uplift)


class ReferralProgramme(_ScheduledLever):
    unit_cost: Real = Field(25.0, ge=MIN_UNIT_COST)  # reward paid per converted referral
    strength: Real = Field(1.0, ge=0)  # scales behaviours.referral.programme_boost


class AcquisitionDiscount(_ScheduledLever):
    unit_cost: Real = Field(1.0, ge=MIN_UNIT_COST)  # currency of discount per currency given away (always 1)
    strength: Real = Field(0.2, ge=0, le=0.9)  # discount on a new customer's purchases (share)
    weeks: Whole = Field(4, ge=1, le=MAX_WEEKS)  # how long after joining the discount applies


class SocialProofMarketing(_LeverBase):
    unit_cost: Real = Field(0.5, ge=MIN_UNIT_COST)  # per customer asked for a review
    max_reach: Real = Field(0.8, ge=0, le=1)
    strength: Real = Field(3.0, ge=0)  # review chance x (1 + strength) for an asked customer
    show_weight: Real = Field(0.5, ge=0)  # extra social-proof weight while the firm shows reviews


class Poaching(_LeverBase):
    unit_cost: Real = Field(6.0, ge=MIN_UNIT_COST)  # per rival customer sent a better-value offer
    max_reach: Real = Field(0.5, ge=0, le=1)
    strength: Real = Field(0.3, ge=0)  # value the offer adds to the poacher (log-attraction units)


class Communications(_LeverBase):
    unit_cost: Real = Field(0.2, ge=MIN_UNIT_COST)  # per newsletter
    max_reach: Real = Field(1.0, ge=0, le=1)
    strength: Real = Field(0.04, ge=0)  # appreciation touch per newsletter


class ServiceQuality(_ScheduledLever):
    unit_cost: Real = Field(1.0, ge=MIN_UNIT_COST)  # currency per week per customer for the full effect scale
    strength: Real = Field(0.6, ge=0, le=1)  # largest share of service failures removed


class ComplaintHandling(_ScheduledLever):
    unit_cost: Real = Field(20.0, ge=MIN_UNIT_COST)  # per complaint handled
    strength: Real = Field(0.85, ge=0, le=1)  # satisfaction a handled complaint restores


class Reactivation(_LeverBase):
    unit_cost: Real = Field(5.0, ge=MIN_UNIT_COST)  # per dormant customer contacted
    max_reach: Real = Field(0.8, ge=0, le=1)
    strength: Real = Field(0.15, ge=0)  # appreciation touch for a contacted customer


class RetentionOffers(_LeverBase):
    unit_cost: Real = Field(8.0, ge=MIN_UNIT_COST)  # per offer to an at-risk customer
    max_reach: Real = Field(0.9, ge=0, le=1)
    strength: Real = Field(0.3, ge=0)  # appreciation touch per offer (satisfaction too)
    at_risk_share: Real = Field(0.1, gt=0, le=1)  # the riskiest share of customers targeted


class _GrowthOffer(_LeverBase):
    """An offer to the firm's active customers (cross-sell, up-sell), targeted by tier and
    persona (as every lever), by tenure and, with ``target = "propensity"``, by predicted
    acceptance."""

    target: Literal["all", "propensity"] = "all"  # "propensity": only the likeliest to accept
    propensity_share: Real = Field(0.25, gt=0, le=1)  # with "propensity": the likeliest share targeted
    min_tenure_weeks: Whole = Field(0, ge=0, le=MAX_WEEKS)  # weeks since joining, at least
    max_tenure_weeks: Whole | None = Field(None, ge=0, le=MAX_WEEKS)  # weeks since joining, at most

    @model_validator(mode="after")
    def _tenure_is_a_window(self) -> _GrowthOffer:
        if self.max_tenure_weeks is not None and self.max_tenure_weeks < self.min_tenure_weeks:
            raise ValueError(
                f"max_tenure_weeks must be at least min_tenure_weeks ({self.min_tenure_weeks}), "
                f"got {self.max_tenure_weeks}"
            )
        return self


class CrossSell(_GrowthOffer):
    unit_cost: Real = Field(2.0, ge=MIN_UNIT_COST)  # per offer of a further product
    max_reach: Real = Field(0.8, ge=0, le=1)
    strength: Real = Field(
        0.1, ge=0, le=1
    )  # P(accept) at the reference satisfaction, appreciation, 1 product


class UpSell(_GrowthOffer):
    unit_cost: Real = Field(2.0, ge=MIN_UNIT_COST)  # per offer of a higher spend level (premium)
    max_reach: Real = Field(0.8, ge=0, le=1)
    strength: Real = Field(0.15, ge=0, le=1)  # P(accept) at the reference satisfaction and appreciation


class Reassurance(_LeverBase):
    unit_cost: Real = Field(1.0, ge=MIN_UNIT_COST)  # per reassurance contact of a new customer
    max_reach: Real = Field(0.9, ge=0, le=1)
    strength: Real = Field(0.5, ge=0, le=1)  # share of the buyer's-remorse hazard a contact removes


class LeversConfig(Strict):
    search_ads: SearchAds = SearchAds()
    social_ads: SocialAds = SocialAds()
    influencer_seeding: InfluencerSeeding = InfluencerSeeding()
    loyalty_rewards: LoyaltyRewards = LoyaltyRewards()
    recognition: Recognition = Recognition()
    personal_offers: PersonalOffers = PersonalOffers()
    referral_programme: ReferralProgramme = ReferralProgramme()
    acquisition_discount: AcquisitionDiscount = AcquisitionDiscount()
    social_proof_marketing: SocialProofMarketing = SocialProofMarketing()
    poaching: Poaching = Poaching()
    communications: Communications = Communications()
    service_quality: ServiceQuality = ServiceQuality()
    complaint_handling: ComplaintHandling = ComplaintHandling()
    reactivation: Reactivation = Reactivation()
    retention_offers: RetentionOffers = RetentionOffers()
    cross_sell: CrossSell = CrossSell()
    up_sell: UpSell = UpSell()
    reassurance: Reassurance = Reassurance()
