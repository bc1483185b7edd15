"""How fast `sim dashboard` plays, measured in a real browser (Debian's chromium driven by Playwright).

Starts `sim dashboard` on a scenario at ``--customers`` people, opens it in headless Chromium and
prints one JSON line: ``first_chart_s`` (from opening the page to the first chart drawn in the
browser), ``weeks_per_s`` while playing at each ``--speed`` asked for (the week counter read from
the page at the start and the end of ``--seconds`` of play; the page's own figure beside it), and
the machine's load. A screenshot of the page after playing goes to ``--screenshot``.

    .venv/bin/python benchmarks/dashboard_speed.py --customers 10000 --seconds 8
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sim.dashboard.server import free_port  # noqa: E402

CHROMIUM = next((found for name in ("chromium", "chromium-browser") if (found := shutil.which(name))), None)


def start(scenario: str, customers: int) -> tuple[subprocess.Popen, str]:
    """`sim dashboard` on a free port; returns the process and its address once it answers."""
    port = free_port()
    command = [sys.executable, "-m", "sim.cli", "dashboard", scenario, "--port", str(port),
               "--set", f"market.size={customers}"]  # fmt: skip
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5):
                return process, url
        except OSError:
            time.sleep(0.3)
    process.kill()
    raise SystemExit(f"the dashboard did not start at {url}")


def week_on_page(page) -> int:
    text = page.locator(".sim-week").inner_text()
    return int(re.match(r"Week (\d+)", text).group(1))


def measure(url: str, speeds: list[str], seconds: float, screenshot: Path | None) -> dict:
    from playwright.sync_api import sync_playwright

    figures: dict = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1500, "height": 2200})
            opened = time.perf_counter()
            page.goto(url)
            page.wait_for_selector(
                ".sim-chart-customers svg .layer_1_marks path", state="attached", timeout=120_000
            )
            figures["first_chart_s"] = round(time.perf_counter() - opened, 2)
            for speed in speeds:
                page.locator(".sim-restart").click()
                page.wait_for_selector("text=Week 0 of", timeout=60_000)
                chosen = page.locator(".sim-speed .v-select__selection").inner_text().strip()
                if chosen != speed:
                    page.locator(".sim-speed .v-select__slot").click()
                    page.locator(".v-menu__content .v-list-item", has_text=speed).first.click()
                page.locator(".sim-play").click()
                page.wait_for_function(
                    "(e => e && !/Week 0 of/.test(e.innerText))(document.querySelector('.sim-week'))"
                )
                first, began = week_on_page(page), time.perf_counter()
                page.wait_for_timeout(seconds * 1000)
                last, ended = week_on_page(page), time.perf_counter()
                page.locator(".sim-play").click()  # pause
                page.wait_for_selector("text=Played", timeout=30_000)
                shown = page.locator(".sim-live-chart[data-kind='customers']").get_attribute("data-shown")
                figures[f"weeks_per_s_at_{speed.replace(' ', '_')}"] = round(
                    (last - first) / (ended - began), 1
                )
                figures[f"page_says_at_{speed.replace(' ', '_')}"] = page.locator(".sim-market").inner_text()
                figures[f"chart_shows_week_at_{speed.replace(' ', '_')}"] = shown
            if screenshot:
                screenshot.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=screenshot, full_page=True)
        finally:
            browser.close()
    return figures


def model_only(scenario: str, customers: int, weeks: int = 52) -> float:
    """Weeks a second of the page's model alone (both arms, no page), in this process: the ceiling
    the page's play can reach on this machine at this moment."""
    from sim import load_scenario
    from sim.dashboard.market import DashboardModel, dashboard_params, initial_settings

    loaded = load_scenario(scenario, {"market.size": customers})
    model = DashboardModel(**initial_settings(dashboard_params(loaded)))
    model.step()
    began = time.perf_counter()
    for _ in range(weeks):
        model.step()
    return weeks / (time.perf_counter() - began)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="scenarios/baseline.toml")
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=8.0, help="seconds of play per speed")
    parser.add_argument("--speeds", default="20,as fast as it goes", help="comma-separated speed choices")
    parser.add_argument("--screenshot", type=Path, default=ROOT / "results" / "dashboard" / "speed.png")
    args = parser.parse_args()
    if CHROMIUM is None:
        raise SystemExit("chromium not found (apt-get install chromium)")
    process, url = start(args.scenario, args.customers)
    try:
        figures = measure(url, args.speeds.split(","), args.seconds, args.screenshot)
    finally:
        process.terminate()
        process.wait(timeout=20)
    ceiling = model_only(args.scenario, args.customers)
    print(json.dumps({"customers": args.customers, "scenario": args.scenario, **figures,
                      "model_only_weeks_per_s": round(ceiling, 1),
                      "load_average": os.getloadavg()[0]}))  # fmt: skip


if __name__ == "__main__":
    main()
