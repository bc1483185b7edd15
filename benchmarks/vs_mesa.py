"""Our engine against an idiomatic per-agent Mesa model of the same rule: same curves, how much faster.

    python benchmarks/vs_mesa.py --customers 10000 --weeks 52
    python benchmarks/vs_mesa.py --customers 100000 --weeks 52 --seeds 3 --engine-seeds 10

The rule (single firm, Watts-Strogatz network, synchronous weeks): a prospect adopts with
probability 1 - exp(-(p + q x share of neighbours who are customers)); a customer churns with
probability 1 - exp(-h) and is a prospect again. The Mesa side is benchmarks/mesa_reference.py
(one ``mesa.Agent`` per person). ``--mesa-space network``, the default, is the idiomatic form: agents
on the cells of a ``mesa.discrete_space.Network``, finding friends through
``cell.neighborhood.agents``, as Mesa's own network example (``virus_on_network``) does.
``--mesa-space lists`` is a hand-tuned variant that keeps each agent's neighbours in a Python
list, about twice as fast; report both. Our side is :class:`sim.CustomerMarket` with every other
behaviour switched off or made neutral (:func:`engine_scenario` says why each setting is needed).

The two are run alternately in this process, seed by seed (Mesa on ``--seeds`` seeds, ours on
``--engine-seeds``). The curves (customers / N, week 0..W) agree if at every week
|mean difference| <= 4 x its standard error + ``--floor``, the standard error coming from the
spread between seeds (pooled over both models: under the hypothesis that they are the same model
they have the same variance). Exits 1 if they do not agree.

Prints one JSON line: customers, weeks, mesa_seconds and engine_seconds (median over runs of the
weekly steps only), mesa_setup_seconds and engine_setup_seconds (network, agents, initial state),
mesa_customer_steps_per_s, engine_customer_steps_per_s, speed_ratio (ours over Mesa's),
curves_agree, max_gap_in_se (largest |mean difference| / standard error over the weeks),
max_abs_gap, final shares and the parameters. Not a test: the machine is shared, so the timings
are only comparable with each other (measured side by side here).
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
import time

import mesa
import numpy as np
from mesa_reference import DiffusionModel

from sim import CustomerMarket, Scenario


def engine_scenario(args: argparse.Namespace) -> Scenario:
    """Our model reduced to the Mesa rule. Every other behaviour is off or exactly neutral."""
    return Scenario(
        run={"name": "vs_mesa", "weeks": args.weeks},
        market={"size": args.customers},
        network={"type": "watts_strogatz", "mean_degree": args.mean_degree, "rewire": args.rewire},
        personas={"everyone": {}},  # traits only matter to behaviours switched off below
        # One firm, no budget, spends nothing: no lever ever writes an effect.
        firms={"solo": {"initial_share": args.initial_share, "budget": 0.0, "strategy": "neglect"}},
        behaviours={
            "adoption": {
                "innovation": args.p,
                "word_of_mouth": args.q,
                "bandwagon_jump": 0.0,
                "penetration_weight": 0.0,
                "social_proof_weight": 0.0,  # attraction exp(a) = 1 (also so with one firm)
                "price_weight": 0.0,
                "awareness_required": False,  # no awareness gate
                "forget_rate": 0.0,
                "rejoin_lockout_weeks": 0,  # a churner may come back the next week
            },
            "buying_cycle": {"enabled": False},  # no stage weight on the hazard
            "referral": {"enabled": False},
            "purchase": {"enabled": False},  # no tier reviews (their downgrades touch appreciation)
            "experience": {"enabled": False},
            "dormancy": {"enabled": False},
            "partial_churn": {"enabled": False},
            # Appreciation is 0 for everyone, always (initial customers get initial x uniform,
            # adopters get initial), so the unappreciated hazard is the constant
            # unappreciated_rate x clip((tolerance - 0) / tolerance, 0, 1) = h.
            "appreciation": {"enabled": False, "initial": 0.0},
            "churn": {
                "died": False,
                "moved": False,
                "follow_friend_rate": 0.0,
                "better_value_rate": 0.0,  # with one firm it is 0 anyway
                "value_noise": 0.0,  # only feeds better value
                "dissatisfied_rate": 0.0,
                "unappreciated_rate": args.h,
                "appreciation_tolerance": 0.5,
                "belonging": 0.0,
                "referrer_tie": 0.0,
            },
        },
    )


def run_mesa(args: argparse.Namespace, seed: int) -> tuple[np.ndarray, float, float]:
    """One Mesa run: (customers / N per week 0..W, setup seconds, weekly-step seconds)."""
    started = time.perf_counter()
    model = DiffusionModel(
        args.customers,
        p=args.p,
        q=args.q,
        h=args.h,
        mean_degree=args.mean_degree,
        rewire=args.rewire,
        initial_share=args.initial_share,
        seed=seed,
        space=args.mesa_space,
    )
    built = time.perf_counter()
    for _ in range(args.weeks):
        model.step()
    finished = time.perf_counter()
    curve = model.datacollector.get_model_vars_dataframe()["customers"].to_numpy() / args.customers
    del model
    gc.collect()  # 100k agents hold reference cycles: free them outside the timed part
    return curve, built - started, finished - built


def run_engine(scenario: Scenario, args: argparse.Namespace, seed: int) -> tuple[np.ndarray, float, float]:
    """One run of our engine: (customers / N per week 0..W, setup seconds, weekly-step seconds)."""
    started = time.perf_counter()
    market = CustomerMarket(scenario, seed=seed)
    built = time.perf_counter()
    for _ in range(args.weeks):
        market.step()
    finished = time.perf_counter()
    curve = market.recorder.customers[: args.weeks + 1, 0] / args.customers
    return curve, built - started, finished - built


def compare(mesa_curves: np.ndarray, engine_curves: np.ndarray, floor: float) -> dict:
    """Week-by-week test of equal mean curves, with a pooled between-seed variance."""
    n_mesa, n_engine = len(mesa_curves), len(engine_curves)
    difference = mesa_curves.mean(axis=0) - engine_curves.mean(axis=0)
    squares = ((mesa_curves - mesa_curves.mean(axis=0)) ** 2).sum(axis=0) + (
        (engine_curves - engine_curves.mean(axis=0)) ** 2
    ).sum(axis=0)
    pooled = squares / (n_mesa + n_engine - 2)
    se = np.sqrt(pooled * (1 / n_mesa + 1 / n_engine))
    gap_in_se = np.abs(difference) / np.maximum(se, 1e-12)
    agree = np.abs(difference) <= 4 * se + floor
    return {
        "curves_agree": bool(agree.all()),
        "max_gap_in_se": round(float(gap_in_se.max()), 2),
        "max_abs_gap": round(float(np.abs(difference).max()), 5),
        "worst_week": int(np.argmax(gap_in_se)),
        "failing_weeks": np.flatnonzero(~agree).tolist(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=100_000, help="market size (people)")
    parser.add_argument("--weeks", type=int, default=52)
    parser.add_argument("--seeds", type=int, default=3, help="Mesa runs (seeds 1..S)")
    parser.add_argument("--engine-seeds", type=int, default=10, help="runs of our engine")
    parser.add_argument("--p", type=float, default=0.003, help="innovation hazard per week")
    parser.add_argument("--q", type=float, default=0.1, help="word-of-mouth hazard per week")
    parser.add_argument("--h", type=float, default=0.01, help="churn hazard per week")
    parser.add_argument("--mean-degree", type=int, default=10)
    parser.add_argument("--rewire", type=float, default=0.1)
    parser.add_argument("--initial-share", type=float, default=0.01)
    parser.add_argument(
        "--mesa-space",
        choices=("network", "lists"),
        default="network",
        help="how Mesa agents find friends: network (idiomatic: Mesa's discrete space) or lists (hand-tuned)",
    )
    parser.add_argument("--floor", type=float, default=0.002, help="tolerance added to 4 SE (share)")
    args = parser.parse_args()
    if args.seeds < 1 or args.engine_seeds < 1 or args.seeds + args.engine_seeds < 3:
        parser.error("need at least one run of each and three in all (to measure the spread)")

    scenario = engine_scenario(args)
    mesa_runs, engine_runs = [], []
    for index in range(max(args.seeds, args.engine_seeds)):
        seed = index + 1
        if index < args.seeds:
            mesa_runs.append(run_mesa(args, seed))
        if index < args.engine_seeds:
            engine_runs.append(run_engine(scenario, args, seed))

    mesa_seconds = statistics.median(run[2] for run in mesa_runs)
    engine_seconds = statistics.median(run[2] for run in engine_runs)
    steps = args.customers * args.weeks
    mesa_curves = np.array([run[0] for run in mesa_runs])
    engine_curves = np.array([run[0] for run in engine_runs])
    verdict = compare(mesa_curves, engine_curves, args.floor)
    figures = {
        "customers": args.customers,
        "weeks": args.weeks,
        "mesa_seconds": round(mesa_seconds, 3),
        "engine_seconds": round(engine_seconds, 3),
        "mesa_setup_seconds": round(statistics.median(run[1] for run in mesa_runs), 3),
        "engine_setup_seconds": round(statistics.median(run[1] for run in engine_runs), 3),
        "mesa_customer_steps_per_s": round(steps / mesa_seconds),
        "engine_customer_steps_per_s": round(steps / engine_seconds),
        "speed_ratio": round(mesa_seconds / engine_seconds, 1),
        "curves_agree": verdict["curves_agree"],
        "max_gap_in_se": verdict["max_gap_in_se"],
        "max_abs_gap": verdict["max_abs_gap"],
        "worst_week": verdict["worst_week"],
        "final_share_mesa": round(float(mesa_curves[:, -1].mean()), 4),
        "final_share_engine": round(float(engine_curves[:, -1].mean()), 4),
        "mesa_runs": len(mesa_runs),
        "engine_runs": len(engine_runs),
        "mesa_version": mesa.__version__,
        "mesa_space": args.mesa_space,
        "p": args.p,
        "q": args.q,
        "h": args.h,
        "mean_degree": args.mean_degree,
        "rewire": args.rewire,
        "initial_share": args.initial_share,
    }
    print(json.dumps(figures))
    if not verdict["curves_agree"]:
        print(
            f"curves disagree at weeks {verdict['failing_weeks']} "
            f"(tolerance 4 SE + {args.floor}); worst week {verdict['worst_week']}",
            file=sys.stderr,
        )
        sys.exit(1)


if __name__ == "__main__":
    main()
