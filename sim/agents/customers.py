"""The population: one NumPy array per trait and per state, indexed by stable slot 0..N-1.

Owns the people of the market: their traits (drawn from their persona's distributions), their
state (firm, status, awareness, satisfaction, appreciation, ...), their running totals (purchases,
revenue, margin) and the archive of people who left the market (died or moved away), whose slots
were refilled by newcomers. There is no Python object per customer: behaviours are vectorised
rules over these arrays.

A *slot* is a stable place in the market (what common random numbers are keyed on); a *person*
is who occupies it. ``person_id`` starts equal to the slot and newcomers get fresh ids, so the
per-person table has one row for everyone who was ever in the market.

Example:
    >>> from sim.scenario import Scenario
    >>> from sim.streams import Streams
    >>> people = Customers(Scenario(), streams=Streams(1))
    >>> int(people.size), bool((people.status == Status.PROSPECT).all())
    (10000, True)
"""

from __future__ import annotations

import math
from collections.abc import Callable
from enum import IntEnum

import numpy as np
import pandas as pd
from scipy import special, stats

from sim.agents.inverse_cdf import beta_quantiles, gamma_quantiles
from sim.numerics import exp_each, expm1_each
from sim.scenario import MAX_PERSONAS, MULTIPLIER_TRAITS, Dist, Scenario, trait_column
from sim.streams import Streams, uniforms_for_keys
from sim.threads import in_pieces

NO_FIRM = -1
# Each person's persona index: 16 bits, for up to MAX_PERSONAS personas (8 bits overflowed at 128).
PERSONA_DTYPE = np.int16
assert np.iinfo(PERSONA_DTYPE).max >= MAX_PERSONAS - 1, "the persona index must hold every persona"


class Code(IntEnum):
    """Base of the integer codes stored in the per-person arrays (status, channel, reason, ...).

    NumPy asks the type of every operand for ``__array_ufunc__`` and ``__array_function__``. On
    Python 3.11 an Enum class answers a missing attribute through a Python-level ``__getattr__``,
    which made each ``array == Status.ACTIVE`` cost 3-4 us more than with a plain int (about 4% of
    a week at 10,000 people). Naming ndarray's own defaults here tells NumPy what the missing
    attribute told it, that the codes do not override anything, without the slow lookup.

    The codes are those of the results files, and the behaviours' compiled kernels take them as
    constants when they compile: a changed code needs numba's caches deleted (README, "Speed").
    """

    __array_ufunc__ = np.ndarray.__array_ufunc__
    __array_function__ = np.ndarray.__array_function__


class Status(Code):
    PROSPECT = 0  # buys from no firm
    ACTIVE = 1  # a customer who buys
    DORMANT = 2  # a customer who has stopped buying (reactivation: the lifecycle work)


class Channel(Code):
    """How a customer was acquired (``customers.parquet`` column ``channel``)."""

    INITIAL = 0  # a customer at week 0
    ORGANIC = 1  # general advertising / innovation (Bass p)
    SEARCH = 2  # search ads
    SOCIAL = 3  # social ads
    INFLUENCER = 4  # influencer seeding
    WORD_OF_MOUTH = 5  # friends who are customers (Bass q)
    BANDWAGON = 6  # enough friends buy (threshold)
    REFERRAL = 7  # referred by a customer
    SWITCH = 8  # switched from a rival (followed a friend, better value)
    POACHED = 9  # switched from a rival after this firm's better-value offer (poaching)


class Reason(Code):
    """Why a customer left (seed 004's churn reasons)."""

    DIED = 0
    MOVED = 1
    FOLLOWED_FRIEND = 2
    BETTER_VALUE = 3
    DISSATISFIED = 4
    UNAPPRECIATED = 5


class Response(Code):
    """How a contacted dormant customer responds to a reactivation campaign (seed 004)."""

    POSITIVE = 0  # positive interest: comes back
    NEGATIVE = 1  # never contact again
    NO_RESPONSE = 2
    LATER = 3  # contact me later


class Stage(Code):
    """Where a prospect is in the buying cycle (seed 004); purchase makes them a customer."""

    AWARENESS = 0
    RESEARCH = 1
    COMPARISON = 2


class Tier(Code):
    NONE = 0
    BRONZE = 1  # bottom 20% of trailing-year spend
    SILVER = 2  # middle 60%
    GOLD = 3  # top 20% ("VIP")


