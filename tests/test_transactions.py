"""Transaction logs: recording is off by default and changes nothing, the exported log adds up to
the simulated revenue, cohort curves give hand-computed answers, and the CDNOW loader reads the
vendored sample."""

from __future__ import annotations

import datetime
import json
import math

import numpy as np
import pandas as pd
import pytest

from sim import CustomerMarket, load_scenario, simulate
from sim.calibration import load_targets
from sim.cli import main
from sim.transactions import (
    cohort_curves,
    load_cdnow,
    read_log,
    simulate_transactions,
    targets_from_log,
    write_log,
)

from .helpers import ROOT

RESEARCH = ROOT / "scenarios" / "research.toml"
TINY = {"market.size": 400, "run.weeks": 20}


@pytest.fixture(scope="module")
def tiny():
    return load_scenario(RESEARCH, TINY)


@pytest.fixture(scope="module")
def recorded(tiny):
    return simulate_transactions(tiny, seed=3)


def test_recording_is_off_by_default(tiny):
    assert tiny.run.record_transactions is False, "expected run.record_transactions to default to false"
    market = CustomerMarket(tiny, seed=3)
    market.run_model()
    assert "transaction_log" not in market.__dict__, "expected no transaction log unless recording is on"


def test_recording_does_not_change_the_results(tiny, recorded):
    plain = simulate(tiny, seed=3)
    assert json.dumps(plain.summary, sort_keys=True) == json.dumps(recorded.result.summary, sort_keys=True), (
        "expected the same summary with transaction recording on"
    )
    pd.testing.assert_frame_equal(plain.timeseries, recorded.result.timeseries, obj="weekly table")


def test_log_adds_up_to_the_simulated_revenue(recorded):
    log, summary = recorded.log, recorded.result.summary
    assert list(log.columns[:4]) == ["customer_id", "date", "amount", "firm"], (
        "expected the lifetimes column order customer_id, date, amount, firm"
    )
    for firm, values in summary["firms"].items():
        booked = float(log.loc[log["firm"] == firm, "amount"].sum())
        assert math.isclose(booked, values["revenue"], rel_tol=1e-9), (
            f"expected {firm}'s log to sum to its revenue {values['revenue']}, got {booked}"
        )


def test_log_ids_match_the_people_table(recorded):
    log, people = recorded.log, recorded.result.customers.set_index("id")
    assert set(log["customer_id"]) <= set(people.index), "expected every customer_id in customers.parquet"
    per_person = log.groupby("customer_id").agg(amount=("amount", "sum"), purchases=("purchases", "sum"))
    # customers.parquet keeps revenue in float32: agreement to float32 precision
    np.testing.assert_allclose(
        per_person["amount"], people.loc[per_person.index, "revenue"], rtol=1e-5,
        err_msg="expected each person's log amounts to sum to their revenue in the people table",
    )  # fmt: skip
    np.testing.assert_array_equal(
        per_person["purchases"], people.loc[per_person.index, "purchases"],
        err_msg="expected each person's purchases in the log to equal the people table's count",
    )  # fmt: skip
    assert not recorded.initial_ids.size or set(recorded.initial_ids) <= set(people.index), (
        "expected the initial customers' ids to be people of the run"
    )


def test_dates_follow_the_start_date(tiny):
    run = simulate_transactions(tiny, seed=3, start_date="2025-03-03")
    expected = pd.Timestamp("2025-03-03") + pd.to_timedelta(7 * run.log["week"], unit="D")
    assert (run.log["date"] == expected).all(), "expected date = start_date + 7 x week"
    assert run.log["week"].min() >= 1, "expected purchases from week 1 on (week 0 is the starting state)"


def test_write_and_read_round_trip(recorded, tmp_path):
    for name in ("log.csv", "log.parquet"):
        path = write_log(recorded.log, tmp_path / name)
        back = read_log(path)
        assert len(back) == len(recorded.log), f"expected {name} to keep every row"
        assert math.isclose(back["amount"].sum(), recorded.log["amount"].sum(), rel_tol=1e-12), (
            f"expected {name} to keep the amounts"
        )
        assert (back["date"].to_numpy() == recorded.log["date"].to_numpy()).all(), (
            f"expected {name} to keep dates"
        )
    with pytest.raises(ValueError, match=r"\.csv or \.parquet"):
        write_log(recorded.log, tmp_path / "log.xlsx")


