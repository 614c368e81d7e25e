"""`tipkit synth fit` and `tipkit synth evaluate`: thin shells over synth.microdata and synth.evaluate."""

from __future__ import annotations

from pathlib import Path

import click

from tipkit.errors import UserError


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


@click.command()
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
@click.option("--epsilon", type=float, help="Differential privacy: the budget epsilon.")
@click.option("--delta", type=float, help="Differential privacy: delta (below 1/number of records).")
@click.option("--years", help="Public year range FIRST-LAST (default 2000-2030 under --epsilon).")
@click.option("--engine", default="marginals", show_default=True,
              type=click.Choice(["marginals", "sdv-copula", "sdv-ctgan"]),
              help="The model: marginals (default) or an SDV synthesizer (non-private).")
@click.option("--format", "fmt", default="csv", show_default=True,
              type=click.Choice(["csv", "parquet"]))
@click.option("--no-legs", is_flag=True,
              help="Release the cases only, even if the input has journey legs.")
@click.option("--force", is_flag=True, help="Replace an existing release folder.")
def fit(data, out, k, seed, columns, quasi_identifiers, reporting_length, epsilon, delta, years,
        engine, fmt, no_legs, force):
    """Fit a safe synthetic release to case records.

    \b
    Example:
      tipkit synth fit --data cases.csv --k 11 --epsilon 4 --delta 1e-6 --seed 7 \\
          --out releases/agency-dp
    """
    from synth.journeys import read_input
    from synth.microdata import FitSettings, fit_release, write_fit

    if Path(out).exists() and not force:
        raise UserError(f"output folder {out} already exists (use --force to replace it)")
    settings = FitSettings(k=k, quasi_identifiers=_names(quasi_identifiers),
                           reporting_length=reporting_length, epsilon=epsilon, delta=delta,
                           years=_years(years), engine=engine, seed=seed)
    if settings.private and not epsilon > 0:  # before reading: a bad budget is a bad flag
        raise UserError(f"--epsilon must be greater than 0 (got {epsilon})")
    records = read_input(data, _names(columns), settings.years or
                         ((2000, 2030) if settings.private else None), legs=not no_legs)
    for name, values in records.out_of_domain.items():
        shown = ", ".join(f"{v} ({n})" for v, n in sorted(values.items())[:5])
        click.echo(f"warning: {name}: values outside its public list read as Other: {shown}",
                   err=True)
    fitted = fit_release(records, settings)
    write_fit(fitted, records.table, out, fmt=fmt, force=force, real_legs=records.legs)
    legs = f", {len(fitted.legs)} legs" if fitted.legs is not None else ""
    click.echo(f"wrote {out}: {len(fitted.cases)} cases{legs}, k={k}"
               + (f", epsilon={epsilon:g}, delta={delta:g}" if settings.private else ""))


@click.command()
@click.option("--real", required=True, type=click.Path(path_type=Path),
              help="The case records the release was made from.")
@click.option("--release", "release", required=True, type=click.Path(path_type=Path),
              help="A release folder (cases.csv or cases.parquet).")
@click.option("--out", required=True, type=click.Path(path_type=Path),
              help="The HTML report; the JSON with the same numbers goes beside it.")
@click.option("--k", default=11, show_default=True)
@click.option("--quasi-identifiers", help="Comma-separated (default: the standard five present).")
@click.option("--sensitive", help="Column for l-diversity (default: isSexualExploit if released).")
@click.option("--holdout", type=click.Path(path_type=Path),
              help="Records not used for the release: the baseline of distance to closest record.")
@click.option("--no-sdmetrics", is_flag=True, help="Skip the SDMetrics reports (faster).")
def evaluate(real, release, out, k, quasi_identifiers, sensitive, holdout, no_sdmetrics):
    """Judge a release against the real records: fidelity, privacy, cost of protection.

    \b
    Example:
      tipkit synth evaluate --real cases.csv --release releases/agency-dp --out evaluation.html
    """
    from synth.evaluate import evaluate_release, write_evaluation

    result = evaluate_release(real, release, k=k, quasi_identifiers=_names(quasi_identifiers),
                              sensitive=sensitive, holdout=holdout, sdmetrics=not no_sdmetrics)
    html, data = write_evaluation(result, out)
    click.echo(f"wrote {html} and {data}")
