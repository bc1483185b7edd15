"""``sim discover``: every candidate strategy in every market sampled over the scenario's
``[uncertainties]``, on the same seeds; regret, robustness and where each strategy wins
(:func:`sim.discover.discover`).

Example:
    >>> COMMAND.name
    'discover'
"""

from __future__ import annotations

import argparse
import time
from typing import TYPE_CHECKING

from sim.cli.options import Command, add_execution_options, add_set_option, execution, out_folder, refuse

if TYPE_CHECKING:
    from sim.scenario import Scenario


def _arguments(command: argparse.ArgumentParser) -> None:
    add = command.add_argument
    add(
        "scenario",
        metavar="SCENARIO",
        help="scenario file with an [uncertainties] table (and [discover] or [arms])",
    )
    add("--samples", type=int, metavar="N", help="markets to sample (default: discover.samples)")
    add("--design", choices=("lhs", "sobol"), help="Latin hypercube or Sobol' (a power of two markets)")
    add("--replicates", type=int, metavar="N", help="paired seeds per market (default: discover.replicates)")
    add(
        "--seed",
        type=int,
        metavar="N",
        help="first seed and the design's (default: discover.seed, else run.seed)",
    )
    add("--firm", metavar="NAME", help="whose outcomes are compared (default: discover.firm, else the first)")
    case = command.add_mutually_exclusive_group()
    case.add_argument(
        "--wins", metavar="STRATEGY", help="find where this strategy wins (default: each strategy)"
    )
    case.add_argument(
        "--fails", metavar="OUTCOME<X", help="find where --strategy misses a threshold, e.g. 'profit<50000'"
    )
    add("--strategy", metavar="NAME", help="whose failure --fails reads (default: the best on average)")
    add("--out", metavar="DIR", help="output folder (default: results/<scenario name>/discover/)")
    add_set_option(command)
    add_execution_options(command)


def _run(args: argparse.Namespace, scenario: Scenario) -> int:
    from sim.discover import discover

    if args.replicates is not None and not 1 <= args.replicates <= 10_000:
        return refuse(f"--replicates {args.replicates}: must be a whole number from 1 to 10,000")
    if args.strategy is not None and args.fails is None:
        return refuse("--strategy names whose failure --fails reads: add --fails OUTCOME<X")
    out = out_folder(args, scenario, "discover")
    started = time.perf_counter()
    result = discover(
        scenario, samples=args.samples, design=args.design, replicates=args.replicates, seed=args.seed,
        firm=args.firm, wins=args.wins, fails=args.fails, strategy=args.strategy, **execution(args, out),
    )  # fmt: skip
    result.write(out, figures=not args.no_figures, invocation=args.invocation)
    if not args.quiet:
        print(result.table())
        print(f"\n{time.perf_counter() - started:.1f} s; results in {out}/")
    return 0


COMMAND = Command(
    name="discover",
    help="run every strategy in markets sampled over [uncertainties]: regret, robust choices, where each wins",
    description=(
        "Sample markets over the scenario's [uncertainties] (a Latin hypercube or Sobol' design; a "
        "list of values is sampled uniformly), run every candidate strategy ([discover] strategies, "
        "else the [arms]) in every market on the same seeds, and report each strategy's robustness "
        "(mean, spread and worst case of profit and customer equity, maximum and 90th-percentile "
        "regret, the share of markets meeting the [discover] targets), the robust choice under each "
        "criterion with what it gives up against the best on average, how many markets' winners "
        "rest on the seeds, and where each strategy wins (PRIM box and a classification tree; or "
        "--wins STRATEGY, or --fails 'OUTCOME<X'). Writes discover.parquet/.csv, markets.csv, "
        "regret.csv, robustness.csv, robust_choices.csv, discover.json, conditions/ and figures/. "
        "Rerun the same command to resume: finished runs are kept."
    ),
    arguments=_arguments,
    run=_run,
)
