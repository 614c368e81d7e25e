"""Benchmark of the `fit` engine on the NIST CRC national 2019 excerpt, beside published scores.

Ten demographic features, all of them quasi-identifiers, k = 11, delta 1e-6; SDNist's k-marginal
score (tipkit.synth.evaluate.kmarginal), median of 3 seeds, for no DP and epsilon 10, 1 and 0.3.
Run: .venv/bin/python benchmarks/bench_nist.py [national2019.csv] [--seeds 0,1,2]
     [--epsilons none,10,1,0.3]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from tipkit.synth.evaluate.kmarginal import kmarginal_score
from tipkit.synth.microdata import marginals as model, refine, selection
from tipkit.synth.microdata.accounting import Budget
from tipkit.synth.release.domain import Domain
from tipkit.synth.microdata.fit import SUPPORT_DRAWS, SWEEPS, measured_tables
from tipkit.synth.release.guarantees import class_sizes, reproduced_uniques

FEATURES = ("AGEP", "SEX", "MSP", "RAC1P", "HOUSING_TYPE", "OWN_RENT", "EDU", "PINCP_DECILE",
            "DVET", "DEYE")
# Public age bins: the data dictionary's own boundaries (EDU is N below 3, MSP and PINCP_DECILE
# below 15), adulthood at 18, then five-year bins to 90 and 90-99 (the dictionary's range 0-99).
AGE_EDGES = (0, 3, 5, 10, 15, 18, 20, *range(25, 95, 5), 100)
AGE_BINS = tuple(f"{low}-{high - 1}" for low, high in zip(AGE_EDGES, AGE_EDGES[1:]))
ORDERED = ("AGEP",)  # a rare age bin merges into its neighbour, never into "Other"
K = 11
DELTA = 1e-6
DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "benchmarks" / "nist-crc" / \
    "national2019.csv"
PUBLISHED = [  # SDNist 2.x sample reports, national 2019, these ten features (README of the data)
    ("AIM (smartnoise-synth), published", "1", 976),
    ("MST (smartnoise-synth), published", "1", 958),
    ("DPHist (9 features, no DEYE), published", "10", 912),
    ("k-anonymity, sdcMicro k=6, published", "-", 907),
    ("PATECTGAN, published", "10", 805),
    ("real 10% subsample, published", "-", "969-971"),
    ("real 1% subsample, published", "-", "896-907"),
]


def public_domain(dictionary: dict) -> Domain:
    """The public domain of the ten features from the data dictionary: every listed code, and
    AGEP in the public bins above."""
    values = [AGE_BINS if name == "AGEP" else tuple(dictionary[name]["values"])
              for name in FEATURES]
    return Domain(FEATURES, tuple(values))


def read_excerpt(path: Path) -> tuple[pd.DataFrame, Domain]:
    """The ten features as text, and their public domain."""
    dictionary = json.loads((path.parent / "data_dictionary.json").read_text())
    table = pd.read_csv(path, dtype=str, usecols=list(FEATURES))[list(FEATURES)]
    return table, public_domain(dictionary)


def binned(table: pd.DataFrame) -> pd.DataFrame:
    """The table with AGEP in its public bin."""
    ages = table["AGEP"].astype(int).to_numpy()
    out = table.copy()
    out["AGEP"] = np.asarray(AGE_BINS, dtype=object)[np.searchsorted(AGE_EDGES, ages, "right") - 1]
    return out


def ages_in_bins(released: pd.DataFrame, rng, per_class: bool) -> pd.DataFrame:
    """AGEP released as a whole age inside its bin: spread evenly over the bin's ages among the
    rows of each class of the quasi-identifiers (here every feature) from a random start
    (k-anonymity then holds on the bins, which is all the ages tell), or drawn once per class,
    so that it holds on the written ages too."""
    classes, inverse = np.unique(released.to_numpy(dtype=str), axis=0, return_inverse=True)
    inverse = inverse.ravel()
    bin_of = pd.Index(AGE_BINS).get_indexer(classes[:, FEATURES.index("AGEP")])
    low = np.asarray(AGE_EDGES[:-1])[bin_of]
    width = np.asarray(AGE_EDGES[1:])[bin_of] - low
    start = rng.integers(0, width)  # one random start (or age) per class
    if per_class:
        ages = (low + start)[inverse]
    else:
        # The i-th row of a class takes the (start + i)-th age of its bin, cyclically.
        order = np.argsort(inverse, kind="stable")
        first = np.searchsorted(inverse[order], np.arange(len(classes)))
        rank = np.empty(len(inverse), dtype=np.int64)
        rank[order] = np.arange(len(inverse)) - first[inverse[order]]
        ages = low[inverse] + (start[inverse] + rank) % width[inverse]
    out = released.copy()
    out["AGEP"] = ages.astype(str)
    return out


def release(table: pd.DataFrame, domain: Domain, epsilon: float | None, seed: int):
    """What `tipkit synth fit --k 11 [--epsilon e --delta 1e-6]` does, with every feature a
    quasi-identifier and the domain above (fit takes domains from a codebook once it has one),
    then AGEP drawn inside its bin for every row, and once per class (see ages_in_bins)."""
    codes = domain.encode(binned(table))
    noise_rng, support_rng, order_rng, _, age_rng = np.random.SeedSequence(seed).spawn(5)
    quasi_identifiers = FEATURES
    tables = [quasi_identifiers] + model.workload(FEATURES, 3)
    if epsilon is not None:
        budget = Budget(epsilon, DELTA)
        private = selection.private_model(
            codes, domain, K, budget, np.random.default_rng(noise_rng),
            np.random.default_rng(support_rng), lambda kept: measured_tables(FEATURES, kept),
            ORDERED)
        cdomain, support, weights = private.domain, private.support, private.weights
        measurements = private.tables()
        rows = max(int(round(private.total)), K)
    else:
        one_way = {c: model.marginal(codes, domain, (c,)) for c in FEATURES}
        cdomain, maps = model.compress(domain, one_way, K, ORDERED)
        ccodes = model.recode(codes, maps)
        measurements = [model.Measurement(c, model.marginal(ccodes, cdomain, c))
                        for c in measured_tables(FEATURES, cdomain)]
        pairs = [m for m in measurements if len(m.columns) <= 2]
        candidates = model.pairwise_sample(cdomain, pairs, SUPPORT_DRAWS,
                                           np.random.default_rng(support_rng), floor=K - 0.5)
        support, weights = np.unique(candidates, axis=0, return_counts=True)
        unique = class_sizes(cdomain.decode(ccodes), quasi_identifiers) == 1
        forbidden = {tuple(r) for r in ccodes[unique]}
        allowed = np.array([tuple(r) not in forbidden for r in support], dtype=bool)
        support, weights = support[allowed], weights[allowed]
        rows = len(table)
    measurements = sorted(measurements, key=lambda m: -len(m.columns))
    if epsilon is None:
        weights = model.ipf(support, weights, cdomain, measurements, SWEEPS)
    pool = support
    support, counts = model.k_support(support, weights, cdomain, measurements, rows, K, tables)
    if epsilon is not None:
        support, counts = refine.refined(pool, weights, support, counts, cdomain, measurements,
                                         tables, K)
    released = np.repeat(support, counts, axis=0)
    released = released[np.random.default_rng(order_rng).permutation(len(released))]
    decoded = cdomain.decode(released)
    return {per_class: ages_in_bins(decoded, np.random.default_rng(age_rng), per_class)
            for per_class in (False, True)}


def outside_dictionary(released: pd.DataFrame, domain: Domain) -> int:
    """Values no public list holds (an "Other"): SDNist would drop their feature from the score."""
    return int(sum((~binned(released)[c].isin(v)).sum()
                   for c, v in zip(domain.columns, domain.values)))


FIGURES = ("rows in QI classes < k (bins)", "rows in QI classes < k (ages)",
           "unique real rows reproduced (bins)", "unique real rows reproduced (ages)",
           "values outside the dictionary")


def _figures(table: pd.DataFrame, released: pd.DataFrame, domain: Domain, seconds: float,
             cpu: float) -> dict:
    """A release's score and checks: classes and reproduced unique records counted on the
    age bins (what the release guarantees) and on the written ages."""
    columns = list(FEATURES)
    return {
        "score": kmarginal_score(table, released, FEATURES), "seconds": seconds, "cpu": cpu,
        FIGURES[0]: int((class_sizes(binned(released), columns) < K).sum()),
        FIGURES[1]: int((class_sizes(released, columns) < K).sum()),
        FIGURES[2]: reproduced_uniques(binned(released), binned(table), columns),
        FIGURES[3]: reproduced_uniques(released, table, columns),
        FIGURES[4]: outside_dictionary(released, domain),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", nargs="?", type=Path, default=DATA)
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--epsilons", default="none,10,1,0.3")
    args = parser.parse_args()
    if not args.data.exists():
        sys.exit(f"no NIST excerpt at {args.data}: give the path to national2019.csv "
                 "(SDNist's BenchmarkData/ACSDataExcerpts/national2019, "
                 "with data_dictionary.json beside it)")
    table, domain = read_excerpt(args.data)
    seeds = [int(s) for s in args.seeds.split(",")]
    print(f"{args.data}: {len(table)} records, features {', '.join(FEATURES)}; "
          "all quasi-identifiers, "
          f"k={K}, delta={DELTA:g}; seeds {seeds}")
    rows = []
    for label in args.epsilons.split(","):
        epsilon = None if label == "none" else float(label)
        runs = {False: [], True: []}
        for seed in seeds:
            start, cpu = time.perf_counter(), time.process_time()
            releases = release(table, domain, epsilon, seed)
            seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
            for per_class, released in releases.items():
                runs[per_class].append(_figures(table, released, domain, seconds, cpu))
            print(f"  epsilon {label}, seed {seed}: score {runs[False][-1]['score']:.1f} "
                  f"(one age per class: {runs[True][-1]['score']:.1f}), {seconds:.1f} s "
                  f"({cpu:.1f} s of CPU)", flush=True)
        for per_class, figures in runs.items():
            scores = [f["score"] for f in figures]
            rows.append({
                "method": f"tipkit fit, k={K}" + (", one age per class" if per_class else ""),
                "epsilon": label, "score (median)": f"{np.median(scores):.1f}",
                "per seed": " / ".join(f"{s:.1f}" for s in scores),
                "time s (CPU s)": f"{np.median([f['seconds'] for f in figures]):.1f} "
                                  f"({np.median([f['cpu'] for f in figures]):.1f})",
                **{key: max(f[key] for f in figures) for key in FIGURES},
            })
    rows += [{"method": m, "epsilon": e, "score (median)": s} for m, e, s in PUBLISHED]
    with pd.option_context("display.width", 250, "display.max_columns", 12):
        print(pd.DataFrame(rows, dtype=object).fillna("").to_string(index=False))


if __name__ == "__main__":
    main()
