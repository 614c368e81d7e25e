"""Calibration to observed facts: the facts file and its one-line errors, the likelihood and the
sampler on problems whose answer is known, the command's folder (posterior.csv as `--posterior`
reads it, a runnable calibrated.yaml), and a small simulation-based check of coverage."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from tipkit.cli import main
from tipkit.errors import UserError
from tipkit.sim.experiments import calibration as cal
from tipkit.sim.model.national import load_national
from tipkit.sim.model.observed import Fact, check_facts, load_facts, parse_facts
from tipkit.sim.model.scenario_files import load_scenario

from test_sim_support import release  # noqa: F401 (a fixture)

ROOT = Path(__file__).resolve().parents[1]
AIRPORT = ROOT / "scenarios" / "airport-baseline.yaml"
NATIONAL = ROOT / "scenarios" / "national" / "national-baseline.yaml"

FLAT = ", ".join(["1"] * 24)
SMALL = f"""\
name: small
arrivals:
  pattern: hourly
  daily_volume: 800            # assumption, range 500-1200: a quiet crossing
  hourly_profile: [{FLAT}]    # assumption: flat
victims:
  share: 0.02                  # assumption, range 0.01-0.04: no prevalence is published
  transport: [bus, train, plane, other]   # assumption
officers: 2                    # assumption
training:
  specialist_share: 0.0
screening:
  none:
    document: 0.3
    false_alarm: 0.0006
    extra_seconds: 0
desk:
  service_seconds:
    distribution: lognormal
    median: 60
    sigma: 0.3
shelter:
  beds: 50
  occupied_at_start: 0
run:
  days: 1
