"""Step 8, churn: competing hazards, one per reason customers leave (seed 004).

For every customer (who did not join this week) the weekly hazards are

    died            the persona's death rate (demographic) x the person's died_frailty
    moved           the persona's moving rate (demographic) x the person's moved_frailty
    followed_friend follow_friend_rate x share of friends who recently left this firm in a way
                    friends hear of (a switch to a rival, or a dissatisfied exit)
    better_value    better_value_rate x the value gap to the best rival the person knows of
                    x (1 + that rival's conquest pressure this week); the gap is the difference
                    in log attraction (social proof and price) plus this week's perceived-value
                    noise of each firm (sd ``value_noise``)
    dissatisfied    dissatisfied_rate x how far satisfaction is below its tolerance (0..1)
    unappreciated   unappreciated_rate x how far appreciation is below its tolerance (0..1)

Each of the other four is multiplied by the person's frailty for that reason (persona traits
``followed_friend_frailty``, ..., ``unappreciated_frailty``; 1 unless a persona draws them).

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

The hazards and the week's decisions run compiled in one pass over the customers
(:func:`outcomes`), reading the parameters by name from :class:`ChurnParams`; the week's exits,
switches, lapses and partial churn are booked in a second (:func:`bookkeeping`).

Example:
    >>> [r.name for r in Reason][:2]
    ['DIED', 'MOVED']
    >>> from sim.scenario import Scenario
    >>> float(params(Scenario()).tie_keep) <= 1
    True
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np
from numba import njit

from sim.agents.behaviours import per_scenario
from sim.agents.customers import (
    CHURN_FRAILTIES,
    NO_FIRM,
    UNUSED_MULTIPLIER,
    Channel,
    Reason,
    Stage,
    Status,
    Tier,
    varying_multipliers,
)
from sim.numerics import (
    below_chance,
    may_be_below,
    normal_quantile,
    normal_quantile_cells,
    pick_in_proportion,
)
from sim.streams import uniform_one
from sim.threads import in_pieces

if TYPE_CHECKING:
    from sim.model import CustomerMarket, Signals
    from sim.scenario import Scenario

_NOBODY = (np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64))  # no slots, no reasons
# Bounds of the perceived-value noise's normal quantiles in 1,024 cells of the uniform: they
# decide almost every customer's churn without the quantiles (see outcomes).
QUANTILE_CELLS = normal_quantile_cells(1024)
# Customers whose churn outcomes are worked out in one go (:func:`outcomes`).
OUTCOME_BLOCK = 1 << 20
# No table of cells: every better-value hazard worked out exactly.
EXACT = np.empty((0, 2), dtype=np.float64)

# The codes the compiled rule compares with (numba takes them as constants when it compiles;
# they are the codes of the results files, fixed in sim.agents.customers).
_DIED, _MOVED = np.int8(Reason.DIED), np.int8(Reason.MOVED)
_FOLLOWED_FRIEND, _BETTER_VALUE = np.int8(Reason.FOLLOWED_FRIEND), np.int8(Reason.BETTER_VALUE)
_DISSATISFIED = np.int8(Reason.DISSATISFIED)
_REFERRAL, _SWITCH, _POACHED = np.int8(Channel.REFERRAL), np.int8(Channel.SWITCH), np.int8(Channel.POACHED)
_PROSPECT, _NO_TIER, _AWARENESS = np.int8(Status.PROSPECT), np.int8(Tier.NONE), np.int8(Stage.AWARENESS)
_NO_FIRM = np.int8(NO_FIRM)


class ChurnParams(NamedTuple):
    """The churn rule's parameters as its kernels read them (the hazards are float32)."""

    follow_friend_rate: np.float32  # x the share of friends who recently left the firm
    better_value_rate: np.float32  # x the value gap to the best known rival
    dissatisfied_rate: np.float32  # x how far satisfaction is below its tolerance (0..1)
    unappreciated_rate: np.float32  # x how far appreciation is below its tolerance (0..1)
    belonging: np.float32  # the share of friends at the firm damps two hazards by this
    tie_keep: np.float32  # 1 - referrer_tie: what a live referral tie leaves of two hazards
    price_weight: np.float32  # weight of the log-price gap (the adoption rule's)
    died: bool  # the demographic hazards are on
    moved: bool
    satisfaction_tolerance: np.float32
    appreciation_tolerance: np.float32
    value_noise: float  # sd of each week's perceived-value noise of each firm
    product_intensity: np.float32  # partial churn's intensities (0 when partial churn is off)
    spend_intensity: np.float32
    spend_keep: np.float32  # 1 - spend_drop: what a decreased spend keeps of the spend level
    min_spend_level: np.float32  # the spend floor
    tell_dissatisfied: bool  # friends hear of a dissatisfied exit
    frailty: bool  # some person's followed-friend, better-value, dissatisfied or unappreciated
    # hazard is multiplied by their own frailty (persona ``<reason>_frailty``); off: no product


