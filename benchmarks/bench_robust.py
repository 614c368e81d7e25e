"""Benchmark of decisions across calibrated worlds (issue 17, item 3): `compare --posterior` of 5
airport options x 50 worlds, and the shipped national question (`optimise`, where the next 20
specialist-trained officers go) with `--posterior` and 50 worlds.

    .venv/bin/python benchmarks/bench_robust.py [--draws 50] [--jobs 2] [--skip-national]

The posteriors are stand-ins for a calibration's (their format is posterior.csv's): 400 weighted
draws spread over the prior box of the assumptions `tipkit sim sensitivity` varies (each
assumption's `range` comment, else +-50%), with random weights, from a fixed seed. Prints
figures; asserts nothing. Bars: compare <= 3 min, national optimise <= 5 min, on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tipkit.sim.experiments import robustness                        # noqa: E402
from tipkit.sim.experiments.budget_runs import optimise_scenario       # noqa: E402
from tipkit.sim.experiments.runs import compare_scenarios, load        # noqa: E402
from tipkit.sim.experiments.sensitivity import assumption_factors      # noqa: E402

AIRPORT = [ROOT / "scenarios" / f"airport-{n}.yaml"
           for n in ("baseline", "train-half", "train-all", "train-none", "more-desks")]
NATIONAL = ROOT / "scenarios" / "national" / "national-baseline.yaml"
DECIDE = ("capital-airport.specialist_officers=0..12", "north-road.specialist_officers=0..6",
          "south-rail-road.specialist_officers=0..8", "seaport.specialist_officers=0..6")
CONSTRAINTS = ("specialist_officers<=20", "desk_wait_p95<=45")
ROWS = 400


def box_posterior(ranges: dict[str, tuple[float, float]], path: Path, seed: int) -> Path:
    """A stand-in posterior: ROWS points uniform over the box, Dirichlet weights."""
    rng = np.random.default_rng(seed)
    table = pd.DataFrame({k: rng.uniform(lo, hi, ROWS) for k, (lo, hi) in ranges.items()})
    table["weight"] = rng.dirichlet(np.full(ROWS, 2.0))
    table.to_csv(path, index=False)
    return path


def airport_ranges() -> dict[str, tuple[float, float]]:
    loaded = load(AIRPORT)
    return {f.key: (f.low, f.high) for f in assumption_factors(loaded.scenarios, loaded.sources)
            if f.varied}


def national_ranges() -> dict[str, tuple[float, float]]:
    """Victims a day and, at each point, what specialist-trained officers notice (+-50%)."""
    from tipkit.sim.model.national import load_national

    national = load_national(NATIONAL)
    ranges = {"victims_per_day": (15.0, 45.0)}
    for point in national.points:
        for what in ("document", "control"):
            value = getattr(point.scenario.screening.specialist, what)
            ranges[f"{point.name}.screening.specialist.{what}"] = (value * 0.5,
                                                                    min(1.0, value * 1.5))
    return ranges


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=50)
    parser.add_argument("--draw-replications", type=int, default=2)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--skip-national", action="store_true")
    parser.add_argument("--skip-compare", action="store_true")
    parser.add_argument("--keep", type=Path, default=None,
                        help="write the results folders here (a new folder) to look at")
    args = parser.parse_args()
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory() as tmp:
        where = args.keep or Path(tmp)
        where.mkdir(parents=True, exist_ok=True)
        if not args.skip_compare:
            _compare(args, where)
        if not args.skip_national:
            _optimise(args, where)


def _compare(args, tmp: Path) -> None:
    ranges = airport_ranges()
    posterior = box_posterior(ranges, tmp / "airport-posterior.csv", 1)
    t0, c0 = time.perf_counter(), _cpu()
    _, folder = compare_scenarios(AIRPORT, seed=1, out=tmp / "compare", workers=args.jobs,
                                  posterior=posterior, draws=args.draws,
                                  draw_replications=args.draw_replications)
    took, cpu = time.perf_counter() - t0, _cpu() - c0
    print(f"\ncompare --posterior: {len(AIRPORT)} airport options x {args.draws} worlds x "
          f"{args.draw_replications} days, {len(ranges)} assumptions varied: {took:.1f} s "
          f"(bar 180 s); {cpu:.0f} core-seconds, {cpu / 2:.0f} s on 2 idle cores; load "
          f"average now {os.getloadavg()[0]:.2f}")
    for line in _sentences(folder):
        print(f"  {line}")


def _optimise(args, tmp: Path) -> None:
    posterior = box_posterior(national_ranges(), tmp / "national-posterior.csv", 2)
    timed = {}
    inner = robustness.across_finalists

    def across(*a, **k):
        start, cpu = time.perf_counter(), _cpu()
        try:
            return inner(*a, **k)
        finally:
            timed["worlds"] = time.perf_counter() - start
            timed["worlds_cpu"] = _cpu() - cpu

    robustness.across_finalists = across
    t0, c0 = time.perf_counter(), _cpu()
    _, folder = optimise_scenario(NATIONAL, budget="+52000", decide=DECIDE,
                                  constraints=CONSTRAINTS, seed=1, out=tmp / "optimise",
                                  workers=args.jobs, posterior=posterior, draws=args.draws,
                                  draw_replications=args.draw_replications)
    took, cpu = time.perf_counter() - t0, _cpu() - c0
    print(f"\noptimise --posterior, the shipped national question, {args.draws} worlds: "
          f"{took:.1f} s in all (bar 300 s), of which the search {took - timed['worlds']:.1f} s "
          f"and the finalists across the worlds {timed['worlds']:.1f} s; {cpu:.0f} "
          f"core-seconds in all, {cpu / 2:.0f} s on 2 idle cores (the worlds: "
          f"{timed['worlds_cpu']:.0f} core-seconds); load average now "
          f"{os.getloadavg()[0]:.2f}")
    for line in _sentences(folder):
        print(f"  {line}")
    print(pd.read_csv(folder / "robustness.csv").to_string(index=False))


def _cpu() -> float:
    """Core-seconds used so far by this process and its finished worker processes: under load
    from other work, half of it is about what 2 idle cores would take."""
    return sum(resource.getrusage(who).ru_utime + resource.getrusage(who).ru_stime
               for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))


def _sentences(folder: Path) -> list[str]:
    from tipkit.sim.experiments.robust_runs import robustness_lines

    return robustness_lines(folder)


if __name__ == "__main__":
    main()
