"""What is on an image: format, geometry, boot system, files, and the scripture's state; on a hard-disk
image, its partition table first, then the active partition as a floppy is shown."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import Enum

from . import reference, scripture
from .fat12 import Fat12Image, ImageError
from .formats import EMBEDDED_MARK, LINGER_OFFSET
from .freedos import KERNEL_NAME_IN_BOOT_CODE
from .partition import Partition, partitions, volume
from .result_line import NO_HOST_LINE
from .scripture import SCRIPTURE_FILE
from .startup import linger_in


@dataclass(frozen=True)
class PartitionInfo:
    """One entry of a hard disk's partition table."""

    number: int  # 1..4, as FDISK numbers them
    active: bool
    type: int
    first_sector: int
    sectors: int


@dataclass(frozen=True)
class FileInfo:
    name: str
    size: int
    attributes: str


class Presence(str, Enum):
    """Whether the scripture is on the image, and in what state (the value is what --json shows)."""

    VALID = "valid"  # a true scripture, with its unique byte
    INVALID = "invalid"  # a file by that name that is no valid scripture (the verdict says what it is)
    ABSENT = "absent"  # no such file


@dataclass(frozen=True)
class ScriptureState:
    """The scripture's presence, the verdict ALMOST.COM would give it, and a valid one's unique byte."""

    state: Presence
    verdict: int | None = None
    meaning: str | None = None
    unique_byte: int | None = None


@dataclass(frozen=True)
class Inspection:
    format: str
    geometry: dict[str, int]
    boot: str
    label: str | None
    serial: str
    files: list[FileInfo] = field(default_factory=list)
    scripture: ScriptureState = ScriptureState(Presence.ABSENT)
    fats_equal: bool = True
    partitions: list[PartitionInfo] = field(default_factory=list)  # a hard disk's table; empty: a floppy
    linger: int = 0  # seconds of countdown before the power-off (build --linger)
    boot_problem: str | None = None  # why the image would stop before the liturgy on a PC, if it would
    program_problem: str | None = (
        None  # why ALMOST.COM on the image is not the one that judges as inspect does
    )

    def as_dict(self) -> dict[str, object]:
        """For --json: enums as their values."""
        return asdict(
            self, dict_factory=lambda items: {k: v.value if isinstance(v, Enum) else v for k, v in items}
        )


def boot_system(image: Fat12Image) -> str:
    """Which system the boot sector starts: FreeDOS, the embedded host, or none we know."""
    code = image.data[:512]
    if EMBEDDED_MARK.encode("ascii") in code:
        return "embedded"
    if KERNEL_NAME_IN_BOOT_CODE in code and image.find("KERNEL.SYS") is not None:
        return "FreeDOS"
    return "unknown"


def floppy_only(image: Fat12Image, partitioned: bool) -> str | None:
    """Why the image boots from drive A: only, or None when a hard disk or USB stick may boot it too.
    A FreeDOS *floppy* does not: measured, the floppy edition's kernel booted from a hard disk prints
    "FreeDOS" and goes no further (QEMU as IDE disk and USB stick, Bochs and v86 as disk, until their
    60 s timeout). Our own host boots from either; a FreeDOS disk image is built for a disk."""
    if partitioned or boot_system(image) != "FreeDOS":
        return None
    return "a FreeDOS floppy boots from drive A: only (its kernel stops as a hard disk); build --media disk"


def linger(image: Fat12Image, system: str) -> int:
    """The countdown's seconds: the self-booting boot sector's byte, or FreeDOS's POWEROFF.COM tail."""
    if system == "embedded":
        return image.data[LINGER_OFFSET]
    entry = image.find("AUTOEXEC.BAT")
    if system != "FreeDOS" or entry is None or entry.is_directory:
        return 0
    try:
        return linger_in(image.read(entry).decode("ascii", "replace"))
    except ImageError:
        return 0


