"""Calibration: fit chosen scenario parameters (within bounds) to observed targets.

Owns ``sim calibrate``: the targets file (TOML; docs/research.md, "Targets files"), the
measurement of every target on a simulated run (:class:`TargetRunner`, run through the
experiments executor so calibration runs in this process, a process pool or on Dask, and resumes
from its finished runs), the objective and the optimiser (scipy's differential evolution, or
Nelder-Mead with bounds), and the outputs: the fitted scenario, the fit and the optimiser's trace.

Every candidate is run on the same replicate seeds (common random numbers), so two candidates
differ only through their parameters, and the objective is computed on the replicate means of
each target point. The objective is a weighted mean of scale-free errors::

    scale_ti = max(|o_ti|, 0.05 max_j |o_tj|)      (1 if every o_tj of the target is 0)
    e_ti     = (s_ti - o_ti) / scale_ti             (1 where the simulated value is undefined)
    E_t      = mean_i e_ti^2                        (the target's mean squared relative error)
    J        = sum_t w_t E_t / sum_t w_t

where ``o_ti`` is point i of target t as observed, ``s_ti`` its mean over the replicates and
``w_t`` the target's weight; ``sqrt(E_t)`` is reported as the target's RMS relative error.

Example:
    >>> error, errors = objective_terms([100.0, 200.0], [110.0, 180.0])
    >>> round(error, 6), errors
    (0.01, [0.1, -0.1])
"""

from __future__ import annotations

import datetime
import json
import math
import os
import sys
import textwrap
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sim.manifest import Invocation, write_manifest
from sim.scenario import Scenario, ScenarioError

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from sim.model import CustomerMarket
    from sim.results import SimulationResult

KINDS = ("series", "retention", "repeat_purchases", "churn_reasons", "scalar")
METHODS = ("differential_evolution", "nelder-mead")
# Columns of the weekly table that are stocks (a 4-week month takes their mean); the rest are
# flows (summed over the month). Rating and market share cannot be summed over firms.
STOCK_PREFIXES = ("customers", "dormant", "rating", "market_share", "prospects_")
NOT_SUMMABLE = ("rating", "market_share")
KEYS = {
    "series": {"kind", "metric", "firm", "weeks", "months", "values", "weight"},
    "retention": {"kind", "firm", "weeks_since", "values", "weight", "definition", "window", "cohort_weeks"},
    "repeat_purchases": {"kind", "firm", "weeks_since", "values", "weight", "cohort_weeks"},
    "churn_reasons": {"kind", "firm", "shares", "weight"},
    "scalar": {"kind", "metric", "firm", "value", "weight"},
}
SETTINGS = {"runs": 4, "seed": None, "max_evaluations": 60, "firm": None, "method": "differential_evolution"}
FLOOR = 0.05  # a point's error scale is at least this share of the target's largest value


# --------------------------------------------------------------------------- the targets file


@dataclass(frozen=True)
class Target:
    """One observed target: a kind, its points and observed values (see the module docstring)."""

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
    """A parsed targets file: the parameters to fit, the settings and the targets."""

    parameters: dict[str, tuple[float, float]]
    targets: list[Target]
    runs: int = 4
    seed: int | None = None
    max_evaluations: int = 60
    firm: str | None = None
    method: str = "differential_evolution"
    source: str = "<targets>"

    def to_dict(self) -> dict[str, Any]:
        settings = {"runs": self.runs, "max_evaluations": self.max_evaluations, "method": self.method}
        if self.seed is not None:
            settings["seed"] = self.seed
        if self.firm is not None:
            settings["firm"] = self.firm
        data: dict[str, Any] = {}
        if self.parameters:
            data["parameters"] = {k: [float(lo), float(hi)] for k, (lo, hi) in self.parameters.items()}
        data["settings"] = settings
        data["targets"] = [t.to_dict() for t in self.targets]
        return data


def _fail(source: str, where: str, value: Any, problem: str) -> ScenarioError:
    shown = repr(value)
    shown = shown if len(shown) <= 80 else shown[:77] + "..."
    return ScenarioError(f"{source}: {where} = {shown}: {problem}")


def _number_list(
    source: str, where: str, value: Any, low: float | None = None, high: float | None = None
) -> tuple[float, ...]:
    if not isinstance(value, list) or not value:
        raise _fail(source, where, value, "a non-empty list of numbers")
    for item in value:
        if isinstance(item, bool) or not isinstance(item, int | float) or not math.isfinite(item):
            raise _fail(source, where, value, f"{item!r} is not a number")
        if (low is not None and item < low) or (high is not None and item > high):
            allowed = f"in [{low}, {high}]" if high is not None else f">= {low}"
            raise _fail(
                source, where, value, f"{item} is outside the allowed range: values must be {allowed}"
            )
    return tuple(float(v) for v in value)


def _int_list(source: str, where: str, value: Any, low: int, high: int, why: str) -> tuple[int, ...]:
    if (
        not isinstance(value, list)
        or not value
        or not all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    ):
        raise _fail(source, where, value, "a non-empty list of whole numbers")
    for item in value:
        if not low <= item <= high:
            raise _fail(source, where, value, f"{item} is outside [{low}, {high}] ({why})")
    if len(set(value)) != len(value):
        raise _fail(source, where, value, "points must not repeat")
    return tuple(int(v) for v in value)


