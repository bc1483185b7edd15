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
from sim.agents.customers import Channel

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


def _components(market: CustomerMarket, signals: Signals, slots: np.ndarray, boost: np.ndarray) -> np.ndarray:
    """(k, F, 6) weekly hazard of each reason, before attraction and awareness; ``boost`` is
    this week's (people, F, 3) adoption boost, or no rows when no one was boosted. The rule in
    array form: :func:`sim.kernels.adoption_choices` computes it for the chosen firm (tested
    against this)."""
    config = market.scenario.behaviours.adoption
    share = signals.neighbour_share[slots]
    threshold = market.customers.bandwagon_threshold[slots][:, None]
    out = np.empty((slots.size, share.shape[1], len(CHANNELS)), dtype=np.float32)
    out[..., 0] = config.innovation
    out[..., 1:4] = boost[slots] if boost.shape[0] else 0
    out[..., 4] = config.word_of_mouth * share
    out[..., 5] = config.bandwagon_jump * ((share >= threshold) & (share > 0))
    out[..., 5] += config.penetration_weight * signals.penetration[None, :].astype(np.float32)
    return out


def _pick(cumulative: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Index of the first column whose cumulative weight exceeds u x total, per row (the
    draw :func:`sim.kernels.adoption_choices` makes, in array form)."""
    target = u * cumulative[:, -1]
    picked = (cumulative <= target[:, None]).sum(axis=1)
    return np.minimum(picked, cumulative.shape[1] - 1)


def run(market: CustomerMarket, signals: Signals) -> None:
    config = market.scenario.behaviours.adoption
    c = market.customers
    prospects = market.prospects  # made at the start of the week: nothing before changes status
    if not config.enabled or prospects.size == 0:
        return
    cycle = market.scenario.behaviours.buying_cycle
    stage_weights = (
        [cycle.awareness_weight, cycle.research_weight, cycle.comparison_weight]
        if cycle.enabled
        else [1, 1, 1]
    )
    rates = [config.innovation, config.word_of_mouth, config.bandwagon_jump, signals.price_weight]
    rates += [*stage_weights, config.awareness_required, config.rejoin_lockout_weeks, market.week]
    rates += [config.forget_rate]
    keys = [market.streams.key("adopt", market.week)]
    keys += [market.streams.key("forget", market.week, sub=f) for f in range(c.n_firms)]
    # Only read the boost buffer if a lever or a campaign response wrote to it this week.
    if market.effects.used("adoption_boost"):
        boost = market.effects.adoption_boost
    else:
        boost = np.zeros((0, c.n_firms, 3), dtype=np.float32)
    # Forgetting happens after the choice, for those who did not adopt: this week's ads count first.
    rates32 = np.array(rates, dtype=np.float32)
    penetration_term = config.penetration_weight * signals.penetration.astype(np.float32)
    adopts, hazard = kernels.adoption_week(
        prospects,
        signals.neighbour_share,
        (c.bandwagon_threshold, c.proof_sensitivity, c.price_sensitivity),
        boost,
        signals.offer_gaps(),
        (c.stage, c.aware, c.churn_week, c.left_firm),
        rates32,
        penetration_term,
        np.array(keys, dtype=np.uint64),
    )
    if adopts.size == 0:
        return
    adopters = prospects[adopts]
    # The firm in proportion to the hazards, then the channel in proportion to the reasons for
    # it (_components, _pick: the same draws in one compiled pass), counted as acquisitions.
    firm, channel = kernels.adoption_choices(
        adopters,
        hazard,
        np.array(
            [market.streams.key("adopt_firm", market.week), market.streams.key("adopt_channel", market.week)]
        ),
        (signals.neighbour_share, c.bandwagon_threshold, boost),
        rates32,
        penetration_term,
        np.array(CHANNELS, dtype=np.int8),
        market.recorder.flows.acquired,
    )
    behaviours = market.scenario.behaviours
    c.join(
        adopters,
        firm,
        market.week,
        channel,
        satisfaction=behaviours.experience.initial_satisfaction,
        appreciation=behaviours.appreciation.initial,
    )