@per_scenario
def params(scenario: Scenario) -> ChurnParams:
    """The scenario's churn parameters (``[behaviours.churn]`` and ``[behaviours.partial_churn]``)."""
    config = scenario.behaviours.churn
    partial = scenario.behaviours.partial_churn
    f32 = np.float32
    return ChurnParams(
        follow_friend_rate=f32(config.follow_friend_rate),
        better_value_rate=f32(config.better_value_rate),
        dissatisfied_rate=f32(config.dissatisfied_rate),
        unappreciated_rate=f32(config.unappreciated_rate),
        belonging=f32(config.belonging),
        tie_keep=f32(1 - config.referrer_tie),
        price_weight=f32(scenario.behaviours.adoption.price_weight),
        died=bool(config.died),
        moved=bool(config.moved),
        satisfaction_tolerance=f32(config.satisfaction_tolerance),
        appreciation_tolerance=f32(config.appreciation_tolerance),
        value_noise=float(config.value_noise),
        product_intensity=f32(partial.product_intensity if partial.enabled else 0),
        spend_intensity=f32(partial.spend_intensity if partial.enabled else 0),
        spend_keep=f32(1 - partial.spend_drop),
        min_spend_level=f32(partial.min_spend_level),
        tell_dissatisfied=bool(config.dissatisfied_tell_friends),
        frailty=any(name in varying_multipliers(scenario) for name in CHURN_FRAILTIES),
    )


def run(market: CustomerMarket, signals: Signals) -> None:
    config = market.scenario.behaviours.churn
    if not config.enabled:
        return
    c = market.customers
    week = market.week
    customers = np.flatnonzero((c.firm >= 0) & (c.acquired_week < week))  # not those who joined this week
    departed = _NOBODY
    if customers.size:
        decisions = ("churn", "churn_reason", "product_churn", "product_churn_reason")
        decisions += ("spend_churn", "spend_churn_reason")
        # The hazards of hazard_inputs, worked out in the same pass as the decisions they make.
        events = outcomes(
            hazard_inputs(market, signals, customers),
            QUANTILE_CELLS,
            np.array([market.streams.key(d, week) for d in decisions], dtype=np.uint64),
            c.products,
            c.spend_level,
        )
        departed = _book(market, signals, customers, events)
    prospects_departed = _demography_of_prospects(market)
    # Everyone who left the market this week (customers first, then prospects) is replaced by
    # a newcomer in one go: the two groups are disjoint (the prospects' step skips people who
    # are not prospects, and newcomers), and one refill costs half of two at small sizes.
    slots = np.concatenate([departed[0], prospects_departed[0]])
    if slots.size:
        c.replace(slots, week, np.concatenate([departed[1], prospects_departed[1]]))


