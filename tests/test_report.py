"""`sim report` and what it stands on: the spell tracker (sim/cohorts.py), the comparison and the
executive summary (sim/report/), and the page itself: built for the baseline, it holds the
figures, no error output, no code and no reference to anything on the network."""

from __future__ import annotations

import json
import re

import nbformat
import pytest

from sim import load_scenario, simulate
from sim.cli import main
from sim.cohorts import LifecycleRunner, SpellTracker, survival_table
from sim.model import CustomerMarket
from sim.report import REPORT_METRICS, gather, remote_references, report_facts

SMALL = {"market.size": 1500, "run.weeks": 80}


def test_lifecycle_runner_returns_exactly_what_simulate_does():
    scenario = load_scenario("scenarios/conquest_vs_relations.toml", SMALL)
    summary, series = LifecycleRunner()(scenario, 3)
    reference = simulate(scenario, seed=3)
    assert {k: v for k, v in summary.items() if k != "lifecycle"} == reference.summary, (
        "tracking spells must not change a single number of the run"
    )
    assert series.equals(reference.timeseries), "the weekly table should be simulate()'s"


@pytest.mark.parametrize("seed", [1, 2])
def test_spells_count_every_acquisition_and_their_value_is_the_summary_ltv(seed):
    scenario = load_scenario("scenarios/conquest_vs_relations.toml", SMALL)
    market = CustomerMarket(scenario, seed=seed)
    tracker = SpellTracker(market)
    while market.running:
        market.step()
        tracker.observe(market)
    from sim.simulation import collect

    summary = collect(market).summary
    spells = tracker.spells(market)
    for firm, result in summary["firms"].items():
        won = spells[(spells["firm"] == firm) & (spells["channel"] != "initial")]
        assert len(won) == result["acquired"], (
            f"{firm}: one spell per acquisition ({result['acquired']}), got {len(won)}"
        )
        by_channel = won["channel"].value_counts().to_dict()
        expected = {c: n for c, n in result["acquired_by_channel"].items() if n}
        assert by_channel == expected, f"{firm}: spells by channel {by_channel} != acquisitions {expected}"
        ended = int(spells.loc[spells["firm"] == firm, "churned"].sum())
        assert ended == result["churned"], f"{firm}: {result['churned']} churned, {ended} spells ended"
        # The summary books each purchase's margin to the customer's acquisition exactly as the
        # spells do, except for the week a switcher's margin changes hands: measured differences
        # 0.01-0.3% on 3,000-10,000 people, so 1% fails only if value went missing.
        assert won["value"].mean() == pytest.approx(result["ltv"], rel=0.01), (
            f"{firm}: mean spell value {won['value'].mean():.2f} should be the summary LTV {result['ltv']:.2f}"
        )


def test_kaplan_meier_counts_censored_customers_only_while_watched():
    # 10 won: 2 leave after 1 week, 4 are watched for 1 week only (censored), 4 leave after 2.
    block = {"survival": {"won": {"ended": [0, 2, 4], "censored": [0, 4, 0]}}}
    curve = survival_table({"a": [block]}, min_at_risk=1)
    assert curve["retained"].round(4).tolist() == [1.0, 0.8, 0.0], (
        "Kaplan-Meier: 2 of 10 leave in week 1 (0.8), then all 4 still watched leave (0.0)"
    )
    assert curve["at_risk"].tolist() == [10, 10, 4]


@pytest.fixture(scope="module")
def arms():
    scenario = load_scenario("scenarios/conquest_vs_relations.toml", SMALL)
    return gather(scenario, runs=3, jobs=1, cascade_size=0)


