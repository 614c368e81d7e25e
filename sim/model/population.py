"""The victims who cross: journey legs through official border points in a synthetic release,
joined to their case, reduced to the indicators a screener could notice."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, NamedTuple


import tipkit.sim
from tipkit.synth.release import schema
from tipkit.synth.release.folder import read_release
from tipkit.errors import UserError
from tipkit.sim.model.scenario import Indicators

DEFAULT_RELEASE = "releases/iom-2018"

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
    """The profiles victims are drawn from, uniformly (one profile per official-crossing leg)."""
    source: str
    profiles: tuple[VictimProfile, ...]
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
        return VictimPopulation(self.source, kept)


def default_release() -> Path:
    return Path(tipkit.sim.__file__).resolve().parents[1] / DEFAULT_RELEASE


def load_population(release: str | Path | None = None) -> VictimPopulation:
    """Read a release folder (cases and legs, CSV or Parquet), every column as text."""
    folder = Path(release) if release is not None else default_release()
    if not folder.is_dir():
        hint = (" (build it with `make demo` or `tipkit synth generate`, or pass --population)"
                if release is None else "")
        raise UserError(f"population release not found: {folder}{hint}")
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
                                               joined.itertuples(index=False)))


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
