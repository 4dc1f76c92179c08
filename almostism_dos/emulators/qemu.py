"""QEMU: boot a floppy image headless with the console on stdio, driven by pexpect.

SeaBIOS mirrors the text screen to the serial port when QEMU runs with ``-nographic``, so the FreeDOS
(or embedded) session is readable on standard output as it happens. That mirror is driven by the BIOS
timer tick, and what it still holds when the guest switches itself off is lost: measured, the last
three characters of the result line (``0``, CR, LF) in 10 of 10 boots. So QEMU keeps the powered-off
machine (``-no-shutdown``), and at QMP's ``SHUTDOWN`` event this wrapper copies the VGA text screen from
video memory (``pmemsave`` of B8000h) and saves the picture if one is wanted, then quits QEMU; the
screen is redrawn from that copy, which is what the guest really showed. A picture is moved into place
as every output is (never through a link); a screendump QEMU refused is said in the outcome, not taken
for one saved.
"""

from __future__ import annotations

import contextlib
import os
import socket
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, TextIO

from ..fat12 import ImageError
from ..formats import disk_geometry
from ..result_line import LONGEST_LINGER
from ..scratch import private_directory
from ..text_screen import TEXT_BYTES, TEXT_MEMORY
from .base import Emulator, EmulatorExited, require
from .pseudo_terminal import spawn

if TYPE_CHECKING:
    from ..screen import Observer, Screen

PROGRAM = "qemu-system-i386"
PACKAGE = "qemu-system-x86"


# Enter, as QMP presses it; its answer carries the id "key", which no command of ours uses.
_KEY = b'{"execute": "send-key", "arguments": {"keys": [{"type": "qcode", "data": "ret"}]}, "id": "key"}\n'
_SOCKET_PATH_LIMIT = 107  # bytes in an AF_UNIX socket's path on Linux (sun_path, less its final NUL)


def _scratch_home() -> str | None:
    """Where the QEMU scratch directory (the QMP socket's) goes: the temporary directory, unless the
    socket's path there would be longer than AF_UNIX allows (a deep TMPDIR: binding raised "AF_UNIX path
    too long", a traceback, under pytest's per-test TMPDIR); then /tmp, which every Linux has."""
    # (the name: the prefix, the process id, 8 random letters)
    socket_path = Path(tempfile.gettempdir(), f"almostism-qemu-{os.getpid()}-12345678", "qmp.sock")
    return None if len(os.fsencode(socket_path)) <= _SOCKET_PATH_LIMIT else "/tmp"


def drive_value(path: Path) -> str:
    """``path`` as a value in QEMU's comma-separated option syntax: every comma doubled."""
    return str(path).replace(",", ",,")


