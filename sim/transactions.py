"""Transaction logs: the simulated purchases out, a real log's calibration targets in.

Out: with ``run.record_transactions = true`` a purchase hook of the recorder (:func:`record`, after
step 5) appends one row per buyer and week (person id, firm, amount, number of purchases) to
``market.transaction_log``; off by default, when it costs one empty loop per week.
:func:`simulate_transactions` (the transactions workflow) runs a scenario with recording on and
returns a :class:`TransactionsResult` holding the log as a table with the columns CLV tools such
as ``lifetimes`` and PyMC-Marketing read: ``customer_id`` (the ``id`` of ``customers.parquet``),
``date`` (``run.start_date`` + 7 x week), ``amount`` (revenue booked that week), plus ``firm``,
``week`` and ``purchases`` (and ``weight``, the real buyers a row stands for, when the market is
scaled: :mod:`sim.scaling`).

In: :func:`read_log` reads a log (CSV, parquet, or the CDNOW text format), :func:`cohort_curves`
measures a cohort's repeat-purchase and retention curves on a weekly clock, and
:func:`targets_from_log` writes them as a calibration targets file (docs/research.md). The same
curve code measures simulated logs during calibration, so data and model are compared alike.

Definitions (weeks are ``(date - origin) // 7`` days; ``origin`` defaults to the first date):

- a customer's *acquisition week* ``a`` is the week of their first purchase in the log;
- the log is observed through week ``E`` (the week that holds ``observed_until``);
- *repeat purchases* at ``k``: over customers with ``a + k <= E``, the mean number of later weeks
  ``a < w <= a + k`` with at least one purchase (several purchases in one week count once: the
  model's clock is a week);
- *activity retention* at ``k`` with window ``W``: over customers with ``a + k + W - 1 <= E``, the
  share who bought in at least one week ``a + k <= w <= a + k + W - 1``.

Example:
    >>> import pandas as pd
    >>> log = pd.DataFrame({"customer_id": [1, 1, 2], "date": pd.to_datetime(
    ...     ["2026-01-05", "2026-01-19", "2026-01-05"]), "amount": [10.0, 5.0, 7.0]})
    >>> curves = cohort_curves(log, weeks_since=[2], window=1)
    >>> curves.repeat_purchases[2], curves.retention[2]
    (0.5, 0.5)
"""

from __future__ import annotations

import datetime
import gzip
import io
import json
import os
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sim.manifest import Invocation, write_manifest
from sim.recording import PurchaseHook, hook_for_switch
from sim.scaling import weighted
from sim.workflow import WorkflowResult

if TYPE_CHECKING:
    from sim.agents.behaviours.purchase import Sales
    from sim.model import CustomerMarket
    from sim.results import SimulationResult
    from sim.scenario import Scenario

DATA = Path(__file__).resolve().parent.parent / "data"
CDNOW_SAMPLE = DATA / "cdnow" / "CDNOW_sample.txt.gz"
CDNOW_IN_WHEEL = "lifetimes/datasets/CDNOW_master.txt"
LOG_COLUMNS = ["customer_id", "date", "amount", "firm", "week", "purchases"]


# --------------------------------------------------------------------------- recording


