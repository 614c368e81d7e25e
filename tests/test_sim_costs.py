"""Costs: a scenario's cost a day from its own figures (by hand), the cost KPIs of a run, and
the cost per additional victim identified with Fieller's interval, honest when unbounded."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from tipkit.cli import main
from tipkit.sim.experiments.cost_effectiveness import (cost_per_additional_victim, cost_verdict,
                                                       fieller)
from tipkit.sim.model import costs
from tipkit.sim.model.border import simulate
from tipkit.sim.model.scenario_files import load_scenario

from test_sim_support import population, release, small_scenario  # noqa: F401 (fixtures)

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


def test_a_day_of_a_crossing_point_costs_what_its_figures_say_by_hand():
    s = small_scenario({"officers": 6, "night_shift": {"from_hour": 22, "to_hour": 6,
                                                       "officers": 2},
                        "training.specialist_share": 0.5, "training.basic_share": 0.0,
                        "egates.gates": 3, "secondary.specialists": 2,
                        "costs.officer_per_hour": 20.0, "costs.secondary_per_hour": 30.0,
                        "costs.specialist_training": 1000.0, "costs.training_years": 2.0,
                        "costs.officer_hours_per_year": 1460.0, "costs.egate_per_day": 50.0})
    hours = 16 * 6 + 8 * 2                               # officer shift-hours in a day
    assert costs.officer_hours_a_day(s) == hours
    people = hours / 6 * 365 / 1460                       # people to keep one post staffed
    day = costs.border_costs_per_day(s)
    assert day["staff"] == pytest.approx(hours * 20.0)
    assert day["training"] == pytest.approx(3 * people * 1000.0 / 2.0 / 365)
    assert day["egates"] == pytest.approx(150.0)
    assert day["secondary"] == pytest.approx(2 * 24 * 30.0)
    assert costs.border_cost_per_year(s) == pytest.approx(sum(day.values()) * 365)


def test_shelter_cost_follows_the_referrals_a_run_places(population):
    s = small_scenario({"victims.share": 0.05, "shelter.beds": 50,
                        "costs.shelter_bed_per_night": 80.0})
    kpis = simulate(s, population, seed=2, replication=0).kpis
    placed = kpis["referrals"] - kpis["refused_referrals"]
    assert placed > 0
    expected = placed * s.shelter.stay_days.expected * 80.0 / costs.counted_days(s)
    assert kpis["cost_shelter_per_day"] == pytest.approx(expected)
    assert kpis["cost_per_day"] == pytest.approx(kpis["cost_shelter_per_day"]
                                                 + kpis["cost_border_per_day"])
    assert kpis["cost_border_per_day"] == pytest.approx(sum(costs.border_costs_per_day(s)
                                                            .values()))


def test_training_more_officers_costs_more_and_e_gates_cost_per_gate():
    base = load_scenario(SCENARIOS / "airport-baseline.yaml")
    half = load_scenario(SCENARIOS / "airport-train-half.yaml")
    gates = load_scenario(SCENARIOS / "airport-egates.yaml")
    assert costs.border_cost_per_year(half) > costs.border_cost_per_year(base)
    assert costs.border_cost_per_year(gates) - costs.border_cost_per_year(base) == \
        pytest.approx(8 * base.costs.egate_per_day * 365)
    assert base.costs.currency == "GBP"


def test_fieller_matches_the_closed_form_and_is_unbounded_when_the_gain_may_be_zero():
    rng = np.random.default_rng(5)
    gain = 2.0 + rng.normal(0, 0.5, 40)
    cost = 100.0 * gain + rng.normal(0, 20, 40)
    ratio = fieller(cost, gain)
    assert ratio.bounded and ratio.low < ratio.estimate < ratio.high
    assert ratio.estimate == pytest.approx(cost.mean() / gain.mean())
    # a constant cost over a noisy gain: Fieller is the cost over the gain's t-interval ends
    constant = fieller(np.full(40, 300.0), gain)
    half = 2.0227 * gain.std(ddof=1) / math.sqrt(40)            # t(0.975, 39)
    assert constant.low == pytest.approx(300 / (gain.mean() + half), rel=1e-3)
    assert constant.high == pytest.approx(300 / (gain.mean() - half), rel=1e-3)
    noisy = fieller(cost, rng.normal(0, 1, 40))
    assert not noisy.bounded and math.isinf(noisy.low) and math.isinf(noisy.high)


def test_fieller_covers_the_true_ratio_about_95_times_in_100():
    rng = np.random.default_rng(11)
    covered = 0
    for _ in range(400):
        gain = rng.normal(1.0, 1.0, 25)            # a gain barely clear of zero
        cost = rng.normal(50.0, 30.0, 25) + 40 * gain
        r = fieller(cost, gain)
        covered += r.bounded and r.low <= 90.0 <= r.high
    assert 0.9 <= covered / 400 <= 0.99


def _tables(gain, cost_gain):
    reps = np.arange(len(gain))
    base = pd.DataFrame({"replication": reps, "identified": 10.0, "cost_per_day": 1000.0,
                         "cost_border_per_day": 900.0})
    option = base.assign(identified=10.0 + gain, cost_per_day=1000.0 + cost_gain,
                         cost_border_per_day=900.0 + 50.0)
    return base, option


def test_cost_verdicts_say_the_cost_per_victim_or_why_there_is_none():
    clear, _ = _tables(np.full(10, 0.0), np.zeros(10))
    base, option = _tables(np.array([2.0, 3, 2, 4, 3, 2, 3, 4, 2, 3]), np.full(10, 500.0))
    row = cost_per_additional_victim(base, option, 1.0, 1.0, "GBP")
    assert row["bounded"] and row["cost_per_additional_victim"] == pytest.approx(500 / 2.8)
    assert row["verdict"].startswith("GBP 179 per additional victim identified (95% CI GBP")
    base, option = _tables(np.array([1.0, -1, 2, -2, 0, 1, -1, 0, 1, -1]), np.full(10, 500.0))
    row = cost_per_additional_victim(base, option, 1.0, 1.0, "GBP")
    assert not row["bounded"] and math.isnan(row["cost_per_additional_victim"])
    assert "not defined (unbounded)" in row["verdict"]
    base, option = _tables(np.array([-2.0, -3, -2, -4, -3, -2, -3, -4, -2, -3]), np.full(10, 9.0))
    assert "identifies fewer victims" in cost_per_additional_victim(base, option, 1.0, 1.0,
                                                                    "GBP")["verdict"]
    base, option = _tables(np.array([2.0, 3, 2, 4, 3, 2, 3, 4, 2, 3]), np.full(10, -200.0))
    row = cost_per_additional_victim(base, option, 1.0, 1.0, "GBP")
    assert cost_verdict(row).startswith("identifies more victims") and "saves GBP 200" in \
        row["verdict"]


def test_compare_writes_and_prints_the_cost_per_additional_victim(tmp_path, release):
    base = tmp_path / "base.yaml"
    base.write_text("arrivals: {pattern: hourly, daily_volume: 3000, hourly_profile: "
                    f"{[1] * 24}}}\nvictims: {{share: 0.02, transport: [bus, train, plane, "
                    "other]}\nofficers: 6\nrun: {days: 1}\n")
    option = tmp_path / "option.yaml"
    option.write_text("based_on: base.yaml\ntraining: {specialist_share: 1.0}\n")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["sim", "compare", str(base), str(option),
                                       "--replications", "6", "--no-sensitivity", "--jobs", "1",
                                       "--population", str(release), "--out", str(out)])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "cost_effectiveness.csv")
    assert list(table.costs_counted) == ["border agency and shelter", "border agency only"]
    assert "cost per additional victim identified:" in result.output
    border = table[table.costs_counted == "border agency only"].iloc[0]
    assert border.extra_cost_per_day > 0          # specialist training costs money
