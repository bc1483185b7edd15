"""Global sensitivity analysis: which parameters move a firm's outcomes, and by how much.

Owns ``sim sensitivity``: a design over dotted scenario keys and ranges (from the scenario's
``[sensitivity]`` table or the command line), sampled with SALib (Sobol' sequences with Saltelli's
scheme for variance-based indices, or Morris trajectories for screening many parameters), every
point run on the same replicate seeds (common random numbers) through the experiments executor
(in this process, a process pool or Dask; an interrupted analysis resumes from its finished runs),
and the indices per outcome and parameter with 95% confidence intervals:

- Sobol: ``S1`` (first order: the share of the outcome's variance the parameter explains alone)
  and ``ST`` (total order: including its interactions), with bootstrap ``S1_conf``, ``ST_conf``
  (half-widths of the 95% intervals).
- Morris: ``mu_star`` (mean absolute elementary effect, in outcome units per the parameter's full
  range), its bootstrap ``mu_star_conf``, ``mu`` (signed mean) and ``sigma`` (spread of the effects:
  non-linearity or interactions).

The design is a set of uncertainties (:class:`sim.design.Uncertainty`: a dotted key and a range
``{low, high}``, sampled uniformly, or a distribution, sampled through its quantiles); the outcome
of a point is the mean over its replicates of a declared per-firm outcome of the summary
(:data:`sim.design.OUTCOMES`: ``profit``, ``ltv``, ``cac``, ``retention_yearly``, ``customers_end``,
``churned_by_reason.dissatisfied`` ...). :func:`sensitivity` returns a :class:`SensitivityResult`,
which prints its table, draws its figure and writes its files.

Example:
    >>> parse_param("behaviours.adoption.word_of_mouth=0.005:0.05")
    ('behaviours.adoption.word_of_mouth', (0.005, 0.05))
"""

from __future__ import annotations

import math
import os
import textwrap
import time
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sim.design import Distribution, Range, SensitivityConfig, Uncertainty, check_uncertainties, typed_value
from sim.design import check_outcomes as check_design_outcomes
from sim.execution import RunSpec, config_hash, execute, seeds_for
from sim.manifest import Invocation, write_manifest
from sim.scenario import Scenario, ScenarioError
from sim.statistics import scalar_metrics
from sim.workflow import WorkflowResult

if TYPE_CHECKING:
    from matplotlib.figure import Figure

SOBOL_COLUMNS = ["S1", "S1_conf", "ST", "ST_conf"]
MORRIS_COLUMNS = ["mu_star", "mu_star_conf", "mu", "sigma"]

# When the sample is too small for an index (see :func:`check_precision`): its 95% interval is
# wider than the index itself, unless it is narrower than this, which is precise enough for an
# index of any size (a Sobol index is a share of variance: 0.1 is +- 0.05 of it) ...
SOBOL_PRECISE_WIDTH = 0.1
# ... for Morris, whose mu* is in the outcome's units: a tenth of the outcome's largest mu*.
MORRIS_PRECISE_SHARE = 0.1


# --------------------------------------------------------------------------- the design


def parse_param(text: str) -> tuple[str, tuple[float, float]]:
    """``KEY=LOW:HIGH`` (as given to ``--param``) to ``(key, (low, high))``.

    Example:
        >>> parse_param("firms.us.budget=100:2000")
        ('firms.us.budget', (100.0, 2000.0))
    """
    key, sep, bounds = text.partition("=")
    low, colon, high = bounds.partition(":")
    try:
        if not sep or not colon or not key.strip():
            raise ValueError
        return key.strip(), (float(low), float(high))
    except ValueError:
        raise ScenarioError(
            f"--param {text!r}: expected KEY=LOW:HIGH, e.g. --param behaviours.adoption.word_of_mouth=0.005:0.05"
        ) from None


