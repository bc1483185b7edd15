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
    >>> from sim.agents.customers import Response  # the answers, in the order the kernel codes them
    >>> [r.name for r in Response]
    ['POSITIVE', 'NEGATIVE', 'NO_RESPONSE', 'LATER']
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim import kernels
from sim.agents.customers import Status

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
    """Dormant customers contacted by their firm this week (still dormant, still theirs) answer
    with one uniform each: positive, they are active again (the dormancy clock restarts at this
    week); negative, never contact again; later, not before ``recontact_weeks``; no response
    changes nothing. The loop is :func:`sim.kernels.reactivation_answers`."""
    if not market.effects.used("reactivation_contact"):
        return  # nobody was contacted this week
    config = market.scenario.behaviours.dormancy
    c = market.customers
    week = market.week
    edges = np.cumsum(
        [config.receptive, config.negative, 1 - config.receptive - config.negative - config.later]
    )
    flows = market.recorder.flows
    people = (c.status, c.firm, c.last_purchase_week, c.dormant_since, c.reactivated, c.reactivated_week)
    people += (c.do_not_contact, c.recontact_week)
    kernels.reactivation_answers(
        market.effects.reactivation_contact,
        market.streams.key("reactivation_response", week),
        edges,
        people,
        np.array([Status.DORMANT, Status.ACTIVE, week, week + config.recontact_weeks], dtype=np.int64),
        (flows.responses, flows.reactivated),
    )
