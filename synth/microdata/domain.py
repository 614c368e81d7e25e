"""The domain a release is fitted over: each column's values from its codebook list (and, without DP,
whatever else the coded data holds), plus "Other" and blank.

A differentially private release takes every domain from public lists, never from the data, or the
list of values seen would itself leak who is in the data.
"""

from __future__ import annotations

import pandas as pd

from tipkit.synth.microdata.codebook import Codebook
from tipkit.synth.release.domain import Domain
from tipkit.synth.release.schema import LEG_COUNT, LEG_COUNTS, LEG_DOMAINS, MISSING, OTHER

__all__ = ["listed_values", "public_domain", "data_domain"]


def listed_values(codebook: Codebook, columns, journey_columns=()) -> dict[str, tuple | None]:
    """Each column's list of values (None for an open column): the codebook's for case columns,
    our legs schema's for the journey summary columns (tipkit.synth.microdata.journeys)."""
    lists = {}
    for name in columns:
        if name in journey_columns:
            lists[name] = LEG_COUNTS if name == LEG_COUNT else LEG_DOMAINS[name]
        else:
            lists[name] = codebook.column(name).listed()
    return lists


def public_domain(columns, lists: dict[str, tuple | None]) -> Domain:
    """The domain of a DP release: the public values plus "Other" and blank for every column."""
    values = []
    for name in columns:
        if lists[name] is None:
            raise ValueError(name)
        values.append(tuple(lists[name]) + (OTHER, MISSING))
    return Domain(tuple(columns), tuple(values))


def data_domain(table: pd.DataFrame, lists: dict[str, tuple | None]) -> Domain:
    """The domain of a non-private release: the listed values where a column has them, plus
    whatever else the (already coded) table holds."""
    values = []
    for name in table.columns:
        listed = lists[name] or ()
        seen = sorted(set(pd.unique(table[name])) - set(listed) - {OTHER, MISSING})
        values.append(tuple(listed) + tuple(seen) + (OTHER, MISSING))
    return Domain(tuple(table.columns), tuple(values))
