"""Firm strategies (how a weekly budget is split over levers) and the levers themselves."""

from sim.strategies.base import STRATEGIES, Strategy, register_strategy, resolve_strategy_class

__all__ = ["STRATEGIES", "Strategy", "register_strategy", "resolve_strategy_class"]
