"""Both pages through Streamlit's own app-testing API (AppTest): no browser, the real scripts,
widgets set and buttons pressed as a user would."""

import math
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tipkit.app import settings

ROOT = Path(__file__).resolve().parents[1]
MAIN = ROOT / "app" / "screens" / "app_main.py"
TIMEOUT = 60          # a script run that waits for nothing takes well under a second
JOB_TIMEOUT = 180


@pytest.fixture
def folders(tmp_path, monkeypatch):
    """A releases folder holding the committed default release (linked, never written), the
    shipped scenarios, and one process per run (tests run side by side)."""
    releases = tmp_path / "releases"
    releases.mkdir()
    (releases / "iom-2018").symlink_to(ROOT / "releases" / "iom-2018")
    monkeypatch.setenv(settings.RELEASES, str(releases))
    monkeypatch.setenv(settings.SCENARIOS, str(ROOT / "scenarios"))
    monkeypatch.setenv(settings.JOBS, "1")
    return releases


def _app() -> AppTest:
    at = AppTest.from_file(str(MAIN), default_timeout=TIMEOUT)
    return at.run()


def _lever(at: AppTest, key: str, base: str = "airport-baseline"):
    return at.sidebar.slider(key=f"lever:{base}:{key}")


def _no_failure(at: AppTest) -> None:
    assert not at.exception, [e.message for e in at.exception]


def _finish(at: AppTest, job_key: str) -> AppTest:
    """Wait for the page's background job, then rerun the page as its progress bar would."""
    job = at.session_state[job_key]
    assert job.wait(JOB_TIMEOUT)
    return at.run()


def test_explorer_runs_an_option_and_shows_kpis_intervals_verdicts_and_charts(folders):
    at = _app()
    _no_failure(at)
    assert at.title[0].value == "What-if explorer"
    _lever(at, "training.specialist_share").set_value(50.0)
    at.sidebar.slider(key="replications").set_value(6)
    at.run()
    assert "5 specialist, 2 basic, 3 untrained" in " ".join(c.value for c in at.sidebar.caption)
    at.sidebar.button(key="run").click()
    at.run()
    _finish(at, "whatif_job")
    _no_failure(at)
    assert not at.error
    metrics = {m.label: m for m in at.metric}
    assert list(metrics) == ["Victims identified", "Desk wait (min)", "Flagged per 10,000",
                             "Referrals a day", "Refused a day"]
    assert metrics["Victims identified"].value.endswith("%")
    assert metrics["Victims identified"].delta.endswith("pts")
    captions = " ".join(c.value for c in at.caption)
    assert "95% CI" in captions and "6 replications each, seed 1" in captions
    plain = " ".join(m.value for m in at.markdown)
    assert "identifications" in plain and "officers identify" in plain
    assert len(at.get("plotly_chart")) == 4
    downloads = {d.label for d in at.get("download_button")}
    assert downloads == {"Scenario (YAML)", "KPIs (CSV)", "Differences (CSV)",
                         "Replications (CSV)", "Report (HTML)"}
    _lever(at, "officers").set_value(12)         # the results stay, marked as out of date
    at.run()
    assert "The levers have moved since this run" in " ".join(w.value for w in at.warning)
    assert len(at.metric) == 5


@pytest.mark.slow
def test_explorer_varies_every_assumption_in_the_background_and_shows_what_matters(
        folders, tmp_path, monkeypatch):
    quiet = tmp_path / "scenarios"          # the airport at a tenth of its volume: quick
    quiet.mkdir()
    (quiet / "airport-baseline.yaml").write_text(
        (ROOT / "scenarios" / "airport-baseline.yaml").read_text()
        .replace("daily_volume: 8000", "daily_volume: 800").replace("share: 0.001 ", "share: 0.02 "))
    monkeypatch.setenv(settings.SCENARIOS, str(quiet))
    at = _app()
    _lever(at, "training.specialist_share").set_value(50.0)
    at.sidebar.slider(key="replications").set_value(2)
    at.slider(key="assumption_samples").set_value(2)
    at.run()
    at.button(key="vary_assumptions").click()
    at.run()
    _finish(at, "whatif_assumptions_job")
    _no_failure(at)
    assert not at.error
    plain = " ".join(m.value for m in at.markdown)
    assert "of the assumption space" in plain
    assert [c for c in at.get("plotly_chart")]          # the chart of what the answer hangs on
    downloads = {d.label for d in at.get("download_button")}
    assert {"indices.csv", "factors.csv", "sensitivity-report.html"} <= downloads


