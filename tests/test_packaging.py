"""tipkit works outside a checkout: a wheel installed into a fresh virtual environment builds a
release from its own installed figures and runs a scenario that names that release, from a folder
that is not the checkout.

The fresh environment gets tipkit from the wheel only; its dependencies (SDV, torch, ...) are
borrowed from this environment's site-packages through a .pth line, so nothing is downloaded
(a .pth line adds a folder to sys.path without running that folder's own .pth files, so this
checkout's editable install does not leak in).
"""

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import venv
from hashlib import sha256
from importlib.metadata import version
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ("pyproject.toml", "README.md", "tipkit", "synth", "sim", "app")


def _run(*args, cwd: Path, env=None) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=600)


def _wheel(tmp: Path) -> Path:
    """Build the wheel from a copy of the sources, so the checkout gets no build folders."""
    source = tmp / "source"
    source.mkdir()
    for name in SOURCES:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, source / name,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy(path, source / name)
    # This environment's setuptools builds it offline when it is recent enough for
    # pyproject.toml; otherwise pip fetches the build requirements (PyPI only).
    isolation = [] if int(version("setuptools").split(".")[0]) < 68 else ["--no-build-isolation"]
    built = _run(sys.executable, "-m", "pip", "wheel", "--no-deps", *isolation, "--quiet",
                 "--wheel-dir", tmp / "dist", source, cwd=tmp)
    assert built.returncode == 0, built.stderr
    (wheel,) = (tmp / "dist").glob("tipkit-*.whl")
    return wheel


def _fresh_env(tmp: Path, wheel: Path) -> Path:
    """A virtual environment with the wheel installed (not editable) and this environment's
    dependencies on its path; its bin folder."""
    home = tmp / "venv"
    venv.EnvBuilder(with_pip=False).create(home)
    python = home / "bin" / "python"
    installed = _run(sys.executable, "-m", "pip", "--python", python, "install", "--no-deps",
                     "--no-index", "--quiet", wheel, cwd=tmp)
    assert installed.returncode == 0, installed.stderr
    purelib = Path(_run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])",
                        cwd=tmp).stdout.strip())
    (purelib / "borrowed-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return home / "bin"


@pytest.mark.slow
def test_an_installed_wheel_generates_a_release_and_runs_a_scenario_naming_it(tmp_path):
    bin_ = _fresh_env(tmp_path, _wheel(tmp_path))
    work = tmp_path / "elsewhere"  # neither the checkout nor anything under it
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    where = _run(bin_ / "python", "-c", "import tipkit.synth.published as p; print(p.__file__)",
                 cwd=work, env=env)
    assert where.returncode == 0, where.stderr
    assert Path(where.stdout.strip()).is_relative_to(tmp_path / "venv"), where.stdout

    built = _run(bin_ / "tipkit", "synth", "generate", "--cases", "2000", "--k", "11",
                 "--out", "victims", cwd=work, env=env)
    assert built.returncode == 0, built.stderr
    made = json.loads((work / "victims" / "release.json").read_text())
    figures = Path(made["settings"]["figures"]["name"])
    assert figures.is_absolute() and figures.is_relative_to(tmp_path / "venv")

    (work / "scenarios").mkdir()
    (work / "scenarios" / "airport.yaml").write_text(
        "name: airport\narrivals: {daily_volume: 800}\n"
        "victims: {share: 0.01, transport: [plane, bus], release: ../victims}\n")
    ran = _run(bin_ / "tipkit", "sim", "run", "scenarios/airport.yaml", "--replications", "2",
               "--jobs", "1", "--out", "runs/airport", cwd=work, env=env)
    assert ran.returncode == 0, ran.stderr
    provenance = json.loads((work / "runs" / "airport" / "run.json").read_text())
    assert provenance["population_manifest_sha256"] == sha256(
        (work / "victims" / "release.json").read_bytes()).hexdigest()

    # No release named and none here: one line saying how to build one.
    (work / "scenarios" / "unnamed.yaml").write_text("name: unnamed\n")
    missing = _run(bin_ / "tipkit", "sim", "run", "scenarios/unnamed.yaml", "--replications",
                   "2", "--out", "runs/unnamed", cwd=work, env=env)
    assert missing.returncode == 2
    error = missing.stderr.strip().splitlines()[-1]
    assert error.startswith("Error: no victim release") and "tipkit synth generate" in error
