"""The border model's correctness: queueing theory, analytic identification, monotone
responses on common random numbers, and extreme values."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tipkit.sim.model.border import TravellerDraws, simulate
from tipkit.sim.model.queueing import erlang_c_wait
from tipkit.sim.experiments.replications import run_replications
from tipkit.sim.model.streams import replication_streams

from test_sim_support import population, release, small_scenario  # noqa: F401 (fixtures)

NO_EXTRA = {f"screening.{lv}.extra_seconds": 0 for lv in ("none", "basic", "specialist")}
NO_SCREENING = {**NO_EXTRA, "victims.share": 0.0,
                **{f"screening.{lv}.false_alarm": 0.0 for lv in ("none", "basic", "specialist")}}


def mmc(officers=5, rho=0.8, days=3.0, warmup=12.0, extra=None):
    """Screening switched off, exponential service (mean 60 s): an M/M/c queue."""
    mean = 60.0
    changes = {**NO_SCREENING, "officers": officers,
               "arrivals.daily_volume": rho * officers / mean * 86400,
               "desk.service_seconds": {"distribution": "exponential", "mean": mean},
               "time_pressure.speed_up": 0.0, "time_pressure.noticing_loss": 0.0,
               "run.days": days, "run.warmup_hours": warmup, **(extra or {})}
    return small_scenario(changes)


def test_waits_match_erlang_c_without_screening(population):
    table = run_replications(mmc(), population, seed=11, replications=12, workers=1)
    waits = table.desk_wait_mean.to_numpy()
    half = 2.2 * waits.std(ddof=1) / math.sqrt(len(waits))
    expected = erlang_c_wait(0.8 * 5 / 60, 1 / 60, 5) / 60
    assert abs(waits.mean() - expected) < half, (waits.mean(), expected, half)
    assert abs(table.officer_utilisation.mean() - 0.8) < 0.02


def test_erlang_c_formula_against_known_values():
    # M/M/1: Wq = rho / (mu - lambda); M/M/2 at rho 0.5: Wq = 1/3 of the mean service time
    assert erlang_c_wait(0.5, 1.0, 1) == pytest.approx(1.0)
    assert erlang_c_wait(1.0, 1.0, 2) == pytest.approx(1 / 3)
    assert erlang_c_wait(2.0, 1.0, 2) == math.inf


def test_littles_law_holds_at_the_desks(population):
    tally = simulate(mmc(days=4, warmup=12), population, seed=5, replication=0,
                     queue_probe_seconds=5.0)
    horizon = tally.queue_samples * 5.0
    arrival_rate = tally.desk_wait.count / horizon
    mean_queue = tally.queue_sampled_total / tally.queue_samples
    assert mean_queue == pytest.approx(arrival_rate * tally.desk_wait.mean, rel=0.05)


def test_identification_matches_its_analytic_value_without_congestion(population):
    level = {"document": 0.5, "minor": 0.4, "control": 0.2, "group": 0.1, "false_alarm": 0.01,
             "extra_seconds": 0}
    scenario = small_scenario({
        "officers": 40, "training.basic_share": 1.0, "victims.share": 0.05,
        "screening.basic": level, "secondary.specialists": 50, "secondary.confirms_victim": 0.8,
        "time_pressure.noticing_loss": 0.0})
    table = run_replications(scenario, population, seed=3, replications=10, workers=1)
    found = (table.identification_rate_direct * table.victims).sum() / table.victims.sum()

    p = [level[name] for name in ("document", "minor", "control", "group")]
    missed = [(1 - level["false_alarm"]) * math.prod(1 - p[k] for k in range(4) if carried[k])
              for carried in (prof.indicators for prof in population.profiles)]
    expected = 0.8 * (1 - np.mean(missed))
    se = math.sqrt(expected * (1 - expected) / table.victims.sum())
    assert abs(found - expected) < 3.5 * se, (found, expected, se)
    # the virtual victims give the analytic value every day (tests/test_sim_virtual.py)
    assert table.identification_rate.to_numpy() == pytest.approx([expected] * 10, rel=1e-12)
    assert table.desk_wait_mean.max() < 0.5   # truly uncongested


def test_more_trained_officers_never_lower_identification(population):
    """Paired on the same seeds; training adds no screening time, so the queue is the same and
    each officer is at least as trained: every replication identifies at least as many."""
    mixes = [(0.0, 0.0), (0.5, 0.0), (0.5, 0.5), (0.0, 1.0)]
    counts = []
    for basic, specialist in mixes:
        scenario = small_scenario({**NO_EXTRA, "training.basic_share": basic,
                                   "training.specialist_share": specialist,
                                   "victims.share": 0.03})
        table = run_replications(scenario, population, seed=7, replications=6, workers=1)
        counts.append(table.identified.to_numpy())
    for fewer, more in zip(counts, counts[1:]):
        assert (more >= fewer).all()
    assert counts[-1].sum() > counts[0].sum()


def test_more_officers_never_raise_the_mean_wait(population):
    """Paired on the same seeds, each day's counted waits (a property of the queue's sample
    path, which the control-variate estimate need not keep day by day) and the estimates' mean."""
    counted, estimated = [], []
    for officers in (3, 4, 6, 9):
        scenario = small_scenario({**NO_EXTRA, "officers": officers,
                                   "time_pressure.speed_up": 0.0})
        table = run_replications(scenario, population, seed=2, replications=5, workers=1)
        counted.append(table.desk_wait_mean_direct.to_numpy())
        estimated.append(table.desk_wait_mean.mean())
    for fewer, more in zip(counted, counted[1:]):
        assert (more <= fewer + 1e-12).all()
    assert counted[0].mean() > counted[-1].mean()
    assert estimated == sorted(estimated, reverse=True)


