"""The networks of network-science studies: random regular, configuration model, stochastic blocks.

Owns the ties of three textbook random graphs, built as arrays (compiled where a loop is needed)
from the NumPy generator of the network's own stream, so a million people take seconds:

- random regular (everyone has exactly ``degree`` ties): the configuration model's stub pairing,
  then every self-loop and repeated tie replaced by random degree-preserving switches
  (:func:`simple_pairing`), which keeps every degree exact;
- configuration model (Molloy & Reed 1995; Newman, Strogatz & Watts 2001) from a degree sequence:
  stubs paired uniformly at random, then either *erased* (self-loops and repeated ties dropped: the
  "erased configuration model", whose degrees fall a little short of the sequence, mostly the
  largest ones) or *rewired* (:func:`simple_pairing`: every degree kept exactly);
- stochastic block model (Holland, Laskey & Leinhardt 1983) with one block per persona: each pair
  of people in the same persona is tied with probability ``p_in``, each other pair with ``p_out``,
  both set from a mean degree and a homophily (the expected share of ties within a persona);
  within each pair of blocks the number of ties is a binomial draw and the ties a uniform sample of
  that many distinct pairs, which is exactly the model's G(n, p) blocks.

Which network a scenario asks for is :func:`sim.network.build_network`; the degree distributions
are compared with networkx's generators in tests/test_research_networks.py.

Example:
    >>> import numpy as np
    >>> a, b = random_regular_edges(10, 3, np.random.default_rng(1))
    >>> np.bincount(np.concatenate([a, b]), minlength=10).tolist()
    [3, 3, 3, 3, 3, 3, 3, 3, 3, 3]
"""

from __future__ import annotations

import numpy as np
from numba import njit

from sim.scenario.networks import block_probabilities

SWITCH_ATTEMPTS = 1000  # random switches tried per bad tie before giving up (tiny, dense graphs)


class NetworkBuildError(ValueError):
    """A degree sequence or block model that cannot be built (the message says why)."""


