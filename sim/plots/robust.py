"""The figure of ``sim discover``'s robustness: each strategy's regret across the sampled markets.

Draws from the ``discover.json`` dict of :func:`sim.discover.discover` (never from the workflow's
objects): one horizontal box per strategy over its regret on the primary outcome in every market
(the box the middle half of the markets, the whiskers from the least to the largest regret, so the
right whisker's end is the maximum regret), a diamond at the 90th percentile and the share of
markets the strategy wins beside it. The title names the min-max-regret choice and the best on
average, computed from the plotted regrets and the table's means (``figure.claims``).

Example:
    >>> info = {"robustness": {"primary": "profit", "markets": 3, "regrets": {"a": [0.0, 5.0, 0.0],
    ...     "b": [2.0, 0.0, 1.0]}, "strategies": {"a": {"outcomes": {"profit": {"mean": 10.0}}, "wins": 2 / 3},
    ...     "b": {"outcomes": {"profit": {"mean": 9.0}}, "wins": 1 / 3}}}}
    >>> regret_figure(info).claims["minimax"]
    'b'
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import matplotlib.pyplot as plt
import numpy as np

from sim.plots.layout import PALETTE, STRATEGY_COLOURS, THOUSANDS, finish

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def _number(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.3g}"


def _horizontal() -> dict[str, Any]:
    """Horizontal boxes: ``orientation`` from matplotlib 3.10 (``vert`` is deprecated there)."""
    import matplotlib

    major, minor = (int(part) for part in matplotlib.__version__.split(".")[:2])
    return {"orientation": "horizontal"} if (major, minor) >= (3, 10) else {"vert": False}


def regret_figure(info: Mapping[str, Any]) -> Figure:
    """Regret per strategy across the markets (box and whiskers to the extremes, the 90th
    percentile marked); the title names the min-max-regret choice and the best on average."""
    read = info["robustness"]
    primary = read["primary"]
    names = list(read["regrets"])
    data = {n: np.array([v for v in read["regrets"][n] if v is not None], dtype=float) for n in names}
    maxima = {n: float(d.max()) if d.size else float("nan") for n, d in data.items()}
    p90 = {n: float(np.quantile(d, 0.9)) if d.size else float("nan") for n, d in data.items()}
    minimax = min((n for n in names if np.isfinite(maxima[n])), key=lambda n: maxima[n])
    means = {n: read["strategies"][n]["outcomes"][primary]["mean"] for n in names}
    defined = [n for n in names if means[n] is not None]
    lower = read.get("direction") == "lower"
    best_mean = (min if lower else max)(defined, key=lambda n: means[n]) if defined else None

    figure, axis = plt.subplots(figsize=(9, 1.6 + 0.75 * len(names)), layout="constrained")
    order = names[::-1]  # the first strategy at the top
    positions = np.arange(1, len(order) + 1)
    boxes = axis.boxplot(
        [data[n] for n in order], positions=positions, whis=(0, 100), widths=0.55, patch_artist=True,
        showfliers=False, medianprops={"color": "black"}, **_horizontal(),
    )  # fmt: skip
    for index, (patch, name) in enumerate(zip(boxes["boxes"], order, strict=True)):
        patch.set_facecolor(STRATEGY_COLOURS.get(name, PALETTE[index % len(PALETTE)]))
        patch.set_alpha(0.6)
    axis.scatter([p90[n] for n in order], positions, marker="D", color="black", zorder=3, s=28,
                 label="90th percentile")  # fmt: skip
    axis.set_yticks(positions, [f"{n}\n(wins {read['strategies'][n]['wins']:.0%})" for n in order])
    axis.set_xlabel(f"regret on {primary}: the best strategy's {primary} in the market minus this one's")
    axis.xaxis.set_major_formatter(THOUSANDS)
    largest = max(max(v for v in maxima.values() if np.isfinite(v)), 1e-9)
    axis.set_xlim(-0.03 * largest, 1.05 * largest)  # a regret of 0 stays visible at the left edge
    axis.legend(loc="lower left", bbox_to_anchor=(1.0, 0.0), frameon=False)
    axis.grid(axis="x", alpha=0.3)
    title = f"Min-max regret on {primary}: {minimax} (at most {_number(maxima[minimax])})"
    if best_mean is not None:
        title += f"; best on average: {best_mean}"
    axis.set_title(f"{title}\nover {read['markets']} sampled markets")
    claims = {
        "figure": "discover_regret",
        "primary": primary,
        "minimax": minimax,
        "best_mean": best_mean,
        "max_regret": maxima,
        "p90_regret": p90,
    }
    return finish(figure, claims)
