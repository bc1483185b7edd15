"""Step 3, adoption: prospects choose a firm for reasons (seed 000's "reasons to choose").

A prospect's weekly hazard of choosing firm f is the sum of the reasons that push them,

    innovation (Bass p, general advertising)
    + search-ad, social-ad and influencer boosts the firm's levers wrote this week
    + word of mouth (Bass q x share of friends who are f's customers)
    + the bandwagon (a jump once that share reaches the person's threshold, plus an optional
      market-share term),

multiplied by the weight of the person's buying-cycle stage (awareness, research, comparison) and
by how much the person likes f's offer (social proof: the public rating against the
market average, weighted by the person's proof sensitivity; price against the person's price
sensitivity). A person unaware of f, who has no friend buying from f, cannot choose it ("lack of
knowledge about alternatives"), and a churner does not rejoin the firm they left within the
lock-out. The person adopts with probability 1 - exp(-sum over firms), picks a firm in proportion
to the hazards, and the channel is drawn in proportion to the reasons for that firm.

Example:
    >>> CHANNELS[0].name
    'ORGANIC'
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim import kernels
from sim.agents.customers import Channel, Status

if TYPE_CHECKING:
    from sim.model import CustomerMarket, Signals

# The reasons, in the order of the last axis of the per-firm hazard components.
CHANNELS = (
    Channel.ORGANIC,
    Channel.SEARCH,
    Channel.SOCIAL,
    Channel.INFLUENCER,
    Channel.WORD_OF_MOUTH,
    Channel.BANDWAGON,
)


def _components(market: CustomerMarket, signals: Signals, slots: np.ndarray) -> np.ndarray:
    """(k, F, 6) weekly hazard of each reason, before attraction and awareness."""
    config = market.scenario.behaviours.adoption
    share = signals.neighbour_share[slots]
    threshold = market.customers.bandwagon_threshold[slots][:, None]
    out = np.empty((slots.size, share.shape[1], len(CHANNELS)), dtype=np.float32)
    out[..., 0] = config.innovation
    out[..., 1:4] = market.effects.adoption_boost[slots]
    out[..., 4] = config.word_of_mouth * share
    out[..., 5] = config.bandwagon_jump * ((share >= threshold) & (share > 0))
    out[..., 5] += config.penetration_weight * signals.penetration[None, :].astype(np.float32)
    return out


def choice_weight(market: CustomerMarket, signals: Signals, slots: np.ndarray) -> np.ndarray:
    """(k, F) multiplier on the hazards: attraction, awareness and the rejoin lock-out."""
    c = market.customers
    config = market.scenario.behaviours.adoption
    weight = np.exp(signals.log_attraction(c.proof_sensitivity[slots], c.price_sensitivity[slots]))
    cycle = market.scenario.behaviours.buying_cycle
    if cycle.enabled:
        stage_weight = np.array([cycle.awareness_weight, cycle.research_weight, cycle.comparison_weight])
        weight *= stage_weight[c.stage[slots]].astype(np.float32)[:, None]
    if config.awareness_required:
        weight *= c.aware[slots] | (signals.neighbour_share[slots] > 0)
    locked = (c.churn_week[slots] >= 0) & (market.week - c.churn_week[slots] < config.rejoin_lockout_weeks)
    rows = np.flatnonzero(locked & (c.left_firm[slots] >= 0))
    weight[rows, c.left_firm[slots][rows]] = 0
    return weight


def _pick(cumulative: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Index of the first column whose cumulative weight exceeds u x total, per row."""
    target = u * cumulative[:, -1]
    picked = (cumulative <= target[:, None]).sum(axis=1)
    return np.minimum(picked, cumulative.shape[1] - 1)


def run(market: CustomerMarket, signals: Signals) -> None:
    config = market.scenario.behaviours.adoption
    c = market.customers
    prospects = np.flatnonzero(c.status == Status.PROSPECT)
    if not config.enabled or prospects.size == 0:
        return
    hazard, total = kernels.adoption_hazards(
        prospects,
        signals.neighbour_share,
        c.bandwagon_threshold,
        market.effects.adoption_boost,
        choice_weight(market, signals, prospects),
        np.array([config.innovation, config.word_of_mouth, config.bandwagon_jump], dtype=np.float32),
        config.penetration_weight * signals.penetration.astype(np.float32),
    )
    draw = market.streams.uniform("adopt", market.week, prospects)
    adopts = draw < -np.expm1(-total)
    _forget(market, prospects[~adopts])  # after the choice: this week's ads count first
    if not adopts.any():
        return
    adopters = prospects[adopts]
    firm = _pick(
        np.cumsum(hazard[adopts], axis=1),
        market.streams.uniform("adopt_firm", market.week, adopters),
    )
    reasons = _components(market, signals, adopters)[np.arange(adopters.size), firm]
    channel_index = _pick(
        np.cumsum(reasons, axis=1), market.streams.uniform("adopt_channel", market.week, adopters)
    )
    channel = np.array(CHANNELS, dtype=np.int8)[channel_index]
    behaviours = market.scenario.behaviours
    c.join(
        adopters,
        firm,
        market.week,
        channel,
        satisfaction=behaviours.experience.initial_satisfaction,
        appreciation=behaviours.appreciation.initial,
    )
    np.add.at(market.recorder.flows.acquired, (firm, channel), 1)


def _forget(market: CustomerMarket, prospects: np.ndarray) -> None:
    """Awareness of a firm fades for prospects who hear nothing more of it."""
    rate = market.scenario.behaviours.adoption.forget_rate
    if rate <= 0 or prospects.size == 0:
        return
    c = market.customers
    reached = market.effects.adoption_boost[prospects].sum(axis=2) > 0  # heard of it this week
    for firm in range(c.n_firms):
        draw = market.streams.uniform("forget", market.week, prospects, sub=firm)
        c.aware[prospects[(draw < rate) & ~reached[:, firm]], firm] = False
