"""`sim game`: a game whose answer is known by construction is solved (payoff matrix, best
responses, dominance, equilibrium); the numbers do not depend on the number of processes; the
iterated best response stops early when no firm can improve and never passes its round limit; a
plan written by `sim optimise` is a choice; bad [game] tables are refused with exit 2 naming the
key; the figures keep their ink on the page and their titles state what they plot.

The constructed game: a firm's margin is only its accounting (the share of revenue it keeps; no
customer sees it, and the built-in strategies do not read it), so on the same seeds a higher
margin gives the same customers and purchases and strictly more profit, whatever the rival does:
"us" choosing margin 0.5 over 0.2 is a dominant strategy by construction, beyond the noise on
every seed, and the rival's payoffs do not move with it. The rival's choices (holding or cutting
its price) do change the market, so its best response is the simulation's answer.
"""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib.pyplot as plt
import pytest

from sim import load_scenario
from sim.cli import main
from sim.design import choice_overrides
from sim.game import analyse
from sim.plots.game import best_response_figure, payoff_figure
from tests.figure_checks import claim_problems, layout_problems

# A small market: about 0.1 s a run here; 3 seeds x 4 profiles keep every test to seconds.
SMALL = """
[run]
name = "margins"
weeks = 26
[market]
size = 1000
[firms.us]
strategy = "conquest"
budget = 400
margin = 0.3
[firms.rival]
strategy = "relations"
budget = 400
margin = 0.3
"""
GAME = """
[game]
replicates = 3
[game.choices.us]
wide = { margin = 0.5 }
thin = { margin = 0.2 }
[game.choices.rival]
hold = {}
cut = { price = 30 }
"""


