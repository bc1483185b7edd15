"""``sim facts``: the model's stylised facts against the seeds and the literature (:func:`sim.measure_facts`).

Example:
    >>> COMMAND.name, COMMAND.default_scenario
    ('facts', True)
"""

from __future__ import annotations

import argparse
import time
from typing import TYPE_CHECKING

from sim.cli.options import Command, add_set_option, out_folder

if TYPE_CHECKING:
    from sim.scenario import Scenario


def _arguments(facts: argparse.ArgumentParser) -> None:
    facts.add_argument(
        "scenario", nargs="?", metavar="SCENARIO", help="scenario file (default: built-in defaults)"
    )
    facts.add_argument("--seed", type=int, metavar="N", help="seed (default: the scenario's run.seed)")
    facts.add_argument("--out", metavar="DIR", help="output folder (default: results/<scenario name>/facts/)")
    add_set_option(facts)


def _run(args: argparse.Namespace, scenario: Scenario) -> int:
    from sim.facts import measure_facts

    started = time.perf_counter()
    result = measure_facts(scenario, seed=args.seed)
    out = out_folder(args, scenario, "facts")
    result.write(out, invocation=args.invocation)
    print(result.table())
    total = len(result.facts)
    print(
        f"\n{total - result.outside} of {total} within range; {time.perf_counter() - started:.1f} s; facts.json in {out}/"
    )
    return 0


COMMAND = Command(
    name="facts",
    help="compare the model's stylised facts with the seeds and the literature",
    description=(
        "Run the scenario (default: the built-in defaults) once with every firm on neglect and "
        "once with the first firm on conquest and the second on relations, and print, per "
        "stylised fact, its source, target range, simulated value and whether it is within. "
        "Writes facts.json."
    ),
    arguments=_arguments,
    run=_run,
    default_scenario=True,
)