def check_design(
    scenario: Scenario, parameters: Mapping[str, Any], where: str, source: str | None = None
) -> None:
    """Every key must name an existing number of ``scenario`` and its range (``{low, high}``, a
    :class:`sim.design.Range`, a pair ``(low, high)`` or a distribution) must give valid scenarios
    at both ends (:func:`sim.design.check_uncertainties`). Raises :class:`ScenarioError` naming
    the file (``source``, default the scenario's), ``where`` (the table or option), the dotted key,
    the value and what is allowed.

    Example:
        >>> from sim import load_scenario
        >>> check_design(load_scenario("scenarios/baseline.toml"), {"firms.us.budgte": [0, 1]}, "--param")
        Traceback (most recent call last):
        ...
        sim.scenario.ScenarioError: scenarios/baseline.toml: --param firms.us.budgte = [0, 1]: unknown key; keys in [firms.us]: price, quality, margin, failure_rate, initial_share, budget, strategy, split, price_path, params, response, seeds
    """
    check_uncertainties(scenario, parameters, where, source=source, sampled=True)


def check_outcomes(scenario: Scenario, outcomes: list[str] | tuple[str, ...], firm: str | None) -> str:
    """Every outcome must be a declared per-firm outcome (:data:`sim.design.OUTCOMES`) and the firm
    one of the scenario's; returns the firm (default: the first).

    Example:
        >>> from sim import load_scenario
        >>> check_outcomes(load_scenario("scenarios/research.toml"), ["profit", "ltv"], None)
        'us'
    """
    return check_design_outcomes(scenario, outcomes, firm)


# --------------------------------------------------------------------------- the analysis


@dataclass
class SensitivityResult(WorkflowResult):
    """What :func:`sensitivity` returns: the indices, the design, and the methods that show them.

    Attributes:
        indices: one row per outcome and parameter: ``outcome``, ``parameter``, ``rank`` (1 =
            most influential) and the method's columns (Sobol ``S1``, ``S1_conf``, ``ST``,
            ``ST_conf``; Morris ``mu_star``, ``mu_star_conf``, ``mu``, ``sigma``).
        design: one row per sample point: ``point``, the parameter values, each outcome's mean
            over the replicates.
        info: the ``sensitivity.json`` dict.
        invocation: the call and its start, for the manifest.
        scenario: the analysed scenario (its resolved file and manifest are written with the result).

    Example:
        >>> result = sensitivity(scenario, {"firms.us.budget": {"low": 0, "high": 4000}})  # doctest: +SKIP
        >>> print(result.table()); result.write("results/research/sensitivity")  # doctest: +SKIP
    """

    indices: pd.DataFrame
    design: pd.DataFrame
    info: dict[str, Any]
    invocation: Invocation | None = None
    scenario: Scenario | None = None

    @property
    def summary(self) -> dict[str, Any]:
        """The ``sensitivity.json`` dict (:attr:`info`), by the name every result gives it."""
        return self.info

    def table(self) -> str:
        """The indices as text, one block per outcome, most influential parameter first, then the
        precision warning when the sample is too small."""
        info = self.info
        sobol = info["method"] == "sobol"
        lines = [
            f"{'Sobol' if sobol else 'Morris'} sensitivity of firm {info['firm']!r} in {info['scenario']!r}: "
            f"{info['points']} points x {info['runs']} run(s) (seeds {info['seeds'][0]}-{info['seeds'][-1]}), 95% CI"
        ]
        for outcome, block in info["outcomes"].items():
            lines.append(f"\n{outcome}" + (f": {block['note']}" if block["note"] else ""))
            table = self.indices[self.indices["outcome"] == outcome]
            for _, row in table.iterrows():
                if sobol:
                    lines.append(
                        f"  {row['rank']}. {row['parameter']:<45} ST {row['ST']:6.3f} ± {row['ST_conf']:.3f}   "
                        f"S1 {row['S1']:6.3f} ± {row['S1_conf']:.3f}"
                    )
                else:
                    lines.append(
                        f"  {row['rank']}. {row['parameter']:<45} mu* {_number(row['mu_star']):>10} "
                        f"± {_number(row['mu_star_conf']):<8} sigma {_number(row['sigma'])}"
                    )
        warning = info.get("precision", {}).get("warning")
        if warning:
            lines += ["", warning]
        return "\n".join(lines)

    def figures(self) -> dict[str, Figure]:
        """``sensitivity``: the parameters ranked by influence on each outcome (:func:`sensitivity_figure`)."""
        return {"sensitivity": sensitivity_figure(self)}

    def write(
        self,
        out: str | os.PathLike[str],
        figures: bool = True,
        invocation: Invocation | None = None,
        scenario: Scenario | None = None,
    ) -> Path:
        """``sensitivity.json``, ``sensitivity.parquet`` (indices), ``sensitivity_design.parquet``
        (the points and their outcomes), the resolved scenario, ``figures/sensitivity.png`` and
        ``manifest.json`` (``invocation``, e.g. the command line, replaces the result's own;
        ``scenario`` the result's)."""
        from sim import __version__
        from sim.files import atomic_write, write_json
        from sim.results import save_figure

        scenario = scenario if scenario is not None else self.scenario
        if scenario is None:
            raise ValueError(
                "a SensitivityResult built by hand needs the scenario to write: write(out, scenario=...)"
            )
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        write_json(out / "sensitivity.json", {**self.info, "version": __version__})
        atomic_write(out / "sensitivity.parquet", lambda p: self.indices.to_parquet(p, index=False))
        atomic_write(out / "sensitivity_design.parquet", lambda p: self.design.to_parquet(p, index=False))
        atomic_write(out / "scenario.resolved.toml", lambda p: p.write_text(scenario.to_toml()))
        if figures:
            for stem, figure in self.figures().items():
                save_figure(out / "figures" / f"{stem}.png", figure)
        write_manifest(out, scenario, self.info["seeds"], invocation or self.invocation)
        return out


