"""Population scaling, the scenario going in: a scaled scenario as the one-for-one market the model runs.

Owns :func:`simulated_scenario` and the one rule of population scaling (docs/model.md, "Population
scaling"): a scenario states its market in real units (``market.size`` real people, budgets in real
currency a week, thresholds in real people a week); the model simulates ``market.simulated`` people,
each standing for ``scale = size / simulated`` real people, so it runs the same market shrunk by
``scale``: **every amount of money a week that does not come per person, and every count of real
people, is divided by the scale**; what comes per person (prices, unit costs of levers: per person
reached, per referral rewarded, per offer, per complaint) and every share, rate and probability stay
as they are. Results come out x the scale again (:mod:`sim.scaling`).

Divided by the scale: ``firms.<f>.budget``; ``firms.<f>.seeds.count`` (rounded); a ``change`` event's value on ``firms.<f>.budget``; an
``enter`` event's ``launch_budget``; a response rule's ``per_week`` (people a week). Not divided
(already relative): a response's ``raise_budget`` (a share of the planned budget), ``shift_split``
and ``win_back`` (shares of the week's spend), the optimiser's budget range and a sweep's or
uncertainty's budget values (scenario values in real units, divided like the file's own when the
run starts). A custom strategy object spends ``firm.budget``, the simulated market's budget.

Example:
    >>> from sim.scenario import Scenario
    >>> real = Scenario(market={"size": 20_000_000, "simulated": 200_000}, firms={"us": {"budget": 5e6}})
    >>> run = simulated_scenario(real)
    >>> run.market.size, run.market.simulated, run.firms["us"].budget
    (200000, None, 50000.0)
"""

from __future__ import annotations

import math
import warnings
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sim.scenario.schema import Scenario


def simulated_scenario(scenario: Scenario) -> Scenario:
    """The one-for-one scenario the model runs for ``scenario``: ``market.size`` the simulated
    people and every real amount a week and count of real people divided by the scale (this
    module's docstring lists them). An unscaled scenario comes back as it is (the same object).

    Example:
        >>> from sim.scenario import Scenario
        >>> plain = Scenario()
        >>> simulated_scenario(plain) is plain
        True
    """
    market = scenario.market
    if market.simulated is None:
        return scenario
    scale = market.scale
    data = scenario.model_dump(mode="python", exclude_none=True, by_alias=True)
    data["run"]["name"] = scenario.name
    data["market"]["size"] = market.simulated
    del data["market"]["simulated"]
    for firm in data["firms"].values():
        firm["budget"] = firm["budget"] / scale
        seeds = firm.get("seeds")  # chosen seeds: a count of real people (lists are refused)
        if seeds is not None and seeds.get("count") is not None:
            seeds["count"] = round(seeds["count"] / scale)
        for rule in (firm.get("response") or {}).get("rules", []):
            if rule["when"].get("per_week") is not None:
                rule["when"]["per_week"] = rule["when"]["per_week"] / scale
    for event in data.get("events", []):
        _divide_event(event, scale)
    for warning in lumpy_levers(scenario):
        warnings.warn(warning, ScalingWarning, stacklevel=3)
    from sim.scenario.schema import validate

    return validate(data, scenario.source)


class ScalingWarning(UserWarning):
    """A scaled market's simulated budget buys less of a lever than the real budget would."""


# Levers bought in whole units (an influencer paid, a complaint handled, a referral reward the
# programme must afford at least once a week): the shrunk market affords budget x share / scale,
# and a fraction of a unit buys nothing. Every other lever reaches a share of the eligible people
# that depends on money per eligible person, which scaling keeps.
LUMPY_LEVERS = ("influencer_seeding", "complaint_handling", "referral_programme")


def lumpy_levers(scenario: Scenario) -> list[str]:
    """Warnings, one per firm and lever bought in whole units (:data:`LUMPY_LEVERS`), where the
    real weekly money on the lever (budget x the planned split) buys at least one unit and the
    simulated market's (the same / scale) buys none, so the scaled run loses that lever.

    Example:
        >>> from sim.scenario import Scenario
        >>> real = Scenario(market={"size": 40_000, "simulated": 10_000}, firms={"us": {"budget": 2000,
        ...     "strategy": "conquest", "split": {"search_ads": 0.8, "influencer_seeding": 0.2}}})
        >>> print(lumpy_levers(real)[0])  # doctest: +ELLIPSIS
        firms.us: influencer_seeding gets 100 a week in the simulated market (400 real / scale 4), less than ...
    """
    from sim.registry import resolve_strategy_class

    scale = scenario.market.scale
    found = []
    for name, firm in scenario.firms.items():
        if firm.budget <= 0:
            continue
        split = getattr(resolve_strategy_class(firm.strategy)(firm.split, **firm.params), "split", None) or {}
        for lever in LUMPY_LEVERS:
            real = firm.budget * split.get(lever, 0.0)
            unit = getattr(scenario.levers, lever).unit_cost
            if real >= unit > real / scale:
                found.append(
                    f"firms.{name}: {lever} gets {real / scale:,.4g} a week in the simulated market "
                    f"({real:,.4g} real / scale {scale:,.4g}), less than one unit_cost {unit:,.4g}, so it buys "
                    f"nothing where the real market buys {int(real // unit):,}; simulate at least "
                    f"{math.ceil(scenario.market.size * unit / real):,} people (market.simulated) "
                    "(docs/model.md, Population scaling)"
                )
    return found


def _divide_event(event: dict[str, Any], scale: float) -> None:
    """An event's real amounts a week, divided by the scale in place."""
    if event["kind"] == "enter":
        event["launch_budget"] = event["launch_budget"] / scale
    elif event["kind"] == "change" and _is_budget(event["key"]):
        event["value"] = event["value"] / scale


def _is_budget(key: str) -> bool:
    parts = key.split(".")
    return len(parts) == 3 and parts[0] == "firms" and parts[2] == "budget"
