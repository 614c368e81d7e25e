"""A release folder on disk: cases, legs, SDV metadata and the data card, written atomically.

A release is written into a staging folder beside its place and swapped in only when complete
and checked (tipkit.outputs), so a failure never leaves a half-written release behind and never
loses the one it would replace. Reading treats every value as text.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pandas as pd

from tipkit.synth.release.delimiters import header, refuse_repeated, separator
from tipkit.synth.release.schema import CASE_ID, LEG_ID, MISSING
from tipkit.errors import UserError
from tipkit.outputs import staged_folder

FORMATS = ("csv", "parquet")
TABLES = ("cases", "legs")


def sdv_metadata(cases: pd.DataFrame, legs: pd.DataFrame | None) -> dict:
    """SDV multi-table metadata for a release: ids, categorical columns and the case-leg link,
    validated by SDV itself so that `Metadata.load_from_json` accepts the written file."""
    from sdv.metadata import Metadata  # SDV (and torch) load slowly: only when writing

    def table(frame: pd.DataFrame, primary_key: str, ids: tuple[str, ...]) -> dict:
        columns = {c: {"sdtype": "id" if c in ids else "categorical"} for c in frame.columns}
        return {"primary_key": primary_key, "columns": columns}

    spec = {"METADATA_SPEC_VERSION": "V1", "tables": {"cases": table(cases, CASE_ID, (CASE_ID,))}}
    spec["relationships"] = []
    if legs is not None:
        spec["tables"]["legs"] = table(legs, LEG_ID, (LEG_ID, CASE_ID))
        spec["relationships"].append({
            "parent_table_name": "cases", "parent_primary_key": CASE_ID,
            "child_table_name": "legs", "child_foreign_key": CASE_ID,
        })
    Metadata.load_from_dict(spec).validate()
    return spec  # our own dict, not SDV's to_dict(): its key order varies from run to run


def _write_table(frame: pd.DataFrame, path: Path, fmt: str) -> None:
    if fmt == "csv":
        frame.to_csv(path, index=False, lineterminator="\n")
    else:
        frame.astype(str).to_parquet(path, index=False, engine="pyarrow", compression="zstd")


def write_release(
    out: Path,
    cases: pd.DataFrame,
    legs: pd.DataFrame | None,
    datacard: str,
    fmt: str = "csv",
    force: bool = False,
    extra_files: dict[str, str] | None = None,
    verify=None,
    inputs=(),
) -> Path:
    """Write a release folder atomically (tipkit.outputs.staged_folder). `verify(folder)` runs on
    the staged folder, re-reading it from disk, before it is moved into place; it raises to
    abandon the release. `inputs`: the files it was made from, which --out must not hold."""
    if fmt not in FORMATS:
        raise UserError(f"unknown format {fmt!r}: choose one of {', '.join(FORMATS)}")
    metadata = sdv_metadata(cases, legs)
    with staged_folder(out, force=force, inputs=inputs) as staging:
        _write_table(cases, staging / f"cases.{fmt}", fmt)
        if legs is not None:
            _write_table(legs, staging / f"legs.{fmt}", fmt)
        (staging / "metadata.json").write_text(json.dumps(metadata, indent=2) + "\n")
        (staging / "datacard.md").write_text(datacard, encoding="utf-8")
        for name, text in (extra_files or {}).items():
            (staging / name).write_text(text, encoding="utf-8")
        if verify is not None:
            verify(staging)
    return Path(out)


def read_table(path: Path) -> pd.DataFrame:
    """Read one table with every value as text: no NA guessing (Namibia is "NA"), no "00" -> 0.
    A CSV may be separated by commas, semicolons, tabs or vertical bars (delimiters.separator);
    a column name given twice is refused, where pandas would rename the second `a.1`."""
    path = Path(path)
    if path.suffix.lower() == ".parquet":
        import pyarrow.parquet as pq

        refuse_repeated(path, pq.read_schema(path).names)  # pandas cannot read them apart
        raw = pd.read_parquet(path)
        return raw.astype(object).where(raw.notna(), MISSING).astype(str)  # a null is a blank
    try:
        sep = separator(path)
        refuse_repeated(path, header(path, sep))
        return pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False, sep=sep,
                           encoding="utf-8-sig")  # spreadsheet exports start with a BOM
    except pd.errors.EmptyDataError:
        raise UserError(f"{path} is empty: not a table") from None
    except (pd.errors.ParserError, UnicodeDecodeError, csv.Error):
        raise UserError(f"{path} is not a readable CSV table (UTF-8, one header row)") from None


def read_release(folder: Path) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """The cases and (if present) legs tables of a release folder, in CSV or Parquet."""
    folder = Path(folder)
    found = {}
    for name in TABLES:
        for fmt in FORMATS:
            if (folder / f"{name}.{fmt}").exists():
                found[name] = read_table(folder / f"{name}.{fmt}")
                break
    if "cases" not in found:
        raise UserError(f"{folder} is not a release: no cases.csv or cases.parquet in it")
    return found["cases"], found.get("legs")
