"""Granovetter's threshold cascade: our engine reduced to the deterministic cascade on a given graph,
NDlib's ThresholdModel and a reference in integer NumPy (docs/validation.md)."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import networkx as nx
import numpy as np
from scipy import sparse

from sim.agents.customers import Channel
from sim.model import CustomerMarket
from sim.scenario import Scenario
from sim.validation.common import only_adoption

# =========================================================================== threshold cascade

# Weekly hazard of the bandwagon jump: 1 - exp(-JUMP) is exactly 1.0 in float32 (and float64),
# and the engine's adoption draws are uniforms in [0, 1), so a person over the threshold always
# adopts.
JUMP = 1000.0
MAX_WEEKS = 5200  # the longest run a scenario allows; a cascade that has not settled is an error


@dataclass(frozen=True)
class CascadeResult:
    """The end of a cascade.

    Attributes:
        adopters: sorted node ids of everyone who adopted, the initial adopters included.
        rounds: rounds (NDlib iterations, engine weeks) in which somebody adopted.
        curve: adopters so far after each round 0..rounds (round 0: the initial adopters).
    """

    adopters: np.ndarray
    rounds: int
    curve: np.ndarray


def check_graph(graph: nx.Graph) -> int:
    """Number of nodes of a simple undirected graph on nodes 0..n-1 (what all three runners need)."""
    if graph.is_directed() or graph.is_multigraph():
        raise ValueError("the cascade needs a simple undirected graph (nx.Graph)")
    size = graph.number_of_nodes()
    if set(graph.nodes) != set(range(size)):
        raise ValueError("graph nodes must be the integers 0..n-1 (use nx.convert_node_labels_to_integers)")
    if nx.number_of_selfloops(graph):
        # NDlib would count a person among their own neighbours; our network drops self-ties.
        raise ValueError("graph has self-loops: NDlib and our engine would see different neighbours")
    return size


def adjacency(graph: nx.Graph) -> sparse.csr_array:
    """0/1 CSR adjacency of ``graph``, rows and columns in node order 0..n-1."""
    size = check_graph(graph)
    matrix = nx.to_scipy_sparse_array(graph, nodelist=range(size), dtype=np.int32, format="csr")
    matrix.sort_indices()
    return matrix


def adopting_count(thresholds: np.ndarray, degree: np.ndarray) -> np.ndarray:
    """Smallest number of adopting neighbours that makes each person adopt under NDlib's rule.

    The count ``k*`` is the least ``k`` in ``0..d`` with ``k / d >= threshold`` in float64, as
    NDlib computes it; ``d + 1`` when no count reaches the threshold, and 1 for people without
    neighbours (whose count is always 0: they never adopt).
    """
    t = np.asarray(thresholds, dtype=np.float64)
    d = np.asarray(degree, dtype=np.int64)
    safe_d = np.maximum(d, 1)
    k = np.clip(np.ceil(t * safe_d), 0, safe_d + 1).astype(np.int64)
    # ceil(t * d) can be one off after rounding: settle it with NDlib's exact comparison.
    while True:
        lower = (k > 0) & ((k - 1) / safe_d >= t)
        higher = (k <= safe_d) & (k / safe_d < t)
        if not (lower.any() or higher.any()):
            break
        k = k - lower + higher
    return np.where(d > 0, k, 1)


def engine_thresholds(thresholds: np.ndarray, degree: np.ndarray) -> np.ndarray:
    """float32 thresholds for our engine that reproduce NDlib's ``share >= threshold`` exactly.

    The engine compares a float32 share (adopting count x float32 1/d) with a float32 threshold.
    Each person gets ``(k* - 0.5) / d``, halfway between the shares of ``k* - 1`` and ``k*``
    adopting neighbours (see :func:`adopting_count`): float32 rounding (relative 1e-7) is far
    smaller than the half step 0.5 / d for any degree below a million. People who can never adopt
    get 2.0 (a share never exceeds 1). Since ``k* >= 1`` the engine's extra ``share > 0`` never
    matters.

    Raises:
        ValueError: a person with neighbours has threshold <= 0. NDlib makes them adopt with no
            adopting neighbour; our bandwagon needs a positive share, so the two cannot match.
    """
    degree = np.asarray(degree, dtype=np.int64)
    k = adopting_count(thresholds, degree)
    if np.any((k == 0) & (degree > 0)):
        raise ValueError("thresholds must be > 0: NDlib adopts at threshold 0 with no adopting neighbour")
    reachable = (degree > 0) & (k <= degree)
    share = (k - 0.5) / np.maximum(degree, 1)
    return np.where(reachable, share, 2.0).astype(np.float32)


def cascade_scenario(size: int, edge_list: str | Path, weeks: int = MAX_WEEKS) -> Scenario:
    """One firm, nothing but the bandwagon jump: the pure threshold cascade of docs/model.md.

    Every other reason to choose is 0 (innovation, word of mouth, penetration, ads), attraction is
    1 (one firm, no social-proof or price weight), anyone may choose the firm (no awareness gate,
    no forgetting, no buying-cycle weights) and nobody leaves (churn, partial churn and dormancy
    off). Referrals, purchases, experience and appreciation are off too: they cannot change who
    adopts and would only cost time. The firm starts with no customers; the caller seeds them.
    """
    return Scenario.model_validate(
        {
            "run": {"name": "threshold_cascade", "weeks": weeks},
            "market": {"size": size, "initial_awareness": 0.0},
            "network": {"type": "edge_list", "path": str(edge_list)},
            "personas": {"everyone": {}},  # traits are replaced: only the threshold is read
            "firms": {"solo": {"initial_share": 0.0, "budget": 0.0, "strategy": "neglect"}},
            "behaviours": only_adoption(bandwagon_jump=JUMP),
        }
    )


def write_edge_list(graph: nx.Graph, path: str | Path) -> Path:
    """Write ``graph``'s ties in our ``edge_list`` network format: one ``a b`` pair per line."""
    check_graph(graph)
    edges = np.asarray(list(graph.edges()), dtype=np.int64).reshape(-1, 2)
    path = Path(path)
    np.savetxt(path, edges, fmt="%d", header="threshold cascade: one undirected tie per line")
    return path


