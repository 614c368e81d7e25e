"""Statistics for replications: streaming wait summaries inside a run, t-intervals across runs,
and the replications algorithm of Hoad, Robinson and Davies (2010)."""

from __future__ import annotations

import math

import numpy as np
from scipy import stats as _scipy_stats


class WaitSummary:
    """Mean, 95th percentile and share within a target of many waits, in fixed memory: a
    one-second histogram up to `horizon_seconds` (longer waits share the last bin)."""

    __slots__ = ("count", "total", "bins", "_last")

    def __init__(self, horizon_seconds: int = 6 * 3600):
        self.count = 0
        self.total = 0.0
        self.bins = [0] * (horizon_seconds + 1)
        self._last = horizon_seconds

    def add(self, wait: float) -> None:
        self.count += 1
        self.total += wait
        b = int(wait)
        self.bins[b if b < self._last else self._last] += 1

    @property
    def mean(self) -> float:
        return self.total / self.count if self.count else math.nan

    def quantile(self, q: float) -> float:
        """The q-quantile to the second (the upper edge of the bin it falls in)."""
        if not self.count:
            return math.nan
        need = q * self.count
        seen = 0
        for second, n in enumerate(self.bins):
            seen += n
            if seen >= need:
                return float(second + 1) if second < self._last else math.inf
        return math.inf

    def share_within(self, seconds: float) -> float:
        """Share of waits under `seconds` (to the second)."""
        if not self.count:
            return math.nan
        edge = min(int(seconds), self._last)
        return sum(self.bins[:edge]) / self.count


def t_interval(values, confidence: float = 0.95) -> tuple[float, float, float, int]:
    """Mean and two-sided t-interval of the finite values: (mean, low, high, n)."""
    x = np.asarray([v for v in values if v is not None and math.isfinite(v)], dtype=float)
    n = len(x)
    if n == 0:
        return math.nan, math.nan, math.nan, 0
    mean = float(x.mean())
    if n == 1:
        return mean, math.nan, math.nan, 1
    half = float(_scipy_stats.t.ppf(0.5 + confidence / 2, n - 1) * x.std(ddof=1) / math.sqrt(n))
    return mean, mean - half, mean + half, n


def relative_half_width(values, confidence: float = 0.95) -> float:
    """Half-width of the interval over |mean|; 0 when every value is the same."""
    mean, low, high, n = t_interval(values, confidence)
    if n < 2:
        return math.inf
    half = (high - low) / 2
    if half == 0:
        return 0.0
    return half / abs(mean) if mean != 0 else math.inf


def replications_settled(history: list[float], precision: float, look_ahead: int = 5) -> int | None:
    """Hoad, Robinson and Davies' replications algorithm: given the relative half-width after
    each number of replications (history[i] for i + 1 replications), return the smallest n whose
    precision holds for it and the next `look_ahead` replications (scaled up past 100), or None."""
    for i, deviation in enumerate(history):
        n = i + 1
        if n < 3 or deviation > precision:
            continue
        k = look_ahead if n <= 100 else int(math.floor(look_ahead * n / 100))
        window = history[i: i + k + 1]
        if len(window) < k + 1:
            return None
        if all(d <= precision for d in window):
            return n
    return None
