"""`tipkit synth codebook --dictionary`: lists, ranges and impossible rules drafted from a data
dictionary (SDNist's JSON and a plain CSV), marked for review; `fit` warns in one line when a
codebook has range columns and no rules."""

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from tipkit.cli import main
from tipkit.synth.microdata.codebook import load_codebook
from tipkit.synth.microdata.dictionary import age_rules, impossible_combinations, read_dictionary

DICTIONARY = {
    "AGEP": {"description": "Person's age", "values": {"min": 0, "max": 99}},
    "MSP": {"description": "Marital Status",
            "values": {"N": "N/A (age less than 15 years)", "1": "Now married", "6": "Never married"}},
    "EDU": {"description": "Educational attainment",
            "values": {"N": "N/A (less than 3 years old)", "1": "No schooling", "2": "Nursery",
                       "3": "Grade 1 to grade 8"}},
    "OWN_RENT": {"description": "Housing unit rented or owned",
                 "values": {"0": "Group quarters", "1": "Own", "2": "Rent"}},
    # Not in the table below; N is not the children's alone ("or never worked").
    "WORK": {"description": "Industry",
             "values": {"N": "N/A (less than 16 years old, or never worked)", "1": "Farm"}},
}


def people(rows: int = 800, seed: int = 3) -> pd.DataFrame:
    """Made-up records that keep the dictionary's age rules (never real)."""
    rng = np.random.default_rng(seed)
    age = rng.integers(0, 90, rows)
    msp = np.where(age < 15, "N", rng.choice(["1", "6"], rows))
    edu = np.where(age < 3, "N", np.where(age < 6, "2", rng.choice(["1", "3"], rows)))
    return pd.DataFrame({"AGEP": age.astype(str), "MSP": msp, "EDU": edu,
                         "OWN_RENT": rng.choice(["0", "1", "2"], rows)})


def _as_csv(path):
    rows = [("AGEP", "", "Person's age"), ("AGEP", "min", "0"), ("AGEP", "max", "99")]
    for name, spec in DICTIONARY.items():
        if name != "AGEP":
            rows.append((name, "", spec["description"]))
            rows += [(name, code, meaning) for code, meaning in spec["values"].items()]
    pd.DataFrame(rows, columns=["column", "value", "description"]).to_csv(path, index=False)


@pytest.fixture(params=["json", "csv"])
def dictionary(request, tmp_path):
    path = tmp_path / f"dictionary.{request.param}"
    if request.param == "json":
        path.write_text(json.dumps(DICTIONARY))
    else:
        _as_csv(path)
    return path


def _run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_both_formats_read_the_same_age_rules(dictionary):
    age, rules = age_rules(read_dictionary(dictionary), list(DICTIONARY))
    assert age == "AGEP"
    assert [(r.column, r.value, r.low, r.high, r.exclusive) for r in rules] == [
        ("MSP", "N", 0, 14, True), ("EDU", "N", 0, 2, True), ("WORK", "N", 0, 15, False)]
    work = impossible_combinations(age, rules[2], read_dictionary(dictionary)["WORK"], 0, 99)
    assert work == [{"AGEP": [0, 15], "WORK": ["1"]}]  # no child works; N stays open to adults


def test_drafted_codebook_holds_the_dictionarys_rules_marked_for_review(dictionary, tmp_path):
    data = tmp_path / "people.csv"
    people().to_csv(data, index=False)
    out = tmp_path / "codebook.yaml"
    result = _run("synth", "codebook", "--data", data, "--dictionary", dictionary, "--out", out)
    assert result.exit_code == 0, result.output
    text = out.read_text()
    assert "{AGEP: [15, 99], MSP: [N]}" in text.replace('"', "")
    assert "{AGEP: [0, 14], MSP: [1, 6]}" in text
    assert "{AGEP: [3, 99], EDU: [N]}" in text.replace('"', "")
    assert "{AGEP: [0, 2], EDU: [1, 2, 3]}" in text
    assert text.count("drafted from the dictionary") == 2 and "review" in text
    assert "still need a hand" in text  # housing rules are not in the dictionary's words
    codebook = load_codebook(out)
    assert len(codebook.impossible) == 4
    assert codebook.column("AGEP").range == (0, 99) and 15 in codebook.column("AGEP").bins
    assert codebook.column("MSP").listed() == ("N", "1", "6")  # N a value, not missing
    assert "OWN_RENT" not in {n for rule in codebook.impossible for n in rule.values}
    # A release fitted through the draft pairs no child with a marriage.
    release = tmp_path / "release"
    fitted = _run("synth", "fit", "--data", data, "--codebook", out, "--k", 5, "--seed", 1,
                  "--out", release)
    assert fitted.exit_code == 0, fitted.output
    assert "no impossible combinations" not in fitted.stderr
    cases = pd.read_csv(release / "cases.csv", dtype=str)
    child = cases["AGEP"].map(lambda v: int(v.split("-")[0]) < 15)
    assert not (child & (cases["MSP"] != "N")).any()
    assert not (~child & (cases["MSP"] == "N")).any()


def test_fit_warns_in_one_line_when_a_codebook_has_ranges_and_no_rules(tmp_path):
    data = tmp_path / "people.csv"
    people().to_csv(data, index=False)
    codebook = tmp_path / "norules.yaml"
    codebook.write_text("name: norules\nquasi_identifiers: [AGEP]\ncolumns:\n"
                        "  AGEP: {range: [0, 99], bins: [0, 15, 99]}\n"
                        "  MSP: {values: [N, 1, 6]}\n  EDU: {values: [N, 1, 2, 3]}\n"
                        "  OWN_RENT: {values: [0, 1, 2]}\n")
    result = _run("synth", "fit", "--data", data, "--codebook", codebook, "--k", 5,
                  "--out", tmp_path / "r")
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.stderr.splitlines() if "impossible combinations" in line]
    assert warnings == ["warning: codebook norules has range columns (AGEP) and no impossible "
                        "combinations: the release may pair them with values they rule out (a "
                        "married child); add rules, or draft them with `tipkit synth codebook "
                        "--dictionary`"]


def test_a_dictionary_that_is_neither_format_is_one_line(tmp_path):
    data = tmp_path / "people.csv"
    people().to_csv(data, index=False)
    bad = tmp_path / "dictionary.csv"
    bad.write_text("name,meaning\nAGEP,age\n")
    result = _run("synth", "codebook", "--data", data, "--dictionary", bad, "--out",
                  tmp_path / "c.yaml")
    assert result.exit_code == 2
    assert "a CSV dictionary has the columns column, value, description" in result.stderr
    assert not (tmp_path / "c.yaml").exists()
