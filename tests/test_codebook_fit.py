"""`fit --codebook` on a table in an agency's own schema, `synth codebook` drafts, the refusals
(one line, exit 2, nothing written), impossible combinations, and `evaluate` through the codebook."""

import hashlib

import numpy as np
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from tipkit.cli import main
from tipkit.synth.evaluate.evaluation import KMARGINAL
from tipkit.synth.microdata.codebook import load_codebook
from tipkit.synth.microdata.fit import FitSettings, check_fit, fit_release
from tipkit.synth.microdata.fixtures import write_fixture
from tipkit.synth.microdata.readers import read_cases
from tipkit.synth.release.folder import read_release
from tipkit.synth.release.manifest import InputFile, read_manifest, sha256_of
from tipkit.synth.release.guarantees import rare_combinations, smallest_class

CODEBOOK = """\
name: nrm-referrals
id: caseRef
missing: ["-9"]
quasi_identifiers: [age, sex, nationality, year]
columns:
  age: {range: [0, 99], bins: [0, 15, 18, 25, 35, 50, 99]}
  sex: {values: [F, M], labels: {F: Female, M: Male}}
  nationality: {values: [NG, VN, AL, RO, ER, SD, GB]}
  year: {range: [2015, 2025]}
  marital: {values: [single, married, divorced]}
  exploitation: {values: [labour, sexual, criminal, domestic]}
impossible:
  - {age: [0, 14], marital: [married, divorced]}
"""
QI = ["age", "sex", "nationality", "year"]


def agency_cases(rows: int = 2000, seed: int = 5) -> pd.DataFrame:
    """A national referral mechanism's table in its own schema (not CTDC): ages in years,
    its own codes, -9 for unknown; children are never married. Built here, never real."""
    rng = np.random.default_rng(seed)
    nationality = rng.choice(["NG", "VN", "AL", "RO", "ER", "SD", "GB"], size=rows,
                             p=[0.25, 0.2, 0.2, 0.12, 0.1, 0.08, 0.05])
    child = rng.random(rows) < 0.2
    age = np.where(child, rng.integers(5, 15, rows), rng.integers(15, 70, rows))
    sexual = rng.random(rows) < np.where(np.isin(nationality, ["NG", "RO"]), 0.7, 0.3)
    exploitation = np.where(sexual, "sexual", rng.choice(["labour", "criminal", "domestic"], rows))
    sex = np.where(sexual, np.where(rng.random(rows) < 0.9, "F", "M"),
                   np.where(rng.random(rows) < 0.3, "F", "M"))
    marital = np.where(child, "single", rng.choice(["single", "married", "divorced"], rows,
                                                    p=[0.6, 0.3, 0.1]))
    marital = np.where(rng.random(rows) < 0.05, "-9", marital)
    return pd.DataFrame({
        "caseRef": [f"R{i:05d}" for i in range(rows)],
        "age": age.astype(str), "sex": sex, "nationality": nationality,
        "year": rng.integers(2015, 2024, rows).astype(str), "marital": marital,
        "exploitation": exploitation,
    })


def _run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def _write(path, table: pd.DataFrame):
    table.to_csv(path, index=False, lineterminator="\n")
    return path


@pytest.fixture(scope="module")
def agency(tmp_path_factory):
    folder = tmp_path_factory.mktemp("agency")
    (folder / "codebook.yaml").write_text(CODEBOOK)
    return _write(folder / "cases.csv", agency_cases()), folder / "codebook.yaml"


@pytest.fixture(scope="module")
def plain(agency, tmp_path_factory):
    data, codebook = agency
    out = tmp_path_factory.mktemp("rel") / "plain"
    result = _run("synth", "fit", "--data", data, "--codebook", codebook, "--k", 5, "--seed", 3,
                  "--out", out)
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def private(agency, tmp_path_factory):
    """Under DP, with ages released as whole years drawn inside their bins."""
    data, codebook = agency
    text = CODEBOOK.replace("bins: [0, 15, 18, 25, 35, 50, 99]}",
                            "bins: [0, 15, 18, 25, 35, 50, 99], release: value}")
    valued = codebook.parent / "valued.yaml"
    valued.write_text(text)
    out = tmp_path_factory.mktemp("rel") / "dp"
    result = _run("synth", "fit", "--data", data, "--codebook", valued, "--k", 5, "--epsilon", 2,
                  "--delta", "1e-6", "--seed", 3, "--out", out)
    assert result.exit_code == 0, result.output
    return out


