"""``sim calibrate``: fit parameters to observed targets (:func:`sim.calibrate`).

Example:
    >>> COMMAND.name
    'calibrate'
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from sim.cli.options import (
    PARAM,
    Command,
    add_execution_options,
    add_set_option,
    execution,
    out_folder,
    params,
)

if TYPE_CHECKING:
    from sim.scenario import Scenario


def _arguments(calibrate: argparse.ArgumentParser) -> None:
    calibrate.add_argument("scenario", metavar="SCENARIO", help="scenario file (TOML)")
    calibrate.add_argument(
        "--targets", required=True, metavar="FILE", help="targets file (TOML; docs/research.md)"
    )
    calibrate.add_argument("--param", **PARAM)
    calibrate.add_argument(
        "--runs", type=int, metavar="R", help="replicates per candidate (default: the file's, else 4)"
    )
    calibrate.add_argument(
        "--max-evaluations",
        type=int,
        metavar="N",
        help="candidates to evaluate (default: the file's, else 60)",
    )
    calibrate.add_argument(
        "--method", choices=["differential_evolution", "nelder-mead"], help="the optimiser"
    )
    calibrate.add_argument(
        "--seed", type=int, metavar="N", help="first seed (default: the file's, else run.seed)"
    )
    calibrate.add_argument(
        "--out", metavar="DIR", help="output folder (default: results/<scenario name>/calibrate/)"
    )
    add_set_option(calibrate)
    add_execution_options(calibrate)


def _run(args: argparse.Namespace, scenario: Scenario) -> int:
    from sim.calibration import calibrate, format_calibration, write_calibration

    out = out_folder(args, scenario, "calibrate")
    result = calibrate(
        scenario,
        args.targets,
        uncertainties=params(args.params),
        runs=args.runs,
        seed=args.seed,
        max_evaluations=args.max_evaluations,
        method=args.method,
        **execution(args, out),
    )
    write_calibration(result, out, figures=not args.no_figures, invocation=args.invocation)
    if not args.quiet:
        print(format_calibration(result))
        print(f"\n{result.fit['seconds']:.1f} s; fitted scenario in {out}/fitted.toml, the fit in {out}/")
    return 0


COMMAND = Command(
    name="calibrate",
    help="fit parameters (within bounds) to observed targets",
    description=(
        "Fit the parameters of a targets file (or --param) so that the scenario's simulated "
        "targets (means over R seeds, the same for every candidate) match the observed ones. "
        "Writes fitted.toml, fit.json, trace.parquet, trace.csv and figures/fit.png."
    ),
    arguments=_arguments,
    run=_run,
)
