"""Experiments: replications, paired comparisons of arms and sweeps, run locally or on Dask.

Owns sets of runs. Every run is a (scenario, seed) pair; its results land in a folder named by a
hash of the resolved scenario (seed excluded) and the seed, written under a temporary name and
renamed when complete, so an interrupted experiment loses nothing that had finished and a rerun
computes only what is missing. Runs execute in this process (``jobs=1``), in a pool of spawned
processes (safe in Jupyter: no fork), or on a Dask cluster, through the same code path: a run's
numbers depend only on its scenario and seed, never on where it ran.

Statistics: a 95% confidence interval is the t interval of the mean over runs. A paired
difference between two arms is computed per seed (common random numbers: the same seed gives both
arms the same luck), and the report compares its standard error with the unpaired one.

Example:
    >>> from sim import load_scenario
    >>> scenario = load_scenario("scenarios/baseline.toml", {"market.size": 300, "run.weeks": 4})
    >>> reps = replicate(scenario, runs=2, jobs=1)
    >>> sorted(reps.summary["ci95"]["us"])[:2]
    ['acquired', 'acquisition_spend']
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import math
import multiprocessing
import os
import shutil
import sys
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import stats

from sim import lifeline
from sim.manifest import Invocation, scenario_hash, write_manifest
from sim.scenario import Scenario, ScenarioError

if TYPE_CHECKING:
    from matplotlib.figure import Figure

# Metrics where a lower value is better (for "probability the arm is better"); a nested table's
# entries (``churned_by_reason.unappreciated``) follow their table.
LOWER_IS_BETTER = {
    "cac", "cac_paid", "cac_fully_loaded", "churned", "spend", "acquisition_spend", "retention_spend",
    "cost_to_retain", "payback_weeks", "payback_weeks_fully_loaded", "complaints", "complaint_rate",
    "cac_by_channel", "churned_by_reason", "spend_by_lever", "product_churned",
    "product_churned_by_reason", "spend_decreased", "spend_decreased_by_reason", "churn_by_category",
    "dormant_end", "became_dormant", "tier_downgrades", "referred_churn_hazard", "other_churn_hazard",
}  # fmt: skip
# What a strategy is ranked on: the money it makes over the run and the value of the customers it
# leaves (ratios are supporting evidence, never the headline).
HEADLINE_METRICS = ("profit", "customer_equity")


def lower_is_better(metric: str) -> bool:
    """Whether a smaller value of ``metric`` (``name`` or ``table.key``) is the better one."""
    return metric.split(".")[0] in LOWER_IS_BETTER


# --------------------------------------------------------------------------- one run


@dataclass(frozen=True)
class RunSpec:
    """One run of an experiment: which arm or sweep point, the scenario and the seed."""

    label: str
    scenario: Scenario
    seed: int
    point: tuple[tuple[str, Any], ...] = ()  # swept key -> value, for sweeps
    # Runs the simulation instead of sim.simulate: a picklable callable (scenario, seed) ->
    # (summary, timeseries) with a repr that names it and its settings (it is part of the cache
    # folder's name), e.g. sim.calibration.TargetRunner, which adds its measurements to the summary.
    runner: Callable[[Scenario, int], tuple[dict[str, Any], pd.DataFrame]] | None = None

    @property
    def key(self) -> str:
        if self.runner is None:
            return config_hash(self.scenario)
        return f"{config_hash(self.scenario)}-{hashlib.sha256(repr(self.runner).encode()).hexdigest()[:8]}"


@dataclass
class RunResult:
    spec: RunSpec
    summary: dict[str, Any]
    timeseries: pd.DataFrame | None  # None once written to the cache, to keep memory bounded


def config_hash(scenario: Scenario) -> str:
    """A short hash of the resolved scenario without its seed: the cache folder of its runs (and
    the hash every manifest records: :func:`sim.manifest.scenario_hash`)."""
    return scenario_hash(scenario)


def _simulate(
    scenario_data: dict[str, Any], seed: int, runner: Callable[..., Any] | None = None
) -> tuple[dict[str, Any], pd.DataFrame]:
    """Worker entry point (top level, so spawned processes and Dask workers can import it)."""
    from sim.simulation import simulate

    scenario = Scenario.model_validate(scenario_data)
    if runner is not None:
        return runner(scenario, seed)
    result = simulate(scenario, seed=seed)
    return result.summary, result.timeseries


class RunCache:
    """Finished runs on disk: ``<root>/runs/<hash>/seed-<n>/{summary.json,timeseries.parquet}``."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root) / "runs"

    def folder(self, spec: RunSpec) -> Path:
        return self.root / spec.key / f"seed-{spec.seed}"

    def load(self, spec: RunSpec, timeseries: bool = True) -> RunResult | None:
        folder = self.folder(spec)
        if not (folder / "summary.json").exists():
            return None
        summary = json.loads((folder / "summary.json").read_text())
        series = pd.read_parquet(folder / "timeseries.parquet") if timeseries else None
        return RunResult(spec, summary, series)

    def stream_timeseries(self, specs: list[RunSpec], path: Path, column: str = "run") -> None:
        """Write the finished runs' weekly tables into one parquet file, one run in memory at a
        time, in the order of ``specs``, with the seed as ``column``; atomically."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        from sim.results import atomic_write

        def write(target: Path) -> None:
            writer = None
            try:
                for spec in specs:
                    series = pd.read_parquet(self.folder(spec) / "timeseries.parquet")
                    series.insert(0, column, spec.seed)
                    table = pa.Table.from_pandas(series, preserve_index=False)
                    writer = writer or pq.ParquetWriter(target, table.schema)
                    writer.write_table(table)
            finally:
                if writer is not None:
                    writer.close()

        atomic_write(path, write)

    def store(self, result: RunResult) -> None:
        """Write a finished run: into a staging folder, then one rename (all or nothing)."""
        from sim import __version__

        folder = self.folder(result.spec)
        folder.parent.mkdir(parents=True, exist_ok=True)
        resolved = folder.parent / "scenario.resolved.toml"
        if not resolved.exists():
            staging_file = resolved.with_name(f".{resolved.name}.{os.getpid()}.tmp")
            staging_file.write_text(result.spec.scenario.without_experiments().to_toml())
            os.replace(staging_file, resolved)
        staging = folder.with_name(f".{folder.name}.{os.getpid()}.tmp")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir()
        provenance = {"hash": result.spec.key, "seed": result.spec.seed, "version": __version__}
        (staging / "summary.json").write_text(
            json.dumps({**result.summary, "provenance": provenance}, indent=1, allow_nan=False)
        )
        result.timeseries.to_parquet(staging / "timeseries.parquet", index=False)
        try:
            os.rename(staging, folder)
        except OSError:  # another process finished the same run first: theirs is identical
            shutil.rmtree(staging, ignore_errors=True)

    def clean_staging(self) -> None:
        """Remove staging folders left by a run that was killed mid-write."""
        if self.root.exists():
            for stale in self.root.glob("*/.seed-*.tmp"):
                shutil.rmtree(stale, ignore_errors=True)
            for stale in self.root.glob("*/.scenario.resolved.toml.*.tmp"):
                stale.unlink(missing_ok=True)


# --------------------------------------------------------------------------- execution


def _extra(spec: RunSpec) -> tuple[Any, ...]:
    """The arguments of :func:`_simulate` after the scenario: the seed, and a runner if any."""
    return (spec.seed,) if spec.runner is None else (spec.seed, spec.runner)


def _one_kernel_thread() -> None:
    """Worker set-up: the worker processes already fill the cores, so each one runs its
    kernels in one thread (sim.kernels would otherwise start a thread per core in each)."""
    from sim import kernels

    kernels.set_threads(1)


def _start_worker(parent: int) -> None:
    """Pool worker set-up: end this worker when ``parent`` dies (:mod:`sim.lifeline`), and run
    the kernels in one thread."""
    lifeline.watch_parent(parent)
    _one_kernel_thread()


def _simulate_in_worker(
    scenario_data: dict[str, Any], seed: int, runner: Callable[..., Any] | None = None
) -> tuple[dict[str, Any], pd.DataFrame]:
    """:func:`_simulate` on a Dask worker, with the kernels in one thread (as in the pool)."""
    _one_kernel_thread()
    return _simulate(scenario_data, seed, runner)


def _local_pool(jobs: int) -> ProcessPoolExecutor:
    # Spawned, not forked: forking a process that holds threads (Jupyter, BLAS) can hang.
    return ProcessPoolExecutor(
        max_workers=jobs,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_start_worker,
        initargs=(os.getpid(),),
    )


# --------------------------------------------------------------------------- how many processes

# What ``jobs=None`` weighs (see :func:`default_jobs`), measured on the project's 2-core machine,
# quiet, by benchmarks/jobs.py (figures and the busy machine's in benchmarks/README.md). What a pool
# of workers adds to a command: spawning them, importing NumPy, pandas, SciPy and sim in each,
# loading the compiled kernels from numba's cache, handing runs over and back, closing the pool.
WORKER_START_SECONDS = 4.4
# One run's cost in a warm process: a fixed part (network, population, summary), a part per week
# (the Python and NumPy calls around the kernels) and a part per person and week
# (conquest_vs_relations.toml: two firms, every behaviour on).
RUN_SECONDS = 0.01
WEEK_SECONDS = 0.0009
PERSON_WEEK_SECONDS = 0.29e-6
# How much of a core each worker is worth once started: two started workers ran the same runs
# 1.8-2.0 times as fast as this process (the parent collects and stores the results).
PROCESS_EFFICIENCY = 0.9


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity where the system reports one)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


def estimated_seconds(specs: Iterable[RunSpec]) -> float:
    """The seconds ``specs`` take in one warm process: per run :data:`RUN_SECONDS`, plus per week
    :data:`WEEK_SECONDS` and :data:`PERSON_WEEK_SECONDS` x people (``market.size``).

    Example:
        >>> from sim import load_scenario
        >>> s = load_scenario("scenarios/baseline.toml", {"market.size": 3000, "run.weeks": 260})
        >>> round(estimated_seconds([RunSpec("run", s, seed) for seed in range(16)]), 1)
        7.5
    """
    return sum(
        RUN_SECONDS + s.scenario.run.weeks * (WEEK_SECONDS + PERSON_WEEK_SECONDS * s.scenario.market.size)
        for s in specs
    )


def default_jobs(specs: Iterable[RunSpec], cores: int | None = None) -> int:
    """The processes ``jobs=None`` runs ``specs`` on: 1 (this process, no workers) unless worker
    processes would save more time than their start-up costs, else every core.

    The rule: with work W (:func:`estimated_seconds`), C cores and start-up S
    (:data:`WORKER_START_SECONDS`), C workers take about S + W / (C x E) (E:
    :data:`PROCESS_EFFICIENCY`) against W here, so they are used when ``W (1 - 1 / (C E)) > S``.
    With perfect workers on two cores that is "the work per process exceeds the start-up"
    (W / 2 > S). The estimate counts runs, weeks and people x weeks; what a run does per
    person-week (network degree, strategies, behaviours) moves it (the shipped scenarios at 3,000
    people x 156 weeks measured 0.66-1.53 times the estimate), which only matters near the
    threshold, where the two choices take about as long.

    Args:
        specs: the runs still to compute.
        cores: the cores to use when processes pay (default: :func:`available_cores`).

    Example:
        >>> from sim import load_scenario
        >>> s = load_scenario("scenarios/baseline.toml", {"market.size": 3000, "run.weeks": 260})
        >>> default_jobs([RunSpec("run", s, seed) for seed in range(16)], cores=2)  # 7.5 s of work
        1
        >>> default_jobs([RunSpec("run", s, seed) for seed in range(64)], cores=2)  # 30 s
        2
    """
    cores = available_cores() if cores is None else cores
    speedup = cores * PROCESS_EFFICIENCY
    if cores <= 1 or speedup <= 1:
        return 1
    saved = estimated_seconds(specs) * (1 - 1 / speedup)
    return cores if saved > WORKER_START_SECONDS else 1


# Pools kept open by :func:`shared_pool`, by number of processes, and those whose workers have
# started (they were given work): a later batch uses those whatever its size, the start-up is paid.
_SHARED_POOLS: dict[int, ProcessPoolExecutor] = {}
_STARTED_POOLS: set[int] = set()


@contextlib.contextmanager
def shared_pool(jobs: int | None = None) -> Iterator[None]:
    """Every :func:`execute` call in the block with this many ``jobs`` uses one process pool, so a
    search that runs many small batches (``sim optimise``) starts its processes once.

    With ``jobs=None`` the pool has a process per core, started only when a batch is large enough
    for processes to pay (:func:`default_jobs`); from then on every batch of the block uses it.

    Example:
        >>> with shared_pool(jobs=1):
        ...     pass
    """
    jobs = jobs or available_cores()
    if jobs == 1 or jobs in _SHARED_POOLS:  # in this process, or an outer block holds one
        yield
        return
    with _local_pool(jobs) as pool:  # spawned workers start at the first submit, not here
        _SHARED_POOLS[jobs] = pool
        try:
            yield
        finally:
            del _SHARED_POOLS[jobs]
            _STARTED_POOLS.discard(jobs)


def _pool_for(jobs: int) -> contextlib.AbstractContextManager[ProcessPoolExecutor]:
    """The shared pool for ``jobs`` if a :func:`shared_pool` block holds one, else a new pool."""
    if jobs in _SHARED_POOLS:
        _STARTED_POOLS.add(jobs)
        return contextlib.nullcontext(_SHARED_POOLS[jobs])
    return _local_pool(jobs)


def _run_remote(
    pending: list[tuple[int, RunSpec]], jobs: int, cluster: str | None
) -> Iterator[tuple[int, RunResult]]:
    """(index, result) of each pending run as it completes, from local processes or Dask."""
    payload = [(i, s, s.scenario.without_experiments().to_dict()) for i, s in pending]
    if cluster is None:
        with _pool_for(jobs) as pool:
            futures = {pool.submit(_simulate, data, *_extra(spec)): (i, spec) for i, spec, data in payload}
            try:
                for future in as_completed(futures):
                    summary, series = future.result()
                    index, spec = futures[future]
                    yield index, RunResult(spec, summary, series)
            except BaseException:
                for future in futures:
                    future.cancel()
                raise
        return
    from dask.distributed import Client, LocalCluster
    from dask.distributed import as_completed as dask_completed

    local = None
    if cluster == "local":
        local = LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True, dashboard_address=None)
        client = Client(local)
    else:
        client = Client(cluster)
    try:
        futures = {
            client.submit(_simulate_in_worker, data, *_extra(spec), pure=False): (i, spec)
            for i, spec, data in payload
        }
        for future in dask_completed(list(futures)):
            summary, series = future.result()
            index, spec = futures[future]
            yield index, RunResult(spec, summary, series)
            future.release()
    finally:
        client.close()
        if local is not None:
            local.close()


def execute(
    specs: list[RunSpec],
    out: str | os.PathLike[str] | None = None,
    jobs: int | None = None,
    cluster: str | None = None,
    progress: bool = False,
    on_result: Callable[[RunResult], None] | None = None,
    keep_timeseries: bool | None = None,
) -> list[RunResult]:
    """Run every spec (skipping those already finished under ``out``) and return them in order.

    Args:
        specs: the runs.
        out: folder of the run cache; None keeps results in memory only.
        jobs: processes; 1 runs in this process. Default: :func:`default_jobs` (this process
            when the runs are too small for worker processes to pay, else every core), or every
            core with a ``cluster``. The numbers do not depend on it.
        cluster: a Dask scheduler address ``tcp://host:port``, or ``"local"`` to start one.
        progress: show a progress bar with the time left (on standard error).
        on_result: called with each result as it arrives (e.g. to stream it elsewhere).
        keep_timeseries: keep each run's weekly table in memory; by default only without ``out``
            (with ``out`` the tables stay on disk, so memory does not grow with the runs).
    """
    keep = out is None if keep_timeseries is None else keep_timeseries
    cache = RunCache(Path(out)) if out is not None else None
    done: dict[int, RunResult] = {}
    pending: list[tuple[int, RunSpec]] = []
    if cache is not None:
        cache.clean_staging()
    for index, spec in enumerate(specs):
        cached = cache.load(spec, timeseries=keep) if cache is not None else None
        if cached is not None:
            done[index] = cached
        else:
            pending.append((index, spec))
    if jobs is None and cluster is not None:
        jobs = available_cores()
    elif jobs is None:
        cores = available_cores()
        jobs = cores if cores in _STARTED_POOLS else default_jobs([spec for _, spec in pending], cores)
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(specs), initial=len(done), unit="run", file=sys.stderr, dynamic_ncols=True)
        if done:
            bar.write(
                f"{len(done)} of {len(specs)} runs already finished in {cache.root}; computing {len(pending)}",
                file=sys.stderr,
            )

    def finished(index: int, result: RunResult) -> None:
        if cache is not None:
            cache.store(result)
        if on_result is not None:
            on_result(result)
        if not keep:
            result.timeseries = None
        done[index] = result
        if bar is not None:
            bar.update(1)

    try:
        if jobs == 1 and cluster is None:
            for index, spec in pending:
                summary, series = _simulate(spec.scenario.without_experiments().to_dict(), *_extra(spec))
                finished(index, RunResult(spec, summary, series))
        elif pending:
            for index, result in _run_remote(pending, jobs, cluster):
                finished(index, result)
    finally:
        if bar is not None:
            bar.close()
    return [done[i] for i in range(len(specs))]


# --------------------------------------------------------------------------- statistics


def scalar_metrics(firm_summary: dict[str, Any]) -> dict[str, float | None]:
    """Every metric of a firm's summary as a flat dict; nested tables become ``table.key``."""
    flat: dict[str, float | None] = {}
    for name, value in firm_summary.items():
        if isinstance(value, dict):
            for key, inner in value.items():
                flat[f"{name}.{key}"] = inner
        else:
            flat[name] = value
    return flat


