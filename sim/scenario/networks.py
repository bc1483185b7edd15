"""The research networks' checks against the market, and the block model's two tie probabilities.

Owns what can be known about a random regular, configuration-model or stochastic-block-model
network before it is drawn (:func:`check_research_network`: a degree the market cannot hold, an odd
number of stubs, a degree file missing, of the wrong length or with a degree beyond the market, a
block model denser than its blocks allow) and :func:`block_probabilities`, the tie probabilities
within and between personas that give a mean degree and a homophily (used by the check and by the
generator, :mod:`sim.network.research`).

Example:
    >>> [round(p, 4) for p in block_probabilities(np.array([50, 50]), 4.0, 0.8)]
    [0.0653, 0.016]
"""

from __future__ import annotations

import numpy as np

from sim.scenario.seeds import file_problem


def block_probabilities(sizes: np.ndarray, mean_degree: float, homophily: float) -> tuple[float, float]:
    """(p_in, p_out): the tie probabilities within and between blocks of ``sizes`` that give the
    expected mean degree ``mean_degree`` and the expected share ``homophily`` of ties within a
    block. With one block (or only blocks of one) every tie is within (or between) blocks and
    ``homophily`` has no effect.

    The expected ties are mean_degree x people / 2; a share ``homophily`` of them fall on the
    W pairs within blocks and the rest on the B pairs between, so p_in = homophily x ties / W and
    p_out = (1 - homophily) x ties / B. With no preference (homophily = W / (W + B)) the two are
    equal: an Erdos-Renyi graph.
    """
    sizes = np.asarray(sizes, dtype=np.float64)
    people = float(sizes.sum())
    within = float((sizes * (sizes - 1) / 2).sum())
    between = people * (people - 1) / 2 - within
    ties = mean_degree * people / 2
    if between <= 0:
        return ties / within, 0.0
    if within <= 0:
        return 0.0, ties / between
    return homophily * ties / within, (1 - homophily) * ties / between


def check_research_network(scenario) -> str | None:
    """What is wrong with a random regular, configuration-model or block-model network for this
    market, or None: a degree the market cannot hold, an odd number of stubs, a degree file not
    found, of the wrong length or with a degree beyond the market, a block model denser than
    its blocks allow (with the personas' expected sizes)."""
    # The network ties the simulated people (market.simulated when the market is scaled).
    network, size = scenario.network, scenario.market.people
    key = "market.size" if scenario.market.simulated is None else "market.simulated"
    if network.type == "random_regular":
        if network.degree >= size:
            return f"network.degree = {network.degree}: must be < {key} = {size}"
        if network.degree * size % 2:
            return (
                f"network.degree = {network.degree}: degree x {key} ({size}) must be even "
                f"(each tie has two ends)"
            )
    if network.type == "configuration":
        return _check_degrees(network, size, key)
    if network.type == "sbm":
        shares = np.array([p.share for p in scenario.personas.values()], dtype=np.float64)
        sizes = shares / shares.sum() * size
        homophily = (
            network.homophily if network.homophily is not None else float((sizes / size) @ (sizes / size))
        )
        p_in, p_out = block_probabilities(sizes, network.mean_degree, homophily)
        if max(p_in, p_out) > 1:
            return (
                f"network.mean_degree = {network.mean_degree}: with homophily {homophily:.3g} the tie "
                f"probability {'within' if p_in > 1 else 'between'} personas would be {max(p_in, p_out):.3g} > 1 "
                f"among {size} people; lower mean_degree or homophily"
            )
    return None


def _check_degrees(network, size: int, key: str) -> str | None:
    if network.path is None:
        spec = network.degrees
        if spec.dist == "powerlaw" and max(spec.min or 1, spec.max or 1) >= size:
            bound = "max" if (spec.max or 1) >= size else "min"
            return f"network.degrees.{bound} = {getattr(spec, bound)}: must be < {key} = {size}"
        if spec.mean is not None and spec.mean >= size - 1:
            return f"network.degrees.mean = {spec.mean}: must be < {key} - 1 = {size - 1}"
        return None
    degrees, problem = file_problem(network.path, network.column, "degree")
    if problem:
        return f"network.path = {network.path!r}: {problem}"
    if degrees.size != size:
        return (
            f"network.path = {network.path!r}: holds {degrees.size} degrees; one per person is needed "
            f"({key} = {size})"
        )
    if degrees.size and degrees.max() >= size:
        person = int(np.argmax(degrees))
        return (
            f"network.path = {network.path!r}: person {person} has degree {int(degrees[person])}; "
            f"degrees must be < {key} = {size}"
        )
    if int(degrees.sum()) % 2:
        return (
            f"network.path = {network.path!r}: the degrees sum to {int(degrees.sum())}; the sum must be even"
        )
    return None
