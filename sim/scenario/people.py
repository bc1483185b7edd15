"""The people of a scenario: ``[personas.<name>]`` and the distributions of their traits.

Owns :class:`Dist` (how a trait is spread across people: constant, uniform, beta, gamma,
lognormal, truncated normal, or read per person from a file), the allowed range of each trait,
:class:`Correlation` (a Gaussian copula between a persona's traits), :class:`Persona` (a segment
of the market and its traits), reading a trait column from a file (:func:`trait_column`) and the
three personas a scenario without any gets.

Example:
    >>> Persona(purchase_rate=0.5).purchase_rate.value
    0.5
"""

from __future__ import annotations

import functools
import math
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from sim.scenario.levers import LeversConfig
from sim.values import MAX_CV, MAX_TRAIT, Real, Strict

if TYPE_CHECKING:
    import numpy as np

# --------------------------------------------------------------------------- distributions


class Dist(Strict):
    """A distribution of a persona trait across people.

    ``dist`` is one of

    - constant (``value``);
    - uniform (``low``, ``high``);
    - beta (``mean``, ``sd``; values in (0, 1));
    - gamma (``mean``, ``cv``), lognormal (``mean``, ``cv``);
    - normal (``mean``, ``sd``): accepted here, but every persona trait has a bounded range that a
      normal can leave, so a persona refuses it and asks for a truncated normal instead;
    - truncated_normal (``mean``, ``sd`` of the normal before truncation, ``low``, ``high``: the
      normal restricted to [low, high], ``scipy.stats.truncnorm``);
    - file (``path``, ``column``): each person's value read from a CSV or Parquet file with one row
      per person in slot order (row i is slot i; a newcomer who takes a slot takes its row), the
      path relative to the scenario file.

    A bare number in a scenario file means a constant.

    Example:
        >>> Dist(dist="truncated_normal", mean=0.3, sd=0.2, low=0.0, high=1.0).high
        1.0
    """

    dist: Literal["constant", "uniform", "beta", "gamma", "lognormal", "normal", "truncated_normal", "file"]
    value: Real | None = None
    low: Real | None = None
    high: Real | None = None
    mean: Real | None = None
    sd: Real | None = Field(None, gt=0)
    cv: Real | None = Field(None, gt=0)
    path: str | None = None  # file: a CSV or Parquet file, one row per person in slot order
    column: str | None = None  # file: the column holding the trait

    @model_validator(mode="after")
    def _check_parameters(self) -> Dist:
        needed = {
            "constant": ("value",),
            "uniform": ("low", "high"),
            "beta": ("mean", "sd"),
            "gamma": ("mean", "cv"),
            "lognormal": ("mean", "cv"),
            "normal": ("mean", "sd"),
            "truncated_normal": ("mean", "sd", "low", "high"),
            "file": ("path", "column"),
        }[self.dist]
        keys = ("value", "low", "high", "mean", "sd", "cv", "path", "column")
        given = {k for k in keys if getattr(self, k) is not None}
        if given != set(needed):
            raise ValueError(
                f"a {self.dist} distribution takes exactly {', '.join(needed)}; got {', '.join(sorted(given)) or 'nothing'}"
            )
        if self.dist in ("uniform", "truncated_normal") and not self.low < self.high:
            raise ValueError(f"{self.dist} needs low < high, got low={self.low}, high={self.high}")
        if self.dist == "beta":
            if not 0 < self.mean < 1:
                raise ValueError(f"beta mean must be in (0, 1), got {self.mean}")
            if self.sd**2 >= self.mean * (1 - self.mean):
                limit = math.sqrt(self.mean * (1 - self.mean))
                raise ValueError(f"beta sd must be < {limit:.4g} for mean {self.mean}, got {self.sd}")
        if self.dist in ("gamma", "lognormal") and not self.mean > 0:
            raise ValueError(f"{self.dist} mean must be > 0, got {self.mean}")
        if self.dist == "truncated_normal":
            # Beyond ~37 sd the truncated mass underflows to 0 and truncnorm's quantiles are nan.
            a, b = (self.low - self.mean) / self.sd, (self.high - self.mean) / self.sd
            if a > 30 or b < -30:
                raise ValueError(
                    f"truncated_normal: [low, high] = [{self.low}, {self.high}] lies more than 30 sd "
                    f"from mean {self.mean} (sd {self.sd}); nearly no mass is left to draw from"
                )
        if self.dist == "file" and not (self.path.strip() and self.column.strip()):
            raise ValueError("a file distribution needs a non-empty path and column")
        return self


