"""Experiments: replications of a scenario, paired comparisons of its arms and sweeps of its keys.

Owns the three experiments over sets of runs and their results: :func:`replicate` ->
:class:`Replicates`, :func:`compare` -> :class:`Comparison`, :func:`sweep` -> :class:`SweepResult`;
each result prints its table (what ``sim run --runs``, ``sim compare`` and ``sim sweep`` print),
draws its figures and writes its files. The runs are executed by :mod:`sim.execution` (in this
process, a process pool or on Dask; cached and resumable) and summarised by :mod:`sim.statistics`
(95% t intervals, differences paired by seed); the names of both are importable from here too, as
they were before they moved.

Example:
    >>> from sim import load_scenario
    >>> scenario = load_scenario("scenarios/baseline.toml", {"market.size": 300, "run.weeks": 4})
    >>> reps = replicate(scenario, runs=2, jobs=1)
    >>> sorted(reps.summary["ci95"]["us"])[:2]
    ['acquired', 'acquisition_spend']
    >>> reps.table().splitlines()[0]
    "Scenario 'baseline', means of 2 runs (seeds 1-2) [95% CI], 4 weeks"
"""

from __future__ import annotations

import itertools
import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import pandas as pd

from sim import formatting
from sim.design import is_int_key
from sim.execution import (
    RunCache,
    RunResult,
    RunSpec,
    config_hash,
    execute,
    seeds_for,
)
from sim.formatting import aligned, interval
from sim.manifest import Invocation, write_manifest
from sim.moved import moved_names
from sim.phase_changes import aligned_events, format_phases, phase_frame_rows, phase_statistics
from sim.scenario import Scenario, ScenarioError
from sim.statistics import (
    compare_metrics,
    pairing_effect,
    scalar_metrics,
    summarise_runs,
)
from sim.workflow import WorkflowResult

if TYPE_CHECKING:
    from matplotlib.figure import Figure


# Names that moved to another module when the house was rebuilt (issue 17): still importable from
# here, with a DeprecationWarning naming their new home.
_MOVED = {
    "PERSON_WEEK_SECONDS": "sim.execution",
    "PROCESS_EFFICIENCY": "sim.execution",
    "RUN_SECONDS": "sim.execution",
    "WEEK_SECONDS": "sim.execution",
    "WORKER_START_SECONDS": "sim.execution",
    "available_cores": "sim.execution",
    "default_jobs": "sim.execution",
    "estimated_seconds": "sim.execution",
    "shared_pool": "sim.execution",
    "CENSORED_METRICS": "sim.statistics",
    "HEADLINE_METRICS": "sim.statistics",
    "LOWER_IS_BETTER": "sim.statistics",
    "lower_is_better": "sim.statistics",
    "mean_ci": "sim.statistics",
    "paired_difference": "sim.statistics",
    "rank_arms": "sim.statistics",
}


__getattr__ = moved_names(__name__, _MOVED)


# The workflows of this module, and the names of sim.execution and sim.statistics it uses (still importable from here).
__all__ = [
    "COMPARED",
    "Comparison",
    "Replicates",
    "RunCache",
    "RunResult",
    "RunSpec",
    "SweepResult",
    "arms_of",
    "compare",
    "compare_metrics",
    "config_hash",
    "execute",
    "format_comparison",
    "format_rankings",
    "pairing_effect",
    "replicate",
    "replicate_figures",
    "scalar_metrics",
    "seeds_for",
    "summarise_runs",
    "sweep",
    "sweep_figures",
    "sweep_points",
    "write_comparison",
    "write_replicates",
    "write_sweep",
]


# --------------------------------------------------------------------------- replicate


