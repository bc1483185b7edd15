"""Customer-strategy simulation: customers on a referral network under competing firm strategies.

The public API:

    >>> from sim import load_scenario, simulate
    >>> result = simulate(load_scenario("scenarios/baseline.toml", {"market.size": 300, "run.weeks": 5}))
    >>> sorted(result.summary["firms"])
    ['rival', 'us']

The names are loaded on first use (PEP 562), so ``import sim`` and the command line's help and
validation do not pay for NumPy, SciPy, numba, pandas and Mesa: ``from sim import simulate``
imports the engine, ``from sim import load_scenario`` only the scenario schema.
"""

from __future__ import annotations

from sim import lifeline

if lifeline.is_spawned_worker():  # first: a worker must end with its parent even while importing
    lifeline.watch_parent()

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # for type checkers and editors: the names as if imported eagerly
    __version__: str
    from sim.experiments import compare, replicate, sweep
    from sim.model import CustomerMarket
    from sim.results import SimulationResult
    from sim.scenario import Scenario, ScenarioError, load_scenario
    from sim.simulation import collect, simulate
    from sim.strategies.base import Strategy, register_strategy

# Each public name and the module that defines it.
_EXPORTS = {
    "CustomerMarket": "sim.model",
    "Scenario": "sim.scenario",
    "ScenarioError": "sim.scenario",
    "SimulationResult": "sim.results",
    "Strategy": "sim.strategies.base",
    "collect": "sim.simulation",
    "compare": "sim.experiments",
    "load_scenario": "sim.scenario",
    "register_strategy": "sim.strategies.base",
    "replicate": "sim.experiments",
    "simulate": "sim.simulation",
    "sweep": "sim.experiments",
}

__all__ = [
    "CustomerMarket",
    "Scenario",
    "ScenarioError",
    "SimulationResult",
    "Strategy",
    "__version__",
    "collect",
    "compare",
    "load_scenario",
    "register_strategy",
    "replicate",
    "simulate",
    "sweep",
]


def _version() -> str:
    """The installed package's version (reading its metadata takes ~0.1 s: done when asked)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("customer-sim")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0.0.0"


def __getattr__(name: str) -> Any:
    """Import a public name's module the first time the name is asked for."""
    if name == "__version__":
        globals()[name] = value = _version()
        return value
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'sim' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS, "__version__"})
