"""`tipkit synth ...` commands: thin shells over the library functions."""

import sys
from pathlib import Path

import click

from synth.schema import DEFAULT_QUASI_IDENTIFIERS
from tipkit.errors import UserError

DEFAULT_FIGURES = "synth/published/iom-2018-border-crossings.yaml"


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
    from synth.consistency import analyse, report
    from synth.figures import load_figures
    from synth.priors import load_priors

    published = load_figures(figures)
    click.echo(report(analyse(published, load_priors(published.priors_path), relax=relax)), nl=False)


def _quasi_identifiers(text: str) -> tuple[str, ...]:
    return tuple(c.strip() for c in text.split(",") if c.strip())


@synth.command()
@click.option("--published", "figures", default=DEFAULT_FIGURES, show_default=True,
              type=click.Path(path_type=Path), help="The published-figures YAML file.")
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
def generate(figures, cases, k, seed, out, quasi_identifiers, reporting_length, fmt, relax, force):
    """Write a k-anonymous synthetic release (cases, journey legs, SDV metadata, data card)
    that reproduces published figures exactly.

    \b
    Example:
      tipkit synth generate --published synth/published/iom-2018-border-crossings.yaml \\
          --cases 8000 --k 11 --seed 7 --out releases/iom-2018
    """
    from synth.generate import STAGES, Request, generate as build

    request = Request(figures, cases, k, seed, _quasi_identifiers(quasi_identifiers),
                      reporting_length, relax, fmt)
    request.validate()
    if out.exists() and not force:
        raise UserError(f"output folder {out} already exists (use --force to replace it)")
    if not sys.stderr.isatty():  # progress is for people watching; logs and pipes get the result only
        release = build(request, out, force=force)
    else:
        with click.progressbar(length=len(STAGES), label="Building the release", show_eta=False,
                               item_show_func=lambda stage: stage, file=sys.stderr) as bar:
            release = build(request, out, force=force, progress=lambda stage: bar.update(1, stage))
    m = release.measured
    held = sum(fv.holds() for fv in m.figure_values if fv.figure.kind == "share")
    shares = sum(1 for fv in m.figure_values if fv.figure.kind == "share")
    click.echo(f"Wrote {out}: {m.cases:,} cases, {m.legs:,} legs, {release.profiles:,} profiles; "
               f"{held}/{shares} figures inside their intervals; smallest class {m.case_report.smallest_class} "
               f"(k={k}); checked on disk. See {out}/datacard.md")


from synth.microdata_cli import evaluate, fit  # noqa: E402

synth.add_command(fit)
synth.add_command(evaluate)
