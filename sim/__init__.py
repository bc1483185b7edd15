"""Customer-strategy simulation: customers on a referral network under competing firm strategies.

The public API: the scenario, the model, and the workflows. Every workflow is a function taking a
:class:`Scenario` and returning a result (a :class:`WorkflowResult`) with the same three methods:
``table()`` (the text the ``sim`` command prints), ``figures()`` and ``write(folder)`` (the files
the command writes).

    >>> from sim import load_scenario, simulate
    >>> result = simulate(load_scenario("scenarios/baseline.toml", {"market.size": 300, "run.weeks": 5}))
    >>> sorted(result.summary["firms"])
    ['rival', 'us']
    >>> result.table().splitlines()[0]
    "Scenario 'baseline', seed 1, 5 weeks"

=============================  ==================================  ====================
workflow                       returns                             command
=============================  ==================================  ====================
:func:`simulate`               :class:`SimulationResult`           ``sim run``
:func:`replicate`              :class:`Replicates`                 ``sim run --runs R``
:func:`compare`                :class:`Comparison`                 ``sim compare``
:func:`event_effects`          :class:`EventEffects`               ``sim events``
:func:`sweep`                  :class:`SweepResult` (a DataFrame)  ``sim sweep``
:func:`sensitivity`            :class:`SensitivityResult`          ``sim sensitivity``
:func:`calibrate`              :class:`Calibration`                ``sim calibrate``
:func:`optimise`               :class:`Optimisation`               ``sim optimise``
:func:`report`                 :class:`ReportResult`               ``sim report``
:func:`measure_facts`          :class:`FactsResult`                ``sim facts``
:func:`simulate_transactions`  :class:`TransactionsResult`         ``sim transactions``
=============================  ==================================  ====================

``sim.report``, ``sim.sensitivity``, ``sim.optimise`` and ``sim.event_effects`` are modules as well as workflows: the
module is callable, and calling it calls the workflow of its name (``sim.report(scenario)`` is
``sim.report.report(scenario)``), so ``from sim import report`` gives a callable whichever was
imported first.

The names are loaded on first use (PEP 562), so ``import sim`` and the command line's help and
validation do not pay for NumPy, SciPy, numba, pandas and Mesa: ``from sim import simulate``
imports the engine, ``from sim import load_scenario`` only the scenario schema.
"""

from __future__ import annotations

from sim import lifeline

if lifeline.is_spawned_worker():  # first: a worker must end with its parent even while importing
    lifeline.watch_parent()

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # for type checkers and editors: the names as if imported eagerly
    __version__: str
    from sim import optimise, report, sensitivity
    from sim.calibration import Calibration, calibrate
    from sim.event_effects import EventEffects, event_effects
    from sim.experiments import Comparison, Replicates, SweepResult, compare, replicate, sweep
    from sim.facts import FactsResult, measure_facts
    from sim.model import CustomerMarket
    from sim.optimise import Optimisation
    from sim.report import ReportResult, build_report
    from sim.results import SimulationResult
    from sim.scenario import Scenario, ScenarioError, load_scenario
    from sim.sensitivity import SensitivityResult
    from sim.simulation import collect, simulate
    from sim.strategies.base import Strategy, register_strategy
    from sim.transactions import TransactionsResult, simulate_transactions
    from sim.workflow import WorkflowResult

# Each public name and the module that defines it.
_EXPORTS = {
    # the scenario and the model
    "CustomerMarket": "sim.model",
    "Scenario": "sim.scenario",
    "ScenarioError": "sim.scenario",
    "Strategy": "sim.strategies.base",
    "load_scenario": "sim.scenario",
    "register_strategy": "sim.strategies.base",
    # the workflows
    "build_report": "sim.report",
    "calibrate": "sim.calibration",
    "collect": "sim.simulation",
    "compare": "sim.experiments",
    "measure_facts": "sim.facts",
    "replicate": "sim.experiments",
    "simulate": "sim.simulation",
    "simulate_transactions": "sim.transactions",
    "sweep": "sim.experiments",
    # their results
    "Calibration": "sim.calibration",
    "Comparison": "sim.experiments",
    "EventEffects": "sim.event_effects",
    "FactsResult": "sim.facts",
    "Optimisation": "sim.optimise",
    "Replicates": "sim.experiments",
    "ReportResult": "sim.report",
    "SensitivityResult": "sim.sensitivity",
    "SimulationResult": "sim.results",
    "SweepResult": "sim.experiments",
    "TransactionsResult": "sim.transactions",
    "WorkflowResult": "sim.workflow",
}
# Workflows that share their name with their module: the module is the public name, made callable.
_WORKFLOW_MODULES = ("event_effects", "optimise", "report", "sensitivity")

__all__ = [
    "Calibration",
    "Comparison",
    "CustomerMarket",
    "EventEffects",
    "FactsResult",
    "Optimisation",
    "Replicates",
    "ReportResult",
    "Scenario",
    "ScenarioError",
    "SensitivityResult",
    "SimulationResult",
    "Strategy",
    "SweepResult",
    "TransactionsResult",
    "WorkflowResult",
    "__version__",
    "build_report",
    "calibrate",
    "collect",
    "compare",
    "event_effects",
    "load_scenario",
    "measure_facts",
    "optimise",
    "register_strategy",
    "replicate",
    "report",
    "sensitivity",
    "simulate",
    "simulate_transactions",
    "sweep",
]


class _WorkflowModule(types.ModuleType):
    """A module that is also the workflow it is named after: calling ``sim.report(...)`` calls
    ``sim.report.report(...)``."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return getattr(self, self.__name__.rpartition(".")[2])(*args, **kwargs)


class _Package(types.ModuleType):
    """The ``sim`` package. Python binds a submodule to its package's attribute when it is first
    imported, wherever that happens; here the workflow modules become callable at that moment, so
    ``sim.report`` is the same callable however it was reached."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _WORKFLOW_MODULES and type(value) is types.ModuleType:
            value.__class__ = _WorkflowModule
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


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
    if name in _WORKFLOW_MODULES:
        return importlib.import_module(f"{__name__}.{name}")  # bound (and made callable) by the import
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'sim' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS, *_WORKFLOW_MODULES, "__version__"})
