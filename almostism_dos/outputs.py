"""Writing output files without ever losing what the user already had.

Every file is written to a temporary file beside it and renamed into place, so a reader (or a crash)
sees the old file or the complete new one, never a part. An existing file is replaced only when
forced, and keeps its mode; a new one gets the mode the user's umask allows. A directory, a device or
a symbolic link is never replaced.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterator
from pathlib import Path


class OutputError(Exception):
    """An output path cannot or may not be written; the message says why."""


def check_output(path: Path, force: bool) -> None:
    """Raise :class:`OutputError` unless ``path`` may be written (replaced only with ``force``)."""
    try:
        info = path.lstat()
    except FileNotFoundError:
        parent = path.parent if str(path.parent) else Path(".")
        if not parent.is_dir():
            raise OutputError(f"{path}: directory {parent} does not exist") from None
        if not os.access(parent, os.W_OK):
            raise OutputError(f"{path}: directory {parent} is not writable") from None
        return
    if stat.S_ISLNK(info.st_mode):
        raise OutputError(f"{path}: is a symbolic link; refusing to write through it")
    if stat.S_ISDIR(info.st_mode):
        raise OutputError(f"{path}: is a directory")
    if not stat.S_ISREG(info.st_mode):
        raise OutputError(f"{path}: is not a regular file (a device or pipe?)")
    if not force:
        raise OutputError(f"{path}: already exists; use --force to replace it")
    if not os.access(path.parent, os.W_OK):
        raise OutputError(f"{path}: directory {path.parent} is not writable")


def created_mode(requested: int = 0o666) -> int:
    """The mode a file (0o666) or directory (0o777) created now gets: ``requested`` less the umask."""
    umask = os.umask(0o022)  # reading the umask means setting it; put it straight back
    os.umask(umask)
    return requested & ~umask


@contextlib.contextmanager
def atomic_output(path: Path, force: bool) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success rename it over ``path``, else remove it."""
    check_output(path, force)
    try:
        mode = stat.S_IMODE(path.stat().st_mode)  # a replaced file keeps its mode
    except FileNotFoundError:
        mode = created_mode()
    try:
        import tempfile  # (loaded when an output is written: a run's boot starts without it)

        handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    except OSError as error:
        raise _unwritable(path, error) from None
    os.close(handle)
    temporary = Path(name)
    try:
        yield temporary
        with open(temporary, "rb+") as written:
            os.fsync(written.fileno())
        os.chmod(temporary, mode)
        check_output(path, force)  # nothing appeared there meanwhile
        os.replace(temporary, path)
    except OSError as error:  # (a full file system: ENOSPC at the write or the fsync)
        raise _unwritable(path, error) from None
    finally:
        temporary.unlink(missing_ok=True)


def _unwritable(path: Path, error: OSError) -> OutputError:
    """An output that could not be written, in one line; whatever was there before is untouched."""
    return OutputError(f"{path}: cannot write it ({error.strerror or error}); nothing was changed")


def write_atomically(path: Path, data: bytes, force: bool) -> None:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_output`); :class:`OutputError` if it
    cannot be, the old file (if any) left as it was."""
    with atomic_output(path, force) as temporary:
        temporary.write_bytes(data)
