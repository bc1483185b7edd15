"""Every outcome a run measures, declared once: its name, unit, direction and meaning.

Owns :data:`OUTCOMES`, one :class:`Outcome` per per-firm metric of a run's summary (``summary.json``;
a nested table such as ``churned_by_reason`` is one outcome per key, ``churned_by_reason.dissatisfied``,
all in the table's unit and direction), and :data:`WEEKLY`, one :class:`Series` per column of the
weekly table (``timeseries.csv``), with whether it is a stock (a 4-week month takes its mean) or a
flow (summed), and whether it may be summed over firms. A name is an outcome or it is not: no run
is needed to learn the names, and a misspelt objective, sensitivity outcome, constraint or
calibration metric is refused when its file is read. The full definitions are in docs/model.md
("Metrics"); a test checks these declarations against the keys of a real run, both ways.

Example:
    >>> outcome("cac").direction, outcome("cac").unit
    ('lower', 'currency per customer')
    >>> is_lower_better("churned_by_reason.dissatisfied"), is_lower_better("profit")
    (True, False)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Direction = Literal["higher", "lower"]

# The keys of the summary's nested tables (the engine's channel, reason, lever, response and
# churn-category names, stage names for the weekly prospects): declared here because a foundation
# module may not import the engine; tests/test_design.py checks them against a real run.
CHANNELS = ("organic", "search", "social", "influencer", "word_of_mouth", "bandwagon", "referral", "switch", "poached")  # fmt: skip
REASONS = ("died", "moved", "followed_friend", "better_value", "dissatisfied", "unappreciated")
LEVERS = (
    "search_ads", "social_ads", "influencer_seeding", "loyalty_rewards", "recognition", "personal_offers",
    "referral_programme", "acquisition_discount", "social_proof_marketing", "poaching", "communications",
    "service_quality", "complaint_handling", "reactivation", "retention_offers", "cross_sell", "up_sell",
    "reassurance",
)  # fmt: skip
RESPONSES = ("positive", "negative", "no_response", "later")
CATEGORIES = ("account", "product", "spend")
STAGES = ("awareness", "research", "comparison")


@dataclass(frozen=True)
class Outcome:
    """What a run measures: ``name`` (as in the summary, ``table.key`` inside a nested table),
    ``unit``, ``direction`` (``"higher"`` or ``"lower"`` is better) and a one-line ``description``.

    Example:
        >>> outcome("profit").better(10.0, 5.0), outcome("profit").sense
        (True, 'maximize')
    """

    name: str
    unit: str
    direction: Direction
    description: str

    @property
    def lower_is_better(self) -> bool:
        return self.direction == "lower"

    @property
    def sense(self) -> str:
        """``"minimize"`` or ``"maximize"``: the direction in an optimiser's words."""
        return "minimize" if self.lower_is_better else "maximize"

    def better(self, a: float, b: float) -> bool:
        """Whether ``a`` is strictly better than ``b``."""
        return a < b if self.lower_is_better else a > b


@dataclass(frozen=True)
class Series(Outcome):
    """A column of the weekly table: a ``stock`` (measured at the end of the week; a month is the
    mean of its weeks) or a flow (this week's; a month is the sum), ``summable`` over firms or not
    (a rating or a share is not)."""

    stock: bool = False
    summable: bool = True


def _scalar(name: str, unit: str, direction: Direction, description: str) -> dict[str, Outcome]:
    return {name: Outcome(name, unit, direction, description)}


def _table(
    name: str, keys: tuple[str, ...], unit: str, direction: Direction, description: str
) -> dict[str, Outcome]:
    """One outcome per key of a nested table, in the table's unit and direction."""
    return {
        f"{name}.{key}": Outcome(f"{name}.{key}", unit, direction, f"{description}: {key}") for key in keys
    }


# The nested tables of a firm's summary and their direction (a key follows its table's).
TABLES: dict[str, Direction] = {
    "acquired_by_channel": "higher",
    "cac_by_channel": "lower",
    "churned_by_reason": "lower",
    "spend_by_lever": "lower",
    "product_churned_by_reason": "lower",
    "spend_decreased_by_reason": "lower",
    "churn_by_category": "lower",
    "reactivation_responses": "higher",
    "campaign_responses": "higher",
}

