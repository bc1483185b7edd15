"""The experiment tables of a scenario file: ``[sweep]``, ``[sensitivity]``, ``[optimise]``, ``[game]``,
``[uncertainties]`` and ``[discover]``.

Owns their schema (what each key may hold, its default and its range, written in the design
vocabulary: uncertainties, decisions, outcomes, constraints, ranges) and the older ways of
writing them that still read: ``[sweep.keys]`` and ``[sensitivity.parameters]`` (now
``uncertainties``), ``[low, high]`` ranges (now ``{low, high}``), ``{min, max}`` bounds (now
``{low, high}``) and the plan space as ``levers``, ``shares`` and ``start_weeks`` (now one
``[optimise.decisions]`` table). :func:`older_forms` lists where a table uses them, for the
loader's DeprecationWarning that names the file and the key. Whether a table fits its scenario
(the keys exist, both ends of a range make a valid scenario) is checked in :mod:`sim.design.checks`.
A ``[game]`` choice stands for dotted overrides of its firm's table (:func:`choice_overrides`),
reading a ``sim optimise`` plan file when it names one (:func:`read_plan`).

Example:
    >>> table = SensitivityConfig.model_validate({"parameters": {"firms.us.budget": [100, 900]}})
    >>> table.uncertainties["firms.us.budget"]
    Range(low=100.0, high=900.0)
    >>> older_forms({"sensitivity": {"parameters": {"firms.us.budget": [100, 900]}}})[0][0]
    'sensitivity.parameters'
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, Union

from pydantic import AliasChoices, Discriminator, Field, Tag, field_validator, model_validator

from sim.design.outcomes import LEVERS
from sim.design.vocabulary import (
    Bounds,
    Decision,
    DecisionTable,
    Distribution,
    Range,
    RangeOrPair,
    Uncertainty,
    flatten_keys,
    uncertainties_of,
)
from sim.values import MAX_SEED, Flag, Real, Strict, Whole


def _form_tag(value: Any) -> str:
    """Which form a varied key's value is written in (the tags are not part of what users write)."""
    if isinstance(value, list | tuple):
        return "Values"
    if isinstance(value, Distribution) or (isinstance(value, Mapping) and "dist" in value):
        return "Distribution"
    return "Range"


def _sampled_tag(value: Any) -> str:
    return "Distribution" if _form_tag(value) == "Distribution" else "Range"


# A sampled uncertainty: a range (the older [low, high] still reads) or a distribution.
SampledForm = Annotated[
    Union[Annotated[RangeOrPair, Tag("Range")], Annotated[Distribution, Tag("Distribution")]],  # noqa: UP007
    Discriminator(_sampled_tag),
]
# Any uncertainty: a list of values, a range or a distribution.
UncertaintyForm = Annotated[
    Union[  # noqa: UP007
        Annotated[list[Any], Tag("Values")],
        Annotated[Range, Tag("Range")],
        Annotated[Distribution, Tag("Distribution")],
    ],
    Discriminator(_form_tag),
]


def _flattened(value: Any) -> Any:
    return flatten_keys(value) if isinstance(value, Mapping) else value


def _one_name(data: Any, name: str, older: str) -> Any:
    if isinstance(data, Mapping) and name in data and older in data:
        raise ValueError(f"give {name} or its older name {older}, not both")
    return data


