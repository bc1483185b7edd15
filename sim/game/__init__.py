"""Game analysis (``sim game``): every combination of the firms' choices run on the same seeds,
and what the payoffs say about best responses, equilibria and dominance.

The workflow of empirical game-theoretic analysis (Wellman 2006; docs/game.md): the scenario's
``[game]`` table (:class:`sim.design.GameConfig`) lists each firm's choices (strategies, budgets,
prices, response personalities, or plans written by ``sim optimise``); every profile (one choice
per firm) runs on the same paired seeds through the executor (:mod:`~sim.game.table`: resumable
from the run cache, distributed with ``jobs`` or a Dask ``cluster``, the same numbers either
way); the payoff table is read for best responses, regret, pure-strategy equilibria, dominance
and, for two firms, the mixed equilibria of the mean payoffs (:mod:`~sim.game.analysis`);
optionally each firm in turn optimises its plan against the others' (iterated best response,
:mod:`~sim.game.iterate`). The result writes ``game.json``, ``payoffs.csv``,
``best_responses.csv``, the payoff heat map and the best-response figure (:mod:`~sim.game.outputs`).

Example:
    >>> from sim import load_scenario
    >>> s = load_scenario("scenarios/conquest_vs_relations.toml", {"market.size": 300, "run.weeks": 6})
    >>> result = analyse(s, choices={"us": ["conquest", "neglect"], "rival": ["relations"]}, replicates=2, jobs=1)
    >>> result.info["players"], len(result.info["profiles"])
    (['us', 'rival'], 2)
"""

from sim.game.analysis import (
    BEYOND,
    WITHIN,
    best_responses,
    dominance,
    dominant,
    equilibria,
    gain,
    mixed_equilibria,
    regrets,
)
from sim.game.iterate import iterate
from sim.game.outputs import GameResult, analyse, format_game, write_game
from sim.game.table import KEPT_METRICS, PayoffTable, Profile, play, profiles

__all__ = [
    "BEYOND",
    "KEPT_METRICS",
    "WITHIN",
    "GameResult",
    "PayoffTable",
    "Profile",
    "analyse",
    "best_responses",
    "dominance",
    "dominant",
    "equilibria",
    "format_game",
    "gain",
    "iterate",
    "mixed_equilibria",
    "play",
    "profiles",
    "regrets",
    "write_game",
]
