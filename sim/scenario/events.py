"""The market's timeline: ``[[events]]``, each a named change that strikes at a week, in a window
or with a yearly probability.

Owns the schema of every event kind and the checks that tie an event to the rest of the scenario
(its firm exists, its week is within the run, its dotted key exists and takes its value). What an
event does to a running market is :mod:`sim.events`; the equations are in docs/model.md, "Market
events".

Kinds (``kind = "..."``):

- ``change``: one scenario value by dotted key (``firms.rival.price``, a behaviour's parameter, a
  lever's cost), as a step or a ramp over ``ramp_weeks``; in a ``window`` it returns to the value it
  had when the event struck at the window's end (a promotion).
- ``enter``: a firm of ``[firms]`` enters: no customers and unknown to everyone until the event, then
  its strategy spends its budget plus ``launch_budget`` a week for ``launch_weeks``.
- ``exit``: a firm leaves: its customers return to the market as prospects ("firm closed", not churn).
- ``expectations``: the quality people require changes by ``yearly_change`` a year (compounding).
- ``channel``: a lever (channel) appears (unusable before the event) and/or its unit cost changes
  (``unit_cost``, optionally ramped) or inflates by ``yearly_cost_change`` a year.
- ``reputation_shock``: a firm's failure rate rises by ``failure_rate`` (probability per purchase) for
  ``weeks`` weeks; ratings and complaints follow through the experience rule.
- ``downturn``: for ``weeks`` weeks spending falls by ``spending_drop`` and price sensitivity rises
  by ``price_sensitivity_rise`` (shares).

Timing: exactly one of ``week`` (strikes at the start of that week), ``window = [first, end]``
(strikes at the start of ``first``; a lasting effect ends at the start of ``end``) or
``yearly_probability`` (strikes at most once, in the first week of ``between`` (default the whole
run) whose own random draw falls below the weekly chance ``1 - (1 - p)^(1/52)``).

Example:
    >>> event = EVENT_ADAPTER.validate_python({"name": "cut", "kind": "change", "week": 104,
    ...     "key": "firms.rival.price", "value": 30})
    >>> event.kind, event.strikes_at_fixed_week()
    ('change', 104)
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import Field, TypeAdapter

from sim.values import MAX_WEEKS, Real, Strict, Whole

# Scenario values an event may change while a market runs: what the weekly step reads afresh.
# Everything else is fixed when the market is built (its size and network, the people's traits,
# the run's length and seed, initial shares), so changing it later would have no effect.
CHANGEABLE_FIRM_KEYS = ("price", "quality", "margin", "failure_rate", "budget", "strategy", "split", "params")
CHANGEABLE_MARKET_KEYS = ("in_market_rate", "expectation_level", "demand_level")
CHANGEABLE_RULE = (
    "firms.<firm>.(" + "|".join(CHANGEABLE_FIRM_KEYS) + "), behaviours.*, levers.*, "
    "market.(" + "|".join(CHANGEABLE_MARKET_KEYS) + ")"
)


def changeable(dotted: str) -> bool:
    """Whether an event may change the scenario value at ``dotted`` while a market runs.

    Example:
        >>> changeable("firms.rival.price"), changeable("levers.search_ads.unit_cost"), changeable("market.size")
        (True, True, False)
    """
    parts = dotted.split(".")
    if parts[0] in ("behaviours", "levers"):
        return len(parts) >= 3
    if parts[0] == "firms":
        return len(parts) >= 3 and parts[2] in CHANGEABLE_FIRM_KEYS
    if parts[0] == "market":
        return len(parts) == 2 and parts[1] in CHANGEABLE_MARKET_KEYS
    return False


class _EventBase(Strict):
    name: str = Field(min_length=1, max_length=100)  # shown on figures and in results
    week: Whole | None = Field(None, ge=1, le=MAX_WEEKS)  # strikes at the start of this week
    window: tuple[Whole, Whole] | None = None  # [first, end): strikes at first, a lasting effect ends at end
    yearly_probability: Real | None = Field(None, gt=0, le=1)  # chance of striking within a year
    between: tuple[Whole, Whole] | None = None  # [first, end): weeks a probabilistic event may strike in

    def timing_problem(self) -> str | None:
        """What is wrong with the event on its own (its timing, mostly, if anything (the scenario's checks
        say it with the event's key)."""
        given = [k for k in ("week", "window", "yearly_probability") if getattr(self, k) is not None]
        if len(given) != 1:
            return "needs exactly one of week, window or yearly_probability" + (
                f", got {' and '.join(given)}" if given else ""
            )
        for key in ("window", "between"):
            span = getattr(self, key)
            if span is not None and not 1 <= span[0] < span[1]:
                return f"{key} = {list(span)}: must be [first, end] with 1 <= first < end"
        if self.between is not None and self.yearly_probability is None:
            return "between: only for an event with a yearly_probability"
        return None

    def strikes_at_fixed_week(self) -> int | None:
        """The week the event strikes, when it is fixed (``week`` or ``window``), else None."""
        if self.week is not None:
            return self.week
        return self.window[0] if self.window is not None else None

    def lasting_weeks(self) -> int | None:
        """How many weeks a lasting effect lasts: the window's length, the ``weeks`` field of a
        kind that has one, or None (for ever)."""
        if self.window is not None:
            return self.window[1] - self.window[0]
        return getattr(self, "weeks", None)


class ChangeEvent(_EventBase):
    kind: Literal["change"]
    key: str  # dotted scenario key (CHANGEABLE_RULE)
    value: Real | str | bool | dict[str, Real]  # the new value (a number can be ramped)
    ramp_weeks: Whole = Field(0, ge=0, le=MAX_WEEKS)  # 0: a step; N: a straight line over N weeks


class EnterEvent(_EventBase):
    kind: Literal["enter"]
    firm: str  # a firm of [firms], with no customers until it enters
    launch_budget: Real = Field(0.0, ge=0)  # currency a week on top of its budget while launching
    launch_weeks: Whole = Field(0, ge=0, le=MAX_WEEKS)  # weeks of launch budget

    def timing_problem(self) -> str | None:
        if self.window is not None:
            return (
                "an entry lasts (an exit event ends it): give week = W or a yearly_probability, not a window"
            )
        return super().timing_problem()


class ExitEvent(_EventBase):
    kind: Literal["exit"]
    firm: str

    def timing_problem(self) -> str | None:
        if self.window is not None:
            return "an exit lasts: give week = W (or a yearly_probability), not a window"
        return super().timing_problem()


class ExpectationsEvent(_EventBase):
    kind: Literal["expectations"]
    yearly_change: Real = Field(gt=-1, le=10)  # share a year the required quality changes (0.05: +5%)


class ChannelEvent(_EventBase):
    kind: Literal["channel"]
    lever: str  # a lever of [levers]
    appears: bool = False  # the lever cannot be used before the event strikes
    unit_cost: Real | None = Field(None, gt=0)  # the new unit cost
    ramp_weeks: Whole = Field(0, ge=0, le=MAX_WEEKS)  # over this many weeks
    yearly_cost_change: Real = Field(0.0, gt=-1, le=10)  # cost inflation a year from the event

    def timing_problem(self) -> str | None:
        if not self.appears and self.unit_cost is None and self.yearly_cost_change == 0:
            return "changes nothing: give appears = true, unit_cost or yearly_cost_change"
        return super().timing_problem()


class ReputationShockEvent(_EventBase):
    kind: Literal["reputation_shock"]
    firm: str
    failure_rate: Real = Field(gt=0, le=1)  # added to the firm's failure probability per purchase
    weeks: Whole | None = Field(None, ge=1, le=MAX_WEEKS)  # how long (or give a window)


class DownturnEvent(_EventBase):
    kind: Literal["downturn"]
    spending_drop: Real = Field(0.0, ge=0, lt=1)  # share by which purchase rates fall
    price_sensitivity_rise: Real = Field(0.0, ge=0, le=10)  # share by which the price weight rises
    weeks: Whole | None = Field(None, ge=1, le=MAX_WEEKS)  # how long (or give a window)


Event = Annotated[
    Union[  # noqa: UP007
        ChangeEvent,
        EnterEvent,
        ExitEvent,
        ExpectationsEvent,
        ChannelEvent,
        ReputationShockEvent,
        DownturnEvent,
    ],
    Field(discriminator="kind"),
]
EVENT_ADAPTER: TypeAdapter[Any] = TypeAdapter(Event)
EVENT_KINDS = ("change", "enter", "exit", "expectations", "channel", "reputation_shock", "downturn")


def firm_of(event: Any) -> str | None:
    """The firm an event names (enter, exit, reputation shock), else None."""
    return getattr(event, "firm", None)
