"""Benchmark of `tipkit synth fit` on the NIST CRC national 2019 excerpt, beside published scores.

The public path only: the NIST codebook (benchmarks/nist/codebook-national2019.yaml, from the data
dictionary), read_input and fit_release as the command line calls them, the release written and
checked on disk by write_fit. Ten demographic features, all quasi-identifiers, k = 11, delta
1e-6; SDNist's k-marginal score (tipkit.synth.evaluate.kmarginal), median of 3 seeds, for no DP
and epsilon 10, 1 and 0.3. No data is committed: the excerpt is read from where it lies.

Then SDNist 2.4's own report (benchmarks/sdnist_report.py: in its own virtual environment, made
here if missing, offline) on the releases without DP, at epsilon 10 and 1 (seed 7), on one at
epsilon 1 from a codebook drafted with `tipkit synth codebook --dictionary`, and on a random 10%
sample of the real records: k-marginal, propensity MSE, regression, PCA, inconsistencies and
unique exact matches, beside tipkit's own figures.
Run: .venv/bin/python benchmarks/bench_nist.py [national2019.csv] [--seeds 0,1,2]
     [--epsilons none,10,1,0.3] [--sdnist-venv DIR] [--no-sdnist]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from tipkit.synth.evaluate.kmarginal import kmarginal_score
from tipkit.synth.microdata.codebook import load_codebook
from tipkit.synth.microdata.fit import FitSettings, fit_release, write_fit
from tipkit.synth.microdata.journeys import read_input
from tipkit.synth.release.guarantees import class_sizes, reproduced_uniques
from tipkit.synth.release.manifest import read_manifest
from tipkit.synth.release.schema import CASE_ID

HERE = Path(__file__).resolve().parent
CODEBOOK = HERE / "nist" / "codebook-national2019.yaml"
# The shared folder beside the checkout (../shared), or beside the folder of worktrees.
_EXCERPTS = [root / "shared" / "benchmarks" / "nist-crc" / "national2019.csv"
             for root in HERE.parents[1:3]]
DATA = next((path for path in _EXCERPTS if path.exists()), _EXCERPTS[0])
K = 11
DELTA = 1e-6
PUBLISHED = [  # SDNist 2.x sample reports, national 2019, these ten features (README of the data)
    ("AIM (smartnoise-synth), published", "1", 976),
    ("MST (smartnoise-synth), published", "1", 958),
    ("DPHist (9 features, no DEYE), published", "10", 912),
    ("k-anonymity, sdcMicro k=6, published", "-", 907),
    ("PATECTGAN, published", "10", 805),
    ("real 10% subsample, published", "-", "969-971"),
    ("real 1% subsample, published", "-", "896-907"),
]
FIGURES = ("rows in QI classes < k (bins)", "unique real rows reproduced (bins)",
           "impossible rows (on disk)", "values outside the dictionary")


def run(data: Path, codebook, epsilon: float | None, seed: int, out: Path) -> dict:
    """`tipkit synth fit --data DATA --codebook CODEBOOK --columns FEATURES --k 11 --seed SEED
    [--epsilon e --delta 1e-6] --out OUT`, as the command line calls it; returns the release,
    the real records as the codebook reads them, its release.json and the time taken."""
    features = codebook.quasi_identifiers
    start, cpu = time.perf_counter(), time.process_time()
    records = read_input(data, features, legs=False, codebook=codebook)
    settings = FitSettings(k=K, epsilon=epsilon, delta=DELTA if epsilon else None, seed=seed)
    fitted = fit_release(records, settings)
    fit_seconds, fit_cpu = time.perf_counter() - start, time.process_time() - cpu
    write_fit(fitted, records.table, out, inputs=(data, CODEBOOK))
    return {"released": fitted.cases.drop(columns=[CASE_ID]), "measured": records.table,
            "manifest": read_manifest(out), "fit": (fit_seconds, fit_cpu),
            "total": (time.perf_counter() - start, time.process_time() - cpu)}


def figures(real: pd.DataFrame, made: dict, codebook) -> dict:
    """A release's score against the real records (ages in years, as SDNist scores them) and its
    checks, counted as the release guarantees them: on the codebook's age bins."""
    features = list(codebook.quasi_identifiers)
    released = made["released"]
    binned = codebook.measured(released)
    on_disk = made["manifest"].measured
    return {
        "score": kmarginal_score(real, released, features),
        "fit": made["fit"], "total": made["total"],
        FIGURES[0]: int((class_sizes(binned, features) < K).sum()),
        FIGURES[1]: reproduced_uniques(binned, made["measured"], features),
        FIGURES[2]: sum((on_disk.impossible_combinations or {}).values()),
        FIGURES[3]: int(sum((~binned[c].isin(codebook.column(c).listed())).sum()
                            for c in features)),
    }


