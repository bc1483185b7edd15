"""Rivals that respond (sim.responses): triggers seen late, actions within floors and caps,
cool-downs, withdrawal, what a firm perceives, custom responses and refused bad input.

Every run here is deterministic (responses draw no random numbers), so exact weeks and prices are
asserted; the market is small (3,000 people) to keep the file fast."""

from __future__ import annotations

import numpy as np
import pytest

from sim import CustomerMarket
from sim.agents.customers import Channel
from sim.cli import main
from sim.responses import Response, register_response
from tests.helpers import CONQUEST_VS_RELATIONS, small

SIZE = {"market.size": 3000, "run.weeks": 60}


def run(**overrides) -> CustomerMarket:
    market = CustomerMarket(small(CONQUEST_VS_RELATIONS, **SIZE, **overrides))
    market.run_model()
    return market


def reactions_of(market: CustomerMarket, rule: str | None = None) -> list:
    return [r for r in market.reactions if rule is None or r.rule == rule]


# ---------------------------------------------------------------------------- price matcher


def test_price_matcher_follows_an_undercut_within_its_delay_and_stops_at_its_floor():
    # us cuts to 34 in week 10 and to 25 in week 30; the rival matches 3 weeks late (it sees week
    # w - 1 - delay), but never below the price that keeps a 10% margin: cost 28 / 0.9 = 31.11.
    market = run(
        firms__us__price_path=[{"week": 10, "price": 34}, {"week": 30, "price": 25}],
        firms__rival__response={"personality": "price_matcher", "delay": 3, "params": {"floor_margin": 0.1}},
    )
    price = market.recorder.price[:, market.firm("rival").index]
    first = 10 + 1 + 3  # week 10's price is first known at the start of week 14
    assert (price[:first] == 40).all(), f"expected the list price 40 before week {first}, got {price[:first]}"
    assert price[first] == pytest.approx(34), (
        f"expected the rival to match 34 in week {first}, got {price[first]}"
    )
    floor = 40 * (1 - 0.30) / (1 - 0.1)
    second = 30 + 1 + 3
    assert price[second - 1] == pytest.approx(34), "expected 34 held until the second cut is seen"
    assert price[second] == pytest.approx(floor), (
        f"expected the floor {floor:.2f} in week {second}, got {price[second]}"
    )
    assert price.min() == pytest.approx(floor), (
        f"expected never below the floor {floor:.2f}, got {price.min()}"
    )
    assert (price[second:] == price[second]).all(), (
        "expected the price to stay at its floor while us stays at 25"
    )
    did = [r.did for r in reactions_of(market)]
    assert len(did) == 2 and "(its floor)" in did[1], (
        f"expected two reactions, the second at its floor: {did}"
    )


def test_delay_moves_the_reaction_by_exactly_the_delay():
    weeks = {}
    for delay in (0, 5):
        market = run(
            firms__us__price_path=[{"week": 10, "price": 34}],
            firms__rival__response={"personality": "price_matcher", "delay": delay},
        )
        weeks[delay] = reactions_of(market)[0].week
    assert weeks == {0: 11, 5: 16}, f"expected the match in week 11 with no delay and 16 with 5, got {weeks}"


def test_a_withdrawn_match_returns_to_the_plan_after_quiet_weeks():
    # us cuts for weeks 10-19 only; the matcher follows (week 13), then after 6 weeks in which no
    # rival is cheaper (us back to 40 from week 20, seen from week 23) it returns to its plan.
    market = run(
        firms__us__price_path=[{"week": 10, "price": 34}, {"week": 20, "price": 40}],
        firms__rival__response={"personality": "price_matcher", "revert_after": 6},
    )
    price = market.recorder.price[:, market.firm("rival").index]
    rules = [(r.week, r.rule) for r in reactions_of(market)]
    assert rules == [(13, "match the cheapest rival"), (28, "withdrawn")], (
        f"expected match then withdrawal, got {rules}"
    )
    assert price[27] == pytest.approx(34) and price[28] == 40, (
        f"expected 34 until week 27, 40 from 28: {price[25:30]}"
    )


# ---------------------------------------------------------------------------- retaliator


