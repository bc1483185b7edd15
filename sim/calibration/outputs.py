"""What ``sim calibrate`` returns and shows: the :class:`Calibration`, its table, figure and files.

Owns the result of a fit (the fitted values, the scenario with them written in, the fit's
``fit.json`` record, the trace of every evaluation, the targets), its text (the fitted values
within their bounds, each target's RMS relative error, observed against simulated), its figure
(observed against simulated, one panel per target) and its files (``fitted.toml``, ``fit.json``,
the trace, ``figures/fit.png``, ``manifest.json``).

Example:
    >>> _short(0.123456)
    '0.1235'
"""

from __future__ import annotations

import math
import os
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sim.calibration.targets import TargetSet
from sim.manifest import Invocation, write_manifest
from sim.scenario import Scenario
from sim.workflow import WorkflowResult

if TYPE_CHECKING:
    from matplotlib.figure import Figure


@dataclass
class Calibration(WorkflowResult):
    """What :func:`sim.calibration.calibrate` returns: the fitted values, the fit, and the methods that show them.

    Attributes:
        fitted: dotted key -> fitted value.
        scenario: the scenario with the fitted values.
        fit: the ``fit.json`` dict (objective, per-target errors, observed and simulated values).
        trace: one row per evaluation: ``evaluation``, ``batch``, the parameters, ``objective``
            and each target's error ``E_<index>``.
        targets: the targets fitted.
        invocation: the call and its start, for the manifest.

    Example:
        >>> fit = calibrate(scenario, "data/cdnow/targets.toml")  # doctest: +SKIP
        >>> print(fit.table()); fit.write("results/cdnow/calibrate")  # doctest: +SKIP
    """

    fitted: dict[str, float]
    scenario: Scenario
    fit: dict[str, Any]
    trace: pd.DataFrame
    targets: TargetSet = field(repr=False)
    invocation: Invocation | None = None  # the call and its start, for the manifest

    @property
    def summary(self) -> dict[str, Any]:
        """The ``fit.json`` dict (:attr:`fit`), by the name every result gives it."""
        return self.fit

    def table(self) -> str:
        """The fitted values and each target's error as text."""
        fit = self.fit
        lines = [
            f"Calibrated {fit['scenario']!r} to {fit['targets_file']}: {fit['method']}, {fit['evaluations']} evaluations "
            f"x {fit['runs']} runs (seeds {fit['seeds'][0]}-{fit['seeds'][-1]}); objective {fit['objective']:.5f}",
            "",
            "parameter                                          low        high       fitted",
        ]
        for key, value in fit["parameters"].items():
            lines.append(f"{key:<45} {value['low']:>10.4g} {value['high']:>10.4g} {value['fitted']:>12.5g}")
        lines += ["", "target                                                      weight  RMS rel. error"]
        for target in fit["targets"]:
            lines.append(
                f"[{target['index']}] {target['label']:<55} {target['weight']:>6g}  {target['rms_relative_error']:>8.1%}"
            )
            observed = ", ".join(f"{v:.4g}" for v in target["observed"])
            simulated = ", ".join("n/a" if v is None else f"{v:.4g}" for v in target["simulated"])
            lines.append(f"      observed  {observed}\n      simulated {simulated}")
        return "\n".join(lines)

    def figures(self) -> dict[str, Figure]:
        """``fit``: observed against simulated, one panel per target (:func:`fit_figure`)."""
        return {"fit": fit_figure(self)}

    def write(
        self, out: str | os.PathLike[str], figures: bool = True, invocation: Invocation | None = None
    ) -> Path:
        """``fitted.toml`` (the scenario with the fitted values; ``sim.load_scenario`` reads it),
        ``fit.json``, ``trace.parquet`` and ``trace.csv`` (every evaluation), ``figures/fit.png``
        and ``manifest.json`` of the scenario calibrated (``invocation``, e.g. the command line,
        replaces the result's own)."""
        from sim import __version__
        from sim.files import atomic_write, write_json
        from sim.results import save_figure

        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        fit = self.fit
        header = [
            f"# Fitted by `sim calibrate` to {fit['targets_file']} (objective {fit['objective']:.6g}, "
            f"{fit['evaluations']} evaluations, {fit['runs']} runs each).",
            *(
                f"#   {k} = {_short(v['fitted'])}   (bounds {v['low']:g} .. {v['high']:g})"
                for k, v in fit["parameters"].items()
            ),
        ]
        text = "\n".join(header) + "\n" + self.scenario.to_toml()
        atomic_write(out / "fitted.toml", lambda p: p.write_text(text))
        write_json(out / "fit.json", {**fit, "version": __version__})
        atomic_write(out / "trace.parquet", lambda p: self.trace.to_parquet(p, index=False))
        atomic_write(out / "trace.csv", lambda p: self.trace.to_csv(p, index=False))
        if figures:
            for stem, figure in self.figures().items():
                save_figure(out / "figures" / f"{stem}.png", figure)
        write_manifest(out, fit, fit["seeds"], invocation or self.invocation)
        return out


