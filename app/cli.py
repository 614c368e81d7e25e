"""`tipkit app`: start the local web app (a Streamlit server) on this machine only, unless asked
otherwise; the first start builds the default release if the releases folder lacks it."""

from __future__ import annotations

import errno
import ipaddress
import os
import socket
import sys
import tomllib
from pathlib import Path

import click

from tipkit.errors import UserError

DEFAULT_PORT = 8501          # Streamlit's own default, when it is free
MAIN_SCRIPT = Path(__file__).resolve().parent / "screens" / "app_main.py"


def port_is_free(host: str, port: int) -> bool:
    with socket.socket(_family(host), socket.SOCK_STREAM) as probe:
        # as the server will: connections closing on the port (TIME_WAIT) do not block it
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def choose_port(host: str, requested: int | None) -> int:
    """The port asked for (which must be free), else 8501 if free, else one the system gives."""
    if requested is not None:
        if not port_is_free(host, requested):
            raise UserError(f"port {requested} on {host} is in use: choose another with --port")
        return requested
    if port_is_free(host, DEFAULT_PORT):
        return DEFAULT_PORT
    with socket.socket(_family(host), socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def streamlit_command(host: str, port: int) -> list[str]:
    """The server's command line. Streamlit is told never to phone home, never to open a
    browser itself, not to watch files, and never to show a stack trace in the page."""
    return [sys.executable, "-m", "streamlit", "run", str(MAIN_SCRIPT),
            "--server.address", host, "--server.port", str(port),
            "--server.headless", "true", "--browser.gatherUsageStats", "false",
            "--browser.serverAddress", host, "--browser.serverPort", str(port),
            "--server.fileWatcherType", "none", "--server.runOnSave", "false",
            "--client.showErrorDetails", "none", "--client.toolbarMode", "minimal",
            "--theme.base", "light", "--global.developmentMode", "false"]


def secrets_files() -> list[Path]:
    """Where Streamlit reads secrets.toml by default: the user's, then the project's (the folder
    the app is started from), the later winning."""
    return [Path.home() / ".streamlit" / "secrets.toml",
            Path.cwd() / ".streamlit" / "secrets.toml"]


def login_file(files: list[Path] | None = None) -> Path | None:
    """The secrets.toml holding an `[auth]` section (Streamlit's st.login), if any; a file that
    is not TOML, or a login Streamlit cannot run without Authlib, is a one-line error."""
    found = None
    for path in secrets_files() if files is None else files:
        if not path.is_file():
            continue
        try:
            secrets = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
            raise UserError(f"{path}: not valid TOML ({error})") from None
        if "auth" in secrets:
            found = path
    if found is not None:
        try:
            from streamlit.auth_util import is_authlib_installed
        except ImportError:          # pragma: no cover - an older Streamlit has no st.login
            raise UserError(f"the login in {found} needs Streamlit 1.42 or later") from None
        if not is_authlib_installed():
            raise UserError(f"{found} configures a login ([auth]), and Streamlit's st.login "
                            "needs Authlib: pip install 'Authlib>=1.3.2'")
    return found


def exposure_warning(host: str, login: Path | None) -> str | None:
    """One line when the app listens beyond this machine: who can reach it, and the login."""
    try:
        if ipaddress.ip_address(host.strip("[]")).is_loopback:
            return None
    except ValueError:
        if host == "localhost":
            return None
    if host in ("0.0.0.0", "::"):
        who = f"--host {host} lets anyone on your network in"
    else:
        who = f"--host {host} lets anyone who can reach that address in"
    if login is not None:
        return (f"Warning: {who}; every page asks them to log in first (Streamlit's st.login, "
                f"configured in {login}).")
    return (f"Warning: {who}, with no login: to require one, configure Streamlit's st.login "
            "in .streamlit/secrets.toml ([auth], see docs/app.md).")


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. The default serves this machine only; 0.0.0.0 "
                   "would let anyone on your network use the app.")
@click.option("--port", type=click.IntRange(1, 65535), default=None,
              help=f"Port to listen on. Default: {DEFAULT_PORT} if free, else any free port.")
@click.option("--releases", "releases", type=click.Path(file_okay=False, path_type=Path),
              default=Path("releases"), show_default=True,
              help="Folder of releases to list; the default release is built in it on first "
                   "start if absent, and new releases are written to it.")
@click.option("--scenarios", "scenarios", type=click.Path(file_okay=False, path_type=Path),
              default=Path("scenarios"), show_default=True,
              help="Folder of scenario files to choose the base scenario from.")
@click.option("--jobs", type=click.IntRange(1), default=None,
              help="Local processes a run may use. Default: all cores.")
@click.option("--runs-at-once", type=click.IntRange(1), default=1, show_default=True,
              help="Runs the whole server does at once; the others wait in one queue, each "
                   "session seeing its place and the time to start.")
@click.option("--per-session", type=click.IntRange(1), default=2, show_default=True,
              help="Runs one browser session may have waiting or running.")
@click.option("--cache", "cache", type=click.Path(file_okay=False, path_type=Path),
              default=Path(".tipkit-cache") / "app", show_default=True,
              help="Folder of finished runs: the same request (scenarios, settings, seed) is "
                   "answered from it at once, also after a restart.")
def app(host, port, releases, scenarios, jobs, runs_at_once, per_session, cache):
    """Start the web app: a what-if explorer of the border simulation and a browser of the
    synthetic releases, with downloads. Open the address it prints in your browser.

    \b
    Example:
      tipkit app                 # http://127.0.0.1:8501
      tipkit app --port 8600 --releases releases --scenarios scenarios
      tipkit app --host 0.0.0.0  # for colleagues: see docs/app.md on login
    """
    from tipkit.app.releases import DEFAULT_RELEASE, ensure_default_release
    from tipkit.app.settings import PUBLISHED_FOLDER, Settings

    try:
        import streamlit  # noqa: F401 - fail here with one line, not in the server
    except ImportError:
        raise UserError("the app needs streamlit: pip install -e . (it is a dependency of "
                        "tipkit)") from None
    settings = Settings(releases.resolve(), scenarios.resolve(), PUBLISHED_FOLDER, jobs,
                        runs_at_once, per_session, cache.resolve())
    warning = exposure_warning(host, login_file())
    if warning:
        click.secho(warning, fg="yellow", err=True)
    if not scenarios.is_dir():
        click.secho(f"Warning: no scenarios folder at {scenarios}: the what-if explorer "
                    "needs one (--scenarios)", fg="yellow", err=True)
    chosen = choose_port(host, port)
    if not (releases / DEFAULT_RELEASE).exists():
        click.echo(f"First start: building the default release {releases / DEFAULT_RELEASE} "
                   "(a few seconds)...", err=True)
        ensure_default_release(releases, PUBLISHED_FOLDER)
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"tipkit app: open http://{shown}:{chosen} in your browser (Ctrl+C stops it)",
               err=True)
    command = streamlit_command(host, chosen)
    # the server takes this process's place, so stopping this process stops the server
    try:
        os.execve(command[0], command, {**os.environ, **settings.environment()})
    except OSError as error:
        raise UserError(f"cannot start the app server: {os.strerror(error.errno or errno.EIO)}"
                        ) from None


def _family(host: str) -> int:
    return socket.AF_INET6 if ":" in host else socket.AF_INET
