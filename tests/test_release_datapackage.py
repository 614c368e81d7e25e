"""Every release carries a Frictionless data package (datapackage.json) and a schema.org Dataset
(dataset.jsonld): the `frictionless` library validates it on the release's files, and finds the
same faults as the release's own check; release.json hashes both."""

import json
import shutil
from pathlib import Path

import frictionless
import pandas as pd
import pytest
from click.testing import CliRunner

from tipkit.cli import main
from tipkit.synth.microdata.fixtures import write_fixture
from tipkit.synth.release import datapackage
from tipkit.synth.release.datapackage import DATAPACKAGE, JSONLD, package_problems
from tipkit.synth.release.folder import read_release
from tipkit.synth.release.manifest import file_problems, read_manifest, sha256_of

from test_codebook_fit import CODEBOOK, agency_cases
from test_microdata_same_bytes import journeys_input

COMMITTED = Path(__file__).parents[1] / "releases" / "iom-2018"
IOM = "synth/published/iom-2018-border-crossings.yaml"


def _run(*args):
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result


def _valid(folder: Path) -> frictionless.Report:
    report = frictionless.validate(str(folder / DATAPACKAGE))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:5]
    return report


def _fields(package: dict, resource: str) -> dict:
    table = next(r for r in package["resources"] if r["name"] == resource)
    return {f["name"]: f for f in table["schema"]["fields"]}


@pytest.fixture(scope="module")
def fixture_csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("dp") / "records.csv"
    write_fixture(path, rows=2000, seed=11)
    return path


@pytest.fixture(scope="module")
def agency(tmp_path_factory):
    folder = tmp_path_factory.mktemp("agency")
    (folder / "codebook.yaml").write_text(CODEBOOK)
    agency_cases().to_csv(folder / "cases.csv", index=False, lineterminator="\n")
    return folder / "cases.csv", folder / "codebook.yaml"


def test_committed_release_is_a_valid_data_package_with_keys_link_and_value_lists():
    report = _valid(COMMITTED)
    assert [t.name for t in report.tasks] == ["cases", "legs"]
    package = json.loads((COMMITTED / DATAPACKAGE).read_text())
    cases, legs = package["resources"]
    assert (cases["name"], legs["name"]) == ("cases", "legs")
    assert cases["schema"]["primaryKey"] == ["caseId"] and legs["schema"]["primaryKey"] == ["legId"]
    assert legs["schema"]["foreignKeys"] == [
        {"fields": ["caseId"], "reference": {"resource": "cases", "fields": ["caseId"]}}]
    fields = _fields(package, "cases")
    assert fields["gender"]["constraints"]["enum"] == ["Woman", "Man",
                                                       "Trans/Transgender/NonConforming"]
    assert "Other" in fields["citizenship"]["constraints"]["enum"]
    assert fields["yearOfRegistration"]["type"] == "integer"
    assert _fields(package, "legs")["travelDocument"]["constraints"]["enum"] == [
        "own", "forged", "notOwn"]
    assert package["licenses"][0]["name"] == "CC-BY-4.0" and package["sources"]
    assert cases["hash"] == f"sha256:{sha256_of(COMMITTED / 'cases.csv')}"


def test_package_states_the_guarantees_release_json_records_and_both_files_are_hashed():
    made = read_manifest(COMMITTED)
    package = json.loads((COMMITTED / DATAPACKAGE).read_text())
    recorded = json.loads((COMMITTED / "release.json").read_text())
    assert package["guarantees"] == recorded["guarantees"]
    assert package["guarantees"]["promised"]["k"] == 11
    assert package["tipkit"]["command"] == made.command
    assert {DATAPACKAGE, JSONLD} <= set(made.files)
    assert file_problems(COMMITTED, made) == []


def test_jsonld_is_a_schema_org_dataset_naming_every_file_and_column():
    ld = json.loads((COMMITTED / JSONLD).read_text())
    package = json.loads((COMMITTED / DATAPACKAGE).read_text())
    assert ld["@context"] == "https://schema.org/" and ld["@type"] == "Dataset"
    assert ld["name"] == package["title"] and len(ld["description"]) >= 50
    assert ld["license"] == "https://creativecommons.org/licenses/by/4.0/"
    urls = [d["contentUrl"] for d in ld["distribution"]]
    assert urls == ["cases.csv", "legs.csv", DATAPACKAGE]
    assert all((COMMITTED / u).is_file() for u in urls)
    assert ld["distribution"][0]["sha256"] == sha256_of(COMMITTED / "cases.csv")
    names = {v["name"] for v in ld["variableMeasured"]}
    assert {"caseId", "gender", "legId", "borderPoint"} <= names


