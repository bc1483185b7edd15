"""Scenario files: TOML in, a validated, frozen :class:`Scenario` out.

Owns the schema of every table a scenario may hold (``[run]``, ``[market]``, ``[network]``,
``[personas.<name>]``, ``[firms.<name>]``, ``[behaviours.<name>]``, ``[levers.<name>]``), its
defaults with units, dotted-key overrides (``firms.us.price=45``) and the error messages a user
sees for a misspelt key or a bad value. The meaning, unit and source of every default is in
``docs/model.md``; this file keeps a short comment per parameter.

Example:
    >>> scenario = load_scenario("scenarios/baseline.toml", overrides={"run.weeks": 10})
    >>> scenario.run.weeks
    10
"""

from __future__ import annotations

import datetime
import math
import os
import tomllib
import types
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

TIERS = ("gold", "silver", "bronze")


class ScenarioError(ValueError):
    """A scenario file or override is invalid; the message names file, dotted key and value."""


class _Strict(BaseModel):
    """Base for every scenario table: unknown keys are errors, values are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


# --------------------------------------------------------------------------- distributions


class Dist(_Strict):
    """A distribution of a persona trait across people.

    ``dist`` is one of constant (``value``), uniform (``low``, ``high``), beta (``mean``, ``sd``,
    values in (0, 1)), gamma (``mean``, ``cv``), lognormal (``mean``, ``cv``). A bare number in a
    scenario file means a constant.
    """

    dist: Literal["constant", "uniform", "beta", "gamma", "lognormal"]
    value: float | None = None
    low: float | None = None
    high: float | None = None
    mean: float | None = None
    sd: float | None = Field(None, gt=0)
    cv: float | None = Field(None, gt=0)

    @model_validator(mode="after")
    def _check_parameters(self) -> Dist:
        needed = {
            "constant": ("value",),
            "uniform": ("low", "high"),
            "beta": ("mean", "sd"),
            "gamma": ("mean", "cv"),
            "lognormal": ("mean", "cv"),
        }[self.dist]
        given = {k for k in ("value", "low", "high", "mean", "sd", "cv") if getattr(self, k) is not None}
        if given != set(needed):
            raise ValueError(
                f"a {self.dist} distribution takes exactly {', '.join(needed)}; got {', '.join(sorted(given)) or 'nothing'}"
            )
        if self.dist == "uniform" and not self.low < self.high:
            raise ValueError(f"uniform needs low < high, got low={self.low}, high={self.high}")
        if self.dist == "beta":
            if not 0 < self.mean < 1:
                raise ValueError(f"beta mean must be in (0, 1), got {self.mean}")
            if self.sd**2 >= self.mean * (1 - self.mean):
                limit = math.sqrt(self.mean * (1 - self.mean))
                raise ValueError(f"beta sd must be < {limit:.4g} for mean {self.mean}, got {self.sd}")
        if self.dist in ("gamma", "lognormal") and not self.mean > 0:
            raise ValueError(f"{self.dist} mean must be > 0, got {self.mean}")
        return self


def constant(value: float) -> Dist:
    return Dist(dist="constant", value=value)


def _as_dist(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return {"dist": "constant", "value": float(value)}
    return value


# Allowed values of each persona trait: probabilities and shares lie in [0, 1], rates are >= 0.
TRAIT_RANGES: dict[str, tuple[float, float | None]] = {
    "bandwagon_threshold": (0.0, 1.0),
    "price_sensitivity": (0.0, None),
    "proof_sensitivity": (0.0, None),
    "purchase_rate": (0.0, None),
    "basket_size": (0.0, None),
    "appreciation_decay": (0.0, 1.0),
    "complaint_propensity": (0.0, 1.0),
    "referral_propensity": (0.0, None),
    "products": (1.0, 100.0),
}


class Persona(_Strict):
    """One segment of the market and the distributions of its people's traits."""

    share: float = Field(1.0, gt=0)  # relative weight of the segment in the market (normalised)
    bandwagon_threshold: Dist = Dist(dist="beta", mean=0.35, sd=0.15)  # neighbour share to hop on
    price_sensitivity: Dist = Dist(dist="lognormal", mean=1.0, cv=0.5)  # weight on log price ratio
    proof_sensitivity: Dist = Dist(dist="lognormal", mean=1.0, cv=0.5)  # weight on rating gap
    purchase_rate: Dist = Dist(dist="gamma", mean=0.25, cv=1.0)  # purchases per week
    basket_size: Dist = Dist(dist="lognormal", mean=1.0, cv=0.7)  # multiple of the firm's price
    appreciation_decay: Dist = Dist(dist="beta", mean=0.02, sd=0.01)  # share lost per week
    complaint_propensity: Dist = constant(0.04)  # P(complain | dissatisfying experience)
    referral_propensity: Dist = Dist(dist="gamma", mean=0.01, cv=1.0)  # referrals per week
    products: Dist = Dist(dist="uniform", low=1.0, high=4.0)  # products held on joining (floored, >= 1)
    channel_response: dict[str, float] = {}  # lever -> response multiplier (e.g. search_ads = 1.5)
    death_rate: float = Field(0.003, ge=0, le=1)  # per year (calibrated to the seeds' churn mix)
    move_rate: float = Field(0.009, ge=0, le=1)  # per year (calibrated to the seeds' churn mix)

    @field_validator(
        "bandwagon_threshold",
        "price_sensitivity",
        "proof_sensitivity",
        "purchase_rate",
        "basket_size",
        "appreciation_decay",
        "complaint_propensity",
        "referral_propensity",
        "products",
        mode="before",
    )
    @classmethod
    def _number_is_constant(cls, value: Any) -> Any:
        return _as_dist(value)

    @field_validator("channel_response")
    @classmethod
    def _known_levers(cls, value: dict[str, float]) -> dict[str, float]:
        allowed = set(LeversConfig.model_fields)
        for lever, factor in value.items():
            if lever not in allowed:
                raise ValueError(f"unknown lever {lever!r}; allowed levers: {', '.join(sorted(allowed))}")
            if factor < 0:
                raise ValueError(f"{lever} = {factor}: a response multiplier must be >= 0")
        return value

    @field_validator(*TRAIT_RANGES, mode="after")
    @classmethod
    def _trait_in_range(cls, dist: Dist, info: ValidationInfo) -> Dist:
        low, high = TRAIT_RANGES[info.field_name]
        if dist.dist == "constant":
            bounds = (dist.value, dist.value)
        elif dist.dist == "uniform":
            bounds = (dist.low, dist.high)
        elif high is not None and dist.dist != "beta":
            raise ValueError(f"a {dist.dist} distribution can exceed {high}; use constant, uniform or beta")
        else:
            return dist  # beta lies in (0, 1); gamma and lognormal are positive
        if bounds[0] < low or (high is not None and bounds[1] > high):
            allowed = f"[{low}, {high}]" if high is not None else f">= {low}"
            raise ValueError(f"values must be in {allowed}, got {bounds[0]}..{bounds[1]}")
        return dist


