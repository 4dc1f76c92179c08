"""The ``almostism-dos`` command's entry point: the stop signals are handled before anything else loads.

Importing the command line takes tens of milliseconds, and a SIGTERM in that time (a CI job's time limit,
a supervisor) ended the process as the signal's default does: -15, not 143 with its one line (measured
in the first 50 ms). So the handlers come first, and the rest is imported after them.
"""

from __future__ import annotations

import signal
import sys


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
    for number in (signal.SIGTERM, signal.SIGHUP):
        if signal.getsignal(number) is signal.SIG_DFL:
            signal.signal(number, stop)


def console_main() -> int:
    """The ``almostism-dos`` command (see :func:`almostism_dos.cli.console_main`)."""
    handle_stop_signals()
    try:
        from .cli import console_main as command
    except Stopped as stopped:  # (stopped while loading: nothing to undo yet)
        signal.signal(stopped.number, signal.SIG_IGN)
        name = signal.Signals(stopped.number).name
        print(f"almostism-dos: stopped by {name}", file=sys.stderr)
        return 128 + stopped.number
    return command()