def _bounds(form: Any) -> list[float]:
    """The sampler's bounds of an uncertainty: a range's ends, or [0, 1] for a distribution (its
    draws are quantiles, turned into values by the distribution)."""
    if isinstance(form, Distribution):
        return [0.0, 1.0]
    low, high = form.ends() if isinstance(form, Range) else form
    return [float(low), float(high)]


def _problem(parameters: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "num_vars": len(parameters),
        "names": list(parameters),
        "bounds": [_bounds(form) for form in parameters.values()],
    }


def sample_points(
    parameters: Mapping[str, Any], method: str, samples: int, seed: int, levels: int = 4
) -> np.ndarray:
    """The SALib design: Sobol (Saltelli) ``samples x (D + 2)`` points, or Morris
    ``samples x (D + 1)`` (``samples`` trajectories), each row a point in parameter units (for a
    distribution, in quantiles: see :func:`_bounds`). A range is a pair, a ``{low, high}`` table or
    a :class:`sim.design.Range`.

    Example:
        >>> sample_points({"a": [0, 1], "b": {"low": 5, "high": 10}}, "sobol", 8, seed=1).shape
        (32, 2)
    """
    parameters = {k: Range.model_validate(v) if isinstance(v, Mapping) else v for k, v in parameters.items()}
    problem = _problem(parameters)
    if method == "sobol":
        from SALib.sample import sobol

        if samples & (samples - 1):
            raise ScenarioError(f"samples = {samples}: Sobol needs a power of two (e.g. 32, 64, 128)")
        return sobol.sample(problem, samples, calc_second_order=False, seed=seed)
    if method == "morris":
        from SALib.sample import morris

        return morris.sample(problem, samples, num_levels=levels, seed=seed)
    raise ScenarioError(f"method {method!r}: allowed: sobol, morris")


