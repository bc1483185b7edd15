"""sim emulate: the surrogate's cross-validated error on a known response, its intervals on a real sweep,
the refusals, the saved files, and the dashboard's emulated what-if (without a browser)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import qmc

from sim import load_scenario
from sim.cli import main
from sim.dashboard.market import dashboard_params
from sim.dashboard.whatif import WhatIf
from sim.emulate import EmulatorError, fit_emulator, load_emulator
from sim.experiments import sweep

ROOT = Path(__file__).resolve().parents[1]
# The smooth synthetic response: 2a + sin(3b) + ac over the unit cube (SD about 0.8 on a design),
# plus normal noise of SD SIGMA; no model can beat the noise, so the held-out RMSE is at least SIGMA.
SIGMA = 0.05


def smooth(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    return 2 * a + np.sin(3 * b) + a * c


def synthetic_folder(folder: Path, points: int = 40, seed: int = 0) -> Path:
    """A sweep.parquet of the smooth response on a Latin hypercube of ``points`` points, one run each."""
    unit = qmc.LatinHypercube(d=3, seed=seed).random(points)
    noise = np.random.default_rng(seed).normal(0, SIGMA, points)
    folder.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(
        {"point": range(points), "run": 1, "firm": "us", "a": unit[:, 0], "b": unit[:, 1], "c": unit[:, 2],
         "profit": smooth(*unit.T) + noise}
    ).to_parquet(folder / "sweep.parquet")  # fmt: skip
    return folder


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    """The synthetic design fitted once, and its folder."""
    folder = synthetic_folder(tmp_path_factory.mktemp("synthetic"))
    return folder, fit_emulator(folder, outcomes=["profit"])


SWEEP = """
[run]
name = "tiny_lhs"
weeks = 12
seed = 1
[market]
size = 200
[firms.us]
strategy = "balanced"
budget = 600
[firms.rival]
strategy = "balanced"
budget = 600
[sweep]
method = "lhs"
samples = 24
runs = 2
[sweep.uncertainties]
"firms.us.budget" = {low = 200, high = 1500}
"behaviours.adoption.word_of_mouth" = {low = 0.005, high = 0.03}
"""


@pytest.fixture(scope="module")
def real_sweep(tmp_path_factory):
    """A tiny real LHS sweep (24 points x 2 runs, 200 people, 12 weeks) of budget and word of mouth."""
    path = tmp_path_factory.mktemp("scenario") / "tiny_lhs.toml"
    path.write_text(SWEEP)
    folder = tmp_path_factory.mktemp("sweep")
    sweep(load_scenario(path), jobs=1, progress=False).write(folder, figures=False)
    return folder


@pytest.fixture(scope="module")
def held_out(real_sweep, tmp_path_factory):
    """The emulator fitted on the sweep's first 16 points (profit and customer equity), and the
    other 8 points' means of the focal firm."""
    table = pd.read_parquet(real_sweep / "sweep.parquet")
    train = tmp_path_factory.mktemp("train")
    table[table["point"] < 16].to_parquet(train / "sweep.parquet")
    (train / "scenario.resolved.toml").write_text((real_sweep / "scenario.resolved.toml").read_text())
    means = table[(table["point"] >= 16) & (table["firm"] == "us")].groupby("point").mean(numeric_only=True)
    return fit_emulator(train), means


