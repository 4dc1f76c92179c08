"""Start an emulator whose screen is a terminal stream, inside a pseudo-terminal (pexpect).

The pseudo-terminal is the emulator's own: its control sequences reach :mod:`almostism_dos.screen`,
never the user's terminal.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from ..text_screen import COLUMNS, ROWS

if TYPE_CHECKING:
    import pexpect


def spawn(
    line: list[str],
    environment: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    before_exec: Callable[[], None] | None = None,
) -> pexpect.spawn:
    """Start ``line`` (in ``cwd``) in a pseudo-terminal the size of a PC text screen; read it with pexpect.
    ``before_exec`` runs in the child before the program replaces it."""
    import pexpect  # loaded only when something boots

    program, *arguments = line
    child = pexpect.spawn(
        program,
        # pexpect encodes arguments with the child's encoding (cp437, which maps every byte): so hand
        # it each argument's file-system bytes spelled in cp437, and the child gets those bytes exactly.
        [os.fsencode(argument).decode("cp437") for argument in arguments],
        env={**os.environ, **(environment or {})},
        encoding="cp437",  # the PC's character set: what the emulator's text screen holds
        codec_errors="replace",
        dimensions=(ROWS, COLUMNS),
        cwd=cwd,
        preexec_fn=before_exec,
    )
    child.delayafterclose = 0.0  # pexpect and ptyprocess each sleep 0.1 s in close() by default,
    child.ptyproc.delayafterclose = 0.0  # though the emulator has long exited when we close
    child.delayafterterminate = 0.05
    child.delaybeforesend = None  # pexpect sleeps 0.05 s before every send by default: Bochs's five
    # debugger commands a boot (two breakpoints, continue, writemem, quit) cost 0.25 s that way. Every
    # line we send answers a prompt already read, so it waits in the terminal until Bochs reads it.
    return child
