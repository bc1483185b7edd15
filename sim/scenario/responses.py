"""A firm's response policy: ``[firms.<name>.response]``, the rules by which it reacts to rivals.

Owns the schema of a response (its personality, perception delay, cool-down and rules) and of each
rule's trigger (``when``) and actions (``then``). What a response does in a running market, and
what a firm can perceive, is :mod:`sim.responses`; the rules of the built-in personalities and
every equation are in docs/model.md, "Rivals that respond".

A rule fires when its trigger holds on what the firm perceives ``delay`` weeks late, and not again
for ``cooldown`` weeks after it changed something. Triggers (``when = {kind = ...}``):

- ``share_lost``: the firm's share of all customers fell by more than ``points`` (0.02 = two
  points) over the last ``weeks`` weeks;
- ``rival_price_below``: a rival's price (``rival`` by name, or ``"any"``) is below the firm's own
  by more than ``by`` (a share of its own price);
- ``lost_to_rival``: customers lost to a rival (by name or ``"any"``), averaged over ``weeks``
  weeks, above ``per_week`` (people) or ``share_per_week`` (a share of its own customers);
- ``acquisitions_below``: the firm's acquisitions, averaged over ``weeks`` weeks, below
  ``per_week`` or ``share_per_week`` (a share of its own customers).

Actions (``then = [{kind = ...}, ...]``):

- ``match_price``: price down to the rival's (the one that triggered it, else the cheapest in the
  market) less ``undercut``, never below the floor (``floor_price``, or the price at which the margin
  rate is ``floor_margin``; default: the cost per purchase); never a rise;
- ``raise_budget``: the weekly budget up by ``by`` of the planned budget, at most ``cap`` times it;
- ``shift_split``: move ``share`` of the spend from the levers ``from`` (default: every funded lever
  not in ``to``) to the levers ``to`` (in equal parts);
- ``win_back``: for ``weeks`` weeks, move ``share`` of the spend to ``levers`` (default reactivation
  and poaching: the firm's dormant customers and its rivals' customers, who include those it lost).

Example:
    >>> response = ResponseConfig.model_validate({"personality": "passive", "rules": [
    ...     {"name": "match", "when": {"kind": "rival_price_below", "rival": "any", "by": 0.05},
    ...      "then": [{"kind": "match_price", "floor_margin": 0.1}]}]})
    >>> response.rules[0].when.kind, response.delay
    ('rival_price_below', 2)
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from sim.values import MAX_WEEKS, Real, Strict, Whole

ANY_RIVAL = "any"  # a trigger or action on every rival in the market
WIN_BACK_LEVERS = ("reactivation", "poaching")


class _Per(Strict):
    """A threshold per week: a number of people, or a share of the firm's own customers."""

    per_week: Real | None = Field(None, ge=0)  # people a week
    share_per_week: Real | None = Field(None, ge=0, le=1)  # share of its own customers a week
    weeks: Whole = Field(4, ge=1, le=MAX_WEEKS)  # weeks the count is averaged over

    @model_validator(mode="after")
    def _one_threshold(self) -> _Per:
        if (self.per_week is None) == (self.share_per_week is None):
            raise ValueError(
                "give exactly one of per_week (people a week) or share_per_week (a share of its customers)"
            )
        return self


class ShareLost(Strict):
    kind: Literal["share_lost"]
    points: Real = Field(gt=0, le=1)  # share of all customers lost (0.02 = two points)
    weeks: Whole = Field(8, ge=1, le=MAX_WEEKS)  # over this many weeks


class RivalPriceBelow(Strict):
    kind: Literal["rival_price_below"]
    rival: str = ANY_RIVAL  # a firm's name, or "any"
    by: Real = Field(0.0, ge=0, lt=1)  # by more than this share of the firm's own price


class LostToRival(_Per):
    kind: Literal["lost_to_rival"]
    rival: str = ANY_RIVAL


class AcquisitionsBelow(_Per):
    kind: Literal["acquisitions_below"]


Trigger = Annotated[
    ShareLost | RivalPriceBelow | LostToRival | AcquisitionsBelow, Field(discriminator="kind")
]
TRIGGER_KINDS = ("share_lost", "rival_price_below", "lost_to_rival", "acquisitions_below")


