"""National networks: the file and its checks, legs dealt to the points by transport mode,
national KPIs from the points' (by hand), common random numbers across options, and `run` and
`compare` on national files from the command line."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from tipkit.cli import main
from tipkit.errors import UserError
from tipkit.sim.experiments.national_runs import point_warmup_checks
from tipkit.sim.experiments.network import PointCache, run_nationals
from tipkit.sim.experiments.warmup import check_warmups
from tipkit.sim.model.national import (deal_legs, is_national_file, legs_key, load_national,
                                       national_kpis, point_seed, routed_points)
from tipkit.sim.report.page import write_report

from test_sim_scenario import _leaf_lines_without_source
from test_sim_support import population, release  # noqa: F401 (fixtures)

SHIPPED = Path(__file__).resolve().parents[1] / "scenarios" / "national"

POINT = """arrivals: {{pattern: hourly, daily_volume: {volume}, hourly_profile: {profile}}}
victims: {{share: 0.01, transport: {modes}}}
officers: {officers}
shelter: {{beds: 20, occupied_at_start: 0}}
run: {{days: {days}}}
"""


def write_network(folder: Path, routing: str | None = None, extra: str = "") -> Path:
    """Three small points (an airport, a road and a rail crossing) and a national file."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, modes, volume, officers, days in (("air", "[plane]", 1200, 3, 0.25),
                                                ("road", "[bus, other]", 800, 2, 0.25),
                                                ("rail", "[train, bus]", 600, 2, 0.25)):
        (folder / f"{name}.yaml").write_text(POINT.format(
            volume=volume, profile=[1] * 24, modes=modes, officers=officers, days=days))
    routing = routing or ("  plane: {air: 1.0}\n  bus: {road: 0.75, rail: 0.25}\n"
                          "  train: {rail: 1.0}\n  other: {road: 1.0}\n")
    path = folder / "network.yaml"
    path.write_text("kind: national\nname: network\nvictims_per_day: 12\n"
                    "points: {air: air.yaml, road: road.yaml, rail: rail.yaml}\n"
                    f"routing:\n{routing}{extra}")
    return path


def test_a_national_file_names_its_points_and_routing(tmp_path):
    national = load_national(write_network(tmp_path))
    assert is_national_file(tmp_path / "network.yaml")
    assert not is_national_file(tmp_path / "air.yaml")
    assert national.point_names == ["air", "road", "rail"]
    assert national.routing["bus"] == {"road": 0.75, "rail": 0.25}
    assert national.point("road").scenario.name == "road"
    changed = national.with_values({"rail.officers": 4, "victims_per_day": 20})
    assert changed.point("rail").scenario.officers == 4 and changed.victims_per_day == 20
    assert national.point("rail").scenario.officers == 2          # the original is unchanged


@pytest.mark.parametrize("routing, problem", [
    ("  plane: {air: 0.5}\n  bus: {road: 1.0}\n  train: {rail: 1.0}\n",
     "routing.plane: the shares add up to 0.5, not 1"),
    ("  plane: {airport: 1.0}\n", "routing.plane: no point airport (did you mean air?)"),
    ("  train: {road: 1.0}\n", "road does not serve train"),
    ("  boat: {road: 1.0}\n", "'boat' is not one of bus, train, plane, other"),
    ("  plane: {air: 1.0}\n  bus: {road: 1.0}\n", "point rail receives no victims"),
])
def test_routing_mistakes_are_one_line_errors_naming_the_way_out(tmp_path, routing, problem):
    with pytest.raises(UserError, match=re.escape(problem)):
        load_national(write_network(tmp_path, routing))


def test_set_changes_points_and_an_unknown_key_is_refused(tmp_path):
    path = write_network(tmp_path, extra="set:\n  air.training.specialist_share: 1.0\n")
    assert load_national(path).point("air").scenario.training.specialist_share == 1.0
    path.write_text(path.read_text().replace("set:", "sett:"))
    with pytest.raises(UserError, match="unknown key sett"):
        load_national(path)


