"""Scenario files: strict validation with messages naming the file, dotted key, value, allowed."""

import tomllib

import pytest

from sim import ScenarioError, load_scenario
from sim.scenario import Scenario

from .helpers import BASELINE, CONQUEST_VS_RELATIONS


def error_for(path, **overrides) -> str:
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path, overrides={k.replace("__", "."): v for k, v in overrides.items()})
    return str(caught.value)


def test_shipped_scenarios_are_valid():
    for path in (BASELINE, CONQUEST_VS_RELATIONS):
        scenario = load_scenario(path)
        assert len(scenario.firms) == 2, f"expected two firms in {path.name}"


def test_misspelt_key_names_file_key_value_and_allowed_keys(write_scenario):
    path = write_scenario("[firms.us]\nbudgte = 100\n")
    message = error_for(path)
    assert str(path) in message, f"expected the file name in: {message}"
    assert "firms.us.budgte = 100" in message, f"expected the dotted key and value in: {message}"
    assert "unknown key" in message and "budget" in message, f"expected the allowed keys in: {message}"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "[runn]\nweeks = 3\n",
            "runn = {'weeks': 3}: unknown key; allowed keys in the top level: run, market",
        ),
        ("[run]\nweeks = -3\n", "run.weeks = -3: Input should be greater than or equal to 1"),
        ("[run]\nweeks = 'many'\n", "run.weeks = 'many': expected a whole number, got a string ('many')"),
        ("[market]\nsize = 1\n", "market.size = 1: Input should be greater than or equal to 2"),
        ("[network]\ntype = 'scale_free'\n", "network.type = 'scale_free': not a known type; allowed:"),
        ("[network]\nrewire = 2\n", "network.rewire = 2: Input should be less than or equal to 1"),
        ("[network]\nmean_degree = 7\n", "network.mean_degree = 7: must be even"),
        (
            "[network]\ntype = 'barabasi_albert'\nrewire = 0.1\n",
            "network.rewire = 0.1: unknown key; allowed keys in [network]: type, attach",
        ),
        (
            "[firms.us]\nstrategy = 'conqest'\n",
            "firms.us.strategy = 'conqest': unknown strategy 'conqest'; built-in strategies: ",
        ),
        ("[firms.us]\nsplit = {search_adz = 0.5}\n", "unknown lever 'search_adz'; allowed levers: "),
        ("[firms.us]\nsplit = {search_ads = 0.7, social_ads = 0.6}\n", "lever shares must sum to at most 1"),
        ("[firms.us]\nquality = 1.5\n", "firms.us.quality = 1.5: Input should be less than or equal to 1"),
        ("[firms.us]\nparams = {speed = 3}\n", "unknown parameter 'speed' for strategy 'neglect'"),
        (
            "[firms.a]\ninitial_share = 0.6\n[firms.b]\ninitial_share = 0.5\n",
            "initial_share must sum to less than 1",
        ),
        (
            "[personas.p]\npurchase_rate = {dist = 'gamma', mean = 1}\n",
            "personas.p.purchase_rate = {'dist': 'gamma', 'mean': 1}: a gamma distribution takes exactly mean, cv; got mean",
        ),
        (
            "[personas.p]\nbandwagon_threshold = {dist = 'beta', mean = 0.5, sd = 0.9}\n",
            "beta sd must be < 0.5",
        ),
        (
            "[personas.p]\ncolour = 'red'\n",
            "personas.p.colour = 'red': unknown key; allowed keys in [personas.p]: share, ",
        ),
        (
            "[behaviours.churn]\nunappreciated_rat = 0.1\n",
            "behaviours.churn.unappreciated_rat = 0.1: unknown key; allowed keys in [behaviours.churn]: enabled,",
        ),
        (
            "[behaviours.wom]\nq = 0.1\n",
            "behaviours.wom = {'q': 0.1}: unknown key; allowed keys in [behaviours]: adoption, referral",
        ),
        (
            "[levers.search_ads]\nunit_cost = 0\n",
            "levers.search_ads.unit_cost = 0: Input should be greater than or equal to 0.0001",
        ),
        (
            "[levers.search_ads]\npersonas = ['nobody']\n",
            ": levers.search_ads.personas = ['nobody']: names 'nobody'; personas in this scenario:",
        ),
        (
            "[levers.referral_programme]\nmax_reach = 0.5\n",
            "levers.referral_programme.max_reach = 0.5: unknown key",
        ),
        (
            "[market]\nsize = 8\n[network]\nmean_degree = 10\n",
            ": network.mean_degree = 10: must be < market.size = 8",
        ),
        (
            "[personas.p]\ncomplaint_propensity = 1.5\n",
            "personas.p.complaint_propensity = 1.5: values must be in [0, 1], got 1.5..1.5",
        ),
        (
            "[personas.p]\nappreciation_decay = {dist = 'gamma', mean = 0.1, cv = 1}\n",
            "personas.p.appreciation_decay = {'dist': 'gamma', 'mean': 0.1, 'cv': 1}: a gamma distribution can exceed 1.0",
        ),
        (
            "[personas.p]\npurchase_rate = {dist = 'uniform', low = -1, high = 1}\n",
            "personas.p.purchase_rate = {'dist': 'uniform', 'low': -1, 'high': 1}: values must be in [0, 1000], got -1.0..1.0",
        ),
    ],
)
def test_bad_keys_and_values_are_named(write_scenario, text, expected):
    message = error_for(write_scenario(text))
    assert expected in message, f"expected {expected!r} in the error, got:\n{message}"