def mean_ci(values: Iterable[float | None]) -> tuple[float | None, list[float] | None]:
    """Mean and 95% t interval of the defined values (None where fewer than two)."""
    data = np.array([v for v in values if v is not None and math.isfinite(v)], dtype=float)
    if data.size == 0:
        return None, None
    mean = float(data.mean())
    if data.size < 2:
        return mean, None
    half = float(stats.t.ppf(0.975, data.size - 1) * data.std(ddof=1) / math.sqrt(data.size))
    return mean, [mean - half, mean + half]


# Metrics that are None when something did not happen within the run (censored): a mean over only
# the runs where it happened would flatter, so their mean is None if any run missed it.
CENSORED_METRICS = ("payback_weeks", "payback_weeks_fully_loaded")


def summarise_runs(results: list[RunResult]) -> dict[str, Any]:
    """Means over runs of every metric, per firm, with a ``ci95`` block for scalar metrics and a
    ``censored`` block: per firm, how many runs did not reach each censored metric (payback within
    the run), whose mean is then None."""
    first = results[0].summary
    firms: dict[str, Any] = {}
    ci95: dict[str, Any] = {}
    censored: dict[str, Any] = {}
    for firm, template in first["firms"].items():
        firms[firm], ci95[firm], censored[firm] = {}, {}, {}
        for name, value in template.items():
            if isinstance(value, dict):
                firms[firm][name] = {
                    key: mean_ci(r.summary["firms"][firm][name][key] for r in results)[0] for key in value
                }
                continue
            values = [r.summary["firms"][firm][name] for r in results]
            missed = sum(v is None for v in values)
            if name in CENSORED_METRICS and 0 < missed < len(values):
                firms[firm][name], ci95[firm][name] = None, None
                censored[firm][name] = missed
                continue
            mean, interval = mean_ci(values)
            firms[firm][name] = mean
            ci95[firm][name] = interval
    return {
        "scenario": results[0].spec.scenario.name,
        "runs": len(results),
        "seeds": [r.spec.seed for r in results],
        "weeks": first["weeks"],
        "firms": firms,
        "ci95": ci95,
        "censored": censored,
    }


