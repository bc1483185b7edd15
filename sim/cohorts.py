"""Customer spells, measured while a market runs: cohort retention, value per customer, by channel.

Owns what neither the weekly table nor the per-person table answers exactly. The per-person table
keeps each person's latest state, so a customer who left one firm for another loses the first
spell; the tracker here watches every slot after every week and records each spell a person spends
with a firm: the firm, the channel that won them, the week it started and ended (or was still open
at the end: censored), and the margin it brought, discounted to its first week at the scenario's
``run.discount_rate`` exactly as the summary's lifetime value is (so the mean value of the spells
won during the run equals the summary's ``ltv`` up to the few spells that start and end within one
week).

From the spells of one run, :func:`lifecycle_summary` derives the compact block that
:class:`LifecycleRunner` adds to a run's summary (``summary["lifecycle"]``), small enough to keep
for every replicate in the run cache: per firm and channel the spell-ending and censoring counts by
weeks since acquisition (Kaplan-Meier inputs), the value of customers by decile, the Lorenz curve of
value and the mean value per channel. :func:`survival_table`, :func:`value_table` and
:func:`channel_table` turn those blocks, over runs, into the tidy tables that ``sim.plots`` draws.

Attribution within a week: the margin of a week goes to the spell current at the end of the week,
or, if the person left that week without joining another firm, to the spell that ended.

Example:
    >>> from sim import load_scenario
    >>> scenario = load_scenario("scenarios/baseline.toml", {"market.size": 300, "run.weeks": 20})
    >>> summary, _ = LifecycleRunner()(scenario, 1)
    >>> sorted(summary["lifecycle"]["firms"]["us"])
    ['channels', 'deciles', 'lorenz', 'survival']
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import stats

from sim.agents.customers import CHANNEL_NAMES, Status

if TYPE_CHECKING:
    from sim.model import CustomerMarket
    from sim.scenario import Scenario

LORENZ_POINTS = 21  # share of value held by the top 0%, 5%, ..., 100% of customers
WON_IN_RUN = "won"  # the survival key pooling every channel except the customers at week 0


class SpellTracker:
    """Watches a market after each week and records every customer spell (see the module docs).

    Example:
        >>> from sim import load_scenario
        >>> from sim.model import CustomerMarket
        >>> market = CustomerMarket(load_scenario("scenarios/baseline.toml", {"market.size": 300}))
        >>> tracker = SpellTracker(market)
        >>> for _ in range(10):
        ...     market.step()
        ...     tracker.observe(market)
        >>> list(tracker.spells(market).columns)
        ['firm', 'channel', 'start', 'end', 'weeks', 'churned', 'value']
    """

    def __init__(self, market: CustomerMarket) -> None:
        c = market.customers
        self.firm_names = [f.name for f in market.firm_list]
        self.discount_base = 1 + market.scenario.run.discount_rate
        self.code = self._codes(market)  # firm of each slot's open spell, -1 for none
        self.person = c.person_id.copy()
        self.margin = c.margin.copy()
        self.start = np.full(c.size, market.week, dtype=np.int32)
        self.channel = c.channel.copy()
        self.value = np.zeros(c.size)
        self._closed: list[dict[str, np.ndarray]] = []

    @staticmethod
    def _codes(market: CustomerMarket) -> np.ndarray:
        c = market.customers
        return np.where(c.status != Status.PROSPECT, c.firm, -1).astype(np.int16)

    def observe(self, market: CustomerMarket) -> None:
        """Record the spells that ended and started in the week just stepped."""
        c = market.customers
        week = market.week
        code = self._codes(market)
        same_person = c.person_id == self.person
        delta = np.where(same_person, c.margin - self.margin, c.margin)
        changed = (code != self.code) | ~same_person
        ending = changed & (self.code >= 0)
        starting = changed & (code >= 0)
        discount = self.discount_base ** (-(week - self.start) / 52.0)
        ended = np.flatnonzero(ending)
        if ended.size:
            # Margin of the week goes to the spell that ended only if no new spell took it.
            last = np.where(code[ended] < 0, delta[ended] * discount[ended], 0.0)
            self._closed.append(self._record(ended, week, churned=True, extra=last))
        going_on = (code >= 0) & ~changed
        self.value[going_on] += delta[going_on] * discount[going_on]
        started = np.flatnonzero(starting)
        self.start[started] = week
        self.channel[started] = c.channel[started]
        self.value[started] = delta[started]  # discounted to its own first week: factor 1
        self.code = code
        self.person = c.person_id.copy()
        self.margin = c.margin.copy()

    def _record(
        self, slots: np.ndarray, week: int, churned: bool, extra: np.ndarray | float = 0.0
    ) -> dict[str, np.ndarray]:
        return {
            "firm": self.code[slots].copy(),
            "channel": self.channel[slots].copy(),
            "start": self.start[slots].copy(),
            "end": np.full(slots.size, week, dtype=np.int32),
            "churned": np.full(slots.size, churned),
            "value": self.value[slots] + extra,
        }

    def spells(self, market: CustomerMarket) -> pd.DataFrame:
        """Every spell so far, one row each; spells still open are censored at this week."""
        open_slots = np.flatnonzero(self.code >= 0)
        closed = [*self._closed]
        if open_slots.size:
            closed.append(self._record(open_slots, market.week, churned=False))
        if not closed:
            return pd.DataFrame(columns=["firm", "channel", "start", "end", "weeks", "churned", "value"])
        parts = {key: np.concatenate([part[key] for part in closed]) for key in closed[0]}
        return pd.DataFrame(
            {
                "firm": np.array(self.firm_names)[parts["firm"]],
                "channel": np.array(CHANNEL_NAMES)[parts["channel"]],
                "start": parts["start"],
                "end": parts["end"],
                "weeks": parts["end"] - parts["start"],
                "churned": parts["churned"],
                "value": parts["value"],
            }
        )


def lifecycle_summary(spells: pd.DataFrame, weeks: int, firms: list[str]) -> dict[str, Any]:
    """The compact per-run block kept in the run cache (JSON: lists of numbers).

    Per firm: ``survival[channel]`` with ``ended`` and ``censored`` counts by weeks since the spell
    began (0..weeks; ``won`` pools every channel but ``initial``), ``deciles`` (mean value of the
    customers won during the run, best decile first), ``lorenz`` (share of their total value held
    by the top 0%, 5%, ..., 100%) and ``channels`` (spells and mean value per channel).

    Example:
        >>> spells = pd.DataFrame({"firm": ["us", "us"], "channel": ["search", "initial"],
        ...     "start": [1, 0], "end": [3, 3], "weeks": [2, 3], "churned": [True, False],
        ...     "value": [5.0, 9.0]})
        >>> lifecycle_summary(spells, 3, ["us"])["firms"]["us"]["survival"]["won"]["ended"]
        [0, 0, 1, 0]
    """
    out: dict[str, Any] = {}
    for firm in firms:
        rows = spells[spells["firm"] == firm]
        survival = {}
        for channel, group in [*rows.groupby("channel"), (WON_IN_RUN, rows[rows["channel"] != "initial"])]:
            lengths = group["weeks"].to_numpy()
            churned = group["churned"].to_numpy(dtype=bool)
            survival[channel] = {
                "ended": np.bincount(lengths[churned], minlength=weeks + 1).tolist(),
                "censored": np.bincount(lengths[~churned], minlength=weeks + 1).tolist(),
            }
        won = np.sort(rows.loc[rows["channel"] != "initial", "value"].to_numpy())[::-1]
        out[firm] = {
            "survival": survival,
            "deciles": [float(part.mean()) if part.size else None for part in np.array_split(won, 10)]
            if won.size >= 10
            else [None] * 10,
            "lorenz": _lorenz(won),
            "channels": {
                channel: {"spells": len(group), "value": float(group["value"].mean())}
                for channel, group in rows.groupby("channel")
            },
        }
    return {"firms": out}


def _lorenz(values_descending: np.ndarray) -> list[float] | None:
    """Share of the total held by the top 0%, 5%, ..., 100% (values sorted, largest first)."""
    total = float(values_descending.sum())
    if values_descending.size == 0 or total <= 0:
        return None
    cumulative = np.concatenate([[0.0], np.cumsum(values_descending)]) / total
    positions = np.linspace(0, values_descending.size, LORENZ_POINTS)
    return np.interp(positions, np.arange(values_descending.size + 1), cumulative).round(6).tolist()


@dataclass(frozen=True)
class LifecycleRunner:
    """Runs a scenario like :func:`sim.simulate` and adds ``summary["lifecycle"]`` (the spells).

    A runner for :class:`sim.execution.RunSpec`: picklable, and its repr (part of the run cache
    folder's name) changes with the version of the block it writes. The summary and weekly table
    are exactly those of :func:`sim.simulate` for the same scenario and seed.
    """

    version: int = 1

    def __call__(self, scenario: Scenario, seed: int) -> tuple[dict[str, Any], pd.DataFrame]:
        from sim.model import CustomerMarket
        from sim.simulation import collect

        market = CustomerMarket(scenario, seed=seed)
        tracker = SpellTracker(market)
        while market.running:
            market.step()
            tracker.observe(market)
        result = collect(market)
        block = lifecycle_summary(tracker.spells(market), market.week, tracker.firm_names)
        return {**result.summary, "lifecycle": block}, result.timeseries


# --------------------------------------------------------------------------- tables over runs


def _kaplan_meier(ended: np.ndarray, censored: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Survival at 0..weeks weeks since acquisition, and the number still at risk at each."""
    at_risk = (ended + censored)[::-1].cumsum()[::-1]
    hazard = np.divide(ended, at_risk, out=np.zeros(len(ended)), where=at_risk > 0)
    return np.cumprod(1 - hazard), at_risk


def survival_table(
    groups: dict[str, list[dict[str, Any]]], channel: str = WON_IN_RUN, min_at_risk: int = 20
) -> pd.DataFrame:
    """Cohort retention curves, one per group (e.g. strategy), from each run's survival counts.

    Args:
        groups: label -> one ``lifecycle_summary(...)["firms"][firm]`` block per run.
        channel: which spells (a channel name, or ``"won"`` for every customer won in the run).
        min_at_risk: a curve stops where fewer customers than this, pooled over runs, are at risk.

    Returns:
        Rows of ``group``, ``week`` (since acquisition), ``retained`` (mean of the runs'
        Kaplan-Meier curves), ``low`` and ``high`` (its 95% t interval over runs), ``at_risk``.

    Example:
        >>> block = {"survival": {"won": {"ended": [0, 5, 5], "censored": [0, 0, 10]}}}
        >>> survival_table({"a": [block, block]}, min_at_risk=1)["retained"].round(2).tolist()
        [1.0, 0.75, 0.5]
    """
    rows = []
    for label, blocks in groups.items():
        curves, risk = [], None
        for block in blocks:
            counts = block["survival"].get(channel)
            if counts is None:
                continue
            curve, at_risk = _kaplan_meier(np.array(counts["ended"]), np.array(counts["censored"]))
            curves.append(curve)
            risk = at_risk if risk is None else risk + at_risk
        if not curves:
            continue
        matrix = np.vstack(curves)
        keep = int(np.sum(risk >= min_at_risk))
        mean = matrix.mean(axis=0)
        if len(curves) > 1:
            half = stats.t.ppf(0.975, len(curves) - 1) * matrix.std(axis=0, ddof=1) / math.sqrt(len(curves))
        else:
            half = np.zeros_like(mean)
        for week in range(keep):
            rows.append(
                {"group": label, "week": week, "retained": mean[week], "low": max(0.0, mean[week] - half[week]),
                 "high": min(1.0, mean[week] + half[week]), "at_risk": int(risk[week])}
            )  # fmt: skip
    return pd.DataFrame(rows, columns=["group", "week", "retained", "low", "high", "at_risk"])


def value_table(groups: dict[str, list[dict[str, Any]]]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Customer value by decile and the Lorenz curve per group, as means over runs.

    Returns:
        ``deciles``: ``group``, ``decile`` (1 = the most valuable tenth), ``value``;
        ``lorenz``: ``group``, ``customers`` (top share, 0-1), ``value`` (share of value held).
    """
    deciles, lorenz = [], []
    for label, blocks in groups.items():
        values = np.array([b["deciles"] for b in blocks if b["deciles"][0] is not None], dtype=float)
        if values.size:
            for index, value in enumerate(values.mean(axis=0)):
                deciles.append({"group": label, "decile": index + 1, "value": value})
        curves = np.array([b["lorenz"] for b in blocks if b["lorenz"] is not None], dtype=float)
        if curves.size:
            for share, value in zip(np.linspace(0, 1, LORENZ_POINTS), curves.mean(axis=0), strict=True):
                lorenz.append({"group": label, "customers": share, "value": value})
    return (
        pd.DataFrame(deciles, columns=["group", "decile", "value"]),
        pd.DataFrame(lorenz, columns=["group", "customers", "value"]),
    )


def channel_table(
    groups: dict[str, list[dict[str, Any]]], summaries: dict[str, list[dict[str, Any]]]
) -> pd.DataFrame:
    """Per group and acquisition channel: customers won, CAC and value per customer (means over runs).

    Args:
        groups: label -> per-run lifecycle blocks of the firm (spells and value per channel).
        summaries: label -> per-run firm summaries (``acquired_by_channel``, ``cac_by_channel``).

    Returns:
        Rows of ``group``, ``channel``, ``acquired`` (per run), ``cac`` (spend on the channel's lever
        per customer it won; 0 for free channels), ``value`` (discounted margin per spell).
    """
    rows = []
    for label, blocks in groups.items():
        firm_runs = summaries[label]
        for channel in firm_runs[0]["acquired_by_channel"]:
            acquired = np.mean([s["acquired_by_channel"][channel] for s in firm_runs])
            if acquired <= 0:
                continue
            cacs = [
                s["cac_by_channel"][channel] for s in firm_runs if s["cac_by_channel"][channel] is not None
            ]
            values = [b["channels"][channel]["value"] for b in blocks if channel in b["channels"]]
            rows.append(
                {"group": label, "channel": channel, "acquired": float(acquired),
                 "cac": float(np.mean(cacs)) if cacs else None,
                 "value": float(np.mean(values)) if values else None}
            )  # fmt: skip
    return pd.DataFrame(rows, columns=["group", "channel", "acquired", "cac", "value"])
