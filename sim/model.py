"""CustomerMarket: the Mesa model that builds a market from a scenario and runs it week by week.

Owns the weekly order (one readable :meth:`CustomerMarket.step`), the per-week signals every
behaviour reads (neighbour shares, market shares, public ratings, value of each firm to each
person) and the buffers levers write for the week. Customers are a structure of arrays
(:mod:`sim.agents.customers`); firms are Mesa agents (:mod:`sim.agents.firm`); each behaviour is
one function in :mod:`sim.agents.behaviours`.

Example:
    >>> from sim import CustomerMarket, load_scenario
    >>> market = CustomerMarket(load_scenario("scenarios/baseline.toml", {"market.size": 500}))
    >>> market.step(); market.week
    1
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import mesa
import numpy as np
from mesa.agent import AgentSet

from sim.agents.behaviours import (
    adoption,
    appreciation,
    buying_cycle,
    churn,
    dormancy,
    experience,
    growth,
    purchase,
    referral,
)
from sim.agents.customers import FIRM_CLOSED, Channel, Customers, Stage, Status
from sim.agents.firm import Firm
from sim.events import Timeline
from sim.network import NeighbourCounts, ReferralNetwork, build_network
from sim.recording import Recorder
from sim.scenario import Scenario
from sim.scenario.scaling import simulated_scenario
from sim.seeding import Seeding
from sim.strategies import targeting
from sim.strategies.base import Strategy, resolve_strategy_class
from sim.streams import Streams

BOOST_CHANNELS = (Channel.SEARCH, Channel.SOCIAL, Channel.INFLUENCER)  # adoption_boost's last axis


class WeekEffects:
    """What the levers wrote this week, read by the behaviours; cleared at the start of a week.

    Only the buffers someone used since the last clear are cleared: a market whose levers and
    behaviours never touch a buffer (a switched-off behaviour, a lever nobody funds) does not pay
    for refilling it every week.
    """

    def __init__(self, size: int, n_firms: int) -> None:
        buffers = {
            # boost to each firm's adoption hazard, by channel (search, social, influencer)
            "adoption_boost": np.zeros((size, n_firms, len(BOOST_CHANNELS)), dtype=np.float32),
            "untouched": np.ones(size, dtype=np.float32),  # product of (1 - touch strength)
            "touches": np.zeros(size, dtype=np.float32),  # relations contacts this week (fatigue)
            "campaign_contact": np.zeros((size, n_firms), dtype=bool),  # a conquest contact reached them
            "offered": np.zeros(size, dtype=bool),  # a personal offer landed this week
            "review_boost": np.zeros(size, dtype=np.float32),  # asked for a review this week
            "poach_boost": np.zeros((size, n_firms), dtype=np.float32),  # a rival's offer, by rival
            "reactivation_contact": np.full(size, -1, dtype=np.int8),  # firm that contacted a dormant
            "satisfaction_lift": np.zeros(size, dtype=np.float32),  # a retention offer's lift
            "cross_sell_offer": np.zeros(size, dtype=bool),  # offered a further product this week
            "up_sell_offer": np.zeros(size, dtype=bool),  # offered a higher spend level this week
            "reassured": np.zeros(size, dtype=bool),  # a reassurance contact this week
        }
        self._buffers = buffers
        self._fill = {name: buffer.flat[0] if buffer.size else 0 for name, buffer in buffers.items()}
        self._used: set[str] = set(buffers)

    def __getattr__(self, name: str) -> np.ndarray:
        # Reached for a buffer's first use since the last clear only: note the use and make the
        # buffer an instance attribute until the clear, so later uses are plain lookups.
        try:
            buffer = self.__dict__["_buffers"][name]
        except KeyError:
            raise AttributeError(name) from None
        self._used.add(name)
        self.__dict__[name] = buffer
        return buffer

    def used(self, name: str) -> bool:
        """Whether the buffer ``name`` was used since the last clear (if not, it holds its
        default everywhere), without marking it used."""
        return name in self._used

    def clear(self) -> None:
        instance = self.__dict__
        for name in self._used:
            self._buffers[name].fill(self._fill[name])
            instance.pop(name, None)  # the next use goes through __getattr__ again
        self._used.clear()

    def touch(self, slots: np.ndarray, strength: float) -> None:
        """A relations touch of the distinct ``slots`` (an integer array): appreciation moves
        ``strength`` of the way to 1 (diminishing); every touch is also a contact that counts
        toward fatigue."""
        targeting.touch(slots, self.untouched, self.touches, 1.0 - min(max(strength, 0.0), 1.0))


@dataclass
class Signals:
    """Step 2: what people can observe at the start of the week, per firm."""

    neighbour_share: np.ndarray  # (N, F) share of each person's friends who are its customers
    leaver_share: np.ndarray | None  # (N, F) share of friends who recently switched away from it
    penetration: np.ndarray  # (F,) the firm's customers / market size
    rating: np.ndarray  # (F,) public rating in stars (Bayesian average of recent reviews)
    price: np.ndarray  # (F,) price after any acquisition discount
    proof_weight: np.ndarray  # (F,) weight on the rating gap (more while a firm shows reviews)
    price_weight: float
    open_firm: np.ndarray  # (F,) bool: the firm is in the market (entered, not exited)
    _gaps: tuple[np.ndarray, np.ndarray] | None = field(default=None, repr=False)

    def offer_gaps(self) -> tuple[np.ndarray, np.ndarray]:
        """(F,) float64 each: the weighted rating gap and the log-price gap of each firm to the
        market average. A person's log attraction to firm f is proof sensitivity x rating gap[f]
        - price_weight x price sensitivity x price gap[f], rounded to float32 (the adoption and
        churn kernels compute it per person). Worked out once a week (adoption and churn ask)."""
        if self._gaps is None:
            # Against the average of the firms in the market (a firm yet to enter, or gone, is
            # no one's yardstick); with every firm in, the same sums as over all of them.
            # (With no firm in the market at all nobody can choose one: any yardstick will do.)
            everyone = bool(self.open_firm.all()) or not self.open_firm.any()
            rating_mean = self.rating.mean() if everyone else self.rating[self.open_firm].mean()
            rating_gap = self.proof_weight * (self.rating - rating_mean)
            log_price = np.array([math.log(price) for price in self.price])  # math: see sim.numerics
            price_mean = log_price.mean() if everyone else log_price[self.open_firm].mean()
            self._gaps = (rating_gap.astype(np.float64), log_price - price_mean)
        return self._gaps


class CustomerMarket(mesa.Model):
    """Customers on a referral network, competed for by firms with strategies.

    Args:
        scenario: a validated scenario (:func:`sim.load_scenario`).
        seed: the replicate seed; defaults to ``scenario.run.seed``.
        strategies: optional strategy instances by firm name, overriding the scenario's (for
            custom strategy objects built in Python).

    Example:
        >>> from sim import load_scenario
        >>> market = CustomerMarket(load_scenario("scenarios/baseline.toml", {"market.size": 300}))
        >>> market.run_model(); market.week == market.scenario.run.weeks
        True
    """

    # Our scenario (sim.scenario.Scenario), a plain attribute. Mesa 3.5 (what installs on Python
    # 3.12+) made ``Model.scenario`` a property whose setter writes ``scenario.model = self``,
    # which our frozen scenario refuses; a class attribute here shadows that property, so the
    # model works with Mesa 3.3 (Python 3.11) and 3.5 alike.
    scenario: Scenario = None  # type: ignore[assignment]  # set in __init__

    def __init__(
        self,
        scenario: Scenario,
        seed: int | None = None,
        strategies: dict[str, Strategy] | None = None,
    ) -> None:
        seed = scenario.run.seed if seed is None else int(seed)
        # Mesa's own generators are seeded for completeness; the model never draws from them.
        super().__init__(rng=seed)
        # Population scaling: the model runs the one-for-one market of the simulated people, its
        # real amounts divided by the scale; results are multiplied back (sim.scaling).
        self.real_scenario = scenario  # as given, in real units
        self.scale = scenario.market.scale  # real people per simulated person
        scenario = simulated_scenario(scenario)
        self.scenario = scenario
        self.seed = seed
        self.streams = Streams(seed)
        self.week = 0
        # People first: a block-model network ties people by persona. (Their traits come from
        # counter-based streams and the network from its own, so the order changes no draw.)
        self.customers = Customers(scenario, self.streams)
        self.network: ReferralNetwork = build_network(
            scenario.network, scenario.market.size, seed, persona=self.customers.persona
        )
        self.seeding = Seeding(self)  # initial customers and influencer pools (sim.seeding)
        # What the firms' response policies did (sim.responses.Reaction), in order.
        self.reactions: list = []
        self.firm_list: list[Firm] = []
        for index, (name, config) in enumerate(scenario.firms.items()):
            strategy = (strategies or {}).get(name) or resolve_strategy_class(config.strategy)(
                config.split, **config.params
            )
            self.firm_list.append(Firm(self, index, name, config, strategy))
        self.firms = AgentSet(self.firm_list, random=self.random)
        n_firms = len(self.firm_list)
        self.prices = np.array([f.price for f in self.firm_list])
        self.qualities = np.array([f.quality for f in self.firm_list], dtype=np.float32)
        self.margin_rates = np.array([f.margin_rate for f in self.firm_list])
        self.failure_rates = np.array([f.failure_rate for f in self.firm_list])
        self.review_sum = np.zeros(n_firms)  # decayed sum of review stars
        self.review_count = np.zeros(n_firms)  # decayed number of reviews
        self.effects = WeekEffects(scenario.market.size, n_firms)
        self.persona_response = _persona_response(scenario)
        # The timeline: firms that enter later are closed until they do, channels that appear
        # later cannot be used until they do.
        self.timeline = Timeline(scenario, self.streams)
        self.firm_open = np.ones(n_firms, dtype=bool)
        for name in self.timeline.firms_closed_at_start():
            self.firm_open[self.firm(name).index] = False
        self.closed_levers: set[str] = set(self.timeline.levers_closed_at_start())
        # Friends at each firm, and friends who recently left each firm: updated each week from
        # the people who changed (see NeighbourCounts).
        self._customer_counts = NeighbourCounts(self.network, n_firms)
        self._leaver_counts = NeighbourCounts(self.network, n_firms)
        self.prospects = np.empty(0, dtype=np.int64)  # at the start of the week (step 1)
        self._in_market: tuple[int, np.ndarray] = (-1, self.prospects)  # (week, slots)
        self.recorder = Recorder(self)
        self._seed_initial_state()
        self.recorder.record(self)

    # ------------------------------------------------------------------ the week

    def step(self) -> None:
        """One week. Each step reads the state the previous steps left; see docs/model.md."""
        self.week += 1
        self.recorder.start_week(self.week)
        self.timeline.advance(self)  # 0. events strike; values they move (prices, costs...) move
        self.effects.clear()
        self.prospects = np.flatnonzero(self.customers.status == Status.PROSPECT)
        self.firms.do("act")  # 1. strategies act: budgets split over levers, levers applied
        buying_cycle.run(self)  # 1b. campaign responses; prospects move through the buying cycle
        signals = self.signals()  # 2. neighbour shares, market shares, ratings, prices
        adoption.run(self, signals)  # 3. prospects choose a firm (reasons to choose)
        referral.run(self, signals)  # 4. satisfied customers refer friends
        sales = purchase.run(self)  # 5. customers buy; revenue, margin, loyalty tiers
        self.recorder.purchased(self, sales)  # 5b. purchase hooks (e.g. a transaction log) see them
        experience.run(self, sales)  # 6. service failures, satisfaction, complaints, reviews
        appreciation.run(self)  # 7. appreciation decays and is raised by relations touches
        growth.run(self)  # 7b. cross-sell and up-sell offers answered; buyer's remorse
        churn.run(self, signals)  # 8. competing churn hazards, reason recorded; partial churn
        self._keep_closed_firms_unknown()  # (lapsed churners hear of every firm in the market)
        dormancy.run(self)  # 9. reactivation responses; customers without purchases go dormant
        self.recorder.record(self)  # 10. per-firm counts and flows for the week
        if self.week >= self.scenario.run.weeks:
            self.running = False

    # ------------------------------------------------------------------ signals

    def signals(self) -> Signals:
        """Step 2: what everyone can observe at the start of this week."""
        c = self.customers
        n_firms = len(self.firm_list)
        churn_config = self.scenario.behaviours.churn
        leaver_share = None
        if churn_config.enabled and churn_config.follow_friend_rate > 0:
            leaver_share = self._leaver_counts.shares(churn.recent_leavers(self))
        adoption_config = self.scenario.behaviours.adoption
        return Signals(
            neighbour_share=self._customer_counts.shares(c.firm),
            leaver_share=leaver_share,
            penetration=np.array([np.count_nonzero(c.firm == f) for f in range(n_firms)]) / c.size,
            rating=self.ratings(),
            price=self.prices * (1 - np.array([f.discount for f in self.firm_list])),
            proof_weight=adoption_config.social_proof_weight
            + np.array([f.proof_shown for f in self.firm_list]),
            price_weight=adoption_config.price_weight,
            open_firm=self.firm_open,
        )

    def ratings(self) -> np.ndarray:
        """Public rating per firm: the Bayesian average of recent reviews with a prior."""
        config = self.scenario.behaviours.experience
        prior = config.rating_prior_weight
        weight = prior + self.review_count
        rating = (prior * config.rating_prior_mean + self.review_sum) / np.maximum(weight, 1e-12)
        return np.where(weight > 1e-12, rating, config.rating_prior_mean)  # no reviews, no prior

    # ------------------------------------------------------------------ a changing market

    def use_scenario(self, scenario: Scenario) -> None:
        """From now on the market runs with ``scenario`` (an event moved some of its values): the
        behaviours and levers read their parameters from it, and each firm whose table changed
        takes its new price, quality, margin, failure rate, budget and strategy."""
        before = self.scenario
        self.scenario = scenario
        for firm in self.firm_list:
            config = scenario.firms[firm.name]
            if config is not before.firms[firm.name]:
                firm.configure(config)
        self.refresh_offers()

    def refresh_offers(self) -> None:
        """The per-firm arrays the behaviours read (price, quality, margin rate, failure rate),
        from the firms, after a firm's offer changed."""
        firms = self.firm_list
        self.prices = np.array([f.price for f in firms])
        self.qualities = np.array([f.quality for f in firms], dtype=np.float32)
        self.margin_rates = np.array([f.margin_rate for f in firms])
        self.failure_rates = np.array([f.failure_rate for f in firms])

    def open_firm(self, name: str) -> None:
        """Firm ``name`` enters the market: it can be chosen once people hear of it, and its
        strategy spends from this week (everyone still has to learn it exists)."""
        self.firm_open[self.firm(name).index] = True

    def close_firm(self, name: str) -> None:
        """Firm ``name`` leaves the market: its customers (active or dormant) return to the market
        as prospects, their last exit recorded as "firm closed" (not churn: no strategy lost
        them), and nobody can choose it any more."""
        index = self.firm(name).index
        c = self.customers
        released = np.flatnonzero(c.firm == index)
        c.release(released, self.week, FIRM_CLOSED)
        self.recorder.flows.released[index] += released.size
        self.firm_open[index] = False
        c.aware[:, index] = False

    def open_lever(self, name: str) -> None:
        """Lever (channel) ``name`` can be used from this week."""
        self.closed_levers.discard(name)

    def _keep_closed_firms_unknown(self) -> None:
        """Nobody knows of a firm that is not in the market (a churner who lapses hears of every
        firm: not of those)."""
        if not self.firm_open.all():
            self.customers.aware[:, ~self.firm_open] = False

    # ------------------------------------------------------------------ helpers

    def firm(self, name: str) -> Firm:
        """The firm called ``name``."""
        for candidate in self.firm_list:
            if candidate.name == name:
                return candidate
        raise KeyError(f"no firm {name!r}; firms: {', '.join(f.name for f in self.firm_list)}")

    def influencer_pool(self, config) -> np.ndarray:
        """Whom influencer seeding (its lever ``config``) may pay, first paid first: by default
        the best-connected ``pool`` share of the market (ties by slot); see :mod:`sim.seeding`."""
        return self.seeding.influencer_pool(config)

    @property
    def in_market_prospects(self) -> np.ndarray:
        """Prospects who are in market (searching) this week: what search ads can reach. With
        the buying cycle, those in research or comparison; without it, a random
        ``in_market_rate`` of prospects each week. Worked out when first asked for in a week
        (while the firms act: no lever moves anyone through the buying cycle), so a market
        without search ads never pays for it."""
        week, slots = self._in_market
        if week != self.week:
            c = self.customers
            prospects = self.prospects
            if self.scenario.behaviours.buying_cycle.enabled:
                slots = prospects[c.stage[prospects] >= Stage.RESEARCH]
            else:
                draw = self.streams.uniform("in_market", self.week, prospects)
                slots = prospects[draw < self.scenario.market.in_market_rate]
            self._in_market = (self.week, slots)
        return slots

    def _seed_initial_state(self) -> None:
        """Week 0: initial customers of each firm and initial awareness."""
        c = self.customers
        slots = np.arange(c.size)
        firm = self.seeding.initial_firm()  # chosen seeds, then initial_share at random
        initial = np.flatnonzero(firm < len(self.firm_list))
        # An established base has mixed tenure: appreciation is spread between 0 and the
        # level a new customer starts at, and satisfaction sits at the firm's quality.
        start_appreciation = self.scenario.behaviours.appreciation.initial * self.streams.uniform(
            "initial_appreciation", 0, initial
        )
        c.join(
            initial,
            firm[initial],
            week=0,
            channel=Channel.INITIAL,
            satisfaction=self.qualities[firm[initial]],
            appreciation=start_appreciation,
            in_run=False,
        )
        # An established base bought at different times: last purchases spread over a quarter.
        ago = np.floor(13 * self.streams.uniform("initial_last_purchase", 0, initial)).astype(np.int32)
        c.last_purchase_week[initial] = -ago
        for index in range(len(self.firm_list)):
            aware = self.streams.uniform("initial_aware", 0, slots, sub=index)
            c.aware[:, index] |= aware < self.scenario.market.initial_awareness
        self._keep_closed_firms_unknown()  # a firm that enters later is unknown at first

    def __repr__(self) -> str:
        firms = ", ".join(f"{f.name}: {f.customers}" for f in self.firm_list)
        return (
            f"CustomerMarket({self.scenario.name!r}, seed={self.seed}, week={self.week}, "
            f"{self.customers.size} people, customers {{{firms}}})"
        )


def _persona_response(scenario: Scenario) -> np.ndarray:
    """(levers, personas) multiplier on each lever's reach: the personas' ``channel_response``."""
    from sim.strategies.levers import LEVER_NAMES

    table = np.ones((len(LEVER_NAMES), len(scenario.personas)), dtype=np.float64)
    for column, persona in enumerate(scenario.personas.values()):
        for lever, factor in persona.channel_response.items():
            table[LEVER_NAMES.index(lever), column] = factor
    return table