def paired_difference(base: list[float | None], arm: list[float | None], metric: str) -> dict[str, Any]:
    """Per-seed difference arm - base: mean, 95% CI, probability the arm is better, and what
    pairing bought (the unpaired standard error over the paired one)."""
    pairs = [(b, a) for b, a in zip(base, arm, strict=True) if b is not None and a is not None]
    out: dict[str, Any] = {"mean": None, "ci95": None, "prob_better": None, "se_paired": None,
                           "se_unpaired": None, "narrowing": None}  # fmt: skip
    if len(pairs) < 2:
        return out
    b = np.array([p[0] for p in pairs], dtype=float)
    a = np.array([p[1] for p in pairs], dtype=float)
    d = a - b
    n = d.size
    mean, interval = mean_ci(d.tolist())
    se_paired = float(d.std(ddof=1) / math.sqrt(n))
    se_unpaired = float(math.sqrt(a.var(ddof=1) / n + b.var(ddof=1) / n))
    sign = -1.0 if lower_is_better(metric) else 1.0
    if se_paired > 0:
        prob = float(stats.t.cdf(sign * mean / se_paired, n - 1))
    else:
        prob = 1.0 if sign * mean > 0 else 0.0 if sign * mean < 0 else 0.5
    out.update(
        mean=mean,
        ci95=interval,
        prob_better=prob,
        se_paired=se_paired,
        se_unpaired=se_unpaired,
        narrowing=(se_unpaired / se_paired) if se_paired > 0 else None,
    )
    return out


