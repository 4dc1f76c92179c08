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

from ..floppy import LOADER, RESULT_PREFIX
from . import require

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
    lines = ["@echo off", "a:", f"{LOADER} {arguments}".rstrip() + " > C:\\OUT.TXT"]
    lines += [f"if errorlevel {level} goto e{level}" for level in range(255, -1, -1)]
    for level in range(256):
        lines += [f":e{level}", f"echo {RESULT_PREFIX}{level}>> C:\\RES.TXT", "goto done"]
    lines += [":done", "dir a:\\ >> C:\\RES.TXT"]
    return "\r\n".join(lines) + "\r\n"


@dataclass
class DosboxOutcome:
    """What DOSBox showed."""

    console: str  # ALMOST.COM's output, then the result line and the listing
    exited: bool  # DOSBox ended by itself before the deadline


def run(image: Path, timeout: float, arguments: str = "") -> DosboxOutcome:
    """Run the liturgy on ``image`` (changed in place, as DOS would change a floppy)."""
    program = require(PROGRAM, PACKAGE)
    with tempfile.TemporaryDirectory(prefix="almostism-dosbox-") as scratch:
        work = Path(scratch)
        (work / "disk.img").symlink_to(image.resolve())
        (work / "RUN.BAT").write_bytes(batch(arguments).encode("ascii"))
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
        console = ""
        for name in ("OUT.TXT", "RES.TXT"):
            if (work / name).exists():
                console += (work / name).read_bytes().decode("cp437").replace("\r", "")
        return DosboxOutcome(console, exited)