def test_release_of_an_agency_table_follows_its_codebook(plain, agency):
    cases, _ = read_release(plain)
    assert list(cases.columns) == ["caseId", "age", "sex", "nationality", "year", "marital",
                                   "exploitation"]  # the id column is never released
    assert set(cases["age"]) <= {"0-14", "15-17", "18-24", "25-34", "35-49", "50-99", "Other"}
    assert set(cases["marital"]) <= {"single", "married", "divorced", "", "Other"}  # -9: blank
    assert (cases["marital"] == "").sum() > 0
    assert smallest_class(cases, QI) >= 5
    assert sum(rare_combinations(cases, QI + ["marital", "exploitation"], 5, 3).values()) == 0
    assert (plain / "codebook.yaml").read_text() == CODEBOOK  # every list public: as written
    card = (plain / "datacard.md").read_text()
    sha = hashlib.sha256(CODEBOOK.encode()).hexdigest()
    assert f"codebook `nrm-referrals`, shipped as `codebook.yaml` (sha256 {sha})" in card
    assert "released as its bin (release: bin, the default" in card


def test_impossible_combinations_never_reach_the_release(plain, private):
    for folder in (plain, private):
        cases, _ = read_release(folder)
        age = cases["age"].map(lambda v: int(v.split("-")[0]) if v[:1].isdigit() else 99)
        assert not ((age < 15) & cases["marital"].isin(["married", "divorced"])).any()
        assert "No row has a combination the codebook calls impossible" in \
            (folder / "datacard.md").read_text()


def test_private_release_draws_whole_years_inside_public_bins(private):
    cases, _ = read_release(private)
    ages = cases["age"][cases["age"] != ""].astype(int)
    assert ages.between(0, 99).all() and ages.nunique() > 20
    book = load_codebook(private / "codebook.yaml")
    assert smallest_class(book.measured(cases), QI) >= 5  # k-anonymous in the measured bins
    assert "drawn uniformly inside its bin" in (private / "datacard.md").read_text()
    assert "whose every released column is marked public" in (private / "datacard.md").read_text()


def test_evaluate_reads_the_real_table_through_the_shipped_codebook(private, agency, tmp_path):
    data, _ = agency
    out = tmp_path / "evaluation.html"
    result = _run("synth", "evaluate", "--real", data, "--release", private, "--out", out,
                  "--k", 5, "--no-sdmetrics")
    assert result.exit_code == 0, result.output
    report = yaml.safe_load(out.with_suffix(".json").read_text())
    assert report["codebook"]["name"] == "nrm-referrals"
    assert report["privacy"]["quasi_identifiers"] == QI
    assert report["privacy"]["impossible_combinations"] == {"0: age 0-14, marital married divorced": 0}
    assert report["fidelity"]["marginal_scores"]["2-way"] > 0.8  # ages compared in their bins
    assert "nrm-referrals" in out.read_text()


def test_release_json_records_the_shipped_codebook_and_promises_no_impossible_row(plain, private):
    for folder in (plain, private):
        made = read_manifest(folder)
        shipped = made.settings.codebook
        assert shipped == InputFile("nrm-referrals", sha256_of(folder / "codebook.yaml"))
        assert made.files["codebook.yaml"] == shipped.sha256  # listed, and checked, with the rest
        assert made.promised.impossible_combinations == 0
        assert made.measured.impossible_combinations == {"0": 0}  # counted on the written files
        assert made.command.startswith("tipkit synth fit --data CASES --codebook codebook.yaml "
                                       "--k 5 --seed 3")
        card = (folder / "datacard.md").read_text()
        assert f"shipped as `codebook.yaml` (sha256 {shipped.sha256})" in card
        assert f"Command: `{made.command}`" in card
    assert read_manifest(private).settings.options["years"] is None  # no CTDC year range here


def test_evaluate_takes_k_quasi_identifiers_and_codebook_from_release_json(private, agency,
                                                                           tmp_path):
    data, codebook = agency
    result = _run("synth", "evaluate", "--real", data, "--release", private, "--out",
                  tmp_path / "e.html", "--no-sdmetrics")
    assert result.exit_code == 0, result.output
    report = yaml.safe_load((tmp_path / "e.json").read_text())
    assert report["privacy"]["k"] == 5 and report["privacy"]["quasi_identifiers"] == QI
    assert report["codebook"]["sha256"] == read_manifest(private).settings.codebook.sha256
    assert report["privacy"]["impossible_combinations"] == {"0: age 0-14, marital married divorced": 0}
    # a flag overrides: the user's own codebook, without the impossible rule
    mine = tmp_path / "mine.yaml"
    mine.write_text(CODEBOOK.split("impossible:")[0].replace("nrm-referrals", "mine"))
    result = _run("synth", "evaluate", "--real", data, "--release", private, "--out",
                  tmp_path / "f.html", "--no-sdmetrics", "--codebook", mine, "--k", 6)
    assert result.exit_code == 0, result.output
    report = yaml.safe_load((tmp_path / "f.json").read_text())
    assert report["codebook"]["name"] == "mine" and report["privacy"]["k"] == 6
    assert report["privacy"]["impossible_combinations"] == {}