class MatchPrice(Strict):
    kind: Literal["match_price"]
    undercut: Real = Field(0.0, ge=0, lt=1)  # price this share below the rival's
    floor_margin: Real | None = Field(None, ge=0, lt=1)  # never a lower margin rate than this
    floor_price: Real | None = Field(None, gt=0)  # never a lower price than this

    @model_validator(mode="after")
    def _one_floor(self) -> MatchPrice:
        if self.floor_margin is not None and self.floor_price is not None:
            raise ValueError("give at most one of floor_margin and floor_price")
        return self


class RaiseBudget(Strict):
    kind: Literal["raise_budget"]
    by: Real = Field(gt=0, le=10)  # share of the planned budget added each time it fires
    cap: Real = Field(2.0, ge=1, le=100)  # at most this multiple of the planned budget


class ShiftSplit(Strict):
    kind: Literal["shift_split"]
    to: list[str] = Field(min_length=1)  # levers that receive the money
    share: Real = Field(gt=0, le=1)  # share of the spend on the `from` levers moved
    from_: list[str] | None = Field(None, alias="from", min_length=1)  # default: funded levers not in `to`


class WinBack(Strict):
    kind: Literal["win_back"]
    share: Real = Field(gt=0, le=1)  # share of the week's spend on the campaign
    weeks: Whole = Field(8, ge=1, le=MAX_WEEKS)  # how long the campaign runs
    levers: list[str] = Field(default_factory=lambda: list(WIN_BACK_LEVERS), min_length=1)


Action = Annotated[MatchPrice | RaiseBudget | ShiftSplit | WinBack, Field(discriminator="kind")]
ACTION_KINDS = ("match_price", "raise_budget", "shift_split", "win_back")


class RuleConfig(Strict):
    """One rule of a response: when it fires, what it does, how long before it fires again."""

    name: str = Field(min_length=1, max_length=100)  # shown in results and on figures
    when: Trigger
    then: list[Action] = Field(min_length=1, max_length=10)
    cooldown: Whole | None = Field(None, ge=0, le=MAX_WEEKS)  # default: the response's

    @field_validator("then", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, dict) else value


class ResponseConfig(Strict):
    """``[firms.<name>.response]``: a personality (its rules from ``params``) and/or rules."""

    personality: str = (
        "passive"  # passive, price_matcher, retaliator, defender, aggressor, or "pkg.module:Class"
    )
    params: dict[str, float | int | str | bool] = Field(default_factory=dict)  # the personality's parameters
    rules: list[RuleConfig] = Field(default_factory=list, max_length=100)  # added to the personality's
    delay: Whole = Field(2, ge=0, le=52)  # weeks before the firm perceives what happened
    cooldown: Whole = Field(4, ge=0, le=MAX_WEEKS)  # weeks before a rule that acted may act again
    # Weeks in a row with no trigger holding after which every reaction is withdrawn (price back
    # to plan, budget back, shifts off); none: a reaction stays.
    revert_after: Whole | None = Field(None, ge=1, le=MAX_WEEKS)

    @field_validator("personality")
    @classmethod
    def _known_personality(cls, value: str) -> str:
        from sim.registry import resolve_response_class

        resolve_response_class(value)  # raises ValueError naming the allowed personalities
        return value

    @model_validator(mode="after")
    def _personality_accepts_params(self) -> ResponseConfig:
        self.all_rules()
        return self

    def personality_rules(self) -> list[RuleConfig]:
        """The rules the personality builds from ``params``."""
        from sim.registry import resolve_response_class

        try:
            return resolve_response_class(self.personality).rules_for(**self.params)
        except TypeError as error:
            raise ValueError(f"params: {error}") from None

    def all_rules(self) -> list[RuleConfig]:
        """The personality's rules (built from ``params``) followed by the table's own."""
        return [*self.personality_rules(), *self.rules]


