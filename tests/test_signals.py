"""Ctrl-C and SIGTERM stop every long command: a real `tipkit` process is signalled mid-work and
must exit 130 (Ctrl-C) or 143 (SIGTERM), leave no worker process behind, write nothing, leave no
temporary file or folder, and keep an existing output that --force would have replaced.

Ctrl-C is sent as a terminal sends it, to the whole process group; SIGTERM to the parent only,
as `kill` and schedulers send it. The time limits are hang guards, not speed targets."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from test_sim_support import release  # noqa: F401 (fixture: a small population)

ROOT = Path(__file__).resolve().parents[1]
IOM = ROOT / "synth" / "published" / "iom-2018-border-crossings.yaml"
AIRPORT = ROOT / "scenarios" / "airport-baseline.yaml"
TIPKIT = [sys.executable, "-c", "from tipkit.cli import main; main()"]
HANG_GUARD = 60  # seconds: a stop that takes longer is no stop at all


def _start(args, cwd: Path) -> subprocess.Popen:
    return subprocess.Popen(TIPKIT + [str(a) for a in args], cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)


def _wait_for(condition, process: subprocess.Popen, seconds: float = 300) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if process.poll() is not None:
            pytest.fail(f"the command ended before it could be stopped: {process.stderr.read()}")
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail("the command never reached the point to stop it at")
        time.sleep(0.05)


def _handling_sigterm(pid: int) -> bool:
    """True once `tipkit` has installed its SIGTERM handler: the command has begun."""
    with open(f"/proc/{pid}/status") as status:
        caught = next(int(line.split()[1], 16) for line in status if line.startswith("SigCgt"))
    return bool(caught & (1 << (signal.SIGTERM - 1)))


def _stop(process: subprocess.Popen, sig: int) -> tuple[int, str, list[psutil.Process]]:
    """Send `sig` (Ctrl-C to the group, SIGTERM to the parent); the exit status, stderr and
    the workers the process had when signalled."""
    workers = psutil.Process(process.pid).children(recursive=True)
    if sig == signal.SIGINT:
        os.killpg(process.pid, signal.SIGINT)
    else:
        process.send_signal(sig)
    try:
        _, stderr = process.communicate(timeout=HANG_GUARD)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        pytest.fail(f"still running {HANG_GUARD} s after the signal")
    return process.returncode, stderr, workers


def _assert_stopped_cleanly(code, stderr, workers, sig, folder: Path, expected: list[str]):
    assert code == 128 + sig, stderr
    assert stderr.strip().splitlines()[-1] == (
        "Stopped (Ctrl-C): nothing was written." if sig == signal.SIGINT
        else "Stopped (SIGTERM): nothing was written.")
    assert "Traceback" not in stderr
    time.sleep(0.5)
    alive = [w for w in workers if w.is_running() and w.status() != psutil.STATUS_ZOMBIE]
    assert alive == [], f"orphaned workers: {alive}"
    assert sorted(p.name for p in folder.iterdir()) == expected   # no staging, nothing new


def _existing_output(folder: Path) -> Path:
    out = folder / "out"
    out.mkdir()
    (out / "keep.txt").write_text("what was there")
    return out


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_a_sim_run_on_the_process_pool_stops_and_ends_its_workers(tmp_path, release, sig):
    out = _existing_output(tmp_path)
    process = _start(["sim", "run", AIRPORT, "--replications", 100_000, "--jobs", 2,
                      "--out", out, "--force", "--population", release], tmp_path)
    _wait_for(lambda: len(psutil.Process(process.pid).children()) == 2, process)
    time.sleep(1.0)  # the workers are simulating
    code, stderr, workers = _stop(process, sig)
    assert len(workers) == 2
    _assert_stopped_cleanly(code, stderr, workers, sig, tmp_path, ["out"])
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt"]


@pytest.mark.slow
def test_a_sim_run_on_dask_stops_and_the_cluster_drops_its_work(tmp_path, release):
    from distributed import LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster:
        process = _start(["sim", "run", AIRPORT, "--replications", 2000, "--scheduler",
                          cluster.scheduler_address, "--out", tmp_path / "out",
                          "--population", release], tmp_path)
        scheduler = cluster.scheduler
        _wait_for(lambda: any(t.state == "processing" for t in list(scheduler.tasks.values())),
                  process)
        code, stderr, workers = _stop(process, signal.SIGINT)
        _assert_stopped_cleanly(code, stderr, workers, signal.SIGINT, tmp_path, [])
        deadline = time.monotonic() + HANG_GUARD
        while scheduler.tasks and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not scheduler.tasks, "the cluster still holds the stopped run's batches"


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_generate_stopped_while_writing_keeps_the_old_release(tmp_path, sig):
    out = _existing_output(tmp_path)
    process = _start(["synth", "generate", "--published", IOM, "--cases", 300_000,
                      "--out", out, "--force"], tmp_path)
    # stop it once the release is being written: its staging folder is beside the old one
    _wait_for(lambda: any(p.name.startswith(".out.") for p in tmp_path.iterdir()), process)
    code, stderr, workers = _stop(process, sig)
    _assert_stopped_cleanly(code, stderr, workers, sig, tmp_path, ["out"])
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt"]


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_fit_stopped_mid_training_writes_nothing(tmp_path, sig):
    from tipkit.synth.microdata.fixtures import write_fixture

    data = tmp_path / "cases.csv"
    write_fixture(data, rows=1500, seed=5)
    process = _start(["synth", "fit", "--data", data, "--engine", "sdv-ctgan", "--k", 5,
                      "--out", tmp_path / "out"], tmp_path)
    _wait_for(lambda: _handling_sigterm(process.pid), process)
    time.sleep(8.0)  # importing SDV and torch, then training CTGAN (which takes far longer)
    code, stderr, workers = _stop(process, sig)
    _assert_stopped_cleanly(code, stderr, workers, sig, tmp_path, ["cases.csv"])


@pytest.fixture(scope="module")
def many_cases(tmp_path_factory) -> tuple[Path, Path]:
    """2,000,000 case records (a 2,000-row fixture a thousand times) and a codebook drafted for
    them: enough work that a command signalled as it starts is still busy."""
    from click.testing import CliRunner

    from tipkit.cli import main
    from tipkit.synth.microdata.fixtures import write_fixture

    folder = tmp_path_factory.mktemp("many")
    sample = folder / "sample.csv"
    write_fixture(sample, rows=2000, seed=5)
    header, *rows = sample.read_text().splitlines()
    data = folder / "cases.csv"
    data.write_text("\n".join([header, *rows * 1000]) + "\n")
    codebook = folder / "codebook.yaml"
    drafted = CliRunner().invoke(main, ["synth", "codebook", "--data", str(sample),
                                        "--out", str(codebook)])
    assert drafted.exit_code == 0, drafted.output
    return data, codebook


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
@pytest.mark.parametrize("which", ["codebook", "fit-codebook"])
def test_the_codebook_commands_stop_cleanly_and_keep_the_old_output(tmp_path, many_cases, sig,
                                                                    which):
    data, codebook = many_cases
    if which == "codebook":
        out = tmp_path / "codebook.yaml"
        out.write_text("what was there")
        args = ["synth", "codebook", "--data", data, "--out", out, "--force"]
    else:
        out = _existing_output(tmp_path)
        args = ["synth", "fit", "--data", data, "--codebook", codebook, "--k", 5, "--out", out,
                "--force"]
    process = _start(args, tmp_path)
    _wait_for(lambda: _handling_sigterm(process.pid), process)
    time.sleep(0.5)  # reading 2,000,000 records (drafting or fitting them takes longer)
    code, stderr, workers = _stop(process, sig)
    _assert_stopped_cleanly(code, stderr, workers, sig, tmp_path, [out.name])
    kept = out if which == "codebook" else out / "keep.txt"
    assert kept.read_text() == "what was there"
