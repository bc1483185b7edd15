"""Strategy planning: the best use of a firm's budget across levers, robust to what the market does.

Owns ``sim optimise``: the plan space (a share of the weekly budget per lever, optionally the
budget itself and the week each chosen lever starts), the search over it with optuna (TPE,
NSGA-II or random; seeded, asked in batches that run through the experiments executor in this
process, a process pool or on Dask), the market scenarios a plan is scored across (robustness),
the confirmation of the best plan against the built-in strategies on fresh seeds, and the
outputs (``optimisation.json``, the trace, ``best.toml`` and the figures).

How the guarantees are kept:

- **Budget and per-lever bounds by construction.** The sampler proposes one weight in [0, 1] per
  lever (and one for "unspent" unless the whole budget must be spent); :func:`fill_shares` turns
  them into shares that start at each lever's minimum and share out the rest in proportion to
  the weights, never past a lever's maximum (water-filling). Every candidate, so the reported
  plan too, satisfies ``min <= share <= max`` and ``sum(shares) <= 1`` (``= 1`` with ``spend_all``).
- **Outcome constraints by feasibility.** A floor or ceiling on an outcome (``retention_yearly >=
  0.8``, ``cac <= 150``) is checked on the candidate's score; violations go to optuna's
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
"""

from __future__ import annotations

import contextlib
import math
import os
import sys
import textwrap
import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sim.manifest import Invocation, write_manifest
from sim.scenario import OptimiseConfig, Scenario, ScenarioError, SweepRange
from sim.strategies.base import Strategy

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from sim.agents.firm import Firm
    from sim.model import CustomerMarket

PLAN_STRATEGY = "sim.optimise:BudgetPlan"
REFERENCES = ("conquest", "relations", "balanced", "neglect", "adaptive")
# Built-in strategies whose split is fixed, so they are also points of the plan space: the search
# starts from them (a warm start), and so never reports a plan worse than the best of them.
STATIC_REFERENCES = ("conquest", "relations", "balanced", "neglect")
TRACE_METRICS = (
    "profit", "customer_equity", "total_value", "customers_end", "retention_yearly", "cac_fully_loaded",
    "ltv_net", "ltv_net_cac_fully_loaded",
)  # fmt: skip
# The command-line option behind each setting, for error messages.
OPTIONS = {
    "firm": "--firm", "objectives": "--objective", "levers": "--lever", "shares": "--share",
    "spend_all": "--spend-all", "budget": "--budget", "start_weeks": "--start-week",
    "constraints": "--constraint", "uncertainties": "--uncertainty",
    "market_scenarios": "--market-scenarios", "downside": "--downside", "robust": "--robust",
    "trials": "--trials", "runs": "--runs", "confirm_runs": "--confirm-runs", "batch": "--batch",
    "sampler": "--sampler", "seed": "--seed",
}  # fmt: skip


# --------------------------------------------------------------------------- the plan strategy


class BudgetPlan(Strategy):
    """A fixed split of the weekly budget whose levers may start late (what ``sim optimise`` writes).

    Before its start week a lever's share is not spent (the firm keeps the money), so a plan never
    spends more on a lever than its share, nor more than the budget.

    Args:
        split: lever -> share of the weekly budget (shares sum to at most 1).
        **params: ``start_<lever> = week``: the first week the lever spends (default 0).

    Example:
        >>> BudgetPlan({"search_ads": 0.5, "loyalty_rewards": 0.5}, start_loyalty_rewards=26).starts
        {'loyalty_rewards': 26}
    """

    name = "plan"

    def __init__(self, split: dict[str, float] | None = None, **params: Any) -> None:
        from sim.strategies.levers import LEVERS

        starts: dict[str, int] = {}
        for key, value in params.items():
            lever = key.removeprefix("start_")
            if not key.startswith("start_") or lever not in LEVERS:
                raise TypeError(
                    f"unknown parameter {key!r} for strategy {PLAN_STRATEGY!r}; allowed: start_<lever> "
                    f"with a lever of: {', '.join(LEVERS)}"
                )
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise TypeError(f"{key} = {value!r}: a start week is a whole number >= 0")
            starts[lever] = value
        super().__init__(split)
        self.starts = starts

    def allocate(self, firm: Firm, market: CustomerMarket) -> dict[str, float]:
        return {
            lever: firm.budget * share
            for lever, share in self.split.items()
            if share > 0 and market.week >= self.starts.get(lever, 0)
        }


# --------------------------------------------------------------------------- the plan space


def fill_shares(
    weights: Mapping[str, float],
    bounds: Mapping[str, tuple[float, float]] | None = None,
    spend_all: bool = False,
    unspent_weight: float = 0.0,
) -> dict[str, float]:
    """Shares of the budget from non-negative weights, within each lever's (min, max).

    Each lever starts at its minimum; the rest of the budget is shared out in proportion to the
    weights (the ``unspent_weight`` competing for it unless ``spend_all``), a lever that reaches
    its maximum keeping it and passing the excess on (water-filling). With every weight 0 the
    levers share equally (or, when unspent is allowed, the rest stays unspent). Shares are
    rounded down to 4 decimals without leaving their bounds.

    Example:
        >>> fill_shares({"a": 3.0, "b": 1.0}, unspent_weight=4.0)
        {'a': 0.375, 'b': 0.125}
    """
    levers = list(weights)
    bounds = bounds or {}
    low = np.array([bounds.get(k, (0.0, 1.0))[0] for k in levers], dtype=float)
    high = np.array([bounds.get(k, (0.0, 1.0))[1] for k in levers], dtype=float)
    raw = np.array([max(float(weights[k]), 0.0) for k in levers], dtype=float)
    if not spend_all:  # the last slot is "unspent", without a cap
        low, high = np.append(low, 0.0), np.append(high, 1.0)
        raw = np.append(raw, max(float(unspent_weight), 0.0))
    if raw.sum() == 0:
        raw = np.zeros_like(raw)
        if spend_all:
            raw[:] = 1.0
        else:
            raw[-1] = 1.0
    extra = np.zeros_like(raw)
    room = high - low
    left = max(0.0, 1.0 - low.sum())
    # First by weight; what levers at their maximum cannot take then goes to "unspent" when that
    # is allowed, else equally to the levers that still have room.
    fallback = np.zeros_like(raw)
    if spend_all:
        fallback[:] = 1.0
    else:
        fallback[-1] = 1.0
    for weight in (raw, fallback):
        open_ = (weight > 0) & (room - extra > 1e-12)
        while left > 1e-12 and open_.any():
            # Normalise the weights first: left x weight can round badly for tiny weights
            # (with one weight of 5e-324, left x w / w came out 1.0, more than was left).
            give = left * (np.where(open_, weight, 0.0) / weight[open_].sum())
            full = open_ & (give >= room - extra)
            if not full.any():
                extra += give
                left = 0.0
                break
            left -= float((room - extra)[full].sum())
            extra[full] = room[full]
            open_ &= ~full
    shares = low + extra
    out = {}
    for index, lever in enumerate(levers):
        floored = math.floor(shares[index] * 1e4 + 1e-9) / 1e4
        out[lever] = max(float(low[index]), min(floored, float(high[index])))
    if spend_all:  # rounding down left a little unallocated: give it to a lever with room
        gap = round(1.0 - sum(out.values()), 10)
        for lever in sorted(levers, key=lambda k: out[k] - bounds.get(k, (0.0, 1.0))[1]):
            if gap <= 0:
                break
            add = min(gap, bounds.get(lever, (0.0, 1.0))[1] - out[lever])
            out[lever] = round(out[lever] + add, 10)
            gap = round(gap - add, 10)
    return out


