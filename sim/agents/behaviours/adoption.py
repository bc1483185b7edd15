"""Step 3, adoption: prospects choose a firm for reasons (seed 000's "reasons to choose").

A prospect's weekly hazard of choosing firm f is the sum of the reasons that push them,

    (innovation (Bass p, general advertising)
     + search-ad, social-ad and influencer boosts the firm's levers wrote this week)
      x the person's advertising susceptibility
    + word of mouth (Bass q x share of friends who are f's customers; or, per tie, n x -log(1 - beta)
      for the n friends who are f's customers and joined it at most k weeks ago: see
      :mod:`sim.agents.behaviours.transmission`) x the person's word-of-mouth susceptibility
      (both susceptibilities 1 unless a persona draws them)
    + the bandwagon (a jump once that share reaches the person's threshold, plus an optional
      market-share term),

multiplied by the weight of the person's buying-cycle stage (awareness, research, comparison) and
by how much the person likes f's offer (social proof: the public rating against the
average of the firms in the market, weighted by the person's proof sensitivity; price against the person's price
sensitivity). A person unaware of f, who has no friend buying from f, cannot choose it ("lack of
knowledge about alternatives"), and a churner does not rejoin the firm they left within the
lock-out; nobody chooses a firm that is not in the market (yet to enter, or gone). The person adopts with probability 1 - exp(-sum over firms), picks a firm in proportion
to the hazards, and the channel is drawn in proportion to the reasons for that firm.

The rule runs compiled, one pass over the prospects (:func:`weekly_adoption`), and a second over
those who adopt (:func:`choices`), reading the parameters by name from :class:`AdoptionParams`.

Example:
    >>> CHANNELS[0].name
    'ORGANIC'
    >>> from sim.scenario import Scenario
    >>> float(params(Scenario()).innovation) > 0
    True
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np
from numba import njit

from sim.agents.behaviours import per_scenario
from sim.agents.behaviours.transmission import tie_counts, tie_hazard, transmitter_code
from sim.agents.customers import SUSCEPTIBILITIES, UNUSED_MULTIPLIER, Channel, varying_multipliers
from sim.numerics import below_chance, pick_in_proportion
from sim.streams import uniform_one
from sim.threads import in_pieces

if TYPE_CHECKING:
    from sim.model import CustomerMarket, Signals
    from sim.scenario import Scenario

# The reasons, in the order of the last axis of the per-firm hazard components.
CHANNELS = (
    Channel.ORGANIC,
    Channel.SEARCH,
    Channel.SOCIAL,
    Channel.INFLUENCER,
    Channel.WORD_OF_MOUTH,
    Channel.BANDWAGON,
)
_CHANNEL_CODES = np.array(CHANNELS, dtype=np.int8)


class AdoptionParams(NamedTuple):
    """The adoption rule's parameters as its kernels read them (the hazards are float32)."""

    innovation: np.float32  # Bass p: weekly hazard of choosing a firm unprompted
    word_of_mouth: np.float32  # Bass q: x the share of friends who are the firm's customers
    bandwagon_jump: np.float32  # added once that share reaches the person's threshold
    price_weight: np.float32  # weight of the log-price gap, x the person's price sensitivity
    stage_weights: tuple  # (awareness, research, comparison) float32; all 1 without the buying cycle
    awareness_required: bool  # a firm the person neither knows nor hears of cannot be chosen
    rejoin_lockout_weeks: int  # a churner does not rejoin the firm they left within this
    forget_rate: np.float32  # weekly chance a prospect forgets a firm they heard nothing of
    susceptible: bool  # some person's advertising or word-of-mouth hazard x their own susceptibility
    per_tie: bool  # word of mouth per tie (tie_hazard x friends transmitting) instead of q x share
    tie_hazard: np.float32  # -log(1 - tie_probability): the weekly hazard of one transmitting friend


