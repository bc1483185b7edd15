"""What every ``sim`` command shares: the shape of a command, the options several take, and refusals.

Owns :class:`Command` (a name, its help, its arguments and its adapter: one row of the table in
:mod:`sim.cli.commands`), the options commands share (``--set``, ``--jobs``/``--cluster``/
``--no-figures``/``--quiet``, ``--firm``/``--seed``/``--out``), the checks made on options before
anything runs (whole numbers in range, an output path that cannot climb out of its folder) and
the one-line refusal with exit status 2. Imports only the standard library at the top: ``sim
--help`` must answer at once (the scenario schema and the workflows are imported by the adapters,
after the arguments are parsed).

Example:
    >>> named("<scenario>: market.size = -5: must be at least 1", None)
    '(built-in defaults): market.size = -5: must be at least 1'
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from sim.scenario import Scenario

EPILOG = """examples:
  sim run scenarios/baseline.toml
  sim run scenarios/conquest_vs_relations.toml --seed 7 --out results/cvr-7
  sim run scenarios/baseline.toml --runs 20 --jobs 2
  sim compare scenarios/conquest_vs_relations.toml --runs 20
  sim sweep scenarios/what_if.toml --cluster local
  sim emulate results/what_if/sweep
  sim report scenarios/conquest_vs_relations.toml --runs 10
  sim run scenarios/baseline.toml --set firms.us.strategy=relations --set market.size=50000
  sim validate scenarios/my_market.toml
  sim sensitivity scenarios/research.toml --jobs 2
  sim calibrate scenarios/cdnow.toml --targets data/cdnow/targets.toml
  sim optimise scenarios/conquest_vs_relations.toml --firm us --set market.size=2000 --trials 40
  sim game scenarios/my_game.toml --replicates 8 --jobs 2
  sim transactions scenarios/research.toml --out results/research/transactions.csv
  sim targets-from-log data/cdnow/CDNOW_sample.txt.gz --out results/cdnow/targets.toml
  sim targets-from-sim scenarios/research.toml --targets data/targets/recovery.toml --out truth.toml
  sim dashboard scenarios/baseline.toml --port 8521