def test_retaliator_raises_spend_only_after_its_trigger_and_only_up_to_its_cap():
    market = run(
        firms__rival__response={
            "personality": "retaliator",
            "cooldown": 3,
            "params": {"share_points": 0.01, "window": 6, "step": 0.25, "cap": 1.5},
        }
    )
    rival = market.firm("rival").index
    spend = market.recorder.spend[:, rival].sum(axis=1)
    fired = reactions_of(market, "retaliate with spend")
    assert fired, "expected the retaliator to fire against a conquest rival that takes its share"
    first = fired[0].week
    assert (spend[1:first] <= 2000 + 1e-6).all(), f"expected at most the planned 2,000 before week {first}"
    assert spend.max() <= 1.5 * 2000 + 1e-6, f"expected at most the cap 3,000 a week, got {spend.max():.0f}"
    assert spend[first:].max() > 2000, "expected more than the planned budget once it retaliated"
    assert len(fired) == 2, f"expected two raises (2,000 -> 2,500 -> 3,000) and none past the cap: {fired}"
    # The trigger held when it fired: its share fell more than a point over the 6 weeks it knew.
    known = first - 1 - 2
    shares = market.recorder.customers[:, rival] / market.recorder.customers.sum(axis=1)
    assert shares[known - 6] - shares[known] > 0.01, "expected the share it saw to have fallen > 1 point"
    assert not shares[known - 7] - shares[known - 1] > 0.01 or first == 2 + 1 + 6, (
        "expected it not to have fired a week earlier when the trigger already held"
    )


def test_cooldowns_hold_between_firings_of_a_rule():
    market = run(
        firms__rival__response={
            "personality": "retaliator",
            "cooldown": 7,
            "params": {"share_points": 0.005, "window": 4, "step": 0.1, "cap": 3.0},
        }
    )
    weeks = [r.week for r in reactions_of(market, "retaliate with spend")]
    assert len(weeks) >= 3, f"expected the trigger to hold repeatedly, got firings in weeks {weeks}"
    gaps = np.diff(weeks)
    assert (gaps >= 7).all(), f"expected at least 7 weeks between firings, got gaps {gaps.tolist()}"


# ---------------------------------------------------------------------------- defender and aggressor


def test_defender_moves_spend_to_retention_and_wins_back_keeping_the_budget():
    market = run(
        firms__rival__response={"personality": "defender", "params": {"lost_share": 0.0005, "window": 3}}
    )
    rival = market.firm("rival").index
    fired = reactions_of(market, "defend the base")
    assert fired, "expected the defender to fire when it loses customers to a conquest rival"
    first = fired[0].week
    frame = market.recorder.timeseries()
    frame = frame[frame.firm == "rival"].set_index("week")
    assert (frame.loc[1 : first - 1, "spend_retention_offers"] == 0).all(), (
        "expected no retention offers before"
    )
    assert frame.loc[first, "spend_retention_offers"] > 0, "expected retention offers from the week it fired"
    assert frame.loc[first, "spend_reactivation"] > 0, "expected the win-back campaign's reactivation spend"
    total = market.recorder.spend[1:, rival].sum(axis=1)
    assert total.max() <= 2000 + 1e-6, f"expected moved spend, never more than the budget: {total.max():.2f}"


def test_aggressor_undercuts_the_cheapest_rival_when_its_acquisitions_stall():
    market = run(
        firms__rival__response={
            "personality": "aggressor",
            "params": {"target_share": 0.05, "undercut": 0.1},
        },
    )
    fired = reactions_of(market, "attack")
    assert fired, "expected a 5%-a-week acquisition target to be missed"
    price = market.recorder.price[:, market.firm("rival").index]
    assert price[fired[0].week] == pytest.approx(36.0), (
        f"expected 10% under us's 40 = 36, got {price[fired[0].week]}"
    )


# ---------------------------------------------------------------------------- perception


def test_losses_to_each_rival_add_up_to_the_rivals_switch_acquisitions():
    market = run()
    recorder = market.recorder
    lost = recorder.lost_to.sum(axis=1)  # (weeks, to)
    won = recorder.acquired[:, :, Channel.SWITCH] + recorder.acquired[:, :, Channel.POACHED]
    assert lost.sum() > 0, "expected some switching in five years... in 60 weeks"
    assert (lost == won).all(), "expected every customer lost to a rival to be that rival's switch or poach"


def test_a_passive_response_changes_nothing():
    plain = run().recorder.timeseries()
    passive = run(firms__rival__response={"personality": "passive"}).recorder.timeseries()
    assert plain.equals(passive), "expected a passive response (no rules) to leave every number as it was"


