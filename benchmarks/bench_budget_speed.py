"""Benchmark of answers in the time of a meeting (issue 19): the README's national budget
question from the command line's library function, today's method (exhaustive ranking and
selection) beside the emulator-led one: wall time, time to the first (emulated) answer, point
replications simulated, the best option and how sure its ranking is; and bench_optimise.py's
240-option single-point space: replications against exhaustive search at the same precision.

    .venv/bin/python benchmarks/bench_budget_speed.py [--jobs 2] [--skip-exhaustive]

Prints figures; asserts nothing. Bars: the national question <= 15 s on 2 cores (today 72 s),
the same best (or one shown better by simulation), a first marked answer within 5 s; the
240-option space at most a quarter of exhaustive search's replications, the same best.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from tipkit.sim.experiments.budget_runs import optimise_scenario          # noqa: E402

NATIONAL = ROOT / "scenarios" / "national" / "national-baseline.yaml"
DECIDE = ("capital-airport.specialist_officers=0..12", "north-road.specialist_officers=0..6",
          "south-rail-road.specialist_officers=0..8", "seaport.specialist_officers=0..6")
CONSTRAINTS = ("specialist_officers<=20", "desk_wait_p95<=45")
TODAY_SECONDS = 72          # the measurement of today's method, 2 cores, no other load


def national_question(method: str, jobs: int, out: Path) -> dict:
    """The README's question by one method: seconds in all, seconds to the first answer."""
    cpu0 = _cpu()
    t0 = time.perf_counter()
    first: list[float] = []
    found, folder = optimise_scenario(
        NATIONAL, budget="+52000", decide=DECIDE, constraints=CONSTRAINTS, seed=1, out=out,
        force=True, workers=jobs, method=method,
        early=lambda answer, currency: first.append(time.perf_counter() - t0))
    wall = time.perf_counter() - t0
    cpu = _cpu() - cpu0
    meta = json.loads((folder / "run.json").read_text())
    ranking = found.ranking.set_index("comparison")
    runner = ranking.loc["best - runner-up"] if "best - runner-up" in ranking.index else None
    return {"wall": wall, "cpu": cpu, "first": first[0] if first else None,
            "best": meta["best_changes"],
            "point_simulations": meta["point_simulations"],
            "exhaustive_point_simulations": meta["exhaustive_point_simulations"],
            "replications": meta["replications"], "rate": float(
                found.options.set_index("option").loc[found.best].identification_rate),
            "runner_up": meta["runner_up_changes"],
            "gap": None if runner is None else (runner.difference, runner.ci_low,
                                                runner.ci_high, int(runner.n)),
            "emulated": meta.get("emulated")}


def _cpu() -> float:
    """CPU seconds of this process and its finished children (the pool's workers): unlike
    wall time, hardly moved by other load on a shared machine."""
    own, children = (resource.getrusage(w) for w in (resource.RUSAGE_SELF,
                                                     resource.RUSAGE_CHILDREN))
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def print_national(label: str, r: dict) -> None:
    short = {k.split(".")[0]: v for k, v in r["best"].items()}
    print(f"  {label:<28} {r['wall']:6.1f} s wall"
          + (f"   first (emulated) answer at {r['first']:.1f} s" if r["first"] else ""))
    print(f"      {r['cpu']:.1f} CPU seconds in all processes: {r['cpu'] / 2:.1f} s on 2 idle "
          f"cores at best")
    print(f"      best {short}: {100 * r['rate']:.2f} per 100")
    if r["gap"]:
        d, low, high, n = r["gap"]
        print(f"      best - runner-up {100 * d:+.2f} per 100 (paired 95% CI {100 * low:+.2f} to "
              f"{100 * high:+.2f}, {n} replications); runner-up "
              f"{ {k.split('.')[0]: v for k, v in r['runner_up'].items()} }")
    print(f"      point replications simulated {r['point_simulations']:,} (exhaustive search "
          f"at the same precision: {r['exhaustive_point_simulations']:,})")
    if r["emulated"]:
        e = r["emulated"]
        print(f"      emulator: {e['design_settings']} point settings learned in {e['rounds']} "
              f"rounds, {len(e['finalists'])} finalists confirmed; emulated best "
              f"{100 * e['identification_rate']:.2f} per 100 (95% {100 * e['ci_low']:.2f} to "
              f"{100 * e['ci_high']:.2f})")


