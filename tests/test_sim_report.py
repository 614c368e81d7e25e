"""The policymaker's report: one self-contained HTML file whose charts render in a real
browser (headless Chromium), PNGs beside it, assumptions marked, a STRESS-DES appendix."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import matplotlib.image
import pytest
from click.testing import CliRunner

from tipkit.sim.report.page import assumptions_in, write_report
from tipkit.sim.experiments.runs import compare_scenarios, run_scenario, sweep_scenario
from tipkit.cli import main

from test_sim_support import release  # noqa: F401 (fixture)

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
CHARTS = ("identification", "tradeoff", "referrals", "false-referrals", "sensitivity")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu",
                  "--disable-background-networking", "--no-first-run", "--disable-extensions",
                  "--enable-logging=stderr", "--v=0", "--virtual-time-budget=10000"]


def _options(folder: Path) -> list[Path]:
    """A small airport baseline and two options based on it."""
    base = folder / "base.yaml"
    base.write_text((SCENARIOS / "airport-baseline.yaml").read_text()
                    .replace("daily_volume: 8000", "daily_volume: 700")
                    .replace("transport: [plane]", "transport: [plane, bus]")
                    .replace("share: 0.001 ", "share: 0.02 ")
                    .replace("officers: 10 ", "officers: 2 "))
    half = folder / "half.yaml"
    half.write_text("based_on: base.yaml\nname: train-half\ntraining:\n"
                    "  specialist_share: 0.5\n")
    desks = folder / "desks.yaml"
    desks.write_text("based_on: base.yaml\nname: more-desks\nofficers: 4\n")
    return [base, half, desks]


@pytest.fixture(scope="module")
def comparison(tmp_path_factory, release):
    folder = tmp_path_factory.mktemp("compare")
    _, out = compare_scenarios(_options(folder), replications=4, seed=3, out=folder / "runs",
                               population_dir=release, workers=2)
    return out


def _chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    assert path, "Chromium is needed for this test: apt-get install chromium (.ci/run does)"
    return path


@pytest.mark.slow
def test_report_charts_render_in_chromium_without_console_errors(comparison, tmp_path):
    report = write_report(comparison, tmp_path / "report.html")
    browser = _chromium()
    dom = subprocess.run([browser, *CHROMIUM_FLAGS, "--dump-dom", report.as_uri()],
                         capture_output=True, text=True, timeout=120)
    charts = re.search(r'data-charts="(\d+)"', dom.stdout)
    drawn = re.search(r'data-charts-drawn="(\d+)"', dom.stdout)
    assert charts and drawn, dom.stderr[-2000:]
    assert int(charts.group(1)) == len(CHARTS)
    assert int(drawn.group(1)) == len(CHARTS)
    console = [line for line in dom.stderr.splitlines() if "CONSOLE" in line]
    assert console == []

    shot = tmp_path / "shot.png"
    subprocess.run([browser, *CHROMIUM_FLAGS, "--window-size=1200,2400",
                    f"--screenshot={shot}", report.as_uri()], capture_output=True,
                   timeout=120, check=True)
    pixels = matplotlib.image.imread(shot)[..., :3]
    not_white = (pixels.mean(axis=2) < 0.95).mean()
    assert not_white > 0.03 and pixels.std() > 0.05


def test_report_is_self_contained_with_an_answer_and_every_chart_as_png(comparison, tmp_path):
    report = write_report(comparison, tmp_path / "r.html")
    page = report.read_text()
    assert not re.search(r'<(script|link|img)[^>]+(src|href)="https?://', page)
    assert "<h2>The answer</h2>" in page and "identify" in page
    assert "more-desks" in page and "train-half" in page
    for key in CHARTS:
        assert f'data-chart="{key}"' in page
        png = tmp_path / f"r-{key}.png"
        assert png.is_file() and png.stat().st_size > 5000
        assert matplotlib.image.imread(png).std() > 0.02
    for section in ("1. Objectives", "2. Model logic", "3. Data", "4. Experimentation",
                    "5. Implementation", "6. Code access"):
        assert section in page
    assert "Training effects are assumptions" in page
    assert 'class="training"' in page          # training-effect rows highlighted


def test_report_names_its_estimator_and_gives_verdicts_by_group(comparison, tmp_path):
    page = write_report(comparison, tmp_path / "r.html").read_text()
    answer = page.split("<h2>The answer</h2>")[1].split("<h2>")[0]
    appendix = page.split("Appendix: STRESS-DES")[1]
    assert "virtual victims" in answer and "replications.csv" in answer
    assert "conditional Monte Carlo" in appendix and "_direct" in appendix
    assert "control variate" in answer
    assert "control-variate" in appendix and "desk_wait_mean_direct" in appendix
    groups = page.split("<h2>Who is identified</h2>")[1].split("<h2>")[0]
    assert re.search(r"per 100 women who crossed, 95% CI [+-]\d", groups)
    assert "per 100 children who crossed" in groups


def test_assumptions_are_read_from_the_scenario_comments():
    text = ("officers: 10  # assumption: desks staffed\nscreening:\n  none:  # assumption "
            "(training effects)\n    document: 0.3\n  basic:\n    minor: 0.4  # a source\n"
            "desk:\n  target_minutes: 45  # border-parameters.md, UK\n")
    found = {a.key: a.value for a in assumptions_in(text)}
    assert found == {"officers": "10", "screening.none.document": "0.3"}


def test_report_command_writes_a_sweep_report(tmp_path, release):
    base = _options(tmp_path)[0]
    _, out = sweep_scenario(base, {"officers": [2, 3], "training.specialist_share": [0, 1]},
                            replications=3, seed=1, out=tmp_path / "grid",
                            population_dir=release, workers=2, sensitivity=False)
    result = CliRunner().invoke(main, ["sim", "report", str(out), "--out",
                                       str(tmp_path / "grid" / "report.html")])
    assert result.exit_code == 0, result.output
    page = (tmp_path / "grid" / "report.html").read_text()
    assert "officers 2, specialist share 1" in page
    assert "No sensitivity run is stored with these results" in page


def test_report_of_a_single_run_and_of_a_folder_that_is_not_results(tmp_path, release):
    base = _options(tmp_path)[0]
    _, out = run_scenario(base, replications="3", out=tmp_path / "one", population_dir=release,
                          workers=1)
    assert write_report(out, out / "report.html").is_file()
    result = CliRunner().invoke(main, ["sim", "report", str(tmp_path)])
    assert result.exit_code == 2 and "not a results folder" in result.output
