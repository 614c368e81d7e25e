"""SDNist's k-marginal score on tables small enough to compute by hand."""

import pandas as pd
import pytest

from tipkit.synth.evaluate.kmarginal import (bins_like_real, kmarginal_score, pair_distances,
                                             percentile_bins)


def _table(rows, columns=("A", "B")):
    return pd.DataFrame(rows, columns=list(columns)).astype(str)


def test_identical_tables_score_1000_and_disjoint_ones_0():
    real = _table([("a", "x"), ("b", "y")])
    assert kmarginal_score(real, real.iloc[::-1], ["A", "B"]) == 1000
    assert kmarginal_score(real, _table([("c", "z")]), ["A", "B"]) == 0


def test_score_is_2_minus_the_l1_of_the_densities_times_500():
    # real: ax 1/4, ay 1/4, by 1/2; synthetic: ax 1/2, by 1/2 -> L1 = 1/4 + 1/4 = 1/2
    real = _table([("a", "x"), ("a", "y"), ("b", "y"), ("b", "y")])
    synthetic = _table([("a", "x"), ("a", "x"), ("b", "y"), ("b", "y")])
    assert kmarginal_score(real, synthetic, ["A", "B"]) == pytest.approx(750)


def test_the_mean_runs_over_every_pair_sorted_by_name_and_skips_puma():
    real = _table([("1", "x", "p", "01"), ("2", "y", "q", "02")], ("C", "A", "B", "PUMA"))
    synthetic = _table([("1", "x", "q", "01"), ("2", "y", "p", "01")], ("C", "A", "B", "PUMA"))
    distances = pair_distances(real, synthetic, ["C", "A", "B", "PUMA"])
    # A-C agree exactly; each pair with B has all its mass in swapped cells: L1 = 2.
    assert distances == {("A", "B"): 2.0, ("A", "C"): 0.0, ("B", "C"): 2.0}
    score = kmarginal_score(real, synthetic, ["C", "A", "B", "PUMA"])
    assert score == pytest.approx((2 - 4 / 3) * 500)


def test_ages_fall_in_20_percentile_bins_of_the_real_data_ties_ranked_by_their_mean():
    # ranks 1.5/4, 1.5/4, 3/4, 4/4 -> int(20 x rank) = 7, 7, 15; the top value in bin 19
    real = pd.Series(["5", "5", "7", "9"])
    assert percentile_bins(real).tolist() == [7, 7, 15, 19]
    assert percentile_bins(pd.Series(["3", "N"])).tolist() == [19, -1]


def test_synthetic_ages_take_the_bin_whose_largest_real_age_is_not_below_them():
    real = pd.Series(["5", "5", "7", "9"])
    synthetic = pd.Series(["0", "5", "6", "7", "8", "100", "N"])
    binned = bins_like_real(synthetic, real, percentile_bins(real))
    assert binned.tolist() == [7, 7, 15, 15, 19, 19, -1]


def test_a_numeric_feature_is_scored_on_its_bins_not_its_values():
    real = _table([("5", "x"), ("5", "x"), ("7", "y"), ("9", "y")], ("AGEP", "B"))
    # 4 and 5 share bin 7, 8 and 9 share bin 19: the same 2-way densities once binned
    synthetic = _table([("4", "x"), ("5", "x"), ("7", "y"), ("8", "y")], ("AGEP", "B"))
    assert kmarginal_score(real, synthetic, ["AGEP", "B"]) == 1000
