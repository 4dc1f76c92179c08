"""Bochs: a second BIOS lineage (its own rombios and the LGPL VGA BIOS), its screen drawn by curses.

Debian's Bochs has no headless display and has its debugger compiled in. With the debugger, the ``term``
display opens a pseudo-terminal of its own, says ``Bochs connected to screen "/dev/pts/N"`` and draws the
VGA text screen there with curses, while Bochs itself waits at its debugger prompt. So: start Bochs in a
pseudo-terminal (pexpect), read the screen's path, open that terminal in raw mode with nothing echoed
back (what curses draws must never return to Bochs as keystrokes), then answer the prompt with ``c``
(continue). The drawing is rendered by the same terminal layer as QEMU's console.

No path of the user's reaches the configuration file: Bochs runs in a private directory where
``floppy.img`` links to the image, so a name holding a quote or a line break cannot add a line to it.

The guest's APM power-off reaches Bochs's shutdown port; Bochs ends with "Shutdown port: shutdown
requested", the orderly exit. Its term display redraws from video memory only 40 times a second of
emulated time, and what it drew last is lost when Bochs exits before we have read it (a pseudo-terminal
drops unread output when its far end closes): measured, on a loaded machine (two test workers on two
cores) a boot now and then ended with the result line missing. So, as QEMU's wrapper does, the last
screen comes from video memory: a debugger breakpoint stops Bochs where its BIOS's APM code is about to
switch off (:func:`power_off_entries`), ``writemem`` copies B8000h, and only then does Bochs quit.

Emulated time runs as fast as the host allows (``clock: sync=none``), and one emulated second is a
million instructions (``cpu: ips=1000000``, the least Bochs takes; its default is four million): the
floppy controller's waits are emulated time, so a 5.25" disk's slow data rate cost a FreeDOS boot from
160 KB 7.0 s at the default and costs 2.2 s so (1.44 MB FreeDOS 1.13 → 0.93 s; self-booting 0.55 →
0.52 s; medians of 3).
"""

from __future__ import annotations

import contextlib
import glob
import os
import re
import termios
import threading
import tty
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from ..console import follow
from ..fat12 import ImageError
from ..formats import FORMATS, disk_geometry
from ..result_line import LONGEST_LINGER
from ..scratch import private_directory
from ..stop_signals import start_thread
from ..text_screen import COLUMNS, ROWS, TEXT_BYTES, TEXT_MEMORY
from .base import TEXT_DUMP, Emulator, EmulatorExited, EmulatorMissing, require
from .pseudo_terminal import spawn

if TYPE_CHECKING:
    from ..screen import Observer, Screen

PROGRAM = "bochs"
PACKAGE = "bochs bochsbios vgabios bochs-term"
ROM = Path("/usr/share/bochs/BIOS-bochs-latest")  # rombios, from bochsbios
VGA_ROM = Path("/usr/share/vgabios/vgabios.bin")  # the LGPL VGA BIOS, from vgabios
TERM_DISPLAY = "/usr/lib/*/bochs/plugins/libbx_term_gui.so"  # the term display, from bochs-term
SHUTDOWN = "Shutdown port: shutdown requested"  # Bochs's last words after an APM power-off
_CONNECTED = r'Bochs connected to screen "([^"]+)"'
_PROMPT = r"<bochs:\d+> "
_START_TIMEOUT = 30.0  # seconds for Bochs to reach its first debugger prompt

# Every floppy size we build, by Bochs's name for that medium (and a drive that takes it): "360k" below a
# megabyte, "1_44" from there on.
MEDIA = {kb: f"{kb}k" if kb < 1000 else f"{kb / 1000:g}".replace(".", "_") for kb in FORMATS}

_CONFIG = """\
megs: 16
romimage: file="{rom}"
vgaromimage: file="{vga_rom}"
vga: extension=none, update_freq=40, realtime=0
{drive}
display_library: term
speaker: enabled=0
sound: driver=dummy
clock: sync=none
cpu: ips=1000000
log: "{log}"
panic: action=fatal
error: action=report
info: action=report
"""


