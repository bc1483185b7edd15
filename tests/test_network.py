"""Referral networks: every type builds a symmetric, loop-free adjacency with the right degree."""

import numpy as np
import pytest

from sim.network import ReferralNetwork, adjacency_from_edges, build_network
from sim.scenario import (
    BarabasiAlbert,
    Complete,
    EdgeList,
    ErdosRenyi,
    PowerlawCluster,
    ScenarioError,
    WattsStrogatz,
)

N = 3000


@pytest.mark.parametrize(
    ("config", "expected_mean_degree", "tolerance"),
    [
        # Rewiring may create a few duplicate ties, which are dropped: the mean sits just below k.
        (WattsStrogatz(mean_degree=10, rewire=0.1), 10.0, 0.05),
        (BarabasiAlbert(type="barabasi_albert", attach=4), 8.0, 0.05),
        # Erdos-Renyi degree: binomial mean 6; the sample mean of 3000 nodes is within 2%.
        (ErdosRenyi(type="erdos_renyi", mean_degree=6), 6.0, 0.03),
        (PowerlawCluster(type="powerlaw_cluster", attach=3, triangle=0.5), 6.0, 0.05),
    ],
)
def test_network_types_have_the_expected_mean_degree(config, expected_mean_degree, tolerance):
    network = build_network(config, N, seed=1)
    adjacency = network.adjacency
    assert (adjacency != adjacency.T).nnz == 0, f"expected a symmetric adjacency for {config.type}"
    assert adjacency.diagonal().sum() == 0, f"expected no self-loops for {config.type}"
    assert adjacency.max() == 1, f"expected no duplicate ties for {config.type}"
    mean = network.degree.mean()
    assert abs(mean - expected_mean_degree) / expected_mean_degree < tolerance, (
        f"expected mean degree near {expected_mean_degree} for {config.type}, got {mean:.3f}"
    )


def test_barabasi_albert_has_hubs_and_watts_strogatz_does_not():
    ba = build_network(BarabasiAlbert(type="barabasi_albert", attach=4), N, seed=1)
    ws = build_network(WattsStrogatz(mean_degree=8, rewire=0.1), N, seed=1)
    assert ba.degree.max() > 5 * ba.degree.mean(), "expected preferential attachment to create hubs"
    assert ws.degree.max() < 2 * ws.degree.mean(), "expected a small world without hubs"


def test_same_seed_same_network_and_different_seed_different_network():
    config = WattsStrogatz(mean_degree=6, rewire=0.3)
    a, b, c = (build_network(config, 500, seed=s) for s in (1, 1, 2))
    assert (a.adjacency != b.adjacency).nnz == 0, "expected the same seed to give the same ties"
    assert (a.adjacency != c.adjacency).nnz > 0, "expected another seed to give other ties"


def test_neighbour_share_on_a_small_graph():
    # A path 0-1-2-3: person 1's friends are 0 and 2.
    network = ReferralNetwork(4, adjacency_from_edges(4, np.array([0, 1, 2]), np.array([1, 2, 3])))
    members = np.array([[1, 0], [0, 0], [0, 1], [0, 1]], dtype=np.float32)
    share = network.neighbour_share(members)
    assert share[1].tolist() == [0.5, 0.5], f"expected person 1 to see half of each group, got {share[1]}"
    assert share[3].tolist() == [0.0, 1.0], f"expected person 3 to see only group 1, got {share[3]}"


def test_complete_network_is_mean_field():
    network = build_network(Complete(type="complete"), 101, seed=1)
    members = np.zeros((101, 1), dtype=np.float32)
    members[:10] = 1
    share = network.neighbour_share(members)[:, 0]
    assert np.isclose(share[50], 10 / 100), "expected a non-member to see 10 members among 100 others"
    assert np.isclose(share[0], 9 / 100), "expected a member to see the 9 other members"


def test_random_neighbour_is_a_neighbour():
    network = build_network(WattsStrogatz(mean_degree=6, rewire=0.2), 400, seed=3)
    slots = np.arange(400)
    chosen = network.random_neighbour(slots, np.random.default_rng(0).random(400))
    assert all(network.adjacency[i, j] == 1 for i, j in zip(slots, chosen, strict=True)), (
        "expected every chosen friend to be a neighbour"
    )


def test_edge_list_file(tmp_path):
    path = tmp_path / "edges.txt"
    path.write_text("# a triangle and a lone tie\n0 1\n1 2\n2 0\n3 4\n")
    network = build_network(EdgeList(type="edge_list", path=str(path)), 6, seed=1)
    assert network.degree.tolist() == [2, 2, 2, 1, 1, 0], f"unexpected degrees {network.degree.tolist()}"


