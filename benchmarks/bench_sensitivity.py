"""Benchmark of `tipkit sim sensitivity` with its defaults on the airport question of issue 19
(baseline against train-all; `--three` adds train-half), today's method (Morris on the
simulation) beside the emulated one: time, simulated runs, the answer's top three assumptions
and the ranking's share of the assumption space. Then the warm-up check on the land border.

    .venv/bin/python benchmarks/bench_sensitivity.py [--jobs 2] [--three] [--only emulated]

Prints figures; asserts nothing (tests never time things). Wall time depends on what else the
machine runs: the CPU seconds (this process and its workers) say what the run itself cost.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tipkit.sim.experiments.runs import load, plan_sensitivity, run_sensitivity  # noqa: E402
from tipkit.sim.experiments.sensitivity import CHANCE, answer_outcome  # noqa: E402
from tipkit.sim.experiments.warmup import check_warmups  # noqa: E402

OPTIONS = {name: ROOT / "scenarios" / f"airport-{name}.yaml"
           for name in ("baseline", "train-half", "train-all")}
LAND = ROOT / "scenarios" / "land-border-baseline.yaml"


def _cpu() -> float:
    own, children = (resource.getrusage(w) for w in (resource.RUSAGE_SELF,
                                                     resource.RUSAGE_CHILDREN))
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def measure(method: str, paths, jobs: int, seed: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        wall, cpu = time.perf_counter(), _cpu()
        planned = plan_sensitivity(paths, seed=seed, out=Path(tmp) / "sensitivity",
                                   workers=jobs, method=method)
        result, _ = run_sensitivity(planned, workers=jobs)
        wall, cpu = time.perf_counter() - wall, _cpu() - cpu
    outcome, scenario = answer_outcome(result.indices, result.ranking)
    rows = result.indices[(result.indices.outcome == outcome)
                          & (result.indices.scenario == scenario)]
    top = rows[rows.factor != CHANCE].sort_values("rank").head(3)
    share = getattr(result, "share", None)
    held = (f"{share['share']:.0%} emulated (95% interval {share['sure']:.0%} to "
            f"{share['possible']:.0%}); simulated {result.held} of {result.judged} sets"
            if share else f"{result.holds:.0%} ({result.held} of {result.judged} points)")
    return {"method": method, "wall": wall, "cpu": cpu, "runs": planned.plan.runs,
            "top": list(top.factor), "mu_star": list(top.mu_star), "low": list(top.mu_star_low),
            "high": list(top.mu_star_high), "held": held, "sentence": result.sentence()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--three", action="store_true",
                        help="baseline, train-half and train-all (the README's example)")
    parser.add_argument("--only", choices=["emulated", "morris-simulated"], default=None)
    args = parser.parse_args()

    names = ["baseline", "train-half", "train-all"] if args.three else ["baseline", "train-all"]
    methods = [args.only] if args.only else ["morris-simulated", "emulated"]
    print(f"sim sensitivity, airport {' / '.join(names)}, defaults, seed {args.seed}, "
          f"{args.jobs} processes:")
    found = {}
    for method in methods:
        m = found[method] = measure(method, [OPTIONS[n] for n in names], args.jobs, args.seed)
        print(f"  {method:17s} wall {m['wall']:6.1f} s, CPU {m['cpu']:6.1f} s "
              f"({m['cpu'] / args.jobs:5.1f} s if {args.jobs} cores were free), "
              f"{m['runs']} simulated airport days")
        for i, (factor, mu, low, high) in enumerate(zip(m["top"], m["mu_star"], m["low"],
                                                        m["high"]), 1):
            print(f"    {i}. {factor}: mu* {100 * mu:.1f} pts (95% CI {100 * low:.1f} to "
                  f"{100 * high:.1f})")
        print(f"    ranking holds: {m['held']}")
    if len(found) == 2:
        a, b = found["morris-simulated"], found["emulated"]
        same = "the same" if a["top"] == b["top"] else (
            "the same three, in another order" if set(a["top"]) == set(b["top"])
            else "NOT the same")
        print(f"  top three: {same}; emulated/simulated: wall {b['wall'] / a['wall']:.2f}x, "
              f"CPU {b['cpu'] / a['cpu']:.2f}x, runs {b['runs'] / a['runs']:.2f}x")
    for m in found.values():
        print(f"  {m['method']}: {m['sentence']}")

    loaded = load([LAND])
    start = time.perf_counter()
    checks = check_warmups(loaded.scenarios, loaded.population, 1, workers=args.jobs)
    wall = time.perf_counter() - start
    print(f"warm-up check (MSER-5, 10 replications), land-border baseline: {wall:.1f} s")
    for check in checks.values():
        print(f"  {check.sentence()}")


if __name__ == "__main__":
    main()
