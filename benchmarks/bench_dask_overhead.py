"""Where Dask's overhead on the national benchmark comes from (issue 19): the CPU time the same
replications of each national point take in a local process and on a Dask worker (as the nanny
starts it, with tipkit's malloc settings, and also without the worker's statistical profiler).
CPU time, unlike wall time, hardly moves with other load on a shared machine.

    .venv/bin/python benchmarks/bench_dask_overhead.py [--replications 4] [--repeats 3]

Prints figures; asserts nothing. The task thread's CPU is the simulation's own cost; the worker
process's CPU adds the worker's other threads (event loop, profiler), which compete for the
cores when every core runs a worker.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

NATIONAL = ROOT / "scenarios" / "national" / "national-baseline.yaml"


def timed_points(replications: int, fix_malloc: bool) -> tuple[float, float]:
    """(thread CPU, process CPU) seconds of `replications` of every national point, here."""
    from tipkit.sim.experiments.replications import roomy_malloc
    from tipkit.sim.model.border import simulate
    from tipkit.sim.model.national import deal_legs, load_national, routed_points
    from tipkit.sim.model.population import load_population

    if fix_malloc:
        roomy_malloc()
    national = load_national(NATIONAL)
    legs = deal_legs(national, load_population(None), 1)
    points = routed_points(national, legs, 1)
    for p in points:                                    # imports and caches warm
        simulate(p.scenario, legs[p.legs], p.seed, 99)
    thread, process = time.thread_time(), time.process_time()
    for p in points:
        for r in range(replications):
            simulate(p.scenario, legs[p.legs], p.seed, r)
    return time.thread_time() - thread, time.process_time() - process


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=3, help="the least CPU of each counts")
    args = parser.parse_args()
    import dask
    from distributed import Client, LocalCluster

    runs: dict[str, list] = {}
    for label, profile in (("Dask worker, profiler on (default)", True),
                           ("Dask worker, profiler off", False)):
        with dask.config.set({"distributed.worker.profile.enabled": profile}), \
                LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                             host="127.0.0.1", dashboard_address=None) as cluster, \
                Client(cluster) as client:
            if profile:      # malloc as the nanny sets it first: the fix cannot be undone
                runs["Dask worker as started (nanny's malloc)"] = [
                    client.submit(timed_points, args.replications, False, pure=False).result()
                    for _ in range(args.repeats)]
            runs[f"{label}, tipkit's malloc"] = [
                client.submit(timed_points, args.replications, True, pure=False).result()
                for _ in range(args.repeats)]
    runs["local process"] = [timed_points(args.replications, False)
                             for _ in range(args.repeats)]
    local = min(t for t, _ in runs["local process"])
    print(f"CPU seconds for {args.replications} replications of each of the 4 national points "
          f"(least of {args.repeats}):")
    for label, values in runs.items():
        thread = min(t for t, _ in values)
        process = min(p for _, p in values)
        print(f"  {label:<52} task {thread:6.2f} s ({100 * (thread / local - 1):+5.1f}%)   "
              f"process {process:6.2f} s ({100 * (process / local - 1):+5.1f}%)")


if __name__ == "__main__":
    main()
