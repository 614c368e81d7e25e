"""Benchmark of national runs (issue 12): the shipped national scenario (4 crossing points) x 30
replications, on 2 cores (process pool) and through a Dask LocalCluster of 2 workers bound to
127.0.0.1; the same results either way.

    .venv/bin/python benchmarks/bench_national.py [--replications 30] [--repeats 2]

Prints figures; asserts nothing (tests never time things). Bars: <= 60 s on 2 cores; Dask
overhead against the pool < 10% (issue 19; was 15%).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tipkit.sim.experiments.network import run_nationals       # noqa: E402
from tipkit.sim.model.national import load_national            # noqa: E402
from tipkit.sim.model.population import load_population        # noqa: E402

NATIONAL = ROOT / "scenarios" / "national" / "national-baseline.yaml"


def run(national, population, replications, **where):
    t0 = time.perf_counter()
    runs = run_nationals({national.name: national}, population, 1, replications, **where)
    return time.perf_counter() - t0, runs[national.name].table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=30)
    parser.add_argument("--repeats", type=int, default=2, help="runs of each; the best counts")
    parser.add_argument("--population", type=Path, default=None,
                        help="a release folder (default: releases/iom-2018)")
    args = parser.parse_args()
    national = load_national(NATIONAL)
    population = load_population(args.population)
    travellers = sum(p.scenario.arrivals.daily_volume * p.scenario.run.days
                     for p in national.points)
    print(f"national: {len(national.points)} points ({', '.join(national.point_names)}), "
          f"{args.replications} replications, about {travellers:,.0f} travellers per national "
          f"replication; {os.cpu_count()} cores")
    import dask
    from distributed import LocalCluster

    cluster_options = dict(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                           dashboard_address=None)
    t0 = time.perf_counter()
    # the second cluster's workers as docs/simulation.md suggests starting them: without the
    # worker's statistical profiler (its sampling thread costs CPU-bound tasks a few %)
    with LocalCluster(**cluster_options) as cluster, \
            dask.config.set({"distributed.worker.profile.enabled": False}), \
            LocalCluster(**cluster_options) as quiet:
        start = time.perf_counter() - t0
        executors = {"2 cores (process pool)": {"workers": 2},
                     "Dask LocalCluster (2 workers)": {"scheduler": cluster.scheduler_address},
                     "Dask, workers' profiler off": {"scheduler": quiet.scheduler_address}}
        # the machine may be shared: executors take turns, and each one's best run counts
        walls = {label: [] for label in executors}
        tables = {}
        for _ in range(args.repeats):
            print(f"  load average {os.getloadavg()[0]:.2f}")
            for label, where in executors.items():
                wall, tables[label] = run(national, population, args.replications, **where)
                walls[label].append(wall)
    best = {label: min(w) for label, w in walls.items()}
    for label, w in walls.items():
        print(f"  {label:<34} {best[label]:7.1f} s   (runs: {', '.join(f'{x:.1f}' for x in w)})")
    pool, on_dask, quiet_dask = best.values()
    print(f"  2 cores, 4 points x {args.replications} replications  {pool:7.1f} s   (bar: <= 60 s)")
    print(f"  Dask overhead against the pool     {100 * (on_dask / pool - 1):+6.1f}%  (bar: < 10%)")
    print(f"  same, workers' profiler off        {100 * (quiet_dask / pool - 1):+6.1f}%")
    print(f"  Dask clusters' start-up (not counted) {start:6.1f} s")
    first, *others = tables.values()
    print(f"  results identical across executors: {all(first.equals(o) for o in others)}")


if __name__ == "__main__":
    main()
