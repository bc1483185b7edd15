"""The referral network: undirected social ties stored as a sparse adjacency (CSR).

Owns building the network a scenario asks for (Watts-Strogatz, Barabasi-Albert, Erdos-Renyi,
powerlaw-cluster, complete/mean-field, an edge-list file, and the research networks of
:mod:`sim.network.research`: random regular, configuration model, stochastic block model by
persona) and the two questions the behaviours
ask of it: "what share of my neighbours are in group g?" (one sparse product for all groups) and
"pick one of my neighbours at random" (for referrals).

The network is drawn once per replicate from its own random stream (the replicate seed and the
name ``"network"``), so the same seed always gives the same ties. Watts-Strogatz and Erdos-Renyi
are built directly as NumPy arrays; Barabasi-Albert and powerlaw-cluster run networkx's growth
algorithms compiled (:mod:`sim.network.generators`), with the same degree distribution; the CSR
structure is filled by a compiled pass too. A million people take seconds.

Example:
    >>> import numpy as np
    >>> from sim.scenario import WattsStrogatz
    >>> net = build_network(WattsStrogatz(mean_degree=4, rewire=0.0), size=10, seed=1)
    >>> net.degree.tolist()[:3]
    [4, 4, 4]
    >>> members = np.zeros((10, 1), dtype=np.float32); members[1] = 1
    >>> float(net.neighbour_share(members)[0, 0])
    0.25
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from numba import njit
from scipy import sparse

from sim.network.generators import barabasi_albert_edges, csr_from_sorted_codes, powerlaw_cluster_edges
from sim.network.research import (
    NetworkBuildError,
    configuration_edges,
    degree_sequence,
    random_regular_edges,
    sbm_edges,
)
from sim.scenario import (
    BarabasiAlbert,
    Complete,
    Configuration,
    EdgeList,
    ErdosRenyi,
    PowerlawCluster,
    RandomRegular,
    ScenarioError,
    StochasticBlock,
    WattsStrogatz,
)
from sim.streams import Streams


class ReferralNetwork:
    """Ties among ``size`` people; ``adjacency is None`` means mean field (everyone knows everyone).

    Args:
        size: number of people (slots).
        adjacency: symmetric CSR matrix of 0/1 ties without self-loops, or None for mean field.
    """

    def __init__(self, size: int, adjacency: sparse.csr_array | None) -> None:
        self.size = size
        self.adjacency = adjacency
        if adjacency is None:
            self.degree = np.full(size, size - 1, dtype=np.int64)
        else:
            self.degree = np.diff(adjacency.indptr).astype(np.int64)
        self._inverse_degree = np.where(self.degree > 0, 1.0 / np.maximum(self.degree, 1), 0.0).astype(
            np.float32
        )

    @property
    def mean_field(self) -> bool:
        return self.adjacency is None

    @property
    def edges(self) -> int:
        """Number of undirected ties (for mean field: all pairs)."""
        if self.adjacency is None:
            return self.size * (self.size - 1) // 2
        return int(self.adjacency.nnz // 2)

    def neighbour_share(self, members: np.ndarray) -> np.ndarray:
        """Share of each person's neighbours in each group.

        Args:
            members: (size, groups) array, 1 where the person belongs to the group.

        Returns:
            (size, groups) float32 array in [0, 1]. Under mean field, the share of everybody else.
        """
        members = np.asarray(members, dtype=np.float32)
        if self.adjacency is None:
            totals = members.sum(axis=0, dtype=np.float64)
            share = (totals[None, :] - members) / max(self.size - 1, 1)
            return share.astype(np.float32)
        counts = self.adjacency @ members
        return (counts * self._inverse_degree[:, None]).astype(np.float32, copy=False)

    def random_neighbour(self, slots: np.ndarray, uniform: np.ndarray) -> np.ndarray:
        """One neighbour of each slot, chosen by the slot's own uniform draw; -1 if it has none."""
        slots = np.asarray(slots, dtype=np.int64)
        if self.adjacency is None:
            other = np.minimum((uniform * (self.size - 1)).astype(np.int64), self.size - 2)
            return np.where(other >= slots, other + 1, other)
        degree = self.degree[slots]
        offset = np.minimum((uniform * degree).astype(np.int64), np.maximum(degree - 1, 0))
        chosen = self.adjacency.indices[self.adjacency.indptr[slots] + offset].astype(np.int64)
        return np.where(degree > 0, chosen, -1)

    def __repr__(self) -> str:
        kind = "mean field" if self.mean_field else f"{self.edges} ties"
        return f"ReferralNetwork({self.size} people, {kind}, mean degree {self.degree.mean():.2f})"


