"""Running sets of simulations: what one run is, where finished runs are kept, and where they run.

Owns execution. Every run is a (scenario, seed) pair (:class:`RunSpec`); its results land in a
folder named by a hash of the resolved scenario (seed excluded) and the seed (:class:`RunCache`),
written under a temporary name and renamed when complete, so an interrupted experiment loses
nothing that had finished and a rerun computes only what is missing. Runs execute in this process
(``jobs=1``), in a pool of spawned processes (safe in Jupyter: no fork), or on a Dask cluster,
through the same code path (:func:`execute`): a run's numbers depend only on its scenario and
seed, never on where it ran. ``jobs=None`` weighs what worker processes save against what they
cost (:func:`default_jobs`); :func:`shared_pool` keeps one pool open over many batches.

Example:
    >>> from sim import load_scenario
    >>> scenario = load_scenario("scenarios/baseline.toml", {"market.size": 300, "run.weeks": 4})
    >>> [r.spec.seed for r in execute([RunSpec("run", scenario, seed) for seed in seeds_for(scenario, 2)], jobs=1)]
    [1, 2]
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import multiprocessing
import os
import shutil
import sys
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from sim import lifeline
from sim.manifest import scenario_hash
from sim.scenario import Scenario

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

        from sim.files import atomic_write

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
    kernels in one thread (sim.threads would otherwise start a thread per core in each)."""
    from sim.threads import set_threads

    set_threads(1)


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
    :data:`WEEK_SECONDS` and :data:`PERSON_WEEK_SECONDS` x people simulated (``market.people``).

    Example:
        >>> from sim import load_scenario
        >>> s = load_scenario("scenarios/baseline.toml", {"market.size": 3000, "run.weeks": 260})
        >>> round(estimated_seconds([RunSpec("run", s, seed) for seed in range(16)]), 1)
        7.5
    """
    return sum(
        RUN_SECONDS + s.scenario.run.weeks * (WEEK_SECONDS + PERSON_WEEK_SECONDS * s.scenario.market.people)
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


def seeds_for(scenario: Scenario, runs: int, seed: int | None = None) -> list[int]:
    """The seeds of ``runs`` replicates: ``seed`` (default ``run.seed``), ``seed + 1``, ...

    Example:
        >>> seeds_for(Scenario(), 3, seed=7)
        [7, 8, 9]
    """
    start = scenario.run.seed if seed is None else seed
    return list(range(start, start + runs))
