"""The numerical core: measure marginals, fit a joint to them, and make it k-anonymous.

A release is a set of profiles (full rows) each released at least k times. Weights on candidate
profiles are fitted to the measured marginals by iterative proportional fitting (IPF, the
maximum-entropy fit on a support); profiles that would fall below k are dropped and the rest
recalibrated, until every profile holds at least k rows. All arrays are indexed by a `Domain`.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import numpy as np

from tipkit.synth.release.domain import Domain
from tipkit.synth.release.schema import MISSING, OTHER


@dataclass
class Measurement:
    """A count table over `columns` (flattened), exact (sigma 0) or with Gaussian noise sigma."""

    columns: tuple[str, ...]
    counts: np.ndarray
    sigma: float = 0.0


def workload(columns, length: int, max_cells: int | None = None, domain: Domain | None = None):
    """Every combination of 1..`length` columns, skipping tables larger than `max_cells`."""
    found = []
    for r in range(1, length + 1):
        for combo in combinations(columns, r):
            if max_cells and domain and np.prod(domain.shape(combo)) > max_cells:
                continue
            found.append(combo)
    return found


def cells(codes: np.ndarray, domain: Domain, columns) -> np.ndarray:
    """For each row, its flat cell index in the table over `columns`."""
    idx = domain.index(columns)
    if not idx:
        return np.zeros(len(codes), dtype=np.int64)
    return np.ravel_multi_index(tuple(codes[:, j] for j in idx), domain.shape(columns))


def marginal(codes: np.ndarray, domain: Domain, columns, weights=None) -> np.ndarray:
    """The (weighted) count table over `columns`, flattened."""
    size = int(np.prod(domain.shape(columns)))
    return np.bincount(cells(codes, domain, columns), weights=weights, minlength=size).astype(float)


def compress(domain: Domain, one_way: dict[str, np.ndarray], threshold: float, ordered=()):
    """Merge each column's values counted below `threshold` into "Other" (they could not be
    released k times anyway); in an `ordered` column (the bins of a number) a rare bin joins the
    nearest kept bin instead, so that it stays a number (blank and "Other" are merged as in any
    column). Returns the smaller domain and, per column, old code -> new code."""
    values, maps = [], []
    for name, old in zip(domain.columns, domain.values):
        counts = one_way[name]
        keep = [i for i, v in enumerate(old) if counts[i] >= threshold and v != OTHER]
        numbers = [i for i, v in enumerate(old) if v not in (OTHER, MISSING)] \
            if name in ordered else []
        kept_numbers = [i for i in keep if i in numbers]
        if not kept_numbers:
            numbers = []
        merged = [i for i in range(len(old)) if i not in keep and i not in numbers]
        new = tuple(old[i] for i in keep) + ((OTHER,) if merged else ())
        mapping = np.full(len(old), len(new) - 1, dtype=np.int64)
        mapping[keep] = np.arange(len(keep))
        for i in set(numbers) - set(keep):
            # The nearest kept bin in the column's order (the lower one on a tie).
            nearest = min(kept_numbers, key=lambda j: (abs(j - i), j))
            mapping[i] = keep.index(nearest)
        values.append(new)
        maps.append(mapping)
    return Domain(domain.columns, tuple(values)), maps


def recode(codes: np.ndarray, maps) -> np.ndarray:
    return np.column_stack([m[codes[:, j]] for j, m in enumerate(maps)])


def pairwise_sample(domain: Domain, measurements, size: int, rng, floor: float = 0.0):
    """Candidate profiles drawn column by column from the product of the measured pair tables:
    P(x_j | x_<j) proportional to P(x_j) * prod_i P(x_i, x_j) / (P(x_i) P(x_j)). Cells measured
    below `floor` (noise) are treated as empty."""
    tables = {m.columns: np.where(m.counts > floor, m.counts, 0.0) for m in measurements}
    columns = domain.columns
    sampled = np.zeros((size, len(columns)), dtype=np.int64)
    ones = {}
    for name in columns:
        pairs = [t.reshape(domain.shape(c)).sum(axis=1 - c.index(name))
                 for c, t in tables.items() if len(c) == 2 and name in c]
        one = tables.get((name,), np.mean(pairs, axis=0) if pairs else np.ones(domain.size(name)))
        ones[name] = (one + 1e-9) / (one + 1e-9).sum()
    for j, name in enumerate(columns):
        logits = np.tile(np.log(ones[name]), (size, 1))
        for i in range(j):
            pair = (columns[i], name)
            if pair not in tables:
                continue
            joint = tables[pair].reshape(domain.shape(pair))
            joint = joint / max(joint.sum(), 1e-12)
            # Dependence relative to the table's own margins, so that the noise of separate
            # measurements cannot masquerade as dependence.
            ratio = (joint + 1e-6) / (np.outer(joint.sum(axis=1), joint.sum(axis=0)) + 1e-6)
            logits += np.log(ratio[sampled[:, i]])
        gumbel = -np.log(-np.log(rng.random(logits.shape)))
        sampled[:, j] = np.argmax(logits + gumbel, axis=1)
    return sampled


def ipf(support: np.ndarray, weights: np.ndarray, domain: Domain, measurements, sweeps: int):
    """Iterative proportional fitting of weights on the support rows to the measured tables
    (negative noisy counts read as 0, each table scaled to the same total). A noisy cell is
    matched only up to its noise: both sides get its sigma added, so a true count that noise
    pushed to 0 does not wipe out every row in its cell."""
    weights = weights / weights.sum()
    plan = []
    for m in measurements:
        target = np.clip(m.counts, 0, None)
        if target.sum() <= 0:
            continue
        slack = m.sigma / target.sum()
        plan.append((cells(support, domain, m.columns), target / target.sum() + slack, slack,
                     target.size))
    for _ in range(sweeps):
        for index, target, slack, size in plan:
            current = np.bincount(index, weights=weights, minlength=size) + slack
            # A cell whose weight has all but vanished is empty (and must not overflow).
            ratio = np.divide(target, current, out=np.zeros(size), where=current > 1e-12)
            weights = weights * ratio[index]
        total = weights.sum()
        if total <= 0:
            break
        weights /= total
    return weights


RAMP = 0.1  # the share of k by which the drop threshold rises each round


def small_cells(support, weights, domain, tables, cut: float) -> np.ndarray:
    """Support rows lying in a cell of any of `tables` that holds more than 0 but less than
    `cut` of the (weighted) rows: those cells would break k-anonymity or be rare."""
    flagged = np.zeros(len(support), dtype=bool)
    for columns in tables:
        index = cells(support, domain, columns)
        _, inverse = np.unique(index, return_inverse=True)
        held = np.bincount(inverse, weights=weights)
        flagged |= (held < cut)[inverse]
    return flagged


def k_support(support, weights, domain, measurements, rows: int, k: int, tables,
              sweeps: int = 30, rounds: int = 200):
    """Drop support rows whose cells in `tables` (the quasi-identifier classes and every short
    combination of values) would hold fewer than k rows, and recalibrate the rest, until every
    occupied cell holds at least k of `rows` rows. Returns the support and its whole counts."""
    for step in range(rounds):
        # Drop gently at first (the smallest cells), so that recalibration can lift the
        # cells just under k instead of losing them.
        cut = k * min(1.0, RAMP * (step + 1))
        if cut >= k:
            counts = integer_counts(weights, rows)
            support, weights, counts = support[counts > 0], weights[counts > 0], counts[counts > 0]
            drop = small_cells(support, counts.astype(float), domain, tables, k)
            if not drop.any():
                return support, counts
        else:
            drop = small_cells(support, rows * weights, domain, tables, cut)
        if drop.all():
            break
        if drop.any():
            support, weights = support[~drop], weights[~drop]
            weights = ipf(support, weights, domain, measurements, sweeps)
    return support[:0], np.zeros(0, dtype=np.int64)


def integer_counts(weights: np.ndarray, rows: int, k: int = 0) -> np.ndarray:
    """Whole counts summing to `rows`, each the floor or ceiling of its share (and at least k)
    by largest remainders; ties by position, so the result is deterministic."""
    exact = rows * weights
    counts = np.maximum(np.floor(exact).astype(np.int64), k)
    short = rows - int(counts.sum())
    order = np.argsort(-(exact - np.floor(exact)), kind="stable")
    if short > 0:
        counts[order[:short]] += 1
    elif short < 0:
        # Only when flooring at k overshot: take back from the largest profiles.
        for i in np.argsort(-counts, kind="stable")[: -short]:
            if counts[i] > k:
                counts[i] -= 1
    return counts
