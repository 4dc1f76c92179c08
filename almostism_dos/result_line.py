"""The result line every Almostism floppy prints last: ``ALMOSTISM RESULT errorlevel=N``.

A leaf: the floppy's builder, every emulator, the web page and ``run`` read it here, importing nothing
else (no pyfatfs, no pexpect).
"""

from __future__ import annotations

import re

RESULT_PREFIX = "ALMOSTISM RESULT errorlevel="
# A whole line, blanks around it allowed; the web page uses the same pattern (and the same < 256 check).
RESULT_PATTERN = rf"^\s*{re.escape(RESULT_PREFIX)}(\d{{1,3}})\s*$"
_RESULT = re.compile(RESULT_PATTERN)
NO_APM_LINE = "The liturgy is over; the PC may be switched off."  # the last line where nothing switches off
# The lines a boot sector or the MBR prints before it halts for good: a boot that shows one is over.
NO_HOST_LINE = "No host"  # the self-booting boot sector: the host's sectors cannot be read, or are not it
MBR_NO_ACTIVE_LINE = "No active partition"
MBR_BAD_TABLE_LINE = "The partition table is broken"
MBR_DISK_ERROR_LINE = "Disk error reading the active partition"
MBR_NO_SYSTEM_LINE = "No boot sector on the active partition"
NO_BOOT_DEVICE_LINE = "No bootable device"  # SeaBIOS's and Bochs's BIOS, when nothing boots
HALT_LINES = (
    NO_HOST_LINE,
    MBR_NO_ACTIVE_LINE,
    MBR_BAD_TABLE_LINE,
    MBR_DISK_ERROR_LINE,
    MBR_NO_SYSTEM_LINE,
    NO_BOOT_DEVICE_LINE,
)
# The countdown a floppy built with --linger shows before it switches off: PREFIX, the seconds, SUFFIX,
# redrawn on one line each second (the suffix's last blank wipes a digit the count no longer has).
COUNTDOWN_PREFIX = "Switching off in "
COUNTDOWN_SUFFIX = " s - press a key to switch off now "
LONGEST_LINGER = 99  # seconds: two digits
DEFAULT_LINGER = 10  # seconds a person gets to read the verdict unless the build says otherwise
_COUNTDOWN = re.compile(rf"{re.escape(COUNTDOWN_PREFIX)}(\d{{1,2}}){re.escape(COUNTDOWN_SUFFIX.rstrip())}")


def parse_result(line: str) -> int | None:
    """The errorlevel in a result line, or None if the line is not one."""
    found = _RESULT.match(line)
    return int(found[1]) if found and int(found[1]) < 256 else None


def last_lines(console: str, count: int = 8) -> list[str]:
    """The last non-empty lines of a console, for saying where a boot stopped."""
    return [line for line in console.splitlines() if line.strip()][-count:]


def result_in(console: str) -> int | None:
    """The errorlevel of the last result line on a console, or None if there is none."""
    levels = [level for line in console.splitlines() if (level := parse_result(line)) is not None]
    return levels[-1] if levels else None


def countdown_in(console: str) -> int | None:
    """The seconds the last countdown line on a console still shows, or None if there is none."""
    shown = _COUNTDOWN.findall(console)
    return int(shown[-1]) if shown else None


def halted_in(console: str) -> str | None:
    """The line of a console that says the machine has stopped before any result (a boot sector's,
    the MBR's or the BIOS's last words), or None."""
    for line in console.splitlines():
        stripped = line.strip()
        if any(stripped.startswith(words) for words in HALT_LINES):
            return stripped
    return None
