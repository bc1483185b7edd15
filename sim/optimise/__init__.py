"""Strategy planning: the best use of a firm's budget across levers, robust to what the market does.

The workflow of ``sim optimise``, one module each: the plan space (:mod:`~sim.optimise.plan`: a
share of the weekly budget per lever, optionally the budget itself, the week each chosen lever
starts and the price from a week on; the firm's decisions), the settings (:mod:`~sim.optimise.settings`), the search with
optuna (:mod:`~sim.optimise.search`: TPE, NSGA-II or random; seeded, asked in batches that run
through the experiments executor in this process, a process pool or on Dask), the scores across
the market scenarios a plan must hold up in and the confirmation of the best plan against the
built-in strategies on fresh seeds (:mod:`~sim.optimise.scores`), and the result with its table,
figures and files (:mod:`~sim.optimise.outputs`: ``optimisation.json``, the trace, ``best.toml``).
Every public name is here, so ``sim.optimise.optimise`` and ``sim.optimise:BudgetPlan`` work.

How the guarantees are kept:

- **Budget and per-lever bounds by construction.** The sampler proposes one weight in [0, 1] per
  lever (and one for "unspent" unless the whole budget must be spent); :func:`fill_shares` turns
  them into shares that start at each lever's minimum and share out the rest in proportion to
  the weights, never past a lever's maximum (water-filling). Every candidate, so the reported
  plan too, satisfies ``min <= share <= max`` and ``sum(shares) <= 1`` (``= 1`` with ``spend_all``).
- **Outcome constraints by feasibility.** A floor or ceiling on an outcome (``retention_yearly >=
  0.8``, ``cac <= 150``: a :class:`sim.design.Constraint`) is checked on the candidate's score; violations go to optuna's
  ``constraints_func`` and an infeasible candidate is never reported as the best plan.
- **Paired comparisons.** Every candidate and every reference strategy runs on the same seeds
  (common random numbers) in every market scenario, so two candidates differ only by their plan.
  The best plan is then re-run with the built-in strategies on *fresh* seeds, so its reported
  objective and its paired improvements are not flattered by having been picked on the search
  seeds (the winner's curse).
- **Resume and reproducibility.** The sampler is seeded and candidates are told in a fixed order,
  so a rerun asks the same candidates; their runs come from the run cache under ``out`` and only
  the missing ones are computed. The result does not depend on ``jobs`` or where runs execute.

Scores: for each market scenario, the mean of the metric over the seeds; across market
scenarios, the ``mean`` and the ``downside`` (the worst market, or the lower ``q``-quantile for a
metric where higher is better, the upper one where lower is better). The search optimises the
downside (``robust = "downside"``, the default) or the mean; with one market they are the same.

Example:
    >>> fill_shares({"search_ads": 1.0, "loyalty_rewards": 1.0}, {"search_ads": (0.0, 0.3)}, spend_all=True)
    {'search_ads': 0.3, 'loyalty_rewards': 0.7}
    >>> result = optimise(scenario, "us", {"objectives": ["profit"], "trials": 8})  # doctest: +SKIP
    >>> print(result.table()); result.write("results/cvr/optimise")  # doctest: +SKIP
"""

from sim.optimise.outputs import (
    LABELS,
    Optimisation,
    format_optimisation,
    pareto_front_figure,
    response_figure,
    response_lines,
    robustness_figure,
    search_figure,
    write_optimisation,
)
from sim.optimise.plan import PLAN_STRATEGY, BudgetPlan, Plan, PlanSpace, fill_shares, plan_space
from sim.optimise.rivals import (
    passive_rivals,
    reaction_counts,
    response_comparison,
    rival_responses,
    verdict,
)
from sim.optimise.scores import (
    Scores,
    confirmation,
    downside_of,
    evaluate,
    market_scenarios,
    pareto_mask,
    robust_choices,
)
from sim.optimise.search import REFERENCES, STATIC_REFERENCES, TRACE_METRICS, optimise, row_value
from sim.optimise.settings import (
    OPTIONS,
    check_metrics,
    check_settings,
    resolve_settings,
    settings_from_options,
)

__all__ = [
    "LABELS",
    "OPTIONS",
    "PLAN_STRATEGY",
    "REFERENCES",
    "STATIC_REFERENCES",
    "TRACE_METRICS",
    "BudgetPlan",
    "Optimisation",
    "Plan",
    "PlanSpace",
    "Scores",
    "check_metrics",
    "check_settings",
    "confirmation",
    "downside_of",
    "evaluate",
    "fill_shares",
    "format_optimisation",
    "market_scenarios",
    "optimise",
    "pareto_front_figure",
    "pareto_mask",
    "passive_rivals",
    "plan_space",
    "reaction_counts",
    "resolve_settings",
    "response_comparison",
    "response_figure",
    "response_lines",
    "rival_responses",
    "robust_choices",
    "robustness_figure",
    "row_value",
    "search_figure",
    "settings_from_options",
    "verdict",
    "write_optimisation",
]
