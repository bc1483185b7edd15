"""``sim calibrate``: fit parameters to observed targets (:func:`sim.calibrate`), or find their
posterior by approximate Bayesian computation (``--method abc``: :func:`sim.calibration.calibrate_abc`).

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
    from pathlib import Path

    from sim.calibration import TargetSet
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
        "--method",
        choices=["differential_evolution", "nelder-mead", "abc"],
        help="the optimiser, or abc: the posterior by ABC-SMC (default: the file's, else differential_evolution)",
    )
    abc = calibrate.add_argument_group("Bayesian calibration (--method abc; defaults: the file's [settings])")
    abc.add_argument(
        "--population-size", type=int, metavar="N", help="particles per generation (default 100)"
    )
    abc.add_argument("--generations", type=int, metavar="G", help="generations at most (default 5)")
    abc.add_argument(
        "--min-epsilon",
        type=float,
        metavar="E",
        help="stop once the distance threshold is this small (default 0)",
    )
    abc.add_argument(
        "--predictive-draws",
        type=int,
        metavar="N",
        help="posterior draws simulated for the bands (default 40)",
    )
    abc.add_argument(
        "--truth",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a known true value (synthetic targets): marked in the figures, checked against the intervals",
    )
    calibrate.add_argument(
        "--seed", type=int, metavar="N", help="first seed (default: the file's, else run.seed)"
    )
    calibrate.add_argument(
        "--out", metavar="DIR", help="output folder (default: results/<scenario name>/calibrate/)"
    )
    add_set_option(calibrate)
    add_execution_options(calibrate)


def _truth(pairs: list[str]) -> dict[str, float] | None:
    """``--truth KEY=VALUE`` options (None when there are none)."""
    from sim.scenario import ScenarioError

    truth = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        try:
            truth[key.strip()] = float(value)
        except ValueError:
            sep = ""
        if not sep or not key.strip():
            raise ScenarioError(
                f"--truth {pair!r}: expected KEY=NUMBER, e.g. --truth behaviours.dormancy.weeks=20"
            )
    return truth or None


def _run(args: argparse.Namespace, scenario: Scenario) -> int:
    from sim.calibration import calibrate, format_calibration, load_targets, write_calibration
    from sim.scenario import ScenarioError

    out = out_folder(args, scenario, "calibrate")
    targets = load_targets(args.targets, scenario, params(args.params))
    if (args.method or targets.method) == "abc":
        return _run_abc(args, scenario, targets, out)
    given = [
        o
        for o in ("population_size", "generations", "min_epsilon", "predictive_draws")
        if getattr(args, o) is not None
    ]
    if given or args.truth:
        option = f"--{given[0].replace('_', '-')}" if given else "--truth"
        raise ScenarioError(f"{option}: applies only to --method abc (Bayesian calibration)")
    result = calibrate(
        scenario,
        targets,
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


def _run_abc(args: argparse.Namespace, scenario: Scenario, targets: TargetSet, out: Path) -> int:
    from sim.calibration import calibrate_abc
    from sim.scenario import ScenarioError

    if args.max_evaluations is not None:
        raise ScenarioError("--max-evaluations: applies to the point fit; --method abc takes --generations")
    settings = execution(args, out)
    result = calibrate_abc(
        scenario,
        targets,
        runs=args.runs,
        seed=args.seed,
        population_size=args.population_size,
        generations=args.generations,
        min_epsilon=args.min_epsilon,
        predictive_draws=args.predictive_draws,
        truth=_truth(args.truth),
        options=True,
        **settings,
    )
    result.write(out, figures=not args.no_figures, invocation=args.invocation)
    if not args.quiet:
        print(result.table())
        print(f"\n{result.fit['seconds']:.1f} s; posterior in {out}/posterior.csv, figures in {out}/figures/")
    return 0


COMMAND = Command(
    name="calibrate",
    help="fit parameters (within bounds) to observed targets",
    description=(
        "Fit the parameters of a targets file (or --param) so that the scenario's simulated "
        "targets (means over R seeds, the same for every candidate) match the observed ones. "
        "Writes fitted.toml, fit.json, trace.parquet, trace.csv and figures/fit.png. With --method abc: "
        "the posterior by approximate Bayesian computation (ABC-SMC), resumable and the same for any "
        "--jobs; writes posterior.csv, posterior_table.csv, abc_diagnostics.csv, predictive.csv, abc.json, "
        "figures/posterior_pairs.png and figures/posterior_predictive.png."
    ),
    arguments=_arguments,
    run=_run,
)
