"""Scenario discovery finds planted conditions (sim/discover/conditions.py, sim/plots/discover.py).

Synthetic designs where the case is known exactly: PRIM's box and the tree's rule must recover it,
the feature scores must rank it first, and the four figures must pass tests/figure_checks.py.
Seeds are fixed; the tolerances are the designs' resolution, stated where each is used.
"""

from __future__ import annotations

import json

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from scipy.stats import qmc

from sim.discover import find_conditions
from sim.plots.discover import box_figure, pairs_figure, prim_trajectory_figure, tree_figure
from tests.figure_checks import claim_problems, layout_problems

PERSONALITIES = np.array(["passive", "matcher", "aggressive"])
# The gridded design: each numeric uncertainty takes 20 levels (the centres of 20 equal strata of
# [0, 1]), so a threshold can be located no closer than one step.
GRID_STEP = 0.05
WOM, PRICE = "behaviours.adoption.word_of_mouth", "market.price_sensitivity"
RIVAL = "firms.rival.response.personality"


def _design(rows: int, seed: int, gridded: bool) -> pd.DataFrame:
    """A Latin hypercube over four numeric uncertainties on [0, 1] and one categorical."""
    unit = qmc.LatinHypercube(d=5, seed=seed).random(rows)
    numbers = (np.floor(unit[:, :4] / GRID_STEP) + 0.5) * GRID_STEP if gridded else unit[:, :4]
    return pd.DataFrame({
        WOM: numbers[:, 0], PRICE: numbers[:, 1], "market.expectations_growth": numbers[:, 2],
        "events.crash.week": numbers[:, 3], RIVAL: PERSONALITIES[(unit[:, 4] * 3).astype(int)],
    })  # fmt: skip


def _planted(inputs: pd.DataFrame) -> np.ndarray:
    """The case: word of mouth above 0.6 and price sensitivity above 0.4, nothing else."""
    return ((inputs[WOM] > 0.6) & (inputs[PRICE] > 0.4)).to_numpy()


@pytest.fixture(scope="module")
def gridded() -> tuple[pd.DataFrame, np.ndarray, dict]:
    inputs = _design(800, seed=1, gridded=True)
    case = _planted(inputs)
    return inputs, case, find_conditions(inputs, case, names={WOM: "word of mouth", RIVAL: "rival"})


@pytest.fixture(scope="module")
def category() -> tuple[pd.DataFrame, np.ndarray, dict]:
    """A case that needs a category and a number: a passive rival and word of mouth above 0.3."""
    inputs = _design(600, seed=2, gridded=False)
    case = (inputs[RIVAL] == "passive").to_numpy() & (inputs[WOM] > 0.3).to_numpy()
    return inputs, case, find_conditions(inputs, case, names={RIVAL: "rival"})


def _assert_planted_box(found: dict, tolerance: float) -> None:
    box = found["prim"]["box"]
    assert box["coverage"] > 0.8 and box["density"] > 0.8, (
        f"expected coverage and density > 0.8, got {box['coverage']:.3f} and {box['density']:.3f}"
    )
    significant = {k for k, v in box["limits"].items() if max(v["qp"].values()) < 0.05}
    assert significant == {WOM, PRICE}, f"expected only {WOM} and {PRICE} significant, got {box['limits']}"
    for key, threshold in ((WOM, 0.6), (PRICE, 0.4)):
        limit = box["limits"][key]
        assert abs(limit["low"] - threshold) <= tolerance, (
            f"expected {key}'s lower limit within {tolerance} of {threshold}, got {limit['low']:.4f}"
        )
        assert list(limit["qp"]) == ["low"], f"expected {key} restricted from below only, got {limit['qp']}"


def test_prim_finds_a_planted_box_on_a_grid(gridded) -> None:
    _, case, found = gridded
    _assert_planted_box(found, tolerance=GRID_STEP)
    prim = found["prim"]
    assert prim["box"]["restricted"] == [WOM, PRICE], (
        f"expected only the two planted keys restricted: {prim['box']}"
    )
    assert prim["rule"].startswith("the last box"), f"expected the threshold rule to choose: {prim['rule']}"
    dense = [b["index"] for b in prim["trajectory"] if b["density"] >= 0.8]
    assert prim["chosen"] == dense[-1], (
        f"expected the last box with density >= 0.8 ({dense[-1]}), got {prim['chosen']}"
    )
    assert found["case"] == {"cases": int(case.sum()), "rows": 800, "share": case.mean()}, found["case"]
    json.dumps(found)  # JSON-able as promised: raises if not


def test_prim_finds_a_planted_box_in_a_continuous_design() -> None:
    # A continuous design has no grid: PRIM can place a limit no closer than one peel, which removes
    # peel_alpha (5%) of the box's markets, at most 0.05 of a unit range (measured: 0.011 and 0.027).
    inputs = _design(800, seed=1, gridded=False)
    _assert_planted_box(find_conditions(inputs, _planted(inputs)), tolerance=0.05)


