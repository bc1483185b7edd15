"""``sim sensitivity``: global sensitivity analysis of a firm's outcomes (:func:`sim.sensitivity`).

Example:
    >>> COMMAND.name
    'sensitivity'
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from sim.cli.options import PARAM, Command, add_experiment_options, execution, out_folder, params

if TYPE_CHECKING:
    from sim.scenario import Scenario


def _arguments(sensitivity: argparse.ArgumentParser) -> None:
    sensitivity.add_argument("scenario", metavar="SCENARIO", help="scenario file (TOML)")
    sensitivity.add_argument("--param", **PARAM)
    sensitivity.add_argument("--method", choices=["sobol", "morris"], help="default: the file's, else sobol")
    sensitivity.add_argument(
        "--samples", type=int, metavar="N", help="Sobol base samples (a power of two) or Morris trajectories"
    )
    sensitivity.add_argument(
        "--outcome",
        dest="outcomes",
        action="append",
        metavar="NAME",
        help="a per-firm summary metric, e.g. profit, ltv, cac, retention_yearly, customers_end; repeatable",
    )
    sensitivity.add_argument(
        "--runs", type=int, metavar="R", help="replicates per point (default: the file's, else 1)"
    )
    add_experiment_options(sensitivity, "firm whose outcomes are analysed", "sensitivity")


def _run(args: argparse.Namespace, scenario: Scenario) -> int:
    from sim.sensitivity import format_sensitivity, sensitivity, write_sensitivity

    out = out_folder(args, scenario, "sensitivity")
    result = sensitivity(
        scenario,
        uncertainties=params(args.params),
        method=args.method,
        samples=args.samples,
        outcomes=args.outcomes,
        firm=args.firm,
        runs=args.runs,
        seed=args.seed,
        **execution(args, out),
    )
    write_sensitivity(result, scenario, out, figures=not args.no_figures, invocation=args.invocation)
    if not args.quiet:
        print(format_sensitivity(result))
        print(
            f"\n{result.info['points'] * result.info['runs']} runs in {result.info['seconds']:.1f} s; results in {out}/"
        )
    return 0


COMMAND = Command(
    name="sensitivity",
    help="global sensitivity analysis (Sobol or Morris) of a firm's outcomes to parameter ranges",
    description=(
        "Sample the parameter ranges (the scenario's [sensitivity] table or --param), run every "
        "point on the same R seeds and write sensitivity.json and sensitivity.parquet (Sobol S1, "
        "S1_conf, ST, ST_conf or Morris mu_star, mu_star_conf, sigma per outcome and parameter), "
        "sensitivity_design.parquet and figures/sensitivity.png."
    ),
    arguments=_arguments,
    run=_run,
)
