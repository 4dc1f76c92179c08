"""What a FreeDOS Almostism floppy runs at start: ``FDCONFIG.SYS`` and ``AUTOEXEC.BAT``, and reading the
countdown back out of the latter (``inspect``). A leaf beside the result line: no pyfatfs, no emulator.

No line names a drive: FreeDOS starts on the drive it booted from, A: on a floppy, C: on a disk.
"""

from __future__ import annotations

from .programs import ALMOST, POWEROFF
from .result_line import RESULT_PREFIX
from .scripture import SCRIPTURE_FILE

FDCONFIG = "\r\n".join(
    [
        # Ctrl-C is looked for only during console I/O, not at every INT 21h call: each look is an INT 16h
        # call into the BIOS (FreeCOM makes about 230 DOS calls before each program it starts). This line
        # alone: 1,904 such calls a boot -> 295; QEMU alone, FreeDOS floppy, 11 boots each: 0.715 -> 0.647 s.
        "BREAK=OFF",
        "SWITCHES=/N /F",  # no F5/F8 prompt, no boot delay
        # Nothing else. The kernel reads this file three times, a byte per DOS call, looking for Ctrl-C at
        # each: FILES=20, BUFFERS=20 and SHELL=\COMMAND.COM /E:512 /P=\AUTOEXEC.BAT cost 198 reads
        # and 67 BIOS calls (QEMU alone, 15 boots each: 0.816 s -> 0.708 s) and changed nothing else:
        # FreeDOS's defaults are enough for one program at a time, and its default shell is
        # COMMAND.COM /P /E:256 from the boot drive (A: or C:), which runs that drive's AUTOEXEC.BAT.
        "",
    ]
)


def autoexec(tail: str = "", linger: int = 0) -> str:
    """AUTOEXEC.BAT: ALMOST.COM (with command tail ``tail``), the result line, whether the scripture is
    still there, the power-off (after a countdown of ``linger`` seconds)."""
    return "\r\n".join(
        [
            "@ECHO OFF",
            f"\\{ALMOST} {tail}".rstrip(),
            f"ECHO {RESULT_PREFIX}%ERRORLEVEL%",
            f"IF EXIST \\{SCRIPTURE_FILE} ECHO {SCRIPTURE_FILE} is still there",  # (DIR: +0.26 s)
            f"IF NOT EXIST \\{SCRIPTURE_FILE} ECHO {SCRIPTURE_FILE} is gone",
            f"\\{POWEROFF} {linger}" if linger else f"\\{POWEROFF}",
            "",
        ]
    )


AUTOEXEC = autoexec()


def linger_in(autoexec_text: str) -> int:
    """The countdown's seconds an ``AUTOEXEC.BAT`` written by :func:`autoexec` passes to POWEROFF.COM."""
    for line in autoexec_text.splitlines():
        command, _, tail = line.partition(" ")
        if command == f"\\{POWEROFF}":
            return int(tail) if tail.strip().isdigit() else 0
    return 0
