"""The core adoption and churn rule as an idiomatic per-agent Mesa model: the reference for vs_mesa.

Owns :class:`Person` (one ``mesa.Agent`` per person, with its own state and its own list of
neighbours), :class:`NetworkPerson` (the same person placed on a ``mesa.discrete_space.Network``
cell, finding friends through the cell's neighbourhood) and :class:`DiffusionModel` (a
Watts-Strogatz graph from networkx, one firm, a DataCollector of the number of customers). The rule, synchronous (every decision reads the state
at the start of the week; decisions are collected in ``step`` and applied in ``advance``):

    a prospect adopts with probability 1 - exp(-(p + q x share of their neighbours who are customers))
    a customer churns with probability 1 - exp(-h) and is a prospect again (no lock-out)

Each person is a customer at week 0 with probability ``initial_share``. Written the way the Mesa
documentation writes models (``model.agents.do``, ``self.random``, ``DataCollector``), not tuned.

Example:
    >>> model = DiffusionModel(200, p=0.003, q=0.1, h=0.01, seed=1)
    >>> for _ in range(3):
    ...     model.step()
    >>> len(model.datacollector.get_model_vars_dataframe())
    4
"""

from __future__ import annotations

import math

import mesa
import networkx as nx
from mesa.discrete_space import Cell, FixedAgent, Network


class Person(mesa.Agent):
    """One person: a customer of the firm or a prospect, with a list of neighbours."""

    def __init__(self, model: DiffusionModel, is_customer: bool) -> None:
        super().__init__(model)
        self.is_customer = is_customer
        self.neighbours: list[Person] = []
        self.next_is_customer = is_customer

    def step(self) -> None:
        """Decide from the state at the start of the week; :meth:`advance` applies it."""
        model = self.model
        if self.is_customer:
            self.next_is_customer = self.random.random() >= model.churn_probability
            return
        neighbours = self.neighbours
        share = sum(friend.is_customer for friend in neighbours) / len(neighbours) if neighbours else 0.0
        hazard = model.p + model.q * share
        self.next_is_customer = self.random.random() < 1.0 - math.exp(-hazard)

    def advance(self) -> None:
        if self.next_is_customer != self.is_customer:
            self.model.n_customers += 1 if self.next_is_customer else -1
            self.is_customer = self.next_is_customer


class NetworkPerson(Person, FixedAgent):
    """A person on a cell of a ``mesa.discrete_space.Network``: friends are the agents of the
    neighbouring cells (one person per cell)."""

    def __init__(self, model: DiffusionModel, is_customer: bool, cell: Cell) -> None:
        super().__init__(model, is_customer)
        self.cell = cell

    def step(self) -> None:
        model = self.model
        if self.is_customer:
            self.next_is_customer = self.random.random() >= model.churn_probability
            return
        neighbourhood = self.cell.neighborhood
        friends = len(neighbourhood)
        share = sum(friend.is_customer for friend in neighbourhood.agents) / friends if friends else 0.0
        hazard = model.p + model.q * share
        self.next_is_customer = self.random.random() < 1.0 - math.exp(-hazard)


class DiffusionModel(mesa.Model):
    """Bass-type adoption on a Watts-Strogatz network with constant-hazard churn, one firm.

    Args:
        n: people.
        p: innovation hazard per week.
        q: word-of-mouth hazard per week per unit share of neighbours who are customers.
        h: churn hazard per week.
        mean_degree, rewire: the Watts-Strogatz graph (ring of ``mean_degree`` neighbours, each
            tie rewired with probability ``rewire``).
        initial_share: probability that a person is a customer at week 0.
        seed: seeds the graph and the model's random generator.
        space: ``"network"`` (agents on the cells of a ``mesa.discrete_space.Network`` built
            from the graph, as Mesa's examples do) or ``"lists"`` (each agent holds a list of
            its neighbours: hand-tuned, about twice as fast).
    """

    def __init__(
        self,
        n: int,
        p: float,
        q: float,
        h: float,
        mean_degree: int = 10,
        rewire: float = 0.1,
        initial_share: float = 0.01,
        seed: int | None = None,
        space: str = "network",
    ) -> None:
        super().__init__(rng=seed)
        self.p = p
        self.q = q
        self.churn_probability = 1.0 - math.exp(-h)
        graph = nx.watts_strogatz_graph(n, mean_degree, rewire, seed=seed)
        if space == "network":
            self.grid = Network(graph, capacity=1, random=self.random)
            people = [
                NetworkPerson(self, self.random.random() < initial_share, self.grid[node])
                for node in range(n)
            ]
        elif space == "lists":
            people = [Person(self, self.random.random() < initial_share) for _ in range(n)]
            for node, person in enumerate(people):
                person.neighbours = [people[other] for other in graph.neighbors(node)]
        else:
            raise ValueError(f"space must be 'lists' or 'network', got {space!r}")
        self.n_customers = sum(person.is_customer for person in people)
        self.datacollector = mesa.DataCollector(model_reporters={"customers": "n_customers"})
        self.datacollector.collect(self)

    def step(self) -> None:
        self.agents.do("step")
        self.agents.do("advance")
        self.datacollector.collect(self)
