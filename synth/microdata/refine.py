"""Whole counts of a k-anonymous release that match its target tables best: a local search on L1.

Rows move one at a time between released profiles, and new profiles open with k rows, whenever
that brings the release's tables closer to the targets and leaves no protected cell with 1 to k-1
rows.
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from tipkit.synth.microdata import marginals as model
from tipkit.synth.release.domain import Domain

MAX_MOVES = 20_000  # rows moved at most (each move lowers the distance, so it ends anyway)
DONORS = 3  # rows tried as donors for each move, the cheapest to lose first
OPENINGS = 5  # profiles tried for opening in each pass, the most promising first
POOL = 5_000  # candidate profiles, besides those released, that the search may open


class Layout:
    """Cells of the pool's rows in the target tables and in the protected tables, as flat
    indices into one long vector each, so that a move's effect is one gather."""

    def __init__(self, pool: np.ndarray, domain: Domain, targets, protected):
        self.target = np.concatenate([np.asarray(t.counts, dtype=float) for t in targets])
        offsets = np.cumsum([0, *[t.counts.size for t in targets[:-1]]])
        self.cells = np.stack([model.cells(pool, domain, t.columns) + o
                               for t, o in zip(targets, offsets)])
        # Each length of table weighs the same in total, as in a 1-, 2-, 3-way score: the few
        # one-way tables are not outvoted by the many larger ones.
        tables_of = Counter(len(t.columns) for t in targets)
        self.weight = np.array([1 / tables_of[len(t.columns)] for t in targets])
        self.cell_weight = np.repeat(self.weight, [t.counts.size for t in targets])
        # Protected tables can be huge (every quasi-identifier): number only occupied cells.
        groups, start = [], 0
        for columns in protected:
            inverse = np.unique(model.cells(pool, domain, columns), return_inverse=True)[1]
            groups.append(inverse.ravel() + start)
            start += int(inverse.max()) + 1
        self.groups = np.stack(groups)
        self.group_count = start

    def fitted(self, counts: np.ndarray) -> np.ndarray:
        return np.bincount(self.cells.ravel(), weights=np.tile(counts, len(self.cells)),
                           minlength=self.target.size)

    def held(self, counts: np.ndarray) -> np.ndarray:
        return np.bincount(self.groups.ravel(), weights=np.tile(counts, len(self.groups)),
                           minlength=self.group_count)


def refine(pool: np.ndarray, counts: np.ndarray, domain: Domain, targets, protected, k: int,
           max_moves: int = MAX_MOVES) -> np.ndarray:
    """Whole counts over `pool` (rows; counts 0 where not released) closer in L1 to `targets`
    (Measurements in released rows), keeping the total and every cell of the `protected`
    tables at 0 or at least k rows. Deterministic."""
    layout = Layout(pool, domain, targets, protected)
    cells, groups = layout.cells, layout.groups
    counts = counts.astype(np.int64).copy()
    residual = layout.target - layout.fitted(counts)
    held = layout.held(counts)

    weight = layout.weight[:, None]

    def gain(rows, units):
        """Change in the distance if `units` rows were added to each of `rows` (negative:
        removed)."""
        here = residual[cells[:, rows]]
        return (weight * (np.abs(here - units) - np.abs(here))).sum(axis=0)

    def distance() -> float:
        return float(layout.cell_weight @ np.abs(residual))

    def add(row, units):
        # A row's cells lie in different tables, so plain fancy indexing adds each once.
        residual[cells[:, row]] -= units
        held[groups[:, row]] += units
        counts[row] += units

    def donors(exclude=-1):
        """Released rows that can give up one row: every protected cell keeps k."""
        found = np.flatnonzero(counts > 0)
        found = found[held[groups[:, found]].min(axis=0) > k]
        return found[found != exclude]

    moves, tried = 0, set()
    while moves < max_moves:
        # Move single rows from where the tables have too many to where they have too few.
        while moves < max_moves:
            giving = donors()
            taking = np.flatnonzero(counts > 0)
            if not len(giving):
                break
            out, into = gain(giving, -1), gain(taking, 1)
            best = (0.0, -1, -1)
            for donor in giving[np.argsort(out, kind="stable")[:DONORS]]:
                # Where donor and receiver share a cell, the move changes nothing there.
                here = residual[cells[:, donor]]
                both = layout.weight * (np.abs(here + 1) + np.abs(here - 1) - 2 * np.abs(here))
                shared = (cells[:, taking] == cells[:, donor][:, None]) * both[:, None]
                change = out[np.searchsorted(giving, donor)] + into - shared.sum(axis=0)
                change[taking == donor] = np.inf
                j = int(np.argmin(change))
                if change[j] < best[0]:
                    best = (float(change[j]), int(donor), int(taking[j]))
            if best[1] < 0:
                break
            add(best[1], -1)
            add(best[2], 1)
            moves += 1
        # Open a new profile with k rows taken from the rows that can spare them.
        closed = np.flatnonzero(counts == 0)
        promise = gain(closed, k)
        opened = False
        for row in closed[np.argsort(promise, kind="stable")[:OPENINGS]]:
            if int(row) in tried or promise[np.searchsorted(closed, row)] >= 0:
                continue
            tried.add(int(row))
            before = distance()
            saved = residual.copy(), held.copy(), counts.copy()
            add(row, k)
            for _ in range(k):
                giving = donors(row)
                if not len(giving):
                    break
                add(int(giving[np.argmin(gain(giving, -1))]), -1)
            if counts.sum() == saved[2].sum() and distance() < before:
                moves += k
                opened = True
                break
            residual[:], held[:], counts[:] = saved
        if not opened:
            break
    return counts


def maximal(protected) -> list:
    """The protected tables that no other protected table contains: a cell of a table is a
    union of cells of any table over more columns, so if those hold 0 or at least k rows, so
    does it."""
    sets = [frozenset(t) for t in protected]
    return [t for t, s in zip(protected, sets) if not any(s < other for other in sets)]


def refined(candidates: np.ndarray, weights: np.ndarray, support: np.ndarray, counts: np.ndarray,
            domain: Domain, targets, protected, k: int):
    """The released profiles `support` with whole `counts` (from k_support), refined towards
    `targets` (tables of any total); the search may also open the POOL `candidates` of
    largest fitted `weights`. Returns the released profiles and their counts."""
    rows = int(counts.sum())
    top = candidates[np.argsort(-weights, kind="stable")[:POOL]]
    pool, inverse = np.unique(np.concatenate([support, top]), axis=0, return_inverse=True)
    start = np.zeros(len(pool), dtype=np.int64)
    start[inverse.ravel()[: len(support)]] = counts
    scaled = [model.Measurement(t.columns, np.clip(t.counts, 0, None) * rows
                                / max(np.clip(t.counts, 0, None).sum(), 1e-12))
              for t in targets]
    final = refine(pool, start, domain, scaled, maximal(protected), k)
    kept = final > 0
    return pool[kept], final[kept]
