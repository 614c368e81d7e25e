"""`tipkit sim optimise`: the options a budget allows, ranking and selection that finds what
exhaustive search finds with far fewer replications, how sure the ranking is, and the answer
written for a policymaker."""

from __future__ import annotations


import numpy as np
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from tipkit.cli import main
from tipkit.errors import UserError
from tipkit.sim.experiments.decisions import (decision_space, parse_budget, parse_constraint,
                                              parse_decision)
from tipkit.sim.experiments.optimise import OBJECTIVE, meets_constraints, optimise
from tipkit.sim.model.costs import border_cost_per_year
from tipkit.sim.model.national import load_national
from tipkit.sim.model.scenario_files import load_scenario

from test_sim_national import write_network
from test_sim_support import population, release, small_scenario  # noqa: F401 (fixtures)


def test_decisions_constraints_and_budgets_read_as_typed():
    d = parse_decision("seaport.specialist_officers=0..6:2", ["seaport", "airport"])
    assert (d.point, d.key, d.values) == ("seaport", "specialist_officers", (0, 2, 4, 6))
    c = parse_constraint("desk_wait_p95<=45", ["seaport", "airport"])
    assert (c.kpi, c.point, c.at_most, c.limit) == ("desk_wait_p95", "*", True, 45.0)
    assert parse_constraint("seaport.desk_within_target>=0.9", ["seaport"]).point == "seaport"
    assert parse_constraint("desk_wait_p95_worst<=45", ["seaport"]).point is None
    assert parse_constraint("specialist_officers<=20", ["a"], {"specialist_officers"}).point \
        == "total"
    assert parse_budget("+50,000", 1_000_000) == 1_050_000
    assert parse_budget("2000000", 1_000_000) == 2_000_000


@pytest.mark.parametrize("call, problem", [
    (lambda: parse_decision("officers", None), "--decide officers: expected KEY=VALUES"),
    (lambda: parse_decision("air.officers=1..3", ["road"]), "a key is POINT.key"),
    (lambda: parse_decision("specialists_officers=0..3", None),
     "did you mean specialist_officers"),
    (lambda: parse_constraint("desk_wait<=4", None), "no KPI desk_wait"),
    (lambda: parse_constraint("desk_wait_p95=4", None), "expected KPI<=VALUE"),
    (lambda: parse_budget("lots", 1.0), "--budget must be an amount a year"),
])
def test_bad_arguments_are_one_line_errors(call, problem):
    with pytest.raises(UserError, match=problem):
        call()


def test_the_space_leaves_out_impossible_settings_and_marks_what_the_budget_allows(population):
    base = small_scenario({"officers": 3})
    decisions = [parse_decision(s, None) for s in ("officers=3..5",
                                                   "specialist_officers=0..5")]
    today = border_cost_per_year(base)
    space, _ = decision_space(base, decisions, today + 250_000, population, 1)
    assert len(space.choice) == 4 + 5 + 6            # never more specialists than officers
    changes = [space.changes(o) for o in range(len(space.choice))]
    assert all(c["specialist_officers"] <= c["officers"] for c in changes)
    assert space.changes(space.today) == {"officers": 3, "specialist_officers": 0}
    for o, c in enumerate(changes):       # one more officer costs more than the margin
        assert space.within[o] == (c["officers"] <= 4)
        scenario = space.points[0].scenarios[space.choice[o, 0]]
        assert scenario.officer_levels().count("specialist") == c["specialist_officers"]


def test_optimise_finds_what_exhaustive_search_finds_on_a_small_space(population):
    """12 options, where exhaustive search at the final replications is cheap: the answer is
    the option exhaustive search ranks first (or one it cannot tell from it)."""
    base = small_scenario({"officers": 3, "victims.share": 0.1, "run.days": 0.1,
                           "arrivals.daily_volume": 1200, "training.basic_share": 0})
    decisions = [parse_decision(s, None) for s in ("officers=3..4", "specialist_officers=0..4",
                                                   "egates.gates=0..1")]
    limits = [parse_constraint("desk_wait_p95<=10", None)]
    space, _ = decision_space(base, decisions, border_cost_per_year(base) + 220_000,
                              population, 1)
    found = optimise(base, space, population, 1, limits, workers=1, precision=0.08)
    within = np.flatnonzero(space.within)
    found.simulations.ensure(within, found.replications)
    x = found.simulations.series(within, OBJECTIVE, found.replications)
    means = dict(zip(within.tolist(), np.nanmean(x, axis=1).tolist()))
    ok = meets_constraints(found.simulations, within, found.replications, limits)
    top = max(m for m, good in zip(means.values(), ok) if good)
    print(f"\noptions {len(space.choice)}, within budget {len(within)}: optimise used "
          f"{found.option_replications} replications, exhaustive {found.exhaustive_replications}")
    assert means[found.best] >= top - 0.005
    best = space.changes(found.best)
    assert best["specialist_officers"] == best["officers"]     # everyone trained
    assert best["egates.gates"] == 0             # gates screen worse than officers
    assert space.within[found.best]
    ranking = found.ranking.set_index("comparison")
    assert ranking.loc["best - today"].ci_low > 0              # a real gain over today
    # never more than exhaustive search; here (virtual victims) the first stage settles it
    assert found.option_replications <= found.exhaustive_replications


