"""`tipkit app`: it listens on this machine only unless asked, finds a free port, tells the
server never to phone home, and stays out of `tipkit --help`'s way."""

import socket
import subprocess
import sys

import pytest
from click.testing import CliRunner

from tipkit.app import cli
from tipkit.cli import main
from tipkit.errors import UserError


@pytest.fixture
def busy_port():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield listener.getsockname()[1]


def _flag(command: list[str], name: str) -> str:
    return command[command.index(name) + 1]


def test_server_listens_on_localhost_by_default_and_never_phones_home():
    command = cli.streamlit_command("127.0.0.1", 8600)
    assert command[1:4] == ["-m", "streamlit", "run"]
    assert command[4].endswith("app_main.py")
    assert _flag(command, "--server.address") == "127.0.0.1"
    assert _flag(command, "--server.port") == "8600"
    assert _flag(command, "--browser.gatherUsageStats") == "false"
    assert _flag(command, "--server.headless") == "true"
    assert _flag(command, "--client.showErrorDetails") == "none"
    assert main.commands["app"].params[0].default == "127.0.0.1"


def test_a_busy_port_asked_for_is_a_one_line_error(busy_port, monkeypatch):
    def never(*args):         # a broken check must fail this test, not become the server
        raise AssertionError("the server was started")
    monkeypatch.setattr(cli.os, "execve", never)
    with pytest.raises(UserError, match=f"port {busy_port} on 127.0.0.1 is in use"):
        cli.choose_port("127.0.0.1", busy_port)
    result = CliRunner().invoke(main, ["app", "--port", str(busy_port)])
    assert result.exit_code == 2
    assert f"Error: port {busy_port} on 127.0.0.1 is in use" in result.output


def test_without_a_port_the_default_or_another_free_one_is_chosen(busy_port):
    chosen = cli.choose_port("127.0.0.1", None)
    assert chosen != busy_port and cli.port_is_free("127.0.0.1", chosen)
    assert not cli.port_is_free("127.0.0.1", busy_port)


def test_tipkit_help_does_not_load_the_web_framework():
    code = ("import sys; from tipkit.cli import main; "
            "assert 'streamlit' not in sys.modules, 'streamlit imported'")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_help_names_the_options_with_an_example():
    result = CliRunner().invoke(main, ["app", "--help"])
    assert result.exit_code == 0
    for option in ("--host", "--port", "--releases", "--scenarios", "--jobs", "Example:"):
        assert option in result.output
