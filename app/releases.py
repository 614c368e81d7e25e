"""The datasets page without the page: the releases in a folder, how each was made (read from its
release.json), its published figures against the values achieved, its privacy guarantee in plain
words, its main distributions, a new build, and the release as one zip."""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from tipkit.synth.published import default_figures
from tipkit.synth.release.checks import ReleaseCheck
from tipkit.synth.release.manifest import GENERATE, MANIFEST, InputFile, Manifest, sha256_of
from tipkit.synth.release.datapackage import DATAPACKAGE, JSONLD
from tipkit.errors import UserError

DEFAULT_RELEASE = "iom-2018"
# the default release is the one `make demo` builds: same figures, size, k and seed
DEFAULT_BUILD = {"cases": 8000, "k": 11, "seed": 7}
DATACARD = "datacard.md"
TABLE_SUFFIXES = (".csv", ".parquet")

# The distributions the page draws, with the words it uses for them.
CASE_CHARTS = {"gender": "Gender", "ageBroad": "Age band", "citizenship": "Citizenship",
               "CountryOfExploitation": "Country of exploitation",
               "yearOfRegistration": "Year of registration",
               "isSexualExploit": "Sexual exploitation", "isForcedLabour": "Forced labour"}
LEG_CHARTS = {"borderPoint": "Border point", "transportMode": "Transport mode",
              "travelDocument": "Travel document", "exploitedBeforeCrossing":
              "Exploited before crossing", "travelledInGroup": "Travelled in a group"}
WORDS = {"gender": "gender", "ageBroad": "age band", "citizenship": "citizenship",
         "CountryOfExploitation": "country of exploitation",
         "yearOfRegistration": "year of registration"}
BLANK = "(blank: unknown)"
ORDERED = ("ageBroad", "yearOfRegistration", "traffickMonths", "legIndex")   # drawn in order
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)       # the earliest time a zip can hold: same bytes every time


def release_stamp(release: Path) -> list:
    """What identifies a release's victims for the app's cache: its folder and its journey
    legs' files with their sizes and times of change (a rebuilt release is a new one)."""
    release = Path(release).resolve()
    return [str(release)] + [[p.name, p.stat().st_size, p.stat().st_mtime_ns]
                             for p in sorted(release.glob("legs.*"))]