def test_comparison_pairs_arms_by_seed_and_summary_names_the_winners(arms):
    comparison = arms.comparison
    assert list(comparison["arms"]) == ["conquest", "relations"] and comparison["baseline_arm"] == "conquest"
    for metric in ("cac", "retention_yearly", "ltv", "profit"):
        conquest = [r[metric] for r in arms.groups["conquest"].firm_runs]
        relations = [r[metric] for r in arms.groups["relations"].firm_runs]
        paired = sum(b - a for a, b in zip(conquest, relations, strict=True)) / len(conquest)
        assert comparison["differences"]["relations"][metric]["mean"] == pytest.approx(paired), (
            f"{metric}: the difference should be the mean of per-seed differences"
        )
    text = arms.summary_markdown()
    for metric, title in (("profit", "Profit"), ("customer_equity", "Customer equity")):
        means = {g: comparison["arms"][g][metric]["mean"] for g in arms.groups}
        best = max(means, key=means.get)
        line = next(line for line in text.splitlines() if line.startswith(f"- **{title}**"))
        assert f"**{best} is ahead**" in line or f"**{best} leads, not clearly**" in line, (
            f"the {title} line should name {best} (the higher mean) first: {line}"
        )
        assert comparison["rankings"][metric]["order"][0] == best
    for title in ("Cost to win a customer (CAC, fully loaded)", "Retention", "Lifetime value (LTV) net"):
        assert f"**{title}" in text, f"the summary should have a line on {title}"
    assert len(re.findall(r"\[[-+0-9.,% p]+, [-+0-9.,% p]+\]", text)) >= 8, (
        "values should carry their 95% CIs"
    )
    bottom = next(line for line in text.splitlines() if line.startswith("**Bottom line:**"))
    assert "CAC" not in bottom and "times what winning" not in bottom, (
        f"a ratio is never the headline: {bottom}"
    )
    table = arms.table()
    assert list(table.index) == [label for _, label, _ in REPORT_METRICS]
    assert table.columns.tolist() == [
        "conquest",
        "relations",
        "relations - conquest (paired)",
        "P(relations better)",
    ]


def _numbers(text: str) -> list[str]:
    """Every formatted number in a text: 1,234, -12.5, 85.4%, +0.5 pp, 31,437 ..."""
    return re.findall(r"[-+]?\d+(?:,\d{3})*(?:\.\d+)?(?: pp|%)?", text)


def test_every_number_of_the_verdict_is_on_the_page(arms):
    """The executive summary's verdict and evidence quote only numbers shown in the comparison
    and ranking tables (or the run's size), so a reader can find each one."""
    page = arms.table().to_html() + arms.ranking_table().to_html()
    text = arms.summary_markdown()
    verdict = text[text.index("**The verdict**") :]
    derived = re.compile(r"\d+% left out")  # a share computed from two numbers of the table
    allowed = {str(arms.runs), f"{arms.weeks}", "95"}
    missing = [
        n
        for n in _numbers(derived.sub("", verdict))
        if n.lstrip("+-") not in allowed and n.lstrip("+-") not in page
    ]
    assert not missing, f"numbers of the summary not on the page: {missing}"


def test_a_ratio_whose_denominator_leaves_out_spend_is_not_the_headline(arms):
    arm = arms.comparison["arms"]["relations"]
    assert arm["acquisition_spend"]["mean"] < 0.9 * arm["spend"]["mean"], (
        "the test needs an arm that spends mostly on keeping customers"
    )
    text = arms.summary_markdown()
    assert "not used to judge" in text and "relations spends" in text, (
        "the summary should say why acquisition-only CAC is not used for relations"
    )
    headline = text[text.index("**The verdict**") : text.index("**Why**")]
    assert "CAC" not in headline and "LTV" not in headline, f"the verdict is on profit and equity: {headline}"


def test_without_arms_the_report_compares_the_firms_of_the_same_runs():
    data = gather(
        load_scenario("scenarios/baseline.toml", {"market.size": 600, "run.weeks": 30}),
        runs=2,
        jobs=1,
        cascade_size=0,
    )
    assert data.mode == "firms" and list(data.groups) == ["us", "rival"]
    assert "us (balanced)" in data.table().columns and "rival (neglect)" in data.table().columns


