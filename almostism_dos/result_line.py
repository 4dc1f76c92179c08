"""The result line every Almostism floppy prints last: ``ALMOSTISM RESULT errorlevel=N``.

A leaf: the floppy's builder, every emulator, the web page and ``run`` read it here, importing nothing
else (no pyfatfs, no pexpect).
"""

from __future__ import annotations

RESULT_PREFIX = "ALMOSTISM RESULT errorlevel="
NO_APM_LINE = "The liturgy is over; the floppy may be removed."  # the last line where nothing switches off


def parse_result(line: str) -> int | None:
    """The errorlevel in a result line, or None if the line is not one."""
    text = line.strip()
    if not text.startswith(RESULT_PREFIX):
        return None
    number = text[len(RESULT_PREFIX) :]
    return int(number) if number.isdigit() and int(number) < 256 else None


def result_in(console: str) -> int | None:
    """The errorlevel of the last result line on a console, or None if there is none."""
    levels = [level for line in console.splitlines() if (level := parse_result(line)) is not None]
    return levels[-1] if levels else None
