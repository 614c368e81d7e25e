"""An emulator: a statistical stand-in for the simulation, each KPI a smooth function of the
settings and assumptions varied, learned from a few simulated design points, with its own
predictive uncertainty. Every question that sweeps many settings asks it first and confirms the
few answers that matter by simulation.

Why scikit-learn's Gaussian processes: a GP gives a mean and a standard deviation at any point
(what sequential design and "emulated, +-" need), learns one length scale per input (so an input
that does not matter is found to be flat), takes each design point's own noise (the variance of a
mean of replications) and is deterministic given its random_state. emukit wraps GPy for the same
model with more machinery than the few hundred points here need.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy.stats import qmc
from sklearn.exceptions import ConvergenceWarning
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.gaussian_process.kernels import ConstantKernel, Matern, WhiteKernel


@dataclass(frozen=True)
class Box:
    """The inputs an emulator is learned over: their names and the interval of each."""
    names: tuple[str, ...]
    low: np.ndarray
    high: np.ndarray

    @classmethod
    def of(cls, ranges: dict[str, tuple[float, float]]) -> "Box":
        names = tuple(ranges)
        low = np.array([float(ranges[n][0]) for n in names])
        high = np.array([float(ranges[n][1]) for n in names])
        if np.any(high < low):
            raise ValueError("each range must run from low to high")
        return cls(names, low, high)

    def to_unit(self, x: np.ndarray) -> np.ndarray:
        span = np.where(self.high > self.low, self.high - self.low, 1.0)
        return (np.atleast_2d(np.asarray(x, dtype=float)) - self.low) / span

    def from_unit(self, u: np.ndarray) -> np.ndarray:
        return self.low + np.atleast_2d(u) * (self.high - self.low)


def space_filling(box: Box, n: int, seed: np.random.SeedSequence | int) -> np.ndarray:
    """n points spread over the box (a Latin hypercube, optimised for spread), one row each."""
    rng = np.random.default_rng(seed)
    sampler = qmc.LatinHypercube(d=len(box.names), optimization="random-cd", rng=rng)
    return box.from_unit(sampler.random(n))


class Emulator:
    """Gaussian-process emulators of several outputs over one box of inputs, one GP per output
    (a KPI's noise and smoothness are its own)."""

    def __init__(self, box: Box, outputs: list[str], models: list[GaussianProcessRegressor],
                 centre: np.ndarray, scale: np.ndarray, points: int):
        self.box, self.outputs, self._models = box, list(outputs), models
        self._centre, self._scale, self.points = centre, scale, points

    @classmethod
    def fit(cls, box: Box, x: np.ndarray, y: np.ndarray, outputs: list[str], *,
            noise: np.ndarray | None = None, seed: int = 0, restarts: int = 2) -> "Emulator":
        """Learn from design points `x` (n, inputs) and outputs `y` (n, outputs). `noise`
        (n, outputs), when given, is each point's own variance (a mean of replications: the
        replications' variance over their number); the GP then does not chase it. `restarts`:
        extra starts of the length-scale search (more robust, each as costly as the first)."""
        x, y = np.atleast_2d(np.asarray(x, float)), np.asarray(y, float).reshape(len(x), -1)
        if len(x) < 2:
            raise ValueError("an emulator needs at least two design points")
        centre = y.mean(axis=0)
        scale = y.std(axis=0)
        scale = np.where(scale > 0, scale, 1.0)
        unit = box.to_unit(x)
        dims = unit.shape[1]
        models = []
        for j in range(y.shape[1]):
            own = (np.zeros(len(x)) if noise is None else np.asarray(noise, float)[:, j])
            kernel = (ConstantKernel(1.0, (1e-3, 1e3))
                      * Matern(np.ones(dims), (1e-2, 1e2), nu=2.5)
                      + WhiteKernel(1e-4, (1e-9, 1e-1)))
            model = GaussianProcessRegressor(kernel, alpha=own / scale[j] ** 2 + 1e-10,
                                             n_restarts_optimizer=restarts,
                                             random_state=seed)
            with warnings.catch_warnings():
                # an input the output does not depend on runs its length scale to the bound:
                # that is the finding, not a failure
                warnings.simplefilter("ignore", ConvergenceWarning)
                model.fit(unit, (y[:, j] - centre[j]) / scale[j])
            models.append(model)
        return cls(box, outputs, models, centre, scale, len(x))

    def predict(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(mean, standard deviation), each (points, outputs): the emulator's belief about the
        simulation's long-run mean at each point (the sd keeps the small misfit the white-noise
        term learned: on the cautious side)."""
        unit = self.box.to_unit(x)
        means, sds = [], []
        for model, c, s in zip(self._models, self._centre, self._scale):
            m, sd = model.predict(unit, return_std=True)
            means.append(c + s * m)
            sds.append(s * sd)
        return np.column_stack(means), np.column_stack(sds)

    def predict_one(self, output: str, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(mean, sd) of one named output at each point."""
        j = self.outputs.index(output)
        mean, sd = self.predict(x)
        return mean[:, j], sd[:, j]

    def joint(self, output: str, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(mean, covariance) of one named output at the points `x` jointly: the smooth function
        only (the white-noise term left out), so that a difference between two nearby points is
        as certain as the function is known there (what an elementary effect needs)."""
        j = self.outputs.index(output)
        model, s = self._models[j], self._scale[j]
        mean, cov = model.predict(self.box.to_unit(x), return_cov=True)
        white = _white_level(model.kernel_)
        cov = cov - white * np.eye(len(cov))
        return self._centre[j] + s * mean, s ** 2 * cov

    def leave_one_out(self, output: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(learned value, prediction, sd) of one named output at each design point, the
        prediction from all the other points (the closed form of a GP's leave-one-out, no
        refit): how well the emulator predicts a simulation it has not seen."""
        from scipy.linalg import cho_solve

        j = self.outputs.index(output)
        model, s = self._models[j], self._scale[j]
        inverse = cho_solve((model.L_, True), np.eye(len(model.L_)))
        diagonal = np.diag(inverse)
        fitted = model.y_train_ - model.alpha_.ravel() / diagonal
        return (self._centre[j] + s * model.y_train_, self._centre[j] + s * fitted,
                s / np.sqrt(diagonal))


def _white_level(kernel) -> float:
    """The noise level of a fitted kernel's WhiteKernel term (0 without one)."""
    if isinstance(kernel, WhiteKernel):
        return float(kernel.noise_level)
    return sum(_white_level(k) for k in (getattr(kernel, "k1", None), getattr(kernel, "k2", None))
               if k is not None)
