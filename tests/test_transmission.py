"""Transmission per tie (word of mouth, step 3; referral, step 4): the hazard of ``n`` transmitting
friends is ``n x -log(1 - beta)``, a friend transmits only within ``active_weeks`` of joining, the
share form stays the default, and bad values are refused.

The engine draws each person's uniforms from named streams, so the tests predict exactly who
adopts: a prospect with ``n`` transmitting friends adopts this week iff their uniform is below
``1 - (1 - beta) ** n`` (persons whose uniform is within 1e-6 of it, where float32 rounding could
decide, are left out). Markets are disjoint stars (a prospect at the centre, customers on the
leaves) of at most 1,800 people.
"""

from __future__ import annotations

import contextlib
import io
import tempfile
from pathlib import Path

import numpy as np
import pytest

from sim import load_scenario, simulate
from sim.agents.behaviours.transmission import TieCounts
from sim.agents.customers import Channel, Status
from sim.cli import main
from sim.model import CustomerMarket
from sim.scenario import Scenario
from sim.streams import Streams
from sim.validation.common import only_adoption
from sim.validation.independent_cascade import TRAITS

BETA = 0.3
SEED = 5
MARGIN = 1e-6  # uniforms this close to the chance are left out (float32 hazard vs float64 formula)


def star_market(
    leaves: int, copies: int, adoption: dict, referral: dict | None = None, complete: bool = False
) -> CustomerMarket:
    """A market of ``copies`` disjoint stars, centre ``c * (leaves + 1)`` and its ``leaves``
    leaves after it (or the complete network on as many people); only the given adoption reasons
    act (and referrals, if ``referral``)."""
    size = copies * (leaves + 1)
    centres = np.arange(copies) * (leaves + 1)
    ties = [(c, c + j) for c in centres.tolist() for j in range(1, leaves + 1)]
    behaviours = only_adoption()
    behaviours["adoption"] |= adoption
    if referral is not None:
        behaviours["referral"] = {"enabled": True, **referral}
        behaviours["adoption"]["enabled"] = False
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "edges.txt"
        path.write_text("".join(f"{a} {b}\n" for a, b in ties))
        scenario = Scenario.model_validate(
            {
                "run": {"name": "stars", "weeks": 20},
                "market": {"size": size, "initial_awareness": 0.0},
                "network": {"type": "complete"} if complete else {"type": "edge_list", "path": str(path)},
                "personas": {"everyone": dict(TRAITS)},
                "firms": {"solo": {"initial_share": 0.0, "budget": 0.0, "strategy": "neglect"}},
                "behaviours": behaviours,
            }
        )
        return CustomerMarket(scenario, seed=SEED)


def join(market: CustomerMarket, slots: np.ndarray, week: int) -> None:
    """``slots`` become the firm's customers, joined in ``week``, fully satisfied."""
    market.customers.join(
        np.asarray(slots, dtype=np.int64),
        np.zeros(len(slots), dtype=np.int8),
        week=week,
        channel=Channel.INITIAL,
        satisfaction=1.0,
        appreciation=1.0,
        in_run=False,
    )


def chance(n: np.ndarray, beta: float = BETA) -> np.ndarray:
    return 1.0 - (1.0 - beta) ** n


def clear(u: np.ndarray, p: np.ndarray) -> np.ndarray:
    return np.abs(u - p) > MARGIN


# --------------------------------------------------------------------------- word of mouth


@pytest.fixture(scope="module")
def word_of_mouth():
    """Stars of 5 leaves, 50 for each number n = 0..5 of customer leaves; one week per tie."""
    leaves, per_n = 5, 50
    copies = 6 * per_n
    market = star_market(leaves, copies, {"transmission": "per_tie", "tie_probability": BETA})
    centres = np.arange(copies) * (leaves + 1)
    n = np.repeat(np.arange(6), per_n)
    seeded = np.concatenate([c + 1 + np.arange(k) for c, k in zip(centres, n, strict=True)])
    join(market, seeded, week=0)
    market.step()
    return market, centres, n