@dataclass
class TransactionLog:
    """The purchases of a run, one block of arrays per week (appended by the purchase step)."""

    weeks: list[np.ndarray] = field(default_factory=list)
    ids: list[np.ndarray] = field(default_factory=list)
    firms: list[np.ndarray] = field(default_factory=list)
    amounts: list[np.ndarray] = field(default_factory=list)
    counts: list[np.ndarray] = field(default_factory=list)

    def append(
        self, week: int, ids: np.ndarray, firms: np.ndarray, amounts: np.ndarray, counts: np.ndarray
    ) -> None:
        """Add one week's buyers (copies are kept, so later steps cannot change them)."""
        self.weeks.append(np.full(ids.size, week, dtype=np.int32))
        self.ids.append(np.array(ids, dtype=np.int64))
        self.firms.append(np.array(firms, dtype=np.int16))
        self.amounts.append(np.array(amounts, dtype=np.float64))
        self.counts.append(np.array(counts, dtype=np.int32))

    def table(self, firm_names: Sequence[str], start_date: datetime.date) -> pd.DataFrame:
        """The log as a table (see the module docstring), ordered by week then customer."""

        def joined(blocks: list[np.ndarray], dtype: Any) -> np.ndarray:
            return np.concatenate(blocks) if blocks else np.empty(0, dtype=dtype)

        week = joined(self.weeks, np.int32)
        ids = joined(self.ids, np.int64)
        order = np.lexsort((ids, week))
        firm = joined(self.firms, np.int16)[order]
        start = np.datetime64(start_date, "D")
        return pd.DataFrame(
            {
                "customer_id": ids[order],
                "date": pd.to_datetime(start + week[order].astype("timedelta64[D]") * 7),
                "amount": joined(self.amounts, np.float64)[order],
                "firm": pd.Categorical.from_codes(firm, categories=list(firm_names)),
                "week": week[order],
                "purchases": joined(self.counts, np.int32)[order],
            }
        )


def record(market: CustomerMarket, sales: Sales) -> None:
    """The transaction log's purchase hook (:class:`sim.recording.Recorder`): append this week's
    buyers, their firm, the revenue booked and the number of purchases to
    ``market.transaction_log`` (made at the first call). Every market built with
    ``run.record_transactions`` on has it, once this module is imported; :func:`attach` adds it to
    any market.

    Example:
        >>> from sim import CustomerMarket, load_scenario
        >>> market = CustomerMarket(load_scenario("scenarios/research.toml",
        ...     {"market.size": 200, "run.weeks": 3, "run.record_transactions": True}))
        >>> market.run_model()
        >>> len(market.transaction_log.weeks)  # one block of buyers per week
        3
    """
    log = market.__dict__.get("transaction_log")
    if log is None:
        log = market.transaction_log = TransactionLog()
    slots = sales.slots
    log.append(market.week, market.customers.person_id[slots], sales.firm, sales.revenue, sales.count)


def attach(market: CustomerMarket) -> None:
    """Keep a transaction log of ``market`` from its next week on (what ``run.record_transactions
    = true`` does for every market built from a scenario).

    Example:
        >>> from sim import CustomerMarket, load_scenario
        >>> market = CustomerMarket(load_scenario("scenarios/research.toml", {"market.size": 200}))
        >>> attach(market); market.step(); len(market.transaction_log.weeks)
        1
    """
    if record not in market.recorder.purchase_hooks:
        market.recorder.purchase_hooks.append(record)


def _log_hook(market: CustomerMarket) -> PurchaseHook:
    """The purchase hook of a market whose ``run.record_transactions`` is on."""
    return record


# The engine knows no workflow: it asks this module, once imported, for the hook of the switch.
hook_for_switch("record_transactions", _log_hook)


def transaction_table(market: CustomerMarket) -> pd.DataFrame:
    """The transaction log of a market stepped with ``run.record_transactions = true``.

    Example:
        >>> from sim import CustomerMarket, load_scenario
        >>> market = CustomerMarket(load_scenario("scenarios/research.toml",
        ...     {"market.size": 200, "run.weeks": 3, "run.record_transactions": True}))
        >>> market.run_model()
        >>> transaction_table(market).columns.tolist()
        ['customer_id', 'date', 'amount', 'firm', 'week', 'purchases']
    """
    if not market.scenario.run.record_transactions:
        raise ValueError("run.record_transactions is off: no transactions were recorded")
    log = market.__dict__.get("transaction_log") or TransactionLog()
    table = log.table([f.name for f in market.firm_list], market.scenario.run.start_date)
    # A scaled market's buyer stands for `scale` real buyers: amounts stay each simulated buyer's
    # own, and the weight column says how many real buyers the row stands for (sim.scaling).
    return weighted(table, market.scale)


