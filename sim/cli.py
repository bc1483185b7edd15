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
import sys
import time
from pathlib import Path
from typing import Any

from sim.scenario import ScenarioError, load_scenario

EPILOG = """examples:
  sim run scenarios/baseline.toml
  sim run scenarios/conquest_vs_relations.toml --seed 7 --out results/cvr-7
  sim run scenarios/baseline.toml --set firms.us.strategy=relations --set market.size=50000
  sim validate scenarios/my_market.toml

Scenario files are TOML; see docs/scenario.md for every table and key."""


def _parser() -> argparse.ArgumentParser:
    from sim import __version__

    parser = argparse.ArgumentParser(
        prog="sim",
        description=(
            "Simulate customers on a referral network under competing firm strategies "
            "(conquest vs relations) and report acquisition cost, retention and lifetime value."
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    run = commands.add_parser(
        "run",
        help="run one simulation of a scenario file and write its results",
        description=(
            "Run one simulation, print a per-firm summary and write summary.json, timeseries.csv, "
            "customers.parquet, scenario.resolved.toml and figures/ to the output folder."
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
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
    run.add_argument("--no-figures", action="store_true", help="skip the PNG figures (faster)")
    run.add_argument("--quiet", action="store_true", help="print nothing but errors")

    validate = commands.add_parser(
        "validate",
        help="check a scenario file (and overrides) without running it",
        description="Validate a scenario file; exit status 2 and a message if it is invalid.",
    )
    validate.add_argument("scenario", metavar="SCENARIO", help="scenario file (TOML)")
    _add_set_option(validate)
    return parser


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
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ScenarioError(f"--set {pair!r}: expected KEY=VALUE, e.g. --set firms.us.budget=3000")
        out[key.strip()] = value.strip()
    return out


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``sim`` console script; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        scenario = load_scenario(args.scenario, overrides=_overrides(args.overrides))
    except ScenarioError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.command == "validate":
        print(
            f"{args.scenario}: valid ({len(scenario.firms)} firms, {scenario.market.size} people, "
            f"{scenario.run.weeks} weeks)"
        )
        return 0
    return _run(args, scenario)


def _run(args: argparse.Namespace, scenario) -> int:
    from sim.simulation import simulate

    if args.seed is not None and args.seed < 0:
        print(f"error: --seed {args.seed}: must be a non-negative integer", file=sys.stderr)
        return 2
    started = time.perf_counter()
    try:
        result = simulate(scenario, seed=args.seed)
    except ScenarioError as error:  # problems only found while building (e.g. an edge-list file)
        print(f"error: {args.scenario}: {error}", file=sys.stderr)
        return 2
    elapsed = time.perf_counter() - started
    out = Path(args.out) if args.out else Path("results") / scenario.name
    result.write(out, figures=not args.no_figures)
    if not args.quiet:
        print(format_summary(result.summary))
        print(
            f"\n{scenario.market.size:,} people x {result.summary['weeks']} weeks in {elapsed:.1f} s; results in {out}/"
        )
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


def _top_reason(reasons: dict[str, int]) -> str:
    total = sum(reasons.values())
    if not total:
        return "n/a"
    reason = max(reasons, key=reasons.get)
    return f"{reason.replace('_', ' ')} ({100 * reasons[reason] / total:.0f}%)"


ROWS: list[tuple[str, Any]] = [
    ("customers (start -> end)", lambda f: f"{f['customers_start']:,} -> {f['customers_end']:,}"),
    ("market share at end", lambda f: _percent(f["market_share_end"])),
    ("acquired", lambda f: f"{f['acquired']:,}"),
    ("CAC (acquisition spend / acquired)", lambda f: _money2(f["cac"])),
    ("retention per year", lambda f: _percent(f["retention_yearly"])),
    ("churned", lambda f: f"{f['churned']:,}"),
    ("main churn reason", lambda f: _top_reason(f["churned_by_reason"])),
    ("revenue", lambda f: _money(f["revenue"])),
    ("margin", lambda f: _money(f["margin"])),
    ("spend", lambda f: _money(f["spend"])),
    ("profit (margin - spend)", lambda f: _money(f["profit"])),
    ("LTV per acquired customer", lambda f: _money2(f["ltv"])),
    ("LTV / CAC", lambda f: _ratio(f["ltv_cac"])),
]


def format_summary(summary: dict[str, Any]) -> str:
    """The per-firm summary as an aligned text table (firms side by side)."""
    firms = list(summary["firms"])
    header = ["", *firms]
    body = [[label, *(render(summary["firms"][firm]) for firm in firms)] for label, render in ROWS]
    widths = [max(len(row[i]) for row in [header, *body]) for i in range(len(header))]
    lines = [
        f"Scenario {summary['scenario']!r}, seed {summary['seed']}, {summary['weeks']} weeks",
        "  ".join(h.ljust(widths[0]) if i == 0 else h.rjust(widths[i]) for i, h in enumerate(header)),
        "  ".join("-" * w for w in widths),
    ]
    for row in body:
        lines.append(
            "  ".join(c.ljust(widths[0]) if i == 0 else c.rjust(widths[i]) for i, c in enumerate(row))
        )
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
