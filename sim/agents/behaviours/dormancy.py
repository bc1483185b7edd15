"""Step 9, dormancy and reactivation: customers who stop buying, and campaigns that win them back.

An active customer with no purchase for ``weeks`` weeks (default 13) becomes dormant: still the
firm's customer, but buying nothing until reactivated or lost to churn. A reactivation campaign
(the ``reactivation`` lever) contacts dormant customers; each contacted person responds, drawn
from their own stream (seed 004's "capture customer responses"):

    positive interest  (``receptive``, default 35%)  back to active this week; counted as reactivated
    contact me later   (``later``, default 15%)      not contacted again for ``recontact_weeks``
    negative           (``negative``, default 20%)   never contacted again by that campaign
    no response        (the rest)                    may be contacted again next week

Dormant customers also come back by themselves with a weekly hazard of ``self_return`` times their
purchase rate: someone who buys twice a year is often only between purchases.

Seed 004 quotes 25-60% of dormant customers as receptive "if you approach them the right way";
the literature on lapsed customers quotes 20-40%. Reactivated customers' later revenue is tracked
separately (``revenue_after_reactivation``).

Example:
    >>> [r.name for r in Response]
    ['POSITIVE', 'NEGATIVE', 'NO_RESPONSE', 'LATER']
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim import kernels
from sim.agents.customers import Response, Status

if TYPE_CHECKING:
    from sim.model import CustomerMarket


def run(market: CustomerMarket) -> None:
    config = market.scenario.behaviours.dormancy
    c = market.customers
    week = market.week
    kernels.count_dormant_week(c.status, c.dormant_weeks, np.int8(Status.DORMANT))
    if not config.enabled:
        return
    _respond_to_reactivation(market)
    # Then, in one pass, self-returns (``self_return``: some dormant customers come back
    # unprompted, low-frequency buyers often being only between purchases) and new dormancy.
    flows = market.recorder.flows
    returned, lapsed = kernels.dormancy_moves(
        (c.status, c.firm, c.last_purchase_week, c.dormant_since, c.acquired_week),
        c.purchase_rate,
        c.spend_level,
        np.array([config.self_return, config.weeks, week, Status.ACTIVE, Status.DORMANT], dtype=np.float64),
        market.streams.key("self_return", week),
        c.n_firms,
    )
    flows.returned += returned
    flows.became_dormant += lapsed


def _respond_to_reactivation(market: CustomerMarket) -> None:
    config = market.scenario.behaviours.dormancy
    c = market.customers
    week = market.week
    contacted = np.flatnonzero(market.effects.reactivation_contact >= 0)
    contacted = contacted[c.status[contacted] == Status.DORMANT]  # still dormant and still theirs
    contacted = contacted[c.firm[contacted] == market.effects.reactivation_contact[contacted]]
    if contacted.size == 0:
        return
    draw = market.streams.uniform("reactivation_response", week, contacted)
    edges = np.cumsum(
        [config.receptive, config.negative, 1 - config.receptive - config.negative - config.later]
    )
    response = np.searchsorted(edges, draw, side="right").astype(np.int64)  # POSITIVE..LATER
    firm = c.firm[contacted].astype(np.int64)
    np.add.at(market.recorder.flows.responses, (firm, response), 1)

    back = contacted[response == Response.POSITIVE]
    c.status[back] = Status.ACTIVE
    c.last_purchase_week[back] = week  # the dormancy clock restarts
    c.dormant_since[back] = -1
    c.reactivated[back] = True
    c.reactivated_week[back] = week
    np.add.at(market.recorder.flows.reactivated, c.firm[back].astype(np.int64), 1)
    c.do_not_contact[contacted[response == Response.NEGATIVE]] = True
    c.recontact_week[contacted[response == Response.LATER]] = week + config.recontact_weeks
