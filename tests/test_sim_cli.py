"""`tipkit sim run`: the KPI table, the files it writes, byte-identical reruns, one-line errors."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from click.testing import CliRunner

from tipkit.cli import main

from test_sim_support import release  # noqa: F401 (fixture)

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


def _small_airport(tmp_path: Path) -> Path:
    """The shipped airport baseline at a tenth of the volume (quick to run)."""
    text = (SCENARIOS / "airport-baseline.yaml").read_text()
    path = tmp_path / "airport-small.yaml"
    path.write_text(text.replace("daily_volume: 8000", "daily_volume: 800")
                    .replace("transport: [plane]", "transport: [plane, bus]"))
    return path


def test_run_prints_the_kpi_table_and_writes_summary_and_replications(tmp_path, release):
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["sim", "run", str(_small_airport(tmp_path)),
                                       "--replications", "4", "--seed", "1", "--out", str(out),
                                       "--population", str(release), "--jobs", "1"])
    assert result.exit_code == 0, result.output
    assert "Victims identified (share of victims who crossed)" in result.output
    assert "95% CI" in result.output
    summary = pd.read_csv(out / "summary.csv")
    assert list(summary.columns) == ["kpi", "mean", "ci_low", "ci_high", "n"]
    assert {"identification_rate", "flag_ppv", "false_referrals_per_10k", "desk_wait_p95",
            "officer_utilisation", "refused_referrals"} <= set(summary.kpi)
    reps = pd.read_csv(out / "replications.csv")
    assert len(reps) == 4 and reps.replication.tolist() == [0, 1, 2, 3]
    row = summary.set_index("kpi").loc["desk_wait_mean"]
    assert row.n == 4 and row.ci_low <= row["mean"] <= row.ci_high
    assert (out / "run.json").is_file()
    assert not list(out.glob(".*.tmp"))


def test_same_seed_gives_byte_identical_files_with_one_or_two_processes(tmp_path, release):
    scenario = _small_airport(tmp_path)
    outs = []
    for jobs in ("1", "2"):
        out = tmp_path / f"jobs{jobs}"
        result = CliRunner().invoke(main, ["sim", "run", str(scenario), "--replications", "4",
                                           "--seed", "5", "--out", str(out), "--population",
                                           str(release), "--jobs", jobs])
        assert result.exit_code == 0, result.output
        outs.append(out)
    for name in ("summary.csv", "replications.csv"):
        assert (outs[0] / name).read_bytes() == (outs[1] / name).read_bytes()


def test_a_scenario_typo_exits_2_with_one_line_and_writes_nothing(tmp_path, release):
    bad = tmp_path / "bad.yaml"
    bad.write_text((SCENARIOS / "land-border-baseline.yaml").read_text()
                   .replace("officers: 6 ", "oficers: 6 "))
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["sim", "run", str(bad), "--out", str(out),
                                       "--population", str(release)])
    assert result.exit_code == 2
    assert "unknown key oficers (did you mean officers?)" in result.output
    assert not out.exists()


def test_an_overloaded_scenario_is_flagged_before_it_runs(tmp_path, release):
    path = tmp_path / "one-officer.yaml"
    path.write_text((SCENARIOS / "airport-baseline.yaml").read_text()
                    .replace("officers: 10 ", "officers: 1 ")
                    .replace("daily_volume: 8000", "daily_volume: 2000")
                    .replace("transport: [plane]", "transport: [plane, bus]"))
    result = CliRunner().invoke(main, ["sim", "run", str(path), "--replications", "2",
                                       "--out", str(tmp_path / "o"), "--population",
                                       str(release), "--jobs", "1"])
    assert result.exit_code == 0, result.output
    assert "Warning:" in result.output and "(>= 1)" in result.output


def test_bad_replications_is_a_usage_error(tmp_path, release):
    result = CliRunner().invoke(main, ["sim", "run", str(_small_airport(tmp_path)),
                                       "--replications", "many", "--population", str(release),
                                       "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert "--replications must be a whole number or auto" in result.output


def test_help_shows_an_example():
    result = CliRunner().invoke(main, ["sim", "run", "--help"])
    assert result.exit_code == 0
    assert "tipkit sim run scenarios/airport-baseline.yaml" in result.output


def test_travellers_log_is_written_only_on_request_and_matches_the_run(tmp_path, release):
    scenario = _small_airport(tmp_path)
    args = ["sim", "run", str(scenario), "--replications", "2", "--seed", "3",
            "--population", str(release), "--jobs", "1"]
    plain = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "plain")])
    assert plain.exit_code == 0 and not (tmp_path / "plain" / "travellers.csv").exists()
    logged = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "log"),
                                       "--log-travellers"])
    assert logged.exit_code == 0, logged.output
    log = pd.read_csv(tmp_path / "log" / "travellers.csv", keep_default_na=False)
    rep0 = pd.read_csv(tmp_path / "log" / "replications.csv").iloc[0]
    assert len(log) == rep0.travellers
    assert log.victim.sum() == rep0.victims
    assert (log.outcome == "identified").sum() == rep0.identified_direct   # counted, not virtual
    assert log.traveller.sort_values().tolist() == list(range(len(log)))


def test_a_scenario_names_its_release_relative_to_itself_and_the_run_records_its_manifest(
        tmp_path, release, monkeypatch):
    import json
    import shutil
    from hashlib import sha256

    here = tmp_path / "study"
    shutil.copytree(release, here / "victims")
    (here / "scenarios").mkdir()
    base = _small_airport(here / "scenarios")
    named = here / "scenarios" / "named.yaml"
    named.write_text(f"based_on: {base.name}\nvictims:\n  release: ../victims\n")
    monkeypatch.chdir(tmp_path)  # the path is the scenario file's, not the current folder's
    result = CliRunner().invoke(main, ["sim", "run", str(named), "--replications", "2",
                                       "--out", str(tmp_path / "out"), "--jobs", "1"])
    assert result.exit_code == 0, result.output
    provenance = json.loads((tmp_path / "out" / "run.json").read_text())
    assert provenance["population"] == str(here / "scenarios" / ".." / "victims")
    assert provenance["population_manifest_sha256"] == sha256(
        (here / "victims" / "release.json").read_bytes()).hexdigest()
    # --population overrides the scenario's release
    shutil.copytree(release, here / "other")
    result = CliRunner().invoke(main, ["sim", "run", str(named), "--replications", "2",
                                       "--out", str(tmp_path / "out2"), "--jobs", "1",
                                       "--population", str(here / "other")])
    assert result.exit_code == 0, result.output
    provenance = json.loads((tmp_path / "out2" / "run.json").read_text())
    assert provenance["population"] == str(here / "other")


def test_scenarios_compared_on_different_releases_or_on_none_are_one_line_errors(
        tmp_path, release, monkeypatch):
    from tipkit.sim.model import population

    one = _small_airport(tmp_path)
    other = tmp_path / "other.yaml"
    other.write_text(f"based_on: {one.name}\nvictims:\n  release: {release}\n")
    result = CliRunner().invoke(main, ["sim", "compare", str(one), str(other),
                                       "--replications", "2", "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert result.output.strip().splitlines()[-1].startswith(
        "Error: the scenarios draw victims from different releases")
    monkeypatch.setattr(population, "DEFAULT_RELEASE", Path("releases") / "nowhere")
    result = CliRunner().invoke(main, ["sim", "run", str(one), "--replications", "2",
                                       "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    error = result.output.strip().splitlines()[-1]
    assert error.startswith("Error: no victim release")
    assert "tipkit synth generate" in error and "victims.release" in error
    assert not (tmp_path / "o").exists()
