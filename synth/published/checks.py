"""Measure a release as a reader would: each published figure computed on its rows, and the
privacy guarantees counted. Used on the tables in memory and again after re-reading from disk.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from tipkit.synth.published.figures import Figure
from tipkit.synth.release.guarantees import GuaranteeReport, check_table
from tipkit.synth.release.schema import (CASE_COLUMNS, CASE_ID, CASE_TABLE_COLUMNS, LEG_COLUMNS,
                          LEG_QUASI_IDENTIFIERS, LEG_TABLE_COLUMNS, MISSING)



@dataclass(frozen=True)
class FigureValue:
    """A figure measured on the released rows: hits among the population, exactly."""

    figure: Figure
    hits: int
    population: int

    @property
    def value(self) -> float:
        if self.figure.kind == "count":
            return float(self.population)
        return self.hits / self.population if self.population else float("nan")

    def holds(self, low: float | None = None, high: float | None = None) -> bool:
        low = self.figure.low if low is None else low
        high = self.figure.high if high is None else high
        if self.figure.kind == "count":
            return low <= self.population <= high
        # exact in integers: low * population <= hits <= high * population
        return self.population > 0 and low * self.population <= self.hits <= high * self.population


@dataclass(frozen=True)
class Measured:
    """Everything checked about a release."""

    cases: int
    legs: int
    figure_values: tuple[FigureValue, ...]
    case_report: GuaranteeReport
    leg_report: GuaranteeReport
    layout_problems: tuple[str, ...] = ()

    def problems(self, k: int) -> list[str]:
        found = list(self.layout_problems)
        for fv in self.figure_values:
            if fv.figure.kind == "share" and not fv.holds():
                found.append(f"figure {fv.figure.id} is {fv.value:.4f}, outside "
                             f"[{fv.figure.low}, {fv.figure.high}]")
        return found + self.case_report.problems(k) + self.leg_report.problems(k)


def _matches(table: pd.DataFrame, spec: dict[str, tuple[str, ...]]) -> np.ndarray:
    keep = np.ones(len(table), dtype=bool)
    for column, values in spec.items():
        keep &= table[column].isin(values).to_numpy()
    return keep


def _case_matches(cases: pd.DataFrame, legs: pd.DataFrame, case_of_leg: np.ndarray,
                  spec) -> np.ndarray:
    """A case matches a filter on its own columns, and on journey columns if any leg matches.
    `case_of_leg` is each leg's case row (-1 for a leg of no case)."""
    own = {c: v for c, v in spec.items() if c in cases.columns}
    journey = {c: v for c, v in spec.items() if c not in cases.columns}
    keep = _matches(cases, own)
    if journey:
        hit = np.zeros(len(cases) + 1, dtype=bool)  # the extra slot takes legs of no case
        hit[case_of_leg[_matches(legs, journey)]] = True
        keep &= hit[:-1]
    return keep


def figure_value(figure: Figure, cases: pd.DataFrame, legs: pd.DataFrame,
                 legs_with_cases: pd.DataFrame, case_of_leg: np.ndarray) -> FigureValue:
    if figure.kind == "count":
        n = len(cases) if figure.unit == "case" else len(legs)
        return FigureValue(figure, n, n)
    table = cases if figure.unit == "case" else legs_with_cases
    if figure.unit == "case":
        population = _case_matches(cases, legs, case_of_leg, figure.population)
        hits = population & _case_matches(cases, legs, case_of_leg, figure.statistic)
    else:
        population = _matches(table, figure.population)
        hits = population & _matches(table, figure.statistic)
    for column in figure.must_be_known:
        if column in table.columns:  # journey columns are never blank
            population &= (table[column] != MISSING).to_numpy()
    return FigureValue(figure, int(hits.sum()), int(population.sum()))


def measure_release(cases: pd.DataFrame, legs: pd.DataFrame, figures, quasi_identifiers,
                    k: int, reporting_length: int) -> Measured:
    """Measure every figure and both guarantees on the two tables (values as text)."""
    layout = []
    if tuple(cases.columns) != CASE_TABLE_COLUMNS:
        layout.append("cases.csv does not have the CTDC synthetic columns in order")
    if tuple(legs.columns) != LEG_TABLE_COLUMNS:
        layout.append("legs.csv does not have the leg columns in order")
    elif not cases[CASE_ID].is_unique:
        layout.append("cases.csv repeats a case id")
    if layout:
        empty = check_table("cases", cases.iloc[:0], [], [], k, 0)
        return Measured(len(cases), len(legs), (), empty, empty, tuple(layout))
    # Each leg's case row, found once (by position: no join over a million text keys).
    case_of_leg = pd.Index(cases[CASE_ID]).get_indexer(legs[CASE_ID])
    if (case_of_leg < 0).any():
        layout.append("legs.csv has legs of cases that are not in cases.csv")
    # a left join: a leg of no case (-1) gets blank case values
    joined = cases.drop(columns=CASE_ID).reset_index(drop=True).reindex(case_of_leg)
    legs_with_cases = pd.concat([legs, joined.set_axis(legs.index)], axis=1)
    values = tuple(figure_value(f, cases, legs, legs_with_cases, case_of_leg) for f in figures)
    case_report = check_table("cases", cases, quasi_identifiers, CASE_COLUMNS, k, reporting_length)
    leg_report = check_table("legs", legs_with_cases, [*LEG_QUASI_IDENTIFIERS, *quasi_identifiers],
                             LEG_COLUMNS, k, reporting_length)
    return Measured(len(cases), len(legs), values, case_report, leg_report, tuple(layout))
