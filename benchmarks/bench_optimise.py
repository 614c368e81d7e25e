"""Benchmark of `tipkit sim optimise` (issue 12): on a space of 240 options at one crossing point
(officers x specialist-trained officers x e-gates), ranking and selection against exhaustive
search run to the same replications on the same seeds: the same best option, and how many
replications each needs.

    .venv/bin/python benchmarks/bench_optimise.py [--extra 1200000] [--precision 0.05]

Prints figures; asserts nothing. Bar: at most a quarter of exhaustive search's replications.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from test_sim_support import small_scenario, write_release               # noqa: E402
from tipkit.sim.experiments.decisions import (decision_space,  # noqa: E402
                                              parse_constraint, parse_decision)
from tipkit.sim.experiments.optimise import OBJECTIVE, meets_constraints, optimise  # noqa: E402
from tipkit.sim.model.costs import border_cost_per_year                  # noqa: E402
from tipkit.sim.model.population import load_population                  # noqa: E402

DECIDE = ("officers=3..10", "specialist_officers=0..10", "egates.gates=0..3")
CONSTRAINT = "desk_wait_p95<=5"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--extra", type=float, default=1_200_000,
                        help="budget a year above the 3-officer hall's cost")
    parser.add_argument("--precision", type=float, default=0.05)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    base = small_scenario({"officers": 3, "victims.share": 0.05, "run.days": 0.1,
                           "arrivals.daily_volume": 2400})
    with tempfile.TemporaryDirectory() as tmp:
        population = load_population(write_release(Path(tmp) / "release"))
        decisions = [parse_decision(s, None) for s in DECIDE]
        space, _ = decision_space(base, decisions, border_cost_per_year(base) + args.extra,
                                  population, 1)
        limits = [parse_constraint(CONSTRAINT, None)]
        print(f"optimise: {len(space.choice)} options ({', '.join(DECIDE)}), "
              f"{int(space.within.sum())} within the budget; constraint {CONSTRAINT}; "
              f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")
        t0 = time.perf_counter()
        found = optimise(base, space, population, 1, limits, workers=args.jobs,
                         precision=args.precision)
        searched = time.perf_counter() - t0
        within = np.flatnonzero(space.within)
        t0 = time.perf_counter()
        found.simulations.ensure(within, found.replications)     # exhaustive, same seeds
        exhaustive = time.perf_counter() - t0
        x = found.simulations.series(within, OBJECTIVE, found.replications)
        means = dict(zip(within.tolist(), np.nanmean(x, axis=1).tolist()))
    ok = meets_constraints(found.simulations, within, found.replications, limits)
    feasible = [o for o, good in zip(within.tolist(), ok.tolist()) if good]
    top = max(feasible, key=lambda o: (means[o], -space.cost[o]))
    print(f"  stopped: {found.stop}")
    print(f"  replications per option at the end     {found.replications}")
    print(f"  optimise replications                  {found.option_replications:,}  "
          f"({searched:.0f} s)")
    print(f"  exhaustive search, same precision      {found.exhaustive_replications:,}  "
          f"(the rest took {exhaustive:.0f} s more)")
    print(f"  share                                  "
          f"{found.option_replications / found.exhaustive_replications:.1%}  (bar: <= 25%)")
    print(f"  best found      {space.changes(found.best)}: {means[found.best]:.4f}")
    print(f"  exhaustive best {space.changes(top)}: {means[top]:.4f}")
    print(f"  same best (or within the indifference, 0.005): "
          f"{means[found.best] >= means[top] - 0.005}")


if __name__ == "__main__":
    main()
