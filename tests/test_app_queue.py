"""The app server's one queue: runs wait their turn on a fixed number of workers and know their
place and time to start, a session may queue only so many, identical requests are answered
once (joined while under way, then from the cache, in memory and on disk), a first emulated
answer reaches the page marked as such, and the pages say how long a run takes."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tipkit.app import budget, jobs, settings, whatif
from tipkit.app.jobs import Job, JobQueue, QueueFull, ResultCache, Speeds
from tipkit.errors import UserError
from tipkit.sim.model.scenario_files import load_scenario

ROOT = Path(__file__).resolve().parents[1]
MAIN = ROOT / "app" / "screens" / "app_main.py"
WAIT = 30


def held(result, gate: threading.Event, calls: list):
    """Work that runs until `gate` opens, counting its calls."""
    def work(advance, early):
        calls.append(result)
        advance(0.5, "half way")
        assert gate.wait(WAIT)
        return result
    return work


def test_runs_wait_their_turn_and_know_their_place_and_time_to_start():
    queue = JobQueue(workers=1, per_session=2, speeds=Speeds({"sweep": 1.0}))
    gate, calls = threading.Event(), []
    first = queue.submit("ann", held("a", gate, calls), kind="sweep", units=10)
    second = queue.submit("bob", held("b", gate, calls), kind="sweep", units=20)
    third = queue.submit("cy", held("c", gate, calls), kind="sweep", units=30)
    for _ in range(100):
        if first.state == "running":
            break
        threading.Event().wait(0.05)
    assert first.state == "running" and second.state == third.state == "waiting"
    assert [queue.position(j) for j in (first, second, third)] == [0, 1, 2]
    assert second.estimate == 20 and third.estimate == 30
    # the first run is half done after an instant: the second starts when it ends, the third
    # after the second's estimated 20 s
    to_second, to_third = queue.seconds_to_start(second), queue.seconds_to_start(third)
    assert 0 <= to_second < 5 and to_third == pytest.approx(to_second + 20, abs=0.5)
    assert queue.seconds_to_start() == pytest.approx(to_third + 30, abs=0.5)   # after all
    assert calls == ["a"]                                  # one worker: one run at a time
    gate.set()
    assert all(j.wait(WAIT) for j in (first, second, third))
    assert [j.result for j in (first, second, third)] == ["a", "b", "c"]
    assert calls == ["a", "b", "c"]                        # first come, first served
    assert "sweep" in queue.speeds.measured       # the measured speed replaces the prior


def test_a_session_may_queue_only_so_many_and_is_told_why():
    queue = JobQueue(workers=1, per_session=2)
    gate, calls = threading.Event(), []
    mine = [queue.submit("ann", held(i, gate, calls), kind="whatif") for i in range(2)]
    with pytest.raises(QueueFull, match="you already have 2 runs waiting or running, the most "
                                        "one session may have on this server"):
        queue.submit("ann", held(2, gate, calls), kind="whatif")
    other = queue.submit("bob", held(3, gate, calls), kind="whatif")    # others are not held
    gate.set()
    assert all(j.wait(WAIT) for j in (*mine, other))
    again = queue.submit("ann", held(4, gate, calls), kind="whatif")    # room again
    assert again.wait(WAIT) and again.result == 4
    assert queue.pending("ann") == 0


def test_identical_requests_run_once_then_come_from_the_cache():
    queue = JobQueue(workers=1, per_session=2)
    gate, calls = threading.Event(), []
    first = queue.submit("ann", held("answer", gate, calls), kind="whatif", key="k1")
    joined = queue.submit("bob", held("answer", gate, calls), kind="whatif", key="k1")
    assert joined is first                        # under way: the second asker joins it
    gate.set()
    assert first.wait(WAIT) and not first.cached
    later = queue.submit("cy", held("answer", gate, calls), kind="whatif", key="k1")
    assert later.cached and later.result == "answer" and not later.running
    assert calls == ["answer"]                    # the work ran once for three askers
    other = queue.submit("cy", held("other", gate, calls), kind="whatif", key="k2")
    assert other.wait(WAIT) and calls == ["answer", "other"]


def test_a_failed_run_is_one_line_not_cached_and_the_queue_goes_on():
    queue = JobQueue(workers=1)

    def broken(advance, early):
        raise ValueError("no such thing")

    failed = queue.submit("ann", broken, kind="whatif", key="k")
    assert failed.wait(WAIT)
    assert failed.error == "unexpected error (ValueError): no such thing"
    assert queue.cache.get("k") is None
    retried = queue.submit("ann", lambda advance, early: 7, kind="whatif", key="k")
    assert retried.wait(WAIT) and retried.result == 7 and not retried.cached


def test_the_cache_keeps_the_most_recent_in_memory_and_everything_on_disk(tmp_path):
    cache = ResultCache(capacity=2, folder=tmp_path / "cache")
    for key in ("a", "b", "c"):
        cache.put(key, {"answer": key})
    assert list(cache._memory) == ["b", "c"]          # the least recently used went first
    restarted = ResultCache(capacity=2, folder=tmp_path / "cache")
    assert restarted.get("a") == {"answer": "a"}      # a new server reads it from disk
    (tmp_path / "cache" / "b.pickle").write_bytes(b"not a pickle")
    assert restarted.get("b") is None                 # a damaged file is only a miss
    memory_only = ResultCache(capacity=2)
    memory_only.put("a", 1)
    assert memory_only.get("a") == 1 and memory_only.get("z") is None


def test_a_first_emulated_answer_is_kept_until_the_result_settles_it():
    gate = threading.Event()

    def work(advance, early):
        early("Specialists at the airport, about 61%")
        assert gate.wait(WAIT)
        return "confirmed"

    job = JobQueue(workers=1).submit("ann", work, kind="budget")
    for _ in range(100):
        if job.early_answer is not None:
            break
        threading.Event().wait(0.05)
    assert job.early_answer == "Specialists at the airport, about 61%" and job.running
    gate.set()
    assert job.wait(WAIT) and job.result == "confirmed"


def test_an_estimate_is_a_fixed_part_and_the_measured_speed():
    speeds = Speeds()
    airport = 40 * 8000.0                 # 20 replications of the base and the option
    assert speeds.estimate("whatif", airport) == pytest.approx(14.5, rel=0.01)
    assert speeds.estimate("whatif", 0) is None and speeds.estimate("unknown", 5) is None
    speeds.record("whatif", airport, 35.0)        # this server is slower: it learns
    assert speeds.estimate("whatif", airport) == pytest.approx(35.0)
    speeds.record("whatif", airport, 15.0)        # later runs refine it (half weight)
    assert speeds.estimate("whatif", airport) == pytest.approx(25.0)


def test_the_time_left_follows_the_progress():
    job = Job(lambda advance, early: None, estimate=100.0)
    assert job.seconds_left() == 100.0              # waiting: the estimate
    job.started = jobs.time.monotonic() - 10
    job.advance(0.01, "starting")
    assert job.seconds_left() == pytest.approx(90, abs=1)     # too early: estimate less spent
    job.advance(0.5, "half way")
    assert job.seconds_left() == pytest.approx(10, abs=1)     # as long again as so far
    assert [jobs.about(s) for s in (0.2, 7, 42, 300)] == [
        "under a second", "about 7 s", "about 40 s", "about 5 min"]


def test_a_what_if_request_is_known_by_its_content_not_by_its_processes():
    base = load_scenario(ROOT / "scenarios" / "airport-baseline.yaml")
    option = whatif.option_from(base, {**whatif.lever_values(base), "officers": 12})
    release = ROOT / "releases" / "iom-2018"

    def key(**changes):
        settings_ = {"replications": 20, "seed": 1, "workers": None, **changes}
        return whatif.Request(base, ROOT / "scenarios" / "airport-baseline.yaml", option,
                              **settings_).key(release)

    assert key() == key(workers=2)
    assert key() != key(seed=2) and key() != key(replications=21)
    other = whatif.option_from(base, {**whatif.lever_values(base), "officers": 13})
    assert key() != whatif.Request(base, Path("x.yaml"), other).key(release)
    assert whatif.Request(base, Path("x"), option, 20).units() == \
        40 * base.arrivals.daily_volume * base.run.days


# ---- through the pages (AppTest) ------------------------------------------------------------

@pytest.fixture
def folders(tmp_path, monkeypatch):
    releases = tmp_path / "releases"
    releases.mkdir()
    (releases / "iom-2018").symlink_to(ROOT / "releases" / "iom-2018")
    monkeypatch.setenv(settings.RELEASES, str(releases))
    monkeypatch.setenv(settings.SCENARIOS, str(ROOT / "scenarios"))
    monkeypatch.setenv(settings.JOBS, "1")
    monkeypatch.setenv(settings.CACHE, str(tmp_path / "cache"))     # a queue of its own
    return releases


def _whatif(seed: int) -> AppTest:
    at = AppTest.from_file(str(MAIN), default_timeout=60).run()
    at.sidebar.slider(key="replications").set_value(2)
    at.sidebar.number_input(key="seed").set_value(seed)
    at.run()
    return at


def test_the_explorer_says_how_long_a_run_takes_and_answers_a_repeat_from_the_cache(folders):
    at = _whatif(seed=11)
    captions = " ".join(c.value for c in at.sidebar.caption)
    assert "A run takes about" in captions and "on 1 core" in captions
    at.sidebar.button(key="run").click()
    at.run()
    job = at.session_state["whatif_job"]
    assert job.wait(180) and job.succeeded and not job.cached
    again = _whatif(seed=11)                # another session, the same question
    assert "Run before with these settings: the answer comes at once from the cache" in \
        " ".join(c.value for c in again.sidebar.caption)
    again.sidebar.button(key="run").click()
    again.run()
    assert again.session_state["whatif_job"].cached
    again.run()
    assert len(again.metric) == 5
    assert "Answered from the cache" in " ".join(c.value for c in again.caption)


def test_a_session_over_its_limit_is_told_and_nothing_starts(folders, monkeypatch):
    monkeypatch.setenv(settings.PER_SESSION, "1")
    gate = threading.Event()
    monkeypatch.setattr(whatif, "run", lambda request, victims, advance: gate.wait(WAIT))
    at = _whatif(seed=12)
    at.sidebar.button(key="run").click()
    at.run()
    assert at.session_state["whatif_job"].running
    at.slider(key="assumption_samples").set_value(2)
    at.button(key="vary_assumptions").click()
    at.run()
    assert "Not started: you already have 1 run waiting or running, the most one session " \
           "may have on this server" in " ".join(e.value for e in at.error)
    assert "whatif_assumptions_job" not in at.session_state
    gate.set()
    assert at.session_state["whatif_job"].wait(WAIT)


def test_the_budget_page_shows_the_first_answer_marked_as_emulated(folders, monkeypatch):
    gate, shown = threading.Event(), threading.Event()

    def fake_search(request, release, advance, early):
        early("Train 4 officers at the airport: identification about 61% (emulated, 95% "
              "interval 55% to 67%)")
        shown.set()
        assert gate.wait(WAIT)
        raise UserError("stopped by the test")

    monkeypatch.setattr(budget, "run_budget", fake_search)
    at = AppTest.from_file(str(MAIN), default_timeout=60).run()
    at.switch_page("page_budget.py").run()
    at.sidebar.button(key="budget_run").click()
    at.run()
    assert shown.wait(WAIT)
    at.run()
    text = " ".join(m.value for m in at.markdown) + " ".join(i.value for i in at.info)
    assert "First estimate (emulated)" in text and "about 61% (emulated" in text
    gate.set()
    assert at.session_state["budget_job"].wait(WAIT)
    at.run()
    assert "stopped by the test" in " ".join(e.value for e in at.error)
    assert "First estimate (emulated)" not in " ".join(m.value for m in at.markdown)
