"""Build a release from published figures: fit the joint, draw profiles, size them, fill, expand.

`build_release` is pure (tables in memory); `generate` writes the folder and re-reads it to check
every guarantee before the folder is moved into place.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from tipkit.synth.published import consistency, profiles as prof
from tipkit.synth.published.checks import Measured, measure_release
from tipkit.synth.published.figures import PublishedFigures, load_figures
from tipkit.synth.published.priors import BUILTIN_PRIORS, Priors, load_priors
from tipkit.synth.release import manifest as mf
from tipkit.synth.release.checks import leg_quasi_identifiers, metadata_problems
from tipkit.synth.release.folder import read_release, write_release
from tipkit.synth.release.datapackage import About, about_release, schema_fields, write_data_package
from tipkit.synth.release.licences import DEFAULT_LICENCE, licence_flag, licence_option
from tipkit.synth.release.guarantees import reporting_length_problem
from tipkit.synth.release.legs import PUBLISHED_IDS, expand_legs
from tipkit.synth.release.schema import (CASE_COLUMNS, CASE_ID, DEFAULT_QUASI_IDENTIFIERS,
                                        JOURNEY_COLUMNS, LEG_COUNT)
from tipkit import outputs
from tipkit.errors import UserError

# Peak memory per case while building, writing and re-reading a release (bench_release.py:
# about 2.1 KiB a case above the imports), with room to spare: more is refused up front.
BYTES_PER_CASE = 3 * 1024

# One random stream per random input, all spawned from the one seed, in this fixed order.
STREAMS = ("profiles", "missing", "legs", "sizing", "priors", "order")
_ATTEMPTS = 4  # fresh profile draws (with more profiles each time) before giving up


@dataclass(frozen=True)
class Request:
    """What the user asked for."""

    figures_path: Path
    cases: int
    k: int = 11
    seed: int = 7
    quasi_identifiers: tuple[str, ...] = DEFAULT_QUASI_IDENTIFIERS
    reporting_length: int = 3
    relax: bool = False
    fmt: str = "csv"
    licence: str = DEFAULT_LICENCE  # the licence datapackage.json states (SPDX id)

    def validate(self) -> None:
        licence_option(self.licence)  # an unknown licence: one line before any work
        if self.k < 2:
            raise UserError(f"--k must be at least 2 (got {self.k})")
        if self.cases < self.k:
            raise UserError(f"--cases ({self.cases}) must be at least k ({self.k})")
        problem = reporting_length_problem(len(CASE_COLUMNS), self.reporting_length)
        if problem:
            raise UserError(problem)
        unknown = [c for c in self.quasi_identifiers if c not in CASE_COLUMNS]
        if unknown:
            raise UserError(f"--quasi-identifiers names unknown column {unknown[0]!r}")
        if self.seed < 0:
            raise UserError(f"--seed must be 0 or more (got {self.seed})")
        need, have = self.cases * BYTES_PER_CASE, available_memory()
        if have is not None and need > have:
            raise UserError(f"--cases {self.cases:,} would need about {_gib(need)} of memory and "
                            f"this machine has {_gib(have)} free: at most about "
                            f"{int(have / BYTES_PER_CASE):,} cases here")

    @property
    def command(self) -> str:
        """The command line that makes this release, as the data card and release.json quote it."""
        return (f"tipkit synth generate --published {self.figures_path} --cases {self.cases} "
                f"--k {self.k} --seed {self.seed} --reporting-length {self.reporting_length} "
                f"--quasi-identifiers {','.join(self.quasi_identifiers)}"
                f"{' --relax' if self.relax else ''} --format {self.fmt}"
                f"{licence_flag(self.licence)}")


def available_memory() -> int | None:
    """Bytes of memory this machine can still give (Linux MemAvailable), None if unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def _gib(n: float) -> str:
    return f"{n / 2**30:,.1f} GiB"


@dataclass
class Release:
    """A built release, in memory, with what is needed to describe it."""

    request: Request
    cases: pd.DataFrame
    legs: pd.DataFrame
    analysis: consistency.Analysis
    priors: Priors
    profiles: int
    leg_range: tuple[float, float] | None
    measured: Measured
    manifest: mf.Manifest  # release.json before the files' hashes: what the data card states
    seconds: dict[str, float] = field(default_factory=dict)


