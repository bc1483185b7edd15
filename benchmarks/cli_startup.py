"""How long the command line takes to answer: `sim --help` and `sim validate` beside `python -c pass`.

    python benchmarks/cli_startup.py
    python benchmarks/cli_startup.py --repeats 15 --scenario scenarios/hotel.toml

Each command runs ``--repeats`` times in a fresh process (wall-clock seconds from start to exit,
interleaved so that a slow spell of the shared host hits every command alike); prints a table of
the median, the fastest and slowest run and the spread (slowest - fastest), then one JSON line of
the same figures. Targets: ``--help`` at most 0.5 s and ``validate`` at most 1.0 s on this machine
(neither loads NumPy's heavy neighbours: tests/test_cli.py checks which modules they import).
Not a test: the machine is shared, so compare figures measured side by side in one session.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGETS = {"sim --help": 0.5, "sim validate": 1.0}


def seconds(command: list[str]) -> float:
    """Wall-clock seconds of one run of ``command`` in a fresh process (exit status checked)."""
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"failed ({done.returncode}): {' '.join(command)}\n{done.stderr.decode()}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeats", type=int, default=9, help="runs of each command (default 9)")
    parser.add_argument(
        "--scenario", default="scenarios/baseline.toml", help="the file `sim validate` checks"
    )
    args = parser.parse_args()
    commands = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "sim --help": [sys.executable, "-m", "sim.cli", "--help"],
        "sim validate": [sys.executable, "-m", "sim.cli", "validate", args.scenario],
    }
    for command in commands.values():  # once each first: file-system caches, .pyc files
        seconds(command)
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(args.repeats):
        for name, command in commands.items():
            times[name].append(seconds(command))
    figures = {}
    print(f"{'command':<16} {'median s':>9} {'fastest':>8} {'slowest':>8} {'spread':>7}  target")
    for name, runs in times.items():
        median = statistics.median(runs)
        figures[name] = {
            "median": round(median, 3),
            "fastest": round(min(runs), 3),
            "slowest": round(max(runs), 3),
            "spread": round(max(runs) - min(runs), 3),
        }
        target = TARGETS.get(name)
        verdict = "-" if target is None else f"<= {target} s: {'met' if median <= target else 'NOT met'}"
        print(
            f"{name:<16} {median:>9.3f} {min(runs):>8.3f} {max(runs):>8.3f} "
            f"{max(runs) - min(runs):>7.3f}  {verdict}"
        )
    print(json.dumps({"repeats": args.repeats, "scenario": args.scenario, "seconds": figures}))


if __name__ == "__main__":
    main()