class NeighbourCounts:
    """Running counts of each person's neighbours in each group, updated from who changed group.

    Each week only a few people change firm, so updating the counts through their ties costs far
    less than recounting every tie; the shares are exactly those of
    :meth:`ReferralNetwork.neighbour_share` of the one-hot group matrix.

    Example:
        >>> from sim.scenario import WattsStrogatz
        >>> net = build_network(WattsStrogatz(mean_degree=4, rewire=0.0), size=10, seed=1)
        >>> counts = NeighbourCounts(net, groups=1)
        >>> code = np.full(10, -1, dtype=np.int8); code[1] = 0
        >>> float(counts.shares(code)[0, 0])
        0.25
    """

    def __init__(self, network: ReferralNetwork, groups: int) -> None:
        self.network = network
        self.groups = groups
        if network.adjacency is not None:
            self.counts = np.zeros((network.size, groups), dtype=np.int32)
            self.counted_code = np.full(network.size, -1, dtype=np.int8)
            # The shares are kept up to date with the counts, entry by entry, so that no week
            # pays for a pass over every person (at a million people that pass was ~4 ms).
            self._shares = np.zeros((network.size, groups), dtype=np.float32)

    def shares(self, code: np.ndarray) -> np.ndarray:
        """(people, groups) share of each person's neighbours whose ``code`` is g (< 0: none).

        On a network with ties the array returned is updated in place by the next call: copy it
        to keep it.
        """
        network = self.network
        if network.adjacency is None:
            members = np.flatnonzero(code >= 0)
            one_hot = np.zeros((network.size, self.groups), dtype=np.float32)
            one_hot[members, code[members]] = 1
            return network.neighbour_share(one_hot)
        update_neighbour_counts(
            network.adjacency.indptr,
            network.adjacency.indices,
            (self.counts, self._shares, network._inverse_degree),
            self.counted_code,
            code,
        )
        return self._shares


@njit(cache=True)
def update_neighbour_counts(
    indptr: np.ndarray,
    indices: np.ndarray,
    tallies: tuple,
    counted_code: np.ndarray,
    code: np.ndarray,
) -> None:
    """Move the contribution of each person whose group changed since they were counted to their
    neighbours' counts from the old group to the new one (code < 0: none), in place.

    ``tallies`` is (counts (people, groups) int32, shares (people, groups) float32, inverse
    degree float32): each count changed is written to the shares too, as float32 count x inverse
    degree, the same number the one-pass neighbour share gives.
    """
    counts, shares, inverse_degree = tallies
    for person in range(code.size):
        old, new = counted_code[person], code[person]
        if old == new:
            continue
        for position in range(indptr[person], indptr[person + 1]):
            friend = indices[position]
            scale = inverse_degree[friend]
            if old >= 0:
                counts[friend, old] -= 1
                shares[friend, old] = np.float32(counts[friend, old]) * scale
            if new >= 0:
                counts[friend, new] += 1
                shares[friend, new] = np.float32(counts[friend, new]) * scale
        counted_code[person] = new


