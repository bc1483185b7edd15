"""Outputs that describe themselves: real nulls in customers.parquet, read back with DuckDB and
checked against summary.json; and the manifest.json of every command's output folder."""

from __future__ import annotations

import datetime
import json
import os
import platform
import re
import socket
import subprocess
import tomllib
from importlib import metadata
from pathlib import Path

import duckdb
import pandas as pd
import pytest

import sim
from sim import load_scenario, simulate
from sim.cli import main
from sim.execution import config_hash, seeds_for
from sim.experiments import arms_of, sweep, write_sweep
from sim.manifest import KEY_PACKAGES, Invocation, write_manifest
from sim.model import CustomerMarket
from sim.scenario import Scenario
from sim.simulation import collect

from .helpers import CONQUEST_VS_RELATIONS, ROOT

RESEARCH = ROOT / "scenarios" / "research.toml"
WHAT_IF = ROOT / "scenarios" / "what_if.toml"
TINY = {"market.size": 300, "run.weeks": 12}
TINY_SET = [arg for key, value in TINY.items() for arg in ("--set", f"{key}={value}")]


def _query(sql: str) -> list[tuple]:
    return duckdb.sql(sql).fetchall()


# --------------------------------------------------------------------------- customers.parquet


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("run") / "out"
    args = ["run", str(CONQUEST_VS_RELATIONS), "--seed", "4", "--set", "market.size=1500",
            "--set", "run.weeks=40", "--out", str(out), "--no-figures", "--quiet"]  # fmt: skip
    assert main(args) == 0, "expected `sim run` to succeed"
    return out


def test_duckdb_answers_agree_with_the_summary(run_folder):
    summary = json.loads((run_folder / "summary.json").read_text())
    people, weekly = str(run_folder / "customers.parquet"), str(run_folder / "timeseries.csv")

    # Customers at the end: people still in the market (no week they left) who buy from a firm.
    held = dict(
        _query(
            f"SELECT firm, count(*) FROM read_parquet('{people}') "
            "WHERE firm IS NOT NULL AND left_market_week IS NULL GROUP BY firm"
        )
    )
    expected = {firm: f["customers_end"] for firm, f in summary["firms"].items()}
    assert held == expected, f"expected customers_end per firm {expected} from customers.parquet, got {held}"
    assert all(count > 0 for count in held.values()), f"expected every firm to hold customers: {held}"

    # Acquisitions: new customers summed over weeks 1..W of the weekly table.
    won = {
        firm: int(total)
        for firm, total in _query(
            f"SELECT firm, sum(new_customers) FROM read_csv('{weekly}') WHERE week >= 1 GROUP BY firm"
        )
    }
    expected = {firm: f["acquired"] for firm, f in summary["firms"].items()}
    assert won == expected, f"expected acquired per firm {expected} from timeseries.csv, got {won}"


def test_missing_values_are_real_nulls(run_folder):
    people = f"read_parquet('{run_folder / 'customers.parquet'}')"
    total, no_referrer, referred = _query(
        f"SELECT count(*), count(*) FILTER (WHERE referrer IS NULL), "
        f"count(*) FILTER (WHERE channel = 'referral') FROM {people}"
    )[0]
    assert referred > 0, "expected some customers won by referral in 40 weeks"
    assert no_referrer == total - referred, (
        f"expected a null referrer for exactly the {total - referred} people not won by referral, "
        f"got {no_referrer}"
    )
    stand_ins = _query(
        f"SELECT count(*) FROM {people} WHERE firm = '' OR channel = '' OR churn_reason = '' "
        "OR left_market_reason = '' OR referrer < 0 OR acquired_week < 0 OR churn_week < 0 "
        "OR left_market_week < 0"
    )[0][0]
    assert stand_ins == 0, f"expected no -1 or empty stand-ins for missing values, got {stand_ins} rows"

    # Each pair is null together: a week and its label, and they mean what the README says.
    for week, label, meaning in (
        ("acquired_week", "channel", "never won by a firm"),
        ("churn_week", "churn_reason", "never left a firm"),
        ("left_market_week", "left_market_reason", "still in the market"),
    ):
        mismatched, nulls = _query(
            f"SELECT count(*) FILTER (WHERE ({week} IS NULL) <> ({label} IS NULL)), "
            f"count(*) FILTER (WHERE {week} IS NULL) FROM {people}"
        )[0]
        assert mismatched == 0, f"expected {week} and {label} null together, got {mismatched} rows apart"
        assert 0 < nulls < total, f"expected some but not all people {meaning}, got {nulls} of {total}"
    departed_with_week = _query(
        f"SELECT count(*) FILTER (WHERE status = 'departed'), count(*) FILTER (WHERE left_market_week "
        f"IS NOT NULL) FROM {people}"
    )[0]
    assert departed_with_week[0] == departed_with_week[1] > 0, (
        f"expected a week of leaving for exactly the departed, got {departed_with_week}"
    )
    never_won = _query(f"SELECT count(*) FROM {people} WHERE acquired_week IS NULL AND firm IS NOT NULL")
    assert never_won[0][0] == 0, "expected no firm for someone never won"


