"""Journey legs in `tipkit synth fit`: read and check an input's legs, summarise each case's journey
into case-level columns the model fits with the case columns (release.legs expands them back).

A case's legs become `legCount` (how many) and the journey values of its first leg (lowest
legIndex): in tipkit releases those values are the same on every leg of a case. The unit of
privacy stays the case: one case, with all its legs, is one row of every table the model measures.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from tipkit.synth.microdata import marginals as model
from tipkit.synth.microdata.readers import CaseRecords, read_text, read_cases
from tipkit.synth.release.domain import Domain
from tipkit.synth.release.schema import (CASE_ID, FLAG, JOURNEY_COLUMNS, LEG_COLUMNS, LEG_COUNT, LEG_COUNTS,
                          LEG_DOMAINS, LEG_ID, LEG_QUASI_IDENTIFIERS, LEG_TABLE_COLUMNS, MISSING,
                          OTHER)
from tipkit.errors import UserError

# The case-level columns a journey is summarised into, in the order the model sees them.
SUMMARY_COLUMNS = (LEG_COUNT, *JOURNEY_COLUMNS)
# The journey values of a case without legs. Internal only: such a case writes no leg row.
NO_LEGS = "(no legs)"
_INTEGER_COLUMNS = ("legIndex",) + tuple(c for c in JOURNEY_COLUMNS if LEG_DOMAINS[c] == FLAG)


def find_input(path) -> tuple[Path, Path | None]:
    """The cases file and the legs file (None if there is none) of `--data`: a release folder
    (cases.csv or .parquet, legs beside it) or a cases file with legs.csv or .parquet beside it."""
    path = Path(path)
    if path.is_dir():
        found = [path / f"cases.{fmt}" for fmt in ("csv", "parquet")
                 if (path / f"cases.{fmt}").is_file()]
        if not found:
            raise UserError(f"{path} is a folder with no cases.csv or cases.parquet in it")
        cases = found[0]
    else:
        cases = path
    # The legs in the cases file's own format first, so a folder holding both is read consistently.
    names = dict.fromkeys((f"legs{cases.suffix.lower()}", "legs.csv", "legs.parquet"))
    for name in names:
        candidate = cases.parent / name
        if candidate.is_file() and candidate.resolve() != cases.resolve():
            return cases, candidate
    return cases, None


def _normalise(name: str, raw: pd.Series) -> pd.Series:
    """Leg values as text; integers that Parquet stored as floats ("2.0") read as "2"."""
    values = raw.astype(str).str.strip()
    if name in _INTEGER_COLUMNS:
        numeric = pd.to_numeric(values, errors="coerce")
        whole = numeric.notna() & np.isfinite(numeric) & (numeric == numeric.round())
        values = values.mask(whole, numeric[whole].astype("int64").astype(str))
    return values


def read_legs(path: Path, case_ids: pd.Series, cases_path: Path) -> pd.DataFrame:
    """The legs of `path`, checked against our legs schema and linked to their cases: a "case"
    column (the row of the case in the cases table) and the leg columns. Every problem is one
    UserError line: an unknown or missing column, a value outside its public list, a leg of a
    case that is not in the cases, two legs of a case with the same legIndex."""
    raw = read_text(path, "journey legs")
    raw.columns = [str(c).strip() for c in raw.columns]
    unknown = [c for c in raw.columns if c not in LEG_TABLE_COLUMNS]
    if unknown:
        raise UserError(f"{path}: column {unknown[0]!r} is not in the legs schema "
                        f"({', '.join(LEG_TABLE_COLUMNS)})")
    missing = [c for c in (CASE_ID, *LEG_COLUMNS) if c not in raw.columns]
    if missing:
        raise UserError(f"{path} has no column {missing[0]!r} (the legs schema is "
                        f"{', '.join(LEG_TABLE_COLUMNS)}; {LEG_ID} may be left out)")
    if len(raw) == 0:
        raise UserError(f"{path} has no legs")
    repeated = case_ids[case_ids.duplicated()]
    if len(repeated):
        raise UserError(f"{cases_path}: the caseId of data row {repeated.index[0] + 1} appears "
                        f"more than once, so the legs in {path.name} cannot be linked to their "
                        "cases")
    position = pd.Series(np.arange(len(case_ids)), index=case_ids.to_numpy())
    ids = raw[CASE_ID].astype(str).str.strip()
    case = ids.map(position)
    orphans = ids[case.isna()]
    if len(orphans):
        raise UserError(f"{path}: {len(orphans)} legs belong to no case in {cases_path.name} "
                        f"(the first in data row {orphans.index[0] + 1})")
    legs = pd.DataFrame({"case": case.astype("int64").to_numpy()})
    for name in LEG_COLUMNS:
        values = _normalise(name, raw[name])
        # A journey value may be unknown (blank); a leg always has its number.
        allowed = set(LEG_DOMAINS[name]) | ({MISSING} if name in JOURNEY_COLUMNS else set())
        bad = values[~values.isin(allowed)]
        if len(bad):
            listed = ", ".join(LEG_DOMAINS[name]) + (" or blank" if name in JOURNEY_COLUMNS else "")
            raise UserError(f"{path}: the {name} of data row {bad.index[0] + 1} is not one of "
                            f"{listed}")
        legs[name] = values.to_numpy()
    twice = legs.duplicated(["case", "legIndex"])
    if twice.any():
        first = legs.loc[twice].iloc[0]
        raise UserError(f"{path}: the case of data row {twice.idxmax() + 1} has two legs with "
                        f"legIndex {first['legIndex']}")
    return legs


def read_input(path, columns=None, years=None, legs: bool = True, codebook=None) -> CaseRecords:
    """Case records as `tipkit.synth.microdata.readers.read_cases` reads them (through `codebook`,
    by default a CTDC format's), with their journey legs (when `legs` and the input has them)
    read, checked and linked in `records.legs`."""
    cases_path, legs_path = find_input(path)
    records = read_cases(cases_path, columns, years, codebook=codebook)
    if legs and legs_path is not None:
        if records.case_ids is None:
            raise UserError(f"{legs_path} lies beside {cases_path} but the cases have no "
                            f"{CASE_ID} column to link legs to (move it away or use --no-legs)")
        records.legs = read_legs(legs_path, records.case_ids, cases_path)
        records.legs_path = legs_path
    return records


def summarise(legs: pd.DataFrame, cases: int) -> tuple[pd.DataFrame, int]:
    """Each case's journey as case-level columns: legCount, and the journey values of its first
    leg (NO_LEGS for a case without legs). Also returns how many cases have legs whose journey
    values differ (those are summarised by their first leg)."""
    ordered = legs.assign(_index=legs["legIndex"].astype(int)).sort_values(
        ["case", "_index"], kind="stable")
    first = ordered.drop_duplicates("case", keep="first")
    summary = pd.DataFrame({LEG_COUNT: np.bincount(legs["case"], minlength=cases).astype(str)})
    for name in JOURNEY_COLUMNS:
        column = np.full(cases, NO_LEGS, dtype=object)
        column[first["case"].to_numpy()] = first[name].to_numpy()
        summary[name] = column
    varying = int(ordered.groupby("case")[list(JOURNEY_COLUMNS)].nunique().gt(1).any(axis=1).sum())
    return summary, varying


def with_no_legs(domain: Domain) -> Domain:
    """A public domain with NO_LEGS added to the journey columns (a value of no leg, so no
    list of values seen in the data)."""
    values = tuple(v + (NO_LEGS,) if name in JOURNEY_COLUMNS else v
                   for name, v in zip(domain.columns, domain.values))
    return Domain(domain.columns, values)


def recode_leg_counts(domain: Domain, cdomain: Domain, maps: list) -> list:
    """Numbers of legs too rare to keep (merged into Other by model.compress) recoded to the
    nearest kept number of legs instead (ties to the smaller): a case with an unusually long
    journey is released with a shorter one rather than with a number that means nothing.
    A case without legs is never given legs: a rare 0 stays Other (and is not released)."""
    j = domain.columns.index(LEG_COUNT)
    kept = {int(v): i for i, v in enumerate(cdomain.values[j]) if v in LEG_COUNTS and v != "0"}
    mapping = maps[j].copy()
    for old, value in enumerate(domain.values[j]):
        if kept and value in LEG_COUNTS and value != "0" and value not in cdomain.values[j]:
            mapping[old] = kept[min(kept, key=lambda n: (abs(n - int(value)), n))]
    return [mapping if i == j else m for i, m in enumerate(maps)]


def consistent(support: np.ndarray, domain: Domain) -> np.ndarray:
    """Candidate rows that describe a journey: a number of legs, NO_LEGS in every journey
    column exactly when it is 0. Others (a sampled mixture, an Other count) are never released,
    so that every row in a (case, journey) class of the k-anonymisation writes at least one leg."""
    def decoded(name):
        j = domain.columns.index(name)
        return np.asarray(domain.values[j], dtype=object)[support[:, j]]

    count = decoded(LEG_COUNT)
    legless = count == "0"
    keep = np.isin(count, LEG_COUNTS)
    for name in JOURNEY_COLUMNS:
        keep &= (decoded(name) == NO_LEGS) == legless
    return keep


def k_tables(quasi_identifiers, case_columns, length: int) -> list[tuple[str, ...]]:
    """The tables whose every occupied cell must hold k cases, so that the written files meet
    their guarantees: the cases' quasi-identifiers; those with the legs' own quasi-identifiers
    (each case there writes at least one leg); every short combination of case columns; and every
    short combination of legCount and the journey columns (the legs with legIndex i are the
    cases with legCount >= i, so each such leg combination sums cells of at least k cases)."""
    return ([tuple(quasi_identifiers), (*quasi_identifiers, *LEG_QUASI_IDENTIFIERS)]
            + model.workload(list(case_columns), length)
            + model.workload(list(SUMMARY_COLUMNS), length))


def leg_rows(legs: pd.DataFrame, cases: pd.DataFrame, quasi_identifiers) -> pd.DataFrame:
    """Input legs with their case's quasi-identifiers: what an attacker may know of a leg."""
    rows = legs[list(LEG_QUASI_IDENTIFIERS)].reset_index(drop=True)
    own = cases[list(quasi_identifiers)].iloc[legs["case"].to_numpy()].reset_index(drop=True)
    return pd.concat([rows, own], axis=1)


def generalised(summary: pd.DataFrame, coded: pd.DataFrame) -> dict[str, int]:
    """Per summary column, how many cases the release's coding changed: journey values merged
    into Other, numbers of legs recoded (non-private releases only: these are counts of the
    input)."""
    found = {}
    for name in SUMMARY_COLUMNS:
        before, after = summary[name].to_numpy(), coded[name].to_numpy()
        moved = (before != after) & (before != NO_LEGS) & (before != OTHER)
        if moved.any():
            found[name] = int(moved.sum())
    return found
