"""The joint distribution over the columns figures talk about, as one dense array over a Domain.

Published share figures are linear inequalities on it; linear programs (HiGHS) answer "can they
all hold?" and "what range do they imply?", and the maximum-entropy fit is solved in its dual.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import numpy as np
from scipy.optimize import linprog, minimize
from scipy.special import logsumexp

from tipkit.synth.published.figures import Figure
from tipkit.synth.published.priors import Priors
from tipkit.synth.release.domain import Domain
from tipkit.synth.release.schema import JOURNEY_COLUMNS, MISSING
from tipkit.errors import UserError

_TIGHT = 1e-7  # a dual value above this marks a binding constraint
_POPULATION_EXISTS = 1e-6  # a figure's population holds at least this share of all cases
_RELAXED_POPULATION = 0.5  # when relaxing, a population keeps at least half its prior share


def figure_domain(figures, priors: Priors) -> Domain:
    """The joint's variables: the journey columns and every column a share figure names, with
    the parents their priors are conditioned on, in a stable order.

    A blank (missing) value stays out of the joint unless a figure asks about it: values go
    missing at random afterwards, as published shares are shares of the cases where it is known."""
    shares = [f for f in figures if f.definition.constrains]
    wanted = set(JOURNEY_COLUMNS) | {c for f in shares for c in f.columns}
    wanted |= {priors[c].given for c in list(wanted) if priors[c].given}
    asked_blank = {c for f in shares for c, v in (f.population | f.statistic).items() if MISSING in v}
    names = tuple(c for c in priors.columns if c in wanted)
    return Domain(names, tuple(
        tuple(v for v in priors[c].values if v != MISSING or c in asked_blank) for c in names))


def validate_values(figures, priors: Priors) -> None:
    """Every value a figure filters on must be a value its column can take."""
    for figure in figures:
        for column, values in (figure.population | figure.statistic).items():
            unknown = [v for v in values if v not in priors[column].values]
            if unknown:
                raise UserError(f"figure {figure.id}: {column} has no value {unknown[0]!r} "
                                f"(known: {', '.join(repr(v) for v in priors[column].values)})")


def prior_joint(domain: Domain, priors: Priors) -> np.ndarray:
    """The prior over the domain's cells: the product of each column's (conditional) prior."""
    joint = np.ones(domain.shape())
    for axis, name in enumerate(domain.columns):
        prior = priors[name]
        keep = [prior.values.index(v) for v in domain.values[axis]]

        def conditional(parent_value):
            shares = prior.conditional(parent_value)[keep]
            return shares / shares.sum() if shares.sum() > 0 else shares

        shape = [1] * len(domain.columns)
        if prior.given is None:
            shape[axis] = -1
            factor = conditional(None).reshape(shape)
        else:
            parent_axis = domain.columns.index(prior.given)
            table = np.array([conditional(pv) for pv in domain.values[parent_axis]])
            shape[parent_axis], shape[axis] = table.shape
            factor = (table if parent_axis < axis else table.T).reshape(shape)
        joint = joint * factor
    return joint.ravel() / joint.sum()


@dataclass(frozen=True)
class Constraints:
    """Share figures as homogeneous rows G with G @ p >= 0; two rows (low, high) per figure."""

    rows: np.ndarray  # (2 * figures, cells)
    figures: tuple[Figure, ...]
    populations: np.ndarray  # (figures, cells): the cells in each figure's population
    hits: np.ndarray  # (figures, cells): the cells in its population that have its statistic

    def figure_rows(self, i: int) -> slice:
        return slice(2 * i, 2 * i + 2)

    def rows_for(self, keep=None, least=None) -> np.ndarray:
        """The bound rows of the figures in `keep` (all by default), then one row per figure
        saying its population exists (holds at least `least` of all cases, per figure or one
        number for all): a figure about nobody would hold trivially."""
        keep = list(range(len(self.figures)) if keep is None else keep)
        least = np.broadcast_to(_POPULATION_EXISTS if least is None else least, (len(self.figures),))
        bounds = [self.rows[self.figure_rows(i)] for i in keep]
        exists = self.populations[keep].astype(float) - least[keep, None]
        return np.concatenate(bounds + [exists]) if keep else np.zeros((0, self.rows.shape[1]))

    def shares(self, p: np.ndarray) -> np.ndarray:
        """Each figure's share under the distribution p (each case weighs one)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return (self.hits @ p) / (self.populations @ p)


@dataclass(frozen=True)
class Cells:
    """The joint's cells as rows a figure kind measures (kinds.Rows). Each cell is a case: a leg
    figure is applied to cases here (each case weighs the same whatever its number of legs);
    the integer release later meets it exactly on the legs themselves."""

    domain: Domain

    def match(self, unit: str, spec: dict[str, tuple[str, ...]]) -> np.ndarray:
        return self.domain.mask(spec)

    def known(self, unit: str, columns) -> np.ndarray:
        names, values = self.domain.columns, self.domain.values
        return self.domain.mask({c: tuple(v for v in values[names.index(c)] if v != MISSING)
                                 for c in columns})

    def weigh(self, unit: str, mask: np.ndarray) -> np.ndarray:
        return mask

    def size(self, unit: str) -> int:
        raise TypeError("the joint is a distribution: it has no count of units")