def constant(value: float) -> Dist:
    return Dist(dist="constant", value=value)


def _as_dist(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return {"dist": "constant", "value": float(value)}
    return value


# Allowed values of each persona trait: probabilities and shares lie in [0, 1]; rates, sensitivities
# and basket multiples (None here) are >= 0 and at most MAX_TRAIT.
TRAIT_RANGES: dict[str, tuple[float, float | None]] = {
    "bandwagon_threshold": (0.0, 1.0),
    "price_sensitivity": (0.0, None),
    "proof_sensitivity": (0.0, None),
    "purchase_rate": (0.0, None),
    "basket_size": (0.0, None),
    "appreciation_decay": (0.0, 1.0),
    "complaint_propensity": (0.0, 1.0),
    "referral_propensity": (0.0, None),
    "products": (1.0, 100.0),
    # multipliers of one person's hazards (1 = the rule's rate as written): word of mouth,
    # advertising (innovation and the ad and influencer boosts), and each churn reason
    "word_of_mouth_susceptibility": (0.0, None),
    "advertising_susceptibility": (0.0, None),
    "died_frailty": (0.0, None),
    "moved_frailty": (0.0, None),
    "followed_friend_frailty": (0.0, None),
    "better_value_frailty": (0.0, None),
    "dissatisfied_frailty": (0.0, None),
    "unappreciated_frailty": (0.0, None),
}
# The multipliers above: constant 1 unless a persona says otherwise (then the rules' arithmetic is
# exactly today's), each drawn from its own random stream when it varies.
MULTIPLIER_TRAITS = tuple(name for name in TRAIT_RANGES if name.endswith(("_susceptibility", "_frailty")))
# Trait files: at most this many bytes (a column of 10^8 people as CSV is about 1 GB).
MAX_TRAIT_FILE_BYTES = 2_000_000_000


@functools.lru_cache(maxsize=16)
def _read_column(path: str, column: str, stamp: tuple[int, int]) -> np.ndarray:
    """The column as float64 (``stamp`` = the file's (mtime, size): a changed file is read again)."""
    # Only scenarios with a trait file or a correlation pay for NumPy and pandas (sim.scenario is
    # imported by every command, `sim --help` included).
    import numpy as np
    import pandas as pd

    if stamp[1] > MAX_TRAIT_FILE_BYTES:
        raise ValueError(
            f"{path}: {stamp[1]:,} bytes; a trait file is at most {MAX_TRAIT_FILE_BYTES:,} bytes"
        )
    parquet = path.lower().endswith(".parquet")
    try:
        if parquet:
            import pyarrow.parquet as pq

            columns = pq.read_schema(path).names
        else:
            columns = list(pd.read_csv(path, nrows=0).columns)
        if column not in columns:
            shown = ", ".join(map(str, columns[:10])) + (", ..." if len(columns) > 10 else "")
            raise ValueError(f"file {path!r} has no column {column!r}; its columns: {shown}")
        frame = pd.read_parquet(path, columns=[column]) if parquet else pd.read_csv(path, usecols=[column])
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        kind = "Parquet" if parquet else "CSV"
        raise ValueError(f"file {path!r}: cannot read it as {kind}: {error}") from None
    values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=np.float64)
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        raise ValueError(
            f"file {path!r} column {column!r}: row {int(bad[0]) + 1} holds {frame[column].iloc[bad[0]]!r}; "
            "every row must be a finite number"
        )
    values.setflags(write=False)
    return values


def trait_column(path: str | os.PathLike[str], column: str) -> np.ndarray:
    """The values of ``column`` in the CSV or Parquet file ``path``, one per person in slot order
    (float64, read-only; read once per file version), or a ValueError saying what is wrong.

    Example:
        >>> import tempfile, pathlib
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> _ = (folder / "people.csv").write_text("rate\\n0.1\\n0.3\\n")
        >>> trait_column(folder / "people.csv", "rate").tolist()
        [0.1, 0.3]
    """
    file = Path(path)
    if not file.is_file():
        raise ValueError(
            f"trait file {str(path)!r} not found (a relative path is read from the scenario's folder)"
        )
    stat = file.stat()
    return _read_column(str(file), column, (stat.st_mtime_ns, stat.st_size))


