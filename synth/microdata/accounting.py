"""The privacy budget of a differentially private release: the only place it is spent.

(epsilon, delta) is turned into a zero-concentrated DP budget rho; each Gaussian measurement
spends a share of rho and is recorded in the ledger the data card prints. Audit this file alone.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np


def cdp_delta(rho: float, epsilon: float) -> float:
    """The smallest delta for which rho-zCDP implies (epsilon, delta)-DP (Canonne, Kamath and
    Steinke 2020, Proposition 7; the conversion Private-PGM and MST use)."""
    if rho <= 0:
        return 0.0
    # Minimise over the Renyi order alpha by bisection on the derivative of the bound.
    low, high = 1.01, (epsilon + 1) / (2 * rho) + 2
    for _ in range(1000):
        alpha = (low + high) / 2
        derivative = (2 * alpha - 1) * rho - epsilon + math.log1p(-1.0 / alpha)
        if derivative < 0:
            low = alpha
        else:
            high = alpha
    delta = math.exp((alpha - 1) * (alpha * rho - epsilon) + alpha * math.log1p(-1 / alpha))
    return min(delta / (alpha - 1.0), 1.0)


def cdp_rho(epsilon: float, delta: float) -> float:
    """The largest rho whose zCDP guarantee implies (epsilon, delta)-DP (bisection on cdp_delta)."""
    low, high = 0.0, epsilon + 1
    for _ in range(1000):
        rho = (low + high) / 2
        if cdp_delta(rho, epsilon) <= delta:
            low = rho
        else:
            high = rho
    return low


def gaussian_sigma(rho: float, sensitivity: float = 1.0) -> float:
    """The noise scale of a Gaussian mechanism that is rho-zCDP for this L2 sensitivity."""
    return sensitivity / math.sqrt(2 * rho)


@dataclass(frozen=True)
class Spend:
    """One measurement's entry in the ledger."""

    measurement: str
    rho: float
    sigma: float
    cells: int


@dataclass
class Budget:
    """A zCDP budget from (epsilon, delta), spent by Gaussian measurements of count tables.

    Every case adds or removes exactly one count in each table it is measured in (a marginal or
    the total), so each table has L2 sensitivity 1 under add/remove-one neighbours."""

    epsilon: float
    delta: float
    rho: float = 0.0
    ledger: list[Spend] = field(default_factory=list)

    def __post_init__(self):
        self.rho = cdp_rho(self.epsilon, self.delta)

    @property
    def spent(self) -> float:
        return sum(s.rho for s in self.ledger)

    def measure(self, name: str, counts: np.ndarray, rho: float, rng: np.random.Generator):
        """Counts plus Gaussian noise calibrated to `rho`, recorded; refuses to overspend."""
        if rho <= 0 or self.spent + rho > self.rho * (1 + 1e-9):
            raise ValueError(f"measuring {name} would overspend the privacy budget")
        sigma = gaussian_sigma(rho)
        self.ledger.append(Spend(name, rho, sigma, int(np.size(counts))))
        return counts + rng.normal(0.0, sigma, size=np.shape(counts)), sigma

    def summary(self) -> dict:
        return {
            "epsilon": self.epsilon, "delta": self.delta, "rho": self.rho, "rho_spent": self.spent,
            "mechanism": "Gaussian mechanism on count tables, accounted in zero-concentrated DP",
            "measurements": [
                {"measurement": s.measurement, "rho": s.rho, "sigma": s.sigma, "cells": s.cells}
                for s in self.ledger
            ],
        }
