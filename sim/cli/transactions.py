"""``sim transactions``: a scenario's purchases as a transaction log (:func:`sim.simulate_transactions`).

Example:
    >>> COMMAND.name, COMMAND.out_is_file
    ('transactions', True)
"""

from __future__ import annotations

import argparse
import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sim.cli.options import Command, add_set_option

if TYPE_CHECKING:
    from sim.scenario import Scenario


def _arguments(transactions: argparse.ArgumentParser) -> None:
    transactions.add_argument("scenario", metavar="SCENARIO", help="scenario file (TOML)")
    transactions.add_argument(
        "--out",
        metavar="FILE",
        help="FILE.csv or FILE.parquet (default: results/<name>/transactions.parquet)",
    )
    transactions.add_argument("--seed", type=int, metavar="N", help="replicate seed (default: run.seed)")
    transactions.add_argument(
        "--start-date", metavar="YYYY-MM-DD", help="date of week 0 (default: run.start_date, 2026-01-05)"
    )
    add_set_option(transactions)
    transactions.add_argument("--quiet", action="store_true", help="print nothing but errors")


def _run(args: argparse.Namespace, scenario: Scenario) -> int:
    from sim.scenario import ScenarioError
    from sim.transactions import simulate_transactions

    out = Path(args.out) if args.out else Path("results") / scenario.name / "transactions.parquet"
    start = None
    if args.start_date is not None:
        try:
            start = datetime.date.fromisoformat(args.start_date)
        except ValueError as error:
            raise ScenarioError(f"--start-date {args.start_date!r}: {error}; expected YYYY-MM-DD") from None
    result = simulate_transactions(scenario, seed=args.seed, start_date=start, progress=not args.quiet)
    try:
        result.write(out, invocation=args.invocation)
    except ValueError as error:
        raise ScenarioError(f"--out: {error}") from None
    if not args.quiet:
        print(f"{result.table()}; written to {out}")
    return 0


COMMAND = Command(
    name="transactions",
    help="run a scenario and export its purchases as a transaction log",
    description=(
        "Run the scenario once with transaction recording on and write one row per buyer and "
        "week: customer_id, date, amount, firm, week, purchases (CSV or parquet)."
    ),
    arguments=_arguments,
    run=_run,
    out_is_file=True,
)
