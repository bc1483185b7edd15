"""Iterated best response over optimisable plans: each firm in turn optimises its own plan against
the others' current ones, until no firm improves beyond the noise or a round limit.

Owns the loop of ``sim game --iterate``. Every firm starts from one of its game choices (the
``[game.iterate] start`` table, else its first). In each round every iterating firm runs the
optimiser (:func:`sim.optimise.optimise`, the search of ``sim optimise``, on the game's payoff)
with the other firms fixed at their current plans; the plan it finds is then set beside the
firm's current plan on the game's paired seeds, and adopted only if its paired gain's 95% interval
is clear of 0 (a search that found nothing better than the noise changes nothing). The loop stops
after a round in which no firm adopted a plan (no firm improves beyond the noise: an approximate
equilibrium in plans) or after ``rounds``. Every run goes through the run cache under ``out``, so
a killed loop resumes where it stopped (the optimiser's sampler is seeded: it asks the same
candidates again and finds their runs finished).

Example:
    >>> from sim import load_scenario
    >>> s = load_scenario("scenarios/conquest_vs_relations.toml", {"market.size": 300, "run.weeks": 8})
    >>> path = iterate(s, game, [1, 2, 3], jobs=1)  # doctest: +SKIP
    >>> path["converged"], [step["adopted"] for step in path["steps"]]  # doctest: +SKIP
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from sim.design import GameConfig, choice_overrides
from sim.execution import RunSpec, execute
from sim.scenario import Scenario
from sim.statistics import lower_is_better, mean_ci, paired_difference


def _payoffs(
    scenario: Scenario, firms: list[str], metric: str, seeds: list[int], execution: dict[str, Any]
) -> dict[str, list[float | None]]:
    """Each firm's ``metric`` per seed in ``scenario`` (through the run cache)."""
    results = execute([RunSpec("iterate", scenario, s) for s in seeds], keep_timeseries=False, **execution)
    return {
        firm: [None if r.summary["firms"][firm].get(metric) is None else float(r.summary["firms"][firm][metric])
               for r in results]
        for firm in firms
    }  # fmt: skip


def _stats(values: list[float | None]) -> dict[str, Any]:
    mean, interval = mean_ci(values)
    return {"mean": mean, "ci95": interval}


def iterate(
    scenario: Scenario,
    game: GameConfig,
    seeds: list[int],
    rounds: int | None = None,
    trials: int | None = None,
    progress: bool = False,
    **execution: Any,
) -> dict[str, Any]:
    """Iterated best response (see the module's docstring).

    Args:
        scenario: the scenario (its experiment tables are dropped from every run).
        game: the game; its ``iterate`` table gives the firms, their start choices, the round limit
            and the optimiser's settings (default ones when it has none).
        seeds: the game's paired seeds, on which each found plan is set beside the current one.
        rounds: the round limit (default the table's).
        trials: candidate plans per search (default the table's optimiser settings').
        progress: report each step on standard error.
        **execution: ``out``, ``jobs``, ``cluster`` as in :func:`sim.execution.execute`.

    Returns:
        ``{"firms", "start", "rounds", "rounds_run", "converged", "stopped", "steps", "final"}``:
        each step (``round``, ``firm``, ``plan``, ``payoff_before``/``payoff_after`` with 95% CIs,
        ``improvement`` with its CI, ``adopted``), and the final plans and payoffs.
    """
    from sim.optimise import optimise

    table = game.iterate
    if table is None:
        from sim.design import GameIterateConfig

        table = GameIterateConfig()
    metric = game.payoff
    limit = rounds or table.rounds
    movers = list(table.firms or game.players)
    base = scenario.without_experiments()
    folder = None if scenario.source is None else Path(scenario.source).parent
    start = {firm: table.start.get(firm, next(iter(game.choices[firm]))) for firm in game.players}
    current = {firm: choice_overrides(firm, game.choices[firm][start[firm]], folder) for firm in game.players}
    described = {firm: f"choice {start[firm]!r}" for firm in game.players}
    settings = table.settings().model_dump(mode="json", exclude_none=True)
    settings["objectives"] = [metric]
    if trials is not None:
        settings["trials"] = trials
    run_execution = {k: v for k, v in execution.items() if k != "progress"}
    sign = -1.0 if lower_is_better(metric) else 1.0

    def now_playing() -> Scenario:
        keys: dict[str, Any] = {}
        for firm in game.players:
            keys.update(current[firm])
        return base.with_overrides(keys)

    steps: list[dict[str, Any]] = []
    converged = False
    rounds_run = 0
    for round_ in range(1, limit + 1):
        rounds_run = round_
        adopted_any = False
        for firm in movers:
            playing = now_playing()
            found = optimise(playing, firm, dict(settings), progress=False, **run_execution)
            before = _payoffs(playing, game.players, metric, seeds, run_execution)
            step: dict[str, Any] = {
                "round": round_,
                "firm": firm,
                "current": described[firm],
                "payoff_before": _stats(before[firm]),
            }
            if found.best is None:
                step.update(plan=None, adopted=False, verdict="no plan met the optimiser's constraints")
                steps.append(step)
                continue
            candidate = found.best.overrides(firm)
            trying = playing.with_overrides(candidate)
            after = _payoffs(trying, game.players, metric, seeds, run_execution)
            diff = paired_difference(before[firm], after[firm], metric)
            improvement = None if diff["mean"] is None else sign * diff["mean"]
            interval = None if diff["ci95"] is None else sorted(sign * v for v in diff["ci95"])
            adopted = interval is not None and interval[0] > 0
            step.update(
                plan=found.best.describe(),
                plan_detail=found.best.to_dict(),
                payoff_after=_stats(after[firm]),
                others_after={f: _stats(after[f]) for f in game.players if f != firm},
                improvement=improvement,
                improvement_ci95=interval,
                adopted=adopted,
                verdict="adopted: better beyond the noise" if adopted else "kept the current plan: within the noise"
                if improvement is None or improvement > 0 else "kept the current plan: the found plan is not better",
            )  # fmt: skip
            steps.append(step)
            if progress:
                shown = "n/a" if improvement is None else f"{improvement:+,.0f}"
                print(f"game: round {round_}, {firm}: {step['plan']}: {metric} {shown}; {step['verdict']}",
                      file=sys.stderr)  # fmt: skip
            if adopted:
                current[firm] = candidate
                described[firm] = found.best.describe()
                adopted_any = True
        if not adopted_any:
            converged = True
            break
    final = now_playing()
    final_payoffs = _payoffs(final, game.players, metric, seeds, run_execution)
    return {
        "firms": movers,
        "payoff": metric,
        "start": start,
        "rounds": limit,
        "rounds_run": rounds_run,
        "converged": converged,
        "stopped": (
            f"round {rounds_run}: no firm improved beyond the noise"
            if converged
            else f"the round limit ({limit}) was reached with a firm still improving"
        ),
        "settings": settings,
        "steps": steps,
        "final": {firm: described[firm] for firm in game.players},
        "final_payoffs": {firm: _stats(values) for firm, values in final_payoffs.items()},
    }
