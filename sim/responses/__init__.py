"""Rivals that respond: a firm's response policy, what it perceives, and the built-in personalities.

A firm with a ``[firms.<name>.response]`` table reacts to its market each week before its strategy
acts: it perceives (late, and only what a real firm could: :mod:`sim.responses.perception`), its
rules' triggers are checked (:mod:`sim.responses.triggers`), and the actions of those that fire
change its price, budget and split (:mod:`sim.responses.state`), with a cool-down between firings
(:mod:`sim.responses.base`). Built-in personalities: :mod:`sim.responses.personalities`. Importing
this package registers them (the registry itself, :mod:`sim.registry`, imports no engine module).

Example:
    >>> from sim import CustomerMarket, load_scenario
    >>> scenario = load_scenario("scenarios/conquest_vs_relations.toml", {
    ...     "market.size": 500, "firms.us.price_path": [{"week": 5, "price": 30}],
    ...     "firms.rival.response.personality": "price_matcher"})
    >>> market = CustomerMarket(scenario); market.run_model()
    >>> reaction = market.reactions[0]
    >>> reaction.week, reaction.firm, market.firm("rival").price  # week 5's price, seen 2 weeks late
    (8, 'rival', 30.0)
"""

from sim.registry import register_response
from sim.responses import personalities  # noqa: F401 - registers the built-in personalities
from sim.responses.base import Reaction, Response
from sim.responses.perception import Perception
from sim.responses.state import ResponseState

__all__ = ["Perception", "Reaction", "Response", "ResponseState", "register_response"]
