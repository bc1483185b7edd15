"""The ``sim`` command end to end, as a user runs it."""

import json
import subprocess
import sys

import pandas as pd
import pytest

from sim import load_scenario, simulate
from sim.cli import main

from .helpers import BASELINE, CONQUEST_VS_RELATIONS, ROOT

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


# --------------------------------------------------------------------------- inputs that cannot crash a run


def test_out_may_not_climb_out_of_its_folder(tmp_path, capsys):
    for command in (
        ["run", str(BASELINE)],
        ["report", str(BASELINE)],
        ["compare", str(CONQUEST_VS_RELATIONS)],
    ):
        code = main([*command, "--out", str(tmp_path / "a" / ".." / "b")])
        err = capsys.readouterr().err
        assert code == 2 and "may not contain '..'" in err, (
            f"expected a refusal of '..' for {command[0]}: {err}"
        )
    assert not list(tmp_path.iterdir()), "expected nothing written"


def test_run_name_cannot_escape_results(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code = main(["run", str(BASELINE), "--set", 'run.name="../escaped"', *SMALL])
    err = capsys.readouterr().err
    assert code == 2 and "run.name = '../escaped': must be a plain folder name" in err, err
    assert not list(tmp_path.iterdir()) and not (tmp_path.parent / "escaped").exists(), (
        "expected nothing written"
    )


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00", "not UTF-8 text (byte 0 is 0x89)"),
        ("[run]\nname = 'caf\u00e9'\n".encode("latin-1"), "not UTF-8 text (byte 17 is 0xe9)"),
        (b"", "the scenario file is empty"),
        (b"  \n\n", "the scenario file is empty"),
        (b"# only a comment\n", "the scenario file holds only comments"),
        (b"a = " + b"[" * 5000, "not valid TOML"),
    ],
)
def test_unreadable_scenario_files_are_refused(tmp_path, capsys, content, expected):
    path = tmp_path / "bad.toml"
    path.write_bytes(content)
    for command in ("validate", "run"):
        code = main(
            [command, str(path), "--out", str(tmp_path / "out")] if command == "run" else [command, str(path)]
        )
        err = capsys.readouterr().err
        assert code == 2, f"expected exit status 2 from {command}, got {code}"
        assert err.startswith(f"error: {path}: ") and err.count("\n") == 1, (
            f"expected one line naming the file: {err}"
        )
        assert expected in err, f"expected {expected!r} in: {err}"
    assert not (tmp_path / "out").exists(), "expected nothing written"


def test_a_folder_or_a_device_is_not_a_scenario(tmp_path, capsys):
    assert main(["validate", str(tmp_path)]) == 2
    assert "is a folder, not a scenario file" in capsys.readouterr().err
    assert main(["validate", "/dev/zero"]) == 2, "expected /dev/zero refused (it would be read forever)"
    assert "is not a regular file" in capsys.readouterr().err


def test_a_market_too_large_for_memory_is_refused_by_validate_and_run(tmp_path, capsys, monkeypatch):
    import sim.scenario.memory

    monkeypatch.setattr(sim.scenario.memory, "available_memory", lambda: 2 * 2**30)  # a 2 GiB machine
    big = ["--set", "market.size=3000000", "--set", "run.weeks=3"]
    for command in (["validate", str(BASELINE)], ["run", str(BASELINE), "--out", str(tmp_path / "out")]):
        assert main([*command, *big]) == 2, f"expected {command[0]} to refuse 3,000,000 people on 2 GiB"
        err = capsys.readouterr().err
        assert "market.size = 3000000: too large for this machine's memory" in err, err
        assert "GiB is available" in err and "at most about" in err, err
    assert not (tmp_path / "out").exists(), "expected nothing written"
    assert main(["validate", str(BASELINE), "--set", "market.size=1000000"]) == 0, "expected 1M to fit 2 GiB"


