"""The words of an experiment: ranges, uncertainties, decisions and constraints.

Owns the one way a range is written (``{low = ..., high = ...}``: :class:`Range`, both ends;
:class:`Bounds`, either end or both), the shapes a varied scenario key takes (:class:`Uncertainty`:
a dotted key with a range, a list of values or a distribution), the firm's levers a plan may use
(:class:`Decision`) and a floor or ceiling on an outcome (:class:`Constraint`), in the terms of the
exploratory-modelling literature (the EMA workbench's uncertainties, levers, outcomes and
constraints: Kwakkel 2017). The outcomes themselves are declared in :mod:`sim.design.outcomes`.

Example:
    >>> Uncertainty.of("firms.rival.price", {"low": 30, "high": 50}).at(0.5)
    40.0
    >>> round(Constraint("retention_yearly", low=0.8).violation(0.75), 6)
    0.05
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, model_validator

from sim.values import Real, Strict


def _written_as_pair(value: Any) -> Any:
    """``[low, high]`` (the older way of writing a range; the loader warns) as ``{low, high}``."""
    if isinstance(value, list | tuple):
        if len(value) != 2:
            raise ValueError(f"a range is {{low = ..., high = ...}}, got an array of {len(value)} values")
        return {"low": value[0], "high": value[1]}
    return value


class Range(Strict):
    """An interval with both ends, ``{low = ..., high = ...}`` and ``low < high``: what is sampled
    (a swept or analysed key, a fitted parameter, the budget a plan may choose).

    Example:
        >>> Range(low=0.005, high=0.05).at(0.0), Range(low=1, high=3).ends()
        (0.005, (1.0, 3.0))
    """

    low: Real  # the smallest value
    high: Real  # the largest value

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        if not self.low < self.high:
            raise ValueError(f"a range needs low < high, got low={self.low}, high={self.high}")
        return self

    def at(self, u: float) -> float:
        """The value a share ``u`` of the way from ``low`` to ``high``."""
        return float(self.low + u * (self.high - self.low))

    def ends(self) -> tuple[float, float]:
        return (self.low, self.high)


# A range that may still be written as the older pair [low, high] (sensitivity ranges, the budget
# and start weeks of a plan, calibration bounds); where a list means values (a grid sweep, the
# uncertainties of a plan's markets) a plain Range is used.
RangeOrPair = Annotated[Range, BeforeValidator(_written_as_pair)]


def _renamed_ends(value: Any) -> Any:
    """``{min, max}`` (the older way of writing bounds; the loader warns) as ``{low, high}``."""
    if isinstance(value, Mapping) and {"min", "max"} & set(value):
        both = sorted(({"min", "max"} & set(value)) | ({"low", "high"} & set(value)))
        if {"low", "high"} & set(value):
            raise ValueError(f"write either low/high or the older min/max, not both (got {', '.join(both)})")
        renamed = {"min": "low", "max": "high"}
        return {renamed.get(k, k): v for k, v in value.items()}
    return value


class Bounds(Strict):
    """A floor and/or a ceiling, ``{low = ...}``, ``{high = ...}`` or both (``low <= high``): a
    lever's share of the budget or an outcome's constraint. The older ``{min, max}`` still reads.

    Example:
        >>> Bounds.model_validate({"max": 0.5}).high, Bounds(low=0.1).contains(0.05)
        (0.5, False)
    """

    low: Real | None = None  # the floor (unset: none)
    high: Real | None = None  # the ceiling (unset: none)

    @model_validator(mode="before")
    @classmethod
    def _older_names(cls, value: Any) -> Any:
        return _renamed_ends(value)

    @model_validator(mode="after")
    def _ordered(self) -> Bounds:
        if self.low is None and self.high is None:
            raise ValueError("give low, high or both")
        if self.low is not None and self.high is not None and self.low > self.high:
            raise ValueError(f"low = {self.low} is above high = {self.high}")
        return self

    @property
    def min(self) -> float | None:
        """The floor (its older name)."""
        return self.low

    @property
    def max(self) -> float | None:
        """The ceiling (its older name)."""
        return self.high

    def contains(self, value: float) -> bool:
        return (self.low is None or value >= self.low) and (self.high is None or value <= self.high)

    def written(self) -> dict[str, float]:
        """The bounds as a table shows them (only the ends given)."""
        return self.model_dump(exclude_none=True)


class Distribution(Strict):
    """An uncertainty's distribution over a bounded support: ``uniform`` (``low``, ``high``),
    ``triangular`` (``low``, ``mode``, ``high``) or ``loguniform`` (``low``, ``high``, low > 0:
    each order of magnitude equally likely). Sampled through its quantile function, so a Latin
    hypercube or a Sobol' sequence over [0, 1] becomes a design over the distribution.

    Example:
        >>> round(Distribution(dist="loguniform", low=0.001, high=0.1).at(0.5), 9)
        0.01
    """

    dist: Literal["uniform", "triangular", "loguniform"]
    low: Real  # the smallest value
    high: Real  # the largest value
    mode: Real | None = None  # triangular: the most likely value

    @model_validator(mode="after")
    def _valid(self) -> Distribution:
        if not self.low < self.high:
            raise ValueError(f"a distribution needs low < high, got low={self.low}, high={self.high}")
        if self.dist == "triangular":
            if self.mode is None or not self.low <= self.mode <= self.high:
                raise ValueError(f"a triangular distribution needs low <= mode <= high, got mode={self.mode}")
        elif self.mode is not None:
            raise ValueError(f"a {self.dist} distribution takes low and high, not mode")
        if self.dist == "loguniform" and not self.low > 0:
            raise ValueError(f"a loguniform distribution needs low > 0, got low={self.low}")
        return self

    def at(self, u: float) -> float:
        """The ``u``-quantile (``u`` in [0, 1])."""
        low, high = self.low, self.high
        if self.dist == "uniform":
            return float(low + u * (high - low))
        if self.dist == "loguniform":
            return float(math.exp(math.log(low) + u * (math.log(high) - math.log(low))))
        split = (self.mode - low) / (high - low)
        if u <= split:
            return float(low + math.sqrt(u * (high - low) * (self.mode - low)))
        return float(high - math.sqrt((1 - u) * (high - low) * (high - self.mode)))

    def ends(self) -> tuple[float, float]:
        return (self.low, self.high)


def uncertainty_form(value: Any) -> Any:
    """A varied key's value as written, typed: a list (values), a :class:`Distribution` (a table
    with ``dist``) or a :class:`Range` (any other table). Raises ValueError for anything else."""
    if isinstance(value, Range | Distribution | list):
        return value
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, Mapping):
        return Distribution.model_validate(value) if "dist" in value else Range.model_validate(value)
    raise ValueError(
        "expected a list of values, a range {low = ..., high = ...} or a distribution "
        "{dist = ..., low = ..., high = ...}"
    )


@dataclass(frozen=True)
class Uncertainty:
    """A dotted scenario key an experiment varies, and how: a :class:`Range` (sampled
    uniformly), a list of ``values`` (taken in turn or combined) or a :class:`Distribution`.

    Example:
        >>> u = Uncertainty.of("firms.rival.strategy", ["relations", "conquest"])
        >>> u.at(0.9), u.ends()
        ('conquest', ('relations', 'conquest'))
    """

    key: str
    range: Range | None = None
    values: tuple[Any, ...] | None = None
    distribution: Distribution | None = None

    @classmethod
    def of(cls, key: str, form: Any) -> Uncertainty:
        """The uncertainty of ``key`` written as ``form`` (a list, ``{low, high}`` or ``{dist, ...}``)."""
        typed = uncertainty_form(form)
        if isinstance(typed, Range):
            return cls(key, range=typed)
        if isinstance(typed, Distribution):
            return cls(key, distribution=typed)
        return cls(key, values=tuple(typed))

    @property
    def form(self) -> list[Any] | Range | Distribution:
        """How the uncertainty is written in a table."""
        if self.values is not None:
            return list(self.values)
        return self.range if self.range is not None else self.distribution

    @property
    def sampled(self) -> bool:
        """Whether the key takes values between its ends (a range or a distribution)."""
        return self.values is None

    def ends(self) -> tuple[Any, ...]:
        """The values to check against the scenario: every listed value, or the two ends."""
        if self.values is not None:
            return self.values
        return self.range.ends() if self.range is not None else self.distribution.ends()

    def at(self, u: float) -> Any:
        """The value at share ``u`` in [0, 1] of the way through: along the range, the
        distribution's ``u``-quantile, or the listed value whose slot holds ``u``."""
        if self.values is not None:
            return self.values[min(int(u * len(self.values)), len(self.values) - 1)]
        return self.range.at(u) if self.range is not None else self.distribution.at(u)

    def written(self) -> Any:
        """The form as plain data (for messages and JSON)."""
        form = self.form
        return form if isinstance(form, list) else form.model_dump(exclude_none=True)


