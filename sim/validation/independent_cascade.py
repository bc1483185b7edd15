"""The independent cascade's expected spread, exactly on small graphs, against our engine reduced
to the independent cascade (docs/validation.md, section 4).

The independent cascade (Kempe, Kleinberg & Tardos 2003): the seeds are active at round 0; a
person who becomes active in round t gets one chance, in round t + 1, to activate each inactive
neighbour, succeeding with probability ``beta`` independently per tie. Its final active set has
the distribution of the set reachable from the seeds in a random "live-edge" graph that keeps
each tie with probability ``beta`` (KKT's Claim 2.3), so on a graph with m ties the spread's
distribution is exact over the 2^m live-edge graphs (:func:`exact_spread`; m <= :data:`MAX_TIES`).

Our engine is the independent cascade when word of mouth is per tie with ``active_weeks = 1`` and
nothing else acts (:func:`ic_scenario`): one firm, no advertising, no innovation or bandwagon,
no awareness gate, nobody leaves. A prospect with ``n`` friends who joined last week then adopts
with chance ``1 - exp(-n x -log(1 - beta)) = 1 - (1 - beta) ** n``: each new customer's one chance
per tie. :func:`engine_spreads` runs ``copies`` disjoint copies of each graph in one market (the
draws are per person, so the copies are independent replicates) and returns each copy's spread;
:func:`check_independent_cascade` compares their mean with the exact expectation.

Example:
    >>> import networkx as nx
    >>> exact = exact_spread(nx.path_graph(3), [0], beta=0.5)
    >>> float(exact.mean)  # 1 + 0.5 + 0.25
    1.75
    >>> exact.node_probability.tolist()
    [1.0, 0.5, 0.25]
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import networkx as nx
import numpy as np

from sim.agents.customers import Channel
from sim.model import CustomerMarket
from sim.scenario import Scenario
from sim.validation.cascade import check_graph
from sim.validation.common import STANDARD_ERRORS, only_adoption

# The persona's traits, each a constant (its default mean): none of them matters to who adopts.
TRAITS = {
    "bandwagon_threshold": 0.35,
    "price_sensitivity": 1.0,
    "proof_sensitivity": 1.0,
    "purchase_rate": 0.25,
    "basket_size": 1.0,
    "appreciation_decay": 0.02,
    "referral_propensity": 0.01,
    "products": 1.0,
}
MAX_TIES = 20  # 2^20 live-edge graphs: about a second and 20 MB per node


@dataclass(frozen=True)
class ExactSpread:
    """The independent cascade's final spread from a seed set, exactly.

    Attributes:
        mean: expected number of active people at the end (the seeds included).
        sd: standard deviation of that number.
        node_probability: (nodes,) chance each person is active at the end.
    """

    mean: float
    sd: float
    node_probability: np.ndarray


def exact_spread(graph: nx.Graph, seeds, beta: float) -> ExactSpread:
    """Enumerate the 2^m live-edge graphs of ``graph`` (m ties, each live with ``beta``) and
    weight the set each makes reachable from ``seeds`` by its probability.

    Args:
        graph: simple undirected graph on nodes 0..n-1 with at most :data:`MAX_TIES` ties.
        seeds: the initial active node ids.
        beta: the probability per tie, in [0, 1].
    """
    size = check_graph(graph)
    edges = np.asarray(list(graph.edges()), dtype=np.int64).reshape(-1, 2)
    ties = edges.shape[0]
    if ties > MAX_TIES:
        raise ValueError(f"{ties} ties: exact enumeration is limited to {MAX_TIES} (2^m live-edge graphs)")
    if not 0.0 <= beta <= 1.0:
        raise ValueError(f"beta must be in [0, 1], got {beta}")
    masks = np.arange(2**ties, dtype=np.int64)
    live = ((masks[:, None] >> np.arange(ties)) & 1).astype(bool)  # (graphs, ties)
    reach = np.zeros((masks.size, size), dtype=bool)
    reach[:, np.unique(np.asarray(seeds, dtype=np.int64))] = True
    changed = True
    while changed:  # at most n sweeps: each one that changes something reaches someone new
        before = reach.sum()
        for e, (a, b) in enumerate(edges):
            reach[:, b] |= reach[:, a] & live[:, e]
            reach[:, a] |= reach[:, b] & live[:, e]
        changed = reach.sum() != before
    kept = live.sum(axis=1)
    probability = beta**kept * (1.0 - beta) ** (ties - kept)
    spread = reach.sum(axis=1).astype(np.float64)
    mean = float(probability @ spread)
    variance = max(float(probability @ spread**2) - mean**2, 0.0)
    return ExactSpread(mean, math.sqrt(variance), probability @ reach)


def ic_scenario(size: int, edge_list: str | Path, beta: float, weeks: int) -> Scenario:
    """Our engine reduced to the independent cascade with probability ``beta`` per tie on the
    network in ``edge_list``: word of mouth per tie with ``active_weeks = 1`` is the only reason
    to choose (:func:`sim.validation.only_adoption`), one firm that starts with no customers (the
    caller seeds them), for ``weeks`` weeks."""
    per_tie = {"transmission": "per_tie", "tie_probability": beta, "active_weeks": 1}
    behaviours = only_adoption()
    behaviours["adoption"] |= per_tie
    return Scenario.model_validate(
        {
            "run": {"name": "independent_cascade", "weeks": weeks},
            "market": {"size": size, "initial_awareness": 0.0},
            "network": {"type": "edge_list", "path": str(edge_list)},
            # Traits do not change who adopts here: constants (bare numbers) spare drawing them.
            "personas": {"everyone": dict(TRAITS)},
            "firms": {"solo": {"initial_share": 0.0, "budget": 0.0, "strategy": "neglect"}},
            "behaviours": behaviours,
        }
    )


def engine_spreads(cases: Sequence[tuple[nx.Graph, Sequence[int]]], beta: float, copies: int, seed: int = 1):
    """Each copy's final spread when our engine runs the independent cascade on ``copies``
    disjoint copies of each (graph, seeds) case, all in one market, the seeds active in every copy
    at week 0.

    Returns a list with, for each case, a (copies,) int64 array: the customers in each copy once a
    week adds nobody.
    """
    blocks, initial, first = [], [], 0
    for graph, seeds in cases:
        size = check_graph(graph)
        edges = np.asarray(list(graph.edges()), dtype=np.int64).reshape(-1, 2)
        offsets = (
            first + np.arange(copies, dtype=np.int64) * size
        )  # copy c: people offset .. offset + size - 1
        blocks.append((offsets[:, None, None] + edges[None, :, :]).reshape(-1, 2))
        initial.append((offsets[:, None] + np.unique(np.asarray(seeds, dtype=np.int64))[None, :]).ravel())
        first += size * copies
    longest = max(graph.number_of_nodes() for graph, _ in cases)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "edges.txt"
        ties = np.concatenate(blocks).tolist()
        path.write_text("".join(f"{a} {b}\n" for a, b in ties))  # np.savetxt takes 10x longer
        market = CustomerMarket(ic_scenario(first, path, beta, weeks=longest + 1), seed=seed)
    c = market.customers
    seeded = np.concatenate(initial)
    c.join(
        seeded,
        np.zeros(seeded.size, dtype=np.int8),
        week=0,
        channel=Channel.INITIAL,
        satisfaction=market.qualities[0],
        appreciation=market.scenario.behaviours.appreciation.initial,
        in_run=False,
    )
    customers = seeded.size
    # A week that adds nobody leaves nobody who joined last week: nobody can transmit any more.
    # No cascade lasts more than size - 1 weeks.
    while market.week < market.scenario.run.weeks:
        market.step()
        now = int(np.count_nonzero(c.firm >= 0))
        if now == customers:
            break
        customers = now
    spreads, first = [], 0
    for graph, _ in cases:
        size = graph.number_of_nodes()
        block = c.firm[first : first + size * copies].reshape(copies, size)
        spreads.append(np.count_nonzero(block >= 0, axis=1).astype(np.int64))
        first += size * copies
    return spreads


@dataclass(frozen=True)
class CascadeCheck:
    """One independent-cascade comparison: the engine's mean spread over ``copies`` against the
    exact expectation, the standard error ``exact sd / sqrt(copies)`` (the spread's own sd, exact),
    and the error in standard errors; ``ok`` when within :data:`STANDARD_ERRORS`."""

    name: str
    beta: float
    copies: int
    exact: float
    simulated: float
    standard_error: float

    @property
    def errors(self) -> float:
        """(simulated - exact) / standard error."""
        return (self.simulated - self.exact) / self.standard_error if self.standard_error > 0 else 0.0

    @property
    def ok(self) -> bool:
        if self.standard_error == 0:
            return self.simulated == self.exact
        return abs(self.errors) <= STANDARD_ERRORS


def check_independent_cascade(
    cases: dict[str, tuple[nx.Graph, Sequence[int]]], beta: float, copies: int, seed: int = 1
) -> list[CascadeCheck]:
    """The engine's mean spread on ``copies`` copies of each named (graph, seeds) case (one market)
    against :func:`exact_spread`."""
    spreads = engine_spreads(list(cases.values()), beta, copies, seed)
    checks = []
    for (name, (graph, seeds)), simulated in zip(cases.items(), spreads, strict=True):
        exact = exact_spread(graph, seeds, beta)
        checks.append(
            CascadeCheck(
                name, beta, copies, exact.mean, float(simulated.mean()), exact.sd / math.sqrt(copies)
            )
        )
    return checks


def cascade_graphs() -> dict[str, tuple[nx.Graph, list[int]]]:
    """The validation's graphs and seed sets (docs/validation.md): a path of 8 (7 ties) from one
    end and from both, a star of 8 leaves from the centre and from a leaf, and an Erdos-Renyi
    G(10, 15) graph (seeded) from one node and from two."""
    random = nx.gnm_random_graph(10, 15, seed=7)
    return {
        "path, one end": (nx.path_graph(8), [0]),
        "path, both ends": (nx.path_graph(8), [0, 7]),
        "star, centre": (nx.star_graph(8), [0]),
        "star, leaf": (nx.star_graph(8), [1]),
        "G(10, 15), one": (random, [0]),
        "G(10, 15), two": (random, [0, 5]),
    }
