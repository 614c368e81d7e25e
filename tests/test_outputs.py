"""tipkit.outputs: the one writer of every command. An unsafe --out is refused before any work,
a folder or set of files appears whole or not at all, --force swaps only a complete result in,
and a filesystem error becomes one line naming the path and the way out."""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

import pytest

from tipkit import outputs
from tipkit.errors import UserError


def _names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_an_existing_output_is_refused_without_force(tmp_path):
    (tmp_path / "out").mkdir()
    with pytest.raises(UserError, match="already exists \\(use --force to replace it\\)"):
        outputs.check_out(tmp_path / "out")
    assert outputs.check_out(tmp_path / "out", force=True) == (tmp_path / "out").resolve()


@pytest.mark.parametrize("out", [".", "..", "sub/..", "sub/../.."])
def test_the_current_folder_or_one_holding_it_is_refused_even_with_force(tmp_path, monkeypatch,
                                                                          out):
    (tmp_path / "work" / "sub").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "work")
    with pytest.raises(UserError, match="is the current folder or holds it"):
        outputs.check_out(out, force=True)


def test_a_folder_holding_the_commands_input_is_refused(tmp_path):
    (tmp_path / "data").mkdir()
    figures = tmp_path / "data" / "figures.yaml"
    figures.write_text("figures: []\n")
    with pytest.raises(UserError, match="is or holds this command's own input"):
        outputs.check_out(tmp_path / "data", force=True, inputs=[figures])
    with pytest.raises(UserError, match="is or holds this command's own input"):
        outputs.check_out(figures, force=True, inputs=[figures], kind="file")


def test_a_parent_that_is_a_file_and_a_kind_mismatch_are_refused(tmp_path):
    (tmp_path / "note").write_text("x")
    with pytest.raises(UserError, match="note is a file, not a folder"):
        outputs.check_out(tmp_path / "note" / "release")
    with pytest.raises(UserError, match="is a file, not a folder"):
        outputs.check_out(tmp_path / "note", force=True)
    (tmp_path / "dir").mkdir()
    with pytest.raises(UserError, match="is a folder: name a file"):
        outputs.check_out(tmp_path / "dir", force=True, kind="file")


def test_a_staged_folder_appears_whole_and_replaces_the_old_one_only_when_done(tmp_path):
    out = tmp_path / "release"
    out.mkdir()
    (out / "old.txt").write_text("old")
    with outputs.staged_folder(out, force=True) as staging:
        (staging / "new.txt").write_text("new")
        assert _names(out) == ["old.txt"]          # the old one stands until the new is done
    assert _names(out) == ["new.txt"]
    assert _names(tmp_path) == ["release"]         # no staging or old folder left beside it
    assert oct(out.stat().st_mode & 0o777) != oct(0o700)  # shared, not mkdtemp's private mode


@pytest.mark.parametrize("failure", [RuntimeError("a check failed"), KeyboardInterrupt()])
def test_a_failed_or_stopped_run_keeps_what_was_there_and_leaves_nothing(tmp_path, failure):
    out = tmp_path / "release"
    out.mkdir()
    (out / "old.txt").write_text("old")
    with pytest.raises(type(failure)):
        with outputs.staged_folder(out, force=True) as staging:
            (staging / "half.txt").write_text("half")
            raise failure
    assert _names(out) == ["old.txt"] and (out / "old.txt").read_text() == "old"
    assert _names(tmp_path) == ["release"]


def test_a_failed_run_removes_the_parent_folders_it_made(tmp_path):
    with pytest.raises(RuntimeError):
        with outputs.staged_folder(tmp_path / "a" / "b" / "release"):
            raise RuntimeError("failed")
    assert _names(tmp_path) == []


def test_when_the_new_folder_cannot_move_in_the_old_one_comes_back(tmp_path, monkeypatch):
    out = tmp_path / "release"
    out.mkdir()
    (out / "old.txt").write_text("old")
    real_rename = os.rename

    def refuse_the_new_one(source, target):
        if Path(source).name.endswith(".tmp"):
            raise OSError(errno.EXDEV, "Invalid cross-device link", str(source))
        real_rename(source, target)

    monkeypatch.setattr(outputs.os, "rename", refuse_the_new_one)
    with pytest.raises(UserError, match=f"cannot write {out}: invalid cross-device link"):
        with outputs.staged_folder(out, force=True) as staging:
            (staging / "new.txt").write_text("new")
    assert _names(out) == ["old.txt"]
    assert _names(tmp_path) == ["release"]


def test_staged_files_appear_together_or_not_at_all(tmp_path):
    html, data = tmp_path / "r.html", tmp_path / "r.json"
    with pytest.raises(RuntimeError):
        with outputs.staged_files(html, data) as (html_tmp, data_tmp):
            html_tmp.write_text("<p>")
            raise RuntimeError("the JSON failed")
    assert _names(tmp_path) == []
    with outputs.staged_files(html, data) as (html_tmp, data_tmp):
        html_tmp.write_text("<p>")
        data_tmp.write_text("{}")
    assert _names(tmp_path) == ["r.html", "r.json"]
    with pytest.raises(UserError, match="already exists"):
        with outputs.staged_files(html, data):
            pass


@pytest.mark.parametrize("code, words", [
    (errno.EROFS, "read-only file system: choose an --out on a writable disk"),
    (errno.EACCES, "permission denied: choose another --out or make the folder writable"),
    (errno.EPERM, "not permitted (read-only or immutable): choose another --out or make the "
                  "folder writable"),
    (errno.ENOSPC, "no space left on the disk: free some space or choose another --out"),
])
def test_a_folder_where_nothing_can_be_made_is_refused_before_any_work(tmp_path, monkeypatch,
                                                                        code, words):
    # A mocked OSError: these tests run as root, for whom permission bits do not bind.
    def cannot(*args, **kwargs):
        raise OSError(code, os.strerror(code), str(tmp_path / ".tipkit-probe-x"))

    monkeypatch.setattr(tempfile, "mkdtemp", cannot)
    with pytest.raises(UserError) as refused:
        outputs.check_out(tmp_path / "release")
    assert str(refused.value) == f"cannot write {tmp_path}: {words}"
    assert _names(tmp_path) == []


def test_a_disk_full_mid_write_names_the_out_and_keeps_what_was_there(tmp_path):
    """A write that runs out of room raises an OSError naming no file: inside a staged block it
    is the staging's, so it becomes the line about the --out (a real full disk: /dev/full)."""
    out = tmp_path / "release"
    out.mkdir()
    (out / "old.txt").write_text("old")
    with pytest.raises(UserError) as refused:
        with outputs.staged_folder(out, force=True) as staging:
            (staging / "new.txt").write_text("new")
            with open("/dev/full", "w") as full:
                full.write("x" * 100_000)
                full.flush()
    assert str(refused.value) == (f"cannot write {out}: no space left on the disk: free some "
                                  "space or choose another --out")
    assert _names(out) == ["old.txt"] and _names(tmp_path) == ["release"]
    with pytest.raises(UserError, match=f"cannot write {tmp_path / 'r.html'}: no space left"):
        with outputs.staged_files(tmp_path / "r.html"):
            with open("/dev/full", "w") as full:
                full.write("x" * 100_000)
                full.flush()
    assert _names(tmp_path) == ["release"]


def test_an_error_that_is_not_about_writing_is_not_disguised(tmp_path):
    with pytest.raises(ConnectionError):
        with outputs.staged_folder(tmp_path / "release"):
            raise ConnectionRefusedError(111, "Connection refused")
    assert _names(tmp_path) == []
