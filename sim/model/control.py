"""Desk waits by control variate: each replication's counted desk-wait KPIs, corrected by how far
its day's fluid queue (sim.model.fluid) fell from the fluid queue's mean on fresh days.

Why. The day-to-day spread of the mean desk wait (about half its mean at the airport) comes from
the arrivals: how many flights land in the peak hours, and when. A fluid model of the same
arrivals (sim.model.fluid) follows the simulated waits closely. With W a replication's counted
KPI, F the same KPI of the fluid queue of that replication's arrivals, and F'_1..F'_k that of k
fresh runs of arrivals (stream `fluid_days`, drawn afresh with the same distribution, independent
of the replication), the replication reports

    X = W - F + (F'_1 + ... + F'_k) / k.

E[X] = E[W] - E[F] + E[F'] = E[W]: unbiased for the same quantity (the expected KPI of a run),
however well or badly the fluid follows the simulation, because the coefficient of F is fixed at
1 (not estimated from the replications, which would bias it by O(1/n)). Each replication's X
depends on that replication's streams only, so replications stay independent and identically
distributed: t-intervals, paired differences on common random numbers (the fresh runs are common
too) and the replications algorithm apply to X as to any KPI, and the Monte Carlo error of the
fresh runs is part of each X, hence inside every interval. Var(X) = Var(W - F) + Var(F) / k: at
the airport baseline Var(W - F) is about 0.4% of Var(W), so the fresh runs' term dominates and
sets k.

The counted KPIs stay in replications.csv as `desk_wait_mean_direct` and the like. A run with no
counted traveller reports no wait for the fluid (0 minutes, all within the target); a KPI the run
leaves undefined (NaN) stays undefined.
"""

from __future__ import annotations

from typing import Iterator

import numpy as np

from tipkit.sim.model.arrivals import arrival_blocks, fresh_flights, fresh_hourly_counts
from tipkit.sim.model.fluid import (BLOCK, STEP, add_step_counts, flight_blocks, fluid_waits,
                                   step_blocks, steps_of)
from tipkit.sim.model.kpis import CONTROLLED
from tipkit.sim.model.scenario import Scenario
from tipkit.sim.model.streams import replication_stream

# Fresh runs per replication: Var(F)/k is then about 1.6% of the direct variance of a day's mean
# wait at the airport (a 50-fold reduction overall), for about 15% of a replication's time.
FRESH_RUNS = 64


def wait_corrections(scenario: Scenario, seed: int, replication: int) -> dict[str, float]:
    """What to add to each counted desk-wait KPI of a replication: the fresh runs' mean fluid
    value minus the fluid value of the replication's own arrivals."""
    own = own_inflow(scenario, replication_stream(seed, replication, "arrivals"))
    fresh = fresh_inflow(scenario, replication_stream(seed, replication, "fluid_days"),
                         FRESH_RUNS)
    # one fluid computation for all 1 + FRESH_RUNS runs, a block of steps at a time
    fluid = fluid_waits((np.vstack(pair) for pair in zip(own, fresh)), scenario)
    correction = fluid[1:].mean(axis=0) - fluid[0]      # columns in the order of CONTROLLED
    return dict(zip(CONTROLLED, correction.tolist()))


def own_inflow(scenario: Scenario, rng: np.random.Generator) -> Iterator[np.ndarray]:
    """The flow of a replication's own arrivals (one row, a block of steps at a time),
    replayed from the start of its `arrivals` stream: the travellers and flights it met."""
    arrivals, days = scenario.arrivals, scenario.run.days
    flights: list = []
    blocks = arrival_blocks(arrivals, days, rng, flights)
    if arrivals.pattern == "flights":
        for _ in blocks:                 # drawing the travellers records their flights
            pass
        starts = np.concatenate([f[0] for f in flights])
        loads = np.concatenate([f[1] for f in flights])
        return flight_blocks(starts, loads, np.zeros(len(starts), np.int64), 1, arrivals, days)
    counts = np.zeros(steps_of(days))
    for times in blocks:
        add_step_counts(counts, times)
    return step_blocks(counts[None, :])


def fresh_inflow(scenario: Scenario, rng: np.random.Generator, runs: int
                 ) -> Iterator[np.ndarray]:
    """The flows of `runs` fresh runs of arrivals (a row each, a block of steps at a time),
    with the distribution of own_inflow's."""
    arrivals, days = scenario.arrivals, scenario.run.days
    if arrivals.pattern == "flights":
        starts, loads, run = fresh_flights(arrivals, days, rng, runs)
        return flight_blocks(starts, loads, run, runs, arrivals, days)
    return fresh_hourly_counts(arrivals, days, rng, runs, STEP, BLOCK)
