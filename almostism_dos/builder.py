"""``almostism-dos build``: choose the boot system and the medium, build the bytes, write them atomically.

``--boot auto`` uses FreeDOS when one is configured (flag, environment, cache) and the embedded host
otherwise; ``freedos`` requires FreeDOS; ``embedded`` never looks for it. ``--media floppy`` (``--size``
in KB) makes a floppy image; ``disk`` (``--size`` in MB) a partitioned hard-disk image.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from . import freedos, reference, scripture
from .disk import embedded_disk, freedos_disk
from .floppy import embedded_floppy, freedos_floppy
from .formats import FORMATS
from .image import build_epoch
from .outputs import write_atomically
from .result_line import DEFAULT_LINGER


@dataclass(frozen=True)
class Built:
    """What was built."""

    path: Path
    amount: str  # "1440 KB", "8 MB"
    media: str  # "floppy" or "disk"
    boot: str
    source: str
    unique: int
    size: int


def build(
    output: Path,
    size: int,
    freedos_path: Path | None,
    unique: int | None,
    force: bool = False,
    boot: str = "auto",
    media: str = "floppy",
    linger: int = DEFAULT_LINGER,
) -> Built:
    """Build an Almostism image at ``output``: a floppy of ``size`` KB, or a disk of ``size`` MB.
    Raises FreeDosError, OutputError, BuildError (and PartitionError for a disk size out of range)."""
    chosen = unique or scripture.random_unique()
    holy = reference.build(chosen)
    amount = f"{size} MB" if media == "disk" else f"{size} KB"
    located = None if boot == "embedded" else freedos.locate(freedos_path)
    if located is None and boot == "freedos":
        raise freedos.FreeDosNotFound(freedos.HOW_TO_GET)
    if located is None:
        if media == "disk":
            data = embedded_disk(size, holy, build_epoch(), linger=linger)
        else:
            data = embedded_floppy(FORMATS[size], holy, build_epoch(), linger=linger)
        write_atomically(output, data, force)
        return Built(output, amount, media, "embedded", "the built-in host, no FreeDOS", chosen, len(data))
    system = freedos.load(located)
    if media == "disk":
        data = freedos_disk(size, system, holy, build_epoch(), linger=linger)
    else:
        data = freedos_floppy(FORMATS[size], system, holy, build_epoch(), linger=linger)
    write_atomically(output, data, force)
    return Built(output, amount, media, "FreeDOS", system.source, chosen, len(data))
