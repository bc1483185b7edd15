"""Time our engine against NDlib on the same threshold cascade: prints one JSON line of figures.

    python benchmarks/vs_ndlib.py --customers 10000
    python benchmarks/vs_ndlib.py --customers 100000 --seed 2 --graph watts_strogatz

Builds one seeded graph (Erdos-Renyi by default, mean degree ~10), per-person thresholds uniform
in [--low, --high] rounded to --decimals (so that many equal a neighbour share exactly) and a
random --initial share of adopters, then runs the cascade to the end in NDlib's
``ThresholdModel`` and in our engine set up as a pure threshold cascade (:mod:`sim.validation`),
side by side in this process. Exits 1 if the final adopters differ, or (stricter) if the two took
a different number of rounds. Needs NDlib: the ``bench`` or ``test`` extra (``pip install -e '.[bench]'``).

Figures: customers, graph, edges, initial_adopters, final_adopters, iterations (NDlib rounds in
which somebody adopted), engine_weeks (the same count in our engine: must equal iterations),
identical, differences (people adopted by one and not the other), same_rounds, ndlib_seconds and
engine_seconds (the cascade rounds only: no graph building, model set-up or configuration, and
after an untimed warm-up cascade on 2,000 nodes), speed_ratio (ndlib_seconds / engine_seconds),
ndlib_version. Not a test: the machine is shared, so compare figures measured side by side in one
session.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from importlib.metadata import version

import networkx as nx
import numpy as np

from sim.validation import cascade_market, ndlib_model, ndlib_run_to_end, run_to_end


def build_graph(kind: str, size: int, mean_degree: int, seed: int) -> nx.Graph:
    """The shared graph, on nodes 0..size-1."""
    if kind == "watts_strogatz":
        return nx.watts_strogatz_graph(size, mean_degree, 0.1, seed=seed)
    return nx.fast_gnp_random_graph(size, mean_degree / (size - 1), seed=seed)


def warm_up() -> None:
    """A small global cascade in both, untimed: one-off costs (imports, caches, any compiled
    kernels of the engine) stay out of the timings."""
    rng = np.random.default_rng(0)
    graph = build_graph("erdos_renyi", 2000, 10, 0)
    thresholds = rng.uniform(0.05, 0.35, 2000)
    initial = rng.choice(2000, size=40, replace=False)
    ndlib_run_to_end(ndlib_model(graph, thresholds, initial))
    run_to_end(cascade_market(graph, thresholds, initial))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=10_000, help="market size (graph nodes)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--graph", choices=("erdos_renyi", "watts_strogatz"), default="erdos_renyi")
    parser.add_argument("--mean-degree", type=int, default=10)
    parser.add_argument("--low", type=float, default=0.05, help="lowest threshold (must be > 0)")
    parser.add_argument("--high", type=float, default=0.35, help="highest threshold")
    parser.add_argument("--initial", type=float, default=0.02, help="share of initial adopters")
    parser.add_argument(
        "--decimals",
        type=int,
        default=2,
        help="round thresholds to this many decimals, so many equal a neighbour share k/d exactly "
        "(where >= against > and float rounding decide); -1: no rounding",
    )
    args = parser.parse_args()

    rng = np.random.default_rng(args.seed)
    graph = build_graph(args.graph, args.customers, args.mean_degree, int(rng.integers(2**31)))
    thresholds = rng.uniform(args.low, args.high, args.customers)
    if args.decimals >= 0:
        thresholds = np.round(thresholds, args.decimals)
    initial = rng.choice(args.customers, size=round(args.initial * args.customers), replace=False)

    warm_up()
    model = ndlib_model(graph, thresholds, initial)
    started = time.perf_counter()
    theirs = ndlib_run_to_end(model)
    ndlib_seconds = time.perf_counter() - started

    market = cascade_market(graph, thresholds, initial, seed=args.seed)
    started = time.perf_counter()
    ours = run_to_end(market)
    engine_seconds = time.perf_counter() - started

    differences = int(np.setxor1d(theirs.adopters, ours.adopters).size)
    # The same synchronous rule must also take the same number of rounds: a rule that differs
    # only at ties (> for >=) can end on the same set by a different path.
    same_rounds = theirs.rounds == ours.rounds
    print(
        json.dumps(
            {
                "customers": args.customers,
                "graph": args.graph,
                "edges": graph.number_of_edges(),
                "initial_adopters": int(initial.size),
                "final_adopters": int(ours.adopters.size),
                "iterations": theirs.rounds,
                "engine_weeks": ours.rounds,
                "identical": differences == 0,
                "differences": differences,
                "same_rounds": same_rounds,
                "ndlib_seconds": round(ndlib_seconds, 3),
                "engine_seconds": round(engine_seconds, 3),
                "speed_ratio": round(ndlib_seconds / engine_seconds, 1),
                "ndlib_version": version("ndlib"),
            }
        )
    )
    if differences:
        print(
            f"final adopters differ: {differences} people (NDlib {theirs.adopters.size}, "
            f"engine {ours.adopters.size})",
            file=sys.stderr,
        )
    if not same_rounds:
        print(f"rounds differ: NDlib {theirs.rounds}, engine {ours.rounds}", file=sys.stderr)
    if differences or not same_rounds:
        sys.exit(1)


if __name__ == "__main__":
    main()
