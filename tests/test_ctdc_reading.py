"""Reading case records in the CTDC formats: every coding pitfall of ctdc-format.md handled."""

import pandas as pd
import pytest

from tipkit.synth.microdata.readers import GLOBAL_DATASET, GLOBAL_SYNTHETIC, read_cases
from tipkit.synth.microdata.codebook import GLOBAL_SYNTHETIC_CODEBOOK, builtin_codebook
from tipkit.synth.microdata.domain import listed_values, public_domain
from tipkit.errors import UserError


def _write(tmp_path, rows, name="cases.csv"):
    path = tmp_path / name
    path.write_text(rows)
    return path


def test_global_dataset_codes_become_release_codes(tmp_path):
    path = _write(tmp_path, "yearOfRegistration,gender,ageBroad,citizenship,isForcedLabour,"
                  "CountryOfExploitation\n"
                  "2016,Female,18--20,NA,1,00\n"
                  "-99,Male,-99,PH,-99,US\n"
                  "2017,Transgender/NonConforming,Unknown,00,Unknown,-99\n")
    records = read_cases(path)
    table = records.table
    assert records.source_format == GLOBAL_DATASET
    assert list(table["citizenship"]) == ["NAM", "PHL", ""]  # Namibia is not missing
    assert list(table["CountryOfExploitation"]) == ["", "USA", ""]
    assert list(table["gender"]) == ["Woman", "Man", "Trans/Transgender/NonConforming"]
    assert list(table["ageBroad"]) == ["18--20", "", ""]
    assert list(table["yearOfRegistration"]) == ["2016", "", "2017"]
    assert list(table["isForcedLabour"]) == ["1", "", ""]


def test_global_synthetic_aliases_and_single_hyphen_bands(tmp_path):
    path = _write(tmp_path, "gender,ageBroad,sectorOfSexProstitution,CountryOfExploitation\n"
                  "Woman,18-20,1,USA\nMan,48+,,UKR\n")
    records = read_cases(path)
    assert records.source_format == GLOBAL_SYNTHETIC
    assert "typeOfSexProstitution" in records.table.columns
    assert list(records.table["ageBroad"]) == ["18--20", "48+"]


def test_global_dataset_means_of_control_merge_into_synthetic_fields(tmp_path):
    path = _write(tmp_path, "meansOfControlDebtBondage,meansOfControlTakesEarnings,gender\n"
                  "0,1,Female\n0,0,Male\n-99,0,Male\n")
    table = read_cases(path).table
    assert list(table["meansDebtBondageEarnings"]) == ["1", "0", ""]


def test_values_outside_the_public_list_become_other_and_are_reported(tmp_path):
    path = _write(tmp_path, "citizenship,gender\nXK,Female\nPH,Female\n")
    records = read_cases(path)
    assert list(records.table["citizenship"]) == ["Other", "PHL"]
    assert records.out_of_domain == {"citizenship": {"XK": 1}}


def test_parquet_reads_like_csv(tmp_path):
    frame = pd.DataFrame({"citizenship": ["NA", "00"], "gender": ["Female", None]})
    frame.to_parquet(tmp_path / "cases.parquet")
    table = read_cases(tmp_path / "cases.parquet").table
    assert list(table["citizenship"]) == ["NAM", ""]
    assert list(table["gender"]) == ["Woman", ""]


@pytest.mark.parametrize("content, message", [
    ("", "empty"),
    ("name,address\nA,B\n", "none of the known formats"),
    ("gender\n", "no case records"),
])
def test_unreadable_inputs_are_one_line_errors(tmp_path, content, message):
    with pytest.raises(UserError, match=message) as error:
        read_cases(_write(tmp_path, content))
    assert "\n" not in str(error.value)


def test_a_column_that_does_not_exist_is_named(tmp_path):
    path = _write(tmp_path, "gender,citizenship\nFemale,PH\n")
    with pytest.raises(UserError, match="no column 'ageBroad'"):
        read_cases(path, columns=["gender", "ageBroad"])


def test_public_domain_lists_every_iso_country_and_never_reads_data():
    columns = ["citizenship", "ageBroad"]
    domain = public_domain(columns, listed_values(builtin_codebook(GLOBAL_SYNTHETIC_CODEBOOK), columns))
    assert len(domain.values[0]) == 249 + 2  # ISO 3166-1 plus Other and blank
    assert "NAM" in domain.values[0]
    assert domain.values[1][:2] == ("0--8", "9--17")
