"""Validation 3: Granovetter's (1978) threshold cascade in our engine against NDlib's
ThresholdModel (Rossetti et al. 2018) on the same graphs, thresholds and initial adopters.

Configuration (sim.validation.cascade_market): one firm and nothing but the bandwagon jump, with a
weekly hazard of 1000 (adoption certain once a person's share of adopting neighbours reaches
their threshold); the graph is given as an edge list; each person's threshold is set on the
built market (a scenario can only give a persona-wide distribution), converted so that the
engine's float32 comparison decides exactly as NDlib's float64 ``k / d >= threshold``; the
initial adopters join at week 0. NDlib iterates the same synchronous rule.

Expected: the same final adopters, the same number of rounds and the same adopters after every
round (the cascade is deterministic: no tolerance). Thresholds are rounded to two decimals so that
many equal a neighbour share exactly, where ``>=`` against ``>`` or a rounding slip would show.
Two regimes on Erdos-Renyi graphs of 3,000 people (mean degree 10, 2% initial adopters), four
seeds each: a full cascade (thresholds uniform in 0.05-0.35) and one that stops part-way (35% of
people resistant, threshold 0.9).
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.validation import cascade_case, engine_cascade, ndlib_cascade, reference_cascade

SIZE = 3000
SEEDS = (1, 2, 3, 4)


@pytest.fixture(
    scope="module",
    params=[(regime, seed) for regime in ("full", "partial") for seed in SEEDS],
    ids=lambda param: f"{param[0]}-seed{param[1]}",
)
def cascade(request):
    regime, seed = request.param
    case = cascade_case(regime, SIZE, seed)
    return (
        regime,
        case,
        ndlib_cascade(case.graph, case.thresholds, case.initial),
        engine_cascade(case.graph, case.thresholds, case.initial, seed=seed),
    )


def test_final_adopters_are_identical(cascade):
    regime, _, theirs, ours = cascade
    differ = np.setxor1d(theirs.adopters, ours.adopters)
    assert differ.size == 0, (
        f"{regime}: NDlib and our engine should end with the same adopters; {differ.size} people "
        f"differ (NDlib {theirs.adopters.size}, engine {ours.adopters.size}), e.g. {differ[:5].tolist()}"
    )


def test_same_rounds_and_adopters_after_every_round(cascade):
    regime, _, theirs, ours = cascade
    assert ours.rounds == theirs.rounds, (
        f"{regime}: the cascade should take as many engine weeks as NDlib iterations "
        f"(NDlib {theirs.rounds}, engine {ours.rounds})"
    )
    assert ours.curve.tolist() == theirs.curve.tolist(), (
        f"{regime}: adopters after each round should be equal (NDlib {theirs.curve.tolist()}, "
        f"engine {ours.curve.tolist()})"
    )


def test_reference_rule_agrees(cascade):
    # A third implementation of the rule (integer counts against k*), to tell which side is
    # wrong should the two above ever differ.
    regime, case, theirs, _ = cascade
    reference = reference_cascade(case.graph, case.thresholds, case.initial)
    assert reference.curve.tolist() == theirs.curve.tolist(), (
        f"{regime}: the NumPy reference should follow NDlib round by round "
        f"(reference {reference.curve.tolist()}, NDlib {theirs.curve.tolist()})"
    )


def test_each_regime_is_what_it_claims(cascade):
    regime, case, theirs, _ = cascade
    share = theirs.adopters.size / SIZE
    assert theirs.rounds >= 3, f"{regime}: a cascade should run several rounds; ran {theirs.rounds}"
    if regime == "full":
        assert share >= 0.99, f"full: the cascade should take at least 99% of the market; took {share:.3f}"
    else:
        assert 0.4 <= share <= 0.9 and theirs.adopters.size > 5 * case.initial.size, (
            "partial: the cascade should spread well beyond the initial adopters but stop part-way "
            f"(40-90% of the market); took {share:.3f} from {case.initial.size} initial adopters"
        )