def default_personas() -> dict[str, Persona]:
    """Three segments used when a scenario defines none."""
    return {
        "mainstream": Persona(share=0.6),
        "bargain_hunter": Persona(
            share=0.25,
            price_sensitivity=Dist(dist="lognormal", mean=2.0, cv=0.5),
            proof_sensitivity=Dist(dist="lognormal", mean=0.7, cv=0.5),
            purchase_rate=Dist(dist="gamma", mean=0.2, cv=1.0),
        ),
        "enthusiast": Persona(
            share=0.15,
            bandwagon_threshold=Dist(dist="beta", mean=0.2, sd=0.1),
            proof_sensitivity=Dist(dist="lognormal", mean=1.5, cv=0.5),
            purchase_rate=Dist(dist="gamma", mean=0.4, cv=1.0),
            referral_propensity=Dist(dist="gamma", mean=0.03, cv=1.0),
        ),
    }


# --------------------------------------------------------------------------- run, market, network


class RunConfig(_Strict):
    name: str | None = None  # defaults to the scenario file's stem
    weeks: int = Field(260, ge=1, le=5200)  # simulated weeks (52 per year)
    seed: int = Field(1, ge=0)  # replicate seed; `sim run --seed` overrides it
    discount_rate: float = Field(0.10, ge=0, lt=1)  # per year, for lifetime value
    record_transactions: bool = False  # keep one row per buyer and week (sim/transactions.py)
    start_date: datetime.date = datetime.date(2026, 1, 5)  # calendar date of week 0 (a Monday)


class MarketConfig(_Strict):
    size: int = Field(10_000, ge=2, le=100_000_000)  # people in the addressable market
    initial_awareness: float = Field(0.3, ge=0, le=1)  # share of prospects aware of each firm
    in_market_rate: float = Field(0.05, ge=0, le=1)  # share searching each week, without a buying cycle


class WattsStrogatz(_Strict):
    type: Literal["watts_strogatz"] = "watts_strogatz"
    mean_degree: int = Field(10, ge=2)  # k: ring neighbours before rewiring (even)
    rewire: float = Field(0.1, ge=0, le=1)  # probability each tie is rewired

    @field_validator("mean_degree")
    @classmethod
    def _even(cls, value: int) -> int:
        if value % 2:
            raise ValueError(f"must be even (each person links to k/2 neighbours on each side), got {value}")
        return value


class BarabasiAlbert(_Strict):
    type: Literal["barabasi_albert"]
    attach: int = Field(5, ge=1)  # m: ties each newcomer makes (mean degree ~ 2m)


class ErdosRenyi(_Strict):
    type: Literal["erdos_renyi"]
    mean_degree: float = Field(10.0, gt=0)  # expected ties per person


class PowerlawCluster(_Strict):
    type: Literal["powerlaw_cluster"]
    attach: int = Field(5, ge=1)  # m, as in Barabasi-Albert
    triangle: float = Field(0.3, ge=0, le=1)  # probability of closing a triangle


class Complete(_Strict):
    type: Literal["complete"]  # mean field: neighbour share equals market share, no ties stored


class EdgeList(_Strict):
    type: Literal["edge_list"]
    path: str  # file of "a b" person pairs (0-based), relative to the scenario file


NetworkConfig = Annotated[
    Union[WattsStrogatz, BarabasiAlbert, ErdosRenyi, PowerlawCluster, Complete, EdgeList],  # noqa: UP007
    Field(discriminator="type"),
]


# --------------------------------------------------------------------------- firms