def hazard_inputs(market: CustomerMarket, signals: Signals, slots: np.ndarray) -> tuple:
    """What :func:`hazard_rows` reads for the customers in ``slots``, as one tuple: (slots,
    (death hazard, move hazard), leaver share ((people, F), or (0, F) when friends' exits are not
    followed), (proof sensitivity, price sensitivity, rating gap, price gap), (sd of this week's
    perceived-value noise, the "perceived_value" stream cell of each firm), poach boost, aware,
    each firm's conquest pressure (F,) float32, (satisfaction, appreciation), neighbour share,
    (referrer slot, referrer person id, person id, firm, channel), the followed-friend,
    better-value, dissatisfied and unappreciated frailties (float32 per person, read only when
    ``params.frailty``), the parameters)."""
    rule = params(market.scenario)
    c = market.customers
    n_firms = len(market.firm_list)
    leaver_share = signals.leaver_share
    if leaver_share is None:
        leaver_share = np.zeros((0, n_firms), dtype=np.float32)
    # What a person happens to see of each firm's offer this week ("perceive a better value is
    # available elsewhere", seed 004): noise around the systematic value, drawn in the kernel.
    noise_keys = np.array([market.streams.key("perceived_value", market.week, sub=f) for f in range(n_firms)])
    rating_gap, price_gap = signals.offer_gaps()
    return (
        np.asarray(slots, dtype=np.int64),
        (c.death_hazard, c.move_hazard),
        leaver_share,
        (c.proof_sensitivity, c.price_sensitivity, rating_gap, price_gap),
        (rule.value_noise, noise_keys.astype(np.uint64)),
        market.effects.poach_boost,
        c.aware,
        np.array([f.conquest_pressure for f in market.firm_list], dtype=np.float32),
        (c.satisfaction, c.appreciation),
        signals.neighbour_share,
        (c.referrer_slot, c.referrer, c.person_id, c.firm, c.channel),
        tuple(getattr(c, name) if rule.frailty else UNUSED_MULTIPLIER for name in CHURN_FRAILTIES),
        rule,
    )


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
    reason. The loop runs compiled (:func:`bookkeeping`).
    """
    c = market.customers
    config = market.scenario.behaviours
    people, recorded = _ledgers(market)
    movers, to, channel, gone, reason = bookkeeping(
        customers,
        events,
        market.week,
        people,
        (signals.neighbour_share, market.effects.poach_boost),
        recorded,
        params(market.scenario),
    )
    if movers.size:
        # Who each firm lost to whom (what a firm perceives as "lost to a rival"), before joining.
        np.add.at(market.recorder.flows.lost_to, (c.left_firm[movers], to), 1)
        c.join(
            movers,
            to,
            market.week,
            channel,
            satisfaction=config.experience.initial_satisfaction,
            appreciation=config.appreciation.initial,
        )
    return gone, reason


def _ledgers(market: CustomerMarket) -> tuple[tuple, tuple]:
    """What :func:`bookkeeping` writes: the people's arrays and the recorder's week of flows."""
    c = market.customers
    flows = market.recorder.flows
    people = (
        c.firm, c.acquired_in_run, c.channel, c.churn_week, c.churn_reason, c.left_firm, c.told_friends,
        c.status, c.tier, c.aware, c.stage, c.dormant_since, c.products, c.product_churns, c.spend_level,
        c.spend_decreases,
    )  # fmt: skip
    recorded = (
        flows.churned, flows.churned_referred, flows.churned_other_won, flows.acquired,
        flows.product_churned, flows.spend_decreased,
    )  # fmt: skip
    return people, recorded


def lapse(market: CustomerMarket, slots: np.ndarray, reason: Reason) -> None:
    """The customers in ``slots`` leave their firm for ``reason`` (one that lapses to prospect:
    dissatisfied or unappreciated), booked exactly as this step books such an exit: counted by
    firm and reason, the last exit recorded, friends told of a dissatisfied exit when
    ``dissatisfied_tell_friends``, the person a prospect aware of every firm. For another
    behaviour's exits (buyer's remorse, :mod:`sim.agents.behaviours.growth`)."""
    if reason not in (Reason.DISSATISFIED, Reason.UNAPPRECIATED):
        raise ValueError(f"a lapse is dissatisfied or unappreciated, not {Reason(reason).name.lower()}")
    slots = np.asarray(slots, dtype=np.int64)
    if slots.size == 0:
        return
    none = np.full(slots.size, -1, dtype=np.int8)
    events = (np.full(slots.size, reason, dtype=np.int8), none, none.copy())
    events += (market.customers.firm[slots].astype(np.int64),)  # the best rival: none
    nowhere = np.zeros((0, len(market.firm_list)), dtype=np.float32)  # read only for switches
    people, recorded = _ledgers(market)
    bookkeeping(slots, events, market.week, people, (nowhere, nowhere), recorded, params(market.scenario))


def _demography_of_prospects(market: CustomerMarket) -> tuple[np.ndarray, np.ndarray]:
    """The prospects who die or move away this week: (slots, reasons); not churn (they buy
    from no firm), and the caller refills their slots."""
    config = market.scenario.behaviours.churn
    if not (config.died or config.moved):
        return _NOBODY
    c = market.customers
    week = market.week
    keys = np.array([market.streams.key("demography", week), market.streams.key("demography_reason", week)])
    # The chances by persona, or by person when a frailty makes the hazards personal (then each
    # slot is its own "kind").
    if c.demography_per_person:
        chances, kind = c.demographic_chances_by_person(config.died, config.moved), np.arange(c.size)
    else:
        chances, kind = c.demographic_chances(config.died, config.moved), c.persona
    # Not those who lapsed or arrived this week: one exit or arrival per person per week.
    # Everyone is looked at, in pieces on the kernels' threads; each slot's verdict is its own.
    verdict = np.empty(c.size, dtype=np.int8)
    people = (c.status, c.churn_week, c.arrival_week, kind)
    in_pieces(_prospect_departure_rows, c.size, (people, chances, week, keys.astype(np.uint64)), verdict)
    leavers = np.flatnonzero(verdict)
    return leavers, np.where(verdict[leavers] == 2, Reason.DIED, Reason.MOVED).astype(np.int64)


def recent_leavers(market: CustomerMarket) -> np.ndarray:
    """int8 code per person: the firm they left within ``follow_window_weeks`` in a way friends
    hear of (a switch, or a dissatisfied exit they told of), else -1: what "followed a friend"
    counts among each person's friends (:meth:`sim.model.CustomerMarket.signals`)."""
    c = market.customers
    window = market.scenario.behaviours.churn.follow_window_weeks
    return _recent_leavers(c.told_friends, c.churn_week, c.left_firm, market.week, window)