def write(tmp_path: Path, text: str, name: str = "game.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.fixture(scope="module")
def solved(tmp_path_factory):
    folder = tmp_path_factory.mktemp("game")
    scenario = load_scenario(write(folder, SMALL + GAME))
    return analyse(scenario, jobs=1, out=folder / "out")


def test_a_dominant_strategy_by_construction_is_found(solved):
    info = solved.info
    assert [p["label"] for p in info["profiles"]] == [
        "us=wide, rival=hold", "us=wide, rival=cut", "us=thin, rival=hold", "us=thin, rival=cut",
    ], f"expected the 4 profiles with us's choices varying slowest, got {[p['label'] for p in info['profiles']]}"  # fmt: skip
    table = solved.payoffs
    for rival in ("hold", "cut"):
        wide = table.values(("wide", rival), "us", "profit")
        thin = table.values(("thin", rival), "us", "profit")
        assert all(w > t for w, t in zip(wide, thin, strict=True)), (
            f"expected us's profit higher with margin 0.5 than 0.2 on every seed against {rival}, got {wide} vs {thin}"
        )
        same = (
            table.values(("wide", rival), "rival", "profit"),
            table.values(("thin", rival), "rival", "profit"),
        )
        assert same[0] == same[1], f"expected the rival's profit not to move with us's margin, got {same}"
    us_rows = [r for r in info["best_responses"] if r["firm"] == "us"]
    assert len(us_rows) == 2, (
        f"expected a best response of us to each of the rival's 2 choices, got {us_rows}"
    )
    for row in us_rows:
        assert row["best"] == "wide", (
            f"expected us's best response 'wide' against {row['against']}, got {row['best']}"
        )
        assert row["verdict"] == "beyond the noise" and row["advantage_ci95"][0] > 0, (
            f"expected wide ahead of thin beyond the noise (CI above 0), got {row['advantage_ci95']}"
        )
    assert {"firm": "us", "choice": "wide", "beyond_noise": True} in info["dominant"], (
        f"expected us's 'wide' dominant beyond the noise, got {info['dominant']}"
    )
    dominated = [(d["firm"], d["dominated"], d["by"]) for d in info["dominated"]]
    assert ("us", "thin", "wide") in dominated, f"expected thin dominated by wide, got {dominated}"
    rival_best = next(
        r["best"] for r in info["best_responses"] if r["firm"] == "rival" and r["against"] == {"us": "wide"}
    )
    expected = f"us=wide, rival={rival_best}"
    assert [e["label"] for e in info["equilibria"]] == [expected], (
        f"expected the one equilibrium {expected!r} (us's dominant choice and the rival's best response to it), "
        f"got {[e['label'] for e in info['equilibria']]}"
    )
    regrets = {r["label"]: r["regret"] for r in info["regrets"]}
    assert regrets[expected] == 0 and all(v > 0 for k, v in regrets.items() if k.startswith("us=thin")), (
        f"expected regret 0 at the equilibrium and above 0 wherever us plays thin, got {regrets}"
    )
    thin_profile = next(r for r in info["regrets"] if r["label"].startswith("us=thin"))
    assert thin_profile["deviations"]["us"]["to"] == "wide", (
        f"expected us to deviate to wide, got {thin_profile}"
    )


def test_the_outputs_are_written_and_the_text_states_the_verdicts(solved, tmp_path):
    out = solved.write(tmp_path / "written")
    names = sorted(p.name for p in out.iterdir())
    for name in ("best_responses.csv", "game.json", "manifest.json", "payoffs.csv", "scenario.resolved.toml"):
        assert name in names, f"expected {name} in the output folder, got {names}"
    assert sorted(p.name for p in (out / "figures").iterdir()) == ["best_responses.png", "payoffs.png"]
    import pandas as pd

    payoffs = pd.read_csv(out / "payoffs.csv")
    assert len(payoffs) == 4 * 2 * 2, (
        f"expected 4 profiles x 2 firms x 2 metrics (profit, equity), got {len(payoffs)}"
    )
    assert set(payoffs["metric"]) == {"profit", "customer_equity"}, f"got {set(payoffs['metric'])}"
    row = payoffs[
        (payoffs.profile == "us=wide, rival=hold") & (payoffs.firm == "us") & (payoffs.metric == "profit")
    ]
    mean = solved.payoffs.stats(("wide", "hold"), "us", "profit")["mean"]
    assert row["mean"].item() == pytest.approx(mean), (
        f"expected the CSV to hold the mean {mean}, got {row['mean'].item()}"
    )
    assert row["ci95_low"].item() < mean < row["ci95_high"].item(), "expected the mean inside its 95% CI"
    responses = pd.read_csv(out / "best_responses.csv")
    assert len(responses) == 4, f"expected 2 best responses per firm, got {len(responses)}"
    stored = json.loads((out / "game.json").read_text())
    assert stored["equilibria"][0]["label"] == solved.info["equilibria"][0]["label"]
    text = solved.table()
    assert "us against rival=hold: wide" in text and "beyond the noise" in text, f"got:\n{text}"
    assert "Dominant: us plays wide whatever the others do (beyond the noise)" in text, f"got:\n{text}"


def test_one_process_and_two_give_the_same_numbers(tmp_path):
    scenario = load_scenario(write(tmp_path, SMALL + GAME))
    one = analyse(scenario, jobs=1).info
    two = analyse(scenario, jobs=2, out=tmp_path / "two").info
    for info in (one, two):
        info.pop("seconds")
    assert one == two, "expected identical game results with one process and two"


def test_a_plan_written_by_optimise_is_a_choice(tmp_path):
    write(
        tmp_path,
        '[firms.us]\nstrategy = "sim.optimise:BudgetPlan"\nbudget = 750.0\n'
        "[firms.us.split]\nsearch_ads = 0.6\nloyalty_rewards = 0.4\n[firms.us.params]\nstart_loyalty_rewards = 4\n",
        "best.toml",
    )
    keys = choice_overrides("us", {"plan": "best.toml", "price": 35}, tmp_path)
    assert next(iter(keys)) == "firms.us.strategy", (
        f"expected the plan's strategy set first, got {list(keys)}"
    )
    assert (
        keys["firms.us.split"] == {"search_ads": 0.6, "loyalty_rewards": 0.4} and keys["firms.us.price"] == 35
    )
    scenario = load_scenario(
        write(tmp_path, SMALL + GAME.replace("thin = { margin = 0.2 }", 'optimised = { plan = "best.toml" }'))
    )
    from sim.game import profiles

    played = {p.label: p.scenario for p in profiles(scenario, scenario.game)}
    firm = played["us=optimised, rival=hold"].firms["us"]
    assert (firm.strategy, firm.budget, firm.split, firm.params) == (
        "sim.optimise:BudgetPlan", 750.0, {"search_ads": 0.6, "loyalty_rewards": 0.4}, {"start_loyalty_rewards": 4},
    ), f"expected the profile to run the plan of best.toml, got {firm}"  # fmt: skip


ONE_LEVER = """
[game.iterate]
rounds = 3
optimise = { trials = 2, runs = 2, confirm_runs = 2, spend_all = true, decisions = { search_ads = {} } }
"""
FIXED_PLANS = """
[game]
replicates = 3
[game.choices.us]
ads = { strategy = "sim.optimise:BudgetPlan", split = { search_ads = 1.0 } }
thin = { margin = 0.2 }
[game.choices.rival]
ads = { strategy = "sim.optimise:BudgetPlan", split = { search_ads = 1.0 } }
hold = {}
"""


def test_iterated_best_response_stops_when_no_firm_can_improve(tmp_path):
    # With one lever and the whole budget spent, the only plan is the start plan: no search can
    # improve on it, so the loop must stop after its first round (the limit is 3).
    scenario = load_scenario(
        write(tmp_path, SMALL.replace("size = 1000", "size = 500") + FIXED_PLANS + ONE_LEVER)
    )
    path = analyse(scenario, iterate=True, jobs=1, out=tmp_path / "out").info["iterate"]
    assert path["converged"] and path["rounds_run"] == 1, (
        f"expected a stop after round 1 of 3, got {path['stopped']}"
    )
    assert [(s["round"], s["firm"], s["adopted"]) for s in path["steps"]] == [
        (1, "us", False),
        (1, "rival", False),
    ]
    for step in path["steps"]:
        assert step["improvement"] == 0 and step["plan"] == "search_ads 100.0% of 400/week", (
            f"expected the search to find the start plan again (no change), got {step['plan']}, {step['improvement']}"
        )


def test_iterated_best_response_keeps_to_its_round_limit(tmp_path):
    scenario = load_scenario(write(tmp_path, SMALL.replace("size = 1000", "size = 500") + FIXED_PLANS))
    path = analyse(scenario, iterate=True, rounds=1, trials=3, jobs=1, out=tmp_path / "out").info["iterate"]
    assert path["rounds_run"] == 1 and len(path["steps"]) == 2, (
        f"expected one round of 2 searches, got {path['steps']}"
    )
    adopted = [s["adopted"] for s in path["steps"]]
    assert path["converged"] == (not any(adopted)), (
        f"expected 'converged' exactly when nothing was adopted: {path}"
    )
    for step in path["steps"]:
        low = step["improvement_ci95"][0]
        assert step["adopted"] == (low > 0), (
            f"expected a plan adopted only when its gain's CI is above 0: {step}"
        )


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ("[game.choices.them]\nx = {}\n", "[game] choices.them = {'x': {}}: no such firm; firms in this scenario: us, rival"),
        ("[game.choices.rival]\nx = { prise = 30 }\n", "[game] choices.rival.x.prise = 30: unknown key; allowed keys in [firms.rival]"),
        ("[game.choices.rival]\nx = { plan = 'nowhere/best.toml' }\n",
         "[game] choices.rival.x.plan = 'nowhere/best.toml': plan file 'nowhere/best.toml' not found"),
        ("[game.choices.rival]\nx = { price = -3 }\n", "[game] choices.rival.x.price = -3: Input should be greater than 0"),
    ],
)  # fmt: skip
def test_bad_game_tables_are_refused_naming_the_key(tmp_path, capsys, change, expected):
    text = SMALL + "[game]\n[game.choices]\nus = ['conquest', 'relations']\n" + change
    path = write(tmp_path, text)
    out = tmp_path / "out"
    assert main(["game", str(path), "--out", str(out), "--quiet"]) == 2, "expected exit status 2"
    message = capsys.readouterr().err
    assert f"{path}: {expected}" in message and message.count("\n") == 1, (
        f"expected one line with {expected!r}, got {message!r}"
    )
    assert not out.exists(), "expected nothing written"


