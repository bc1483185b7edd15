"""Peak memory of `sim run` against market size and ties: prints one JSON line of figures.

    python benchmarks/memory.py
    python benchmarks/memory.py --sizes 250000,500000,1000000,2000000 --tie-size 1000000 --weeks 13

Each measurement is one `sim run scenarios/baseline.toml` in a fresh process, as a user runs it
(network, population, the weekly steps, summary.json, timeseries.csv and customers.parquet
written; no figures), and its peak resident memory (``ru_maxrss`` of that child from
``os.wait4``). Figures:

- ``sizes``: peak MB at each market size on the default Watts-Strogatz network (10 ties each);
- ``bytes_per_person`` and ``fixed_mb``: the least-squares line through them, and
  ``fixed_mb_envelope``: its intercept raised until no measured peak lies above the line (the
  fixed part sim/scenario.py uses, so that the estimate errs on the safe side);
- ``ties``: peak MB at ``--tie-size`` people for each network type at a higher degree (mean
  degree 40, or attach 20), and ``bytes_per_tie`` for each: the extra peak over the degree-10
  run at the same size, divided by the extra ties (a tie is one undirected pair);
- ``departures``: people who leave the market (died, moved) keep a row in the customer table
  while newcomers take their slots, so the table grows with the departures: the peak at
  ``--departure-size`` people over ``--departure-weeks`` weeks of one persona with a yearly death
  rate of 0.9 (about 4.3% of people leave a week) against one with none, and ``bytes_per_departure``:
  the difference divided by the expected departures;
- ``weeks_check``: the peak at ``--tie-size`` people for ``--weeks`` and four times as many weeks
  (the peak is reached while building and writing: besides the departures it barely grows with weeks).

sim/scenario.py's memory check (``MEMORY_*`` constants) records these figures; run this again
when the engine's arrays change. Not a test: the machine is shared, so compare figures measured
side by side in one session.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "scenarios" / "baseline.toml"

# Each network type at a higher degree than the default 10 ties a person, and its ties a person.
DENSER = {
    "watts_strogatz": (["network.type=watts_strogatz", "network.mean_degree=40"], 20),
    "erdos_renyi": (["network.type=erdos_renyi", "network.mean_degree=40"], 20),
    "barabasi_albert": (["network.type=barabasi_albert", "network.attach=20"], 20),
    "powerlaw_cluster": (["network.type=powerlaw_cluster", "network.attach=20"], 20),
}


def peak_mb(size: int, weeks: int, settings: list[str]) -> float:
    """Peak resident memory (MB) of one `sim run` of the baseline at ``size`` people."""
    with tempfile.TemporaryDirectory() as out:
        command = [sys.executable, "-m", "sim.cli", "run", str(SCENARIO), "--out", out, "--no-figures"]
        command += ["--quiet", "--set", f"market.size={size}", "--set", f"run.weeks={weeks}"]
        for setting in settings:
            command += ["--set", setting]
        child = subprocess.Popen(command, cwd=ROOT, stderr=subprocess.PIPE, text=True)
        _, status, usage = os.wait4(child.pid, 0)
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit(f"failed: {' '.join(command)}\n{child.stderr.read()}")
        return usage.ru_maxrss / 1024  # KiB on Linux


def fit(points: list[tuple[int, float]]) -> tuple[float, float]:
    """Least-squares slope and intercept of (x, y) points."""
    n = len(points)
    mean_x = sum(x for x, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    slope = sum((x - mean_x) * (y - mean_y) for x, y in points) / sum((x - mean_x) ** 2 for x, _ in points)
    return slope, mean_y - slope * mean_x


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--sizes", default="250000,500000,1000000,2000000", help="market sizes, comma-separated"
    )
    parser.add_argument("--tie-size", type=int, default=1_000_000, help="market size of the tie measurements")
    parser.add_argument("--weeks", type=int, default=13)
    parser.add_argument("--departure-size", type=int, default=250_000)
    parser.add_argument("--departure-weeks", type=int, default=52)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    # Compiling the kernels takes memory of its own (LLVM): fill numba's cache first, as every
    # run after the first one finds it.
    for settings, _ in DENSER.values():
        peak_mb(2000, 2, settings)

    by_size = {size: peak_mb(size, args.weeks, []) for size in sizes}
    slope_mb, fixed_mb = fit(list(by_size.items()))
    base = by_size.get(args.tie_size) or peak_mb(args.tie_size, args.weeks, [])
    ties = {}
    for kind, (settings, per_person) in DENSER.items():
        # The degree-10 run of the same type is the reference (Barabasi-Albert and powerlaw-cluster
        # at attach 5 hold 5 ties a person, as Watts-Strogatz and Erdos-Renyi at degree 10 do).
        reference_settings = [s.replace("=40", "=10").replace("=20", "=5") for s in settings]
        reference = (
            base if kind == "watts_strogatz" else peak_mb(args.tie_size, args.weeks, reference_settings)
        )
        denser = peak_mb(args.tie_size, args.weeks, settings)
        extra_ties = (per_person - 5) * args.tie_size
        ties[kind] = {
            "reference_mb": round(reference, 1),
            "denser_mb": round(denser, 1),
            "bytes_per_tie": round((denser - reference) * 2**20 / extra_ties, 1),
        }
    longer = peak_mb(args.tie_size, 4 * args.weeks, [])
    one_persona = ["personas.everyone.share=1", "personas.everyone.move_rate=0"]
    staying = peak_mb(
        args.departure_size, args.departure_weeks, [*one_persona, "personas.everyone.death_rate=0"]
    )
    leaving = peak_mb(
        args.departure_size, args.departure_weeks, [*one_persona, "personas.everyone.death_rate=0.9"]
    )
    weekly = 1 - math.exp(math.log1p(-0.9) / 52)  # the share of people who leave in a week
    departures = args.departure_size * args.departure_weeks * weekly
    print(
        json.dumps(
            {
                "date": datetime.datetime.now().isoformat(timespec="minutes"),
                "machine": f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}",
                "weeks": args.weeks,
                "sizes": {str(k): round(v, 1) for k, v in by_size.items()},
                "bytes_per_person": round(slope_mb * 2**20, 1),
                "fixed_mb": round(fixed_mb, 1),
                "fixed_mb_envelope": round(max(peak - slope_mb * size for size, peak in by_size.items()), 1),
                "ties": ties,
                "departures": {
                    "size": args.departure_size,
                    "weeks": args.departure_weeks,
                    "expected": round(departures),
                    "staying_mb": round(staying, 1),
                    "leaving_mb": round(leaving, 1),
                },
                "bytes_per_departure": round((leaving - staying) * 2**20 / departures, 1),
                "weeks_check": {str(args.weeks): round(base, 1), str(4 * args.weeks): round(longer, 1)},
            }
        )
    )


if __name__ == "__main__":
    main()