# A customer's last exit may also be their firm closing (a market event): not a churn reason,
# since no strategy lost them, so not in Reason; the per-person table labels it "firm_closed".
FIRM_CLOSED = len(Reason)

CHANNEL_NAMES = [c.name.lower() for c in Channel]
REASON_NAMES = [r.name.lower() for r in Reason]
EXIT_NAMES = [*REASON_NAMES, "firm_closed"]  # labels of a last exit (churn_reason)
STATUS_NAMES = [s.name.lower() for s in Status] + ["departed"]
TIER_NAMES = [t.name.lower() for t in Tier]
RESPONSE_NAMES = [r.name.lower() for r in Response]
STAGE_NAMES = [s.name.lower() for s in Stage]
CATEGORY_NAMES = ["account", "product", "spend"]  # churn categories (seed 004)

# Traits drawn per person from the persona's distributions (float32 arrays of the same name).
TRAITS = (
    "bandwagon_threshold",
    "price_sensitivity",
    "proof_sensitivity",
    "purchase_rate",
    "basket_size",
    "appreciation_decay",
    "complaint_propensity",
    "referral_propensity",
    "joining_products",
)
# The persona field each trait array is drawn from, where the names differ.
TRAIT_FIELD = {"joining_products": "products"}
TRAIT_FIELD_OF = {field: trait for trait, field in TRAIT_FIELD.items()}  # persona field -> array
# Multipliers of a person's hazards (sim.scenario.MULTIPLIER_TRAITS): float32 arrays of the same
# name. Each is drawn from its own stream ("trait_<name>") only in a scenario where some persona
# makes it other than a constant 1; elsewhere the array is a read-only view of 1s (no memory,
# no draws) and the rules skip the multiplication, so such a scenario's numbers are unchanged.
MULTIPLIERS = MULTIPLIER_TRAITS
CHURN_FRAILTIES = (
    "followed_friend_frailty",
    "better_value_frailty",
    "dissatisfied_frailty",
    "unappreciated_frailty",
)
SUSCEPTIBILITIES = ("advertising_susceptibility", "word_of_mouth_susceptibility")
# What a rule's kernel gets in place of a group of multipliers that are all 1 (it reads them only
# when some vary): an array of the same type as the stored ones, so the kernel compiles once.
UNUSED_MULTIPLIER = np.ones(1, dtype=np.float32)
# Uniforms of a Gaussian copula are kept this far from 0 and 1, as every trait's uniforms are.
_EDGE = 1e-9


def varying_multipliers(scenario: Scenario) -> tuple[str, ...]:
    """The multipliers (:data:`MULTIPLIERS`) some persona of ``scenario`` makes other than a
    constant 1: only these are drawn, stored per person and applied by the rules.

    Example:
        >>> from sim.scenario import Scenario
        >>> varying_multipliers(Scenario())
        ()
    """
    return tuple(
        name
        for name in MULTIPLIERS
        if any(
            (dist := getattr(persona, name)).dist != "constant" or dist.value != 1
            for persona in scenario.personas.values()
        )
    )


def draw_from(dist: Dist, u: np.ndarray, clipped: bool = False) -> np.ndarray:
    """Values of ``dist`` by inversion of uniforms ``u`` (keeps common random numbers intact);
    ``u`` is clipped to [1e-9, 1 - 1e-9] first unless the caller says it already is."""
    if not clipped:
        u = np.clip(u, 1e-9, 1 - 1e-9)
    return sampler(dist)(u)