# --------------------------------------------------------------------------- the compiled rule


@njit(cache=True, inline="always")
def _offer_value(
    f: int, proof: float, scaled_price: np.float32, rating_gap: np.ndarray, price_gap: np.ndarray
) -> np.float32:
    """Firm ``f``'s systematic value to a person (rating and price, before this week's noise), in
    float32: the one both :func:`_perceived_value` and its bound start from, so the bound holds."""
    return np.float32(proof * rating_gap[f] - np.float64(scaled_price) * price_gap[f])


@njit(cache=True, inline="always")
def _perceived_value(
    f: int,
    slot: int,
    proof: float,
    scaled_price: np.float32,
    rating_gap: np.ndarray,
    price_gap: np.ndarray,
    noise: tuple,
) -> np.float32:
    """Firm ``f``'s value to the person in ``slot`` this week, before any poaching boost: the
    attraction of its rating and price, plus the week's perceived-value noise (float32)."""
    noise_sd, noise_keys = noise[0], noise[1]
    value32 = _offer_value(f, proof, scaled_price, rating_gap, price_gap)
    if noise_sd > 0:
        u = min(max(uniform_one(noise_keys[f], np.int64(slot)), 1e-12), 1.0 - 1e-12)
        value32 = np.float32(np.float64(value32) + noise_sd * normal_quantile(u))
    return value32


@njit(cache=True, inline="always")
def _perceived_value_bound(
    f: int,
    slot: int,
    proof: float,
    scaled_price: np.float32,
    rating_gap: np.ndarray,
    price_gap: np.ndarray,
    noise: tuple,
    side: int,
) -> np.float32:
    """A bound of :func:`_perceived_value` without the normal quantile: the quantile's bound on
    ``side`` (0 lowest, 1 highest) of the cell of ``noise[2]`` its uniform falls in. Every step
    of the value is monotone in the quantile, roundings included, so the bound holds exactly."""
    noise_sd, noise_keys, cells = noise
    value32 = _offer_value(f, proof, scaled_price, rating_gap, price_gap)
    cell = np.int64(uniform_one(noise_keys[f], np.int64(slot)) * cells.shape[0])
    return np.float32(np.float64(value32) + noise_sd * cells[cell, side])


