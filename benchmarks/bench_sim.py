"""Benchmark of the border-crossing model (issue 4): throughput against bare SimPy, memory
against run length, and a 50,000-traveller airport day x 30 replications on all cores.

    .venv/bin/python benchmarks/bench_sim.py [--population DIR] [--quick]

Prints figures; asserts nothing (tests never time things).
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np
import simpy

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tipkit.sim.model.arrivals import arrival_blocks          # noqa: E402
from tipkit.sim.model.border import simulate                   # noqa: E402
from tipkit.sim.model.population import default_release, load_population  # noqa: E402
from tipkit.sim.experiments.replications import run_replications    # noqa: E402
from tipkit.sim.model.scenario import Scenario  # noqa: E402
from tipkit.sim.model.scenario_files import load_scenario  # noqa: E402
from tipkit.sim.model.streams import replication_streams      # noqa: E402
from tipkit.errors import UserError                            # noqa: E402

SERVERS, MEAN_SERVICE, RHO, DAYS = 10, 60.0, 0.9, 5


def bare_mmc(times: list[float], services: list[float], servers: int) -> int:
    """The floor any SimPy model pays: one process per customer, a Resource, a timeout."""
    env = simpy.Environment()
    desks = simpy.Resource(env, servers)
    served = [0]

    def customer(service):
        with desks.request() as req:
            yield req
            yield env.timeout(service)
        served[0] += 1

    def source():
        for t, s in zip(times, services):
            yield env.timeout(t - env.now)
            env.process(customer(s))

    env.process(source())
    env.run()
    return served[0]


def mmc_scenario() -> Scenario:
    daily = RHO * SERVERS / MEAN_SERVICE * 86400
    return Scenario.from_mapping({
        "name": "mmc-full", "arrivals": {"pattern": "hourly", "daily_volume": daily},
        "officers": SERVERS, "victims": {"share": 0.001},
        "training": {"basic_share": 0.3, "specialist_share": 0.2},
        "desk": {"service_seconds": {"distribution": "exponential", "mean": MEAN_SERVICE}},
        "screening": {lv: {"extra_seconds": 0} for lv in ("none", "basic", "specialist")},
        "time_pressure": {"full_at_queue": 100, "noticing_loss": 0.5, "speed_up": 0.0},
        "run": {"days": DAYS}})


def fixture_release(folder: Path) -> Path:
    """A smaller release built the way `make demo` builds the default one (2,000 cases)."""
    from tipkit.synth.published import default_figures
    from tipkit.synth.published.generate import Request, generate

    generate(Request(default_figures(), 2000, k=11, seed=7), folder / "release")
    return folder / "release"


def throughput(population, repeats: int) -> None:
    scenario = mmc_scenario()
    streams = replication_streams(1, 0)
    times = np.concatenate(list(arrival_blocks(scenario.arrivals, DAYS, streams["arrivals"])))
    services = (-MEAN_SERVICE * np.log1p(-streams["desk_service"].random(len(times)))).tolist()
    times = times.tolist()
    bare, full = [], []
    for _ in range(repeats):
        gc.collect()
        t0 = time.perf_counter()
        n = bare_mmc(times, services, SERVERS)
        bare.append(n / (time.perf_counter() - t0))
        gc.collect()
        t0 = time.perf_counter()
        tally = simulate(scenario, population, 1, 0)
        full.append(tally.travellers / (time.perf_counter() - t0))
    b, f = max(bare), max(full)
    print(f"throughput, M/M/{SERVERS} at rho {RHO}, {len(times):,} travellers, best of {repeats}:")
    print(f"  bare SimPy M/M/c     {b:>10,.0f} travellers/s")
    print(f"  full border model    {f:>10,.0f} travellers/s")
    print(f"  ratio full/bare      {f / b:>10.2f}   (bar: >= 0.60)")


def memory(population) -> None:
    print("memory (tracemalloc peak of one replication):")
    for days in (1, 4, 16):
        scenario = mmc_scenario().with_values({"run.days": days})
        gc.collect()
        tracemalloc.start()
        tally = simulate(scenario, population, 1, 0)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        print(f"  {days:>2} day(s), {tally.travellers:>9,} travellers: peak {peak / 2**20:6.1f} MiB")


def airport_day(population, replications: int) -> None:
    base = load_scenario(Path(__file__).resolve().parents[1] / "scenarios/airport-baseline.yaml")
    scenario = base.with_values({"arrivals.daily_volume": 50000, "officers": 60,
                                 "victims.transport": ["plane", "bus"]})
    t0 = time.perf_counter()
    table = run_replications(scenario, population, 1, replications, workers=os.cpu_count())
    wall = time.perf_counter() - t0
    print(f"airport day: 50,000 arrivals, 60 officers, {replications} replications on "
          f"{os.cpu_count()} cores: wall {wall:.1f} s "
          f"({table.travellers.sum() / wall:,.0f} travellers/s overall)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--population", type=Path, default=None)
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        # The committed default release, as the demo uses; a built fixture only without it.
        try:
            release = args.population or default_release()
        except UserError:
            release = fixture_release(Path(tmp))
        population = load_population(release)
        print(f"population: {release} ({len(population.profiles)} official-crossing legs)")
        throughput(population, 2 if args.quick else 5)
        memory(population)
        airport_day(population, 10 if args.quick else 30)


if __name__ == "__main__":
    main()
