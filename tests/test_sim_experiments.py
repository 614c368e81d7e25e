"""What-if experiments: paired comparisons with plain verdicts, replications chosen by
precision, parameter grids, and the same answers on a Dask cluster."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from tipkit.sim.experiments.designs import compare, parse_vary, precision_history, replicate, sweep
from tipkit.sim.experiments.replications import run_replications
from tipkit.sim.experiments.stats import replications_settled
from tipkit.sim.experiments.verdicts import verdict
from tipkit.cli import main
from tipkit.errors import UserError

from test_sim_support import population, release, small_scenario  # noqa: F401 (fixtures)

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


def test_verdict_reads_like_a_sentence_with_its_interval():
    assert verdict("identification_rate", 0.031, 0.019, 0.043) == \
        "more identifications: +3.1 per 100 victims, 95% CI +1.9 to +4.3"
    assert verdict("desk_wait_mean", -4.2, -5.0, -3.4) == \
        "shorter desk waits: -4.2 min, 95% CI -5.0 to -3.4"
    assert verdict("identification_rate", 0.004, -0.012, 0.02).startswith(
        "no clear difference in identifications: +0.4 per 100 victims")


def test_a_groups_verdict_names_it_and_counts_per_100_of_that_group():
    assert verdict("identification_rate.woman", 0.124, 0.081, 0.160) == \
        "more women identified: +12.4 per 100 women who crossed, 95% CI +8.1 to +16.0"
    assert verdict("identification_rate.child", -0.05, -0.09, -0.01) == \
        "fewer children identified: -5.0 per 100 children who crossed, 95% CI -9.0 to -1.0"
    # any other share moves in percentage points; tiny intervals keep their digits
    assert verdict("egate_utilisation", 0.04, 0.01, 0.06).endswith(
        "+4.0 percentage points, 95% CI +1.0 to +6.0")
    assert verdict("false_referrals_per_10k", 0.0041, 0.003, 0.0052) == \
        "more false referrals: +0.004 per 10,000 travellers, 95% CI +0.003 to +0.005"


def test_compares_printed_verdicts_list_each_group_that_crossed():
    from tipkit.sim.report.tables import differences_text
    rows = [("identification_rate", 0.1, 0.05, 0.15, 30), ("identification_rate.woman",
            0.124, 0.081, 0.16, 30), ("identification_rate.trans", float("nan"),
            float("nan"), float("nan"), 0), ("desk_wait_mean", 1.0, 0.5, 1.5, 30)]
    table = pd.DataFrame([{"scenario": "option", "kpi": k, "difference": m, "ci_low": lo,
                           "ci_high": hi, "n": n, "verdict": verdict(k, m, lo, hi)}
                          for k, m, lo, hi, n in rows])
    text = differences_text(table, ("identification_rate", "desk_wait_mean"))
    assert text.splitlines() == [
        "option against the baseline:",
        "  - more identifications: +10.0 per 100 victims, 95% CI +5.0 to +15.0",
        "    - more women identified: +12.4 per 100 women who crossed, 95% CI +8.1 to +16.0",
        "  - longer desk waits: +1.0 min, 95% CI +0.5 to +1.5"]


def test_compare_pairs_each_option_with_the_baseline_on_the_same_travellers(population):
    base = small_scenario({"victims.share": 0.03})
    trained = base.with_values({"name": "trained", "training.specialist_share": 0.5})
    result = compare({"base": base, "trained": trained}, population, seed=4, replications=6,
                     workers=1)
    diff = result.differences.set_index("kpi").loc["identification_rate"]
    a, b = result.replicated.tables["base"], result.replicated.tables["trained"]
    assert a.victims.tolist() == b.victims.tolist()          # the same victims crossed
    assert diff.difference == pytest.approx((b.identification_rate
                                             - a.identification_rate).mean())
    assert diff.difference > 0 and diff.verdict.startswith("more identifications")
    assert set(result.summaries.scenario) == {"base", "trained"}


def test_compare_needs_a_baseline_and_an_option(population):
    with pytest.raises(UserError, match="at least two"):
        compare({"only": small_scenario()}, population, 1, 3, workers=1)


def test_replications_algorithm_stops_when_precise_and_says_how_many():
    history = [math.inf, 0.5, 0.2, 0.09, 0.05, 0.04, 0.04, 0.03, 0.03, 0.03, 0.02, 0.02]
    assert replications_settled(history, 0.05) == 5         # 5 and the 5 after it hold
    assert replications_settled(history[:8], 0.05) is None   # the look-ahead is not yet run
    assert replications_settled([math.inf, 0.2, 0.06, 0.04, 0.07, 0.04, 0.04, 0.04, 0.04,
                                 0.04, 0.04], 0.05) == 6


def test_precision_history_is_the_relative_half_width_after_each_replication():
    x = np.array([1.0, 3.0, 2.0, 2.0])
    history = precision_history(x)
    from scipy import stats
    expected = stats.t.ppf(0.975, 3) * x.std(ddof=1) / 2 / x.mean()
    assert history[0] == math.inf and history[-1] == pytest.approx(expected)


def test_auto_replications_reach_the_precision_within_the_budget(population):
    scenario = small_scenario({"victims.share": 0.05})
    rep = replicate({"s": scenario}, population, seed=1, replications="auto", precision=0.2,
                    budget=60, workers=1)
    assert rep.precise
    needed = max(rep.needed.values())
    assert 3 <= needed <= rep.replications <= 60
    ident = rep.tables["s"].identification_rate.to_numpy()
    assert precision_history(ident)[needed - 1] <= 0.2


def test_auto_replications_stop_at_the_budget_and_say_so(population):
    scenario = small_scenario({"victims.share": 0.002})
    rep = replicate({"s": scenario}, population, seed=1, replications="auto", precision=0.001,
                    budget=12, workers=1)
    assert rep.replications == 12 and not rep.precise


def test_vary_accepts_ranges_and_lists():
    assert parse_vary("officers=6..14:2") == ("officers", [6, 8, 10, 12, 14])
    assert parse_vary("training.specialist_share=0,0.25,0.5,1") == \
        ("training.specialist_share", [0, 0.25, 0.5, 1])
    assert parse_vary("shelter.when_full=refuse,wait")[1] == ["refuse", "wait"]
    with pytest.raises(UserError, match="KEY=VALUES"):
        parse_vary("officers")


def test_sweep_writes_one_row_per_cell_and_kpi_that_pandas_loads(tmp_path, release):
    scenario = tmp_path / "s.yaml"
    scenario.write_text((SCENARIOS / "airport-baseline.yaml").read_text()
                        .replace("daily_volume: 8000", "daily_volume: 600")
                        .replace("transport: [plane]", "transport: [plane, bus]"))
    out = tmp_path / "grid"
    result = CliRunner().invoke(main, [
        "sim", "sweep", str(scenario), "--vary", "officers=2..4:2",
        "--vary", "training.specialist_share=0,1", "--replications", "3", "--out", str(out),
        "--population", str(release), "--jobs", "2", "--no-sensitivity"])
    assert result.exit_code == 0, result.output
    table = pd.read_parquet(out / "results.parquet")
    assert table.equals(pd.read_csv(out / "results.csv")[table.columns].astype(table.dtypes)) \
        or len(table) == len(pd.read_csv(out / "results.csv"))
    assert {"cell", "officers", "training.specialist_share", "kpi", "mean", "ci_low",
            "ci_high", "n"} <= set(table.columns)
    assert table.cell.nunique() == 4
    assert len(table) == 4 * table.kpi.nunique()
    waits = table[table.kpi == "desk_wait_mean"].groupby("officers")["mean"].mean()
    assert waits[2] > waits[4]


def test_a_sweep_of_an_unknown_key_fails_before_running(tmp_path, release):
    result = CliRunner().invoke(main, [
        "sim", "sweep", str(SCENARIOS / "airport-baseline.yaml"), "--vary", "oficers=1,2",
        "--out", str(tmp_path / "x"), "--population", str(release)])
    assert result.exit_code == 2
    assert "unknown scenario key oficers (did you mean officers?)" in result.output


def test_grid_cells_share_common_random_numbers(population):
    base = small_scenario({"victims.share": 0.02})
    result = sweep(base, {"officers": [5, 7]}, population, seed=2, replications=3, workers=1)
    reps = result.replications
    victims = reps.pivot(index="replication", columns="officers", values="victims")
    assert (victims[5] == victims[7]).all()


@pytest.mark.slow
def test_a_dask_cluster_gives_the_local_results(population):
    from distributed import LocalCluster

    scenario = small_scenario()
    local = run_replications(scenario, population, seed=8, replications=6, workers=2)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster:
        remote = run_replications(scenario, population, seed=8, replications=6,
                                  scheduler=cluster.scheduler_address)
    assert local.equals(remote)


def test_an_unreachable_scheduler_is_a_one_line_error(population, monkeypatch):
    monkeypatch.setattr("tipkit.sim.experiments.replications.CONNECT_TIMEOUT", "1s")
    with pytest.raises(UserError, match="cannot reach the Dask scheduler"):
        run_replications(small_scenario(), population, seed=1, replications=2,
                         scheduler="tcp://127.0.0.1:9")
