"""Targets files: the observed values a calibration fits, read and checked against their scenario.

Owns the targets file (TOML; docs/research.md, "Targets files"): its schema as pydantic models
(``[uncertainties]``, the parameters to fit and their bounds; ``[settings]``; one ``[[targets]]``
table per target, whose keys depend on its ``kind``), the checks that need the scenario (firms,
the run's weeks, the weekly columns and per-firm outcomes a target may name: :data:`sim.design.WEEKLY`
and :data:`sim.design.OUTCOMES`), and the parsed form the fit uses (:class:`Target`,
:class:`TargetSet`). A refusal names the file, the target (``targets[2]``) or table, the key, the
value and what is allowed; the older ``[parameters]`` table and ``[low, high]`` ranges still read,
with a DeprecationWarning naming the file and key.

Example:
    >>> from sim import load_scenario
    >>> targets = load_targets("data/targets/retention_curve.toml", load_scenario("scenarios/research.toml"))  # doctest: +SKIP
    >>> Target("scalar", (), (250.0,), metric="ltv", firm="us").label
    'ltv (us)'
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal, Union

from pydantic import (
    AfterValidator,
    AliasChoices,
    BeforeValidator,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from sim.design import OUTCOMES, REASONS, WEEKLY, Distribution, check_uncertainties, flatten_keys, pairs_in
from sim.scenario import Scenario, ScenarioError, read_toml
from sim.scenario.loading import warn_older_forms
from sim.scenario.messages import format_errors
from sim.values import Real, Strict, Whole, finite_number, show

KINDS = ("series", "retention", "repeat_purchases", "churn_reasons", "scalar")
METHODS = ("differential_evolution", "nelder-mead", "abc")
SETTINGS = {"runs": 4, "seed": None, "max_evaluations": 60, "firm": None, "method": "differential_evolution"}
# Bayesian calibration (method = "abc", sim.calibration.abc): particles per generation, generations
# at most, the distance at which it stops early, posterior draws simulated for the predictive bands.
ABC_SETTINGS = {"population_size": 100, "generations": 5, "min_epsilon": 0.0, "predictive_draws": 40}


# --------------------------------------------------------------------------- the parsed targets


@dataclass(frozen=True)
class Target:
    """One observed target: a kind, its points and observed values (see :mod:`sim.calibration`)."""

    kind: str
    points: tuple[Any, ...]  # weeks, months, weeks since acquisition or churn reasons; () for a scalar
    values: tuple[float, ...]
    metric: str | None = None
    firm: str | None = None  # None: all firms together
    weight: float = 1.0
    unit: str = ""  # "week", "month", "weeks_since", "reason" or "" (scalar)
    definition: str = "membership"  # retention: still a customer (membership) or still buying (activity)
    window: int = 13  # activity retention: weeks in which a purchase counts
    cohort_weeks: tuple[int, int] | None = None  # log-based curves: weeks of the cohort's first purchases

    @property
    def label(self) -> str:
        who = self.firm or "all firms"
        if self.kind == "series":
            return f"{self.metric} by {self.unit} ({who})"
        if self.kind == "retention":
            how = (
                "still a customer"
                if self.definition == "membership"
                else f"bought within {self.window} weeks"
            )
            return f"retention: {how} ({who})"
        if self.kind == "repeat_purchases":
            return f"repeat purchase weeks since first purchase ({who})"
        if self.kind == "churn_reasons":
            return f"share of exits by reason ({who})"
        return f"{self.metric} ({who})"

    def point_labels(self) -> list[str]:
        if self.kind == "scalar":
            return [self.metric or ""]
        if self.unit == "reason":
            return [str(p) for p in self.points]
        return [f"{self.unit} {p}" for p in self.points]

    def to_dict(self) -> dict[str, Any]:
        """The target as written in a targets file."""
        out: dict[str, Any] = {"kind": self.kind}
        if self.metric is not None:
            out["metric"] = self.metric
        if self.firm is not None:
            out["firm"] = self.firm
        if self.kind == "retention":
            out["definition"] = self.definition
            if self.definition == "activity":
                out["window"] = self.window
        if self.cohort_weeks is not None:
            out["cohort_weeks"] = list(self.cohort_weeks)
        if self.kind == "scalar":
            out["value"] = self.values[0]
        elif self.kind == "churn_reasons":
            out["shares"] = dict(zip(self.points, self.values, strict=True))
        else:
            unit = {"week": "weeks", "month": "months", "weeks_since": "weeks_since"}[self.unit]
            out[unit] = list(self.points)
            out["values"] = list(self.values)
        if self.weight != 1.0:
            out["weight"] = self.weight
        return out


@dataclass
class TargetSet:
    """A parsed targets file: the parameters to fit (dotted key -> (low, high)), the settings and
    the targets."""

    uncertainties: dict[str, tuple[float, float]]
    targets: list[Target]
    runs: int = 4
    seed: int | None = None
    max_evaluations: int = 60
    firm: str | None = None
    method: str = "differential_evolution"
    source: str = "<targets>"
    # dotted key -> the prior a Bayesian calibration draws it from, where the file gives a
    # distribution ({dist = "loguniform", ...}); a key not here is uniform over its bounds.
    priors: dict[str, Distribution] = field(default_factory=dict)
    population_size: int = ABC_SETTINGS["population_size"]
    generations: int = ABC_SETTINGS["generations"]
    min_epsilon: float = ABC_SETTINGS["min_epsilon"]
    predictive_draws: int = ABC_SETTINGS["predictive_draws"]

    @property
    def parameters(self) -> dict[str, tuple[float, float]]:
        """The parameters to fit (the older name of :attr:`uncertainties`)."""
        warnings.warn(
            "TargetSet.parameters is deprecated: the fitted keys are TargetSet.uncertainties",
            DeprecationWarning,
            stacklevel=2,
        )
        return self.uncertainties

    def to_dict(self) -> dict[str, Any]:
        """The targets as a targets file holds them (``uncertainties``, ``settings``, ``targets``)."""
        settings = {"runs": self.runs, "max_evaluations": self.max_evaluations, "method": self.method}
        if self.seed is not None:
            settings["seed"] = self.seed
        if self.firm is not None:
            settings["firm"] = self.firm
        for name, default in ABC_SETTINGS.items():
            if getattr(self, name) != default:
                settings[name] = getattr(self, name)
        data: dict[str, Any] = {}
        if self.uncertainties:
            data["uncertainties"] = {
                k: self.priors[k].model_dump(exclude_none=True)
                if k in self.priors
                else {"low": float(lo), "high": float(hi)}
                for k, (lo, hi) in self.uncertainties.items()
            }
        data["settings"] = settings
        data["targets"] = [t.to_dict() for t in self.targets]
        return data


# --------------------------------------------------------------------------- the file's schema


def _scenario(info: ValidationInfo) -> Scenario | None:
    return (info.context or {}).get("scenario")


def _template(info: ValidationInfo) -> bool:
    return bool((info.context or {}).get("template"))


def _known_firm(firm: str | None, info: ValidationInfo) -> str | None:
    scenario = _scenario(info)
    if firm is not None and scenario is not None and firm not in scenario.firms:
        raise ValueError(f"no such firm; firms: {', '.join(scenario.firms)}")
    return firm


def _whole_numbers(value: Any, low: int, high: int, why: str) -> tuple[int, ...]:
    """A non-empty list of distinct whole numbers within [low, high] (``why``: what bounds them)."""
    if (
        not isinstance(value, list)
        or not value
        or not all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    ):
        raise ValueError("a non-empty list of whole numbers")
    for item in value:
        if not low <= item <= high:
            raise ValueError(f"{item} is outside [{low}, {high}] ({why})")
    if len(set(value)) != len(value):
        raise ValueError("points must not repeat")
    return tuple(int(v) for v in value)


def _numbers(value: Any, low: float | None = None, high: float | None = None) -> tuple[float, ...]:
    """A non-empty list of finite numbers, within [low, high] when given."""
    if not isinstance(value, list) or not value:
        raise ValueError("a non-empty list of numbers")
    for item in value:
        try:
            finite_number(item)
        except ValueError:
            raise ValueError(f"{item!r} is not a number") from None
        if (low is not None and item < low) or (high is not None and item > high):
            allowed = f"in [{low}, {high}]" if high is not None else f">= {low}"
            raise ValueError(f"{item} is outside the allowed range: values must be {allowed}")
    return tuple(float(v) for v in value)


def _values(
    value: Any, info: ValidationInfo, points: tuple[Any, ...] | None, low: float | None, high: float | None
) -> tuple[float, ...]:
    """A target's observed values: one per point (zeros in a template, where they may be left out)."""
    if value is None and _template(info) and points is not None:
        return (0.0,) * len(points)
    values = _numbers(value, low, high)
    if points is not None and len(values) != len(points):
        raise ValueError(f"{len(values)} values for {len(points)} points")
    return values