def rank_arms(values: dict[str, list[float | None]], metric: str) -> dict[str, Any]:
    """Arms ranked on ``metric`` by their mean over the same seeds, the best first, with the paired
    difference of the best from each other arm (best - other: positive means the best is ahead for a
    higher-is-better metric) and whether its 95% CI clears zero.

    Args:
        values: arm -> the metric per seed (the same seeds, in the same order, for every arm).
        metric: the metric's name (for its direction).

    Example:
        >>> ranked = rank_arms({"a": [1.0, 2.0, 3.0], "b": [2.0, 3.5, 4.0]}, "profit")
        >>> ranked["order"], ranked["versus"]["a"]["clear"]
        (['b', 'a'], True)
    """
    means = {arm: mean_ci(series)[0] for arm, series in values.items()}
    defined = [arm for arm, mean in means.items() if mean is not None]
    lower = lower_is_better(metric)
    order = sorted(defined, key=lambda arm: means[arm], reverse=not lower)
    versus: dict[str, Any] = {}
    if order:
        best = order[0]
        for arm in order[1:]:
            diff = paired_difference(values[arm], values[best], metric)  # best - arm
            interval = diff["ci95"]
            versus[arm] = {
                "mean": diff["mean"],
                "ci95": interval,
                "clear": interval is not None and (interval[0] > 0 or interval[1] < 0),
            }
    return {"metric": metric, "order": order, "means": means, "best": order[0] if order else None,
            "versus": versus}  # fmt: skip


