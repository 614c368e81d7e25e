"""End to end: `tipkit app` on a free localhost port, driven in headless Chromium as a user
would drive it: the first start builds the default release, a small what-if runs and its KPIs
appear; the datasets page shows the release. Screenshots go to test-artifacts/."""

import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--disable-background-networking", "--no-first-run",
                  "--disable-component-update", "--disable-sync"]
START_SECONDS = 120           # first start: building the default release, then the server
RUN_MS = 180_000              # a what-if of 20 replications on one process


def _chromium() -> str:
    path = shutil.which("chromium") or "/usr/bin/chromium"
    assert Path(path).is_file(), \
        "Chromium is needed for this test: apt-get install chromium (.ci/run does)"
    return path


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _tipkit() -> list[str]:
    script = Path(sys.executable).with_name("tipkit")
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-c", "from tipkit.cli import main; main()"]


@pytest.fixture
def server(tmp_path):
    """The app as a user starts it, on an empty releases folder (its first start)."""
    port = _free_port()
    releases = tmp_path / "releases"
    log = (tmp_path / "server.log").open("w")
    process = subprocess.Popen(
        _tipkit() + ["app", "--port", str(port), "--releases", str(releases),
                     "--scenarios", str(ROOT / "scenarios"), "--jobs", "1",
                     "--cache", str(tmp_path / "cache")],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        assert process.poll() is None, (tmp_path / "server.log").read_text()
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
                if answer.status == 200:
                    break
        except OSError:
            time.sleep(0.3)
    else:
        process.kill()
        pytest.fail("the app did not start: " + (tmp_path / "server.log").read_text())
    yield url, releases, tmp_path / "server.log"
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    log.close()


@pytest.fixture
def browser(tmp_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        # a fresh profile every time; Debian's Chromium, since nothing can be downloaded
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"), executable_path=_chromium(), headless=True,
            args=CHROMIUM_FLAGS, viewport={"width": 1400, "height": 2300})
        # every request the pages make must stay on this machine: any other is recorded (and
        # refused, so that the test cannot depend on it) and fails the test
        context.outside = []

        def only_this_machine(route):
            if urlsplit(route.request.url).hostname in ("127.0.0.1", "localhost"):
                route.continue_()
            else:
                context.outside.append(route.request.url)
                route.abort()

        context.route("**/*", only_this_machine)
        yield context
        context.close()


@pytest.mark.slow
def test_a_small_what_if_runs_in_the_browser_and_its_kpis_appear(server, browser):
    url, releases, log = server
    assert (releases / "iom-2018" / "legs.csv").is_file()
    assert "First start: building the default release" in log.read_text()
    assert "0.0.0.0" not in log.read_text()

    page = browser.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(url + "/")
    run = page.get_by_role("button", name="Run")
    run.wait_for(timeout=60_000)
    slider = page.get_by_role("slider", name="Specialist-trained officers (%)")
    slider.focus()
    for _ in range(10):                  # 10 steps of 5 points: half the officers
        page.keyboard.press("ArrowRight")
    page.get_by_text("5 specialist, 2 basic, 3 untrained").wait_for(timeout=30_000)
    run.click()
    metrics = page.locator('[data-testid="stMetric"]')
    metrics.first.wait_for(timeout=RUN_MS)
    page.get_by_text("In plain words").wait_for(timeout=30_000)
    page.locator(".js-plotly-plot").first.wait_for(timeout=30_000)
    time.sleep(1.0)                      # let the charts finish drawing for the screenshot
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "app-whatif.png"))

    assert metrics.count() == 5
    first = metrics.first.inner_text()
    assert "Victims identified" in first and "%" in first and "pts" in first
    body = page.locator("body").inner_text()
    assert "95% CI" in body and "20 replications each" in body
    assert "identifications" in body
    assert "Traceback" not in body and not errors

    page.goto(url + "/datasets")
    page.get_by_text("Privacy, in plain words").wait_for(timeout=60_000)
    page.locator(".js-plotly-plot").nth(3).wait_for(timeout=30_000)
    time.sleep(1.0)
    page.screenshot(path=str(ARTIFACTS / "app-datasets.png"))
    body = page.locator("body").inner_text()
    assert "of the 8,000 synthetic cases" in body and "15 of 15 figures hold" in body
    assert not errors
    assert browser.outside == [], f"the app asked hosts beyond this machine: {browser.outside}"


@pytest.mark.slow
def test_every_page_opens_at_its_own_address(server, browser):
    """A bookmark or a shared link to /whatif, /budget, /calibrate or /datasets opens that page
    (no "Page not found"); the bare address opens the what-if explorer at /whatif."""
    url, _, _ = server
    page = browser.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    titles = {"": "What-if explorer", "/whatif": "What-if explorer",
              "/budget": "Budget: what to buy, and where",
              "/calibrate": "Calibrate: does the model agree with what your border recorded?",
              "/datasets": "Datasets"}
    for address, title in titles.items():
        page.goto(url + address)
        page.get_by_role("heading", name=title).wait_for(timeout=60_000)
        time.sleep(1.0)                  # a "Page not found" dialog comes after the page
        body = page.locator("body").inner_text()
        assert "Page not found" not in body, address
        assert urlsplit(page.url).path == (address or "/whatif")
    assert not errors
    assert browser.outside == []
