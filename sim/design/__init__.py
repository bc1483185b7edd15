"""The vocabulary of experiments: what a design varies, what a firm decides, what a run measures.

Every research workflow (sweep, sensitivity, calibrate, optimise, game and scenario discovery) speaks these words, in the terms of exploratory modelling (the EMA workbench: Kwakkel 2017):

- a **range** is written one way, ``{low = ..., high = ...}`` (:class:`Range`, or :class:`Bounds`
  when one end may be open);
- an **uncertainty** is a dotted scenario key and a range, a list of values or a distribution
  (:class:`Uncertainty`): what the market may do, or any setting a design explores;
- a **decision** is a lever of the firm that a plan chooses (:class:`Decision`);
- an **outcome** is a per-firm metric of a run, declared once with its unit and direction
  (:class:`Outcome`, :data:`OUTCOMES`; the weekly columns in :data:`WEEKLY`);
- a **constraint** is a floor or ceiling on an outcome (:class:`Constraint`).

The scenario's experiment tables (``[sweep]``, ``[sensitivity]``, ``[optimise]``, ``[game]``,
``[uncertainties]``, ``[discover]``) are typed in
these words (:mod:`sim.design.tables`) and checked against their scenario when it is read
(:mod:`sim.design.checks`). This package sits in the foundation: it imports only
:mod:`sim.values` and libraries, never the engine or a workflow.

Example:
    >>> from sim.design import OUTCOMES, Range, Uncertainty
    >>> OUTCOMES["profit"].direction, Range(low=1, high=2).at(0.5)
    ('higher', 1.5)
    >>> Uncertainty.of("behaviours.adoption.word_of_mouth", {"low": 0.005, "high": 0.05}).ends()
    (0.005, 0.05)
"""

from sim.design.checks import (
    ScenarioLike,
    check_arms,
    check_discover,
    check_experiments,
    check_game,
    check_optimise,
    check_outcomes,
    check_sweep,
    check_uncertainties,
    discover_strategies,
    existing_number,
    fail,
    is_int_key,
    shown_form,
    typed_value,
)
from sim.design.outcomes import (
    CATEGORIES,
    CHANNELS,
    LEVERS,
    OUTCOMES,
    REASONS,
    RESPONSES,
    STAGES,
    TABLES,
    WEEKLY,
    Outcome,
    Series,
    is_lower_better,
    outcome,
)
from sim.design.tables import (
    OLDER_PLAN_KEYS,
    PLAN_FIRM_KEYS,
    PLAN_KEY,
    DiscoverConfig,
    GameConfig,
    GameIterateConfig,
    OptimiseConfig,
    SensitivityConfig,
    SweepConfig,
    UncertaintyForm,
    choice_overrides,
    older_forms,
    older_plan_forms,
    pairs_in,
    plan_file,
    read_plan,
    uncertainty_table,
)
from sim.design.vocabulary import (
    Bounds,
    Constraint,
    Decision,
    DecisionTable,
    Distribution,
    Range,
    RangeOrPair,
    Uncertainty,
    flatten_keys,
    uncertainties_of,
    uncertainty_form,
)

__all__ = [
    "CATEGORIES",
    "CHANNELS",
    "LEVERS",
    "OLDER_PLAN_KEYS",
    "OUTCOMES",
    "PLAN_FIRM_KEYS",
    "PLAN_KEY",
    "REASONS",
    "RESPONSES",
    "STAGES",
    "TABLES",
    "WEEKLY",
    "Bounds",
    "Constraint",
    "Decision",
    "DecisionTable",
    "DiscoverConfig",
    "Distribution",
    "GameConfig",
    "GameIterateConfig",
    "OptimiseConfig",
    "Outcome",
    "Range",
    "RangeOrPair",
    "ScenarioLike",
    "SensitivityConfig",
    "Series",
    "SweepConfig",
    "Uncertainty",
    "UncertaintyForm",
    "check_arms",
    "check_discover",
    "check_experiments",
    "check_game",
    "check_optimise",
    "check_outcomes",
    "check_sweep",
    "check_uncertainties",
    "choice_overrides",
    "discover_strategies",
    "existing_number",
    "fail",
    "flatten_keys",
    "is_int_key",
    "is_lower_better",
    "older_forms",
    "older_plan_forms",
    "outcome",
    "pairs_in",
    "plan_file",
    "read_plan",
    "shown_form",
    "typed_value",
    "uncertainties_of",
    "uncertainty_form",
    "uncertainty_table",
]
