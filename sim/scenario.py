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

import codecs
import datetime
import functools
import json
import math
import numbers
import os
import time
import tomllib
import types
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
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


# --------------------------------------------------------------------------- limits
# What keeps every run finite and within this machine (docs/scenario.md, "Limits"): a value
# outside them is refused when the scenario is read, never found out by a run that crashes or
# writes inf. Money: MAX_PRICE x 40 purchases a week (the most a person's weekly count takes) x
# a basket of MAX_TRAIT x 10^8 people x MAX_WEEKS is about 2e25 (2e31 for a lognormal basket's
# farthest draws, ~10^6 times its mean at MAX_CV), and MAX_BUDGET for MAX_WEEKS weeks 5e15, far inside the float64 (1.8e308) and float32 (3.4e38) ranges, so no sum becomes
# inf; the smallest unit cost keeps the reach a budget buys (MAX_BUDGET / MIN_UNIT_COST = 1e16)
# within a 64-bit integer.
MAX_NUMBER = 1e12  # no number in a scenario is larger in size (the money sums stay finite)
MAX_PRICE = 1e9  # currency per purchase
MAX_BUDGET = 1e12  # currency per week
MIN_UNIT_COST = 1e-4  # currency per person reached: a hundredth of a cent
MAX_WEEKS = 5200  # a hundred years: runs, lever schedules, memories and waiting times
MAX_SEED = 2**31 - 1  # seed + runs stays within the 32 bits third-party generators take
MAX_DEGREE = 1000  # mean ties per person (the network's memory grows with it)
MAX_PERSONAS = 32_767  # the persona index is a 16-bit integer
MAX_TRAIT = 1000.0  # traits without a natural bound (rates, sensitivities, basket multiples)
MAX_CV = 10.0  # coefficient of variation of a gamma or lognormal trait
MAX_FILE_BYTES = 10_000_000  # a scenario or targets file (TOML text) is at most 10 MB


def _kind(value: Any) -> str:
    """What a value is, in TOML's words (a user wrote TOML, not Python)."""
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, str):
        return f"a string ({_show(value)})"
    if isinstance(value, Mapping):
        return "a table"
    if isinstance(value, list | tuple):
        return "an array"
    if isinstance(value, datetime.date | datetime.time):
        return f"a date or time ({value})"
    return type(value).__name__


