"""The ``almostism-dos`` command's entry point: the stop signals are handled before anything else loads.

Importing the command line takes tens of milliseconds, and a SIGTERM in that time (a CI job's time limit,
a supervisor) ended the process as the signal's default does: -15, not 143 with its one line (measured
in the first 50 ms). So the handlers come first, and the rest is imported after them.

Then, for a ``run`` of a floppy in QEMU, QEMU is started paused (:mod:`.emulators.qemu_launch`), so that
it sets itself up while the command line loads and judges the image; a command that does not boot it
ends it on the way out.
"""

from __future__ import annotations

import sys

from .stop_signals import Stopped, handle_stop_signals


def console_main() -> int:
    """The ``almostism-dos`` command (see :func:`almostism_dos.cli.console_main`)."""
    handle_stop_signals()
    from .emulators import qemu_launch

    try:
        try:
            qemu_launch.start_early(sys.argv[1:])
            from .cli import console_main as command
        except Stopped as stopped:  # (stopped while loading: only the early QEMU to undo)
            import signal

            signal.signal(stopped.number, signal.SIG_IGN)
            name = signal.Signals(stopped.number).name
            print(f"almostism-dos: stopped by {name}", file=sys.stderr)
            return 128 + stopped.number
        return command()
    finally:
        qemu_launch.discard_early()
