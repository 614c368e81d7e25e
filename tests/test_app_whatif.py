"""The what-if explorer's logic without a browser: levers to an option, the settle check, the
scenario file it saves, and one run with its downloads and the report's charts."""

import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from tipkit.app import whatif
from tipkit.sim.model.population import load_population
from tipkit.sim.model.scenario_files import load_scenario
from tipkit.errors import UserError

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
BASELINE = SCENARIOS / "airport-baseline.yaml"


@pytest.fixture(scope="module")
def base():
    return load_scenario(BASELINE)


@pytest.fixture(scope="module")
def outcome(base):
    values = dict(whatif.lever_values(base), **{"training.specialist_share": 50.0})
    option = whatif.option_from(base, values)
    request = whatif.Request(base, BASELINE, option, replications=4, seed=1, workers=1)
    seen = []
    result = whatif.run(request, load_population(ROOT / "releases" / "iom-2018"),
                        lambda fraction, label: seen.append((fraction, label)))
    return result, seen


def test_unmoved_levers_keep_the_base_values_exactly(base):
    option = whatif.option_from(base, whatif.lever_values(base))
    mapping, original = option.to_mapping(), base.to_mapping()
    for key in ("name", "question"):
        mapping.pop(key), original.pop(key)
    assert mapping == original


def test_levers_change_the_scenario_in_its_own_units(base):
    values = dict(whatif.lever_values(base), officers=12, **{
        "training.specialist_share": 50.0, "victims.share": 2.5, "egates.gates": 4})
    option = whatif.option_from(base, values)
    assert option.officers == 12
    assert option.training.specialist_share == 0.5
    assert option.victims.share == pytest.approx(0.00025)
    assert option.egates.gates == 4
    assert "Officers at the desks 10 -> 12" in option.question
    assert whatif.officer_mix(option) == "12 officers: 6 specialist, 2 basic, 4 untrained"


def test_an_impossible_value_is_a_user_error_naming_it(base):
    values = dict(whatif.lever_values(base), **{"shelter.beds": 2})
    with pytest.raises(UserError, match="occupied_at_start: 4 is more than the 2 beds"):
        whatif.option_from(base, values)


def test_an_option_over_capacity_cannot_settle_and_will_not_run(base):
    values = dict(whatif.lever_values(base), officers=5)
    option = whatif.option_from(base, values)
    message = whatif.cannot_settle_message(option)
    assert message and "desk utilisation over the day is 1.46 (>= 1)" in message
    assert whatif.cannot_settle_message(base) is None
    assert whatif.settling(base).warnings          # the 08:00 bank only builds a queue
    request = whatif.Request(base, BASELINE, option, replications=2)
    with pytest.raises(UserError, match="cannot settle"):
        whatif.run(request, load_population(ROOT / "releases" / "iom-2018"))


def test_a_shipped_overloaded_scenario_is_a_problem_and_a_busy_hour_only_a_warning():
    surge = whatif.settling(load_scenario(SCENARIOS / "airport-holiday-surge.yaml"))
    assert len(surge.problems) == 1 and "over the day" in surge.problems[0]
    calm = whatif.settling(load_scenario(SCENARIOS / "airport-egates.yaml"))
    assert calm == whatif.Settling((), ())


def test_saved_option_loads_back_as_the_same_scenario_beside_its_base(base, tmp_path):
    values = dict(whatif.lever_values(base), officers=14, **{"egates.gates": 6,
                                                            "training.basic_share": 40.0})
    option = whatif.option_from(base, values)
    text = whatif.option_yaml(base, BASELINE.name, option)
    shutil.copy(BASELINE, tmp_path / BASELINE.name)
    saved = tmp_path / "mine.yaml"
    saved.write_text(text, encoding="utf-8")
    assert load_scenario(saved) == option
    assert "based_on: airport-baseline.yaml" in text
    assert "desk:" not in text            # only what the levers moved


def test_a_run_gives_the_same_results_as_sim_compare_of_the_saved_option(outcome, tmp_path):
    from tipkit.sim.experiments.runs import compare_scenarios

    result, _ = outcome
    request = result.request
    shutil.copy(BASELINE, tmp_path / BASELINE.name)
    saved = tmp_path / "option.yaml"
    saved.write_bytes(result.downloads["airport-baseline-what-if.yaml"])
    _, folder = compare_scenarios([tmp_path / BASELINE.name, saved], replications="4", seed=1,
                                  out=tmp_path / "compare", workers=1,
                                  population_dir=ROOT / "releases" / "iom-2018")
    for name in ("summary.csv", "differences.csv", "replications.csv"):
        assert (folder / name).read_bytes() == result.downloads[name], name


def test_a_run_reports_both_scenarios_the_paired_difference_and_the_verdicts(outcome):
    outcome, progress = outcome
    names = {outcome.request.base.name, outcome.request.option.name}
    assert set(outcome.summaries.scenario) == names
    headline = {row["kpi"]: row for row in outcome.headline()}
    assert list(headline) == list(whatif.KEY_KPIS)
    ident = headline["identification_rate"]
    base_mean, option_mean = ident["base"][0], ident["option"][0]
    assert ident["difference"][0] == pytest.approx(option_mean - base_mean)
    assert any("identifications" in v for v in outcome.verdicts())
    assert any("per 100 women who crossed" in v for v in outcome.group_verdicts())
    assert "officers identify" in outcome.answer_html
    table = outcome.kpi_table()
    assert "Victims identified (share of victims who crossed)" in set(table.KPI)
    women = table[table.KPI == "identified: women"].iloc[0]
    assert "per 100 women who crossed (" in women["difference (option - base)"]
    # progress rose to the end, replication by replication, then through the report
    fractions = [f for f, _ in progress]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert any(label == "8 of 8 replications" for _, label in progress)


