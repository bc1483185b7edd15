"""``sim game``: every combination of the firms' choices in a scenario's ``[game]`` table on the
same seeds, read for best responses, equilibria and dominance (:func:`sim.game.analyse`).

Example:
    >>> COMMAND.name
    'game'
"""

from __future__ import annotations

import argparse
import time
from typing import TYPE_CHECKING

from sim.cli.options import Command, add_execution_options, add_set_option, execution, out_folder, refuse

if TYPE_CHECKING:
    from sim.scenario import Scenario


def _arguments(game: argparse.ArgumentParser) -> None:
    add = game.add_argument
    add("scenario", metavar="SCENARIO", help="scenario file with a [game] table")
    add("--replicates", type=int, metavar="N", help="paired seeds per profile (default: game.replicates)")
    add("--seed", type=int, metavar="N", help="first seed (default: game.seed, else run.seed)")
    add("--out", metavar="DIR", help="output folder (default: results/<scenario name>/game/)")
    add("--iterate", action="store_true", help="also run the iterated best response over optimisable plans")
    add("--rounds", type=int, metavar="N", help="round limit of --iterate (default: game.iterate.rounds)")
    add("--trials", type=int, metavar="N", help="candidate plans per search of --iterate")
    add_set_option(game)
    add_execution_options(game)


def _run(args: argparse.Namespace, scenario: Scenario) -> int:
    from sim.game import analyse

    for option, value, low, high in (
        ("replicates", args.replicates, 2, 10_000),
        ("rounds", args.rounds, 1, 1000),
    ):
        if value is not None and not low <= value <= high:
            return refuse(f"--{option} {value}: must be a whole number from {low} to {high:,}")
    if (args.rounds is not None or args.trials is not None) and not args.iterate:
        return refuse("--rounds and --trials set the iterated best response: add --iterate")
    out = out_folder(args, scenario, "game")
    started = time.perf_counter()
    result = analyse(
        scenario, replicates=args.replicates, seed=args.seed, iterate=args.iterate, rounds=args.rounds,
        trials=args.trials, **execution(args, out),
    )  # fmt: skip
    result.write(out, figures=not args.no_figures, invocation=args.invocation)
    if not args.quiet:
        print(result.table())
        print(f"\n{time.perf_counter() - started:.1f} s; results in {out}/")
    return 0


COMMAND = Command(
    name="game",
    help="play every combination of the firms' choices ([game]) and find best responses and equilibria",
    description=(
        "Run every profile of the [game] table (one choice per firm: a strategy, budget, price, "
        "response personality or a `sim optimise` plan) on the same N seeds and report the payoff "
        "matrix (profit and customer equity, mean with 95% CI), each firm's best response to each "
        "choice of the others (beyond the noise or within it: the paired difference from the "
        "runner-up), the regret of each profile, the pure-strategy equilibria (robust or not), the "
        "dominated and dominant choices and, for two firms, the mixed equilibria. --iterate: each "
        "firm in turn optimises its plan against the others' until none improves beyond the noise. "
        "Writes game.json, payoffs.csv, best_responses.csv, iterate.csv and figures/. Rerun the "
        "same command to resume: finished runs are kept."
    ),
    arguments=_arguments,
    run=_run,
)