def test_more_than_127_personas_run(tmp_path):
    shares = [f"personas.p{i}.share={1 + i % 4}" for i in range(200)]
    sets = [part for s in shares for part in ("--set", s)]
    out = tmp_path / "out"
    code = main(["run", str(BASELINE), *sets, "--set", "market.size=3000", "--set", "run.weeks=8", "--out", str(out), "--no-figures", "--quiet"])  # fmt: skip
    assert code == 0, "expected 200 personas to run (the persona index was 8 bits)"
    people = pd.read_parquet(out / "customers.parquet")
    assert people["persona"].nunique() > 127, (
        f"expected over 127 personas drawn, got {people['persona'].nunique()}"
    )
    assert {"p0", "p199"} <= set(people["persona"]), "expected the first and last persona among the people"


# --------------------------------------------------------------------------- a command line that answers at once

HEAVY = ("scipy", "numba", "mesa", "pandas", "matplotlib", "dask", "optuna", "networkx")


@pytest.mark.parametrize("args", [["--help"], ["validate", str(BASELINE)]], ids=["help", "validate"])
def test_help_and_validate_load_no_heavy_library(args):
    # -X importtime lists every module the process imports, on stderr: the behaviour, not a timing.
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "sim.cli", *args],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, f"expected success, got {done.returncode}: {done.stderr[-500:]}"
    imported = {
        line.split("|")[-1].strip().split(".")[0]
        for line in done.stderr.splitlines()
        if line.startswith("import time:")
    }
    assert "sim" in imported, "expected the import list of the process"
    loaded = sorted(set(HEAVY) & imported)
    assert not loaded, f"expected `sim {' '.join(args)}` to import none of {HEAVY}, got {loaded}"


def test_the_public_api_loads_on_first_use():
    import sim

    for name in sim.__all__:
        assert getattr(sim, name) is not None, f"expected sim.{name}"
    assert set(sim.__all__) <= set(dir(sim)), "expected every public name in dir(sim)"
    with pytest.raises(AttributeError):
        sim.no_such_name  # noqa: B018


@pytest.mark.parametrize(
    "command",
    [
        ["run"],
        ["run", "--runs", "3"],
        ["compare"],
        ["sweep"],
        ["report"],
        ["facts"],
        ["sensitivity"],
        ["calibrate", "--targets", "data/cdnow/targets.toml"],
        ["optimise"],
        ["transactions"],
        ["targets-from-sim", "--targets", "data/targets/recovery.toml", "--out", "OUT/t.toml"],
        ["dashboard"],
        ["validate"],
    ],
    ids=lambda c: " ".join(c[:3]),
)
def test_every_command_refuses_a_bad_value_in_one_line_and_writes_nothing(
    tmp_path, capsys, monkeypatch, command
):
    monkeypatch.chdir(tmp_path)  # the default output folders would land here
    name, *options = command
    options = [o.replace("OUT", str(tmp_path / "out")) for o in options]
    if name == "calibrate" or name == "targets-from-sim":
        options = [str(ROOT / o) if o.startswith("data/") else o for o in options]
    out = [] if name in ("validate", "dashboard", "targets-from-sim") else ["--out", str(tmp_path / "out")]
    code = main([name, str(CONQUEST_VS_RELATIONS), *options, *out, "--set", "firms.us.budget=inf"])
    err = capsys.readouterr().err
    assert code == 2, f"expected `sim {name}` to exit with status 2, got {code}: {err}"
    assert err.count("\n") == 1 and err.startswith(
        f"error: {CONQUEST_VS_RELATIONS}: firms.us.budget = inf: "
    ), err
    assert not list(tmp_path.iterdir()), (
        f"expected `sim {name}` to write nothing, found {list(tmp_path.iterdir())}"
    )


def test_targets_from_log_refuses_a_folder_an_empty_or_a_binary_log(tmp_path, capsys):
    (tmp_path / "empty.csv").write_bytes(b"")
    (tmp_path / "binary.csv").write_bytes(b"\x00\xff\xfe\x00" * 10)
    for log in (tmp_path, tmp_path / "empty.csv", tmp_path / "binary.csv", tmp_path / "missing.csv"):
        code = main(["targets-from-log", str(log), "--out", str(tmp_path / "targets.toml")])
        err = capsys.readouterr().err
        assert code == 2 and err.startswith(f"error: {log}") and err.count("\n") == 1, f"{log}: {err}"
    assert not (tmp_path / "targets.toml").exists(), "expected nothing written"
