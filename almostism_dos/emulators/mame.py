"""MAME's IBM PC (5150) and PC/XT (5160): the original machine, as a hobbyist's real one is.

An 8088 at 4.77 MHz, an IBM-compatible BIOS (IBM's own ROMs, or the free GLaBIOS built in their place),
the NEC uPD765 floppy controller with DMA, CGA. MAME needs the machine's ROMs: ``--rompath`` or
``ALMOSTISM_MAME_ROMS`` names the directory that holds them (``ibm5160/``, ``ibm5150/`` and ``cga/``, as
MAME names its sets); without either, MAME's own ROM directories are searched.

MAME runs headless (``-video none``) as fast as it can (``-nothrottle``: about 12 times an XT's speed
here). It has no console to read, so a Lua script it runs (:func:`lua_script`) reads the CGA text screen
from video memory after every frame and, when it changed, writes its characters as one line of hex to a
pipe we read (handed to MAME as an open file descriptor; what MAME itself prints goes to a log). An XT
has no APM: the image ends with the no-APM line and halts there, so the script ends MAME when that line
is on the screen. MAME writes the floppy back into the image file as it exits; what it wrote is what the
liturgy is judged by. Its exit status is not (it ends with SIGSEGV now and then after the script ends
it: measured in ``../shared/mame-xt``'s README).

The XT's drives: 5.25" double density (160, 180, 320, 360 KB) by default; a 3.5" 720 KB drive
(``-isa3:fdc_xt:fdc:0 35dd``) for a 720 KB image. It has no high-density controller, so a 1.2 MB or
larger image is refused, naming the emulators that boot it. ``-kbd ""``: no keyboard (each keyboard
MAME offers needs a ROM of its own chip); ``-isa4 ""``: no IBM hard-disk controller (it needs IBM's
``wdbios.rom``).
"""

from __future__ import annotations

import contextlib
import os
import queue
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from ..console import drain, with_the_rest
from ..result_line import NO_APM_LINE, countdown_in, halted_in, result_in
from ..scratch import private_directory
from ..stop_signals import start_thread
from ..text_screen import COLUMNS, ROWS, character_rows
from . import DEFAULT_MACHINE, MACHINES, ROMS_VARIABLE
from .base import Emulator, EmulatorMissing, require

if TYPE_CHECKING:
    from ..screen import Observer, Screen

PROGRAM = "mame"
PACKAGE = "mame"
DEBIAN_PROGRAM = Path("/usr/games/mame")  # where Debian puts it (not on every PATH)
DEBIAN_ROM_PATHS = (Path("/usr/local/share/games/mame/roms"), Path("/usr/share/games/mame/roms"))
VIDEO_SETS = ("cga",)  # the ROM sets of the cards every machine here has, beside its own
# The floppy sizes an XT's drives take, by kilobytes, and the drive that takes each.
DRIVES: dict[int, tuple[str, ...]] = {
    160: (),
    180: (),
    320: (),
    360: (),
    720: ("-isa3:fdc_xt:fdc:0", "35dd"),
}
_FRAMES = 3  # the screen is read every third frame (20 times a second of emulated time)
_AFTER_END = 10.0  # seconds MAME may take to write the floppy back and exit once the script ends it
_AFTER_RESULT = 10.0  # seconds of wall time the end line may take after the result line (emulated: ~2 s)


def rom_path(asked: Path | None) -> list[Path]:
    """Where MAME looks for ROMs: ``asked`` (``--rompath``), else ``ALMOSTISM_MAME_ROMS``, else MAME's
    own ROM directories on Debian and in the user's home."""
    if asked is not None:
        return [asked]
    if os.environ.get(ROMS_VARIABLE):
        return [Path(os.environ[ROMS_VARIABLE])]
    return [Path.home() / "mame" / "roms", *DEBIAN_ROM_PATHS]


def missing_sets(machine: str, path: list[Path]) -> list[str]:
    """The ROM sets ``machine`` needs that no directory of ``path`` holds (as a folder or a zip)."""
    return [
        name
        for name in (machine, *VIDEO_SETS)
        if not any((d / name).is_dir() or (d / f"{name}.zip").is_file() for d in path)
    ]