def test_a_changed_shipped_codebook_is_a_one_line_error(private, agency, tmp_path):
    import shutil

    data, _ = agency
    copy = tmp_path / "copy"
    shutil.copytree(private, copy)
    (copy / "codebook.yaml").write_text(CODEBOOK.replace("[0, 14]", "[0, 17]"))
    result = _run("synth", "evaluate", "--real", data, "--release", copy, "--out",
                  tmp_path / "e.html", "--no-sdmetrics")
    assert result.exit_code == 2
    assert "codebook.yaml is missing or has changed since the release was made" in result.output
    assert len(result.output.strip().splitlines()) == 1 and not (tmp_path / "e.html").exists()


def test_the_app_checks_a_fitted_release_in_its_codebook_coding(private, tmp_path):
    """Ages drawn inside their bins are k-anonymous only counted as bins: the app's check reads
    the shipped codebook, and counts impossible rows too."""
    import shutil

    from tipkit.app.releases import examine
    from tipkit.synth.microdata.fit import FITTED_IDS
    from tipkit.synth.release.checks import check_release

    examined = examine(private, tmp_path)
    assert examined.problems == () and examined.smallest_class >= 5
    cases, _ = read_release(private)
    check = check_release(cases, None, QI, 5, 3, ids=FITTED_IDS,
                          codebook=load_codebook(private / "codebook.yaml"))
    assert check.problems(5) == [] and check.impossible == {0: 0}
    assert check_release(cases, None, QI, 5, 3).problems(5)  # as whole years: classes below k
    doctored = cases.copy()
    doctored.loc[doctored.index[:3], ["age", "marital"]] = ["3", "married"]
    found = check_release(doctored, None, QI, 5, 3, codebook=load_codebook(private / "codebook.yaml"))
    assert found.impossible == {0: 3}
    assert "3 rows have a combination the codebook calls impossible (impossible[0])" in \
        " | ".join(found.problems(5))


def test_evaluate_counts_impossible_combinations_in_a_release(agency, tmp_path):
    data, codebook = agency
    folder = tmp_path / "doctored"
    folder.mkdir()
    cases = agency_cases().drop(columns="caseRef")
    book = load_codebook(codebook)
    cases["age"] = [book.column("age").code_value(v) for v in cases["age"]]
    cases.loc[:6, ["age", "marital"]] = ["0-14", "married"]
    _write(folder / "cases.csv", cases.assign(caseId=range(1, len(cases) + 1))[["caseId", *cases]])
    (folder / "codebook.yaml").write_text(CODEBOOK)
    result = _run("synth", "evaluate", "--real", data, "--release", folder, "--out",
                  tmp_path / "e.html", "--k", 5, "--no-sdmetrics")
    assert result.exit_code == 0, result.output
    report = yaml.safe_load((tmp_path / "e.json").read_text())
    assert report["privacy"]["impossible_combinations"] == {"0: age 0-14, marital married divorced": 7}
    assert "7 rows have a combination it calls impossible" in report["summary"][-1]


def test_evaluate_reports_the_sdnist_kmarginal_score_on_the_numbers_themselves(agency, tmp_path):
    data, _ = agency
    # A "release" that is the real table itself, coded as fit writes it (ages in years).
    real = agency_cases().drop(columns="caseRef")
    real["marital"] = real["marital"].replace("-9", "")
    valued = CODEBOOK.replace("bins: [0, 15, 18, 25, 35, 50, 99]}",
                              "bins: [0, 15, 18, 25, 35, 50, 99], release: value}")

    def evaluated(cases: pd.DataFrame, name: str) -> dict:
        folder = tmp_path / name
        folder.mkdir()
        _write(folder / "cases.csv", cases.assign(caseId=range(1, len(cases) + 1))[
            ["caseId", *cases]])
        (folder / "codebook.yaml").write_text(valued)
        result = _run("synth", "evaluate", "--real", data, "--release", folder, "--out",
                      tmp_path / f"{name}.html", "--k", 5, "--no-sdmetrics")
        assert result.exit_code == 0, result.output
        assert KMARGINAL in (tmp_path / f"{name}.html").read_text()
        return yaml.safe_load((tmp_path / f"{name}.json").read_text())["fidelity"]

    assert evaluated(real, "same")[KMARGINAL] == pytest.approx(1000)
    rng = np.random.default_rng(0)
    shuffled = real.assign(exploitation=rng.permutation(real["exploitation"].to_numpy()))
    assert evaluated(shuffled, "shuffled")[KMARGINAL] < 990
    # Every age moved to the bottom of its codebook bin: the same bins (2-way score 1), but
    # SDNist scores the years themselves, in 20 percentile bins of the real ages.
    lowest = real.assign(age=real["age"].astype(int).map(
        lambda a: next(str(low) for low in (50, 35, 25, 18, 15, 0) if a >= low)))
    moved = evaluated(lowest, "lowest")
    assert moved["marginal_scores"]["2-way"] == pytest.approx(1.0)
    assert moved[KMARGINAL] < 990


