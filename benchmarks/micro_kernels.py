"""One-expression kernels against the NumPy expression they stand for, at a given size.

    python benchmarks/micro_kernels.py --customers 1000000

Issue 17 asked whether the small compiled loops that each stand for one NumPy expression (a
``np.flatnonzero`` of a condition, a fancy-index write, a count) pay for themselves. This script
builds the default scenario's market at ``--customers`` people, steps it ``--weeks`` weeks so the
arrays hold a realistic state (customers, prospects, dormant, reached), then times each loop and
its NumPy expression on those arrays, alternating, ``--repeats`` times each (medians), checks they
give the same result, and counts how often the weekly step calls each one (a 10,000-person run of
26 weeks of the same scenario). It prints one JSON line: per candidate the two medians in
microseconds, the ratio, the calls a week and the time the loop saves a week (ms).

The loops are compiled here (copies of the engine's, so that the comparison survives removing one
from the engine); the engine keeps a loop only where this shows it pays at a million people
(benchmarks/README.md, "One-expression kernels").
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from numba import njit

from sim import CustomerMarket, load_scenario
from sim.agents.customers import Status

ROOT = Path(__file__).resolve().parent.parent
_ACTIVE, _DORMANT, _PROSPECT = np.int8(Status.ACTIVE), np.int8(Status.DORMANT), np.int8(Status.PROSPECT)


# --------------------------------------------------------------------------- the loops


@njit(cache=True)
def slots_with(codes, value):
    out = np.empty(codes.size, dtype=np.int64)
    count = 0
    for slot in range(codes.size):
        out[count] = slot
        count += codes[slot] == value
    return out[:count].copy()


@njit(cache=True)
def active_customers_of(firm_of, status, firm, active):
    out = np.empty(firm_of.size, dtype=np.int64)
    count = 0
    for slot in range(firm_of.size):
        out[count] = slot
        count += (firm_of[slot] == firm) & (status[slot] == active)
    return out[:count].copy()


@njit(cache=True)
def keep_where(slots, codes, wanted):
    out = np.empty(slots.size, dtype=np.int64)
    count = 0
    for i in range(slots.size):
        out[count] = slots[i]
        count += wanted[codes[slots[i]]]
    return out[:count].copy()


@njit(cache=True)
def contactable(slots, contact_block, firm, week):
    out = np.empty(slots.size, dtype=np.int64)
    count = 0
    for i in range(slots.size):
        out[count] = slots[i]
        count += contact_block[slots[i], firm] <= week
    return out[:count].copy()


@njit(cache=True)
def customers_before(firm_of, acquired_week, week):
    out = np.empty(firm_of.size, dtype=np.int64)
    count = 0
    for slot in range(firm_of.size):
        out[count] = slot
        count += (firm_of[slot] >= 0) & (acquired_week[slot] < week)
    return out[:count].copy()


@njit(cache=True)
def customers_per_firm(firm_of, firms):
    out = np.zeros(firms, dtype=np.int64)
    for firm in range(firms):
        count = 0
        for slot in range(firm_of.size):
            count += firm_of[slot] == firm
        out[firm] = count
    return out


@njit(cache=True)
def count_of(codes, value):
    count = 0
    for slot in range(codes.size):
        count += codes[slot] == value
    return count


@njit(cache=True)
def set_at(slots, values, value):
    for i in range(slots.size):
        values[slots[i]] = value


@njit(cache=True)
def add_in_column(slots, values, column, amount):
    for i in range(slots.size):
        values[slots[i], column] += amount


@njit(cache=True)
def decay_customers(firm_of, values, factor):
    for slot in range(firm_of.size):
        if firm_of[slot] >= 0:
            values[slot] *= factor


@njit(cache=True)
def count_dormant_week(status, dormant_weeks, dormant):
    for slot in range(status.size):
        dormant_weeks[slot] += status[slot] == dormant


@njit(cache=True)
def rivals_customers_aware_of(firm_of, aware, firm):
    out = np.empty(firm_of.size, dtype=np.int64)
    count = 0
    for slot in range(firm_of.size):
        out[count] = slot
        count += (firm_of[slot] >= 0) & (firm_of[slot] != firm) & aware[slot, firm]
    return out[:count].copy()


@njit(cache=True)
def buyers(slots, count):
    keep = 0
    out_slots = np.empty(slots.size, dtype=np.int64)
    out_count = np.empty(slots.size, dtype=np.int32)
    for i in range(slots.size):
        out_slots[keep] = slots[i]
        out_count[keep] = count[i]
        keep += count[i] > 0
    return out_slots[:keep].copy(), out_count[:keep].copy()


@njit(cache=True)
def dormant_contactable(firm_of, status, do_not_contact, recontact_week, firm, week, dormant):
    # The engine's form: a test of every slot that vectorises, then the wanted collected, eight
    # slots at a time passed over when none of them is wanted.
    wanted = np.empty(firm_of.size, dtype=np.uint8)
    for slot in range(firm_of.size):
        wanted[slot] = (
            (firm_of[slot] == firm)
            & (status[slot] == dormant)
            & (not do_not_contact[slot])
            & (recontact_week[slot] <= week)
        )
    size = wanted.size
    whole = size - size % 8
    words = wanted[:whole].view(np.uint64)
    out = np.empty(size, dtype=np.int64)
    count = 0
    for word in range(words.size):
        if words[word] != 0:
            for slot in range(8 * word, 8 * word + 8):
                out[count] = slot
                count += wanted[slot]
    for slot in range(whole, size):
        out[count] = slot
        count += wanted[slot]
    return out[:count].copy()


@njit(cache=True)
def lift_satisfaction(lift, satisfaction):
    one = np.float32(1.0)
    for slot in range(lift.size):
        if lift[slot] > 0:
            now = satisfaction[slot]
            satisfaction[slot] = now + lift[slot] * (one - now)


@njit(cache=True)
def recent_leavers(told_friends, churn_week, left_firm, week, window):
    code = np.full(told_friends.size, -1, dtype=np.int8)
    for slot in range(told_friends.size):
        if told_friends[slot] and churn_week[slot] >= 0 and week - churn_week[slot] <= window:
            code[slot] = left_firm[slot]
    return code


# --------------------------------------------------------------------------- the candidates


def candidates(market: CustomerMarket) -> dict[str, tuple[Callable, Callable, Callable]]:
    """Per name: (make fresh arguments, the loop, the NumPy expression). Writers get fresh copies
    of their buffers for each call (the copy is made outside the timing); what they wrote is
    compared (:data:`WRITES`)."""
    c = market.customers
    rng = np.random.default_rng(1)
    week = market.week
    active = np.flatnonzero(c.status == Status.ACTIVE)
    prospects = np.flatnonzero(c.status == Status.PROSPECT)
    reached = np.sort(rng.choice(active, max(1, active.size // 5), replace=False)).astype(np.int64)
    counts = rng.poisson(0.3, active.size).astype(np.int32)
    wanted = np.zeros(4, dtype=bool)
    wanted[3] = True  # gold tier
    lift = np.zeros(c.size, dtype=np.float32)
    lift[reached] = 0.1
    window = market.scenario.behaviours.churn.follow_window_weeks
    return {
        "slots_with": (
            lambda: (c.status, _PROSPECT),
            slots_with,
            lambda status, value: np.flatnonzero(status == value),
        ),
        "active_customers_of": (
            lambda: (c.firm, c.status, 0, _ACTIVE),
            active_customers_of,
            lambda firm, status, f, code: np.flatnonzero((firm == f) & (status == code)),
        ),
        "keep_where": (
            lambda: (active, c.tier, wanted),
            keep_where,
            lambda slots, codes, table: slots[table[codes[slots]]],
        ),
        "contactable": (
            lambda: (prospects, c.contact_block, 0, week),
            contactable,
            lambda slots, block, f, w: slots[block[slots, f] <= w],
        ),
        "customers_before": (
            lambda: (c.firm, c.acquired_week, week),
            customers_before,
            lambda firm, acquired, w: np.flatnonzero((firm >= 0) & (acquired < w)),
        ),
        "customers_per_firm": (
            lambda: (c.firm, c.n_firms),
            customers_per_firm,
            lambda firm, n: np.array([np.count_nonzero(firm == f) for f in range(n)], dtype=np.int64),
        ),
        "count_of": (
            lambda: (c.firm, 0),
            count_of,
            lambda codes, value: np.count_nonzero(codes == value),
        ),
        "set_at": (
            lambda: (reached, np.zeros(c.size, dtype=np.float32), np.float32(0.3)),
            set_at,
            lambda slots, values, value: values.__setitem__(slots, value),
        ),
        "add_in_column": (
            lambda: (reached, np.zeros((c.size, c.n_firms), dtype=np.float32), 1, np.float32(0.3)),
            add_in_column,
            lambda slots, values, column, amount: values.__setitem__(
                (slots, column), values[slots, column] + amount
            ),
        ),
        "decay_customers": (
            lambda: (c.firm, c.trailing_spend.copy(), np.float32(1 - 1 / 52)),
            decay_customers,
            lambda firm, values, factor: np.multiply(values, factor, out=values, where=firm >= 0),
        ),
        "count_dormant_week": (
            lambda: (c.status, c.dormant_weeks.copy(), _DORMANT),
            count_dormant_week,
            lambda status, weeks, code: np.add(weeks, status == code, out=weeks),
        ),
        "rivals_customers_aware_of": (
            lambda: (c.firm, c.aware, 0),
            rivals_customers_aware_of,
            lambda firm, aware, f: np.flatnonzero((firm >= 0) & (firm != f) & aware[:, f]),
        ),
        "buyers": (
            lambda: (active, counts),
            buyers,
            lambda slots, count: (slots[count > 0], count[count > 0]),
        ),
        "dormant_contactable": (
            lambda: (c.firm, c.status, c.do_not_contact, c.recontact_week, 0, week, _DORMANT),
            dormant_contactable,
            lambda firm, status, dnc, recontact, f, w, code: np.flatnonzero(
                (firm == f) & (status == code) & ~dnc & (recontact <= w)
            ),
        ),
        "lift_satisfaction": (
            lambda: (lift, c.satisfaction.copy()),
            lift_satisfaction,
            _lift_by_arrays,
        ),
        "recent_leavers": (
            lambda: (c.told_friends, c.churn_week, c.left_firm, week, window),
            recent_leavers,
            lambda told, churned, left, w, span: np.where(
                told & (churned >= 0) & (w - churned <= span), left, np.int8(-1)
            ).astype(np.int8),
        ),
    }


def _lift_by_arrays(lift: np.ndarray, satisfaction: np.ndarray) -> None:
    lifted = np.flatnonzero(lift > 0)
    satisfaction[lifted] += lift[lifted] * (1 - satisfaction[lifted])


# The argument each writer writes (the others return their result).
WRITES = {
    "set_at": 1,
    "add_in_column": 1,
    "decay_customers": 1,
    "count_dormant_week": 1,
    "lift_satisfaction": 1,
}


def _result(name: str, value, arguments: tuple):
    """What a call gave: its return value, or the buffer it wrote."""
    return arguments[WRITES[name]] if name in WRITES else value


def _same(a, b) -> bool:
    if isinstance(a, tuple):
        return all(_same(x, y) for x, y in zip(a, b, strict=True))
    return bool(np.array_equal(np.asarray(a), np.asarray(b)))


def calls_a_week(scenario_path: str) -> dict[str, float]:
    """How often a week of the scenario (10,000 people, 26 weeks) calls each candidate, counted
    by wrapping the engine's functions (:data:`REMOVED_CALLS` for those it no longer has)."""
    from sim import model
    from sim.agents import firm
    from sim.agents.behaviours import churn, dormancy, experience, purchase
    from sim.strategies import targeting

    names = {
        "slots_with": [(model, "slots_with")],
        "customers_per_firm": [(model, "customers_per_firm")],
        "count_of": [(firm, "count_of")],
        "active_customers_of": [(firm, "active_customers_of")],
        "buyers": [(purchase, "_buyers")],
        "decay_customers": [(purchase, "_decay_customers")],
        "count_dormant_week": [(dormancy, "_count_dormant_week")],
        "lift_satisfaction": [(experience, "lift_satisfaction")],
        "recent_leavers": [(churn, "_recent_leavers")],
        **{
            name: [(targeting, name)]
            for name in (
                "keep_where",
                "contactable",
                "set_at",
                "add_in_column",
                "rivals_customers_aware_of",
                "dormant_contactable",
            )
        },
    }
    counted: dict[str, int] = dict.fromkeys(names, 0)
    saved = []
    for name, places in names.items():
        for module, attribute in places:
            if not hasattr(module, attribute):
                continue  # the engine no longer calls it by this name
            original = getattr(module, attribute)
            saved.append((module, attribute, original))

            def counting(*args, _name=name, _original=original):
                counted[_name] += 1
                return _original(*args)

            setattr(module, attribute, counting)
    try:
        weeks = 26
        CustomerMarket(
            load_scenario(scenario_path, {"market.size": 10_000, "run.weeks": weeks}), seed=1
        ).run_model()
    finally:
        for module, attribute, original in saved:
            setattr(module, attribute, original)
    calls = {name: count / weeks for name, count in counted.items()}
    # The loops the engine no longer has (their NumPy expression runs inline): their calls a week
    # as counted in the same way before they were removed (commit 960e00c).
    for name, count in REMOVED_CALLS.items():
        calls[name] = count if not calls.get(name) else calls[name]
    return calls