class Correlation(Strict):
    """A Gaussian copula between some of a persona's traits: ``traits`` and their correlation
    ``matrix`` (of the normal scores; square, symmetric, unit diagonal, positive definite).

    Example:
        >>> Correlation(traits=["purchase_rate", "basket_size"], matrix=[[1, 0.6], [0.6, 1]]).traits
        ['purchase_rate', 'basket_size']
    """

    traits: list[str] = Field(min_length=2, max_length=len(TRAIT_RANGES))
    matrix: list[list[Real]]

    @model_validator(mode="after")
    def _check_matrix(self) -> Correlation:
        unknown = [t for t in self.traits if t not in TRAIT_RANGES]
        if unknown:
            raise ValueError(f"traits: {unknown[0]!r} is not a trait; traits: {', '.join(TRAIT_RANGES)}")
        if len(set(self.traits)) != len(self.traits):
            raise ValueError(f"traits = {self.traits}: each trait may appear once")
        import numpy as np

        k = len(self.traits)
        if len(self.matrix) != k or any(len(row) != k for row in self.matrix):
            shape = f"{len(self.matrix)} rows of {sorted({len(row) for row in self.matrix})} values"
            raise ValueError(f"matrix: must be {k} x {k} (one row and column per trait), got {shape}")
        m = np.array(self.matrix, dtype=np.float64)
        if not np.all(m[np.diag_indices(k)] == 1):
            raise ValueError(f"matrix: the diagonal must be all 1, got {np.diag(m).tolist()}")
        if not np.array_equal(m, m.T):
            i, j = np.argwhere(m != m.T)[0]
            raise ValueError(f"matrix: must be symmetric; [{i}][{j}] = {m[i, j]} but [{j}][{i}] = {m[j, i]}")
        if np.any(np.abs(m) > 1):
            raise ValueError("matrix: correlations must be in [-1, 1]")
        try:
            np.linalg.cholesky(m)
        except np.linalg.LinAlgError:
            smallest = float(np.linalg.eigvalsh(m)[0])
            raise ValueError(
                f"matrix: must be positive definite (Cholesky fails; smallest eigenvalue {smallest:.4g})"
            ) from None
        return self

    def cholesky(self) -> np.ndarray:
        """The lower-triangular factor L with L L^T = matrix (float64)."""
        import numpy as np

        return np.linalg.cholesky(np.array(self.matrix, dtype=np.float64))


