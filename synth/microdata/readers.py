"""Readers for case records: every value as text, coded our way through a codebook.

Any table a codebook describes; without one, the CTDC Global Dataset (63 columns), the Global
Synthetic Dataset (27 fields) or a tipkit release, read with their built-in codebooks (-99,
Unknown, 00, Namibia's NA, "--" handled there). CSV or Parquet.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from tipkit.synth.microdata.codebook import (GLOBAL_DATASET_CODEBOOK, GLOBAL_SYNTHETIC_CODEBOOK, Codebook,
                                             builtin_codebook)
from tipkit.synth.release.folder import read_table
from tipkit.synth.release.schema import CASE_COLUMNS, CASE_ID, MISSING
from tipkit.errors import UserError

# The CTDC Global Dataset (k-anonymised microdata 2017-2020), in its column order.
GLOBAL_DATASET_COLUMNS = (
    "yearOfRegistration", "Datasource", "gender", "ageBroad", "majorityStatus",
    "majorityStatusAtExploit", "majorityEntry", "citizenship", "meansOfControlDebtBondage",
    "meansOfControlTakesEarnings", "meansOfControlRestrictsFinancialAccess",
    "meansOfControlThreats", "meansOfControlPsychologicalAbuse", "meansOfControlPhysicalAbuse",
    "meansOfControlSexualAbuse", "meansOfControlFalsePromises",
    "meansOfControlPsychoactiveSubstances", "meansOfControlRestrictsMovement",
    "meansOfControlRestrictsMedicalCare", "meansOfControlExcessiveWorkingHours",
    "meansOfControlUsesChildren", "meansOfControlThreatOfLawEnforcement",
    "meansOfControlWithholdsNecessities", "meansOfControlWithholdsDocuments",
    "meansOfControlOther", "meansOfControlNotSpecified", "meansOfControlConcatenated",
    "isForcedLabour", "isSexualExploit", "isOtherExploit", "isSexAndLabour", "isForcedMarriage",
    "isForcedMilitary", "isOrganRemoval", "isSlaveryAndPractices", "typeOfExploitConcatenated",
    "typeOfLabourAgriculture", "typeOfLabourAquafarming", "typeOfLabourBegging",
    "typeOfLabourConstruction", "typeOfLabourDomesticWork", "typeOfLabourHospitality",
    "typeOfLabourIllicitActivities", "typeOfLabourManufacturing", "typeOfLabourMiningOrDrilling",
    "typeOfLabourPeddling", "typeOfLabourTransportation", "typeOfLabourOther",
    "typeOfLabourNotSpecified", "typeOfLabourConcatenated", "typeOfSexProstitution",
    "typeOfSexPornography", "typeOfSexRemoteInteractiveServices",
    "typeOfSexPrivateSexualServices", "typeOfSexConcatenated", "isAbduction",
    "RecruiterRelationship", "CountryOfExploitation", "recruiterRelationIntimatePartner",
    "recruiterRelationFriend", "recruiterRelationFamily", "recruiterRelationOther",
    "recruiterRelationUnknown",
)
# Global Synthetic fields that some versions name differently.
SYNTHETIC_ALIASES = {
    "sectorOfLabourAgriculture": "typeOfLabourAgriculture",
    "sectorOfLabourConstruction": "typeOfLabourConstruction",
    "sectorOfLabourDomesticWork": "typeOfLabourDomesticWork",
    "sectorOfLabourHospitality": "typeOfLabourHospitality",
    "sectorOfSexProstitution": "typeOfSexProstitution",
    "sectorOfSexPornography": "typeOfSexPornography",
}
# Global Synthetic fields that merge several Global Dataset flags (1 if any flag is 1).
MERGED_FLAGS = {
    "meansDebtBondageEarnings": ("meansOfControlDebtBondage", "meansOfControlTakesEarnings"),
    "meansThreats": ("meansOfControlThreats",),
    "meansAbusePsyPhySex": ("meansOfControlPsychologicalAbuse", "meansOfControlPhysicalAbuse",
                            "meansOfControlSexualAbuse"),
    "meansFalsePromises": ("meansOfControlFalsePromises",),
    "meansDrugsAlcohol": ("meansOfControlPsychoactiveSubstances",),
    "meansDenyBasicNeeds": ("meansOfControlWithholdsNecessities",),
    "meansExcessiveWorkHours": ("meansOfControlExcessiveWorkingHours",),
    "meansWithholdDocs": ("meansOfControlWithholdsDocuments",),
}
GLOBAL_DATASET = "CTDC Global Dataset"
GLOBAL_SYNTHETIC = "CTDC Global Synthetic Dataset"
TIPKIT = "tipkit release"
_GLOBAL_ONLY = set(GLOBAL_DATASET_COLUMNS) - set(CASE_COLUMNS)
_GLOBAL_CODES = {"-99", "Female", "Male", "Transgender/NonConforming", "Unknown", "00"}


@dataclass
class CaseRecords:
    """Case records read from a file, coded as in our releases (blank = missing)."""

    table: pd.DataFrame
    source_format: str
    path: Path
    # Raw values read as "Other" (outside their column's list, with `outside: other`), by column.
    out_of_domain: dict[str, dict[str, int]] = field(default_factory=dict)
    # The input's identifier column (never released: only to link journey legs to their case).
    case_ids: pd.Series | None = None
    # Journey legs, if the input has them (tipkit.synth.microdata.journeys.read_input): a "case" column with the
    # row of `table` each leg belongs to, and the leg columns coded as in our releases.
    legs: pd.DataFrame | None = None
    legs_path: Path | None = None
    # The codebook the records were read with (a CTDC format's built-in one without --codebook).
    codebook: Codebook | None = None
    # The records in the values a release shows: as `table`, but the columns whose numbers are
    # drawn inside their bins (release: value) hold each record's whole number (None: no such
    # column). The exact-value check compares a release with these.
    values: pd.DataFrame | None = None


def read_text(path: Path, what: str = "case records") -> pd.DataFrame:
    """A user's table read as text, with one-line errors for a missing, empty or unreadable file."""
    if not path.is_file():
        raise UserError(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise UserError(f"{path} is empty")
    try:
        return read_table(path)  # text only: "00" stays "00" and Namibia's "NA" a country
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError,
            ValueError, OSError) as error:
        first = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise UserError(f"{path} is not a CSV or Parquet table of {what} ({first})")


