"""Showing a boot to the person who started it, as it happens.

New lines of the emulator's rendered screen are printed as plain text as soon as they are complete.
On a terminal a one-line status (emulator, what it is doing, elapsed seconds, then the line the guest is
still writing, such as a countdown redrawn each second) is drawn from the start, redrawn in place below
them twice a second and at every change, and removed at the end; anywhere else (CI logs, pipes, a
terminal that says it is ``dumb``) only plain lines are written, no cursor movement. The emulator's own
control sequences never get here: :mod:`almostism_dos.screen` has rendered them.

A reader that goes away (``run IMG | head -1``) stops the showing, not the boot: the liturgy runs to
its end and the image is judged, and the command says afterwards that its output was cut short.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from typing import TextIO

from .screen import Screen
from .stop_signals import start_thread

_ERASE_LINE = "\r\x1b[K"  # ours, on a terminal only: back to column 0, clear to the end of the line
_TICK = 0.5  # seconds between redraws of the status while the emulator shows nothing new


def can_redraw(out: TextIO) -> bool:
    """True when ``out`` is a terminal that moves its cursor: not a pipe or a file, not ``TERM=dumb``."""
    return out.isatty() and os.environ.get("TERM", "") != "dumb"


class LiveView:
    """An observer for :meth:`Emulator.boot` that prints the boot as plain lines.

    ``doing`` tells the status what the emulator is busy with (fetching v86, starting Chromium); the
    status is drawn at once and kept alive by a thread of its own, so a person sees from the first
    second that something is under way, however long the emulator is silent."""

    def __init__(
        self, out: TextIO, title: str, interactive: bool, doing: Callable[[], str] | None = None
    ) -> None:
        self.out = out
        self.title = title
        self.interactive = interactive
        self.doing = doing
        self.printed = 0  # transcript lines already written
        self.current = ""  # the line the guest is still writing (the cursor's), shown in the status
        self.started = time.monotonic()
        self._status = False
        self.reader_gone = False  # the output's reader went away: nothing more is written
        self._lock = threading.Lock()  # the boot's observer calls and the ticker write in turn
        self._ended = threading.Event()

    def start(self) -> LiveView:
        """Draw the status and keep it alive. Apart from the constructor, so that the caller holds the
        view before anything is drawn: a Ctrl-C that lands while the status is first drawn still finds
        a view to :meth:`abandon` (measured: one interrupt in CI hit that gap, and ``^C`` and the stop's
        line shared the status's row)."""
        if self.interactive:
            self._show([])
            start_thread(threading.Thread(target=self._tick, daemon=True))
        return self

    def __call__(self, screen: Screen) -> None:
        if self.interactive:
            self.current = screen.current_line()
        self._show(screen.complete_lines())

    def finish(self, transcript: str) -> None:
        """Write the rest of the final transcript and remove the status line."""
        self._ended.set()
        self._show(transcript.splitlines(), final=True)

    def abandon(self) -> None:
        """The boot was cut short (Ctrl-C, a signal, an error): remove the status line, so that whatever
        is said next starts a line of its own."""
        self._ended.set()
        self._show([], final=True)

    def _tick(self) -> None:
        while not self._ended.wait(_TICK):
            self._show([])

    def _show(self, lines: list[str], final: bool = False) -> None:
        with self._lock:
            if self.reader_gone:
                return
            try:
                self._write(lines, final)
            except BrokenPipeError:
                self.reader_gone = True

    def _write(self, lines: list[str], final: bool) -> None:
        new = lines[self.printed :]
        if not new and not self.interactive:
            return
        if self._status:
            self.out.write(_ERASE_LINE)
            self._status = False
        for line in new:
            self.out.write(line + "\n")
        self.printed = max(self.printed, len(lines))
        if self.interactive and not final and not self._ended.is_set():
            doing = self.doing() if self.doing is not None else ""
            status = f"[{self.title}: {doing + ', ' if doing else ''}{time.monotonic() - self.started:.1f} s]"
            if self.current:
                status += " " + self.current
            import shutil

            width = shutil.get_terminal_size().columns
            self._status = True  # (first: a Ctrl-C during the write still has the status erased)
            self.out.write(status[: max(width - 1, 20)])  # one row: a wrapped status would not be erased
        self.out.flush()