def test_per_tie_word_of_mouth_adopts_with_one_minus_one_minus_beta_to_the_n(word_of_mouth):
    market, centres, n = word_of_mouth
    c = market.customers
    u = Streams(SEED).uniform("adopt", 1, centres)
    p = chance(n)
    expected = u < p
    adopted = c.firm[centres] >= 0
    keep = clear(u, p)
    wrong = np.flatnonzero(keep & (adopted != expected))
    assert wrong.size == 0, (
        f"expected a centre with n customer friends to adopt iff its uniform < 1 - (1 - {BETA})^n; "
        f"{wrong.size} differ, e.g. centre {centres[wrong[:3]].tolist()} with n = {n[wrong[:3]].tolist()}"
    )
    # The test can fail: the share form (q x n / 5) would decide differently for some centres.
    assert expected.sum() > 100 and not (expected[n == 0]).any(), (
        f"expected many adopters and none without customer friends, got {expected.sum()}"
    )
    channels = set(c.channel[centres[adopted]].tolist())
    assert channels == {int(Channel.WORD_OF_MOUTH)}, f"expected channel word of mouth only, got {channels}"
    others = np.setdiff1d(np.flatnonzero(c.firm >= 0), centres)
    assert np.all(c.acquired_week[others] == 0), "expected no leaf to adopt (its only friend is a prospect)"


@pytest.mark.parametrize("active_weeks", [2, 0])
def test_a_friend_transmits_only_within_active_weeks_of_joining(active_weeks):
    # Each centre has 2 leaves that joined in week 0 and 2 that joined in week 1; the step is
    # week 3. With active_weeks = 2 only the week-1 joiners (2 weeks ago) transmit, not those of
    # week 0 (3 = k + 1 weeks ago): n = 2. With active_weeks = 0 all four do: n = 4.
    leaves, copies = 4, 300
    adoption = {"transmission": "per_tie", "tie_probability": BETA, "active_weeks": active_weeks}
    market = star_market(leaves, copies, adoption)
    centres = np.arange(copies) * (leaves + 1)
    join(market, np.concatenate([centres + 1, centres + 2]), week=0)
    join(market, np.concatenate([centres + 3, centres + 4]), week=1)
    market.week = 2
    market.step()
    u = Streams(SEED).uniform("adopt", 3, centres)
    n = 2 if active_weeks == 2 else 4
    keep = clear(u, chance(2)) & clear(u, chance(4))
    expected = u < chance(n)
    adopted = market.customers.firm[centres] >= 0
    wrong = int(np.count_nonzero(keep & (adopted != expected)))
    assert wrong == 0, (
        f"active_weeks {active_weeks}: expected {n} friends transmitting; {wrong} centres differ"
    )
    between = int(np.count_nonzero(keep & (u >= chance(2)) & (u < chance(4))))
    assert between > 20, f"expected centres whose adoption tells n = 2 from n = 4, got {between}"


# --------------------------------------------------------------------------- referral


def test_per_tie_referral_refers_with_one_minus_one_minus_beta_to_the_n_and_converts():
    leaves, per_n = 3, 100
    copies = 4 * per_n
    referral = {"transmission": "per_tie", "tie_probability": BETA, "active_weeks": 1, "conversion": 0.5}
    market = star_market(leaves, copies, {}, referral)
    centres = np.arange(copies) * (leaves + 1)
    n = np.repeat(np.arange(4), per_n)
    seeded = np.concatenate([c + 1 + np.arange(k) for c, k in zip(centres, n, strict=True)])
    join(market, seeded, week=0)
    market.step()
    c = market.customers
    u = Streams(SEED).uniform("refer_tie", 1, centres)
    convert = Streams(SEED).uniform("referral_convert", 1, centres) < 0.5
    keep = clear(u, chance(n))
    referred = u < chance(n)
    expected = referred & convert
    joined = c.firm[centres] >= 0
    wrong = int(np.count_nonzero(keep & (joined != expected)))
    assert wrong == 0, (
        f"expected referred iff uniform < 1 - (1 - {BETA})^n and converting at 0.5; {wrong} differ"
    )
    made = int(market.recorder.flows.referrals_made[0])
    assert made == int(referred.sum()), f"expected {int(referred.sum())} referrals counted, got {made}"
    assert c.aware[centres[referred], 0].all(), "expected every referred prospect aware of the firm"
    winners = centres[joined]
    assert set(c.channel[winners].tolist()) == {int(Channel.REFERRAL)}, "expected channel referral"
    referrers = c.referrer_slot[winners]
    assert np.all((referrers > winners) & (referrers <= winners + n[joined])), (
        "expected each referrer to be one of the centre's customer leaves"
    )
    # Next week (active_weeks = 1) the leaves, who joined 2 weeks ago, refer no more: a centre
    # they did not refer in week 1 stays unaware and a prospect (its only friends are those leaves).
    market.step()
    missed = centres[~referred & (n > 0)]
    assert missed.size > 0 and not c.aware[missed, 0].any(), "expected no referral after active_weeks"
    assert np.all(c.status[missed] == Status.PROSPECT), "expected the centres not referred still prospects"