def sampler(dist: Dist) -> Callable[[np.ndarray], np.ndarray]:
    """The inverse distribution function of ``dist`` with its parameters worked out once: a
    function of clipped uniforms (newcomers arrive a few a week, so per-call work matters).

    Example:
        >>> from sim.scenario import Dist
        >>> float(sampler(Dist(dist="uniform", low=1, high=3))(np.array([0.25]))[0])
        1.5
    """
    if dist.dist == "constant":
        value = dist.value
        return lambda u: np.full(u.shape, value)
    if dist.dist == "uniform":
        low, width = dist.low, dist.high - dist.low
        return lambda u: low + u * width
    if dist.dist == "beta":
        k = dist.mean * (1 - dist.mean) / dist.sd**2 - 1
        a, b = dist.mean * k, (1 - dist.mean) * k
        return lambda u: beta_quantiles(a, b, u)
    if dist.dist == "gamma":
        shape = 1.0 / dist.cv**2
        scale = dist.mean / shape
        return lambda u: gamma_quantiles(shape, u) * scale
    if dist.dist == "lognormal":
        sigma2 = math.log1p(dist.cv**2)
        location, spread = math.log(dist.mean) - sigma2 / 2, math.sqrt(sigma2)
        return lambda u: exp_each(location + spread * special.ndtri(u))
    if dist.dist == "normal":
        mean, sd = dist.mean, dist.sd
        return lambda u: mean + sd * special.ndtri(u)
    if dist.dist == "truncated_normal":
        a, b = (dist.low - dist.mean) / dist.sd, (dist.high - dist.mean) / dist.sd
        frozen = stats.truncnorm(a, b, loc=dist.mean, scale=dist.sd)
        low, high = dist.low, dist.high
        # ppf's roundings can step a hair outside [low, high]; the range is the trait's promise.
        return lambda u: np.clip(frozen.ppf(u), low, high)
    if dist.dist == "file":
        raise ValueError("a file distribution is read per slot, not drawn (Customers.draw_traits)")
    raise ValueError(f"unknown distribution {dist.dist!r}")  # pragma: no cover


def persona_sampler(dists: list[Dist]) -> Callable[[np.ndarray, np.ndarray], np.ndarray] | None:
    """One inverse distribution function for a trait across personas, when every persona draws
    it from the same family: a function of (clipped uniforms, persona codes) that gives each
    person the value :func:`sampler` of their persona's distribution gives (the same operations,
    element by element, with the parameters looked up per person). None if the families differ.

    Example:
        >>> from sim.scenario import Dist
        >>> draw = persona_sampler([Dist(dist="uniform", low=0, high=1), Dist(dist="uniform", low=2, high=4)])
        >>> draw(np.array([0.5, 0.5]), np.array([0, 1])).tolist()
        [0.5, 3.0]
    """
    families = {dist.dist for dist in dists}
    if len(families) != 1 or "file" in families:
        return None
    family = families.pop()
    if family == "constant":
        values = np.array([dist.value for dist in dists], dtype=np.float64)
        return lambda u, persona: values[persona]
    if family == "uniform":
        low = np.array([dist.low for dist in dists], dtype=np.float64)
        width = np.array([dist.high - dist.low for dist in dists], dtype=np.float64)
        return lambda u, persona: low[persona] + u * width[persona]
    if family == "beta":
        k = [dist.mean * (1 - dist.mean) / dist.sd**2 - 1 for dist in dists]
        a = np.array([dist.mean * ki for dist, ki in zip(dists, k, strict=True)], dtype=np.float64)
        b = np.array([(1 - dist.mean) * ki for dist, ki in zip(dists, k, strict=True)], dtype=np.float64)
        return lambda u, persona: beta_quantiles(a, b, u, persona)
    if family == "gamma":
        shape = np.array([1.0 / dist.cv**2 for dist in dists], dtype=np.float64)
        scale = np.array([dist.mean / (1.0 / dist.cv**2) for dist in dists], dtype=np.float64)
        return lambda u, persona: gamma_quantiles(shape, u, persona) * scale[persona]
    if family == "lognormal":
        sigma2 = [math.log1p(dist.cv**2) for dist in dists]
        location = np.array([math.log(d.mean) - s2 / 2 for d, s2 in zip(dists, sigma2, strict=True)])
        spread = np.array([math.sqrt(s2) for s2 in sigma2])
        return lambda u, persona: exp_each(location[persona] + spread[persona] * special.ndtri(u))
    if family == "normal":
        mean = np.array([dist.mean for dist in dists], dtype=np.float64)
        sd = np.array([dist.sd for dist in dists], dtype=np.float64)
        return lambda u, persona: mean[persona] + sd[persona] * special.ndtri(u)
    if family == "truncated_normal":
        mean = np.array([dist.mean for dist in dists], dtype=np.float64)
        sd = np.array([dist.sd for dist in dists], dtype=np.float64)
        low = np.array([dist.low for dist in dists], dtype=np.float64)
        high = np.array([dist.high for dist in dists], dtype=np.float64)
        a, b = (low - mean) / sd, (high - mean) / sd
        return lambda u, persona: np.clip(
            stats.truncnorm.ppf(u, a[persona], b[persona], loc=mean[persona], scale=sd[persona]),
            low[persona],
            high[persona],
        )
    return None  # pragma: no cover


