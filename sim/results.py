"""A run's result: :class:`SimulationResult`, and saving a figure as a file.

Owns what :func:`sim.simulate` returns (the summary, the weekly table, the per-person table, with
``table``, ``figures`` and ``write``) and :func:`save_figure`. Files are written whole or not at
all by :mod:`sim.files`; the weekly recorder is :mod:`sim.recording` and the summary's metrics
:mod:`sim.summary`. Their names still import from here (``from sim.results import summarise``),
with a DeprecationWarning naming the new home.

Example:
    >>> from sim import load_scenario, simulate
    >>> result = simulate(load_scenario("scenarios/baseline.toml", {"market.size": 200, "run.weeks": 3}))
    >>> sorted(result.figures())
    ['churn_by_reason', 'customers', 'lifecycle']
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from sim.files import atomic_write, write_json
from sim.formatting import format_summary
from sim.moved import moved_names
from sim.workflow import WorkflowResult

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from sim.manifest import Invocation
    from sim.scenario import Scenario


# Names that moved to another module when the house was rebuilt (issue 17): still importable from
# here, with a DeprecationWarning naming their new home.
_MOVED = {
    "Recorder": "sim.recording",
    "WeekFlows": "sim.recording",
    "ACQUIRED_CHANNELS": "sim.summary",
    "CHANNEL_LEVER": "sim.summary",
    "PAID_CHANNELS": "sim.summary",
    "PROJECTION_WEEKS": "sim.summary",
    "payback_weeks": "sim.summary",
    "retention_cost_of_won": "sim.summary",
    "running_economics": "sim.summary",
    "safe_ratio": "sim.summary",
    "spent_per": "sim.summary",
    "summarise": "sim.summary",
}


__getattr__ = moved_names(__name__, _MOVED)


# --------------------------------------------------------------------------- one run's results


@dataclass
class SimulationResult(WorkflowResult):
    """What :func:`sim.simulate` returns: the summary, the weekly table and the per-person table;
    it prints its summary table (:meth:`table`), draws its figures and writes its files.

    Attributes:
        summary: the ``summary.json`` dict.
        timeseries: one row per week and firm.
        customers: one row per person who was ever in the market (see README, "Outputs").
        scenario: the scenario that was run (with its seed).
        invocation: the call that ran it and when it started, for the manifest (None: not known).

    Example:
        >>> import tempfile
        >>> from sim import load_scenario, simulate
        >>> result = simulate(load_scenario("scenarios/baseline.toml", {"market.size": 200, "run.weeks": 3}))
        >>> folder = result.write(tempfile.mkdtemp(), figures=False)
        >>> sorted(p.name for p in folder.iterdir())
        ['customers.parquet', 'manifest.json', 'scenario.resolved.toml', 'summary.json', 'timeseries.csv']
    """

    summary: dict[str, Any]
    timeseries: pd.DataFrame
    customers: pd.DataFrame
    scenario: Scenario
    invocation: Invocation | None = None

    def table(self) -> str:
        """The per-firm summary as an aligned text table (what ``sim run`` prints)."""
        return format_summary(self.summary)

    def figures(self) -> dict[str, Figure]:
        """The figures ``write`` saves, by file name (without ``.png``)."""
        from sim.plots import churn_by_reason_figure, customers_figure, lifecycle_figure

        return {
            "customers": customers_figure(
                self.timeseries, self.summary["scenario"], self.summary.get("events")
            ),
            "churn_by_reason": churn_by_reason_figure(self.summary),
            "lifecycle": lifecycle_figure(self.timeseries, self.summary),
        }

    def write(
        self, out_dir: str | os.PathLike[str], figures: bool = True, invocation: Invocation | None = None
    ) -> Path:
        """Write every output file into ``out_dir``, ``manifest.json`` last (``invocation``, e.g.
        the command line, replaces the result's own); each file appears whole or not at all."""
        from sim import __version__
        from sim.manifest import write_manifest

        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        write_json(out / "summary.json", {**self.summary, "version": __version__})
        atomic_write(out / "timeseries.csv", lambda p: self.timeseries.to_csv(p, index=False))
        atomic_write(out / "customers.parquet", lambda p: self.customers.to_parquet(p, index=False))
        atomic_write(out / "scenario.resolved.toml", lambda p: p.write_text(self.scenario.to_toml()))
        if figures:
            for name, figure in self.figures().items():
                save_figure(out / "figures" / f"{name}.png", figure)
        write_manifest(out, self.scenario, [self.summary["seed"]], invocation or self.invocation)
        return out


def save_figure(path: Path, figure) -> None:
    """Save a figure as PNG atomically and free it."""
    import matplotlib.pyplot as plt

    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, lambda p: figure.savefig(p, dpi=120, format="png"))
    plt.close(figure)
