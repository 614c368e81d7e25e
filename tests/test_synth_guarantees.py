"""The guarantee counters: class sizes and rare combinations, on tables small enough to count by hand."""

import pandas as pd

from tipkit.synth.release.guarantees import (check_table, class_sizes, rare_combinations, reproduced_uniques,
                              smallest_class)


def _table():
    # a: x x x y y ; b: 1 1 2 2 2 ; c: p p p p q
    return pd.DataFrame({"a": list("xxxyy"), "b": list("11222"), "c": list("ppppq")})


def test_class_sizes_count_rows_sharing_the_values():
    assert class_sizes(_table(), ["a"]).tolist() == [3, 3, 3, 2, 2]
    assert class_sizes(_table(), ["a", "b"]).tolist() == [2, 2, 1, 2, 2]
    assert smallest_class(_table(), ["a", "b"]) == 1


def test_rare_combinations_by_length():
    # with k=3: singles rare: y(2), b=1(2), q(1) -> 3; pairs: (x,1)2 (x,2)1 (y,2)2 (1,p)2 (2,p)2
    # (2,q)1 (x,p)3 ok (y,p)1 (y,q)1 -> 8 rare
    rare = rare_combinations(_table(), ["a", "b", "c"], k=3, length=2)
    assert rare == {1: 3, 2: 8}


def test_a_table_of_repeated_records_has_no_rare_combination():
    table = pd.concat([_table()] * 4, ignore_index=True)
    assert rare_combinations(table, ["a", "b", "c"], k=4, length=3) == {1: 0, 2: 0, 3: 0}
    report = check_table("t", table, ["a", "b"], ["a", "b", "c"], k=4, length=3)
    assert report.smallest_class == 4 and report.problems(4) == []
    assert report.problems(5)  # the same table is not 5-anonymous


def test_reproduced_uniques_counts_released_rows_copying_an_input_unique_record():
    real = _table()  # unique on (a, b): only (x, 2)
    released = pd.DataFrame({"a": ["x", "x", "y", "x"], "b": ["2", "1", "2", "2"]})
    assert reproduced_uniques(released, real, ["a", "b"]) == 2
    assert reproduced_uniques(released.iloc[1:3], real, ["a", "b"]) == 0


def _count_every_row(table, columns, k, length):
    """The definition, row by row: the reference the fast counter must agree with."""
    from itertools import combinations
    rare = {}
    for r in range(1, min(length, len(columns)) + 1):
        rare[r] = sum(int(((n > 0) & (n < k)).sum())
                      for idx in combinations(columns, r)
                      for n in [table.groupby(list(idx)).size().to_numpy()])
    return rare


def test_rare_combinations_agree_with_counting_every_row_on_a_random_table():
    import numpy as np
    rng = np.random.default_rng(3)
    table = pd.DataFrame({c: rng.choice(list("uvwxyz")[:w], size=400)
                          for c, w in zip("abcde", (2, 3, 4, 5, 6))})
    table = pd.concat([table, table.iloc[:50]], ignore_index=True)  # some records repeated
    for k in (2, 5, 12):
        assert rare_combinations(table, list("abcde"), k, 3) == \
            _count_every_row(table, list("abcde"), k, 3)


def test_any_reporting_length_is_quick_when_every_whole_record_is_shared_by_k_rows():
    # 2**30 combinations to enumerate; whole records shared by >= k rows settle it at once
    table = pd.concat([pd.DataFrame({f"c{i}": [str(i % 3), str(i % 5)] for i in range(30)})] * 6,
                      ignore_index=True)
    assert rare_combinations(table, list(table.columns), k=6, length=30) == \
        {r: 0 for r in range(1, 31)}
