"""What a Bayesian calibration returns and shows: the :class:`Posterior`, its tables and files.

Owns the result of :func:`sim.calibration.calibrate_abc`: the weighted particles of the last
generation, the posterior table (per parameter: weighted mean, median, 5% and 95% quantiles, the
prior, and the **narrowing**: the posterior's 90% credible interval's width over the prior's 90%
interval's width, both on the prior's scale, log10 for a log-uniform prior; 1 means the data said
nothing, 0.2 that they cut the plausible range to a fifth), the verdict on each parameter (pinned
down when the narrowing is at most :data:`PINNED`, else left open), the posterior predictive bands
of every target, the per-generation diagnostics, and the files: ``posterior.csv``,
``posterior_table.csv``, ``abc_diagnostics.csv``, ``predictive.csv``, ``abc.json``,
``fitted.toml`` (the posterior medians), ``figures/posterior_pairs.png``,
``figures/posterior_predictive.png`` and ``manifest.json``.

Example:
    >>> weighted_quantiles(np.array([1.0, 2.0, 3.0]), np.array([1.0, 1.0, 1.0]), [0.5])
    array([2.])
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sim.calibration.targets import TargetSet
from sim.design import Distribution, typed_value
from sim.manifest import Invocation, write_manifest
from sim.scenario import Scenario
from sim.workflow import WorkflowResult

if TYPE_CHECKING:
    from matplotlib.figure import Figure

# A parameter is pinned down by the data when its posterior 90% interval is at most half as wide as
# its prior's (on the prior's scale); wider, the data leave it open.
PINNED = 0.5
BANDS = (0.05, 0.25, 0.5, 0.75, 0.95)


def weighted_quantiles(values: np.ndarray, weights: np.ndarray, quantiles: list[float]) -> np.ndarray:
    """Quantiles of weighted particles: the inverse of the weighted empirical distribution, each
    particle's mass centred on its value (linear in between).

    Example:
        >>> weighted_quantiles(np.array([0.0, 10.0]), np.array([3.0, 1.0]), [0.5])
        array([2.5])
    """
    order = np.argsort(values)
    v, w = np.asarray(values, float)[order], np.asarray(weights, float)[order]
    cdf = (np.cumsum(w) - 0.5 * w) / w.sum()
    return np.interp(quantiles, cdf, v)


def _scaled(prior: Distribution, value: Any) -> Any:
    return np.log10(value) if prior.dist == "loguniform" else value


def posterior_table(
    particles: pd.DataFrame,
    keys: list[str],
    priors: list[Distribution],
    truth: dict[str, float] | None = None,
) -> pd.DataFrame:
    """One row per parameter: prior, mean, median, 5%/95% quantiles, narrowing and verdict, and
    with ``truth`` the true value and whether the 90% interval covers it.

    Example:
        >>> p = pd.DataFrame({"a": [0.4, 0.5, 0.6], "weight": [1/3, 1/3, 1/3]})
        >>> posterior_table(p, ["a"], [Distribution(dist="uniform", low=0, high=1)])["verdict"][0]
        'pinned down'
    """
    rows = []
    w = particles["weight"].to_numpy()
    for key, prior in zip(keys, priors, strict=True):
        x = particles[key].to_numpy(dtype=float)
        q05, q50, q95 = weighted_quantiles(x, w, [0.05, 0.5, 0.95])
        prior_width = _scaled(prior, prior.at(0.95)) - _scaled(prior, prior.at(0.05))
        narrowing = float((_scaled(prior, q95) - _scaled(prior, q05)) / prior_width)
        row = {
            "parameter": key,
            "prior": prior.dist,
            "low": prior.low,
            "high": prior.high,
            "mean": float(np.dot(w, x) / w.sum()),
            "median": float(q50),
            "q05": float(q05),
            "q95": float(q95),
            "narrowing": narrowing,
            "verdict": "pinned down" if narrowing <= PINNED else "left open",
        }
        if truth is not None and key in truth:
            row["truth"] = float(truth[key])
            row["covered"] = bool(q05 <= truth[key] <= q95)
        rows.append(row)
    return pd.DataFrame(rows)


def predictive_bands(targets: TargetSet, predictive: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per target: its points, the observed values and the 5/25/50/75/95% quantiles over the
    posterior predictive draws (each draw's replicate means), the draws defined at each point and
    how many observed points fall inside the 5-95% band."""
    out = []
    valid = [p for p in predictive if p["valid"][0]]
    for index, target in enumerate(targets.targets):
        draws = np.array([p[f"t{index}"] for p in valid], dtype=float).reshape(len(valid), len(target.values))
        quantiles = {q: [] for q in BANDS}
        for column in draws.T:
            defined = column[~np.isnan(column)]
            for q in BANDS:
                quantiles[q].append(float(np.quantile(defined, q)) if defined.size else None)
        observed = list(target.values)
        inside = sum(
            lo is not None and lo <= o <= hi
            for o, lo, hi in zip(observed, quantiles[0.05], quantiles[0.95], strict=True)
        )
        out.append(
            {
                "index": index,
                "label": target.label,
                "kind": target.kind,
                "unit": target.unit,
                "metric": target.metric,
                "definition": target.definition,
                "points": list(target.points),
                "point_labels": target.point_labels(),
                "observed": observed,
                **{f"q{round(q * 100):02d}": quantiles[q] for q in BANDS},
                "draws": [int((~np.isnan(c)).sum()) for c in draws.T],
                "inside_90": int(inside),
            }
        )
    return out


