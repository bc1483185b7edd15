"""Firm strategies (how a weekly budget is split over levers) and the levers themselves.

The package registers the built-in strategies (:mod:`sim.strategies.builtin`,
:mod:`sim.strategies.adaptive`) when it is imported, which every import of a module in it does
first, so the registry of :mod:`sim.strategies.base` never imports them itself.
"""

from sim.strategies import adaptive, builtin  # noqa: F401 - registers the built-in strategies
from sim.strategies.base import STRATEGIES, Strategy, register_strategy, resolve_strategy_class

__all__ = ["STRATEGIES", "Strategy", "register_strategy", "resolve_strategy_class"]
