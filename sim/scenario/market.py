"""The run, the market, its network and its firms: ``[run]``, ``[market]``, ``[network]``, ``[firms.<name>]``.

Owns their schema: how long and under which name a run goes, how many people the market holds,
the referral network's type and its parameters, and each firm's price, quality, budget and
strategy (a built-in name or ``"package.module:ClassName"``, resolved to check that it exists and
accepts its parameters).

Example:
    >>> RunConfig().weeks, FirmConfig().strategy, WattsStrogatz().mean_degree
    (260, 'neglect', 10)
"""

from __future__ import annotations

import datetime
from typing import Annotated, Any, Literal, Union

from pydantic import Field, field_validator, model_validator

from sim.scenario.levers import LeversConfig
from sim.scenario.responses import ResponseConfig
from sim.scenario.seeds import SeedsConfig
from sim.values import (
    MAX_BUDGET,
    MAX_DEGREE,
    MAX_PRICE,
    MAX_SEED,
    MAX_WEEKS,
    Date,
    Flag,
    Real,
    Strict,
    Whole,
    bounded,
    finite_number,
)

PLAIN_NAME_RULE = (
    "must be a plain folder name: 1-100 characters, no '/', '\\', ':', '*', '?', '\"', '<', '>', '|' "
    "or control characters, not starting with '.' or ending with '.' or a space"
)


def is_plain_name(name: str) -> bool:
    """Whether ``name`` is one folder's name on any common file system (no path, no '..').

    Example:
        >>> is_plain_name("cvr-7"), is_plain_name("../escaped"), is_plain_name("a/b")
        (True, False, False)
    """
    return (
        0 < len(name) <= 100
        and not name.startswith(".")
        and not name.endswith((".", " "))
        and not any(c in '/\\:*?"<>|' or ord(c) < 32 or ord(c) == 127 for c in name)
    )


# --------------------------------------------------------------------------- run, market, network


class RunConfig(Strict):
    name: str | None = None  # defaults to the scenario file's stem; results go to results/<name>/
    weeks: Whole = Field(260, ge=1, le=MAX_WEEKS)  # simulated weeks (52 per year)
    seed: Whole = Field(1, ge=0, le=MAX_SEED)  # replicate seed; `sim run --seed` overrides it
    discount_rate: Real = Field(0.10, ge=0, lt=1)  # per year, for lifetime value
    record_transactions: Flag = False  # keep one row per buyer and week (sim/transactions.py)
    start_date: Date = datetime.date(2026, 1, 5)  # calendar date of week 0 (a Monday)

    @field_validator("name")
    @classmethod
    def _plain_folder_name(cls, value: str | None) -> str | None:
        # The name becomes a folder under results/: "../x" or "/tmp/x" would write elsewhere.
        if value is not None and not is_plain_name(value):
            raise ValueError(PLAIN_NAME_RULE)
        return value


MAX_SIMULATED = 100_000_000  # people one run simulates, at most (memory and the money limits of sim.values)
MAX_MARKET = 10_000_000_000  # people a real market holds, at most (more than live on Earth)


class MarketConfig(Strict):
    size: Whole = Field(10_000, ge=2, le=MAX_MARKET)  # people in the real addressable market
    # People simulated, each standing for size / simulated real people (population scaling,
    # docs/model.md "Population scaling"); None: every real person is simulated (scale 1).
    simulated: Whole | None = Field(None, ge=2, le=MAX_SIMULATED)
    initial_awareness: Real = Field(0.3, ge=0, le=1)  # share of prospects aware of each firm
    in_market_rate: Real = Field(0.05, ge=0, le=1)  # share searching each week, without a buying cycle
    # The quality people require, relative to the start (an expectations event moves it): a good
    # experience pulls satisfaction toward quality / expectation_level, so 1.1 makes the same
    # service 10% less satisfying.
    expectation_level: Real = Field(1.0, gt=0, le=100)
    # How much people buy, relative to normal (a downturn lowers it): every purchase rate x this.
    demand_level: Real = Field(1.0, ge=0, le=100)

    @model_validator(mode="after")
    def _simulated_within_size(self) -> MarketConfig:
        if self.simulated is not None and self.simulated > self.size:
            raise ValueError(
                f"simulated = {self.simulated}: must be at most market.size = {self.size} "
                "(each simulated person stands for size / simulated >= 1 real people)"
            )
        if self.simulated is None and self.size > MAX_SIMULATED:
            raise ValueError(
                f"size = {self.size}: more than {MAX_SIMULATED:,} people cannot be simulated one for "
                "one; set market.simulated (e.g. 1000000) to simulate a sample that stands for them"
            )
        return self

    @property
    def people(self) -> int:
        """How many people the model simulates: ``simulated``, else ``size``.

        Example:
            >>> MarketConfig(size=20_000_000, simulated=200_000).people, MarketConfig(size=500).people
            (200000, 500)
        """
        return self.size if self.simulated is None else self.simulated

    @property
    def scale(self) -> float:
        """Real people per simulated person (``size / simulated``; 1.0 when not scaled). A count
        in real people (a seed count, a response's people a week) becomes ``count / scale``
        simulated people; the model's counts and money come out x ``scale`` (:mod:`sim.scaling`).

        Example:
            >>> MarketConfig(size=20_000_000, simulated=200_000).scale, MarketConfig().scale
            (100.0, 1.0)
        """
        return self.size / self.people


