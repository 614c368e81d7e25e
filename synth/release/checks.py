"""The one release checker: layout, fresh ids, links between legs and cases, SDV metadata,
k-anonymity, rare combinations and a codebook's impossible combinations counted on the tables as a
reader gets them.

Both pipelines run it on the staged folder, re-read from disk, before it is moved into place;
the app runs it on every release it shows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from tipkit.synth.release.guarantees import GuaranteeReport, check_table
from tipkit.synth.release.legs import Ids
from tipkit.synth.release.schema import (CASE_ID, LEG_COLUMNS, LEG_ID, LEG_QUASI_IDENTIFIERS,
                                        LEG_TABLE_COLUMNS)

# How metadata.json links the legs to their cases.
LEG_LINK = {"parent_table_name": "cases", "parent_primary_key": CASE_ID,
            "child_table_name": "legs", "child_foreign_key": CASE_ID}


@dataclass(frozen=True)
class ReleaseCheck:
    """What the checker found on a release's tables; `legs` is None for a release without legs.
    A report is None when the layout kept it from being counted."""

    cases: int
    legs: int | None
    case_report: GuaranteeReport | None
    leg_report: GuaranteeReport | None
    layout_problems: tuple[str, ...] = ()
    # Rule number -> cases with that combination the codebook calls impossible (None: no
    # codebook, or one that declares none).
    impossible: dict[int, int] | None = None

    def guarantee_problems(self, k: int) -> list[str]:
        found = [p for r in (self.case_report, self.leg_report) if r is not None
                 for p in r.problems(k)]
        return found + [f"cases: {n} rows have a combination the codebook calls impossible "
                        f"(impossible[{rule}])" for rule, n in (self.impossible or {}).items() if n]

    def problems(self, k: int) -> list[str]:
        return [*self.layout_problems, *self.guarantee_problems(k)]

    @property
    def rare_combinations(self) -> int:
        """Combinations of up to the reporting length in 1..k-1 rows, both tables together."""
        return sum(sum(r.rare_by_length.values())
                   for r in (self.case_report, self.leg_report) if r is not None)


def leg_quasi_identifiers(quasi_identifiers) -> tuple[str, ...]:
    """What an attacker may know of a leg: its own border point, transport and document, and
    its case's quasi-identifiers."""
    return (*LEG_QUASI_IDENTIFIERS, *quasi_identifiers)


def case_of_leg(cases: pd.DataFrame, legs: pd.DataFrame) -> np.ndarray:
    """Each leg's case row, by position (-1 for a leg of no case); the case ids must be unique.
    Found once, so no join over a million text keys."""
    return pd.Index(cases[CASE_ID]).get_indexer(legs[CASE_ID])


def legs_with_cases(cases: pd.DataFrame, legs: pd.DataFrame,
                    rows: np.ndarray | None = None) -> pd.DataFrame:
    """Each leg with its case's columns (a leg of no case gets blanks: the checker reports it);
    `rows`: case_of_leg, if already found. The case ids must be unique."""
    rows = case_of_leg(cases, legs) if rows is None else rows
    joined = cases.drop(columns=CASE_ID).reset_index(drop=True).reindex(rows)
    return pd.concat([legs, joined.set_axis(legs.index)], axis=1)


def check_release(cases: pd.DataFrame, legs: pd.DataFrame | None, quasi_identifiers, k: int,
                  reporting_length: int, *, ids: Ids | None = None,
                  case_columns: tuple[str, ...] | None = None, codebook=None) -> ReleaseCheck:
    """Check a release's tables (values as text). Cases: classes on `quasi_identifiers`, rare
    combinations over every column but the id; legs: classes on leg_quasi_identifiers, rare
    combinations over the leg columns. `ids`: the ids must be that fresh numbering;
    `case_columns`: the cases must have exactly these columns after caseId, in order;
    `codebook` (a microdata.codebook.Codebook): the cases are checked in the coding the model
    measured (numbers drawn inside their bins count as their bins) and none may have one of its
    impossible combinations."""
    n_legs = None if legs is None else len(legs)
    layout = []
    if CASE_ID not in cases.columns or (
            case_columns is not None and tuple(cases.columns) != (CASE_ID, *case_columns)):
        layout.append("cases: the columns are not caseId and the release's case columns in order")
    if legs is not None and tuple(legs.columns) != LEG_TABLE_COLUMNS:
        layout.append(f"legs: the columns are not {', '.join(LEG_TABLE_COLUMNS)}")
    if layout:
        return ReleaseCheck(len(cases), n_legs, None, None, tuple(layout))
    if codebook is not None:
        cases = codebook.measured(cases)
    repeated = cases[CASE_ID].duplicated().any()
    if repeated:
        layout.append("cases: a case id appears more than once")
    if ids is not None and list(cases[CASE_ID]) != ids.cases(len(cases)):
        layout.append("cases: case ids are not the fresh sequence "
                      f"{_sequence(ids.cases(len(cases)))}")
    if legs is not None and ids is not None and list(legs[LEG_ID]) != ids.legs(
            len(legs), len(cases)):
        layout.append(f"legs: leg ids are not the fresh sequence "
                      f"{_sequence(ids.legs(len(legs), len(cases)))}")
    linked = legs is not None and legs[CASE_ID].isin(cases[CASE_ID]).all()
    if legs is not None and not linked:
        layout.append("legs: some legs belong to no released case")
    attributes = [c for c in cases.columns if c != CASE_ID]
    case_report = check_table("cases", cases, quasi_identifiers, attributes, k, reporting_length)
    leg_report = None
    if linked and not repeated:
        leg_report = check_table("legs", legs_with_cases(cases, legs),
                                 leg_quasi_identifiers(quasi_identifiers), LEG_COLUMNS, k,
                                 reporting_length)
    impossible = codebook.impossible_rows(cases) if codebook is not None and codebook.impossible \
        else None
    return ReleaseCheck(len(cases), n_legs, case_report, leg_report, tuple(layout), impossible)


def _sequence(ids: list[str]) -> str:
    return f"{ids[0]}..{ids[-1]}" if ids else "(none)"


def metadata_problems(folder: Path, with_legs: bool) -> list[str]:
    """metadata.json as written: SDV accepts it, and a release with legs links them to cases."""
    from sdv.metadata import Metadata  # SDV (and torch) load slowly: only when checking a folder

    path = Path(folder) / "metadata.json"
    try:
        Metadata.load_from_json(str(path)).validate()
        spec = json.loads(path.read_text(encoding="utf-8"))
    except Exception as error:  # SDV raises its own error types: any of them fails the check
        return [f"metadata.json: SDV does not accept it ({type(error).__name__})"]
    if with_legs and ("legs" not in spec.get("tables", {})
                      or LEG_LINK not in spec.get("relationships", [])):
        return ["metadata.json: the legs table or its link to the cases is missing"]
    return []