def scripture_state(image: Fat12Image) -> ScriptureState:
    entry = image.find(SCRIPTURE_FILE)
    if entry is None:
        return ScriptureState(Presence.ABSENT)
    try:
        data: bytes | None = image.read(entry)
    except ImageError:
        data = None
    verdict = reference.judge(data) if data is not None else scripture.Verdict.IO
    unique = reference.unique_byte(data) if data is not None else None
    if unique is not None:
        return ScriptureState(Presence.VALID, verdict.value, verdict.meaning, unique)
    return ScriptureState(Presence.INVALID, verdict.value, verdict.meaning)


def boot_problem(partition: Partition | None, image: Fat12Image, system: str) -> str | None:
    """Why a PC would stop before the liturgy, where the image says so: a partition whose boot sector
    counts its sectors from elsewhere (the BPB's hidden sectors are not where the partition starts)
    reads its host or its kernel from the wrong place."""
    hidden = image.parameters.hidden_sectors
    if partition is None or hidden == partition.first:
        return None
    said = f'it prints "{NO_HOST_LINE}" and stops' if system == "embedded" else "it finds no system there"
    return (
        f"the boot sector would read from sector {hidden} on (its BPB's hidden sectors), not from the "
        f"partition's first sector, {partition.first}: {said}"
    )


def program_problem(image: Fat12Image) -> str | None:
    """Why the image's ALMOST.COM is not the shipped program, whose verdict inspect predicts: missing,
    unreadable, or other bytes. A volume whose BPB was changed after the files were laid out (16 root
    entries where 224 were written) reads ALMOST.COM from the wrong sectors: all zeros, which an 8086 runs
    to the PSP's INT 20h, exit code 0 (measured in QEMU: errorlevel 0, the scripture still there)."""
    from .programs import ALMOST, code

    entry = image.find(ALMOST)
    if entry is None or entry.is_directory:
        return f"there is no {ALMOST} on the image"
    try:
        found = image.read(entry)
    except ImageError as error:
        return f"{ALMOST} cannot be read: {error}"
    if found == code("almost"):
        return None
    zeros = " (all zeros: read from where it does not lie)" if not any(found) else ""
    return f"{ALMOST} on the image is not the shipped program{zeros}: what a boot gives cannot be foretold"


def inspect(data: bytes) -> Inspection:
    """Inspect an image's bytes; raise :class:`ImageError` if they are not a FAT12 floppy or a hard disk
    whose active partition is FAT12."""
    partition, holding = volume(data)
    image = Fat12Image.parse(holding)
    bpb = image.parameters
    floppy = image.floppy
    table = [
        PartitionInfo(entry.index + 1, entry.active, entry.type, entry.first, entry.sectors)
        for entry in (partitions(data) if partition is not None else [])
    ]
    if partition is not None:
        described = f"{len(data) / 1048576:.1f} MB hard disk, FAT12 partition {partition.index + 1}"
    else:
        described = f"{floppy.kilobytes} KB floppy" if floppy else "non-standard FAT12"
    geometry = {
        "bytes_per_sector": bpb.bytes_per_sector,
        "sectors_per_cluster": bpb.sectors_per_cluster,
        "reserved_sectors": bpb.reserved_sectors,
        "fats": bpb.fat_count,
        "root_entries": bpb.root_entries,
        "total_sectors": bpb.total_sectors,
        "media": bpb.media,
        "sectors_per_fat": bpb.sectors_per_fat,
        "sectors_per_track": bpb.sectors_per_track,
        "heads": bpb.heads,
        "hidden_sectors": bpb.hidden_sectors,
    }
    system = boot_system(image)
    return Inspection(
        described,
        geometry,
        system,
        image.volume_label(),
        f"{bpb.serial >> 16:04X}-{bpb.serial & 0xFFFF:04X}",
        [FileInfo(entry.name, entry.size, entry.attribute_letters) for entry in image.entries()],
        scripture_state(image),
        image.fats_equal(),
        table,
        linger(image, system),
        boot_problem(partition, image, system),
        program_problem(image),
    )
