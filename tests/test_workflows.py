"""Every workflow has one shape: a function of a Scenario returning a WorkflowResult whose ``table()``
is exactly what its ``sim`` command prints and whose ``write()`` writes exactly the files the
command writes. Each workflow is called twice on the same small scenario and seeds, once through
the command line and once through the Python API, and the two are compared."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import pytest

import sim
from sim import WorkflowResult, load_scenario
from sim.cli import main
from sim.scenario import Scenario

from .helpers import CONQUEST_VS_RELATIONS, ROOT

RESEARCH = ROOT / "scenarios" / "research.toml"
WHAT_IF = ROOT / "scenarios" / "what_if.toml"
TINY = {"market.size": 300, "run.weeks": 12}
TINY_SET = [arg for key, value in TINY.items() for arg in ("--set", f"{key}={value}")]
TARGETS = """
[uncertainties]
"personas.shopper.purchase_rate.mean" = {low = 0.05, high = 0.6}

[[targets]]
kind = "series"
metric = "revenue"
months = [1, 2]
values = [2000.0, 2500.0]
"""


def _files(folder: Path) -> set[str]:
    """Every file under ``folder``, relative, but the run cache (``runs/``), which an API call
    keeps only when given an ``out`` to keep it in."""
    return {
        str(p.relative_to(folder))
        for p in folder.rglob("*")
        if p.is_file() and p.relative_to(folder).parts[0] != "runs"
    }


def _closed(figures: dict[str, Any]) -> dict[str, Any]:
    """``figures``, each closed (pyplot keeps every figure open until it is)."""
    for figure in figures.values():
        plt.close(figure)
    return figures


def _cli(capsys, argv: list[str]) -> str:
    """What `sim ARGV` prints (it must succeed)."""
    status = main(argv)
    captured = capsys.readouterr()
    assert status == 0, f"expected `sim {' '.join(argv)}` to succeed, got {status}: {captured.err}"
    return captured.out


def _same_shape(result: Any, printed: str, cli_folder: Path, api_folder: Path, **write: Any) -> None:
    """``result`` is a WorkflowResult whose table opens what the command printed (the command adds
    its timing and where it wrote) and whose ``write`` writes the command's files."""
    assert isinstance(result, WorkflowResult), f"expected a WorkflowResult, got {type(result).__name__}"
    table = result.table()
    assert isinstance(table, str) and table, f"expected table() to be text, got {table!r}"
    assert printed.startswith(table + "\n"), (
        f"expected the command to print result.table() first;\nprinted:\n{printed[:600]}\ntable():\n{table[:600]}"
    )
    written = result.write(api_folder, **write)
    assert isinstance(written, Path), f"expected write() to return the folder, got {written!r}"
    assert _files(written) == _files(cli_folder), (
        f"expected write() to write the command's files: the command wrote {sorted(_files(cli_folder))}, "
        f"write() {sorted(_files(written))}"
    )


def test_run(tmp_path, capsys):
    scenario = load_scenario(CONQUEST_VS_RELATIONS, TINY)
    printed = _cli(
        capsys, ["run", str(CONQUEST_VS_RELATIONS), "--seed", "4", *TINY_SET, "--out", str(tmp_path / "cli")]
    )
    result = sim.simulate(scenario, seed=4)
    _same_shape(result, printed, tmp_path / "cli", tmp_path / "api")
    figures = _closed(result.figures())
    assert set(figures) == {"customers", "churn_by_reason", "lifecycle"}, "expected the run's three figures"


def test_replicate(tmp_path, capsys):
    scenario = load_scenario(CONQUEST_VS_RELATIONS, TINY)
    argv = [
        "run",
        str(CONQUEST_VS_RELATIONS),
        "--runs",
        "2",
        "--jobs",
        "1",
        *TINY_SET,
        "--out",
        str(tmp_path / "cli"),
    ]
    printed = _cli(capsys, argv)
    result = sim.replicate(scenario, runs=2, jobs=1)
    _same_shape(result, printed, tmp_path / "cli", tmp_path / "api")


def test_compare(tmp_path, capsys):
    scenario = load_scenario(CONQUEST_VS_RELATIONS, TINY)
    argv = [
        "compare",
        str(CONQUEST_VS_RELATIONS),
        "--runs",
        "2",
        "--jobs",
        "1",
        *TINY_SET,
        "--out",
        str(tmp_path / "cli"),
    ]
    printed = _cli(capsys, argv)
    result = sim.compare(scenario, runs=2, jobs=1)
    _same_shape(result, printed, tmp_path / "cli", tmp_path / "api")
    written = json.loads((tmp_path / "api" / "comparison.json").read_text())
    by_cli = json.loads((tmp_path / "cli" / "comparison.json").read_text())
    assert written["arms"] == by_cli["arms"] and written["rankings"] == by_cli["rankings"], (
        "expected the API's comparison.json to hold the command's numbers"
    )


