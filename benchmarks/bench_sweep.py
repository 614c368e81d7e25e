"""Benchmark of what-if sweeps (issue 5): 20 cells x 30 replications of one airport day, on
1 core, on 2 cores (process pool) and through a Dask LocalCluster.

    .venv/bin/python benchmarks/bench_sweep.py [--population DIR] [--replications 30]

Prints figures; asserts nothing (tests never time things).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_sim import fixture_release                 # noqa: E402
from sim.experiments import sweep                     # noqa: E402
from sim.population import load_population            # noqa: E402
from sim.scenario import load_scenario                # noqa: E402

AXES = {"officers": [6, 8, 10, 12, 14], "training.specialist_share": [0, 0.25, 0.5, 1]}


def timed(label: str, **where):
    t0 = time.perf_counter()
    result = sweep(BASE, AXES, POPULATION, 1, REPLICATIONS, **where)
    wall = time.perf_counter() - t0
    print(f"  {label:<34} {wall:7.1f} s")
    return wall, result.results


def main() -> None:
    global BASE, POPULATION, REPLICATIONS
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--population", type=Path, default=None)
    parser.add_argument("--replications", type=int, default=30)
    args = parser.parse_args()
    REPLICATIONS = args.replications
    BASE = load_scenario(ROOT / "scenarios/airport-baseline.yaml").with_values(
        {"victims.transport": ["plane", "bus"]})
    with tempfile.TemporaryDirectory() as tmp:
        POPULATION = load_population(args.population or fixture_release(Path(tmp)))
        cells = len(AXES["officers"]) * len(AXES["training.specialist_share"])
        print(f"sweep: {cells} cells x {REPLICATIONS} replications of one airport day "
              f"({BASE.arrivals.daily_volume:,.0f} arrivals), {os.cpu_count()} cores")
        one, serial = timed("1 core (in process)", workers=1)
        two, pooled = timed("2 cores (process pool)", workers=2)
        print(f"  speed-up 2 cores / 1 core          {one / two:7.2f}x  (bar: >= 1.8x)")

        from distributed import LocalCluster
        t0 = time.perf_counter()
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                          dashboard_address=None) as cluster:
            start = time.perf_counter() - t0
            dask, remote = timed("Dask LocalCluster (2 workers)",
                                 scheduler=cluster.scheduler_address)
        print(f"  Dask cluster start-up (not counted) {start:6.1f} s")
        print(f"  Dask overhead against the pool     {100 * (dask / two - 1):+6.1f}%  "
              f"(bar: < 15%)")
        same = serial.equals(pooled) and serial.equals(remote)
        print(f"  results identical across executors: {same}")


if __name__ == "__main__":
    main()