# A hand-made log on a weekly clock from 2024-01-01 (a Monday). Customer 1 buys in weeks 0, 1, 1
# (twice in one week), 5 and 9; customer 2 in weeks 2 and 3; customer 3 in week 4 only; the log is
# observed through week 9 (2024-03-04 falls in week 9).
TINY_LOG = pd.DataFrame(
    {
        "customer_id": [1, 1, 1, 1, 1, 2, 2, 3],
        "date": pd.to_datetime(
            [
                "2024-01-01",
                "2024-01-08",
                "2024-01-10",
                "2024-02-05",
                "2024-03-04",
                "2024-01-15",
                "2024-01-22",
                "2024-01-29",
            ]
        ),
        "amount": [10.0, 5.0, 5.0, 8.0, 2.0, 7.0, 3.0, 4.0],
    }
)


def test_cohort_curves_on_a_hand_made_log():
    curves = cohort_curves(TINY_LOG, weeks_since=[1, 4, 6], window=2)
    # first purchases (a): 1 -> 0, 2 -> 2, 3 -> 4; last week E = 9
    # repeat k=1: all three (a + 1 <= 9): 1 has week 1 (1), 2 has week 3 (1), 3 none -> 2/3
    assert curves.repeat_purchases[1] == pytest.approx(2 / 3), (
        "expected 2 repeat weeks over 3 customers at k=1"
    )
    # k=4: all three eligible (a + 4 <= 9): 1 has weeks 1 (w<=4) -> 1; 2 has week 3 -> 1; 3 none -> 2/3
    assert curves.repeat_purchases[4] == pytest.approx(2 / 3), "expected 2/3 at k=4"
    # k=6: eligible a <= 3: customers 1 and 2; 1 has weeks 1 and 5 -> 2; 2 has week 3 -> 1 -> 1.5
    assert curves.repeat_purchases[6] == pytest.approx(1.5), "expected 1.5 at k=6"
    # retention k=1, W=2 (weeks a+1..a+2), eligible a + 2 <= 9: all; 1 buys week 1, 2 week 3, 3 none
    assert curves.retention[1] == pytest.approx(2 / 3), "expected 2 of 3 active in weeks 1-2 after the first"
    # k=4: weeks a+4..a+5, eligible a + 5 <= 9: 1 (week 5: yes), 2 (weeks 6-7: no), 3 (weeks 8-9: no)
    assert curves.retention[4] == pytest.approx(1 / 3), "expected 1 of 3 active in weeks 4-5"
    # k=6: weeks a+6..a+7, eligible a + 7 <= 9: 1 (weeks 6-7: no) and 2 (weeks 8-9: no)
    assert curves.retention[6] == 0.0, "expected nobody active in weeks 6-7"
    assert (curves.retention_customers[6], curves.cohort) == (2, 3), "expected 2 eligible of a cohort of 3"


def test_cohort_window_and_exclusions():
    curves = cohort_curves(
        TINY_LOG, weeks_since=[1], window=1, cohort_end="2024-01-15", exclude=np.array([1])
    )
    assert curves.cohort == 1, "expected only customer 2 (first bought by 2024-01-15; customer 1 excluded)"
    assert curves.repeat_purchases[1] == 1.0, "expected customer 2's week-3 purchase to count at k=1"
    with pytest.raises(ValueError, match="window"):
        cohort_curves(TINY_LOG, weeks_since=[1], window=0)


def test_targets_from_a_log_load_as_targets(tmp_path):
    data, _ = targets_from_log(TINY_LOG, weeks_since=[1, 4], window=2)
    kinds = [t["kind"] for t in data["targets"]]
    assert kinds == ["repeat_purchases", "retention"], f"expected both curves, got {kinds}"
    assert data["targets"][1]["values"] == [pytest.approx(2 / 3, abs=1e-6), pytest.approx(1 / 3, abs=1e-6)], (
        "expected the hand-computed retention values in the targets"
    )


