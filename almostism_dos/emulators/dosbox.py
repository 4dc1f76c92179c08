"""DOSBox: mount the image (a floppy as A:, a disk's partition as D:), run ALMOST.COM, capture its output
and errorlevel, exit.

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

from ..formats import SECTOR
from ..partition import CYLINDER, DISK_HEADS, DISK_SECTORS_PER_TRACK
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
{mount}
call C:\\RUN.BAT
exit
"""


def mount(image: Path, boot_as: str, size: int) -> tuple[str, str]:
    """The ``imgmount`` line for ``image`` (``size`` bytes) and the drive it mounts: a floppy as A:, a
    hard-disk image (its first partition, with the geometry the builder gives every disk) as D:."""
    if boot_as == "disk":
        cylinders = size // (SECTOR * CYLINDER)
        geometry = f"{SECTOR},{DISK_SECTORS_PER_TRACK},{DISK_HEADS},{cylinders}"
        return f'imgmount d "{image}" -t hdd -size {geometry}', "d"
    return f'imgmount a "{image}" -t floppy', "a"


def batch(arguments: str, drive: str = "a") -> str:
    """RUN.BAT: the liturgy, the result line for any errorlevel 0..255, the directory listing."""
    lines = ["@echo off", f"{drive}:", f"{ALMOST} {arguments}".rstrip() + " > C:\\OUT.TXT"]
    lines += [f"if errorlevel {level} goto e{level}" for level in range(255, -1, -1)]
    for level in range(256):
        lines += [f":e{level}", f"echo {RESULT_PREFIX}{level}>> C:\\RES.TXT", "goto done"]
    lines += [":done", f"dir {drive}:\\ >> C:\\RES.TXT"]
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
    boot_as: str = "floppy"  # or "disk": a partitioned hard-disk image, its partition mounted as D:
    boots_as: ClassVar[tuple[str, ...]] = ("floppy", "disk")

    def operating_system(self, booted: str) -> str:
        return "DOSBox"  # DOSBox's own DOS runs ALMOST.COM, whatever the image would boot

    def _boot(
        self, program: str, image: Path, timeout: float, screen: Screen, observer: Observer | None
    ) -> tuple[int | None, bool]:
        with tempfile.TemporaryDirectory(prefix="almostism-dosbox-") as scratch:
            work = Path(scratch)
            (work / "disk.img").symlink_to(image.resolve())
            line, drive = mount(work / "disk.img", self.boot_as, image.stat().st_size)
            (work / "RUN.BAT").write_bytes(batch(self.arguments, drive).encode("ascii"))
            (work / "dosbox.conf").write_text(_CONFIG.format(work=work, mount=line))
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
