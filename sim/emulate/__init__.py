"""``sim emulate``: a fast surrogate of a design's outcomes, for instant what-ifs.

An emulator answers "what would profit be at this budget and this word of mouth?" in a
millisecond instead of a simulation's seconds, by interpolating the runs of a design already made
(``sim sweep``, best an LHS one, or ``sim discover``). It is a quick what-if, not a result: its
error is measured by cross-validation and reported, its prediction comes with a 95% interval, a
point outside the ranges it was fitted over is flagged, and a finding is confirmed with the real
simulation (docs/emulate.md). A workflow: it reads results folders, never runs the model.

- :mod:`sim.emulate.design`: the results folder's table, its inputs, outcomes and fitted rows;
- :mod:`sim.emulate.surrogate`: one outcome's Gaussian process or gradient-boosted trees, chosen by
  k-fold cross-validation, and its interval;
- :mod:`sim.emulate.emulator`: :func:`fit_emulator`, :class:`Emulator` (predict, save) and
  :func:`load_emulator`.

Example:
    >>> from sim.emulate import DEFAULT_OUTCOMES, MODELS
    >>> DEFAULT_OUTCOMES, MODELS
    (('profit', 'customer_equity'), ('gaussian_process', 'gradient_boosting'))
"""

from sim.emulate.design import DEFAULT_OUTCOMES, MIN_POINTS, EmulatorError, Input, parse_outcomes
from sim.emulate.emulator import (
    MODEL_FILE,
    REPORT_FILE,
    Emulator,
    EmulatorResult,
    Prediction,
    fit_emulator,
    load_emulator,
)
from sim.emulate.surrogate import INTERVALS, MODELS

__all__ = [
    "DEFAULT_OUTCOMES",
    "INTERVALS",
    "MIN_POINTS",
    "MODELS",
    "MODEL_FILE",
    "REPORT_FILE",
    "Emulator",
    "EmulatorError",
    "EmulatorResult",
    "Input",
    "Prediction",
    "fit_emulator",
    "load_emulator",
    "parse_outcomes",
]
