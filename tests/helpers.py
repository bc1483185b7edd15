"""Helpers shared by the tests: paths of the shipped scenarios and quick small scenarios."""

from __future__ import annotations

from pathlib import Path

from sim import load_scenario

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline.toml"
CONQUEST_VS_RELATIONS = ROOT / "scenarios" / "conquest_vs_relations.toml"


def small(path: Path = BASELINE, **overrides):
    """The scenario at ``path`` shrunk to a quick size, with dotted overrides (``__`` for ``.``)."""
    settings = {"market.size": 2000, "run.weeks": 52}
    settings.update({key.replace("__", "."): value for key, value in overrides.items()})
    return load_scenario(path, overrides=settings)


def small_for(path: Path, settings: dict) -> dict:
    """``settings`` (a size and a run length) for the scenario at ``path``, with the run long
    enough for its last scheduled event to strike and 10 weeks more (an event beyond the run is
    refused)."""
    last = max((e.strikes_at_fixed_week() or 0 for e in load_scenario(path).events), default=0)
    weeks = max(settings["run.weeks"], last + 10 if last else 0)
    return {**settings, "run.weeks": weeks}
