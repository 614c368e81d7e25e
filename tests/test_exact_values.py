"""Numbers drawn inside their bins (release: value) never recreate, in the values released, a
record unique in the input on the released columns; the data card and release.json say in which
coding each promise holds; `evaluate` reports SDNist's unique exact matches beside samples'."""

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from tipkit.cli import main
from tipkit.synth.evaluate.exact_matches import exact_match_figures
from tipkit.synth.microdata import exact_values
from tipkit.synth.microdata.codebook import load_codebook, parse_codebook
from tipkit.synth.microdata.fit import FitSettings, check_fit, fit_release
from tipkit.synth.microdata.readers import read_cases
from tipkit.synth.release.folder import read_release
from tipkit.synth.release.guarantees import class_sizes, unique_exact_matches
from tipkit.synth.release.manifest import read_manifest

CODEBOOK = """\
name: ages
quasi_identifiers: [age, sex, region]
columns:
  age: {range: [0, 99], bins: [0, 15, 18, 25, 35, 50, 99], release: value}
  sex: {values: [F, M]}
  region: {values: [north, south, east]}
  work: {values: [farm, factory, home]}
impossible:
  - {age: [0, 14], work: [factory]}
"""
COLUMNS = ["age", "sex", "region", "work"]


def people(rows: int = 1500, seed: int = 4) -> pd.DataFrame:
    """Made-up records: ages in years (many people unique on all four columns), never real."""
    rng = np.random.default_rng(seed)
    age = rng.integers(0, 80, rows)
    work = np.where(age < 15, rng.choice(["farm", "home"], rows),
                    rng.choice(["farm", "factory", "home"], rows))
    return pd.DataFrame({"age": age.astype(str), "sex": rng.choice(["F", "M"], rows),
                         "region": rng.choice(["north", "south", "east"], rows, p=[.6, .3, .1]),
                         "work": work})


@pytest.fixture(scope="module")
def agency(tmp_path_factory):
    folder = tmp_path_factory.mktemp("exact")
    people().to_csv(folder / "people.csv", index=False)
    (folder / "codebook.yaml").write_text(CODEBOOK)
    return folder / "people.csv", folder / "codebook.yaml"


def _run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_redraw_moves_a_drawn_value_off_a_unique_record_and_stays_in_its_bin():
    codebook = parse_codebook(CODEBOOK, "test")
    # Input: at ages 20 and 21, one man in the north each (unique on every column).
    values = pd.DataFrame({"age": ["20", "21", "30", "30"], "sex": ["M", "M", "F", "F"],
                           "region": ["north"] * 4, "work": ["farm"] * 4})
    binned = codebook.measured(values)
    forbidden = exact_values.forbidden_values(values, binned, codebook, COLUMNS)
    assert forbidden == {("18-24", "M", "north", "farm"): {("20",), ("21",)}}
    # A release whose drawn ages land on both unique men.
    cases = pd.DataFrame({"age": ["20", "21", "19", "22"], "sex": ["M"] * 4,
                          "region": ["north"] * 4, "work": ["farm"] * 4})
    released, collided = exact_values.redraw(cases, codebook.measured(cases), forbidden,
                                             codebook, COLUMNS, np.random.default_rng(0))
    assert collided == 2
    assert unique_exact_matches(released, values, COLUMNS)[0] == 0
    assert (codebook.measured(released)["age"] == "18-24").all()  # the bins, hence k, unchanged


def test_a_profile_whose_every_value_is_a_unique_record_is_unavoidable():
    codebook = parse_codebook(CODEBOOK, "test")
    values = pd.DataFrame({"age": ["15", "16", "17", "40"], "sex": ["F"] * 4,
                           "region": ["east"] * 4, "work": ["home"] * 4})
    forbidden = exact_values.forbidden_values(values, codebook.measured(values), codebook, COLUMNS)
    profiles = pd.DataFrame({"age": ["15-17", "35-49"], "sex": ["F", "F"],
                             "region": ["east", "east"], "work": ["home", "home"]})
    assert exact_values.unavoidable(profiles, forbidden, codebook, COLUMNS).tolist() == [True, False]


def test_release_without_dp_recreates_no_unique_record_in_the_values_released(agency, tmp_path,
                                                                              monkeypatch):
    data, codebook_path = agency
    out = tmp_path / "release"
    result = _run("synth", "fit", "--data", data, "--codebook", codebook_path, "--k", 5,
                  "--seed", 2, "--out", out)
    assert result.exit_code == 0, result.output
    cases, _ = read_release(out)
    real = people()
    assert unique_exact_matches(cases, real, COLUMNS) == (0, int((class_sizes(real, COLUMNS) == 1).sum()))
    assert class_sizes(load_codebook(codebook_path).measured(cases), ["age", "sex", "region"]).min() >= 5
    made = read_manifest(out)
    assert made.promised.released_uniques_excluded is True
    assert made.measured.released_uniques == 0
    assert made.promised.codings["released_uniques_excluded"] == "released values"
    assert made.promised.codings["k"] == "bins"
    card = (out / "datacard.md").read_text()
    assert "In the values released (numbers as the file shows them, not their bins): no " \
           "released row is a record that is unique in the input" in card
    # The same draw without the avoidance recreates unique records, and the check refuses it.
    records = read_cases(data, codebook=load_codebook(codebook_path))
    monkeypatch.setattr(exact_values, "forbidden_values", lambda *a, **k: {})
    careless = fit_release(records, FitSettings(k=5, seed=2))
    assert unique_exact_matches(careless.cases, real, COLUMNS)[0] > 0
    _, problems = check_fit(careless.cases, None, careless, records.table)
    assert any("in the values released, a record unique in the input" in p for p in problems)


def test_under_dp_no_post_check_and_the_figure_is_evidence_only(agency, tmp_path):
    data, codebook_path = agency
    out = tmp_path / "dp"
    result = _run("synth", "fit", "--data", data, "--codebook", codebook_path, "--k", 5,
                  "--epsilon", 2, "--delta", "1e-6", "--seed", 2, "--out", out)
    assert result.exit_code == 0, result.output
    cases, _ = read_release(out)
    matched, uniques = unique_exact_matches(cases, people(), COLUMNS)
    card = (out / "datacard.md").read_text()
    assert "under differential privacy no post-check against the records is allowed" in card
    assert f"as evidence only (not a guarantee, and changing nothing in the release): {matched} " \
           f"records unique in the input" in card
    assert f"of {uniques})" in card
    assert read_manifest(out).promised.released_uniques_excluded is None


def test_evaluate_reports_unique_exact_matches_beside_random_samples(agency, tmp_path):
    real = people()
    figures = exact_match_figures(real, real, COLUMNS)
    uniques = int((class_sizes(real, COLUMNS) == 1).sum())
    assert figures["release"] == {"matched": uniques, "unique_real_records": uniques, "share": 1.0}
    assert figures["random_10pct_sample"]["share"] == pytest.approx(0.1, abs=0.03)
    data, codebook_path = agency
    out = tmp_path / "release"
    assert _run("synth", "fit", "--data", data, "--codebook", codebook_path, "--k", 5,
                "--seed", 2, "--out", out).exit_code == 0
    result = _run("synth", "evaluate", "--real", data, "--release", out, "--out",
                  tmp_path / "e.html", "--no-sdmetrics")
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "e.json").read_text())
    assert report["privacy"]["unique_exact_matches"]["release"]["matched"] == 0
    assert report["privacy"]["unique_exact_matches"]["random_10pct_sample"]["matched"] > 0
    assert any("reappear exactly in the values released" in line for line in report["summary"])