def test_every_leg_goes_to_exactly_one_point_by_its_modes_shares(tmp_path, population):
    national = load_national(write_network(tmp_path))
    dealt = deal_legs(national, population, seed=3)
    by_point = {key[0]: legs.profiles for key, legs in dealt.items()}
    modes = Counter(p.transport for p in population.profiles)
    got = {point: Counter(p.transport for p in legs) for point, legs in by_point.items()}
    assert got["air"] == Counter({"plane": modes["plane"]})
    assert got["rail"]["train"] == modes["train"]
    assert abs(got["road"]["bus"] - 0.75 * modes["bus"]) <= 1
    assert got["road"]["bus"] + got["rail"]["bus"] == modes["bus"]
    ids = [id(p) for legs in by_point.values() for p in legs]
    assert len(ids) == len(set(ids)) == sum(modes.values())      # no leg twice, none lost
    again = deal_legs(national, population, seed=3)
    assert [p.transport for p in again[legs_key(national, "road")].profiles] == \
        [p.transport for p in by_point["road"]]


def test_each_point_gets_its_share_of_the_victims_a_day(tmp_path, population):
    national = load_national(write_network(tmp_path))
    dealt = deal_legs(national, population, seed=3)
    points = routed_points(national, dealt, seed=3)
    sizes = {p.name: len(dealt[p.legs].profiles) for p in points}
    for p in points:
        assert p.victim_weight == pytest.approx(sizes[p.name] / sum(sizes.values()))
        volume = national.point(p.name).scenario.arrivals.daily_volume
        assert p.scenario.victims.share == pytest.approx(12 * p.victim_weight / volume)
        assert p.seed == point_seed(3, p.name)
    assert sum(p.victim_weight for p in points) == pytest.approx(1.0)
    assert len({p.seed for p in points}) == 3                  # points are independent


def test_national_kpis_weigh_points_by_victims_add_costs_and_take_the_worst_queue(
        tmp_path, population):
    national = load_national(write_network(tmp_path))
    points = routed_points(national, deal_legs(national, population, 1), 1)
    rows = {p.name: {"identification_rate": r, "identified": i, "victims": v,
                     "identification_rate_direct": r / 2, "identified_direct": 2 * i,
                     "cost_per_day": c, "cost_border_per_day": c - 10,
                     "cost_shelter_per_day": 10.0, "desk_wait_mean": w, "desk_wait_p95": 2 * w,
                     "desk_within_target": 1 - w / 100, "flags_per_10k": 5.0,
                     "false_referrals_per_10k": 1.0, "referrals": 1.0,
                     "refused_referrals": 0.0, "travellers": 400.0}
            for p, (r, i, v, c, w) in zip(points, ((0.5, 2.0, 4.0, 100.0, 3.0),
                                                   (0.2, 1.0, 5.0, 200.0, 9.0),
                                                   (0.1, 0.0, 3.0, 50.0, 1.0)))}
    out = national_kpis(points, rows)
    assert out["identification_rate"] == pytest.approx(sum(
        p.victim_weight * rows[p.name]["identification_rate"] for p in points))
    assert out["identified_per_day"] == pytest.approx(3.0 / 0.25)
    # the direct counts are carried beside the estimates, from the points' `_direct` columns
    assert out["identification_rate_direct"] == pytest.approx(out["identification_rate"] / 2)
    assert out["identified_per_day_direct"] == pytest.approx(6.0 / 0.25)
    assert out["cost_per_day"] == 350.0 and out["cost_shelter_per_day"] == 30.0
    assert (out["desk_wait_mean_worst"], out["desk_wait_p95_worst"]) == (9.0, 18.0)
    assert out["desk_within_target_worst"] == pytest.approx(0.91)
    assert out["flags_per_day"] == pytest.approx(3 * 5.0 * 400 / 1e4 / 0.25)


