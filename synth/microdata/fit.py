"""`tipkit synth fit`: a k-anonymous (optionally differentially private) release from case records.

Reads the records through their codebook, measures their marginals (with calibrated noise under
--epsilon), draws candidate profiles and drops those the codebook calls impossible, fits weights,
releases every profile at least k times, and checks the written files. Journey legs, when the input
has them, are fitted as case-level columns (tipkit.synth.microdata.journeys) and expanded back.
"""

from __future__ import annotations

import hashlib
import math
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from tipkit.synth.microdata import exact_values, journeys, marginals as model, refine, selection
from tipkit.synth.microdata.accounting import Budget, gaussian_sigma
from tipkit.synth.microdata.codebook import (DEFAULT_YEARS, GLOBAL_SYNTHETIC_CODEBOOK, SHIPPED,
                                             Codebook, builtin_codebook)
from tipkit.synth.microdata.domain import data_domain, listed_values, public_domain
from tipkit.synth.microdata.readers import CaseRecords
from tipkit.synth.release import manifest as mf
from tipkit.synth.release.checks import (ReleaseCheck, check_release, leg_quasi_identifiers,
                                         legs_with_cases, metadata_problems)
from tipkit.synth.release.domain import Domain
from tipkit.synth.release.guarantees import (class_sizes, reporting_length_problem,
                                             reproduced_uniques, unique_exact_matches,
                                             unique_records)
from tipkit.synth.release.folder import read_release, write_release
from tipkit.synth.release.datapackage import (About, FieldSpec, about_release, codebook_fields,
                                              write_data_package)
from tipkit.synth.release.licences import DEFAULT_LICENCE, licence_flag, licence_option
from tipkit.synth.release.legs import FITTED_IDS, expand_legs
from tipkit.synth.release.schema import CASE_ID, OTHER
from tipkit.errors import UserError

ENGINES = ("marginals", "sdv-copula", "sdv-ctgan")
SUPPORT_DRAWS = 200_000  # candidate profiles drawn from the exact pairwise tables
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
    licence: str = DEFAULT_LICENCE  # the licence datapackage.json states (SPDX id)

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
    # Under DP: per column with values read as "Other", its noisy "Other" count and noise sigma.
    out_of_domain_noisy: dict[str, tuple[float, float]] = field(default_factory=dict)
    unique_rows_excluded: int = 0
    # Journey legs (only when the input has them), and what the data card says about them.
    legs: pd.DataFrame | None = None
    journeys: dict | None = None
    # The codebook the records were read with, and the text shipped as codebook.yaml.
    codebook: Codebook | None = None
    codebook_text: str = ""
    # Numbers drawn inside their bins (release: value), without DP: the input in the values
    # released (for the exact-value check; never written), how many released rows had a drawn
    # value swapped or redrawn because it recreated an input-unique record, and how many
    # candidate profiles were dropped because every value of their bins would have.
    input_values: pd.DataFrame | None = None
    values_redrawn: int = 0
    values_unavoidable: int = 0
    # Under DP, with drawn numbers: records unique in the input on the released columns that
    # reappear exactly in the values released (SDNist's unique exact matches), and how many
    # records are unique; measured after the release was made, it changes nothing in it (no
    # post-check against the records under DP): evidence only.
    exact_matches_measured: int | None = None
    input_uniques: int | None = None
    # What the mechanism measured (the noisy tables, their domain and maps under DP), for the
    # one-run audit (tipkit.synth.microdata.audit); never written.
    mechanism: Candidates | None = field(default=None, repr=False)
    # Measured evidence for the data card (`fit --audit`): attacks and the DP audit.
    audit: dict | None = None

    @property
    def codebook_file(self) -> mf.InputFile | None:
        """The shipped codebook.yaml as release.json records it: the codebook's name and the
        sha256 of the bytes shipped (the text as cut for the release)."""
        if self.codebook is None:
            return None
        return mf.InputFile(self.codebook.name,
                            hashlib.sha256(self.codebook_text.encode("utf-8")).hexdigest())