def test_explorer_says_specifically_why_an_option_cannot_settle_and_will_not_run_it(folders):
    at = _app()
    _lever(at, "officers").set_value(5)
    at.run()
    _no_failure(at)
    errors = " ".join(e.value for e in at.error)
    assert "cannot settle: desk utilisation over the day is 1.46 (>= 1)" in errors
    assert at.sidebar.button(key="run").disabled
    at.sidebar.checkbox(key="anyway").check()
    at.run()
    assert not at.sidebar.button(key="run").disabled


def test_explorer_shows_the_scenarios_own_message_for_an_impossible_value(folders):
    at = _app()
    _lever(at, "shelter.beds").set_value(2)
    at.run()
    _no_failure(at)
    assert "occupied_at_start: 4 is more than the 2 beds" in " ".join(e.value for e in at.error)


def test_choosing_another_base_scenario_sets_the_levers_to_its_values(folders):
    at = _app()
    at.sidebar.selectbox(key="base").set_value("land-border-baseline")
    at.run()
    _no_failure(at)
    assert _lever(at, "officers", "land-border-baseline").value == 6
    assert math.isclose(_lever(at, "victims.share", "land-border-baseline").value, 20.0)


def test_datasets_page_shows_privacy_figures_distributions_and_a_zip(folders):
    at = _app()
    at.switch_page("page_datasets.py").run()
    _no_failure(at)
    assert at.title[0].value == "Datasets"
    assert at.selectbox(key="release").value == "iom-2018"
    privacy = at.success[0].value
    assert "of the 8,000 synthetic cases" in privacy and "k = 11" in privacy
    figures = at.dataframe[0].value
    assert len(figures) == 15 and set(figures["holds"]) == {"yes"}
    # the figures chart, seven case columns and five leg columns
    assert len(at.get("plotly_chart")) == 13
    assert [d.label for d in at.get("download_button")] == ["Download (zip)"]
    assert "Data card" in [e.label for e in at.expander]


def _build_in_page(cases: int, k: int, name: str):
    """Fill the Datasets page's build form, press Build and wait for the job to end."""
    at = _app()
    at.switch_page("page_datasets.py").run()
    at.number_input(key="build-cases").set_value(cases)
    at.number_input(key="build-k").set_value(k)
    at.text_input(key="build-name").input(name)
    at.button[-1].click()        # the form's Build button
    at.run()
    _finish(at, "build_job")
    _no_failure(at)
    return at


def test_datasets_page_reports_an_impossible_k_in_one_line(folders):
    at = _build_in_page(cases=1000, k=400, name="too-strict")
    message = " ".join(e.value for e in at.error)
    assert "The release was not built" in message and "use a smaller --k" in message
    assert "Traceback" not in message
    assert not (folders / "too-strict").exists()


def test_datasets_page_builds_a_release_and_shows_it(folders):
    at = _build_in_page(cases=1000, k=5, name="small-k5")
    assert (folders / "small-k5" / "datacard.md").is_file()
    assert at.selectbox(key="release").value == "small-k5"
    assert "Built small-k5" in " ".join(s.value for s in at.success)
    assert "k = 5" in at.success[0].value


@pytest.mark.slow
def test_first_start_builds_the_default_release(tmp_path, monkeypatch):
    releases = tmp_path / "releases"
    monkeypatch.setenv(settings.RELEASES, str(releases))
    monkeypatch.setenv(settings.SCENARIOS, str(ROOT / "scenarios"))
    at = AppTest.from_file(str(MAIN), default_timeout=JOB_TIMEOUT).run()
    _no_failure(at)
    built = releases / "iom-2018"
    assert sorted(p.name for p in built.iterdir()) == ["cases.csv", "datacard.md", "datapackage.json",
                                                       "dataset.jsonld", "legs.csv",
                                                       "metadata.json", "release.json"]
    # the same library, figures, size, k and seed as `make demo`: the committed cases
    assert (built / "cases.csv").read_bytes() == \
        (ROOT / "releases" / "iom-2018" / "cases.csv").read_bytes()


@pytest.mark.parametrize("page", [None, "page_budget.py"], ids=["what-if", "budget"])
def test_a_page_with_no_scenario_files_says_where_it_looked_and_what_to_do(folders, tmp_path,
                                                                            monkeypatch, page):
    empty = tmp_path / "no-scenarios"
    empty.mkdir()
    monkeypatch.setenv(settings.SCENARIOS, str(empty))
    at = _app()
    if page is not None:
        at.switch_page(page).run()
    _no_failure(at)
    assert [e.value for e in at.error] == [
        f"No scenario files in {empty}: start the app from the tipkit folder or pass "
        "--scenarios DIR to tipkit app."]
