"""The desk-wait control variate: the fluid queue against hand computations, fresh runs drawn
like a replication's own arrivals (what makes the estimate unbiased), agreement with the direct
counts on long runs, a far smaller variance at the airport, and reproducible corrections."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from tipkit.sim.experiments.replications import run_replications
from tipkit.sim.experiments.stats import t_interval
from tipkit.sim.model.arrivals import arrival_blocks
from tipkit.sim.model.control import FRESH_RUNS, fresh_inflow, own_inflow, wait_corrections
from tipkit.sim.model.fluid import (BLOCK, STEP, expected_service, flight_blocks, fluid_waits,
                                   steps_of)
from tipkit.sim.model.kpis import CONTROLLED, direct_name
from tipkit.sim.model.scenario import Duration
from tipkit.sim.model.scenario_files import load_scenario
from tipkit.sim.model.streams import replication_stream

from test_sim_support import population, release, small_scenario  # noqa: F401 (fixtures)

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
NO_EXTRA = {f"screening.{lv}.extra_seconds": 0 for lv in ("none", "basic", "specialist")}
# one officer serving exactly one traveller a minute: two in each two-minute step of the flow
ONE_A_MINUTE = {**NO_EXTRA, "officers": 1, "time_pressure.speed_up": 0.0,
                "desk.service_seconds": {"distribution": "lognormal", "median": 60, "sigma": 0}}


def _steps(scenario, counts: dict[int, float]) -> np.ndarray:
    inflow = np.zeros((1, steps_of(scenario.run.days)))
    for step, n in counts.items():
        inflow[0, step] = n
    return inflow


def test_fluid_queue_of_ten_travellers_at_one_desk_matches_the_hand_computation():
    # ten arrive in the first two minutes, two are served each: the middle one (the 5th) leaves
    # after 2.5 steps (300 s), having arrived at 60 s on average: 4 minutes, within the target
    assert STEP == 120
    s = small_scenario(ONE_A_MINUTE)
    mean, p95, within = fluid_waits(_steps(s, {0: 10}), s)[0]
    assert (mean, within) == pytest.approx((4.0, 1.0))
    assert p95 == pytest.approx(4.0, rel=0.02)       # waits are kept to 2% for it
    # under time pressure (speed-up 0.5, full at 10) the first step serves 2 and leaves 8, so
    # the second serves 2 / (1 - 0.5 * 0.8): departures reach 5 at 1 + 3 / (10 / 3) steps
    pressed = small_scenario({**ONE_A_MINUTE, "time_pressure.speed_up": 0.5,
                              "time_pressure.full_at_queue": 10})
    assert fluid_waits(_steps(pressed, {0: 10}), pressed)[0, 0] == pytest.approx(
        (1 + 3 / (10 / 3)) * 2 - 1)


def test_fluid_waits_weigh_steps_by_arrivals_and_skip_the_warm_up():
    s = small_scenario(ONE_A_MINUTE)
    # 10 in step 0 (4 min each) and one alone in step 300 (no wait)
    both = fluid_waits(_steps(s, {0: 10, 300: 1}), s)[0]
    assert both[0] == pytest.approx(10 * 4.0 / 11)
    assert both[1] == pytest.approx(4.0, rel=0.02)
    later = small_scenario({**ONE_A_MINUTE, "run.warmup_hours": 1})
    assert fluid_waits(_steps(later, {0: 10, 300: 1}), later)[0] == pytest.approx(
        (0, 0, 1), abs=1 / 60)
    # four a step for 50 steps, two served: step k's arrivals leave at 2k + 1 steps, after
    # waiting k + 0.5 steps (2k + 1 minutes); the first 22 steps' within 45 minutes
    mean, p95, within = fluid_waits(_steps(s, {k: 4 for k in range(50)}), s)[0]
    assert mean == pytest.approx(50) and within == pytest.approx(22 / 50)
    assert p95 == pytest.approx(95, abs=1 + 0.02 * 95)
    # a run with nobody counted reports no wait rather than an undefined one
    assert fluid_waits(_steps(s, {}), s)[0].tolist() == [0, 0, 1]


def test_a_night_shift_lengthens_the_fluid_waits():
    day = small_scenario({**ONE_A_MINUTE, "officers": 2})
    night = small_scenario({**ONE_A_MINUTE, "officers": 2,
                            "night_shift": {"from_hour": 0, "to_hour": 6, "officers": 1}})
    # 60 arrive in step 30 (at 61 minutes on average); the middle one leaves after 30 of them
    inflow = _steps(day, {30: 60})
    assert fluid_waits(inflow, day)[0, 0] == pytest.approx(60 + 30 / 2 - 61)
    assert fluid_waits(inflow, night)[0, 0] == pytest.approx(60 + 30 / 1 - 61)


def _flights(starts, loads, arrivals) -> np.ndarray:
    return np.hstack(list(flight_blocks(np.array(starts), np.array(loads),
                                        np.zeros(len(starts), np.int64), 1, arrivals, 1.0)))


def test_a_flight_reaches_the_hall_one_mean_gap_per_passenger():
    s = small_scenario({"arrivals.pattern": "flights", "arrivals.deboarding_gap_seconds": [2, 8]})
    one = _flights([100.0], [160], s.arrivals)
    assert one.sum() == pytest.approx(160)
    assert one[0, :3] == pytest.approx([4, 24, 24])        # from 100 s, one every 5 s
    assert one[0, 7] == pytest.approx(12) and one[0, 8:].sum() == 0     # done at 900 s
    # the run's end cuts the flow as it cuts the travellers
    late = _flights([86400.0 - 400], [160], s.arrivals)
    assert late.sum() == pytest.approx(80)
    # flights across a boundary (6 h) of the blocks of steps the fluid is computed in, and one
    # landing at once
    assert 6 * 3600 % (BLOCK * STEP) == 0
    many = _flights([21000.0, 21500.0, 40000.0], [160, 100, 50], s.arrivals)
    assert many.sum() == pytest.approx(310) and many[0, 175:182].min() > 0
    instant = small_scenario({"arrivals.pattern": "flights",
                              "arrivals.deboarding_gap_seconds": [0, 0]})
    lump = _flights([130.0], [40], instant.arrivals)
    assert lump[0, 1] == 40 and lump.sum() == 40


def test_recording_flights_changes_no_arrival():
    s = load_scenario(SCENARIOS / "airport-baseline.yaml")
    plain = list(arrival_blocks(s.arrivals, 1, replication_stream(3, 0, "arrivals")))
    flights: list = []
    recorded = list(arrival_blocks(s.arrivals, 1, replication_stream(3, 0, "arrivals"), flights))
    assert all(np.array_equal(a, b) for a, b in zip(plain, recorded))
    assert len(plain) == len(recorded)
    aboard = sum(int(f[1].sum()) for f in flights)
    assert aboard >= sum(len(b) for b in plain) > 0.9 * aboard   # a few cut by the day's end


def test_expected_service_after_the_cap_in_closed_form():
    rng = np.random.default_rng(0)
    lognormal = Duration("lognormal", median=50.4, sigma=0.54, cap=180.0)
    draws = np.minimum(50.4 * np.exp(0.54 * rng.standard_normal(400_000)), 180.0)
    assert expected_service(lognormal) == pytest.approx(draws.mean(), rel=0.003)
    exponential = Duration("exponential", mean=60.0, cap=120.0)
    assert expected_service(exponential) == pytest.approx(60 * (1 - math.exp(-2)))
    assert expected_service(Duration("exponential", mean=60.0)) == 60.0


FRESH_CHECKS = {
    "airport flight banks": ("airport-baseline.yaml", {}),
    "land border, night shift, warm-up": ("land-border-night-one-officer.yaml",
                                          {"run.days": 2, "run.warmup_hours": 12}),
    "e-gates, a day cut short": ("airport-egates.yaml", {"run.days": 0.8}),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", list(FRESH_CHECKS))
def test_fresh_runs_are_drawn_like_a_replications_own_arrivals(name):
    """What the estimate's unbiasedness rests on: E[fluid KPI of fresh runs] = E[fluid KPI of a
    replication's own arrivals]. 1500 of each agree within 3 standard errors on each KPI and on
    the travellers a run brings; and the fresh runs do not depend on the replication's day."""
    file, changes = FRESH_CHECKS[name]
    s = load_scenario(SCENARIOS / file).with_values(changes) if changes else \
        load_scenario(SCENARIOS / file)
    n = 1500
    own_rows = np.vstack([np.hstack(list(own_inflow(s, replication_stream(5, r, "arrivals"))))
                          for r in range(n)])
    fresh_rows = np.hstack(list(fresh_inflow(s, replication_stream(5, 0, "fluid_days"), n)))
    for own, fresh in ((fluid_waits(own_rows, s), fluid_waits(fresh_rows, s)),
                       (own_rows.sum(axis=1, keepdims=True),
                        fresh_rows.sum(axis=1, keepdims=True))):
        se = np.sqrt(own.var(axis=0, ddof=1) / n + fresh.var(axis=0, ddof=1) / n)
        gap = np.abs(own.mean(axis=0) - fresh.mean(axis=0))
        assert (gap <= 3 * se + 1e-12).all(), (name, own.mean(axis=0), fresh.mean(axis=0), se)
    first_fresh = np.vstack([np.hstack(list(fresh_inflow(s, replication_stream(5, r, "fluid_days"),
                                                         1))) for r in range(200)])
    r = np.corrcoef(fluid_waits(own_rows[:200], s)[:, 0], fluid_waits(first_fresh, s)[:, 0])[0, 1]
    assert abs(r) < 3 / math.sqrt(200), r


