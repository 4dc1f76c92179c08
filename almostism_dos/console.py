"""What we expect on the screen: the liturgy's result line, then the emulator's own exit.

Works on any child whose output is a terminal stream (a pexpect child, or QEMU's own process, see
:class:`Child`); knows nothing of how it was started.
Every decision reads the rendered screen (:mod:`almostism_dos.screen`), never the raw stream.

The stream is drained by a thread of its own, as fast as the emulator writes it, and rendered apart
from that. Rendering takes time, and an emulator that writes into a terminal nobody is reading loses
what it writes: measured with Bochs's term display, a reader one second late saw nothing of a boot at
all, and on a loaded machine (four test workers on two cores) whole screens went missing.
"""

from __future__ import annotations

import codecs
import os
import queue
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from .result_line import HALT_LINES, RESULT_PREFIX, countdown_in, halted_in, result_in
from .stop_signals import start_thread
from .text_screen import text_rows

if TYPE_CHECKING:
    from .screen import Observer, Screen

_POLL = 0.25  # the longest wait for output before the observer hears of the silence (status redraws)
_CHUNK = 65536
_AFTER_RESULT = 5.0  # seconds a boot may still take once its result line is in (and past a countdown)
_MARK = RESULT_PREFIX.split()[-1]  # in the raw stream: the result line may be on the screen now
_TAIL = max(len(words) for words in (_MARK, *HALT_LINES))  # what a mark split between chunks needs


class Child(Protocol):
    """What :func:`follow` reads of a child: its terminal's descriptor and encoding, and how to end it."""

    @property
    def child_fd(self) -> int: ...

    @property
    def encoding(self) -> str | None: ...

    @property
    def codec_errors(self) -> str: ...

    def terminate(self, force: bool = False) -> bool: ...

    def close(self) -> None: ...


def drain(fd: int, chunks: queue.SimpleQueue[bytes | None]) -> None:
    """Read what the emulator writes as soon as it writes it; None when its end closes."""
    while True:
        try:
            data = os.read(fd, _CHUNK)
        except OSError:  # EIO: the other end of the terminal has gone
            data = b""
        if not data:
            chunks.put(None)
            return
        chunks.put(data)


def with_the_rest(chunks: queue.SimpleQueue[bytes | None], first: bytes | None) -> tuple[bool, bytes]:
    """``first`` and every chunk already waiting behind it, joined, and whether the stream ended there.

    Rendered one chunk at a time, a boot fell behind: SeaBIOS writes its mirror a byte or two at a
    time, each render and observer call took about 2 ms, and the last 50 ms of screen were still being
    drawn after QEMU had ended (measured). Rendering what has arrived at once keeps up."""
    parts = []
    while first is not None:
        parts.append(first)
        try:
            first = chunks.get_nowait()
        except queue.Empty:
            return False, b"".join(parts)
    return True, b"".join(parts)


def follow(
    child: Child,
    screen: Screen,
    timeout: float,
    observer: Observer | None = None,
    stop: Child | None = None,
    press_key: Callable[[], None] | None = None,
) -> tuple[int | None, bool]:
    """Feed the child's output to ``screen`` until it ends, within ``timeout`` seconds to its result line.

    Returns the errorlevel of the last result line on the screen (None: none appeared) and whether the
    child ended by itself. Once the result line is on the screen, ``press_key`` is called (once): the
    emulator presses a key in the guest, which cuts the countdown of a ``--linger`` image short, so a
    boot costs what a ``--linger 0`` boot costs. From then on the deadline is the countdown's, never
    ``timeout``'s: a countdown the key did not reach is waited out, not cut. At the deadline the
    emulator is killed: ``stop``, where the screen is read from a terminal other than the emulator's
    own (Bochs), else the child. A screen that shows a boot sector's or the BIOS's last words before
    any result line (``result_line.HALT_LINES``: ``No host``, the MBR's errors, ``No bootable device``)
    ends the wait at once: the machine has stopped, and a time-out would only hide why.
    """
    deadline = time.monotonic() + timeout
    exited = False
    decoder = codecs.getincrementaldecoder(child.encoding or "latin-1")(child.codec_errors or "replace")
    chunks: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
    start_thread(threading.Thread(target=drain, args=(child.child_fd, chunks), daemon=True))
    screen.feed("")  # load the terminal emulator now, while the emulator starts and shows nothing yet
    if observer is not None:
        observer(screen)  # (and what the observer loads on its first call)
    seen, tail = False, ""  # the result line seen; the stream's last characters, for a mark split in two
    while (left := deadline - time.monotonic()) > 0:
        try:
            data = chunks.get(timeout=min(_POLL, left))
        except queue.Empty:
            data = b""
        ended, data = with_the_rest(chunks, data)
        text = decoder.decode(data)
        screen.feed(text)
        if ended:
            exited = True
            break
        # The rendered screen is searched only once the raw stream has shown the mark: rendering it
        # at every chunk would cost each boot milliseconds for nothing.
        recent = tail + text
        if not seen and any(words in recent for words in HALT_LINES) and halted_in(screen.text()):
            break  # a boot sector's or the BIOS's last words: nothing more will come (Emulator.boot says so)
        if text and (seen or _MARK in recent):
            shown = "\n".join(screen.display())
            if not seen and result_in(shown) is not None:
                seen = True
                deadline = max(deadline, time.monotonic() + _AFTER_RESULT)
                if press_key is not None:
                    press_key()
            if seen and (seconds := countdown_in(shown)) is not None:
                deadline = max(deadline, time.monotonic() + seconds + _AFTER_RESULT)
        tail = recent[-_TAIL:]
        if observer is not None:
            observer(screen)
    if not exited:
        (stop or child).terminate(force=True)
    child.close()
    if observer is not None:
        observer(screen)
    return result_in(screen.text()), exited


def show_video_memory(memory: bytes, screen: Screen, observer: Observer | None = None) -> int | None:
    """Show the text screen as video memory held it when the machine switched off (QEMU and Bochs save
    it there, since their own displays can lose the last line), tell the observer, and return the
    errorlevel of its last result line (None: none)."""
    screen.show(text_rows(memory))
    if observer is not None:
        observer(screen)
    return result_in(screen.text())
