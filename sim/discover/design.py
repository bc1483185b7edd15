"""The markets of a discovery design: points sampled over the scenario's ``[uncertainties]``.

Owns :func:`sample_markets`: a Latin hypercube (``scipy.stats.qmc.LatinHypercube``) or a scrambled
Sobol' sequence (``scipy.stats.qmc.Sobol``, ``2^k`` points) over the unit cube, one column per
uncertainty, mapped to values by :meth:`sim.design.Uncertainty.at`: along a range, through a
distribution's quantile function, or onto a list of values (a category: each value owns an equal
slot of [0, 1], so the values are sampled uniformly). Whole-number keys (``market.size``) are
rounded. The design is seeded, so the same table and seed give the same markets.

Example:
    >>> from sim.design import Uncertainty
    >>> markets = sample_markets([Uncertainty.of("firms.rival.price", {"low": 30, "high": 50}),
    ...     Uncertainty.of("firms.rival.response.personality", ["passive", "retaliator"])], 4, seed=1)
    >>> list(markets.columns), len(markets), bool(markets["firms.rival.price"].between(30, 50).all())
    (['firms.rival.price', 'firms.rival.response.personality'], 4, True)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Literal

import pandas as pd

from sim.design import Uncertainty


def unit_design(dimensions: int, samples: int, design: Literal["lhs", "sobol"], seed: int) -> Any:
    """``samples`` points in the unit cube of ``dimensions``: a Latin hypercube, or the first
    ``samples`` (a power of two) points of a scrambled Sobol' sequence.

    Example:
        >>> unit_design(2, 8, "sobol", seed=3).shape
        (8, 2)
    """
    from scipy.stats import qmc

    if design == "sobol":
        if samples & (samples - 1):
            raise ValueError(f"samples = {samples}: a Sobol' design needs a power of two")
        return qmc.Sobol(d=dimensions, scramble=True, seed=seed).random_base2(samples.bit_length() - 1)
    return qmc.LatinHypercube(d=dimensions, seed=seed).random(samples)


def sample_markets(
    uncertainties: Sequence[Uncertainty],
    samples: int,
    seed: int,
    design: Literal["lhs", "sobol"] = "lhs",
    whole: Callable[[str], bool] | None = None,
) -> pd.DataFrame:
    """One row per sampled market (index ``market``, 0, 1, ...), one column per uncertainty.

    Args:
        uncertainties: the keys and how they vary.
        samples: markets to sample.
        seed: the design's seed.
        design: ``"lhs"`` or ``"sobol"``.
        whole: tells whether a key holds a whole number (its values are then rounded).
    """
    unit = unit_design(len(uncertainties), samples, design, seed)
    columns: dict[str, list[Any]] = {}
    for position, uncertainty in enumerate(uncertainties):
        values = [uncertainty.at(float(u)) for u in unit[:, position]]
        if uncertainty.sampled and whole is not None and whole(uncertainty.key):
            values = [round(v) for v in values]
        columns[uncertainty.key] = values
    frame = pd.DataFrame(columns)
    frame.index.name = "market"
    return frame