@register_response("test_match_us_only")
class MatchUsOnly(Response):
    """Matches "us" when it is more than 10% cheaper, never below cost plus 5%."""

    def decide(self, view):
        price = view.rival_price("us")
        if price is None or price >= 0.9 * view.own_price:
            return False
        if self.ready("match us", view.now):
            self.take(
                "match us",
                f"us at {price:.2f}",
                view,
                {"kind": "match_price", "floor_margin": 0.05},
                rival="us",
            )
        return True


def test_a_custom_response_class_reacts_through_the_same_actions():
    market = run(
        firms__us__price_path=[{"week": 5, "price": 35}],
        firms__rival__response={"personality": "test_match_us_only", "delay": 1},
    )
    fired = reactions_of(market, "match us")
    assert [r.week for r in fired] == [7], f"expected one match in week 5 + 1 + 1 = 7, got {fired}"
    assert market.firm("rival").price == 35, "expected the custom response to have matched 35"


def test_the_summary_lists_what_each_response_did():
    market = run(
        firms__us__price_path=[{"week": 10, "price": 34}],
        firms__rival__response={"personality": "price_matcher"},
    )
    from sim.summary import summarise

    summary = summarise(market.scenario, market.seed, market.recorder)
    assert summary["reactions"] == [
        {
            "week": 13,
            "firm": "rival",
            "rule": "match the cheapest rival",
            "saw": "us's price 34.00 is 15% below its 40.00",
            "did": "price 40.00 -> 34.00: matched us's 34.00",
        }
    ], summary["reactions"]


# ---------------------------------------------------------------------------- bad input


BAD = [
    (
        "firms.rival.response.rules=[{name='x',when={kind='lost_to_rival',rival='nobody',per_week=3},"
        "then={kind='raise_budget',by=0.2}}]",
        "firms.rival.response.rules.0.when.rival",
    ),
    (
        "firms.rival.response.rules=[{name='x',when={kind='rival_price_below'},then={kind='match_price',floor_price=50}}]",
        "firms.rival.response.rules.0.then.0.floor_price",
    ),
    (
        "firms.rival.response.rules=[{name='x',when={kind='rival_price_below'},"
        "then={kind='shift_split',to=['poaching'],share=0.3,from=['search_ads']}}]",
        "firms.rival.response.rules.0.then.0.from",
    ),
    ("firms.rival.response.personality=bully", "firms.rival.response.personality"),
]


@pytest.mark.parametrize(("setting", "key"), BAD)
def test_bad_responses_are_refused_naming_the_key(setting, key, capsys):
    # In this process (the CLI's own entry point); tests/test_cli.py covers the subprocess path.
    status = main(["validate", str(CONQUEST_VS_RELATIONS), "--set", setting])
    err = capsys.readouterr().err
    assert status == 2, f"expected exit 2, got {status}: {err}"
    assert key in err and "Traceback" not in err, f"expected {key!r} named: {err}"
    assert len(err.strip().splitlines()) == 1, f"expected one message: {err}"


@register_response("test_match_below")
class MatchBelow(Response):
    """Matches any rival more than ``gap`` cheaper (a parameter read from the table)."""

    def decide(self, view):
        gap = float(self.config.params.get("gap", 0.1))
        for rival in view.rivals():
            price = view.rival_price(rival)
            if price is not None and price < (1 - gap) * view.own_price:
                if self.ready("match", view.now):
                    self.take("match", f"{rival} at {price:.2f}", view, {"kind": "match_price"}, rival=rival)
                return True
        return False


def test_a_custom_response_reads_its_parameters_from_the_table():
    # us cuts 40 -> 37.5 (6.25%): a gap of 0.05 reacts, the default 0.1 does not.
    cut = {"firms__us__price_path": [{"week": 5, "price": 37.5}]}
    reacting = run(**cut, firms__rival__response={"personality": "test_match_below", "params": {"gap": 0.05}})
    ignoring = run(**cut, firms__rival__response={"personality": "test_match_below"})
    assert [r.week for r in reactions_of(reacting)] == [8], (
        "expected a gap of 5% to match a 6.25% cut in week 8"
    )
    assert reactions_of(ignoring) == [], "expected the default gap of 10% to ignore a 6.25% cut"
