"""Simulation-based calibration check of `tipkit sim calibrate` (issue 17, item 4): draw "true"
assumption sets from the prior, simulate the facts an agency would record at each truth, calibrate
to them, and count how often each assumption's 90% posterior interval covers its truth.

One emulator design (a Latin hypercube over the prior, simulated once) serves every truth, as
the issue allows; each truth's facts are simulated on days of its own (replication numbers no
design point uses). Prints coverage per assumption (target 0.80-0.97), the posterior's 90% width
against the prior's, the time and the simulations used.

    .venv/bin/python benchmarks/bench_calibration.py [--truths 30] [--days 30] [--jobs 2]
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "airport-baseline.yaml"
FACTS = ROOT / "scenarios" / "observed" / "airport-facts.yaml"
VARY = ("victims.share", "arrivals.daily_volume", "training.basic_share",
        "screening.basic.false_alarm")


def main(argv=None) -> int:
    from tipkit.sim.experiments import calibration_runs as runs

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--truths", type=int, default=30)
    parser.add_argument("--days", type=int, default=30,
                        help="days each truth's facts are recorded over (simulated)")
    parser.add_argument("--points", type=int, default=None,
                        help="design points (default: 12 per assumption, at least 60)")
    parser.add_argument("--replications", type=int, default=4)
    parser.add_argument("--vary", nargs="*", default=list(VARY))
    parser.add_argument("--jobs", type=int, default=None)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)

    started = time.monotonic()
    setup = runs.prepare(SCENARIO, FACTS, varies=args.vary, seed=args.seed)

    def report(i, covered):
        print(f"truth {i + 1}/{args.truths}: covered {covered.sum()}/{len(covered)}, "
              f"{time.monotonic() - started:.0f} s", flush=True)

    check = runs.coverage_check(setup, truths=args.truths, days=args.days, points=args.points,
                                replications=args.replications, seed=args.seed,
                                workers=args.jobs, report=report)
    print(f"\nSimulation-based calibration: airport-baseline, facts "
          f"{', '.join(setup.facts.kpis)} over {args.days} simulated days, {args.truths} truths "
          f"from the prior, one design of {check.design_points} points x {args.replications}")
    print(f"{'assumption':40s} {'coverage':>9s} {'post/prior width':>17s}  identified")
    for j, p in enumerate(check.params):
        width = float(np.median(check.width_ratio[:, j]))
        print(f"{p.name:40s} {check.coverage[j]:9.2f} {width:17.2f}  "
              f"{'yes' if width <= 0.5 else 'no'}")
    used = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = sum(u.ru_utime + u.ru_stime for u in used)
    print(f"time: {check.seconds / 60:.1f} min wall clock, {cpu / 60:.1f} min of CPU (this "
          f"process and its workers); simulated replications: "
          f"{check.simulated} ({check.design_points * args.replications} design, "
          f"{args.truths * args.days} for the truths' facts)")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
