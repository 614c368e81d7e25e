"""Measure a release built from published figures as a reader would: each figure computed on the
released rows, and the release checker's guarantees. Used on the tables in memory and again after
re-reading them from disk.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from tipkit.synth.published.kinds import FigureValue
from tipkit.synth.release.checks import (ReleaseCheck, case_of_leg, check_release,
                                         legs_with_cases)
from tipkit.synth.release.legs import Ids
from tipkit.synth.release.schema import CASE_COLUMNS, CASE_ID, MISSING


@dataclass(frozen=True)
class Measured:
    """Everything checked about a release: the checker's findings and every figure's value."""

    release: ReleaseCheck
    figure_values: tuple[FigureValue, ...]

    def problems(self, k: int) -> list[str]:
        found = list(self.release.layout_problems)
        for fv in self.figure_values:
            if fv.figure.definition.constrains and not fv.holds():
                found.append(f"figure {fv.figure.id} is {fv.value:.4f}, outside "
                             f"[{fv.figure.low}, {fv.figure.high}]")
        return found + self.release.guarantee_problems(k)


def _matches(table: pd.DataFrame, spec: dict[str, tuple[str, ...]]) -> np.ndarray:
    keep = np.ones(len(table), dtype=bool)
    for column, values in spec.items():
        keep &= table[column].isin(values).to_numpy()
    return keep


@dataclass(frozen=True)
class ReleasedRows:
    """A release's tables as rows a figure kind measures (kinds.Rows): a case figure on the
    cases, a leg figure on the legs with their cases' columns."""

    cases: pd.DataFrame
    legs: pd.DataFrame
    joined: pd.DataFrame  # the legs with their cases' columns
    case_of_leg: np.ndarray  # each leg's case row (-1 for a leg of no case)

    def table(self, unit: str) -> pd.DataFrame:
        return self.cases if unit == "case" else self.joined

    def match(self, unit: str, spec) -> np.ndarray:
        if unit != "case":
            return _matches(self.joined, spec)
        # A case matches a filter on its own columns, and on journey columns if any leg matches.
        own = {c: v for c, v in spec.items() if c in self.cases.columns}
        journey = {c: v for c, v in spec.items() if c not in self.cases.columns}
        keep = _matches(self.cases, own)
        if journey:
            hit = np.zeros(len(self.cases) + 1, dtype=bool)  # the extra slot takes legs of no case
            hit[self.case_of_leg[_matches(self.legs, journey)]] = True
            keep &= hit[:-1]
        return keep

    def known(self, unit: str, columns) -> np.ndarray:
        table = self.table(unit)
        keep = np.ones(len(table), dtype=bool)
        for column in columns:
            if column in table.columns:  # journey columns are never blank
                keep &= (table[column] != MISSING).to_numpy()
        return keep

    def weigh(self, unit: str, mask: np.ndarray) -> np.ndarray:
        return mask

    def size(self, unit: str) -> int:
        return len(self.cases) if unit == "case" else len(self.legs)


def measure_release(cases: pd.DataFrame, legs: pd.DataFrame, figures, quasi_identifiers,
                    k: int, reporting_length: int, ids: Ids | None = None) -> Measured:
    """Measure every figure and the release checker's guarantees on the two tables (values as
    text); `ids`: also check that the ids are that fresh numbering."""
    check = check_release(cases, legs, quasi_identifiers, k, reporting_length, ids=ids,
                          case_columns=CASE_COLUMNS)
    if check.case_report is None or not cases[CASE_ID].is_unique:
        return Measured(check, ())  # not a release's layout (the checker says how): no figures
    rows_of = case_of_leg(cases, legs)  # by position, once: linear in the legs
    rows = ReleasedRows(cases, legs, legs_with_cases(cases, legs, rows_of), rows_of)
    return Measured(check, tuple(f.definition.measure(f, rows) for f in figures))
