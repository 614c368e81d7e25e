"""Integer releases that are k-anonymous by construction: distinct profiles, each shared by >= k cases.

A profile is one full case record with its journey. Every released row copies a profile held by at
least k rows, so every combination of any columns - quasi-identifiers or not, of any length - is
shared by zero or at least k rows. How many rows each profile gets is an integer program (HiGHS)
that puts every published figure inside its interval exactly, on the released rows themselves.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from tipkit.synth.release.domain import Domain
from tipkit.synth.published.priors import Priors
from tipkit.synth.release.schema import LEG_COUNT, MISSING

ROWS_PER_PROFILE = 1.5  # mean profile size, in multiples of k: room to move counts onto targets
_MARGIN = 1e-6  # keeps solutions off the exact bound, where floating point could misjudge them


@dataclass
class Profiles:
    """T distinct profiles: a value per column (arrays of text) and the rows each one gets. A
    figure kind measures them as rows (kinds.Rows)."""

    columns: dict[str, np.ndarray]
    sizes: np.ndarray | None = None

    def __len__(self) -> int:
        return len(next(iter(self.columns.values())))

    def match(self, unit: str, spec: dict[str, tuple[str, ...]]) -> np.ndarray:
        keep = np.ones(len(self), dtype=bool)
        for column, values in spec.items():
            keep &= np.isin(self.columns[column], values)
        return keep

    def known(self, unit: str, columns) -> np.ndarray:
        keep = np.ones(len(self), dtype=bool)
        for column in columns:
            keep &= self.columns[column] != MISSING
        return keep

    def weigh(self, unit: str, mask: np.ndarray) -> np.ndarray:
        """Units per profile row: one case, or its legs (journey values are the same on every
        leg, so a leg figure counts all of a matching profile's legs)."""
        per_row = (self.columns[LEG_COUNT].astype(int) if unit == "leg"
                   else np.ones(len(self), dtype=int))
        return mask * per_row


def allocate(weights: np.ndarray, shares: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Give each weighted slot one value index so that the weight on each value is within one
    slot's weight of `shares` (systematic sampling over the slots in random order)."""
    order = rng.permutation(len(weights))
    ends = np.cumsum(weights[order])
    total = ends[-1]
    centres = (ends - weights[order] / 2 + rng.random() * total) % total
    bounds = np.cumsum(shares / shares.sum()) * total
    picked = np.minimum(np.searchsorted(bounds, centres, side="right"), len(shares) - 1)
    out = np.empty(len(weights), dtype=np.int64)
    out[order] = picked
    return out


def draw_profiles(p: np.ndarray, domain: Domain, count: int, rng: np.random.Generator) -> Profiles:
    """`count` profiles whose cells follow the fitted joint p (systematic: each cell gets the floor
    or ceiling of count * p of them)."""
    cells = np.flatnonzero(p > 0)
    picked = allocate(np.ones(count), p[cells], rng)
    return Profiles(domain.cell_values(cells[picked]))


def fill_by_prior(profiles: Profiles, names, priors: Priors, rng: np.random.Generator,
                  weights: np.ndarray) -> None:
    """Give each profile a value for each of `names` from its documented prior (given its
    parent's value where the prior has one), weighting profiles by `weights` rows."""
    for name in names:
        prior = priors[name]
        out = np.empty(len(profiles), dtype=object)
        if prior.given is None:
            groups = {None: np.arange(len(profiles))}
        else:
            parent = profiles.columns[prior.given]
            groups = {v: np.flatnonzero(parent == v) for v in dict.fromkeys(parent)}
        for parent_value, members in groups.items():
            if len(members):
                shares = prior.conditional(parent_value)
                out[members] = np.array(prior.values, dtype=object)[
                    allocate(weights[members], shares, rng)]
        profiles.columns[name] = out


def blank_at_random(profiles: Profiles, domain: Domain, priors: Priors,
                    rng: np.random.Generator) -> None:
    """Make joint columns missing at their prior's blank share, independently of everything
    (the joint holds known values only, as published shares are shares of the known)."""
    for axis, name in enumerate(domain.columns):
        prior = priors[name]
        if MISSING in domain.values[axis] or MISSING not in prior.values:
            continue
        share = prior.conditional(None)[prior.values.index(MISSING)] if prior.given is None else 0.0
        if share > 0:
            blank = allocate(np.ones(len(profiles)), np.array([1 - share, share]), rng) == 1
            profiles.columns[name] = np.where(blank, MISSING, profiles.columns[name])


def size_profiles(profiles: Profiles, figures, cases: int, leg_range: tuple[float, float] | None,
                  k: int, rng: np.random.Generator, free: int = 600) -> np.ndarray | None:
    """Rows per profile (each >= k, summing to `cases`) that put every constraining figure inside its
    interval and the number of legs inside `leg_range`, as close to even sizes as possible.
    None when no such integers exist.

    Profiles follow the fitted joint, so even sizes already come close: only `free` of them, at
    random, are sized by the integer program (all of them if that fails), which keeps it small."""
    t = len(profiles)
    target = cases / t
    shares = [f for f in figures if f.definition.constrains]
    per_figure = [f.definition.weights(f, profiles) for f in shares]
    if any(not population.any() for population, _ in per_figure):
        return None
    units = [np.ones(t), profiles.columns[LEG_COUNT].astype(float)]
    steps = np.floor(np.arange(t + 1) * target).astype(np.int64)
    base = np.maximum(np.diff(steps), k)  # even sizes summing to `cases`
    for n_free in dict.fromkeys((min(free, t), t)):
        chosen = np.zeros(t, dtype=bool)
        chosen[rng.choice(t, n_free, replace=False)] = True
        fixed = np.where(chosen, 0, base)
        rows, lows, highs = [], [], []

        def add(row, low, high):
            rows.append(row[chosen])
            offset = float(row @ fixed)
            lows.append(low - offset)
            highs.append(high - offset)

        add(units[0], cases, cases)
        if leg_range is not None:
            add(units[1], np.ceil(leg_range[0]), np.floor(leg_range[1]))
        for figure, (population, hits) in zip(shares, per_figure):
            add(population.astype(float), 1, np.inf)
            add(hits - figure.low * population, _MARGIN, np.inf)
            add(figure.high * population - hits, _MARGIN, np.inf)
        found = _solve_sizes(np.array(rows), np.array(lows), np.array(highs), n_free, target, k, cases)
        if found is not None:
            fixed[chosen] = found
            return fixed
    return None


def _solve_sizes(rows, lows, highs, n, target, k, cases):
    """Integers x >= k with lows <= rows @ x <= highs, minimising sum |x - target| (HiGHS; a
    loose optimality gap, since any feasible answer is valid and near-even is only a preference)."""
    eye = sparse.identity(n, format="csr")
    zeros = sparse.csr_matrix((rows.shape[0], n))
    matrix = sparse.bmat([[sparse.csr_matrix(rows), zeros], [-eye, eye], [eye, eye]], format="csr")
    result = milp(
        c=np.concatenate([np.zeros(n), np.ones(n)]),
        constraints=LinearConstraint(
            matrix,
            np.concatenate([lows, np.full(n, -target), np.full(n, target)]),
            np.concatenate([highs, np.full(2 * n, np.inf)])),
        integrality=np.concatenate([np.ones(n), np.zeros(n)]),
        bounds=Bounds(np.concatenate([np.full(n, k), np.zeros(n)]),
                      np.concatenate([np.full(n, cases), np.full(n, np.inf)])),
        options={"mip_rel_gap": 0.5},
    )
    return None if result.x is None else np.round(result.x[:n]).astype(np.int64)
