"""What market events cost a run: the time spent striking events and moving values, against the
whole run, for a scenario whose events move a value every week (rising expectations).

    python benchmarks/events.py
    python benchmarks/events.py --scenario scenarios/market_shifts.toml --size 10000 --weeks 260 --repeats 3

Runs the scenario ``--repeats`` times and prints, per repeat, the seconds of weekly steps, the
seconds inside the timeline (``Timeline.advance``: strikes, ramps, yearly growth and the new
scenario of each week a value moved; the behaviours then rebuild their parameter records from it,
a few microseconds each, counted in the steps) and its share of the steps; then the
median share as one JSON line. Not a test: the machine is shared, so compare figures measured side
by side in one session.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scenario", default=str(ROOT / "scenarios" / "market_shifts.toml"))
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--weeks", type=int, default=260)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    from sim import CustomerMarket, load_scenario
    from sim.events import Timeline

    scenario = load_scenario(
        args.scenario, {"market.size": args.size, "run.weeks": args.weeks}
    ).without_experiments()
    inside = [0.0]
    advance = Timeline.advance

    def timed(self, market):
        started = time.perf_counter()
        advance(self, market)
        inside[0] += time.perf_counter() - started

    Timeline.advance = timed
    CustomerMarket(scenario.with_events([]).with_overrides({"market.size": 500, "run.weeks": 5})).run_model()
    shares = []
    print(f"{args.size:,} people x {args.weeks} weeks, {len(scenario.events)} events")
    print(f"{'repeat':>6}  {'steps s':>8}  {'timeline s':>10}  {'share':>6}  events struck")
    for repeat in range(args.repeats):
        market = CustomerMarket(scenario)
        inside[0] = 0.0
        started = time.perf_counter()
        market.run_model()
        steps = time.perf_counter() - started
        shares.append(inside[0] / steps)
        struck = ", ".join(f"{s.name} (week {s.week})" for s in market.timeline.struck)
        print(f"{repeat + 1:>6}  {steps:>8.3f}  {inside[0]:>10.4f}  {shares[-1]:>6.1%}  {struck}")
    print(
        json.dumps(
            {"size": args.size, "weeks": args.weeks, "median_timeline_share": statistics.median(shares)}
        )
    )


if __name__ == "__main__":
    main()
