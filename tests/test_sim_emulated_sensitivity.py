"""Global sensitivity through the emulator: on a small crossing whose drivers are known, the
emulated method names the same top assumptions as Morris on the simulation, finds no effect
where there is none, says which figures are emulated, and repeats itself by seed."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from tipkit.cli import main
from tipkit.errors import UserError
from tipkit.sim.experiments import emulated_sensitivity, sensitivity
from tipkit.sim.report.page import write_report

from test_sim_sensitivity import _loaded, files  # noqa: F401 (fixture)
from test_sim_support import population, release  # noqa: F401 (fixtures)


def _top(indices: pd.DataFrame, outcome: str, scenario: str, n: int) -> set[str]:
    rows = indices[(indices.outcome == outcome) & (indices.scenario == scenario)
                   & (indices.factor != sensitivity.CHANCE)]
    return set(rows.sort_values("rank").factor.head(n))


@pytest.fixture
def emulated(files, population):  # noqa: F811
    p = emulated_sensitivity.plan(*_loaded(files), seed=3, nominal_replications=4)
    return emulated_sensitivity.run(p, population, workers=1)


@pytest.mark.slow
def test_emulated_top_assumptions_match_morris_on_the_simulation(files, population,  # noqa: F811
                                                                  emulated):
    simulated = sensitivity.run(sensitivity.plan(*_loaded(files), trajectories=4,
                                                 replications=2, seed=3,
                                                 nominal_replications=4),
                                population, workers=2)
    for outcome, scenario, n in (("desk_wait_mean", "base", 2), ("desk_wait_mean", "trained", 2),
                                 ("flags_per_10k", "base", 2),
                                 ("identification_gain", "trained", 1)):
        assert _top(emulated.indices, outcome, scenario, n) == \
            _top(simulated.indices, outcome, scenario, n), (outcome, scenario)
    # the load drives the desk wait, clearly beyond chance; who is a victim and how long a
    # shelter stay lasts do not (Morris on common random numbers finds exactly zero)
    wait = emulated.indices[(emulated.indices.outcome == "desk_wait_mean")
                            & (emulated.indices.scenario == "base")].set_index("factor")
    chance = wait.loc[sensitivity.CHANCE, "mu_star"]
    assert (wait.loc[["arrivals.daily_volume", "desk.service_seconds.median"],
                     "mu_star_low"] > chance).all()
    assert (wait.loc[["victims.share", "shelter.stay_days.median"], "mu_star_low"]
            <= chance).all()
    # the effects are the emulator's, chance's yardstick the simulation's
    assert set(wait.figure) == {"emulated", "simulated"}
    assert wait.loc[sensitivity.CHANCE, "figure"] == "simulated"


def test_the_emulated_answer_says_what_is_emulated_and_how_well_it_predicts(emulated):
    p = emulated.plan
    assert len(p.design) == 1 + emulated_sensitivity.MIN_POINTS     # 6 assumptions: the floor
    assert p.runs == (emulated_sensitivity.MIN_POINTS * 1 + 4) * 2
    assert len(emulated.replications) == p.runs
    sentence = emulated.sentence()
    assert f"(effects emulated from {emulated_sensitivity.MIN_POINTS} simulated assumption " \
           "sets)" in sentence
    assert "holds in 100% of the assumption space (emulated, 95% interval" in sentence
    assert f"simulated, it held at {emulated.held} of {emulated.judged}" in sentence
    # identification moves with one assumption only here: the emulator predicts simulations
    # it was not shown almost exactly
    gain = emulated.checks.set_index(["outcome", "scenario"]).loc[
        ("identification_gain", "trained")]
    assert gain.q2 > 0.95 and gain.covered >= 0.8
    share = emulated.share
    assert share["sure"] <= share["share"] <= share["possible"]


def test_same_seed_same_answer_other_seed_other_design(files, population, emulated):  # noqa: F811
    p = emulated_sensitivity.plan(*_loaded(files), seed=3, nominal_replications=4)
    again = emulated_sensitivity.run(p, population, workers=2)
    pd.testing.assert_frame_equal(again.indices, emulated.indices)
    pd.testing.assert_frame_equal(again.plan.design, emulated.plan.design)
    assert again.share == emulated.share
    other = emulated_sensitivity.plan(*_loaded(files), seed=4, nominal_replications=4)
    assert not np.allclose(other.design.to_numpy()[1:], p.design.to_numpy()[1:])
    assert other.design.iloc[0].equals(p.design.iloc[0])        # every assumption as written


def test_a_design_too_small_or_an_unknown_method_is_one_line(files):  # noqa: F811
    with pytest.raises(UserError, match="--points must be at least 4"):
        emulated_sensitivity.plan(*_loaded(files), points=3)
    result = CliRunner().invoke(main, ["sim", "sensitivity", *map(str, files),
                                       "--method", "sobol"])
    assert result.exit_code == 2 and "'sobol' is not one of" in result.output
    result = CliRunner().invoke(main, ["sim", "sensitivity", *map(str, files), "--samples", "4"])
    assert result.exit_code == 2 and "--samples (Morris trajectories) is for --method " \
        "morris-simulated" in result.output


@pytest.mark.slow
def test_command_default_is_emulated_and_the_report_marks_it(files, release,  # noqa: F811
                                                              tmp_path):
    out = tmp_path / "sensitivity"
    args = ["sim", "sensitivity", *map(str, files), "--points", "40", "--seed", "4",
            "--population", str(release), "--jobs", "2"]
    result = CliRunner().invoke(main, [*args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "an emulator learned from 40 simulated assumption sets" in result.output
    assert "Emulated (with 95% intervals)" in result.output
    assert "Emulators checked by leaving each simulated assumption set out" in result.output
    meta = json.loads((out / "run.json").read_text())
    assert meta["method_key"] == "emulated" and meta["points"] == 40
    assert set(meta["emulated"]) == {"share", "sure", "possible", "points"}
    assert (out / "emulator.csv").is_file()
    serial = CliRunner().invoke(main, [*args[:-2], "--jobs", "1", "--out",
                                       str(tmp_path / "serial")])
    assert serial.exit_code == 0, serial.output
    for name in ("design.csv", "points.csv", "indices.csv", "emulator.csv"):
        assert (out / name).read_bytes() == (tmp_path / "serial" / name).read_bytes()
    page = write_report(out, out / "report.html").read_text()
    assert "EMULATED" in page and "<b>Simulated</b>" in page
    assert 'data-chart="global-sensitivity"' in page
