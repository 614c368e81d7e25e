"""A fluid model of the desk queue: a run's arrivals as a flow, minute by minute, served at the
desks' rate, and the first-come-first-served waits of that flow (one row per run).

Used as a control variate (sim.model.control). The desks serve faster under time pressure, as
the model's officers do, and fewer officers serve at night. The flow keeps what makes one day's queue differ from another's (how many flights land in the
peak hours, and when), and drops what averages out over thousands of travellers (each service
time, each deboarding gap). So its mean wait follows the simulated one closely, in the same unit.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import ndtr

from tipkit.sim.model.scenario import Arrivals, Duration, Scenario

BIN = 60.0          # seconds: the flow is counted by the minute
HOUR = 3600.0
CELLS = 1_000_000   # rows x minutes computed at once: a few tens of MB however long the run


def bins_of(days: float) -> int:
    """Minutes in a run of `days` (the last one may be partial)."""
    return math.ceil(days * 86400 / BIN)


def counted_inflow(times: np.ndarray, days: float) -> np.ndarray:
    """Travellers arriving in each minute of one run, from their arrival times: one row."""
    bins = bins_of(days)
    index = np.minimum((times // BIN).astype(np.int64), bins - 1)
    return np.bincount(index, minlength=bins).astype(float)[None, :]


def flight_inflow(starts: np.ndarray, loads: np.ndarray, rows: np.ndarray, runs: int,
                  arrivals: Arrivals, days: float) -> np.ndarray:
    """Travellers arriving in each minute (runs x minutes) when each flight's passengers reach
    the hall one mean deboarding gap apart from `starts` (landing plus walk); the run's end cuts
    the flow, as it cuts the travellers."""
    bins = bins_of(days)
    end = days * 86400
    gap = sum(arrivals.deboarding_gap_seconds) / 2
    spread = loads * gap
    begin, finish = np.minimum(starts, end), np.minimum(starts + spread, end)
    rate = np.divide(loads, spread, out=np.zeros(len(loads)), where=spread > 0)
    # the flow is piecewise constant: each start raises it by `rate`, each finish lowers it.
    # A change at time b in minute j adds rate * (end of minute j - b) to minute j and
    # rate * BIN to every later minute.
    instant = np.where(spread > 0, 0.0, loads * (starts < end))   # a zero gap lands at once
    part = np.zeros(runs * bins)
    step = np.zeros(runs * bins)
    for at, sign in ((begin, 1.0), (finish, -1.0)):
        minute = np.minimum((at // BIN).astype(np.int64), bins - 1)
        cell = rows * bins + minute
        part += np.bincount(cell, sign * rate * ((minute + 1) * BIN - at), runs * bins)
        step += np.bincount(cell, sign * rate * BIN, runs * bins)
    minute = np.minimum((begin // BIN).astype(np.int64), bins - 1)
    part += np.bincount(rows * bins + minute, instant, runs * bins)
    step = step.reshape(runs, bins)
    return part.reshape(runs, bins) + np.cumsum(step, axis=1) - step


def expected_service(duration: Duration) -> float:
    """The mean of a duration after its cap (closed form for the lognormal and exponential)."""
    cap = duration.cap
    if duration.distribution == "exponential":
        mean = float(duration.mean)
        return mean if cap is None else mean * -math.expm1(-cap / mean)
    if cap is None:
        return duration.expected
    mu, sigma = math.log(duration.median), duration.sigma
    if sigma == 0:
        return min(float(duration.median), cap)
    z = (math.log(cap) - mu) / sigma
    return duration.expected * float(ndtr(z - sigma)) + cap * float(1 - ndtr(z))


def desk_share(scenario: Scenario) -> float:
    """The share of arrivals that reach a desk: all but the e-gate users whose gate works."""
    gates = scenario.egates
    chose = gates.eligible_share if gates.gates else 0.0
    return 1.0 - chose + chose * gates.failure_share


def fluid_waits(inflow: np.ndarray, scenario: Scenario) -> np.ndarray:
    """(runs x 3): the flow's mean wait (min), 95th percentile (min) and share within the desk
    target, over travellers arriving after the warm-up; a run with none counts as no wait."""
    step = runs_at_once(inflow.shape[1])
    out = [_waits(inflow[start:start + step], scenario) for start in range(0, len(inflow), step)]
    return np.concatenate(out) if out else np.zeros((0, 3))


def runs_at_once(bins: int) -> int:
    """How many runs of `bins` minutes to compute together."""
    return max(1, CELLS // max(bins, 1))


def _waits(inflow: np.ndarray, s: Scenario) -> np.ndarray:
    runs, bins = inflow.shape
    flow = inflow * desk_share(s)
    seconds = expected_service(s.desk.service_seconds) + float(np.mean(
        [getattr(s.screening, level).extra_seconds for level in s.officer_levels()]))
    night = s.night_shift
    officers = [night.officers if night is not None and night.covers(hour) else s.officers
                for hour in range(24)]
    # travellers the desks serve in each minute of the day, unhurried
    served = np.repeat(np.array(officers, dtype=float) * BIN / seconds, int(HOUR / BIN))
    queue = _queue(flow, served, s.time_pressure.speed_up, s.time_pressure.full_at_queue)
    total = queue.shape[1]
    arrived = np.zeros((runs, total + 1))
    np.cumsum(flow, axis=1, out=arrived[:, 1:bins + 1])
    arrived[:, bins + 1:] = arrived[:, bins:bins + 1]
    left = arrived.copy()
    left[:, 1:] -= queue
    np.maximum.accumulate(left, axis=1, out=left)
    # first come, first served: the middle traveller of minute k leaves when the departures
    # reach their place among the arrivals (linear within a minute)
    place = arrived[:, :bins] + flow / 2
    leave = _crossing_times(left, place)
    waits = np.maximum(leave - (np.arange(bins) + 0.5) * BIN, 0.0) / 60
    first = min(int(s.run.warmup_hours * HOUR // BIN), bins)
    return _summaries(flow[:, first:], waits[:, first:], s.desk.target_minutes)


def _queue(flow: np.ndarray, served: np.ndarray, speed_up: float, full_at: float
           ) -> np.ndarray:
    """The fluid queue at the end of each minute, until every row has emptied after the last
    arrivals. A minute serves `served` travellers, more under the pressure of the queue at its
    start, as the model's officers do: / (1 - speed_up * min(1, queue / full_at))."""
    runs, bins = flow.shape
    by_minute = np.ascontiguousarray(flow.T)
    day = len(served)
    queues = [np.zeros(runs)]
    slowest = 1.0 - speed_up
    capacity = np.empty(runs)
    k = 0
    while k < bins or queues[-1].max() > 0:
        queue = queues[-1]
        # 1 - speed_up * min(1, queue / full_at), then what the minute serves
        np.multiply(queue, -speed_up / full_at, out=capacity)
        capacity += 1.0
        np.maximum(capacity, slowest, out=capacity)
        np.divide(served[k % day], capacity, out=capacity)
        after = queue + by_minute[k] if k < bins else queue.copy()
        after -= capacity
        np.maximum(after, 0.0, out=after)
        queues.append(after)
        k += 1
    return np.stack(queues[1:], axis=1) if k else np.zeros((runs, 0))


