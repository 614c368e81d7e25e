"""Victims are drawn from a release's legs through official border points, joined to cases."""

from __future__ import annotations

from hashlib import sha256

import pandas as pd
import pytest

from tipkit.sim.model.population import load_population
from tipkit.errors import UserError

from test_sim_support import seal, write_release


def test_victims_come_only_from_legs_through_official_points(tmp_path):
    folder = write_release(tmp_path / "r", cases=200)
    legs = pd.read_csv(folder / "legs.csv", dtype=str, keep_default_na=False)
    population = load_population(folder)
    assert len(population.profiles) == (legs.borderPoint == "official").sum()
    assert 0 < len(population.profiles) < len(legs)


def test_a_profile_carries_the_indicators_of_its_leg_and_case(tmp_path):
    folder = tmp_path / "one"
    folder.mkdir()
    (folder / "cases.csv").write_text("caseId,gender,ageBroad,citizenship\n"
                                      "a,Woman,9--17,UGA\nb,,,KEN\n")
    (folder / "legs.csv").write_text(
        "legId,caseId,legIndex,borderPoint,transportMode,travelDocument,"
        "exploitedBeforeCrossing,travelledInGroup\n"
        "1,a,1,official,bus,notOwn,1,0\n2,b,1,official,plane,own,0,1\n"
        "3,b,2,unofficial,other,forged,1,1\n")
    profiles = {p.transport: p for p in load_population(seal(folder)).profiles}
    assert set(profiles) == {"bus", "plane"}
    assert profiles["bus"].indicators == (True, True, True, False)
    assert (profiles["bus"].gender, profiles["bus"].age, profiles["bus"].document) == \
        ("woman", "child", "not_own_document")
    assert profiles["plane"].indicators == (False, False, False, True)
    assert (profiles["plane"].gender, profiles["plane"].age) == ("gender_unknown", "age_unknown")


def test_a_parquet_release_reads_like_the_csv_one(tmp_path):
    folder = write_release(tmp_path / "csv")
    parquet = tmp_path / "parquet"
    parquet.mkdir()
    for name in ("cases", "legs"):
        pd.read_csv(folder / f"{name}.csv", dtype=str, keep_default_na=False).to_parquet(
            parquet / f"{name}.parquet")
    assert load_population(seal(parquet)).profiles == load_population(folder).profiles


def test_a_missing_release_or_column_is_a_one_line_error(tmp_path):
    with pytest.raises(UserError, match="population release not found"):
        load_population(tmp_path / "nowhere")
    folder = write_release(tmp_path / "r")
    legs = pd.read_csv(folder / "legs.csv", dtype=str, keep_default_na=False)
    legs.drop(columns="travelDocument").to_csv(folder / "legs.csv", index=False)
    with pytest.raises(UserError, match="legs.csv has changed since the release was made"):
        load_population(folder)
    with pytest.raises(UserError, match="missing column.*travelDocument"):
        load_population(seal(folder))


def test_only_a_release_with_its_manifest_is_read_and_the_manifest_is_remembered(tmp_path):
    folder = write_release(tmp_path / "r")
    population = load_population(folder)
    assert population.manifest_sha256 == sha256((folder / "release.json").read_bytes()).hexdigest()
    assert population.by_transport(["plane"]).manifest_sha256 == population.manifest_sha256
    (folder / "release.json").unlink()
    with pytest.raises(UserError, match="has no release.json.*rebuild it") as error:
        load_population(folder)
    assert "\n" not in str(error.value)


def test_a_transport_filter_with_no_legs_is_an_error(tmp_path):
    population = load_population(write_release(tmp_path / "r"))
    assert {p.transport for p in population.by_transport(["plane"]).profiles} == {"plane"}
    only_bus = type(population)(population.source, tuple(
        p for p in population.profiles if p.transport == "bus"))
    with pytest.raises(UserError, match="no official-crossing legs by plane"):
        only_bus.by_transport(["plane"])
