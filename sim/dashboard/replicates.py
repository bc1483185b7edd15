"""The dashboard's replicates: the settings in force run on N seeds in the background, as bands.

Owns what the "replicates" control of ``sim dashboard`` computes, without Solara (the panel is in
:mod:`sim.dashboard.workshop`): the runs (:func:`run_replicates`: the market as set and, for a
paired comparison, the compared arm, on the same seeds, so common random numbers pair them;
executed by :func:`sim.execution.execute`, which decides between this process and a pool of
processes, with progress reported run by run and a cancel that stops at the next finished run),
and what they show (:class:`ReplicateSet`): per week the median with its 50% and 90% bands of an
outcome over the seeds (:meth:`ReplicateSet.bands`), the per-seed difference of the compared arm
from the market as set with its 95% t interval (:meth:`ReplicateSet.difference`, the interval of
:func:`sim.statistics.mean_ci`), and the verdict in words on a summary metric
(:meth:`ReplicateSet.verdict`, from :func:`sim.statistics.paired_difference`: the statistics of
``sim compare``), stated only when the interval excludes zero.

Example:
    >>> from sim import load_scenario
    >>> base = load_scenario("scenarios/baseline.toml", {"market.size": 200, "run.weeks": 4})
    >>> arm = base.with_overrides({"firms.us.strategy": "relations"})
    >>> reps = run_replicates(base, arm, seeds=[1, 2, 3], firm="us", labels=("balanced", "relations"), jobs=1)
    >>> reps.bands("customers").columns.tolist()[:4]
    ['arm', 'firm', 'week', 'median']
    >>> reps.verdict("profit").runs
    3
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sim.execution import RunResult, RunSpec, execute
from sim.scenario import Scenario
from sim.statistics import lower_is_better, mean_ci, paired_difference, scalar_metrics

MIN_SEEDS, MAX_SEEDS, DEFAULT_SEEDS = 5, 50, 20  # the control's range and start
# The quantiles drawn: the 90% band (5% to 95%), the 50% band (25% to 75%) and the median.
QUANTILES = {"low90": 0.05, "low50": 0.25, "median": 0.5, "high50": 0.75, "high90": 0.95}


@dataclass(frozen=True)
class Outcome:
    """An outcome over weeks: the weekly table's ``column``, summed up to each week when
    ``cumulative`` (profit so far), and the summary metric its last week matches (for the verdict)."""

    label: str
    column: str
    cumulative: bool
    metric: str


# The outcomes a strategist can choose to see over weeks, by what the page calls them.
OUTCOMES = {
    "customers": Outcome("customers", "customers", False, "customers_end"),
    "profit so far": Outcome("profit so far", "profit", True, "profit"),
    "customers won so far": Outcome("customers won so far", "new_customers", True, "acquired"),
    "customers lost so far": Outcome("customers lost so far", "churned", True, "churned"),
    "market share": Outcome("market share", "market_share", False, "market_share_end"),
    "marketing spend so far": Outcome("marketing spend so far", "spend", True, "spend"),
}
# The summary metrics the verdict speaks of: what a strategy is ranked on, then the customers it keeps.
VERDICT_METRICS = ("profit", "customer_equity", "customers_end")
METRIC_WORDS = {"profit": "profit", "customer_equity": "customer equity", "customers_end": "customers at the end",
                "acquired": "customers won", "churned": "customers lost", "market_share_end": "market share",
                "spend": "marketing spend"}  # fmt: skip


class ReplicatesCancelled(Exception):
    """The replicates were cancelled (Reset, or the panel's cancel button) before they finished."""


@dataclass(frozen=True)
class Verdict:
    """A paired difference on one summary metric, in words: the compared arm minus the market as
    set, per seed, its mean and 95% interval (``sim compare``'s statistics), and ``words`` that name
    a winner only when the interval excludes zero."""

    metric: str
    runs: int
    mean: float | None
    ci95: tuple[float, float] | None
    clear: bool
    words: str


@dataclass
class ReplicateSet:
    """The runs of the replicates: ``base`` (the market as set) and ``arm`` (the compared arm, or
    empty), each one :class:`~sim.execution.RunResult` per seed of ``seeds``, in that order.

    Args:
        labels: what the page calls the market as set and the compared arm ("balanced", "relations").
        firm: the firm whose outcomes are compared.
    """

    scenario: Scenario
    firm: str
    seeds: list[int]
    labels: tuple[str, str | None]
    base: list[RunResult]
    arm: list[RunResult] = field(default_factory=list)

    @property
    def paired(self) -> bool:
        return bool(self.arm)

    @property
    def firms(self) -> list[str]:
        return self.scenario.firm_names

    def runs_of(self, which: str) -> list[RunResult]:
        """The runs of arm ``which`` ("base" or "arm")."""
        return self.base if which == "base" else self.arm

    def values(self, which: str, outcome: str) -> np.ndarray:
        """``outcome`` (a key of :data:`OUTCOMES`) per seed, week and firm: shape (seeds, weeks + 1, firms),
        week 0 the state at the start."""
        spec = OUTCOMES[outcome]
        stacked = []
        for run in self.runs_of(which):
            table = run.timeseries.pivot(index="week", columns="firm", values=spec.column)[self.firms]
            values = table.to_numpy(dtype=float)
            stacked.append(np.cumsum(values, axis=0) if spec.cumulative else values)
        return np.stack(stacked)

    def bands(self, outcome: str) -> pd.DataFrame:
        """Per arm, firm and week: the median of ``outcome`` over the seeds and its 50% and 90%
        bands (the columns of :data:`QUANTILES`), one row each; the arm by its label."""
        frames = []
        for which in ("base", "arm") if self.paired else ("base",):
            values = self.values(which, outcome)
            weeks = np.arange(values.shape[1])
            for index, firm in enumerate(self.firms):
                levels = np.quantile(values[:, :, index], list(QUANTILES.values()), axis=0)
                frame = pd.DataFrame({"arm": self.labels[which == "arm"], "firm": firm, "week": weeks})
                for name, row in zip(QUANTILES, levels, strict=True):
                    frame[name] = row
                frames.append(frame[["arm", "firm", "week", "median", "low50", "high50", "low90", "high90"]])
        return pd.concat(frames, ignore_index=True)

    def difference(self, outcome: str) -> pd.DataFrame:
        """Per week, the compared arm minus the market as set in ``outcome`` for :attr:`firm`, seed
        by seed: the mean difference and its 95% t interval over the seeds (``low``, ``high``)."""
        if not self.paired:
            raise ValueError("no compared arm: the difference needs a side-by-side strategy or plan")
        index = self.firms.index(self.firm)
        per_seed = self.values("arm", outcome)[:, :, index] - self.values("base", outcome)[:, :, index]
        rows = []
        for week in range(per_seed.shape[1]):
            mean, interval = mean_ci(per_seed[:, week].tolist())
            low, high = interval if interval is not None else (mean, mean)
            rows.append({"week": week, "mean": mean, "low": low, "high": high})
        return pd.DataFrame(rows)

    def metrics(self, which: str) -> list[dict[str, float | None]]:
        """:attr:`firm`'s summary metrics per seed in arm ``which``, flat (:func:`sim.statistics.scalar_metrics`)."""
        return [scalar_metrics(run.summary["firms"][self.firm]) for run in self.runs_of(which)]

    def verdict(self, metric: str) -> Verdict:
        """The paired difference on ``metric`` in words: "relations ahead on profit by 12,300
        [4,100; 20,500] over 20 paired seeds" when its 95% interval excludes zero, else "no
        difference beyond the noise of 20 seeds" (with the difference and interval in brackets)."""
        if not self.paired:
            raise ValueError("no compared arm: the verdict needs a side-by-side strategy or plan")
        base = [m.get(metric) for m in self.metrics("base")]
        arm = [m.get(metric) for m in self.metrics("arm")]
        diff = paired_difference(base, arm, metric)
        runs, words = len(self.seeds), METRIC_WORDS.get(metric, metric)
        if diff["mean"] is None or diff["ci95"] is None:
            return Verdict(metric, runs, diff["mean"], None, False,
                           f"{words}: not defined in enough seeds to compare")  # fmt: skip
        low, high = diff["ci95"]
        clear = low > 0 or high < 0
        if not clear:
            return Verdict(metric, runs, diff["mean"], (low, high), False,
                           f"{words}: no difference beyond the noise of {runs} seeds "
                           f"({self.labels[1]} - {self.labels[0]}: {_number(diff['mean'])} "
                           f"[{_number(low)}; {_number(high)}])")  # fmt: skip
        arm_better = (diff["mean"] > 0) != lower_is_better(metric)
        # The gap as a positive number, its interval turned with it (the interval excludes zero).
        sign = 1.0 if diff["mean"] > 0 else -1.0
        ends = sorted((sign * low, sign * high))
        winner = self.labels[1] if arm_better else self.labels[0]
        how = "lower" if lower_is_better(metric) else "ahead"
        text = (
            f"{winner} {how} on {words} by {_number(sign * diff['mean'])} "
            f"[{_number(ends[0])}; {_number(ends[1])}] over {runs} paired seeds"
        )
        return Verdict(metric, runs, diff["mean"], (low, high), True, text)


def _number(value: float) -> str:
    """A figure as the page shows it: whole thousands-separated numbers, two decimals below 100."""
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}"


