"""`tipkit synth fit`: a k-anonymous (optionally differentially private) release from case records.

Reads the records, measures their marginals (with calibrated noise under --epsilon), fits weights on
candidate profiles, releases every profile at least k times, and checks the written files. Journey
legs, when the input has them, are fitted as case-level columns (tipkit.synth.microdata.journeys) and expanded back.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from tipkit.synth.microdata import journeys, marginals as model, refine, selection
from tipkit.synth.microdata.accounting import Budget
from tipkit.synth.microdata.readers import CaseRecords
from tipkit.synth.microdata.domain import DEFAULT_YEARS, Domain, data_domain, public_domain, public_values
from tipkit.synth.release.guarantees import check_table, class_sizes, reproduced_uniques, unique_records
from tipkit.synth.release.folder import read_release, read_table, write_release
from tipkit.synth.release.schema import CASE_ID, DEFAULT_QUASI_IDENTIFIERS, OTHER
from tipkit.errors import UserError

ENGINES = ("marginals", "sdv-copula", "sdv-ctgan")
SUPPORT_DRAWS = 200_000  # candidate profiles drawn from the private pairwise model
MAX_TRIPLE_CELLS = 200_000  # larger three-way tables are left to the pairwise fit
SWEEPS = 60
MAX_TRIPLE_COLUMNS = 12  # beyond, hundreds of triples: the pairs carry the structure


@dataclass
class FitSettings:
    """What the user asked for; checked by `validate` before any data is touched."""

    k: int = 11
    quasi_identifiers: tuple[str, ...] | None = None
    reporting_length: int = 3
    epsilon: float | None = None
    delta: float | None = None
    years: tuple[int, int] | None = None
    engine: str = "marginals"
    seed: int = 0

    @property
    def private(self) -> bool:
        return self.epsilon is not None


@dataclass
class FittedRelease:
    """A release in memory, with what the data card says about how it was made."""

    cases: pd.DataFrame
    settings: FitSettings
    quasi_identifiers: tuple[str, ...]
    domain: Domain
    profiles: int
    input_rows: int
    source_format: str
    measured: list[tuple[str, ...]]
    budget: dict | None = None
    generalised: dict[str, int] = field(default_factory=dict)
    out_of_domain: dict[str, dict[str, int]] = field(default_factory=dict)
    unique_rows_excluded: int = 0
    # Journey legs (only when the input has them), and what the data card says about them.
    legs: pd.DataFrame | None = None
    journeys: dict | None = None


def _quasi_identifiers(settings: FitSettings, columns) -> tuple[str, ...]:
    if settings.quasi_identifiers:
        unknown = [q for q in settings.quasi_identifiers if q not in columns]
        if unknown:
            raise UserError(f"quasi-identifier {unknown[0]!r} is not one of the released columns "
                            f"({', '.join(columns)})")
        return tuple(settings.quasi_identifiers)
    return tuple(q for q in DEFAULT_QUASI_IDENTIFIERS if q in columns)


def validate(settings: FitSettings, rows: int, columns) -> None:
    """Refuse settings that cannot give a sound release, with one line naming the problem."""
    if settings.k < 2:
        raise UserError(f"--k must be at least 2 (got {settings.k})")
    if settings.reporting_length < 1:
        raise UserError("--reporting-length must be at least 1")
    if settings.engine not in ENGINES:
        raise UserError(f"unknown engine {settings.engine!r}: choose one of {', '.join(ENGINES)}")
    if rows < settings.k:
        raise UserError(f"the data has {rows} records, fewer than k={settings.k}")
    if settings.delta is not None and settings.epsilon is None:
        raise UserError("--delta needs --epsilon")
    if settings.private:
        if not settings.epsilon > 0:
            raise UserError(f"--epsilon must be greater than 0 (got {settings.epsilon})")
        if settings.delta is None:
            raise UserError("--epsilon needs --delta (for example --delta 1e-6)")
        if not 0 < settings.delta < 1 / rows:
            raise UserError(f"--delta must be between 0 and 1/n = {1 / rows:.3g} "
                            f"for {rows} records (got {settings.delta:g})")
        if settings.engine != "marginals":
            raise UserError(f"--engine {settings.engine} is not differentially private: "
                            "drop --epsilon or use the default engine")
        closed = [c for c in columns if public_values(c, settings.years or DEFAULT_YEARS) is None]
        if closed:
            raise UserError(f"column {closed[0]!r} has no public list of values, so it cannot be "
                            "released with --epsilon (leave it out with --columns)")
    if settings.years and settings.years[0] > settings.years[1]:
        raise UserError(f"--years {settings.years[0]}-{settings.years[1]} is an empty range")


def _distinct(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    support, counts = np.unique(codes, axis=0, return_counts=True)
    return support, counts.astype(float)


def measured_tables(columns, cdomain: Domain, with_legs: bool = False) -> list[tuple[str, ...]]:
    """The tables the model is fitted to: every one-, two- and (for a handful of case columns)
    three-way table of the case columns; with journeys, also every table of one journey summary
    column, every pair with one, and every triple of them (those carry the legs' combinations)."""
    journey = [c for c in columns if with_legs and c in journeys.SUMMARY_COLUMNS]
    case = [c for c in columns if c not in journey]
    # Beyond MAX_TRIPLE_COLUMNS, hundreds of triples: the pairs carry the structure.
    length = 3 if len(case) <= MAX_TRIPLE_COLUMNS else 2
    tables = model.workload(case, length, MAX_TRIPLE_CELLS, cdomain)
    if journey:
        tables += [(c,) for c in journey]
        tables += [t for t in model.workload(columns, 2, MAX_TRIPLE_CELLS, cdomain)
                   if len(t) == 2 and set(t) & set(journey)]
        tables += [t for t in model.workload(journey, 3, MAX_TRIPLE_CELLS, cdomain) if len(t) == 3]
    return tables


def _sdv_candidates(table: pd.DataFrame, engine: str, rows: int, seed: int) -> pd.DataFrame:
    """Rows from an SDV synthesizer fitted to the (non-private) records, as candidate profiles."""
    from sdv.metadata import Metadata
    from sdv.single_table import CTGANSynthesizer, GaussianCopulaSynthesizer

    metadata = Metadata.load_from_dict({"tables": {"cases": {"columns": {
        c: {"sdtype": "categorical"} for c in table.columns}}}})
    synthesizer = (GaussianCopulaSynthesizer(metadata) if engine == "sdv-copula"
                   else CTGANSynthesizer(metadata, epochs=30))
    with _seeded_globals(seed):  # CTGAN and RDT draw from numpy's and torch's global generators
        synthesizer.fit({"cases": table})
        synthesizer._set_random_state(seed)  # noqa: SLF001 - SDV's way to make sampling repeatable
        sampled = synthesizer.sample(num_rows=rows)
    return (sampled["cases"] if isinstance(sampled, dict) else sampled).astype(str)


@contextmanager
def _seeded_globals(seed: int):
    """Seed the global generators that SDV's libraries use, and give their state back after:
    our own code never touches them, but CTGAN's training and data sampler do."""
    import random

    import torch

    saved = np.random.get_state(), random.getstate(), torch.random.get_rng_state()
    np.random.seed(seed)
    random.seed(seed)
    torch.manual_seed(seed)
    try:
        yield
    finally:
        np.random.set_state(saved[0])
        random.setstate(saved[1])
        torch.random.set_rng_state(saved[2])


def _model_table(records: CaseRecords, columns) -> tuple[pd.DataFrame, pd.DataFrame | None, int]:
    """The table the model fits: the case records, and with journeys their summary columns.
    Returns it, the summary (None without legs) and how many cases' legs differ."""
    if records.legs is None:
        return records.table, None, 0
    clash = [c for c in journeys.SUMMARY_COLUMNS if c in columns]
    if clash:
        raise UserError(f"the cases have a column {clash[0]!r}, which journey legs describe: "
                        "leave it out with --columns or release the cases with --no-legs")
    summary, varying = journeys.summarise(records.legs, len(records.table))
    return pd.concat([records.table.reset_index(drop=True), summary], axis=1), summary, varying


def fit_release(records: CaseRecords, settings: FitSettings) -> FittedRelease:
    """The release of `records` under `settings`: pure computation, nothing written."""
    table = records.table
    columns = tuple(table.columns)
    validate(settings, len(table), columns)
    quasi_identifiers = _quasi_identifiers(settings, columns)
    # With journeys, the model sees the case columns then the journey summary columns.
    data, summary, varying = _model_table(records, columns)
    with_legs = summary is not None
    model_columns = tuple(data.columns)
    noise_rng, support_rng, order_rng, sdv_seed = np.random.SeedSequence(settings.seed).spawn(4)
    budget = None
    if settings.private:
        domain = public_domain(model_columns, settings.years or DEFAULT_YEARS)
        if with_legs:
            domain = journeys.with_no_legs(domain)
        codes = domain.encode(data)
        budget = Budget(settings.epsilon, settings.delta)
        private = selection.private_model(
            codes, domain, settings.k, budget, np.random.default_rng(noise_rng),
            np.random.default_rng(support_rng),
            # The rounds choose among the tables a release without DP measures.
            lambda kept: measured_tables(model_columns, kept, with_legs),
            adjust_maps=(lambda kept, maps: journeys.recode_leg_counts(domain, kept, maps))
            if with_legs else None,
            # post-processing: only candidates that describe a journey
            admissible=journeys.consistent if with_legs else None)
        cdomain, maps = private.domain, private.maps
        support, weights = private.support, private.weights
        measured = [m.columns for m in private.measurements]
        # From here on the release is fitted to the model's own tables: post-processing.
        measurements = private.tables()
        # The released size is itself private: the model's noisy total.
        rows = max(int(round(private.total)), settings.k)
        excluded = 0
    else:
        domain = data_domain(data, settings.years)
        codes = domain.encode(data)
        one_way = {c: model.marginal(codes, domain, (c,)) for c in model_columns}
        cdomain, maps = model.compress(domain, one_way, settings.k)
        if with_legs:
            maps = journeys.recode_leg_counts(domain, cdomain, maps)
        ccodes = model.recode(codes, maps)
        measured = measured_tables(model_columns, cdomain, with_legs)
        measurements = [model.Measurement(c, model.marginal(ccodes, cdomain, c)) for c in measured]
        if settings.engine == "marginals":
            pairs = [m for m in measurements if len(m.columns) <= 2]
            # Pairs seen fewer than k times cannot be released: they seed no candidates.
            candidates = model.pairwise_sample(cdomain, pairs, SUPPORT_DRAWS,
                                               np.random.default_rng(support_rng),
                                               floor=settings.k - 0.5)
        else:
            sampled = _sdv_candidates(cdomain.decode(ccodes), settings.engine, len(table),
                                      int(sdv_seed.generate_state(1)[0]))
            candidates = cdomain.encode(sampled)
        support, weights = _distinct(candidates)
        if with_legs:
            keep = journeys.consistent(support, cdomain)
            support, weights = support[keep], weights[keep]
        # Never release the quasi-identifiers of a record that is unique on them in the input.
        unique = class_sizes(cdomain.decode(ccodes), quasi_identifiers) == 1
        qi = cdomain.index(quasi_identifiers)
        forbidden = {tuple(r) for r in ccodes[unique][:, qi]}
        allowed = np.array([tuple(r) not in forbidden for r in support[:, qi]], dtype=bool)
        if with_legs:
            allowed &= _no_unique_leg(support, ccodes, records.legs, domain, cdomain, maps,
                                      quasi_identifiers)
        excluded = int((~allowed).sum())
        support, weights = support[allowed], weights[allowed]
        rows = len(table)
    if len(support) == 0:
        raise UserError(f"no profile can be released {settings.k} times: k={settings.k} is too "
                        f"large for {len(table)} records (lower --k or release fewer columns)")
    # IPF ends each sweep on the table it fits last: the one-way tables, then the pairs, are
    # fitted last so the fewest rows are lost on them when small cells are dropped.
    measurements = sorted(measurements, key=lambda m: -len(m.columns))
    if not settings.private:  # the private model is already fitted to its own tables
        weights = model.ipf(support, weights, cdomain, measurements, SWEEPS)
    if with_legs:
        tables = journeys.k_tables(quasi_identifiers, columns, settings.reporting_length)
    else:
        attributes = list(columns)
        tables = [tuple(quasi_identifiers)] + model.workload(attributes, settings.reporting_length)
    pool = support
    support, counts = model.k_support(support, weights, cdomain, measurements, rows, settings.k,
                                      tables)
    if settings.private and len(support):  # whole counts brought closer to the model's tables
        support, counts = refine.refined(pool, weights, support, counts, cdomain, measurements,
                                         tables, settings.k)
    if len(support) == 0:
        raise UserError(f"no profile can be released {settings.k} times: k={settings.k} is too "
                        f"large for {len(table)} records (lower --k or release fewer columns)")
    released = np.repeat(support, counts, axis=0)
    released = released[np.random.default_rng(order_rng).permutation(len(released))]
    decoded = cdomain.decode(released)
    cases = decoded[list(columns)].copy() if with_legs else decoded
    cases.insert(0, CASE_ID, [str(i) for i in range(1, len(cases) + 1)])
    legs = journeys.expand(decoded, cases[CASE_ID].to_numpy()) if with_legs else None
    generalised = {}
    if not settings.private:  # counts of the input are not private here; under DP they are not told
        for j, name in enumerate(columns):
            other = cdomain.values[j].index(OTHER) if OTHER in cdomain.values[j] else -1
            moved = (maps[j][codes[:, j]] == other) & (table[name] != OTHER).to_numpy()
            if moved.any():
                generalised[name] = int(moved.sum())
    journey_card = None
    if with_legs:
        journey_card = {
            "input_legs": len(records.legs), "varying": varying, "legs": len(legs),
            "counts": sorted(int(v) for v in set(decoded[journeys.LEG_COUNT])),
            "generalised": {} if settings.private else
            journeys.generalised(summary, cdomain.decode(ccodes)[list(journeys.SUMMARY_COLUMNS)]),
        }
    return FittedRelease(
        cases=cases, settings=settings, quasi_identifiers=quasi_identifiers, domain=cdomain,
        profiles=len(support), input_rows=len(table), source_format=records.source_format,
        measured=list(measured),
        budget=budget.summary() if budget else None, generalised=generalised,
        out_of_domain=records.out_of_domain, unique_rows_excluded=excluded,
        legs=legs, journeys=journey_card,
    )


def _no_unique_leg(support, ccodes, legs, domain: Domain, cdomain: Domain, maps,
                   quasi_identifiers) -> np.ndarray:
    """Candidate rows that do not carry, on the legs' and their cases' quasi-identifiers, the
    values of an input leg that is unique on them (every leg's own values, not only the first
    leg's, in the coding of the model)."""
    leg_qi = [*journeys.LEG_QUASI_IDENTIFIERS]
    coded = {name: ccodes[legs["case"].to_numpy(), domain.columns.index(name)]
             for name in quasi_identifiers}
    for name in leg_qi:
        j = domain.columns.index(name)
        lookup = {v: i for i, v in enumerate(domain.values[j])}
        coded[name] = maps[j][legs[name].map(lookup).to_numpy()]
    rows = pd.DataFrame(coded)
    names = [*quasi_identifiers, *leg_qi]
    forbidden = {tuple(r) for r in unique_records(rows, names).to_numpy()}
    index = cdomain.index(names)
    return np.array([tuple(r) not in forbidden for r in support[:, index]], dtype=bool)


def release_problems(cases: pd.DataFrame, fitted: FittedRelease, real: pd.DataFrame,
                     legs: pd.DataFrame | None = None,
                     real_legs: pd.DataFrame | None = None) -> list[str]:
    """What is wrong with a release as written (re-read from disk): k-anonymity, rare
    combinations, and (without DP) records unique on the quasi-identifiers reproduced; with
    journeys, the same for `legs` (`real_legs`: the input's legs, as in CaseRecords.legs)."""
    settings = fitted.settings
    attributes = [c for c in cases.columns if c != CASE_ID]
    report = check_table("cases", cases, fitted.quasi_identifiers, attributes, settings.k,
                         settings.reporting_length)
    problems = report.problems(settings.k)
    if list(cases[CASE_ID]) != [str(i) for i in range(1, len(cases) + 1)]:
        problems.append("cases: case ids are not the fresh sequence 1..n")
    if not settings.private:
        copied = reproduced_uniques(cases, real, fitted.quasi_identifiers)
        if copied:
            problems.append(f"cases: {copied} rows reproduce the quasi-identifiers of a "
                            "record unique in the input")
    if fitted.legs is not None:
        if legs is None:
            return problems + ["legs: the release has no legs table"]
        input_legs = None
        if not settings.private:
            if real_legs is None:
                raise ValueError("checking a release with legs needs the input's legs")
            input_legs = journeys.leg_rows(real_legs, real, fitted.quasi_identifiers)
        problems += journeys.leg_problems(cases, legs, fitted.quasi_identifiers, settings.k,
                                          settings.reporting_length, input_legs)
    return problems


def _relationship_problems(metadata: dict) -> list[str]:
    link = {"parent_table_name": "cases", "parent_primary_key": CASE_ID,
            "child_table_name": "legs", "child_foreign_key": CASE_ID}
    if "legs" not in metadata.get("tables", {}) or link not in metadata.get("relationships", []):
        return ["metadata.json: the legs table or its link to the cases is missing"]
    return []


def write_fit(fitted: FittedRelease, real: pd.DataFrame, out: Path, fmt: str = "csv",
              force: bool = False, real_legs: pd.DataFrame | None = None) -> Path:
    """Write the release folder atomically, after re-reading it and checking every guarantee.
    `real_legs` (CaseRecords.legs) is needed when the release has legs."""
    import json

    from tipkit.synth.microdata.datacard import datacard

    def verify(staging: Path) -> None:
        if fitted.legs is None:
            problems = release_problems(read_table(staging / f"cases.{fmt}"), fitted, real)
        else:
            cases, legs = read_release(staging)
            problems = release_problems(cases, fitted, real, legs, real_legs)
            problems += _relationship_problems(json.loads((staging / "metadata.json").read_text()))
        if problems:
            raise UserError(f"release abandoned, a guarantee fails: {problems[0]}")

    return write_release(out, fitted.cases, fitted.legs, datacard(fitted), fmt=fmt, force=force,
                         verify=verify)
