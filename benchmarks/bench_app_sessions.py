"""Many colleagues at once: `tipkit app` on 127.0.0.1, and N browser sessions (headless
Chromium, Playwright) that each press Run on a what-if at the same moment. Prints each
session's time to its answer against one session alone, the places in the queue they were
shown, the server's peak memory, and the same N sessions asking one identical question
(answered once, then from the cache).

    .venv/bin/python benchmarks/bench_app_sessions.py              # 10 sessions, 20 replications
    .venv/bin/python benchmarks/bench_app_sessions.py --sessions 3 --replications 2
"""

from __future__ import annotations

import argparse
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--disable-background-networking", "--no-first-run",
                  "--disable-component-update", "--disable-sync"]
START_SECONDS = 120
GIB = 1024 ** 3
POLL_SECONDS = 1.0
LOOK = """() => [document.querySelectorAll('[data-testid="stMetric"]').length,
  [...document.querySelectorAll('[data-testid="stProgress"]')].map(e => e.textContent),
  [...document.querySelectorAll('[data-testid="stAlert"]')].map(e => e.textContent)]"""


@dataclass
class Session:
    """One browser session: its seed, when it pressed Run, when its answer appeared, the
    queue places it was shown."""
    seed: int
    page: object = None
    clicked: float = 0.0
    answered: float | None = None
    places: set = field(default_factory=set)
    failure: str | None = None

    @property
    def seconds(self) -> float | None:
        return None if self.answered is None else self.answered - self.clicked


