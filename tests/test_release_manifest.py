"""release.json, the release checker and the leg expander that both pipelines share: what a
release records about itself, how it is checked, and how its rows are numbered."""

import json
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from tipkit.cli import main
from tipkit.errors import UserError
from tipkit.synth.microdata.fixtures import write_fixture
from tipkit.synth.release import manifest
from tipkit.synth.release.checks import check_release
from tipkit.synth.release.folder import read_release
from tipkit.synth.release.legs import FITTED_IDS, PUBLISHED_IDS, expand_legs

ROOT = Path(__file__).resolve().parents[1]
COMMITTED = ROOT / "releases" / "iom-2018"


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    """A differentially private release fitted to case records, and the records."""
    folder = tmp_path_factory.mktemp("fit")
    write_fixture(folder / "agency-cases.csv", rows=1500, seed=2)
    out = folder / "dp"
    result = CliRunner().invoke(main, [
        "synth", "fit", "--data", str(folder / "agency-cases.csv"), "--k", "7", "--epsilon", "4",
        "--delta", "1e-6", "--seed", "3", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out, folder / "agency-cases.csv"


def test_the_committed_release_records_its_command_inputs_guarantees_and_files():
    made = manifest.read_manifest(COMMITTED)
    assert made.command == (
        "tipkit synth generate --published synth/published/iom-2018-border-crossings.yaml "
        "--cases 8000 --k 11 --seed 7 --reporting-length 3 --quasi-identifiers "
        "gender,ageBroad,citizenship,CountryOfExploitation,yearOfRegistration --format csv")
    figures = ROOT / made.settings.figures.name
    assert made.settings.figures.sha256 == manifest.sha256_of(figures)
    assert made.settings.codebook is None and made.settings.epsilon is None
    assert sorted(made.files) == ["cases.csv", "datacard.md", "datapackage.json",
                                 "dataset.jsonld", "legs.csv", "metadata.json"]
    assert manifest.file_problems(COMMITTED, made) == []
    cases, legs = read_release(COMMITTED)
    assert made.measured.cases.rows == len(cases) and made.measured.legs.rows == len(legs)
    assert made.measured.cases.smallest_class >= made.promised.k == 11
    shares = [f for f in made.measured.figures if f["kind"] == "share"]
    assert len(shares) == 13 and all(f["holds"] for f in shares)


def test_the_manifest_bytes_are_sorted_and_read_back_exactly():
    text = (COMMITTED / manifest.MANIFEST).read_text()
    raw = json.loads(text)
    assert text == json.dumps(raw, indent=2, sort_keys=True) + "\n"
    assert manifest.Manifest.from_dict(raw).to_json() == text


def test_a_fitted_release_records_its_budget_but_neither_the_input_path_nor_its_hash(fitted):
    out, data = fitted
    made = manifest.read_manifest(out)
    text = (out / manifest.MANIFEST).read_text()
    assert made.pipeline == manifest.FIT and made.made_from == "case records"
    assert made.command.startswith("tipkit synth fit --data CASES --k 7 --seed 3")
    assert "--epsilon 4 --delta 1e-06" in made.command and "--engine marginals" in made.command
    assert made.promised.differential_privacy["epsilon"] == 4.0
    assert made.promised.input_uniques_excluded is False  # DP instead: nothing is looked up
    assert "agency-cases" not in text and manifest.sha256_of(data) not in text
    assert made.settings.figures is None
    # the built-in codebook of its CTDC format (the fixture is a Global Dataset file), shipped as codebook.yaml; it declares no
    # impossible combination, so release.json promises none
    assert made.settings.codebook == manifest.InputFile(
        "ctdc-global-dataset", manifest.sha256_of(out / "codebook.yaml"))
    assert made.files["codebook.yaml"] == made.settings.codebook.sha256
    assert made.promised.impossible_combinations is None
    assert "impossible_combinations" not in text and "--codebook" not in made.command
    assert f"Command: `{made.command}`" in (out / "datacard.md").read_text()
    assert manifest.file_problems(out, made) == []


def test_a_release_without_a_manifest_or_with_a_foreign_one_is_a_one_line_error(tmp_path):
    old = tmp_path / "old"
    shutil.copytree(COMMITTED, old)
    (old / manifest.MANIFEST).unlink()
    with pytest.raises(UserError, match="no release.json: it was made by an older tipkit") as e:
        manifest.read_manifest(old)
    assert "tipkit synth generate" in str(e.value) and "\n" not in str(e.value)
    (old / manifest.MANIFEST).write_text('{"manifest_version": 99, "pipeline": "synth fit"}')
    with pytest.raises(UserError, match="rebuild the release with tipkit synth fit"):
        manifest.read_manifest(old)


def test_a_manifest_is_only_written_with_its_measured_values_and_lists_every_file(tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(COMMITTED, copy)
    made = manifest.read_manifest(copy)
    with pytest.raises(ValueError):
        manifest.write_manifest(copy, replace(made, measured=None))
    (copy / "notes.txt").write_text("a file added to the release")
    sealed = manifest.write_manifest(copy, made)
    assert sealed.files["notes.txt"] == manifest.sha256_of(copy / "notes.txt")
    assert manifest.read_manifest(copy) == sealed


def test_evaluate_judges_by_the_promised_k_unless_told(fitted, tmp_path):
    out, data = fitted
    runner = CliRunner()
    result = runner.invoke(main, ["synth", "evaluate", "--real", str(data), "--release", str(out),
                                  "--out", str(tmp_path / "e.html"), "--no-sdmetrics"])
    assert result.exit_code == 0, result.output
    privacy = json.loads((tmp_path / "e.json").read_text())["privacy"]
    assert privacy["k"] == 7
    assert tuple(privacy["quasi_identifiers"]) == manifest.read_manifest(out).settings.quasi_identifiers
    bare = tmp_path / "bare"
    shutil.copytree(out, bare)
    (bare / manifest.MANIFEST).unlink()
    result = runner.invoke(main, ["synth", "evaluate", "--real", str(data), "--release", str(bare),
                                  "--out", str(tmp_path / "f.html"), "--no-sdmetrics"])
    assert result.exit_code == 2 and "no release.json" in result.output
    assert "give --k" in result.output and len(result.output.strip().splitlines()) == 1
    result = runner.invoke(main, ["synth", "evaluate", "--real", str(data), "--release", str(bare),
                                  "--out", str(tmp_path / "g.html"), "--no-sdmetrics", "--k", "5"])
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "g.json").read_text())["privacy"]["k"] == 5


def test_each_pipeline_keeps_its_ids_and_the_expander_numbers_legs_within_each_case():
    journeys = pd.DataFrame({"legCount": ["2", "0", "1"], "borderPoint": ["official"] * 3,
                             "transportMode": ["bus", "", "plane"],
                             "travelDocument": ["own"] * 3, "exploitedBeforeCrossing": ["1"] * 3,
                             "travelledInGroup": ["0"] * 3})
    published = expand_legs(np.array(PUBLISHED_IDS.cases(3)), journeys, PUBLISHED_IDS)
    assert list(published.legId) == ["L0000001", "L0000002", "L0000003"]
    assert list(published.caseId) == ["C000001", "C000001", "C000003"]
    assert list(published.legIndex) == ["1", "2", "1"]
    assert list(published.transportMode) == ["bus", "bus", "plane"]
    fitted = expand_legs(np.array(FITTED_IDS.cases(3)), journeys, FITTED_IDS)
    assert list(fitted.legId) == ["1", "2", "3"] and list(fitted.caseId) == ["1", "1", "3"]
    assert PUBLISHED_IDS.cases(1_234_567)[-1] == "C1234567"  # wider than six digits when needed


def test_the_checker_finds_stale_ids_broken_links_and_small_classes():
    cases, legs = read_release(COMMITTED)
    qis = manifest.read_manifest(COMMITTED).settings.quasi_identifiers
    assert check_release(cases, legs, qis, 11, 3, ids=PUBLISHED_IDS).problems(11) == []
    assert "case ids are not the fresh sequence 1..8000" in " ".join(
        check_release(cases, legs, qis, 11, 3, ids=FITTED_IDS).problems(11))
    orphan = legs.copy()
    orphan.loc[0, "caseId"] = "C999999"
    found = check_release(cases, orphan, qis, 11, 3)
    assert found.problems(11) == ["legs: some legs belong to no released case"]
    assert found.leg_report is None
    small = cases.copy()
    small.loc[0, "gender"] = "Trans/Transgender/NonConforming"
    small.loc[0, "citizenship"] = "ISL"
    assert "smaller than k=11" in " ".join(check_release(small, legs, qis, 11, 3).problems(11))