def load_targets(
    path: str | os.PathLike[str],
    scenario: Scenario,
    parameters: Mapping[str, Sequence[float]] | None = None,
    template: bool = False,
) -> TargetSet:
    """Read and check a targets file against ``scenario``.

    Args:
        path: the targets file (TOML; docs/research.md, "Targets files").
        scenario: the scenario the targets will be fitted with (for firms, metrics, horizon).
        parameters: dotted key -> (low, high), replacing the file's ``[parameters]``.
        template: the observed values may be left out (they are to be simulated, see
            :func:`simulate_targets`), and so may the parameters.

    Raises:
        ScenarioError: naming the file, the target (``targets[2]``) or table, the key, the value
            and what is allowed.

    Example:
        >>> from sim import load_scenario
        >>> s = load_scenario("scenarios/cdnow.toml")
        >>> targets = load_targets("data/cdnow/targets.toml", s)
        >>> [t.kind for t in targets.targets]
        ['repeat_purchases', 'retention']
    """
    from sim.agents.customers import REASON_NAMES
    from sim.scenario import _flatten, read_toml
    from sim.sensitivity import check_design, probe_metrics

    source = str(path)
    data = read_toml(path, "targets file")
    unknown = sorted(set(data) - {"parameters", "settings", "targets"})
    if unknown:
        raise _fail(
            source, unknown[0], data[unknown[0]], "unknown table; allowed: parameters, settings, targets"
        )
    settings = dict(SETTINGS)
    for key, value in data.get("settings", {}).items():
        if key not in SETTINGS:
            raise _fail(
                source,
                f"settings.{key}",
                value,
                f"unknown key; allowed keys in [settings]: {', '.join(SETTINGS)}",
            )
        if key in ("runs", "max_evaluations") and not (
            isinstance(value, int) and not isinstance(value, bool) and value >= 1
        ):
            raise _fail(source, f"settings.{key}", value, "an integer >= 1")
        if key == "seed" and not (isinstance(value, int) and not isinstance(value, bool) and value >= 0):
            raise _fail(source, "settings.seed", value, "an integer >= 0")
        if key == "firm" and value not in scenario.firms:
            raise _fail(source, "settings.firm", value, f"no such firm; firms: {', '.join(scenario.firms)}")
        if key == "method" and value not in METHODS:
            raise _fail(source, "settings.method", value, f"allowed: {', '.join(METHODS)}")
        settings[key] = value
    if parameters is None:
        raw = data.get("parameters", {})
        parameters = _flatten(raw) if isinstance(raw, dict) else raw
        where = "[parameters]"
    else:
        where = "--param"
    if not parameters and not template:
        raise ScenarioError(
            f'{source}: no parameters to fit; add a [parameters] table ("dotted.key" = [low, high]) '
            "or give --param KEY=LOW:HIGH"
        )
    if parameters:
        check_design(scenario, parameters, where, source=source)
    weeks = scenario.run.weeks
    metrics, columns = probe_metrics(scenario)
    raw_targets = data.get("targets")
    if not isinstance(raw_targets, list) or not raw_targets:
        raise ScenarioError(f"{source}: no targets; add at least one [[targets]] table (docs/research.md)")
    targets = []

    def blank(points: tuple[Any, ...]) -> list[float] | None:
        return [0.0] * len(points) if template else None

    for index, raw in enumerate(raw_targets):
        at = f"targets[{index}]"
        kind = raw.get("kind")
        if kind not in KINDS:
            raise _fail(source, f"{at}.kind", kind, f"allowed kinds: {', '.join(KINDS)}")
        for key in raw:
            if key not in KEYS[kind]:
                raise _fail(
                    source,
                    f"{at}.{key}",
                    raw[key],
                    f"unknown key for kind {kind!r}; allowed: {', '.join(sorted(KEYS[kind]))}",
                )
        firm = raw.get("firm", settings["firm"])
        if firm is not None and firm not in scenario.firms:
            raise _fail(source, f"{at}.firm", firm, f"no such firm; firms: {', '.join(scenario.firms)}")
        weight = raw.get("weight", 1.0)
        if isinstance(weight, bool) or not isinstance(weight, int | float) or not weight > 0:
            raise _fail(source, f"{at}.weight", weight, "a number > 0")
        common = {"kind": kind, "firm": firm, "weight": float(weight)}
        if kind == "series":
            metric = raw.get("metric")
            if metric not in columns or metric in ("week", "firm"):
                allowed = ", ".join(c for c in columns if c not in ("week", "firm"))
                raise _fail(
                    source,
                    f"{at}.metric",
                    metric,
                    f"not a column of the weekly timeseries; allowed: {allowed}",
                )
            if firm is None and metric in NOT_SUMMABLE:
                raise _fail(source, f"{at}.firm", None, f"{metric} cannot be summed over firms: name a firm")
            if ("weeks" in raw) == ("months" in raw):
                raise ScenarioError(
                    f"{source}: {at}: give exactly one of weeks = [...] or months = [...] (4-week months)"
                )
            if "weeks" in raw:
                points = _int_list(
                    source, f"{at}.weeks", raw["weeks"], 0, weeks, f"the run has {weeks} weeks"
                )
                unit = "week"
            else:
                points = _int_list(
                    source,
                    f"{at}.months",
                    raw["months"],
                    1,
                    weeks // 4,
                    f"4-week months within {weeks} weeks",
                )
                unit = "month"
            values = _number_list(source, f"{at}.values", raw.get("values", blank(points)))
            common.update(metric=metric, unit=unit)
        elif kind in ("retention", "repeat_purchases"):
            definition = raw.get("definition", "membership") if kind == "retention" else "activity"
            if definition not in ("membership", "activity"):
                raise _fail(source, f"{at}.definition", definition, "allowed: membership, activity")
            window = raw.get("window", 13)
            if "window" in raw and definition != "activity":
                raise _fail(
                    source, f"{at}.window", window, 'a window applies only to definition = "activity"'
                )
            if not (isinstance(window, int) and not isinstance(window, bool) and window >= 1):
                raise _fail(source, f"{at}.window", window, "an integer >= 1 (weeks)")
            span = window if kind == "retention" and definition == "activity" else 1
            points = _int_list(
                source, f"{at}.weeks_since", raw.get("weeks_since"), 0, weeks - span,
                f"customers acquired from week 1 must be observed for k + {span} weeks of the run's {weeks}",
            )  # fmt: skip
            values = _number_list(
                source,
                f"{at}.values",
                raw.get("values", blank(points)),
                0.0,
                1.0 if kind == "retention" else None,
            )
            cohort = raw.get("cohort_weeks")
            if cohort is not None:
                if definition != "activity":
                    raise _fail(
                        source, f"{at}.cohort_weeks", cohort, 'applies only to definition = "activity"'
                    )
                first, last = _int_list(source, f"{at}.cohort_weeks", cohort, 1, weeks, "weeks of the run")
                if not first <= last or len(cohort) != 2:
                    raise _fail(
                        source, f"{at}.cohort_weeks", cohort, "two weeks [first, last] with first <= last"
                    )
                cohort = (first, last)
            common.update(unit="weeks_since", definition=definition, window=window, cohort_weeks=cohort)
        elif kind == "churn_reasons":
            shares = raw.get("shares")
            if not isinstance(shares, dict) or not shares:
                raise _fail(
                    source, f"{at}.shares", shares, "a table of reason = share, e.g. {dissatisfied = 0.15}"
                )
            for reason in shares:
                if reason not in REASON_NAMES:
                    raise _fail(
                        source,
                        f"{at}.shares.{reason}",
                        shares[reason],
                        f"unknown reason; allowed: {', '.join(REASON_NAMES)}",
                    )
            points = tuple(shares)
            values = _number_list(source, f"{at}.shares", list(shares.values()), 0.0, 1.0)
            common.update(unit="reason")
        else:
            metric = raw.get("metric")
            if metric not in metrics:
                raise _fail(
                    source,
                    f"{at}.metric",
                    metric,
                    f"not a scalar metric of a firm's summary; allowed: {', '.join(metrics)}",
                )
            firm = common["firm"] = firm or scenario.firm_names[0]
            value = raw.get("value", 0.0 if template else None)
            values = _number_list(source, f"{at}.value", [value] if value is not None else None)
            points = ()
            common.update(metric=metric, unit="")
        if kind != "scalar" and len(values) != len(points):
            raise _fail(
                source, f"{at}.values", list(values), f"{len(values)} values for {len(points)} points"
            )
        targets.append(Target(points=points, values=values, **common))
    return TargetSet(
        parameters={k: (float(v[0]), float(v[1])) for k, v in parameters.items()},
        targets=targets,
        runs=settings["runs"],
        seed=settings["seed"],
        max_evaluations=settings["max_evaluations"],
        firm=settings["firm"],
        method=settings["method"],
        source=source,
    )


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