@dataclass
class Replicates(WorkflowResult):
    """R runs of one scenario: ``runs`` (tidy run x week x firm), ``summary`` (means, ci95).

    With an output folder the weekly tables live in ``runs_file`` and ``runs`` reads them on
    demand; without one they are held in memory. ``scenario`` is the scenario replicated (what
    :meth:`write` records as ``scenario.resolved.toml``).

    Example:
        >>> import tempfile
        >>> from sim import load_scenario
        >>> reps = replicate(load_scenario("scenarios/baseline.toml", {"market.size": 200, "run.weeks": 3}),
        ...                  runs=2, jobs=1)
        >>> folder = reps.write(tempfile.mkdtemp(), figures=False)
        >>> sorted(p.name for p in folder.iterdir())
        ['manifest.json', 'runs.parquet', 'scenario.resolved.toml', 'summary.json']
    """

    summary: dict[str, Any]
    results: list[RunResult]
    runs_file: Path | None = None
    _runs: pd.DataFrame | None = None
    invocation: Invocation | None = None  # the call and its start, for the manifest
    scenario: Scenario | None = None

    @property
    def runs(self) -> pd.DataFrame:
        if self._runs is None:
            self._runs = pd.read_parquet(self.runs_file)
        return self._runs

    def customer_counts(self) -> pd.DataFrame:
        """Only run, week, firm and customers: what the band figure needs."""
        if self._runs is None and self.runs_file is not None:
            return pd.read_parquet(self.runs_file, columns=["run", "week", "firm", "customers"])
        return self.runs[["run", "week", "firm", "customers"]]

    def table(self) -> str:
        """The per-firm means with their 95% intervals (what ``sim run --runs`` prints)."""
        text = formatting.format_summary(self.summary, ci95=self.summary["ci95"])
        phases = format_phases(self.summary) if self.summary.get("phases") else []
        return "\n".join([text, "", *phases]) if phases else text

    def figures(self) -> dict[str, Figure]:
        """The band of customers over time and the churn reasons (:func:`replicate_figures`)."""
        return replicate_figures(self, self.scenario)

    def write(
        self, out: str | os.PathLike[str], figures: bool = True, invocation: Invocation | None = None
    ) -> Path:
        """``runs.parquet``, ``summary.json``, the resolved scenario, figures and ``manifest.json``
        (:func:`write_replicates`); returns the folder."""
        folder = Path(out)
        write_replicates(self, self.scenario, folder, figures=figures, invocation=invocation)
        return folder


def replicate(scenario: Scenario, runs: int = 10, seed: int | None = None, **execution: Any) -> Replicates:
    """Run ``scenario`` on seeds seed, seed+1, ... and summarise with 95% CIs.

    Args:
        scenario: a validated scenario.
        runs: number of replicates.
        seed: first seed (default ``scenario.run.seed``).
        **execution: ``out``, ``jobs``, ``cluster``, ``progress`` as in :func:`execute`.

    Example:
        >>> from sim import load_scenario
        >>> reps = replicate(load_scenario("scenarios/baseline.toml", {"market.size": 200, "run.weeks": 3}),
        ...                  runs=2, jobs=1)
        >>> reps.summary["seeds"], len(reps.runs)
        ([1, 2], 16)
    """
    invocation = Invocation.api("sim.replicate", runs=runs, seed=seed, **execution)
    base = scenario.without_experiments()
    specs = [RunSpec("run", base, s) for s in seeds_for(scenario, runs, seed)]
    results = execute(specs, **execution)
    summary = summarise_runs(results)
    summary["hash"] = config_hash(base)
    summary.update(_phases_of([r.summary for r in results]))
    out = execution.get("out")
    if out is not None:
        runs_file = Path(out) / "runs.parquet"
        RunCache(Path(out)).stream_timeseries(specs, runs_file)
        return Replicates(summary, results, runs_file=runs_file, invocation=invocation, scenario=scenario)
    table = pd.concat([r.timeseries.assign(run=r.spec.seed) for r in results], ignore_index=True)
    table = table[["run", *[c for c in table.columns if c != "run"]]]
    return Replicates(summary, results, _runs=table, invocation=invocation, scenario=scenario)


# --------------------------------------------------------------------------- compare


class _TableOrFrame:
    """``Comparison.table``: called, the printed table (:meth:`Comparison.table`); used as the
    arm x metric DataFrame it was before (``cmp.table.to_csv(...)``, ``cmp.table["metric"]``), the
    frame (:attr:`Comparison.table_frame`) with a DeprecationWarning."""

    def __init__(self, result: Comparison) -> None:
        self._result = result

    def __call__(self) -> str:
        return format_comparison(self._result.comparison)

    def _frame(self) -> pd.DataFrame:
        warnings.warn(
            "Comparison.table is the printed table now (call it: cmp.table()); the arm x metric "
            "DataFrame is cmp.table_frame",
            DeprecationWarning,
            stacklevel=3,
        )
        return self._result.table_frame

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):  # private and display hooks: not the frame's (repr shows it)
            raise AttributeError(name)
        return getattr(self._frame(), name)

    def __getitem__(self, key: Any) -> Any:
        return self._frame()[key]

    def __len__(self) -> int:
        return len(self._frame())

    def __iter__(self) -> Any:
        return iter(self._frame())

    def __repr__(self) -> str:
        return repr(self._result.table_frame)


