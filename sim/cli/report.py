"""``sim report``: the client report of a scenario's arms or firms (:func:`sim.report`).

Example:
    >>> COMMAND.name
    'report'
"""

from __future__ import annotations

import argparse
import time
from typing import TYPE_CHECKING

from sim.cli.options import Command, add_set_option, out_folder, overrides

if TYPE_CHECKING:
    from sim.scenario import Scenario


def _arguments(report: argparse.ArgumentParser) -> None:
    report.add_argument("scenario", metavar="SCENARIO", help="scenario file (TOML), with or without [arms]")
    report.add_argument("--runs", type=int, default=10, metavar="R", help="seeds per arm (default 10)")
    report.add_argument("--seed", type=int, metavar="N", help="first seed (default: the scenario's run.seed)")
    report.add_argument(
        "--out", metavar="DIR", help="output folder (default: results/<scenario name>/report/)"
    )
    report.add_argument(
        "--jobs",
        type=int,
        metavar="J",
        help="processes to run on (default: this one when the runs are too small for more to pay, "
        "else every core); results do not depend on it",
    )
    add_set_option(report)
    report.add_argument("--quiet", action="store_true", help="print nothing but errors (no progress bar)")


def _run(args: argparse.Namespace, scenario: Scenario) -> int:
    from sim.report import report

    out = out_folder(args, scenario, "report")
    started = time.perf_counter()
    result = report(
        scenario,
        runs=args.runs,
        seed=args.seed,
        out=out,
        jobs=args.jobs,
        progress=not args.quiet,
        source=args.scenario,
        overrides=overrides(args.overrides),
    )
    page = result.write(out, invocation=args.invocation) / "report.html"
    if not args.quiet:
        print(
            f"report written to {page} in {time.perf_counter() - started:.1f} s "
            f"(the executed notebook beside it: {page.with_suffix('.ipynb').name})"
        )
    return 0


COMMAND = Command(
    name="report",
    help="write report.html: a client-ready page of the strategy comparison, with figures",
    description=(
        "Run the scenario's arms (or, without [arms], its firms) on R paired seeds, execute the "
        "report notebook and write report.html (one self-contained page: executive summary, "
        "comparison table with 95%% CIs, figures; no code, nothing fetched from the network) and "
        "report.ipynb (the executed notebook, to open and adapt) to the output folder. See "
        "docs/report.md."
    ),
    arguments=_arguments,
    run=_run,
)