def find_releases(folder: Path) -> list[Path]:
    """Every folder directly in `folder` that holds a release (a cases table), by name."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")
                  and any((p / f"cases{s}").is_file() for s in TABLE_SUFFIXES))


def ensure_default_release(folder: Path, published: Path, advance=None) -> Path | None:
    """Build the default release in `folder` if it is missing there (the app's first start);
    the path built, or None if it was already there."""
    out = Path(folder) / DEFAULT_RELEASE
    if out.exists():
        return None
    build(default_figures(published), out, **DEFAULT_BUILD, advance=advance)
    return out


def build(figures: Path, out: Path, cases: int, k: int, seed: int, advance=None):
    """Write a release from a published-figures file with the library `tipkit synth generate`
    uses (every guarantee checked on the written files); the built Release."""
    from tipkit.synth.published.generate import STAGES, Request, generate

    if not Path(figures).is_file():
        raise UserError(f"published-figures file not found: {figures}")
    done = [0]

    def stage(name: str) -> None:
        done[0] += 1
        if advance is not None:
            advance(done[0] / len(STAGES), name)

    return generate(Request(Path(figures), int(cases), int(k), int(seed)), Path(out),
                    progress=stage)


def figures_files(published: Path) -> list[Path]:
    """The published-figures files in a folder (a priors file has no `figures:` list)."""
    found = []
    for path in sorted(Path(published).glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        if re.search(r"^figures:", text, re.MULTILINE):
            found.append(path)
    return found


def release_name_ok(name: str) -> bool:
    """A release is a plain folder name: letters, digits, dot, dash and underscore."""
    return bool(re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,80}", name))


# ---- reading a release ---------------------------------------------------------------------

def datacard_text(release: Path) -> str:
    path = Path(release) / DATACARD
    return path.read_text(encoding="utf-8") if path.is_file() else ""


def resolve_figures(named: InputFile | None, published: Path) -> Path | None:
    """The figures file a release was built from, unchanged: as named (from the current folder),
    or by its file name among the published files, if its sha256 is the one release.json
    records."""
    if named is None:
        return None
    for candidate in (Path(named.name), Path(published) / Path(named.name).name):
        if candidate.is_file() and sha256_of(candidate) == named.sha256:
            return candidate
    return None


@dataclass
class Examined:
    """A release read and measured the way a reader would: its tables, how it was made (its
    release.json), each published figure against its achieved value, and its guarantees counted
    on its rows by the release checker."""
    folder: Path
    cases: pd.DataFrame
    legs: pd.DataFrame | None
    manifest: Manifest
    figures: pd.DataFrame | None       # as figures_table; None: no figures file to measure
    smallest_class: int                # on the quasi-identifiers, cases
    rare_combinations: int             # combinations of up to L values in 1..k-1 rows
    problems: tuple[str, ...] = ()     # changed files, layout or guarantees that fail


def examine(release: Path, published: Path) -> Examined:
    from tipkit.synth.microdata.codebook import shipped_codebook
    from tipkit.synth.published.checks import measure_release
    from tipkit.synth.published.figures import load_figures
    from tipkit.synth.release.checks import check_release
    from tipkit.synth.release.folder import read_release
    from tipkit.synth.release.manifest import file_problems, read_manifest

    release = Path(release)
    made = read_manifest(release)
    cases, legs = read_release(release)
    s = made.settings
    qis = tuple(q for q in s.quasi_identifiers if q in cases.columns)
    figures_path = resolve_figures(s.figures, published)
    table = None
    if legs is not None and figures_path is not None:
        published_figures = load_figures(figures_path)
        measured = measure_release(cases, legs, published_figures.figures, qis, s.k,
                                   s.reporting_length)
        table = figures_table(measured.figure_values, published_figures, len(cases))
        check: ReleaseCheck = measured.release
        problems = measured.problems(s.k)
    else:
        check = check_release(cases, legs, qis, s.k, s.reporting_length,
                              codebook=shipped_codebook(release, made))
        problems = check.problems(s.k)
    smallest = check.case_report.smallest_class if check.case_report is not None else 0
    return Examined(release, cases, legs, made, table, smallest, check.rare_combinations,
                    tuple(file_problems(release, made) + problems))


def figures_table(values, published, cases: int) -> pd.DataFrame:
    """One row per published figure: what it says, its interval, the value on the rows, and
    whether it holds ("yes", "no", or "size chosen" for a case count the builder set). As in
    `tipkit synth generate`, a leg count is scaled to a release size chosen outside the
    published case count."""
    from tipkit.synth.published.generate import scaled_leg_range

    leg_range = scaled_leg_range(published, cases)
    rows = []
    for fv in values:
        f = fv.figure
        low, high, holds = f.low, f.high, "yes" if fv.holds() else "no"
        if f.kind == "count" and f.unit == "leg" and leg_range is not None:
            low, high = leg_range
            holds = "yes" if fv.holds(low, high) else "no"
        elif f.kind == "count" and holds == "no":
            holds = "size chosen"
        rows.append({"id": f.id, "figure": f.describe(), "published": f.published,
                     "low": low, "high": high, "achieved": fv.value, "kind": f.kind,
                     "holds": holds})
    return pd.DataFrame(rows)


def privacy_words(examined: Examined) -> str:
    """The guarantee in plain words, with the numbers counted on this release's rows."""
    made, s = examined.manifest, examined.manifest.settings
    k = s.k
    words = [WORDS.get(q, q) for q in s.quasi_identifiers]
    facts = ", ".join(words[:-1]) + " and " + words[-1] if len(words) > 1 else "".join(words)
    n = len(examined.cases)
    if made.pipeline == GENERATE:
        origin = ("No row describes a real person: the rows were drawn from published figures "
                  "and public shares, never from case records.")
    else:
        origin = ("The rows were generated from counts of real case records; no row is copied "
                  "from them, and case ids are new.")
    promise = f" (the release promises at least k = {k})"
    lines = [
        f"{origin} Someone who already knows a victim's {facts} cannot pick that victim out: "
        f"each combination of these facts is shared by at least {examined.smallest_class:,} "
        f"of the {n:,} synthetic cases{promise}.",
    ]
    rare = "No" if examined.rare_combinations == 0 else f"{examined.rare_combinations:,}"
    lines.append(f"{rare} combination of up to {s.reporting_length} values, in any "
                 f"columns, occurs in fewer than {k} rows.")
    if s.epsilon is not None:
        lines.append(f"The whole release is differentially private with epsilon = "
                     f"{s.epsilon:g} and delta = {s.delta:g}: what any one real record "
                     "could change in it is bounded.")
    else:
        lines.append("It does not protect what the published figures already say, and it is "
                     "not differentially private." if made.pipeline == GENERATE else
                     "It is not differentially private: a common combination in the release "
                     "reflects the case records.")
    return " ".join(lines)


def distribution(table: pd.DataFrame, column: str, top: int = 12) -> pd.DataFrame:
    """Value counts of one column as `value`, `rows`, `share`: ordered columns (age bands,
    years) in their own order, others most common first with the rarest values folded into
    'all others'; blanks named and last."""
    values = table[column]
    counts = values[values != ""].value_counts()
    if column in ORDERED:
        counts = counts.sort_index(key=lambda index: index.map(_leading_number))
    elif len(counts) > top:
        counts = pd.concat([counts.iloc[:top - 1],
                            pd.Series({"all others": counts.iloc[top - 1:].sum()})])
    blanks = int((values == "").sum())
    if blanks:
        counts = pd.concat([counts, pd.Series({BLANK: blanks})])
    out = counts.rename_axis("value").reset_index(name="rows")
    out["share"] = out["rows"] / len(table)
    return out


def _leading_number(value: str) -> float:
    match = re.match(r"\d+", str(value))
    return float(match.group()) if match else float("inf")


# ---- the release as one file ---------------------------------------------------------------

def release_files(release: Path) -> list[Path]:
    """The files a release is made of: its tables, metadata.json, the data card, release.json and
    the standard data package (datapackage.json, dataset.jsonld)."""
    release = Path(release)
    return sorted(p for p in release.iterdir() if p.is_file() and not p.name.startswith(".")
                  and (p.suffix in TABLE_SUFFIXES or p.name in ("metadata.json", DATACARD,
                                                                MANIFEST, DATAPACKAGE, JSONLD)))


def release_zip(release: Path) -> bytes:
    """The release as one zip, built in memory: files in name order under the release's
    folder name, with a fixed time and mode, so the same release gives the same bytes."""
    release = Path(release)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in release_files(release):
            info = zipfile.ZipInfo(f"{release.name}/{path.name}", date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, path.read_bytes())
    return buffer.getvalue()


def sizes(examined: Examined) -> str:
    legs = f" and {len(examined.legs):,} journey legs" if examined.legs is not None else ""
    return f"{len(examined.cases):,} cases{legs}"
