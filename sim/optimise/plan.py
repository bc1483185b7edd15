"""The plan space of ``sim optimise``: what a plan may choose, and the plan as a strategy.

Owns :class:`BudgetPlan` (the strategy a plan runs as: a fixed split of the weekly budget whose
levers may start late; ``sim.optimise:BudgetPlan`` in a written ``best.toml``), :func:`fill_shares`
(weights to shares that keep every lever's bounds and the budget by construction), :class:`Plan`
(one candidate) and :class:`PlanSpace` (the decisions a search chooses among: the levers and their
share bounds, the budget, the start weeks, the price from a week on), built from the settings'
:class:`sim.design.Decision`s and their ``budget``, ``price`` and ``price_from``.

Example:
    >>> fill_shares({"search_ads": 1.0, "loyalty_rewards": 1.0}, {"search_ads": (0.0, 0.3)}, spend_all=True)
    {'search_ads': 0.3, 'loyalty_rewards': 0.7}
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.design import OptimiseConfig
from sim.scenario import Scenario
from sim.strategies.base import Strategy
from sim.strategies.levers import LEVERS

if TYPE_CHECKING:
    from sim.agents.firm import Firm
    from sim.model import CustomerMarket

# The strategy a plan runs as, by the name a written scenario gives it (it resolves to the class
# below through the package's re-export, as best.toml files written before the package read it).
PLAN_STRATEGY = "sim.optimise:BudgetPlan"


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
    """One candidate: shares of the weekly budget by lever, the budget and the levers' start weeks,
    and, when the price is a decision, the price charged from week ``price_from`` on (before it the
    firm's list price, ``firms.<name>.price``)."""

    shares: dict[str, float]
    budget: float
    starts: dict[str, int] = field(default_factory=dict)
    price: float | None = None
    price_from: int | None = None

    @property
    def unspent(self) -> float:
        return max(0.0, round(1.0 - sum(self.shares.values()), 6))

    def overrides(self, firm: str) -> dict[str, Any]:
        """The dotted keys that put this plan into a scenario for ``firm``.

        A chosen price becomes the firm's whole ``price_path``, one point from ``price_from``: a
        price path keeps the firm's cost per purchase (that of its ``price`` and ``margin``), where
        setting ``price`` would move it.

        Example:
            >>> Plan({"search_ads": 1.0}, 500.0).overrides("us")["firms.us.strategy"]
            'sim.optimise:BudgetPlan'
            >>> Plan({"search_ads": 1.0}, 500.0, price=34.5, price_from=13).overrides("us")["firms.us.price_path"]
            [{'week': 13, 'price': 34.5}]
        """
        keys: dict[str, Any] = {
            f"firms.{firm}.strategy": PLAN_STRATEGY,
            f"firms.{firm}.split": {k: v for k, v in self.shares.items() if v > 0},
            f"firms.{firm}.params": {f"start_{k}": int(v) for k, v in self.starts.items()},
            f"firms.{firm}.budget": self.budget,
        }
        if self.price is not None:
            keys[f"firms.{firm}.price_path"] = [{"week": int(self.price_from or 1), "price": self.price}]
        return keys

    def describe(self) -> str:
        """One line: the price (when chosen), the non-zero shares, largest first, the budget and
        the start weeks.

        Example:
            >>> Plan({"search_ads": 0.5}, 300.0, price=34.5, price_from=13).describe()
            'price 34.50 from week 13; search_ads 50.0%, unspent 50.0% of 300/week'
        """
        parts = [f"{k} {v:.1%}" for k, v in sorted(self.shares.items(), key=lambda kv: -kv[1]) if v > 0]
        if self.unspent > 0:
            parts.append(f"unspent {self.unspent:.1%}")
        starts = "".join(f", {k} from week {w}" for k, w in self.starts.items() if w > 0)
        price = "" if self.price is None else f"price {self.price:.2f} from week {self.price_from or 1}; "
        return f"{price}{', '.join(parts) or 'nothing'} of {self.budget:,.0f}/week{starts}"

    def to_dict(self) -> dict[str, Any]:
        """The plan as ``optimisation.json`` records it: the non-zero shares, what stays unspent,
        the budget, the start weeks, the price and its first week (when the price is chosen) and
        the one-line summary."""
        out: dict[str, Any] = {
            "shares": {k: v for k, v in self.shares.items() if v > 0},
            "unspent": self.unspent,
            "budget": self.budget,
            "start_weeks": dict(self.starts),
        }
        if self.price is not None:
            out.update(price=self.price, price_from=int(self.price_from or 1))
        out["summary"] = self.describe()
        return out


@dataclass(frozen=True)
class PlanSpace:
    """What the search may choose: the levers and their share bounds, the budget, the start weeks,
    and the price from week ``price_from`` on (``price_range``; ``price`` is the firm's own price in
    that week, where the warm starts begin)."""

    levers: tuple[str, ...]
    bounds: dict[str, tuple[float, float]]
    spend_all: bool
    budget: float
    budget_range: tuple[float, float] | None = None
    start_weeks: dict[str, tuple[int, int]] = field(default_factory=dict)
    price_range: tuple[float, float] | None = None
    price_from: int = 1
    price: float | None = None

    def suggest(self, trial: Any) -> Plan:
        """The plan of an optuna trial (asking it for every parameter of the space)."""
        weights = {k: trial.suggest_float(f"w_{k}", 0.0, 1.0) for k in self.levers}
        unspent = 0.0 if self.spend_all else trial.suggest_float("w_unspent", 0.0, 1.0)
        budget = self.budget
        if self.budget_range is not None:
            budget = round(trial.suggest_float("budget", *self.budget_range), 2)
        starts = {k: trial.suggest_int(f"start_{k}", lo, hi) for k, (lo, hi) in self.start_weeks.items()}
        price, price_from = None, None
        if self.price_range is not None:  # in cents, as a price is quoted
            price, price_from = round(trial.suggest_float("price", *self.price_range), 2), self.price_from
        shares = fill_shares(weights, self.bounds, self.spend_all, unspent)
        return Plan(shares, budget, starts, price, price_from)

    def parameters_of(self, split: Mapping[str, float]) -> dict[str, Any] | None:
        """Optuna parameters whose plan is ``split`` (or its nearest plan within the bounds), at
        the scenario's budget, the earliest start weeks and the firm's own price in week
        ``price_from`` (within the range); None if it uses a lever outside."""
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
        if self.price_range is not None:
            own = self.price if self.price is not None else self.price_range[1]
            params["price"] = float(np.clip(own, *self.price_range))
        return params


def plan_space(scenario: Scenario, settings: OptimiseConfig, firm: str) -> PlanSpace:
    """The plan space of ``settings`` for ``firm`` (settings already checked): its decisions'
    levers and share bounds, the budget (a range, or the firm's), the start weeks, the price range
    and the week it starts (``price_from``, else the week of the firm's first ``price_path``
    point, else week 1).

    Example:
        >>> from sim import load_scenario
        >>> s = load_scenario("scenarios/conquest_vs_relations.toml")
        >>> space = plan_space(s, OptimiseConfig(decisions={"search_ads": {"share": {"high": 0.5}}}), "us")
        >>> space.levers, space.bounds, space.budget
        (('search_ads',), {'search_ads': (0.0, 0.5)}, 2000.0)
    """
    decisions = settings.decision_list()
    levers = tuple(d.lever for d in decisions)
    bounds = {d.lever: d.share for d in decisions if d.share != (0.0, 1.0)}
    budget_range = settings.budget.ends() if settings.budget is not None else None
    starts = {d.lever: d.start_week for d in decisions if d.start_week is not None}
    config = scenario.firms[firm]
    price_range = settings.price.ends() if settings.price is not None else None
    price_from = settings.price_from or (config.price_path[0].week if config.price_path else 1)
    own = config.price  # the firm's own price in week price_from: its price path's point in force
    for point in config.price_path:
        if point.week <= price_from:
            own = point.price
    return PlanSpace(
        levers, bounds, settings.spend_all, config.budget, budget_range, starts, price_range, price_from, own
    )
