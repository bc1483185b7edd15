"""simulate(): run one scenario with one seed and collect its results.

Example:
    >>> from sim import load_scenario, simulate
    >>> result = simulate(load_scenario("scenarios/baseline.toml", {"market.size": 300, "run.weeks": 5}), seed=3)
    >>> result.summary["seed"], len(result.timeseries)
    (3, 12)
"""

from __future__ import annotations

from sim.model import CustomerMarket
from sim.results import SimulationResult, summarise
from sim.scenario import Scenario
from sim.strategies.base import Strategy


def simulate(
    scenario: Scenario, seed: int | None = None, strategies: dict[str, Strategy] | None = None
) -> SimulationResult:
    """Run ``scenario`` for ``run.weeks`` weeks and return its results.

    Args:
        scenario: a validated scenario (:func:`sim.load_scenario`).
        seed: the replicate seed; defaults to ``scenario.run.seed``. The same scenario and seed
            always give identical results.
        strategies: optional strategy objects by firm name, replacing the scenario's.

    Returns:
        A :class:`sim.results.SimulationResult` with ``.summary``, ``.timeseries``, ``.customers``.
    """
    market = CustomerMarket(scenario, seed=seed, strategies=strategies)
    market.run_model()
    return collect(market)


def collect(market: CustomerMarket) -> SimulationResult:
    """Results of a market stepped so far (by :func:`simulate` or by hand with ``step()``)."""
    scenario = market.scenario.with_overrides({"run.seed": market.seed})
    return SimulationResult(
        summary=summarise(scenario, market.seed, market.recorder),
        timeseries=market.recorder.timeseries(),
        customers=market.customers.table(),
        scenario=scenario,
    )
