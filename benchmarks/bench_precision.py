"""Benchmark of the precision of answers (issue 11): today's plain estimators (the direct counts of
victims identified and of desk waits) and the new ones (virtual victims for identification and
flags, a control variate for desk waits) side by side, measured on the same runs.

    .venv/bin/python benchmarks/bench_precision.py [--population DIR] [--replications 30]
                                                   [--budget 1000] [--jobs 2]

Rows: the airport baseline's identification rate (95% CI half-width), train-half minus baseline
(paired 95% CI half-width), the wall time of each, and the replications `--replications auto
--precision 0.05` needs on the airport baseline (the replications algorithm of Hoad, Robinson and
Davies applied to every headline KPI over `--budget` replications run once; then the auto rule
itself, run as the command line runs it). Prints figures; asserts nothing (tests never time
things).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tipkit.sim.experiments.designs import compare, precision_history, replicate  # noqa: E402
from tipkit.sim.experiments.stats import replications_settled, t_interval  # noqa: E402
from tipkit.sim.model.control import FRESH_RUNS                        # noqa: E402
from tipkit.sim.model.kpis import CONTROLLED, ESTIMATED, HEADLINE, direct_name  # noqa: E402
from tipkit.sim.model.population import load_population                # noqa: E402
from tipkit.sim.model.scenario_files import load_scenario             # noqa: E402

SCENARIOS = ROOT / "scenarios"
RATE = "identification_rate"


def half_width(values) -> float:
    mean, low, high, n = t_interval(list(values))
    return (high - low) / 2


def plain(kpi: str) -> str:
    """The replications.csv column of today's estimator of a KPI."""
    return direct_name(kpi) if kpi in ESTIMATED else kpi


def needed(table, kpi: str, precision: float) -> int | None:
    return replications_settled(precision_history(table[kpi].to_numpy(dtype=float)), precision)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--population", type=Path, default=None)
    parser.add_argument("--replications", type=int, default=30)
    parser.add_argument("--budget", type=int, default=1000,
                        help="replications run once for the auto row")
    parser.add_argument("--precision", type=float, default=0.05)
    parser.add_argument("--jobs", type=int, default=os.cpu_count())
    args = parser.parse_args()
    population = load_population(args.population)
    base = load_scenario(SCENARIOS / "airport-baseline.yaml")
    half = load_scenario(SCENARIOS / "airport-train-half.yaml")
    reps, where = args.replications, {"workers": args.jobs}
    print(f"population: {population.source} ({len(population.profiles)} legs); "
          f"{args.jobs} worker(s); {reps} replications; seed 1")

    t0 = time.perf_counter()
    alone = replicate({base.name: base}, population, 1, reps, **where).tables[base.name]
    wall_base = time.perf_counter() - t0
    t0 = time.perf_counter()
    both = compare({base.name: base, half.name: half}, population, 1, reps, **where)
    wall_pair = time.perf_counter() - t0
    a, b = both.replicated.tables[base.name], both.replicated.tables[half.name]

    t0 = time.perf_counter()
    long = replicate({base.name: base}, population, 1, args.budget, **where).tables[base.name]
    wall_long = time.perf_counter() - t0
    counts = {}
    for estimator, column in (("plain", plain), ("new", lambda k: k)):
        counts[estimator] = {k: needed(long, column(k), args.precision) for k in HEADLINE}

    t0 = time.perf_counter()
    auto = replicate({base.name: base}, population, 1, "auto", precision=args.precision,
                     budget=args.budget, **where)
    wall_auto = time.perf_counter() - t0

    def most(found: dict) -> str:
        if any(n is None for n in found.values()):
            return f"> {args.budget} (over budget)"
        return str(max(found.values()))

    rows = [
        ("airport baseline identification rate, 95% CI half-width (points)",
         f"+-{100 * half_width(alone[plain(RATE)]):.1f}",
         f"+-{100 * half_width(alone[RATE]):.2f}", "<= +-1.0"),
        ("  wall time of that run (s)", f"{wall_base:.1f}", f"{wall_base:.1f}", "<= 15"),
        ("train-half minus baseline, paired 95% CI half-width (points)",
         f"+-{100 * half_width(b[plain(RATE)] - a[plain(RATE)]):.1f}",
         f"+-{100 * half_width(b[RATE] - a[RATE]):.2f}", "<= +-1.0"),
        ("  wall time of that run (s)", f"{wall_pair:.1f}", f"{wall_pair:.1f}", "<= 15"),
        (f"--replications auto --precision {args.precision:g}, airport baseline "
         f"(replications)", most(counts["plain"]), most(counts["new"]), "<= 60"),
        ("  the auto rule run as the CLI runs it: replications, wall time (s)", "",
         f"{auto.replications} in {wall_auto:.1f} s", ""),
    ]
    width = max(len(r[0]) for r in rows)
    print(f"\n{'question':<{width}}  {'plain':>20}  {'new estimators':>20}  {'goal':>9}")
    for question, old, new, goal in rows:
        print(f"{question:<{width}}  {old:>20}  {new:>20}  {goal:>9}")

    print(f"\nreplications each headline KPI needs for {args.precision:.0%} "
          f"(from {args.budget} replications, {wall_long:.0f} s):")
    for k in HEADLINE:
        old, new = counts["plain"][k], counts["new"][k]
        show = (lambda n: f"> {args.budget}" if n is None else str(n))
        method = "control variate" if k in CONTROLLED else "virtual victims"
        print(f"  {k:<22} plain {show(old):>7}   {method} {show(new):>7}   "
              f"(auto rule run: {show(auto.needed[f'{base.name}/{k}'])})")
    print(f"\ndesk waits by control variate ({FRESH_RUNS} fresh runs a replication), from "
          f"{args.budget} replications: variance against the plain count, mean (plain / new)")
    for k in CONTROLLED:
        new, old = long[k], long[plain(k)]
        _, low, high, _ = t_interval((new - old).tolist())
        print(f"  {k:<22} variance x{new.var() / old.var():.4f}   mean {old.mean():.4f} / "
              f"{new.mean():.4f} (new - plain, 95% CI {low:+.4f} to {high:+.4f})")
    for k in CONTROLLED:
        d_new, d_old = b[k] - a[k], b[plain(k)] - a[plain(k)]
        print(f"  train-half minus baseline, {k}: paired 95% CI half-width "
              f"{half_width(d_old):.3f} plain, {half_width(d_new):.3f} new")
    print(f"\nmeans, {reps}-replication runs (plain / new):")
    for k in (RATE, "flags_per_10k", "flag_ppv", "referrals"):
        print(f"  {k:<22} baseline {alone[plain(k)].mean():.4f} / {alone[k].mean():.4f}   "
              f"train-half {b[plain(k)].mean():.4f} / {b[k].mean():.4f}")


if __name__ == "__main__":
    main()
