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
from tipkit.sim.experiments.designs import sweep                     # noqa: E402
from tipkit.sim.model.population import load_population            # noqa: E402
from tipkit.sim.model.scenario_files import load_scenario  # noqa: E402

AXES = {"officers": [6, 8, 10, 12, 14], "training.specialist_share": [0, 0.25, 0.5, 1]}


def run(**where):
    t0 = time.perf_counter()
    result = sweep(BASE, AXES, POPULATION, 1, REPLICATIONS, **where)
    return time.perf_counter() - t0, result.results


def main() -> None:
    global BASE, POPULATION, REPLICATIONS
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--population", type=Path, default=None)
    parser.add_argument("--replications", type=int, default=30)
    parser.add_argument("--repeats", type=int, default=2, help="runs of each; the best counts")
    args = parser.parse_args()
    REPLICATIONS = args.replications
    BASE = load_scenario(ROOT / "scenarios/airport-baseline.yaml").with_values(
        {"victims.transport": ["plane", "bus"]})
    with tempfile.TemporaryDirectory() as tmp:
        POPULATION = load_population(args.population or fixture_release(Path(tmp)))
        cells = len(AXES["officers"]) * len(AXES["training.specialist_share"])
        print(f"sweep: {cells} cells x {REPLICATIONS} replications of one airport day "
              f"({BASE.arrivals.daily_volume:,.0f} arrivals), {os.cpu_count()} cores")
        from distributed import LocalCluster
        t0 = time.perf_counter()
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                          dashboard_address=None) as cluster:
            start = time.perf_counter() - t0
            executors = {"1 core (in process)": {"workers": 1},
                         "2 cores (process pool)": {"workers": 2},
                         "Dask LocalCluster (2 workers)":
                             {"scheduler": cluster.scheduler_address}}
            # the machine may be shared: executors take turns, and each one's best run counts
            walls = {label: [] for label in executors}
            tables = {}
            for _ in range(args.repeats):
                print(f"  load average {os.getloadavg()[0]:.2f}")
                for label, where in executors.items():
                    wall, tables[label] = run(**where)
                    walls[label].append(wall)
        best = {label: min(w) for label, w in walls.items()}
        for label, w in walls.items():
            print(f"  {label:<34} {best[label]:7.1f} s   (runs: "
                  f"{', '.join(f'{x:.1f}' for x in w)})")
        one, two, dask = best.values()
        print(f"  speed-up 2 cores / 1 core          {one / two:7.2f}x  (bar: >= 1.8x)")
        print(f"  Dask overhead against the pool     {100 * (dask / two - 1):+6.1f}%  "
              f"(bar: < 15%)")
        print(f"  Dask cluster start-up (not counted) {start:6.1f} s")
        first, *others = tables.values()
        print(f"  results identical across executors: {all(first.equals(t) for t in others)}")


if __name__ == "__main__":
    main()
