"""The table of ``sim`` commands: every command the ``sim`` command offers, in the order its help lists them.

A command is a :class:`sim.cli.options.Command`: its name, help, arguments and adapter, defined in
a module of its own beside this one. Adding a command is adding its module and one row here.

Example:
    >>> list(COMMANDS)[:4]
    ['run', 'compare', 'events', 'sweep']
"""

from __future__ import annotations

from sim.cli import (
    calibrate,
    compare,
    dashboard,
    discover,
    emulate,
    events,
    facts,
    game,
    optimise,
    report,
    run,
    sensitivity,
    sweep,
    targets,
    transactions,
    validate,
)
from sim.cli.options import Command

COMMANDS: dict[str, Command] = {
    command.name: command
    for command in (
        run.COMMAND,
        compare.COMMAND,
        events.COMMAND,
        sweep.COMMAND,
        emulate.COMMAND,
        report.COMMAND,
        facts.COMMAND,
        sensitivity.COMMAND,
        calibrate.COMMAND,
        transactions.COMMAND,
        targets.FROM_SIM,
        targets.FROM_LOG,
        optimise.COMMAND,
        game.COMMAND,
        discover.COMMAND,
        dashboard.COMMAND,
        validate.COMMAND,
    )
}
