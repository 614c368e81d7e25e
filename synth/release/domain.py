"""The one `Domain`: the columns of a table and the values each can take, in a fixed order.

Both pipelines index their arrays by it: the published pipeline's dense joint over its cells and the
fitted pipeline's count tables and coded rows (code i of a column is its i-th value).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Domain:
    """The values of each column, in a fixed order: code i of column c is `values[c][i]`."""

    columns: tuple[str, ...]
    values: tuple[tuple[str, ...], ...]

    def _names(self, columns) -> tuple[str, ...]:
        if columns is None:
            return self.columns
        return (columns,) if isinstance(columns, str) else tuple(columns)

    def shape(self, columns=None) -> tuple[int, ...]:
        """The shape of the table over `columns` (a name, several, or by default all)."""
        return tuple(len(self.values[self.columns.index(c)]) for c in self._names(columns))

    def size(self, columns=None) -> int:
        """The number of cells of the table over `columns`: for one column, its number of values."""
        return int(np.prod(self.shape(columns), dtype=np.int64))

    def index(self, columns) -> list[int]:
        return [self.columns.index(c) for c in columns]

    def encode(self, table: pd.DataFrame) -> np.ndarray:
        """An (n, columns) array of codes; every value must be in the domain."""
        codes = np.empty((len(table), len(self.columns)), dtype=np.int64)
        for j, (name, values) in enumerate(zip(self.columns, self.values)):
            lookup = {v: i for i, v in enumerate(values)}
            codes[:, j] = table[name].map(lookup).to_numpy()
        return codes

    def decode(self, codes: np.ndarray) -> pd.DataFrame:
        return pd.DataFrame({
            name: np.asarray(values, dtype=object)[codes[:, j]]
            for j, (name, values) in enumerate(zip(self.columns, self.values))
        })

    def mask(self, spec: dict[str, tuple[str, ...]]) -> np.ndarray:
        """Boolean over the cells of the full table: those whose values match every column of
        `spec`."""
        full = np.ones(self.shape(), dtype=bool)
        for axis, name in enumerate(self.columns):
            if name in spec:
                keep = np.isin(np.array(self.values[axis], dtype=object), spec[name])
                shape = [1] * len(self.columns)
                shape[axis] = -1
                full = full & keep.reshape(shape)
        return full.ravel()

    def cell_values(self, cells: np.ndarray) -> dict[str, np.ndarray]:
        """For each column, the value (as text) of each of `cells` of the full table."""
        index = np.unravel_index(cells, self.shape())
        return {n: np.array(v, dtype=object)[i] for n, v, i in zip(self.columns, self.values, index)}
