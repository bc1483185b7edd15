"""One module per behaviour of the weekly order; each holds its rule, its kernels and its parameters.

Every behaviour is a rule over the customer arrays with its own parameters in
``[behaviours.<name>]``, and does nothing when that table says ``enabled = false``. A module holds,
in this order: the rule in words (its docstring), its parameters as the named record its compiled
kernels read (a ``typing.NamedTuple`` built from the scenario by ``params``), ``run(market, ...)``
(what the weekly step calls), and the compiled loops that apply the rule to every person.

This package's own module owns :func:`per_scenario`, the cache that builds each behaviour's
parameter record once per scenario rather than once a week.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from sim.scenario import Scenario

Record = TypeVar("Record")


def per_scenario(build: Callable[[Scenario], Record]) -> Callable[[Scenario], Record]:
    """``build(scenario)``, made once per scenario object and then reused: a behaviour's
    parameters are the scenario's and do not change while it runs (a market given a new scenario
    gets new parameters). Scenarios are compared by identity (they are not hashable).

    Example:
        >>> from sim.scenario import Scenario
        >>> calls = []
        >>> innovation = per_scenario(lambda s: calls.append(1) or s.behaviours.adoption.innovation)
        >>> scenario = Scenario()
        >>> innovation(scenario) == innovation(scenario), len(calls)
        (True, 1)
    """
    made: dict[int, tuple[Scenario, Record]] = {}

    def cached(scenario: Scenario) -> Record:
        hit = made.get(id(scenario))
        if hit is None or hit[0] is not scenario:
            if len(made) >= 16:  # a few scenarios are alive at once; forget the older ones
                made.clear()
            hit = made[id(scenario)] = (scenario, build(scenario))  # the scenario kept: its id stays its own
        return hit[1]

    cached.__doc__ = build.__doc__
    cached.__name__ = getattr(build, "__name__", "cached")
    return cached
