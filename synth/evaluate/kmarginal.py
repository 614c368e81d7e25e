"""SDNist's k-marginal score (NIST CRC, SDNist 2.x), computed as SDNist computes it, 0 to 1000.

Every pair of features; per pair, the L1 distance between the real and the synthetic 2-way
densities; score = (2 - mean L1) x 500. Numeric features are cut into 20 percentile bins of the
real data first (sdnist/report/dataset/binning.py), `N` is a bin of its own (-1).
"""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd

PERCENTILE_BINS = 20
NUMERIC = ("AGEP", "POVPIP", "PINCP", "PWGTP", "WGTP")  # SDNist's numeric_features
NOT_SCORED = ("PUMA", "INDP")  # SDNist leaves them out of the pairs (PUMA groups, not scored)
NA = "N"


def percentile_bins(real: pd.Series) -> pd.Series:
    """Each real value's bin: int(20 x its percentile rank), ties ranked by their mean, the top
    value in bin 19; `N` in bin -1 (SDNist's percentile_rank_target and add_bin_for_NA)."""
    text = real.astype(str)
    known = text != NA
    rank = pd.to_numeric(text[known]).astype(int).rank(pct=True)
    bins = pd.Series(-1, index=real.index, dtype=np.int64)
    bins[known] = np.where(rank < 1, np.floor(PERCENTILE_BINS * rank), PERCENTILE_BINS - 1)
    return bins


def bins_like_real(values: pd.Series, real: pd.Series, real_bins: pd.Series) -> pd.Series:
    """Synthetic values in the real data's bins: a value goes to the first bin whose largest real
    value is not below it, and past the last bin's largest into the last bin; `N` in bin -1
    (SDNist's percentile_rank_synthetic)."""
    known_real = real_bins >= 0
    tops = (pd.to_numeric(real.astype(str)[known_real]).astype(int)
            .groupby(real_bins[known_real]).max().sort_index())
    text = values.astype(str)
    known = text != NA
    numbers = pd.to_numeric(text[known]).astype(int).to_numpy()
    where = np.minimum(np.searchsorted(tops.to_numpy(), numbers, side="left"), len(tops) - 1)
    bins = pd.Series(-1, index=values.index, dtype=np.int64)
    bins[known] = tops.index.to_numpy()[where]
    return bins


def scored_tables(real: pd.DataFrame, synthetic: pd.DataFrame, features, numeric=NUMERIC):
    """Both tables as SDNist scores them: `numeric` features binned on the real data, every other
    value compared as its text."""
    real_out, synth_out = pd.DataFrame(index=real.index), pd.DataFrame(index=synthetic.index)
    for name in features:
        if name in numeric:
            real_out[name] = percentile_bins(real[name])
            synth_out[name] = bins_like_real(synthetic[name], real[name], real_out[name])
        else:
            real_out[name] = real[name].astype(str).str.strip()
            synth_out[name] = synthetic[name].astype(str).str.strip()
    return real_out, synth_out


def pair_distances(real: pd.DataFrame, synthetic: pd.DataFrame, features,
                   numeric=NUMERIC) -> dict:
    """{(f1, f2): L1 distance of the two 2-way densities} over every pair of the scored features
    (sorted by name, as SDNist pairs them), or the one feature with itself if there is one.
    `numeric`: the features cut into percentile bins (by default SDNist's)."""
    names = sorted(set(features) - set(NOT_SCORED))
    r, s = scored_tables(real, synthetic, names, numeric)
    pairs = list(combinations(names, 2)) or [(names[0], names[0])]
    found = {}
    for pair in pairs:
        columns = list(dict.fromkeys(pair))
        real_density = r.groupby(columns).size() / len(r)
        synth_density = s.groupby(columns).size() / len(s)
        found[pair] = float(real_density.subtract(synth_density, fill_value=0).abs().sum())
    return found


def kmarginal_score(real: pd.DataFrame, synthetic: pd.DataFrame, features,
                    numeric=NUMERIC) -> float:
    """SDNist's k-marginal score of `synthetic` against `real` on `features`: 1000 for identical
    2-way densities, 0 for disjoint ones (`numeric`: as in pair_distances)."""
    distances = pair_distances(real, synthetic, features, numeric)
    return (2 - float(np.mean(list(distances.values())))) * 500