def test_the_tree_recovers_the_planted_rule(gridded) -> None:
    _, case, found = gridded
    tree = found["tree"]
    rule = tree["rules"][0]
    bounds = {c["key"]: c for c in rule["conditions"]}
    assert set(bounds) == {WOM, PRICE}, f"expected the rule to test only {WOM} and {PRICE}: {rule['text']}"
    for key, threshold in ((WOM, 0.6), (PRICE, 0.4)):
        assert bounds[key]["high"] is None and abs(bounds[key]["low"] - threshold) <= GRID_STEP, (
            f"expected {key} > {threshold} within {GRID_STEP}, got {rule['text']}"
        )
    assert rule["cases"] == case.sum() and rule["precision"] == 1.0, f"expected every case, none else: {rule}"
    assert rule["label"].startswith("word of mouth > "), (
        f"expected the short label in the rule: {rule['label']}"
    )
    assert tree["cv"]["accuracy"] > 0.95, f"expected cross-validated accuracy > 0.95, got {tree['cv']}"
    ranked = list(found["scores"])
    assert set(ranked[:2]) == {WOM, PRICE}, f"expected the planted keys to score highest: {found['scores']}"


def test_a_planted_category_is_found() -> None:
    inputs = _design(600, seed=2, gridded=False)
    case = (inputs[RIVAL] == "passive").to_numpy()
    found = find_conditions(inputs, case)
    box = found["prim"]["box"]
    assert box["restricted"] == [RIVAL], f"expected only {RIVAL} restricted, got {box['restricted']}"
    assert box["limits"][RIVAL]["kept"] == ["passive"], f"expected only passive kept: {box['limits'][RIVAL]}"
    assert box["coverage"] == 1.0 and box["density"] == 1.0, f"expected the exact box, got {box}"
    assert box["significant"], f"expected the restriction significant: {box}"
    texts = [rule["text"] for rule in found["tree"]["rules"]]
    assert texts == [f"{RIVAL} in {{passive}} -> case (precision 1.00, {case.sum()} markets)"], texts


def test_nothing_to_separate_and_bad_input() -> None:
    inputs = _design(100, seed=3, gridded=False)
    found = find_conditions(inputs, np.zeros(100, dtype=bool))
    assert found["prim"] is None and "no market is a case" in found["note"], found
    with pytest.raises(ValueError, match="one flag per row"):
        find_conditions(inputs, np.ones(99, dtype=bool))
    with pytest.raises(ValueError, match="threshold"):
        find_conditions(inputs, _planted(inputs), threshold=1.5)
    with pytest.raises(ValueError, match=f"column '{WOM}' has 1 missing"):
        find_conditions(inputs.assign(**{WOM: inputs[WOM].where(inputs.index != 5)}), _planted(inputs))


def test_the_figures_pass_the_checks(gridded) -> None:
    inputs, case, found = gridded
    figures = {
        "trajectory": prim_trajectory_figure(found),
        "box": box_figure(found, inputs),
        "pairs": pairs_figure(inputs, case, found),
        "tree": tree_figure(found),
    }
    for name, figure in figures.items():
        assert layout_problems(figure) == [], (name, layout_problems(figure))
        assert claim_problems(figure) == [], (name, claim_problems(figure))
        plt.close(figure)


def test_the_figures_of_a_categorical_box_pass_the_checks(category) -> None:
    inputs, case, found = category
    box = found["prim"]["box"]
    assert set(box["restricted"]) == {RIVAL, WOM}, (
        f"expected {RIVAL} and {WOM} restricted, got {box['restricted']}"
    )
    # Without a result the scatter draws no box (and claims none).
    figures = (box_figure(found, inputs), pairs_figure(inputs, case, found), pairs_figure(inputs, case))
    for figure in figures:
        assert layout_problems(figure) == [], layout_problems(figure)
        assert claim_problems(figure) == [], claim_problems(figure)
        plt.close(figure)


def test_the_densest_box_when_none_reaches_the_threshold() -> None:
    # Cases scattered at random (30%): no region is 80% cases, so the rule falls back to the densest box.
    inputs = _design(400, seed=4, gridded=False)
    case = np.random.default_rng(4).random(400) < 0.3
    found = find_conditions(inputs, case)
    prim = found["prim"]
    densest = max(prim["trajectory"], key=lambda b: (b["density"], b["coverage"]))
    assert densest["density"] < 0.8, f"expected no box at density 0.8 from random cases, got {densest}"
    assert prim["chosen"] == densest["index"] and prim["rule"].startswith("no box reaches"), prim["rule"]
    figure = prim_trajectory_figure(found)
    assert "no box reaches density 0.8" in figure.axes[0].get_title().replace("\n", " "), figure.axes[
        0
    ].get_title()
    assert claim_problems(figure) == [], claim_problems(figure)
    plt.close(figure)


def test_a_box_chosen_by_hand_is_reported_with_its_own_limits():
    # The analyst reads the trade-off and selects a broader box than the default (the workbench's
    # select): its coverage and density are the trajectory's at that index, its limits looser.
    rng = np.random.default_rng(3)
    inputs = pd.DataFrame({"a": rng.random(600), "b": rng.random(600)})
    case = ((inputs["a"] > 0.5) & (inputs["b"] > 0.5) | (rng.random(600) < 0.1)).to_numpy()
    default = find_conditions(inputs, case)
    trajectory = default["prim"]["trajectory"]
    first_dense = next(b["index"] for b in trajectory if b["density"] >= 0.8)
    chosen = find_conditions(inputs, case, select=first_dense)["prim"]
    assert chosen["chosen"] == first_dense and "by hand" in chosen["rule"], chosen["rule"]
    assert chosen["box"]["coverage"] == trajectory[first_dense]["coverage"], (
        "expected the trajectory's coverage"
    )
    assert chosen["box"]["coverage"] >= default["prim"]["box"]["coverage"], (
        "expected the first box to reach the density to cover at least as many cases as the last"
    )
    with pytest.raises(ValueError, match="select"):
        find_conditions(inputs, case, select=len(trajectory))