def uncertainties_of(table: Mapping[str, Any]) -> list[Uncertainty]:
    """The uncertainties of a table of dotted key -> form, in its order.

    Example:
        >>> [u.key for u in uncertainties_of({"a": [1, 2], "b": {"low": 0, "high": 1}})]
        ['a', 'b']
    """
    return [Uncertainty.of(key, form) for key, form in table.items()]


class DecisionTable(Strict):
    """One lever a plan may use, as written in ``[optimise.decisions]``: its share of the weekly
    budget and, optionally, the range of weeks in which it may start spending."""

    share: Bounds | None = None  # {low, high}: its share of the weekly budget (unset: 0 to 1)
    start_week: RangeOrPair | None = None  # {low, high}: the week it starts is chosen too (unset: week 0)


@dataclass(frozen=True)
class Decision:
    """A lever of the firm that a plan chooses (the EMA workbench's "lever"): the share of the
    weekly budget it takes, within ``share``, and when ``start_week`` is given, the week it
    starts spending within that range.

    Example:
        >>> Decision.of("search_ads", {"share": {"high": 0.5}}).share
        (0.0, 0.5)
    """

    lever: str
    share: tuple[float, float] = (0.0, 1.0)
    start_week: tuple[int, int] | None = None

    @classmethod
    def of(cls, lever: str, table: DecisionTable | Mapping[str, Any] | None = None) -> Decision:
        table = DecisionTable.model_validate(table or {}) if not isinstance(table, DecisionTable) else table
        low = table.share.low if table.share is not None and table.share.low is not None else 0.0
        high = table.share.high if table.share is not None and table.share.high is not None else 1.0
        weeks = table.start_week
        start = None if weeks is None else (int(weeks.low), int(weeks.high))
        return cls(lever, (float(low), float(high)), start)


