"""FAT12 volume formats (the standard floppies, a disk partition's), the BIOS parameter block (BPB)
DOS FORMAT writes for each, and the FAT arithmetic (:class:`Layout`, :func:`fat_bytes`), written once.

pyfatfs's ``mkfs`` leaves heads and sectors per track at 0, which neither mtools nor a boot sector
accepts, so the BPB is owned here: :func:`blank_filesystem` lays out boot sector, FATs and root
directory, and pyfatfs only adds files to it.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from .boot_sector import BOOT_SIGNATURE as BOOT_SIGNATURE  # (the sector's facts, kept in that leaf)
from .boot_sector import SECTOR as SECTOR
from .boot_sector import SIGNATURE_OFFSET as SIGNATURE_OFFSET

DIRECTORY_ENTRY = 32  # bytes in a directory entry
FIRST_CLUSTER = 2  # clusters 0 and 1 are the FAT's media and end-marker entries
FAT12_MAX_CLUSTERS = 4084  # more clusters than this make a volume FAT16, whatever its BPB says
CLUSTER_SECTORS = (1, 2, 4, 8, 16, 32, 64)  # the sectors a cluster may have (a power of two, to 32 KB)


def ceil_div(amount: int, unit: int) -> int:
    """How many ``unit``s hold ``amount``: sectors for bytes, clusters for a file."""
    return -(-amount // unit)


def fat_bytes(cluster_count: int) -> int:
    """The bytes a FAT needs for ``cluster_count`` clusters and the two reserved entries: 12 bits each,
    rounded up (an odd count ends in half a byte, which still needs its byte)."""
    return ceil_div((cluster_count + FIRST_CLUSTER) * 3, 2)


LINGER_OFFSET = SIGNATURE_OFFSET - 1  # in the self-booting boot sector: seconds to keep the verdict shown
BOOT_LOAD_ADDRESS = 0x7C00  # where a BIOS loads a boot sector, 0000:7C00
OEM_NAME = b"ALMOSTSM"
EMBEDDED_MARK = "ALMOSTISM HOST"  # in the self-booting floppy's boot code: how inspect knows it
BPB_OFFSET = 11  # the BPB follows the jump (3 bytes) and the OEM name (8)
# The BIOS parameter block, field by field in its order: a name and a struct code. The one definition of
# where each field lies (BPB_OFFSETS); the boot sector and host read them through fat12.inc, the web page
# through its configuration.
_BPB_FIELDS = (
    ("bytes_per_sector", "H"),
    ("sectors_per_cluster", "B"),
    ("reserved_sectors", "H"),
    ("fat_count", "B"),
    ("root_entries", "H"),
    ("total_sectors_16", "H"),
    ("media", "B"),
    ("sectors_per_fat", "H"),
    ("sectors_per_track", "H"),
    ("heads", "H"),
    ("hidden_sectors", "I"),
    ("total_sectors_32", "I"),
)
BPB_OFFSETS = {
    name: BPB_OFFSET + struct.calcsize("<" + "".join(code for _, code in _BPB_FIELDS[:index]))
    for index, (name, _) in enumerate(_BPB_FIELDS)
}
BPB_SIZES = {name: struct.calcsize(code) for name, code in _BPB_FIELDS}
_BPB = struct.Struct("<" + "".join(code for _, code in _BPB_FIELDS))
_EBPB = struct.Struct("<BBBI11s8s")  # right after the BPB, up to byte 61
_EBPB_OFFSET = BPB_OFFSET + _BPB.size


@dataclass(frozen=True)
class VolumeFormat:
    """A FAT12 volume's format, as DOS FORMAT lays it out: a standard floppy's (:data:`FORMATS`), or a
    hard disk partition's (:func:`fat12_volume`)."""

    kilobytes: int
    total_sectors: int
    sectors_per_cluster: int
    root_entries: int
    sectors_per_fat: int
    sectors_per_track: int
    heads: int
    media: int
    reserved_sectors: int = 1
    fat_count: int = 2
    hidden_sectors: int = 0  # sectors before the volume: 0 on a floppy; a partition's first sector
    drive_number: int = 0  # the BIOS drive the BPB names: 0 a floppy, 80h a hard disk

    @property
    def size(self) -> int:
        """Image size in bytes."""
        return self.total_sectors * SECTOR

    @property
    def layout(self) -> Layout:
        """Where this format keeps things: as its BPB says (:attr:`BootParameters.layout`)."""
        return BootParameters.for_format(self, serial=0, label="").layout