def drives(image: Path, boot_as: str = "floppy", read_only: bool = False) -> list[str]:
    """QEMU's options attaching ``image`` as ``boot_as`` (drive A:, the first IDE disk, or a USB stick on
    an EHCI controller) and booting from it:
    SeaBIOS gives a disk DL = 80h and its own geometry.

    The stick is a SCSI disk with a geometry of its own behind a USB bulk-only transport, not QEMU's plain
    ``usb-storage``: SeaBIOS takes a stick's geometry from its SCSI mode page only where the sector count
    divides evenly by its heads x cylinders, and QEMU's guess for an image without a partition table
    (2 cylinders x 16 heads below 1008 sectors) leaves 180 and 360 KB images unbootable ("could not read
    the boot disk", measured). An image no geometry fits is an :class:`~almostism_dos.fat12.ImageError`."""
    file = f"file={drive_value(image)},format=raw" + (",readonly=on" if read_only else "")
    if boot_as == "floppy":
        return ["-drive", f"{file},if=floppy,index=0", "-boot", "order=a"]
    if boot_as == "disk":
        return ["-drive", f"{file},if=ide,index=0", "-boot", "order=c"]
    if boot_as == "usb":
        try:
            cylinders, heads, per_track = disk_geometry(image.stat().st_size // 512)
        except ValueError as error:
            raise ImageError(f"{image}: {error}") from None
        geometry = f"cyls={cylinders},heads={heads},secs={per_track}"
        return [
            "-device", "usb-ehci,id=ehci",
            "-device", "usb-bot,id=stick,bus=ehci.0",
            "-drive", f"if=none,id=stick-disk,{file}",
            "-device", f"scsi-hd,bus=stick.0,drive=stick-disk,bootindex=0,{geometry}",
        ]  # fmt: skip
    raise ValueError(f"{boot_as}: QEMU boots a floppy, a disk or a USB stick")


def command(
    image: Path,
    read_only: bool = False,
    qmp: Path | None = None,
    program: str | None = None,
    boot_as: str = "floppy",
) -> list[str]:
    """The QEMU command line for booting ``image`` as ``boot_as``; with ``qmp``, QEMU connects there and
    waits, powered off, to be told to quit (without it, QEMU alone: it ends at the power-off)."""
    line = [
        program or require(PROGRAM, PACKAGE),
        "-nographic",  # no window; the serial console (and SeaBIOS's text mirror) on stdio
        "-no-user-config",
        "-machine", "pc",
        "-m", "16",
        "-nic", "none",  # no network, no option ROM to wait for
        *drives(image, boot_as, read_only),
        "-no-reboot",  # a reset (triple fault) ends QEMU instead of booting again
    ]  # fmt: skip
    if qmp is not None:
        line += ["-qmp", f"unix:{drive_value(qmp)}", "-no-shutdown"]  # QEMU connects to our listening socket
    return line


@dataclass
class Qemu(Emulator):
    """QEMU with SeaBIOS: the console on stdio, read through a pseudo-terminal by pexpect."""

    name: ClassVar[str] = "qemu"
    title: ClassVar[str] = "QEMU"
    program: ClassVar[str] = PROGRAM
    package: ClassVar[str] = PACKAGE
    typical_seconds: ClassVar[float] = 0.28  # (measured: run --keep, 1.44 MB, 2 cores)
    screenshot: Path | None = None  # save the final VGA text screen here (QMP screendump)
    write_protected: bool = False  # attach the floppy read-only, as a write-protect tab does
    boot_as: str = "floppy"  # or "disk" (IDE) or "usb" (a stick on EHCI)
    boots_as: ClassVar[tuple[str, ...]] = ("floppy", "disk", "usb")
    version_said: ClassVar[str] = r"QEMU emulator version [^\n(]+"
    protects_as: ClassVar[tuple[str, ...]] = ("floppy", "usb")  # (an IDE disk: "Block node is read-only")

    def _boot(
        self, program: str, image: Path, timeout: float, screen: Screen, observer: Observer | None
    ) -> tuple[int | None, bool]:

        with private_directory("qemu", _scratch_home()) as scratch:
            work = Path(scratch)
            qmp = Qmp(work / "qmp.sock")
            picture = work / "screen.png" if self.screenshot is not None else None
            watcher = threading.Thread(
                target=qmp.at_shutdown, args=(work / "text-screen.bin", picture, timeout), daemon=True
            )
            watcher.start()
            child = spawn(command(image, self.write_protected, work / "qmp.sock", program, self.boot_as))
            from ..console import follow, show_video_memory  # (loaded while QEMU starts)

            errorlevel, exited = follow(child, screen, timeout, observer, press_key=qmp.press_key)
            qmp.stop()
            watcher.join(timeout=5)
            if exited and errorlevel is None and child.exitstatus:  # QEMU refused to start: it says why
                raise EmulatorExited(self.title, child.exitstatus, screen.text())
            if (work / "text-screen.bin").is_file():  # what the guest showed when it switched off
                errorlevel = show_video_memory((work / "text-screen.bin").read_bytes(), screen, observer)
            if picture is not None and self.screenshot is not None:
                self._keep_screenshot(qmp, picture, self.screenshot)
            return errorlevel, exited

    def _keep_screenshot(self, qmp: Qmp, picture: Path, wanted: Path) -> None:
        """Move the saved picture to ``wanted``; else say why there is none."""
        from ..outputs import OutputError, write_atomically

        if qmp.error is not None or not picture.is_file():
            self.unsaved = f"no screenshot: QEMU said {qmp.error or 'nothing'}"
            return
        try:
            write_atomically(wanted, picture.read_bytes(), force=True)
        except (OutputError, OSError) as error:
            self.unsaved = f"no screenshot: {error}"


class Qmp:
    """A minimal QMP server end: QEMU connects to it; at power-off, copy the screen, then quit QEMU.

    Listening before QEMU starts means there is no race for the socket. QEMU sends no event before the
    capabilities are negotiated, so a guest that switched off before that (a loaded machine, a quick
    floppy) is found by asking for the run state. Seen once: under two test workers a FreeDOS boot
    showed every line, then waited out its whole timeout; a SHUTDOWN sent before the negotiation is
    the one way to that this code had (a hang of the screendump would be the other; not reproduced).
    """

    def __init__(self, path: Path) -> None:
        self.error: str | None = None  # what QEMU answered to the screendump, if it refused it
        self.events: set[str] = set()  # every event QEMU has sent so far
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(str(path))
        self.server.listen(1)
        self._connection: socket.socket | None = None  # once QEMU has connected and negotiated
        self._sending = threading.Lock()  # the key is pressed from the thread that reads the screen
        self._key_wanted = False  # pressed before the negotiation was over: sent when it is
        self._asked = 0  # the id of the last command: answers are matched by it

    def press_key(self) -> None:
        """Press Enter on the guest's keyboard (QMP ``send-key``): a ``--linger`` countdown ends at once.
        Its answer is read, and passed over, by the thread waiting for the power-off."""
        with self._sending:
            if self._connection is None:
                self._key_wanted = True
                return
            with contextlib.suppress(OSError):  # (QEMU has gone: nothing left to cut short)
                self._connection.sendall(_KEY)

    def stop(self) -> None:
        """Stop waiting for QEMU to connect (it has ended, or never started).

        Closing the socket alone does not wake a thread blocked in ``accept`` on Linux: a QEMU that
        refused to start was reported only when the wait for that thread gave up, 5 s later
        (measured: 5.15 s). Shutting the socket down first ends the ``accept`` at once."""
        with contextlib.suppress(OSError):  # (QEMU connected and it is no longer listening)
            self.server.shutdown(socket.SHUT_RDWR)
        self.server.close()

    def at_shutdown(self, text_screen: Path, png: Path | None, timeout: float) -> None:
        """Block until the guest powers off; then copy the text screen's memory to ``text_screen``,
        save the VGA screen as ``png`` if wanted, and quit QEMU."""
        try:
            self.server.settimeout(timeout)  # (an OSError too if stop() came first: seen under load)
            connection, _ = self.server.accept()
        except OSError:
            return  # stopped: QEMU never connected
        connection.settimeout(timeout + LONGEST_LINGER + 10)  # (follow() ends QEMU at its own deadline)
        reader = connection.makefile("r", encoding="utf-8")
        try:
            reader.readline()  # greeting
            self._ask(connection, reader, {"execute": "qmp_capabilities"})
            with self._sending:
                self._connection = connection
                if self._key_wanted:
                    connection.sendall(_KEY)
            state = (self._ask(connection, reader, {"execute": "query-status"}) or {}).get("return")
            off = isinstance(state, dict) and state.get("status") == "shutdown"
            if not off and "SHUTDOWN" not in self.events:
                self._until(reader, lambda message: message.get("event") == "SHUTDOWN")
            memory = {"val": TEXT_MEMORY, "size": TEXT_BYTES, "filename": str(text_screen)}
            self._ask(connection, reader, {"execute": "pmemsave", "arguments": memory})
            if png is not None:
                picture = {"filename": str(png), "format": "png"}
                answer = self._ask(connection, reader, {"execute": "screendump", "arguments": picture})
                if answer is None or "error" in answer:
                    self.error = str((answer or {}).get("error", "no answer"))
            with self._sending:
                self._connection = None  # (no key after the quit)
                connection.sendall(b'{"execute": "quit", "id": "quit"}\n')
            # Its answer, or EOF as QEMU exits: not merely the next line, which may be the key's answer
            # or an event (closing on one of those, QEMU was seen to drop the quit: a 60 s time-out).
            self._until(reader, lambda message: message.get("id") == "quit")
        except OSError:
            pass  # QEMU went away: the run reports what the console showed
        finally:
            connection.close()
            self.server.close()

    def _ask(
        self, connection: socket.socket, reader: TextIO, request: dict[str, object]
    ) -> dict[str, object] | None:
        """Send one command; its answer (None if QEMU hung up first)."""
        import json  # (loaded in this thread, while the guest runs)

        self._asked += 1
        asked = self._asked
        with self._sending:
            connection.sendall(json.dumps({**request, "id": asked}).encode() + b"\n")
        # (an answer carries the id it was asked with; "key" is the key's, which is passed over)
        return self._until(
            reader,
            lambda message: ("return" in message or "error" in message) and message.get("id", asked) == asked,
        )

    def _until(self, reader: TextIO, wanted: Callable[[dict[str, object]], bool]) -> dict[str, object] | None:
        """The first message ``wanted`` accepts (every event on the way is kept); None if QEMU hung up."""
        import json

        for line in reader:
            message = json.loads(line)
            if "event" in message:
                self.events.add(str(message["event"]))
            if wanted(message):
                return message  # type: ignore[no-any-return]
        return None