class FirmConfig(_Strict):
    price: float = Field(40.0, gt=0)  # currency per purchase (before the person's basket size)
    quality: float = Field(0.75, ge=0, le=1)  # satisfaction a good experience pulls toward
    margin: float = Field(0.30, ge=0, le=1)  # share of revenue kept as gross margin
    failure_rate: float = Field(0.03, ge=0, le=1)  # probability a purchase goes wrong
    initial_share: float = Field(0.10, ge=0, lt=1)  # share of the market who are customers at week 0
    budget: float = Field(0.0, ge=0)  # currency per week the strategy may spend
    strategy: str = "neglect"  # built-in name or "package.module:ClassName"
    split: dict[str, float] | None = None  # lever -> share of budget; None = strategy's default
    params: dict[str, float | int | str | bool] = {}  # extra parameters of a custom strategy

    @field_validator("strategy")
    @classmethod
    def _known_strategy(cls, value: str) -> str:
        from sim.strategies.base import resolve_strategy_class

        resolve_strategy_class(value)  # raises ValueError naming the allowed strategies
        return value

    @field_validator("split")
    @classmethod
    def _valid_split(cls, value: dict[str, float] | None) -> dict[str, float] | None:
        if value is None:
            return value
        allowed = set(LeversConfig.model_fields)
        unknown = sorted(set(value) - allowed)
        if unknown:
            raise ValueError(f"unknown lever {unknown[0]!r}; allowed levers: {', '.join(sorted(allowed))}")
        negative = [k for k, v in value.items() if v < 0]
        if negative:
            raise ValueError(f"lever shares must be >= 0, got {negative[0]} = {value[negative[0]]}")
        total = sum(value.values())
        if total > 1 + 1e-9:
            raise ValueError(f"lever shares must sum to at most 1 (the whole budget), got {total:.4g}")
        return value

    @model_validator(mode="after")
    def _strategy_accepts_params(self) -> FirmConfig:
        from sim.strategies.base import resolve_strategy_class

        try:
            resolve_strategy_class(self.strategy)(self.split, **self.params)
        except TypeError as error:
            raise ValueError(f"params: {error}") from None
        return self


# --------------------------------------------------------------------------- behaviours


class AdoptionConfig(_Strict):
    enabled: bool = True
    innovation: float = Field(0.0006, ge=0)  # p: weekly hazard for an aware prospect (Bass)
    word_of_mouth: float = Field(0.01, ge=0)  # q: weekly hazard per unit neighbour share (Bass)
    bandwagon_jump: float = Field(0.02, ge=0)  # weekly hazard added once share >= threshold
    penetration_weight: float = Field(
        0.0, ge=0
    )  # weekly hazard per unit of the firm's customers / market size
    social_proof_weight: float = Field(0.5, ge=0)  # log-attraction per rating star x sensitivity
    price_weight: float = Field(1.0, ge=0)  # log-attraction per log price ratio x sensitivity
    awareness_required: bool = True  # unaware people cannot choose a firm (seed 000)
    forget_rate: float = Field(0.01, ge=0, le=1)  # weekly chance awareness of a firm fades
    rejoin_lockout_weeks: int = Field(26, ge=0)  # a churner does not rejoin the firm they left


class ReferralConfig(_Strict):
    enabled: bool = True
    satisfaction_threshold: float = Field(0.6, ge=0, le=1)  # only customers this satisfied refer
    conversion: float = Field(0.25, ge=0, le=1)  # P(a referred prospect becomes a customer)
    programme_boost: float = Field(1.0, ge=0)  # referral propensity x (1 + boost) with a programme
    choosiness: int = Field(2, ge=1, le=20)  # friends a referrer weighs before referring the best fit


class PurchaseConfig(_Strict):
    enabled: bool = True
    offer_uplift: float = Field(0.5, ge=0)  # purchase-rate uplift the week a personal offer lands
    tier_review_weeks: int = Field(13, ge=1)  # loyalty tiers are reviewed this often (a quarter)


class ExperienceConfig(_Strict):
    enabled: bool = True
    unhandled_bad_review: float = Field(0.5, ge=0, le=1)  # P(an unhandled complaint ends in a 1-star review)
    failure_drop: float = Field(0.3, ge=0, le=1)  # satisfaction lost per failed purchase week
    learning_rate: float = Field(0.2, ge=0, le=1)  # pull toward quality after a good week
    initial_satisfaction: float = Field(0.7, ge=0, le=1)  # of a new customer
    dissatisfied_below: float = Field(0.5, ge=0, le=1)  # satisfaction under which one may complain
    review_rate: float = Field(0.03, ge=0, le=1)  # P(review) after a week with purchases
    extreme_review_boost: float = Field(3.0, ge=0)  # extra review chance for extreme experiences
    rating_prior_mean: float = Field(3.5, ge=1, le=5)  # stars a firm with no reviews is shown at
    rating_prior_weight: float = Field(20.0, ge=0)  # pseudo-reviews behind the prior
    rating_memory_weeks: float = Field(26.0, gt=0)  # reviews fade with this time constant


class AppreciationConfig(_Strict):
    enabled: bool = True
    initial: float = Field(0.9, ge=0, le=1)  # a new customer's feeling of being valued
    downgrade_drop: float = Field(0.1, ge=0, le=1)  # appreciation lost when one's tier falls
    fatigue_contacts: float = Field(3.0, ge=0)  # recent contacts a person tolerates ("bombardment")
    fatigue_drop: float = Field(0.05, ge=0, le=1)  # appreciation lost per contact beyond that
    contact_memory_weeks: float = Field(4.0, gt=0)  # how long a contact counts as recent


class BuyingCycleConfig(_Strict):
    """Prospects' buying cycle (seed 004: awareness, research, comparison, purchase). The rates
    give about 6.6% of prospects in market (research or comparison) at a time, and weights that
    average about 1 over the stages, so the cycle reshapes adoption without changing its level."""

    enabled: bool = True
    research_rate: float = Field(0.02, ge=0, le=1)  # weekly P(awareness -> research)
    comparison_rate: float = Field(0.3, ge=0, le=1)  # weekly P(research -> comparison)
    dropout_rate: float = Field(0.15, ge=0, le=1)  # weekly P(research -> awareness)
    comparison_dropout_rate: float = Field(0.5, ge=0, le=1)  # weekly P(comparison -> awareness)
    awareness_weight: float = Field(0.85, ge=0)  # adoption hazard multiplier in awareness
    research_weight: float = Field(2.0, ge=0)  # adoption hazard multiplier in research
    comparison_weight: float = Field(4.0, ge=0)  # adoption hazard multiplier in comparison
    positive: float = Field(0.3, ge=0, le=1)  # P(positive interest) to a campaign contact: one stage on
    negative: float = Field(0.1, ge=0, le=1)  # P(negative): that firm contacts them no more
    later: float = Field(0.15, ge=0, le=1)  # P("contact me later")
    recontact_weeks: int = Field(8, ge=1)  # when "later" may be contacted again

    @model_validator(mode="after")
    def _responses_are_a_distribution(self) -> BuyingCycleConfig:
        if self.comparison_rate + self.dropout_rate > 1 + 1e-9:
            raise ValueError(
                f"comparison_rate + dropout_rate must be at most 1 (both leave research), got "
                f"{self.comparison_rate + self.dropout_rate:.4g}"
            )
        total = self.positive + self.negative + self.later
        if total > 1 + 1e-9:
            raise ValueError(
                f"positive + negative + later must be at most 1 (the rest: no response), got {total:.4g}"
            )
        return self