def _quasi_identifiers(settings: FitSettings, columns, codebook: Codebook) -> tuple[str, ...]:
    """--quasi-identifiers, else the codebook's: a CTDC codebook's that the table holds; every
    one of a user's codebook, which the table must hold."""
    if settings.quasi_identifiers:
        unknown = [q for q in settings.quasi_identifiers if q not in columns]
        if unknown:
            raise UserError(f"quasi-identifier {unknown[0]!r} is not one of the released columns "
                            f"({', '.join(columns)})")
        return tuple(settings.quasi_identifiers)
    absent = [q for q in codebook.quasi_identifiers if q not in columns]
    if absent and not codebook.any_subset:
        raise UserError(f"the codebook's quasi-identifier {absent[0]!r} is not among the released "
                        f"columns ({', '.join(columns)}): release it, or name the quasi-identifiers "
                        "with --quasi-identifiers")
    found = tuple(q for q in codebook.quasi_identifiers if q in columns)
    if not found:
        named = ", ".join(codebook.quasi_identifiers) or "none"
        raise UserError(f"no quasi-identifier to protect: the table has none of the codebook "
                        f"{codebook.name}'s ({named}); name the columns an attacker may know with "
                        "--quasi-identifiers or in a codebook (quasi_identifiers)")
    return found


def validate(settings: FitSettings, rows: int, columns, codebook: Codebook | None = None) -> None:
    """Refuse settings that cannot give a sound release, with one line naming the problem."""
    licence_option(settings.licence)  # an unknown licence (a library caller's; the CLI lists them)
    if settings.k < 2:
        raise UserError(f"--k must be at least 2 (got {settings.k})")
    problem = reporting_length_problem(len(columns), settings.reporting_length)
    if problem:
        raise UserError(problem)
    if settings.engine not in ENGINES:
        raise UserError(f"unknown engine {settings.engine!r}: choose one of {', '.join(ENGINES)}")
    if rows < settings.k:
        raise UserError(f"the data has {rows} records, fewer than k={settings.k}")
    if settings.delta is not None and settings.epsilon is None:
        raise UserError("--delta needs --epsilon")
    if settings.seed < 0:
        raise UserError(f"--seed must be 0 or more (got {settings.seed})")
    if settings.private:
        if not 0 < settings.epsilon < math.inf:
            raise UserError(f"--epsilon must be a number greater than 0 (got {settings.epsilon})")
        if settings.delta is None:
            raise UserError("--epsilon needs --delta (for example --delta 1e-6)")
        if not 0 < settings.delta < 1 / rows:
            raise UserError(f"--delta must be between 0 and 1/n = {1 / rows:.3g} "
                            f"for {rows} records (got {settings.delta:g})")
        if settings.engine != "marginals":
            raise UserError(f"--engine {settings.engine} is not differentially private: "
                            "drop --epsilon or use the default engine")
        codebook = codebook or builtin_codebook(GLOBAL_SYNTHETIC_CODEBOOK)
        for name in columns:
            column = codebook.column(name)
            if column.kind == "open":
                raise UserError(f"column {name!r} has no public list of values, so it cannot be "
                                "released with --epsilon (leave it out with --columns)")
            if not column.public:
                raise UserError(f"column {name!r}: its list of values comes from the data "
                                f"(public: false in codebook {codebook.name}), so it cannot be "
                                "released with --epsilon: review it and set public: true, or "
                                "leave the column out with --columns")
    if settings.years and settings.years[0] > settings.years[1]:
        raise UserError(f"--years {settings.years[0]}-{settings.years[1]} is an empty range")


