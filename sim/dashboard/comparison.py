"""The dashboard's paired comparison: which arm is compared, and the tables that set the arms side by side.

Owns the data of the side-by-side panels of ``sim dashboard``, without Solara (the panels are in
:mod:`sim.dashboard.workshop`): the compared arm (:func:`compared_arm`: the market as set with
one firm on another strategy, or on a saved plan, a ``sim optimise`` ``best.toml`` given as a path
or uploaded, read by :func:`sim.design.tables.read_plan`), and per arm its customers, its
acquisitions by channel, its churn by reason and its unit economics, with the paired difference
of the compared arm from the market as set (:func:`comparison_tables`). The statistics are
``sim compare``'s (:func:`sim.statistics.compare_metrics`: means with 95% t intervals over the
seeds, differences paired by seed); with one seed (the live markets) there is no interval. Each
metric's row names its basis (what it is a ratio of).

Example:
    >>> from sim import load_scenario
    >>> base = load_scenario("scenarios/baseline.toml", {"market.size": 200, "run.weeks": 4})
    >>> label, arm = compared_arm(base, "us", strategy="relations")
    >>> label, arm.firms["us"].strategy
    ('relations', 'relations')
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from sim.agents.customers import CHANNEL_NAMES, REASON_NAMES
from sim.design.tables import choice_overrides
from sim.scenario import Scenario, ScenarioError
from sim.statistics import compare_metrics, scalar_metrics

# The unit economics of each arm: summary metric, what the page calls it, its basis, its format.
UNIT_ECONOMICS: tuple[tuple[str, str, str, str], ...] = (
    ("customers_end", "customers at the end", "people buying at the last week shown", "count"),
    ("acquired", "customers won", "people won over the weeks run", "count"),
    ("churned", "customers lost", "people who left over the weeks run", "count"),
    ("cac_fully_loaded", "CAC, fully loaded", "all marketing spend / customers won", "money"),
    ("cac", "CAC, acquisition-only", "acquisition spend / customers won", "money"),
    ("ltv_net", "LTV net of retention cost",
     "discounted margin per customer won, less the retention spend that kept them", "money"),
    ("ltv_net_cac_fully_loaded", "LTV net / CAC fully loaded", "the two rows above, as a ratio", "ratio"),
    ("payback_weeks_fully_loaded", "payback, fully loaded (weeks)",
     "weeks of a customer's margin to repay the fully loaded CAC", "weeks"),
    ("payback_weeks", "payback, acquisition-only (weeks)",
     "weeks of a customer's margin to repay the acquisition-only CAC", "weeks"),
    ("profit", "profit", "margin - all marketing spend, over the weeks run", "money"),
    ("customer_equity", "customer equity",
     "customers at the end x their projected discounted margin net of retention cost", "money"),
)  # fmt: skip
CHANNELS = [name for name in CHANNEL_NAMES if name != "initial"]
REASONS = list(REASON_NAMES)


class PlanError(ValueError):
    """A saved plan that cannot be used: the message names the file and what is wrong."""


def plan_overrides(firm: str, plan: str | Path) -> dict[str, Any]:
    """The dotted overrides that put ``firm`` on the plan of a ``sim optimise`` best.toml.

    Raises:
        PlanError: the file is missing, is not TOML or has no plan for ``firm``.
    """
    try:
        return choice_overrides(firm, {"plan": str(plan)})
    except ValueError as error:
        raise PlanError(str(error)) from None


def uploaded_plan(firm: str, name: str, data: bytes) -> dict[str, Any]:
    """:func:`plan_overrides` of a best.toml uploaded to the page (``data``, the file named ``name``)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder, Path(name).name or "best.toml")
        path.write_bytes(data)
        try:
            return plan_overrides(firm, path)
        except PlanError as error:
            raise PlanError(str(error).replace(str(path), name)) from None


def compared_arm(
    base: Scenario, firm: str, strategy: str | None = None, plan: dict[str, Any] | None = None,
    plan_name: str = "plan",
) -> tuple[str, Scenario]:  # fmt: skip
    """The compared arm: the market as set (``base``) with ``firm`` on ``strategy``, or on ``plan``
    (overrides from :func:`plan_overrides`), and its label ("relations", "plan best.toml").

    Raises:
        ScenarioError: the scenario refuses the strategy or plan for this market.
    """
    if plan is not None:
        return f"{plan_name}", base.with_overrides(plan)
    if strategy is None:
        raise ValueError("a compared arm needs a strategy or a plan")
    return strategy, base.with_overrides({f"firms.{firm}.strategy": strategy})