def single_point_space(jobs: int) -> None:
    """bench_optimise.py's 240 options: the emulator-led search against exhaustive search run
    to the same replications on the same seeds."""
    from test_sim_support import small_scenario, write_release
    from tipkit.sim.experiments.decisions import (decision_space, parse_constraint,
                                                  parse_decision)
    from tipkit.sim.experiments.emulated_search import emulated_optimise
    from tipkit.sim.experiments.optimise import OBJECTIVE, meets_constraints, optimise
    from tipkit.sim.model.costs import border_cost_per_year
    from tipkit.sim.model.population import load_population

    decide = ("officers=3..10", "specialist_officers=0..10", "egates.gates=0..3")
    base = small_scenario({"officers": 3, "victims.share": 0.05, "run.days": 0.1,
                           "arrivals.daily_volume": 2400})
    with tempfile.TemporaryDirectory() as tmp:
        population = load_population(write_release(Path(tmp) / "release"))
        decisions = [parse_decision(s, None) for s in decide]
        space, _ = decision_space(base, decisions, border_cost_per_year(base) + 1_200_000,
                                  population, 1)
        limits = [parse_constraint("desk_wait_p95<=5", None)]
        within = np.flatnonzero(space.within)
        print(f"\n240-option space ({', '.join(decide)}): {len(space.choice)} options, "
              f"{len(within)} within the budget; constraint desk_wait_p95<=5")
        results = {}
        for method in ("exhaustive", "emulator"):
            t0 = time.perf_counter()
            if method == "exhaustive":
                found = optimise(base, space, population, 1, limits, workers=jobs)
            else:
                found, _ = emulated_optimise(base, space, population, 1, limits, workers=jobs)
            results[method] = (found, time.perf_counter() - t0, found.simulations.simulated)
        # every option to the most replications either method ended with, on the same seeds
        n = max(f.replications for f, _, _ in results.values())
        sims = results["exhaustive"][0].simulations
        sims.ensure(within, n)
        x = sims.series(within, OBJECTIVE, n)
        means = dict(zip(within.tolist(), np.nanmean(x, axis=1).tolist()))
        ok = meets_constraints(sims, within, n, limits)
        top = max((o for o, good in zip(within.tolist(), ok.tolist()) if good),
                  key=lambda o: (means[o], -space.cost[o]))
        for method, (found, wall, simulated) in results.items():
            same = len(within) * found.replications
            print(f"  {method:<11} {simulated:6,} replications ({wall:5.1f} s), "
                  f"{found.replications} each at the end; exhaustive search at that precision "
                  f"{same:,}: {simulated / same:.1%} (bar: <= 25%)")
            print(f"      best {space.changes(found.best)}: {means[found.best]:.4f} "
                  f"(same best as exhaustive, or within 0.005: "
                  f"{means[found.best] >= means[top] - 0.005})")
        print(f"  exhaustive best at {n} replications {space.changes(top)}: {means[top]:.4f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--skip-exhaustive", action="store_true",
                        help="print today's method from the issue's figure instead of running it")
    parser.add_argument("--skip-single-point", action="store_true")
    parser.add_argument("--skip-national", action="store_true")
    args = parser.parse_args()
    if args.skip_national:
        single_point_space(args.jobs)
        return
    print(f"The README's national question (4 points, 4,523 options within the limits); "
          f"{os.cpu_count()} cores, --jobs {args.jobs}, load average "
          f"{os.getloadavg()[0]:.2f} (figures are wall times on a machine that may be shared)")
    with tempfile.TemporaryDirectory() as tmp:
        new = national_question("emulator", args.jobs, Path(tmp) / "emulator")
        print_national("emulator-led (new)", new)
        print(f"      bar: <= 15 s (today {TODAY_SECONDS} s), first answer <= 5 s")
        if not args.skip_exhaustive:
            print(f"  load average {os.getloadavg()[0]:.2f}")
            old = national_question("exhaustive", args.jobs, Path(tmp) / "exhaustive")
            print_national("exhaustive (today's method)", old)
            print(f"  same best: {old['best'] == new['best']}; speed-up "
                  f"{old['wall'] / new['wall']:.1f}x; point replications "
                  f"{new['point_simulations'] / old['point_simulations']:.0%} of today's")
    if not args.skip_single_point:
        single_point_space(args.jobs)


if __name__ == "__main__":
    main()
