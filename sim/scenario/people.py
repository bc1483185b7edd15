"""The people of a scenario: ``[personas.<name>]`` and the distributions of their traits.

Owns :class:`Dist` (how a trait is spread across people: constant, uniform, beta, gamma or
lognormal), the allowed range of each trait, :class:`Persona` (a segment of the market and its
traits) and the three personas a scenario without any gets.

Example:
    >>> Persona(purchase_rate=0.5).purchase_rate
    Dist(dist='constant', value=0.5, low=None, high=None, mean=None, sd=None, cv=None)
"""

from __future__ import annotations

import math
from typing import Any, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from sim.scenario.levers import LeversConfig
from sim.values import MAX_CV, MAX_TRAIT, Real, Strict

# --------------------------------------------------------------------------- distributions


class Dist(Strict):
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


class Persona(Strict):
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
    channel_response: dict[str, Real] = Field(
        default_factory=dict
    )  # lever -> response multiplier (e.g. search_ads = 1.5)
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
