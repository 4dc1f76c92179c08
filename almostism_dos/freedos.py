"""FreeDOS: where to find it, how to read its kernel, shell and boot sector, and how to fetch it.

FreeDOS is not in any package registry, and no part of it is shipped or committed here. The user points
the tool at a boot floppy image or a directory (``--freedos``, then ``ALMOSTISM_FREEDOS``, then the
user cache), or runs ``almostism-dos freedos fetch`` once.
"""

from __future__ import annotations

import hashlib
import io
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from .fat12 import ATTR_ARCHIVE, ATTR_HIDDEN, ATTR_READ_ONLY, ATTR_SYSTEM, Fat12Image, ImageError
from .formats import BOOT_SIGNATURE, LARGEST_IMAGE, SECTOR
from .inputs import InputError, InputMissing, read_input
from .outputs import OutputError, write_atomically
from .partition import has_partition_table
from .paths import cache_dir

ENVIRONMENT = "ALMOSTISM_FREEDOS"
CACHE_NAME = "freedos.img"
FD13_URL = "https://www.ibiblio.org/pub/micro/pc-stuff/freedos/files/distributions/1.3/official/FD13-FloppyEdition.zip"
FD13_SHA256 = "75a4e11a7fce6f124e20927b3022b4b715a2a3f7324c5f5bfea42d90d80eb072"
FD13_BOOT_IMAGE = "144m/x86BOOT.img"
SHELL_PLACES = ("COMMAND.COM", "FREEDOS\\BIN\\COMMAND.COM", "FDOS\\BIN\\COMMAND.COM", "BIN\\COMMAND.COM")
KERNEL_NAME_IN_BOOT_CODE = b"KERNEL  SYS"
HOW_TO_GET = (
    "no FreeDOS configured: run 'almostism-dos freedos fetch', or pass --freedos IMAGE_OR_DIR, "
    f"or set {ENVIRONMENT}"
)


class FreeDosError(Exception):
    """FreeDOS is unreadable or not what it should be; the message says which."""


class FreeDosDownloadError(FreeDosError):
    """The FreeDOS download failed, or brought something other than the pinned archive."""


class FreeDosNotFound(FreeDosError):
    """No FreeDOS is configured, or the path given does not exist."""


@dataclass(frozen=True)
class FreeDos:
    """What the floppy needs from FreeDOS."""

    kernel: bytes
    kernel_attributes: int  # kept as found (system, hidden, read-only)
    shell: bytes
    boot_code: bytes  # a 512-byte FAT12 boot sector that loads KERNEL.SYS
    source: str


def cached_image() -> Path:
    return cache_dir() / CACHE_NAME


def locate(explicit: Path | None) -> Path | None:
    """The FreeDOS to use: ``--freedos``, else ``ALMOSTISM_FREEDOS``, else the cache; None if none."""
    if explicit is not None:
        return explicit
    configured = os.environ.get(ENVIRONMENT, "").strip()
    if configured:
        return Path(configured)
    cached = cached_image()
    return cached if cached.is_file() else None


def _check_boot_code(code: bytes, where: str) -> bytes:
    if len(code) != SECTOR or code[510:] != BOOT_SIGNATURE:
        raise FreeDosError(f"{where}: no boot sector (512 bytes ending in 55 AA)")
    if KERNEL_NAME_IN_BOOT_CODE not in code:
        raise FreeDosError(f"{where}: its boot sector does not load KERNEL.SYS (not a FreeDOS boot sector)")
    return code


def _from_image(path: Path, data: bytes) -> FreeDos:
    if has_partition_table(data):
        raise FreeDosError(f"{path}: a hard-disk image with a partition table, not a FreeDOS boot floppy")
    try:
        image = Fat12Image.parse(data)
        kernel = image.find("KERNEL.SYS")
        if kernel is None or kernel.is_directory:
            raise FreeDosError(f"{path}: no KERNEL.SYS in its root directory")
        shell = next((entry for place in SHELL_PLACES if (entry := image.find(place))), None)
        if shell is None or shell.is_directory:
            raise FreeDosError(f"{path}: no COMMAND.COM (looked in {', '.join(SHELL_PLACES)})")
        boot_code = _check_boot_code(data[:SECTOR], str(path))
        keep = kernel.attributes & (ATTR_SYSTEM | ATTR_HIDDEN | ATTR_READ_ONLY)
        return FreeDos(image.read(kernel), keep | ATTR_ARCHIVE, image.read(shell), boot_code, f"image {path}")
    except ImageError as error:
        raise FreeDosError(f"{path}: {error}") from None