def arm_labels(base: Scenario, firm: str, arm_label: str) -> tuple[str, str]:
    """What the page calls the two arms: the firm's strategy as set and the compared one; the
    market as set gets "(as set)" when both would read the same."""
    own = base.firms[firm].strategy
    return (f"{own} (as set)" if own == arm_label else own), arm_label


@dataclass(frozen=True)
class ComparisonTables:
    """The arms side by side: ``economics`` (one row per unit-economics metric, with its basis),
    ``channels`` (customers won per channel) and ``reasons`` (customers lost per reason); each
    with, per arm, the mean over the seeds and its 95% interval, and the paired difference of
    the compared arm from the market as set. ``runs``: the seeds behind each mean."""

    labels: tuple[str, str]
    runs: int
    economics: pd.DataFrame
    channels: pd.DataFrame
    reasons: pd.DataFrame


def comparison_tables(
    base_summaries: list[dict[str, Any]], arm_summaries: list[dict[str, Any]], labels: tuple[str, str]
) -> ComparisonTables:
    """The arms compared on the same seeds: ``base_summaries`` and ``arm_summaries`` are the
    compared firm's summaries (``summary["firms"][firm]``) per seed, in the same seed order.

    Example:
        >>> base = [{"profit": 10.0, "acquired_by_channel": {"search": 2}}, {"profit": 12.0, "acquired_by_channel": {"search": 3}}]
        >>> arm = [{"profit": 15.0, "acquired_by_channel": {"search": 1}}, {"profit": 16.0, "acquired_by_channel": {"search": 1}}]
        >>> tables = comparison_tables(base, arm, ("balanced", "relations"))
        >>> row = tables.economics.set_index("metric").loc["profit"]
        >>> float(row["balanced"]), float(row["relations"]), float(row["difference"])
        (11.0, 15.5, 4.5)
    """
    compared = compare_metrics(
        {
            labels[0]: [scalar_metrics(s) for s in base_summaries],
            labels[1]: [scalar_metrics(s) for s in arm_summaries],
        }
    )
    runs = len(base_summaries)

    def rows(metrics: list[tuple[str, str, str, str]]) -> pd.DataFrame:
        out = []
        for metric, label, basis, kind in metrics:
            if metric not in compared["arms"][labels[0]]:
                continue
            row: dict[str, Any] = {"metric": metric, "label": label, "basis": basis, "kind": kind}
            for arm in labels:
                stats = compared["arms"][arm][metric]
                row[arm] = stats["mean"]
                row[f"{arm} ci95"] = stats["ci95"]
            diff = compared["differences"][labels[1]][metric]
            if runs == 1:  # paired_difference needs two seeds; one seed's difference is plain
                a, b = row[labels[1]], row[labels[0]]
                row["difference"] = None if a is None or b is None else a - b
                row["difference ci95"] = None
            else:
                row["difference"], row["difference ci95"] = diff["mean"], diff["ci95"]
            out.append(row)
        return pd.DataFrame(out)

    channels = [
        (f"acquired_by_channel.{c}", c.replace("_", " "), "customers won through it", "count")
        for c in CHANNELS
    ]
    reasons = [
        (f"churned_by_reason.{r}", r.replace("_", " "), "customers lost for it", "count") for r in REASONS
    ]
    return ComparisonTables(labels, runs, rows(list(UNIT_ECONOMICS)), rows(channels), rows(reasons))


def format_value(value: float | None, kind: str) -> str:
    """A table cell: "-" for a metric not defined (nothing spent, payback not reached)."""
    if value is None or value != value:
        return "-"
    if kind == "ratio":
        return f"{value:,.2f}"
    if kind == "money":
        return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}"
    return f"{value:,.0f}" if kind in ("count", "weeks") and abs(value) >= 10 else f"{value:,.1f}"


def format_interval(interval: list[float] | tuple[float, float] | None, kind: str) -> str:
    """A 95% interval as "[low; high]", or "" without one (one seed)."""
    if not isinstance(interval, list | tuple) or len(interval) != 2:  # None, or NaN from a table
        return ""
    return f" [{format_value(interval[0], kind)}; {format_value(interval[1], kind)}]"


def refusal(error: ScenarioError | ValueError) -> str:
    """What the page says when an arm cannot be built."""
    return f"side by side: {error}"