class SweepConfig(Strict):
    """A design over dotted keys for ``sim sweep``: every combination of value lists (grid) or a
    Latin hypercube over ranges."""

    method: Literal["grid", "lhs"] = "grid"  # full factorial, or Latin hypercube sampling
    samples: Whole | None = Field(None, ge=1, le=100_000)  # points of a Latin hypercube
    runs: Whole = Field(1, ge=1, le=10_000)  # replicates per point (`--runs` overrides)
    # dotted key -> values (grid) or {low, high} (lhs); the older name `keys` still reads
    uncertainties: dict[str, list[Any] | Range] = Field(
        validation_alias=AliasChoices("uncertainties", "keys")
    )

    @model_validator(mode="before")
    @classmethod
    def _one_table(cls, data: Any) -> Any:
        return _one_name(data, "uncertainties", "keys")

    @field_validator("uncertainties", mode="before")
    @classmethod
    def _flatten_keys(cls, value: Any) -> Any:
        value = _flattened(value)
        if isinstance(value, Mapping):
            for key, form in value.items():
                if isinstance(form, Mapping) and "dist" in form:
                    raise ValueError(
                        f"{key}: a sweep takes a list of values (grid) or a range {{low = ..., high = ...}} "
                        "(lhs), not a distribution"
                    )
        return value

    @model_validator(mode="after")
    def _consistent(self) -> SweepConfig:
        if not self.uncertainties:
            raise ValueError("uncertainties: name at least one dotted key to sweep")
        for key, values in self.uncertainties.items():
            if self.method == "grid" and not (isinstance(values, list) and values):
                raise ValueError(f"uncertainties.{key}: a grid sweep takes a non-empty list of values")
            if self.method == "lhs" and not isinstance(values, Range):
                raise ValueError(
                    f"uncertainties.{key}: a Latin hypercube takes a range {{low = ..., high = ...}}"
                )
        if self.method == "lhs" and self.samples is None:
            raise ValueError("samples: a Latin hypercube needs the number of points")
        return self

    @property
    def keys(self) -> dict[str, list[Any] | Range]:
        """The swept keys (the older name of :attr:`uncertainties`)."""
        return self.uncertainties

    def uncertainty_list(self) -> list[Uncertainty]:
        return uncertainties_of(self.uncertainties)


class SensitivityConfig(Strict):
    """A global sensitivity analysis over dotted keys (``sim sensitivity``, sim/sensitivity.py)."""

    method: Literal["sobol", "morris"] = "sobol"  # variance-based indices, or elementary-effect screening
    samples: Whole = Field(64, ge=2, le=1_000_000)  # base samples N: Sobol N (D + 2) points, Morris N (D + 1)
    runs: Whole = Field(1, ge=1, le=10_000)  # replicates per point, the same seeds at every point
    # per-firm outcomes
    outcomes: list[str] = Field(
        default_factory=lambda: ["customers_end", "profit", "ltv", "retention_yearly"]
    )
    firm: str | None = None  # the firm whose outcomes are analysed (None = the first)
    levels: Whole = Field(4, ge=2, le=20)  # Morris: grid levels per parameter (even)
    # dotted key -> {low, high} or a distribution; the older name `parameters` still reads
    uncertainties: dict[str, SampledForm] = Field(
        validation_alias=AliasChoices("uncertainties", "parameters")
    )

    @model_validator(mode="before")
    @classmethod
    def _one_table(cls, data: Any) -> Any:
        return _one_name(data, "uncertainties", "parameters")

    @field_validator("uncertainties", mode="before")
    @classmethod
    def _flatten_uncertainties(cls, value: Any) -> Any:
        return _flattened(value)

    @model_validator(mode="after")
    def _consistent(self) -> SensitivityConfig:
        if not self.uncertainties:
            raise ValueError(
                "uncertainties: name at least one dotted key with a range {low = ..., high = ...}"
            )
        if self.method == "sobol" and self.samples & (self.samples - 1):
            raise ValueError(f"samples = {self.samples}: Sobol needs a power of two (e.g. 32, 64, 128)")
        if self.method == "morris" and self.levels % 2:
            raise ValueError(f"levels = {self.levels}: Morris needs an even number of levels")
        if not self.outcomes:
            raise ValueError("outcomes: name at least one per-firm outcome, e.g. profit")
        return self

    @property
    def parameters(self) -> dict[str, Range | Distribution]:
        """The analysed keys (the older name of :attr:`uncertainties`)."""
        return self.uncertainties

    def uncertainty_list(self) -> list[Uncertainty]:
        return uncertainties_of(self.uncertainties)


# The older settings of a plan's levers, replaced by `decisions`.
OLDER_PLAN_KEYS = ("levers", "shares", "start_weeks")


