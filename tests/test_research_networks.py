"""The research networks (random regular, configuration model, stochastic block model by persona)
against networkx's generators at small sizes, and their checks.

Each comparison draws SEEDS graphs from our generator and from networkx's, computes a statistic of
each graph, and accepts when the two means differ by less than 4 standard errors of the difference,
the errors measured from the seeds' own spread (a false alarm about 1 in 16,000 per statistic).
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from sim import CustomerMarket, load_scenario
from sim.network import ReferralNetwork, adjacency_from_edges, build_network
from sim.network.research import configuration_edges, degree_sequence
from sim.scenario import Configuration, DegreeDistribution, RandomRegular, ScenarioError, StochasticBlock
from sim.scenario.networks import block_probabilities

from .helpers import BASELINE

SEEDS = 12


def same_mean(ours: list[float], theirs: list[float], what: str) -> None:
    """Assert the means agree within 4 standard errors of their difference (from the spread)."""
    ours_a, theirs_a = np.asarray(ours, dtype=float), np.asarray(theirs, dtype=float)
    error = np.sqrt(ours_a.var(ddof=1) / ours_a.size + theirs_a.var(ddof=1) / theirs_a.size)
    gap = abs(ours_a.mean() - theirs_a.mean())
    assert gap <= 4 * error + 1e-12, (
        f"expected {what} to match networkx's: ours {ours_a.mean():.4g}, networkx {theirs_a.mean():.4g}, "
        f"gap {gap:.3g} > 4 standard errors ({4 * error:.3g})"
    )


def graph_of(network) -> nx.Graph:
    return nx.from_scipy_sparse_array(network.adjacency)


def test_random_regular_has_exact_degrees_and_networkx_triangles():
    size, degree = 200, 4
    ours, theirs = [], []
    for seed in range(1, SEEDS + 1):
        network = build_network(RandomRegular(type="random_regular", degree=degree), size, seed)
        assert (network.degree == degree).all(), (
            f"expected every degree {degree}, got {np.unique(network.degree)}"
        )
        ours.append(sum(nx.triangles(graph_of(network)).values()) / 3)
        theirs.append(sum(nx.triangles(nx.random_regular_graph(degree, size, seed=seed)).values()) / 3)
    same_mean(ours, theirs, f"the number of triangles of a random {degree}-regular graph")


@pytest.fixture(scope="module")
def heavy_degrees() -> np.ndarray:
    config = Configuration(
        type="configuration", degrees=DegreeDistribution(dist="powerlaw", exponent=2.2, min=2, max=60)
    )
    return degree_sequence(config, 300, np.random.default_rng(3))


def test_erased_configuration_model_matches_networkx(heavy_degrees):
    size = heavy_degrees.size
    stats: dict[str, tuple[list[float], list[float]]] = {
        "mean degree": ([], []),
        "people short": ([], []),
        "largest degree": ([], []),
    }
    for seed in range(1, SEEDS + 1):
        a, b = configuration_edges(heavy_degrees, "erase", np.random.default_rng(seed))
        ours = ReferralNetwork(size, adjacency_from_edges(size, a, b)).degree
        multigraph = nx.configuration_model(heavy_degrees.tolist(), seed=seed)
        graph = nx.Graph(multigraph)
        graph.remove_edges_from(nx.selfloop_edges(graph))
        theirs = np.array([graph.degree(i) for i in range(size)])
        for degrees, side in ((ours, 0), (theirs, 1)):
            stats["mean degree"][side].append(degrees.mean())
            stats["people short"][side].append(np.count_nonzero(degrees < heavy_degrees))
            stats["largest degree"][side].append(degrees.max())
    for what, (ours_values, theirs_values) in stats.items():
        same_mean(ours_values, theirs_values, f"the erased configuration model's {what}")
    assert np.mean(stats["people short"][0]) > 0, "expected erasing to lower some degrees at this density"


def test_rewired_configuration_model_keeps_every_degree(heavy_degrees):
    size = heavy_degrees.size
    for seed in range(1, 4):
        a, b = configuration_edges(heavy_degrees.copy(), "rewire", np.random.default_rng(seed))
        assert (a != b).all(), "expected no self-loop after rewiring"
        network = ReferralNetwork(size, adjacency_from_edges(size, a, b))
        assert network.edges == heavy_degrees.sum() // 2, "expected no repeated tie after rewiring"
        assert np.array_equal(network.degree, heavy_degrees), "expected every degree exactly as given"


def test_stochastic_block_model_matches_networkx():
    sizes = np.array([100, 150, 250])
    persona = np.repeat(np.arange(3), sizes)
    config = StochasticBlock(type="sbm", mean_degree=6.0, homophily=0.8)
    p_in, p_out = block_probabilities(sizes, 6.0, 0.8)
    matrix = np.where(np.eye(3, dtype=bool), p_in, p_out).tolist()
    names = ["block 0 mean degree", "block 1 mean degree", "block 2 mean degree", "degree sd", "within share"]
    stats = {name: ([], []) for name in names}
    for seed in range(1, SEEDS + 1):
        ours = build_network(config, int(sizes.sum()), seed, persona=persona)
        graph = nx.stochastic_block_model(sizes.tolist(), matrix, seed=seed)
        theirs = np.array([graph.degree(i) for i in range(int(sizes.sum()))])
        edges = np.array(graph.edges())
        a, b = ours.adjacency.nonzero()
        for side, degrees, within in (
            (0, ours.degree, np.mean(persona[a] == persona[b])),
            (1, theirs, np.mean(persona[edges[:, 0]] == persona[edges[:, 1]])),
        ):
            for block in range(3):
                stats[f"block {block} mean degree"][side].append(degrees[persona == block].mean())
            stats["degree sd"][side].append(degrees.std())
            stats["within share"][side].append(within)
    for what, (ours_values, theirs_values) in stats.items():
        same_mean(ours_values, theirs_values, f"the block model's {what}")
    assert abs(np.mean(stats["within share"][0]) - 0.8) < 0.03, "expected about 80% of ties within a persona"


def test_a_block_model_market_ties_people_by_their_own_persona():
    scenario = load_scenario(
        BASELINE,
        {
            "market.size": 1500,
            "run.weeks": 4,
            "network.type": "sbm",
            "network.mean_degree": 8,
            "network.homophily": 0.9,
        },
    )
    market = CustomerMarket(scenario)
    a, b = market.network.adjacency.nonzero()
    within = np.mean(market.customers.persona[a] == market.customers.persona[b])
    ties = a.size // 2
    # The within share of ~6,000 ties has a binomial spread of sqrt(0.9 x 0.1 / 6000) ~ 0.004.
    assert abs(within - 0.9) < 5 * np.sqrt(0.09 / ties), (
        f"expected 90% of ties within the market's own personas, got {within:.3f}"
    )
    unset = CustomerMarket(scenario.with_overrides({"network.homophily": None}))
    a, b = unset.network.adjacency.nonzero()
    shares = np.bincount(unset.customers.persona) / 1500
    blind = float(shares @ shares)
    within = np.mean(unset.customers.persona[a] == unset.customers.persona[b])
    assert abs(within - blind) < 5 * np.sqrt(blind * (1 - blind) / (a.size // 2)), (
        f"expected no homophily (within share {blind:.3f}) when unset, got {within:.3f}"
    )


def test_degree_distributions_draw_what_they_say():
    rng = np.random.default_rng(5)
    poisson = degree_sequence(
        Configuration(type="configuration", degrees=DegreeDistribution(dist="poisson", mean=7)), 20_000, rng
    )
    # Poisson(7) mean over 20,000 people: standard error sqrt(7 / 20000) ~ 0.019.
    assert abs(poisson.mean() - 7) < 0.1 and poisson.sum() % 2 == 0, (
        f"expected mean 7, got {poisson.mean():.3f}"
    )
    powerlaw = degree_sequence(
        Configuration(
            type="configuration", degrees=DegreeDistribution(dist="powerlaw", exponent=2.5, min=3, max=40)
        ),
        20_000,
        rng,
    )
    assert powerlaw.min() >= 3 and powerlaw.max() <= 41, (
        f"expected degrees in 3..40 (+1 for parity), got {powerlaw.min()}..{powerlaw.max()}"
    )
    support = np.arange(3, 41.0)
    expected = (support * support**-2.5).sum() / (support**-2.5).sum()
    assert abs(powerlaw.mean() - expected) < 0.15, f"expected mean {expected:.3f}, got {powerlaw.mean():.3f}"


@pytest.mark.parametrize(
    ("overrides", "lines", "expected"),
    [
        (
            {"network.type": "random_regular", "network.degree": 3},
            None,
            "network.degree = 3: degree x market.size (1001) must be even",
        ),
        (
            {"network.type": "configuration", "network.path": "degrees.txt"},
            "2\n2\n",
            "holds 2 degrees; one per person is needed (market.size = 1001)",
        ),
        (
            {"network.type": "configuration", "network.path": "degrees.txt"},
            "1\n" * 1001,
            "the degrees sum to 1001; the sum must be even",
        ),
        (
            {"network.type": "configuration", "network.path": "nowhere.txt"},
            None,
            "nowhere.txt': file not found",
        ),
        (
            {"network.type": "configuration"},
            None,
            "give the degrees either as a distribution (degrees) or a file (path)",
        ),
        (
            {"network.type": "sbm", "network.mean_degree": 900, "network.homophily": 1},
            None,
            "network.mean_degree = 900.0: with homophily 1",
        ),
    ],
)
def test_bad_research_networks_are_refused_in_one_line(tmp_path, overrides, lines, expected):
    if lines is not None:
        (tmp_path / "degrees.txt").write_text(lines)
        overrides = {**overrides, "network.path": str(tmp_path / "degrees.txt")}
    with pytest.raises(ScenarioError) as caught:
        load_scenario(BASELINE, {"market.size": 1001, **overrides})
    message = str(caught.value)
    assert message.startswith(f"{BASELINE}: ") and expected in message and "\n" not in message, (
        f"expected one line naming the file and {expected!r}, got {message!r}"
    )
