"""Compiled inner loops (numba): the weekly work that touches every person or every tie.

NumPy expresses each behaviour as dozens of passes over population-sized temporaries (a uint64
hash alone is five passes; a neighbour share is a one-hot matrix, a sparse product and a
scaling), and at 10,000 people the week is dominated by the cost of the calls themselves. A
compiled loop does a behaviour's per-person work in one pass, drawing each person's uniform from
their stream cell on the spot (:func:`uniform_one`, the same SplitMix64 hash as
:mod:`sim.streams`). The behaviour modules keep the rules and the bookkeeping of the few people
an event happens to; the loops here only decide.

Every kernel repeats the arithmetic of the NumPy form it replaced: the same integer operations,
the same float32 or float64 rounding at each step, sums in the same order, Cephes' ndtri for
normal quantiles (scipy's, bit for bit). exp and expm1 come from the C library, as everywhere in
the model's numbers: NumPy's own exp, log and expm1 (and its argpartition) pick their code by the
processor's SIMD level and so differ between machines, which :func:`exp_each`, :func:`smallest`
and :func:`largest` avoid (tests/test_portable.py; tests/test_kernels.py checks the kernels against
their NumPy references). Kernels are compiled on first use and cached next to this file (``cache=True``), so
later processes load them in milliseconds. Lesson learned: do not call a helper with several
arrays per person (each call pays reference counting, 55 ns a person here); pass tuples of arrays
to a kernel and unpack them once.

Example:
    >>> import numpy as np
    >>> bool(below_chance(0.5, np.float32(1.0))), bool(below_chance(0.7, np.float32(1.0)))
    (True, False)
"""

from __future__ import annotations

import numpy as np
from numba import njit

from sim.numerics import (  # noqa: F401 - the old names of the shared machinery, kept for now
    answer_of,
    below_chance,
    exp_each,
    expm1_each,
    largest,
    may_be_below,
    normal_quantile,
    normal_quantile_cells,
    pick_in_proportion,
    smallest,
)
from sim.streams import uniform_for_slots, uniform_one, uniforms_for_keys  # noqa: F401
from sim.threads import PARALLEL_FROM, in_pieces, set_threads, threads  # noqa: F401