def test_the_release_check_counts_impossible_rows_on_the_written_files(agency):
    data, codebook = agency
    records = read_cases(data, codebook=load_codebook(codebook))
    fitted = fit_release(records, FitSettings(k=5, seed=3))
    doctored = fitted.cases.copy()
    doctored.loc[doctored.index[:5], ["age", "marital"]] = ["0-14", "married"]
    check, problems = check_fit(doctored, None, fitted, records.table)
    assert check.impossible == {0: 5}
    assert any("5 rows have a combination the codebook calls impossible (impossible[0])" in p
               for p in problems)
    assert fitted.codebook_file == InputFile("nrm-referrals",
                                             hashlib.sha256(CODEBOOK.encode()).hexdigest())


def _refused(args, message, tmp_path):
    out = tmp_path / "never"
    result = _run("synth", "fit", "--out", out, *args)
    assert result.exit_code == 2, result.output
    assert message in result.output, result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not out.exists()
    return result.output


@pytest.mark.parametrize("change, message", [
    (lambda t: t.assign(sex=t["sex"].where(t.index != 40, "X")),
     "column 'sex' has 1 value outside its list in the codebook (first in data row 41)"),
    (lambda t: t.assign(age=t["age"].where(t.index != 7, "130")),
     "column 'age' has 1 value outside its range 0 to 99 in the codebook (first in data row 8)"),
    (lambda t: t.assign(age=t["age"].where(t.index != 7, "about 30")),
     "column 'age' has 1 value not a number"),
    (lambda t: t.assign(region="north"),
     "column 'region' is not in the codebook nrm-referrals (describe it there, or pick"),
    (lambda t: t.drop(columns="exploitation"),
     "the codebook's column 'exploitation' is not in"),
    (lambda t: t.assign(marital=t["marital"].where(t["age"].astype(int) >= 15, "married")),
     "records have a combination the codebook calls impossible (impossible[0]: age 0-14, "
     "marital married divorced)"),
])
@pytest.mark.parametrize("private", [False, True])
def test_a_table_that_breaks_its_codebook_is_refused(change, message, private, agency, tmp_path):
    data, codebook = agency
    broken = _write(tmp_path / "broken.csv", change(agency_cases()))
    budget = ["--epsilon", 1, "--delta", "1e-6"] if private else []
    output = _refused(["--data", broken, "--codebook", codebook, "--k", 5, *budget], message,
                      tmp_path)
    assert "130" not in output and "about 30" not in output  # never echo case data


@pytest.mark.parametrize("args, message", [
    (["--columns", "age,sex,marital"],
     "the codebook's quasi-identifier 'nationality' is not among the released columns"),
    (["--years", "2015-2020"], "--years sets the range of a CTDC yearOfRegistration"),
    (["--epsilon", 1, "--delta", "1e-6", "--columns", "caseRef,age"], "caseRef is an identifier"),
])
def test_settings_that_break_the_codebook_are_refused(args, message, agency, tmp_path):
    data, codebook = agency
    _refused(["--data", data, "--codebook", codebook, *args], message, tmp_path)


def test_a_bad_codebook_is_refused_before_reading_data(agency, tmp_path):
    data, _ = agency
    bad = tmp_path / "bad.yaml"
    bad.write_text(CODEBOOK.replace("bins:", "bin:"))
    _refused(["--data", data, "--codebook", bad], "columns.age: unknown key 'bin' (did you mean "
             "'bins'?)", tmp_path)