def detect_format(columns, sample: pd.DataFrame) -> str:
    """Which known format a table is in, from its column names and (where they overlap) codes."""
    names = set(columns)
    if names & _GLOBAL_ONLY:
        return GLOBAL_DATASET
    if CASE_ID in names:
        return TIPKIT
    if names & set(SYNTHETIC_ALIASES) or names - set(GLOBAL_DATASET_COLUMNS):
        return GLOBAL_SYNTHETIC
    # The shared column names: the Global Dataset's codes (-99, Female, alpha-2) give it away.
    values = set(pd.unique(sample.head(2000).to_numpy().ravel()))
    two_letter = any(len(str(v)) == 2 and str(v).isalpha() for v in
                     pd.unique(sample.get("citizenship", pd.Series(dtype=str)).head(2000)))
    return GLOBAL_DATASET if values & _GLOBAL_CODES or two_letter else GLOBAL_SYNTHETIC


def _merge_flags(table: pd.DataFrame) -> pd.DataFrame:
    """Global Dataset means-of-control flags as the Global Synthetic's merged fields."""
    merged = {}
    for target, sources in MERGED_FLAGS.items():
        present = [s for s in sources if s in table.columns]
        if not present or target in table.columns:
            continue
        flags = table[present]
        any_one = (flags == "1").any(axis=1)
        all_zero = (flags == "0").all(axis=1)
        merged[target] = pd.Series(MISSING, index=table.index).mask(all_zero, "0").mask(any_one, "1")
    kept = table.drop(columns=[s for t in merged for s in MERGED_FLAGS[t] if s in table.columns])
    return pd.concat([kept, pd.DataFrame(merged, index=table.index)], axis=1)


def ctdc_table(raw: pd.DataFrame, path: Path) -> tuple[pd.DataFrame, str, Codebook]:
    """A table in a CTDC format (or a tipkit release), its format and its built-in codebook."""
    known = set(GLOBAL_DATASET_COLUMNS) | set(CASE_COLUMNS) | set(SYNTHETIC_ALIASES)
    if not set(raw.columns) & known:
        raise UserError(
            f"{path} is in none of the known formats (CTDC Global Dataset, CTDC Global Synthetic, "
            f"tipkit release): none of its columns is a CTDC field (describe your table in a "
            f"codebook: tipkit synth codebook --data {path.name})")
    source_format = detect_format(raw.columns, raw)
    table = raw.rename(columns=SYNTHETIC_ALIASES)
    if source_format == GLOBAL_DATASET:
        return _merge_flags(table), source_format, builtin_codebook(GLOBAL_DATASET_CODEBOOK)
    return table, source_format, builtin_codebook(GLOBAL_SYNTHETIC_CODEBOOK)


