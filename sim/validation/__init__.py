"""Validation against known results: Bass diffusion, constant-hazard churn with lifetime value,
Granovetter's threshold cascade against NDlib, and the independent cascade's exact expected spread
(docs/validation.md).

Owns the three reduced configurations of our engine, the expected values they are checked
against and the spread those expectations have, so that the tests (``tests/validation/``), the
notebook (``notebooks/validation.ipynb``) and the NDlib benchmark (``benchmarks/vs_ndlib.py``)
use one copy:

- **Bass (1969).** :func:`bass_scenario` reduces the model to innovation p and word of mouth q on
  the complete network (mean field), one firm and nothing else. :func:`bass_closed_form` is the
  continuous-time solution; :func:`bass_recursion` is the engine's own discrete-time rule (weekly
  hazard ``p + q x share``, adoption probability ``1 - exp(-hazard)``) in expectation, with
  the linear-noise variance of the share (:class:`BassExpectation`). :func:`check_bass` compares
  simulated curves with both.
- **Constant-hazard churn and constant margin.** :func:`churn_scenario` gives one cohort, all
  acquired in week 1, a constant weekly churn hazard h (the unappreciated reason with
  appreciation held at 0) and a constant expected margin per week; :func:`churn_expectation`
  derives the expected tenure (geometric), lifetime value (the discounted sum the engine books)
  and yearly retention, with their per-customer standard deviations, exactly for the engine's
  timing and the run's truncation (:func:`churn_curves`: week by week, for figures).
  :func:`churn_measures` reads them from a run's results.
- **Heterogeneous churn.** :func:`sbg_scenario` gives the churn cohort a Beta(a, b) spread of
  weekly churn probabilities through a per-person frailty read from a trait file;
  :func:`sbg_survival` is the shifted-beta-geometric survival B(a, b + t) / B(a, b) (Fader &
  Hardie 2007) and :func:`survival_check` compares a run's cohort with it (:mod:`~sim.validation.sbg`).
- **Threshold cascade.** :func:`engine_cascade` runs our engine as the deterministic
  Granovetter/Watts threshold cascade on a given graph, :func:`ndlib_cascade` runs NDlib's
  ``ThresholdModel`` (NDlib is a test and benchmark dependency, imported only there) and
  :func:`reference_cascade` the same rule in a few lines of integer NumPy.
- **Independent cascade** (:mod:`sim.validation.independent_cascade`). :func:`exact_spread`
  enumerates the live-edge graphs of a small graph for the exact expected spread (Kempe, Kleinberg
  & Tardos 2003); :func:`engine_spreads` runs our engine, word of mouth per tie with
  ``active_weeks = 1``, on many copies of each graph; :func:`check_independent_cascade` compares.

The cascade rule, read from NDlib 6.0.1's ``ThresholdModel.iteration``: rounds are synchronous
(every person looks at the adopters of the previous round); a non-adopter with ``d > 0``
neighbours of whom ``k`` adopted adopts when ``float(k) / d >= threshold`` (float64 division); a
person without neighbours never adopts; nobody un-adopts. NDlib's first ``iteration()`` only
reports the initial state. Our engine's rule (step 3, ``bandwagon_jump * [share >= threshold and
share > 0]``) compares a float32 share with a float32 threshold: :func:`engine_thresholds` turns
each NDlib threshold into the smallest adopting count ``k*`` (computed with NDlib's own float64
comparison) and gives the engine the threshold ``(k* - 0.5) / d``, halfway between two
attainable shares, so float32 rounding cannot change the outcome.

Example:
    >>> import networkx as nx, numpy as np
    >>> graph = nx.path_graph(5)
    >>> thresholds = np.full(5, 0.5)
    >>> engine_cascade(graph, thresholds, [0]).curve.tolist()
    [1, 2, 3, 4, 5]
    >>> reference_cascade(graph, thresholds, [0]).adopters.tolist()
    [0, 1, 2, 3, 4]
    >>> round(float(bass_closed_form(52.0, p=0.03 / 52, q=0.38 / 52)), 4)
    0.0358
    >>> round(churn_expectation(hazard=0.01, weeks=260, margin_per_week=3.0, discount_rate=0.1).tenure, 2)
    92.96
"""

from sim.validation.bass import (
    BassCheck,
    BassExpectation,
    bass_closed_form,
    bass_curves,
    bass_recursion,
    bass_scenario,
    check_bass,
)
from sim.validation.cascade import (
    JUMP,
    MAX_WEEKS,
    CascadeCase,
    CascadeResult,
    adjacency,
    adopting_count,
    cascade_case,
    cascade_market,
    cascade_scenario,
    check_graph,
    engine_cascade,
    engine_thresholds,
    ndlib_cascade,
    ndlib_model,
    ndlib_run_to_end,
    reference_cascade,
    run_to_end,
    write_edge_list,
)
from sim.validation.churn import (
    ChurnCurves,
    ChurnExpectation,
    ChurnMeasures,
    Comparison,
    check_churn,
    churn_curves,
    churn_expectation,
    churn_measures,
    churn_scenario,
)
from sim.validation.common import STANDARD_ERRORS, only_adoption, standard_error
from sim.validation.independent_cascade import (
    CascadeCheck,
    ExactSpread,
    cascade_graphs,
    check_independent_cascade,
    engine_spreads,
    exact_spread,
    ic_scenario,
)
from sim.validation.sbg import (
    SurvivalCheck,
    sbg_retention,
    sbg_scenario,
    sbg_survival,
    survival_check,
    write_frailties,
)

__all__ = [
    "JUMP",
    "MAX_WEEKS",
    "STANDARD_ERRORS",
    "BassCheck",
    "BassExpectation",
    "CascadeCase",
    "CascadeCheck",
    "CascadeResult",
    "ChurnCurves",
    "ChurnExpectation",
    "ChurnMeasures",
    "Comparison",
    "ExactSpread",
    "SurvivalCheck",
    "adjacency",
    "adopting_count",
    "bass_closed_form",
    "bass_curves",
    "bass_recursion",
    "bass_scenario",
    "cascade_case",
    "cascade_graphs",
    "cascade_market",
    "cascade_scenario",
    "check_bass",
    "check_churn",
    "check_graph",
    "check_independent_cascade",
    "churn_curves",
    "churn_expectation",
    "churn_measures",
    "churn_scenario",
    "engine_cascade",
    "engine_spreads",
    "engine_thresholds",
    "exact_spread",
    "ic_scenario",
    "ndlib_cascade",
    "ndlib_model",
    "ndlib_run_to_end",
    "only_adoption",
    "reference_cascade",
    "run_to_end",
    "sbg_retention",
    "sbg_scenario",
    "sbg_survival",
    "standard_error",
    "survival_check",
    "write_edge_list",
    "write_frailties",
]
