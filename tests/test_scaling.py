"""Population scaling (market.simulated) and the progress bar of a long run.

A scaled run is exactly the one-for-one run of the simulated people with every real amount a week
divided by the scale, its counts and money multiplied back; it agrees with a one-for-one run of
the real market within sampling error; bad scaling input exits 2 with one line. The progress bar
appears on a terminal only, and never with --quiet.
"""

from __future__ import annotations

import fcntl
import math
import os
import select
import struct
import sys
import termios
from pathlib import Path

import pytest

from sim import load_scenario, simulate
from sim.cli import main
from sim.scaling import (
    PHASE_SCALED,
    SUMMARY_SCALED,
    SUMMARY_UNCHANGED,
    TIMESERIES_UNCHANGED,
    times,
)
from sim.scenario import Scenario
from sim.scenario.scaling import ScalingWarning, simulated_scenario
from sim.scenario.schema import validate

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "scenarios" / "conquest_vs_relations.toml"
SCALE = 4
SIMULATED = 500


def _real_market() -> dict:
    """conquest_vs_relations in real units, with every input scaling divides: budgets, a budget
    event, an entrant's launch budget and a response threshold in people a week."""
    data = load_scenario(SCENARIO, {"run.weeks": 26}).without_experiments().to_dict()
    data["market"].update(size=SIMULATED * SCALE, simulated=SIMULATED)
    data["firms"]["entrant"] = {"strategy": "conquest", "budget": 1200.0, "initial_share": 0.0}
    data["firms"]["rival"]["response"] = {
        "personality": "passive",
        "delay": 0,
        "cooldown": 2,
        "rules": [
            {
                "name": "chase",
                "when": {"kind": "acquisitions_below", "per_week": 200.0, "weeks": 2},  # real people
                "then": {"kind": "raise_budget", "by": 0.5, "cap": 3},
            }
        ],
    }
    data["events"] = [
        {"name": "push", "kind": "change", "key": "firms.us.budget", "value": 6000.0, "window": [6, 12]},
        {
            "name": "launch",
            "kind": "enter",
            "firm": "entrant",
            "week": 8,
            "launch_budget": 4000.0,
            "launch_weeks": 6,
        },
    ]
    return data


def _shrunk_by_hand(data: dict) -> dict:
    """The same market one for one on the simulated people, every real amount divided by hand."""
    plain = {**data, "market": {k: v for k, v in data["market"].items() if k != "simulated"}}
    plain["market"]["size"] = SIMULATED
    plain["firms"] = {
        name: {**firm, "budget": firm["budget"] / SCALE} for name, firm in data["firms"].items()
    }
    rule = plain["firms"]["rival"]["response"]["rules"][0]
    plain["firms"]["rival"]["response"] = {
        **plain["firms"]["rival"]["response"],
        "rules": [{**rule, "when": {**rule["when"], "per_week": rule["when"]["per_week"] / SCALE}}],
    }
    push, launch = data["events"]
    plain["events"] = [
        {**push, "value": push["value"] / SCALE},
        {**launch, "launch_budget": launch["launch_budget"] / SCALE},
    ]
    return plain


@pytest.fixture(scope="module")
def exact_pair():
    data = _real_market()
    with pytest.warns(ScalingWarning, match="influencer_seeding gets 100 a week"):
        scaled = simulate(validate(data, None), seed=3)
    plain = simulate(validate(_shrunk_by_hand(data), None), seed=3)
    return scaled, plain


def test_a_scaled_run_is_the_shrunk_run_with_counts_and_money_times_the_scale(exact_pair):
    scaled, plain = exact_pair
    assert scaled.summary["scaling"] == {
        "size": 2000, "simulated": 500, "scale": 4.0,
        "units": "counts and money are real (simulated x scale); ratios as simulated",
    }, f"expected the summary to say the run was scaled, got {scaled.summary.get('scaling')}"  # fmt: skip
    for firm, row in plain.summary["firms"].items():
        unknown = set(row) - SUMMARY_SCALED - SUMMARY_UNCHANGED
        assert not unknown, (
            f"summary keys neither scaled nor unchanged (classify them in sim.scaling): {unknown}"
        )
        for key, value in row.items():
            expected = times(value, SCALE) if key in SUMMARY_SCALED else value
            got = scaled.summary["firms"][firm][key]
            assert got == expected, (
                f"{firm}.{key}: expected {expected!r} (one-for-one {value!r}), got {got!r}"
            )
    for phase, twin in zip(scaled.summary["phases"], plain.summary["phases"], strict=True):
        for firm, metrics in twin["firms"].items():
            for key, value in metrics.items():
                expected = times(value, SCALE) if key in PHASE_SCALED else value
                assert phase["firms"][firm][key] == expected, f"phase {phase['name']} {firm}.{key}"
    # The inputs scaling divides were exercised: the rival reacted to its real threshold, the
    # entrant spent its launch budget and the push raised our spend in its window.
    reacted = [(r["week"], r["rule"]) for r in scaled.summary["reactions"]]
    assert reacted and reacted == [(r["week"], r["rule"]) for r in plain.summary["reactions"]], reacted
    assert scaled.summary["firms"]["entrant"]["spend"] > 0, "expected the entrant to spend after entering"


def test_a_weekly_and_per_person_tables_in_real_units(exact_pair):
    scaled, plain = exact_pair
    for column in plain.timeseries.columns:
        got, twin = scaled.timeseries[column], plain.timeseries[column]
        if column in TIMESERIES_UNCHANGED or column == "firm":
            assert got.equals(twin), f"{column}: expected the one-for-one values unchanged"
        else:
            assert (got == twin * SCALE).all(), f"{column}: expected the one-for-one values x {SCALE}"
    assert str(scaled.timeseries["customers"].dtype).startswith("int"), "a count x a whole scale stays whole"
    assert scaled.customers.drop(columns="weight").equals(plain.customers), (
        "expected the same simulated people"
    )
    assert (scaled.customers["weight"] == SCALE).all() and "weight" not in plain.customers, (
        "expected a weight column (= the scale) only in the scaled run's per-person table"
    )


