"""Strategy: how a firm splits its weekly budget over levers (the registry by name: sim.registry).

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

from typing import TYPE_CHECKING, Any, ClassVar

# The registry lives in the foundation (the scenario checks names against it); re-exported here.
from sim.registry import STRATEGIES, register_strategy, resolve_strategy_class

# The registry lives in the foundation (the scenario checks names against it); re-exported here.

__all__ = ["STRATEGIES", "Strategy", "register_strategy", "resolve_strategy_class"]

if TYPE_CHECKING:
    from sim.agents.firm import Firm
    from sim.model import CustomerMarket


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

    def price(self, firm: Firm, market: CustomerMarket) -> float:
        """The price per purchase this week (``market.week``), set before the budget is spent.
        By default the scenario's: the point of ``price_path`` in force, else ``price`` (which
        market events may change). Override it to price from what the firm observes (its
        customers, its ledger, rivals' prices ``market.prices``, public ratings); the margin
        follows from the firm's fixed cost per purchase (:class:`sim.agents.firm.Firm`)."""
        return firm.scheduled_price(market.week)

    def funded_levers(self) -> set[str] | None:
        """The levers this strategy spends on (a response may move spend from them), or None when
        it cannot say in advance (it allocates as it goes and has no split)."""
        if not self.split and type(self).allocate is not Strategy.allocate:
            return None
        return {lever for lever, share in self.split.items() if share > 0}

    def allocate(self, firm: Firm, market: CustomerMarket) -> dict[str, float]:
        """Currency per lever for this week (``market.week``)."""
        return {lever: firm.budget * share for lever, share in self.split.items() if share > 0}

    def __repr__(self) -> str:
        shares = ", ".join(f"{k}={v:.2f}" for k, v in self.split.items())
        return f"{type(self).__name__}({shares})"