class PartialChurnConfig(_Strict):
    enabled: bool = True
    product_intensity: float = Field(0.25, ge=0)  # product-churn hazard / account-churn hazard
    spend_intensity: float = Field(0.25, ge=0)  # decreased-spend hazard / account-churn hazard
    spend_drop: float = Field(0.2, ge=0, le=1)  # share of spend level lost per decrease
    min_spend_level: float = Field(0.2, ge=0, le=1)  # spend level never falls below this


class DormancyConfig(_Strict):
    enabled: bool = True
    weeks: int = Field(13, ge=1)  # weeks without a purchase after which a customer is dormant
    receptive: float = Field(0.35, ge=0, le=1)  # P(a contacted dormant customer comes back)
    later: float = Field(0.15, ge=0, le=1)  # P("contact me later")
    negative: float = Field(0.2, ge=0, le=1)  # P(a negative response: never contact again)
    recontact_weeks: int = Field(4, ge=1)  # when "later" asked to be contacted again
    self_return: float = Field(0.25, ge=0)  # a dormant customer's weekly return hazard / purchase rate

    @model_validator(mode="after")
    def _responses_are_a_distribution(self) -> DormancyConfig:
        total = self.receptive + self.later + self.negative
        if total > 1 + 1e-9:
            raise ValueError(
                f"receptive + later + negative must be at most 1 (the rest: no response), got {total:.4g}"
            )
        return self


class ChurnConfig(_Strict):
    """Churn hazards. The rates are calibrated so that with no firm spending (both on neglect,
    default market, five years) the reasons come out near seed 004's mix (died 1%, moved 3%,
    followed a friend 5%, better value 9%, dissatisfied 14%, unappreciated 68%): measured
    1.1/3.2/5.0/8.0/15.6/67.0% on seed 1, every reason within 3 points on seeds 1-5 (`sim facts`)."""

    enabled: bool = True
    died: bool = True  # demographic exits (persona death_rate)
    moved: bool = True  # demographic exits (persona move_rate)
    follow_friend_rate: float = Field(0.05, ge=0)  # weekly hazard per unit share of friends who left
    follow_window_weeks: int = Field(8, ge=1)  # how long a friend's switch stays "recent"
    better_value_rate: float = Field(0.01, ge=0)  # weekly hazard per unit value gap
    value_noise: float = Field(0.3, ge=0)  # sd of a week's perceived value of each firm (log units)
    dissatisfied_tell_friends: bool = True  # a dissatisfied leaver counts for friends' follow hazard
    belonging: float = Field(
        0.5, ge=0, le=1
    )  # cut in unappreciated/better-value hazards at 100% friends in the firm
    referrer_tie: float = Field(
        0.3, ge=0, le=1
    )  # further cut for a referred customer while their referrer buys from the same firm
    dissatisfied_rate: float = Field(0.14, ge=0)  # weekly hazard at zero satisfaction
    satisfaction_tolerance: float = Field(0.5, ge=0, le=1)  # hazard starts below this
    unappreciated_rate: float = Field(0.011, ge=0)  # weekly hazard at zero appreciation
    appreciation_tolerance: float = Field(0.5, ge=0, le=1)  # hazard starts below this


class BehavioursConfig(_Strict):
    adoption: AdoptionConfig = AdoptionConfig()
    referral: ReferralConfig = ReferralConfig()
    purchase: PurchaseConfig = PurchaseConfig()
    experience: ExperienceConfig = ExperienceConfig()
    appreciation: AppreciationConfig = AppreciationConfig()
    churn: ChurnConfig = ChurnConfig()
    buying_cycle: BuyingCycleConfig = BuyingCycleConfig()
    partial_churn: PartialChurnConfig = PartialChurnConfig()
    dormancy: DormancyConfig = DormancyConfig()


# --------------------------------------------------------------------------- levers


class _ScheduledLever(_Strict):
    unit_cost: float = Field(gt=0)  # currency per person reached (or per conversion)
    strength: float = Field(ge=0)  # effect on a reached person (see docs/model.md)
    start_week: int = Field(0, ge=0)  # first week the lever may spend
    stop_week: int | None = Field(None, ge=0)  # first week it no longer spends (None = never)
    pulse_on: int | None = Field(None, ge=1)  # pulsing: weeks on in each cycle (None = always on)
    pulse_off: int = Field(0, ge=0)  # pulsing: weeks off in each cycle


class _LeverBase(_ScheduledLever):
    max_reach: float = Field(1.0, ge=0, le=1)  # share of eligible people reached at saturation
    personas: list[str] | None = None  # restrict targets to these personas (None = all)
    tiers: list[Literal["gold", "silver", "bronze"]] | None = None  # restrict customer targets to tiers


