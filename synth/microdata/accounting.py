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


def gaussian_rho(sigma: float, sensitivity: float = 1.0) -> float:
    """The zCDP cost of a Gaussian measurement with noise `sigma` (gaussian_sigma's inverse)."""
    return sensitivity ** 2 / (2 * sigma ** 2)


def exponential_rho(epsilon: float) -> float:
    """The zCDP cost of one exponential mechanism with this epsilon (Cesar and Rogers 2021: an
    epsilon-DP exponential mechanism is epsilon^2/8-zCDP; AIM accounts for it the same way)."""
    return epsilon ** 2 / 8


@dataclass(frozen=True)
class Spend:
    """One entry in the ledger: a Gaussian measurement of a table (its noise sigma and cells),
    or an exponential-mechanism selection among `cells` candidate tables (sigma 0)."""

    measurement: str
    rho: float
    sigma: float
    cells: int
    mechanism: str = "Gaussian"


@dataclass
class Budget:
    """A zCDP budget from (epsilon, delta), spent by Gaussian measurements of count tables.

    Every case adds or removes exactly one count in each table it is measured in (a marginal or
    the total), so each table has L2 sensitivity 1 under add/remove-one neighbours."""

    epsilon: float
    delta: float
    rho: float = 0.0
    ledger: list[Spend] = field(default_factory=list)
    # Test-only: the noise actually added, as a multiple of the noise accounted for. Below 1 it
    # breaks the promise on purpose, to show that the audit (tipkit.synth.microdata.audit) bites.
    _noise_scale: float = field(default=1.0, repr=False)

    def __post_init__(self):
        self.rho = cdp_rho(self.epsilon, self.delta)

    @property
    def _selects(self) -> bool:
        return any(s.mechanism == "exponential" for s in self.ledger)

    @property
    def spent(self) -> float:
        return sum(s.rho for s in self.ledger)

    @property
    def remaining(self) -> float:
        return max(self.rho - self.spent, 0.0)

    def _spend(self, entry: Spend) -> None:
        if entry.rho <= 0 or self.spent + entry.rho > self.rho * (1 + 1e-9):
            raise ValueError(f"{entry.measurement} would overspend the privacy budget")
        self.ledger.append(entry)

    def measure(self, name: str, counts: np.ndarray, rho: float, rng: np.random.Generator):
        """Counts plus Gaussian noise calibrated to `rho`, recorded; refuses to overspend."""
        sigma = gaussian_sigma(rho) if rho > 0 else math.inf
        self._spend(Spend(name, rho, sigma, int(np.size(counts))))
        return counts + rng.normal(0.0, sigma * self._noise_scale, size=np.shape(counts)), sigma

    def select(self, name: str, qualities: np.ndarray, epsilon: float,
               rng: np.random.Generator, sensitivity: float = 1.0) -> int:
        """The exponential mechanism: index i with probability proportional to
        exp(epsilon q_i / (2 sensitivity)), where one record changes any q_i by at most
        `sensitivity`; recorded at exponential_rho(epsilon). Refuses to overspend."""
        self._spend(Spend(name, exponential_rho(epsilon), 0.0, len(qualities), "exponential"))
        scaled = epsilon * np.asarray(qualities, dtype=float) / (2 * sensitivity)
        # Gumbel-max: the argmax of the scaled qualities plus Gumbel noise is exactly a draw
        # from the exponential mechanism's distribution.
        return int(np.argmax(scaled - np.log(-np.log(rng.random(len(scaled))))))

    def round_of(self) -> list[int | None]:
        """Per ledger entry, the selection round it belongs to, numbered from 1 (None: outside
        the rounds): a round is a choice by the exponential mechanism and the measurement of
        the table it chose, which follows it."""
        of: list[int | None] = [None] * len(self.ledger)
        count = 0
        for i, (choice, measured) in enumerate(zip(self.ledger, self.ledger[1:])):
            if choice.mechanism == "exponential" and measured.mechanism == "Gaussian":
                count += 1
                of[i] = of[i + 1] = count
        return of

    def summary(self) -> dict:
        """The budget, every ledger entry in the order spent, and the selection rounds, as
        release.json records them and the data card prints them."""
        of = self.round_of()
        return {
            "epsilon": self.epsilon, "delta": self.delta, "rho": self.rho, "rho_spent": self.spent,
            "mechanism": "Gaussian mechanism on count tables"
                         + (", chosen by the exponential mechanism" if self._selects else "")
                         + ", accounted in zero-concentrated DP",
            "measurements": [
                {"measurement": s.measurement, "rho": s.rho, "sigma": s.sigma, "cells": s.cells,
                 "mechanism": s.mechanism, "round": n}
                for s, n in zip(self.ledger, of)
            ],
            "rounds": [
                {"round": n, "table": measured.measurement, "among": choice.cells,
                 "choice_rho": choice.rho, "rho": measured.rho, "sigma": measured.sigma,
                 "cells": measured.cells}
                for choice, measured, n in zip(self.ledger, self.ledger[1:], of)
                if n is not None and choice.mechanism == "exponential"
            ],
        }
