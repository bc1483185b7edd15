"""The built-in response personalities: passive, price matcher, retaliator, defender, aggressor.

Each is a preset of rules built from a few parameters (``[firms.<name>.response.params]``), with
the defaults below; docs/model.md ("Rivals that respond") gives each one's rules in words. A
personality's delay, cool-down and withdrawal are the response table's (``delay``, ``cooldown``,
``revert_after``), whose defaults suit all of them; rules in the table are added to its own.

- **passive**: never reacts (the rival of every plan so far).
- **price_matcher**: when a rival's price is more than ``tolerance`` below its own, it matches it
  (less ``undercut``), never below the price that keeps a margin rate of ``floor_margin``.
- **retaliator**: when its share of customers fell by more than ``share_points`` over ``window``
  weeks, it raises its budget by ``step`` of the planned budget, up to ``cap`` times it.
- **defender**: when it loses more than ``lost_share`` of its customers a week to rivals (over
  ``window`` weeks), it moves ``shift`` of its spend to retention offers, service and complaint
  handling, and runs a win-back campaign (``win_back_share`` of spend for ``win_back_weeks``).
- **aggressor**: when it wins fewer than ``target_share`` of its customers a week (over ``window``
  weeks), it undercuts the cheapest rival by ``undercut`` (down to ``floor_margin``) and moves
  ``poach_share`` of its spend to poaching and acquisition discounts.

Example:
    >>> [rule.name for rule in PriceMatcher.rules_for(undercut=0.02)]
    ['match the cheapest rival']
    >>> Retaliator.rules_for()[0].then[0].cap
    2.0
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import ValidationError

from sim.registry import register_response
from sim.responses.base import Response
from sim.scenario.responses import RuleConfig


def _rule(**table: Any) -> RuleConfig:
    """A rule from its table; a parameter out of range is a TypeError naming it (as the
    strategies' parameters are), which the scenario reports under ``response.params``."""
    try:
        return RuleConfig.model_validate(table)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise TypeError(f"{where} = {first.get('input')!r}: {first['msg']}") from None


def _numbers(name: str, given: dict[str, Any], defaults: dict[str, float]) -> dict[str, float]:
    unknown = sorted(set(given) - set(defaults))
    if unknown:
        raise TypeError(
            f"unknown parameter {unknown[0]!r} for personality {name!r}; parameters: {', '.join(defaults)}"
        )
    values = {**defaults, **given}
    for key, value in values.items():
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise TypeError(f"{key} = {value!r}: a number is needed")
    return values


@register_response("passive")
class Passive(Response):
    """Never reacts: no rules of its own (rules in the table still apply)."""


@register_response("price_matcher")
class PriceMatcher(Response):
    """Matches a cheaper rival's price, down to a margin floor."""

    defaults: ClassVar[dict[str, float]] = {"tolerance": 0.02, "undercut": 0.0, "floor_margin": 0.05}

    @classmethod
    def rules_for(cls, **params: Any) -> list[RuleConfig]:
        p = _numbers(cls.name, params, cls.defaults)
        return [
            _rule(
                name="match the cheapest rival",
                when={"kind": "rival_price_below", "rival": "any", "by": p["tolerance"]},
                then=[{"kind": "match_price", "undercut": p["undercut"], "floor_margin": p["floor_margin"]}],
            )
        ]


@register_response("retaliator")
class Retaliator(Response):
    """Raises its spend when it loses share, up to a cap."""

    defaults: ClassVar[dict[str, float]] = {"share_points": 0.01, "window": 8, "step": 0.25, "cap": 2.0}

    @classmethod
    def rules_for(cls, **params: Any) -> list[RuleConfig]:
        p = _numbers(cls.name, params, cls.defaults)
        return [
            _rule(
                name="retaliate with spend",
                when={"kind": "share_lost", "points": p["share_points"], "weeks": p["window"]},
                then=[{"kind": "raise_budget", "by": p["step"], "cap": p["cap"]}],
            )
        ]


@register_response("defender")
class Defender(Response):
    """Defends its customers (retention, service, complaints) and wins back those it lost."""

    defaults: ClassVar[dict[str, float]] = {
        "lost_share": 0.002,
        "window": 4,
        "shift": 0.3,
        "win_back_share": 0.15,
        "win_back_weeks": 8,
    }

    @classmethod
    def rules_for(cls, **params: Any) -> list[RuleConfig]:
        p = _numbers(cls.name, params, cls.defaults)
        return [
            _rule(
                name="defend the base",
                when={
                    "kind": "lost_to_rival",
                    "rival": "any",
                    "share_per_week": p["lost_share"],
                    "weeks": p["window"],
                },
                then=[
                    {
                        "kind": "shift_split",
                        "to": ["retention_offers", "service_quality", "complaint_handling"],
                        "share": p["shift"],
                    },
                    {"kind": "win_back", "share": p["win_back_share"], "weeks": p["win_back_weeks"]},
                ],
            )
        ]


@register_response("aggressor")
class Aggressor(Response):
    """When its growth stalls, undercuts the cheapest rival and poaches."""

    defaults: ClassVar[dict[str, float]] = {
        "target_share": 0.004,
        "window": 4,
        "undercut": 0.05,
        "floor_margin": 0.1,
        "poach_share": 0.3,
    }

    @classmethod
    def rules_for(cls, **params: Any) -> list[RuleConfig]:
        p = _numbers(cls.name, params, cls.defaults)
        return [
            _rule(
                name="attack",
                when={
                    "kind": "acquisitions_below",
                    "share_per_week": p["target_share"],
                    "weeks": p["window"],
                },
                then=[
                    {"kind": "match_price", "undercut": p["undercut"], "floor_margin": p["floor_margin"]},
                    {
                        "kind": "shift_split",
                        "to": ["poaching", "acquisition_discount"],
                        "share": p["poach_share"],
                    },
                ],
            )
        ]
