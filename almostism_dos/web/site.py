"""Write the static site that boots an image in the browser: page, v86, BIOS files, a copy of the image.

The BIOS lineage is the one QEMU uses: Debian's SeaBIOS and the LGPL VGA BIOS, copied from the system
(never from this repository). What the page must know of the liturgy (the result line and its pattern,
the scripture's name, the verdicts' meanings, the BPB and directory-entry fields it reads) is written
into it from the one place each is defined, and so is how to boot this image: a floppy as v86's drive A:
(``fda``), a hard-disk image as its first hard disk (``hda``), with the offset of the partition the
scripture lies in.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import tempfile
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

from ..cell_map import page_cells
from ..fat12 import ATTR_NOT_A_FILE, DELETED, DIR_ATTRIBUTES, DIR_NAME_SIZE, Fat12Image
from ..formats import BPB_OFFSETS, DIRECTORY_ENTRY
from ..inputs import read_input
from ..outputs import OutputError, check_output, created_mode
from ..partition import LARGEST_READ, volume
from ..result_line import RESULT_PATTERN, RESULT_PREFIX
from ..scripture import SCRIPTURE_FILE, Verdict
from .v86 import FILES, obtain

BIOS = Path("/usr/share/seabios/bios.bin")  # Debian package seabios
VGA_BIOS = Path("/usr/share/vgabios/vgabios.bin")  # Debian package vgabios
IMAGE = "floppy.img"  # the copy of the image the page boots (and offers as the original)
PAGE = "index.html"
_BPB_READ = ("bytes_per_sector", "reserved_sectors", "fat_count", "root_entries", "sectors_per_fat")
_BIOS_FILES = {"bios/seabios.bin": BIOS, "bios/vgabios.bin": VGA_BIOS}


class SiteError(Exception):
    """The site cannot be written; the message says why."""


class BiosMissing(SiteError):
    """The system's SeaBIOS or VGA BIOS is not installed; the message names the packages."""


@dataclass(frozen=True)
class Site:
    """A written site: its directory and the page to open."""

    directory: Path

    @property
    def page(self) -> Path:
        return self.directory / PAGE


def names() -> list[str]:
    """Every file a site holds, relative to its directory."""
    return [PAGE, *FILES, *_BIOS_FILES, IMAGE]


def config(
    drive: str = "fda", volume_offset: int = 0, cells: dict[str, object] | None = None
) -> dict[str, object]:
    """What the page's script needs, from the one place each fact is defined; ``drive``: v86's ``fda``
    or ``hda``; ``volume_offset``: where the FAT volume starts in the image (a partition's first byte);
    ``cells``: where the scripture's cells lie, for the grid (:func:`~..cell_map.page_cells`)."""
    bios, vga_bios = _BIOS_FILES
    return {
        "image": IMAGE,
        "drive": drive,
        "volume_offset": volume_offset,
        "bios": bios,
        "vga_bios": vga_bios,
        "result_prefix": RESULT_PREFIX,
        "result_pattern": RESULT_PATTERN,
        "scripture_file": SCRIPTURE_FILE,
        "bpb": {name: BPB_OFFSETS[name] for name in _BPB_READ},
        "entry": {
            "size": DIRECTORY_ENTRY,
            "name_size": DIR_NAME_SIZE,
            "attributes": DIR_ATTRIBUTES,
            "deleted": DELETED,
            "not_a_file": ATTR_NOT_A_FILE,
        },
        "meanings": {str(verdict.value): verdict.meaning for verdict in Verdict},
        "cells": cells,
    }


def page(drive: str = "fda", volume_offset: int = 0, cells: dict[str, object] | None = None) -> str:
    """The page, its configuration filled in (see :func:`config`)."""
    template = files(__package__).joinpath("page.html").read_text(encoding="utf-8")
    settings = json.dumps(config(drive, volume_offset, cells))
    return template.replace("@CONFIG@", settings.replace("</", "<\\/"))