def pairing_effect(se_unpaired: float | None, se_paired: float | None) -> str:
    """What pairing by seed did to the 95% interval of a difference, in words: the ratio of the
    unpaired standard error to the paired one (the interval's width scales with it), as
    "narrowed" when above 1 and "widened" (by its inverse) when below.

    Example:
        >>> pairing_effect(3.2, 1.0)
        'narrowed the interval 3.2x'
        >>> pairing_effect(1.0, 1.1)
        'widened the interval 1.1x'
        >>> pairing_effect(1.0, 0.99), pairing_effect(2.0, 0.0), pairing_effect(None, None)
        ('left the interval as wide (1.0x)', 'narrowed the interval to a point', 'n/a')
    """
    if se_unpaired is None or se_paired is None:
        return "n/a"
    if se_paired == 0:
        return "narrowed the interval to a point" if se_unpaired > 0 else "n/a (no spread either way)"
    ratio = se_unpaired / se_paired
    if round(ratio, 1) == 1.0:  # as shown: neither word would be true at the precision printed
        return "left the interval as wide (1.0x)"
    return f"narrowed the interval {ratio:.1f}x" if ratio > 1 else f"widened the interval {1 / ratio:.1f}x"


# --------------------------------------------------------------------------- the three experiments


def seeds_for(scenario: Scenario, runs: int, seed: int | None = None) -> list[int]:
    start = scenario.run.seed if seed is None else seed
    return list(range(start, start + runs))


