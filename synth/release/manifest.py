"""release.json: the one machine-readable record of a release. How it was made (tool, command,
settings, input files), what it promises, what was measured on its files, and every file's hash.

Both pipelines write it into the staging folder and check it again after re-reading it; the data
card, the app, `tipkit synth evaluate` and the simulation read it instead of parsing the card.
The bytes are deterministic: sorted keys, no timestamps, no absolute paths but those given.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

from tipkit import __version__
from tipkit.errors import UserError
from tipkit.synth.release.guarantees import GuaranteeReport

MANIFEST = "release.json"
MANIFEST_VERSION = 1
GENERATE, FIT = "synth generate", "synth fit"  # the pipelines that make releases
MADE_FROM = {GENERATE: "published figures", FIT: "case records"}
_REBUILD = {GENERATE: "tipkit synth generate", FIT: "tipkit synth fit"}


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class InputFile:
    """A file a release was made from (a figures file, priors, a codebook): its name as given on
    the command line (or a built-in name) and the sha256 of its bytes."""

    name: str
    sha256: str

    @classmethod
    def of(cls, path: Path, name: str | None = None) -> "InputFile":
        return cls(str(path) if name is None else name, sha256_of(path))


@dataclass(frozen=True)
class Settings:
    """What the command was asked. `options` holds a pipeline's other settings (generate: cases,
    relax, priors; fit: columns, years, legs, input format)."""

    k: int
    quasi_identifiers: tuple[str, ...]
    reporting_length: int
    seed: int
    format: str
    engine: str | None = None
    epsilon: float | None = None
    delta: float | None = None
    figures: InputFile | None = None
    codebook: InputFile | None = None
    options: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Promised:
    """The guarantees the release makes, which its files were checked to meet."""

    k: int
    quasi_identifiers: tuple[str, ...]
    leg_quasi_identifiers: tuple[str, ...] | None  # None: no legs table
    reporting_length: int  # no combination of up to this many values in fewer than k rows
    # every published share inside its interval on the rows (None: made from no figures)
    published_figures_hold: bool | None
    # no record unique on the quasi-identifiers in the input reappears (None: made from no records)
    input_uniques_excluded: bool | None
    # epsilon, delta, rho, rho_spent, mechanism; every measurement and choice in the order made
    # (measurements) and the selection rounds: table chosen, among how many, rho, sigma (rounds)
    differential_privacy: dict | None = None
    # rows with a combination the codebook calls impossible: 0 (None: no codebook declares any)
    impossible_combinations: int | None = None
    # no record unique in the input on the released columns reappears in the values released,
    # numbers drawn inside their bins included (None: no such numbers, or under DP)
    released_uniques_excluded: bool | None = None
    # the coding each promise holds in: "bins" (numbers as the codebook's bins, as measured) or
    # "released values" (as the files show them); None: the release has no binned column
    codings: dict | None = None


@dataclass(frozen=True)
class TableMeasure:
    """A table's guarantees as counted on its file."""

    rows: int
    smallest_class: int
    rare_by_length: dict[str, int]  # combination length -> combinations in 1..k-1 rows

    @classmethod
    def of(cls, report: GuaranteeReport) -> "TableMeasure":
        return cls(report.rows, report.smallest_class,
                   {str(n): int(c) for n, c in report.rare_by_length.items()})


@dataclass(frozen=True)
class OnDisk:
    """The values measured on the written files: both tables, and each published figure."""

    cases: TableMeasure
    legs: TableMeasure | None
    figures: tuple[dict, ...] = ()  # id, kind, unit, low, high, hits, population, value, holds
    # rule number -> cases with that impossible combination (None: no codebook declares any)
    impossible_combinations: dict[str, int] | None = None
    # released rows that are, in the values released, a record unique in the input on the
    # released columns (None: not promised)
    released_uniques: int | None = None


@dataclass(frozen=True)
class Manifest:
    """Everything release.json says. `measured` may wait until the files are checked on disk;
    `files` (name -> sha256) is filled in by `write_manifest`."""

    pipeline: str  # GENERATE or FIT
    command: str
    settings: Settings
    promised: Promised
    measured: OnDisk | None = None
    tool_version: str = __version__
    files: dict[str, str] = field(default_factory=dict)

    @property
    def made_from(self) -> str:
        """What the release was made from, in words: "published figures" or "case records"."""
        return MADE_FROM[self.pipeline]

    def to_dict(self) -> dict:
        return {
            "manifest_version": MANIFEST_VERSION,
            "tool": {"name": "tipkit", "version": self.tool_version},
            "pipeline": self.pipeline,
            "command": self.command,
            "settings": _plain(asdict(self.settings)),
            "guarantees": {"promised": _stated(asdict(self.promised)),
                           "measured": _stated(asdict(self.measured))},
            "files": dict(self.files),
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True, allow_nan=False) + "\n"

    @classmethod
    def from_dict(cls, raw: dict) -> "Manifest":
        s, g = dict(raw["settings"]), raw["guarantees"]
        for name in ("figures", "codebook"):
            s[name] = InputFile(**s[name]) if s.get(name) else None
        s["quasi_identifiers"] = tuple(s["quasi_identifiers"])
        promised = dict(g["promised"])
        promised["quasi_identifiers"] = tuple(promised["quasi_identifiers"])
        if promised["leg_quasi_identifiers"] is not None:
            promised["leg_quasi_identifiers"] = tuple(promised["leg_quasi_identifiers"])
        m = g["measured"]
        measured = OnDisk(TableMeasure(**m["cases"]),
                          TableMeasure(**m["legs"]) if m["legs"] else None,
                          tuple(m["figures"]), m.get("impossible_combinations"),
                          m.get("released_uniques"))
        return cls(raw["pipeline"], raw["command"], Settings(**s), Promised(**promised),
                   measured, raw["tool"]["version"], dict(raw["files"]))