def test_options_meet_the_same_travellers_and_share_a_points_replications(tmp_path,
                                                                         population):
    base = load_national(write_network(tmp_path))
    option = base.with_values({"name": "trained", "air.training.specialist_share": 1.0})
    cache = PointCache()
    runs = run_nationals({"base": base, "trained": option}, population, 5, 4, workers=1,
                         cache=cache)
    assert cache.simulated == 4 * 4          # road and rail are the same in both: run once
    a, b = runs["base"].point_tables, runs["trained"].point_tables
    pd.testing.assert_frame_equal(a["road"], b["road"])
    assert a["air"].victims.tolist() == b["air"].victims.tolist()   # the same victims crossed
    assert (b["air"].identification_rate.fillna(0) >= a["air"].identification_rate.fillna(0)).all()
    assert (b["air"].cost_border_per_day > a["air"].cost_border_per_day).all()  # training costs
    again = run_nationals({"base": base}, population, 5, 4, workers=2)
    pd.testing.assert_frame_equal(again["base"].table, runs["base"].table)  # parallel = serial


def test_a_points_virtual_victims_carry_the_indicators_of_its_own_legs(tmp_path, population):
    """The virtual-victim estimate of a point draws its indicator patterns from the legs dealt
    to that point (rail gets a quarter of the bus legs), not from every leg of its modes."""
    from tipkit.sim.model.border import simulate
    from tipkit.sim.model.virtual import pattern_weights
    from tipkit.sim.model.kpis import GROUPS

    national = load_national(write_network(tmp_path))
    dealt = deal_legs(national, population, 5)
    rail = next(p for p in routed_points(national, dealt, 5) if p.name == "rail")
    legs = dealt[rail.legs]
    run = run_nationals({"base": national}, population, 5, 2, workers=1)["base"]
    table = run.point_tables["rail"]
    for r in (0, 1):
        own = simulate(rail.scenario, legs, rail.seed, r).kpis
        assert table.identification_rate[r] == pytest.approx(own["identification_rate"])
        assert table.identification_rate_direct[r] == own["identification_rate_direct"]
    everyone = population.by_transport(rail.scenario.victims.transport).profiles
    mine = legs.by_transport(rail.scenario.victims.transport).profiles
    assert not (pattern_weights(mine, GROUPS).overall
                == pattern_weights(everyone, GROUPS).overall).all()
    other = simulate(rail.scenario, population, rail.seed, 0).kpis["identification_rate"]
    assert other != pytest.approx(table.identification_rate[0], rel=1e-9)


def test_run_and_compare_a_national_file_from_the_command_line(tmp_path, release):
    path = write_network(tmp_path / "net")
    option = tmp_path / "net" / "trained.yaml"
    option.write_text("kind: national\nbased_on: network.yaml\nname: trained\n"
                      "set:\n  road.training.specialist_share: 1.0\n")
    runner = CliRunner()
    run = runner.invoke(main, ["sim", "run", str(path), "--replications", "3", "--jobs", "1",
                               "--population", str(release), "--out", str(tmp_path / "run")])
    assert run.exit_code == 0, run.output
    assert "At each crossing point" in run.output and "Victims identified a day" in run.output
    for name in ("summary.csv", "points.csv", "routing.csv", "point_replications.csv"):
        assert (tmp_path / "run" / name).is_file()
    compare = runner.invoke(main, ["sim", "compare", str(path), str(option), "--replications",
                                   "3", "--jobs", "1", "--population", str(release),
                                   "--out", str(tmp_path / "cmp")])
    assert compare.exit_code == 0, compare.output
    costs = pd.read_csv(tmp_path / "cmp" / "cost_effectiveness.csv")
    assert set(costs.scenario) == {"trained"} and len(costs) == 2
    points = pd.read_csv(tmp_path / "cmp" / "point_differences.csv")
    air = points[(points.point == "air") & (points.kpi == "identification_rate")].iloc[0]
    assert air.difference == 0                 # only the road crossing changed
    report = runner.invoke(main, ["sim", "report", str(tmp_path / "cmp")])
    assert report.exit_code == 0, report.output
    page = (tmp_path / "cmp" / "report.html").read_text()
    assert "Cost per additional victim" in page and "rest on an assumption" in page
    unrouted = write_network(tmp_path / "no-boats", "  plane: {air: 1.0}\n  bus: {road: 1.0}\n"
                                                    "  train: {rail: 1.0}\n")
    result = runner.invoke(main, ["sim", "run", str(unrouted), "--replications", "2", "--jobs",
                                  "1", "--population", str(release), "--out",
                                  str(tmp_path / "run2")])
    assert result.exit_code == 0 and "travel by other, which no point serves" in result.output
    mixed = runner.invoke(main, ["sim", "compare", str(path), str(tmp_path / "net" / "air.yaml"),
                                 "--population", str(release)])
    assert mixed.exit_code == 2 and "compare national scenarios with national" in mixed.output
    for command in (["sensitivity"], ["sweep", "--vary", "officers=2,3"]):
        refused = runner.invoke(main, ["sim", *command, str(path), "--population", str(release)])
        assert refused.exit_code == 2 and "take single crossing points" in refused.output