@pytest.mark.parametrize("step", ["adoption", "referral"])
def test_on_the_complete_network_every_other_customer_transmits(step):
    # Mean field: everybody else is a friend, so each prospect has m = 5 transmitting friends
    # (the 5 customers), and a customer counts the 4 others, not themselves.
    per_tie = {"transmission": "per_tie", "tie_probability": 0.05}
    if step == "adoption":
        market = star_market(0, 300, per_tie, complete=True)
    else:
        market = star_market(0, 300, {}, {**per_tie, "conversion": 1.0}, complete=True)
    customers = np.arange(5) * 60
    join(market, customers, week=0)
    code = np.where(market.customers.firm >= 0, 0, -1).astype(np.int8)
    counts = TieCounts(market.network, 1).counts(code)[:, 0]
    assert set(counts[customers].tolist()) == {4} and np.all(np.delete(counts, customers) == 5), (
        f"expected 4 other customers for a customer and 5 for a prospect, got {np.unique(counts)}"
    )
    market.step()
    c = market.customers
    prospects = np.setdiff1d(np.arange(300), customers)
    u = Streams(SEED).uniform("adopt" if step == "adoption" else "refer_tie", 1, prospects)
    p = chance(np.full(prospects.size, 5), 0.05)
    keep = clear(u, p)
    joined = c.firm[prospects] >= 0
    wrong = int(np.count_nonzero(keep & (joined != (u < p))))
    assert wrong == 0 and joined.sum() > 10, (
        f"{step}: expected a prospect to join iff its uniform < 1 - 0.95^5; {wrong} differ of {joined.sum()}"
    )
    if step == "referral":
        referrers = c.referrer_slot[prospects[joined]]
        assert np.isin(referrers, customers).all(), f"expected referrers among the customers, got {referrers}"


# --------------------------------------------------------------------------- the default


def test_share_form_is_the_default_and_ignores_the_per_tie_parameters():
    small = {"market.size": 400, "run.weeks": 16}
    per_tie_values = {
        f"behaviours.{step}.{key}": value
        for step in ("adoption", "referral")
        for key, value in (("transmission", "share"), ("tie_probability", 0.5), ("active_weeks", 3))
    }
    default = simulate(load_scenario("scenarios/baseline.toml", small))
    explicit = simulate(load_scenario("scenarios/baseline.toml", {**small, **per_tie_values}))
    assert default.timeseries.equals(explicit.timeseries), (
        "expected the share form with per-tie parameters set to give the default's weekly numbers"
    )
    per_tie = simulate(
        load_scenario("scenarios/baseline.toml", {**small, "behaviours.adoption.transmission": "per_tie"})
    )
    assert not default.timeseries.equals(per_tie.timeseries), "expected the per-tie form to change the run"


@pytest.mark.parametrize(
    ("table", "key", "value", "allowed"),
    [
        ("adoption", "transmission", '"pertie"', "'share' or 'per_tie'"),
        ("adoption", "tie_probability", "1.0", "less than 1"),
        ("adoption", "active_weeks", "-1", "greater than or equal to 0"),
        ("referral", "tie_probability", "-0.1", "greater than or equal to 0"),
        ("referral", "transmission", "1", "'share' or 'per_tie'"),
    ],
)
def test_bad_transmission_values_are_refused_in_one_line(tmp_path, table, key, value, allowed):
    file = tmp_path / "bad.toml"
    file.write_text(f"[behaviours.{table}]\n{key} = {value}\n")
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main(["validate", str(file)])
    lines = err.getvalue().strip().splitlines()
    assert code == 2, f"expected exit status 2 for {table}.{key} = {value}, got {code}"
    assert len(lines) == 1 and "Traceback" not in err.getvalue(), f"expected one line, got {lines}"
    for part in (str(file), f"behaviours.{table}.{key}", allowed):
        assert part in lines[0], f"expected {part!r} in the message, got {lines[0]}"
