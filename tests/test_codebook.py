"""The codebook: loading, every validation problem as one line naming its key, coding values through
it, and the built-in CTDC codebooks agreeing with the CTDC formats."""

import pandas as pd
import pytest

from tipkit.errors import UserError
from tipkit.synth.microdata.codebook import (GLOBAL_DATASET_CODEBOOK, GLOBAL_SYNTHETIC_CODEBOOK,
                                             Outside, builtin_codebook, load_codebook,
                                             parse_codebook)
from tipkit.synth.microdata.readers import GLOBAL_DATASET_COLUMNS, MERGED_FLAGS, SYNTHETIC_ALIASES
from tipkit.synth.release.schema import CASE_COLUMNS, CASE_ID, DEFAULT_QUASI_IDENTIFIERS

ISSUE_EXAMPLE = """
columns:
  SEX:   {values: [1, 2]}
  MSP:   {values: [1, 2, 3, 4, 5, 6], missing: [N]}
  AGEP:  {range: [0, 99], bins: [0, 5, 10, 15, 18, 21, 25, 30, 40, 50, 60, 70, 80, 99]}
quasi_identifiers: [AGEP, SEX]
impossible:
  - {AGEP: [0, 14], MSP: [1, 2, 3, 4, 5]}
"""


def _problem(text: str) -> str:
    with pytest.raises(UserError) as error:
        parse_codebook(text, "cb.yaml")
    message = str(error.value)
    assert "\n" not in message and message.startswith("cb.yaml")
    return message


def test_the_issue_example_loads_with_bins_and_an_impossible_combination():
    book = parse_codebook(ISSUE_EXAMPLE, "cb.yaml", name="cb")
    age = book.column("AGEP")
    assert age.bin_labels()[:4] == ["0-4", "5-9", "10-14", "15-17"]
    assert age.bin_labels()[-1] == "80-99"  # the last bin holds its upper edge
    assert age.release == "bin"  # the default: a bin is what was measured
    rule = book.impossible[0]
    assert rule.values["AGEP"] == {"0-4", "5-9", "10-14"}
    assert rule.values["MSP"] == {"1", "2", "3", "4", "5"}
    table = pd.DataFrame({"AGEP": ["5-9", "5-9", "18-20"], "MSP": ["1", "6", "1"], "SEX": "1"})
    assert list(rule.rows(table)) == [True, False, False]
    assert book.quasi_identifiers == ("AGEP", "SEX")


def test_values_are_read_as_text_exactly_as_written():
    book = parse_codebook("columns:\n  code: {values: [01, 1.0, yes]}\n", "cb.yaml")
    assert book.column("code").values == ("01", "1.0", "yes")


@pytest.mark.parametrize("text, expected", [
    ("columns:\n  AGEP: {range: [0, 99], bin: [0, 99]}\n",
     "columns.AGEP: unknown key 'bin' (did you mean 'bins'?)"),
    ("column:\n  SEX: {values: [1, 2]}\n", "unknown key 'column' (did you mean 'columns'?)"),
    ("columns:\n  SEX: {values: [1, 2], range: [1, 2]}\n", "columns.SEX: give values"),
    ("columns:\n  AGEP: {range: [0, 99], bins: [0, 50, 90]}\n",
     "columns.AGEP.bins: must start at 0 and end at 99"),
    ("columns:\n  AGEP: {range: [0, 99], bins: [0, 50, 40, 99]}\n", "each above the last"),
    ("columns:\n  AGEP: {range: [99, 0]}\n", "columns.AGEP.range: must be [low, high]"),
    ("columns:\n  AGEP: {range: [0, x]}\n", "columns.AGEP.range: must be a list of numbers"),
    ("columns:\n  AGEP: {range: [0, 99], release: value}\n", "columns.AGEP.release: needs bins"),
    ("columns:\n  AGEP: {range: [0, 9.5], bins: [0, 5, 9.5], release: value}\n",
     "release: value needs whole-number bins"),
    ("columns:\n  INCOME: {range: [0, 100000]}\n", "columns.INCOME: the range holds more than"),
    ("columns:\n  SEX: {values: [1, 2], public: maybe}\n", "columns.SEX.public: must be true or false"),
    ("columns:\n  SEX: {values: [1, 2], outside: drop}\n", "columns.SEX.outside: must be one of"),
    ("columns:\n  SEX: {values: [1, 1]}\n", "columns.SEX.values: '1' is listed twice"),
    ("columns:\n  SEX: {values: [1, 9], missing: [9]}\n", "'9' is both a value and a missing code"),
    ("columns:\n  SEX: {values: [1, 2], labels: {3: Other}}\n", "columns.SEX.labels: '3' is not"),
    ("columns:\n  SEX: {values: [1, 2], recode: {F: 3}}\n", "columns.SEX.recode: '3' is not"),
    ("columns:\n  C: {values: iso-3166}\n", "columns.C.values: unknown public list 'iso-3166'"),
    ("columns:\n  SEX: {values: [1, 2]}\nquasi_identifiers: [AGE]\n",
     "quasi_identifiers: 'AGE' is not a column of the codebook"),
    ("columns:\n  SEX: {values: [1, 2]}\nimpossible:\n  - {AGE: [1], SEX: [1]}\n",
     "impossible[0]: 'AGE' is not a column of the codebook"),
    ("columns:\n  SEX: {values: [1, 2]}\n  M: {values: [a]}\nimpossible:\n  - {SEX: [3], M: [a]}\n",
     "impossible[0].SEX: '3' is not one of its values"),
    (ISSUE_EXAMPLE.replace("[0, 14]", "[0, 12]"),
     "impossible[0].AGEP: [0, 12] cuts the bin 10-14"),
    ("columns:\n  SEX: {values: [1, 2]}\nid: SEX\n", "id: 'SEX' is an identifier"),
    ("columns: []\n", "columns: missing or empty"),
    ("columns:\n  SEX: {values: [1, 2]\n", "is not valid YAML at line"),
    ("columns:\n  SEX: {values: [1, 2]}\n  SEX: {values: [1]}\n",
     "is not valid YAML at line 3: the key 'SEX' is given twice"),
    ("- just\n- a list\n", "is not a codebook"),
])
def test_every_problem_is_one_line_naming_its_key(text, expected):
    assert expected in _problem(text)


