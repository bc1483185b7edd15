"""The report's executive summary: the verdict and the evidence, in prose written from the numbers.

Owns :func:`executive_summary`: what was compared; the verdict on profit and customer equity with
paired 95% CIs; the evidence (fully loaded CAC, LTV net of retention cost, retention, customers);
a note when acquisition-only CAC leaves out too much of the spend; and the bottom line. Every
number it quotes is on the page (the comparison and ranking tables) or computed from numbers there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim.formatting import interval, signed, signed_interval
from sim.report.metrics import FORMAT, GAP_FORMAT, SPEND_BEHIND, Compared, group_title
from sim.statistics import lower_is_better

if TYPE_CHECKING:
    from sim.scenario import Scenario


# The evidence behind the verdict: metric, title, unit. Costs are fully loaded and values net of
# retention cost, so that no bullet treats money spent on keeping customers as free.
_SUMMARY_METRICS = [
    (
        "cac_fully_loaded",
        "Cost to win a customer (CAC, fully loaded)",
        "all marketing spend per customer won",
    ),
    ("ltv_net", "Lifetime value (LTV) net of retention cost", "discounted margin per customer won"),
    ("retention_yearly", "Retention", "share of customers kept per year"),
    ("customers_end", "Customers at the end", "people"),
]
# The verdict's two measures and how the summary names them.
_HEADLINE_TITLES = {
    "profit": ("Profit", "margin minus all marketing spend over the run"),
    "customer_equity": (
        "Customer equity",
        "the value of the customers held at the end: their projected margin net of what keeping "
        "them costs, discounted",
    ),
}
# A ratio is never the headline when its denominator leaves out more than this share of the spend.
RATIO_SPEND_TOLERANCE = 0.1


def _verdict(data: Compared, metric: str, title: str, unit: str) -> str:
    """One bullet: who is best on ``metric``, the means with their CIs, and the paired difference
    exactly as the comparison table shows it (a group minus the first), clear of zero or not."""
    arms = data.comparison["arms"]
    fmt = FORMAT[metric]
    means = {g: arms[g][metric]["mean"] for g in data.groups if arms[g][metric]["mean"] is not None}
    missing = {g: _undefined_because(data, metric, g) for g in data.groups if g not in means}
    if len(means) < 2:
        shown = [
            f"{group_title(g, data)} {interval(fmt, arms[g][metric]['mean'], arms[g][metric]['ci95'])}"
            for g in means
        ] + [f"{group_title(g, data)}: {why}" for g, why in missing.items()]
        return f"- **{title}** ({unit}): " + "; ".join(shown) + "; nothing to compare."
    pick = min if lower_is_better(metric) else max
    best = pick(means, key=means.get)
    base = data.comparison["baseline_arm"]
    diff_arm = best if best != base else pick((g for g in means if g != base), key=means.get)
    diff = data.comparison["differences"][diff_arm][metric]
    ranked = sorted(means, key=means.get, reverse=pick is max)
    values = ", ".join(
        f"{group_title(g, data)} {interval(fmt, arms[g][metric]['mean'], arms[g][metric]['ci95'])}"
        for g in ranked
    )
    if missing:
        values += "; " + ", ".join(f"{group_title(g, data)}: {why}" for g, why in missing.items())
    gap = signed_interval(GAP_FORMAT.get(metric, fmt), diff["mean"], diff["ci95"])
    if diff["ci95"] is None:
        return f"- **{title}** ({unit}): {values}; too few runs for an interval."
    low, high = diff["ci95"]
    if low > 0 or high < 0:
        return (
            f"- **{title}** ({unit}): **{group_title(best, data)} is better**: {values}. "
            f"Paired difference {diff_arm} - {base}: {gap}, clear of zero."
        )
    return (
        f"- **{title}** ({unit}): **no clear winner**: {values}. "
        f"Paired difference {diff_arm} - {base}: {gap}, which includes zero: the gap is within the "
        f"noise of {data.runs} runs."
    )


def _undefined_because(data: Compared, metric: str, group: str) -> str:
    """Why a metric has no value for a group, as the table says it."""
    spend = SPEND_BEHIND.get(metric)
    if spend and not data.comparison["arms"][group][spend]["mean"]:
        return "nothing spent"
    if metric.startswith("payback"):
        return f"not paid back within {data.weeks} weeks"
    return "not defined (no customers won)"


def _noun(data: Compared) -> str:
    return "strategy" if data.mode == "arms" else "firm"


def _headline(data: Compared, metric: str) -> tuple[str, str | None, bool]:
    """The bullet for one headline measure, the group ranked first (None if undefined) and whether
    its lead over every other group is clear of zero. Numbers as the ranking table shows them."""
    ranking = data.comparison["rankings"][metric]
    title, unit = _HEADLINE_TITLES[metric]
    fmt = FORMAT[metric]
    if not ranking["order"]:
        return f"- **{title}** ({unit}): not defined (no customers held).", None, False
    best = ranking["best"]
    arms = data.comparison["arms"]
    values = ", ".join(
        f"{group_title(g, data)} {interval(fmt, arms[g][metric]['mean'], arms[g][metric]['ci95'])}"
        for g in ranking["order"]
    )
    leads = []
    clear = True
    for other, diff in ranking["versus"].items():
        if diff["ci95"] is None:
            leads.append(f"ahead of {group_title(other, data)} by {signed(fmt, diff['mean'])} (too few runs)")
            clear = False
            continue
        state = "clear of zero" if diff["clear"] else "within the noise"
        clear = clear and diff["clear"]
        leads.append(
            f"ahead of {group_title(other, data)} by {signed_interval(fmt, diff['mean'], diff['ci95'])} ({state})"
        )
    verdict = (
        f"**{group_title(best, data)} is ahead**"
        if clear
        else f"**{group_title(best, data)} leads, not clearly**"
    )
    return (
        f"- **{title}** ({unit}): {verdict}: {values}. Paired by seed, {group_title(best, data)} is "
        + "; ".join(leads)
        + ".",
        best,
        clear,
    )


def _left_out_ratios(data: Compared) -> str | None:
    """Why acquisition-only CAC and LTV / CAC are not the headline: the share of a group's spend
    their denominator leaves out, from the spend rows of the table."""
    arms = data.comparison["arms"]
    notes = []
    for g in data.groups:
        spend = arms[g]["spend"]["mean"] or 0.0
        acquisition = arms[g]["acquisition_spend"]["mean"] or 0.0
        if spend > 0 and 1 - acquisition / spend > RATIO_SPEND_TOLERANCE:
            notes.append(
                f"{group_title(g, data)} spends {FORMAT['spend'](spend)}, of which "
                f"{FORMAT['acquisition_spend'](acquisition)} on acquisition: {100 * (1 - acquisition / spend):.0f}% left out"
            )
    if not notes:
        return None
    return (
        "Acquisition-only CAC (and LTV over it) is shown in the table but not used to judge: its "
        "denominator leaves out more than a tenth of the spend (" + "; ".join(notes) + "). "
        "The costs above are fully loaded and the values net of retention cost, so every dollar is "
        "counted once."
    )


def executive_summary(data: Compared) -> str:
    """The executive summary (Markdown): what was compared; the verdict on profit and customer
    equity with paired 95% CIs; the evidence (fully loaded CAC, LTV net of retention cost,
    retention, customers); and the bottom line. Every number in it is on the page (the comparison
    and ranking tables) or computed from numbers there."""
    years = data.weeks / 52
    if data.mode == "arms":
        what = (
            f"We compared **{len(data.groups)} strategies for {data.firm}** "
            f"({', '.join(data.groups)}) against the same competitor, each on the same "
            f"{data.runs} seeds ({data.seeds[0]}-{data.seeds[-1]}): every pair of runs shares its market, "
            f"network and luck, so the differences are paired."
        )
    else:
        what = (
            f"We compared **the {len(data.groups)} firms** of the market "
            f"({', '.join(group_title(g, data) for g in data.groups)}) within the same {data.runs} runs "
            f"(seeds {data.seeds[0]}-{data.seeds[-1]}); differences are paired by run."
        )
    size = data.scenario.market.size
    profit_line, profit_best, profit_clear = _headline(data, "profit")
    equity_line, equity_best, equity_clear = _headline(data, "customer_equity")
    lines = [
        f"{what} The market has {size:,} people{_simulated_on(data.scenario)}; each run covers {data.weeks} weeks ({years:.1f} years). "
        "Ranges in brackets are 95% confidence intervals over the runs.",
        "",
        "**The verdict**, on the money each "
        + _noun(data)
        + " makes over the run and the customers it leaves behind:",
        "",
        profit_line,
        equity_line,
        "",
        "**Why**:",
        "",
        *(_verdict(data, metric, title, unit) for metric, title, unit in _SUMMARY_METRICS),
        "",
    ]
    note = _left_out_ratios(data)
    if note:
        lines += [note, ""]
    lines.append(_bottom_line(data, profit_best, profit_clear, equity_best, equity_clear))
    return "\n".join(lines)


def _bottom_line(
    data: Compared, profit_best: str | None, profit_clear: bool, equity_best: str | None, equity_clear: bool
) -> str:
    arms = data.comparison["arms"]
    if profit_best is None:
        return "**Bottom line:** profit is not defined for these runs."
    profit = FORMAT["profit"](arms[profit_best]["profit"]["mean"])
    sentence = (
        f"**Bottom line:** {group_title(profit_best, data)} makes the most profit ({profit} on average)"
    )
    if not profit_clear:
        sentence += ", though not clearly: the gap is within the noise of these runs"
    if equity_best is None:
        return sentence + "."
    equity = FORMAT["customer_equity"](arms[equity_best]["customer_equity"]["mean"])
    if equity_best == profit_best:
        sentence += f" and leaves the most valuable customer base (customer equity {equity})"
        if not equity_clear:
            sentence += ", not clearly"
        return sentence + "."
    sentence += (
        f"; {group_title(equity_best, data)} leaves the more valuable customer base (customer equity {equity}"
        + ("" if equity_clear else ", not clearly")
        + ")"
    )
    totals = {
        g: arms[g]["total_value"]["mean"] for g in data.groups if arms[g]["total_value"]["mean"] is not None
    }
    if totals:
        best_total = max(totals, key=totals.get)
        sentence += (
            f". Counting both, discounted profit plus discounted equity is highest for "
            f"{group_title(best_total, data)} ({FORMAT['total_value'](totals[best_total])})"
        )
    return sentence + "."


def _simulated_on(scenario: Scenario) -> str:
    """ ", simulated on N people (each standing for S)" for a scaled market, else nothing."""
    market = scenario.market
    if market.simulated is None:
        return ""
    return f" (simulated on {market.simulated:,}, each standing for {market.scale:,.4g}; counts and money are real)"
