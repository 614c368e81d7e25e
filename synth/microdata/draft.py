"""`tipkit synth codebook`: a draft codebook for a user's table, to review before `fit --codebook`.

Columns a CTDC format describes keep its public lists; every other list, range and bin is taken
from the data and marked `public: false`, so that `fit --epsilon` refuses it until reviewed.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from tipkit.synth.microdata.codebook import Column, Codebook
from tipkit.synth.microdata.readers import ctdc_table, read_text
from tipkit.synth.release.schema import CASE_ID
from tipkit.errors import UserError

# Spellings of "unknown" or "not applicable" proposed as missing codes ("NA" is not: it is
# Namibia in CTDC's country columns).
MISSING_LIKE = ("", "-8", "-9", "-99", "-999", "n", "n/a", "null", "none", "nan", "unknown", ".", "?")
MAX_CODES = 25  # whole numbers with at most this many values are drafted as codes, not a range
MAX_LISTED = 200  # beyond, a column is drafted as free text (open: no list)
TARGET_BINS = 10
# Column names that usually hold what an attacker knows about a person: a guess to review.
QUASI_IDENTIFIER_WORDS = ("age", "sex", "gender", "birth", "nationality", "citizen", "country",
                          "race", "ethnic", "region", "district", "postcode", "zip", "year", "date")


@dataclass
class Draft:
    """The draft codebook's YAML text and, per column, where its list comes from."""

    text: str
    summary: list[str]


_YAML_WORDS = {"true", "false", "yes", "no", "on", "off", "y", "n", "null", "~"}


def _scalar(value: str) -> str:
    """A value as YAML: plain where every YAML reader takes it as the same text (or the same
    whole number), else double-quoted. tipkit reads every value as text either way."""
    plain = (re.fullmatch(r"[A-Za-z_/][A-Za-z0-9_./+-]*|[0-9][A-Za-z0-9_/+-]*[A-Za-z_/+-][A-Za-z0-9_./+-]*",
                          value) and value.lower() not in _YAML_WORDS) or \
        re.fullmatch(r"-?(0|[1-9][0-9]*)", value)
    return value if plain else json.dumps(value, ensure_ascii=False)


def _flow(values, numbers: bool = False) -> str:
    """A YAML flow list, wrapped under 100 characters a line."""
    lines, line = [], "["
    for i, value in enumerate(values):
        item = (value if numbers else _scalar(str(value))) + (", " if i < len(values) - 1 else "")
        if len(line) + len(item) > 88 and line != "[":
            lines.append(line.rstrip())
            line = "      "
        line += item
    return "\n".join(lines + [line + "]"])