Scenario files are TOML; see docs/scenario.md for every table and key."""

# What messages name as the file when a command runs the built-in defaults (no scenario file).
DEFAULTS = "(built-in defaults)"


class Command(NamedTuple):
    """One ``sim`` command (a NamedTuple, not a dataclass: ``sim --help`` need not import
    ``dataclasses`` and ``inspect``).

    Attributes:
        name: what the user types after ``sim``.
        help: the one line ``sim --help`` lists.
        description: the paragraph ``sim NAME --help`` opens with.
        arguments: adds the command's own arguments to its parser.
        run: the adapter: ``run(args, scenario)`` calls the workflow, prints its table, writes its
            files and returns the exit status (``run(args)`` when ``reads_scenario`` is False).
        reads_scenario: the scenario file (and ``--set``) is loaded before the adapter runs; False
            when the adapter reads its own input (a transaction log, the dashboard's scenario).
        default_scenario: the scenario may be left out, for the built-in defaults.
        out_is_file: ``--out`` names a file (else a folder).
        records: its outputs record the command line and its start in ``manifest.json``.
    """

    name: str
    help: str
    description: str
    arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[..., int]
    reads_scenario: bool = True
    default_scenario: bool = False
    out_is_file: bool = False
    records: bool = True


class Version(argparse.Action):
    """``--version``: the package version, looked up only when asked for (it reads the installed
    package's metadata, which `sim --help` need not pay for)."""

    def __call__(self, parser: argparse.ArgumentParser, *args: Any) -> None:
        from sim import __version__

        print(f"{parser.prog} {__version__}")
        parser.exit()


# --------------------------------------------------------------------------- options several commands take

# ``--param`` of sensitivity, calibrate and targets-from-log (whose help differs).
PARAM: dict[str, Any] = {
    "dest": "params",
    "action": "append",
    "default": [],
    "metavar": "KEY=LOW:HIGH",
    "help": "a dotted scenario key and its range, e.g. behaviours.adoption.word_of_mouth=0.005:0.05; "
    "repeatable; replaces the file's ranges",
}


def add_set_option(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help=(
            "override a scenario value by dotted key, e.g. firms.us.budget=3000 or "
            "firms.us.strategy=relations (a strategy set by name takes its default split); "
            "repeatable"
        ),
    )


def add_execution_options(command: argparse.ArgumentParser) -> None:
    """``--jobs``, ``--cluster``, ``--no-figures`` and ``--quiet``: how a set of runs executes."""
    command.add_argument(
        "--jobs",
        type=int,
        metavar="J",
        help="processes to run on (default: this one when the runs are too small for more to pay, "
        "else every core); results do not depend on it",
    )
    command.add_argument(
        "--cluster",
        metavar="ADDRESS",
        help="run on a Dask cluster: a scheduler address tcp://host:port, or 'local' to start one "
        "with --jobs workers",
    )
    command.add_argument("--no-figures", action="store_true", help="skip the PNG figures (faster)")
    command.add_argument("--quiet", action="store_true", help="print nothing but errors (no progress bar)")


def add_experiment_options(command: argparse.ArgumentParser, firm_help: str, folder: str) -> None:
    """The options `compare` and `sweep` share (and sensitivity and optimise)."""
    command.add_argument("--firm", metavar="NAME", help=f"{firm_help} (default: the first)")
    command.add_argument(
        "--seed", type=int, metavar="N", help="first seed (default: the scenario's run.seed)"
    )
    command.add_argument(
        "--out", metavar="DIR", help=f"output folder (default: results/<scenario name>/{folder}/)"
    )
    add_set_option(command)
    add_execution_options(command)


# --------------------------------------------------------------------------- reading options


def overrides(pairs: list[str]) -> dict[str, str]:
    """``--set KEY=VALUE`` options as dotted overrides."""
    from sim.scenario import ScenarioError

    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ScenarioError(f"--set {pair!r}: expected KEY=VALUE, e.g. --set firms.us.budget=3000")
        out[key.strip()] = value.strip()
    return out


def params(pairs: list[str]) -> dict[str, tuple[float, float]] | None:
    """``--param KEY=LOW:HIGH`` options as ranges (None when there are none)."""
    from sim.sensitivity import parse_param

    return dict(parse_param(pair) for pair in pairs) or None


def execution(args: argparse.Namespace, out: Path) -> dict[str, Any]:
    """The execution options of a set of runs, for a workflow's ``**execution``."""
    return {"out": out, "jobs": args.jobs, "cluster": args.cluster, "progress": not args.quiet}


def out_folder(args: argparse.Namespace, scenario: Scenario, *under: str) -> Path:
    """``--out``, or ``results/<scenario name>/<under>/`` under the current folder."""
    return Path(args.out) if args.out else Path("results", scenario.name, *under)


def named(message: str, scenario: str | None) -> str:
    """A refusal of the built-in defaults names them where a file's name would stand."""
    return message.replace("<scenario>", DEFAULTS, 1) if scenario is None else message


# --------------------------------------------------------------------------- checks before anything runs


def _option_ranges() -> dict[str, tuple[int, int]]:
    """Whole-number options and their allowed range (the same limits as the scenario's tables)."""
    from sim.scenario import MAX_SEED, MAX_WEEKS

    return {
        "runs": (1, 10_000),
        "jobs": (1, 1024),
        "seed": (0, MAX_SEED),
        "samples": (2, 1_000_000),
        "max_evaluations": (1, 1_000_000),
        "trials": (1, 1_000_000),
        "batch": (1, 10_000),
        "market_scenarios": (2, 10_000),
        "confirm_runs": (2, 10_000),
        "window": (1, MAX_WEEKS),
        "port": (0, 65535),
    }


def check_options(args: argparse.Namespace, command: Command) -> str | None:
    """The problem with a whole-number option or an output path, or None: checked before
    anything runs or is written."""
    for option, (low, high) in _option_ranges().items():
        value = getattr(args, option, None)
        if value is not None and not low <= value <= high:
            return f"--{option.replace('_', '-')} {value}: must be a whole number from {low} to {high:,}"
    downside = getattr(args, "downside", None)
    if downside is not None and not (math.isfinite(downside) and 0 <= downside < 0.5):
        return f"--downside {downside}: must be at least 0 and below 0.5"
    out = getattr(args, "out", None)
    if out is not None:
        return out_problem(out, file=command.out_is_file)
    return None


def out_problem(out: str, file: bool = False) -> str | None:
    """Why ``--out`` cannot be used, or None. It may not climb out of a folder through '..'
    (``results/../x`` or ``../x``): a path is written from the current folder or from /, as
    given. A folder output may not be an existing file, nor a file output an existing folder.

    Example:
        >>> out_problem("results/cvr"), out_problem("../elsewhere")
        (None, "--out '../elsewhere': may not contain '..'; name the folder from here or from /")
    """
    path = Path(out)
    if not out.strip():
        return f"--out {out!r}: give a {'file' if file else 'folder'} name"
    if ".." in path.parts:
        return f"--out {out!r}: may not contain '..'; name the {'file' if file else 'folder'} from here or from /"
    if "\0" in out:
        return f"--out {out!r}: may not contain a NUL character"
    if file and path.is_dir():
        return f"--out {out!r}: is a folder; give a file name"
    if not file and path.exists() and not path.is_dir():
        return f"--out {out!r}: is a file; give a folder name"
    return None


def refuse(message: str) -> int:
    """Print a refusal as one line (exit status 2: nothing was run or written). Characters that
    would break the line or the terminal (a control character in a file or key name) are escaped."""
    line = "".join(c if c.isprintable() else repr(c)[1:-1] for c in message.replace("\n", " "))
    print(f"error: {line}", file=sys.stderr)
    return 2
