"""Public category domains (ISO 3166, the CTDC codebook, a user's year range) and their coding.

A differentially private release takes every domain from here, never from the data, or the list
of values seen would itself leak who is in the data. A `Domain` maps values to small integers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from tipkit.synth.release.schema import (AGE_BANDS, GENDERS, LEG_COUNT, LEG_COUNTS, LEG_DOMAINS, MISSING, OTHER,
                          TRAFFICK_MONTHS)

COUNTRY_COLUMNS = ("citizenship", "CountryOfExploitation")
DEFAULT_YEARS = (2000, 2030)  # the year range of a DP release unless the user gives one
MISSING_CODES = {"", "-99", "unknown", "nan", "none", "null"}
_GENDER = {
    "woman": "Woman", "female": "Woman", "f": "Woman",
    "man": "Man", "male": "Man", "m": "Man",
    "transgender/nonconforming": GENDERS[2], "trans/transgender/nonconforming": GENDERS[2],
}
_FLAG = {"1": "1", "0": "0", "true": "1", "false": "0", "1.0": "1", "0.0": "0", "yes": "1", "no": "0"}
# Global Dataset columns with a codebook list of values.
_CODEBOOK = {
    "Datasource": ("Case Management", "Hotline"),
    "majorityStatus": ("Adult", "Minor"),
    "majorityStatusAtExploit": ("Adult", "Minor"),
    "majorityEntry": ("Adult", "Minor"),
    "traffickMonths": TRAFFICK_MONTHS,
    "gender": GENDERS,
    "ageBroad": AGE_BANDS,
    **{name: values for name, values in LEG_DOMAINS.items()},
    LEG_COUNT: LEG_COUNTS,  # a case's legs summarised for `fit` (tipkit.synth.microdata.journeys)
}
_FLAG_PREFIXES = ("is", "means", "recruiterRelation", "typeOf")


@lru_cache(maxsize=1)
def countries() -> tuple[str, ...]:
    """ISO 3166-1 alpha-3 codes of every country (the public list, from pycountry)."""
    import pycountry

    return tuple(sorted(c.alpha_3 for c in pycountry.countries))


@lru_cache(maxsize=1)
def _alpha2_to_alpha3() -> dict[str, str]:
    import pycountry

    return {c.alpha_2: c.alpha_3 for c in pycountry.countries}


def is_flag(name: str) -> bool:
    return (name.startswith(_FLAG_PREFIXES) and not name.endswith("Concatenated")) or \
        name in ("exploitedBeforeCrossing", "travelledInGroup")


def public_values(name: str, years: tuple[int, int] | None) -> tuple[str, ...] | None:
    """The public list of a column's values (without blank and "Other"), or None if it has none."""
    if name in COUNTRY_COLUMNS:
        return countries()
    if name == "yearOfRegistration":
        return tuple(str(y) for y in range(years[0], years[1] + 1)) if years else None
    if name in _CODEBOOK:
        return tuple(_CODEBOOK[name])
    if is_flag(name):
        return ("1", "0")
    return None


def _code(name: str, value: str, years: tuple[int, int] | None) -> str | None:
    """A raw value in our coding, or None if it lies outside the column's public list."""
    text = value.strip()
    low = text.lower()
    if low in MISSING_CODES or (name in COUNTRY_COLUMNS and text == "00"):
        return MISSING
    if low == OTHER.lower():
        return OTHER
    if name in COUNTRY_COLUMNS:
        upper = text.upper()
        if len(upper) == 2:  # the Global Dataset's alpha-2 (Namibia is "NA", read as text)
            return _alpha2_to_alpha3().get(upper)
        return upper if upper in set(countries()) else None
    if name == "yearOfRegistration":
        try:
            year = int(float(text))
        except ValueError:
            return None
        inside = years[0] <= year <= years[1] if years else 1900 <= year <= 2100
        return str(year) if inside else None
    if name == "gender":
        return _GENDER.get(low)
    if name == "ageBroad":
        band = re.sub(r"(?<=\d)\s*-{1,2}\s*(?=\d)", "--", text)  # "18-20" -> "18--20"
        return band if band in AGE_BANDS else None
    if is_flag(name):
        return _FLAG.get(low)
    allowed = _CODEBOOK.get(name)
    if allowed is not None:
        return text if text in allowed else None
    return text  # a free-text column: no public list, kept as it is


def normalise_column(name: str, raw: pd.Series, years=None) -> tuple[pd.Series, dict[str, int]]:
    """A column in our coding, and the raw values outside its public list with their counts
    (those become "Other": reported, never dropped)."""
    distinct = pd.unique(raw)
    mapping = {v: _code(name, str(v), years) for v in distinct}
    counts = raw.value_counts()
    outside = {str(v): int(counts[v]) for v, c in mapping.items() if c is None}
    coded = raw.map({v: (OTHER if c is None else c) for v, c in mapping.items()})
    return coded.astype(str), outside


@dataclass(frozen=True)
class Domain:
    """The values of each column, in a fixed order: code i of column c is `values[c][i]`."""

    columns: tuple[str, ...]
    values: tuple[tuple[str, ...], ...]

    def size(self, column: str) -> int:
        return len(self.values[self.columns.index(column)])

    def shape(self, columns) -> tuple[int, ...]:
        return tuple(self.size(c) for c in columns)

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


def public_domain(columns, years) -> Domain:
    """The domain of a DP release: public values plus "Other" and blank for every column."""
    values = []
    for name in columns:
        listed = public_values(name, years)
        if listed is None:
            raise ValueError(name)
        values.append(tuple(listed) + (OTHER, MISSING))
    return Domain(tuple(columns), tuple(values))


def data_domain(table: pd.DataFrame, years=None) -> Domain:
    """The domain of a non-private release: the public values where a column has them, plus
    whatever else the (already coded) table holds."""
    values = []
    for name in table.columns:
        listed = public_values(name, years) or ()
        seen = sorted(set(pd.unique(table[name])) - set(listed) - {OTHER, MISSING})
        values.append(tuple(listed) + tuple(seen) + (OTHER, MISSING))
    return Domain(tuple(table.columns), tuple(values))