def refuse_swamping_noise(settings: FitSettings, rows: int, columns: int) -> None:
    """Refuse an epsilon so small that the noise on every count is larger than the data: with
    standard deviation sigma on each one-way count, a value is kept only above 3 sigma, so when
    3 sigma reaches the number of records no value can stand out, every one reads as Other and
    the released size is noise (at 1e-4 on 500 records: 37 million rows). The number of records
    is known to the data holder who runs this; the refusal releases nothing."""
    one_way_rho = selection.ONE_WAY_SHARE * Budget(settings.epsilon, settings.delta).rho / columns
    sigma = gaussian_sigma(one_way_rho)
    if 3 * sigma >= rows:
        # rho = epsilon_needed's zCDP budget; epsilon = rho + 2 sqrt(rho ln(1/delta)) suffices
        rho = columns * 9 / (2 * rows ** 2 * selection.ONE_WAY_SHARE) * 1.01
        enough = rho + 2 * math.sqrt(rho * math.log(1 / settings.delta))
        raise UserError(f"--epsilon {settings.epsilon:g} adds noise with a standard deviation "
                        f"of {sigma:,.0f} to each count, swamping the {rows:,} records: every "
                        f"value would read as Other; use --epsilon {enough:.2g} or more")


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
    our own code never touches them, but CTGAN's training and data sampler do. Torch works on
    one thread meanwhile, so that no sum depends on how many cores the machine has or how busy
    they are (and a busy machine does not slow it tenfold with threads waiting on each other).
    CTGAN's transformer runs joblib on the same terms: no pool of worker processes, which would
    also outlive a Ctrl-C mid-start and print their own tracebacks."""
    import random

    import torch
    from joblib import parallel_config

    saved = (np.random.get_state(), random.getstate(), torch.random.get_rng_state(),
             torch.get_num_threads())
    np.random.seed(seed)
    random.seed(seed)
    torch.manual_seed(seed)
    torch.set_num_threads(1)
    try:
        with parallel_config(backend="sequential"):
            yield
    finally:
        np.random.set_state(saved[0])
        random.setstate(saved[1])
        torch.random.set_rng_state(saved[2])
        torch.set_num_threads(saved[3])


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


@dataclass
class Candidates:
    """What a model hands to the calibration: candidate rows (codes over `domain`) with weights,
    the tables they are fitted to, and how many rows to release."""

    domain: Domain  # the fitted domain: values no release could show merged into "Other"
    support: np.ndarray
    weights: np.ndarray
    measurements: list
    rows: int
    full_domain: Domain  # before the merge; maps[j] takes its codes of column j to `domain`'s
    maps: list
    codes: np.ndarray | None = None  # the input over `full_domain` (non-private only)
    excluded: int = 0  # candidates dropped as carrying a unique input record's quasi-identifiers
    # Without DP: per binned profile, the drawn values that would recreate an input-unique record
    # (tipkit.synth.microdata.exact_values), and the candidates no draw could release safely.
    forbidden_values: dict = field(default_factory=dict)
    unavoidable: int = 0
    # Under DP: every noisy measurement, in the order taken (`measurements` are then the model's
    # own tables, which the release is fitted to).
    noisy: list = field(default_factory=list)

    def keep(self, allowed: np.ndarray) -> None:
        self.support, self.weights = self.support[allowed], self.weights[allowed]


def fit_release(records: CaseRecords, settings: FitSettings,
                _noise_scale: float = 1.0) -> FittedRelease:
    """The release of `records` under `settings`: pure computation, nothing written.
    `_noise_scale` is for the audit's tests only (accounting.Budget._noise_scale)."""
    codebook = _fit_codebook(records, settings)
    table = records.table
    columns = tuple(table.columns)
    validate(settings, len(table), columns, codebook)
    quasi_identifiers = _quasi_identifiers(settings, columns, codebook)
    _refuse_impossible_records(table, codebook)
    # With journeys, the model sees the case columns then the journey summary columns.
    data, summary, varying = _model_table(records, columns)
    with_legs = summary is not None
    lists = listed_values(codebook, data.columns, journeys.SUMMARY_COLUMNS if with_legs else ())
    noise_rng, support_rng, order_rng, sdv_seed, value_rng = \
        np.random.SeedSequence(settings.seed).spawn(5)
    budget = (Budget(settings.epsilon, settings.delta, _noise_scale=_noise_scale)
              if settings.private else None)
    if settings.private:
        refuse_swamping_noise(settings, len(table), len(data.columns))
        found = _private_candidates(data, lists, settings, codebook, budget, noise_rng,
                                    support_rng, with_legs)
    else:
        found = _exact_candidates(data, lists, records, settings, codebook, quasi_identifiers,
                                  support_rng, sdv_seed, with_legs)
    found.keep(possible_rows(found.support, found.domain, found.full_domain, found.maps, codebook))
    if with_legs:
        tables = journeys.k_tables(quasi_identifiers, columns, settings.reporting_length)
    else:
        tables = [tuple(quasi_identifiers)] + model.workload(list(columns), settings.reporting_length)
    support, counts = _calibrate(found, settings, tables, len(table))
    cases, legs, decoded, redrawn = _released_rows(support, counts, found.domain, columns,
                                                   with_legs, codebook, order_rng, value_rng,
                                                   found.forbidden_values,
                                                   _number_weights(records, codebook, settings))
    drawn = exact_values.drawn_columns(codebook, columns)
    matches = uniques = None
    if drawn and settings.private:  # evidence only: measured after the release was made
        real = records.values if records.values is not None else table
        matches, uniques = unique_exact_matches(cases, real, columns)
    shipped = codebook.redacted(codebook.measured(cases))
    return FittedRelease(
        cases=cases, settings=settings, quasi_identifiers=quasi_identifiers, domain=found.domain,
        profiles=len(support), input_rows=len(table), source_format=records.source_format,
        measured=[m.columns for m in (found.noisy if settings.private else found.measurements)],
        budget=budget.summary() if budget else None,
        generalised={} if settings.private else _generalised(table, found),
        out_of_domain=records.out_of_domain,
        out_of_domain_noisy=_noisy_other(found, records.out_of_domain) if settings.private else {},
        unique_rows_excluded=found.excluded, legs=legs,
        journeys=_journey_card(records, summary, varying, legs, decoded, found, settings)
        if with_legs else None,
        codebook=codebook, codebook_text=shipped, mechanism=found,
        input_values=records.values if drawn and not settings.private else None,
        values_redrawn=redrawn, values_unavoidable=found.unavoidable,
        exact_matches_measured=matches, input_uniques=uniques,
    )


