"""`sim events`: each event's effect is the paired difference between the scenario as written and
the same seeds without that event, recomputed here from separate runs; its words and figure state
only the numbers it shows."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from sim import load_scenario, simulate
from sim.event_effects import event_effects, without_event
from sim.scenario import ScenarioError

from .helpers import ROOT

SHIFTS = ROOT / "scenarios" / "market_shifts.toml"
SMALL = {"market.size": 1500, "run.weeks": 80, "events.challenger.week": 20, "events.price_war.week": 45}


@pytest.fixture(scope="module")
def scenario():
    return load_scenario(SHIFTS, SMALL).without_experiments()


@pytest.fixture(scope="module")
def effects(scenario):
    return event_effects(scenario, runs=3, jobs=1)


def test_without_an_entry_the_entrant_is_gone_and_without_another_event_only_it(scenario):
    no_entry = without_event(scenario, "challenger")
    assert no_entry.firm_names == ["us", "rival"], f"expected the entrant removed, got {no_entry.firm_names}"
    assert [e.name for e in no_entry.events] == ["rising expectations", "price_war"], (
        "expected the other events kept"
    )
    no_cut = without_event(scenario, "price_war")
    assert no_cut.firm_names == scenario.firm_names, "expected every firm kept without a price change"
    assert [e.name for e in no_cut.events] == ["rising expectations", "challenger"]
    with pytest.raises(ScenarioError, match="no event 'nothing'"):
        without_event(scenario, "nothing")


def test_each_effect_is_the_paired_difference_of_separate_runs(scenario, effects):
    for event in ("challenger", "price_war"):
        without = without_event(scenario, event)
        differences = [
            simulate(scenario, seed=seed).summary["firms"]["us"]["profit"]
            - simulate(without, seed=seed).summary["firms"]["us"]["profit"]
            for seed in effects.seeds
        ]
        mean = sum(differences) / len(differences)
        assert effects.effects[event]["us"]["profit"]["mean"] == pytest.approx(mean, rel=1e-12), (
            f"expected the {event} effect on profit to be the mean paired difference {mean}"
        )
    assert "challenger" not in effects.effects["challenger"], (
        "expected no effect for a firm absent without it"
    )
    assert set(effects.effects["price_war"]) == {"us", "rival", "challenger"}


def test_the_price_war_costs_the_rival_margin_and_wins_it_share(effects):
    # Seeds 1-3 at 1,500 people, 80 weeks, cut in week 45: the rival's profit falls by 31,500 (95% CI
    # -39,100 to -23,900) and its share rises 6.5 points (CI +3.9 to +9.0) when it cuts 40 -> 34 with
    # a fixed unit cost: both intervals are clear of 0.
    rival = effects.effects["price_war"]["rival"]
    assert rival["profit"]["ci95"][1] < 0, (
        f"expected the rival's cut to cost it profit, got {rival['profit']}"
    )
    assert rival["market_share_end"]["ci95"][0] > 0, (
        f"expected the cut to win the rival share, got {rival['market_share_end']}"
    )


def test_the_sentences_and_the_figure_state_only_the_numbers_shown(effects):
    frame = effects.table_frame
    for _, row in frame[frame.metric == "profit"].iterrows():
        sentence = effects.sentence(row.event, row.firm, "profit")
        for value in (row.effect, row.ci95_low, row.ci95_high):
            assert f"{value:+,.0f}" in sentence, f"expected {value:+,.0f} in {sentence!r}"
        assert ("within the noise" in sentence) == bool(row.within_noise), sentence
        assert sentence.startswith(f"{row.event} changed {row.firm}'s profit"), sentence
    figure = effects.figures()["event_effects"]
    us = frame[(frame.firm == "us") & (frame.metric == "profit")].set_index("event")
    worse = us[us.ci95_high < 0]
    title = figure.get_suptitle()
    if len(worse):
        costliest = worse.effect.idxmin()
        assert figure.claims["costliest"] == costliest, (
            f"expected {costliest} as costliest, got {figure.claims}"
        )
        assert f"{worse.effect.min():+,.0f}" in title, f"expected the costliest effect in {title!r}"
    else:
        assert figure.claims["costliest"] is None and "clear of the noise" in title, title


def test_the_cli_writes_the_effects_and_refuses_a_scenario_without_events(tmp_path):
    out = tmp_path / "effects"
    sets = [arg for key, value in SMALL.items() for arg in ("--set", f"{key}={value}")]
    command = [
        sys.executable,
        "-m",
        "sim.cli",
        "events",
        str(SHIFTS),
        "--runs",
        "2",
        "--jobs",
        "1",
        "--out",
        str(out),
    ]
    done = subprocess.run([*command, *sets], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    written = json.loads((out / "event_effects.json").read_text())
    assert set(written["effects"]) == {"rising expectations", "challenger", "price_war"}, written[
        "effects"
    ].keys()
    assert (out / "figures" / "event_effects.png").stat().st_size > 0 and (out / "manifest.json").exists()
    refused = subprocess.run(
        [sys.executable, "-m", "sim.cli", "events", str(ROOT / "scenarios" / "baseline.toml"), "--runs", "2"],
        capture_output=True,
        text=True,
    )
    assert refused.returncode == 2 and "no [[events]] to measure" in refused.stderr, refused.stderr