def test_on_a_smooth_response_the_cross_validated_error_is_reported_and_near_the_noise(synthetic):
    folder, result = synthetic
    fit = result.emulator.fits["profit"]
    # The noise floor is SIGMA; over LHS seeds 0-3 the chosen model's held-out RMSE was 1.0-1.6 SIGMA
    # (a Gaussian process each time), so 2 SIGMA leaves room for the interpolation error and no more.
    assert fit.cv["rmse"] < 2 * SIGMA, f"expected a CV RMSE below {2 * SIGMA}, got {fit.cv['rmse']:.4f}"
    assert fit.cv["rmse"] >= 0.7 * SIGMA, f"a held-out RMSE {fit.cv['rmse']:.4f} far below the noise: leaked?"
    assert fit.cv["r2"] > 0.98, f"expected R^2 above 0.98 on a smooth response, got {fit.cv['r2']:.3f}"
    assert fit.model == "gaussian_process", f"expected the GP to win on a smooth response, got {fit.model}"
    share = fit.cv["rmse"] / np.std(pd.read_parquet(folder / "sweep.parquet")["profit"])
    assert fit.cv["share_of_spread"] == pytest.approx(share), (
        "expected the share to be RMSE / SD of the outcome"
    )
    assert set(fit.candidates) == {"gaussian_process", "gradient_boosting"}, "expected both models scored"
    text = result.table()
    assert "gaussian_process" in text and f"{fit.cv['rmse']:.4g}" in text, (
        f"expected the error printed:\n{text}"
    )


def test_an_input_outside_the_fitted_ranges_is_flagged(synthetic):
    _, result = synthetic
    inside = result.emulator.predict({"a": 0.5, "b": 0.5, "c": 0.5})["profit"]
    outside = result.emulator.predict({"a": 1.5, "b": 0.5, "c": 0.5})["profit"]
    assert inside.extrapolated == (), f"expected no flag inside the ranges, got {inside.extrapolated}"
    assert outside.extrapolated == ("a",), (
        f"expected a flagged at 1.5 (fitted up to ~1), got {outside.extrapolated}"
    )
    truth = smooth(np.array(0.5), np.array(0.5), np.array(0.5))
    assert inside.low <= truth <= inside.high, (
        f"expected the true {truth:.3f} in [{inside.low:.3f}, {inside.high:.3f}]"
    )


def test_a_real_sweep_predicts_held_out_points_inside_the_interval(held_out):
    result, means = held_out
    emulator = result.emulator
    predicted = emulator.predict_many({name: means[name].to_numpy() for name in emulator.input_names})
    inside = {
        name: int(np.sum((means[name] >= low) & (means[name] <= high)))
        for name, (_, low, high) in predicted.items()
    }
    # Held out: 8 points x 2 outcomes. Over sweep seeds 1-4 the emulator fitted on the other 16
    # points had 16, 16, 14 and 12 of the 16 inside their 95% interval; 12 is the floor measured.
    assert sum(inside.values()) >= 12, f"expected at least 12 of 16 held-out means inside, got {inside}"
    for name, fit in emulator.fits.items():
        assert np.isfinite(fit.cv["rmse"]) and 0 <= fit.cv["coverage"] <= 1, (
            f"{name}: CV not reported: {fit.cv}"
        )


def test_the_command_writes_the_emulator(real_sweep, tmp_path, capsys):
    out = tmp_path / "emulator"
    assert (
        main(["emulate", str(real_sweep), "--out", str(out), "--outcomes", "customers_end", "--folds", "3"])
        == 0
    )
    printed = capsys.readouterr().out
    assert "customers_end" in printed and "RMSE" in printed and "quick what-if" in printed, printed
    assert {p.name for p in out.iterdir()} == {"emulator.joblib", "emulator.json", "manifest.json"}
    report = json.loads((out / "emulator.json").read_text())
    assert list(report["outcomes"]) == ["customers_end"], report["outcomes"].keys()
    assert {i["name"] for i in report["inputs"]} == {"firms.us.budget", "behaviours.adoption.word_of_mouth"}
    assert all(i["low"] < i["high"] for i in report["inputs"]), (
        f"expected the fitted ranges: {report['inputs']}"
    )
    assert {"rmse", "mae", "r2", "share_of_spread", "coverage"} <= set(
        report["outcomes"]["customers_end"]["cv"]
    )
    assert report["source"]["folds"] == 3 and report["source"]["points"] == 24, report["source"]


