"""The referral network as a picture: which people to draw and where, computed once per network.

Owns the layout of the dashboard's network view. A market of up to :data:`MAX_DRAWN` people is
drawn whole; a larger one is drawn as a sample: the :data:`MAX_DRAWN` people nearest (in ties) to
the best-connected person, with the ties among them, so word of mouth is seen spreading through
one neighbourhood. Positions come from a force-directed (Fruchterman-Reingold) layout started from
the spectral layout, vectorised with NumPy (about half a second for 600 people). A layout depends
only on the network, so it is kept per network (type, parameters, size and seed) and reused by
every redraw, by Reset with the same network and by the side-by-side arm; only the colours change
from week to week.

Example:
    >>> from sim.network import build_network
    >>> from sim.scenario import WattsStrogatz
    >>> config = WattsStrogatz(mean_degree=4, rewire=0.1)
    >>> picture = network_picture(config, 50, seed=1, network=build_network(config, 50, 1))
    >>> picture.positions.shape, picture.sampled
    ((50, 2), False)
    >>> network_picture(config, 50, seed=1, network=None) is picture  # computed once
    True
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.sparse import csgraph

from sim.network import ReferralNetwork

MAX_DRAWN = 600  # people drawn at most; larger markets show a neighbourhood of this many
LAYOUT_ITERATIONS = 60
_CACHE_SIZE = 8  # layouts kept (each is a few tens of kB)
_layouts: OrderedDict[tuple, NetworkPicture | None] = OrderedDict()


@dataclass(frozen=True)
class NetworkPicture:
    """Who is drawn and where.

    Attributes:
        slots: the drawn people's slots in the market (indices into the customer arrays).
        positions: (len(slots), 2) coordinates, roughly in [-1, 1].
        ties: (ties, 2) pairs of indices into ``slots``, each tie once.
        market_size: people in the market (more than ``len(slots)`` when sampled).
    """

    slots: np.ndarray
    positions: np.ndarray
    ties: np.ndarray
    market_size: int

    @property
    def sampled(self) -> bool:
        return len(self.slots) < self.market_size


def network_picture(config, size: int, seed: int, network: ReferralNetwork | None) -> NetworkPicture | None:
    """The picture of the network a scenario's ``[network]`` table, size and seed build.

    Args:
        config: the scenario's network table (part of the key: the same table, size and seed
            always build the same ties).
        size: people in the market.
        seed: the replicate seed.
        network: the built network; needed only the first time a key is seen.

    Returns:
        The picture, or None for a mean-field market (no ties to draw).
    """
    key = (config.model_dump_json(), size, seed)
    if key in _layouts:
        _layouts.move_to_end(key)
        return _layouts[key]
    if network is None:
        raise ValueError("network_picture: a network seen for the first time must be passed in")
    picture = None if network.adjacency is None else _draw(network.adjacency, size)
    _layouts[key] = picture
    while len(_layouts) > _CACHE_SIZE:
        _layouts.popitem(last=False)
    return picture


def _draw(adjacency: sparse.csr_array, size: int) -> NetworkPicture:
    slots = np.arange(size) if size <= MAX_DRAWN else neighbourhood(adjacency, MAX_DRAWN)
    local = sparse.csr_array(adjacency[slots][:, slots])
    upper = sparse.triu(local, k=1).tocoo()
    ties = np.column_stack([upper.row, upper.col]).astype(np.int64)
    return NetworkPicture(slots=slots, positions=force_layout(local, ties), ties=ties, market_size=size)


def neighbourhood(adjacency: sparse.csr_array, count: int) -> np.ndarray:
    """The ``count`` people closest in ties to the best-connected person (lowest slot on a tie),
    breadth first; fewer if that person's component is smaller.

    Example:
        >>> ring = sparse.csr_array(sparse.diags([1, 1], [1, -1], shape=(10, 10), dtype=np.int8))
        >>> neighbourhood(ring, 3).tolist()
        [0, 1, 2]
    """
    degree = np.diff(adjacency.indptr)
    start = int(np.argmax(degree))
    order = csgraph.breadth_first_order(adjacency, start, directed=False, return_predecessors=False)
    return np.sort(order[:count])


def force_layout(
    adjacency: sparse.csr_array, ties: np.ndarray, iterations: int = LAYOUT_ITERATIONS
) -> np.ndarray:
    """Fruchterman-Reingold positions from a spectral start (deterministic: no random draw).

    Every pair repels (k^2 / distance) and every tie attracts (distance^2 / k), each person moving
    at most a temperature that cools each iteration; the spectral start puts people who share
    friends near each other, so few iterations suffice. O(n^2) per iteration: meant for the few
    hundred people of :data:`MAX_DRAWN`.
    """
    n = adjacency.shape[0]
    if n < 3:
        return np.column_stack([np.linspace(-1, 1, n), np.zeros(n)])
    x, y = _spectral_start(adjacency)
    k2 = np.float32(4.0 / n)  # the ideal distance squared: n people in a 2 x 2 square
    k = np.sqrt(k2)
    a, b = ties[:, 0], ties[:, 1]
    temperature = 0.05
    for _ in range(iterations):
        dx = x[:, None] - x[None, :]
        dy = y[:, None] - y[None, :]
        repulsion = dx * dx
        repulsion += dy * dy
        repulsion += np.float32(1e-4)  # two people on one spot still push apart
        np.divide(k2, repulsion, out=repulsion)
        fx = (dx * repulsion).sum(axis=1)
        fy = (dy * repulsion).sum(axis=1)
        ex, ey = x[a] - x[b], y[a] - y[b]
        pull = np.sqrt(ex * ex + ey * ey) / k
        fx -= np.bincount(a, ex * pull, n) - np.bincount(b, ex * pull, n)
        fy -= np.bincount(a, ey * pull, n) - np.bincount(b, ey * pull, n)
        length = np.sqrt(fx * fx + fy * fy) + 1e-9
        move = np.minimum(length, temperature) / length
        x += (fx * move).astype(np.float32)
        y += (fy * move).astype(np.float32)
        temperature *= 0.96
    return np.column_stack([x, y])


def _spectral_start(adjacency: sparse.csr_array) -> tuple[np.ndarray, np.ndarray]:
    """The two smallest non-trivial eigenvectors of the graph Laplacian, scaled to [-1, 1], with a
    small deterministic spread so that people with identical ties do not start on one spot."""
    laplacian = csgraph.laplacian(adjacency.astype(np.float64), normed=False)
    dense = laplacian.toarray() if sparse.issparse(laplacian) else np.asarray(laplacian)
    _, vectors = np.linalg.eigh(dense)
    coords = vectors[:, 1:3]
    coords = coords / max(np.abs(coords).max(), 1e-12)
    n = coords.shape[0]
    angle = np.arange(n) * 2.399963  # the golden angle: evenly spread, no random draw
    coords = coords + 0.01 * np.column_stack([np.cos(angle), np.sin(angle)])
    return coords[:, 0].astype(np.float32).copy(), coords[:, 1].astype(np.float32).copy()
