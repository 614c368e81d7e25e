"""A fluid model of the desk queue: a run's arrivals as a flow, counted two minutes at a time,
served at the desks' rate, and the first-come-first-served waits of that flow (a row per run).

Used as a control variate (sim.model.control). The desks serve faster under time pressure, as
the model's officers do, and fewer officers serve at night. The flow keeps what makes one day's
queue differ from another's (how many flights land in the peak hours, and when) and drops what
averages out over thousands of travellers (each service time, each deboarding gap), so its
waits follow the simulated ones closely, in the same unit.
"""

from __future__ import annotations

import math
from typing import Iterable, Iterator

import numpy as np
from scipy.special import ndtr

from tipkit.sim.model.scenario import Arrivals, Duration, Scenario

# Seconds in a step of the flow. Two minutes follow the queue nearly as closely as one, at half
# the cost: the mean wait's variance left is 1.95% against 1.93% of the counted one's at the
# airport, 19% against 17% at the land border (five minutes: 24%).
STEP = 120.0
HOUR = 3600.0
BLOCK = 60          # steps computed at once, so that memory stays small however long the run
# The waits kept for the 95th percentile: bins 2% wide from 1 second to a day (longer waits
# share the last), so that short and long waits are both kept to 2%.
WAIT_EDGES = np.concatenate([[0.0], (1 / 60) * 1.02 ** np.arange(575)])


def steps_of(days: float) -> int:
    """Steps in a run of `days` (the last one may be partial)."""
    return math.ceil(days * 86400 / STEP)