def test_a_saved_emulator_loads_and_predicts_as_it_did(held_out, tmp_path):
    result, _ = held_out
    loaded = load_emulator(result.write(tmp_path / "e"))
    points = [{"firms.us.budget": 700.0, "behaviours.adoption.word_of_mouth": 0.012},
              {"firms.us.budget": 3000.0, "behaviours.adoption.word_of_mouth": 0.02}]  # fmt: skip
    for point in points:
        assert loaded.predict(point) == result.emulator.predict(point), (
            f"expected the same prediction at {point}"
        )
    assert loaded.source["scenario"] == "tiny_lhs", f"expected the design's scenario kept: {loaded.source}"


def test_load_refuses_other_library_versions_and_a_changed_file(synthetic, tmp_path):
    _, result = synthetic
    folder = result.write(tmp_path / "e")
    report = json.loads((folder / "emulator.json").read_text())
    (folder / "emulator.json").write_text(
        json.dumps({**report, "versions": {**report["versions"], "scikit-learn": "0.1"}})
    )
    with pytest.raises(EmulatorError, match=r"scikit-learn 0\.1 \(installed: "):
        load_emulator(folder)
    (folder / "emulator.json").write_text(json.dumps(report))
    with (folder / "emulator.joblib").open("ab") as handle:
        handle.write(b"x")
    with pytest.raises(EmulatorError, match="SHA-256 differs"):
        load_emulator(folder)


@pytest.mark.parametrize(
    ("make", "options", "expected"),
    [
        (lambda d: d.mkdir(), [], "holds no sweep.parquet or discover.parquet"),
        (synthetic_folder, ["--outcomes", "profits"], "--outcomes 'profits': not an outcome"),
        (
            lambda d: synthetic_folder(d, points=5),
            ["--outcomes", "profit"],
            "the design has 5 points: too few to cross-validate",
        ),
        (synthetic_folder, ["--outcomes", "profit", "--firm", "them"], "--firm 'them': no such firm"),
        (synthetic_folder, ["--folds", "1"], "--folds 1: must be a whole number from 2"),
    ],
)
def test_bad_input_exits_2_with_one_message_and_writes_nothing(tmp_path, capsys, make, options, expected):
    folder = tmp_path / "results"
    make(folder)
    out = tmp_path / "out"
    assert main(["emulate", str(folder), "--out", str(out), *options]) == 2, "expected exit status 2"
    error = capsys.readouterr().err
    assert expected in error and error.count("\n") == 1, f"expected one line with {expected!r}, got {error!r}"
    assert not out.exists(), "expected nothing written"


def test_the_dashboard_answers_a_move_from_the_emulator_not_a_simulation(held_out, monkeypatch):
    import sim.model

    emulator = held_out[0].emulator
    scenario = load_scenario(ROOT / "scenarios" / "what_if.toml", {"market.size": 200, "run.weeks": 12})
    whatif = WhatIf(emulator, dashboard_params(scenario), scenario)
    assert sorted(whatif.bound) == sorted(emulator.input_names), "expected both inputs bound to page controls"

    def no_simulation(*args, **kwargs):
        raise AssertionError("a slider move built a market: it must be answered by the emulator")

    monkeypatch.setattr(sim.model.CustomerMarket, "__init__", no_simulation)
    settings = {"firms.us.budget": 900, "behaviours.adoption.word_of_mouth": 0.02}
    answer = whatif.answer(settings)
    assert answer.predictions == emulator.predict(settings), "expected the emulator's own predictions"
    assert answer.notes[0].startswith("emulated: profit +-"), f"expected the CV error shown: {answer.notes}"
    assert answer.warning() is None, "expected no extrapolation inside the fitted ranges"
    far = whatif.answer({**settings, "firms.us.budget": 4000})
    assert far.extrapolated == ("firms.us.budget",) and "extrapolation" in far.warning(), far

    monkeypatch.undo()  # the confirming run is the real simulation
    confirmed = whatif.confirm(answer.point)
    assert confirmed.runs == 2 and set(confirmed.simulated) == {"profit", "customer_equity"}, confirmed
    assert all(np.isfinite(v) for v in confirmed.simulated.values()), confirmed.simulated
    assert "simulated" in confirmed.lines()[1], confirmed.lines()


