"""Export ALMOST.COM and a scripture into a directory, for copying onto any DOS disk."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from . import programs, reference, scripture
from .outputs import OutputError, check_output, write_atomically


@dataclass(frozen=True)
class Exported:
    """What was written."""

    almost: Path
    scripture: Path
    unique: int


def export(directory: Path, unique: int, force: bool = False) -> Exported:
    """Write ALMOST.COM and SCRIPTUR.ALM into ``directory`` (created if missing).

    Both destinations are checked before either is written, so a refusal leaves nothing half-done.
    """
    data = reference.build(unique)
    if directory.exists() and not directory.is_dir():
        raise OutputError(f"{directory}: is not a directory")
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise OutputError(f"{directory}: cannot create directory ({error.strerror})") from None
    targets = (directory / programs.ALMOST, directory / scripture.SCRIPTURE_FILE)
    for target in targets:
        check_output(target, force)
    write_atomically(targets[0], programs.almost_bytes(), force)
    write_atomically(targets[1], data, force)
    return Exported(targets[0], targets[1], unique)
