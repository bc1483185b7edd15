"""Time one run of a scenario at a given size: prints one JSON line of figures.

    python benchmarks/scale.py --customers 100000 --weeks 260
    python benchmarks/scale.py --customers 10000 --weeks 260 --scenario scenarios/conquest_vs_relations.toml

Figures: customers, weeks, seconds (the weekly steps), setup_seconds (network, population, initial
state), customer_steps_per_s, peak_rss_mb (the process's peak resident memory), warm_up_seconds,
threads (the threads the heaviest kernels split large populations over: ``--threads`` or
``SIM_THREADS``, default every core; 1 for a strictly serial run).
Not a test: the machine is shared, so compare figures measured side by side in one session.

Side by side with another checkout (e.g. the commit a change started from, in a git worktree):

    python benchmarks/scale.py --customers 1000000 --weeks 260 --compare-with /work/wt-base --repeats 3

runs this script in fresh processes, alternating the other checkout's ``sim`` (``PYTHONPATH``) and
this one's, ``--repeats`` times each, prints each run's JSON line and then one JSON line of the
medians of both and their ratios (this checkout / the other: below 1 is faster or smaller).

Before the timed run, a 1,000-person market of the same scenario runs for a few weeks
(``--warm-up``, on by default): the first call of each compiled kernel in a process loads it from
numba's on-disk cache (about 0.2 s in all, once per process, like an import), and that is not the
cost of simulating. ``warm_up_seconds`` reports it; ``--no-warm-up`` times a cold process.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

from sim import CustomerMarket, load_scenario, threads

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=10_000, help="market size (people)")
    parser.add_argument("--weeks", type=int, default=260)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--scenario", default=str(ROOT / "scenarios" / "baseline.toml"))
    parser.add_argument(
        "--warm-up",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="run a small market first so the compiled kernels are loaded (default: on)",
    )
    parser.add_argument("--threads", type=int, help="kernel threads (default: SIM_THREADS or every core)")
    parser.add_argument(
        "--compare-with", metavar="CHECKOUT", help="another checkout of the project, run side by side"
    )
    parser.add_argument("--repeats", type=int, default=3, help="runs of each checkout with --compare-with")
    args = parser.parse_args()
    if args.compare_with:
        compare(args)
        return
    if args.threads is not None:
        threads.set_threads(args.threads)
    warm_up_seconds = 0.0
    if args.warm_up:
        warm_started = time.perf_counter()
        small = load_scenario(args.scenario, {"market.size": 1000, "run.weeks": 8})
        CustomerMarket(small, seed=args.seed).run_model()
        warm_up_seconds = time.perf_counter() - warm_started
    scenario = load_scenario(args.scenario, {"market.size": args.customers, "run.weeks": args.weeks})
    started = time.perf_counter()
    market = CustomerMarket(scenario, seed=args.seed)
    built = time.perf_counter()
    market.run_model()
    finished = time.perf_counter()
    seconds = finished - built
    print(
        json.dumps(
            {
                "scenario": scenario.name,
                "customers": args.customers,
                "weeks": args.weeks,
                "seconds": round(seconds, 3),
                "setup_seconds": round(built - started, 3),
                "customer_steps_per_s": round(args.customers * args.weeks / seconds),
                "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                "warm_up_seconds": round(warm_up_seconds, 3),
                "threads": threads.threads(),
            }
        )
    )


FIGURES = ("seconds", "setup_seconds", "peak_rss_mb")


def compare(args: argparse.Namespace) -> None:
    """Alternate runs of this script with the other checkout's ``sim`` and with this one's; print
    each run, then the medians and the ratios (this / other)."""
    other = Path(args.compare_with).resolve()
    if not (other / "sim" / "__init__.py").exists():
        raise SystemExit(f"--compare-with {args.compare_with}: no sim package there")
    command = [sys.executable, __file__, "--customers", str(args.customers), "--weeks", str(args.weeks)]
    command += ["--seed", str(args.seed), "--scenario", str(Path(args.scenario).resolve())]
    command += [] if args.warm_up else ["--no-warm-up"]
    command += [] if args.threads is None else ["--threads", str(args.threads)]
    runs: dict[str, list[dict]] = {"other": [], "this": []}
    for _ in range(args.repeats):
        for label, tree in (("other", other), ("this", ROOT)):
            env = {**os.environ, "PYTHONPATH": str(tree)}
            # The other checkout's scenarios, where it keeps its own copy of the one asked for.
            done = subprocess.run(command, env=env, cwd=tree, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                raise SystemExit(f"the run with {tree} failed:\n{done.stderr}")
            figures = json.loads(done.stdout.strip().splitlines()[-1])
            runs[label].append(figures)
            print(json.dumps({"checkout": str(tree), **figures}), flush=True)
    medians = {
        label: {name: statistics.median(run[name] for run in results) for name in FIGURES}
        for label, results in runs.items()
    }
    print(
        json.dumps(
            {
                "customers": args.customers,
                "weeks": args.weeks,
                "repeats": args.repeats,
                "other": str(other),
                "this": str(ROOT),
                "median_other": medians["other"],
                "median_this": medians["this"],
                "ratio_this_over_other": {
                    name: round(medians["this"][name] / medians["other"][name], 3) for name in FIGURES
                },
            }
        )
    )


if __name__ == "__main__":
    main()
