"""``sim targets-from-sim`` and ``sim targets-from-log``: calibration targets from a simulation or a log.

``targets-from-sim`` writes a targets file whose observed values are a scenario's simulated means
(synthetic data with known parameters, :func:`sim.calibration.simulate_targets`);
``targets-from-log`` measures a cohort's curves in a transaction log
(:func:`sim.transactions.targets_from_log`). Both write a targets file for ``sim calibrate``.

Example:
    >>> FROM_SIM.out_is_file, FROM_LOG.reads_scenario
    (True, False)
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from sim.cli.options import PARAM, Command, add_execution_options, add_set_option, params, refuse

if TYPE_CHECKING:
    from sim.scenario import Scenario


def _from_sim_arguments(synthetic: argparse.ArgumentParser) -> None:
    synthetic.add_argument("scenario", metavar="SCENARIO", help="scenario file (TOML)")
    synthetic.add_argument("--targets", required=True, metavar="FILE", help="targets file (values optional)")
    synthetic.add_argument("--out", required=True, metavar="FILE", help="the targets file to write (TOML)")
    synthetic.add_argument("--runs", type=int, default=8, metavar="R", help="replicates averaged (default 8)")
    synthetic.add_argument("--seed", type=int, metavar="N", help="first seed (default: run.seed)")
    add_set_option(synthetic)
    add_execution_options(synthetic)


def _from_sim(args: argparse.Namespace, scenario: Scenario) -> int:
    from sim.calibration import load_targets, simulate_targets, write_target_set
    from sim.execution import seeds_for
    from sim.scenario import ScenarioError

    template = load_targets(args.targets, scenario, template=True)
    started = time.perf_counter()
    execution = {"jobs": args.jobs, "cluster": args.cluster, "progress": not args.quiet}
    try:
        synthetic = simulate_targets(scenario, template, runs=args.runs, seed=args.seed, **execution)
    except ValueError as error:
        raise ScenarioError(f"{args.targets}: {error}") from None
    seeds = seeds_for(scenario, args.runs, args.seed)
    truth = " ".join(f"--set {pair}" for pair in args.overrides) or "(no overrides)"
    header = (
        f"Synthetic targets: {args.targets} measured on {args.scenario} {truth},\n"
        f"means of {args.runs} runs (seeds {seeds[0]}-{seeds[-1]}), by `sim targets-from-sim`."
    )
    write_target_set(synthetic, args.out, header)
    if not args.quiet:
        for target in synthetic.targets:
            values = ", ".join(
                f"{p}: {v:.4g}" for p, v in zip(target.point_labels(), target.values, strict=False)
            )
            print(f"{target.label}: {values}")
        print(f"\n{args.runs} runs in {time.perf_counter() - started:.1f} s; targets written to {args.out}")
    return 0


def _from_log_arguments(targets: argparse.ArgumentParser) -> None:
    targets.add_argument("log", metavar="LOG", help="the transaction log")
    targets.add_argument("--out", required=True, metavar="FILE", help="the targets file to write (TOML)")
    targets.add_argument(
        "--weeks-since",
        default="4,13,26,52",
        metavar="K,K,...",
        help="curve points in weeks (default 4,13,26,52)",
    )
    targets.add_argument(
        "--window",
        type=int,
        default=13,
        metavar="W",
        help="retention: weeks in which a purchase counts (default 13)",
    )
    targets.add_argument(
        "--cohort-start", metavar="YYYY-MM-DD", help="first day of first purchases in the cohort"
    )
    targets.add_argument(
        "--cohort-end", metavar="YYYY-MM-DD", help="last day of first purchases in the cohort"
    )
    targets.add_argument(
        "--observed-until", metavar="YYYY-MM-DD", help="last day observed (default: the last date)"
    )
    targets.add_argument(
        "--firm", metavar="NAME", help="use only this firm's rows (a log with a firm column)"
    )
    targets.add_argument(
        "--customer-column", default="customer_id", metavar="NAME", help="default customer_id"
    )
    targets.add_argument("--date-column", default="date", metavar="NAME", help="default date")
    targets.add_argument("--amount-column", default="amount", metavar="NAME", help="default amount")
    targets.add_argument(
        "--param", **{**PARAM, "help": "a parameter to fit, written to [uncertainties]; repeatable"}
    )
    targets.add_argument("--runs", type=int, metavar="R", help="written to [settings] runs")
    targets.add_argument(
        "--max-evaluations", type=int, metavar="N", help="written to [settings] max_evaluations"
    )


def _from_log(args: argparse.Namespace) -> int:
    from sim.scenario import ScenarioError
    from sim.transactions import describe_curves, read_log, targets_from_log, write_targets

    try:
        weeks_since = [int(k) for k in args.weeks_since.split(",") if k.strip()]
    except ValueError:
        print(
            f"error: --weeks-since {args.weeks_since!r}: expected whole numbers, e.g. 4,13,26,52",
            file=sys.stderr,
        )
        return 2
    settings = {
        k: v for k, v in (("runs", args.runs), ("max_evaluations", args.max_evaluations)) if v is not None
    }
    try:
        log = read_log(args.log, args.customer_column, args.date_column, args.amount_column)
        data, curves = targets_from_log(
            log,
            weeks_since,
            window=args.window,
            cohort_start=args.cohort_start,
            cohort_end=args.cohort_end,
            observed_until=args.observed_until,
            firm=args.firm,
            parameters=params(args.params),
            settings=settings,
        )
    except (OSError, ValueError, ScenarioError) as error:
        message = str(error)  # most name the log already
        return refuse(message if message.startswith(args.log) else f"{args.log}: {message}")
    write_targets(data, Path(args.out), describe_curves(curves, args.log))
    print(describe_curves(curves, args.log))
    for target in data["targets"]:
        points = ", ".join(
            f"k={k}: {v:.4f}" for k, v in zip(target["weeks_since"], target["values"], strict=True)
        )
        print(f"{target['kind']}: {points}")
    print(f"targets written to {args.out}")
    return 0


FROM_SIM = Command(
    name="targets-from-sim",
    help="simulate a targets file's values (synthetic data with known parameters)",
    description=(
        "Run the scenario (with any --set values: the 'true' parameters) on R seeds, measure "
        "every target of a targets file (whose values may be left out) and write the file with "
        "the simulated means as observed values: data with known parameters for checking that "
        "sim calibrate recovers them."
    ),
    arguments=_from_sim_arguments,
    run=_from_sim,
    out_is_file=True,
)
FROM_LOG = Command(
    name="targets-from-log",
    help="derive calibration targets (repeat purchases, retention) from a transaction log",
    description=(
        "Measure a cohort's repeat-purchase curve and activity-retention curve in a transaction "
        "log (CSV or parquet with customer, date and amount columns; a CDNOW .txt or .txt.gz; or "
        "a lifetimes wheel for the full CDNOW log) and write them as a targets file."
    ),
    arguments=_from_log_arguments,
    run=_from_log,
    reads_scenario=False,
    out_is_file=True,
)
