"""Benchmark: releases from published figures. Prints the figures the issues set targets for.

- 8,000 cases with k = 11: every published figure inside its interval, and how many values were
  generalised or suppressed (target: under 2%).
- 100,000, 1,000,000 and 2,000,000 cases with k = 11: wall time and peak memory of
  `generate`, every check and the re-read from disk included, each size in a fresh process so
  that its peak is its own (targets: 100,000 in 30 s and 2 GiB; 1,000,000 in 60 s and 4 GiB;
  time and memory growing linearly with the cases).

Run: .venv/bin/python benchmarks/bench_release.py            (all sizes, about 3 minutes)
     .venv/bin/python benchmarks/bench_release.py 100000     (one size)
"""

import json
import resource
import shutil
import subprocess
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
SCALES = (100_000, 1_000_000, 2_000_000)


def run(cases: int) -> tuple[object, float]:
    folder = Path(tempfile.mkdtemp())
    try:
        start = time.perf_counter()
        release = generate(Request(FIGURES, cases, k=11, seed=7), folder / "release")
        return release, time.perf_counter() - start
    finally:
        shutil.rmtree(folder)


def one_size(cases: int) -> dict:
    """Generate `cases` in this process; its figures as a dict (peak memory included)."""
    import sdv.metadata  # noqa: F401  (import outside the timing: it loads torch)

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    release, seconds = run(cases)
    m = release.measured.release
    shares = [fv for fv in release.measured.figure_values if fv.figure.definition.constrains]
    return {"cases": m.cases, "legs": m.legs, "profiles": release.profiles, "seconds": seconds,
            **release.seconds, "held": sum(fv.holds() for fv in shares), "shares": len(shares),
            "min_class": min(m.case_report.smallest_class, m.leg_report.smallest_class),
            "rare": m.rare_combinations,
            "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "imports_mib": before}


def accuracy() -> None:
    release, _ = run(8_000)
    m = release.measured.release
    shares = [fv for fv in release.measured.figure_values if fv.figure.definition.constrains]
    # Rows a generalise-then-suppress step would have had to touch: those in classes < k.
    below = int((class_sizes(release.cases, DEFAULT_QUASI_IDENTIFIERS) < 11).sum())
    other = int(release.cases[["citizenship", "CountryOfExploitation"]].eq("Other").sum().sum())
    values = m.cases * 27
    print(f"8,000 cases, k = 11: {sum(fv.holds() for fv in shares)}/{len(shares)} share figures "
          f"inside their intervals; rows in classes below k (to generalise or suppress): {below} "
          f"of {m.cases:,} ({below / m.cases:.2%}); country values 'Other' by the public prior: "
          f"{other:,} of {values:,} ({other / values:.2%})")
    for fv in shares:
        print(f"  figure {fv.figure.id:<4} [{fv.figure.low:.4f}, {fv.figure.high:.4f}] "
              f"achieved {fv.value:.4f}")


def scaling(sizes) -> None:
    print(f"\n{'cases':>10} {'legs':>10} {'profiles':>8} {'seconds':>8} {'fit':>6} {'size':>6} "
          f"{'check':>6} {'write+recheck':>13} {'peak MiB':>9} {'s / 100k':>8} "
          f"{'MiB / 100k':>10} {'figures':>7} {'min class':>9} {'rare':>5}")
    for cases in sizes:
        # a fresh process per size: ru_maxrss is a process's peak, and only grows
        done = subprocess.run([sys.executable, __file__, "--json", str(cases)], check=True,
                              capture_output=True, text=True)
        r = json.loads(done.stdout.strip().splitlines()[-1])
        grown = r["peak_mib"] - r["imports_mib"]
        print(f"{r['cases']:>10,} {r['legs']:>10,} {r['profiles']:>8,} {r['seconds']:>8.1f} "
              f"{r['fit']:>6.1f} {r['size']:>6.1f} {r['check']:>6.1f} {r['write']:>13.1f} "
              f"{r['peak_mib']:>9,.0f} {r['seconds'] / cases * 1e5:>8.2f} "
              f"{grown / cases * 1e5:>10.0f} {r['held']:>3}/{r['shares']:<3} {r['min_class']:>9} {r['rare']:>5}",
              flush=True)
    print("peak MiB: the whole process, imports included; MiB / 100k: the growth above imports")


def main() -> None:
    if sys.argv[1:2] == ["--json"]:
        print(json.dumps(one_size(int(sys.argv[2]))))
        return
    sizes = [int(a) for a in sys.argv[1:]] or list(SCALES)
    if not sys.argv[1:]:
        accuracy()
    scaling(sizes)


if __name__ == "__main__":
    main()
