"""``almostism-dos build``: choose the boot system, build the floppy's bytes, write them atomically.

``--boot auto`` uses FreeDOS when one is configured (flag, environment, cache) and the embedded host
otherwise; ``freedos`` requires FreeDOS; ``embedded`` never looks for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from . import freedos, reference, scripture
from .floppy import embedded_floppy, freedos_floppy
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
    output: Path,
    kilobytes: int,
    freedos_path: Path | None,
    unique: int | None,
    force: bool = False,
    boot: str = "auto",
) -> Built:
    """Build an Almostism floppy at ``output``. Raises FreeDosError, OutputError, BuildError."""
    chosen = unique or scripture.random_unique()
    holy = reference.build(chosen)
    floppy = FORMATS[kilobytes]
    located = None if boot == "embedded" else freedos.locate(freedos_path)
    if located is None and boot == "freedos":
        raise freedos.FreeDosNotFound(freedos.HOW_TO_GET)
    if located is None:
        data = embedded_floppy(floppy, holy, build_epoch())
        write_atomically(output, data, force)
        return Built(output, kilobytes, "embedded", "the built-in host, no FreeDOS", chosen, len(data))
    system = freedos.load(located)
    data = freedos_floppy(floppy, system, holy, build_epoch())
    write_atomically(output, data, force)
    return Built(output, kilobytes, "FreeDOS", system.source, chosen, len(data))
