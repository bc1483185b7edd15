"""Measuring targets on a simulated run: what a calibration compares with the observed values.

Owns :func:`measure` (a target's points in one run: a weekly column by week or 4-week month,
membership retention from the customer spells, activity retention and repeat purchases from the
run's transaction log, the shares of exits by reason, a per-firm outcome), the
:class:`SpellTracker` that records customer spells while a market steps, and the
:class:`TargetRunner` the executor runs instead of :func:`sim.simulate`, which adds every target's
measurement to the summary (``summary["measures"]``), so calibration runs resume from the cache
and run on processes or Dask like any other.

Example:
    >>> from sim import load_scenario, simulate
    >>> result = simulate(load_scenario("scenarios/research.toml", {"market.size": 300, "run.weeks": 8}))
    >>> measure(Target("scalar", (), (0.0,), metric="customers_end", firm="us"), result) == [
    ...     result.summary["firms"]["us"]["customers_end"]]
    True
"""

from __future__ import annotations

import datetime
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sim.calibration.targets import Target
from sim.design import WEEKLY
from sim.model import CustomerMarket
from sim.scenario import Scenario
from sim.simulation import collect
from sim.statistics import scalar_metrics
from sim.transactions import cohort_curves, transaction_table

if TYPE_CHECKING:
    from sim.results import SimulationResult