FILLING_POINT = """arrivals: {{pattern: hourly, daily_volume: 1500, hourly_profile: {profile}}}
victims: {{share: 0.01, transport: [bus, other]}}
officers: 6
training: {{basic_share: 0.5}}
secondary: {{specialists: 4}}
shelter: {{beds: 80, occupied_at_start: 0, stay_days: {{distribution: exponential, mean: 0.5}}}}
run: {{days: 5, warmup_hours: {warmup}}}
"""


def test_a_points_warm_up_is_checked_on_its_own_legs_and_seed_and_reported(tmp_path,
                                                                           population, release):
    """A road crossing whose empty shelter fills within two days: a national run warns about
    its warm-up by option and point, exactly as the point's own check on its legs and seed."""
    path = write_network(tmp_path / "net")
    (tmp_path / "net" / "road.yaml").write_text(FILLING_POINT.format(profile=[1] * 24,
                                                                     warmup=0))
    path.write_text(path.read_text().replace("victims_per_day: 12", "victims_per_day: 200"))
    network = load_national(path)
    found = point_warmup_checks({"network": network}, population, 1, workers=1)["warmup"]
    assert list(found) == ["network, road"]        # the one-day points need no check
    legs = deal_legs(network, population, 1)
    road = next(p for p in routed_points(network, legs, 1) if p.name == "road")
    own = check_warmups({"network, road": road.scenario}, legs[road.legs], road.seed, workers=1)
    assert found["network, road"] == own["network, road"].as_dict()
    assert own["network, road"].too_short

    run = CliRunner().invoke(main, ["sim", "run", str(path), "--replications", "2", "--jobs",
                                    "1", "--population", str(release), "--out",
                                    str(tmp_path / "run")])
    assert run.exit_code == 0, run.output
    warned = [line for line in run.output.splitlines() if "warm-up" in line]
    assert len(warned) == 1 and warned[0].startswith("Warning: network, road: the warm-up of 0 h")
    page = write_report(tmp_path / "run", tmp_path / "run" / "report.html").read_text()
    assert "Warm-up check (MSER-5" in page and "network, road: the warm-up of 0 h" in page


def test_shipped_national_scenario_cites_every_value_and_routes_every_mode():
    national = load_national(SHIPPED / "national-baseline.yaml")
    assert set(national.routing) == {"plane", "bus", "train", "other"}
    assert len(national.points) == 4
    for path in sorted(SHIPPED.glob("*.yaml")):
        text = path.read_text()
        assert text.startswith("# Question:"), path.name
        assert _leaf_lines_without_source(text.replace("kind: national", "")) == [], path.name


@pytest.mark.slow
def test_a_national_run_on_a_dask_cluster_gives_the_local_results(tmp_path, population):
    """The points' own legs travel to the workers as one mapping; the results are the same."""
    from distributed import LocalCluster

    national = load_national(write_network(tmp_path))
    local = run_nationals({"n": national}, population, 4, 3, workers=1)["n"].table
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster:
        remote = run_nationals({"n": national}, population, 4, 3,
                               scheduler=cluster.scheduler_address)["n"].table
    pd.testing.assert_frame_equal(local, remote)
