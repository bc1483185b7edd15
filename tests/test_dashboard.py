"""The dashboard without a browser: controls -> scenario, the model SolaraViz steps and resets,
the running CAC/LTV, the network picture and the charts (tests/test_dashboard_browser.py drives
the page itself)."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest

from sim import CustomerMarket, load_scenario
from sim.cli import main
from sim.dashboard import server
from sim.dashboard.charts import (
    acquisitions_chart,
    churn_chart,
    comparison_chart,
    customers_chart,
    network_chart,
)
from sim.dashboard.market import (
    GLOBAL_SLIDERS,
    DashboardModel,
    dashboard_params,
    initial_settings,
    parse_seed,
    relations_share,
    running_metrics,
)
from sim.dashboard.network_picture import MAX_DRAWN, network_picture
from sim.strategies.builtin import RELATIONS_SPLIT
from sim.summary import summarise

WEEKS = 8


@pytest.fixture(scope="module")
def small():
    """The baseline at 400 people: the network is drawn whole."""
    return load_scenario("scenarios/baseline.toml", {"market.size": 400, "run.weeks": 30})


def _stepped(model, weeks: int = WEEKS):
    for _ in range(weeks):
        model.step()
    return model


def test_a_typed_seed_is_a_whole_number_or_the_scenario_seed():
    assert parse_seed("42", 1) == (42, None), "a typed number is the seed"
    assert parse_seed(" 7 ", 1) == (7, None), "spaces around it are ignored"
    assert parse_seed("", 3) == (3, None), "an empty box means the scenario's seed"
    assert parse_seed(5, 1) == (5, None), "a number passed as a number is kept"
    for bad in ("-1", "4.5", "abc", "1e3"):
        seed, problem = parse_seed(bad, 1)
        assert seed == 1 and problem and repr(bad) in problem, (
            f"{bad!r}: expected a notice naming it, got {problem}"
        )


def test_untouched_controls_reproduce_the_scenario_exactly(small):
    params = dashboard_params(small)
    model = _stepped(DashboardModel(**initial_settings(params)))
    alone = _stepped(CustomerMarket(small))
    assert model.overrides == {}, f"untouched controls should override nothing, got {model.overrides}"
    assert np.array_equal(model.market.recorder.customers, alone.recorder.customers), (
        "the dashboard's market should match CustomerMarket on the same scenario and seed week for week"
    )
    assert not model.notices, f"expected no notices, got {model.notices}"


def test_every_control_starts_at_the_scenario_value(small):
    params = dashboard_params(small)
    for key, label, *_ in GLOBAL_SLIDERS:
        spec = params[key]
        section, *rest = key.split(".")
        value = getattr(small, section)
        for part in rest:
            value = getattr(value, part)
        assert spec["value"] == value, (
            f"{label}: expected to start at the file's {value}, got {spec['value']}"
        )
        assert spec["min"] <= value <= spec["max"], (
            f"{label}: range {spec['min']}..{spec['max']} misses {value}"
        )
    assert params["firms.us.budget"]["value"] == small.firms["us"].budget
    assert params["firms.us.relations_share"]["value"] == 0.5, "balanced splits half and half"
    assert params["seed"]["value"] == str(small.run.seed), "the seed box starts at the scenario's seed"


def test_controls_change_the_scenario_the_market_runs(small):
    settings = {
        **initial_settings(dashboard_params(small)),
        "firms.us.budget": 3500,
        "firms.us.relations_share": 0.2,
        "firms.rival.strategy": "relations",
        "market.size": 300,
        "behaviours.adoption.word_of_mouth": 0.03,
        "behaviours.adoption.social_proof_weight": 1.2,
        "levers.referral_programme.unit_cost": 60,
        "behaviours.churn.satisfaction_tolerance": 0.35,
        "behaviours.churn.appreciation_tolerance": 0.65,
    }
    scenario = DashboardModel(**settings).scenario_in_force
    us, rival = scenario.firms["us"], scenario.firms["rival"]
    assert us.budget == 3500, f"expected the budget slider's 3500, got {us.budget}"
    assert math.isclose(relations_share(us.split), 0.2), f"expected 20% on relations, got {us.split}"
    assert rival.strategy == "relations" and rival.split is None, "switching strategy takes its default split"
    assert scenario.market.size == 300
    assert scenario.behaviours.adoption.word_of_mouth == 0.03
    assert scenario.behaviours.adoption.social_proof_weight == 1.2
    assert scenario.levers.referral_programme.unit_cost == 60
    assert scenario.behaviours.churn.satisfaction_tolerance == 0.35
    assert scenario.behaviours.churn.appreciation_tolerance == 0.65


def test_the_relations_share_applies_only_to_the_balanced_strategy(small):
    settings = {**initial_settings(dashboard_params(small)), "firms.us.strategy": "relations"}
    settings["firms.us.relations_share"] = 0.1
    us = DashboardModel(**settings).scenario_in_force.firms["us"]
    assert us.strategy == "relations" and us.split is None, (
        f"a relations firm keeps its own split, got {us.split}"
    )


def test_a_bad_seed_or_setting_is_reported_and_the_file_is_used(small):
    bad_seed = DashboardModel(small, seed="twelve")
    assert bad_seed.seed == small.run.seed, "a seed that is not a number falls back to the scenario's"
    assert any("'twelve'" in n for n in bad_seed.notices), (
        f"expected a notice naming it, got {bad_seed.notices}"
    )
    too_small = DashboardModel(small, **{"market.size": 6})  # below the network's mean degree of 10
    assert too_small.scenario_in_force.market.size == 400, "an invalid setting falls back to the file"
    assert any("network.mean_degree" in n for n in too_small.notices), f"got {too_small.notices}"
    unknown = DashboardModel(small, **{"market.sise": 300})
    assert any("market.sise" in n and "allowed keys" in n for n in unknown.notices), f"got {unknown.notices}"


def test_mesa_reset_passes_its_own_scenario_which_is_ignored(small):
    """Mesa >= 3.5's Reset adds a `scenario` keyword of its own; ours is `market_scenario`."""
    model = DashboardModel(market_scenario=small, scenario=object())
    assert model.scenario_in_force.market.size == 400 and not model.notices


