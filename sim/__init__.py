"""Customer-strategy simulation: customers on a referral network under competing firm strategies.

The public API:

    >>> from sim import load_scenario, simulate
    >>> result = simulate(load_scenario("scenarios/baseline.toml", {"market.size": 300, "run.weeks": 5}))
    >>> sorted(result.summary["firms"])
    ['rival', 'us']
"""

from sim import lifeline

if lifeline.is_spawned_worker():  # first: a worker must end with its parent even while importing
    lifeline.watch_parent()

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("customer-sim")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

from sim.experiments import compare, replicate, sweep
from sim.model import CustomerMarket
from sim.results import SimulationResult
from sim.scenario import Scenario, ScenarioError, load_scenario
from sim.simulation import collect, simulate
from sim.strategies.base import Strategy, register_strategy

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
