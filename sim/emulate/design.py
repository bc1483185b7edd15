"""What an emulator is fitted on: a sweep's or a discover design's table, read into inputs and outcomes.

Owns reading a results folder for :func:`sim.emulate.fit_emulator`: which table it holds
(``sweep.parquet`` from ``sim sweep``, one row per point x replicate x firm; or ``discover.parquet``
from ``sim discover``, one row per market x strategy x seed, the focal firm's outcomes), which of
its columns are the design's inputs (the swept or sampled dotted keys, and a discover design's
``strategy`` as a category) and which are outcomes (:data:`sim.design.OUTCOMES`), and the rows
the surrogates are fitted on: the mean over replicates per design point (``per="point"``, the
default) or every run (``per="run"``). Every problem is an :class:`EmulatorError` naming the
folder, the option and the value, raised before anything is fitted or written.

Example:
    >>> import pandas as pd
    >>> table = pd.DataFrame({"point": [p for p in range(8) for _ in (1, 2)], "run": [1, 2] * 8, "firm": "us",
    ...     "firms.us.budget": [100.0 * p for p in range(8) for _ in (1, 2)], "profit": [float(i) for i in range(16)]})
    >>> rows = design_rows(table, kind="sweep", inputs=["firms.us.budget"], outcomes=["profit"], per="point")
    >>> rows.frame["profit"].tolist()[:3], rows.points, rows.replicates
    ([0.5, 2.5, 4.5], 8, 2)
"""

from __future__ import annotations

import difflib
import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from sim.design import OUTCOMES

SWEEP_TABLE = "sweep.parquet"
DISCOVER_TABLE = "discover.parquet"
DISCOVER_INFO = "discover.json"  # names the focal firm and each candidate strategy's overrides
RESOLVED = "scenario.resolved.toml"
DEFAULT_OUTCOMES = ("profit", "customer_equity")
# Fewer design points than this leave too little to cross-validate: 5 folds train on 6 points or more.
MIN_POINTS = 8
Per = Literal["point", "run"]
# The identifying columns of each table: a design point's id, the replicate (seed), the firm.
_ID_COLUMNS = {"sweep": ("point", "run", "firm"), "discover": ("market", "strategy", "seed")}


class EmulatorError(ValueError):
    """A results folder, option or saved emulator that cannot be used; the message names it."""


@dataclass(frozen=True)
class Input:
    """An input of the emulator: a dotted scenario key (or ``strategy``), a ``number`` with the
    range it was fitted over, or a ``category`` with its levels.

    Example:
        >>> Input("firms.us.budget", "number", 100.0, 200.0).outside(250.0)
        True
    """

    name: str
    kind: Literal["number", "category"]
    low: float | None = None
    high: float | None = None
    levels: tuple[str, ...] = ()

    def outside(self, value: Any) -> bool:
        """Whether ``value`` lies outside what the emulator was fitted on (an extrapolation)."""
        if self.kind == "category":
            return str(value) not in self.levels
        return not (self.low <= float(value) <= self.high)

    def as_dict(self) -> dict[str, Any]:
        if self.kind == "category":
            return {"name": self.name, "kind": self.kind, "levels": list(self.levels)}
        return {"name": self.name, "kind": self.kind, "low": self.low, "high": self.high}


@dataclass
class DesignRows:
    """The rows to fit: ``frame`` holds the inputs, the outcomes and ``point`` (the design point's
    id, for folds that keep a point's replicates together); ``replicates`` is the most runs any
    point has."""

    frame: pd.DataFrame
    inputs: list[Input]
    outcomes: list[str]
    per: Per
    points: int
    replicates: int
    dropped: list[str] = field(default_factory=list)  # inputs constant over the design, left out


@dataclass
class ResultsFolder:
    """A results folder's design table and what is known of it: ``kind`` (``sweep`` or
    ``discover``), the ``table``, the design's input columns, its ``firms`` (in the scenario's
    order) and the resolved scenario's text (what the design ran; None when absent)."""

    folder: Path
    kind: Literal["sweep", "discover"]
    table: pd.DataFrame
    inputs: list[str]
    firms: list[str]
    scenario_text: str | None
    strategies: dict[str, dict[str, Any]] = field(default_factory=dict)  # discover: name -> overrides

    @property
    def scenario_name(self) -> str:
        if self.scenario_text:
            return str(tomllib.loads(self.scenario_text).get("run", {}).get("name") or self.folder.name)
        return self.folder.name