def test_a_scenario_without_a_game_and_bad_options_are_refused(tmp_path, capsys):
    path = write(tmp_path, SMALL)
    assert main(["game", str(path), "--quiet"]) == 2
    assert "no [game] table" in capsys.readouterr().err
    path = write(tmp_path, SMALL + GAME)
    assert main(["game", str(path), "--replicates", "1", "--quiet"]) == 2
    assert "--replicates 1: must be a whole number from 2" in capsys.readouterr().err
    assert main(["game", str(path), "--rounds", "2", "--quiet"]) == 2
    assert "add --iterate" in capsys.readouterr().err
    only = write(tmp_path, SMALL + "[game.choices]\nus = ['conquest']\nrival = ['relations']\n")
    assert main(["validate", str(only)]) == 2
    assert "at least one firm needs two or more choices" in capsys.readouterr().err


def test_the_cli_writes_the_game_and_prints_the_summary(tmp_path, capsys):
    path = write(tmp_path, SMALL + GAME)
    out = tmp_path / "out"
    assert main(["game", str(path), "--out", str(out), "--no-figures"]) == 0
    printed = capsys.readouterr().out
    assert "Pure-strategy equilibria" in printed and "us=wide" in printed, f"got:\n{printed}"
    assert (out / "game.json").exists() and not (out / "figures").exists()


