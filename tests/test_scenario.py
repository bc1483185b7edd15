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
