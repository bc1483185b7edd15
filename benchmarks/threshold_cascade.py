"""Our engine as a pure threshold cascade on a given graph: the rule NDlib's ThresholdModel runs.

Owns configuring a :class:`~sim.CustomerMarket` as a deterministic Granovetter/Watts threshold
cascade on a given undirected graph, with given per-person thresholds and initial adopters, and
running it to the end (:func:`engine_cascade`); the same cascade in NDlib (:func:`ndlib_cascade`,
needs the optional ``bench`` dependencies) and in a few lines of integer NumPy
(:func:`reference_cascade`), so benchmarks and validation tests can compare the three.

The rule, read from NDlib 6.0.1's ``ThresholdModel.iteration``: rounds are synchronous (every
person looks at the adopters of the previous round); a non-adopter with ``d > 0`` neighbours of
whom ``k`` adopted adopts when ``float(k) / d >= threshold`` (float64 division); a person without
neighbours never adopts; nobody un-adopts. NDlib's first ``iteration()`` only reports the initial
state.

Our engine's rule (step 3, ``bandwagon_jump * [share >= threshold and share > 0]``) compares a
float32 share with a float32 threshold. :func:`engine_thresholds` turns each NDlib threshold into
the smallest adopting count ``k*`` (computed with NDlib's own float64 comparison) and gives the
engine the threshold ``(k* - 0.5) / d``, halfway between two attainable shares, so float32
rounding cannot change the outcome.

Example:
    >>> import networkx as nx, numpy as np
    >>> graph = nx.path_graph(5)
    >>> thresholds = np.full(5, 0.5)
    >>> engine_cascade(graph, thresholds, [0]).adopters.tolist()
    [0, 1, 2, 3, 4]
    >>> reference_cascade(graph, thresholds, [0]).adopters.tolist()
    [0, 1, 2, 3, 4]
"""

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
    """

    adopters: np.ndarray
    rounds: int


def _check_graph(graph: nx.Graph) -> int:
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
    size = _check_graph(graph)
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
            "behaviours": {
                "adoption": {
                    "innovation": 0.0,
                    "word_of_mouth": 0.0,
                    "bandwagon_jump": JUMP,
                    "penetration_weight": 0.0,
                    "social_proof_weight": 0.0,
                    "price_weight": 0.0,
                    "awareness_required": False,
                    "forget_rate": 0.0,
                },
                "referral": {"enabled": False},
                "purchase": {"enabled": False},
                "experience": {"enabled": False},
                "appreciation": {"enabled": False},
                "churn": {"enabled": False},
                "partial_churn": {"enabled": False},
                "dormancy": {"enabled": False},
                "buying_cycle": {"enabled": False},
            },
        }
    )


def write_edge_list(graph: nx.Graph, path: str | Path) -> Path:
    """Write ``graph``'s ties in our ``edge_list`` network format: one ``a b`` pair per line."""
    _check_graph(graph)
    edges = np.asarray(list(graph.edges()), dtype=np.int64).reshape(-1, 2)
    path = Path(path)
    np.savetxt(path, edges, fmt="%d", header="threshold cascade: one undirected tie per line")
    return path


def cascade_market(
    graph: nx.Graph, thresholds: np.ndarray, initial: np.ndarray, seed: int = 1
) -> CustomerMarket:
    """Our engine, set up as NDlib's threshold cascade on ``graph``, before its first week.

    The graph goes in through an ``edge_list`` network file (checked to give the same
    adjacency); each person's ``bandwagon_threshold`` is replaced by :func:`engine_thresholds`;
    the ``initial`` node ids join the single firm at week 0.

    Args:
        graph: simple undirected graph on nodes 0..n-1.
        thresholds: NDlib threshold of each node, in node order (all > 0).
        initial: node ids of the initial adopters.
        seed: the market's replicate seed (it cannot change the outcome: adoption is certain).
    """
    size = _check_graph(graph)
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
    rounds = 0
    while True:
        if market.week >= market.scenario.run.weeks:
            raise RuntimeError(f"the cascade had not settled after {market.week} weeks")
        market.step()
        now = int(np.count_nonzero(market.customers.firm >= 0))
        if now == customers:
            break
        customers = now
        rounds += 1
    return CascadeResult(np.flatnonzero(market.customers.firm >= 0), rounds)


def engine_cascade(
    graph: nx.Graph, thresholds: np.ndarray, initial: np.ndarray, seed: int = 1
) -> CascadeResult:
    """Run our engine as NDlib's threshold cascade on ``graph`` to the end (see
    :func:`cascade_market` for the arguments)."""
    return run_to_end(cascade_market(graph, thresholds, initial, seed))


def ndlib_model(graph: nx.Graph, thresholds: np.ndarray, initial: np.ndarray):
    """NDlib's ``ThresholdModel`` on ``graph`` with per-node thresholds and initial adopters."""
    import ndlib.models.ModelConfig as mc
    from ndlib.models.epidemics import ThresholdModel

    _check_graph(graph)
    model = ThresholdModel(graph)
    config = mc.Configuration()
    for node, threshold in enumerate(np.asarray(thresholds, dtype=np.float64).tolist()):
        config.add_node_configuration("threshold", node, threshold)
    config.add_model_initial_configuration("Infected", np.unique(initial).tolist())
    model.set_initial_status(config)
    return model


def ndlib_run_to_end(model) -> CascadeResult:
    """Iterate an NDlib threshold model until an iteration infects nobody; the final adopters."""
    model.iteration(node_status=False)  # iteration 0 only reports the initial state
    rounds = 0
    while model.iteration(node_status=False)["status_delta"][1] > 0:
        rounds += 1
    infected = [node for node, status in model.status.items() if status == 1]
    return CascadeResult(np.sort(np.asarray(infected, dtype=np.int64)), rounds)


def ndlib_cascade(graph: nx.Graph, thresholds: np.ndarray, initial: np.ndarray) -> CascadeResult:
    """Run NDlib's ``ThresholdModel`` to the end (needs ``pip install -e '.[bench]'``)."""
    return ndlib_run_to_end(ndlib_model(graph, thresholds, initial))


def reference_cascade(graph: nx.Graph, thresholds: np.ndarray, initial: np.ndarray) -> CascadeResult:
    """NDlib's rule in integer NumPy: synchronous rounds, adopt when adopting count >= k*."""
    matrix = adjacency(graph)
    degree = np.diff(matrix.indptr)
    needed = adopting_count(thresholds, degree)
    adopted = np.zeros(matrix.shape[0], dtype=bool)
    adopted[np.asarray(initial, dtype=np.int64)] = True
    rounds = 0
    while True:
        new = ~adopted & (degree > 0) & (matrix @ adopted.astype(np.int32) >= needed)
        if not new.any():
            return CascadeResult(np.flatnonzero(adopted), rounds)
        adopted |= new
        rounds += 1
