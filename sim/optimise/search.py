"""The search of ``sim optimise``: the best use of a firm's budget, found with optuna.

Owns :func:`optimise`: the settings resolved (:mod:`sim.optimise.settings`), the references run
first (the built-in strategies and the file's own plan, on the search seeds in every market), the
search over the plan space (:mod:`sim.optimise.plan`; optuna's TPE, NSGA-II or random sampler,
seeded, asked in batches that run through the experiments executor, warm-started from the static
built-in splits so it never reports a plan worse than the best of them), each candidate's
feasibility under the outcome constraints (:class:`sim.design.Constraint`), the choice of the best
plan (single objective) or the Pareto plan nearest the ideal point, and its confirmation on fresh
seeds (:mod:`sim.optimise.scores`). It returns an :class:`sim.optimise.outputs.Optimisation`.

Example:
    >>> from sim import load_scenario
    >>> s = load_scenario("scenarios/conquest_vs_relations.toml", {"market.size": 300, "run.weeks": 8})
    >>> result = optimise(s, "us", {"trials": 4, "runs": 2, "confirm_runs": 2}, jobs=1)  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import math
import os
import sys
import time
import warnings
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from sim.design import Constraint, OptimiseConfig, outcome
from sim.execution import config_hash, seeds_for, shared_pool
from sim.manifest import Invocation
from sim.optimise.outputs import Optimisation
from sim.optimise.plan import Plan, plan_space
from sim.optimise.rivals import passive_rivals, reaction_counts, response_comparison, rival_responses
from sim.optimise.scores import Scores, confirmation, evaluate, market_scenarios, pareto_mask, robust_choices
from sim.optimise.settings import resolve_settings
from sim.scenario import Scenario
from sim.strategies.base import Strategy, resolve_strategy_class

REFERENCES = ("conquest", "relations", "balanced", "neglect", "adaptive")
# Built-in strategies whose split is fixed, so they are also points of the plan space: the search
# starts from them (a warm start), and so never reports a plan worse than the best of them.
STATIC_REFERENCES = ("conquest", "relations", "balanced", "neglect")
TRACE_METRICS = (
    "profit", "customer_equity", "total_value", "customers_end", "retention_yearly", "cac_fully_loaded",
    "ltv_net", "ltv_net_cac_fully_loaded",
)  # fmt: skip


def _sampler(settings: OptimiseConfig, seed: int) -> Any:
    """The seeded optuna sampler; constrained ones read each candidate's ``set_constraint`` values."""
    import optuna

    if settings.sampler == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    if settings.sampler == "nsga2":
        return optuna.samplers.NSGAIISampler(seed=seed, population_size=max(10, settings.batch))
    # Multivariate TPE models the lever weights jointly (they compete for one budget); the constant
    # liar keeps the candidates of one batch apart.
    return optuna.samplers.TPESampler(
        seed=seed, multivariate=True, constant_liar=True, n_startup_trials=max(8, settings.batch),
    )  # fmt: skip


def optimise(
    scenario: Scenario, firm: str | None = None, settings: Mapping[str, Any] | None = None, **execution: Any
) -> Optimisation:
    """Search ``firm``'s budget plan for the best objective(s) under the constraints.

    Args:
        scenario: a validated scenario (its ``[optimise]`` table, if any, gives the settings).
        firm: the firm whose plan is optimised (default: the table's, else the first firm).
        settings: settings replacing the table's: a dict of the fields of
            :class:`sim.design.OptimiseConfig` (``objectives``, ``decisions`` or the command line's
            ``levers``, ``shares`` and ``start_weeks``, ``constraints``, ``trials``, ``runs``, ...)
            or an ``OptimiseConfig``.
        **execution: ``out`` (run cache: a rerun resumes), ``jobs``, ``cluster``, ``progress`` as in
            :func:`sim.experiments.execute`.

    Example:
        >>> from sim import load_scenario
        >>> s = load_scenario("scenarios/conquest_vs_relations.toml", {"market.size": 300, "run.weeks": 8})
        >>> result = optimise(s, "us", {"trials": 4, "runs": 2, "confirm_runs": 2}, jobs=1)  # doctest: +SKIP
        >>> print(result.table()); result.write("results/cvr/optimise")  # doctest: +SKIP
    """
    invocation = Invocation.api("sim.optimise.optimise", firm=firm, settings=_plain(settings), **execution)
    with contextlib.ExitStack() as stack:
        result = _optimise(scenario, firm, settings, _workers(stack, execution))
    result.invocation = invocation
    return result