@pytest.mark.slow
def test_generate_in_parquet_writes_a_valid_package(tmp_path):
    out = tmp_path / "pq"
    _run("synth", "generate", "--published", IOM, "--cases", 3000, "--k", 11, "--seed", 7,
         "--format", "parquet", "--out", out)
    report = _valid(out)
    assert [t.place for t in report.tasks] == ["cases.parquet", "legs.parquet"]
    assert file_problems(out, read_manifest(out)) == []


@pytest.mark.parametrize("options", [[], ["--epsilon", 2, "--delta", "1e-5"],
                                     ["--format", "parquet"]], ids=["plain", "dp", "parquet"])
def test_fit_on_ctdc_records_writes_a_valid_package(options, fixture_csv, tmp_path):
    out = tmp_path / "fit"
    _run("synth", "fit", "--data", fixture_csv, "--k", 5, "--seed", 3, "--out", out, *options)
    _valid(out)
    package = json.loads((out / DATAPACKAGE).read_text())
    assert package["tipkit"]["pipeline"] == "synth fit"
    assert "Woman" in _fields(package, "cases")["gender"]["constraints"]["enum"]
    dp = package["guarantees"]["promised"]["differential_privacy"]
    assert (dp is not None) == ("--epsilon" in options)
    assert str(fixture_csv.name) not in (out / DATAPACKAGE).read_text()  # no input path leaks


def test_a_licence_chosen_is_stated_and_quoted_in_the_command_that_rebuilds_the_release(
        fixture_csv, tmp_path):
    out = tmp_path / "cc0"
    _run("synth", "fit", "--data", fixture_csv, "--k", 5, "--seed", 3, "--licence", "CC0-1.0",
         "--out", out)
    package = json.loads((out / DATAPACKAGE).read_text())
    assert package["licenses"] == [{"name": "CC0-1.0",
                                    "path": "https://creativecommons.org/publicdomain/zero/1.0/",
                                    "title": "Creative Commons Zero 1.0 (public domain dedication)"}]
    assert json.loads((out / JSONLD).read_text())["license"] == package["licenses"][0]["path"]
    made = read_manifest(out)
    assert made.command.endswith("--format csv --licence CC0-1.0")
    assert made.settings.options["licence"] == "CC0-1.0"
    # the release's own command, run again, gives the same bytes
    again = tmp_path / "again"
    args = made.command.split()[1:]
    _run(*[str(fixture_csv) if a == "CASES" else a for a in args], "--out", again)
    for name in ("cases.csv", DATAPACKAGE, JSONLD, "release.json"):
        assert (again / name).read_bytes() == (out / name).read_bytes(), name


def test_an_unknown_licence_is_one_line(fixture_csv, tmp_path):
    result = CliRunner().invoke(main, ["synth", "generate", "--licence", "MIT", "--out",
                                       str(tmp_path / "x")])
    assert result.exit_code == 2 and "--licence" in result.output
    assert not (tmp_path / "x").exists()


def test_fit_with_journey_legs_writes_a_valid_package_with_their_link(tmp_path):
    data = journeys_input(tmp_path)
    out = tmp_path / "legs"
    _run("synth", "fit", "--data", data, "--k", 5, "--seed", 2, "--columns",
         "gender,ageBroad,citizenship,isSexualExploit", "--out", out)
    report = _valid(out)
    assert [t.name for t in report.tasks] == ["cases", "legs"]
    package = json.loads((out / DATAPACKAGE).read_text())
    assert package["resources"][1]["schema"]["foreignKeys"][0]["reference"] == {
        "resource": "cases", "fields": ["caseId"]}
    assert _fields(package, "legs")["borderPoint"]["constraints"]["enum"] == [
        "official", "unofficial", "Other"]   # a fitted release may merge a rare value into Other


def test_fit_with_an_agency_codebook_takes_its_lists_bins_and_ranges(agency, tmp_path):
    data, codebook = agency
    out = tmp_path / "agency"
    _run("synth", "fit", "--data", data, "--codebook", codebook, "--k", 5, "--seed", 1,
         "--out", out)
    _valid(out)
    fields = _fields(json.loads((out / DATAPACKAGE).read_text()), "cases")
    assert fields["sex"]["constraints"]["enum"] == ["F", "M", "Other"]
    assert fields["age"]["constraints"]["enum"][:2] == ["0-14", "15-17"]   # its bins
    assert fields["year"]["type"] == "integer"
    assert fields["year"]["constraints"] == {"minimum": 2015, "maximum": 2025}


