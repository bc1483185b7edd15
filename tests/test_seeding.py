"""Chosen seeds: a firm's first customers and influencer seeding's targets, by id list, file, network
measure (degree, k-core, PageRank), persona or at random; and the checks that refuse a bad choice.

The measures are compared with networkx's ``core_number`` and ``pagerank``; the choices are read
back from markets built (not run) at 600 people.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from sim import CustomerMarket, load_scenario
from sim.cli import main
from sim.network import ReferralNetwork, adjacency_from_edges
from sim.network.measures import core_number, pagerank, ranking
from sim.scenario import ScenarioError

from .helpers import BASELINE

SIZE = 600
BASE = {"market.size": SIZE, "run.weeks": 4, "firms.us.initial_share": 0}


def market(**overrides) -> CustomerMarket:
    """A baseline market of SIZE people, built (week 0) with the dotted overrides (``__`` for ``.``)."""
    settings = {**BASE, **{key.replace("__", "."): value for key, value in overrides.items()}}
    return CustomerMarket(load_scenario(BASELINE, settings))


def initial(m: CustomerMarket, firm: int) -> np.ndarray:
    return np.flatnonzero(m.customers.firm == firm)


@pytest.fixture(scope="module")
def graph_and_network() -> tuple[nx.Graph, ReferralNetwork]:
    graph = nx.powerlaw_cluster_graph(400, 3, 0.4, seed=7)
    graph.add_nodes_from([400, 401])  # two people without ties (PageRank's dangling case)
    edges = np.array(graph.edges())
    return graph, ReferralNetwork(402, adjacency_from_edges(402, edges[:, 0], edges[:, 1]))


def test_core_numbers_and_pagerank_match_networkx(graph_and_network):
    graph, network = graph_and_network
    expected_core = np.array([nx.core_number(graph)[i] for i in range(402)])
    got_core = core_number(network)
    assert np.array_equal(got_core, expected_core), (
        f"expected networkx's core numbers, differ at {np.flatnonzero(got_core != expected_core)[:5]}"
    )
    expected_rank = np.array([nx.pagerank(graph, tol=1e-13)[i] for i in range(402)])
    gap = np.abs(pagerank(network) - expected_rank).max()
    # Both iterate to a 1e-10 L1 change or tighter: the scores agree to far below that.
    assert gap < 1e-9, f"expected networkx's PageRank within 1e-9, largest gap {gap:.3g}"


def test_rankings_put_the_best_first_and_break_ties_by_slot(graph_and_network):
    _, network = graph_and_network
    for name, values in (("degree", network.degree), ("kcore", core_number(network))):
        order = ranking(network, name)
        ranked = values[order]
        assert (np.diff(ranked) <= 0).all(), f"expected {name} not to rise down the ranking"
        for value in np.unique(ranked):
            slots = order[ranked == value]
            assert (np.diff(slots) > 0).all(), (
                f"expected equal {name} ({value}) in slot order, got {slots[:6]}"
            )


@pytest.fixture(scope="module")
def baseline_market() -> CustomerMarket:
    return CustomerMarket(load_scenario(BASELINE, {"market.size": SIZE, "run.weeks": 4}))


@pytest.fixture(scope="module")
def unseeded_market() -> CustomerMarket:
    return market()


def test_random_seeds_with_a_share_are_todays_draw_bit_for_bit(baseline_market):
    share = load_scenario(BASELINE).firms["us"].initial_share
    chosen = market(firms__us__seeds__by="random", firms__us__seeds__share=share)
    assert np.array_equal(chosen.customers.firm, baseline_market.customers.firm), (
        'expected by = "random" with share = initial_share to seed exactly the people initial_share does'
    )


@pytest.mark.parametrize("measure", ["degree", "kcore", "pagerank"])
def test_a_measure_seeds_the_top_people_and_the_rival_draws_among_the_rest(measure, unseeded_market):
    m = market(firms__us__seeds__by=measure, firms__us__seeds__count=25)
    seeded = initial(m, 0)
    top = m.seeding.ranking(measure)[:25]
    assert np.array_equal(np.sort(seeded), np.sort(top)), (
        f"expected the 25 best by {measure} seeded, got {np.setdiff1d(seeded, top).size} others"
    )
    rival = initial(m, 1)
    assert not np.isin(rival, seeded).any(), "expected no person seeded by both firms"
    # The rival keeps its random draw (us drawing no share) wherever us did not take the person first.
    before = initial(unseeded_market, 1)
    assert np.array_equal(rival, np.setdiff1d(before, seeded)), (
        "expected the rival's initial customers to be today's draw minus the people us was given"
    )


def test_two_firms_by_the_same_measure_take_turns_down_the_ranking():
    m = market(
        firms__us__seeds__by="degree",
        firms__us__seeds__count=10,
        firms__rival__initial_share=0,
        firms__rival__seeds__by="degree",
        firms__rival__seeds__share=0.02,
    )
    order = m.seeding.ranking("degree")
    assert np.array_equal(np.sort(initial(m, 0)), np.sort(order[:10])), "expected us to take the best 10"
    assert np.array_equal(np.sort(initial(m, 1)), np.sort(order[10:22])), (
        f"expected the rival to take the next round(0.02 x {SIZE}) = 12, got {initial(m, 1).size}"
    )


def test_persona_seeds_are_that_persona_only(tmp_path):
    m = market(
        firms__us__seeds__by="persona", firms__us__seeds__persona="enthusiast", firms__us__seeds__count=30
    )
    seeded = initial(m, 0)
    names = np.array(m.customers.persona_names)[m.customers.persona[seeded]]
    assert seeded.size == 30, f"expected 30 seeded, got {seeded.size}"
    assert set(names) == {"enthusiast"}, f"expected only enthusiasts, got {sorted(set(names))}"
    with pytest.raises(
        ScenarioError, match=r"firms\.us\.seeds\.count = 400: asks for 400 people, but only \d+"
    ):
        market(
            firms__rival__initial_share=0,
            firms__us__seeds__by="persona",
            firms__us__seeds__persona="enthusiast",
            firms__us__seeds__count=400,
        )


def test_ids_from_a_list_a_text_file_and_a_csv_column(tmp_path):
    listed = market(firms__us__seeds__by="ids", firms__us__seeds__ids=[5, 17, 599])
    assert initial(listed, 0).tolist() == [5, 17, 599], f"expected ids 5, 17, 599, got {initial(listed, 0)}"
    text = tmp_path / "seeds.txt"
    text.write_text("# chosen by hand\n8\n\n3\n")
    from_text = market(firms__us__seeds__by="file", firms__us__seeds__path=str(text))
    assert initial(from_text, 0).tolist() == [3, 8], f"expected ids 3 and 8, got {initial(from_text, 0)}"
    table = tmp_path / "seeds.csv"
    table.write_text("name,person\nann,40\nbob,2\n")
    from_csv = market(
        firms__us__seeds__by="file", firms__us__seeds__path=str(table), firms__us__seeds__column="person"
    )
    assert initial(from_csv, 0).tolist() == [2, 40], f"expected ids 2 and 40, got {initial(from_csv, 0)}"


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (
            {"firms.us.seeds.by": "ids", "firms.us.seeds.ids": [1, 600]},
            "firms.us.seeds.ids = [1, 600]: names person 600; ids must be in 0..599",
        ),
        ({"firms.us.seeds.by": "ids", "firms.us.seeds.ids": [4, 4]}, "names person 4 twice"),
        (
            {
                "firms.us.seeds.by": "ids",
                "firms.us.seeds.ids": [1, 2],
                "firms.rival.initial_share": 0,
                "firms.rival.seeds.by": "ids",
                "firms.rival.seeds.ids": [2],
            },
            "firms.rival.seeds.ids = [2]: person 2 is seeded by firm 'us' too",
        ),
        (
            {"firms.us.seeds.by": "degree", "firms.us.seeds.count": 601},
            "firms.us.seeds.count = 601: more people than the market holds; at most market.size = 600",
        ),
        ({"firms.us.seeds.by": "file", "firms.us.seeds.path": "missing.txt"}, "missing.txt': file not found"),
        (
            {"firms.us.seeds.by": "persona", "firms.us.seeds.persona": "pirate", "firms.us.seeds.count": 3},
            "firms.us.seeds.persona = 'pirate': no such persona; personas in this scenario: mainstream",
        ),
        ({"firms.us.seeds.by": "pagerank"}, 'by = "pagerank" needs exactly one of count'),
        (
            {"firms.us.initial_share": 0.1, "firms.us.seeds.by": "kcore", "firms.us.seeds.count": 3},
            "firms.us.initial_share = 0.1: the firm's initial customers are chosen by [firms.us.seeds]",
        ),
        (
            {"levers.influencer_seeding.target": "ids", "levers.influencer_seeding.ids": [-1]},
            "levers.influencer_seeding.ids",
        ),
    ],
)
def test_bad_seeds_are_refused_naming_file_key_value_and_what_is_allowed(overrides, expected):
    with pytest.raises(ScenarioError) as caught:
        load_scenario(BASELINE, {**BASE, **overrides})
    message = str(caught.value)
    assert message.startswith(f"{BASELINE}: "), (
        f"expected the message to start with the file, got {message!r}"
    )
    assert expected in message, f"expected {expected!r} in {message!r}"
    assert "\n" not in message, f"expected one line, got {message!r}"


def test_the_cli_exits_2_on_bad_seeds_and_writes_nothing(tmp_path, capsys):
    out = tmp_path / "never"
    status = main(
        [
            "run",
            str(BASELINE),
            "--out",
            str(out),
            "--set",
            "firms.us.initial_share=0",
            "--set",
            "firms.us.seeds.by=ids",
            "--set",
            "firms.us.seeds.ids=[3, 99999]",
        ]
    )
    error = capsys.readouterr().err
    assert status == 2, f"expected exit status 2, got {status}"
    assert "firms.us.seeds.ids = [3, 99999]: names person 99999; ids must be in 0..9999" in error, error
    assert "Traceback" not in error and error.count("\n") == 1, f"expected one line, got {error!r}"
    assert not out.exists(), "expected nothing written for a refused scenario"


def test_influencer_pools_by_measure_random_and_list(unseeded_market):
    m = unseeded_market
    config = m.scenario.levers.influencer_seeding
    assert np.array_equal(
        m.influencer_pool(config), m.seeding.ranking("degree")[: round(config.pool * SIZE)]
    ), "expected the default pool to be the best-connected share, as before"
    by_rank = market(levers__influencer_seeding__target="pagerank", levers__influencer_seeding__pool=0.05)
    pool = by_rank.influencer_pool(by_rank.scenario.levers.influencer_seeding)
    assert np.array_equal(pool, by_rank.seeding.ranking("pagerank")[:30]), "expected the top 30 by PageRank"
    drawn = market(levers__influencer_seeding__target="random", levers__influencer_seeding__pool=0.05)
    config = drawn.scenario.levers.influencer_seeding
    first, again = drawn.influencer_pool(config), drawn.influencer_pool(config)
    assert first.size == 30 and np.unique(first).size == 30, f"expected 30 distinct people, got {first.size}"
    assert np.array_equal(first, again), "expected the random pool drawn once per replicate"
    assert not np.array_equal(np.sort(first), np.sort(pool)), "expected a random pool, not the PageRank top"
    listed = market(levers__influencer_seeding__target="ids", levers__influencer_seeding__ids=[9, 2, 7])
    got = listed.influencer_pool(listed.scenario.levers.influencer_seeding).tolist()
    assert got == [9, 2, 7], f"expected the listed people in the order given, got {got}"


def test_influencer_seeding_pays_the_chosen_pool_in_a_run():
    m = market(
        levers__influencer_seeding__target="ids",
        levers__influencer_seeding__ids=[11, 12, 13],
        firms__us__strategy="conquest",
        firms__us__budget=5000,
        firms__us__split="{influencer_seeding = 1.0}",
    )
    m.step()
    boosted = np.flatnonzero(m.effects.adoption_boost[:, 0, 2] > 0)
    assert set(boosted.tolist()) <= {11, 12, 13} and boosted.size > 0, (
        f"expected only the listed people 11, 12, 13 to be paid influencers, got {boosted.tolist()}"
    )


def test_a_scaled_market_divides_a_seed_count_and_refuses_lists():
    from sim.scenario.scaling import simulated_scenario

    # No budgets: a lever bought in whole units would warn that the simulated market affords none.
    scaled = {"market.size": 4 * SIZE, "market.simulated": SIZE, "firms.us.initial_share": 0}
    scaled |= {"firms.us.budget": 0, "firms.rival.budget": 0}
    real = load_scenario(BASELINE, {**scaled, "firms.us.seeds.by": "kcore", "firms.us.seeds.count": 100})
    count = simulated_scenario(real).firms["us"].seeds.count
    assert count == 25, f"expected 100 real people / scale 4 = 25 simulated seeds, got {count}"
    with pytest.raises(ScenarioError, match=r"firms\.us\.seeds\.by = 'ids': a list names people"):
        load_scenario(BASELINE, {**scaled, "firms.us.seeds.by": "ids", "firms.us.seeds.ids": [1]})