def test_a_run_offers_the_results_the_report_and_the_scenario_for_download(outcome):
    outcome, _ = outcome
    files = outcome.downloads
    assert set(files) == {"summary.csv", "differences.csv", "replications.csv",
                          "report.html", "airport-baseline-what-if.yaml"}
    summary = pd.read_csv(pd.io.common.BytesIO(files["summary.csv"]))
    assert {"scenario", "kpi", "mean", "ci_low", "ci_high", "n"} <= set(summary.columns)
    differences = pd.read_csv(pd.io.common.BytesIO(files["differences.csv"]))
    assert "verdict" in differences.columns
    html = files["report.html"].decode("utf-8")
    assert html.startswith("<!DOCTYPE html>") and "airport-baseline what-if" in html
    assert b"specialist_share: 0.5" in files["airport-baseline-what-if.yaml"]


def test_the_page_draws_the_same_charts_as_the_report(outcome):
    """The adapter over tipkit.sim.report.page's chart functions must follow the report: the report
    marks each chart's figure with its key."""
    outcome, _ = outcome
    html = outcome.downloads["report.html"].decode("utf-8")
    in_report = re.findall(r'data-chart="([\w-]+)"', html)
    assert [c.key for c in outcome.charts] == in_report
    assert len(in_report) >= 4


def test_differences_read_in_the_kpis_own_units():
    assert whatif.signed_difference("identification_rate", (0.107, 0.059, 0.154)) == \
        "+10.7 pts (+5.9 to +15.4)"
    assert whatif.signed_difference("desk_wait_mean", (-3.14, -3.8, -2.5)) == \
        "-3.1 min (-3.8 to -2.5)"
    assert whatif.signed_difference("flags_per_10k", (float("nan"),) * 3) == "-"


def test_scenario_files_are_listed_by_name(tmp_path):
    paths = whatif.scenario_paths(SCENARIOS)
    assert "airport-baseline" in paths and paths["airport-baseline"] == BASELINE
    assert list(paths) == sorted(paths)
    assert whatif.scenario_paths(tmp_path / "missing") == {}


def test_the_training_sensitivity_adds_its_chart_and_its_caveat(base):
    values = dict(whatif.lever_values(base), **{"training.specialist_share": 100.0})
    option = whatif.option_from(base, values)
    request = whatif.Request(base, BASELINE, option, replications=3, seed=2,
                             sensitivity=True, workers=1)
    assert request.work() == 2 * 3 + 6 * 3
    result = whatif.run(request, load_population(ROOT / "releases" / "iom-2018"))
    assert [c.key for c in result.charts][-1] == "sensitivity"
    assert "Training effects are assumptions" in result.answer_html


def test_varying_every_assumption_gives_the_chart_the_sentence_and_the_files(tmp_path):
    base_file = tmp_path / "quiet.yaml"
    base_file.write_text(BASELINE.read_text().replace("daily_volume: 8000", "daily_volume: 800")
                         .replace("transport: [plane]", "transport: [plane, bus]")
                         .replace("share: 0.001 ", "share: 0.02 "))
    base = load_scenario(base_file)
    values = dict(whatif.lever_values(base), **{"training.specialist_share": 50.0})
    request = whatif.Request(base, base_file, whatif.option_from(base, values),
                             replications=3, seed=1, workers=1)
    seen = []
    outcome = whatif.vary_assumptions(request, load_population(ROOT / "releases" / "iom-2018"),
                                      samples=2, replications=1,
                                      advance=lambda fraction, label: seen.append(fraction))
    assert seen[-1] == 1.0 and seen == sorted(seen)
    assert outcome.chart.key == "global-sensitivity" and outcome.chart.kind == "hbars"
    assert outcome.sentence.startswith("The answer (airport-baseline what-if's gain in "
                                       "identification over airport-baseline)") or \
        outcome.sentence.startswith("No assumption moves the answer")
    assert "of the assumption space" in outcome.sentence
    assert "Assumptions that move it most" in outcome.table_html
    assert set(outcome.downloads) == {"indices.csv", "factors.csv", "points.csv", "costs.csv",
                                      "sensitivity-report.html"}
    factors = pd.read_csv(pd.io.common.BytesIO(outcome.downloads["factors.csv"]))
    held = factors.set_index("factor").loc["training.specialist_share"]
    assert not held.varied and "choice under study" in held.why_not_varied


def test_a_warm_up_too_short_is_a_warning_on_the_page_and_in_the_report(tmp_path):
    flat = ", ".join(["1"] * 24)
    base_file = tmp_path / "filling.yaml"
    base_file.write_text(
        f"name: filling\narrivals: {{pattern: hourly, daily_volume: 1500, hourly_profile: "
        f"[{flat}]}}\nvictims: {{share: 0.1, transport: [bus, train, plane, other]}}\n"
        "officers: 6\ntraining: {specialist_share: 1.0}\nsecondary: {specialists: 6}\n"
        "shelter:\n  beds: 80\n"
        "  occupied_at_start: 0\n  stay_days: {distribution: exponential, mean: 0.5}\n"
        "run: {days: 5, warmup_hours: 0}\n")
    base = load_scenario(base_file)
    option = whatif.option_from(base, dict(whatif.lever_values(base), officers=7))
    request = whatif.Request(base, base_file, option, replications=2, seed=1, workers=1)
    outcome = whatif.run(request, load_population(ROOT / "releases" / "iom-2018"))
    assert len(outcome.warmup_warnings) == 2
    assert all("set run.warmup_hours to" in m for m in outcome.warmup_warnings)
    assert b"Warm-up check (MSER-5" in outcome.downloads["report.html"]
