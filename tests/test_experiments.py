"""Experiments: replications, paired comparisons of arms and sweeps, their cache and the CLI."""

import json
import math
import re
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import sim.execution as execution
from sim import ScenarioError, load_scenario, simulate
from sim.cli import main
from sim.execution import RunSpec, config_hash, execute
from sim.experiments import compare, replicate, sweep, sweep_points
from sim.statistics import (
    CENSORED_METRICS,
    LOWER_IS_BETTER,
    mean_ci,
    paired_difference,
    pairing_effect,
    scalar_metrics,
)

from .helpers import ROOT

# A market small enough that a run takes a few hundredths of a second.
TINY = """
[run]
weeks = 12
seed = 3

[market]
size = 500

[firms.us]
strategy = "balanced"
budget = 500

[firms.rival]
strategy = "neglect"
budget = 0
"""

ARMS = """
[arms.base]

[arms.same]                 # the base scenario written out again: must be the base exactly
"firms.us.budget" = 500

[arms.rich]
firms.us.budget = 3000      # dotted TOML keys make nested tables; they are flattened

[arms.lean.firms.us]        # a nested table, flattened to "firms.us.budget"
budget = 100
"""


def _count_simulations(monkeypatch) -> list[int]:
    """Record the seed of every run computed in this process (``jobs=1``)."""
    calls: list[int] = []
    real = execution._simulate

    def counting(scenario_data, seed):
        calls.append(seed)
        return real(scenario_data, seed)

    monkeypatch.setattr(execution, "_simulate", counting)
    return calls


def _strict_json(text: str):
    """json.loads that fails on NaN and infinities (they are not JSON)."""

    def refuse(constant):
        raise ValueError(f"non-standard JSON constant {constant}")

    return json.loads(text, parse_constant=refuse)


def _folders(root) -> dict[str, tuple[int, int]]:
    """Finished run folders under ``root/runs``: relative path -> (mtime of summary.json, inode)."""
    out = {}
    for folder in sorted((root / "runs").glob("*/seed-*")):
        stat = (folder / "summary.json").stat()
        out[str(folder.relative_to(root))] = (stat.st_mtime_ns, stat.st_ino)
    return out


# --------------------------------------------------------------------------- replicate()


def test_replicate_is_the_same_in_this_process_and_in_a_process_pool(write_scenario):
    scenario = load_scenario(write_scenario(TINY))
    serial = replicate(scenario, runs=3, jobs=1)
    pooled = replicate(scenario, runs=3, jobs=2)
    assert serial.summary == pooled.summary, "expected identical summaries for jobs=1 and jobs=2"
    pd.testing.assert_frame_equal(serial.runs, pooled.runs)
    assert [r.summary for r in serial.results] == [r.summary for r in pooled.results], (
        "expected identical per-run summaries, in seed order, for jobs=1 and jobs=2"
    )


def test_replicate_on_a_local_dask_cluster_matches_this_process(write_scenario):
    scenario = load_scenario(write_scenario(TINY))
    serial = replicate(scenario, runs=3, jobs=1)
    on_dask = replicate(scenario, runs=3, jobs=2, cluster="local")
    assert serial.summary == on_dask.summary, "expected identical summaries in-process and on Dask"
    pd.testing.assert_frame_equal(serial.runs, on_dask.runs)


def test_replicate_summary_is_the_mean_of_the_runs_with_t_intervals(write_scenario):
    scenario = load_scenario(write_scenario(TINY))
    reps = replicate(scenario, runs=4, seed=10, jobs=1)
    seeds = [10, 11, 12, 13]
    assert reps.summary["seeds"] == seeds, f"expected seeds 10..13, got {reps.summary['seeds']}"
    assert reps.summary["runs"] == 4, "expected the number of runs in the summary"
    assert reps.summary["hash"] == config_hash(scenario), "expected the scenario's hash in the summary"
    assert [r.spec.seed for r in reps.results] == seeds, "expected the results in seed order"
    for result, seed in zip(reps.results, seeds, strict=True):
        assert result.summary == simulate(scenario, seed=seed).summary, (
            f"expected run {seed} to be exactly simulate(scenario, seed={seed})"
        )

    runs = reps.runs
    assert list(runs.columns[:3]) == ["run", "week", "firm"], (
        f"expected run, week, firm first: {runs.columns}"
    )
    assert len(runs) == 4 * (12 + 1) * 2, "expected one row per run x week (0..12) x firm"
    assert sorted(runs["run"].unique()) == seeds, "expected the run column to hold the seeds"

    checked = 0
    for firm in ("us", "rival"):
        per_run = [scalar_metrics(r.summary["firms"][firm]) for r in reps.results]
        means = scalar_metrics(reps.summary["firms"][firm])
        assert set(means) == set(per_run[0]), f"expected every metric of {firm} to be summarised"
        for name, mean in means.items():
            values = [run[name] for run in per_run if run[name] is not None]
            if name in CENSORED_METRICS and 0 < len(values) < len(per_run):
                assert mean is None, f"{firm}.{name}: not reached in some runs, so no mean, got {mean}"
                missed = reps.summary["censored"][firm][name]
                assert missed == len(per_run) - len(values), f"{firm}.{name}: {missed} runs missed"
                continue
            if not values:
                assert mean is None, f"{firm}.{name}: expected None where no run defines it, got {mean}"
                continue
            assert mean == pytest.approx(np.mean(values), rel=1e-12, abs=1e-12), (
                f"{firm}.{name}: expected the mean of the runs {values}, got {mean}"
            )
            if "." in name or len(values) < 2:
                continue
            low, high = reps.summary["ci95"][firm][name]
            assert low <= mean <= high, f"{firm}.{name}: expected the CI [{low}, {high}] to contain {mean}"
            half = stats.t.ppf(0.975, len(values) - 1) * np.std(values, ddof=1) / math.sqrt(len(values))
            assert (high - low) / 2 == pytest.approx(half, rel=1e-9, abs=1e-9), (
                f"{firm}.{name}: expected the 95% t interval half-width {half}, got {(high - low) / 2}"
            )
            checked += 1
    assert checked >= 20, f"expected most scalar metrics to have an interval, checked {checked}"
    spread = reps.summary["ci95"]["us"]["acquired"]
    assert spread[0] < spread[1], f"expected runs with different seeds to differ in acquisitions: {spread}"

    default = replicate(scenario, runs=2, jobs=1)
    assert default.summary["seeds"] == [3, 4], "expected the seeds to start at the scenario's run.seed"


