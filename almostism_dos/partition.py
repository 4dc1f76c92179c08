"""Hard-disk images: the master boot record's partition table, and the layout DOS tools give a disk.

A hard disk (a USB stick, a CF card) starts with a master boot record: boot code, then four 16-byte
partition entries at byte 446, then 55 AA. The Almostism disk has one active FAT12 partition that starts,
as DOS's FDISK starts the first one, on the second track (head 1 of cylinder 0: the hidden sectors are one
track) and ends on a cylinder boundary, on a geometry of 16 heads and 63 sectors a track, the one a BIOS
gives a disk of this size without translation.

The MBR's code (``asm/mbr.asm``) reads the same table; the offsets below are its ``partition.inc``.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from .boot_sector import has_bpb
from .fat12 import ImageError
from .formats import BOOT_SIGNATURE, LARGEST_IMAGE, SECTOR, SIGNATURE_OFFSET

PARTITION_TABLE = 0x1BE  # where the four entries start in the MBR
PARTITION_ENTRY = 16  # bytes in one entry
PARTITION_COUNT = 4
ACTIVE = 0x80  # an entry's status byte: the partition the MBR boots
# An entry, field by field: status, first sector (CHS), type, last sector (CHS), first sector (LBA), count.
PART_STATUS, PART_FIRST_CHS, PART_TYPE, PART_LAST_CHS, PART_FIRST_LBA, PART_SECTORS = 0, 1, 4, 5, 8, 12
_ENTRY = struct.Struct("<B3sB3sII")
FAT12_TYPE = 0x01  # a FAT12 partition (DOS 2.0 and later)
MBR_ORIGIN = 0x0600  # where the MBR's code moves itself, so the partition's boot sector can go to 7C00h
DISK_HEADS = 16
DISK_SECTORS_PER_TRACK = 63
CYLINDER = DISK_HEADS * DISK_SECTORS_PER_TRACK  # sectors in one cylinder
DISK_MEDIA = 0xF8  # a fixed disk's media byte
DISK_DRIVE = 0x80  # the first hard disk, as the BIOS numbers it
DISK_ROOT_ENTRIES = 512  # as DOS FORMAT gives a hard-disk partition
FAT12_LIMIT_MB = 16  # DOS formats a partition FAT12 below 16 MB; past it, FAT16 (not written here)
SMALLEST_MB = 1
DEFAULT_MEGABYTES = 8  # room for FreeDOS and more; writes in a blink to any stick or card


class PartitionError(ImageError):
    """The bytes are no hard-disk image this tool reads; the message says why."""


@dataclass(frozen=True)
class Partition:
    """One entry of the partition table."""

    index: int  # 0..3, as FDISK numbers them 1..4
    active: bool
    type: int
    first: int  # the first sector (LBA)
    sectors: int

    @property
    def offset(self) -> int:
        """Where it starts, in bytes."""
        return self.first * SECTOR

    @property
    def size(self) -> int:
        return self.sectors * SECTOR


def chs(lba: int, heads: int = DISK_HEADS, per_track: int = DISK_SECTORS_PER_TRACK) -> bytes:
    """The three bytes an entry spells a sector with: head; sector (bits 0-5) and cylinder bits 8-9
    (bits 6-7); cylinder bits 0-7. Past cylinder 1023 every field is at its maximum, as tools write it."""
    cylinder, rest = divmod(lba, heads * per_track)
    head, sector = divmod(rest, per_track)
    if cylinder > 1023:
        return bytes([0xFE, 0xFF, 0xFF])
    return bytes([head, (sector + 1) | (cylinder >> 2 & 0xC0), cylinder & 0xFF])


def entry(partition: Partition) -> bytes:
    """The 16 bytes of ``partition``'s entry."""
    last = partition.first + partition.sectors - 1
    status = ACTIVE if partition.active else 0
    return _ENTRY.pack(
        status, chs(partition.first), partition.type, chs(last), partition.first, partition.sectors
    )