@dataclass(frozen=True)
class Plan:
    """One candidate: shares of the weekly budget by lever, the budget and the levers' start weeks."""

    shares: dict[str, float]
    budget: float
    starts: dict[str, int] = field(default_factory=dict)

    @property
    def unspent(self) -> float:
        return max(0.0, round(1.0 - sum(self.shares.values()), 6))

    def overrides(self, firm: str) -> dict[str, Any]:
        """The dotted keys that put this plan into a scenario for ``firm``.

        Example:
            >>> Plan({"search_ads": 1.0}, 500.0).overrides("us")["firms.us.strategy"]
            'sim.optimise:BudgetPlan'
        """
        return {
            f"firms.{firm}.strategy": PLAN_STRATEGY,
            f"firms.{firm}.split": {k: v for k, v in self.shares.items() if v > 0},
            f"firms.{firm}.params": {f"start_{k}": int(v) for k, v in self.starts.items()},
            f"firms.{firm}.budget": self.budget,
        }

    def describe(self) -> str:
        """One line: the non-zero shares, largest first, the budget and the start weeks."""
        parts = [f"{k} {v:.1%}" for k, v in sorted(self.shares.items(), key=lambda kv: -kv[1]) if v > 0]
        if self.unspent > 0:
            parts.append(f"unspent {self.unspent:.1%}")
        starts = "".join(f", {k} from week {w}" for k, w in self.starts.items() if w > 0)
        return f"{', '.join(parts) or 'nothing'} of {self.budget:,.0f}/week{starts}"


@dataclass(frozen=True)
class PlanSpace:
    """What the search may choose: the levers and their share bounds, the budget, the start weeks."""

    levers: tuple[str, ...]
    bounds: dict[str, tuple[float, float]]
    spend_all: bool
    budget: float
    budget_range: tuple[float, float] | None = None
    start_weeks: dict[str, tuple[int, int]] = field(default_factory=dict)

    def suggest(self, trial: Any) -> Plan:
        """The plan of an optuna trial (asking it for every parameter of the space)."""
        weights = {k: trial.suggest_float(f"w_{k}", 0.0, 1.0) for k in self.levers}
        unspent = 0.0 if self.spend_all else trial.suggest_float("w_unspent", 0.0, 1.0)
        budget = self.budget
        if self.budget_range is not None:
            budget = round(trial.suggest_float("budget", *self.budget_range), 2)
        starts = {k: trial.suggest_int(f"start_{k}", lo, hi) for k, (lo, hi) in self.start_weeks.items()}
        return Plan(fill_shares(weights, self.bounds, self.spend_all, unspent), budget, starts)

    def parameters_of(self, split: Mapping[str, float]) -> dict[str, Any] | None:
        """Optuna parameters whose plan is ``split`` (or its nearest plan within the bounds), at
        the scenario's budget and the earliest start weeks; None if it uses a lever outside."""
        if any(v > 0 and k not in self.levers for k, v in split.items()):
            return None
        total = sum(split.values())
        top = max([*split.values(), *([] if self.spend_all else [1.0 - total])], default=0.0) or 1.0
        params: dict[str, Any] = {f"w_{k}": float(split.get(k, 0.0)) / top for k in self.levers}
        if not self.spend_all:
            params["w_unspent"] = max(0.0, 1.0 - total) / top
        elif total == 0:
            return None  # spending nothing is not a plan when the whole budget must be spent
        if self.budget_range is not None:
            params["budget"] = float(np.clip(self.budget, *self.budget_range))
        params.update({f"start_{k}": lo for k, (lo, _) in self.start_weeks.items()})
        return params


def plan_space(scenario: Scenario, settings: OptimiseConfig, firm: str) -> PlanSpace:
    """The plan space of ``settings`` for ``firm`` (settings already checked)."""
    from sim.strategies.levers import LEVER_NAMES

    levers = tuple(settings.levers or LEVER_NAMES)
    bounds = {
        k: (b.min if b.min is not None else 0.0, b.max if b.max is not None else 1.0)
        for k, b in settings.shares.items()
    }
    budget_range = tuple(float(b) for b in settings.budget) if settings.budget is not None else None
    starts = {k: (int(v[0]), int(v[1])) for k, v in settings.start_weeks.items()}
    return PlanSpace(levers, bounds, settings.spend_all, scenario.firms[firm].budget, budget_range, starts)


# --------------------------------------------------------------------------- settings


def _where(source: str, name: str, cli: frozenset[str]) -> str:
    return OPTIONS[name] if name in cli else f"{source}: [optimise] {name}"


def _fail(where: str, value: Any, problem: str) -> ScenarioError:
    shown = repr(value)
    shown = shown if len(shown) <= 80 else shown[:77] + "..."
    return ScenarioError(f"{where} = {shown}: {problem}")


def resolve_settings(scenario: Scenario, given: Mapping[str, Any] | None = None) -> OptimiseConfig:
    """The scenario's ``[optimise]`` table with ``given`` settings (e.g. from the command line)
    replacing its values, validated and checked against the scenario.

    Example:
        >>> from sim import load_scenario
        >>> s = load_scenario("scenarios/conquest_vs_relations.toml")
        >>> resolve_settings(s, {"objectives": ["profit"], "trials": 8}).trials
        8
    """
    from pydantic import ValidationError

    given = {k: v for k, v in (given or {}).items() if v is not None}
    unknown = sorted(set(given) - set(OptimiseConfig.model_fields))
    if unknown:
        raise ScenarioError(f"unknown optimise setting {unknown[0]!r}; allowed: {', '.join(OPTIONS)}")
    table = scenario.optimise.model_dump(exclude_unset=True) if scenario.optimise is not None else {}
    source = scenario.source or scenario.name
    try:
        settings = OptimiseConfig.model_validate({**table, **given})
    except ValidationError as error:
        item = error.errors()[0]
        name = str(item["loc"][0]) if item["loc"] else "(settings)"
        value = {**table, **given}.get(name, item.get("input"))
        raise _fail(
            _where(source, name, frozenset(given)) if name in OPTIONS else f"{source}: [optimise] {name}",
            value,
            item["msg"].removeprefix("Value error, "),
        ) from None
    check_settings(scenario, settings, frozenset(given))
    return settings


