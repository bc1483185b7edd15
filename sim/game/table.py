"""The payoff table of a game: every profile (one choice per firm) run on the same seeds, and
each firm's outcomes per profile kept seed by seed.

Owns what a profile is (:class:`Profile`: a choice per player and the scenario it makes), how
every profile is laid out and run through the executor (:func:`profiles`, :func:`play`: one
:class:`sim.execution.RunSpec` per profile and seed, so the run cache makes a game resumable and
``jobs``/``cluster`` distribute it) and :class:`PayoffTable`: the per-seed samples of every
metric of every firm in every profile (the empirical game of Wellman's empirical game-theoretic
analysis), with their means and 95% intervals (:func:`sim.statistics.mean_ci`).

Example:
    >>> from sim import load_scenario
    >>> s = load_scenario("scenarios/conquest_vs_relations.toml", {"market.size": 300, "run.weeks": 4})
    >>> from sim.design import GameConfig
    >>> game = GameConfig.model_validate({"choices": {"us": ["conquest", "neglect"], "rival": ["relations"]}})
    >>> [p.label for p in profiles(s, game)]
    ['us=conquest, rival=relations', 'us=neglect, rival=relations']
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim.design import GameConfig, choice_overrides
from sim.execution import RunResult, RunSpec, execute
from sim.scenario import Scenario
from sim.statistics import HEADLINE_METRICS, mean_ci

# What the payoff table keeps for every firm, besides the game's payoff: the headline metrics.
KEPT_METRICS = HEADLINE_METRICS


@dataclass(frozen=True)
class Profile:
    """One combination of choices, a choice per player (in the game's order of players)."""

    players: tuple[str, ...]
    choices: tuple[str, ...]
    overrides: dict[str, Any] = field(compare=False, hash=False)
    scenario: Scenario = field(compare=False, hash=False, repr=False)

    @property
    def label(self) -> str:
        """``us=conquest, rival=cut``: the profile as the tables show it."""
        return ", ".join(f"{p}={c}" for p, c in zip(self.players, self.choices, strict=True))

    def choice(self, firm: str) -> str:
        return self.choices[self.players.index(firm)]

    def others(self, firm: str) -> tuple[str, ...]:
        """The other players' choices (what ``firm`` responds to)."""
        return tuple(c for p, c in zip(self.players, self.choices, strict=True) if p != firm)

    def deviation(self, firm: str, choice: str) -> tuple[str, ...]:
        """The choices of this profile with ``firm`` playing ``choice`` instead."""
        return tuple(choice if p == firm else c for p, c in zip(self.players, self.choices, strict=True))


def profiles(scenario: Scenario, game: GameConfig) -> list[Profile]:
    """Every profile of ``game`` on ``scenario`` (the first player's choices vary slowest), each
    with its overrides and its scenario (the scenario without experiment tables, overridden)."""
    base = scenario.without_experiments()
    folder = None if scenario.source is None else Path(scenario.source).parent
    players = tuple(game.players)
    overrides = {
        firm: {name: choice_overrides(firm, choice, folder) for name, choice in game.choices[firm].items()}
        for firm in players
    }
    out = []
    for combination in itertools.product(*(list(game.choices[firm]) for firm in players)):
        keys: dict[str, Any] = {}
        for firm, name in zip(players, combination, strict=True):
            keys.update(overrides[firm][name])
        out.append(Profile(players, combination, keys, base.with_overrides(keys)))
    return out


@dataclass
class PayoffTable:
    """Per profile, firm and metric, the value on each seed (None where undefined), seeds in order.

    Attributes:
        players: the firms that choose, in the game's order.
        choices: player -> its choice names, in the game's order.
        firms: every firm of the scenario (players and the others).
        seeds: the seeds every profile ran on.
        samples: profile choices -> firm -> metric -> one value per seed.
        hashes: profile label -> the hash of its scenario (its run-cache folder).
    """

    players: tuple[str, ...]
    choices: dict[str, list[str]]
    firms: list[str]
    seeds: list[int]
    samples: dict[tuple[str, ...], dict[str, dict[str, list[float | None]]]]
    hashes: dict[str, str] = field(default_factory=dict)

    def values(self, profile: Sequence[str], firm: str, metric: str) -> list[float | None]:
        """``firm``'s ``metric`` on each seed in the profile of these choices."""
        return self.samples[tuple(profile)][firm][metric]

    def stats(self, profile: Sequence[str], firm: str, metric: str) -> dict[str, Any]:
        """Mean and 95% t interval over the seeds."""
        mean, interval = mean_ci(self.values(profile, firm, metric))
        return {"mean": mean, "ci95": interval}

    def profiles(self) -> Iterator[tuple[str, ...]]:
        """Every profile's choices, in the game's order."""
        return iter(itertools.product(*(self.choices[p] for p in self.players)))

    def metrics(self) -> list[str]:
        first = next(iter(self.samples.values()))
        return list(next(iter(first.values())))

    def label(self, profile: Sequence[str]) -> str:
        return ", ".join(f"{p}={c}" for p, c in zip(self.players, profile, strict=True))

    def rows(self) -> list[dict[str, Any]]:
        """One row per profile x firm x metric: the choices, mean and 95% CI (``payoffs.csv``)."""
        rows = []
        for profile in self.profiles():
            for firm in self.firms:
                for metric in self.metrics():
                    stats = self.stats(profile, firm, metric)
                    low, high = stats["ci95"] or (None, None)
                    rows.append({
                        "profile": self.label(profile),
                        **{f"choice_{p}": c for p, c in zip(self.players, profile, strict=True)},
                        "firm": firm,
                        "player": firm in self.players,
                        "metric": metric,
                        "mean": stats["mean"],
                        "ci95_low": low,
                        "ci95_high": high,
                        "runs": sum(v is not None for v in self.values(profile, firm, metric)),
                    })  # fmt: skip
        return rows


def play(
    scenario: Scenario, game: GameConfig, seeds: list[int], metrics: Sequence[str], **execution: Any
) -> PayoffTable:
    """Run every profile of ``game`` on ``seeds`` and keep ``metrics`` of every firm per seed.

    Args:
        scenario: the scenario (its ``[game]`` table is ``game``; the other experiment tables are
            dropped from every profile).
        game: the choices.
        seeds: the paired seeds (the same for every profile: common random numbers).
        metrics: the per-firm summary metrics to keep.
        **execution: ``out`` (run cache), ``jobs``, ``cluster``, ``progress`` as in
            :func:`sim.execution.execute`; the numbers do not depend on them.
    """
    from sim.manifest import scenario_hash

    laid_out = profiles(scenario, game)
    specs = [RunSpec(p.label, p.scenario, seed) for p in laid_out for seed in seeds]
    results = execute(specs, keep_timeseries=False, **execution)
    firms = list(scenario.firms)
    samples: dict[tuple[str, ...], dict[str, dict[str, list[float | None]]]] = {}
    for index, profile in enumerate(laid_out):
        runs: list[RunResult] = results[index * len(seeds) : (index + 1) * len(seeds)]
        samples[profile.choices] = {
            firm: {
                metric: [_number(r.summary["firms"][firm].get(metric)) for r in runs] for metric in metrics
            }
            for firm in firms
        }
    return PayoffTable(
        players=tuple(game.players),
        choices={firm: list(game.choices[firm]) for firm in game.players},
        firms=firms,
        seeds=list(seeds),
        samples=samples,
        hashes={p.label: scenario_hash(p.scenario) for p in laid_out},
    )


def _number(value: Any) -> float | None:
    return None if value is None else float(value)
