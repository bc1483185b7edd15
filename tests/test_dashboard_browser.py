"""`sim dashboard` in a real browser: start the server, open the page in headless Chromium (Debian's
chromium driven by Playwright, no browser download), change a slider, press Reset, step a few
weeks, and check that the week counter and the charts changed, that the slider's value reached the
model, and that the page fetched nothing from outside this machine; then set the rival's response,
strike our price cut and see its reaction listed. Saves a screenshot
(results/dashboard/screenshot.png, and one under the test's temporary folder)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from sim.dashboard.server import free_port

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = next((found for name in ("chromium", "chromium-browser") if (found := shutil.which(name))), None)
STEPS = 3
MARKET = 400  # people: the network is drawn whole and a week takes milliseconds

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - the test extra installs it
    sync_playwright = None

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
def dashboard():
    """The dashboard of a small baseline on a free port; stopped afterwards whatever happens."""
    port = free_port()
    command = [
        sys.executable,
        "-c",
        "import sys; from sim.cli import main; sys.exit(main(sys.argv[1:]))",
        "dashboard",
        "scenarios/baseline.toml",
        "--port",
        str(port),
        "--set",
        f"market.size={MARKET}",
    ]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
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
                output = process.communicate()[0]
                pytest.fail(f"the dashboard did not start at {url}; its output:\n{output}")
            time.sleep(0.3)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout:
            process.stdout.close()


def _chart_pictures(page) -> list[bytes]:
    """A screenshot of each chart image on the page."""
    images = page.locator("img")
    return [images.nth(i).screenshot() for i in range(images.count())]


def test_slider_reset_and_steps_change_the_page(dashboard, tmp_path):
    requests: list[str] = []
    failures: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 2000})
            page.on("request", lambda request: requests.append(request.url))
            page.on("requestfailed", lambda request: failures.append(request.url))
            page.on("response", lambda r: failures.append(f"{r.status} {r.url}") if r.status >= 400 else None)
            page.goto(dashboard)
            page.wait_for_selector("text=Week 0 of 260", timeout=60_000)
            # Six charts: customers, acquisitions, churn, CAC/LTV, network, side by side.
            page.wait_for_function("document.querySelectorAll('img').length >= 6", timeout=30_000)
            assert page.get_by_text(f"{MARKET} people, seed 1").is_visible(), "the headline names the market"

            budget = page.get_by_role("slider", name="us: budget a week")
            assert budget.get_attribute("aria-valuenow") == "2000", (
                "the budget slider starts at the file's 2000"
            )
            track = page.locator(".v-input__slider", has_text="us: budget a week").locator(".v-slider")
            box = track.bounding_box()
            page.mouse.click(box["x"] + 0.8 * box["width"], box["y"] + box["height"] / 2)
            moved = int(budget.get_attribute("aria-valuenow"))
            assert moved > 3000, f"clicking at 80% of the slider should move it to about 4000, got {moved}"
            page.get_by_role("button", name="Reset").click()
            page.wait_for_selector(f"text=us (balanced, {moved:,} a week)", timeout=30_000)

            before = _chart_pictures(page)
            for week in range(1, STEPS + 1):
                page.get_by_role("button", name="Step").click()
                page.wait_for_selector(f"text=Week {week} of 260", timeout=30_000)
            page.wait_for_function(
                "[...document.querySelectorAll('img')].length >= 6", timeout=30_000
            )  # the last redraw has landed when the counter shows the week and the images are back
            page.wait_for_timeout(1500)
            after = _chart_pictures(page)
            screenshot = page.screenshot(full_page=True)
            # Mesa 3.3 shows "Step: N", Mesa 3.5 (Python 3.12+) "Time: N.0"
            steps_text = page.get_by_text(re.compile(r"^(Step|Time): ")).inner_text()
        finally:
            browser.close()

    saved = ROOT / "results" / "dashboard" / "screenshot.png"
    saved.parent.mkdir(parents=True, exist_ok=True)
    for path in (tmp_path / "dashboard.png", saved):
        path.write_bytes(screenshot)
    assert steps_text.strip() in (f"Step: {STEPS}", f"Time: {STEPS}.0"), f"Mesa's counter: got {steps_text!r}"
    assert len(before) == len(after) >= 6, (
        f"six charts expected before and after, got {len(before)}, {len(after)}"
    )
    changed = [b != a for b, a in zip(before, after, strict=True)]
    # The customers, acquisitions, churn, CAC/LTV and side-by-side charts grow every week; the
    # network changes colour only where someone joined or left, so it may look the same.
    assert sum(changed) >= 5, f"expected the charts to change after {STEPS} weeks, changed: {changed}"
    hosts = {urlsplit(url).hostname for url in requests if url.startswith("http")}
    assert hosts == {"127.0.0.1"}, f"the page should fetch nothing from outside this machine, got {hosts}"
    assert not failures, f"every request should succeed (nothing missing offline), failed: {failures[:5]}"


def test_a_market_event_and_the_rival_s_response_reach_the_page(dashboard, tmp_path):
    """The rival's "how it responds" control (described in the sidebar) set to price matcher, then
    Reset; our price cut to 30 struck from the "Market event now" panel before week 1 is reported
    with its name and week; the rival perceives the market 2 weeks late, so it matches in week 4,
    which the reactions panel under the charts lists."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 2600})
            page.goto(dashboard)
            page.wait_for_selector("text=Market event now", timeout=60_000)
            guide = page.locator(".sim-personalities")
            for words in ("passive", "price matcher", "retaliator", "defender", "aggressor"):
                assert guide.get_by_text(words, exact=True).is_visible(), (
                    f"the sidebar should describe {words!r}"
                )
            control = page.locator(".v-select", has_text="rival: how it responds to rivals")
            assert control.locator(".v-select__selection").inner_text() == "passive", (
                "the rival's control starts at the file's: no response table, passive"
            )
            control.click()
            page.get_by_role("option", name="price matcher").click()
            page.get_by_role("button", name="Reset").click()
            page.wait_for_selector(
                "text=rival (neglect, 0 a week; responds as a price matcher)", timeout=30_000
            )

            page.locator(".sim-events .v-select").nth(1).click()  # the panel's firm (after its event)
            page.get_by_role("option", name="us", exact=True).click()
            price = page.get_by_label("new price")
            price.fill("30")
            price.press("Enter")
            page.get_by_role("button", name="Strike now").click()
            page.wait_for_selector("text='us price 30' strikes in week 1", timeout=30_000)
            for week in range(1, 5):
                page.get_by_role("button", name="Step").click()
                page.wait_for_selector(f"text=Week {week} of 260", timeout=30_000)
            reactions = page.locator(".sim-responses")
            reactions.get_by_text("price 40.00 -> 30.00: matched us's 30.00").first.wait_for(timeout=30_000)
            table = reactions.locator("table").inner_text()
            page.screenshot(path=tmp_path / "responses.png", full_page=True)
        finally:
            browser.close()
    first = table.splitlines()[1].split("\t")
    assert first[:4] == ["4", "as set", "rival", "us's price 30.00 is 25% below its 40.00"], (
        f"expected the rival's match in week 4 (cut in week 1 + 1 + a delay of 2), got {first}"
    )