def test_replicate_reuses_finished_runs_from_its_cache(tmp_path, write_scenario, monkeypatch):
    scenario = load_scenario(write_scenario(TINY))
    calls = _count_simulations(monkeypatch)
    out = tmp_path / "out"
    first = replicate(scenario, runs=3, jobs=1, out=out)
    assert sorted(calls) == [3, 4, 5], f"expected seeds 3, 4, 5 computed once each, got {calls}"

    key = config_hash(scenario)
    for seed in (3, 4, 5):
        folder = out / "runs" / key / f"seed-{seed}"
        for name in ("summary.json", "timeseries.parquet"):
            assert (folder / name).stat().st_size > 0, f"expected {folder / name} to be written"
        stored = _strict_json((folder / "summary.json").read_text())
        assert stored["provenance"]["seed"] == seed and stored["provenance"]["hash"] == key, (
            f"expected the provenance of seed {seed}: {stored['provenance']}"
        )
    resolved = load_scenario(out / "runs" / key / "scenario.resolved.toml")
    assert config_hash(resolved) == key, "expected the cached resolved scenario to have the folder's hash"
    before = _folders(out)
    assert len(before) == 3, f"expected three run folders, got {sorted(before)}"

    stale = out / "runs" / key / ".seed-9.12345.tmp"  # left by a run killed mid-write
    stale.mkdir()
    (stale / "summary.json").write_text("{trunc")

    calls.clear()
    again = replicate(scenario, runs=3, jobs=1, out=out)
    assert calls == [], f"expected every run loaded from the cache, but computed seeds {calls}"
    assert again.summary == first.summary, "expected the cached runs to give the same summary"
    pd.testing.assert_frame_equal(first.runs, again.runs)
    assert _folders(out) == before, "expected the cached run folders to be left untouched"
    assert not stale.exists(), "expected a stale staging folder to be removed"

    more = replicate(scenario, runs=5, jobs=1, out=out)
    assert sorted(calls) == [6, 7], f"expected only the two new seeds computed, got {calls}"
    assert more.summary["seeds"] == [3, 4, 5, 6, 7], "expected five seeds"
    assert len(_folders(out)) == 5, "expected five run folders"
    assert not list(out.rglob(".*.tmp")), "expected no staging files left behind"


def test_execute_keeps_the_order_of_its_specs_and_reports_each_new_result(write_scenario):
    base = load_scenario(write_scenario(TINY))
    specs = [RunSpec("b", base.with_overrides({"firms.us.budget": 50}), 7), RunSpec("a", base, 4)]
    arrived = []
    results = execute(specs, jobs=1, on_result=arrived.append)
    assert [r.spec for r in results] == specs, "expected the results in the order of the specs"
    assert [r.spec.seed for r in arrived] == [7, 4], "expected on_result called once per run"
    assert results[0].summary == simulate(specs[0].scenario, seed=7).summary, "expected spec 0's own run"


# --------------------------------------------------------------------------- how many processes


def test_default_jobs_is_one_process_for_small_work_and_every_core_for_large(write_scenario):
    base = load_scenario(write_scenario(TINY))
    small = base.with_overrides({"market.size": 3000, "run.weeks": 260})
    large = base.with_overrides({"market.size": 10000, "run.weeks": 260})
    # The case: 16 runs at 3,000 people took 3.0 s in one process and 11.6 s in two.
    sixteen_small = [RunSpec("run", small, seed) for seed in range(16)]
    assert execution.default_jobs(sixteen_small, cores=2) == 1, "expected one process for 16 small runs"
    sixty_four_large = [RunSpec("run", large, seed) for seed in range(64)]
    assert execution.default_jobs(sixty_four_large, cores=2) == 2, "expected both cores for 64 large runs"
    assert execution.default_jobs(sixty_four_large, cores=1) == 1, "expected one process on one core"
    assert execution.default_jobs([], cores=2) == 1, "expected one process when nothing is left to run"

    # The threshold: four workers save work x (1 - 1 / (4 x efficiency)); they are used once that
    # exceeds their start-up, whatever makes the work.
    per_run = execution.estimated_seconds([RunSpec("run", large, 1)])
    saved_share = 1 - 1 / (4 * execution.PROCESS_EFFICIENCY)
    needed = math.floor(execution.WORKER_START_SECONDS / saved_share / per_run)
    below = [RunSpec("run", large, seed) for seed in range(needed)]
    above = [RunSpec("run", large, seed) for seed in range(needed + 1)]
    assert execution.default_jobs(below, cores=4) == 1, f"expected 1 process for {needed} runs on 4 cores"
    assert execution.default_jobs(above, cores=4) == 4, f"expected 4 processes for {needed + 1} runs"
    fixed = execution.RUN_SECONDS
    twice_as_long = execution.estimated_seconds([RunSpec("run", large.with_overrides({"run.weeks": 520}), 1)])
    assert twice_as_long - fixed == pytest.approx(2 * (per_run - fixed)), "expected work to scale with weeks"
    people_part = execution.PERSON_WEEK_SECONDS * 10000 * 260
    twice_as_many = execution.estimated_seconds(
        [RunSpec("run", large.with_overrides({"market.size": 20000}), 1)]
    )
    assert twice_as_many - per_run == pytest.approx(people_part), (
        "expected the people part to scale with people"
    )