class _TargetTable(Strict):
    """What every ``[[targets]]`` table may hold besides its kind's keys."""

    firm: str | None = None  # the firm compared (unset: all firms together, or [settings] firm)
    weight: Real = Field(1.0, gt=0)  # the target's weight in the objective

    @field_validator("firm")
    @classmethod
    def _firm(cls, value: str | None, info: ValidationInfo) -> str | None:
        return _known_firm(value, info)


class SeriesTarget(_TargetTable):
    """A weekly column by week or by 4-week month (a stock's month is its mean, a flow's its sum)."""

    kind: Literal["series"]
    metric: str  # a column of the weekly table (sim.design.WEEKLY)
    weeks: list[Any] | None = None  # weeks 0 .. run.weeks
    months: list[Any] | None = None  # 4-week months 1 .. run.weeks // 4
    values: list[Any] | None = None  # one observed value a point

    @field_validator("metric")
    @classmethod
    def _column(cls, value: str) -> str:
        if value not in WEEKLY:
            raise ValueError(f"not a column of the weekly timeseries; allowed: {', '.join(WEEKLY)}")
        return value

    @field_validator("weeks")
    @classmethod
    def _weeks(cls, value: Any, info: ValidationInfo) -> Any:
        weeks = _run_weeks(info)
        return None if value is None else _whole_numbers(value, 0, weeks, f"the run has {weeks} weeks")

    @field_validator("months")
    @classmethod
    def _months(cls, value: Any, info: ValidationInfo) -> Any:
        weeks = _run_weeks(info)
        return (
            None
            if value is None
            else _whole_numbers(value, 1, weeks // 4, f"4-week months within {weeks} weeks")
        )

    @field_validator("values")
    @classmethod
    def _observed(cls, value: Any, info: ValidationInfo) -> Any:
        points = info.data.get("weeks") or info.data.get("months")
        return _values(value, info, points, None, None)

    @model_validator(mode="after")
    def _one_unit(self) -> SeriesTarget:
        if (self.weeks is None) == (self.months is None):
            raise ValueError("give exactly one of weeks = [...] or months = [...] (4-week months)")
        return self


class _CurveTarget(_TargetTable):
    """A curve by weeks since acquisition (or first purchase) of the customers won in the run; its
    subclasses declare ``weeks_since``, ``values`` and ``cohort_weeks`` after the keys they depend on."""

    @classmethod
    def _span(cls, info: ValidationInfo) -> int:
        """Weeks a customer must be observed after k: the activity window, or 1."""
        return 1

    @classmethod
    def _highest(cls) -> float | None:
        return None

    @field_validator("weeks_since", check_fields=False)
    @classmethod
    def _weeks_since(cls, value: Any, info: ValidationInfo) -> tuple[int, ...]:
        weeks, span = _run_weeks(info), cls._span(info)
        why = f"customers acquired from week 1 must be observed for k + {span} weeks of the run's {weeks}"
        return _whole_numbers(value, 0, weeks - span, why)

    @field_validator("values", check_fields=False)
    @classmethod
    def _observed(cls, value: Any, info: ValidationInfo) -> tuple[float, ...]:
        return _values(value, info, info.data.get("weeks_since"), 0.0, cls._highest())

    @field_validator("cohort_weeks", check_fields=False)
    @classmethod
    def _cohort(cls, value: Any, info: ValidationInfo) -> tuple[int, int] | None:
        if value is None:
            return None
        if info.data.get("definition", "activity") != "activity":
            raise ValueError('applies only to definition = "activity"')
        weeks = _run_weeks(info)
        first, last = _whole_numbers(value, 1, weeks, "weeks of the run")
        if not first <= last or len(value) != 2:
            raise ValueError("two weeks [first, last] with first <= last")
        return (first, last)


class RetentionTarget(_CurveTarget):
    """Retention k weeks on: still a customer (membership) or bought within a window (activity)."""

    kind: Literal["retention"]
    definition: str = "membership"  # "membership" or "activity"
    window: Whole | None = None  # activity: weeks in which a purchase counts (default 13)
    weeks_since: Any  # k: weeks since acquisition (membership) or first purchase (activity)
    values: Any = None  # the share retained at each k (may be left out of a template)
    cohort_weeks: Any = None  # activity: [first, last] weeks of the cohort's first purchases

    @field_validator("definition")
    @classmethod
    def _definition(cls, value: str) -> str:
        if value not in ("membership", "activity"):
            raise ValueError("allowed: membership, activity")
        return value

    @field_validator("window")
    @classmethod
    def _window(cls, value: int | None, info: ValidationInfo) -> int | None:
        if value is not None and info.data.get("definition", "membership") != "activity":
            raise ValueError('a window applies only to definition = "activity"')
        if value is not None and value < 1:
            raise ValueError("an integer >= 1 (weeks)")
        return value

    @classmethod
    def _span(cls, info: ValidationInfo) -> int:
        return (info.data.get("window") or 13) if info.data.get("definition") == "activity" else 1

    @classmethod
    def _highest(cls) -> float | None:
        return 1.0


class RepeatPurchasesTarget(_CurveTarget):
    """Repeat purchase weeks by weeks since the first purchase (from a transaction log's cohort)."""

    kind: Literal["repeat_purchases"]
    weeks_since: Any  # k: weeks since the first purchase
    values: Any = None  # mean repeat purchase weeks at each k (may be left out of a template)
    cohort_weeks: Any = None  # [first, last] weeks of the cohort's first purchases


class ChurnReasonsTarget(_TargetTable):
    """The share of exits by reason."""

    kind: Literal["churn_reasons"]
    shares: dict[Annotated[str, AfterValidator(lambda reason: _known_reason(reason))], Any]  # reason -> share

    @field_validator("shares", mode="before")
    @classmethod
    def _a_table(cls, value: Any) -> Any:
        if not isinstance(value, Mapping) or not value:
            raise ValueError("a table of reason = share, e.g. {dissatisfied = 0.15}")
        return value

    @field_validator("shares")
    @classmethod
    def _shares(cls, value: dict[str, Any]) -> dict[str, float]:
        return dict(zip(value, _numbers(list(value.values()), 0.0, 1.0), strict=True))


def _known_reason(reason: str) -> str:
    if reason not in REASONS:
        raise ValueError(f"unknown reason; allowed: {', '.join(REASONS)}")
    return reason


class ScalarTarget(_TargetTable):
    """A per-firm outcome of the run's summary (sim.design.OUTCOMES)."""

    kind: Literal["scalar"]
    metric: str  # a per-firm outcome
    value: Real | None = None  # the observed value (may be left out of a template)

    @field_validator("metric")
    @classmethod
    def _outcome(cls, value: str) -> str:
        if value not in OUTCOMES:
            raise ValueError(f"not a scalar metric of a firm's summary; allowed: {', '.join(OUTCOMES)}")
        return value

    @field_validator("value")
    @classmethod
    def _observed(cls, value: float | None, info: ValidationInfo) -> float | None:
        if value is None and not _template(info):
            raise ValueError("a number: the observed value")
        return value


def _run_weeks(info: ValidationInfo) -> int:
    scenario = _scenario(info)
    return scenario.run.weeks if scenario is not None else 10**9


def _kind_tag(value: Any) -> str | None:
    kind = value.get("kind") if isinstance(value, Mapping) else getattr(value, "kind", None)
    return _TAGS.get(kind)


def _known_kind(value: Any) -> Any:
    if not isinstance(value, Mapping):
        return value  # refused by the model as not a table
    if value.get("kind") not in KINDS:
        raise ValueError(f"kind = {show(value.get('kind'))}: allowed kinds: {', '.join(KINDS)}")
    return value


_TAGS = {
    "series": "SeriesTarget",
    "retention": "RetentionTarget",
    "repeat_purchases": "RepeatPurchasesTarget",
    "churn_reasons": "ChurnReasonsTarget",
    "scalar": "ScalarTarget",
}
TargetTable = Annotated[
    Union[  # noqa: UP007
        Annotated[SeriesTarget, Tag("SeriesTarget")],
        Annotated[RetentionTarget, Tag("RetentionTarget")],
        Annotated[RepeatPurchasesTarget, Tag("RepeatPurchasesTarget")],
        Annotated[ChurnReasonsTarget, Tag("ChurnReasonsTarget")],
        Annotated[ScalarTarget, Tag("ScalarTarget")],
    ],
    Discriminator(_kind_tag),
    BeforeValidator(_known_kind),
]


class SettingsTable(Strict):
    """``[settings]``: how the fit runs (each replaced by the command line's option)."""

    runs: Whole = Field(4, ge=1)  # replicates per candidate, the same seeds for all
    seed: Whole | None = Field(None, ge=0)  # first seed (unset: the scenario's run.seed)
    max_evaluations: Whole = Field(60, ge=1)  # candidates evaluated
    firm: str | None = None  # the firm a target without its own is compared with (unset: all firms)
    method: str = "differential_evolution"  # or "nelder-mead", or "abc" (Bayesian: sim.calibration.abc)
    population_size: Whole = Field(ABC_SETTINGS["population_size"], ge=2, le=100_000)  # abc: particles
    generations: Whole = Field(ABC_SETTINGS["generations"], ge=1, le=1000)  # abc: generations at most
    min_epsilon: Real = Field(ABC_SETTINGS["min_epsilon"], ge=0)  # abc: stop once the distance is this small
    predictive_draws: Whole = Field(
        ABC_SETTINGS["predictive_draws"], ge=2, le=100_000
    )  # abc: predictive bands

    @field_validator("firm")
    @classmethod
    def _firm(cls, value: str | None, info: ValidationInfo) -> str | None:
        return _known_firm(value, info)

    @field_validator("method")
    @classmethod
    def _method(cls, value: str) -> str:
        if value not in METHODS:
            raise ValueError(f"allowed: {', '.join(METHODS)}")
        return value


class TargetsFile(Strict):
    """A targets file: the parameters to fit, the settings and the targets."""

    # dotted key -> {low, high}: the bounds of each fitted parameter (the older name `parameters` reads)
    uncertainties: dict[str, Any] = Field(
        default_factory=dict, validation_alias=AliasChoices("uncertainties", "parameters")
    )
    settings: SettingsTable = Field(default_factory=SettingsTable)
    targets: list[TargetTable] = Field(default_factory=list)

    @field_validator("uncertainties", mode="before")
    @classmethod
    def _flatten(cls, value: Any) -> Any:
        return flatten_keys(value) if isinstance(value, Mapping) else value

    @field_validator("targets", mode="before")
    @classmethod
    def _some(cls, value: Any) -> Any:
        if not isinstance(value, list) or not value:
            raise ValueError("no targets; add at least one [[targets]] table (docs/research.md)")
        return value

    @model_validator(mode="after")
    def _firms(self) -> TargetsFile:
        for index, target in enumerate(self.targets):
            firm = target.firm or self.settings.firm
            if isinstance(target, SeriesTarget) and firm is None and not WEEKLY[target.metric].summable:
                raise ValueError(
                    f"targets[{index}].firm = None: {target.metric} cannot be summed over firms: name a firm"
                )
        return self


# --------------------------------------------------------------------------- reading and writing


def older_target_forms(data: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Where a targets file uses an older way of writing (the ``[parameters]`` table, ``[low, high]``)."""
    found = []
    if "parameters" in data:
        found.append(("parameters", "renamed: write [uncertainties]"))
    for name in ("parameters", "uncertainties"):
        found += pairs_in(data.get(name), name)
    return found


def load_targets(
    path: str | os.PathLike[str],
    scenario: Scenario,
    uncertainties: Mapping[str, Any] | None = None,
    template: bool = False,
    *,
    parameters: Mapping[str, Any] | None = None,
) -> TargetSet:
    """Read and check a targets file against ``scenario``.

    Args:
        path: the targets file (TOML; docs/research.md, "Targets files").
        scenario: the scenario the targets will be fitted with (for firms, metrics, horizon).
        uncertainties: dotted key -> range (``(low, high)`` or ``{"low", "high"}``), replacing the
            file's ``[uncertainties]``.
        template: the observed values may be left out (they are to be simulated, see
            :func:`sim.calibration.simulate_targets`), and so may the parameters.
        parameters: the older name of ``uncertainties`` (deprecated).

    Raises:
        ScenarioError: naming the file, the target (``targets[2]``) or table, the key, the value
            and what is allowed.

    Example:
        >>> from sim import load_scenario
        >>> s = load_scenario("scenarios/research.toml")
        >>> targets = load_targets("data/targets/retention_curve.toml", s)
        >>> [t.kind for t in targets.targets]
        ['retention']
    """
    if parameters is not None:
        warnings.warn(
            "load_targets(parameters=...) is deprecated: the fitted keys are uncertainties=...",
            DeprecationWarning,
            stacklevel=2,
        )
        uncertainties = parameters if uncertainties is None else uncertainties
    source = str(path)
    data = read_toml(path, "targets file")
    warn_older_forms(older_target_forms(data), source)
    try:
        parsed = TargetsFile.model_validate(data, context={"scenario": scenario, "template": template})
    except ValidationError as error:
        raise ScenarioError(format_errors(error, source, data, TargetsFile, indexed=True)) from None
    if uncertainties is None:
        uncertainties = parsed.uncertainties
        where = "[parameters]" if "parameters" in data else "[uncertainties]"
    else:
        where = "--param"
    if not uncertainties and not template:
        raise ScenarioError(
            f'{source}: no parameters to fit; add an [uncertainties] table ("dotted.key" = '
            "{low = ..., high = ...}) or give --param KEY=LOW:HIGH"
        )
    bounds: dict[str, tuple[float, float]] = {}
    priors: dict[str, Distribution] = {}
    if uncertainties:
        for uncertainty in check_uncertainties(scenario, uncertainties, where, source=source):
            if uncertainty.distribution is not None:  # a prior for abc; its bounds for the point fit
                priors[uncertainty.key] = uncertainty.distribution
                bounds[uncertainty.key] = uncertainty.distribution.ends()
                continue
            if uncertainty.range is None or None in uncertainty.range.ends():
                raise ScenarioError(
                    f"{source}: {where} {uncertainty.key} = {show(uncertainty.written())}: a calibration fits "
                    'within bounds: give a range {low = ..., high = ...} or a prior {dist = "loguniform", '
                    "low = ..., high = ...}"
                )
            bounds[uncertainty.key] = uncertainty.range.ends()
    settings = parsed.settings
    return TargetSet(
        uncertainties=bounds,
        targets=[_target(table, settings.firm, scenario) for table in parsed.targets],
        runs=settings.runs,
        seed=settings.seed,
        max_evaluations=settings.max_evaluations,
        firm=settings.firm,
        method=settings.method,
        source=source,
        priors=priors,
        population_size=settings.population_size,
        generations=settings.generations,
        min_epsilon=float(settings.min_epsilon),
        predictive_draws=settings.predictive_draws,
    )


def _target(table: Any, default_firm: str | None, scenario: Scenario) -> Target:
    """The parsed :class:`Target` of a validated ``[[targets]]`` table."""
    firm = table.firm or default_firm
    common = {"kind": table.kind, "firm": firm, "weight": float(table.weight)}
    if isinstance(table, SeriesTarget):
        unit, points = ("week", table.weeks) if table.weeks is not None else ("month", table.months)
        return Target(
            points=tuple(points), values=tuple(table.values), metric=table.metric, unit=unit, **common
        )
    if isinstance(table, RetentionTarget | RepeatPurchasesTarget):
        activity = isinstance(table, RepeatPurchasesTarget) or table.definition == "activity"
        window = getattr(table, "window", None) or 13
        cohort = (
            None if table.cohort_weeks is None else (int(table.cohort_weeks[0]), int(table.cohort_weeks[1]))
        )
        return Target(
            points=tuple(table.weeks_since), values=tuple(table.values), unit="weeks_since",
            definition="activity" if activity else "membership", window=window, cohort_weeks=cohort, **common,
        )  # fmt: skip
    if isinstance(table, ChurnReasonsTarget):
        return Target(
            points=tuple(table.shares), values=tuple(table.shares.values()), unit="reason", **common
        )
    common["firm"] = firm or scenario.firm_names[0]
    return Target(points=(), values=(float(table.value or 0.0),), metric=table.metric, unit="", **common)


def write_target_set(targets: TargetSet, path: str | os.PathLike[str], header: str = "") -> Path:
    """Write a :class:`TargetSet` as a targets file (TOML), atomically.

    Example:
        >>> import tempfile
        >>> targets = TargetSet({}, [Target("scalar", (), (250.0,), metric="ltv", firm="us")])
        >>> 'metric = "ltv"' in write_target_set(targets, Path(tempfile.mkdtemp()) / "t.toml").read_text()
        True
    """
    from sim.transactions import write_targets

    return write_targets(targets.to_dict(), path, header)
