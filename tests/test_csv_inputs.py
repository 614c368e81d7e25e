"""Input tables as spreadsheets write them: a semicolon- or tab-separated CSV (Excel in most of
Europe) reads as the comma file does, in every command that reads records; a separator that
cannot be told, or a column name given twice, is one line, exit 2, nothing written."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from test_bad_inputs import _one_line_exit_2, _run
from tipkit.synth.microdata.fixtures import write_fixture
from tipkit.synth.release.delimiters import separator




@pytest.fixture(scope="module")
def records(tmp_path_factory) -> dict[str, Path]:
    """The same records written with a comma, a semicolon (and a byte-order mark) and a tab."""
    folder = tmp_path_factory.mktemp("records")
    comma = folder / "comma.csv"
    table = write_fixture(comma, rows=600, seed=4)
    written = {"comma": comma}
    for name, sep in (("semicolon", ";"), ("tab", "\t")):
        written[name] = folder / f"{name}.csv"
        table.to_csv(written[name], sep=sep, index=False, lineterminator="\r\n",  # as Excel does
                     encoding="utf-8-sig" if sep == ";" else "utf-8")   # with a byte-order mark
    return written


@pytest.fixture(scope="module")
def release(records, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("release") / "rel"
    result = _run("synth", "fit", "--data", records["comma"], "--k", 5, "--seed", 3, "--out", out)
    assert result.exit_code == 0, result.output
    return out


def test_the_separator_is_told_from_the_rows(records, tmp_path):
    assert [separator(records[n]) for n in ("comma", "semicolon", "tab")] == [",", ";", "\t"]
    one = tmp_path / "one.csv"
    one.write_text("gender\nWoman\nMan\n")
    assert separator(one) == ","


@pytest.mark.parametrize("name", ["semicolon", "tab"])
def test_fit_on_a_semicolon_or_tab_file_gives_the_comma_file_release(name, records, release,
                                                                      tmp_path):
    out = tmp_path / name
    result = _run("synth", "fit", "--data", records[name], "--k", 5, "--seed", 3, "--out", out)
    assert result.exit_code == 0, result.output
    for table in ("cases.csv", "datapackage.json"):
        assert (out / table).read_bytes() == (release / table).read_bytes()


def test_codebook_drafts_the_same_codebook_from_a_semicolon_file(records, tmp_path):
    drafts = {}
    for name in ("comma", "semicolon"):
        (tmp_path / name).mkdir()
        data = tmp_path / name / "records.csv"   # the draft names the file: the same name
        data.write_bytes(records[name].read_bytes())
        out = tmp_path / name / "codebook.yaml"
        result = _run("synth", "codebook", "--data", data, "--out", out)
        assert result.exit_code == 0, result.output
        drafts[name] = out.read_text()
    assert drafts["semicolon"] == drafts["comma"]
    assert "gender" in drafts["comma"]


def test_evaluate_reads_real_records_separated_by_tabs(records, release, tmp_path):
    reports = {}
    for name in ("comma", "tab"):
        out = tmp_path / f"{name}.html"
        result = _run("synth", "evaluate", "--real", records[name], "--release", release,
                      "--out", out, "--no-sdmetrics")
        assert result.exit_code == 0, result.output
        reports[name] = json.loads(out.with_suffix(".json").read_text())
    assert reports["tab"]["privacy"] == reports["comma"]["privacy"]


def _duplicated(folder: Path, table: pd.DataFrame, fmt: str) -> Path:
    """The records with their gender column given twice, in a CSV (`sep`) or a Parquet file."""
    names = list(table.columns) + ["gender"]
    columns = [table[c] for c in table.columns] + [table["gender"]]
    if fmt == "parquet":
        path = folder / "dup.parquet"
        pq.write_table(pa.Table.from_arrays([pa.array(c.tolist()) for c in columns], names=names),
                       path)
    else:
        path = folder / "dup.csv"
        pd.concat(columns, axis=1).set_axis(names, axis=1).to_csv(path, sep=fmt, index=False)
    return path


@pytest.mark.parametrize("fmt", [",", ";", "parquet"])
@pytest.mark.parametrize("command", ["fit", "codebook", "evaluate"])
def test_a_column_name_given_twice_is_one_line_naming_it(command, fmt, records, release,
                                                         tmp_path):
    data = tmp_path / "in"
    data.mkdir()
    path = _duplicated(data, pd.read_csv(records["comma"], dtype=str, keep_default_na=False), fmt)
    out = tmp_path / "out"
    args = {"fit": ["synth", "fit", "--data", path, "--k", 5, "--out", out],
            "codebook": ["synth", "codebook", "--data", path, "--out", tmp_path / "cb.yaml"],
            "evaluate": ["synth", "evaluate", "--real", path, "--release", release,
                         "--out", tmp_path / "ev.html", "--no-sdmetrics"]}[command]
    _one_line_exit_2(_run(*args), "'gender' appears 2 times", "give each column its own name")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in"]   # nothing written


def test_a_semicolon_file_with_an_uneven_row_names_its_separator(records, tmp_path):
    path = tmp_path / "uneven.csv"
    lines = records["semicolon"].read_text().splitlines()
    lines[3] = lines[3] + ";extra"
    path.write_text("\n".join(lines) + "\n")
    _one_line_exit_2(_run("synth", "fit", "--data", path, "--k", 5, "--out", tmp_path / "out"),
                     "separated by semicolons (';')", "data row 3")
    assert not (tmp_path / "out").exists()


def test_a_file_two_separators_split_alike_is_one_line(tmp_path):
    path = tmp_path / "both.csv"
    path.write_text("gender;ageBroad,citizenship\n" + "Woman;18--20,NGA\n" * 30)
    _one_line_exit_2(_run("synth", "codebook", "--data", path, "--out", tmp_path / "cb.yaml"),
                     "cannot tell its separator", "comma (',') and semicolon (';')")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["both.csv"]