@dataclass(frozen=True)
class Layout:
    """Where a FAT12 volume keeps its FATs, root directory and clusters: derived from BPB fields alone.

    The one place this arithmetic is written; the writer, the reader, the fault matrix and the tests all
    ask it.
    """

    reserved_sectors: int
    fat_count: int
    sectors_per_fat: int
    root_entries: int
    sectors_per_cluster: int
    total_sectors: int

    @property
    def fat_offset(self) -> int:
        """Byte offset of the first FAT."""
        return self.reserved_sectors * SECTOR

    @property
    def fat_size(self) -> int:
        """Bytes in one FAT copy."""
        return self.sectors_per_fat * SECTOR

    def fat_copy_offset(self, copy: int) -> int:
        """Byte offset of FAT copy ``copy`` (0 is the first)."""
        return self.fat_offset + copy * self.fat_size

    @property
    def root_offset(self) -> int:
        """Byte offset of the root directory."""
        return self.fat_copy_offset(self.fat_count)

    @property
    def root_sectors(self) -> int:
        return ceil_div(self.root_entries * DIRECTORY_ENTRY, SECTOR)

    @property
    def data_offset(self) -> int:
        """Byte offset of cluster 2, the first data cluster."""
        return self.root_offset + self.root_sectors * SECTOR

    @property
    def cluster_size(self) -> int:
        return self.sectors_per_cluster * SECTOR

    @property
    def cluster_count(self) -> int:
        """Data clusters on the volume (numbered 2 .. cluster_count + 1)."""
        return (self.total_sectors - self.data_offset // SECTOR) // self.sectors_per_cluster

    def cluster_offset(self, cluster: int) -> int:
        """Byte offset of ``cluster``'s data."""
        return self.data_offset + (cluster - FIRST_CLUSTER) * self.cluster_size


# As DOS formats each (the 160/180/320 KB rows as DOS 2.x formats the IBM PC's 5.25" disks, the same
# values Linux's FAT driver assumes for a DOS 1.x disk without a BPB): kilobytes, sectors, sectors per
# cluster, root entries, sectors per FAT, sectors per track, heads, media byte.
FORMATS: dict[int, VolumeFormat] = {
    f.kilobytes: f
    for f in (
        VolumeFormat(160, 320, 1, 64, 1, 8, 1, 0xFE),  # single-sided, 8 sectors a track (IBM PC 5150)
        VolumeFormat(180, 360, 1, 64, 2, 9, 1, 0xFC),  # single-sided, 9 sectors a track
        VolumeFormat(320, 640, 2, 112, 1, 8, 2, 0xFF),  # double-sided, 8 sectors a track
        VolumeFormat(360, 720, 2, 112, 2, 9, 2, 0xFD),
        VolumeFormat(720, 1440, 2, 112, 3, 9, 2, 0xF9),
        VolumeFormat(1200, 2400, 1, 224, 7, 15, 2, 0xF9),
        VolumeFormat(1440, 2880, 1, 224, 9, 18, 2, 0xF0),
        VolumeFormat(2880, 5760, 2, 240, 9, 36, 2, 0xF0),
    )
}
DEFAULT_KILOBYTES = 1440
LARGEST_IMAGE = max(floppy.size for floppy in FORMATS.values())  # no image this tool reads is larger


@dataclass(frozen=True)
class BootParameters:
    """The BPB and extended BPB fields of a FAT12 floppy boot sector."""

    bytes_per_sector: int
    sectors_per_cluster: int
    reserved_sectors: int
    fat_count: int
    root_entries: int
    total_sectors: int
    media: int
    sectors_per_fat: int
    sectors_per_track: int
    heads: int
    hidden_sectors: int = 0
    drive_number: int = 0
    serial: int = 0
    label: str = "NO NAME"
    fs_type: str = "FAT12"

    @classmethod
    def for_format(cls, floppy: VolumeFormat, serial: int, label: str) -> BootParameters:
        return cls(
            SECTOR,
            floppy.sectors_per_cluster,
            floppy.reserved_sectors,
            floppy.fat_count,
            floppy.root_entries,
            floppy.total_sectors,
            floppy.media,
            floppy.sectors_per_fat,
            floppy.sectors_per_track,
            floppy.heads,
            floppy.hidden_sectors,
            floppy.drive_number,
            serial=serial,
            label=label,
        )

    def pack(self) -> bytes:
        """The BPB and extended BPB, bytes 11..61 of the boot sector."""
        small_total = self.total_sectors if self.total_sectors < 0x10000 else 0
        return _BPB.pack(
            self.bytes_per_sector,
            self.sectors_per_cluster,
            self.reserved_sectors,
            self.fat_count,
            self.root_entries,
            small_total,
            self.media,
            self.sectors_per_fat,
            self.sectors_per_track,
            self.heads,
            self.hidden_sectors,
            0 if small_total else self.total_sectors,
        ) + _EBPB.pack(
            self.drive_number,
            0,
            0x29,
            self.serial,
            self.label.encode("ascii").ljust(11)[:11],
            self.fs_type.encode("ascii").ljust(8)[:8],
        )

    @classmethod
    def unpack(cls, sector: bytes) -> BootParameters:
        """Read the BPB of a boot sector (no validation; see :func:`matching_format`)."""
        if len(sector) < _EBPB_OFFSET + _EBPB.size:
            raise ValueError("a boot sector is 512 bytes")
        (bps, spc, reserved, fats, roots, total16, media, spf, spt, heads, hidden, total32) = _BPB.unpack(
            sector[BPB_OFFSET:_EBPB_OFFSET]
        )
        drive, _, signature, serial, label, fs_type = _EBPB.unpack(
            sector[_EBPB_OFFSET : _EBPB_OFFSET + _EBPB.size]
        )
        if signature not in (0x28, 0x29):
            serial, label, fs_type = 0, b"", b""
        text = [field.decode("ascii", "replace").rstrip() for field in (label, fs_type)]
        total = total16 or total32
        return cls(
            bps, spc, reserved, fats, roots, total, media, spf, spt, heads, hidden, drive, serial, *text
        )

    @property
    def layout(self) -> Layout:
        return Layout(
            self.reserved_sectors,
            self.fat_count,
            self.sectors_per_fat,
            self.root_entries,
            self.sectors_per_cluster,
            self.total_sectors,
        )

    def matching_format(self) -> VolumeFormat | None:
        """The standard floppy format these parameters describe, if any (reserved sectors may differ)."""
        for floppy in FORMATS.values():
            if (
                self.bytes_per_sector == SECTOR
                and self.total_sectors == floppy.total_sectors
                and self.sectors_per_cluster == floppy.sectors_per_cluster
                and self.fat_count == floppy.fat_count
                and self.root_entries == floppy.root_entries
                and self.sectors_per_fat == floppy.sectors_per_fat
                and self.sectors_per_track == floppy.sectors_per_track
                and self.heads == floppy.heads
                and self.media == floppy.media
            ):
                return floppy
        return None


def fat12_volume(
    sectors: int, heads: int, sectors_per_track: int, hidden_sectors: int, media: int, root_entries: int
) -> VolumeFormat:
    """A FAT12 volume of ``sectors`` sectors on a hard disk, as FORMAT lays one out: the smallest
    clusters that keep the count within FAT12's, and a FAT just large enough for them (the count and
    the FAT's size from :class:`Layout` and :func:`fat_bytes`, as the reader checks them).
    :class:`ValueError` when even 64-sector clusters are too many for FAT12."""
    for per_cluster in CLUSTER_SECTORS:
        per_fat = 1
        while True:
            volume = VolumeFormat(
                sectors // 2, sectors, per_cluster, root_entries, per_fat, sectors_per_track, heads, media,
                hidden_sectors=hidden_sectors, drive_number=0x80,
            )  # fmt: skip
            needed = ceil_div(fat_bytes(volume.layout.cluster_count), SECTOR)
            if needed <= per_fat:
                break
            per_fat = needed
        if volume.layout.cluster_count <= FAT12_MAX_CLUSTERS:
            return volume
    raise ValueError(f"{sectors} sectors is too large for FAT12")


def disk_geometry(sectors: int) -> tuple[int, int, int]:
    """Cylinders, heads and sectors per track for a disk of exactly ``sectors`` sectors, for an emulator
    that wants them to multiply to the image's size (Bochs's flat disk, QEMU's SCSI stick): the most
    sectors per track (at most 63), then the most heads (at most 16), so a floppy booted as a disk has a
    geometry that is not the floppy's. :class:`ValueError` when there is none (a prime over 1024)."""
    for per_track in range(63, 0, -1):
        for heads in range(16, 0, -1):
            if sectors % (per_track * heads) == 0 and sectors // (per_track * heads) <= 1024:
                return sectors // (per_track * heads), heads, per_track
    raise ValueError(f"{sectors} sectors: no cylinder/head/sector geometry multiplies to that")


def boot_sector(code: bytes, parameters: BootParameters) -> bytes:
    """A boot sector: ``code``'s jump (bytes 0..2) and boot code (62..509), our OEM name and BPB."""
    if len(code) != SECTOR or code[SIGNATURE_OFFSET:] != BOOT_SIGNATURE:
        raise ValueError("boot code must be a 512-byte sector ending in 55 AA")
    packed = parameters.pack()
    return code[: BPB_OFFSET - len(OEM_NAME)] + OEM_NAME + packed + code[BPB_OFFSET + len(packed) :]


def blank_filesystem(floppy: VolumeFormat, sector: bytes, reserved: bytes = b"") -> bytearray:
    """An empty FAT12 filesystem of ``floppy``'s size: ``sector`` to boot, ``reserved`` after it."""
    if len(reserved) > (floppy.reserved_sectors - 1) * SECTOR:
        raise ValueError("the reserved area is too small for what should go there")
    image = bytearray(floppy.size)
    image[:SECTOR] = sector
    image[SECTOR : SECTOR + len(reserved)] = reserved
    fat = bytes([floppy.media, 0xFF, 0xFF])  # entries 0 and 1: the media byte, then an end marker
    for copy in range(floppy.fat_count):
        offset = floppy.layout.fat_copy_offset(copy)
        image[offset : offset + len(fat)] = fat
    return image
