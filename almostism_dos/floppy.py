"""The Almostism floppy: which files go on it, and what runs at boot.

A FreeDOS floppy boots the kernel, which reads FDCONFIG.SYS (no boot-menu delay) and starts COMMAND.COM
on AUTOEXEC.BAT: run ALMOST.COM, print ``ALMOSTISM RESULT errorlevel=N``, say whether the scripture is
still there, power off (POWEROFF.COM: APM, or a message and a halt on a PC without APM).

An embedded floppy boots our own host (asm/boot.asm, asm/host.asm) from the reserved sectors; it runs the
same ALMOST.COM, prints the same result line and powers off the same way.
"""

from __future__ import annotations

from dataclasses import replace

from . import programs, reference
from .fat12 import ATTR_ARCHIVE
from .formats import SECTOR, FloppyFormat
from .freedos import FreeDos
from .image import ImageFile, build_image
from .programs import ALMOST, POWEROFF
from .result_line import RESULT_PREFIX
from .scripture import SCRIPTURE_FILE

FDCONFIG = "\r\n".join(
    [
        "SWITCHES=/N /F",  # no F5/F8 prompt, no boot delay
        "FILES=20",
        "BUFFERS=20",
        "SHELL=A:\\COMMAND.COM A:\\ /E:512 /P=A:\\AUTOEXEC.BAT",
        "",
    ]
)
AUTOEXEC = "\r\n".join(
    [
        "@ECHO OFF",
        f"A:\\{ALMOST}",
        f"ECHO {RESULT_PREFIX}%ERRORLEVEL%",
        f"IF EXIST A:\\{SCRIPTURE_FILE} ECHO {SCRIPTURE_FILE} is still on the floppy",  # (DIR cost 0.26 s)
        f"IF NOT EXIST A:\\{SCRIPTURE_FILE} ECHO {SCRIPTURE_FILE} is gone",
        f"A:\\{POWEROFF}",
        "",
    ]
)


def liturgy_files(unique: int) -> list[ImageFile]:
    """ALMOST.COM and the scripture."""
    return [ImageFile(ALMOST, programs.almost_bytes()), ImageFile(SCRIPTURE_FILE, reference.build(unique))]


def freedos_files(freedos: FreeDos, unique: int) -> list[ImageFile]:
    """Everything on a FreeDOS Almostism floppy, in directory order."""
    return [
        ImageFile("KERNEL.SYS", freedos.kernel, freedos.kernel_attributes),
        ImageFile("COMMAND.COM", freedos.shell, ATTR_ARCHIVE),
        ImageFile("FDCONFIG.SYS", FDCONFIG.encode("ascii")),
        ImageFile("AUTOEXEC.BAT", AUTOEXEC.encode("ascii")),
        *liturgy_files(unique),
        ImageFile(POWEROFF, programs.code("poweroff")),
    ]


def freedos_floppy(floppy: FloppyFormat, freedos: FreeDos, unique: int, epoch: int) -> bytes:
    """The bytes of a FreeDOS Almostism floppy."""
    return build_image(floppy, freedos.boot_code, freedos_files(freedos, unique), epoch)


def embedded_format(floppy: FloppyFormat) -> FloppyFormat:
    """``floppy`` with room for the host: the boot sector, then the host's sectors, are reserved."""
    host = programs.code("embedded")[SECTOR:]
    return replace(floppy, reserved_sectors=1 + -(-len(host) // SECTOR))


def embedded_image(floppy: FloppyFormat, files: list[ImageFile], epoch: int) -> bytes:
    """A self-booting floppy: boot sector, the host in the reserved sectors, ``files`` in the root."""
    system = programs.code("embedded")
    return build_image(embedded_format(floppy), system[:SECTOR], files, epoch, reserved=system[SECTOR:])


def embedded_floppy(floppy: FloppyFormat, unique: int, epoch: int) -> bytes:
    """A self-booting Almostism floppy: ALMOST.COM and this build's scripture."""
    return embedded_image(floppy, liturgy_files(unique), epoch)
