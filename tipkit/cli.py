"""The `tipkit` command: one click group that composes each package's own command group."""

import sys

import click

from tipkit import __version__
from tipkit.errors import UserError
from tipkit.synth.cli import synth
from tipkit.sim.cli import sim
from tipkit.app.cli import app


class _Tipkit(click.Group):
    """Turns a UserError raised anywhere below into one line on stderr and exit status 2."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except UserError as error:
            click.echo(f"Error: {error}", err=True)
            sys.exit(2)


@click.group(cls=_Tipkit, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="tipkit")
def main() -> None:
    """Safe synthetic trafficking-case data (tipkit synth) and border-screening
    what-if simulation (tipkit sim).

    \b
    Quick start:
      tipkit synth check synth/published/iom-2018-border-crossings.yaml
      tipkit synth generate --published synth/published/iom-2018-border-crossings.yaml \\
          --cases 8000 --k 11 --seed 7 --out releases/iom-2018
      tipkit sim run scenarios/airport-baseline.yaml --replications 30 --seed 1 --out runs/airport
    """


main.add_command(synth)
main.add_command(sim)
main.add_command(app)
