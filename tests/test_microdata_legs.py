"""`tipkit synth fit` on inputs with journey legs: legs released with the cases' guarantees, checked
on the written files; journeys summarised, fitted and expanded; bad legs refused in one line.
"""

import json
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from tipkit.synth.microdata import journeys
from tipkit.synth.microdata.fit import FitSettings, check_fit
from tipkit.synth.release.domain import Domain
from tipkit.synth.release.legs import FITTED_IDS, expand_legs
from tipkit.synth.release.guarantees import class_sizes, rare_combinations, smallest_class
from tipkit.synth.release.folder import read_release
from tipkit.synth.release.schema import LEG_COLUMNS, LEG_DOMAINS, LEG_QUASI_IDENTIFIERS
from tipkit.cli import main

K = 5
QI = ["gender", "ageBroad", "citizenship", "CountryOfExploitation"]
LEG_QI = [*LEG_QUASI_IDENTIFIERS, *QI]


def _run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def _input(rows: int = 1500, seed: int = 1) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Cases in our schema with journey legs: planted dependence (border point on gender,
    transport on border point, number of legs on citizenship), cases without legs, journeys whose
    legs differ, one rare four-leg journey, one rare travel document. Ids look nothing like the
    fresh ones a release gets."""
    rng = np.random.default_rng(seed)
    gender = rng.choice(["Woman", "Man"], rows, p=[0.7, 0.3])
    cases = pd.DataFrame({
        "caseId": [f"C{i:06d}" for i in range(rows)],
        "gender": gender,
        "ageBroad": rng.choice(["9--17", "18--20", "21--23", "30--38"], rows),
        "citizenship": rng.choice(["PHL", "UKR", "MDA", "IDN"], rows, p=[0.4, 0.3, 0.2, 0.1]),
        "CountryOfExploitation": np.where(rng.random(rows) < 0.7, "USA", "RUS"),
        "isSexualExploit": np.where(rng.random(rows) < np.where(gender == "Woman", 0.6, 0.2),
                                    "1", "0"),
    })
    count = np.where(cases["citizenship"] == "PHL", rng.choice([1, 2, 3], rows, p=[0.4, 0.4, 0.2]),
                     rng.choice([0, 1, 2], rows, p=[0.15, 0.7, 0.15]))
    count[0] = 4  # a journey no release may show: recoded to a number of legs k cases share
    official = rng.random(rows) < np.where(gender == "Woman", 0.85, 0.65)
    mode = np.where(official, rng.choice(["bus", "train", "plane"], rows),
                    rng.choice(["bus", "other"], rows))
    document = rng.choice(["own", "notOwn"], rows, p=[0.7, 0.3]).astype(object)
    document[1:3] = "forged"  # too rare to release: generalised
    count[1:3] = 1
    legs = []
    for case in range(rows):
        for index in range(1, count[case] + 1):
            # Some later legs change transport: a journey whose legs differ.
            changed = index > 1 and case % 7 == 0
            legs.append({
                "legId": f"L{len(legs):07d}", "caseId": cases["caseId"][case], "legIndex": str(index),
                "borderPoint": "official" if official[case] else "unofficial",
                "transportMode": "train" if changed else mode[case],
                "travelDocument": document[case],
                "exploitedBeforeCrossing": "1" if case % 3 else "0",
                "travelledInGroup": "1" if official[case] else "0",
            })
    return cases, pd.DataFrame(legs)


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    folder = tmp_path_factory.mktemp("input")
    cases, legs = _input()
    cases.to_csv(folder / "cases.csv", index=False)
    legs.to_csv(folder / "legs.csv", index=False)
    return folder


@pytest.fixture(scope="module")
def plain(data, tmp_path_factory):
    out = tmp_path_factory.mktemp("rel") / "plain"
    result = _run("synth", "fit", "--data", data / "cases.csv", "--k", K, "--seed", 7, "--out", out)
    assert result.exit_code == 0, result.output
    assert "legs" in result.output
    return out


@pytest.fixture(scope="module")
def private(data, tmp_path_factory):
    out = tmp_path_factory.mktemp("rel") / "dp"
    result = _run("synth", "fit", "--data", data, "--k", K, "--epsilon", 4, "--delta", "1e-6",
                  "--years", "2002-2018", "--seed", 7, "--out", out)
    assert result.exit_code == 0, result.output
    return out


@pytest.mark.parametrize("which", ["plain", "private"])
def test_legs_are_k_anonymous_with_their_cases_and_have_no_rare_combination(which, request):
    cases, legs = read_release(request.getfixturevalue(which))
    assert legs is not None and len(legs) > len(cases) * 0.9
    joined = legs.merge(cases, on="caseId", how="left", validate="many_to_one")
    assert smallest_class(joined, LEG_QI) >= K
    assert sum(rare_combinations(legs, list(LEG_COLUMNS), K, 3).values()) == 0
    # The cases keep their own guarantees.
    assert smallest_class(cases, QI) >= K
    assert sum(rare_combinations(cases, [c for c in cases.columns if c != "caseId"], K, 3)
               .values()) == 0


@pytest.mark.parametrize("which", ["plain", "private"])
def test_ids_are_fresh_and_every_leg_belongs_to_a_released_case(which, request, data):
    cases, legs = read_release(request.getfixturevalue(which))
    real_cases, real_legs = read_release(data)
    assert list(cases["caseId"]) == [str(i) for i in range(1, len(cases) + 1)]
    assert list(legs["legId"]) == [str(i) for i in range(1, len(legs) + 1)]
    assert not set(cases["caseId"]) & set(real_cases["caseId"])
    assert not set(legs["legId"]) & set(real_legs["legId"])
    assert legs["caseId"].isin(cases["caseId"]).all()
    # Legs of a case are numbered 1..legCount, and share the case's journey.
    for _, group in legs.groupby("caseId"):
        assert list(group["legIndex"]) == [str(i) for i in range(1, len(group) + 1)]
        assert len(group[list(journeys.JOURNEY_COLUMNS)].drop_duplicates()) == 1


def test_metadata_holds_both_tables_and_their_relationship(plain):
    from sdv.metadata import Metadata

    spec = json.loads((plain / "metadata.json").read_text())
    assert set(spec["tables"]) == {"cases", "legs"}
    assert spec["tables"]["legs"]["primary_key"] == "legId"
    assert spec["relationships"] == [{"parent_table_name": "cases", "parent_primary_key": "caseId",
                                      "child_table_name": "legs", "child_foreign_key": "caseId"}]
    Metadata.load_from_json(plain / "metadata.json").validate()


def test_same_data_and_seed_give_byte_identical_release(plain, data, tmp_path):
    again = tmp_path / "again"
    assert _run("synth", "fit", "--data", data / "cases.csv", "--k", K, "--seed", 7,
                "--out", again).exit_code == 0
    for name in ("cases.csv", "legs.csv", "datacard.md", "metadata.json", "release.json"):
        assert (again / name).read_bytes() == (plain / name).read_bytes(), name


def test_no_input_leg_unique_on_its_quasi_identifiers_reappears(plain, data):
    real_cases, real_legs = read_release(data)
    cases, legs = read_release(plain)
    real = real_legs.merge(real_cases, on="caseId")
    uniques = real.loc[class_sizes(real, LEG_QI) == 1, LEG_QI].drop_duplicates()
    assert len(uniques) > 0
    released = legs.merge(cases, on="caseId")[LEG_QI]
    assert len(released.merge(uniques, how="inner")) == 0


def test_journeys_keep_the_structure_of_the_input(plain, data):
    real_cases, real_legs = read_release(data)
    cases, legs = read_release(plain)
    assert len(cases) == len(real_cases)
    # Legs per case, and cases without legs.
    assert abs(len(legs) / len(cases) - len(real_legs) / len(real_cases)) < 0.05
    legless = ~cases["caseId"].isin(legs["caseId"])
    real_legless = ~real_cases["caseId"].isin(real_legs["caseId"])
    assert abs(legless.mean() - real_legless.mean()) < 0.03 and legless.any()
    # The planted dependence of border point on gender survives the release.
    def official_by_gender(c, leg):
        first = leg[leg["legIndex"] == "1"].merge(c, on="caseId")
        return first.groupby("gender")["borderPoint"].apply(lambda s: (s == "official").mean())

    real_share, share = official_by_gender(real_cases, real_legs), official_by_gender(cases, legs)
    assert (share - real_share).abs().max() < 0.05
    assert share["Woman"] - share["Man"] > 0.1
    # The single four-leg journey and the rare document are not shown as they are.
    assert "4" not in set(legs["legIndex"])
    assert "forged" not in set(legs["travelDocument"])


def test_data_card_says_how_legs_were_modelled(plain):
    card = (plain / "datacard.md").read_text()
    assert "Journey legs:" in card and "first leg (lowest legIndex)" in card
    assert "cases had legs whose journey values differ, summarised by their first leg" in card
    assert "- legs.csv: every leg's borderPoint, transportMode, travelDocument together with its " \
           "case's quasi-identifiers are shared by at least 5 legs" in card
    assert "  - travelDocument: 2 cases (\"Other\")." in card
    assert "  - legCount: 1 cases (number of legs recoded)." in card


def test_private_release_measures_journeys_inside_the_budget(private):
    card = (private / "datacard.md").read_text()
    assert "| one-way legCount |" in card and "| one-way borderPoint |" in card
    assert "| 2-way gender x borderPoint |" in card
    assert "| 3-way legCount x borderPoint x transportMode |" in card
    assert "Neighbouring inputs differ by one case together with all its journey legs" in card
    assert "cases had legs whose journey values differ" not in card  # an input count: not told
    spent = float(card.split("(spent ")[1].split(")")[0])
    rho = float(card.split("rho = ")[1].split(" ")[0])
    assert spent <= rho + 1e-5
    _, legs = read_release(private)
    for name in journeys.JOURNEY_COLUMNS:
        assert set(legs[name]) <= set(LEG_DOMAINS[name]) | {"Other", ""}


def test_a_release_folder_with_legs_in_parquet_is_an_input(tmp_path):
    folder = tmp_path / "release"
    made = _run("synth", "generate", "--cases", 2000, "--k", K, "--seed", 3, "--format", "parquet",
                "--out", folder)
    assert made.exit_code == 0, made.output
    out = tmp_path / "fitted"
    result = _run("synth", "fit", "--data", folder, "--k", K, "--columns",
                  "gender,ageBroad,citizenship,isSexualExploit", "--format", "parquet",
                  "--out", out)
    assert result.exit_code == 0, result.output
    assert (out / "legs.parquet").exists()
    cases, legs = read_release(out)
    joined = legs.merge(cases, on="caseId")
    assert smallest_class(joined, [*LEG_QUASI_IDENTIFIERS, "gender", "ageBroad", "citizenship"]) >= K
    assert sum(rare_combinations(legs, list(LEG_COLUMNS), K, 3).values()) == 0
    # Generated journeys are the same on every leg: none is counted as differing.
    assert "Input: " in (out / "datacard.md").read_text()
    assert " 0 cases had legs whose journey values differ" in (out / "datacard.md").read_text()
    # --no-legs releases the cases only.
    only = tmp_path / "cases-only"
    assert _run("synth", "fit", "--data", folder, "--k", K, "--columns", "gender,ageBroad",
                "--no-legs", "--out", only).exit_code == 0
    assert read_release(only)[1] is None and not (only / "legs.csv").exists()


def _bad(legs: pd.DataFrame, change) -> pd.DataFrame:
    legs = legs.copy()
    change(legs)
    return legs


def _set(column, row, value):
    def change(legs):
        legs.loc[row, column] = value
    return change


@pytest.mark.parametrize("change, message", [
    (_set("caseId", 5, "C999999"), "1 legs belong to no case in cases.csv (the first in data row 6)"),
    (lambda legs: legs.insert(3, "vehicle", "car"), "column 'vehicle' is not in the legs schema"),
    (lambda legs: legs.drop(columns="travelDocument", inplace=True), "no column 'travelDocument'"),
    (_set("transportMode", 0, "boat"), "the transportMode of data row 1 is not one of bus, train, plane, other"),
    (_set("legIndex", 0, "7"), "the legIndex of data row 1 is not one of 1, 2, 3, 4"),
    (_set("legIndex", 1, "1"), "the case of data row 2 has two legs with legIndex 1"),
    (lambda legs: legs.drop(legs.index, inplace=True), "has no legs"),
])
def test_bad_legs_exit_2_with_one_line_and_write_nothing(tmp_path, change, message):
    cases, legs = _input(rows=60)
    cases.to_csv(tmp_path / "cases.csv", index=False)
    _bad(legs, change).to_csv(tmp_path / "legs.csv", index=False)
    out = tmp_path / "never"
    result = _run("synth", "fit", "--data", tmp_path / "cases.csv", "--k", K, "--out", out)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert "C999999" not in result.output and "boat" not in result.output  # no case data echoed
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cases.csv", "legs.csv"]


def test_legs_beside_cases_without_ids_are_refused(tmp_path):
    cases, legs = _input(rows=60)
    cases.drop(columns="caseId").to_csv(tmp_path / "cases.csv", index=False)
    legs.to_csv(tmp_path / "legs.csv", index=False)
    result = _run("synth", "fit", "--data", tmp_path / "cases.csv", "--k", K, "--out",
                  tmp_path / "never")
    assert result.exit_code == 2 and "no caseId column to link legs to" in result.output
    assert not (tmp_path / "never").exists()


def test_summarise_takes_the_first_leg_and_counts_legs():
    legs = pd.DataFrame({"case": [2, 0, 0, 2], "legIndex": ["2", "2", "1", "1"],
                         "borderPoint": ["official", "unofficial", "official", "unofficial"],
                         "transportMode": ["bus"] * 4, "travelDocument": ["own"] * 4,
                         "exploitedBeforeCrossing": ["1"] * 4, "travelledInGroup": ["0"] * 4})
    summary, varying = journeys.summarise(legs, 3)
    assert list(summary["legCount"]) == ["2", "0", "2"]
    assert list(summary["borderPoint"]) == ["official", journeys.NO_LEGS, "unofficial"]
    assert varying == 2


def test_rare_numbers_of_legs_go_to_the_nearest_kept_and_mixtures_are_never_released():
    from tipkit.synth.microdata import marginals as model

    domain = Domain(("legCount", *journeys.JOURNEY_COLUMNS),
                    (("0", "1", "2", "3", "4", "Other", ""),)
                    + tuple(LEG_DOMAINS[c] + (journeys.NO_LEGS, "Other", "")
                            for c in journeys.JOURNEY_COLUMNS))
    one_way = {c: np.full(domain.size(c), 100.0) for c in domain.columns}
    one_way["legCount"] = np.array([100, 100, 100, 1, 1, 0, 0], dtype=float)  # 3 and 4 rare
    cdomain, maps = model.compress(domain, one_way, 5)
    maps = journeys.recode_leg_counts(domain, cdomain, maps)
    assert [cdomain.values[0][c] for c in maps[0][:5]] == ["0", "1", "2", "2", "2"]
    # legCount, borderPoint, ...: a row is released only if it has legs exactly when it has values.
    none = [cdomain.values[j].index(journeys.NO_LEGS) for j in range(1, 6)]
    zero, two = cdomain.values[0].index("0"), cdomain.values[0].index("2")
    rows = np.array([[two, 0, 0, 0, 0, 0], [zero, *none], [zero, 0, 0, 0, 0, 0],
                     [two, *none], [two, none[0], 0, 0, 0, 0]])
    assert list(journeys.consistent(rows, cdomain)) == [True, True, False, False, False]
    released = cdomain.decode(rows[:2])
    legs = expand_legs(np.array(["1", "2"]), released, FITTED_IDS)
    assert list(legs["legIndex"]) == ["1", "2"] and list(legs["caseId"]) == ["1", "1"]
    assert list(legs.columns) == list(journeys.LEG_TABLE_COLUMNS)


def test_the_check_of_the_written_legs_finds_each_broken_guarantee(plain, data):
    cases, legs = read_release(plain)
    real_cases, real_legs = read_release(data)
    linked = pd.DataFrame({"case": real_legs["caseId"].map(
        pd.Series(range(len(real_cases)), index=real_cases["caseId"])).to_numpy()})
    linked[list(LEG_COLUMNS)] = real_legs[list(LEG_COLUMNS)].to_numpy()
    real = journeys.leg_rows(linked, real_cases, QI)
    # check_fit reads only these of a FittedRelease
    fitted = SimpleNamespace(settings=FitSettings(k=K), quasi_identifiers=tuple(QI), legs=legs,
                              codebook=None, input_values=None)
    assert check_fit(cases, legs, fitted, real_cases, linked)[1] == []

    def problems(change):
        broken = legs.copy()
        change(broken)
        return " | ".join(check_fit(cases, broken, fitted, real_cases, linked)[1])

    assert "smaller than k=5" in problems(_set("travelDocument", 0, "forged"))
    assert "combinations of 1 values occur in 1..4 rows" in problems(_set("travelDocument", 0,
                                                                          "forged"))
    assert "not the fresh sequence" in problems(_set("legId", 0, "L0000001"))
    assert "belong to no released case" in problems(_set("caseId", 0, "C000001"))
    # A released leg given the journey of an input leg that is unique on the legs' and its
    # case's quasi-identifiers, where the release has a case with those case values.
    target = legs.merge(cases, on="caseId", how="left")
    uniques = real.loc[class_sizes(real, LEG_QI) == 1]
    shown = uniques.merge(target[QI].drop_duplicates(), on=QI)
    assert len(shown) > 0
    unique = shown.iloc[0]
    row = target.index[(target[QI] == unique[QI]).all(axis=1)][0]

    def copy(broken):
        broken.loc[row, list(LEG_QUASI_IDENTIFIERS)] = unique[list(LEG_QUASI_IDENTIFIERS)].to_numpy()

    assert "reproduce the quasi-identifiers of a leg unique" in problems(copy)