@njit(cache=True, nogil=True)
def hazard_rows(
    first: int, last: int, inputs: tuple, cells: np.ndarray, out: np.ndarray, best_rival: np.ndarray
) -> None:
    """The six weekly hazards (``out[i]``, float32, in the order of :class:`Reason`) and the
    best-value rival (``best_rival[i]``) of customers ``first`` to ``last - 1`` of
    :func:`hazard_inputs`' tuple ``inputs``: the rule of the module docstring, one pass per
    customer with no (k, firms) temporaries.

    With an empty table of quantile cells (:data:`EXACT`) every hazard is exact. Otherwise
    (:data:`QUANTILE_CELLS`) a customer who knows a rival gets an upper bound of the better-value
    hazard in place of the hazard, and a best rival of -1 ("not worked out"): :func:`outcomes`
    works the row out exactly only where a uniform falls below a bound. The exception is a
    customer whose one rival cannot beat the own firm even at the bounds: that hazard is 0, exactly.
    """
    slots, demography, leaver_share, attraction, noise, poach_boost, aware, pressure = inputs[:8]
    feelings, neighbour_share, referrer, frailty, rule = inputs[8:]
    referrer_slot, referrer_id, person_id, firm_of, channel = referrer
    death, move = demography
    proof_sensitivity, price_sensitivity, rating_gap, price_gap = attraction
    noise_sd = noise[0]
    satisfaction, appreciation = feelings
    follow, better = rule.follow_friend_rate, rule.better_value_rate
    dissatisfied, unappreciated = rule.dissatisfied_rate, rule.unappreciated_rate
    belonging, tie_damp, price_weight = rule.belonging, rule.tie_keep, rule.price_weight
    with_death = rule.died
    with_move = rule.moved
    with_follow = leaver_share.shape[0] > 0
    with_noise = noise_sd > 0
    bounded = with_noise and cells.shape[0] > 0
    noise_cells = (noise_sd, noise[1], cells)
    satisfaction_tolerance, appreciation_tolerance = rule.satisfaction_tolerance, rule.appreciation_tolerance
    firms = rating_gap.size
    one = np.float32(1.0)
    zero = np.float32(0.0)
    with_better = firms > 1 and better > 0
    with_tie = tie_damp < one
    for i in range(first, last):
        slot = slots[i]
        own = np.int64(firm_of[slot])
        out[i, 0] = death[slot] if with_death else zero
        out[i, 1] = move[slot] if with_move else zero
        out[i, 2] = follow * leaver_share[slot, own] if with_follow else zero
        rival, rivals = -1, 0
        for f in range(firms):
            if f != own and aware[slot, f]:
                rival, rivals = f, rivals + 1
        better_hazard = zero
        if rivals == 0:
            best_rival[i] = own
        elif bounded:
            scaled_price = price_weight * price_sensitivity[slot]
            proof = np.float64(proof_sensitivity[slot])
            # Each known rival at the top of its noise cell against the own firm at the bottom
            # of its own: the largest such gap bounds the best rival's (all factors below are
            # non-negative, so the hazard's bound follows with the largest rival pressure).
            own_least = np.float32(
                _perceived_value_bound(own, slot, proof, scaled_price, rating_gap, price_gap, noise_cells, 0)
                + poach_boost[slot, own]
            )
            most_gap = np.float32(-np.inf)
            most_pressure = zero
            for f in range(firms):
                if f == own or not aware[slot, f]:
                    continue
                most = np.float32(
                    _perceived_value_bound(
                        f, slot, proof, scaled_price, rating_gap, price_gap, noise_cells, 1
                    )
                    + poach_boost[slot, f]
                )
                most_gap = max(most_gap, most - own_least)
                most_pressure = max(most_pressure, pressure[f])
            if rivals == 1 and most_gap < zero:
                best_rival[i] = rival  # cannot beat the own firm: the hazard is 0 exactly
            else:
                best_rival[i] = -1
                if with_better:
                    better_hazard = better * max(most_gap, zero) * (one + most_pressure)
        else:
            scaled_price = price_weight * price_sensitivity[slot]
            proof = np.float64(proof_sensitivity[slot])
            # Only the own firm's and known rivals' values are needed (a firm the person does
            # not know cannot be better value to them).
            own_value = np.float32(
                _perceived_value(own, slot, proof, scaled_price, rating_gap, price_gap, noise)
                + poach_boost[slot, own]
            )
            best = -1
            best_gap = -np.inf
            for f in range(firms):
                if f == own or not aware[slot, f]:
                    continue
                value = np.float32(
                    _perceived_value(f, slot, proof, scaled_price, rating_gap, price_gap, noise)
                    + poach_boost[slot, f]
                )
                g = value - own_value
                if best < 0 or g > best_gap:
                    best, best_gap = f, g
            best_rival[i] = best
            if with_better:
                better_hazard = better * max(np.float32(best_gap), zero) * (one + pressure[best])
        dissatisfied_hazard = zero
        if satisfaction_tolerance > 0:
            shortfall = (satisfaction_tolerance - satisfaction[slot]) / satisfaction_tolerance
            dissatisfied_hazard = dissatisfied * min(max(shortfall, zero), one)
        unappreciated_hazard = zero
        if appreciation_tolerance > 0:
            shortfall = (appreciation_tolerance - appreciation[slot]) / appreciation_tolerance
            unappreciated_hazard = unappreciated * min(max(shortfall, zero), one)
        if belonging > 0:
            damp = one - belonging * neighbour_share[slot, own]
            better_hazard *= damp
            unappreciated_hazard *= damp
        if with_tie:
            other = referrer_slot[slot]
            tied = (  # the referrer still buys from the same firm (the same person: not a newcomer)
                other >= 0
                and channel[slot] == _REFERRAL
                and person_id[other] == referrer_id[slot]
                and firm_of[other] == own
            )
            if tied:
                better_hazard *= tie_damp
                unappreciated_hazard *= tie_damp
        if rule.frailty:  # each reason's hazard x the person's own frailty for it
            out[i, 2] *= frailty[0][slot]
            better_hazard *= frailty[1][slot]
            dissatisfied_hazard *= frailty[2][slot]
            unappreciated_hazard *= frailty[3][slot]
        out[i, 3] = better_hazard
        out[i, 4] = dissatisfied_hazard
        out[i, 5] = unappreciated_hazard


