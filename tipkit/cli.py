"""The `tipkit` command: one click group that composes each package's own command group."""

import signal
import sys

import click

from tipkit import __version__
from tipkit.errors import UserError
from tipkit.outputs import filesystem_error
from tipkit.synth.cli import synth
from tipkit.sim.cli import sim
from tipkit.app.cli import app


class Stopped(BaseException):
    """SIGTERM, raised where the program is, so that every cleanup runs as for Ctrl-C."""


def _stop(signum, frame) -> None:
    raise Stopped()


def _interrupt(signum, frame) -> None:
    # Raised from Python, not by signal.default_int_handler: pandas' C CSV reader turns the
    # built-in handler's KeyboardInterrupt into a ParserError ("not a readable CSV table"),
    # while this one comes through (tests/test_signals.py stops `synth codebook` mid-read).
    raise KeyboardInterrupt


class _Tipkit(click.Group):
    """Turns a UserError (or a filesystem error) raised anywhere below into one line on stderr
    and exit status 2, and Ctrl-C or SIGTERM into a clean stop: workers ended, temporary files
    removed, exit status 130 or 143."""

    def invoke(self, ctx: click.Context):
        # Ctrl-C stops us even when started where SIGINT was ignored (a shell's `&`), since
        # `kill -INT` is how scripts and schedulers ask for a clean stop
        previous = (signal.signal(signal.SIGTERM, _stop),
                    signal.signal(signal.SIGINT, _interrupt))
        try:
            return super().invoke(ctx)
        except UserError as error:
            click.echo(f"Error: {error}", err=True)
            sys.exit(2)
        except OSError as error:
            if error.filename is None:  # not about a file: a bug, shown as one
                raise
            click.echo(f"Error: {filesystem_error(error)}", err=True)
            sys.exit(2)
        except KeyboardInterrupt:
            click.echo("\nStopped (Ctrl-C): nothing was written.", err=True)
            sys.exit(128 + signal.SIGINT)
        except Stopped:
            click.echo("\nStopped (SIGTERM): nothing was written.", err=True)
            sys.exit(128 + signal.SIGTERM)
        finally:  # the handlers are the command's, not those of whoever called it (tests)
            signal.signal(signal.SIGTERM, previous[0])
            signal.signal(signal.SIGINT, previous[1])


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
