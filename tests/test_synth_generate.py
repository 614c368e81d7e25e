"""`tipkit synth generate`: every release meets its guarantees on the files as written."""

import json

import pandas as pd
import pytest
from click.testing import CliRunner

from tipkit.synth.published.checks import measure_release
from tipkit.synth.published.figures import load_figures
from tipkit.synth.release.folder import read_release
from tipkit.synth.release.schema import CASE_COLUMNS, DEFAULT_QUASI_IDENTIFIERS
from tipkit.cli import main

IOM = "synth/published/iom-2018-border-crossings.yaml"


def _generate(out, *extra):
    args = ["synth", "generate", "--published", IOM, "--cases", "3000", "--k", "11",
            "--seed", "7", "--out", str(out), *map(str, extra)]
    return CliRunner().invoke(main, args)


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    out = tmp_path_factory.mktemp("rel") / "iom"
    result = _generate(out)
    assert result.exit_code == 0, result.output
    return out


def test_release_folder_has_the_promised_files(release):
    assert sorted(p.name for p in release.iterdir()) == [
        "cases.csv", "datacard.md", "datapackage.json", "dataset.jsonld", "legs.csv",
        "metadata.json", "release.json"]
    cases, legs = read_release(release)
    assert list(cases.columns) == ["caseId", *CASE_COLUMNS] and len(CASE_COLUMNS) == 27
    assert list(legs.columns) == ["legId", "caseId", "legIndex", "borderPoint", "transportMode",
                                  "travelDocument", "exploitedBeforeCrossing", "travelledInGroup"]
    assert len(cases) == 3000 and cases["caseId"].is_unique and legs["legId"].is_unique


def test_every_figure_holds_exactly_on_the_rows_read_back(release):
    cases, legs = read_release(release)
    measured = measure_release(cases, legs, load_figures(IOM).figures, DEFAULT_QUASI_IDENTIFIERS, 11, 3)
    shares = [fv for fv in measured.figure_values if fv.figure.kind == "share"]
    assert len(shares) == 13
    for fv in shares:
        assert fv.figure.low * fv.population <= fv.hits <= fv.figure.high * fv.population, fv.figure.id
    legs_per_case = len(legs) / len(cases)
    assert 9975 / 7750 <= legs_per_case <= 11025 / 7750  # the published leg count, scaled


def test_release_has_no_class_smaller_than_k(release):
    cases, legs = read_release(release)
    measured = measure_release(cases, legs, [], DEFAULT_QUASI_IDENTIFIERS, 11, 3)
    assert measured.release.case_report.smallest_class >= 11
    assert measured.release.leg_report.smallest_class >= 11
    assert cases.groupby(list(DEFAULT_QUASI_IDENTIFIERS)).size().min() >= 11


def test_release_has_no_rare_combination_of_up_to_three_values(release):
    cases, legs = read_release(release)
    measured = measure_release(cases, legs, [], DEFAULT_QUASI_IDENTIFIERS, 11, 3)
    assert measured.release.case_report.rare_by_length == {1: 0, 2: 0, 3: 0}
    assert measured.release.leg_report.rare_by_length == {1: 0, 2: 0, 3: 0}


def test_unconstrained_columns_follow_their_prior(release):
    cases, _ = read_release(release)
    share = (cases["citizenship"] == "PHL").mean()
    assert abs(share - 0.233) < 0.02
    no_labour = cases["isForcedLabour"] != "1"
    assert (cases.loc[no_labour, "typeOfLabourAgriculture"] == "").all()


def test_metadata_loads_in_sdv(release):
    from sdv.metadata import Metadata

    metadata = Metadata.load_from_json(str(release / "metadata.json"))
    assert set(metadata.tables) == {"cases", "legs"}
    assert json.loads((release / "metadata.json").read_text())["relationships"][0]["child_foreign_key"] == "caseId"


def test_datacard_records_figures_tension_and_privacy(release):
    card = (release / "datacard.md").read_text()
    for needle in ("--seed 7", "| 4 | ageBroad = adult", "In tension", "k = 11",
                   "generalised or suppressed", "does not protect", "Where each column comes from"):
        assert needle in card


def test_same_seed_gives_byte_identical_release(release, tmp_path):
    assert _generate(tmp_path / "again").exit_code == 0
    for name in ("cases.csv", "legs.csv", "metadata.json", "datacard.md", "release.json"):
        assert (tmp_path / "again" / name).read_bytes() == (release / name).read_bytes(), name
    assert _generate(tmp_path / "other", "--seed", 8).exit_code == 0
    assert (tmp_path / "other" / "cases.csv").read_bytes() != (release / "cases.csv").read_bytes()


def test_parquet_release_holds_the_same_rows(release, tmp_path):
    assert _generate(tmp_path / "pq", "--format", "parquet").exit_code == 0
    cases, legs = read_release(tmp_path / "pq")
    csv_cases, csv_legs = read_release(release)
    pd.testing.assert_frame_equal(cases, csv_cases)
    pd.testing.assert_frame_equal(legs, csv_legs)


def test_other_quasi_identifiers_and_k(tmp_path):
    out = tmp_path / "k5"
    result = _generate(out, "--k", 25, "--quasi-identifiers", "gender,ageBroad,isForcedLabour")
    assert result.exit_code == 0, result.output
    cases, _ = read_release(out)
    assert cases.groupby(["gender", "ageBroad", "isForcedLabour"]).size().min() >= 25


@pytest.mark.parametrize("extra, message", [
    (["--k", 1], "--k must be at least 2"),
    (["--cases", 5], "--cases (5) must be at least k (11)"),
    (["--quasi-identifiers", "gender,shoeSize"], "unknown column 'shoeSize'"),
    (["--k", 500], "too few to meet figure"),
])
def test_bad_request_is_one_line_exit_2_and_writes_nothing(tmp_path, extra, message):
    out = tmp_path / "never"
    result = _generate(out, *extra)
    assert result.exit_code == 2
    assert message in result.output and len(result.output.strip().splitlines()) == 1
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_existing_output_needs_force(release):
    before = (release / "cases.csv").stat().st_mtime_ns
    result = _generate(release)
    assert result.exit_code == 2 and "already exists" in result.output
    assert (release / "cases.csv").stat().st_mtime_ns == before


def test_malformed_figures_file_is_refused(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("figures: [oops\n")
    result = CliRunner().invoke(main, ["synth", "generate", "--published", str(bad), "--out",
                                       str(tmp_path / "out")])
    assert result.exit_code == 2 and "not valid YAML" in result.output
    assert not (tmp_path / "out").exists()