@dataclass
class Comparison(WorkflowResult):
    """Arms on the same seeds: ``table_frame`` (arm x metric), ``comparison`` (the JSON dict).

    ``table()`` is the text ``sim compare`` prints; ``table`` used as a DataFrame (its meaning
    before the workflows shared one shape) still gives ``table_frame``, with a DeprecationWarning.

    Example:
        >>> import tempfile
        >>> from sim import load_scenario
        >>> cmp = compare(load_scenario("scenarios/conquest_vs_relations.toml",
        ...     {"market.size": 200, "run.weeks": 3}), runs=2, jobs=1)
        >>> sorted(p.name for p in cmp.write(tempfile.mkdtemp()).iterdir())
        ['comparison.csv', 'comparison.json', 'manifest.json', 'scenario.resolved.toml']
        >>> sorted(cmp.table_frame["arm"].unique())
        ['conquest', 'relations']
    """

    table_frame: pd.DataFrame
    comparison: dict[str, Any]
    results: list[RunResult]
    invocation: Invocation | None = None  # the call and its start, for the manifest
    scenario: Scenario | None = None

    @property
    def table(self) -> _TableOrFrame:  # type: ignore[override]  # callable: see _TableOrFrame
        """The arms side by side, each arm's paired difference from the first and the verdict (what
        ``sim compare`` prints: :func:`format_comparison`); call it: ``cmp.table()``."""
        return _TableOrFrame(self)

    def write(
        self, out: str | os.PathLike[str], figures: bool = True, invocation: Invocation | None = None
    ) -> Path:
        """``comparison.json``, ``comparison.csv``, the resolved scenario and ``manifest.json``
        (:func:`write_comparison`; a comparison has no figures); returns the folder."""
        folder = Path(out)
        write_comparison(self, self.scenario, folder, invocation=invocation)
        return folder


def arms_of(scenario: Scenario) -> dict[str, Scenario]:
    base = scenario.without_experiments()
    if not scenario.arms:
        raise ScenarioError(
            f"{scenario.source or scenario.name}: no [arms.<label>] tables to compare; add at least two, "
            'e.g. [arms.conquest] "firms.us.strategy" = "conquest"'
        )
    return {label: base.with_overrides(overrides) for label, overrides in scenario.arms.items()}


def compare(
    scenario: Scenario, runs: int = 20, firm: str | None = None, seed: int | None = None, **execution: Any
) -> Comparison:
    """Run every arm of ``scenario`` on the same seeds and compare them with the first arm.

    Args:
        scenario: a scenario with ``[arms.<label>]`` tables.
        runs: replicates per arm (the same seeds for every arm).
        firm: the firm whose metrics are compared (default: the first firm).
        seed: first seed (default ``scenario.run.seed``).
        **execution: ``out``, ``jobs``, ``cluster``, ``progress`` as in :func:`execute`.

    Example:
        >>> from sim import load_scenario
        >>> cmp = compare(load_scenario("scenarios/conquest_vs_relations.toml",
        ...     {"market.size": 200, "run.weeks": 4}), runs=2, jobs=1)
        >>> cmp.comparison["baseline_arm"], list(cmp.comparison["differences"])
        ('conquest', ['relations'])
        >>> cmp.table().splitlines()[0]
        "Scenario 'conquest_vs_relations': firm 'us', 2 arms on the same 2 seeds (1-2); mean [95% CI]"
    """
    invocation = Invocation.api("sim.compare", runs=runs, firm=firm, seed=seed, **execution)
    arms = arms_of(scenario)
    firm = firm or scenario.firm_names[0]
    if firm not in scenario.firms:
        raise ScenarioError(f"--firm {firm!r}: no such firm; firms: {', '.join(scenario.firms)}")
    seeds = seeds_for(scenario, runs, seed)
    specs = [RunSpec(label, arm, s) for label, arm in arms.items() for s in seeds]
    results = execute(specs, keep_timeseries=False, **execution)
    by_arm = {label: [r for r in results if r.spec.label == label] for label in arms}
    metrics = {label: [scalar_metrics(r.summary["firms"][firm]) for r in rs] for label, rs in by_arm.items()}
    compared = compare_metrics(metrics)
    first = compared["baseline_arm"]
    rows = []
    for label in arms:
        for name, stats in compared["arms"][label].items():
            row = {"arm": label, "metric": name, "mean": stats["mean"], "ci95_low": None, "ci95_high": None}
            if stats["ci95"]:
                row["ci95_low"], row["ci95_high"] = stats["ci95"]
            if label != first:
                diff = compared["differences"][label][name]
                row.update({f"diff_{k}": v for k, v in diff.items() if k != "ci95"})
                row["diff_ci95_low"], row["diff_ci95_high"] = diff["ci95"] or (None, None)
            rows.append(row)
    comparison = {
        "scenario": scenario.name,
        "firm": firm,
        "runs": runs,
        "seeds": seeds,
        "baseline_arm": first,
        "arms": compared["arms"],
        "differences": compared["differences"],
        "rankings": compared["rankings"],
        "hashes": {label: config_hash(arm) for label, arm in arms.items()},
        # Per arm: its events and each firm before and after each (sim.phase_changes).
        "phases": {label: _phases_of([r.summary for r in rs]) for label, rs in by_arm.items()},
    }
    return Comparison(pd.DataFrame(rows), comparison, results, invocation, scenario)


