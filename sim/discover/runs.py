"""The runs of a discovery design: every (market, strategy, seed) through the executor, as one tidy table.

Owns :class:`Design` (the ``[discover]`` table resolved against its scenario: the firm, the
uncertainties, the candidate strategies as dotted overrides, the paired seeds and the sampled
markets; :func:`resolve_design`), the run specs (:func:`design_specs`: one
:class:`sim.execution.RunSpec` per market, strategy and seed, the market's values applied before
the strategy's overrides) and :func:`run_design`, which runs them through
:func:`sim.execution.execute` (so the run cache makes a design resumable after a kill, and
``jobs``/``cluster`` distribute it with the same numbers) and returns the tidy table: one row per
market, strategy and seed with each uncertainty's value and each outcome of the firm.

Example:
    >>> from sim import load_scenario
    >>> from sim.design import Range
    >>> s = load_scenario("scenarios/conquest_vs_relations.toml", {"market.size": 200, "run.weeks": 4})
    >>> s = s.model_copy(update={"uncertainties": {"firms.rival.price": Range(low=30, high=50)}})
    >>> design = resolve_design(s, samples=3, replicates=2)
    >>> design.firm, list(design.strategies), design.seeds, len(design.markets)
    ('us', ['conquest', 'relations'], [1, 2], 3)
    >>> len(design_specs(s, design))
    12
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pandas as pd
from pydantic import ValidationError

from sim.design import (
    DiscoverConfig,
    Uncertainty,
    check_discover,
    discover_strategies,
    is_int_key,
    uncertainties_of,
)
from sim.discover.design import sample_markets
from sim.execution import RunSpec, execute, seeds_for
from sim.scenario import Scenario, ScenarioError
from sim.statistics import HEADLINE_METRICS, scalar_metrics

# The tidy table's first columns, before the uncertainties' values and the outcomes.
INDEX = ("market", "strategy", "seed")


@dataclass
class Design:
    """A discovery design resolved against its scenario.

    Attributes:
        settings: the ``[discover]`` table with the given settings applied.
        firm: whose outcomes are compared.
        uncertainties: the keys the markets vary, in the table's order.
        strategies: candidate name -> dotted overrides of the scenario.
        seeds: the paired seeds (the same for every strategy in every market).
        markets: one row per sampled market, one column per uncertainty.
        metrics: the outcomes kept per run: the table's outcomes, profit and customer equity, and
            the outcomes of the targets.
    """

    settings: DiscoverConfig
    firm: str
    uncertainties: list[Uncertainty]
    strategies: dict[str, dict[str, Any]]
    seeds: list[int]
    markets: pd.DataFrame
    metrics: list[str]

    @property
    def outcomes(self) -> list[str]:
        """The outcomes the design compares (the first is the one regret and wins are read on)."""
        return list(self.settings.outcomes)

    @property
    def keys(self) -> list[str]:
        return [u.key for u in self.uncertainties]


def resolve_settings(scenario: Scenario, **given: Any) -> DiscoverConfig:
    """The scenario's ``[discover]`` table (its defaults when it has none) with the ``given``
    settings that are not None replaced, validated and checked against the scenario.

    Raises:
        ScenarioError: naming the file, ``[discover]`` and the key, the value and what is allowed.
    """
    source = scenario.source or scenario.name
    table = {} if scenario.discover is None else scenario.discover.model_dump(exclude_none=True)
    table.update({k: v for k, v in given.items() if v is not None})
    try:
        settings = DiscoverConfig.model_validate(table)
    except ValidationError as error:
        item = error.errors()[0]
        where = ".".join(str(p) for p in item["loc"])
        shown = f" = {item.get('input')!r}" if where else ""
        raise ScenarioError(
            f"{source}: [discover] {where}{shown}: {item['msg'].removeprefix('Value error, ')}"
        ) from None
    check_discover(scenario, settings)
    return settings


def resolve_design(scenario: Scenario, **given: Any) -> Design:
    """The design of ``scenario`` (``given``: ``samples``, ``design``, ``replicates``, ``seed``,
    ``firm``, ``outcomes``, ``targets``, ``strategies`` replacing the table's), its markets sampled."""
    settings = resolve_settings(scenario, **given)
    firm = settings.firm or scenario.firm_names[0]
    uncertainties = uncertainties_of(scenario.uncertainties)
    seed = scenario.run.seed if settings.seed is None else settings.seed
    base = scenario.without_experiments()
    markets = sample_markets(
        uncertainties, settings.samples, seed, settings.design, whole=lambda key: is_int_key(base, key)
    )
    metrics = list(dict.fromkeys([*settings.outcomes, *HEADLINE_METRICS, *settings.targets]))
    return Design(
        settings=settings,
        firm=firm,
        uncertainties=uncertainties,
        strategies=discover_strategies(scenario, settings, firm),
        seeds=seeds_for(scenario, settings.replicates, settings.seed),
        markets=markets,
        metrics=metrics,
    )


def _plain(value: Any) -> Any:
    """A NumPy scalar of the design as the Python value a scenario override takes."""
    return value.item() if hasattr(value, "item") else value


def market_overrides(design: Design, market: int) -> dict[str, Any]:
    """The dotted overrides that make sampled market ``market``."""
    row = design.markets.loc[market]
    return {key: _plain(row[key]) for key in design.keys}


def design_specs(scenario: Scenario, design: Design) -> list[RunSpec]:
    """One run per market, strategy and seed (markets slowest, seeds fastest); each scenario is
    the base scenario with the market's values, then the strategy's overrides.

    Raises:
        ScenarioError: a market and strategy that make no valid scenario (naming both).
    """
    base = scenario.without_experiments()
    specs = []
    for market in design.markets.index:
        values = market_overrides(design, int(market))
        for name, overrides in design.strategies.items():
            try:
                made = base.with_overrides({**values, **overrides})
            except ScenarioError as error:
                raise ScenarioError(
                    f"[discover] market {market} {values} with strategy {name!r}: {error}"
                ) from None
            point = tuple(values.items())
            specs += [RunSpec(f"market-{market}/{name}", made, seed, point) for seed in design.seeds]
    return specs


def _number(value: Any) -> float:
    return math.nan if value is None else float(value)


def run_design(scenario: Scenario, design: Design, **execution: Any) -> pd.DataFrame:
    """Run every (market, strategy, seed) of ``design`` and return the tidy table: ``market``,
    ``strategy``, ``seed``, each uncertainty's value, each of ``design.metrics`` for the firm
    (NaN where undefined).

    Args:
        scenario: the scenario the design was resolved on.
        design: the design.
        **execution: ``out`` (run cache: a rerun computes only the runs not finished), ``jobs``,
            ``cluster``, ``progress`` as in :func:`sim.execution.execute`; the numbers do not
            depend on them.
    """
    specs = design_specs(scenario, design)
    results = execute(specs, keep_timeseries=False, **execution)
    rows = []
    per_market = len(design.strategies) * len(design.seeds)
    names = list(design.strategies)
    for position, result in enumerate(results):
        market = position // per_market
        strategy = names[(position % per_market) // len(design.seeds)]
        flat = scalar_metrics(result.summary["firms"][design.firm])
        rows.append({
            "market": int(design.markets.index[market]),
            "strategy": strategy,
            "seed": result.spec.seed,
            **dict(result.spec.point),
            **{metric: _number(flat.get(metric)) for metric in design.metrics},
        })  # fmt: skip
    return pd.DataFrame(rows, columns=[*INDEX, *design.keys, *design.metrics])