@dataclass
class TransactionsResult(WorkflowResult):
    """What :func:`simulate_transactions` returns (it was called ``SimulatedLog``).

    Attributes:
        result: the run's results, identical to ``simulate(scenario, seed)``.
        log: one row per buyer and week (``customer_id``, ``date``, ``amount``, ``firm``,
            ``week``, ``purchases``).
        initial_ids: ids of the people who were customers at week 0 (not acquired in the run).
        invocation: the call that ran it and when it started, for the manifest.

    Example:
        >>> import tempfile
        >>> from sim import load_scenario
        >>> run = simulate_transactions(load_scenario("scenarios/research.toml", {"market.size": 200, "run.weeks": 4}))
        >>> run.table().split(" transactions")[0] == f"{len(run.log):,}"
        True
        >>> sorted(p.name for p in run.write(Path(tempfile.mkdtemp()) / "log.csv").iterdir())
        ['log.csv', 'manifest.json']
    """

    result: SimulationResult
    log: pd.DataFrame
    initial_ids: np.ndarray
    invocation: Invocation | None = None

    def table(self) -> str:
        """The log in one line: its rows, customers, dates and amount beside the simulated revenue
        (what ``sim transactions`` prints before where it wrote the log)."""
        log = self.log
        revenue = sum(f["revenue"] for f in self.result.summary["firms"].values())
        return (
            f"{len(log):,} transactions (buyer-weeks) of {log['customer_id'].nunique():,} customers, "
            f"{log['date'].min():%Y-%m-%d} to {log['date'].max():%Y-%m-%d}; amount {log['amount'].sum():,.2f} "
            f"(simulated revenue {revenue:,.2f})"
        )

    def write(
        self, out: str | os.PathLike[str], figures: bool = True, invocation: Invocation | None = None
    ) -> Path:
        """Write the log to the file ``out`` (``.csv`` or ``.parquet``: :func:`write_log`) and
        record it in its folder's ``manifest.json`` (``invocation``, e.g. the command line,
        replaces the result's own); returns the folder. A log has no figures.

        Raises:
            ValueError: ``out`` is neither ``.csv`` nor ``.parquet`` (nothing is written).
        """
        path = write_log(self.log, out)
        seeds = [self.result.summary["seed"]]
        write_manifest(
            path.parent, self.result.scenario, seeds, invocation or self.invocation, output=path.name
        )
        return path.parent


def __getattr__(name: str) -> Any:
    """``SimulatedLog``, the old name of :class:`TransactionsResult`, with a DeprecationWarning."""
    if name == "SimulatedLog":
        import warnings

        warnings.warn(
            "sim.transactions.SimulatedLog is now TransactionsResult", DeprecationWarning, stacklevel=2
        )
        return TransactionsResult
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def simulate_transactions(
    scenario: Scenario,
    seed: int | None = None,
    start_date: datetime.date | str | None = None,
    progress: bool = False,
) -> TransactionsResult:
    """Run ``scenario`` with transaction recording on and return the results and the log.

    Args:
        scenario: a validated scenario.
        seed: replicate seed (default ``scenario.run.seed``).
        start_date: calendar date of week 0 (default ``run.start_date``, 2026-01-05).
        progress: a progress bar for a long run (:func:`sim.simulation.run_weeks`).

    Example:
        >>> from sim import load_scenario
        >>> run = simulate_transactions(load_scenario("scenarios/baseline.toml",
        ...     {"market.size": 300, "run.weeks": 8}), seed=2)
        >>> revenue = sum(f["revenue"] for f in run.result.summary["firms"].values())
        >>> bool(abs(run.log["amount"].sum() - revenue) < 1e-6 * revenue)
        True
    """
    from sim.model import CustomerMarket
    from sim.simulation import collect, run_weeks

    invocation = Invocation.api(
        "sim.simulate_transactions", seed=seed, start_date=None if start_date is None else str(start_date)
    )
    overrides: dict[str, Any] = {"run.record_transactions": True}
    if start_date is not None:
        overrides["run.start_date"] = datetime.date.fromisoformat(str(start_date))
    scenario = scenario.without_experiments().with_overrides(overrides)
    market = CustomerMarket(scenario, seed=seed)
    initial = market.customers.person_id[market.customers.firm >= 0].copy()
    run_weeks(market, progress)
    return TransactionsResult(collect(market), transaction_table(market), initial, invocation)


