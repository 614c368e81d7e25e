"""The datasets page without the page: the releases in a folder, how each was made (read back
from its data card), its published figures against the values achieved, its privacy guarantee
in plain words, its main distributions, a new build, and the release as one zip."""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from tipkit.synth.release.schema import CASE_ID, DEFAULT_QUASI_IDENTIFIERS
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


@dataclass(frozen=True)
class Recipe:
    """How a release was made, as far as its data card says."""
    kind: str                                  # "published figures" or "case records"
    figures: str | None = None                 # the figures file named in the command
    k: int | None = None
    quasi_identifiers: tuple[str, ...] = DEFAULT_QUASI_IDENTIFIERS
    reporting_length: int = 3
    epsilon: float | None = None
    delta: float | None = None


def find_releases(folder: Path) -> list[Path]:
    """Every folder directly in `folder` that holds a release (a cases table), by name."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")
                  and any((p / f"cases{s}").is_file() for s in TABLE_SUFFIXES))


def default_figures(published: Path) -> Path:
    """The IOM 2018 figures file. Named as `make demo` names it when the app runs from the
    project folder, so that the default release built here is the committed one, byte for
    byte (its data card quotes the command)."""
    from tipkit.app.settings import DEFAULT_FIGURES

    path = Path(published) / DEFAULT_FIGURES
    relative = Path("synth/published") / DEFAULT_FIGURES
    if relative.is_file() and relative.resolve() == path.resolve():
        return relative
    return path


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


def recipe(card: str) -> Recipe:
    """Read the command and guarantees back from a data card (either kind tipkit writes)."""
    def find(pattern: str):
        match = re.search(pattern, card)
        return match.group(1) if match else None

    k = find(r"--k (\d+)") or find(r"k = (\d+)")
    qis = find(r"--quasi-identifiers ([\w,]+)") or find(r"quasi-identifiers \(([^)]*)\)")
    length = find(r"--reporting-length (\d+)") or find(r"up to (\d+) values")
    epsilon, delta = find(r"--epsilon ([\d.e+-]+)"), find(r"--delta ([\d.e+-]+)")
    return Recipe(
        kind="published figures" if "synth generate" in card else "case records",
        figures=find(r"--published (\S+)"),
        k=int(k) if k else None,
        quasi_identifiers=tuple(q.strip() for q in qis.split(",") if q.strip()) if qis
        else DEFAULT_QUASI_IDENTIFIERS,
        reporting_length=int(length) if length else 3,
        epsilon=float(epsilon) if epsilon else None,
        delta=float(delta) if delta else None)


def resolve_figures(named: str | None, published: Path) -> Path | None:
    """The figures file a data card names: as given (from the current folder), or by its
    name among the published files."""
    if not named:
        return None
    for candidate in (Path(named), Path(published) / Path(named).name):
        if candidate.is_file():
            return candidate
    return None


@dataclass
class Examined:
    """A release read and measured the way a reader would: its tables, how it was made, each
    published figure against its achieved value, and its guarantees counted on its rows."""
    folder: Path
    cases: pd.DataFrame
    legs: pd.DataFrame | None
    recipe: Recipe
    figures: pd.DataFrame | None       # as figures_table
    smallest_class: int                # on the quasi-identifiers, cases
    smallest_leg_class: int | None
    rare_combinations: int             # combinations of up to L values in 1..k-1 rows


def examine(release: Path, published: Path) -> Examined:
    from tipkit.synth.published.checks import measure_release
    from tipkit.synth.published.figures import load_figures
    from tipkit.synth.release.guarantees import check_table
    from tipkit.synth.release.folder import read_release

    release = Path(release)
    cases, legs = read_release(release)
    made = recipe(datacard_text(release))
    k = made.k or 2
    qis = tuple(q for q in made.quasi_identifiers if q in cases.columns)
    figures_path = resolve_figures(made.figures, published)
    table = None
    if legs is not None and figures_path is not None:
        published_figures = load_figures(figures_path)
        measured = measure_release(cases, legs, published_figures.figures, qis, k,
                                   made.reporting_length)
        table = figures_table(measured.figure_values, published_figures, len(cases))
        reports = [measured.case_report, measured.leg_report]
    else:
        attributes = [c for c in cases.columns if c != CASE_ID]
        reports = [check_table("cases", cases, qis, attributes, k, made.reporting_length)]
        if legs is not None:
            from tipkit.synth.release.schema import LEG_COLUMNS, LEG_QUASI_IDENTIFIERS
            joined = legs.merge(cases, on=CASE_ID, how="left")
            reports.append(check_table("legs", joined, [*LEG_QUASI_IDENTIFIERS, *qis],
                                       LEG_COLUMNS, k, made.reporting_length))
    rare = sum(sum(r.rare_by_length.values()) for r in reports)
    return Examined(release, cases, legs, made, table, reports[0].smallest_class,
                    reports[1].smallest_class if len(reports) > 1 else None, rare)


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
    made, k = examined.recipe, examined.recipe.k
    words = [WORDS.get(q, q) for q in made.quasi_identifiers]
    facts = ", ".join(words[:-1]) + " and " + words[-1] if len(words) > 1 else "".join(words)
    n = len(examined.cases)
    if made.kind == "published figures":
        origin = ("No row describes a real person: the rows were drawn from published figures "
                  "and public shares, never from case records.")
    else:
        origin = ("The rows were generated from counts of real case records; no row is copied "
                  "from them, and case ids are new.")
    promise = f" (the release promises at least k = {k})" if k else ""
    lines = [
        f"{origin} Someone who already knows a victim's {facts} cannot pick that victim out: "
        f"each combination of these facts is shared by at least {examined.smallest_class:,} "
        f"of the {n:,} synthetic cases{promise}.",
    ]
    if k:
        rare = ("No" if examined.rare_combinations == 0 else
                f"{examined.rare_combinations:,}")
        lines.append(f"{rare} combination of up to {made.reporting_length} values, in any "
                     f"columns, occurs in fewer than {k} rows.")
    if made.epsilon is not None:
        lines.append(f"The whole release is differentially private with epsilon = "
                     f"{made.epsilon:g} and delta = {made.delta:g}: what any one real record "
                     "could change in it is bounded.")
    else:
        lines.append("It does not protect what the published figures already say, and it is "
                     "not differentially private." if made.kind == "published figures" else
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
    """The files a release is made of: its tables, metadata.json and the data card."""
    release = Path(release)
    return sorted(p for p in release.iterdir() if p.is_file() and not p.name.startswith(".")
                  and (p.suffix in TABLE_SUFFIXES or p.name in ("metadata.json", DATACARD)))


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