def test_a_drafted_codebook_lists_only_released_values_and_never_the_data_range(agency,
                                                                                 tmp_path):
    data, _ = agency
    draft = tmp_path / "draft.yaml"
    _run("synth", "codebook", "--data", data, "--out", draft)   # lists from the data: public: false
    text = draft.read_text().replace("release: bin", "release: value")   # ages drawn in bins
    draft.write_text(text)
    out = tmp_path / "drafted"
    _run("synth", "fit", "--data", data, "--codebook", draft, "--k", 5, "--seed", 1, "--out", out)
    _valid(out)
    package = json.loads((out / DATAPACKAGE).read_text())
    fields = _fields(package, "cases")
    cases = pd.read_csv(out / "cases.csv", dtype=str, keep_default_na=False)
    released = sorted(set(cases["nationality"]) - {"", "Other"})
    assert sorted(set(fields["nationality"]["constraints"]["enum"]) - {"Other"}) == released
    assert fields["age"]["type"] == "string" and "constraints" not in fields["age"]
    assert "69" not in json.dumps(fields["age"])   # the data's largest age is never stated


def _copy(tmp_path) -> Path:
    folder = tmp_path / "copy"
    shutil.copytree(COMMITTED, folder)
    return folder


def _edit(folder: Path, name: str, old: str, new: str) -> None:
    """Change one value of a table and re-hash it in datapackage.json: only the value is wrong."""
    path = folder / name
    path.write_text(path.read_text().replace(old, new, 1))
    package = json.loads((folder / DATAPACKAGE).read_text())
    for resource in package["resources"]:
        if resource["path"] == name:
            resource["hash"], resource["bytes"] = f"sha256:{sha256_of(path)}", path.stat().st_size
    (folder / DATAPACKAGE).write_text(json.dumps(package))


def _found(folder: Path) -> tuple[set[str], list[str]]:
    """What frictionless finds (its error types) and what the release's own check finds."""
    report = frictionless.validate(str(folder / DATAPACKAGE))
    cases, legs = read_release(folder)
    ours = package_problems(folder, json.loads((folder / DATAPACKAGE).read_text()),
                            {"cases": cases, "legs": legs})
    return {e.type for task in report.tasks for e in task.errors}, ours


def test_a_value_outside_its_list_is_found_by_both_checks_without_naming_it(tmp_path):
    folder = _copy(tmp_path)
    _edit(folder, "legs.csv", ",official,bus,forged,", ",official,bus,stolen,")
    theirs, ours = _found(folder)
    assert theirs == {"constraint-error"}
    assert ours == ["datapackage.json: legs: column 'travelDocument' has 1 values outside its "
                    "list (enum)"]


def test_a_leg_of_no_case_is_found_by_both_checks(tmp_path):
    folder = _copy(tmp_path)
    _edit(folder, "legs.csv", "L0000001,C000001,", "L0000001,C999999,")
    theirs, ours = _found(folder)
    assert theirs == {"foreign-key"} and len(ours) == 1 and "foreign key" in ours[0]


def test_a_repeated_case_id_and_a_year_outside_its_range_are_found_by_both_checks(tmp_path):
    folder = _copy(tmp_path)
    _edit(folder, "cases.csv", "C000002,2016,", "C000001,1850,")   # C000002's legs lose their case
    theirs, ours = _found(folder)
    assert theirs == {"primary-key", "constraint-error", "foreign-key"}
    assert [p.split(": ", 2)[1] for p in ours] == ["cases", "cases", "legs"]
    assert "range 1900 to 2100" in ours[0] and "primary key" in ours[1] and "foreign key" in ours[2]


def test_a_table_changed_after_the_package_is_found_by_both_checks(tmp_path):
    folder = _copy(tmp_path)
    path = folder / "cases.csv"
    path.write_text(path.read_text().replace("C000001,2016", "C000001,2017", 1))
    theirs, ours = _found(folder)
    assert "hash-count" in theirs and ours == ["datapackage.json: cases: cases.csv differs from "
                                               "its size or hash"]


def test_a_package_that_does_not_describe_its_files_abandons_the_release(tmp_path, monkeypatch):
    wrong = datapackage.schema_fields()
    wrong["gender"] = datapackage.FieldSpec(values=("Woman",))  # a list the rows do not keep
    monkeypatch.setattr("tipkit.synth.published.generate.schema_fields", lambda: wrong)
    out = tmp_path / "rel"
    result = CliRunner().invoke(main, ["synth", "generate", "--published", IOM, "--cases", "3000",
                                       "--k", "11", "--seed", "7", "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert "datapackage.json: cases" in result.output and "enum" in result.output
    assert not out.exists() and list(tmp_path.iterdir()) == []

