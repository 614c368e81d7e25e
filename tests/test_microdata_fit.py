"""`tipkit synth fit`: releases from case records meet every guarantee, on the written files."""

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from tipkit.synth.microdata.readers import read_cases
from tipkit.synth.evaluate.evaluation import mean_score
from tipkit.synth.microdata.fixtures import CANARIES, FIXTURE_COLUMNS, write_fixture
from tipkit.synth.release.guarantees import class_sizes, rare_combinations, smallest_class
from tipkit.synth.release.folder import read_release
from tipkit.synth.release.manifest import read_manifest
from tipkit.cli import main

QI = ["gender", "ageBroad", "citizenship", "CountryOfExploitation", "yearOfRegistration"]


def _run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture(scope="module")
def cases_csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("data") / "cases.csv"
    write_fixture(path, rows=8000, seed=3)
    return path


@pytest.fixture(scope="module")
def plain_release(cases_csv, tmp_path_factory):
    out = tmp_path_factory.mktemp("rel") / "plain"
    result = _run("synth", "fit", "--data", cases_csv, "--k", 11, "--seed", 7, "--out", out)
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def private_release(cases_csv, tmp_path_factory):
    out = tmp_path_factory.mktemp("rel") / "dp"
    result = _run("synth", "fit", "--data", cases_csv, "--k", 11, "--epsilon", 4, "--delta",
                  "1e-6", "--seed", 7, "--out", out)
    assert result.exit_code == 0, result.output
    return out


@pytest.mark.parametrize("which", ["plain_release", "private_release"])
def test_release_has_no_class_smaller_than_k_and_no_rare_combination(which, request):
    cases, legs = read_release(request.getfixturevalue(which))
    attributes = [c for c in cases.columns if c != "caseId"]
    assert legs is None
    assert smallest_class(cases, QI) >= 11
    assert sum(rare_combinations(cases, attributes, 11, 3).values()) == 0


def test_release_keeps_the_joint_structure_of_the_records(plain_release, cases_csv):
    real = read_cases(cases_csv).table
    cases, _ = read_release(plain_release)
    columns = list(real.columns)
    assert len(cases) == len(real)
    assert mean_score(real, cases, columns, 1) > 0.97
    # Better than a release that keeps every column's shares but ignores their dependence.
    rng = np.random.default_rng(0)
    independent = pd.DataFrame({c: rng.permutation(real[c].to_numpy()) for c in columns})
    for length in (2, 3):
        assert mean_score(real, cases, columns, length) > \
            mean_score(real, independent, columns, length) + 0.05


def test_no_record_unique_on_its_quasi_identifiers_reappears(plain_release, cases_csv):
    real = read_cases(cases_csv).table
    cases, _ = read_release(plain_release)
    uniques = real.loc[class_sizes(real, QI) == 1, QI].drop_duplicates()
    assert len(uniques) > 0
    assert len(cases[QI].merge(uniques, how="inner")) == 0


@pytest.mark.parametrize("which", ["plain_release", "private_release"])
def test_no_canary_is_reproduced(which, request):
    cases, _ = read_release(request.getfixturevalue(which))
    citizenships = set(cases["citizenship"])
    canary_codes = {"ISL", "FJI", "MNG", "BTN", "MDV", "TLS", "BOL", "PNG", "CRI", "PAN", "URY",
                    "CHL"}
    assert len(CANARIES) == 12
    assert not citizenships & canary_codes


def test_same_data_and_seed_give_byte_identical_release(plain_release, cases_csv, tmp_path):
    again = tmp_path / "again"
    assert _run("synth", "fit", "--data", cases_csv, "--k", 11, "--seed", 7,
                "--out", again).exit_code == 0
    for name in ("cases.csv", "datacard.md", "metadata.json", "release.json"):
        assert (again / name).read_bytes() == (plain_release / name).read_bytes()