def _fit_codebook(records: CaseRecords, settings: FitSettings) -> Codebook:
    """The codebook the records were read with; a CTDC codebook takes the DP year range."""
    codebook = records.codebook or builtin_codebook(GLOBAL_SYNTHETIC_CODEBOOK)
    if settings.private and codebook.builtin:
        return codebook.with_years(settings.years or DEFAULT_YEARS)
    return codebook


def _refuse_impossible_records(table: pd.DataFrame, codebook: Codebook) -> None:
    """Input records with a combination the codebook calls impossible: the codebook or the data
    is wrong, and a release could not tell which."""
    for rule, count in codebook.impossible_rows(table).items():
        if count:
            text = codebook.impossible[rule].text
            raise UserError(f"{count} records have a combination the codebook calls impossible "
                            f"(impossible[{rule}]: {text}): fix the data or the codebook")


def _private_candidates(data, lists, settings, codebook, budget, noise_rng, support_rng,
                        with_legs) -> Candidates:
    """Candidates from noisy tables alone: the public domain, and the private model of
    tipkit.synth.microdata.selection (the only data access: noisy one-way tables, then tables
    chosen round by round), whose support never holds a row the codebook calls impossible (nor,
    with journeys, one that describes no journey). The candidates are fitted to the model's own
    tables from here on (post-processing); the size is the model's noisy total."""
    domain = public_domain(tuple(data.columns), lists)
    if with_legs:
        domain = journeys.with_no_legs(domain)

    def admissible(support, kept: Domain, maps) -> np.ndarray:
        allowed = possible_rows(support, kept, domain, maps, codebook)
        if with_legs:
            allowed &= journeys.consistent(support, kept)
        return allowed

    private = selection.private_model(
        domain.encode(data), domain, settings.k, budget, np.random.default_rng(noise_rng),
        np.random.default_rng(support_rng),
        # The rounds choose among the tables a release without DP measures.
        lambda kept: measured_tables(tuple(data.columns), kept, with_legs),
        ordered=binned_columns(codebook, data.columns),
        adjust_maps=(lambda kept, maps: journeys.recode_leg_counts(domain, kept, maps))
        if with_legs else None,
        admissible=admissible,
        forbidden=lambda kept, maps: impossible_cells(kept, domain, maps, codebook))
    rows = max(int(round(private.total)), settings.k)
    return Candidates(private.domain, private.support, private.weights, private.tables(), rows,
                      domain, private.maps, noisy=private.measurements)