def test_events(tmp_path, capsys):
    shifts = ROOT / "scenarios" / "market_shifts.toml"
    small = {"market.size": 300, "run.weeks": 40, "events.challenger.week": 10, "events.price_war.week": 20}
    scenario = load_scenario(shifts, small)
    sets = [arg for key, value in small.items() for arg in ("--set", f"{key}={value}")]
    argv = ["events", str(shifts), "--runs", "2", "--jobs", "1", *sets, "--out", str(tmp_path / "cli")]
    printed = _cli(capsys, argv)
    result = sim.event_effects(scenario, runs=2, jobs=1)
    _same_shape(result, printed, tmp_path / "cli", tmp_path / "api")
    written = json.loads((tmp_path / "api" / "event_effects.json").read_text())
    by_cli = json.loads((tmp_path / "cli" / "event_effects.json").read_text())
    assert written["effects"] == by_cli["effects"], (
        "expected the API's event_effects.json to hold the command's numbers"
    )
    assert set(_closed(result.figures())) == {"event_effects"}, (
        "expected the one figure of each event's effect"
    )


def test_sweep(tmp_path, capsys):
    scenario = load_scenario(WHAT_IF, TINY)
    argv = [
        "sweep",
        str(WHAT_IF),
        "--runs",
        "1",
        "--jobs",
        "1",
        "--firm",
        "rival",
        *TINY_SET,
        "--out",
        str(tmp_path / "cli"),
    ]
    printed = _cli(capsys, argv)
    result = sim.sweep(scenario, runs=1, jobs=1, firm="rival")
    _same_shape(result, printed, tmp_path / "cli", tmp_path / "api")
    assert "for 'rival'" in result.table(), "expected the table of the firm asked for"
    drawn = sorted(_closed(result.figures()))
    written = sorted(name.removesuffix(".png").removeprefix("figures/")
                     for name in _files(tmp_path / "cli") if name.startswith("figures/"))  # fmt: skip
    assert drawn == written, (
        f"expected figures() to be the figures the command writes: {drawn} against {written}"
    )


def test_facts(tmp_path, capsys):
    scenario = Scenario(run={"name": "defaults"}).with_overrides(TINY)
    printed = _cli(capsys, ["facts", *TINY_SET, "--seed", "2", "--out", str(tmp_path / "cli")])
    result = sim.measure_facts(scenario, seed=2)
    _same_shape(result, printed, tmp_path / "cli", tmp_path / "api")


def test_transactions(tmp_path, capsys):
    scenario = load_scenario(RESEARCH, TINY)
    out = tmp_path / "cli" / "log.csv"
    printed = _cli(capsys, ["transactions", str(RESEARCH), "--seed", "3", *TINY_SET, "--out", str(out)])
    result = sim.simulate_transactions(scenario, seed=3)
    assert printed == f"{result.table()}; written to {out}\n", (
        f"expected the table and where, got {printed!r}"
    )
    written = result.write(tmp_path / "api" / "log.csv")
    assert _files(written) == _files(out.parent), (
        f"expected the command's files, got {sorted(_files(written))} against {sorted(_files(out.parent))}"
    )
    assert (written / "log.csv").read_text() == out.read_text(), "expected the same log from the API"


@pytest.mark.slow
def test_report(tmp_path, capsys):
    scenario = load_scenario(CONQUEST_VS_RELATIONS, TINY)
    argv = ["report", str(CONQUEST_VS_RELATIONS), "--runs", "2", "--jobs", "1", *TINY_SET, "--quiet",
            "--out", str(tmp_path / "cli")]  # fmt: skip
    assert _cli(capsys, argv) == "", "expected --quiet to print nothing"
    # The notebook reloads the scenario from its file and overrides, as the command's does.
    result = sim.report(
        scenario, runs=2, jobs=1, out=tmp_path / "api", source=CONQUEST_VS_RELATIONS, overrides=TINY
    )
    assert isinstance(result, sim.ReportResult), f"expected a ReportResult, got {type(result).__name__}"
    # `sim report` prints where the page went, not a table: the result's table is the page's.
    assert result.table().startswith(result.data.table().to_string()), "expected the page's comparison table"
    written = result.write()
    assert _files(written) == _files(tmp_path / "cli"), (
        f"expected the command's files, got {sorted(_files(written))} against {sorted(_files(tmp_path / 'cli'))}"
    )
    assert json.loads((written / "comparison.json").read_text()) == json.loads(
        (tmp_path / "cli" / "comparison.json").read_text()
    ), "expected the same comparison from the API and the command"