def test_ids_are_fresh_and_metadata_loads_in_sdv(plain_release):
    from sdv.metadata import Metadata

    cases, _ = read_release(plain_release)
    assert list(cases["caseId"]) == [str(i) for i in range(1, len(cases) + 1)]
    metadata = Metadata.load_from_json(plain_release / "metadata.json")
    assert "cases" in metadata.tables


def test_private_data_card_states_budget_mechanism_and_every_measurement(private_release):
    from tipkit.synth.microdata.accounting import cdp_rho

    card = (private_release / "datacard.md").read_text()
    assert "(4, 1e-06)-differential privacy" in card
    assert "zero-concentrated" in card and "exponential mechanism" in card
    rows = [line.strip("| ").split(" | ") for line in card.splitlines()
            if line.startswith("| ") and not line.startswith(("| measurement", "| round"))]
    before = [r for r in rows if len(r) == 4]
    rounds = [r for r in rows if len(r) == 6]
    assert "one-way citizenship" in [r[0] for r in before]
    # Every table after the one-way ones was chosen in a numbered round, among open tables.
    assert [int(r[0]) for r in rounds] == list(range(1, len(rounds) + 1))
    assert rounds and all(r[1].startswith(("2-way ", "3-way ")) and int(r[2]) >= 1
                          for r in rounds)
    # The listed budgets add up to the whole budget: nothing is spent off the card.
    spent = sum(float(r[1]) for r in before) + sum(float(r[3]) + float(r[4]) for r in rounds)
    assert spent == pytest.approx(cdp_rho(4, 1e-6), rel=1e-3)
    # release.json records the same rounds the card prints.
    dp = read_manifest(private_release).promised.differential_privacy
    assert [(r["round"], r["table"]) for r in dp["rounds"]] == [(int(r[0]), r[1]) for r in rounds]
    assert sum(m["rho"] for m in dp["measurements"]) == pytest.approx(dp["rho_spent"])


def test_private_release_is_repeatable(private_release, cases_csv, tmp_path):
    again = tmp_path / "again"
    assert _run("synth", "fit", "--data", cases_csv, "--k", 11, "--epsilon", 4, "--delta",
                "1e-6", "--seed", 7, "--out", again).exit_code == 0
    for name in ("cases.csv", "datacard.md"):
        assert (again / name).read_bytes() == (private_release / name).read_bytes()


def test_private_release_only_uses_public_values(private_release):
    cases, _ = read_release(private_release)
    from tipkit.synth.microdata.codebook import countries

    assert set(cases["citizenship"]) <= set(countries()) | {"", "Other"}


def test_parquet_format_and_column_choice(cases_csv, tmp_path):
    out = tmp_path / "pq"
    result = _run("synth", "fit", "--data", cases_csv, "--k", 11, "--columns",
                  "gender,ageBroad,citizenship", "--format", "parquet", "--out", out)
    assert result.exit_code == 0, result.output
    cases, _ = read_release(out)
    assert list(cases.columns) == ["caseId", "gender", "ageBroad", "citizenship"]
    assert (out / "cases.parquet").exists()


@pytest.mark.slow
def test_sdv_copula_engine_gets_the_same_guarantees(cases_csv, tmp_path):
    out = tmp_path / "copula"
    result = _run("synth", "fit", "--data", cases_csv, "--k", 11, "--engine", "sdv-copula",
                  "--out", out)
    assert result.exit_code == 0, result.output
    cases, _ = read_release(out)
    assert smallest_class(cases, QI) >= 11
    assert sum(rare_combinations(cases, list(FIXTURE_COLUMNS), 11, 3).values()) == 0


