"""The ``sim`` command: parses arguments, calls the Python API, prints and writes results.

Kept thin on purpose: everything it does is available from ``sim`` in Python. Exit status 0 on
success, 2 on a bad scenario or argument (with a message naming the file, dotted key and value,
and nothing written), 1 on an unexpected error.

Example:
    >>> main(["validate", "scenarios/baseline.toml"])
    scenarios/baseline.toml: valid (2 firms, 10000 people, 260 weeks)
    0
"""

from __future__ import annotations

import argparse
import datetime
import functools
import math
import sys
import time
from pathlib import Path
from typing import Any

# The scenario schema (pydantic, ~0.3 s to build) and the manifest's package metadata are imported
# where a command needs them, after the arguments are parsed, so that `sim --help` answers at once.

EPILOG = """examples:
  sim run scenarios/baseline.toml
  sim run scenarios/conquest_vs_relations.toml --seed 7 --out results/cvr-7
  sim run scenarios/baseline.toml --runs 20 --jobs 2
  sim compare scenarios/conquest_vs_relations.toml --runs 20
  sim sweep scenarios/what_if.toml --cluster local
  sim report scenarios/conquest_vs_relations.toml --runs 10
  sim run scenarios/baseline.toml --set firms.us.strategy=relations --set market.size=50000
  sim validate scenarios/my_market.toml
  sim sensitivity scenarios/research.toml --jobs 2
  sim calibrate scenarios/cdnow.toml --targets data/cdnow/targets.toml
  sim optimise scenarios/conquest_vs_relations.toml --firm us --set market.size=2000 --trials 40
  sim transactions scenarios/research.toml --out results/research/transactions.csv
  sim targets-from-log data/cdnow/CDNOW_sample.txt.gz --out results/cdnow/targets.toml
  sim targets-from-sim scenarios/research.toml --targets data/targets/recovery.toml --out truth.toml
  sim dashboard scenarios/baseline.toml --port 8521

Scenario files are TOML; see docs/scenario.md for every table and key."""


def _command(commands: Any, name: str, **options: Any) -> argparse.ArgumentParser:
    """A subcommand whose help ends with the examples and keeps its description's line breaks."""
    return commands.add_parser(
        name, epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter, **options
    )


class _Version(argparse.Action):
    """``--version``: the package version, looked up only when asked for (it reads the installed
    package's metadata, which `sim --help` need not pay for)."""

    def __call__(self, parser: argparse.ArgumentParser, *args: Any) -> None:
        from sim import __version__

        print(f"{parser.prog} {__version__}")
        parser.exit()


