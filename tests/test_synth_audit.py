"""The one-run DP audit (Steinke, Nasr and Jagielski 2023): its bound, and that it bites."""

import math

import numpy as np
import pytest
from click.testing import CliRunner

from tipkit.cli import main
from tipkit.synth.microdata.audit import (audited_bound, ceiling, draw_canaries,
                                          epsilon_lower_bound, p_value, run_audit)
from tipkit.synth.microdata.fit import FitSettings
from tipkit.synth.microdata.fixtures import write_fixture
from tipkit.synth.microdata.journeys import read_input

YEARS = (2002, 2018)


def test_bound_matches_the_closed_form_when_every_guess_is_right():
    # With delta = 0 and all r guesses right, P[Binomial(r, q) >= r] = q^r: the bound is the
    # epsilon of q = 0.05^(1/r), log(q / (1 - q)).
    for r in (10, 100, 1000):
        q = 0.05 ** (1 / r)
        assert epsilon_lower_bound(r, r, r) == pytest.approx(math.log(q / (1 - q)), abs=1e-6)


def test_bound_is_zero_at_chance_and_delta_only_lowers_it():
    assert epsilon_lower_bound(1000, 1000, 500) == 0.0
    assert epsilon_lower_bound(1000, 200, 180, delta=1e-3) < epsilon_lower_bound(1000, 200, 180)
    # the p-value is the binomial tail plus the delta term (Theorem 5.2)
    assert p_value(1000, 200, 180, 1.0, 1e-3) > p_value(1000, 200, 180, 1.0, 0.0)


def test_perfect_scores_reach_the_ceiling_and_random_ones_stay_at_zero():
    rng = np.random.default_rng(0)
    included = rng.random(1000) < 0.5
    assert audited_bound(included.astype(float), included, 0.0).epsilon == \
        pytest.approx(ceiling(1000))
    assert audited_bound(rng.random(1000), included, 1e-6).epsilon < 0.5


def test_canaries_are_distinct_and_copy_no_record():
    records = _records_of(3000)
    drawn = draw_canaries(records.table, 1000, np.random.default_rng(1), records.codebook, 11)
    assert len(drawn.drop_duplicates()) == 1000
    assert len(drawn.merge(records.table.drop_duplicates())) == 0


def _records_of(rows):
    import tempfile
    from pathlib import Path

    path = Path(tempfile.mkdtemp()) / "cases.csv"
    write_fixture(path, rows=rows, seed=2)
    return read_input(path, legs=False, years=YEARS)


@pytest.fixture(scope="module")
def records():
    return _records_of(5000)


def test_audit_catches_a_mechanism_with_twenty_times_too_little_noise(records):
    settings = FitSettings(k=11, epsilon=1.0, delta=1e-6, years=YEARS, seed=3)
    broken = run_audit(records, settings, canaries=1000, _noise_scale=1 / 20)
    assert broken.canaries == 1000
    assert broken.white_box.epsilon > 1.0
    assert not broken.holds


def test_audit_of_the_mechanism_as_shipped_stays_below_its_claim(records):
    settings = FitSettings(k=11, epsilon=1.0, delta=1e-6, years=YEARS, seed=3)
    honest = run_audit(records, settings, canaries=1000)
    assert honest.white_box.epsilon < 1.0 and honest.black_box.epsilon < 1.0
    assert honest.holds


def test_audit_command_reports_claim_and_bounds(tmp_path):
    path = tmp_path / "cases.csv"
    write_fixture(path, rows=3000, seed=4)
    out = tmp_path / "audit.json"
    result = CliRunner().invoke(main, ["synth", "audit", "--data", str(path), "--epsilon", "4",
                                       "--delta", "1e-6", "--years", "2002-2018",
                                       "--canaries", "1000", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "claims epsilon = 4" in result.output and "at least" in result.output
    import json

    found = json.loads(out.read_text())
    assert found["claimed"] == {"epsilon": 4.0, "delta": 1e-6}
    assert found["white_box"]["epsilon_lower_bound"] < 4
    again = tmp_path / "again.json"  # the same inputs and seed, the same bytes
    assert CliRunner().invoke(main, ["synth", "audit", "--data", str(path), "--epsilon", "4",
                                     "--delta", "1e-6", "--years", "2002-2018", "--out",
                                     str(again)]).exit_code == 0
    assert again.read_bytes() == out.read_bytes()


def test_audit_command_refuses_a_fit_without_epsilon(tmp_path):
    path = tmp_path / "cases.csv"
    write_fixture(path, rows=500, seed=4)
    result = CliRunner().invoke(main, ["synth", "audit", "--data", str(path)])
    assert result.exit_code == 2
    assert "--epsilon" in result.output