"""


def _facts(tmp_path, text: str) -> Path:
    path = tmp_path / "facts.yaml"
    path.write_text(text)
    return path


# ---- the facts file -------------------------------------------------------------------------

def test_the_shipped_facts_files_fit_the_shipped_scenarios():
    airport = load_facts(ROOT / "scenarios" / "observed" / "airport-facts.yaml")
    national = load_facts(ROOT / "scenarios" / "observed" / "national-facts.yaml")
    check_facts(airport, load_scenario(AIRPORT))
    check_facts(national, load_national(NATIONAL))
    assert len(airport.facts) == 3 and len(national.facts) == 6
    for facts in (airport, national):
        assert all(f.source for f in facts.facts)
        assert any(not f.illustrative for f in facts.facts)    # some public figures


@pytest.mark.parametrize("fact, problem", [
    ("{kpi: referals, total: 300}", "not a KPI of summary.csv (did you mean referrals?)"),
    ("{kpi: referrals, total: -3}", "a count cannot be negative"),
    ("{kpi: desk_wait_mean, mean: 14, interval: [15, 16]}", "is not around the mean 14"),
    ("{kpi: desk_wait_mean, mean: 14, interval: [16, 12]}", "is not around the mean 14"),
    ("{kpi: flags_per_10k, total: 300}", "a total needs a count"),
    ("{kpi: referrals, total: 3, mean: 2}", "give either total"),
    ("{kpi: referrals, totl: 3}", "unknown key totl"),
    ("{kpi: desk_wait_mean, mean: 14}", "interval: expected [low, high]"),
])
def test_a_bad_fact_is_one_line_exit_2_and_nothing_written(tmp_path, fact, problem):
    facts = _facts(tmp_path, f"period_days: 365\nfacts:\n  - {fact}\n")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["sim", "calibrate", str(AIRPORT), "--observed",
                                       str(facts), "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert problem in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not out.exists()


def test_a_national_fact_names_a_national_kpi_or_a_point():
    national = load_national(NATIONAL)
    ok = parse_facts({"period_days": 30, "facts": [
        {"kpi": "seaport.referrals", "total": 4}, {"kpi": "referrals_per_day", "total": 90}]},
        "facts")
    check_facts(ok, national)
    for kpi, problem in (("harbour.referrals", "no crossing point harbour"),
                         ("referrals", "not a national KPI"),
                         ("seaport.referals", "not a KPI of summary.csv")):
        with pytest.raises(UserError, match=problem):
            check_facts(parse_facts({"period_days": 30, "facts": [{"kpi": kpi, "total": 4}]},
                                    "facts"), national)


@pytest.mark.parametrize("vary, problem", [
    ("victims.share=0.002..0.001", "LO must be below HI"),
    ("victims.share=0..5", "can only take values from 0 to 1"),
    ("officers=1..3", "is not a number the scenario can take a prior over"),
    ("desk.service_seconds.median", "give its prior range"),
])
def test_a_bad_vary_is_one_line_exit_2(tmp_path, vary, problem):
    result = CliRunner().invoke(main, [
        "sim", "calibrate", str(AIRPORT), "--observed",
        str(ROOT / "scenarios" / "observed" / "airport-facts.yaml"), "--vary", vary,
        "--out", str(tmp_path / "out")])
    assert result.exit_code == 2 and problem in result.output, result.output
    assert not (tmp_path / "out").exists()


def test_period_days_must_be_positive(tmp_path):
    with pytest.raises(UserError, match="period_days"):
        load_facts(_facts(tmp_path, "period_days: 0\nfacts:\n  - {kpi: referrals, total: 3}\n"))


# ---- the mathematics ------------------------------------------------------------------------

def test_a_mean_interval_is_read_as_a_90_percent_normal_interval():
    fact = Fact("desk_wait_mean", mean=10.0, interval=(8.355, 11.645))
    assert fact.sd() == pytest.approx(1.0, rel=1e-3)
    wider = Fact("desk_wait_mean", mean=10.0, interval=(8.04, 11.96), level=0.95)
    assert wider.sd() == pytest.approx(1.0, rel=1e-2)


def test_a_total_carries_its_count_noise_and_the_emulators():
    model = cal.FactModel(Fact("referrals", total=300.0), period_days=365, dispersion=1.5)
    var = model.variance(np.array([1.0]), np.array([0.0]))
    assert var[0] == pytest.approx(1.5 * 365)
    var = model.variance(np.array([1.0]), np.array([0.1]))
    assert var[0] == pytest.approx(1.5 * 365 + 36.5 ** 2)


def test_the_sampler_recovers_a_known_posterior():
    """A Gaussian likelihood well inside the unit square: the SMC draws have its mean and sd."""
    centre, sd = np.array([0.3, 0.6]), np.array([0.05, 0.1])

    def log_like(u):
        return -0.5 * (((u - centre) / sd) ** 2).sum(axis=1)

    u, _ = cal.smc_posterior(log_like, 2, 2000, np.random.default_rng(4))
    assert u.mean(axis=0) == pytest.approx(centre, abs=0.01)
    assert u.std(axis=0) == pytest.approx(sd, rel=0.1)


def test_a_product_fixed_by_the_facts_is_said_to_be_fixed_together():
    rng = np.random.default_rng(1)
    a = rng.uniform(1, 2, 5000)
    b = 3.0 / a * rng.normal(1, 0.01, 5000)       # a x b = 3: neither alone
    params = [cal.Parameter("victims.share", "prevalence", 1.5, 1, 2, "", ("victims.share",)),
              cal.Parameter("screening.none.document", "noticing", 2.25, 1.5, 3, "",
                            ("screening.none.document",))]
    draws, weights = np.column_stack([a, b]), np.full(5000, 1 / 5000)
    rows = cal.summarise(params, draws, weights)
    words = " ".join(cal.identifiability_words(rows, cal.correlations(draws, weights)))
    assert "fix prevalence and noticing together (their product" in words
    assert all(r["verdict"] != "pinned down" for r in rows)


# ---- the command ----------------------------------------------------------------------------

@pytest.mark.slow
def test_calibrate_writes_the_posterior_robust_decisions_read_and_a_runnable_scenario(
        tmp_path, release):  # noqa: F811
    (tmp_path / "small.yaml").write_text(SMALL)
    facts = _facts(tmp_path, "period_days: 60\nfacts:\n"
                             "  - {kpi: referrals, total: 700, source: test}\n"
                             "  - {kpi: travellers, total: 48000, source: test}\n")
    out = tmp_path / "calibrated"
    args = ["sim", "calibrate", str(tmp_path / "small.yaml"), "--observed", str(facts),
            "--points", "16", "--replications", "2", "--population", str(release),
            "--jobs", "1", "--out", str(out)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    posterior = pd.read_csv(out / "posterior.csv")
    assert list(posterior.columns) == ["arrivals.daily_volume", "victims.share", "weight"]
    assert len(posterior) >= 200 and (posterior.weight >= 0).all()
    assert posterior.weight.sum() == pytest.approx(1.0)
    # 48,000 travellers in 60 days is 800 a day: the facts pin the volume down
    ident = pd.read_csv(out / "identifiability.csv").set_index("assumption")
    assert ident.loc["arrivals.daily_volume", "verdict"] == "pinned down"
    assert ident.loc["arrivals.daily_volume", "low"] < 800 < \
        ident.loc["arrivals.daily_volume", "high"]
    calibrated = load_scenario(out / "calibrated.yaml")
    assert calibrated.arrivals.daily_volume == pytest.approx(
        ident.loc["arrivals.daily_volume", "median"], rel=1e-3)
    assert calibrated.desk.service_seconds.median == 60      # the rest as the file has it
    text = (out / "calibrated.yaml").read_text()
    volume = next(line for line in text.splitlines() if "daily_volume" in line)
    assert "90% posterior interval" in volume and "travellers (facts.yaml)" in volume
    checks = pd.read_csv(out / "checks.csv")
    assert list(checks.kpi) == ["referrals", "travellers"]
    assert (out / "checks.png").stat().st_size > 0
    run = CliRunner().invoke(main, ["sim", "run", str(out / "calibrated.yaml"),
                                    "--replications", "2", "--population", str(release),
                                    "--jobs", "1", "--out", str(tmp_path / "run")])
    assert run.exit_code == 0, run.output
    again = CliRunner().invoke(main, args[:-1] + [str(tmp_path / "again")])
    assert again.exit_code == 0, again.output
    for name in ("posterior.csv", "calibrated.yaml", "checks.csv", "identifiability.csv",
                 "calibration.txt", "design.csv"):
        assert (tmp_path / "again" / name).read_bytes() == (out / name).read_bytes(), name


@pytest.mark.slow
def test_a_fact_no_prior_value_reaches_gets_a_plain_verdict(tmp_path, release):  # noqa: F811
    (tmp_path / "small.yaml").write_text(SMALL)
    facts = _facts(tmp_path, "period_days: 60\nfacts:\n"
                             "  - {kpi: travellers, total: 480000, source: test}\n")
    out = tmp_path / "calibrated"
    result = CliRunner().invoke(main, [
        "sim", "calibrate", str(tmp_path / "small.yaml"), "--observed", str(facts),
        "--vary", "arrivals.daily_volume", "--points", "12", "--replications", "2",
        "--population", str(release), "--jobs", "1", "--out", str(out)])
    assert result.exit_code == 0, result.output
    checks = pd.read_csv(out / "checks.csv")
    assert checks.verdict[0].startswith("cannot be reproduced")


@pytest.mark.slow
def test_simulation_based_calibration_covers_the_truth(tmp_path, release):  # noqa: F811
    """Ten truths from the prior, each one's facts simulated over ten days of its own and
    calibrated on one design: the 90% intervals cover the truths about 90% of the time, and
    the volume (fixed by the travellers counted) is pinned to under half its prior width."""
    from tipkit.sim.experiments.calibration_runs import coverage_check, prepare

    (tmp_path / "small.yaml").write_text(SMALL)
    facts = _facts(tmp_path, "period_days: 10\nfacts:\n"
                             "  - {kpi: referrals, total: 30}\n"
                             "  - {kpi: travellers, total: 8000}\n")
    setup = prepare(tmp_path / "small.yaml", facts, population_dir=release)
    assert [p.name for p in setup.params] == ["arrivals.daily_volume", "victims.share"]
    check = coverage_check(setup, truths=10, days=10, points=20, replications=2, workers=1)
    assert (check.covered.sum(axis=0) >= 7).all(), check.covered
    assert np.median(check.width_ratio[:, 0]) <= 0.5
    assert check.simulated == 20 * 2 + 10 * 10


def test_a_national_calibration_names_its_columns_point_by_point():
    """posterior.csv's columns are the keys `--posterior` sets: POINT.key, a value written
    alike at every point one assumption repeated for each, victims_per_day the network's."""
    from tipkit.sim.experiments.calibration_runs import prepare

    setup = prepare(NATIONAL, ROOT / "scenarios" / "observed" / "national-facts.yaml")
    by_name = {p.name: p for p in setup.params}
    assert by_name["victims_per_day"].keys == ("victims_per_day",)
    assert by_name["screening.none.document"].keys == tuple(
        f"{p}.screening.none.document"
        for p in ("capital-airport", "north-road", "south-rail-road", "seaport"))
    assert by_name["capital-airport.arrivals.daily_volume"].keys == (
        "capital-airport.arrivals.daily_volume",)
    assert not any(k.endswith("victims.share") for k in setup.keys)   # set by the routing
    national = load_national(NATIONAL)
    changed = national.with_values(setup.changes([p.high for p in setup.params]))
    assert changed.point("seaport").scenario.screening.none.document == 0.45
    one = prepare(NATIONAL, ROOT / "scenarios" / "observed" / "national-facts.yaml",
                  varies=["seaport.screening.none.document=0.1..0.5"])
    assert [p.keys for p in one.params] == [("seaport.screening.none.document",)]