def _plain(value):
    """JSON's own types: tuples as lists, a value that is not a number (NaN) as null."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


# Guarantees that only some releases make: release.json names them only when made.
_OPTIONAL_GUARANTEES = ("impossible_combinations", "released_uniques_excluded", "codings",
                        "released_uniques")


def _stated(guarantees: dict) -> dict:
    """Promised or measured guarantees as JSON, without an optional one the release does not make
    (so a release without it keeps the bytes it had before that guarantee existed)."""
    return _plain({key: value for key, value in guarantees.items()
                   if value is not None or key not in _OPTIONAL_GUARANTEES})


def figure_record(fv) -> dict:
    """One published figure as measured on the rows (a kinds.FigureValue), for `OnDisk.figures`."""
    f = fv.figure
    return {"id": f.id, "kind": f.kind, "unit": f.unit, "low": f.low, "high": f.high,
            "hits": fv.hits, "population": fv.population, "value": fv.value,
            "holds": bool(fv.holds())}


def measured_on_disk(check, figure_values=()) -> OnDisk:
    """The OnDisk record of a release checker's findings (release.checks.ReleaseCheck)."""
    impossible = check.impossible
    return OnDisk(TableMeasure.of(check.case_report),
                  TableMeasure.of(check.leg_report) if check.leg_report is not None else None,
                  tuple(_plain(figure_record(fv)) for fv in figure_values),
                  None if impossible is None else {str(r): int(n) for r, n in impossible.items()})


def _release_files(folder: Path) -> list[Path]:
    return sorted(p for p in Path(folder).iterdir()
                  if p.is_file() and not p.name.startswith(".") and p.name != MANIFEST)


def write_manifest(folder: Path, manifest: Manifest) -> Manifest:
    """Hash every file of the (staged) release folder into the manifest, write release.json,
    then read it back and check it says exactly that and that every hash still matches."""
    folder = Path(folder)
    if manifest.measured is None:
        raise ValueError("a manifest is written with the values measured on its files")
    sealed = Manifest(manifest.pipeline, manifest.command, manifest.settings, manifest.promised,
                      manifest.measured, manifest.tool_version,
                      {p.name: sha256_of(p) for p in _release_files(folder)})
    text = sealed.to_json()
    (folder / MANIFEST).write_text(text, encoding="utf-8")
    again = read_manifest(folder)
    if again.to_json() != text:
        raise UserError(f"{folder / MANIFEST} does not read back as written")
    problems = file_problems(folder, again)
    if problems:
        raise UserError(f"the written release failed its check: {problems[0]}")
    return again


def read_manifest(folder: Path) -> Manifest:
    """The manifest of a release folder; a folder without one (an older release, or files made
    some other way) is a one-line UserError that says how to rebuild it."""
    path = Path(folder) / MANIFEST
    if not path.is_file():
        raise UserError(f"{folder} has no {MANIFEST}: it was made by an older tipkit or by hand; "
                        "rebuild it with the command in its datacard.md (tipkit synth generate "
                        "or tipkit synth fit) to use it here")
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        if raw.get("manifest_version") != MANIFEST_VERSION:
            raise ValueError(raw.get("manifest_version"))
        return Manifest.from_dict(raw)
    except (ValueError, KeyError, TypeError, AttributeError):
        raise UserError(f"{path} is not a tipkit {MANIFEST} this version reads: rebuild the "
                        f"release with {_rebuild_hint(path)}") from None


def _rebuild_hint(path: Path) -> str:
    try:
        return _REBUILD[json.loads(path.read_text(encoding="utf-8"))["pipeline"]]
    except (ValueError, KeyError, TypeError):
        return "tipkit synth generate or tipkit synth fit"


def file_problems(folder: Path, manifest: Manifest, names=None) -> list[str]:
    """Files the manifest lists (or just `names` of them) that are missing or changed since."""
    found = []
    for name in sorted(manifest.files if names is None else names):
        path = Path(folder) / name
        if name not in manifest.files:
            found.append(f"{name} is not listed in {MANIFEST}")
        elif not path.is_file():
            found.append(f"{name} is missing")
        elif sha256_of(path) != manifest.files[name]:
            found.append(f"{name} has changed since the release was made (its sha256 differs "
                         f"from {MANIFEST})")
    return found


def manifest_sha256(folder: Path) -> str:
    """The fingerprint of a release: the sha256 of its release.json (which hashes every file)."""
    return sha256_of(Path(folder) / MANIFEST)
