"""simulate(): run one scenario with one seed and collect its results.

Example:
    >>> from sim import load_scenario, simulate
    >>> result = simulate(load_scenario("scenarios/baseline.toml", {"market.size": 300, "run.weeks": 5}), seed=3)
    >>> result.summary["seed"], len(result.timeseries)
    (3, 12)
"""

from __future__ import annotations

import warnings

from sim.manifest import Invocation
from sim.model import CustomerMarket
from sim.results import SimulationResult
from sim.scaling import scale_summary, scale_timeseries, scaling_record, weighted
from sim.scenario import Scenario, ScenarioError
from sim.strategies.base import STRATEGIES, Strategy, resolve_strategy_class
from sim.summary import summarise


def simulate(
    scenario: Scenario,
    seed: int | None = None,
    strategies: dict[str, Strategy] | None = None,
    progress: bool = False,
) -> SimulationResult:
    """Run ``scenario`` for ``run.weeks`` weeks and return its results.

    Args:
        scenario: a validated scenario (:func:`sim.load_scenario`).
        seed: the replicate seed; defaults to ``scenario.run.seed``. The same scenario and seed
            always give identical results.
        strategies: optional strategy objects by firm name, replacing the scenario's.
        progress: show a progress bar on standard error (:func:`run_weeks`) when the run lasts
            more than a few seconds and standard error is a terminal.

    Returns:
        A :class:`sim.results.SimulationResult` with ``.summary``, ``.timeseries``, ``.customers``;
        ``.table()`` is what ``sim run`` prints and ``.write(folder)`` writes its files.

    Example:
        >>> from sim import load_scenario
        >>> result = simulate(load_scenario("scenarios/conquest_vs_relations.toml",
        ...     {"market.size": 200, "run.weeks": 4}), seed=7)
        >>> result.summary["seed"], result.table().splitlines()[0]
        (7, "Scenario 'conquest_vs_relations', seed 7, 4 weeks")
    """
    invocation = Invocation.api("sim.simulate", seed=seed)
    market = CustomerMarket(scenario, seed=seed, strategies=strategies)
    run_weeks(market, progress)
    result = collect(market)
    result.invocation = invocation  # what result.write() records in its manifest
    return result


# Seconds a single run goes before its progress bar appears (tqdm's ``delay``): a short run shows
# none. SIM_PROGRESS_DELAY sets another (the progress test sets 0).
PROGRESS_DELAY = 3.0


def run_weeks(market: CustomerMarket, progress: bool = False) -> None:
    """Step ``market`` to the end of its run; with ``progress``, a tqdm bar on standard error
    (weeks done, weeks a second, time left) that appears once the run has gone on for
    ``PROGRESS_DELAY`` seconds and never when standard error is not a terminal (a pipe, a file,
    a test's captured output).

    Example:
        >>> from sim import CustomerMarket, load_scenario
        >>> market = CustomerMarket(load_scenario("scenarios/baseline.toml", {"market.size": 200, "run.weeks": 3}))
        >>> run_weeks(market, progress=True); market.week
        3
    """
    if not progress:
        market.run_model()
        return
    import os
    import sys

    from tqdm import tqdm

    delay = float(os.environ.get("SIM_PROGRESS_DELAY", PROGRESS_DELAY))
    weeks = market.scenario.run.weeks
    with tqdm(
        total=weeks,
        initial=market.week,
        unit="week",
        desc=market.scenario.name,
        delay=delay,
        file=sys.stderr,
        disable=None,  # None: off unless the file is a terminal
        dynamic_ncols=True,
    ) as bar:
        while market.running:
            market.step()
            bar.update(1)


def collect(market: CustomerMarket) -> SimulationResult:
    """Results of a market stepped so far (by :func:`simulate` or by hand with ``step()``).

    Example:
        >>> from sim import CustomerMarket, load_scenario
        >>> market = CustomerMarket(load_scenario("scenarios/baseline.toml", {"market.size": 200, "run.weeks": 10}))
        >>> market.step(); market.step()
        >>> collect(market).summary["weeks"]
        2
    """
    scenario = _as_run(market)
    # A scaled run's counts and money come out in real units (sim.scaling); unscaled, as recorded.
    scale = market.scale
    summary = scale_summary(summarise(scenario, market.seed, market.recorder), scale)
    record = scaling_record(scenario)
    if record is not None:
        summary["scaling"] = record
    return SimulationResult(
        summary=summary,
        timeseries=scale_timeseries(market.recorder.timeseries(), scale),
        customers=weighted(market.customers.table(), scale),
        scenario=scenario,
    )


def _as_run(market: CustomerMarket) -> Scenario:
    """The scenario as it was run: its seed, and any strategy object passed in Python recorded by
    its class (a registered name or an import path) and split, so the resolved file reruns it."""
    overrides: dict[str, object] = {"run.seed": market.seed}
    for firm in market.firm_list:
        cls = type(firm.strategy)
        if resolve_strategy_class(firm.config.strategy) is cls:
            continue
        registered = STRATEGIES.get(getattr(cls, "name", ""))
        overrides[f"firms.{firm.name}.strategy"] = (
            cls.name if registered is cls else f"{cls.__module__}:{cls.__qualname__}"
        )
        if firm.strategy.split:
            overrides[f"firms.{firm.name}.split"] = dict(firm.strategy.split)
    try:
        return market.real_scenario.with_overrides(overrides)
    except ScenarioError as error:
        warnings.warn(
            f"the resolved scenario cannot name a strategy object passed to simulate() ({error}); "
            "it records the scenario's own strategy instead",
            stacklevel=3,
        )
        return market.real_scenario.with_overrides({"run.seed": market.seed})