def constraints_for(domain: Domain, figures) -> Constraints:
    """Two rows for each constraining figure, over its weights (population, hits) on the cells:
    [hits] - low [population] >= 0 and high [population] - [hits] >= 0."""
    shares = tuple(f for f in figures if f.definition.constrains)
    cells = Cells(domain)
    weights = [f.definition.weights(f, cells) for f in shares]
    pops = np.array([w[0] for w in weights]).reshape(len(shares), domain.size())
    hits = np.array([w[1] for w in weights]).reshape(len(shares), domain.size())
    rows = np.empty((2 * len(shares), domain.size()))
    for i, f in enumerate(shares):
        rows[2 * i] = hits[i] - f.low * pops[i]
        rows[2 * i + 1] = f.high * pops[i] - hits[i]
    return Constraints(rows, shares, pops, hits)


def _lp(rows: np.ndarray, support: np.ndarray, objective=None, normalise=None):
    """Solve min objective @ p over p >= 0 on `support`, rows @ p >= 0, normalise @ p = 1."""
    n = int(support.sum())
    a_ub = -rows[:, support] if len(rows) else None
    b_ub = np.zeros(len(rows)) if len(rows) else None
    norm = np.ones(n) if normalise is None else normalise[support].astype(float)
    c = np.zeros(n) if objective is None else objective[support]
    return linprog(c, A_ub=a_ub, b_ub=b_ub, A_eq=norm[None, :], b_eq=[1.0],
                   bounds=(0, None), method="highs")


def is_feasible(constraints: Constraints, support: np.ndarray, keep=None) -> bool:
    """Can the figures (all, or those indexed by `keep`) hold at once on the prior's support?"""
    return _lp(constraints.rows_for(keep), support).status == 0


def smallest_conflict(constraints: Constraints, support: np.ndarray, search_up_to: int = 4):
    """The smallest set of figures that cannot hold together (indices), or None if all can.

    A deletion filter finds an irreducible conflicting set; smaller sets are then searched for
    exhaustively, so the answer is the smallest, not merely an irreducible one."""
    n = len(constraints.figures)
    if is_feasible(constraints, support):
        return None
    conflict = list(range(n))
    for i in range(n):
        trial = [j for j in conflict if j != i]
        if not is_feasible(constraints, support, trial):
            conflict = trial
    for size in range(1, min(len(conflict), search_up_to + 1)):
        for subset in combinations(range(n), size):
            if not is_feasible(constraints, support, subset):
                return list(subset)
    return conflict


@dataclass(frozen=True)
class ImpliedRange:
    """The range a share can take when every figure holds, and the figures tight at each end."""

    low: float
    high: float
    binding_low: tuple[str, ...]
    binding_high: tuple[str, ...]


def implied_range(constraints: Constraints, support: np.ndarray, numerator: np.ndarray,
                  denominator: np.ndarray) -> ImpliedRange:
    """Min and max of P(numerator | denominator) subject to the figures (Charnes-Cooper: the rows
    are homogeneous, so fixing P(denominator) = 1 instead of the total loses nothing)."""
    ends, tight = [], []
    target = (numerator & denominator).astype(float)
    for sign in (1.0, -1.0):  # minimise, then maximise
        result = _lp(constraints.rows_for(), support, objective=sign * target, normalise=denominator)
        if result.status != 0:
            return ImpliedRange(np.nan, np.nan, (), ())
        ends.append(sign * result.fun)
        duals = np.abs(result.ineqlin.marginals)[:len(constraints.rows)]  # bound rows come first
        tight.append(tuple(dict.fromkeys(
            constraints.figures[j // 2].id for j in np.flatnonzero(duals > _TIGHT))))
    return ImpliedRange(ends[0], ends[1], tight[0], tight[1])


def least_adjustment(constraints: Constraints, support: np.ndarray, prior: np.ndarray):
    """The distribution that violates the figures least (sum of violations, each in points of its
    own population's share); the caller widens the violated intervals to what it achieves."""
    # Shrinking a population until its figure stops mattering is no adjustment: keep each at
    # least half its prior share.
    least = _RELAXED_POPULATION * (constraints.populations @ prior)
    rows = constraints.rows_for(least=least)[:, support]
    m, n = rows.shape
    bounds = len(constraints.rows)  # the first rows are figure bounds, which may give way
    weights = np.repeat([1.0 / max(prior[pop].sum(), 1e-12) for pop in constraints.populations], 2)
    slack = np.vstack([np.eye(bounds), np.zeros((m - bounds, bounds))])
    a_ub = np.hstack([-rows, -slack])
    c = np.concatenate([np.zeros(n), weights])
    a_eq = np.concatenate([np.ones(n), np.zeros(bounds)])[None, :]
    result = linprog(c, A_ub=a_ub, b_ub=np.zeros(m), A_eq=a_eq, b_eq=[1.0],
                     bounds=(0, None), method="highs")
    p = np.zeros(support.shape)
    p[support] = result.x[:n]
    return p


def maximum_entropy(prior: np.ndarray, constraints: Constraints, support: np.ndarray):
    """The distribution closest to the prior (minimum KL divergence) that meets every figure,
    solved in the dual: p ~ prior * exp(G' lam), lam >= 0 minimising log-partition."""
    rows = constraints.rows[:, support]
    log_q = np.log(prior[support])

    def dual(lam):
        scores = log_q + rows.T @ lam
        log_z = logsumexp(scores)
        p = np.exp(scores - log_z)
        return log_z, rows @ p

    m = rows.shape[0]
    result = minimize(dual, np.zeros(m), jac=True, method="L-BFGS-B",
                      bounds=[(0, None)] * m, options={"maxiter": 5000, "gtol": 1e-10, "ftol": 1e-14})
    lam = result.x
    scores = log_q + rows.T @ lam
    p = np.zeros(prior.shape)
    p[support] = np.exp(scores - logsumexp(scores))
    return p, lam