@njit(cache=True)
def csr_from_sorted_codes(
    size: int, forward: np.ndarray, backward: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric CSR structure (indptr, indices with each row sorted) of undirected ties.

    ``forward`` holds ``low * size + high`` for each tie (low < high), sorted and free of repeats;
    ``backward`` holds ``high * size + low`` for the same ties, sorted. Row r is the lows of the
    backward codes of r followed by the highs of the forward codes of r: both already in order,
    so the rows are written front to back (random writes are slow on this machine's memory).
    """
    indptr = np.zeros(size + 1, dtype=np.int64)
    indices = np.empty(2 * forward.size, dtype=np.int32)
    f = 0
    b = 0
    position = 0
    for person in range(size):
        while b < backward.size and backward[b] // size == person:
            indices[position] = backward[b] % size
            position += 1
            b += 1
        while f < forward.size and forward[f] // size == person:
            indices[position] = forward[f] % size
            position += 1
            f += 1
        indptr[person + 1] = position
    return indptr, indices


@njit(cache=True)
def _distinct_draws(rng: np.random.Generator, repeated: np.ndarray, length: int, out: np.ndarray) -> None:
    """Fill ``out`` with distinct people drawn uniformly from ``repeated[:length]`` (in which
    everyone appears once per tie they have): networkx's ``_random_subset``."""
    picked = 0
    while picked < out.size:
        candidate = repeated[rng.integers(0, length)]
        seen = False
        for j in range(picked):
            if out[j] == candidate:
                seen = True
                break
        if not seen:
            out[picked] = candidate
            picked += 1


@njit(cache=True)
def barabasi_albert_edges(size: int, attach: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Preferential attachment as networkx's ``barabasi_albert_graph`` does it: a star of
    ``attach + 1`` people to start, then each newcomer ties to ``attach`` distinct people drawn
    uniformly from the list in which everyone appears once per tie they have."""
    ties = attach + (size - attach - 1) * attach
    source = np.empty(ties, dtype=np.int64)
    target = np.empty(ties, dtype=np.int64)
    repeated = np.empty(2 * ties, dtype=np.int64)
    count = 0
    length = 0
    for leaf in range(1, attach + 1):  # the star: hub 0 and leaves 1..attach
        source[count], target[count] = 0, leaf
        count += 1
        repeated[length], repeated[length + 1] = 0, leaf
        length += 2
    chosen = np.empty(attach, dtype=np.int64)
    for newcomer in range(attach + 1, size):
        _distinct_draws(rng, repeated, length, chosen)
        for j in range(attach):
            source[count], target[count] = newcomer, chosen[j]
            count += 1
            repeated[length] = chosen[j]
            repeated[length + 1] = newcomer
            length += 2
    return source, target


@njit(cache=True)
def powerlaw_cluster_edges(
    size: int, attach: int, triangle: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Holme-Kim growth as networkx's ``powerlaw_cluster_graph`` does it: each newcomer makes
    ``attach`` ties; the first by preferential attachment, each further one, with probability
    ``triangle``, to a friend of the last preferential target it is not yet tied to (closing a
    triangle), otherwise by preferential attachment again."""
    ties = (size - attach) * attach
    source = np.empty(ties, dtype=np.int64)
    target = np.empty(ties, dtype=np.int64)
    # Neighbour lists as linked half-edges: head[person] -> half-edge -> next half-edge.
    head = np.full(size, -1, dtype=np.int64)
    next_half = np.empty(2 * ties, dtype=np.int64)
    other_end = np.empty(2 * ties, dtype=np.int64)
    repeated = np.empty(attach + 2 * ties, dtype=np.int64)
    length = 0
    for person in range(attach):
        repeated[length] = person
        length += 1
    count = 0
    candidates = np.empty(attach, dtype=np.int64)
    own = np.empty(attach, dtype=np.int64)  # the newcomer's ties so far
    friends = np.empty(size, dtype=np.int64)
    for newcomer in range(attach, size):
        _distinct_draws(rng, repeated, length, candidates)
        # The targets are taken in the order drawn (Holme & Kim 2002). networkx pops them from a
        # Python set, which favours small ids; its graphs close a few fewer triangles (transitivity
        # 0.053 against 0.067 here at 5,000 people, attach 3, triangle 0.5) but have the same
        # degree quantiles (tests/test_network.py).
        next_candidate = 0
        made = 0
        last_target = -1
        while made < attach:
            partner = -1
            if made > 0 and rng.random() < triangle:
                found = 0
                half = head[last_target]
                while half >= 0:
                    friend = other_end[half]
                    tied = friend == newcomer
                    for j in range(made):
                        if own[j] == friend:
                            tied = True
                    if not tied:
                        friends[found] = friend
                        found += 1
                    half = next_half[half]
                if found > 0:
                    partner = friends[rng.integers(0, found)]
            if partner < 0:
                partner = candidates[next_candidate]
                next_candidate += 1
                last_target = partner
            own[made] = partner
            made += 1
            source[count], target[count] = newcomer, partner
            for a, b, h in ((newcomer, partner, 2 * count), (partner, newcomer, 2 * count + 1)):
                other_end[h] = b
                next_half[h] = head[a]
                head[a] = h
            count += 1
            repeated[length] = partner
            length += 1
        for _ in range(attach):
            repeated[length] = newcomer
            length += 1
    return source, target


@njit(cache=True)
def referrer_still_there(slots: np.ndarray, referrer: tuple) -> np.ndarray:
    """Whether each customer in ``slots`` was referred by someone who still buys from their firm
    (the same person: a slot refilled by a newcomer does not count); ``referrer`` is
    (referrer slot, referrer person id, person_id, firm, channel, REFERRAL)."""
    referrer_slot, referrer_id, person_id, firm_of, channel, referral = referrer
    out = np.empty(slots.size, dtype=np.bool_)
    for i in range(slots.size):
        slot = slots[i]
        other = referrer_slot[slot]
        out[i] = (
            other >= 0
            and channel[slot] == referral
            and person_id[other] == referrer_id[slot]
            and firm_of[other] == firm_of[slot]
        )
    return out


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
def _churn_hazard_rows(first: int, last: int, inputs: tuple, out: np.ndarray, best_rival: np.ndarray) -> None:
    """Rows ``first`` to ``last - 1`` of :func:`churn_hazards` (its arguments as one tuple).

    When the noise tuple's table of quantile cells is not empty (:func:`normal_quantile_cells`), a
    customer who knows a rival gets an upper bound of the better-value hazard in place of the
    hazard, and a best rival of -1 ("not worked out"): :func:`churn_outcomes` works the row out
    exactly (without the table) only where a uniform falls below a bound. The exception is a
    customer whose one rival cannot beat the own firm even at the bounds: that hazard is 0, exactly.
    """
    slots, demography, leaver_share, attraction, noise, poach_boost, aware, pressure = inputs[:8]
    tolerance, neighbour_share, referrer, rates = inputs[8:]
    referrer_slot, referrer_id, person_id, firm_of, channel, referral = referrer
    death, move = demography
    proof_sensitivity, price_sensitivity, rating_gap, price_gap = attraction
    noise_sd = noise[0]
    satisfaction, appreciation, tolerances = tolerance
    follow, better, dissatisfied, unappreciated = rates[0], rates[1], rates[2], rates[3]
    belonging, tie_damp, price_weight = rates[4], rates[5], rates[6]
    # Switches read once, outside the loop: the compiler cannot hoist reads of ``rates`` past
    # the writes to ``out`` (they might alias), and this loop runs over every customer weekly.
    with_death = rates[7] > 0
    with_move = rates[8] > 0
    with_follow = leaver_share.shape[0] > 0
    with_noise = noise_sd > 0
    bounded = with_noise and noise[2].shape[0] > 0
    satisfaction_tolerance, appreciation_tolerance = tolerances[0], tolerances[1]
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
                _perceived_value_bound(own, slot, proof, scaled_price, rating_gap, price_gap, noise, 0)
                + poach_boost[slot, own]
            )
            most_gap = np.float32(-np.inf)
            most_pressure = zero
            for f in range(firms):
                if f == own or not aware[slot, f]:
                    continue
                most = np.float32(
                    _perceived_value_bound(f, slot, proof, scaled_price, rating_gap, price_gap, noise, 1)
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
            tied = (
                other >= 0
                and channel[slot] == referral
                and person_id[other] == referrer_id[slot]
                and firm_of[other] == own
            )
            if tied:  # the referral tie, as referrer_still_there
                better_hazard *= tie_damp
                unappreciated_hazard *= tie_damp
        out[i, 3] = better_hazard
        out[i, 4] = dissatisfied_hazard
        out[i, 5] = unappreciated_hazard


def churn_hazards(
    slots: np.ndarray,
    demography: tuple,
    leaver_share: np.ndarray,
    attraction: tuple,
    noise: tuple,
    poach_boost: np.ndarray,
    aware: np.ndarray,
    pressure: np.ndarray,
    tolerance: tuple,
    neighbour_share: np.ndarray,
    referrer: tuple,
    rates: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """The six weekly churn hazards and the best-value rival of each customer in ``slots``: the
    loop form of ``sim.agents.behaviours.churn.hazards`` (documented there), float32 like it.

    ``demography`` is (death hazard, move hazard) per person; ``leaver_share`` (people, F) or
    (0, F) when friends' exits are not followed; ``attraction`` is (proof sensitivity, price
    sensitivity, rating gap (F, float64), price gap (F, float64)); ``noise`` is (sd of
    this week's perceived-value noise, the "perceived_value" stream cell of each firm);
    ``tolerance`` is
    (satisfaction, appreciation, their tolerances as a (2,) float32); ``referrer`` as in
    :func:`referrer_still_there`; ``rates`` float32 [follow_friend, better_value, dissatisfied,
    unappreciated, belonging, 1 - referrer_tie, price_weight, died (0/1), moved (0/1)].
    """
    count = slots.size
    out = np.empty((count, 6), dtype=np.float32)  # every column written by the rows
    best_rival = np.empty(count, dtype=np.int64)
    inputs = _exact_hazard_inputs(
        (
            slots, demography, leaver_share, attraction, noise, poach_boost, aware, pressure,
            tolerance, neighbour_share, referrer, rates,
        )
    )  # fmt: skip
    in_pieces(_churn_hazard_rows, count, inputs, out, best_rival)
    return out, best_rival


_NO_QUANTILE_CELLS = np.empty((0, 2), dtype=np.float64)


def _exact_hazard_inputs(arguments: tuple) -> tuple:
    """:func:`churn_hazards`' arguments as its rows take them: the noise tuple gains an empty
    table of quantile cells (every hazard exact)."""
    noise_sd, noise_keys = arguments[4]
    return (*arguments[:4], (float(noise_sd), noise_keys, _NO_QUANTILE_CELLS), *arguments[5:])


@njit(cache=True, nogil=True)
def _adoption_rows(first: int, last: int, inputs: tuple, adopts: np.ndarray, hazard: np.ndarray) -> None:
    """Prospects ``first`` to ``last - 1`` of :func:`adoption_week` (its arguments as one tuple):
    ``adopts[i]`` set for those who adopt, ``hazard[i]`` their (F,) hazards (every row written)."""
    slots, neighbour_share, traits, boost, offer, state, rates, penetration_term, keys = inputs
    threshold, proof_sensitivity, price_sensitivity = traits
    rating_gap, price_gap = offer
    stage, aware, churn_week, left_firm = state
    innovation, word_of_mouth, jump, price_weight = rates[0], rates[1], rates[2], rates[3]
    awareness_required = rates[7] > 0
    lockout, week, forget_rate = rates[8], rates[9], rates[10]
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
    staged = rates[4] != rates[5] or rates[4] != rates[6]  # else every stage weighs rates[4]
    with_lockout = lockout > 0
    adopt_key = keys[0]
    for i in range(first, last):
        slot = slots[i]
        stage_weight = rates[4 + stage[slot]] if staged else rates[4]
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
            reasons += word_of_mouth * share
            if with_bandwagon:
                bandwagon = jump if (share >= threshold[slot] and share > 0) else zero
                reasons += bandwagon + penetration_term[f]
            weight = stage_weight
            if with_attraction:
                scaled_price = np.float64(price_weight * price_sensitivity[slot])
                attraction = np.float32(
                    np.float64(proof_sensitivity[slot]) * rating_gap[f] - scaled_price * price_gap[f]
                )
                weight = np.exp(attraction) * stage_weight
            if awareness_required and not (aware[slot, f] or share > 0):
                weight = zero
            if f == locked_firm:
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


def adoption_week(
    slots: np.ndarray,
    neighbour_share: np.ndarray,
    traits: tuple,
    boost: np.ndarray,
    offer: tuple,
    state: tuple,
    rates: np.ndarray,
    penetration_term: np.ndarray,
    keys: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Step 3 for the prospects in ``slots``: each one's (F,) weekly hazard of choosing each firm
    and whether they adopt; prospects who do not adopt may forget firms they heard nothing of.

    The hazard is the sum of the six reasons of ``sim.agents.behaviours.adoption`` times the
    choice weight (attraction, buying-cycle stage, awareness, rejoin lock-out), in float32.
    ``traits`` is (bandwagon threshold, proof sensitivity, price sensitivity); ``boost``
    (people, F, 3) this week's search, social and influencer boosts, or (0, F, 3) if none; ``offer`` is (rating gap,
    price gap), (F,) float64 each; ``state`` is (stage, aware, churn week, left firm);
    ``rates`` float32 [innovation, word of mouth, bandwagon jump, price weight, stage weights x3
    (all 1 without the buying cycle), awareness required (0/1), lock-out weeks, week, forget
    rate]; ``keys`` the stream cells of "adopt" then "forget" for each firm.

    Returns the positions (in ``slots``) of the prospects who adopt and their (F,) hazards;
    awareness is updated in place.
    """
    count = slots.size
    adopts = np.zeros(count, dtype=np.bool_)
    hazard = np.empty((count, offer[0].size), dtype=np.float32)
    inputs = (slots, neighbour_share, traits, boost, offer, state, rates, penetration_term, keys)
    in_pieces(_adoption_rows, count, inputs, adopts, hazard)
    adopters = np.flatnonzero(adopts)
    return adopters, hazard[adopters]


@njit(cache=True, inline="always")
def _hazard_sum(hazard: np.ndarray, row: int, first: int, last: int) -> np.float32:
    """hazard[row, first] + ... + hazard[row, last], summed in float32 in that order."""
    total = np.float32(0.0)
    for r in range(first, last + 1):
        total += hazard[row, r]
    return total


@njit(cache=True, nogil=True)
def _churn_outcome_rows(
    first: int,
    last: int,
    inputs: tuple,
    account: np.ndarray,
    product: np.ndarray,
    spend: np.ndarray,
    hazard: np.ndarray,
    best_rival: np.ndarray,
) -> None:
    """Customers ``first`` to ``last - 1`` of :func:`churn_outcomes` (its arguments as one tuple)."""
    hazard_inputs, quantile_cells, keys, intensity, products, spend_level, min_spend_level = inputs
    slots, noise = hazard_inputs[0], hazard_inputs[4]
    bounded_inputs = (*hazard_inputs[:4], (noise[0], noise[1], quantile_cells), *hazard_inputs[5:])
    _churn_hazard_rows(first, last, bounded_inputs, hazard, best_rival)
    # A draw whose outcome cannot matter (partial churn off, one product, spend at the floor) is
    # not made: each person's uniforms are their own, so no one else's decision moves. A row
    # whose better-value hazard is only bounded (best rival -1) is worked out exactly when a
    # uniform falls below the bound, before the decision: every decision is then the exact one.
    with_product, with_spend = intensity[0] > 0, intensity[1] > 0
    churn_key, reason_key = keys[0], keys[1]
    for i in range(first, last):
        slot = slots[i]
        u = uniform_one(churn_key, slot)
        total = _hazard_sum(hazard, i, 0, 5)
        if best_rival[i] < 0 and may_be_below(u, total):
            _churn_hazard_rows(i, i + 1, hazard_inputs, hazard, best_rival)
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
            if best_rival[i] < 0 and may_be_below(u, intensity[0] * pressure):
                _churn_hazard_rows(i, i + 1, hazard_inputs, hazard, best_rival)
                pressure = _hazard_sum(hazard, i, 2, 5)
            if below_chance(u, intensity[0] * pressure):
                product[i] = pick_in_proportion(hazard, i, 2, 5, uniform_one(keys[3], slot))
        if can_cut_spend:
            u = uniform_one(keys[4], slot)
            if best_rival[i] < 0 and may_be_below(u, intensity[1] * pressure):
                _churn_hazard_rows(i, i + 1, hazard_inputs, hazard, best_rival)
                pressure = _hazard_sum(hazard, i, 2, 5)
            if below_chance(u, intensity[1] * pressure):
                spend[i] = pick_in_proportion(hazard, i, 2, 5, uniform_one(keys[5], slot))


def churn_outcomes(
    hazard_arguments: tuple,
    quantile_cells: np.ndarray,
    keys: np.ndarray,
    intensity: np.ndarray,
    products: np.ndarray,
    spend_level: np.ndarray,
    min_spend_level: np.float32,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """This week's churn events for the customers whose hazards :func:`churn_hazards` of
    ``hazard_arguments`` (its arguments, as a tuple) gives.

    Returns three int8 arrays of reasons, -1 where nothing happens: account churn (probability
    1 - exp(-total hazard), reason in proportion to the hazards), then for those who stay, product
    churn and decreased spend (probability 1 - exp(-intensity x the four non-demographic
    hazards), reason in proportion to them; only with more than one product, or above the spend
    floor); and the best-value rival of each customer who leaves (-1 for some who stay).
    ``keys`` are the stream cells of "churn", "churn_reason", "product_churn",
    "product_churn_reason", "spend_churn", "spend_churn_reason"; ``intensity`` (2,) float32
    (product, spend), 0 when off.

    The decisions are those of the exact hazards, but the hazards are worked out lazily: the
    better-value hazard needs two normal quantiles a customer who knows a rival, and the weekly
    chances are small, so its bound from ``quantile_cells`` (:func:`normal_quantile_cells`)
    decides almost every customer, and only those whose uniform falls below a bound get the
    quantiles.
    """
    slots = hazard_arguments[0]
    count = slots.size
    account = np.full(count, -1, dtype=np.int8)
    product = np.full(count, -1, dtype=np.int8)
    spend = np.full(count, -1, dtype=np.int8)
    hazard = np.empty((count, 6), dtype=np.float32)  # every column written by the rows
    best_rival = np.empty(count, dtype=np.int64)
    inputs = (
        _exact_hazard_inputs(hazard_arguments), quantile_cells, keys, intensity, products, spend_level,
        min_spend_level,
    )  # fmt: skip
    in_pieces(_churn_outcome_rows, count, inputs, account, product, spend, hazard, best_rival)
    return account, product, spend, best_rival


@njit(cache=True)
def update_neighbour_counts(
    indptr: np.ndarray,
    indices: np.ndarray,
    tallies: tuple,
    counted_code: np.ndarray,
    code: np.ndarray,
) -> None:
    """Move the contribution of each person whose group changed since they were counted to their
    neighbours' counts from the old group to the new one (code < 0: none), in place.

    ``tallies`` is (counts (people, groups) int32, shares (people, groups) float32, inverse
    degree float32): each count changed is written to the shares too, as float32 count x inverse
    degree, the same number the one-pass neighbour share gives.
    """
    counts, shares, inverse_degree = tallies
    for person in range(code.size):
        old, new = counted_code[person], code[person]
        if old == new:
            continue
        for position in range(indptr[person], indptr[person + 1]):
            friend = indices[position]
            scale = inverse_degree[friend]
            if old >= 0:
                counts[friend, old] -= 1
                shares[friend, old] = np.float32(counts[friend, old]) * scale
            if new >= 0:
                counts[friend, new] += 1
                shares[friend, new] = np.float32(counts[friend, new]) * scale
        counted_code[person] = new


@njit(cache=True, nogil=True)
def _purchase_count_rows(first: int, last: int, inputs: tuple, count: np.ndarray) -> None:
    """Customers ``first`` to ``last - 1`` of :func:`purchase_counts` (its arguments as one tuple)."""
    slots, traits, offered, offer_uplift, key = inputs
    rate, spend_level, products, joining = traits
    for i in range(first, last):
        slot = slots[i]
        held = np.float32(products[slot]) / max(joining[slot], np.float32(1.0))
        mean = np.float64(rate[slot] * spend_level[slot] * held) * (1.0 + offer_uplift * offered[slot])
        u = uniform_one(key, np.int64(slot))
        if u < (1.0 - mean) * (1.0 - 1e-12):  # below exp(-mean) >= 1 - mean: no purchase
            continue
        term = np.exp(-mean)
        cumulative = term
        k = 0
        while u >= cumulative and k < 40:
            k += 1
            term = term * mean / k
            cumulative = cumulative + term
        count[i] = k


def purchase_counts(
    slots: np.ndarray, traits: tuple, offered: np.ndarray, offer_uplift: float, key: np.uint64
) -> np.ndarray:
    """This week's number of purchases of each active customer in ``slots``: Poisson by inversion
    of the person's own uniform (as :func:`sim.streams.poisson_from_uniform`), with mean
    purchase rate x spend level x products held / products on joining x (1 + uplift if offered).
    ``traits`` is (purchase rate, spend level, products, joining products)."""
    count = np.zeros(slots.size, dtype=np.int32)
    in_pieces(_purchase_count_rows, slots.size, (slots, traits, offered, offer_uplift, key), count)
    return count


@njit(cache=True)
def decay_customers(firm_of: np.ndarray, values: np.ndarray, factor: np.float32) -> None:
    """values *= factor for every customer (firm >= 0), in place."""
    for slot in range(firm_of.size):
        if firm_of[slot] >= 0:
            values[slot] *= factor


@njit(cache=True)
def touch(slots: np.ndarray, untouched: np.ndarray, touches: np.ndarray, keep: float) -> None:
    """A relations touch of each (distinct) slot, in place: ``untouched`` x= ``keep`` (1 - the
    touch's strength, rounded to float32 here) and one more contact."""
    keep32 = np.float32(keep)  # a new name: reassigning ``keep`` would make it a float64
    for i in range(slots.size):
        slot = slots[i]
        untouched[slot] *= keep32
        touches[slot] += 1


@njit(cache=True)
def slots_with(codes: np.ndarray, value: np.int8) -> np.ndarray:
    """``np.flatnonzero(codes == value)`` in one branch-free pass."""
    out = np.empty(codes.size, dtype=np.int64)
    count = 0
    for slot in range(codes.size):
        out[count] = slot
        count += codes[slot] == value
    return out[:count].copy()


@njit(cache=True)
def active_customers_of(firm_of: np.ndarray, status: np.ndarray, firm: int, active: np.int8) -> np.ndarray:
    """Slots of ``firm``'s active customers: ``np.flatnonzero((firm_of == firm) & (status ==
    active))`` in one branch-free pass."""
    out = np.empty(firm_of.size, dtype=np.int64)
    count = 0
    for slot in range(firm_of.size):
        out[count] = slot
        count += (firm_of[slot] == firm) & (status[slot] == active)  # write always, keep if so
    return out[:count].copy()


@njit(cache=True)
def keep_where(slots: np.ndarray, codes: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """The ``slots`` whose code is wanted: ``slots[wanted[codes[slots]]]`` in one pass (``wanted``
    a boolean table indexed by code)."""
    out = np.empty(slots.size, dtype=np.int64)
    count = 0
    for i in range(slots.size):
        out[count] = slots[i]
        count += wanted[codes[slots[i]]]
    return out[:count].copy()


@njit(cache=True)
def contactable(slots: np.ndarray, contact_block: np.ndarray, firm: int, week: int) -> np.ndarray:
    """The ``slots`` whose contact block for ``firm`` has passed by ``week``:
    ``slots[contact_block[slots, firm] <= week]`` in one pass."""
    out = np.empty(slots.size, dtype=np.int64)
    count = 0
    for i in range(slots.size):
        out[count] = slots[i]
        count += contact_block[slots[i], firm] <= week
    return out[:count].copy()


@njit(cache=True)
def customers_before(firm_of: np.ndarray, acquired_week: np.ndarray, week: int) -> np.ndarray:
    """Slots of the customers (of any firm) who joined before ``week``, in slot order: the
    ``np.flatnonzero((firm >= 0) & (acquired_week < week))`` of one pass."""
    out = np.empty(firm_of.size, dtype=np.int64)
    count = 0
    for slot in range(firm_of.size):
        out[count] = slot
        count += (firm_of[slot] >= 0) & (acquired_week[slot] < week)  # write always, keep if so
    return out[:count].copy()


@njit(cache=True)
def customers_per_firm(firm_of: np.ndarray, firms: int) -> np.ndarray:
    """(firms,) int64 number of people whose firm is f (``np.bincount`` of the non-negative
    codes, without the boolean-mask copy)."""
    out = np.zeros(firms, dtype=np.int64)
    for firm in range(firms):  # a branch-free (vectorised) count per firm
        count = 0
        for slot in range(firm_of.size):
            count += firm_of[slot] == firm
        out[firm] = count
    return out


@njit(cache=True)
def prospect_departures(
    status: np.ndarray,
    churn_week: np.ndarray,
    arrival_week: np.ndarray,
    persona: np.ndarray,
    chances: tuple,
    week: int,
    keys: np.ndarray,
    prospect: np.int8,
) -> tuple[np.ndarray, np.ndarray]:
    """Prospects who die or move away this week (not those who lapsed or arrived this week), and
    whether each died. Demographic hazards depend on the persona only, so ``chances`` is
    (probability of leaving this week, share of leavers who died) per persona; ``keys`` the
    stream cells of "demography" and "demography_reason"."""
    leave, died_share = chances
    leavers = np.empty(status.size, dtype=np.int64)
    died = np.empty(status.size, dtype=np.bool_)
    count = 0
    for slot in range(status.size):
        if status[slot] != prospect or churn_week[slot] == week or arrival_week[slot] >= week:
            continue
        kind = persona[slot]
        if uniform_one(keys[0], np.int64(slot)) < leave[kind]:
            leavers[count] = slot
            died[count] = uniform_one(keys[1], np.int64(slot)) < died_share[kind]
            count += 1
    return leavers[:count].copy(), died[:count].copy()  # copies: do not pin the full buffers


@njit(cache=True)
def risk_score(slots: np.ndarray, records: tuple, tier_bronze: np.int8, week: int) -> np.ndarray:
    """:func:`sim.strategies.levers.risk_score` in one pass. ``records`` is (last purchase week,
    acquired week, purchases, spend level, products, joining products, complaints, tier)."""
    last_purchase, acquired, purchases, spend_level, products, joining, complaints, tier = records
    out = np.empty(slots.size, dtype=np.float64)
    for i in range(slots.size):
        slot = slots[i]
        recency = min((week - last_purchase[slot]) / 13.0, 2.0)
        tenure = max(week - acquired[slot], 1)
        rarity = 1.0 / (1.0 + 10.0 * (purchases[slot] / tenure))
        trend = np.float64(np.float32(1.0) - min(spend_level[slot], np.float32(1.0)))
        trend += 0.5 if products[slot] < joining[slot] else 0.0
        complained = min(complaints[slot], 3) / 3.0
        low_tier = 0.5 if tier[slot] == tier_bronze else 0.0
        out[i] = recency + rarity + trend + complained + low_tier
    return out


@njit(cache=True)
def move_through_stages(
    status: np.ndarray, stage: np.ndarray, rates: np.ndarray, key: np.uint64, prospect: np.int8
) -> None:
    """Each prospect's buying-cycle stage moves on (or drops back) by their own uniform, in place:
    awareness -> research below ``rates[0]``; research -> comparison below ``rates[1]``, back to
    awareness in the next ``rates[2]``; comparison -> awareness below ``rates[3]``."""
    research, comparison, dropout, comparison_dropout = rates[0], rates[1], rates[2], rates[3]
    for slot in range(status.size):
        if status[slot] != prospect:
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


@njit(cache=True)
def recent_leavers(
    told_friends: np.ndarray, churn_week: np.ndarray, left_firm: np.ndarray, week: int, window: int
) -> np.ndarray:
    """int8 code per person: the firm they left within ``window`` weeks in a way friends hear of
    (``told_friends``), else -1."""
    code = np.full(told_friends.size, -1, dtype=np.int8)
    for slot in range(told_friends.size):
        if told_friends[slot] and churn_week[slot] >= 0 and week - churn_week[slot] <= window:
            code[slot] = left_firm[slot]
    return code


@njit(cache=True)
def count_dormant_week(status: np.ndarray, dormant_weeks: np.ndarray, dormant: np.int8) -> None:
    """One more week spent dormant for every dormant customer, in place."""
    for slot in range(status.size):  # branch-free (vectorised)
        dormant_weeks[slot] += status[slot] == dormant


@njit(cache=True)
def dormancy_moves(
    state: tuple,
    purchase_rate: np.ndarray,
    spend_level: np.ndarray,
    config: np.ndarray,
    key: np.uint64,
    firms: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Dormant customers who come back by themselves (weekly hazard self_return x purchase rate x
    spend level; not those who became dormant this week) and active customers without a purchase
    for ``weeks`` weeks who become dormant (not those who joined this week), in place.
    ``state`` is (status, firm, last purchase week, dormant since, acquired week); ``config`` is
    float64 [self_return, weeks, week, ACTIVE, DORMANT]. Returns the returned and the newly
    dormant counts by firm."""
    status, firm_of, last_purchase, dormant_since, acquired = state
    self_return = np.float32(config[0])
    weeks, week = np.int64(config[1]), np.int64(config[2])
    active, dormant = np.int8(config[3]), np.int8(config[4])
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
def appreciation_update(appreciation: np.float32, decay: np.float32, untouched: np.float32) -> np.float32:
    """Decay, then close (1 - untouched) of the remaining gap to 1 (float32)."""
    one = np.float32(1.0)
    decayed = appreciation * (one - decay)
    return decayed + (one - decayed) * (one - untouched)


@njit(cache=True)
def appreciation_week(
    firm_of: np.ndarray, state: tuple, effects: tuple, decay: np.ndarray, params: np.ndarray
) -> None:
    """Step 7 for every customer, in place. ``state`` is (appreciation, contacts); ``effects``
    (untouched, touches) this week; ``params`` float32 [contact memory factor, fatigue contacts,
    fatigue drop]."""
    appreciation, contacts = state
    untouched, touches = effects
    memory, tolerated, drop = params[0], params[1], params[2]
    zero, one = np.float32(0.0), np.float32(1.0)
    for slot in range(firm_of.size):
        if firm_of[slot] < 0:
            continue
        updated = appreciation_update(appreciation[slot], decay[slot], untouched[slot])
        remembered = contacts[slot] * memory + touches[slot]
        contacts[slot] = remembered
        # Each contact this week beyond what the person tolerates costs appreciation.
        excess = min(max(remembered - tolerated, zero), touches[slot])
        appreciation[slot] = min(max(updated - drop * excess, zero), one)


@njit(cache=True)
def reach(
    targets: np.ndarray, key: np.uint64, share: float, response: np.ndarray, persona: np.ndarray
) -> np.ndarray:
    """The targets a lever reaches this week: each with probability ``share`` x their persona's
    response to the lever, by their own uniform."""
    # Three simple passes rather than one: the draws then vectorise (several targets hashed at
    # a time), which the gather of the personas and the compaction of the reached would prevent.
    chance = np.empty(targets.size, dtype=np.float64)
    for i in range(targets.size):
        chance[i] = share * response[persona[targets[i]]]
    hit = np.empty(targets.size, dtype=np.bool_)
    for i in range(targets.size):
        hit[i] = uniform_one(key, np.int64(targets[i])) < chance[i]
    reached = np.empty(targets.size, dtype=np.int64)
    count = 0
    for i in range(targets.size):  # branch-free: write every target, keep the count of the reached
        reached[count] = targets[i]
        count += hit[i]
    return reached[:count].copy()


@njit(cache=True)
def book_purchases(
    slots: np.ndarray,
    count: np.ndarray,
    prices: tuple,
    records: tuple,
    lifetime: tuple,
    firms: int,
    margin_by_age: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Book this week's purchases of the buyers in ``slots``, in place: revenue = count x price x
    basket size, margin = revenue x margin rate; the buyers' running totals, last purchase week,
    trailing spend and revenue since reactivation. ``prices`` is (price by firm, margin rate by
    firm, basket size by person); ``records`` is (firm, purchases, revenue, margin, last purchase
    week, trailing spend, reactivated, revenue after reactivation, week as a (1,) array);
    ``lifetime`` is (won during the run, acquired week, channel, REFERRAL, 1 + yearly discount
    rate). Returns each buyer's revenue and a (5, firms) table by firm, summed in slot
    order as np.bincount does: revenue, margin, reactivated customers' revenue, margin of
    customers won during the run discounted to their acquisition week, and the part of it from
    customers won by referral. ``margin_by_age`` (firms, weeks + 1) gathers, in place, the
    undiscounted margin of customers won during the run by weeks since they were won (for the
    payback period)."""
    price, margin_rate, basket = prices
    firm_of, purchases, revenue_total, margin_total, last_purchase, trailing, reactivated, after, week = (
        records
    )
    won, acquired, channel, referral, discount_base = lifetime
    revenue = np.empty(slots.size, dtype=np.float64)
    by_firm = np.zeros((5, firms), dtype=np.float64)
    for i in range(slots.size):
        slot = slots[i]
        firm = firm_of[slot]
        value = count[i] * price[firm] * basket[slot]
        revenue[i] = value
        margin = value * margin_rate[firm]
        purchases[slot] += count[i]
        revenue_total[slot] += value
        margin_total[slot] += margin
        last_purchase[slot] = week[0]
        by_firm[0, firm] += value
        by_firm[1, firm] += margin
        if reactivated[slot]:
            after[slot] += value
            by_firm[2, firm] += value
        if won[slot]:
            margin_by_age[firm, week[0] - acquired[slot]] += margin
            discounted = margin * discount_base ** -((week[0] - acquired[slot]) / 52.0)
            by_firm[3, firm] += discounted
            if channel[slot] == referral:
                by_firm[4, firm] += discounted
        trailing[slot] += np.float32(value)
    return revenue, by_firm


@njit(cache=True)
def who_refers(
    people: tuple, boost: np.ndarray, threshold: np.float32, week: int, key: np.uint64, active: np.int8
) -> np.ndarray:
    """Customers who refer a friend this week: active, at least ``threshold`` satisfied, joined
    before this week, with weekly hazard referral propensity x (1 + their firm's programme
    boost). ``people`` is (status, satisfaction, acquired week, referral propensity, firm)."""
    status, satisfaction, acquired, propensity, firm_of = people
    out = np.empty(status.size, dtype=np.int64)
    count = 0
    one = np.float32(1.0)
    for slot in range(status.size):
        if status[slot] != active or satisfaction[slot] < threshold or acquired[slot] >= week:
            continue
        rate = propensity[slot] * (one + boost[firm_of[slot]])
        if below_chance(uniform_one(key, np.int64(slot)), rate):
            out[count] = slot
            count += 1
    return out[:count].copy()


@njit(cache=True)
def choose_friends(referrers: np.ndarray, keys: np.ndarray, ties: tuple, people: tuple) -> np.ndarray:
    """The friend each referrer refers: of ``keys.size`` friends drawn (one uniform from each
    "refer_friend" stream cell, as :meth:`sim.network.ReferralNetwork.random_neighbour`), the
    prospect who fits best (:func:`sim.agents.behaviours.referral.fit`, in float32; the first on
    ties); -1 where none is a prospect. ``ties`` is (indptr, indices, degree); ``people`` is
    (status, PROSPECT, purchase rate, basket size, appreciation decay)."""
    indptr, indices, degree = ties
    status, prospect, purchase_rate, basket_size, decay = people
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
            if status[friend] != prospect:
                continue
            score = np.float64(purchase_rate[friend] * basket_size[friend] / max(decay[friend], floor))
            if score > best_fit:
                best[i] = friend
                best_fit = score
    return best


@njit(cache=True)
def rivals_customers_aware_of(firm_of: np.ndarray, aware: np.ndarray, firm: int) -> np.ndarray:
    """Slots of other firms' customers who know ``firm`` (whom its poaching can reach)."""
    out = np.empty(firm_of.size, dtype=np.int64)
    count = 0
    for slot in range(firm_of.size):  # branch-free: write every slot, keep the count of the wanted
        out[count] = slot
        count += (firm_of[slot] >= 0) & (firm_of[slot] != firm) & aware[slot, firm]
    return out[:count].copy()


@njit(cache=True)
def dormant_contactable(people: tuple, firm: int, week: int, dormant: np.int8) -> np.ndarray:
    """Slots of ``firm``'s dormant customers that a reactivation campaign may contact: not after
    a "no", not before a "later" date. ``people`` is (firm, status, do not contact, recontact week)."""
    firm_of, status, do_not_contact, recontact_week = people
    # Two passes: the test of every slot vectorises on its own; the few wanted are then
    # collected, eight slots at a time passed over when none of them is wanted.
    wanted = np.empty(firm_of.size, dtype=np.uint8)
    for slot in range(firm_of.size):
        wanted[slot] = (
            (firm_of[slot] == firm)
            & (status[slot] == dormant)
            & (not do_not_contact[slot])
            & (recontact_week[slot] <= week)
        )
    return _slots_wanted(wanted)


@njit(cache=True, inline="always")
def failure_probability(rate: float, purchases: float) -> float:
    """Probability that at least one of ``purchases`` purchases fails."""
    return 1 - (1 - rate) ** purchases


@njit(cache=True)
def experience_week(
    slots: np.ndarray,
    count: np.ndarray,
    firm: np.ndarray,
    people: tuple,
    firm_terms: tuple,
    params: np.ndarray,
    keys: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Step 6 for this week's buyers (in slot order), in place: service failures, satisfaction,
    complaints and their handling, reviews. ``people`` is (satisfaction, complaint propensity,
    complaints, review boost); ``firm_terms`` is (failure rate, quality, complaint-handling
    capacity) by firm; ``params`` float64 [failure drop, learning rate, dissatisfied below,
    handled satisfaction, review rate, extreme review boost, unhandled bad review]; ``keys`` the
    stream cells of "fail", "complain", "review", "bad_review".

    Returns a (4, F) int64 table (dissatisfied, complaints, complaints handled, reviews by firm)
    and the (F,) sums of review stars; satisfaction, complaint counts and capacity are updated.
    """
    satisfaction, propensity, complaints, review_boost = people
    failure_rate, quality, capacity = firm_terms
    drop, learning = np.float32(params[0]), np.float32(params[1])
    dissatisfied_below, handled_level = np.float32(params[2]), np.float32(params[3])
    review_rate, extreme_boost, bad_review = np.float32(params[4]), np.float32(params[5]), params[6]
    firms = failure_rate.size
    counts = np.zeros((4, firms), dtype=np.int64)
    stars = np.zeros(firms, dtype=np.float64)
    zero, one = np.float32(0.0), np.float32(1.0)
    for i in range(slots.size):
        slot = slots[i]
        f = firm[i]
        failed = uniform_one(keys[0], np.int64(slot)) < failure_probability(
            failure_rate[f], np.float64(count[i])
        )
        now = satisfaction[slot]
        now = max(now - drop, zero) if failed else now + learning * (quality[f] - now)
        satisfaction[slot] = now
        complains = False
        if failed and now < dissatisfied_below:
            counts[0, f] += 1
            complains = uniform_one(keys[1], np.int64(slot)) < propensity[slot]
        handled = False
        if complains:
            counts[1, f] += 1
            complaints[slot] += 1
            if capacity[f] > 0:  # handled in slot order while the firm's capacity lasts
                capacity[f] -= 1
                handled = True
                counts[2, f] += 1
                now = max(now, handled_level)
                satisfaction[slot] = now
        extremity = abs(np.float32(2.0) * now - one)
        chance = min(review_rate * (one + review_boost[slot]) * (one + extreme_boost * extremity), one)
        posts = uniform_one(keys[2], np.int64(slot)) < chance
        # An unhandled complaint is voiced in public: a 1-star review.
        angry = complains and not handled and uniform_one(keys[3], np.int64(slot)) < bad_review
        if posts or angry:
            counts[3, f] += 1
            stars[f] += 1.0 if angry else 1 + 4 * np.float64(now)
    return counts, stars


# --------------------------------------------------------------------------- responses to contacts
# The people a firm's campaigns or reactivation contacts reached this week answer, each with one
# uniform drawn against the cumulative chances of the answers (``np.searchsorted(edges, u,
# side="right")``: the number of edges at or below u). The rules are in the behaviour modules
# (buying_cycle, dormancy); these loops do one firm's or one week's answers in one pass.


@njit(cache=True)
def campaign_answers(
    contact: np.ndarray,
    keys: np.ndarray,
    edges: np.ndarray,
    people: tuple,
    codes: np.ndarray,
    answers: np.ndarray,
) -> None:
    """Step 1b for every firm: each person a firm's campaign reached (``contact[:, firm]``)
    answers with the uniform of ``keys[firm]``; a positive answer moves them one buying-cycle
    stage on, a "no" blocks that firm's campaigns for good and cancels its adoption boost, a
    "later" blocks them until the recontact week. ``people`` is (stage, contact_block,
    adoption_boost); ``codes`` is [last stage, the "never" week, the recontact week];
    ``answers[firm]`` counts each answer (positive, negative, no response, later). Firms answer
    in order, as the loop over firms this replaces did."""
    stage, contact_block, adoption_boost = people
    last_stage, never, recontact = np.int8(codes[0]), np.int32(codes[1]), np.int32(codes[2])
    for firm in range(contact.shape[1]):
        for slot in range(contact.shape[0]):
            if not contact[slot, firm]:
                continue
            answer = answer_of(edges, uniform_one(keys[firm], np.int64(slot)))
            answers[firm, answer] += 1
            if answer == 0:  # positive
                stage[slot] = min(stage[slot] + 1, last_stage)
            elif answer == 1:  # negative: never again, and not persuaded this week
                contact_block[slot, firm] = never
                adoption_boost[slot, firm, :] = 0
            elif answer == 3:  # later
                contact_block[slot, firm] = recontact


@njit(cache=True)
def reactivation_answers(
    contact: np.ndarray, key: np.uint64, edges: np.ndarray, people: tuple, codes: np.ndarray, flows: tuple
) -> None:
    """Step 9's answers to reactivation: each dormant customer contacted by their own firm this
    week (``contact[slot]`` is the firm, -1 if none) answers with the uniform of ``key``. Positive:
    active again (the dormancy clock restarts, the return is recorded); negative: never contact
    again; later: not before the recontact week. ``people`` is (status, firm, last purchase week,
    dormant since, reactivated, reactivated week, do not contact, recontact week); ``codes`` is
    [dormant, active, this week, the recontact week]; ``flows`` is (answers by firm (F, 4),
    reactivated by firm (F,)), added to."""
    status, firm_of, last_purchase, dormant_since, reactivated, reactivated_week = people[:6]
    do_not_contact, recontact_week = people[6:]
    dormant, active, week, recontact = np.int8(codes[0]), np.int8(codes[1]), codes[2], codes[3]
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


@njit(cache=True)
def lift_satisfaction(lift: np.ndarray, satisfaction: np.ndarray) -> None:
    """Retention offers' lift (step 6): satisfaction moves ``lift`` of the way to 1, in float32
    as ``satisfaction[s] += lift[s] * (1 - satisfaction[s])`` for the lifted."""
    one = np.float32(1.0)
    for slot in range(lift.size):
        if lift[slot] > 0:
            now = satisfaction[slot]
            satisfaction[slot] = now + lift[slot] * (one - now)


# --------------------------------------------------------------------------- adopters' choices


@njit(cache=True)
def adoption_choices(
    slots: np.ndarray,
    hazard: np.ndarray,
    keys: np.ndarray,
    reasons_in: tuple,
    rates: np.ndarray,
    penetration_term: np.ndarray,
    channels: np.ndarray,
    acquired: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Step 3 for those who adopt (``slots``, their (k, F) ``hazard``): the firm, drawn in
    proportion to the hazards with the uniform of ``keys[0]``, and the channel, drawn in
    proportion to the six reasons for that firm (organic, search, social, influencer, word of
    mouth, bandwagon: ``sim.agents.behaviours.adoption._components``, float32 as there) with the
    uniform of ``keys[1]``; each adoption is counted in ``acquired[firm, channel]``.

    ``reasons_in`` is (neighbour share, bandwagon threshold, boost (people, F, 3) or no rows);
    ``rates`` and ``penetration_term`` as for :func:`adoption_week`; ``channels`` the channel
    code of each reason. Returns the firm (int64) and channel (int8) of each adopter.
    """
    neighbour_share, threshold, boost = reasons_in
    innovation, word_of_mouth, jump = rates[0], rates[1], rates[2]
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
        reasons[0, 0] = innovation
        for r in range(3):
            reasons[0, 1 + r] = boost[slot, firm, r] if boosted else zero
        reasons[0, 4] = word_of_mouth * share
        bandwagon = jump if (share >= threshold[slot] and share > 0) else zero
        reasons[0, 5] = bandwagon + penetration_term[firm]
        reason = pick_in_proportion(reasons, 0, 0, channels.size - 1, uniform_one(keys[1], np.int64(slot)))
        firm_of[i] = firm
        channel_of[i] = channels[reason]
        acquired[firm, channels[reason]] += 1
    return firm_of, channel_of


# --------------------------------------------------------------------------- referrals and purchases


@njit(cache=True)
def referral_offers(
    referrers: np.ndarray,
    friends: np.ndarray,
    people: tuple,
    key: np.uint64,
    rules: np.ndarray,
    referrals_made: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Step 4 after each referrer chose a friend (``friends``, -1 for none): a friend referred
    twice in one week counts once, for the first referrer in ``referrers`` order (as
    ``np.unique(friends, return_index=True)``); each referral is counted for the referrer's firm
    in ``referrals_made`` and makes the friend aware of it; the friend converts if the uniform of
    ``key`` is below the conversion rate and they did not leave that firm within the lock-out.

    ``people`` is (firm, left firm, churn week, aware); ``rules`` is [conversion rate, lock-out
    weeks, week]. Returns the converting (friends, referrers, firms), by friend's slot."""
    firm_of, left_firm, churn_week, aware = people
    conversion, lockout, week = rules[0], rules[1], rules[2]
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
def buyers(slots: np.ndarray, count: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The ``slots`` whose purchase ``count`` is above 0, and their counts (in order)."""
    keep = 0
    out_slots = np.empty(slots.size, dtype=np.int64)
    out_count = np.empty(slots.size, dtype=np.int32)
    for i in range(slots.size):
        out_slots[keep] = slots[i]
        out_count[keep] = count[i]
        keep += count[i] > 0
    return out_slots[:keep].copy(), out_count[:keep].copy()


# --------------------------------------------------------------------------- churn bookkeeping


@njit(cache=True)
def churn_bookkeeping(
    customers: np.ndarray,
    events: tuple,
    week: int,
    people: tuple,
    shares: tuple,
    flows: tuple,
    partial: tuple,
    codes: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The bookkeeping of ``sim.agents.behaviours.churn`` for this week's events (the rules are
    in the docstring of its ``_book``), in one pass over the customers.

    ``events`` is :func:`churn_outcomes`' (account, product, spend, best rival); ``people`` is
    (firm, acquired_in_run, channel, churn_week, churn_reason, left_firm, told_friends, status,
    tier, aware, stage, dormant_since, products, product_churns, spend_level, spend_decreases);
    ``shares`` (neighbour share, poach boost); ``flows`` the recorder's (churned,
    churned_referred, churned_other_won, acquired, product_churned, spend_decreased); ``partial``
    (1 - spend drop, spend floor) as float32; ``codes`` [DIED, MOVED, FOLLOWED_FRIEND,
    BETTER_VALUE, DISSATISFIED, REFERRAL, SWITCH, POACHED, PROSPECT, NONE tier, AWARENESS,
    dissatisfied leavers tell friends (0/1), NO_FIRM].

    Returns the switchers (slots, new firms, channels) for ``Customers.join`` and the slots and
    reasons of those who died or moved (the caller refills them).
    """
    account, product, spend, best_rival = events
    firm_of, won, channel, churn_week, churn_reason, left_firm, told_friends = people[:7]
    status, tier, aware, stage, dormant_since, products, product_churns = people[7:14]
    spend_level, spend_decreases = people[14], people[15]
    neighbour_share, poach_boost = shares
    churned, churned_referred, churned_other_won, acquired, product_churned, spend_decreased = flows
    keep_spend, spend_floor = partial
    died, moved, follows, better, dissatisfied = codes[0], codes[1], codes[2], codes[3], codes[4]
    referral, switch, poached, prospect, no_tier, awareness = (
        codes[5],
        codes[6],
        codes[7],
        codes[8],
        codes[9],
        codes[10],
    )
    tell_dissatisfied, no_firm = codes[11] != 0, codes[12]
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
            if channel[slot] == referral:
                churned_referred[own] += 1
            else:
                churned_other_won[own] += 1
        churn_week[slot] = week
        churn_reason[slot] = why
        left_firm[slot] = own
        if why in (died, moved):
            told_friends[slot] = False
            gone[going], why_gone[going] = slot, why
            going += 1
            continue
        rival = best_rival[i]
        if why == follows:  # the rival most friends buy from (np.argmax: the first largest share)
            most, most_share = -1, np.float32(-np.inf)
            for f in range(firms):
                share = np.float32(-1.0) if f == own else neighbour_share[slot, f]
                if share > most_share:
                    most, most_share = f, share
            if most_share > 0:
                rival = most
        switches = why in (follows, better) and rival != own
        told_friends[slot] = switches or (why == dissatisfied and tell_dissatisfied)
        if switches:
            movers[moving], to[moving] = slot, rival
            how[moving] = poached if poach_boost[slot, rival] > 0 else switch
            acquired[rival, how[moving]] += 1
            moving += 1
        else:  # lapses to prospect, aware of every firm
            firm_of[slot] = no_firm
            status[slot] = prospect
            tier[slot] = no_tier
            aware[slot, :] = True
            stage[slot] = awareness
            dormant_since[slot] = -1
    return (
        movers[:moving].copy(),
        to[:moving].copy(),
        how[:moving].copy(),
        gone[:going].copy(),
        why_gone[:going].copy(),
    )


# --------------------------------------------------------------------------- the firms' levers
# (The levers' eligibility and reach kernels are above; here the effect writes, the count of a
# firm's customers and the collection of wanted slots.)
# A lever's effect on the people it reached, written in one compiled pass instead of one NumPy
# fancy-index operation per buffer (each a gather, a check of the indices and a scatter). The
# reached slots are distinct (a lever reaches each eligible person at most once), so a loop and
# NumPy's buffered fancy indexing write the same values.


@njit(cache=True)
def set_at(slots: np.ndarray, values: np.ndarray, value) -> None:
    """``values[slots] = value`` in place (``value`` cast to the buffer's dtype, as NumPy does)."""
    for i in range(slots.size):
        values[slots[i]] = value


@njit(cache=True)
def add_in_column(slots: np.ndarray, values: np.ndarray, column: int, amount) -> None:
    """``values[slots, column] += amount`` in place, for distinct ``slots`` (``amount`` of the
    buffer's dtype: a float32 buffer adds a float32 amount, as NumPy does with a Python float)."""
    for i in range(slots.size):
        values[slots[i], column] += amount


@njit(cache=True)
def ad_contact(reached: np.ndarray, people: tuple, firm: int, channel: int, strength: np.float32) -> None:
    """An ad's effect on each reached (distinct) slot, in place: ``aware[slot, firm] = True``,
    ``adoption_boost[slot, firm, channel] += strength`` (float32) and ``campaign_contact[slot,
    firm] = True``. ``people`` is (aware, adoption boost, campaign contact)."""
    aware, boost, campaign = people
    for i in range(reached.size):
        slot = reached[i]
        aware[slot, firm] = True
        boost[slot, firm, channel] += strength
        campaign[slot, firm] = True


@njit(cache=True)
def count_of(codes: np.ndarray, value: int) -> int:
    """``np.count_nonzero(codes == value)`` without the boolean temporary (a branch-free count)."""
    count = 0
    for slot in range(codes.size):
        count += codes[slot] == value
    return count


@njit(cache=True, inline="always")
def _slots_wanted(wanted: np.ndarray) -> np.ndarray:
    """The slots whose ``wanted`` byte (uint8, 0 or 1) is 1, in order; eight zero bytes at a time
    are skipped with one test."""
    size = wanted.size
    whole = size - size % 8
    words = wanted[:whole].view(np.uint64)
    out = np.empty(size, dtype=np.int64)
    count = 0
    for word in range(words.size):
        if words[word] != 0:
            for slot in range(8 * word, 8 * word + 8):  # branch-free within the eight
                out[count] = slot
                count += wanted[slot]
    for slot in range(whole, size):
        out[count] = slot
        count += wanted[slot]
    return out[:count].copy()
