"""``sim dashboard``: the what-if page in the browser (docs/dashboard.md).

Example:
    >>> COMMAND.name, COMMAND.reads_scenario
    ('dashboard', False)
"""

from __future__ import annotations

import argparse
import sys

from sim.cli.options import Command, add_set_option, named, overrides, refuse


def _arguments(dashboard: argparse.ArgumentParser) -> None:
    dashboard.add_argument(
        "scenario", nargs="?", metavar="SCENARIO", help="scenario file (default: built-in defaults)"
    )
    dashboard.add_argument(
        "--port", type=int, default=8521, metavar="P", help="port (default 8521; 0: any free one)"
    )
    dashboard.add_argument(
        "--host",
        default="127.0.0.1",
        metavar="H",
        help="address to listen on (default 127.0.0.1, this machine only; 0.0.0.0 opens it to the network)",
    )
    dashboard.add_argument(
        "--emulator",
        metavar="DIR",
        help="an emulator folder (sim emulate): the controls that are its inputs answer at once from it",
    )
    add_set_option(dashboard)


def _run(args: argparse.Namespace) -> int:
    from sim.dashboard.server import DashboardUnavailable, serve
    from sim.scenario import Scenario, ScenarioError, load_scenario

    try:
        changes = overrides(args.overrides)
        if args.scenario is None:
            Scenario(run={"name": "defaults"}).with_overrides(changes)
        else:
            load_scenario(args.scenario, overrides=changes)
    except ScenarioError as error:
        return refuse(named(str(error), args.scenario))
    if args.emulator is not None:
        from sim.emulate import EmulatorError, load_emulator

        try:
            load_emulator(args.emulator)  # refused here, with one line, rather than on the page
        except EmulatorError as error:
            return refuse(f"--emulator: {error}")
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print(f"warning: --host {args.host}: the dashboard is reachable from other machines", file=sys.stderr)
    try:
        serve(args.scenario, changes, host=args.host, port=args.port, emulator=args.emulator)
    except DashboardUnavailable as error:
        return refuse(str(error))
    except KeyboardInterrupt:
        pass
    return 0


COMMAND = Command(
    name="dashboard",
    help="serve an interactive what-if page for a scenario (Mesa SolaraViz) on this machine",
    description=(
        "Serve a page with sliders for the scenario's key parameters (strategy, budget and split "
        "per firm, word of mouth, social proof, referral reward, churn tolerances, market size, "
        "seed), play/step/reset, live charts, the referral network coloured by firm and two "
        "strategies side by side on the same seed. With --emulator, the controls that are the "
        "emulator's inputs answer a move at once from it (sim emulate). Listens on 127.0.0.1 unless --host says "
        "otherwise; fetches nothing from the internet. Ctrl-C stops it."
    ),
    arguments=_arguments,
    run=_run,
    reads_scenario=False,
    records=False,
)
