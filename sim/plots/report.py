"""The figures of ``sim report`` and the notebooks: customers by strategy, channels, retention, churn, spend.

Each takes tidy tables or summary dicts (built by :mod:`sim.cohorts` and :mod:`sim.report` from one
run, replicates or a comparison) and returns a Figure drawn at slide size: large type, one colour
per strategy and per firm that never changes meaning. :func:`report_figures` draws every figure of
the report's page, in its order (with those of :mod:`sim.plots.value`, :mod:`sim.plots.comparison`
and, for a sweep, :mod:`sim.plots.sweep`).
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

import matplotlib
import matplotlib.pyplot as plt
import matplotlib.ticker
import matplotlib.transforms
import numpy as np
import pandas as pd

from sim.agents.customers import REASON_NAMES
from sim.plots.comparison import forest_figure
from sim.plots.layout import (
    CHANNEL_COLOURS,
    LEVER_COLOURS,
    PAID_CHANNELS,
    REASON_COLOURS,
    REASON_PHRASES,
    SLIDE_STYLE,
    finish,
    firm_colours,
    group_colours,
    mark_events,
    words,
)
from sim.plots.run import customers_figure
from sim.plots.sweep import sweep_figures
from sim.plots.value import cac_ltv_figure, value_distribution_figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def customers_by_group_figure(
    runs: dict[str, pd.DataFrame], focal: str, events: dict[str, list[dict[str, Any]]] | None = None
) -> Figure:
    """Customers of every firm over time, one panel per strategy (arm): the median over runs and
    the 10-90% band; ``runs`` maps each arm to its run x week x firm table. The panels share one
    y axis whose top is set after every panel is drawn, so that no line leaves it. ``events``
    (arm -> its events aligned over runs) are marked on each panel by name
    (:func:`sim.plots.layout.mark_events`).

    ``figure.claims``: ``ends`` (the focal firm's median in the last week, per arm) and ``best``.

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
            1,
            len(labels),
            figsize=(6.2 * len(labels) + 1.5, 5),
            sharey=True,
            layout="constrained",
            squeeze=False,
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
            axis.set_title(f"{focal} plays {words(label)}" if len(labels) > 1 else words(label))
            axis.set_xlabel("week")
            axis.grid(alpha=0.3)
        # Once, after every panel: the shared axis then spans the highest line of all of them.
        axes[0][0].set_ylim(bottom=0)
        axes[0][0].set_ylabel("customers (people)")
        marked = {
            label: mark_events(axis, (events or {}).get(label))
            for axis, label in zip(axes[0], labels, strict=True)
        }
        axes[0][-1].legend(*axes[0][0].get_legend_handles_labels(), title="firm (median,\n10-90% of runs)",
                           loc="upper left", bbox_to_anchor=(1.02, 1.0))  # fmt: skip
        best = max(ends, key=ends.get) if ends else None
        if len(ends) > 1:
            others = ", ".join(f"{v:,.0f} with {words(k)}" for k, v in ends.items() if k != best)
            figure.suptitle(
                f"{focal} ends with the most customers playing {words(best)}: {ends[best]:,.0f} vs {others} "
                "(medians)"
            )
        claims = {
            "figure": "customers_by_group",
            "focal": focal,
            "ends": ends,
            "best": best,
            "events": marked,
        }
        return finish(figure, claims)


def acquisitions_by_channel_figure(channels: pd.DataFrame) -> Figure:
    """New customers per run by acquisition channel, one stacked bar per group (strategy or
    firm); ``channels`` as from :func:`sim.cohorts.channel_table`.

    ``figure.claims``: ``totals`` (bar lengths), ``best`` and ``paid_share`` (the share of each
    bar in the paid channels, :data:`PAID_CHANNELS`)."""
    with plt.rc_context(SLIDE_STYLE):
        groups = list(dict.fromkeys(channels["group"]))
        figure, axis = plt.subplots(figsize=(11, 2.4 + 1.1 * len(groups)), layout="constrained")
        left = np.zeros(len(groups))
        paid = np.zeros(len(groups))
        for channel in CHANNEL_COLOURS:
            counts = np.array(
                [channels.loc[(channels["group"] == g) & (channels["channel"] == channel), "acquired"].sum()
                 for g in groups], dtype=float,
            )  # fmt: skip
            if not counts.any():
                continue
            axis.barh([words(g) for g in groups], counts, left=left, color=CHANNEL_COLOURS[channel],
                      label=words(channel), edgecolor="white", linewidth=0.5)  # fmt: skip
            left += counts
            if channel in PAID_CHANNELS:
                paid += counts
        totals = {g: float(t) for g, t in zip(groups, left, strict=True)}
        paid_share = {g: float(p / totals[g]) for g, p in zip(groups, paid, strict=True) if totals[g]}
        best = max(totals, key=totals.get) if totals else None
        if best is not None and totals[best] > 0:
            headline = (
                f"{words(best)} wins the most customers: "
                + ", ".join(f"{words(g)} {totals[g]:,.0f}" for g in groups)
                + " per run"
            )
            if len(groups) == 1:
                headline = f"{words(best)} wins {totals[best]:,.0f} customers per run"
        else:
            headline = "No customer was won"
        axis.set_title(
            headline
            + "\n"
            + "; ".join(f"{words(g)}: {100 * s:.0f}% through paid channels" for g, s in paid_share.items())
        )
        axis.set_xlabel("customers won over the run (people, mean of runs)")
        axis.invert_yaxis()
        axis.grid(alpha=0.3, axis="x")
        axis.legend(ncols=5, loc="upper center", bbox_to_anchor=(0.5, -0.3), frameon=False)
        return finish(
            figure,
            {"figure": "acquisitions_by_channel", "totals": totals, "best": best, "paid_share": paid_share},
        )


# Two retention curves closer than this (a share: half a percentage point) count as level.
LEVEL = 0.005


def on_top(curves: dict[str, np.ndarray], horizon: int) -> list[str | None]:
    """For each week 1..``horizon``, the group whose retention is highest by more than
    :data:`LEVEL` over every other, or None where the top two are level.

    Example:
        >>> import numpy as np
        >>> on_top({"a": np.array([1.0, 0.9, 0.5]), "b": np.array([1.0, 0.8, 0.7])}, 2)
        ['a', 'b']
    """
    names = list(curves)
    if len(names) < 2 or horizon < 1:
        return []
    matrix = np.vstack([np.asarray(curves[g], dtype=float)[1 : horizon + 1] for g in names])
    ranked = np.sort(matrix, axis=0)
    leader = np.argmax(matrix, axis=0)
    return [
        names[leader[w]] if ranked[-1, w] - ranked[-2, w] > LEVEL else None for w in range(matrix.shape[1])
    ]


def retention_story(
    curves: dict[str, np.ndarray], horizon: int, subject: str = "strategy"
) -> tuple[str, dict]:
    """The title of a retention figure and its claims, from the plotted curves (share retained
    at weeks 0, 1, ...) over the first ``horizon`` weeks, where every curve is defined. The
    headline holds over the whole horizon, not at one week: one group on top throughout; one
    group on top first and another after (one crossing); or, when the lead changes more often,
    who is on top for what share of the weeks. Weeks where the top two are within
    :data:`LEVEL` count for nobody.

    Example:
        >>> import numpy as np
        >>> early = np.array([1.0, 0.95, 0.9, 0.7, 0.6])
        >>> late = np.array([1.0, 0.9, 0.8, 0.75, 0.7])
        >>> retention_story({"conquest": early, "relations": late}, 4)[0].split(";")[0]
        'Customers won by conquest are kept best for the first 2 weeks, those won by relations after'
    """
    leaders = on_top(curves, horizon)
    weeks_on_top = {g: leaders.count(g) for g in curves}
    decided = [(week, g) for week, g in enumerate(leaders, start=1) if g is not None]
    spells = [g for g, _ in itertools.groupby(g for _, g in decided)]
    at_end = {g: float(curves[g][horizon]) for g in curves}
    who = (lambda g: f"customers won through {words(g)}") if subject == "channel" else (
        lambda g: f"customers won by {words(g)}")  # fmt: skip
    span = f"{horizon / 52:.1f} years" if horizon >= 78 else f"{horizon} weeks"
    switch = None
    if not decided:
        headline = f"The curves stay within {100 * LEVEL:.1f} points of each other for {horizon} weeks"
    elif len(spells) == 1:
        level = horizon - weeks_on_top[spells[0]]
        headline = f"{who(spells[0]).capitalize()} stay longest: highest at every week up to week {horizon}"
        if level:
            headline += f" (level in {level})"
    elif len(spells) == 2:
        first, then = spells
        last_first = max(week for week, g in decided if g == first)
        switch = {"first": first, "until": last_first, "then": then}
        headline = (
            f"{who(first).capitalize()} are kept best for the first {last_first} weeks, "
            f"{'those' if subject != 'channel' else 'customers'} won {'by' if subject != 'channel' else 'through'} "
            f"{words(then)} after"
        )
    else:
        ranked = sorted(weeks_on_top, key=weeks_on_top.get, reverse=True)
        headline = (
            f"{who(ranked[0]).capitalize()} are kept best in {100 * weeks_on_top[ranked[0]] / horizon:.0f}% "
            f"of the first {horizon} weeks ({words(ranked[1])} in {100 * weeks_on_top[ranked[1]] / horizon:.0f}%)"
        )
    order = sorted(at_end, key=at_end.get, reverse=True)
    shown = order if len(order) <= 3 else [order[0], order[-1]]
    ending = f"after {span}: " + ", ".join(f"{words(g)} {100 * at_end[g]:.0f}%" for g in shown)
    if len(order) > 3:
        ending = f"after {span}: highest {words(order[0])} {100 * at_end[order[0]]:.0f}%, lowest " + (
            f"{words(order[-1])} {100 * at_end[order[-1]]:.0f}%"
        )
    claims = {"horizon": horizon, "weeks_on_top": weeks_on_top, "spells": spells, "switch": switch,
              "at_end": at_end}  # fmt: skip
    return f"{headline};\n{ending} still customers", claims


def retention_figure(
    curves: pd.DataFrame,
    subject: str = "strategy",
    colours: dict[str, str] | None = None,
    bands: bool = True,
    of: str | None = None,
) -> Figure:
    """Cohort retention (survival) curves: the share of customers won who are still customers
    N weeks after they were won, per group, with 95% bands over runs; ``curves`` as from
    :func:`sim.cohorts.survival_table`. ``subject`` names what the groups are (for the title);
    ``bands=False`` leaves the intervals out (many groups with few customers each); ``of`` names
    whose customers they are (e.g. the strategy whose channels are compared), before the title.
    The title's claim holds over every week all the curves cover (:func:`retention_story`).

    ``figure.claims``: as :func:`retention_story`'s, or ``at_year`` for a single group.

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
        figure, axis = plt.subplots(figsize=(11, 5.8), layout="constrained")
        plotted: dict[str, np.ndarray] = {}
        at_year = {}
        for group in groups:
            rows = curves[curves["group"] == group].sort_values("week")
            colour = colours.get(group, "#444444")
            if bands:
                axis.fill_between(
                    rows["week"], 100 * rows["low"], 100 * rows["high"], color=colour, alpha=0.18, linewidth=0
                )
            axis.plot(rows["week"], 100 * rows["retained"], color=colour, linewidth=2.5, label=words(group))
            plotted[group] = rows["retained"].to_numpy(dtype=float)
            year = rows[rows["week"] == 52]
            if len(year):
                at_year[group] = float(year["retained"].iloc[0])
        axis.axvline(52, color="#555555", linestyle=":", linewidth=1)
        axis.text(53, 3, "one year", color="#555555")
        axis.set_xlabel("weeks since the customer was won")
        axis.set_ylabel("still a customer (% of those won)")
        axis.set_ylim(0, 102)
        axis.grid(alpha=0.3)
        # Beside the axes: inside, a legend would cover the curves of long, slow-falling cohorts.
        axis.legend(title=subject, loc="upper left", bbox_to_anchor=(1.01, 1.0))
        # Weeks are consecutive from 0 (sim.cohorts.survival_table), so a curve's length is its horizon.
        common = min((len(c) - 1 for c in plotted.values()), default=0)
        claims: dict[str, Any] = {"figure": "retention", "subject": subject}
        if len(groups) > 1 and common > 0:
            title, story = retention_story(plotted, common, subject)
            claims.update(story)
        elif len(groups) == 1 and at_year:
            group, share = next(iter(at_year.items()))
            title = (
                f"{100 * share:.0f}% of the customers won by {words(group)} are still customers after a year"
            )
            claims["at_year"] = at_year
        else:
            title = f"Cohort retention by {subject}"
        if of is not None:
            title = f"{words(of)}: {title[0].lower()}{title[1:]}"
        axis.set_title(title)
        return finish(figure, claims)


def churn_waterfall_figure(firms: dict[str, dict]) -> Figure:
    """Where customers came from and went, per group: customers at the start, plus those won,
    minus those lost for each reason, equals customers at the end; ``firms`` maps each group to
    its firm summary (means over runs).

    ``figure.claims``: ``main_reason`` (group -> the reason with the tallest bar, its share of
    all customers lost).

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
            steps += [(words(r), -reasons[r], REASON_COLOURS[r]) for r in REASON_NAMES]
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
            total = sum(reasons.values())
            if total:
                top_reason = max(reasons, key=reasons.get)
                headline[label] = (top_reason, reasons[top_reason] / total)
            axis.set_title(
                f"{words(label)}: {firm['customers_start']:,.0f} -> {firm['customers_end']:,.0f} customers"
            )
            axis.grid(alpha=0.3, axis="y")
            axis.margins(y=0.08)  # room above the tallest bar for its number
        axes[0][0].set_ylabel("customers (people, mean of runs)")
        parts = [f"{words(label)} loses {100 * share:.0f}% {REASON_PHRASES[reason]}"
                 for label, (reason, share) in headline.items()]  # fmt: skip
        figure.suptitle("Why customers leave: " + "; ".join(parts) if parts else "No customer left")
        return finish(figure, {"figure": "churn_waterfall", "main_reason": headline})


def spend_by_lever_figure(spend: dict[str, dict[str, float]]) -> Figure:
    """Total spend over the run by lever, one stacked bar per group; conquest levers in warm,
    relations levers in cool colours. ``spend`` maps each group to its ``spend_by_lever``.

    ``figure.claims``: ``main`` (group -> the lever with the longest segment) and ``spend``."""
    with plt.rc_context(SLIDE_STYLE):
        groups = list(spend)
        figure, axis = plt.subplots(figsize=(11, 2.6 + 1.1 * len(groups)), layout="constrained")
        left = np.zeros(len(groups))
        drawn: dict[str, dict[str, float]] = {g: {} for g in groups}
        for lever, colour in LEVER_COLOURS.items():
            amounts = np.array([spend[g].get(lever, 0.0) or 0.0 for g in groups], dtype=float)
            if not amounts.any():
                continue
            axis.barh([words(g) for g in groups], amounts, left=left, color=colour, label=words(lever),
                      edgecolor="white", linewidth=0.5)  # fmt: skip
            left += amounts
            for group, amount in zip(groups, amounts, strict=True):
                drawn[group][lever] = float(amount)
        main = {g: max(drawn[g], key=drawn[g].get) for g in groups if sum(drawn[g].values())}
        silent = [g for g in groups if g not in main]
        parts = [f"{words(g)} spends most on {words(lever)}" for g, lever in main.items()]
        parts += [f"{words(g)} spends nothing" for g in silent]
        axis.set_title("Where the budget goes: " + "; ".join(parts) if main else "No spending")
        axis.set_xlabel("spend over the run (currency, mean of runs)")
        axis.invert_yaxis()
        axis.grid(alpha=0.3, axis="x")
        axis.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:,.0f}"))
        axis.legend(ncols=4, loc="upper center", bbox_to_anchor=(0.5, -0.3), frameon=False)
        return finish(figure, {"figure": "spend_by_lever", "main": main, "spend": drawn})


