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
from sim.agents.customers import Stage, Status

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
    """Everyone a firm's campaign reached this week answers (one uniform each, firm by firm):
    positive moves them one stage on (up to comparison), negative blocks the firm's campaigns
    for good and cancels this week's boost from it (a "no" is not persuaded), later blocks them
    for ``recontact_weeks``; no response changes nothing. The loop is
    :func:`sim.kernels.campaign_answers`."""
    if not market.effects.used("campaign_contact"):
        return  # no campaign reached anyone this week
    config = market.scenario.behaviours.buying_cycle
    c = market.customers
    week = market.week
    edges = np.cumsum(
        [config.positive, config.negative, 1 - config.positive - config.negative - config.later]
    )
    kernels.campaign_answers(
        market.effects.campaign_contact,
        np.array([market.streams.key("campaign_response", week, sub=f) for f in range(c.n_firms)]),
        edges,
        (c.stage, c.contact_block, market.effects.adoption_boost),
        np.array([Stage.COMPARISON, NEVER, week + config.recontact_weeks], dtype=np.int64),
        market.recorder.flows.campaign_responses,
    )


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
