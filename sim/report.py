"""The client report: `sim report` runs the experiments, executes the report notebook and exports it.

Owns building ``report.html``: :func:`gather` runs (or reads back from the run cache) the
replicates a report needs, with every run's cohort spells (:class:`sim.cohorts.LifecycleRunner`);
:class:`ReportData` turns them into the tables the figures of :mod:`sim.plots` draw, the strategy
comparison with 95% CIs and an executive summary written from the numbers. The report workflow,
:func:`report`, gathers them and returns a :class:`ReportResult`, whose ``write`` executes the
parameterised notebook ``sim/report_template.ipynb`` (shipped with the package) with nbclient and
exports it with nbconvert to one self-contained page: figures embedded as PNG, no code, no
prompts, nothing fetched from the network when it is opened. The executed notebook is kept beside
the page (``report.ipynb``) for a consultant to open and adapt. :func:`build_report` does both for
a scenario file.

What is compared: with ``[arms.<label>]`` tables, the arms (strategies of the first firm), on the
same seeds; without, the scenario's firms against each other within the same runs. Either way the
differences are paired by seed (common random numbers).

Example:
    >>> from sim import load_scenario
    >>> scenario = load_scenario("scenarios/conquest_vs_relations.toml", {"market.size": 400, "run.weeks": 30})
    >>> data = gather(scenario, runs=2, jobs=1, cascade_size=0)
    >>> list(data.groups), data.firm
    (['conquest', 'relations'], 'us')
"""

from __future__ import annotations

import io
import json
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from sim.cohorts import LifecycleRunner, channel_table, survival_table, value_table
from sim.execution import RunResult, RunSpec, config_hash, execute, seeds_for
from sim.experiments import arms_of, sweep
from sim.formatting import interval, signed, signed_interval
from sim.manifest import Invocation, write_manifest
from sim.scenario import Scenario, ScenarioError, load_scenario
from sim.statistics import compare_metrics, lower_is_better, scalar_metrics, summarise_runs
from sim.workflow import WorkflowResult

if TYPE_CHECKING:
    from matplotlib.figure import Figure

TEMPLATE = Path(__file__).with_name("report_template.ipynb")

# The metrics of the comparison table: name, label, formatter. Every number the executive
# summary quotes is one of these (or a paired difference of one), so it is on the page.
REPORT_METRICS: list[tuple[str, str, Callable[[float], str]]] = [
    ("profit", "profit over the run (margin - marketing spend)", lambda v: f"{v:,.0f}"),
    ("customer_equity", "customer equity: value of the customers held at the end", lambda v: f"{v:,.0f}"),
    ("total_value", "discounted profit + discounted customer equity", lambda v: f"{v:,.0f}"),
    ("customers_end", "customers at the end (people)", lambda v: f"{v:,.0f}"),
    ("market_share_end", "market share at the end", lambda v: f"{100 * v:.1f}%"),
    ("acquired", "customers won (people)", lambda v: f"{v:,.0f}"),
    ("cac", "CAC, acquisition-only: acquisition spend per customer won", lambda v: f"{v:,.2f}"),
    ("cac_fully_loaded", "CAC, fully loaded: all marketing spend per customer won", lambda v: f"{v:,.2f}"),
    ("cost_to_retain", "cost to retain: retention spend per customer-year", lambda v: f"{v:,.2f}"),
    ("retention_yearly", "retention per year", lambda v: f"{100 * v:.1f}%"),
    ("churned", "customers lost (people)", lambda v: f"{v:,.0f}"),
    ("ltv", "LTV gross: discounted margin per customer won", lambda v: f"{v:,.2f}"),
    ("ltv_net", "LTV net of retention cost, per customer won", lambda v: f"{v:,.2f}"),
    ("ltv_net_cac_fully_loaded", "LTV net / CAC fully loaded", lambda v: f"{v:.2f}"),
    ("payback_weeks_fully_loaded", "payback on fully loaded CAC (weeks)", lambda v: f"{v:,.1f}"),
    ("revenue", "revenue", lambda v: f"{v:,.0f}"),
    ("spend", "marketing spend (acquisition + retention)", lambda v: f"{v:,.0f}"),
    ("acquisition_spend", "acquisition spend", lambda v: f"{v:,.0f}"),
    ("roi", "ROI: (margin - spend) / spend", lambda v: f"{v:.2f}"),
    ("referrals_converted", "customers won by referral (people)", lambda v: f"{v:,.0f}"),
    ("referred_ltv", "LTV gross of a referred customer", lambda v: f"{v:,.2f}"),
]
# A cost per customer is not defined when nothing was spent: the table says so.
_SPEND_BEHIND = {
    "cac": "acquisition_spend",
    "cac_fully_loaded": "spend",
    "cost_to_retain": "retention_spend",
    "ltv_net_cac_fully_loaded": "spend",
    "payback_weeks_fully_loaded": "spend",
    "roi": "spend",
}
_FORMAT = {name: fmt for name, _, fmt in REPORT_METRICS}


@dataclass
class Group:
    """One compared strategy: an arm (the focal firm's strategy) or, without arms, a firm."""

    label: str
    firm: str  # whose outcomes describe the group
    strategy: str
    summaries: list[dict[str, Any]]  # full run summaries, one per seed, with "lifecycle"
    timeseries: pd.DataFrame  # run x week x firm

    @property
    def firm_runs(self) -> list[dict[str, Any]]:
        return [s["firms"][self.firm] for s in self.summaries]

    @property
    def lifecycle(self) -> list[dict[str, Any]]:
        return [s["lifecycle"]["firms"][self.firm] for s in self.summaries]