def master_boot_record(code: bytes, partitions: list[Partition]) -> bytes:
    """A 512-byte MBR: ``code`` (at most 446 bytes), the table, the signature."""
    if len(code) > PARTITION_TABLE:
        raise ValueError(f"MBR code is {len(code)} bytes; the table starts at {PARTITION_TABLE}")
    table = bytearray(PARTITION_ENTRY * PARTITION_COUNT)
    for partition in partitions:
        start = PARTITION_ENTRY * partition.index
        table[start : start + PARTITION_ENTRY] = entry(partition)
    return code.ljust(PARTITION_TABLE, b"\0") + bytes(table) + BOOT_SIGNATURE


def partitions(data: bytes) -> list[Partition]:
    """The entries in use in the image's partition table (type not 0)."""
    found = []
    for index in range(PARTITION_COUNT):
        start = PARTITION_TABLE + PARTITION_ENTRY * index
        status, _, kind, _, first, sectors = _ENTRY.unpack(data[start : start + PARTITION_ENTRY])
        if kind != 0:
            found.append(Partition(index, status == ACTIVE, kind, first, sectors))
    return found


def has_partition_table(data: bytes) -> bool:
    """True when sector 0 is a master boot record: the signature, no BPB of its own (a floppy's boot
    sector has one, and its code may happen to look like entries), and every entry well formed."""
    if len(data) < SECTOR or data[SIGNATURE_OFFSET:SECTOR] != BOOT_SIGNATURE:
        return False
    statuses = [data[PARTITION_TABLE + PARTITION_ENTRY * index] for index in range(PARTITION_COUNT)]
    return all(status in (0, ACTIVE) for status in statuses) and bool(partitions(data)) and not has_bpb(data)


def boot_partition(data: bytes) -> Partition:
    """The one active partition, checked against the image; :class:`PartitionError` says what is wrong."""
    active = [partition for partition in partitions(data) if partition.active]
    if len(active) != 1:
        raise PartitionError(f"{len(active)} active partitions; a disk boots exactly one")
    found = active[0]
    if found.first == 0 or found.sectors == 0:
        raise PartitionError(
            f"partition {found.index + 1} starts at sector {found.first}, {found.sectors} long"
        )
    if found.offset + found.size > len(data):
        raise PartitionError(
            f"partition {found.index + 1} ends at byte {found.offset + found.size}; the image has {len(data)}"
        )
    return found


@dataclass(frozen=True)
class DiskLayout:
    """A hard-disk image of ``cylinders`` cylinders: where its one partition lies."""

    cylinders: int

    @classmethod
    def for_megabytes(cls, megabytes: int) -> DiskLayout:
        """The whole cylinders nearest ``megabytes`` MB (1 MB = 2048 sectors); two at least."""
        if not SMALLEST_MB <= megabytes < FAT12_LIMIT_MB:
            raise PartitionError(
                f"{megabytes} MB: a disk image here is {SMALLEST_MB} to {FAT12_LIMIT_MB - 1} MB (one FAT12 "
                f"partition; DOS uses FAT16 from {FAT12_LIMIT_MB} MB, which this build does not write)"
            )
        return cls(max(2, round(megabytes * 2048 / CYLINDER)))

    @property
    def total_sectors(self) -> int:
        return self.cylinders * CYLINDER

    @property
    def partition(self) -> Partition:
        """The active FAT12 partition: from the second track to the last cylinder's end."""
        first = DISK_SECTORS_PER_TRACK
        return Partition(0, True, FAT12_TYPE, first, self.total_sectors - first)


LARGEST_DISK = DiskLayout.for_megabytes(FAT12_LIMIT_MB - 1).total_sectors * SECTOR  # the largest we build
LARGEST_READ = max(LARGEST_DISK, LARGEST_IMAGE)  # no image this tool reads, floppy or disk, is larger


def volume(data: bytes) -> tuple[Partition | None, bytes]:
    """The FAT volume an image holds: a floppy's is the whole image, a disk's its active partition
    (:class:`PartitionError` if the table names none that fits the image)."""
    if not has_partition_table(data):
        return None, data
    found = boot_partition(data)
    return found, data[found.offset : found.offset + found.size]