def cascade_market(
    graph: nx.Graph, thresholds: np.ndarray, initial: np.ndarray, seed: int = 1
) -> CustomerMarket:
    """Our engine, set up as NDlib's threshold cascade on ``graph``, before its first week.

    The graph goes in through an ``edge_list`` network file (checked to give the same
    adjacency); each person's ``bandwagon_threshold`` is replaced by :func:`engine_thresholds`
    (a scenario can give thresholds only as a persona distribution, not person by person); the
    ``initial`` node ids join the single firm at week 0 (``initial_share`` would draw them at
    random).

    Args:
        graph: simple undirected graph on nodes 0..n-1.
        thresholds: NDlib threshold of each node, in node order (all > 0).
        initial: node ids of the initial adopters.
        seed: the market's replicate seed (it cannot change the outcome: adoption is certain).
    """
    size = check_graph(graph)
    expected = adjacency(graph)
    with tempfile.TemporaryDirectory() as folder:
        path = write_edge_list(graph, Path(folder) / "edges.txt")
        market = CustomerMarket(cascade_scenario(size, path), seed=seed)
    network = market.network.adjacency
    if network.shape != expected.shape or (network != expected).nnz:
        raise RuntimeError("the engine's network differs from the graph it was given")
    c = market.customers
    c.bandwagon_threshold[:] = engine_thresholds(thresholds, market.network.degree)
    initial = np.unique(np.asarray(initial, dtype=np.int64))
    c.join(
        initial,
        np.zeros(initial.size, dtype=np.int8),
        week=0,
        channel=Channel.INITIAL,
        satisfaction=market.qualities[0],
        appreciation=market.scenario.behaviours.appreciation.initial,
        in_run=False,
    )
    market.recorder.record(market)  # week 0 again, now with the seeds
    return market


def run_to_end(market: CustomerMarket) -> CascadeResult:
    """Step a cascade market week by week until a week adds no customer; the final adopters."""
    customers = int(np.count_nonzero(market.customers.firm >= 0))
    curve = [customers]
    while True:
        if market.week >= market.scenario.run.weeks:
            raise RuntimeError(f"the cascade had not settled after {market.week} weeks")
        market.step()
        now = int(np.count_nonzero(market.customers.firm >= 0))
        if now == customers:
            break
        customers = now
        curve.append(now)
    return CascadeResult(np.flatnonzero(market.customers.firm >= 0), len(curve) - 1, np.array(curve))


