"""The network generators, compiled: networkx's growth algorithms and the CSR structure of ties.

Owns the loops that build a network's ties at a million people in seconds: Barabasi-Albert and
powerlaw-cluster growth as networkx's ``barabasi_albert_graph`` and ``powerlaw_cluster_graph``
do it (networkx itself takes minutes at that size), drawing from the NumPy generator they are
given, and the symmetric CSR structure of a set of ties (:func:`csr_from_edges`). Which
network a scenario asks for, and the questions the behaviours ask of it, are :mod:`sim.network`.

Example:
    >>> import numpy as np
    >>> source, target = barabasi_albert_edges(10, 2, np.random.default_rng(1))
    >>> source.size, int(source.min()) >= 0
    (16, True)
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def csr_from_sorted_codes(
    size: int, forward: np.ndarray, backward: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric CSR structure (indptr, indices with each row sorted) of undirected ties.

    ``forward`` holds ``low * size + high`` for each tie (low < high), sorted and free of repeats;
    ``backward`` holds ``high * size + low`` for the same ties, sorted. Row r is the lows of the
    backward codes of r followed by the highs of the forward codes of r: both already in order,
    so the rows are written front to back (random writes are slow on this machine's memory).
    """
    indptr = np.zeros(size + 1, dtype=np.int64)
    indices = np.empty(2 * forward.size, dtype=np.int32)
    f = 0
    b = 0
    position = 0
    for person in range(size):
        while b < backward.size and backward[b] // size == person:
            indices[position] = backward[b] % size
            position += 1
            b += 1
        while f < forward.size and forward[f] // size == person:
            indices[position] = forward[f] % size
            position += 1
            f += 1
        indptr[person + 1] = position
    return indptr, indices


