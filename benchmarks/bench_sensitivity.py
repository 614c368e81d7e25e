"""Benchmark of `tipkit sim sensitivity` with its defaults on the shipped airport training options
(baseline, train half, train all), and of the warm-up check on the land-border baseline.

    .venv/bin/python benchmarks/bench_sensitivity.py [--jobs 2] [--samples 8] [--replications 2]

Prints figures; asserts nothing (tests never time things).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tipkit.sim.experiments.runs import load, plan_sensitivity, run_sensitivity  # noqa: E402
from tipkit.sim.experiments.warmup import check_warmups  # noqa: E402

AIRPORT = [ROOT / "scenarios" / f"airport-{name}.yaml" for name in
           ("baseline", "train-half", "train-all")]
LAND = ROOT / "scenarios" / "land-border-baseline.yaml"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--samples", type=int, default=8)
    parser.add_argument("--replications", type=int, default=2)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        planned = plan_sensitivity(AIRPORT, samples=args.samples,
                                   replications=args.replications, seed=1,
                                   out=Path(tmp) / "sensitivity", workers=args.jobs)
        p = planned.plan
        result, _ = run_sensitivity(planned, workers=args.jobs)
        wall = time.perf_counter() - start
    print(f"sim sensitivity, airport baseline / train-half / train-all, {args.jobs} processes:")
    print(f"  {len(p.varied)} assumptions varied, {args.samples} trajectories = "
          f"{len(p.design) - 1} sample points x {args.replications} replications, "
          f"+ {p.nominal_replications} as written: {p.runs} airport days")
    print(f"  wall {wall:.1f} s ({p.runs / wall:.1f} airport days/s)")
    print(f"  {result.sentence()}")
    chance = result.indices[result.indices.factor == "chance"].set_index(
        ["outcome", "scenario"]).mu_star
    print("  chance's mu* (the noise yardstick): "
          + ", ".join(f"{o}/{s} {v:.3g}" for (o, s), v in chance.items()))

    loaded = load([LAND])
    start = time.perf_counter()
    checks = check_warmups(loaded.scenarios, loaded.population, 1, workers=args.jobs)
    wall = time.perf_counter() - start
    print(f"warm-up check (MSER-5, 10 replications), land-border baseline: {wall:.1f} s")
    for check in checks.values():
        print(f"  {check.sentence()}")


if __name__ == "__main__":
    main()
