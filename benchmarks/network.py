"""Network construction at scale: how long each network type takes to build, straight to arrays.

    python benchmarks/network.py --customers 1000000 --seeds 3

Builds each network type of the scenario schema (Watts-Strogatz, Erdos-Renyi, Barabasi-Albert,
powerlaw-cluster; mean degree 10) with :func:`sim.network.build_network`, once per seed, and
prints one JSON line: customers, and per type the median seconds over the seeds, each run's
seconds, the number of ties and the mean degree. The degree distributions are checked against
networkx's generators in tests/test_network.py (at sizes networkx can build); this script only
times. Target (issue [performance]): at most 10 s per network at 1,000,000 people.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

from sim.network import build_network
from sim.scenario import BarabasiAlbert, ErdosRenyi, PowerlawCluster, WattsStrogatz

NETWORKS = {
    "watts_strogatz": WattsStrogatz(mean_degree=10, rewire=0.1),
    "erdos_renyi": ErdosRenyi(type="erdos_renyi", mean_degree=10.0),
    "barabasi_albert": BarabasiAlbert(type="barabasi_albert", attach=5),
    "powerlaw_cluster": PowerlawCluster(type="powerlaw_cluster", attach=5, triangle=0.3),
}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=1_000_000, help="people in the network")
    parser.add_argument("--seeds", type=int, default=3, help="builds per type (seeds 1..S)")
    parser.add_argument("--types", nargs="*", default=list(NETWORKS), choices=list(NETWORKS))
    args = parser.parse_args()

    build_network(NETWORKS["watts_strogatz"], 1000, 1)  # compile the kernels outside the timing
    build_network(NETWORKS["barabasi_albert"], 1000, 1)
    build_network(NETWORKS["powerlaw_cluster"], 1000, 1)
    figures: dict = {"customers": args.customers}
    for name in args.types:
        seconds, network = [], None
        for seed in range(1, args.seeds + 1):
            network = None  # free the previous one first: peak memory stays one network
            started = time.perf_counter()
            network = build_network(NETWORKS[name], args.customers, seed)
            seconds.append(time.perf_counter() - started)
        figures[name] = {
            "seconds": round(statistics.median(seconds), 3),
            "runs": [round(s, 3) for s in seconds],
            "ties": int(network.edges),
            "mean_degree": round(float(network.degree.mean()), 3),
        }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
