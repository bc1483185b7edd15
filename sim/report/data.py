"""What a report shows: the runs it gathers and the comparison, tables and figures' data made of them.

Owns :func:`gather`, which runs (or reads back from the run cache) the replicates a report needs,
with every run's cohort spells (:class:`sim.cohorts.LifecycleRunner`), and :class:`ReportData`,
which turns them into the tables the figures of :mod:`sim.plots` draw, the strategy comparison with
95% CIs (:func:`compare_groups`, the statistics of :func:`sim.compare`) and the executive summary
(:mod:`sim.report.summary`).

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

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sim.cohorts import LifecycleRunner, channel_table, survival_table, value_table
from sim.event_effects import EFFECT_LABELS, EventEffects, event_effects
from sim.execution import RunResult, RunSpec, config_hash, execute, seeds_for
from sim.experiments import arms_of, sweep
from sim.formatting import interval, signed_interval
from sim.phase_changes import aligned_events, change_rows, change_sentence, phase_statistics
from sim.report.metrics import FORMAT, GAP_FORMAT, REPORT_METRICS, SPEND_BEHIND, group_title
from sim.report.summary import executive_summary
from sim.scenario import Scenario
from sim.statistics import compare_metrics, scalar_metrics, summarise_runs

if TYPE_CHECKING:
    pass


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


# The outcomes of each event's effect the page shows (sim.event_effects.EFFECT_LABELS).
EFFECT_SHOWN = ("profit", "customer_equity", "market_share_end")


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
    # Each group's event effects: its runs against the same seeds without each event (sim.event_effects).
    effects: dict[str, EventEffects] = field(default_factory=dict)
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

    def events(self) -> dict[str, list[dict[str, Any]]]:
        """The events of each panel of the customers figure (the keys of :meth:`runs_by_group`),
        aligned by name over runs (:func:`sim.phase_changes.aligned_events`)."""
        if self.mode == "firms":
            return {self.scenario.name: aligned_events(next(iter(self.groups.values())).summaries)}
        return {label: aligned_events(group.summaries) for label, group in self.groups.items()}

    def phases(self) -> dict[str, dict[str, Any]]:
        """Each group's runs split at their events (:func:`sim.phase_changes.phase_statistics`):
        firms: one entry (the scenario's name) holding every firm; arms: one per arm."""
        groups = (
            {self.scenario.name: next(iter(self.groups.values()))} if self.mode == "firms" else self.groups
        )
        return {label: phase_statistics(group.summaries) for label, group in groups.items()}

    @property
    def has_events(self) -> bool:
        """Whether any event struck in any run (the page then has a "What changed" section)."""
        return any(group_events for group_events in self.events().values())

    def timeline_table(self) -> pd.DataFrame:
        """The events that struck: name, kind, the week (or weeks, across runs) it struck, the
        week its lasting effect ended, and the runs it struck in."""
        rows = []
        for label, events in self.events().items():
            for event in events:
                low, high = event["weeks"]
                row = {} if self.mode == "firms" else {"strategy": label}
                row.update({
                    "event": event["name"], "kind": event["kind"].replace("_", " "),
                    "week": str(low) if low == high else f"{low}-{high}",
                    "effect ends": "-" if event["end"] is None else str(event["end"]),
                    "runs": f"{event['runs']} of {event['of']}",
                })  # fmt: skip
                rows.append(row)
        return pd.DataFrame(rows)

    @property
    def has_reactions(self) -> bool:
        """Whether any firm's response acted in any run (the page then has "How rivals responded")."""
        return any(s.get("reactions") for group in self.groups.values() for s in group.summaries)

    def reactions_table(self) -> pd.DataFrame:
        """What the firms' responses did: per group, firm and rule, the runs it acted in, the week
        it first acted (median and range over those runs), how often it acted per run, and what it
        did the first time in the first such run."""
        rows = []
        for label, group in self.groups.items():
            acted: dict[tuple[str, str], list[list[dict[str, Any]]]] = {}
            for summary in group.summaries:
                per_run: dict[tuple[str, str], list[dict[str, Any]]] = {}
                for reaction in summary.get("reactions", []):
                    per_run.setdefault((reaction["firm"], reaction["rule"]), []).append(reaction)
                for key, reactions in per_run.items():
                    acted.setdefault(key, []).append(reactions)
            for (firm, rule), runs in acted.items():
                first = sorted(run[0]["week"] for run in runs)
                row = {} if self.mode == "firms" else {"strategy": label}
                row.update({
                    "firm": firm, "rule": rule, "runs": f"{len(runs)} of {len(group.summaries)}",
                    "first week": f"{np.median(first):g}" + ("" if first[0] == first[-1] else f" ({first[0]}-{first[-1]})"),
                    "times per run": f"{np.mean([len(run) for run in runs]):.1f}",
                    "first time it saw": runs[0][0]["saw"], "and did": runs[0][0]["did"],
                })  # fmt: skip
                rows.append(row)
        return pd.DataFrame(rows)

    def _phase_firms(self, label: str) -> list[str] | None:
        return None if self.mode == "firms" else [self.firm]

    def changes_table(self) -> pd.DataFrame:
        """The change across each event, paired run by run: per event, firm and outcome the means
        before and after and the change with its 95% CI (:func:`sim.phase_changes.change_rows`)."""
        rows = []
        for label, stats in self.phases().items():
            firms = self._phase_firms(label)
            for row in change_rows(stats):
                if firms is None or row["firm"] in firms:
                    rows.append(row if self.mode == "firms" else {"strategy": label, **row})
        return pd.DataFrame(rows)

    def changes_markdown(self) -> str:
        """The change across each event in sentences (market share and profit per week of each
        firm; with arms, of the focal firm under each strategy), from the numbers of
        :meth:`changes_table`."""
        lines = []
        for label, stats in self.phases().items():
            firms = self._phase_firms(label)
            prefix = "" if self.mode == "firms" else f"With {label}: "
            for change in stats["changes"]:
                for firm in change["firms"]:
                    if firms is None or firm in firms:
                        for metric in ("market_share", "profit_per_week"):
                            lines.append(f"- {prefix}{change_sentence(change, firm, metric)}")
        return "\n".join(lines)

    def effects_table(self) -> pd.DataFrame:
        """What each event did, against the same seeds without it: per strategy (with arms) or
        firm, event and outcome, the effect with its 95% CI (:mod:`sim.event_effects`)."""
        rows = []
        for label, result in self.effects.items():
            frame = result.table_frame
            if self.mode == "arms":
                frame = frame[frame["firm"] == self.firm]
            for _, row in frame[frame["metric"].isin(EFFECT_SHOWN)].iterrows():
                cells = {} if self.mode == "firms" else {"strategy": label}
                text = result.effect_text(row["event"], row["firm"], row["metric"])
                cells.update({"event": row["event"], "firm": row["firm"], "outcome": EFFECT_LABELS[row["metric"]],
                              "effect [95% CI]": text})  # fmt: skip
                rows.append(cells)
        return pd.DataFrame(rows)

    def effects_markdown(self) -> str:
        """Each event's effect in sentences (profit and market share at the end; with arms, of the
        focal firm under each strategy), from the numbers of :meth:`effects_table`."""
        lines = []
        for label, result in self.effects.items():
            prefix = "" if self.mode == "firms" else f"With {label}: "
            firms = [self.firm] if self.mode == "arms" else list(self.scenario.firms)
            for event, by_firm in result.effects.items():
                for firm in firms:
                    if firm in by_firm:
                        for metric in ("profit", "market_share_end"):
                            lines.append(f"- {prefix}{result.sentence(event, firm, metric)}.")
        return "\n".join(lines)

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
                spend = SPEND_BEHIND.get(metric)
                if stats["mean"] is None and spend and not self.comparison["arms"][group][spend]["mean"]:
                    shown = "nothing spent"
                elif metric.startswith("payback"):
                    # A mean over only the runs that paid back would flatter: say how many did not.
                    runs = [run[metric] for run in self.groups[group].firm_runs]
                    missed = sum(value is None for value in runs)
                    if missed:
                        shown = f"not within {self.weeks} weeks in {missed} of {len(runs)} runs"
                row[group_title(group, self)] = shown
            for group in self.groups:
                if group == base:
                    continue
                diff = self.comparison["differences"][group][metric]
                name = f"{group} - {base}"
                row[f"{name} (paired)"] = signed_interval(
                    GAP_FORMAT.get(metric, fmt), diff["mean"], diff["ci95"]
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
            fmt = FORMAT[metric]
            label = dict((m, lab) for m, lab, _ in REPORT_METRICS)[metric]
            best = ranking["best"]
            for place, group in enumerate(ranking["order"], start=1):
                diff = ranking["versus"].get(group)
                rows.append(
                    {
                        "ranked on": label,
                        "place": place,
                        "strategy" if self.mode == "arms" else "firm": group_title(group, self),
                        "mean": fmt(ranking["means"][group]),
                        "best minus this (paired, 95% CI)": "best"
                        if diff is None
                        else f"{group_title(best, self)} ahead by "
                        + signed_interval(fmt, diff["mean"], diff["ci95"])
                        + ("" if diff["clear"] else ": within the noise"),
                    }
                )
        return pd.DataFrame(rows).set_index(["ranked on", "place"])

    def summary_markdown(self) -> str:
        """The executive summary, in prose generated from the numbers (Markdown)."""
        return executive_summary(self)


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
    effects = {}
    for label, arm in arms.items():
        if arm.events:  # each event's own effect: the same seeds without it (the report's runs reused)
            written = [r.summary for r in results if r.spec.label == label]
            effects[label] = event_effects(
                arm, runs=len(seeds), firm=focal, seed=seeds[0], as_written=written,
                out=out, jobs=jobs, cluster=cluster, progress=progress,
            )  # fmt: skip
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
        effects=effects,
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
        # A scaled market keeps its real size and economics: only the people simulated shrink.
        key = "market.size" if candidate.market.simulated is None else "market.simulated"
        market = CustomerMarket(candidate.with_overrides({key: size}), seed=seed)
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

    from sim.files import atomic_write

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
