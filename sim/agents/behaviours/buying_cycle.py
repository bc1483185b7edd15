"""Step 1b, the buying cycle: campaign responses and prospects' movement through the stages.

Seed 004 maps marketing to the buying cycle: awareness (blog posts, social media), research
(e-books, webinars), comparison (case studies, testimonials: social proof), purchase. A prospect is
in one stage; each week, from their own draws,

    awareness  -> research     with ``research_rate``
    research   -> comparison   with ``comparison_rate``, or back to awareness with ``dropout_rate``
    comparison -> awareness    with ``comparison_dropout_rate`` (purchase is adoption, step 3)

and the adoption hazard is multiplied by the stage's weight. Prospects in research or comparison
are "in market": what search ads reach. A prospect reached by a conquest campaign (search or
social ads) this week responds (seed 004's "capture customer responses"): positive interest moves
them one stage on; negative means that firm's campaigns never contact them again (and the contact
adds nothing); "contact me later" blocks that firm's campaigns for ``recontact_weeks``; no response
changes nothing but the contact's own effect.

Example:
    >>> [s.name for s in Stage]
    ['AWARENESS', 'RESEARCH', 'COMPARISON']
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim import kernels
from sim.agents.customers import Response, Stage, Status

if TYPE_CHECKING:
    from sim.model import CustomerMarket

NEVER = np.iinfo(np.int32).max


def run(market: CustomerMarket) -> None:
    config = market.scenario.behaviours.buying_cycle
    if not config.enabled:
        return
    _respond_to_campaigns(market)
    _move_through_stages(market)


def _respond_to_campaigns(market: CustomerMarket) -> None:
    config = market.scenario.behaviours.buying_cycle
    c = market.customers
    week = market.week
    flows = market.recorder.flows
    edges = np.cumsum(
        [config.positive, config.negative, 1 - config.positive - config.negative - config.later]
    )
    for firm in range(c.n_firms):
        contacted = np.flatnonzero(market.effects.campaign_contact[:, firm])
        if contacted.size == 0:
            continue
        draw = market.streams.uniform("campaign_response", week, contacted, sub=firm)
        response = np.searchsorted(edges, draw, side="right")
        flows.campaign_responses[firm] += np.bincount(response, minlength=len(Response))
        positive = contacted[response == Response.POSITIVE]
        c.stage[positive] = np.minimum(c.stage[positive] + 1, Stage.COMPARISON)
        negative = contacted[response == Response.NEGATIVE]
        c.contact_block[negative, firm] = NEVER
        market.effects.adoption_boost[negative, firm] = 0  # a "no" is not persuaded
        c.contact_block[contacted[response == Response.LATER], firm] = week + config.recontact_weeks


def _move_through_stages(market: CustomerMarket) -> None:
    config = market.scenario.behaviours.buying_cycle
    c = market.customers
    rates = [
        config.research_rate,
        config.comparison_rate,
        config.dropout_rate,
        config.comparison_dropout_rate,
    ]
    kernels.move_through_stages(
        c.status,
        c.stage,
        np.array(rates, dtype=np.float64),
        market.streams.key("buying_cycle", market.week),
        np.int8(Status.PROSPECT),
    )
