"""``almostism-dos build``: one checked request; choose the boot system and the medium, build the bytes,
write them atomically.

``--boot auto`` uses FreeDOS when one is configured (flag, environment, cache) and the embedded host
otherwise; ``freedos`` requires FreeDOS; ``embedded`` never looks for it. ``--media floppy`` (``--size``
in KB) makes a floppy image; ``disk`` (``--size`` in MB) a partitioned hard-disk image.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from . import freedos, reference, scripture
from .disk import embedded_disk, freedos_disk
from .floppy import Contents, check_linger, embedded_floppy, freedos_floppy
from .formats import DEFAULT_KILOBYTES, FORMATS
from .image import build_epoch
from .outputs import write_atomically
from .partition import DEFAULT_MEGABYTES, DiskLayout, PartitionError
from .result_line import DEFAULT_LINGER

MEDIA = ("floppy", "disk")
BOOTS = ("auto", "freedos", "embedded")


class BuildRequestError(ValueError):
    """A request no image can be built for; the message says which choice and what it may be."""


@dataclass(frozen=True)
class BuildRequest:
    """One image to build, every choice named, checked once as it is made (:class:`BuildRequestError`).

    ``size`` is KB for a floppy, MB for a disk; None is the medium's default. ``unique`` None is a
    random unique byte, chosen once, here. ``freedos``: a FreeDOS floppy or directory (None: the
    environment, then the user cache)."""

    output: Path
    media: str = "floppy"
    size: int | None = None
    boot: str = "auto"
    freedos: Path | None = None
    unique: int | None = None
    linger: int = DEFAULT_LINGER
    force: bool = False  # replace an existing output
    chosen_size: int = field(init=False)  # ``size``, or the medium's default
    chosen_unique: int = field(init=False)  # ``unique``, or the random one chosen

    def __post_init__(self) -> None:
        if self.media not in MEDIA:
            raise BuildRequestError(f"unknown medium {self.media!r}; choose from {', '.join(MEDIA)}")
        if self.boot not in BOOTS:
            raise BuildRequestError(f"unknown boot system {self.boot!r}; choose from {', '.join(BOOTS)}")
        size = self.size
        if size is None:
            size = DEFAULT_MEGABYTES if self.media == "disk" else DEFAULT_KILOBYTES
        object.__setattr__(self, "chosen_size", size)
        if self.media == "floppy" and size not in FORMATS:
            raise BuildRequestError(
                f"unknown floppy size {size} KB; choose from {', '.join(map(str, FORMATS))}"
            )
        if self.media == "disk":
            try:
                DiskLayout.for_megabytes(size)
            except PartitionError as error:
                raise BuildRequestError(str(error)) from None
        try:
            check_linger(self.linger)
            chosen = scripture.random_unique() if self.unique is None else scripture.check_unique(self.unique)
        except ValueError as error:
            raise BuildRequestError(str(error)) from None
        object.__setattr__(self, "chosen_unique", chosen)

    @property
    def amount(self) -> str:
        """The size as people say it: ``1440 KB``, ``8 MB``."""
        return f"{self.chosen_size} {'MB' if self.media == 'disk' else 'KB'}"


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


def build(request: BuildRequest) -> Built:
    """Build the image ``request`` asks for and write it. Raises FreeDosError, OutputError, BuildError."""
    contents = Contents(reference.build(request.chosen_unique), build_epoch(), linger=request.linger)
    located = None if request.boot == "embedded" else freedos.locate(request.freedos)
    if located is None and request.boot == "freedos":
        raise freedos.FreeDosNotFound(freedos.HOW_TO_GET)
    if located is None:
        if request.media == "disk":
            data = embedded_disk(request.chosen_size, contents)
        else:
            data = embedded_floppy(FORMATS[request.chosen_size], contents)
        boot, source = "embedded", "the built-in host, no FreeDOS"
    else:
        system = freedos.load(located)
        if request.media == "disk":
            data = freedos_disk(request.chosen_size, system, contents)
        else:
            data = freedos_floppy(FORMATS[request.chosen_size], system, contents)
        boot, source = "FreeDOS", system.source
    write_atomically(request.output, data, request.force)
    return Built(
        request.output, request.amount, request.media, boot, source, request.chosen_unique, len(data)
    )
