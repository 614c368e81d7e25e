"""SDNist's unique exact matches of a release, in the values it shows, beside random samples'.

Real records unique on the released columns that reappear exactly in the release (numbers drawn
inside their bins compared as released, not as bins), and, for scale, the same count for a random
10% sample of the real records (SDNist's yardstick) and for one of the release's size.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from tipkit.synth.release.guarantees import unique_exact_matches

SAMPLE_SEED = 20  # evaluate has no --seed: the samples are the same on every run
TEN_PERCENT = 0.1


def real_values(path, columns, codebook) -> pd.DataFrame:
    """The real records as a release shows them: coded through `codebook`, with the numbers a
    release draws inside their bins (release: value) kept as whole numbers."""
    from tipkit.synth.microdata.readers import read_cases

    if codebook is None or not any(c in codebook.columns and codebook.column(c).bins
                                   and codebook.column(c).release == "value" for c in columns):
        return None
    records = read_cases(Path(path), list(columns), codebook=codebook, strict=False)
    return records.values if records.values is not None else records.table


def _figure(matched: int, uniques: int) -> dict:
    return {"matched": matched, "unique_real_records": uniques,
            "share": matched / uniques if uniques else 0.0}


def exact_match_figures(real: pd.DataFrame, released: pd.DataFrame, columns) -> dict:
    """The release's unique exact matches on `columns`, and a random 10% sample's and a
    release-sized sample's (drawn with replacement when the release outnumbers the records)."""
    columns = list(columns)
    rng = np.random.default_rng(SAMPLE_SEED)
    ten = real.iloc[np.sort(rng.choice(len(real), size=max(1, round(TEN_PERCENT * len(real))),
                                       replace=False))]
    size = len(released)
    same = real.iloc[np.sort(rng.choice(len(real), size=size, replace=size > len(real)))]
    return {
        "columns": columns,
        "release": _figure(*unique_exact_matches(released, real, columns)),
        "random_10pct_sample": _figure(*unique_exact_matches(ten, real, columns)),
        "random_sample_of_release_size": {
            **_figure(*unique_exact_matches(same, real, columns)),
            "with_replacement": size > len(real)},
    }


def plain_sentence(figures: dict) -> str:
    """The figures in one sentence for the evaluation's summary."""
    r, ten, same = (figures["release"], figures["random_10pct_sample"],
                    figures["random_sample_of_release_size"])
    return (f"Of the {r['unique_real_records']} real records unique on the released columns, "
            f"{r['matched']} ({100 * r['share']:.2f}%) reappear exactly in the values released "
            f"(SDNist's unique exact matches); a random 10% sample of the real records would "
            f"show {ten['matched']} ({100 * ten['share']:.2f}%), a random sample of the "
            f"release's size {same['matched']} ({100 * same['share']:.2f}%).")