@dataclass
class ReportData:
    """Everything a report shows, from :func:`gather`; each method returns what one figure or
    table needs."""

    scenario: Scenario
    firm: str  # the firm whose strategies are compared (arms), or the first firm
    mode: str  # "arms" or "firms"
    seeds: list[int]
    groups: dict[str, Group]
    sweep: pd.DataFrame | None = None
    cascade: tuple[pd.DataFrame, Any, list[str]] | None = None  # customers, adjacency, firm names
    seconds: float = 0.0
    comparison: dict[str, Any] = field(init=False)

    def __post_init__(self) -> None:
        self.comparison = compare_groups(self)

    @property
    def runs(self) -> int:
        return len(self.seeds)

    @property
    def weeks(self) -> int:
        return self.scenario.run.weeks

    def firm_means(self) -> dict[str, dict[str, Any]]:
        """Each group's firm summary, averaged over runs (nested tables included)."""
        means = {}
        for label, group in self.groups.items():
            results = [
                RunResult(RunSpec(label, self.scenario, seed), s, None)
                for seed, s in zip(self.seeds, group.summaries, strict=True)
            ]
            means[label] = summarise_runs(results)["firms"][group.firm]
        return means

    def runs_by_group(self) -> dict[str, pd.DataFrame]:
        """Arms: each arm's weekly table; firms: the one shared table under the scenario's name."""
        if self.mode == "firms":
            return {self.scenario.name: next(iter(self.groups.values())).timeseries}
        return {label: group.timeseries for label, group in self.groups.items()}

    def retention(self, channel: str = "won") -> pd.DataFrame:
        """Cohort retention curves per group (:func:`sim.cohorts.survival_table`)."""
        return survival_table({label: g.lifecycle for label, g in self.groups.items()}, channel=channel)

    def retention_by_channel(self, group: str | None = None, min_won: int = 30) -> pd.DataFrame:
        """One group's retention curves by acquisition channel (channels that won at least
        ``min_won`` customers over all runs)."""
        chosen = self.groups[group or next(iter(self.groups))]
        tables = []
        for channel in (
            "organic",
            "search",
            "social",
            "influencer",
            "word_of_mouth",
            "bandwagon",
            "referral",
            "switch",
            "poached",
        ):
            won = sum(b["channels"].get(channel, {}).get("spells", 0) for b in chosen.lifecycle)
            if won >= min_won:
                table = survival_table({channel: chosen.lifecycle}, channel=channel)
                tables.append(table)
        return pd.concat(tables, ignore_index=True) if tables else survival_table({})

    def channels(self) -> pd.DataFrame:
        """Customers won, CAC and LTV per group and channel (:func:`sim.cohorts.channel_table`)."""
        return channel_table(
            {label: g.lifecycle for label, g in self.groups.items()},
            {label: g.firm_runs for label, g in self.groups.items()},
        )

    def values(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Value by decile and Lorenz curves per group (:func:`sim.cohorts.value_table`)."""
        return value_table({label: g.lifecycle for label, g in self.groups.items()})

    def blended(self) -> pd.DataFrame:
        """CAC (acquisition-only and fully loaded) and LTV (gross and net of retention cost) per
        group, with their 95% intervals over runs (None where not defined: nothing spent)."""
        rows = []
        for label in self.groups:
            row: dict[str, Any] = {"group": label}
            for metric in ("cac", "cac_fully_loaded", "ltv", "ltv_net"):
                stats = self.comparison["arms"][label][metric]
                low, high = stats["ci95"] or (None, None)
                row.update({metric: stats["mean"], f"{metric}_low": low, f"{metric}_high": high})
            rows.append(row)
        return pd.DataFrame(rows)

    def spend(self) -> dict[str, dict[str, float]]:
        """Mean spend over the run by lever, per group."""
        return {label: dict(firm["spend_by_lever"]) for label, firm in self.firm_means().items()}

    def table(self) -> pd.DataFrame:
        """The comparison table: one row per metric; per group "mean [95% CI]"; per other group
        the paired difference from the first with its CI and the probability it is better."""
        base = self.comparison["baseline_arm"]
        rows = []
        for metric, label, fmt in REPORT_METRICS:
            row = {"metric": label}
            for group in self.groups:
                stats = self.comparison["arms"][group][metric]
                shown = interval(fmt, stats["mean"], stats["ci95"])
                spend = _SPEND_BEHIND.get(metric)
                if stats["mean"] is None and spend and not self.comparison["arms"][group][spend]["mean"]:
                    shown = "nothing spent"
                elif metric.startswith("payback"):
                    # A mean over only the runs that paid back would flatter: say how many did not.
                    runs = [run[metric] for run in self.groups[group].firm_runs]
                    missed = sum(value is None for value in runs)
                    if missed:
                        shown = f"not within {self.weeks} weeks in {missed} of {len(runs)} runs"
                row[_title(group, self)] = shown
            for group in self.groups:
                if group == base:
                    continue
                diff = self.comparison["differences"][group][metric]
                name = f"{group} - {base}"
                row[f"{name} (paired)"] = signed_interval(
                    _GAP_FORMAT.get(metric, fmt), diff["mean"], diff["ci95"]
                )
                row[f"P({group} better)"] = (
                    "n/a" if diff["prob_better"] is None else f"{100 * diff['prob_better']:.0f}%"
                )
            rows.append(row)
        return pd.DataFrame(rows).set_index("metric")

    def ranking_table(self) -> pd.DataFrame:
        """The verdict behind the summary: on profit and on customer equity, every group ranked
        by its mean, with the paired difference of the best from each other group and its 95% CI."""
        rows = []
        for metric, ranking in self.comparison["rankings"].items():
            fmt = _FORMAT[metric]
            label = dict((m, lab) for m, lab, _ in REPORT_METRICS)[metric]
            best = ranking["best"]
            for place, group in enumerate(ranking["order"], start=1):
                diff = ranking["versus"].get(group)
                rows.append(
                    {
                        "ranked on": label,
                        "place": place,
                        "strategy" if self.mode == "arms" else "firm": _title(group, self),
                        "mean": fmt(ranking["means"][group]),
                        "best minus this (paired, 95% CI)": "best"
                        if diff is None
                        else f"{_title(best, self)} ahead by "
                        + signed_interval(fmt, diff["mean"], diff["ci95"])
                        + ("" if diff["clear"] else ": within the noise"),
                    }
                )
        return pd.DataFrame(rows).set_index(["ranked on", "place"])

    def summary_markdown(self) -> str:
        """The executive summary, in prose generated from the numbers (Markdown)."""
        return executive_summary(self)


def _title(group: str, data: ReportData) -> str:
    if data.mode == "firms":
        return f"{group} ({data.groups[group].strategy})"
    return group


# --------------------------------------------------------------------------- gathering the runs


def gather(
    scenario: Scenario,
    runs: int = 10,
    seed: int | None = None,
    out: str | os.PathLike[str] | None = None,
    jobs: int | None = None,
    cluster: str | None = None,
    progress: bool = False,
    cascade_size: int = 300,
) -> ReportData:
    """Run (or read back from ``<out>/runs/``) what a report shows and return it as :class:`ReportData`.

    Args:
        scenario: a scenario; with ``[arms]`` its arms are compared, else its firms.
        runs: replicates (seeds) per arm, at least 2 for intervals.
        seed: first seed (default ``scenario.run.seed``).
        out: folder of the run cache; None keeps everything in memory.
        jobs, cluster, progress: as in :func:`sim.experiments.execute`.
        cascade_size: people in the small market whose referral cascade is drawn (0: none).
    """
    started = time.perf_counter()
    seeds = seeds_for(scenario, runs, seed)
    runner = LifecycleRunner()
    if scenario.arms:
        arms = arms_of(scenario)
        focal = scenario.firm_names[0]
        specs = [RunSpec(label, arm, s, runner=runner) for label, arm in arms.items() for s in seeds]
        mode = "arms"
    else:
        arms = {scenario.name: scenario.without_experiments()}
        focal = scenario.firm_names[0]
        specs = [RunSpec(scenario.name, arms[scenario.name], s, runner=runner) for s in seeds]
        mode = "firms"
    results = execute(specs, out=out, jobs=jobs, cluster=cluster, progress=progress, keep_timeseries=True)
    groups: dict[str, Group] = {}
    for label, arm in arms.items():
        mine = [r for r in results if r.spec.label == label]
        table = pd.concat([r.timeseries.assign(run=r.spec.seed) for r in mine], ignore_index=True)
        summaries = [r.summary for r in mine]
        if mode == "arms":
            groups[label] = Group(label, focal, arm.firms[focal].strategy, summaries, table)
        else:
            for firm, config in arm.firms.items():
                groups[firm] = Group(firm, firm, config.strategy, summaries, table)
    table_sweep = None
    if scenario.sweep is not None:
        table_sweep = sweep(scenario, seed=seed, out=out, jobs=jobs, cluster=cluster, progress=progress)
    cascade = None
    if cascade_size:
        cascade = _cached_cascade(scenario, cascade_size, seeds[0], None if out is None else Path(out))
    return ReportData(
        scenario=scenario,
        firm=focal,
        mode=mode,
        seeds=seeds,
        groups=groups,
        sweep=table_sweep,
        cascade=cascade,
        seconds=time.perf_counter() - started,
    )


def referral_cascade(scenario: Scenario, size: int, seed: int) -> tuple[pd.DataFrame, Any, list[str]] | None:
    """The scenario shrunk to ``size`` people, run once per arm (or once, without arms), keeping
    the run with the most customers won by referral: its per-person table, its network's
    adjacency and the firm names, for :func:`sim.plots.referral_cascade_figure`. None for a
    mean-field market (no network to draw)."""
    from sim.model import CustomerMarket
    from sim.simulation import collect

    candidates = list(arms_of(scenario).values()) if scenario.arms else [scenario.without_experiments()]
    best: tuple[int, tuple[pd.DataFrame, Any, list[str]]] | None = None
    for candidate in candidates:
        market = CustomerMarket(candidate.with_overrides({"market.size": size}), seed=seed)
        if market.network.adjacency is None:
            return None
        market.run_model()
        customers = collect(market).customers
        referred = int(customers["referrer"].notna().sum())
        if best is None or referred > best[0]:
            best = (referred, (customers, market.network.adjacency, [f.name for f in market.firm_list]))
    return best[1] if best else None


def _cached_cascade(
    scenario: Scenario, size: int, seed: int, out: Path | None
) -> tuple[pd.DataFrame, Any, list[str]] | None:
    """:func:`referral_cascade`, kept under ``<out>/runs/cascade/`` so that the report notebook
    reads it back instead of simulating again (the folder name hashes every candidate scenario)."""
    if out is None:
        return referral_cascade(scenario, size, seed)
    import hashlib

    from scipy import sparse

    from sim.results import atomic_write

    candidates = list(arms_of(scenario).values()) if scenario.arms else [scenario.without_experiments()]
    key = hashlib.sha256(" ".join(config_hash(c) for c in candidates).encode()).hexdigest()[:16]
    folder = out / "runs" / "cascade" / f"{key}-size-{size}-seed-{seed}"
    names = folder / "firms.json"
    if names.exists():
        firms = json.loads(names.read_text())
        if firms is None:
            return None
        return pd.read_parquet(folder / "customers.parquet"), sparse.load_npz(folder / "adjacency.npz"), firms
    cascade = referral_cascade(scenario, size, seed)
    folder.mkdir(parents=True, exist_ok=True)
    if cascade is not None:
        customers, adjacency, firms = cascade
        atomic_write(folder / "customers.parquet", lambda p: customers.to_parquet(p, index=False))
        atomic_write(folder / "adjacency.npz", lambda p: _save_sparse(p, adjacency))
    # Written last: its presence says the other two are complete.
    atomic_write(names, lambda p: p.write_text(json.dumps(None if cascade is None else cascade[2])))
    return cascade


def _save_sparse(path: Path, matrix: Any) -> None:
    from scipy import sparse

    with path.open("wb") as handle:  # a handle: given a path, save_npz would add ".npz" to it
        sparse.save_npz(handle, sparse.csr_matrix(matrix))


def compare_groups(data: ReportData) -> dict[str, Any]:
    """Means with 95% CIs per group and metric, each group's paired difference from the first and
    the rankings: :func:`sim.statistics.compare_metrics`, the statistics of :func:`sim.compare`,
    in the shape of its ``comparison`` (with ``mode``, without the arms' hashes)."""
    compared = compare_metrics(
        {label: [scalar_metrics(f) for f in group.firm_runs] for label, group in data.groups.items()}
    )
    return {
        "scenario": data.scenario.name,
        "firm": data.firm,
        "mode": data.mode,
        "runs": data.runs,
        "seeds": data.seeds,
        "baseline_arm": compared["baseline_arm"],
        "arms": compared["arms"],
        "differences": compared["differences"],
        "rankings": compared["rankings"],
    }


# --------------------------------------------------------------------------- the summary in prose


# The evidence behind the verdict: metric, title, unit. Costs are fully loaded and values net of
# retention cost, so that no bullet treats money spent on keeping customers as free.
_SUMMARY_METRICS = [
    (
        "cac_fully_loaded",
        "Cost to win a customer (CAC, fully loaded)",
        "all marketing spend per customer won",
    ),
    ("ltv_net", "Lifetime value (LTV) net of retention cost", "discounted margin per customer won"),
    ("retention_yearly", "Retention", "share of customers kept per year"),
    ("customers_end", "Customers at the end", "people"),
]
# The verdict's two measures and how the summary names them.
_HEADLINE_TITLES = {
    "profit": ("Profit", "margin minus all marketing spend over the run"),
    "customer_equity": (
        "Customer equity",
        "the value of the customers held at the end: their projected margin net of what keeping "
        "them costs, discounted",
    ),
}
# A ratio is never the headline when its denominator leaves out more than this share of the spend.
RATIO_SPEND_TOLERANCE = 0.1


def _verdict(data: ReportData, metric: str, title: str, unit: str) -> str:
    """One bullet: who is best on ``metric``, the means with their CIs, and the paired difference
    exactly as the comparison table shows it (a group minus the first), clear of zero or not."""
    arms = data.comparison["arms"]
    fmt = _FORMAT[metric]
    means = {g: arms[g][metric]["mean"] for g in data.groups if arms[g][metric]["mean"] is not None}
    missing = {g: _undefined_because(data, metric, g) for g in data.groups if g not in means}
    if len(means) < 2:
        shown = [
            f"{_title(g, data)} {interval(fmt, arms[g][metric]['mean'], arms[g][metric]['ci95'])}"
            for g in means
        ] + [f"{_title(g, data)}: {why}" for g, why in missing.items()]
        return f"- **{title}** ({unit}): " + "; ".join(shown) + "; nothing to compare."
    pick = min if lower_is_better(metric) else max
    best = pick(means, key=means.get)
    base = data.comparison["baseline_arm"]
    diff_arm = best if best != base else pick((g for g in means if g != base), key=means.get)
    diff = data.comparison["differences"][diff_arm][metric]
    ranked = sorted(means, key=means.get, reverse=pick is max)
    values = ", ".join(
        f"{_title(g, data)} {interval(fmt, arms[g][metric]['mean'], arms[g][metric]['ci95'])}" for g in ranked
    )
    if missing:
        values += "; " + ", ".join(f"{_title(g, data)}: {why}" for g, why in missing.items())
    gap = signed_interval(_GAP_FORMAT.get(metric, fmt), diff["mean"], diff["ci95"])
    if diff["ci95"] is None:
        return f"- **{title}** ({unit}): {values}; too few runs for an interval."
    low, high = diff["ci95"]
    if low > 0 or high < 0:
        return (
            f"- **{title}** ({unit}): **{_title(best, data)} is better**: {values}. "
            f"Paired difference {diff_arm} - {base}: {gap}, clear of zero."
        )
    return (
        f"- **{title}** ({unit}): **no clear winner**: {values}. "
        f"Paired difference {diff_arm} - {base}: {gap}, which includes zero: the gap is within the "
        f"noise of {data.runs} runs."
    )


def _undefined_because(data: ReportData, metric: str, group: str) -> str:
    """Why a metric has no value for a group, as the table says it."""
    spend = _SPEND_BEHIND.get(metric)
    if spend and not data.comparison["arms"][group][spend]["mean"]:
        return "nothing spent"
    if metric.startswith("payback"):
        return f"not paid back within {data.weeks} weeks"
    return "not defined (no customers won)"


def _noun(data: ReportData) -> str:
    return "strategy" if data.mode == "arms" else "firm"


# Differences of shares are in percentage points.
_GAP_FORMAT = {
    "retention_yearly": lambda v: f"{100 * v:.1f} pp",
    "market_share_end": lambda v: f"{100 * v:.1f} pp",
}


def _headline(data: ReportData, metric: str) -> tuple[str, str | None, bool]:
    """The bullet for one headline measure, the group ranked first (None if undefined) and whether
    its lead over every other group is clear of zero. Numbers as the ranking table shows them."""
    ranking = data.comparison["rankings"][metric]
    title, unit = _HEADLINE_TITLES[metric]
    fmt = _FORMAT[metric]
    if not ranking["order"]:
        return f"- **{title}** ({unit}): not defined (no customers held).", None, False
    best = ranking["best"]
    arms = data.comparison["arms"]
    values = ", ".join(
        f"{_title(g, data)} {interval(fmt, arms[g][metric]['mean'], arms[g][metric]['ci95'])}"
        for g in ranking["order"]
    )
    leads = []
    clear = True
    for other, diff in ranking["versus"].items():
        if diff["ci95"] is None:
            leads.append(f"ahead of {_title(other, data)} by {signed(fmt, diff['mean'])} (too few runs)")
            clear = False
            continue
        state = "clear of zero" if diff["clear"] else "within the noise"
        clear = clear and diff["clear"]
        leads.append(
            f"ahead of {_title(other, data)} by {signed_interval(fmt, diff['mean'], diff['ci95'])} ({state})"
        )
    verdict = (
        f"**{_title(best, data)} is ahead**" if clear else f"**{_title(best, data)} leads, not clearly**"
    )
    return (
        f"- **{title}** ({unit}): {verdict}: {values}. Paired by seed, {_title(best, data)} is "
        + "; ".join(leads)
        + ".",
        best,
        clear,
    )


def _left_out_ratios(data: ReportData) -> str | None:
    """Why acquisition-only CAC and LTV / CAC are not the headline: the share of a group's spend
    their denominator leaves out, from the spend rows of the table."""
    arms = data.comparison["arms"]
    notes = []
    for g in data.groups:
        spend = arms[g]["spend"]["mean"] or 0.0
        acquisition = arms[g]["acquisition_spend"]["mean"] or 0.0
        if spend > 0 and 1 - acquisition / spend > RATIO_SPEND_TOLERANCE:
            notes.append(
                f"{_title(g, data)} spends {_FORMAT['spend'](spend)}, of which "
                f"{_FORMAT['acquisition_spend'](acquisition)} on acquisition: {100 * (1 - acquisition / spend):.0f}% left out"
            )
    if not notes:
        return None
    return (
        "Acquisition-only CAC (and LTV over it) is shown in the table but not used to judge: its "
        "denominator leaves out more than a tenth of the spend (" + "; ".join(notes) + "). "
        "The costs above are fully loaded and the values net of retention cost, so every dollar is "
        "counted once."
    )


def executive_summary(data: ReportData) -> str:
    """The executive summary (Markdown): what was compared; the verdict on profit and customer
    equity with paired 95% CIs; the evidence (fully loaded CAC, LTV net of retention cost,
    retention, customers); and the bottom line. Every number in it is on the page (the comparison
    and ranking tables) or computed from numbers there."""
    years = data.weeks / 52
    if data.mode == "arms":
        what = (
            f"We compared **{len(data.groups)} strategies for {data.firm}** "
            f"({', '.join(data.groups)}) against the same competitor, each on the same "
            f"{data.runs} seeds ({data.seeds[0]}-{data.seeds[-1]}): every pair of runs shares its market, "
            f"network and luck, so the differences are paired."
        )
    else:
        what = (
            f"We compared **the {len(data.groups)} firms** of the market "
            f"({', '.join(_title(g, data) for g in data.groups)}) within the same {data.runs} runs "
            f"(seeds {data.seeds[0]}-{data.seeds[-1]}); differences are paired by run."
        )
    size = data.scenario.market.size
    profit_line, profit_best, profit_clear = _headline(data, "profit")
    equity_line, equity_best, equity_clear = _headline(data, "customer_equity")
    lines = [
        f"{what} The market has {size:,} people; each run covers {data.weeks} weeks ({years:.1f} years). "
        "Ranges in brackets are 95% confidence intervals over the runs.",
        "",
        "**The verdict**, on the money each "
        + _noun(data)
        + " makes over the run and the customers it leaves behind:",
        "",
        profit_line,
        equity_line,
        "",
        "**Why**:",
        "",
        *(_verdict(data, metric, title, unit) for metric, title, unit in _SUMMARY_METRICS),
        "",
    ]
    note = _left_out_ratios(data)
    if note:
        lines += [note, ""]
    lines.append(_bottom_line(data, profit_best, profit_clear, equity_best, equity_clear))
    return "\n".join(lines)


def _bottom_line(
    data: ReportData, profit_best: str | None, profit_clear: bool, equity_best: str | None, equity_clear: bool
) -> str:
    arms = data.comparison["arms"]
    if profit_best is None:
        return "**Bottom line:** profit is not defined for these runs."
    profit = _FORMAT["profit"](arms[profit_best]["profit"]["mean"])
    sentence = f"**Bottom line:** {_title(profit_best, data)} makes the most profit ({profit} on average)"
    if not profit_clear:
        sentence += ", though not clearly: the gap is within the noise of these runs"
    if equity_best is None:
        return sentence + "."
    equity = _FORMAT["customer_equity"](arms[equity_best]["customer_equity"]["mean"])
    if equity_best == profit_best:
        sentence += f" and leaves the most valuable customer base (customer equity {equity})"
        if not equity_clear:
            sentence += ", not clearly"
        return sentence + "."
    sentence += (
        f"; {_title(equity_best, data)} leaves the more valuable customer base (customer equity {equity}"
        + ("" if equity_clear else ", not clearly")
        + ")"
    )
    totals = {
        g: arms[g]["total_value"]["mean"] for g in data.groups if arms[g]["total_value"]["mean"] is not None
    }
    if totals:
        best_total = max(totals, key=totals.get)
        sentence += (
            f". Counting both, discounted profit plus discounted equity is highest for "
            f"{_title(best_total, data)} ({_FORMAT['total_value'](totals[best_total])})"
        )
    return sentence + "."


# --------------------------------------------------------------------------- the notebook and the page


def show(figure: Figure, dpi: int = 100) -> None:
    """Display a figure in a notebook as an embedded PNG and free it (works whatever matplotlib
    backend is active, so the report and the notebooks look the same)."""
    import matplotlib.pyplot as plt
    from IPython.display import Image, display

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    plt.close(figure)
    display(Image(data=buffer.getvalue(), format="png"))


def inject_parameters(notebook: Any, parameters: dict[str, Any]) -> None:
    """Add a cell after the one tagged ``parameters`` that sets ``parameters`` (papermill's
    convention: the injected cell is tagged ``injected-parameters``), replacing an earlier one."""
    import nbformat

    cells = notebook.cells
    cells[:] = [c for c in cells if "injected-parameters" not in c.get("metadata", {}).get("tags", [])]
    index = next(
        (i for i, c in enumerate(cells) if "parameters" in c.get("metadata", {}).get("tags", [])), None
    )
    if index is None:
        raise ValueError("the report notebook has no cell tagged 'parameters'")
    source = "# Parameters of this report (injected by `sim report`)\n" + "\n".join(
        f"{name} = {value!r}" for name, value in parameters.items()
    )
    cell = nbformat.v4.new_code_cell(source, metadata={"tags": ["injected-parameters"]})
    cells.insert(index + 1, cell)


# A page that works offline: nbconvert's templates load require.js and MathJax from CDNs.
_REMOTE = re.compile(
    r"<script\b[^>]*\bsrc\s*=\s*[\"']https?://[^>]*>\s*</script>|<link\b[^>]*\bhref\s*=\s*[\"']https?://[^>]*>",
    re.IGNORECASE,
)
_MATHJAX_CONFIG = re.compile(r"<!-- Load mathjax -->.*?<!-- End of mathjax configuration -->", re.DOTALL)
# Inline scripts that would import code from the network (the lab template's mermaid loader).
_REMOTE_SCRIPT = re.compile(
    r"<script\b[^>]*>(?:(?!</script>).)*?\b(?:import|fetch)\(\s*[\"'`]https?://.*?</script>",
    re.DOTALL | re.IGNORECASE,
)


def remote_references(html: str) -> list[str]:
    """Every script, stylesheet, font or image the page would fetch over the network.

    Example:
        >>> remote_references('<img src="https://x.org/a.png"><a href="https://x.org">ok</a>')
        ['https://x.org/a.png']
    """
    found = re.findall(
        r"<(?:script|img|iframe|source|link)\b[^>]*\b(?:src|href)\s*=\s*[\"'](https?://[^\"']+)",
        html,
        re.IGNORECASE,
    )
    found += re.findall(r"@import\s+(?:url\()?[\"']?(https?://[^\"')\s]+)", html, re.IGNORECASE)
    found += re.findall(r"url\(\s*[\"']?(https?://[^\"')\s]+)", html, re.IGNORECASE)
    found += re.findall(r"\b(?:import|fetch)\(\s*[\"'`](https?://[^\"'`]+)", html, re.IGNORECASE)
    return found


def export_html(notebook: Any, title: str) -> str:
    """The executed notebook as one self-contained HTML page: outputs only, no prompts, figures
    embedded, and no reference to anything on the network."""
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(
        template_name="lab", exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True,
        embed_images=True,
    )  # fmt: skip
    notebook.metadata["title"] = title
    html, _ = exporter.from_notebook_node(notebook)
    html = _MATHJAX_CONFIG.sub("", html)
    html = _REMOTE.sub("", html)
    html = _REMOTE_SCRIPT.sub("", html)
    left = remote_references(html)
    if left:
        raise RuntimeError(f"the report page still refers to the network: {left[:5]}")
    return html.replace("</head>", f"<style>{_PAGE_STYLE}</style>\n</head>", 1)


# Readable on a laptop and a projector: a centred column, tables that do not wrap numbers.
_PAGE_STYLE = """
body { max-width: 1250px; margin: 0 auto; padding: 1.5em 2em 4em; }
.jp-RenderedHTMLCommon table { font-size: 13px; }
.jp-RenderedHTMLCommon td { white-space: nowrap; }
.jp-RenderedHTMLCommon thead th { white-space: normal; vertical-align: bottom; }
.jp-RenderedHTMLCommon li { margin-bottom: 0.35em; }
.jp-RenderedImage img { max-width: 100%; height: auto; }
"""


# --------------------------------------------------------------------------- the report workflow


@dataclass
class ReportResult(WorkflowResult):
    """What :func:`report` returns: the report's numbers (``data``, a :class:`ReportData` whose
    runs are kept under ``<folder>/runs/``), which print as the comparison and ranking tables,
    draw the report's figures and :meth:`write` the page.

    Attributes:
        data: what the page shows (:func:`gather`).
        folder: where the runs were gathered (their cache, ``<folder>/runs/``, which the report
            notebook reads back).
        runs, seed, cascade_size: as given to :func:`report` (the notebook gathers the same).
        source, overrides: the scenario file and dotted overrides the notebook loads (None: the
            scenario's own file when it reproduces the scenario, else a resolved copy written
            beside the page as ``report.scenario.toml``).
        timeout: seconds the notebook may take to execute.
        invocation: what asked for the report and when, for the manifest.

    Example:
        >>> import tempfile
        >>> from sim import load_scenario
        >>> scenario = load_scenario("scenarios/baseline.toml", {"market.size": 200, "run.weeks": 6})
        >>> result = report(scenario, runs=2, jobs=1, cascade_size=0, out=tempfile.mkdtemp())
        >>> result.data.mode, result.table().splitlines()[0].split()[0]
        ('firms', 'us')
        >>> sorted(result.figures())[:3]
        ['acquisitions', 'cac_ltv', 'customers']
    """

    data: ReportData
    folder: Path
    runs: int
    seed: int | None = None
    cascade_size: int = 300
    source: str | None = None
    overrides: dict[str, Any] = field(default_factory=dict)
    timeout: int = 1800
    invocation: Invocation | None = None

    def table(self) -> str:
        """The page's comparison table and its ranking, as text."""
        return "\n\n".join([self.data.table().to_string(), self.data.ranking_table().to_string()])

    def figures(self) -> dict[str, Figure]:
        """Every figure of the page, by name (:func:`sim.plots.report_figures`)."""
        from sim.plots import report_figures

        return report_figures(self.data)

    def write(
        self,
        out: str | os.PathLike[str] | None = None,
        figures: bool = True,
        invocation: Invocation | None = None,
    ) -> Path:
        """Execute the report notebook and write ``comparison.json``, ``report.ipynb`` (the
        executed notebook) and ``report.html`` into ``out`` (default: the folder the runs were
        gathered in), each atomically, and ``manifest.json`` last (``invocation``, e.g. the
        command line, replaces the result's own). Returns the folder. The page always embeds its
        figures (``figures`` is for the shape every workflow shares and changes nothing here).

        The notebook reads the runs back from ``<folder>/runs/`` in seconds.
        """
        import nbformat
        from nbclient import NotebookClient
        from nbclient.exceptions import CellExecutionError

        from sim.results import atomic_write, write_json

        folder = Path(out) if out is not None else self.folder
        folder.mkdir(parents=True, exist_ok=True)
        scenario = self.data.scenario
        write_json(folder / "comparison.json", self.data.comparison)
        scenario_file, overrides = self.notebook_scenario(folder)
        notebook = nbformat.read(TEMPLATE, as_version=4)
        inject_parameters(
            notebook,
            {
                "SCENARIO": scenario_file,
                "OVERRIDES": overrides,
                "RUNS": self.runs,
                "SEED": self.seed,
                "OUT": str(self.folder.resolve()),
                "CASCADE_SIZE": self.cascade_size,
            },
        )
        client = NotebookClient(
            notebook,
            timeout=self.timeout,
            kernel_name="python3",
            resources={"metadata": {"path": str(folder.resolve())}},
            # The kernel's own warnings (e.g. that it listens on localhost TCP) are not the reader's concern.
            extra_arguments=["--IPKernelApp.log_level=ERROR"],
        )
        try:
            client.execute()
        except CellExecutionError as error:
            atomic_write(folder / "report.failed.ipynb", lambda p: nbformat.write(notebook, str(p)))
            raise RuntimeError(
                f"the report notebook failed; the partly executed notebook is in {folder / 'report.failed.ipynb'}:\n{error}"
            ) from None
        atomic_write(folder / "report.ipynb", lambda p: nbformat.write(notebook, str(p)))
        html = export_html(notebook, f"Customer strategy report: {scenario.name}")
        atomic_write(folder / "report.html", lambda p: p.write_text(html, encoding="utf-8"))
        (folder / "report.failed.ipynb").unlink(missing_ok=True)
        write_manifest(folder, scenario, self.data.seeds, invocation or self.invocation)
        return folder

    def notebook_scenario(self, folder: Path) -> tuple[str, dict[str, Any]]:
        """The scenario file (absolute) and overrides the notebook loads to get this scenario:
        ``source`` and ``overrides`` if given; else the scenario's own file if it reproduces the
        scenario; else a resolved copy written into ``folder`` as ``report.scenario.toml``."""
        from sim.results import atomic_write

        if self.source is not None:
            return str(Path(self.source).resolve()), dict(self.overrides)
        scenario = self.data.scenario
        if scenario.source and Path(scenario.source).is_file():
            try:
                reloaded = load_scenario(scenario.source).to_dict()
            except ScenarioError:
                reloaded = None
            if reloaded == scenario.to_dict():
                return str(Path(scenario.source).resolve()), {}
        resolved = folder / "report.scenario.toml"
        atomic_write(resolved, lambda p: p.write_text(scenario.to_toml()))
        return str(resolved.resolve()), {}


def report(
    scenario: Scenario,
    runs: int = 10,
    seed: int | None = None,
    out: str | os.PathLike[str] | None = None,
    jobs: int | None = None,
    progress: bool = False,
    cascade_size: int = 300,
    source: str | os.PathLike[str] | None = None,
    overrides: dict[str, Any] | None = None,
    timeout: int = 1800,
) -> ReportResult:
    """Gather the runs of the client report of ``scenario`` (its arms, or without arms its firms,
    on the same seeds); ``.write()`` executes the report notebook and writes ``report.html``.

    Args:
        scenario: a scenario, with or without ``[arms]``.
        runs: seeds per arm (at least 2, for the confidence intervals).
        seed: first seed (default ``scenario.run.seed``).
        out: the report's folder: the runs are kept (and resumed) under ``<out>/runs/``, where the
            notebook reads them back; default ``results/<scenario name>/report/``.
        jobs, progress: as in :func:`sim.execution.execute`.
        cascade_size: people in the small market whose referral cascade is drawn (0: none).
        source, overrides: the scenario file and the dotted overrides that make ``scenario``, for
            the notebook to load (default: see :class:`ReportResult`).
        timeout: seconds the notebook may take to execute.

    Example:
        >>> import tempfile
        >>> from sim import load_scenario
        >>> scenario = load_scenario("scenarios/conquest_vs_relations.toml", {"market.size": 200, "run.weeks": 6})
        >>> result = report(scenario, runs=2, jobs=1, cascade_size=0, out=tempfile.mkdtemp())
        >>> result.data.comparison["rankings"]["profit"]["order"]
        ['relations', 'conquest']
    """
    invocation = Invocation.api(
        "sim.report", runs=runs, seed=seed, out=out, jobs=jobs, cascade_size=cascade_size, source=source,
        overrides=overrides,
    )  # fmt: skip
    if runs < 2:
        raise ScenarioError(f"--runs {runs}: a report needs at least 2 runs for its confidence intervals")
    folder = Path(out) if out is not None else Path("results") / scenario.name / "report"
    folder.mkdir(parents=True, exist_ok=True)
    data = gather(scenario, runs, seed, out=folder, jobs=jobs, progress=progress, cascade_size=cascade_size)
    return ReportResult(
        data, folder, runs, seed, cascade_size,
        source=None if source is None else os.fspath(source), overrides=dict(overrides or {}),
        timeout=timeout, invocation=invocation,
    )  # fmt: skip


def build_report(
    scenario_file: str | os.PathLike[str],
    runs: int = 10,
    out: str | os.PathLike[str] | None = None,
    jobs: int | None = None,
    overrides: dict[str, Any] | None = None,
    seed: int | None = None,
    progress: bool = False,
    cascade_size: int = 300,
    timeout: int = 1800,
    invocation: Invocation | None = None,
) -> Path:
    """:func:`report` of a scenario file, written: run the experiments, execute the report
    notebook and write ``report.html`` and ``report.ipynb`` (the executed notebook) into ``out``
    (default ``results/<scenario name>/report/``), each atomically, and ``manifest.json`` last
    (``invocation``: what asked for the report, e.g. the command line; default this call).
    Returns the page's path.

    The runs are computed here first (with a progress bar if asked; resumable: finished runs are
    kept under ``<out>/runs/``), so the notebook reads them back from the cache in seconds.

    Example (executing the notebook takes seconds; tests/test_report.py builds pages):
        >>> page = build_report("scenarios/conquest_vs_relations.toml", runs=2, out="/tmp/cvr-report")  # doctest: +SKIP
        >>> page.name  # doctest: +SKIP
        'report.html'
    """
    invocation = invocation or Invocation.api(
        "sim.report.build_report", scenario_file=scenario_file, runs=runs, out=out, jobs=jobs,
        overrides=overrides, seed=seed, cascade_size=cascade_size,
    )  # fmt: skip
    overrides = dict(overrides or {})
    scenario = load_scenario(scenario_file, overrides=overrides)
    result = report(
        scenario, runs=runs, seed=seed, out=out, jobs=jobs, progress=progress, cascade_size=cascade_size,
        source=scenario_file, overrides=overrides, timeout=timeout,
    )  # fmt: skip
    return result.write(invocation=invocation) / "report.html"


def report_facts(html: str) -> dict[str, int]:
    """What a built page holds: embedded PNG figures, error outputs, code cells shown.

    Example:
        >>> report_facts('<img src="data:image/png;base64,AAA"><div class="highlight hl-ipython3">')
        {'figures': 1, 'errors': 0, 'code_inputs': 1}
    """
    return {
        "figures": len(re.findall(r"<img[^>]+src=\"data:image/png;base64,", html)),
        "errors": html.count('data-mime-type="application/vnd.jupyter.stderr"')
        + html.count('jp-OutputArea-output jp-RenderedText" data-mime-type="application/vnd.jupyter.error')
        + len(re.findall(r"Traceback \(most recent call last\)", html)),
        "code_inputs": html.count("hl-ipython3"),
    }