def test_a_discover_design_takes_the_strategy_as_a_category(tmp_path):
    # sim discover's table: market x strategy x seed, the sampled keys, the focal firm's outcomes.
    rng = np.random.default_rng(3)
    word = qmc.LatinHypercube(d=1, seed=3).random(12)[:, 0] * 0.03
    rows = [
        {"market": m, "strategy": s, "seed": seed, "behaviours.adoption.word_of_mouth": word[m],
         "profit": (1000 if s == "relations" else 0) + 1e5 * word[m] * (2 if s == "relations" else 1)
         + rng.normal(0, 20)}
        for m in range(12) for s in ("conquest", "relations") for seed in (1, 2)
    ]  # fmt: skip
    pd.DataFrame(rows).to_parquet(tmp_path / "discover.parquet")
    result = fit_emulator(tmp_path, outcomes=["profit"])
    kinds = {spec.name: spec.kind for spec in result.emulator.inputs}
    assert kinds == {"strategy": "category", "behaviours.adoption.word_of_mouth": "number"}, kinds
    assert result.emulator.source["points"] == 24, "expected a point per market x strategy"
    at = {"behaviours.adoption.word_of_mouth": 0.02}
    gap = (
        result.emulator.predict({**at, "strategy": "relations"})["profit"].mean
        - result.emulator.predict({**at, "strategy": "conquest"})["profit"].mean
    )
    # The planted gap at word of mouth 0.02 is 1000 + 1e5 x 0.02 = 3000; the noise is SD 20 a run.
    assert abs(gap - 3000) < 300, f"expected relations about 3000 above conquest, got {gap:,.0f}"
    assert result.emulator.outside({**at, "strategy": "neglect"}) == ("strategy",), (
        "an unseen strategy is flagged"
    )


def test_a_real_discover_folder_is_emulated_and_confirmed_with_its_candidates_overrides(tmp_path):
    from sim.design import Range
    from sim.discover import discover

    scenario = load_scenario(
        ROOT / "scenarios" / "conquest_vs_relations.toml", {"market.size": 200, "run.weeks": 8}
    )
    scenario = scenario.model_copy(
        update={"uncertainties": {"behaviours.adoption.word_of_mouth": Range(low=0.005, high=0.03)}}
    )
    discover(scenario, samples=8, replicates=2, jobs=1, conditions=False, progress=False).write(
        tmp_path, figures=False
    )
    emulator = fit_emulator(tmp_path, outcomes=["profit"], folds=3).emulator
    assert emulator.source["firm"] == "us", (
        f"expected discover.json's focal firm, got {emulator.source['firm']}"
    )
    assert {s.name: s.kind for s in emulator.inputs} == {
        "strategy": "category", "behaviours.adoption.word_of_mouth": "number",
    }, emulator.inputs  # fmt: skip
    whatif = WhatIf(emulator, dashboard_params(scenario), scenario)
    assert whatif.control_key("strategy") == "firms.us.strategy", (
        "expected the strategy bound to our firm's control"
    )
    answer = whatif.answer({"firms.us.strategy": "relations", "behaviours.adoption.word_of_mouth": 0.02})
    confirmed = whatif.confirm(answer.point)
    assert confirmed.runs == 2 and np.isfinite(confirmed.simulated["profit"]), confirmed


def test_the_dashboard_refuses_a_folder_without_an_emulator(tmp_path, capsys):
    code = main(["dashboard", str(ROOT / "scenarios" / "baseline.toml"), "--emulator", str(tmp_path)])
    error = capsys.readouterr().err
    assert code == 2 and "--emulator:" in error and "no emulator.json" in error, f"got {code}: {error!r}"
