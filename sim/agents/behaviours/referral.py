"""Step 4, referrals: satisfied customers refer a friend, more often under a referral programme.

An active customer whose satisfaction is at least ``satisfaction_threshold`` refers with weekly
hazard ``referral_propensity x (1 + programme boost)``. The referrer weighs ``choosiness`` of their
friends (picked by their own draws) and refers the one who would make the best customer, judged as
spend per week over how fast they would feel neglected (seed 004: "make sure their network is the
type of client you want"); only a prospect can be referred (a friend who already buys somewhere
is reached by "followed a friend" churn instead). The friend becomes aware of the firm and
converts with probability ``conversion``, recorded as channel ``referral`` with the referrer's
person id. The programme's reward is paid only on conversion, while its weekly budget lasts.

Per tie (``transmission = "per_tie"``, :mod:`sim.agents.behaviours.transmission`), each satisfied
active customer who joined before this week, and at most ``active_weeks`` ago, refers each prospect
friend with chance ``beta`` a week instead: a prospect with n such friends at firm f is referred to
f with hazard ``n x -log(1 - beta) x (1 + programme boost)``, to one firm (in proportion to the
hazards), by one of those friends (each as likely), then converts as above (:func:`_tie_offers`).

Who refers, whom, and who converts run compiled (:func:`_who_refers`, :func:`_choose_friends`,
:func:`_offers`, :func:`_tie_offers`), reading the parameters by name from :class:`ReferralParams`.

Example:
    >>> from sim import load_scenario, simulate
    >>> result = simulate(load_scenario("scenarios/baseline.toml", {"market.size": 400, "run.weeks": 20}))
    >>> result.summary["firms"]["us"]["acquired_by_channel"]["referral"] >= 0
    True
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np
from numba import njit

from sim.agents.behaviours import per_scenario
from sim.agents.behaviours.transmission import tie_counts, tie_hazard, transmitter_code
from sim.agents.customers import Channel, Status
from sim.numerics import below_chance, pick_in_proportion
from sim.streams import uniform_one

if TYPE_CHECKING:
    from sim.model import CustomerMarket, Signals
    from sim.scenario import Scenario

# Constants of the compiled rule (the codes of sim.agents.customers).
_ACTIVE, _PROSPECT = np.int8(Status.ACTIVE), np.int8(Status.PROSPECT)


class ReferralParams(NamedTuple):
    """The referral rule's parameters as its kernels read them."""

    satisfaction_threshold: np.float32  # only customers at least this satisfied refer
    conversion: float  # chance a referred friend becomes a customer
    rejoin_lockout_weeks: int  # a friend who left the firm within this does not come back (adoption's)
    tie_hazard: np.float32  # per tie: -log(1 - tie_probability), the weekly hazard of one referrer


@per_scenario
def params(scenario: Scenario) -> ReferralParams:
    """The scenario's referral parameters (``[behaviours.referral]``, and adoption's lock-out)."""
    config = scenario.behaviours.referral
    return ReferralParams(
        satisfaction_threshold=np.float32(config.satisfaction_threshold),
        conversion=float(config.conversion),
        rejoin_lockout_weeks=int(scenario.behaviours.adoption.rejoin_lockout_weeks),
        tie_hazard=tie_hazard(config.tie_probability),
    )


def run(market: CustomerMarket, signals: Signals) -> None:
    config = market.scenario.behaviours.referral
    if not config.enabled:
        return
    c = market.customers
    week = market.week
    # People who joined this week refer from next week on (decisions read the start of the week).
    rule = params(market.scenario)
    boost = np.array([f.referral_boost for f in market.firm_list], dtype=np.float32)
    flows = market.recorder.flows
    if config.transmission == "per_tie":
        friends, referrers, firms = tie_referrals(market, rule, boost)
    else:
        referrers = _who_refers(
            (c.status, c.satisfaction, c.acquired_week, c.referral_propensity, c.firm),
            boost,
            rule,
            week,
            market.streams.key("refer", week),
        )
        if referrers.size == 0:
            return
        # A friend referred twice in one week counts once, for the referrer with the lowest slot;
        # each referral makes the friend aware of the firm, and converts at the conversion rate
        # unless the friend left that firm within the rejoin lock-out (_offers).
        friends, referrers, firms = _offers(
            referrers,
            choose_friends(market, referrers),
            (c.firm, c.left_firm, c.churn_week, c.aware),
            market.streams.key("referral_convert", week),
            rule,
            week,
            flows.referrals_made,
        )
    if friends.size == 0:
        return
    behaviours = market.scenario.behaviours
    c.join(
        friends,
        firms,
        week,
        Channel.REFERRAL,
        satisfaction=behaviours.experience.initial_satisfaction,
        appreciation=behaviours.appreciation.initial,
        referrer_slots=referrers,
    )
    np.add.at(flows.referrals_converted, firms, 1)
    np.add.at(flows.acquired[:, Channel.REFERRAL], firms, 1)
    _pay_rewards(market, firms)