class WattsStrogatz(Strict):
    type: Literal["watts_strogatz"] = "watts_strogatz"
    mean_degree: Whole = Field(10, ge=2, le=MAX_DEGREE)  # k: ring neighbours before rewiring (even)
    rewire: Real = Field(0.1, ge=0, le=1)  # probability each tie is rewired

    @field_validator("mean_degree")
    @classmethod
    def _even(cls, value: int) -> int:
        if value % 2:
            raise ValueError(f"must be even (each person links to k/2 neighbours on each side), got {value}")
        return value


class BarabasiAlbert(Strict):
    type: Literal["barabasi_albert"]
    attach: Whole = Field(5, ge=1, le=MAX_DEGREE // 2)  # m: ties each newcomer makes (mean degree ~ 2m)


class ErdosRenyi(Strict):
    type: Literal["erdos_renyi"]
    mean_degree: Real = Field(10.0, gt=0, le=MAX_DEGREE)  # expected ties per person


class PowerlawCluster(Strict):
    type: Literal["powerlaw_cluster"]
    attach: Whole = Field(5, ge=1, le=MAX_DEGREE // 2)  # m, as in Barabasi-Albert
    triangle: Real = Field(0.3, ge=0, le=1)  # probability of closing a triangle


class Complete(Strict):
    type: Literal["complete"]  # mean field: neighbour share equals market share, no ties stored


class EdgeList(Strict):
    type: Literal["edge_list"]
    path: str  # file of "a b" person pairs (0-based), relative to the scenario file


class RandomRegular(Strict):
    type: Literal["random_regular"]
    degree: Whole = Field(10, ge=0, le=MAX_DEGREE)  # ties of every person (degree x market.size even)


class DegreeDistribution(Strict):
    """The distribution a configuration model's degrees are drawn from, one per person."""

    dist: Literal["poisson", "powerlaw", "lognormal"]
    mean: Real | None = Field(None, gt=0, le=MAX_DEGREE)  # poisson, lognormal: mean degree
    cv: Real | None = Field(None, gt=0, le=10)  # lognormal: coefficient of variation
    exponent: Real | None = Field(None, gt=1, le=10)  # powerlaw: P(k) ~ k^-exponent
    min: Whole | None = Field(None, ge=1)  # powerlaw: least degree (default 1)
    max: Whole | None = Field(None, ge=1)  # powerlaw: largest degree (default market.size - 1)

    @model_validator(mode="after")
    def _parameters_fit_the_family(self) -> DegreeDistribution:
        needed, allowed = {
            "poisson": ({"mean"}, {"mean"}),
            "lognormal": ({"mean", "cv"}, {"mean", "cv"}),
            "powerlaw": ({"exponent"}, {"exponent", "min", "max"}),
        }[self.dist]
        given = {k for k in ("mean", "cv", "exponent", "min", "max") if getattr(self, k) is not None}
        if not needed <= given or not given <= allowed:
            raise ValueError(
                f"a {self.dist} degree distribution takes {', '.join(sorted(allowed))} "
                f"(needs {', '.join(sorted(needed))}); got {', '.join(sorted(given)) or 'nothing'}"
            )
        if self.min is not None and self.max is not None and self.max < self.min:
            raise ValueError(f"powerlaw needs min <= max, got min={self.min}, max={self.max}")
        return self


class Configuration(Strict):
    type: Literal["configuration"]
    degrees: DegreeDistribution | None = None  # each person's degree drawn from this (or path)
    path: str | None = None  # file of one degree a line, person 0 first (or a CSV file and `column`)
    column: str | None = None  # with path: the CSV column holding the degrees
    # Self-loops and repeated ties of the stub pairing: "erase" drops them (degrees may fall a
    # little short), "rewire" replaces them by degree-preserving switches (degrees exact).
    multi_ties: Literal["erase", "rewire"] = "erase"

    @model_validator(mode="after")
    def _one_source_of_degrees(self) -> Configuration:
        if (self.degrees is None) == (self.path is None):
            raise ValueError(
                "give the degrees either as a distribution (degrees) or a file (path), one of them"
            )
        if self.column is not None and self.path is None:
            raise ValueError("column goes with path (a CSV file of degrees)")
        return self


class StochasticBlock(Strict):
    type: Literal["sbm"]
    mean_degree: Real = Field(10.0, gt=0, le=MAX_DEGREE)  # expected ties per person
    # Expected share of ties within a persona; unset: no preference (Sum of persona shares squared).
    homophily: Real | None = Field(None, ge=0, le=1)


NetworkConfig = Annotated[
    Union[  # noqa: UP007
        WattsStrogatz,
        BarabasiAlbert,
        ErdosRenyi,
        PowerlawCluster,
        Complete,
        EdgeList,
        RandomRegular,
        Configuration,
        StochasticBlock,
    ],
    Field(discriminator="type"),
]


# --------------------------------------------------------------------------- firms


class PricePoint(Strict):
    week: Whole = Field(ge=1, le=MAX_WEEKS)  # from the start of this week
    price: Real = Field(gt=0, le=MAX_PRICE)  # currency per purchase


class FirmConfig(Strict):
    price: Real = Field(40.0, gt=0, le=MAX_PRICE)  # currency per purchase (before the person's basket size)
    quality: Real = Field(0.75, ge=0, le=1)  # satisfaction a good experience pulls toward
    margin: Real = Field(0.30, ge=0, le=1)  # share of revenue kept as gross margin
    failure_rate: Real = Field(0.03, ge=0, le=1)  # probability a purchase goes wrong
    initial_share: Real = Field(0.10, ge=0, lt=1)  # share of the market who are customers at week 0
    budget: Real = Field(0.0, ge=0, le=MAX_BUDGET)  # currency per week the strategy may spend
    strategy: str = "neglect"  # built-in name or "package.module:ClassName"
    split: dict[str, Real] | None = None  # lever -> share of budget; None = strategy's default
    # The firm's price schedule: from each point's week on, the price is the point's price (its
    # strategy may still set another; events change it too). Unit cost stays that of `price`.
    price_path: list[PricePoint] = Field(default_factory=list, max_length=MAX_WEEKS)
    params: dict[str, float | int | str | bool] = Field(
        default_factory=dict
    )  # extra parameters of a custom strategy
    # How the firm reacts to its rivals (sim.scenario.responses); none: it never reacts.
    response: ResponseConfig | None = None
    # How its initial customers are chosen (sim.scenario.seeds); none: initial_share at random.
    seeds: SeedsConfig | None = None

    @field_validator("strategy")
    @classmethod
    def _known_strategy(cls, value: str) -> str:
        from sim.registry import resolve_strategy_class

        resolve_strategy_class(value)  # raises ValueError naming the allowed strategies
        return value

    @field_validator("params")
    @classmethod
    def _finite_params(cls, value: dict[str, Any]) -> dict[str, Any]:
        # A strategy's own parameters may be flags or text; numbers obey the scenario's limits.
        for key, param in value.items():
            if isinstance(param, int | float) and not isinstance(param, bool):
                try:
                    bounded(finite_number(param))
                except ValueError as error:
                    raise ValueError(f"{key} = {param!r}: {error}") from None
        return value

    @field_validator("split")
    @classmethod
    def _valid_split(cls, value: dict[str, float] | None) -> dict[str, float] | None:
        if value is None:
            return value
        allowed = set(LeversConfig.model_fields)
        unknown = sorted(set(value) - allowed)
        if unknown:
            raise ValueError(f"unknown lever {unknown[0]!r}; allowed levers: {', '.join(sorted(allowed))}")
        negative = [k for k, v in value.items() if v < 0]
        if negative:
            raise ValueError(f"lever shares must be >= 0, got {negative[0]} = {value[negative[0]]}")
        total = sum(value.values())
        if total > 1 + 1e-9:
            raise ValueError(f"lever shares must sum to at most 1 (the whole budget), got {total:.4g}")
        return value

    @field_validator("price_path")
    @classmethod
    def _weeks_increase(cls, value: list[PricePoint]) -> list[PricePoint]:
        weeks = [point.week for point in value]
        if weeks != sorted(set(weeks)):
            raise ValueError(f"the points' weeks must increase, got {weeks}")
        return value

    @model_validator(mode="after")
    def _strategy_accepts_params(self) -> FirmConfig:
        from sim.registry import resolve_strategy_class

        try:
            resolve_strategy_class(self.strategy)(self.split, **self.params)
        except TypeError as error:
            raise ValueError(f"params: {error}") from None
        return self
