"""What rivals that respond cost a run: the seconds inside the firms' responses (perceiving,
checking triggers, acting), against the whole run, for each personality.

    python benchmarks/responses.py
    python benchmarks/responses.py --size 1000000 --weeks 52 --repeats 1

Runs scenarios/price_war.toml (a price cut in week 13 that a price matcher answers) with the
rival's personality set to each built-in in turn, plus the file as written (passive: no response
object at all), and prints per personality the seconds of weekly steps, the seconds inside
``Response.react`` and its share of the steps, and the reactions taken; then one JSON line with
the largest median share. Not a test: the machine is shared, so compare figures measured side by
side in one session.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PERSONALITIES = ("passive", "price_matcher", "retaliator", "defender", "aggressor")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scenario", default=str(ROOT / "scenarios" / "price_war.toml"))
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--weeks", type=int, default=156)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    from sim import CustomerMarket, load_scenario
    from sim.responses import Response

    inside = [0.0]
    react = Response.react

    def timed(self, firm, market, planned_price=None):
        started = time.perf_counter()
        react(self, firm, market, planned_price)
        inside[0] += time.perf_counter() - started

    Response.react = timed
    scenario = load_scenario(
        args.scenario, {"market.size": args.size, "run.weeks": args.weeks}
    ).without_experiments()
    CustomerMarket(scenario.with_overrides({"market.size": 500, "run.weeks": 5})).run_model()  # compile
    print(f"{args.size:,} people x {args.weeks} weeks ({Path(args.scenario).name})")
    print(f"{'personality':>14}  {'steps s':>8}  {'responses s':>11}  {'share':>6}  reactions")
    medians = {}
    for personality in PERSONALITIES:
        shares = []
        for _ in range(args.repeats):
            market = CustomerMarket(
                scenario.with_overrides({"firms.rival.response.personality": personality})
            )
            inside[0] = 0.0
            started = time.perf_counter()
            market.run_model()
            steps = time.perf_counter() - started
            shares.append(inside[0] / steps)
            print(
                f"{personality:>14}  {steps:>8.3f}  {inside[0]:>11.4f}  {shares[-1]:>6.2%}  {len(market.reactions)}"
            )
        medians[personality] = statistics.median(shares)
    worst = max(medians, key=medians.get)
    print(
        json.dumps(
            {"size": args.size, "weeks": args.weeks, "largest_median_share": medians[worst], "of": worst}
        )
    )


if __name__ == "__main__":
    main()