def _parse_number(text: str, option: str, whole: str, example: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ScenarioError(
            f"{option} {whole!r}: {text!r} is not a number; e.g. {option} {example}"
        ) from None
    if not math.isfinite(value):
        raise ScenarioError(f"{option} {whole!r}: {text!r} is not a finite number; e.g. {option} {example}")
    return value


def _pair(text: str, option: str, example: str) -> tuple[str, str, str]:
    key, sep, rest = text.partition("=")
    low, colon, high = rest.partition(":")
    if not sep or not colon or not key.strip():
        raise ScenarioError(f"{option} {text!r}: expected {example.split(' ')[0]}")
    return key.strip(), low.strip(), high.strip()


def settings_from_options(
    objectives: Sequence[str] | None = None,
    levers: Sequence[str] | None = None,
    shares: Sequence[str] | None = None,
    spend_all: bool | None = None,
    budget: str | None = None,
    start_weeks: Sequence[str] | None = None,
    constraints: Sequence[str] | None = None,
    uncertainties: Sequence[str] | None = None,
    **plain: Any,
) -> dict[str, Any]:
    """Settings from command-line text (``--share search_ads=0.1:0.5``, ``--constraint cac<=150``,
    ``--uncertainty firms.rival.strategy=relations,conquest`` ...); options not given are left
    out, so the scenario's ``[optimise]`` values stand. ``plain`` settings pass through.

    Example:
        >>> settings_from_options(shares=["search_ads=:0.5"], constraints=["retention_yearly>=0.8"])
        {'shares': {'search_ads': {'max': 0.5}}, 'constraints': {'retention_yearly': {'min': 0.8}}}
    """
    from sim.scenario import parse_value

    out: dict[str, Any] = {k: v for k, v in plain.items() if v is not None}
    if objectives:
        out["objectives"] = list(objectives)
    if levers:
        out["levers"] = list(levers)
    if spend_all is not None:
        out["spend_all"] = spend_all
    if shares:
        out["shares"] = {}
        for text in shares:
            lever, low, high = _pair(text, "--share", "LEVER=MIN:MAX, e.g. search_ads=0.1:0.5")
            bound = {}
            if low:
                bound["min"] = _parse_number(low, "--share", text, "search_ads=0.1:0.5")
            if high:
                bound["max"] = _parse_number(high, "--share", text, "search_ads=0.1:0.5")
            out["shares"][lever] = bound
    if budget is not None:
        low, colon, high = budget.partition(":")
        if not colon:
            raise ScenarioError(f"--budget {budget!r}: expected LOW:HIGH, e.g. --budget 1000:3000")
        out["budget"] = [_parse_number(v, "--budget", budget, "1000:3000") for v in (low, high)]
    if start_weeks:
        out["start_weeks"] = {}
        for text in start_weeks:
            lever, low, high = _pair(
                text, "--start-week", "LEVER=EARLIEST:LATEST, e.g. referral_programme=0:52"
            )
            weeks = [_parse_number(v, "--start-week", text, "referral_programme=0:52") for v in (low, high)]
            if not all(w.is_integer() for w in weeks):
                raise ScenarioError(f"--start-week {text!r}: weeks are whole numbers")
            out["start_weeks"][lever] = [int(w) for w in weeks]
    if constraints:
        out["constraints"] = {}
        for text in constraints:
            for operator, side in ((">=", "min"), ("<=", "max")):
                metric, found, value = text.partition(operator)
                if found:
                    number = _parse_number(value.strip(), "--constraint", text, "retention_yearly>=0.8")
                    out["constraints"].setdefault(metric.strip(), {})[side] = number
                    break
            else:
                raise ScenarioError(
                    f"--constraint {text!r}: expected METRIC>=X or METRIC<=X, e.g. retention_yearly>=0.8 or cac<=150"
                )
    if uncertainties:
        out["uncertainties"] = {}
        for text in uncertainties:
            key, sep, rest = text.partition("=")
            if not sep or not key.strip() or not rest.strip():
                raise ScenarioError(
                    f"--uncertainty {text!r}: expected KEY=LOW:HIGH or KEY=A,B,..., e.g. "
                    "behaviours.adoption.word_of_mouth=0.005:0.02 or firms.rival.strategy=relations,conquest"
                )
            low, colon, high = rest.partition(":")
            if colon:
                bounds = [
                    _parse_number(v.strip(), "--uncertainty", text, "firms.rival.price=30:40")
                    for v in (low, high)
                ]
                out["uncertainties"][key.strip()] = {"low": bounds[0], "high": bounds[1]}
            else:
                out["uncertainties"][key.strip()] = [parse_value(v.strip()) for v in rest.split(",")]
    return out


def check_settings(scenario: Scenario, settings: OptimiseConfig, cli: frozenset[str] = frozenset()) -> None:
    """Every lever, share bound, budget range, start week and uncertainty of ``settings`` must fit
    ``scenario``; raises :class:`ScenarioError` naming the file (or the option), the dotted key,
    the value and what is allowed. Objective and constraint metrics are checked when the search
    starts (:func:`check_metrics`), as they need a short probe run.

    Example:
        >>> from sim import load_scenario
        >>> s = load_scenario("scenarios/conquest_vs_relations.toml")
        >>> check_settings(s, OptimiseConfig(levers=["search_adz"]))
        Traceback (most recent call last):
        ...
        sim.scenario.ScenarioError: scenarios/conquest_vs_relations.toml: [optimise] levers = ['search_adz']: unknown lever 'search_adz'; allowed levers: search_ads, social_ads, influencer_seeding, loyalty_rewards, recognition, personal_offers, referral_programme, acquisition_discount, social_proof_marketing, poaching, communications, service_quality, complaint_handling, reactivation, retention_offers
    """
    from sim.strategies.levers import LEVER_NAMES

    source = scenario.source or scenario.name

    def where(name: str) -> str:
        return _where(source, name, cli)

    firm = settings.firm or scenario.firm_names[0]
    if firm not in scenario.firms:
        raise _fail(where("firm"), firm, f"no such firm; firms: {', '.join(scenario.firms)}")
    levers = list(settings.levers or LEVER_NAMES)
    for lever in levers:
        if lever not in LEVER_NAMES:
            raise _fail(
                where("levers"),
                settings.levers,
                f"unknown lever {lever!r}; allowed levers: {', '.join(LEVER_NAMES)}",
            )
    if len(set(levers)) != len(levers) or not levers:
        raise _fail(where("levers"), settings.levers, "name each lever once, at least one")
    for lever, bound in settings.shares.items():
        shown = f"{where('shares')}.{lever}"
        if lever not in levers:
            raise _fail(
                shown,
                bound.model_dump(exclude_none=True),
                f"not a lever of the plan; levers: {', '.join(levers)}",
            )
        for value in (bound.min, bound.max):
            if value is not None and not 0 <= value <= 1:
                raise _fail(shown, bound.model_dump(exclude_none=True), "a share of the budget is in [0, 1]")
    lows = sum(b.min or 0.0 for b in settings.shares.values())
    if lows > 1 + 1e-9:
        raise _fail(
            where("shares"),
            {k: b.min for k, b in settings.shares.items()},
            f"the minimum shares sum to {lows:.4g}; they may sum to at most 1",
        )
    highs = sum(
        settings.shares[k].max if k in settings.shares and settings.shares[k].max is not None else 1.0
        for k in levers
    )
    if settings.spend_all and highs < 1 - 1e-9:
        raise _fail(
            where("shares"),
            {k: b.max for k, b in settings.shares.items()},
            f"with spend_all the maximum shares must reach 1, they sum to {highs:.4g}",
        )
    if settings.budget is not None:
        budget = settings.budget
        if len(budget) != 2 or not 0 <= budget[0] < budget[1]:
            raise _fail(where("budget"), budget, "a weekly budget range is [low, high] with 0 <= low < high")
    weeks = scenario.run.weeks
    for lever, span in settings.start_weeks.items():
        shown = f"{where('start_weeks')}.{lever}"
        if lever not in levers:
            raise _fail(shown, span, f"not a lever of the plan; levers: {', '.join(levers)}")
        if len(span) != 2 or not 0 <= span[0] < span[1] < weeks:
            raise _fail(
                shown,
                span,
                f"a range of start weeks is [earliest, latest] with 0 <= earliest < latest < run.weeks = {weeks}",
            )
    decisions = {f"firms.{firm}.{k}" for k in ("strategy", "split", "params", "budget")}
    base = scenario.without_experiments()
    for key, values in settings.uncertainties.items():
        shown = f"{where('uncertainties')}.{key}"
        shown_value = values.model_dump() if isinstance(values, SweepRange) else values
        if key in decisions or any(key.startswith(d + ".") for d in decisions):
            raise _fail(
                shown,
                shown_value,
                f"firm {firm!r}'s plan is what is optimised; an uncertainty is what the market does (e.g. firms.rival.price, behaviours.adoption.word_of_mouth)",
            )
        if isinstance(values, list) and not values:
            raise _fail(shown, values, "give at least one value, or a range {low = ..., high = ...}")
        if isinstance(values, SweepRange):
            from sim.sensitivity import _existing_number

            _, problem = _existing_number(base, key)
            if problem:
                raise _fail(shown, shown_value, problem)
        for value in values if isinstance(values, list) else (values.low, values.high):
            try:
                base.with_overrides({key: value})
            except ScenarioError as error:
                message = str(error).removeprefix(f"{scenario.source or '<scenario>'}: ")
                raise _fail(shown, shown_value, f"at {value!r}: {message}") from None  # fmt: skip


def check_metrics(scenario: Scenario, settings: OptimiseConfig, cli: frozenset[str] = frozenset()) -> None:
    """Objectives and constrained outcomes must be per-firm scalar metrics of the summary."""
    from sim.sensitivity import probe_metrics

    known = probe_metrics(scenario)[0]
    source = scenario.source or scenario.name
    for name, metrics in (("objectives", settings.objectives), ("constraints", list(settings.constraints))):
        for metric in metrics:
            if metric not in known:
                raise _fail(
                    _where(source, name, cli),
                    metric,
                    f"not a per-firm metric; allowed: {', '.join(known)}",
                )
    if len(set(settings.objectives)) != len(settings.objectives):
        raise _fail(_where(source, "objectives", cli), settings.objectives, "name each objective once")


# --------------------------------------------------------------------------- runs and scores


def market_scenarios(
    uncertainties: Mapping[str, list[Any] | SweepRange], samples: int, seed: int
) -> list[dict[str, Any]]:
    """The markets a plan is scored on: the nominal market (no overrides) first, then every
    combination of listed values, or, when a range is given, ``samples`` Latin-hypercube points
    (a listed uncertainty then takes its values in turn along its own column of the design).

    Example:
        >>> market_scenarios({"firms.rival.price": [30, 40]}, 8, seed=1)
        [{}, {'firms.rival.price': 30}, {'firms.rival.price': 40}]
    """
    import itertools

    if not uncertainties:
        return [{}]
    keys = list(uncertainties)
    if all(isinstance(v, list) for v in uncertainties.values()):
        combos = itertools.product(*uncertainties.values())
        return [{}, *(dict(zip(keys, combo, strict=True)) for combo in combos)]
    from scipy.stats import qmc

    unit = qmc.LatinHypercube(d=len(keys), seed=seed).random(samples)
    points = []
    for row in unit:
        point = {}
        for key, u in zip(keys, row, strict=True):
            values = uncertainties[key]
            if isinstance(values, list):
                point[key] = values[min(int(u * len(values)), len(values) - 1)]
            else:
                point[key] = float(values.low + u * (values.high - values.low))
        points.append(point)
    return [{}, *points]


def _direction(metric: str) -> str:
    from sim.experiments import lower_is_better

    return "minimize" if lower_is_better(metric) else "maximize"


def _better(metric: str, a: float, b: float) -> bool:
    return a < b if _direction(metric) == "minimize" else a > b


def downside_of(metric: str, values: Sequence[float], quantile: float) -> float:
    """The bad tail across markets: the worst value (``quantile`` 0) or the ``quantile`` on the
    bad side (lower for a metric where higher is better, upper where lower is better).

    Example:
        >>> downside_of("profit", [5.0, 1.0, 3.0], 0.0), downside_of("cac", [5.0, 1.0, 3.0], 0.0)
        (1.0, 5.0)
    """
    data = np.asarray(values, dtype=float)
    q = quantile if _direction(metric) == "maximize" else 1 - quantile
    return float(np.quantile(data, q, method="linear"))


@dataclass
class Scores:
    """A plan's metric values: ``values[metric]`` is markets x seeds (NaN where undefined)."""

    values: dict[str, np.ndarray]

    def market_means(self, metric: str) -> np.ndarray:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # an all-undefined market: NaN
            return np.nanmean(self.values[metric], axis=1)

    def mean(self, metric: str) -> float:
        means = self.market_means(metric)
        return float(means.mean()) if np.isfinite(means).all() else math.nan

    def downside(self, metric: str, quantile: float) -> float:
        means = self.market_means(metric)
        return downside_of(metric, means, quantile) if np.isfinite(means).all() else math.nan

    def score(self, metric: str, how: str, quantile: float) -> float:
        return self.downside(metric, quantile) if how == "downside" else self.mean(metric)


def _specs(label: str, scenarios: list[Scenario], seeds: list[int]) -> list[Any]:
    from sim.experiments import RunSpec

    return [RunSpec(f"{label}/market-{m}", s, seed) for m, s in enumerate(scenarios) for seed in seeds]


def _scores(results: list[Any], firm: str, metrics: Sequence[str], markets: int, seeds: int) -> Scores:
    from sim.experiments import scalar_metrics

    values = {m: np.full((markets, seeds), np.nan) for m in metrics}
    for position, result in enumerate(results):
        flat = scalar_metrics(result.summary["firms"][firm])
        for metric in metrics:
            value = flat.get(metric)
            if value is not None and math.isfinite(value):
                values[metric][position // seeds, position % seeds] = value
    return Scores(values)


def _evaluate(
    arms: Mapping[str, Mapping[str, Any]],
    base: Scenario,
    markets: list[dict[str, Any]],
    seeds: list[int],
    firm: str,
    metrics: Sequence[str],
    execution: Mapping[str, Any],
) -> dict[str, Scores]:
    """Scores of every arm (label -> dotted overrides of the firm's plan) in every market on
    every seed, in one call of the executor."""
    from sim.experiments import execute

    specs = []
    for label, overrides in arms.items():
        scenarios = [base.with_overrides({**market, **overrides}) for market in markets]
        specs += _specs(label, scenarios, seeds)
    results = execute(specs, keep_timeseries=False, **execution) if specs else []
    per_arm = len(markets) * len(seeds)
    return {
        label: _scores(results[i * per_arm : (i + 1) * per_arm], firm, metrics, len(markets), len(seeds))
        for i, label in enumerate(arms)
    }


# --------------------------------------------------------------------------- the search


@dataclass
class Optimisation:
    """What :func:`optimise` returns.

    Attributes:
        best: the best feasible plan (single objective), or the Pareto plan nearest the ideal
            point (several objectives); None when no candidate met the constraints.
        scenario: the scenario with the best plan written in (None without a best plan).
        info: the ``optimisation.json`` dict.
        invocation: the call and its start, for the manifest.
        trace: one row per candidate: ``trial``, ``batch``, ``origin`` (warm start or sampler),
            the plan (``share_<lever>``, ``unspent``, ``budget``, ``start_<lever>``), each
            objective's score, ``mean_`` and ``downside_`` per metric, ``feasible``, ``pareto``.
        references: one row per reference strategy with the same score columns (search seeds).
    """

    best: Plan | None
    scenario: Scenario | None
    info: dict[str, Any]
    trace: pd.DataFrame
    references: pd.DataFrame
    invocation: Invocation | None = None


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


def _violations(metric_values: Mapping[str, float], constraints: Mapping[str, Any]) -> list[float]:
    """Per constraint: <= 0 when met, else by how much it is missed (1e12 when undefined)."""
    out = []
    for metric, bound in constraints.items():
        value = metric_values.get(metric, math.nan)
        if not math.isfinite(value):
            out.append(1e12)
            continue
        miss = 0.0
        if bound.min is not None:
            miss = max(miss, bound.min - value)
        if bound.max is not None:
            miss = max(miss, value - bound.max)
        out.append(miss if miss > 0 else -1.0)
    return out


def pareto_mask(points: np.ndarray, minimise: Sequence[bool]) -> np.ndarray:
    """Which rows are not dominated (rows with a NaN never are on the front).

    Example:
        >>> pareto_mask(np.array([[1.0, 5.0], [2.0, 4.0], [1.5, 3.0]]), [False, False]).tolist()
        [True, True, False]
    """
    signed = np.where(np.asarray(minimise), -1.0, 1.0) * points  # larger is better on every axis
    ok = np.isfinite(signed).all(axis=1)
    mask = np.zeros(len(points), dtype=bool)
    for i in np.flatnonzero(ok):
        others = signed[ok]
        dominated = ((others >= signed[i]).all(axis=1) & (others > signed[i]).any(axis=1)).any()
        mask[i] = not dominated
    return mask


def optimise(
    scenario: Scenario, firm: str | None = None, settings: Mapping[str, Any] | None = None, **execution: Any
) -> Optimisation:
    """Search ``firm``'s budget plan for the best objective(s) under the constraints.

    Args:
        scenario: a validated scenario (its ``[optimise]`` table, if any, gives the settings).
        firm: the firm whose plan is optimised (default: the table's, else the first firm).
        settings: settings replacing the table's (the fields of :class:`sim.scenario.OptimiseConfig`:
            ``objectives``, ``levers``, ``shares``, ``trials``, ``runs``, ...).
        **execution: ``out`` (run cache: a rerun resumes), ``jobs``, ``cluster``, ``progress`` as in
            :func:`sim.experiments.execute`.

    Example:
        >>> from sim import load_scenario
        >>> s = load_scenario("scenarios/conquest_vs_relations.toml", {"market.size": 300, "run.weeks": 8})
        >>> result = optimise(s, "us", {"trials": 4, "runs": 2, "confirm_runs": 2}, jobs=1)  # doctest: +SKIP
    """
    invocation = Invocation.api("sim.optimise.optimise", firm=firm, settings=settings, **execution)
    with contextlib.ExitStack() as stack:
        result = _optimise(scenario, firm, settings, _workers(stack, execution))
    result.invocation = invocation
    return result


def _workers(stack: contextlib.ExitStack, execution: dict[str, Any]) -> dict[str, Any]:
    """Start the processes once for the whole search: a shared process pool, or one local Dask
    cluster whose address every batch then uses (``cluster="local"`` would start one per batch)."""
    from sim.experiments import shared_pool

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

    from sim.experiments import config_hash, seeds_for

    started = time.perf_counter()
    given = dict(settings or {})
    if firm is not None:
        given["firm"] = firm
    settings_ = resolve_settings(scenario, given)
    cli = frozenset(k for k, v in given.items() if v is not None)
    check_metrics(scenario, settings_, cli)
    firm = settings_.firm or scenario.firm_names[0]
    progress = bool(execution.pop("progress", False))
    seed = scenario.run.seed if settings_.seed is None else settings_.seed
    objectives = list(settings_.objectives)
    metrics = list(dict.fromkeys([*objectives, *settings_.constraints, *TRACE_METRICS]))
    space = plan_space(scenario, settings_, firm)
    base = scenario.without_experiments()
    markets = market_scenarios(settings_.uncertainties, settings_.market_scenarios, seed)
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
    report(f"{len(reference_arms)} reference strategies x {len(markets)} market(s) x {len(seeds)} seeds")
    reference_scores = _evaluate(reference_arms, base, markets, seeds, firm, metrics, execution)
    references = pd.DataFrame([{"strategy": name, **score_row(s)} for name, s in reference_scores.items()])

    # The search.
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        study = optuna.create_study(
            directions=[_direction(m) for m in objectives],
            sampler=_sampler(settings_, seed),
        )
    from sim.strategies.base import resolve_strategy_class

    starts: dict[str, dict[str, float]] = {}
    if _is_static(base, firm):  # the file's own fixed split (or its strategy's default one)
        config = base.firms[firm]
        starts["file"] = dict(resolve_strategy_class(config.strategy)(config.split, **config.params).split)
    for name in STATIC_REFERENCES:
        starts[name] = dict(resolve_strategy_class(name).default_split)
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
        scores = _evaluate(arms, base, markets, seeds, firm, metrics, execution)
        for trial, plan in zip(asked, batch_plans, strict=True):
            row = score_row(scores[f"trial-{trial.number}"])
            values = [row[m] for m in objectives]
            violations = _violations(
                {m: row_value(row, m, how) for m in settings_.constraints}, settings_.constraints
            )
            for metric, violation in zip(settings_.constraints, violations, strict=True):
                trial.set_constraint(metric, violation)
            origin = next((name for name, p in warm if p == trial.params), "sampler")
            record = {"trial": trial.number, "batch": len(rows) // max(settings_.batch, 1), "origin": origin}
            record.update({f"share_{k}": plan.shares.get(k, 0.0) for k in space.levers})
            record["unspent"] = plan.unspent
            record["budget"] = plan.budget
            record.update({f"start_{k}": w for k, w in plan.starts.items()})
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
            report(
                f"{len(rows)} of {settings_.trials} candidates, best {objectives[0]} {best_row[objectives[0]]:,.4g}"
            )
        else:
            report(f"{len(rows)} of {settings_.trials} candidates, {len(feasible)} feasible")

    trace = pd.DataFrame(rows)
    feasible_rows = trace[trace["feasible"]]
    minimise = [_direction(m) == "minimize" for m in objectives]
    front = np.zeros(len(trace), dtype=bool)
    if len(feasible_rows):
        front[feasible_rows.index] = pareto_mask(feasible_rows[objectives].to_numpy(dtype=float), minimise)
    trace["pareto"] = front
    best_index = _choose(trace, objectives, minimise)
    best = plans[best_index] if best_index is not None else None

    info: dict[str, Any] = {
        "scenario": scenario.name,
        "source": scenario.source,
        "firm": firm,
        "objectives": {m: _direction(m) for m in objectives},
        "settings": settings_.model_dump(mode="json"),
        "sampler": settings_.sampler,
        "seeds": seeds,
        "markets": markets,
        "scored_on": how if robust else "mean (one market)",
        "downside": "worst market" if q == 0 else f"{q:g}-quantile of the markets",
        "levers": list(space.levers),
        "trials": len(trace),
        "feasible": int(trace["feasible"].sum()),
        "hash": config_hash(base),
        "references_search": references.to_dict(orient="records"),
    }
    plan_scenario = None
    if best is not None:
        plan_scenario = base.with_overrides(best.overrides(firm))
        info["best"] = {
            "trial": int(trace.loc[best_index, "trial"]),
            "origin": trace.loc[best_index, "origin"],
            "plan": _plan_dict(best),
            "search": {m: float(trace.loc[best_index, m]) for m in objectives},
        }
        if len(objectives) > 1:
            info["pareto_front"] = [
                {
                    "trial": int(trace.loc[i, "trial"]),
                    "plan": _plan_dict(plans[i]),
                    **{m: float(trace.loc[i, m]) for m in objectives},
                }
                for i in np.flatnonzero(front)
            ]
        if robust:
            info["robust"] = _robust_choices(trace, plans, objectives[0], q)
        confirm_seeds = seeds_for(scenario, settings_.confirm_runs, seed + settings_.runs)
        report(
            f"confirming the best plan against {len(reference_arms)} references on "
            f"{len(confirm_seeds)} fresh seeds x {len(markets)} market(s)"
        )
        arms = {"best": best.overrides(firm), **reference_arms}
        confirmed = _evaluate(arms, base, markets, confirm_seeds, firm, metrics, execution)
        info["confirmation"] = _confirmation(confirmed, objectives, how, q, confirm_seeds, seed)
    else:
        info["best"] = None
        info["note"] = "no candidate met the constraints; relax them or search longer. " + _closest(
            trace, settings_.constraints, how
        )
    info["seconds"] = round(time.perf_counter() - started, 1)
    return Optimisation(best, plan_scenario, info, trace, references)


def _closest(trace: pd.DataFrame, constraints: Mapping[str, Any], how: str) -> str:
    """Per constrained outcome, the best value any candidate reached, to show how far off it is."""
    parts = []
    for metric, bound in constraints.items():
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
    from sim.strategies.base import resolve_strategy_class

    cls = resolve_strategy_class(scenario.firms[firm].strategy)
    return cls.allocate is Strategy.allocate and not scenario.firms[firm].params


def _best_single(rows: Sequence[Mapping[str, Any]], metric: str) -> Mapping[str, Any]:
    best = rows[0]
    for row in rows[1:]:
        if _better(metric, row[metric], best[metric]):
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


def _plan_dict(plan: Plan) -> dict[str, Any]:
    return {
        "shares": {k: v for k, v in plan.shares.items() if v > 0},
        "unspent": plan.unspent,
        "budget": plan.budget,
        "start_weeks": dict(plan.starts),
        "summary": plan.describe(),
    }


def _robust_choices(trace: pd.DataFrame, plans: list[Plan], metric: str, q: float) -> dict[str, Any]:
    """The plan best on the mean across markets and the plan best on the downside."""
    feasible = trace[trace["feasible"]]
    out = {}
    for how in ("mean", "downside"):
        column = f"{how}_{metric}"
        values = feasible[column].to_numpy(dtype=float)
        position = int(np.argmin(values) if _direction(metric) == "minimize" else np.argmax(values))
        index = int(feasible.index[position])
        out[f"best_on_{how}"] = {
            "trial": int(trace.loc[index, "trial"]),
            "plan": _plan_dict(plans[index]),
            "mean": float(trace.loc[index, f"mean_{metric}"]),
            "downside": float(trace.loc[index, f"downside_{metric}"]),
        }
    out["metric"] = metric
    out["downside"] = "worst market" if q == 0 else f"{q:g}-quantile of the markets"
    return out


def _confirmation(
    confirmed: dict[str, Scores], objectives: list[str], how: str, q: float, seeds: list[int], seed: int
) -> dict[str, Any]:
    """The best plan and each reference on fresh seeds: each objective's score with a 95% CI and
    the paired difference best - reference with its 95% CI and the probability the plan is better.

    With one market, or scored on the mean across markets, a seed's value is its mean over the
    markets and the intervals are t intervals over the seeds (as in ``sim compare``). Scored on
    the downside, the intervals come from a paired bootstrap over the seeds (2,000 resamples):
    each resample recomputes every market's mean and then the downside.
    """
    from sim.experiments import mean_ci, paired_difference

    out: dict[str, Any] = {
        "seeds": seeds,
        "method": "t" if how == "mean" else "paired bootstrap",
        "metrics": {},
    }
    rng = np.random.default_rng(seed)
    resamples = rng.integers(0, len(seeds), size=(2000, len(seeds)))
    for metric in objectives:
        block: dict[str, Any] = {"direction": _direction(metric), "arms": {}, "differences": {}}
        for label, scores in confirmed.items():
            values = scores.values[metric]
            if how == "mean":
                mean, interval = mean_ci(_per_seed(values))
            else:
                mean = scores.downside(metric, q)
                boot = _boot_downsides(values, metric, q, resamples).tolist()
                interval = _percentile_interval(boot)
                mean = None if not math.isfinite(mean) else mean
            block["arms"][label] = {"mean": mean, "ci95": interval}
        plan = confirmed["best"].values[metric]
        for label, scores in confirmed.items():
            if label == "best":
                continue
            other = scores.values[metric]
            if how == "mean":
                block["differences"][label] = paired_difference(
                    list(_per_seed(other)), list(_per_seed(plan)), metric
                )
                continue
            diffs = (
                _boot_downsides(plan, metric, q, resamples) - _boot_downsides(other, metric, q, resamples)
            ).tolist()
            point = confirmed["best"].downside(metric, q) - scores.downside(metric, q)
            finite = [d for d in diffs if math.isfinite(d)]
            sign = -1.0 if _direction(metric) == "minimize" else 1.0
            block["differences"][label] = {
                "mean": point if math.isfinite(point) else None,
                "ci95": _percentile_interval(diffs),
                "prob_better": float(np.mean([sign * d > 0 for d in finite])) if finite else None,
            }
        out["metrics"][metric] = block
    return out


def _per_seed(values: np.ndarray) -> list[float | None]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        means = np.nanmean(values, axis=0)
    return [float(v) if math.isfinite(v) else None for v in means]


def _boot_downsides(values: np.ndarray, metric: str, q: float, resamples: np.ndarray) -> np.ndarray:
    """The downside of ``values`` (markets x seeds) for each bootstrap resample of the seeds (rows
    of ``resamples``), in one vectorised pass; NaN where a market has no defined value."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        means = np.nanmean(values[:, resamples], axis=2)  # markets x resamples
    side = q if _direction(metric) == "maximize" else 1 - q
    out = np.quantile(means, side, axis=0, method="linear")
    out[~np.isfinite(means).all(axis=0)] = np.nan
    return out


def _percentile_interval(values: Sequence[float]) -> list[float] | None:
    finite = np.array([v for v in values if math.isfinite(v)], dtype=float)
    if finite.size < 2:
        return None
    return [float(np.percentile(finite, 2.5)), float(np.percentile(finite, 97.5))]


# --------------------------------------------------------------------------- outputs


LABELS = {
    "profit": "profit (currency, margin - spend)",
    "customer_equity": "customer equity at the end (currency, net of retention cost, discounted)",
    "total_value": "discounted profit + discounted customer equity (currency)",
    "customers_end": "customers at the end (people)",
    "retention_yearly": "retention per year (share)",
    "cac": "CAC, acquisition-only (currency per customer won)",
    "cac_fully_loaded": "CAC, fully loaded (currency per customer won)",
    "ltv": "LTV gross per customer won (currency)",
    "ltv_net": "LTV net of retention cost per customer won (currency)",
    "ltv_cac": "LTV gross / acquisition-only CAC",
    "ltv_net_cac_fully_loaded": "LTV net / fully loaded CAC",
}


def search_figure(result: Optimisation) -> Figure:
    """The trace of the search: each candidate's score of the (first) objective by trial, the best
    feasible so far, and the reference strategies as horizontal lines.

    Example:
        >>> figure = search_figure(optimise(scenario, "us"))  # doctest: +SKIP
    """
    import matplotlib.pyplot as plt
    from matplotlib.ticker import StrMethodFormatter

    from sim.plots import PALETTE

    info, trace = result.info, result.trace
    metric = next(iter(info["objectives"]))
    minimise = info["objectives"][metric] == "minimize"
    figure, axis = plt.subplots(figsize=(9.5, 5.2), layout="constrained")
    feasible = trace[trace["feasible"]]
    missed = trace[~trace["feasible"]]
    warm = feasible[feasible["origin"] != "sampler"]
    axis.scatter(feasible["trial"], feasible[metric], s=18, color="#7f7f7f", label="candidate plan")
    if len(missed):
        axis.scatter(missed["trial"], missed[metric], s=18, facecolors="none", edgecolors="#7f7f7f",
                     label="missed a constraint")  # fmt: skip
    if len(warm):
        axis.scatter(warm["trial"], warm[metric], s=40, marker="D", color=PALETTE[4],
                     label="warm start (a static built-in split)")  # fmt: skip
    values = trace[metric].where(trace["feasible"]).to_numpy(dtype=float)
    running = pd.Series(values).cummin() if minimise else pd.Series(values).cummax()
    axis.step(trace["trial"], running, where="post", color=PALETTE[0], linewidth=2, label="best so far")
    for k, (_, row) in enumerate(result.references.iterrows()):
        if math.isfinite(row[metric]):
            colour = PALETTE[2 + k % (len(PALETTE) - 2)]
            axis.axhline(row[metric], color=colour, linestyle="--", linewidth=1)
            axis.annotate(row["strategy"], (0, row[metric]), xycoords=("axes fraction", "data"),
                          xytext=(2, 2), textcoords="offset points", fontsize=8, color=colour)  # fmt: skip
    axis.set_xlabel("candidate (trial number, in the order asked)")
    if np.nanmax(np.abs(trace[metric].to_numpy(dtype=float))) >= 1000:
        axis.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    how = "" if info["scored_on"].startswith("mean (one") else f", {info['scored_on']} across markets"
    axis.set_ylabel(f"{LABELS.get(metric, metric)}{how}")
    axis.grid(alpha=0.3)
    axis.legend(fontsize=8, loc="lower right" if not minimise else "upper right")
    references = result.references.set_index("strategy")[metric].dropna()
    if info.get("best") is not None and len(references):
        best_reference = references.idxmin() if minimise else references.idxmax()
        axis.set_title(
            textwrap.fill(
                f"Search for the plan of firm {info['firm']!r}: {metric} {_number(info['best']['search'][metric])} "
                f"against {_number(references[best_reference])} for the best built-in ({best_reference}), "
                f"{info['trials']} candidates on seeds {info['seeds'][0]}-{info['seeds'][-1]}",
                95,
            ),
            fontsize=10,
        )
    return figure


def _number(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "n/a"
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3g}"


def _pareto(result: Optimisation) -> Figure:
    from sim.plots import pareto_figure

    info = result.info
    metrics = list(info["objectives"])
    minimise = [d == "minimize" for d in info["objectives"].values()]
    chosen = int(result.trace.index[result.trace["trial"] == info["best"]["trial"]][0])
    return pareto_figure(
        result.trace, metrics, minimise, result.references, chosen, LABELS,
        f"Pareto front of the plans of firm {info['firm']!r} in {info['scenario']!r}: no plan on the front can "
        f"improve one objective without losing on another\n{info['trials']} candidates on seeds "
        f"{info['seeds'][0]}-{info['seeds'][-1]}; built-in strategies placed on the same seeds; star: the "
        "plan nearest the ideal point",
    )  # fmt: skip


def _robustness(result: Optimisation) -> Figure:
    """The target metric's mean across markets against its downside, for every candidate."""
    from sim.plots import pareto_figure

    info = result.info
    metric = info["robust"]["metric"]
    minimise = info["objectives"][metric] == "minimize"
    columns = [f"mean_{metric}", f"downside_{metric}"]
    table = result.trace.copy()
    table["pareto"] = False
    feasible = table[table["feasible"]]
    table.loc[feasible.index, "pareto"] = pareto_mask(feasible[columns].to_numpy(dtype=float), [minimise] * 2)
    chosen = int(table.index[table["trial"] == info["robust"]["best_on_downside"]["trial"]][0])
    labels = {
        columns[0]: f"mean {metric} over the markets",
        columns[1]: f"{metric} in the {info['downside']}",
    }
    return pareto_figure(
        table, columns, [minimise] * 2, result.references, chosen, labels,
        f"Robustness of the plans of firm {info['firm']!r} across {len(info['markets'])} markets: the star is "
        f"the plan best in the {info['downside']}; the front trades the average market against the bad one",
    )  # fmt: skip


def write_optimisation(
    result: Optimisation,
    out: str | os.PathLike[str],
    figures: bool = True,
    invocation: Invocation | None = None,
) -> Path:
    """``optimisation.json``, ``trace.parquet`` and ``trace.csv`` (every candidate),
    ``references.csv``, ``best.toml`` (the scenario with the best plan written in; ``sim run``
    and :func:`sim.load_scenario` read it), ``figures/`` (search, Pareto, robustness) and
    ``manifest.json`` (``invocation``, e.g. the command line, replaces the result's own).

    Example:
        >>> write_optimisation(optimise(scenario, "us"), "results/cvr/optimise")  # doctest: +SKIP
    """
    from sim import __version__
    from sim.results import atomic_write, save_figure, write_json

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    info = result.info
    write_json(out / "optimisation.json", {**_json_safe(info), "version": __version__})
    atomic_write(out / "trace.parquet", lambda p: result.trace.to_parquet(p, index=False))
    atomic_write(out / "trace.csv", lambda p: result.trace.to_csv(p, index=False))
    atomic_write(out / "references.csv", lambda p: result.references.to_csv(p, index=False))
    if result.scenario is not None:
        best = info["best"]
        objectives = ", ".join(f"{m} {_number(v)}" for m, v in best["search"].items())
        header = [
            f"# Best plan for firm {info['firm']!r} found by `sim optimise` ({info['trials']} candidates x "
            f"{len(info['seeds'])} seeds x {len(info['markets'])} market(s); {objectives} on the search seeds).",
            f"#   {best['plan']['summary']}",
            "# Run it: sim run <this file>   (the plan is the strategy sim.optimise:BudgetPlan)",
        ]
        text = "\n".join(header) + "\n" + result.scenario.to_toml()
        atomic_write(out / "best.toml", lambda p: p.write_text(text))
    if figures and len(result.trace):
        save_figure(out / "figures" / "search.png", search_figure(result))
        if len(info["objectives"]) > 1 and result.scenario is not None:
            save_figure(out / "figures" / "pareto.png", _pareto(result))
        if "robust" in info:
            save_figure(out / "figures" / "robustness.png", _robustness(result))
    seeds = [*info["seeds"], *info.get("confirmation", {}).get("seeds", [])]  # search, then fresh
    write_manifest(out, info, seeds, invocation or result.invocation)
    return out


def _json_safe(value: Any) -> Any:
    """NaN and infinity to None (JSON has neither), NumPy scalars to Python ones."""
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _signed(value: float | None) -> str:
    if value is None:
        return "n/a"
    return ("+" if value >= 0 else "-") + _number(abs(value))


def format_optimisation(result: Optimisation) -> str:
    """The best plan, its objective(s) on fresh seeds with 95% CIs, the paired improvement over
    each reference strategy, the Pareto front and the robust choice, as text.

    Example:
        >>> print(format_optimisation(optimise(scenario, "us")))  # doctest: +SKIP
    """
    info = result.info
    objectives = list(info["objectives"])
    seeds = info["seeds"]
    warm = sorted(set(result.trace["origin"]) - {"sampler"})
    lines = [
        f"Optimised plan for firm {info['firm']!r} in {info['scenario']!r}: "
        + ", ".join(f"{m} ({'lower' if d == 'minimize' else 'higher'} is better)" for m, d in info["objectives"].items()),
        f"{info['trials']} candidates ({info['sampler']}; warm starts: {', '.join(warm) or 'none'}) x {len(seeds)} "
        f"seeds ({seeds[0]}-{seeds[-1]}) x {len(info['markets'])} market(s); {info['feasible']} met the constraints",
    ]  # fmt: skip
    constraints = info["settings"]["constraints"]
    if info.get("best") is None:
        return "\n".join([*lines, "", info.get("note", "no plan found")])
    best = info["best"]
    plan = best["plan"]
    budget = plan["budget"]
    lines += ["", f"Best plan (trial {best['trial']}, {best['origin']}): {budget:,.0f} per week"]
    rows = [
        [k, f"{v:.1%}", f"{v * budget:,.0f}"]
        for k, v in sorted(plan["shares"].items(), key=lambda kv: -kv[1])
    ]
    if plan["unspent"] > 0:
        rows.append(["(unspent)", f"{plan['unspent']:.1%}", f"{plan['unspent'] * budget:,.0f}"])
    for lever, week in plan["start_weeks"].items():
        rows.append([f"{lever} starts in week", str(week), ""])
    lines += ["  " + line for line in _table(["lever", "share", "per week"], rows)]
    if constraints:
        row = result.trace[result.trace["trial"] == best["trial"]].iloc[0]
        how = "downside" if info["scored_on"] == "downside" else "mean"
        met = [
            f"{m} {'>= ' + format(b['min'], 'g') if b.get('min') is not None else ''}"
            f"{' and ' if b.get('min') is not None and b.get('max') is not None else ''}"
            f"{'<= ' + format(b['max'], 'g') if b.get('max') is not None else ''}: {_number(row[f'{how}_{m}'])}"
            for m, b in constraints.items()
        ]
        lines.append("constraints met (search seeds): " + "; ".join(met))
    confirmation = info["confirmation"]
    fresh = confirmation["seeds"]
    score = "" if info["scored_on"].startswith("mean (one") else f", {info['scored_on']} across the markets"
    lines += [
        "",
        f"On {len(fresh)} fresh seeds ({fresh[0]}-{fresh[-1]}){score}: "
        + (
            "mean [95% CI]"
            if confirmation["method"] == "t"
            else "value [95% CI, paired bootstrap over the seeds]"
        ),
    ]
    labels = list(confirmation["metrics"][objectives[0]]["arms"])
    body = []
    for label in labels:
        cells = []
        for metric in objectives:
            arm = confirmation["metrics"][metric]["arms"][label]
            interval = arm["ci95"]
            cells.append(
                _number(arm["mean"])
                + (f" [{_number(interval[0])}, {_number(interval[1])}]" if interval else "")
            )
        body.append(["best plan" if label == "best" else label, *cells])
    lines += ["  " + line for line in _table(["strategy", *objectives], body)]
    lines += [
        "",
        "Improvement of the best plan over each reference, paired by seed: difference [95% CI], P(plan better)",
    ]
    body = []
    for label in labels[1:]:
        cells = []
        for metric in objectives:
            d = confirmation["metrics"][metric]["differences"][label]
            if d["mean"] is None:
                cells.append("n/a")
                continue
            interval = d["ci95"]
            text = _signed(d["mean"]) + (
                f" [{_signed(interval[0])}, {_signed(interval[1])}]" if interval else ""
            )
            cells.append(f"{text}, {100 * d['prob_better']:.0f}%" if d["prob_better"] is not None else text)
        body.append([label, *cells])
    lines += ["  " + line for line in _table(["over", *objectives], body)]
    if "pareto_front" in info:
        lines += [
            "",
            f"Pareto front ({len(info['pareto_front'])} plans, search seeds; * = the best plan above):",
        ]
        front = sorted(info["pareto_front"], key=lambda p: p[objectives[0]])
        body = [
            [("* " if p["trial"] == best["trial"] else "  ") + str(p["trial"]), *(_number(p[m]) for m in objectives),
             textwrap.shorten(p["plan"]["summary"], 70)]
            for p in front
        ]  # fmt: skip
        plan_column = frozenset({0, len(objectives) + 1})
        lines += ["  " + line for line in _table(["trial", *objectives, "plan"], body, plan_column)]
    if "robust" in info:
        robust = info["robust"]
        lines += [
            "",
            f"Robustness across {len(info['markets'])} markets ({robust['downside']} as the downside):",
        ]
        for index, market in enumerate(info["markets"]):
            shown = (
                ", ".join(f"{k} = {_short(v)}" for k, v in market.items())
                or "nominal (the scenario as it is)"
            )
            lines.append(f"  market {index}: {shown}")
        for how in ("downside", "mean"):
            choice = robust[f"best_on_{how}"]
            lines.append(
                f"  best on the {how}: trial {choice['trial']}, mean {_number(choice['mean'])}, "
                f"downside {_number(choice['downside'])}: {textwrap.shorten(choice['plan']['summary'], 80)}"
            )
    return "\n".join(lines)


def _short(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _table(header: list[str], body: list[list[str]], left: frozenset[int] = frozenset({0})) -> list[str]:
    """Aligned columns: the ``left`` ones to the left, the rest (numbers) to the right."""
    widths = [max(len(row[i]) for row in [header, *body]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        return "  ".join(
            c.ljust(widths[i]) if i in left else c.rjust(widths[i]) for i, c in enumerate(cells)
        ).rstrip()

    return [line(header), "  ".join("-" * w for w in widths), *(line(row) for row in body)]
