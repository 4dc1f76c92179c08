"""What we expect on the console: the liturgy's result line, then the emulator's own exit.

Works on any pexpect child; knows nothing of how the emulator was started.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

import pexpect

from .floppy import RESULT_PREFIX, parse_result

_ANSI = re.compile(r"\x1b(\[[0-9;?]*[ -/]*[@-~]|[()][0-9A-Za-z]|[=>c78])")
_RESULT = re.compile(re.escape(RESULT_PREFIX) + r"(\d{1,3})")


def clean(text: str) -> str:
    """Console text without terminal escapes and carriage returns."""
    return _ANSI.sub("", text).replace("\r", "")


def last_lines(text: str, count: int = 8) -> list[str]:
    """The last non-empty lines of the console, for saying where a boot stopped."""
    return [line for line in clean(text).splitlines() if line.strip()][-count:]


@dataclass
class ConsoleOutcome:
    """What the console showed."""

    errorlevel: int | None  # from the result line; None if it never appeared
    exited: bool  # the emulator ended by itself (power-off) before the deadline; else it timed out
    console: str  # cleaned text


def await_liturgy(child: pexpect.spawn, timeout: float) -> ConsoleOutcome:
    """Wait for the result line and then for the process to end, within ``timeout`` seconds in all."""
    deadline = time.monotonic() + timeout
    errorlevel = None
    seen = ""
    index = child.expect([_RESULT, pexpect.EOF, pexpect.TIMEOUT], timeout=timeout)
    seen += (child.before or "") + (child.after if isinstance(child.after, str) else "")
    if index == 0:
        errorlevel = parse_result(f"{RESULT_PREFIX}{child.match.group(1)}")
        index = (
            child.expect([pexpect.EOF, pexpect.TIMEOUT], timeout=max(0.0, deadline - time.monotonic())) + 1
        )
        seen += child.before or ""
    exited = index == 1
    if not exited:
        child.terminate(force=True)
    child.close()
    return ConsoleOutcome(errorlevel, exited, clean(seen))
