"""Reading input files without trusting them: regular files only, and never more than a bound.

An image, a FreeDOS file or a scripture to judge may be anything a user (or an attacker) names: a FIFO
that never ends, ``/dev/zero``, a sparse file of gigabytes. Each is opened without blocking, checked to be
a regular file, and read up to a limit; anything larger is refused before it is read.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path


class InputError(Exception):
    """An input cannot be read as one; the message says why, in one line."""


class InputMissing(InputError):
    """The input does not exist."""


class InputTooLarge(InputError):
    """The input is larger than anything of its kind could be."""


def _read_regular(path: Path, count: int, devices: bool = False) -> tuple[bytes, int]:
    """Up to ``count`` bytes of the regular file ``path`` (or, with ``devices``, a block device such as a
    USB stick's ``/dev/sdX``: opened read-only, never for writing), and its size."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)  # a FIFO must not block
    except FileNotFoundError:
        raise InputMissing(f"{path}: no such file") from None
    except OSError as error:
        raise InputError(f"{path}: cannot read ({error.strerror})") from None
    try:
        info = os.fstat(descriptor)
        if stat.S_ISDIR(info.st_mode):
            raise InputError(f"{path}: is a directory")
        if not (stat.S_ISREG(info.st_mode) or (devices and stat.S_ISBLK(info.st_mode))):
            kind = "a file or a block device (a character device" if devices else "a regular file (a device"
            raise InputError(f"{path}: not {kind} or a pipe?)")
        chunks, left = [], count
        while left > 0 and (chunk := os.read(descriptor, min(left, 1 << 20))):
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks), info.st_size
    except OSError as error:
        raise InputError(f"{path}: cannot read ({error.strerror})") from None
    finally:
        os.close(descriptor)


def read_input(path: Path, limit: int, what: str) -> bytes:
    """The whole of ``path``, refused (:class:`InputTooLarge`) if it is over ``limit`` bytes, the largest
    ``what`` could be."""
    data, size = _read_regular(path, limit + 1)
    if max(size, len(data)) > limit:
        raise InputTooLarge(f"{path}: {max(size, len(data))} bytes, more than any {what} ({limit} bytes)")
    return data


def read_head(path: Path, count: int) -> bytes:
    """The first ``count`` bytes of ``path`` (all of it, if it is shorter)."""
    return _read_regular(path, count)[0]


def read_back(path: Path, count: int) -> bytes:
    """The first ``count`` bytes of a medium read back: an image file, or a block device read in place
    (read-only; a stick or a card larger than the image is read no further than ``count``)."""
    return _read_regular(path, count, devices=True)[0]