def _check_directory(path: Path) -> bool:
    """Whether ``path`` exists as a real directory; :class:`SiteError` for a link or anything else."""
    try:
        mode = path.lstat().st_mode
    except FileNotFoundError:
        return False
    if stat.S_ISLNK(mode):
        raise SiteError(f"{path}: is a symbolic link; refusing to write through it")
    if not stat.S_ISDIR(mode):
        raise SiteError(f"{path}: is not a directory")
    return True


def _check_target(directory: Path, force: bool) -> None:
    """Refuse a site directory where writing would go through a link or replace what is not ours."""
    if not _check_directory(directory):
        if not directory.parent.is_dir():  # (a link among the parents is the user's own path)
            raise SiteError(f"{directory}: directory {directory.parent} does not exist")
        return
    _check_directory(directory / "bios")
    for name in filter(os.path.lexists, (directory / name for name in names())):
        try:
            check_output(name, force=True)  # a link, a directory, a device: never replaced
        except OutputError as error:
            raise SiteError(str(error)) from None
        if not force:
            raise SiteError(f"{directory}: already holds {name.name}; use --force to replace the site")


def _fill(
    staging: Path, floppy: bytes, drive: str, volume_offset: int, cells: dict[str, object] | None
) -> None:
    """Every file of the site, written into the empty directory ``staging``."""
    emulator = obtain()
    (staging / "bios").mkdir()
    for name in FILES:
        (staging / name).write_bytes(emulator.read(name))  # checked against its pin as it is copied
    for name, source in _BIOS_FILES.items():
        shutil.copyfile(source, staging / name)
    (staging / IMAGE).write_bytes(floppy)
    (staging / PAGE).write_text(page(drive, volume_offset, cells), encoding="utf-8")
    for path in (staging, staging / "bios"):
        path.chmod(created_mode(0o777))
    for name in names():
        (staging / name).chmod(created_mode())


def write_site(image: Path, directory: Path, force: bool = False, boot_as: str | None = None) -> Site:
    """Write the site for ``image`` into ``directory`` (created if missing), all of it or nothing; the
    page boots it as ``boot_as`` (``floppy`` or ``disk``), by default as what it is.

    The site is written into a fresh directory first, then renamed in: as a whole where ``directory``
    is new, file by file (each rename atomic) where it exists. Nothing is written through a symbolic
    link, even with ``force``. Raises :class:`~..fat12.ImageError` for an image that is not a FAT12
    floppy or a disk with an active FAT12 partition, :class:`~..inputs.InputError` for one that cannot
    be read, :class:`BiosMissing` for missing BIOS files, :class:`SiteError` for a directory that
    already holds one of the site's files (unless ``force``) or a link; v86 comes from
    :func:`.v86.obtain`.
    """
    floppy = read_input(image, LARGEST_READ, "floppy or disk image")
    partition, holding = volume(floppy)
    parsed = Fat12Image.parse(holding)  # an ImageError for anything that is not a floppy or a disk we read
    drive = "hda" if partition is not None or boot_as == "disk" else "fda"
    volume_offset = partition.offset if partition is not None else 0
    missing = [str(path) for path in _BIOS_FILES.values() if not path.is_file()]
    if missing:
        install = "Debian/Ubuntu: sudo apt-get install seabios vgabios"
        raise BiosMissing(f"{', '.join(missing)} missing ({install})")
    _check_target(directory, force)
    exists = directory.is_dir()
    staging = Path(tempfile.mkdtemp(prefix=".almostism-site-", dir=directory if exists else directory.parent))
    try:
        _fill(staging, floppy, drive, volume_offset, page_cells(parsed, volume_offset))
        _check_target(directory, force)  # nothing appeared there meanwhile
        if not exists:
            staging.rename(directory)
            return Site(directory)
        (directory / "bios").mkdir(mode=created_mode(0o777), exist_ok=True)
        for name in names():
            os.replace(staging / name, directory / name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return Site(directory)
