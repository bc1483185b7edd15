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

from sim.design import (
    DiscoverConfig,
    GameConfig,
    OptimiseConfig,
    SensitivityConfig,
    SweepConfig,
    UncertaintyForm,
    flatten_keys,
    uncertainty_table,
)
from sim.scenario.behaviours import BehavioursConfig
from sim.scenario.events import CHANGEABLE_RULE, Event, changeable
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
from sim.scenario.networks import check_research_network
from sim.scenario.overrides import apply_overrides
from sim.scenario.people import Persona, default_personas, trait_column
from sim.scenario.responses import check_response
from sim.scenario.seeds import check_seeds
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
    game: GameConfig | None = None  # the choices of `sim game`
    # dotted key -> {low, high}, a distribution or a list of values: what the market may do (`sim discover`)
    uncertainties: dict[str, UncertaintyForm] | None = None
    discover: DiscoverConfig | None = None  # the design of `sim discover`
    events: list[Event] = Field(default_factory=list, max_length=1000)  # the market's timeline
    source: str | None = Field(None, exclude=True)  # the file it came from (not part of the data)

    @field_validator("arms", mode="before")
    @classmethod
    def _flatten_arms(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {label: flatten_keys(o) if isinstance(o, dict) else o for label, o in value.items()}
        return value

    @field_validator("uncertainties", mode="before")
    @classmethod
    def _flatten_uncertainties(cls, value: Any) -> Any:
        return uncertainty_table(value)

    @model_validator(mode="before")
    @classmethod
    def _network_type_defaults(cls, data: Any) -> Any:
        network = data.get("network") if isinstance(data, dict) else None
        if isinstance(network, dict) and "type" not in network:
            data = {**data, "network": {"type": "watts_strogatz", **network}}
        return data

    @model_validator(mode="before")
    @classmethod
    def _entrants_last(cls, data: Any) -> Any:
        # A firm that enters later starts with no customers (its initial_share is 0 unless the
        # file says otherwise, which the checks refuse) and sits after the firms present from the
        # start, so the incumbents keep their positions, and with them their random streams: a run
        # with an entrant is the run without it until the entrant arrives.
        if not isinstance(data, dict) or not isinstance(data.get("events"), list):
            return data
        firms = data.get("firms")
        entering = [e.get("firm") for e in data["events"] if isinstance(e, dict) and e.get("kind") == "enter"]
        if not isinstance(firms, dict) or not entering:
            return data
        firms = {
            name: ({"initial_share": 0.0, **table} if name in entering and isinstance(table, dict) else table)
            for name, table in firms.items()
        }
        order = [n for n in firms if n not in entering] + [n for n in firms if n in entering]
        return {**data, "firms": {name: firms[name] for name in order}}

    @model_validator(mode="before")
    @classmethod
    def _seeded_firms_draw_no_share(cls, data: Any) -> Any:
        # A firm whose initial customers are chosen ([firms.<name>.seeds]) takes no part in the
        # random draw of initial_share: it is 0 unless the file sets it (which the checks refuse).
        firms = data.get("firms") if isinstance(data, dict) else None
        if not isinstance(firms, dict) or not any(
            isinstance(t, dict) and "seeds" in t for t in firms.values()
        ):
            return data
        firms = {
            name: ({"initial_share": 0.0, **table} if isinstance(table, dict) and "seeds" in table else table)
            for name, table in firms.items()
        }
        return {**data, "firms": firms}

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
        # The network ties the simulated people (market.simulated when the market is scaled).
        size, key = self.market.people, "market.size" if self.market.simulated is None else "market.simulated"
        degree = getattr(self.network, "mean_degree", None)
        if self.network.type == "watts_strogatz" and degree >= size:
            raise ValueError(f"network.mean_degree = {degree}: must be < {key} = {size}")
        attach = getattr(self.network, "attach", None)
        if attach is not None and attach >= size:
            raise ValueError(f"network.attach = {attach}: must be < {key} = {size}")
        self._check_trait_files()
        for name, lever in self.levers:
            for persona in getattr(lever, "personas", None) or []:
                if persona not in self.personas:
                    raise ValueError(
                        f"levers.{name}.personas = {lever.personas!r}: names {persona!r}; personas in "
                        f"this scenario: {', '.join(self.personas)}"
                    )
        self._check_events()
        self._check_responses()
        problem = check_seeds(self) or check_research_network(self)
        if problem:
            raise ValueError(problem)
        return self

    def _check_trait_files(self) -> None:
        """A trait read from a file has one row per simulated person (in slot order): market.size
        rows, or market.simulated when the market is scaled."""
        people = self.market.people
        key = "market.size" if self.market.simulated is None else "market.simulated"
        for name, persona in self.personas.items():
            for trait, dist in persona.trait_files():
                rows = trait_column(dist.path, dist.column).size
                if rows != people:
                    raise ValueError(
                        f"personas.{name}.{trait}.path = {dist.path!r}: {rows:,} rows; a trait file needs "
                        f"one row per simulated person in slot order, {key} = {people:,}"
                    )

    def _check_responses(self) -> None:
        """Each firm's response against the rest of the file: its rivals exist, a price floor is
        at or below the firm's price, and it moves spend only from levers the firm funds."""
        from sim.registry import resolve_strategy_class

        levers = set(LeversConfig.model_fields)
        for name, firm in self.firms.items():
            if firm.response is None:
                continue
            funded = resolve_strategy_class(firm.strategy)(firm.split, **firm.params).funded_levers()
            problem = check_response(name, firm.response, self.firms, funded, levers)
            if problem:
                raise ValueError(problem)

    def _check_events(self) -> None:
        """Each event against the rest of the file: a unique name, timing within the run, a firm
        or lever that exists, a changeable key that takes its value, one entry and one exit per
        firm (the exit after the entry)."""
        weeks = self.run.weeks
        seen: set[str] = set()
        entered: dict[str, Any] = {}
        exited: dict[str, Any] = {}
        for index, event in enumerate(self.events):
            where = f"events.{index}"
            if event.name in seen:
                raise ValueError(
                    f"{where}.name = {event.name!r}: another event has this name; names must differ"
                )
            seen.add(event.name)
            problem = event.timing_problem()
            if problem:
                raise ValueError(f"{where} ({event.name!r}): {problem}")
            if event.week is not None and event.week > weeks:
                raise ValueError(f"{where}.week = {event.week}: beyond the run's {weeks} weeks (run.weeks)")
            for key in ("window", "between"):
                span = getattr(event, key)
                if span is not None and (span[0] > weeks or span[1] > weeks + 1):
                    raise ValueError(
                        f"{where}.{key} = {list(span)}: beyond the run's {weeks} weeks "
                        f"(first <= {weeks}, end <= {weeks + 1})"
                    )
            firm = getattr(event, "firm", None)
            if firm is not None and firm not in self.firms:
                raise ValueError(
                    f"{where}.firm = {firm!r}: no such firm; firms in this scenario: {', '.join(self.firms)}"
                )
            if event.kind in ("reputation_shock", "downturn") and event.lasting_weeks() is None:
                raise ValueError(f"{where} ({event.name!r}): a {event.kind} needs weeks = N or a window")
            if event.kind == "enter":
                if firm in entered:
                    raise ValueError(f"{where}.firm = {firm!r}: the firm already enters in another event")
                entered[firm] = event
                share = self.firms[firm].initial_share
                if share != 0:
                    raise ValueError(
                        f"firms.{firm}.initial_share = {share}: a firm that enters later (event "
                        f"{event.name!r}) starts with no customers; set it to 0 or leave it out"
                    )
            if event.kind == "exit":
                if firm in exited:
                    raise ValueError(f"{where}.firm = {firm!r}: the firm already exits in another event")
                exited[firm] = event
            if event.kind == "channel" and event.lever not in LeversConfig.model_fields:
                raise ValueError(
                    f"{where}.lever = {event.lever!r}: no such lever; levers: {', '.join(LeversConfig.model_fields)}"
                )
            if event.kind == "change":
                self._check_change(where, event)
        for firm, leaving in exited.items():
            arriving = entered.get(firm)
            if arriving is None:
                continue
            first, last = arriving.strikes_at_fixed_week(), leaving.strikes_at_fixed_week()
            if first is not None and last is not None and last <= first:
                raise ValueError(
                    f"events: firm {firm!r} exits in week {last} ({leaving.name!r}), not after it enters "
                    f"in week {first} ({arriving.name!r})"
                )

    def _check_change(self, where: str, event: Any) -> None:
        """A change event's key is one a running market reads afresh, and the scenario with its
        value is a valid scenario."""
        if not changeable(event.key):
            raise ValueError(
                f"{where}.key = {event.key!r} (event {event.name!r}): not a value an event can change "
                f"while the market runs; allowed: {CHANGEABLE_RULE}"
            )
        parts = event.key.split(".")
        if parts[0] == "firms" and parts[1] not in self.firms:
            raise ValueError(
                f"{where}.key = {event.key!r} (event {event.name!r}): no firm {parts[1]!r}; "
                f"firms in this scenario: {', '.join(self.firms)}"
            )
        numeric = isinstance(event.value, int | float) and not isinstance(event.value, bool)
        if event.ramp_weeks and not numeric:
            raise ValueError(
                f"{where}.ramp_weeks = {event.ramp_weeks} (event {event.name!r}): only a number can be "
                f"ramped, the value is {event.value!r}"
            )
        data = self.model_dump(mode="python", exclude_none=True, exclude={"events", "source"})
        try:
            changed = apply_overrides(data, {event.key: event.value}, "event")
            Scenario.model_validate(changed)
        except (ValidationError, ScenarioError) as error:
            problem = (
                format_errors(error, "", changed, Scenario).removeprefix(": ")
                if isinstance(error, ValidationError)
                else str(error)
            )
            raise ValueError(
                f"{where}.key = {event.key!r}, value = {event.value!r} (event {event.name!r}): {problem}"
            ) from None

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
        return self.model_copy(
            update={
                "arms": {},
                "sweep": None,
                "sensitivity": None,
                "optimise": None,
                "game": None,
                "uncertainties": None,
                "discover": None,
            }
        )

    def with_events(self, events: list[Any]) -> Scenario:
        """A copy whose timeline is ``events`` (tables as in ``[[events]]``, or events), checked;
        a firm that enters later starts with no customers (its ``initial_share`` set to 0).

        Example:
            >>> Scenario().with_events([{"name": "cut", "kind": "change", "week": 10,
            ...     "key": "firms.rival.price", "value": 35}]).events[0].value
            35.0
        """
        data = self.model_dump(mode="python", exclude_none=True)
        data["run"]["name"] = self.name
        data["events"] = [e if isinstance(e, dict) else e.model_dump(exclude_none=True) for e in events]
        for event in data["events"]:  # an entrant starts with no customers (the file may leave it out)
            if event.get("kind") == "enter" and isinstance(data["firms"].get(event.get("firm")), dict):
                data["firms"][event["firm"]]["initial_share"] = 0.0
        return validate(data, self.source)

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