def add_step_counts(counts: np.ndarray, times: np.ndarray) -> None:
    """Count `times` (seconds, within the run) into `counts`, one per step."""
    if len(times):
        index = np.minimum((times // STEP).astype(np.int64), len(counts) - 1)
        first = int(index.min())
        found = np.bincount(index - first)
        counts[first:first + len(found)] += found


def step_blocks(inflow: np.ndarray) -> Iterator[np.ndarray]:
    """A (runs x steps) flow cut into consecutive blocks of steps."""
    for start in range(0, inflow.shape[1], BLOCK):
        yield inflow[:, start:start + BLOCK]


def flight_blocks(starts: np.ndarray, loads: np.ndarray, rows: np.ndarray, runs: int,
                  arrivals: Arrivals, days: float) -> Iterator[np.ndarray]:
    """Travellers arriving in each step (runs x steps, block by block) when each flight's
    passengers reach the hall one mean deboarding gap apart from `starts` (landing plus walk);
    the run's end cuts the flow, as it cuts the travellers."""
    steps = steps_of(days)
    end = days * 86400
    gap = sum(arrivals.deboarding_gap_seconds) / 2
    spread = loads * gap
    rate = np.divide(loads, spread, out=np.zeros(len(loads)), where=spread > 0)
    # The flow is piecewise constant: each start raises it by `rate`, each finish lowers it.
    # A change at time t in step j adds rate * (end of step j - t) to step j and rate * STEP
    # to every later step. A zero gap lands everyone at once.
    at = np.concatenate([np.minimum(starts, end), np.minimum(starts + spread, end), starts])
    jump = np.concatenate([rate, -rate, np.zeros(len(rate))])
    lump = np.concatenate([np.zeros(2 * len(rate)), np.where(spread > 0, 0.0, loads)])
    lump[at >= end] = 0.0
    row = np.concatenate([rows, rows, rows])
    step = np.minimum((at // STEP).astype(np.int64), steps - 1)
    order = np.argsort(step, kind="stable")
    at, jump, lump, row, step = at[order], jump[order], lump[order], row[order], step[order]
    level = np.zeros(runs)          # travellers a step, from changes in earlier blocks
    for start in range(0, steps, BLOCK):
        width = min(BLOCK, steps - start)
        lo, hi = np.searchsorted(step, [start, start + width])
        cell = row[lo:hi] * width + (step[lo:hi] - start)
        size = runs * width
        part = np.bincount(cell, jump[lo:hi] * ((step[lo:hi] + 1) * STEP - at[lo:hi])
                           + lump[lo:hi], size).reshape(runs, width)
        slope = np.bincount(cell, jump[lo:hi] * STEP, size).reshape(runs, width)
        yield np.maximum(part + level[:, None] + np.cumsum(slope, axis=1) - slope, 0.0)
        level = level + slope.sum(axis=1)


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


def fluid_waits(inflow: np.ndarray | Iterable[np.ndarray], scenario: Scenario) -> np.ndarray:
    """(runs x 3): the flow's mean wait (min), 95th percentile (min) and share within the desk
    target, over travellers arriving after the warm-up; a run with none counts as no wait.
    `inflow`: travellers arriving in each step (runs x steps), whole or in consecutive blocks.

    The steps are computed a block at a time, carrying the queue and the travellers still
    waiting: memory holds a block and the longest wait, however long the run."""
    s = scenario
    blocks = iter(step_blocks(inflow) if isinstance(inflow, np.ndarray) else inflow)
    block = next(blocks, None)
    if block is None:
        return np.zeros((0, 3))
    runs = len(block)
    share = desk_share(s)
    seconds = expected_service(s.desk.service_seconds) + float(np.mean(
        [getattr(s.screening, level).extra_seconds for level in s.officer_levels()]))
    night = s.night_shift
    officers = [night.officers if night is not None and night.covers(hour) else s.officers
                for hour in range(24)]
    # travellers the desks serve in each step of the day, unhurried
    served = np.repeat(np.array(officers, dtype=float) * STEP / seconds, int(HOUR / STEP))
    counted_from = int(s.run.warmup_hours * HOUR // STEP)
    target = s.desk.target_minutes
    queue, arrived = np.zeros(runs), np.zeros(runs)
    waiting = (np.zeros((runs, 0)),) * 3     # place, arrival time, weight of cohorts in queue
    sums = np.zeros((3, runs))               # counted travellers, their waits, within target
    histogram = np.zeros(runs * len(WAIT_EDGES))
    step = 0
    while block is not None or queue.max() > 0:
        flow = (block if block is not None else np.zeros((runs, BLOCK))) * share
        width = flow.shape[1]
        queues = _queue(flow, queue, served, step, s.time_pressure.speed_up,
                        s.time_pressure.full_at_queue)
        came = np.empty((runs, width + 1))        # cumulative arrivals at the steps' edges
        came[:, 0] = arrived
        np.cumsum(flow, axis=1, out=came[:, 1:])
        came[:, 1:] += arrived[:, None]
        left = came.copy()                        # cumulative departures
        left[:, 0] -= queue
        left[:, 1:] -= queues
        np.maximum.accumulate(left, axis=1, out=left)
        # first come, first served: a step's cohort (its middle traveller, at the step's
        # middle) leaves when the departures reach its place among the arrivals
        steps = step + np.arange(width)
        place = np.hstack([waiting[0], came[:, :-1] + flow / 2])
        arrival = np.hstack([waiting[1], np.broadcast_to((steps + 0.5) * STEP, flow.shape)])
        weight = np.hstack([waiting[2], flow * (steps >= counted_from)])
        crossed = place <= left[:, -1:] * (1 + 1e-12) + 1e-9
        wait = np.where(crossed, np.maximum(_crossing_times(left, place, step) - arrival, 0.0)
                        / 60, 0.0)
        w = np.where(crossed, weight, 0.0)
        sums += (w.sum(axis=1), (w * wait).sum(axis=1), (w * (wait < target)).sum(axis=1))
        cell = np.searchsorted(WAIT_EDGES, wait, side="right") - 1
        histogram += np.bincount((np.arange(runs)[:, None] * len(WAIT_EDGES) + cell).ravel(),
                                 w.ravel(), runs * len(WAIT_EDGES))
        # keep the cohorts some row still has in the queue (those crossed weigh nothing)
        kept = int(crossed.sum(axis=1).min())
        waiting = (place[:, kept:], arrival[:, kept:], np.where(crossed, 0.0, weight)[:, kept:])
        queue, arrived = queues[:, -1].copy(), came[:, -1].copy()
        step += width
        block = next(blocks, None)
    return _summaries(sums, histogram.reshape(runs, len(WAIT_EDGES)))


def _queue(flow: np.ndarray, queue: np.ndarray, served: np.ndarray, step: int,
           speed_up: float, full_at: float) -> np.ndarray:
    """The fluid queue at the end of each step of a block, from `queue` at its start. A step
    serves `served` travellers (by step of the day), more under the pressure of the queue at
    its start, as the model's officers do: / (1 - speed_up * min(1, queue / full_at))."""
    runs, width = flow.shape
    by_step = np.ascontiguousarray(flow.T)
    out = np.empty((width, runs))
    capacity = np.empty(runs)
    slowest = 1.0 - speed_up
    day = len(served)
    for k in range(width):
        np.multiply(queue, -speed_up / full_at, out=capacity)
        capacity += 1.0
        np.maximum(capacity, slowest, out=capacity)
        np.divide(served[(step + k) % day], capacity, out=capacity)
        after = out[k]
        np.add(queue, by_step[k], out=after)
        after -= capacity
        np.maximum(after, 0.0, out=after)
        queue = after
    return out.T


def _crossing_times(left: np.ndarray, place: np.ndarray, step: int) -> np.ndarray:
    """Per row, the time (s) at which the cumulative departures `left` (at the edges of the
    steps from `step` on, nondecreasing) reach each of `place`, linear within a step;
    meaningless for a place beyond the last edge."""
    runs, edges = left.shape
    # one sorted array for all rows: each row shifted above the one before
    top = max(float(left.max(initial=0.0)), float(place.max(initial=0.0))) + 1.0
    shift = (np.arange(runs) * top)[:, None]
    found = np.searchsorted((left + shift).ravel(), (place + shift).ravel(), side="left")
    edge = np.clip(found.reshape(place.shape) - np.arange(runs)[:, None] * edges, 1, edges - 1)
    before = np.take_along_axis(left, edge - 1, axis=1)
    after = np.take_along_axis(left, edge, axis=1)
    width = after - before
    within = np.divide(place - before, width, out=np.ones_like(place), where=width > 0)
    return (step + edge - 1 + np.clip(within, 0.0, 1.0)) * STEP


def _summaries(sums: np.ndarray, histogram: np.ndarray) -> np.ndarray:
    """Mean, 95th percentile (linear within a histogram bin) and share under the target."""
    total, waited, within = sums
    some = total > 0
    safe = np.where(some, total, 1.0)
    reached = np.cumsum(histogram, axis=1)
    need = 0.95 * total
    cell = np.minimum((reached < need[:, None]).sum(axis=1), len(WAIT_EDGES) - 2)
    rows = np.arange(len(total))
    before = np.where(cell > 0, reached[rows, np.maximum(cell - 1, 0)], 0.0)
    inside = histogram[rows, cell]
    part = np.clip(np.divide(need - before, inside, out=np.ones_like(need), where=inside > 0),
                   0.0, 1.0)
    p95 = WAIT_EDGES[cell] + part * (WAIT_EDGES[cell + 1] - WAIT_EDGES[cell])
    out = np.stack([waited / safe, p95, within / safe], axis=1)
    out[~some] = (0.0, 0.0, 1.0)     # nobody counted: no wait
    return out
