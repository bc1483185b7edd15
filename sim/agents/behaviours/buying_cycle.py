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

Both run compiled (:func:`_campaign_answers`, :func:`_move_through_stages`), reading the
parameters by name from :class:`BuyingCycleParams`.

Example:
    >>> [s.name for s in Stage]
    ['AWARENESS', 'RESEARCH', 'COMPARISON']
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np
from numba import njit

from sim.agents.behaviours import per_scenario
from sim.agents.customers import Stage, Status
from sim.numerics import answer_of
from sim.streams import uniform_one

if TYPE_CHECKING:
    from sim.model import CustomerMarket
    from sim.scenario import Scenario

NEVER = np.iinfo(np.int32).max
# Constants of the compiled rule (the codes of sim.agents.customers).
_PROSPECT = np.int8(Status.PROSPECT)
_LAST_STAGE = np.int8(Stage.COMPARISON)
_NEVER = np.int32(NEVER)


class BuyingCycleParams(NamedTuple):
    """The buying cycle's parameters as its kernels read them."""

    research_rate: float  # awareness -> research, weekly chance
    comparison_rate: float  # research -> comparison
    dropout_rate: float  # research -> awareness
    comparison_dropout_rate: float  # comparison -> awareness
    answer_edges: np.ndarray  # cumulative chances of a campaign's answers: positive, negative, none
    recontact_weeks: int  # "contact me later" blocks a firm's campaigns this long


@per_scenario
def params(scenario: Scenario) -> BuyingCycleParams:
    """The scenario's buying-cycle parameters (``[behaviours.buying_cycle]``)."""
    config = scenario.behaviours.buying_cycle
    edges = np.cumsum(
        [config.positive, config.negative, 1 - config.positive - config.negative - config.later]
    )
    return BuyingCycleParams(
        research_rate=float(config.research_rate),
        comparison_rate=float(config.comparison_rate),
        dropout_rate=float(config.dropout_rate),
        comparison_dropout_rate=float(config.comparison_dropout_rate),
        answer_edges=edges,
        recontact_weeks=int(config.recontact_weeks),
    )


def run(market: CustomerMarket) -> None:
    config = market.scenario.behaviours.buying_cycle
    if not config.enabled:
        return
    _respond_to_campaigns(market)
    c = market.customers
    _move_through_stages(
        c.status, c.stage, params(market.scenario), market.streams.key("buying_cycle", market.week)
    )


def _respond_to_campaigns(market: CustomerMarket) -> None:
    """Everyone a firm's campaign reached this week answers (one uniform each, firm by firm):
    positive moves them one stage on (up to comparison), negative blocks the firm's campaigns
    for good and cancels this week's boost from it (a "no" is not persuaded), later blocks them
    for ``recontact_weeks``; no response changes nothing. The loop is :func:`_campaign_answers`."""
    if not market.effects.used("campaign_contact"):
        return  # no campaign reached anyone this week
    c = market.customers
    week = market.week
    _campaign_answers(
        market.effects.campaign_contact,
        np.array([market.streams.key("campaign_response", week, sub=f) for f in range(c.n_firms)]),
        (c.stage, c.contact_block, market.effects.adoption_boost),
        params(market.scenario),
        week,
        market.recorder.flows.campaign_responses,
    )


# --------------------------------------------------------------------------- the compiled rule


@njit(cache=True)
def _campaign_answers(
    contact: np.ndarray,
    keys: np.ndarray,
    people: tuple,
    rule: BuyingCycleParams,
    week: int,
    answers: np.ndarray,
) -> None:
    """Campaign responses for every firm: each person a firm's campaign reached (``contact[:,
    firm]``) answers with the uniform of ``keys[firm]``; a positive answer moves them one
    buying-cycle stage on, a "no" blocks that firm's campaigns for good and cancels its adoption
    boost, a "later" blocks them until the recontact week. ``people`` is (stage, contact_block,
    adoption_boost); ``answers[firm]`` counts each answer (positive, negative, no response,
    later). Firms answer in order."""
    stage, contact_block, adoption_boost = people
    edges = rule.answer_edges
    recontact = np.int32(week + rule.recontact_weeks)
    for firm in range(contact.shape[1]):
        for slot in range(contact.shape[0]):
            if not contact[slot, firm]:
                continue
            answer = answer_of(edges, uniform_one(keys[firm], np.int64(slot)))
            answers[firm, answer] += 1
            if answer == 0:  # positive
                stage[slot] = min(stage[slot] + 1, _LAST_STAGE)
            elif answer == 1:  # negative: never again, and not persuaded this week
                contact_block[slot, firm] = _NEVER
                adoption_boost[slot, firm, :] = 0
            elif answer == 3:  # later
                contact_block[slot, firm] = recontact


@njit(cache=True)
def _move_through_stages(
    status: np.ndarray, stage: np.ndarray, rule: BuyingCycleParams, key: np.uint64
) -> None:
    """Each prospect's buying-cycle stage moves on (or drops back) by their own uniform, in place:
    awareness -> research below the research rate; research -> comparison below the comparison
    rate, back to awareness in the next dropout rate; comparison -> awareness below the
    comparison dropout rate."""
    research, comparison = rule.research_rate, rule.comparison_rate
    dropout, comparison_dropout = rule.dropout_rate, rule.comparison_dropout_rate
    for slot in range(status.size):
        if status[slot] != _PROSPECT:
            continue
        u = uniform_one(key, np.int64(slot))
        now = stage[slot]
        if now == 0:
            if u < research:
                stage[slot] = 1
        elif now == 1:
            if u < comparison:
                stage[slot] = 2
            elif u < comparison + dropout:
                stage[slot] = 0
        elif u < comparison_dropout:
            stage[slot] = 0