@dataclass(frozen=True)
class Constraint:
    """A floor (``low``) and/or a ceiling (``high``) on an outcome, which a feasible plan keeps.

    Example:
        >>> Constraint("cac", high=150.0).describe(), Constraint("cac", high=150.0).violation(120.0)
        ('cac <= 150', -1.0)
    """

    outcome: str
    low: float | None = None
    high: float | None = None

    @classmethod
    def of(cls, outcome: str, bounds: Bounds | Mapping[str, Any]) -> Constraint:
        bounds = bounds if isinstance(bounds, Bounds) else Bounds.model_validate(bounds)
        return cls(outcome, bounds.low, bounds.high)

    @property
    def min(self) -> float | None:
        return self.low

    @property
    def max(self) -> float | None:
        return self.high

    def violation(self, value: float) -> float:
        """<= 0 when ``value`` keeps the constraint (-1), else by how much it misses (1e12 when
        the value is undefined): what an optimiser's feasibility function reads."""
        if not math.isfinite(value):
            return 1e12
        miss = 0.0
        if self.low is not None:
            miss = max(miss, self.low - value)
        if self.high is not None:
            miss = max(miss, value - self.high)
        return miss if miss > 0 else -1.0

    def describe(self) -> str:
        parts = [
            f">= {self.low:g}" if self.low is not None else "",
            f"<= {self.high:g}" if self.high is not None else "",
        ]
        return f"{self.outcome} {' and '.join(p for p in parts if p)}"


def flatten_keys(
    table: Mapping[str, Any], prefix: str = "", leaf: Callable[[Any], bool] | None = None
) -> dict[str, Any]:
    """Nested TOML tables to dotted keys. A range (a table of exactly ``low`` and ``high``) or a
    distribution (a table with ``dist``) is a value, not a nesting.

    Example:
        >>> flatten_keys({"firms": {"us": {"budget": {"low": 1, "high": 2}}}})
        {'firms.us.budget': {'low': 1, 'high': 2}}
    """
    is_value = leaf or _is_range_or_distribution
    out: dict[str, Any] = {}
    for key, value in table.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, Mapping) and not is_value(value):
            out.update(flatten_keys(value, dotted + ".", leaf))
        else:
            out[dotted] = value
    return out


def _is_range_or_distribution(value: Mapping[str, Any]) -> bool:
    return set(value) == {"low", "high"} or "dist" in value