OUTCOMES: dict[str, Outcome] = {
    **_scalar("customers_start", "customers", "higher", "customers at week 0 (the initial base)"),
    **_scalar("customers_end", "customers", "higher", "customers at the end of the last week"),
    **_scalar("acquired", "customers", "higher", "customers won during the run, all channels"),
    **_table("acquired_by_channel", CHANNELS, "customers", "higher", "customers won through a channel"),
    **_scalar(
        "cac", "currency per customer", "lower", "CAC, acquisition-only: acquisition spend / customers won"
    ),
    **_scalar(
        "cac_paid",
        "currency per customer",
        "lower",
        "acquisition spend / customers won through paid channels",
    ),
    **_table(
        "cac_by_channel",
        CHANNELS,
        "currency per customer",
        "lower",
        "spend on a channel's lever / customers it won",
    ),
    **_scalar("acquisition_spend", "currency", "lower", "spend on the conquest levers and referral rewards"),
    **_scalar(
        "retention_yearly",
        "share (0-1) per year",
        "higher",
        "yearly survival implied by the average weekly churn",
    ),
    **_scalar("churned", "customers", "lower", "customers lost during the run, all reasons"),
    **_table("churned_by_reason", REASONS, "customers", "lower", "customers lost for a reason"),
    **_scalar("revenue", "currency", "higher", "revenue of all purchases"),
    **_scalar("margin", "currency", "higher", "revenue x the firm's margin"),
    **_scalar("spend", "currency", "lower", "spend booked on all levers"),
    **_table("spend_by_lever", LEVERS, "currency", "lower", "spend booked on a lever"),
    **_scalar("profit", "currency", "higher", "margin - spend"),
    **_scalar(
        "ltv",
        "currency per customer",
        "higher",
        "LTV gross: discounted margin of the customers won / customers won",
    ),
    **_scalar("ltv_cac", "ratio", "higher", "LTV gross / acquisition-only CAC"),
    **_scalar(
        "cac_fully_loaded", "currency per customer", "lower", "CAC, fully loaded: all spend / customers won"
    ),
    **_scalar("retention_spend", "currency", "lower", "spend on the retention levers"),
    **_scalar(
        "cost_to_retain", "currency per customer-year", "lower", "retention spend / customer-years kept"
    ),
    **_scalar(
        "ltv_net",
        "currency per customer",
        "higher",
        "LTV net of the retention spend that kept the customers won",
    ),
    **_scalar("ltv_net_cac_fully_loaded", "ratio", "higher", "LTV net / fully loaded CAC"),
    **_scalar("roi", "ratio", "higher", "(margin - spend) / spend"),
    **_scalar(
        "payback_weeks", "weeks", "lower", "weeks until a customer's margin repays the acquisition-only CAC"
    ),
    **_scalar(
        "payback_weeks_fully_loaded",
        "weeks",
        "lower",
        "weeks until a customer's margin repays the fully loaded CAC",
    ),
    **_scalar(
        "ltv_projected",
        "currency per customer",
        "higher",
        "projected lifetime value of a customer held at the end",
    ),
    **_scalar("customer_equity", "currency", "higher", "customers at the end x projected LTV"),
    **_scalar("profit_discounted", "currency", "higher", "profit with each week discounted to week 0"),
    **_scalar("total_value", "currency", "higher", "discounted profit + discounted customer equity"),
    **_scalar(
        "market_share_end", "share (0-1)", "higher", "customers at the end / all firms' customers at the end"
    ),
    **_scalar("referrals_made", "referrals", "higher", "referrals that reached a prospect friend"),
    **_scalar("referrals_converted", "customers", "higher", "referrals that won the friend as a customer"),
    **_scalar("complaints", "complaints", "lower", "complaints made"),
    **_scalar("complaint_rate", "share (0-1)", "lower", "complaints / dissatisfying experiences"),
    **_scalar(
        "complaints_handled", "complaints", "higher", "complaints handled by the complaint-handling lever"
    ),
    **_scalar("rating_end", "stars (1-5)", "higher", "the public rating at the end of the last week"),
    **_scalar("price_end", "currency per purchase", "higher", "the list price in force in the last week"),
    **_scalar("margin_rate", "share (0-1)", "higher", "margin / revenue: the share of revenue kept"),
    **_scalar(
        "released_on_exit", "customers", "lower", "customers returned to the market when the firm closed"
    ),
    **_scalar("product_churned", "events", "lower", "a staying customer dropped a product (partial churn)"),
    **_table("product_churned_by_reason", REASONS, "events", "lower", "product-churn events for a reason"),
    **_scalar("spend_decreased", "events", "lower", "a staying customer's spend level fell (partial churn)"),
    **_table("spend_decreased_by_reason", REASONS, "events", "lower", "decreased-spend events for a reason"),
    **_table("churn_by_category", CATEGORIES, "events", "lower", "churn events of a category"),
    **_scalar("dormant_end", "customers", "lower", "dormant customers at the end of the last week"),
    **_scalar("became_dormant", "customers", "lower", "customers who became dormant during the run"),
    **_scalar("reactivation_contacts", "contacts", "higher", "reactivation contacts that got a response"),
    **_table("reactivation_responses", RESPONSES, "contacts", "higher", "reactivation contacts by response"),
    **_table("campaign_responses", RESPONSES, "contacts", "higher", "ad contacts of prospects by response"),
    **_scalar("reactivated", "customers", "higher", "dormant customers won back"),
    **_scalar("returned_by_themselves", "customers", "higher", "dormant customers who came back unprompted"),
    **_scalar("reactivation_rate", "share (0-1)", "higher", "reactivated / reactivation contacts"),
    **_scalar("reactivated_revenue", "currency", "higher", "revenue from customers after their reactivation"),
    **_scalar("tier_downgrades", "customers", "lower", "customers whose loyalty tier fell at a review"),
    **_scalar(
        "referred_churn_hazard",
        "exits per customer-week",
        "lower",
        "weekly churn hazard of customers won by referral",
    ),
    **_scalar(
        "other_churn_hazard",
        "exits per customer-week",
        "lower",
        "weekly churn hazard of customers won otherwise",
    ),
    **_scalar(
        "referred_ltv",
        "currency per customer",
        "higher",
        "realised lifetime value of the customers won by referral",
    ),
    **_scalar(
        "other_ltv",
        "currency per customer",
        "higher",
        "realised lifetime value of the customers won otherwise",
    ),
    **_scalar(
        "products_per_customer_end",
        "products per customer",
        "higher",
        "products held per active customer at the end of the last week",
    ),
    **_scalar(
        "products_per_customer",
        "products per customer",
        "higher",
        "products held per active customer over the run (per active customer-week)",
    ),
    **_scalar("spend_level_end", "spend level", "higher", "mean spend level of active customers at the end"),
    **_scalar(
        "extra_product_revenue",
        "currency",
        "higher",
        "revenue from products beyond the first (revenue x (products - 1) / products)",
    ),
    **_scalar(
        "extra_product_revenue_share",
        "share (0-1)",
        "higher",
        "revenue from products beyond the first / revenue",
    ),
    **_scalar("cross_sell_offers", "offers", "higher", "cross-sell offers to customers who could take them"),
    **_scalar("cross_sells", "products", "higher", "cross-sell offers accepted (products added)"),
    **_scalar("cross_sell_acceptance", "share (0-1)", "higher", "cross-sells / cross-sell offers"),
    **_scalar("up_sell_offers", "offers", "higher", "up-sell offers to customers who could take them"),
    **_scalar("up_sells", "customers", "higher", "up-sell offers accepted (spend level raised)"),
    **_scalar("up_sell_acceptance", "share (0-1)", "higher", "up-sells / up-sell offers"),
    **_scalar("remorse_exits", "customers", "lower", "new customers lost to buyer's remorse (in churned)"),
}