def check_response(
    firm: str, response: ResponseConfig, firms: dict[str, Any], funded: set[str] | None, lever_names: set[str]
) -> str | None:
    """What is wrong with firm ``firm``'s response against the rest of the scenario (a message
    naming the dotted key, the value and what is allowed), or None. ``firms`` maps names to firm
    tables; ``funded`` is the levers the firm's strategy funds (None: not known, a strategy that
    allocates as it goes)."""
    where = f"firms.{firm}.response"
    for rule in response.personality_rules():  # the personality's rules come from its params
        problem = _check_rule(firm, rule, firms, funded, lever_names)
        if problem:
            key, message = problem
            return (
                f"{where}.params (personality {response.personality!r}, rule {rule.name!r}, {key}): {message}"
            )
    for index, rule in enumerate(response.rules):
        problem = _check_rule(firm, rule, firms, funded, lever_names)
        if problem:
            key, message = problem
            return f"{where}.rules.{index}.{key} (rule {rule.name!r}): {message}"
    return None


def _check_rule(
    firm: str, rule: RuleConfig, firms: dict[str, Any], funded: set[str] | None, lever_names: set[str]
) -> tuple[str, str] | None:
    """(the rule's dotted key, what is wrong with it), or None."""
    config = firms[firm]
    rivals = [name for name in firms if name != firm]
    rival = getattr(rule.when, "rival", None)
    if rival is not None and rival != ANY_RIVAL and rival not in rivals:
        return "when.rival", f"{rival!r} is no rival of {firm!r}; allowed: {', '.join([ANY_RIVAL, *rivals])}"
    for number, action in enumerate(rule.then):
        at = f"then.{number}"
        if isinstance(action, MatchPrice):
            floor = action_floor(action, config.price * (1 - config.margin))
            if floor > config.price * (1 + 1e-12):
                given = (
                    ("floor_price", f"{action.floor_price:g}")
                    if action.floor_price is not None
                    else ("floor_margin", f"{action.floor_margin:g} (a floor price of {floor:.4g})")
                )
                return (
                    f"{at}.{given[0]}",
                    f"{given[1]} is above the firm's price {config.price:g}; "
                    f"a floor must be at or below firms.{firm}.price",
                )
        elif isinstance(action, RaiseBudget):
            if config.budget <= 0:
                return (
                    f"{at}.kind",
                    f"'raise_budget' on firms.{firm}.budget = 0: there is no planned budget to raise; "
                    "give the firm a budget or drop the action",
                )
            if funded is not None and not funded:
                return (
                    f"{at}.kind",
                    f"'raise_budget': the firm funds no lever (strategy {config.strategy!r}), so a raised "
                    "budget would never be spent; give it a strategy that spends or drop the action",
                )
        else:
            key = "to" if isinstance(action, ShiftSplit) else "levers"
            for lever in action.to if isinstance(action, ShiftSplit) else action.levers:
                if lever not in lever_names:
                    return f"{at}.{key}", f"unknown lever {lever!r}; levers: {', '.join(sorted(lever_names))}"
            if funded is None:
                continue
            if isinstance(action, ShiftSplit) and action.from_ is not None:
                for lever in action.from_:
                    if lever not in funded:
                        return (
                            f"{at}.from",
                            f"{lever!r}: the firm does not fund this lever (strategy {config.strategy!r}); "
                            f"levers it funds: {', '.join(sorted(funded)) or 'none'}",
                        )
            elif not funded or config.budget <= 0:
                return (
                    f"{at}.kind",
                    f"{action.kind!r}: the firm funds no lever (strategy {config.strategy!r}, budget "
                    f"{config.budget:g}), so there is no spend to move",
                )
    return None


def action_floor(action: MatchPrice, unit_cost: float) -> float:
    """The lowest price ``action`` may set for a firm whose cost per purchase is ``unit_cost``
    (a scenario's ``price x (1 - margin)``): its ``floor_price``, else the price that keeps a
    margin rate of ``floor_margin`` (default 0: cost).

    Example:
        >>> action_floor(MatchPrice(kind="match_price", floor_margin=0.2), 40.0 * (1 - 0.5))
        25.0
    """
    if action.floor_price is not None:
        return float(action.floor_price)
    return unit_cost / (1 - (action.floor_margin or 0.0))