def test_a_missing_or_empty_file_is_one_line(tmp_path):
    with pytest.raises(UserError, match="no such codebook file"):
        load_codebook(tmp_path / "none.yaml")
    (tmp_path / "empty.yaml").write_text("  \n")
    with pytest.raises(UserError, match="is empty"):
        load_codebook(tmp_path / "empty.yaml")


def test_coding_missing_codes_recodes_bins_and_what_lies_outside():
    book = parse_codebook("""
missing: ["-9"]
columns:
  sex: {values: [F, M], ignore_case: true, recode: {female: F, male: M}}
  age: {range: [0, 99], bins: [0, 15, 18, 99], missing: [N]}
  year: {range: [2015, 2025]}
""", "cb.yaml")
    sex, age, year = (book.column(c) for c in ("sex", "age", "year"))
    assert [sex.code_value(v) for v in ("f", "FEMALE", " M ", "-9", "", "other")] == \
        ["F", "F", "M", "", "", "Other"]
    assert isinstance(sex.code_value("X"), Outside)
    assert [age.code_value(v) for v in ("0", "14.5", "15", "17", "99", "n")] == \
        ["0-14", "0-14", "15-17", "15-17", "18-99", ""]
    assert str(age.code_value("120")) == "outside its range 0 to 99"
    assert str(age.code_value("old")) == "not a number"
    assert [year.code_value(v) for v in ("2016", "2016.0")] == ["2016", "2016"]
    assert str(year.code_value("2016.5")) == "not a whole number"
    assert year.listed()[0] == "2015" and len(year.listed()) == 11


def test_a_list_from_the_data_is_cut_to_the_released_values_when_shipped():
    book = parse_codebook("columns:\n  nat: {values: [NG, VN, IS], public: false}\n"
                          "  sex: {values: [F, M]}\n", "cb.yaml")
    shipped = book.redacted(pd.DataFrame({"nat": ["NG", "VN", "Other"], "sex": ["F", "M", "F"]}))
    assert "IS" not in shipped and "NG" in shipped
    assert parse_codebook(shipped, "shipped").column("nat").values == ("NG", "VN")
    public = parse_codebook("columns:\n  sex: {values: [F, M]}\n", "cb.yaml")
    assert public.redacted(pd.DataFrame({"sex": ["F"]})) == public.text  # shipped as written


def test_builtin_codebooks_describe_the_ctdc_formats():
    synthetic = builtin_codebook(GLOBAL_SYNTHETIC_CODEBOOK)
    dataset = builtin_codebook(GLOBAL_DATASET_CODEBOOK)
    assert tuple(synthetic.columns) == CASE_COLUMNS
    assert tuple(dataset.columns)[:63] == GLOBAL_DATASET_COLUMNS
    assert set(dataset.columns) == set(GLOBAL_DATASET_COLUMNS) | set(CASE_COLUMNS)
    assert set(MERGED_FLAGS) <= set(dataset.columns)
    for book in (synthetic, dataset):
        assert book.aliases() == SYNTHETIC_ALIASES
        assert book.quasi_identifiers == DEFAULT_QUASI_IDENTIFIERS
        assert book.id == CASE_ID and book.any_subset and book.builtin
        assert all(c.outside == "other" for c in book.columns.values())


def test_builtin_codebooks_keep_every_ctdc_coding_pitfall():
    book = builtin_codebook(GLOBAL_DATASET_CODEBOOK)
    citizenship = book.column("citizenship")
    assert [citizenship.code_value(v) for v in ("NA", "00", "ph", "UKR", "-99", "UNKNOWN")] == \
        ["NAM", "", "PHL", "UKR", "", ""]
    assert [book.column("ageBroad").code_value(v) for v in ("18-20", "18 - 20", "48+")] == \
        ["18--20", "18--20", "48+"]
    assert [book.column("isForcedLabour").code_value(v) for v in ("TRUE", "0.0", "Unknown")] == \
        ["1", "0", ""]
    assert book.with_years((2002, 2018)).column("yearOfRegistration").listed()[0] == "2002"


def test_the_documented_example_is_a_valid_codebook():
    from pathlib import Path

    text = (Path(__file__).parents[1] / "docs" / "microdata.md").read_text()
    example = text.split("```yaml\n", 1)[1].split("```", 1)[0]
    book = parse_codebook(example, "docs/microdata.md")
    assert book.name == "nrm-referrals" and book.id == "caseRef"
    assert book.column("sex").code_value("female") == "F"
    assert book.column("marital").code_value("n") == ""
    assert not book.column("exploitation").public
    assert book.impossible[0].values["age"] == {"0-14"}
