"""The dashboard's emulated what-if: the page's settings answered by an emulator, and the real run that confirms.

Owns what ``sim dashboard SCENARIO --emulator DIR`` adds to the page, without Solara (the panel
itself is in :mod:`sim.dashboard.app`): which of the page's controls are inputs of the emulator
(:attr:`WhatIf.bound`: their moves are answered at once) and which inputs have no control (the
panel gets a slider of its own for each, over the range the emulator was fitted on,
:meth:`WhatIf.own_sliders`); :meth:`WhatIf.answer`, a slider move's answer from the emulator:
every outcome's predicted mean and 95% interval, its cross-validated error in words, the inputs
outside the fitted ranges, and how long the prediction took; and :meth:`WhatIf.confirm`, the
button "run the real simulation to confirm": the design's scenario at those inputs, simulated for
as many replicates as the design ran per point, each outcome's mean beside the prediction.

Example:
    >>> import tempfile
    >>> from sim.emulate.design import Input
    >>> from sim.emulate import Emulator
    >>> whatif = WhatIf(Emulator([Input("firms.us.budget", "number", 300.0, 1200.0)], {}, {"firm": "us"}),
    ...                 {"firms.us.budget": {"type": "SliderInt", "value": 600}})
    >>> whatif.bound, whatif.own_sliders()
    (['firms.us.budget'], {})
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.emulate import Emulator, Prediction
from sim.emulate.design import Input
from sim.scenario import Scenario, load_scenario

SLIDER_STEPS = 40  # an own slider moves in 1/40 of its input's fitted range
CONFIRM_MAX_RUNS = 5  # the confirming run repeats at most this many seeds (the design may have run more)


@dataclass(frozen=True)
class Answer:
    """A what-if answered by the emulator: the ``point`` asked, each outcome's :class:`Prediction`,
    one note per outcome (its error, its basis named), the inputs outside the fitted ranges and
    the prediction's time in milliseconds."""

    point: dict[str, Any]
    predictions: dict[str, Prediction]
    notes: list[str]
    extrapolated: tuple[str, ...]
    milliseconds: float

    def warning(self) -> str | None:
        """What the page shows when the point lies outside what the emulator was fitted on."""
        if not self.extrapolated:
            return None
        return (
            f"extrapolation: {', '.join(self.extrapolated)} outside the range the emulator was fitted on; "
            "its answer there is a guess, run the real simulation"
        )


@dataclass(frozen=True)
class Confirmation:
    """The real simulation at a what-if's point: per outcome the mean over ``runs`` seeds, what the
    emulator predicted and whether the mean lies inside its 95% interval."""

    point: dict[str, Any]
    scenario: str
    runs: int
    simulated: dict[str, float]
    predicted: dict[str, Prediction]
    seconds: float

    def lines(self) -> list[str]:
        out = [f"Simulated {self.scenario!r} at this point: mean of {self.runs} runs ({self.seconds:.1f} s)"]
        for name, value in self.simulated.items():
            p = self.predicted[name]
            inside = "inside" if p.low <= value <= p.high else "OUTSIDE"
            out.append(
                f"{name}: simulated {value:,.0f}; emulated {p.mean:,.0f} [{p.low:,.0f}, {p.high:,.0f}] "
                f"({inside} the 95% interval)"
            )
        return out