def sensitivity(
    scenario: Scenario,
    uncertainties: Mapping[str, Any] | None = None,
    method: str | None = None,
    samples: int | None = None,
    outcomes: list[str] | tuple[str, ...] | None = None,
    firm: str | None = None,
    runs: int | None = None,
    seed: int | None = None,
    levels: int | None = None,
    *,
    parameters: Mapping[str, Any] | None = None,
    **execution: Any,
) -> SensitivityResult:
    """Run a global sensitivity analysis of ``scenario``.

    Every argument left None comes from the scenario's ``[sensitivity]`` table (or its defaults:
    Sobol, 64 samples, 1 run, outcomes customers_end, profit, ltv, retention_yearly, the first
    firm); ``uncertainties`` given here replace the table's.

    Args:
        scenario: a validated scenario.
        uncertainties: dotted key -> a range (``{"low": ..., "high": ...}``, a
            :class:`sim.design.Range` or a pair ``(low, high)``) or a :class:`sim.design.Distribution`.
        method: ``"sobol"`` or ``"morris"``.
        samples: Sobol base samples N (a power of two; N (D + 2) points) or Morris trajectories
            (N (D + 1) points).
        outcomes: declared per-firm outcomes of the summary (:data:`sim.design.OUTCOMES`).
        firm: the firm whose outcomes are analysed.
        runs: replicates per point (seeds seed, seed + 1, ... at every point).
        seed: first replicate seed and the sampler's seed (default ``run.seed``).
        levels: Morris grid levels.
        parameters: the older name of ``uncertainties`` (deprecated).
        **execution: ``out``, ``jobs``, ``cluster``, ``progress`` as in :func:`sim.experiments.execute`.

    Example:
        >>> from sim import load_scenario
        >>> s = load_scenario("scenarios/baseline.toml", {"market.size": 200, "run.weeks": 4})
        >>> result = sensitivity(s, {"firms.us.budget": {"low": 0, "high": 4000}}, samples=2, jobs=1)  # doctest: +SKIP
    """
    if parameters is not None:
        warnings.warn(
            "sensitivity(parameters=...) is deprecated: the varied keys are named uncertainties=...",
            DeprecationWarning,
            stacklevel=2,
        )
        uncertainties = parameters if uncertainties is None else uncertainties
    started = time.perf_counter()
    invocation = Invocation.api(
        "sim.sensitivity.sensitivity", uncertainties=_written(uncertainties), method=method, samples=samples,
        outcomes=outcomes, firm=firm, runs=runs, seed=seed, levels=levels, **execution,
    )  # fmt: skip
    table = scenario.sensitivity
    if uncertainties is None:
        if table is None:
            raise ScenarioError(
                f"{scenario.source or scenario.name}: no [sensitivity] table and no --param; give ranges, e.g. "
                "--param behaviours.adoption.word_of_mouth=0.005:0.05 or [sensitivity.uncertainties] "
                '"firms.us.budget" = {low = 500, high = 3000}'
            )
        uncertainties = table.uncertainties
        where = "[sensitivity.uncertainties]"
    else:
        where = "--param"

    def default(name: str) -> Any:
        return (
            getattr(table, name)
            if table is not None
            else SensitivityConfig.model_fields[name].get_default(call_default_factory=True)
        )

    method = method or default("method")
    samples = samples or default("samples")
    outcomes = list(outcomes or default("outcomes"))
    runs = runs or default("runs")
    levels = levels or default("levels")
    seed = scenario.run.seed if seed is None else seed
    design_of = check_uncertainties(scenario, uncertainties, where, sampled=True)
    firm = check_outcomes(scenario, outcomes, firm or default("firm"))
    forms = {u.key: u.form for u in design_of}

    unit = sample_points(forms, method, samples, seed, levels)
    base = scenario.without_experiments()
    keys = list(forms)
    points = [
        {u.key: typed_value(base, u.key, _value(u, x)) for u, x in zip(design_of, row, strict=True)}
        for row in unit
    ]
    seeds = seeds_for(scenario, runs, seed)
    specs = []
    for index, point in enumerate(points):
        try:
            point_scenario = base.with_overrides(point)
        except ScenarioError as error:
            raise ScenarioError(f"sensitivity point {point}: {error}") from None
        specs += [RunSpec(f"point-{index}", point_scenario, s, tuple(point.items())) for s in seeds]
    results = execute(specs, keep_timeseries=False, **execution)

    values = {outcome: np.full((len(points), runs), np.nan) for outcome in outcomes}
    for position, result in enumerate(results):
        metrics = scalar_metrics(result.summary["firms"][firm])
        for outcome in outcomes:
            value = metrics[outcome]
            if value is not None and math.isfinite(value):
                values[outcome][position // runs, position % runs] = value
    design = pd.DataFrame({"point": np.arange(len(points))})
    for key in keys:
        design[key] = [p[key] for p in points]
    means: dict[str, np.ndarray] = {}
    for outcome in outcomes:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN rows: reported below
            means[outcome] = np.nanmean(values[outcome], axis=1)
        design[outcome] = means[outcome]

    rows, notes = [], {}
    problem = _problem(forms)
    for outcome in outcomes:
        y = means[outcome]
        undefined = int(np.isnan(y).sum())
        if undefined:
            notes[outcome] = (
                f"undefined at {undefined} of {len(y)} points (e.g. a CAC without acquisitions); no indices"
            )
            continue
        if np.ptp(y) == 0:
            notes[outcome] = f"does not vary over the design (always {y[0]:g}); every index is 0"
            analysed = {
                name: np.zeros(len(keys)) for name in (SOBOL_COLUMNS if method == "sobol" else MORRIS_COLUMNS)
            }
        else:
            analysed = _analyse(problem, method, unit, y, seed, levels)
        order = np.argsort(-np.asarray(analysed["ST" if method == "sobol" else "mu_star"]), kind="stable")
        rank = np.empty(len(keys), dtype=int)
        rank[order] = np.arange(1, len(keys) + 1)
        for j, key in enumerate(keys):
            row = {"method": method, "outcome": outcome, "parameter": key, "rank": int(rank[j])}
            row.update({name: float(analysed[name][j]) for name in analysed})
            rows.append(row)
    columns = [
        "method",
        "outcome",
        "parameter",
        "rank",
        *(SOBOL_COLUMNS if method == "sobol" else MORRIS_COLUMNS),
    ]
    indices = pd.DataFrame(rows, columns=columns).sort_values(
        ["outcome", "rank"], kind="stable", ignore_index=True
    )
    info = {
        "scenario": scenario.name,
        "source": scenario.source,
        "firm": firm,
        "method": method,
        "samples": samples,
        "levels": levels if method == "morris" else None,
        "points": len(points),
        "runs": runs,
        "seeds": seeds,
        "parameters": {u.key: _bounds(u.form) if u.range is not None else u.written() for u in design_of},
        "outcomes": {
            outcome: {
                "note": notes.get(outcome),
                "indices": {
                    r["parameter"]: {k: r[k] for k in columns[3:]} for r in rows if r["outcome"] == outcome
                },
            }
            for outcome in outcomes
        },
        "hash": config_hash(base),
        "seconds": round(time.perf_counter() - started, 1),
    }
    info["precision"] = check_precision(indices, method, samples, len(keys), runs)
    return SensitivityResult(indices, design, info, invocation, scenario)


def _value(uncertainty: Uncertainty, x: float) -> float:
    """The value of a sampled coordinate: itself for a range, the quantile for a distribution."""
    return uncertainty.distribution.at(x) if uncertainty.distribution is not None else float(x)


def _written(uncertainties: Mapping[str, Any] | None) -> Any:
    """The uncertainties as plain data (for the manifest's record of the call)."""
    if uncertainties is None:
        return None
    return {
        k: v.model_dump(exclude_none=True) if isinstance(v, Range | Distribution) else v
        for k, v in uncertainties.items()
    }


def check_precision(
    indices: pd.DataFrame, method: str, samples: int, parameters: int, runs: int = 1
) -> dict[str, Any]:
    """Whether the sample is large enough for the indices in ``indices``, and which size would be.

    An index is too imprecise when its 95% interval (twice the half-width ``*_conf``) is wider
    than the index itself and wider than :data:`SOBOL_PRECISE_WIDTH` (Morris: a tenth of the
    outcome's largest ``mu_star``), or, for a first-order Sobol index, when it is below zero
    beyond its interval (``S1 + S1_conf < 0``: a share of variance is at least 0, so the estimate
    is off by at least ``|S1|``). The widths of bootstrap intervals shrink about as one over the
    square root of the sample size N (Sobol base samples, Morris trajectories), so the size that
    brings a width w under a target t is ``N (w / t) ** 2``; the target is the larger of the index
    and the precise width (for a negative ``S1``: the precise width, with its error counted as at
    least ``2 |S1|``). The recommendation is the largest over the flagged indices (Sobol: rounded
    up to a power of two). It is an estimate: the intervals of a small sample are rough too.

    Args:
        indices: the table of :class:`SensitivityResult`.
        method: ``"sobol"`` or ``"morris"``.
        samples: the N that produced ``indices``.
        parameters: the number of parameters D (for the number of points).
        runs: replicates per point (for the number of runs).

    Returns:
        ``flagged`` (one dict per imprecise index: outcome, parameter, index, value, half_width,
        reason ``"wide"`` or ``"negative"``, width and target (the interval's width and the width
        it must get under), samples_needed (for this index alone)), ``recommended_samples`` (None
        when nothing is flagged), the ``rule`` in words and ``warning`` (the text printed, or None).

    Example:
        >>> table = pd.DataFrame({"outcome": ["profit"], "parameter": ["firms.us.budget"],
        ...                       "S1": [0.5], "S1_conf": [0.1], "ST": [0.6], "ST_conf": [0.4]})
        >>> found = check_precision(table, "sobol", 16, parameters=1)
        >>> [(f["index"], f["reason"]) for f in found["flagged"]], found["recommended_samples"]
        ([('ST', 'wide')], 32)
    """
    sobol = method == "sobol"
    names = [("S1", "S1_conf"), ("ST", "ST_conf")] if sobol else [("mu_star", "mu_star_conf")]
    flagged = []
    for outcome, table in indices.groupby("outcome", sort=False):
        precise = SOBOL_PRECISE_WIDTH if sobol else MORRIS_PRECISE_SHARE * float(table["mu_star"].abs().max())
        if not precise > 0:  # Morris: nothing moves this outcome (every index is exactly 0)
            continue
        for _, row in table.iterrows():
            for name, conf in names:
                value, half = float(row[name]), float(row[conf])
                if not (math.isfinite(value) and math.isfinite(half)):
                    continue
                if name == "S1" and value + half < 0:
                    reason, width, target = "negative", 2 * max(half, -value), precise
                elif 2 * half > max(abs(value), precise):
                    reason, width, target = "wide", 2 * half, max(abs(value), precise)
                else:
                    continue
                needed = math.ceil(samples * (width / target) ** 2)
                flagged.append({"outcome": outcome, "parameter": row["parameter"], "index": name, "value": value,
                                "half_width": half, "reason": reason, "width": width, "target": target,
                                "samples_needed": _power_of_two(needed) if sobol else needed})  # fmt: skip
    recommended = max((f["samples_needed"] for f in flagged), default=None)
    if sobol:
        rule = f"a 95% CI no wider than the larger of the index and {SOBOL_PRECISE_WIDTH:g}; S1 not below 0 beyond it"
    else:
        rule = "a 95% CI no wider than the larger of mu* and a tenth of the outcome's largest mu*"
    warning = None
    if flagged:
        per_point = parameters + 2 if sobol else parameters + 1
        lines = [
            f"warning: the sample is too small for {len(flagged)} of the {len(indices) * len(names)} indices "
            f"({'Sobol' if sobol else 'Morris'}, --samples {samples}; wanted: {rule}):"
        ]
        for f in flagged:
            shown = f"{f['index']} of {f['parameter']} = {_number(f['value'])} ± {_number(f['half_width'])}"
            if f["reason"] == "negative":
                why = "below 0 beyond its 95% CI (a share of variance is at least 0)"
            elif f["target"] == abs(f["value"]):
                why = f"95% CI {_number(f['width'])} wide, wider than the index"
            else:
                why = (
                    f"95% CI {_number(f['width'])} wide, wider than the index and than {_number(f['target'])}"
                )
            lines.append(f"  {f['outcome']}: {shown}: {why}")
        lines.append(
            f"  CI widths shrink about as 1/sqrt(samples): --samples {recommended} would bring each within "
            f"the rule ({recommended} x {per_point} points x {runs} run(s) = {recommended * per_point * runs:,} "
            f"runs, against {samples * per_point * runs:,} now)."
        )
        warning = "\n".join(lines)
    return {"rule": rule, "flagged": flagged, "recommended_samples": recommended, "warning": warning}


def _power_of_two(n: int) -> int:
    """The smallest power of two >= ``n`` (Sobol's Saltelli design needs one)."""
    return 1 << max(n - 1, 0).bit_length()


def _analyse(
    problem: dict[str, Any], method: str, unit: np.ndarray, y: np.ndarray, seed: int, levels: int
) -> dict[str, np.ndarray]:
    if method == "sobol":
        from SALib.analyze import sobol

        found = sobol.analyze(
            problem, y, calc_second_order=False, num_resamples=1000, conf_level=0.95, seed=seed
        )
        return {name: np.asarray(found[name], dtype=float) for name in SOBOL_COLUMNS}
    from SALib.analyze import morris

    found = morris.analyze(
        problem, unit, y, num_resamples=1000, conf_level=0.95, num_levels=levels, seed=seed
    )
    return {name: np.asarray(found[name], dtype=float) for name in MORRIS_COLUMNS}


# --------------------------------------------------------------------------- outputs


def sensitivity_figure(result: SensitivityResult) -> Figure:
    """One panel per outcome: the parameters ranked by influence, bars with 95% CI whiskers
    (Sobol: total-order ST and first-order S1; Morris: mu*).

    Example:
        >>> figure = sensitivity_figure(result)  # doctest: +SKIP
    """
    import matplotlib.pyplot as plt

    import sim.plots  # noqa: F401  (selects the file backend)

    info = result.info
    sobol = info["method"] == "sobol"
    outcomes = [o for o in info["outcomes"] if info["outcomes"][o]["indices"]]
    n = max(len(outcomes), 1)
    params = len(info["parameters"])
    figure, axes = plt.subplots(
        n, 1, figsize=(9, 1.2 + n * (0.9 + 0.45 * params)), layout="constrained", squeeze=False
    )
    for axis, outcome in zip(axes[:, 0], outcomes, strict=False):
        table = result.indices[result.indices["outcome"] == outcome].sort_values("rank", ascending=False)
        labels = table["parameter"].tolist()
        y = np.arange(len(labels))
        if sobol:
            axis.barh(y + 0.2, table["ST"], height=0.4, xerr=table["ST_conf"], color="#1f77b4",
                      capsize=3, label="total order ST (with interactions)")  # fmt: skip
            axis.barh(y - 0.2, table["S1"], height=0.4, xerr=table["S1_conf"], color="#aec7e8",
                      capsize=3, label="first order S1 (alone)")  # fmt: skip
            axis.set_xlabel("Sobol index: share of the outcome's variance (bars: 95% CI)")
            axis.axvline(0, color="black", linewidth=0.8)
            top = table.iloc[-1]
            headline = (
                f"{outcome}: {top['parameter']} explains most (ST {top['ST']:.2f} ± {top['ST_conf']:.2f})"
            )
        else:
            axis.barh(y, table["mu_star"], height=0.6, xerr=table["mu_star_conf"], color="#1f77b4",
                      capsize=3, label="mu* (mean |elementary effect|)")  # fmt: skip
            axis.plot(table["sigma"], y, "o", color="#d62728", label="sigma (non-linearity, interactions)")
            axis.set_xlabel(f"effect on {outcome} of moving the parameter across its range (bars: 95% CI)")
            top = table.iloc[-1]
            headline = f"{outcome}: {top['parameter']} matters most (mu* {_number(top['mu_star'])})"
        axis.set_yticks(y, labels)
        axis.set_ylabel("parameter")
        axis.set_title(textwrap.fill(headline, 70), loc="left", fontsize=10)
        axis.legend(loc="lower right", fontsize=8)
    for axis in axes[len(outcomes) :, 0]:
        axis.set_axis_off()
        axis.text(0.5, 0.5, "no outcome could be analysed", ha="center", transform=axis.transAxes)
    what = "Sobol indices" if sobol else "Morris screening"
    figure.suptitle(
        f"Which parameters drive firm {info['firm']!r} in {info['scenario']!r}? Most influential on top.\n"
        f"{what}, {info['points']} points x {info['runs']} run(s) per point on the same seeds",
        fontsize=10,
    )
    return figure


def _number(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3g}"


def write_sensitivity(
    result: SensitivityResult,
    scenario: Scenario,
    out: str | os.PathLike[str],
    figures: bool = True,
    invocation: Invocation | None = None,
) -> Path:
    """``result.write(out, figures, invocation, scenario)``: the files of :meth:`SensitivityResult.write`.

    Example:
        >>> write_sensitivity(result, scenario, "results/research/sensitivity")  # doctest: +SKIP
    """
    return result.write(out, figures=figures, invocation=invocation, scenario=scenario)


def format_sensitivity(result: SensitivityResult) -> str:
    """``result.table()``: the indices as text, one block per outcome, most influential first.

    Example:
        >>> print(format_sensitivity(result))  # doctest: +SKIP
    """
    return result.table()