def _exact_candidates(data, lists, records, settings, codebook, quasi_identifiers, support_rng,
                      sdv_seed, with_legs) -> Candidates:
    """Candidates from the exact tables of the records (or an SDV synthesizer), without any
    row carrying the quasi-identifiers of a record unique on them in the input."""
    domain = data_domain(data, lists)
    codes = domain.encode(data)
    one_way = {c: model.marginal(codes, domain, (c,)) for c in data.columns}
    cdomain, maps = model.compress(domain, one_way, settings.k,
                                   binned_columns(codebook, data.columns))
    if with_legs:
        maps = journeys.recode_leg_counts(domain, cdomain, maps)
    ccodes = model.recode(codes, maps)
    measured = measured_tables(tuple(data.columns), cdomain, with_legs)
    measurements = [model.Measurement(c, model.marginal(ccodes, cdomain, c)) for c in measured]
    if settings.engine == "marginals":
        pairs = [m for m in measurements if len(m.columns) <= 2]
        # Pairs seen fewer than k times cannot be released: they seed no candidates.
        drawn = model.pairwise_sample(cdomain, pairs, SUPPORT_DRAWS,
                                      np.random.default_rng(support_rng), floor=settings.k - 0.5)
    else:
        sampled = _sdv_candidates(cdomain.decode(ccodes), settings.engine, len(data),
                                  int(sdv_seed.generate_state(1)[0]))
        drawn = cdomain.encode(sampled)
    support, weights = _distinct(drawn)
    found = Candidates(cdomain, support, weights, measurements, len(data), domain, maps, codes)
    if with_legs:
        found.keep(journeys.consistent(found.support, cdomain))
    # Never release the quasi-identifiers of a record that is unique on them in the input.
    unique = class_sizes(cdomain.decode(ccodes), quasi_identifiers) == 1
    qi = cdomain.index(quasi_identifiers)
    forbidden = {tuple(r) for r in ccodes[unique][:, qi]}
    allowed = np.array([tuple(r) not in forbidden for r in found.support[:, qi]], dtype=bool)
    if with_legs:
        allowed &= _no_unique_leg(found.support, ccodes, records.legs, domain, cdomain, maps,
                                  quasi_identifiers)
    found.excluded = int((~allowed).sum())
    found.keep(allowed)
    # Numbers drawn inside their bins: a profile whose every draw would recreate a record unique
    # in the input on the released columns (in the values released) is not released either.
    if records.values is not None and exact_values.drawn_columns(codebook, records.table.columns):
        cases = list(records.table.columns)
        found.forbidden_values = exact_values.forbidden_values(
            records.values, cdomain.decode(ccodes)[cases], codebook, cases)
        stuck = exact_values.unavoidable(cdomain.decode(found.support), found.forbidden_values,
                                         codebook, cases)
        found.unavoidable = int(stuck.sum())
        found.keep(~stuck)
    return found


def missing_rules_warning(codebook: Codebook | None, columns) -> str | None:
    """One line when a user's codebook has number columns (an age...) and no impossible
    combinations: a release may then pair them with values they rule out (a married child)."""
    if codebook is None or codebook.builtin or codebook.impossible:
        return None
    numbers = [c for c in columns if c in codebook.columns and codebook.column(c).kind == "number"]
    if not numbers:
        return None
    return (f"warning: codebook {codebook.name} has range columns ({', '.join(numbers)}) and no "
            "impossible combinations: the release may pair them with values they rule out (a "
            "married child); add rules, or draft them with `tipkit synth codebook --dictionary`")


def binned_columns(codebook: Codebook, columns) -> tuple[str, ...]:
    """The columns that hold the bins of a number: there a bin too rare to release joins its
    nearest kept bin rather than "Other", so that the column stays a number."""
    return tuple(c for c in columns if c in codebook.columns and codebook.column(c).bins)


def _bad_values(rule, domain: Domain, full_domain: Domain, maps) -> dict[str, np.ndarray]:
    """Per column of an impossible combination, which values of `domain` (merged from
    `full_domain` by `maps`) it names. "Other" counts when every value merged into it does."""
    bad = {}
    for name, values in rule.values.items():
        j = domain.columns.index(name)
        bad[name] = np.array([v in values for v in domain.values[j]], dtype=bool)
        if OTHER in domain.values[j]:
            other = domain.values[j].index(OTHER)
            merged = {v for i, v in enumerate(full_domain.values[j])
                      if maps[j][i] == other and v != OTHER}
            bad[name][other] = bool(merged) and merged <= values
    return bad


def possible_rows(support: np.ndarray, domain: Domain, full_domain: Domain, maps,
                  codebook: Codebook) -> np.ndarray:
    """Rows of `support` (codes over `domain`, merged from `full_domain` by `maps`) with none of
    the codebook's impossible combinations (post-processing of public rules)."""
    keep = np.ones(len(support), dtype=bool)
    for rule in codebook.impossible:
        if not set(rule.values) <= set(domain.columns):
            continue
        hit = np.ones(len(support), dtype=bool)
        for name, bad in _bad_values(rule, domain, full_domain, maps).items():
            hit &= bad[support[:, domain.columns.index(name)]]
        keep &= ~hit
    return keep


def impossible_cells(domain: Domain, full_domain: Domain, maps, codebook: Codebook) -> list:
    """The codebook's impossible combinations of two columns as (the pair in `domain`'s order,
    a mask of its cells), for drawing candidate rows around them (public rules only)."""
    cells = []
    for rule in codebook.impossible:
        if len(rule.values) != 2 or not set(rule.values) <= set(domain.columns):
            continue
        pair = tuple(c for c in domain.columns if c in rule.values)
        bad = _bad_values(rule, domain, full_domain, maps)
        cells.append((pair, np.outer(bad[pair[0]], bad[pair[1]])))
    return cells