# Metrics shown by `sim compare`, with their formatter.
COMPARED: list[tuple[str, str, Callable[[float], str]]] = [
    ("profit", "profit (margin - spend)", lambda v: f"{v:,.0f}"),
    ("customer_equity", "customer equity at end", lambda v: f"{v:,.0f}"),
    ("total_value", "discounted profit + equity", lambda v: f"{v:,.0f}"),
    ("customers_end", "customers at end", lambda v: f"{v:,.0f}"),
    ("acquired", "customers won", lambda v: f"{v:,.0f}"),
    ("cac", "CAC, acquisition-only", lambda v: f"{v:,.2f}"),
    ("cac_fully_loaded", "CAC, fully loaded", lambda v: f"{v:,.2f}"),
    ("retention_yearly", "retention per year", lambda v: f"{100 * v:.1f}%"),
    ("churned", "churned", lambda v: f"{v:,.0f}"),
    ("ltv_net", "LTV net of retention cost", lambda v: f"{v:,.2f}"),
    ("ltv_net_cac_fully_loaded", "LTV net / CAC fully loaded", lambda v: f"{v:,.2f}"),
    ("market_share_end", "market share", lambda v: f"{100 * v:.1f}%"),
]
_COMPARED_FORMAT = {metric: fmt for metric, _, fmt in COMPARED}
_COMPARED_LABEL = {metric: label for metric, label, _ in COMPARED}


def format_comparison(comparison: dict[str, Any]) -> str:
    """Arms side by side (mean [95% CI]), then each arm's paired difference from the first."""
    arms = list(comparison["arms"])
    base = comparison["baseline_arm"]
    header = ["metric", *arms]
    body = [
        [
            label,
            *(
                interval(fmt, comparison["arms"][a][m]["mean"], comparison["arms"][a][m]["ci95"])
                for a in arms
            ),
        ]
        for m, label, fmt in COMPARED
    ]
    lines = [
        f"Scenario {comparison['scenario']!r}: firm {comparison['firm']!r}, {len(arms)} arms on the same "
        f"{comparison['runs']} seeds ({comparison['seeds'][0]}-{comparison['seeds'][-1]}); mean [95% CI]",
        *aligned(header, body),
    ]
    for arm in arms[1:]:
        rows = []
        for m, label, fmt in COMPARED:
            d = comparison["differences"][arm][m]
            if d["mean"] is None:
                rows.append([label, "n/a", "n/a", "n/a"])
                continue
            ci = formatting.signed_interval(fmt, d["mean"], d["ci95"])
            narrowing = pairing_effect(d["se_unpaired"], d["se_paired"])
            rows.append([label, ci, f"{100 * d['prob_better']:.0f}%", narrowing])
        lines += [
            "",
            f"{arm} minus {base}, paired by seed: difference [95% CI], P({arm} better), "
            "standard error unpaired / paired",
            *aligned(["metric", "difference", f"P({arm} better)", "pairing"], rows),
        ]
    lines += ["", *format_rankings(comparison)]
    for arm, phases in comparison.get("phases", {}).items():
        shown = format_phases(
            phases, title=f"{arm}, firm {comparison['firm']!r}: ", firms=[comparison["firm"]]
        )
        lines += ["", *shown] if shown else []
    return "\n".join(lines)


