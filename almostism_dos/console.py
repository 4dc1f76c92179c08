"""What we expect on the screen: the liturgy's result line, then the emulator's own exit.

Works on any pexpect child whose output is a terminal stream; knows nothing of how it was started.
Every decision reads the rendered screen (:mod:`almostism_dos.screen`), never the raw stream.
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path

import pexpect

from .result_line import result_in
from .screen import Observer, Screen

_POLL = 0.25  # the longest wait for output before the observer hears of the silence (status redraws)


def last_lines(text: str, count: int = 8) -> list[str]:
    """The last non-empty lines of a transcript, for saying where a boot stopped."""
    return [line for line in text.splitlines() if line.strip()][-count:]


def follow(
    child: pexpect.spawn,
    screen: Screen,
    timeout: float,
    observer: Observer | None = None,
    log: Path | None = None,
    stop: pexpect.spawn | None = None,
) -> tuple[int | None, bool]:
    """Feed the child's output to ``screen`` until it ends, within ``timeout`` seconds in all.

    Returns the errorlevel of the last result line on the screen (None: none appeared) and whether the
    child ended by itself. At the deadline the emulator is killed: ``stop``, where the screen is read
    from a terminal other than the emulator's own (Bochs), else the child.
    """
    deadline = time.monotonic() + timeout
    exited = False
    with contextlib.ExitStack() as stack:
        if log is not None:
            child.logfile_read = stack.enter_context(open(log, "w", encoding="utf-8", errors="replace"))
        while (left := deadline - time.monotonic()) > 0:
            try:
                chunk = child.read_nonblocking(65536, timeout=min(_POLL, left))
            except pexpect.TIMEOUT:
                chunk = ""
            except pexpect.EOF:
                exited = True
                break
            screen.feed(chunk)
            if observer is not None:
                observer(screen)
        if not exited:
            (stop or child).terminate(force=True)
        child.close()
    if observer is not None:
        observer(screen)
    return result_in(screen.text()), exited
