"""Do the 90% credible intervals of ``sim calibrate --method abc`` cover the truth about 90% of the time?

    python benchmarks/abc_coverage.py                       # 20 repetitions, 2 jobs
    python benchmarks/abc_coverage.py --repetitions 5       # a quick look
    python benchmarks/abc_coverage.py --keep results/abc_coverage   # keep the runs (a rerun resumes)

Each repetition draws a truth from the prior (word of mouth log-uniform on 0.004-0.06, the churn
hazard at zero appreciation uniform on 0.004-0.06), makes synthetic targets from it with
:func:`sim.calibration.simulate_targets` (customers of each firm at weeks 3, 6, 9 and 12 of
scenarios/research.toml at 300 people, one run on the repetition's own seed), then runs
:func:`sim.calibration.calibrate_abc` (25 particles, 3 generations, 1 run a candidate, a seed of
its own) and checks whether each parameter's 90% interval (the weighted 5%
and 95% quantiles of the last generation) holds the truth. A truth drawn from the prior is the
setting in which a calibrated posterior's 90% intervals cover the truth 90% of the time on
average. Prints one line per repetition and the coverage per parameter and overall, with the
mean narrowing (posterior 90% width over the prior's); exits 1 when the overall coverage is
below 80%, the issue's bar.

Not a test: the machine is shared, so the time is what this machine did when it ran.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from sim import load_scenario
from sim.calibration import Target, TargetSet, simulate_targets
from sim.calibration.abc import calibrate_abc
from sim.design import Distribution

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "scenarios" / "research.toml"
PRIORS = {
    "behaviours.adoption.word_of_mouth": Distribution(dist="loguniform", low=0.004, high=0.06),
    "behaviours.churn.unappreciated_rate": Distribution(dist="uniform", low=0.004, high=0.06),
}
WEEKS = (3, 6, 9, 12)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repetitions", type=int, default=20)
    parser.add_argument("--population-size", type=int, default=25)
    parser.add_argument("--generations", type=int, default=3)
    parser.add_argument("--runs", type=int, default=1, help="replicates per candidate and per truth")
    parser.add_argument("--size", type=int, default=300, help="people in the market")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--keep", metavar="DIR", help="keep the run cache here (a rerun resumes from it)")
    args = parser.parse_args()

    scenario = load_scenario(SCENARIO, {"market.size": args.size, "run.weeks": max(WEEKS)})
    template = TargetSet(
        {k: p.ends() for k, p in PRIORS.items()},
        [
            Target("series", WEEKS, (0.0,) * len(WEEKS), metric="customers", firm=firm, unit="week")
            for firm in ("us", "rival")
        ],
        priors=dict(PRIORS),
        runs=args.runs,
    )
    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="abc-coverage-"))
    rng = np.random.default_rng(2026)
    covered = {k: [] for k in PRIORS}
    narrowing = {k: [] for k in PRIORS}
    started = time.perf_counter()
    print(
        f"{args.repetitions} repetitions: {args.size} people x {max(WEEKS)} weeks, {args.population_size} particles, "
        f"{args.generations} generations, {args.runs} runs a candidate, {args.jobs} jobs"
    )
    try:
        for rep in range(args.repetitions):
            truth = {k: p.at(float(rng.uniform())) for k, p in PRIORS.items()}
            observed = simulate_targets(
                scenario.with_overrides(truth), template, runs=args.runs, seed=10_000 + 100 * rep, jobs=1
            )
            t0 = time.perf_counter()
            post = calibrate_abc(
                scenario,
                observed,
                seed=rep + 1,
                population_size=args.population_size,
                generations=args.generations,
                predictive_draws=2,
                truth=truth,
                out=folder / f"rep-{rep:02d}",
                jobs=args.jobs,
            )
            table = post.table_frame.set_index("parameter")
            parts = []
            for key in PRIORS:
                covered[key].append(bool(table.loc[key, "covered"]))
                narrowing[key].append(float(table.loc[key, "narrowing"]))
                parts.append(
                    f"{key.split('.')[-1]} {truth[key]:.4f} in [{table.loc[key, 'q05']:.4f}, {table.loc[key, 'q95']:.4f}]"
                    f" {'yes' if table.loc[key, 'covered'] else 'NO '}"
                )
            runs = int(post.diagnostics["runs"].sum())
            print(
                f"rep {rep:2d}: " + "; ".join(parts) + f"  ({runs} runs, {time.perf_counter() - t0:.0f} s)",
                flush=True,
            )
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    print()
    total = [c for values in covered.values() for c in values]
    for key in PRIORS:
        print(
            f"{key}: 90% intervals cover the truth in {sum(covered[key])} of {len(covered[key])} "
            f"({np.mean(covered[key]):.0%}); mean narrowing {np.mean(narrowing[key]):.2f}"
        )
    overall = float(np.mean(total))
    print(f"overall: {sum(total)} of {len(total)} intervals ({overall:.0%}); bar: at least 80%")
    print(f"{time.perf_counter() - started:.0f} s")
    return 0 if overall >= 0.8 else 1


if __name__ == "__main__":
    sys.exit(main())
