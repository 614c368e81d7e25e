"""Benchmark: releases from published figures. Prints the figures the issue sets targets for.

- 100,000 cases (about 130,000 legs) with k = 11: wall time and peak memory, all checks included
  (target: at most 30 s and 2 GiB on a 2-core machine).
- 8,000 cases with k = 11: every published figure inside its interval, and how many values were
  generalised or suppressed (target: under 2%).

Run: .venv/bin/python benchmarks/bench_release.py
"""

import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tipkit.synth.published.generate import Request, generate  # noqa: E402
from tipkit.synth.release.guarantees import class_sizes  # noqa: E402
from tipkit.synth.release.schema import DEFAULT_QUASI_IDENTIFIERS  # noqa: E402

FIGURES = ROOT / "synth" / "published" / "iom-2018-border-crossings.yaml"


def run(cases: int) -> tuple[object, float]:
    folder = Path(tempfile.mkdtemp())
    try:
        start = time.perf_counter()
        release = generate(Request(FIGURES, cases, k=11, seed=7), folder / "release")
        return release, time.perf_counter() - start
    finally:
        shutil.rmtree(folder)


def main() -> None:
    import sdv.metadata  # noqa: F401  (import once, outside the timings: it loads torch)

    print(f"{'cases':>8} {'legs':>8} {'profiles':>8} {'seconds':>8} {'fit':>6} {'size':>6} "
          f"{'check':>6} {'write+recheck':>13} {'figures held':>12} {'min class':>9} {'rare':>5}")
    for cases in (8_000, 100_000):
        release, seconds = run(cases)
        m, s = release.measured.release, release.seconds
        shares = [fv for fv in release.measured.figure_values if fv.figure.definition.constrains]
        rare = m.rare_combinations
        print(f"{m.cases:>8,} {m.legs:>8,} {release.profiles:>8,} {seconds:>8.2f} {s['fit']:>6.2f} "
              f"{s['size']:>6.2f} {s['check']:>6.2f} {s['write']:>13.2f} "
              f"{sum(fv.holds() for fv in shares):>5}/{len(shares):<6} "
              f"{min(m.case_report.smallest_class, m.leg_report.smallest_class):>9} {rare:>5}")
        if cases == 8_000:
            # Rows a generalise-then-suppress step would have had to touch: those in classes < k.
            below = int((class_sizes(release.cases, DEFAULT_QUASI_IDENTIFIERS) < 11).sum())
            other = int(release.cases[["citizenship", "CountryOfExploitation"]].eq("Other").sum().sum())
            values = m.cases * 27
            print(f"         rows in classes below k (to generalise or suppress): {below} of {m.cases:,} "
                  f"({below / m.cases:.2%}); country values 'Other' by the public prior: {other:,} of "
                  f"{values:,} values ({other / values:.2%})")
            for fv in shares:
                print(f"         figure {fv.figure.id:<4} [{fv.figure.low:.4f}, {fv.figure.high:.4f}] "
                      f"achieved {fv.value:.4f}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory (whole benchmark process): {peak:,.0f} MiB")


if __name__ == "__main__":
    main()
