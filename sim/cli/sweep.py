"""``sim sweep``: the design of a scenario's ``[sweep]`` table (:func:`sim.sweep`).

Example:
    >>> COMMAND.name
    'sweep'
"""

from __future__ import annotations

import argparse
import time
from typing import TYPE_CHECKING

from sim.cli.options import Command, add_experiment_options, execution, out_folder

if TYPE_CHECKING:
    from sim.scenario import Scenario


def _arguments(sweep: argparse.ArgumentParser) -> None:
    sweep.add_argument("scenario", metavar="SCENARIO", help="scenario file with a [sweep] table")
    sweep.add_argument("--runs", type=int, metavar="R", help="replicates per point (default: sweep.runs)")
    add_experiment_options(sweep, "firm shown in the figures", "sweep")


def _run(args: argparse.Namespace, scenario: Scenario) -> int:
    from sim.experiments import sweep

    out = out_folder(args, scenario, "sweep")
    started = time.perf_counter()
    result = sweep(scenario, runs=args.runs, seed=args.seed, firm=args.firm, **execution(args, out))
    result.write(out, figures=not args.no_figures, invocation=args.invocation)
    if not args.quiet:
        runs = result["point"].nunique() * result["run"].nunique()
        print(result.table())
        print(f"\n{runs} runs in {time.perf_counter() - started:.1f} s; results in {out}/")
    return 0


COMMAND = Command(
    name="sweep",
    help="run the design of a scenario's [sweep] table (grid or Latin hypercube)",
    description=(
        "Run every point of the [sweep] design for R replicates and write sweep.parquet (one row "
        "per point x replicate x firm with the swept values and every summary metric) and a "
        "figure per swept key."
    ),
    arguments=_arguments,
    run=_run,
)