def referral_cascade_figure(customers: pd.DataFrame, adjacency, firms: list[str], seed: int = 1) -> Figure:
    """Who referred whom on a small network: every person a dot coloured by their firm (grey for
    prospects), friendships as faint lines, referrals as arrows in the referred customer's firm
    colour. ``customers`` is a run's per-person table, ``adjacency`` its network's (scipy sparse).

    ``figure.claims``: ``referred`` (firm -> customers referred into it: one arrow each),
    ``cascades``, ``depth`` and ``colours`` (each firm's arrow colour).

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
        claims = {"figure": "cascade", "referred": {f: int(by_firm.get(f, 0)) for f in firms},
                  "cascades": trees, "depth": depth, "colours": colours}  # fmt: skip
        return finish(figure, claims)


def penetration_figure(runs: dict[str, pd.DataFrame], focal: str, by_group: bool) -> Figure:
    """Products held per active customer over time (penetration of the customer base): the median
    over runs and the 10-90% band, one line per group for the ``focal`` firm (``by_group``: the
    arms of a comparison) or one line per firm (one group: firms side by side).

    ``figure.claims``: ``ends`` (each line's median in the last week), ``leader`` and ``clear``
    (the leader's 10% quantile in the last week above every other line's 90%: only then does the
    title call it the highest; otherwise it gives every line's end and says the bands overlap).

    Example:
        >>> import pandas as pd
        >>> table = pd.DataFrame({"run": [1, 1], "week": [0, 1], "firm": "us",
        ...                       "products_per_customer": [1.0, 1.2]})
        >>> penetration_figure({"relations": table}, "us", True).claims["ends"]
        {'relations': 1.2}
    """
    if by_group:
        lines = {label: table[table["firm"] == focal] for label, table in runs.items()}
    else:
        table = next(iter(runs.values()))
        lines = {firm: table[table["firm"] == firm] for firm in dict.fromkeys(table["firm"])}
    colours = group_colours(list(lines))
    with plt.rc_context(SLIDE_STYLE):
        figure, axis = plt.subplots(figsize=(9, 5), layout="constrained")
        ends: dict[str, float] = {}
        bands: dict[str, tuple[float, float]] = {}
        for label, rows in lines.items():
            by_week = rows.groupby("week")["products_per_customer"]
            median, low, high = by_week.median(), by_week.quantile(0.1), by_week.quantile(0.9)
            axis.fill_between(median.index, low, high, color=colours[label], alpha=0.2, linewidth=0)
            axis.plot(median.index, median, color=colours[label], linewidth=2.5, label=label)
            ends[label] = float(median.iloc[-1])
            bands[label] = (float(low.iloc[-1]), float(high.iloc[-1]))
        axis.set_xlabel("week")
        axis.set_ylabel("products per active customer")
        axis.set_ylim(bottom=0)
        axis.grid(alpha=0.3)
        axis.legend(title="median, 10-90% of runs", loc="lower right")
        leader = max(ends, key=ends.get) if ends else None
        whose = f"{focal}'s " if by_group else ""
        clear = len(ends) > 1 and all(bands[leader][0] > bands[o][1] for o in ends if o != leader)
        if clear:
            title = f"Products per active customer: {whose}{words(leader)} ends highest, {ends[leader]:.2f}"
        elif len(ends) > 1:
            shown = ", ".join(
                f"{words(label)} {end:.2f}" for label, end in sorted(ends.items(), key=lambda e: -e[1])
            )
            title = f"Products per active customer at the end: {shown} ({whose}10-90% bands overlap)"
        else:
            title = f"Products per active customer of {whose}{words(leader)}: {ends[leader]:.2f} at the end"
        axis.set_title(title)
        return finish(figure, {"figure": "penetration", "ends": ends, "leader": leader, "clear": clear})


def report_figures(data: Any) -> dict[str, Figure]:
    """Every figure of ``sim report``, by name, in the order of the page: customers over time,
    the forest plot (two groups or more), acquisitions by channel, retention by group and by
    channel (``retention_<group>``), the churn waterfall, CAC against LTV, the value distribution,
    spend by lever, products per active customer over time (penetration), the sweep's figures (a scenario with ``[sweep]``) and the referral cascade.
    The report notebook shows these, so a test of this function covers every figure of the page.

    Args:
        data: a :class:`sim.report.ReportData` (from :func:`sim.report.gather`).
    """
    figures: dict[str, Figure] = {}
    if data.mode == "arms":
        figures["customers"] = customers_by_group_figure(data.runs_by_group(), data.firm, data.events())
    else:
        table = next(iter(data.runs_by_group().values()))
        figures["customers"] = customers_figure(table, data.scenario.name, next(iter(data.events().values())))
    if len(data.groups) > 1:
        figures["forest"] = forest_figure(data.comparison)
    channels = data.channels()
    figures["acquisitions"] = acquisitions_by_channel_figure(channels)
    figures["retention"] = retention_figure(data.retention(), "strategy" if data.mode == "arms" else "firm")
    for label in data.groups:
        curves = data.retention_by_channel(label)
        if len(curves):
            figures[f"retention_{label}"] = retention_figure(curves, "channel", bands=False, of=label)
    figures["waterfall"] = churn_waterfall_figure(data.firm_means())
    figures["cac_ltv"] = cac_ltv_figure(data.blended(), channels)
    figures["value"] = value_distribution_figure(*data.values())
    figures["spend"] = spend_by_lever_figure(data.spend())
    figures["penetration"] = penetration_figure(data.runs_by_group(), data.firm, data.mode == "arms")
    if data.sweep is not None:
        figures.update(
            sweep_figures(
                data.sweep,
                data.firm,
                list(data.scenario.sweep.uncertainties),
                data.scenario.sweep.method == "grid",
            )
        )
    if data.cascade is not None:
        figures["cascade"] = referral_cascade_figure(*data.cascade)
    return figures
