"""``almostism-dos diff``: is the disk a machine gave back exactly the disk it was given, after the liturgy?

BEFORE is the image as written; AFTER what came back (an image file, a medium's read-back). AFTER is
judged by the one exact-change rule (:mod:`almostism_dos.liturgy_change`): the scripture's entry marked
deleted, its bytes zeroed, its chain freed in every FAT, and the write stamp a DOS may set. What else
differs is said by where it lies: outside the volume, the boot sector, a FAT's entry for a cluster, a
directory entry, a file's or a free cluster.
"""

from __future__ import annotations

import contextlib
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from enum import Enum

from .fat12 import (
    DELETED,
    DIR_ATTRIBUTES,
    DIR_CREATED,
    DIR_DATE,
    DIR_FIRST_CLUSTER,
    DIR_NAME_SIZE,
    DIR_SIZE,
    DIR_TIME,
    FREE,
    DirEntry,
    Fat12Image,
    ImageError,
    read_entry,
)
from .formats import DIRECTORY_ENTRY, FIRST_CLUSTER, SECTOR
from .liturgy_change import LiturgySteps, destroyed, differing, steps
from .partition import volume
from .scripture import SCRIPTURE_FILE

_BPB_END = 0x3E  # the jump, the OEM name, the BPB and the extended BPB (serial, label): the volume's identity
_LISTED = 12  # changes listed in words at most; the count of the rest follows
_DEEPEST = 16  # directory levels followed when naming a cluster's owner
_FIELDS = (  # a directory entry's fields, as a person names them: (first byte, end, name)
    (0, DIR_NAME_SIZE, "name"),
    (DIR_ATTRIBUTES, DIR_ATTRIBUTES + 1, "attributes"),
    (DIR_CREATED, DIR_TIME, "creation or access time"),
    (DIR_TIME, DIR_DATE + 2, "write time"),
    (DIR_FIRST_CLUSTER, DIR_FIRST_CLUSTER + 2, "first cluster"),
    (DIR_SIZE, DIR_SIZE + 4, "size"),
)


class Outcome(str, Enum):
    """What AFTER is, against BEFORE."""

    LITURGY = "exactly the liturgy"
    NOT_RUN = "the liturgy did not run"
    OTHER = "something else changed"


class NoScripture(ImageError):
    """BEFORE holds no scripture: it is not an image as this tool writes it, before a boot."""


@dataclass(frozen=True)
class Change:
    """One thing AFTER has that neither BEFORE nor the liturgy explains."""

    where: str  # "FAT 2", "KERNEL.SYS", "the root directory", "the boot sector", "sector 0"
    what: str


@dataclass(frozen=True)
class Comparison:
    """AFTER judged against BEFORE."""

    outcome: Outcome
    summary: str  # one sentence
    steps: dict[str, bool] = field(default_factory=dict)  # each step of the liturgy: done in AFTER?
    stamped: bool = False  # a DOS stamped the entry's write time and date
    changes: list[Change] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "outcome": self.outcome.name.lower(),
            "summary": self.summary,
            "steps": self.steps,
            "stamped": self.stamped,
            "changes": [asdict(change) for change in self.changes],
        }


