"""Bayesian calibration (`sim calibrate --method abc`): on a tiny synthetic problem with a known
truth the posterior concentrates near it; the posterior is the same with one process or two, and
after an interruption and a rerun; the outputs hold what they say; bad settings are refused with
one line and nothing written.

The problem: scenarios/research.toml at 300 people for 12 weeks (a run's cost is mostly its weeks),
customers of each firm at weeks 3, 6, 9 and 12 made from word of mouth 0.02 and the churn hazard at zero appreciation 0.02 (2 runs, seeds
101-102); fitted with 10 particles, 3 generations, 1 run a candidate."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest

from sim import load_scenario
from sim.calibration import Target, TargetSet, simulate_targets, weighted_quantiles, write_target_set
from sim.cli import main

from .helpers import ROOT

RESEARCH = ROOT / "scenarios" / "research.toml"
SMALL = {"market.size": 300, "run.weeks": 12}
SETS = ["--set", "market.size=300", "--set", "run.weeks=12"]
WOM, CHURN = "behaviours.adoption.word_of_mouth", "behaviours.churn.unappreciated_rate"
TRUTH = {WOM: 0.02, CHURN: 0.02}


@pytest.fixture(scope="module")
def targets_file(tmp_path_factory):
    """A targets file (method abc, a log-uniform prior) whose values the truth simulated."""
    from sim.design import Distribution

    folder = tmp_path_factory.mktemp("abc")
    scenario = load_scenario(RESEARCH, SMALL)
    template = TargetSet(
        {WOM: (0.004, 0.06), CHURN: (0.004, 0.06)},
        [
            Target("series", (3, 6, 9, 12), (0.0,) * 4, metric="customers", firm=firm, unit="week")
            for firm in ("us", "rival")
        ],
        runs=1,
        seed=5,
        method="abc",
        priors={WOM: Distribution(dist="loguniform", low=0.004, high=0.06)},
        population_size=10,
        generations=3,
        predictive_draws=4,
    )
    observed = simulate_targets(scenario.with_overrides(TRUTH), template, runs=2, seed=101, jobs=1)
    return write_target_set(observed, folder / "truth.toml")


def _cli(targets, out, *extra):
    truth = [f"--truth={k}={v}" for k, v in TRUTH.items()]
    return main(["calibrate", str(RESEARCH), *SETS, "--targets", str(targets), "--jobs", "1",
                 "--out", str(out), "--quiet", *truth, *extra])  # fmt: skip


@pytest.fixture(scope="module")
def reference(targets_file, tmp_path_factory):
    """`sim calibrate --method abc` (the file says so) in one process: its output folder."""
    out = tmp_path_factory.mktemp("abc") / "one"
    assert _cli(targets_file, out) == 0, "expected sim calibrate --method abc to succeed"
    return out


def test_the_file_asks_for_abc_with_a_log_uniform_prior(targets_file):
    text = targets_file.read_text()
    assert 'method = "abc"' in text and 'dist = "loguniform"' in text and "population_size = 10" in text, (
        f"expected the written targets file to keep the method, the prior and the settings:\n{text}"
    )


def test_the_posterior_concentrates_near_the_truth(reference):
    table = pd.read_csv(reference / "posterior_table.csv").set_index("parameter")
    # Word of mouth drives both firms' customer curves. This problem run with seeds 1-8 (10
    # particles, 3 generations) gave word of mouth a narrowing of 0.51-0.86 and a 90% interval
    # holding 0.02 in 7 of 8 (seed 5, the file's, among them; its narrowing was 0.86): the bound
    # 0.9 is the widest seen plus a margin, and below 1 means the data narrowed the prior.
    low, high = table.loc[WOM, "q05"], table.loc[WOM, "q95"]
    assert low <= TRUTH[WOM] <= high, f"expected the 90% interval [{low}, {high}] to hold the truth 0.02"
    assert table.loc[WOM, "narrowing"] < 0.9, (
        f"expected the data to narrow word of mouth's 90% interval below 0.9 of the prior's, "
        f"got {table.loc[WOM, 'narrowing']:.2f}"
    )
    particles = pd.read_csv(reference / "posterior.csv")
    prior_median = np.sqrt(0.004 * 0.06)  # log-uniform: the geometric mean of the ends
    posterior_median = table.loc[WOM, "median"]
    assert abs(np.log(posterior_median / TRUTH[WOM])) < abs(np.log(prior_median / TRUTH[WOM])) or (
        abs(np.log(posterior_median / TRUTH[WOM])) < 0.35
    ), f"expected the posterior median {posterior_median:.4f} nearer 0.02 than the prior's {prior_median:.4f}"
    assert (
        particles["distance"].max() <= pd.read_csv(reference / "abc_diagnostics.csv")["epsilon"].iloc[-1]
    ), "expected every particle of the last generation within its epsilon"
    diagnostics = pd.read_csv(reference / "abc_diagnostics.csv")
    eps = diagnostics["epsilon"].dropna().to_numpy()
    assert len(diagnostics) == 3 and np.all(np.diff(eps) < 0), (
        f"expected 3 generations with a shrinking epsilon, got {list(diagnostics['epsilon'])}"
    )


def test_outputs_hold_what_they_say(reference):
    particles = pd.read_csv(reference / "posterior.csv")
    table = pd.read_csv(reference / "posterior_table.csv").set_index("parameter")
    assert len(particles) == 10 and particles["weight"].sum() == pytest.approx(1.0), (
        f"expected 10 weighted particles summing to 1, got {len(particles)} summing to {particles['weight'].sum()}"
    )
    q05, q95 = weighted_quantiles(particles[CHURN].to_numpy(), particles["weight"].to_numpy(), [0.05, 0.95])
    assert table.loc[CHURN, "q05"] == pytest.approx(q05) and table.loc[CHURN, "q95"] == pytest.approx(q95), (
        "expected the table's interval to be the weighted quantiles of posterior.csv"
    )
    assert table.loc[CHURN, "narrowing"] == pytest.approx((q95 - q05) / (0.9 * (0.06 - 0.004))), (
        "expected the narrowing of a uniform prior to be the 90% width over 0.9 of the prior's range"
    )
    wom = particles[WOM].to_numpy()
    p05, p95 = weighted_quantiles(wom, particles["weight"].to_numpy(), [0.05, 0.95])
    log_prior = 0.9 * np.log10(0.06 / 0.004)
    assert table.loc[WOM, "narrowing"] == pytest.approx(np.log10(p95 / p05) / log_prior), (
        "expected a log-uniform prior's narrowing on the log10 scale"
    )
    diagnostics = pd.read_csv(reference / "abc_diagnostics.csv")
    assert np.allclose(diagnostics["acceptance_rate"], diagnostics["accepted"] / diagnostics["candidates"]), (
        "expected the acceptance rate to be accepted over candidates"
    )
    assert (
        (diagnostics["effective_sample_size"] > 1) & (diagnostics["effective_sample_size"] <= 10.0001)
    ).all(), (
        f"expected effective sample sizes within (1, 10], got {list(diagnostics['effective_sample_size'])}"
    )
    predictive = pd.read_csv(reference / "predictive.csv")
    assert len(predictive) == 8 and (predictive["q05"] <= predictive["q95"]).all(), (
        "expected a 5-95% band at each of the 8 target points"
    )
    summary = json.loads((reference / "abc.json").read_text())
    assert summary["truth"] == TRUTH and summary["population_size"] == 10, "expected the settings recorded"
    for name in (
        "figures/posterior_pairs.png",
        "figures/posterior_predictive.png",
        "fitted.toml",
        "manifest.json",
    ):
        assert (reference / name).stat().st_size > 0, f"expected {name} written"


def test_two_processes_give_the_same_generations(targets_file, reference, tmp_path):
    import pyabc

    # Two generations (the second drawn from the first through the kernel) keep the worker
    # processes' share of the test time small; the reference's history holds the same two.
    out = tmp_path / "two"
    assert _cli(targets_file, out, "--jobs", "2", "--generations", "2", "--no-figures") == 0, (
        "expected sim calibrate --method abc --jobs 2 to succeed"
    )
    one = pyabc.History(f"sqlite:///{reference / 'abc' / 'history.db'}")
    two = pyabc.History(f"sqlite:///{out / 'abc' / 'history.db'}")
    for t in (0, 1):
        (p1, w1), (p2, w2) = one.get_distribution(m=0, t=t), two.get_distribution(m=0, t=t)
        pd.testing.assert_frame_equal(
            p1.reset_index(drop=True), p2.reset_index(drop=True), check_exact=True,
            obj=f"generation {t}'s particles with --jobs 1 and --jobs 2",
        )  # fmt: skip
        assert np.array_equal(w1, w2), f"expected generation {t}'s weights identical with --jobs 1 and 2"


def test_an_interrupted_calibration_resumes_to_the_same_posterior(
    targets_file, reference, tmp_path, monkeypatch
):
    import sim.calibration.abc as abc

    real = abc.execute
    calls = []

    def interrupted(specs, **kwargs):
        results = real(specs, **kwargs)  # the batch's runs reach the cache, then the user presses ^C
        calls.append(specs[0].label)
        if specs[0].label.startswith("abc-2-"):
            raise KeyboardInterrupt
        return results

    monkeypatch.setattr(abc, "execute", interrupted)
    out = tmp_path / "resumed"
    # The reference's finished runs, as if this folder had run them: the rerun's simulations come
    # from the cache, so what is tested is pyabc's history and the sampler's replay.
    shutil.copytree(reference / "runs", out / "runs")
    assert _cli(targets_file, out, "--no-figures") == 130, "expected the interruption to exit 130"
    assert any(c.startswith("abc-2-") for c in calls), (
        f"expected the interruption in generation 2, got {calls}"
    )
    monkeypatch.setattr(abc, "execute", real)
    assert _cli(targets_file, out, "--no-figures") == 0, "expected the rerun to finish"
    summary = json.loads((out / "abc.json").read_text())
    assert summary["resumed_from_generation"] == 2, (
        f"expected the rerun to continue from generation 2, got {summary['resumed_from_generation']}"
    )
    pd.testing.assert_frame_equal(
        pd.read_csv(reference / "posterior.csv"), pd.read_csv(out / "posterior.csv"), check_exact=True,
        obj="posterior after an interruption and a rerun",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--population-size", "1"], "--population-size = 1: must be a whole number from 2 to 100,000"),
        (["--generations", "0"], "--generations = 0: must be a whole number from 1 to 1,000"),
        (["--min-epsilon", "-0.5"], "--min-epsilon = -0.5: must be a finite number >= 0"),
        (["--truth", "firms.us.price=40"], "--truth firms.us.price: not a fitted parameter"),
        (["--method", "nelder-mead", "--generations", "3"], "--generations: applies only to --method abc"),
    ],
)
def test_bad_settings_are_refused_with_one_line(targets_file, tmp_path, capsys, extra, message):
    out = tmp_path / "refused"
    args = ["calibrate", str(RESEARCH), *SETS, "--targets", str(targets_file), "--out", str(out), *extra]
    assert main(args) == 2, f"expected exit status 2 for {extra}"
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1, f"expected one line naming {message!r}, got {err!r}"
    assert not out.exists(), "expected nothing written"


def test_a_bad_file_setting_names_the_file_and_key(targets_file, tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text(targets_file.read_text().replace("population_size = 10", "population_size = 1"))
    assert (
        main(["calibrate", str(RESEARCH), *SETS, "--targets", str(bad), "--out", str(tmp_path / "o")]) == 2
    ), "expected exit status 2 for population_size = 1"
    err = capsys.readouterr().err
    assert str(bad) in err and "population_size" in err and err.count("\n") == 1, (
        f"expected one line naming the file and settings.population_size, got {err!r}"
    )
