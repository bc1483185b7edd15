"""A run's result and the writing of result files: :class:`SimulationResult` and atomic writers.

Owns what :func:`sim.simulate` returns (the summary, the weekly table, the per-person table, with
``write``, ``figures``) and writing files atomically (:func:`atomic_write`, :func:`write_json`,
:func:`save_figure`: each file appears whole or not at all). The weekly recorder is
:mod:`sim.recording` and the summary's metrics :mod:`sim.summary`; their names are re-exported
here so that ``from sim.results import summarise`` keeps working.

Example:
    >>> safe_ratio(10.0, 0)  is None
    True
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from sim.formatting import format_summary

# The recorder's and the summary's names, where they were before sim/recording.py and
# sim/summary.py existed (re-exported: old imports keep working).
from sim.recording import Recorder, WeekFlows  # noqa: F401
from sim.summary import (  # noqa: F401
    ACQUIRED_CHANNELS,
    CHANNEL_LEVER,
    PAID_CHANNELS,
    PROJECTION_WEEKS,
    payback_weeks,
    retention_cost_of_won,
    running_economics,
    safe_ratio,
    spent_per,
    summarise,
)
from sim.workflow import WorkflowResult

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from sim.manifest import Invocation
    from sim.scenario import Scenario


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
            "customers": customers_figure(self.timeseries, self.summary["scenario"]),
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


def write_json(path: Path, data: dict[str, Any]) -> None:
    """JSON with nulls for undefined values (never NaN), written atomically."""
    atomic_write(path, lambda p: p.write_text(json.dumps(data, indent=2, allow_nan=False) + "\n"))


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _current_umask()


def atomic_write(path: Path, write) -> None:
    """Write to a temporary file beside ``path``, then rename it into place."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(handle)
    try:
        os.chmod(temporary, 0o666 & ~_UMASK)  # mkstemp makes 0600; results are for sharing
        write(Path(temporary))
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