def test_missing_and_malformed_files(write_scenario, tmp_path):
    assert "scenario file not found" in error_for(tmp_path / "nope.toml")
    assert "not valid TOML" in error_for(write_scenario("[run\nweeks=3"))


def test_overrides_are_parsed_as_toml_values():
    scenario = load_scenario(
        BASELINE,
        overrides={"run.weeks": "12", "firms.us.price": "45.5", "behaviours.referral.enabled": "false"},
    )
    assert scenario.run.weeks == 12, "expected '12' to become the integer 12"
    assert scenario.firms["us"].price == 45.5, "expected '45.5' to become a float"
    assert scenario.behaviours.referral.enabled is False, "expected 'false' to become False"


def test_override_of_a_value_as_if_it_were_a_table_is_an_error():
    message = error_for(BASELINE, run__weeks__max=3)
    assert "run.weeks is a value, not a table" in message, message


def test_setting_a_strategy_by_name_resets_its_split():
    scenario = load_scenario(CONQUEST_VS_RELATIONS, overrides={"firms.rival.strategy": "conquest"})
    assert scenario.firms["rival"].split is None, "expected the relations split to be dropped"
    kept = load_scenario(
        CONQUEST_VS_RELATIONS,
        overrides={"firms.rival.strategy": "conquest", "firms.rival.split.search_ads": 1.0},
    )
    assert kept.firms["rival"].split == {"search_ads": 1.0}, "expected a split set alongside to stay"


def test_setting_the_network_type_drops_the_old_types_keys():
    scenario = load_scenario(BASELINE, overrides={"network.type": "barabasi_albert"})
    assert scenario.network.type == "barabasi_albert" and scenario.network.attach == 5


def test_resolved_scenario_reads_back_identically(tmp_path):
    scenario = load_scenario(CONQUEST_VS_RELATIONS)
    text = scenario.to_toml()
    path = tmp_path / "resolved.toml"
    path.write_text(text)
    again = load_scenario(path)
    assert again.to_dict() == scenario.to_dict(), "expected the resolved scenario to round-trip"
    data = tomllib.loads(text)
    assert (
        data["behaviours"]["churn"]["unappreciated_rate"] == Scenario().behaviours.churn.unappreciated_rate
    ), "expected every default to be written out"


