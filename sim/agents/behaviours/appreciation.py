"""Step 7, appreciation: feeling valued decays without attention and is raised by relations.

Every customer's appreciation shrinks by their ``appreciation_decay`` each week ("they let that
relationship go unattended", seed 004), then moves toward 1 by the relations touches the levers
wrote this week (rewards, recognition, personal offers, newsletters, offers): a touch of strength s
closes s of the gap, so several touches have diminishing returns. Contacts are remembered (a count
fading with ``contact_memory_weeks``); each contact beyond ``fatigue_contacts`` costs
``fatigue_drop`` of appreciation: relations "without bombardment".

Example:
    >>> round(float(update(np.float32(0.5), np.float32(0.1), np.float32(0.8))), 3)
    0.56
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from sim.model import CustomerMarket


def update(appreciation, decay, untouched):
    """Decay, then close (1 - untouched) of the remaining gap to 1."""
    decayed = appreciation * (1 - decay)
    return decayed + (1 - decayed) * (1 - untouched)


def run(market: CustomerMarket) -> None:
    config = market.scenario.behaviours.appreciation
    if not config.enabled:
        return
    c = market.customers
    customers = np.flatnonzero(c.firm >= 0)
    touches = market.effects.touches[customers]
    appreciation = update(
        c.appreciation[customers], c.appreciation_decay[customers], market.effects.untouched[customers]
    )
    contacts = c.contacts[customers] * np.float32(np.exp(-1.0 / config.contact_memory_weeks)) + touches
    c.contacts[customers] = contacts
    # Each contact this week beyond what the person tolerates costs appreciation.
    excess = np.minimum(np.maximum(contacts - config.fatigue_contacts, 0), touches)
    c.appreciation[customers] = np.clip(appreciation - config.fatigue_drop * excess, 0, 1)
