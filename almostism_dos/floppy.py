"""The Almostism floppy: which files go on it, and what runs at boot.

A FreeDOS floppy boots the kernel, which reads FDCONFIG.SYS (no boot-menu delay) and starts COMMAND.COM
on AUTOEXEC.BAT: run ALMOST.COM, print ``ALMOSTISM RESULT errorlevel=N``, say whether the scripture is
still there, power off (POWEROFF.COM: APM, or a message and a halt on a PC without APM).

An embedded floppy boots our own host (asm/boot.asm, asm/host.asm) from the reserved sectors; it runs the
same ALMOST.COM, prints the same result line and powers off the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from . import programs
from .fat12 import ATTR_ARCHIVE
from .formats import LINGER_OFFSET, SECTOR, VolumeFormat, ceil_div
from .freedos import FreeDos
from .image import ImageFile, build_image
from .programs import ALMOST, POWEROFF
from .result_line import LONGEST_LINGER
from .scripture import SCRIPTURE_FILE
from .startup import FDCONFIG, autoexec


def check_linger(seconds: int) -> int:
    """``seconds`` of countdown, if the host and POWEROFF.COM can count it (two digits); else ValueError.
    The one check, for a build request and for what a volume holds."""
    if not 0 <= seconds <= LONGEST_LINGER:
        raise ValueError(f"a countdown of {seconds} s: 0 to {LONGEST_LINGER}")
    return seconds


@dataclass(frozen=True)
class Contents:
    """What an Almostism volume holds beside its system, the same on a floppy and in a disk's partition:
    the scripture (None: a volume without one), the files written after it, the countdown before the
    power-off, and the time stamp every file carries."""

    scripture: bytes | None
    epoch: int = 0
    extra: Sequence[ImageFile] = ()
    linger: int = 0

    def __post_init__(self) -> None:
        check_linger(self.linger)


def liturgy_files(scripture: bytes | None) -> list[ImageFile]:
    """ALMOST.COM, and the scripture's bytes as SCRIPTUR.ALM unless None (a floppy without one)."""
    files = [ImageFile(ALMOST, programs.almost_bytes())]
    return files + ([ImageFile(SCRIPTURE_FILE, scripture)] if scripture is not None else [])


def freedos_files(
    freedos: FreeDos, scripture: bytes | None, tail: str = "", linger: int = 0
) -> list[ImageFile]:
    """Everything on a FreeDOS Almostism floppy, in directory order; ``tail``: ALMOST.COM's command tail;
    ``linger``: seconds of countdown before the power-off."""
    return [
        ImageFile("KERNEL.SYS", freedos.kernel, freedos.kernel_attributes),
        ImageFile("COMMAND.COM", freedos.shell, ATTR_ARCHIVE),
        ImageFile("FDCONFIG.SYS", FDCONFIG.encode("ascii")),
        ImageFile("AUTOEXEC.BAT", autoexec(tail, linger).encode("ascii")),
        *liturgy_files(scripture),
        ImageFile(POWEROFF, programs.code("poweroff")),
    ]


def freedos_floppy(floppy: VolumeFormat, freedos: FreeDos, contents: Contents) -> bytes:
    """The bytes of a FreeDOS Almostism floppy (or volume) holding ``contents``."""
    files = [*freedos_files(freedos, contents.scripture, linger=contents.linger), *contents.extra]
    return build_image(floppy, freedos.boot_code, files, contents.epoch)


def embedded_format(floppy: VolumeFormat) -> VolumeFormat:
    """``floppy`` with room for the host: the boot sector, then the host's sectors, are reserved."""
    host = programs.code("embedded")[SECTOR:]
    return replace(floppy, reserved_sectors=1 + ceil_div(len(host), SECTOR))


def embedded_image(floppy: VolumeFormat, files: list[ImageFile], epoch: int, linger: int = 0) -> bytes:
    """A self-booting floppy: boot sector (holding ``linger``, the countdown's seconds, as
    :class:`Contents` checks them), the host in the reserved sectors, ``files`` in the root."""
    system = programs.code("embedded")
    sector = system[:LINGER_OFFSET] + bytes([linger]) + system[LINGER_OFFSET + 1 : SECTOR]
    return build_image(embedded_format(floppy), sector, files, epoch, reserved=system[SECTOR:])


def embedded_floppy(floppy: VolumeFormat, contents: Contents) -> bytes:
    """A self-booting Almostism floppy (or volume): ALMOST.COM and ``contents``."""
    files = [*liturgy_files(contents.scripture), *contents.extra]
    return embedded_image(floppy, files, contents.epoch, contents.linger)
