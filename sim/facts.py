"""Stylised facts: how the current parameters compare with what the seeds and the literature report.

Owns the list of facts (MODEL.md section 8), how each is measured from simulation runs, and the
``sim facts`` table. Two runs of the scenario are made with the same seed:

- **neglect**: every firm on the ``neglect`` strategy (no spending at all) for the scenario's
  horizon: the churn-reason mix, the complaint rate and the concentration of revenue;
- **strategies**: the first firm on ``conquest`` and the second on ``relations`` (the default
  splits), each with at least 0.2 currency per person of the market per week: acquisition cost
  against keeping cost, the reactivation rate, and referred against other customers.

The workflow, :func:`measure_facts`, returns a :class:`FactsResult`: the table ``sim facts``
prints and the ``facts.json`` it writes.

Example:
    >>> [f.name for f in FACTS][:2]
    ['churn reason: died', 'churn reason: moved']
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sim.agents.customers import REASON_NAMES
from sim.manifest import Invocation, write_manifest
from sim.scenario import Scenario, ScenarioError
from sim.strategies.levers import LEVERS
from sim.workflow import WorkflowResult

SEED_004 = "seed 004"
SCHMITT = "Schmitt, Skiera & Van den Bulte 2011"
CHURN_MIX = {
    "died": 1,
    "moved": 3,
    "followed_friend": 5,
    "better_value": 9,
    "dissatisfied": 14,
    "unappreciated": 68,
}
BUDGET_PER_PERSON = 0.2  # currency per person of the market per week, for the strategies run


@dataclass(frozen=True)
class Fact:
    name: str
    source: str
    low: float
    high: float
    unit: str = ""


@dataclass
class FactResult:
    name: str
    source: str
    low: float
    high: float
    unit: str
    value: float | None

    @property
    def within(self) -> bool | None:
        return None if self.value is None else bool(self.low <= self.value <= self.high)


FACTS: list[Fact] = [
    *[
        Fact(
            f"churn reason: {reason}",
            f"{SEED_004}: {share}% of those who stop buying",
            max(share - 3, 0),
            share + 3,
            "% of churn",
        )
        for reason, share in CHURN_MIX.items()
    ],
    Fact("dissatisfied customers who complain", f"{SEED_004}: 96% don't complain", 3.0, 5.0, "%"),
    Fact(
        "revenue from the top 20% of customers",
        "seed 004's 80:20 rule; real customer bases 60-73%",
        60.0,
        75.0,
        "% of revenue",
    ),
    Fact(
        "reactivation: dormant customers reached who come back",
        f"{SEED_004}: 25-60% receptive; literature on lapsed customers 20-40%",
        20.0,
        60.0,
        "%",
    ),
    Fact(
        "paid acquisition cost / cost of keeping a customer a year",
        "commonly quoted: acquiring costs 5-25 times more than keeping",
        5.0,
        25.0,
        "ratio",
    ),
    Fact("churn hazard of referred / other customers", f"{SCHMITT}: about 18% lower", 0.65, 0.95, "ratio"),
    Fact("lifetime value of referred / other customers", f"{SCHMITT}: 16-25% higher", 1.05, 1.40, "ratio"),
]


def _with_strategies(scenario: Scenario, strategies: list[str]) -> Scenario:
    overrides: dict[str, Any] = {}
    floor = BUDGET_PER_PERSON * scenario.market.size
    for name, strategy in zip(scenario.firm_names, strategies, strict=False):
        overrides[f"firms.{name}.strategy"] = strategy
        overrides[f"firms.{name}.budget"] = max(scenario.firms[name].budget, floor)
    for name in scenario.firm_names[len(strategies) :]:
        overrides[f"firms.{name}.strategy"] = "neglect"
    return scenario.without_experiments().with_overrides(overrides)


def top_share(values: np.ndarray, top: float = 0.2) -> float | None:
    """Share of the total held by the top ``top`` of the (positive) values."""
    values = np.sort(values[values > 0])[::-1]
    if values.size == 0:
        return None
    count = max(1, round(top * values.size))
    return float(values[:count].sum() / values.sum())


def measure(scenario: Scenario, seed: int | None = None) -> list[FactResult]:
    """Run the two runs and measure every fact."""
    from sim.simulation import simulate

    if len(scenario.firms) < 2:
        raise ScenarioError(f"{scenario.source or scenario.name}: the facts need at least two firms")
    neglect = simulate(_with_strategies(scenario, ["neglect"] * len(scenario.firms)), seed=seed)
    strategies = simulate(_with_strategies(scenario, ["conquest", "relations"]), seed=seed)
    values: dict[str, float | None] = {}

    churned = {
        r: sum(f["churned_by_reason"][r] for f in neglect.summary["firms"].values()) for r in REASON_NAMES
    }
    total = sum(churned.values())
    for reason in REASON_NAMES:
        values[f"churn reason: {reason}"] = 100 * churned[reason] / total if total else None
    complaints = sum(f["complaints"] for f in neglect.summary["firms"].values())
    dissatisfied_rate = [
        f["complaint_rate"] for f in neglect.summary["firms"].values() if f["complaint_rate"]
    ]
    values["dissatisfied customers who complain"] = (
        100 * float(np.mean(dissatisfied_rate)) if complaints else None
    )
    share = top_share(neglect.customers["revenue"].to_numpy())
    values["revenue from the top 20% of customers"] = None if share is None else 100 * share

    conquest, relations = (strategies.summary["firms"][n] for n in scenario.firm_names[:2])
    rate = relations["reactivation_rate"]
    values["reactivation: dormant customers reached who come back"] = None if rate is None else 100 * rate
    weekly = strategies.timeseries[strategies.timeseries["firm"] == scenario.firm_names[1]]
    customer_years = weekly["customers"].iloc[:-1].sum() / 52
    relations_spend = sum(
        v
        for k, v in relations["spend_by_lever"].items()
        if LEVERS[k].kind == "relations" and k != "referral_programme"
    )
    keep_cost = relations_spend / customer_years if customer_years else None
    values["paid acquisition cost / cost of keeping a customer a year"] = (
        conquest["cac_paid"] / keep_cost if conquest["cac_paid"] and keep_cost else None
    )
    hazards = (relations["referred_churn_hazard"], relations["other_churn_hazard"])
    values["churn hazard of referred / other customers"] = hazards[0] / hazards[1] if all(hazards) else None
    ltvs = (relations["referred_ltv"], relations["other_ltv"])
    values["lifetime value of referred / other customers"] = ltvs[0] / ltvs[1] if all(ltvs) else None

    return [
        FactResult(**asdict(fact), value=None if values[fact.name] is None else float(values[fact.name]))
        for fact in FACTS
    ]


def as_json(scenario: Scenario, seed: int, results: list[FactResult]) -> dict[str, Any]:
    from sim import __version__

    return {
        "scenario": scenario.name,
        "seed": seed,
        "weeks": scenario.run.weeks,
        "version": __version__,
        "facts": [{**asdict(r), "within": r.within} for r in results],
        "all_within": all(r.within for r in results),
    }


def format_facts(results: list[FactResult]) -> str:
    """The facts as an aligned table."""
    header = ["fact", "target", "simulated", "", "source"]
    rows = []
    for r in results:
        value = "n/a" if r.value is None else f"{r.value:.2f}"
        verdict = {True: "within", False: "OUTSIDE", None: "n/a"}[r.within]
        rows.append([r.name, f"{r.low:g}-{r.high:g} {r.unit}", value, verdict, r.source])
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    return "\n".join(lines)


@dataclass
class FactsResult(WorkflowResult):
    """What :func:`measure_facts` returns: every stylised fact measured on ``scenario`` and ``seed``.

    Attributes:
        scenario: the scenario measured (the two runs change its strategies, not this).
        seed: the seed of both runs.
        facts: one :class:`FactResult` per fact of :data:`FACTS`, in that order.
        invocation: the call that measured them and when it started, for the manifest.

    Example:
        >>> import tempfile
        >>> facts = measure_facts(Scenario(run={"name": "defaults"}).with_overrides(
        ...     {"market.size": 200, "run.weeks": 4}))
        >>> sorted(p.name for p in facts.write(tempfile.mkdtemp()).iterdir())
        ['facts.json', 'manifest.json']
    """

    scenario: Scenario
    seed: int
    facts: list[FactResult]
    invocation: Invocation | None = None

    @property
    def outside(self) -> int:
        """How many facts were measured outside their target range (not counting those with no value)."""
        return sum(1 for r in self.facts if r.within is False)

    def table(self) -> str:
        """What the facts were measured on, then the facts as an aligned table (what ``sim facts``
        prints)."""
        s = self.scenario
        return (
            f"Stylised facts of {s.name!r} ({s.market.size:,} people, {s.run.weeks} weeks, seed {self.seed})\n"
            + format_facts(self.facts)
        )

    def write(
        self, out: str | os.PathLike[str], figures: bool = True, invocation: Invocation | None = None
    ) -> Path:
        """``facts.json`` (:func:`as_json`) and ``manifest.json`` into ``out`` (``invocation``, e.g.
        the command line, replaces the result's own); returns the folder. There are no figures."""
        from sim.files import write_json

        folder = Path(out)
        folder.mkdir(parents=True, exist_ok=True)
        write_json(folder / "facts.json", as_json(self.scenario, self.seed, self.facts))
        write_manifest(folder, self.scenario, [self.seed], invocation or self.invocation)
        return folder


def measure_facts(scenario: Scenario, seed: int | None = None) -> FactsResult:
    """The facts workflow: run the two runs (:func:`measure`) and return the result.

    Args:
        scenario: a scenario with at least two firms.
        seed: the seed of both runs (default ``scenario.run.seed``).

    Example:
        >>> facts = measure_facts(Scenario(run={"name": "defaults"}).with_overrides(
        ...     {"market.size": 300, "run.weeks": 8}), seed=2)
        >>> len(facts.facts) == len(FACTS), facts.table().splitlines()[0]
        (True, "Stylised facts of 'defaults' (300 people, 8 weeks, seed 2)")
    """
    seed = scenario.run.seed if seed is None else seed
    invocation = Invocation.api("sim.measure_facts", seed=seed)
    return FactsResult(scenario, seed, measure(scenario, seed=seed), invocation)
