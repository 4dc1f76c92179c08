"""QEMU: boot a floppy image headless with the console on stdio, driven by pexpect.

SeaBIOS mirrors the text screen to the serial port when QEMU runs with ``-nographic``, so the FreeDOS
(or embedded) session is readable on standard output. The guest's APM power-off ends QEMU by itself.
With a screenshot wanted, QEMU keeps the powered-off machine (``-no-shutdown``) until QMP has saved
the screen into a private directory, then quits; the picture is then moved into place as every output
is (never through a link). A screenshot QEMU refused is said in the outcome, not taken for one saved.
"""

from __future__ import annotations

import json
import socket
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, TextIO

from ..screen import Screen
from .base import Emulator, EmulatorExited, Observer, RunOptions, require
from .pseudo_terminal import spawn

PROGRAM = "qemu-system-i386"
PACKAGE = "qemu-system-x86"


def drive_value(path: Path) -> str:
    """``path`` as a value in QEMU's comma-separated option syntax: every comma doubled."""
    return str(path).replace(",", ",,")


def command(image: Path, read_only: bool = False, qmp: Path | None = None) -> list[str]:
    """The QEMU command line for booting ``image`` from drive A:."""
    drive = f"file={drive_value(image)},format=raw,if=floppy,index=0" + (",readonly=on" if read_only else "")
    line = [
        require(PROGRAM, PACKAGE),
        "-nographic",  # no window; the serial console (and SeaBIOS's text mirror) on stdio
        "-no-user-config",
        "-machine", "pc",
        "-m", "16",
        "-nic", "none",  # no network, no option ROM to wait for
        "-drive", drive,
        "-boot", "order=a",
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
    accepts: ClassVar[frozenset[str]] = frozenset({"screenshot", "write_protected"})

    screenshot: Path | None = None  # save the final VGA text screen here (QMP screendump)
    write_protected: bool = False  # attach the floppy read-only, as a write-protect tab does

    @classmethod
    def create(cls, options: RunOptions) -> Qemu:
        return cls(options.screenshot, options.write_protected)

    def _boot(
        self, image: Path, timeout: float, screen: Screen, observer: Observer | None, log: Path | None
    ) -> tuple[int | None, bool]:
        from ..console import follow

        with tempfile.TemporaryDirectory(prefix="almostism-qemu-") as scratch:
            qmp_path = Path(scratch) / "qmp.sock" if self.screenshot else None
            picture = Path(scratch) / "screen.png"
            server = Qmp(qmp_path) if qmp_path is not None else None
            saver = None
            if server is not None:
                saver = threading.Thread(
                    target=server.screenshot_at_shutdown, args=(picture, timeout), daemon=True
                )
                saver.start()
            child = spawn(command(image, self.write_protected, qmp_path))
            errorlevel, exited = follow(child, screen, timeout, observer, log)
            if saver is not None:
                saver.join(timeout=5)
            if exited and errorlevel is None and child.exitstatus:  # QEMU refused to start: it says why
                raise EmulatorExited(self.title, child.exitstatus, screen.text())
            if server is not None and self.screenshot is not None:
                self._keep_screenshot(server, picture, self.screenshot)
            return errorlevel, exited

    def _keep_screenshot(self, server: Qmp, picture: Path, wanted: Path) -> None:
        """Move the saved picture to ``wanted``; else say why there is none."""
        from ..outputs import OutputError, write_atomically

        if server.error is not None or not picture.is_file():
            self.unsaved = f"no screenshot: QEMU said {server.error or 'nothing'}"
            return
        try:
            write_atomically(wanted, picture.read_bytes(), force=True)
        except (OutputError, OSError) as error:
            self.unsaved = f"no screenshot: {error}"


class Qmp:
    """A minimal QMP server end: QEMU connects to it; wait for power-off, save the screen, quit.

    Listening before QEMU starts means there is no race for the socket.
    """

    def __init__(self, path: Path) -> None:
        self.error: str | None = None  # what QEMU answered to the screendump, if it refused it
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(str(path))
        self.server.listen(1)

    def screenshot_at_shutdown(self, png: Path, timeout: float) -> None:
        """Block until the guest powers off, then write the VGA text screen to ``png`` and quit QEMU."""
        self.server.settimeout(timeout)
        try:
            connection, _ = self.server.accept()
        except OSError:
            return
        connection.settimeout(timeout)
        reader = connection.makefile("r", encoding="utf-8")
        try:
            reader.readline()  # greeting
            connection.sendall(b'{"execute": "qmp_capabilities"}\n')
            self._until(reader, lambda message: message.get("event") == "SHUTDOWN")
            request = {"execute": "screendump", "arguments": {"filename": str(png), "format": "png"}}
            connection.sendall(json.dumps(request).encode() + b"\n")
            answer = self._until(reader, lambda message: "return" in message or "error" in message)
            if answer is None or "error" in answer:
                self.error = str((answer or {}).get("error", "no answer"))
            connection.sendall(b'{"execute": "quit"}\n')
            reader.readline()  # its answer, or EOF as QEMU exits
        except OSError:
            pass  # QEMU went away: the run reports what the console showed
        finally:
            connection.close()
            self.server.close()

    @staticmethod
    def _until(reader: TextIO, wanted: Callable[[dict[str, object]], bool]) -> dict[str, object] | None:
        """The first message ``wanted`` accepts; None if QEMU hung up first."""
        for line in reader:
            message = json.loads(line)
            if wanted(message):
                return message  # type: ignore[no-any-return]
        return None
