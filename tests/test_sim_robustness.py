"""Decisions across calibrated worlds: the posterior read and checked, draws by weight and by
seed, probability of best and regret where the best option flips, PRIM's box on a known
threshold, and the commands simulating options in every world on common random numbers."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from tipkit.cli import main
from tipkit.errors import UserError
from tipkit.sim.experiments import discovery, robustness
from tipkit.sim.experiments.runs import compare_scenarios
from tipkit.sim.model.costs import DAYS_A_YEAR

from test_sim_support import population, release, small_scenario  # noqa: F401 (fixtures)


def _posterior(table: dict, weights) -> robustness.Posterior:
    return robustness.posterior_from_table(pd.DataFrame({**table, "weight": weights}))


# ---- the posterior and its draws ----------------------------------------------------------

def test_systematic_resampling_draws_each_row_in_proportion_to_its_weight():
    rng = np.random.default_rng(0)
    rows = robustness.systematic(np.array([0.5, 0.25, 0.0, 0.25]), 8, rng)
    assert np.bincount(rows, minlength=4).tolist() == [4, 2, 0, 2]   # exactly n x weight
    weights = np.random.default_rng(1).dirichlet(np.ones(30))
    rows = robustness.systematic(weights, 1000, rng)
    counts = np.bincount(rows, minlength=30)
    assert np.all(np.abs(counts - 1000 * weights) < 1 + 1e-9)       # floor or ceiling


def test_the_same_seed_draws_the_same_worlds_and_another_seed_others():
    post = _posterior({"victims.share": np.linspace(0.001, 0.02, 40)}, np.full(40, 1 / 40))
    first = robustness.draw_worlds(post, 10, seed=3)
    assert first.equals(robustness.draw_worlds(post, 10, seed=3))
    assert not first.posterior_row.equals(robustness.draw_worlds(post, 10, seed=4).posterior_row)
    assert first.columns.tolist() == ["draw", "posterior_row", "victims.share"]


@pytest.mark.parametrize("table, problem", [
    ({"victims.share": [0.01, 0.02]}, "no weight column"),
    ({"victims.share": [0.01, 0.02], "weight": [1.2, -0.2]}, "is negative"),
    ({"victims.share": [0.01, 0.02], "weight": [0.2, 0.2]}, "add up to 0.4, not 1"),
    ({"victims.share": ["a", 0.02], "weight": [0.5, 0.5]}, "not numbers"),
    ({"weight": [0.5, 0.5]}, "no varied key"),
])
def test_a_posterior_that_cannot_be_one_is_a_one_line_error(table, problem):
    with pytest.raises(UserError, match=problem) as error:
        robustness.posterior_from_table(pd.DataFrame(table))
    assert "\n" not in str(error.value)


def test_an_unknown_key_is_refused_naming_it():
    post = _posterior({"victims.shares": [0.01]}, [1.0])
    with pytest.raises(UserError, match="unknown key victims.shares"):
        robustness.check_keys(post, small_scenario())
    robustness.check_keys(_posterior({"victims.share": [0.01]}, [1.0]), small_scenario())


def test_the_command_refuses_a_bad_posterior_with_exit_2_and_writes_nothing(release, tmp_path):
    (tmp_path / "p.csv").write_text("victims.share,weight\n0.01,1.5\n0.02,-0.5\n")
    scenario = tmp_path / "s.yaml"
    scenario.write_text("name: s\nrun: {days: 1}\n")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["sim", "compare", str(scenario), str(scenario),
                                       "--posterior", str(tmp_path / "p.csv"),
                                       "--population", str(release), "--out", str(out)])
    assert result.exit_code == 2 and "is negative" in result.output
    assert not out.exists()


# ---- the decision across worlds (a world function whose answer is known) -------------------

def _fake_worlds(x: np.ndarray, per_day: dict, replications: int = 2) -> robustness.Worlds:
    """Worlds whose options identify a known number a day in each world (no chance)."""
    worlds = pd.DataFrame({"draw": np.arange(len(x)), "posterior_row": np.arange(len(x)),
                           "time_pressure.noticing_loss": x,
                           "screening.specialist.control": np.linspace(0.2, 0.6, len(x))})
    tables = {}
    for name, values in per_day.items():
        reps = np.arange(len(x) * replications)
        day = np.repeat(values, replications)
        tables[name] = pd.DataFrame({"replication": reps, "identification_rate": day / 10,
                                     "identified_per_day": day})
    return robustness.Worlds(list(per_day), worlds, replications, tables)


def test_probability_of_best_and_regret_where_the_best_option_flips():
    x = np.linspace(0.0, 1.0, 101)
    steady, bold = np.full_like(x, 1.0), 0.4 + x      # bold is best where x > 0.6
    found = robustness.analyse(_fake_worlds(x, {"steady": steady, "bold": bold}),
                               baseline=False)
    table = found.decisions.set_index("scenario")
    assert table.probability_best["bold"] == pytest.approx(np.mean(x > 0.6) + 0.5 / 101)
    assert table.probability_best.sum() == pytest.approx(1.0)       # the tie at 0.6 shared
    assert table.expected_regret_per_year["steady"] == pytest.approx(
        np.mean(np.maximum(bold - steady, 0)) * DAYS_A_YEAR)
    assert table.expected_regret_per_year["bold"] == pytest.approx(
        np.mean(np.maximum(steady - bold, 0)) * DAYS_A_YEAR)
    # steady loses less on average, though bold is best in 40% of the worlds
    assert found.recommended == "steady"
    assert "least expected regret" in found.sentences[0]
    # and PRIM says where steady fails: high time-pressure loss
    assert found.box is not None
    limits = found.box.limits.set_index("factor")
    assert limits.restricted_low["time_pressure.noticing_loss"]
    assert 0.55 <= limits.low["time_pressure.noticing_loss"] <= 0.65
    assert "steady stops being the best when how much less officers notice under time " \
           "pressure is above" in " ".join(found.sentences)


def test_the_share_of_worlds_an_option_beats_the_baseline_and_its_credible_interval():
    x = np.linspace(0.0, 1.0, 100)
    base, option = np.full_like(x, 1.0), 0.9 + 0.3 * x     # better where x > 1/3
    found = robustness.analyse(_fake_worlds(x, {"base": base, "option": option}))
    row = found.baseline.iloc[0]
    assert row.worlds_better == int(np.sum(option > base))
    gain = (option - base) / 10
    assert row.gain_mean == pytest.approx(gain.mean())
    assert (row.gain_low, row.gain_high) == pytest.approx((np.quantile(gain, 0.05),
                                                           np.quantile(gain, 0.95)))
    assert found.sentences[0].startswith("option identifies more victims than base in 66% of "
                                         "the calibrated worlds; the gain is +0.5 per 100")


def test_one_option_best_everywhere_is_recommended_with_no_regret_and_no_box():
    x = np.linspace(0, 1, 20)
    found = robustness.analyse(_fake_worlds(x, {"a": 1 + x, "b": 0.5 + x}), baseline=False)
    assert found.recommended == "a" and found.box is None
    assert found.decisions.set_index("scenario").expected_regret_per_year["a"] == 0
    assert "best option in every one of the 20 calibrated worlds" in found.sentences[0]


# ---- PRIM on a known threshold ------------------------------------------------------------

def test_prim_finds_the_box_of_a_known_threshold():
    rng = np.random.default_rng(7)
    x = pd.DataFrame({"victims.share": rng.uniform(0, 0.02, 300),
                      "secondary.confirms_victim": rng.uniform(0.3, 0.9, 300)})
    fails = (x["secondary.confirms_victim"] < 0.5).to_numpy()
    box = discovery.failure_box(x, fails)
    limits = box.limits.set_index("factor")
    assert limits.restricted_high["secondary.confirms_victim"]
    assert 0.46 <= limits.high["secondary.confirms_victim"] <= 0.52
    assert not limits.restricted_high["victims.share"] or \
        limits.high["victims.share"] > 0.015
    assert box.density >= 0.8 and box.coverage >= 0.8
    assert discovery.box_words(box).startswith("how often an interview confirms a victim is "
                                                 "below 4")                # 49.9%: a share
    assert discovery.failure_box(x, np.zeros(300, bool)) is None   # nothing fails


# ---- real simulations ---------------------------------------------------------------------

@pytest.fixture
def options(tmp_path) -> list[Path]:
    (tmp_path / "base.yaml").write_text(
        "name: base\narrivals: {pattern: hourly, daily_volume: 1500, hourly_profile: ["
        + ", ".join(["1"] * 24) + "]}\nvictims: {share: 0.02, transport: [bus, train, plane, "
        "other]}\nofficers: 4\ntraining: {basic_share: 0.0, specialist_share: 0.0}\n"
        "shelter: {beds: 3, occupied_at_start: 0}\nrun: {days: 1}\n")
    (tmp_path / "trained.yaml").write_text(
        "based_on: base.yaml\nname: trained\ntraining: {specialist_share: 1.0}\n")
    rng = np.random.default_rng(2)
    pd.DataFrame({"victims.share": rng.uniform(0.01, 0.03, 20),
                  "screening.specialist.control": rng.uniform(0.2, 0.6, 20),
                  "training.specialist_share": rng.uniform(0, 1, 20),
                  "weight": np.full(20, 0.05)}).to_csv(tmp_path / "posterior.csv", index=False)
    return [tmp_path / "base.yaml", tmp_path / "trained.yaml", tmp_path / "posterior.csv"]


def test_compare_across_worlds_runs_every_option_on_the_same_days_of_each_world(
        options, release, tmp_path):
    base, trained, posterior = options
    result, folder = compare_scenarios([base, trained], seed=5, out=tmp_path / "w",
                                       population_dir=release, workers=1, posterior=posterior,
                                       draws=6, draw_replications=2)
    worlds = pd.read_csv(folder / "worlds.csv")
    reps = pd.read_csv(folder / "replications.csv")
    assert len(worlds) == 12 and len(reps) == 24
    # common random numbers: in each world both options meet the same travellers
    by = reps.pivot(index="replication", columns="scenario", values="travellers")
    assert (by["base"] == by["trained"]).all()
    assert by.index.tolist() == list(range(12))       # each world its own days
    # the world's victim share is applied; each option keeps its own training (a choice)
    meta = json.loads((folder / "run.json").read_text())["robustness"]
    assert meta["kept_as_chosen"] == ["training.specialist_share"]
    victims = reps[reps.scenario == "base"].groupby(reps.replication // 2).victims.mean()
    shares = worlds[worlds.scenario == "base"].set_index("draw")["victims.share"]
    assert np.corrcoef(victims.to_numpy(), shares.to_numpy())[0, 1] > 0.8
    robust = pd.read_csv(folder / "robustness.csv").set_index("scenario")
    assert robust.worlds["trained"] == 6
    assert meta["sentences"][0].startswith("trained identifies more victims than base in ")
    assert result.differences.n.iloc[0] == 12
    # the same seed: the same bytes
    again = compare_scenarios([base, trained], seed=5, out=tmp_path / "again",
                              population_dir=release, workers=2, posterior=posterior, draws=6,
                              draw_replications=2)[1]
    for name in ("worlds.csv", "robustness.csv", "replications.csv", "summary.csv"):
        assert (folder / name).read_bytes() == (again / name).read_bytes()


def test_run_across_worlds_gives_the_credible_interval_of_the_scenario(options, release,
                                                                       tmp_path):
    base, _, posterior = options
    result = CliRunner().invoke(main, ["sim", "run", str(base), "--posterior", str(posterior),
                                       "--draws", "4", "--draw-replications", "1",
                                       "--population", str(release), "--jobs", "1",
                                       "--out", str(tmp_path / "r")])
    assert result.exit_code == 0, result.output
    assert "across the 4 calibrated worlds (90% credible interval" in result.output
    assert (tmp_path / "r" / "worlds.csv").is_file()


def test_the_report_opens_with_the_answer_across_the_worlds(options, release, tmp_path):
    from tipkit.sim.report.page import write_report

    base, trained, posterior = options
    _, folder = compare_scenarios([base, trained], seed=5, out=tmp_path / "w",
                                  population_dir=release, workers=1, posterior=posterior,
                                  draws=4, draw_replications=1)
    page = write_report(folder, folder / "report.html").read_text()
    first = json.loads((folder / "run.json").read_text())["robustness"]["sentences"][0]
    assert page.index("Across the calibrated worlds") < page.index("<h2>The answer</h2>")
    assert first.replace("'", "&#x27;") in page
    assert 'data-chart="robustness"' in page and (folder / "report-robustness.png").is_file()


def test_the_what_if_page_says_how_often_the_option_holds_across_the_worlds(options, release,
                                                                           population):
    from tipkit.app import whatif
    from tipkit.sim.model.scenario_files import load_scenario

    base_file, _, posterior = options
    base = load_scenario(base_file)
    option = whatif.option_from(base, dict(whatif.lever_values(base),
                                           **{"training.specialist_share": 100.0}))
    request = whatif.Request(base, base_file, option, seed=1, workers=1, posterior=posterior,
                             draws=3)
    assert request.work() == 2 * 3 * robustness.DRAW_REPLICATIONS
    outcome = whatif.run(request, population)
    assert outcome.robustness[0].startswith(f"{option.name} identifies more victims than base")
    assert "robustness.csv" in outcome.downloads and "worlds.csv" in outcome.downloads


def test_optimise_carries_its_finalists_across_the_worlds(options, release, tmp_path):
    from tipkit.sim.experiments.budget_runs import optimise_scenario

    base, _, posterior = options
    found, folder = optimise_scenario(base, budget="+200000", decide=["specialist_officers=0..4:2"],
                                      seed=2, out=tmp_path / "o", population_dir=release,
                                      first=3, most=3, workers=1, posterior=posterior, draws=5,
                                      draw_replications=1, finalists=2)
    table = pd.read_csv(folder / "robustness.csv")
    assert len(table) == 2 and table.probability_best.sum() == pytest.approx(1.0)
    assert table.label.str.startswith("option ").all()
    assert f"option {found.best}" in table.scenario.tolist()     # the search's best is one
    meta = json.loads((folder / "run.json").read_text())["robustness"]
    # the training share is the decision: every finalist keeps its own in every world
    assert meta["kept_as_chosen"] == ["training.specialist_share"]
    assert meta["recommended"] == table.scenario[table.recommended].item()
    assert len(pd.read_csv(folder / "worlds.csv")) == 2 * 5


def test_an_assumption_a_calibration_writes_at_several_points_is_one_input_to_prim():
    rng = np.random.default_rng(3)
    control = rng.uniform(0.2, 0.6, 200)
    x = pd.DataFrame({"north-road.screening.specialist.control": control,
                      "seaport.screening.specialist.control": control,
                      "victims_per_day": rng.uniform(15, 45, 200)})
    box = discovery.failure_box(x, control < 0.3)
    assert box.limits.factor.tolist() == ["north-road.screening.specialist.control",
                                          "victims_per_day"]
    assert re.fullmatch(
        r"how often specialist-trained officers notice signs of control or of exploitation at "
        r"north-road, seaport is below (29|3[0-2])\.\d%", discovery.box_words(box))


def test_prim_gives_no_box_for_a_few_scattered_failures():
    rng = np.random.default_rng(11)
    x = pd.DataFrame({f"screening.specialist.{k}": rng.uniform(0.2, 0.8, 50)
                      for k in ("document", "minor", "control", "group")})
    fails = np.zeros(50, bool)
    fails[[3, 17, 29, 41]] = True          # four worlds, no region: too few to say where
    assert discovery.failure_box(x, fails) is None
    fails[rng.choice(50, 20, replace=False)] = True    # many, scattered: no simple box
    box = discovery.failure_box(x, fails)
    assert box is None or (box.limits.restricted_low | box.limits.restricted_high).sum() <= 3
