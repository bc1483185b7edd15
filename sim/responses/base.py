"""Response: a firm's policy for reacting to its rivals, rule by rule, with delay and cool-down.

Owns the weekly decision (step 1, before the firm's strategy prices and spends): perceive the
market ``delay`` weeks late (:class:`sim.responses.perception.Perception`), for each rule whose
trigger holds and whose cool-down has passed take its actions (:class:`ResponseState`), record what
it saw and did (:class:`Reaction`), and withdraw every reaction after ``revert_after`` quiet weeks.
A personality is a subclass whose :meth:`Response.rules_for` builds its rules from its parameters
(:mod:`sim.responses.personalities`); a custom response overrides :meth:`Response.decide`.

Writing a custom response (see docs/model.md, "Rivals that respond"):

    >>> from sim.responses import Response, register_response
    >>> @register_response("match_us_only")
    ... class MatchUsOnly(Response):
    ...     '''Matches firm "us" when it is more than 10% cheaper, never below cost plus 5%.'''
    ...     def decide(self, view):
    ...         price = view.rival_price("us")
    ...         if price is None or price >= 0.9 * view.own_price:
    ...             return False  # its trigger does not hold
    ...         if self.ready("match us", view.now):
    ...             self.take("match us", f"us at {price:.2f}", view,
    ...                       {"kind": "match_price", "floor_margin": 0.05}, rival="us")
    ...         return True
    >>> from sim.registry import resolve_response_class
    >>> resolve_response_class("match_us_only").__name__
    'MatchUsOnly'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import TypeAdapter

from sim.responses.perception import Perception
from sim.responses.state import ResponseState
from sim.responses.triggers import Seen, seen
from sim.scenario.responses import Action, ResponseConfig, RuleConfig

if TYPE_CHECKING:
    from sim.agents.firm import Firm
    from sim.model import CustomerMarket

_ACTION = TypeAdapter(Action)


@dataclass(frozen=True)
class Reaction:
    """What a firm's response did in a week: the rule, what the firm saw, what it did."""

    week: int
    firm: str
    rule: str
    saw: str
    did: str

    def as_dict(self) -> dict[str, Any]:
        return {"week": self.week, "firm": self.firm, "rule": self.rule, "saw": self.saw, "did": self.did}


class Response:
    """A firm's response policy: its rules, perception delay, cool-down and withdrawal.

    Args:
        config: the firm's ``[firms.<name>.response]`` table.
        log: where reactions are recorded (the market's list; a new one by default).
    """

    name: ClassVar[str] = "custom"

    def __init__(self, config: ResponseConfig, log: list[Reaction] | None = None) -> None:
        self.config = config
        self.delay = config.delay
        self.cooldown = config.cooldown
        self.revert_after = config.revert_after
        self.rules: list[RuleConfig] = config.all_rules()
        self.state = ResponseState()
        self.log: list[Reaction] = [] if log is None else log
        self._acted: dict[str, int] = {}  # rule -> the last week it changed something
        self._quiet = 0  # weeks in a row in which no trigger held
        self._firm: Firm | None = None

    @classmethod
    def rules_for(cls, **params: Any) -> list[RuleConfig]:
        """The rules this personality follows with ``params`` (``[...response.params]``); none by
        default. Raises TypeError on an unknown or invalid parameter. A class that overrides
        :meth:`decide` takes any parameters and reads them from ``self.config.params`` (override
        this method to check them)."""
        if params and cls.decide is Response.decide:
            raise TypeError(f"unknown parameter {next(iter(params))!r} for personality {cls.name!r}")
        return []

    # ------------------------------------------------------------------ the week

    def react(self, firm: Firm, market: CustomerMarket, planned_price: float | None = None) -> None:
        """Step 1, once the strategy has set this week's price (``planned_price``; default the
        price charged now) and before it spends: perceive, take the actions of the rules that fire,
        and withdraw every reaction after ``revert_after`` weeks in which no trigger held."""
        self._firm = firm
        view = Perception(market, firm, self.delay, planned_price)
        if not view.known:
            return
        if self.decide(view):
            self._quiet = 0
            return
        self._quiet += 1
        if self.revert_after is not None and self._quiet >= self.revert_after and not self.state.neutral:
            self.state.withdraw()
            self._acted.clear()
            self.log.append(
                Reaction(
                    view.now,
                    firm.name,
                    "withdrawn",
                    f"no trigger for {self._quiet} weeks",
                    "back to its plan",
                )
            )

    def decide(self, view: Perception) -> bool:
        """The rules in order: each whose trigger holds acts if its cool-down has passed. Returns
        whether any trigger held. Override it to react in Python (:meth:`ready`, :meth:`take`)."""
        held = False
        for rule in self.rules:
            saw = seen(rule.when, view)
            if saw is None:
                continue
            held = True
            cooldown = self.cooldown if rule.cooldown is None else rule.cooldown
            if self.ready(rule.name, view.now, cooldown):
                self._take(rule.name, saw, view, rule.then)
        return held

    def ready(self, rule: str, week: int, cooldown: int | None = None) -> bool:
        """Whether ``rule`` may act in ``week``: it never acted, or its cool-down (the response's
        by default) has passed since it last changed something."""
        last = self._acted.get(rule)
        wait = self.cooldown if cooldown is None else cooldown
        return last is None or week - last >= wait

    def take(self, rule: str, saw: str, view: Perception, *actions: Any, rival: str | None = None) -> bool:
        """Take ``actions`` (tables as in ``then``, or action objects) for ``rule``, having seen
        ``saw`` (about ``rival``, if one); records a reaction if anything changed. Returns whether
        anything changed."""
        checked = [_ACTION.validate_python(a) if isinstance(a, dict) else a for a in actions]
        return self._take(rule, Seen(saw, rival), view, checked)

    def _take(self, rule: str, saw: Seen, view: Perception, actions: list[Action]) -> bool:
        firm = self._firm
        assert firm is not None, "react() sets the firm before deciding"
        done = [self.state.apply(f"{rule}#{i}", action, saw, view, firm) for i, action in enumerate(actions)]
        did = [what for what in done if what]
        if did:
            self._acted[rule] = view.now
            self.log.append(Reaction(view.now, firm.name, rule, saw.what, "; ".join(did)))
        return bool(did)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(rules={[r.name for r in self.rules]}, delay={self.delay})"
