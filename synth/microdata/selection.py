"""Which tables a differentially private release measures, chosen adaptively (after AIM, 2022).

The one-way tables first; then, round by round, the exponential mechanism picks the table the model
fits worst (net of the noise its measurement would carry), the Gaussian mechanism measures it, and
the model (weights on a support, fitted by IPF) is refitted; the noise halves once every table has
been measured at it. At the end the model is fitted by maximum likelihood on a redrawn support.
Every spend goes through accounting.Budget.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from tipkit.synth.microdata import marginals as model
from tipkit.synth.microdata.accounting import Budget, exponential_rho, gaussian_rho
from tipkit.synth.microdata.estimation import combined, estimate
from tipkit.synth.release.domain import Domain
from tipkit.synth.release.schema import OTHER

ONE_WAY_SHARE = 0.1  # of rho, for the one-way tables, which decide the values kept
ROUNDS_PER_COLUMN = 16  # AIM's plan: 16 rounds per column at the starting noise
MEASURE_SHARE = 0.9  # of a round's budget for the measurement; the rest pays for its selection
WORKING_DRAWS = 50_000  # rows drawn for the working model's support
WORKING_SWEEPS = 4  # IPF sweeps after each measurement (the model is warm)
FINAL_DRAWS = 200_000  # rows drawn for the final model's support
FINAL_SWEEPS = 30  # IPF sweeps on the final support, then
FINAL_STEPS = 100  # maximum-likelihood steps, which weigh each table by its noise
MAX_CELLS = 20_000  # larger tables are never candidates
REDRAW_GROWTH = 1.5  # the working support is redrawn when the measurements grow by this factor
NOISE_FLOOR = math.sqrt(2 / math.pi)  # expected |N(0, sigma^2)| per cell, in sigmas


@dataclass
class Candidate:
    """A table the rounds may measure, with its exact counts: read only by the mechanisms (the
    selection's quality and the noisy measurement)."""

    columns: tuple[str, ...]
    exact: np.ndarray

    @property
    def cells(self) -> int:
        return self.exact.size


def candidates(codes: np.ndarray, domain: Domain, tables) -> list[Candidate]:
    """The `tables` of two or more columns as candidates; one with more than MAX_CELLS cells is
    left out."""
    return [Candidate(tuple(t), model.marginal(codes, domain, t)) for t in tables
            if len(t) > 1 and np.prod(domain.shape(t)) <= MAX_CELLS]


@dataclass
class PrivateModel:
    """What a DP release is fitted from: the kept values, every noisy measurement (the data
    card lists them), and the model estimated from them, as weights on a support."""

    domain: Domain
    maps: list
    measurements: list
    support: np.ndarray
    weights: np.ndarray
    total: float  # the estimated number of records (noisy)

    def tables(self) -> list:
        """The targets of the k-anonymisation, in records: the model's one- and two-way tables
        and its version of every larger table measured. Consistent, never negative, and
        post-processing of the measurements."""
        larger = {m.columns for m in self.measurements if len(m.columns) > 2}
        weights = self.weights * self.total
        return model_tables(self.support, weights, self.domain, 2) + [
            model.Measurement(c, model.marginal(self.support, self.domain, c, weights))
            for c in sorted(larger)]


def model_tables(support, weights, domain: Domain, length: int = 2) -> list:
    """The tables of 1..`length` columns of weights on a support."""
    return [model.Measurement(c, model.marginal(support, domain, c, weights))
            for c in model.workload(domain.columns, length)]


def draw_support(domain: Domain, tables, size: int, rng, admissible=None, forbidden=()):
    """Distinct rows drawn from the pairwise structure of `tables` (a model's, so no noise),
    with their frequencies; `admissible(support, domain)` may rule rows out. `forbidden`:
    (pair of columns, mask of its cells) that no row may hold, emptied before drawing, so that
    rows are drawn around them rather than drawn and dropped (drawn independently, a row that
    several such rules constrain at once, a toddler with no marital status, no schooling and no
    income, is too rare to reach the support, and the model could never give it weight)."""
    tables = _emptied(domain, tables, forbidden)
    support, counts = np.unique(model.pairwise_sample(domain, tables, size, rng), axis=0,
                                return_counts=True)
    if admissible is not None:
        keep = admissible(support, domain)
        support, counts = support[keep], counts[keep]
    return support, counts.astype(float)


def _emptied(domain: Domain, tables, forbidden) -> list:
    """`tables` with the `forbidden` cells of each pair emptied; a pair not among them is added
    as the product of its one-way tables, emptied."""
    by_columns = {m.columns: m for m in tables}
    for pair, mask in forbidden:
        table = by_columns.get(pair)
        if table is None:
            a, b = (by_columns[(c,)].counts for c in pair)
            table = model.Measurement(pair, np.outer(a, b).ravel() / max(a.sum(), 1e-12))
        by_columns[pair] = model.Measurement(pair, np.where(mask.ravel(), 0.0, table.counts),
                                             table.sigma)
    return list(by_columns.values())


def refit(support, weights, domain: Domain, measurements, sweeps: int) -> np.ndarray:
    """IPF to every distinct measured table once (repeats averaged), the one-way tables last."""
    tables = sorted(combined(measurements), key=lambda m: -len(m.columns))
    return model.ipf(support, weights, domain, tables, sweeps)


def private_model(codes, domain: Domain, k: int, budget: Budget, rng, support_rng, workload,
                  ordered=(), adjust_maps=None, admissible=None, forbidden=None) -> PrivateModel:
    """The only data access of a DP release. Noisy one-way tables decide the kept values (an
    `ordered` column merges rare values into a neighbour; `adjust_maps(kept, maps)` may
    post-process the choice); then rounds choose among the tables `workload(kept domain)` and
    measure them until the budget is spent (`rng`: the mechanisms' randomness); the model is
    refitted after each and redrawn as it grows (`support_rng`; `admissible(support, kept
    domain, maps)` rules rows out and `forbidden(kept domain, maps)` names the pairs' cells
    they are drawn around, as draw_support takes them: public rules only)."""
    columns = domain.columns
    one_way, sigma1 = {}, 0.0
    for name in columns:
        one_way[name], sigma1 = budget.measure(
            f"one-way {name}", model.marginal(codes, domain, (name,)),
            ONE_WAY_SHARE * budget.rho / len(columns), rng)
    # A value kept must plausibly reach k rows; below 3 sigma it is mostly noise.
    threshold = max(k, 3 * sigma1)
    cdomain, maps = model.compress(domain, one_way, threshold, ordered)
    if adjust_maps is not None:
        maps = adjust_maps(cdomain, maps)
    ccodes = model.recode(codes, maps)
    measurements = [
        model.Measurement((name,), np.bincount(maps[j], weights=one_way[name],
                                               minlength=cdomain.size(name)), sigma1)
        for j, name in enumerate(columns)
    ]
    allowed = _allowed_rows(cdomain, maps, measurements, threshold, admissible)
    cells = forbidden(cdomain, maps) if forbidden is not None else []
    total = max(float(np.mean([m.counts.sum() for m in measurements])), 1.0)
    # AIM's plan for the rest: so many rounds, each a choice and a measurement.
    rounds = ROUNDS_PER_COLUMN * len(columns)
    sigma = math.sqrt(rounds / (2 * MEASURE_SHARE * budget.remaining))
    epsilon = math.sqrt(8 * (1 - MEASURE_SHARE) * budget.remaining / rounds)
    pool = candidates(ccodes, cdomain, workload(cdomain))
    noise_of = np.full(len(pool), np.inf)  # the noise of each table's last measurement
    # Before any dependence is measured, the model is the product of the one-way tables.
    support, weights = draw_support(
        cdomain, [model.Measurement(m.columns, np.clip(m.counts, 0, None)) for m in measurements],
        WORKING_DRAWS, support_rng, allowed, cells)
    weights = refit(support, weights, cdomain, measurements, WORKING_SWEEPS)
    index = [model.cells(support, cdomain, c.columns) for c in pool]
    redrawn = len(measurements)
    while budget.remaining > 0 and pool:
        if len(measurements) >= REDRAW_GROWTH * redrawn:
            # A new support drawn from the model follows the dependence measured since.
            support, weights = draw_support(cdomain, model_tables(support, weights, cdomain),
                                            WORKING_DRAWS, support_rng, allowed, cells)
            weights = refit(support, weights, cdomain, measurements, WORKING_SWEEPS)
            index = [model.cells(support, cdomain, c.columns) for c in pool]
            redrawn = len(measurements)
        last = budget.remaining < 2 * (gaussian_rho(sigma) + exponential_rho(epsilon))
        if last:  # spend what is left in one last round
            sigma = math.sqrt(1 / (2 * MEASURE_SHARE * budget.remaining))
            epsilon = math.sqrt(8 * (1 - MEASURE_SHARE) * budget.remaining)
        # A table is measured again only with less noise than before: a model on a support
        # may fit a table no better after a second measurement at the same noise.
        open_ = [i for i in range(len(pool)) if last or noise_of[i] > sigma * (1 + 1e-9)]
        if not open_:
            sigma, epsilon = sigma / 2, epsilon * 2
            continue
        fitted = [np.bincount(index[i], weights=weights * total, minlength=pool[i].cells)
                  for i in open_]
        # AIM's quality: how badly the model fits a table, less the error its measurement
        # would carry; one record moves it by at most 1.
        quality = [np.abs(pool[i].exact - f).sum() - NOISE_FLOOR * sigma * pool[i].cells
                   for i, f in zip(open_, fitted)]
        chosen = open_[budget.select(f"choice of the next table among {len(open_)}",
                                     np.array(quality), epsilon, rng)]
        table = pool[chosen]
        noisy, noise_of[chosen] = budget.measure(
            f"{len(table.columns)}-way {' x '.join(table.columns)}", table.exact,
            budget.remaining if last else gaussian_rho(sigma), rng)
        measurements.append(model.Measurement(table.columns, noisy, noise_of[chosen]))
        weights = refit(support, weights, cdomain, measurements, WORKING_SWEEPS)
        if last:
            break
    support, weights = draw_support(cdomain, model_tables(support, weights, cdomain),
                                    FINAL_DRAWS, support_rng, allowed, cells)
    weights = refit(support, weights, cdomain, measurements, FINAL_SWEEPS)
    weights = estimate(support, weights, cdomain, combined(measurements), total, FINAL_STEPS)
    return PrivateModel(cdomain, maps, measurements, support, weights, total)


def _allowed_rows(cdomain: Domain, maps, one_way, threshold: float, admissible):
    """The rule for the model's candidate rows: none carries an "Other" (the values too rare to
    keep) whose own noisy count is below the bar that kept values pass, as it would be mostly
    noise too (with public lists, an "Other" or blank that the data never holds would otherwise
    be released at the noise's level); and `admissible(support, kept domain, maps)`, if given,
    holds (bound here: it may depend on the values merged)."""
    noise_only = {j: values.index(OTHER) for j, values in enumerate(cdomain.values)
                  if OTHER in values and len(values) > 1
                  and one_way[j].counts[values.index(OTHER)] < threshold}

    def allowed(support: np.ndarray, kept: Domain) -> np.ndarray:
        keep = np.ones(len(support), dtype=bool)
        for j, other in noise_only.items():
            keep &= support[:, j] != other
        if admissible is not None:
            keep &= admissible(support, kept, maps)
        return keep

    return allowed
