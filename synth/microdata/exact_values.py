"""Numbers drawn inside their bins (`release: value`) that never recreate an input-unique record.

A record unique in the input on the released columns, in the values released (an exact age, not
its bin), must not reappear exactly in a release without DP: the binned check cannot see it, as a
drawn age can land on a unique person's own. These pure functions find what the draw must avoid,
profiles no draw could release safely, and redraw a colliding value inside its bin.
"""

from __future__ import annotations

from itertools import product

import numpy as np
import pandas as pd

from tipkit.synth.release.guarantees import class_sizes

SWAP_TRIES = 50  # rows of the same bins tried for a swap before a colliding value is redrawn
MAX_ENUMERATED = 100_000  # combinations of drawn values listed per profile; beyond, drawn at random


def drawn_columns(codebook, columns) -> tuple[str, ...]:
    """The released columns whose numbers are drawn inside their bins (release: value)."""
    return tuple(c for c in columns if codebook is not None and c in codebook.columns
                 and codebook.column(c).bins and codebook.column(c).release == "value")


def common_numbers(values: pd.DataFrame, codebook, k: int) -> dict[str, dict[int, float]]:
    """Without DP, per drawn column, the whole numbers that at least `k` input records hold, with
    their counts: the draw follows them inside each bin (a number fewer than k records hold is
    never drawn where a bin has a common one), so released numbers are spread as the input's are
    without showing a rare one."""
    found = {}
    for name in drawn_columns(codebook, values.columns):
        numbers = pd.to_numeric(values[name], errors="coerce").dropna().astype(int)
        counts = numbers.value_counts()
        found[name] = {int(v): float(n) for v, n in counts.items() if n >= k}
    return found


def _choices(column, label: str) -> list[str]:
    """The values (as text) a `release: value` column may show for the bin `label`: the whole
    numbers inside it; blank and "Other" are not drawn and show as they are."""
    labels = column.bin_labels()
    if label not in labels:
        return [label]
    i = labels.index(label)
    low, high = int(column.bins[i]), int(column.bins[i + 1])
    return [str(v) for v in range(low, high + (1 if i == len(labels) - 1 else 0))]


def forbidden_values(values: pd.DataFrame, binned: pd.DataFrame, codebook,
                     columns) -> dict[tuple, set[tuple]]:
    """For each binned profile on `columns` (the input in the model's coding, `binned`), the
    tuples of drawn values that, with it, make a record unique in the input on `columns` in the
    values released (`values`: the same records with the drawn columns' whole numbers). A value
    whose bin was merged into another (a rare bin joins its neighbour) lies outside the span the
    release draws in, so it is left out."""
    columns = list(columns)
    drawn = drawn_columns(codebook, columns)
    if not drawn or len(values) == 0:
        return {}
    unique = class_sizes(values, columns) == 1
    found: dict[tuple, set[tuple]] = {}
    keys = binned.loc[unique, columns].itertuples(index=False, name=None)
    numbers = values.loc[unique, list(drawn)].itertuples(index=False, name=None)
    place = [columns.index(c) for c in drawn]
    for key, number in zip(keys, numbers):
        if all(v in _choices(codebook.column(c), key[j]) for c, v, j in zip(drawn, number, place)):
            found.setdefault(key, set()).add(number)
    return found


def unavoidable(profiles: pd.DataFrame, forbidden: dict[tuple, set[tuple]], codebook,
                columns) -> np.ndarray:
    """Profiles (rows in the model's coding) for which every combination of drawn values makes
    a record unique in the input: no draw could release them safely."""
    columns = list(columns)
    drawn = drawn_columns(codebook, columns)
    out = np.zeros(len(profiles), dtype=bool)
    if not forbidden:
        return out
    place = [columns.index(c) for c in drawn]
    for i, key in enumerate(profiles[columns].itertuples(index=False, name=None)):
        taken = forbidden.get(key)
        if taken:
            spans = [_choices(codebook.column(c), key[j]) for c, j in zip(drawn, place)]
            out[i] = len(taken) >= int(np.prod([len(s) for s in spans]))
    return out


def redraw(cases: pd.DataFrame, binned: pd.DataFrame, forbidden: dict[tuple, set[tuple]],
           codebook, columns, rng: np.random.Generator) -> tuple[pd.DataFrame, int]:
    """The released cases with no row whose drawn values recreate an input-unique record
    (`binned`: the same rows in the model's coding). A colliding row swaps its drawn values
    with another row of the same bins where neither then collides, so every bin keeps the
    numbers the uniform draw gave it; only when no swap is found among SWAP_TRIES rows are its
    values drawn again, uniformly among those that do not collide. Rows are visited in release
    order, from one stream: the same seed gives the same release. Returns the cases and how
    many rows collided."""
    columns = list(columns)
    drawn = drawn_columns(codebook, columns)
    if not forbidden:
        return cases, 0
    place = [columns.index(c) for c in drawn]
    keys = list(binned[columns].itertuples(index=False, name=None))
    numbers = list(cases[list(drawn)].itertuples(index=False, name=None))

    def collides(i: int, number: tuple) -> bool:
        return number in forbidden.get(keys[i], ())

    hits = [i for i in range(len(keys)) if collides(i, numbers[i])]
    if not hits:
        return cases, 0
    same_bins: dict[tuple, list[int]] = {}
    for i, key in enumerate(keys):
        same_bins.setdefault(tuple(key[j] for j in place), []).append(i)
    for i in hits:
        if not collides(i, numbers[i]):
            continue  # a swap for an earlier row already moved its values
        pool = same_bins[tuple(keys[i][j] for j in place)]
        for j in pool[:0] if len(pool) < 2 else rng.integers(len(pool), size=SWAP_TRIES):
            j = pool[j]
            if not collides(i, numbers[j]) and not collides(j, numbers[i]):
                numbers[i], numbers[j] = numbers[j], numbers[i]
                break
        else:
            spans = [_choices(codebook.column(c), keys[i][j]) for c, j in zip(drawn, place)]
            numbers[i] = _safe_draw(spans, forbidden[keys[i]], rng)
    out = cases.copy()
    for c, values in zip(drawn, zip(*numbers)):
        out[c] = pd.Series(values, index=out.index, dtype=object).astype(str)
    return out, len(hits)


def _safe_draw(spans, taken: set[tuple], rng: np.random.Generator) -> tuple:
    """One combination of values (as text) from the product of `spans`, uniformly among those
    not in `taken` (profiles where none is left were never released: see `unavoidable`)."""
    size = int(np.prod([len(s) for s in spans]))
    if size <= MAX_ENUMERATED:
        free = [t for t in product(*spans) if t not in taken]
        return free[int(rng.integers(len(free)))]
    while True:  # a huge product: almost every combination is free
        choice = tuple(s[int(rng.integers(len(s)))] for s in spans)
        if choice not in taken:
            return choice
