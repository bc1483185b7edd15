"""How fast the emulator answers a what-if: the latency of the dashboard's callback path.

    python benchmarks/emulate.py
    python benchmarks/emulate.py --emulator results/what_if/sweep/emulator --repeats 500

Times :meth:`sim.dashboard.whatif.WhatIf.answer` (what a slider move of ``sim dashboard --emulator``
calls: every outcome's mean and 95% interval and the extrapolation check) at ``--repeats`` random
points over the emulator's fitted ranges, one call at a time, and prints the median, the 95th
percentile and the slowest call in milliseconds, then one JSON line of the same figures. Target:
the 95th percentile under 50 ms. Without ``--emulator`` it fits one first on a synthetic LHS design
of ``--points`` points over two inputs (a smooth response plus noise, both outcomes), so the
figure covers a Gaussian process as large as a typical sweep's. Not a test: the machine is shared.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import qmc

from sim.dashboard.whatif import WhatIf
from sim.emulate import fit_emulator, load_emulator

TARGET_MS = 50.0


def synthetic_emulator(points: int, folder: Path):
    """An emulator fitted on a synthetic sweep of budget and word of mouth (profit, customer equity)."""
    unit = qmc.LatinHypercube(d=2, seed=0).random(points)
    budget, word = 200 + 1300 * unit[:, 0], 0.005 + 0.025 * unit[:, 1]
    noise = np.random.default_rng(0).normal(0, 1, (2, points))
    pd.DataFrame(
        {"point": range(points), "run": 1, "firm": "us", "firms.us.budget": budget,
         "behaviours.adoption.word_of_mouth": word,
         "profit": 50 * budget * np.sqrt(word) - 10 * budget + 200 * noise[0],
         "customer_equity": 2e6 * word + 20 * budget + 500 * noise[1]}
    ).to_parquet(folder / "sweep.parquet")  # fmt: skip
    return fit_emulator(folder).emulator


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--emulator", metavar="DIR", help="an emulator folder (default: fit a synthetic one)")
    parser.add_argument("--points", type=int, default=60, help="design points of the synthetic emulator")
    parser.add_argument("--repeats", type=int, default=300, help="what-ifs timed")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        emulator = (
            load_emulator(args.emulator) if args.emulator else synthetic_emulator(args.points, Path(folder))
        )
    params = {spec.name: {"type": "SliderFloat", "value": 0.0} for spec in emulator.inputs}
    whatif = WhatIf(emulator, params)
    rng = np.random.default_rng(1)
    whatif.answer({s.name: s.low if s.kind == "number" else s.levels[0] for s in emulator.inputs})  # warm
    timings = []
    for _ in range(args.repeats):
        settings = {
            s.name: rng.uniform(s.low, s.high) if s.kind == "number" else rng.choice(s.levels)
            for s in emulator.inputs
        }
        started = time.perf_counter()
        whatif.answer(settings)
        timings.append(1000 * (time.perf_counter() - started))
    figures = {
        "median_ms": round(statistics.median(timings), 3),
        "p95_ms": round(float(np.percentile(timings, 95)), 3),
        "max_ms": round(max(timings), 3),
        "repeats": args.repeats,
        "outcomes": emulator.outcomes,
        "models": {name: fit.model for name, fit in emulator.fits.items()},
        "rows_fitted": emulator.source["rows"],
        "target_p95_ms": TARGET_MS,
    }
    print(
        f"what-if answered by the emulator ({', '.join(f'{k}: {v}' for k, v in figures['models'].items())}; "
        f"{figures['rows_fitted']} rows fitted), {args.repeats} calls:"
    )
    print(
        f"  median {figures['median_ms']:.2f} ms, 95th percentile {figures['p95_ms']:.2f} ms, "
        f"slowest {figures['max_ms']:.2f} ms (target: 95th percentile under {TARGET_MS:.0f} ms)"
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