def _number(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def _ordered(values) -> list[str]:
    """Codes in numeric order when they are numbers, else alphabetical."""
    try:
        return sorted(values, key=lambda v: (float(v), v))
    except ValueError:
        return sorted(values)


def _nice_bins(low: float, high: float, whole: bool) -> list[float]:
    """About TARGET_BINS edges at round steps from `low` to `high` (both included)."""
    raw = (high - low) / TARGET_BINS
    magnitude = 10 ** np.floor(np.log10(raw)) if raw > 0 else 1
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    if whole:
        step = max(1, round(step))
    inner = np.arange(np.floor(low / step) * step + step, high, step)
    edges = [low, *[float(e) for e in inner if e - low >= (1 if whole else 0) and
                    high - e >= (1 if whole else 0)], high]
    return edges


def _builtin_lines(column: Column, top_missing: tuple[str, ...], source: str) -> list[str]:
    """A column of a CTDC codebook, written out: its lists are public."""
    lines = [f"  {column.name}:   # public: from the built-in {source} codebook"]
    if column.description:
        lines.append(f"    description: {json.dumps(column.description)}")
    if column.named_list:
        lines.append(f"    values: {column.named_list}")
    elif column.values is not None:
        lines.append(f"    values: {_flow(column.values)}")
    elif column.range is not None:
        lines.append(f"    range: [{_number(column.range[0])}, {_number(column.range[1])}]"
                     + ("" if column.bins else "   # narrow it to your years (public)"))
    own = [m for m in column.missing if m not in top_missing]
    if own:
        lines.append(f"    missing: {_flow(own)}")
    if column.ignore_case:
        lines.append("    ignore_case: true")
    if column.recode:
        pairs = [f"{_scalar(k)}: {_scalar(v)}" for k, v in column.recode.items()]
        if len(", ".join(pairs)) < 80:
            lines.append(f"    recode: {{{', '.join(pairs)}}}")
        else:
            lines += ["    recode:"] + [f"      {pair}" for pair in pairs]
    if column.kind == "open":
        lines.append("    # free text: no public list (cannot be released with --epsilon)")
    return lines


def _inferred(name: str, raw: pd.Series) -> tuple[list[str], str]:
    """A column described from its own values: the YAML lines and the summary line."""
    text = raw.astype(str).str.strip()
    missing = sorted({v for v in pd.unique(text) if v.lower() in MISSING_LIKE})
    present = [v for v in pd.unique(text) if v not in missing]
    codes = [m for m in missing if m]  # a blank is always missing
    lines = [f"  {name}:"]
    missing_line = [f"    missing: {_flow(codes)}   # found in the data: check they mean unknown"
                    ] if codes else []
    numbers = pd.to_numeric(pd.Series(present, dtype=object), errors="coerce")
    numeric = len(present) > 0 and numbers.notna().all() and np.isfinite(numbers).all()
    whole = numeric and (numbers == numbers.round()).all()
    if numeric and not (whole and len(present) <= MAX_CODES):
        low, high = float(numbers.min()), float(numbers.max())
        if whole and high - low < 1:
            high = low + 1
        edges = _nice_bins(np.floor(low), np.ceil(high), bool(whole)) if high > low else [low, low + 1]
        lines += [
            "    # range and bins from the data (its smallest and largest values): not public.",
            "    # Replace them with public ones from your data dictionary, then set public: true.",
            f"    range: [{_number(edges[0])}, {_number(edges[-1])}]",
            f"    bins: {_flow([_number(e) for e in edges], numbers=True)}",
            "    release: bin   # or value: a whole number drawn inside the bin",
            "    public: false",
        ] + missing_line
        return lines, (f"{name}: numbers {_number(edges[0])} to {_number(edges[-1])} in "
                       f"{len(edges) - 1} bins, range and bins from the data (public: false)")
    if len(present) > MAX_LISTED:
        lines += [f"    # free text ({len(present)} distinct values): no list. It cannot be released "
                  "with --epsilon;", "    # consider leaving it out with --columns."] + missing_line
        return lines, f"{name}: free text, {len(present)} distinct values: no list (not public)"
    lines += [
        "    # values from the data: not public. Check the list against your data dictionary",
        "    # (add values that could occur), then set public: true.",
        f"    values: {_flow(_ordered(present))}",
        "    public: false",
    ] + missing_line
    return lines, f"{name}: {len(present)} values from the data (public: false: review them)"


def _dictionary_lines(name: str, entry, raw: pd.Series, edges=()) -> tuple[list[str], str]:
    """A column the data dictionary describes: its lists and range from the dictionary (public,
    to review), with the data's values that the dictionary does not list proposed as missing
    codes when they read like one, and otherwise added to the list (then not public). `edges`:
    where an age column's bins must cut for the drafted rules."""
    text = raw.astype(str).str.strip()
    listed = list(entry.values)
    whole = entry.ranged and float(entry.low).is_integer() and float(entry.high).is_integer()
    ranged = entry.ranged
    if ranged and whole and listed and len(listed) + entry.high - entry.low + 1 <= MAX_LISTED:
        # a few codes and a short range: one list (NOC: N, 0, then 1 to 19)
        listed += [str(v) for v in range(int(entry.low), int(entry.high) + 1)
                   if str(v) not in entry.values]
        ranged = False
    lines = [f"  {name}:   # from the data dictionary: review"]
    if entry.description:
        lines.append(f"    description: {json.dumps(entry.description)}")
    numbers = pd.to_numeric(text, errors="coerce")
    if ranged:
        inside = numbers.between(entry.low, entry.high)
        extra = sorted(set(text[~inside & ~text.isin(listed)]))
    else:
        extra = sorted(set(text) - set(listed))
    missing = [v for v in extra if v.lower() in MISSING_LIKE]
    stray = [v for v in extra if v not in missing]
    if ranged:
        bins = sorted({*_nice_bins(entry.low, entry.high, bool(whole)), *edges})
        lines += [f"    range: [{_number(entry.low)}, {_number(entry.high)}]",
                  f"    bins: {_flow([_number(e) for e in bins], numbers=True)}"
                  + ("   # ours, from the range, cut where the dictionary's N/A codes change"
                     if edges else "   # ours, from the dictionary's range: review"),
                  "    release: bin   # or value: a whole number drawn inside the bin"]
        codes = [v for v in listed if v not in missing]
        missing += codes  # a number column holds its codes as missing codes
        summary = f"{name}: range {_number(entry.low)} to {_number(entry.high)} from the dictionary"
    else:
        lines.append(f"    values: {_flow(_ordered(listed + stray) if stray else listed)}")
        summary = f"{name}: {len(listed)} values from the dictionary"
    if entry.values:
        meanings = {v: m for v, m in entry.values.items() if v in listed}
        if meanings and not ranged and len(json.dumps(meanings)) < 2000:
            lines.append(f"    labels: {json.dumps(meanings, ensure_ascii=False)}")
    if stray:
        lines += [f"    # {len(stray)} values in the data that the dictionary does not list "
                  f"(added above: {', '.join(stray[:5])}{'...' if len(stray) > 5 else ''}):",
                  "    # not public until you confirm them.", "    public: false"]
        summary += f", {len(stray)} more from the data (public: false: review them)"
    if missing:
        lines.append(f"    missing: {_flow(missing)}"
                     + ("   # found in the data: check they mean unknown" if not ranged else ""))
    return lines, summary


def _rule_lines(dictionary, columns) -> tuple[list[str], list[str]]:
    """The impossible combinations the dictionary's own words state (a value "N/A" for an age
    group), as YAML lines marked for review, and the summary lines."""
    from tipkit.synth.microdata.dictionary import age_rules, impossible_combinations

    age, rules = age_rules(dictionary, columns)
    if not rules:
        return [], []
    entry = dictionary[age]
    lines, summary = [], []
    for rule in rules:
        for combination in impossible_combinations(age, rule, dictionary[rule.column],
                                                   int(entry.low), int(entry.high)):
            body = ", ".join(f"{n}: [{', '.join(_scalar(str(x)) for x in v)}]"
                             for n, v in combination.items())
            lines.append(f"  - {{{body}}}")
        lines.append(f"  # drafted from the dictionary: {rule.column} {rule.value} means "
                     f"{json.dumps(rule.meaning)} (ages {rule.low}-{rule.high}): review")
        summary.append(f"impossible: {rule.column} {rule.value} only at {age} {rule.low}-{rule.high} "
                       if rule.exclusive else
                       f"impossible: {rule.column} other than {rule.value} at {age} "
                       f"{rule.low}-{rule.high} ")
        summary[-1] += "(drafted from the dictionary: review)"
    return lines, summary


def _age_edges(dictionary, columns) -> tuple[str | None, list[float]]:
    """The age column and where its bins must cut for the rules the dictionary states."""
    from tipkit.synth.microdata.dictionary import age_rules

    age, rules = age_rules(dictionary, columns)
    return age, sorted({float(e) for r in rules for e in (r.low, r.high + 1)
                        if dictionary[age].low < e <= dictionary[age].high})


def _identifier(table: pd.DataFrame) -> str | None:
    """A column that names each record (caseId, id, ...): never released."""
    for name in table.columns:
        named = name == CASE_ID or re.search(r"(?i)(id|ref|reference|key|uuid|number)$", name)
        if named and table[name].is_unique:
            return name
    return None


def draft_codebook(path, columns=None, dictionary=None) -> Draft:
    """A draft codebook for the table in `path` (its `columns`, default all). With a data
    `dictionary` (dictionary.read_dictionary's entries), the columns it describes take its public
    lists and ranges, and the impossible combinations its words state are drafted."""
    path = Path(path)
    raw = read_text(path)
    if raw.shape[1] == 0 or len(raw) == 0:
        raise UserError(f"{path} has no records")
    raw.columns = [str(c).strip() for c in raw.columns]
    if columns:
        absent = [c for c in columns if c not in raw.columns]
        if absent:
            raise UserError(f"{path} has no column {absent[0]!r} (it has: {', '.join(raw.columns)})")
        raw = raw[list(columns)]
    try:  # columns a CTDC format describes keep its public lists
        _, source, ctdc = ctdc_table(raw.head(2000), path)
    except UserError:
        source, ctdc = None, None
    identifier = _identifier(raw)
    described = [c for c in raw.columns if c != identifier]
    builtin = [c for c in described if ctdc is not None and c in ctdc.columns]
    top_missing = ctdc.column(builtin[0]).missing if builtin and ctdc is not None else ()
    body, summary = [], []
    dictionary = dictionary or {}
    age, edges = _age_edges(dictionary, described) if dictionary else (None, [])
    for name in described:
        if name in dictionary and name not in builtin:
            lines, line = _dictionary_lines(name, dictionary[name], raw[name],
                                            edges if name == age else ())
            body += lines
            summary.append(line)
        elif name in builtin:
            body += _builtin_lines(ctdc.column(name), top_missing, source)
            column = ctdc.column(name)
            where = column.named_list or ("the year range" if column.range else "its list")
            summary.append(f"{name}: public list from the built-in {source} codebook ({where})"
                           if column.kind != "open" else f"{name}: free text (no list)")
        else:
            lines, line = _inferred(name, raw[name])
            body += lines
            summary.append(line)
    guess = _quasi_identifier_guess(described, ctdc)
    head = [
        f"# Draft codebook for {path.name}, written by `tipkit synth codebook`. REVIEW IT BEFORE USE.",
        "# Lists marked `public: false` come from the data itself: they would reveal who is in",
        "# it, so `fit --epsilon` refuses them until you replace or confirm them (from your data",
        "# dictionary) and set `public: true`. This draft holds values from your data: keep it with",
        "# the data, do not publish it. The keys are explained in docs/microdata.md.",
        f"name: {_scalar(path.stem)}",
    ]
    if identifier:
        head.append(f"id: {_scalar(identifier)}   # an identifier: dropped, never released")
    if top_missing:
        head.append(f"missing: {_flow(top_missing)}   # for every column, besides blank")
    rules, rule_summary = _rule_lines(dictionary, described) if dictionary else ([], [])
    head += [
        f"quasi_identifiers: {_flow(guess)}   # a guess from the column names: name every column "
        "an attacker may know",
    ]
    if rules:
        head += ["# Drafted from the data dictionary's own words (a value that is N/A for an age "
                 "group): review each.",
                 "# Rules the dictionary does not state in ages (housing: group quarters are not "
                 "owned or rented,",
                 "# a household's size and its children) still need a hand: add them below.",
                 "impossible:"] + rules
    else:
        head.append("impossible: []   # combinations no record may have, e.g. - {age: [0, 14], "
                    "marital: [married]}")
    head.append("columns:")
    summary += rule_summary
    if identifier:
        summary.insert(0, f"{identifier}: identifier (dropped, never released)")
    summary.append(f"quasi-identifiers (a guess from the column names: review): "
                   f"{', '.join(guess) or 'none'}")
    return Draft("\n".join(head + body) + "\n", summary)


def _quasi_identifier_guess(columns, ctdc: Codebook | None) -> list[str]:
    if ctdc is not None and any(q in columns for q in ctdc.quasi_identifiers):
        return [q for q in ctdc.quasi_identifiers if q in columns]
    return [c for c in columns if any(w in c.lower() for w in QUASI_IDENTIFIER_WORDS)]