def _workers(stack: contextlib.ExitStack, execution: dict[str, Any]) -> dict[str, Any]:
    """Start the processes once for the whole search: a shared process pool, or one local Dask
    cluster whose address every batch then uses (``cluster="local"`` would start one per batch)."""
    cluster = execution.get("cluster")
    if cluster == "local":
        from dask.distributed import LocalCluster

        jobs = execution.get("jobs") or os.cpu_count() or 1
        local = stack.enter_context(
            LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True, dashboard_address=None)
        )
        return {**execution, "cluster": local.scheduler_address}
    if cluster is None:
        stack.enter_context(shared_pool(execution.get("jobs")))
    return execution


def _optimise(
    scenario: Scenario, firm: str | None, settings: Mapping[str, Any] | None, execution: dict[str, Any]
) -> Optimisation:
    import optuna

    started = time.perf_counter()
    given = dict(settings or {})
    if firm is not None:
        given["firm"] = firm
    settings_ = resolve_settings(scenario, given)
    firm = settings_.firm or scenario.firm_names[0]
    progress = bool(execution.pop("progress", False))
    seed = scenario.run.seed if settings_.seed is None else settings_.seed
    objectives = list(settings_.objectives)
    metrics = list(dict.fromkeys([*objectives, *settings_.constraints, *TRACE_METRICS]))
    space = plan_space(scenario, settings_, firm)
    base = scenario.without_experiments()
    markets = market_scenarios(settings_.uncertainty_list(), settings_.market_scenarios, seed)
    constraints = [Constraint.of(metric, bounds) for metric, bounds in settings_.constraints.items()]
    robust = len(markets) > 1
    how = settings_.robust if robust else "mean"
    q = settings_.downside
    seeds = seeds_for(scenario, settings_.runs, seed)

    def score_row(scores: Scores) -> dict[str, Any]:
        row: dict[str, Any] = {}
        for metric in metrics:
            row[f"mean_{metric}"] = scores.mean(metric)
            row[f"downside_{metric}"] = scores.downside(metric, q)
        for metric in objectives:
            row[metric] = scores.score(metric, how, q)
        return row

    def report(text: str) -> None:
        if progress:
            print(f"optimise: {text}", file=sys.stderr)

    # The references first: the built-in strategies and the firm's plan as in the file.
    reference_arms = {name: {f"firms.{firm}.strategy": name} for name in REFERENCES}
    reference_arms["file"] = {}
    starts: dict[str, dict[str, float]] = {}
    if _is_static(base, firm):  # the file's own fixed split (or its strategy's default one)
        config = base.firms[firm]
        starts["file"] = dict(resolve_strategy_class(config.strategy)(config.split, **config.params).split)
    for name in STATIC_REFERENCES:
        starts[name] = dict(resolve_strategy_class(name).default_split)

    def search(world: Scenario, tag: str) -> _Search:
        """The references and the search in ``world`` (the rivals as given, or passive)."""

        def note(text: str) -> None:
            report(f"{tag}{text}")

        note(f"{len(reference_arms)} reference strategies x {len(markets)} market(s) x {len(seeds)} seeds")
        reference_scores = evaluate(reference_arms, world, markets, seeds, firm, metrics, execution)
        references = pd.DataFrame(
            [{"strategy": name, **score_row(s)} for name, s in reference_scores.items()]
        )
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            study = optuna.create_study(
                directions=[outcome(m).sense for m in objectives],
                sampler=_sampler(settings_, seed),
            )
        warm: list[tuple[str, dict[str, Any]]] = []
        for name, split in starts.items():
            params = space.parameters_of(split)
            if params is not None and params not in [p for _, p in warm]:
                study.enqueue_trial(params)
                warm.append((name, params))
        rows: list[dict[str, Any]] = []
        plans: list[Plan] = []
        while len(rows) < settings_.trials:
            count = min(settings_.batch, settings_.trials - len(rows))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
                asked = [study.ask() for _ in range(count)]
                batch_plans = [space.suggest(trial) for trial in asked]
            arms = {f"trial-{t.number}": p.overrides(firm) for t, p in zip(asked, batch_plans, strict=True)}
            scores = evaluate(arms, world, markets, seeds, firm, metrics, execution)
            for trial, plan in zip(asked, batch_plans, strict=True):
                row = score_row(scores[f"trial-{trial.number}"])
                values = [row[m] for m in objectives]
                violations = [c.violation(row_value(row, c.outcome, how)) for c in constraints]
                for constraint, violation in zip(constraints, violations, strict=True):
                    trial.set_constraint(constraint.outcome, violation)
                origin = next((name for name, p in warm if p == trial.params), "sampler")
                record = {
                    "trial": trial.number,
                    "batch": len(rows) // max(settings_.batch, 1),
                    "origin": origin,
                }
                record.update({f"share_{k}": plan.shares.get(k, 0.0) for k in space.levers})
                record["unspent"] = plan.unspent
                record["budget"] = plan.budget
                record.update({f"start_{k}": w for k, w in plan.starts.items()})
                if plan.price is not None:
                    record["price"] = plan.price
                record.update(row)
                record["feasible"] = all(v <= 0 for v in violations) and all(math.isfinite(v) for v in values)
                rows.append(record)
                plans.append(plan)
                if all(math.isfinite(v) for v in values):
                    study.tell(trial, values)
                else:  # an undefined objective (e.g. a CAC without acquisitions) cannot be ranked
                    study.tell(trial, state=optuna.trial.TrialState.FAIL)
            feasible = [r for r in rows if r["feasible"]]
            if feasible and len(objectives) == 1:
                best_row = _best_single(feasible, objectives[0])
                note(
                    f"{len(rows)} of {settings_.trials} candidates, best {objectives[0]} {best_row[objectives[0]]:,.4g}"
                )
            else:
                note(f"{len(rows)} of {settings_.trials} candidates, {len(feasible)} feasible")
        trace = pd.DataFrame(rows)
        feasible_rows = trace[trace["feasible"]]
        front = np.zeros(len(trace), dtype=bool)
        if len(feasible_rows):
            front[feasible_rows.index] = pareto_mask(
                feasible_rows[objectives].to_numpy(dtype=float), minimise
            )
        trace["pareto"] = front
        index = _choose(trace, objectives, minimise)
        return _Search(trace, plans, references, index, plans[index] if index is not None else None)

    minimise = [outcome(m).lower_is_better for m in objectives]
    rivals = rival_responses(base, firm) if settings_.rivals_respond else {}
    aware_tag = "response-aware search: " if rivals else ""
    found = search(base, aware_tag)
    naive = search(passive_rivals(base, firm), "naive search (rivals passive): ") if rivals else None
    trace, plans, references, best_index, best = found
    front = trace["pareto"].to_numpy(dtype=bool)

    info: dict[str, Any] = {
        "scenario": scenario.name,
        "source": scenario.source,
        "firm": firm,
        "objectives": {m: outcome(m).sense for m in objectives},
        "settings": settings_.model_dump(mode="json"),
        "sampler": settings_.sampler,
        "seeds": seeds,
        "markets": markets,
        "scored_on": how if robust else "mean (one market)",
        "downside": "worst market" if q == 0 else f"{q:g}-quantile of the markets",
        "levers": list(space.levers),
        **(
            {"price": {"range": list(space.price_range), "from_week": space.price_from, "own": space.price}}
            if space.price_range is not None
            else {}
        ),
        "trials": len(trace),
        "feasible": int(trace["feasible"].sum()),
        "hash": config_hash(base),
        "references_search": references.to_dict(orient="records"),
    }
    if rivals:
        info["rivals_respond"] = rivals
    plan_scenario = None
    if best is not None:
        plan_scenario = base.with_overrides(best.overrides(firm))
        info["best"] = _chosen(trace, best_index, best, objectives)
        if len(objectives) > 1:
            info["pareto_front"] = [
                {
                    "trial": int(trace.loc[i, "trial"]),
                    "plan": plans[i].to_dict(),
                    **{m: float(trace.loc[i, m]) for m in objectives},
                }
                for i in np.flatnonzero(front)
            ]
        if robust:
            info["robust"] = robust_choices(trace, plans, objectives[0], q)
        confirm_seeds = seeds_for(scenario, settings_.confirm_runs, seed + settings_.runs)
        arms = {"best": best.overrides(firm)}
        if naive is not None and naive.best is not None:
            arms["naive"] = naive.best.overrides(firm)
        arms.update(reference_arms)
        report(
            f"confirming the best plan{' and the naive plan' if 'naive' in arms else ''} against "
            f"{len(reference_arms)} references on {len(confirm_seeds)} fresh seeds x {len(markets)} market(s)"
        )
        confirmed = evaluate(arms, base, markets, confirm_seeds, firm, metrics, execution)
        info["confirmation"] = confirmation(confirmed, objectives, how, q, confirm_seeds, seed)
        if naive is not None and naive.best is not None:
            report("both plans against passive rivals on the same fresh seeds")
            pair = {label: arms[label] for label in ("best", "naive")}
            unanswered = evaluate(
                pair, passive_rivals(base, firm), markets, confirm_seeds, firm, metrics, execution
            )
            plans_ = {
                "aware": {
                    **_chosen(trace, best_index, best, objectives),
                    "searched_against": "responsive rivals",
                },
                "naive": {
                    **_chosen(naive.trace, naive.index, naive.best, objectives),
                    "searched_against": "passive rivals",
                },
            }
            info["response_comparison"] = response_comparison(
                info["confirmation"],
                confirmation(unanswered, objectives, how, q, confirm_seeds, seed),
                {
                    "aware": reaction_counts(confirmed["best"], base, firm),
                    "naive": reaction_counts(confirmed["naive"], base, firm),
                },
                rivals,
                plans_,
            )
    else:
        info["best"] = None
        info["note"] = "no candidate met the constraints; relax them or search longer. " + _closest(
            trace, constraints, how
        )
    naive_result = None
    if naive is not None:
        info["naive"] = {
            "searched_against": "passive rivals (every rival's response removed)",
            "trials": len(naive.trace),
            "feasible": int(naive.trace["feasible"].sum()),
            "best": _chosen(naive.trace, naive.index, naive.best, objectives)
            if naive.best is not None
            else None,
            "references_search": naive.references.to_dict(orient="records"),
        }
        if naive.best is None:
            info["naive"]["note"] = "no candidate met the constraints against passive rivals"
        naive_result = naive
    info["seconds"] = round(time.perf_counter() - started, 1)
    return Optimisation(
        best,
        plan_scenario,
        info,
        trace,
        references,
        naive_trace=naive_result.trace if naive_result is not None else None,
        naive_scenario=(
            base.with_overrides(naive_result.best.overrides(firm))
            if naive_result is not None and naive_result.best is not None
            else None
        ),
    )


