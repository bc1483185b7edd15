"""The workshop panels of `sim dashboard` in a real browser (Debian's chromium driven by Playwright,
no browser download): side by side on "relations", replicates started, their progress shown and
cancelled, then run to the end with bands, verdicts and the arms' tables; a saved plan compared
on screen; and every download, its contents checked: the weekly table and summary (CSV), the
settings as a scenario (TOML) whose `sim run` gives the weekly table on screen, the bands (CSV)
and a chart as PNG and SVG. Saves a screenshot (results/dashboard/workshop.png)."""

from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from sim import load_scenario
from sim.dashboard.server import free_port
from sim.simulation import simulate

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = next((found for name in ("chromium", "chromium-browser") if (found := shutil.which(name))), None)
MARKET, WEEKS = 300, 13  # people, weeks: a run takes well under a second, so replicates finish quickly
STEPS, SEEDS = 2, 5  # two steps; the fewest seeds the replicates control takes (5-50)

try:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - the test extra installs it
    sync_playwright = PlaywrightTimeout = None

pytestmark = [
    pytest.mark.skipif(
        sync_playwright is None, reason="playwright is not installed (pip install -e '.[test]')"
    ),
    pytest.mark.skipif(
        CHROMIUM is None,
        reason="chromium not found: install Debian's chromium package (apt-get install chromium; "
        "make test does it when run as root)",
    ),
]


@pytest.fixture
def dashboard(tmp_path):
    """The dashboard of a small, short baseline on a free port; stopped afterwards whatever happens.
    Its output goes to a file (a pipe nobody reads would stall the server once full)."""
    port = free_port()
    log = (tmp_path / "dashboard.log").open("w")
    command = [sys.executable, "-c", "import sys; from sim.cli import main; sys.exit(main(sys.argv[1:]))",
               "dashboard", "scenarios/baseline.toml", "--port", str(port),
               "--set", f"market.size={MARKET}", "--set", f"run.weeks={WEEKS}"]  # fmt: skip
    process = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                process.wait()
                pytest.fail(f"the dashboard did not start at {url}; its output:\n{_tail(tmp_path)}")
            time.sleep(0.3)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def _tail(folder: Path, lines: int = 400) -> str:
    """The last lines of the dashboard's output."""
    return "\n".join((folder / "dashboard.log").read_text().splitlines()[-lines:])


def _what_the_page_says(page, folder: Path) -> str:
    """For a failure: a screenshot (results/dashboard/workshop-failure.png), the workshop panel's
    message and the server's last output."""
    saved = ROOT / "results" / "dashboard" / "workshop-failure.png"
    saved.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=saved, full_page=True)
    message = page.locator(".sim-workshop-message").all_inner_texts()
    return f"screenshot {saved}; the panel's message: {message}; the server's output:\n{_tail(folder)}"


def _download(page, label: str, folder: Path) -> Path:
    """Click the download button ``label`` and save what the browser receives."""
    with page.expect_download(timeout=30_000) as info:
        page.get_by_role("button", name=label).first.click()
    download = info.value
    path = folder / download.suggested_filename
    download.save_as(path)
    return path