@pytest.mark.slow
def test_sdv_ctgan_engine_gets_the_same_guarantees_and_is_repeatable(tmp_path):
    """The same bytes in this (test worker) process, after whatever earlier tests left in it,
    and in a fresh process with another hash seed and another torch thread count."""
    import os
    import subprocess
    import sys

    data = tmp_path / "small.csv"
    write_fixture(data, rows=1500, seed=5)
    outs = [tmp_path / "ctgan-a", tmp_path / "ctgan-b"]
    args = ["synth", "fit", "--data", str(data), "--k", "5", "--engine", "sdv-ctgan",
            "--seed", "3", "--out"]
    result = _run(*args, outs[0])
    assert result.exit_code == 0, result.output
    fresh = subprocess.run(
        [sys.executable, "-c", "from tipkit.cli import main; main()", *args, str(outs[1])],
        capture_output=True, text=True, timeout=1800,
        env={**os.environ, "PYTHONHASHSEED": "4242", "OMP_NUM_THREADS": "3"})
    assert fresh.returncode == 0, fresh.stderr
    cases, _ = read_release(outs[0])
    assert len(cases) == 1500
    assert smallest_class(cases, QI) >= 5
    assert sum(rare_combinations(cases, list(FIXTURE_COLUMNS), 5, 3).values()) == 0
    assert (outs[0] / "cases.csv").read_bytes() == (outs[1] / "cases.csv").read_bytes()


@pytest.mark.parametrize("args, message", [
    (["--epsilon", "0", "--delta", "1e-6"], "--epsilon must be a number greater than 0"),
    (["--epsilon", "-1", "--delta", "1e-6"], "--epsilon must be a number greater than 0"),
    (["--epsilon", "1", "--delta", "0.01"], "--delta must be between 0 and 1/n"),
    (["--columns", "gender,nosuch"], "no column 'nosuch'"),
    (["--quasi-identifiers", "gender,isFoo"], "quasi-identifier 'isFoo'"),
    (["--k", "1"], "--k must be at least 2"),
    (["--engine", "sdv-copula", "--epsilon", "1", "--delta", "1e-9"], "not differentially private"),
])
def test_bad_flags_exit_2_with_one_line_and_write_nothing(cases_csv, tmp_path, args, message):
    out = tmp_path / "never"
    result = _run("synth", "fit", "--data", cases_csv, "--out", out, *args)
    assert result.exit_code == 2
    assert message in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not out.exists() and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("content, message", [
    ("", "is empty"),
    ("name,address\nA,B\n", "none of the known formats"),
])
def test_bad_files_exit_2_with_one_line_and_write_nothing(tmp_path, content, message):
    data = tmp_path / "in.csv"
    data.write_text(content)
    out = tmp_path / "never"
    result = _run("synth", "fit", "--data", data, "--out", out)
    assert result.exit_code == 2
    assert message in result.output and len(result.output.strip().splitlines()) == 1
    assert not out.exists()


def test_out_of_domain_value_is_reported_and_released_as_other(tmp_path):
    data = tmp_path / "in.csv"
    rows = ["gender,citizenship"] + ["Female,XK"] * 30 + ["Male,PH"] * 30
    data.write_text("\n".join(rows) + "\n")
    out = tmp_path / "rel"
    result = CliRunner(mix_stderr=False).invoke(
        main, ["synth", "fit", "--data", str(data), "--k", "5", "--out", str(out)]) \
        if "mix_stderr" in CliRunner.__init__.__code__.co_varnames else \
        CliRunner().invoke(main, ["synth", "fit", "--data", str(data), "--k", "5", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "citizenship: 30 values outside its public list read as Other" in (
        result.stderr if hasattr(result, "stderr") and result.stderr else result.output)
    cases, _ = read_release(out)
    assert (cases["citizenship"] == "Other").sum() == 30
    assert "XK" in (out / "datacard.md").read_text()


def test_existing_output_folder_is_refused(plain_release, cases_csv):
    before = (plain_release / "cases.csv").read_bytes()
    result = _run("synth", "fit", "--data", cases_csv, "--out", plain_release)
    assert result.exit_code == 2 and "already exists" in result.output
    assert (plain_release / "cases.csv").read_bytes() == before