class _Search(NamedTuple):
    """One search's outcome: every candidate, its plans, the references, the chosen index and plan."""

    trace: pd.DataFrame
    plans: list[Plan]
    references: pd.DataFrame
    index: int | None
    best: Plan | None


def _chosen(
    trace: pd.DataFrame, index: int | None, plan: Plan | None, objectives: list[str]
) -> dict[str, Any]:
    """What ``optimisation.json`` records of a chosen plan: its trial, origin, plan and search scores."""
    assert index is not None and plan is not None, "a chosen plan has an index"
    return {
        "trial": int(trace.loc[index, "trial"]),
        "origin": trace.loc[index, "origin"],
        "plan": plan.to_dict(),
        "search": {m: float(trace.loc[index, m]) for m in objectives},
    }


def _closest(trace: pd.DataFrame, constraints: Sequence[Constraint], how: str) -> str:
    """Per constrained outcome, the best value any candidate reached, to show how far off it is."""
    parts = []
    for bound in constraints:
        metric = bound.outcome
        values = trace[f"{how}_{metric}"].dropna()
        if values.empty:
            parts.append(f"{metric} was undefined for every candidate")
            continue
        wanted = []
        if bound.min is not None:
            wanted.append(f">= {bound.min:g}")
        if bound.max is not None:
            wanted.append(f"<= {bound.max:g}")
        best = values.max() if bound.min is not None else values.min()
        parts.append(
            f"{metric} ({how}): the candidates reached {best:.4g}, the constraint asks {' and '.join(wanted)}"
        )
    return "; ".join(parts)


