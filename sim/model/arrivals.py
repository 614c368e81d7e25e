"""Arrival times, an hour at a time: a time-varying Poisson process by hour, or flight banks
(plane loads deboarding a few seconds apart, then a walk to the hall)."""

from __future__ import annotations

import math
from typing import Iterator

import numpy as np

from tipkit.sim.model.scenario import Arrivals

HOUR = 3600.0


def arrival_blocks(arrivals: Arrivals, days: float, rng: np.random.Generator,
                   flights: list | None = None) -> Iterator[np.ndarray]:
    """Sorted arrival times (seconds from the start), one array per hour of the run, so memory
    holds an hour of travellers at most. `flights`, if given, receives each hour's flights as
    (time the first passenger could reach the hall: landing plus walk, passengers aboard)."""
    if arrivals.pattern == "flights":
        yield from _flight_banks(arrivals, days, rng, record=flights)
    else:
        yield from _hourly_poisson(arrivals, days, rng)


def _hourly_poisson(arrivals: Arrivals, days: float, rng: np.random.Generator):
    volume = arrivals.hourly_volume()
    end = days * 86400
    for hour in range(math.ceil(days * 24)):
        n = rng.poisson(volume[hour % 24])
        times = np.sort(rng.random(n)) * HOUR + hour * HOUR
        yield times[times < end]


def _flight_banks(arrivals: Arrivals, days: float, rng: np.random.Generator,
                  record: list | None = None):
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
        if record is not None:
            record.append((landed + walk, loads))
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


def fresh_flights(arrivals: Arrivals, days: float, rng: np.random.Generator, runs: int
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The flights of `runs` new runs drawn at once, as (landing plus walk, passengers aboard,
    run): each run's flights have the distribution of _flight_banks' flights."""
    volume = np.asarray(arrivals.hourly_volume())
    hours = math.ceil(days * 24)
    per_hour = rng.poisson(np.broadcast_to(volume[np.arange(hours) % 24]
                                           / arrivals.passengers_per_flight, (runs, hours)))
    total = int(per_hour.sum())
    run = np.repeat(np.arange(runs), per_hour.sum(axis=1))
    hour = np.repeat(np.tile(np.arange(hours), runs), per_hour.ravel())
    landed = hour * HOUR + rng.random(total) * HOUR
    walk_lo, walk_hi = arrivals.walk_minutes
    walk = (walk_lo + (walk_hi - walk_lo) * rng.random(total)) * 60
    return landed + walk, rng.poisson(arrivals.passengers_per_flight, total), run


def fresh_hourly_counts(arrivals: Arrivals, days: float, rng: np.random.Generator, runs: int,
                        step: float, block: int) -> Iterator[np.ndarray]:
    """Travellers arriving in each `step` seconds (a divisor of an hour) of `runs` new runs of
    the hourly Poisson pattern, `block` steps at a time (runs x steps): independent Poisson
    counts, as the uniform times of _hourly_poisson's Poisson count per hour give, none after
    the end."""
    volume = np.asarray(arrivals.hourly_volume())
    end = days * 86400
    starts = np.arange(math.ceil(end / step)) * step
    length = np.minimum(starts + step, end) - starts
    mean = volume[(starts // HOUR).astype(np.int64) % 24] * length / HOUR
    for first in range(0, len(mean), block):
        part = mean[first:first + block]
        yield rng.poisson(np.broadcast_to(part, (runs, len(part)))).astype(float)


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
