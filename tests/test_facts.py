"""`sim facts` on the default market: the calibrated stylised facts are within their ranges."""

import json

import pytest

from sim import Scenario
from sim.cli import main
from sim.facts import FACTS, measure

REFERRAL_FACTS = {
    "churn hazard of referred / other customers",
    "lifetime value of referred / other customers",
}


@pytest.fixture(scope="module")
def facts():
    return {r.name: r for r in measure(Scenario(run={"name": "defaults"}), seed=1)}


@pytest.mark.parametrize("name", [f.name for f in FACTS if f.name not in REFERRAL_FACTS])
def test_default_calibration_reproduces_the_fact(facts, name):
    fact = facts[name]
    assert fact.within, (
        f"expected {name} in {fact.low}-{fact.high} {fact.unit} ({fact.source}), got {fact.value}"
    )


@pytest.mark.xfail(
    strict=True,
    reason="open in issue [lifecycle]: the referral advantage of Schmitt et al. does not yet emerge; "
    "referred and other customers churn and are worth about the same (ratios 0.94-0.99 and 0.84-1.06 "
    "on seeds 1-3)",
)
@pytest.mark.parametrize("name", sorted(REFERRAL_FACTS))
def test_referred_customers_are_better(facts, name):
    fact = facts[name]
    assert fact.within, f"expected {name} in {fact.low}-{fact.high}, got {fact.value}"


def test_sim_facts_prints_and_writes_the_table(tmp_path, capsys):
    assert main(["facts", "--out", str(tmp_path), "--set", "market.size=1500", "--set", "run.weeks=52"]) == 0
    printed = capsys.readouterr().out
    for fact in FACTS:
        assert fact.name in printed, f"expected the fact {fact.name!r} in the printed table"
    data = json.loads((tmp_path / "facts.json").read_text())
    assert {f["name"] for f in data["facts"]} == {f.name for f in FACTS}, "expected every fact in facts.json"
    assert all(set(f) >= {"source", "low", "high", "value", "within"} for f in data["facts"])