@dataclass
class Replicates:
    """R runs of one scenario: ``runs`` (tidy run x week x firm), ``summary`` (means, ci95).

    With an output folder the weekly tables live in ``runs_file`` and ``runs`` reads them on
    demand; without one they are held in memory.
    """

    summary: dict[str, Any]
    results: list[RunResult]
    runs_file: Path | None = None
    _runs: pd.DataFrame | None = None
    invocation: Invocation | None = None  # the call and its start, for the manifest

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


def replicate(scenario: Scenario, runs: int = 10, seed: int | None = None, **execution: Any) -> Replicates:
    """Run ``scenario`` on seeds seed, seed+1, ... and summarise with 95% CIs.

    Args:
        scenario: a validated scenario.
        runs: number of replicates.
        seed: first seed (default ``scenario.run.seed``).
        **execution: ``out``, ``jobs``, ``cluster``, ``progress`` as in :func:`execute`.
    """
    invocation = Invocation.api("sim.replicate", runs=runs, seed=seed, **execution)
    base = scenario.without_experiments()
    specs = [RunSpec("run", base, s) for s in seeds_for(scenario, runs, seed)]
    results = execute(specs, **execution)
    summary = summarise_runs(results)
    summary["hash"] = config_hash(base)
    out = execution.get("out")
    if out is not None:
        runs_file = Path(out) / "runs.parquet"
        RunCache(Path(out)).stream_timeseries(specs, runs_file)
        return Replicates(summary, results, runs_file=runs_file, invocation=invocation)
    table = pd.concat([r.timeseries.assign(run=r.spec.seed) for r in results], ignore_index=True)
    table = table[["run", *[c for c in table.columns if c != "run"]]]
    return Replicates(summary, results, _runs=table, invocation=invocation)


