"""What a customer costs and is worth: CAC against LTV, and how concentrated value is.

Figures of the report and the notebooks (:mod:`sim.plots.report`), each with a title computed from
what it plots (``figure.claims``).

Example:
    >>> ratio_text(6.25), ratio_text(0.041)
    ('6.2x', '0.04x')
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from sim.plots.layout import (
    CHANNEL_COLOURS,
    SLIDE_STYLE,
    finish,
    group_colours,
    words,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def _reference_line(axis: Any, slope: float, right: float, top: float, label: str, style: str) -> None:
    """The line LTV = ``slope`` x CAC from the origin to where it leaves the box [0, right] x
    [.., top], drawn only inside it and named in the legend (a label on the line would collide
    with the other line's near the origin)."""
    if top <= 0:
        return
    x_end = min(right, top / slope)
    axis.plot([0, x_end], [0, slope * x_end], color="#777777", linestyle=style, linewidth=1.2, label=label)


def ratio_text(ratio: float) -> str:
    """A ratio as "N.Nx", with two decimals below one so that a small ratio never reads 0.0x.

    Example:
        >>> ratio_text(6.25), ratio_text(0.041)
        ('6.2x', '0.04x')
    """
    return f"{ratio:.1f}x" if abs(ratio) >= 1 else f"{ratio:.2f}x"


def cac_ltv_figure(blended: pd.DataFrame, channels: pd.DataFrame) -> Figure:
    """Left: what a customer costs to win, fully loaded (all marketing spend per customer won),
    against what they bring net of what keeping them costs (LTV net of retention cost), per group,
    with 95% intervals over runs and the lines LTV net = CAC and = 3 x CAC; a group that spent
    nothing is listed as "nothing spent", not placed at zero. Right: gross lifetime value per
    customer by acquisition channel, with each paid channel's CAC (acquisition spend on that
    channel's lever per customer it won) marked.

    Args:
        blended: one row per group: ``group``, ``cac_fully_loaded``, ``ltv_net`` and their ``_low``
            and ``_high`` (None where not defined), as :meth:`sim.report.ReportData.blended`.
        channels: as from :func:`sim.cohorts.channel_table`.

    ``figure.claims``: ``ratios`` (LTV net / fully loaded CAC of the points plotted, per group
    that spent), ``nothing_spent``, ``no_customers`` and ``best_channel`` (per group, the channel
    with the highest bar).
    """
    with plt.rc_context(SLIDE_STYLE):
        groups = list(blended["group"])
        colours = group_colours(groups)
        figure, (left, right) = plt.subplots(
            1, 2, figsize=(16, 6.8), layout="constrained", width_ratios=[1, 1.3]
        )

        def number(value: Any) -> float:
            return float(value) if value is not None and pd.notna(value) else np.nan

        spent, nothing_spent, no_customers = [], [], []
        for row in blended.itertuples():
            cac, ltv = number(row.cac_fully_loaded), number(row.ltv_net)
            if np.isnan(ltv):
                no_customers.append(row.group)
            elif np.isnan(cac):
                nothing_spent.append(row.group)
            else:
                spent.append(row)
        xs_high, xs_low, ys = [1.0], [0.0], [0.0]
        for row in spent:
            cac, ltv = number(row.cac_fully_loaded), number(row.ltv_net)
            cac_low, cac_high = number(row.cac_fully_loaded_low), number(row.cac_fully_loaded_high)
            ltv_low, ltv_high = number(row.ltv_net_low), number(row.ltv_net_high)
            xerr = [[cac - cac_low], [cac_high - cac]] if not np.isnan(cac_low) else None
            yerr = [[ltv - ltv_low], [ltv_high - ltv]] if not np.isnan(ltv_low) else None
            left.errorbar(cac, ltv, xerr=xerr, yerr=yerr, fmt="o", markersize=11, capsize=5,
                          color=colours[row.group], label=words(row.group))  # fmt: skip
            xs_high += [cac, cac_high]
            xs_low.append(cac_low)  # a t interval over few runs can reach below 0: shown as it is
            ys += [ltv, ltv_low, ltv_high]
        for group in nothing_spent:
            ltv = number(blended.set_index("group").loc[group, "ltv_net"])
            left.plot([], [], linestyle="none", marker="o", markerfacecolor="none", color=colours[group],
                      label=f"{words(group)}: nothing spent, no CAC (LTV net {ltv:,.0f})")  # fmt: skip
        for group in no_customers:
            left.plot([], [], linestyle="none", marker="o", markerfacecolor="none", color=colours[group],
                      label=f"{words(group)}: no customers won")  # fmt: skip
        right_edge = 1.3 * float(np.nanmax(xs_high))
        high, low = float(np.nanmax(ys)), float(np.nanmin(ys))
        top = 1.15 * high if high > 0 else 1.0
        bottom = 1.15 * low if low < 0 else 0.0
        _reference_line(left, 1.0, right_edge, top, "LTV net = CAC", "--")
        _reference_line(left, 3.0, right_edge, top, "LTV net = 3 x CAC", ":")
        lowest = float(np.nanmin(xs_low))
        left.set_xlim(1.15 * lowest if lowest < 0 else 0, right_edge)
        left.set_ylim(bottom, top)
        left.axhline(0, color="#555555", linewidth=0.8)
        left.set_xlabel("CAC fully loaded: all marketing spend per customer won\n(currency, mean of runs)")
        left.set_ylabel("LTV net of retention cost per customer won\n(currency, mean of runs)")
        left.grid(alpha=0.3)
        left.legend(loc="upper center", bbox_to_anchor=(0.5, -0.22), frameon=False, ncols=2)
        ratios = {
            row.group: number(row.ltv_net) / number(row.cac_fully_loaded)
            for row in spent
            if number(row.cac_fully_loaded) > 0
        }
        if ratios:
            ranked = sorted(ratios, key=ratios.get, reverse=True)
            left.set_title(
                "LTV net of retention cost / fully loaded CAC: "
                + ", ".join(f"{words(g)} {ratio_text(ratios[g])}" for g in ranked)
            )
        else:
            left.set_title("LTV net of retention cost against fully loaded CAC: nothing spent")
        shown = channels.dropna(subset=["value"])
        shown = shown[shown["channel"] != "initial"]
        names = [c for c in CHANNEL_COLOURS if c in set(shown["channel"])]
        height = 0.8 / max(len(groups), 1)
        # The axis follows the values; a CAC far beyond them is marked at the edge with its number.
        edge = 2.2 * float(shown["value"].max()) if len(shown) else 1.0
        best_channel = {}
        # CACs beyond the edge, by channel: one label per channel (the groups' bars sit too close
        # together for a label each).
        beyond: dict[str, list[tuple[float, float]]] = {}
        for index, group in enumerate(groups):
            rows = shown[shown["group"] == group].set_index("channel")
            if len(rows):
                best_channel[group] = str(rows["value"].idxmax())
            positions = np.arange(len(names)) + index * height
            values = [rows["value"].get(c, np.nan) for c in names]
            right.barh(positions, values, height=height, color=colours[group],
                       label=f"{words(group)}: LTV gross")  # fmt: skip
            for position, channel in zip(positions, names, strict=True):
                cac = rows["cac"].get(channel, np.nan) if channel in rows.index else np.nan
                if pd.notna(cac) and cac > 0:
                    shown_at = min(cac, edge * 0.97)
                    right.plot(
                        shown_at, position, marker="|", markersize=16, markeredgewidth=3, color="black"
                    )
                    if cac > edge * 0.97:
                        beyond.setdefault(channel, []).append((position, cac))
        for marks in beyond.values():
            middle = float(np.mean([position for position, _ in marks]))
            text = " / ".join(f"{cac:,.0f}" for _, cac in marks)
            right.annotate(f"CAC {text} >", (edge * 0.97, middle), xytext=(-8, 0),
                           textcoords="offset points", ha="right", va="center", fontsize=10)  # fmt: skip
        right.set_xlim(0, edge)
        right.plot([], [], marker="|", linestyle="none", markersize=12, markeredgewidth=3, color="black",
                   label="CAC of the channel: acquisition spend on its lever\nper customer it won")  # fmt: skip
        right.set_yticks(np.arange(len(names)) + height * (len(groups) - 1) / 2, [words(c) for c in names])
        right.invert_yaxis()
        right.set_xlabel("currency per customer won (means of runs; LTV gross: discounted margin)")
        right.grid(alpha=0.3, axis="x")
        right.legend(
            loc="upper center", bbox_to_anchor=(0.5, -0.15), ncols=min(len(groups) + 1, 3), frameon=False
        )
        tops = set(best_channel.values())
        if len(tops) == 1:
            right.set_title(
                f"Customers won through {words(next(iter(tops)))} are worth the most"
                + (" for every group" if len(best_channel) > 1 else "")
            )
        elif best_channel:
            right.set_title(
                "Most valuable channel: "
                + "; ".join(f"{words(g)}, {words(c)}" for g, c in best_channel.items())
            )
        return finish(
            figure, {"figure": "cac_ltv", "ratios": ratios, "nothing_spent": nothing_spent,
                     "no_customers": no_customers, "best_channel": best_channel},
        )  # fmt: skip


def value_distribution_figure(deciles: pd.DataFrame, lorenz: pd.DataFrame) -> Figure:
    """Left: lifetime value of customers won by decile (1 = the most valuable tenth). Right: the
    Lorenz curve, the share of all value brought by the top x% of customers, with the 80:20 mark
    (each group's share at 20% in its legend entry, so that close numbers never collide); both
    per group (means over runs, from :func:`sim.cohorts.value_table`). A group whose customers'
    value sums to zero or less (a price below cost) has no Lorenz curve, and its legend says so.

    ``figure.claims``: ``top20`` (each group's Lorenz curve at 20% of customers)."""
    with plt.rc_context(SLIDE_STYLE):
        groups = list(dict.fromkeys(deciles["group"]))
        colours = group_colours(groups)
        figure, (left, right) = plt.subplots(1, 2, figsize=(14, 5.8), layout="constrained")
        width = 0.8 / max(len(groups), 1)
        for index, group in enumerate(groups):
            rows = deciles[deciles["group"] == group]
            left.bar(rows["decile"] + (index - (len(groups) - 1) / 2) * width, rows["value"], width=width,
                     color=colours[group], label=words(group))  # fmt: skip
        left.set_xticks(
            range(1, 11), [f"{10 * d - 10}-{10 * d}%" for d in range(1, 11)], rotation=40, ha="right"
        )
        left.set_xlabel("customers ranked by value (top first)")
        left.set_ylabel("LTV gross per customer (currency)")
        left.grid(alpha=0.3, axis="y")
        left.legend()
        left.set_title("Lifetime value by decile of customers won")
        top20 = {}
        for group in groups:
            rows = lorenz[lorenz["group"] == group]
            if rows.empty:  # their value sums to nothing or less (sold below cost): no shares of it
                right.plot([], [], " ", label=f"{words(group)}: no curve, total value <= 0")
                continue
            share = float(np.interp(0.2, rows["customers"], rows["value"]))
            top20[group] = share
            right.plot(100 * rows["customers"], 100 * rows["value"], color=colours[group], linewidth=2.5,
                       label=f"{words(group)}: top 20% bring {100 * share:.0f}%")  # fmt: skip
            right.plot(20, 100 * share, "o", color=colours[group], markersize=8)
        right.plot([0, 100], [0, 100], color="#999999", linestyle="--", linewidth=1, label="everyone equal")
        right.axvline(20, color="#555555", linestyle=":", linewidth=1)
        right.set_xlabel("top customers (% of customers won)")
        right.set_ylabel("share of all their value (%)")
        right.set_xlim(0, 100)
        right.set_ylim(0, 102)
        right.grid(alpha=0.3)
        right.legend(loc="lower right")  # below the diagonal: no Lorenz curve goes there
        right.set_title("Lorenz curve: how concentrated value is")
        if top20:
            low, high = min(top20.values()), max(top20.values())
            share = (
                f"{100 * low:.0f}%"
                if round(100 * low) == round(100 * high)
                else f"{100 * low:.0f}-{100 * high:.0f}%"
            )
            whose = "" if len(top20) == len(groups) else f" ({', '.join(words(g) for g in top20)})"
            figure.suptitle(f"The top 20% of customers{whose} bring {share} of the value (the 80:20 view)")
        return finish(figure, {"figure": "value_distribution", "top20": top20})