# --------------------------------------------------------------------------- numbers that cannot crash a run


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("firms.us.budget", "inf", "firms.us.budget = inf: must be a finite number"),
        ("firms.us.budget", "-inf", "firms.us.budget = -inf: must be a finite number"),
        ("firms.us.price", "nan", "firms.us.price = nan: must be a finite number"),
        ("firms.us.price", "1e999", "firms.us.price = inf: must be a finite number"),
        ("firms.us.price", "true", "firms.us.price = True: expected a number, got a boolean (true)"),
        ("firms.us.price", '"40"', "firms.us.price = '40': expected a number, got a string ('40')"),
        (
            "firms.us.price",
            "1e300",
            "firms.us.price = 1e+300: Input should be less than or equal to 1000000000",
        ),
        (
            "firms.us.budget",
            "1e300",
            "firms.us.budget = 1e+300: Input should be less than or equal to 1000000000000",
        ),
        ("run.weeks", "true", "run.weeks = True: expected a whole number, got a boolean (true)"),
        ("run.weeks", "52.5", "run.weeks = 52.5: expected a whole number, got 52.5"),
        ("run.weeks", "1e6", "run.weeks = 1000000.0: Input should be less than or equal to 5200"),
        ("run.seed", "2147483648", "run.seed = 2147483648: Input should be less than or equal to 2147483647"),
        ("market.size", "1e999", "market.size = inf: must be a finite number"),
        ("behaviours.adoption.price_weight", "1e13", "must be at most 1e+12 in size"),
        (
            "behaviours.referral.enabled",
            "1",
            "behaviours.referral.enabled = 1: expected true or false, got int",
        ),
        ("run.start_date", "0", "run.start_date = 0: expected a date such as 2026-01-05, got int"),
        ("run.start_date", "9999-01-01", "run.start_date = 9999-01-01: must be on or before 9899-12-31"),
        ("levers.search_ads.unit_cost", "1e-9", "Input should be greater than or equal to 0.0001"),
        ("levers.search_ads.start_week", "99999", "Input should be less than or equal to 5200"),
        (
            "network.mean_degree",
            "2000",
            "network.mean_degree = 2000: Input should be less than or equal to 1000",
        ),
        ("personas.p.share", "nan", "personas.p.share = nan: must be a finite number"),
        (
            "personas.p.price_sensitivity",
            "inf",
            "personas.p.price_sensitivity = inf: must be a finite number",
        ),
        (
            "personas.p.price_sensitivity",
            "{dist = 'lognormal', mean = 1e6, cv = 1}",
            "mean must be at most 1000",
        ),
        ("personas.p.basket_size", "{dist = 'gamma', mean = 2, cv = 50}", "cv must be at most 10"),
        ("personas.p.purchase_rate", "{dist = 'uniform', low = 0, high = nan}", "must be a finite number"),
        ("personas.p.channel_response.search_ads", "true", "expected a number, got a boolean (true)"),
        ("firms.us.split.search_ads", "inf", "firms.us.split.search_ads = inf: must be a finite number"),
        ("firms.us.params.speed", "nan", "firms.us.params.speed"),
        ("sweep.uncertainties.market.size", "[1000, true]", "expected a whole number, got a boolean (true)"),
        ("sensitivity.uncertainties.firms.us.budget", "{low = 0, high = inf}", "must be a finite number"),
    ],
)
def test_numbers_are_finite_typed_and_bounded(key, value, expected):
    message = error_for(BASELINE, **{key.replace(".", "__"): value})
    assert expected in message, f"expected {expected!r} in the error, got:\n{message}"
    assert "\n" not in message, f"expected one line, got:\n{message}"


def test_arms_values_are_checked_like_the_scenario(write_scenario):
    path = write_scenario("[arms.a]\n'firms.us.budget' = 1e999\n[arms.b]\n'firms.us.price' = true\n")
    message = error_for(path)
    assert "in [arms.a]:" in message and "firms.us.budget = inf: must be a finite number" in message, message


def test_a_whole_number_written_as_a_float_is_accepted():
    scenario = load_scenario(BASELINE, overrides={"run.weeks": "52.0", "market.size": 3000.0})
    assert scenario.run.weeks == 52 and isinstance(scenario.run.weeks, int), "expected 52.0 to become 52"
    assert scenario.market.size == 3000, "expected 3000.0 to become 3000"


@pytest.mark.parametrize("name", ["../escaped", "a/b", "/tmp/x", "..", ".hidden", "a\\b", "c:d", "x\n", ""])
def test_run_name_is_a_plain_folder_name(name):
    message = error_for(BASELINE, run__name=repr(name) if name else '""')
    assert "run.name = " in message and "must be a plain folder name" in message, message


def test_a_file_stem_that_is_not_a_plain_name_becomes_one(tmp_path):
    path = tmp_path / "my:market.toml"
    path.write_text("[market]\nsize = 100\n")
    assert load_scenario(path).name == "my_market", "expected ':' replaced in the default run name"


def test_more_than_127_personas_validate():
    personas = {f"personas.p{i}.share": 1 for i in range(300)}
    assert len(load_scenario(BASELINE, personas).personas) == 300


