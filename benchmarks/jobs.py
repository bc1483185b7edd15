"""When do worker processes pay? The figures behind the default ``--jobs`` (sim/execution.py).

    python benchmarks/jobs.py                 # all four parts, about 4 minutes on 2 cores
    python benchmarks/jobs.py --repeats 5

Prints a table per part and, last, one JSON line of figures:

1. ``start_seconds``: a pool's start-up: from creating the pool of J spawned workers
   (``sim.execution._local_pool``) until every worker has imported what a run needs and loaded
   the compiled kernels from numba's cache, measured by J tasks of a 200-person, 2-week run that
   each hold their worker 1 s (subtracted) so that every worker gets one; median of ``--repeats``.
   ``pool_overhead``: what a pool of 2 adds to ``execute`` as a command pays it (start-up,
   handing the runs over and back, closing the pool), two tiny runs with ``jobs=2`` minus
   ``jobs=1``: the figure ``WORKER_START_SECONDS`` stands for.
2. ``run_seconds``, ``week_seconds``, ``person_week_seconds``: one run in this (warm) process
   costs a + weeks x (c + b x people), least squares over five sizes of
   conquest_vs_relations.toml (each the least of ``--repeats`` times).
3. ``warm_two_workers``: the same 8 runs of 10,000 people x 260 weeks in this process and on two
   workers already started: how much faster two processes are once their start-up is paid.
4. Side by side, the same runs (the two arms of conquest_vs_relations.toml, on seeds 1, 2, ...)
   executed with ``jobs=1`` and ``jobs=2``: measured seconds, the seconds the constants of
   sim/execution.py predict, and what ``jobs=None`` chooses (:func:`sim.execution.default_jobs`).

Not a test: the machine is shared, so compare figures measured side by side in one session.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

import numpy as np

from sim import execution, load_scenario
from sim.execution import RunSpec, default_jobs, execute
from sim.experiments import arms_of

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "scenarios" / "conquest_vs_relations.toml"
HOLD = 1.0  # seconds each start-up task holds its worker, so that each of J workers takes one


def _ready(scenario_data: dict, seed: int) -> int:
    """A start-up task: a tiny run (imports everything, loads every kernel), then hold the worker."""
    execution._simulate(scenario_data, seed)
    time.sleep(HOLD)
    return os.getpid()


def start_seconds(jobs: int, repeats: int) -> tuple[float, list[float]]:
    """Median seconds from creating a pool of ``jobs`` workers until each has done a tiny run."""
    tiny = load_scenario(SCENARIO, {"market.size": 200, "run.weeks": 2}).without_experiments().to_dict()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        with execution._local_pool(jobs) as pool:
            pids = {f.result() for f in [pool.submit(_ready, tiny, seed) for seed in range(jobs)]}
            times.append(time.perf_counter() - started - HOLD)
        assert len(pids) == jobs, f"expected {jobs} workers to take one task each, {len(pids)} did"
    return statistics.median(times), times


def pool_overhead(repeats: int) -> tuple[float, list[float]]:
    """Median seconds that a pool adds to :func:`sim.execution.execute`: two tiny runs with
    ``jobs=2`` (start the workers, hand the runs over, collect them, close the pool) minus the same
    runs with ``jobs=1`` in this warm process."""
    scenario = load_scenario(SCENARIO, {"market.size": 200, "run.weeks": 2}).without_experiments()
    specs = [RunSpec("run", scenario, seed) for seed in (1, 2)]
    execute(specs, jobs=1)
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        execute(specs, jobs=1)
        here = time.perf_counter() - started
        started = time.perf_counter()
        execute(specs, jobs=2)
        times.append(time.perf_counter() - started - here)
    return statistics.median(times), times


def run_cost(repeats: int) -> tuple[tuple[float, float, float], list[dict]]:
    """((a, c, b), rows): one run's seconds = a + weeks x (c + b x people), in this warm process
    (the least time of ``repeats``: on a shared machine the noise only ever adds)."""
    execution._simulate(load_scenario(SCENARIO, {"market.size": 200, "run.weeks": 2}).to_dict(), 1)
    rows = []
    for people, weeks in [(500, 52), (3000, 52), (500, 260), (3000, 260), (10000, 260)]:
        data = (
            load_scenario(SCENARIO, {"market.size": people, "run.weeks": weeks})
            .without_experiments()
            .to_dict()
        )
        times = []
        for seed in range(1, repeats + 1):
            started = time.perf_counter()
            execution._simulate(data, seed)
            times.append(time.perf_counter() - started)
        rows.append({"people": people, "weeks": weeks, "seconds": min(times)})
    design = np.array([[1.0, r["weeks"], r["people"] * r["weeks"]] for r in rows])
    (a, c, b), *_ = np.linalg.lstsq(design, np.array([r["seconds"] for r in rows]), rcond=None)
    return (float(a), float(c), float(b)), rows


def warm_speedup(runs: int = 8) -> tuple[float, float, float]:
    """(seconds in this process, seconds on two started workers, ratio) for the same ``runs``
    runs of 10,000 people x 260 weeks: what two processes give once their start-up is paid."""
    data = load_scenario(SCENARIO, {"market.size": 10000, "run.weeks": 260}).without_experiments().to_dict()
    tiny = load_scenario(SCENARIO, {"market.size": 200, "run.weeks": 2}).without_experiments().to_dict()
    with execution._local_pool(2) as pool:
        assert len({f.result() for f in [pool.submit(_ready, tiny, s) for s in (1, 2)]}) == 2
        started = time.perf_counter()
        for future in [pool.submit(execution._simulate, data, s) for s in range(1, runs + 1)]:
            future.result()
        pooled = time.perf_counter() - started
    started = time.perf_counter()
    for seed in range(1, runs + 1):
        execution._simulate(data, seed)
    serial = time.perf_counter() - started
    return serial, pooled, serial / pooled


def side_by_side(start: float, speedup: float) -> list[dict]:
    """The same runs with jobs=1 and jobs=2, measured and predicted."""
    rows = []
    for people, weeks, seeds in [(1000, 52, 8), (3000, 260, 8), (10000, 260, 4), (10000, 260, 12)]:
        scenario = load_scenario(SCENARIO, {"market.size": people, "run.weeks": weeks})
        specs = [
            RunSpec(label, arm, s) for label, arm in arms_of(scenario).items() for s in range(1, seeds + 1)
        ]
        measured, summaries = {}, {}
        for jobs in (1, 2):
            started = time.perf_counter()
            results = execute(specs, jobs=jobs)
            measured[jobs] = time.perf_counter() - started
            summaries[jobs] = [r.summary for r in results]
        assert summaries[1] == summaries[2], "expected the same numbers for jobs=1 and jobs=2"
        serial = execution.estimated_seconds(specs)
        rows.append({
            "runs": len(specs), "people": people, "weeks": weeks,
            "jobs1_seconds": round(measured[1], 2), "jobs2_seconds": round(measured[2], 2),
            "predicted_jobs1": round(serial, 2), "predicted_jobs2": round(start + serial / speedup, 2),
            "faster": 1 if measured[1] <= measured[2] else 2, "default_jobs": default_jobs(specs, cores=2),
        })  # fmt: skip
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeats", type=int, default=3, help="measurements per figure (median)")
    parser.add_argument(
        "--quick", action="store_true", help="parts 1 and 3 only (start-up and warm speed-up, ~1 minute)"
    )
    args = parser.parse_args()

    print("1. pool start-up, until every worker has done a tiny run (per worker: they start in parallel)")
    starts = {}
    for jobs in (1, 2):
        starts[jobs], times = start_seconds(jobs, args.repeats)
        print(f"   {jobs} worker(s): {starts[jobs]:.2f} s (median of {', '.join(f'{t:.2f}' for t in times)})")
    overhead, times = pool_overhead(args.repeats)
    print(
        f"   what a 2-process pool adds to execute (start, hand-over, close): {overhead:.2f} s "
        f"(median of {', '.join(f'{t:.2f}' for t in times)})"
    )
    print(f"   constant in sim/execution.py: WORKER_START_SECONDS = {execution.WORKER_START_SECONDS}")

    if args.quick:
        serial, pooled, speedup = warm_speedup()
        print(
            f"3. two started workers: this process {serial:.2f} s, two workers {pooled:.2f} s: {speedup:.2f}x"
        )
        print(json.dumps({"start_seconds": {str(j): round(s, 3) for j, s in starts.items()},
                          "pool_overhead": round(overhead, 3), "speedup": speedup,
                          "load_average": os.getloadavg()}))  # fmt: skip
        return

    print("2. one run in this process: seconds = a + weeks x (c + b x people), least of the repeats")
    (a, c, b), rows = run_cost(args.repeats)
    for row in rows:
        fitted = a + row["weeks"] * (c + b * row["people"])
        print(
            f"   {row['people']:>6} people x {row['weeks']} weeks: {row['seconds']:.3f} s (fit {fitted:.3f})"
        )
    print(f"   a = {a:.3f} s a run, c = {c * 1e3:.3f} ms a week, b = {b * 1e6:.3f} us a person-week")
    print(
        f"   constants in sim/execution.py: RUN_SECONDS = {execution.RUN_SECONDS}, WEEK_SECONDS = "
        f"{execution.WEEK_SECONDS}, PERSON_WEEK_SECONDS = {execution.PERSON_WEEK_SECONDS}"
    )

    print("3. two started workers against this process, 8 runs of 10,000 people x 260 weeks")
    serial, pooled, speedup = warm_speedup()
    print(f"   this process {serial:.2f} s, two workers {pooled:.2f} s: {speedup:.2f}x")
    print(f"   constant in sim/execution.py: PROCESS_EFFICIENCY = {execution.PROCESS_EFFICIENCY}")

    print("4. the same runs with jobs=1 and jobs=2 (both arms of conquest_vs_relations), seconds")
    table = side_by_side(overhead, 2 * execution.PROCESS_EFFICIENCY)
    print("   runs  people  weeks   jobs=1  jobs=2   predicted 1, 2   faster  default")
    for r in table:
        print(
            f"   {r['runs']:>4}  {r['people']:>6}  {r['weeks']:>5}  {r['jobs1_seconds']:>7.2f} {r['jobs2_seconds']:>7.2f}"
            f"   {r['predicted_jobs1']:>6.2f}, {r['predicted_jobs2']:>6.2f}   {r['faster']:>6}  {r['default_jobs']:>7}"
        )
    print(json.dumps({
        "start_seconds": {str(j): round(s, 3) for j, s in starts.items()}, "pool_overhead": round(overhead, 3),
        "run_seconds": round(a, 4), "week_seconds": c, "person_week_seconds": b, "runs": rows,
        "warm_two_workers": {"serial": round(serial, 2), "pooled": round(pooled, 2), "speedup": round(speedup, 3)},
        "side_by_side": table,
        "cores": os.cpu_count(), "load_average": os.getloadavg(),
    }))  # fmt: skip


if __name__ == "__main__":
    main()
