"""Global sensitivity analysis: designs are checked with clear errors, a parameter that cannot
move an outcome gets an index of exactly zero (common random numbers make the runs of two points
that differ only in it identical), the parameter that drives an outcome ranks first, and the
command writes its files and resumes from its finished runs."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from sim import ScenarioError, load_scenario
from sim.cli import main
from sim.sensitivity import (
    check_design,
    check_precision,
    format_sensitivity,
    parse_param,
    sample_points,
    sensitivity,
)

from .helpers import ROOT

RESEARCH = ROOT / "scenarios" / "research.toml"
TINY = {"market.size": 300, "run.weeks": 16}
# The budget drives the number of customers; the discount rate only discounts lifetime value, so
# it cannot change customers_end at all.
DESIGN = {"firms.us.budget": [0.0, 2000.0], "run.discount_rate": [0.0, 0.5]}


@pytest.fixture(scope="module")
def tiny():
    return load_scenario(RESEARCH, TINY)


@pytest.fixture(scope="module")
def sobol(tiny):
    return sensitivity(tiny, DESIGN, method="sobol", samples=8, outcomes=["customers_end", "ltv"], jobs=1)


def test_parse_param():
    assert parse_param("firms.us.budget=100:2000") == ("firms.us.budget", (100.0, 2000.0)), (
        "expected key and range"
    )
    with pytest.raises(ScenarioError, match="expected KEY=LOW:HIGH"):
        parse_param("firms.us.budget=100")


@pytest.mark.parametrize(
    ("key", "bounds", "message"),
    [
        (
            "firms.us.budgte",
            [0, 1],
            r"firms\.us\.budgte = \[0, 1\]: unknown key; keys in \[firms\.us\]: price",
        ),
        ("firms.them.budget", [0, 1], r"unknown key; keys in \[firms\]: us, rival"),
        ("firms.us.strategy", [0, 1], r"not a number \(it is 'balanced'\)"),
        ("firms.us.budget", [5, 1], "a range needs low < high"),
        ("behaviours.adoption.word_of_mouth", [-0.1, 0.1], r"at -0\.1: .*greater than or equal to 0"),
    ],
)
def test_bad_designs_name_file_key_value_and_what_is_allowed(tiny, key, bounds, message):
    with pytest.raises(ScenarioError, match=message) as error:
        check_design(tiny, {key: bounds}, "--param")
    assert str(error.value).startswith(f"{RESEARCH}: --param {key}"), (
        f"expected the message to start with the file, the option and the key, got {error.value}"
    )


def test_sensitivity_table_is_validated_when_the_file_loads(write_scenario):
    path = write_scenario('[sensitivity]\nuncertainties = {"firms.us.budgte" = {low = 0, high = 100}}\n')
    with pytest.raises(
        ScenarioError,
        match=r"\[sensitivity\.uncertainties\] firms\.us\.budgte = \{'low': 0\.0, 'high': 100\.0\}: unknown key",
    ):
        load_scenario(path)
    path = write_scenario(
        '[sensitivity]\nsamples = 50\nuncertainties = {"firms.us.budget" = {low = 0, high = 100}}\n'
    )
    with pytest.raises(ScenarioError, match="Sobol needs a power of two"):
        load_scenario(path)
    path = write_scenario(
        '[sensitivity]\noutcomes = ["profitt"]\nuncertainties = {"firms.us.budget" = {low = 0, high = 100}}\n'
    )
    with pytest.raises(ScenarioError, match=r"\[sensitivity\] outcome 'profitt': not a scalar metric"):
        load_scenario(path)


def test_the_older_table_name_and_range_still_read_with_a_warning_naming_file_and_key(write_scenario):
    path = write_scenario('[sensitivity]\nparameters = {"firms.us.budget" = [0, 100]}\n')
    with pytest.warns(DeprecationWarning) as caught:
        scenario = load_scenario(path)
    messages = [str(w.message) for w in caught]
    assert f"{path}: sensitivity.parameters: renamed: write [sensitivity.uncertainties]" in messages, messages
    assert any(
        m.startswith(f"{path}: sensitivity.parameters.firms.us.budget: a range is written") for m in messages
    ), f"expected a warning naming the file and the [low, high] key, got {messages}"
    assert scenario.sensitivity.uncertainties["firms.us.budget"].ends() == (0.0, 100.0), (
        "expected the older pair read as the range {low = 0, high = 100}"
    )
    new = write_scenario('[sensitivity]\nuncertainties = {"firms.us.budget" = {low = 0, high = 100}}\n')
    assert load_scenario(new).sensitivity == scenario.sensitivity, (
        "expected both forms to give the same table"
    )
    # the older keyword still reads; the unknown outcome then stops the analysis before any run
    deprecated = pytest.warns(DeprecationWarning, match=r"sensitivity\(parameters=\.\.\.\) is deprecated")
    with deprecated, pytest.raises(ScenarioError, match="outcome 'nothing'"):
        sensitivity(scenario, parameters={"firms.us.budget": (0, 100)}, outcomes=["nothing"], jobs=1)


def test_design_sizes():
    assert sample_points(DESIGN, "sobol", 8, seed=1).shape == (8 * (2 + 2), 2), (
        "expected N (D + 2) Sobol points"
    )
    assert sample_points(DESIGN, "morris", 5, seed=1).shape == (5 * (2 + 1), 2), (
        "expected N (D + 1) Morris points"
    )


def test_sobol_indices(sobol):
    table = sobol.indices.set_index(["outcome", "parameter"])
    assert {"S1", "S1_conf", "ST", "ST_conf", "rank"} <= set(table.columns), "expected Sobol columns"
    # Exact zero: with common random numbers, points that differ only in the discount rate give
    # identical customer counts, so the estimator's differences vanish.
    assert table.loc[("customers_end", "run.discount_rate"), "ST"] == 0.0, (
        "expected a total-order index of exactly 0 for a parameter that cannot move customers_end"
    )
    assert table.loc[("customers_end", "firms.us.budget"), "rank"] == 1, "expected the budget to rank first"
    # Over seeds 1-5 the estimate of the budget's ST for customers_end ranged 0.60-1.49 with N = 8
    # (a small design: its CI half-widths were 0.5-1.0); seed 1 gives 1.49.
    assert table.loc[("customers_end", "firms.us.budget"), "ST"] > 0.5, (
        "expected the budget to explain most variance"
    )
    assert table.loc[("ltv", "run.discount_rate"), "ST"] > 0.0, (
        "expected the discount rate to move lifetime value"
    )
    assert (sobol.indices[["S1_conf", "ST_conf"]] >= 0).all().all(), "expected non-negative CI half-widths"
    assert len(sobol.design) == 32 and "customers_end" in sobol.design, "expected one design row per point"


def test_the_result_prints_draws_and_writes_itself(sobol, tmp_path):
    from sim.sensitivity import write_sensitivity
    from sim.workflow import WorkflowResult

    assert isinstance(sobol, WorkflowResult), "expected the result of every workflow's shape"
    assert sobol.table() == format_sensitivity(sobol) and sobol.table().startswith("Sobol sensitivity"), (
        "expected format_sensitivity to be the result's table"
    )
    assert list(sobol.figures()) == ["sensitivity"], f"unexpected figures {list(sobol.figures())}"
    assert sobol.write(tmp_path / "a", figures=False) == tmp_path / "a", "expected the folder written"
    write_sensitivity(sobol, sobol.scenario, tmp_path / "b", figures=False)
    for name in (
        "sensitivity.json",
        "sensitivity.parquet",
        "sensitivity_design.parquet",
        "scenario.resolved.toml",
    ):
        written = [(tmp_path / folder / name).read_bytes() for folder in ("a", "b")]
        assert written[0] == written[1], f"expected the method and the wrapper to write the same {name}"
    assert (tmp_path / "a" / "manifest.json").exists(), "expected a manifest"


def test_a_distribution_is_sampled_through_its_quantiles(tiny):
    from sim.design import Distribution

    law = {"dist": "triangular", "low": 0.0, "mode": 300.0, "high": 2000.0}
    result = sensitivity(
        tiny, {"firms.us.budget": law, "run.discount_rate": {"low": 0.0, "high": 0.5}},
        samples=4, outcomes=["customers_end"], jobs=1,
    )  # fmt: skip
    unit = sample_points({"firms.us.budget": (0.0, 1.0), "run.discount_rate": (0.0, 0.5)}, "sobol", 4, seed=1)
    expected = [Distribution.model_validate(law).at(u) for u in unit[:, 0]]
    assert result.design["firms.us.budget"].tolist() == pytest.approx(expected), (
        "expected the budget at the triangular quantiles of the sampler's coordinates"
    )
    assert result.info["parameters"]["firms.us.budget"] == law, (
        "expected the distribution recorded as written"
    )
    assert result.info["parameters"]["run.discount_rate"] == [0.0, 0.5], (
        "expected a range recorded as [low, high]"
    )


def test_morris_screening(tiny):
    result = sensitivity(tiny, DESIGN, method="morris", samples=4, outcomes=["customers_end"], jobs=1)
    table = result.indices.set_index("parameter")
    assert {"mu_star", "mu_star_conf", "sigma"} <= set(table.columns), "expected Morris columns"
    assert table.loc["run.discount_rate", "mu_star"] == 0.0, (
        "expected no elementary effect of the discount rate"
    )
    assert table.loc["firms.us.budget", "mu_star"] > 0, "expected the budget to have an effect"


def test_cli_writes_the_files_and_resumes(tmp_path, capsys):
    out = tmp_path / "sens"
    args = ["sensitivity", str(RESEARCH), "--set", "market.size=300", "--set", "run.weeks=16",
            "--param", "firms.us.budget=0:2000", "--param", "run.discount_rate=0:0.5", "--samples", "4",
            "--outcome", "customers_end", "--outcome", "profit", "--jobs", "1", "--out", str(out), "--quiet"]  # fmt: skip
    assert main(args) == 0, "expected sim sensitivity to succeed"
    for name in (
        "sensitivity.json",
        "sensitivity.parquet",
        "sensitivity_design.parquet",
        "figures/sensitivity.png",
    ):
        assert (out / name).exists(), f"expected {name} in the output folder"
    info = json.loads((out / "sensitivity.json").read_text())
    table = pd.read_parquet(out / "sensitivity.parquet")
    assert info["points"] == 16 and info["method"] == "sobol", "expected 4 x (2 + 2) Sobol points"
    assert set(table["outcome"]) == {"customers_end", "profit"}, "expected indices for both outcomes"
    assert set(info["outcomes"]["profit"]["indices"]) == {"firms.us.budget", "run.discount_rate"}, (
        "expected indices for both parameters in the JSON"
    )
    runs = sorted(p.name for p in (out / "runs").iterdir())
    assert main(args) == 0, "expected a second run to succeed"
    assert sorted(p.name for p in (out / "runs").iterdir()) == runs, (
        "expected the second run to reuse the runs"
    )
    pd.testing.assert_frame_equal(
        pd.read_parquet(out / "sensitivity.parquet"), table, obj="indices after resuming"
    )

    assert main([*args[:-1], "--outcome", "profitt"]) == 2, "expected exit status 2 for an unknown outcome"
    assert "outcome 'profitt': not a scalar metric" in capsys.readouterr().err, (
        "expected the allowed outcomes"
    )


def test_precision_rule_by_hand():
    table = pd.DataFrame(
        {
            "outcome": ["profit"] * 4,
            "parameter": ["wide", "negative", "small_and_precise", "precise"],
            "S1": [0.30, -0.20, 0.02, 0.60],
            "S1_conf": [0.05, 0.05, 0.03, 0.20],
            "ST": [0.40, 0.01, 0.04, 0.70],
            "ST_conf": [0.30, 0.01, 0.04, 0.30],
        }
    )
    found = check_precision(table, "sobol", 16, parameters=4, runs=2)
    flagged = {(f["parameter"], f["index"]): f for f in found["flagged"]}
    # "wide": ST's interval is 0.6 wide, wider than ST = 0.4; "negative": S1 = -0.2 with its whole
    # interval below 0; "small_and_precise": intervals of 0.06 and 0.08 are wider than the indices
    # but within 0.1, precise enough; "precise": 0.4 and 0.6 wide, narrower than 0.6 and 0.7.
    assert set(flagged) == {("wide", "ST"), ("negative", "S1")}, (
        f"expected two flagged indices, got {set(flagged)}"
    )
    assert flagged[("negative", "S1")]["reason"] == "negative", "expected the negative S1 called negative"
    # Widths shrink as 1/sqrt(N): 0.6 -> 0.4 needs 16 (0.6/0.4)^2 = 36, a power of two: 64; the
    # negative S1's error (at least 2 x 0.2) -> 0.1 needs 16 x 16 = 256.
    assert flagged[("wide", "ST")]["samples_needed"] == 64, f"expected 64, got {flagged[('wide', 'ST')]}"
    assert found["recommended_samples"] == 256, f"expected 256 samples, got {found['recommended_samples']}"
    warning = found["warning"]
    assert "ST of wide = 0.4 ± 0.3" in warning and "S1 of negative = -0.2 ± 0.05" in warning, (
        f"expected the warning to name both indices with their values:\n{warning}"
    )
    assert "small_and_precise" not in warning and "--samples 256" in warning, (
        f"expected only the flagged indices and the recommended size:\n{warning}"
    )
    assert "256 x 6 points x 2 run(s) = 3,072 runs, against 192 now" in warning, (
        f"expected the cost of the recommendation in runs:\n{warning}"
    )

    precise = table[table["parameter"].isin(["small_and_precise", "precise"])]
    good = check_precision(precise, "sobol", 16, parameters=2)
    assert good["flagged"] == [] and good["warning"] is None and good["recommended_samples"] is None, (
        f"expected nothing flagged without the wide and the negative index, got {good}"
    )


def test_morris_precision_is_relative_to_the_largest_effect():
    table = pd.DataFrame(
        {
            "outcome": ["customers_end"] * 3 + ["ltv"],
            "parameter": ["big", "noisy", "small", "still"],
            "mu_star": [500.0, 100.0, 20.0, 0.0],
            "mu_star_conf": [100.0, 80.0, 20.0, 0.0],
            "mu": [500.0, 50.0, 0.0, 0.0],
            "sigma": [10.0, 10.0, 10.0, 0.0],
        }
    )
    found = check_precision(table, "morris", 10, parameters=3)
    # "big": 200 wide < 500; "noisy": 160 wide > 100 (and > 50, a tenth of 500): flagged and
    # needs 10 (160/100)^2 = 25.6 -> 26 trajectories; "small": 40 wide < 50, precise enough.
    assert [(f["parameter"], f["samples_needed"]) for f in found["flagged"]] == [("noisy", 26)], (
        f"expected only 'noisy' flagged, needing 26 trajectories, got {found['flagged']}"
    )


def test_sensitivity_warns_when_its_sample_is_too_small_and_not_at_the_size_it_recommends(tmp_path, capsys):
    out = tmp_path / "sens"
    args = ["sensitivity", str(RESEARCH), "--set", "market.size=300", "--set", "run.weeks=16",
            "--param", "firms.us.budget=0:2000", "--param", "run.discount_rate=0:0.5", "--samples", "8",
            "--runs", "1", "--outcome", "customers_end", "--outcome", "ltv", "--jobs", "1", "--no-figures",
            "--out", str(out)]  # fmt: skip
    assert main(args) == 0, "expected sim sensitivity to succeed"
    printed = capsys.readouterr().out
    precision = json.loads((out / "sensitivity.json").read_text())["precision"]
    # Measured with seed 1: with N = 8 the first-order indices of ltv are 1.43 ± 1.06 (budget) and
    # -0.05 ± 0.12 (discount rate); customers_end's are precise (its only driver is the budget).
    flagged = {(f["outcome"], f["parameter"], f["index"]) for f in precision["flagged"]}
    assert ("ltv", "firms.us.budget", "S1") in flagged, (
        f"expected ltv's S1 of the budget flagged, got {flagged}"
    )
    assert not any(outcome == "customers_end" for outcome, _, _ in flagged), (
        f"expected no index of customers_end flagged, got {flagged}"
    )
    assert precision["warning"] and precision["warning"] in printed, (
        f"expected the warning printed after the indices:\n{printed}"
    )
    assert "S1 of firms.us.budget" in precision["warning"], (
        f"expected the index named:\n{precision['warning']}"
    )
    recommended = precision["recommended_samples"]
    assert recommended is not None and 8 < recommended <= 128 and not recommended & (recommended - 1), (
        f"expected a power of two above 8 (64 measured), got {recommended}"
    )

    scenario = load_scenario(RESEARCH, TINY)
    design = {"firms.us.budget": [0.0, 2000.0], "run.discount_rate": [0.0, 0.5]}
    enough = sensitivity(
        scenario, design, samples=recommended, runs=1, outcomes=["customers_end", "ltv"], jobs=1
    )
    assert enough.info["precision"]["flagged"] == [], (
        f"expected no index flagged with the recommended {recommended} samples, got "
        f"{enough.info['precision']['flagged']}"
    )
    assert "warning" not in format_sensitivity(enough), "expected no warning printed at the recommended size"
