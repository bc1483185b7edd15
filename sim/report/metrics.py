"""What a report shows of each metric: its label, how its value is written and why it may be undefined.

Owns the rows of the report's comparison table (:data:`REPORT_METRICS`: every number the executive
summary quotes is one of these, or a paired difference of one, so it is on the page), how a
difference of shares is written (percentage points), the spend behind each cost per customer (a
cost is "nothing spent" when that spend is zero) and how a compared group is titled.

Example:
    >>> FORMAT["retention_yearly"](0.8), GAP_FORMAT["retention_yearly"](0.05)
    ('80.0%', '5.0 pp')
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from sim.scenario import Scenario

if TYPE_CHECKING:
    pass


# The metrics of the comparison table: name, label, formatter. Every number the executive
# summary quotes is one of these (or a paired difference of one), so it is on the page.
REPORT_METRICS: list[tuple[str, str, Callable[[float], str]]] = [
    ("profit", "profit over the run (margin - marketing spend)", lambda v: f"{v:,.0f}"),
    ("customer_equity", "customer equity: value of the customers held at the end", lambda v: f"{v:,.0f}"),
    ("total_value", "discounted profit + discounted customer equity", lambda v: f"{v:,.0f}"),
    ("customers_end", "customers at the end (people)", lambda v: f"{v:,.0f}"),
    ("market_share_end", "market share at the end", lambda v: f"{100 * v:.1f}%"),
    ("acquired", "customers won (people)", lambda v: f"{v:,.0f}"),
    ("cac", "CAC, acquisition-only: acquisition spend per customer won", lambda v: f"{v:,.2f}"),
    ("cac_fully_loaded", "CAC, fully loaded: all marketing spend per customer won", lambda v: f"{v:,.2f}"),
    ("cost_to_retain", "cost to retain: retention spend per customer-year", lambda v: f"{v:,.2f}"),
    ("retention_yearly", "retention per year", lambda v: f"{100 * v:.1f}%"),
    ("churned", "customers lost (people)", lambda v: f"{v:,.0f}"),
    ("ltv", "LTV gross: discounted margin per customer won", lambda v: f"{v:,.2f}"),
    ("ltv_net", "LTV net of retention cost, per customer won", lambda v: f"{v:,.2f}"),
    ("ltv_net_cac_fully_loaded", "LTV net / CAC fully loaded", lambda v: f"{v:.2f}"),
    ("payback_weeks_fully_loaded", "payback on fully loaded CAC (weeks)", lambda v: f"{v:,.1f}"),
    ("revenue", "revenue", lambda v: f"{v:,.0f}"),
    ("spend", "marketing spend (acquisition + retention)", lambda v: f"{v:,.0f}"),
    ("acquisition_spend", "acquisition spend", lambda v: f"{v:,.0f}"),
    ("roi", "ROI: (margin - spend) / spend", lambda v: f"{v:.2f}"),
    ("referrals_converted", "customers won by referral (people)", lambda v: f"{v:,.0f}"),
    ("referred_ltv", "LTV gross of a referred customer", lambda v: f"{v:,.2f}"),
    ("products_per_customer_end", "products per active customer at the end", lambda v: f"{v:.2f}"),
    (
        "extra_product_revenue_share",
        "share of revenue from products beyond the first",
        lambda v: f"{100 * v:.1f}%",
    ),
]
# A cost per customer is not defined when nothing was spent: the table says so.
SPEND_BEHIND = {
    "cac": "acquisition_spend",
    "cac_fully_loaded": "spend",
    "cost_to_retain": "retention_spend",
    "ltv_net_cac_fully_loaded": "spend",
    "payback_weeks_fully_loaded": "spend",
    "roi": "spend",
}
FORMAT = {name: fmt for name, _, fmt in REPORT_METRICS}


# Differences of shares are in percentage points.
GAP_FORMAT = {
    "retention_yearly": lambda v: f"{100 * v:.1f} pp",
    "market_share_end": lambda v: f"{100 * v:.1f} pp",
    "extra_product_revenue_share": lambda v: f"{100 * v:.1f} pp",
}


class Compared(Protocol):
    """What the titles and the prose read of a report's numbers (:class:`sim.report.data.ReportData`)."""

    scenario: Scenario
    firm: str
    mode: str  # "arms" or "firms"
    seeds: list[int]
    groups: dict[str, Any]
    comparison: dict[str, Any]

    @property
    def runs(self) -> int: ...

    @property
    def weeks(self) -> int: ...


def group_title(group: str, data: Compared) -> str:
    """How the page names a compared group: an arm by its label, a firm with its strategy."""
    if data.mode == "firms":
        return f"{group} ({data.groups[group].strategy})"
    return group