# --------------------------------------------------------------------------- measuring targets


class SpellTracker:
    """Customer spells (person, firm, first week, last week) of a market stepped by hand: what
    membership retention is measured on. A spell starts the week a person becomes a firm's
    customer and ends the week they leave it (churn, switch, death or move)."""

    def __init__(self, market: CustomerMarket) -> None:
        c = market.customers
        self.firm = c.firm.astype(np.int16)
        self.person = c.person_id.copy()
        self.start = np.where(self.firm >= 0, 0, -1).astype(np.int32)  # 0: a customer at week 0
        self.closed: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []

    def update(self, market: CustomerMarket) -> None:
        """Record the spells that ended and started in the week just stepped."""
        c = market.customers
        week = market.week
        changed = (c.firm != self.firm) | (c.person_id != self.person)
        ended = np.flatnonzero(changed & (self.firm >= 0))
        if ended.size:
            self.closed.append(
                (self.firm[ended].copy(), self.start[ended].copy(), np.full(ended.size, week, np.int32))
            )
        self.start[changed] = np.where(c.firm[changed] >= 0, week, -1)
        self.firm[changed] = c.firm[changed]
        self.person[changed] = c.person_id[changed]

    def spells(self, weeks: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(firm, start, end) of every spell; open spells end at ``weeks + 1`` (censored)."""
        open_ = np.flatnonzero(self.firm >= 0)
        parts = [
            *self.closed,
            (self.firm[open_], self.start[open_], np.full(open_.size, weeks + 1, np.int32)),
        ]
        return tuple(np.concatenate([p[i] for p in parts]) for i in range(3))  # type: ignore[return-value]


def membership_retention(
    tracker: SpellTracker, weeks: int, points: Sequence[int], firm: int | None
) -> list[float | None]:
    """Share of the spells started in the run (week >= 1) that last beyond ``start + k``, over
    spells started early enough to be observed for k weeks (``start + k <= weeks``).

    Example:
        >>> from sim import CustomerMarket, load_scenario
        >>> market = CustomerMarket(load_scenario("scenarios/research.toml", {"market.size": 300, "run.weeks": 10}))
        >>> tracker = SpellTracker(market)
        >>> while market.running:
        ...     market.step()
        ...     tracker.update(market)
        >>> membership_retention(tracker, 10, [0], firm=None)  # every spell outlasts its first week
        [1.0]
    """
    spell_firm, start, end = tracker.spells(weeks)
    acquired = start >= 1
    if firm is not None:
        acquired &= spell_firm == firm
    out: list[float | None] = []
    for k in points:
        observed = acquired & (start + k <= weeks)
        n = int(observed.sum())
        out.append(float((end[observed] > start[observed] + k).sum() / n) if n else None)
    return out


def _series(target: Target, timeseries: pd.DataFrame) -> list[float | None]:
    table = timeseries if target.firm is None else timeseries[timeseries["firm"] == target.firm]
    by_week = table.groupby("week")[target.metric].sum()
    if target.unit == "week":
        return [float(by_week.get(w, np.nan)) for w in target.points]
    stock = target.metric.startswith(STOCK_PREFIXES)
    out = []
    for month in target.points:
        block = by_week.loc[4 * month - 3 : 4 * month]
        out.append(float(block.mean() if stock else block.sum()))
    return out


def measure(
    target: Target,
    result: SimulationResult,
    log: pd.DataFrame | None = None,
    tracker: SpellTracker | None = None,
    initial_ids: np.ndarray | None = None,
) -> list[float | None]:
    """The simulated value of each point of ``target`` in one run (None where undefined).

    Example:
        >>> from sim import load_scenario, simulate
        >>> result = simulate(load_scenario("scenarios/research.toml", {"market.size": 300, "run.weeks": 8}))
        >>> target = Target("scalar", (), (0.0,), metric="customers_end", firm="us")
        >>> measure(target, result) == [result.summary["firms"]["us"]["customers_end"]]
        True
    """
    from sim.experiments import scalar_metrics
    from sim.transactions import cohort_curves

    scenario = result.scenario
    weeks = result.summary["weeks"]
    if target.kind == "series":
        values = _series(target, result.timeseries)
    elif target.kind == "scalar":
        values = [scalar_metrics(result.summary["firms"][target.firm])[target.metric]]
    elif target.kind == "churn_reasons":
        firms = [target.firm] if target.firm else list(result.summary["firms"])
        counts = {
            r: sum(result.summary["firms"][f]["churned_by_reason"][r] for f in firms) for r in target.points
        }
        total = sum(sum(result.summary["firms"][f]["churned_by_reason"].values()) for f in firms)
        values = [counts[r] / total if total else None for r in target.points]
    elif target.kind == "retention" and target.definition == "membership":
        firm = None if target.firm is None else scenario.firm_names.index(target.firm)
        values = membership_retention(tracker, weeks, target.points, firm)
    else:
        start = scenario.run.start_date
        cohort = (
            [None, None]
            if target.cohort_weeks is None
            else [start + datetime.timedelta(weeks=w) for w in target.cohort_weeks]
        )
        try:
            curves = cohort_curves(
                log, target.points, window=target.window, origin=start,
                observed_until=start + datetime.timedelta(weeks=weeks), exclude=initial_ids, firm=target.firm,
                cohort_start=cohort[0], cohort_end=cohort[1],
            )  # fmt: skip
        except ValueError:  # nobody bought: the curve is undefined
            return [None] * len(target.points)
        curve = curves.repeat_purchases if target.kind == "repeat_purchases" else curves.retention
        values = [curve[k] for k in target.points]
    return [None if v is None or not math.isfinite(v) else float(v) for v in values]


@dataclass(frozen=True)
class TargetRunner:
    """Runs one (scenario, seed), measures every target and adds the measurements to the summary
    as ``summary["measures"]`` (one list per target). Used as :class:`sim.experiments.RunSpec`'s
    ``runner``; ``targets`` is the targets as JSON, which makes the repr (part of the cache
    folder's name) depend on what is measured. The summary and timeseries are identical to
    :func:`sim.simulate`'s."""

    targets: str

    def __call__(self, scenario: Scenario, seed: int) -> tuple[dict[str, Any], pd.DataFrame]:
        from sim.model import CustomerMarket
        from sim.simulation import collect
        from sim.transactions import transaction_table

        targets = [
            Target(
                **{
                    **t,
                    "points": tuple(t["points"]),
                    "values": tuple(t["values"]),
                    "cohort_weeks": None if t["cohort_weeks"] is None else tuple(t["cohort_weeks"]),
                }
            )
            for t in json.loads(self.targets)
        ]
        needs_log = any(
            t.kind == "repeat_purchases" or (t.kind == "retention" and t.definition == "activity")
            for t in targets
        )
        needs_spells = any(t.kind == "retention" and t.definition == "membership" for t in targets)
        if needs_log:
            scenario = scenario.with_overrides({"run.record_transactions": True})
        market = CustomerMarket(scenario, seed=seed)
        initial = market.customers.person_id[market.customers.firm >= 0].copy()
        tracker = SpellTracker(market) if needs_spells else None
        while market.running:
            market.step()
            if tracker is not None:
                tracker.update(market)
        result = collect(market)
        log = transaction_table(market) if needs_log else None
        measures = [measure(t, result, log, tracker, initial) for t in targets]
        return {**result.summary, "measures": measures}, result.timeseries


def runner_for(targets: Sequence[Target]) -> TargetRunner:
    """The :class:`TargetRunner` that measures ``targets``.

    Example:
        >>> runner = runner_for([Target("scalar", (), (250.0,), metric="ltv", firm="us")])
        >>> summary, _ = runner(load_scenario("scenarios/research.toml", {"market.size": 300, "run.weeks": 8}), 1)  # doctest: +SKIP
        >>> summary["measures"]  # doctest: +SKIP
        [[...]]
    """
    data = [{**t.__dict__, "points": list(t.points), "values": list(t.values)} for t in targets]
    return TargetRunner(json.dumps(data, sort_keys=True, separators=(",", ":")))


# --------------------------------------------------------------------------- the objective


def objective_terms(
    observed: Sequence[float], simulated: Sequence[float | None]
) -> tuple[float, list[float]]:
    """A target's mean squared relative error E_t and its per-point errors e_ti (module docstring).

    Example:
        >>> objective_terms([100.0, 200.0], [110.0, None])  # 10% off, and undefined (error 1)
        (0.505, [0.1, 1.0])
    """
    observed = np.asarray(observed, dtype=float)
    largest = float(np.abs(observed).max()) if observed.size else 0.0
    scale = np.maximum(np.abs(observed), FLOOR * largest) if largest > 0 else np.ones_like(observed)
    errors = [
        1.0 if s is None else float((s - o) / c) for s, o, c in zip(simulated, observed, scale, strict=True)
    ]
    return float(np.mean(np.square(errors))), errors


def replicate_means(values: Sequence[Sequence[float | None]]) -> dict[str, list[float | None]]:
    """Per point over the replicates: ``mean``, 95% CI half-width ``ci95_half``, ``min`` and
    ``max`` (None where no replicate is defined; the half-width needs two).

    Example:
        >>> replicate_means([[1.0, 10.0], [3.0, None]])["mean"]
        [2.0, 10.0]
    """
    from sim.experiments import mean_ci

    out: dict[str, list[float | None]] = {"mean": [], "ci95_half": [], "min": [], "max": []}
    for point in zip(*values, strict=True):
        mean, interval = mean_ci(point)
        defined = [v for v in point if v is not None]
        out["mean"].append(mean)
        out["ci95_half"].append(None if interval is None else (interval[1] - interval[0]) / 2)
        out["min"].append(min(defined) if defined else None)
        out["max"].append(max(defined) if defined else None)
    return out


@dataclass
class Calibration:
    """What :func:`calibrate` returns.

    Attributes:
        fitted: dotted key -> fitted value.
        scenario: the scenario with the fitted values.
        fit: the ``fit.json`` dict (objective, per-target errors, observed and simulated values).
        trace: one row per evaluation: ``evaluation``, ``batch``, the parameters, ``objective``
            and each target's error ``E_<index>``.
    """

    fitted: dict[str, float]
    scenario: Scenario
    fit: dict[str, Any]
    trace: pd.DataFrame
    targets: TargetSet = field(repr=False)
    invocation: Invocation | None = None  # the call and its start, for the manifest


def calibrate(
    scenario: Scenario,
    targets: TargetSet | str | os.PathLike[str],
    parameters: Mapping[str, Sequence[float]] | None = None,
    runs: int | None = None,
    seed: int | None = None,
    max_evaluations: int | None = None,
    method: str | None = None,
    **execution: Any,
) -> Calibration:
    """Fit the targets' parameters to their observed values.

    Args:
        scenario: the scenario to calibrate (its other values stay as they are).
        targets: a :class:`TargetSet` or the path of a targets file.
        parameters: dotted key -> (low, high), replacing the file's ``[parameters]``.
        runs, seed, max_evaluations, method: replace the file's ``[settings]``.
        **execution: ``out``, ``jobs``, ``cluster``, ``progress`` as in :func:`sim.experiments.execute`.

    Example:
        >>> from sim import load_scenario
        >>> s = load_scenario("scenarios/cdnow.toml", {"market.size": 300})
        >>> fit = calibrate(s, "data/cdnow/targets.toml", max_evaluations=6, runs=1, jobs=1)  # doctest: +SKIP
    """
    from scipy import optimize

    from sim.experiments import RunSpec, config_hash, execute, seeds_for
    from sim.sensitivity import _typed

    started = time.perf_counter()
    invocation = Invocation.api(
        "sim.calibration.calibrate", targets=targets if not isinstance(targets, TargetSet) else targets.source,
        parameters=parameters, runs=runs, seed=seed, max_evaluations=max_evaluations, method=method, **execution,
    )  # fmt: skip
    progress = execution.pop("progress", False)
    if not isinstance(targets, TargetSet):
        targets = load_targets(targets, scenario, parameters)
    elif parameters is not None:
        from sim.sensitivity import check_design

        check_design(scenario, parameters, "--param")
        targets = TargetSet(
            **{
                **targets.__dict__,
                "parameters": {k: (float(v[0]), float(v[1])) for k, v in parameters.items()},
            }
        )
    runs = runs or targets.runs
    budget = max_evaluations or targets.max_evaluations
    method = method or targets.method
    if method not in METHODS:
        raise ScenarioError(f"method {method!r}: allowed: {', '.join(METHODS)}")
    seed = targets.seed if seed is None else seed
    seed = scenario.run.seed if seed is None else seed
    seeds = seeds_for(scenario, runs, seed)
    base = scenario.without_experiments()
    keys = list(targets.parameters)
    low = np.array([targets.parameters[k][0] for k in keys])
    high = np.array([targets.parameters[k][1] for k in keys])
    runner = runner_for(targets.targets)
    weights = np.array([t.weight for t in targets.targets])
    rows: list[dict[str, Any]] = []
    details: list[dict[str, Any]] = []

    seen: dict[tuple[Any, ...], float] = {}  # a candidate evaluated before is not run again
    phase = ["differential_evolution" if method == "differential_evolution" else "nelder-mead"]

    def evaluate(candidates: np.ndarray) -> np.ndarray:
        """Objectives of a batch of candidates (rows, in parameter units): one executor call."""
        batch = len({r["batch"] for r in rows})
        points = [{k: _typed(base, k, float(v)) for k, v in zip(keys, x, strict=True)} for x in candidates]
        new: dict[tuple[Any, ...], Scenario | None] = {}
        for point in points:
            key = tuple(point.values())
            if key in seen or key in new or len(rows) + len(new) >= budget:
                continue
            try:
                new[key] = base.with_overrides(point)
            except ScenarioError:
                new[key] = None  # an invalid combination (e.g. shares summing over 1)
        specs = [
            RunSpec(f"evaluation-{len(rows) + i}", candidate, s, tuple(zip(keys, key, strict=True)), runner)
            for i, (key, candidate) in enumerate(new.items())
            if candidate is not None
            for s in seeds
        ]
        results = iter(execute(specs, keep_timeseries=False, **execution)) if specs else iter(())
        for key, candidate in new.items():
            row: dict[str, Any] = {"evaluation": len(rows), "batch": batch, "phase": phase[0]}
            row.update(dict(zip(keys, key, strict=True)))
            if candidate is None:
                row["objective"] = math.inf
                details.append({})
            else:
                measured = [next(results).summary["measures"] for _ in seeds]
                errors, simulated = [], []
                for index, target in enumerate(targets.targets):
                    spread = replicate_means([m[index] for m in measured])
                    error, _ = objective_terms(target.values, spread["mean"])
                    errors.append(error)
                    simulated.append(spread)
                    row[f"E_{index}"] = error
                row["objective"] = float(np.dot(weights, errors) / weights.sum())
                details.append({"simulated": simulated, "errors": errors})
            rows.append(row)
            seen[key] = row["objective"]
        if progress and new and (len(new) > 1 or len(rows) % 10 == 0 or len(rows) >= budget):
            best = min(r["objective"] for r in rows)
            print(
                f"calibrate: {len(rows)} of {budget} evaluations, best objective {best:.5g}", file=sys.stderr
            )
        found = [seen.get(tuple(p.values()), math.inf) for p in points]  # inf: over the budget
        finite = [v for v in seen.values() if math.isfinite(v)]
        penalty = 10 * max(finite) + 1 if finite else 1e6
        return np.array([v if math.isfinite(v) else penalty for v in found])

    n = len(keys)
    span = high - low

    def unit_objective(u: np.ndarray) -> float:
        if len(rows) >= budget:
            return math.inf
        return float(evaluate((low + np.clip(u, 0, 1) * span)[None, :])[0])

    def nelder_mead(start: np.ndarray, step: float, evaluations: int) -> None:
        """Nelder-Mead in the unit cube of the bounds, from ``start`` with a simplex of ``step``."""
        phase[0] = "nelder-mead"
        simplex = np.vstack([start, start + step * np.eye(n)])
        beyond = simplex[1:] > 1
        simplex[1:][beyond] -= 2 * step  # keep the first simplex inside the bounds
        optimize.minimize(
            unit_objective,
            start,
            method="Nelder-Mead",
            bounds=[(0.0, 1.0)] * n,
            options={"maxfev": evaluations, "initial_simplex": simplex, "xatol": 1e-3, "fatol": 1e-7},
        )

    if method == "differential_evolution":
        # Differential evolution explores the box with 60% of the budget; Nelder-Mead refines its
        # best candidate with the rest (the objective is not smooth enough for gradients).
        explore = int(0.6 * budget) if budget - int(0.6 * budget) >= n + 2 else budget
        per_member = max(2, min(15, explore // (4 * n)))
        population = max(per_member * n, 5)
        generations = max(explore // population, 1)

        optimize.differential_evolution(
            lambda x: evaluate(x.T),
            list(zip(low, high, strict=True)),
            popsize=per_member,
            maxiter=generations - 1,
            init="latinhypercube",
            seed=seed,
            polish=False,
            vectorized=True,
            updating="deferred",
        )
        left = budget - len(rows)
        if left >= n + 2:
            best_row = min(rows, key=lambda r: r["objective"])
            start = np.array([(best_row[k] - lo) / s for k, lo, s in zip(keys, low, span, strict=True)])
            nelder_mead(np.clip(start, 0, 1), 0.1, left)
    else:
        nelder_mead(np.full(n, 0.5), 0.25, budget)
    trace = pd.DataFrame(rows)
    best = int(trace["objective"].idxmin())
    fitted = {k: trace.loc[best, k] for k in keys}
    fitted = {k: (int(v) if isinstance(v, np.integer) else float(v)) for k, v in fitted.items()}
    fit = {
        "scenario": scenario.name,
        "source": scenario.source,
        "hash": config_hash(base),
        "targets_file": targets.source,
        "method": method,
        "evaluations": len(rows),
        "max_evaluations": budget,
        "runs": runs,
        "seeds": seeds,
        "objective": float(trace.loc[best, "objective"]),
        "best_evaluation": best,
        "parameters": {
            k: {"fitted": fitted[k], "low": targets.parameters[k][0], "high": targets.parameters[k][1]}
            for k in keys
        },
        "targets": [
            {
                "index": index,
                "kind": target.kind,
                "label": target.label,
                "metric": target.metric,
                "firm": target.firm,
                "weight": target.weight,
                "points": target.point_labels(),
                "observed": list(target.values),
                "simulated": details[best]["simulated"][index]["mean"],
                "simulated_ci95_half": details[best]["simulated"][index]["ci95_half"],
                "simulated_min": details[best]["simulated"][index]["min"],
                "simulated_max": details[best]["simulated"][index]["max"],
                "error": details[best]["errors"][index],
                "rms_relative_error": math.sqrt(details[best]["errors"][index]),
            }
            for index, target in enumerate(targets.targets)
        ],
        "objective_formula": "J = sum_t w_t E_t / sum_t w_t; E_t = mean_i ((s_ti - o_ti) / max(|o_ti|, 0.05 max_j |o_tj|))^2",
        "seconds": round(time.perf_counter() - started, 1),
    }
    return Calibration(fitted, base.with_overrides(fitted), fit, trace, targets, invocation)


# --------------------------------------------------------------------------- outputs


def fit_figure(calibration: Calibration) -> Figure:
    """Observed against simulated, one panel per target, with the target's RMS relative error.

    Example:
        >>> figure = fit_figure(calibrate(scenario, "data/cdnow/targets.toml"))  # doctest: +SKIP
    """
    import matplotlib.pyplot as plt

    import sim.plots  # noqa: F401  (selects the file backend)

    fit = calibration.fit
    count = len(fit["targets"])
    cols = min(count, 2)
    rows = math.ceil(count / cols)
    figure, axes = plt.subplots(
        rows, cols, figsize=(max(8.0, 5.2 * cols), 1.6 + 3.4 * rows), layout="constrained", squeeze=False
    )
    for axis, target, spec in zip(axes.ravel(), fit["targets"], calibration.targets.targets, strict=False):
        observed = np.array(target["observed"], dtype=float)
        simulated = np.array([np.nan if v is None else v for v in target["simulated"]], dtype=float)
        low = np.array([np.nan if v is None else v for v in target["simulated_min"]], dtype=float)
        high = np.array([np.nan if v is None else v for v in target["simulated_max"]], dtype=float)
        spread = np.nan_to_num(np.vstack([simulated - low, high - simulated]))
        label = f"simulated: mean, range of {fit['runs']} runs"
        categorical = spec.kind in ("churn_reasons", "scalar")
        x = np.arange(len(observed)) if categorical else np.array(spec.points, dtype=float)
        if categorical:
            axis.bar(x - 0.2, observed, width=0.4, color="#7f7f7f", label="observed")
            axis.bar(
                x + 0.2,
                simulated,
                width=0.4,
                yerr=spread,
                capsize=3,
                color="#1f77b4",
                label=label,
            )
            axis.set_xticks(x, target["points"], rotation=20)
        else:
            axis.plot(x, observed, "o", color="black", label="observed", zorder=3)
            axis.errorbar(x, simulated, yerr=spread, fmt="-s", color="#1f77b4", capsize=3, label=label)
            axis.set_xlabel(
                {
                    "week": "week",
                    "month": "month (4 weeks)",
                    "weeks_since": "weeks since acquisition"
                    if spec.kind == "retention" and spec.definition == "membership"
                    else "weeks since first purchase",
                }[spec.unit]
            )
        axis.set_ylabel(
            {
                "retention": "share retained",
                "repeat_purchases": "repeat purchase weeks",
                "churn_reasons": "share of exits",
            }.get(spec.kind, spec.metric or "value")
        )
        axis.set_title(
            f"{target['label']}\nRMS relative error {target['rms_relative_error']:.1%}",
            fontsize=9,
            loc="left",
        )
        axis.legend(fontsize=8)
    for axis in axes.ravel()[count:]:
        axis.set_axis_off()
    fitted = ", ".join(
        f"{k.split('.')[-2] + '.' + k.split('.')[-1] if '.' in k else k} = {_short(v)}"
        for k, v in calibration.fitted.items()
    )
    figure.suptitle(
        f"Calibrated {fit['scenario']!r} to {Path(fit['targets_file']).name}: simulated (mean of {fit['runs']} runs) "
        f"against observed\nobjective {fit['objective']:.4f} after {fit['evaluations']} evaluations\n"
        + textwrap.fill(f"fitted: {fitted}", 110),
        fontsize=9,
    )
    return figure


def _short(value: float) -> str:
    return f"{value:.4g}"


def write_calibration(
    calibration: Calibration,
    out: str | os.PathLike[str],
    figures: bool = True,
    invocation: Invocation | None = None,
) -> Path:
    """``fitted.toml`` (the scenario with the fitted values; ``sim.load_scenario`` reads it),
    ``fit.json``, ``trace.parquet`` and ``trace.csv`` (every evaluation), ``figures/fit.png`` and
    ``manifest.json`` of the scenario calibrated (``invocation``, e.g. the command line, replaces
    the result's own).

    Example:
        >>> write_calibration(calibrate(scenario, "data/cdnow/targets.toml"), "results/cdnow")  # doctest: +SKIP
    """
    from sim import __version__
    from sim.results import atomic_write, save_figure, write_json

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    fit = calibration.fit
    header = [
        f"# Fitted by `sim calibrate` to {fit['targets_file']} (objective {fit['objective']:.6g}, "
        f"{fit['evaluations']} evaluations, {fit['runs']} runs each).",
        *(
            f"#   {k} = {_short(v['fitted'])}   (bounds {v['low']:g} .. {v['high']:g})"
            for k, v in fit["parameters"].items()
        ),
    ]
    text = "\n".join(header) + "\n" + calibration.scenario.to_toml()
    atomic_write(out / "fitted.toml", lambda p: p.write_text(text))
    write_json(out / "fit.json", {**fit, "version": __version__})
    atomic_write(out / "trace.parquet", lambda p: calibration.trace.to_parquet(p, index=False))
    atomic_write(out / "trace.csv", lambda p: calibration.trace.to_csv(p, index=False))
    if figures:
        save_figure(out / "figures" / "fit.png", fit_figure(calibration))
    write_manifest(out, fit, fit["seeds"], invocation or calibration.invocation)
    return out


def format_calibration(calibration: Calibration) -> str:
    """The fitted values and each target's error as text.

    Example:
        >>> print(format_calibration(calibrate(scenario, "data/cdnow/targets.toml")))  # doctest: +SKIP
    """
    fit = calibration.fit
    lines = [
        f"Calibrated {fit['scenario']!r} to {fit['targets_file']}: {fit['method']}, {fit['evaluations']} evaluations "
        f"x {fit['runs']} runs (seeds {fit['seeds'][0]}-{fit['seeds'][-1]}); objective {fit['objective']:.5f}",
        "",
        "parameter                                          low        high       fitted",
    ]
    for key, value in fit["parameters"].items():
        lines.append(f"{key:<45} {value['low']:>10.4g} {value['high']:>10.4g} {value['fitted']:>12.5g}")
    lines += ["", "target                                                      weight  RMS rel. error"]
    for target in fit["targets"]:
        lines.append(
            f"[{target['index']}] {target['label']:<55} {target['weight']:>6g}  {target['rms_relative_error']:>8.1%}"
        )
        observed = ", ".join(f"{v:.4g}" for v in target["observed"])
        simulated = ", ".join("n/a" if v is None else f"{v:.4g}" for v in target["simulated"])
        lines.append(f"      observed  {observed}\n      simulated {simulated}")
    return "\n".join(lines)


def simulate_targets(
    scenario: Scenario, targets: TargetSet, runs: int | None = None, seed: int | None = None, **execution: Any
) -> TargetSet:
    """``targets`` with every observed value replaced by the scenario's simulated mean over
    ``runs`` replicates: synthetic data with known parameters, e.g. to check that calibration
    recovers them.

    Example:
        >>> from sim import load_scenario
        >>> s = load_scenario("scenarios/research.toml", {"market.size": 300, "run.weeks": 20})
        >>> t = TargetSet({}, [Target("series", (10,), (0.0,), metric="customers", unit="week")])
        >>> simulate_targets(s, t, runs=1, jobs=1).targets[0].values[0] > 0
        True
    """
    from sim.experiments import RunSpec, execute, seeds_for

    runs = runs or targets.runs
    seed = scenario.run.seed if seed is None else seed
    runner = runner_for(targets.targets)
    base = scenario.without_experiments()
    results = execute(
        [RunSpec("truth", base, s, (), runner) for s in seeds_for(scenario, runs, seed)],
        keep_timeseries=False,
        **execution,
    )
    new = []
    for index, target in enumerate(targets.targets):
        means = replicate_means([r.summary["measures"][index] for r in results])["mean"]
        if any(m is None for m in means):
            raise ValueError(f"target {index} ({target.label}) is undefined in the simulation at some point")
        new.append(Target(**{**target.__dict__, "values": tuple(round(m, 6) for m in means)}))
    return TargetSet(**{**targets.__dict__, "targets": new})