def _series(
    name: str, unit: str, direction: Direction, description: str, stock: bool = False, summable: bool = True
) -> dict[str, Series]:
    return {name: Series(name, unit, direction, description, stock, summable)}


def _columns(
    prefix: str, keys: tuple[str, ...], unit: str, direction: Direction, description: str, stock: bool = False
) -> dict[str, Series]:
    return {
        f"{prefix}{key}": Series(f"{prefix}{key}", unit, direction, f"{description}: {key}", stock)
        for key in keys
    }


# The weekly table's columns besides ``week`` and ``firm``, in its order.
WEEKLY: dict[str, Series] = {
    **_series("customers", "customers", "higher", "customers at the end of the week", stock=True),
    **_series("new_customers", "customers per week", "higher", "customers won this week, all channels"),
    **_columns("new_", CHANNELS, "customers per week", "higher", "customers won this week through a channel"),
    **_series("churned", "customers per week", "lower", "customers lost this week, all reasons"),
    **_columns("churned_", REASONS, "customers per week", "lower", "customers lost this week for a reason"),
    **_series("product_churned", "events per week", "lower", "product-churn events this week"),
    **_series("spend_decreased", "events per week", "lower", "decreased-spend events this week"),
    **_series("dormant", "customers", "lower", "dormant customers at the end of the week", stock=True),
    **_series(
        "reactivation_contacts", "contacts per week", "higher", "reactivation contacts with a response"
    ),
    **_columns(
        "prospects_",
        STAGES,
        "people",
        "higher",
        "prospects in a buying-cycle stage (market-wide)",
        stock=True,
    ),
    **_series("spend", "currency per week", "lower", "spend booked this week on all levers"),
    **_series(
        "acquisition_spend", "currency per week", "lower", "spend on conquest levers and referral rewards"
    ),
    **_columns("spend_", LEVERS, "currency per week", "lower", "spend booked this week on a lever"),
    **_series("revenue", "currency per week", "higher", "revenue this week"),
    **_series("margin", "currency per week", "higher", "gross margin this week"),
    **_series("ltv_margin", "currency per week", "higher", "margin of customers won in the run, discounted"),
    **_series("referrals_made", "referrals per week", "higher", "referrals made this week"),
    **_series("referrals_converted", "customers per week", "higher", "referrals converted this week"),
    **_series("dissatisfied", "experiences per week", "lower", "dissatisfying experiences this week"),
    **_series("complaints", "complaints per week", "lower", "complaints this week"),
    **_series("complaints_handled", "complaints per week", "higher", "complaints handled this week"),
    **_series("reviews", "reviews per week", "higher", "reviews posted this week"),
    **_series("became_dormant", "customers per week", "lower", "customers who became dormant this week"),
    **_series("reactivated", "customers per week", "higher", "dormant customers won back this week"),
    **_series("returned", "customers per week", "higher", "dormant customers who came back unprompted"),
    **_series("reactivated_revenue", "currency per week", "higher", "revenue from reactivated customers"),
    **_series("downgrades", "customers per week", "lower", "customers downgraded at this week's tier review"),
    **_series(
        "ltv_margin_referred", "currency per week", "higher", "the part of ltv_margin from referred customers"
    ),
    **_series(
        "churned_referred", "customers per week", "lower", "customers won by referral who left this week"
    ),
    **_series(
        "churned_other_won", "customers per week", "lower", "customers won otherwise who left this week"
    ),
    **_series("cross_sell_offers", "offers per week", "higher", "cross-sell offers that counted this week"),
    **_series("cross_sells", "products per week", "higher", "cross-sell offers accepted this week"),
    **_series("up_sell_offers", "offers per week", "higher", "up-sell offers that counted this week"),
    **_series("up_sells", "customers per week", "higher", "up-sell offers accepted this week"),
    **_series("remorse_exits", "customers per week", "lower", "buyer's-remorse exits this week"),
    **_series(
        "extra_product_revenue", "currency per week", "higher", "revenue from products beyond the first"
    ),
    **_series(
        "released", "customers per week", "lower", "customers returned to the market as the firm closed"
    ),
    **_series("profit", "currency per week", "higher", "margin - spend this week"),
    **_series(
        "rating", "stars (1-5)", "higher", "public rating at the end of the week", stock=True, summable=False
    ),
    **_series("price", "currency per purchase", "higher", "list price in force", stock=True, summable=False),
    **_series(
        "in_market",
        "true/false",
        "higher",
        "the firm is in the market (entered, not exited)",
        stock=True,
        summable=False,
    ),
    **_series(
        "market_share",
        "share (0-1)",
        "higher",
        "customers / all firms' customers",
        stock=True,
        summable=False,
    ),
    **_series("products_held", "products", "higher", "products held by active customers", stock=True),
    **_series(
        "products_per_customer",
        "products per customer",
        "higher",
        "products held per active customer (0 with none)",
        stock=True,
        summable=False,
    ),
    **_series(
        "spend_level_per_customer",
        "spend level",
        "higher",
        "mean spend level of active customers (0 with none)",
        stock=True,
        summable=False,
    ),
}


def outcome(name: str) -> Outcome:
    """The declaration of the per-firm outcome ``name``.

    Raises:
        KeyError: ``name`` is not an outcome; the message lists the outcomes.

    Example:
        >>> outcome("retention_yearly").unit
        'share (0-1) per year'
    """
    try:
        return OUTCOMES[name]
    except KeyError:
        raise KeyError(f"{name!r} is not a per-firm outcome; outcomes: {', '.join(OUTCOMES)}") from None


def is_lower_better(name: str) -> bool:
    """Whether a smaller value of outcome ``name`` (or of every key of the table ``name``) is better.

    Example:
        >>> is_lower_better("cac"), is_lower_better("spend_by_lever"), is_lower_better("ltv")
        (True, True, False)
    """
    if name in TABLES:
        return TABLES[name] == "lower"
    return outcome(name).lower_is_better
