"""notebooks/validation.ipynb runs top to bottom in the project's environment in under a minute,
drawing its three figures (its own cells assert that each validation holds). That it is stored
without outputs is checked with the other notebooks (tests/test_notebooks.py)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "validation.ipynb"


def test_notebook_runs_top_to_bottom_in_under_a_minute():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    assert notebook.metadata.kernelspec.name == "python3", "the notebook should use the python3 kernel"
    # The "python3" kernel is ipykernel's (the test extra): jupyter_client runs it with this
    # interpreter. A failing cell (including the notebook's own checks) raises here. The limit
    # per cell is generous: the machine may be shared; the minute is checked on CPU time below.
    NotebookClient(notebook, timeout=300, resources={"metadata": {"path": str(NOTEBOOK.parent)}}).execute()
    text = "".join(output.get("text", "") for cell in notebook.cells for output in cell.get("outputs", []))
    assert f"in {sys.prefix}\n" in text, (
        f"the kernel should run in the test's environment ({sys.prefix}); the notebook printed: {text[:200]!r}"
    )
    figures = sum(
        "image/png" in output.get("data", {}) for cell in notebook.cells for output in cell.get("outputs", [])
    )
    assert figures == 3, f"the notebook should draw three figures (Bass, churn, cascade); drew {figures}"
    # The last cell reports the kernel's CPU time (imports included): a measure of the notebook's
    # own work that other jobs on the machine do not inflate, unlike the wall time.
    match = re.search(r"notebook ran in ([0-9.]+) s \(([0-9.]+) s of CPU", text)
    assert match, f"the notebook's last cell should report its run time; it printed: {text[-300:]!r}"
    wall, cpu = float(match.group(1)), float(match.group(2))
    assert cpu < 60, (
        f"the notebook should run in under a minute; it took {cpu:.1f} s of CPU ({wall:.1f} s wall)"
    )
