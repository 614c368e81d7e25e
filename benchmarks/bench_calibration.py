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
    from tipkit.sim.experiments.emulator import space_filling

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
    d = len(setup.params)
    points = args.points or max(60, 12 * d)
    where = {"workers": args.jobs}
    x = space_filling(setup.box, points, np.random.SeedSequence([args.seed, runs._TAG, 1]))
    design = runs.simulate(setup, x, args.replications, args.seed, **where)
    simulated = points * args.replications
    design_seconds = time.monotonic() - started
    print(f"design: {points} points x {args.replications} replications, "
          f"{design_seconds:.0f} s", flush=True)

    rng = np.random.default_rng(np.random.SeedSequence([args.seed, 0x5BC]))
    truths = setup.box.from_unit(rng.random((args.truths, d)))
    covered = np.zeros((args.truths, d), bool)
    ratios = np.zeros((args.truths, d))
    for i, truth in enumerate(truths):
        facts = runs.simulate_facts(setup, truth, args.days, 10_000 + i * args.days, args.seed,
                                    **where)
        simulated += args.days
        one = runs.Setup(setup.path, setup.scenario, facts, setup.population, setup.params,
                         setup.sources)
        c = runs.calibrate(one, replications=args.replications, seed=args.seed + i,
                           design=design, check=False)
        covered[i] = (c.summary.low.to_numpy() <= truth) & (truth <= c.summary.high.to_numpy())
        ratios[i] = c.summary.width_ratio.to_numpy()
        print(f"truth {i + 1}/{args.truths}: covered {covered[i].sum()}/{d}, "
              f"{time.monotonic() - started:.0f} s", flush=True)
    seconds = time.monotonic() - started
    print(f"\nSimulation-based calibration: airport-baseline, facts "
          f"{', '.join(setup.facts.kpis)} over {args.days} simulated days, {args.truths} truths "
          f"from the prior, one design of {points} points")
    print(f"{'assumption':40s} {'coverage':>9s} {'post/prior width':>17s}  identified")
    for j, p in enumerate(setup.params):
        width = float(np.median(ratios[:, j]))
        print(f"{p.name:40s} {covered[:, j].mean():9.2f} {width:17.2f}  "
              f"{'yes' if width <= 0.5 else 'no'}")
    print(f"time: {seconds / 60:.1f} min (design {design_seconds / 60:.1f} min); simulated "
          f"replications: {simulated} ({points * args.replications} design, "
          f"{args.truths * args.days} for the truths' facts)")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
