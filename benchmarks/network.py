"""Network construction at scale: how long each network type takes to build, straight to arrays,
and how long each seeding measure takes on it.

    python benchmarks/network.py --customers 1000000 --seeds 3

Builds each network type of the scenario schema (Watts-Strogatz, Erdos-Renyi, Barabasi-Albert,
powerlaw-cluster, random regular, configuration model with Poisson or power-law degrees, stochastic
block model over the default personas; mean degree about 10) with
:func:`sim.network.build_network`, once per seed, and prints one JSON line: customers, and per
type the median seconds over the seeds (wall clock, and CPU seconds of this process: on a shared
machine the wall clock measures the other users too), each run's seconds, the number of ties and
the mean degree; with ``--measures``, the seconds each seeding measure (degree ranking, k-core, PageRank:
:mod:`sim.network.measures`) takes on the last network built of each type. The degree
distributions are checked against networkx's generators in tests/test_network.py and
tests/test_research_networks.py (at sizes networkx can build); this script only times. Target
(issue [performance]): at most 10 s per network at 1,000,000 people.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import numpy as np

from sim.network import build_network
from sim.network.measures import MEASURES, ranking
from sim.scenario import (
    BarabasiAlbert,
    Configuration,
    DegreeDistribution,
    ErdosRenyi,
    PowerlawCluster,
    RandomRegular,
    StochasticBlock,
    WattsStrogatz,
    default_personas,
)

NETWORKS = {
    "watts_strogatz": WattsStrogatz(mean_degree=10, rewire=0.1),
    "erdos_renyi": ErdosRenyi(type="erdos_renyi", mean_degree=10.0),
    "barabasi_albert": BarabasiAlbert(type="barabasi_albert", attach=5),
    "powerlaw_cluster": PowerlawCluster(type="powerlaw_cluster", attach=5, triangle=0.3),
    "random_regular": RandomRegular(type="random_regular", degree=10),
    "configuration_poisson": Configuration(
        type="configuration", degrees=DegreeDistribution(dist="poisson", mean=10), multi_ties="rewire"
    ),
    "configuration_powerlaw": Configuration(
        type="configuration", degrees=DegreeDistribution(dist="powerlaw", exponent=2.5, min=5)
    ),
    "sbm": StochasticBlock(type="sbm", mean_degree=10.0, homophily=0.8),
}


def persona_codes(size: int) -> np.ndarray:
    """Persona codes in the default personas' shares (a block model's blocks)."""
    shares = np.array([p.share for p in default_personas().values()])
    return np.searchsorted(
        np.cumsum(shares / shares.sum()), np.random.default_rng(0).random(size), side="right"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=1_000_000, help="people in the network")
    parser.add_argument("--seeds", type=int, default=3, help="builds per type (seeds 1..S)")
    parser.add_argument("--types", nargs="*", default=list(NETWORKS), choices=list(NETWORKS))
    parser.add_argument("--measures", action="store_true", help="also time degree, k-core and PageRank")
    args = parser.parse_args()

    for name in NETWORKS:  # compile the kernels outside the timing
        small = build_network(NETWORKS[name], 1000, 1, persona=persona_codes(1000))
    for name in MEASURES:
        ranking(small, name)
    persona = persona_codes(args.customers)
    figures: dict = {"customers": args.customers}
    for name in args.types:
        seconds, cpu, network = [], [], None
        for seed in range(1, args.seeds + 1):
            network = None  # free the previous one first: peak memory stays one network
            started, used = time.perf_counter(), time.process_time()
            network = build_network(NETWORKS[name], args.customers, seed, persona=persona)
            seconds.append(time.perf_counter() - started)
            cpu.append(time.process_time() - used)
        figures[name] = {
            "seconds": round(statistics.median(seconds), 3),
            "cpu_seconds": round(statistics.median(cpu), 3),
            "runs": [round(s, 3) for s in seconds],
            "ties": int(network.edges),
            "mean_degree": round(float(network.degree.mean()), 3),
        }
        if args.measures:
            for measure in MEASURES:  # the ranking a seeding rule uses: the measure, then a sort
                started, used = time.perf_counter(), time.process_time()
                ranking(network, measure)
                figures[name][f"{measure}_seconds"] = round(time.perf_counter() - started, 3)
                figures[name][f"{measure}_cpu_seconds"] = round(time.process_time() - used, 3)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