def _phases_of(summaries: list[dict[str, Any]]) -> dict[str, Any]:
    """The runs' events aligned by name, their phases with 95% CIs and the paired change across
    each event (:mod:`sim.phase_changes`); empty lists when no event struck."""
    stats = phase_statistics(summaries)
    return {
        "runs": stats["runs"], "events": aligned_events(summaries), "phases": stats["phases"],
        "changes": stats["changes"],
    }  # fmt: skip


def format_rankings(comparison: dict[str, Any]) -> list[str]:
    """The verdict: arms ranked on profit and on customer equity, each with the best arm's paired
    difference from every other and whether its 95% CI clears zero (or the verdict is noise)."""
    lines = []
    for metric, ranking in comparison.get("rankings", {}).items():
        fmt = _COMPARED_FORMAT.get(metric, lambda v: f"{v:,.2f}")
        order = ranking["order"]
        if not order:
            lines.append(f"Ranked on {_COMPARED_LABEL.get(metric, metric)}: not defined for any arm.")
            continue
        means = ", ".join(f"{arm} {fmt(ranking['means'][arm])}" for arm in order)
        lines.append(
            f"Ranked on {_COMPARED_LABEL.get(metric, metric)} (mean of {comparison['runs']} runs): {means}"
        )
        best = order[0]
        for arm, diff in ranking["versus"].items():
            if diff["ci95"] is None:
                lines.append(f"  {best} - {arm}: {fmt(diff['mean'])}; too few runs for an interval")
                continue
            low, high = diff["ci95"]
            verdict = "clear of zero" if diff["clear"] else "includes zero: within the noise of these runs"
            lines.append(
                f"  {best} - {arm}: {fmt(diff['mean'])} [{fmt(low)}, {fmt(high)}], paired 95% CI {verdict}"
            )
    return lines


# --------------------------------------------------------------------------- sweep


def sweep_points(scenario: Scenario) -> list[dict[str, Any]]:
    """The design points of ``[sweep]``: a full grid, or a seeded Latin hypercube."""
    if scenario.sweep is None:
        raise ScenarioError(f"{scenario.source or scenario.name}: no [sweep] table; see docs/scenario.md")
    design = scenario.sweep
    keys = list(design.uncertainties)
    if design.method == "grid":
        return [
            dict(zip(keys, combo, strict=True)) for combo in itertools.product(*design.uncertainties.values())
        ]
    from scipy.stats import qmc

    sampler = qmc.LatinHypercube(d=len(keys), seed=scenario.run.seed)
    unit = sampler.random(design.samples)
    points = []
    for row in unit:
        point = {}
        for key, u in zip(keys, row, strict=True):
            bounds = design.uncertainties[key]
            value = bounds.low + u * (bounds.high - bounds.low)
            integral = (
                float(bounds.low).is_integer()
                and float(bounds.high).is_integer()
                and is_int_key(scenario, key)
            )
            point[key] = round(value) if integral else float(value)
        points.append(point)
    return points


class SweepResult(pd.DataFrame, WorkflowResult):
    """What :func:`sweep` returns: the sweep's table itself (one row per point x replicate x firm),
    which also prints its means, draws its figures and writes its files.

    A DataFrame subclass, so that everything that read :func:`sweep`'s DataFrame before still
    does; a frame derived from it (a selection, a copy, a group-by) is a plain DataFrame.
    ``scenario`` is the scenario swept and ``focal_firm`` the firm the table and figures show; the
    call that made it is in ``attrs["invocation"]``, as before.

    Example:
        >>> import tempfile
        >>> from sim import load_scenario
        >>> table = sweep(load_scenario("scenarios/what_if.toml", {"market.size": 200, "run.weeks": 3}),
        ...               runs=1, jobs=1, firm="rival")
        >>> isinstance(table, pd.DataFrame), table.focal_firm, sorted(table["firm"].unique())
        (True, 'rival', ['rival', 'us'])
        >>> sorted(p.name for p in table.write(tempfile.mkdtemp(), figures=False).iterdir())
        ['manifest.json', 'scenario.resolved.toml', 'sweep.parquet']
    """

    _metadata: ClassVar[list[str]] = ["scenario", "focal_firm"]  # what pandas keeps on it

    @property
    def _constructor(self) -> type[pd.DataFrame]:
        return pd.DataFrame

    @property
    def table_frame(self) -> pd.DataFrame:
        """The table as a plain DataFrame."""
        return pd.DataFrame(self)

    def table(self) -> str:
        """Per swept point, the focal firm's mean customers at the end, profit and LTV over the
        replicates (what ``sim sweep`` prints)."""
        keys = list(self.scenario.sweep.uncertainties)
        points = self["point"].nunique()
        means = self[self["firm"] == self.focal_firm].groupby(keys)[["customers_end", "profit", "ltv"]].mean()
        return "\n".join(
            [
                f"Sweep of {', '.join(keys)} for {self.focal_firm!r}: {points} points x "
                f"{self['run'].nunique()} runs (means)",
                means.to_string(float_format=lambda v: f"{v:,.2f}"),
            ]
        )

    def figures(self) -> dict[str, Figure]:
        """The focal firm's outcomes against each swept key (:func:`sweep_figures`)."""
        return sweep_figures(self, self.scenario, self.focal_firm)

    def write(
        self, out: str | os.PathLike[str], figures: bool = True, invocation: Invocation | None = None
    ) -> Path:
        """``sweep.parquet``, the resolved scenario, figures and ``manifest.json`` (:func:`write_sweep`);
        returns the folder."""
        folder = Path(out)
        write_sweep(self, self.scenario, folder, self.focal_firm, figures=figures, invocation=invocation)
        return folder


