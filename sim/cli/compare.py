"""``sim compare``: every arm of a scenario on the same seeds (:func:`sim.compare`).

Example:
    >>> COMMAND.name
    'compare'
"""

from __future__ import annotations

import argparse
import time
from typing import TYPE_CHECKING

from sim.cli.options import Command, add_experiment_options, execution, out_folder

if TYPE_CHECKING:
    from sim.scenario import Scenario


def _arguments(compare: argparse.ArgumentParser) -> None:
    compare.add_argument("scenario", metavar="SCENARIO", help="scenario file with [arms.<label>] tables")
    compare.add_argument("--runs", type=int, default=20, metavar="R", help="seeds per arm (default 20)")
    add_experiment_options(compare, "firm whose metrics are compared", "compare")


def _run(args: argparse.Namespace, scenario: Scenario) -> int:
    from sim.experiments import compare

    out = out_folder(args, scenario, "compare")
    started = time.perf_counter()
    result = compare(scenario, runs=args.runs, firm=args.firm, seed=args.seed, **execution(args, out))
    result.write(out, invocation=args.invocation)
    if not args.quiet:
        print(result.table())
        print(f"\n{len(result.results)} runs in {time.perf_counter() - started:.1f} s; results in {out}/")
    return 0


COMMAND = Command(
    name="compare",
    help="run every [arms.<label>] of a scenario on the same seeds and compare them",
    description=(
        "Run each arm of the scenario on the same R seeds (common random numbers) and report, "
        "per arm and metric, the mean with its 95% CI, and per metric the paired difference "
        "against the first arm with its 95% CI, the probability the arm is better, and how much "
        "pairing narrowed (or widened) the interval compared with unpaired runs. Writes "
        "comparison.json and comparison.csv."
    ),
    arguments=_arguments,
    run=_run,
)