def test_pandas_reads_the_nullable_types_back(run_folder):
    people = pd.read_parquet(run_folder / "customers.parquet")
    expected = {
        "acquired_week": "Int32",
        "churn_week": "Int32",
        "left_market_week": "Int32",
        "referrer": "Int64",
    }
    found = {column: str(people[column].dtype) for column in expected}
    assert found == expected, f"expected nullable integers {expected}, got {found}"
    for column in ("firm", "channel", "churn_reason", "left_market_reason"):
        assert isinstance(people[column].dtype, pd.StringDtype), (
            f"expected {column} as pandas' nullable string, got {people[column].dtype}"
        )
        assert people[column].isna().any(), f"expected some nulls in {column}"


def test_the_table_in_memory_is_the_one_written(tmp_path):
    result = simulate(load_scenario(CONQUEST_VS_RELATIONS, TINY), seed=2)
    result.write(tmp_path, figures=False)
    pd.testing.assert_frame_equal(
        pd.read_parquet(tmp_path / "customers.parquet"), result.customers, obj="customers.parquet read back"
    )


# --------------------------------------------------------------------------- manifest.json


def _git_commit() -> dict | None:
    """What the manifest should say about git: the commit of this source tree, if it is one."""
    try:
        top = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--show-toplevel"],
                             capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        return None
    if Path(top).resolve() != ROOT:
        return None
    head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True)
    return {"commit": head.stdout.strip()}


def _check_manifest(
    manifest: dict, scenario: Scenario, seeds: list[int], before: datetime.datetime, after: datetime.datetime
) -> None:
    """Every field the issue lists, against what this process knows."""
    assert manifest["project"]["version"] == sim.__version__, f"expected version {sim.__version__}"
    git = _git_commit()
    if git is None:
        assert manifest["git"] is None, f"expected no git state outside a work tree, got {manifest['git']}"
    else:
        assert manifest["git"]["commit"] == git["commit"], (
            f"expected commit {git['commit']}: {manifest['git']}"
        )
        assert isinstance(manifest["git"]["dirty"], bool), f"expected dirty as true/false: {manifest['git']}"
    assert manifest["python"]["version"] == platform.python_version(), f"python: {manifest['python']}"
    for name in (
        "numpy",
        "scipy",
        "pandas",
        "pyarrow",
        "numba",
        "mesa",
        "networkx",
        "pydantic",
        "matplotlib",
    ):
        assert manifest["packages"][name] == metadata.version(name), (
            f"expected {name} {metadata.version(name)}, got {manifest['packages'].get(name)}"
        )
    expected_scenario = {"name": scenario.name, "source": scenario.source, "hash": config_hash(scenario)}
    assert manifest["scenario"] == expected_scenario, (
        f"expected scenario {expected_scenario}, got {manifest['scenario']}"
    )
    assert manifest["seeds"] == seeds, f"expected seeds {seeds}, got {manifest['seeds']}"
    started = datetime.datetime.fromisoformat(manifest["started"])
    finished = datetime.datetime.fromisoformat(manifest["finished"])
    assert started.tzinfo is not None and finished.tzinfo is not None, "expected times with their time zone"
    # the times are written to the millisecond
    assert before - datetime.timedelta(milliseconds=1) <= started <= finished <= after, (
        f"expected {before} <= started {started} <= finished {finished} <= {after}"
    )
    assert manifest["machine"]["hostname"] == socket.gethostname(), f"machine: {manifest['machine']}"
    assert manifest["machine"]["cpus"] == os.cpu_count(), f"machine: {manifest['machine']}"
    assert manifest["machine"]["memory_bytes"] > 2**28, f"expected the memory in bytes: {manifest['machine']}"
    assert manifest["machine"]["platform"] == platform.platform(), f"machine: {manifest['machine']}"