@functools.cache
def _parser() -> argparse.ArgumentParser:
    """The parser of every command (made once: parsing does not change it)."""
    parser = argparse.ArgumentParser(
        prog="sim",
        description=(
            "Simulate customers on a referral network under competing firm strategies "
            "(conquest vs relations) and report acquisition cost, retention and lifetime value."
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action=_Version, nargs=0, help="show the version and exit")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    run = _command(
        commands,
        "run",
        help="run one simulation of a scenario file and write its results",
        description=(
            "Run one simulation, print a per-firm summary and write summary.json, timeseries.csv, "
            "customers.parquet, scenario.resolved.toml and figures/ to the output folder."
        ),
    )
    run.add_argument(
        "scenario", metavar="SCENARIO", help="scenario file (TOML), e.g. scenarios/baseline.toml"
    )
    run.add_argument(
        "--seed", type=int, metavar="N", help="replicate seed (default: the scenario's run.seed)"
    )
    run.add_argument(
        "--out",
        metavar="DIR",
        help="output folder (default: results/<scenario name>/ under the current folder)",
    )
    _add_set_option(run)
    run.add_argument(
        "--runs",
        type=int,
        default=1,
        metavar="R",
        help="replicates on seeds N, N+1, ...; with R > 1 writes runs.parquet and a summary of "
        "means with 95%% confidence intervals (default 1)",
    )
    _add_execution_options(run)

    compare = _command(
        commands,
        "compare",
        help="run every [arms.<label>] of a scenario on the same seeds and compare them",
        description=(
            "Run each arm of the scenario on the same R seeds (common random numbers) and report, "
            "per arm and metric, the mean with its 95% CI, and per metric the paired difference "
            "against the first arm with its 95% CI, the probability the arm is better, and how much "
            "pairing narrowed (or widened) the interval compared with unpaired runs. Writes "
            "comparison.json and comparison.csv."
        ),
    )
    compare.add_argument("scenario", metavar="SCENARIO", help="scenario file with [arms.<label>] tables")
    compare.add_argument("--runs", type=int, default=20, metavar="R", help="seeds per arm (default 20)")
    _add_experiment_options(compare, "firm whose metrics are compared", "compare")

    sweep = _command(
        commands,
        "sweep",
        help="run the design of a scenario's [sweep] table (grid or Latin hypercube)",
        description=(
            "Run every point of the [sweep] design for R replicates and write sweep.parquet (one row "
            "per point x replicate x firm with the swept values and every summary metric) and a "
            "figure per swept key."
        ),
    )
    sweep.add_argument("scenario", metavar="SCENARIO", help="scenario file with a [sweep] table")
    sweep.add_argument("--runs", type=int, metavar="R", help="replicates per point (default: sweep.runs)")
    _add_experiment_options(sweep, "firm shown in the figures", "sweep")

    report = _command(
        commands,
        "report",
        help="write report.html: a client-ready page of the strategy comparison, with figures",
        description=(
            "Run the scenario's arms (or, without [arms], its firms) on R paired seeds, execute the "
            "report notebook and write report.html (one self-contained page: executive summary, "
            "comparison table with 95%% CIs, figures; no code, nothing fetched from the network) and "
            "report.ipynb (the executed notebook, to open and adapt) to the output folder. See "
            "docs/report.md."
        ),
    )
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
    _add_set_option(report)
    report.add_argument("--quiet", action="store_true", help="print nothing but errors (no progress bar)")

    facts = _command(
        commands,
        "facts",
        help="compare the model's stylised facts with the seeds and the literature",
        description=(
            "Run the scenario (default: the built-in defaults) once with every firm on neglect and "
            "once with the first firm on conquest and the second on relations, and print, per "
            "stylised fact, its source, target range, simulated value and whether it is within. "
            "Writes facts.json."
        ),
    )
    facts.add_argument(
        "scenario", nargs="?", metavar="SCENARIO", help="scenario file (default: built-in defaults)"
    )
    facts.add_argument("--seed", type=int, metavar="N", help="seed (default: the scenario's run.seed)")
    facts.add_argument("--out", metavar="DIR", help="output folder (default: results/<scenario name>/facts/)")
    _add_set_option(facts)

    _add_research_commands(commands)
    _add_optimise_command(commands)
    _add_dashboard_command(commands)

    validate = _command(
        commands,
        "validate",
        help="check a scenario file (and overrides) without running it",
        description="Validate a scenario file; exit status 2 and a message if it is invalid.",
    )
    validate.add_argument("scenario", metavar="SCENARIO", help="scenario file (TOML)")
    _add_set_option(validate)
    return parser


def _add_research_commands(commands: Any) -> None:
    """`sensitivity`, `calibrate`, `transactions` and `targets-from-log` (docs/research.md)."""
    param = {
        "dest": "params",
        "action": "append",
        "default": [],
        "metavar": "KEY=LOW:HIGH",
        "help": "a dotted scenario key and its range, e.g. behaviours.adoption.word_of_mouth=0.005:0.05; "
        "repeatable; replaces the file's ranges",
    }
    sensitivity = _command(
        commands,
        "sensitivity",
        help="global sensitivity analysis (Sobol or Morris) of a firm's outcomes to parameter ranges",
        description=(
            "Sample the parameter ranges (the scenario's [sensitivity] table or --param), run every "
            "point on the same R seeds and write sensitivity.json and sensitivity.parquet (Sobol S1, "
            "S1_conf, ST, ST_conf or Morris mu_star, mu_star_conf, sigma per outcome and parameter), "
            "sensitivity_design.parquet and figures/sensitivity.png."
        ),
    )
    sensitivity.add_argument("scenario", metavar="SCENARIO", help="scenario file (TOML)")
    sensitivity.add_argument("--param", **param)
    sensitivity.add_argument("--method", choices=["sobol", "morris"], help="default: the file's, else sobol")
    sensitivity.add_argument(
        "--samples", type=int, metavar="N", help="Sobol base samples (a power of two) or Morris trajectories"
    )
    sensitivity.add_argument(
        "--outcome",
        dest="outcomes",
        action="append",
        metavar="NAME",
        help="a per-firm summary metric, e.g. profit, ltv, cac, retention_yearly, customers_end; repeatable",
    )
    sensitivity.add_argument(
        "--runs", type=int, metavar="R", help="replicates per point (default: the file's, else 1)"
    )
    _add_experiment_options(sensitivity, "firm whose outcomes are analysed", "sensitivity")

    calibrate = _command(
        commands,
        "calibrate",
        help="fit parameters (within bounds) to observed targets",
        description=(
            "Fit the parameters of a targets file (or --param) so that the scenario's simulated "
            "targets (means over R seeds, the same for every candidate) match the observed ones. "
            "Writes fitted.toml, fit.json, trace.parquet, trace.csv and figures/fit.png."
        ),
    )
    calibrate.add_argument("scenario", metavar="SCENARIO", help="scenario file (TOML)")
    calibrate.add_argument(
        "--targets", required=True, metavar="FILE", help="targets file (TOML; docs/research.md)"
    )
    calibrate.add_argument("--param", **param)
    calibrate.add_argument(
        "--runs", type=int, metavar="R", help="replicates per candidate (default: the file's, else 4)"
    )
    calibrate.add_argument(
        "--max-evaluations",
        type=int,
        metavar="N",
        help="candidates to evaluate (default: the file's, else 60)",
    )
    calibrate.add_argument(
        "--method", choices=["differential_evolution", "nelder-mead"], help="the optimiser"
    )
    calibrate.add_argument(
        "--seed", type=int, metavar="N", help="first seed (default: the file's, else run.seed)"
    )
    calibrate.add_argument(
        "--out", metavar="DIR", help="output folder (default: results/<scenario name>/calibrate/)"
    )
    _add_set_option(calibrate)
    _add_execution_options(calibrate)

    transactions = _command(
        commands,
        "transactions",
        help="run a scenario and export its purchases as a transaction log",
        description=(
            "Run the scenario once with transaction recording on and write one row per buyer and "
            "week: customer_id, date, amount, firm, week, purchases (CSV or parquet)."
        ),
    )
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
    _add_set_option(transactions)
    transactions.add_argument("--quiet", action="store_true", help="print nothing but errors")

    synthetic = _command(
        commands,
        "targets-from-sim",
        help="simulate a targets file's values (synthetic data with known parameters)",
        description=(
            "Run the scenario (with any --set values: the 'true' parameters) on R seeds, measure "
            "every target of a targets file (whose values may be left out) and write the file with "
            "the simulated means as observed values: data with known parameters for checking that "
            "sim calibrate recovers them."
        ),
    )
    synthetic.add_argument("scenario", metavar="SCENARIO", help="scenario file (TOML)")
    synthetic.add_argument("--targets", required=True, metavar="FILE", help="targets file (values optional)")
    synthetic.add_argument("--out", required=True, metavar="FILE", help="the targets file to write (TOML)")
    synthetic.add_argument("--runs", type=int, default=8, metavar="R", help="replicates averaged (default 8)")
    synthetic.add_argument("--seed", type=int, metavar="N", help="first seed (default: run.seed)")
    _add_set_option(synthetic)
    _add_execution_options(synthetic)

    targets = _command(
        commands,
        "targets-from-log",
        help="derive calibration targets (repeat purchases, retention) from a transaction log",
        description=(
            "Measure a cohort's repeat-purchase curve and activity-retention curve in a transaction "
            "log (CSV or parquet with customer, date and amount columns; a CDNOW .txt or .txt.gz; or "
            "a lifetimes wheel for the full CDNOW log) and write them as a targets file."
        ),
    )
    targets.add_argument("log", metavar="LOG", help="the transaction log")
    targets.add_argument("--out", required=True, metavar="FILE", help="the targets file to write (TOML)")
    targets.add_argument(
        "--weeks-since",
        default="4,13,26,52",
        metavar="K,K,...",
        help="curve points in weeks (default 4,13,26,52)",
    )
    targets.add_argument(
        "--window",
        type=int,
        default=13,
        metavar="W",
        help="retention: weeks in which a purchase counts (default 13)",
    )
    targets.add_argument(
        "--cohort-start", metavar="YYYY-MM-DD", help="first day of first purchases in the cohort"
    )
    targets.add_argument(
        "--cohort-end", metavar="YYYY-MM-DD", help="last day of first purchases in the cohort"
    )
    targets.add_argument(
        "--observed-until", metavar="YYYY-MM-DD", help="last day observed (default: the last date)"
    )
    targets.add_argument(
        "--firm", metavar="NAME", help="use only this firm's rows (a log with a firm column)"
    )
    targets.add_argument(
        "--customer-column", default="customer_id", metavar="NAME", help="default customer_id"
    )
    targets.add_argument("--date-column", default="date", metavar="NAME", help="default date")
    targets.add_argument("--amount-column", default="amount", metavar="NAME", help="default amount")
    targets.add_argument(
        "--param", **{**param, "help": "a parameter to fit, written to [parameters]; repeatable"}
    )
    targets.add_argument("--runs", type=int, metavar="R", help="written to [settings] runs")
    targets.add_argument(
        "--max-evaluations", type=int, metavar="N", help="written to [settings] max_evaluations"
    )


def _add_optimise_command(commands: Any) -> None:
    """`optimise` (docs/optimise.md); every option replaces the scenario's [optimise] value."""
    optimise = _command(
        commands,
        "optimise",
        help="find the best split of a firm's budget over its levers, robust to the market",
        description=(
            "Search the firm's budget split over its levers (optionally the budget and when levers "
            "start) with optuna, every candidate on the same R seeds, for the best objective (or the "
            "Pareto front of two or three) under constraints, optionally across market scenarios; then "
            "rerun the best plan and the built-in strategies on fresh seeds. Writes optimisation.json, "
            "trace.parquet, trace.csv, references.csv, best.toml (the scenario with the best plan) and "
            "figures/. Rerun the same command to resume. Settings: the scenario's [optimise] table, "
            "replaced by these options."
        ),
    )
    optimise.add_argument("scenario", metavar="SCENARIO", help="scenario file (TOML)")
    add = optimise.add_argument
    add(
        "--objective",
        dest="objectives",
        action="append",
        metavar="METRIC",
        help="profit, customer_equity, ltv_cac, customers_end, cac, retention_yearly, ... (a per-firm "
        "metric; its direction is known); repeat for a Pareto front of 2-3 (default profit)",
    )
    add(
        "--lever",
        dest="levers",
        action="append",
        metavar="NAME",
        help="a lever the plan may use; repeatable (default: every lever)",
    )
    add(
        "--share",
        dest="shares",
        action="append",
        metavar="LEVER=MIN:MAX",
        help="bounds on a lever's share of the budget, e.g. search_ads=0.1:0.5 (MIN or MAX may be empty)",
    )
    add(
        "--spend-all",
        action="store_true",
        default=None,
        help="shares must sum to 1 (default: part of the budget may stay unspent)",
    )
    add("--budget", metavar="LOW:HIGH", help="let the search choose the weekly budget in this range")
    add(
        "--start-week",
        dest="start_weeks",
        action="append",
        metavar="LEVER=EARLIEST:LATEST",
        help="let the search choose when a lever starts, e.g. referral_programme=0:52",
    )
    add(
        "--constraint",
        dest="constraints",
        action="append",
        metavar="METRIC>=X or METRIC<=X",
        help="a floor or ceiling on an outcome, e.g. retention_yearly>=0.8 or cac<=150; repeatable",
    )
    add(
        "--uncertainty",
        dest="uncertainties",
        action="append",
        metavar="KEY=LOW:HIGH or KEY=A,B",
        help="what the market may do: a range or a list for a dotted key, e.g. "
        "behaviours.adoption.word_of_mouth=0.005:0.02 or firms.rival.strategy=relations,conquest",
    )
    add("--market-scenarios", type=int, metavar="N", help="markets sampled when a range is given (default 8)")
    add("--downside", type=float, metavar="Q", help="0: the worst market (default); Q: the Q-quantile")
    add("--robust", choices=["downside", "mean"], help="what the search optimises across markets")
    add("--trials", type=int, metavar="N", help="candidate plans (default 60)")
    add("--runs", type=int, metavar="R", help="seeds per candidate (default 6)")
    add(
        "--confirm-runs",
        type=int,
        metavar="R",
        help="fresh seeds for the best plan vs the built-ins (default 10)",
    )
    add("--batch", type=int, metavar="B", help="candidates asked at a time (default 4)")
    add("--sampler", choices=["tpe", "nsga2", "random"], help="optuna sampler (default tpe)")
    _add_experiment_options(optimise, "firm whose plan is optimised", "optimise")  # fmt: skip


def _add_experiment_options(command: argparse.ArgumentParser, firm_help: str, folder: str) -> None:
    """The options `compare` and `sweep` share."""
    command.add_argument("--firm", metavar="NAME", help=f"{firm_help} (default: the first)")
    command.add_argument(
        "--seed", type=int, metavar="N", help="first seed (default: the scenario's run.seed)"
    )
    command.add_argument(
        "--out", metavar="DIR", help=f"output folder (default: results/<scenario name>/{folder}/)"
    )
    _add_set_option(command)
    _add_execution_options(command)


def _add_execution_options(command: argparse.ArgumentParser) -> None:
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


def _add_set_option(command: argparse.ArgumentParser) -> None:
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


def _overrides(pairs: list[str]) -> dict[str, str]:
    from sim.scenario import ScenarioError

    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ScenarioError(f"--set {pair!r}: expected KEY=VALUE, e.g. --set firms.us.budget=3000")
        out[key.strip()] = value.strip()
    return out


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


# What messages name as the file when a command runs the built-in defaults (no scenario file).
DEFAULTS = "(built-in defaults)"


def _named(message: str, scenario: str | None) -> str:
    """A refusal of the built-in defaults names them where a file's name would stand."""
    return message.replace("<scenario>", DEFAULTS, 1) if scenario is None else message


# Commands whose --out names a file (the others name a folder).
FILE_OUTPUTS = ("transactions", "targets-from-log", "targets-from-sim")


def _check_options(args: argparse.Namespace) -> str | None:
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
        return out_problem(out, file=args.command in FILE_OUTPUTS)
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


def _refuse(message: str) -> int:
    """Print a refusal as one line (exit status 2: nothing was run or written). Characters that
    would break the line or the terminal (a control character in a file or key name) are escaped."""
    line = "".join(c if c.isprintable() else repr(c)[1:-1] for c in message.replace("\n", " "))
    print(f"error: {line}", file=sys.stderr)
    return 2


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``sim`` console script; returns the exit status."""
    args = _parser().parse_args(argv)  # `--help` and usage errors end here
    from sim.scenario import Scenario, ScenarioError, load_scenario

    if args.command != "validate":  # validate writes nothing (and need not read package metadata)
        from sim.manifest import Invocation

        args.invocation = Invocation.command_line(argv)  # the start and command line every manifest records
    problem = _check_options(args)
    if problem is not None:
        return _refuse(problem)
    if args.command == "targets-from-log":
        return _targets_from_log(args)
    if args.command == "dashboard":
        return _dashboard(args)
    try:
        if args.command == "facts" and args.scenario is None:
            scenario = Scenario(run={"name": "defaults"}).with_overrides(_overrides(args.overrides))
        else:
            scenario = load_scenario(args.scenario, overrides=_overrides(args.overrides))
    except ScenarioError as error:
        return _refuse(_named(str(error), args.scenario))
    if args.command == "validate":
        print(
            f"{args.scenario}: valid ({len(scenario.firms)} firms, {scenario.market.size} people, "
            f"{scenario.run.weeks} weeks)"
        )
        return 0
    try:
        if args.command == "facts":
            return _facts(args, scenario)
        if args.command == "compare":
            return _compare(args, scenario)
        if args.command == "sweep":
            return _sweep(args, scenario)
        if args.command == "report":
            return _report(args, scenario)
        if args.command == "sensitivity":
            return _sensitivity(args, scenario)
        if args.command == "calibrate":
            return _calibrate(args, scenario)
        if args.command == "optimise":
            return _optimise(args, scenario)
        if args.command == "transactions":
            return _transactions(args, scenario)
        if args.command == "targets-from-sim":
            return _targets_from_sim(args, scenario)
        if args.runs > 1:
            return _replicate(args, scenario)
        return _run(args, scenario)
    except ScenarioError as error:  # problems found while building (an edge-list file, no arms)
        return _refuse(str(error))
    except KeyboardInterrupt:
        print("\ninterrupted: finished runs are kept; run the same command again to resume", file=sys.stderr)
        return 130


def _run(args: argparse.Namespace, scenario) -> int:
    from sim.simulation import simulate

    started = time.perf_counter()
    result = simulate(scenario, seed=args.seed)
    elapsed = time.perf_counter() - started
    out = Path(args.out) if args.out else Path("results") / scenario.name
    result.write(out, figures=not args.no_figures, invocation=args.invocation)
    if not args.quiet:
        print(format_summary(result.summary))
        print(
            f"\n{scenario.market.size:,} people x {result.summary['weeks']} weeks in {elapsed:.1f} s; results in {out}/"
        )
    return 0


def _facts(args: argparse.Namespace, scenario) -> int:
    from sim.facts import as_json, format_facts, measure
    from sim.results import write_json

    seed = scenario.run.seed if args.seed is None else args.seed
    started = time.perf_counter()
    results = measure(scenario, seed=seed)
    out = Path(args.out) if args.out else Path("results") / scenario.name / "facts"
    out.mkdir(parents=True, exist_ok=True)
    write_json(out / "facts.json", as_json(scenario, seed, results))
    from sim.manifest import write_manifest

    write_manifest(out, scenario, [seed], args.invocation)
    print(
        f"Stylised facts of {scenario.name!r} ({scenario.market.size:,} people, {scenario.run.weeks} weeks, seed {seed})"
    )
    print(format_facts(results))
    outside = sum(1 for r in results if r.within is False)
    print(
        f"\n{len(results) - outside} of {len(results)} within range; {time.perf_counter() - started:.1f} s; facts.json in {out}/"
    )
    return 0


def _execution(args: argparse.Namespace, out: Path) -> dict[str, Any]:
    return {"out": out, "jobs": args.jobs, "cluster": args.cluster, "progress": not args.quiet}


def _replicate(args: argparse.Namespace, scenario) -> int:
    from sim.experiments import replicate, write_replicates

    out = Path(args.out) if args.out else Path("results") / scenario.name
    started = time.perf_counter()
    reps = replicate(scenario, runs=args.runs, seed=args.seed, **_execution(args, out))
    write_replicates(reps, scenario, out, figures=not args.no_figures, invocation=args.invocation)
    if not args.quiet:
        print(format_summary(reps.summary, ci95=reps.summary["ci95"]))
        print(f"\n{args.runs} runs in {time.perf_counter() - started:.1f} s; results in {out}/")
    return 0


def _compare(args: argparse.Namespace, scenario) -> int:
    from sim.experiments import compare, write_comparison

    out = Path(args.out) if args.out else Path("results") / scenario.name / "compare"
    started = time.perf_counter()
    result = compare(scenario, runs=args.runs, firm=args.firm, seed=args.seed, **_execution(args, out))
    write_comparison(result, scenario, out, invocation=args.invocation)
    if not args.quiet:
        print(format_comparison(result.comparison))
        print(f"\n{len(result.results)} runs in {time.perf_counter() - started:.1f} s; results in {out}/")
    return 0


def _report(args: argparse.Namespace, scenario) -> int:
    from sim.report import build_report

    out = Path(args.out) if args.out else Path("results") / scenario.name / "report"
    started = time.perf_counter()
    page = build_report(
        args.scenario,
        runs=args.runs,
        out=out,
        jobs=args.jobs,
        overrides=_overrides(args.overrides),
        seed=args.seed,
        progress=not args.quiet,
        invocation=args.invocation,
    )
    if not args.quiet:
        print(
            f"report written to {page} in {time.perf_counter() - started:.1f} s "
            f"(the executed notebook beside it: {page.with_suffix('.ipynb').name})"
        )
    return 0


def _sweep(args: argparse.Namespace, scenario) -> int:
    from sim.experiments import sweep, sweep_points, write_sweep
    from sim.scenario import ScenarioError

    out = Path(args.out) if args.out else Path("results") / scenario.name / "sweep"
    firm = args.firm or scenario.firm_names[0]
    if firm not in scenario.firms:
        raise ScenarioError(f"--firm {firm!r}: no such firm; firms: {', '.join(scenario.firms)}")
    points = len(sweep_points(scenario))
    started = time.perf_counter()
    table = sweep(scenario, runs=args.runs, seed=args.seed, **_execution(args, out))
    write_sweep(table, scenario, out, firm, figures=not args.no_figures, invocation=args.invocation)
    if not args.quiet:
        runs = table["run"].nunique()
        keys = list(scenario.sweep.keys)
        means = table[table["firm"] == firm].groupby(keys)[["customers_end", "profit", "ltv"]].mean()
        print(f"Sweep of {', '.join(keys)} for {firm!r}: {points} points x {runs} runs (means)")
        print(means.to_string(float_format=lambda v: f"{v:,.2f}"))
        print(f"\n{points * runs} runs in {time.perf_counter() - started:.1f} s; results in {out}/")
    return 0


def _params(pairs: list[str]) -> dict[str, tuple[float, float]] | None:
    from sim.sensitivity import parse_param

    return dict(parse_param(pair) for pair in pairs) or None


def _sensitivity(args: argparse.Namespace, scenario) -> int:
    from sim.sensitivity import format_sensitivity, sensitivity, write_sensitivity

    out = Path(args.out) if args.out else Path("results") / scenario.name / "sensitivity"
    result = sensitivity(
        scenario,
        uncertainties=_params(args.params),
        method=args.method,
        samples=args.samples,
        outcomes=args.outcomes,
        firm=args.firm,
        runs=args.runs,
        seed=args.seed,
        **_execution(args, out),
    )
    write_sensitivity(result, scenario, out, figures=not args.no_figures, invocation=args.invocation)
    if not args.quiet:
        print(format_sensitivity(result))
        print(
            f"\n{result.info['points'] * result.info['runs']} runs in {result.info['seconds']:.1f} s; results in {out}/"
        )
    return 0


def _calibrate(args: argparse.Namespace, scenario) -> int:
    from sim.calibration import calibrate, format_calibration, write_calibration

    out = Path(args.out) if args.out else Path("results") / scenario.name / "calibrate"
    result = calibrate(
        scenario,
        args.targets,
        uncertainties=_params(args.params),
        runs=args.runs,
        seed=args.seed,
        max_evaluations=args.max_evaluations,
        method=args.method,
        **_execution(args, out),
    )
    write_calibration(result, out, figures=not args.no_figures, invocation=args.invocation)
    if not args.quiet:
        print(format_calibration(result))
        print(f"\n{result.fit['seconds']:.1f} s; fitted scenario in {out}/fitted.toml, the fit in {out}/")
    return 0


def _optimise(args: argparse.Namespace, scenario) -> int:
    from sim.optimise import format_optimisation, optimise, settings_from_options, write_optimisation

    out = Path(args.out) if args.out else Path("results") / scenario.name / "optimise"
    settings = settings_from_options(
        objectives=args.objectives, levers=args.levers, shares=args.shares, spend_all=args.spend_all,
        budget=args.budget, start_weeks=args.start_weeks, constraints=args.constraints,
        uncertainties=args.uncertainties, market_scenarios=args.market_scenarios, downside=args.downside,
        robust=args.robust, trials=args.trials, runs=args.runs, confirm_runs=args.confirm_runs,
        batch=args.batch, sampler=args.sampler, seed=args.seed,
    )  # fmt: skip
    result = optimise(scenario, args.firm, settings, **_execution(args, out))
    write_optimisation(result, out, figures=not args.no_figures, invocation=args.invocation)
    if not args.quiet:
        print(format_optimisation(result))
        where = f"the best plan as a scenario in {out}/best.toml, " if result.scenario is not None else ""
        print(f"\n{result.info['seconds']:.1f} s; {where}the results in {out}/")
    return 0


def _transactions(args: argparse.Namespace, scenario) -> int:
    from sim.scenario import ScenarioError
    from sim.transactions import simulate_transactions, write_log

    out = Path(args.out) if args.out else Path("results") / scenario.name / "transactions.parquet"
    start = None
    if args.start_date is not None:
        try:
            start = datetime.date.fromisoformat(args.start_date)
        except ValueError as error:
            raise ScenarioError(f"--start-date {args.start_date!r}: {error}; expected YYYY-MM-DD") from None
    run = simulate_transactions(scenario, seed=args.seed, start_date=start)
    try:
        write_log(run.log, out)
    except ValueError as error:
        raise ScenarioError(f"--out: {error}") from None
    from sim.manifest import write_manifest

    write_manifest(out.parent, scenario, [run.result.summary["seed"]], args.invocation, output=out.name)
    if not args.quiet:
        log = run.log
        revenue = sum(f["revenue"] for f in run.result.summary["firms"].values())
        print(
            f"{len(log):,} transactions (buyer-weeks) of {log['customer_id'].nunique():,} customers, "
            f"{log['date'].min():%Y-%m-%d} to {log['date'].max():%Y-%m-%d}; amount {log['amount'].sum():,.2f} "
            f"(simulated revenue {revenue:,.2f}); written to {out}"
        )
    return 0


def _targets_from_sim(args: argparse.Namespace, scenario) -> int:
    from sim.calibration import load_targets, simulate_targets, write_target_set
    from sim.experiments import seeds_for
    from sim.scenario import ScenarioError

    template = load_targets(args.targets, scenario, template=True)
    started = time.perf_counter()
    execution = {"jobs": args.jobs, "cluster": args.cluster, "progress": not args.quiet}
    try:
        synthetic = simulate_targets(scenario, template, runs=args.runs, seed=args.seed, **execution)
    except ValueError as error:
        raise ScenarioError(f"{args.targets}: {error}") from None
    seeds = seeds_for(scenario, args.runs, args.seed)
    truth = " ".join(f"--set {pair}" for pair in args.overrides) or "(no overrides)"
    header = (
        f"Synthetic targets: {args.targets} measured on {args.scenario} {truth},\n"
        f"means of {args.runs} runs (seeds {seeds[0]}-{seeds[-1]}), by `sim targets-from-sim`."
    )
    write_target_set(synthetic, args.out, header)
    if not args.quiet:
        for target in synthetic.targets:
            values = ", ".join(
                f"{p}: {v:.4g}" for p, v in zip(target.point_labels(), target.values, strict=False)
            )
            print(f"{target.label}: {values}")
        print(f"\n{args.runs} runs in {time.perf_counter() - started:.1f} s; targets written to {args.out}")
    return 0


def _targets_from_log(args: argparse.Namespace) -> int:
    from sim.scenario import ScenarioError
    from sim.transactions import describe_curves, read_log, targets_from_log, write_targets

    try:
        weeks_since = [int(k) for k in args.weeks_since.split(",") if k.strip()]
    except ValueError:
        print(
            f"error: --weeks-since {args.weeks_since!r}: expected whole numbers, e.g. 4,13,26,52",
            file=sys.stderr,
        )
        return 2
    settings = {
        k: v for k, v in (("runs", args.runs), ("max_evaluations", args.max_evaluations)) if v is not None
    }
    try:
        log = read_log(args.log, args.customer_column, args.date_column, args.amount_column)
        data, curves = targets_from_log(
            log,
            weeks_since,
            window=args.window,
            cohort_start=args.cohort_start,
            cohort_end=args.cohort_end,
            observed_until=args.observed_until,
            firm=args.firm,
            parameters=_params(args.params),
            settings=settings,
        )
    except (OSError, ValueError, ScenarioError) as error:
        message = str(error)  # most name the log already
        return _refuse(message if message.startswith(args.log) else f"{args.log}: {message}")
    write_targets(data, Path(args.out), describe_curves(curves, args.log))
    print(describe_curves(curves, args.log))
    for target in data["targets"]:
        points = ", ".join(
            f"k={k}: {v:.4f}" for k, v in zip(target["weeks_since"], target["values"], strict=True)
        )
        print(f"{target['kind']}: {points}")
    print(f"targets written to {args.out}")
    return 0


# --------------------------------------------------------------------------- the printed table


def _money(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.0f}"


def _money2(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.2f}"


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f}%"


def _ratio(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def _count(value: float | None) -> str:
    """A count; a mean of counts keeps one decimal."""
    if value is None:
        return "n/a"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def _top_reason(reasons: dict[str, int]) -> str:
    total = sum(reasons.values())
    if not total:
        return "n/a"
    reason = max(reasons, key=reasons.get)
    return f"{reason.replace('_', ' ')} ({100 * reasons[reason] / total:.0f}%)"


def _cost(metric: str, spend: str, fmt=_money2):
    """A cost per customer (or per customer-year): "nothing spent" when the spend behind it is zero,
    "none won" when nobody was won, never a cost of 0.00 or a bare n/a."""

    def render(f: dict[str, Any]) -> str:
        if f[metric] is not None:
            return fmt(f[metric])
        return "nothing spent" if not f.get(spend) else "none won" if not f.get("acquired") else "n/a"

    return render


def _payback(metric: str, spend: str):
    def render(f: dict[str, Any]) -> str:
        if f[metric] is not None:
            weeks = f"{f[metric]:,.0f}" if float(f[metric]).is_integer() else f"{f[metric]:,.1f}"
            return f"{weeks} week" if weeks == "1" else f"{weeks} weeks"
        if not f.get(spend):
            return "nothing spent"
        if not f.get("acquired"):
            return "none won"
        missed = f.get("_censored", {}).get(metric)
        runs = f" in {missed} of {f['_runs']} runs" if missed else ""
        return f"not within {f.get('_weeks', '?')} weeks{runs}"

    return render


def _spend(f: dict[str, Any]) -> str:
    return (
        f"{_money(f['spend'])} = {_money(f['acquisition_spend'])} acq. + {_money(f['retention_spend'])} ret."
    )


# label, renderer, the metric behind the row (for its confidence interval; None: no interval)
ROWS_WITH_METRIC: list[tuple[str, Any, str | None]] = [
    ("customers (start -> end)", lambda f: f"{_count(f['customers_start'])} -> {_count(f['customers_end'])}", None),
    ("market share at end", lambda f: _percent(f["market_share_end"]), "market_share_end"),
    ("customers won", lambda f: _count(f["acquired"]), "acquired"),
    ("CAC, acquisition-only (acquisition spend / won)", _cost("cac", "acquisition_spend"), "cac"),
    ("CAC, fully loaded (all marketing spend / won)", _cost("cac_fully_loaded", "spend"), "cac_fully_loaded"),
    ("cost to retain (retention spend / customer-year)", _cost("cost_to_retain", "retention_spend"), "cost_to_retain"),
    ("retention per year", lambda f: _percent(f["retention_yearly"]), "retention_yearly"),
    ("churned", lambda f: _count(f["churned"]), "churned"),
    ("main churn reason", lambda f: _top_reason(f["churned_by_reason"]), None),
    ("revenue", lambda f: _money(f["revenue"]), "revenue"),
    ("margin", lambda f: _money(f["margin"]), "margin"),
    ("marketing spend (acquisition + retention)", _spend, None),
    ("profit (margin - spend)", lambda f: _money(f["profit"]), "profit"),
    ("ROI ((margin - spend) / spend)", _cost("roi", "spend", _ratio), "roi"),
    ("LTV gross (discounted margin / won)", lambda f: _money2(f["ltv"]), "ltv"),
    ("LTV net of retention cost", lambda f: _money2(f["ltv_net"]), "ltv_net"),
    ("LTV net / CAC fully loaded", _cost("ltv_net_cac_fully_loaded", "spend", _ratio), "ltv_net_cac_fully_loaded"),
    ("payback on acquisition CAC", _payback("payback_weeks", "acquisition_spend"), "payback_weeks"),
    ("payback on fully loaded CAC", _payback("payback_weeks_fully_loaded", "spend"), "payback_weeks_fully_loaded"),
    ("customer equity (customers held at end)", lambda f: _money(f["customer_equity"]), "customer_equity"),
]  # fmt: skip


def _shown(summary: dict[str, Any], firm: str) -> dict[str, Any]:
    """A firm's summary with what its renderers need besides: the weeks, and for means over runs
    the number of runs and of runs a censored metric (payback) was not reached in."""
    return {
        **summary["firms"][firm],
        "_weeks": summary["weeks"],
        "_runs": summary.get("runs", 1),
        "_censored": summary.get("censored", {}).get(firm, {}),
    }


def format_summary(summary: dict[str, Any], ci95: dict[str, Any] | None = None) -> str:
    """The per-firm summary as an aligned text table (firms side by side); with ``ci95`` (means
    of several runs) each metric that has an interval is followed by it."""
    firms = list(summary["firms"])
    header = ["", *firms]
    body = [
        [
            label,
            *(_with_ci(render, _shown(summary, firm), (ci95 or {}).get(firm), metric) for firm in firms),
        ]
        for label, render, metric in ROWS_WITH_METRIC
    ]
    widths = [max(len(row[i]) for row in [header, *body]) for i in range(len(header))]
    seeds = summary["seeds"] if "seeds" in summary else [summary["seed"]]
    what = (
        f"seed {seeds[0]}"
        if len(seeds) == 1
        else f"means of {len(seeds)} runs (seeds {seeds[0]}-{seeds[-1]}) [95% CI]"
    )
    lines = [
        f"Scenario {summary['scenario']!r}, {what}, {summary['weeks']} weeks",
        "  ".join(h.ljust(widths[0]) if i == 0 else h.rjust(widths[i]) for i, h in enumerate(header)),
        "  ".join("-" * w for w in widths),
    ]
    for row in body:
        lines.append(
            "  ".join(c.ljust(widths[0]) if i == 0 else c.rjust(widths[i]) for i, c in enumerate(row))
        )
    lines.append(
        "Acquisition spend: conquest levers and referral rewards; retention spend: the other relations "
        "levers (docs/model.md, metrics glossary)."
    )
    return "\n".join(lines)


def _with_ci(render, firm: dict[str, Any], ci95: dict[str, Any] | None, metric: str | None) -> str:
    text = render(firm)
    if ci95 is None or metric is None or not ci95.get(metric):
        return text
    low, high = ci95[metric]
    return f"{text} [{render({**firm, metric: low})}, {render({**firm, metric: high})}]"


# Metrics shown by `sim compare`, with their formatter.
COMPARED = [
    ("profit", "profit (margin - spend)", lambda v: f"{v:,.0f}"),
    ("customer_equity", "customer equity at end", lambda v: f"{v:,.0f}"),
    ("total_value", "discounted profit + equity", lambda v: f"{v:,.0f}"),
    ("customers_end", "customers at end", lambda v: f"{v:,.0f}"),
    ("acquired", "customers won", lambda v: f"{v:,.0f}"),
    ("cac", "CAC, acquisition-only", lambda v: f"{v:,.2f}"),
    ("cac_fully_loaded", "CAC, fully loaded", lambda v: f"{v:,.2f}"),
    ("retention_yearly", "retention per year", lambda v: f"{100 * v:.1f}%"),
    ("churned", "churned", lambda v: f"{v:,.0f}"),
    ("ltv_net", "LTV net of retention cost", lambda v: f"{v:,.2f}"),
    ("ltv_net_cac_fully_loaded", "LTV net / CAC fully loaded", lambda v: f"{v:,.2f}"),
    ("market_share_end", "market share", lambda v: f"{100 * v:.1f}%"),
]
_COMPARED_FORMAT = {metric: fmt for metric, _, fmt in COMPARED}
_COMPARED_LABEL = {metric: label for metric, label, _ in COMPARED}


def _interval(fmt, mean, ci) -> str:
    if mean is None:
        return "n/a"
    return fmt(mean) if not ci else f"{fmt(mean)} [{fmt(ci[0])}, {fmt(ci[1])}]"


def format_comparison(comparison: dict[str, Any]) -> str:
    """Arms side by side (mean [95% CI]), then each arm's paired difference from the first."""
    from sim import experiments

    arms = list(comparison["arms"])
    base = comparison["baseline_arm"]
    header = ["metric", *arms]
    body = [
        [
            label,
            *(
                _interval(fmt, comparison["arms"][a][m]["mean"], comparison["arms"][a][m]["ci95"])
                for a in arms
            ),
        ]
        for m, label, fmt in COMPARED
    ]
    lines = [
        f"Scenario {comparison['scenario']!r}: firm {comparison['firm']!r}, {len(arms)} arms on the same "
        f"{comparison['runs']} seeds ({comparison['seeds'][0]}-{comparison['seeds'][-1]}); mean [95% CI]",
        *_table(header, body),
    ]
    for arm in arms[1:]:
        rows = []
        for m, label, fmt in COMPARED:
            d = comparison["differences"][arm][m]
            if d["mean"] is None:
                rows.append([label, "n/a", "n/a", "n/a"])
                continue
            sign = lambda v, f=fmt: ("+" if v >= 0 else "-") + f(abs(v))  # noqa: E731
            ci = f"{sign(d['mean'])} [{sign(d['ci95'][0])}, {sign(d['ci95'][1])}]"
            narrowing = experiments.pairing_effect(d["se_unpaired"], d["se_paired"])
            rows.append([label, ci, f"{100 * d['prob_better']:.0f}%", narrowing])
        lines += [
            "",
            f"{arm} minus {base}, paired by seed: difference [95% CI], P({arm} better), "
            "standard error unpaired / paired",
            *_table(["metric", "difference", f"P({arm} better)", "pairing"], rows),
        ]
    lines += ["", *format_rankings(comparison)]
    return "\n".join(lines)


def format_rankings(comparison: dict[str, Any]) -> list[str]:
    """The verdict: arms ranked on profit and on customer equity, each with the best arm's paired
    difference from every other and whether its 95% CI clears zero (or the verdict is noise)."""
    lines = []
    for metric, ranking in comparison.get("rankings", {}).items():
        fmt = _COMPARED_FORMAT.get(metric, lambda v: f"{v:,.2f}")
        order = ranking["order"]
        if not order:
            lines.append(f"Ranked on {_COMPARED_LABEL.get(metric, metric)}: not defined for any arm.")
            continue
        means = ", ".join(f"{arm} {fmt(ranking['means'][arm])}" for arm in order)
        lines.append(
            f"Ranked on {_COMPARED_LABEL.get(metric, metric)} (mean of {comparison['runs']} runs): {means}"
        )
        best = order[0]
        for arm, diff in ranking["versus"].items():
            if diff["ci95"] is None:
                lines.append(f"  {best} - {arm}: {fmt(diff['mean'])}; too few runs for an interval")
                continue
            low, high = diff["ci95"]
            verdict = "clear of zero" if diff["clear"] else "includes zero: within the noise of these runs"
            lines.append(
                f"  {best} - {arm}: {fmt(diff['mean'])} [{fmt(low)}, {fmt(high)}], paired 95% CI {verdict}"
            )
    return lines


def _table(header: list[str], body: list[list[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in [header, *body]) for i in range(len(header))]
    out = ["  ".join(h.ljust(widths[0]) if i == 0 else h.rjust(widths[i]) for i, h in enumerate(header))]
    out.append("  ".join("-" * w for w in widths))
    for row in body:
        out.append("  ".join(c.ljust(widths[0]) if i == 0 else c.rjust(widths[i]) for i, c in enumerate(row)))
    return out


def _add_dashboard_command(commands: Any) -> None:
    """`dashboard`: the what-if page in the browser (docs/dashboard.md)."""
    dashboard = _command(
        commands,
        "dashboard",
        help="serve an interactive what-if page for a scenario (Mesa SolaraViz) on this machine",
        description=(
            "Serve a page with sliders for the scenario's key parameters (strategy, budget and split "
            "per firm, word of mouth, social proof, referral reward, churn tolerances, market size, "
            "seed), play/step/reset, live charts, the referral network coloured by firm and two "
            "strategies side by side on the same seed. Listens on 127.0.0.1 unless --host says "
            "otherwise; fetches nothing from the internet. Ctrl-C stops it."
        ),
    )
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
    _add_set_option(dashboard)


def _dashboard(args: argparse.Namespace) -> int:
    from sim.dashboard.server import DashboardUnavailable, serve
    from sim.scenario import Scenario, ScenarioError, load_scenario

    try:
        overrides = _overrides(args.overrides)
        if args.scenario is None:
            Scenario(run={"name": "defaults"}).with_overrides(overrides)
        else:
            load_scenario(args.scenario, overrides=overrides)
    except ScenarioError as error:
        return _refuse(_named(str(error), args.scenario))
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print(f"warning: --host {args.host}: the dashboard is reachable from other machines", file=sys.stderr)
    try:
        serve(args.scenario, overrides, host=args.host, port=args.port)
    except DashboardUnavailable as error:
        return _refuse(str(error))
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
