"""When do worker processes pay? The figures behind the default ``--jobs`` (sim/experiments.py).

    python benchmarks/jobs.py                 # all three parts, about 3 minutes on 2 cores
    python benchmarks/jobs.py --repeats 5

Prints a table per part and, last, one JSON line of figures:

1. ``start_seconds``: a pool's start-up, per worker: from creating the pool of J spawned workers
   (``sim.experiments._local_pool``) until every worker has imported what a run needs and loaded
   the compiled kernels from numba's cache, measured by J tasks of a 200-person, 2-week run that
   each hold their worker 1 s (subtracted) so that every worker gets one; median of ``--repeats``.
2. ``run_seconds`` and ``person_week_seconds``: the cost of one run in this (warm) process,
   a + b x people x weeks, least squares over a few sizes of conquest_vs_relations.toml.
3. Side by side, the same runs (the two arms of conquest_vs_relations.toml, on seeds 1, 2, ...)
   executed with ``jobs=1`` and ``jobs=2``: measured seconds, the seconds the model of parts 1-2
   predicts, and what ``jobs=None`` chooses (:func:`sim.experiments.default_jobs`).

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

from sim import experiments, load_scenario
from sim.experiments import RunSpec, arms_of, default_jobs, execute

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "scenarios" / "conquest_vs_relations.toml"
HOLD = 1.0  # seconds each start-up task holds its worker, so that each of J workers takes one


def _ready(scenario_data: dict, seed: int) -> int:
    """A start-up task: a tiny run (imports everything, loads every kernel), then hold the worker."""
    experiments._simulate(scenario_data, seed)
    time.sleep(HOLD)
    return os.getpid()


def start_seconds(jobs: int, repeats: int) -> tuple[float, list[float]]:
    """Median seconds from creating a pool of ``jobs`` workers until each has done a tiny run."""
    tiny = load_scenario(SCENARIO, {"market.size": 200, "run.weeks": 2}).without_experiments().to_dict()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        with experiments._local_pool(jobs) as pool:
            pids = {f.result() for f in [pool.submit(_ready, tiny, seed) for seed in range(jobs)]}
            times.append(time.perf_counter() - started - HOLD)
        assert len(pids) == jobs, f"expected {jobs} workers to take one task each, {len(pids)} did"
    return statistics.median(times), times


def run_cost(repeats: int) -> tuple[float, float, list[dict]]:
    """(a, b, rows): one run's seconds = a + b x people x weeks, in this warm process."""
    experiments._simulate(load_scenario(SCENARIO, {"market.size": 200, "run.weeks": 2}).to_dict(), 1)
    rows = []
    for people, weeks in [(500, 52), (1000, 260), (3000, 260), (10000, 260)]:
        data = load_scenario(SCENARIO, {"market.size": people, "run.weeks": weeks}).without_experiments().to_dict()
        times = []
        for seed in range(1, repeats + 1):
            started = time.perf_counter()
            experiments._simulate(data, seed)
            times.append(time.perf_counter() - started)
        rows.append({"people": people, "weeks": weeks, "seconds": statistics.median(times)})
    x = np.array([r["people"] * r["weeks"] for r in rows], dtype=float)
    y = np.array([r["seconds"] for r in rows])
    b, a = np.polyfit(x, y, 1)
    return float(a), float(b), rows


def side_by_side(start: float, a: float, b: float) -> list[dict]:
    """The same runs with jobs=1 and jobs=2, measured and predicted."""
    rows = []
    for people, weeks, seeds in [(1000, 52, 8), (3000, 260, 8), (10000, 260, 4), (10000, 260, 10)]:
        scenario = load_scenario(SCENARIO, {"market.size": people, "run.weeks": weeks})
        specs = [RunSpec(label, arm, s) for label, arm in arms_of(scenario).items() for s in range(1, seeds + 1)]
        measured, summaries = {}, {}
        for jobs in (1, 2):
            started = time.perf_counter()
            results = execute(specs, jobs=jobs)
            measured[jobs] = time.perf_counter() - started
            summaries[jobs] = [r.summary for r in results]
        assert summaries[1] == summaries[2], "expected the same numbers for jobs=1 and jobs=2"
        serial = len(specs) * (a + b * people * weeks)
        rows.append({
            "runs": len(specs), "people": people, "weeks": weeks,
            "jobs1_seconds": round(measured[1], 2), "jobs2_seconds": round(measured[2], 2),
            "predicted_jobs1": round(serial, 2), "predicted_jobs2": round(start + serial / 2, 2),
            "faster": 1 if measured[1] <= measured[2] else 2, "default_jobs": default_jobs(specs, cores=2),
        })  # fmt: skip
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3, help="measurements per figure (median)")
    args = parser.parse_args()

    print("1. pool start-up, until every worker has done a tiny run (per worker: they start in parallel)")
    starts = {}
    for jobs in (1, 2):
        starts[jobs], times = start_seconds(jobs, args.repeats)
        print(f"   {jobs} worker(s): {starts[jobs]:.2f} s (median of {', '.join(f'{t:.2f}' for t in times)})")
    print(
        f"   constants in sim/experiments.py: WORKER_START_SECONDS = {experiments.WORKER_START_SECONDS}"
    )

    print("2. one run in this process: seconds = a + b x people x weeks")
    a, b, rows = run_cost(args.repeats)
    for row in rows:
        fitted = a + b * row["people"] * row["weeks"]
        print(f"   {row['people']:>6} people x {row['weeks']} weeks: {row['seconds']:.3f} s (fit {fitted:.3f})")
    print(f"   a = {a:.3f} s a run, b = {b * 1e6:.3f} us a person-week")
    print(
        f"   constants in sim/experiments.py: RUN_SECONDS = {experiments.RUN_SECONDS}, "
        f"PERSON_WEEK_SECONDS = {experiments.PERSON_WEEK_SECONDS}"
    )

    print("3. the same runs with jobs=1 and jobs=2 (both arms of conquest_vs_relations), seconds")
    table = side_by_side(starts[2], a, b)
    print("   runs  people  weeks   jobs=1  jobs=2   predicted 1, 2   faster  default")
    for r in table:
        print(
            f"   {r['runs']:>4}  {r['people']:>6}  {r['weeks']:>5}  {r['jobs1_seconds']:>7.2f} {r['jobs2_seconds']:>7.2f}"
            f"   {r['predicted_jobs1']:>6.2f}, {r['predicted_jobs2']:>6.2f}   {r['faster']:>6}  {r['default_jobs']:>7}"
        )
    print(json.dumps({
        "start_seconds": {str(j): round(s, 3) for j, s in starts.items()},
        "run_seconds": round(a, 4), "person_week_seconds": b, "runs": rows, "side_by_side": table,
        "cores": os.cpu_count(), "load_average": os.getloadavg(),
    }))  # fmt: skip


if __name__ == "__main__":
    main()
