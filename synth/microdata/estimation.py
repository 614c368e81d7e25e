"""The model behind a DP release: weights on candidate rows, fitted to noisy tables.

Maximum likelihood under Gaussian noise (least squares, each table weighted by 1/sigma^2), by
entropic mirror descent on the weights, as Private-PGM estimates its graphical model.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

from tipkit.synth.microdata import marginals as model
from tipkit.synth.release.domain import Domain


def combined(measurements) -> list:
    """One table per distinct measured table: repeated noisy measurements of the same table
    averaged with inverse-variance weights (the least-squares fit is unchanged, IPF sees each
    table once)."""
    groups: dict = {}
    for m in measurements:
        groups.setdefault(m.columns, []).append(m)
    found = []
    for repeats in groups.values():
        precision = np.array([1 / m.sigma ** 2 for m in repeats])
        counts = sum(p * m.counts for p, m in zip(precision, repeats)) / precision.sum()
        found.append(model.Measurement(repeats[0].columns, counts,
                                       float(1 / np.sqrt(precision.sum()))))
    return found


class Fit:
    """Noisy tables over a support as one sparse matrix (table cells x support rows)."""

    def __init__(self, support: np.ndarray, domain: Domain, measurements, total: float):
        sizes = [m.counts.size for m in measurements]
        offsets = np.cumsum([0, *sizes[:-1]])
        cells = np.concatenate([model.cells(support, domain, m.columns) + offset
                                for m, offset in zip(measurements, offsets)])
        rows = np.tile(np.arange(len(support)), len(measurements))
        self.tables = sparse.csr_matrix((np.ones(len(cells)), (cells, rows)),
                                        shape=(sum(sizes), len(support)))
        self.rows = self.tables.T.tocsr()
        self.target = np.concatenate([np.asarray(m.counts, dtype=float) for m in measurements])
        self.precision = np.concatenate([np.full(size, 1 / max(m.sigma, 1e-3) ** 2)
                                         for m, size in zip(measurements, sizes)])
        self.total = total

    def loss(self, weights: np.ndarray) -> tuple[float, np.ndarray]:
        """Half the precision-weighted squared error of the model's tables, and its gradient
        with respect to each support row's share."""
        error = self.tables @ (weights * self.total) - self.target
        scaled = self.precision * error
        return 0.5 * float(scaled @ error), (self.rows @ scaled) * self.total


def estimate(support: np.ndarray, weights: np.ndarray, domain: Domain, measurements,
             total: float, steps: int) -> np.ndarray:
    """Shares of the support rows that best explain the noisy `measurements` (count tables of
    `total` records with noise sigma), starting from `weights`: `steps` mirror-descent steps
    with a backtracking step size (Armijo)."""
    fit = Fit(support, domain, measurements, total)
    weights = weights / weights.sum()
    loss, gradient = fit.loss(weights)
    step = 1.0 / (total * total * fit.precision.max())
    for _ in range(steps):
        logits = np.log(np.maximum(weights, 1e-300)) - step * gradient
        trial = np.exp(logits - logits.max())
        trial /= trial.sum()
        trial_loss, trial_gradient = fit.loss(trial)
        # Accept only a step that delivers half the fall its gradient promised.
        if loss - trial_loss < 0.5 * float(gradient @ (weights - trial)):
            step *= 0.5
            continue
        weights, loss, gradient = trial, trial_loss, trial_gradient
        step *= 1.5
    return weights
