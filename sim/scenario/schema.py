"""The scenario as a whole: its tables, the checks across them, and its validation from data.

Owns :class:`Scenario` (the validated, frozen scenario every run, experiment and figure starts
from: the model's parameters, and the experiment tables users keep in the same file, typed by the
design vocabulary of :mod:`sim.design`), the checks that span tables (initial shares, network size,
lever personas) and :func:`validate`, which turns plain data into a scenario or one
:class:`ScenarioError` that names the file, the dotted key, the value and what is allowed, and
refuses a market too large for this machine's memory.

Example:
    >>> scenario = Scenario().with_overrides({"firms.us.price": 45})
    >>> scenario.firms["us"].price, scenario.firm_names
    (45.0, ['us', 'rival'])
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError, field_validator, model_validator

from sim.design import OptimiseConfig, SensitivityConfig, SweepConfig, flatten_keys
from sim.scenario.behaviours import BehavioursConfig
from sim.scenario.levers import LeversConfig
from sim.scenario.market import (
    FirmConfig,
    MarketConfig,
    NetworkConfig,
    RunConfig,
    WattsStrogatz,
    is_plain_name,
)
from sim.scenario.memory import check_memory
from sim.scenario.messages import format_errors
from sim.scenario.overrides import apply_overrides
from sim.scenario.people import Persona, default_personas
from sim.values import MAX_PERSONAS, ScenarioError, Strict


def _default_firms() -> dict[str, FirmConfig]:
    return {"us": FirmConfig(), "rival": FirmConfig()}


class Scenario(Strict):
    """A validated, frozen scenario: everything one simulation needs besides the seed."""

    run: RunConfig = RunConfig()
    market: MarketConfig = MarketConfig()
    network: NetworkConfig = WattsStrogatz()
    personas: dict[str, Persona] = Field(default_factory=default_personas, max_length=MAX_PERSONAS)
    firms: dict[str, FirmConfig] = Field(default_factory=_default_firms, min_length=1, max_length=100)
    behaviours: BehavioursConfig = BehavioursConfig()
    levers: LeversConfig = LeversConfig()
    arms: dict[str, dict[str, Any]] = Field(
        default_factory=dict
    )  # label -> dotted overrides, for `sim compare`
    sweep: SweepConfig | None = None  # the design of `sim sweep`
    sensitivity: SensitivityConfig | None = None  # the design of `sim sensitivity`
    optimise: OptimiseConfig | None = None  # the search of `sim optimise`
    source: str | None = Field(None, exclude=True)  # the file it came from (not part of the data)

    @field_validator("arms", mode="before")
    @classmethod
    def _flatten_arms(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {label: flatten_keys(o) if isinstance(o, dict) else o for label, o in value.items()}
        return value

    @model_validator(mode="before")
    @classmethod
    def _network_type_defaults(cls, data: Any) -> Any:
        network = data.get("network") if isinstance(data, dict) else None
        if isinstance(network, dict) and "type" not in network:
            data = {**data, "network": {"type": "watts_strogatz", **network}}
        return data

    @field_validator("personas")
    @classmethod
    def _at_least_one_persona(cls, value: dict[str, Persona]) -> dict[str, Persona]:
        if not value:
            raise ValueError("at least one persona is needed")
        return value

    @model_validator(mode="after")
    def _cross_checks(self) -> Scenario:
        total_initial = sum(f.initial_share for f in self.firms.values())
        if total_initial >= 1:
            shares = ", ".join(f"firms.{n}.initial_share = {f.initial_share}" for n, f in self.firms.items())
            raise ValueError(
                f"{shares}: the firms' initial_share must sum to less than 1, got {total_initial:.4g}"
            )
        size = self.market.size
        degree = getattr(self.network, "mean_degree", None)
        if self.network.type == "watts_strogatz" and degree >= size:
            raise ValueError(f"network.mean_degree = {degree}: must be < market.size = {size}")
        attach = getattr(self.network, "attach", None)
        if attach is not None and attach >= size:
            raise ValueError(f"network.attach = {attach}: must be < market.size = {size}")
        for name, lever in self.levers:
            for persona in getattr(lever, "personas", None) or []:
                if persona not in self.personas:
                    raise ValueError(
                        f"levers.{name}.personas = {lever.personas!r}: names {persona!r}; personas in "
                        f"this scenario: {', '.join(self.personas)}"
                    )
        return self

    @property
    def name(self) -> str:
        """``run.name``, else the file's stem made a plain folder name (``my:file`` -> ``my_file``)."""
        if self.run.name:
            return self.run.name
        stem = Path(self.source).stem if self.source else ""
        if is_plain_name(stem):
            return stem
        plain = "".join("_" if c in '/\\:*?"<>|' or ord(c) < 32 or ord(c) == 127 else c for c in stem)
        return plain.strip(". ")[:100] or "scenario"

    @property
    def firm_names(self) -> list[str]:
        return list(self.firms)

    def to_dict(self) -> dict[str, Any]:
        """Every value, defaults filled in, as plain data (the resolved scenario)."""
        data = self.model_dump(mode="json", exclude_none=True)
        data["run"]["name"] = self.name
        return data

    def to_toml(self) -> str:
        """The resolved scenario as TOML text that :func:`load_scenario` reads back."""
        import tomli_w

        header = "# Resolved scenario: every default filled in. Re-run it with `sim run <this file>`.\n"
        return header + tomli_w.dumps(self.to_dict())

    def without_experiments(self) -> Scenario:
        """The scenario of one run: no arms, no sweep (they describe sets of runs)."""
        return self.model_copy(update={"arms": {}, "sweep": None, "sensitivity": None, "optimise": None})

    def with_overrides(self, overrides: Mapping[str, Any]) -> Scenario:
        """A copy with dotted-key overrides applied and validated again."""
        data = self.model_dump(mode="python", exclude_none=True)
        data["run"]["name"] = self.name
        return validate(apply_overrides(data, overrides, self.source or "<scenario>"), self.source)


def validate(data: dict[str, Any], source: str | None) -> Scenario:
    """The scenario of plain ``data`` (from the file ``source``), or one :class:`ScenarioError`
    naming the file, the first problem's dotted key, its value and what is allowed; a market too
    large for this machine's memory is refused too.

    Example:
        >>> validate({"run": {"weeks": 0}}, "my.toml")
        Traceback (most recent call last):
        ...
        sim.scenario.ScenarioError: my.toml: run.weeks = 0: Input should be greater than or equal to 1
    """
    try:
        scenario = Scenario.model_validate({**data, "source": source})
    except ValidationError as error:
        raise ScenarioError(format_errors(error, source or "<scenario>", data, Scenario)) from None
    check_memory(scenario)
    return scenario
