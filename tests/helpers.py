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
    """``settings`` (a size and a run length) for the scenario at ``path``, with its scheduled
    events moved into the shorter run at the same points of it (an event beyond the run is
    refused): week w of a run of W weeks becomes week round(w x weeks / W), at least 1."""
    full = load_scenario(path)
    weeks, whole = settings["run.weeks"], full.run.weeks
    moved = dict(settings)
    if whole <= weeks:
        return moved
    for event in full.events:
        if event.week is not None:
            moved[f"events.{event.name}.week"] = max(1, round(event.week * weeks / whole))
        if event.window is not None:
            first = max(1, round(event.window[0] * weeks / whole))
            moved[f"events.{event.name}.window"] = [
                first,
                max(first + 1, round(event.window[1] * weeks / whole)),
            ]
    return moved
