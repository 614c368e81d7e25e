"""`tipkit synth evaluate`: one self-contained report, HTML and JSON with the same numbers."""

import json

import pandas as pd
import pytest
from click.testing import CliRunner

from tipkit.synth.evaluate.evaluation import closest_distances, marginal_scores, mean_score
from tipkit.synth.microdata.fixtures import write_fixture
from tipkit.cli import main


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory):
    folder = tmp_path_factory.mktemp("eval")
    data = folder / "cases.csv"
    write_fixture(data, rows=4000, seed=5)
    runner = CliRunner()
    assert runner.invoke(main, ["synth", "fit", "--data", str(data), "--k", "11", "--seed", "1",
                                "--out", str(folder / "rel")]).exit_code == 0
    result = runner.invoke(main, ["synth", "evaluate", "--real", str(data), "--release",
                                  str(folder / "rel"), "--out", str(folder / "evaluation.html")])
    assert result.exit_code == 0, result.output
    return folder


def test_identical_tables_score_one_and_disjoint_tables_zero():
    real = pd.DataFrame({"a": ["x", "y"], "b": ["1", "2"]})
    assert mean_score(real, real, ["a", "b"], 2) == pytest.approx(1.0)
    other = pd.DataFrame({"a": ["z", "z"], "b": ["3", "3"]})
    assert marginal_scores(real, other, ["a", "b"], 1)[("a",)] == pytest.approx(0.0)


def test_closest_distance_counts_differing_columns():
    import numpy as np

    rows = np.array([[0, 0, 0], [1, 1, 1]])
    others = np.array([[0, 0, 1], [5, 5, 5]])
    assert list(closest_distances(rows, others)) == [1, 2]


def test_report_is_self_contained_and_offline(evaluated):
    html = (evaluated / "evaluation.html").read_text()
    assert "<svg" in html and "<script" not in html and "http" not in html.replace(
        'xmlns="http://www.w3.org/2000/svg"', "")
    assert "In plain words" in html and "SDMetrics quality report" in html


def test_json_holds_the_numbers_of_the_html(evaluated):
    data = json.loads((evaluated / "evaluation.json").read_text())
    html = (evaluated / "evaluation.html").read_text()
    two_way = data["fidelity"]["marginal_scores"]["2-way"]
    assert f"{two_way:.4f}" in html
    privacy = data["privacy"]
    assert privacy["smallest_class"] >= 11
    assert set(privacy["rare_combinations"].values()) == {0}
    assert privacy["real_unique_reappearing_share"] == 0.0
    assert 0 <= privacy["distance_to_closest_record"]["release"]["exact_match_share"] <= 1
    assert privacy["l_diversity"]["column"] == "isSexualExploit"
    assert 0 < data["fidelity"]["sdmetrics"]["quality"]["score"] <= 1
    assert data["cost_of_protection"]["record_expansion"] == pytest.approx(1.0)


def test_evaluating_a_folder_that_is_no_release_exits_2(tmp_path):
    data = tmp_path / "real.csv"
    write_fixture(data, rows=200, seed=1)
    result = CliRunner().invoke(main, ["synth", "evaluate", "--real", str(data), "--release",
                                       str(tmp_path), "--out", str(tmp_path / "e.html")])
    assert result.exit_code == 2 and "is not a release" in result.output
    assert not (tmp_path / "e.html").exists()