def compare(before: bytes, after: bytes) -> Comparison:
    """Judge ``after`` against ``before`` (:class:`ImageError` if ``before`` is no FAT image, and
    :class:`NoScripture` if it holds no scripture)."""
    partition, old = volume(before)
    image = Fat12Image.parse(old)
    if image.find(SCRIPTURE_FILE) is None:
        raise NoScripture(f"it holds no {SCRIPTURE_FILE}: give the image as it was written, before the boot")
    if len(after) < len(before):
        return Comparison(
            Outcome.OTHER,
            f"AFTER is cut short: {len(after)} bytes where BEFORE has {len(before)} "
            "(read the whole medium back)",
        )
    after = after[: len(before)]  # (a medium larger than the image: the rest is not ours)
    if after == before:
        return Comparison(Outcome.NOT_RUN, "AFTER is BEFORE byte for byte: the liturgy did not run")
    start = partition.offset if partition is not None else 0
    new = after[start : start + len(old)]
    outside = [
        Change(f"sector {sector}", _outside(sector))
        for sector in _outside_sectors(before, after, start, len(old))
    ]
    if new[:_BPB_END] != old[:_BPB_END]:
        return Comparison(
            Outcome.OTHER,
            "AFTER holds another volume (its boot sector's parameters, serial or label differ): "
            "a different image altogether",
            changes=outside,
        )
    where = steps(old, SCRIPTURE_FILE)
    done = _steps_done(image, new, where)
    stamped = new[where.stamp.start : where.stamp.stop] != old[where.stamp.start : where.stamp.stop]
    changes = outside + _changes(image, Fat12Image.parse(new), destroyed(old, SCRIPTURE_FILE), where)
    if not changes and all(done.values()):
        return Comparison(
            Outcome.LITURGY,
            f"AFTER is BEFORE with exactly the liturgy's change: {SCRIPTURE_FILE} deleted, its bytes zeroed, "
            "its chain freed in every FAT" + (" (its write time stamped by the DOS)" if stamped else ""),
            done,
            stamped,
        )
    missing = [step for step, happened in done.items() if not happened]
    said = f"not done: {', '.join(missing)}" if missing else "the liturgy's steps all done"
    extra = f"{len(changes)} other change{'s' if len(changes) != 1 else ''}" if changes else "nothing else"
    return Comparison(
        Outcome.OTHER,
        f"AFTER is not BEFORE with exactly the liturgy: {said}; {extra}",
        done,
        stamped,
        changes,
    )


