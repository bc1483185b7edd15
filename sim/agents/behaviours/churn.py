"""Step 8, churn: competing hazards, one per reason customers leave (seed 004).

For every customer (who did not join this week) the weekly hazards are

    died            the persona's death rate (demographic)
    moved           the persona's moving rate (demographic)
    followed_friend follow_friend_rate x share of friends who recently left this firm in a way
                    friends hear of (a switch to a rival, or a dissatisfied exit)
    better_value    better_value_rate x the value gap to the best rival the person knows of
                    x (1 + that rival's conquest pressure this week); the gap is the difference
                    in log attraction (social proof and price) plus this week's perceived-value
                    noise of each firm (sd ``value_noise``)
    dissatisfied    dissatisfied_rate x how far satisfaction is below its tolerance (0..1)
    unappreciated   unappreciated_rate x how far appreciation is below its tolerance (0..1)

Belonging: the better-value and unappreciated hazards are multiplied by 1 - belonging x (share of
friends at the same firm), and for a referred customer whose referrer still buys from the same
firm, by 1 - referrer_tie as well (social enrichment through the referral tie).

The customer leaves with probability 1 - exp(-sum) and the reason is drawn in proportion to the
hazards. Died and moved: the person leaves the market and a newcomer takes the slot. Followed a
friend: they switch to the rival most of their friends buy from. Better value: they switch to the
best-value rival. Dissatisfied and unappreciated: they lapse to prospect, aware of every firm.
Prospects die and move too (their slots are refilled) but that is not churn.

Partial churn (seed 004's other two categories) runs on the same drivers at lower intensity: a
customer who stays faces a product-churn hazard ``product_intensity x`` and a decreased-spend
hazard ``spend_intensity x`` the sum of the four non-demographic hazards; product churn drops one
product (if more than one is held), decreased spend lowers the spend level by ``spend_drop``; the
reason is drawn in proportion to those four hazards and recorded like an exit's.

Example:
    >>> [r.name for r in Reason][:2]
    ['DIED', 'MOVED']
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim import kernels
from sim.agents.customers import NO_FIRM, Channel, Reason, Stage, Status, Tier

if TYPE_CHECKING:
    from sim.model import CustomerMarket, Signals

_NOBODY = (np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64))  # no slots, no reasons
# Bounds of the perceived-value noise's normal quantiles in 1,024 cells of the uniform: they
# decide almost every customer's churn without the quantiles (sim.kernels.churn_outcomes).
_QUANTILE_CELLS = kernels.normal_quantile_cells(1024)


def hazards(market: CustomerMarket, signals: Signals, slots: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(k, 6) weekly hazard per reason for customers in ``slots``, and each one's best rival.

    The formulas are in the module docstring; the loop runs compiled
    (:func:`sim.kernels.churn_hazards`), one pass per customer with no (k, firms) temporaries.
    The weekly step decides with the same hazards, worked out lazily
    (:func:`sim.kernels.churn_outcomes`).
    """
    return kernels.churn_hazards(*_hazard_arguments(market, signals, slots))


def _hazard_arguments(market: CustomerMarket, signals: Signals, slots: np.ndarray) -> tuple:
    """The arguments of :func:`sim.kernels.churn_hazards` for the customers in ``slots``."""
    config = market.scenario.behaviours.churn
    c = market.customers
    n_firms = len(market.firm_list)
    leaver_share = signals.leaver_share
    if leaver_share is None:
        leaver_share = np.zeros((0, n_firms), dtype=np.float32)
    # What a person happens to see of each firm's offer this week ("perceive a better value is
    # available elsewhere", seed 004): noise around the systematic value, drawn in the kernel.
    noise_keys = np.array([market.streams.key("perceived_value", market.week, sub=f) for f in range(n_firms)])
    rating_gap, price_gap = signals.offer_gaps()
    rates = np.array(
        [
            config.follow_friend_rate,
            config.better_value_rate,
            config.dissatisfied_rate,
            config.unappreciated_rate,
            config.belonging,
            np.float32(1 - config.referrer_tie),
            signals.price_weight,
            config.died,
            config.moved,
        ],
        dtype=np.float32,
    )
    return (
        np.asarray(slots, dtype=np.int64),
        (c.death_hazard, c.move_hazard),
        leaver_share,
        (c.proof_sensitivity, c.price_sensitivity, rating_gap, price_gap),
        (float(config.value_noise), noise_keys.astype(np.uint64)),
        market.effects.poach_boost,
        c.aware,
        np.array([f.conquest_pressure for f in market.firm_list], dtype=np.float32),
        (
            c.satisfaction,
            c.appreciation,
            np.array([config.satisfaction_tolerance, config.appreciation_tolerance], dtype=np.float32),
        ),
        signals.neighbour_share,
        _referrer_arrays(c),
        rates,
    )


def _referrer_arrays(c) -> tuple:
    return (c.referrer_slot, c.referrer, c.person_id, c.firm, c.channel, np.int8(Channel.REFERRAL))


def referrer_still_there(market: CustomerMarket, slots: np.ndarray) -> np.ndarray:
    """Whether each customer in ``slots`` was referred by someone who still buys from their firm
    (the same person: a slot refilled by a newcomer does not count)."""
    return kernels.referrer_still_there(np.asarray(slots, dtype=np.int64), _referrer_arrays(market.customers))


