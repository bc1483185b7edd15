"""The dashboard without a browser: controls -> scenario, the model the page steps and resets,
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
    PERSONALITIES,
    DashboardModel,
    dashboard_params,
    initial_settings,
    parse_seed,
    personality_description,
    reaction_marks,
    relations_share,
    running_metrics,
)
from sim.dashboard.network_picture import MAX_DRAWN, network_picture
from sim.plots import firm_colours
from sim.registry import resolve_response_class
from sim.responses import Response
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


# ---------------------------------------------------------------------- how the rivals respond


def _price_war(model: DashboardModel, cut_before: int = 3, weeks_after: int = 6) -> DashboardModel:
    """``model`` stepped ``cut_before`` weeks, then our price cut to 30 struck live (in the week
    after), then ``weeks_after`` more weeks."""
    _stepped(model, cut_before)
    struck = model.strike_now("price", firm="us", price=30)
    assert struck is not None and struck.week == cut_before + 1, f"the cut strikes next week, got {struck}"
    return _stepped(model, weeks_after)


def test_the_rival_personality_is_a_control_that_sets_its_response(small):
    params = dashboard_params(small)
    control = params["firms.rival.response.personality"]
    assert control["type"] == "Select" and control["value"] == "passive", (
        f"the rival's control should start at the file's (no response table: passive), got {control}"
    )
    assert control["values"] == ["passive", "price matcher", "retaliator", "defender", "aggressor"], (
        f"the five built-in personalities in words, got {control['values']}"
    )
    assert "firms.us.response.personality" not in params, "our own firm has no response control"
    untouched = DashboardModel(**initial_settings(params))
    assert untouched.overrides == {} and untouched.scenario_in_force.firms["rival"].response is None, (
        f"an untouched control should leave the file as it is, got {untouched.overrides}"
    )
    chosen = DashboardModel(
        **{**initial_settings(params), "firms.rival.response.personality": "price matcher"}
    )
    response = chosen.scenario_in_force.firms["rival"].response
    assert response is not None and response.personality == "price_matcher", (
        f"'price matcher' should set firms.rival.response.personality = 'price_matcher', got {response}"
    )
    assert chosen.comparison is not None and chosen.comparison.scenario.firms["rival"].response == response, (
        "the side-by-side arm runs the same rival"
    )
    for name, label in PERSONALITIES.items():
        described = personality_description(name)
        docstring = resolve_response_class(name).__doc__.strip().splitlines()[0]
        assert described == docstring, f"{label}: expected its docstring's first line, got {described!r}"


def test_a_price_matcher_follows_our_cut_and_the_charts_mark_it(small):
    """Our price cut to 30 strikes in week 4; the rival perceives the market 2 weeks late (the
    response's default delay), so it sees week 4's price in week 7 and matches it then."""
    settings = {"firms.rival.response.personality": "price matcher"}
    model = _price_war(DashboardModel(small, compare_strategy="conquest", **settings))
    marks = reaction_marks(model.market)
    assert [(m["week"], m["firm"], m["label"]) for m in marks] == [
        (7, "rival", "rival: matched price (30.00)")
    ], f"expected one match by the rival in week 7 (cut in week 4 + 1 + a delay of 2), got {marks}"
    assert model.market.firm("rival").price == 30.0, (
        f"the rival should charge our 30 now, got {model.market.firm('rival').price}"
    )
    axis = customers_chart(model).axes[0]
    markers = [line for line in axis.get_lines() if line.get_gid() == "reaction:rival:7"]
    assert len(markers) == 1 and list(markers[0].get_xdata()) == [7, 7], (
        f"expected one dashed line at week 7 on the customers chart, got {[m.get_xdata() for m in markers]}"
    )
    assert (
        markers[0].get_linestyle() == "--"
        and markers[0].get_color() == firm_colours(small.firm_names)["rival"]
    ), "a reaction is a dashed line in the reacting firm's colour"
    labels = [text.get_text() for text in axis.texts if text.get_gid() == "reaction-label"]
    assert labels == ["rival: matched price (30.00)"], f"expected the reaction's label, got {labels}"
    events = [line for line in axis.get_lines() if line.get_gid() == "event:us price 30"]
    assert events and events[0].get_linestyle() == ":", "the market event keeps its own dotted style"
    rows = model.reaction_rows()
    assert [(row["side"], row["week"]) for row in rows] == [("as set", 7), ("switched", 7)], (
        f"each arm's reactions are listed with its side, got {rows}"
    )
    assert "us's price 30.00" in rows[0]["saw"] and "40.00 -> 30.00" in rows[0]["did"], (
        f"the row says what the rival saw and did, got {rows[0]}"
    )
    assert "responds as a price matcher" in model.response_notes()[0], model.response_notes()


def test_each_side_by_side_arm_marks_its_own_reactions(small):
    """A retaliator reacts to losing share, so it reacts at other weeks when we play another
    strategy (seed 1: weeks 13 and 22 against our balanced plan, 11 and 23 against conquest):
    each arm of the side-by-side view marks its own reactions, not the other's."""
    scenario = small.with_overrides({"firms.rival.strategy": "conquest", "firms.rival.budget": 800})
    settings = {"firms.rival.response.personality": "retaliator"}
    model = _stepped(DashboardModel(scenario, seed=1, compare_strategy="conquest", **settings), 24)
    assert model.comparison is not None
    figure = comparison_chart(model)
    for axis, market in zip(figure.axes, (model.market, model.comparison), strict=True):
        drawn = sorted(
            line.get_xdata()[0] for line in axis.get_lines() if str(line.get_gid()).startswith("reaction:")
        )
        own = [reaction.week for reaction in market.reactions]
        assert own and drawn == own, (
            f"{market.scenario.firms['us'].strategy}: expected marks at {own}, got {drawn}"
        )
    weeks = [[r.week for r in m.reactions] for m in (model.market, model.comparison)]
    assert weeks[0] != weeks[1], f"the two arms should react differently here, got {weeks}"


class Cautious(Response):
    """Never moves first: a custom response for the dashboard's tests."""


def test_the_file_s_own_rules_are_kept_and_params_only_where_they_fit(small):
    own_rule = {
        "name": "match us when far cheaper",
        "when": {"kind": "rival_price_below", "rival": "us", "by": 0.2},
        "then": [{"kind": "match_price", "floor_margin": 0.05}],
    }
    scenario = small.with_overrides(
        {
            "firms.rival.strategy": "conquest",
            "firms.rival.budget": 800,
            "firms.rival.response.personality": "price_matcher",
            "firms.rival.response.params": {"tolerance": 0.1},
            "firms.rival.response.rules": [own_rule],
            "firms.rival.response.delay": 1,
        }
    )
    assert dashboard_params(scenario)["firms.rival.response.personality"]["value"] == "price matcher"
    same = DashboardModel(scenario, **{"firms.rival.response.personality": "price matcher"})
    assert same.overrides == {}, f"the file's own personality overrides nothing, got {same.overrides}"
    switched = DashboardModel(scenario, **{"firms.rival.response.personality": "retaliator"})
    response = switched.scenario_in_force.firms["rival"].response
    assert response.personality == "retaliator" and [r.name for r in response.rules] == [own_rule["name"]], (
        f"the file's own rule should stay with the new personality, got {response}"
    )
    assert response.params == {} and response.delay == 1, (
        f"tolerance is a price matcher's parameter (dropped); the delay stays, got {response}"
    )
    assert any("tolerance" in notice and "retaliator" in notice for notice in switched.notices), (
        f"the page should say the file's params were left out, got {switched.notices}"
    )
    note = switched.response_notes()[0]
    assert "retaliator" in note and "'match us when far cheaper'" in note and "1 week late" in note, (
        f"the panel should name the personality, the file's rule kept and the delay, got {note!r}"
    )


def test_a_personality_the_scenario_refuses_is_reported_and_the_file_is_used(small):
    """The baseline's rival (strategy neglect) funds no lever, so an aggressor has no spend to
    move to poaching: the scenario refuses it, naming the key."""
    model = DashboardModel(small, **{"firms.rival.response.personality": "aggressor"})
    assert model.scenario_in_force.firms["rival"].response is None, "the file's rival is used instead"
    assert any("firms.rival.response" in n and "funds no lever" in n for n in model.notices), (
        f"expected a notice naming the key and why, got {model.notices}"
    )


def test_a_custom_response_class_in_the_file_is_a_choice_of_its_own(small):
    spec = f"{__name__}:Cautious"
    scenario = small.with_overrides({"firms.rival.response.personality": spec})
    control = dashboard_params(scenario)["firms.rival.response.personality"]
    assert control["value"] == spec and control["values"][-1] == spec, (
        f"the file's custom class should be offered as it is, got {control}"
    )
    assert personality_description(spec) == "Never moves first: a custom response for the dashboard's tests."
    assert DashboardModel(scenario, **{"firms.rival.response.personality": spec}).overrides == {}


# --------------------------------------------------------------------------- issue 23: the page's own controls and live charts


def test_controls_are_grouped_in_the_user_s_words(small):
    from sim.dashboard.controls import control_label
    from sim.dashboard.market import GROUPS

    params = dashboard_params(small)
    groups = {spec["group"] for spec in params.values() if isinstance(spec, dict)}
    assert groups == {"The market", "Our firm (us)", "The rival (rival)", "Behaviour", "Side by side"}, (
        f"expected the market, our firm, the rival, behaviour, side by side; got {sorted(groups)}"
    )
    assert GROUPS[0] == "The market"
    assert params["firms.us.strategy"]["label"] == "our strategy", params["firms.us.strategy"]["label"]
    labels = " ".join(control_label(params, key) for key, spec in params.items() if isinstance(spec, dict))
    for jargon in ("'s strategy", "PAGE", "Use Threads", "_", "relations_share"):
        assert jargon not in labels, f"labels should be in the user's words, found {jargon!r} in: {labels}"


def test_pending_changes_say_from_what_to_what(small):
    from sim.dashboard.controls import pending_changes

    params = dashboard_params(small)
    start = initial_settings(params)
    assert pending_changes(params, start, dict(start)) == [], "nothing moved: nothing pending"
    moved = {**start, "firms.us.budget": 5000, "behaviours.adoption.word_of_mouth": 0.02}
    assert pending_changes(params, start, moved) == [
        "Our firm (us): budget a week 2,000 -> 5,000",
        "word of mouth 0.01 -> 0.02",
    ], f"got {pending_changes(params, start, moved)}"


def test_controls_that_do_nothing_are_disabled_with_the_reason(small):
    from sim.dashboard.controls import control_disabled

    params = dashboard_params(small)
    draft = initial_settings(params)
    assert control_disabled(params, draft, "firms.us.relations_share") is None, "us is balanced: it applies"
    reason = control_disabled(params, draft, "firms.rival.relations_share")
    assert reason and "balanced" in reason and "neglect" in reason, f"got {reason!r}"
    assert "spends nothing" in (control_disabled(params, draft, "firms.rival.budget") or ""), (
        "a neglecting firm's budget does nothing"
    )
    switched = {**draft, "firms.us.strategy": "conquest", "compare_strategy": "none"}
    assert "conquest" in (control_disabled(params, switched, "firms.us.relations_share") or "")
    assert control_disabled(params, switched, "compare_firm"), "no side by side: its firm does nothing"


def test_live_charts_start_with_week_0_and_keep_legends_outside(small):
    from sim.dashboard.charts import LIVE_CHARTS, bar_rows, live_data, live_spec

    model = DashboardModel(small, compare_strategy="relations")
    specs = {kind: live_spec(kind, model) for kind in LIVE_CHARTS}
    at_zero = [(row["firm"], row["customers"]) for row in specs["customers"]["datasets"]["customers"]]
    expected = [(firm, int(model.market.recorder.customers[0, i])) for i, firm in enumerate(small.firm_names)]
    assert at_zero == expected, f"week 0's customers should be in the chart's data: {at_zero} != {expected}"
    assert {row["week"] for row in specs["side_by_side"]["datasets"]["sides"]} == {0}
    for kind, spec in specs.items():
        orient = spec["config"]["legend"]["orient"]
        assert orient in ("bottom", "top", "left", "right"), (
            f"{kind}: legend {orient!r} may sit over the data"
        )
    assert bar_rows(model, "acquisitions") == [] == bar_rows(model, "churn"), "week 0: no bars (none yet)"
    _stepped(model, 3)
    appended, _replaced = live_data("customers", model, since=2)
    assert [row["week"] for row in appended["customers"]] == [3, 3], "only the week the browser lacks is sent"
    won = sum(row["count"] for row in bar_rows(model, "acquisitions"))
    assert won == model.market.recorder.acquired[1:4, :, 1:].sum(), (
        f"bars add to the customers won, got {won}"
    )


def test_the_network_painter_redraws_only_the_dots(small):
    from sim.dashboard.charts import NetworkPainter

    model = DashboardModel(small)
    painter = NetworkPainter()
    first = painter.png(model)
    background = painter._background
    _stepped(model, 4)
    later = painter.png(model)
    assert painter._background is background, "the ties and legend are drawn once per market"
    assert first != later and later[:4] == b"\x89PNG", "the dots change colour as customers join"