def test_the_figures_keep_their_ink_on_the_page_and_state_what_they_plot(solved, tmp_path):
    three = load_scenario(
        write(tmp_path, SMALL + "[firms.third]\nbudget = 100\nstrategy = 'relations'\n" + GAME
              + "[game.choices.third]\nhold = {}\nfat = { margin = 0.6 }\n")
    )  # fmt: skip
    drawn = {"two firms": solved.info, "three firms": analyse(three, replicates=2, jobs=1).info}
    for name, info in drawn.items():
        for figure in (payoff_figure(info), best_response_figure(info)):
            problems = layout_problems(figure) + claim_problems(figure)
            assert not problems, f"{name}, {figure.claims['figure']}: expected no problems, got {problems}"
            plt.close(figure)
    three_eq = drawn["three firms"]["equilibria"]
    assert all("third=fat" in e["label"] for e in three_eq), (
        f"expected the third firm's higher margin in every equilibrium (dominant by construction), got {three_eq}"
    )


RESPONSES = """
[game]
replicates = 3
[game.choices.us]
hold = {}
cut = { price = 32 }
[game.choices.rival]
passive = { "response.personality" = "passive" }
price_matcher = { "response.personality" = "price_matcher" }
"""


def test_rival_personalities_are_choices(tmp_path):
    # A price matcher acts only on a rival's price below its own: while us holds its price the
    # two personalities run the same market (identical on every seed: a tie, within the noise);
    # once us cuts, the matcher follows and its profit moves.
    info = analyse(load_scenario(write(tmp_path, SMALL + RESPONSES)), jobs=1).info
    payoffs = {p["label"]: p["payoffs"]["rival"]["profit"]["mean"] for p in info["profiles"]}
    assert payoffs["us=hold, rival=passive"] == payoffs["us=hold, rival=price_matcher"], (
        f"expected the same rival profit with either personality while us holds its price, got {payoffs}"
    )
    assert payoffs["us=cut, rival=passive"] != payoffs["us=cut, rival=price_matcher"], (
        f"expected the price matcher to change the market once us cuts, got {payoffs}"
    )
    held = next(r for r in info["best_responses"] if r["firm"] == "rival" and r["against"] == {"us": "hold"})
    assert held["verdict"] == "within the noise" and held["advantage"] == 0, f"expected a tie, got {held}"


def test_matching_pennies_has_no_pure_equilibrium_and_one_mixed_at_half():
    # Payoffs given directly (no simulation): the textbook game with no pure equilibrium; every
    # profile's regret is 2 and the one mixed equilibrium plays each choice half the time.
    from sim.game import PayoffTable, equilibria, mixed_equilibria, regrets

    def seeds(value: float) -> list[float]:
        return [value - 0.1, value, value + 0.1]

    win, lose = {"profit": seeds(1.0)}, {"profit": seeds(-1.0)}
    table = PayoffTable(
        ("a", "b"), {"a": ["heads", "tails"], "b": ["heads", "tails"]}, ["a", "b"], [1, 2, 3],
        {("heads", "heads"): {"a": win, "b": lose}, ("tails", "tails"): {"a": win, "b": lose},
         ("heads", "tails"): {"a": lose, "b": win}, ("tails", "heads"): {"a": lose, "b": win}},
    )  # fmt: skip
    assert equilibria(table, "profit") == [], "expected no pure-strategy equilibrium in matching pennies"
    assert all(r["regret"] == pytest.approx(2.0) for r in regrets(table, "profit")), (
        "expected regret 2 everywhere"
    )
    mixed = mixed_equilibria(table, "profit")
    assert len(mixed) == 1 and mixed[0]["a"] == {"heads": 0.5, "tails": 0.5} and not mixed[0]["pure"], (
        f"expected one mixed equilibrium at 50/50, got {mixed}"
    )
    assert mixed[0]["expected"]["a"] == pytest.approx(0.0), (
        f"expected value 0 for a, got {mixed[0]['expected']}"
    )