class OptimiseConfig(Strict):
    """Strategy planning: the search of ``sim optimise`` (sim/optimise/, docs/optimise.md)."""

    firm: str | None = None  # the firm whose plan is optimised (None = the first)
    objectives: list[str] = Field(["profit"], min_length=1, max_length=3)  # per-firm outcomes
    # lever -> {share = {low, high}, start_week = {low, high}}: the levers a plan may use (None = every lever)
    decisions: dict[str, DecisionTable] | None = None
    spend_all: Flag = False  # shares sum to 1; else part of the budget may stay unspent
    budget: RangeOrPair | None = None  # {low, high}: the weekly budget is a decision too
    # {low, high}: the firm's price from week `price_from` on is a decision too (its price_path)
    price: RangeOrPair | None = None
    # the week the chosen price starts (None = the week of the firm's first price_path point, else 1)
    price_from: Whole | None = None
    constraints: dict[str, Bounds] = Field(
        default_factory=dict
    )  # outcome -> {low, high}, e.g. retention_yearly = {low = 0.8}
    uncertainties: dict[str, UncertaintyForm] = Field(
        default_factory=dict
    )  # dotted key -> values, {low, high} or a distribution
    market_scenarios: Whole = Field(8, ge=2, le=10_000)  # markets sampled when a range is given
    downside: Real = Field(0.0, ge=0, lt=0.5)  # 0: the worst market; q: the q-quantile
    robust: Literal["downside", "mean"] = "downside"  # what the search optimises across markets
    trials: Whole = Field(60, ge=1, le=1_000_000)  # candidate plans evaluated
    runs: Whole = Field(6, ge=2, le=10_000)  # replicate seeds per candidate (the same for all)
    confirm_runs: Whole = Field(10, ge=2, le=10_000)  # fresh seeds for the best plan vs the built-ins
    batch: Whole = Field(4, ge=1, le=10_000)  # candidates asked of the sampler at a time
    sampler: Literal["tpe", "nsga2", "random"] = "tpe"  # optuna's sampler
    seed: Whole | None = Field(None, ge=0, le=MAX_SEED)  # first seed and the sampler's (None = run.seed)
    # Also search against passive rivals (the naive plan) and score both plans with the rivals'
    # [firms.<name>.response] running: the plan that expects a response (docs/optimise.md).
    rivals_respond: Flag = False

    @model_validator(mode="before")
    @classmethod
    def _older_plan_keys(cls, data: Any) -> Any:
        """``levers``, ``shares`` and ``start_weeks`` (the older plan space) as ``decisions``."""
        if not isinstance(data, Mapping) or not any(k in data for k in OLDER_PLAN_KEYS):
            return data
        if "decisions" in data:
            raise ValueError("give decisions or the older levers, shares and start_weeks, not both")
        data = dict(data)
        levers = data.pop("levers", None)
        shares = data.pop("shares", None) or {}
        starts = data.pop("start_weeks", None) or {}
        if levers is not None and not (isinstance(levers, list) and all(isinstance(k, str) for k in levers)):
            raise ValueError(f"levers = {levers!r}: a list of lever names")
        if not isinstance(shares, Mapping) or not isinstance(starts, Mapping):
            raise ValueError("shares and start_weeks are tables of lever = {...}")
        names = list(LEVERS) if levers is None else list(levers)
        if len(set(names)) != len(names) or not names:
            raise ValueError(f"levers = {levers!r}: name each lever once, at least one")
        decisions: dict[str, dict[str, Any]] = {name: {} for name in names}
        for key, table in (("share", shares), ("start_week", starts)):
            for lever, value in table.items():
                if lever not in decisions:
                    older = "shares" if key == "share" else "start_weeks"
                    raise ValueError(
                        f"{older}.{lever} = {value!r}: not a lever of the plan; levers: {', '.join(names)}"
                    )
                decisions[lever][key] = value
        data["decisions"] = decisions
        return data

    @field_validator("uncertainties", mode="before")
    @classmethod
    def _flatten_uncertainties(cls, value: Any) -> Any:
        return _flattened(value)

    def decision_list(self) -> list[Decision]:
        """The levers a plan may use and how (every lever, any share, from week 0, when unset)."""
        if self.decisions is None:
            return [Decision(lever) for lever in LEVERS]
        return [Decision.of(lever, table) for lever, table in self.decisions.items()]

    def uncertainty_list(self) -> list[Uncertainty]:
        return uncertainties_of(self.uncertainties)

    @property
    def levers(self) -> list[str] | None:
        """The levers a plan may use (None: every lever); the older view of :attr:`decisions`."""
        return None if self.decisions is None else list(self.decisions)


# --------------------------------------------------------------------------- older forms