def _calibrate(found: Candidates, settings: FitSettings, tables, input_rows: int):
    """Weights fitted to the measured tables (under DP the model already is), then every cell of
    `tables` at least k rows, and under DP whole counts moved between rows where that brings the
    release closer to the model's tables: the released profiles and their whole counts."""
    too_large = UserError(f"no profile can be released {settings.k} times: k={settings.k} is too "
                          f"large for {input_rows} records (lower --k or release fewer columns)")
    if len(found.support) == 0:
        raise too_large
    # IPF ends each sweep on the table it fits last: the one-way tables, then the pairs, are
    # fitted last so the fewest rows are lost on them when small cells are dropped.
    found.measurements = sorted(found.measurements, key=lambda m: -len(m.columns))
    weights = found.weights
    if not settings.private:
        weights = model.ipf(found.support, weights, found.domain, found.measurements, SWEEPS)
    support, counts = model.k_support(found.support, weights, found.domain, found.measurements,
                                      found.rows, settings.k, tables)
    if len(support) == 0:
        raise too_large
    if settings.private:
        support, counts = refine.refined(found.support, weights, support, counts, found.domain,
                                         found.measurements, tables, settings.k)
    return support, counts


def _released_rows(support, counts, cdomain: Domain, columns, with_legs: bool,
                   codebook: Codebook, order_rng, value_rng, forbidden=None, weights=None):
    """The released tables: each profile repeated its count, in a random order, with fresh
    case ids (and legs expanded from the journey columns). Without DP (`forbidden`, from
    exact_values.forbidden_values), a drawn number that would recreate an input-unique record
    is swapped or drawn again inside its bin (exact_values.redraw), from the same stream.
    Returns cases, legs, decoded rows and how many rows collided."""
    released = np.repeat(support, counts, axis=0)
    released = released[np.random.default_rng(order_rng).permutation(len(released))]
    decoded = cdomain.decode(released)
    cases = decoded[list(columns)].copy() if with_legs else decoded
    redrawn = 0
    drawn = [c for c in columns if codebook.columns.get(c) and codebook.column(c).bins
             and codebook.column(c).release == "value"]
    if drawn:  # one stream, consumed column by column in release order
        rng = np.random.default_rng(value_rng)
        cases = cases.copy()
        for name in drawn:
            cases[name] = codebook.column(name).draw_values(cases[name], rng,
                                                            (weights or {}).get(name))
        if forbidden:
            cases, redrawn = exact_values.redraw(cases, decoded, forbidden, codebook, columns, rng)
    cases.insert(0, CASE_ID, FITTED_IDS.cases(len(cases)))
    legs = expand_legs(cases[CASE_ID].to_numpy(), decoded, FITTED_IDS) if with_legs else None
    return cases, legs, decoded, redrawn


def _number_weights(records: CaseRecords, codebook: Codebook, settings: FitSettings):
    """Without DP, how numbers are drawn inside their bins: as the input's common numbers
    (exact_values.common_numbers); under DP, None: uniformly, independent of the records."""
    if settings.private or records.values is None:
        return None
    return exact_values.common_numbers(records.values, codebook, settings.k)


def _generalised(table: pd.DataFrame, found: Candidates) -> dict[str, int]:
    """How many input values of each column were merged into "Other" (not private here)."""
    generalised = {}
    for j, name in enumerate(table.columns):
        values = found.domain.values[j]
        other = values.index(OTHER) if OTHER in values else -1
        moved = (found.maps[j][found.codes[:, j]] == other) & (table[name] != OTHER).to_numpy()
        if moved.any():
            generalised[name] = int(moved.sum())
    return generalised


def _noisy_other(found: Candidates, out_of_domain) -> dict[str, tuple[float, float]]:
    """Under DP, for each column with values read as "Other": the noisy count of its measured
    "Other" cell and the noise sigma (post-processing: no exact count of the input is told)."""
    noisy = {}
    for m in found.noisy:
        if len(m.columns) == 1 and m.columns[0] in out_of_domain:
            values = found.domain.values[found.domain.columns.index(m.columns[0])]
            count = float(m.counts[values.index(OTHER)]) if OTHER in values else 0.0
            noisy[m.columns[0]] = (count, m.sigma)
    return noisy


def _journey_card(records, summary, varying, legs, decoded, found: Candidates, settings) -> dict:
    """What the data card says about the journey legs."""
    generalised = {}
    if not settings.private:
        ccodes = model.recode(found.codes, found.maps)
        generalised = journeys.generalised(
            summary, found.domain.decode(ccodes)[list(journeys.SUMMARY_COLUMNS)])
    return {
        "input_legs": len(records.legs), "varying": varying, "legs": len(legs),
        "counts": sorted(int(v) for v in set(decoded[journeys.LEG_COUNT])),
        "generalised": generalised,
    }


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