def test_the_memory_estimate_follows_people_ties_and_departures():
    from sim.scenario import (
        MEMORY_BYTES_PER_DEPARTURE,
        MEMORY_BYTES_PER_PERSON,
        MEMORY_BYTES_PER_TIE,
        departures,
        memory_estimate,
    )

    base = load_scenario(BASELINE, {"market.size": 100_000})
    bigger = base.with_overrides({"market.size": 200_000})
    denser = base.with_overrides({"network.mean_degree": 20})
    everyone = {
        f"personas.{name}.{rate}": value
        for name in base.personas
        for rate, value in (("death_rate", 0.9), ("move_rate", 0))
    }
    leaving = base.with_overrides(everyone)
    grown = memory_estimate(bigger) - memory_estimate(base)
    per_person = MEMORY_BYTES_PER_PERSON + 5 * MEMORY_BYTES_PER_TIE  # 5 ties a person at degree 10
    expected = 100_000 * per_person + (departures(bigger) - departures(base)) * MEMORY_BYTES_PER_DEPARTURE
    assert grown == pytest.approx(expected, rel=0.001), f"expected ~{expected:.0f}, got {grown}"
    extra_ties = memory_estimate(denser) - memory_estimate(base)
    assert extra_ties == pytest.approx(500_000 * MEMORY_BYTES_PER_TIE, rel=0.01), extra_ties
    # 0.9 a year leaves 4.3% a week: 100,000 x 260 weeks x 4.33% departures
    assert departures(leaving) == pytest.approx(100_000 * 260 * (1 - 0.1 ** (1 / 52)), rel=1e-6)
    assert memory_estimate(leaving) > memory_estimate(base) + 1e6 * MEMORY_BYTES_PER_DEPARTURE


def test_a_market_too_large_for_memory_is_refused(monkeypatch):
    import sim.scenario.memory

    monkeypatch.setattr(sim.scenario.memory, "available_memory", lambda: 3 * 2**30)
    message = error_for(BASELINE, market__size=5_000_000)
    assert f"{BASELINE}: market.size = 5000000: too large for this machine's memory" in message, message
    assert "GiB (" in message and "3.0 GiB is available" in message, message
    # a sweep whose largest market (size and degree together) does not fit is refused too
    sweep = {
        "sweep.uncertainties.market.size": [1000, 2_000_000],
        "sweep.uncertainties.network.mean_degree": [10, 400],
    }
    message = error_for(BASELINE, **{k.replace(".", "__"): v for k, v in sweep.items()})
    assert "in [sweep.uncertainties] at" in message and "too large for this machine's memory" in message, (
        message
    )


def test_edge_list_files_are_checked_when_the_scenario_is_read(tmp_path, write_scenario):
    network = "[market]\nsize = 10\n[network]\ntype = 'edge_list'\npath = '{}'\n"
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "binary.txt").write_bytes(b"0 1\n\xff\xfe\n")
    (tmp_path / "folder").mkdir()
    for target, expected in [
        ("missing.txt", "edge-list file not found"),
        ("empty.txt", "the edge-list file is empty"),
        ("binary.txt", "not UTF-8 text"),
        ("folder", "not a file"),
    ]:
        message = error_for(write_scenario(network.format(target)))
        assert "network.path = " in message and expected in message, f"{target}: {message}"
    (tmp_path / "ring.txt").write_text("0 1\n1 2\n2 0\n")
    assert load_scenario(write_scenario(network.format("ring.txt"))).network.type == "edge_list"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"\x00\x01\x02", "not valid TOML"),
        (b"\xef\xbb\xbf\xff", "not UTF-8 text"),
        (b"\n\n   \n", "the scenario file is empty"),
        (b"# just a comment\n", "holds only comments"),
    ],
)
def test_files_that_are_not_scenarios(write_scenario, content, expected):
    path = write_scenario("")
    path.write_bytes(content)
    message = error_for(path)
    assert message.startswith(f"{path}: ") and expected in message, message


def test_several_problems_make_one_line_that_names_them_all(write_scenario):
    path = write_scenario("[firms.us]\nprice = -1\nbudget = inf\nquality = 2\n")
    message = error_for(path)
    assert "\n" not in message, f"expected one line, got:\n{message}"
    assert message.startswith(f"{path}: firms.us.price = -1: "), message
    assert "(and 2 more: firms.us.quality, firms.us.budget)" in message, message
