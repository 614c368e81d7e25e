"""Serving a team: `tipkit app --host 0.0.0.0` says in one line who can reach the app and
whether a login guards it; with Streamlit's login configured ([auth] in secrets.toml) every
page asks for it first; the server gets the queue's settings."""

from pathlib import Path

import pytest
from click.testing import CliRunner
from streamlit.testing.v1 import AppTest

from test_app_pages import folders  # noqa: F401 (a fixture)
from tipkit.app import cli, settings
from tipkit.cli import main
from tipkit.errors import UserError

ROOT = Path(__file__).resolve().parents[1]
MAIN = ROOT / "app" / "screens" / "app_main.py"
AUTH = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "x" * 32,
        "client_id": "tipkit", "client_secret": "s",
        "server_metadata_url": "https://id.example.org/.well-known/openid-configuration"}


@pytest.fixture
def started(monkeypatch, tmp_path):
    """`tipkit app` up to the server's start: the command line and environment it would run."""
    seen = {}

    def execve(path, command, env):
        seen.update(command=command, env=env)
    monkeypatch.setattr(cli.os, "execve", execve)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(cli, "secrets_files", lambda: [tmp_path / ".streamlit" / "secrets.toml"])
    release = tmp_path / "releases" / "iom-2018"
    release.parent.mkdir()
    release.symlink_to(ROOT / "releases" / "iom-2018")
    return seen


def _secrets(folder: Path, text: str) -> Path:
    path = folder / ".streamlit" / "secrets.toml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(text)
    return path


def test_listening_on_every_address_warns_in_one_line_and_says_there_is_no_login(started):
    result = CliRunner().invoke(main, ["app", "--host", "0.0.0.0", "--port", "8761",
                                       "--scenarios", str(ROOT / "scenarios")])
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.output.splitlines() if line.startswith("Warning")]
    assert warnings == ["Warning: --host 0.0.0.0 lets anyone on your network in, with no "
                        "login: to require one, configure Streamlit's st.login in "
                        ".streamlit/secrets.toml ([auth], see docs/app.md)."]
    command = started["command"]
    assert command[command.index("--server.address") + 1] == "0.0.0.0"


def test_the_default_host_stays_quiet_and_the_server_gets_the_queue_settings(started, tmp_path):
    result = CliRunner().invoke(main, ["app", "--port", "8762", "--runs-at-once", "2",
                                       "--per-session", "3", "--cache", "shared-cache",
                                       "--scenarios", str(ROOT / "scenarios")])
    assert result.exit_code == 0, result.output
    assert "Warning" not in result.output
    env = started["env"]
    assert env[settings.RUNS_AT_ONCE] == "2" and env[settings.PER_SESSION] == "3"
    assert env[settings.CACHE] == str(tmp_path / "shared-cache")
    command = started["command"]
    assert command[command.index("--server.address") + 1] == "127.0.0.1"


def test_the_warning_names_the_login_when_one_is_configured(tmp_path, monkeypatch):
    path = _secrets(tmp_path, "[auth]\nredirect_uri = 'x'\n")
    monkeypatch.setattr("streamlit.auth_util.is_authlib_installed", lambda: True)
    assert cli.login_file([path]) == path
    assert cli.exposure_warning("0.0.0.0", path) == (
        f"Warning: --host 0.0.0.0 lets anyone on your network in; every page asks them to "
        f"log in first (Streamlit's st.login, configured in {path}).")
    assert cli.exposure_warning("127.0.0.1", path) is None
    assert cli.exposure_warning("localhost", None) is None
    assert cli.exposure_warning("::1", None) is None
    assert cli.exposure_warning("192.168.1.20", None).startswith(
        "Warning: --host 192.168.1.20 lets anyone who can reach that address in")


def test_a_login_streamlit_cannot_run_or_a_broken_secrets_file_is_one_line(tmp_path,
                                                                           monkeypatch):
    monkeypatch.setattr("streamlit.auth_util.is_authlib_installed", lambda: False)
    path = _secrets(tmp_path, "[auth]\nredirect_uri = 'x'\n")
    with pytest.raises(UserError, match=r"configures a login \(\[auth\]\), and Streamlit's "
                                        r"st.login needs Authlib: pip install"):
        cli.login_file([path])
    path.write_text("[auth\n")
    with pytest.raises(UserError, match="secrets.toml: not valid TOML"):
        cli.login_file([path])
    path.write_text("[database]\npassword = 'x'\n")       # other secrets: no login
    assert cli.login_file([path]) is None


@pytest.mark.parametrize("page", [None, "page_budget.py", "page_datasets.py"])
def test_with_a_login_configured_every_page_asks_for_it_first(folders, page):  # noqa: F811
    at = AppTest.from_file(str(MAIN), default_timeout=60)
    at.secrets["auth"] = AUTH
    at.user = {}                         # nobody has logged in
    at.run()
    if page is not None:
        at.switch_page(page).run()
    assert not at.exception
    assert [t.value for t in at.title] == ["tipkit"]
    assert [b.label for b in at.button] == ["Log in"]
    assert "log in to use it" in at.info[0].value
    assert not at.metric and not at.get("plotly_chart")


def test_a_logged_in_colleague_sees_the_pages_and_a_way_out(folders):
    at = AppTest.from_file(str(MAIN), default_timeout=60)
    at.secrets["auth"] = {**AUTH, "google": {"client_id": "g"}}
    at.user = {"is_logged_in": True, "name": "Ana", "email": "ana@example.org"}
    at.run()
    assert not at.exception
    assert at.title[0].value == "What-if explorer"
    assert "Logged in as Ana." in [c.value for c in at.sidebar.caption]
    assert "Log out" in [b.label for b in at.sidebar.button]


def test_named_providers_each_get_their_button(folders):
    at = AppTest.from_file(str(MAIN), default_timeout=60)
    at.secrets["auth"] = {"redirect_uri": "x", "cookie_secret": "y",
                          "google": {"client_id": "g"}, "microsoft": {"client_id": "m"}}
    at.user = {}
    at.run()
    assert [b.label for b in at.button] == ["Log in with Google", "Log in with Microsoft"]