class WhatIf:
    """An emulator beside the page's controls (``params``: :func:`sim.dashboard.market.dashboard_params`).

    Args:
        emulator: the fitted emulator (:func:`sim.emulate.load_emulator`).
        params: the page's controls, by dotted key.
        page_scenario: the scenario the page was opened on (the confirming run uses the design's
            own scenario, the one the emulator was fitted on, when the emulator carries it).
    """

    def __init__(self, emulator: Emulator, params: Mapping[str, Any], page_scenario: Scenario | None = None):
        self.emulator = emulator
        self.page_scenario = page_scenario
        controls = {key for key, spec in params.items() if isinstance(spec, dict) and "type" in spec}
        firm = emulator.source.get("firm")
        self.strategies: dict[str, dict[str, Any]] = emulator.source.get("strategies") or {}
        # A discover design's "strategy" input is the focal firm's strategy control when every
        # candidate is a plain strategy by name; a plan or an override table gets a select of its own.
        plain = all(o == {f"firms.{firm}.strategy": name} for name, o in self.strategies.items())
        self.aliases = {"strategy": f"firms.{firm}.strategy"} if firm and self.strategies and plain else {}
        self.bound = [name for name in emulator.input_names if self.aliases.get(name, name) in controls]

    def control_key(self, name: str) -> str:
        """The page control that sets the emulator's input ``name``."""
        return self.aliases.get(name, name)

    def own_sliders(self) -> dict[str, Input]:
        """The emulator's inputs that no control of the page sets: the panel's own sliders."""
        return {spec.name: spec for spec in self.emulator.inputs if spec.name not in self.bound}

    @staticmethod
    def start_value(spec: Input) -> Any:
        """Where an own slider starts: the middle of the fitted range (a category: its first level)."""
        return spec.levels[0] if spec.kind == "category" else (spec.low + spec.high) / 2

    @staticmethod
    def step(spec: Input) -> float:
        return (spec.high - spec.low) / SLIDER_STEPS

    def point(self, settings: Mapping[str, Any], own: Mapping[str, Any]) -> dict[str, Any]:
        """The emulator's inputs from the controls' values (``settings``) and the own sliders' (``own``)."""
        return {
            name: settings[self.control_key(name)] if name in self.bound else own[name]
            for name in self.emulator.input_names
        }

    def answer(self, settings: Mapping[str, Any], own: Mapping[str, Any] | None = None) -> Answer:
        """A slider move answered by the emulator alone (no simulation runs here)."""
        started = time.perf_counter()
        point = self.point(settings, own or {})
        predictions = self.emulator.predict(point)
        elapsed = 1000 * (time.perf_counter() - started)
        notes = [f"emulated: {self.emulator.error_note(name)}" for name in predictions]
        return Answer(point, predictions, notes, self.emulator.outside(point), elapsed)

    def confirm_scenario(self, point: Mapping[str, Any]) -> Scenario:
        """The scenario the confirming run simulates: the design's (else the page's) at ``point``."""
        overrides = {k: v for k, v in point.items() if k != "strategy"}
        if "strategy" in point:  # a discover design's candidate: its own dotted overrides
            overrides.update(self.strategies.get(str(point["strategy"]), {}))
        text = self.emulator.source.get("scenario_text")
        if text:
            with tempfile.TemporaryDirectory() as folder:
                path = Path(folder, "scenario.toml")
                path.write_text(text)
                return load_scenario(path, overrides=overrides).without_experiments()
        if self.page_scenario is None:
            raise ValueError("no scenario to confirm with: the emulator carries none and the page gave none")
        return self.page_scenario.with_overrides(overrides)

    def confirm(self, point: Mapping[str, Any]) -> Confirmation:
        """Run the real simulation at ``point`` for as many seeds as the design ran per point (at
        most :data:`CONFIRM_MAX_RUNS`), in this process, and set its means beside the emulator's."""
        from sim.experiments import replicate
        from sim.statistics import scalar_metrics

        started = time.perf_counter()
        scenario = self.confirm_scenario(point)
        runs = max(1, min(CONFIRM_MAX_RUNS, int(self.emulator.source.get("replicates") or 1)))
        if self.emulator.source.get("per") == "run":
            runs = 1  # the interval is for one run
        firm = self.emulator.source.get("firm") or scenario.firm_names[0]
        reps = replicate(scenario, runs=runs, jobs=1, progress=False)
        values = [scalar_metrics(result.summary["firms"][firm]) for result in reps.results]
        simulated = {
            name: sum(float(v[name]) for v in values) / len(values) for name in self.emulator.outcomes
        }
        return Confirmation(
            dict(point), scenario.name, runs, simulated, self.emulator.predict(point),
            time.perf_counter() - started,
        )  # fmt: skip