def read_results(folder: str | Path) -> ResultsFolder:
    """The design table of ``folder``: ``sweep.parquet`` or ``discover.parquet``.

    Raises:
        EmulatorError: the folder does not exist or holds neither table.
    """
    path = Path(folder)
    if not path.is_dir():
        raise EmulatorError(f"{path}: no such folder; give the --out folder of sim sweep or sim discover")
    text = (path / RESOLVED).read_text() if (path / RESOLVED).is_file() else None
    resolved = tomllib.loads(text) if text else {}
    if (path / SWEEP_TABLE).is_file():
        table = pd.read_parquet(path / SWEEP_TABLE)
        declared = list(resolved.get("sweep", {}).get("uncertainties", {}))
        inputs = declared or [c for c in table.columns if c not in _ID_COLUMNS["sweep"] and c not in OUTCOMES]
        firms = [f for f in resolved.get("firms", {}) if f in set(table["firm"])] or list(
            dict.fromkeys(table["firm"])
        )
        return ResultsFolder(path, "sweep", table, inputs, firms, text)
    if (path / DISCOVER_TABLE).is_file():
        table = pd.read_parquet(path / DISCOVER_TABLE)
        ids = _ID_COLUMNS["discover"]
        missing = [c for c in ids if c not in table.columns]
        if missing:
            raise EmulatorError(
                f"{path / DISCOVER_TABLE}: no column {', '.join(missing)}; is it sim discover's?"
            )
        inputs = ["strategy", *(c for c in table.columns if c not in ids and c not in OUTCOMES)]
        info = json.loads((path / DISCOVER_INFO).read_text()) if (path / DISCOVER_INFO).is_file() else {}
        firms = [info["firm"]] if info.get("firm") else list(resolved.get("firms", {}))[:1]
        return ResultsFolder(path, "discover", table, inputs, firms, text, dict(info.get("strategies", {})))
    raise EmulatorError(
        f"{path}: holds no {SWEEP_TABLE} or {DISCOVER_TABLE}; run `sim sweep SCENARIO --out {path}` "
        '(an LHS design, method = "lhs", fits best) or sim discover first'
    )


def parse_outcomes(text: str | None) -> list[str]:
    """``--outcomes profit,customer_equity`` as a list (the default when None)."""
    if text is None:
        return list(DEFAULT_OUTCOMES)
    names = [name.strip() for name in text.split(",") if name.strip()]
    if not names:
        raise EmulatorError(f"--outcomes {text!r}: name at least one outcome, e.g. profit,customer_equity")
    return list(dict.fromkeys(names))


def select(results: ResultsFolder, outcomes: list[str], firm: str | None) -> tuple[pd.DataFrame, str | None]:
    """The focal firm's rows (a sweep's; a discover table holds only its focal firm) after checking
    the outcomes and the firm; returns the rows and the firm."""
    table_name = results.folder / (SWEEP_TABLE if results.kind == "sweep" else DISCOVER_TABLE)
    for name in outcomes:
        if name not in OUTCOMES:
            near = difflib.get_close_matches(name, list(OUTCOMES), n=3)
            hint = f" (did you mean {', '.join(near)}?)" if near else "; see docs/model.md, Metrics"
            raise EmulatorError(f"--outcomes {name!r}: not an outcome of a run{hint}")
        if name not in results.table.columns:
            raise EmulatorError(f"--outcomes {name!r}: {table_name} has no such column")
    if results.kind == "discover":
        if firm is not None and results.firms and firm != results.firms[0]:
            raise EmulatorError(
                f"--firm {firm!r}: {table_name} holds the outcomes of {results.firms[0]!r} only"
            )
        return results.table, firm or (results.firms[0] if results.firms else None)
    firm = firm or results.firms[0]
    if firm not in results.firms:
        raise EmulatorError(
            f"--firm {firm!r}: no such firm in {table_name}; firms: {', '.join(results.firms)}"
        )
    return results.table[results.table["firm"] == firm], firm


def _input_of(name: str, values: pd.Series) -> Input | None:
    """The input a column makes, or None when it does not vary over the design."""
    if pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values):
        levels = tuple(sorted({str(v) for v in values}))
        return Input(name, "category", levels=levels) if len(levels) > 1 else None
    low, high = float(values.min()), float(values.max())
    return Input(name, "number", low, high) if high > low else None


def design_rows(
    table: pd.DataFrame, kind: str, inputs: list[str], outcomes: list[str], per: Per
) -> DesignRows:
    """The rows the surrogates are fitted on (see the module docstring).

    Raises:
        EmulatorError: no input varies, or fewer than :data:`MIN_POINTS` design points.
    """
    ids = ["market", "strategy"] if kind == "discover" else ["point"]
    point = table[ids].astype(str).agg("/".join, axis=1) if len(ids) > 1 else table[ids[0]].astype(str)
    frame = table[[*inputs, *outcomes]].copy()
    frame["point"] = point.to_numpy()
    replicates = int(frame.groupby("point").size().max()) if len(frame) else 0
    if per == "point":
        first = frame.groupby("point", sort=True)[inputs].first()
        means = frame.groupby("point", sort=True)[outcomes].mean()
        frame = first.join(means).reset_index()
    fitted, dropped = [], []
    for name in inputs:
        made = _input_of(name, frame[name])
        (fitted if made else dropped).append(made or name)
    points = int(frame["point"].nunique())
    if not fitted:
        raise EmulatorError(f"the design varies none of its inputs ({', '.join(inputs)}): nothing to emulate")
    if points < MIN_POINTS:
        raise EmulatorError(
            f"the design has {points} points: too few to cross-validate an emulator; give it at least "
            f'{MIN_POINTS} (an LHS sweep: [sweep] method = "lhs", samples = 20 or more)'
        )
    return DesignRows(frame, fitted, outcomes, per, points, replicates, dropped)


def finite_rows(frame: pd.DataFrame, outcome: str) -> np.ndarray:
    """Which rows have a defined value of ``outcome`` (a CAC with nobody won is undefined)."""
    return np.isfinite(frame[outcome].to_numpy(dtype=float))