def _chosen(table: pd.DataFrame, columns, codebook: Codebook, path: Path) -> pd.DataFrame:
    """The columns to release: `columns` (--columns) or every column but the identifier, each one
    described by the codebook."""
    if columns:
        if codebook.id and codebook.id in columns:
            raise UserError(f"{codebook.id} is an identifier and is never released: "
                            "leave it out of --columns")
        missing = [c for c in columns if c not in table.columns]
        if missing:
            raise UserError(f"{path} has no column {missing[0]!r} (it has: {', '.join(table.columns)})")
        table = table[list(columns)]
    else:
        table = table.drop(columns=[codebook.id] if codebook.id else [], errors="ignore")
        absent = [c for c in codebook.columns if c not in table.columns]
        if absent and not codebook.any_subset:
            raise UserError(f"the codebook's column {absent[0]!r} is not in {path} (remove it from "
                            "the codebook, or pick the columns to release with --columns)")
    unknown = [c for c in table.columns if c not in codebook.columns]
    if unknown and codebook.builtin:
        raise UserError(f"{path}: column {unknown[0]!r} is in none of the known formats (leave it "
                        "out with --columns, or describe your table in a codebook: tipkit synth "
                        f"codebook --data {path.name})")
    if unknown:
        raise UserError(f"{path}: column {unknown[0]!r} is not in the codebook {codebook.name} "
                        "(describe it there, or pick the columns to release with --columns)")
    return table


def _outside_error(path: Path, name: str, raw: pd.Series,
                   outside: dict[str, dict[str, int]]) -> UserError:
    """One line for values a codebook refuses: how many, why, where first (never the value)."""
    reason, values = next(iter(outside.items()))
    count = sum(values.values())
    first = int(np.flatnonzero(raw.isin(list(values)).to_numpy())[0]) + 1
    plural = "s" if count > 1 else ""
    return UserError(f"{path}: column {name!r} has {count} value{plural} {reason} in the codebook "
                     f"(first in data row {first}): fix the data or the codebook, or set "
                     "outside: other for the column to read them as Other")


def read_cases(path, columns=None, years: tuple[int, int] | None = None,
               codebook: Codebook | None = None, strict: bool = True) -> CaseRecords:
    """Read case records, keep `columns` (default: all), code every value through the codebook
    (without one, the CTDC format's built-in codebook, its year range set by `years`).

    A value outside its column's list or range is refused (one line naming the column), or, for
    a column with `outside: other` (the CTDC codebooks) or when not `strict`, read as "Other" and
    counted in `out_of_domain`, never silently dropped."""
    path = Path(path)
    raw = read_text(path)
    if raw.shape[1] == 0 or len(raw) == 0:
        raise UserError(f"{path} has no case records")
    raw.columns = [str(c).strip() for c in raw.columns]
    if codebook is None:
        table, source_format, codebook = ctdc_table(raw, path)
        codebook = codebook.with_years(years)
    else:
        if years:
            raise UserError("--years sets the range of a CTDC yearOfRegistration: with --codebook, "
                            "give the range in the codebook")
        table, source_format = raw.rename(columns=codebook.aliases()), f"codebook {codebook.name}"
    case_ids = (table[codebook.id].astype(str).str.strip()
                if codebook.id and codebook.id in table.columns else None)
    table = _chosen(table, columns, codebook, path)
    out_of_domain = {}
    coded = {}
    for name in table.columns:
        column = codebook.column(name)
        coded[name], outside = column.code(table[name])
        if outside and strict and column.outside == "refuse":
            raise _outside_error(path, name, table[name], outside)
        if outside:
            out_of_domain[name] = {v: n for values in outside.values() for v, n in values.items()}
    coded = pd.DataFrame(coded, index=table.index)
    return CaseRecords(coded, source_format, path, out_of_domain, case_ids, codebook=codebook,
                       values=_released_values(table, coded, codebook))


def _released_values(raw: pd.DataFrame, coded: pd.DataFrame, codebook: Codebook):
    """The records as a release would show them: a `release: value` column's number in whole
    years (as text, like the draw writes it) where it lies in a bin, its coding elsewhere."""
    drawn = [n for n in coded.columns if codebook.column(n).bins
             and codebook.column(n).release == "value"]
    if not drawn:
        return None
    values = coded.copy()
    for name in drawn:
        binned = coded[name].isin(codebook.column(name).bin_labels())
        numbers = pd.to_numeric(raw.loc[binned, name].astype(str).str.strip(), errors="coerce")
        values.loc[binned, name] = numbers.astype("int64").astype(str)
    return values