def test_replicates_comparison_and_downloads(dashboard, tmp_path):
    plan = (
        tmp_path / "best.toml"
    )  # a saved plan: the scenario with us on relations, as sim optimise writes one
    plan.write_text(load_scenario("scenarios/baseline.toml", {"firms.us.strategy": "relations"}).to_toml())
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1500, "height": 2400}, accept_downloads=True)
            page.goto(dashboard)
            page.wait_for_selector("text=Replicates and paired comparison", timeout=60_000)
            control = page.locator(".sim-control-compare-strategy")  # the page's "Side by side" group
            assert control.locator(".v-select__selection").inner_text() == "relations", (
                "the side-by-side arm starts on relations for a balanced us"
            )
            page.locator(".sim-restart").click()
            page.wait_for_selector("text=Firm compared: us, as set against relations", timeout=30_000)
            for week in range(1, STEPS + 1):
                page.locator(".sim-step").click()
                page.wait_for_selector(f"text=Week {week} of {WEEKS}", timeout=90_000)  # a loaded machine

            # Cancelling a run is checked without a browser (tests/test_dashboard_workshop.py).
            typed = page.locator(".sim-seeds input")
            typed.fill(str(SEEDS))
            typed.press("Enter")
            page.get_by_role("button", name=f"Run {SEEDS} seeds").click()
            page.locator(".sim-verdict").first.wait_for(timeout=60_000)
            page.wait_for_function("document.querySelectorAll('.sim-chart svg').length >= 3",
                                   timeout=30_000)  # fmt: skip
            verdicts = page.locator(".sim-verdict").all_inner_texts()
            economics = page.locator(".sim-economics").inner_text()
            channels = page.locator(".sim-channels").inner_text()

            # A saved plan (relations too) compared on screen at the week shown.
            path = page.locator(".sim-plan-path input")
            path.fill(str(plan))
            path.press("Enter")
            page.wait_for_selector("text=as set against plan", timeout=30_000)
            page.get_by_role("button", name=f"Compare the markets on screen at week {STEPS}").click()
            page.locator(
                ".sim-comparison-caption", has_text=f"us at week {STEPS}, seed 1 (one seed"
            ).wait_for(timeout=60_000)
            snapshot = page.locator(".sim-economics").last.inner_text()

            takeaway = page.locator(".sim-takeaway").inner_text()
            files = {label: _download(page, label, tmp_path) for label in (
                "weekly table (CSV)", "summary (CSV)", "settings as a scenario (TOML)", "bands (CSV)",
                "customers bands (PNG)", "difference (SVG)")}  # fmt: skip
            page.screenshot(path=tmp_path / "workshop.png", full_page=True)
        except PlaywrightTimeout as timeout:
            pytest.fail(f"{timeout.message.splitlines()[0]}\n{_what_the_page_says(page, tmp_path)}")
        finally:
            browser.close()
    saved = ROOT / "results" / "dashboard" / "workshop.png"
    saved.parent.mkdir(parents=True, exist_ok=True)
    saved.write_bytes((tmp_path / "workshop.png").read_bytes())

    assert len(verdicts) >= 3, f"a verdict per headline metric expected, got {verdicts}"
    pattern = re.compile(
        rf"( (ahead|lower) on .+ over {SEEDS} paired seeds$|no difference beyond the noise of {SEEDS} seeds)"
    )
    for verdict in verdicts:
        assert pattern.search(verdict), (
            f"a verdict names a winner over {SEEDS} paired seeds or says it is noise, got {verdict!r}"
        )
    assert "CAC, fully loaded (all marketing spend / customers won)" in economics, (
        f"the unit economics name each ratio's basis, got:\n{economics}"
    )
    assert "difference (relations - balanced)" in economics and "search" in channels, (
        f"the arms' tables have a difference column and the channels, got:\n{economics}\n{channels}"
    )
    assert "plan best.toml" in snapshot, f"the on-screen comparison is against the plan, got:\n{snapshot}"

    assert f"What the page shows at week {STEPS}" in takeaway, f"the panel follows the week, got {takeaway!r}"
    weekly = list(csv.DictReader(io.StringIO(files["weekly table (CSV)"].read_text())))
    arms = {row["arm"] for row in weekly}
    weeks = sorted({int(row["week"]) for row in weekly})
    assert arms == {"as set", "switched"} and weeks == list(range(STEPS + 1)), (
        f"the weekly table holds both arms, weeks 0-{STEPS}; got {arms}, {weeks}"
    )
    summary = list(csv.DictReader(io.StringIO(files["summary (CSV)"].read_text())))
    profit = {(r["arm"], r["firm"]) for r in summary if r["metric"] == "profit"}
    assert profit == {("as set", "us"), ("as set", "rival"), ("switched", "us"), ("switched", "rival")}, (
        f"the summary has each arm's and firm's profit, got {profit}"
    )
    # The downloaded settings, run by `sim run`'s simulate, give the weekly table on screen.
    rerun = simulate(load_scenario(files["settings as a scenario (TOML)"])).timeseries
    shown_rows = [r for r in weekly if r["arm"] == "as set"]
    for row in shown_rows:
        again = rerun[(rerun["week"] == int(row["week"])) & (rerun["firm"] == row["firm"])].iloc[0]
        for column in ("customers", "new_customers", "churned", "spend", "profit"):
            assert float(row[column]) == pytest.approx(float(again[column]), rel=1e-12, abs=1e-9), (
                f"week {row['week']} {row['firm']} {column}: the file's run gives {again[column]}, "
                f"the page showed {row[column]}"
            )
    bands = list(csv.DictReader(io.StringIO(files["bands (CSV)"].read_text())))
    assert {r["arm"] for r in bands} == {"balanced", "relations", "difference"}, (
        "bands of both arms and the difference"
    )
    assert files["customers bands (PNG)"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", (
        "the PNG download is a PNG"
    )
    assert files["difference (SVG)"].read_text().lstrip().startswith("<svg"), "the SVG download is an SVG"