class SearchAds(_LeverBase):
    unit_cost: float = Field(10.0, gt=0)
    max_reach: float = Field(0.8, ge=0, le=1)
    strength: float = Field(0.15, ge=0)  # weekly adoption hazard added for a reached searcher


class SocialAds(_LeverBase):
    unit_cost: float = Field(2.0, gt=0)
    max_reach: float = Field(0.6, ge=0, le=1)
    strength: float = Field(0.01, ge=0)  # weekly adoption hazard added for a reached prospect


class InfluencerSeeding(_LeverBase):
    unit_cost: float = Field(300.0, gt=0)  # per influencer paid
    max_reach: float = Field(1.0, ge=0, le=1)  # most of the eligible pool paid in one week
    strength: float = Field(0.5, ge=0)  # weekly adoption hazard added for a paid influencer
    pool: float = Field(0.02, gt=0, le=1)  # best-connected share of the market considered


class LoyaltyRewards(_LeverBase):
    unit_cost: float = Field(1.0, gt=0)
    max_reach: float = Field(0.9, ge=0, le=1)
    strength: float = Field(0.10, ge=0)  # appreciation touch per reward


class Recognition(_LeverBase):
    unit_cost: float = Field(3.0, gt=0)
    max_reach: float = Field(0.9, ge=0, le=1)
    strength: float = Field(0.25, ge=0)  # appreciation touch per recognition
    tiers: list[Literal["gold", "silver", "bronze"]] | None = ["gold"]  # who is recognised


class PersonalOffers(_LeverBase):
    unit_cost: float = Field(2.0, gt=0)
    max_reach: float = Field(0.8, ge=0, le=1)
    strength: float = Field(0.15, ge=0)  # appreciation touch per offer (plus a purchase uplift)


class ReferralProgramme(_ScheduledLever):
    unit_cost: float = Field(25.0, gt=0)  # reward paid per converted referral
    strength: float = Field(1.0, ge=0)  # scales behaviours.referral.programme_boost


class AcquisitionDiscount(_ScheduledLever):
    unit_cost: float = Field(1.0, gt=0)  # currency of discount per currency given away (always 1)
    strength: float = Field(0.2, ge=0, le=0.9)  # discount on a new customer's purchases (share)
    weeks: int = Field(4, ge=1)  # how long after joining the discount applies


class SocialProofMarketing(_LeverBase):
    unit_cost: float = Field(0.5, gt=0)  # per customer asked for a review
    max_reach: float = Field(0.8, ge=0, le=1)
    strength: float = Field(3.0, ge=0)  # review chance x (1 + strength) for an asked customer
    show_weight: float = Field(0.5, ge=0)  # extra social-proof weight while the firm shows reviews


class Poaching(_LeverBase):
    unit_cost: float = Field(6.0, gt=0)  # per rival customer sent a better-value offer
    max_reach: float = Field(0.5, ge=0, le=1)
    strength: float = Field(0.3, ge=0)  # value the offer adds to the poacher (log-attraction units)


class Communications(_LeverBase):
    unit_cost: float = Field(0.2, gt=0)  # per newsletter
    max_reach: float = Field(1.0, ge=0, le=1)
    strength: float = Field(0.04, ge=0)  # appreciation touch per newsletter


class ServiceQuality(_ScheduledLever):
    unit_cost: float = Field(1.0, gt=0)  # currency per week per customer for the full effect scale
    strength: float = Field(0.6, ge=0, le=1)  # largest share of service failures removed


class ComplaintHandling(_ScheduledLever):
    unit_cost: float = Field(20.0, gt=0)  # per complaint handled
    strength: float = Field(0.85, ge=0, le=1)  # satisfaction a handled complaint restores


class Reactivation(_LeverBase):
    unit_cost: float = Field(5.0, gt=0)  # per dormant customer contacted
    max_reach: float = Field(0.8, ge=0, le=1)
    strength: float = Field(0.15, ge=0)  # appreciation touch for a contacted customer


class RetentionOffers(_LeverBase):
    unit_cost: float = Field(8.0, gt=0)  # per offer to an at-risk customer
    max_reach: float = Field(0.9, ge=0, le=1)
    strength: float = Field(0.3, ge=0)  # appreciation touch per offer (satisfaction too)
    at_risk_share: float = Field(0.1, gt=0, le=1)  # the riskiest share of customers targeted


class LeversConfig(_Strict):
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


# --------------------------------------------------------------------------- the scenario


# --------------------------------------------------------------------------- experiments


class SweepRange(_Strict):
    low: float  # lowest value sampled
    high: float  # highest value sampled

    @model_validator(mode="after")
    def _ordered(self) -> SweepRange:
        if not self.low < self.high:
            raise ValueError(f"a range needs low < high, got low={self.low}, high={self.high}")
        return self


class SweepConfig(_Strict):
    """A design over dotted keys: every combination of value lists (grid) or a Latin hypercube."""

    method: Literal["grid", "lhs"] = "grid"  # full factorial, or Latin hypercube sampling
    samples: int | None = Field(None, ge=1, le=100_000)  # points of a Latin hypercube
    runs: int = Field(1, ge=1, le=10_000)  # replicates per point (`--runs` overrides)
    keys: dict[str, list[Any] | SweepRange]  # dotted key -> values (grid) or {low, high} (lhs)

    @field_validator("keys", mode="before")
    @classmethod
    def _flatten_keys(cls, value: Any) -> Any:
        return _flatten(value) if isinstance(value, dict) else value

    @model_validator(mode="after")
    def _consistent(self) -> SweepConfig:
        if not self.keys:
            raise ValueError("keys: name at least one dotted key to sweep")
        for key, values in self.keys.items():
            if self.method == "grid" and not (isinstance(values, list) and values):
                raise ValueError(f"keys.{key}: a grid sweep takes a non-empty list of values")
            if self.method == "lhs" and not isinstance(values, SweepRange):
                raise ValueError(f"keys.{key}: a Latin hypercube takes a range {{low = ..., high = ...}}")
        if self.method == "lhs" and self.samples is None:
            raise ValueError("samples: a Latin hypercube needs the number of points")
        return self


