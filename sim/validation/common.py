"""What the three validation cases share: the tolerance in standard errors, the standard error of a
mean over runs, and the behaviours of a market where people only ever adopt."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

# How far a simulated mean may be from its expectation: this many standard errors. With the
# spread measured over the seeds (and floored by the theoretical spread) four standard errors
# leave a false alarm rate well below 1e-3 per comparison for a correct model.
STANDARD_ERRORS = 4.0


def standard_error(values: np.ndarray) -> np.ndarray:
    """Standard error of the mean over axis 0 (runs): sample sd (ddof 1) / sqrt(runs)."""
    values = np.asarray(values, dtype=np.float64)
    if values.shape[0] < 2:
        raise ValueError("need at least two runs to measure a spread")
    return values.std(axis=0, ddof=1) / math.sqrt(values.shape[0])


def only_adoption(**reasons: float) -> dict[str, Any]:
    """The ``[behaviours]`` of a market where people only ever adopt, for the given ``reasons``
    (``innovation``, ``word_of_mouth``, ``bandwagon_jump``; every other reason is 0): attraction
    is 1 (no social-proof or price weight), anyone may adopt (no awareness gate, no forgetting,
    no buying-cycle weights), and every other behaviour is off (nobody leaves; referrals,
    purchases, experience and appreciation cannot change who adopts).

    Example:
        >>> only_adoption(innovation=0.01)["adoption"]["word_of_mouth"]
        0.0
    """
    adoption = {"innovation": 0.0, "word_of_mouth": 0.0, "bandwagon_jump": 0.0, "penetration_weight": 0.0}
    adoption |= {"social_proof_weight": 0.0, "price_weight": 0.0, "awareness_required": False}
    adoption |= {"forget_rate": 0.0, **reasons}
    off = ("buying_cycle", "referral", "purchase", "experience", "appreciation", "churn")
    return {"adoption": adoption} | {name: {"enabled": False} for name in (*off, "partial_churn", "dormancy")}
