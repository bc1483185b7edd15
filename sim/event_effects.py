"""What each market event did: the scenario as written beside the same runs without one event.

Owns ``sim events`` (:func:`event_effects`): a phase's outcome before and after an event
(:mod:`sim.phase_changes`) also carries the market's own trend (in a growing market every phase
grows), so it cannot say what the event itself did. Common random numbers can: every run of the
scenario as written is paired with a run on the same seed without one event (for each event in
turn), and since a run with an event is the run without it until the event strikes, the paired
difference is the event's effect and nothing else. "Without" an entry is the market without that
firm at all (its table and every event naming it removed); without any other event, the file
minus that one entry. Per event, firm and outcome: the mean effect (as written minus without) with
its 95% CI over seeds, and "within the noise" when the interval includes 0.

Example:
    >>> from sim import load_scenario
    >>> scenario = load_scenario("scenarios/market_shifts.toml",
    ...     {"market.size": 300, "run.weeks": 60, "events.price_war.week": 40})
    >>> effects = event_effects(scenario, runs=2, jobs=1)
    >>> sorted(effects.effects)
    ['challenger', 'price_war', 'rising expectations']
    >>> effects.table().splitlines()[0]
    "Scenario 'market_shifts': what each event did, as written minus without it, 2 seeds (1-2) [95% CI]"
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from sim.execution import RunSpec, config_hash, execute, seeds_for
from sim.files import atomic_write, write_json
from sim.manifest import Invocation, write_manifest
from sim.scenario import Scenario, ScenarioError
from sim.scenario.schema import validate
from sim.statistics import paired_difference
from sim.workflow import WorkflowResult

if TYPE_CHECKING:
    from matplotlib.figure import Figure

AS_WRITTEN = "as written"
# The outcomes an event's effect is reported on (per-firm summary metrics, sim.design.OUTCOMES),
# with the words a sentence uses.
EFFECT_LABELS = {
    "profit": "profit (margin - spend)",
    "customer_equity": "customer equity at end",
    "total_value": "discounted profit + equity",
    "customers_end": "customers at end",
    "market_share_end": "market share at end",
    "acquired": "customers won",
    "churned": "customers churned",
    "revenue": "revenue",
}
EFFECT_METRICS = tuple(EFFECT_LABELS)


def without_event(scenario: Scenario, name: str) -> Scenario:
    """``scenario`` without the event called ``name``; without an entry, without the entering
    firm too (its table, and every event that names it or changes one of its keys).

    Example:
        >>> from sim import load_scenario
        >>> shifts = load_scenario("scenarios/market_shifts.toml")
        >>> without_event(shifts, "challenger").firm_names
        ['us', 'rival']
    """
    events = {event.name: event for event in scenario.events}
    if name not in events:
        raise ScenarioError(
            f"{scenario.source or scenario.name}: no event {name!r}; events: {', '.join(events)}"
        )
    data = scenario.model_dump(mode="python", exclude_none=True)
    data["run"]["name"] = scenario.name
    kept = [e for e in scenario.events if e.name != name]
    if events[name].kind == "enter":
        firm = events[name].firm
        del data["firms"][firm]
        kept = [
            e
            for e in kept
            if getattr(e, "firm", None) != firm and not getattr(e, "key", "").startswith(f"firms.{firm}.")
        ]
        data["arms"] = {}  # an arm may set the absent firm's keys; effects are of the scenario itself
    data["events"] = [e.model_dump(exclude_none=True) for e in kept]
    return validate(data, scenario.source)


@dataclass
class EventEffects(WorkflowResult):
    """Each event's effect: ``effects[event][firm][metric]`` (a paired difference: ``mean``,
    ``ci95``, ``prob_better``, ...), the events as struck (``events``), ``seeds`` and
    ``table_frame`` (one row per event, firm and metric)."""

    scenario: Scenario
    seeds: list[int]
    events: list[dict[str, Any]]
    effects: dict[str, dict[str, dict[str, dict[str, Any]]]]
    firm: str
    hashes: dict[str, str] = field(default_factory=dict)
    invocation: Invocation | None = None

    @property
    def table_frame(self) -> pd.DataFrame:
        rows = []
        for event, firms in self.effects.items():
            for firm, metrics in firms.items():
                for metric, diff in metrics.items():
                    low, high = diff["ci95"] or (None, None)
                    rows.append(
                        {"event": event, "firm": firm, "metric": metric, "effect": diff["mean"],
                         "ci95_low": low, "ci95_high": high, "within_noise": _within_noise(diff)}
                    )  # fmt: skip
        return pd.DataFrame(rows)

    def effect_text(self, event: str, firm: str, metric: str) -> str:
        """One effect as a table cell shows it: ``-44,685 [95% CI -62,973, -26,398]``, and "within
        the noise" when the interval includes zero."""
        diff = self.effects[event][firm][metric]
        if diff["mean"] is None:
            return "not defined in enough runs"
        low, high = diff["ci95"]
        noise = "; within the noise of these runs" if _within_noise(diff) else ""
        return (
            f"{_signed(metric, diff['mean'])} [95% CI {_signed(metric, low)}, {_signed(metric, high)}]{noise}"
        )

    def sentence(self, event: str, firm: str, metric: str) -> str:
        """One effect in words, from exactly the numbers of :attr:`table_frame`."""
        label = EFFECT_LABELS.get(metric, metric.replace("_", " "))
        return f"{event} changed {firm}'s {label} by {self.effect_text(event, firm, metric)}"

    def table(self) -> str:
        seeds = self.seeds
        lines = [
            f"Scenario {self.scenario.name!r}: what each event did, as written minus without it, "
            f"{len(seeds)} seeds ({seeds[0]}-{seeds[-1]}) [95% CI]"
        ]
        for event in self.effects:
            struck = [e for e in self.events if e["name"] == event]
            when = f"week {struck[0]['week']}" if struck else "did not strike"
            kind = struck[0]["kind"] if struck else ""
            lines.append(f"\n{event} ({kind}, {when}):")
            for firm in self.effects[event]:
                for metric in ("profit", "customer_equity", "market_share_end"):
                    if metric in self.effects[event][firm]:
                        label = EFFECT_LABELS[metric]
                        lines.append(f"  {firm}'s {label}: {self.effect_text(event, firm, metric)}")
        lines.append(
            "\nEach run of the scenario is paired with the run on the same seed without the event (without "
            "an entrant: without that firm); the two are identical until the event strikes."
        )
        return "\n".join(lines)

    def figures(self) -> dict[str, Figure]:
        from sim.plots import event_effects_figure

        return {"event_effects": event_effects_figure(self.table_frame, self.firm, len(self.seeds))}

    def write(
        self, out: str | os.PathLike[str], figures: bool = True, invocation: Invocation | None = None
    ) -> Path:
        """``event_effects.json``, ``event_effects.csv``, the figure, the resolved scenario and
        ``manifest.json``, each written whole."""
        from sim import __version__
        from sim.results import save_figure

        folder = Path(out)
        folder.mkdir(parents=True, exist_ok=True)
        write_json(
            folder / "event_effects.json",
            {"scenario": self.scenario.name, "firm": self.firm, "seeds": self.seeds, "events": self.events,
             "effects": self.effects, "version": __version__, "hash": self.hashes},
        )  # fmt: skip
        frame = self.table_frame
        atomic_write(folder / "event_effects.csv", lambda p: frame.to_csv(p, index=False))
        atomic_write(folder / "scenario.resolved.toml", lambda p: p.write_text(self.scenario.to_toml()))
        if figures:
            for name, figure in self.figures().items():
                save_figure(folder / "figures" / f"{name}.png", figure)
        write_manifest(folder, self.scenario, self.seeds, invocation or self.invocation, arms=self.hashes)
        return folder