def _count_pool_batches(monkeypatch) -> list[int]:
    """Record the processes of every batch sent to worker processes (``jobs`` > 1)."""
    calls: list[int] = []
    real = execution._run_remote

    def recording(pending, jobs, cluster):
        calls.append(jobs)
        return real(pending, jobs, cluster)

    monkeypatch.setattr(execution, "_run_remote", recording)
    return calls


def test_jobs_none_runs_small_work_in_this_process(write_scenario, monkeypatch):
    specs = [RunSpec("run", load_scenario(write_scenario(TINY)), seed) for seed in (1, 2)]
    to_workers = _count_pool_batches(monkeypatch)
    results = execute(specs)  # jobs=None: 2 runs of 500 people x 12 weeks are far below a start-up
    assert to_workers == [], (
        f"expected both runs computed in this process, got batches for {to_workers} workers"
    )
    assert [r.summary for r in results] == [r.summary for r in execute(specs, jobs=1)], (
        "expected the same numbers as jobs=1"
    )


@pytest.mark.skipif(execution.available_cores() < 2, reason="needs two cores to start a pool")
def test_a_shared_pool_starts_only_for_large_work_and_then_serves_every_batch(write_scenario, monkeypatch):
    specs = [RunSpec("run", load_scenario(write_scenario(TINY)), seed) for seed in (1, 2)]
    to_workers = _count_pool_batches(monkeypatch)
    cores = execution.available_cores()
    with execution.shared_pool():
        execute(specs[:1])
        assert to_workers == [], f"expected a small batch computed in this process, got {to_workers}"
        assert cores not in execution._STARTED_POOLS, "expected the shared pool's workers not started"
        pooled = execute(specs, jobs=cores)  # an explicit --jobs is obeyed: the workers start
        assert to_workers == [cores], f"expected the explicit jobs sent to {cores} workers, got {to_workers}"
        again = execute(specs)  # small, but the workers are running: no start-up left to pay
        assert to_workers == [cores, cores], (
            f"expected a started pool to serve small batches, got {to_workers}"
        )
    in_process = execute(specs, jobs=1)
    assert [r.summary for r in pooled] == [r.summary for r in again] == [r.summary for r in in_process], (
        "expected the same numbers from the pool and from this process"
    )
    assert not execution._STARTED_POOLS, "expected no started pool left after the block"


# --------------------------------------------------------------------------- statistics


def test_mean_ci_is_the_t_interval_of_the_defined_values():
    mean, (low, high) = mean_ci([1.0, 2.0, None, 3.0, float("nan")])
    half = stats.t.ppf(0.975, 2) * 1.0 / math.sqrt(3)  # sd of 1, 2, 3 is 1
    assert (
        mean == pytest.approx(2.0) and low == pytest.approx(2 - half) and high == pytest.approx(2 + half)
    ), f"expected 2 +- {half:.4f}, got {mean} [{low}, {high}]"
    assert mean_ci([5.0]) == (5.0, None), "expected no interval from a single value"
    assert mean_ci([None, None]) == (None, None), "expected no mean without values"
    assert mean_ci([4.0, 4.0]) == (4.0, [4.0, 4.0]), "expected a zero-width interval for equal values"


def test_paired_difference_by_hand():
    base, arm = [1.0, 2.0, 3.0, 4.0], [2.0, 4.0, 4.0, 6.0]  # differences 1, 2, 1, 2
    d = paired_difference(base, arm, "acquired")
    se_paired = np.std([1, 2, 1, 2], ddof=1) / 2
    se_unpaired = math.sqrt(np.var(arm, ddof=1) / 4 + np.var(base, ddof=1) / 4)
    assert d["mean"] == pytest.approx(1.5), f"expected a mean difference of 1.5, got {d['mean']}"
    assert d["se_paired"] == pytest.approx(se_paired), f"expected se_paired {se_paired}, got {d['se_paired']}"
    assert d["se_unpaired"] == pytest.approx(se_unpaired), f"expected se_unpaired {se_unpaired}"
    assert d["narrowing"] == pytest.approx(se_unpaired / se_paired), "expected unpaired / paired se"
    assert d["prob_better"] == pytest.approx(stats.t.cdf(1.5 / se_paired, 3)), "expected P(t_3 < mean/se)"
    assert d["prob_better"] > 0.99, "expected more acquisitions to be better"
    worse = paired_difference(base, arm, "cac")
    assert worse["prob_better"] == pytest.approx(1 - d["prob_better"]), "expected a higher CAC to be worse"
    assert worse["mean"] == pytest.approx(1.5), "expected the difference itself not to change sign"

    skipped = paired_difference([1.0, None, 3.0, 5.0], [2.0, 9.0, None, 7.0], "acquired")
    assert skipped["mean"] == pytest.approx(1.5), "expected pairs with a missing value to be left out"
    empty = paired_difference([1.0, None], [2.0, 3.0], "acquired")
    assert set(empty.values()) == {None}, f"expected no statistics from one pair, got {empty}"
    same = paired_difference(base, base, "cac")
    assert (same["mean"], same["prob_better"], same["se_paired"]) == (0.0, 0.5, 0.0), (
        f"expected no difference and an even chance for identical arms, got {same}"
    )


