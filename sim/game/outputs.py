"""The result of ``sim game``: the workflow's entry point, its text, figures and files.

Owns :func:`analyse` (the ``[game]`` table resolved, the payoff table played, read and optionally
iterated), :class:`GameResult` and what it writes: ``game.json`` (everything), ``payoffs.csv``
(profile x firm x metric: mean and 95% CI), ``best_responses.csv``, ``iterate.csv`` (the path of
the iterated best response, when run), ``figures/payoffs.png`` and ``figures/best_responses.png``
(:mod:`sim.plots.game`), the resolved scenario and ``manifest.json``; each file written to a
temporary name and renamed.

Example:
    >>> from sim import load_scenario
    >>> s = load_scenario("scenarios/conquest_vs_relations.toml", {"market.size": 300, "run.weeks": 6})
    >>> result = analyse(s, choices={"us": ["conquest", "neglect"], "rival": ["relations"]}, replicates=2, jobs=1)
    >>> result.table().splitlines()[0]
    "Game 'conquest_vs_relations': us (2 choices) and rival (1), 2 profiles on the same 2 seeds (1-2); payoff: profit (higher is better)"
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
from pydantic import ValidationError

from sim.design import GameConfig, check_game, outcome
from sim.execution import seeds_for
from sim.game.analysis import best_responses, dominance, dominant, equilibria, mixed_equilibria, regrets
from sim.game.iterate import iterate as iterate_plans
from sim.game.table import KEPT_METRICS, PayoffTable, play
from sim.manifest import Invocation, scenario_hash, write_manifest
from sim.scenario import Scenario, ScenarioError
from sim.workflow import WorkflowResult

if TYPE_CHECKING:
    from matplotlib.figure import Figure


@dataclass
class GameResult(WorkflowResult):
    """What :func:`analyse` returns.

    Attributes:
        info: the ``game.json`` dict (players, choices, seeds, per profile the payoffs, best
            responses, regrets, equilibria, dominance, mixed equilibria, the iterated path).
        payoffs: the per-seed payoff table.
        scenario: the scenario the game was played on.
        invocation: the call and its start, for the manifest.
    """

    info: dict[str, Any]
    payoffs: PayoffTable
    scenario: Scenario
    invocation: Invocation | None = None

    def table(self) -> str:
        return format_game(self.info)

    def figures(self) -> dict[str, Figure]:
        from sim.plots.game import best_response_figure, payoff_figure

        return {"payoffs": payoff_figure(self.info), "best_responses": best_response_figure(self.info)}

    def write(
        self, out: str | os.PathLike[str], figures: bool = True, invocation: Invocation | None = None
    ) -> Path:
        return write_game(self, Path(out), figures=figures, invocation=invocation)


def resolve_game(scenario: Scenario, **given: Any) -> GameConfig:
    """The scenario's ``[game]`` table with ``given`` keys replaced (``choices``, ``replicates``,
    ``payoff``, ``seed``), validated and checked against the scenario."""
    source = scenario.source or scenario.name
    table = {} if scenario.game is None else scenario.game.model_dump(exclude_none=True)
    table.update({k: v for k, v in given.items() if v is not None})
    if "choices" not in table:
        raise ScenarioError(
            f"{source}: no [game] table; add one with each firm's choices, e.g. [game.choices] "
            'us = ["conquest", "relations"] and rival = ["relations", "neglect"] (docs/game.md)'
        )
    try:
        game = GameConfig.model_validate(table)
    except ValidationError as error:
        item = error.errors()[0]
        where = ".".join(str(p) for p in item["loc"])
        shown = item.get("input")
        raise ScenarioError(
            f"{source}: [game] {where}{' = ' + repr(shown) if where else ''}: {item['msg'].removeprefix('Value error, ')}"
        ) from None
    check_game(scenario, game)
    return game


def analyse(
    scenario: Scenario,
    replicates: int | None = None,
    seed: int | None = None,
    iterate: bool = False,
    rounds: int | None = None,
    trials: int | None = None,
    choices: Mapping[str, Any] | None = None,
    payoff: str | None = None,
    **execution: Any,
) -> GameResult:
    """Play the game of ``scenario``'s ``[game]`` table and read it.

    Args:
        scenario: a scenario with a ``[game]`` table (or give ``choices``).
        replicates: paired seeds per profile (default the table's).
        seed: the first seed (default the table's, else ``run.seed``).
        iterate: also run the iterated best response over optimisable plans.
        rounds: its round limit (default ``[game.iterate] rounds``).
        trials: candidate plans per search in it (default its optimiser settings').
        choices: the firms' choices, replacing the table's (as ``[game.choices]`` is written).
        payoff: the per-firm outcome best responses and equilibria use (default the table's).
        **execution: ``out`` (run cache: a rerun resumes), ``jobs``, ``cluster``, ``progress`` as
            in :func:`sim.execution.execute`; the numbers do not depend on them.

    Example:
        >>> from sim import load_scenario
        >>> s = load_scenario("scenarios/conquest_vs_relations.toml", {"market.size": 300, "run.weeks": 6})
        >>> r = analyse(s, choices={"us": ["conquest", "neglect"], "rival": ["relations"]}, replicates=2, jobs=1)
        >>> [row["best"] for row in r.info["best_responses"]]
        ['neglect']
    """
    invocation = Invocation.api(
        "sim.game.analyse", replicates=replicates, seed=seed, iterate=iterate, rounds=rounds, trials=trials,
        choices=dict(choices) if choices else None, payoff=payoff, **execution,
    )  # fmt: skip
    started = time.perf_counter()
    game = resolve_game(scenario, choices=choices, replicates=replicates, payoff=payoff, seed=seed)
    seeds = seeds_for(scenario, game.replicates, game.seed)
    metric = game.payoff
    metrics = list(dict.fromkeys([metric, *KEPT_METRICS]))
    table = play(scenario, game, seeds, metrics, **execution)
    regret_rows = regrets(table, metric)
    found = equilibria(table, metric, regret_rows)
    dominated = dominance(table, metric)
    info: dict[str, Any] = {
        "scenario": scenario.name,
        "source": scenario.source,
        "hash": scenario_hash(scenario),
        "players": list(table.players),
        "choices": {firm: {name: dict(c) for name, c in game.choices[firm].items()} for firm in game.players},
        "firms": table.firms,
        "payoff": metric,
        "direction": outcome(metric).sense,
        "metrics": metrics,
        "replicates": len(seeds),
        "seeds": seeds,
        "profiles": [
            {
                "label": table.label(profile),
                "choices": dict(zip(table.players, profile, strict=True)),
                "hash": table.hashes[table.label(profile)],
                "payoffs": {
                    firm: {m: table.stats(profile, firm, m) for m in metrics} for firm in table.firms
                },
            }
            for profile in table.profiles()
        ],
        "best_responses": best_responses(table, metric),
        "regrets": regret_rows,
        "equilibria": found,
        "stable_within_noise": [r["label"] for r in regret_rows if r["stable_within_noise"]],
        "dominated": dominated,
        "dominant": dominant(table, dominated),
        "mixed_equilibria": mixed_equilibria(table, metric),
        "iterate": None,
    }
    if iterate:
        progress = bool(execution.get("progress"))
        info["iterate"] = iterate_plans(
            scenario, game, seeds, rounds=rounds, trials=trials, progress=progress,
            **{k: v for k, v in execution.items() if k != "progress"},
        )  # fmt: skip
    info["seconds"] = round(time.perf_counter() - started, 1)
    return GameResult(info, table, scenario, invocation)


# --------------------------------------------------------------------------- text


def _number(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.3g}"


def _with_ci(stats: Mapping[str, Any]) -> str:
    interval = stats.get("ci95")
    ci = f" [{_number(interval[0])}, {_number(interval[1])}]" if interval else ""
    return f"{_number(stats.get('mean'))}{ci}"


def _against(against: Mapping[str, str]) -> str:
    return ", ".join(f"{firm}={choice}" for firm, choice in against.items())


def format_game(info: Mapping[str, Any]) -> str:
    """The game as text: the payoff matrix (mean [95% CI]), best responses with their verdict,
    equilibria, dominance, regret, mixed equilibria and the iterated path."""
    players, metric = info["players"], info["payoff"]
    counts = [len(info["choices"][p]) for p in players]
    who = ", ".join(
        f"{p} ({n} choice{'s' if n != 1 else ''})" if i == 0 else f"{p} ({n})"
        for i, (p, n) in enumerate(zip(players, counts, strict=True))
    )
    who = who.replace(", ", " and ") if len(players) == 2 else who
    seeds = info["seeds"]
    better = "higher" if info["direction"] == "maximize" else "lower"
    lines = [
        f"Game '{info['scenario']}': {who}, {len(info['profiles'])} profiles on the same {len(seeds)} seeds "
        f"({seeds[0]}-{seeds[-1]}); payoff: {metric} ({better} is better)",
        "",
        f"Payoffs ({metric}), mean [95% CI] over the seeds:",
    ]
    width = max(len(p["label"]) for p in info["profiles"])
    for profile in info["profiles"]:
        cells = "   ".join(f"{firm} {_with_ci(profile['payoffs'][firm][metric])}" for firm in players)
        lines.append(f"  {profile['label']:<{width}}   {cells}")
    lines += ["", "Best responses (the paired advantage over the runner-up, 95% CI):"]
    for row in info["best_responses"]:
        if row["best"] is None:
            lines.append(
                f"  {row['firm']} against {_against(row['against'])}: undefined ({metric} is undefined)"
            )
            continue
        advantage = _with_ci({"mean": row["advantage"], "ci95": row["advantage_ci95"]})
        lines.append(
            f"  {row['firm']} against {_against(row['against']) or 'the rest'}: {row['best']} "
            f"({_number(row['best_mean'])}), ahead of {row['runner_up']} by {advantage}: {row['verdict']}"
        )
    lines.append("")
    if info["equilibria"]:
        lines.append("Pure-strategy equilibria (no firm gains on average by changing its own choice alone):")
        for eq in info["equilibria"]:
            if eq["robust"]:
                verdict = "robust: every single deviation loses beyond the noise"
            else:
                unsure = "; ".join(
                    f"{d['firm']} -> {d['to']} {_with_ci({'mean': d['mean'], 'ci95': d['ci95']})}"
                    for d in eq["deviations_within_noise"]
                )
                verdict = f"not robust: a deviation within the noise ({unsure})"
            lines.append(f"  {eq['label']}: {verdict}")
    else:
        lowest = min(info["regrets"], key=lambda r: r["regret"])
        lines.append(
            f"No pure-strategy equilibrium; the lowest regret is {_number(lowest['regret'])} at {lowest['label']} "
            f"({lowest['deviator']} would gain by playing {lowest['deviation']})"
        )
    stable = [
        label
        for label in info["stable_within_noise"]
        if label not in {e["label"] for e in info["equilibria"]}
    ]
    if stable:
        lines.append(f"Also stable within the noise (no deviation gains beyond it): {'; '.join(stable)}")
    lines.append("")
    if info["dominated"]:
        lines.append("Strictly dominated choices (worse against every choice of the others):")
        for d in info["dominated"]:
            noise = "beyond the noise" if d["beyond_noise"] else "within the noise somewhere"
            lines.append(
                f"  {d['firm']}: {d['dominated']} by {d['by']} (smallest margin {_number(d['margin'])}; {noise})"
            )
    else:
        lines.append("No strictly dominated choice.")
    for d in info["dominant"]:
        noise = "beyond the noise" if d["beyond_noise"] else "not everywhere beyond the noise"
        lines.append(f"Dominant: {d['firm']} plays {d['choice']} whatever the others do ({noise})")
    mixed = info.get("mixed_equilibria")
    if mixed:
        strict = [m for m in mixed if not m["pure"]]
        if strict:
            lines.append("")
            lines.append("Mixed equilibria of the mean payoffs (probability per choice; nashpy):")
            for m in strict:
                parts = "; ".join(
                    f"{firm}: " + ", ".join(f"{c} {p:.0%}" for c, p in m[firm].items() if p > 0)
                    for firm in players
                )
                expected = ", ".join(f"{firm} {_number(v)}" for firm, v in m["expected"].items())
                lines.append(f"  {parts} (expected {metric}: {expected})")
    path = info.get("iterate")
    if path:
        lines += [
            "",
            f"Iterated best response over plans ({path['payoff']}; start: {_against(path['start'])}):",
        ]
        for step in path["steps"]:
            if step.get("plan") is None:
                lines.append(f"  round {step['round']}, {step['firm']}: {step['verdict']}")
                continue
            gain = _with_ci({"mean": step["improvement"], "ci95": step["improvement_ci95"]})
            lines.append(
                f"  round {step['round']}, {step['firm']}: {step['plan']}: {metric} {_with_ci(step['payoff_after'])}, "
                f"change {gain}: {step['verdict']}"
            )
        lines.append(f"  stopped: {path['stopped']}")
        finals = "; ".join(
            f"{firm}: {path['final'][firm]} ({_with_ci(path['final_payoffs'][firm])})" for firm in players
        )
        lines.append(f"  final: {finals}")
    return "\n".join(lines)


# --------------------------------------------------------------------------- files


def best_response_rows(info: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One row per firm and combination of the others' choices (``best_responses.csv``)."""
    rows = []
    for row in info["best_responses"]:
        low, high = row["advantage_ci95"] or (None, None)
        best_low, best_high = row["best_ci95"] or (None, None)
        rows.append({
            "firm": row["firm"],
            "against": _against(row["against"]),
            **{f"against_{firm}": choice for firm, choice in row["against"].items()},
            "best": row["best"],
            "best_mean": row["best_mean"],
            "best_ci95_low": best_low,
            "best_ci95_high": best_high,
            "runner_up": row["runner_up"],
            "runner_up_mean": row["runner_up_mean"],
            "advantage": row["advantage"],
            "advantage_ci95_low": low,
            "advantage_ci95_high": high,
            "verdict": row["verdict"],
            "within_noise_of_best": ";".join(row["within_noise_of_best"]),
        })  # fmt: skip
    return rows


def iterate_rows(path: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One row per step of the iterated best response (``iterate.csv``)."""
    rows = []
    for step in path["steps"]:
        after = step.get("payoff_after") or {}
        low, high = step.get("improvement_ci95") or (None, None)
        a_low, a_high = after.get("ci95") or (None, None)
        rows.append({
            "round": step["round"], "firm": step["firm"], "plan": step.get("plan"),
            "payoff_before": step["payoff_before"]["mean"], "payoff_after": after.get("mean"),
            "payoff_after_ci95_low": a_low, "payoff_after_ci95_high": a_high,
            "improvement": step.get("improvement"), "improvement_ci95_low": low, "improvement_ci95_high": high,
            "adopted": step["adopted"], "verdict": step["verdict"],
        })  # fmt: skip
    return rows


def write_game(
    result: GameResult, out: Path, figures: bool = True, invocation: Invocation | None = None
) -> Path:
    """``game.json``, ``payoffs.csv``, ``best_responses.csv``, ``iterate.csv`` (when iterated),
    the figures, the resolved scenario and ``manifest.json``, each whole or not at all."""
    from sim import __version__
    from sim.files import atomic_write, write_json
    from sim.results import save_figure

    out.mkdir(parents=True, exist_ok=True)
    info = result.info
    write_json(out / "game.json", {**info, "version": __version__})
    payoffs = pd.DataFrame(result.payoffs.rows())
    atomic_write(out / "payoffs.csv", lambda p: payoffs.to_csv(p, index=False))
    responses = pd.DataFrame(best_response_rows(info))
    atomic_write(out / "best_responses.csv", lambda p: responses.to_csv(p, index=False))
    if info.get("iterate"):
        path = pd.DataFrame(iterate_rows(info["iterate"]))
        atomic_write(out / "iterate.csv", lambda p: path.to_csv(p, index=False))
    atomic_write(out / "scenario.resolved.toml", lambda p: p.write_text(result.scenario.to_toml()))
    if figures:
        for name, figure in result.figures().items():
            save_figure(out / "figures" / f"{name}.png", figure)
    hashes = {p["label"]: p["hash"] for p in info["profiles"]}
    write_manifest(out, result.scenario, info["seeds"], invocation or result.invocation, arms=hashes)
    return out
