"""Does a scaled run tell the one-for-one story? Replicates of both, their means and spreads.

    python benchmarks/population_scaling.py
    python benchmarks/population_scaling.py --size 20000 --simulated 5000 --weeks 52 --seeds 12
    python benchmarks/population_scaling.py --set firms.us.split.influencer_seeding=0 \
        --set firms.us.split.search_ads=0.65     # no lever bought in whole units (see below)

Runs ``scenarios/conquest_vs_relations.toml`` (market.size = ``--size``, ``--weeks`` weeks) one for
one and scaled (``market.simulated = --simulated``) on seeds 1..``--seeds``; for each metric of the
firm ``us`` prints the mean and standard deviation over the seeds of both, the difference of the
means in units of its standard error (``z``), and the tolerance tests/test_scaling.py uses for one
run of each: 4 x sqrt(sd_full^2 + sd_scaled^2) (a single-run difference beyond 4 standard
deviations of a difference has a chance of about 6e-5 under normal sampling error). Counts and
money are in real units (the scaled run's x the scale); shares, rates and per-customer figures as
they are. Then one JSON line of the same figures, and the seconds each run took.

By default the firm puts 20% of 2,000 a week on influencer seeding at 300 an influencer: the real
market pays one influencer a week, the simulated market (100 a week at scale 4) none, so the scaled
run's CAC is lower (it spends less; sim.scenario.scaling warns). ``--set`` moves that money to search
ads to show the agreement where no lever is bought in whole units.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Per-firm summary metrics compared: shares, rates and per-customer figures, then counts and money.
METRICS = (
    "market_share_end",
    "retention_yearly",
    "cac",
    "ltv",
    "margin_rate",
    "products_per_customer",
    "customers_end",
    "acquired",
    "churned",
    "revenue",
    "profit",
)
FIRM = "us"


def runs(
    size: int, simulated: int | None, weeks: int, seeds: int, extra: dict[str, object]
) -> tuple[list[dict], float]:
    """The ``FIRM`` summaries of one run per seed, and the mean seconds a run took."""
    from sim import load_scenario, simulate

    overrides = {**extra, "market.size": size, "run.weeks": weeks}
    if simulated is not None:
        overrides["market.simulated"] = simulated
    scenario = load_scenario(ROOT / "scenarios" / "conquest_vs_relations.toml", overrides)
    started = time.perf_counter()
    rows = [
        simulate(scenario.without_experiments(), seed=seed).summary["firms"][FIRM]
        for seed in range(1, seeds + 1)
    ]
    return rows, (time.perf_counter() - started) / seeds


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", type=int, default=20_000)
    parser.add_argument("--simulated", type=int, default=5_000)
    parser.add_argument("--weeks", type=int, default=52)
    parser.add_argument("--seeds", type=int, default=12)
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="a dotted override")
    args = parser.parse_args()
    extra = dict(item.split("=", 1) for item in args.set)
    full, full_seconds = runs(args.size, None, args.weeks, args.seeds, extra)
    scaled, scaled_seconds = runs(args.size, args.simulated, args.weeks, args.seeds, extra)
    scale = args.size / args.simulated
    print(
        f"conquest_vs_relations, firm {FIRM!r}, {args.weeks} weeks, {args.seeds} seeds: one for one "
        f"{args.size:,} people ({full_seconds:.2f} s a run) against {args.simulated:,} simulated x {scale:g} "
        f"({scaled_seconds:.2f} s a run){'; ' + ', '.join(args.set) if args.set else ''}"
    )
    print(f"{'metric':<24}{'full mean':>14}{'sd':>12}{'scaled mean':>14}{'sd':>12}{'z':>7}{'tolerance':>12}")
    figures = {}
    for metric in METRICS:
        a = [row[metric] for row in full]
        b = [row[metric] for row in scaled]
        sd_a, sd_b = statistics.stdev(a), statistics.stdev(b)
        error = math.sqrt((sd_a**2 + sd_b**2) / args.seeds)
        z = (statistics.mean(b) - statistics.mean(a)) / error if error > 0 else 0.0
        tolerance = 4 * math.hypot(sd_a, sd_b)
        figures[metric] = {
            "full_mean": statistics.mean(a),
            "full_sd": sd_a,
            "scaled_mean": statistics.mean(b),
            "scaled_sd": sd_b,
            "z": z,
            "tolerance": tolerance,
        }
        print(
            f"{metric:<24}{statistics.mean(a):>14.4g}{sd_a:>12.3g}{statistics.mean(b):>14.4g}{sd_b:>12.3g}"
            f"{z:>7.2f}{tolerance:>12.3g}"
        )
    print(
        json.dumps(
            {
                "size": args.size,
                "simulated": args.simulated,
                "weeks": args.weeks,
                "seeds": args.seeds,
                "overrides": extra,
                "seconds_full": full_seconds,
                "seconds_scaled": scaled_seconds,
                "metrics": figures,
            }
        )
    )


if __name__ == "__main__":
    main()