def test_pairing_effect_says_widened_when_pairing_widened_the_interval():
    # Arms that move against each other seed by seed: pairing adds their spreads instead of
    # cancelling them. se unpaired = sqrt(2 x 1.667 / 4) = 0.913, paired = sd(3, 1, -1, -3) / 2 =
    # 1.291: the paired interval is 1.291 / 0.913 = 1.41 times wider.
    d = paired_difference([1.0, 2.0, 3.0, 4.0], [4.0, 3.0, 2.0, 1.0], "acquired")
    worded = pairing_effect(d["se_unpaired"], d["se_paired"])
    assert worded == "widened the interval 1.4x", f"expected 'widened the interval 1.4x', got {worded!r}"
    together = paired_difference([1.0, 2.0, 3.0, 4.0], [2.0, 4.0, 4.0, 6.0], "acquired")  # ratio 3.2
    worded = pairing_effect(together["se_unpaired"], together["se_paired"])
    assert worded == f"narrowed the interval {together['narrowing']:.1f}x" and together["narrowing"] > 1, (
        f"expected 'narrowed' for arms that move together, got {worded!r}"
    )
    cases = {(1.0, 0.96): "left the interval as wide (1.0x)", (1.0, 0.0): "narrowed the interval to a point",
             (0.0, 0.0): "n/a (no spread either way)", (None, None): "n/a"}  # fmt: skip
    for (unpaired, paired), expected in cases.items():
        worded = pairing_effect(unpaired, paired)
        assert worded == expected, (
            f"se {unpaired} unpaired, {paired} paired: expected {expected!r}, got {worded!r}"
        )


def test_fewer_churners_of_a_reason_is_better():
    base, arm = [10.0, 12.0, 11.0, 13.0], [5.0, 6.0, 6.0, 8.0]
    for metric in ("churned_by_reason.unappreciated", "cac_by_channel.search", "spend_by_lever.search_ads"):
        prob = paired_difference(base, arm, metric)["prob_better"]
        assert prob > 0.5, f"{metric}: expected a lower value to be better, got P(better) = {prob}"


# --------------------------------------------------------------------------- compare()


def test_compare_pairs_arms_on_the_same_seeds(write_scenario):
    scenario = load_scenario(write_scenario(TINY + ARMS))
    assert scenario.arms == {
        "base": {},
        "same": {"firms.us.budget": 500},
        "rich": {"firms.us.budget": 3000},
        "lean": {"firms.us.budget": 100},
    }, f"expected the arms flattened to dotted keys, got {scenario.arms}"
    result = compare(scenario, runs=4, jobs=1)
    comparison = result.comparison
    _strict_json(json.dumps(comparison, allow_nan=False))  # raises on NaN

    seeds = [3, 4, 5, 6]
    assert comparison["seeds"] == seeds and comparison["runs"] == 4, "expected four seeds from run.seed"
    assert comparison["baseline_arm"] == "base" and comparison["firm"] == "us", (
        "expected first arm, first firm"
    )
    assert set(comparison["arms"]) == {"base", "same", "rich", "lean"}, "expected every arm summarised"
    assert set(comparison["differences"]) == {"same", "rich", "lean"}, "expected a difference per other arm"
    hashes = comparison["hashes"]
    assert hashes["same"] == hashes["base"] != hashes["rich"], (
        f"expected equal scenarios to share a hash: {hashes}"
    )

    by_arm = {label: {r.spec.seed: r for r in result.results if r.spec.label == label} for label in hashes}
    for label, runs in by_arm.items():
        assert sorted(runs) == seeds, f"expected arm {label} on seeds {seeds}, got {sorted(runs)}"
    metrics = {
        label: {seed: scalar_metrics(r.summary["firms"]["us"]) for seed, r in runs.items()}
        for label, runs in by_arm.items()
    }

    for name, stats_ in comparison["arms"]["rich"].items():
        values = [metrics["rich"][s][name] for s in seeds if metrics["rich"][s][name] is not None]
        if values:
            assert stats_["mean"] == pytest.approx(np.mean(values)), (
                f"rich.{name}: expected the mean over runs"
            )

    # Common random numbers: an arm equal to the base gets the same luck on every seed.
    for name, diff in comparison["differences"]["same"].items():
        if diff["mean"] is not None:
            assert diff["mean"] == 0.0 and diff["ci95"] == [0.0, 0.0], (
                f"same.{name}: expected exactly no difference, got {diff['mean']} {diff['ci95']}"
            )
            assert diff["prob_better"] == 0.5, (
                f"same.{name}: expected an even chance, got {diff['prob_better']}"
            )

    directed = 0
    for name, diff in comparison["differences"]["rich"].items():
        pairs = [(metrics["base"][s][name], metrics["rich"][s][name]) for s in seeds]
        pairs = [(b, a) for b, a in pairs if b is not None and a is not None]
        if len(pairs) < 2:
            assert diff["mean"] is None, f"rich.{name}: expected no statistics from {len(pairs)} pairs"
            continue
        d = np.array([a - b for b, a in pairs])
        assert diff["mean"] == pytest.approx(d.mean(), abs=1e-9), (
            f"rich.{name}: expected the mean per-seed difference"
        )
        se = d.std(ddof=1) / math.sqrt(len(d))
        assert diff["se_paired"] == pytest.approx(se, abs=1e-9), f"rich.{name}: expected the paired se {se}"
        assert 0.0 <= diff["prob_better"] <= 1.0, (
            f"rich.{name}: expected a probability, got {diff['prob_better']}"
        )
        if diff["se_paired"] > 0:
            assert diff["narrowing"] == pytest.approx(diff["se_unpaired"] / diff["se_paired"]), (
                f"rich.{name}: expected narrowing = se_unpaired / se_paired"
            )
        else:
            assert diff["narrowing"] is None, f"rich.{name}: expected no narrowing with a zero paired se"
        if "." in name or diff["mean"] == 0:
            continue
        favourable = -diff["mean"] if name in LOWER_IS_BETTER else diff["mean"]
        assert (diff["prob_better"] > 0.5) == (favourable > 0), (
            f"rich.{name}: mean difference {diff['mean']} gave P(better) = {diff['prob_better']}"
        )
        directed += 1
    assert directed >= 10, f"expected most top-level metrics to differ between arms, got {directed}"
    assert {"cac", "spend", "churned"} <= LOWER_IS_BETTER, "expected cost and churn to be lower-is-better"
    rich = comparison["differences"]["rich"]
    assert rich["acquired"]["prob_better"] > 0.5, "expected six times the budget to acquire more customers"
    assert rich["acquisition_spend"]["prob_better"] < 0.5, "expected more acquisition spend to count as worse"
    assert rich["acquired"]["narrowing"] > 1, "expected pairing to narrow the interval of acquisitions"

    table = result.table_frame
    assert len(table) == 4 * len(comparison["arms"]["base"]), "expected one table row per arm x metric"
    with pytest.warns(DeprecationWarning, match="table_frame"):
        old_use = result.table["metric"]  # the frame's old name, used as a frame
    assert old_use.equals(table["metric"]), "expected Comparison.table used as a frame to be table_frame"
    assert result.table().startswith(f"Scenario {comparison['scenario']!r}: firm 'us', 4 arms"), (
        f"expected Comparison.table() to be the printed table, got {result.table()[:80]!r}"
    )


