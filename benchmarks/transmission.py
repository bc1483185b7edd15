"""The cost of transmission per tie against the share form, and the independent-cascade check at
other seeds and sizes: prints one JSON line of figures.

    python benchmarks/transmission.py --customers 1000000 --weeks 52 --repeats 2
    python benchmarks/transmission.py --cascade --copies 5000 --seeds 1 2 3

Timing: the default scenario (``scenarios/baseline.toml``, every behaviour on) at the given size,
in each mode, modes alternating within each repeat (the machine is shared: only figures measured
side by side compare):

- ``share``: today's forms (word of mouth q x share of friends, referral by propensity);
- ``wom_per_tie``: word of mouth per tie, ``active_weeks = 0`` (every customer friend transmits);
- ``wom_per_tie_k1``: word of mouth per tie, ``active_weeks = 1`` (the independent cascade's limit);
- ``both_per_tie``: word of mouth and referral per tie, ``active_weeks = 0``.

Figures per mode: ``seconds`` (the weekly steps, median over repeats; each run's in ``runs``),
``adoption_seconds`` and ``referral_seconds`` (time inside steps 3 and 4, median), and
``ratio`` (seconds / the share form's seconds, medians). ``setup_seconds`` (network, population)
is the same in every mode and not counted.

``--cascade``: the validation of docs/validation.md section 4 (exact expected spread against the
engine) for each seed, ``--copies`` copies per graph, betas 0.1, 0.3, 0.6: one row per graph, seed
set and beta with the error in standard errors, and the largest error.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from sim import CustomerMarket, load_scenario
from sim.agents.behaviours import adoption, referral

ROOT = Path(__file__).resolve().parent.parent
MODES = {
    "share": {},
    "wom_per_tie": {"behaviours.adoption.transmission": "per_tie"},
    "wom_per_tie_k1": {"behaviours.adoption.transmission": "per_tie", "behaviours.adoption.active_weeks": 1},
    "both_per_tie": {
        "behaviours.adoption.transmission": "per_tie",
        "behaviours.referral.transmission": "per_tie",
    },
}


class StepTimer:
    """Wraps a behaviour module's ``run`` to add up the time spent in it."""

    def __init__(self, module) -> None:
        self.module = module
        self.inner = module.run
        self.seconds = 0.0
        module.run = self

    def __call__(self, *args):
        started = time.perf_counter()
        self.inner(*args)
        self.seconds += time.perf_counter() - started


def time_modes(customers: int, weeks: int, repeats: int, modes: list[str], seed: int) -> dict:
    timers = {"adoption": StepTimer(adoption), "referral": StepTimer(referral)}
    path = ROOT / "scenarios" / "baseline.toml"
    for mode in modes:  # load the compiled kernels of every mode outside the timing
        CustomerMarket(
            load_scenario(path, {"market.size": 1000, "run.weeks": 4, **MODES[mode]}), seed=seed
        ).run_model()
    runs: dict[str, list[dict]] = {mode: [] for mode in modes}
    for _ in range(repeats):
        for mode in modes:
            scenario = load_scenario(path, {"market.size": customers, "run.weeks": weeks, **MODES[mode]})
            market = CustomerMarket(scenario, seed=seed)
            for timer in timers.values():
                timer.seconds = 0.0
            started = time.perf_counter()
            market.run_model()
            runs[mode].append(
                {
                    "seconds": time.perf_counter() - started,
                    "adoption": timers["adoption"].seconds,
                    "referral": timers["referral"].seconds,
                }
            )
            market = None
    figures: dict = {"customers": customers, "weeks": weeks, "repeats": repeats}
    base = statistics.median(run["seconds"] for run in runs[modes[0]])
    for mode in modes:
        seconds = statistics.median(run["seconds"] for run in runs[mode])
        figures[mode] = {
            "seconds": round(seconds, 3),
            "runs": [round(run["seconds"], 3) for run in runs[mode]],
            "adoption_seconds": round(statistics.median(run["adoption"] for run in runs[mode]), 3),
            "referral_seconds": round(statistics.median(run["referral"] for run in runs[mode]), 3),
            "ratio": round(seconds / base, 3),
        }
    figures["ratio_basis"] = f"seconds / {modes[0]} seconds (medians)"
    return figures


def cascade(copies: int, seeds: list[int]) -> dict:
    from sim.validation.independent_cascade import cascade_graphs, check_independent_cascade

    rows = []
    for seed in seeds:
        for beta in (0.1, 0.3, 0.6):
            for check in check_independent_cascade(cascade_graphs(), beta, copies, seed=seed):
                rows.append(
                    {
                        "seed": seed,
                        "case": check.name,
                        "beta": beta,
                        "exact": round(check.exact, 5),
                        "engine": round(check.simulated, 5),
                        "standard_error": round(check.standard_error, 5),
                        "errors": round(check.errors, 2),
                    }
                )
    worst = max(rows, key=lambda row: abs(row["errors"]))
    return {"copies": copies, "rows": rows, "largest_error": worst}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=1_000_000, help="market size (people)")
    parser.add_argument("--weeks", type=int, default=52)
    parser.add_argument("--repeats", type=int, default=2, help="runs of each mode, alternating")
    parser.add_argument("--modes", nargs="*", default=list(MODES), choices=list(MODES))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--cascade", action="store_true", help="run the independent-cascade check instead")
    parser.add_argument("--copies", type=int, default=1000, help="--cascade: copies of each graph")
    parser.add_argument("--seeds", type=int, nargs="*", default=[1], help="--cascade: market seeds")
    args = parser.parse_args()
    if args.cascade:
        print(json.dumps(cascade(args.copies, args.seeds)))
    else:
        print(json.dumps(time_modes(args.customers, args.weeks, args.repeats, args.modes, args.seed)))


if __name__ == "__main__":
    main()