@dataclass
class Comparison:
    """Arms on the same seeds: ``table`` (arm x metric), ``comparison`` (the JSON dict)."""

    table: pd.DataFrame
    comparison: dict[str, Any]
    results: list[RunResult]
    invocation: Invocation | None = None  # the call and its start, for the manifest


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
    names = list(metrics[next(iter(arms))][0])
    first = next(iter(arms))
    arm_stats: dict[str, Any] = {}
    differences: dict[str, Any] = {}
    rows = []
    for label in arms:
        arm_stats[label] = {}
        for name in names:
            mean, interval = mean_ci(m[name] for m in metrics[label])
            arm_stats[label][name] = {"mean": mean, "ci95": interval}
            row = {"arm": label, "metric": name, "mean": mean, "ci95_low": None, "ci95_high": None}
            if interval:
                row["ci95_low"], row["ci95_high"] = interval
            if label != first:
                diff = paired_difference(
                    [m[name] for m in metrics[first]], [m[name] for m in metrics[label]], name
                )
                differences.setdefault(label, {})[name] = diff
                row.update({f"diff_{k}": v for k, v in diff.items() if k != "ci95"})
                row["diff_ci95_low"], row["diff_ci95_high"] = diff["ci95"] or (None, None)
            rows.append(row)
    comparison = {
        "scenario": scenario.name,
        "firm": firm,
        "runs": runs,
        "seeds": seeds,
        "baseline_arm": first,
        "arms": arm_stats,
        "differences": differences,
        "rankings": {
            metric: rank_arms({label: [m[metric] for m in metrics[label]] for label in arms}, metric)
            for metric in HEADLINE_METRICS
            if metric in names
        },
        "hashes": {label: config_hash(arm) for label, arm in arms.items()},
    }
    return Comparison(pd.DataFrame(rows), comparison, results, invocation)


def sweep_points(scenario: Scenario) -> list[dict[str, Any]]:
    """The design points of ``[sweep]``: a full grid, or a seeded Latin hypercube."""
    if scenario.sweep is None:
        raise ScenarioError(f"{scenario.source or scenario.name}: no [sweep] table; see docs/scenario.md")
    design = scenario.sweep
    keys = list(design.keys)
    if design.method == "grid":
        return [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*design.keys.values())]
    from scipy.stats import qmc

    sampler = qmc.LatinHypercube(d=len(keys), seed=scenario.run.seed)
    unit = sampler.random(design.samples)
    points = []
    for row in unit:
        point = {}
        for key, u in zip(keys, row, strict=True):
            bounds = design.keys[key]
            value = bounds.low + u * (bounds.high - bounds.low)
            integral = (
                float(bounds.low).is_integer()
                and float(bounds.high).is_integer()
                and _is_int_key(scenario, key)
            )
            point[key] = round(value) if integral else float(value)
        points.append(point)
    return points