# Calls a week of the default scenario of the loops the engine replaced by their NumPy expression.
REMOVED_CALLS = {
    "slots_with": 2.0,  # the prospects (the weekly step), the active customers (purchases)
    "active_customers_of": 1.0,
    "customers_before": 1.0,
    "customers_per_firm": 1.0,
    "count_of": 1.0,
    "set_at": 3.96,
    "count_dormant_week": 1.0,
    "dormant_contactable": 1.0,
}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--weeks", type=int, default=10, help="weeks stepped before timing")
    parser.add_argument("--repeats", type=int, default=21)
    parser.add_argument("--scenario", default=str(ROOT / "scenarios" / "baseline.toml"))
    args = parser.parse_args()
    per_week = calls_a_week(args.scenario)
    market = CustomerMarket(
        load_scenario(args.scenario, {"market.size": args.customers, "run.weeks": 1000}), seed=1
    )
    for _ in range(args.weeks):
        market.step()
    figures: dict = {"customers": args.customers, "weeks_stepped": args.weeks}
    for name, (arguments, loop, expression) in candidates(market).items():
        times: dict[str, list[float]] = {"loop": [], "numpy": []}
        results = {}
        for repeat in range(args.repeats + 1):
            for form, function in (("loop", loop), ("numpy", expression)):
                given = arguments()
                started = time.perf_counter()
                value = function(*given)
                elapsed = time.perf_counter() - started
                if repeat:  # the first call of each loads or compiles: not timed
                    times[form].append(elapsed)
                results[form] = _result(name, value, given)
        if not _same(results["loop"], results["numpy"]):
            raise SystemExit(f"{name}: the loop and the NumPy expression disagree")
        loop_us = statistics.median(times["loop"]) * 1e6
        numpy_us = statistics.median(times["numpy"]) * 1e6
        calls = per_week.get(name, 0.0)
        figures[name] = {
            "loop_us": round(loop_us, 1),
            "numpy_us": round(numpy_us, 1),
            "numpy_over_loop": round(numpy_us / loop_us, 2),
            "calls_a_week": round(calls, 2),
            "saved_ms_a_week": round((numpy_us - loop_us) * calls / 1000, 3),
        }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