def test_an_unscaled_scenario_passes_through_untouched():
    plain = load_scenario(SCENARIO, {"market.size": 300, "run.weeks": 8})
    assert simulated_scenario(plain) is plain, "expected no copy when market.simulated is not set"
    one = simulate(plain.with_overrides({"market.simulated": 300}), seed=2)
    two = simulate(plain, seed=2)
    assert one.timeseries.equals(two.timeseries) and one.customers.equals(two.customers), (
        "expected simulated = size (scale 1) to change no number"
    )


# Tolerances for one run of each (benchmarks/population_scaling.py, 12 seeds, 20,000 x 52 weeks,
# influencer money moved to search ads; benchmarks/README.md "Population scaling"): 4 x the
# standard deviation of the difference of one one-for-one and one scaled run, sqrt(sd_full^2 +
# sd_scaled^2); the measured means differed by |z| <= 1.3 standard errors for every metric.
STATISTICAL = {  # metric: (sd one for one, sd scaled)
    "market_share_end": (0.0069, 0.0188),
    "retention_yearly": (0.0062, 0.0115),
    "cac": (0.312, 0.764),
    "ltv": (1.33, 3.47),
    "products_per_customer": (0.0105, 0.0277),
    "customers_end": (124, 251),
    "acquired": (96.5, 230),
    "revenue": (48_200, 99_800),
}


def test_b_a_scaled_run_agrees_with_the_one_for_one_market_within_sampling_error():
    scenario = load_scenario(
        SCENARIO,
        {
            "market.size": 20_000,
            "run.weeks": 52,
            "firms.us.split.influencer_seeding": 0,  # bought in whole units: see docs/model.md
            "firms.us.split.search_ads": 0.65,
        },
    ).without_experiments()
    full = simulate(scenario, seed=1).summary["firms"]["us"]
    scaled = simulate(scenario.with_overrides({"market.simulated": 5_000}), seed=1).summary["firms"]["us"]
    for metric, (sd_full, sd_scaled) in STATISTICAL.items():
        tolerance = 4 * math.hypot(sd_full, sd_scaled)
        gap = abs(scaled[metric] - full[metric])
        assert gap <= tolerance, (
            f"{metric}: expected the scaled run within {tolerance:.3g} of one-for-one "
            f"{full[metric]:.4g}, got {scaled[metric]:.4g}"
        )


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (["market.simulated=5000"], "market.simulated = 5000: must be at most market.size = 2000"),
        (["market.simulated=1"], "market.simulated = 1: Input should be greater than or equal to 2"),
        (["market.size=200000000"], "market.size = 200000000: more than 100,000,000 people cannot be"),
        (
            ["market.simulated=8", "network.mean_degree=10"],
            "network.mean_degree = 10: must be < market.simulated",
        ),
    ],
)
def test_c_bad_scaling_exits_2_with_one_line_and_writes_nothing(tmp_path, capsys, overrides, message):
    out = tmp_path / "out"
    sets = [arg for item in overrides for arg in ("--set", item)]
    code = main(["run", str(SCENARIO), "--set", "market.size=2000", *sets, "--out", str(out), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2, f"expected exit status 2, got {code}"
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    assert not out.exists(), "expected nothing written"


def test_a_lever_too_small_for_the_simulated_market_is_named():
    real = Scenario(
        market={"size": 40_000, "simulated": 10_000},
        firms={"us": {"budget": 2000, "strategy": "conquest", "split": {"influencer_seeding": 0.2}}},
    )
    with pytest.warns(ScalingWarning, match=r"simulate at least 30,000 people"):
        simulated_scenario(real)


# --------------------------------------------------------------------------- the progress bar


def _run(tmp_path, *extra: str) -> int:
    argv = ["run", str(SCENARIO), "--set", "market.size=300", "--set", "run.weeks=6", "--no-figures"]
    return main([*argv, "--out", str(tmp_path / "out"), *extra])


def _drain(fd: int) -> str:
    chunks = []
    while select.select([fd], [], [], 0.2)[0]:
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks).decode(errors="replace")


def test_progress_bar_on_a_terminal_and_not_with_quiet(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SIM_PROGRESS_DELAY", "0")  # the bar at once (a run this short shows none)
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # a 100-column terminal
    terminal = os.fdopen(slave, "w")
    try:
        monkeypatch.setattr(sys, "stderr", terminal)
        assert _run(tmp_path) == 0
        terminal.flush()
        shown = _drain(master)
        assert "6/6" in shown and "week/s" in shown, f"expected a bar with weeks done and rate, got {shown!r}"
        assert _run(tmp_path, "--quiet") == 0
        terminal.flush()
        quiet = _drain(master)
        assert quiet == "", f"expected --quiet to silence the bar, got {quiet!r}"
    finally:
        terminal.close()
        os.close(master)


def test_no_progress_bar_into_a_pipe(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SIM_PROGRESS_DELAY", "0")
    read, write = os.pipe()
    piped = os.fdopen(write, "w")
    try:
        monkeypatch.setattr(sys, "stderr", piped)
        assert _run(tmp_path) == 0
        piped.close()
        text = _drain(read)
        assert "week/s" not in text and "6/6" not in text, f"expected no bar into a pipe, got {text!r}"
    finally:
        if not piped.closed:
            piped.close()
        os.close(read)
