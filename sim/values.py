"""The typed values every input file is made of, and the one error a bad input raises.

Owns what the scenario's tables (:mod:`sim.scenario`) and the experiment designs (:mod:`sim.design`)
share, so that neither has to import the other for it: :class:`ScenarioError`, the limits that keep
a run finite, the validated value types (a finite bounded number :data:`Real`, a whole number
:data:`Whole`, a flag :data:`Flag`, a date :data:`Date`), the strict base of every table
(:class:`Strict`: unknown keys are errors, values frozen) and the words a message uses to show what
a user wrote (:func:`kind_of`, :func:`show`).

Example:
    >>> from pydantic import TypeAdapter
    >>> TypeAdapter(Whole).validate_python(52.0)
    52
    >>> kind_of(True), show("x" * 100)[-5:]
    ('a boolean (true)', 'xx...')
"""

from __future__ import annotations

import datetime
import math
import numbers
from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict


class ScenarioError(ValueError):
    """A scenario file or override is invalid; the message names file, dotted key and value."""


# Defined here, below both the scenario and the experiment designs that raise it; users know it by
# its public home (tracebacks, doctests and pickles name sim.scenario.ScenarioError).
ScenarioError.__module__ = "sim.scenario"


# --------------------------------------------------------------------------- limits
# What keeps every run finite and within this machine (docs/scenario.md, "Limits"): a value
# outside them is refused when the scenario is read, never found out by a run that crashes or
# writes inf. Money: MAX_PRICE x 40 purchases a week (the most a person's weekly count takes) x
# a basket of MAX_TRAIT x 10^8 people x MAX_WEEKS is about 2e25 (2e31 for a lognormal basket's
# farthest draws, ~10^6 times its mean at MAX_CV), and MAX_BUDGET for MAX_WEEKS weeks 5e15, far
# inside the float64 (1.8e308) and float32 (3.4e38) ranges, so no sum becomes inf; the smallest
# unit cost keeps the reach a budget buys (MAX_BUDGET / MIN_UNIT_COST = 1e16) within a 64-bit
# integer.
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
LAST_START_DATE = datetime.date(9899, 12, 31)  # MAX_WEEKS later is still within the calendar


# --------------------------------------------------------------------------- words for messages


def kind_of(value: Any) -> str:
    """What a value is, in TOML's words (a user wrote TOML, not Python).

    Example:
        >>> kind_of("40"), kind_of([1, 2]), kind_of({"a": 1})
        ("a string ('40')", 'an array', 'a table')
    """
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, str):
        return f"a string ({show(value)})"
    if isinstance(value, Mapping):
        return "a table"
    if isinstance(value, list | tuple):
        return "an array"
    if isinstance(value, datetime.date | datetime.time):
        return f"a date or time ({value})"
    return type(value).__name__


def show(value: Any) -> str:
    """A value as a message shows it: its repr (a date as written), at most 80 characters."""
    text = str(value) if isinstance(value, datetime.date | datetime.time) else repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


# --------------------------------------------------------------------------- validated values


def finite_number(value: Any) -> Any:
    """A finite number: true/false and text are refused (lax parsing would read true as 1.0 and
    "40" as 40), and so are inf, nan and 1e999."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"expected a number, got {kind_of(value)}")
    try:
        finite = math.isfinite(value)
    except OverflowError:  # an integer beyond the largest float
        finite = False
    if not finite:
        raise ValueError("must be a finite number (inf, nan and numbers beyond 1.8e308 are not allowed)")
    return value


def whole_number(value: Any) -> Any:
    """A whole number (52 or 52.0, not 52.5), finite as :func:`finite_number` requires."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"expected a whole number, got {kind_of(value)}")
    finite_number(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if float(value).is_integer():
        return int(value)
    raise ValueError(f"expected a whole number, got {value!r}")


def bounded(value: float) -> float:
    """No larger than MAX_NUMBER in size; checked after a key's own range, which is narrower."""
    if abs(value) > MAX_NUMBER:
        raise ValueError(f"must be at most {MAX_NUMBER:.0e} in size (see Limits in docs/scenario.md)")
    return value


def _flag(value: Any) -> Any:
    """true or false only (lax parsing would read 1, "yes" and "off" as booleans)."""
    if not isinstance(value, bool):
        raise ValueError(f"expected true or false, got {kind_of(value)}")
    return value


def _date(value: Any) -> Any:
    """A date; a number is refused (lax parsing would read 0 as 1970-01-01)."""
    if isinstance(value, bool | numbers.Number):
        raise ValueError(f"expected a date such as 2026-01-05, got {kind_of(value)}")
    return value


def _early_enough(value: datetime.date) -> datetime.date:
    if value > LAST_START_DATE:
        raise ValueError(
            f"must be on or before {LAST_START_DATE} (a run of {MAX_WEEKS} weeks must end by 9999)"
        )
    return value


# A real and a whole number of an input file: finite, of bounded size, never a boolean or text; a
# flag is true or false; a date is a date (a week count from it stays within the calendar).
Real = Annotated[float, BeforeValidator(finite_number), AfterValidator(bounded)]
Whole = Annotated[int, BeforeValidator(whole_number), AfterValidator(bounded)]
Flag = Annotated[bool, BeforeValidator(_flag)]
Date = Annotated[datetime.date, BeforeValidator(_date), AfterValidator(_early_enough)]


class Strict(BaseModel):
    """Base for every table of an input file: unknown keys are errors, values are frozen and finite."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True, allow_inf_nan=False)