def scaled_leg_range(figures: PublishedFigures, cases: int) -> tuple[float, float] | None:
    """The legs the release must have: the published leg count, scaled by cases requested over
    cases published when the requested number lies outside the published case count."""
    legs, published = figures.count("leg"), figures.count("case")
    if legs is None:
        return None
    scale = 1.0
    if published is not None and not published.low <= cases <= published.high:
        scale = cases / ((published.low + published.high) / 2)
    return legs.low * scale, legs.high * scale


def _profiles(analysis, priors, request, leg_range, streams):
    """Draw profiles from the fitted joint and size them, retrying with more, smaller profiles."""
    k, n = request.k, request.cases
    count = max(1, int(n / (prof.ROWS_PER_PROFILE * k)))
    for _ in range(_ATTEMPTS):
        draw = prof.draw_profiles(analysis.solution, analysis.domain, count, streams["profiles"])
        prof.blank_at_random(draw, analysis.domain, priors, streams["missing"])
        prof.fill_by_prior(draw, [LEG_COUNT], priors, streams["legs"], np.ones(count))
        sizes = prof.size_profiles(draw, analysis.figures.figures, n, leg_range, k, streams["sizing"])
        if sizes is not None:
            draw.sizes = sizes
            return draw
        count = min(n // k, int(count * 1.5) + 1)
    # Name the figures that cannot be met together at this k: a deletion filter on the last draw.
    blocking = list(analysis.figures.constraining)
    for figure in list(blocking):
        trial = [f for f in blocking if f is not figure]
        if prof.size_profiles(draw, trial, n, leg_range, k, streams["sizing"]) is None:
            blocking = trial
    ids = ", ".join(f.id for f in blocking) or "the case and leg counts"
    raise UserError(
        f"{n} cases with every record shared by at least k={k} cases leave room for at most "
        f"{n // k} distinct records, too few to meet figure(s) {ids}: use a smaller --k or more --cases")


def _expand(draw: prof.Profiles, rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One case row per unit of size, in random order; one leg row per leg of each case."""
    order = rng.permutation(np.repeat(np.arange(len(draw)), draw.sizes))
    cases = pd.DataFrame({CASE_ID: PUBLISHED_IDS.cases(len(order))})
    for column in CASE_COLUMNS:
        cases[column] = draw.columns[column][order]
    journeys = {column: draw.columns[column][order] for column in (LEG_COUNT, *JOURNEY_COLUMNS)}
    return cases, expand_legs(cases[CASE_ID].to_numpy(), journeys, PUBLISHED_IDS)


def _manifest(request: Request, figures: PublishedFigures, measured: Measured) -> mf.Manifest:
    """What release.json will say: the command and its settings with the input files' hashes,
    the guarantees promised and the values measured."""
    priors = (mf.InputFile.of(figures.priors_path) if figures.priors_path is not None
              else mf.InputFile.of(BUILTIN_PRIORS, f"{BUILTIN_PRIORS.name} (built in)"))
    settings = mf.Settings(
        k=request.k, quasi_identifiers=tuple(request.quasi_identifiers),
        reporting_length=request.reporting_length, seed=request.seed, format=request.fmt,
        figures=mf.InputFile.of(request.figures_path),
        options={"cases": request.cases, "relax": request.relax,
                 "priors": {"name": priors.name, "sha256": priors.sha256},
                 **licence_option(request.licence)})
    promised = mf.Promised(
        k=request.k, quasi_identifiers=tuple(request.quasi_identifiers),
        leg_quasi_identifiers=leg_quasi_identifiers(request.quasi_identifiers),
        reporting_length=request.reporting_length, published_figures_hold=True,
        input_uniques_excluded=None)
    return mf.Manifest(mf.GENERATE, request.command, settings, promised,
                       mf.measured_on_disk(measured.release, measured.figure_values))


STAGES = ("fitting the joint", "sizing profiles", "filling columns", "measuring", "writing and re-checking")


def build_release(request: Request, figures: PublishedFigures | None = None,
                  priors: Priors | None = None, progress=None) -> Release:
    """Everything but the writing: analyse the figures, draw and size profiles, fill the columns
    no figure names from their priors, expand to rows and measure the result.
    `progress(stage)` is told as each of STAGES is done."""
    progress = progress or (lambda stage: None)
    request.validate()
    seconds = {}
    clock = time.perf_counter()
    figures = figures or load_figures(request.figures_path)
    priors = priors or load_priors(figures.priors_path)
    analysis = consistency.analyse(figures, priors, relax=request.relax)
    seconds["fit"] = time.perf_counter() - clock
    progress(STAGES[0])
    streams = dict(zip(STREAMS, (np.random.default_rng(s)
                                 for s in np.random.SeedSequence(request.seed).spawn(len(STREAMS)))))
    leg_range = scaled_leg_range(analysis.figures, request.cases)
    clock = time.perf_counter()
    draw = _profiles(analysis, priors, request, leg_range, streams)
    seconds["size"] = time.perf_counter() - clock
    progress(STAGES[1])
    free = [c for c in CASE_COLUMNS if c not in draw.columns]
    free.sort(key=lambda c: priors[c].given is not None)  # parents before their children
    prof.fill_by_prior(draw, free, priors, streams["priors"], draw.sizes.astype(float))
    cases, legs = _expand(draw, streams["order"])
    progress(STAGES[2])
    clock = time.perf_counter()
    measured = measure_release(cases, legs, analysis.figures.figures, request.quasi_identifiers,
                               request.k, request.reporting_length)
    seconds["check"] = time.perf_counter() - clock
    progress(STAGES[3])
    return Release(request, cases, legs, analysis, priors, len(draw), leg_range, measured,
                   _manifest(request, analysis.figures, measured), seconds)


def published_about(release: Release) -> About:
    """What datapackage.json says about a release from published figures: the figures' title and
    sources, and the priors file the other columns follow."""
    figures, manifest = release.analysis.figures, release.manifest
    priors = manifest.settings.options["priors"]["name"]
    sources = (*figures.sources.values(), f"Priors for the columns no figure names: {priors}")
    return about_release(manifest, (len(release.cases), None if release.legs is None
                                    else len(release.legs)),
                         Path(figures.path).stem, figures.title,
                         "published figures, not from case records: no row describes a real person",
                         tuple(sources))


def generate(request: Request, out: Path, force: bool = False, progress=None) -> Release:
    """Build the release, write it atomically, re-read it from disk and check every guarantee;
    a release that fails a check is never moved into place."""
    from tipkit.synth.published.datacard import datacard  # the card reads everything; import at use

    inputs = [request.figures_path]
    outputs.check_out(out, force=force, inputs=inputs)  # fail before the work, not after it
    release = build_release(request, progress=progress)
    problems = release.measured.problems(request.k)
    if problems:
        raise UserError(f"the release would break its guarantees: {problems[0]}")

    def verify(folder: Path) -> None:
        """Re-read the staged files, check every guarantee and the ids and metadata on them,
        require the values measured in memory, then seal the folder with release.json."""
        cases, legs = read_release(folder)
        again = measure_release(cases, legs, release.analysis.figures.figures,
                                request.quasi_identifiers, request.k, request.reporting_length,
                                ids=PUBLISHED_IDS)
        found = again.problems(request.k) + metadata_problems(folder, with_legs=True)
        if not found and mf.measured_on_disk(again.release, again.figure_values) \
                != release.manifest.measured:
            found = ["the files measure differently from the release in memory"]
        if found:
            raise UserError(f"the written release failed its check: {found[0]}")
        write_data_package(folder, request.fmt, cases, legs, schema_fields(), release.manifest,
                           published_about(release))
        mf.write_manifest(folder, release.manifest)

    clock = time.perf_counter()
    write_release(out, release.cases, release.legs, datacard(release), request.fmt, force,
                  verify=verify,
                  inputs=[*inputs, release.analysis.figures.priors_path or inputs[0]])
    release.seconds["write"] = time.perf_counter() - clock
    if progress:
        progress(STAGES[4])
    return release