def test_compare_for_another_firm_and_bad_inputs(write_scenario):
    scenario = load_scenario(write_scenario(TINY + ARMS))
    rival = compare(scenario, runs=2, firm="rival", jobs=1)
    assert rival.comparison["firm"] == "rival", "expected the chosen firm"
    budget = rival.comparison["differences"]["rich"]["spend"]["mean"]
    assert budget == 0.0, f"expected the rival's spend unchanged by our budget, got a difference of {budget}"
    with pytest.raises(ScenarioError, match=r"nobody.*no such firm"):
        compare(scenario, runs=2, firm="nobody", jobs=1)
    with pytest.raises(ScenarioError, match=r"no \[arms\.<label>\] tables"):
        compare(load_scenario(write_scenario(TINY, "plain.toml")), runs=2, jobs=1)
    with pytest.raises(ScenarioError, match=r"in \[arms\.oops\].*firms\.us\.budgte"):
        load_scenario(write_scenario(TINY + '[arms.oops]\n"firms.us.budgte" = 1\n', "oops.toml"))


# --------------------------------------------------------------------------- sweep_points(), sweep()

GRID = """
[sweep]
runs = 2

[sweep.uncertainties]
"market.size" = [400, 600]

[sweep.uncertainties.firms.us]
budget = [0, 1000, 2000]
strategy = ["conquest", "relations"]
"""

LHS = """
[sweep]
method = "lhs"
samples = 8

[sweep.uncertainties]
"market.size" = {low = 400, high = 800}
"firms.us.budget" = {low = 0, high = 3000}
"behaviours.referral.conversion" = {low = 0.1, high = 0.5}
"""


def test_grid_is_the_full_factorial(write_scenario):
    scenario = load_scenario(write_scenario(TINY + GRID))
    points = sweep_points(scenario)
    assert len(points) == 2 * 3 * 2, f"expected 2 x 3 x 2 points, got {len(points)}"
    as_tuples = {tuple(sorted(p.items())) for p in points}
    assert len(as_tuples) == len(points), "expected every point to be a different combination"
    keys = {"market.size", "firms.us.budget", "firms.us.strategy"}
    assert all(set(p) == keys for p in points), f"expected each point to set exactly {keys}"
    assert {p["firms.us.budget"] for p in points} == {0, 1000, 2000}, "expected the listed budgets"
    assert {p["firms.us.strategy"] for p in points} == {"conquest", "relations"}, "expected both strategies"