def test_sim_report_builds_a_self_contained_page_for_the_baseline(tmp_path, capsys):
    out = tmp_path / "report"
    status = main(
        ["report", "scenarios/baseline.toml", "--runs", "3", "--jobs", "1", "--out", str(out),
         "--set", "market.size=800", "--set", "run.weeks=52"]
    )  # fmt: skip
    assert status == 0, capsys.readouterr().err
    page = (out / "report.html").read_text()
    facts = report_facts(page)
    # customers, forest, acquisitions, retention, waterfall, CAC/LTV, value, spend, penetration,
    # cascade, and one channel-retention figure per firm with enough customers won (read back from
    # the cache).
    data = gather(
        load_scenario("scenarios/baseline.toml", {"market.size": 800, "run.weeks": 52}),
        runs=3,
        out=out,
        jobs=1,
    )
    expected = 10 + sum(len(data.retention_by_channel(firm)) > 0 for firm in data.groups)
    assert facts["figures"] == expected, (
        f"expected the {expected} figures of the baseline report, found {facts['figures']}"
    )
    assert facts["errors"] == 0, "the page should hold no error output"
    assert facts["code_inputs"] == 0, "no code should be shown"
    assert remote_references(page) == [], (
        f"the page should load nothing from the network: {remote_references(page)}"
    )
    assert "http://" not in re.sub(r"/\*.*?\*/", "", page, flags=re.DOTALL).replace(
        "http://www.w3.org", ""
    ), "no http reference outside comments and XML namespaces"
    for heading in ("Executive summary", "The comparison", "How long customers stay", "Why customers leave"):
        assert heading in page, f"the page should have a section {heading!r}"
    assert "rival (neglect)" in page and "us (balanced)" in page, "the table should compare the two firms"
    notebook = nbformat.read(out / "report.ipynb", as_version=4)
    injected = [c for c in notebook.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1 and "RUNS = 3" in injected[0].source, (
        "the executed notebook records its parameters"
    )
    comparison = json.loads((out / "comparison.json").read_text())
    assert comparison["runs"] == 3 and comparison["mode"] == "firms"
    assert not list(out.glob(".*.tmp")), "no temporary files should be left behind"
    assert "report written to" in capsys.readouterr().out


def test_sim_report_rejects_bad_input_with_exit_status_2(tmp_path, capsys):
    assert main(["report", "scenarios/baseline.toml", "--runs", "1", "--out", str(tmp_path / "r")]) == 2
    assert "--runs 1: a report needs at least 2 runs" in capsys.readouterr().err
    assert (
        main(
            ["report", "scenarios/baseline.toml", "--set", "firms.us.budgte=1", "--out", str(tmp_path / "r")]
        )
        == 2
    )
    assert "firms.us.budgte" in capsys.readouterr().err
    assert not (tmp_path / "r" / "report.html").exists(), "nothing is written for bad input"


def test_how_rivals_responded_lists_what_each_response_did_in_every_run():
    # The price war: our plan cuts to 34 in week 13; a matcher with a delay of 2 sees it in week 16.
    # Only the price-cut arm provokes it; the table's row is recomputed from the runs' summaries.
    data = gather(
        load_scenario(
            "scenarios/price_war.toml",
            {"market.size": 800, "run.weeks": 30, "firms.rival.response.personality": "price_matcher"},
        ),
        runs=2,
        jobs=1,
        cascade_size=0,
    )
    assert data.has_reactions, "expected the matcher to react to our price cut"
    table = data.reactions_table()
    assert list(table["strategy"]) == ["price_cut"], f"expected only the price-cut arm to provoke it: {table}"
    row = table.iloc[0]
    firsts = [s["reactions"][0]["week"] for s in data.groups["price_cut"].summaries]
    assert firsts == [16, 16], f"expected week 13 + 1 + delay 2 = 16 in both runs, got {firsts}"
    assert (row["runs"], row["first week"], row["rule"]) == ("2 of 2", "16", "match the cheapest rival"), row
    assert row["and did"] == "price 40.00 -> 34.00: matched us's 34.00", row["and did"]