AGREEMENT = {
    "airport-like flight banks": {"arrivals.pattern": "flights", "arrivals.daily_volume": 3000,
                                  "arrivals.hourly_profile": [0] * 6 + [4, 8, 6, 3] * 4 + [0] * 2,
                                  "officers": 4},
    "hourly Poisson land border, night shift, warm-up": {
        "officers": 3, "night_shift": {"from_hour": 22, "to_hour": 6, "officers": 1},
        "arrivals.daily_volume": 2500, "run.days": 2, "run.warmup_hours": 12,
        "time_pressure.full_at_queue": 40},
    "heavy congestion": {"officers": 2, "arrivals.daily_volume": 2600,
                         "arrivals.hourly_profile": [0] * 6 + [3] * 6 + [1] * 12,
                         "time_pressure.full_at_queue": 30, "time_pressure.speed_up": 0.3},
}


@pytest.mark.slow
@pytest.mark.parametrize("name", list(AGREEMENT))
def test_controlled_waits_estimate_what_the_direct_count_does(population, name):
    """Paired per replication, controlled minus counted has an interval covering 0 for each
    desk-wait KPI (Bonferroni over the three, 95% together); and each varies less."""
    table = run_replications(small_scenario(AGREEMENT[name]), population, seed=31,
                             replications=60, workers=1)
    for kpi in CONTROLLED:
        controlled, direct = table[kpi], table[direct_name(kpi)]
        mean, low, high, n = t_interval((controlled - direct).tolist(), 1 - 0.05 / 3)
        assert n == 60 and low <= 0 <= high, (name, kpi, mean, low, high)
    assert table.desk_wait_mean.var() < table.desk_wait_mean_direct.var() / 2, name