def _seconds(runs: list[dict], key: str) -> str:
    """Median wall seconds (median CPU seconds) of `key` over the runs."""
    return (f"{np.median([r[key][0] for r in runs]):.1f} "
            f"({np.median([r[key][1] for r in runs]):.1f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", nargs="?", type=Path, default=DATA)
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--epsilons", default="none,10,1,0.3")
    parser.add_argument("--sdnist-venv", type=Path, default=None,
                        help="SDNist 2.4's virtual environment (made there if missing; default "
                        "a folder under the system's temporary folder)")
    parser.add_argument("--sdnist-seed", type=int, default=7)
    parser.add_argument("--no-sdnist", action="store_true", help="skip SDNist's report")
    args = parser.parse_args()
    if not args.data.exists():
        sys.exit(f"no NIST excerpt at {args.data}: give the path to national2019.csv "
                 "(SDNist's BenchmarkData/ACSDataExcerpts/national2019)")
    codebook = load_codebook(CODEBOOK)
    features = list(codebook.quasi_identifiers)
    real = pd.read_csv(args.data, dtype=str, usecols=features)[features]
    seeds = [int(s) for s in args.seeds.split(",")]
    print(f"{args.data}: {len(real)} records; codebook {codebook.name}; features "
          f"{', '.join(features)}, all quasi-identifiers; k={K}, delta={DELTA:g}; seeds {seeds}")
    rows = []
    for label in args.epsilons.split(","):
        epsilon = None if label == "none" else float(label)
        runs = []
        for seed in seeds:
            with tempfile.TemporaryDirectory() as folder:
                made = run(args.data, codebook, epsilon, seed, Path(folder) / "release")
            runs.append(figures(real, made, codebook))
            print(f"  epsilon {label}, seed {seed}: score {runs[-1]['score']:.1f}; fit "
                  f"{made['fit'][0]:.1f} s ({made['fit'][1]:.1f} s CPU), with the write and "
                  f"checks {made['total'][0]:.1f} s", flush=True)
        scores = [r["score"] for r in runs]
        rows.append({
            "method": f"tipkit fit, k={K}", "epsilon": label,
            "score (median)": f"{np.median(scores):.1f}",
            "per seed": " / ".join(f"{s:.1f}" for s in scores),
            "fit s (CPU s)": _seconds(runs, "fit"),
            "fit+write+check s (CPU s)": _seconds(runs, "total"),
            **{key: max(r[key] for r in runs) for key in FIGURES},
        })
    rows += [{"method": m, "epsilon": e, "score (median)": s} for m, e, s in PUBLISHED]
    with pd.option_context("display.width", 250, "display.max_columns", 12):
        print(pd.DataFrame(rows, dtype=object).fillna("").to_string(index=False))
    if not args.no_sdnist:
        from sdnist_report import sdnist_table  # beside this file

        sdnist_table(args.data, codebook, CODEBOOK, args.sdnist_seed, args.sdnist_venv, K, DELTA)


if __name__ == "__main__":
    main()