TARGETS = """
[parameters]
"personas.shopper.purchase_rate.mean" = [0.05, 0.6]

[[targets]]
kind = "series"
metric = "revenue"
months = [1, 2]
values = [2000.0, 2500.0]
"""


def _commands(tmp_path: Path) -> dict[str, tuple[list[str], Path, Scenario, list[int]]]:
    """Per command: its arguments, the folder that must hold manifest.json, the scenario it ran
    and its seeds."""
    targets = tmp_path / "targets.toml"
    targets.write_text(TARGETS)
    cvr = load_scenario(CONQUEST_VS_RELATIONS, TINY)
    research = load_scenario(RESEARCH, TINY)
    out = {name: tmp_path / name for name in ("run", "runs", "compare", "sweep", "report", "facts", "sens",
                                             "calibrate", "optimise", "tx")}  # fmt: skip
    return {
        "run": (["run", str(CONQUEST_VS_RELATIONS), "--seed", "5", "--out", str(out["run"])], out["run"], cvr, [5]),
        "run --runs": (["run", str(CONQUEST_VS_RELATIONS), "--runs", "2", "--jobs", "1", "--out", str(out["runs"])],
                       out["runs"], cvr, [1, 2]),
        "compare": (["compare", str(CONQUEST_VS_RELATIONS), "--runs", "2", "--jobs", "1", "--out", str(out["compare"])],
                    out["compare"], cvr, [1, 2]),
        "sweep": (["sweep", str(WHAT_IF), "--runs", "1", "--jobs", "1", "--no-figures", "--out", str(out["sweep"])],
                  out["sweep"], load_scenario(WHAT_IF, TINY), [1]),
        "report": (["report", str(CONQUEST_VS_RELATIONS), "--runs", "2", "--jobs", "1", "--out", str(out["report"])],
                   out["report"], cvr, [1, 2]),
        "facts": (["facts", "--out", str(out["facts"])], out["facts"],
                  Scenario(run={"name": "defaults"}).with_overrides(TINY), [Scenario().run.seed]),
        "transactions": (["transactions", str(RESEARCH), "--seed", "3", "--out", str(out["tx"] / "log.parquet")],
                         out["tx"], research, [3]),
        "sensitivity": (["sensitivity", str(RESEARCH), "--param", "firms.us.budget=0:2000", "--samples", "2",
                         "--runs", "1", "--outcome", "profit", "--jobs", "1", "--no-figures", "--out", str(out["sens"])],
                        out["sens"], research, [1]),
        "calibrate": (["calibrate", str(RESEARCH), "--targets", str(targets), "--runs", "1", "--max-evaluations", "3",
                       "--method", "nelder-mead", "--jobs", "1", "--no-figures", "--out", str(out["calibrate"])],
                      out["calibrate"], research, [1]),
        "optimise": (["optimise", str(CONQUEST_VS_RELATIONS), "--lever", "search_ads", "--trials", "2", "--runs", "2",
                      "--confirm-runs", "2", "--batch", "2", "--jobs", "1", "--no-figures", "--out", str(out["optimise"])],
                     out["optimise"], cvr, [*seeds_for(cvr, 2), *seeds_for(cvr, 2, cvr.run.seed + 2)]),
    }  # fmt: skip


@pytest.mark.parametrize(
    "command",
    ["run", "run --runs", "compare", "sweep", "report", "facts", "transactions", "sensitivity", "calibrate",
     "optimise"],
)  # fmt: skip
def test_every_command_writes_a_manifest(command, tmp_path, capsys):
    args, folder, scenario, seeds = _commands(tmp_path)[command]
    argv = [*args, *TINY_SET, "--quiet"] if command != "facts" else [*args, *TINY_SET]
    before = datetime.datetime.now().astimezone()
    status = main(argv)
    after = datetime.datetime.now().astimezone()
    assert status == 0, f"expected `sim {command}` to succeed:\n{capsys.readouterr().err}"
    path = folder / "manifest.json"
    assert path.exists(), (
        f"expected {path} after `sim {command}`; found {sorted(p.name for p in folder.iterdir())}"
    )
    assert not list(folder.glob(".manifest.json.*")), "expected no temporary manifest left behind"
    manifest = json.loads(path.read_text())
    if command == "transactions":
        assert manifest["output"] == "log.parquet", f"expected the manifest to name its file: {manifest}"
    _check_manifest(manifest, scenario, seeds, before, after)
    assert manifest["command"] == {"argv": ["sim", *argv]}, (
        f"expected the command line, got {manifest['command']}"
    )
    if command == "compare":
        arms = {label: config_hash(arm) for label, arm in arms_of(scenario).items()}
        assert manifest["arms"] == arms, f"expected each arm's hash {arms}, got {manifest.get('arms')}"


