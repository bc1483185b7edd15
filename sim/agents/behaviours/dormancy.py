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

from sim.agents.customers import Response, Status

if TYPE_CHECKING:
    from sim.model import CustomerMarket


def run(market: CustomerMarket) -> None:
    config = market.scenario.behaviours.dormancy
    c = market.customers
    week = market.week
    dormant = c.status == Status.DORMANT
    c.dormant_weeks[dormant] += 1
    if not config.enabled:
        return
    _respond_to_reactivation(market)
    _return_by_themselves(market)
    lapsing = np.flatnonzero(
        (c.status == Status.ACTIVE) & (week - c.last_purchase_week >= config.weeks) & (c.acquired_week < week)
    )
    c.status[lapsing] = Status.DORMANT
    c.dormant_since[lapsing] = week
    np.add.at(market.recorder.flows.became_dormant, c.firm[lapsing].astype(np.int64), 1)


def _return_by_themselves(market: CustomerMarket) -> None:
    """Some dormant customers come back unprompted: a weekly hazard of ``self_return`` times
    their own purchase rate (low-frequency buyers are often only between purchases)."""
    config = market.scenario.behaviours.dormancy
    c = market.customers
    dormant = np.flatnonzero((c.status == Status.DORMANT) & (c.dormant_since < market.week))
    if config.self_return <= 0 or dormant.size == 0:
        return
    hazard = config.self_return * c.purchase_rate[dormant] * c.spend_level[dormant]
    back = dormant[market.streams.uniform("self_return", market.week, dormant) < -np.expm1(-hazard)]
    c.status[back] = Status.ACTIVE
    c.last_purchase_week[back] = market.week
    c.dormant_since[back] = -1
    np.add.at(market.recorder.flows.returned, c.firm[back].astype(np.int64), 1)


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
