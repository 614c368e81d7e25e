"""`tipkit synth ...` commands: thin shells over the library functions.

`check` and `generate` work from published figures (tipkit.synth.published); `fit` from case
records (tipkit.synth.microdata); `evaluate` judges any release (tipkit.synth.evaluate).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from tipkit.synth.release.licences import DEFAULT_LICENCE, LICENCES
from tipkit.synth.release.schema import DEFAULT_QUASI_IDENTIFIERS
from tipkit.errors import UserError
from tipkit.outputs import check_out
from tipkit.progress import Progress


def _names(text: str | None) -> tuple[str, ...] | None:
    return tuple(n.strip() for n in text.split(",") if n.strip()) if text else None


def _years(text: str | None) -> tuple[int, int] | None:
    if not text:
        return None
    try:
        first, last = (int(p) for p in text.split("-"))
    except ValueError:
        raise UserError(f"--years must look like 2002-2018 (got {text!r})")
    return first, last


@click.group()
def synth() -> None:
    """Build and check safe synthetic releases of trafficking-case data."""


@synth.command()
@click.argument("figures", type=click.Path(path_type=Path))
@click.option("--relax", is_flag=True,
              help="If the figures contradict each other, use the least adjustment instead of failing.")
def check(figures: Path, relax: bool) -> None:
    """Say whether the published FIGURES can all hold at once.

    Reports the ranges the figures imply together (e.g. the female and adult shares), the
    figures in tension, those that bind, and the solution `generate` will use. Contradictory
    figures are an error naming the smallest set that conflicts, unless --relax.

    \b
    Example:
      tipkit synth check synth/published/iom-2018-border-crossings.yaml
    """
    from tipkit.synth.published.consistency import analyse, report
    from tipkit.synth.published.figures import load_figures
    from tipkit.synth.published.priors import load_priors

    published = load_figures(figures)
    click.echo(report(analyse(published, load_priors(published.priors_path), relax=relax)), nl=False)
    for figure in published.figures:  # every figure should carry both: a reader must check it
        if figure.unsourced:
            click.echo(f"warning: figure {figure.id} has no {' and no '.join(figure.unsourced)}: "
                       "add it to the figure file; the data card marks the figure unsourced",
                       err=True)


@synth.command()
@click.option("--published", "figures", type=click.Path(path_type=Path),
              show_default="the IOM 2018 figures installed with tipkit",
              help="The published-figures YAML file.")
@click.option("--cases", type=int, default=8000, show_default=True, help="Synthetic victims to release.")
@click.option("--k", type=int, default=11, show_default=True,
              help="Every combination of values is shared by at least k records.")
@click.option("--seed", type=int, default=7, show_default=True, help="Same inputs and seed, same bytes.")
@click.option("--out", type=click.Path(path_type=Path), required=True, help="Release folder to write.")
@click.option("--quasi-identifiers", default=",".join(DEFAULT_QUASI_IDENTIFIERS), show_default=True,
              help="Comma-separated case columns an attacker may know.")
@click.option("--reporting-length", type=int, default=3, show_default=True,
              help="No combination of up to this many values occurs in fewer than k rows.")
@click.option("--format", "fmt", type=click.Choice(["csv", "parquet"]), default="csv", show_default=True)
@click.option("--relax", is_flag=True, help="Accept the least adjustment of contradictory figures.")
@click.option("--force", is_flag=True, help="Replace an existing output folder.")
@click.option("--licence", default=DEFAULT_LICENCE, show_default=True,
              type=click.Choice(list(LICENCES)),
              help="The licence datapackage.json and dataset.jsonld state (SPDX id).")
def generate(figures, cases, k, seed, out, quasi_identifiers, reporting_length, fmt, relax, force,
             licence):
    """Write a k-anonymous synthetic release (cases, journey legs, SDV metadata, data card)
    that reproduces published figures exactly.

    \b
    Example:
      tipkit synth generate --published synth/published/iom-2018-border-crossings.yaml \\
          --cases 8000 --k 11 --seed 7 --out releases/iom-2018
    """
    from tipkit.synth.published import default_figures
    from tipkit.synth.published.generate import STAGES, Request, generate as build

    request = Request(figures or default_figures(), cases, k, seed, _names(quasi_identifiers) or (),
                      reporting_length, relax, fmt, licence)
    request.validate()
    if not sys.stderr.isatty():  # progress is for people watching; logs and pipes get the result only
        release = build(request, out, force=force)
    else:
        with Progress(len(STAGES), "Building the release", show_eta=False) as bar:
            release = build(request, out, force=force, progress=lambda stage: bar.advance(1, stage))
    m = release.manifest.measured
    constraining = [fv for fv in release.measured.figure_values if fv.figure.definition.constrains]
    held, shares = sum(fv.holds() for fv in constraining), len(constraining)
    click.echo(f"Wrote {out}: {m.cases.rows:,} cases, {m.legs.rows:,} legs, {release.profiles:,} profiles; "
               f"{held}/{shares} figures inside their intervals; smallest class {m.cases.smallest_class} "
               f"(k={k}); checked on disk. See {out}/datacard.md")


@synth.command()
@click.option("--data", "data", required=True, type=click.Path(path_type=Path),
              help="Case records: CTDC Global Dataset, CTDC Global Synthetic or tipkit CSV/Parquet; "
              "a release folder, or a cases file with legs.csv beside it, adds journey legs.")
@click.option("--out", required=True, type=click.Path(path_type=Path), help="Release folder to write.")
@click.option("--k", default=11, show_default=True, help="Smallest class size on the quasi-identifiers.")
@click.option("--seed", default=0, show_default=True, help="Same data and seed, same release.")
@click.option("--columns", help="Comma-separated columns to release (default: all).")
@click.option("--quasi-identifiers", help="Comma-separated quasi-identifiers "
              "(default: gender, ageBroad, citizenship, CountryOfExploitation, yearOfRegistration).")
@click.option("--reporting-length", default=3, show_default=True,
              help="No combination of up to this many values is rarer than k.")
@click.option("--epsilon", type=float,
              help="Differential privacy: the budget epsilon. One whose noise swamps every count "
                   "is refused, naming the smallest that works for the data.")
@click.option("--delta", type=float, help="Differential privacy: delta (below 1/number of records).")
@click.option("--years", help="Public year range FIRST-LAST (default 2000-2030 under --epsilon).")
@click.option("--engine", default="marginals", show_default=True,
              type=click.Choice(["marginals", "sdv-copula", "sdv-ctgan"]),
              help="The model: marginals (default) or an SDV synthesizer (non-private).")
@click.option("--format", "fmt", default="csv", show_default=True,
              type=click.Choice(["csv", "parquet"]))
@click.option("--no-legs", is_flag=True,
              help="Release the cases only, even if the input has journey legs.")
@click.option("--codebook", "codebook_path", type=click.Path(path_type=Path),
              help="A codebook (YAML) describing your table: columns, values, missing codes, "
              "ranges and bins, quasi-identifiers, impossible combinations. Default: the CTDC "
              "formats' built-in codebooks. Draft one with `tipkit synth codebook`.")
@click.option("--audit", is_flag=True,
              help="Measure privacy evidence for the data card: attacks (singling out, "
              "linkability, inference) on a release fitted to half of the records, the other "
              "half as control; with --epsilon, also the one-run DP audit (slower).")
@click.option("--force", is_flag=True, help="Replace an existing release folder.")
@click.option("--licence", default=DEFAULT_LICENCE, show_default=True,
              type=click.Choice(list(LICENCES)),
              help="The licence datapackage.json and dataset.jsonld state (SPDX id).")
def fit(data, out, k, seed, columns, quasi_identifiers, reporting_length, epsilon, delta, years,
        engine, fmt, no_legs, codebook_path, audit, force, licence):
    """Fit a safe synthetic release to case records.

    \b
    Examples:
      tipkit synth fit --data cases.csv --k 11 --epsilon 4 --delta 1e-6 --seed 7 \\
          --out releases/agency-dp
      tipkit synth fit --data referrals.csv --codebook codebook.yaml --k 11 \\
          --epsilon 1 --delta 1e-6 --seed 7 --out releases/nrm-dp
      tipkit synth fit --data cases.csv --epsilon 1 --delta 1e-6 --audit --out releases/dp
    """
    from tipkit.synth.microdata.codebook import DEFAULT_YEARS, load_codebook
    from tipkit.synth.microdata.journeys import read_input
    from tipkit.synth.microdata.fit import FitSettings, fit_release, write_fit

    if seed < 0:
        raise UserError(f"--seed must be 0 or more (got {seed})")
    inputs = [p for p in (data, codebook_path) if p is not None]
    check_out(out, force=force, inputs=inputs)  # before reading: a bad --out is a bad flag
    settings = FitSettings(k=k, quasi_identifiers=_names(quasi_identifiers),
                           reporting_length=reporting_length, epsilon=epsilon, delta=delta,
                           years=_years(years), engine=engine, seed=seed, licence=licence)
    if settings.private and not 0 < epsilon < float("inf"):  # before reading: a bad flag
        raise UserError(f"--epsilon must be a number greater than 0 (got {epsilon})")
    codebook = load_codebook(codebook_path) if codebook_path else None
    # A CTDC file's year range under DP is public only when fixed: 2000-2030 unless --years.
    read_years = settings.years or (DEFAULT_YEARS if settings.private and not codebook else None)
    records = read_input(data, _names(columns), read_years, legs=not no_legs, codebook=codebook)
    for name, values in records.out_of_domain.items():  # counts only: never a value of a case
        click.echo(f"warning: {name}: {sum(values.values())} values outside its public list "
                   f"read as Other", err=True)
    fitted = fit_release(records, settings)
    if audit:
        from tipkit.synth.microdata.evidence import fit_evidence

        if not sys.stderr.isatty():  # progress is for people watching
            fitted.audit = fit_evidence(records, settings)
        else:
            stages = 3 if settings.private else 2
            with Progress(stages, "Measuring privacy evidence", show_eta=False) as bar:
                fitted.audit = fit_evidence(records, settings,
                                            progress=lambda stage: bar.advance(1, stage))
    write_fit(fitted, records.table, out, fmt=fmt, force=force, real_legs=records.legs,
              inputs=inputs)
    from tipkit.synth.microdata.fit import missing_rules_warning

    warning = missing_rules_warning(records.codebook, records.table.columns)
    if warning:  # after the release: a refusal stays one line
        click.echo(warning, err=True)
    legs = f", {len(fitted.legs)} legs" if fitted.legs is not None else ""
    click.echo(f"wrote {out}: {len(fitted.cases)} cases{legs}, k={k}"
               + (f", epsilon={epsilon:g}, delta={delta:g}" if settings.private else "")
               + f"; codebook {fitted.codebook.name}")


@synth.command()
@click.option("--data", "data", required=True, type=click.Path(path_type=Path),
              help="Your case records (CSV or Parquet).")
@click.option("--out", required=True, type=click.Path(path_type=Path),
              help="The codebook (YAML) to write, for you to review.")
@click.option("--columns", help="Comma-separated columns to describe (default: all).")
@click.option("--dictionary", type=click.Path(path_type=Path),
              help="Your data dictionary (SDNist's JSON, or a CSV of column, value, "
              "description): its lists and ranges are used, and the impossible combinations its "
              "words state (a value \"N/A (age less than 15 years)\") are drafted for review.")
@click.option("--force", is_flag=True, help="Replace an existing file.")
def codebook(data, out, columns, dictionary, force):
    """Draft a codebook for your table, to review before `fit --codebook`.

    Every value list, range and bin the draft takes from the data itself is marked
    `public: false` (it would reveal who is in the data): `fit --epsilon` refuses such a
    column until you replace or confirm the list and set `public: true`. Columns that a CTDC
    format describes keep its public lists. The draft holds values from your data: do not
    publish it as it is.

    \b
    Example:
      tipkit synth codebook --data cases.csv --out codebook.yaml
      tipkit synth codebook --data national2019.csv --dictionary data_dictionary.json \\
          --out codebook.yaml
    """
    from tipkit.outputs import staged_files
    from tipkit.synth.microdata.draft import draft_codebook

    if Path(out).suffix.lower() not in (".yaml", ".yml"):
        raise UserError(f"--out {out}: a codebook is a YAML file (name it codebook.yaml)")
    inputs = [p for p in (data, dictionary) if p is not None]
    check_out(out, force=force, inputs=inputs, kind="file")  # before reading the data
    entries = None
    if dictionary is not None:
        from tipkit.synth.microdata.dictionary import read_dictionary

        entries = read_dictionary(dictionary)
    draft = draft_codebook(data, _names(columns), entries)
    with staged_files(out, force=force, inputs=inputs) as (staged,):
        staged.write_text(draft.text, encoding="utf-8")
    for line in draft.summary:
        click.echo(line)
    click.echo(f"wrote {out}: review it (the lists marked public: false come from the data), "
               "then: tipkit synth fit --data ... --codebook " + str(out))


@synth.command()
@click.option("--real", required=True, type=click.Path(path_type=Path),
              help="The case records the release was made from.")
@click.option("--release", "release", required=True, type=click.Path(path_type=Path),
              help="A release folder (cases.csv or cases.parquet).")
@click.option("--out", required=True, type=click.Path(path_type=Path),
              help="The HTML report; the JSON with the same numbers goes beside it.")
@click.option("--k", type=int, help="The smallest class size to judge by (default: the k the "
              "release's release.json promises).")
@click.option("--quasi-identifiers", help="Comma-separated (default: those the release's "
              "release.json names; without one, its codebook's or the standard five present).")
@click.option("--sensitive", help="Column for l-diversity (default: isSexualExploit if released).")
@click.option("--holdout", type=click.Path(path_type=Path),
              help="Records not used for the release: the baseline of distance to closest record, "
              "and the control of the attacks.")
@click.option("--attacks", type=int, help="With --holdout: tries of each attack (singling "
              "out, linkability, inference; default 2000; 0: no attacks).")
@click.option("--no-sdmetrics", is_flag=True, help="Skip the SDMetrics reports (faster).")
@click.option("--codebook", "codebook_path", type=click.Path(path_type=Path),
              help="The codebook to read the real records with (default: the one the release's "
              "release.json records, as its codebook.yaml ships it; give your own when the "
              "shipped copy was cut to released values).")
@click.option("--force", is_flag=True, help="Replace an existing report (HTML and JSON).")
def evaluate(real, release, out, k, quasi_identifiers, sensitive, holdout, attacks,
             no_sdmetrics, codebook_path, force):
    """Judge a release against the real records: fidelity, privacy, cost of protection.

    \b
    Example:
      tipkit synth evaluate --real cases.csv --release releases/agency-dp --out evaluation.html
    """
    from tipkit.synth.evaluate.evaluation import (evaluate_release, evaluation_paths,
                                                  write_evaluation)

    if k is not None and k < 2:
        raise UserError(f"--k must be at least 2 (got {k})")
    if attacks is not None and attacks < 0:
        raise UserError(f"--attacks must be 0 or more (got {attacks})")
    if attacks and holdout is None:
        raise UserError("--attacks needs --holdout: real records the release never saw, "
                        "the attacks' control")
    inputs = [p for p in (real, release, holdout, codebook_path) if p is not None]
    for path in evaluation_paths(out):  # before the work: a bad --out is a bad flag
        check_out(path, force=force, inputs=inputs, kind="file")
    result = evaluate_release(real, release, k=k, quasi_identifiers=_names(quasi_identifiers),
                              sensitive=sensitive, holdout=holdout, sdmetrics=not no_sdmetrics,
                              codebook_path=codebook_path, attacks=attacks)
    html, data = write_evaluation(result, out, force=force, inputs=inputs)
    click.echo(f"wrote {html} and {data}")


@synth.command()
@click.option("--data", "data", required=True, type=click.Path(path_type=Path),
              help="Case records, as `fit --data` reads them (journey legs are left out).")
@click.option("--epsilon", type=float, help="The epsilon the release claims (required).")
@click.option("--delta", type=float, help="The delta it claims (below 1/number of records).")
@click.option("--k", default=11, show_default=True, help="As `fit --k`.")
@click.option("--seed", default=0, show_default=True,
              help="Seed of the fit and of the canaries and their coins.")
@click.option("--columns", help="Comma-separated columns, as `fit --columns`.")
@click.option("--quasi-identifiers", help="As `fit --quasi-identifiers`.")
@click.option("--years", help="Public year range FIRST-LAST (default 2000-2030).")
@click.option("--codebook", "codebook_path", type=click.Path(path_type=Path),
              help="The codebook, as `fit --codebook`.")
@click.option("--canaries", default=1000, show_default=True,
              help="Made-up records, each added with probability 1/2 (more canaries can show "
                   "a larger bound).")
@click.option("--out", type=click.Path(path_type=Path),
              help="Also write the audit as JSON to this file.")
@click.option("--force", is_flag=True, help="Replace an existing --out file.")
def audit(data, epsilon, delta, k, seed, columns, quasi_identifiers, years, codebook_path,
          canaries, out, force):
    """Audit the differential privacy of `fit --epsilon` on your records, in one run.

    Adds made-up canary records, each with probability 1/2, fits once, and guesses which were
    in, from the mechanism's own noisy tables (white box) and from the release (black box):
    the number of right guesses proves, at 95% confidence, that epsilon is at least a bound
    (Steinke, Nasr and Jagielski 2023). Both bounds must stay below the epsilon claimed.

    \b
    Example:
      tipkit synth audit --data cases.csv --epsilon 1 --delta 1e-6 --out audit.json
    """
    import json

    from tipkit.outputs import staged_files
    from tipkit.synth.microdata.audit import run_audit
    from tipkit.synth.microdata.codebook import DEFAULT_YEARS, load_codebook
    from tipkit.synth.microdata.fit import FitSettings
    from tipkit.synth.microdata.journeys import read_input

    if epsilon is None:
        raise UserError("--epsilon is required: the audit checks the epsilon a release claims")
    if not 0 < epsilon < float("inf"):
        raise UserError(f"--epsilon must be a number greater than 0 (got {epsilon})")
    if canaries < 100:
        raise UserError(f"--canaries must be at least 100 (got {canaries})")
    inputs = [p for p in (data, codebook_path) if p is not None]
    if out is not None:
        check_out(out, force=force, inputs=inputs, kind="file")
    settings = FitSettings(k=k, quasi_identifiers=_names(quasi_identifiers), epsilon=epsilon,
                           delta=delta, years=_years(years), seed=seed)
    codebook = load_codebook(codebook_path) if codebook_path else None
    records = read_input(data, _names(columns), settings.years or (None if codebook
                                                                    else DEFAULT_YEARS),
                         legs=False, codebook=codebook)
    found = run_audit(records, settings, canaries=canaries)
    for line in found.record()["sentences"]:
        click.echo(line)
    click.echo(f"({found.canaries} canaries, {found.included} added; {found.seconds:.1f} s)")
    if out is not None:
        with staged_files(out, force=force, inputs=inputs) as (staged,):
            staged.write_text(json.dumps(found.record(), indent=2, sort_keys=True) + "\n",
                              encoding="utf-8")
        click.echo(f"wrote {out}")
