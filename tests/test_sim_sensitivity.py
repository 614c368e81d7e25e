"""Global sensitivity: which scenario values are varied and over which range, the Morris indices
on a model whose drivers are known, how often the options' ranking holds, the command, its
folder and its place in the report."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from tipkit.cli import main
from tipkit.errors import UserError
from tipkit.sim.experiments import sensitivity
from tipkit.sim.experiments.runs import compare_scenarios
from tipkit.sim.model.assumptions import assumptions_in, stated_range
from tipkit.sim.model.scenario_files import load_scenario, scenario_source
from tipkit.sim.report.page import write_report

from test_sim_support import population, release  # noqa: F401 (fixtures)

FLAT = ", ".join(["1"] * 24)
BASE = f"""\
name: base
arrivals:
  pattern: hourly
  daily_volume: 600            # assumption: a quiet crossing
  hourly_profile: [{FLAT}]    # assumption: flat
victims:
  share: 0.05                  # assumption, range 0.02-0.08: no prevalence is published
  transport: [bus, train, plane, other]   # assumption
officers: 2                    # assumption
training:
  specialist_share: 0.0        # assumption: the option under study
screening:
  none:                        # assumption (training effects)
    document: 0.3
    false_alarm: 0.0006        # border-parameters.md, Identification
    extra_seconds: 0
desk:
  service_seconds:             # border-parameters.md, Processing times
    distribution: lognormal
    median: 60                 # assumption, range 30-90: the median desk check
    sigma: 0.3                 # assumption
egates:
  eligible_share: 0.5          # assumption
time_pressure:
  speed_up: 0.8                # assumption
shelter:
  beds: 3
  occupied_at_start: 0
  stay_days:                   # assumption
    distribution: lognormal
    median: 30
    sigma: 0.8
  when_full: refuse            # assumption
run:
  days: 1                      # assumption
"""
TRAINED = "based_on: base.yaml\nname: trained\ntraining:\n  specialist_share: 1.0  # assumption\n"


@pytest.fixture
def files(tmp_path) -> list[Path]:
    (tmp_path / "base.yaml").write_text(BASE)
    (tmp_path / "trained.yaml").write_text(TRAINED)
    return [tmp_path / "base.yaml", tmp_path / "trained.yaml"]


def _loaded(paths):
    scenarios = {load_scenario(p).name: load_scenario(p) for p in paths}
    return scenarios, {name: scenario_source(p) for name, p in zip(scenarios, paths)}


def test_a_comment_may_give_the_range_an_assumption_is_varied_over():
    assert stated_range("assumption, range 0.3-0.9: the RAFT tool") == (0.3, 0.9)
    assert stated_range("assumption (range 2e-4 to 0.002)") == (0.0002, 0.002)
    assert stated_range("assumption, range 30..90") == (30.0, 90.0)
    assert stated_range("border-parameters.md (range is an assumption)") is None
    found = {a.key: a for a in assumptions_in(BASE)}
    assert found["victims.share"].range == (0.02, 0.08)
    assert "screening.none.document" in found              # inherits its section's mark
    assert "screening.none.false_alarm" not in found       # its own comment cites a source


def test_probabilities_rates_and_medians_are_varied_and_the_rest_says_why_not(files):
    factors = {f.key: f for f in sensitivity.assumption_factors(*_loaded(files))}
    varied = {k for k, f in factors.items() if f.varied}
    assert varied == {"arrivals.daily_volume", "victims.share", "screening.none.document",
                      "desk.service_seconds.median", "time_pressure.speed_up",
                      "shelter.stay_days.median"}
    left = {k: f.left for k, f in factors.items() if not f.varied}
    assert left == {"arrivals.hourly_profile": "structure", "victims.transport": "structure",
                    "officers": "count", "training.specialist_share": "choice",
                    "screening.none.extra_seconds": "zero",
                    "desk.service_seconds.sigma": "shape", "egates.eligible_share": "unused",
                    "shelter.stay_days.distribution": "structure",
                    "shelter.stay_days.sigma": "shape", "shelter.when_full": "structure",
                    "run.days": "run"}
    assert (factors["victims.share"].low, factors["victims.share"].high) == (0.02, 0.08)
    assert factors["victims.share"].range_from == "scenario"
    assert (factors["arrivals.daily_volume"].low, factors["arrivals.daily_volume"].high) == \
        (300.0, 900.0)
    speed = factors["time_pressure.speed_up"]                # 0.8 +-50%, and at most 0.9
    assert (speed.low, speed.high, speed.range_from) == (0.4, 0.9, "+-50%, clipped")


@pytest.mark.parametrize("comment, problem", [
    ("assumption, range 0.01-1.5", "is outside 0 to 1"),
    ("assumption, range 0.06-0.08", "does not include the value 0.05"),
])
def test_a_range_the_key_cannot_take_is_a_one_line_error(files, comment, problem):
    files[0].write_text(BASE.replace("assumption, range 0.02-0.08", comment))
    with pytest.raises(UserError, match=problem):
        sensitivity.plan(*_loaded(files), trajectories=2)


def test_morris_finds_the_driver_of_the_desk_wait_and_no_effect_where_there_is_none(
        files, population):
    p = sensitivity.plan(*_loaded(files), trajectories=4, replications=2, seed=3,
                         nominal_replications=4)
    assert len(p.design) == 1 + 4 * (len(p.varied) + 2)       # + chance, + 1 per trajectory
    assert p.runs == (len(p.design) - 1) * 2 * 2 + 4 * 2
    done = []
    result = sensitivity.run(p, population, workers=1, progress=done.append)
    assert sum(done) == p.runs
    wait = result.indices[(result.indices.outcome == "desk_wait_mean")
                          & (result.indices.scenario == "base")].set_index("factor")
    chance = wait.loc["chance", "mu_star"]
    drivers = ["arrivals.daily_volume", "desk.service_seconds.median"]   # the load
    assert sorted(wait.loc[drivers, "rank"]) == [1, 2]
    assert (wait.loc[drivers, "mu_star_low"] > chance).all() and chance > 0
    # who is a victim and how long they stay in a shelter never change a desk wait, and the
    # same days at every point (common random numbers) make that exactly zero
    assert wait.loc["shelter.stay_days.median", "mu_star"] == 0
    assert wait.loc["victims.share", "mu_star"] == 0
    assert set(result.indices.outcome) == {"identification_gain", "identification_rate",
                                           "desk_wait_mean", "flags_per_10k"}
    assert 0 <= result.held <= result.judged == len(p.design) - 1
    again = sensitivity.run(p, population, workers=2)
    pd.testing.assert_frame_equal(again.indices, result.indices)


COSTS = """\
costs:
  currency: GBP                # assumption
  price_year: 2024             # assumption
  officer_per_hour: 20         # cost-sources.md, row 1 (on-costs: assumption)
  shelter_bed_per_night: 100   # assumption, range 50-400: no public figure