def _boot_sector_file(path: Path) -> bytes | None:
    """A file's bytes if it is a FreeDOS boot sector (512 bytes, ends in 55 AA, loads KERNEL.SYS)."""
    try:
        code = read_input(path, SECTOR, "boot sector")
    except InputError:
        return None
    return (
        code
        if len(code) == SECTOR and code.endswith(BOOT_SIGNATURE) and KERNEL_NAME_IN_BOOT_CODE in code
        else None
    )


def _from_directory(path: Path) -> FreeDos:
    names = {child.name.upper(): child for child in path.iterdir() if child.is_file()}
    for needed in ("KERNEL.SYS", "COMMAND.COM"):
        if needed not in names:
            raise FreeDosError(f"{path}: no {needed} in this directory")
    boot = next(filter(None, map(_boot_sector_file, sorted(names.values()))), None)
    if boot is None:
        raise FreeDosError(
            f"{path}: no FreeDOS boot sector file (512 bytes, ends in 55 AA, loads KERNEL.SYS)"
        )
    kernel, shell = (
        read_input(names[name], LARGEST_IMAGE, "file on a floppy") for name in ("KERNEL.SYS", "COMMAND.COM")
    )
    return FreeDos(
        kernel, ATTR_SYSTEM | ATTR_HIDDEN | ATTR_READ_ONLY | ATTR_ARCHIVE, shell, boot, f"directory {path}"
    )


def _read_image(path: Path) -> bytes:
    """A FreeDOS boot floppy image's bytes, read as any input is (a regular file, bounded)."""
    try:
        return read_input(path, LARGEST_IMAGE, "floppy image")
    except InputMissing:
        raise FreeDosNotFound(f"{path}: no such file or directory") from None
    except InputError as error:
        raise FreeDosError(str(error)) from None


def load(path: Path) -> FreeDos:
    """Read FreeDOS from a boot floppy image or a directory; the source is only ever read."""
    if not path.is_dir():
        return _from_image(path, _read_image(path))
    try:
        return _from_directory(path)
    except InputError as error:
        raise FreeDosError(str(error)) from None
    except OSError as error:
        raise FreeDosError(f"{path}: cannot read ({error.strerror})") from None


def import_image(source: Path, force: bool = True) -> Path:
    """Validate a FreeDOS boot floppy image and copy it into the cache."""
    if source.is_dir():
        raise FreeDosError(f"{source}: import takes a boot floppy image, not a directory")
    data = _read_image(source)
    _from_image(source, data)
    target = cached_image()
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        write_atomically(target, data, force)
    except OutputError as error:
        raise FreeDosError(str(error)) from None
    return target


def _progress(done: int, total: int | None) -> None:
    if not sys.stderr.isatty():
        return
    if total:
        filled = done * 30 // total
        sys.stderr.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {done // 1024} / {total // 1024} KiB")
    else:
        sys.stderr.write(f"\r{done // 1024} KiB")
    sys.stderr.flush()


def download(url: str, timeout: float = 60.0) -> bytes:
    """Fetch ``url`` into memory with a progress bar on a terminal; a short read is an error."""
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            total = int(response.headers.get("Content-Length") or 0) or None
            chunks, done = [], 0
            while chunk := response.read(64 * 1024):
                chunks.append(chunk)
                done += len(chunk)
                _progress(done, total)
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise FreeDosDownloadError(f"cannot download {url}: {reason}") from None
    finally:
        if sys.stderr.isatty():
            sys.stderr.write("\n")
    data = b"".join(chunks)
    if total is not None and len(data) != total:
        raise FreeDosDownloadError(f"download of {url} was cut short: {len(data)} of {total} bytes")
    return data


def fetch(url: str = FD13_URL, sha256: str = FD13_SHA256, member: str = FD13_BOOT_IMAGE) -> Path:
    """Download the FreeDOS floppy edition, check its pinned SHA-256, put the boot floppy in the cache."""
    import zipfile

    archive = download(url)
    digest = hashlib.sha256(archive).hexdigest()
    if digest != sha256.lower():
        raise FreeDosDownloadError(
            f"checksum mismatch for {url}: got {digest}, expected {sha256}; nothing was cached"
        )
    try:
        with zipfile.ZipFile(io.BytesIO(archive)) as bundle:
            image = bundle.read(member)
    except (zipfile.BadZipFile, KeyError) as error:
        raise FreeDosDownloadError(f"{url}: no {member} in the archive ({error})") from None
    _from_image(Path(member), image)
    target = cached_image()
    target.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(target, image, force=True)
    return target
