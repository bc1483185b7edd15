"""Where a run's time goes: seconds in each weekly step and each part of the set-up.

    python benchmarks/steps.py --customers 1000000 --weeks 260
    python benchmarks/steps.py --customers 10000000 --weeks 4

Wraps each step of :meth:`sim.model.CustomerMarket.step` (and the set-up's parts) with a timer
(the compiled kernels are opaque to cProfile, so each step is timed as a whole) and prints a table
of steps, seconds, share of the weekly steps and the cores each kept busy (CPU seconds of every
thread / wall seconds: 1.0 is one core, 2.0 both of this machine's), then one JSON line of the
same figures.
Not a test: the machine is shared, so compare figures measured side by side in one session.
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from collections import defaultdict
from pathlib import Path

import sim.model as model
from sim import load_scenario, threads
from sim.agents.behaviours import (
    adoption,
    appreciation,
    buying_cycle,
    churn,
    dormancy,
    experience,
    growth,
    purchase,
    referral,
)

ROOT = Path(__file__).resolve().parent.parent
SECONDS: dict[str, float] = defaultdict(float)
# CPU seconds of the whole process (every thread) in each step: CPU / wall is the cores it kept busy.
CPU: dict[str, float] = defaultdict(float)


def timed(name: str, function):
    """``function`` with its seconds added to ``SECONDS[name]`` at each call."""

    def wrapper(*args, **kwargs):
        started, cpu = time.perf_counter(), time.process_time()
        try:
            return function(*args, **kwargs)
        finally:
            SECONDS[name] += time.perf_counter() - started
            CPU[name] += time.process_time() - cpu

    return wrapper


def instrument() -> None:
    """Wrap the weekly steps and the set-up's parts where sim.model calls them."""
    for label, module in [
        ("1b buying_cycle", buying_cycle),
        ("3 adoption", adoption),
        ("4 referral", referral),
        ("5 purchase", purchase),
        ("6 experience", experience),
        ("7 appreciation", appreciation),
        ("7b growth", growth),
        ("8 churn", churn),
        ("9 dormancy", dormancy),
    ]:
        module.run = timed(label, module.run)
    cls = model.CustomerMarket
    model.Timeline.advance = timed("0 timeline", model.Timeline.advance)
    model.WeekEffects.clear = timed("0b clear buffers", model.WeekEffects.clear)
    cls.signals = timed("2 signals", cls.signals)
    cls._keep_closed_firms_unknown = timed("8b closed firms", cls._keep_closed_firms_unknown)
    cls._seed_initial_state = timed("setup: week 0 state", cls._seed_initial_state)
    model.build_network = timed("setup: network", model.build_network)
    model.Customers = timed("setup: population", model.Customers)
    model.NeighbourCounts = timed("setup: neighbour counts", model.NeighbourCounts)
    model.WeekEffects = timed("setup: week buffers", model.WeekEffects)
    model.Recorder.start_week = timed("10 recorder", model.Recorder.start_week)
    model.Recorder.record = timed("10 recorder", model.Recorder.record)
    model.Recorder.purchased = timed("5b purchase hooks", model.Recorder.purchased)
    model.AgentSet.do = timed("1 firms act", model.AgentSet.do)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--weeks", type=int, default=52)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--scenario", default=str(ROOT / "scenarios" / "baseline.toml"))
    parser.add_argument("--threads", type=int, help="kernel threads (default: SIM_THREADS or every core)")
    args = parser.parse_args()
    if args.threads is not None:
        threads.set_threads(args.threads)
    small = load_scenario(args.scenario, {"market.size": 1000, "run.weeks": 8})
    model.CustomerMarket(small, seed=args.seed).run_model()  # load the compiled kernels first
    instrument()
    SECONDS.clear()
    scenario = load_scenario(args.scenario, {"market.size": args.customers, "run.weeks": args.weeks})
    started = time.perf_counter()
    market = model.CustomerMarket(scenario, seed=args.seed)
    built = time.perf_counter()
    setup = {k: v for k, v in SECONDS.items() if k.startswith("setup")}
    # the recorder's week-0 record and the firms' set-up fall in "setup: other"
    setup["setup: other"] = built - started - sum(setup.values())
    SECONDS.clear()
    CPU.clear()
    cpu_started = time.process_time()
    market.run_model()
    steps_total = time.perf_counter() - built
    steps_cpu = time.process_time() - cpu_started
    weekly = dict(SECONDS)
    weekly["other (prospects, loop)"] = steps_total - sum(weekly.values())
    cpu = dict(CPU)
    cpu["other (prospects, loop)"] = steps_cpu - sum(cpu.values())
    print(f"{'step':<28} {'seconds':>8} {'share':>7} {'cores busy':>10}")
    for name, seconds in sorted(weekly.items()):
        busy = cpu[name] / seconds if seconds > 0 else 0.0
        print(f"{name:<28} {seconds:8.2f} {seconds / steps_total:7.1%} {busy:10.2f}")
    print(f"{'weekly steps':<28} {steps_total:8.2f} {'':>7} {steps_cpu / steps_total:10.2f}")
    for name, seconds in sorted(setup.items()):
        print(f"{name:<28} {seconds:8.2f}")
    print(f"{'set-up':<28} {built - started:8.2f}")
    print(
        json.dumps(
            {
                "customers": args.customers,
                "weeks": args.weeks,
                "threads": threads.threads(),
                "steps_seconds": round(steps_total, 3),
                "setup_seconds": round(built - started, 3),
                "steps": {k: round(v, 3) for k, v in sorted(weekly.items())},
                "steps_cpu": {k: round(v, 3) for k, v in sorted(cpu.items())},
                "setup": {k: round(v, 3) for k, v in sorted(setup.items())},
                "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
