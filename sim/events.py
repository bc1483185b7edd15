"""The timeline of a running market: which events strike each week and what they change.

Owns how the scenario's ``[[events]]`` (:mod:`sim.scenario.events`) act on a market: each week,
before the firms act, the events due strike (a fixed week, the first week of a window, or a
probabilistic event whose own random draw falls below its weekly chance), and every event still
under way sets the scenario values it moves (a step, a ramp, yearly growth, a temporary shift that
ends at its window's end). Firms enter and exit here, and a live trigger (the dashboard's "the
rival cuts its price now") strikes an event in the current week. The equations are in
docs/model.md, "Market events".

Every value an event moves is a scenario value the weekly step reads afresh, so an event acts by
giving the market a new scenario (:meth:`sim.model.CustomerMarket.use_scenario`) and nothing else
in the week changes order. Events draw only from their own streams ("event:<name>"), so a run with
an event is the run without it in every week before it strikes.

Example:
    >>> from sim import CustomerMarket, load_scenario
    >>> scenario = load_scenario("scenarios/baseline.toml", {"market.size": 300, "run.weeks": 8})
    >>> scenario = scenario.with_events([{"name": "cut", "kind": "change", "week": 3,
    ...     "key": "firms.rival.price", "value": 30}])
    >>> market = CustomerMarket(scenario)
    >>> market.run_model(); [(e.name, e.week) for e in market.timeline.struck]
    [('cut', 3)]
    >>> market.firm("rival").price
    30.0
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.scenario.events import EVENT_ADAPTER

if TYPE_CHECKING:
    from sim.model import CustomerMarket
    from sim.scenario import Scenario

WEEKS_PER_YEAR = 52.0


@dataclass(frozen=True)
class Struck:
    """An event that struck: its name and kind, the week it struck, and the week its lasting
    effect ends (None: for ever, or nothing lasts)."""

    name: str
    kind: str
    week: int
    end: int | None
    live: bool = False  # triggered by hand while the market ran (the dashboard), not by the file

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "week": self.week, "end": self.end, "live": self.live}


@dataclass
class ValuePath:
    """How one scenario value moves once an event struck: ``shape`` is "step" (to ``target``,
    straight over ``ramp`` weeks), "growth" (x (1 + ``rate``) a year), "add" (``+ target``) or
    "scale" (``x target``); from week ``start`` until week ``end`` (exclusive; None for ever), when
    a "step", "add" or "scale" returns to ``before`` (its value when the event struck) and a
    "growth" stays where it got to."""

    key: str
    shape: str
    start: int
    before: float | Any
    target: float | Any = None
    ramp: int = 0
    rate: float = 0.0
    end: int | None = None
    whole: bool = False  # the key takes whole numbers: values are rounded
    ceiling: float | None = None  # the most the value may reach (a probability's 1)

    def value_at(self, week: int) -> Any:
        """The value in ``week`` (>= start)."""
        if self.end is not None and week >= self.end:
            if self.shape == "growth":
                return self._moved(self.end - 1)
            return self.before
        return self._moved(week)

    def finished(self, week: int) -> bool:
        """Whether the value no longer moves after ``week``."""
        if self.end is not None:
            return week >= self.end
        if self.shape == "step":
            return week >= self.start + max(self.ramp, 1) - 1
        return self.shape != "growth"

    def _moved(self, week: int) -> Any:
        if self.shape == "step":
            if self.ramp <= 0 or not _is_number(self.target):
                return self.target
            done = min(1.0, (week - self.start + 1) / self.ramp)
            value = self.before + (self.target - self.before) * done
        elif self.shape == "growth":
            value = self.before * (1.0 + self.rate) ** ((week - self.start) / WEEKS_PER_YEAR)
        elif self.shape == "add":
            value = self.before + self.target
        else:  # scale
            value = self.before * self.target
        if self.ceiling is not None:
            value = min(value, self.ceiling)
        return round(value) if self.whole else float(value)


@dataclass
class Timeline:
    """The events of one market and where they stand.

    Args:
        scenario: the market's scenario (its ``events``).
        seed_streams: the market's :class:`sim.streams.Streams` (probabilistic events draw from
            their own stream, "event:<name>").
    """

    scenario: Scenario
    streams: Any
    pending: list[Any] = field(default_factory=list)
    paths: list[ValuePath] = field(default_factory=list)
    struck: list[Struck] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.pending = list(self.scenario.events)

    # ------------------------------------------------------------------ at the start

    def firms_closed_at_start(self) -> list[str]:
        """Firms that enter later: closed (no customers, unknown, not spending) until they do."""
        return [event.firm for event in self.scenario.events if event.kind == "enter"]

    def levers_closed_at_start(self) -> list[str]:
        """Levers (channels) that appear later: nobody can spend on them until they do."""
        return [e.lever for e in self.scenario.events if e.kind == "channel" and e.appears]

    # ------------------------------------------------------------------ each week

    def advance(self, market: CustomerMarket) -> None:
        """Week ``market.week`` begins: strike the events due, then set every moving value."""
        week = market.week
        due = [event for event in self.pending if self._strikes(event, week)]
        for event in due:
            self.pending.remove(event)
            self._strike(market, event, week, live=False)
        self._move_values(market, week)

    def trigger(self, market: CustomerMarket, event: dict[str, Any] | Any) -> Struck:
        """Strike ``event`` (a table as in ``[[events]]``, its timing left out or ignored) in the
        week about to run, as if the file had said so: a live what-if. Checked like the file's
        events (against this market's scenario); returns what struck."""
        data = dict(event) if isinstance(event, dict) else event.model_dump(exclude_none=True)
        week = market.week + 1
        last = market.scenario.run.weeks
        window = data.get("window")
        for key in ("week", "window", "yearly_probability", "between"):
            data.pop(key, None)
        if window:  # a temporary change keeps its length, from now
            data["window"] = [min(week, last), min(week + window[1] - window[0], last + 1)]
        else:
            data["week"] = min(week, last)
        # An entry or exit the file schedules for later happens now instead (a firm enters once).
        replaced = [
            e
            for e in self.pending
            if e.kind in ("enter", "exit")
            and (e.kind, getattr(e, "firm", None)) == (data.get("kind"), data.get("firm"))
        ]
        for event in replaced:
            self.pending.remove(event)
        kept = [e for e in market.scenario.events if e not in replaced]
        checked = market.scenario.with_events([*kept, data]).events[-1]
        return self._strike(market, checked, week, live=True)

    def _strikes(self, event: Any, week: int) -> bool:
        fixed = event.strikes_at_fixed_week()
        if fixed is not None:
            return fixed == week
        first, end = event.between or (1, math.inf)
        if not first <= week < end:
            return False
        weekly = -math.expm1(math.log1p(-min(event.yearly_probability, 1 - 1e-12)) / WEEKS_PER_YEAR)
        draw = self.streams.uniform(f"event:{event.name}", week, np.zeros(1, dtype=np.int64))[0]
        return bool(draw < weekly)

    def _strike(self, market: CustomerMarket, event: Any, week: int, live: bool) -> Struck:
        lasting = event.lasting_weeks()
        end = week + lasting if lasting is not None else None
        scenario = market.scenario
        kind = event.kind
        paths: list[ValuePath] = []
        if kind == "change":
            before = value_at(scenario, event.key)
            paths.append(
                ValuePath(
                    event.key, "step", week, before, event.value, ramp=event.ramp_weeks, end=end,
                    whole=_is_whole(before),
                )
            )  # fmt: skip
        elif kind == "enter":
            market.open_firm(event.firm)
            if event.launch_budget > 0 and event.launch_weeks > 0:
                key = f"firms.{event.firm}.budget"
                paths.append(
                    ValuePath(key, "add", week, value_at(scenario, key), event.launch_budget, end=week + event.launch_weeks)
                )  # fmt: skip
        elif kind == "exit":
            market.close_firm(event.firm)
        elif kind == "expectations":
            key = "market.expectation_level"
            paths.append(
                ValuePath(key, "growth", week, value_at(scenario, key), rate=event.yearly_change, end=end)
            )
        elif kind == "channel":
            key = f"levers.{event.lever}.unit_cost"
            if event.appears:
                market.open_lever(event.lever)
            if event.unit_cost is not None:
                paths.append(
                    ValuePath(
                        key, "step", week, value_at(scenario, key), event.unit_cost, ramp=event.ramp_weeks
                    )
                )
            if event.yearly_cost_change:
                # Inflation compounds on the cost as it stands once any new cost is reached.
                start = week + max(event.ramp_weeks, 1) - 1 if event.unit_cost is not None else week
                base = event.unit_cost if event.unit_cost is not None else value_at(scenario, key)
                paths.append(ValuePath(key, "growth", start, base, rate=event.yearly_cost_change, end=end))
        elif kind == "reputation_shock":
            key = f"firms.{event.firm}.failure_rate"
            paths.append(
                ValuePath(key, "add", week, value_at(scenario, key), event.failure_rate, end=end, ceiling=1.0)
            )
        elif kind == "downturn":
            if event.spending_drop:
                key = "market.demand_level"
                paths.append(
                    ValuePath(key, "scale", week, value_at(scenario, key), 1 - event.spending_drop, end=end)
                )
            if event.price_sensitivity_rise:
                key = "behaviours.adoption.price_weight"
                paths.append(
                    ValuePath(key, "scale", week, value_at(scenario, key), 1 + event.price_sensitivity_rise, end=end)
                )  # fmt: skip
        self.paths.extend(paths)
        struck = Struck(event.name, kind, week, end, live)
        self.struck.append(struck)
        if live:
            self._move_values(market, week, only=paths)
        return struck

    def _move_values(self, market: CustomerMarket, week: int, only: list[ValuePath] | None = None) -> None:
        """Set every value a path moves this week (in the order the events struck: a later event
        on the same key wins), and forget the paths that have finished."""
        paths = self.paths if only is None else only
        if not paths:
            return
        values: dict[str, Any] = {}
        for path in paths:
            if path.start <= week:
                values[path.key] = path.value_at(week)
        if only is None:
            self.paths = [path for path in paths if not path.finished(week)]
        changed = {k: v for k, v in values.items() if value_at(market.scenario, k) != v}
        if changed:
            market.use_scenario(with_values(market.scenario, changed))


# --------------------------------------------------------------------------- scenario values


def value_at(scenario: Scenario, dotted: str) -> Any:
    """The scenario's value at ``dotted`` (``firms.rival.price``).

    Example:
        >>> from sim.scenario import Scenario
        >>> value_at(Scenario(), "firms.rival.price"), value_at(Scenario(), "levers.search_ads.unit_cost")
        (40.0, 10.0)
    """
    node: Any = scenario
    for part in dotted.split("."):
        node = node[part] if isinstance(node, dict) else getattr(node, part)
    return node


def with_values(scenario: Scenario, values: dict[str, Any]) -> Scenario:
    """A copy of ``scenario`` with each dotted key set. Numbers within their bounds (every value
    a path produces lies between two checked values, or was checked when the event was) are set
    in place of the old, without validating the whole scenario again; anything else (a strategy,
    a split) goes through :meth:`Scenario.with_overrides`, which checks it and resets what a new
    strategy does not take.

    Example:
        >>> from sim.scenario import Scenario
        >>> with_values(Scenario(), {"firms.rival.price": 30.0}).firms["rival"].price
        30.0
    """
    plain = {k: v for k, v in values.items() if _is_number(v)}
    checked = {k: v for k, v in values.items() if k not in plain}
    if checked:
        scenario = scenario.with_overrides(checked)
    for dotted, value in plain.items():
        scenario = _set(scenario, dotted.split("."), value)
    return scenario


def _set(node: Any, parts: list[str], value: Any) -> Any:
    head, rest = parts[0], parts[1:]
    if isinstance(node, dict):
        return {**node, head: value if not rest else _set(node[head], rest, value)}
    return node.model_copy(update={head: value if not rest else _set(getattr(node, head), rest, value)})


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_event(event: dict[str, Any]) -> Any:
    """An event table as :mod:`sim.scenario.events` validates it (without the scenario's checks)."""
    return EVENT_ADAPTER.validate_python(event)