def sweep(
    scenario: Scenario,
    runs: int | None = None,
    seed: int | None = None,
    firm: str | None = None,
    **execution: Any,
) -> SweepResult:
    """Run every point of ``[sweep]`` for ``runs`` replicates (default ``sweep.runs``).

    Args:
        scenario: a scenario with a ``[sweep]`` table.
        runs: replicates per point (default ``sweep.runs``).
        seed: first seed (default ``scenario.run.seed``).
        firm: the firm the result's table and figures show (default: the first firm).
        **execution: ``out``, ``jobs``, ``cluster``, ``progress`` as in :func:`execute`.

    Returns:
        One row per point x replicate x firm: ``point``, ``run`` (the seed), ``firm``, the swept
        keys and every summary metric (nested tables flattened as ``table.key``); the call and
        its start, for the manifest, in ``attrs["invocation"]``. A :class:`SweepResult`: a
        DataFrame that also has ``table()``, ``figures()`` and ``write()``.

    Example:
        >>> from sim import load_scenario
        >>> table = sweep(load_scenario("scenarios/what_if.toml", {"market.size": 200, "run.weeks": 3}),
        ...               runs=1, jobs=1)
        >>> len(table), table.table().splitlines()[0]
        (18, "Sweep of firms.us.budget, behaviours.adoption.word_of_mouth for 'us': 9 points x 1 runs (means)")
    """
    invocation = Invocation.api(
        "sim.sweep", runs=runs, seed=seed, **({"firm": firm} if firm else {}), **execution
    )
    firm = firm or scenario.firm_names[0]
    if firm not in scenario.firms:
        raise ScenarioError(f"--firm {firm!r}: no such firm; firms: {', '.join(scenario.firms)}")
    points = sweep_points(scenario)
    base = scenario.without_experiments()
    runs = runs or scenario.sweep.runs
    seeds = seeds_for(scenario, runs, seed)
    scenarios = []
    for point in points:
        try:
            scenarios.append(base.with_overrides(point))
        except ScenarioError as error:  # e.g. a Latin-hypercube value rounded to an invalid one
            raise ScenarioError(f"[sweep] point {point}: {error}") from None
    specs = [
        RunSpec(f"point-{i}", point_scenario, s, tuple(point.items()))
        for i, (point, point_scenario) in enumerate(zip(points, scenarios, strict=True))
        for s in seeds
    ]
    results = execute(specs, keep_timeseries=False, **execution)
    rows = []
    for result in results:
        point_index = int(result.spec.label.split("-")[1])
        for firm_name, firm_summary in result.summary["firms"].items():
            rows.append(
                {
                    "point": point_index,
                    "run": result.spec.seed,
                    "firm": firm_name,
                    **dict(result.spec.point),
                    **scalar_metrics(firm_summary),
                }
            )
    table = SweepResult(rows)
    table.scenario, table.focal_firm = scenario, firm
    return invocation.kept_on(table)


# --------------------------------------------------------------------------- writing outputs


def _provenance(scenario: Scenario, hashes: dict[str, str] | str) -> dict[str, Any]:
    from sim import __version__

    return {"version": __version__, "hash": hashes, "source": scenario.source}


