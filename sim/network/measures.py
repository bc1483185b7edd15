"""Where each person sits in the referral network: degree, k-core (core number) and PageRank.

Owns the network measures that choose seeds (a firm's first customers, the people influencer
seeding pays) and the one ranking rule they share: best first, ties broken by slot (the lower slot
first), so a ranking depends only on the network. Each measure is linear in the number of ties:
the core numbers by the compiled peeling of Batagelj & Zaversnik (2003), PageRank by power
iteration on the CSR adjacency (a compiled gather), as networkx's ``core_number`` and ``pagerank``
define them (tests/test_seeding.py compares them). Mean field (no ties stored: everyone knows
everyone) gives every person the same value.

Example:
    >>> from sim.network import build_network
    >>> from sim.scenario import WattsStrogatz
    >>> net = build_network(WattsStrogatz(mean_degree=4, rewire=0.0), size=8, seed=1)
    >>> core_number(net).tolist()
    [4, 4, 4, 4, 4, 4, 4, 4]
    >>> ranking(net, "degree")[:3].tolist()
    [0, 1, 2]
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numba import njit

MEASURES = ("degree", "kcore", "pagerank")
Measure = Literal["degree", "kcore", "pagerank"]
DAMPING = 0.85  # PageRank's damping factor (Brin & Page 1998; networkx's default alpha)
PAGERANK_TOLERANCE = 1e-10  # stop when the L1 change of the scores (which sum to 1) is below this
PAGERANK_MAX_ITERATIONS = 1000


def core_number(network) -> np.ndarray:
    """Each person's core number: the largest k such that they belong to a subgraph in which
    everyone has at least k ties (the k-core; Seidman 1983). int64, one per slot.

    Example:
        >>> from sim.network import ReferralNetwork, adjacency_from_edges
        >>> star = ReferralNetwork(4, adjacency_from_edges(4, np.array([0, 0, 0]), np.array([1, 2, 3])))
        >>> core_number(star).tolist()
        [1, 1, 1, 1]
    """
    if network.adjacency is None:
        return np.full(network.size, max(network.size - 1, 0), dtype=np.int64)
    adjacency = network.adjacency
    return _peel(adjacency.indptr.astype(np.int64), adjacency.indices, network.degree.astype(np.int64))


@njit(cache=True)
def _peel(indptr: np.ndarray, indices: np.ndarray, degree: np.ndarray) -> np.ndarray:
    """Batagelj & Zaversnik's O(ties) core decomposition: people kept sorted by current degree in
    one array with bucket starts; removing the person of least degree lowers each remaining
    neighbour's degree by one, moving them one bucket down in O(1)."""
    size = degree.size
    core = degree.copy()
    top = 0
    for person in range(size):
        top = max(top, core[person])
    start = np.zeros(top + 2, dtype=np.int64)  # first position of each degree's bucket
    for person in range(size):
        start[core[person] + 1] += 1
    for d in range(1, top + 2):
        start[d] += start[d - 1]
    order = np.empty(size, dtype=np.int64)  # people by current degree
    position = np.empty(size, dtype=np.int64)
    fill = start.copy()
    for person in range(size):
        position[person] = fill[core[person]]
        order[position[person]] = person
        fill[core[person]] += 1
    for i in range(size):
        person = order[i]
        for p in range(indptr[person], indptr[person + 1]):
            friend = indices[p]
            if core[friend] > core[person]:
                # Swap the friend with the first person of its bucket, then shrink the bucket.
                d = core[friend]
                first = start[d]
                other = order[first]
                if other != friend:
                    order[position[friend]], order[first] = other, friend
                    position[other], position[friend] = position[friend], first
                start[d] += 1
                core[friend] -= 1
    return core


def pagerank(network, damping: float = DAMPING) -> np.ndarray:
    """Each person's PageRank (Brin & Page 1998) on the undirected ties, float64 summing to 1:
    the stationary share of a random walk that follows a random tie with probability
    ``damping`` and jumps to a uniformly random person otherwise (a person without ties jumps
    always), by power iteration until the L1 change is below :data:`PAGERANK_TOLERANCE`.

    Example:
        >>> from sim.network import ReferralNetwork, adjacency_from_edges
        >>> star = ReferralNetwork(4, adjacency_from_edges(4, np.array([0, 0, 0]), np.array([1, 2, 3])))
        >>> [round(float(x), 3) for x in pagerank(star)]
        [0.48, 0.173, 0.173, 0.173]
    """
    size = network.size
    if network.adjacency is None or size == 0:
        return np.full(size, 1.0 / max(size, 1))
    adjacency = network.adjacency
    degree = network.degree
    out_share = np.where(degree > 0, 1.0 / np.maximum(degree, 1), 0.0)
    lonely = np.flatnonzero(degree == 0)
    scores = np.full(size, 1.0 / size)
    spread = np.empty(size)
    for _ in range(PAGERANK_MAX_ITERATIONS):
        dangling = scores[lonely].sum()
        # The ties are symmetric (A^T = A): each person gathers their friends' shares. A compiled
        # gather, not scipy's product, which would copy the float32 ties to float64 every step.
        _gather(adjacency.indptr, adjacency.indices, scores * out_share, spread)
        updated = damping * spread + (damping * dangling + 1.0 - damping) / size
        change = np.abs(updated - scores).sum()
        scores = updated
        if change < PAGERANK_TOLERANCE:
            break
    return scores / scores.sum()


@njit(cache=True)
def _gather(indptr: np.ndarray, indices: np.ndarray, values: np.ndarray, out: np.ndarray) -> None:
    """out[i] = the sum of ``values`` over person i's friends."""
    for person in range(out.size):
        total = 0.0
        for p in range(indptr[person], indptr[person + 1]):
            total += values[indices[p]]
        out[person] = total


def measure(network, name: Measure) -> np.ndarray:
    """The values of measure ``name`` (one of :data:`MEASURES`), one per slot."""
    if name == "degree":
        return network.degree
    if name == "kcore":
        return core_number(network)
    if name == "pagerank":
        return pagerank(network)
    raise ValueError(f"unknown network measure {name!r}; measures: {', '.join(MEASURES)}")


def ranking(network, name: Measure) -> np.ndarray:
    """Slots best first by measure ``name``; people with equal values in slot order.

    Example:
        >>> from sim.network import ReferralNetwork, adjacency_from_edges
        >>> path = ReferralNetwork(4, adjacency_from_edges(4, np.array([0, 1, 2]), np.array([1, 2, 3])))
        >>> ranking(path, "degree").tolist()
        [1, 2, 0, 3]
    """
    values = measure(network, name)
    return np.lexsort((np.arange(network.size), -np.asarray(values, dtype=np.float64)))
