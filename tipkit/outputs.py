"""Writing results: every file and folder is written beside its target and swapped into place only
when complete, so a reader never sees half of one and a failed or stopped run loses nothing.

`check_out` refuses an unsafe --out before any work; `staged_folder` and `staged_files` do the
writing; `filesystem_error` is the one place an OSError becomes the line the user reads.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import tempfile
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterable, Iterator

import pandas as pd
import yaml

from tipkit.errors import UserError

_UMASK = os.umask(0)
os.umask(_UMASK)

# errno -> (what went wrong, the way out), for the one line a filesystem error becomes
_WRITABLE = "choose another --out or make the folder writable"
_SPACE = "free some space or choose another --out"
_EXISTS = ("already exists", "use --force to replace it, or choose another --out")
_ADVICE = {
    errno.EACCES: ("permission denied", _WRITABLE),
    errno.EPERM: ("not permitted (read-only or immutable)", _WRITABLE),
    errno.EROFS: ("read-only file system", "choose an --out on a writable disk"),
    errno.ENOSPC: ("no space left on the disk", _SPACE),
    errno.EDQUOT: ("disk quota exceeded", _SPACE),
    errno.ENOTDIR: ("part of the path is a file, not a folder", "choose another --out"),
    errno.EISDIR: ("is a folder, not a file", "name a file"),
    errno.ENOENT: ("no such file or folder, and none can be made there",
                   "choose an --out in a folder that exists and is writable"),
    errno.ENAMETOOLONG: ("the name is too long", "choose a shorter path"),
    errno.EEXIST: _EXISTS,
    errno.ENOTEMPTY: _EXISTS,
}


def filesystem_error(error: OSError, path: str | os.PathLike | None = None,
                     doing: str = "use") -> UserError:
    """The one line an OSError from reading or writing files becomes: the path, what went wrong
    and the way out. tipkit.cli turns every such error into this line."""
    where = path if path is not None else (error.filename or "a file")
    problem, way_out = _ADVICE.get(error.errno, ((error.strerror or str(error)).lower(),
                                                 "choose another --out"))
    return UserError(f"cannot {doing} {where}: {problem}: {way_out}")


def check_out(out: str | os.PathLike, *, force: bool = False, inputs: Iterable = (),
              kind: str = "folder") -> Path:
    """The absolute path an --out names (a `folder` or a `file`), after refusing, before any work,
    every --out that cannot be written safely: the current folder or one holding it, one holding
    (or being) the command's own input, one under a file, one that exists (without `force`)
    or is of the other kind, and one where nothing can be created."""
    target = Path(out).expanduser().resolve()
    said = f"--out {out}"
    here = Path.cwd().resolve()
    if target == here or target in here.parents:
        raise UserError(f"{said} is the current folder or holds it, so replacing it would delete "
                        "the folder you work in: choose a new folder")
    for source in inputs:
        source = Path(source).expanduser().resolve()
        if source == target or target in source.parents:
            raise UserError(f"{said} is or holds this command's own input {source}: "
                            "choose another --out")
    existing = target
    while not existing.exists():
        existing = existing.parent
    if existing == target:
        if kind == "folder" and not target.is_dir():
            raise UserError(f"{said} is a file, not a folder: choose another --out")
        if kind == "file" and target.is_dir():
            raise UserError(f"{said} is a folder: name a file")
        if not force:
            raise UserError(f"{said} already exists (use --force to replace it)")
        existing = target.parent
    elif not existing.is_dir():
        raise UserError(f"{said}: {existing} is a file, not a folder: choose another --out")
    try:  # can anything be created there? (as root, permission bits say nothing)
        os.rmdir(tempfile.mkdtemp(prefix=".tipkit-probe-", dir=existing))
    except OSError as error:
        raise filesystem_error(error, existing, doing="write") from None
    return target


@contextmanager
def staged_folder(out, *, force: bool = False, inputs: Iterable = ()) -> Iterator[Path]:
    """Yield an empty folder beside `out` to write into; when the block ends it takes `out`'s
    place (the old `out`, with --force, is removed only then). On any error or signal, the
    staging folder vanishes and `out` is as it was."""
    target = check_out(out, force=force, inputs=inputs, kind="folder")
    with _parents_made(target):
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp",
                                        dir=target.parent))
        try:
            staging.chmod(0o777 & ~_UMASK)  # mkdtemp makes it private; results are for sharing
            yield staging
            with _signals_held():
                _swap(staging, target)
        except OSError as error:  # a disk full mid-way names the --out, not a staged file
            if _in_writing(error, [staging]):
                raise filesystem_error(error, target, doing="write") from None
            raise
        finally:
            with _signals_held():
                shutil.rmtree(staging, ignore_errors=True)


@contextmanager
def staged_files(*outs, force: bool = False, inputs: Iterable = ()) -> Iterator[list[Path]]:
    """Yield a temporary path beside each of `outs` to write to; when the block ends, all of
    them are renamed into place together. On any error or signal, none is."""
    targets = [check_out(out, force=force, inputs=inputs, kind="file") for out in outs]
    with _parents_made(*targets):
        temps = []
        try:
            for target in targets:
                fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.",
                                           suffix=".tmp")
                os.close(fd)
                temps.append(Path(tmp))
            yield temps
            with _signals_held():
                for tmp, target in zip(temps, targets):
                    os.chmod(tmp, 0o666 & ~_UMASK)
                    os.replace(tmp, target)
        except OSError as error:
            if _in_writing(error, temps):
                raise filesystem_error(error, targets[0], doing="write") from None
            raise
        finally:
            for tmp in temps:
                tmp.unlink(missing_ok=True)


# A write that fails for want of room names no file (the file was open): such an error inside a
# staged block is the staging's.
_DISK_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO, errno.EROFS}


def _in_writing(error: OSError, staged: list[Path]) -> bool:
    """Whether `error` came from writing the staged files (so it is about the --out)."""
    if error.filename is None:
        return error.errno in _DISK_ERRNOS
    return any(str(error.filename).startswith(str(path)) for path in staged)


def _swap(staging: Path, target: Path) -> None:
    """Put `staging` where `target` is: the old one moves aside first and comes back if the
    new one cannot be moved in."""
    if not target.exists():
        os.rename(staging, target)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".old", dir=target.parent))
    os.rename(target, old / target.name)
    try:
        os.rename(staging, target)
    except BaseException:
        os.rename(old / target.name, target)
        raise
    finally:
        shutil.rmtree(old, ignore_errors=True)


@contextmanager
def _parents_made(*targets: Path):
    """Create the targets' missing parent folders; remove those made if the block fails."""
    made = []
    for target in targets:
        missing = [p for p in reversed(target.parents) if not p.exists()]
        for folder in missing:
            folder.mkdir()
            made.append(folder)
    try:
        yield
    except BaseException:
        for folder in reversed(made):
            try:
                folder.rmdir()
            except OSError:
                pass
        raise


@contextmanager
def _signals_held():
    """Hold Ctrl-C and SIGTERM back for a few renames, so a stop cannot fall between them."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held = {signal.SIGINT, signal.SIGTERM}
    signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, held)


# ---- single files written inside a staged folder ---------------------------------------------

def write_bytes(path: Path, data: bytes) -> None:
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o666 & ~_UMASK)     # mkstemp makes private files; results are not
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text(path: Path, text: str) -> None:
    write_bytes(path, text.encode("utf-8"))


def write_csv(path: Path, table: pd.DataFrame) -> None:
    # repr-exact floats so that a rerun with the same seed is byte-identical
    write_text(path, table.to_csv(index=False, float_format="%.10g", lineterminator="\n"))


def write_parquet(path: Path, table: pd.DataFrame) -> None:
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        table.to_parquet(tmp, index=False)
        os.chmod(tmp, 0o666 & ~_UMASK)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json(path: Path, data: dict) -> None:
    write_text(path, json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")


def write_yaml(path: Path, data: dict) -> None:
    write_text(path, yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
