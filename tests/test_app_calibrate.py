"""The app's Calibrate step: the page offers the scenarios and the shipped facts with an
estimate, and the work behind its button writes the posterior the other pages take."""

from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from test_app_pages import folders  # noqa: F401 (a fixture)
from test_sim_calibration import SMALL
from test_sim_support import release  # noqa: F401 (a fixture)
from tipkit.app import calibrate

ROOT = Path(__file__).resolve().parents[1]
MAIN = ROOT / "app" / "screens" / "app_main.py"


def test_the_calibrate_page_offers_the_scenario_and_its_facts_with_an_estimate(
        folders):  # noqa: F811
    at = AppTest.from_file(str(MAIN), default_timeout=60).run()
    at.switch_page("page_calibrate.py").run()
    assert not at.exception, [e.message for e in at.exception]
    assert at.sidebar.selectbox(key="calibrate_base").value == "airport-baseline"
    assert at.sidebar.selectbox(key="calibrate_facts").value == "airport-facts"
    assert any("A run takes" in c.value for c in at.sidebar.caption)
    assert not at.sidebar.button(key="calibrate_run").disabled


def test_shipped_facts_are_offered_by_name():
    offered = calibrate.facts_files(ROOT / "scenarios")
    assert {"airport-facts", "national-facts"} <= set(offered)


@pytest.mark.slow
def test_a_calibration_from_the_app_writes_the_posterior_the_other_pages_take(
        tmp_path, release):  # noqa: F811
    (tmp_path / "small.yaml").write_text(SMALL)
    facts = tmp_path / "facts.yaml"
    facts.write_text("period_days: 60\nfacts:\n"
                     "  - {kpi: referrals, total: 700, source: test}\n"
                     "  - {kpi: travellers, total: 48000, source: test}\n")
    request = calibrate.CalibrationRequest(tmp_path / "small.yaml", facts, seed=3,
                                           replications=2, points=16, workers=1)
    seen = []
    outcome = calibrate.run_calibration(request, release, tmp_path / "runs",
                                        lambda fraction, label: seen.append(fraction))
    posterior = pd.read_csv(outcome.posterior)
    assert list(posterior.columns) == ["arrivals.daily_volume", "victims.share", "weight"]
    assert posterior.weight.sum() == pytest.approx(1.0)
    assert outcome.posterior.parent == tmp_path / "runs" / "small-facts-seed3"
    # 48,000 travellers in 60 days is 800 a day: the words say the facts pin it down
    assert "pin down how many travellers arrive a day" in outcome.text
    assert list(outcome.checks.kpi) == ["referrals", "travellers"]
    assert {"posterior.csv", "calibrated.yaml", "checks.csv"} <= set(outcome.downloads)
    assert seen == sorted(seen) and seen[-1] == 1.0
    # the same request is the same key; another seed is another
    assert request.key(release) == calibrate.CalibrationRequest(
        tmp_path / "small.yaml", facts, 3, 2, 16, 1).key(release)
    assert request.key(release) != calibrate.CalibrationRequest(
        tmp_path / "small.yaml", facts, 4, 2, 16, 1).key(release)