def command(program: str, machine: str, roms: list[Path], image: Path, script: Path) -> list[str]:
    """MAME's command line: ``machine`` booting ``image`` from its first floppy drive, headless, as fast
    as it can, running ``script``; no keyboard, no IBM hard-disk controller, no ini file read."""
    return [
        program, machine, "-noreadconfig", "-rompath", ";".join(map(str, roms)),
        "-kbd", "", "-isa4", "", *DRIVES[image.stat().st_size // 1024],
        "-flop1", str(image.resolve()), "-video", "none", "-sound", "none", "-nothrottle",
        "-skip_gameinfo", "-autoboot_script", str(script), "-autoboot_delay", "0",
    ]  # fmt: skip


def lua_script(pipe: int, end_line: str) -> str:
    """The script MAME runs: the text screen's characters, as hex, to file descriptor ``pipe`` whenever
    they change; MAME ended once ``end_line`` is on the screen."""
    return f"""\
local space = manager.machine.devices[":maincpu"].spaces["program"]
local out = io.open("/dev/fd/{pipe}", "w")
local last, frames = nil, 0
emu.register_frame_done(function()
  frames = frames + 1
  if frames % {_FRAMES} ~= 0 then return end
  local columns = space:read_u8(0x44A)
  if columns ~= 40 then columns = 80 end
  local memory = space:read_range(0xB8000, 0xB8000 + 2 * columns * 25 - 1, 8)
  local characters = memory:gsub("(.).", "%1")
  if characters == last then return end
  last = characters
  local hex = characters:gsub(".", function(c) return string.format("%02x", c:byte()) end)
  out:write(columns, " ", space:read_u8(0x451), " ", space:read_u8(0x450), " ", hex, "\\n")
  out:flush()
  if characters:find({_lua_string(end_line)}, 1, true) then
    out:write("end\\n")
    out:close()
    manager.machine:exit()
  end
end)
"""


def _lua_string(text: str) -> str:
    """``text`` as a Lua string literal (printable ASCII only: the lines we look for are)."""
    if not all(" " <= character <= "~" for character in text):
        raise ValueError(f"{text!r}: not printable ASCII")
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def screen_of(line: str) -> tuple[list[str], tuple[int, int]] | None:
    """The text screen's rows and its cursor (row, column) from one line the script wrote (columns,
    the cursor's row and column as the BIOS keeps them, the characters in hex); None for a line that
    is not a screen."""
    try:
        columns, row, column, characters = line.split(" ")
        cells = bytes.fromhex(characters)
        cursor = (min(int(row), ROWS - 1), min(int(column), int(columns) - 1))
    except ValueError:
        return None
    return character_rows(cells, int(columns) if columns in ("40", "80") else COLUMNS), cursor


@dataclass
class Mame(Emulator):
    """MAME's IBM PC or XT with its floppy drive: the screen read from video memory by a Lua script."""

    name: ClassVar[str] = "mame"
    title: ClassVar[str] = "MAME"
    program: ClassVar[str] = PROGRAM
    package: ClassVar[str] = PACKAGE
    typical_seconds: ClassVar[float] = 3.5  # (measured: run --keep, 360 KB, 2 cores)
    floppy_kilobytes: ClassVar[tuple[int, ...] | None] = tuple(DRIVES)
    version_asked: ClassVar[tuple[str, ...]] = ("-help",)
    version_said: ClassVar[str] = r"MAME v\S+"
    machine: str | None = None  # MAME's system name: ibm5160 (the default) or ibm5150
    rompath: Path | None = None  # the directory of ROM sets (else ALMOSTISM_MAME_ROMS, else MAME's own)

    @property
    def system(self) -> str:
        return self.machine or DEFAULT_MACHINE

    @property
    def machine_title(self) -> str:
        return MACHINES[self.system]

    def executable(self) -> str:
        if self.system not in MACHINES:
            raise EmulatorMissing(f"MAME machine {self.system!r}: not one of {', '.join(MACHINES)}")
        try:
            path = require(PROGRAM, PACKAGE)
        except EmulatorMissing:
            if not DEBIAN_PROGRAM.is_file():
                raise
            path = str(DEBIAN_PROGRAM)
        missing = missing_sets(self.system, rom_path(self.rompath))
        if missing:
            where = ", ".join(str(d) for d in rom_path(self.rompath))
            raise EmulatorMissing(
                f"MAME has no ROMs for the {self.machine_title} here (missing: {', '.join(missing)} in "
                f"{where}): name their directory with --rompath DIR or {ROMS_VARIABLE}"
            )
        return path

    def refuses(self, image: bytes) -> str | None:
        kilobytes = len(image) // 1024
        if len(image) % 1024 == 0 and kilobytes in DRIVES:
            return None
        sizes = ", ".join(map(str, DRIVES))
        return (
            f"a {kilobytes} KB image fits no drive of the {self.machine_title}, whose drives take {sizes} KB "
            "floppies (no high-density controller): boot it with qemu or bochs"
        )

    def _boot(
        self, program: str, image: Path, timeout: float, screen: Screen, observer: Observer | None
    ) -> tuple[int | None, bool]:
        with private_directory("mame") as scratch:
            work = Path(scratch)
            reading, writing = os.pipe()
            (work / "screen.lua").write_text(lua_script(writing, NO_APM_LINE), encoding="ascii")
            line = command(program, self.system, rom_path(self.rompath), image, Path("screen.lua"))
            with open(work / "mame.log", "wb") as log:
                try:
                    mame = subprocess.Popen(
                        line,
                        cwd=work,  # (its cfg/ and nvram/ directories land here, not in the user's)
                        stdin=subprocess.DEVNULL,
                        stdout=log,
                        stderr=log,
                        pass_fds=(writing,),  # (the same number in MAME: the script opens /dev/fd/N)
                    )
                finally:
                    os.close(writing)
            chunks: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
            draining = threading.Thread(target=drain, args=(reading, chunks), daemon=True)
            start_thread(draining)  # (as the console's stream is drained: a pipe read has no timeout)
            try:
                return self._follow(chunks, mame, screen, observer, timeout)
            finally:
                if mame.poll() is None:
                    mame.kill()
                mame.wait()
                draining.join(timeout=5)  # (at EOF once MAME is gone: only then may its number be reused)
                os.close(reading)

    def _follow(
        self,
        chunks: queue.SimpleQueue[bytes | None],
        mame: subprocess.Popen[bytes],
        screen: Screen,
        observer: Observer | None,
        timeout: float,
    ) -> tuple[int | None, bool]:
        """Show each screen the script writes (``chunks``, as read from its pipe) until it says ``end``
        (MAME is ending: wait for it to write the floppy back) or the deadline passes; return
        (errorlevel, ended by itself)."""
        deadline, seen, ended, partial = time.monotonic() + timeout, False, False, ""
        while (left := deadline - time.monotonic()) > 0:
            try:
                data = chunks.get(timeout=left)
            except queue.Empty:
                break
            finished, data = with_the_rest(chunks, data)
            *batch, partial = (partial + data.decode("ascii", "replace")).split("\n")
            screens = [drawn for got in batch if got and got != "end" and (drawn := screen_of(got))]
            if screens:
                screen.show(*screens[-1])  # (a backlog shows only its newest screen: it is what is there)
                if observer is not None:
                    observer(screen)
                shown = "\n".join(screen.display())
                if not seen and result_in(shown) is not None:
                    seen = True
                    deadline = max(deadline, time.monotonic() + _AFTER_RESULT)
                if seen and (seconds := countdown_in(shown)) is not None:
                    deadline = max(deadline, time.monotonic() + seconds + _AFTER_RESULT)
                if not seen and halted_in(shown):
                    break  # a boot sector's or the BIOS's last words: nothing more will come
            if "end" in batch:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    mame.wait(timeout=_AFTER_END)  # (it writes the floppy back as it exits)
                ended = mame.poll() is not None
                break
            if finished:
                break
        return result_in(screen.text()), ended