def test_nth_traveller_is_the_same_person_in_every_scenario(population):
    a = small_scenario()
    b = small_scenario({"officers": 9, "training.specialist_share": 0.5,
                        "desk.service_seconds.median": 70})
    draws = [TravellerDraws(500, replication_streams(4, 2), s, population.profiles)
             for s in (a, b)]
    assert draws[0].victim == draws[1].victim
    assert draws[0].notice == draws[1].notice
    # a slower desk keeps each traveller's place in the distribution
    ratio = np.array(draws[1].desk_service) / np.array(draws[0].desk_service)
    capped = np.array(draws[1].desk_service) >= 180 - 1e-9
    assert np.allclose(ratio[~capped], 70 / a.desk.service_seconds.median)

    ta = run_replications(a, population, seed=4, replications=3, workers=1)
    tb = run_replications(b, population, seed=4, replications=3, workers=1)
    assert ta.victims.tolist() == tb.victims.tolist()
    assert ta.travellers.tolist() == tb.travellers.tolist()


def test_same_seed_same_results_whatever_the_number_of_processes(population):
    scenario = small_scenario()
    serial = run_replications(scenario, population, seed=9, replications=6, workers=1)
    parallel = run_replications(scenario, population, seed=9, replications=6, workers=2)
    again = run_replications(scenario, population, seed=9, replications=range(3, 6), workers=2)
    assert serial.equals(parallel)
    assert serial.iloc[3:].reset_index(drop=True).drop(columns="replication").equals(
        again.drop(columns="replication"))
    other = run_replications(scenario, population, seed=10, replications=6, workers=1)
    assert not serial.equals(other)


def test_time_pressure_costs_identifications_only_when_switched_on(population):
    tight = {"officers": 4, "victims.share": 0.03, "time_pressure.full_at_queue": 10}
    off = small_scenario({**tight, "time_pressure.noticing_loss": 0.0})
    on = small_scenario({**tight, "time_pressure.noticing_loss": 0.9})
    t_off = run_replications(off, population, seed=1, replications=4, workers=1)
    t_on = run_replications(on, population, seed=1, replications=4, workers=1)
    assert (t_off.missed_time_pressure == 0).all()
    assert t_on.missed_time_pressure.sum() > 0
    assert t_on.identified.sum() < t_off.identified.sum()