class SpellTracker:
    """Customer spells (person, firm, first week, last week) of a market stepped by hand: what
    membership retention is measured on. A spell starts the week a person becomes a firm's
    customer and ends the week they leave it (churn, switch, death or move)."""

    def __init__(self, market: CustomerMarket) -> None:
        c = market.customers
        self.firm = c.firm.astype(np.int16)
        self.person = c.person_id.copy()
        self.start = np.where(self.firm >= 0, 0, -1).astype(np.int32)  # 0: a customer at week 0
        self.closed: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []

    def update(self, market: CustomerMarket) -> None:
        """Record the spells that ended and started in the week just stepped."""
        c = market.customers
        week = market.week
        changed = (c.firm != self.firm) | (c.person_id != self.person)
        ended = np.flatnonzero(changed & (self.firm >= 0))
        if ended.size:
            self.closed.append(
                (self.firm[ended].copy(), self.start[ended].copy(), np.full(ended.size, week, np.int32))
            )
        self.start[changed] = np.where(c.firm[changed] >= 0, week, -1)
        self.firm[changed] = c.firm[changed]
        self.person[changed] = c.person_id[changed]

    def spells(self, weeks: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(firm, start, end) of every spell; open spells end at ``weeks + 1`` (censored)."""
        open_ = np.flatnonzero(self.firm >= 0)
        parts = [
            *self.closed,
            (self.firm[open_], self.start[open_], np.full(open_.size, weeks + 1, np.int32)),
        ]
        return tuple(np.concatenate([p[i] for p in parts]) for i in range(3))  # type: ignore[return-value]


def membership_retention(
    tracker: SpellTracker, weeks: int, points: Sequence[int], firm: int | None
) -> list[float | None]:
    """Share of the spells started in the run (week >= 1) that last beyond ``start + k``, over
    spells started early enough to be observed for k weeks (``start + k <= weeks``).

    Example:
        >>> from sim import CustomerMarket, load_scenario
        >>> market = CustomerMarket(load_scenario("scenarios/research.toml", {"market.size": 300, "run.weeks": 10}))
        >>> tracker = SpellTracker(market)
        >>> while market.running:
        ...     market.step()
        ...     tracker.update(market)
        >>> membership_retention(tracker, 10, [0], firm=None)  # every spell outlasts its first week
        [1.0]
    """
    spell_firm, start, end = tracker.spells(weeks)
    acquired = start >= 1
    if firm is not None:
        acquired &= spell_firm == firm
    out: list[float | None] = []
    for k in points:
        observed = acquired & (start + k <= weeks)
        n = int(observed.sum())
        out.append(float((end[observed] > start[observed] + k).sum() / n) if n else None)
    return out


def _series(target: Target, timeseries: pd.DataFrame) -> list[float | None]:
    table = timeseries if target.firm is None else timeseries[timeseries["firm"] == target.firm]
    by_week = table.groupby("week")[target.metric].sum()
    if target.unit == "week":
        return [float(by_week.get(w, np.nan)) for w in target.points]
    stock = WEEKLY[target.metric].stock
    out = []
    for month in target.points:
        block = by_week.loc[4 * month - 3 : 4 * month]
        out.append(float(block.mean() if stock else block.sum()))
    return out


def measure(
    target: Target,
    result: SimulationResult,
    log: pd.DataFrame | None = None,
    tracker: SpellTracker | None = None,
    initial_ids: np.ndarray | None = None,
) -> list[float | None]:
    """The simulated value of each point of ``target`` in one run (None where undefined).

    Example:
        >>> from sim import load_scenario, simulate
        >>> result = simulate(load_scenario("scenarios/research.toml", {"market.size": 300, "run.weeks": 8}))
        >>> target = Target("scalar", (), (0.0,), metric="customers_end", firm="us")
        >>> measure(target, result) == [result.summary["firms"]["us"]["customers_end"]]
        True
    """
    scenario = result.scenario
    weeks = result.summary["weeks"]
    if target.kind == "series":
        values = _series(target, result.timeseries)
    elif target.kind == "scalar":
        values = [scalar_metrics(result.summary["firms"][target.firm])[target.metric]]
    elif target.kind == "churn_reasons":
        firms = [target.firm] if target.firm else list(result.summary["firms"])
        counts = {
            r: sum(result.summary["firms"][f]["churned_by_reason"][r] for f in firms) for r in target.points
        }
        total = sum(sum(result.summary["firms"][f]["churned_by_reason"].values()) for f in firms)
        values = [counts[r] / total if total else None for r in target.points]
    elif target.kind == "retention" and target.definition == "membership":
        firm = None if target.firm is None else scenario.firm_names.index(target.firm)
        values = membership_retention(tracker, weeks, target.points, firm)
    else:
        start = scenario.run.start_date
        cohort = (
            [None, None]
            if target.cohort_weeks is None
            else [start + datetime.timedelta(weeks=w) for w in target.cohort_weeks]
        )
        try:
            curves = cohort_curves(
                log, target.points, window=target.window, origin=start,
                observed_until=start + datetime.timedelta(weeks=weeks), exclude=initial_ids, firm=target.firm,
                cohort_start=cohort[0], cohort_end=cohort[1],
            )  # fmt: skip
        except ValueError:  # nobody bought: the curve is undefined
            return [None] * len(target.points)
        curve = curves.repeat_purchases if target.kind == "repeat_purchases" else curves.retention
        values = [curve[k] for k in target.points]
    return [None if v is None or not math.isfinite(v) else float(v) for v in values]


@dataclass(frozen=True)
class TargetRunner:
    """Runs one (scenario, seed), measures every target and adds the measurements to the summary
    as ``summary["measures"]`` (one list per target). Used as :class:`sim.experiments.RunSpec`'s
    ``runner``; ``targets`` is the targets as JSON, which makes the repr (part of the cache
    folder's name) depend on what is measured. The summary and timeseries are identical to
    :func:`sim.simulate`'s."""

    targets: str

    def __call__(self, scenario: Scenario, seed: int) -> tuple[dict[str, Any], pd.DataFrame]:
        targets = [
            Target(
                **{
                    **t,
                    "points": tuple(t["points"]),
                    "values": tuple(t["values"]),
                    "cohort_weeks": None if t["cohort_weeks"] is None else tuple(t["cohort_weeks"]),
                }
            )
            for t in json.loads(self.targets)
        ]
        needs_log = any(
            t.kind == "repeat_purchases" or (t.kind == "retention" and t.definition == "activity")
            for t in targets
        )
        needs_spells = any(t.kind == "retention" and t.definition == "membership" for t in targets)
        if needs_log:
            scenario = scenario.with_overrides({"run.record_transactions": True})
        market = CustomerMarket(scenario, seed=seed)
        initial = market.customers.person_id[market.customers.firm >= 0].copy()
        tracker = SpellTracker(market) if needs_spells else None
        while market.running:
            market.step()
            if tracker is not None:
                tracker.update(market)
        result = collect(market)
        log = transaction_table(market) if needs_log else None
        measures = [measure(t, result, log, tracker, initial) for t in targets]
        return {**result.summary, "measures": measures}, result.timeseries


def runner_for(targets: Sequence[Target]) -> TargetRunner:
    """The :class:`TargetRunner` that measures ``targets``.

    Example:
        >>> runner = runner_for([Target("scalar", (), (250.0,), metric="ltv", firm="us")])
        >>> summary, _ = runner(load_scenario("scenarios/research.toml", {"market.size": 300, "run.weeks": 8}), 1)  # doctest: +SKIP
        >>> summary["measures"]  # doctest: +SKIP
        [[...]]
    """
    data = [{**t.__dict__, "points": list(t.points), "values": list(t.values)} for t in targets]
    return TargetRunner(json.dumps(data, sort_keys=True, separators=(",", ":")))
