"""The warm-up check: MSER-5 on series with a known transient, the hourly series a replication
keeps for it, and the warning `sim run` gives (with the suggested warm-up) when a scenario's
warm-up is too short, stated again in the report's STRESS-DES appendix."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from tipkit.cli import main
from tipkit.sim.experiments.warmup import (WarmupCheck, check_warmups, needs_check,
                                           truncation_point)
from tipkit.sim.model.border import simulate
from tipkit.sim.report.page import write_report

from test_sim_support import population, release, small_scenario  # noqa: F401 (fixtures)

# A crossing whose shelter opens empty and fills within a day or two: 150 victims a day, stays
# of half a day on average, beds to spare. Its occupancy has an obvious transient.
FILLING = {"arrivals.daily_volume": 1500, "victims.share": 0.1, "shelter.beds": 80,
           "shelter.occupied_at_start": 0, "run.days": 5, "secondary.specialists": 4,
           "shelter.stay_days": {"distribution": "exponential", "mean": 0.5}}

FILLING_YAML = """\
name: filling-shelter
arrivals: {{pattern: hourly, daily_volume: 1500, hourly_profile: [{flat}]}}
victims: {{share: 0.1, transport: [bus, train, plane, other]}}
officers: 6
training: {{basic_share: 0.5, specialist_share: 0.0}}
time_pressure: {{full_at_queue: 20, noticing_loss: 0.5, speed_up: 0.2}}
secondary: {{specialists: 4}}
shelter:
  beds: 80
  occupied_at_start: 0
  stay_days: {{distribution: exponential, mean: 0.5}}
run: {{days: 5, warmup_hours: {warmup}}}
"""


def test_mser5_discards_a_known_transient_and_nothing_from_a_stationary_series():
    rng = np.random.default_rng(7)
    settled = rng.normal(0.0, 1.0, 400)
    transient = settled + np.r_[np.linspace(10.0, 0.0, 60), np.zeros(340)]
    assert 45 <= truncation_point(transient) <= 75
    assert truncation_point(settled) <= 10


def test_a_series_still_moving_after_half_the_run_has_not_settled():
    rng = np.random.default_rng(8)
    ramp = np.linspace(0.0, 20.0, 200) + rng.normal(0.0, 1.0, 200)
    assert truncation_point(ramp) is None
    assert truncation_point(np.zeros(10)) is None       # too short to judge


def test_the_hourly_series_only_observes_and_adds_up_to_the_run(population):
    scenario = small_scenario(FILLING)
    plain = simulate(scenario, population, 3, 0)
    kept = simulate(scenario, population, 3, 0, series=True)
    assert plain.series is None
    assert kept.kpis == plain.kpis
    s = kept.series
    assert sum(s.wait_count) == kept.travellers
    assert sum(s.wait_total) == pytest.approx(kept.desk_wait.total)   # no e-gates here
    assert sum(s.bed_seconds) == pytest.approx(kept.bed_seconds)      # no warm-up here


def test_too_short_a_warm_up_is_found_with_a_suggestion_and_an_adequate_one_is_not(population):
    checks = check_warmups({"short": small_scenario(FILLING),
                            "long": small_scenario({**FILLING, "run.warmup_hours": 48})},
                           population, 1, workers=1)
    short, long = checks["short"], checks["long"]
    assert short.too_short and 10 <= short.suggested_hours <= 48
    message = short.message()
    assert f"set run.warmup_hours to {short.suggested_hours:g} or more" in message
    assert "shelter occupancy" in message
    assert not long.too_short and long.message() is None
    assert "long enough" in long.sentence()
    assert WarmupCheck.from_dict(json.loads(json.dumps(short.as_dict()))) == short


def test_a_terminating_day_is_not_checked(population):
    day = small_scenario()
    assert not needs_check(day)
    assert check_warmups({"day": day}, population, 1, workers=1) == {}


@pytest.mark.slow
def test_sim_run_warns_in_one_line_and_the_report_states_the_check(tmp_path, release):
    flat = ", ".join(["1"] * 24)
    outputs = {}
    for warmup in (0, 48):
        path = tmp_path / f"filling-{warmup}.yaml"
        path.write_text(FILLING_YAML.format(flat=flat, warmup=warmup))
        out = tmp_path / f"out-{warmup}"
        result = CliRunner().invoke(main, ["sim", "run", str(path), "--replications", "2",
                                           "--out", str(out), "--population", str(release),
                                           "--jobs", "1"])
        assert result.exit_code == 0, result.output
        outputs[warmup] = (result.output, out)
    text, out = outputs[0]
    warnings = [line for line in text.splitlines() if line.startswith("Warning:")]
    assert len(warnings) == 1
    assert "warm-up of 0 h is too short" in warnings[0]
    assert "set run.warmup_hours to" in warnings[0]
    assert json.loads((out / "run.json").read_text())["warmup"]["filling-shelter"]
    page = write_report(out, out / "report.html").read_text()
    assert "Warm-up check (MSER-5" in page and "too short" in page

    text, out = outputs[48]
    assert "Warning:" not in text
    page = write_report(out, out / "report.html").read_text()
    assert "warm-up of 48 h is long enough" in page


@pytest.mark.slow
def test_the_shipped_land_border_and_national_land_points_keep_a_long_enough_warm_up():
    """The shipped 24/7 crossings' warm-ups are the check's own (their comments say so): the
    land-border scenarios, and the national network's land points as they run in it."""
    from pathlib import Path

    from tipkit.sim.experiments.national_runs import point_warmup_checks
    from tipkit.sim.model.national import load_national
    from tipkit.sim.model.population import load_population
    from tipkit.sim.model.scenario_files import load_scenario

    shipped = Path(__file__).resolve().parents[1] / "scenarios"
    victims = load_population(None)              # the committed release, as users run them
    land = {p.stem: load_scenario(p) for p in sorted(shipped.glob("land-border-*.yaml"))}
    checks = check_warmups(land, victims, 1, workers=2)
    national = load_national(shipped / "national" / "national-baseline.yaml")
    points = point_warmup_checks({national.name: national}, victims, 1, workers=2)["warmup"]
    assert len(checks) == 2 and sorted(points) == ["national-baseline, north-road",
                                                   "national-baseline, seaport",
                                                   "national-baseline, south-rail-road"]
    for check in [*checks.values(), *map(WarmupCheck.from_dict, points.values())]:
        assert not check.too_short, check.message()
