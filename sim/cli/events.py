"""``sim events``: what each market event did, against the same seeds without it (:func:`sim.event_effects`).

Example:
    >>> COMMAND.name
    'events'
"""

from __future__ import annotations

import argparse
import time
from typing import TYPE_CHECKING

from sim.cli.options import Command, add_experiment_options, execution, out_folder

if TYPE_CHECKING:
    from sim.scenario import Scenario


def _arguments(events: argparse.ArgumentParser) -> None:
    events.add_argument("scenario", metavar="SCENARIO", help="scenario file with [[events]]")
    events.add_argument("--runs", type=int, default=10, metavar="R", help="seeds per variant (default 10)")
    add_experiment_options(events, "firm the table and figure lead with", "events")


def _run(args: argparse.Namespace, scenario: Scenario) -> int:
    from sim.event_effects import event_effects

    out = out_folder(args, scenario, "events")
    started = time.perf_counter()
    result = event_effects(scenario, runs=args.runs, firm=args.firm, seed=args.seed, **execution(args, out))
    result.write(out, figures=not args.no_figures, invocation=args.invocation)
    if not args.quiet:
        print(result.table())
        runs = args.runs * (len(result.effects) + 1)
        print(f"\n{runs} runs in {time.perf_counter() - started:.1f} s; results in {out}/")
    return 0


COMMAND = Command(
    name="events",
    help="measure what each [[events]] entry did: the scenario against the same seeds without it",
    description=(
        "Run the scenario as written and, for each of its events, without that event (without an "
        "entrant: without that firm), on the same R seeds. A run with an event is the run without "
        "it until the event strikes, so the paired difference is the event's effect alone (a "
        "before/after comparison also carries the market's trend). Reports per event and firm the "
        "effect on profit, customer equity, market share and more with 95% CIs; writes "
        "event_effects.json, event_effects.csv and a figure."
    ),
    arguments=_arguments,
    run=_run,
)