def test_latin_hypercube_points(write_scenario):
    scenario = load_scenario(write_scenario(TINY + LHS))
    points = sweep_points(scenario)
    assert len(points) == 8, f"expected `samples` = 8 points, got {len(points)}"
    bounds = {
        "market.size": (400, 800),
        "firms.us.budget": (0, 3000),
        "behaviours.referral.conversion": (0.1, 0.5),
    }
    for key, (low, high) in bounds.items():
        values = [p[key] for p in points]
        assert all(low <= v <= high for v in values), (
            f"{key}: expected values in [{low}, {high}], got {values}"
        )
    sizes = [p["market.size"] for p in points]
    assert all(type(v) is int for v in sizes), f"expected an integer key to stay integer, got {sizes}"
    rates = [p["behaviours.referral.conversion"] for p in points]
    assert all(type(v) is float for v in rates), f"expected a float key to be float, got {rates}"
    strata = sorted(int((v - 0.1) / 0.4 * 8) for v in rates)
    assert strata == list(range(8)), f"expected one value in each eighth of the range, got strata {strata}"

    again = sweep_points(load_scenario(write_scenario(TINY + LHS, "again.toml")))
    assert again == points, "expected the same seed to give the same design"
    other = sweep_points(scenario.with_overrides({"run.seed": 4}))
    assert other != points, "expected another seed to give another design"
    for point in points:  # every point is a valid scenario
        scenario.without_experiments().with_overrides(point)


@pytest.mark.parametrize(
    ("table", "named"),
    [
        ('[sweep.uncertainties]\n"market.size" = {low = 400, high = 800}\n', "market.size"),
        (
            '[sweep]\nmethod = "lhs"\n[sweep.uncertainties]\n"market.size" = {low = 400, high = 800}\n',
            "samples",
        ),
        (
            '[sweep]\nmethod = "lhs"\nsamples = 3\n[sweep.uncertainties]\n"market.size" = [400, 800]\n',
            "market.size",
        ),
        ('[sweep.uncertainties]\n"firms.us.budgte" = [1, 2]\n', "firms.us.budgte"),
        ("[sweep.uncertainties.firms.us]\nbudgte = [1, 2]\n", "firms.us.budgte"),
        ('[sweep.uncertainties]\n"market.size" = [1000, -5]\n', "market.size = -5"),
        (
            '[sweep]\nmethod = "lhs"\nsamples = 2\n[sweep.uncertainties]\n"market.size" = {low = 800, high = 400}\n',
            "low < high",
        ),
    ],
)
def test_invalid_sweep_tables_name_the_key(write_scenario, table, named):
    path = write_scenario(TINY + table)
    with pytest.raises(ScenarioError) as error:
        load_scenario(path)
    assert named in str(error.value), f"expected the error to name {named!r}:\n{error.value}"
    assert str(path) in str(error.value), f"expected the error to name the file:\n{error.value}"


def test_sweep_points_without_a_sweep_table(write_scenario):
    with pytest.raises(ScenarioError, match=r"no \[sweep\] table"):
        sweep_points(load_scenario(write_scenario(TINY)))


def test_sweep_has_a_row_per_point_run_and_firm(write_scenario):
    text = (
        TINY
        + '[sweep]\nruns = 2\n[sweep.uncertainties]\n"firms.us.budget" = [0, 2000]\n"market.size" = [300, 400]\n'
    )
    scenario = load_scenario(write_scenario(text))
    table = sweep(scenario, jobs=1)
    assert len(table) == 4 * 2 * 2, f"expected 4 points x 2 runs x 2 firms, got {len(table)} rows"
    assert list(table.columns[:5]) == ["point", "run", "firm", "firms.us.budget", "market.size"], (
        f"expected point, run, firm and the swept keys first, got {list(table.columns[:5])}"
    )
    assert sorted(table["run"].unique()) == [3, 4], "expected runs on seeds 3 and 4 (sweep.runs = 2)"
    assert "churned_by_reason.unappreciated" in table.columns, "expected nested metrics flattened"
    row = table[(table["firm"] == "us") & (table["firms.us.budget"] == 2000) & (table["market.size"] == 300)]
    row = row[row["run"] == 4].iloc[0]
    expected = scalar_metrics(
        simulate(
            scenario.without_experiments().with_overrides({"firms.us.budget": 2000, "market.size": 300}),
            seed=4,
        ).summary["firms"]["us"]
    )
    for name, value in expected.items():
        got = row[name]
        assert (value is None and pd.isna(got)) or got == pytest.approx(value), (
            f"{name}: expected the point's own run value {value}, got {got}"
        )
    assert len(sweep(scenario, runs=1, jobs=1)) == 4 * 2, "expected --runs to override sweep.runs"


# --------------------------------------------------------------------------- the command line


def _sim(*args: str) -> list[str]:
    return [sys.executable, "-m", "sim.cli", *args]