def check_fit(cases: pd.DataFrame, legs: pd.DataFrame | None, fitted: FittedRelease,
              real: pd.DataFrame, real_legs: pd.DataFrame | None = None
              ) -> tuple[ReleaseCheck, list[str]]:
    """The release checker's findings on a fitted release as written (re-read from disk), and
    every problem: its guarantees and fresh ids, a legs table where the release has legs, and
    (without DP) rows or legs reproducing the quasi-identifiers of a record or leg unique in the
    input (`real_legs`: the input's legs, as in CaseRecords.legs)."""
    settings = fitted.settings
    check = check_release(cases, legs if fitted.legs is not None else None,
                          fitted.quasi_identifiers, settings.k, settings.reporting_length,
                          ids=FITTED_IDS, codebook=fitted.codebook)
    problems = check.problems(settings.k)
    if fitted.legs is not None and legs is None:
        problems.append("legs: the release has no legs table")
    if settings.private or check.case_report is None:
        return check, problems
    copied = released_uniques(cases, fitted)  # numbers drawn inside their bins, as released
    if copied:
        problems.append(f"cases: {copied} rows are, in the values released, a record unique "
                        f"in the input on the released columns")
    if fitted.codebook is not None:  # numbers drawn inside their bins are compared as the bins
        cases = fitted.codebook.measured(cases)
    copied = reproduced_uniques(cases, real, fitted.quasi_identifiers)
    if copied:
        problems.append(f"cases: {copied} rows reproduce the quasi-identifiers of a "
                        "record unique in the input")
    if check.leg_report is not None:
        if real_legs is None:
            raise ValueError("checking a release with legs needs the input's legs")
        copied = reproduced_uniques(legs_with_cases(cases, legs),
                                    journeys.leg_rows(real_legs, real, fitted.quasi_identifiers),
                                    leg_quasi_identifiers(fitted.quasi_identifiers))
        if copied:
            problems.append(f"legs: {copied} legs reproduce the quasi-identifiers of a leg "
                            "unique in the input")
    return check, problems


def fit_command(settings: FitSettings, fmt: str, codebook: Codebook | None = None) -> str:
    """The command line that makes a release with these settings. The input is not named: its
    path may say whose records they are, and its hash would tell about them. A user's codebook
    is named as the release ships it."""
    s = settings
    parts = ["tipkit synth fit --data CASES"]
    if codebook is not None and not codebook.builtin:
        parts.append(f"--codebook {SHIPPED}")
    parts += [f"--k {s.k}", f"--seed {s.seed}"]
    if s.quasi_identifiers:
        parts.append(f"--quasi-identifiers {','.join(s.quasi_identifiers)}")
    parts.append(f"--reporting-length {s.reporting_length}")
    if s.private:
        parts.append(f"--epsilon {s.epsilon:g} --delta {s.delta:g}")
    if s.years:
        parts.append(f"--years {s.years[0]}-{s.years[1]}")
    parts += [f"--engine {s.engine}", f"--format {fmt}"]
    return " ".join(parts) + licence_flag(s.licence)


def fit_manifest(fitted: FittedRelease, fmt: str) -> mf.Manifest:
    """What release.json will say, before the values measured on the written files."""
    s, qis, codebook = fitted.settings, fitted.quasi_identifiers, fitted.codebook
    with_legs = fitted.legs is not None
    ctdc = codebook is None or codebook.builtin  # --years is a CTDC file's year range
    settings = mf.Settings(
        k=s.k, quasi_identifiers=tuple(qis), reporting_length=s.reporting_length, seed=s.seed,
        format=fmt, engine=s.engine, epsilon=s.epsilon, delta=s.delta, figures=None,
        codebook=fitted.codebook_file,
        options={"columns": [c for c in fitted.cases.columns if c != CASE_ID],
                 "years": list(s.years or DEFAULT_YEARS) if ctdc and (s.private or s.years)
                 else None,
                 "legs": with_legs,
                 "input_format": fitted.source_format,
                 **licence_option(s.licence)})
    budget = ({key: fitted.budget[key] for key in ("epsilon", "delta", "rho", "rho_spent",
                                                   "mechanism", "measurements", "rounds")}
              if fitted.budget else None)
    promised = mf.Promised(
        k=s.k, quasi_identifiers=tuple(qis),
        leg_quasi_identifiers=leg_quasi_identifiers(qis) if with_legs else None,
        reporting_length=s.reporting_length, published_figures_hold=None,
        input_uniques_excluded=not s.private, differential_privacy=budget,
        impossible_combinations=0 if codebook is not None and codebook.impossible else None,
        released_uniques_excluded=True if fitted.input_values is not None else None,
        codings=_codings(fitted, with_legs))
    return mf.Manifest(mf.FIT, fit_command(s, fmt, codebook), settings, promised)