_SAFE_NAME = re.compile(r"[\w./-]+")  # what a path in the configuration may hold: nothing to quote


def _drive(image: Path, write_protected: bool, size: int, boot_as: str) -> str:
    """The bochsrc lines attaching ``image`` (``size`` bytes) as ``boot_as`` and booting from it."""
    if boot_as == "disk":
        if write_protected:  # (Bochs.protects_as keeps the command line from asking)
            raise ValueError("Bochs has no write-protected hard disk")
        if size % 512:
            raise ImageError(f"{image}: {size} bytes is not whole sectors")
        try:
            cylinders, heads, per_track = disk_geometry(size // 512)
        except ValueError as error:
            raise ImageError(f"{image}: {error}") from None
        return (
            f'ata0-master: type=disk, path="{image}", mode=flat, '
            f"cylinders={cylinders}, heads={heads}, spt={per_track}\nboot: disk"
        )
    kilobytes = size // 1024
    if kilobytes not in MEDIA:
        raise ImageError(
            f"{image}: {kilobytes} KB is no floppy size Bochs knows ({', '.join(map(str, MEDIA))})"
        )
    status = f"status=inserted, write_protected={int(write_protected)}"
    return f'floppya: {MEDIA[kilobytes]}="{image}", {status}\nboot: floppy'


def configuration(
    image: Path,
    log: Path,
    write_protected: bool = False,
    kilobytes: int | None = None,
    boot_as: str = "floppy",
) -> str:
    """The bochsrc for booting ``image`` as ``boot_as`` (drive A:, or the first ATA disk), emulated time
    running as fast as it can.

    ``image`` and ``log`` must be plain names (letters, digits, ``_ . / -``); :class:`ValueError` else.
    ``kilobytes``: the image's size, when ``image`` is not yet there to measure; a size that is no
    floppy Bochs knows (or, as a disk, no geometry) is an :class:`~almostism_dos.fat12.ImageError`."""
    for path in (image, log):
        if not _SAFE_NAME.fullmatch(str(path)):
            raise ValueError(f"{path}: not a name to write into a Bochs configuration")
    size = image.stat().st_size if kilobytes is None else kilobytes * 1024
    return _CONFIG.format(
        rom=ROM, vga_rom=VGA_ROM, drive=_drive(image, write_protected, size, boot_as), log=log
    )


def power_off_entries(rom: bytes) -> list[int]:
    """The linear addresses where the BIOS in ``rom`` (mapped to end at 1 MB) switches the machine off:
    each 16-bit copy of its APM code's ``cli; mov dx, 8900h; mov ax, ...`` before the "Shutdown" string
    goes to Bochs's shutdown port. Empty for a BIOS without one (then Bochs's own exit ends the boot)."""
    pattern = b"\xfa\xba\x00\x89\xb8"
    found, at = [], rom.find(pattern)
    while at >= 0:
        found.append(0x100000 - len(rom) + at)
        at = rom.find(pattern, at + 1)
    return found


def _open_screen(path: str) -> int:
    """Open the far end of Bochs's screen terminal: raw, so nothing is echoed back or held for a line."""
    fd = os.open(path, os.O_RDWR | os.O_NOCTTY)
    tty.setraw(fd)
    termios.tcflush(fd, termios.TCOFLUSH)  # echoes of what curses drew before we got here: never keys
    return fd


def _press(screen_fd: int) -> None:
    """Press Enter on the guest's keyboard: the term display reads its keys from its own terminal."""
    with contextlib.suppress(OSError):  # (Bochs has gone: nothing left to cut short)
        os.write(screen_fd, b"\r")


@dataclass
class Bochs(Emulator):
    """Bochs with its own BIOS: the screen read from its curses display, the power-off its exit."""

    name: ClassVar[str] = "bochs"
    title: ClassVar[str] = "Bochs"
    program: ClassVar[str] = PROGRAM
    package: ClassVar[str] = PACKAGE
    typical_seconds: ClassVar[float] = 0.26  # (measured: run --keep, 1.44 MB, 2 cores)
    write_protected: bool = False  # the floppy's write-protect tab set (Bochs's write_protected=1)
    boot_as: str = "floppy"  # or "disk": the first ATA disk, with a geometry of its own
    boots_as: ClassVar[tuple[str, ...]] = ("floppy", "disk")
    version_asked: ClassVar[tuple[str, ...]] = ("--help",)  # (it has no --version; its help's banner says it)
    version_said: ClassVar[str] = r"Bochs x86 Emulator \S+"

    def executable(self) -> str:
        path = require(PROGRAM, PACKAGE)
        if not (ROM.exists() and VGA_ROM.exists() and glob.glob(TERM_DISPLAY)):
            missing = "Bochs's BIOS or term display is not installed"
            raise EmulatorMissing(f"{missing} (Debian/Ubuntu: sudo apt-get install {PACKAGE})")
        return path

    def _boot(
        self, program: str, image: Path, timeout: float, screen: Screen, observer: Observer | None
    ) -> tuple[int | None, bool]:
        import pexpect
        from pexpect import fdpexpect

        with private_directory("bochs") as scratch:
            work = Path(scratch)
            (work / "floppy.img").symlink_to(image.resolve())  # (our own link, in our own directory)
            kilobytes = image.stat().st_size // 1024
            rc = configuration(
                Path("floppy.img"), Path("bochs.log"), self.write_protected, kilobytes, self.boot_as
            )
            (work / "bochsrc").write_text(rc)
            environment = {
                "TERM": "vt100",
                "LINES": str(ROWS),
                "COLUMNS": str(COLUMNS),
                "LANG": "C",
                "LC_ALL": "C",
            }
            bochs = spawn([program, "-q", "-f", "bochsrc"], environment, cwd=work)
            try:
                try:
                    bochs.expect(_CONNECTED, timeout=min(timeout, _START_TIMEOUT))
                    fd = _open_screen(bochs.match.group(1))
                    bochs.expect(_PROMPT, timeout=min(timeout, _START_TIMEOUT))
                except pexpect.EOF:
                    bochs.close()
                    raise EmulatorExited(self.title, bochs.exitstatus, str(bochs.before)) from None
                except pexpect.TIMEOUT:
                    screen.feed(str(bochs.before))  # what Bochs said, for the last lines
                    return None, False
                for address in power_off_entries(ROM.read_bytes()):
                    bochs.sendline(f"lb {address:#x}")  # stop where the BIOS switches off
                    bochs.expect(_PROMPT, timeout=min(timeout, _START_TIMEOUT))
                display = fdpexpect.fdspawn(fd, encoding="latin-1", codec_errors="replace")
                followed: list[tuple[int | None, bool]] = []
                drawing = threading.Thread(
                    target=lambda: followed.append(
                        follow(display, screen, timeout, observer, stop=bochs, press_key=lambda: _press(fd))
                    )
                )
                bochs.sendline("c")  # continue: the machine runs until it switches itself off
                start_thread(drawing)
                # (follow() ends Bochs at its own deadline, which a countdown may carry past ``timeout``)
                waiting = timeout + LONGEST_LINGER + 10
                switching_off = bochs.expect([_PROMPT, pexpect.EOF, pexpect.TIMEOUT], timeout=waiting) == 0
                if switching_off:  # at the breakpoint: the last screen, from video memory, into its directory
                    bochs.sendline(
                        f'writemem "{TEXT_DUMP}" {TEXT_MEMORY:#x} {TEXT_BYTES}'
                    )  # (in its directory)
                    bochs.expect(_PROMPT, timeout=_START_TIMEOUT)
                    bochs.sendline("q")
                drawing.join()
                errorlevel, ended = followed[0] if followed else (None, False)
                with contextlib.suppress(pexpect.TIMEOUT):
                    bochs.expect(pexpect.EOF, timeout=5)  # its last words: why it ended
                last_words = str(bochs.before)
                errorlevel = self._shown_dump(work, screen, observer, errorlevel)
            finally:
                bochs.terminate(force=True)
                bochs.close()
        return errorlevel, (ended and SHUTDOWN in last_words) or switching_off
