"""Strategy: how a firm splits its weekly budget over levers; the registry of strategies by name.

Owns the contract every strategy follows (``allocate`` returns currency per lever for this week,
never more than the budget in total) and how a scenario's ``strategy = "..."`` string is turned
into a class: a registered name (``conquest``, ``relations``, ``balanced``, ``neglect``, or one
added with :func:`register_strategy`) or an import path ``"package.module:ClassName"``.

Writing a custom strategy (see also docs/model.md, "Custom strategies"):

    >>> from sim.strategies import Strategy, register_strategy
    >>> @register_strategy("retention_first")
    ... class RetentionFirst(Strategy):
    ...     '''Relations only, shifting to conquest once we hold 30% of the market.'''
    ...     default_split = {"loyalty_rewards": 0.5, "personal_offers": 0.5}
    ...     def allocate(self, firm, market):
    ...         if firm.customers / market.scenario.market.size > 0.3:
    ...             return {"search_ads": firm.budget}
    ...         return super().allocate(firm, market)
    >>> resolve_strategy_class("retention_first").__name__
    'RetentionFirst'
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from sim.agents.firm import Firm
    from sim.model import CustomerMarket

STRATEGIES: dict[str, type[Strategy]] = {}


class Strategy:
    """Splits a firm's weekly budget over levers.

    The default behaviour spends ``budget * share`` on each lever of ``split`` (the scenario's
    ``[firms.<name>.split]`` if given, else the class's ``default_split``). Subclasses may override
    :meth:`allocate` to react to the market, e.g. moving budget to relations when churn rises.

    Args:
        split: lever name -> share of the weekly budget (shares sum to at most 1).
        **params: strategy-specific parameters from ``[firms.<name>.params]``; the base class takes
            none, so an unknown parameter is an error.
    """

    name: ClassVar[str] = "custom"
    default_split: ClassVar[dict[str, float]] = {}

    def __init__(self, split: dict[str, float] | None = None, **params: Any) -> None:
        if params:
            raise TypeError(f"unknown parameter {next(iter(params))!r} for strategy {self.name!r}")
        self.split = dict(self.default_split if split is None else split)

    def allocate(self, firm: Firm, market: CustomerMarket) -> dict[str, float]:
        """Currency per lever for this week (``market.week``)."""
        return {lever: firm.budget * share for lever, share in self.split.items() if share > 0}

    def __repr__(self) -> str:
        shares = ", ".join(f"{k}={v:.2f}" for k, v in self.split.items())
        return f"{type(self).__name__}({shares})"


def register_strategy(name: str):
    """Class decorator adding a strategy to the registry under ``name``."""

    def decorate(cls: type[Strategy]) -> type[Strategy]:
        cls.name = name
        STRATEGIES[name] = cls
        return cls

    return decorate


def resolve_strategy_class(spec: str) -> type[Strategy]:
    """The strategy class for a registered name or a ``"package.module:ClassName"`` path.

    Raises:
        ValueError: naming the built-in strategies when ``spec`` is neither.
    """
    if spec in STRATEGIES:  # the built-in ones are registered by importing sim.strategies
        return STRATEGIES[spec]
    if ":" in spec:
        module_name, _, class_name = spec.partition(":")
        try:
            cls = getattr(importlib.import_module(module_name), class_name)
        except (ImportError, AttributeError) as error:
            raise ValueError(f"cannot import strategy {spec!r}: {error}") from None
        if not (isinstance(cls, type) and issubclass(cls, Strategy)):
            raise ValueError(f"{spec!r} is not a subclass of sim.strategies.Strategy")
        return cls
    raise ValueError(
        f"unknown strategy {spec!r}; built-in strategies: {', '.join(sorted(STRATEGIES))}, "
        "or a custom class as 'package.module:ClassName'"
    )
