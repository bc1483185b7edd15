"""Step 4, referrals: satisfied customers refer a friend, more often under a referral programme.

An active customer whose satisfaction is at least ``satisfaction_threshold`` refers with weekly
hazard ``referral_propensity x (1 + programme boost)``. The referrer weighs ``choosiness`` of their
friends (picked by their own draws) and refers the one who would make the best customer, judged as
spend per week over how fast they would feel neglected (seed 004: "make sure their network is the
type of client you want"); only a prospect can be referred (a friend who already buys somewhere
is reached by "followed a friend" churn instead). The friend becomes aware of the firm and
converts with probability ``conversion``, recorded as channel ``referral`` with the referrer's
person id. The programme's reward is paid only on conversion, while its weekly budget lasts.

Example:
    >>> from sim import load_scenario, simulate
    >>> result = simulate(load_scenario("scenarios/baseline.toml", {"market.size": 400, "run.weeks": 20}))
    >>> result.summary["firms"]["us"]["acquired_by_channel"]["referral"] >= 0
    True
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim import kernels
from sim.agents.customers import Channel, Status

if TYPE_CHECKING:
    from sim.model import CustomerMarket, Signals


def run(market: CustomerMarket, signals: Signals) -> None:
    config = market.scenario.behaviours.referral
    if not config.enabled:
        return
    c = market.customers
    week = market.week
    # People who joined this week refer from next week on (decisions read the start of the week).
    boost = np.array([f.referral_boost for f in market.firm_list], dtype=np.float32)
    referrers = kernels.who_refers(
        (c.status, c.satisfaction, c.acquired_week, c.referral_propensity, c.firm),
        boost,
        np.float32(config.satisfaction_threshold),
        week,
        market.streams.key("refer", week),
        np.int8(Status.ACTIVE),
    )
    if referrers.size == 0:
        return
    # A friend referred twice in one week counts once, for the referrer with the lowest slot;
    # each referral makes the friend aware of the firm, and converts at the conversion rate
    # unless the friend left that firm within the rejoin lock-out (kernels.referral_offers).
    flows = market.recorder.flows
    lockout = market.scenario.behaviours.adoption.rejoin_lockout_weeks
    friends, referrers, firms = kernels.referral_offers(
        referrers,
        _choose_friends(market, referrers),
        (c.firm, c.left_firm, c.churn_week, c.aware),
        market.streams.key("referral_convert", week),
        np.array([config.conversion, lockout, week], dtype=np.float64),
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


def fit(market: CustomerMarket, slots: np.ndarray) -> np.ndarray:
    """How good a customer a friend would make, as a referrer who knows them judges it: what they
    would spend a week over how fast they would feel neglected (value x expected tenure)."""
    c = market.customers
    return c.purchase_rate[slots] * c.basket_size[slots] / np.maximum(c.appreciation_decay[slots], 1e-3)


def _choose_friends(market: CustomerMarket, referrers: np.ndarray) -> np.ndarray:
    """Each referrer considers ``choosiness`` friends (their own draws) and refers the prospect
    among them who fits best; -1 where none of them is a prospect."""
    c = market.customers
    choosiness = market.scenario.behaviours.referral.choosiness
    network = market.network
    if network.adjacency is not None:  # ties stored: one compiled pass, the same choices
        keys = np.array([market.streams.key("refer_friend", market.week, sub=k) for k in range(choosiness)])
        return kernels.choose_friends(
            np.asarray(referrers, dtype=np.int64),
            keys.astype(np.uint64),
            (network.adjacency.indptr, network.adjacency.indices, network.degree),
            (c.status, np.int8(Status.PROSPECT), c.purchase_rate, c.basket_size, c.appreciation_decay),
        )
    return choose_friends_by_arrays(market, referrers)


def choose_friends_by_arrays(market: CustomerMarket, referrers: np.ndarray) -> np.ndarray:
    """:func:`_choose_friends` with array operations, on any network (the complete network has
    no stored ties for the compiled form); the reference the compiled form is tested against."""
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
