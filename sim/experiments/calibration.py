"""Bayesian calibration of a scenario's assumptions to observed facts: the mathematics. Gaussian-
process emulators (sim.experiments.emulator) of each fact's model value, learned from simulated
design points, stand in for the simulation; the facts' likelihood is evaluated on them; a
tempered sequential Monte Carlo sampler gives the posterior; what the posterior says about each
assumption is put in words.

Why history matching with an emulator and not ABC-SMC (pyabc) or ELFI: one airport day costs a
quarter of a second and a national day over a second, and ABC needs tens of thousands of
simulations per posterior (pyabc's ABC-SMC at a 5% acceptance, 1,000 particles, 5 generations:
~100,000 days, hours here). An emulator learned from a few hundred simulated points (a Latin
hypercube, then a second wave inside the region the facts leave plausible) makes each
likelihood cost microseconds, keeps the simulation's own noise apart from the emulator's, and
serves any number of fact sets (the simulation-based check calibrates 30+ truths on one).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
from scipy.stats import norm

from tipkit.sim.experiments.emulator import Box, Emulator
from tipkit.sim.model.observed import Fact

IMPLAUSIBLE = 3.0          # Pukelsheim's three-sigma rule: history matching's usual cut-off
PINNED = 0.5               # a posterior 90% interval at most half the prior's: pinned down
NARROWED = 0.8             # at most 80%: narrowed
TIED = 0.5                 # |posterior correlation| from which two assumptions are read together
LEVEL = 0.90               # the posterior intervals reported


@dataclass(frozen=True)
class Parameter:
    """One calibrated assumption: uniform over [low, high] a priori; `keys` are the scenario
    keys it sets (a national assumption written alike at several points is one)."""
    name: str
    label: str
    nominal: float
    low: float
    high: float
    range_from: str
    keys: tuple[str, ...]


@dataclass(frozen=True)
class FactModel:
    """How one fact is compared with the model: its emulated value and the noise around it."""
    fact: Fact
    period_days: float
    dispersion: float = 1.0      # a total's variance over its Poisson variance (>= 1)
    shared: float = 0.0          # variance of the design's common days (see `variance`)

    def variance(self, model: np.ndarray, emulator_sd: np.ndarray) -> np.ndarray:
        """The variance of the observed value around the model's: a total's count noise (with
        the simulation's own over-dispersion) or a mean's measurement error, plus what the
        emulator does not know, plus `shared`: every design point ran on the same days (common
        random numbers keep the emulated surface smooth), so the surface's level carries those
        few days' error at every point alike, an error no number of points averages away."""
        if self.fact.total is not None:
            days = self.period_days
            count = np.maximum(days * model, 1.0)   # a count near 0 still carries a count's noise
            return self.dispersion * count + days ** 2 * (emulator_sd ** 2 + self.shared)
        return self.fact.sd() ** 2 + emulator_sd ** 2 + self.shared

    def expected(self, model: np.ndarray) -> np.ndarray:
        """The observed value the model expects: a total's count over the period."""
        return model * self.period_days if self.fact.total is not None else model


def log_likelihood(facts: list[FactModel], mean: np.ndarray, sd: np.ndarray) -> np.ndarray:
    """Gaussian log-likelihood of the facts at each point, from the emulated model values
    (points, facts) and their emulator sd."""
    total = np.zeros(len(mean))
    for j, f in enumerate(facts):
        var = f.variance(mean[:, j], sd[:, j])
        total += -0.5 * ((f.fact.value - f.expected(mean[:, j])) ** 2 / var + np.log(var))
    return total


def implausibility(facts: list[FactModel], mean: np.ndarray, sd: np.ndarray) -> np.ndarray:
    """(points, facts): how many standard deviations each fact is from the model's value."""
    out = np.empty_like(mean)
    for j, f in enumerate(facts):
        var = f.variance(mean[:, j], sd[:, j])
        out[:, j] = np.abs(f.fact.value - f.expected(mean[:, j])) / np.sqrt(var)
    return out


# ---- emulators of the facts' model values ------------------------------------------------

class FactEmulator:
    """One emulator per fact over the prior box; a fact positive at every design point is
    learned on the log scale (its model is a product of rates: additive there)."""

    def __init__(self, box: Box, names: list[str], x: np.ndarray, values: np.ndarray,
                 variances: np.ndarray, seed: int):
        self.logged = np.all(values > 0, axis=0)
        y = np.where(self.logged, np.log(np.where(values > 0, values, 1.0)), values)
        noise = np.where(self.logged, variances / np.where(values > 0, values, 1.0) ** 2,
                         variances)
        self.emulator = Emulator.fit(box, x, y, names, noise=noise, seed=seed)

    def predict(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        mean, sd = self.emulator.predict(x)
        value = np.where(self.logged, np.exp(mean), mean)
        return value, np.where(self.logged, value * sd, sd)


# ---- the posterior: tempered sequential Monte Carlo on the emulator -----------------------

def smc_posterior(log_like: Callable[[np.ndarray], np.ndarray], dims: int, particles: int,
                  rng: np.random.Generator, moves: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """Draws from prior x likelihood with a uniform prior on the unit cube: the likelihood is
    brought in by steps (each keeping half the particles' effective size), each followed by
    resampling and random-walk Metropolis moves scaled to the particles' spread.
    Returns (particles (n, dims) in the unit cube, their log-likelihoods)."""
    u = rng.random((particles, dims))
    ll = log_like(u)
    beta = 0.0
    while beta < 1.0:
        step = _next_step(ll, beta)
        w = np.exp((step - beta) * (ll - ll.max()))
        w /= w.sum()
        beta = step
        keep = _systematic(w, rng)
        u, ll = u[keep], ll[keep]
        u, ll = _moves(u, ll, beta, log_like, rng, moves)
    return u, ll


def _next_step(ll: np.ndarray, beta: float) -> float:
    """The next temperature: the largest at which the incremental weights keep an effective
    sample size of half the particles."""
    def ess(b):
        w = np.exp((b - beta) * (ll - ll.max()))
        return w.sum() ** 2 / (w ** 2).sum() / len(ll)

    if ess(1.0) >= 0.5:
        return 1.0
    low, high = beta, 1.0
    for _ in range(50):
        mid = (low + high) / 2
        low, high = (mid, high) if ess(mid) >= 0.5 else (low, mid)
    return max(low, beta + 1e-6)


def _systematic(w: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    n = len(w)
    positions = (rng.random() + np.arange(n)) / n
    return np.minimum(np.searchsorted(np.cumsum(w), positions), n - 1)


def _moves(u, ll, beta, log_like, rng, moves):
    dims = u.shape[1]
    cov = np.cov(u, rowvar=False).reshape(dims, dims) + 1e-8 * np.eye(dims)
    chol = np.linalg.cholesky(cov * 2.38 ** 2 / dims)
    for _ in range(moves):
        proposal = u + rng.standard_normal(u.shape) @ chol.T
        inside = np.all((proposal >= 0) & (proposal <= 1), axis=1)
        new = np.full(len(u), -np.inf)
        if inside.any():
            new[inside] = log_like(proposal[inside])
        accept = np.log(rng.random(len(u))) < beta * (new - ll)
        u = np.where(accept[:, None], proposal, u)
        ll = np.where(accept, new, ll)
    return u, ll


# ---- what the posterior says --------------------------------------------------------------

def weighted_quantiles(values: np.ndarray, weights: np.ndarray, qs) -> np.ndarray:
    order = np.argsort(values, kind="stable")
    v, w = values[order], weights[order]
    cum = (np.cumsum(w) - 0.5 * w) / w.sum()
    return np.interp(qs, cum, v)


def summarise(params: list[Parameter], draws: np.ndarray, weights: np.ndarray
              ) -> list[dict]:
    """Each assumption's prior and posterior: median, 90% interval, and the interval's width
    against the prior's 90% width (a uniform prior's is 0.9 of its range)."""
    tail = (1 - LEVEL) / 2
    rows = []
    for i, p in enumerate(params):
        low, median, high = weighted_quantiles(draws[:, i], weights, [tail, 0.5, 1 - tail])
        prior_width = LEVEL * (p.high - p.low)
        ratio = (high - low) / prior_width if prior_width > 0 else math.nan
        rows.append({"assumption": p.name, "label": p.label, "nominal": p.nominal,
                     "prior_low": p.low, "prior_high": p.high, "prior_range": p.range_from,
                     "median": median, "low": low, "high": high, "width_ratio": ratio,
                     "verdict": ("pinned down" if ratio <= PINNED else "narrowed"
                                 if ratio <= NARROWED else "not pinned down")})
    return rows


def correlations(draws: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """The posterior's weighted correlation matrix."""
    mean = weights @ draws / weights.sum()
    centred = draws - mean
    cov = (centred * weights[:, None]).T @ centred / weights.sum()
    sd = np.sqrt(np.clip(np.diag(cov), 1e-300, None))
    return cov / np.outer(sd, sd)


def identifiability_words(rows: list[dict], corr: np.ndarray) -> list[str]:
    """Plain sentences: which assumptions the facts pin down, which they only narrow or leave
    as assumed, and which they fix only together."""
    words = []
    pinned = [r for r in rows if r["verdict"] == "pinned down"]
    narrowed = [r for r in rows if r["verdict"] == "narrowed"]
    free = [r for r in rows if r["verdict"] == "not pinned down"]
    for r in pinned:
        words.append(f"The facts pin down {r['label']}: {_num(r['median'])} (90% interval "
                     f"{_num(r['low'])} to {_num(r['high'])}; assumed {_num(r['prior_low'])}-"
                     f"{_num(r['prior_high'])}, the interval {r['width_ratio']:.0%} of the "
                     f"prior's width).")
    for r in narrowed:
        words.append(f"They narrow {r['label']} to {_num(r['low'])}-{_num(r['high'])} "
                     f"({r['width_ratio']:.0%} of the prior's width), without pinning it down.")
    seen = set()
    for i in range(len(rows)):
        for j in range(i + 1, len(rows)):
            c = corr[i, j]
            if not abs(c) >= TIED or rows[i]["verdict"] == "pinned down" \
                    and rows[j]["verdict"] == "pinned down":
                continue
            seen.update((i, j))
            together = ("their product: more of one goes with less of the other" if c < 0
                        else "their ratio: more of one goes with more of the other")
            words.append(f"The facts fix {rows[i]['label']} and {rows[j]['label']} together "
                         f"({together}, correlation {c:+.2f}) but not each alone.")
    if free:
        names = "; ".join(r["label"] for r in free)
        words.append(f"The facts cannot tell apart the values assumed for: {names} (their "
                     f"posterior is about as wide as the prior: they stay assumptions).")
    return words


def informs(facts: list[FactModel], emulator: FactEmulator, params: list[Parameter],
            centre: np.ndarray) -> list[list[str]]:
    """For each assumption, the facts it moves by more than one of the fact's own standard
    deviations across its prior range (others at `centre`): what it was calibrated to."""
    out = []
    for i, p in enumerate(params):
        ends = np.vstack([centre, centre])
        ends[0, i], ends[1, i] = p.low, p.high
        mean, sd = emulator.predict(ends)
        names = []
        for j, f in enumerate(facts):
            spread = np.sqrt(f.variance(mean[:, j], sd[:, j]).mean())
            if abs(f.expected(mean[1, j]) - f.expected(mean[0, j])) > spread:
                names.append(f.fact.kpi)
        out.append(names)
    return out


def predictive_interval(facts: FactModel, model_values: np.ndarray, rng: np.random.Generator,
                        draws: int = 200) -> tuple[float, float, float]:
    """(mean, low, high) of a new observation of the fact, over the model values at posterior
    draws: each with the fact's own noise (a count's, or the measurement's)."""
    expected = facts.expected(model_values)
    var = facts.variance(model_values, np.zeros_like(model_values))
    sims = expected[:, None] + np.sqrt(var)[:, None] * rng.standard_normal((len(expected),
                                                                            draws))
    tail = (1 - LEVEL) / 2
    return float(expected.mean()), float(np.quantile(sims, tail)), float(np.quantile(sims,
                                                                                    1 - tail))


def _num(x: float) -> str:
    return f"{x:.3g}" if abs(x) < 1000 else f"{x:,.0f}"


def z_level() -> float:
    return float(norm.ppf(0.5 + LEVEL / 2))
