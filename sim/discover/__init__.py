"""Scenario discovery (``sim discover``): which strategy holds up when the market is unknown, and where each wins.

The workflow of exploratory modelling (the EMA workbench's scenario discovery; RAND's robust
decision making: Lempert, Popper & Bankes 2003; Bryant & Lempert 2010): the scenario's top-level
``[uncertainties]`` table names what the market may do (a range, a distribution or a list of
values per dotted key) and its ``[discover]`` table the design (:class:`sim.design.DiscoverConfig`):

- :mod:`~sim.discover.design` samples the markets (a Latin hypercube or a Sobol' sequence from
  ``scipy.stats.qmc``; a list of values is sampled uniformly);
- :mod:`~sim.discover.runs` runs every candidate strategy in every market on the same seeds
  through the executor (resumable from the run cache, ``jobs`` or a Dask ``cluster``, the same
  numbers either way) into one tidy table;
- :mod:`~sim.discover.robust` reads regret (the shortfall from the best strategy in each market)
  and robustness (mean, spread, worst case, maximum and 90th-percentile regret, satisficing
  shares) and names the robust choice under each criterion with what it gives up;
- :mod:`~sim.discover.conditions` finds where a case holds (a strategy wins, or misses a target);
- :mod:`~sim.discover.outputs` is the entry point :func:`discover` and writes the files.

The contract between this package and :mod:`sim.discover.conditions` (and its figures in
:mod:`sim.plots.discover`)::

    sim.discover.conditions.find_conditions(inputs: pd.DataFrame, case: np.ndarray[bool], *,
        names: dict[str, str] | None = None, peel_alpha=0.05, mass_min=0.05, threshold=0.8) -> dict

``inputs`` has one row per sampled market and one column per uncertainty (its dotted key;
numbers, or categories as strings) and ``case`` marks the markets of interest (e.g. "relations
wins" or "conquest misses the profit target"). It returns a JSON-able dict:
``{"prim": {"trajectory": [...], "box": {...limits...}, "coverage":, "density":, "restricted":
[...], "significance": {...}}, "tree": {...rules...}, "scores": {...}}``; and
:mod:`sim.plots.discover` draws ``prim_trajectory_figure(found)``, ``pairs_figure(inputs, case)``
and ``tree_figure(found)`` from it (and ``box_figure(found, inputs)``).

Example:
    >>> from sim import load_scenario
    >>> from sim.design import Range
    >>> s = load_scenario("scenarios/conquest_vs_relations.toml", {"market.size": 200, "run.weeks": 6})
    >>> s = s.model_copy(update={"uncertainties": {"firms.rival.price": Range(low=30, high=50)}})
    >>> r = discover(s, samples=4, replicates=2, jobs=1, conditions=False)
    >>> sorted(r.info["robustness"]["strategies"]), len(r.table_frame)
    (['conquest', 'relations'], 16)
"""

from sim.discover.conditions import find_conditions
from sim.discover.design import sample_markets, unit_design
from sim.discover.outputs import DiscoverResult, cases, discover, format_discover, parse_fails, write_discover
from sim.discover.robust import (
    CRITERIA,
    market_means,
    noise,
    regret_table,
    robust_choices,
    robustness,
    winners,
)
from sim.discover.runs import Design, design_specs, resolve_design, run_design

__all__ = [
    "CRITERIA",
    "Design",
    "DiscoverResult",
    "cases",
    "design_specs",
    "discover",
    "find_conditions",
    "format_discover",
    "market_means",
    "noise",
    "parse_fails",
    "regret_table",
    "resolve_design",
    "robust_choices",
    "robustness",
    "run_design",
    "sample_markets",
    "unit_design",
    "winners",
    "write_discover",
]