@dataclass
class Posterior(WorkflowResult):
    """What :func:`sim.calibration.calibrate_abc` returns.

    Attributes:
        particles: the last generation: one row per particle, the parameters (scenario units),
            ``weight`` (summing to 1) and ``distance``.
        table_frame: :func:`posterior_table`.
        diagnostics: one row per generation: ``epsilon``, ``candidates``, ``accepted``,
            ``acceptance_rate``, ``effective_sample_size`` (of the weights, ``(sum w)^2 / sum w^2``), ``runs``.
        bands: :func:`predictive_bands`.
        targets: the targets fitted.
        fit: the ``abc.json`` record (settings, priors, distance, seconds).
        keys, priors: the fitted keys and their priors.
        invocation: the call and its start, for the manifest.
        scenario: the scenario calibrated (its posterior medians are written as ``fitted.toml``).

    Example:
        >>> post = calibrate_abc(scenario, "data/cdnow/targets.toml")  # doctest: +SKIP
        >>> post.pinned(), post.left_open()  # doctest: +SKIP
    """

    particles: pd.DataFrame
    table_frame: pd.DataFrame
    diagnostics: pd.DataFrame
    bands: list[dict[str, Any]]
    targets: TargetSet = field(repr=False)
    fit: dict[str, Any] = field(default_factory=dict)
    keys: list[str] = field(default_factory=list)
    priors: list[Distribution] = field(default_factory=list)
    invocation: Invocation | None = None
    scenario: Scenario | None = field(default=None, repr=False)  # the scenario calibrated

    @property
    def summary(self) -> dict[str, Any]:
        """The ``abc.json`` record with the table, diagnostics and bands."""
        return {
            **self.fit,
            "posterior": _records(self.table_frame),
            "diagnostics": _records(self.diagnostics),
            "predictive": self.bands,
        }

    def pinned(self) -> list[str]:
        """The parameters the data pin down (narrowing at most :data:`PINNED`)."""
        return list(self.table_frame.loc[self.table_frame["narrowing"] <= PINNED, "parameter"])

    def left_open(self) -> list[str]:
        """The parameters the data leave open."""
        return list(self.table_frame.loc[self.table_frame["narrowing"] > PINNED, "parameter"])

    def medians(self) -> dict[str, float]:
        """Each parameter's posterior median."""
        return dict(zip(self.table_frame["parameter"], self.table_frame["median"], strict=True))

    def table(self) -> str:
        """Diagnostics per generation, the posterior table, the verdicts and the predictive check."""
        fit = self.fit
        lines = [
            f"Bayesian calibration (ABC-SMC, {fit['library']}) of {fit['scenario']!r} to {fit['targets_file']}: "
            f"{fit['population_size']} particles, {fit['generations_run']} generations, {fit['runs']} runs a "
            f"candidate, seed {fit['seed']}",
            "",
            "generation   epsilon  candidates  accepted  acceptance   ESS    runs",
        ]
        for row in self.diagnostics.itertuples():
            eps = "prior" if row.epsilon is None or pd.isna(row.epsilon) else f"{row.epsilon:.4g}"
            lines.append(
                f"{row.generation:>10} {eps:>9} {row.candidates:>11} {row.accepted:>9} {row.acceptance_rate:>10.1%} "
                f"{row.effective_sample_size:>6.1f} {row.runs:>7}"
            )
        truth = "truth" in self.table_frame
        lines += [
            "",
            f"{'parameter':<42} {'prior':<11} {'low':>8} {'high':>8} {'mean':>9} {'median':>9} "
            f"{'5%':>9} {'95%':>9} {'narrowing':>9}" + ("     truth  in 90%" if truth else ""),
        ]
        for row in self.table_frame.to_dict("records"):
            line = (
                f"{row['parameter']:<42} {row['prior']:<11} {row['low']:>8.4g} {row['high']:>8.4g} "
                f"{row['mean']:>9.4g} {row['median']:>9.4g} {row['q05']:>9.4g} {row['q95']:>9.4g} "
                f"{row['narrowing']:>9.2f}"
            )
            if truth and not pd.isna(row.get("truth")):
                line += f" {row['truth']:>9.4g}  {'yes' if row['covered'] else 'no'}"
            lines.append(line)
        pinned, open_ = self.pinned(), self.left_open()
        lines += [
            "",
            "narrowing: the posterior 90% interval's width over the prior's 90% interval's width "
            f"(log10 scale for a log-uniform prior); pinned down at <= {PINNED}",
            f"the data pin down: {', '.join(pinned) if pinned else 'none of the parameters'}",
            f"the data leave open: {', '.join(open_) if open_ else 'none of the parameters'}",
            "",
            f"posterior predictive ({fit['predictive_draws']} draws; observed points inside the 5-95% band):",
        ]
        for band in self.bands:
            lines.append(
                f"  [{band['index']}] {band['label']}: {band['inside_90']} of {len(band['observed'])}"
            )
        return "\n".join(lines)

    def figures(self) -> dict[str, Figure]:
        """``posterior_pairs`` and ``posterior_predictive`` (:mod:`sim.plots.posterior`)."""
        from sim.plots import posterior_pairs_figure, posterior_predictive_figure

        log_keys = [k for k, p in zip(self.keys, self.priors, strict=True) if p.dist == "loguniform"]
        title = (
            f"{self.fit['scenario']!r}: {self.fit['population_size']} particles after "
            f"{self.fit['generations_run']} generations"
        )
        return {
            "posterior_pairs": posterior_pairs_figure(
                self.particles, self.table_frame, log_keys, title, PINNED
            ),
            "posterior_predictive": posterior_predictive_figure(self.bands, self.fit["predictive_draws"]),
        }

    def write(
        self, out: str | os.PathLike[str], figures: bool = True, invocation: Invocation | None = None
    ) -> Path:
        """Write the files listed in the module docstring into ``out`` (each to a temporary file,
        then renamed)."""
        from sim import __version__
        from sim.files import atomic_write, write_json
        from sim.results import save_figure

        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        base = self.scenario
        if base is not None:
            medians = {k: typed_value(base, k, v) for k, v in self.medians().items()}
            header = "\n".join(
                [
                    f"# Posterior medians of `sim calibrate --method abc` to {self.fit['targets_file']}.",
                    *(
                        f"#   {row['parameter']} = {row['median']:.4g}   (90% interval {row['q05']:.4g} .. {row['q95']:.4g})"
                        for row in self.table_frame.to_dict("records")
                    ),
                ]
            )
            text = header + "\n" + base.with_overrides(medians).to_toml()
            atomic_write(out / "fitted.toml", lambda p: p.write_text(text))
        for name, frame in (
            ("posterior.csv", self.particles),
            ("posterior_table.csv", self.table_frame),
            ("abc_diagnostics.csv", self.diagnostics),
            ("predictive.csv", _band_rows(self.bands)),
        ):
            atomic_write(out / name, lambda p, f=frame: f.to_csv(p, index=False))
        write_json(out / "abc.json", _plain({**self.summary, "version": __version__}))
        if figures:
            for stem, figure in self.figures().items():
                save_figure(out / "figures" / f"{stem}.png", figure)
        write_manifest(out, self.fit, [self.fit["seed"]], invocation or self.invocation)
        return out


def _band_rows(bands: list[dict[str, Any]]) -> pd.DataFrame:
    rows = []
    for band in bands:
        for i, label in enumerate(band["point_labels"]):
            rows.append(
                {
                    "target": band["index"],
                    "label": band["label"],
                    "point": label,
                    "observed": band["observed"][i],
                    **{q: band[q][i] for q in ("q05", "q25", "q50", "q75", "q95")},
                    "draws": band["draws"][i],
                }
            )
    return pd.DataFrame(rows)


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{k: (None if pd.isna(v) else v) for k, v in row.items()} for row in frame.to_dict("records")]


def _plain(value: Any) -> Any:
    """JSON-ready: NumPy numbers as Python's, NaN as None."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value
