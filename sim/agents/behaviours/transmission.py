"""Transmission per tie: how many of each person's friends can pass word of mouth (step 3) or a
referral (step 4) on to them this week, for the per-tie forms of those steps.

In the per-tie form (``transmission = "per_tie"``) each friend who is firm f's customer, and
joined it at most ``active_weeks`` weeks ago (0: for as long as they are a customer), reaches a
person independently with chance ``beta`` a week, so the chance that none of the person's ``n``
such friends does is ``(1 - beta) ** n``: a weekly hazard ``n x -log(1 - beta)``, added to the
other reasons (Kempe, Kleinberg & Tardos 2003, the independent cascade when ``active_weeks = 1``;
Goldenberg, Libai & Muller 2001 for word of mouth in marketing). This module owns the count ``n``
of such friends per person and firm and the hazard of one tie; the steps own the rest.

The counts are kept up to date from the people whose code (the firm they transmit for, or -1)
changed since last week (:class:`sim.network.NeighbourCounts`): each week costs a pass over the
codes plus the ties of the few who changed, not a product with every tie.

Example:
    >>> import numpy as np
    >>> from sim.network import build_network
    >>> from sim.scenario import WattsStrogatz
    >>> net = build_network(WattsStrogatz(mean_degree=2, rewire=0.0), size=5, seed=1)
    >>> firm = np.array([0, -1, 0, -1, -1], dtype=np.int8)
    >>> joined = np.array([0, -1, 3, -1, -1], dtype=np.int32)
    >>> code = transmitter_code(firm, joined, week=4, active_weeks=2)
    >>> code.tolist()  # person 0 joined 4 weeks ago: no longer transmits
    [-1, -1, 0, -1, -1]
    >>> TieCounts(net, firms=1).counts(code)[:, 0].tolist()  # a ring: 1 and 3 are 2's friends
    [0, 1, 0, 1, 0]
    >>> round(float(tie_hazard(0.5)), 4)  # -log(1 - 0.5)
    0.6931
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from sim.network import NeighbourCounts, ReferralNetwork

if TYPE_CHECKING:
    from sim.model import CustomerMarket


def tie_hazard(probability: float) -> np.float32:
    """The weekly hazard of one tie that transmits with ``probability`` a week: ``-log(1 - p)``,
    so that ``n`` ties give ``1 - exp(-n x hazard) = 1 - (1 - p) ** n``."""
    return np.float32(-math.log1p(-float(probability)))


def transmitter_code(
    firm: np.ndarray,
    joined: np.ndarray,
    week: int,
    active_weeks: int,
    eligible: np.ndarray | None = None,
) -> np.ndarray:
    """(people,) int8: the firm each person transmits for this ``week``, -1 for none.

    A person transmits for their ``firm`` (-1: none) if they joined it (``joined``, the week) at
    most ``active_weeks`` weeks ago (0: no limit), and, where ``eligible`` is given, only where it
    is True (a referral needs a satisfied active customer who joined before this week).
    """
    code = np.array(firm, dtype=np.int8, copy=True)
    if active_weeks > 0:
        code[week - joined > active_weeks] = -1
    if eligible is not None:
        code[~eligible] = -1
    return code


class TieCounts:
    """Each person's number of friends whose code is each firm, kept up to date from week to week.

    Args:
        network: the market's network (on the complete network, everybody else is a friend).
        firms: number of firms (codes 0..firms-1; a code < 0 counts for none).
    """

    def __init__(self, network: ReferralNetwork, firms: int) -> None:
        self.network = network
        self.firms = firms
        self._tally = NeighbourCounts(network, firms)

    def counts(self, code: np.ndarray) -> np.ndarray:
        """(people, firms) int32 count of each person's friends whose ``code`` is each firm.

        On a network with ties the array returned is updated in place by the next call.
        """
        if self.network.mean_field:
            members = code >= 0
            totals = np.bincount(code[members], minlength=self.firms).astype(np.int32)
            counts = np.broadcast_to(totals, (code.size, self.firms)).copy()
            counts[np.flatnonzero(members), code[members]] -= 1  # one is not one's own friend
            return counts
        self._tally.shares(code)  # moves the counts of those whose code changed
        return self._tally.counts


def tie_counts(market: CustomerMarket, purpose: str, code: np.ndarray) -> np.ndarray:
    """:meth:`TieCounts.counts` of ``code`` for ``purpose`` (``"word_of_mouth"``, ``"referral"``),
    from the market's running counts for that purpose, made on first use (the market keeps them,
    so a copied market copies them too)."""
    kept = market.__dict__.setdefault("_tie_counts", {})
    if purpose not in kept:
        kept[purpose] = TieCounts(market.network, market.customers.n_firms)
    return kept[purpose].counts(code)
