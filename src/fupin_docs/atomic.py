"""Write-then-rename, so no reader ever sees a half-written output."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_path(target: str | Path):
    """Yield a temporary path beside TARGET; on success rename it over TARGET.

    On any exception the temporary file is removed and TARGET is untouched.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    # mkstemp creates 0600; an output is an ordinary file colleagues on a
    # shared office folder must be able to open, so honour the umask.
    os.fchmod(fd, 0o666 & ~_umask())
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        with open(tmp_path, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp_path, target)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def atomic_write_bytes(target: str | Path, data: bytes) -> None:
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)


def fsync_dir(folder: str | Path) -> None:
    """Make a rename in FOLDER durable (where the system allows it: not on Windows)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _building_folder(target: Path, mark: str) -> Path:
    """Where a folder TARGET is built before it is renamed into place: beside it,
    hidden, named by MARK (what is being built, in the user's words) and this
    process's id. What builds of TARGET killed earlier (kill -9, a power cut) left
    there is removed first: folders of processes no longer running."""
    for folder in target.parent.glob(f".{target.name}{mark}*"):
        pid = folder.name.rsplit("-", 1)[-1]
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(folder, ignore_errors=True)
        except PermissionError:
            pass  # another user's process, still running
    return target.with_name(f".{target.name}{mark}{os.getpid()}")


@contextlib.contextmanager
def built_folder(target: str | Path, mark: str):
    """A folder made at TARGET (absent or empty) whole or not at all: the block fills
    the folder it is given, built beside TARGET; when the block ends, that folder is
    renamed into place and the rename synced; on an error (a full disk, a stop) it is
    removed and TARGET is as it was."""
    target = Path(target)
    building = _building_folder(target, mark)
    shutil.rmtree(building, ignore_errors=True)
    try:
        yield building
        if target.exists():
            target.rmdir()  # empty: the caller checked
        os.replace(building, target)
        fsync_dir(target.parent)
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
