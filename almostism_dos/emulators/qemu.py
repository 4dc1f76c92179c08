"""QEMU: boot a floppy image headless with the console on stdio, read through a pseudo-terminal.

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
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, TextIO

from ..result_line import LONGEST_LINGER
from ..stop_signals import start_thread
from ..text_screen import TEXT_BYTES, TEXT_MEMORY
from . import qemu_launch
from .base import TEXT_DUMP, Emulator, EmulatorExited
from .qemu_launch import PACKAGE, PROGRAM, command

if TYPE_CHECKING:
    from ..screen import Observer, Screen

# Enter, as QMP presses it; its answer carries the id "key", which no command of ours uses.
_KEY = b'{"execute": "send-key", "arguments": {"keys": [{"type": "qcode", "data": "ret"}]}, "id": "key"}\n'
_CONT = b'{"execute": "cont", "id": "cont"}\n'  # the paused machine runs; its answer is passed over too
_CAPABILITIES = b'{"execute": "qmp_capabilities", "id": "capabilities"}\n'


@dataclass
class Qemu(Emulator):
    """QEMU with SeaBIOS: the console on stdio, read through a pseudo-terminal (:mod:`.qemu_launch`)."""

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
        line = command(image, self.write_protected, None, program, self.boot_as)
        launch = qemu_launch.take(line) or qemu_launch.Launch(line, _scratch_home())
        with launch:
            work = Path(launch.scratch)
            qmp = Qmp(work / "qmp.sock", socket.socket(fileno=launch.server.detach()))
            picture = work / "screen.png" if self.screenshot is not None else None
            watcher = threading.Thread(
                target=qmp.at_shutdown, args=(work / TEXT_DUMP, picture, timeout), daemon=True
            )
            start_thread(watcher)
            qmp.release()  # the image has been judged fit to boot: the paused machine may run
            from ..console import follow  # (loaded while QEMU starts)

            child = launch.process
            errorlevel, exited = follow(child, screen, timeout, observer, press_key=qmp.press_key)
            qmp.stop()
            watcher.join(timeout=5)
            if exited and errorlevel is None and child.exitstatus:  # QEMU refused to start: it says why
                raise EmulatorExited(self.title, child.exitstatus, screen.text())
            errorlevel = self._shown_dump(work, screen, observer, errorlevel)
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


def _scratch_home() -> str:
    import tempfile

    return qemu_launch.scratch_home(tempfile.gettempdir())


class Qmp:
    """A minimal QMP server end: QEMU connects to it; at power-off, copy the screen, then quit QEMU.

    Listening before QEMU starts means there is no race for the socket. QEMU sends no event before the
    capabilities are negotiated, so a guest that switched off before that (a loaded machine, a quick
    floppy) is found by asking for the run state. Seen once: under two test workers a FreeDOS boot
    showed every line, then waited out its whole timeout; a SHUTDOWN sent before the negotiation is
    the one way to that this code had (a hang of the screendump would be the other; not reproduced).
    """

    def __init__(self, path: Path, server: socket.socket | None = None) -> None:
        """Listen at ``path``; or, given ``server``, on that socket, already listening there."""
        self.error: str | None = None  # what QEMU answered to the screendump, if it refused it
        self.events: set[str] = set()  # every event QEMU has sent so far
        if server is None:
            server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            server.bind(str(path))
            server.listen(1)
        self.server = server
        self._connection: socket.socket | None = None  # once QEMU has connected and negotiated
        self._sending = threading.Lock()  # the key is pressed from the thread that reads the screen
        self._wanted: list[bytes] = []  # asked before the negotiation was over: sent when it is, in order
        self._asked = 0  # the id of the last command: answers are matched by it

    def _send(self, message: bytes) -> None:
        """Send ``message`` now, or as soon as the negotiation is over; nothing if QEMU has gone."""
        with self._sending:
            if self._connection is None:
                self._wanted.append(message)
                return
            with contextlib.suppress(OSError):  # (QEMU has gone: nothing left to do)
                self._connection.sendall(message)

    def release(self) -> None:
        """Let the machine QEMU holds paused (``-S``) run (QMP ``cont``). Its answer is passed over."""
        self._send(_CONT)

    def press_key(self) -> None:
        """Press Enter on the guest's keyboard (QMP ``send-key``): a ``--linger`` countdown ends at once.
        Its answer is read, and passed over, by the thread waiting for the power-off."""
        self._send(_KEY)

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
            # The negotiation and what was asked meanwhile (the release, a key) in one write, answers
            # unawaited: QEMU takes them in order, and the paused machine runs one round trip sooner
            # (about 5 ms of every boot, measured; the answers are passed over by their ids).
            with self._sending:
                connection.sendall(_CAPABILITIES + b"".join(self._wanted))
                self._connection = connection
            self._until(reader, lambda message: "return" in message or "error" in message)  # (its answer)
            state = (self._ask(connection, reader, {"execute": "query-status"}) or {}).get("return")
            off = isinstance(state, dict) and state.get("status") == "shutdown"  # (else paused or running)
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
