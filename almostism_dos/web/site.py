"""Write the static site that boots a floppy in the browser: page, v86, BIOS files, a copy of the floppy.

The BIOS lineage is the one QEMU uses: Debian's SeaBIOS and the LGPL VGA BIOS, copied from the system
(never from this repository). What the page must know of the liturgy (the result line, the scripture's
name, the verdicts' meanings) is written into it from the one place each is defined.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

from ..fat12 import Fat12Image
from ..floppy import RESULT_PREFIX
from ..scripture import SCRIPTURE_FILE, Verdict
from .v86 import FILES, obtain

BIOS = Path("/usr/share/seabios/bios.bin")  # Debian package seabios
VGA_BIOS = Path("/usr/share/vgabios/vgabios.bin")  # Debian package vgabios
IMAGE = "floppy.img"  # the copy of the floppy the page boots (and offers as the original)
PAGE = "index.html"
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


def config() -> dict[str, object]:
    """What the page's script needs, from the one place each fact is defined."""
    bios, vga_bios = _BIOS_FILES
    return {
        "image": IMAGE,
        "bios": bios,
        "vga_bios": vga_bios,
        "result_prefix": RESULT_PREFIX,
        "scripture_file": SCRIPTURE_FILE,
        "meanings": {str(verdict.value): verdict.meaning for verdict in Verdict},
    }


def page() -> str:
    """The page, its configuration filled in."""
    template = files(__package__).joinpath("page.html").read_text(encoding="utf-8")
    return template.replace("@CONFIG@", json.dumps(config()).replace("</", "<\\/"))


def write_site(image: Path, directory: Path, force: bool = False) -> Site:
    """Write the site for ``image`` into ``directory`` (created if missing).

    Raises :class:`~..fat12.ImageError` for an image that is not a FAT12 floppy, :class:`BiosMissing` for
    missing BIOS files, :class:`SiteError` for a directory that already holds one of the site's files
    (unless ``force``); v86 comes from :func:`.v86.obtain`.
    """
    Fat12Image.parse(image.read_bytes())  # an ImageError for anything that is not a floppy
    missing = [str(path) for path in _BIOS_FILES.values() if not path.is_file()]
    if missing:
        install = "Debian/Ubuntu: sudo apt-get install seabios vgabios"
        raise BiosMissing(f"{', '.join(missing)} missing ({install})")
    if directory.exists() and not directory.is_dir():
        raise SiteError(f"{directory}: is not a directory")
    present = [name for name in names() if (directory / name).exists()]
    if present and not force:
        raise SiteError(f"{directory}: already holds {present[0]}; use --force to replace the site")
    emulator = obtain()
    (directory / "bios").mkdir(parents=True, exist_ok=True)
    for name in FILES:
        shutil.copyfile(emulator.path(name), directory / name)
    for name, source in _BIOS_FILES.items():
        shutil.copyfile(source, directory / name)
    shutil.copyfile(image, directory / IMAGE)
    (directory / PAGE).write_text(page(), encoding="utf-8")
    return Site(directory)