def test_zero_victims_runs_and_leaves_identification_undefined(population):
    tally = simulate(small_scenario({"victims.share": 0.0}), population, 1, 0)
    k = tally.kpis
    assert k["victims"] == 0 and k["identified"] == 0
    assert math.isnan(k["identification_rate"])
    assert k["flags_per_10k"] > 0 and k["flag_ppv"] == 0


def test_no_egates_means_no_egate_figures_and_gates_take_travellers(population):
    none = simulate(small_scenario(), population, 1, 0).kpis
    assert math.isnan(none["egate_wait_mean"]) and math.isnan(none["egate_utilisation"])
    gates = simulate(small_scenario({"egates.gates": 4}), population, 1, 0)
    assert gates.kpis["egate_utilisation"] > 0
    assert gates.desk_wait.count < gates.travellers


def test_failed_egates_send_travellers_to_a_desk(population):
    scenario = small_scenario({"egates.gates": 3, "egates.eligible_share": 1.0,
                               "egates.failure_share": 1.0, "victims.share": 0.0})
    tally = simulate(scenario, population, 1, 0)
    assert tally.egate_wait.count == tally.travellers == tally.desk_wait.count


def test_one_officer_serves_everyone(population):
    tally = simulate(small_scenario({"officers": 1, "arrivals.daily_volume": 400}),
                     population, 1, 0)
    assert tally.desk_wait.count == tally.travellers > 300
    assert 0 < tally.kpis["officer_utilisation"] <= 1


def test_a_shelter_of_zero_beds_refuses_every_referral(population):
    scenario = small_scenario({"shelter.beds": 0, "victims.share": 0.05,
                               "secondary.specialists": 5})
    k = simulate(scenario, population, 1, 0).kpis
    assert k["referrals"] > 0                    # expected referrals (virtual victims)
    assert k["refused_referrals"] == k["referrals_direct"] > 0    # every one counted: refused
    assert k["shelter_occupancy"] == 0


def test_a_full_shelter_makes_referrals_wait_when_told_to(population):
    base = {"shelter.beds": 1, "shelter.occupied_at_start": 1, "victims.share": 0.05,
            "secondary.specialists": 5, "shelter.stay_days.median": 60}
    refuse = simulate(small_scenario(base), population, 1, 0).kpis
    wait = simulate(small_scenario({**base, "shelter.when_full": "wait"}), population, 1, 0).kpis
    assert refuse["refused_referrals"] > 0 and refuse["referrals_waiting"] == 0
    assert wait["refused_referrals"] == 0 and wait["referrals_waiting"] > 0
    assert wait["shelter_occupancy"] == pytest.approx(1.0)


def test_warmup_travellers_are_not_counted(population):
    whole = simulate(small_scenario({"run.days": 2}), population, 1, 0)
    later = simulate(small_scenario({"run.days": 2, "run.warmup_hours": 24}), population, 1, 0)
    assert 0.4 < later.travellers / whole.travellers < 0.6


def test_a_night_shift_with_one_officer_lengthens_waits(population):
    day = small_scenario({"officers": 3, **NO_EXTRA})
    night = small_scenario({"officers": 3, **NO_EXTRA,
                            "night_shift": {"from_hour": 20, "to_hour": 8, "officers": 1}})
    a = simulate(day, population, 1, 0).kpis
    b = simulate(night, population, 1, 0).kpis
    assert b["desk_wait_mean"] > 2 * a["desk_wait_mean"]
    assert b["officer_utilisation"] > a["officer_utilisation"]


def test_flight_banks_arrive_in_order_and_near_the_daily_volume(population):
    from tipkit.sim.model.arrivals import arrival_blocks
    scenario = small_scenario({"arrivals.pattern": "flights", "arrivals.daily_volume": 20000})
    blocks = list(arrival_blocks(scenario.arrivals, 10, np.random.default_rng(1)))
    times = np.concatenate(blocks)
    assert (np.diff(times) >= 0).all()
    assert 0.95 * 200000 < len(times) < 1.05 * 200000      # about 110 flights a day
    assert times.max() < 10 * 86400