def adjacency_from_edges(size: int, a: np.ndarray, b: np.ndarray) -> sparse.csr_array:
    """Symmetric 0/1 CSR adjacency from edge endpoints; drops self-loops and duplicate ties."""
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    keep = a != b
    a, b = a[keep], b[keep]
    low, high = np.minimum(a, b), np.maximum(a, b)
    forward = _sorted_unique(low * size + high)
    backward = np.sort((forward % size) * size + forward // size)
    indptr, indices = csr_from_sorted_codes(size, forward, backward)
    if indptr[-1] < 2**31:
        indptr = indptr.astype(np.int32)
    data = np.ones(indices.size, dtype=np.float32)
    return sparse.csr_array((data, indices, indptr), shape=(size, size))


def _sorted_unique(codes: np.ndarray) -> np.ndarray:
    """np.unique for large int64 arrays: a sort and a mask (np.unique is ~50x slower at 10^7)."""
    codes = np.sort(codes)
    keep = np.empty(codes.size, dtype=bool)
    keep[:1] = True
    np.not_equal(codes[1:], codes[:-1], out=keep[1:])
    return codes[keep]


def _watts_strogatz(size: int, mean_degree: int, rewire: float, rng: np.random.Generator):
    half = mean_degree // 2
    if half < 1 or mean_degree >= size:
        raise ValueError(f"watts_strogatz needs 2 <= mean_degree < market size, got {mean_degree}")
    source = np.repeat(np.arange(size, dtype=np.int64), half)
    target = (source + np.tile(np.arange(1, half + 1, dtype=np.int64), size)) % size
    rewired = rng.random(source.size) < rewire
    # As in networkx: a rewired tie keeps its source and gets a uniformly random new end.
    target[rewired] = rng.integers(0, size, int(rewired.sum()))
    return source, target


def _erdos_renyi(size: int, mean_degree: float, rng: np.random.Generator):
    pairs = size * (size - 1) // 2
    probability = min(1.0, mean_degree / max(size - 1, 1))
    count = rng.binomial(pairs, probability)
    # Sampling pairs with replacement and dropping repeats is exact enough for sparse graphs;
    # oversample slightly so the realised tie count matches the binomial draw.
    a = rng.integers(0, size, int(count * 1.05) + 16)
    b = rng.integers(0, size, a.size)
    keep = a != b
    low, high = np.minimum(a[keep], b[keep]), np.maximum(a[keep], b[keep])
    unique = _sorted_unique(low * size + high)[:count]
    return unique // size, unique % size


def _edge_list(path: str, size: int):
    file = Path(path)
    if not file.exists():
        raise ScenarioError(f"network.path = {path!r}: edge-list file not found")
    try:
        edges = np.loadtxt(file, dtype=np.int64, comments="#", delimiter=None, ndmin=2)
    except ValueError as error:
        raise ScenarioError(
            f"network.path = {path!r}: each line must hold two person ids (integers): {error}"
        ) from None
    if edges.size == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    if edges.shape[1] < 2:
        raise ScenarioError(f"network.path = {path!r}: each line must hold two person ids")
    bad = (edges[:, :2] < 0) | (edges[:, :2] >= size)
    if bad.any():
        row = int(np.flatnonzero(bad.any(axis=1))[0])
        raise ScenarioError(
            f"network.path = {path!r}: line {row + 1} names person {edges[row, :2].tolist()}; "
            f"ids must be in 0..{size - 1} (market.size = {size})"
        )
    return edges[:, 0], edges[:, 1]


def build_network(config, size: int, seed: int, persona: np.ndarray | None = None) -> ReferralNetwork:
    """Build the network a scenario's ``[network]`` table describes, from the replicate seed.

    ``persona`` (each person's persona code) is needed by the stochastic block model only.
    """
    rng = np.random.default_rng(Streams(seed).integer_seed("network"))
    if isinstance(config, RandomRegular | Configuration | StochasticBlock):
        return ReferralNetwork(size, adjacency_from_edges(size, *_research_edges(config, size, rng, persona)))
    if isinstance(config, Complete):
        return ReferralNetwork(size, None)
    if isinstance(config, WattsStrogatz):
        a, b = _watts_strogatz(size, config.mean_degree, config.rewire, rng)
    elif isinstance(config, ErdosRenyi):
        a, b = _erdos_renyi(size, config.mean_degree, rng)
    elif isinstance(config, BarabasiAlbert | PowerlawCluster):
        if config.attach >= size:
            raise ScenarioError(f"network.attach = {config.attach}: must be < market.size = {size}")
        # networkx's algorithms, compiled (networkx itself takes minutes at a million people),
        # drawing from the network stream's generator like the other types.
        if isinstance(config, BarabasiAlbert):
            a, b = barabasi_albert_edges(size, config.attach, rng)
        else:
            a, b = powerlaw_cluster_edges(size, config.attach, config.triangle, rng)
    elif isinstance(config, EdgeList):
        a, b = _edge_list(config.path, size)
    else:  # pragma: no cover - the scenario schema admits no other type
        raise TypeError(f"unknown network config {config!r}")
    return ReferralNetwork(size, adjacency_from_edges(size, a, b))


def _research_edges(config, size: int, rng: np.random.Generator, persona: np.ndarray | None):
    """Ties of a random regular, configuration-model or block-model network; a problem only the
    drawn network shows (a block denser than it can be, no simple graph found) as a ScenarioError."""
    try:
        if isinstance(config, RandomRegular):
            return random_regular_edges(size, config.degree, rng)
        if isinstance(config, Configuration):
            return configuration_edges(degree_sequence(config, size, rng), config.multi_ties, rng)
        if persona is None:
            raise TypeError("a stochastic block model needs each person's persona (persona=...)")
        homophily = config.homophily
        if homophily is None:  # no preference: the share of all pairs that are within a persona
            sizes = np.bincount(persona).astype(np.float64)
            homophily = float((sizes * (sizes - 1)).sum() / max(size * (size - 1), 1))
        return sbm_edges(persona, config.mean_degree, homophily, rng)
    except NetworkBuildError as error:
        raise ScenarioError(f"network.type = {config.type!r}: {error}") from None
