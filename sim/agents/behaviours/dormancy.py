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

The answers, the self-returns and the new dormancy run compiled (:func:`_reactivation_answers`,
:func:`_moves`), reading the parameters by name from :class:`DormancyParams`.

Example:
    >>> from sim.agents.customers import Response  # the answers, in the order the kernel codes them
    >>> [r.name for r in Response]
    ['POSITIVE', 'NEGATIVE', 'NO_RESPONSE', 'LATER']
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np
from numba import njit

from sim.agents.behaviours import per_scenario
from sim.agents.customers import Status
from sim.numerics import answer_of, below_chance
from sim.streams import uniform_one

if TYPE_CHECKING:
    from sim.model import CustomerMarket
    from sim.scenario import Scenario

# Constants of the compiled rule (the codes of sim.agents.customers).
_ACTIVE, _DORMANT = np.int8(Status.ACTIVE), np.int8(Status.DORMANT)


class DormancyParams(NamedTuple):
    """The dormancy rule's parameters as its kernels read them."""

    self_return: np.float32  # weekly hazard of coming back unprompted, x purchase rate x spend level
    weeks: int  # an active customer with no purchase for this long becomes dormant
    answer_edges: np.ndarray  # cumulative chances of a reactivation's answers: positive, negative, none
    recontact_weeks: int  # "contact me later" blocks the campaign this long


@per_scenario
def params(scenario: Scenario) -> DormancyParams:
    """The scenario's dormancy parameters (``[behaviours.dormancy]``)."""
    config = scenario.behaviours.dormancy
    edges = np.cumsum(
        [config.receptive, config.negative, 1 - config.receptive - config.negative - config.later]
    )
    return DormancyParams(
        self_return=np.float32(config.self_return),
        weeks=int(config.weeks),
        answer_edges=edges,
        recontact_weeks=int(config.recontact_weeks),
    )


def run(market: CustomerMarket) -> None:
    config = market.scenario.behaviours.dormancy
    c = market.customers
    week = market.week
    c.dormant_weeks += c.status == Status.DORMANT  # one more week spent dormant
    if not config.enabled:
        return
    _respond_to_reactivation(market)
    # Then, in one pass, self-returns (``self_return``: some dormant customers come back
    # unprompted, low-frequency buyers often being only between purchases) and new dormancy.
    flows = market.recorder.flows
    returned, lapsed = _moves(
        (c.status, c.firm, c.last_purchase_week, c.dormant_since, c.acquired_week),
        c.purchase_rate,
        c.spend_level,
        params(market.scenario),
        week,
        market.streams.key("self_return", week),
        c.n_firms,
    )
    flows.returned += returned
    flows.became_dormant += lapsed


def _respond_to_reactivation(market: CustomerMarket) -> None:
    """Dormant customers contacted by their firm this week (still dormant, still theirs) answer
    with one uniform each: positive, they are active again (the dormancy clock restarts at this
    week); negative, never contact again; later, not before ``recontact_weeks``; no response
    changes nothing. The loop is :func:`_reactivation_answers`."""
    if not market.effects.used("reactivation_contact"):
        return  # nobody was contacted this week
    c = market.customers
    week = market.week
    flows = market.recorder.flows
    people = (c.status, c.firm, c.last_purchase_week, c.dormant_since, c.reactivated, c.reactivated_week)
    people += (c.do_not_contact, c.recontact_week)
    _reactivation_answers(
        market.effects.reactivation_contact,
        market.streams.key("reactivation_response", week),
        people,
        params(market.scenario),
        week,
        (flows.responses, flows.reactivated),
    )


# --------------------------------------------------------------------------- the compiled rule


@njit(cache=True)
def _moves(
    state: tuple,
    purchase_rate: np.ndarray,
    spend_level: np.ndarray,
    rule: DormancyParams,
    week: int,
    key: np.uint64,
    firms: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Dormant customers who come back by themselves (weekly hazard self_return x purchase rate x
    spend level; not those who became dormant this week) and active customers without a purchase
    for ``weeks`` weeks who become dormant (not those who joined this week), in place.
    ``state`` is (status, firm, last purchase week, dormant since, acquired week). Returns the
    returned and the newly dormant counts by firm."""
    status, firm_of, last_purchase, dormant_since, acquired = state
    self_return, weeks = rule.self_return, rule.weeks
    active, dormant = _ACTIVE, _DORMANT
    returned = np.zeros(firms, dtype=np.int64)
    lapsed = np.zeros(firms, dtype=np.int64)
    for slot in range(status.size):
        if status[slot] == dormant:
            if self_return > 0 and dormant_since[slot] < week:
                hazard = self_return * purchase_rate[slot] * spend_level[slot]
                if below_chance(uniform_one(key, np.int64(slot)), hazard):
                    status[slot] = active
                    last_purchase[slot] = week
                    dormant_since[slot] = -1
                    returned[firm_of[slot]] += 1
        elif status[slot] == active and week - last_purchase[slot] >= weeks and acquired[slot] < week:
            status[slot] = dormant
            dormant_since[slot] = week
            lapsed[firm_of[slot]] += 1
    return returned, lapsed


@njit(cache=True)
def _reactivation_answers(
    contact: np.ndarray, key: np.uint64, people: tuple, rule: DormancyParams, week: int, flows: tuple
) -> None:
    """The answers to reactivation: each dormant customer contacted by their own firm this
    week (``contact[slot]`` is the firm, -1 if none) answers with the uniform of ``key``. Positive:
    active again (the dormancy clock restarts, the return is recorded); negative: never contact
    again; later: not before the recontact week. ``people`` is (status, firm, last purchase week,
    dormant since, reactivated, reactivated week, do not contact, recontact week); ``flows`` is (answers by firm (F, 4),
    reactivated by firm (F,)), added to."""
    status, firm_of, last_purchase, dormant_since, reactivated, reactivated_week = people[:6]
    do_not_contact, recontact_week = people[6:]
    dormant, active = _DORMANT, _ACTIVE
    edges, recontact = rule.answer_edges, week + rule.recontact_weeks
    answers, returned = flows
    for slot in range(contact.size):
        firm = contact[slot]
        if firm < 0 or status[slot] != dormant or firm_of[slot] != firm:
            continue  # no contact, or no longer a dormant customer of the firm that sent it
        answer = answer_of(edges, uniform_one(key, np.int64(slot)))
        answers[firm, answer] += 1
        if answer == 0:  # positive: back
            status[slot] = active
            last_purchase[slot] = week
            dormant_since[slot] = -1
            reactivated[slot] = True
            reactivated_week[slot] = week
            returned[firm] += 1
        elif answer == 1:
            do_not_contact[slot] = True
        elif answer == 3:
            recontact_week[slot] = recontact
