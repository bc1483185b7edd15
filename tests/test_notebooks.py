"""The analysis notebooks in notebooks/: stored without outputs, and each runs top to bottom in the
project's environment at small size (the test injects a smaller SIZE, WEEKS, RUNS and SAMPLES after the
cell tagged "parameters", as `sim report` does) and draws its figures. Their own default size runs
in under a minute too (measured: 10-15 s of CPU each, see notebooks/README.md).

notebooks/validation.ipynb is run by its own test (tests/validation/test_notebook.py); its storage
is checked here with the others.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from sim.report import inject_parameters

FOLDER = Path(__file__).resolve().parents[1] / "notebooks"
# Notebook -> the figures it draws at the test size.
NOTEBOOKS = {
    "quickstart": 6,
    "conquest_vs_relations": 6,
    "referral_programme": 4,
    "why_customers_leave": 2,
    "what_if": 3,
    "market_shifts": 2,
    "where_strategies_win": 4,
    "price_war": 4,
}
TEST_SIZE = {"SIZE": 1000, "WEEKS": 60, "RUNS": 2, "JOBS": 1}
# Smaller designs where a notebook has one: 16 sampled markets still give PRIM both cases
# (relations won 4 of 16 at the test size).
TEST_DESIGN = {"where_strategies_win": {"SAMPLES": 16}}


def test_every_analysis_notebook_is_tested():
    found = {path.stem for path in FOLDER.glob("*.ipynb")} - {"validation"}
    assert found == set(NOTEBOOKS), (
        f"notebooks without a test (or tests without a notebook): {found ^ set(NOTEBOOKS)}"
    )


@pytest.mark.parametrize("name", sorted(path.stem for path in FOLDER.glob("*.ipynb")))
def test_notebook_is_stored_without_outputs(name):
    notebook = nbformat.read(FOLDER / f"{name}.ipynb", as_version=4)
    nbformat.validate(notebook)
    dirty = [
        index
        for index, cell in enumerate(notebook.cells)
        if cell.cell_type == "code" and (cell.outputs or cell.execution_count is not None)
    ]
    assert not dirty, f"{name}: cells {dirty} hold outputs; clear them before committing"
    assert notebook.cells[0].cell_type == "markdown", (
        f"{name}: a notebook opens with prose saying what it shows"
    )


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs_top_to_bottom(name):
    notebook = nbformat.read(FOLDER / f"{name}.ipynb", as_version=4)
    inject_parameters(notebook, TEST_SIZE | TEST_DESIGN.get(name, {}))
    # A failing cell raises here (CellExecutionError) with the cell and its traceback.
    NotebookClient(
        notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(FOLDER)}}
    ).execute()
    outputs = [output for cell in notebook.cells for output in cell.get("outputs", [])]
    errors = [o for o in outputs if o.get("output_type") == "error"]
    assert not errors, f"{name}: error outputs {errors}"
    figures = sum("image/png" in o.get("data", {}) for o in outputs)
    assert figures == NOTEBOOKS[name], f"{name}: expected {NOTEBOOKS[name]} figures, drew {figures}"
    text = "".join(o.get("text", "") for o in outputs)
    match = re.search(r"notebook ran in ([0-9.]+) s \(([0-9.]+) s of CPU", text)
    assert match, f"{name}: the last cell should report the run time; printed {text[-300:]!r}"
    cpu = float(match.group(2))
    # CPU time, not wall time: other jobs on a shared machine do not inflate it.
    assert cpu < 60, f"{name}: should run in well under a minute at test size; took {cpu:.1f} s of CPU"
