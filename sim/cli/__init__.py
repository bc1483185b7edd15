"""The ``sim`` command: a table of commands, each a thin adapter from its arguments to a workflow.

Owns the command line's dispatch: the parser is built from the table (:data:`sim.cli.commands.COMMANDS`,
each command's arguments defined with its adapter in a module of its own), and :func:`main` parses,
checks the options, loads the scenario and hands both to the command's adapter, which calls the
workflow of the Python API, prints the result's table and writes its files. Everything a command
does is available from ``sim`` in Python. Exit status 0 on success, 2 on a bad scenario or
argument (with a message naming the file, dotted key and value, and nothing written), 1 on an
unexpected error, 130 when interrupted.

``sim --help`` and ``sim validate`` load none of NumPy, SciPy, pandas, numba or Mesa: the adapters
import the workflows when they run, after the arguments are parsed.

Example:
    >>> main(["validate", "scenarios/baseline.toml"])
    scenarios/baseline.toml: valid (2 firms, 10000 people, 260 weeks)
    0
"""

from __future__ import annotations

import argparse
import functools
import importlib
import sys
import warnings
from typing import Any

from sim.cli.commands import COMMANDS
from sim.cli.options import EPILOG, Version, check_options, named, overrides, refuse

# Names this module held before the command line became a package, and where they live now.
_MOVED = {
    "format_summary": "sim.formatting",
    "ROWS_WITH_METRIC": "sim.formatting",
    "format_comparison": "sim.experiments",
    "format_rankings": "sim.experiments",
    "COMPARED": "sim.experiments",
    "out_problem": "sim.cli.options",
    "DEFAULTS": "sim.cli.options",
}


@functools.cache
def parser() -> argparse.ArgumentParser:
    """The parser of every command (made once: parsing does not change it)."""
    top = argparse.ArgumentParser(
        prog="sim",
        description=(
            "Simulate customers on a referral network under competing firm strategies "
            "(conquest vs relations) and report acquisition cost, retention and lifetime value."
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    top.add_argument("--version", action=Version, nargs=0, help="show the version and exit")
    subcommands = top.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command in COMMANDS.values():
        # Every command's help ends with the examples and keeps its description's line breaks.
        command.arguments(
            subcommands.add_parser(
                command.name,
                help=command.help,
                description=command.description,
                epilog=EPILOG,
                formatter_class=argparse.RawDescriptionHelpFormatter,
            )
        )
    return top


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``sim`` console script; returns the exit status."""
    with warnings.catch_warnings():
        # Python hides DeprecationWarnings outside __main__; a user must see that their file uses
        # an older way of writing something (each names the file and key), one line each.
        warnings.filterwarnings("default", category=DeprecationWarning, module=r"sim(\.|$)")
        warnings.showwarning = _one_line
        return _main(argv)


def _one_line(message, category, filename, lineno, file=None, line=None) -> None:
    print(f"warning: {message}", file=sys.stderr)


def _main(argv: list[str] | None) -> int:
    args = parser().parse_args(argv)  # `--help` and usage errors end here
    from sim.scenario import Scenario, ScenarioError, load_scenario

    command = COMMANDS[args.command]
    if command.records:
        from sim.manifest import Invocation

        args.invocation = Invocation.command_line(argv)  # the start and command line every manifest records
    problem = check_options(args, command)
    if problem is not None:
        return refuse(problem)
    if not command.reads_scenario:
        return command.run(args)
    try:
        if command.default_scenario and args.scenario is None:
            scenario = Scenario(run={"name": "defaults"}).with_overrides(overrides(args.overrides))
        else:
            scenario = load_scenario(args.scenario, overrides=overrides(args.overrides))
    except ScenarioError as error:
        return refuse(named(str(error), args.scenario))
    try:
        return command.run(args, scenario)
    except ScenarioError as error:  # problems found while building (an edge-list file, no arms)
        return refuse(str(error))
    except KeyboardInterrupt:
        print("\ninterrupted: finished runs are kept; run the same command again to resume", file=sys.stderr)
        return 130


def __getattr__(name: str) -> Any:
    """A name that moved out of this module (the printed tables went to their results), from its
    new home, imported on first use."""
    if name == "FILE_OUTPUTS":  # the commands whose --out names a file: now a mark on each command
        return tuple(command.name for command in COMMANDS.values() if command.out_is_file)
    module = _MOVED.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