def _crossing_times(left: np.ndarray, place: np.ndarray) -> np.ndarray:
    """Per row, the time (s) at which the cumulative departures `left` (at minute edges,
    nondecreasing) reach each of `place`, by linear interpolation within a minute."""
    runs, edges = left.shape
    # one sorted array for all rows: each row shifted above the one before
    shift = (np.arange(runs) * (float(left[:, -1].max(initial=0.0)) + 1.0))[:, None]
    found = np.searchsorted((left + shift).ravel(), (place + shift).ravel(), side="left")
    edge = np.clip(found.reshape(place.shape) - np.arange(runs)[:, None] * edges, 1, edges - 1)
    before = np.take_along_axis(left, edge - 1, axis=1)
    after = np.take_along_axis(left, edge, axis=1)
    width = after - before
    within = np.divide(place - before, width, out=np.ones_like(place), where=width > 0)
    return (edge - 1 + np.clip(within, 0.0, 1.0)) * BIN


def _summaries(flow: np.ndarray, waits: np.ndarray, target_minutes: float) -> np.ndarray:
    """Flow-weighted mean, 95th percentile and share under the target of each row's waits."""
    runs = len(flow)
    total = flow.sum(axis=1)
    some = total > 0
    weight = np.divide(flow, total[:, None], out=np.zeros_like(flow), where=some[:, None])
    mean = (weight * waits).sum(axis=1)
    within = (weight * (waits < target_minutes)).sum(axis=1)
    order = np.argsort(waits, axis=1, kind="stable")
    reached = np.cumsum(np.take_along_axis(weight, order, axis=1), axis=1)
    rank = np.minimum((reached < 0.95).sum(axis=1), max(waits.shape[1] - 1, 0))
    p95 = (np.take_along_axis(waits, order, axis=1)[np.arange(runs), rank]
           if waits.shape[1] else np.zeros(runs))
    out = np.stack([mean, p95, within], axis=1)
    out[~some] = (0.0, 0.0, 1.0)     # nobody counted: no wait
    return out