@pytest.mark.slow
def test_control_variate_shrinks_the_airport_wait_variance_tenfold(population):
    """The airport baseline's day-to-day spread of desk waits is the flights': the control
    removes nearly all of it. Over 300 replications the variance ratio is about 1/55 for the
    mean and the 95th percentile and 1/40 for the share within the target; 30 replications
    estimate a ratio loosely (up to 1/24 and 1/10 in ten such blocks), hence the bounds."""
    s = load_scenario(SCENARIOS / "airport-baseline.yaml")
    table = run_replications(s, population, seed=1, replications=30, workers=1)
    for kpi, bound in (("desk_wait_mean", 10), ("desk_wait_p95", 10), ("desk_within_target", 5)):
        assert table[kpi].var() < table[direct_name(kpi)].var() / bound, kpi


def test_corrections_are_reproducible_and_differ_by_replication():
    s = load_scenario(SCENARIOS / "airport-baseline.yaml")
    first = wait_corrections(s, 7, 0)
    assert wait_corrections(s, 7, 0) == first
    assert set(first) == set(CONTROLLED)
    assert wait_corrections(s, 7, 1) != first and wait_corrections(s, 8, 0) != first
    # the fresh runs are common to scenarios on the same seed (common random numbers)
    more = s.with_values({"officers": 14})
    own = np.hstack(list(own_inflow(s, replication_stream(7, 0, "arrivals"))))
    fresh = np.hstack(list(fresh_inflow(s, replication_stream(7, 0, "fluid_days"), FRESH_RUNS)))
    expected = fluid_waits(fresh, more)[:, 0].mean() - fluid_waits(own, more)[0, 0]
    assert wait_corrections(more, 7, 0)["desk_wait_mean"] == pytest.approx(expected, rel=1e-12)
