"""Figures shared by the CLI, notebooks and reports; each takes results and returns a Figure.

Owns the figures, one module per use: :mod:`sim.plots.run` (``sim run``), :mod:`sim.plots.sweep`
(``sim sweep``), :mod:`sim.plots.report` (``sim report`` and the notebooks), with
:mod:`sim.plots.value` (what a customer costs and is worth) and :mod:`sim.plots.comparison`
(differences between strategies and plans), :mod:`sim.plots.game` (``sim game``) and
:mod:`sim.plots.discover` (``sim discover``: where a case holds), :mod:`sim.plots.posterior` (``sim calibrate
--method abc``: the posterior and its predictive bands), all drawn with the look of :mod:`sim.plots.layout`:
one colour per firm (stable across figures), labelled axes with units, and a title that states a
finding computed from the arrays the figure plots. Every figure function attaches those numbers
as ``figure.claims`` (a dict naming the figure and what its title says), so that a test can read
the plotted artists back and check the title against them; and every figure's titles are wrapped
to the room they have (:func:`fit_titles`), so none runs off the canvas or into its neighbour.
Every public name of every module is importable from ``sim.plots``.

Example:
    >>> firm_colours(["us", "rival"])["us"]
    '#1f77b4'
"""

import matplotlib

matplotlib.use("Agg")  # figures are written to files; no display is needed (before pyplot is imported)

from sim.plots.comparison import (
    FOREST_CLIP,
    FOREST_COLOURS,
    FOREST_METRICS,
    event_effects_figure,
    forest_figure,
    lever_reason_figure,
    pareto_figure,
)
from sim.plots.discover import (
    box_figure,
    limit_text,
    pairs_figure,
    prim_trajectory_figure,
    tree_figure,
)
from sim.plots.game import best_response_figure, payoff_figure, pure_equilibria
from sim.plots.layout import (
    CHANNEL_COLOURS,
    LEVER_COLOURS,
    PAID_CHANNELS,
    PALETTE,
    REASON_COLOURS,
    REASON_PHRASES,
    SLIDE_STYLE,
    STRATEGY_COLOURS,
    THOUSANDS,
    firm_colours,
    fit_titles,
    group_colours,
)
from sim.plots.posterior import posterior_pairs_figure, posterior_predictive_figure
from sim.plots.report import (
    LEVEL,
    acquisitions_by_channel_figure,
    churn_waterfall_figure,
    customers_by_group_figure,
    on_top,
    referral_cascade_figure,
    report_figures,
    retention_figure,
    retention_story,
    spend_by_lever_figure,
)
from sim.plots.run import (
    CATEGORY_COLOURS,
    churn_by_reason_figure,
    customers_figure,
    lifecycle_figure,
)
from sim.plots.sweep import (
    MAX_LINES,
    METRIC_LABELS,
    SCENARIO_SECTIONS,
    sweep_figure,
    sweep_figures,
    sweep_heatmap_figure,
    sweep_response_figure,
    swept_keys,
)
from sim.plots.value import (
    cac_ltv_figure,
    ratio_text,
    value_distribution_figure,
)

__all__ = [
    "CATEGORY_COLOURS",
    "CHANNEL_COLOURS",
    "FOREST_CLIP",
    "FOREST_COLOURS",
    "FOREST_METRICS",
    "LEVEL",
    "LEVER_COLOURS",
    "MAX_LINES",
    "METRIC_LABELS",
    "PAID_CHANNELS",
    "PALETTE",
    "REASON_COLOURS",
    "REASON_PHRASES",
    "SCENARIO_SECTIONS",
    "SLIDE_STYLE",
    "STRATEGY_COLOURS",
    "THOUSANDS",
    "acquisitions_by_channel_figure",
    "best_response_figure",
    "box_figure",
    "cac_ltv_figure",
    "churn_by_reason_figure",
    "churn_waterfall_figure",
    "customers_by_group_figure",
    "customers_figure",
    "event_effects_figure",
    "firm_colours",
    "fit_titles",
    "forest_figure",
    "group_colours",
    "lever_reason_figure",
    "lifecycle_figure",
    "limit_text",
    "on_top",
    "pairs_figure",
    "pareto_figure",
    "payoff_figure",
    "posterior_pairs_figure",
    "posterior_predictive_figure",
    "prim_trajectory_figure",
    "pure_equilibria",
    "ratio_text",
    "referral_cascade_figure",
    "report_figures",
    "retention_figure",
    "retention_story",
    "spend_by_lever_figure",
    "sweep_figure",
    "sweep_figures",
    "sweep_heatmap_figure",
    "sweep_response_figure",
    "swept_keys",
    "tree_figure",
    "value_distribution_figure",
]
