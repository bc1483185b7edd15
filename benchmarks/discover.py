"""Does a discovery design of 1,000 markets x 4 strategies at 2,000 customers complete on this machine?

    python benchmarks/discover.py                      # 1,000 markets x 4 strategies x 1 seed, 52 weeks, 2 jobs
    python benchmarks/discover.py --markets 100        # a quick look
    python benchmarks/discover.py --weeks 104 --replicates 2

Runs :func:`sim.discover.discover` the way ``sim discover --jobs J --out DIR`` does (the run cache
on disk, so a kill loses nothing) on conquest_vs_relations.toml at 2,000 customers, with four
uncertainties (word of mouth, the rival's price as a triangular distribution, the rival's
response personality as a category, the initial awareness) and four strategies for ``us``
(conquest, relations, balanced, adaptive), and prints the time of each part and the runs per
second: resolving the design (sampling the markets, building one scenario per market and
strategy), the runs (execution and the cache), reading regret and robustness, the conditions
and writing the files. A second call on the same folder computes nothing
(``--rerun``: the time a resumed design pays to load the finished runs). The folder is a
temporary one, removed at the end unless ``--keep DIR`` is given.

Not a test: the machine is shared, so the figure is what this machine did when it ran.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

from sim import load_scenario
from sim.design import DiscoverConfig, uncertainty_form
from sim.discover import discover, resolve_design
from sim.discover.runs import design_specs

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "scenarios" / "conquest_vs_relations.toml"
UNCERTAINTIES = {
    "behaviours.adoption.word_of_mouth": {"low": 0.005, "high": 0.05},
    "firms.rival.price": {"dist": "triangular", "low": 30, "mode": 40, "high": 50},
    "firms.rival.response.personality": ["passive", "price_matcher", "retaliator"],
    "market.initial_awareness": {"low": 0.1, "high": 0.5},
}
STRATEGIES = ["conquest", "relations", "balanced", "adaptive"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--markets", type=int, default=1000)
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--weeks", type=int, default=52)
    parser.add_argument("--replicates", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--rerun", action="store_true", help="also time a second call that computes nothing")
    parser.add_argument("--keep", metavar="DIR", help="keep the output folder here")
    args = parser.parse_args()

    scenario = load_scenario(SCENARIO, {"market.size": args.customers, "run.weeks": args.weeks})
    settings = {"samples": args.markets, "replicates": args.replicates, "strategies": STRATEGIES}
    typed = {key: uncertainty_form(form) for key, form in UNCERTAINTIES.items()}
    scenario = scenario.model_copy(
        update={"uncertainties": typed, "arms": {}, "discover": DiscoverConfig.model_validate(settings)}
    )
    out = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="discover-benchmark-"))
    try:
        started = time.perf_counter()
        design = resolve_design(scenario)
        specs = design_specs(scenario, design)
        build = time.perf_counter() - started
        runs = len(specs)
        print(
            f"{args.markets} markets x {len(STRATEGIES)} strategies x {args.replicates} seed(s) = {runs} runs "
            f"of {args.customers:,} customers x {args.weeks} weeks, {args.jobs} jobs; design and "
            f"{runs} scenarios built in {build:.1f} s",
            flush=True,
        )
        started = time.perf_counter()
        result = discover(scenario, jobs=args.jobs, out=out, progress=True)
        total = time.perf_counter() - started
        started = time.perf_counter()
        result.write(out)
        written = time.perf_counter() - started
        figures = {
            "markets": args.markets,
            "strategies": len(STRATEGIES),
            "replicates": args.replicates,
            "runs": runs,
            "customers": args.customers,
            "weeks": args.weeks,
            "jobs": args.jobs,
            "build_seconds": round(build, 1),
            "discover_seconds": round(total, 1),
            "write_seconds": round(written, 1),
            "runs_per_second": round(runs / total, 2),
            "conditions": result.info["conditions"] is not None
            and any(c.get("prim") is not None for c in result.info["conditions"].values()),
        }
        if args.rerun:
            started = time.perf_counter()
            discover(scenario, jobs=args.jobs, out=out)
            figures["rerun_seconds"] = round(time.perf_counter() - started, 1)
        print(result.table())
        print(
            f"\n{runs} runs in {total:.0f} s ({runs / total:.1f} runs per second, "
            f"{total / runs * args.jobs:.2f} s per run per process); files written in {written:.1f} s"
        )
        print(json.dumps(figures))
    finally:
        if not args.keep:
            shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    main()
