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

import math
from typing import TYPE_CHECKING

import numpy as np

from sim import kernels

if TYPE_CHECKING:
    from sim.model import CustomerMarket


update = kernels.appreciation_update  # decay, then close (1 - untouched) of the gap to 1


def run(market: CustomerMarket) -> None:
    config = market.scenario.behaviours.appreciation
    if not config.enabled:
        return
    c = market.customers
    params = [math.exp(-1.0 / config.contact_memory_weeks), config.fatigue_contacts, config.fatigue_drop]
    kernels.appreciation_week(
        c.firm,
        (c.appreciation, c.contacts),
        (market.effects.untouched, market.effects.touches),
        c.appreciation_decay,
        np.array(params, dtype=np.float32),
    )
