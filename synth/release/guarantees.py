"""The privacy guarantees every release must meet, as pure checks over tables of text values.

k-anonymity on quasi-identifiers, and the Synthetic Data Showcase's rule that no combination of up
to L attribute values is rarer than k. Both are counted exactly, with integer codes and bincount.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from itertools import combinations

import numpy as np
import pandas as pd


def _codes(table: pd.DataFrame, columns) -> np.ndarray:
    """An (n, len(columns)) array of small integer codes, one per distinct value of each column."""
    return np.column_stack(
        [pd.factorize(table[c], sort=False)[0] for c in columns]
    ) if len(columns) else np.zeros((len(table), 0), dtype=np.int64)


def _combined(codes: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """One integer per row identifying its combination of codes (mixed-radix)."""
    key = np.zeros(codes.shape[0], dtype=np.int64)
    for j in range(codes.shape[1]):
        key = key * int(sizes[j]) + codes[:, j]
    return key


def class_sizes(table: pd.DataFrame, columns) -> np.ndarray:
    """For every row, the number of rows sharing its values on `columns` (its class size)."""
    if len(table) == 0:
        return np.zeros(0, dtype=np.int64)
    codes = _codes(table, list(columns))
    _, inverse, counts = np.unique(
        _combined(codes, codes.max(axis=0) + 1), return_inverse=True, return_counts=True
    )
    return counts[inverse]


def smallest_class(table: pd.DataFrame, columns) -> int:
    """The size of the smallest equivalence class on `columns` (0 for an empty table)."""
    sizes = class_sizes(table, columns)
    return int(sizes.min()) if len(sizes) else 0


MAX_COMBINATIONS = 25_000  # value combinations a check may enumerate: up to 4 of 27 columns


def reporting_length_problem(columns: int, length: int) -> str | None:
    """Why a --reporting-length cannot be checked over `columns` columns, or None if it can:
    the number of column combinations grows as C(columns, length)."""
    if length < 1:
        return f"--reporting-length must be at least 1 (got {length})"
    count = sum(math.comb(columns, r) for r in range(1, min(length, columns) + 1))
    if count > MAX_COMBINATIONS:
        most = max(r for r in range(1, columns + 1)
                   if sum(math.comb(columns, i) for i in range(1, r + 1)) <= MAX_COMBINATIONS)
        return (f"--reporting-length {length} means checking {count:,} combinations of the "
                f"{columns} columns (at most {MAX_COMBINATIONS:,}): use {most} or less")
    return None


def rare_combinations(table: pd.DataFrame, columns, k: int, length: int) -> dict[int, int]:
    """How many distinct combinations of 1..`length` attribute values (over any `length` or fewer
    of `columns`) occur in more than 0 but fewer than `k` rows, by combination length."""
    columns = list(columns)
    lengths = range(1, min(length, len(columns)) + 1)
    records, copies = _distinct_records(table, columns)
    if len(copies) and copies.min() >= k:
        # A combination's count is the sum of the counts of the whole records that carry it:
        # when every whole record is shared by k rows or more, no combination can be rarer.
        return {r: 0 for r in lengths}
    sizes = records.max(axis=0) + 1 if len(copies) else np.ones(len(columns), dtype=np.int64)
    rare = {}
    for r in lengths:
        found = 0
        for idx in combinations(range(len(columns)), r):
            counts = np.bincount(_combined(records[:, idx], sizes[list(idx)]), weights=copies)
            found += int(np.count_nonzero((counts > 0) & (counts < k)))
        rare[r] = found
    return rare


def _distinct_records(table: pd.DataFrame, columns) -> tuple[np.ndarray, np.ndarray]:
    """The distinct records on `columns` (as codes) and how many rows carry each: counting over
    them gives the same counts as over every row, in time that does not grow with copies."""
    codes = _codes(table, columns)
    if len(table) == 0:
        return codes, np.zeros(0)
    key = np.zeros(len(table), dtype=np.int64)
    for j in range(codes.shape[1]):
        width = int(codes[:, j].max()) + 1
        if int(key.max()) >= np.iinfo(np.int64).max // (2 * width):
            key = pd.factorize(key)[0]  # renumber densely before the mixed-radix key overflows
        key = key * width + codes[:, j]
    _, first, copies = np.unique(key, return_index=True, return_counts=True)
    return codes[first], copies.astype(float)


def unique_records(table: pd.DataFrame, columns) -> pd.DataFrame:
    """The value combinations on `columns` that exactly one row of `table` has."""
    columns = list(columns)
    return table.loc[class_sizes(table, columns) == 1, columns].drop_duplicates()


def reproduced_uniques(released: pd.DataFrame, real: pd.DataFrame, columns) -> int:
    """How many released rows carry, on `columns`, the values of a record unique in `real`."""
    columns = list(columns)
    return len(released[columns].merge(unique_records(real, columns), how="inner"))


@dataclass
class GuaranteeReport:
    """What the checks found for one table: the smallest class and rare combinations."""

    table: str
    rows: int
    quasi_identifiers: tuple[str, ...]
    smallest_class: int
    rare_by_length: dict[int, int] = field(default_factory=dict)

    def problems(self, k: int) -> list[str]:
        found = []
        if self.rows and self.smallest_class < k:
            found.append(
                f"{self.table}: a class of {self.smallest_class} rows on "
                f"({', '.join(self.quasi_identifiers)}) is smaller than k={k}"
            )
        for r, n in self.rare_by_length.items():
            if n:
                found.append(f"{self.table}: {n} combinations of {r} values occur in 1..{k - 1} rows")
        return found


def check_table(
    name: str, table: pd.DataFrame, quasi_identifiers, attributes, k: int, length: int
) -> GuaranteeReport:
    """Measure both guarantees on one table: classes on `quasi_identifiers`, rare combinations
    over `attributes` (every released column except identifiers)."""
    return GuaranteeReport(
        table=name,
        rows=len(table),
        quasi_identifiers=tuple(quasi_identifiers),
        smallest_class=smallest_class(table, quasi_identifiers),
        rare_by_length=rare_combinations(table, attributes, k, length),
    )


def unique_exact_matches(released: pd.DataFrame, real: pd.DataFrame, columns) -> tuple[int, int]:
    """SDNist's unique exact matches: how many records unique in `real` on `columns` reappear
    exactly (on those values) in `released`, each counted once, and how many unique records
    `real` has."""
    columns = list(columns)
    unique = unique_records(real, columns)
    found = unique.merge(released[columns].drop_duplicates(), how="inner")
    return len(found), len(unique)
