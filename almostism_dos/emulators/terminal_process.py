"""A program in a pseudo-terminal of its own, started with ``posix_spawn``: QEMU's process.

Written by hand rather than with pexpect (which Bochs and DOSBox keep: they need its ``expect``)
because QEMU is started before anything else of a ``run`` loads (:mod:`.qemu_launch`), and pexpect
cost that start 16 ms of imports and a fork of the interpreter (measured, 2 cores: ``import pexpect``
16 ms over a bare interpreter's 10). This needs only ``os``, loaded with the interpreter. It offers
what :func:`almostism_dos.console.follow` reads of a child: its terminal, its encoding, ``terminate``,
``close`` and ``exitstatus``.
"""

from __future__ import annotations

import os

_ENDING = 2.0  # seconds a terminated program has to exit before it is killed


class TerminalProcess:
    """``line`` running with a new pseudo-terminal as its standard input, output and error, in a session
    of its own (a Ctrl-C meant for us never reaches it). Its output is read from :attr:`child_fd`."""

    encoding = "cp437"  # the PC's character set: what the emulator's text screen holds
    codec_errors = "replace"

    def __init__(self, line: list[str], rows: int, columns: int) -> None:
        import fcntl
        import struct
        import termios

        self.child_fd, terminal = os.openpty()
        try:
            fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
            # Opened by name in the new session, the terminal becomes its controlling terminal (a
            # descriptor handed down would not), as pexpect's were: if this process dies without a
            # word (SIGKILL), the kernel hangs it up and the program gets SIGHUP, which ends QEMU.
            standard = [
                (os.POSIX_SPAWN_OPEN, 0, os.ttyname(terminal), os.O_RDWR, 0),
                (os.POSIX_SPAWN_DUP2, 0, 1),
                (os.POSIX_SPAWN_DUP2, 0, 2),
            ]
            self.pid = os.posix_spawn(line[0], line, os.environ, file_actions=standard, setsid=True)
        except BaseException:
            os.close(self.child_fd)
            raise
        finally:
            os.close(terminal)
        self.exitstatus: int | None = None  # once it has ended: its exit code, or -N for a signal N
        self._reaped = False

    def _reap(self, block: bool) -> bool:
        """Collect its exit status if it has ended (waiting for that with ``block``); True once it has."""
        if not self._reaped:
            pid, status = os.waitpid(self.pid, 0 if block else os.WNOHANG)
            if pid == 0:
                return False
            self._reaped = True
            self.exitstatus = os.waitstatus_to_exitcode(status)
        return True

    def _ended_within(self, seconds: float) -> bool:
        """Wait up to ``seconds`` for it to end (on its process descriptor: no polling loop)."""
        import select

        try:
            handle = os.pidfd_open(self.pid)
        except ProcessLookupError:
            return self._reap(block=True)
        try:
            select.select([handle], [], [], seconds)
        finally:
            os.close(handle)
        return self._reap(block=False)

    def terminate(self, force: bool = False) -> bool:
        """End it: SIGTERM (QEMU closes its images), then, with ``force``, SIGKILL if it has not ended
        within two seconds. True once it has ended."""
        import signal

        if self._reap(block=False):
            return True
        os.kill(self.pid, signal.SIGTERM)
        if self._ended_within(_ENDING) or not force:
            return self._reaped
        os.kill(self.pid, signal.SIGKILL)
        return self._reap(block=True)

    def close(self) -> None:
        """Close our end of its terminal and collect its exit status (it has ended, or is ended now)."""
        if self.child_fd >= 0:
            os.close(self.child_fd)
            self.child_fd = -1
        if not self._reap(block=False):
            self.terminate(force=True)
