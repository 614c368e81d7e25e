"""A data dictionary read for `tipkit synth codebook --dictionary`: public value lists and ranges,
and the impossible combinations its own words state ("N/A (age less than 15 years)").

Two formats: SDNist's JSON ({column: {description, values: {code: meaning, min, max}}}) and a plain
CSV of column, value, description (a row with value `min` or `max` gives a range in its
description; a row with no value, the column's description).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from tipkit.errors import UserError

# A value that means "not applicable" for an age group: "N/A (age less than 15 years)",
# "N/A (less than 3 years old)", "not applicable (under 16)", "N/A (65 years and over)".
NOT_APPLICABLE = re.compile(r"(?i)^\s*(n/a|not applicable)\b")
BELOW = re.compile(r"(?i)\b(?:less than|under|younger than|below)\s+(?:age\s+)?(\d+)\s*(?:years?)?")
AT_LEAST = re.compile(r"(?i)\b(?:age\s+)?(\d+)\s*(?:years?\s*)?(?:old\s*)?(?:and|or)\s+(?:over|older|above)")
# A meaning that names other reasons besides the age ("less than 16 years old, or never worked"):
# the value is then not the age group's alone.
OTHER_REASONS = re.compile(r"(?i)(,|;|/|\bor\b)")
AGE_NAME = re.compile(r"(?i)(^age|\bage\b)")


@dataclass
class Entry:
    """One column of the dictionary: its description, coded values with their meanings, and a
    numeric range when it gives one."""

    name: str
    description: str = ""
    values: dict[str, str] = field(default_factory=dict)
    low: float | None = None
    high: float | None = None

    @property
    def ranged(self) -> bool:
        return self.low is not None and self.high is not None


@dataclass(frozen=True)
class AgeRule:
    """A value that the dictionary ties to an age group: in those ages (`low` to `high`, both
    included, of the age column) `column` holds `value` only; `exclusive` when the value means
    that age group alone (not when its meaning names other reasons: "or never worked")."""

    column: str
    value: str
    meaning: str
    low: int
    high: int
    exclusive: bool = True


def read_dictionary(path) -> dict[str, Entry]:
    """The dictionary in `path` (.json: SDNist's format; otherwise a CSV of column, value,
    description), one Entry per column; one clear line if it is neither."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"--dictionary {path}: no such file")
    if path.suffix.lower() == ".json":
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as error:
            raise UserError(f"--dictionary {path} is not JSON ({str(error).splitlines()[0]})")
        return _from_json(raw, path)
    return _from_csv(path)


def _number(value, where: str) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise UserError(f"{where}: {value!r} is not a number") from None


def _from_json(raw, path: Path) -> dict[str, Entry]:
    if not isinstance(raw, dict) or not all(isinstance(v, dict) for v in raw.values()):
        raise UserError(f"--dictionary {path}: expected SDNist's format, an object of columns "
                        "each with a description and values")
    entries = {}
    for name, spec in raw.items():
        entry = Entry(str(name), str(spec.get("description", "")))
        values = spec.get("values") or {}
        if not isinstance(values, dict):
            raise UserError(f"--dictionary {path}: {name}.values must be an object")
        for code, meaning in values.items():
            if code in ("min", "max"):
                setattr(entry, "low" if code == "min" else "high",
                        _number(meaning, f"--dictionary {path}: {name}.values.{code}"))
            else:
                entry.values[str(code)] = str(meaning)
        entries[entry.name] = entry
    return entries


def _from_csv(path: Path) -> dict[str, Entry]:
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        raise UserError(f"--dictionary {path} is not a CSV ({str(error).splitlines()[0]})")
    table.columns = [str(c).strip().lower() for c in table.columns]
    needed = ("column", "value", "description")
    if any(c not in table.columns for c in needed):
        raise UserError(f"--dictionary {path}: a CSV dictionary has the columns column, value, "
                        f"description (it has: {', '.join(table.columns)})")
    entries: dict[str, Entry] = {}
    for row in table[list(needed)].itertuples(index=False):
        name, value, meaning = (str(x).strip() for x in row)
        if not name:
            continue
        entry = entries.setdefault(name, Entry(name))
        if value == "":
            entry.description = meaning
        elif value.lower() in ("min", "max"):
            setattr(entry, "low" if value.lower() == "min" else "high",
                    _number(meaning, f"--dictionary {path}: {name} {value}"))
        else:
            entry.values[value] = meaning
    return entries


def age_column(entries: dict[str, Entry], columns) -> str | None:
    """The column the dictionary describes as an age, with a range, among `columns`."""
    found = [n for n in columns if n in entries and entries[n].ranged
             and (AGE_NAME.search(n) or AGE_NAME.search(entries[n].description))]
    return found[0] if found else None


def age_rules(entries: dict[str, Entry], columns) -> tuple[str | None, list[AgeRule]]:
    """The age column and every value of another of `columns` whose meaning is "not applicable"
    to an age group the dictionary states (less than N years; N years and over)."""
    age = age_column(entries, columns)
    if age is None:
        return None, []
    low, high = int(entries[age].low), int(entries[age].high)
    rules = []
    for name in columns:
        if name == age or name not in entries:
            continue
        for value, meaning in entries[name].values.items():
            if not NOT_APPLICABLE.search(meaning):
                continue
            below, above = BELOW.search(meaning), AT_LEAST.search(meaning)
            exclusive = not OTHER_REASONS.search(meaning[NOT_APPLICABLE.search(meaning).end():])
            if below and low < int(below.group(1)) <= high:
                rules.append(AgeRule(name, value, meaning, low, int(below.group(1)) - 1,
                                     exclusive))
            elif above and low < int(above.group(1)) <= high:
                rules.append(AgeRule(name, value, meaning, int(above.group(1)), high, exclusive))
    return age, rules


def impossible_combinations(age: str, rule: AgeRule, entry: Entry, low: int, high: int):
    """The impossible combinations an age rule means, as codebook entries (column -> list): every
    other listed value inside its ages, and (when the value is the age group's alone) the value
    outside them."""
    others = [v for v in entry.values if v != rule.value]
    found = []
    outside = [] if not rule.exclusive else \
        ([(rule.high + 1, high)] if rule.high < high else []) + \
        ([(low, rule.low - 1)] if rule.low > low else [])
    for a, b in outside:
        found.append({age: [a, b], rule.column: [rule.value]})
    if others:
        found.append({age: [rule.low, rule.high], rule.column: others})
    return found
