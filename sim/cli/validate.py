"""``sim validate``: check a scenario file (and its overrides) without running it.

The table of commands loads the scenario before any adapter runs (and refuses a bad one with exit
status 2), so validating is saying what was loaded.

Example:
    >>> COMMAND.name, COMMAND.records
    ('validate', False)
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from sim.cli.options import Command, add_set_option

if TYPE_CHECKING:
    from sim.scenario import Scenario


def _arguments(validate: argparse.ArgumentParser) -> None:
    validate.add_argument("scenario", metavar="SCENARIO", help="scenario file (TOML)")
    add_set_option(validate)


def _run(args: argparse.Namespace, scenario: Scenario) -> int:
    print(
        f"{args.scenario}: valid ({len(scenario.firms)} firms, {scenario.market.size} people"
        f"{'' if scenario.market.simulated is None else f' simulated on {scenario.market.simulated}'}, "
        f"{scenario.run.weeks} weeks)"
    )
    return 0


COMMAND = Command(
    name="validate",
    help="check a scenario file (and overrides) without running it",
    description="Validate a scenario file; exit status 2 and a message if it is invalid.",
    arguments=_arguments,
    run=_run,
    records=False,  # it writes nothing (and need not read the package's metadata)
)