@pytest.mark.filterwarnings("ignore:.*ComponentsView:UserWarning")  # Mesa's own hook order
def test_mesa_solaraviz_accepts_the_controls(small):
    from mesa.visualization import solara_viz

    params = dashboard_params(small)
    solara_viz._check_model_params(DashboardModel.__init__, params)  # raises on a control it rejects
    inputs, fixed = solara_viz.split_model_params(params)
    assert set(fixed) == {"market_scenario"}, f"only the scenario is fixed, got {sorted(fixed)}"
    assert len(inputs) == len(params) - 1, "every other parameter is a control on the page"


def test_side_by_side_is_the_other_strategy_on_the_same_seed(small):
    model = _stepped(DashboardModel(small, seed=4, compare_strategy="conquest"))
    switched = small.with_overrides({"firms.us.strategy": "conquest"})
    alone = _stepped(CustomerMarket(switched, seed=4))
    assert model.comparison is not None and model.comparison.week == WEEKS
    assert np.array_equal(model.comparison.recorder.customers, alone.recorder.customers), (
        "the second arm should be the switched scenario on the same seed, week for week"
    )
    without = _stepped(DashboardModel(small, seed=4))
    assert without.comparison is None, "'none' shows no second arm"
    assert np.array_equal(model.market.recorder.customers, without.market.recorder.customers), (
        "stepping a second arm must not change the first"
    )


def test_running_cac_and_ltv_end_where_the_summary_does(small):
    market = _stepped(CustomerMarket(small), 20)
    metrics = running_metrics(market.recorder)
    summary = summarise(small, market.seed, market.recorder)["firms"]
    us = small.firm_names.index("us")
    assert math.isclose(metrics["cac"][-1, us], summary["us"]["cac"], rel_tol=1e-12)
    assert math.isclose(metrics["ltv"][-1, us], summary["us"]["ltv"], rel_tol=1e-12)
    for metric in ("cac_fully_loaded", "ltv_net"):
        assert math.isclose(metrics[metric][-1, us], summary["us"][metric], rel_tol=1e-12), (
            f"the dashboard's running {metric} should end where the summary does"
        )
    assert np.isnan(metrics["cac_fully_loaded"][:, small.firm_names.index("rival")]).all(), (
        "the rival spends nothing: its fully loaded CAC is never a number (shown as 'nothing spent')"
    )
    assert metrics["acquired"][-1, us] == summary["us"]["acquired"]
    rival = small.firm_names.index("rival")
    first_win = int(np.argmax(metrics["acquired"][:, rival] > 0))
    assert np.isnan(metrics["cac"][:first_win, rival]).all(), "CAC is undefined until a firm wins someone"