def fit_figure(calibration: Calibration) -> Figure:
    """Observed against simulated, one panel per target, with the target's RMS relative error.

    Example:
        >>> figure = fit_figure(calibrate(scenario, "data/cdnow/targets.toml"))  # doctest: +SKIP
    """
    import matplotlib.pyplot as plt

    import sim.plots  # noqa: F401  (selects the file backend)

    fit = calibration.fit
    count = len(fit["targets"])
    cols = min(count, 2)
    rows = math.ceil(count / cols)
    figure, axes = plt.subplots(
        rows, cols, figsize=(max(8.0, 5.2 * cols), 1.6 + 3.4 * rows), layout="constrained", squeeze=False
    )
    for axis, target, spec in zip(axes.ravel(), fit["targets"], calibration.targets.targets, strict=False):
        observed = np.array(target["observed"], dtype=float)
        simulated = np.array([np.nan if v is None else v for v in target["simulated"]], dtype=float)
        low = np.array([np.nan if v is None else v for v in target["simulated_min"]], dtype=float)
        high = np.array([np.nan if v is None else v for v in target["simulated_max"]], dtype=float)
        spread = np.nan_to_num(np.vstack([simulated - low, high - simulated]))
        label = f"simulated: mean, range of {fit['runs']} runs"
        categorical = spec.kind in ("churn_reasons", "scalar")
        x = np.arange(len(observed)) if categorical else np.array(spec.points, dtype=float)
        if categorical:
            axis.bar(x - 0.2, observed, width=0.4, color="#7f7f7f", label="observed")
            axis.bar(
                x + 0.2,
                simulated,
                width=0.4,
                yerr=spread,
                capsize=3,
                color="#1f77b4",
                label=label,
            )
            axis.set_xticks(x, target["points"], rotation=20)
        else:
            axis.plot(x, observed, "o", color="black", label="observed", zorder=3)
            axis.errorbar(x, simulated, yerr=spread, fmt="-s", color="#1f77b4", capsize=3, label=label)
            axis.set_xlabel(
                {
                    "week": "week",
                    "month": "month (4 weeks)",
                    "weeks_since": "weeks since acquisition"
                    if spec.kind == "retention" and spec.definition == "membership"
                    else "weeks since first purchase",
                }[spec.unit]
            )
        axis.set_ylabel(
            {
                "retention": "share retained",
                "repeat_purchases": "repeat purchase weeks",
                "churn_reasons": "share of exits",
            }.get(spec.kind, spec.metric or "value")
        )
        axis.set_title(
            f"{target['label']}\nRMS relative error {target['rms_relative_error']:.1%}",
            fontsize=9,
            loc="left",
        )
        axis.legend(fontsize=8)
    for axis in axes.ravel()[count:]:
        axis.set_axis_off()
    fitted = ", ".join(
        f"{k.split('.')[-2] + '.' + k.split('.')[-1] if '.' in k else k} = {_short(v)}"
        for k, v in calibration.fitted.items()
    )
    figure.suptitle(
        f"Calibrated {fit['scenario']!r} to {Path(fit['targets_file']).name}: simulated (mean of {fit['runs']} runs) "
        f"against observed\nobjective {fit['objective']:.4f} after {fit['evaluations']} evaluations\n"
        + textwrap.fill(f"fitted: {fitted}", 110),
        fontsize=9,
    )
    return figure


def _short(value: float) -> str:
    return f"{value:.4g}"


def write_calibration(
    calibration: Calibration,
    out: str | os.PathLike[str],
    figures: bool = True,
    invocation: Invocation | None = None,
) -> Path:
    """``calibration.write(out, figures, invocation)``: the files of :meth:`Calibration.write`.

    Example:
        >>> write_calibration(calibrate(scenario, "data/cdnow/targets.toml"), "results/cdnow")  # doctest: +SKIP
    """
    return calibration.write(out, figures=figures, invocation=invocation)


def format_calibration(calibration: Calibration) -> str:
    """``calibration.table()``: the fitted values and each target's error as text.

    Example:
        >>> print(format_calibration(calibrate(scenario, "data/cdnow/targets.toml")))  # doctest: +SKIP
    """
    return calibration.table()
