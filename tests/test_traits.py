"""Per-person traits (issue 21, item 3): the normal, truncated-normal and file families, the
multipliers of each person's hazards (susceptibilities, churn frailties) and the Gaussian copula."""

from __future__ import annotations

import contextlib
import io
import math
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from sim.agents.customers import Customers, draw_from, varying_multipliers
from sim.cli import main
from sim.scenario import Dist, Scenario, ScenarioError, load_scenario
from sim.simulation import simulate
from sim.streams import Streams
from sim.validation import churn_scenario


def _cli(args: list[str]) -> tuple[int, str]:
    """``sim ARGS`` in this process: exit status and what it printed to stderr."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main(args)
    return code, err.getvalue()


def _people(personas: dict, size: int = 2000, seed: int = 3) -> Customers:
    scenario = Scenario.model_validate({"market": {"size": size}, "personas": personas})
    return Customers(scenario, Streams(seed))


# --------------------------------------------------------------------------- families


def test_truncated_normal_stays_in_range_and_has_scipys_mean():
    dist = Dist(dist="truncated_normal", mean=0.2, sd=0.3, low=0.0, high=1.0)
    values = draw_from(dist, Streams(1).uniform("x", 0, np.arange(20_000)))
    assert values.min() >= 0 and values.max() <= 1, f"expected [0, 1], got {values.min()}..{values.max()}"
    expected = stats.truncnorm.mean((0 - 0.2) / 0.3, (1 - 0.2) / 0.3, loc=0.2, scale=0.3)
    # the mean of 20,000 draws: its standard error is the sd / sqrt(20,000) ~ 0.0015; 4 of them
    se = stats.truncnorm.std((0 - 0.2) / 0.3, (1 - 0.2) / 0.3, loc=0.2, scale=0.3) / math.sqrt(20_000)
    assert abs(values.mean() - expected) < 4 * se, f"expected mean {expected:.4f}, got {values.mean():.4f}"


def test_a_persona_refuses_a_normal_and_a_truncation_outside_the_range():
    with pytest.raises(ScenarioError, match="use truncated_normal"):
        Scenario().with_overrides(
            {"personas.mainstream.basket_size": {"dist": "normal", "mean": 1, "sd": 0.3}}
        )
    bad = {"dist": "truncated_normal", "mean": 0.3, "sd": 0.1, "low": 0.0, "high": 1.5}
    with pytest.raises(ScenarioError, match=r"personas\.mainstream\.bandwagon_threshold.*\[0, 1\]"):
        Scenario().with_overrides({"personas.mainstream.bandwagon_threshold": bad})


def test_the_default_scenario_draws_no_multiplier():
    assert varying_multipliers(Scenario()) == (), "expected every multiplier to be the constant 1"
    people = _people({"everyone": {}}, size=100)
    assert people.word_of_mouth_susceptibility.strides == (0,), "expected a view of 1s (no memory)"
    assert not people.demography_per_person, "expected the demographic hazards by persona"


# --------------------------------------------------------------------------- trait files


@pytest.fixture(scope="module")
def trait_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("traits")
    rates = np.round(np.linspace(0.05, 0.95, 300), 6)
    (folder / "people.csv").write_text("rate,threshold\n" + "".join(f"{r},{1 - r}\n" for r in rates))
    return folder


def test_a_trait_read_from_a_file_takes_each_slots_row(trait_file):
    spec = {"dist": "file", "path": str(trait_file / "people.csv"), "column": "rate"}
    scenario = Scenario.model_validate(
        {"market": {"size": 300}, "personas": {"a": {"purchase_rate": spec}, "b": {"purchase_rate": 0.5}}}
    )
    people = Customers(scenario, Streams(2))
    rows = np.round(np.linspace(0.05, 0.95, 300), 6).astype(np.float32)
    in_a = people.persona == 0
    assert in_a.sum() > 50 and (~in_a).sum() > 50, "expected both personas in the market"
    assert np.array_equal(people.purchase_rate[in_a], rows[in_a]), "expected persona a's slots' rows"
    assert np.all(people.purchase_rate[~in_a] == np.float32(0.5)), "expected persona b's constant"
    # A newcomer who takes a slot of persona a takes the slot's row.
    slot = np.flatnonzero(in_a)[:1]
    people.replace(slot, week=3, reason=np.zeros(1, dtype=np.int8))
    if people.persona[slot[0]] == 0:
        assert people.purchase_rate[slot[0]] == rows[slot[0]], "expected the newcomer to read the slot's row"


@pytest.mark.parametrize(
    ("column", "size", "message"),
    [
        ("rate", 299, "300 rows; a trait file needs one row per simulated person"),
        ("missing", 300, "has no column 'missing'"),
        ("rate_x10", 300, "values must be in [0, 1]"),
    ],
)
def test_a_bad_trait_file_exits_2_with_one_line(trait_file, column, size, message):
    text = (trait_file / "people.csv").read_text().splitlines()
    if column == "rate_x10":
        (trait_file / "wide.csv").write_text(
            "rate_x10\n" + "\n".join(str(float(line.split(",")[0]) * 10) for line in text[1:]) + "\n"
        )
    name = "wide.csv" if column == "rate_x10" else "people.csv"
    scenario = trait_file / f"bad_{column}.toml"
    scenario.write_text(
        f'[market]\nsize = {size}\n[personas.a.bandwagon_threshold]\ndist = "file"\npath = "{name}"\ncolumn = "{column}"\n'
    )
    code, err = _cli(["validate", str(scenario)])
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1, f"expected exit 2 and one line, got {code}: {err}"
    assert message in lines[0] and str(scenario) in lines[0], (
        f"expected {message!r} and the file, got {lines[0]}"
    )
    assert "personas.a.bandwagon_threshold" in lines[0], f"expected the dotted key, got {lines[0]}"


def test_a_relative_trait_file_is_read_from_the_scenarios_folder(trait_file):
    scenario = trait_file / "relative.toml"
    scenario.write_text(
        '[market]\nsize = 300\n[personas.a]\npurchase_rate = {dist = "file", path = "people.csv", column = "rate"}\n'
    )
    loaded = load_scenario(scenario)
    assert loaded.personas["a"].purchase_rate.path == str(trait_file / "people.csv"), (
        "expected an absolute path"
    )


# --------------------------------------------------------------------------- the copula

COPULA = {
    "purchase_rate": {"dist": "gamma", "mean": 0.25, "cv": 1.0},
    "basket_size": {"dist": "lognormal", "mean": 1.0, "cv": 0.7},
    "bandwagon_threshold": {"dist": "truncated_normal", "mean": 0.3, "sd": 0.2, "low": 0, "high": 1},
    "word_of_mouth_susceptibility": {"dist": "gamma", "mean": 1.0, "cv": 0.5},
}


@pytest.fixture(scope="module")
def correlated() -> tuple[Customers, Customers]:
    """20,000 people of one persona with and without a copula (rho 0.6 between purchase rate and
    basket size, -0.5 between threshold and word-of-mouth susceptibility)."""
    matrix = [[1, 0.6, 0, 0], [0.6, 1, 0, 0], [0, 0, 1, -0.5], [0, 0, -0.5, 1]]
    traits = ["purchase_rate", "basket_size", "bandwagon_threshold", "word_of_mouth_susceptibility"]
    with_copula = _people({"p": {**COPULA, "correlation": {"traits": traits, "matrix": matrix}}}, size=20_000)
    return with_copula, _people({"p": COPULA}, size=20_000)


def test_the_copulas_rank_correlation_is_six_over_pi_asin_half_rho(correlated):
    people, _ = correlated
    n = people.size
    for a, b, rho in (
        ("purchase_rate", "basket_size", 0.6),
        ("bandwagon_threshold", "word_of_mouth_susceptibility", -0.5),
        ("purchase_rate", "bandwagon_threshold", 0.0),
    ):
        expected = 6 / math.pi * math.asin(rho / 2)
        measured = stats.spearmanr(getattr(people, a), getattr(people, b)).statistic
        # Spearman's sampling sd under a Gaussian copula is about (1 - rs^2) / sqrt(n - 1)
        # (~0.0047 at rs = 0.58, n = 20,000; 0.0071 at rs = 0); 4 sd.
        tolerance = 4 * (1 - expected**2) / math.sqrt(n - 1)
        assert abs(measured - expected) < tolerance, (
            f"{a} ~ {b}: expected rank correlation {expected:.4f} +- {tolerance:.4f}, got {measured:.4f}"
        )


def test_the_copula_keeps_each_traits_distribution_and_the_rest_of_the_draws(correlated):
    people, plain = correlated
    # The first trait of each block and every trait outside the table are drawn as without it.
    for trait in ("purchase_rate", "price_sensitivity", "appreciation_decay", "joining_products"):
        assert np.array_equal(getattr(people, trait), getattr(plain, trait)), f"expected {trait} unchanged"
    assert not np.array_equal(people.basket_size, plain.basket_size), "expected basket size correlated"
    # Each correlated trait keeps its marginal: two samples of 20,000 from one distribution.
    for trait in ("basket_size", "word_of_mouth_susceptibility"):
        result = stats.ks_2samp(getattr(people, trait), getattr(plain, trait))
        assert result.pvalue > 0.001, f"{trait}: expected the same marginal, KS p = {result.pvalue:.2g}"


@pytest.mark.parametrize(
    ("matrix", "message"),
    [
        ([[1, 0.6], [0.5, 1]], "symmetric"),
        ([[1, 1.0], [1.0, 1]], "positive definite"),
        ([[2, 0.6], [0.6, 1]], "diagonal must be all 1"),
        ([[1, 0.6, 0], [0.6, 1, 0]], "must be 2 x 2"),
    ],
)
def test_a_bad_correlation_matrix_is_refused(matrix, message):
    correlation = {"traits": ["purchase_rate", "basket_size"], "matrix": matrix}
    with pytest.raises(ScenarioError, match=rf"personas\.mainstream\.correlation.*{message}"):
        Scenario().with_overrides({"personas.mainstream.correlation": correlation})


def test_a_constant_trait_cannot_be_correlated():
    correlation = {"traits": ["purchase_rate", "complaint_propensity"], "matrix": [[1, 0.3], [0.3, 1]]}
    with pytest.raises(ScenarioError, match="complaint_propensity is a constant"):
        Scenario().with_overrides({"personas.mainstream.correlation": correlation})


# --------------------------------------------------------------------------- the multipliers in the rules


def _adoption_market(personas: dict, **adoption: float) -> Scenario:
    base = {"innovation": 0.0, "word_of_mouth": 0.0, "bandwagon_jump": 0.0, "awareness_required": False}
    return Scenario.model_validate(
        {
            "run": {"weeks": 12},
            "market": {"size": 1500, "initial_awareness": 1.0},
            "network": {"type": "complete"},
            "personas": personas,
            "firms": {"solo": {"initial_share": 0.05, "budget": 0.0, "strategy": "neglect"}},
            "behaviours": {"adoption": base | adoption, "churn": {"enabled": False}},
        }
    )


@pytest.mark.parametrize(
    ("trait", "reason"),
    [
        ("advertising_susceptibility", {"innovation": 0.05}),
        ("word_of_mouth_susceptibility", {"word_of_mouth": 0.5}),
    ],
)
def test_a_susceptibility_of_zero_shuts_out_that_reason(trait, reason):
    scenario = _adoption_market(
        {"deaf": {"share": 1, trait: 0.0}, "keen": {"share": 1, trait: 2.0}}, **reason
    )
    people = simulate(scenario, seed=4).customers
    won = people[people["channel"].isin(["organic", "word_of_mouth"])]
    by_persona = won["persona"].value_counts()
    assert by_persona.get("deaf", 0) == 0, (
        f"expected no adoption among the deaf, got {by_persona.get('deaf')}"
    )
    assert by_persona.get("keen", 0) > 50, f"expected the keen to adopt, got {by_persona.get('keen', 0)}"


@pytest.fixture(scope="module")
def frail_cohorts():
    """Three cohorts of 2,000 with a weekly unappreciated hazard of 0.02 times a frailty of 0, 1
    and 2 (a persona each), 30 weeks."""
    base = churn_scenario(2000, hazard=0.02, weeks=30)
    personas = {name: {"purchase_rate": 0.25, "basket_size": 1.0, "share": 1.0, "unappreciated_frailty": f}
                for name, f in (("none", 0.0), ("one", 1.0), ("two", 2.0))}  # fmt: skip
    scenario = base.with_overrides({"personas": personas})
    people = simulate(scenario, seed=6).customers
    return people[people["acquired_week"] == 1]


def test_a_churn_frailty_multiplies_that_reasons_hazard(frail_cohorts):
    left = frail_cohorts.groupby("persona")["churn_week"].apply(lambda w: w.notna().mean())
    assert left["none"] == 0, f"expected nobody with frailty 0 to churn, got {left['none']:.3f}"
    # P(churn within 29 draws) = 1 - exp(-29 x 0.02 x f): 0.440 at f = 1, 0.687 at f = 2; the
    # share in ~667 people has a binomial sd of ~0.019 and ~0.018; 4 sd.
    for name, frailty in (("one", 1.0), ("two", 2.0)):
        expected = 1 - math.exp(-29 * float(np.float32(0.02)) * frailty)
        n = int((frail_cohorts["persona"] == name).sum())
        tolerance = 4 * math.sqrt(expected * (1 - expected) / n)
        assert abs(left[name] - expected) < tolerance, (
            f"{name}: expected {expected:.3f} +- {tolerance:.3f} to churn, got {left[name]:.3f}"
        )


def test_a_died_frailty_makes_the_demographic_hazard_personal():
    personas = {"p": {"died_frailty": {"dist": "gamma", "mean": 1.0, "cv": 1.0}}}
    people = _people(personas, size=2000)
    assert people.demography_per_person, "expected personal demographic hazards"
    ratio = people.death_hazard / people.persona_death_hazard[people.persona]
    assert np.allclose(ratio, people.died_frailty, rtol=1e-6), "expected the hazard x the frailty"
    assert ratio.std() > 0.5, f"expected the frailty to vary (cv 1), got sd {ratio.std():.3f}"