def older_forms(data: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Where the experiment tables of a scenario's raw data use an older way of writing: a list
    of (dotted key, what to write instead), for the loader's DeprecationWarning.

    Example:
        >>> older_forms({"optimise": {"shares": {"search_ads": {"max": 0.5}}}})[0]
        ('optimise.shares', 'write [optimise.decisions] instead: one entry a lever, e.g. search_ads = {share = {high = 0.5}, start_week = {low = 0, high = 52}}')
    """
    found: list[tuple[str, str]] = []
    sweep = data.get("sweep")
    if isinstance(sweep, Mapping) and "keys" in sweep:
        found.append(("sweep.keys", "renamed: write [sweep.uncertainties]"))
    sensitivity = data.get("sensitivity")
    if isinstance(sensitivity, Mapping):
        if "parameters" in sensitivity:
            found.append(("sensitivity.parameters", "renamed: write [sensitivity.uncertainties]"))
        for name in ("parameters", "uncertainties"):
            found += pairs_in(sensitivity.get(name), f"sensitivity.{name}")
    optimise = data.get("optimise")
    if isinstance(optimise, Mapping):
        found += older_plan_forms(optimise, "optimise")
    return found


def older_plan_forms(settings: Mapping[str, Any], where: str) -> list[tuple[str, str]]:
    """The older forms in an ``[optimise]`` table (or a dict of settings): the plan space as
    levers/shares/start_weeks, a [low, high] budget, {min, max} bounds."""
    found = []
    for key in OLDER_PLAN_KEYS:
        if key in settings:
            found.append((
                f"{where}.{key}",
                "write [optimise.decisions] instead: one entry a lever, e.g. search_ads = "
                "{share = {high = 0.5}, start_week = {low = 0, high = 52}}",
            ))  # fmt: skip
    if isinstance(settings.get("budget"), list | tuple):
        found += pairs_in({"budget": settings["budget"]}, where)
    decisions = settings.get("decisions")
    if isinstance(decisions, Mapping):
        for lever, table in decisions.items():
            if isinstance(table, Mapping):
                found += pairs_in({"start_week": table.get("start_week")}, f"{where}.decisions.{lever}")
                found += min_max_in({"share": table.get("share")}, f"{where}.decisions.{lever}")
    for name in ("shares", "constraints"):
        found += min_max_in(settings.get(name), f"{where}.{name}")
    return found


def pairs_in(table: Any, where: str) -> list[tuple[str, str]]:
    """The ranges of ``table`` written as ``[low, high]``."""
    if not isinstance(table, Mapping):
        return []
    return [
        (
            f"{where}.{key}",
            f"a range is written {{low = {value[0]!r}, high = {value[1]!r}}}; [low, high] still reads",
        )
        for key, value in flatten_keys(table).items()
        if isinstance(value, list | tuple) and len(value) == 2
    ]


def min_max_in(table: Any, where: str) -> list[tuple[str, str]]:
    """The bounds of ``table`` written as ``{min, max}``."""
    if not isinstance(table, Mapping):
        return []
    return [
        (f"{where}.{key}", "bounds are written {low = ..., high = ...}; {min, max} still reads")
        for key, value in table.items()
        if isinstance(value, Mapping) and {"min", "max"} & set(value)
    ]


# --------------------------------------------------------------------------- [game]

# The key of a choice that names a `sim optimise` best.toml (the firm's plan is read from it).
PLAN_KEY = "plan"


class GameIterateConfig(Strict):
    """Iterated best response (``sim game --iterate``): each firm in turn optimises its own plan
    against the others' current ones, until no firm improves beyond the noise or ``rounds``."""

    rounds: Whole = Field(4, ge=1, le=1000)  # the most rounds (a round: every firm optimises once)
    firms: list[str] | None = None  # the firms that optimise, in this order (None = every player)
    start: dict[str, str] = Field(
        default_factory=dict
    )  # firm -> the choice it starts from (default: its first)
    # The optimiser's settings for every firm's search ([optimise] keys; objectives = the game's payoff).
    optimise: dict[str, Any] = Field(default_factory=lambda: {"trials": 20, "runs": 4, "confirm_runs": 4})

    @field_validator("optimise")
    @classmethod
    def _optimiser_settings(cls, value: dict[str, Any]) -> dict[str, Any]:
        for key in ("firm", "objectives"):
            if key in value:
                raise ValueError(
                    f"optimise.{key}: set by the game (each firm in turn, on the game's payoff); leave it out"
                )
        OptimiseConfig.model_validate(value)  # the same keys and ranges as [optimise]
        return value

    def settings(self) -> OptimiseConfig:
        """The optimiser's settings, typed (objectives are filled in by the game)."""
        return OptimiseConfig.model_validate(self.optimise)


class GameConfig(Strict):
    """A game between firms (``sim game``, sim/game/): per firm the choices it may make, each a set
    of overrides of that firm's table (``strategy``, ``budget``, ``response.personality``, ...) or a
    ``plan`` written by ``sim optimise``; every combination runs on the same seeds.

    Example:
        >>> game = GameConfig.model_validate({"choices": {"us": ["conquest", "relations"],
        ...     "rival": {"cut": {"price": 30}, "hold": {}}}})
        >>> game.choices["us"]["relations"], game.choices["rival"]["cut"], game.players
        ({'strategy': 'relations'}, {'price': 30}, ['us', 'rival'])
    """

    replicates: Whole = Field(8, ge=2, le=10_000)  # paired seeds: every profile runs on the same ones
    payoff: str = "profit"  # the per-firm outcome best responses and equilibria use
    seed: Whole | None = Field(None, ge=0, le=MAX_SEED)  # the first seed (None = run.seed)
    # firm -> choice name -> overrides of the firm's table (or {plan = "best.toml"}); a list of
    # strategy names is short for {name = {strategy = name}}
    choices: dict[str, dict[str, dict[str, Any]]]
    iterate: GameIterateConfig | None = None  # iterated best response (`--iterate`)

    @field_validator("choices", mode="before")
    @classmethod
    def _short_form(cls, value: Any) -> Any:
        if not isinstance(value, Mapping):
            return value
        out: dict[str, Any] = {}
        for firm, choices in value.items():
            if isinstance(choices, list | tuple):
                if not all(isinstance(name, str) and name for name in choices):
                    raise ValueError(
                        f'{firm} = {list(choices)!r}: a list names strategies, e.g. ["conquest", "relations"]'
                    )
                if len(set(choices)) != len(choices):
                    raise ValueError(f"{firm} = {list(choices)!r}: name each strategy once")
                out[firm] = {name: {"strategy": name} for name in choices}
            else:
                out[firm] = choices
        return out

    @model_validator(mode="after")
    def _consistent(self) -> GameConfig:
        if len(self.choices) < 2:
            raise ValueError(
                f"choices: a game needs at least two firms with choices, got {len(self.choices)} "
                f"({', '.join(self.choices) or 'none'})"
            )
        for firm, choices in self.choices.items():
            if not choices:
                raise ValueError(f"choices.{firm}: give the firm at least one choice")
        if all(len(choices) < 2 for choices in self.choices.values()):
            raise ValueError(
                "choices: at least one firm needs two or more choices (else there is nothing to choose)"
            )
        return self

    @property
    def players(self) -> list[str]:
        """The firms that choose, in the table's order."""
        return list(self.choices)


# The keys of a firm's table that make its plan: what a `plan` choice takes from a best.toml
# (`price_path` holds the price a plan may choose, `sim optimise --price`).
PLAN_FIRM_KEYS = ("strategy", "split", "params", "budget", "price_path")


def plan_file(path: str, folder: str | os.PathLike[str] | None) -> Path:
    """Where a choice's ``plan`` file is: relative to the scenario's folder (as ``network.path``),
    else to the current folder (where ``sim optimise`` wrote ``results/...``), else as given."""
    candidate = Path(path)
    if candidate.is_absolute():
        return candidate
    if folder is not None and (Path(folder) / candidate).exists():
        return Path(folder) / candidate
    return candidate


def read_plan(path: Path, firm: str) -> dict[str, Any]:
    """The plan of ``firm`` in a scenario file written by ``sim optimise`` (``best.toml``): its
    ``strategy``, ``split``, ``params``, ``budget`` and ``price_path``, as overrides of the firm's table.

    Raises:
        ValueError: the file is missing, is not TOML, or has no table for ``firm``.
    """
    import tomllib

    if not path.is_file():
        raise ValueError(f"plan file {str(path)!r} not found (a `sim optimise` best.toml)")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ValueError(f"plan file {str(path)!r} is not TOML: {error}") from None
    firms = data.get("firms")
    if not isinstance(firms, Mapping) or not isinstance(firms.get(firm), Mapping):
        named = ", ".join(firms) if isinstance(firms, Mapping) else "none"
        raise ValueError(f"plan file {str(path)!r} has no [firms.{firm}] table; its firms: {named}")
    table = firms[firm]
    return {key: table[key] for key in PLAN_FIRM_KEYS if key in table}


def choice_overrides(
    firm: str, choice: Mapping[str, Any], folder: str | os.PathLike[str] | None = None
) -> dict[str, Any]:
    """The dotted scenario overrides a game choice stands for: a ``plan`` file's plan for the
    firm first (its strategy first: setting a strategy resets the old one's split and
    parameters), then the choice's own keys under ``firms.<firm>``.

    Example:
        >>> choice_overrides("them", {"response.personality": "retaliator", "budget": 900})
        {'firms.them.response.personality': 'retaliator', 'firms.them.budget': 900}
    """
    keys: dict[str, Any] = {}
    if PLAN_KEY in choice:
        keys.update(read_plan(plan_file(str(choice[PLAN_KEY]), folder), firm))
    keys.update({k: v for k, v in choice.items() if k != PLAN_KEY})
    ordered = sorted(keys, key=lambda k: k != "strategy")  # the strategy first, the rest as written
    return {f"firms.{firm}.{key}": keys[key] for key in ordered}


# --------------------------------------------------------------------------- [uncertainties] and [discover]


def uncertainty_table(value: Any) -> Any:
    """The top-level ``[uncertainties]`` table as dotted key -> form (nested tables flattened)."""
    return _flattened(value)


class DiscoverConfig(Strict):
    """Scenario discovery (``sim discover``, sim/discover/): a design over the scenario's
    ``[uncertainties]`` (Latin hypercube or Sobol'), every candidate strategy run in every sampled
    market on the same seeds, each strategy's regret, its robustness under named criteria and the
    conditions under which it wins.

    Example:
        >>> table = DiscoverConfig.model_validate({"strategies": ["conquest", "relations"],
        ...     "targets": {"profit": {"low": 0}}})
        >>> table.samples, table.design, table.strategy_table("us")["relations"]
        (200, 'lhs', {'strategy': 'relations'})
    """

    samples: Whole = Field(200, ge=2, le=100_000)  # markets sampled from the uncertainties
    design: Literal["lhs", "sobol"] = "lhs"  # Latin hypercube, or a scrambled Sobol' sequence (2^k markets)
    replicates: Whole = Field(2, ge=1, le=10_000)  # paired seeds per market, the same for every strategy
    seed: Whole | None = Field(None, ge=0, le=MAX_SEED)  # first seed and the design's (None = run.seed)
    firm: str | None = None  # whose outcomes are compared (None = the first firm)
    outcomes: list[str] = Field(default_factory=lambda: ["profit", "customer_equity"])  # per-firm outcomes
    # outcome -> {low} and/or {high}: what a market must give to count as met (satisficing)
    targets: dict[str, Bounds] = Field(default_factory=dict)
    # the candidates: unset = the scenario's [arms]; a list of strategy names for the firm; or
    # name -> overrides of the firm's table (as [game.choices.<firm>], a `plan` file too)
    strategies: list[str] | dict[str, dict[str, Any]] | None = None

    @field_validator("strategies", mode="before")
    @classmethod
    def _named_once(cls, value: Any) -> Any:
        if isinstance(value, list | tuple):
            if not all(isinstance(name, str) and name for name in value):
                raise ValueError(f'{list(value)!r}: a list names strategies, e.g. ["conquest", "relations"]')
            if len(set(value)) != len(value):
                raise ValueError(f"{list(value)!r}: name each strategy once")
        if isinstance(value, Mapping):
            return {name: flatten_keys(v) if isinstance(v, Mapping) else v for name, v in value.items()}
        return value

    @field_validator("strategies")
    @classmethod
    def _two_or_more(cls, value: Any) -> Any:
        if value is not None and len(value) < 2:
            raise ValueError(f"give at least two candidate strategies to compare, got {len(value)}")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> DiscoverConfig:
        if self.design == "sobol" and self.samples & (self.samples - 1):
            below = 1 << (self.samples.bit_length() - 1)
            raise ValueError(
                f"samples = {self.samples}: a Sobol' design needs a power of two markets "
                f'(e.g. {below} or {below * 2}); or use design = "lhs"'
            )
        if not self.outcomes:
            raise ValueError("outcomes: name at least one per-firm outcome, e.g. profit")
        if len(set(self.outcomes)) != len(self.outcomes):
            raise ValueError(f"outcomes = {self.outcomes!r}: name each outcome once")
        return self

    def strategy_table(self, firm: str) -> dict[str, dict[str, Any]] | None:
        """The candidates as name -> overrides of ``firm``'s table (None: the scenario's arms)."""
        if self.strategies is None:
            return None
        if isinstance(self.strategies, list):
            return {name: {"strategy": name} for name in self.strategies}
        return {name: dict(choice) for name, choice in self.strategies.items()}
