"""The stop signals, handled before anything else of the command loads: a leaf of the interpreter's own.

SIGTERM and SIGHUP raise :class:`Stopped`, so the command unwinds as from an error (the emulator stopped,
temporary files removed) and ends with one line and 128 + the signal's number. ``entry`` installs the
handlers first of all, ``cli`` again where the command came another way.
"""

from __future__ import annotations

import _signal  # type: ignore[import-not-found]  # (signal.py: 4 ms of enums before QEMU can start)


class Stopped(BaseException):
    """A signal asked the command to stop. A BaseException, as KeyboardInterrupt is: no ``except
    Exception`` on the way out may take it for an error of its own."""

    def __init__(self, number: int) -> None:
        super().__init__(number)
        self.number = number


def stop(number: int, frame: object) -> None:
    raise Stopped(number)


def handle_stop_signals() -> None:
    """SIGTERM and SIGHUP unwind the command as an error does; one that was ignored when the command
    started (``nohup``) stays ignored."""
    for number in (_signal.SIGTERM, _signal.SIGHUP):
        if _signal.getsignal(number) == _signal.SIG_DFL:
            _signal.signal(number, stop)


TYPE_CHECKING = False  # (not typing's: importing it costs the command's first milliseconds)
if TYPE_CHECKING:
    import threading


def start_thread(thread: threading.Thread) -> threading.Thread:
    """Start ``thread`` with Ctrl-C and the stop signals held until it has started; the thread keeps them
    held, so they are the main thread's alone (it must start no process: the process would inherit them
    held). CPython's ``Thread.start`` waits on a lock, and an
    interrupt raised inside that wait broke it (seen in CI: ``RuntimeError: release unlocked lock``, a
    traceback where Ctrl-C should have said one line); held, the signal is taken as ``start`` returns."""
    held = {_signal.SIGINT, _signal.SIGTERM, _signal.SIGHUP}
    before = _signal.pthread_sigmask(_signal.SIG_BLOCK, held)
    try:
        thread.start()
    finally:
        _signal.pthread_sigmask(_signal.SIG_SETMASK, before)
    return thread
