"""The summary of a run: what its weekly records add up to, per firm (the ``summary.json`` contract).

Owns the run's metrics (docs/model.md, "Metrics glossary"): acquisitions and CAC (acquisition-only,
paid, by channel, fully loaded), yearly retention, churn by reason, lifetime value gross and net of
retention cost, payback, customer equity, profit, market share, and the lifecycle counts (partial
churn, dormancy, reactivation, referred against other customers), penetration (products per
customer, revenue from products beyond the first, cross-sell and up-sell); and the same economics week by
week (:func:`running_economics`, what the dashboard draws). Every ratio names its basis; undefined
values (a CAC with no acquisitions) are ``None``, never NaN or infinity.

Example:
    >>> safe_ratio(10.0, 0)  is None
    True
    >>> safe_ratio(10.0, 4)
    2.5
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.agents.customers import CATEGORY_NAMES, CHANNEL_NAMES, REASON_NAMES, RESPONSE_NAMES, Channel
from sim.phases import run_phases
from sim.strategies.levers import ACQUISITION_LEVERS, LEVER_NAMES, LEVERS, RETENTION_LEVERS

if TYPE_CHECKING:
    from sim.recording import Recorder
    from sim.scenario import Scenario

ACQUIRED_CHANNELS = [name for name in CHANNEL_NAMES if name != "initial"]
# Channels a firm pays for (a lever stands behind them); the others are free.
# The lever whose spend buys each paid channel, for CAC by channel.
CHANNEL_LEVER = {
    lever.channel.name.lower(): name for name, lever in LEVERS.items() if lever.channel is not None
}
PAID_CHANNELS = tuple(CHANNEL_LEVER)


def safe_ratio(numerator: float, denominator: float) -> float | None:
    """numerator / denominator, or None when undefined (zero or non-finite)."""
    if denominator == 0 or not math.isfinite(numerator) or not math.isfinite(denominator):
        return None
    value = numerator / denominator
    return value if math.isfinite(value) else None


def summarise(scenario: Scenario, seed: int, recorder: Recorder) -> dict[str, Any]:
    """The per-firm summary of one run (the ``summary.json`` contract)."""
    weeks = recorder.weeks_recorded
    rows = slice(1, weeks + 1)
    customers = recorder.customers[: weeks + 1]
    total_end = customers[-1].sum()
    firms: dict[str, Any] = {}
    for f, name in enumerate(recorder.firm_names):
        acquired_by_channel = recorder.acquired[rows, f].sum(axis=0)
        by_channel = {n: int(acquired_by_channel[i]) for i, n in enumerate(CHANNEL_NAMES) if n != "initial"}
        acquired = sum(by_channel.values())
        churned_by_reason = recorder.churned[rows, f].sum(axis=0)
        churned = int(churned_by_reason.sum())
        spend_by_lever = recorder.spend[rows, f].sum(axis=0)
        spend = float(spend_by_lever.sum())
        acquisition_spend = float(sum(spend_by_lever[LEVER_NAMES.index(n)] for n in ACQUISITION_LEVERS))
        revenue = float(recorder.series["revenue"][rows, f].sum())
        margin = float(recorder.series["margin"][rows, f].sum())
        cac = spent_per(acquisition_spend, acquired)
        ltv = safe_ratio(float(recorder.series["ltv_margin"][rows, f].sum()), acquired)
        exposure = float(customers[:-1, f].sum())  # customers at the start of each week
        weekly_churn = safe_ratio(churned, exposure)
        dissatisfied = int(recorder.series["dissatisfied"][rows, f].sum())

        def total(name: str, firm: int = f) -> int:
            return int(recorder.series[name][rows, firm].sum())

        complaints = int(recorder.series["complaints"][rows, f].sum())
        firms[name] = {
            "customers_start": int(customers[0, f]),
            "customers_end": int(customers[-1, f]),
            "acquired": acquired,
            "acquired_by_channel": by_channel,
            "cac": cac,
            "cac_paid": spent_per(acquisition_spend, sum(by_channel[c] for c in PAID_CHANNELS)),
            "cac_by_channel": _cac_by_channel(by_channel, spend_by_lever),
            "acquisition_spend": acquisition_spend,
            "retention_yearly": None if weekly_churn is None else (1 - weekly_churn) ** 52,
            "churned": churned,
            "churned_by_reason": {n: int(churned_by_reason[i]) for i, n in enumerate(REASON_NAMES)},
            "revenue": revenue,
            "margin": margin,
            "spend": spend,
            "spend_by_lever": {n: float(spend_by_lever[i]) for i, n in enumerate(LEVER_NAMES)},
            "profit": margin - spend,
            "ltv": ltv,
            "ltv_cac": None if ltv is None or cac is None else safe_ratio(ltv, cac),
            **_economics(scenario, recorder, f, acquired, cac),
            "market_share_end": safe_ratio(float(customers[-1, f]), float(total_end)),
            "referrals_made": int(recorder.series["referrals_made"][rows, f].sum()),
            "referrals_converted": int(recorder.series["referrals_converted"][rows, f].sum()),
            "complaints": complaints,
            "complaint_rate": safe_ratio(complaints, dissatisfied),
            "complaints_handled": total("complaints_handled"),
            "rating_end": float(recorder.rating[weeks, f]),
            "price_end": float(recorder.price[weeks, f]),
            "margin_rate": safe_ratio(margin, revenue),
            "released_on_exit": total("released"),
            **_lifecycle(recorder, rows, f, churned),
            **_penetration(recorder, rows, f, revenue),
        }
    events = [struck.as_dict() for struck in recorder.events]
    reactions = [reaction.as_dict() for reaction in recorder.reactions]
    return {
        "scenario": scenario.name, "seed": seed, "weeks": weeks, "firms": firms, "events": events,
        "reactions": reactions,  # what each firm's response policy did, week by week (sim.responses)
        "phases": run_phases(recorder),  # each firm before and after each event (sim.phases)
    }  # fmt: skip


def spent_per(spend: float, count: float) -> float | None:
    """Spend per unit of ``count`` (a cost per customer): None when nothing was spent (shown as
    "nothing spent", never as a cost of 0) or when ``count`` is zero.

    Example:
        >>> spent_per(0.0, 10) is None, spent_per(50.0, 10)
        (True, 5.0)
    """
    return safe_ratio(spend, count) if spend > 0 else None


# The last weeks whose margin, retention spend and churn project the customers held at the end.
PROJECTION_WEEKS = 13


def _economics(
    scenario: Scenario, recorder: Recorder, f: int, acquired: int, cac: float | None
) -> dict[str, Any]:
    """Acquisition economics that count every dollar once (docs/model.md, "Metrics glossary").

    Acquisition spend (conquest levers and referral rewards) is in ``cac``; retention spend (the
    other relations levers) is a cost inside lifetime value (``ltv_net``) and in ``cost_to_retain``;
    ``cac_fully_loaded`` divides all marketing spend by the customers won. ``customer_equity``
    values the customers held at the end by the projected lifetime value of a customer: the margin
    net of retention cost per customer-week of the last weeks, kept with their weekly retention and
    discounted (Gupta and Lehmann 2003; Gupta, Lehmann and Stuart 2004).
    """
    weeks = recorder.weeks_recorded
    rows = slice(1, weeks + 1)
    customers = recorder.customers[: weeks + 1, f].astype(float)
    spend_weekly = recorder.spend[rows, f].sum(axis=1)
    retention_weekly = recorder.spend[rows, f][:, _RETENTION_INDEX].sum(axis=1)
    spend = float(spend_weekly.sum())
    retention_spend = float(retention_weekly.sum())
    margin_weekly = recorder.series["margin"][rows, f]
    margin = float(margin_weekly.sum())
    base = 1 + scenario.run.discount_rate
    week_factor = base ** (-1 / 52)
    held = customers[:-1]
    retention_cost_won = float(retention_cost_of_won(recorder)[:, f].sum())
    ltv_margin = float(recorder.series["ltv_margin"][rows, f].sum())
    ltv_net = safe_ratio(ltv_margin - retention_cost_won, acquired)
    cac_fully_loaded = spent_per(spend, acquired)
    exposure = float(held.sum())
    # Projected lifetime value of a customer held at the end, from the last weeks.
    recent = slice(max(0, weeks - PROJECTION_WEEKS), weeks)
    recent_exposure = float(held[recent].sum())
    ltv_projected = None
    if recent_exposure > 0:
        churned = float(recorder.churned[rows, f].sum(axis=1)[recent].sum())
        net_margin = float(margin_weekly[recent].sum() - retention_weekly[recent].sum()) / recent_exposure
        keep = max(0.0, 1.0 - churned / recent_exposure) * week_factor
        ltv_projected = net_margin * keep / (1 - keep) if keep < 1 else None
    customer_equity = None if ltv_projected is None else float(customers[-1]) * ltv_projected
    discount = base ** (-np.arange(1, weeks + 1) / 52.0)
    profit_discounted = float(((margin_weekly - spend_weekly) * discount).sum())
    total_value = None
    if customer_equity is not None:
        total_value = profit_discounted + customer_equity * base ** (-weeks / 52.0)
    return {
        "cac_fully_loaded": cac_fully_loaded,
        "retention_spend": retention_spend,
        "cost_to_retain": spent_per(retention_spend, exposure / 52),
        "ltv_net": ltv_net,
        "ltv_net_cac_fully_loaded": None
        if ltv_net is None or cac_fully_loaded is None
        else safe_ratio(ltv_net, cac_fully_loaded),
        "roi": safe_ratio(margin - spend, spend) if spend > 0 else None,
        "payback_weeks": payback_weeks(recorder, f, cac),
        "payback_weeks_fully_loaded": payback_weeks(recorder, f, cac_fully_loaded),
        "ltv_projected": ltv_projected,
        "customer_equity": customer_equity,
        "profit_discounted": profit_discounted,
        "total_value": total_value,
    }


_RETENTION_INDEX = [LEVER_NAMES.index(name) for name in RETENTION_LEVERS]
_ACQUISITION_INDEX = [LEVER_NAMES.index(name) for name in ACQUISITION_LEVERS]


def retention_cost_of_won(recorder: Recorder) -> np.ndarray:
    """(weeks, firms): the part of each week's retention spend that kept the customers won during
    the run, discounted to the weeks they were won (what ``ltv_net`` subtracts).

    A week's retention spend is spread evenly over the firm's customers at its start (the end of
    the week before), so the won customers' part is spend / customers x their discounted headcount
    (:func:`sim.recording.won_weight`), one week further on.
    """
    weeks = recorder.weeks_recorded
    retention = recorder.spend[1 : weeks + 1][..., _RETENTION_INDEX].sum(axis=2)
    held = recorder.customers[:weeks].astype(float)
    per_customer = np.divide(retention, held, out=np.zeros_like(retention), where=held > 0)
    factor = recorder.discount[1] if len(recorder.discount) > 1 else 1.0
    return per_customer * recorder.won_weight[:weeks] * factor


def running_economics(recorder: Recorder) -> dict[str, np.ndarray]:
    """Acquisition economics so far, week by week and per firm: what the summary would report had
    the run stopped that week (the same definitions as :func:`summarise`; the dashboard draws them).

    Returns:
        ``weeks`` (1..week), and (weeks, firms) arrays ``acquired``, ``acquisition_spend``,
        ``spend``, ``cac`` (acquisition-only), ``cac_fully_loaded``, ``ltv`` (gross) and
        ``ltv_net`` (net of retention cost). A cost is NaN while nothing was spent or nobody won;
        a value is NaN while nobody was won.

    Example:
        >>> from sim import CustomerMarket, load_scenario
        >>> market = CustomerMarket(load_scenario("scenarios/baseline.toml", {"market.size": 300}))
        >>> for _ in range(3): market.step()
        >>> running_economics(market.recorder)["cac_fully_loaded"].shape
        (3, 2)
    """
    last = recorder.weeks_recorded
    rows = slice(1, last + 1)
    acquired = recorder.acquired[rows][..., 1:].sum(axis=2).cumsum(axis=0)  # channel 0: initial
    acquisition = recorder.spend[rows][..., _ACQUISITION_INDEX].sum(axis=2).cumsum(axis=0)
    spend = recorder.spend[rows].sum(axis=2).cumsum(axis=0)
    margin = recorder.series["ltv_margin"][rows].cumsum(axis=0)
    net = margin - retention_cost_of_won(recorder).cumsum(axis=0)
    won = acquired > 0
    per_won = np.where(won, acquired, 1)
    return {
        "weeks": np.arange(1, last + 1),
        "acquired": acquired,
        "acquisition_spend": acquisition,
        "spend": spend,
        "cac": np.where(won & (acquisition > 0), acquisition / per_won, np.nan),
        "cac_fully_loaded": np.where(won & (spend > 0), spend / per_won, np.nan),
        "ltv": np.where(won, margin / per_won, np.nan),
        "ltv_net": np.where(won, net / per_won, np.nan),
    }


def payback_weeks(recorder: Recorder, f: int, cost: float | None) -> int | None:
    """Weeks until the margin of a customer won during the run, added up week by week since they
    were won, covers ``cost`` (what winning a customer cost); None when nothing was spent, nobody
    was won, or it is not covered within the run.

    The margin k weeks after winning is averaged over the cohorts old enough to have reached k
    weeks by the end of the run (margin at that age / customers won by week T - k), so late
    cohorts do not drag the curve down by being observed for a short time only.
    """
    if cost is None:
        return None
    weeks = recorder.weeks_recorded
    won_by_week = recorder.acquired[1 : weeks + 1, f, 1:].sum(axis=1)
    won_by = np.cumsum(won_by_week)  # won_by[t - 1]: customers won in weeks 1..t
    ages = np.arange(weeks)  # a customer won in week t can be k = 0 .. weeks - t weeks old
    eligible = won_by[weeks - 1 - ages]  # won early enough to be k weeks old by the end
    margin = recorder.margin_by_age[f, :weeks]
    per_customer = np.divide(margin, eligible, out=np.zeros(weeks), where=eligible > 0)
    covered = np.flatnonzero((np.cumsum(per_customer) >= cost) & (eligible > 0))
    return int(covered[0]) + 1 if covered.size else None


def _lifecycle(recorder: Recorder, rows: slice, f: int, churned: int) -> dict[str, Any]:
    """Partial churn, dormancy and reactivation, and churn by category, for one firm."""
    product = recorder.product_churned[rows, f].sum(axis=0)
    spend = recorder.spend_decreased[rows, f].sum(axis=0)
    responses = recorder.responses[rows, f].sum(axis=0)
    contacts = int(responses.sum())
    reactivated = int(recorder.series["reactivated"][rows, f].sum())
    return {
        "product_churned": int(product.sum()),
        "product_churned_by_reason": {n: int(product[i]) for i, n in enumerate(REASON_NAMES)},
        "spend_decreased": int(spend.sum()),
        "spend_decreased_by_reason": {n: int(spend[i]) for i, n in enumerate(REASON_NAMES)},
        "churn_by_category": dict(
            zip(CATEGORY_NAMES, (churned, int(product.sum()), int(spend.sum())), strict=True)
        ),
        "dormant_end": int(recorder.dormant[rows.stop - 1, f]),
        "became_dormant": int(recorder.series["became_dormant"][rows, f].sum()),
        "reactivation_contacts": contacts,
        "reactivation_responses": {n: int(responses[i]) for i, n in enumerate(RESPONSE_NAMES)},
        "campaign_responses": {
            n: int(recorder.campaign_responses[rows, f, i].sum()) for i, n in enumerate(RESPONSE_NAMES)
        },
        "reactivated": reactivated,
        "returned_by_themselves": int(recorder.series["returned"][rows, f].sum()),
        "reactivation_rate": safe_ratio(reactivated, contacts),
        "reactivated_revenue": float(recorder.series["reactivated_revenue"][rows, f].sum()),
        "tier_downgrades": int(recorder.series["downgrades"][rows, f].sum()),
        **_referred_vs_other(recorder, rows, f),
    }


def _penetration(recorder: Recorder, rows: slice, f: int, revenue: float) -> dict[str, Any]:
    """Penetration of the customer base and the growth levers' results, for one firm: products
    held per active customer (at the end, and over the run per active customer-week), the mean
    spend level at the end, revenue from products beyond the first (each buyer's revenue x
    (products - 1) / products) and its share of revenue, offers made and accepted, and
    buyer's-remorse exits."""
    end = rows.stop - 1
    active = recorder.customers[rows, f] - recorder.dormant[rows, f]  # at the end of each week
    held = recorder.products_held[rows, f]
    extra = float(recorder.series["extra_product_revenue"][rows, f].sum())

    def total(name: str) -> int:
        return int(recorder.series[name][rows, f].sum())

    return {
        "products_per_customer_end": safe_ratio(float(held[-1]), float(active[-1])) if end > 0 else None,
        "products_per_customer": safe_ratio(float(held.sum()), float(active.sum())),
        "spend_level_end": safe_ratio(float(recorder.spend_levels[end, f]), float(active[-1]))
        if end > 0
        else None,
        "extra_product_revenue": extra,
        "extra_product_revenue_share": safe_ratio(extra, revenue),
        "cross_sell_offers": total("cross_sell_offers"),
        "cross_sells": total("cross_sells"),
        "cross_sell_acceptance": safe_ratio(total("cross_sells"), total("cross_sell_offers")),
        "up_sell_offers": total("up_sell_offers"),
        "up_sells": total("up_sells"),
        "up_sell_acceptance": safe_ratio(total("up_sells"), total("up_sell_offers")),
        "remorse_exits": total("remorse_exits"),
    }