class SensitivityConfig(_Strict):
    """A global sensitivity analysis over dotted keys (`sim sensitivity`, sim/sensitivity.py)."""

    method: Literal["sobol", "morris"] = "sobol"  # variance-based indices, or elementary-effect screening
    samples: int = Field(64, ge=2, le=1_000_000)  # base samples N: Sobol N (D + 2) points, Morris N (D + 1)
    runs: int = Field(1, ge=1, le=10_000)  # replicates per point, the same seeds at every point
    outcomes: list[str] = ["customers_end", "profit", "ltv", "retention_yearly"]  # summary metrics
    firm: str | None = None  # the firm whose outcomes are analysed (None = the first)
    levels: int = Field(4, ge=2, le=20)  # Morris: grid levels per parameter (even)
    parameters: dict[str, list[float]]  # dotted key -> [low, high]

    @field_validator("parameters", mode="before")
    @classmethod
    def _flatten_parameters(cls, value: Any) -> Any:
        return _flatten(value) if isinstance(value, dict) else value

    @model_validator(mode="after")
    def _ranges(self) -> SensitivityConfig:
        if not self.parameters:
            raise ValueError("parameters: name at least one dotted key with a range [low, high]")
        for key, bounds in self.parameters.items():
            if len(bounds) != 2 or not bounds[0] < bounds[1]:
                raise ValueError(f"parameters.{key} = {bounds}: a range is [low, high] with low < high")
        if self.method == "sobol" and self.samples & (self.samples - 1):
            raise ValueError(f"samples = {self.samples}: Sobol needs a power of two (e.g. 32, 64, 128)")
        if self.method == "morris" and self.levels % 2:
            raise ValueError(f"levels = {self.levels}: Morris needs an even number of levels")
        if not self.outcomes:
            raise ValueError("outcomes: name at least one summary metric, e.g. profit")
        return self


class Bounds(_Strict):
    """A lower and/or upper bound: a lever's share of the budget, or a floor/ceiling on an outcome."""

    min: float | None = None
    max: float | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Bounds:
        if self.min is None and self.max is None:
            raise ValueError("give min, max or both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min = {self.min} is above max = {self.max}")
        return self


class OptimiseConfig(_Strict):
    """Strategy planning: the search of `sim optimise` (sim/optimise.py, docs/optimise.md)."""

    firm: str | None = None  # the firm whose plan is optimised (None = the first)
    objectives: list[str] = Field(["profit"], min_length=1, max_length=3)  # per-firm metrics
    levers: list[str] | None = None  # the levers a plan may use (None = every lever)
    shares: dict[str, Bounds] = {}  # lever -> {min, max}: its share of the weekly budget
    spend_all: bool = False  # shares sum to 1; else part of the budget may stay unspent
    budget: list[float] | None = None  # [low, high]: the weekly budget is a decision too
    start_weeks: dict[str, list[int]] = {}  # lever -> [earliest, latest] week it starts
    constraints: dict[str, Bounds] = {}  # metric -> {min, max}, e.g. retention_yearly = {min = 0.8}
    uncertainties: dict[str, list[Any] | SweepRange] = {}  # dotted key -> values, or {low, high}
    market_scenarios: int = Field(8, ge=2, le=10_000)  # markets sampled when a range is given
    downside: float = Field(0.0, ge=0, lt=0.5)  # 0: the worst market; q: the q-quantile
    robust: Literal["downside", "mean"] = "downside"  # what the search optimises across markets
    trials: int = Field(60, ge=1, le=1_000_000)  # candidate plans evaluated
    runs: int = Field(6, ge=2, le=10_000)  # replicate seeds per candidate (the same for all)
    confirm_runs: int = Field(10, ge=2, le=10_000)  # fresh seeds for the best plan vs the built-ins
    batch: int = Field(4, ge=1, le=10_000)  # candidates asked of the sampler at a time
    sampler: Literal["tpe", "nsga2", "random"] = "tpe"  # optuna's sampler
    seed: int | None = Field(None, ge=0)  # first seed and the sampler's (None = run.seed)

    @field_validator("uncertainties", mode="before")
    @classmethod
    def _flatten_uncertainties(cls, value: Any) -> Any:
        return _flatten(value) if isinstance(value, dict) else value


