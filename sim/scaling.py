"""Population scaling, the results coming out: a scaled run's counts and money in real units.

Owns which outputs a population scale multiplies (docs/model.md, "Population scaling"). The model
ran ``market.simulated`` people, each standing for ``scale = market.size / market.simulated`` real
people, with every real amount a week divided by the scale (:mod:`sim.scenario.scaling`). So, as
Starsim and Covasim do with their ``pop_scale``, every count of people or events and every amount
of money is multiplied by the scale after the run; a share, a rate, a price, a rating and a
per-customer figure (CAC, lifetime value, products per customer) is a ratio of two scaled numbers
and stays as it is. The per-person and transaction tables keep one row per simulated person or
purchase and gain a ``weight`` column (= the scale): the real people each row stands for.

An unscaled run (scale 1) passes through untouched, so its outputs are bit-identical to a run of
a scenario without ``market.simulated``. A count times a whole scale stays a whole number; with a
fractional scale counts are real numbers (a simulated person stands for, say, 61.7 people).

Example:
    >>> scale_summary({"firms": {"us": {"acquired": 12, "cac": 40.0, "revenue": 900.0}}}, 100.0)
    {'firms': {'us': {'acquired': 1200, 'cac': 40.0, 'revenue': 90000.0}}}
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from sim.scenario import Scenario

# Per firm in summary.json: counts of people or events, and money, multiplied by the scale.
SUMMARY_SCALED = frozenset(
    {
        "customers_start", "customers_end", "acquired", "acquired_by_channel", "acquisition_spend",
        "churned", "churned_by_reason", "revenue", "margin", "spend", "spend_by_lever", "profit",
        "retention_spend", "customer_equity", "profit_discounted", "total_value", "referrals_made",
        "referrals_converted", "complaints", "complaints_handled", "released_on_exit", "product_churned",
        "product_churned_by_reason", "spend_decreased", "spend_decreased_by_reason", "churn_by_category",
        "dormant_end", "became_dormant", "reactivation_contacts", "reactivation_responses",
        "campaign_responses", "reactivated", "returned_by_themselves", "reactivated_revenue",
        "tier_downgrades", "extra_product_revenue", "cross_sell_offers", "cross_sells", "up_sell_offers",
        "up_sells", "remorse_exits",
    }
)  # fmt: skip
# Per firm in summary.json: ratios (per customer, per unit spent, shares, rates, weeks, prices).
SUMMARY_UNCHANGED = frozenset(
    {
        "cac", "cac_paid", "cac_by_channel", "retention_yearly", "ltv", "ltv_cac", "cac_fully_loaded",
        "cost_to_retain", "ltv_net", "ltv_net_cac_fully_loaded", "roi", "payback_weeks",
        "payback_weeks_fully_loaded", "ltv_projected", "market_share_end", "complaint_rate", "rating_end",
        "price_end", "margin_rate", "reactivation_rate", "referred_churn_hazard", "other_churn_hazard",
        "referred_ltv", "other_ltv", "products_per_customer_end", "products_per_customer",
        "spend_level_end", "extra_product_revenue_share", "cross_sell_acceptance", "up_sell_acceptance",
    }
)  # fmt: skip
# A phase's metrics (sim.phases.PHASE_METRICS) that are counts or money a week.
PHASE_SCALED = frozenset(
    {
        "customers",
        "acquisitions_per_week",
        "churn_per_week",
        "revenue_per_week",
        "margin_per_week",
        "profit_per_week",
    }
)
# Weekly-table columns that are not counts or money; every other numeric column is multiplied.
TIMESERIES_UNCHANGED = frozenset(
    {
        "week", "rating", "price", "in_market", "market_share", "products_per_customer",
        "spend_level_per_customer",
    }
)  # fmt: skip


def is_scaled(scale: float) -> bool:
    """Whether a run with this scale needs its results multiplied (any scale but exactly 1)."""
    return scale != 1.0


def times(value: Any, scale: float) -> Any:
    """``value`` x ``scale``, into nested dicts; None stays None, a whole count x a whole scale
    stays an int.

    Example:
        >>> times({"a": 3, "b": None, "c": 0.5}, 4.0), times(3, 2.5)
        ({'a': 12, 'b': None, 'c': 2.0}, 7.5)
    """
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, dict):
        return {key: times(item, scale) for key, item in value.items()}
    if isinstance(value, int) and float(scale).is_integer():
        return value * int(scale)
    return value * scale


def scale_summary(summary: dict[str, Any], scale: float) -> dict[str, Any]:
    """The ``summary.json`` of a scaled run in real units: each firm's counts and money and each
    phase's counts and money a week x ``scale``; ratios untouched. A key neither listed as scaled
    nor as unchanged is taken for a count or money (the common case) and multiplied.

    Example:
        >>> scale_summary({"firms": {"us": {"churned": 2, "roi": 0.5}}}, 10.0)["firms"]["us"]
        {'churned': 20, 'roi': 0.5}
    """
    if not is_scaled(scale):
        return summary
    out = dict(summary)
    out["firms"] = {
        firm: {key: value if key in SUMMARY_UNCHANGED else times(value, scale) for key, value in row.items()}
        for firm, row in summary["firms"].items()
    }
    if "phases" in summary:
        out["phases"] = [
            {
                **phase,
                "firms": {
                    firm: {k: times(v, scale) if k in PHASE_SCALED else v for k, v in metrics.items()}
                    for firm, metrics in phase["firms"].items()
                },
            }
            for phase in summary["phases"]
        ]
    return out


def scale_timeseries(frame: pd.DataFrame, scale: float) -> pd.DataFrame:
    """The weekly table of a scaled run in real units: every numeric column but the ratios of
    :data:`TIMESERIES_UNCHANGED` x ``scale`` (integer columns stay integers at a whole scale).

    Example:
        >>> import pandas as pd
        >>> scale_timeseries(pd.DataFrame({"week": [1], "firm": ["us"], "customers": [3], "price": [9.5]}), 2.0)
           week firm  customers  price
        0     1   us          6    9.5
    """
    if not is_scaled(scale):
        return frame
    out = frame.copy()
    for column in out.columns:
        if column in TIMESERIES_UNCHANGED or not _numeric(out[column]):
            continue
        out[column] = out[column] * _factor(out[column], scale)
    return out


def weighted(table: pd.DataFrame, scale: float) -> pd.DataFrame:
    """A per-person or per-purchase table of a scaled run with its ``weight`` column (real people
    a row stands for, = ``scale``); an unscaled run's table is returned as it is.

    Example:
        >>> import pandas as pd
        >>> list(weighted(pd.DataFrame({"id": [0, 1]}), 50.0)["weight"])
        [50.0, 50.0]
    """
    if not is_scaled(scale):
        return table
    return table.assign(weight=float(scale))


def scaling_record(scenario: Scenario) -> dict[str, Any] | None:
    """What ``summary.json`` and ``manifest.json`` say about a scaled run (None when not scaled):
    the real market, the people simulated and the real people each stands for.

    Example:
        >>> from sim.scenario import Scenario
        >>> scaling_record(Scenario(market={"size": 20_000_000, "simulated": 200_000}))
        {'size': 20000000, 'simulated': 200000, 'scale': 100.0, 'units': 'counts and money are real (simulated x scale); ratios as simulated'}
    """
    market = scenario.market
    if market.simulated is None:
        return None
    return {
        "size": market.size,
        "simulated": market.simulated,
        "scale": market.scale,
        "units": "counts and money are real (simulated x scale); ratios as simulated",
    }


def _numeric(column: pd.Series) -> bool:
    import pandas as pd

    return pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)


def _factor(column: pd.Series, scale: float) -> float | int:
    import pandas as pd

    whole = pd.api.types.is_integer_dtype(column) and float(scale).is_integer()
    return int(scale) if whole else scale
