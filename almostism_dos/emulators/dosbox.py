"""DOSBox: mount the image as A:, run ALMOST.COM, capture its output and errorlevel, exit.

DOSBox runs headless (``SDL_VIDEODRIVER=dummy``) with a private HOME. Its shell has no ``%ERRORLEVEL%``,
so a batch file on a mounted host directory turns the errorlevel into the result line with an
``IF ERRORLEVEL`` chain (the chain is too long for DOSBox's own [autoexec] section).
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from ..programs import ALMOST
from ..result_line import RESULT_PREFIX, result_in
from .base import Emulator

if TYPE_CHECKING:
    from ..screen import Observer, Screen

PROGRAM = "dosbox"
PACKAGE = "dosbox"
_CONFIG = """[sdl]
output=surface
[dosbox]
memsize=16
[cpu]
cycles=max
[mixer]
nosound=true
[speaker]
pcspeaker=false
[autoexec]
mount c "{work}"
imgmount a "{work}/disk.img" -t floppy
call C:\\RUN.BAT
exit
"""


def batch(arguments: str) -> str:
    """RUN.BAT: the liturgy, the result line for any errorlevel 0..255, the directory listing."""
    lines = ["@echo off", "a:", f"{ALMOST} {arguments}".rstrip() + " > C:\\OUT.TXT"]
    lines += [f"if errorlevel {level} goto e{level}" for level in range(255, -1, -1)]
    for level in range(256):
        lines += [f":e{level}", f"echo {RESULT_PREFIX}{level}>> C:\\RES.TXT", "goto done"]
    lines += [":done", "dir a:\\ >> C:\\RES.TXT"]
    return "\r\n".join(lines) + "\r\n"


@dataclass
class Dosbox(Emulator):
    """DOSBox: its own DOS runs ALMOST.COM from the image mounted as A:."""

    name: ClassVar[str] = "dosbox"
    title: ClassVar[str] = "DOSBox"
    program: ClassVar[str] = PROGRAM
    package: ClassVar[str] = PACKAGE
    boots: ClassVar[bool] = False

    arguments: str = ""  # ALMOST.COM's command tail

    def operating_system(self, booted: str) -> str:
        return "DOSBox"  # DOSBox's own DOS runs ALMOST.COM, whatever the image would boot

    def _boot(
        self, program: str, image: Path, timeout: float, screen: Screen, observer: Observer | None
    ) -> tuple[int | None, bool]:
        with tempfile.TemporaryDirectory(prefix="almostism-dosbox-") as scratch:
            work = Path(scratch)
            (work / "disk.img").symlink_to(image.resolve())
            (work / "RUN.BAT").write_bytes(batch(self.arguments).encode("ascii"))
            (work / "dosbox.conf").write_text(_CONFIG.format(work=work))
            environment = {
                **os.environ,
                "SDL_VIDEODRIVER": "dummy",
                "SDL_AUDIODRIVER": "dummy",
                "HOME": str(work),
            }
            try:
                subprocess.run(
                    [program, "-conf", str(work / "dosbox.conf")],
                    env=environment,
                    stdin=subprocess.DEVNULL,
                    capture_output=True,
                    timeout=timeout,
                    check=False,
                )
                exited = True
            except subprocess.TimeoutExpired:
                exited = False
            # What DOS printed, as it would have appeared on the screen: CR LF line ends.
            console = (
                "".join(
                    (work / name).read_bytes().decode("cp437")
                    for name in ("OUT.TXT", "RES.TXT")
                    if (work / name).exists()
                )
                .replace("\r\n", "\n")
                .replace("\n", "\r\n")
            )
        screen.feed(console)
        if observer is not None:
            observer(screen)
        return result_in(screen.text()), exited
