"""Shared fixtures for the simulation tests: a small synthetic release and small scenarios."""

from __future__ import annotations

import csv
import random
from pathlib import Path

import pytest

from tipkit.sim.model.population import load_population
from tipkit.sim.model.scenario import Scenario
from tipkit.synth.release import manifest
from tipkit.synth.release.checks import check_release
from tipkit.synth.release.folder import read_release

CASE_HEADER = ["caseId", "gender", "ageBroad"]
LEG_HEADER = ["legId", "caseId", "legIndex", "borderPoint", "transportMode", "travelDocument",
              "exploitedBeforeCrossing", "travelledInGroup"]


def write_release(folder: Path, cases: int = 300, seed: int = 3, official_share: float = 0.6
                  ) -> Path:
    """A release folder with cases.csv and legs.csv in the synthesis half's format."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    case_rows, leg_rows = [], []
    for c in range(cases):
        case_rows.append([f"c{c}", rng.choice(["Woman", "Man", "Trans/Transgender/NonConforming",
                                               ""]),
                          rng.choice(["0--8", "9--17", "18--20", "30--38", "48+", ""])])
        for k in range(rng.randint(1, 3)):
            leg_rows.append([f"c{c}-{k}", f"c{c}", str(k + 1),
                             "official" if rng.random() < official_share else "unofficial",
                             rng.choice(["bus", "train", "plane", "other"]),
                             rng.choice(["own", "forged", "notOwn"]), rng.choice("10"),
                             rng.choice("10")])
    for name, header, rows in (("cases", CASE_HEADER, case_rows), ("legs", LEG_HEADER, leg_rows)):
        with open(folder / f"{name}.csv", "w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            writer.writerows(rows)
    return seal(folder)


def seal(folder: Path) -> Path:
    """Give a hand-made release folder the release.json the simulation requires (made again
    after a test changes its files): k = 2 on gender and age, as measured on its cases."""
    cases, _ = read_release(folder)
    qis = ("gender", "ageBroad")
    settings = manifest.Settings(k=2, quasi_identifiers=qis, reporting_length=1, seed=0,
                                 format="csv")
    promised = manifest.Promised(2, qis, None, 1, published_figures_hold=None,
                                 input_uniques_excluded=None)
    measured = manifest.measured_on_disk(check_release(cases, None, qis, 2, 1))
    manifest.write_manifest(folder, manifest.Manifest(
        manifest.FIT, "hand-made for the simulation's tests", settings, promised, measured))
    return folder


def small_scenario(changes: dict | None = None) -> Scenario:
    """A quiet hall: flat hourly arrivals, 6 officers, screening defaults, one day; `changes`
    maps dotted keys to new values."""
    base = Scenario.from_mapping({
        "name": "small",
        "arrivals": {"pattern": "hourly", "daily_volume": 3000, "hourly_profile": [1] * 24},
        "victims": {"share": 0.01, "transport": ["bus", "train", "plane", "other"]},
        "officers": 6,
        "training": {"basic_share": 0.5, "specialist_share": 0.0},
        "time_pressure": {"full_at_queue": 20, "noticing_loss": 0.5, "speed_up": 0.2},
        "shelter": {"beds": 3, "occupied_at_start": 0},
        "run": {"days": 1},
    })
    return base.with_values(changes) if changes else base


@pytest.fixture(scope="session")
def release(tmp_path_factory) -> Path:
    return write_release(tmp_path_factory.mktemp("release"))


@pytest.fixture(scope="session")
def population(release):
    return load_population(release)
