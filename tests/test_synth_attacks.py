"""Attacks on a release (Anonymeter): a leak scores higher than a release, and the attacks reach
`evaluate --holdout`, the data card of `fit --audit` and its privacy-evidence.json."""

import json

import numpy as np
import pytest
from click.testing import CliRunner

from tipkit.cli import main
from tipkit.synth.evaluate.attacks import attack_release, inference_targets, random_sample
from tipkit.synth.microdata.evidence import evidence_sentences
from tipkit.synth.microdata.fit import FitSettings, fit_release
from tipkit.synth.microdata.fixtures import write_fixture
from tipkit.synth.microdata.journeys import read_input
from tipkit.synth.release.folder import read_release

QI = ("gender", "ageBroad", "citizenship", "CountryOfExploitation", "yearOfRegistration")


@pytest.fixture(scope="module")
def split(tmp_path_factory):
    path = tmp_path_factory.mktemp("data") / "cases.csv"
    write_fixture(path, rows=4000, seed=6)
    records = read_input(path, legs=False)
    order = np.random.default_rng(0).permutation(len(records.table))
    table = records.table
    train = table.iloc[np.sort(order[:2000])].reset_index(drop=True)
    control = table.iloc[np.sort(order[2000:])].reset_index(drop=True)
    from dataclasses import replace

    fitted = fit_release(replace(records, table=train), FitSettings(k=11))
    return train, control, fitted.cases.drop(columns=["caseId"])


def test_the_training_records_themselves_score_higher_than_a_release(split):
    train, control, release = split
    on_release = {r.name: r for r in attack_release(train, release, control, QI, 400, seed=1)}
    on_leak = {r.name: r for r in attack_release(train, train, control, QI, 400, seed=1)}
    assert on_release.keys() == on_leak.keys()
    multivariate = "singling out (a combination of values)"
    assert on_leak[multivariate].release.value > 0.5 > on_release[multivariate].release.high
    # the "random sample" of the training records is here the training records themselves
    assert on_release[multivariate].sample.value == \
        pytest.approx(on_leak[multivariate].release.value)
    inferred = [n for n in on_leak if n.startswith("inference")]
    assert inferred == ["inference of isForcedLabour", "inference of isSexualExploit"]
    for name in inferred:
        assert on_leak[name].release.value > on_release[name].release.value
    for result in on_release.values():
        assert 0 <= result.release.low <= result.release.value <= result.release.high <= 1


def test_attacks_repeat_with_the_seed(split):
    train, control, release = split
    first = attack_release(train, release, control, QI, 200, seed=4)
    again = attack_release(train, release, control, QI, 200, seed=4)
    assert [r.record() for r in first] == [r.record() for r in again]


def test_inference_secrets_are_the_columns_outside_the_quasi_identifiers():
    assert inference_targets(["a", "b", "s"], ["a", "b"]) == [("s", ["a", "b"])]
    # every column a quasi-identifier (the NIST features): each in turn, known the others
    assert inference_targets(["a", "b", "c"], ["a", "b", "c"])[0] == ("a", ["b", "c"])


def test_random_sample_has_the_release_size_and_only_real_records(split):
    train, _, release = split
    sample = random_sample(train, 1500, seed=0)
    assert len(sample) == 1500
    assert len(sample.merge(train.drop_duplicates())) == 1500


def test_evaluate_with_a_holdout_reports_each_attack_beside_real_records(tmp_path):
    data, holdout = tmp_path / "cases.csv", tmp_path / "holdout.csv"
    write_fixture(data, rows=3000, seed=7)
    write_fixture(holdout, rows=3000, seed=8)
    runner = CliRunner()
    assert runner.invoke(main, ["synth", "fit", "--data", str(data), "--seed", "1", "--out",
                                str(tmp_path / "rel")]).exit_code == 0
    out = tmp_path / "evaluation.html"
    result = runner.invoke(main, ["synth", "evaluate", "--real", str(data), "--release",
                                  str(tmp_path / "rel"), "--holdout", str(holdout),
                                  "--attacks", "300", "--no-sdmetrics", "--out", str(out)])
    assert result.exit_code == 0, result.output
    found = json.loads(out.with_suffix(".json").read_text())
    attacks = found["privacy"]["attacks"]["attacks"]
    assert {a["kind"] for a in attacks} == {"singling out", "linkability", "inference"}
    html = out.read_text()
    for attack in attacks:
        assert attack["sentence"] in found["summary"]
        assert attack["attack"] in html
        assert "random sample of the real records" in attack["sentence"]


def test_attacks_need_a_holdout(tmp_path):
    result = CliRunner().invoke(main, ["synth", "evaluate", "--real", "x.csv", "--release", "r",
                                       "--attacks", "100", "--out", str(tmp_path / "e.html")])
    assert result.exit_code == 2 and "--holdout" in result.output


def test_fit_audit_puts_the_attacks_in_the_data_card_and_beside_it(tmp_path, monkeypatch):
    data = tmp_path / "cases.csv"
    write_fixture(data, rows=3000, seed=9)
    out = tmp_path / "releases" / "audited"
    result = CliRunner().invoke(main, ["synth", "fit", "--data", str(data), "--seed", "2",
                                       "--audit", "--out", str(out)])
    assert result.exit_code == 0, result.output
    card = (out / "datacard.md").read_text()
    assert "## Measured privacy evidence" in card
    sentences = evidence_sentences(out)
    assert len(sentences) >= 5 and all(s in card for s in sentences)
    evidence = json.loads((out / "privacy-evidence.json").read_text())
    assert evidence["attacks"]["target_rows"] == evidence["attacks"]["control_rows"] == 1500
    cases, _ = read_release(out)  # release.json seals the extra file with the others
    assert len(cases) > 0
    # the app's Datasets page shows every sentence
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    from tipkit.app import settings

    root = Path(__file__).resolve().parents[1]
    (out.parent / "iom-2018").symlink_to(root / "releases" / "iom-2018")  # no first-start build
    monkeypatch.setenv(settings.RELEASES, str(out.parent))
    monkeypatch.setenv(settings.SCENARIOS, str(root / "scenarios"))
    at = AppTest.from_file(str(root / "app" / "screens" / "app_main.py"), default_timeout=120)
    at.run()
    at.switch_page("page_datasets.py").run()
    at.selectbox(key="release").set_value("audited").run()
    shown = [box.value for box in at.info]
    assert all(sentence in shown for sentence in sentences)