def _number(value: Any) -> Any:
    """A finite number: true/false and text are refused (lax parsing would read true as 1.0 and
    "40" as 40), and so are inf, nan and 1e999."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"expected a number, got {_kind(value)}")
    try:
        finite = math.isfinite(value)
    except OverflowError:  # an integer beyond the largest float
        finite = False
    if not finite:
        raise ValueError("must be a finite number (inf, nan and numbers beyond 1.8e308 are not allowed)")
    return value


def _whole(value: Any) -> Any:
    """A whole number (52 or 52.0, not 52.5), as :func:`_number` allows."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"expected a whole number, got {_kind(value)}")
    _number(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if float(value).is_integer():
        return int(value)
    raise ValueError(f"expected a whole number, got {value!r}")


def _bounded(value: float) -> float:
    """No larger than MAX_NUMBER in size; checked after a key's own range, which is narrower."""
    if abs(value) > MAX_NUMBER:
        raise ValueError(f"must be at most {MAX_NUMBER:.0e} in size (see Limits in docs/scenario.md)")
    return value


def _flag(value: Any) -> Any:
    """true or false only (lax parsing would read 1, "yes" and "off" as booleans)."""
    if not isinstance(value, bool):
        raise ValueError(f"expected true or false, got {_kind(value)}")
    return value


LAST_START_DATE = datetime.date(9899, 12, 31)  # MAX_WEEKS later is still within the calendar


def _date(value: Any) -> Any:
    """A date; a number is refused (lax parsing would read 0 as 1970-01-01)."""
    if isinstance(value, bool | numbers.Number):
        raise ValueError(f"expected a date such as 2026-01-05, got {_kind(value)}")
    return value


def _early_enough(value: datetime.date) -> datetime.date:
    if value > LAST_START_DATE:
        raise ValueError(
            f"must be on or before {LAST_START_DATE} (a run of {MAX_WEEKS} weeks must end by 9999)"
        )
    return value


# A real and a whole number of a scenario: finite, of bounded size, never a boolean or text; a
# flag is true or false; a date is a date (a week count from it stays within the calendar).
Real = Annotated[float, BeforeValidator(_number), AfterValidator(_bounded)]
Whole = Annotated[int, BeforeValidator(_whole), AfterValidator(_bounded)]
Flag = Annotated[bool, BeforeValidator(_flag)]
Date = Annotated[datetime.date, BeforeValidator(_date), AfterValidator(_early_enough)]


PLAIN_NAME_RULE = (
    "must be a plain folder name: 1-100 characters, no '/', '\\', ':', '*', '?', '\"', '<', '>', '|' "
    "or control characters, not starting with '.' or ending with '.' or a space"
)


def is_plain_name(name: str) -> bool:
    """Whether ``name`` is one folder's name on any common file system (no path, no '..').

    Example:
        >>> is_plain_name("cvr-7"), is_plain_name("../escaped"), is_plain_name("a/b")
        (True, False, False)
    """
    return (
        0 < len(name) <= 100
        and not name.startswith(".")
        and not name.endswith((".", " "))
        and not any(c in '/\\:*?"<>|' or ord(c) < 32 or ord(c) == 127 for c in name)
    )


class _Strict(BaseModel):
    """Base for every scenario table: unknown keys are errors, values are frozen and finite."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True, allow_inf_nan=False)


# --------------------------------------------------------------------------- distributions


class Dist(_Strict):
    """A distribution of a persona trait across people.

    ``dist`` is one of constant (``value``), uniform (``low``, ``high``), beta (``mean``, ``sd``,
    values in (0, 1)), gamma (``mean``, ``cv``), lognormal (``mean``, ``cv``). A bare number in a
    scenario file means a constant.
    """

    dist: Literal["constant", "uniform", "beta", "gamma", "lognormal"]
    value: Real | None = None
    low: Real | None = None
    high: Real | None = None
    mean: Real | None = None
    sd: Real | None = Field(None, gt=0)
    cv: Real | None = Field(None, gt=0)

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


# Allowed values of each persona trait: probabilities and shares lie in [0, 1]; rates, sensitivities
# and basket multiples (None here) are >= 0 and at most MAX_TRAIT.
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

    share: Real = Field(1.0, gt=0)  # relative weight of the segment in the market (normalised)
    bandwagon_threshold: Dist = Dist(dist="beta", mean=0.35, sd=0.15)  # neighbour share to hop on
    price_sensitivity: Dist = Dist(dist="lognormal", mean=1.0, cv=0.5)  # weight on log price ratio
    proof_sensitivity: Dist = Dist(dist="lognormal", mean=1.0, cv=0.5)  # weight on rating gap
    purchase_rate: Dist = Dist(dist="gamma", mean=0.25, cv=1.0)  # purchases per week
    basket_size: Dist = Dist(dist="lognormal", mean=1.0, cv=0.7)  # multiple of the firm's price
    appreciation_decay: Dist = Dist(dist="beta", mean=0.02, sd=0.01)  # share lost per week
    complaint_propensity: Dist = constant(0.04)  # P(complain | dissatisfying experience)
    referral_propensity: Dist = Dist(dist="gamma", mean=0.01, cv=1.0)  # referrals per week
    products: Dist = Dist(dist="uniform", low=1.0, high=4.0)  # products held on joining (floored, >= 1)
    channel_response: dict[str, Real] = {}  # lever -> response multiplier (e.g. search_ads = 1.5)
    death_rate: Real = Field(0.003, ge=0, le=1)  # per year (calibrated to the seeds' churn mix)
    move_rate: Real = Field(0.009, ge=0, le=1)  # per year (calibrated to the seeds' churn mix)

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
        if dist.dist in ("gamma", "lognormal"):
            if high is not None:
                raise ValueError(
                    f"a {dist.dist} distribution can exceed {high}; use constant, uniform or beta"
                )
            # Positive and unbounded: the mean and spread are bounded so that the draws stay
            # finite in the float32 arrays that hold them (see Limits in docs/scenario.md).
            if dist.mean > MAX_TRAIT:
                raise ValueError(f"mean must be at most {MAX_TRAIT:g}, got {dist.mean}")
            if dist.cv > MAX_CV:
                raise ValueError(f"cv must be at most {MAX_CV:g}, got {dist.cv}")
            return dist
        if dist.dist == "beta":
            return dist  # beta lies in (0, 1)
        bounds = (dist.value, dist.value) if dist.dist == "constant" else (dist.low, dist.high)
        top = MAX_TRAIT if high is None else high
        if bounds[0] < low or bounds[1] > top:
            raise ValueError(f"values must be in [{low:g}, {top:g}], got {bounds[0]}..{bounds[1]}")
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
    name: str | None = None  # defaults to the scenario file's stem; results go to results/<name>/
    weeks: Whole = Field(260, ge=1, le=MAX_WEEKS)  # simulated weeks (52 per year)
    seed: Whole = Field(1, ge=0, le=MAX_SEED)  # replicate seed; `sim run --seed` overrides it
    discount_rate: Real = Field(0.10, ge=0, lt=1)  # per year, for lifetime value
    record_transactions: Flag = False  # keep one row per buyer and week (sim/transactions.py)
    start_date: Date = datetime.date(2026, 1, 5)  # calendar date of week 0 (a Monday)

    @field_validator("name")
    @classmethod
    def _plain_folder_name(cls, value: str | None) -> str | None:
        # The name becomes a folder under results/: "../x" or "/tmp/x" would write elsewhere.
        if value is not None and not is_plain_name(value):
            raise ValueError(PLAIN_NAME_RULE)
        return value


class MarketConfig(_Strict):
    size: Whole = Field(10_000, ge=2, le=100_000_000)  # people in the addressable market
    initial_awareness: Real = Field(0.3, ge=0, le=1)  # share of prospects aware of each firm
    in_market_rate: Real = Field(0.05, ge=0, le=1)  # share searching each week, without a buying cycle


class WattsStrogatz(_Strict):
    type: Literal["watts_strogatz"] = "watts_strogatz"
    mean_degree: Whole = Field(10, ge=2, le=MAX_DEGREE)  # k: ring neighbours before rewiring (even)
    rewire: Real = Field(0.1, ge=0, le=1)  # probability each tie is rewired

    @field_validator("mean_degree")
    @classmethod
    def _even(cls, value: int) -> int:
        if value % 2:
            raise ValueError(f"must be even (each person links to k/2 neighbours on each side), got {value}")
        return value


class BarabasiAlbert(_Strict):
    type: Literal["barabasi_albert"]
    attach: Whole = Field(5, ge=1, le=MAX_DEGREE // 2)  # m: ties each newcomer makes (mean degree ~ 2m)


class ErdosRenyi(_Strict):
    type: Literal["erdos_renyi"]
    mean_degree: Real = Field(10.0, gt=0, le=MAX_DEGREE)  # expected ties per person


class PowerlawCluster(_Strict):
    type: Literal["powerlaw_cluster"]
    attach: Whole = Field(5, ge=1, le=MAX_DEGREE // 2)  # m, as in Barabasi-Albert
    triangle: Real = Field(0.3, ge=0, le=1)  # probability of closing a triangle


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
    price: Real = Field(40.0, gt=0, le=MAX_PRICE)  # currency per purchase (before the person's basket size)
    quality: Real = Field(0.75, ge=0, le=1)  # satisfaction a good experience pulls toward
    margin: Real = Field(0.30, ge=0, le=1)  # share of revenue kept as gross margin
    failure_rate: Real = Field(0.03, ge=0, le=1)  # probability a purchase goes wrong
    initial_share: Real = Field(0.10, ge=0, lt=1)  # share of the market who are customers at week 0
    budget: Real = Field(0.0, ge=0, le=MAX_BUDGET)  # currency per week the strategy may spend
    strategy: str = "neglect"  # built-in name or "package.module:ClassName"
    split: dict[str, Real] | None = None  # lever -> share of budget; None = strategy's default
    params: dict[str, float | int | str | bool] = {}  # extra parameters of a custom strategy

    @field_validator("strategy")
    @classmethod
    def _known_strategy(cls, value: str) -> str:
        from sim.strategies.base import resolve_strategy_class

        resolve_strategy_class(value)  # raises ValueError naming the allowed strategies
        return value

    @field_validator("params")
    @classmethod
    def _finite_params(cls, value: dict[str, Any]) -> dict[str, Any]:
        # A strategy's own parameters may be flags or text; numbers obey the scenario's limits.
        for key, param in value.items():
            if isinstance(param, int | float) and not isinstance(param, bool):
                try:
                    _bounded(_number(param))
                except ValueError as error:
                    raise ValueError(f"{key} = {param!r}: {error}") from None
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
    enabled: Flag = True
    innovation: Real = Field(0.0006, ge=0)  # p: weekly hazard for an aware prospect (Bass)
    word_of_mouth: Real = Field(0.01, ge=0)  # q: weekly hazard per unit neighbour share (Bass)
    bandwagon_jump: Real = Field(0.02, ge=0)  # weekly hazard added once share >= threshold
    penetration_weight: Real = Field(
        0.0, ge=0
    )  # weekly hazard per unit of the firm's customers / market size
    social_proof_weight: Real = Field(0.5, ge=0)  # log-attraction per rating star x sensitivity
    price_weight: Real = Field(1.0, ge=0)  # log-attraction per log price ratio x sensitivity
    awareness_required: Flag = True  # unaware people cannot choose a firm (seed 000)
    forget_rate: Real = Field(0.01, ge=0, le=1)  # weekly chance awareness of a firm fades
    rejoin_lockout_weeks: Whole = Field(
        26, ge=0, le=MAX_WEEKS
    )  # a churner does not rejoin the firm they left


class ReferralConfig(_Strict):
    enabled: Flag = True
    satisfaction_threshold: Real = Field(0.6, ge=0, le=1)  # only customers this satisfied refer
    conversion: Real = Field(0.25, ge=0, le=1)  # P(a referred prospect becomes a customer)
    programme_boost: Real = Field(1.0, ge=0)  # referral propensity x (1 + boost) with a programme
    choosiness: Whole = Field(2, ge=1, le=20)  # friends a referrer weighs before referring the best fit


class PurchaseConfig(_Strict):
    enabled: Flag = True
    offer_uplift: Real = Field(0.5, ge=0)  # purchase-rate uplift the week a personal offer lands
    tier_review_weeks: Whole = Field(
        13, ge=1, le=MAX_WEEKS
    )  # loyalty tiers are reviewed this often (a quarter)


class ExperienceConfig(_Strict):
    enabled: Flag = True
    unhandled_bad_review: Real = Field(0.5, ge=0, le=1)  # P(an unhandled complaint ends in a 1-star review)
    failure_drop: Real = Field(0.3, ge=0, le=1)  # satisfaction lost per failed purchase week
    learning_rate: Real = Field(0.2, ge=0, le=1)  # pull toward quality after a good week
    initial_satisfaction: Real = Field(0.7, ge=0, le=1)  # of a new customer
    dissatisfied_below: Real = Field(0.5, ge=0, le=1)  # satisfaction under which one may complain
    review_rate: Real = Field(0.03, ge=0, le=1)  # P(review) after a week with purchases
    extreme_review_boost: Real = Field(3.0, ge=0)  # extra review chance for extreme experiences
    rating_prior_mean: Real = Field(3.5, ge=1, le=5)  # stars a firm with no reviews is shown at
    rating_prior_weight: Real = Field(20.0, ge=0)  # pseudo-reviews behind the prior
    rating_memory_weeks: Real = Field(26.0, gt=0, le=MAX_WEEKS)  # reviews fade with this time constant


class AppreciationConfig(_Strict):
    enabled: Flag = True
    initial: Real = Field(0.9, ge=0, le=1)  # a new customer's feeling of being valued
    downgrade_drop: Real = Field(0.1, ge=0, le=1)  # appreciation lost when one's tier falls
    fatigue_contacts: Real = Field(3.0, ge=0)  # recent contacts a person tolerates ("bombardment")
    fatigue_drop: Real = Field(0.05, ge=0, le=1)  # appreciation lost per contact beyond that
    contact_memory_weeks: Real = Field(4.0, gt=0, le=MAX_WEEKS)  # how long a contact counts as recent


class BuyingCycleConfig(_Strict):
    """Prospects' buying cycle (seed 004: awareness, research, comparison, purchase). The rates
    give about 6.6% of prospects in market (research or comparison) at a time, and weights that
    average about 1 over the stages, so the cycle reshapes adoption without changing its level."""

    enabled: Flag = True
    research_rate: Real = Field(0.02, ge=0, le=1)  # weekly P(awareness -> research)
    comparison_rate: Real = Field(0.3, ge=0, le=1)  # weekly P(research -> comparison)
    dropout_rate: Real = Field(0.15, ge=0, le=1)  # weekly P(research -> awareness)
    comparison_dropout_rate: Real = Field(0.5, ge=0, le=1)  # weekly P(comparison -> awareness)
    awareness_weight: Real = Field(0.85, ge=0)  # adoption hazard multiplier in awareness
    research_weight: Real = Field(2.0, ge=0)  # adoption hazard multiplier in research
    comparison_weight: Real = Field(4.0, ge=0)  # adoption hazard multiplier in comparison
    positive: Real = Field(0.3, ge=0, le=1)  # P(positive interest) to a campaign contact: one stage on
    negative: Real = Field(0.1, ge=0, le=1)  # P(negative): that firm contacts them no more
    later: Real = Field(0.15, ge=0, le=1)  # P("contact me later")
    recontact_weeks: Whole = Field(8, ge=1, le=MAX_WEEKS)  # when "later" may be contacted again

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
    enabled: Flag = True
    product_intensity: Real = Field(0.25, ge=0)  # product-churn hazard / account-churn hazard
    spend_intensity: Real = Field(0.25, ge=0)  # decreased-spend hazard / account-churn hazard
    spend_drop: Real = Field(0.2, ge=0, le=1)  # share of spend level lost per decrease
    min_spend_level: Real = Field(0.2, ge=0, le=1)  # spend level never falls below this


class DormancyConfig(_Strict):
    enabled: Flag = True
    weeks: Whole = Field(13, ge=1, le=MAX_WEEKS)  # weeks without a purchase after which a customer is dormant
    receptive: Real = Field(0.35, ge=0, le=1)  # P(a contacted dormant customer comes back)
    later: Real = Field(0.15, ge=0, le=1)  # P("contact me later")
    negative: Real = Field(0.2, ge=0, le=1)  # P(a negative response: never contact again)
    recontact_weeks: Whole = Field(4, ge=1, le=MAX_WEEKS)  # when "later" asked to be contacted again
    self_return: Real = Field(0.25, ge=0)  # a dormant customer's weekly return hazard / purchase rate

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

    enabled: Flag = True
    died: Flag = True  # demographic exits (persona death_rate)
    moved: Flag = True  # demographic exits (persona move_rate)
    follow_friend_rate: Real = Field(0.05, ge=0)  # weekly hazard per unit share of friends who left
    follow_window_weeks: Whole = Field(8, ge=1, le=MAX_WEEKS)  # how long a friend's switch stays "recent"
    better_value_rate: Real = Field(0.01, ge=0)  # weekly hazard per unit value gap
    value_noise: Real = Field(0.3, ge=0)  # sd of a week's perceived value of each firm (log units)
    dissatisfied_tell_friends: Flag = True  # a dissatisfied leaver counts for friends' follow hazard
    belonging: Real = Field(
        0.5, ge=0, le=1
    )  # cut in unappreciated/better-value hazards at 100% friends in the firm
    referrer_tie: Real = Field(
        0.3, ge=0, le=1
    )  # further cut for a referred customer while their referrer buys from the same firm
    dissatisfied_rate: Real = Field(0.14, ge=0)  # weekly hazard at zero satisfaction
    satisfaction_tolerance: Real = Field(0.5, ge=0, le=1)  # hazard starts below this
    unappreciated_rate: Real = Field(0.011, ge=0)  # weekly hazard at zero appreciation
    appreciation_tolerance: Real = Field(0.5, ge=0, le=1)  # hazard starts below this


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
    pool: Real = Field(0.02, gt=0, le=1)  # best-connected share of the market considered


class LoyaltyRewards(_LeverBase):
    unit_cost: Real = Field(1.0, ge=MIN_UNIT_COST)
    max_reach: Real = Field(0.9, ge=0, le=1)
    strength: Real = Field(0.10, ge=0)  # appreciation touch per reward


class Recognition(_LeverBase):
    unit_cost: Real = Field(3.0, ge=MIN_UNIT_COST)
    max_reach: Real = Field(0.9, ge=0, le=1)
    strength: Real = Field(0.25, ge=0)  # appreciation touch per recognition
    tiers: list[Literal["gold", "silver", "bronze"]] | None = ["gold"]  # who is recognised


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


# --------------------------------------------------------------------------- experiments


class SweepRange(_Strict):
    low: Real  # lowest value sampled
    high: Real  # highest value sampled

    @model_validator(mode="after")
    def _ordered(self) -> SweepRange:
        if not self.low < self.high:
            raise ValueError(f"a range needs low < high, got low={self.low}, high={self.high}")
        return self


class SweepConfig(_Strict):
    """A design over dotted keys: every combination of value lists (grid) or a Latin hypercube."""

    method: Literal["grid", "lhs"] = "grid"  # full factorial, or Latin hypercube sampling
    samples: Whole | None = Field(None, ge=1, le=100_000)  # points of a Latin hypercube
    runs: Whole = Field(1, ge=1, le=10_000)  # replicates per point (`--runs` overrides)
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
    samples: Whole = Field(64, ge=2, le=1_000_000)  # base samples N: Sobol N (D + 2) points, Morris N (D + 1)
    runs: Whole = Field(1, ge=1, le=10_000)  # replicates per point, the same seeds at every point
    outcomes: list[str] = ["customers_end", "profit", "ltv", "retention_yearly"]  # summary metrics
    firm: str | None = None  # the firm whose outcomes are analysed (None = the first)
    levels: Whole = Field(4, ge=2, le=20)  # Morris: grid levels per parameter (even)
    parameters: dict[str, list[Real]]  # dotted key -> [low, high]

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

    min: Real | None = None
    max: Real | None = None

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
    spend_all: Flag = False  # shares sum to 1; else part of the budget may stay unspent
    budget: list[Real] | None = None  # [low, high]: the weekly budget is a decision too
    start_weeks: dict[str, list[Whole]] = {}  # lever -> [earliest, latest] week it starts
    constraints: dict[str, Bounds] = {}  # metric -> {min, max}, e.g. retention_yearly = {min = 0.8}
    uncertainties: dict[str, list[Any] | SweepRange] = {}  # dotted key -> values, or {low, high}
    market_scenarios: Whole = Field(8, ge=2, le=10_000)  # markets sampled when a range is given
    downside: Real = Field(0.0, ge=0, lt=0.5)  # 0: the worst market; q: the q-quantile
    robust: Literal["downside", "mean"] = "downside"  # what the search optimises across markets
    trials: Whole = Field(60, ge=1, le=1_000_000)  # candidate plans evaluated
    runs: Whole = Field(6, ge=2, le=10_000)  # replicate seeds per candidate (the same for all)
    confirm_runs: Whole = Field(10, ge=2, le=10_000)  # fresh seeds for the best plan vs the built-ins
    batch: Whole = Field(4, ge=1, le=10_000)  # candidates asked of the sampler at a time
    sampler: Literal["tpe", "nsga2", "random"] = "tpe"  # optuna's sampler
    seed: Whole | None = Field(None, ge=0, le=MAX_SEED)  # first seed and the sampler's (None = run.seed)

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
    personas: dict[str, Persona] = Field(default_factory=default_personas, max_length=MAX_PERSONAS)
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
        """``run.name``, else the file's stem made a plain folder name (``my:file`` -> ``my_file``)."""
        if self.run.name:
            return self.run.name
        stem = Path(self.source).stem if self.source else ""
        if is_plain_name(stem):
            return stem
        plain = "".join("_" if c in '/\\:*?"<>|' or ord(c) < 32 or ord(c) == 127 else c for c in stem)
        return plain.strip(". ")[:100] or "scenario"

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


# --------------------------------------------------------------------------- memory
# Peak resident memory of `sim run` (network, population, weekly steps, outputs written): a fixed
# part (interpreter, libraries), a part a person, a part a tie (one undirected pair; the largest of
# the network types') and a part a departure (a person who died or moved keeps a row in the
# customer table while a newcomer takes the slot). Measured by benchmarks/memory.py on 2026-12-03
# (benchmarks/README.md, "Memory against size"): 1,019.9 bytes a person at 5 ties each, less
# 5 x 36.9 a tie; the fixed part is the line's upper envelope over the measured sizes (373 MiB,
# the least-squares intercept being 338), so the estimate errs on the safe side. Measure again when
# the engine's arrays change. Not counted: a transaction log (run.record_transactions), which
# grows with the purchases.
MEMORY_FIXED_BYTES = 373 * 2**20
MEMORY_BYTES_PER_PERSON = 835
MEMORY_BYTES_PER_TIE = 37
MEMORY_BYTES_PER_DEPARTURE = 513


def memory_estimate(scenario: Scenario) -> int:
    """Bytes a run of ``scenario`` needs at its peak (the measured line of benchmarks/memory.py).

    Example:
        >>> round(memory_estimate(Scenario(market={"size": 1_000_000})) / 2**30, 2)  # GiB
        1.34
    """
    return int(
        MEMORY_FIXED_BYTES
        + MEMORY_BYTES_PER_PERSON * scenario.market.size
        + MEMORY_BYTES_PER_TIE * ties(scenario)
        + MEMORY_BYTES_PER_DEPARTURE * departures(scenario)
    )


def departures(scenario: Scenario) -> float:
    """The expected number of people who leave the market (die or move) during the run: the
    personas' weekly chance of leaving, weighted by their shares, x people x weeks."""
    churn = scenario.behaviours.churn
    total = sum(p.share for p in scenario.personas.values())
    weekly = 0.0
    for persona in scenario.personas.values():
        hazard = (churn.died and churn.enabled) * _weekly_hazard(persona.death_rate) + (
            churn.moved and churn.enabled
        ) * _weekly_hazard(persona.move_rate)
        weekly += persona.share / total * -math.expm1(-hazard)
    return weekly * scenario.market.size * scenario.run.weeks


def _weekly_hazard(yearly: float) -> float:
    # as sim.agents.customers.weekly_hazard (not imported: it would load NumPy and SciPy)
    return -math.log1p(-min(yearly, 1 - 1e-12)) / 52.0


def ties(scenario: Scenario) -> int:
    """The expected number of ties (undirected pairs) of the scenario's network."""
    network, size = scenario.network, scenario.market.size
    if network.type in ("watts_strogatz", "erdos_renyi"):
        return math.ceil(size * network.mean_degree / 2)
    if network.type in ("barabasi_albert", "powerlaw_cluster"):
        return size * network.attach
    if network.type == "edge_list":
        return _edge_list_lines(network.path, scenario.source or "<scenario>")
    return 0  # complete: mean field, no ties stored


def _edge_list_lines(path: str, source: str) -> int:
    """The lines of an edge-list network's file (at most its ties), after checking that it is a
    non-empty, readable UTF-8 text file; a ScenarioError naming the scenario, key and path if not.
    (Each line's two person ids are checked against market.size when the network is built.)"""
    where = f"{source}: network.path = {path!r}"
    file = Path(path)
    try:
        if not file.exists():
            raise ScenarioError(f"{where}: edge-list file not found")
        if not file.is_file():
            raise ScenarioError(f"{where}: not a file; an edge list is a text file of 'a b' person-id pairs")
        stat = file.stat()
        if stat.st_size == 0:
            raise ScenarioError(
                f"{where}: the edge-list file is empty; it holds one 'a b' pair of person ids a line"
            )
        return _count_lines(str(file), stat.st_mtime_ns, stat.st_size)
    except UnicodeDecodeError as error:
        raise ScenarioError(f"{where}: not UTF-8 text ({error.reason}); an edge list is text") from None
    except OSError as error:
        raise ScenarioError(f"{where}: cannot read the edge-list file: {error.strerror or error}") from None


@functools.lru_cache(maxsize=16)
def _count_lines(path: str, modified_ns: int, size: int) -> int:
    """Lines of a UTF-8 text file (raises UnicodeDecodeError if it is not), read in pieces; cached
    by modification time and size, since every override of the scenario asks again."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    lines = 0
    with open(path, "rb") as handle:
        while piece := handle.read(1 << 20):
            decoder.decode(piece)
            lines += piece.count(b"\n")
        decoder.decode(b"", final=True)
    return max(lines, 1)


_memory_read: tuple[float, int | None] = (-math.inf, None)  # (when, bytes): read at most once a second


def available_memory() -> int | None:
    """Bytes this process may still allocate: the system's MemAvailable, or less when a
    control group (a container) limits it; None where neither can be read (not Linux). Read
    at most once a second (a sweep validates hundreds of points)."""
    global _memory_read
    now = time.monotonic()
    if now - _memory_read[0] > 1.0:
        _memory_read = (now, _read_available_memory())
    return _memory_read[1]


def _read_available_memory() -> int | None:
    available = None
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    available = int(line.split()[1]) * 1024
                    break
    except (OSError, ValueError, IndexError):
        pass
    if available is None:
        try:
            available = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        except (AttributeError, ValueError, OSError):
            return None
    for limit_file, usage_file in (
        ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),  # cgroup v2
        ("/sys/fs/cgroup/memory/memory.limit_in_bytes", "/sys/fs/cgroup/memory/memory.usage_in_bytes"),
    ):
        try:
            limit = int(Path(limit_file).read_text().strip())  # "max" (no limit) fails here
            usage = int(Path(usage_file).read_text().strip())
        except (OSError, ValueError):
            continue
        available = min(available, max(limit - usage, 0))
    return available


def check_memory(scenario: Scenario) -> None:
    """Refuse a market too large for this machine's memory, with the estimate and what is free.

    Raises:
        ScenarioError: naming the file, ``market.size``, the estimate and the memory available.
    """
    needed = memory_estimate(scenario)
    available = available_memory()
    if available is None or needed <= available:
        return
    size = scenario.market.size
    count = ties(scenario)
    leaving = departures(scenario)
    # The largest market that would fit, at this network's ties and departures a person.
    per_person = (
        MEMORY_BYTES_PER_PERSON + (MEMORY_BYTES_PER_TIE * count + MEMORY_BYTES_PER_DEPARTURE * leaving) / size
    )
    largest = max(0, int((available - MEMORY_FIXED_BYTES) / per_person))
    raise ScenarioError(
        f"{scenario.source or '<scenario>'}: market.size = {size}: too large for this machine's memory: "
        f"a run needs about {needed / 2**30:.1f} GiB ({MEMORY_BYTES_PER_PERSON} bytes a person, "
        f"{MEMORY_BYTES_PER_TIE} a tie for {count:,} ties, {MEMORY_BYTES_PER_DEPARTURE} a departure for "
        f"{leaving:,.0f} expected, {MEMORY_FIXED_BYTES // 2**20} MiB fixed), "
        f"{available / 2**30:.1f} GiB is available; at most about {largest:,} people fit"
    )


# --------------------------------------------------------------------------- loading


def read_toml(path: str | os.PathLike[str], kind: str) -> dict[str, Any]:
    """The tables of a TOML file, or a ScenarioError naming the file and what is wrong with it:
    not found, a folder or other non-file, unreadable, larger than MAX_FILE_BYTES, not UTF-8 text,
    empty, or not valid TOML (with the parser's line and column).

    Example:
        >>> read_toml("scenarios", "scenario file")
        Traceback (most recent call last):
        ...
        sim.scenario.ScenarioError: scenarios: is a folder, not a scenario file (give a .toml file)
    """
    file = Path(path)
    try:
        if file.is_dir():
            raise ScenarioError(f"{path}: is a folder, not a {kind} (give a .toml file)")
        if file.exists() and not file.is_file():  # a device or a pipe would be read forever
            raise ScenarioError(f"{path}: is not a regular file; a {kind} is a TOML text file")
        if file.exists() and file.stat().st_size > MAX_FILE_BYTES:
            raise ScenarioError(
                f"{path}: {file.stat().st_size:,} bytes; a {kind} is TOML text of at most "
                f"{MAX_FILE_BYTES:,} bytes"
            )
        raw = file.read_bytes()
    except FileNotFoundError:
        raise ScenarioError(f"{path}: {kind} not found") from None
    except OSError as error:  # permission denied, a name too long, ...
        raise ScenarioError(f"{path}: cannot read the {kind}: {error.strerror or error}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ScenarioError(
            f"{path}: not UTF-8 text (byte {error.start} is 0x{raw[error.start]:02x}); a {kind} is TOML text"
        ) from None
    guide = "docs/research.md" if "targets" in kind else "docs/scenario.md"
    if not text.strip():
        raise ScenarioError(f"{path}: the {kind} is empty; see {guide} for what it holds")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ScenarioError(f"{path}: not valid TOML: {error}") from None
    except RecursionError:
        raise ScenarioError(f"{path}: not valid TOML: arrays or tables nested too deeply") from None
    if not data:
        raise ScenarioError(f"{path}: the {kind} holds only comments; see {guide} for its tables")
    return data


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
        # Each value alone may fit in memory and the largest market with the most ties not:
        # check that point too (the values that size the market: its size and the network's degree).
        largest = {
            key: max(values if isinstance(values, list) else (values.low, values.high))
            for key, values in scenario.sweep.keys.items()
            if key in ("market.size", "network.mean_degree", "network.attach")
            and all(isinstance(v, int | float) for v in (values if isinstance(values, list) else [0]))
        }
        if len(largest) > 1:
            try:
                base.with_overrides(largest)
            except ScenarioError as error:
                raise ScenarioError(f"in [sweep.keys] at {largest}: {error}") from None
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
        scenario = Scenario.model_validate({**data, "source": source})
    except ValidationError as error:
        raise ScenarioError(_format_errors(error, source or "<scenario>", data)) from None
    check_memory(scenario)
    return scenario


# Pydantic's errors that only say a value is not of one member's type: when a union (a list or a
# range, a number or nothing) has a more telling error at the same key, that one is shown.
_TYPE_ERRORS = {"list_type", "dict_type", "model_type", "model_attributes_type", "float_type", "int_type"}


def _format_errors(error: ValidationError, source: str, data: dict[str, Any]) -> str:
    """One line: the first problem in full (file, dotted key, value, what is allowed), then the
    keys of any others (fix one, validate again)."""
    problems: dict[str, tuple[bool, str]] = {}  # dotted key -> (a type mismatch only, its line)
    for item in error.errors():
        loc = _strip_union_tags(item["loc"], data)
        dotted = _dotted(loc) or "(top level)"
        if item["type"] == "extra_forbidden":
            allowed = _allowed_keys(item["loc"][:-1])
            parent = _dotted(loc[:-1])
            where = f"[{parent}]" if parent else "the top level"
            line = (
                f"{source}: {dotted} = {_show(item['input'])}: unknown key; "
                f"allowed keys in {where}: {', '.join(allowed)}"
            )
        elif item["type"] == "union_tag_invalid":
            context = item.get("ctx", {})
            line = (
                f"{source}: {dotted}.{context.get('discriminator', 'type').strip(chr(39))} = "
                f"{context.get('tag')!r}: not a known type; allowed: {context.get('expected_tags')}"
            )
        elif item["type"] == "missing":
            line = f"{source}: {dotted}: required key is missing"
        else:
            message = item["msg"].removeprefix("Value error, ")
            if not loc:  # a check across tables: its message names the keys itself
                line = f"{source}: {message}"
            else:
                line = f"{source}: {dotted} = {_show(_lookup(data, loc, item.get('input')))}: {message}"
        mismatch = item["type"] in _TYPE_ERRORS
        if dotted not in problems or (problems[dotted][0] and not mismatch):
            problems[dotted] = (mismatch, line)
    lines = [line for _, line in problems.values()]
    more = list(problems)[1:]
    if more:
        shown = ", ".join(more[:5]) + (", ..." if len(more) > 5 else "")
        return f"{lines[0]} (and {len(more)} more: {shown})"
    return lines[0]


def _dotted(parts: tuple[Any, ...]) -> str:
    """A location as a TOML dotted key: bare parts as they are, others quoted (``a."b c".d``), so
    that a key holding a control character or a dot cannot break or fake the message."""
    return ".".join(
        str(p)
        if isinstance(p, int) or (str(p) and all(c.isascii() and (c.isalnum() or c in "_-") for c in str(p)))
        else json.dumps(str(p), ensure_ascii=False)
        for p in parts
    )


def _show(value: Any) -> str:
    text = str(value) if isinstance(value, datetime.date | datetime.time) else repr(value)
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


def _strip_union_tags(loc: tuple[Any, ...], data: Any) -> tuple[Any, ...]:
    """The location as the user wrote it: pydantic puts the member of a union it tried into the
    location (``network.watts_strogatz.rewire``, ``sweep.keys.x.list[any]``); users never wrote it."""
    out = []
    node = data
    for index, part in enumerate(loc):
        written = (isinstance(node, dict) and part in node) or (
            isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        )
        tag = isinstance(part, str) and (
            "[" in part
            or part[:1].isupper()
            or (index == 1 and loc[0] == "network" and part in _NETWORK_TAGS)
        )
        # a tag pydantic added, or a key inside a value the user wrote as a plain number (a
        # trait's ``value``, filled in by the constant distribution it stands for)
        if not written and (tag or (node is not None and not isinstance(node, dict | list))):
            continue
        out.append(part)
        node = node[part] if written else None
    return tuple(out)


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