def test_cdnow_sample_loader():
    log = load_cdnow()
    assert list(log.columns) == ["customer_id", "date", "amount", "cds"], "expected the loader's columns"
    assert (log["customer_id"].nunique(), len(log)) == (2357, 6919), (
        "expected the CDNOW 1/10 sample: 2,357 customers, 6,919 transactions"
    )
    assert log["date"].min() == pd.Timestamp("1997-01-01") and log["date"].max() == pd.Timestamp(
        "1998-06-30"
    ), "expected CDNOW's observation window January 1997 - June 1998"
    first = log.groupby("customer_id")["date"].min()
    assert first.max() <= pd.Timestamp("1997-03-31"), "expected every customer's first purchase in Q1 1997"
    assert (log["amount"] >= 0).all(), "expected non-negative dollar amounts"


def test_cdnow_targets_are_what_the_shipped_file_says():
    data, curves = targets_from_log(load_cdnow())
    shipped = load_targets(
        ROOT / "data" / "cdnow" / "targets.toml", load_scenario(ROOT / "scenarios" / "cdnow.toml")
    )
    for derived, target in zip(data["targets"], shipped.targets, strict=True):
        assert tuple(derived["values"]) == target.values, (
            f"expected data/cdnow/targets.toml to hold the derived {target.kind} curve"
        )
    assert curves.repeat_purchases[52] > curves.repeat_purchases[4], "expected repeat purchases to accumulate"


def test_cli_transactions_and_targets_from_log(tmp_path, capsys):
    out = tmp_path / "log.csv"
    args = ["transactions", str(RESEARCH), "--set", "market.size=400", "--set", "run.weeks=20"]
    assert main([*args, "--seed", "3", "--start-date", "2026-02-02", "--out", str(out), "--quiet"]) == 0, (
        "expected sim transactions to succeed"
    )
    log = pd.read_csv(out, parse_dates=["date"])
    revenue = sum(
        f["revenue"] for f in simulate(load_scenario(RESEARCH, TINY), seed=3).summary["firms"].values()
    )
    assert math.isclose(log["amount"].sum(), revenue, rel_tol=1e-9), "expected the CSV to sum to the revenue"
    assert log["date"].min().date() >= datetime.date(2026, 2, 9), "expected dates from the given start date"

    targets = tmp_path / "targets.toml"
    code = main(["targets-from-log", str(out), "--out", str(targets), "--weeks-since", "2,4", "--window", "2",
                 "--param", "personas.shopper.purchase_rate.mean=0.05:0.5", "--runs", "2"])  # fmt: skip
    assert code == 0, "expected sim targets-from-log to succeed"
    loaded = load_targets(targets, load_scenario(RESEARCH, TINY))
    assert [t.kind for t in loaded.targets] == ["repeat_purchases", "retention"], "expected both curves"
    assert loaded.runs == 2 and "personas.shopper.purchase_rate.mean" in loaded.uncertainties, (
        "expected --param and --runs written to the targets file"
    )
    assert "targets written" in capsys.readouterr().out, "expected the command to say where it wrote"

    assert main(["transactions", str(RESEARCH), "--out", str(tmp_path / "log.txt"), "--quiet"]) == 2, (
        "expected exit status 2 for an unsupported output format"
    )
    assert main(["targets-from-log", str(tmp_path / "missing.csv"), "--out", str(targets)]) == 2, (
        "expected exit status 2 for a missing log"
    )


def test_the_old_name_of_the_result_still_reads_with_a_warning(recorded):
    import sim.transactions

    with pytest.warns(DeprecationWarning, match="TransactionsResult"):
        old = sim.transactions.SimulatedLog
    assert old is sim.transactions.TransactionsResult and isinstance(recorded, old), (
        f"expected SimulatedLog to name TransactionsResult, got {old!r}"
    )