def test_the_api_records_its_call_and_when_it_started(tmp_path):
    scenario = load_scenario(CONQUEST_VS_RELATIONS, TINY)
    before = datetime.datetime.now().astimezone()
    result = simulate(scenario, seed=7)
    result.write(tmp_path / "run", figures=False)
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text())
    _check_manifest(manifest, scenario, [7], before, datetime.datetime.now().astimezone())
    assert manifest["command"] == {"call": "sim.simulate", "arguments": {"seed": 7}}, manifest["command"]
    assert manifest["writer"] == "sim.results.SimulationResult.write", manifest["writer"]

    what_if = load_scenario(WHAT_IF, TINY)
    before = datetime.datetime.now().astimezone()
    table = sweep(what_if, runs=1, jobs=1)
    write_sweep(table, what_if, tmp_path / "sweep", "us", figures=False)
    manifest = json.loads((tmp_path / "sweep" / "manifest.json").read_text())
    _check_manifest(manifest, what_if, [1], before, datetime.datetime.now().astimezone())
    assert manifest["command"] == {"call": "sim.sweep", "arguments": {"runs": 1, "seed": None, "jobs": 1}}, (
        f"expected the sweep call kept on its table, got {manifest['command']}"
    )

    # A market stepped by hand: no call known to have started the work, so no start time.
    market = CustomerMarket(scenario, seed=3)
    market.step()
    collect(market).write(tmp_path / "stepped", figures=False)
    manifest = json.loads((tmp_path / "stepped" / "manifest.json").read_text())
    assert manifest["started"] is None and manifest["seconds"] is None, (
        f"expected no start time for a market stepped by hand, got {manifest['started']}"
    )
    assert manifest["command"]["call"] == "sim.results.SimulationResult.write", manifest["command"]


def test_a_file_written_into_another_commands_folder_joins_its_manifest(tmp_path):
    scenario = load_scenario(CONQUEST_VS_RELATIONS, TINY)
    (tmp_path / "log.parquet").write_bytes(b"")
    first = Invocation.api("first")
    write_manifest(tmp_path, scenario, [1], first, output="log.parquet")
    alone = json.loads((tmp_path / "manifest.json").read_text())
    assert alone["output"] == "log.parquet" and alone["command"]["call"] == "first", (
        f"expected the file's own manifest in a folder of its own: {alone}"
    )

    write_manifest(tmp_path, scenario, [2], Invocation.api("folder"))  # a command writes the folder
    folder = json.loads((tmp_path / "manifest.json").read_text())
    assert folder["command"]["call"] == "folder" and "output" not in folder, (
        f"expected the folder's: {folder}"
    )
    assert folder["outputs"]["log.parquet"]["command"]["call"] == "first", (
        f"expected the file's manifest kept under outputs: {folder.get('outputs')}"
    )

    write_manifest(tmp_path, scenario, [3], Invocation.api("again"), output="log.parquet")
    both = json.loads((tmp_path / "manifest.json").read_text())
    assert both["command"]["call"] == "folder", f"expected the folder's manifest kept on top: {both}"
    assert both["outputs"]["log.parquet"]["command"]["call"] == "again", (
        f"expected the file's entry replaced by its new manifest: {both['outputs']}"
    )
    assert both["outputs"]["log.parquet"]["seeds"] == [3], both["outputs"]

    (tmp_path / "log.parquet").unlink()
    write_manifest(tmp_path, scenario, [4], Invocation.api("later"))
    assert "outputs" not in json.loads((tmp_path / "manifest.json").read_text()), (
        "expected no entry for a file no longer there"
    )


def test_the_manifest_lists_every_runtime_dependency():
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    names = {re.split(r"[\[<>=!~ ;]", requirement, maxsplit=1)[0].lower() for requirement in declared}
    listed = {name.lower() for name in KEY_PACKAGES}
    assert names <= listed, f"expected every dependency in the manifest's packages; missing {names - listed}"
