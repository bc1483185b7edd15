"""``sim run``: one simulation of a scenario (:func:`sim.simulate`), or R replicates (:func:`sim.replicate`).

Example:
    >>> COMMAND.name, COMMAND.reads_scenario
    ('run', True)
"""

from __future__ import annotations

import argparse
import time
from typing import TYPE_CHECKING

from sim.cli.options import Command, add_execution_options, add_set_option, execution, out_folder

if TYPE_CHECKING:
    from sim.scenario import Scenario


def _arguments(run: argparse.ArgumentParser) -> None:
    run.add_argument(
        "scenario", metavar="SCENARIO", help="scenario file (TOML), e.g. scenarios/baseline.toml"
    )
    run.add_argument(
        "--seed", type=int, metavar="N", help="replicate seed (default: the scenario's run.seed)"
    )
    run.add_argument(
        "--out",
        metavar="DIR",
        help="output folder (default: results/<scenario name>/ under the current folder)",
    )
    add_set_option(run)
    run.add_argument(
        "--runs",
        type=int,
        default=1,
        metavar="R",
        help="replicates on seeds N, N+1, ...; with R > 1 writes runs.parquet and a summary of "
        "means with 95%% confidence intervals (default 1)",
    )
    add_execution_options(run)


def _run(args: argparse.Namespace, scenario: Scenario) -> int:
    if args.runs > 1:
        return _replicate(args, scenario)
    from sim.simulation import simulate

    started = time.perf_counter()
    result = simulate(scenario, seed=args.seed, progress=not args.quiet)
    elapsed = time.perf_counter() - started
    out = out_folder(args, scenario)
    result.write(out, figures=not args.no_figures, invocation=args.invocation)
    if not args.quiet:
        print(result.table())
        market = scenario.market
        people = f"{market.size:,} people"
        if market.simulated is not None:  # population scaling (sim.scaling)
            people += f" (simulated {market.simulated:,}, each standing for {market.scale:,.4g})"
        print(f"\n{people} x {result.summary['weeks']} weeks in {elapsed:.1f} s; results in {out}/")
    return 0


def _replicate(args: argparse.Namespace, scenario: Scenario) -> int:
    from sim.experiments import replicate

    out = out_folder(args, scenario)
    started = time.perf_counter()
    reps = replicate(scenario, runs=args.runs, seed=args.seed, **execution(args, out))
    reps.write(out, figures=not args.no_figures, invocation=args.invocation)
    if not args.quiet:
        print(reps.table())
        print(f"\n{args.runs} runs in {time.perf_counter() - started:.1f} s; results in {out}/")
    return 0


COMMAND = Command(
    name="run",
    help="run one simulation of a scenario file and write its results",
    description=(
        "Run one simulation, print a per-firm summary and write summary.json, timeseries.csv, "
        "customers.parquet, scenario.resolved.toml and figures/ to the output folder."
    ),
    arguments=_arguments,
    run=_run,
)
