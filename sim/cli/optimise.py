"""``sim optimise``: the best split of a firm's budget over its levers (:func:`sim.optimise`).

Every option replaces the scenario's ``[optimise]`` value (docs/optimise.md).

Example:
    >>> COMMAND.name
    'optimise'
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from sim.cli.options import Command, add_experiment_options, execution, out_folder

if TYPE_CHECKING:
    from sim.scenario import Scenario


def _arguments(optimise: argparse.ArgumentParser) -> None:
    optimise.add_argument("scenario", metavar="SCENARIO", help="scenario file (TOML)")
    add = optimise.add_argument
    add(
        "--objective",
        dest="objectives",
        action="append",
        metavar="METRIC",
        help="profit, customer_equity, ltv_cac, customers_end, cac, retention_yearly, ... (a per-firm "
        "metric; its direction is known); repeat for a Pareto front of 2-3 (default profit)",
    )
    add(
        "--lever",
        dest="levers",
        action="append",
        metavar="NAME",
        help="a lever the plan may use; repeatable (default: every lever)",
    )
    add(
        "--share",
        dest="shares",
        action="append",
        metavar="LEVER=MIN:MAX",
        help="bounds on a lever's share of the budget, e.g. search_ads=0.1:0.5 (MIN or MAX may be empty)",
    )
    add(
        "--spend-all",
        action="store_true",
        default=None,
        help="shares must sum to 1 (default: part of the budget may stay unspent)",
    )
    add("--budget", metavar="LOW:HIGH", help="let the search choose the weekly budget in this range")
    add(
        "--price",
        metavar="LOW:HIGH",
        help="let the search choose the firm's price (to the cent) in this range, charged from --price-from "
        "on as the firm's price_path (its cost per purchase is kept); e.g. --price 28:40",
    )
    add(
        "--price-from",
        type=int,
        metavar="WEEK",
        help="the week the chosen price starts; before it the list price (default: the week of the firm's "
        "first price_path point, else 1)",
    )
    add(
        "--start-week",
        dest="start_weeks",
        action="append",
        metavar="LEVER=EARLIEST:LATEST",
        help="let the search choose when a lever starts, e.g. referral_programme=0:52",
    )
    add(
        "--constraint",
        dest="constraints",
        action="append",
        metavar="METRIC>=X or METRIC<=X",
        help="a floor or ceiling on an outcome, e.g. retention_yearly>=0.8 or cac<=150; repeatable",
    )
    add(
        "--uncertainty",
        dest="uncertainties",
        action="append",
        metavar="KEY=LOW:HIGH or KEY=A,B",
        help="what the market may do: a range or a list for a dotted key, e.g. "
        "behaviours.adoption.word_of_mouth=0.005:0.02 or firms.rival.strategy=relations,conquest",
    )
    add("--market-scenarios", type=int, metavar="N", help="markets sampled when a range is given (default 8)")
    add("--downside", type=float, metavar="Q", help="0: the worst market (default); Q: the Q-quantile")
    add("--robust", choices=["downside", "mean"], help="what the search optimises across markets")
    add("--trials", type=int, metavar="N", help="candidate plans (default 60)")
    add("--runs", type=int, metavar="R", help="seeds per candidate (default 6)")
    add(
        "--confirm-runs",
        type=int,
        metavar="R",
        help="fresh seeds for the best plan vs the built-ins (default 10)",
    )
    add("--batch", type=int, metavar="B", help="candidates asked at a time (default 4)")
    add("--sampler", choices=["tpe", "nsga2", "random"], help="optuna sampler (default tpe)")
    add(
        "--rivals-respond",
        action="store_true",
        default=None,
        help="also find the naive plan (rivals passive) and score both plans with the rivals' responses "
        "running ([firms.NAME.response]); reports which wins against the responding rivals",
    )
    add(
        "--rival-response",
        dest="rival_responses",
        action="append",
        metavar="NAME=PERSONALITY",
        help="what-if: give rival NAME this response personality (passive, price_matcher, retaliator, "
        "defender, aggressor or pkg.module:Class), as --set firms.NAME.response.personality=PERSONALITY; "
        "repeatable",
    )
    add_experiment_options(optimise, "firm whose plan is optimised", "optimise")  # fmt: skip


def with_rival_responses(scenario: Scenario, given: list[str], firm: str | None) -> Scenario:
    """``scenario`` with each ``--rival-response NAME=PERSONALITY`` written in as the override
    ``firms.NAME.response.personality``; a name that is not a rival of the optimised firm, or an
    unknown personality, is refused naming the option.

    Example:
        >>> from sim import load_scenario
        >>> s = load_scenario("scenarios/conquest_vs_relations.toml")
        >>> with_rival_responses(s, ["rival=retaliator"], "us").firms["rival"].response.personality
        'retaliator'
    """
    from sim.scenario import ScenarioError

    optimised = (
        firm or (scenario.optimise.firm if scenario.optimise is not None else None) or scenario.firm_names[0]
    )
    rivals = [name for name in scenario.firms if name != optimised]
    for text in given:
        name, sep, personality = (part.strip() for part in text.partition("="))
        if not sep or not name or not personality:
            raise ScenarioError(
                f"--rival-response {text!r}: expected NAME=PERSONALITY, e.g. --rival-response rival=price_matcher"
            )
        if name not in rivals:
            raise ScenarioError(
                f"--rival-response {text!r}: {name!r} is not a rival of the optimised firm {optimised!r}; "
                f"rivals: {', '.join(rivals) or 'none'}"
            )
        try:
            scenario = scenario.with_overrides({f"firms.{name}.response.personality": personality})
        except ScenarioError as error:
            raise ScenarioError(f"--rival-response {text!r}: {str(error).split(': ', 1)[-1]}") from None
    return scenario


def _run(args: argparse.Namespace, scenario: Scenario) -> int:
    from sim.optimise import format_optimisation, optimise, settings_from_options, write_optimisation

    scenario = with_rival_responses(scenario, args.rival_responses or [], args.firm)
    out = out_folder(args, scenario, "optimise")
    settings = settings_from_options(
        objectives=args.objectives, levers=args.levers, shares=args.shares, spend_all=args.spend_all,
        budget=args.budget, price=args.price, price_from=args.price_from, start_weeks=args.start_weeks, constraints=args.constraints,
        uncertainties=args.uncertainties, market_scenarios=args.market_scenarios, downside=args.downside,
        robust=args.robust, trials=args.trials, runs=args.runs, confirm_runs=args.confirm_runs,
        batch=args.batch, sampler=args.sampler, seed=args.seed, rivals_respond=args.rivals_respond,
    )  # fmt: skip
    result = optimise(scenario, args.firm, settings, **execution(args, out))
    write_optimisation(result, out, figures=not args.no_figures, invocation=args.invocation)
    if not args.quiet:
        print(format_optimisation(result))
        where = f"the best plan as a scenario in {out}/best.toml, " if result.scenario is not None else ""
        if result.naive_scenario is not None:
            where += f"the naive plan in {out}/naive_best.toml, "
        print(f"\n{result.info['seconds']:.1f} s; {where}the results in {out}/")
    return 0


COMMAND = Command(
    name="optimise",
    help="find the best split of a firm's budget over its levers, robust to the market",
    description=(
        "Search the firm's budget split over its levers (optionally the budget, when levers "
        "start and the price from a week on) with optuna, every candidate on the same R seeds, for the best objective (or the "
        "Pareto front of two or three) under constraints, optionally across market scenarios; then "
        "rerun the best plan and the built-in strategies on fresh seeds. Writes optimisation.json, "
        "trace.parquet, trace.csv, references.csv, best.toml (the scenario with the best plan) and "
        "figures/. With --rivals-respond it also finds the naive plan (every rival passive) and scores "
        "both plans, on the same fresh seeds, against the rivals' responses ([firms.NAME.response]): "
        "naive_best.toml, response_comparison.json/.csv, response_reactions.csv. Rerun the same "
        "command to resume. Settings: the scenario's [optimise] table, replaced by these options."
    ),
    arguments=_arguments,
    run=_run,
)