def test_edge_list_with_an_unknown_person_is_a_clear_error(tmp_path):
    path = tmp_path / "edges.txt"
    path.write_text("0 1\n1 7\n")
    with pytest.raises(ScenarioError, match=r"line 2 names person \[1, 7\]; ids must be in 0\.\.4"):
        build_network(EdgeList(type="edge_list", path=str(path)), 5, seed=1)


@pytest.mark.parametrize(
    ("config", "generate"),
    [
        (BarabasiAlbert(type="barabasi_albert", attach=4), "barabasi_albert_graph"),
        (PowerlawCluster(type="powerlaw_cluster", attach=3, triangle=0.5), "powerlaw_cluster_graph"),
    ],
)
def test_compiled_growth_models_keep_the_networkx_degree_distribution(config, generate):
    """Our compiled Barabasi-Albert and powerlaw-cluster generators against networkx's, pooled
    over seeds 1-10 at 5,000 people. Measured: degree quantiles 50/90/99% 5/13/46 for both
    (Barabasi-Albert), 4/10/35 for both (powerlaw-cluster); two-sample KS statistic 0.003
    (p 0.99) and 0.009 (p 0.04) on 50,000 degrees each. The KS bound 0.02 is twice the larger."""
    import networkx as nx
    from scipy import stats

    args = (
        (5000, config.attach)
        if generate == "barabasi_albert_graph"
        else (5000, config.attach, config.triangle)
    )
    ours = np.concatenate([build_network(config, 5000, seed=s).degree for s in range(1, 11)])
    theirs = np.concatenate(
        [[d for _, d in getattr(nx, generate)(*args, seed=s).degree()] for s in range(1, 11)]
    )
    for q in (0.5, 0.9, 0.99):
        a, b = np.quantile(ours, q), np.quantile(theirs, q)
        assert abs(a - b) <= max(1, 0.1 * b), (
            f"expected the {q:.0%} degree quantile near networkx's {b}, got {a}"
        )
    statistic = stats.ks_2samp(ours, theirs).statistic
    assert statistic < 0.02, f"expected the degree distributions to agree (KS < 0.02), got {statistic:.4f}"


def test_running_neighbour_counts_equal_a_recount_after_changes():
    """NeighbourCounts updates from who changed group; after several rounds of random changes
    its shares must equal a full recount (the sparse product) exactly."""
    from sim.network import NeighbourCounts

    network = build_network(WattsStrogatz(mean_degree=6, rewire=0.3), N, seed=3)
    counts = NeighbourCounts(network, groups=3)
    rng = np.random.default_rng(3)
    code = np.full(N, -1, dtype=np.int8)
    for _ in range(5):
        change = rng.choice(N, 300, replace=False)
        code[change] = rng.integers(-1, 3, change.size)
        members = np.flatnonzero(code >= 0)
        one_hot = np.zeros((N, 3), dtype=np.float32)
        one_hot[members, code[members]] = 1
        np.testing.assert_array_equal(
            counts.shares(code),
            network.neighbour_share(one_hot),
            "expected the running counts to give the same shares as a recount",
        )


def test_counting_sort_csr_matches_the_sorted_codes_csr():
    # Ties with repeats (both directions), self-loops and two hubs (rows longer than the
    # insertion-sort cut of 32): the counting sort must give the structure of the sorted codes.
    from sim.network.generators import csr_from_edges, csr_from_sorted_codes

    rng = np.random.default_rng(5)
    size = 400
    a = rng.integers(0, size, 3000)
    b = rng.integers(0, size, 3000)
    a = np.concatenate([a, b[:200], np.zeros(150, dtype=np.int64), np.arange(50)])
    b = np.concatenate([b, a[:200], rng.integers(0, size, 150), np.arange(50)])
    keep = a != b
    low, high = np.minimum(a[keep], b[keep]), np.maximum(a[keep], b[keep])
    forward = np.unique(low * size + high)
    backward = np.sort((forward % size) * size + forward // size)
    expected_indptr, expected_indices = csr_from_sorted_codes(size, forward, backward)
    indptr, indices = csr_from_edges(size, a, b)
    assert np.diff(indptr).max() > 32, (
        f"expected a hub above the insertion-sort cut, got {np.diff(indptr).max()}"
    )
    assert np.array_equal(indptr, expected_indptr), "expected the same row starts as the sorted codes give"
    assert np.array_equal(indices, expected_indices), "expected the same sorted, distinct neighbours per row"
