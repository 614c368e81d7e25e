"""A CSV file's separator and header, read before pandas: pandas would take a semicolon- or
tab-separated file (what Excel writes in most of Europe) as one column, and rename a repeated
column name `a.1` without a word.
"""

from __future__ import annotations

import csv
from collections import Counter
from contextlib import contextmanager
from itertools import islice
from pathlib import Path

from tipkit.errors import UserError

SEPARATORS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "vertical bar"}
LINES = 50  # lines read to tell the separators apart: a header alone can split either way


@contextmanager
def _any_field_size():
    """The csv module refuses a field over 128 KiB; a case table may hold one (pandas reads it,
    and the readers name it by row and column), so the limit is lifted while a file is read."""
    before = csv.field_size_limit()
    csv.field_size_limit(2**31 - 1)
    try:
        yield
    finally:
        csv.field_size_limit(before)


def _widths(path: Path, separator: str) -> list[int]:
    """How many fields each of the first rows has when split at `separator` (quotes respected)."""
    with _any_field_size(), open(path, encoding="utf-8-sig", newline="") as handle:
        return [len(row) for row in islice(csv.reader(handle, delimiter=separator), LINES) if row]


def separator(path: Path) -> str:
    """The separator of a CSV file: the one that splits the header into more than one field and
    every row read into as many. Without one, a comma (a one-column table, or a comma file whose
    uneven row pandas names); a file split only by another separator, but unevenly, and two
    separators that both split every row evenly are refused in one line naming them."""
    path = Path(path)
    widths = {candidate: _widths(path, candidate) for candidate in SEPARATORS}
    fits = [s for s, w in widths.items() if w and w[0] > 1 and all(n == w[0] for n in w)]
    if not fits:
        splits = [s for s, w in widths.items() if w and w[0] > 1]
        if splits and "," not in splits:  # not a comma file, but uneven in its own separator
            found = splits[0]
            row = next(i for i, n in enumerate(widths[found]) if n != widths[found][0])
            raise UserError(f"{path}: separated by {SEPARATORS[found]}s ({found!r}), but data "
                            f"row {row} has {widths[found][row]} fields where the header has "
                            f"{widths[found][0]}: fix the file, or save it as a comma-separated "
                            "CSV (UTF-8)")
        return ","  # one column, or a comma file of uneven width: pandas says which line
    if len(fits) > 1:
        names = " and ".join(f"{SEPARATORS[s]} ({s!r})" for s in fits[:2])
        raise UserError(f"{path}: cannot tell its separator: {names} both split every line into "
                        "as many columns; save it as a comma-separated CSV (UTF-8)")
    return fits[0]


def repeated_name(names) -> str | None:
    """The first column name the header holds more than once (names compared without the spaces
    around them, as the readers strip them), or None."""
    counts = Counter(str(n).strip() for n in names)
    return next((n for n in (str(n).strip() for n in names) if counts[n] > 1), None)


def header(path: Path, sep: str) -> list[str]:
    """The header row of a CSV file as written (pandas would rename a repeated name `a.1`)."""
    with _any_field_size(), open(path, encoding="utf-8-sig", newline="") as handle:
        return next(csv.reader(handle, delimiter=sep), [])


def refuse_repeated(path: Path, names) -> None:
    """One line naming a column name the header holds twice (which column is which is unknown)."""
    repeated = repeated_name(names)
    if repeated is not None:
        where = [str(i + 1) for i, n in enumerate(names) if str(n).strip() == repeated]
        raise UserError(f"{path}: the column name {repeated!r} appears {len(where)} times "
                        f"(columns {', '.join(where[:-1])} and {where[-1]}): give each column "
                        "its own name")