@per_scenario
def params(scenario: Scenario) -> AdoptionParams:
    """The scenario's adoption parameters (``[behaviours.adoption]``, and the stage weights of
    ``[behaviours.buying_cycle]`` when it is on)."""
    config = scenario.behaviours.adoption
    cycle = scenario.behaviours.buying_cycle
    weights = (
        (cycle.awareness_weight, cycle.research_weight, cycle.comparison_weight)
        if cycle.enabled
        else (1, 1, 1)
    )
    f32 = np.float32
    return AdoptionParams(
        innovation=f32(config.innovation),
        word_of_mouth=f32(config.word_of_mouth),
        bandwagon_jump=f32(config.bandwagon_jump),
        price_weight=f32(config.price_weight),
        stage_weights=tuple(f32(weight) for weight in weights),
        awareness_required=bool(config.awareness_required),
        rejoin_lockout_weeks=int(config.rejoin_lockout_weeks),
        forget_rate=f32(config.forget_rate),
        susceptible=any(name in varying_multipliers(scenario) for name in SUSCEPTIBILITIES),
        per_tie=config.transmission == "per_tie",
        tie_hazard=tie_hazard(config.tie_probability),
    )


def run(market: CustomerMarket, signals: Signals) -> None:
    config = market.scenario.behaviours.adoption
    c = market.customers
    prospects = market.prospects  # made at the start of the week: nothing before changes status
    if not config.enabled or prospects.size == 0:
        return
    rule = params(market.scenario)
    susceptibility = (
        (c.advertising_susceptibility, c.word_of_mouth_susceptibility)
        if rule.susceptible
        else (UNUSED_MULTIPLIER, UNUSED_MULTIPLIER)
    )
    keys = [market.streams.key("adopt", market.week)]
    keys += [market.streams.key("forget", market.week, sub=f) for f in range(c.n_firms)]
    # Only read the boost buffer if a lever or a campaign response wrote to it this week.
    if market.effects.used("adoption_boost"):
        boost = market.effects.adoption_boost
    else:
        boost = np.zeros((0, c.n_firms, 3), dtype=np.float32)
    # Forgetting happens after the choice, for those who did not adopt: this week's ads count first.
    penetration_term = config.penetration_weight * signals.penetration.astype(np.float32)
    if rule.per_tie:  # friends who are f's customers and joined at most active_weeks ago
        code = transmitter_code(c.firm, c.acquired_week, market.week, config.active_weeks)
        transmitting = tie_counts(market, "word_of_mouth", code)
    else:
        transmitting = np.zeros((0, c.n_firms), dtype=np.int32)
    friends = (signals.neighbour_share, transmitting)
    adopts, hazard = weekly_adoption(
        prospects,
        friends,
        (c.bandwagon_threshold, c.proof_sensitivity, c.price_sensitivity),
        boost,
        (*signals.offer_gaps(), signals.open_firm),
        (c.stage, c.aware, c.churn_week, c.left_firm),
        rule,
        market.week,
        penetration_term,
        np.array(keys, dtype=np.uint64),
        susceptibility,
    )
    if adopts.size == 0:
        return
    adopters = prospects[adopts]
    # The firm in proportion to the hazards, then the channel in proportion to the reasons for
    # it, counted as acquisitions.
    firm, channel = choices(
        adopters,
        hazard,
        np.array(
            [market.streams.key("adopt_firm", market.week), market.streams.key("adopt_channel", market.week)]
        ),
        (*friends, c.bandwagon_threshold, boost),
        rule,
        penetration_term,
        market.recorder.flows.acquired,
        susceptibility,
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


def weekly_adoption(
    slots: np.ndarray,
    friends: tuple,
    traits: tuple,
    boost: np.ndarray,
    offer: tuple,
    state: tuple,
    rule: AdoptionParams,
    week: int,
    penetration_term: np.ndarray,
    keys: np.ndarray,
    susceptibility: tuple = (UNUSED_MULTIPLIER, UNUSED_MULTIPLIER),
) -> tuple[np.ndarray, np.ndarray]:
    """The rule for the prospects in ``slots``: each one's (F,) weekly hazard of choosing each
    firm and whether they adopt; prospects who do not adopt may forget firms they heard nothing of.

    The hazard is the sum of the six reasons of the module docstring times the choice weight
    (attraction, buying-cycle stage, awareness, rejoin lock-out), in float32. ``friends`` is (the
    (people, F) share of friends who are each firm's customers, and under word of mouth per tie
    the (people, F) int32 count of friends transmitting for each firm, or no rows). ``traits`` is
    (bandwagon threshold, proof sensitivity, price sensitivity); ``boost`` (people, F, 3) this
    week's search, social and influencer boosts, or (0, F, 3) if none; ``offer`` is (rating gap,
    price gap, (F,) float64 each, and whether each firm is in the market, (F,) bool: a firm yet
    to enter or gone cannot be chosen); ``state`` is (stage, aware, churn week, left firm);
    ``penetration_term`` (F,) float32 the market-share part of the bandwagon; ``keys`` the stream
    cells of "adopt" then "forget" for each firm; ``susceptibility`` the people's (advertising,
    word of mouth) susceptibilities, read only when ``rule.susceptible``.

    Returns the positions (in ``slots``) of the prospects who adopt and their (F,) hazards;
    awareness is updated in place.
    """
    count = slots.size
    adopts = np.zeros(count, dtype=np.bool_)
    hazard = np.empty((count, offer[0].size), dtype=np.float32)
    pushes = (boost, susceptibility)  # what raises the hazard, and how much each person responds
    inputs = (slots, friends, traits, pushes, offer, state, rule, week, penetration_term, keys)
    in_pieces(_prospect_rows, count, inputs, adopts, hazard)
    adopters = np.flatnonzero(adopts)
    return adopters, hazard[adopters]


@njit(cache=True, nogil=True)
def _prospect_rows(first: int, last: int, inputs: tuple, adopts: np.ndarray, hazard: np.ndarray) -> None:
    """Prospects ``first`` to ``last - 1`` of :func:`weekly_adoption` (its arguments as one tuple):
    ``adopts[i]`` set for those who adopt, ``hazard[i]`` their (F,) hazards (every row written)."""
    slots, friends, traits, pushes, offer, state, rule, week, penetration_term, keys = inputs
    neighbour_share, transmitting = friends
    threshold, proof_sensitivity, price_sensitivity = traits
    boost, (advertising_susceptibility, word_of_mouth_susceptibility) = pushes
    susceptible = rule.susceptible
    rating_gap, price_gap, open_firm = offer
    stage, aware, churn_week, left_firm = state
    innovation, word_of_mouth, jump = rule.innovation, rule.word_of_mouth, rule.bandwagon_jump
    lockout, forget_rate = rule.rejoin_lockout_weeks, rule.forget_rate
    per_tie, per_friend = rule.per_tie, rule.tie_hazard
    stage_weights = rule.stage_weights
    firms = rating_gap.size
    zero = np.float32(0.0)
    # Terms that are zero for everyone this week are skipped: adding +0 or multiplying by
    # exp(0) = 1 leaves every float32 sum as it was, so the numbers are the same either way.
    boosted = boost.shape[0] > 0  # the caller passes no rows when no lever boosted anyone
    with_bandwagon = jump > 0
    with_attraction = False
    for f in range(firms):
        with_bandwagon = with_bandwagon or penetration_term[f] != 0
        with_attraction = with_attraction or rating_gap[f] != 0 or price_gap[f] != 0
    staged = stage_weights[0] != stage_weights[1] or stage_weights[0] != stage_weights[2]
    with_lockout = lockout > 0
    adopt_key = keys[0]
    for i in range(first, last):
        slot = slots[i]
        stage_weight = stage_weights[stage[slot]] if staged else stage_weights[0]
        locked_firm = -1
        if (
            with_lockout
            and churn_week[slot] >= 0
            and week - churn_week[slot] < lockout
            and left_firm[slot] >= 0
        ):
            locked_firm = left_firm[slot]
        total = zero
        for f in range(firms):
            share = neighbour_share[slot, f]
            reasons = zero + innovation  # summed in order, as NumPy's reduction does
            if boosted:
                reasons += boost[slot, f, 0]
                reasons += boost[slot, f, 1]
                reasons += boost[slot, f, 2]
            spoken = per_friend * np.float32(transmitting[slot, f]) if per_tie else word_of_mouth * share
            if susceptible:  # the person's own susceptibilities to advertising and word of mouth
                reasons *= advertising_susceptibility[slot]
                reasons += spoken * word_of_mouth_susceptibility[slot]
            else:
                reasons += spoken
            if with_bandwagon:
                bandwagon = jump if (share >= threshold[slot] and share > 0) else zero
                reasons += bandwagon + penetration_term[f]
            weight = stage_weight
            if with_attraction:
                scaled_price = np.float64(rule.price_weight * price_sensitivity[slot])
                attraction = np.float32(
                    np.float64(proof_sensitivity[slot]) * rating_gap[f] - scaled_price * price_gap[f]
                )
                weight = np.exp(attraction) * stage_weight
            if rule.awareness_required and not (aware[slot, f] or share > 0):
                weight = zero
            if f == locked_firm or not open_firm[f]:
                weight = zero
            value = reasons * weight
            hazard[i, f] = value
            total += value
        if below_chance(uniform_one(adopt_key, slot), total):
            adopts[i] = True
        elif forget_rate > 0:
            for f in range(firms):
                heard = boosted and boost[slot, f, 0] + boost[slot, f, 1] + boost[slot, f, 2] > 0
                if not heard and uniform_one(keys[1 + f], slot) < forget_rate:
                    aware[slot, f] = False


def choices(
    slots: np.ndarray,
    hazard: np.ndarray,
    keys: np.ndarray,
    reasons_in: tuple,
    rule: AdoptionParams,
    penetration_term: np.ndarray,
    acquired: np.ndarray,
    susceptibility: tuple = (UNUSED_MULTIPLIER, UNUSED_MULTIPLIER),
) -> tuple[np.ndarray, np.ndarray]:
    """The choices of those who adopt (``slots``, their (k, F) ``hazard``): the firm, drawn in
    proportion to the hazards with the uniform of ``keys[0]``, and the channel, drawn in
    proportion to the six reasons for that firm (organic, search, social, influencer, word of
    mouth, bandwagon, in float32) with the uniform of ``keys[1]``; each adoption is counted in
    ``acquired[firm, channel]``. ``reasons_in`` is (neighbour share, friends transmitting (as for
    :func:`weekly_adoption`), bandwagon threshold, boost (people, F, 3) or no rows);
    ``penetration_term`` and ``susceptibility`` as for :func:`weekly_adoption`.

    Returns the firm (int64) and channel (int8) of each adopter.
    """
    return _choices(
        slots, hazard, keys, (*reasons_in, *susceptibility), rule, penetration_term, _CHANNEL_CODES, acquired
    )


@njit(cache=True)
def _choices(
    slots: np.ndarray,
    hazard: np.ndarray,
    keys: np.ndarray,
    reasons_in: tuple,
    rule: AdoptionParams,
    penetration_term: np.ndarray,
    channels: np.ndarray,
    acquired: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`choices`, compiled; ``channels`` the channel code of each reason."""
    neighbour_share, transmitting, threshold, boost, advertising, word_of_mouth = reasons_in
    boosted = boost.shape[0] > 0
    zero = np.float32(0.0)
    count = slots.size
    firm_of = np.empty(count, dtype=np.int64)
    channel_of = np.empty(count, dtype=np.int8)
    reasons = np.empty((1, channels.size), dtype=np.float32)
    for i in range(count):
        slot = slots[i]
        firm = pick_in_proportion(hazard, i, 0, hazard.shape[1] - 1, uniform_one(keys[0], np.int64(slot)))
        share = neighbour_share[slot, firm]
        reasons[0, 0] = rule.innovation
        for r in range(3):
            reasons[0, 1 + r] = boost[slot, firm, r] if boosted else zero
        if rule.per_tie:
            reasons[0, 4] = rule.tie_hazard * np.float32(transmitting[slot, firm])
        else:
            reasons[0, 4] = rule.word_of_mouth * share
        if rule.susceptible:
            for r in range(4):
                reasons[0, r] *= advertising[slot]
            reasons[0, 4] *= word_of_mouth[slot]
        bandwagon = rule.bandwagon_jump if (share >= threshold[slot] and share > 0) else zero
        reasons[0, 5] = bandwagon + penetration_term[firm]
        reason = pick_in_proportion(reasons, 0, 0, channels.size - 1, uniform_one(keys[1], np.int64(slot)))
        firm_of[i] = firm
        channel_of[i] = channels[reason]
        acquired[firm, channels[reason]] += 1
    return firm_of, channel_of