def _outside_sectors(before: bytes, after: bytes, start: int, length: int) -> list[int]:
    """The sectors outside the volume (which lies ``start`` bytes in, ``length`` bytes long) that differ."""
    end = start + length
    head = differing(before[:start], after[:start])
    tail = [end + offset for offset in differing(before[end:], after[end:])]
    return sorted({offset // SECTOR for offset in head + tail})


def _outside(sector: int) -> str:
    return "changed, outside the volume" + (": the MBR and its partition table" if sector == 0 else "")


def _steps_done(image: Fat12Image, new: bytes, where: LiturgySteps) -> dict[str, bool]:
    """Each step of the liturgy, and whether AFTER's volume ``new`` shows it done."""
    layout = image.layout
    done = {
        "entry deleted": new[where.entry] == DELETED,
        "bytes zeroed": all(not any(new[span.start : span.stop]) for span in where.zeroed),
    }
    for copy in range(image.parameters.fat_count):
        start = layout.fat_copy_offset(copy)
        fat = new[start : start + layout.fat_size]
        done[f"chain freed in FAT {copy + 1}"] = all(
            read_entry(fat, cluster) == FREE for cluster in where.clusters
        )
    return done


def _changes(image: Fat12Image, after: Fat12Image, expected: bytes, where: LiturgySteps) -> list[Change]:
    """What ``after`` has that the liturgy (done, or left undone step by step) does not explain."""
    old, new, layout = image.data, after.data, image.layout
    liturgy = {where.entry, *where.stamp, *(offset for span in where.zeroed for offset in span)}
    offsets = [
        offset
        for offset in differing(expected, new)
        if not (offset in liturgy and (new[offset] == old[offset] or offset in where.stamp))
    ]
    found: list[Change] = []
    fat_start, root_start, data_start = layout.fat_offset, layout.root_offset, layout.data_offset
    if any(offset < fat_start for offset in offsets):
        found.append(Change("the boot sector" if fat_start <= SECTOR else "the reserved sectors", "changed"))
    if any(fat_start <= offset < root_start for offset in offsets):
        found += _fat_changes(image, after, expected, where)
    slots = sorted(
        {(offset - root_start) // DIRECTORY_ENTRY for offset in offsets if root_start <= offset < data_start}
    )
    found += [
        _slot_change(old, new, root_start + slot * DIRECTORY_ENTRY, "the root directory") for slot in slots
    ]
    size = layout.cluster_size
    clusters = sorted(
        {FIRST_CLUSTER + (offset - data_start) // size for offset in offsets if offset >= data_start}
    )
    owners = _owners(image)
    by_owner: dict[str, list[int]] = defaultdict(list)
    for cluster in clusters:
        by_owner[owners.get(cluster, "free space")].append(cluster)
    for owner, changed in by_owner.items():
        found.append(Change(owner, f"{_count(len(changed), 'cluster')} changed ({_listed(changed)})"))
    return found[:_LISTED] + ([Change("...", f"{len(found) - _LISTED} more")] if len(found) > _LISTED else [])


def _fat_changes(image: Fat12Image, after: Fat12Image, expected: bytes, where: LiturgySteps) -> list[Change]:
    """Each FAT copy's entries that are neither as the liturgy leaves them nor (for the scripture's own
    chain, a step left undone) as they were."""
    wanted = Fat12Image.parse(expected)
    found = []
    for copy in range(image.parameters.fat_count):
        was, should, now = image.fat(copy), wanted.fat(copy), after.fat(copy)
        odd = [
            cluster
            for cluster in range(FIRST_CLUSTER, image.layout.cluster_count + FIRST_CLUSTER)
            if read_entry(now, cluster) != read_entry(should, cluster)
            and not (cluster in where.clusters and read_entry(now, cluster) == read_entry(was, cluster))
        ]
        if odd:
            shown = "; ".join(
                f"cluster {cluster}: {read_entry(now, cluster):03X}h, was {read_entry(was, cluster):03X}h"
                for cluster in odd[:4]
            )
            more = f" and {len(odd) - 4} more" if len(odd) > 4 else ""
            found.append(
                Change(f"FAT {copy + 1}", f"{_count(len(odd), 'entry', 'entries')} changed ({shown}{more})")
            )
    return found


def _slot_change(old: bytes, new: bytes, offset: int, directory: str) -> Change:
    """One directory slot that changed, named by the file it held (or holds now), and the fields that
    differ."""
    was, now = old[offset : offset + DIRECTORY_ENTRY], new[offset : offset + DIRECTORY_ENTRY]
    named = was if was[0] not in (0, DELETED) else now
    name = named[:DIR_NAME_SIZE].decode("cp437", "replace").strip() or "an empty slot"
    fields = [label for first, end, label in _FIELDS if was[first:end] != now[first:end]]
    status = " (marked deleted)" if now[0] == DELETED and was[0] != DELETED else ""
    return Change(f"{directory}, entry of {name}", f"{', '.join(fields) or 'reserved bytes'} changed{status}")


def _owners(image: Fat12Image) -> dict[int, str]:
    """Every cluster in use on the volume, by the path of the file or directory holding it."""
    owners: dict[int, str] = {}

    def walk(directory: DirEntry | None, prefix: str, depth: int) -> None:
        for entry in image.entries(directory):
            path = prefix + entry.name
            try:
                chain = image.chain(entry.first_cluster) if entry.first_cluster else []
            except ImageError:
                continue  # (a broken chain: its clusters are named "free space" where they are)
            for cluster in chain:
                owners.setdefault(cluster, f"the directory {path}" if entry.is_directory else path)
            if entry.is_directory and depth < _DEEPEST:
                walk(entry, path + "\\", depth + 1)

    with contextlib.suppress(ImageError):  # (a directory's chain is broken: what was named so far stands)
        walk(None, "", 0)
    return owners


def _count(number: int, noun: str, plural: str | None = None) -> str:
    return f"{number} {noun if number == 1 else plural or noun + 's'}"


def _listed(numbers: list[int]) -> str:
    return ", ".join(map(str, numbers[:6])) + (f" and {len(numbers) - 6} more" if len(numbers) > 6 else "")
