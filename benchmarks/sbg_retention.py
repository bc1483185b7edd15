"""The shifted-beta-geometric validation over many seeds: is the engine's heterogeneous-churn
survival curve centred on S(t) = B(a, b + t) / B(a, b), and is its spread the binomial one?

Runs :func:`sim.validation.sbg.sbg_scenario` (a cohort whose weekly churn probabilities are
Beta(a, b); each seed draws new probabilities and new churn) for ``--seeds`` seeds and prints one
JSON line: per checkpoint t, the mean measured survival, S(t), the mean error in binomial standard
errors (z) and the sd of z over seeds (about 1 if the binomial spread is right), and the largest
|z| of any seed at any t (what the test's 4-standard-error tolerance is against).

Usage: python benchmarks/sbg_retention.py --seeds 10 --customers 5000 --weeks 40
"""

from __future__ import annotations

import argparse
import json
import math
import tempfile
from pathlib import Path

import numpy as np

from sim.validation.sbg import sbg_scenario, survival_check

A, B = 0.668, 3.806  # Fader & Hardie (2007), the "high end" segment


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--customers", type=int, default=5000)
    parser.add_argument("--weeks", type=int, default=40)
    args = parser.parse_args()
    zs, measured = [], []
    with tempfile.TemporaryDirectory() as folder:
        for seed in range(1, args.seeds + 1):
            scenario = sbg_scenario(args.customers, A, B, args.weeks, Path(folder), seed=seed)
            check = survival_check(scenario, A, B, seed=seed)
            zs.append(check.z)
            measured.append(check.measured)
    z = np.array(zs)
    curve = np.array(measured)
    checkpoints = [t for t in (1, 2, 4, 8, 16, 26, args.weeks - 1) if t < args.weeks]
    figures = {
        "a": A,
        "b": B,
        "seeds": args.seeds,
        "customers": args.customers,
        "weeks": args.weeks,
        "checkpoints": {
            str(t): {
                "measured_mean": round(float(curve[:, t].mean()), 5),
                "expected": round(float(check.expected[t]), 5),
                "z_mean": round(float(z[:, t].mean()), 3),
                "z_mean_se": round(1 / math.sqrt(args.seeds), 3),
                "z_sd": round(float(z[:, t].std(ddof=1)), 3),
            }
            for t in checkpoints
        },
        "max_abs_z": round(float(np.abs(z).max()), 3),
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
