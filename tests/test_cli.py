"""The ``sim`` command end to end, as a user runs it."""

import json
import subprocess
import sys

import pandas as pd
import pytest

from sim import load_scenario, simulate
from sim.cli import main

from .helpers import BASELINE, CONQUEST_VS_RELATIONS

SMALL = ["--set", "market.size=1500", "--set", "run.weeks=40"]


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "sim.cli", *args], capture_output=True, text=True, check=False
    )


def test_run_prints_the_summary_and_writes_every_file(tmp_path):
    out = tmp_path / "out"
    done = run_cli("run", str(CONQUEST_VS_RELATIONS), "--out", str(out), "--seed", "4", *SMALL)
    assert done.returncode == 0, f"expected success, got {done.returncode}: {done.stderr}"
    for label in (
        "CAC, fully loaded",
        "retention per year",
        "LTV net of retention cost",
        "customer equity",
        "us",
    ):
        assert label in done.stdout, f"expected {label!r} in the printed summary:\n{done.stdout}"
    expected = ["summary.json", "timeseries.csv", "customers.parquet", "scenario.resolved.toml"]
    for name in expected:
        assert (out / name).stat().st_size > 0, f"expected {name} to be written"
    for figure in ("customers.png", "churn_by_reason.png"):
        assert (out / "figures" / figure).read_bytes()[:4] == b"\x89PNG", f"expected a PNG {figure}"
    assert not list(out.rglob(".*.tmp")), "expected no temporary files left behind"

    summary = json.loads((out / "summary.json").read_text())
    assert summary["seed"] == 4 and summary["weeks"] == 40 and summary["scenario"] == "conquest_vs_relations"
    firm = summary["firms"]["us"]
    keys = {
        "customers_end", "acquired", "acquired_by_channel", "cac", "cac_by_channel", "retention_yearly",
        "churned", "churned_by_reason", "revenue", "margin", "spend", "spend_by_lever", "profit", "ltv",
        "ltv_cac", "market_share_end", "cac_fully_loaded", "retention_spend", "cost_to_retain", "ltv_net",
        "ltv_net_cac_fully_loaded", "roi", "payback_weeks", "payback_weeks_fully_loaded", "customer_equity",
    }  # fmt: skip
    assert keys <= set(firm), f"missing summary keys: {keys - set(firm)}"
    assert set(firm["churned_by_reason"]) == {
        "died", "moved", "followed_friend", "better_value", "dissatisfied", "unappreciated",
    }  # fmt: skip

    series = pd.read_csv(out / "timeseries.csv")
    assert len(series) == 41 * 2, "expected one row per week (0..40) and firm"
    people = pd.read_parquet(out / "customers.parquet")
    columns = {
        "id", "persona", "firm", "status", "acquired_week", "channel", "referrer", "churn_week",
        "churn_reason", "purchases", "revenue", "margin",
    }  # fmt: skip
    assert columns <= set(people.columns), f"missing customer columns: {columns - set(people.columns)}"
    assert people["id"].is_unique, "expected one row per person"


def test_resolved_scenario_reproduces_the_run(tmp_path):
    out = tmp_path / "out"
    assert (
        main(["run", str(BASELINE), "--out", str(out), "--seed", "9", "--no-figures", "--quiet", *SMALL]) == 0
    )
    again = simulate(load_scenario(out / "scenario.resolved.toml"))
    written = json.loads((out / "summary.json").read_text())
    written.pop("version")
    assert json.loads(json.dumps(again.summary)) == written, "expected the resolved file to reproduce the run"


def test_misspelt_key_exits_2_with_a_clear_message_and_writes_nothing(tmp_path, write_scenario):
    path = write_scenario("[run]\nweeks = 10\n[firms.us]\nbudgte = 100\n")
    out = tmp_path / "never"
    done = run_cli("run", str(path), "--out", str(out))
    assert done.returncode == 2, f"expected exit status 2, got {done.returncode}"
    assert f"{path}: firms.us.budgte = 100: unknown key; allowed keys in [firms.us]:" in done.stderr, (
        done.stderr
    )
    assert "budget" in done.stderr, "expected the allowed keys to be listed"
    assert not out.exists(), "expected nothing to be written for an invalid scenario"


def test_bad_set_option_exits_2(tmp_path):
    for bad in ("run.weeks", "firms.us.price=-1", "firms.us.strategy=nonsense"):
        done = run_cli("run", str(BASELINE), "--out", str(tmp_path / "x"), "--set", bad)
        assert done.returncode == 2, f"expected exit status 2 for --set {bad}, got {done.returncode}"
        assert done.stderr.startswith("error: "), f"expected an error message for --set {bad}"
    assert not (tmp_path / "x").exists()


def test_help_explains_every_option():
    top = run_cli("--help")
    assert top.returncode == 0 and "run" in top.stdout and "validate" in top.stdout
    run_help = run_cli("run", "--help")
    for option in ("--seed", "--out", "--set", "--no-figures", "--quiet", "SCENARIO"):
        assert option in run_help.stdout, f"expected {option} in `sim run --help`"


def test_validate_command(write_scenario, capsys):
    assert main(["validate", str(BASELINE)]) == 0
    assert "valid" in capsys.readouterr().out
    assert main(["validate", str(write_scenario("[market]\nsize = -5\n"))]) == 2


@pytest.mark.parametrize("bad_seed", ["-1"])
def test_negative_seed_is_rejected(tmp_path, bad_seed):
    done = run_cli("run", str(BASELINE), "--seed", bad_seed, "--out", str(tmp_path / "o"), *SMALL)
    assert done.returncode == 2 and "--seed" in done.stderr
