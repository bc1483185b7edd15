"""Who starts: each firm's initial customers and the people influencer seeding pays, by rule.

Owns the choice of seeds a scenario describes (:mod:`sim.scenario.seeds` for the schema): by id
list or file, by a network measure (degree, k-core, PageRank: :mod:`sim.network.measures`, best
first, ties by slot), by persona, or at random. Without ``[firms.<name>.seeds]`` the initial
customers are today's random draw (``initial_share``), bit for bit.

The order of choosing, so that nobody is seeded by two firms: first every firm's id list (the
scenario checks refuse a person in two lists), then, firm by firm in the file's order, the chosen
counts (by measure, persona or random count), each skipping people an earlier firm took, then the
random draw of ``initial_share`` among everyone still free. Random choices draw from their own
streams (``"initial_seeds"``, by firm; ``"influencer_pool"``), so they do not disturb any other
draw.

Example:
    >>> from sim import CustomerMarket, load_scenario
    >>> scenario = load_scenario("scenarios/baseline.toml", {"market.size": 400,
    ...     "firms.us.initial_share": 0, "firms.us.seeds.by": "degree", "firms.us.seeds.count": 5})
    >>> market = CustomerMarket(scenario)
    >>> top = market.seeding.ranking("degree")[:5]
    >>> bool((market.customers.firm[top] == 0).all())
    True
"""

from __future__ import annotations

import numpy as np

from sim.network.measures import MEASURES, ranking
from sim.scenario import ScenarioError
from sim.scenario.seeds import seed_ids


class Seeding:
    """The seed choices of one market: its rankings by each measure (computed once, when first
    asked for) and its influencer pools.

    Args:
        market: the :class:`~sim.model.CustomerMarket` (its network, customers and streams).
    """

    def __init__(self, market) -> None:
        self.market = market
        self._rankings: dict[str, np.ndarray] = {}
        self._lists: dict[tuple, tuple[object, np.ndarray]] = {}

    def ranking(self, measure: str) -> np.ndarray:
        """Slots best first by ``measure`` (``"degree"``, ``"kcore"``, ``"pagerank"``), ties by slot."""
        if measure not in self._rankings:
            self._rankings[measure] = ranking(self.market.network, measure)
        return self._rankings[measure]

    def _random_order(self, stream: str, sub: int = 0) -> np.ndarray:
        """Everyone in the order of their uniform draw of ``stream`` (week 0), lowest first."""
        size = self.market.customers.size
        draw = self.market.streams.uniform(stream, 0, np.arange(size), sub=sub)
        return np.argsort(draw, kind="stable")

    # ------------------------------------------------------------------ initial customers

    def initial_firm(self) -> np.ndarray:
        """Each person's firm at week 0 (a firm index; the number of firms for none)."""
        market = self.market
        c = market.customers
        firms = market.firm_list
        nobody = len(firms)
        firm = np.full(c.size, nobody, dtype=np.int64)
        configs = [f.config.seeds for f in firms]
        for index, config in enumerate(configs):
            if config is not None and config.by in ("ids", "file"):
                firm[seed_ids(config)] = index
        for index, config in enumerate(configs):
            if config is None or config.by in ("ids", "file") or config.joins_the_random_draw:
                continue
            candidates = self._candidates(config, index)
            candidates = candidates[firm[candidates] == nobody]
            count = config.chosen_count(c.size)
            if candidates.size < count:
                key = "count" if config.count is not None else "share"
                source = f"{market.scenario.source}: " if market.scenario.source else ""
                raise ScenarioError(
                    f"{source}firms.{firms[index].name}.seeds.{key} = {getattr(config, key)}: asks for {count} "
                    f"people, but only {candidates.size} {self._whom(config)} are free in this market "
                    f"(seed {market.seed}); at most {candidates.size}"
                )
            firm[candidates[:count]] = index
        # Today's rule for the rest: one uniform per person, cut by the cumulative shares (a
        # firm with chosen seeds has share 0 here), so a scenario without seeds is unchanged.
        shares = np.array(
            [
                config.share
                if config is not None and config.joins_the_random_draw
                else f.config.initial_share
                for f, config in zip(firms, configs, strict=True)
            ]
        )
        draw = market.streams.uniform("initial_firm", 0, np.arange(c.size))
        drawn = np.searchsorted(np.cumsum(shares), draw, side="right")
        free = firm == nobody
        firm[free] = drawn[free]
        return firm

    def _candidates(self, config, index: int) -> np.ndarray:
        """Everyone the rule may seed, best first: by the measure, or in a random order."""
        if config.by in MEASURES:
            order = self.ranking(config.by)
        else:  # random or persona: a random order of its own for each firm
            order = self._random_order("initial_seeds", sub=index)
        if config.persona is not None:
            c = self.market.customers
            order = order[c.persona[order] == c.persona_names.index(config.persona)]
        return order

    @staticmethod
    def _whom(config) -> str:
        return f"people of persona {config.persona!r}" if config.persona is not None else "people"

    # ------------------------------------------------------------------ influencers

    def influencer_pool(self, config) -> np.ndarray:
        """The people influencer seeding may pay, first paid first: the best ``pool`` share of
        the market by the lever's ``target`` measure, a random ``pool`` share (drawn once per
        replicate), or its list of ids (from ``ids`` or the file), in the order given."""
        size = self.market.customers.size
        if config.target in ("ids", "file"):
            return self._listed(config)
        head = max(1, round(config.pool * size))
        if config.target == "random":
            key = ("random",)
            if key not in self._lists:
                self._lists[key] = (None, self._random_order("influencer_pool"))
            return self._lists[key][1][:head]
        return self.ranking(config.target)[:head]

    def _listed(self, config) -> np.ndarray:
        # Kept per config object (held, so its id is not reused): the list is read once, not weekly.
        key = (config.target, id(config))
        if key not in self._lists:
            if config.target == "ids":
                ids = np.asarray(config.ids, dtype=np.int64)
            else:
                from sim.scenario.seeds import read_integers

                ids = read_integers(config.path, config.column, "person id")
            self._lists[key] = (config, ids)
        return self._lists[key][1]
