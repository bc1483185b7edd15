"""Figures shared by the CLI, notebooks and reports; each takes results and returns a Figure.

Owns the look of every figure: one colour per firm (stable across figures), labelled axes with
units, and a title that says what the reader should see.

Example:
    >>> firm_colours(["us", "rival"])["us"]
    '#1f77b4'
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import matplotlib

matplotlib.use("Agg")  # figures are written to files; no display is needed
import matplotlib.pyplot as plt
import matplotlib.ticker
import numpy as np
import pandas as pd

from sim.agents.customers import REASON_NAMES

if TYPE_CHECKING:
    from matplotlib.figure import Figure

PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#7f7f7f"]
REASON_COLOURS = {
    "died": "#7f7f7f",
    "moved": "#bcbd22",
    "followed_friend": "#17becf",
    "better_value": "#ff7f0e",
    "dissatisfied": "#d62728",
    "unappreciated": "#9467bd",
}


REASON_PHRASES = {
    "died": "to death",
    "moved": "by moving away",
    "followed_friend": "following a friend",
    "better_value": "to better value elsewhere",
    "dissatisfied": "dissatisfied",
    "unappreciated": "feeling unappreciated",
}


def firm_colours(firms: list[str]) -> dict[str, str]:
    """A stable colour per firm, in scenario order."""
    return {firm: PALETTE[i % len(PALETTE)] for i, firm in enumerate(firms)}


def customers_figure(timeseries: pd.DataFrame, scenario: str) -> Figure:
    """Customers of each firm, week by week (one run); for several runs, the median and a
    10-90% band across runs (``timeseries`` then has a ``run`` column)."""
    firms = list(dict.fromkeys(timeseries["firm"]))
    colours = firm_colours(firms)
    figure, axis = plt.subplots(figsize=(9, 5), layout="constrained")
    several = "run" in timeseries.columns and timeseries["run"].nunique() > 1
    ends = {}
    for firm in firms:
        rows = timeseries[timeseries["firm"] == firm]
        if several:
            by_week = rows.groupby("week")["customers"]
            median = by_week.median()
            axis.fill_between(
                median.index, by_week.quantile(0.1), by_week.quantile(0.9), color=colours[firm], alpha=0.2,
                linewidth=0, label=f"{firm}: 10-90% of runs",
            )  # fmt: skip
            axis.plot(median.index, median, label=f"{firm}: median", color=colours[firm], linewidth=2)
            ends[firm] = median.iloc[-1]
        else:
            axis.plot(rows["week"], rows["customers"], label=firm, color=colours[firm], linewidth=2)
            ends[firm] = rows["customers"].iloc[-1]
    leader = max(ends, key=ends.get)
    runs = f", {timeseries['run'].nunique()} runs" if several else ""
    axis.set_title(f"Customers by firm: {leader} ends with the most ({scenario}{runs})")
    axis.set_xlabel("week")
    axis.set_ylabel("customers (people)")
    axis.grid(alpha=0.3)
    axis.legend(title="firm")
    axis.set_ylim(bottom=0)
    return figure


def churn_by_reason_figure(summary: dict) -> Figure:
    """How many customers each firm lost, stacked by reason (a run's summary, or the means of
    several runs)."""
    firms = list(summary["firms"])
    figure, axis = plt.subplots(figsize=(9, 5), layout="constrained")
    left = np.zeros(len(firms))
    for reason in REASON_NAMES:
        counts = np.array([summary["firms"][f]["churned_by_reason"][reason] for f in firms])
        axis.barh(firms, counts, left=left, label=reason.replace("_", " "), color=REASON_COLOURS[reason])
        left += counts
    totals = {f: summary["firms"][f]["churned"] for f in firms}
    top = {}
    for f in firms:
        reasons = summary["firms"][f]["churned_by_reason"]
        top[f] = max(reasons, key=reasons.get) if totals[f] else None
    main = {r for r in top.values() if r}
    if len(main) == 1:
        headline = f"most leave {REASON_PHRASES[next(iter(main))]}"
    elif len(firms) <= 3:
        headline = "main reason: " + "; ".join(f"{f}, {r.replace('_', ' ')}" for f, r in top.items() if r)
    else:
        headline = "the main reason differs by firm"
    axis.set_title(f"Why customers left over {summary['weeks']} weeks\n{headline}")
    axis.set_xlabel("customers lost (people)")
    if "runs" in summary:
        axis.set_xlabel(f"customers lost (people, mean of {summary['runs']} runs)")
    axis.invert_yaxis()
    axis.grid(alpha=0.3, axis="x")
    axis.legend(ncols=3, loc="upper center", bbox_to_anchor=(0.5, -0.15), frameon=False)
    return figure


def sweep_figure(
    table: pd.DataFrame, key: str, firm: str, metrics: tuple[str, ...] = ("profit", "customers_end", "ltv")
) -> Figure:
    """How a firm's outcomes respond to one swept key: each run as a dot, the mean as a line
    (averaged over the other swept keys)."""
    rows = table[table["firm"] == firm]
    colour = firm_colours(list(dict.fromkeys(table["firm"])))[firm]
    figure, axes = plt.subplots(1, len(metrics), figsize=(4.2 * len(metrics), 4), layout="constrained")
    axes = np.atleast_1d(axes)
    for axis, metric in zip(axes, metrics, strict=True):
        values = rows[[key, metric]].dropna()
        axis.scatter(values[key], values[metric], s=12, alpha=0.35, color=colour, label="one run")
        mean = values.groupby(key)[metric].mean()
        axis.plot(mean.index, mean.to_numpy(), color=colour, linewidth=2, marker="o", label="mean")
        axis.set_xlabel(key)
        axis.set_ylabel(METRIC_LABELS.get(metric, metric))
        axis.grid(alpha=0.3)
    axes[0].legend()
    best = rows.groupby(key)[metrics[0]].mean()
    figure.suptitle(
        f"{firm}: {METRIC_LABELS.get(metrics[0], metrics[0])} is highest at {key} = {best.idxmax():g}"
        if len(best)
        else f"{firm}: response to {key}"
    )
    return figure


METRIC_LABELS = {
    "profit": "profit (currency, margin - spend)",
    "customers_end": "customers at the end (people)",
    "ltv": "lifetime value per acquired customer (currency)",
    "cac": "acquisition cost per customer (currency)",
    "retention_yearly": "retention per year (share)",
}


# --------------------------------------------------------------------------- report figures
# The figures of `sim report` and the notebooks. Each takes tidy tables or summary dicts (built by
# sim.cohorts and sim.report from one run, replicates or a comparison) and returns a Figure drawn
# at slide size: large type, one colour per strategy and per firm that never changes meaning.

SLIDE_STYLE = {
    "font.size": 12,
    "axes.titlesize": 13,
    "axes.labelsize": 12,
    "xtick.labelsize": 11,
    "ytick.labelsize": 11,
    "legend.fontsize": 10.5,
    "figure.titlesize": 15,
    "axes.spines.top": False,
    "axes.spines.right": False,
}
# Strategies keep their colour in every figure (a firm's colour is PALETTE by scenario order).
STRATEGY_COLOURS = {
    "conquest": "#e6550d",
    "relations": "#31a354",
    "balanced": "#756bb1",
    "neglect": "#969696",
    "adaptive": "#8c6d31",
}
CHANNEL_COLOURS = {
    "initial": "#bdbdbd",
    "organic": "#9edae5",
    "search": "#1f77b4",
    "social": "#aec7e8",
    "influencer": "#e377c2",
    "word_of_mouth": "#2ca02c",
    "bandwagon": "#98df8a",
    "referral": "#17becf",
    "switch": "#ff7f0e",
    "poached": "#d62728",
}
# Conquest levers in warm colours, relations levers in cool ones.
LEVER_COLOURS = {
    "search_ads": "#e6550d",
    "social_ads": "#fd8d3c",
    "influencer_seeding": "#fdae6b",
    "acquisition_discount": "#fdd0a2",
    "social_proof_marketing": "#d94801",
    "poaching": "#a63603",
    "referral_programme": "#17becf",
    "loyalty_rewards": "#31a354",
    "recognition": "#74c476",
    "personal_offers": "#a1d99b",
    "communications": "#6baed6",
    "service_quality": "#3182bd",
    "complaint_handling": "#9ecae1",
    "reactivation": "#756bb1",
    "retention_offers": "#9e9ac8",
}


def _words(name: str) -> str:
    return name.replace("_", " ")


def group_colours(labels: list[str]) -> dict[str, str]:
    """Colours for the groups a figure compares: strategy colours when every label names a
    strategy (the arms of a comparison), else firm colours in order.

    Example:
        >>> group_colours(["conquest", "relations"])["relations"]
        '#31a354'
        >>> group_colours(["us", "rival"])["rival"]
        '#d62728'
    """
    if labels and all(label in STRATEGY_COLOURS for label in labels):
        return {label: STRATEGY_COLOURS[label] for label in labels}
    return firm_colours(labels)


def customers_by_group_figure(runs: dict[str, pd.DataFrame], focal: str) -> Figure:
    """Customers of every firm over time, one panel per strategy (arm): the median over runs and
    the 10-90% band; ``runs`` maps each arm to its run x week x firm table.

    Example:
        >>> import pandas as pd
        >>> table = pd.DataFrame({"run": [1, 1, 2, 2], "week": [0, 1, 0, 1], "firm": "us",
        ...                       "customers": [10, 12, 10, 14]})
        >>> customers_by_group_figure({"conquest": table}, "us").axes[0].get_ylabel()
        'customers (people)'
    """
    with plt.rc_context(SLIDE_STYLE):
        labels = list(runs)
        figure, axes = plt.subplots(
            1, len(labels), figsize=(6.2 * len(labels), 5), sharey=True, layout="constrained", squeeze=False
        )
        ends: dict[str, float] = {}
        for axis, label in zip(axes[0], labels, strict=True):
            table = runs[label]
            firms = list(dict.fromkeys(table["firm"]))
            colours = firm_colours(firms)
            for firm in firms:
                by_week = table[table["firm"] == firm].groupby("week")["customers"]
                median = by_week.median()
                axis.fill_between(median.index, by_week.quantile(0.1), by_week.quantile(0.9),
                                  color=colours[firm], alpha=0.2, linewidth=0)  # fmt: skip
                axis.plot(median.index, median, color=colours[firm], linewidth=2.5, label=f"{firm}")
                if firm == focal:
                    ends[label] = float(median.iloc[-1])
            axis.set_title(f"{focal} plays {_words(label)}" if len(labels) > 1 else _words(label))
            axis.set_xlabel("week")
            axis.grid(alpha=0.3)
            axis.set_ylim(bottom=0)
        axes[0][0].set_ylabel("customers (people)")
        axes[0][0].legend(title="firm (median, 10-90% of runs)", loc="best")
        if len(ends) > 1:
            best = max(ends, key=ends.get)
            others = ", ".join(f"{v:,.0f} with {_words(k)}" for k, v in ends.items() if k != best)
            figure.suptitle(
                f"{focal} ends with the most customers playing {_words(best)}: {ends[best]:,.0f} vs {others}"
            )
        return figure


def acquisitions_by_channel_figure(channels: pd.DataFrame) -> Figure:
    """New customers per run by acquisition channel, one stacked bar per group (strategy or
    firm); ``channels`` as from :func:`sim.cohorts.channel_table`."""
    with plt.rc_context(SLIDE_STYLE):
        groups = list(dict.fromkeys(channels["group"]))
        figure, axis = plt.subplots(figsize=(11, 1.6 + 1.1 * len(groups)), layout="constrained")
        left = np.zeros(len(groups))
        for channel in CHANNEL_COLOURS:
            counts = np.array(
                [channels.loc[(channels["group"] == g) & (channels["channel"] == channel), "acquired"].sum()
                 for g in groups]
            )  # fmt: skip
            if not counts.any():
                continue
            axis.barh([_words(g) for g in groups], counts, left=left, color=CHANNEL_COLOURS[channel],
                      label=_words(channel), edgecolor="white", linewidth=0.5)  # fmt: skip
            left += counts
        totals = dict(zip(groups, left, strict=True))
        best = max(totals, key=totals.get)
        paid = channels[channels["channel"].isin(["search", "social", "influencer", "poached"])]
        paid_share = {
            g: paid.loc[paid["group"] == g, "acquired"].sum() / totals[g] for g in groups if totals[g]
        }
        axis.set_title(
            f"{_words(best)} wins the most customers: "
            + ", ".join(f"{_words(g)} {totals[g]:,.0f}" for g in groups)
            + " per run\n"
            + "; ".join(f"{_words(g)}: {100 * s:.0f}% through paid ads" for g, s in paid_share.items())
        )
        axis.set_xlabel("customers won over the run (people, mean of runs)")
        axis.invert_yaxis()
        axis.grid(alpha=0.3, axis="x")
        axis.legend(ncols=5, loc="upper center", bbox_to_anchor=(0.5, -0.22), frameon=False)
        return figure


def retention_figure(
    curves: pd.DataFrame, subject: str = "strategy", colours: dict[str, str] | None = None, bands: bool = True
) -> Figure:
    """Cohort retention (survival) curves: the share of customers won who are still customers
    N weeks after they were won, per group, with 95% bands over runs; ``curves`` as from
    :func:`sim.cohorts.survival_table`. ``subject`` names what the groups are (for the title);
    ``bands=False`` leaves the intervals out (many groups with few customers each).

    Example:
        >>> import pandas as pd
        >>> curves = pd.DataFrame({"group": "search", "week": [0, 52], "retained": [1.0, 0.7],
        ...                        "low": [1.0, 0.6], "high": [1.0, 0.8], "at_risk": [50, 30]})
        >>> retention_figure(curves, "channel").axes[0].get_xlabel()
        'weeks since the customer was won'
    """
    with plt.rc_context(SLIDE_STYLE):
        groups = list(dict.fromkeys(curves["group"]))
        if colours is None:
            colours = CHANNEL_COLOURS if subject == "channel" else group_colours(groups)
        figure, axis = plt.subplots(figsize=(10, 5.5), layout="constrained")
        at_year = {}
        for group in groups:
            rows = curves[curves["group"] == group]
            colour = colours.get(group, "#444444")
            if bands:
                axis.fill_between(
                    rows["week"], 100 * rows["low"], 100 * rows["high"], color=colour, alpha=0.18, linewidth=0
                )
            axis.plot(rows["week"], 100 * rows["retained"], color=colour, linewidth=2.5, label=_words(group))
            year = rows[rows["week"] == 52]
            if len(year):
                at_year[group] = float(year["retained"].iloc[0])
        axis.axvline(52, color="#555555", linestyle=":", linewidth=1)
        axis.text(53, 3, "one year", color="#555555")
        axis.set_xlabel("weeks since the customer was won")
        axis.set_ylabel("still a customer (% of those won)")
        axis.set_ylim(0, 102)
        axis.grid(alpha=0.3)
        # Curves fall from the top left: the top right is where they leave room.
        axis.legend(title=subject, loc="upper right", ncols=2 if len(groups) > 4 else 1)
        common = min((curves.loc[curves["group"] == g, "week"].max() for g in groups), default=0)
        if len(groups) > 1 and common > 0:
            # Ranked where every curve is still defined: the longest horizon the data allow.
            late = curves[curves["week"] == common].set_index("group")["retained"]
            best, worst = late.idxmax(), late.idxmin()
            years = f"{common / 52:.1f} years" if common >= 78 else f"{common} weeks"
            axis.set_title(
                f"Customers won by {_words(best)} stay longest: after {years} {100 * late[best]:.0f}% are "
                f"still customers,\nagainst {100 * late[worst]:.0f}% for {_words(worst)}"
            )
        elif len(groups) == 1 and at_year:
            group, share = next(iter(at_year.items()))
            axis.set_title(
                f"{100 * share:.0f}% of the customers won by {_words(group)} are still customers after a year"
            )
        else:
            axis.set_title(f"Cohort retention by {subject}")
        return figure


def churn_waterfall_figure(firms: dict[str, dict]) -> Figure:
    """Where customers came from and went, per group: customers at the start, plus those won,
    minus those lost for each reason, equals customers at the end; ``firms`` maps each group to
    its firm summary (means over runs).

    Example:
        >>> firm = {"customers_start": 10, "acquired": 5, "customers_end": 12,
        ...         "churned_by_reason": {"died": 1, "moved": 0, "followed_friend": 0,
        ...         "better_value": 0, "dissatisfied": 2, "unappreciated": 0}}
        >>> len(churn_waterfall_figure({"relations": firm}).axes)
        1
    """
    with plt.rc_context(SLIDE_STYLE):
        labels = list(firms)
        figure, axes = plt.subplots(
            1, len(labels), figsize=(6.5 * len(labels), 5.5), sharey=True, layout="constrained", squeeze=False
        )
        headline = {}
        for axis, label in zip(axes[0], labels, strict=True):
            firm = firms[label]
            reasons = firm["churned_by_reason"]
            steps = [("start", firm["customers_start"], "#7f7f7f"), ("won", firm["acquired"], "#2ca02c")]
            steps += [(_words(r), -reasons[r], REASON_COLOURS[r]) for r in REASON_NAMES]
            level = 0.0
            names = []
            for index, (name, change, colour) in enumerate(steps):
                bottom = level if change >= 0 or index == 0 else level + change
                axis.bar(index, abs(change), bottom=bottom if index else 0, color=colour, width=0.7)
                top = (bottom if index else 0) + abs(change)
                axis.annotate(f"{change:+,.0f}" if index else f"{change:,.0f}", (index, top), xytext=(0, 3),
                              textcoords="offset points", ha="center", fontsize=10)  # fmt: skip
                level = change if index == 0 else level + change
                names.append(name)
            axis.bar(
                len(steps),
                firm["customers_end"],
                color=group_colours(labels).get(label, "#1f77b4"),
                width=0.7,
            )
            axis.annotate(f"{firm['customers_end']:,.0f}", (len(steps), firm["customers_end"]), xytext=(0, 3),
                          textcoords="offset points", ha="center", fontsize=10)  # fmt: skip
            names.append("end")
            axis.set_xticks(range(len(names)), names, rotation=40, ha="right")
            top_reason = max(reasons, key=reasons.get)
            headline[label] = (top_reason, reasons[top_reason], sum(reasons.values()))
            axis.set_title(
                f"{_words(label)}: {firm['customers_start']:,.0f} -> {firm['customers_end']:,.0f} customers"
            )
            axis.grid(alpha=0.3, axis="y")
        axes[0][0].set_ylabel("customers (people, mean of runs)")
        parts = [
            f"{_words(label)} loses {100 * n / total:.0f}% {REASON_PHRASES[reason]}"
            for label, (reason, n, total) in headline.items()
            if total
        ]
        figure.suptitle("Why customers leave: " + "; ".join(parts))
        return figure


def cac_ltv_figure(blended: pd.DataFrame, channels: pd.DataFrame) -> Figure:
    """Left: what a customer costs to win (CAC) against what they bring (LTV) per group, with
    95% intervals over runs and the lines LTV = CAC and LTV = 3 x CAC. Right: lifetime value per
    customer by acquisition channel, with the paid channels' CAC marked.

    Args:
        blended: one row per group: ``group``, ``cac``, ``cac_low``, ``cac_high``, ``ltv``,
            ``ltv_low``, ``ltv_high``.
        channels: as from :func:`sim.cohorts.channel_table`.
    """
    with plt.rc_context(SLIDE_STYLE):
        groups = list(blended["group"])
        colours = group_colours(groups)
        figure, (left, right) = plt.subplots(
            1, 2, figsize=(15, 6), layout="constrained", width_ratios=[1, 1.3]
        )
        for row in blended.itertuples():
            xerr = [[row.cac - row.cac_low], [row.cac_high - row.cac]] if pd.notna(row.cac_low) else None
            yerr = [[row.ltv - row.ltv_low], [row.ltv_high - row.ltv]] if pd.notna(row.ltv_low) else None
            left.errorbar(row.cac, row.ltv, xerr=xerr, yerr=yerr, fmt="o", markersize=11, capsize=5,
                          color=colours[row.group], label=_words(row.group))  # fmt: skip
        top = 1.15 * float(np.nanmax(blended[["ltv_high", "ltv"]].to_numpy(dtype=float)))
        right_edge = 1.3 * float(np.nanmax(blended[["cac_high", "cac"]].to_numpy(dtype=float)))
        xs = np.linspace(0, right_edge, 10)
        left.plot(xs, xs, color="#999999", linestyle="--", linewidth=1)
        left.plot(xs, 3 * xs, color="#999999", linestyle=":", linewidth=1)
        left.text(right_edge * 0.98, min(right_edge, top) * 0.93, "LTV = CAC", ha="right", color="#777777")
        left.text(min(top / 3, right_edge) * 0.98, top * 0.93, "LTV = 3 x CAC", ha="right", color="#777777")
        left.set_xlim(0, right_edge)
        left.set_ylim(0, top)
        left.set_xlabel("CAC: acquisition spend per customer won (currency)")
        left.set_ylabel("LTV: discounted margin per customer won (currency)")
        left.grid(alpha=0.3)
        left.legend(loc="lower right")
        ratio = {r.group: r.ltv / r.cac for r in blended.itertuples() if r.cac and r.cac > 0}
        if ratio:
            best = max(ratio, key=ratio.get)
            left.set_title(f"{_words(best)} earns {ratio[best]:.1f}x what a customer costs to win")
        else:
            left.set_title("Customer value against acquisition cost")
        shown = channels.dropna(subset=["value"])
        shown = shown[shown["channel"] != "initial"]
        names = [c for c in CHANNEL_COLOURS if c in set(shown["channel"])]
        height = 0.8 / max(len(groups), 1)
        # The axis follows the values; a CAC far beyond them is marked at the edge with its number.
        edge = 2.2 * float(shown["value"].max()) if len(shown) else 1.0
        for index, group in enumerate(groups):
            rows = shown[shown["group"] == group].set_index("channel")
            positions = np.arange(len(names)) + index * height
            values = [rows["value"].get(c, np.nan) for c in names]
            right.barh(positions, values, height=height, color=colours[group], label=f"{_words(group)}: LTV")
            for position, channel in zip(positions, names, strict=True):
                cac = rows["cac"].get(channel, np.nan) if channel in rows.index else np.nan
                if pd.notna(cac) and cac > 0:
                    shown_at = min(cac, edge * 0.97)
                    right.plot(
                        shown_at, position, marker="|", markersize=16, markeredgewidth=3, color="black"
                    )
                    if cac > edge * 0.97:
                        right.annotate(f"CAC {cac:,.0f} >", (shown_at, position), xytext=(-8, 0),
                                       textcoords="offset points", ha="right", va="center", fontsize=10)  # fmt: skip
        right.set_xlim(0, edge)
        right.plot([], [], marker="|", linestyle="none", markersize=12, markeredgewidth=3, color="black",
                   label="CAC of that channel")  # fmt: skip
        right.set_yticks(np.arange(len(names)) + height * (len(groups) - 1) / 2, [_words(c) for c in names])
        right.invert_yaxis()
        right.set_xlabel("currency per customer won")
        right.grid(alpha=0.3, axis="x")
        right.legend(loc="upper center", bbox_to_anchor=(0.5, -0.1), ncols=len(groups) + 1, frameon=False)
        if len(shown):
            best_row = shown.sort_values("value").iloc[-1]
            right.set_title(f"Customers won through {_words(best_row['channel'])} are worth the most")
        return figure


def value_distribution_figure(deciles: pd.DataFrame, lorenz: pd.DataFrame) -> Figure:
    """Left: lifetime value of customers won by decile (1 = the most valuable tenth). Right: the
    Lorenz curve, the share of all value brought by the top x% of customers, with the 80:20 mark;
    both per group (means over runs, from :func:`sim.cohorts.value_table`)."""
    with plt.rc_context(SLIDE_STYLE):
        groups = list(dict.fromkeys(deciles["group"]))
        colours = group_colours(groups)
        figure, (left, right) = plt.subplots(1, 2, figsize=(14, 5.5), layout="constrained")
        width = 0.8 / max(len(groups), 1)
        for index, group in enumerate(groups):
            rows = deciles[deciles["group"] == group]
            left.bar(rows["decile"] + (index - (len(groups) - 1) / 2) * width, rows["value"], width=width,
                     color=colours[group], label=_words(group))  # fmt: skip
        left.set_xticks(
            range(1, 11), [f"{10 * d - 10}-{10 * d}%" for d in range(1, 11)], rotation=40, ha="right"
        )
        left.set_xlabel("customers ranked by value (top first)")
        left.set_ylabel("LTV per customer (currency)")
        left.grid(alpha=0.3, axis="y")
        left.legend()
        left.set_title("Lifetime value by decile of customers won")
        top20 = {}
        for group in groups:
            rows = lorenz[lorenz["group"] == group]
            right.plot(100 * rows["customers"], 100 * rows["value"], color=colours[group], linewidth=2.5,
                       label=_words(group))  # fmt: skip
            top20[group] = float(np.interp(0.2, rows["customers"], rows["value"]))
        right.plot([0, 100], [0, 100], color="#999999", linestyle="--", linewidth=1, label="everyone equal")
        right.axvline(20, color="#555555", linestyle=":", linewidth=1)
        for group, share in top20.items():
            right.plot(20, 100 * share, "o", color=colours[group], markersize=8)
            right.annotate(
                f"{100 * share:.0f}%", (20, 100 * share), xytext=(8, -14), textcoords="offset points"
            )
        right.set_xlabel("top customers (% of customers won)")
        right.set_ylabel("share of all their value (%)")
        right.set_xlim(0, 100)
        right.set_ylim(0, 102)
        right.grid(alpha=0.3)
        right.legend(loc="lower right")
        right.set_title("Lorenz curve: how concentrated value is")
        if top20:
            low, high = min(top20.values()), max(top20.values())
            share = (
                f"{100 * low:.0f}%"
                if round(100 * low) == round(100 * high)
                else f"{100 * low:.0f}-{100 * high:.0f}%"
            )
            figure.suptitle(f"The top 20% of customers bring {share} of the value (the 80:20 view)")
        return figure


def spend_by_lever_figure(spend: dict[str, dict[str, float]]) -> Figure:
    """Total spend over the run by lever, one stacked bar per group; conquest levers in warm,
    relations levers in cool colours. ``spend`` maps each group to its ``spend_by_lever``."""
    with plt.rc_context(SLIDE_STYLE):
        groups = list(spend)
        figure, axis = plt.subplots(figsize=(11, 1.8 + 1.1 * len(groups)), layout="constrained")
        left = np.zeros(len(groups))
        for lever, colour in LEVER_COLOURS.items():
            amounts = np.array([spend[g].get(lever, 0.0) or 0.0 for g in groups], dtype=float)
            if not amounts.any():
                continue
            axis.barh([_words(g) for g in groups], amounts, left=left, color=colour, label=_words(lever),
                      edgecolor="white", linewidth=0.5)  # fmt: skip
            left += amounts
        main = {
            g: max(spend[g], key=lambda lever, g=g: spend[g][lever] or 0)
            for g in groups
            if sum(spend[g].values())
        }
        axis.set_title(
            "Where the budget goes: "
            + "; ".join(f"{_words(g)} spends most on {_words(lever)}" for g, lever in main.items())
            if main
            else "No spending"
        )
        axis.set_xlabel("spend over the run (currency, mean of runs)")
        axis.invert_yaxis()
        axis.grid(alpha=0.3, axis="x")
        axis.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:,.0f}"))
        axis.legend(ncols=4, loc="upper center", bbox_to_anchor=(0.5, -0.25), frameon=False)
        return figure


FOREST_METRICS = {
    "customers_end": "customers at the end",
    "acquired": "customers won",
    "cac": "CAC",
    "retention_yearly": "retention per year",
    "ltv": "LTV per customer",
    "ltv_cac": "LTV / CAC",
    "revenue": "revenue",
    "profit": "profit",
    "market_share_end": "market share",
}


FOREST_CLIP = 100.0  # % of the reference arm's mean: wider differences are drawn at the edge


def forest_figure(comparison: dict, metrics: dict[str, str] | None = None) -> Figure:
    """Paired differences between strategies with 95% CIs (a forest plot), as a percentage of the
    reference arm's mean so that metrics in different units share one axis; green where the arm
    is better with the interval clear of zero, red where worse, grey where unclear.

    Args:
        comparison: the dict of :func:`sim.experiments.compare` (``arms``, ``differences``,
            ``baseline_arm``) or of :func:`sim.report.gather`.
        metrics: metric -> label (default :data:`FOREST_METRICS`).
    """
    from sim.experiments import lower_is_better

    metrics = metrics or FOREST_METRICS
    base = comparison["baseline_arm"]
    arms = [a for a in comparison["arms"] if a != base]
    with plt.rc_context(SLIDE_STYLE):
        figure, axes = plt.subplots(
            1, len(arms), figsize=(12 * len(arms) ** 0.5, 1.2 + 0.62 * len(metrics)), layout="constrained",
            squeeze=False,
        )  # fmt: skip
        verdicts = {}
        for axis, arm in zip(axes[0], arms, strict=True):
            better = worse = 0
            names = []
            for row, (metric, label) in enumerate(metrics.items()):
                diff = comparison["differences"][arm].get(metric, {})
                reference = comparison["arms"][base].get(metric, {}).get("mean")
                names.append(label)
                if not diff or diff.get("mean") is None or not reference or not diff.get("ci95"):
                    axis.text(0, row, "n/a", va="center", ha="center", color="#777777")
                    continue
                scale = 100 / abs(reference)
                mean, (low, high) = diff["mean"] * scale, (v * scale for v in diff["ci95"])
                good = (mean < 0) if lower_is_better(metric) else (mean > 0)
                clear = low > 0 or high < 0
                colour = ("#2ca02c" if good else "#d62728") if clear else "#7f7f7f"
                better += clear and good
                worse += clear and not good
                # Beyond +-FOREST_CLIP % a difference is drawn at the edge (an arrow head) with its number.
                shown = [float(np.clip(v, -FOREST_CLIP, FOREST_CLIP)) for v in (mean, low, high)]
                marker = "o" if shown == [mean, low, high] else ">" if mean > 0 else "<"
                axis.errorbar(shown[0], row, xerr=[[shown[0] - shown[1]], [shown[2] - shown[0]]], fmt=marker,
                              color=colour, markersize=10, capsize=5, linewidth=2.5)  # fmt: skip
                axis.annotate(f"{mean:+.1f}% [{low:+.1f}, {high:+.1f}]", (shown[2], row), xytext=(8, 0),
                              textcoords="offset points", va="center", fontsize=10.5, color=colour)  # fmt: skip
            axis.axvline(0, color="black", linewidth=1)
            axis.set_yticks(range(len(names)), names)
            axis.invert_yaxis()
            axis.set_xlabel(
                f"{_words(arm)} minus {_words(base)}, paired by seed (% of {_words(base)}'s mean)"
            )
            axis.grid(alpha=0.3, axis="x")
            axis.set_xlim(-FOREST_CLIP * 1.05, FOREST_CLIP * 1.9)
            verdicts[arm] = (better, worse)
            axis.set_title(
                f"{_words(arm)} vs {_words(base)}: clearly better on {better}, clearly worse on {worse} "
                f"of {len(metrics)} metrics\n(green better, red worse, grey unclear: 95% CI of "
                f"{comparison['runs']} paired runs)"
            )
        return figure


def sweep_heatmap_figure(
    table: pd.DataFrame, firm: str, metric: str = "profit", keys: tuple[str, str] | None = None
) -> Figure:
    """The mean of ``metric`` for ``firm`` over a grid of two swept keys (averaged over any
    others), each cell annotated; ``table`` as from :func:`sim.experiments.sweep`."""
    swept = [
        c
        for c in table.columns
        if "." in c
        and c.split(".")[0] in {"firms", "behaviours", "market", "network", "levers", "run", "personas"}
    ]
    keys = keys or tuple(swept[:2])
    if len(keys) != 2:
        raise ValueError(f"a heatmap needs two swept keys; the sweep has {swept}")
    x_key, y_key = keys
    with plt.rc_context(SLIDE_STYLE):
        grid = table[table["firm"] == firm].groupby([y_key, x_key])[metric].mean().unstack(x_key)
        figure, axis = plt.subplots(figsize=(9, 6.5), layout="constrained")
        image = axis.imshow(grid.to_numpy(dtype=float), cmap="viridis", aspect="auto", origin="lower")
        axis.set_xticks(range(grid.shape[1]), [f"{v:g}" for v in grid.columns])
        axis.set_yticks(range(grid.shape[0]), [f"{v:g}" for v in grid.index])
        axis.set_xlabel(x_key)
        axis.set_ylabel(y_key)
        values = grid.to_numpy(dtype=float)
        middle = np.nanmean(values)
        for (i, j), value in np.ndenumerate(values):
            axis.text(j, i, f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}", ha="center", va="center",
                      color="white" if value < middle else "black", fontsize=12)  # fmt: skip
        bar = figure.colorbar(
            image, ax=axis, format=matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:,.0f}")
        )
        bar.set_label(METRIC_LABELS.get(metric, metric))
        i, j = np.unravel_index(np.nanargmax(values), values.shape)
        axis.set_title(
            f"{firm}: {METRIC_LABELS.get(metric, metric).split(' (')[0]} is highest at\n"
            f"{x_key} = {grid.columns[j]:g} and {y_key} = {grid.index[i]:g}"
        )
        return figure


def sweep_response_figure(
    table: pd.DataFrame, key: str, by: str, firm: str, metric: str = "profit"
) -> Figure:
    """How ``firm``'s ``metric`` responds to swept ``key``: the mean over runs as a line for each
    value of a second swept key ``by``, with each run as a dot."""
    with plt.rc_context(SLIDE_STYLE):
        rows = table[table["firm"] == firm]
        values = sorted(rows[by].unique())
        cmap = plt.get_cmap("viridis")
        figure, axis = plt.subplots(figsize=(10, 5.5), layout="constrained")
        slopes = {}
        for index, value in enumerate(values):
            part = rows[rows[by] == value]
            colour = cmap(index / max(len(values) - 1, 1))
            axis.scatter(part[key], part[metric], s=18, alpha=0.35, color=colour)
            mean = part.groupby(key)[metric].mean()
            axis.plot(
                mean.index, mean.to_numpy(), marker="o", linewidth=2.5, color=colour, label=f"{value:g}"
            )
            slopes[value] = mean.iloc[-1] - mean.iloc[0]
        axis.set_xlabel(key)
        axis.set_ylabel(METRIC_LABELS.get(metric, metric))
        axis.grid(alpha=0.3)
        axis.legend(title=by)
        overall = rows.groupby(key)[metric].mean()
        peak = overall.idxmax()
        if peak not in (overall.index.min(), overall.index.max()):
            trend = f"peaks at {key} = {peak:g}"
        else:
            rising = [v for v, s in slopes.items() if s > 0]
            trend = (
                f"{'rises' if len(rising) == len(slopes) else 'falls' if not rising else 'moves'} with {key}"
            )
        axis.set_title(
            f"{firm}: {METRIC_LABELS.get(metric, metric).split(' (')[0]} {trend}\n"
            f"(lines: mean of runs for each {by}; dots: single runs)"
        )
        return figure


def lever_reason_figure(
    changes: pd.DataFrame, measure: str = "weekly churn rate for the reason,\n% change vs no spending"
) -> Figure:
    """Which relations lever moves which churn reason: the change in how often customers leave
    for each reason when the whole budget goes to one lever, against spending nothing on the
    customers (means over the same seeds). ``changes`` has one row per lever and one column per
    reason; ``measure`` labels the colour scale.

    Example:
        >>> import pandas as pd
        >>> changes = pd.DataFrame({"dissatisfied": [-30.0], "unappreciated": [-5.0]}, index=["service_quality"])
        >>> "service quality" in lever_reason_figure(changes).axes[0].get_title()
        True
    """
    with plt.rc_context(SLIDE_STYLE):
        values = changes.to_numpy(dtype=float)
        limit = max(float(np.nanmax(np.abs(values))), 1.0) if values.size else 1.0
        figure, axis = plt.subplots(figsize=(11, 1.6 + 0.65 * len(changes)), layout="constrained")
        image = axis.imshow(values, cmap="RdYlGn_r", vmin=-limit, vmax=limit, aspect="auto")
        axis.set_xticks(
            range(len(changes.columns)), [_words(c) for c in changes.columns], rotation=20, ha="right"
        )
        axis.set_yticks(range(len(changes.index)), [_words(i) for i in changes.index])
        for (i, j), value in np.ndenumerate(values):
            if np.isfinite(value):
                axis.text(j, i, f"{value:+.0f}%", ha="center", va="center", fontsize=11,
                          color="white" if abs(value) > 0.6 * limit else "black")  # fmt: skip
        bar = figure.colorbar(image, ax=axis)
        bar.set_label(measure)
        best = np.unravel_index(np.nanargmin(values), values.shape) if values.size else None
        if best is not None:
            axis.set_title(
                f"Each lever works on its own reason: {_words(changes.index[best[0]])} cuts "
                f"'{_words(changes.columns[best[1]])}' most ({values[best]:+.0f}%)"
            )
        axis.set_xlabel("why customers left")
        axis.set_ylabel("whole budget on")
        return figure


def referral_cascade_figure(customers: pd.DataFrame, adjacency, firms: list[str], seed: int = 1) -> Figure:
    """Who referred whom on a small network: every person a dot coloured by their firm (grey for
    prospects), friendships as faint lines, referrals as arrows in the referred customer's firm
    colour. ``customers`` is a run's per-person table, ``adjacency`` its network's (scipy sparse).

    Example:
        >>> from sim import load_scenario
        >>> from sim.model import CustomerMarket
        >>> from sim.simulation import collect
        >>> market = CustomerMarket(load_scenario("scenarios/baseline.toml", {"market.size": 120, "run.weeks": 30}))
        >>> market.run_model()
        >>> figure = referral_cascade_figure(collect(market).customers, market.network.adjacency, ["us", "rival"])
        >>> figure.axes[0].get_title().startswith("Referrals")
        True
    """
    import networkx as nx

    colours = firm_colours(firms)
    current = customers[customers["left_market_week"].isna()]
    slot_of = dict(zip(customers["id"], customers["slot"], strict=True))
    friends = nx.from_scipy_sparse_array(adjacency)
    referred = current[current["referrer"].notna() & current["firm"].notna()]
    cascade = nx.DiGraph()
    for row in referred.itertuples():
        cascade.add_edge(int(slot_of[row.referrer]), int(row.slot), firm=row.firm)
    layout_graph = friends.copy()
    for a, b in cascade.edges:
        layout_graph.add_edge(a, b, weight=6.0)  # referral chains drawn close together
    positions = nx.spring_layout(layout_graph, seed=seed, weight="weight", k=1.2 / np.sqrt(len(friends)))
    firm_of = dict(zip(current["slot"], current["firm"], strict=True))
    with plt.rc_context(SLIDE_STYLE):
        figure, axis = plt.subplots(figsize=(11, 9), layout="constrained")
        nx.draw_networkx_edges(friends, positions, ax=axis, edge_color="#cccccc", width=0.4, alpha=0.6)
        node_colours = [colours.get(firm_of.get(n, ""), "#e0e0e0") for n in friends.nodes]
        sizes = [70 if n in cascade else 22 for n in friends.nodes]
        nx.draw_networkx_nodes(friends, positions, ax=axis, node_color=node_colours, node_size=sizes,
                               linewidths=0.3, edgecolors="white")  # fmt: skip
        for firm in firms:
            edges = [(a, b) for a, b, f in cascade.edges(data="firm") if f == firm]
            if edges:
                nx.draw_networkx_edges(cascade, positions, edgelist=edges, ax=axis, edge_color=colours[firm],
                                       width=2.2, arrows=True, arrowsize=14, node_size=70)  # fmt: skip
        for firm in firms:
            axis.scatter([], [], color=colours[firm], s=60, label=f"customer of {firm}")
            axis.plot([], [], color=colours[firm], linewidth=2.2, label=f"referral into {firm}")
        axis.scatter([], [], color="#e0e0e0", s=40, label="not a customer")
        axis.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
        axis.set_axis_off()
        depth = 0
        if cascade.number_of_edges():
            try:
                depth = nx.dag_longest_path_length(cascade)
            except nx.NetworkXUnfeasible:  # someone referred back after rejoining: a cycle
                depth = max(len(nx.dfs_tree(cascade, n)) - 1 for n in cascade)
        trees = nx.number_weakly_connected_components(cascade) if cascade.number_of_nodes() else 0
        by_firm = referred["firm"].value_counts()
        counts = ", ".join(f"{by_firm.get(f, 0)} into {f}" for f in firms)
        axis.set_title(
            f"Referrals travel along friendships: {len(referred)} customers were referred ({counts}),\n"
            f"in {trees} cascades, the longest {depth} step{'s' if depth != 1 else ''} deep "
            f"({len(friends)} people; each customer's latest acquisition)"
        )
        return figure


CATEGORY_COLOURS = {"account": "#d62728", "product": "#ff7f0e", "spend": "#bcbd22"}


def lifecycle_figure(timeseries: pd.DataFrame, summary: dict) -> Figure:
    """Left: each firm's active and dormant customers over time. Right: churn events per firm by
    category (account churn, product churn, decreased spend; seed 004)."""
    firms = list(summary["firms"])
    colours = firm_colours(firms)
    figure, (left, right) = plt.subplots(1, 2, figsize=(12, 4.8), layout="constrained")
    for firm in firms:
        rows = timeseries[timeseries["firm"] == firm]
        if "run" in rows.columns and rows["run"].nunique() > 1:
            rows = rows.groupby("week", as_index=False)[["customers", "dormant"]].median()
        left.plot(
            rows["week"],
            rows["customers"] - rows["dormant"],
            color=colours[firm],
            linewidth=2,
            label=f"{firm}: active",
        )
        left.plot(
            rows["week"],
            rows["dormant"],
            color=colours[firm],
            linewidth=2,
            linestyle="--",
            label=f"{firm}: dormant",
        )
    left.set_xlabel("week")
    left.set_ylabel("customers (people)")
    left.set_title("Active and dormant customers")
    left.grid(alpha=0.3)
    left.legend(fontsize=8)
    bottom = np.zeros(len(firms))
    for category, colour in CATEGORY_COLOURS.items():
        counts = np.array([summary["firms"][f]["churn_by_category"][category] for f in firms], dtype=float)
        right.bar(
            firms,
            counts,
            bottom=bottom,
            color=colour,
            label=f"{category} churn" if category != "spend" else "decreased spend",
        )
        bottom += counts
    right.set_ylabel("churn events (count)")
    right.set_title("Churn by category: lost, fewer products, lower spend")
    right.grid(alpha=0.3, axis="y")
    right.legend(fontsize=8)
    dormant_share = {
        f: summary["firms"][f]["dormant_end"] / summary["firms"][f]["customers_end"]
        for f in firms
        if summary["firms"][f]["customers_end"]
    }
    if dormant_share:
        worst = max(dormant_share, key=dormant_share.get)
        figure.suptitle(
            f"Lifecycle: {100 * dormant_share[worst]:.0f}% of {worst}'s customers are dormant at the end"
        )
    return figure


def pareto_figure(
    candidates: pd.DataFrame,
    metrics: list[str],
    minimise: list[bool],
    references: pd.DataFrame | None = None,
    chosen: int | None = None,
    labels: dict[str, str] | None = None,
    title: str | None = None,
) -> Figure:
    """The trade-off between two or three objectives (``sim optimise``): every candidate plan
    (grey; hollow if it missed a constraint), the Pareto front (``pareto`` column; joined for two
    objectives), the chosen plan (a star) and the reference strategies (labelled squares). With
    three objectives one panel per pair.

    Args:
        candidates: one row per plan with the ``metrics`` columns, ``feasible`` and ``pareto``.
        metrics: the two or three columns to plot.
        minimise: per metric, whether lower is better (shown in the axis label).
        references: one row per reference strategy: ``strategy`` and the ``metrics`` columns.
        chosen: the index label of the chosen plan in ``candidates``.
        labels: axis label per metric (default: the metric name).
        title: the figure's title.

    Example:
        >>> import pandas as pd
        >>> table = pd.DataFrame({"a": [1.0, 2.0], "b": [2.0, 1.0], "feasible": True, "pareto": True})
        >>> pareto_figure(table, ["a", "b"], [False, False]).axes[0].get_xlabel()
        'a (higher is better)'
    """
    import textwrap

    labels = labels or {}
    pairs = [(0, 1)] if len(metrics) == 2 else [(0, 1), (0, 2), (1, 2)]
    width = 8.0 if len(pairs) == 1 else 6.2 * len(pairs)
    figure, axes = plt.subplots(1, len(pairs), figsize=(width, 5.6), layout="constrained", squeeze=False)
    feasible = candidates["feasible"].astype(bool)
    front = candidates["pareto"].astype(bool)
    for axis, (i, j) in zip(axes[0], pairs, strict=True):
        x, y = metrics[i], metrics[j]
        ok = candidates[feasible & ~front]
        axis.scatter(ok[x], ok[y], s=18, color="#7f7f7f", alpha=0.5, label="candidate plan")
        missed = candidates[~feasible]
        if len(missed):
            axis.scatter(missed[x], missed[y], s=18, facecolors="none", edgecolors="#7f7f7f", alpha=0.6,
                         label="missed a constraint")  # fmt: skip
        best = candidates[front].sort_values(x)
        if len(metrics) == 2:
            axis.plot(best[x], best[y], "-o", color=PALETTE[0], linewidth=1.5, markersize=5,
                      label="Pareto front")  # fmt: skip
        else:
            axis.scatter(best[x], best[y], s=30, color=PALETTE[0], label="Pareto front (all three)")
        if chosen is not None:
            axis.scatter(candidates.loc[chosen, x], candidates.loc[chosen, y], marker="*", s=260,
                         color=PALETTE[1], edgecolors="black", zorder=5, label="chosen plan")  # fmt: skip
        if references is not None:
            for k, (_, row) in enumerate(references.iterrows()):
                colour = PALETTE[2 + k % (len(PALETTE) - 2)]
                axis.scatter(row[x], row[y], marker="s", s=55, color=colour, edgecolors="black", zorder=4)
                axis.annotate(str(row["strategy"]), (row[x], row[y]), textcoords="offset points",
                              xytext=(6, 4), fontsize=8, color=colour)  # fmt: skip
        for metric, setter in ((x, axis.set_xlabel), (y, axis.set_ylabel)):
            better = "lower" if minimise[metrics.index(metric)] else "higher"
            setter(f"{labels.get(metric, metric)} ({better} is better)")
        axis.margins(0.08)  # room for the reference labels at the edges
        from matplotlib.ticker import StrMethodFormatter

        for values, target in ((candidates[x], axis.xaxis), (candidates[y], axis.yaxis)):
            if np.nanmax(np.abs(values.to_numpy(dtype=float))) >= 1000:  # money: thousands separators
                target.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
        axis.grid(alpha=0.3)
        axis.legend(fontsize=8)
    if title:  # wrapped to the figure's width (about 11 characters per inch at this size)
        lines = [textwrap.fill(part, int(11 * width)) for part in title.split("\n")]
        figure.suptitle("\n".join(lines), fontsize=10)
    return figure