def outcomes(
    inputs: tuple, cells: np.ndarray, keys: np.ndarray, products: np.ndarray, spend_level: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """This week's churn events for the customers of :func:`hazard_inputs`' tuple ``inputs``.

    Returns three int8 arrays of reasons, -1 where nothing happens: account churn (probability
    1 - exp(-total hazard), reason in proportion to the hazards), then for those who stay, product
    churn and decreased spend (probability 1 - exp(-intensity x the four non-demographic
    hazards), reason in proportion to them; only with more than one product, or above the spend
    floor); and the best-value rival of each customer who leaves (-1 for some who stay).
    ``keys`` are the stream cells of "churn", "churn_reason", "product_churn",
    "product_churn_reason", "spend_churn", "spend_churn_reason".

    The decisions are those of the exact hazards, but the hazards are worked out lazily: the
    better-value hazard needs two normal quantiles a customer who knows a rival, and the weekly
    chances are small, so its bound from ``cells`` (:data:`QUANTILE_CELLS`) decides almost every
    customer, and only those whose uniform falls below a bound get the quantiles.
    """
    slots = inputs[0]
    count = slots.size
    account = np.full(count, -1, dtype=np.int8)
    product = np.full(count, -1, dtype=np.int8)
    spend = np.full(count, -1, dtype=np.int8)
    best_rival = np.empty(count, dtype=np.int64)
    # The customers in blocks, so the hazards' scratch rows stay small (24 bytes a customer: at
    # ten million people 170 MB at the memory peak); each customer's rows are their own, so the
    # blocks give the same numbers as one pass.
    hazard = np.empty((min(count, OUTCOME_BLOCK), 6), dtype=np.float32)  # every row written
    for first in range(0, count, OUTCOME_BLOCK):
        last = min(first + OUTCOME_BLOCK, count)
        block = (slots[first:last], *inputs[1:])
        rows_inputs = (block, cells, keys, products, spend_level)
        outputs = (account[first:last], product[first:last], spend[first:last])
        in_pieces(_outcome_rows, last - first, rows_inputs, *outputs, hazard, best_rival[first:last])
    return account, product, spend, best_rival


@njit(cache=True, inline="always")
def _hazard_sum(hazard: np.ndarray, row: int, first: int, last: int) -> np.float32:
    """hazard[row, first] + ... + hazard[row, last], summed in float32 in that order."""
    total = np.float32(0.0)
    for r in range(first, last + 1):
        total += hazard[row, r]
    return total


@njit(cache=True, nogil=True)
def _outcome_rows(
    first: int,
    last: int,
    inputs: tuple,
    account: np.ndarray,
    product: np.ndarray,
    spend: np.ndarray,
    hazard: np.ndarray,
    best_rival: np.ndarray,
) -> None:
    """Customers ``first`` to ``last - 1`` of :func:`outcomes` (its arguments as one tuple)."""
    hazard_inputs, cells, keys, products, spend_level = inputs
    slots, rule = hazard_inputs[0], hazard_inputs[12]
    hazard_rows(first, last, hazard_inputs, cells, hazard, best_rival)
    # A draw whose outcome cannot matter (partial churn off, one product, spend at the floor) is
    # not made: each person's uniforms are their own, so no one else's decision moves. A row
    # whose better-value hazard is only bounded (best rival -1) is worked out exactly when a
    # uniform falls below the bound, before the decision: every decision is then the exact one.
    product_intensity, spend_intensity = rule.product_intensity, rule.spend_intensity
    with_product, with_spend = product_intensity > 0, spend_intensity > 0
    min_spend_level = rule.min_spend_level
    churn_key, reason_key = keys[0], keys[1]
    # No cells, as :data:`EXACT`, but typed as ``cells``: the global EXACT is a read-only
    # constant to numba, a second type that compiles hazard_rows a second time (4-5 s cold).
    exact = cells[:0]
    for i in range(first, last):
        slot = slots[i]
        u = uniform_one(churn_key, slot)
        total = _hazard_sum(hazard, i, 0, 5)
        if best_rival[i] < 0 and may_be_below(u, total):
            hazard_rows(i, i + 1, hazard_inputs, exact, hazard, best_rival)
            total = _hazard_sum(hazard, i, 0, 5)
        if below_chance(u, total):
            account[i] = pick_in_proportion(hazard, i, 0, 5, uniform_one(reason_key, slot))
            continue
        can_drop_product = with_product and products[slot] > 1
        can_cut_spend = with_spend and spend_level[slot] > min_spend_level
        if not (can_drop_product or can_cut_spend):
            continue
        pressure = _hazard_sum(hazard, i, 2, 5)
        if can_drop_product:
            u = uniform_one(keys[2], slot)
            if best_rival[i] < 0 and may_be_below(u, product_intensity * pressure):
                hazard_rows(i, i + 1, hazard_inputs, exact, hazard, best_rival)
                pressure = _hazard_sum(hazard, i, 2, 5)
            if below_chance(u, product_intensity * pressure):
                product[i] = pick_in_proportion(hazard, i, 2, 5, uniform_one(keys[3], slot))
        if can_cut_spend:
            u = uniform_one(keys[4], slot)
            if best_rival[i] < 0 and may_be_below(u, spend_intensity * pressure):
                hazard_rows(i, i + 1, hazard_inputs, exact, hazard, best_rival)
                pressure = _hazard_sum(hazard, i, 2, 5)
            if below_chance(u, spend_intensity * pressure):
                spend[i] = pick_in_proportion(hazard, i, 2, 5, uniform_one(keys[5], slot))


@njit(cache=True)
def bookkeeping(
    customers: np.ndarray,
    events: tuple,
    week: int,
    people: tuple,
    shares: tuple,
    flows: tuple,
    rule: ChurnParams,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The bookkeeping of this week's events (the rules are in the docstring of ``_book``), in
    one pass over the customers.

    ``events`` is :func:`outcomes`' (account, product, spend, best rival); ``people`` is
    (firm, acquired_in_run, channel, churn_week, churn_reason, left_firm, told_friends, status,
    tier, aware, stage, dormant_since, products, product_churns, spend_level, spend_decreases);
    ``shares`` (neighbour share, poach boost); ``flows`` the recorder's (churned,
    churned_referred, churned_other_won, acquired, product_churned, spend_decreased).

    Returns the switchers (slots, new firms, channels) for ``Customers.join`` and the slots and
    reasons of those who died or moved (the caller refills them).
    """
    account, product, spend, best_rival = events
    firm_of, won, channel, churn_week, churn_reason, left_firm, told_friends = people[:7]
    status, tier, aware, stage, dormant_since, products, product_churns = people[7:14]
    spend_level, spend_decreases = people[14], people[15]
    neighbour_share, poach_boost = shares
    churned, churned_referred, churned_other_won, acquired, product_churned, spend_decreased = flows
    keep_spend, spend_floor = rule.spend_keep, rule.min_spend_level
    tell_dissatisfied = rule.tell_dissatisfied
    firms = neighbour_share.shape[1]
    movers = np.empty(customers.size, dtype=np.int64)
    to = np.empty(customers.size, dtype=np.int64)
    how = np.empty(customers.size, dtype=np.int8)
    gone = np.empty(customers.size, dtype=np.int64)
    why_gone = np.empty(customers.size, dtype=np.int64)
    moving = 0
    going = 0
    for i in range(customers.size):
        slot = customers[i]
        own = np.int64(firm_of[slot])
        if product[i] >= 0:
            products[slot] -= 1
            product_churns[slot] += 1
            product_churned[own, product[i]] += 1
        if spend[i] >= 0:
            spend_level[slot] = max(spend_level[slot] * keep_spend, spend_floor)
            spend_decreases[slot] += 1
            spend_decreased[own, spend[i]] += 1
        why = np.int64(account[i])
        if why < 0:
            continue
        churned[own, why] += 1
        if won[slot]:
            if channel[slot] == _REFERRAL:
                churned_referred[own] += 1
            else:
                churned_other_won[own] += 1
        churn_week[slot] = week
        churn_reason[slot] = why
        left_firm[slot] = own
        if why in (_DIED, _MOVED):
            told_friends[slot] = False
            gone[going], why_gone[going] = slot, why
            going += 1
            continue
        rival = best_rival[i]
        if why == _FOLLOWED_FRIEND:  # the rival most friends buy from (np.argmax: the first largest share)
            most, most_share = -1, np.float32(-np.inf)
            for f in range(firms):
                share = np.float32(-1.0) if f == own else neighbour_share[slot, f]
                if share > most_share:
                    most, most_share = f, share
            if most_share > 0:
                rival = most
        switches = why in (_FOLLOWED_FRIEND, _BETTER_VALUE) and rival != own
        told_friends[slot] = switches or (why == _DISSATISFIED and tell_dissatisfied)
        if switches:
            movers[moving], to[moving] = slot, rival
            how[moving] = _POACHED if poach_boost[slot, rival] > 0 else _SWITCH
            acquired[rival, how[moving]] += 1
            moving += 1
        else:  # lapses to prospect, aware of every firm
            firm_of[slot] = _NO_FIRM
            status[slot] = _PROSPECT
            tier[slot] = _NO_TIER
            aware[slot, :] = True
            stage[slot] = _AWARENESS
            dormant_since[slot] = -1
    return (
        movers[:moving].copy(),
        to[:moving].copy(),
        how[:moving].copy(),
        gone[:going].copy(),
        why_gone[:going].copy(),
    )


@njit(cache=True, nogil=True)
def _prospect_departure_rows(first: int, last: int, inputs: tuple, verdict: np.ndarray) -> None:
    """Slots ``first`` to ``last - 1``: ``verdict`` 2 for a prospect who dies this week, 1 for
    one who moves away, 0 for everyone else (not those who lapsed or arrived this week).
    ``chances`` is (probability of leaving this week, share of leavers who died) per kind of
    person, ``persona`` each slot's kind: the persona (the demographic hazards are the
    persona's), or the slot itself when a frailty makes them personal; ``keys`` the stream cells
    of "demography" and "demography_reason"."""
    people, chances, week, keys = inputs
    status, churn_week, arrival_week, persona = people
    leave, died_share = chances
    for slot in range(first, last):
        verdict[slot] = 0
        if status[slot] != _PROSPECT or churn_week[slot] == week or arrival_week[slot] >= week:
            continue
        kind = persona[slot]
        if uniform_one(keys[0], np.int64(slot)) < leave[kind]:
            died = uniform_one(keys[1], np.int64(slot)) < died_share[kind]
            verdict[slot] = 2 if died else 1


@njit(cache=True)
def _recent_leavers(
    told_friends: np.ndarray, churn_week: np.ndarray, left_firm: np.ndarray, week: int, window: int
) -> np.ndarray:
    """:func:`recent_leavers` in one pass."""
    code = np.full(told_friends.size, -1, dtype=np.int8)
    for slot in range(told_friends.size):
        if told_friends[slot] and churn_week[slot] >= 0 and week - churn_week[slot] <= window:
            code[slot] = left_firm[slot]
    return code
