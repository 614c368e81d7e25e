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