def _flatten(table: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested TOML tables to dotted keys; a {low, high} table is a range, not a nesting."""
    out: dict[str, Any] = {}
    for key, value in table.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict) and set(value) != {"low", "high"}:
            out.update(_flatten(value, dotted + "."))
        else:
            out[dotted] = value
    return out


def _default_firms() -> dict[str, FirmConfig]:
    return {"us": FirmConfig(), "rival": FirmConfig()}


class Scenario(_Strict):
    """A validated, frozen scenario: everything one simulation needs besides the seed."""

    run: RunConfig = RunConfig()
    market: MarketConfig = MarketConfig()
    network: NetworkConfig = WattsStrogatz()
    personas: dict[str, Persona] = Field(default_factory=default_personas)
    firms: dict[str, FirmConfig] = Field(default_factory=_default_firms, min_length=1, max_length=100)
    behaviours: BehavioursConfig = BehavioursConfig()
    levers: LeversConfig = LeversConfig()
    arms: dict[str, dict[str, Any]] = {}  # label -> dotted overrides, for `sim compare`
    sweep: SweepConfig | None = None  # the design of `sim sweep`
    sensitivity: SensitivityConfig | None = None  # the design of `sim sensitivity`
    optimise: OptimiseConfig | None = None  # the search of `sim optimise`
    source: str | None = Field(None, exclude=True)  # the file it came from (not part of the data)

    @field_validator("arms", mode="before")
    @classmethod
    def _flatten_arms(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {label: _flatten(o) if isinstance(o, dict) else o for label, o in value.items()}
        return value

    @model_validator(mode="before")
    @classmethod
    def _network_type_defaults(cls, data: Any) -> Any:
        network = data.get("network") if isinstance(data, dict) else None
        if isinstance(network, dict) and "type" not in network:
            data = {**data, "network": {"type": "watts_strogatz", **network}}
        return data

    @field_validator("personas")
    @classmethod
    def _at_least_one_persona(cls, value: dict[str, Persona]) -> dict[str, Persona]:
        if not value:
            raise ValueError("at least one persona is needed")
        return value

    @model_validator(mode="after")
    def _cross_checks(self) -> Scenario:
        total_initial = sum(f.initial_share for f in self.firms.values())
        if total_initial >= 1:
            shares = ", ".join(f"firms.{n}.initial_share = {f.initial_share}" for n, f in self.firms.items())
            raise ValueError(
                f"{shares}: the firms' initial_share must sum to less than 1, got {total_initial:.4g}"
            )
        size = self.market.size
        degree = getattr(self.network, "mean_degree", None)
        if self.network.type == "watts_strogatz" and degree >= size:
            raise ValueError(f"network.mean_degree = {degree}: must be < market.size = {size}")
        attach = getattr(self.network, "attach", None)
        if attach is not None and attach >= size:
            raise ValueError(f"network.attach = {attach}: must be < market.size = {size}")
        for name, lever in self.levers:
            for persona in getattr(lever, "personas", None) or []:
                if persona not in self.personas:
                    raise ValueError(
                        f"levers.{name}.personas = {lever.personas!r}: names {persona!r}; personas in "
                        f"this scenario: {', '.join(self.personas)}"
                    )
        return self

    @property
    def name(self) -> str:
        return self.run.name or (Path(self.source).stem if self.source else "scenario")

    @property
    def firm_names(self) -> list[str]:
        return list(self.firms)

    def to_dict(self) -> dict[str, Any]:
        """Every value, defaults filled in, as plain data (the resolved scenario)."""
        data = self.model_dump(mode="json", exclude_none=True)
        data["run"]["name"] = self.name
        return data

    def to_toml(self) -> str:
        """The resolved scenario as TOML text that :func:`load_scenario` reads back."""
        import tomli_w

        header = "# Resolved scenario: every default filled in. Re-run it with `sim run <this file>`.\n"
        return header + tomli_w.dumps(self.to_dict())

    def without_experiments(self) -> Scenario:
        """The scenario of one run: no arms, no sweep (they describe sets of runs)."""
        return self.model_copy(update={"arms": {}, "sweep": None, "sensitivity": None, "optimise": None})

    def with_overrides(self, overrides: Mapping[str, Any]) -> Scenario:
        """A copy with dotted-key overrides applied and validated again."""
        data = self.model_dump(mode="python", exclude_none=True)
        data["run"]["name"] = self.name
        return _validate(_apply_overrides(data, overrides, self.source or "<scenario>"), self.source)


# --------------------------------------------------------------------------- loading


def read_toml(path: str | Path, kind: str) -> dict[str, Any]:
    """The tables of a TOML file, or a ScenarioError naming the file: ``kind`` not found, or not
    valid TOML (with the parser's line and column)."""
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ScenarioError(f"{path}: {kind} not found") from None
    except tomllib.TOMLDecodeError as error:
        raise ScenarioError(f"{path}: not valid TOML: {error}") from None


def load_scenario(path: str | os.PathLike[str], overrides: Mapping[str, Any] | None = None) -> Scenario:
    """Read, override and validate a scenario file.

    Args:
        path: a TOML scenario file.
        overrides: dotted keys to values, e.g. ``{"firms.us.strategy": "relations"}``. A string
            value is parsed as a TOML value when it looks like one (``"12"`` -> 12).

    Raises:
        ScenarioError: the file is missing, not TOML, or a key or value is invalid. The message
            names the file, the dotted key, the value and what is allowed.

    Example:
        >>> load_scenario("scenarios/baseline.toml").firms["us"].strategy
        'balanced'
    """
    source = str(path)
    data = read_toml(path, "scenario file")
    data = _apply_overrides(data, overrides or {}, source)
    _resolve_relative_paths(data, Path(source).parent)
    scenario = _validate(data, source)
    _check_experiment_keys(scenario)
    return scenario


def _check_experiment_keys(scenario: Scenario) -> None:
    """Every arm and every swept value must make a valid scenario; errors name their table."""
    base = scenario.without_experiments()
    for label, overrides in scenario.arms.items():
        try:
            base.with_overrides(overrides)
        except ScenarioError as error:
            raise ScenarioError(f"in [arms.{label}]: {error}") from None
    if scenario.sweep is not None:
        for key, values in scenario.sweep.keys.items():
            for value in values if isinstance(values, list) else (values.low, values.high):
                try:
                    base.with_overrides({key: value})
                except ScenarioError as error:
                    raise ScenarioError(f"in [sweep.keys] {key} = {value!r}: {error}") from None
    if scenario.sensitivity is not None:
        from sim.sensitivity import check_design

        check_design(scenario, scenario.sensitivity.parameters, "[sensitivity.parameters]")
    if scenario.optimise is not None:
        from sim.optimise import check_settings

        check_settings(scenario, scenario.optimise)


def _resolve_relative_paths(data: dict[str, Any], base: Path) -> None:
    network = data.get("network")
    if isinstance(network, dict) and isinstance(network.get("path"), str):
        candidate = Path(network["path"])
        if not candidate.is_absolute():
            network["path"] = str((base / candidate).resolve())


def parse_value(text: str) -> Any:
    """A ``--set`` value: a TOML literal if it parses as one, else the bare string."""
    try:
        return tomllib.loads(f"value = {text}")["value"]
    except tomllib.TOMLDecodeError:
        return text


def _apply_overrides(data: dict[str, Any], overrides: Mapping[str, Any], source: str) -> dict[str, Any]:
    import copy

    data = copy.deepcopy(data)
    # Choices that reset their dependants go first, so keys set alongside them survive.
    resets = [k for k in overrides if _is_reset_key(k)]
    ordered = [*resets, *(k for k in overrides if k not in resets)]
    for dotted in ordered:
        raw = overrides[dotted]
        value = parse_value(raw) if isinstance(raw, str) else raw
        parts = dotted.split(".")
        if not all(parts):
            raise ScenarioError(f"{source}: override {dotted!r}: empty part in dotted key")
        table = data
        for depth, part in enumerate(parts[:-1]):
            existing = table.get(part)
            if existing is None:
                existing = table[part] = {}
            if not isinstance(existing, dict):
                where = ".".join(parts[: depth + 1])
                raise ScenarioError(
                    f"{source}: override {dotted} = {value!r}: {where} is a value, not a table"
                )
            table = existing
        table[parts[-1]] = value
        # Switching a firm's strategy (or the network type) by name resets the parameters that
        # belonged to the old choice to the new one's defaults; keys set alongside come after.
        if _is_reset_key(dotted):
            for key in [
                k for k in table if k in ("split", "params") or (dotted == "network.type" and k != "type")
            ]:
                del table[key]
    return data


def _is_reset_key(dotted: str) -> bool:
    parts = dotted.split(".")
    return dotted == "network.type" or (len(parts) == 3 and parts[0] == "firms" and parts[2] == "strategy")


def _validate(data: dict[str, Any], source: str | None) -> Scenario:
    try:
        return Scenario.model_validate({**data, "source": source})
    except ValidationError as error:
        raise ScenarioError(_format_errors(error, source or "<scenario>", data)) from None


def _format_errors(error: ValidationError, source: str, data: dict[str, Any]) -> str:
    lines = []
    for item in error.errors():
        loc = _strip_union_tags(item["loc"])
        dotted = ".".join(str(p) for p in loc) or "(top level)"
        if item["type"] == "extra_forbidden":
            allowed = _allowed_keys(item["loc"][:-1])
            parent = ".".join(str(p) for p in loc[:-1])
            where = f"[{parent}]" if parent else "the top level"
            lines.append(
                f"{source}: {dotted} = {_show(item['input'])}: unknown key; "
                f"allowed keys in {where}: {', '.join(allowed)}"
            )
        elif item["type"] == "union_tag_invalid":
            context = item.get("ctx", {})
            lines.append(
                f"{source}: {dotted}.{context.get('discriminator', 'type').strip(chr(39))} = "
                f"{context.get('tag')!r}: not a known type; allowed: {context.get('expected_tags')}"
            )
        elif item["type"] == "missing":
            lines.append(f"{source}: {dotted}: required key is missing")
        else:
            message = item["msg"].removeprefix("Value error, ")
            if not loc:  # a check across tables: its message names the keys itself
                lines.append(f"{source}: {message}")
                continue
            shown = _show(_lookup(data, loc, item.get("input")))
            lines.append(f"{source}: {dotted} = {shown}: {message}")
    return "\n".join(lines)


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _lookup(data: Any, loc: tuple[Any, ...], fallback: Any) -> Any:
    for part in loc:
        if isinstance(data, dict) and part in data:
            data = data[part]
        else:
            return fallback
    return data


_NETWORK_TAGS = {
    "watts_strogatz",
    "barabasi_albert",
    "erdos_renyi",
    "powerlaw_cluster",
    "complete",
    "edge_list",
}


def _strip_union_tags(loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """Pydantic puts the network union's tag into the location; users never wrote it."""
    return tuple(
        part
        for index, part in enumerate(loc)
        if not (index == 1 and loc[0] == "network" and part in _NETWORK_TAGS)
    )


def _allowed_keys(raw_parent: tuple[Any, ...]) -> list[str]:
    """Names of the keys a table at ``raw_parent`` (pydantic's location) may hold."""
    model: Any = Scenario
    for part in raw_parent:
        if get_origin(model) is Union:
            model = next(
                (
                    m
                    for m in get_args(model)
                    if m.model_fields["type"].default == part
                    or part in get_args(m.model_fields["type"].annotation)
                ),
                None,
            )
            continue
        model = _child_type(model, part)
        if model is None:
            return []
    if get_origin(model) is Union:
        return ["type", "... (the keys depend on the network type; see docs/scenario.md)"]
    if isinstance(model, type) and issubclass(model, BaseModel):
        return [name for name in model.model_fields if name != "source"]
    return []


def _child_type(model: Any, part: Any) -> Any:
    if isinstance(model, type) and issubclass(model, BaseModel):
        field = model.model_fields.get(part)
        return None if field is None else _unwrap(field.annotation)
    if get_origin(model) is dict:
        return _unwrap(get_args(model)[1])
    return None


def _unwrap(annotation: Any) -> Any:
    """Strip Annotated and Optional; a union of several models is kept as it is."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _unwrap(get_args(annotation)[0])
    if origin is Union or isinstance(annotation, types.UnionType):
        members = [a for a in get_args(annotation) if a is not type(None)]
        if len(members) == 1:
            return _unwrap(members[0])
        return Union[tuple(members)]  # noqa: UP007
    return annotation