def event_effects(
    scenario: Scenario,
    runs: int = 10,
    firm: str | None = None,
    seed: int | None = None,
    as_written: list[dict[str, Any]] | None = None,
    **execution: Any,
) -> EventEffects:
    """Run ``scenario`` as written and without each of its events in turn, on the same ``runs``
    seeds, and return each event's paired effect on every firm present in both.

    Args:
        scenario: a scenario with ``[[events]]``.
        runs: seeds (the same for every variant).
        firm: the firm the table and figure lead with (default: the first firm).
        seed: first seed (default ``scenario.run.seed``).
        as_written: the summaries of ``scenario`` as written on those seeds, in seed order, when
            they were run already (the report's runs): only the runs without each event are made.
        **execution: ``out``, ``jobs``, ``cluster``, ``progress`` as in :func:`sim.execution.execute`.

    Example (without the challenger there is no challenger to compare, so its entry's effect is
    measured on the incumbents):
        >>> from sim import load_scenario
        >>> shifts = load_scenario("scenarios/market_shifts.toml", {"market.size": 300, "run.weeks": 110})
        >>> effects = event_effects(shifts, runs=2, jobs=1)
        >>> sorted(effects.effects["challenger"]), sorted(effects.effects["rising expectations"])
        (['rival', 'us'], ['challenger', 'rival', 'us'])
    """
    invocation = Invocation.api("sim.event_effects", runs=runs, firm=firm, seed=seed, **execution)
    base = scenario.without_experiments()
    if not base.events:
        raise ScenarioError(
            f"{scenario.source or scenario.name}: no [[events]] to measure; add at least one (docs/scenario.md, "
            '"Markets that change")'
        )
    firm = firm or base.firm_names[0]
    if firm not in base.firms:
        raise ScenarioError(f"--firm {firm!r}: no such firm; firms: {', '.join(base.firms)}")
    variants = {AS_WRITTEN: base, **{event.name: without_event(base, event.name) for event in base.events}}
    seeds = seeds_for(base, runs, seed)
    if as_written is not None and len(as_written) != len(seeds):
        raise ValueError(f"as_written: {len(as_written)} summaries for {len(seeds)} seeds")
    made = {
        label: variant for label, variant in variants.items() if as_written is None or label != AS_WRITTEN
    }
    specs = [RunSpec(label, variant, s) for label, variant in made.items() for s in seeds]
    results = execute(specs, keep_timeseries=False, **execution)
    by_label = {label: [r.summary for r in results if r.spec.label == label] for label in made}
    written = by_label[AS_WRITTEN] if as_written is None else as_written
    effects: dict[str, dict[str, dict[str, dict[str, Any]]]] = {}
    for event in base.events:
        without = by_label[event.name]
        firms = [f for f in base.firm_names if f in variants[event.name].firms]
        effects[event.name] = {
            f: {
                metric: paired_difference(
                    [r["firms"][f][metric] for r in without],
                    [r["firms"][f][metric] for r in written],
                    metric,
                )
                for metric in EFFECT_METRICS
            }
            for f in [firm, *(x for x in firms if x != firm)]
            if f in firms
        }
    struck: dict[str, dict[str, Any]] = {}
    for summary in written:
        for event in summary.get("events", []):
            struck.setdefault(event["name"], event)
    return EventEffects(
        scenario=base,
        seeds=seeds,
        events=list(struck.values()),
        effects=effects,
        firm=firm,
        hashes={label: config_hash(variant) for label, variant in variants.items()},
        invocation=invocation,
    )


def _within_noise(diff: dict[str, Any]) -> bool:
    interval = diff["ci95"]
    return interval is None or interval[0] <= 0 <= interval[1]


def _signed(metric: str, value: float) -> str:
    if metric == "market_share_end":
        return f"{100 * value:+.1f} points"
    if abs(value) >= 100:
        return f"{value:+,.0f}"
    return f"{value:+,.2f}"