def _popen(*args: str) -> subprocess.Popen:
    return subprocess.Popen(_sim(*args), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _finish(proc: subprocess.Popen, timeout: float = 120) -> tuple[str, str]:
    """Wait for ``proc``; its standard output and error."""
    try:
        return proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
        pytest.fail(f"{proc.args} did not finish in {timeout} s:\n{err[-2000:]}")


SWEEP = """
[run]
weeks = 52
seed = 1

[market]
size = 2000

[firms.us]
strategy = "balanced"
budget = 1000

[firms.rival]
strategy = "neglect"
budget = 0

[sweep]
runs = 2

[sweep.uncertainties]
"firms.us.budget" = [500, 1000, 2000]
"market.initial_awareness" = [0.2, 0.3, 0.4]
"""


def test_killed_sweep_resumes_computing_only_the_unfinished_runs(tmp_path, write_scenario):
    path = write_scenario(SWEEP)
    total = 9 * 2
    resumed, whole = tmp_path / "A", tmp_path / "B"
    uninterrupted = _popen("sweep", str(path), "--out", str(whole), "--jobs", "1", "--quiet")

    victim = _popen("sweep", str(path), "--out", str(resumed), "--jobs", "1", "--quiet", "--no-figures")
    deadline = time.monotonic() + 60
    while len(list(resumed.glob("runs/*/seed-*"))) < 3:
        if victim.poll() is not None:
            pytest.fail(
                f"expected the sweep still running, it exited {victim.returncode}:\n{victim.stderr.read()}"
            )
        if time.monotonic() > deadline:
            victim.kill()
            pytest.fail("expected three finished runs within 60 s")
        time.sleep(0.02)
    victim.kill()  # SIGKILL: no clean-up code runs
    victim.communicate()
    finished = _folders(resumed)  # listed after the kill: nothing can finish any more
    assert 3 <= len(finished) < total, (
        f"expected the sweep killed part-way, {len(finished)} of {total} finished"
    )
    assert not (resumed / "sweep.parquet").exists(), "expected no sweep table from a killed sweep"

    rerun = _popen("sweep", str(path), "--out", str(resumed), "--jobs", "2", "--no-figures")
    stdout, stderr = _finish(rerun)
    assert rerun.returncode == 0, f"expected the rerun to succeed, got {rerun.returncode}:\n{stderr}"
    # The line belongs on standard error (see test_resume_message_goes_to_standard_error).
    line = re.search(r"(\d+) of (\d+) runs already finished in .*; computing (\d+)", stderr + stdout)
    assert line, f"expected a line saying how many runs were already finished:\n{stderr}\n{stdout}"
    done, of, computing = map(int, line.groups())
    assert (done, of, computing) == (len(finished), total, total - len(finished)), (
        f"expected {len(finished)} of {total} finished and {total - len(finished)} computed, got {line.group(0)}"
    )
    after = _folders(resumed)
    assert len(after) == total, f"expected all {total} run folders after the rerun, got {len(after)}"
    assert {k: after[k] for k in finished} == finished, "expected the runs finished before the kill untouched"
    assert not list(resumed.rglob(".*.tmp")), f"expected no staging left: {list(resumed.rglob('.*.tmp'))}"

    _, err = _finish(uninterrupted)
    assert uninterrupted.returncode == 0, f"expected the uninterrupted sweep to succeed:\n{err}"
    table = pd.read_parquet(resumed / "sweep.parquet")
    pd.testing.assert_frame_equal(table, pd.read_parquet(whole / "sweep.parquet"))
    assert len(table) == total * 2, f"expected one row per point x run x firm, got {len(table)}"
    columns = [
        "point",
        "run",
        "firm",
        "firms.us.budget",
        "market.initial_awareness",
        "acquired_by_channel.search",
    ]
    assert set(columns) <= set(table.columns), (
        f"missing columns in sweep.parquet: {set(columns) - set(table.columns)}"
    )
    assert table.groupby(["point", "run"]).size().eq(2).all(), "expected each point x run once per firm"
    assert len(list((whole / "figures").glob("*.png"))) >= 2, "expected a figure per swept key"


def test_resume_message_goes_to_standard_error(tmp_path, write_scenario, capsys):
    scenario = load_scenario(write_scenario(TINY))
    replicate(scenario, runs=2, jobs=1, out=tmp_path / "out")
    capsys.readouterr()
    replicate(scenario, runs=3, jobs=1, out=tmp_path / "out", progress=True)
    captured = capsys.readouterr()
    assert "already finished" not in captured.out, f"expected nothing on standard output:\n{captured.out}"
    assert "2 of 3 runs already finished" in captured.err, (
        f"expected the line on standard error:\n{captured.err}"
    )


TINY_CLI = TINY.replace("size = 500", "size = 400").replace("weeks = 12", "weeks = 10")


def _comparable(data: dict) -> dict:
    """Without timing fields, which may differ between two identical runs."""
    return {k: v for k, v in data.items() if not re.search(r"time|elapsed|duration|started", k)}


def test_cli_run_with_runs_is_the_same_for_any_jobs(tmp_path, write_scenario, capsys):
    path = write_scenario(TINY_CLI)
    outs = {jobs: tmp_path / f"jobs{jobs}" for jobs in (1, 2)}
    pooled = _popen(
        "run", str(path), "--runs", "3", "--jobs", "2", "--out", str(outs[2]), "--quiet", "--no-figures"
    )
    status = main(["run", str(path), "--runs", "3", "--jobs", "1", "--out", str(outs[1]), "--quiet"])
    assert status == 0, f"expected `sim run --runs 3 --jobs 1` to succeed:\n{capsys.readouterr().err}"
    _, err = _finish(pooled)
    assert pooled.returncode == 0, f"expected `sim run --runs 3 --jobs 2` to succeed:\n{err}"

    summaries = {}
    for jobs, out in outs.items():
        summary = _strict_json((out / "summary.json").read_text())
        for key in ("firms", "ci95", "runs", "seeds", "hash", "version"):
            assert key in summary, f"expected {key!r} in summary.json, got {sorted(summary)}"
        assert summary["runs"] == 3 and summary["seeds"] == [3, 4, 5], "expected three runs on seeds 3..5"
        assert summary["hash"] == config_hash(load_scenario(path)), "expected the scenario's hash"
        low, high = summary["ci95"]["us"]["acquired"]
        assert low <= summary["firms"]["us"]["acquired"] <= high, "expected the CI to contain the mean"
        runs = pd.read_parquet(out / "runs.parquet")
        assert list(runs.columns[:3]) == ["run", "week", "firm"], (
            f"expected run, week, firm first: {runs.columns}"
        )
        assert len(runs) == 3 * 11 * 2, f"expected one row per run x week (0..10) x firm, got {len(runs)}"
        for seed in (3, 4, 5):
            folder = out / "runs" / summary["hash"] / f"seed-{seed}"
            assert (folder / "summary.json").exists() and (folder / "timeseries.parquet").exists(), (
                f"expected the run files of seed {seed} in {folder}"
            )
        if jobs == 1:  # the other run skips them (--no-figures), to save time
            assert list((out / "figures").glob("*.png")), f"expected figures in {out / 'figures'}"
        summaries[jobs] = _comparable(summary)
    assert summaries[1] == summaries[2], "expected the same summary.json for --jobs 1 and --jobs 2"


def test_cli_compare_is_the_same_for_any_jobs(tmp_path, write_scenario, capsys):
    path = write_scenario(TINY_CLI + ARMS)
    outs = {jobs: tmp_path / f"jobs{jobs}" for jobs in (1, 2)}
    pooled = _popen("compare", str(path), "--runs", "3", "--jobs", "2", "--out", str(outs[2]))
    status = main(["compare", str(path), "--runs", "3", "--jobs", "1", "--out", str(outs[1])])
    printed = {1: capsys.readouterr().out}
    assert status == 0, "expected `sim compare --runs 3 --jobs 1` to succeed"
    printed[2], err = _finish(pooled)
    assert pooled.returncode == 0, f"expected `sim compare --runs 3 --jobs 2` to succeed:\n{err}"

    comparisons = {}
    for jobs, out in outs.items():
        for arm in ("rich", "lean"):
            assert f"{arm} minus base" in printed[jobs], (
                f"expected arm {arm!r} in the table:\n{printed[jobs]}"
            )
        comparison = _strict_json((out / "comparison.json").read_text())
        keys = {"scenario", "firm", "runs", "seeds", "baseline_arm", "arms", "differences", "hashes"}
        assert keys <= set(comparison), f"missing keys in comparison.json: {keys - set(comparison)}"
        assert comparison["seeds"] == [3, 4, 5] and comparison["baseline_arm"] == "base", (
            f"expected seeds 3..5 and the first arm as baseline: {comparison['seeds']}, {comparison['baseline_arm']}"
        )
        cac = comparison["differences"]["rich"]["cac"]
        for key in ("mean", "ci95", "prob_better", "se_paired", "se_unpaired", "narrowing"):
            assert key in cac, f"expected {key!r} in each difference, got {sorted(cac)}"
        assert set(comparison["arms"]["rich"]["acquired"]) >= {"mean", "ci95"}, (
            "expected mean and ci95 per arm"
        )
        assert comparison["differences"]["same"]["acquired"]["mean"] == 0, "expected no difference for `same`"
        comparisons[jobs] = _comparable(comparison)
    assert comparisons[1] == comparisons[2], "expected the same comparison.json for --jobs 1 and --jobs 2"


def test_cli_experiments_without_their_table_exit_2(tmp_path, write_scenario, capsys):
    plain = write_scenario(TINY, "plain.toml")
    for command, table in (("compare", "[arms"), ("sweep", "[sweep]")):
        out = tmp_path / command
        status = main([command, str(plain), "--out", str(out), "--quiet"])
        err = capsys.readouterr().err
        assert status == 2, f"expected `sim {command}` without a {table} table to exit 2, got {status}"
        assert err.startswith("error: ") and table in err, f"expected an error naming {table}:\n{err}"
        assert not out.exists(), f"expected nothing written by a failed `sim {command}`"
    status = main(["run", str(plain), "--runs", "0", "--out", str(tmp_path / "zero")])
    assert status == 2 and "--runs 0" in capsys.readouterr().err, "expected --runs 0 to be refused"


def test_a_stale_resolved_scenario_file_is_cleaned_and_duplicate_specs_run(tmp_path, write_scenario):
    scenario = load_scenario(write_scenario(TINY))
    spec = RunSpec("run", scenario.without_experiments(), 3)
    folder = tmp_path / "runs" / spec.key
    folder.mkdir(parents=True)
    stale = folder / ".scenario.resolved.toml.12345.tmp"
    stale.write_text("half written")
    results = execute([spec, spec], out=tmp_path, jobs=1)
    assert not stale.exists(), "expected a half-written resolved scenario to be removed"
    assert len(results) == 2 and results[0].summary == results[1].summary, (
        "expected the same spec twice to run"
    )


def test_an_invalid_latin_hypercube_point_is_named(write_scenario):
    text = (
        TINY
        + '[sweep]\nmethod = "lhs"\nsamples = 12\n[sweep.uncertainties]\n"network.mean_degree" = {low = 4, high = 12}\n'
    )
    scenario = load_scenario(write_scenario(text))
    with pytest.raises(ScenarioError, match=r"\[sweep\] point \{'network.mean_degree': \d+\}.*must be even"):
        sweep(scenario, runs=1, jobs=1)


def test_with_an_output_folder_weekly_tables_stay_on_disk(tmp_path, write_scenario):
    scenario = load_scenario(write_scenario(TINY))
    on_disk = replicate(scenario, runs=3, jobs=1, out=tmp_path / "out")
    assert all(r.timeseries is None for r in on_disk.results), (
        "expected no weekly table held in memory once written to the cache (memory bounded by one run)"
    )
    in_memory = replicate(scenario, runs=3, jobs=1)
    pd.testing.assert_frame_equal(on_disk.runs, in_memory.runs)
    assert on_disk.summary == in_memory.summary, "expected the same summary from disk and from memory"