def row_value(row: Mapping[str, Any], metric: str, how: str) -> float:
    """A candidate's score of ``metric`` as the search judges it (downside or mean)."""
    return float(row[f"{how}_{metric}"])


def _is_static(scenario: Scenario, firm: str) -> bool:
    cls = resolve_strategy_class(scenario.firms[firm].strategy)
    return cls.allocate is Strategy.allocate and not scenario.firms[firm].params


def _best_single(rows: Sequence[Mapping[str, Any]], metric: str) -> Mapping[str, Any]:
    best = rows[0]
    for row in rows[1:]:
        if outcome(metric).better(row[metric], best[metric]):
            best = row
    return best


def _choose(trace: pd.DataFrame, objectives: list[str], minimise: list[bool]) -> int | None:
    """The best feasible candidate; with several objectives the Pareto plan nearest the ideal
    point once each objective is scaled to [0, 1] over the front (the first one on a tie)."""
    front = trace[trace["pareto"]]
    if front.empty:
        return None
    if len(objectives) == 1:
        values = front[objectives[0]].to_numpy(dtype=float)
        position = int(np.argmin(values) if minimise[0] else np.argmax(values))
        return int(front.index[position])
    values = front[objectives].to_numpy(dtype=float)
    signed = np.where(minimise, -values, values)
    span = np.ptp(signed, axis=0)
    scaled = (signed - signed.min(axis=0)) / np.where(span > 0, span, 1.0)
    return int(front.index[int(np.argmin(np.linalg.norm(1.0 - scaled, axis=1)))])


def _plain(settings: Mapping[str, Any] | OptimiseConfig | None) -> Any:
    """The settings as plain data, for the manifest's record of the call."""
    if isinstance(settings, OptimiseConfig):
        return settings.model_dump(mode="json", exclude_none=True)
    return settings
