"""QEMU: boot a floppy image headless with the console on stdio, driven by pexpect.

SeaBIOS mirrors the text screen to the serial port when QEMU runs with ``-nographic``, so the FreeDOS
(or embedded) session is readable on standard output. The guest's APM power-off ends QEMU by itself.
With a screenshot wanted, QEMU keeps the powered-off machine (``-no-shutdown``) until QMP has saved
the screen, then quits.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

import pexpect

from . import require

PROGRAM = "qemu-system-i386"
PACKAGE = "qemu-system-x86"


def command(image: Path, read_only: bool = False, qmp: Path | None = None) -> list[str]:
    """The QEMU command line for booting ``image`` from drive A:."""
    drive = f"file={image},format=raw,if=floppy,index=0" + (",readonly=on" if read_only else "")
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
        line += ["-qmp", f"unix:{qmp}", "-no-shutdown"]  # QEMU connects to our listening socket
    return line


def spawn(image: Path, timeout: float, read_only: bool = False, qmp: Path | None = None) -> pexpect.spawn:
    """Start QEMU on ``image``; the caller reads its console with pexpect."""
    program, *arguments = command(image, read_only, qmp)
    child = pexpect.spawn(program, arguments, timeout=timeout, encoding="latin-1", codec_errors="replace")
    child.delayafterclose = 0.0  # pexpect and ptyprocess each sleep 0.1 s in close() by default,
    child.ptyproc.delayafterclose = 0.0  # though QEMU has long exited when we close
    child.delayafterterminate = 0.05
    return child


class Qmp:
    """A minimal QMP server end: QEMU connects to it; wait for power-off, save the screen, quit.

    Listening before QEMU starts means there is no race for the socket.
    """

    def __init__(self, path: Path) -> None:
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
            self._until(reader, lambda message: "return" in message or "error" in message)
            connection.sendall(b'{"execute": "quit"}\n')
            reader.readline()  # its answer, or EOF as QEMU exits
        except OSError:
            pass  # QEMU went away: the run reports what the console showed
        finally:
            connection.close()
            self.server.close()

    @staticmethod
    def _until(reader: TextIO, wanted: Callable[[dict[str, object]], bool]) -> None:
        for line in reader:
            if wanted(json.loads(line)):
                return