def run(market: CustomerMarket, signals: Signals) -> None:
    config = market.scenario.behaviours.churn
    if not config.enabled:
        return
    c = market.customers
    week = market.week
    customers = kernels.customers_before(c.firm, c.acquired_week, week)
    departed = _NOBODY
    if customers.size:
        partial = market.scenario.behaviours.partial_churn
        intensity = [partial.product_intensity, partial.spend_intensity] if partial.enabled else [0, 0]
        decisions = ("churn", "churn_reason", "product_churn", "product_churn_reason")
        decisions += ("spend_churn", "spend_churn_reason")
        # The hazards of hazards(), worked out in the same pass as the decisions they make.
        events = kernels.churn_outcomes(
            _hazard_arguments(market, signals, customers),
            _QUANTILE_CELLS,
            np.array([market.streams.key(d, week) for d in decisions], dtype=np.uint64),
            np.array(intensity, dtype=np.float32),
            c.products,
            c.spend_level,
            np.float32(partial.min_spend_level),
        )
        departed = _book(market, signals, customers, events)
    prospects_departed = _demography_of_prospects(market)
    # Everyone who left the market this week (customers first, then prospects) is replaced by
    # a newcomer in one go: the two groups are disjoint (the prospects' step skips people who
    # are not prospects, and newcomers), and one refill costs half of two at small sizes.
    slots = np.concatenate([departed[0], prospects_departed[0]])
    if slots.size:
        c.replace(slots, week, np.concatenate([departed[1], prospects_departed[1]]))


def _book(
    market: CustomerMarket, signals: Signals, customers: np.ndarray, events: tuple
) -> tuple[np.ndarray, np.ndarray]:
    """Record this week's churn events and apply them; returns the slots and reasons of those
    who died or moved (the caller refills their slots).

    Account churn: the exit is counted by firm and reason (and for customers won during the run,
    by referral or otherwise), the person's last exit (week, reason, firm) is recorded, and:
    died or moved, they leave the market; followed a friend, they switch to the rival most of
    their friends buy from (the best-value rival if none do); better value, to the best-value
    rival; a switcher joins the rival (channel "poached" if that rival sent them an offer this
    week, else "switch"). A follower none of whose friends buy elsewhere and who knows no rival
    has nowhere to switch to, and lapses like the dissatisfied and unappreciated: to prospect,
    aware of every firm. Friends hear of a switch, and of a dissatisfied exit when
    ``dissatisfied_tell_friends``. Product churn drops one product; decreased spend lowers the
    spend level by ``spend_drop``, not below ``min_spend_level``; both are counted by firm and
    reason. The loop runs compiled (:func:`sim.kernels.churn_bookkeeping`).
    """
    c = market.customers
    flows = market.recorder.flows
    config = market.scenario.behaviours
    people = (
        c.firm, c.acquired_in_run, c.channel, c.churn_week, c.churn_reason, c.left_firm, c.told_friends,
        c.status, c.tier, c.aware, c.stage, c.dormant_since, c.products, c.product_churns, c.spend_level,
        c.spend_decreases,
    )  # fmt: skip
    recorded = (
        flows.churned, flows.churned_referred, flows.churned_other_won, flows.acquired,
        flows.product_churned, flows.spend_decreased,
    )  # fmt: skip
    partial = config.partial_churn
    movers, to, channel, gone, reason = kernels.churn_bookkeeping(
        customers,
        events,
        market.week,
        people,
        (signals.neighbour_share, market.effects.poach_boost),
        recorded,
        (np.float32(1 - partial.spend_drop), np.float32(partial.min_spend_level)),
        np.array([*_CODES, config.churn.dissatisfied_tell_friends, NO_FIRM], dtype=np.int64),
    )
    if movers.size:
        c.join(
            movers,
            to,
            market.week,
            channel,
            satisfaction=config.experience.initial_satisfaction,
            appreciation=config.appreciation.initial,
        )
    return gone, reason


# The codes churn_bookkeeping reads, in its order.
_CODES = (
    Reason.DIED, Reason.MOVED, Reason.FOLLOWED_FRIEND, Reason.BETTER_VALUE, Reason.DISSATISFIED,
    Channel.REFERRAL, Channel.SWITCH, Channel.POACHED, Status.PROSPECT, Tier.NONE, Stage.AWARENESS,
)  # fmt: skip


def _demography_of_prospects(market: CustomerMarket) -> tuple[np.ndarray, np.ndarray]:
    """The prospects who die or move away this week: (slots, reasons); not churn (they buy
    from no firm), and the caller refills their slots."""
    config = market.scenario.behaviours.churn
    if not (config.died or config.moved):
        return _NOBODY
    c = market.customers
    week = market.week
    chances = c.demographic_chances(config.died, config.moved)
    keys = np.array([market.streams.key("demography", week), market.streams.key("demography_reason", week)])
    # Not those who lapsed or arrived this week: one exit or arrival per person per week.
    leavers, died = kernels.prospect_departures(
        c.status,
        c.churn_week,
        c.arrival_week,
        c.persona,
        chances,
        week,
        keys.astype(np.uint64),
        np.int8(Status.PROSPECT),
    )
    return leavers, np.where(died, Reason.DIED, Reason.MOVED).astype(np.int64)