@pytest.mark.slow
def test_on_300_options_it_finds_the_best_with_fewer_replications_than_exhaustive_search(
        tmp_path, population):
    """A national network of three points, 300 options (specialists at each point, e-gates at
    the airport, at most 7 specialists in all): the best is exhaustive search's best, checked
    against every option run to the same replications, for fewer replications. Prints both
    counts. (With virtual victims every option needs few replications, so the first stage's
    10 each are most of the work: about half of exhaustive search's, where the direct count
    needed a quarter of a far larger number.)"""
    path = write_network(tmp_path)
    path.write_text(path.read_text().replace("victims_per_day: 12", "victims_per_day: 120"))
    national = load_national(path).with_values({"road.officers": 4, "rail.officers": 4})
    decisions = [parse_decision(s, national.point_names) for s in (
        "air.specialist_officers=0..3", "air.egates.gates=0..2",
        "road.specialist_officers=0..4", "rail.specialist_officers=0..4")]
    limits = [parse_constraint(s, national.point_names, {"specialist_officers"}) for s in
              ("specialist_officers<=7", "desk_wait_p95<=30")]
    space, legs = decision_space(national, decisions, 1e12, population, 7,
                                 [c for c in limits if c.point == "total"])
    assert len(space.choice) >= 200
    found = optimise(national, space, legs, 7, limits, workers=2)
    within = np.flatnonzero(space.within)
    sims = found.simulations
    sims.ensure(within, found.replications)                 # exhaustive search, same seeds
    x = sims.series(within, OBJECTIVE, found.replications)
    x = x[:, np.all(np.isfinite(x), axis=0)]
    means = dict(zip(within.tolist(), x.mean(axis=1).tolist()))
    ok = meets_constraints(sims, within, found.replications, limits)
    ranked = sorted(within[ok].tolist(), key=lambda o: (-means[o], space.cost[o]))
    print(f"\n{len(space.choice)} options, {len(within)} within the limits; "
          f"{found.replications} replications each at the end.\n"
          f"optimise: {found.option_replications} option-replications "
          f"({found.point_simulations} point simulations); exhaustive search at the same "
          f"precision: {found.exhaustive_replications} ({found.exhaustive_point_simulations}).\n"
          f"best {space.changes(found.best)} {means[found.best]:.4f}; exhaustive best "
          f"{space.changes(ranked[0])} {means[ranked[0]]:.4f}")
    assert means[found.best] >= means[ranked[0]] - 0.005
    assert sum(v for k, v in space.changes(found.best).items()
               if k.endswith("specialist_officers")) <= 7
    assert found.option_replications < found.exhaustive_replications
    assert found.point_simulations < found.exhaustive_point_simulations


def test_optimise_from_the_command_line_answers_first_and_writes_a_runnable_best(
        tmp_path, release):
    scenario = tmp_path / "hall.yaml"
    scenario.write_text(yaml.safe_dump(small_scenario({
        "officers": 3, "victims.share": 0.1, "run.days": 0.1, "arrivals.daily_volume": 1200,
        "training.basic_share": 0}).to_mapping()))
    out = tmp_path / "opt"
    runner = CliRunner()
    result = runner.invoke(main, [
        "sim", "optimise", str(scenario), "--budget", "+220000", "--decide", "officers=3..4",
        "--decide", "specialist_officers=0..4", "--constraint", "desk_wait_p95<=10",
        "--precision", "0.1", "--jobs", "1", "--population", str(release), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "the best option is: " in result.output and "How sure is the ranking" in result.output
    for name in ("options.csv", "front.csv", "ranking.csv", "chosen.csv", "best.yaml"):
        assert (out / name).is_file(), name
    best = load_scenario(out / "best.yaml")
    assert best.officers in (3, 4) and best.training.specialist_share > 0
    front = pd.read_csv(out / "front.csv")
    assert front.cost_per_year.is_monotonic_increasing
    assert front.identification_rate.is_monotonic_increasing
    report = runner.invoke(main, ["sim", "report", str(out)])
    assert report.exit_code == 0, report.output
    page = (out / "report.html").read_text()
    assert page.index("The answer") < page.index("the best option is")
    assert "Identification against cost" in page and "rest on an assumption" in page
    too_poor = runner.invoke(main, [
        "sim", "optimise", str(scenario), "--budget", "10", "--decide", "officers=3..4",
        "--population", str(release), "--out", str(tmp_path / "poor")])
    assert too_poor.exit_code == 2 and "no option fits the budget" in too_poor.output


def test_a_national_search_writes_a_best_option_that_compare_reads(tmp_path, release):
    path = write_network(tmp_path / "net")
    out = tmp_path / "opt"
    runner = CliRunner()
    result = runner.invoke(main, [
        "sim", "optimise", str(path), "--budget", "+30000",
        "--decide", "road.specialist_officers=0..2", "--decide", "rail.specialist_officers=0..2",
        "--constraint", "specialist_officers<=2", "--precision", "0.3", "--max-replications",
        "20", "--jobs", "1", "--population", str(release), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Nationally it identifies" in result.output
    best = load_national(out / "best.yaml")
    levels = {p.name: p.scenario.officer_levels().count("specialist") for p in best.points}
    assert levels["air"] == 0 and levels["road"] + levels["rail"] <= 2
    compare = runner.invoke(main, ["sim", "compare", str(path), str(out / "best.yaml"),
                                   "--replications", "3", "--jobs", "1", "--population",
                                   str(release), "--out", str(tmp_path / "cmp")])
    assert compare.exit_code == 0, compare.output
    assert "cost per additional victim identified" in compare.output