class Persona(Strict):
    """One segment of the market and the distributions of its people's traits."""

    share: Real = Field(1.0, gt=0)  # relative weight of the segment in the market (normalised)
    bandwagon_threshold: Dist = Dist(dist="beta", mean=0.35, sd=0.15)  # neighbour share to hop on
    price_sensitivity: Dist = Dist(dist="lognormal", mean=1.0, cv=0.5)  # weight on log price ratio
    proof_sensitivity: Dist = Dist(dist="lognormal", mean=1.0, cv=0.5)  # weight on rating gap
    purchase_rate: Dist = Dist(dist="gamma", mean=0.25, cv=1.0)  # purchases per week
    basket_size: Dist = Dist(dist="lognormal", mean=1.0, cv=0.7)  # multiple of the firm's price
    appreciation_decay: Dist = Dist(dist="beta", mean=0.02, sd=0.01)  # share lost per week
    complaint_propensity: Dist = constant(0.04)  # P(complain | dissatisfying experience)
    referral_propensity: Dist = Dist(dist="gamma", mean=0.01, cv=1.0)  # referrals per week
    products: Dist = Dist(dist="uniform", low=1.0, high=4.0)  # products held on joining (floored, >= 1)
    word_of_mouth_susceptibility: Dist = constant(1.0)  # x the word-of-mouth hazard
    advertising_susceptibility: Dist = constant(1.0)  # x innovation + search, social, influencer boosts
    died_frailty: Dist = constant(1.0)  # x death_rate's weekly hazard
    moved_frailty: Dist = constant(1.0)  # x move_rate's weekly hazard
    followed_friend_frailty: Dist = constant(1.0)  # x the followed-a-friend hazard
    better_value_frailty: Dist = constant(1.0)  # x the better-value hazard
    dissatisfied_frailty: Dist = constant(1.0)  # x the dissatisfied hazard
    unappreciated_frailty: Dist = constant(1.0)  # x the unappreciated hazard
    correlation: Correlation | None = None  # a Gaussian copula between some of these traits
    channel_response: dict[str, Real] = Field(
        default_factory=dict
    )  # lever -> response multiplier (e.g. search_ads = 1.5)
    death_rate: Real = Field(0.003, ge=0, le=1)  # per year (calibrated to the seeds' churn mix)
    move_rate: Real = Field(0.009, ge=0, le=1)  # per year (calibrated to the seeds' churn mix)

    @field_validator(*TRAIT_RANGES, mode="before")
    @classmethod
    def _number_is_constant(cls, value: Any) -> Any:
        return _as_dist(value)

    @field_validator("channel_response")
    @classmethod
    def _known_levers(cls, value: dict[str, float]) -> dict[str, float]:
        allowed = set(LeversConfig.model_fields)
        for lever, factor in value.items():
            if lever not in allowed:
                raise ValueError(f"unknown lever {lever!r}; allowed levers: {', '.join(sorted(allowed))}")
            if factor < 0:
                raise ValueError(f"{lever} = {factor}: a response multiplier must be >= 0")
        return value

    @field_validator(*TRAIT_RANGES, mode="after")
    @classmethod
    def _trait_in_range(cls, dist: Dist, info: ValidationInfo) -> Dist:
        low, high = TRAIT_RANGES[info.field_name]
        if dist.dist in ("gamma", "lognormal"):
            if high is not None:
                raise ValueError(
                    f"a {dist.dist} distribution can exceed {high}; use constant, uniform or beta"
                )
            # Positive and unbounded: the mean and spread are bounded so that the draws stay
            # finite in the float32 arrays that hold them (see Limits in docs/scenario.md).
            if dist.mean > MAX_TRAIT:
                raise ValueError(f"mean must be at most {MAX_TRAIT:g}, got {dist.mean}")
            if dist.cv > MAX_CV:
                raise ValueError(f"cv must be at most {MAX_CV:g}, got {dist.cv}")
            return dist
        if dist.dist == "beta":
            return dist  # beta lies in (0, 1)
        top = MAX_TRAIT if high is None else high
        if dist.dist == "normal":
            # Every trait is bounded (at least >= 0): a normal would leave the range, so it must be
            # truncated explicitly rather than clipped silently (which would move its mean).
            raise ValueError(
                f"a normal distribution can leave [{low:g}, {top:g}]; use truncated_normal with "
                f"low and high inside that range"
            )
        if dist.dist == "file":
            import numpy as np

            values = trait_column(dist.path, dist.column)
            outside = np.flatnonzero((values < low) | (values > top))
            if outside.size:
                row = int(outside[0])
                raise ValueError(
                    f"file {dist.path!r} column {dist.column!r}: row {row + 1} holds {values[row]:g}; "
                    f"values must be in [{low:g}, {top:g}]"
                )
            return dist
        bounds = (dist.value, dist.value) if dist.dist == "constant" else (dist.low, dist.high)
        if bounds[0] < low or bounds[1] > top:
            raise ValueError(f"values must be in [{low:g}, {top:g}], got {bounds[0]}..{bounds[1]}")
        return dist

    @model_validator(mode="after")
    def _correlated_traits_vary(self) -> Persona:
        if self.correlation is None:
            return self
        for trait in self.correlation.traits:
            family = getattr(self, trait).dist
            if family in ("constant", "file"):
                raise ValueError(
                    f"correlation.traits: {trait} is a {family} distribution; only traits drawn "
                    "from a family (uniform, beta, gamma, lognormal, truncated_normal) can be correlated"
                )
        return self

    def trait_files(self) -> list[tuple[str, Dist]]:
        """The traits read from a file: (trait, its distribution)."""
        return [(name, dist) for name in TRAIT_RANGES if (dist := getattr(self, name)).dist == "file"]


def default_personas() -> dict[str, Persona]:
    """Three segments used when a scenario defines none."""
    return {
        "mainstream": Persona(share=0.6),
        "bargain_hunter": Persona(
            share=0.25,
            price_sensitivity=Dist(dist="lognormal", mean=2.0, cv=0.5),
            proof_sensitivity=Dist(dist="lognormal", mean=0.7, cv=0.5),
            purchase_rate=Dist(dist="gamma", mean=0.2, cv=1.0),
        ),
        "enthusiast": Persona(
            share=0.15,
            bandwagon_threshold=Dist(dist="beta", mean=0.2, sd=0.1),
            proof_sensitivity=Dist(dist="lognormal", mean=1.5, cv=0.5),
            purchase_rate=Dist(dist="gamma", mean=0.4, cv=1.0),
            referral_propensity=Dist(dist="gamma", mean=0.03, cv=1.0),
        ),
    }