def _sampled(inverse: Callable[..., np.ndarray], u: np.ndarray, *per_person: np.ndarray) -> np.ndarray:
    """``inverse(u, *per_person)`` as float64, for a large population in pieces on the kernels'
    threads (:func:`sim.threads.in_pieces`): scipy's inverse distribution functions and the
    compiled beta and gamma quantiles (:mod:`sim.agents.inverse_cdf`) work element by element
    and release the GIL (at a million people one trait's scipy betaincinv took ~4 s in one
    thread). Each element is computed as in one call, so the split changes no number."""
    out = np.empty(u.size, dtype=np.float64)
    in_pieces(_sample_rows, u.size, inverse, out, u, *per_person)
    return out


def _sample_rows(
    first: int, last: int, inverse: Callable, out: np.ndarray, u: np.ndarray, *per_person
) -> None:
    out[first:last] = inverse(u[first:last], *(values[first:last] for values in per_person))


def weekly_hazard(yearly_probability: float) -> float:
    """The constant weekly hazard that gives ``yearly_probability`` over 52 weeks."""
    return -math.log1p(-min(yearly_probability, 1 - 1e-12)) / 52.0


class Customers:
    """Traits and state of every person in the market, as arrays indexed by slot.

    Args:
        scenario: the validated scenario (personas, market size).
        streams: the replicate's random streams (traits are drawn from them).
    """

    def __init__(self, scenario: Scenario, streams: Streams) -> None:
        n = scenario.market.size
        self.size = n
        self.firm_names = scenario.firm_names
        self.n_firms = n_firms = len(self.firm_names)
        self.streams = streams
        self.personas = scenario.personas
        self.persona_names = list(scenario.personas)
        # The traits drawn here: TRAITS, then the multipliers some persona varies (the rest are 1).
        self._varying = varying_multipliers(scenario)
        self._drawn = TRAITS + self._varying
        dists = [
            [getattr(spec, TRAIT_FIELD.get(trait, trait)) for trait in self._drawn]
            for spec in scenario.personas.values()
        ]
        # each persona's inverse distribution function of each trait (None: read from a file)
        self._samplers = [[None if d.dist == "file" else sampler(d) for d in row] for row in dists]
        # and, where all personas share a family, one function for everyone (one call a trait)
        self._persona_samplers = [persona_sampler([row[n] for row in dists]) for n in range(len(self._drawn))]
        # each persona's file columns (trait number -> values by slot)
        self._columns = [
            {n: trait_column(d.path, d.column) for n, d in enumerate(row) if d.dist == "file"}
            for row in dists
        ]
        # each persona's Gaussian copula: (positions of its traits in self._drawn, Cholesky factor)
        self._copulas = {
            index: (
                np.array([self._drawn.index(TRAIT_FIELD_OF.get(t, t)) for t in spec.correlation.traits]),
                spec.correlation.cholesky(),
            )
            for index, spec in enumerate(scenario.personas.values())
            if spec.correlation is not None
        }
        shares = np.array([p.share for p in scenario.personas.values()], dtype=np.float64)
        self._persona_cumulative = np.cumsum(shares / shares.sum())
        self._death = np.array([weekly_hazard(p.death_rate) for p in self.personas.values()])
        self._move = np.array([weekly_hazard(p.move_rate) for p in self.personas.values()])
        # The same hazards as each person's float32 arrays hold them, by persona.
        self.persona_death_hazard = self._death.astype(np.float32)
        self.persona_move_hazard = self._move.astype(np.float32)
        self._demographic_chances: dict[tuple[bool, bool], tuple[np.ndarray, np.ndarray]] = {}

        # identity and traits
        self.person_id = np.arange(n, dtype=np.int64)
        self.next_person_id = n
        self.persona = np.zeros(n, dtype=PERSONA_DTYPE)
        for trait in TRAITS:
            setattr(self, trait, np.zeros(n, dtype=np.float32))
        # A rule reads a group's arrays together (the churn frailties, the susceptibilities), so a
        # group with one varying multiplier stores all of its members.
        stored = set(self._varying)
        for group in (CHURN_FRAILTIES, SUSCEPTIBILITIES):
            if stored.intersection(group):
                stored.update(group)
        for trait in MULTIPLIERS:
            if trait in stored:
                setattr(self, trait, np.ones(n, dtype=np.float32))
            else:  # 1 for everyone: a read-only view, no memory (the rules skip the product)
                setattr(self, trait, np.broadcast_to(np.float32(1.0), (n,)))
        # The demographic hazards vary by person, not only by persona (a died or moved frailty).
        self.demography_per_person = "died_frailty" in self._varying or "moved_frailty" in self._varying
        self.death_hazard = np.zeros(n, dtype=np.float32)  # weekly
        self.move_hazard = np.zeros(n, dtype=np.float32)  # weekly
        self.arrival_week = np.zeros(n, dtype=np.int32)

        # state
        self.firm = np.full(n, NO_FIRM, dtype=np.int8)
        self.status = np.full(n, Status.PROSPECT, dtype=np.int8)
        self.aware = np.zeros((n, n_firms), dtype=bool)
        self.satisfaction = np.zeros(n, dtype=np.float32)
        self.appreciation = np.zeros(n, dtype=np.float32)
        self.products = np.zeros(n, dtype=np.int8)  # products held now (product churn lowers it)
        self.spend_level = np.ones(n, dtype=np.float32)
        self.tier = np.zeros(n, dtype=np.int8)
        self.trailing_spend = np.zeros(n, dtype=np.float32)  # decayed sum, ~ one year's spend

        # the current (or last) relationship
        self.acquired_week = np.full(n, -1, dtype=np.int32)
        self.channel = np.full(n, -1, dtype=np.int8)
        self.referrer = np.full(n, -1, dtype=np.int64)  # person_id of the referrer
        self.referrer_slot = np.full(n, -1, dtype=np.int32)  # where the referrer lives (for the tie)
        self.acquired_in_run = np.zeros(n, dtype=bool)  # counted in acquisitions (not initial)
        self.last_purchase_week = np.full(n, -1, dtype=np.int32)

        # the last exit from a firm
        self.churn_week = np.full(n, -1, dtype=np.int32)
        self.churn_reason = np.full(n, -1, dtype=np.int8)
        self.left_firm = np.full(n, NO_FIRM, dtype=np.int8)
        # The last exit was one friends hear of: a switch to a rival, or a dissatisfied exit
        # ("they will certainly tell plenty of others", seed 004).
        self.told_friends = np.zeros(n, dtype=bool)

        # lifecycle: dormancy, reactivation, complaints, contact pressure, partial churn
        self.dormant_since = np.full(n, -1, dtype=np.int32)
        self.dormant_weeks = np.zeros(n, dtype=np.int16)  # weeks spent dormant in all
        self.reactivated = np.zeros(n, dtype=bool)
        self.reactivated_week = np.full(n, -1, dtype=np.int32)
        self.revenue_after_reactivation = np.zeros(n, dtype=np.float64)
        self.recontact_week = np.full(n, -1, dtype=np.int32)  # "contact me later": not before
        self.do_not_contact = np.zeros(n, dtype=bool)  # answered a reactivation negatively
        self.complaints = np.zeros(n, dtype=np.int16)
        self.stage = np.zeros(n, dtype=np.int8)  # buying-cycle stage of a prospect
        self.contact_block = np.zeros((n, self.n_firms), dtype=np.int32)  # no campaign before this week
        self.contacts = np.zeros(n, dtype=np.float32)  # recent relations contacts (decayed count)
        self.product_churns = np.zeros(n, dtype=np.int16)
        self.spend_decreases = np.zeros(n, dtype=np.int16)
        # growth: products bought on a cross-sell, up-sells accepted, reassured since joining
        self.cross_sells = np.zeros(n, dtype=np.int16)
        self.up_sells = np.zeros(n, dtype=np.int16)
        self.reassured = np.zeros(n, dtype=bool)

        # running totals over the person's whole time in the market
        self.purchases = np.zeros(n, dtype=np.int32)
        self.revenue = np.zeros(n, dtype=np.float64)
        self.margin = np.zeros(n, dtype=np.float64)

        self.departed: list[dict[str, np.ndarray]] = []  # snapshots of people who left
        self.draw_traits(np.arange(n), week=0)

    # ------------------------------------------------------------------ traits and newcomers

    def draw_traits(self, slots: np.ndarray, week: int) -> None:
        """Persona and traits for the people arriving in ``slots`` in ``week``.

        Each trait is its persona's distribution at the person's uniform of the trait's stream
        (inversion keeps common random numbers intact); a trait read from a file takes the slot's
        row. A persona with a correlation table first turns the uniforms of its correlated traits
        into correlated ones (a Gaussian copula): normal scores z = ndtri(u), z' = L z with L the
        Cholesky factor of the matrix, u' = ndtr(z'); without one the uniforms are used as drawn.
        """
        u = self.streams.uniform("persona", week, slots)
        persona = np.searchsorted(self._persona_cumulative, u, side="right").astype(PERSONA_DTYPE)
        persona = np.minimum(persona, len(self.persona_names) - 1)
        self.persona[slots] = persona
        self.arrival_week[slots] = week
        self.death_hazard[slots] = self._death[persona]
        self.move_hazard[slots] = self._move[persona]
        groups = None  # newcomers by persona, for traits whose family differs between personas
        # Every trait's uniforms in one call and one clip (the same numbers as one
        # ``streams.uniform("trait", week, slots, sub=number)`` per trait): newcomers arrive a
        # few at a time each week, so the per-call costs are what matters here.
        keys = [self.streams.key("trait", week, sub=n) for n in range(len(TRAITS))]
        keys += [self.streams.key(f"trait_{name}", week) for name in self._varying]
        uniforms = np.clip(
            uniforms_for_keys(np.array(keys), np.asarray(slots, dtype=np.int64)), _EDGE, 1 - _EDGE
        )
        if self._copulas:
            self._correlate(uniforms, persona)
        for number, trait in enumerate(self._drawn):
            u = uniforms[number]
            values = getattr(self, trait)
            shared = self._persona_samplers[number]
            if shared is not None:
                values[slots] = _sampled(shared, u, persona)
                continue
            if groups is None:
                groups = [
                    (index, rows)
                    for index in range(len(self.personas))
                    if (rows := np.flatnonzero(persona == index)).size
                ]
            for index, rows in groups:
                inverse = self._samplers[index][number]
                if inverse is None:  # read from a file: the slot's row
                    values[slots[rows]] = self._columns[index][number][slots[rows]]
                else:
                    values[slots[rows]] = _sampled(inverse, u[rows])
        self.joining_products[slots] = np.maximum(np.floor(self.joining_products[slots]), 1)
        if self.demography_per_person:
            self.death_hazard[slots] = self._death[persona] * self.died_frailty[slots]
            self.move_hazard[slots] = self._move[persona] * self.moved_frailty[slots]

    def _correlate(self, uniforms: np.ndarray, persona: np.ndarray) -> None:
        """The Gaussian copula of each persona with a correlation table, in place on ``uniforms``
        (a row per trait of ``self._drawn``, a column per newcomer)."""
        for index, (rows_of, factor) in self._copulas.items():
            people = np.flatnonzero(persona == index)
            if people.size == 0:
                continue
            block = np.ix_(rows_of, people)
            scores = factor @ special.ndtri(uniforms[block])
            uniforms[block] = np.clip(special.ndtr(scores), _EDGE, 1 - _EDGE)

    def replace(self, slots: np.ndarray, week: int, reason: np.ndarray) -> None:
        """People in ``slots`` leave the market (died, moved); newcomers take their slots."""
        if slots.size == 0:
            return
        record = self._snapshot(slots)
        record["status"] = np.full(slots.size, len(Status), dtype=np.int8)  # "departed"
        record["left_market_week"] = np.full(slots.size, week, dtype=np.int32)
        record["left_market_reason"] = np.asarray(reason, dtype=np.int8)
        self.departed.append(record)
        count = slots.size
        self.person_id[slots] = np.arange(self.next_person_id, self.next_person_id + count)
        self.next_person_id += count
        self.reset_state(slots)
        self.draw_traits(slots, week)

    def reset_state(self, slots: np.ndarray) -> None:
        """Everything a fresh prospect starts with (traits are drawn separately)."""
        self.firm[slots] = NO_FIRM
        self.status[slots] = Status.PROSPECT
        self.aware[slots] = False
        self.satisfaction[slots] = 0
        self.appreciation[slots] = 0
        self.products[slots] = 0
        self.spend_level[slots] = 1
        self.tier[slots] = Tier.NONE
        self.trailing_spend[slots] = 0
        self.acquired_week[slots] = -1
        self.channel[slots] = -1
        self.referrer[slots] = -1
        self.referrer_slot[slots] = -1
        self.acquired_in_run[slots] = False
        self.last_purchase_week[slots] = -1
        self.churn_week[slots] = -1
        self.churn_reason[slots] = -1
        self.left_firm[slots] = NO_FIRM
        self.told_friends[slots] = False
        self.dormant_since[slots] = -1
        self.dormant_weeks[slots] = 0
        self.reactivated[slots] = False
        self.reactivated_week[slots] = -1
        self.revenue_after_reactivation[slots] = 0
        self.recontact_week[slots] = -1
        self.do_not_contact[slots] = False
        self.complaints[slots] = 0
        self.stage[slots] = Stage.AWARENESS
        self.contact_block[slots] = 0
        self.contacts[slots] = 0
        self.product_churns[slots] = 0
        self.spend_decreases[slots] = 0
        self.cross_sells[slots] = 0
        self.up_sells[slots] = 0
        self.reassured[slots] = False
        self.purchases[slots] = 0
        self.revenue[slots] = 0
        self.margin[slots] = 0

    def demographic_chances_by_person(self, died: bool, moved: bool) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`demographic_chances` per slot, from the people's own hazards (a died or moved
        frailty makes them differ within a persona); worked out afresh, since newcomers change them."""
        death = self.death_hazard if died else np.zeros_like(self.death_hazard)
        move = self.move_hazard if moved else np.zeros_like(self.move_hazard)
        total = death + move
        return -expm1_each(-total), death / np.maximum(total, np.float32(1e-12))

    def demographic_chances(self, died: bool, moved: bool) -> tuple[np.ndarray, np.ndarray]:
        """Per persona (the demographic hazards are the persona's): the chance of leaving the
        market in a week, by death if ``died`` and by moving if ``moved``, and the share of
        those leavers who died; float32 hazards as the per-person arrays hold them. Worked out
        once: the hazards do not change during a run."""
        if (died, moved) not in self._demographic_chances:
            death = self.persona_death_hazard if died else np.zeros_like(self.persona_death_hazard)
            move = self.persona_move_hazard if moved else np.zeros_like(self.persona_move_hazard)
            total = death + move
            chance = -expm1_each(-total)  # not np.expm1: see sim.numerics
            self._demographic_chances[died, moved] = (chance, death / np.maximum(total, 1e-12))
        return self._demographic_chances[died, moved]

    # ------------------------------------------------------------------ joining

    def join(
        self,
        slots: np.ndarray,
        firms: np.ndarray,
        week: int,
        channel: np.ndarray | int,
        satisfaction: float | np.ndarray,
        appreciation: float | np.ndarray,
        referrer_slots: np.ndarray | None = None,
        in_run: bool = True,
    ) -> None:
        """People in ``slots`` become active customers of ``firms`` this week."""
        self.firm[slots] = firms
        self.status[slots] = Status.ACTIVE
        self.aware[slots, firms] = True
        self.satisfaction[slots] = satisfaction
        self.appreciation[slots] = appreciation
        self.products[slots] = self.joining_products[slots]
        self.spend_level[slots] = 1
        self.reassured[slots] = False
        self.dormant_since[slots] = -1
        self.reactivated[slots] = False
        self.recontact_week[slots] = -1
        self.do_not_contact[slots] = False
        self.tier[slots] = Tier.NONE
        self.trailing_spend[slots] = 0
        self.acquired_week[slots] = week
        self.channel[slots] = channel
        if referrer_slots is None:
            self.referrer[slots] = -1
            self.referrer_slot[slots] = -1
        else:
            self.referrer[slots] = self.person_id[referrer_slots]
            self.referrer_slot[slots] = referrer_slots
        self.acquired_in_run[slots] = in_run
        self.last_purchase_week[slots] = week

    def release(self, slots: np.ndarray, week: int, reason: int) -> None:
        """Customers in ``slots`` return to the market as prospects this week (their firm closed:
        ``reason`` is recorded as their last exit, not counted as churn), hearing of no firm anew."""
        self.churn_week[slots] = week
        self.churn_reason[slots] = reason
        self.left_firm[slots] = self.firm[slots]
        self.told_friends[slots] = False
        self.firm[slots] = NO_FIRM
        self.status[slots] = Status.PROSPECT
        self.tier[slots] = Tier.NONE
        self.stage[slots] = Stage.AWARENESS
        self.dormant_since[slots] = -1

    # ------------------------------------------------------------------ tables

    @property
    def is_customer(self) -> np.ndarray:
        return self.firm >= 0

    _COLUMNS = (
        "person_id", "persona", "firm", "status", "acquired_week", "channel", "referrer",
        "churn_week", "churn_reason", "purchases", "revenue", "margin", "tier", "arrival_week",
        "products", "spend_level", "dormant_weeks", "complaints", "reactivated", "product_churns",
        "spend_decreases", "revenue_after_reactivation", "cross_sells", "up_sells",
    )  # fmt: skip

    def _snapshot(self, slots: np.ndarray) -> dict[str, np.ndarray]:
        """Raw copies of the per-person columns for ``slots`` (codes, not labels: cheap)."""
        record = {name: getattr(self, name)[slots] for name in self._COLUMNS}
        record["slot"] = np.array(slots, dtype=np.int64)  # a copy: never keep a caller's buffer alive
        return record

    def table(self) -> pd.DataFrame:
        """One row per person who was ever in the market: those here now and those who left.

        A value that does not apply is a null (``<NA>``; a real null in ``customers.parquet``),
        never a stand-in such as -1 or "": ``firm`` for someone who buys from no firm,
        ``acquired_week`` and ``channel`` for someone never won, ``referrer`` for a customer not
        won by referral, ``churn_week`` and ``churn_reason`` for someone who never left a firm,
        ``left_market_week`` and ``left_market_reason`` for someone still in the market. Weeks
        are ``Int32``, ids ``Int64`` and labels ``string`` (pandas' nullable types); ``tier`` is
        ``none`` (a fact: in no loyalty tier), not null.
        """
        current = self._snapshot(np.arange(self.size))
        current["left_market_week"] = np.full(self.size, -1, dtype=np.int32)
        current["left_market_reason"] = np.full(self.size, -1, dtype=np.int8)
        records = [*self.departed, current]
        raw = {key: np.concatenate([r[key] for r in records]) for key in current}
        order = np.argsort(raw["person_id"], kind="stable")
        raw = {key: values[order] for key, values in raw.items()}
        return pd.DataFrame(
            {
                "id": raw["person_id"],
                "slot": raw["slot"],
                "persona": _labels(raw["persona"], self.persona_names),
                "firm": _labels(raw["firm"], self.firm_names),
                "status": _labels(raw["status"], STATUS_NAMES),
                "acquired_week": _numbers(raw["acquired_week"]),
                "channel": _labels(raw["channel"], CHANNEL_NAMES),
                "referrer": _numbers(raw["referrer"]),
                "churn_week": _numbers(raw["churn_week"]),
                "churn_reason": _labels(raw["churn_reason"], EXIT_NAMES),
                "purchases": raw["purchases"],
                "revenue": raw["revenue"],
                "margin": raw["margin"],
                "tier": _labels(raw["tier"], TIER_NAMES),
                "arrival_week": raw["arrival_week"],
                "products": raw["products"],
                "spend_level": raw["spend_level"],
                "dormant_weeks": raw["dormant_weeks"],
                "complaints": raw["complaints"],
                "reactivated": raw["reactivated"],
                "product_churns": raw["product_churns"],
                "spend_decreases": raw["spend_decreases"],
                "revenue_after_reactivation": raw["revenue_after_reactivation"],
                "cross_sells": raw["cross_sells"],
                "up_sells": raw["up_sells"],
                "left_market_week": _numbers(raw["left_market_week"]),
                "left_market_reason": _labels(raw["left_market_reason"], REASON_NAMES),
            }
        )


def _labels(codes: np.ndarray, names: list[str]) -> pd.api.extensions.ExtensionArray:
    """``names[code]`` per person as pandas' nullable ``string``, null where the code is -1
    (the arrays' "none": no firm, never acquired, never left).

    Example:
        >>> _labels(np.array([1, -1, 0], dtype=np.int8), ["us", "rival"]).tolist()
        ['rival', <NA>, 'us']
    """
    return pd.array(np.array([*names, None], dtype=object)[codes], dtype=pd.StringDtype())


def _numbers(values: np.ndarray) -> pd.arrays.IntegerArray:
    """A week or a person id as pandas' nullable integer of the same width (``Int32``,
    ``Int64``), null where the array holds -1 (the arrays' "none").

    Example:
        >>> _numbers(np.array([3, -1], dtype=np.int32)).tolist()
        [3, <NA>]
    """
    return pd.arrays.IntegerArray(values, values < 0)
