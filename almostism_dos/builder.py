"""``almostism-dos build``: choose the boot system, build the floppy's bytes, write them atomically."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from . import freedos, scripture
from .floppy import freedos_floppy
from .formats import FORMATS
from .image import build_epoch
from .outputs import write_atomically


@dataclass(frozen=True)
class Built:
    """What was built."""

    path: Path
    kilobytes: int
    boot: str
    source: str
    unique: int
    size: int


def build(
    output: Path, kilobytes: int, freedos_path: Path | None, unique: int | None, force: bool = False
) -> Built:
    """Build an Almostism floppy at ``output``. Raises FreeDosError, OutputError, BuildError."""
    located = freedos.locate(freedos_path)
    if located is None:
        raise freedos.FreeDosError(freedos.HOW_TO_GET)
    system = freedos.load(located)
    chosen = unique or scripture.random_unique()
    data = freedos_floppy(FORMATS[kilobytes], system, chosen, build_epoch())
    write_atomically(output, data, force)
    return Built(output, kilobytes, "FreeDOS", system.source, chosen, len(data))