def replicate_specs(base: Scenario, arm: Scenario | None, seeds: list[int]) -> list[RunSpec]:
    """The runs, seed by seed, each arm on the same seed (common random numbers): a run of the
    market as set, then of the compared arm, for each seed in turn, so that the runs finished first
    are whole pairs."""
    specs = []
    for seed in seeds:
        specs.append(RunSpec("base", base.without_experiments(), seed))
        if arm is not None:
            specs.append(RunSpec("arm", arm.without_experiments(), seed))
    return specs


def run_replicates(
    base: Scenario,
    arm: Scenario | None,
    seeds: list[int],
    firm: str,
    labels: tuple[str, str | None],
    cancel: threading.Event | None = None,
    progress: Callable[[int, int], None] | None = None,
    jobs: int | None = None,
) -> ReplicateSet:
    """Run the market as set (``base``) and the compared arm (``arm``, or None) on ``seeds``.

    Args:
        base: the scenario in force on the page.
        arm: the compared arm's scenario (the same market with the compared firm on another
            strategy or plan), or None for bands of the market as set alone.
        seeds: the seeds, the same for both arms.
        firm: the firm the comparison is about.
        labels: what the page calls the two arms.
        cancel: set it to stop; the runs stop at the next run that finishes and
            :class:`ReplicatesCancelled` is raised.
        progress: called with (runs finished, runs in all) after each run.
        jobs: processes, as in :func:`sim.execution.execute` (None: it decides).
    """
    specs = replicate_specs(base, arm, seeds)
    finished = 0

    def on_result(result: RunResult) -> None:
        nonlocal finished
        finished += 1
        if progress is not None:
            progress(finished, len(specs))
        if cancel is not None and cancel.is_set():
            raise ReplicatesCancelled(f"cancelled after {finished} of {len(specs)} runs")

    if cancel is not None and cancel.is_set():
        raise ReplicatesCancelled("cancelled before the first run")
    results = execute(specs, jobs=jobs, on_result=on_result, keep_timeseries=True)
    return ReplicateSet(
        scenario=base,
        firm=firm,
        seeds=list(seeds),
        labels=labels,
        base=[r for r in results if r.spec.label == "base"],
        arm=[r for r in results if r.spec.label == "arm"],
    )


def bands_table(reps: ReplicateSet, outcome: str) -> pd.DataFrame:
    """:meth:`ReplicateSet.bands` with the outcome named, for a CSV download."""
    return reps.bands(outcome).assign(outcome=outcome, seeds=len(reps.seeds))


def describe(reps: ReplicateSet) -> dict[str, Any]:
    """What the replicates were, in a few fields (for the panel's caption and the downloads)."""
    return {"seeds": reps.seeds, "firm": reps.firm, "arms": [label for label in reps.labels if label]}
