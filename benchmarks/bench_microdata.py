"""Benchmark of `tipkit synth fit` on the CTDC-shaped fixture, side by side with SDV and pac-synth.

Prints one table: 1/2/3-way marginal scores, rows in classes below k, canaries reproduced, time.
Run: .venv/bin/python benchmarks/bench_microdata.py   (pac-synth comes with pip install '.[bench]')
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from tipkit.synth.microdata.readers import read_cases
from tipkit.synth.evaluate.evaluation import mean_score
from tipkit.synth.microdata.fixtures import CANARIES, FIXTURE_COLUMNS, fixture_cases, write_fixture
from tipkit.synth.release.guarantees import class_sizes
from tipkit.synth.microdata.fit import FitSettings, fit_release, write_fit
from tipkit.synth.release.folder import read_release

K = 11
SEED = 7
QI = ["gender", "ageBroad", "citizenship", "CountryOfExploitation", "yearOfRegistration"]


def canaries_reproduced(release: pd.DataFrame, canaries: pd.DataFrame) -> int:
    """Canary records whose quasi-identifier values all reappear together in the release."""
    seen = set(map(tuple, release[QI].drop_duplicates().to_numpy()))
    return sum(tuple(r) in seen for r in canaries[QI].to_numpy())


def tipkit_run(data: Path, out: Path, epsilon=None, engine="marginals"):
    """Fit-to-release: read, fit, write and check the release folder."""
    start = time.perf_counter()
    records = read_cases(data, years=(2000, 2030) if epsilon else None)
    settings = FitSettings(k=K, epsilon=epsilon, delta=1e-6 if epsilon else None, seed=SEED,
                           engine=engine)
    write_fit(fit_release(records, settings), records.table, out, force=True)
    seconds = time.perf_counter() - start
    cases, _ = read_release(out)
    return cases.drop(columns="caseId"), seconds


def sdv_copula(real: pd.DataFrame):
    from sdv.metadata import Metadata
    from sdv.single_table import GaussianCopulaSynthesizer

    start = time.perf_counter()
    metadata = Metadata.load_from_dict({"tables": {"cases": {"columns": {
        c: {"sdtype": "categorical"} for c in real.columns}}}})
    synthesizer = GaussianCopulaSynthesizer(metadata)
    synthesizer.fit({"cases": real})
    synthesizer._set_random_state(SEED)  # noqa: SLF001
    sampled = synthesizer.sample(num_rows=len(real))
    sampled = sampled["cases"] if isinstance(sampled, dict) else sampled
    return sampled.astype(str), time.perf_counter() - start


def pac_synth(real: pd.DataFrame, epsilon: float):
    import pacsynth

    start = time.perf_counter()
    pacsynth.set_number_of_threads(2)
    dataset = pacsynth.Dataset.from_data_frame(real)
    params = (pacsynth.DpAggregateSeededParametersBuilder().reporting_length(3)
              .epsilon(epsilon).delta(1e-6).build())
    synthesizer = pacsynth.DpAggregateSeededSynthesizer(params)
    synthesizer.fit(dataset)
    raw = synthesizer.sample()  # header row, then records
    sampled = pd.DataFrame(raw[1:], columns=raw[0])
    return sampled.astype(str)[list(real.columns)], time.perf_counter() - start


def row(name, real, synthetic, seconds, canaries):
    columns = list(real.columns)
    small = class_sizes(synthetic, QI) < K
    return {
        "method": name,
        "1-way": mean_score(real, synthetic, columns, 1),
        "2-way": mean_score(real, synthetic, columns, 2),
        "3-way": mean_score(real, synthetic, columns, 3),
        "rows in QI classes < k": f"{int(small.sum())} ({100 * small.mean():.1f}%)",
        "canaries": canaries_reproduced(synthetic, canaries),
        "time (s)": seconds,
    }


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 50_000
    folder = Path(tempfile.mkdtemp(prefix="bench-microdata-"))
    data = folder / "cases.csv"
    write_fixture(data, rows=rows, seed=0)
    real = read_cases(data).table
    canaries = read_cases_frame(pd.DataFrame(list(CANARIES), columns=list(FIXTURE_COLUMNS)),
                                folder)
    fixture = fixture_cases(rows, 0)
    print(f"fixture: {len(real)} rows, {real.drop_duplicates().shape[0]} distinct, "
          f"{100 * (class_sizes(real, QI) < K).mean():.1f}% of rows in QI classes < {K}, "
          f"{int((class_sizes(real, QI) == 1).sum())} unique on the QIs, {len(CANARIES)} canaries;"
          f" raw codes: {', '.join(sorted(set(fixture['isForcedLabour'])))}")
    results = []
    bootstrap = real.iloc[np.random.default_rng(SEED).integers(0, len(real), len(real))]
    results.append(row("bootstrap resample (sampling noise: the ceiling)", real, bootstrap,
                       float("nan"), canaries))
    for label, epsilon in (("tipkit fit, no DP", None), ("tipkit fit, epsilon 4", 4.0),
                           ("tipkit fit, epsilon 1", 1.0)):
        synthetic, seconds = tipkit_run(data, folder / f"rel-{epsilon}", epsilon)
        results.append(row(label + f", k={K}", real, synthetic, seconds, canaries))
    synthetic, seconds = tipkit_run(data, folder / "rel-copula", None, "sdv-copula")
    results.append(row(f"tipkit fit --engine sdv-copula, k={K}", real, synthetic, seconds,
                       canaries))
    synthetic, seconds = sdv_copula(real)
    results.append(row("SDV GaussianCopula, defaults (no k)", real, synthetic, seconds, canaries))
    for epsilon in (4.0, 1.0):
        try:
            synthetic, seconds = pac_synth(real, epsilon)
            results.append(row(f"pac-synth, epsilon {epsilon:g}, reporting length 3", real,
                               synthetic, seconds, canaries))
        except ImportError:
            print("pac-synth is not installed: pip install -e '.[bench]'")
            break
    table = pd.DataFrame(results)
    with pd.option_context("display.width", 200, "display.max_columns", 10,
                           "display.float_format", "{:.3f}".format):
        print(table.to_string(index=False))


def read_cases_frame(frame: pd.DataFrame, folder: Path) -> pd.DataFrame:
    """Records in the Global Dataset coding, read the way `fit` reads them."""
    path = folder / "canaries.csv"
    frame.to_csv(path, index=False)
    return read_cases(path).table


if __name__ == "__main__":
    main()
