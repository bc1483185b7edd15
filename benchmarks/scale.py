"""Time one run of a scenario at a given size: prints one JSON line of figures.

    python benchmarks/scale.py --customers 100000 --weeks 260
    python benchmarks/scale.py --customers 10000 --weeks 260 --scenario scenarios/conquest_vs_relations.toml

Figures: customers, weeks, seconds (the weekly steps), setup_seconds (network, population, initial
state), customer_steps_per_s, peak_rss_mb (the process's peak resident memory), warm_up_seconds,
threads (the threads the heaviest kernels split large populations over: ``--threads`` or
``SIM_THREADS``, default every core; 1 for a strictly serial run).
Not a test: the machine is shared, so compare figures measured side by side in one session.

Before the timed run, a 1,000-person market of the same scenario runs for a few weeks
(``--warm-up``, on by default): the first call of each compiled kernel in a process loads it from
numba's on-disk cache (about 0.2 s in all, once per process, like an import), and that is not the
cost of simulating. ``warm_up_seconds`` reports it; ``--no-warm-up`` times a cold process.
"""

from __future__ import annotations

import argparse
import json
import resource
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
    args = parser.parse_args()
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


if __name__ == "__main__":
    main()