def engine_cascade(
    graph: nx.Graph, thresholds: np.ndarray, initial: np.ndarray, seed: int = 1
) -> CascadeResult:
    """Run our engine as NDlib's threshold cascade on ``graph`` to the end (see
    :func:`cascade_market` for the arguments)."""
    return run_to_end(cascade_market(graph, thresholds, initial, seed))


def ndlib_model(graph: nx.Graph, thresholds: np.ndarray, initial: np.ndarray):
    """NDlib's ``ThresholdModel`` on ``graph`` with per-node thresholds and initial adopters
    (needs NDlib: the ``test`` or ``bench`` extra)."""
    import ndlib.models.ModelConfig as mc
    from ndlib.models.epidemics import ThresholdModel

    check_graph(graph)
    model = ThresholdModel(graph)
    config = mc.Configuration()
    for node, threshold in enumerate(np.asarray(thresholds, dtype=np.float64).tolist()):
        config.add_node_configuration("threshold", node, threshold)
    config.add_model_initial_configuration("Infected", np.unique(initial).tolist())
    model.set_initial_status(config)
    return model


def ndlib_run_to_end(model) -> CascadeResult:
    """Iterate an NDlib threshold model until an iteration infects nobody; the final adopters."""
    first = model.iteration(node_status=False)  # iteration 0 only reports the initial state
    curve = [first["node_count"][1]]
    while True:
        step = model.iteration(node_status=False)
        if step["status_delta"][1] <= 0:
            break
        curve.append(step["node_count"][1])
    infected = [node for node, status in model.status.items() if status == 1]
    return CascadeResult(np.sort(np.asarray(infected, dtype=np.int64)), len(curve) - 1, np.array(curve))


def ndlib_cascade(graph: nx.Graph, thresholds: np.ndarray, initial: np.ndarray) -> CascadeResult:
    """Run NDlib's ``ThresholdModel`` to the end."""
    return ndlib_run_to_end(ndlib_model(graph, thresholds, initial))


def reference_cascade(graph: nx.Graph, thresholds: np.ndarray, initial: np.ndarray) -> CascadeResult:
    """NDlib's rule in integer NumPy: synchronous rounds, adopt when adopting count >= k*."""
    matrix = adjacency(graph)
    degree = np.diff(matrix.indptr)
    needed = adopting_count(thresholds, degree)
    adopted = np.zeros(matrix.shape[0], dtype=bool)
    adopted[np.asarray(initial, dtype=np.int64)] = True
    curve = [int(adopted.sum())]
    while True:
        new = ~adopted & (degree > 0) & (matrix @ adopted.astype(np.int32) >= needed)
        if not new.any():
            return CascadeResult(np.flatnonzero(adopted), len(curve) - 1, np.array(curve))
        adopted |= new
        curve.append(int(adopted.sum()))


@dataclass(frozen=True)
class CascadeCase:
    """One seeded threshold-cascade problem: a graph, thresholds and initial adopters."""

    graph: nx.Graph
    thresholds: np.ndarray
    initial: np.ndarray


def cascade_case(regime: str, size: int, seed: int, mean_degree: int = 10) -> CascadeCase:
    """A seeded cascade problem on an Erdos-Renyi graph (mean degree ``mean_degree``).

    Thresholds are rounded to 2 decimals, so that many equal a neighbour share k / d exactly and
    ``>=`` against ``>`` (and float rounding) would show. 2% of people, at random, adopt first.

    - ``"full"``: thresholds uniform in [0.05, 0.35]: a global cascade that takes (nearly)
      everyone (Watts 2002: enough people need only one adopting neighbour in ~10).
    - ``"partial"``: the same, but 35% of people are resistant (threshold 0.9: nearly all their
      neighbours must adopt first), a mixed population as in Granovetter (1978): the cascade
      runs through the susceptible and stops part-way, at about two thirds of the market.
    """
    rng = np.random.default_rng(seed)
    graph = nx.fast_gnp_random_graph(size, mean_degree / (size - 1), seed=int(rng.integers(2**31)))
    thresholds = np.round(rng.uniform(0.05, 0.35, size), 2)
    if regime == "partial":
        thresholds = np.where(rng.random(size) < 0.35, 0.9, thresholds)
    elif regime != "full":
        raise ValueError(f"unknown regime {regime!r}: 'full' or 'partial'")
    initial = rng.choice(size, size=round(0.02 * size), replace=False)
    return CascadeCase(graph, thresholds, initial)