def _is_int_key(scenario: Scenario, key: str) -> bool:
    value: Any = scenario.model_dump()
    for part in key.split("."):
        if not isinstance(value, dict) or part not in value:
            return False
        value = value[part]
    return isinstance(value, int) and not isinstance(value, bool)


def sweep(
    scenario: Scenario, runs: int | None = None, seed: int | None = None, **execution: Any
) -> pd.DataFrame:
    """Run every point of ``[sweep]`` for ``runs`` replicates (default ``sweep.runs``).

    Returns:
        One row per point x replicate x firm: ``point``, ``run`` (the seed), ``firm``, the swept
        keys and every summary metric (nested tables flattened as ``table.key``); the call and
        its start, for the manifest, in ``attrs["invocation"]``.
    """
    invocation = Invocation.api("sim.sweep", runs=runs, seed=seed, **execution)
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
        for firm, firm_summary in result.summary["firms"].items():
            rows.append(
                {
                    "point": point_index,
                    "run": result.spec.seed,
                    "firm": firm,
                    **dict(result.spec.point),
                    **scalar_metrics(firm_summary),
                }
            )
    return invocation.kept_on(pd.DataFrame(rows))


# --------------------------------------------------------------------------- writing outputs


def _provenance(scenario: Scenario, hashes: dict[str, str] | str) -> dict[str, Any]:
    from sim import __version__

    return {"version": __version__, "hash": hashes, "source": scenario.source}


def replicate_figures(reps: Replicates, scenario: Scenario) -> dict[str, Figure]:
    """The figures of ``sim run --runs``, by file name (without ``.png``)."""
    from sim.plots import churn_by_reason_figure, customers_figure

    return {
        "customers": customers_figure(reps.customer_counts(), scenario.name),
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
    from sim.results import atomic_write, save_figure, write_json

    out.mkdir(parents=True, exist_ok=True)
    if reps.runs_file is None or reps.runs_file.resolve() != (out / "runs.parquet").resolve():
        atomic_write(out / "runs.parquet", lambda p: reps.runs.to_parquet(p, index=False))
    write_json(out / "summary.json", {**reps.summary, **_provenance(scenario, reps.summary["hash"])})
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
    from sim.results import atomic_write, write_json

    out.mkdir(parents=True, exist_ok=True)
    write_json(
        out / "comparison.json", {**result.comparison, **_provenance(scenario, result.comparison["hashes"])}
    )
    atomic_write(out / "comparison.csv", lambda p: result.table.to_csv(p, index=False))
    atomic_write(out / "scenario.resolved.toml", lambda p: p.write_text(scenario.to_toml()))
    seeds, arms = result.comparison["seeds"], result.comparison["hashes"]
    write_manifest(out, scenario, seeds, invocation or result.invocation, arms=arms)


def sweep_figures(table: pd.DataFrame, scenario: Scenario, firm: str) -> dict[str, Figure]:
    """The figures of ``sim sweep``, by file name (without ``.png``): :func:`sim.plots.sweep_figures`."""
    from sim.plots import sweep_figures as draw

    return draw(table, firm, list(scenario.sweep.keys), grid=scenario.sweep.method == "grid")


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
    from sim.results import atomic_write, save_figure

    out.mkdir(parents=True, exist_ok=True)
    atomic_write(out / "sweep.parquet", lambda p: table.to_parquet(p, index=False))
    atomic_write(out / "scenario.resolved.toml", lambda p: p.write_text(scenario.to_toml()))
    if figures:
        for name, figure in sweep_figures(table, scenario, firm).items():
            save_figure(out / "figures" / f"{name}.png", figure)
    write_manifest(out, scenario, sorted(table["run"].unique()), invocation or Invocation.kept(table))