def replicate_figures(reps: Replicates, scenario: Scenario) -> dict[str, Figure]:
    """The figures of ``sim run --runs``, by file name (without ``.png``)."""
    from sim.plots import churn_by_reason_figure, customers_figure

    return {
        "customers": customers_figure(reps.customer_counts(), scenario.name, reps.summary.get("events")),
        "churn_by_reason": churn_by_reason_figure(reps.summary),
    }


def write_replicates(
    reps: Replicates,
    scenario: Scenario,
    out: Path,
    figures: bool = True,
    invocation: Invocation | None = None,
) -> None:
    """``runs.parquet``, ``summary.json`` (means, ci95, provenance), the resolved scenario, figures
    and ``manifest.json`` (``invocation``, e.g. the command line, replaces the result's own)."""
    from sim.files import atomic_write, write_json
    from sim.results import save_figure

    out.mkdir(parents=True, exist_ok=True)
    if reps.runs_file is None or reps.runs_file.resolve() != (out / "runs.parquet").resolve():
        atomic_write(out / "runs.parquet", lambda p: reps.runs.to_parquet(p, index=False))
    write_json(out / "summary.json", {**reps.summary, **_provenance(scenario, reps.summary["hash"])})
    if reps.summary.get("phases"):
        phases = pd.DataFrame(phase_frame_rows(reps.summary))
        atomic_write(out / "phases.csv", lambda p: phases.to_csv(p, index=False))
    atomic_write(out / "scenario.resolved.toml", lambda p: p.write_text(scenario.to_toml()))
    if figures:
        for name, figure in replicate_figures(reps, scenario).items():
            save_figure(out / "figures" / f"{name}.png", figure)
    write_manifest(out, scenario, reps.summary["seeds"], invocation or reps.invocation)


def write_comparison(
    result: Comparison, scenario: Scenario, out: Path, invocation: Invocation | None = None
) -> None:
    """``comparison.json``, ``comparison.csv`` (arm x metric), the resolved scenario and
    ``manifest.json`` (``invocation``, e.g. the command line, replaces the result's own)."""
    from sim.files import atomic_write, write_json

    out.mkdir(parents=True, exist_ok=True)
    write_json(
        out / "comparison.json", {**result.comparison, **_provenance(scenario, result.comparison["hashes"])}
    )
    atomic_write(out / "comparison.csv", lambda p: result.table_frame.to_csv(p, index=False))
    phase_rows = [
        row
        for arm, stats in result.comparison.get("phases", {}).items()
        for row in phase_frame_rows(stats, arm)
    ]
    if phase_rows:
        phases = pd.DataFrame(phase_rows)
        atomic_write(out / "phases.csv", lambda p: phases.to_csv(p, index=False))
    atomic_write(out / "scenario.resolved.toml", lambda p: p.write_text(scenario.to_toml()))
    seeds, arms = result.comparison["seeds"], result.comparison["hashes"]
    write_manifest(out, scenario, seeds, invocation or result.invocation, arms=arms)


def sweep_figures(table: pd.DataFrame, scenario: Scenario, firm: str) -> dict[str, Figure]:
    """The figures of ``sim sweep``, by file name (without ``.png``): :func:`sim.plots.sweep_figures`."""
    from sim.plots import sweep_figures as draw

    return draw(table, firm, list(scenario.sweep.uncertainties), grid=scenario.sweep.method == "grid")


def write_sweep(
    table: pd.DataFrame,
    scenario: Scenario,
    out: Path,
    firm: str,
    figures: bool = True,
    invocation: Invocation | None = None,
) -> None:
    """``sweep.parquet``, the resolved scenario, the figures of :func:`sweep_figures` and
    ``manifest.json`` (``invocation``, e.g. the command line, replaces the one :func:`sweep` kept
    on the table)."""
    from sim.files import atomic_write
    from sim.results import save_figure

    out.mkdir(parents=True, exist_ok=True)
    atomic_write(out / "sweep.parquet", lambda p: table.to_parquet(p, index=False))
    atomic_write(out / "scenario.resolved.toml", lambda p: p.write_text(scenario.to_toml()))
    if figures:
        for name, figure in sweep_figures(table, scenario, firm).items():
            save_figure(out / "figures" / f"{name}.png", figure)
    write_manifest(out, scenario, sorted(table["run"].unique()), invocation or Invocation.kept(table))
