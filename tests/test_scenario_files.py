"""Every shipped scenario file in scenarios/ loads, runs at a small size and describes its experiments.

Small size: 800 people for 20 weeks, so the whole module takes a few seconds. Files with
``[arms.<label>]`` or ``[sweep]`` tables also have their experiments expanded, and the number of
arms and design points is checked against the file itself.
"""

from __future__ import annotations

import itertools
import tomllib
from pathlib import Path

import pytest

from sim import load_scenario, simulate
from sim.experiments import arms_of, sweep_points

from .helpers import ROOT, small_for

SMALL = {"market.size": 800, "run.weeks": 20}


def _raw(path: Path) -> dict:
    with open(path, "rb") as handle:
        return tomllib.load(handle)


SCENARIOS = sorted((ROOT / "scenarios").glob("*.toml"))
EXPERIMENTS = [path for path in SCENARIOS if {"arms", "sweep"} & set(_raw(path))]


def _expected_points(sweep: dict) -> int:
    """Design points a [sweep] table asks for: the product of the value lists, or `samples`."""
    if sweep.get("method", "grid") == "lhs":
        return sweep["samples"]
    keys = sweep.get("uncertainties", sweep.get("keys"))  # (keys: the older name)

    def lists(table: dict, prefix: str = "") -> list[list]:
        found = []
        for key, value in table.items():
            if isinstance(value, dict):
                found += lists(value, f"{prefix}{key}.")
            else:
                found.append(value)
        return found

    return len(list(itertools.product(*lists(keys))))


def test_the_shipped_scenarios_are_all_here():
    names = {path.name for path in SCENARIOS}
    expected = {"baseline.toml", "conquest_vs_relations.toml", "what_if.toml", "hotel.toml"}
    assert expected <= names, f"expected at least {sorted(expected)} in scenarios/, found {sorted(names)}"
    with_experiments = {path.name for path in EXPERIMENTS}
    assert {"conquest_vs_relations.toml", "what_if.toml"} <= with_experiments, (
        f"expected the arms and sweep examples among the files with experiments, got {sorted(with_experiments)}"
    )


@pytest.mark.parametrize("path", SCENARIOS, ids=[path.name for path in SCENARIOS])
def test_scenario_runs_at_small_size_and_every_firm_has_customers(path: Path):
    small = small_for(path, SMALL)
    weeks = small["run.weeks"]
    scenario = load_scenario(path, overrides=small)
    assert scenario.market.size == 800, f"expected the override market.size = 800, got {scenario.market.size}"
    result = simulate(scenario)
    firms = result.summary["firms"]
    assert set(firms) == set(scenario.firms), (
        f"{path.name}: expected a summary for every firm {sorted(scenario.firms)}, got {sorted(firms)}"
    )
    assert result.summary["weeks"] == weeks, (
        f"{path.name}: expected {weeks} weeks run, got {result.summary['weeks']}"
    )
    for name, summary in firms.items():
        assert summary["customers_end"] > 0, (
            f"{path.name}: expected firm {name!r} to have customers after {weeks} weeks, got none"
        )
        buyers = result.customers[result.customers["firm"] == name]
        assert len(buyers) > 0, f"{path.name}: expected rows of firm {name!r} in the per-person table"
    expected_rows = len(scenario.firms) * (weeks + 1)
    assert len(result.timeseries) == expected_rows, (
        f"{path.name}: expected {expected_rows} timeseries rows (weeks 0-{weeks} x firms), got {len(result.timeseries)}"
    )


@pytest.mark.parametrize("path", EXPERIMENTS, ids=[path.name for path in EXPERIMENTS])
def test_arms_and_sweeps_expand_to_the_expected_count(path: Path):
    raw = _raw(path)
    scenario = load_scenario(path, overrides=small_for(path, SMALL))
    if "arms" in raw:
        arms = arms_of(scenario)
        assert list(arms) == list(raw["arms"]), (
            f"{path.name}: expected the arms {list(raw['arms'])} in file order, got {list(arms)}"
        )
        for label, arm in arms.items():
            assert arm.market.size == 800, f"{path.name}: expected arm {label!r} to keep market.size = 800"
    if "sweep" in raw:
        points = sweep_points(scenario)
        expected = _expected_points(raw["sweep"])
        assert len(points) == expected, f"{path.name}: expected {expected} sweep points, got {len(points)}"
        assert len({tuple(sorted(p.items())) for p in points}) == len(points), (
            f"{path.name}: expected every sweep point to be distinct"
        )
        base = scenario.without_experiments()
        for point in points:
            varied = base.with_overrides(point)  # raises ScenarioError if the point is invalid
            assert varied.market.size == 800, f"{path.name}: expected point {point} to keep market.size = 800"