def test_a_ctdc_file_without_any_default_quasi_identifier_is_refused(tmp_path):
    data = tmp_path / "flags.csv"
    data.write_text("isForcedLabour,isSexualExploit\n" + "1,0\n0,1\n" * 30)
    _refused(["--data", data, "--k", 5], "no quasi-identifier to protect: the table has none of "
             "the codebook ctdc-global-synthetic's", tmp_path)


def test_outside_other_under_dp_is_counted_noisily_in_the_data_card(agency, tmp_path):
    data, codebook = agency
    table = agency_cases()
    table.loc[:40, "nationality"] = "XK"
    broken = _write(tmp_path / "xk.csv", table)
    lenient = tmp_path / "lenient.yaml"
    lenient.write_text(CODEBOOK.replace("GB]}", "GB], outside: other}"))
    out = tmp_path / "rel"
    result = _run("synth", "fit", "--data", broken, "--codebook", lenient, "--k", 5,
                  "--epsilon", 2, "--delta", "1e-6", "--seed", 1, "--out", out)
    assert result.exit_code == 0, result.output
    card = (out / "datacard.md").read_text()
    line = next(l for l in card.splitlines() if l.startswith("  - nationality:"))
    assert "records hold \"Other\" in the measured one-way table" in line and "noisy count" in line
    assert "XK" not in card


def test_draft_marks_lists_from_the_data_and_dp_refuses_them_until_reviewed(agency, tmp_path):
    data, _ = agency
    draft = tmp_path / "draft.yaml"
    result = _run("synth", "codebook", "--data", data, "--out", draft)
    assert result.exit_code == 0, result.output
    assert "caseRef: identifier (dropped, never released)" in result.output
    assert "sex: 2 values from the data (public: false" in result.output
    assert "age: numbers 5 to 69 in" in result.output  # the data's own range: not public
    book = load_codebook(draft)
    assert book.id == "caseRef"
    assert not any(c.public for c in book.columns.values())
    assert book.column("marital").missing == ("-9",)
    assert book.quasi_identifiers == ("age", "sex", "nationality", "year")  # a guess, to review
    out = tmp_path / "never"
    _refused(["--data", data, "--codebook", draft, "--epsilon", 1, "--delta", "1e-6"],
             "column 'age': its list of values comes from the data (public: false in codebook "
             "cases)", tmp_path)
    unreviewed = tmp_path / "unreviewed"  # without DP the draft works, and ships cut down
    result = _run("synth", "fit", "--data", data, "--codebook", draft, "--k", 5, "--out", unreviewed)
    assert result.exit_code == 0, result.output
    shipped = (unreviewed / "codebook.yaml").read_text()
    assert shipped.startswith("# The codebook this release was made with. The value lists of age")
    released = set(read_release(unreviewed)[0]["nationality"])
    assert set(load_codebook(unreviewed / "codebook.yaml").column("nationality").values) == \
        released - {"", "Other"}
    assert "the value lists taken from the data are cut to the values released" in \
        (unreviewed / "datacard.md").read_text()
    reviewed = tmp_path / "reviewed.yaml"
    reviewed.write_text(draft.read_text().replace("public: false", "public: true"))
    result = _run("synth", "fit", "--data", data, "--codebook", reviewed, "--k", 5, "--epsilon", 1,
                  "--delta", "1e-6", "--out", out)
    assert result.exit_code == 0, result.output


def test_a_drafted_codebook_of_a_ctdc_file_keeps_its_public_lists_and_its_bytes(tmp_path):
    data = tmp_path / "cases.csv"
    write_fixture(data, rows=2000, seed=4)
    draft = tmp_path / "draft.yaml"
    result = _run("synth", "codebook", "--data", data, "--out", draft)
    assert result.exit_code == 0, result.output
    assert "citizenship: public list from the built-in CTDC Global Dataset codebook" in result.output
    assert all(c.public for c in load_codebook(draft).columns.values())
    outs = [tmp_path / "builtin", tmp_path / "drafted"]
    for out, extra in zip(outs, ([], ["--codebook", draft])):
        result = _run("synth", "fit", "--data", data, "--k", 5, "--seed", 2, "--out", out, *extra)
        assert result.exit_code == 0, result.output
    assert (outs[0] / "cases.csv").read_bytes() == (outs[1] / "cases.csv").read_bytes()
    assert "built-in codebook `ctdc-global-dataset`" in (outs[0] / "datacard.md").read_text()
    assert "codebook `cases`" in (outs[1] / "datacard.md").read_text()


def test_draft_refuses_to_overwrite(agency):
    data, codebook = agency
    result = _run("synth", "codebook", "--data", data, "--out", codebook)
    assert result.exit_code == 2 and "already exists" in result.output
    assert codebook.read_text() == CODEBOOK