def _referred_vs_other(recorder: Recorder, rows: slice, f: int) -> dict[str, Any]:
    """Customers won by referral against those won otherwise (Schmitt, Skiera and Van den Bulte
    2011): weekly churn hazard (exits per customer-week) and realised lifetime value."""
    weeks = slice(rows.start - 1, rows.stop - 1)  # exposure: customers at the start of each week
    referred_acquired = int(recorder.acquired[rows, f, Channel.REFERRAL].sum())
    other_acquired = int(recorder.acquired[rows, f].sum() - referred_acquired)
    referred_hazard = safe_ratio(
        float(recorder.series["churned_referred"][rows, f].sum()), float(recorder.referred[weeks, f].sum())
    )
    other_hazard = safe_ratio(
        float(recorder.series["churned_other_won"][rows, f].sum()), float(recorder.other_won[weeks, f].sum())
    )
    referred_margin = float(recorder.series["ltv_margin_referred"][rows, f].sum())
    referred_ltv = safe_ratio(referred_margin, referred_acquired)
    other_ltv = safe_ratio(
        float(recorder.series["ltv_margin"][rows, f].sum()) - referred_margin, other_acquired
    )
    return {
        "referred_churn_hazard": referred_hazard,
        "other_churn_hazard": other_hazard,
        "referred_ltv": referred_ltv,
        "other_ltv": other_ltv,
    }


def _cac_by_channel(by_channel: dict[str, int], spend_by_lever: np.ndarray) -> dict[str, float | None]:
    """Spend on the lever behind each paid channel per customer it won; free channels cost 0."""
    out: dict[str, float | None] = {}
    for channel, count in by_channel.items():
        lever = CHANNEL_LEVER.get(channel)
        spend = 0.0 if lever is None else float(spend_by_lever[LEVER_NAMES.index(lever)])
        out[channel] = safe_ratio(spend, count)
    return out
