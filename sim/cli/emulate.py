"""``sim emulate``: fit a surrogate of a design's outcomes for instant what-ifs (:func:`sim.emulate.fit_emulator`).

Example:
    >>> COMMAND.name, COMMAND.reads_scenario
    ('emulate', False)
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from sim.cli.options import Command, refuse


def _arguments(emulate: argparse.ArgumentParser) -> None:
    emulate.add_argument(
        "results", metavar="RESULTS_DIR", help="the --out folder of sim sweep (sweep.parquet) or sim discover"
    )
    emulate.add_argument(
        "--outcomes",
        metavar="A,B",
        help="outcomes to emulate, comma-separated (default: profit,customer_equity; see docs/model.md, Metrics)",
    )
    emulate.add_argument(
        "--firm", metavar="NAME", help="the firm whose outcomes are emulated (default: the first)"
    )
    emulate.add_argument(
        "--per",
        choices=("point", "run"),
        default="point",
        help="fit the mean over replicates of each design point (default), or every run",
    )
    emulate.add_argument(
        "--folds", type=int, default=5, metavar="K", help="k of the k-fold cross-validation (default 5)"
    )
    emulate.add_argument("--out", metavar="DIR", help="output folder (default: RESULTS_DIR/emulator/)")
    emulate.add_argument("--quiet", action="store_true", help="print nothing but errors")


def _run(args: argparse.Namespace) -> int:
    from sim.emulate import EmulatorError, fit_emulator, parse_outcomes

    started = time.perf_counter()
    if not 2 <= args.folds <= 100:
        return refuse(f"--folds {args.folds}: must be a whole number from 2 to 100")
    try:
        result = fit_emulator(
            args.results,
            outcomes=parse_outcomes(args.outcomes),
            firm=args.firm,
            per=args.per,
            folds=args.folds,
        )
    except EmulatorError as error:
        return refuse(str(error))
    out = Path(args.out) if args.out else Path(args.results, "emulator")
    result.write(out, invocation=args.invocation)
    if not args.quiet:
        print(result.table())
        print(
            f"\nfitted in {time.perf_counter() - started:.1f} s; emulator.joblib and emulator.json in {out}/"
        )
    return 0


COMMAND = Command(
    name="emulate",
    help="fit a fast surrogate (Gaussian process or boosted trees) of a sweep's or discover design's outcomes",
    description=(
        "Fit a surrogate of each outcome over the design's inputs (a Gaussian process or gradient-"
        "boosted trees, whichever has the lower k-fold cross-validated error), print the "
        "cross-validated RMSE, MAE, R^2 and the error as a share of the outcome's spread, and write "
        "emulator.joblib and emulator.json. `sim dashboard SCENARIO --emulator DIR` then answers "
        "what-ifs from it at once. A quick what-if, not a result: confirm with the real simulation."
    ),
    arguments=_arguments,
    run=_run,
    reads_scenario=False,
)