"""


def test_costs_are_swung_on_the_runs_as_written_not_re_simulated(files, population):
    """A cost changes no simulated outcome, so it stays out of the Morris design; its swing on
    the runs as written equals a fresh simulation with the cost changed."""
    from tipkit.sim.experiments.cost_effectiveness import cost_per_additional_victim
    from tipkit.sim.experiments.replications import run_replications

    without = sensitivity.plan(*_loaded(files), trajectories=2)
    files[0].write_text(BASE.replace("beds: 3", "beds: 300") + COSTS)   # none refused
    p = sensitivity.plan(*_loaded(files), trajectories=2, replications=1, seed=5,
                         nominal_replications=8)
    left = {f.key: f.left for f in p.factors if f.key.startswith("costs.")}
    assert left == dict.fromkeys(["costs.currency", "costs.price_year",
                                  "costs.officer_per_hour", "costs.shelter_bed_per_night"],
                                 "cost")
    assert [f.key for f in p.varied] == [f.key for f in without.varied]   # no longer a run
    assert [(f.key, f.low, f.high) for f in p.swung_costs] == [
        ("costs.officer_per_hour", 10.0, 30.0), ("costs.shelter_bed_per_night", 50.0, 400.0)]

    result = sensitivity.run(p, population, workers=1)
    bed = result.costs.set_index("factor").loc["costs.shelter_bed_per_night"]
    assert (bed.scenario, bed.outcome) == ("trained", "cost_per_additional_victim")
    dearer = {n: s.with_values({"costs.shelter_bed_per_night": 400.0})
              for n, s in p.scenarios.items()}
    fresh = {n: run_replications(s, population, 5, 8) for n, s in dearer.items()}
    expected = cost_per_additional_victim(fresh["base"], fresh["trained"], 1.0, 1.0, "GBP")
    assert bed.at_high == pytest.approx(expected["cost_per_additional_victim"], rel=1e-12)
    assert bed.at_low < bed.at_nominal < bed.at_high    # more referrals cost more bed-nights
    staff = result.costs.set_index("factor").loc["costs.officer_per_hour"]
    assert staff.at_low == staff.at_nominal == staff.at_high   # both options staff alike
    assert result.sentence().endswith(
        "Costs are not varied with the simulation (they change no simulated outcome); swung "
        "one at a time over their ranges, trained's cost per additional victim identified "
        f"(GBP {bed.at_nominal:,.0f} as written) runs from GBP {bed.at_low:,.0f} to "
        f"GBP {bed.at_high:,.0f}, most with what a shelter bed-night costs.")


def test_the_ranking_holds_where_no_option_ranked_lower_identifies_more():
    rows = [(0, "base", 0.10), (0, "half", 0.20), (0, "all", 0.30),      # as written
            (1, "base", 0.10), (1, "half", 0.25), (1, "all", 0.25),      # a tie holds
            (2, "base", 0.10), (2, "half", 0.35), (2, "all", 0.30),      # reversed
            (3, "base", float("nan")), (3, "half", 0.1), (3, "all", 0.2)]  # not judged
    points = pd.DataFrame(rows, columns=["point", "scenario", "identification_rate"])
    ranking, held, judged = sensitivity.ranking_holds(points, ["base", "half", "all"])
    assert ranking == ["all", "half", "base"]
    assert (held, judged) == (1, 2)


def test_the_sentence_names_a_driver_only_when_it_clears_chance():
    def indices(effect_low: float) -> pd.DataFrame:
        return pd.DataFrame([
            {"outcome": "identification_gain", "scenario": "all", "factor": "a",
             "label": "how often specialists notice control", "mu_star": 0.2,
             "mu_star_low": effect_low, "mu_star_high": 0.3, "rank": 1},
            {"outcome": "identification_gain", "scenario": "all", "factor": "chance",
             "label": "chance", "mu_star": 0.05, "mu_star_low": 0.0, "mu_star_high": 0.1,
             "rank": 2}])
    clear = sensitivity.summary_sentence(indices(0.1), ["all", "base"], 97, 100, "base")
    assert clear == ("The answer (all's gain in identification over base) depends most on "
                     "how often specialists notice control; the ranking all > base on "
                     "identification holds in 97% of the assumption space (97 of 100 sample "
                     "points).")
    unclear = sensitivity.summary_sentence(indices(0.01), ["all", "base"], 97, 100, "base")
    assert unclear.startswith("No assumption moves the answer")


@pytest.mark.slow
def test_command_writes_the_folder_and_the_reports_show_it(files, release, tmp_path):
    # a compare folder first (an --out is never written into): the sensitivity goes inside it
    compare_scenarios(files, replications=3, seed=4, out=tmp_path / "options",
                      population_dir=release, workers=1, sensitivity=False)
    out = tmp_path / "options" / "sensitivity"
    args = ["sim", "sensitivity", *map(str, files), "--method", "morris-simulated",
            "--samples", "2", "--replications", "1",
            "--seed", "4", "--population", str(release)]
    result = CliRunner().invoke(main, [*args, "--out", str(out), "--jobs", "2"])
    assert result.exit_code == 0, result.output
    assert "Varying 6 assumptions together" in result.output
    assert "the ranking" in result.output and "Not varied (11)" in result.output
    for name in ("factors.csv", "design.csv", "points.csv", "replications.csv",
                 "indices.csv", "run.json"):
        assert (out / name).is_file()
    meta = json.loads((out / "run.json").read_text())
    assert meta["kind"] == "sensitivity" and meta["scenarios"] == ["base", "trained"]
    assert meta["points"] == 2 * 8
    serial = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "serial"), "--jobs", "1"])
    assert serial.exit_code == 0, serial.output
    for name in ("design.csv", "points.csv", "indices.csv"):
        assert (out / name).read_bytes() == (tmp_path / "serial" / name).read_bytes()

    page = write_report(out, out / "report.html").read_text()
    assert 'data-chart="global-sensitivity"' in page and (out / "report-global-sensitivity.png"
                                                          ).is_file()
    assert meta["sentence"].split(";")[0].replace("'", "&#x27;") in page
    assert "Appendix: STRESS-DES report" in page and "Morris elementary effects" in page

    # the compare folder that holds it: the report adds the chart and the sentence
    page = write_report(tmp_path / "options", tmp_path / "options" / "report.html").read_text()
    assert 'data-chart="global-sensitivity"' in page
    assert "All assumptions varied together:" in page
