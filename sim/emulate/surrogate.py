"""The surrogate of one outcome: a Gaussian process or gradient-boosted trees, chosen by cross-validation.

Owns the two candidate models (scikit-learn's :class:`~sklearn.gaussian_process.GaussianProcessRegressor`
with a Matern(5/2) kernel with one length scale per input, plus a WhiteKernel for the runs' noise,
on inputs scaled to [0, 1]; and :class:`~sklearn.ensemble.GradientBoostingRegressor`), the
k-fold cross-validation that scores both on the same folds (a design point's replicates always
fall in the same fold, so a held-out point is never seen through its twin), the choice (the lower
cross-validated RMSE), and the fitted surrogate's prediction with its 95% interval:

- Gaussian process: mean +- 1.96 predictive standard deviations, the noise (WhiteKernel) included;
- trees: mean +- the 95th percentile of the absolute cross-validated residuals (a split-conformal
  interval: the trees have no standard deviation of their own, and quantile trees on a few dozen
  points are too rough to trust).

Inputs are encoded by :class:`Encoder`: a number scaled by its fitted range, a category one-hot.

Example:
    >>> import numpy as np
    >>> from sim.emulate.design import Input
    >>> rng = np.random.default_rng(0)
    >>> x = rng.uniform(size=(30, 1)); y = 3 * x[:, 0] + rng.normal(0, 0.01, 30)
    >>> fit = fit_outcome("y", Encoder([Input("x", "number", 0.0, 1.0)]), x, y, np.arange(30), folds=5)
    >>> fit.model, fit.cv["share_of_spread"] < 0.1
    ('gaussian_process', True)
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.ensemble import GradientBoostingRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.gaussian_process.kernels import ConstantKernel, Matern, WhiteKernel

from sim.emulate.design import Input

Z95 = 1.959963984540054  # the standard normal's 97.5% quantile: a two-sided 95% interval
# A Gaussian process's fit grows as the cube of its rows: above this many it is not tried (the trees are).
GP_MAX_ROWS = 1500
MODELS = ("gaussian_process", "gradient_boosting")
INTERVALS = {
    "gaussian_process": "mean +- 1.96 predictive SD of the Gaussian process, its fitted noise included",
    "gradient_boosting": "mean +- the 95th percentile of the trees' absolute cross-validated errors",
}


class Encoder:
    """Inputs as the models' columns: a number as (value - low) / (high - low), a category as one
    0/1 column per level (an unseen level: all zeros).

    Example:
        >>> Encoder([Input("a", "number", 0.0, 10.0), Input("s", "category", levels=("x", "y"))]).row(
        ...     {"a": 5, "s": "y"}).tolist()
        [[0.5, 0.0, 1.0]]
    """

    def __init__(self, inputs: Sequence[Input]) -> None:
        self.inputs = list(inputs)

    @property
    def width(self) -> int:
        return sum(len(i.levels) if i.kind == "category" else 1 for i in self.inputs)

    def columns(self, values: Mapping[str, Any]) -> np.ndarray:
        """The encoded matrix of ``values`` (each input's name to an array or list of values)."""
        parts = []
        for spec in self.inputs:
            column = np.asarray(values[spec.name])
            if spec.kind == "category":
                text = column.astype(str)
                parts.extend((text == level).astype(float) for level in spec.levels)
            else:
                parts.append((column.astype(float) - spec.low) / (spec.high - spec.low))
        return np.column_stack(parts)

    def row(self, values: Mapping[str, Any]) -> np.ndarray:
        """One point's encoded row (a 1 x width matrix)."""
        return self.columns({spec.name: [values[spec.name]] for spec in self.inputs})


def gaussian_process(width: int, seed: int = 0) -> GaussianProcessRegressor:
    """The Gaussian-process candidate: constant x Matern(5/2, one length scale per column) + white noise."""
    kernel = ConstantKernel(1.0, (1e-3, 1e3)) * Matern(
        length_scale=np.ones(width), length_scale_bounds=(1e-2, 1e2), nu=2.5
    ) + WhiteKernel(1e-2, (1e-8, 1e1))
    return GaussianProcessRegressor(kernel, normalize_y=True, n_restarts_optimizer=1, random_state=seed)


def gradient_boosting(rows: int, seed: int = 0) -> GradientBoostingRegressor:
    """The trees candidate: 300 shallow trees (depth 3) at a small learning rate, each on 80% of the
    rows, leaves of at least 2 rows (more on a large design). Not the histogram variant: it predicts
    one point through a thread pool, some 70 ms on a busy machine against well under one here."""
    return GradientBoostingRegressor(
        learning_rate=0.05,
        n_estimators=300,
        max_depth=3,
        subsample=0.8,
        min_samples_leaf=max(2, min(20, rows // 50)),
        random_state=seed,
    )


def _fitted(model: str, x: np.ndarray, y: np.ndarray, seed: int) -> Any:
    estimator = (
        gaussian_process(x.shape[1], seed) if model == "gaussian_process" else gradient_boosting(len(y), seed)
    )
    with warnings.catch_warnings():
        # A length scale at its bound means the outcome barely depends on that input: not a problem.
        warnings.simplefilter("ignore", ConvergenceWarning)
        estimator.fit(x, y)
    return estimator


def fold_of(groups: np.ndarray, folds: int, seed: int = 0) -> np.ndarray:
    """Each row's fold: the design points (``groups``) shuffled and dealt into ``folds`` folds."""
    points = np.unique(groups)
    order = np.random.default_rng(seed).permutation(len(points))
    fold_by_point = dict(zip(points[order], np.arange(len(points)) % folds, strict=True))
    return np.array([fold_by_point[g] for g in groups])


def scores(y: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    """RMSE, MAE, R^2 (1 - squared error / squared deviation from the mean) and the RMSE as a share
    of the outcome's spread (its standard deviation over the fitted rows)."""
    errors = predicted - y
    rmse = float(np.sqrt(np.mean(errors**2)))
    spread = float(np.std(y))
    total = float(np.sum((y - y.mean()) ** 2))
    return {
        "rmse": rmse,
        "mae": float(np.mean(np.abs(errors))),
        "r2": 1 - float(np.sum(errors**2)) / total if total > 0 else math.nan,
        "share_of_spread": rmse / spread if spread > 0 else math.nan,
        "spread_sd": spread,
    }


@dataclass
class OutcomeFit:
    """One outcome's surrogate: the chosen ``model`` (one of :data:`MODELS`), its fitted
    ``estimator``, its cross-validated scores ``cv`` (:func:`scores`, plus ``coverage``: the share of
    held-out rows inside their 95% interval), every candidate's scores ``candidates``, the
    trees' interval ``half_width`` and the ``rows`` fitted."""

    name: str
    model: str
    estimator: Any
    cv: dict[str, float]
    candidates: dict[str, dict[str, float]]
    half_width: float
    rows: int

    @property
    def interval(self) -> str:
        return INTERVALS[self.model]

    def predict(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Mean, lower and upper end of the 95% interval for each row of the encoded ``x``."""
        if self.model == "gaussian_process":
            mean, sd = self.estimator.predict(x, return_std=True)
            return mean, mean - Z95 * sd, mean + Z95 * sd
        mean = self.estimator.predict(x)
        return mean, mean - self.half_width, mean + self.half_width


def _cross_validate(
    model: str, x: np.ndarray, y: np.ndarray, fold: np.ndarray, seed: int
) -> tuple[dict[str, float], np.ndarray]:
    """The candidate's held-out predictions on every fold, scored; the scores include the 95%
    interval's coverage (for the trees, each fold's half-width comes from the other folds' errors)."""
    mean = np.empty_like(y)
    low, high = np.empty_like(y), np.empty_like(y)
    for k in np.unique(fold):
        train, test = fold != k, fold == k
        estimator = _fitted(model, x[train], y[train], seed)
        if model == "gaussian_process":
            m, sd = estimator.predict(x[test], return_std=True)
            mean[test], low[test], high[test] = m, m - Z95 * sd, m + Z95 * sd
        else:
            mean[test] = estimator.predict(x[test])
    if model == "gradient_boosting":
        residual = np.abs(mean - y)
        for k in np.unique(fold):
            width = float(np.quantile(residual[fold != k], 0.95))
            low[fold == k], high[fold == k] = mean[fold == k] - width, mean[fold == k] + width
    result = scores(y, mean)
    result["coverage"] = float(np.mean((y >= low) & (y <= high)))
    return result, mean


def fit_outcome(
    name: str,
    encoder: Encoder,
    x: np.ndarray,
    y: np.ndarray,
    groups: np.ndarray,
    folds: int = 5,
    seed: int = 0,
) -> OutcomeFit:
    """Cross-validate both candidates on the same folds, keep the one with the lower RMSE and refit
    it on every row.

    Args:
        name: the outcome.
        encoder: the inputs' encoding (``x`` is already encoded by it).
        x: encoded inputs, one row per fitted row.
        y: the outcome.
        groups: each row's design point (a point's replicates share a fold).
        folds: k of the k-fold cross-validation (fewer when there are fewer points).
        seed: seeds the folds and the models.
    """
    fold = fold_of(groups, min(folds, len(np.unique(groups))), seed)
    candidates: dict[str, dict[str, float]] = {}
    residuals: dict[str, np.ndarray] = {}
    for model in MODELS:
        if model == "gaussian_process" and len(y) > GP_MAX_ROWS:
            continue
        candidates[model], predicted = _cross_validate(model, x, y, fold, seed)
        residuals[model] = np.abs(predicted - y)
    chosen = min(candidates, key=lambda m: candidates[m]["rmse"])
    half_width = float(np.quantile(residuals[chosen], 0.95)) if chosen == "gradient_boosting" else math.nan
    return OutcomeFit(
        name, chosen, _fitted(chosen, x, y, seed), candidates[chosen], candidates, half_width, len(y)
    )
