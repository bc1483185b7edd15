"""Numbers and tables as text: the formats every printed result shares, and the run summary's table.

Owns how a value is written (money with thousands separators, shares as percentages, "n/a" for
an undefined value, a signed difference, a mean with its 95% interval), how rows become an
aligned text table, and the per-firm summary table that ``sim run`` prints for one run and for
the means of several (:func:`format_summary`, used by :class:`sim.results.SimulationResult` and
:class:`sim.experiments.Replicates`). Imports nothing beyond the standard library, so the command
line's help does not pay for it.

Example:
    >>> money(1234.5), percent(0.25), interval(money2, 3.0, [2.5, 3.5]), signed(money, -7)
    ('1,234', '25.0%', '3.00 [2.50, 3.50]', '-7')
    >>> print("\\n".join(aligned(["", "us"], [["profit", "12"], ["customers won", "3"]])))
                   us
    -------------  --
    profit         12
    customers won   3
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Format = Callable[[float], str]


def money(value: float | None) -> str:
    """Whole currency units with thousands separators; "n/a" when undefined."""
    return "n/a" if value is None else f"{value:,.0f}"


def money2(value: float | None) -> str:
    """Currency to the cent (a cost or value per customer); "n/a" when undefined."""
    return "n/a" if value is None else f"{value:,.2f}"


def percent(value: float | None) -> str:
    """A share as a percentage with one decimal; "n/a" when undefined."""
    return "n/a" if value is None else f"{100 * value:.1f}%"


def ratio(value: float | None) -> str:
    """A ratio to two decimals; "n/a" when undefined."""
    return "n/a" if value is None else f"{value:.2f}"


def count(value: float | None) -> str:
    """A count; a mean of counts keeps one decimal."""
    if value is None:
        return "n/a"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def interval(fmt: Format, mean: float | None, ci: list[float] | None) -> str:
    """``mean [low, high]`` (just the mean without an interval; "n/a" without a mean)."""
    if mean is None:
        return "n/a"
    return fmt(mean) if not ci else f"{fmt(mean)} [{fmt(ci[0])}, {fmt(ci[1])}]"


def signed(fmt: Format, value: float) -> str:
    """A difference with its sign: ``+12`` or ``-12``."""
    return ("+" if value >= 0 else "-") + fmt(abs(value))


def signed_interval(fmt: Format, mean: float | None, ci: list[float] | None) -> str:
    """A difference with its sign and its 95% interval, each end signed: ``+3 [-1, +7]``."""
    if mean is None:
        return "n/a"
    if not ci:
        return signed(fmt, mean)
    return f"{signed(fmt, mean)} [{signed(fmt, ci[0])}, {signed(fmt, ci[1])}]"


def aligned(header: list[str], body: list[list[str]]) -> list[str]:
    """Rows as aligned text lines: the first column left-aligned, the others right-aligned, a rule
    of dashes under the header."""
    widths = [max(len(row[i]) for row in [header, *body]) for i in range(len(header))]
    out = ["  ".join(h.ljust(widths[0]) if i == 0 else h.rjust(widths[i]) for i, h in enumerate(header))]
    out.append("  ".join("-" * w for w in widths))
    for row in body:
        out.append("  ".join(c.ljust(widths[0]) if i == 0 else c.rjust(widths[i]) for i, c in enumerate(row)))
    return out


# --------------------------------------------------------------------------- the run summary's table


def _top_reason(reasons: dict[str, int]) -> str:
    total = sum(reasons.values())
    if not total:
        return "n/a"
    reason = max(reasons, key=reasons.get)
    return f"{reason.replace('_', ' ')} ({100 * reasons[reason] / total:.0f}%)"


def _cost(metric: str, spend: str, fmt: Format = money2) -> Callable[[dict[str, Any]], str]:
    """A cost per customer (or per customer-year): "nothing spent" when the spend behind it is zero,
    "none won" when nobody was won, never a cost of 0.00 or a bare n/a."""

    def render(f: dict[str, Any]) -> str:
        if f[metric] is not None:
            return fmt(f[metric])
        return "nothing spent" if not f.get(spend) else "none won" if not f.get("acquired") else "n/a"

    return render


def _payback(metric: str, spend: str) -> Callable[[dict[str, Any]], str]:
    def render(f: dict[str, Any]) -> str:
        if f[metric] is not None:
            weeks = f"{f[metric]:,.0f}" if float(f[metric]).is_integer() else f"{f[metric]:,.1f}"
            return f"{weeks} week" if weeks == "1" else f"{weeks} weeks"
        if not f.get(spend):
            return "nothing spent"
        if not f.get("acquired"):
            return "none won"
        missed = f.get("_censored", {}).get(metric)
        runs = f" in {missed} of {f['_runs']} runs" if missed else ""
        return f"not within {f.get('_weeks', '?')} weeks{runs}"

    return render


def _spend(f: dict[str, Any]) -> str:
    return f"{money(f['spend'])} = {money(f['acquisition_spend'])} acq. + {money(f['retention_spend'])} ret."


# label, renderer, the metric behind the row (for its confidence interval; None: no interval)
ROWS_WITH_METRIC: list[tuple[str, Callable[[dict[str, Any]], str], str | None]] = [
    ("customers (start -> end)", lambda f: f"{count(f['customers_start'])} -> {count(f['customers_end'])}", None),
    ("market share at end", lambda f: percent(f["market_share_end"]), "market_share_end"),
    ("customers won", lambda f: count(f["acquired"]), "acquired"),
    ("CAC, acquisition-only (acquisition spend / won)", _cost("cac", "acquisition_spend"), "cac"),
    ("CAC, fully loaded (all marketing spend / won)", _cost("cac_fully_loaded", "spend"), "cac_fully_loaded"),
    ("cost to retain (retention spend / customer-year)", _cost("cost_to_retain", "retention_spend"), "cost_to_retain"),
    ("retention per year", lambda f: percent(f["retention_yearly"]), "retention_yearly"),
    ("churned", lambda f: count(f["churned"]), "churned"),
    ("main churn reason", lambda f: _top_reason(f["churned_by_reason"]), None),
    ("revenue", lambda f: money(f["revenue"]), "revenue"),
    ("margin", lambda f: money(f["margin"]), "margin"),
    ("marketing spend (acquisition + retention)", _spend, None),
    ("profit (margin - spend)", lambda f: money(f["profit"]), "profit"),
    ("ROI ((margin - spend) / spend)", _cost("roi", "spend", ratio), "roi"),
    ("LTV gross (discounted margin / won)", lambda f: money2(f["ltv"]), "ltv"),
    ("LTV net of retention cost", lambda f: money2(f["ltv_net"]), "ltv_net"),
    ("LTV net / CAC fully loaded", _cost("ltv_net_cac_fully_loaded", "spend", ratio), "ltv_net_cac_fully_loaded"),
    ("payback on acquisition CAC", _payback("payback_weeks", "acquisition_spend"), "payback_weeks"),
    ("payback on fully loaded CAC", _payback("payback_weeks_fully_loaded", "spend"), "payback_weeks_fully_loaded"),
    ("customer equity (customers held at end)", lambda f: money(f["customer_equity"]), "customer_equity"),
    ("products per active customer at end", lambda f: ratio(f["products_per_customer_end"]), "products_per_customer_end"),
    ("revenue from products beyond the first", lambda f: percent(f["extra_product_revenue_share"]), "extra_product_revenue_share"),
]  # fmt: skip


def _shown(summary: dict[str, Any], firm: str) -> dict[str, Any]:
    """A firm's summary with what its renderers need besides: the weeks, and for means over runs
    the number of runs and of runs a censored metric (payback) was not reached in."""
    return {
        **summary["firms"][firm],
        "_weeks": summary["weeks"],
        "_runs": summary.get("runs", 1),
        "_censored": summary.get("censored", {}).get(firm, {}),
    }


def _with_ci(
    render: Callable[[dict[str, Any]], str],
    firm: dict[str, Any],
    ci95: dict[str, Any] | None,
    metric: str | None,
) -> str:
    text = render(firm)
    if ci95 is None or metric is None or not ci95.get(metric):
        return text
    low, high = ci95[metric]
    return f"{text} [{render({**firm, metric: low})}, {render({**firm, metric: high})}]"


def format_summary(summary: dict[str, Any], ci95: dict[str, Any] | None = None) -> str:
    """The per-firm summary as an aligned text table (firms side by side); with ``ci95`` (means
    of several runs) each metric that has an interval is followed by it."""
    firms = list(summary["firms"])
    header = ["", *firms]
    body = [
        [
            label,
            *(_with_ci(render, _shown(summary, firm), (ci95 or {}).get(firm), metric) for firm in firms),
        ]
        for label, render, metric in ROWS_WITH_METRIC
    ]
    seeds = summary["seeds"] if "seeds" in summary else [summary["seed"]]
    what = (
        f"seed {seeds[0]}"
        if len(seeds) == 1
        else f"means of {len(seeds)} runs (seeds {seeds[0]}-{seeds[-1]}) [95% CI]"
    )
    lines = [f"Scenario {summary['scenario']!r}, {what}, {summary['weeks']} weeks", *aligned(header, body)]
    lines.append(
        "Acquisition spend: conquest levers and referral rewards; retention spend: the other relations "
        "levers (docs/model.md, metrics glossary)."
    )
    events = summary.get("events") or []
    if events:
        lines.append("Events: " + "; ".join(_event_words(event) for event in events) + ".")
    return "\n".join(lines)


def _event_words(event: dict[str, Any]) -> str:
    """One struck event as the run table names it: ``challenger (enter, week 53)``, with the week
    its effect ended and whether it was triggered live."""
    until = f" to {event['end'] - 1}" if event.get("end") is not None else ""
    live = ", live" if event.get("live") else ""
    return f"{event['name']} ({event['kind']}, week {event['week']}{until}{live})"
