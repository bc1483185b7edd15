"""Step 7, appreciation: feeling valued decays without attention and is raised by relations.

Every customer's appreciation shrinks by their ``appreciation_decay`` each week ("they let that
relationship go unattended", seed 004), then moves toward 1 by the relations touches the levers
wrote this week (rewards, recognition, personal offers, newsletters, offers): a touch of strength s
closes s of the gap, so several touches have diminishing returns. Contacts are remembered (a count
fading with ``contact_memory_weeks``); each contact beyond ``fatigue_contacts`` costs
``fatigue_drop`` of appreciation: relations "without bombardment".

Every customer's week runs in one compiled pass (:func:`_week`), reading the parameters by name
from :class:`AppreciationParams`.

Example:
    >>> round(float(update(np.float32(0.5), np.float32(0.1), np.float32(0.8))), 3)
    0.56
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
from numba import njit

from sim.agents.behaviours import per_scenario

if TYPE_CHECKING:
    from sim.model import CustomerMarket
    from sim.scenario import Scenario


class AppreciationParams(NamedTuple):
    """The appreciation rule's parameters as its kernel reads them (float32, as appreciation)."""

    memory: np.float32  # a contact's weight a week later: exp(-1 / contact_memory_weeks)
    fatigue_contacts: np.float32  # contacts (remembered) a person tolerates
    fatigue_drop: np.float32  # appreciation lost per contact beyond them


@per_scenario
def params(scenario: Scenario) -> AppreciationParams:
    """The scenario's appreciation parameters (``[behaviours.appreciation]``)."""
    config = scenario.behaviours.appreciation
    return AppreciationParams(
        memory=np.float32(math.exp(-1.0 / config.contact_memory_weeks)),
        fatigue_contacts=np.float32(config.fatigue_contacts),
        fatigue_drop=np.float32(config.fatigue_drop),
    )


def run(market: CustomerMarket) -> None:
    config = market.scenario.behaviours.appreciation
    if not config.enabled:
        return
    c = market.customers
    _week(
        c.firm,
        (c.appreciation, c.contacts),
        (market.effects.untouched, market.effects.touches),
        c.appreciation_decay,
        params(market.scenario),
    )


# --------------------------------------------------------------------------- the compiled rule


@njit(cache=True)
def update(appreciation: np.float32, decay: np.float32, untouched: np.float32) -> np.float32:
    """Decay, then close (1 - untouched) of the remaining gap to 1 (float32)."""
    one = np.float32(1.0)
    decayed = appreciation * (one - decay)
    return decayed + (one - decayed) * (one - untouched)


@njit(cache=True)
def _week(
    firm_of: np.ndarray, state: tuple, effects: tuple, decay: np.ndarray, rule: AppreciationParams
) -> None:
    """The rule for every customer, in place. ``state`` is (appreciation, contacts); ``effects``
    (untouched, touches) this week."""
    appreciation, contacts = state
    untouched, touches = effects
    memory, tolerated, drop = rule.memory, rule.fatigue_contacts, rule.fatigue_drop
    zero, one = np.float32(0.0), np.float32(1.0)
    for slot in range(firm_of.size):
        if firm_of[slot] < 0:
            continue
        updated = update(appreciation[slot], decay[slot], untouched[slot])
        remembered = contacts[slot] * memory + touches[slot]
        contacts[slot] = remembered
        # Each contact this week beyond what the person tolerates costs appreciation.
        excess = min(max(remembered - tolerated, zero), touches[slot])
        appreciation[slot] = min(max(updated - drop * excess, zero), one)
