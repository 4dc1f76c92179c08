"""``almostism-dos run``: boot an image in an emulator, then judge the image.

The emulator reports the errorlevel from the result line on its screen; afterwards the image itself is
read and must no longer hold the scripture. With ``keep`` a private copy is booted and judged, and the
image is left byte for byte as it was.

The emulator starts as early as it can: what judging the image afterwards needs is imported while it
boots (as the emulator starts), and which system the image boots, a label for the
report, is worked out once it has run.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .emulators import TIMEOUT
from .emulators.base import Emulator, EmulatorExited, ImageRefused, Outcome
from .fat12 import Fat12Image
from .inputs import read_input
from .partition import LARGEST_READ, volume
from .scratch import private_directory

if TYPE_CHECKING:
    from .screen import Observer, Screen


@dataclass
class RunReport:
    """The outcome of one run; ``ok`` only if errorlevel 0 and the scripture is gone from the image.

    ``vanished`` says whether the scripture left the image, and is None when the image held none
    before the boot: nothing can vanish that was never there."""

    emulator: str
    os: str
    errorlevel: int | None
    vanished: bool | None
    seconds: float
    console: str
    exited: bool
    reason: str | None = None  # why it is not ok, in the words the error line gives; None when it is
    unsaved: str | None = None  # an output asked for that could not be saved (a screenshot), and why
    drive: str = "floppy"  # what the image booted as (run --as)
    emulator_version: str | None = None  # as the emulator says it; asked only for a report that shows it

    @property
    def had_scripture(self) -> bool:
        return self.vanished is not None

    @property
    def ok(self) -> bool:
        return self.errorlevel == 0 and self.vanished is True and self.reason is None

    def as_json(self) -> dict[str, object]:
        """The report for machines, one shape for ``run --json`` and each cell of ``check --json``: what
        the screen and the image said, ``ok``, and why not (``reason``, the words the error line gives)."""
        return {
            "emulator": self.emulator,
            "emulator_version": self.emulator_version,
            "drive": self.drive,
            "os": self.os,
            "errorlevel": self.errorlevel,
            "had_scripture": self.had_scripture,
            "vanished": self.vanished,
            "ok": self.ok,
            "reason": self.reason,
            "seconds": self.seconds,
            "console": self.console,
        }


class KeepCopyError(Exception):
    """The private copy ``--keep`` boots cannot be made (the temporary directory is full or unwritable)."""


@contextlib.contextmanager
def _scratch(keep: bool) -> Iterator[str | None]:
    """With ``keep``, a private temporary directory for the copy, or :class:`KeepCopyError` saying why
    there is none; else None (a directory made and removed for nothing cost every boot a millisecond)."""
    if not keep:
        yield None
        return
    import tempfile

    try:
        directory = private_directory("keep")
    except OSError as error:
        raise KeepCopyError(
            f"cannot make a temporary directory in {tempfile.gettempdir()}: {error.strerror}"
        ) from None
    with directory as scratch:
        yield scratch


def _read(image: Path) -> bytes:
    return read_input(image, LARGEST_READ, "floppy or disk image")


def parsed_volume(data: bytes) -> Fat12Image:
    """The FAT12 volume in an image's bytes: the floppy, or the disk's active partition."""
    return Fat12Image.parse(volume(data)[1])


def _meanwhile(observer: Observer | None) -> Observer:
    """``observer``, behind one that imports what the judging after the boot needs the first time it is
    called, as the emulator starts: while the emulator boots, not after it (about 15 ms of every
    ``run``, measured)."""
    prepared = False

    def observe(screen: Screen) -> None:
        nonlocal prepared
        if not prepared:
            prepared = True
            from . import inspection, scripture  # noqa: F401

        if observer is not None:
            observer(screen)

    return observe


def run_image(
    image: Path,
    emulator: Emulator,
    timeout: float = TIMEOUT,
    observer: Observer | None = None,
    keep: bool = False,
    log: Path | None = None,
    data: bytes | None = None,
) -> RunReport:
    """Boot ``image`` (changed in place, unless ``keep``) and report. ``data``: the image's bytes, where
    the caller has read them already (the image is read once).

    With ``keep`` the private copy is made from the bytes read and checked, never by opening the path
    again: a path swapped meanwhile for a link to ``/dev/zero`` or a file of gigabytes cost a full
    temporary directory or a 3 GB copy (measured).

    Raises EmulatorMissing, ImageError, ImageRefused (this emulator cannot judge this image),
    InputError, :class:`KeepCopyError` (the copy cannot be written: a full or unwritable temporary
    directory), OSError.
    """
    if data is None:
        data = _read(image)
    parsed = parsed_volume(data)  # an image that is no FAT12 volume is refused before it boots
    emulator.executable()  # (a missing emulator is said before what it would refuse, as check does)
    refused = emulator.refuses(data) or _floppy_only(emulator, parsed, data)
    if refused is not None:
        raise ImageRefused(refused)
    with _scratch(keep) as scratch:
        booted = image
        if scratch is not None:
            booted = Path(scratch) / "image.img"
            try:
                booted.write_bytes(data)
            except OSError as error:
                raise KeepCopyError(
                    f"cannot write the copy --keep boots in {scratch}: {error.strerror}"
                ) from None
        try:
            outcome = emulator.boot(booted, timeout, _meanwhile(observer), log)
            problem = None
        except EmulatorExited as refused:
            outcome, problem = Outcome(None, True, "", 0.0), str(refused)
        from .inspection import boot_system  # (loaded while the emulator booted: _meanwhile)
        from .scripture import SCRIPTURE_FILE

        had_scripture = parsed.find(SCRIPTURE_FILE) is not None  # (parsed before the boot)
        vanished = parsed_volume(_read(booted)).find(SCRIPTURE_FILE) is None if had_scripture else None

    system = emulator.operating_system(boot_system(parsed))
    return RunReport(
        emulator.name,
        system,
        outcome.errorlevel,
        vanished,
        outcome.seconds,
        outcome.console,
        outcome.exited,
        problem or _problem(outcome, vanished, timeout),
        outcome.unsaved,
        getattr(emulator, "boot_as", "floppy"),
    )


def _floppy_only(emulator: Emulator, parsed: Fat12Image, data: bytes) -> str | None:
    """Why an image that boots from drive A: only (a FreeDOS floppy) cannot boot as the disk the emulator
    boots it as: said at once, not after the emulator's timeout. None for any other."""
    if not emulator.boots or getattr(emulator, "boot_as", "floppy") == "floppy":
        return None
    from .inspection import floppy_only
    from .partition import has_partition_table

    return floppy_only(parsed, has_partition_table(data))


def _problem(outcome: Outcome, vanished: bool | None, timeout: float) -> str | None:
    """What went wrong in a boot that ran, in one line; None if nothing did."""
    if outcome.halted is not None:
        return f"the machine stopped before the liturgy; its screen says: {outcome.halted}"
    if not outcome.exited:
        from .result_line import last_lines

        where = " | ".join(last_lines(outcome.console)) or "no output at all"
        return f"timed out after {timeout:g} s; the screen last showed: {where}"
    if outcome.errorlevel is None:
        return "the emulator exited without printing the result line"
    if vanished is None:
        from .scripture import SCRIPTURE_FILE

        return (
            f"the image held no {SCRIPTURE_FILE} to begin with (errorlevel {outcome.errorlevel}); "
            "build a new image with almostism-dos build -o IMG --force"
        )
    if outcome.errorlevel != 0:
        return f"the liturgy ended with errorlevel {outcome.errorlevel}"
    if not vanished:
        from .scripture import SCRIPTURE_FILE

        return f"errorlevel 0, yet {SCRIPTURE_FILE} is still on the image"
    return None
