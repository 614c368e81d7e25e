"""The budget view: the scenarios and decisions it offers, one search run as the page runs it,
and the page itself through Streamlit's AppTest (a small network, a small release)."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tipkit.app import budget, settings
from tipkit.sim.model.national import load_national

from test_sim_national import FILLING_POINT, write_network
from test_sim_support import write_release

ROOT = Path(__file__).resolve().parents[1]
MAIN = ROOT / "app" / "screens" / "app_main.py"


@pytest.fixture
def folders(tmp_path, monkeypatch):
    """A scenarios folder with a small network (in national/) and one crossing point, and a
    releases folder whose default release is a small test release."""
    scenarios = tmp_path / "scenarios"
    write_network(scenarios / "national")
    (scenarios / "hall.yaml").write_text((scenarios / "national" / "air.yaml").read_text())
    releases = tmp_path / "releases"
    write_release(releases / "iom-2018")
    monkeypatch.setenv(settings.RELEASES, str(releases))
    monkeypatch.setenv(settings.SCENARIOS, str(scenarios))
    monkeypatch.setenv(settings.JOBS, "1")
    return scenarios, releases


def test_the_view_offers_networks_first_and_trained_officers_at_every_point(folders):
    scenarios, _ = folders
    paths = budget.budget_scenarios(scenarios)
    assert list(paths) == ["network", "hall"]      # a network's points are not listed alone
    national = load_national(paths["network"])
    offered = budget.choices(national)
    assert [c.spec for c in offered if c.key == "specialist_officers"] == [
        "air.specialist_officers=0,1,2,3", "road.specialist_officers=0,1,2",
        "rail.specialist_officers=0,1,2"]
    today, currency = budget.budget_facts(paths["network"])
    assert today > 0 and currency == "GBP"


def test_a_search_answers_with_the_best_mix_the_front_and_the_files(folders):
    scenarios, releases = folders
    request = budget.BudgetRequest(scenarios / "national" / "network.yaml", 20000.0,
                                   ("air.specialist_officers=0,1,2,3",
                                    "road.specialist_officers=0,1,2"),
                                   wait_limit=60, specialists_limit=3, precision=0.3, most=20,
                                   workers=1)
    seen, first = [], []
    outcome = budget.run_budget(request, releases / "iom-2018",
                                lambda fraction, label: seen.append(fraction), first.append)
    # the emulator's first answer reaches the page before the confirmation, marked as such
    assert first and first[0].startswith("First answer (EMULATED")
    assert "the best option is" in outcome.answer_html
    assert "How sure is the ranking" in outcome.answer_html
    assert [c.key for c in outcome.charts][0] == "front"
    assert set(outcome.downloads) >= {"options.csv", "front.csv", "report.html", "best.yaml"}
    best = outcome.options[outcome.options.fate == "best"].iloc[0]
    assert best["air.specialist_officers"] + best["road.specialist_officers"] <= 3
    saved = scenarios / "national" / "best.yaml"         # saved beside the network's file
    saved.write_bytes(outcome.downloads["best.yaml"])
    option = load_national(saved)
    assert option.point("air").scenario.officer_levels().count("specialist") == \
        best["air.specialist_officers"]
    assert seen == sorted(seen) and seen[-1] == 1.0


def test_a_search_warns_when_todays_warm_up_is_too_short(folders):
    scenarios, releases = folders
    (scenarios / "filling.yaml").write_text(FILLING_POINT.format(profile=[1] * 24, warmup=0)
                                            .replace("share: 0.01", "share: 0.08"))
    request = budget.BudgetRequest(scenarios / "filling.yaml", 5000.0,
                                   ("specialist_officers=0,1",), wait_limit=None,
                                   precision=0.5, most=10, workers=1)
    outcome = budget.run_budget(request, releases / "iom-2018")
    assert len(outcome.warnings) == 1
    assert outcome.warnings[0].startswith("filling: ") and "MSER-5" in outcome.warnings[0]


def test_the_page_runs_a_search_in_the_background_and_shows_the_answer(folders):
    at = AppTest.from_file(str(MAIN), default_timeout=60).run()
    at.switch_page("page_budget.py").run()
    assert not at.exception, [e.message for e in at.exception]
    assert at.title[0].value == "Budget: what to buy, and where"
    assert "Today the border agency spends GBP" in " ".join(c.value for c in at.sidebar.caption)
    at.sidebar.number_input(key="budget_extra").set_value(10000.0)
    at.sidebar.slider(key="budget_most").set_value(20)
    at.sidebar.slider(key="budget_precision").set_value(0.3)
    at.run()
    at.sidebar.button(key="budget_run").click()
    at.run()
    job = at.session_state["budget_job"]
    assert job.wait(300)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    text = " ".join(m.value for m in at.markdown)
    assert "the best option is" in text
    assert len(at.get("plotly_chart")) == 3
    assert "best.yaml" in {d.label for d in at.get("download_button")}