@njit(cache=True)
def csr_from_edges(size: int, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric CSR structure (indptr, indices with each row sorted and free of repeats) of the
    undirected ties ``a[e]``-``b[e]``, without self-loops: the same structure as
    :func:`csr_from_sorted_codes` of the sorted, distinct codes of the ties.

    A counting sort: each tie is written into both its ends' rows, then each row is sorted and
    its repeats dropped, in place. No code arrays and no global sort (at ten million people the
    two sorts of 50 million codes took ~10 s and ~200 bytes a person); the writes stay close
    together on a small-world ring, where most ties join near neighbours.
    """
    indptr = np.zeros(size + 1, dtype=np.int64)
    for e in range(a.size):
        if a[e] != b[e]:
            indptr[a[e] + 1] += 1
            indptr[b[e] + 1] += 1
    for person in range(size):
        indptr[person + 1] += indptr[person]
    indices = np.empty(indptr[size], dtype=np.int32)
    filled = indptr[:-1].copy()
    for e in range(a.size):
        low, high = a[e], b[e]
        if low != high:
            indices[filled[low]] = high
            filled[low] += 1
            indices[filled[high]] = low
            filled[high] += 1
    # Each row sorted (insertion sort for the short rows of most people, NumPy's sort for hubs),
    # then written without repeats; a row never moves forward, so it is done in place.
    position = 0
    for person in range(size):
        first, last = indptr[person], indptr[person + 1]
        row = indices[first:last]
        if last - first > 32:
            row.sort()
        else:
            for i in range(1, row.size):
                value = row[i]
                j = i - 1
                while j >= 0 and row[j] > value:
                    row[j + 1] = row[j]
                    j -= 1
                row[j + 1] = value
        indptr[person] = position
        for i in range(row.size):
            if i == 0 or row[i] != row[i - 1]:
                indices[position] = row[i]
                position += 1
    indptr[size] = position
    return indptr, indices[:position]


@njit(cache=True)
def _distinct_draws(rng: np.random.Generator, repeated: np.ndarray, length: int, out: np.ndarray) -> None:
    """Fill ``out`` with distinct people drawn uniformly from ``repeated[:length]`` (in which
    everyone appears once per tie they have): networkx's ``_random_subset``."""
    picked = 0
    while picked < out.size:
        candidate = repeated[rng.integers(0, length)]
        seen = False
        for j in range(picked):
            if out[j] == candidate:
                seen = True
                break
        if not seen:
            out[picked] = candidate
            picked += 1


@njit(cache=True)
def barabasi_albert_edges(size: int, attach: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Preferential attachment as networkx's ``barabasi_albert_graph`` does it: a star of
    ``attach + 1`` people to start, then each newcomer ties to ``attach`` distinct people drawn
    uniformly from the list in which everyone appears once per tie they have."""
    ties = attach + (size - attach - 1) * attach
    source = np.empty(ties, dtype=np.int64)
    target = np.empty(ties, dtype=np.int64)
    repeated = np.empty(2 * ties, dtype=np.int64)
    count = 0
    length = 0
    for leaf in range(1, attach + 1):  # the star: hub 0 and leaves 1..attach
        source[count], target[count] = 0, leaf
        count += 1
        repeated[length], repeated[length + 1] = 0, leaf
        length += 2
    chosen = np.empty(attach, dtype=np.int64)
    for newcomer in range(attach + 1, size):
        _distinct_draws(rng, repeated, length, chosen)
        for j in range(attach):
            source[count], target[count] = newcomer, chosen[j]
            count += 1
            repeated[length] = chosen[j]
            repeated[length + 1] = newcomer
            length += 2
    return source, target


@njit(cache=True)
def powerlaw_cluster_edges(
    size: int, attach: int, triangle: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Holme-Kim growth as networkx's ``powerlaw_cluster_graph`` does it: each newcomer makes
    ``attach`` ties; the first by preferential attachment, each further one, with probability
    ``triangle``, to a friend of the last preferential target it is not yet tied to (closing a
    triangle), otherwise by preferential attachment again."""
    ties = (size - attach) * attach
    source = np.empty(ties, dtype=np.int64)
    target = np.empty(ties, dtype=np.int64)
    # Neighbour lists as linked half-edges: head[person] -> half-edge -> next half-edge.
    head = np.full(size, -1, dtype=np.int64)
    next_half = np.empty(2 * ties, dtype=np.int64)
    other_end = np.empty(2 * ties, dtype=np.int64)
    repeated = np.empty(attach + 2 * ties, dtype=np.int64)
    length = 0
    for person in range(attach):
        repeated[length] = person
        length += 1
    count = 0
    candidates = np.empty(attach, dtype=np.int64)
    own = np.empty(attach, dtype=np.int64)  # the newcomer's ties so far
    friends = np.empty(size, dtype=np.int64)
    for newcomer in range(attach, size):
        _distinct_draws(rng, repeated, length, candidates)
        # The targets are taken in the order drawn (Holme & Kim 2002). networkx pops them from a
        # Python set, which favours small ids; its graphs close a few fewer triangles (transitivity
        # 0.053 against 0.067 here at 5,000 people, attach 3, triangle 0.5) but have the same
        # degree quantiles (tests/test_network.py).
        next_candidate = 0
        made = 0
        last_target = -1
        while made < attach:
            partner = -1
            if made > 0 and rng.random() < triangle:
                found = 0
                half = head[last_target]
                while half >= 0:
                    friend = other_end[half]
                    tied = friend == newcomer
                    for j in range(made):
                        if own[j] == friend:
                            tied = True
                    if not tied:
                        friends[found] = friend
                        found += 1
                    half = next_half[half]
                if found > 0:
                    partner = friends[rng.integers(0, found)]
            if partner < 0:
                partner = candidates[next_candidate]
                next_candidate += 1
                last_target = partner
            own[made] = partner
            made += 1
            source[count], target[count] = newcomer, partner
            for a, b, h in ((newcomer, partner, 2 * count), (partner, newcomer, 2 * count + 1)):
                other_end[h] = b
                next_half[h] = head[a]
                head[a] = h
            count += 1
            repeated[length] = partner
            length += 1
        for _ in range(attach):
            repeated[length] = newcomer
            length += 1
    return source, target
