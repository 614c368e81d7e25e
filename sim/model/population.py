"""The victims who cross: journey legs through official border points in a synthetic release,
joined to their case, reduced to the indicators a screener could notice.

Only a tipkit release is read (its release.json, with its tables unchanged since it was made):
the run's provenance records which one by the hash of that manifest."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, NamedTuple

import tipkit.sim
from tipkit.synth.release import schema
from tipkit.synth.release.folder import FORMATS, TABLES, read_release
from tipkit.synth.release.manifest import file_problems, manifest_sha256, read_manifest
from tipkit.errors import UserError
from tipkit.sim.model.scenario import Indicators

DEFAULT_RELEASE = Path("releases") / "iom-2018"
BUILD_DEFAULT = "tipkit synth generate --cases 8000 --k 11 --seed 7 --out releases/iom-2018"

CASE_FIELDS = (schema.CASE_ID, "gender", "ageBroad")
LEG_FIELDS = (schema.CASE_ID, "borderPoint", "transportMode", "travelDocument",
              "exploitedBeforeCrossing", "travelledInGroup")

GENDER_GROUPS = {"Woman": "woman", "Man": "man", "Trans/Transgender/NonConforming": "trans"}
DOCUMENT_GROUPS = {"own": "own_document", "forged": "forged_document",
                   "notOwn": "not_own_document"}


class VictimProfile(NamedTuple):
    """One victim as the border sees them: the indicators they carry (a document forged or not
    their own, a minor, signs of control or prior exploitation, travelling in a group)."""
    indicators: Indicators
    gender: str      # woman | man | trans | gender_unknown
    age: str         # child | adult | age_unknown
    document: str    # own_document | forged_document | not_own_document | document_unknown
    transport: str


@dataclass(frozen=True)
class VictimPopulation:
    """The profiles victims are drawn from, uniformly (one profile per official-crossing leg);
    `source` is the release folder, `manifest_sha256` the hash of its release.json."""
    source: str
    profiles: tuple[VictimProfile, ...]
    manifest_sha256: str = ""
    # what replications derive from the profiles, computed once per process (not compared)
    _derived: dict = field(default_factory=dict, compare=False, repr=False)

    def derived(self, key, build: Callable[[], object]):
        """`build()`, computed on first use and kept: every replication asks again."""
        if key not in self._derived:
            self._derived[key] = build()
        return self._derived[key]

    def by_transport(self, modes) -> "VictimPopulation":
        """Only the legs made by these transport modes (an airport sees plane legs)."""
        modes = frozenset(modes)
        return self.derived(("transport", modes), lambda: self._by_transport(modes))

    def _by_transport(self, modes: frozenset) -> "VictimPopulation":
        kept = tuple(p for p in self.profiles if p.transport in modes)
        if not kept:
            raise UserError(f"{self.source}: no official-crossing legs by {', '.join(sorted(modes))}")
        return VictimPopulation(self.source, kept, self.manifest_sha256)


def default_release() -> Path:
    """releases/iom-2018 in the current folder, else in the checkout tipkit runs from (an
    installed tipkit has none: then build one, or name one)."""
    checkout = Path(tipkit.sim.__file__).resolve().parents[1] / DEFAULT_RELEASE
    for folder in (DEFAULT_RELEASE.resolve(), checkout):
        if folder.is_dir():
            return folder
    raise UserError(f"no victim release: {DEFAULT_RELEASE} is not in this folder; build it with "
                    f"`{BUILD_DEFAULT}`, or name one with --population or victims.release")


def load_population(release: str | Path | None = None) -> VictimPopulation:
    """Read a tipkit release folder (cases and legs, CSV or Parquet), every column as text, after
    checking it is one: its release.json, and its tables unchanged since."""
    folder = Path(release) if release is not None else default_release()
    if not folder.is_dir():
        raise UserError(f"population release not found: {folder}")
    made = read_manifest(folder)
    tables = [f"{name}.{fmt}" for name in TABLES for fmt in FORMATS
              if (folder / f"{name}.{fmt}").is_file()]
    changed = file_problems(folder, made, tables)
    if changed:
        raise UserError(f"{folder}: {changed[0]}; rebuild it with the command in its release.json")
    cases, legs = read_release(folder)
    if legs is None:
        raise UserError(f"{folder}: no legs.csv or legs.parquet")
    for name, table, needed in (("cases", cases, CASE_FIELDS), ("legs", legs, LEG_FIELDS)):
        missing = [c for c in needed if c not in table.columns]
        if missing:
            raise UserError(f"{folder}/{name}: missing column(s) {', '.join(missing)}")
    official = legs[legs["borderPoint"] == "official"]
    joined = official.merge(cases[list(CASE_FIELDS)], on=schema.CASE_ID, how="inner")
    if joined.empty:
        raise UserError(f"{folder}: no journey leg crosses an official border point")
    return VictimPopulation(str(folder), tuple(_profile(row) for row in
                                               joined.itertuples(index=False)),
                            manifest_sha256(folder))


def _profile(row) -> VictimProfile:
    age_band = row.ageBroad
    age = ("child" if age_band in schema.CHILD_BANDS
           else "adult" if age_band in schema.ADULT_BANDS else "age_unknown")
    document = row.travelDocument
    indicators = Indicators(document=document in ("forged", "notOwn"), minor=age == "child",
                            control=row.exploitedBeforeCrossing == "1",
                            group=row.travelledInGroup == "1")
    return VictimProfile(indicators, GENDER_GROUPS.get(row.gender, "gender_unknown"), age,
                         DOCUMENT_GROUPS.get(document, "document_unknown"), row.transportMode)
