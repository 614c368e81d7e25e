"""Arrival times, an hour at a time: a time-varying Poisson process by hour, or flight banks
(plane loads deboarding a few seconds apart, then a walk to the hall)."""

from __future__ import annotations

import math
from typing import Iterator

import numpy as np

from tipkit.sim.model.scenario import Arrivals

HOUR = 3600.0


def arrival_blocks(arrivals: Arrivals, days: float, rng: np.random.Generator
                   ) -> Iterator[np.ndarray]:
    """Sorted arrival times (seconds from the start), one array per hour of the run, so memory
    holds an hour of travellers at most."""
    if arrivals.pattern == "flights":
        yield from _flight_banks(arrivals, days, rng)
    else:
        yield from _hourly_poisson(arrivals, days, rng)


def _hourly_poisson(arrivals: Arrivals, days: float, rng: np.random.Generator):
    volume = arrivals.hourly_volume()
    end = days * 86400
    for hour in range(math.ceil(days * 24)):
        n = rng.poisson(volume[hour % 24])
        times = np.sort(rng.random(n)) * HOUR + hour * HOUR
        yield times[times < end]


def _flight_banks(arrivals: Arrivals, days: float, rng: np.random.Generator):
    volume = arrivals.hourly_volume()
    per_flight = arrivals.passengers_per_flight
    gap_lo, gap_hi = arrivals.deboarding_gap_seconds
    walk_lo, walk_hi = arrivals.walk_minutes
    end = days * 86400
    waiting = np.empty(0)
    for hour in range(math.ceil(days * 24)):
        flights = rng.poisson(volume[hour % 24] / per_flight)
        landed = hour * HOUR + rng.random(flights) * HOUR
        walk = (walk_lo + (walk_hi - walk_lo) * rng.random(flights)) * 60
        loads = rng.poisson(per_flight, flights)
        gaps = gap_lo + (gap_hi - gap_lo) * rng.random(int(loads.sum()))
        # each passenger leaves the plane after those in front: gaps accumulate within a flight
        within = _cumsum_by_group(gaps, loads)
        times = np.repeat(landed + walk, loads) + within
        waiting = np.sort(np.concatenate([waiting, times]))
        boundary = (hour + 1) * HOUR
        cut = np.searchsorted(waiting, boundary)
        ready, waiting = waiting[:cut], waiting[cut:]
        yield ready[ready < end]
    yield waiting[waiting < end]


def _cumsum_by_group(values: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Running sums that restart at each group (groups are consecutive, of the given sizes)."""
    if len(values) == 0:
        return values
    total = np.cumsum(values)
    starts = np.cumsum(sizes) - sizes
    nonempty = sizes > 0
    offsets = np.zeros(len(sizes))
    offsets[nonempty] = total[starts[nonempty]] - values[starts[nonempty]]
    return total - np.repeat(offsets, sizes)