def tie_referrals(
    market: CustomerMarket, rule: ReferralParams, boost: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Referrals per tie this week: the converting (friends, referrers, firms), by friend's slot.

    The referrers are the active customers at least ``satisfaction_threshold`` satisfied who joined
    before this week and at most ``active_weeks`` weeks ago (0: no limit); each referral is
    counted in ``referrals_made`` and makes the friend aware of the firm (:func:`_tie_offers`).
    """
    c = market.customers
    week = market.week
    config = market.scenario.behaviours.referral
    eligible = (
        (c.status == Status.ACTIVE)
        & (c.satisfaction >= rule.satisfaction_threshold)
        & (c.acquired_week < week)
    )
    code = transmitter_code(c.firm, c.acquired_week, week, config.active_weeks, eligible)
    counts = tie_counts(market, "referral", code)
    network = market.network
    if network.mean_field:  # everybody else is a friend: the referrers of each firm, listed
        referring = np.flatnonzero(code >= 0)
        listed = referring[np.argsort(code[referring], kind="stable")].astype(np.int64)
        starts = np.searchsorted(code[listed], np.arange(c.n_firms + 1)).astype(np.int64)
        none = np.zeros(0, np.int32)  # the dtype of the stored ties: one compiled form serves both
        ties = (none, none, listed, starts)
    else:
        empty = np.zeros(0, np.int64)
        ties = (network.adjacency.indptr, network.adjacency.indices, empty, empty)
    names = ("refer_tie", "refer_tie_firm", "refer_tie_referrer", "referral_convert")
    keys = np.array([market.streams.key(name, week) for name in names], dtype=np.uint64)
    per_firm = rule.tie_hazard * (np.float32(1.0) + boost)
    return _tie_offers(
        np.flatnonzero(c.status == Status.PROSPECT),
        counts,
        per_firm.astype(np.float32),
        keys,
        ties,
        (code, c.left_firm, c.churn_week, c.aware),
        rule,
        week,
        market.recorder.flows.referrals_made,
    )


def fit(market: CustomerMarket, slots: np.ndarray) -> np.ndarray:
    """How good a customer a friend would make, as a referrer who knows them judges it: what they
    would spend a week over how fast they would feel neglected (value x expected tenure)."""
    c = market.customers
    return c.purchase_rate[slots] * c.basket_size[slots] / np.maximum(c.appreciation_decay[slots], 1e-3)


def choose_friends(market: CustomerMarket, referrers: np.ndarray) -> np.ndarray:
    """Each referrer considers ``choosiness`` friends (their own draws) and refers the prospect
    among them who fits best; -1 where none of them is a prospect."""
    c = market.customers
    choosiness = market.scenario.behaviours.referral.choosiness
    network = market.network
    if network.adjacency is not None:  # ties stored: one compiled pass, the same choices
        keys = np.array([market.streams.key("refer_friend", market.week, sub=k) for k in range(choosiness)])
        return _choose_friends(
            np.asarray(referrers, dtype=np.int64),
            keys.astype(np.uint64),
            (network.adjacency.indptr, network.adjacency.indices, network.degree),
            (c.status, c.purchase_rate, c.basket_size, c.appreciation_decay),
        )
    return choose_friends_by_arrays(market, referrers)


def choose_friends_by_arrays(market: CustomerMarket, referrers: np.ndarray) -> np.ndarray:
    """:func:`choose_friends` with array operations, on any network (the complete network has
    no stored ties for the compiled form); the compiled form is tested against it."""
    c = market.customers
    choosiness = market.scenario.behaviours.referral.choosiness
    best = np.full(referrers.size, -1, dtype=np.int64)
    best_fit = np.full(referrers.size, -np.inf)
    for k in range(choosiness):
        draw = market.streams.uniform("refer_friend", market.week, referrers, sub=k)
        friend = market.network.random_neighbour(referrers, draw)
        ok = friend >= 0
        ok[ok] = c.status[friend[ok]] == Status.PROSPECT
        score = np.full(referrers.size, -np.inf)
        score[ok] = fit(market, friend[ok])
        better = score > best_fit
        best[better] = friend[better]
        best_fit[better] = score[better]
    return best


def _pay_rewards(market: CustomerMarket, firms: np.ndarray) -> None:
    reward = market.scenario.levers.referral_programme.unit_cost
    conversions = np.bincount(firms, minlength=len(market.firm_list))
    for firm in market.firm_list:
        if firm.referral_budget <= 0 or conversions[firm.index] == 0:
            continue
        paid = min(int(conversions[firm.index]), int(firm.referral_budget // reward))
        firm.book("referral_programme", paid * reward)
        firm.referral_budget -= paid * reward


# --------------------------------------------------------------------------- the compiled rule


@njit(cache=True)
def _who_refers(
    people: tuple, boost: np.ndarray, rule: ReferralParams, week: int, key: np.uint64
) -> np.ndarray:
    """Customers who refer a friend this week: active, at least ``threshold`` satisfied, joined
    before this week, with weekly hazard referral propensity x (1 + their firm's programme
    boost). ``people`` is (status, satisfaction, acquired week, referral propensity, firm)."""
    status, satisfaction, acquired, propensity, firm_of = people
    out = np.empty(status.size, dtype=np.int64)
    count = 0
    one = np.float32(1.0)
    threshold = rule.satisfaction_threshold
    for slot in range(status.size):
        if status[slot] != _ACTIVE or satisfaction[slot] < threshold or acquired[slot] >= week:
            continue
        rate = propensity[slot] * (one + boost[firm_of[slot]])
        if below_chance(uniform_one(key, np.int64(slot)), rate):
            out[count] = slot
            count += 1
    return out[:count].copy()


@njit(cache=True)
def _choose_friends(referrers: np.ndarray, keys: np.ndarray, ties: tuple, people: tuple) -> np.ndarray:
    """The friend each referrer refers: of ``keys.size`` friends drawn (one uniform from each
    "refer_friend" stream cell, as :meth:`sim.network.ReferralNetwork.random_neighbour`), the
    prospect who fits best (:func:`fit`, in float32; the first on ties); -1 where none is a
    prospect. ``ties`` is (indptr, indices, degree); ``people`` is (status, purchase rate,
    basket size, appreciation decay)."""
    indptr, indices, degree = ties
    status, purchase_rate, basket_size, decay = people
    floor = np.float32(1e-3)
    best = np.full(referrers.size, -1, dtype=np.int64)
    for i in range(referrers.size):
        referrer = np.int64(referrers[i])
        friends = degree[referrer]
        if friends <= 0:
            continue
        best_fit = -np.inf
        for k in range(keys.size):
            u = uniform_one(keys[k], referrer)
            offset = min(np.int64(u * friends), max(friends - 1, 0))
            friend = np.int64(indices[indptr[referrer] + offset])
            if status[friend] != _PROSPECT:
                continue
            score = np.float64(purchase_rate[friend] * basket_size[friend] / max(decay[friend], floor))
            if score > best_fit:
                best[i] = friend
                best_fit = score
    return best


@njit(cache=True)
def _offers(
    referrers: np.ndarray,
    friends: np.ndarray,
    people: tuple,
    key: np.uint64,
    rule: ReferralParams,
    week: int,
    referrals_made: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The referrals, after each referrer chose a friend (``friends``, -1 for none): a friend referred
    twice in one week counts once, for the first referrer in ``referrers`` order (as
    ``np.unique(friends, return_index=True)``); each referral is counted for the referrer's firm
    in ``referrals_made`` and makes the friend aware of it; the friend converts if the uniform of
    ``key`` is below the conversion rate and they did not leave that firm within the lock-out.

    ``people`` is (firm, left firm, churn week, aware). Returns the converting (friends, referrers, firms), by friend's slot."""
    firm_of, left_firm, churn_week, aware = people
    conversion, lockout = rule.conversion, rule.rejoin_lockout_weeks
    order = np.argsort(friends, kind="mergesort")  # stable: the first referrer of a friend first
    out_friends = np.empty(friends.size, dtype=np.int64)
    out_referrers = np.empty(friends.size, dtype=np.int64)
    out_firms = np.empty(friends.size, dtype=np.int64)
    converting = 0
    previous = -1
    for position in order:
        friend = friends[position]
        if friend < 0 or friend == previous:
            continue
        previous = friend
        referrer = referrers[position]
        firm = np.int64(firm_of[referrer])
        referrals_made[firm] += 1
        aware[friend, firm] = True
        if not uniform_one(key, np.int64(friend)) < conversion:
            continue
        if left_firm[friend] == firm and churn_week[friend] >= 0 and week - churn_week[friend] < lockout:
            continue  # left this firm within the lock-out: not back yet
        out_friends[converting] = friend
        out_referrers[converting] = referrer
        out_firms[converting] = firm
        converting += 1
    return out_friends[:converting].copy(), out_referrers[:converting].copy(), out_firms[:converting].copy()


@njit(cache=True)
def _tie_offers(
    prospects: np.ndarray,
    counts: np.ndarray,
    per_firm: np.ndarray,
    keys: np.ndarray,
    ties: tuple,
    people: tuple,
    rule: ReferralParams,
    week: int,
    referrals_made: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The referrals per tie (:func:`tie_referrals`): each prospect with ``counts[slot, f]``
    referring friends at firm f is referred with hazard sum over f of counts x ``per_firm[f]``
    (float32; the uniform of ``keys[0]``), to a firm in proportion to its term (``keys[1]``), by
    the j-th of that firm's referring friends in tie order, j drawn uniformly (``keys[2]``); the
    referral is counted in ``referrals_made`` and makes the friend aware, and converts as in
    :func:`_offers` (``keys[3]``, the lock-out). ``ties`` is (indptr, indices) of the network, or
    no entries and (the referrers listed by firm, where each firm's start) on the complete
    network; ``people`` is (the firm each person refers for or -1, left firm, churn week, aware).

    Returns the converting (friends, referrers, firms), in slot order."""
    indptr, indices, listed, starts = ties
    code, left_firm, churn_week, aware = people
    mean_field = indptr.size == 0
    firms = per_firm.size
    terms = np.empty((1, firms), dtype=np.float32)
    out_friends = np.empty(prospects.size, dtype=np.int64)
    out_referrers = np.empty(prospects.size, dtype=np.int64)
    out_firms = np.empty(prospects.size, dtype=np.int64)
    converting = 0
    for i in range(prospects.size):
        slot = np.int64(prospects[i])
        total = np.float32(0.0)
        for f in range(firms):
            terms[0, f] = per_firm[f] * np.float32(counts[slot, f])
            total += terms[0, f]
        if total <= 0 or not below_chance(uniform_one(keys[0], slot), total):
            continue
        firm = pick_in_proportion(terms, 0, 0, firms - 1, uniform_one(keys[1], slot))
        n = np.int64(counts[slot, firm])
        j = min(np.int64(uniform_one(keys[2], slot) * n), n - 1)
        referrer = np.int64(-1)
        if mean_field:
            referrer = listed[starts[firm] + j]
        else:
            for position in range(indptr[slot], indptr[slot + 1]):
                friend = indices[position]
                if code[friend] == firm:
                    if j == 0:
                        referrer = friend
                        break
                    j -= 1
        referrals_made[firm] += 1
        aware[slot, firm] = True
        if not uniform_one(keys[3], slot) < rule.conversion:
            continue
        if (
            left_firm[slot] == firm
            and churn_week[slot] >= 0
            and week - churn_week[slot] < rule.rejoin_lockout_weeks
        ):
            continue  # left this firm within the lock-out: not back yet
        out_friends[converting] = slot
        out_referrers[converting] = referrer
        out_firms[converting] = firm
        converting += 1
    return out_friends[:converting].copy(), out_referrers[:converting].copy(), out_firms[:converting].copy()