def test_a_report_of_a_scenario_without_its_file_reloads_a_resolved_copy(tmp_path):
    scenario = load_scenario(CONQUEST_VS_RELATIONS, TINY)  # not what the file alone gives
    result = sim.report(scenario, runs=2, jobs=1, cascade_size=0, out=tmp_path)
    path, overrides = result.notebook_scenario(tmp_path)
    assert Path(path) == tmp_path.resolve() / "report.scenario.toml" and overrides == {}, (
        f"expected the resolved copy beside the page, got {path} with {overrides}"
    )
    assert load_scenario(path).to_dict() == scenario.to_dict(), "expected the copy to reload the scenario"
    own_file = tmp_path / "small.toml"
    own_file.write_text(scenario.to_toml())
    plain = sim.report(load_scenario(own_file), runs=2, jobs=1, cascade_size=0, out=tmp_path / "p")
    assert plain.notebook_scenario(tmp_path / "p") == (str(own_file.resolve()), {}), (
        "expected a scenario that is its file to be reloaded from the file"
    )


# Sensitivity, calibrate and optimise: their results join the shape with the design vocabulary
# (issue 17); until they do, these say so by being skipped.
def test_sensitivity(tmp_path, capsys):
    scenario = load_scenario(RESEARCH, TINY)
    argv = ["sensitivity", str(RESEARCH), "--param", "firms.us.budget=0:2000", "--samples", "2", "--runs", "1",
            "--outcome", "profit", "--jobs", "1", "--no-figures", *TINY_SET, "--out", str(tmp_path / "cli")]  # fmt: skip
    printed = _cli(capsys, argv)
    result = sim.sensitivity(scenario, uncertainties={"firms.us.budget": (0, 2000)}, samples=2, runs=1,
                             outcomes=["profit"], jobs=1, out=tmp_path / "api")  # fmt: skip
    _same_shape(result, printed, tmp_path / "cli", tmp_path / "api", figures=False)


def test_calibrate(tmp_path, capsys):
    targets = tmp_path / "targets.toml"
    targets.write_text(TARGETS)
    scenario = load_scenario(RESEARCH, TINY)
    argv = ["calibrate", str(RESEARCH), "--targets", str(targets), "--runs", "1", "--max-evaluations", "3",
            "--method", "nelder-mead", "--jobs", "1", "--no-figures", *TINY_SET, "--out", str(tmp_path / "cli")]  # fmt: skip
    printed = _cli(capsys, argv)
    result = sim.calibrate(scenario, targets, runs=1, max_evaluations=3, method="nelder-mead", jobs=1,
                           out=tmp_path / "api")  # fmt: skip
    _same_shape(result, printed, tmp_path / "cli", tmp_path / "api", figures=False)


def test_optimise(tmp_path, capsys):
    from sim.optimise import settings_from_options

    scenario = load_scenario(CONQUEST_VS_RELATIONS, TINY)
    argv = ["optimise", str(CONQUEST_VS_RELATIONS), "--lever", "search_ads", "--trials", "2", "--runs", "2",
            "--confirm-runs", "2", "--batch", "2", "--jobs", "1", "--no-figures", *TINY_SET,
            "--out", str(tmp_path / "cli")]  # fmt: skip
    printed = _cli(capsys, argv)
    settings = settings_from_options(levers=["search_ads"], trials=2, runs=2, confirm_runs=2, batch=2)
    result = sim.optimise(scenario, None, settings, jobs=1, out=tmp_path / "api")
    _same_shape(result, printed, tmp_path / "cli", tmp_path / "api", figures=False)


# --------------------------------------------------------------------------- the public API


WORKFLOWS: dict[str, Callable[..., Any]] = {
    "run": lambda: sim.simulate,
    "run --runs": lambda: sim.replicate,
    "compare": lambda: sim.compare,
    "events": lambda: sim.event_effects,
    "sweep": lambda: sim.sweep,
    "sensitivity": lambda: sim.sensitivity,
    "calibrate": lambda: sim.calibrate,
    "optimise": lambda: sim.optimise,
    "report": lambda: sim.report,
    "facts": lambda: sim.measure_facts,
    "transactions": lambda: sim.simulate_transactions,
}


@pytest.mark.parametrize("command", list(WORKFLOWS))
def test_every_workflow_is_exported_callable_and_documented_with_an_example(command):
    workflow = WORKFLOWS[command]()
    assert callable(workflow), f"expected the workflow of `sim {command}` callable from sim, got {workflow!r}"
    function = getattr(
        workflow, workflow.__name__.rpartition(".")[2], workflow
    )  # a callable module's workflow
    assert ">>>" in (function.__doc__ or ""), (
        f"expected an example in the docstring of {function.__qualname__}"
    )


def test_a_workflow_module_is_the_same_callable_however_it_was_imported():
    import sim.report as report_module
    from sim import report

    assert report is report_module and callable(report), "expected sim.report to be the module, callable"
    assert report.ReportData is not None, "expected the module's names reachable from the callable"
