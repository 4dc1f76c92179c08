"""Showing a boot to the person who started it, as it happens.

New lines of the emulator's rendered screen are printed as plain text as soon as they are complete.
On a terminal a one-line status (emulator, elapsed seconds) is redrawn in place below them and removed
at the end; anywhere else (CI logs, pipes) only plain lines are written, no cursor movement. The
emulator's own control sequences never get here: :mod:`almostism_dos.screen` has rendered them.

A reader that goes away (``run IMG | head -1``) stops the showing, not the boot: the liturgy runs to
its end and the image is judged, and the command says afterwards that its output was cut short.
"""

from __future__ import annotations

import time
from typing import TextIO

from .screen import Screen

_ERASE_LINE = "\r\x1b[K"  # ours, on a terminal only: back to column 0, clear to the end of the line


class LiveView:
    """An observer for :meth:`Emulator.boot` that prints the boot as plain lines."""

    def __init__(self, out: TextIO, title: str, interactive: bool) -> None:
        self.out = out
        self.title = title
        self.interactive = interactive
        self.printed = 0  # transcript lines already written
        self.started = time.monotonic()
        self._status = False
        self.reader_gone = False  # the output's reader went away: nothing more is written

    def __call__(self, screen: Screen) -> None:
        self._show(screen.complete_lines())

    def finish(self, transcript: str) -> None:
        """Write the rest of the final transcript and remove the status line."""
        self._show(transcript.splitlines(), final=True)

    def _show(self, lines: list[str], final: bool = False) -> None:
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
        if self.interactive and not final:
            self.out.write(f"[{self.title}: {time.monotonic() - self.started:.1f} s]")
            self._status = True
        self.out.flush()