def test_a_small_network_is_drawn_whole_and_laid_out_once(small):
    model = DashboardModel(small)
    market = model.market
    started = time.perf_counter()
    picture = network_picture(small.network, 400, market.seed, market.network)
    first = time.perf_counter() - started
    assert picture is not None and not picture.sampled and len(picture.slots) == 400
    started = time.perf_counter()
    again = network_picture(small.network, 400, market.seed, None)
    assert again is picture, "the layout of a network is computed once and reused"
    assert time.perf_counter() - started < first, "a reused layout costs nothing"
    ties = picture.positions[picture.ties]
    tie_length = np.linalg.norm(ties[:, 0] - ties[:, 1], axis=1).mean()
    rng = np.random.default_rng(0)
    pairs = rng.integers(0, 400, (2000, 2))
    pair_length = np.linalg.norm(
        picture.positions[pairs[:, 0]] - picture.positions[pairs[:, 1]], axis=1
    ).mean()
    # Measured 0.26-0.28 of the random-pair distance on seeds 1-3 (this Watts-Strogatz network; a
    # Barabasi-Albert one, whose hubs tie to everyone, gives 0.59); ignoring the ties gives about 1.
    assert tie_length < 0.5 * pair_length, (
        f"friends should be drawn near each other: {tie_length} vs {pair_length}"
    )


def test_a_large_market_shows_one_connected_neighbourhood():
    scenario = load_scenario("scenarios/baseline.toml", {"market.size": 3000})
    market = CustomerMarket(scenario)
    picture = network_picture(scenario.network, 3000, market.seed, market.network)
    assert picture.sampled and len(picture.slots) == MAX_DRAWN, f"expected {MAX_DRAWN} of 3000 drawn"
    hub = int(np.argmax(market.network.degree))
    assert hub in picture.slots, "the sample grows around the best-connected person"
    drawn = set(picture.slots.tolist())
    for a, b in picture.ties[:50]:
        slot_a, slot_b = picture.slots[a], picture.slots[b]
        assert market.network.adjacency[slot_a, slot_b] == 1, "every drawn tie is a tie of the market"
    assert len(drawn) == MAX_DRAWN


def test_a_mean_field_market_has_no_picture():
    scenario = load_scenario("scenarios/baseline.toml", {"market.size": 200, "network.type": "complete"})
    model = DashboardModel(scenario)
    assert network_picture(scenario.network, 200, model.seed, model.market.network) is None
    assert "no ties" in network_chart(model).axes[0].texts[0].get_text()


def test_charts_show_the_market_as_it_stands(small):
    model = _stepped(DashboardModel(small, compare_strategy="relations"))
    recorder = model.market.recorder
    lines = customers_chart(model).axes[0].get_lines()
    assert [line.get_label() for line in lines] == recorder.firm_names
    assert np.array_equal(lines[0].get_ydata(), recorder.customers[: WEEKS + 1, 0]), (
        "customers of 'us' by week"
    )
    bars = acquisitions_chart(model).axes[0].patches
    won = recorder.acquired[1 : WEEKS + 1, :, 1:].sum()
    assert math.isclose(sum(bar.get_width() for bar in bars), won), f"acquisition bars should add to {won}"
    lost = recorder.churned[1 : WEEKS + 1].sum()
    assert math.isclose(sum(bar.get_width() for bar in churn_chart(model).axes[0].patches), lost)
    dots = network_chart(model).axes[0].collections[1]
    customers = int((model.market.customers.firm >= 0).sum())
    grey = sum(1 for colour in dots.get_facecolors() if np.allclose(colour[:3], 217 / 255, atol=0.01))
    assert 400 - grey == customers, f"expected {customers} coloured people, got {400 - grey}"
    titles = [axis.get_title() for axis in comparison_chart(model).axes]
    assert "us: balanced" in titles[0] and "us: relations" in titles[1], f"got {titles}"


def test_relations_split_default_is_all_relations():
    assert relations_share(RELATIONS_SPLIT) == 1.0


def test_cli_rejects_a_bad_scenario_or_port(capsys):
    assert main(["dashboard", "scenarios/baseline.toml", "--set", "market.sise=3"]) == 2
    assert "market.sise" in capsys.readouterr().err
    assert main(["dashboard", "scenarios/baseline.toml", "--port", "70000"]) == 2
    assert "--port 70000" in capsys.readouterr().err


def test_a_missing_package_is_named_with_how_to_install_it(monkeypatch):
    monkeypatch.setattr(server, "REQUIRED_MODULES", ("solara", "no_such_dashboard_module"))
    with pytest.raises(server.DashboardUnavailable, match=r"no-such-dashboard-module.*\[dashboard\]"):
        server.check_installed()
