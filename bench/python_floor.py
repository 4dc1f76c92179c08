"""The least a Python front end to QEMU can cost: the floor under ``almostism-dos run``'s own time.

    python bench/python_floor.py QEMU-COMMAND-LINE...

The interpreter starts, argparse reads the command line, QEMU starts in a pseudo-terminal of its own
(``posix_spawn``: no fork of the interpreter, no pexpect) and everything it writes is read and thrown
away until it ends. Nothing is imported from this project, nothing is rendered or judged: whatever
``run`` costs beyond this is its own.
"""

from __future__ import annotations

import argparse
import os


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("line", nargs=argparse.REMAINDER, help="QEMU's command line")
    line: list[str] = parser.parse_args().line
    terminal, emulator_end = os.openpty()
    standard = [(os.POSIX_SPAWN_DUP2, emulator_end, fd) for fd in (0, 1, 2)]
    child = os.posix_spawn(line[0], line, os.environ, file_actions=standard, setsid=True)
    os.close(emulator_end)
    while True:
        try:
            if not os.read(terminal, 65536):
                break
        except OSError:  # EIO: QEMU has ended and its end of the terminal with it
            break
    os.waitpid(child, 0)


if __name__ == "__main__":
    main()