def write_log(log: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write a transaction log as ``.csv`` (dates as YYYY-MM-DD) or ``.parquet``, atomically.

    Example:
        >>> import tempfile
        >>> log = pd.DataFrame({"customer_id": [7], "date": pd.to_datetime(["2026-01-12"]), "amount": [9.5]})
        >>> write_log(log, Path(tempfile.mkdtemp()) / "log.csv").read_text().splitlines()
        ['customer_id,date,amount', '7,2026-01-12,9.5']
    """
    from sim.files import atomic_write

    path = Path(path)
    if path.suffix not in (".csv", ".parquet"):
        raise ValueError(
            f"{path}: a transaction log is written as .csv or .parquet, not {path.suffix or 'no suffix'!r}"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".csv":
        atomic_write(path, lambda p: log.to_csv(p, index=False, date_format="%Y-%m-%d"))
    else:
        atomic_write(path, lambda p: log.to_parquet(p, index=False))
    return path


# --------------------------------------------------------------------------- reading


def load_cdnow(source: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """The CDNOW transaction log (Fader and Hardie): compact-disc purchases of the customers who
    first bought at CDNOW in the first quarter of 1997, observed to the end of June 1998.

    Args:
        source: None for the 1/10 sample vendored in ``data/cdnow/`` (2,357 customers); a
            ``lifetimes`` wheel file (``pip download lifetimes==0.11.3 --no-deps``) for the full
            log inside it (23,570 customers); or a CDNOW text file (master or sample format).

    Returns:
        ``customer_id`` (the master id), ``date``, ``amount`` (dollars), ``cds``.

    Example:
        >>> log = load_cdnow()
        >>> log["customer_id"].nunique(), len(log)
        (2357, 6919)
    """
    path = Path(CDNOW_SAMPLE if source is None else source)
    if not path.exists():
        hint = " (the sample ships in the repository under data/cdnow/)" if source is None else ""
        raise FileNotFoundError(f"{path}: CDNOW file not found{hint}")
    if path.suffix == ".whl":
        with zipfile.ZipFile(path) as wheel:
            try:
                raw = wheel.read(CDNOW_IN_WHEEL)
            except KeyError:
                raise ValueError(
                    f"{path}: no {CDNOW_IN_WHEEL} in this wheel (expected lifetimes 0.11.x)"
                ) from None
    else:
        raw = path.read_bytes()
        if path.suffix == ".gz":
            raw = gzip.decompress(raw)
    table = pd.read_csv(io.BytesIO(raw), sep=r"\s+", header=None, dtype=str)
    if table.shape[1] == 5:  # the sample: master id, sample id, date, CDs, dollars
        table = table.drop(columns=1)
    if table.shape[1] != 4:
        raise ValueError(f"{path}: expected 4 (master) or 5 (sample) columns, found {table.shape[1]}")
    table.columns = ["customer_id", "date", "cds", "amount"]
    return pd.DataFrame(
        {
            "customer_id": table["customer_id"].astype(np.int64),
            "date": pd.to_datetime(table["date"], format="%Y%m%d"),
            "amount": table["amount"].astype(float),
            "cds": table["cds"].astype(np.int64),
        }
    )


def read_log(
    path: str | os.PathLike[str],
    customer: str = "customer_id",
    date: str = "date",
    amount: str = "amount",
) -> pd.DataFrame:
    """A transaction log from a file, with columns ``customer_id``, ``date``, ``amount`` (and
    ``firm`` and any others it has).

    ``.csv`` and ``.parquet`` are read with the given column names; ``.txt`` / ``.txt.gz`` (CDNOW
    format) and ``.whl`` (the CDNOW master inside a ``lifetimes`` wheel) go to :func:`load_cdnow`.

    Example:
        >>> read_log("data/cdnow/CDNOW_sample.txt.gz")["date"].min().date()
        datetime.date(1997, 1, 1)
    """
    path = Path(path)
    suffixes = "".join(path.suffixes[-2:])
    if path.suffix in (".whl", ".txt") or suffixes == ".txt.gz":
        return load_cdnow(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: transaction log not found")
    if path.suffix == ".parquet":
        table = pd.read_parquet(path)
    elif path.suffix in (".csv", ".gz"):
        table = pd.read_csv(path)
    else:
        raise ValueError(f"{path}: a transaction log is .csv, .parquet, CDNOW .txt or a lifetimes .whl")
    missing = [c for c in (customer, date, amount) if c not in table.columns]
    if missing:
        raise ValueError(
            f"{path}: no column {missing[0]!r}; columns: {', '.join(map(str, table.columns))} "
            "(name the columns with --customer-column, --date-column, --amount-column)"
        )
    table = table.rename(columns={customer: "customer_id", date: "date", amount: "amount"})
    table["date"] = pd.to_datetime(table["date"])
    return table


# --------------------------------------------------------------------------- cohort curves


@dataclass
class CohortCurves:
    """Repeat-purchase and activity-retention curves of a cohort, keyed by weeks since the first
    purchase; ``*_customers`` say how many customers each point rests on (after censoring)."""

    repeat_purchases: dict[int, float | None]
    retention: dict[int, float | None]
    repeat_customers: dict[int, int]
    retention_customers: dict[int, int]
    cohort: int  # customers in the cohort
    transactions: int  # rows of the log in the cohort
    first_week: int  # of the cohort's first purchases
    cohort_last_week: int  # the last week a cohort customer made their first purchase
    last_week: int  # E, the last week observed
    window: int
    origin: datetime.date


def _week_of(dates: pd.Series | np.ndarray, origin: np.datetime64) -> np.ndarray:
    days = (np.asarray(dates, dtype="datetime64[D]") - origin).astype(np.int64)
    return np.floor_divide(days, 7)


def cohort_curves(
    log: pd.DataFrame,
    weeks_since: Sequence[int],
    window: int = 13,
    cohort_start: datetime.date | str | None = None,
    cohort_end: datetime.date | str | None = None,
    observed_until: datetime.date | str | None = None,
    origin: datetime.date | str | None = None,
    exclude: np.ndarray | None = None,
    firm: str | None = None,
) -> CohortCurves:
    """Repeat purchases and activity retention at ``weeks_since`` (definitions: module docstring).

    Args:
        log: ``customer_id``, ``date`` (and ``firm`` if ``firm`` is given).
        weeks_since: the points k (weeks after the first purchase), each >= 0.
        window: W, the weeks in which a purchase counts as "still active" for retention.
        cohort_start, cohort_end: keep customers whose first purchase lies in these dates
            (inclusive; default: everyone).
        observed_until: the last date observed (default: the last date in the log).
        origin: date of week 0 (default: the first date in the log).
        exclude: customer ids to leave out (e.g. a simulation's customers at week 0).
        firm: keep only this firm's rows (first purchase = first purchase from the firm).

    Example:
        >>> curves = cohort_curves(load_cdnow(), weeks_since=[52], window=13)
        >>> round(curves.repeat_purchases[52], 4), round(curves.retention[52], 4)
        (1.3683, 0.1523)
    """
    if window < 1:
        raise ValueError(f"window = {window}: must be at least 1 week")
    if any(k < 0 for k in weeks_since):
        raise ValueError(f"weeks_since = {list(weeks_since)}: each must be >= 0")
    if firm is not None:
        log = log[log["firm"].astype(str) == firm]
    if exclude is not None and len(exclude):
        log = log[~log["customer_id"].isin(exclude)]
    if log.empty:
        raise ValueError("the transaction log has no rows to measure (after the firm and exclusions)")
    dates = log["date"].to_numpy(dtype="datetime64[D]")
    start = np.datetime64(origin, "D") if origin is not None else dates.min()
    until = np.datetime64(observed_until, "D") if observed_until is not None else dates.max()
    codes, ids = pd.factorize(log["customer_id"], sort=True)
    week = _week_of(dates, start)
    first_date = np.full(len(ids), np.datetime64("2262-01-01"), dtype="datetime64[D]")
    np.minimum.at(first_date, codes, dates)
    keep = np.ones(len(ids), dtype=bool)
    if cohort_start is not None:
        keep &= first_date >= np.datetime64(cohort_start, "D")
    if cohort_end is not None:
        keep &= first_date <= np.datetime64(cohort_end, "D")
    if not keep.any():
        raise ValueError(f"no customer made a first purchase between {cohort_start} and {cohort_end}")
    acquired = _week_of(first_date, start)
    last = int(_week_of(np.array([until]), start)[0])
    rows = keep[codes]
    # One entry per (customer, week) with a purchase, as weeks since the customer's first.
    pairs = np.unique(np.stack([codes[rows], week[rows]]), axis=1)
    customer, since = pairs[0], pairs[1] - acquired[pairs[0]]
    cohort = np.flatnonzero(keep)
    repeat, retention, n_repeat, n_retention = {}, {}, {}, {}
    for k in weeks_since:
        k = int(k)
        eligible = np.zeros(len(ids), dtype=bool)
        eligible[cohort] = acquired[cohort] + k <= last
        n_repeat[k] = int(eligible.sum())
        counted = eligible[customer] & (since > 0) & (since <= k)
        repeat[k] = float(counted.sum() / n_repeat[k]) if n_repeat[k] else None
        eligible[cohort] = acquired[cohort] + k + window - 1 <= last
        n_retention[k] = int(eligible.sum())
        active = eligible[customer] & (since >= k) & (since <= k + window - 1)
        retention[k] = float(np.unique(customer[active]).size / n_retention[k]) if n_retention[k] else None
    return CohortCurves(
        repeat_purchases=repeat,
        retention=retention,
        repeat_customers=n_repeat,
        retention_customers=n_retention,
        cohort=int(cohort.size),
        transactions=int(rows.sum()),
        first_week=int(acquired[cohort].min()),
        cohort_last_week=int(acquired[cohort].max()),
        last_week=last,
        window=int(window),
        origin=pd.Timestamp(start).date(),
    )


# --------------------------------------------------------------------------- targets


DEFAULT_WEEKS_SINCE = (4, 13, 26, 52)


def targets_from_log(
    log: pd.DataFrame,
    weeks_since: Sequence[int] = DEFAULT_WEEKS_SINCE,
    window: int = 13,
    cohort_start: datetime.date | str | None = None,
    cohort_end: datetime.date | str | None = None,
    observed_until: datetime.date | str | None = None,
    firm: str | None = None,
    parameters: dict[str, tuple[float, float]] | None = None,
    settings: dict[str, Any] | None = None,
) -> tuple[dict[str, Any], CohortCurves]:
    """Calibration targets (the targets-file format of docs/research.md) from a transaction log:
    the cohort's repeat-purchase curve and activity-retention curve at ``weeks_since``.

    Points that no customer was observed long enough for are left out (with a warning in the
    returned curves' counts). ``firm`` selects a firm's rows of a multi-firm log and becomes the
    firm the targets are compared with.

    Example:
        >>> targets, curves = targets_from_log(load_cdnow(), weeks_since=[13, 26])
        >>> [t["kind"] for t in targets["targets"]], curves.cohort
        (['repeat_purchases', 'retention'], 2357)
    """
    curves = cohort_curves(
        log,
        weeks_since,
        window=window,
        cohort_start=cohort_start,
        cohort_end=cohort_end,
        observed_until=observed_until,
        firm=firm,
    )
    data: dict[str, Any] = {}
    if parameters:  # the one range syntax of the design vocabulary: {low, high}
        data["uncertainties"] = {
            key: {"low": float(low), "high": float(high)} for key, (low, high) in parameters.items()
        }
    if settings:
        data["settings"] = dict(settings)
    targets = []
    # A cohort chosen by dates is matched in the simulation by the weeks of its first purchases:
    # the log's week w (counted from its first date) is the simulation's week w + 1 (week 0 is the
    # starting state), which is the ``cohort_weeks`` of a simulation started on that date.
    matched = {}
    if cohort_start is not None or cohort_end is not None:
        matched["cohort_weeks"] = [curves.first_week + 1, curves.cohort_last_week + 1]
    repeat = [k for k in weeks_since if curves.repeat_purchases[int(k)] is not None]
    if repeat:
        target: dict[str, Any] = {"kind": "repeat_purchases", **matched}
        if firm is not None:
            target["firm"] = firm
        target.update(
            weeks_since=[int(k) for k in repeat],
            values=[round(curves.repeat_purchases[int(k)], 6) for k in repeat],
        )
        targets.append(target)
    kept = [k for k in weeks_since if curves.retention[int(k)] is not None]
    if kept:
        target = {"kind": "retention", "definition": "activity", "window": int(window), **matched}
        if firm is not None:
            target["firm"] = firm
        target.update(
            weeks_since=[int(k) for k in kept], values=[round(curves.retention[int(k)], 6) for k in kept]
        )
        targets.append(target)
    if not targets:
        raise ValueError(
            f"no curve point could be measured: the log covers weeks {curves.first_week}-{curves.last_week} "
            f"after {curves.origin}; choose smaller --weeks-since or --window"
        )
    data["targets"] = targets
    return data, curves


def _toml(value: Any) -> str:
    """A TOML literal for the simple values of a targets file (numbers, text, lists, tables)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | np.integer | np.floating):
        return repr(float(value)) if isinstance(value, float | np.floating) else str(int(value))
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_toml_key(k)} = {_toml(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"cannot write {value!r} to a targets file")


def _toml_key(key: str) -> str:
    return key if key.replace("_", "").replace("-", "").isalnum() else json.dumps(key)


def write_targets(data: dict[str, Any], path: str | os.PathLike[str], header: str = "") -> Path:
    """Write a targets dict (``uncertainties``, ``settings``, ``targets``) as TOML with ``header``
    as comment lines, one line per key, atomically; :func:`sim.calibration.load_targets` reads it.

    Example:
        >>> import tempfile, tomllib
        >>> data = {"uncertainties": {"firms.us.budget": {"low": 100.0, "high": 900.0}}, "targets": [{"kind": "scalar",
        ...     "metric": "ltv", "value": 250.0}]}
        >>> path = write_targets(data, Path(tempfile.mkdtemp()) / "t.toml", "an example")
        >>> tomllib.loads(path.read_text()) == data
        True
    """
    from sim.files import atomic_write

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [f"# {line}".rstrip() for line in header.splitlines()]
    for table in ("uncertainties", "parameters", "settings"):
        if data.get(table):
            lines += ["", f"[{table}]", *(f"{_toml_key(k)} = {_toml(v)}" for k, v in data[table].items())]
    for target in data.get("targets", []):
        lines += ["", "[[targets]]", *(f"{_toml_key(k)} = {_toml(v)}" for k, v in target.items())]
    text = "\n".join(lines).lstrip("\n") + "\n"
    atomic_write(path, lambda p: p.write_text(text))
    return path


def describe_curves(curves: CohortCurves, source: str) -> str:
    """The header of a derived targets file: where the curves came from and what they rest on.

    Example:
        >>> print(describe_curves(cohort_curves(load_cdnow(), [4]), "cdnow").splitlines()[1])
        Cohort: 2357 customers, 6919 transactions; weeks counted from 1997-01-01, observed through week 77; first purchases in weeks 0-11.
    """
    lines = [
        f"Calibration targets derived from {source} by `sim targets-from-log`.",
        f"Cohort: {curves.cohort} customers, {curves.transactions} transactions; weeks counted from "
        f"{curves.origin}, observed through week {curves.last_week}; first purchases in weeks "
        f"{curves.first_week}-{curves.cohort_last_week}.",
        "repeat_purchases: mean number of later weeks with a purchase, k weeks after the first purchase.",
        f"retention (activity): share who bought in weeks k..k+{curves.window - 1} after the first purchase.",
        "Customers behind each point (after censoring):",
    ]
    for k in curves.repeat_customers:
        lines.append(
            f"  k = {k}: repeat purchases {curves.repeat_customers[k]}, retention {curves.retention_customers[k]}"
        )
    return "\n".join(lines)
