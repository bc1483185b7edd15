"""The emulator: every outcome's surrogate over a design's inputs, fitted, saved, loaded and asked.

Owns :func:`fit_emulator` (the workflow behind ``sim emulate``: read a results folder, fit one
surrogate per outcome, :mod:`sim.emulate.surrogate`), :class:`Emulator` (a prediction with its 95%
interval for any point, flagged when it lies outside the ranges fitted over), and its files:
``emulator.joblib`` (the fitted models, the inputs and their ranges, the outcomes; joblib) and
``emulator.json`` (the cross-validated errors, the inputs and their ranges, the versions of the
libraries that pickled the models and the joblib file's SHA-256), each written to a temporary
name and renamed. :func:`load_emulator` reads ``emulator.json`` first and refuses, before
unpickling anything, a file pickled by other versions of scikit-learn, joblib or NumPy, or one
whose checksum differs from the one recorded.

Example:
    >>> import numpy as np, pandas as pd, tempfile
    >>> rng = np.random.default_rng(1)
    >>> x = rng.uniform(0, 1, 24)
    >>> table = pd.DataFrame({"point": range(24), "run": 1, "firm": "us", "firms.us.price": x,
    ...                       "profit": 100 * x + rng.normal(0, 1, 24)})
    >>> folder = Path(tempfile.mkdtemp()); table.to_parquet(folder / "sweep.parquet")
    >>> result = fit_emulator(folder, outcomes=["profit"])
    >>> prediction = result.emulator.predict({"firms.us.price": 0.5})["profit"]
    >>> bool(prediction.low < 50 < prediction.high), prediction.extrapolated
    (True, ())
    >>> result.emulator.predict({"firms.us.price": 2.0})["profit"].extrapolated
    ('firms.us.price',)
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from sim.emulate.design import (
    EmulatorError,
    Input,
    Per,
    design_rows,
    finite_rows,
    read_results,
    select,
)
from sim.emulate.surrogate import Encoder, OutcomeFit, fit_outcome
from sim.manifest import Invocation
from sim.workflow import WorkflowResult

FORMAT = 1  # the layout of emulator.joblib and emulator.json; raised when it changes meaning
MODEL_FILE = "emulator.joblib"
REPORT_FILE = "emulator.json"
# The libraries whose versions must match for the pickled models to load as they were fitted.
PICKLE_PACKAGES = ("scikit-learn", "joblib", "numpy")


def library_versions() -> dict[str, str]:
    """The installed versions of :data:`PICKLE_PACKAGES`."""
    return {name: metadata.version(name) for name in PICKLE_PACKAGES}


class Prediction(NamedTuple):
    """An outcome predicted at one point: its ``mean``, the 95% interval ``low``-``high`` and the
    inputs whose value lies outside the fitted ranges (``extrapolated``; empty when none)."""

    mean: float
    low: float
    high: float
    extrapolated: tuple[str, ...]


@dataclass
class Emulator:
    """Fitted surrogates of ``outcomes`` over ``inputs``; ``source`` says what they were fitted on
    (the folder, its kind, the firm, ``per`` point or run, the points, rows and replicates, the
    scenario's name and resolved text).

    Example:
        >>> from sim.emulate.design import Input
        >>> Emulator([Input("x", "number", 0.0, 1.0)], {}, {}).outside({"x": 1.5})
        ('x',)
    """

    inputs: list[Input]
    fits: dict[str, OutcomeFit]
    source: dict[str, Any]
    versions: dict[str, str] = field(default_factory=library_versions)

    @property
    def outcomes(self) -> list[str]:
        return list(self.fits)

    @property
    def input_names(self) -> list[str]:
        return [spec.name for spec in self.inputs]

    def outside(self, point: Mapping[str, Any]) -> tuple[str, ...]:
        """The inputs whose value in ``point`` lies outside what the emulator was fitted on."""
        return tuple(spec.name for spec in self.inputs if spec.outside(point[spec.name]))

    def _checked(self, point: Mapping[str, Any]) -> None:
        missing = [name for name in self.input_names if name not in point]
        if missing:
            raise EmulatorError(f"the emulator needs a value of {', '.join(missing)} to predict")

    def predict(self, point: Mapping[str, Any]) -> dict[str, Prediction]:
        """Every outcome at ``point`` (each input's name to its value), with its 95% interval."""
        self._checked(point)
        x = Encoder(self.inputs).row(point)
        flagged = self.outside(point)
        out = {}
        for name, fit in self.fits.items():
            mean, low, high = fit.predict(x)
            out[name] = Prediction(float(mean[0]), float(low[0]), float(high[0]), flagged)
        return out

    def predict_many(self, points: Mapping[str, Sequence[Any]]) -> dict[str, tuple[np.ndarray, ...]]:
        """Every outcome at many points at once (each input's name to its values): per outcome the
        arrays mean, low, high."""
        self._checked(points)
        x = Encoder(self.inputs).columns(points)
        return {name: fit.predict(x) for name, fit in self.fits.items()}

    def error_note(self, outcome: str) -> str:
        """The outcome's cross-validated error in one line, its basis named.

        Example: ``profit +-1,234 (cross-validated RMSE; 12% of its spread, the SD over the design)``.
        """
        cv = self.fits[outcome].cv
        return (
            f"{outcome} +-{number(cv['rmse'])} (cross-validated RMSE; {100 * cv['share_of_spread']:.0f}% of its "
            "spread, the SD over the design)"
        )

    def report(self) -> dict[str, Any]:
        """What ``emulator.json`` holds (without the checksum)."""
        return {
            "format": FORMAT,
            "source": {k: v for k, v in self.source.items() if k != "scenario_text"},
            "inputs": [spec.as_dict() for spec in self.inputs],
            "outcomes": {
                name: {
                    "model": fit.model,
                    "interval": fit.interval,
                    "rows": fit.rows,
                    "cv": fit.cv,
                    "candidates": fit.candidates,
                    **({"half_width": fit.half_width} if fit.model == "gradient_boosting" else {}),
                }
                for name, fit in self.fits.items()
            },
            "versions": self.versions,
        }

    def save(self, out: str | os.PathLike[str]) -> Path:
        """``emulator.joblib`` then ``emulator.json`` (with the joblib file's checksum) in ``out``,
        each written whole or not at all; returns the folder."""
        import joblib

        from sim.files import atomic_write, write_json

        folder = Path(out)
        folder.mkdir(parents=True, exist_ok=True)
        payload = {"format": FORMAT, "versions": self.versions, "emulator": self}
        atomic_write(folder / MODEL_FILE, lambda p: joblib.dump(payload, p))
        digest = hashlib.sha256((folder / MODEL_FILE).read_bytes()).hexdigest()
        write_json(folder / REPORT_FILE, _json_safe({**self.report(), "sha256": digest}))
        return folder


def number(value: float) -> str:
    """An error or a mean as the tables show it: whole with thousands separators from 1,000 up,
    else four significant digits.

    Example:
        >>> number(18274.4), number(3.712), number(float("nan"))
        ('18,274', '3.712', 'n/a')
    """
    if not np.isfinite(value):
        return "n/a"
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4g}"


def _json_safe(value: Any) -> Any:
    """NaN and infinities as null (emulator.json is strict JSON)."""
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def load_emulator(folder: str | os.PathLike[str]) -> Emulator:
    """The emulator saved in ``folder`` by ``sim emulate``.

    Raises:
        EmulatorError: no emulator there, a file of another format, pickled with other versions of
            :data:`PICKLE_PACKAGES` than the installed ones, or changed since it was written.
    """
    import joblib

    path = Path(folder)
    report_path, model_path = path / REPORT_FILE, path / MODEL_FILE
    if not report_path.is_file() or not model_path.is_file():
        raise EmulatorError(
            f"{path}: no {REPORT_FILE} and {MODEL_FILE}; fit one with `sim emulate RESULTS_DIR --out {path}`"
        )
    try:
        report = json.loads(report_path.read_text())
    except json.JSONDecodeError as error:
        raise EmulatorError(f"{report_path}: not JSON ({error})") from None
    if report.get("format") != FORMAT:
        raise EmulatorError(
            f"{report_path}: format {report.get('format')!r}; this version reads format {FORMAT}"
        )
    saved, installed = report.get("versions", {}), library_versions()
    differ = [f"{name} {saved.get(name)} (installed: {installed[name]})" for name in PICKLE_PACKAGES
              if saved.get(name) != installed[name]]  # fmt: skip
    if differ:
        raise EmulatorError(
            f"{model_path}: pickled with {', '.join(differ)}; a model pickled by other library versions may "
            "load wrongly, so it is refused: fit it again with `sim emulate` here"
        )
    if hashlib.sha256(model_path.read_bytes()).hexdigest() != report.get("sha256"):
        raise EmulatorError(
            f"{model_path}: its SHA-256 differs from the one {report_path} records; fit it again"
        )
    payload = joblib.load(model_path)
    return payload["emulator"]


@dataclass
class EmulatorResult(WorkflowResult):
    """What :func:`fit_emulator` returns: the ``emulator`` and the call that made it."""

    emulator: Emulator
    invocation: Invocation | None = None

    def table(self) -> str:
        """Per outcome the chosen model and its cross-validated error (what ``sim emulate`` prints)."""
        source = self.emulator.source
        rows = "design points (means over replicates)" if source["per"] == "point" else "runs"
        ranges = ", ".join(
            f"{s.name} {s.low:g}..{s.high:g}"
            if s.kind == "number"
            else f"{s.name} in {{{', '.join(s.levels)}}}"
            for s in self.emulator.inputs
        )
        lines = [
            f"Emulator of {source['scenario']!r} ({source['kind']}, firm {source['firm']!r}), fitted on "
            f"{source['rows']} {rows}; {source['folds']}-fold cross-validation",
            f"inputs: {ranges}",
        ]
        if source.get("dropped"):
            lines.append(f"left out (constant over the design): {', '.join(source['dropped'])}")
        header = ["outcome", "model", "RMSE", "MAE", "R^2", "RMSE/SD", "95% coverage", "other model's RMSE"]
        body = []
        for name, fit in self.emulator.fits.items():
            others = [f"{m} {number(c['rmse'])}" for m, c in fit.candidates.items() if m != fit.model]
            cv = fit.cv
            body.append([
                name, fit.model, number(cv['rmse']), number(cv['mae']), f"{cv['r2']:.3f}",
                f"{100 * cv['share_of_spread']:.0f}%", f"{100 * cv['coverage']:.0f}%",
                ", ".join(others) or "not tried (too many rows)",
            ])  # fmt: skip
        from sim.formatting import aligned

        lines += ["", *aligned(header, body)]
        lines += [
            "",
            "RMSE, MAE, R^2: of held-out predictions; RMSE/SD: the RMSE as a share of the outcome's SD "
            "over the fitted rows; 95% coverage: held-out rows inside their predicted 95% interval.",
            "A quick what-if, not a result: confirm a finding with the real simulation.",
        ]
        return "\n".join(lines)

    def write(
        self, out: str | os.PathLike[str], figures: bool = True, invocation: Invocation | None = None
    ) -> Path:
        """``emulator.joblib``, ``emulator.json`` and ``manifest.json``; returns the folder."""
        from sim.manifest import write_manifest

        folder = self.emulator.save(out)
        source = self.emulator.source
        described = {
            "scenario": source["scenario"],
            "source": source["folder"],
            "hash": source["scenario_hash"],
        }
        write_manifest(folder, described, source.get("seeds", []), invocation or self.invocation)
        return folder


def scenario_hash_of_text(text: str | None) -> str | None:
    """A hash of the resolved scenario a design ran (the first 16 hex digits of its text's SHA-256;
    None when the folder had none)."""
    if not text:
        return None
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def fit_emulator(
    folder: str | os.PathLike[str],
    outcomes: Sequence[str] | None = None,
    firm: str | None = None,
    per: Per = "point",
    folds: int = 5,
    seed: int = 0,
) -> EmulatorResult:
    """Fit a surrogate of each outcome over the design's inputs, chosen by k-fold cross-validation.

    Args:
        folder: the ``--out`` folder of ``sim sweep`` (``sweep.parquet``) or ``sim discover``
            (``discover.parquet``).
        outcomes: outcome names (:data:`sim.design.OUTCOMES`); default profit and customer equity.
        firm: the firm whose outcomes are emulated (default: the scenario's first; a discover
            table holds only its focal firm's).
        per: ``"point"`` fits the mean over replicates of each design point (the interval is then
            for such a mean); ``"run"`` fits every run (the interval is for one run).
        folds: k of the cross-validation.
        seed: seeds the folds and the models.

    Raises:
        EmulatorError: no design table, an unknown outcome or firm, too few points.
    """
    from sim.emulate.design import DEFAULT_OUTCOMES

    invocation = Invocation.api("sim.fit_emulator", outcomes=outcomes, firm=firm, per=per, folds=folds)
    if per not in ("point", "run"):
        raise EmulatorError(f"--per {per!r}: must be point or run")
    if folds < 2:
        raise EmulatorError(f"--folds {folds}: must be at least 2")
    results = read_results(folder)
    names = list(outcomes or DEFAULT_OUTCOMES)
    rows, firm = select(results, names, firm)
    design = design_rows(rows, results.kind, results.inputs, names, per)
    encoder = Encoder(design.inputs)
    x_all = encoder.columns({spec.name: design.frame[spec.name].to_numpy() for spec in design.inputs})
    groups = design.frame["point"].to_numpy()
    fits = {}
    for name in names:
        keep = finite_rows(design.frame, name)
        if len(np.unique(groups[keep])) < 8:
            raise EmulatorError(
                f"--outcomes {name!r}: defined at only {len(np.unique(groups[keep]))} design points; too few "
                "to cross-validate"
            )
        y = design.frame[name].to_numpy(dtype=float)[keep]
        fits[name] = fit_outcome(name, encoder, x_all[keep], y, groups[keep], folds=folds, seed=seed)
    seeds_column = "run" if results.kind == "sweep" else "seed"
    source = {
        "folder": str(Path(folder)),
        "kind": results.kind,
        "scenario": results.scenario_name,
        "scenario_text": results.scenario_text,
        "scenario_hash": scenario_hash_of_text(results.scenario_text),
        "firm": firm,
        "per": per,
        "points": design.points,
        "rows": len(design.frame),
        "replicates": design.replicates,
        "folds": min(folds, design.points),
        "dropped": design.dropped,
        "seeds": sorted(int(s) for s in rows[seeds_column].unique()) if seeds_column in rows else [],
        "strategies": results.strategies,  # a discover design's candidates: name -> dotted overrides
    }
    return EmulatorResult(Emulator(design.inputs, fits, source), invocation)