def fit_fields(fitted: FittedRelease, cases: pd.DataFrame) -> dict[str, FieldSpec]:
    """Each released column's public list for datapackage.json, from the codebook the records
    were read with (the CTDC synthetic codebook when none is named)."""
    codebook = fitted.codebook or builtin_codebook(GLOBAL_SYNTHETIC_CODEBOOK)
    return codebook_fields(codebook, cases)


def fit_about(fitted: FittedRelease, made: mf.Manifest, cases: pd.DataFrame,
              legs: pd.DataFrame | None) -> About:
    """What datapackage.json says about a release from case records: the codebook's name, never
    the input file's (its path may say whose records they are)."""
    name = fitted.codebook.name if fitted.codebook is not None else GLOBAL_SYNTHETIC_CODEBOOK
    origin = f"case records read through the codebook {name} (codebook.yaml)"
    return about_release(made, (len(cases), None if legs is None else len(legs)),
                         f"synthetic-{name}", f"Synthetic case records ({name})", origin,
                         (f"Case records described by the codebook {name}",))


def _codings(fitted: FittedRelease, with_legs: bool) -> dict | None:
    """The coding each promise of a release with binned numbers holds in: the guarantees on
    classes, combinations, input-unique records and impossible rows count numbers in their bins
    (as measured); the exact-value promise counts them as released. None without bins."""
    codebook = fitted.codebook
    columns = [c for c in fitted.cases.columns if c != CASE_ID]
    if codebook is None or not binned_columns(codebook, columns):
        return None
    s = fitted.settings
    codings = {"k": "bins", "reporting_length": "bins"}
    if not s.private:
        codings["input_uniques_excluded"] = "bins"
    if codebook.impossible:
        codings["impossible_combinations"] = "bins"
    if fitted.input_values is not None:
        codings["released_uniques_excluded"] = "released values"
    return codings


def released_uniques(cases: pd.DataFrame, fitted: FittedRelease) -> int | None:
    """Released rows that are, in the values released, a record unique in the input on the
    released columns (None when the release does not promise it: no drawn numbers, or DP)."""
    if fitted.input_values is None:
        return None
    columns = [c for c in cases.columns if c != CASE_ID]
    return reproduced_uniques(cases, fitted.input_values, columns)


def write_fit(fitted: FittedRelease, real: pd.DataFrame, out: Path, fmt: str = "csv",
              force: bool = False, real_legs: pd.DataFrame | None = None, inputs=()) -> Path:
    """Write the release folder atomically, after re-reading it and checking every guarantee,
    sealed with its release.json. `real_legs` (CaseRecords.legs) is needed when the release has
    legs. `inputs`: the files it was made from, which --out must not hold."""
    from tipkit.synth.microdata.datacard import datacard

    made = fit_manifest(fitted, fmt)

    def verify(staging: Path) -> None:
        cases, legs = read_release(staging)
        check, problems = check_fit(cases, legs, fitted, real, real_legs)
        problems += metadata_problems(staging, with_legs=fitted.legs is not None)
        if problems:
            raise UserError(f"release abandoned, a guarantee fails: {problems[0]}")
        measured = replace(mf.measured_on_disk(check),
                           released_uniques=released_uniques(cases, fitted))
        sealed = replace(made, measured=measured)
        write_data_package(staging, fmt, cases, legs, fit_fields(fitted, cases), sealed,
                           fit_about(fitted, sealed, cases, legs))
        mf.write_manifest(staging, sealed)

    extra = {SHIPPED: fitted.codebook_text} if fitted.codebook is not None else None
    if fitted.audit is not None:  # fit --audit: the measured evidence beside the data card
        from tipkit.synth.microdata.evidence import EVIDENCE, evidence_text

        extra = {**(extra or {}), EVIDENCE: evidence_text(fitted.audit)}
    return write_release(out, fitted.cases, fitted.legs, datacard(fitted, made), fmt=fmt,
                         force=force, extra_files=extra, verify=verify,
                         inputs=inputs)