def pair_stubs(degree: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """The configuration model's uniform pairing of stubs: person i appears ``degree[i]`` times
    in a list that is shuffled and read two at a time (may hold self-loops and repeated ties).
    The degrees must sum to an even number."""
    stubs = np.repeat(np.arange(degree.size, dtype=np.int64), degree)
    rng.shuffle(stubs)  # NumPy's Fisher-Yates: 2.5x faster here than a compiled one
    return stubs[0::2].copy(), stubs[1::2].copy()


def _bad_ties(a: np.ndarray, b: np.ndarray, size: int) -> np.ndarray:
    """Indices of the self-loops and of every copy but the first of a repeated tie."""
    codes = np.minimum(a, b) * size + np.maximum(a, b)
    # A sort (not an argsort: 2x faster at 10^7) finds the few repeated codes; only their
    # copies are then located.
    ordered = np.sort(codes)
    repeated_codes = np.unique(ordered[1:][ordered[1:] == ordered[:-1]])
    copies = np.flatnonzero(np.isin(codes, repeated_codes))
    later = copies[np.argsort(codes[copies], kind="stable")]
    later_codes = codes[later]
    again = np.zeros(later.size, dtype=bool)
    again[1:] = later_codes[1:] == later_codes[:-1]
    later = later[again]
    return np.union1d(later, np.flatnonzero(a == b))


def simple_pairing(
    a: np.ndarray, b: np.ndarray, size: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Ties ``(a, b)`` made simple with every person's degree kept: each self-loop or repeated tie
    (u, v) swaps ends with a uniformly chosen good tie (x, y) -> (u, x), (v, y) whenever neither
    new tie is a loop or already exists (a degree-preserving switch; the standard repair of a
    configuration-model pairing). The ties are changed in place and returned.

    Raises:
        NetworkBuildError: no switch was found for some tie after :data:`SWITCH_ATTEMPTS` tries
            (a degree sequence close to what no simple graph can have).
    """
    bad = _bad_ties(a, b, size)
    if bad.size == 0:
        return a, b
    indptr = np.zeros(size + 1, dtype=np.int64)
    np.cumsum(np.bincount(np.concatenate([a, b]), minlength=size), out=indptr[1:])
    if not _switch_repair(a, b, bad, indptr, rng, SWITCH_ATTEMPTS):
        raise NetworkBuildError(
            "could not make the ties simple (no self-loops, no repeated ties) with these degrees: "
            "the degree sequence is too dense for a simple graph of this size"
        )
    return a, b


@njit(cache=True)
def _switch_repair(
    a: np.ndarray,
    b: np.ndarray,
    bad: np.ndarray,
    indptr: np.ndarray,
    rng: np.random.Generator,
    attempts: int,
) -> bool:
    """The compiled loop of :func:`simple_pairing`; the neighbour lists (with repeats) are kept
    up to date so that "already tied?" scans the shorter of two lists."""
    fill = indptr[:-1].copy()
    friends = np.empty(indptr[-1], dtype=np.int64)
    for t in range(a.size):
        friends[fill[a[t]]] = b[t]
        fill[a[t]] += 1
        friends[fill[b[t]]] = a[t]
        fill[b[t]] += 1
    is_bad = np.zeros(a.size, dtype=np.bool_)
    for t in bad:
        is_bad[t] = True
    for t in bad:
        u, v = a[t], b[t]
        done = False
        for _ in range(attempts):
            j = rng.integers(0, a.size)
            if is_bad[j]:
                continue
            x, y = a[j], b[j]
            if rng.random() < 0.5:
                x, y = y, x
            if u == x or v == y or _tied(friends, indptr, u, x) or _tied(friends, indptr, v, y):
                continue
            if u == y and v == x:
                continue
            _replace(friends, indptr, u, v, x)
            _replace(friends, indptr, v, u, y)
            _replace(friends, indptr, x, y, u)
            _replace(friends, indptr, y, x, v)
            a[t], b[t] = u, x
            a[j], b[j] = v, y
            is_bad[t] = False
            done = True
            break
        if not done:
            return False
    return True


@njit(cache=True, inline="always")
def _tied(friends: np.ndarray, indptr: np.ndarray, u: np.int64, v: np.int64) -> bool:
    if indptr[u + 1] - indptr[u] > indptr[v + 1] - indptr[v]:
        u, v = v, u
    for p in range(indptr[u], indptr[u + 1]):  # noqa: SIM110 - numba compiles no generator in any()
        if friends[p] == v:
            return True
    return False


@njit(cache=True, inline="always")
def _replace(friends: np.ndarray, indptr: np.ndarray, person: np.int64, old: np.int64, new: np.int64) -> None:
    """One occurrence of ``old`` in ``person``'s list becomes ``new``."""
    for p in range(indptr[person], indptr[person + 1]):
        if friends[p] == old:
            friends[p] = new
            return


def random_regular_edges(size: int, degree: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Ties of a random ``degree``-regular graph on ``size`` people (size x degree even,
    degree < size): a stub pairing made simple by degree-preserving switches."""
    if degree >= size or (size * degree) % 2:
        raise NetworkBuildError(
            f"a random regular graph needs degree < market size and degree x size even, "
            f"got degree {degree}, size {size}"
        )
    if degree == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    a, b = pair_stubs(np.full(size, degree, dtype=np.int64), rng)
    return simple_pairing(a, b, size, rng)


def configuration_edges(
    degree: np.ndarray, multi_ties: str, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Ties of the configuration model for a degree sequence (even sum, each below its length).

    ``multi_ties = "erase"``: the pairing as drawn; :func:`sim.network.adjacency_from_edges` drops
    its self-loops and repeated ties, so realised degrees may fall short of the sequence.
    ``"rewire"``: made simple with every degree exact (:func:`simple_pairing`).
    """
    degree = np.asarray(degree, dtype=np.int64)
    if degree.sum() % 2:
        raise NetworkBuildError(f"the degrees must sum to an even number, got {int(degree.sum())}")
    a, b = pair_stubs(degree, rng)
    if multi_ties == "rewire":
        return simple_pairing(a, b, degree.size, rng)
    return a, b


def _distinct_pairs(count: int, first: int, second: int | None, rng: np.random.Generator) -> np.ndarray:
    """``count`` distinct pairs drawn uniformly (as codes i * width + j): unordered pairs of
    distinct members of one block of ``first`` people when ``second`` is None, else (i in the
    first block, j in the second). Pairs are drawn with replacement and kept in the order first
    drawn, which is a uniform sample without replacement."""
    width = first if second is None else second
    codes = np.empty(0, dtype=np.int64)
    while True:
        wanted = count - _distinct_in_order(codes).size
        draws = int(wanted * 1.1) + 16
        i = rng.integers(0, first, draws)
        j = rng.integers(0, width, draws)
        if second is None:
            keep = i != j
            i, j = np.minimum(i[keep], j[keep]), np.maximum(i[keep], j[keep])
        codes = np.concatenate([codes, i * width + j])
        distinct = _distinct_in_order(codes)
        if distinct.size >= count:
            return distinct[:count]


def _distinct_in_order(codes: np.ndarray) -> np.ndarray:
    """The distinct codes in the order each first appears."""
    if codes.size == 0:
        return codes
    order = np.argsort(codes, kind="stable")
    sorted_codes = codes[order]
    first = np.ones(codes.size, dtype=bool)
    first[1:] = sorted_codes[1:] != sorted_codes[:-1]
    return codes[np.sort(order[first])]


def sbm_edges(
    persona: np.ndarray, mean_degree: float, homophily: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Ties of a stochastic block model whose blocks are the personas (``persona`` holds each
    person's persona code): see :func:`block_probabilities` for the two tie probabilities."""
    persona = np.asarray(persona, dtype=np.int64)
    blocks = [np.flatnonzero(persona == code) for code in range(int(persona.max(initial=-1)) + 1)]
    blocks = [members for members in blocks if members.size]
    sizes = np.array([members.size for members in blocks])
    p_in, p_out = block_probabilities(sizes, mean_degree, homophily)
    if p_in > 1 or p_out > 1:
        which = "within" if p_in > 1 else "between"
        raise NetworkBuildError(
            f"mean_degree {mean_degree} with homophily {homophily} needs a tie probability "
            f"{max(p_in, p_out):.3g} > 1 {which} personas (blocks of {sizes.tolist()} people)"
        )
    sources, targets = [], []
    for i, members in enumerate(blocks):
        for j in range(i, len(blocks)):
            if i == j:
                pairs, probability = members.size * (members.size - 1) // 2, p_in
            else:
                pairs, probability = members.size * blocks[j].size, p_out
            count = int(rng.binomial(pairs, probability)) if pairs and probability > 0 else 0
            if count == 0:
                continue
            if i == j:
                codes = _distinct_pairs(count, members.size, None, rng)
                sources.append(members[codes // members.size])
                targets.append(members[codes % members.size])
            else:
                codes = _distinct_pairs(count, members.size, blocks[j].size, rng)
                sources.append(members[codes // blocks[j].size])
                targets.append(blocks[j][codes % blocks[j].size])
    if not sources:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    return np.concatenate(sources), np.concatenate(targets)


def degree_sequence(config, size: int, rng: np.random.Generator) -> np.ndarray:
    """The degrees of a configuration-model network: read from its file (one per person), or
    drawn from its distribution, each capped at ``size - 1``; a drawn sequence whose sum is odd
    gets one more stub on a uniformly chosen person below the cap (a pairing needs an even sum).

    Example:
        >>> from sim.scenario import DegreeDistribution, Configuration
        >>> config = Configuration(type="configuration", degrees=DegreeDistribution(dist="poisson", mean=4))
        >>> degrees = degree_sequence(config, 1000, np.random.default_rng(1))
        >>> int(degrees.sum()) % 2, bool(3.7 < degrees.mean() < 4.3)
        (0, True)
    """
    if config.path is not None:
        from sim.scenario.seeds import read_integers

        return read_integers(config.path, config.column, "degree")
    spec = config.degrees
    cap = size - 1
    if spec.dist == "poisson":
        degrees = rng.poisson(spec.mean, size)
    elif spec.dist == "lognormal":
        spread = np.sqrt(np.log1p(spec.cv**2))
        degrees = np.rint(rng.lognormal(np.log(spec.mean) - spread**2 / 2, spread, size))
    else:  # powerlaw: P(k) proportional to k^-exponent on min..max (k^-exponent is infinite at 0)
        low = max(spec.min if spec.min is not None else 1, 1)
        high = min(spec.max if spec.max is not None else cap, cap)
        support = np.arange(low, high + 1, dtype=np.float64)
        weights = support**-spec.exponent
        cumulative = np.cumsum(weights / weights.sum())
        degrees = support[
            np.minimum(np.searchsorted(cumulative, rng.random(size), side="right"), support.size - 1)
        ]
    degrees = np.minimum(np.asarray(degrees, dtype=np.int64), cap)
    if degrees.sum() % 2:
        below = np.flatnonzero(degrees < cap)
        degrees[below[rng.integers(0, below.size)]] += 1
    return degrees
