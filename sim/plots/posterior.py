"""Figures of a Bayesian calibration (``sim calibrate --method abc``): the posterior's pair plot and
its predictive bands over every target.

Both draw from tables (the weighted particles, the posterior table, the predictive bands of
:mod:`sim.calibration.posterior`), so this module imports no workflow.

Example:
    >>> import pandas as pd
    >>> particles = pd.DataFrame({"a": [0.4, 0.5, 0.6], "weight": [0.3, 0.4, 0.3]})
    >>> table = pd.DataFrame([{"parameter": "a", "low": 0.0, "high": 1.0, "q05": 0.42, "q95": 0.58,
    ...     "median": 0.5, "narrowing": 0.18, "verdict": "pinned down"}])
    >>> posterior_pairs_figure(particles, table, [], "example").claims["pinned"]
    ['a']
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.plots.layout import finish

BAND_COLOUR = "#1f77b4"
TRUTH_COLOUR = "#d62728"


def _short(key: str) -> str:
    """The last two parts of a dotted key (enough to tell parameters apart on an axis)."""
    return ".".join(key.split(".")[-2:])


def _kde_contours(axis: Any, x: np.ndarray, y: np.ndarray, w: np.ndarray, log_x: bool, log_y: bool) -> bool:
    """Weighted kernel density contours (the 50% and 90% highest-density regions); False where the
    particles are too few or degenerate for a density."""
    from scipy.stats import gaussian_kde

    u, v = (np.log10(x) if log_x else x), (np.log10(y) if log_y else y)
    if len(u) < 5 or np.ptp(u) == 0 or np.ptp(v) == 0:
        return False
    try:
        kde = gaussian_kde(np.vstack([u, v]), weights=w)
    except (np.linalg.LinAlgError, ValueError):
        return False
    gu = np.linspace(u.min() - 0.1 * np.ptp(u), u.max() + 0.1 * np.ptp(u), 60)
    gv = np.linspace(v.min() - 0.1 * np.ptp(v), v.max() + 0.1 * np.ptp(v), 60)
    uu, vv = np.meshgrid(gu, gv)
    density = kde(np.vstack([uu.ravel(), vv.ravel()])).reshape(uu.shape)
    # the density levels that enclose 90% and 50% of the mass on the grid
    flat = np.sort(density.ravel())[::-1]
    mass = np.cumsum(flat) / flat.sum()
    levels = sorted({float(flat[min(np.searchsorted(mass, m), flat.size - 1)]) for m in (0.9, 0.5)})
    if len(levels) < 2:
        return False
    axis.contour(
        10**uu if log_x else uu, 10**vv if log_y else vv, density, levels=levels,
        colors=[BAND_COLOUR], linewidths=[0.8, 1.4],
    )  # fmt: skip
    return True


def posterior_pairs_figure(
    particles: pd.DataFrame, table: pd.DataFrame, log_keys: list[str], title: str, pinned: float = 0.5
) -> Figure:
    """Marginals on the diagonal (weighted histogram over the prior's range, the 90% interval
    shaded), weighted particles with 50%/90% density contours below it, and the truth in red
    where ``table`` has a ``truth`` column. The title names which parameters the data pin down
    (narrowing at most ``pinned``: the posterior 90% interval's width over the prior's).

    Example:
        >>> figure = posterior_pairs_figure(post.particles, post.table_frame, [], "cdnow")  # doctest: +SKIP
    """
    import matplotlib.pyplot as plt

    keys = list(table["parameter"])
    rows = {row["parameter"]: row for row in table.to_dict("records")}
    n = len(keys)
    size = max(2.6 * n, 7.0)
    figure, axes = plt.subplots(n, n, figsize=(size, size + 0.8), layout="constrained", squeeze=False)
    w = particles["weight"].to_numpy(dtype=float)
    marker = 12 + 150 * w / w.max()
    truth = "truth" in table
    for i, ky in enumerate(keys):
        for j, kx in enumerate(keys):
            axis = axes[i, j]
            if j > i:
                axis.set_axis_off()
                continue
            rx, ry = rows[kx], rows[ky]
            log_x, log_y = kx in log_keys, ky in log_keys
            x = particles[kx].to_numpy(dtype=float)
            if i == j:
                bins = (
                    np.geomspace(rx["low"], rx["high"], 21)
                    if log_x
                    else np.linspace(rx["low"], rx["high"], 21)
                )
                axis.hist(x, bins=bins, weights=w, density=True, color="#aec7e8", edgecolor="white")
                axis.axvspan(rx["q05"], rx["q95"], color=BAND_COLOUR, alpha=0.12, label="90% interval")
                axis.axvline(rx["median"], color=BAND_COLOUR, linewidth=1.5, label="median")
                if truth and not pd.isna(rx.get("truth")):
                    axis.axvline(
                        rx["truth"], color=TRUTH_COLOUR, linestyle="--", linewidth=1.5, label="truth"
                    )
                axis.set_yticks([])
                axis.set_title(
                    f"{_short(kx)}: 90% in {rx['q05']:.3g}..{rx['q95']:.3g}\nnarrowing {rx['narrowing']:.2f}",
                    fontsize=8, loc="left",
                )  # fmt: skip
                if i == 0:
                    axis.legend(fontsize=7, loc="upper right")
            else:
                y = particles[ky].to_numpy(dtype=float)
                axis.scatter(x, y, s=marker, color=BAND_COLOUR, alpha=0.35, edgecolors="none")
                _kde_contours(axis, x, y, w, log_x, log_y)
                if truth and not pd.isna(rx.get("truth")) and not pd.isna(ry.get("truth")):
                    axis.plot(
                        [rx["truth"]], [ry["truth"]], marker="*", markersize=13, color=TRUTH_COLOUR,
                        linestyle="none",
                    )  # fmt: skip
                axis.set_ylim(ry["low"], ry["high"])
                if log_y:
                    axis.set_yscale("log")
                if j == 0:
                    axis.set_ylabel(_short(ky), fontsize=8)
            axis.set_xlim(rx["low"], rx["high"])
            if log_x:
                axis.set_xscale("log")
            if i == n - 1:
                axis.set_xlabel(_short(kx) + (" (log)" if log_x else ""), fontsize=8)
            axis.tick_params(labelsize=7)
    pinned_keys = [k for k in keys if rows[k]["narrowing"] <= pinned]
    open_keys = [k for k in keys if rows[k]["narrowing"] > pinned]
    finding = (
        f"the data pin down (90% interval narrowed to <= {pinned} of the prior's) "
        f"{', '.join(_short(k) for k in pinned_keys) or 'none'}; "
        f"leave open {', '.join(_short(k) for k in open_keys) or 'none'}"
    )
    extra = ""
    if truth:
        covered = int(table["covered"].sum())
        extra = f"; 90% intervals cover the truth for {covered} of {len(keys)}"
    figure.suptitle(f"Posterior of {title} (axes span the prior)\n{finding}{extra}", fontsize=9)
    claims = {
        "figure": "posterior_pairs",
        "pinned": pinned_keys,
        "left_open": open_keys,
        "narrowing": {k: rows[k]["narrowing"] for k in keys},
    }
    if truth:
        claims["covered"] = int(table["covered"].sum())
    return finish(figure, claims)


def posterior_predictive_figure(bands: list[dict[str, Any]], draws: int) -> Figure:
    """One panel per target: the 5-95% and 25-75% bands and the median of the target's points over
    ``draws`` posterior predictive draws, the observed points on top; the title counts the observed
    points inside the 5-95% band.

    Example:
        >>> figure = posterior_predictive_figure(post.bands, 40)  # doctest: +SKIP
    """
    import matplotlib.pyplot as plt

    count = len(bands)
    cols = min(count, 2)
    rows = math.ceil(count / cols)
    figure, axes = plt.subplots(
        rows, cols, figsize=(max(8.0, 5.2 * cols), 1.4 + 3.4 * rows), layout="constrained", squeeze=False
    )
    inside = total = 0
    for axis, band in zip(axes.ravel(), bands, strict=False):
        q = {
            k: np.array([np.nan if v is None else v for v in band[k]], dtype=float)
            for k in ("q05", "q25", "q50", "q75", "q95")
        }
        observed = np.array(band["observed"], dtype=float)
        categorical = band["kind"] in ("churn_reasons", "scalar")
        x = np.arange(len(observed)) if categorical else np.array(band["points"], dtype=float)
        if categorical:
            axis.errorbar(
                x, q["q50"], yerr=np.nan_to_num(np.vstack([q["q50"] - q["q05"], q["q95"] - q["q50"]])),
                fmt="none", ecolor="#aec7e8", elinewidth=10, label="5-95% of draws",
            )  # fmt: skip
            axis.errorbar(
                x, q["q50"], yerr=np.nan_to_num(np.vstack([q["q50"] - q["q25"], q["q75"] - q["q50"]])),
                fmt="_", color=BAND_COLOUR, ecolor=BAND_COLOUR, elinewidth=10, label="25-75% and median",
            )  # fmt: skip
            axis.set_xticks(x, band["point_labels"], rotation=20)
            axis.set_xlim(-0.6, len(x) - 0.4)
        else:
            axis.fill_between(x, q["q05"], q["q95"], color="#aec7e8", alpha=0.7, label="5-95% of draws")
            axis.fill_between(x, q["q25"], q["q75"], color=BAND_COLOUR, alpha=0.35, label="25-75%")
            axis.plot(x, q["q50"], color=BAND_COLOUR, linewidth=1.5, label="median")
            axis.set_xlabel(
                {
                    "week": "week",
                    "month": "month (4 weeks)",
                    "weeks_since": "weeks since acquisition"
                    if band["kind"] == "retention" and band["definition"] == "membership"
                    else "weeks since first purchase",
                }[band["unit"]]
            )
        axis.plot(x, observed, "o", color="black", label="observed", zorder=3)
        axis.set_ylabel(
            {
                "retention": "share retained",
                "repeat_purchases": "repeat purchase weeks",
                "churn_reasons": "share of exits",
            }.get(band["kind"], band["metric"] or "value")
        )
        axis.set_title(
            f"{band['label']}\nobserved inside the 5-95% band: {band['inside_90']} of {len(observed)}",
            fontsize=9, loc="left",
        )  # fmt: skip
        axis.legend(fontsize=8)
        inside += band["inside_90"]
        total += len(observed)
    for axis in axes.ravel()[count:]:
        axis.set_axis_off()
    figure.suptitle(
        f"Posterior predictive: {draws} parameter sets drawn from the posterior, each simulated on fresh seeds\n"
        f"{inside} of {total} observed points fall inside the 5-95% band",
        fontsize=9,
    )
    return finish(figure, {"figure": "posterior_predictive", "inside": inside, "points": total})