class Server:
    """`tipkit app` as a user starts it, on a free port of 127.0.0.1, with its own folders
    (the committed default release linked in), and its memory sampled while it runs."""

    def __init__(self, folder: Path, jobs: int | None = None, per_session: int = 2):
        self.folder = folder
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        releases = folder / "releases"
        releases.mkdir(parents=True, exist_ok=True)
        if not (releases / "iom-2018").exists():
            (releases / "iom-2018").symlink_to(ROOT / "releases" / "iom-2018")
        tipkit = Path(sys.executable).with_name("tipkit")
        command = ([str(tipkit)] if tipkit.is_file()
                   else [sys.executable, "-c", "from tipkit.cli import main; main()"])
        command += ["app", "--host", "127.0.0.1", "--port", str(self.port), "--releases",
                    str(releases), "--scenarios", str(ROOT / "scenarios"), "--cache",
                    str(folder / "cache"), "--per-session", str(per_session)]
        if jobs is not None:
            command += ["--jobs", str(jobs)]
        self.log_path = folder / "server.log"
        self._log = self.log_path.open("w")
        self.process = subprocess.Popen(command, cwd=folder, stdout=self._log,
                                        stderr=subprocess.STDOUT)
        self.url = f"http://127.0.0.1:{self.port}"
        self.peak = 0
        self._sampling = threading.Event()
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("the app did not start: " + self.log_path.read_text())
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                time.sleep(0.3)
        else:
            self.stop()
            raise RuntimeError("the app did not start: " + self.log_path.read_text())
        self._sampler = threading.Thread(target=self._sample, daemon=True)
        self._sampler.start()

    def memory(self) -> int:
        """Resident memory of the server and its worker processes, bytes."""
        import psutil

        try:
            root = psutil.Process(self.process.pid)
            tree = [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return 0
        total = 0
        for process in tree:
            try:
                total += process.memory_info().rss
            except psutil.NoSuchProcess:
                pass
        return total

    def _sample(self) -> None:
        while not self._sampling.wait(0.25):
            self.peak = max(self.peak, self.memory())

    def stop(self) -> None:
        self._sampling.set()
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._log.close()


def only_this_machine(route) -> None:
    """The benchmark talks to 127.0.0.1 only: any other request is refused."""
    if urlsplit(route.request.url).hostname in ("127.0.0.1", "localhost"):
        route.continue_()
    else:
        route.abort()


def open_session(browser, url: str, seed: int, replications: int) -> Session:
    """A new browser session (its own context: its own Streamlit session) on the what-if page,
    with the seed and replications set, ready to press Run."""
    context = browser.new_context(viewport={"width": 1400, "height": 1800})
    context.route("**/*", only_this_machine)
    page = context.new_page()
    page.goto(url + "/whatif")
    page.get_by_role("button", name="Run", exact=True).wait_for(timeout=120_000)
    page.get_by_text("Run settings").click()
    slider = page.get_by_role("slider", name="Replications (each a simulated run)")
    slider.focus()
    for _ in range(abs(20 - replications)):
        page.keyboard.press("ArrowLeft" if replications < 20 else "ArrowRight")
    seed_box = page.get_by_label("Seed", exact=True).and_(page.get_by_role("spinbutton"))
    seed_box.fill(str(seed))
    seed_box.press("Enter")
    page.wait_for_timeout(1500)         # the rerun that takes the new values
    return Session(seed, page)


def press_and_wait(sessions: list[Session], timeout: float) -> None:
    """Press Run in every session, one right after the other, then watch them all until each
    shows its answer (its KPIs), fails, or `timeout` passes (a hang)."""
    for s in sessions:
        s.page.get_by_role("button", name="Run", exact=True).click()
        s.clicked = time.monotonic()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any(s.answered is None and s.failure is None
                                              for s in sessions):
        for s in sessions:
            if s.answered is not None or s.failure is not None:
                continue
            # one cheap look per page (text content, no layout): the watcher must not take
            # the CPU the server needs
            metrics, progress, alerts = s.page.evaluate(LOOK)
            if metrics >= 5:
                s.answered = time.monotonic()
                continue
            for text in progress:
                if "Waiting: number" in text:
                    s.places.add(int(text.split("number ")[1].split()[0]))
            for alert in alerts:
                if alert.startswith("Not started") or "error" in alert:
                    s.failure = alert
        time.sleep(POLL_SECONDS)
    for s in sessions:
        if s.answered is None and s.failure is None:
            s.failure = f"no answer within {timeout:.0f} s (hung)"


def measure(sessions: int, replications: int, jobs: int | None = None,
            timeout_factor: float = 30.0) -> dict:
    """Start the app, time one session alone, then `sessions` at once with different seeds,
    then `sessions` at once asking the same question; return the figures."""
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or CHROMIUM
    with tempfile.TemporaryDirectory(prefix="tipkit-bench-app-") as tmp, \
            sync_playwright() as playwright:
        server = Server(Path(tmp), jobs=jobs)
        epoch = time.time() - time.monotonic()      # monotonic -> wall clock
        browser = None
        try:
            browser = playwright.chromium.launch(executable_path=chromium, headless=True,
                                                 args=CHROMIUM_FLAGS)
            alone = [open_session(browser, server.url, 1000, replications)]
            press_and_wait(alone, START_SECONDS + 600)
            single = alone[0].seconds
            if single is None:
                raise RuntimeError(f"one session alone got no answer: {alone[0].failure}")
            many = [open_session(browser, server.url, 1 + i, replications)
                    for i in range(sessions)]
            press_and_wait(many, timeout_factor * single * sessions + 120)
            same = [open_session(browser, server.url, 2000, replications)
                    for _ in range(sessions)]
            press_and_wait(same, timeout_factor * single + 120)
            memory_now = server.memory()
            # when the server finished each run (its cache file), against the pages' answers
            finished = sorted(p.stat().st_mtime for p in (Path(tmp) / "cache").glob("*.pickle"))
        finally:
            if browser is not None:
                browser.close()
            server.stop()
        log = server.log_path.read_text()
    return {"sessions": sessions, "replications": replications, "single": single,
            "finished": finished, "epoch": epoch,
            "many": many, "same": same, "peak": server.peak, "end": memory_now, "log": log}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=10)
    parser.add_argument("--replications", type=int, default=20)
    parser.add_argument("--jobs", type=int, default=None,
                        help="processes a run may use (default: all cores)")
    args = parser.parse_args()
    started = time.monotonic()
    found = measure(args.sessions, args.replications, args.jobs)
    single, many, same = found["single"], found["many"], found["same"]
    print(f"tipkit app, {args.sessions} browser sessions (headless Chromium, 127.0.0.1), "
          f"airport what-if of {args.replications} replications each")
    print(f"  one session alone: answer after {single:.1f} s")
    print("  all at once, different seeds (one queue, one run at a time on all cores):")
    for s in many:
        where = (f"shown places {sorted(s.places, reverse=True)}" if s.places
                 else "started at once")
        result = f"{s.seconds:6.1f} s" if s.seconds is not None else f"FAILED: {s.failure}"
        print(f"    seed {s.seed:>3}: {result}  ({where})")
    answered = [s.seconds for s in many if s.seconds is not None]
    failed = [s for s in many + same if s.failure]
    last = max(answered) if answered else float("nan")
    print(f"  last answer {last:.1f} s = {last / single:.1f}x one session alone "
          f"(target <= 10x); failed or hung: {len(failed)}")
    pressed = min(s.clicked for s in many) + found["epoch"]
    server_side = [t - pressed for t in found["finished"] if t > pressed][:len(many)]
    print("  the server finished those runs after: "
          + ", ".join(f"{t:.0f}" for t in server_side) + " s")
    same_times = [s.seconds for s in same if s.seconds is not None]
    if same_times:
        print(f"  all at once, the same question: answers after {min(same_times):.1f} to "
              f"{max(same_times):.1f} s (run once, the others joined it)")
    print(f"  server memory (app and its worker processes): peak {found['peak'] / GIB:.2f} GiB "
          f"(target < 4 GiB)")
    print(f"  benchmark took {time.monotonic() - started:.0f} s")
    if failed or last > 10 * single or found["peak"] >= 4 * GIB:
        sys.exit(1)


if __name__ == "__main__":
    main()
